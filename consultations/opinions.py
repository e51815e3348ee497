"""Opinion groups: the camps that emerge from how people voted, beside the declared
stakeholder groups (as Pol.is finds them).

Each participant is a row of votes over the consultation's statements — the current
paragraphs and the suggestions: +1 for an opening comment supporting a paragraph, −1 for one
opposing it, 0 for amend / question / neutral; an endorsement of a comment is the endorser
taking its stance on its paragraph, and +1 on the suggestion it carries. A statement a
person did not vote on is 0 (no opinion). The rows are projected on their first two
principal components and clustered with k-means for k = 2…5; the k with the best silhouette
wins, and the groups are shown only if that silhouette beats the one of the same votes
shuffled within each statement by `MIN_GAIN` (random votes split in the plane too).

Anonymous comments are left out: a group's make-up by stakeholder group would otherwise
tell whose they were. Hidden comments are left out too.

This runs in the outbox worker (`refresh_due`), never on a request: the consensus page reads
the stored `OpinionMap`. At least `MIN_PARTICIPANTS` people with `MIN_VOTES` votes each are
needed; fewer, and the page says how many more it waits for.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from consultations.models import (
    Comment,
    Consultation,
    DraftVersion,
    Endorsement,
    OpinionMap,
    Paragraph,
    Thread,
)
from core.clock import Clock, as_utc
from core.enums import Attribution, ConsultationStatus, StakeholderGroup, Stance

MIN_PARTICIPANTS = 10
MIN_VOTES = 3
MAX_GROUPS = 5
MIN_GAIN = 0.1  # silhouette above the shuffled votes' for groups to count
REFRESH_EVERY = timedelta(minutes=1)  # a busy consultation is regrouped at most this often
AGREES, SPLIT = 0.6, 0.3  # mean vote for "agrees"; share each way for "splits"
LETTERS = "ABCDE"
VALUE = {Stance.SUPPORT: 1.0, Stance.OPPOSE: -1.0}


@dataclass(frozen=True, slots=True)
class Statement:
    """A column of the vote matrix: a paragraph (by key) or a suggestion (by comment id)."""

    kind: str  # "paragraph" or "suggestion"
    ref: str  # the paragraph's key, or the suggestion's comment id
    ordinal: int  # the paragraph's number (a suggestion's: its paragraph's)
    key: str  # the paragraph's key (a suggestion's: its paragraph's)


@dataclass
class Votes:
    people: list[int]
    statements: list[Statement]
    matrix: np.ndarray[Any, np.dtype[np.float64]]
    seen: np.ndarray[Any, np.dtype[np.bool_]]  # who voted on what (a 0 may be a vote)
    groups: dict[int, StakeholderGroup]  # each person's declared group, as they last voted


def collect(session: Session, consultation: Consultation) -> Votes:
    """The participant × statement matrix of the consultation's current version."""
    version = session.scalars(
        select(DraftVersion)
        .where(DraftVersion.consultation_id == consultation.id)
        .order_by(DraftVersion.number.desc())
        .limit(1)
    ).one()
    ordinals = dict(
        session.execute(
            select(Paragraph.key, Paragraph.ordinal).where(Paragraph.version_id == version.id)
        ).all()
    )
    counted = (
        Thread.consultation_id == consultation.id,
        Comment.parent_id.is_(None),
        Comment.hidden_at.is_(None),
        Comment.attribution != Attribution.ANONYMOUS,
    )
    comments = session.execute(
        select(
            Comment.id, Comment.author_id, Comment.stakeholder_group, Comment.stance,
            Comment.suggestion.is_not(None), Thread.paragraph_key,
        )
        .join(Thread, Comment.thread_id == Thread.id)
        .where(*counted)
        .order_by(Comment.id)
    ).all()  # fmt: skip
    by_comment = {row[0]: row for row in comments}
    endorsements = session.execute(
        select(Endorsement.comment_id, Endorsement.user_id, Endorsement.stakeholder_group)
        .where(Endorsement.comment_id.in_(by_comment))
        .order_by(Endorsement.created_at)
    ).all() if by_comment else []  # fmt: skip
    cast: dict[tuple[int, Statement], float] = {}
    groups: dict[int, StakeholderGroup] = {}

    def vote(person: int | None, key: str, stance: Stance | None) -> Statement | None:
        if person is None or key not in ordinals or stance is None:
            return None
        statement = Statement("paragraph", key, ordinals[key], key)
        cast[(person, statement)] = VALUE.get(stance, 0.0)
        return statement

    for comment_id, author, group, stance, suggests, key in comments:
        if vote(author, key, stance) is not None and author is not None:
            groups[author] = group
        if suggests and author is not None and key in ordinals:
            cast[(author, Statement("suggestion", str(comment_id), ordinals[key], key))] = 1.0
    for comment_id, person, group in endorsements:
        _, _, _, stance, suggests, key = by_comment[comment_id]
        if vote(person, key, stance) is not None:
            groups[person] = group
        if suggests and key in ordinals:
            cast[(person, Statement("suggestion", str(comment_id), ordinals[key], key))] = 1.0
            groups[person] = group
    return _matrix(cast, groups)


def _matrix(cast: dict[tuple[int, Statement], float], groups: dict[int, StakeholderGroup]) -> Votes:
    counts = Counter(person for person, _ in cast)
    people = sorted(p for p, n in counts.items() if n >= MIN_VOTES)
    statements = sorted({s for _, s in cast}, key=lambda s: (s.ordinal, s.kind, s.ref))
    row = {person: i for i, person in enumerate(people)}
    column = {statement: j for j, statement in enumerate(statements)}
    matrix = np.zeros((len(people), len(statements)))
    seen = np.zeros((len(people), len(statements)), dtype=bool)
    for (person, statement), value in cast.items():
        if person in row:
            matrix[row[person], column[statement]] = value
            seen[row[person], column[statement]] = True
    return Votes(people, statements, matrix, seen, {p: groups[p] for p in people if p in groups})


def cluster(
    matrix: np.ndarray[Any, np.dtype[np.float64]],
) -> np.ndarray[Any, np.dtype[np.int_]] | None:
    """Each row's group (0…k−1), or None when the votes show no distinct groups."""
    people, statements = matrix.shape
    if people < MIN_PARTICIPANTS or statements < 2:
        return None
    # Imported here: scikit-learn costs a web process tens of MB it never needs.
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.metrics import silhouette_score

    def grouped(votes: np.ndarray[Any, np.dtype[np.float64]], k: int | None) -> tuple[float, Any]:
        """The best (silhouette, labels) over k = 2…5 (or at the given k) in the plane."""
        points = PCA(n_components=2, random_state=0).fit_transform(votes)
        distinct = len(np.unique(points.round(6), axis=0))  # k-means finds no more clusters
        best: tuple[float, Any] = (-1.0, None)
        for n in [k] if k else range(2, min(MAX_GROUPS, people - 1, distinct) + 1):
            labels = KMeans(n_clusters=n, n_init=10, random_state=0).fit_predict(points)
            if len(set(labels.tolist())) > 1:
                score = float(silhouette_score(points, labels))
                best = max(best, (score, labels), key=lambda pair: pair[0])
        return best

    score, labels = grouped(matrix, None)
    if labels is None:
        return None
    # Any cloud of points splits in the plane with a fair silhouette, random votes too: the
    # groups count only if they beat the same votes shuffled within each statement (which
    # keeps how each statement was voted on, and removes who voted with whom).
    shuffled = np.random.default_rng(0).permuted(matrix, axis=0)
    null, _ = grouped(shuffled, len(set(labels.tolist())))
    if score - null < MIN_GAIN:
        return None
    return _by_size(labels)


def _by_size(labels: np.ndarray[Any, np.dtype[np.int_]]) -> np.ndarray[Any, np.dtype[np.int_]]:
    """Relabel so that group A is the largest (k-means numbers its clusters arbitrarily)."""
    order = [label for label, _ in Counter(labels.tolist()).most_common()]
    rename = {old: new for new, old in enumerate(order)}
    return np.array([rename[label] for label in labels.tolist()])


def summarise(votes: Votes, labels: np.ndarray[Any, np.dtype[np.int_]]) -> list[dict[str, Any]]:
    """What the page says of each group, as JSON: its size and make-up, where it agrees,
    where it splits, and the statements that set it apart from everyone else."""
    summaries = []
    for label in sorted(set(labels.tolist())):
        inside = labels == label
        members = [p for p, keep in zip(votes.people, inside, strict=True) if keep]
        makeup = Counter(votes.groups[p].value for p in members if p in votes.groups)
        summaries.append(
            {
                "letter": LETTERS[label],
                "size": len(members),
                "makeup": dict(makeup.most_common()),
                **_positions(votes, inside),
            }
        )
    return summaries


def _positions(votes: Votes, inside: np.ndarray[Any, np.dtype[np.bool_]]) -> dict[str, Any]:
    agrees, splits, apart = [], [], []
    for j, statement in enumerate(votes.statements):
        seen_in = votes.seen[inside, j]
        if seen_in.sum() < 2:
            continue
        values = votes.matrix[inside, j][seen_in]
        mean = float(values.mean())
        support, oppose = float((values > 0).mean()), float((values < 0).mean())
        ref = {
            "kind": statement.kind,
            "ref": statement.ref,
            "ordinal": statement.ordinal,
            "key": statement.key,
        }
        if mean >= AGREES:
            agrees.append(ref)
        elif support >= SPLIT and oppose >= SPLIT:
            splits.append(ref)
        seen_out = votes.seen[~inside, j]
        others = float(votes.matrix[~inside, j][seen_out].mean()) if seen_out.any() else 0.0
        apart.append((abs(mean - others), mean, others, ref))
    apart.sort(key=lambda item: -item[0])
    distinct = [
        {**ref, "group": round(mean, 2), "others": round(others, 2)}
        for gap, mean, others, ref in apart[:3]
        if gap >= 0.5
    ]
    return {"agrees": agrees, "splits": splits, "distinct": distinct}


def fingerprints(session: Session) -> dict[int, str]:
    """Per consultation, what its opinion groups depend on: its comments and endorsements."""
    comments = select(
        Thread.consultation_id, func.count(Comment.id), func.max(Comment.id),
        func.count(Comment.hidden_at),
    ).join(Comment, Comment.thread_id == Thread.id).group_by(Thread.consultation_id)  # fmt: skip
    endorsed = (
        select(Thread.consultation_id, func.count())
        .join(Comment, Comment.thread_id == Thread.id)
        .join(Endorsement, Endorsement.comment_id == Comment.id)
        .group_by(Thread.consultation_id)
    )
    endorsements = dict(session.execute(endorsed).all())
    return {
        cid: f"{count}:{newest}:{hidden}:{endorsements.get(cid, 0)}"
        for cid, count, newest, hidden in session.execute(comments)
    }


def refresh(
    session: Session, clock: Clock, consultation: Consultation, fingerprint: str
) -> OpinionMap:
    """Compute and store the consultation's opinion groups (none when too few voted)."""
    votes = collect(session, consultation)
    labels = cluster(votes.matrix)
    groups = summarise(votes, labels) if labels is not None else []
    stored = session.get(OpinionMap, consultation.id)
    if stored is None:
        stored = OpinionMap(consultation_id=consultation.id)
        session.add(stored)
    stored.computed_at, stored.fingerprint = clock.now(), fingerprint
    stored.participants, stored.groups = len(votes.people), groups
    return stored


def refresh_due(sessions: sessionmaker[Session], clock: Clock) -> int:
    """Regroup each published consultation whose votes changed since it was last grouped
    (and not within `REFRESH_EVERY`); one transaction each. Returns how many."""
    with sessions() as session:
        current = fingerprints(session)
        stored = {m.consultation_id: m for m in session.scalars(select(OpinionMap))}
        now = clock.now()
        due = [cid for cid, mark in current.items() if _stale(stored.get(cid), mark, now)]
    done = 0
    for consultation_id in due:
        with sessions() as session, session.begin():
            consultation = session.get(Consultation, consultation_id)
            if consultation is None or consultation.status == ConsultationStatus.DRAFT:
                continue
            refresh(session, clock, consultation, current[consultation_id])
            done += 1
    return done


def _stale(stored: OpinionMap | None, fingerprint: str, now: datetime) -> bool:
    if stored is None:
        return True
    changed = stored.fingerprint != fingerprint
    return changed and as_utc(stored.computed_at) + REFRESH_EVERY <= now


def for_page(session: Session, consultation: Consultation) -> OpinionMap | None:
    return session.get(OpinionMap, consultation.id)


def waiting_for(stored: OpinionMap | None) -> int:
    """How many more participants the groups wait for (0: enough, or groups shown)."""
    have = stored.participants if stored else 0
    return max(MIN_PARTICIPANTS - have, 0)


__all__ = ["MIN_PARTICIPANTS", "MIN_VOTES", "Votes", "cluster", "collect", "refresh", "refresh_due"]
