"""GET /api/v1/consultations/{slug}/threads: every thread and comment, attribution honoured."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from core.clock import FixedClock
from core.enums import Disposition, ThreadStatus
from tests.factories import comment_on, editor
from tests.functional.api.conftest import NAME, ORGANISATION, World
from tests.functional.api.support import API, assert_aware, assert_documented
from tests.functional.conftest import Browser

COMMENT_FIELDS = {
    "id",
    "parent_id",
    "body",
    "stance",
    "suggestion",
    "stakeholder_group",
    "author_label",
    "created_at",
    "hidden_by_moderator",
    "endorsements",
}


def test_threads_carry_their_comments_replies_and_disposition(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    opening = comment_on(
        session,
        clock,
        world.consultation,
        author=world.participant,
        ordinal=2,
        stance="amend",
        suggestion="End users come first.",
    )
    reply = comment_on(
        session,
        clock,
        world.consultation,
        author=editor(session, clock, name="Taras Editor"),
        parent=opening,
        body="Thank you, we will consider it.",
        stance="neutral",
    )
    opening.thread.disposition = Disposition.PARTIALLY_ACCEPTED
    opening.thread.rationale = "Merged the first half."
    opening.thread.status = ThreadStatus.RESOLVED
    session.commit()

    response = browser.get(f"{API}/consultations/end-users/threads")

    assert response.status_code == 200
    assert_documented(response, "/consultations/{slug}/threads")
    [thread] = response.json()["items"]
    assert thread["id"] == opening.thread_id and thread["paragraph_key"] == world.keys[1]
    assert thread["status"] == "resolved" and thread["disposition"] == "partially_accepted"
    assert thread["rationale"] == "Merged the first half."
    first, second = thread["comments"]
    assert set(first) == COMMENT_FIELDS
    assert first["id"] == opening.id and first["parent_id"] is None
    assert first["stance"] == "amend" and first["suggestion"] == "End users come first."
    assert first["stakeholder_group"] == "government"
    assert second["id"] == reply.id and second["parent_id"] == opening.id
    assert second["author_label"] == "Taras Editor, Digital Rights Ukraine (Civil society)"
    assert_aware(first["created_at"])


def test_group_attribution_shows_the_group_and_nothing_else(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    comment_on(session, clock, world.consultation, author=world.participant, attribution="group")
    session.commit()

    responses = [
        browser.get(f"{API}/consultations/end-users/threads"),
        browser.get(f"{API}/consultations/end-users"),
        browser.get(f"{API}/consultations"),
    ]

    [thread] = responses[0].json()["items"]
    [comment] = thread["comments"]
    assert comment["author_label"] == "Government"
    assert comment["stakeholder_group"] == "government"
    for response in responses:
        for secret in (NAME, ORGANISATION, "Kovalenko", "Ministry", world.participant.email):
            assert secret not in response.text


@pytest.mark.parametrize(
    ("attribution", "label", "group"),
    [
        ("named", f"{NAME}, {ORGANISATION} (Government)", "government"),
        ("organisation", f"{ORGANISATION} (Government)", "government"),
        ("anonymous", "Anonymous", None),
    ],
)
def test_each_attribution_shows_what_its_author_chose(
    browser: Browser,
    world: World,
    session: Session,
    clock: FixedClock,
    attribution: str,
    label: str,
    group: str | None,
) -> None:
    world.consultation.allow_anonymous = True
    comment_on(
        session, clock, world.consultation, author=world.participant, attribution=attribution
    )
    session.commit()

    response = browser.get(f"{API}/consultations/end-users/threads")

    [comment] = response.json()["items"][0]["comments"]
    assert comment["author_label"] == label and comment["stakeholder_group"] == group
    if attribution != "named":
        assert NAME not in response.text
    if attribution == "anonymous":
        assert ORGANISATION not in response.text


def test_paragraph_filter_keeps_that_paragraphs_threads(
    browser: Browser, world: World, session: Session, clock: FixedClock
) -> None:
    for ordinal in (1, 4, 4):
        comment_on(session, clock, world.consultation, author=world.participant, ordinal=ordinal)
    session.commit()

    def keys(query: str) -> list[str]:
        response = browser.get(f"{API}/consultations/end-users/threads{query}")
        assert response.status_code == 200
        return [thread["paragraph_key"] for thread in response.json()["items"]]

    assert keys("") == [world.keys[0], world.keys[3], world.keys[3]]
    assert keys(f"?paragraph={world.keys[3]}") == [world.keys[3]] * 2
    assert keys("?paragraph=zzzzzzzz") == []
    assert keys("?paragraph=%00%27;--") == []
