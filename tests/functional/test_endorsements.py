"""Endorsing comments and suggestions over HTTP: the button with and without htmx, the
counts by stakeholder group on the comment and in the synthesis workspace."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import User
from consultations.models import Comment, Endorsement
from core.clock import FixedClock
from core.enums import StakeholderGroup
from tests.factories import comment_on, editor, make_user, open_consultation
from tests.functional.conftest import Browser, page, text_of

HTMX = {"HX-Request": "true"}
HOSTILE = ("<script>alert(1)</script>", '" hx-get="/x')


@dataclass
class World:
    comment: Comment
    author: User
    endorser: User
    chief: User

    @property
    def url(self) -> str:
        return f"/comments/{self.comment.id}/endorsement"

    @property
    def paragraph(self) -> str:
        return f"/consultations/endorse/p/{self.comment.thread.paragraph_key}"


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    chief = editor(session, clock, email="chief@example.org")
    consultation = open_consultation(session, clock, slug="endorse", paragraphs=3, by=chief)
    author = make_user(session, clock, name=HOSTILE[0], organisation=HOSTILE[1])
    comment = comment_on(
        session, clock, consultation, author=author, suggestion="End users come first."
    )
    endorser = make_user(session, clock, organisation=HOSTILE[0], group=StakeholderGroup.ACADEMIA)
    session.commit()
    return World(comment, author, endorser, chief)


def endorsements(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Endorsement)) or 0


def test_endorse_and_withdraw_without_javascript(
    browser: Browser, world: World, session: Session
) -> None:
    browser.sign_in(world.endorser.email)
    button = page(browser.get(world.paragraph)).select_one(f"#endorsement-{world.comment.id} form")
    assert button is not None and button["action"] == world.url

    first = browser.form(world.url, {"action": "endorse"})
    again = browser.form(world.url, {"action": "endorse"})

    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == f"{world.paragraph}#c-{world.comment.id}"
    assert endorsements(session) == 1
    html = page(browser.get(world.paragraph))
    block = f"#endorsement-{world.comment.id}"
    assert text_of(html, f"{block} .endorsement-counts") == "Endorsed by 1 person: 1 Academia"
    assert text_of(html, f"{block} button") == "Endorsed — withdraw endorsement"

    assert browser.form(world.url, {"action": "withdraw"}).status_code == 303
    assert endorsements(session) == 0
    html = page(browser.get(world.paragraph))
    assert html.select_one(f"{block} .endorsement-counts") is None
    assert text_of(html, f"{block} button") == "Endorse"


def test_with_htmx_only_the_endorsement_block_comes_back(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    for group in (StakeholderGroup.CIVIL_SOCIETY, StakeholderGroup.CIVIL_SOCIETY):
        endorser = make_user(session, clock, group=group)
        session.add(
            Endorsement(
                comment_id=world.comment.id,
                user_id=endorser.id,
                stakeholder_group=group,
                created_at=clock.now(),
            )
        )
    session.commit()
    browser.sign_in(world.endorser.email)

    response = browser.form(world.url, {"action": "endorse"}, headers=HTMX)

    assert response.status_code == 200
    html = page(response)
    [block] = html.select("div.endorsement")
    assert block["id"] == f"endorsement-{world.comment.id}"
    assert html.select("html, .comment-body") == []
    assert text_of(html, ".endorsement-counts") == (
        "Endorsed by 3 people: 1 Academia, 2 Civil society"
    )
    assert one_button(html) == ("withdraw", "true")

    withdrawn = page(browser.form(world.url, {"action": "withdraw"}, headers=HTMX))
    assert text_of(withdrawn, ".endorsement-counts") == "Endorsed by 2 people: 2 Civil society"
    assert one_button(withdrawn) == ("endorse", "false")


def one_button(html: BeautifulSoup) -> tuple[str, str]:
    action = html.select_one("input[name=action]")
    button = html.select_one("button")
    assert action is not None and button is not None
    return str(action["value"]), str(button["aria-pressed"])


def test_anonymous_visitors_see_counts_and_no_button_and_may_not_endorse(
    browser: Browser, world: World, session: Session
) -> None:
    assert browser.form(world.url, {"action": "endorse"}).status_code == 401
    assert endorsements(session) == 0
    html = page(browser.get(world.paragraph))
    assert html.select_one(f"#endorsement-{world.comment.id}") is not None
    assert html.select(".endorsement form") == []


def test_no_button_on_ones_own_comment(browser: Browser, world: World, session: Session) -> None:
    browser.sign_in(world.author.email)
    assert page(browser.get(world.paragraph)).select(".endorsement form") == []
    assert browser.form(world.url, {"action": "endorse"}).status_code == 403
    assert endorsements(session) == 0


def test_hostile_names_never_become_markup(browser: Browser, world: World) -> None:
    browser.sign_in(world.endorser.email)
    browser.form(world.url, {"action": "endorse"})
    fragment = browser.form(world.url, {"action": "endorse"}, headers=HTMX).text
    full = browser.get(world.paragraph).text

    for text in (fragment, full):
        assert "<script>alert(1)</script>" not in text
        assert '" hx-get="/x' not in text


def test_the_synthesis_workspace_shows_counts_by_group_without_buttons(
    browser: Browser, world: World
) -> None:
    browser.sign_in(world.endorser.email)
    browser.form(world.url, {"action": "endorse"})
    browser.get("/signout")
    browser.cookies.clear()
    browser.sign_in(world.chief.email)

    html = page(browser.get("/consultations/endorse/synthesis"))

    card = f"#card-{world.comment.thread_id}"
    assert text_of(html, f"{card} .endorsement-counts") == "Endorsed by 1 person: 1 Academia"
    assert html.select(f"{card} .endorsement form") == []


def test_counts_are_in_ukrainian_with_plurals(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    for _ in range(5):
        session.add(
            Endorsement(
                comment_id=world.comment.id,
                user_id=make_user(session, clock).id,
                stakeholder_group=StakeholderGroup.CIVIL_SOCIETY,
                created_at=clock.now(),
            )
        )
    session.commit()
    browser.get("/language/uk")
    browser.sign_in(world.endorser.email)

    html = page(browser.get(world.paragraph))

    block = f"#endorsement-{world.comment.id}"
    assert text_of(html, f"{block} .endorsement-counts") == (
        "Підтримали 5 осіб: 5 Громадянське суспільство"
    )
    assert text_of(html, f"{block} button") == "Підтримати"
