"""The public consensus map: the page, its CSV and the API agree on the same counts and
scores, count anonymous and hidden comments as they must, and never name anyone."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from accounts.models import User
from consultations import endorsing, moderating, opinions
from consultations.models import Consultation
from consultations.moderating import ModerationDecision
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import StakeholderGroup
from tests.factories import comment_on, editor, make_user, open_consultation
from tests.functional.conftest import Browser, page, text_of

G = StakeholderGroup
HOSTILE_NAME = '<script>alert("name")</script>'
HOSTILE_ORGANISATION = '"><img src=x onerror=alert(1)> hx-get="/x"'
DRAFT = (
    "End users' interests must come first, including in encrypted protocols.\n\n"
    "Network operators may inspect traffic to keep the network running.\n\n"
    '=HYPERLINK("http://evil.example") lawful access must not weaken encryption.\n'
)


@dataclass
class World:
    consultation: Consultation
    chief: User

    @property
    def slug(self) -> str:
        return self.consultation.slug


def person(session: Session, clock: FixedClock, group: G) -> User:
    return make_user(
        session, clock, group=group, name=HOSTILE_NAME, organisation=HOSTILE_ORGANISATION
    )


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    """¶1: government and civil society support, private sector endorses the government's.
    ¶2: academia opposes; an anonymous government author opposes; a hidden comment supports.
    ¶3: government supports, civil society opposes (contested)."""
    chief = editor(session, clock)
    consultation = open_consultation(session, clock, slug="consensus", markdown=DRAFT, by=chief)
    consultation.allow_anonymous = True
    gov, civil, academia, industry = (
        person(session, clock, group)
        for group in (G.GOVERNMENT, G.CIVIL_SOCIETY, G.ACADEMIA, G.PRIVATE_SECTOR)
    )
    first = comment_on(session, clock, consultation, author=gov, ordinal=1)
    comment_on(session, clock, consultation, author=civil, ordinal=1, attribution="group")
    endorsing.endorse(session, clock, industry, first.id)
    comment_on(session, clock, consultation, author=academia, ordinal=2, stance="oppose")
    comment_on(
        session,
        clock,
        consultation,
        author=gov,
        ordinal=2,
        stance="oppose",
        attribution="anonymous",
    )
    hidden = comment_on(session, clock, consultation, author=civil, ordinal=2)
    moderating.hide_comment(session, clock, chief, hidden.id, ModerationDecision(reason="Spam."))
    comment_on(session, clock, consultation, author=gov, ordinal=3)
    comment_on(session, clock, consultation, author=civil, ordinal=3, stance="oppose")
    session.commit()
    return World(consultation, chief)


def api(anonymous: Browser, world: World, sort: str | None = None) -> dict[str, Any]:
    query = {"sort": sort} if sort else {}
    response = anonymous.get(f"/api/v1/consultations/{world.slug}/consensus", params=query)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def test_the_api_counts_by_group_and_scores_each_paragraph(
    anonymous: Browser, world: World
) -> None:
    first, second, third = api(anonymous, world)["paragraphs"]
    assert [p["ordinal"] for p in (first, second, third)] == [1, 2, 3]
    assert first["groups"]["government"]["support"] == 1
    assert first["groups"]["civil_society"]["support"] == 1
    assert sum(first["groups"]["private_sector"].values()) == 0  # an endorsement is no comment
    # Government, civil society and (by endorsing) the private sector each 1 of 1 support.
    assert first["bridging"] == pytest.approx((2 / 3) ** 3 * 0.5**2, abs=1e-6)
    assert first["agreement"] == pytest.approx(((2 / 3) ** 3 * 0.5**2) ** 0.2, abs=1e-4)
    assert first["contention"] == 0
    # The anonymous opposition is counted apart; the hidden support not at all.
    assert second["undisclosed"]["oppose"] == 1
    assert second["groups"]["government"]["oppose"] == 0
    assert second["groups"]["academia"]["oppose"] == 1
    assert sum(second["groups"]["civil_society"].values()) == 0
    assert third["contention"] == 1
    assert set(api(anonymous, world)["definitions"]) == {"agreement", "contention", "bridging"}


def test_the_orders_put_the_contested_and_the_agreed_first(
    anonymous: Browser, world: World
) -> None:
    assert next(p["ordinal"] for p in api(anonymous, world, "contention")["paragraphs"]) == 3
    assert next(p["ordinal"] for p in api(anonymous, world, "agreement")["paragraphs"]) == 1
    bad = anonymous.get(f"/api/v1/consultations/{world.slug}/consensus", params={"sort": "<b>"})
    assert bad.status_code == 400
    assert "<b>" not in bad.text


def test_the_page_shows_the_matrix_its_definitions_and_no_author(
    anonymous: Browser, world: World
) -> None:
    response = anonymous.get(
        f"/consultations/{world.slug}/consensus", params={"sort": "contention"}
    )
    assert response.status_code == 200
    html = page(response)
    rows = html.select("table.consensus-matrix tbody tr")
    assert [text_of(row, "td.ordinal") for row in rows] == ["¶3", "¶1", "¶2"]
    assert "contested" in rows[0]["class"]
    assert "Oppose 1" in text_of(rows[2], "td[data-label='Undisclosed']")
    assert text_of(html, ".sorts strong[aria-current]") == "most contested first"
    assert "Pol.is" in text_of(html, "#definitions")
    assert html.select("svg.stance-svg rect.fill--support")  # the bars are drawn
    # The bars are decoration beside their numbers, which are text.
    assert all(svg["aria-hidden"] == "true" for svg in html.select("svg.stance-svg"))
    for hostile in (HOSTILE_NAME, HOSTILE_ORGANISATION, "Person "):
        assert hostile not in response.text
    assert html.select("img") == [] and html.select("[onerror]") == []


def test_the_page_is_in_ukrainian_too(anonymous: Browser, world: World) -> None:
    response = anonymous.get(
        f"/consultations/{world.slug}/consensus", headers={"Accept-Language": "uk"}
    )
    assert response.status_code == 200
    html = page(response)
    assert text_of(html, "h2#consensus-title") == "Де групи згодні"
    assert "Згода" in text_of(html, "#definitions")


def test_the_csv_has_the_same_numbers_and_defuses_formulas(
    anonymous: Browser, world: World
) -> None:
    response = anonymous.get(f"/consultations/{world.slug}/consensus.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="consensus-consensus.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [row["ordinal"] for row in rows] == ["1", "2", "3"]
    assert rows[0]["government_support"] == "1" and rows[1]["undisclosed_oppose"] == "1"
    assert float(rows[0]["bridging"]) == pytest.approx((2 / 3) ** 3 * 0.5**2, abs=1e-6)
    assert rows[2]["text"].startswith("'=HYPERLINK")
    assert HOSTILE_NAME not in response.text


def test_a_draft_consultation_has_no_public_map(
    anonymous: Browser, session: Session, clock: FixedClock, world: World
) -> None:
    ConsultationService(session, clock=clock).create(
        editor=world.chief, slug="unpublished", title="Not yet", markdown=DRAFT
    )
    session.commit()
    for url in (
        "/consultations/unpublished/consensus",
        "/consultations/unpublished/consensus.csv",
        "/api/v1/consultations/unpublished/consensus",
    ):
        assert anonymous.get(url).status_code == 404, url


def test_an_empty_draft_says_so(anonymous: Browser, session: Session, clock: FixedClock) -> None:
    open_consultation(session, clock, slug="quiet", paragraphs=2)
    session.commit()
    html = page(anonymous.get("/consultations/quiet/consensus"))
    assert len(html.select("table.consensus-matrix tbody tr")) == 2
    assert text_of(html, "table.overall tbody") != ""
    data = anonymous.get("/api/v1/consultations/quiet/consensus").json()
    assert [p["agreement"] for p in data["paragraphs"]] == [0.5, 0.5]


def test_each_margin_shows_its_number_and_stances_by_group(
    anonymous: Browser, world: World
) -> None:
    html = page(anonymous.get(f"/consultations/{world.slug}"))
    blocks = html.select(".draft .block")
    assert [text_of(b, ".margin-ordinal") for b in blocks] == ["¶1", "¶2", "¶3"]
    first = blocks[0].select_one(".margin .visually-hidden:-soup-contains('Stances by group')")
    assert first is not None
    assert first.get_text() == "Stances by group: Government: Support 1; Civil society: Support 1."
    assert [t.get_text() for t in blocks[0].select("svg.margin-chart text")] == [
        "Gov.",
        "Civil soc.",
    ]
    # The hidden comment is not counted; the anonymous one is, in no group.
    assert [t.get_text() for t in blocks[1].select("svg.margin-chart text")] == [
        "Academia",
        "Undisclosed",
    ]
    assert blocks[2].select_one(".badge--contested") is not None
    assert blocks[0].select_one(".badge--contested") is None


@pytest.mark.parametrize(
    ("show", "ordinals"),
    [
        ("contested", ["¶3"]),
        ("agreed", ["¶1"]),
        ("unanswered", ["¶1", "¶2", "¶3"]),
        ("", ["¶1", "¶2", "¶3"]),
    ],
)
def test_the_filters_keep_the_paragraphs_they_name(
    anonymous: Browser, world: World, show: str, ordinals: list[str]
) -> None:
    html = page(anonymous.get(f"/consultations/{world.slug}", params={"show": show}))
    assert [text_of(b, ".margin-ordinal") for b in html.select(".draft .block")] == ordinals
    current = text_of(html, ".draft-filters strong[aria-current]")
    assert (
        current
        == {
            "": "All paragraphs",
            "contested": "Most contested",
            "agreed": "Most agreed",
            "unanswered": "Unanswered threads",
        }[show]
    )


def test_a_reply_answers_a_thread(
    anonymous: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    service = ConsultationService(session, clock=clock)
    for thread in service.threads(world.consultation, None):
        if thread.paragraph_key != service.paragraphs(service.version(world.consultation))[0].key:
            comment_on(
                session,
                clock,
                world.consultation,
                author=world.chief,
                parent=thread.comments[0],
                body="Thank you.",
            )
    session.commit()
    html = page(anonymous.get(f"/consultations/{world.slug}", params={"show": "unanswered"}))
    assert [text_of(b, ".margin-ordinal") for b in html.select(".draft .block")] == ["¶1"]
    assert "Showing 1 of 3 paragraphs." in text_of(html, "p.notice[role=status]")


def test_an_unknown_filter_shows_everything(anonymous: Browser, world: World) -> None:
    response = anonymous.get(f"/consultations/{world.slug}", params={"show": "<script>x</script>"})
    assert response.status_code == 200
    assert len(page(response).select(".draft .block")) == 3
    assert "<script>x" not in response.text


HEADED = (
    "# Scope\n\nEnd users first.\n\n## Encryption\n\nKeep it strong.\n\nNo back doors.\n\n"
    "# Routing\n\nSign the routes.\n"
)


def test_the_outline_lists_the_headings_with_their_sections_activity(
    anonymous: Browser, session: Session, clock: FixedClock
) -> None:
    consultation = open_consultation(session, clock, slug="headed", markdown=HEADED)
    gov, civil = person(session, clock, G.GOVERNMENT), person(session, clock, G.CIVIL_SOCIETY)
    comment_on(session, clock, consultation, author=gov, ordinal=4)  # "Keep it strong."
    comment_on(session, clock, consultation, author=civil, ordinal=4, stance="oppose")
    comment_on(session, clock, consultation, author=gov, ordinal=7)
    session.commit()
    html = page(anonymous.get("/consultations/headed"))
    items = html.select("nav.outline li")
    assert [a.get_text() for li in items for a in li.select("a")] == [
        "Scope",
        "Encryption",
        "Routing",
    ]
    assert [text_of(li, ".meta") for li in items] == [
        "2 threads · 1 contested",
        "2 threads · 1 contested",
        "1 thread",
    ]
    assert items[1]["class"] == ["outline-level-2"]
    first_link = items[0].select_one("a")
    assert first_link is not None
    assert first_link["href"] == "#" + str(html.select(".draft .block")[0]["id"])


def test_participation_over_time_counts_each_day_by_group(
    anonymous: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    """The world's comments are all of one day; two days later, one more: three columns (the
    quiet day drawn as a gap), two rows of numbers; anonymous and hidden comments as they
    are everywhere (apart, and not at all)."""
    clock.advance(timedelta(days=2))
    comment_on(session, clock, world.consultation, author=person(session, clock, G.ACADEMIA))
    session.commit()
    for url in (f"/consultations/{world.slug}/consensus", f"/consultations/{world.slug}/manage"):
        visitor = anonymous
        if url.endswith("manage"):
            visitor.sign_in(world.chief.email)
        html = page(visitor.get(url))
        figure = html.select_one("figure.timeline-chart")
        assert figure is not None, url
        columns = {rect["x"] for rect in figure.select("svg.timeline-svg rect")}
        assert len(columns) == 2  # two days with comments; the quiet one between has none
        rows = figure.select("table tbody tr")
        assert [text_of(row, "th") for row in rows] == ["2026-11-02", "2026-11-04"]
        first, second = rows
        assert text_of(first, "td[data-label='Government']") == "2"  # the anonymous one apart
        assert text_of(first, "td[data-label='Undisclosed']") == "1"
        assert text_of(first, "td[data-label='Comments']") == "6"  # the hidden one left out
        assert text_of(second, "td[data-label='Academia']") == "1"
        assert "7 comments over 3 days; the busiest day had 6." in text_of(figure, "figcaption")


def test_opinion_groups_appear_once_enough_people_voted(
    anonymous: Browser,
    session: Session,
    clock: FixedClock,
    sessions: sessionmaker[Session],
) -> None:
    """Two camps that cut across the declared groups' lines: civil society and academia
    support ¶1 and ¶2 and oppose ¶3 and ¶4; government and industry the other way round."""
    consultation = open_consultation(session, clock, slug="camps", paragraphs=5)
    session.commit()
    assert opinions.refresh_due(sessions, clock) == 0  # no comment, nothing to group
    html = page(anonymous.get("/consultations/camps/consensus"))
    assert "so far 0 have" in text_of(html, "section.opinion-groups")
    camps = [
        ([G.CIVIL_SOCIETY] * 5 + [G.ACADEMIA] * 3, ("support", "support", "oppose", "oppose")),
        ([G.GOVERNMENT] * 4 + [G.PRIVATE_SECTOR] * 3, ("oppose", "oppose", "support", "support")),
    ]
    for groups, stances in camps:
        for group in groups:
            voter = person(session, clock, group)
            for ordinal, stance in enumerate(stances, start=1):
                comment_on(
                    session, clock, consultation, author=voter, ordinal=ordinal, stance=stance
                )
    # An anonymous voter counts in no opinion group (their group would show).
    consultation.allow_anonymous = True
    stranger = person(session, clock, G.TECHNICAL_COMMUNITY)
    for ordinal in (1, 2, 3):
        comment_on(
            session, clock, consultation, author=stranger, ordinal=ordinal, attribution="anonymous"
        )
    session.commit()
    clock.advance(opinions.REFRESH_EVERY)
    assert opinions.refresh_due(sessions, clock) == 1
    assert opinions.refresh_due(sessions, clock) == 0  # nothing new: not regrouped
    html = page(anonymous.get("/consultations/camps/consensus"))
    cards = html.select("section.opinion-groups li.opinion-group")
    assert [text_of(card, "h4") for card in cards] == ["Opinion group A", "Opinion group B"]
    first, second = (card.get_text(" ", strip=True) for card in cards)
    assert "8 people: Civil society 5, Academia 3" in first
    assert "Agrees on: ¶1 , ¶2" in first
    assert "7 people: Government 4, Private sector 3" in second
    assert "Technical community" not in first + second
    assert "Computed from 15 participants' votes." in text_of(html, "section.opinion-groups")
