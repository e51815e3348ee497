"""Campaigns: near-identical openings grouped by MinHash and LSH, measured on campaign
variants of real paragraphs (RFC 9518, the Criminal Code of Ukraine) among unrelated speech
paragraphs and speeches quoting the campaigns' paragraphs."""

from __future__ import annotations

import random
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from consultations import campaigns
from consultations.models import CampaignMember, Comment
from core.clock import FixedClock
from core.outbox import CAMPAIGN, OutboxEvent
from tests.corpora import campaign_corpus, campaign_variant, centralization_prose
from tests.factories import comment_on, make_user, open_consultation

# Measured on seeds 12, 13 and 14: precision 1.000 / 0.997 / 1.000, recall 0.994 / 0.997 / 0.955.
PRECISION_FLOOR = 0.98
RECALL_FLOOR = 0.95


def _pairs(labels: dict[int, int]) -> int:
    return sum(n * (n - 1) // 2 for n in Counter(labels.values()).values())


def precision_and_recall(truth: dict[int, int], found: dict[int, int]) -> tuple[float, float]:
    """Over pairs of comments: of the pairs grouped together, how many belong together, and
    of the pairs that belong together, how many were grouped."""
    predicted = {cid: found.get(cid, -cid - 10**9) for cid in truth}  # alone: a group of one
    both = Counter((predicted[cid], truth[cid]) for cid in truth)
    agreed = sum(n * (n - 1) // 2 for n in both.values())
    return agreed / max(1, _pairs(predicted)), agreed / _pairs(truth)


def test_campaign_variants_are_grouped_with_high_precision_and_recall() -> None:
    for seed in (12, 13, 14):
        comments, truth = campaign_corpus(seed)
        precision, recall = precision_and_recall(truth, campaigns.group(comments))
        sizes = sorted(Counter(v for v in truth.values() if v < 0).values())
        print(
            f"seed {seed}: {len(comments)} comments, campaigns of {sizes[0]}–{sizes[-1]}:"
            f" precision {precision:.3f}, recall {recall:.3f}"
        )
        assert precision >= PRECISION_FLOOR
        assert recall >= RECALL_FLOOR


def test_copies_differing_in_case_and_punctuation_are_one_campaign() -> None:
    text = centralization_prose(1)[0]
    found = campaigns.group([(1, text), (2, text.upper().replace(",", "")), (3, "Agreed.")])
    assert found == {1: 1, 2: 1}


def test_short_comments_are_compared_by_their_words_not_by_one_shared_word() -> None:
    found = campaigns.group(
        [
            (1, "I support this."),
            (2, "i support this!!"),
            (3, "I oppose this."),
            (4, "+1"),
            (5, "+1"),
        ]
    )
    assert found == {1: 1, 2: 1, 4: 4, 5: 4}


def test_comments_placed_one_by_one_form_the_groups_found_at_once(
    session: Session, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    """The worker's path (stored bands, one comment at a time, across paragraphs) agrees
    with the in-memory grouping; replies are not placed; each event is done once."""
    consultation = open_consultation(session, clock, paragraphs=4)
    other = open_consultation(session, clock, paragraphs=2)
    author = make_user(session, clock)
    rng = random.Random(3)
    sources = centralization_prose(3)
    posted: list[Comment] = []

    def post(body: str, ordinal: int = 1, parent: Comment | None = None) -> Comment:
        return comment_on(
            session, clock, consultation, author=author, ordinal=ordinal, body=body, parent=parent
        )

    for n in range(10):  # placed by one pass, the rest by another
        posted.append(post(campaign_variant(sources[n % 3], rng, rng.randint(1, 4)), n % 4 + 1))
    session.commit()
    assert campaigns.assign_pending(sessions, clock.now) == 10
    for n in range(10, 24):
        posted.append(post(campaign_variant(sources[n % 3], rng, rng.randint(1, 4)), n % 4 + 1))
    posted.append(post("Unrelated: who pays?"))
    reply = post(posted[0].body, parent=posted[0])
    elsewhere = comment_on(session, clock, other, author=author, body=posted[0].body)
    session.commit()

    assert campaigns.assign_pending(sessions, clock.now) == len(posted) + 1 - 10
    assert campaigns.assign_pending(sessions, clock.now) == 0
    assert (
        session.scalars(
            select(OutboxEvent).where(
                OutboxEvent.topic == CAMPAIGN, OutboxEvent.processed_at.is_(None)
            )
        ).all()
        == []
    )
    stored = campaigns.campaign_of(session, consultation.id)
    assert stored == campaigns.group((c.id, c.body) for c in posted)
    assert {stored[c.id] for c in posted[:3]} == {c.id for c in posted[:3]}, "three campaigns"
    assert reply.id not in stored and session.get(CampaignMember, reply.id) is None
    assert campaigns.campaign_of(session, other.id) == {}, "only within a consultation"
    assert session.get(CampaignMember, elsewhere.id) is not None

    found = campaigns.campaigns(session, consultation.id)
    assert [c.size for c in found] == sorted((c.size for c in found), reverse=True)
    assert sum(c.size for c in found) == 24
    assert {c.comment_ids[0] for c in found} == {c.id for c in posted[:3]}
    assert found[0].example == next(c.body for c in posted if c.id == found[0].comment_ids[0])

    # Rebuilding (the CLI) finds the same campaigns.
    assert campaigns.rebuild(session, consultation.id, clock.now()) == len(posted)
    assert campaigns.campaign_of(session, consultation.id) == stored


def test_a_comment_like_two_campaigns_merges_them(
    session: Session, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    words = " ".join(centralization_prose(2)).split()[:60]
    first, second, both = " ".join(words[:35]), " ".join(words[25:]), " ".join(words)
    assert campaigns.group([(1, first), (2, second)]) == {}
    assert campaigns.group([(1, first), (2, second), (3, both)]) == {1: 1, 2: 1, 3: 1}

    consultation = open_consultation(session, clock, paragraphs=2)
    author = make_user(session, clock)
    ids = []
    for body in (first, first + " Thanks.", second, second + " Thanks."):
        ids.append(comment_on(session, clock, consultation, author=author, body=body).id)
    session.commit()
    campaigns.assign_pending(sessions, clock.now)
    assert campaigns.campaign_of(session, consultation.id) == {
        ids[0]: ids[0],
        ids[1]: ids[0],
        ids[2]: ids[2],
        ids[3]: ids[2],
    }
    bridge = comment_on(session, clock, consultation, author=author, ordinal=2, body=both)
    session.commit()
    campaigns.assign_pending(sessions, clock.now)
    session.expire_all()
    expected = dict.fromkeys([*ids, bridge.id], ids[0])
    assert campaigns.campaign_of(session, consultation.id) == expected
