"""Campaigns: thread openings that say nearly the same (a letter pasted with small edits, on
any paragraph of one consultation) are grouped, so readers see one and editors decide them
at once.

Each opening's normalised words are cut into shingles (three-word runs; two-word for short
comments, and the whole text for fewer than four words) and summarised by a MinHash
signature (`datasketch`, 128 values), cut into 42 LSH bands of 3 values. Two comments
sharing any band's hash are *candidates*, and a candidate pair whose signatures agree on
at least `THRESHOLD` of their values (the estimated Jaccard similarity of their shingles)
is *similar*. A campaign is a connected group of similar comments, named by the id of its
earliest comment.

The signature and band hashes are stored (`CampaignMember`, `CampaignBand`), written by the
outbox worker off the comment's request (`CAMPAIGN` events, emitted with the comment's
other events in one statement): placing a new comment costs one lookup of the rows sharing
its 42 hashes, never a comparison with every comment. `group` does the same in memory for a
whole consultation at once (`roundtable campaigns`, the tests, the benchmark): it finds the
same groups, the connected components of the same pairs.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from datasketch import MinHash
from sqlalchemy import Row, delete, exists, func, insert, or_, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from consultations.models import CampaignBand, CampaignMember, Comment, Thread
from core import outbox
from core.db import unit_of_work
from core.outbox import OutboxEvent

__all__ = [
    "THRESHOLD",
    "Campaign",
    "assign",
    "assign_pending",
    "campaign_of",
    "campaigns",
    "group",
    "group_signatures",
    "normalise",
    "on_paragraph",
    "rebuild",
    "signature",
    "similarity",
    "thread_groups",
]

NUM_PERM = 128
#: 42 bands of 3 values (126 of the 128): a pair at Jaccard 0.35 shares a band 85% of the
#: time, at 0.5 99.6%; at 0.05 (unrelated texts of one language) 0.5%. 32 x 4 lost a
#: tenth of the variants' pairs; 64 x 2 found every pair but compared 20 times more.
BANDS, ROWS = 42, 3
#: Estimated Jaccard similarity of two openings' shingles from which they are one campaign,
#: tuned on campaign variants of real paragraphs among unrelated ones and others quoting
#: them (tests/unit/consultations/test_campaigns.py): 0.3 merged some quoting comments into
#: campaigns, 0.4 missed 5% of the variants' pairs.
THRESHOLD = 0.35
BATCH = 200  # campaign events a worker transaction places

Signature = npt.NDArray[np.uint32]

_NON_WORD = re.compile(r"[\W_]+")
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=1)  # its permutations, drawn once


def normalise(body: str) -> str:
    """A comment reduced to its words, so copies differing in case or punctuation match."""
    return " ".join(_NON_WORD.sub(" ", body.casefold()).split())


def _shingles(body: str) -> list[bytes]:
    words = normalise(body).split()
    if len(words) < 4:  # "I support this" is not "I oppose this": only copies match
        return [(" ".join(words) or body.strip()).encode()]
    size = 3 if len(words) >= 9 else 2
    return [" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)]


def signature(body: str) -> Signature:
    """The MinHash signature of a comment's shingles."""
    minhash = MinHash(num_perm=NUM_PERM, permutations=_TEMPLATE.permutations, scheme="affine32")
    minhash.update_batch(_shingles(body))
    values: Signature = np.asarray(minhash.hashvalues, dtype=np.uint32)
    return values


def similarity(one: Signature, other: Signature) -> float:
    """The share of agreeing values: an estimate of the shingles' Jaccard similarity."""
    return float(np.count_nonzero(one == other)) / NUM_PERM


def band_hashes(values: Signature) -> list[int]:
    """One signed 64-bit hash per band (BIGINT), salted with the band's number so that
    equal values in different bands never match."""
    raw = values.tobytes()
    width = ROWS * 4
    return [
        int.from_bytes(
            hashlib.blake2b(
                raw[b * width : (b + 1) * width], digest_size=8, salt=bytes([b])
            ).digest(),
            "big",
            signed=True,
        )
        for b in range(BANDS)
    ]


def _encode(values: Signature) -> str:
    return base64.b64encode(values.tobytes()).decode("ascii")


def _decode(stored: str) -> Signature:
    return np.frombuffer(base64.b64decode(stored), dtype=np.uint32)


# -- in memory ----------------------------------------------------------------------------


def group(comments: Iterable[tuple[int, str]]) -> dict[int, int]:
    """Comment id → campaign id (its group's smallest id), for the comments that have a
    similar one; LSH candidates only, never every pair."""
    return group_signatures({comment_id: signature(body) for comment_id, body in comments})


def group_signatures(signatures: Mapping[int, Signature]) -> dict[int, int]:
    """`group`, of comments already hashed."""
    buckets: dict[int, list[int]] = defaultdict(list)
    for comment_id, values in signatures.items():
        for hashed in band_hashes(values):
            buckets[hashed].append(comment_id)
    parent = {comment_id: comment_id for comment_id in signatures}

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = node = parent[parent[node]]
        return node

    checked: set[tuple[int, int]] = set()
    for members in buckets.values():
        for index, one in enumerate(members):
            for other in members[index + 1 :]:
                pair = (one, other)
                if pair in checked or root(one) == root(other):
                    continue
                checked.add(pair)
                if similarity(signatures[one], signatures[other]) >= THRESHOLD:
                    low, high = sorted((root(one), root(other)))
                    parent[high] = low
    roots = {comment_id: root(comment_id) for comment_id in signatures}
    sizes: dict[int, int] = defaultdict(int)
    for found in roots.values():
        sizes[found] += 1
    return {cid: found for cid, found in roots.items() if sizes[found] > 1}


# -- stored -------------------------------------------------------------------------------


def assign(session: Session, comment_ids: Sequence[int], now: datetime) -> dict[int, int | None]:
    """Place threads' opening comments among their consultations' campaigns (each once; a
    reply is not placed): comment id → its campaign id, None when it stands alone.

    A batch costs the same few statements as one comment: its openings, the stored bands
    sharing any of their hashes, those members' signatures, an update per campaign that
    grows or merges, and the new rows."""
    rows = session.execute(
        select(Comment.id, Comment.body, Thread.consultation_id)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Comment.id.in_(comment_ids), Comment.parent_id.is_(None))
        .where(~exists().where(CampaignMember.comment_id == Comment.id))
        .order_by(Comment.id)
    ).all()
    by_consultation: dict[int, dict[int, Signature]] = defaultdict(dict)
    for row in rows:
        by_consultation[row.consultation_id][row.id] = signature(row.body)
    placed: dict[int, int | None] = {}
    for consultation_id, signatures in by_consultation.items():
        placed |= _place(session, consultation_id, signatures, now)
    return placed


def _place(
    session: Session, consultation_id: int, new: dict[int, Signature], now: datetime
) -> dict[int, int | None]:
    hashes = {comment_id: band_hashes(values) for comment_id, values in new.items()}
    buckets: dict[int, list[int]] = defaultdict(list)  # band hash → members, stored and new
    wanted = sorted({h for found in hashes.values() for h in found})
    for start in range(0, len(wanted), 2000):  # under SQLite's limit of bound values
        bands = session.execute(
            select(CampaignBand.hash, CampaignBand.comment_id).where(
                CampaignBand.consultation_id == consultation_id,
                CampaignBand.hash.in_(wanted[start : start + 2000]),
            )
        )
        for band in bands:
            buckets[band.hash].append(band.comment_id)
    stored = {b for found in buckets.values() for b in found}
    label: dict[int, int] = {}  # a stored member → its campaign (or itself, alone)
    signatures = dict(new)
    for member in session.execute(
        select(
            CampaignMember.comment_id, CampaignMember.campaign_id, CampaignMember.signature
        ).where(CampaignMember.comment_id.in_(stored))
    ):
        label[member.comment_id] = member.campaign_id or member.comment_id
        signatures[member.comment_id] = _decode(member.signature)
    parent: dict[int, int] = {}

    def root(node: int) -> int:
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    joined: set[int] = set()
    for comment_id in sorted(new):
        for hashed in hashes[comment_id]:
            for other in buckets[hashed]:
                one, two = root(comment_id), root(label.get(other, other))
                if one == two or similarity(new[comment_id], signatures[other]) < THRESHOLD:
                    continue
                parent[max(one, two)] = min(one, two)
                joined.update((comment_id, other))
            buckets[hashed].append(comment_id)
    # Stored members whose campaign grew or merged: one update per old campaign label.
    moves: dict[int, set[int]] = defaultdict(set)
    for other in joined - new.keys():
        if root(label[other]) != label[other] or label[other] == other:
            moves[root(label[other])].add(label[other])
    for campaign, old in moves.items():
        session.execute(
            update(CampaignMember)
            .where(
                CampaignMember.consultation_id == consultation_id,
                or_(CampaignMember.campaign_id.in_(old), CampaignMember.comment_id.in_(old)),
            )
            .values(campaign_id=campaign)
        )
    result = {cid: (root(cid) if cid in joined else None) for cid in new}
    _store(session, [(cid, consultation_id, result[cid], new[cid]) for cid in sorted(new)], now)
    return result


# Core inserts: the ORM's bulk path costs more per row than the rows' own statement.
_INSERT_MEMBER = insert(CampaignMember.__table__)  # type: ignore[arg-type]
_INSERT_BAND = insert(CampaignBand.__table__)  # type: ignore[arg-type]


def _store(
    session: Session,
    members: Sequence[tuple[int, int, int | None, Signature]],
    now: datetime,
) -> None:
    if not members:
        return
    session.execute(
        _INSERT_MEMBER,
        [
            {
                "comment_id": comment_id,
                "consultation_id": consultation_id,
                "campaign_id": campaign,
                "signature": _encode(values),
                "indexed_at": now,
            }
            for comment_id, consultation_id, campaign, values in members
        ],
    )
    session.execute(
        _INSERT_BAND,
        [
            {"comment_id": comment_id, "band": band, "consultation_id": consultation_id, "hash": h}
            for comment_id, consultation_id, _campaign, values in members
            for band, h in enumerate(band_hashes(values))
        ],
    )


def assign_pending(
    sessions: sessionmaker[Session], now: Callable[[], datetime], batches: int | None = None
) -> int:
    """Place the comments of pending campaign events, a batch per transaction (at most
    `batches` of them); each event is claimed once cluster-wide. Returns how many events
    were done."""
    done = 0
    for _batch in itertools.count() if batches is None else range(batches):
        with unit_of_work(sessions) as session:
            events = _claim(session)
            if not events:
                return done
            stamp = now()
            ids = [int(event.payload["id"]) for event in events]
            _lock_consultations(session, ids)
            assign(session, ids, stamp)
            for event in events:
                event.processed_at = stamp
            done += len(events)
    return done


def _claim(session: Session) -> list[OutboxEvent]:
    query = (
        select(OutboxEvent)
        .where(OutboxEvent.topic == outbox.CAMPAIGN, OutboxEvent.processed_at.is_(None))
        .order_by(OutboxEvent.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(query))


def _lock_consultations(session: Session, comment_ids: list[int]) -> None:
    """Two workers placing comments of one consultation at once could each miss the other's
    uncommitted rows: on PostgreSQL a transaction-scoped advisory lock per consultation (in
    id order, so two batches never deadlock) makes them take turns. SQLite has one writer."""
    if session.get_bind().dialect.name != "postgresql":
        return
    # A prepared lookup planned while the bands were few keeps a sequential scan as they grow
    # (measured: 14 ms a comment at 5,000 instead of 2): plan each lookup for its values.
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    consultations = session.scalars(
        select(Thread.consultation_id)
        .join(Comment, Comment.thread_id == Thread.id)
        .where(Comment.id.in_(comment_ids))
        .distinct()
        .order_by(Thread.consultation_id)
    )
    for consultation_id in consultations:
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :id)"),
            {"space": ADVISORY_SPACE, "id": consultation_id},
        )


ADVISORY_SPACE = 0x6361  # "ca": this module's advisory locks


def rebuild(
    session: Session,
    consultation_id: int,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Group a consultation's openings afresh, in memory (`roundtable campaigns`, for the
    comments posted before campaigns were grouped); returns how many it placed."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :id)"),
            {"space": ADVISORY_SPACE, "id": consultation_id},
        )
    session.execute(delete(CampaignBand).where(CampaignBand.consultation_id == consultation_id))
    session.execute(delete(CampaignMember).where(CampaignMember.consultation_id == consultation_id))
    openings = session.execute(
        select(Comment.id, Comment.body)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Thread.consultation_id == consultation_id, Comment.parent_id.is_(None))
        .order_by(Comment.id)
    ).all()
    signatures = {row.id: signature(row.body) for row in openings}
    placed = group_signatures(signatures)
    members = [
        (cid, consultation_id, placed.get(cid), values) for cid, values in signatures.items()
    ]
    for start in range(0, len(members), 500):
        _store(session, members[start : start + 500], now)
        if progress is not None:
            progress(min(start + 500, len(members)), len(members))
    return len(members)


# -- reading ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Campaign:
    """A group of at least two similar openings, earliest first."""

    comment_ids: tuple[int, ...]
    example: str  # the earliest comment's words, without its author

    @property
    def size(self) -> int:
        return len(self.comment_ids)


def campaign_of(session: Session, consultation_id: int) -> dict[int, int]:
    """Opening comment id → campaign id, for the consultation's campaigns of two or more."""
    sized = (
        select(CampaignMember.campaign_id)
        .where(
            CampaignMember.consultation_id == consultation_id,
            CampaignMember.campaign_id.is_not(None),
        )
        .group_by(CampaignMember.campaign_id)
        .having(func.count() > 1)
    )
    rows = session.execute(
        select(CampaignMember.comment_id, CampaignMember.campaign_id).where(
            CampaignMember.consultation_id == consultation_id,
            CampaignMember.campaign_id.in_(sized),
        )
    )
    return {row.comment_id: row.campaign_id for row in rows}


def campaigns(session: Session, consultation_id: int) -> list[Campaign]:
    """The consultation's campaigns, largest first (then earliest)."""
    members: dict[int, list[int]] = defaultdict(list)
    for comment_id, campaign in campaign_of(session, consultation_id).items():
        members[campaign].append(comment_id)
    groups = [sorted(ids) for ids in members.values()]
    firsts = [ids[0] for ids in groups]
    rows = session.execute(select(Comment.id, Comment.body).where(Comment.id.in_(firsts)))
    bodies = {row.id: row.body for row in rows}
    found = [Campaign(tuple(ids), bodies[ids[0]]) for ids in groups]
    return sorted(found, key=lambda c: (-c.size, c.comment_ids[0]))


@dataclass(frozen=True, slots=True)
class Elsewhere:
    """A thread of the campaign on another paragraph."""

    thread_id: int
    paragraph_key: str


@dataclass(frozen=True, slots=True)
class Shown:
    """A campaign as one paragraph's page shows it: its earliest thread there, then the
    others there (folded) and links to those on other paragraphs."""

    lead: Thread
    here: tuple[Thread, ...]
    elsewhere: tuple[Elsewhere, ...]

    @property
    def others(self) -> int:
        return len(self.here) + len(self.elsewhere)


@dataclass(frozen=True, slots=True)
class OnParagraph:
    leads: dict[int, Shown]  # by the lead thread's id
    folded: frozenset[int]  # the threads shown inside a lead's campaign, not on their own


def on_paragraph(session: Session, consultation_id: int, threads: Sequence[Thread]) -> OnParagraph:
    """How a paragraph's threads (with their comments loaded) fold into campaigns."""
    openings = {t.comments[0].id: t for t in threads if t.comments}
    if not openings:
        return OnParagraph({}, frozenset())
    wanted = select(CampaignMember.campaign_id).where(
        CampaignMember.comment_id.in_(openings), CampaignMember.campaign_id.is_not(None)
    )
    rows = session.execute(
        select(
            CampaignMember.comment_id,
            CampaignMember.campaign_id,
            Comment.thread_id,
            Thread.paragraph_key,
        )
        .join(Comment, Comment.id == CampaignMember.comment_id)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(
            CampaignMember.consultation_id == consultation_id,
            CampaignMember.campaign_id.in_(wanted),
        )
        .order_by(CampaignMember.comment_id)
    ).all()
    members: dict[int, list[Row[int, int | None, int, str]]] = defaultdict(list)
    for row in rows:
        members[row.campaign_id or 0].append(row)
    leads: dict[int, Shown] = {}
    folded: set[int] = set()
    for group in members.values():
        here = [openings[r.comment_id] for r in group if r.comment_id in openings]
        if len(group) < 2 or not here:
            continue
        elsewhere = tuple(
            Elsewhere(r.thread_id, r.paragraph_key) for r in group if r.comment_id not in openings
        )
        leads[here[0].id] = Shown(here[0], tuple(here[1:]), elsewhere)
        folded.update(t.id for t in here[1:])
    return OnParagraph(leads, frozenset(folded))


def thread_groups(session: Session, consultation_id: int) -> list[list[int]]:
    """The consultation's threads (ids) grouped by their openings: one campaign, or the same
    words after normalising (so copies group before the worker has placed them); each group
    in the order of its openings, groups in the order of their first."""
    openings = session.execute(
        select(Comment.id, Comment.thread_id, Comment.body)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Thread.consultation_id == consultation_id, Comment.parent_id.is_(None))
        .order_by(Comment.id)
    ).all()
    placed = campaign_of(session, consultation_id)
    parent: dict[int, int] = {}

    def root(node: int) -> int:
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    def join(one: int, other: int) -> None:
        low, high = sorted((root(one), root(other)))
        parent[high] = low

    first_by: dict[tuple[str, object], int] = {}
    for row in openings:
        root(row.thread_id)
        keys: list[tuple[str, object]] = [("campaign", placed[row.id])] if row.id in placed else []
        text_key = normalise(row.body)
        if text_key:
            keys.append(("text", text_key))
        for key in keys:
            if key in first_by:
                join(first_by[key], row.thread_id)
            else:
                first_by[key] = row.thread_id
    grouped: dict[int, list[int]] = defaultdict(list)
    for row in openings:
        grouped[root(row.thread_id)].append(row.thread_id)
    return list(grouped.values())
