"""Every route × anonymous / participant / editor / admin, with the status each must get.

The table is checked against the app's route table, so a new route without an entry here
fails `test_every_route_has_an_entry`. Requests run in order (reads first, then writes with
inputs that keep the world usable), so one pass per role covers the whole matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

from app.urls import app_paths
from briefs.dispositions import Decision
from briefs.services import BriefService
from briefs.synthesis import SynthesisService
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import Role, StakeholderGroup
from tests.factories import comment_on, editor, make_user, open_consultation
from tests.functional.conftest import Browser

ROLES = ("anonymous", "participant", "editor", "admin")
OK, MOVED = 200, 303
# Who may do what: (anonymous, participant, editor, admin).
PUBLIC = (OK, OK, OK, OK)
EDITOR_PAGE = (MOVED, 403, OK, OK)  # anonymous people are sent to sign in
EDITOR_WRITE = (401, 403, MOVED, MOVED)
SIGNED_IN_WRITE = (401, MOVED, MOVED, MOVED)
SIGNED_IN_PAGE = (MOVED, OK, OK, OK)
ADMIN_PAGE = (MOVED, 403, 403, OK)
ADMIN_WRITE = (401, 403, 403, MOVED)


@dataclass(frozen=True)
class Call:
    expected: tuple[int, int, int, int]
    data: dict[str, str] = field(default_factory=dict)


# Keyed by (method, route path); path parameters are filled in from the world below.
MATRIX: dict[tuple[str, str], Call] = {
    ("GET", "/"): Call(PUBLIC),
    ("GET", "/favicon.ico"): Call(PUBLIC),
    ("GET", "/signin"): Call(PUBLIC),
    ("GET", "/signup"): Call(PUBLIC),
    ("GET", "/verify"): Call((MOVED, OK, OK, OK)),
    ("GET", "/verify/{secret}"): Call((400,) * 4),
    ("GET", "/password/forgot"): Call(PUBLIC),
    ("GET", "/password/reset/{secret}"): Call((400,) * 4),
    # No provider is configured in these tests, so every provider name is unknown.
    ("GET", "/signin/{provider}"): Call((404,) * 4),
    ("GET", "/auth/{provider}/callback"): Call((404,) * 4),
    ("GET", "/language/{code}"): Call((MOVED,) * 4),
    ("GET", "/account/comments"): Call(SIGNED_IN_PAGE),
    ("GET", "/consultations"): Call(PUBLIC),
    ("GET", "/consultations/new"): Call(EDITOR_PAGE),
    ("GET", "/consultations/{slug}"): Call(PUBLIC),
    ("GET", "/consultations/{slug}/v/{number:id}"): Call(PUBLIC),
    ("GET", "/consultations/{slug}/diff/{old:id}..{new:id}"): Call(PUBLIC),
    ("GET", "/consultations/{slug}/p/{key}"): Call(PUBLIC),
    ("GET", "/consultations/{slug}/comments.csv"): Call(PUBLIC),
    ("GET", "/consultations/{slug}/comments.json"): Call(PUBLIC),
    ("GET", "/consultations/{slug}/consensus"): Call(PUBLIC),
    ("GET", "/consultations/{slug}/consensus.csv"): Call(PUBLIC),
    ("GET", "/consultations/{slug}/manage"): Call(EDITOR_PAGE),
    ("GET", "/consultations/{slug}/synthesis"): Call(EDITOR_PAGE),
    ("GET", "/consultations/{slug}/reanchor"): Call(EDITOR_PAGE),
    ("GET", "/moderation"): Call(EDITOR_PAGE),
    ("GET", "/audit"): Call(EDITOR_PAGE),
    ("GET", "/audit.csv"): Call(EDITOR_PAGE),
    # Without `comment` (the matrix sends no query): the editor learns that one is needed.
    ("GET", "/consultations/{slug}/suggestions/merge"): Call((MOVED, 403, 422, 422)),
    ("GET", "/briefs"): Call(PUBLIC),
    ("GET", "/briefs/new"): Call(EDITOR_PAGE),
    ("GET", "/briefs/{slug}"): Call(PUBLIC),
    ("GET", "/briefs/{slug}/v/{number:id}"): Call(PUBLIC),
    ("GET", "/briefs/{slug}.pdf"): Call(PUBLIC),
    ("GET", "/briefs/{slug}.md"): Call(PUBLIC),
    ("GET", "/briefs/{slug}.json"): Call(PUBLIC),
    ("GET", "/briefs/{slug}/v/{number:id}.pdf"): Call(PUBLIC),
    ("GET", "/briefs/{slug}/v/{number:id}.md"): Call(PUBLIC),
    ("GET", "/briefs/{slug}/v/{number:id}.json"): Call(PUBLIC),
    # Published versions are public; a working copy's exports are 404 for everyone
    # (test_brief_documents.py), drafts of consultations for all but editors.
    ("GET", "/briefs/{slug}.html"): Call(PUBLIC),
    ("GET", "/briefs/{slug}.bib"): Call(PUBLIC),
    ("GET", "/briefs/{slug}.ris"): Call(PUBLIC),
    ("GET", "/briefs/{slug}.csl.json"): Call(PUBLIC),
    ("GET", "/briefs/{slug}/v/{number:id}.html"): Call(PUBLIC),
    ("GET", "/briefs/{slug}/v/{number:id}.bib"): Call(PUBLIC),
    ("GET", "/briefs/{slug}/v/{number:id}.ris"): Call(PUBLIC),
    ("GET", "/briefs/{slug}/v/{number:id}.csl.json"): Call(PUBLIC),
    ("GET", "/briefs/{slug}/edit"): Call(EDITOR_PAGE),
    ("GET", "/feeds/briefs.atom"): Call(PUBLIC),
    ("GET", "/feeds/consultations.atom"): Call(PUBLIC),
    ("GET", "/feeds/topics/{slug}.atom"): Call(PUBLIC),
    ("GET", "/search"): Call(PUBLIC),
    ("GET", "/search.atom"): Call(PUBLIC),
    ("GET", "/account"): Call(SIGNED_IN_PAGE),
    ("GET", "/account/data.json"): Call(SIGNED_IN_PAGE),
    ("GET", "/notifications"): Call(SIGNED_IN_PAGE),
    # A signed token authorises unsubscribing, not a session: a made-up one is refused.
    ("GET", "/unsubscribe/{token}"): Call((400,) * 4),
    ("GET", "/admin"): Call((MOVED, 403, 403, MOVED)),
    ("GET", "/admin/people"): Call(ADMIN_PAGE),
    ("GET", "/admin/organisations"): Call(ADMIN_PAGE),
    ("GET", "/admin/mail"): Call(ADMIN_PAGE),
    ("GET", "/api/v1/openapi.json"): Call(PUBLIC),
    ("GET", "/api/v1/consultations"): Call(PUBLIC),
    ("GET", "/api/v1/consultations/{slug}"): Call(PUBLIC),
    ("GET", "/api/v1/consultations/{slug}/threads"): Call(PUBLIC),
    ("GET", "/api/v1/consultations/{slug}/consensus"): Call(PUBLIC),
    ("GET", "/api/v1/consultations/{slug}/campaigns"): Call(PUBLIC),
    ("GET", "/api/v1/briefs"): Call(PUBLIC),
    ("GET", "/api/v1/briefs/{slug}"): Call(PUBLIC),
    ("GET", "/api/v1/search"): Call(PUBLIC),
    # Writes. A browser session never authenticates the API: only a bearer token does.
    ("POST", "/api/v1/consultations/{slug}/paragraphs/{key}/comments"): Call(
        (401,) * 4, {"body": "x"}
    ),
    ("POST", "/api/v1/consultations/{slug}/versions"): Call((401,) * 4, {"markdown": "x"}),
    ("POST", "/api/v1/briefs"): Call((401,) * 4, {"slug": "x", "title": "x", "body_markdown": "x"}),
    ("PUT", "/api/v1/threads/{thread_id:id}/disposition"): Call((401,) * 4, {"disposition": "x"}),
    ("POST", "/api/v1/threads/{thread_id:id}/contest"): Call((401,) * 4, {"reason": "x"}),
    ("PUT", "/api/v1/consultations/{slug}/status"): Call((401,) * 4, {"status": "closed"}),
    ("PUT", "/api/v1/consultations/{slug}/rules"): Call((401,) * 4, {"closes_at": "x"}),
    ("POST", "/api/v1/comments/{comment_id:id}/endorsement"): Call((401,) * 4),
    ("DELETE", "/api/v1/comments/{comment_id:id}/endorsement"): Call((401,) * 4),
    # Nobody here wrote the world's comment, so everyone signed in may endorse it.
    ("POST", "/comments/{comment_id:id}/endorsement"): Call(SIGNED_IN_WRITE, {"action": "endorse"}),
    ("POST", "/consultations/{slug}/p/{key}/comments"): Call(
        SIGNED_IN_WRITE, {"body": "A comment.", "stance": "support", "attribution": "group"}
    ),
    ("POST", "/consultations"): Call(
        EDITOR_WRITE,
        {"title": "Routing security", "slug": "routing-{role}", "markdown": "MANRS matters."},
    ),
    ("POST", "/consultations/{slug}/status"): Call(EDITOR_WRITE, {"status": "open"}),
    # Before the disposition below changes the accepted thread to "noted".
    ("POST", "/consultations/{slug}/suggestions/apply"): Call(
        EDITOR_WRITE, {"comments": "{comment_id}", "version": "1"}
    ),
    # Nobody here commented in the thread, so nobody may contest it (nor answer a contest).
    ("POST", "/consultations/{slug}/threads/{thread_id:id}/contest"): Call(
        (401, 403, 403, 403), {"reason": "I disagree."}
    ),
    ("POST", "/consultations/{slug}/threads/{thread_id:id}/contest/answer"): Call(
        (401, 403, 404, 404), {"answer": "Because."}
    ),
    ("POST", "/consultations/{slug}/period"): Call(
        EDITOR_WRITE, {"opens_at": "2026-11-01T00:00", "closes_at": "2026-12-31T00:00"}
    ),
    ("POST", "/consultations/{slug}/threads/{thread_id:id}/disposition"): Call(
        EDITOR_WRITE, {"disposition": "noted", "rationale": "Noted for the brief."}
    ),
    # The world's thread is on its paragraph: editors may re-anchor, but not this one (409).
    ("POST", "/consultations/{slug}/threads/{thread_id:id}/move"): Call(
        (401, 403, 409, 409), {"key": "{key}"}
    ),
    ("POST", "/consultations/{slug}/threads/{thread_id:id}/close"): Call(
        (401, 403, 409, 409), {"reason": "Gone from the draft."}
    ),
    ("POST", "/briefs"): Call(
        EDITOR_WRITE,
        {
            "title": "Another brief",
            "slug": "another-{role}",
            "language": "en",
            "body_markdown": "Text.",
        },
    ),
    ("POST", "/briefs/{slug}/revise"): Call(EDITOR_WRITE),
    ("POST", "/briefs/{slug}/edit"): Call(
        EDITOR_WRITE,
        {"title": "Matrix brief", "body_markdown": "Corrected. [[thread:{thread_id}]]"},
    ),
    ("POST", "/briefs/{slug}/publish"): Call(EDITOR_WRITE, {"confirm_undecided": "1"}),
    ("POST", "/consultations/{slug}/versions"): Call(
        EDITOR_WRITE, {"markdown": "{source}", "change_note": "Same text again"}
    ),
    ("POST", "/signup"): Call(
        PUBLIC,
        {"name": "New {role}", "email": "new-{role}@example.org", "password": "a long passphrase"},
    ),
    ("POST", "/verify/resend"): Call(SIGNED_IN_WRITE),
    ("POST", "/password/forgot"): Call(PUBLIC, {"email": "nobody@example.org"}),
    ("POST", "/password/reset/{secret}"): Call((400,) * 4, {"password": "a long passphrase"}),
    ("POST", "/signin"): Call((401,) * 4, {"email": "nobody@example.org", "password": "wrong"}),
    ("POST", "/account/profile"): Call(
        SIGNED_IN_WRITE,
        {
            "name": "Matrix {role}",
            "stakeholder_group": "civil_society",
            "organisation": "Matrix Org",
            "country": "UA",
        },
    ),
    ("POST", "/account/notifications"): Call(
        SIGNED_IN_WRITE,
        {
            "language": "uk",
            "timezone": "Europe/Kyiv",
            "notify_frequency": "daily",
            "digest_hour": "8",
            "digest_weekday": "0",
        },
    ),
    ("POST", "/follow/{kind}/{target_id:id}"): Call(
        SIGNED_IN_WRITE, {"action": "follow", "next": "/consultations/matrix"}
    ),
    ("POST", "/notifications/read"): Call(SIGNED_IN_WRITE),
    ("POST", "/unsubscribe/{token}"): Call((400,) * 4),
    ("POST", "/account/tokens"): Call((401, OK, OK, OK), {"name": "matrix", "scope": "read"}),
    ("POST", "/account/tokens/{token_id:id}/revoke"): Call((401, 404, 404, 404)),
    ("POST", "/account/delete"): Call((401, 422, 422, 422), {"email": "nobody@example.org"}),
    # Flag first (a hidden comment cannot be flagged), then keep, hide and restore it.
    ("POST", "/comments/{comment_id:id}/flags"): Call(SIGNED_IN_WRITE, {"reason": "spam"}),
    ("POST", "/api/v1/comments/{comment_id:id}/flags"): Call((401,) * 4, {"reason": "spam"}),
    ("POST", "/moderation/comments/{comment_id:id}/keep"): Call(EDITOR_WRITE, {"reason": "Fine."}),
    ("POST", "/moderation/comments/{comment_id:id}/hide"): Call(EDITOR_WRITE, {"reason": "Spam."}),
    ("POST", "/moderation/comments/{comment_id:id}/restore"): Call(
        EDITOR_WRITE, {"reason": "Not spam."}
    ),
    ("POST", "/admin/people/{user_id:id}/verify"): Call(ADMIN_WRITE),
    ("POST", "/admin/people/{user_id:id}/revoke"): Call(ADMIN_WRITE),
    ("POST", "/admin/mail/{event_id:id}/retry"): Call((401, 403, 403, 404)),  # none failed
    ("POST", "/signout/everywhere"): Call(SIGNED_IN_WRITE),
    ("POST", "/signout"): Call((MOVED,) * 4),
    # Browsers report CSP violations without cookies, so anyone may; a form is not a report.
    ("POST", "/csp-report"): Call((400,) * 4),
}


def route_table(routes: list[BaseRoute], prefix: str = "") -> set[tuple[str, str]]:
    """(method, path) for every route, descending into mounts (but not static files)."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, Route):
            found |= {(m, prefix + route.path) for m in route.methods or () if m != "HEAD"}
        elif isinstance(route, Mount) and route.routes:
            found |= route_table(list(route.routes), prefix + route.path)
    return found


def test_every_route_has_an_entry(app: Starlette) -> None:
    routes = route_table(list(app.routes))
    assert sorted(routes - MATRIX.keys()) == [], "add these routes to MATRIX"
    assert sorted(MATRIX.keys() - routes) == [], "these MATRIX entries have no route"


@pytest.fixture
def world(session: Session, clock: FixedClock) -> dict[str, str]:
    chief = editor(session, clock, email="chief@example.org")
    make_user(session, clock, role=Role.ADMIN, email="admin@example.org")
    participant = make_user(session, clock, email="participant@example.org")
    consultation = open_consultation(session, clock, slug="matrix", paragraphs=6, by=chief)
    author = make_user(session, clock, group=StakeholderGroup.ACADEMIA)
    suggestion = "Encryption protects the people who use the Internet."
    comment = comment_on(session, clock, consultation, author=author, suggestion=suggestion)
    SynthesisService(session, clock=clock).decide(
        comment.thread_id, editor=chief, decision=Decision.of("accepted", "Agreed.")
    )
    briefs = BriefService(session, clock=clock)
    briefs.create(
        chief,
        "matrix-brief",
        "Matrix brief",
        "en",
        ["encryption"],
        f"Our position. [[thread:{comment.thread_id}]]",
        consultation_slug="matrix",
    )
    briefs.publish("matrix-brief", chief, app_paths())
    service = ConsultationService(session, clock=clock)
    session.commit()
    return {
        "participant": participant.email,
        "participant_id": str(participant.id),
        "editor": chief.email,
        "admin": "admin@example.org",
        "key": comment.thread.paragraph_key,
        "thread_id": str(comment.thread_id),
        "comment_id": str(comment.id),
        "source": service.version(consultation).source,
    }


def fill(path: str, world: dict[str, str]) -> str:
    slug = "matrix-brief" if path.startswith(("/briefs", "/api/v1/briefs")) else "matrix"
    if path.startswith("/feeds/topics"):
        slug = "encryption"
    values = {"slug": slug, "code": "uk", "provider": "nowhere", "secret": "not-a-real-secret"}
    values |= {"number:id": "1", "old:id": "1", "new:id": "1"}
    values |= {"key": world["key"], "thread_id:id": world["thread_id"]}
    values["comment_id:id"] = world["comment_id"]
    values["token_id:id"] = values["event_id:id"] = "999999"
    values["user_id:id"] = world["participant_id"]
    values |= {"kind": "thread", "target_id:id": world["thread_id"], "token": "not-a-token"}
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(browser: Browser, world: dict[str, str], role: str) -> None:
    if role != "anonymous":
        browser.sign_in(world[role])
    column = ROLES.index(role)
    wrong = []
    for (method, path), call in MATRIX.items():
        url = fill(path, world)
        if method == "GET":
            status = browser.get(url).status_code
        elif method == "PUT":  # the API's only PUT: JSON, never a form
            status = browser.put(url, json=call.data).status_code
        elif method == "DELETE":  # the API's only DELETE: no body
            status = browser.delete(url).status_code
        else:
            data = {k: v.format(role=role, **world) for k, v in call.data.items()}
            status = browser.form(url, data).status_code
        if status != call.expected[column]:
            wrong.append(f"{method} {path}: expected {call.expected[column]}, got {status}")
    assert wrong == []
