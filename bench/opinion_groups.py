"""Benchmark: opinion groups for 2,000 participants × 300 paragraphs, as the worker computes
them (consultations/opinions.py: PCA, k-means for k = 2…5 with silhouettes, the summaries).

    .venv/bin/python bench/opinion_groups.py [--people 2000] [--statements 300] [--camps 3]

The votes are generated: each participant belongs to one of `--camps` camps that support
some statements and oppose others, votes on a random fifth of the statements, and one vote
in ten goes against their camp. Reported: the time of the whole computation beside its
floor, measured in the same run (one k-means at the right k on the same projection, the
least any k-means grouping costs), whether the camps were recovered (adjusted Rand index),
and the bar (≤ 5 s, issue 13).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere, without installing the package

import numpy as np  # noqa: E402

from consultations.opinions import Statement, Votes, cluster, summarise  # noqa: E402

BAR_SECONDS = 5.0


def votes(
    people: int, statements: int, camps: int, seed: int = 20261204
) -> tuple[Votes, np.ndarray]:
    rng = np.random.default_rng(seed)
    camp = rng.integers(0, camps, size=people)
    leaning = rng.choice([-1.0, 1.0], size=(camps, statements))
    matrix = leaning[camp].copy()
    matrix[rng.random((people, statements)) < 0.1] *= -1  # dissenters
    seen = rng.random((people, statements)) < 0.2
    matrix[~seen] = 0.0
    columns = [Statement("paragraph", f"p{j}", j + 1, f"p{j}") for j in range(statements)]
    return Votes(list(range(people)), columns, matrix, seen, {}), camp


def adjusted_rand(truth: np.ndarray, found: np.ndarray) -> float:
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(truth, found))


def floor(matrix: np.ndarray, camps: int) -> float:
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    started = time.perf_counter()
    points = PCA(n_components=2, random_state=0).fit_transform(matrix)
    KMeans(n_clusters=camps, n_init=10, random_state=0).fit_predict(points)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--statements", type=int, default=300)
    parser.add_argument("--camps", type=int, default=3)
    options = parser.parse_args()
    data, truth = votes(options.people, options.statements, options.camps)
    cluster(data.matrix[:50])  # imports scikit-learn outside the timing
    started = time.perf_counter()
    labels = cluster(data.matrix)
    groups = summarise(data, labels) if labels is not None else []
    took = time.perf_counter() - started
    bare = floor(data.matrix, options.camps)
    print(f"== opinion groups: {options.people} participants × {options.statements} statements ==")
    print(
        f"  groups found: {len(groups)} (sizes {[g['size'] for g in groups]}), "
        f"camps: {options.camps}"
    )
    if labels is not None:
        print(
            f"  agreement with the camps (adjusted Rand index): {adjusted_rand(truth, labels):.3f}"
        )
    print(f"  computed in {took:.2f} s; floor (one k-means at the right k) {bare:.2f} s; "
          f"ratio {took / bare:.1f}x")  # fmt: skip
    ok = took <= BAR_SECONDS and labels is not None
    print(f"  bar <= {BAR_SECONDS:.0f} s with the camps found: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
