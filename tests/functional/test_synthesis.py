"""Journey 2, synthesis, over HTTP: an editor gives every thread a disposition (with and
without htmx) and merges a suggestion; the commenter sees the result on the thread page."""

from __future__ import annotations

import httpx
import pytest
from bs4 import BeautifulSoup, Tag
from sqlalchemy.orm import Session

from app.urls import app_paths
from briefs.services import BriefService
from consultations.models import Thread
from core.clock import FixedClock
from core.enums import Disposition
from tests.factories import PASSWORD, make_user, open_consultation
from tests.functional.conftest import Browser, page
from tests.unit.briefs.conftest import Consulted, build_consulted

HTMX = {"HX-Request": "true"}


def one(html: BeautifulSoup | Tag, selector: str) -> Tag:
    """The element a person would look at; a missing one fails with its selector."""
    found = html.select_one(selector)
    assert found is not None, f"nothing matches {selector!r}"
    return found


@pytest.fixture
def consulted(session: Session, clock: FixedClock) -> Consulted:
    consulted = build_consulted(session, clock, password=PASSWORD)
    session.commit()
    return consulted


@pytest.fixture
def editor(browser: Browser, consulted: Consulted) -> Browser:
    browser.sign_in(consulted.editor.email)
    return browser


def submit(browser: Browser, form: Tag, **changes: str) -> httpx.Response:
    """Send a form as the browser would: its hidden fields and text areas, as filled in."""
    fields = {str(i["name"]): str(i.get("value", "")) for i in form.select("input[type=hidden]")}
    fields |= {str(t["name"]): t.get_text() for t in form.select("textarea")}
    return browser.form(str(form["action"]), fields | changes)


def disposition_url(consulted: Consulted, thread_id: int) -> str:
    return f"/consultations/{consulted.consultation.slug}/threads/{thread_id}/disposition"


def test_workspace_shows_every_thread_with_a_form(editor: Browser, consulted: Consulted) -> None:
    html = page(editor.get("/consultations/lawful-access/synthesis"))

    cards = html.select("article.synthesis-card")
    assert [card["id"] for card in cards] == [
        f"card-{consulted.named.thread_id}",
        f"card-{consulted.chatham.thread_id}",
        f"card-{consulted.organisation_only.thread_id}",
    ]
    chatham = one(html, f"#card-{consulted.chatham.thread_id}")
    options = [o["value"] for o in chatham.select("select[name=disposition] option")]
    assert options == ["", *(d.value for d in Disposition)]
    assert one(chatham, "form.disposition-form")["hx-post"] == disposition_url(
        consulted, consulted.chatham.thread_id
    )
    closed = one(chatham, ".apply-suggestion-closed").get_text()
    assert "Accept or partially accept" in closed  # undecided: nothing to apply yet
    assert html.select_one(f"#card-{consulted.named.thread_id} .apply-suggestion") is None
    assert "0 of 3 threads decided" in one(html, "#progress").get_text()
    assert "3 thread groups" in one(html, "#progress").get_text()


def test_disposition_without_javascript_redirects_to_the_card(
    editor: Browser, consulted: Consulted, session: Session
) -> None:
    thread_id = consulted.chatham.thread_id
    response = editor.form(
        disposition_url(consulted, thread_id),
        {"disposition": "partially_accepted", "rationale": "Kept the principle."},
    )

    assert response.status_code == 303
    assert response.headers["location"].endswith(f"/synthesis#card-{thread_id}")
    html = page(editor.get("/consultations/lawful-access/synthesis"))
    card = one(html, f"#card-{thread_id}")
    assert "Partially accepted" in one(card, ".disposition").get_text()
    assert one(card, "option[selected]")["value"] == "partially_accepted"
    assert html.select("article.synthesis-card")[-1]["id"] == f"card-{thread_id}"  # decided last
    session.expire_all()
    thread = session.get(Thread, thread_id)
    assert thread is not None and thread.disposition == Disposition.PARTIALLY_ACCEPTED


def test_disposition_with_htmx_swaps_only_the_card(editor: Browser, consulted: Consulted) -> None:
    thread_id = consulted.named.thread_id
    response = editor.form(
        disposition_url(consulted, thread_id),
        {"disposition": "noted", "rationale": ""},
        headers=HTMX,
    )

    assert response.status_code == 200
    fragment = page(response)
    assert fragment.select_one("html") is None
    card = one(fragment, f"article#card-{thread_id}")
    assert card is not None and "decided" in card["class"]
    assert "Noted" in one(card, ".disposition").get_text()


@pytest.mark.parametrize("htmx", [False, True])
def test_missing_rationale_is_explained_on_the_card(
    editor: Browser, consulted: Consulted, htmx: bool
) -> None:
    thread_id = consulted.chatham.thread_id
    response = editor.form(
        disposition_url(consulted, thread_id),
        {"disposition": "not_accepted", "rationale": "  "},
        headers=HTMX if htmx else {},
    )

    assert response.status_code == 422
    html = page(response)
    assert (html.select_one("html") is None) == htmx
    card = one(html, f"#card-{thread_id}")
    assert "rationale is required" in one(card, ".notice--error").get_text()
    assert one(card, "option[selected]")["value"] == "not_accepted"


def test_apply_suggestion_previews_then_publishes_a_new_version(
    editor: Browser, consulted: Consulted, anonymous: Browser
) -> None:
    thread_id, comment_id = consulted.chatham.thread_id, consulted.chatham.id
    editor.form(
        disposition_url(consulted, thread_id), {"disposition": "accepted", "rationale": "Y"}
    )
    card = one(page(editor.get("/consultations/lawful-access/synthesis")), f"#card-{thread_id}")
    preview_url = one(card, ".apply-suggestion a")["href"]
    assert preview_url == f"/consultations/lawful-access/suggestions/merge?comment={comment_id}"

    preview = page(editor.get(str(preview_url)))
    assert one(preview, ".merge-clean")
    assert "never" in one(preview, ".merge-diff ins").get_text()
    before = page(anonymous.get("/consultations/lawful-access")).select(".block-text")
    assert "never be weakened" not in before[1].get_text()  # a preview publishes nothing
    response = submit(editor, one(preview, "form.merge-form"))

    assert response.status_code == 303
    assert response.headers["location"] == "/consultations/lawful-access/diff/1..2"
    draft = page(anonymous.get("/consultations/lawful-access"))
    texts = [block.get_text(" ", strip=True) for block in draft.select(".block-text")]
    assert texts[1] == "Encryption protects end users and must never be weakened."
    card = one(page(editor.get("/consultations/lawful-access/synthesis")), f"#card-{thread_id}")
    assert "Applied in version 2, as Accepted" in one(card, ".applied-suggestion").get_text()


def test_a_suggestion_not_accepted_cannot_be_applied(editor: Browser, consulted: Consulted) -> None:
    thread_id, comment_id = consulted.chatham.thread_id, consulted.chatham.id
    editor.form(
        disposition_url(consulted, thread_id), {"disposition": "not_accepted", "rationale": "No."}
    )
    preview = editor.get(f"/consultations/lawful-access/suggestions/merge?comment={comment_id}")
    assert preview.status_code == 409
    applied = editor.form(
        "/consultations/lawful-access/suggestions/apply",
        {"comments": str(comment_id), "version": "1"},
    )
    assert applied.status_code == 409


def test_ids_from_another_consultation_are_not_found(
    editor: Browser, consulted: Consulted, session: Session, clock: FixedClock
) -> None:
    open_consultation(session, clock, slug="elsewhere", by=consulted.editor)
    session.commit()
    url = f"/consultations/elsewhere/threads/{consulted.named.thread_id}/disposition"
    assert editor.form(url, {"disposition": "noted"}).status_code == 404
    merge = f"/consultations/elsewhere/suggestions/merge?comment={consulted.chatham.id}"
    assert editor.get(merge).status_code == 404


def test_the_commenter_sees_disposition_and_where_it_landed(
    editor: Browser, consulted: Consulted, session: Session, clock: FixedClock
) -> None:
    thread_id = consulted.chatham.thread_id
    editor.form(
        disposition_url(consulted, thread_id), {"disposition": "accepted", "rationale": "Yes."}
    )
    briefs = BriefService(session, clock=clock)
    briefs.create(
        consulted.editor,
        "findings",
        "Findings",
        "en",
        [],
        f"[[thread:{thread_id}]]",
        "lawful-access",
    )
    briefs.publish("findings", consulted.editor, app_paths())
    session.commit()

    html = page(editor.get("/consultations/lawful-access/synthesis"))
    landed = one(html, f"#card-{thread_id} .cited-in a")
    assert landed["href"] == "/briefs/findings/v/1#para-1", "the paragraph that cites it"
    assert "Findings, version 1" in landed.get_text()


def test_participants_may_not_synthesise(
    browser: Browser, consulted: Consulted, session: Session, clock: FixedClock
) -> None:
    participant = make_user(session, clock)
    session.commit()
    browser.sign_in(participant.email)
    assert browser.get("/consultations/lawful-access/synthesis").status_code == 403
    decided = browser.form(
        disposition_url(consulted, consulted.named.thread_id), {"disposition": "noted"}
    )
    assert decided.status_code == 403
    applied = browser.form(
        "/consultations/lawful-access/suggestions/apply",
        {"comments": str(consulted.chatham.id), "version": "1"},
    )
    assert applied.status_code == 403


def test_anonymous_visitors_are_asked_to_sign_in(anonymous: Browser, consulted: Consulted) -> None:
    response = anonymous.get("/consultations/lawful-access/synthesis")
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")
    decided = anonymous.form(disposition_url(consulted, consulted.named.thread_id), {})
    assert decided.status_code == 401


def test_the_workspace_shows_progress_and_filters_its_queue(
    editor: Browser, consulted: Consulted
) -> None:
    chatham = consulted.chatham.thread_id
    editor.form(disposition_url(consulted, chatham), {"disposition": "noted", "rationale": ""})

    html = page(editor.get("/consultations/lawful-access/synthesis"))
    assert "1 of 3 threads decided" in one(html, "#progress").get_text()
    bar = one(html, "progress")
    assert (bar["value"], bar["max"]) == ("1", "3")
    filters = one(html, "form.synthesis-filters")
    assert [s["name"] for s in filters.select("select")] == [
        "status",
        "disposition",
        "group",
        "stance",
        "paragraph",
        "suggestion",
    ]
    assert all(filters.select_one(f"label[for={s['id']}]") for s in filters.select("select"))

    def cards(query: str) -> list[str]:
        found = page(editor.get(f"/consultations/lawful-access/synthesis?{query}"))
        return [str(card["id"]) for card in found.select("article.synthesis-card")]

    assert cards("status=decided") == [f"card-{chatham}"]
    assert cards("status=undecided&suggestion=no") == [
        f"card-{consulted.named.thread_id}",
        f"card-{consulted.organisation_only.thread_id}",
    ]
    assert cards("group=government") == [f"card-{consulted.named.thread_id}"]
    assert cards("disposition=noted&paragraph=2") == [f"card-{chatham}"]
    assert cards("disposition=accepted") == []
    chosen = page(editor.get("/consultations/lawful-access/synthesis?stance=amend"))
    assert one(chosen, "#filter-stance option[selected]")["value"] == "amend"
    assert "1 group matches" in one(chosen, ".synthesis-filters [role=status]").get_text()
