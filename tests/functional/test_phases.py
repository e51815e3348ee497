"""Phases on time, without a button: scheduled → open → closed follow `opens_at` and
`closes_at`, and every listing, filter, feed, API response and page agrees at any moment.

The app runs on the test's own clock (`clock` fixture): advancing it is time passing for
every request, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from bs4 import BeautifulSoup, Tag
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from consultations import policy
from consultations.models import Consultation
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import ConsultationStatus, Phase
from tests.factories import editor, make_user
from tests.functional.conftest import Browser, page, text_of

API = "/api/v1"
DAY = timedelta(days=1)


@dataclass
class Calendar:
    """`timed`: a draft given a period (opens in 2 days, closes 3 days later), no button
    ever pressed; `early`: open now for 30 days, closed early by its editor tomorrow."""

    chief: User
    start: datetime


@pytest.fixture
def calendar(session: Session, clock: FixedClock) -> Calendar:
    chief = editor(session, clock)
    service = ConsultationService(session, clock=clock)
    start = clock.now()
    service.create(
        editor=chief,
        slug="timed",
        title="Data retention",
        markdown="Traffic data is kept for twelve months.",
        topics=["privacy"],
        opens_at=start + 2 * DAY,
        closes_at=start + 5 * DAY,
    )
    early = service.create(
        editor=chief,
        slug="early",
        title="Lawful access",
        markdown="Encryption must not be weakened.",
        topics=["privacy"],
        opens_at=start,
        closes_at=start + 30 * DAY,
    )
    service.set_status(early, ConsultationStatus.OPEN, editor=chief)
    session.commit()
    return Calendar(chief, start)


def listed(browser: Browser, status: str | None = None) -> dict[str, str]:
    """The listing page's consultations (filtered by `status`) with their badges."""
    url = "/consultations" + (f"?status={status}" if status else "")
    html = page(browser.get(url))
    return {
        card.a["href"].rsplit("/", 1)[-1]: card.select_one(".badge").get_text()  # type: ignore[index,union-attr]
        for card in html.select("li.card")
    }


def api_listed(browser: Browser, status: str | None = None) -> dict[str, str]:
    response = browser.get(f"{API}/consultations", params={"status": status} if status else {})
    assert response.status_code == 200, response.text
    return {item["slug"]: item["status"] for item in response.json()["items"]}


def fed(browser: Browser) -> dict[str, str]:
    """Each consultation's phase in the Atom feed (its category in the status scheme)."""
    feed = BeautifulSoup(browser.get("/feeds/consultations.atom").content, "xml")
    phases = {}
    for entry in feed.select("entry"):
        link = entry.select_one("link")
        category = entry.find("category", scheme="http://testserver/consultations")
        assert link is not None and isinstance(category, Tag)
        phases[str(link["href"]).rsplit("/", 1)[-1]] = str(category["term"])
    return phases


def everywhere(browser: Browser, expected: dict[str, str]) -> None:
    """Every surface says each consultation is in its `expected` phase, and each filter
    (page and API) keeps exactly the consultations in that phase."""
    labels = {"scheduled": "Scheduled", "open": "Open", "closed": "Closed"}
    assert listed(browser) == {slug: labels[phase] for slug, phase in expected.items()}
    assert api_listed(browser) == expected
    assert fed(browser) == expected
    for phase in ("scheduled", "open", "closed"):
        wanted = {slug for slug, value in expected.items() if value == phase}
        assert set(listed(browser, phase)) == wanted, phase
        assert set(api_listed(browser, phase)) == wanted, phase
    for slug, phase in expected.items():
        body = browser.get(f"{API}/consultations/{slug}").json()
        assert body["status"] == phase
        assert body["accepting_comments"] is (phase == "open")
        assert (
            text_of(page(browser.get(f"/consultations/{slug}")), ".page-header .badge")
            == (labels[phase])
        )
    home = page(browser.get("/"))
    cards = home.select("#open-title ~ ul .card > a")
    open_now = {str(a["href"]).rsplit("/", 1)[-1] for a in cards}
    assert open_now == {slug for slug, phase in expected.items() if phase == "open"}


def note(browser: Browser, slug: str, **headers: str) -> str:
    return text_of(page(browser.get(f"/consultations/{slug}", headers=headers)), ".period")


def test_the_phases_follow_the_clock_everywhere(
    browser: Browser, calendar: Calendar, clock: FixedClock
) -> None:
    everywhere(browser, {"timed": "scheduled", "early": "open"})
    assert note(browser, "timed") == "Comments open in 2 days, on 2026-11-04 09:00 UTC"
    assert note(browser, "early") == "Comments close in 30 days, on 2026-12-02 09:00 UTC"

    clock.advance(2 * DAY)  # the timed one's opening time: open, with no one pressing a button
    everywhere(browser, {"timed": "open", "early": "open"})
    assert note(browser, "timed") == "Comments close in 3 days, on 2026-11-07 09:00 UTC"

    clock.advance(3 * DAY - timedelta(hours=5))
    assert note(browser, "timed") == "Comments close in 5 hours, on 2026-11-07 09:00 UTC"
    clock.advance(timedelta(hours=5) - timedelta(minutes=1))
    assert note(browser, "timed") == "Comments close in 1 minute, on 2026-11-07 09:00 UTC"

    clock.advance(timedelta(minutes=1))  # its closing time, to the second
    everywhere(browser, {"timed": "closed", "early": "open"})
    assert note(browser, "timed") == "Comments closed on 2026-11-07 09:00 UTC"


def test_a_comment_is_refused_before_the_opening_and_after_the_closing(
    browser: Browser, calendar: Calendar, session: Session, clock: FixedClock
) -> None:
    person = make_user(session, clock)
    session.commit()
    browser.sign_in(person.email)
    consultation = session.scalars(select(Consultation).where(Consultation.slug == "timed")).one()
    key = ConsultationService(session, clock=clock).paragraphs(consultation.versions[0])[0].key
    form = {"body": "Twelve is too long.", "stance": "oppose", "attribution": "named"}
    url = f"/consultations/timed/p/{key}/comments"

    assert browser.form(url, form).status_code == 409
    clock.advance(2 * DAY)
    assert browser.form(url, form).status_code == 303
    clock.advance(3 * DAY)
    assert browser.form(url, form).status_code == 409


def test_an_editors_action_wins_over_the_clock(
    browser: Browser, calendar: Calendar, session: Session, clock: FixedClock
) -> None:
    service = ConsultationService(session, clock=clock)
    clock.advance(DAY)
    service.set_status(service.get("early"), ConsultationStatus.CLOSED, editor=calendar.chief)
    session.commit()

    everywhere(browser, {"timed": "scheduled", "early": "closed"})
    assert note(browser, "early") == "Comments closed on 2026-11-03 09:00 UTC"

    clock.advance(2 * DAY)  # the timed one opens; the closed one stays closed
    service.set_status(service.get("timed"), ConsultationStatus.ARCHIVED, editor=calendar.chief)
    session.commit()
    assert api_listed(browser) == {"timed": "archived", "early": "closed"}
    assert set(listed(browser, "archived")) == {"timed"}


def test_the_editor_sees_the_phase_too(
    browser: Browser, calendar: Calendar, clock: FixedClock
) -> None:
    browser.sign_in(calendar.chief.email)
    manage = "/consultations/timed/manage"
    assert "Scheduled" in text_of(page(browser.get(manage)), "#status-title + p")
    clock.advance(2 * DAY)
    assert "Open" in text_of(page(browser.get(manage)), "#status-title + p")


def test_a_draft_without_an_opening_time_stays_a_draft(
    browser: Browser, anonymous: Browser, calendar: Calendar, session: Session, clock: FixedClock
) -> None:
    service = ConsultationService(session, clock=clock)
    service.create(editor=calendar.chief, slug="private", title="Private", markdown="Text.")
    session.commit()
    clock.advance(400 * DAY)

    assert "private" not in api_listed(anonymous)
    assert anonymous.get("/consultations/private").status_code == 404
    browser.sign_in(calendar.chief.email)
    assert listed(browser)["private"] == "Draft"


@pytest.mark.parametrize(
    ("days", "words"),
    [(1, "через 1 день"), (3, "через 3 дні"), (5, "через 5 днів"), (21, "через 21 день")],
)
def test_the_countdown_has_ukrainian_plural_forms(
    browser: Browser, session: Session, clock: FixedClock, days: int, words: str
) -> None:
    chief = editor(session, clock)
    ConsultationService(session, clock=clock).create(
        editor=chief,
        slug="soon",
        title="Скоро",
        markdown="Текст.",
        opens_at=clock.now() + days * DAY + timedelta(hours=1),
    )
    session.commit()

    assert note(browser, "soon", **{"Accept-Language": "uk"}).startswith(
        f"Прийом коментарів почнеться {words}"
    )


def test_the_sql_phase_and_the_python_phase_agree(session: Session, clock: FixedClock) -> None:
    """Every stored status with every kind of period, at moments around its edges."""
    chief = editor(session, clock)
    service = ConsultationService(session, clock=clock)
    start = clock.now()
    edges: list[timedelta | None] = [None, -DAY, timedelta(0), DAY]
    made = []
    for number, (status, opens, closes) in enumerate(
        itertools.product(ConsultationStatus, edges, edges)
    ):
        consultation = service.create(editor=chief, slug=f"c-{number}", title="T", markdown="Text.")
        consultation.status = status
        consultation.opens_at = start + opens if opens is not None else None
        consultation.closes_at = start + 2 * closes if closes is not None else None
        made.append(consultation)
    session.commit()
    for offset in (-2 * DAY, -DAY, timedelta(0), DAY, 2 * DAY, 3 * DAY):
        now = start + offset
        sql = dict(session.execute(select(Consultation.slug, policy.phase_sql(now))).all())
        assert {c.slug: policy.phase(c, now).value for c in made} == sql, offset
        assert {Phase(value) for value in sql.values()} <= set(Phase)


def test_an_unknown_status_filter_is_a_400_in_the_api(browser: Browser) -> None:
    response = browser.get(f"{API}/consultations", params={"status": "draft"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "status": "Must be one of: scheduled, open, closed, synthesis, published, archived."
    }
