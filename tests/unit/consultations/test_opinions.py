"""Opinion groups from vote matrices: two camps are found, noise is not grouped, too few
people are not grouped, and group A is the largest."""

from __future__ import annotations

import numpy as np

from consultations.opinions import MIN_PARTICIPANTS, cluster


def camps(sizes: tuple[int, ...], statements: int = 12, noise: float = 0.1) -> np.ndarray:
    """Each camp votes its own way on every statement; a few votes flipped or missing."""
    rng = np.random.default_rng(20261204)
    rows = []
    for camp, size in enumerate(sizes):
        stance = np.where(np.arange(statements) % len(sizes) == camp, 1.0, -1.0)
        for _ in range(size):
            row = stance.copy()
            row[rng.random(statements) < noise] = 0.0
            rows.append(row)
    return np.array(rows)


def test_two_camps_are_two_groups_the_larger_first() -> None:
    labels = cluster(camps((14, 9)))
    assert labels is not None
    assert labels.tolist() == [0] * 14 + [1] * 9


def test_three_camps_are_three_groups() -> None:
    labels = cluster(camps((10, 10, 10)))
    assert labels is not None
    assert len(set(labels.tolist())) == 3
    for start in (0, 10, 20):  # each camp stays whole
        assert len(set(labels[start : start + 10].tolist())) == 1


def test_random_votes_show_no_groups() -> None:
    rng = np.random.default_rng(7)
    assert cluster(rng.choice([-1.0, 0.0, 1.0], size=(60, 20))) is None


def test_too_few_people_are_not_grouped() -> None:
    assert cluster(camps((MIN_PARTICIPANTS // 2, MIN_PARTICIPANTS // 2 - 1))) is None
