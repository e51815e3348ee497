"""The consensus scores, computed by hand, and the property that makes them bridging scores:
one more approval, from any group, never lowers a statement's score."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consultations.consensus import GROUPS, Votes, agreement, bridging, contention
from core.enums import StakeholderGroup as G

GOV, CIVIL, ACADEMIA = G.GOVERNMENT, G.CIVIL_SOCIETY, G.ACADEMIA


def test_nobody_voted_is_undecided() -> None:
    assert bridging({}) == pytest.approx(0.5**5)
    assert agreement({}) == pytest.approx(0.5)
    assert contention({}) == 0.0


def test_each_group_is_smoothed_then_multiplied() -> None:
    # Government: 3 of 4 support -> (3+1)/(4+2) = 2/3; civil society: 0 of 2 -> 1/4;
    # the three silent groups count 1/2 each.
    votes = {GOV: Votes(approve=3, oppose=1, total=4), CIVIL: Votes(approve=0, oppose=2, total=2)}
    assert bridging(votes) == pytest.approx((2 / 3) * (1 / 4) * 0.5**3)
    assert agreement(votes) == pytest.approx(((2 / 3) * (1 / 4) * 0.5**3) ** (1 / 5))


def test_a_suggestion_endorsed_by_every_group_outranks_more_endorsements_from_one() -> None:
    # Ten participants in each group. One endorsement from each of the five groups...
    everyone = {group: Votes(approve=1, total=10) for group in GROUPS}
    # ...against five endorsements from civil society alone.
    one_group = {group: Votes(approve=5 if group == CIVIL else 0, total=10) for group in GROUPS}
    assert bridging(everyone) == pytest.approx((2 / 12) ** 5)
    assert bridging(one_group) == pytest.approx((6 / 12) * (1 / 12) ** 4)
    assert bridging(everyone) > bridging(one_group)


def test_contention_is_half_the_spread_of_the_groups_leanings() -> None:
    assert contention({GOV: Votes(2, 0, 2), CIVIL: Votes(0, 2, 2)}) == 1.0
    # Government split (lean 0), academia all support (lean 1): half of 1.
    assert contention({GOV: Votes(1, 1, 2), ACADEMIA: Votes(2, 0, 2)}) == 0.5
    # Questions are passes: they pull a group's lean towards 0.
    assert contention({GOV: Votes(1, 0, 2), ACADEMIA: Votes(0, 1, 2)}) == 0.5
    assert contention({GOV: Votes(5, 0, 5)}) == 0.0  # one group cannot contend with itself


group_votes = st.builds(
    lambda approve, oppose, passes: Votes(approve, oppose, approve + oppose + passes),
    st.integers(0, 50),
    st.integers(0, 50),
    st.integers(0, 50),
)
vote_maps = st.dictionaries(st.sampled_from(GROUPS), group_votes)


@given(vote_maps, st.sampled_from(GROUPS))
def test_one_more_approval_never_lowers_the_score(votes: dict[G, Votes], group: G) -> None:
    """From a group that has voted or from one that had not: bridging never goes down."""
    before = votes.get(group, Votes())
    more = {**votes, group: Votes(before.approve + 1, before.oppose, before.total + 1)}
    assert bridging(more) >= bridging(votes)
    assert agreement(more) >= agreement(votes)


@given(vote_maps, st.sampled_from(GROUPS))
def test_an_endorsement_by_someone_already_counted_raises_it(
    votes: dict[G, Votes], group: G
) -> None:
    """A suggestion's votes are a group's participants: endorsing turns one of them into an
    approval without adding a vote."""
    before = votes.get(group, Votes())
    if before.approve == before.total:
        return  # everyone in the group approves already
    more = {**votes, group: Votes(before.approve + 1, before.oppose, before.total)}
    assert bridging(more) > bridging(votes)


@given(vote_maps)
def test_scores_stay_in_their_ranges(votes: dict[G, Votes]) -> None:
    assert 0 < bridging(votes) < 1
    assert 0 < agreement(votes) < 1
    assert 0 <= contention(votes) <= 1
    assert math.isclose(agreement(votes) ** 5, bridging(votes), rel_tol=1e-9)
