"""Moderation: a participant flags a comment, an editor hides and restores it with a reason,
the author is told by real SMTP, and every output shows the reason instead of the text;
the audit log page filters and exports what happened."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette

from accounts.models import Notification
from consultations.models import Comment, Consultation, Flag
from core.audit import AuditEvent
from core.clock import FixedClock
from tests.factories import comment_on, editor, make_user, open_consultation
from tests.functional.conftest import Browser, page, text_of
from tests.functional.test_reply_mail import mail_app
from tests.smtp import Inbox, smtp_server

HOSTILE = '<script>alert(1)</script>" hx-get="/x'
SECRET = "My neighbour Petro Ivanenko lives at 5 Khreshchatyk, flat 12."


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    with smtp_server() as server:
        yield server


def _world(session: Session, clock: FixedClock) -> tuple[Consultation, Comment, Comment]:
    consultation = open_consultation(session, clock, slug="end-users")
    author = make_user(session, clock, email="olena@example.org", name="Olena")
    comment = comment_on(session, clock, consultation, author=author, ordinal=3, body=SECRET)
    replier = make_user(session, clock, email="taras@example.org")
    reply = comment_on(
        session, clock, consultation, author=replier, parent=comment, body="Please remove this."
    )
    return consultation, comment, reply


def test_flag_hide_restore_journey(
    sessions: sessionmaker[Session],
    session: Session,
    clock: FixedClock,
    tmp_path: Path,
    smtp: tuple[str, Inbox],
) -> None:
    url, inbox = smtp
    _consultation, comment, reply = _world(session, clock)
    flagger = make_user(session, clock, email="flagger@example.org")
    chief = editor(session, clock, name="Ivanna Editor", email="chief@example.org")
    session.commit()
    app: Starlette = mail_app(sessions, clock, tmp_path, url)
    key = comment.thread.paragraph_key
    paragraph = f"/consultations/end-users/p/{key}"

    with Browser(app, base_url="https://testserver", follow_redirects=False) as browser:
        browser.sign_in(flagger.email)
        shown = page(browser.get(paragraph))
        assert shown.select_one(f"#c-{comment.id} details.flag form") is not None
        # "Other" needs a note: the form comes back with the problem and what was typed.
        refused = browser.form(f"/comments/{comment.id}/flags", {"reason": "other"})
        assert refused.status_code == 422
        assert "Say what is wrong with the comment." in refused.text
        flagged = browser.form(
            f"/comments/{comment.id}/flags", {"reason": "personal_data", "note": HOSTILE}
        )
        assert flagged.status_code == 303
        assert flagged.headers["location"].endswith(f"{paragraph}#c-{comment.id}")
        again = page(browser.get(paragraph))
        assert "You flagged this comment" in text_of(again, f"#c-{comment.id}")
        twice = browser.form(
            f"/comments/{comment.id}/flags", {"reason": "spam"}, headers={"HX-Request": "true"}
        )
        assert twice.status_code == 409 and "flagged this comment already" in twice.text

    with Browser(app, base_url="https://testserver", follow_redirects=False) as browser:
        browser.sign_in(chief.email)
        queue = browser.get("/moderation")
        assert queue.status_code == 200
        item = page(queue).select_one(f"#m-{comment.id}")
        assert item is not None and "Personal data (1)" in item.get_text(" ")
        assert HOSTILE not in queue.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in queue.text
        empty = browser.form(f"/moderation/comments/{comment.id}/hide", {"reason": "  "})
        assert empty.status_code == 422 and "Give the reason." in empty.text
        hidden = browser.form(
            f"/moderation/comments/{comment.id}/hide", {"reason": f"Personal data {HOSTILE}"}
        )
        assert hidden.status_code == 303
        editor_view = page(browser.get(paragraph))
        assert SECRET in text_of(editor_view, f"#c-{comment.id} details.hidden-text")
        app.state.worker.run_once()
        app.state.worker.run_once()

    [mail] = [m for m in inbox.messages if "hid your comment" in m["Subject"]]
    assert mail["To"] == "olena@example.org"
    assert "hid your comment" in mail["Subject"]
    text = mail.get_content()
    assert f"Personal data {HOSTILE}" in text
    assert f"https://roundtable.example{paragraph}#c-{comment.id}" in text

    with Browser(app, base_url="https://testserver") as reader:
        public = reader.get(paragraph)
        assert SECRET not in public.text
        note = text_of(page(public), f"#c-{comment.id} .hidden-note")
        assert note.startswith("Hidden by a moderator:") and "Personal data" in note
        assert HOSTILE not in public.text  # escaped, never markup
        assert "Please remove this." in text_of(page(public), f"#c-{reply.id}")  # replies stay
        exported = reader.get("/consultations/end-users/comments.csv").text
        assert SECRET not in exported and "Personal data" in exported
        threads = reader.get("/api/v1/consultations/end-users/threads").json()["items"]
        [shown_comment] = [c for t in threads for c in t["comments"] if c["id"] == comment.id]
        assert shown_comment["body"] == "" and shown_comment["hidden_by_moderator"]

    with Browser(app, base_url="https://testserver", follow_redirects=False) as browser:
        browser.sign_in("olena@example.org")
        own = page(browser.get(paragraph))
        assert SECRET in text_of(own, f"#c-{comment.id} details.hidden-text")

    with Browser(app, base_url="https://testserver", follow_redirects=False) as browser:
        browser.sign_in(chief.email)
        restored = browser.form(
            f"/moderation/comments/{comment.id}/restore", {"reason": "The address was public."}
        )
        assert restored.status_code == 303
        app.state.worker.run_once()

    restored_mail = [m for m in inbox.messages if "restored" in m["Subject"]]
    assert len(restored_mail) == 1 and "The address was public." in restored_mail[0].get_content()
    session.expire_all()
    assert session.get(Comment, comment.id).hidden_at is None  # type: ignore[union-attr]
    flag = session.scalars(select(Flag)).one()
    assert flag.resolution == "hidden" and flag.note == HOSTILE
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-3:] == ["comment.flag", "comment.hide", "comment.restore"]
    kinds = session.scalars(select(Notification.kind).order_by(Notification.id)).all()
    assert {"comment_hidden", "comment_restored"} <= set(kinds)


def test_flag_with_htmx_swaps_only_the_comment(
    app: Starlette, session: Session, clock: FixedClock
) -> None:
    _consultation, comment, _reply = _world(session, clock)
    flagger = make_user(session, clock)
    session.commit()
    with Browser(app, follow_redirects=False) as browser:
        browser.sign_in(flagger.email)
        response = browser.form(
            f"/comments/{comment.id}/flags", {"reason": "spam"}, headers={"HX-Request": "true"}
        )
        assert response.status_code == 200
        fragment = page(response)
        assert fragment.select_one("html") is None
        assert "You flagged this comment" in text_of(fragment, f"#c-{comment.id}")


def test_participants_cannot_moderate_nor_read_the_audit_log(
    app: Starlette, session: Session, clock: FixedClock
) -> None:
    _consultation, comment, _reply = _world(session, clock)
    person = make_user(session, clock)
    session.commit()
    with Browser(app, follow_redirects=False) as browser:
        assert browser.form(f"/comments/{comment.id}/flags", {"reason": "spam"}).status_code == 401
        browser.sign_in(person.email)
        assert browser.get("/moderation").status_code == 403
        assert browser.get("/audit").status_code == 403
        assert browser.get("/audit.csv").status_code == 403
        hide = browser.form(f"/moderation/comments/{comment.id}/hide", {"reason": "no"})
        assert hide.status_code == 403
    session.expire_all()
    assert session.get(Comment, comment.id).hidden_at is None  # type: ignore[union-attr]


def test_audit_log_filters_and_csv(app: Starlette, session: Session, clock: FixedClock) -> None:
    consultation, comment, _reply = _world(session, clock)
    other = open_consultation(session, clock, slug="other-one")
    stranger = comment_on(session, clock, other, author=make_user(session, clock), body="=1+1")
    chief = editor(session, clock, name="Ivanna Editor")
    session.commit()
    with Browser(app, follow_redirects=False) as browser:
        browser.sign_in(chief.email)
        for target, reason in ((comment.id, "Personal data"), (stranger.id, "=HYPERLINK(1)")):
            assert (
                browser.form(f"/moderation/comments/{target}/hide", {"reason": reason}).status_code
                == 303
            )
        log = page(
            browser.get("/audit", params={"action": "comment.hide", "consultation": "end-users"})
        )
        rows = log.select("table.audit-log tbody tr")
        assert len(rows) == 1 and f"comment {comment.id}" in rows[0].get_text(" ")
        assert "Ivanna Editor" in rows[0].get_text(" ")
        exported = browser.get(
            "/audit.csv", params={"action": "comment.hide", "actor": str(chief.id)}
        )
        assert exported.headers["content-type"].startswith("text/csv")
        table = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
        assert table[0] == ["created_at", "actor", "action", "subject", "details"]
        assert len(table) == 3
        assert all(not cell.startswith("=") for row in table for cell in row)
        day = clock.now().date()
        later = browser.get("/audit", params={"from": (day.replace(year=day.year + 1)).isoformat()})
        assert page(later).select_one("table.audit-log td.empty") is not None
    assert consultation.slug == "end-users"
