"""Living drafts: threads carried across versions, shown in place when outdated, and the
editors' re-anchor queue (plain forms and htmx), with the commenters told by real SMTP."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accounts.models import User
from consultations.models import Consultation, Thread
from core.clock import FixedClock
from core.enums import ThreadState
from tests.factories import comment_on, editor, make_user, open_consultation
from tests.functional.conftest import Browser, page
from tests.functional.test_reply_mail import mail_app
from tests.smtp import smtp_server

INTRO = "Routing security is a shared responsibility of every network operator on the Internet."
FILTERS = (
    "Operators should filter the routes their customers announce, using the registries of "
    "route objects and RPKI, so that a mistake at one network does not spread to all."
)
MANRS = "Delete this paragraph about the MANRS programme and its four actions entirely."
V1 = f"# Routing\n\n{INTRO}\n\n{FILTERS}\n\n{MANRS}\n"
# Version 2: the intro edited, the filtering paragraph reworded beyond following, MANRS gone.
INTRO_2 = INTRO.replace("a shared responsibility", "the shared responsibility")
FILTERS_2 = "Check customer announcements with RPKI: one network's mistake must stay local."
V2 = f"# Routing\n\n{INTRO_2}\n\n{FILTERS_2}\n"


def _world(
    session: Session, clock: FixedClock, language: str = "en"
) -> tuple[Consultation, dict[str, Thread]]:
    chief = editor(session, clock, email="chief@example.org", name="Ivanna Editor")
    consultation = open_consultation(
        session, clock, markdown=V1, slug="routing", by=chief, language=language
    )
    olena = make_user(session, clock, email="olena@example.org", name="Olena")
    taras = make_user(session, clock, email="taras@example.org", name="Taras")
    threads = {
        name: comment_on(session, clock, consultation, author=author, ordinal=ordinal).thread
        for name, author, ordinal in [
            ("intro", olena, 2),
            ("filters", olena, 3),
            ("manrs", taras, 4),
        ]
    }
    session.commit()
    return consultation, threads


def _publish(browser: Browser, markdown: str) -> None:
    response = browser.form(
        "/consultations/routing/versions", {"markdown": markdown, "change_note": "Tighter"}
    )
    assert response.status_code == 303


def test_outdated_threads_show_in_place_with_the_text_they_were_written_on(
    browser: Browser, session: Session, clock: FixedClock
) -> None:
    _consultation, threads = _world(session, clock)
    browser.sign_in("chief@example.org")
    _publish(browser, V2)
    _publish(browser, V2.replace("# Routing", "# Routing security"))  # ¶2 left alone

    draft = page(browser.get("/consultations/routing"))
    intro = threads["intro"]
    session.refresh(intro)
    assert intro.state == ThreadState.OUTDATED  # against version 1, not version 2
    details = draft.select_one(f"#p-{intro.paragraph_key} details.outdated-threads")
    assert details is not None
    assert "1 outdated comment thread, written on version 1" in details.summary.get_text()  # type: ignore[union-attr]
    assert INTRO in details.get_text() and "a shared" in details.get_text()
    assert "1 comment" in draft.select_one(f"#p-{intro.paragraph_key} .margin-count").get_text()  # type: ignore[union-attr]
    margin = page(browser.get(f"/consultations/routing/p/{intro.paragraph_key}"))
    outdated = margin.select_one(f"#t-{intro.id} details.outdated")
    assert outdated is not None and INTRO in outdated.get_text()

    api = browser.get("/api/v1/consultations/routing/threads").json()["items"]
    by_id = {item["id"]: item for item in api}
    assert by_id[intro.id] | {"comments": []} == by_id[intro.id] | {
        "state": "outdated",
        "outdated": True,
        "written_on_version": 1,
        "quote": None,
        "comments": [],
    }
    assert by_id[threads["manrs"].id]["state"] == "orphaned"


def test_the_queue_moves_one_thread_and_closes_another_with_plain_forms(
    browser: Browser, session: Session, clock: FixedClock
) -> None:
    _consultation, threads = _world(session, clock)
    browser.sign_in("chief@example.org")
    _publish(browser, V2)
    filters, manrs = threads["filters"], threads["manrs"]
    session.refresh(filters)
    assert filters.state == ThreadState.ORPHANED

    queue = page(browser.get("/consultations/routing/reanchor"))
    card = queue.select_one(f"#orphan-{filters.id}")
    assert card is not None and FILTERS in card.select_one("blockquote").get_text()  # type: ignore[union-attr]
    choices = card.select("input[name=key]")
    first = card.select_one("label.candidate")
    assert (
        first is not None
        and "similarity" in first.get_text()
        and FILTERS_2[:30] in first.get_text()
    )
    target = str(choices[0]["value"])

    moved = browser.form(f"/consultations/routing/threads/{filters.id}/move", {"key": target})
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/consultations/routing/reanchor#orphan-{filters.id}"
    refused = browser.form(f"/consultations/routing/threads/{manrs.id}/close", {"reason": "  "})
    assert refused.status_code == 422
    assert "Say why the thread is closed." in page(refused).select_one(".notice--error").get_text()  # type: ignore[union-attr]
    wrong = browser.form(f"/consultations/routing/threads/{manrs.id}/move", {"key": "nosuchkey"})
    assert wrong.status_code == 422
    closed = browser.form(
        f"/consultations/routing/threads/{manrs.id}/close", {"reason": "MANRS has its own page."}
    )
    assert closed.status_code == 303
    again = browser.form(f"/consultations/routing/threads/{manrs.id}/close", {"reason": "Twice."})
    assert again.status_code == 409

    session.expire_all()
    filters, manrs = session.get_one(Thread, filters.id), session.get_one(Thread, manrs.id)
    assert (filters.state, filters.paragraph_key, filters.moved_from) == (
        ThreadState.MOVED,
        target,
        threads["filters"].origin_key,
    )
    assert (manrs.state, manrs.closed_reason) == (ThreadState.CLOSED, "MANRS has its own page.")
    assert len(filters.comments) == 1  # it keeps its history
    empty = page(browser.get("/consultations/routing/reanchor"))
    assert "No thread waits to be re-anchored." in empty.get_text()
    new_home = page(browser.get(f"/consultations/routing/p/{target}"))
    assert "Moved here by an editor" in new_home.select_one(f"#t-{filters.id}").get_text()  # type: ignore[union-attr]
    old_home = page(browser.get(f"/consultations/routing/p/{manrs.paragraph_key}"))
    assert "MANRS has its own page." in old_home.select_one(f"#t-{manrs.id} .closed").get_text()  # type: ignore[union-attr]
    states = {
        item["id"]: item["state"]
        for item in browser.get("/api/v1/consultations/routing/threads").json()["items"]
    }
    assert states == {threads["intro"].id: "outdated", filters.id: "moved", manrs.id: "closed"}


def test_with_htmx_the_card_is_swapped_and_participants_are_refused(
    browser: Browser, session: Session, clock: FixedClock
) -> None:
    _consultation, threads = _world(session, clock)
    browser.sign_in("chief@example.org")
    _publish(browser, V2)
    manrs = threads["manrs"]
    htmx = {"HX-Request": "true"}

    refused = browser.form(
        f"/consultations/routing/threads/{manrs.id}/close", {"reason": ""}, headers=htmx
    )
    assert refused.status_code == 422
    assert page(refused).select_one(f"article#orphan-{manrs.id} .notice--error") is not None
    closed = browser.form(
        f"/consultations/routing/threads/{manrs.id}/close",
        {"reason": "Out of scope."},
        headers=htmx,
    )
    assert closed.status_code == 200
    card = page(closed).select_one(f"article#orphan-{manrs.id}")
    assert card is not None and "Out of scope." in card.get_text() and card.form is None

    browser.cookies.clear()
    browser.sign_in("taras@example.org")
    assert browser.get("/consultations/routing/reanchor").status_code == 403
    filters = threads["filters"]
    moved = browser.form(f"/consultations/routing/threads/{filters.id}/move", {"key": "x"})
    assert moved.status_code == 403


def test_commenters_are_told_in_their_own_language(
    sessions: sessionmaker[Session], session: Session, clock: FixedClock, tmp_path: Path
) -> None:
    _consultation, threads = _world(session, clock, language="uk")
    for person in session.scalars(select(User).where(User.email != "chief@example.org")):
        person.language = "uk"  # the commenters read Ukrainian (mail follows the reader)
    session.commit()
    with smtp_server(receipts_apart=True) as (url, inbox):
        app = mail_app(sessions, clock, tmp_path, url)
        with Browser(app, base_url="https://testserver", follow_redirects=False) as browser:
            browser.sign_in("chief@example.org")
            _publish(browser, V2)
            app.state.worker.run_once()
            orphaned = {message["To"]: message for message in inbox.messages}
            assert set(orphaned) == {"olena@example.org", "taras@example.org"}
            body = orphaned["taras@example.org"].get_content()
            assert "чекає на перенесення" in orphaned["taras@example.org"]["Subject"]
            assert "Вітаємо, Taras!" in body
            assert "https://roundtable.example/consultations/routing/diff/1..2" in body

            manrs, filters = threads["manrs"], threads["filters"]
            queue = page(browser.get("/consultations/routing/reanchor"))
            target = queue.select_one(f"#orphan-{filters.id} input[name=key]")["value"]  # type: ignore[index]
            browser.form(f"/consultations/routing/threads/{filters.id}/move", {"key": str(target)})
            browser.form(f"/consultations/routing/threads/{manrs.id}/close", {"reason": "Дубль."})
            app.state.worker.run_once()
            app.state.worker.run_once()

    later = inbox.messages[2:]
    assert len(later) == 2, "one mail per commenter and act, sent once"
    moved = next(m for m in later if m["To"] == "olena@example.org")
    assert "перенесено" in moved["Subject"]
    link = f"https://roundtable.example/consultations/routing/p/{target}#t-{filters.id}"
    assert link in moved.get_content()
    closed = next(m for m in later if m["To"] == "taras@example.org")
    assert "закрито" in closed["Subject"] and "Дубль." in closed.get_content()
