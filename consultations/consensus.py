"""Where stakeholder groups agree and disagree: stances by group, per paragraph, and the
scores that rank paragraphs and suggestions by support across groups (`DEFINITIONS` says
them in plain words; the consensus page and the API show those words)."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from consultations.exports import cell
from consultations.models import Comment, Consultation, Endorsement, Paragraph, Thread
from consultations.services import ConsultationService
from core.clock import as_utc
from core.enums import Attribution, StakeholderGroup, Stance
from core.i18n import N_


@dataclass
class ParagraphStances:
    """Top-level comments' stances on one paragraph, by stakeholder group."""

    by_group: dict[StakeholderGroup, Counter[Stance]] = field(default_factory=dict)

    @property
    def total(self) -> Counter[Stance]:
        return sum(self.by_group.values(), Counter())

    @property
    def contested(self) -> bool:
        """Contention: some group mostly supports while another mostly opposes."""
        leaning = {g: c.most_common(1)[0][0] for g, c in self.by_group.items() if c}
        return Stance.SUPPORT in leaning.values() and Stance.OPPOSE in leaning.values()


def stance_map(session: Session, consultation: Consultation) -> dict[str, ParagraphStances]:
    query = (
        select(Thread.paragraph_key, Comment.stakeholder_group, Comment.stance, func.count())
        .join(Comment, Comment.thread_id == Thread.id)
        .where(
            Thread.consultation_id == consultation.id,
            Comment.parent_id.is_(None),
            Comment.stance.is_not(None),
        )
        .group_by(Thread.paragraph_key, Comment.stakeholder_group, Comment.stance)
    )
    result: dict[str, ParagraphStances] = defaultdict(ParagraphStances)
    for key, group, stance, count in session.execute(query):
        if stance is not None:  # filtered in SQL; this tells the type checker
            result[key].by_group.setdefault(group, Counter())[stance] = count
    return dict(result)


@dataclass(frozen=True, slots=True)
class GroupParticipation:
    group: StakeholderGroup
    comments: int
    people: int


def participation(session: Session, consultation: Consultation) -> list[GroupParticipation]:
    """Comments and distinct people per stakeholder group, every group listed."""
    query = (
        select(
            Comment.stakeholder_group,
            func.count(Comment.id),
            func.count(distinct(Comment.author_id)),
        )
        .join(Thread, Comment.thread_id == Thread.id)
        .where(Thread.consultation_id == consultation.id)
        .group_by(Comment.stakeholder_group)
    )
    counts = {group: (c, p) for group, c, p in session.execute(query)}
    return [GroupParticipation(group, *counts.get(group, (0, 0))) for group in StakeholderGroup]


# -- the public consensus map and its scores -----------------------------------------------------
#
# A paragraph's *votes* are its opening comments' stances, plus every endorsement of such a
# comment, which counts as the endorser taking the comment's stance (the endorser's group is
# recorded with the endorsement). An anonymous comment counts in the paragraph's
# `undisclosed` column and in no group: its author chose not to show their group, and a
# count by group would show it. Hidden comments (moderation) do not count.

GROUPS: tuple[StakeholderGroup, ...] = tuple(StakeholderGroup)

DEFINITIONS = {
    "agreement": N_(
        "Agreement (0 to 1): whether every stakeholder group supports the paragraph. For each "
        "of the five groups, its share of support is smoothed as (supports + 1) ÷ (votes + 2), "
        "so a group that has not spoken counts as undecided (0.5); the five shares are "
        "multiplied and the fifth root is taken. 0.5 means undecided, 1 means every group "
        "supports; one group's enthusiasm cannot make up for another's opposition."
    ),
    "contention": N_(
        "Contention (0 to 1): how far apart the groups are. Each group that voted leans from "
        "−1 (all oppose) to +1 (all support); contention is half the distance between the "
        "group leaning most towards support and the one leaning most against. 0 when the "
        "groups lean the same way, 1 when one group only supports and another only opposes."
    ),
    "bridging": N_(
        "Bridging score: the product of the five groups' smoothed shares of support, which is "
        "how Pol.is defines group-informed consensus. Agreement is its fifth root; both rank "
        "paragraphs in the same order. A vote is an opening comment's stance, or an "
        "endorsement of such a comment (the endorser takes its stance); anonymous comments "
        "count in no group."
    ),
}


@dataclass(frozen=True, slots=True)
class Votes:
    """One group's votes on a statement: approvals, oppositions, and all of them (a vote
    that neither supports nor opposes, such as a question, counts as a pass)."""

    approve: int = 0
    oppose: int = 0
    total: int = 0

    def smoothed_approval(self) -> float:
        """Laplace's rule of succession: (approvals + 1) / (votes + 2)."""
        return (self.approve + 1) / (self.total + 2)

    def lean(self) -> float:
        return (self.approve - self.oppose) / self.total if self.total else 0.0


def bridging(votes: Mapping[StakeholderGroup, Votes]) -> float:
    """Group-informed consensus: the product of every group's smoothed approval.

    Taken over all five declared groups, a group without votes counting 1/2: that constant
    changes no ranking within a consultation, and it means a first vote of approval from a
    group that had not voted raises the score instead of adding a factor below 1."""
    product = 1.0
    for group in GROUPS:
        product *= votes.get(group, Votes()).smoothed_approval()
    return product


def agreement(votes: Mapping[StakeholderGroup, Votes]) -> float:
    """The bridging score as its geometric mean over the groups: 0.5 is undecided."""
    return float(bridging(votes) ** (1 / len(GROUPS)))


def contention(votes: Mapping[StakeholderGroup, Votes]) -> float:
    """Half the spread between the groups' leanings (0 with fewer than two groups)."""
    leans = [v.lean() for v in votes.values() if v.total]
    return (max(leans) - min(leans)) / 2 if len(leans) >= 2 else 0.0


def _vote(stance: Stance, count: int) -> Votes:
    return Votes(
        approve=count if stance == Stance.SUPPORT else 0,
        oppose=count if stance == Stance.OPPOSE else 0,
        total=count,
    )


def _plus(a: Votes, b: Votes) -> Votes:
    return Votes(a.approve + b.approve, a.oppose + b.oppose, a.total + b.total)


@dataclass(frozen=True, slots=True)
class ParagraphConsensus:
    """One row of the public consensus map."""

    paragraph: Paragraph
    threads: int
    stances: Mapping[StakeholderGroup, Counter[Stance]]  # opening comments, by group
    undisclosed: Counter[Stance]  # anonymous opening comments
    votes: Mapping[StakeholderGroup, Votes]  # stances and endorsements, by group

    @property
    def key(self) -> str:
        return self.paragraph.key

    @property
    def comments(self) -> int:
        return sum(sum(c.values()) for c in self.stances.values()) + sum(self.undisclosed.values())

    @property
    def agreement(self) -> float:
        return agreement(self.votes)

    @property
    def contention(self) -> float:
        return contention(self.votes)

    @property
    def bridging(self) -> float:
        return bridging(self.votes)


SORTS = ("paragraph", "contention", "agreement")


def consensus_map(
    service: ConsultationService,
    consultation: Consultation,
    sort: str = "paragraph",
    *,
    paragraphs: Sequence[Paragraph] | None = None,
    threads: Mapping[str, int] | None = None,
) -> list[ParagraphConsensus]:
    """Every paragraph of the current version (or of `paragraphs`) with its stances by
    group and its scores; `sort`: in document order, most contested first, or most agreed
    first. A caller that has the paragraphs and thread counts already passes them."""
    session = service.session
    if paragraphs is None:
        paragraphs = service.paragraphs(service.version(consultation))
    stances, undisclosed = _opening_stances(session, consultation)
    votes = _votes(session, consultation, stances)
    if threads is None:
        threads = service.thread_counts(consultation)
    rows = [
        ParagraphConsensus(
            p, threads.get(p.key, 0), stances.get(p.key, {}), undisclosed[p.key], votes[p.key]
        )
        for p in paragraphs
    ]
    if sort == "contention":
        rows.sort(key=lambda r: (-r.contention, -r.comments, r.paragraph.ordinal))
    elif sort == "agreement":
        rows.sort(key=lambda r: (-r.bridging, -r.comments, r.paragraph.ordinal))
    return rows


_StanceCounts = dict[str, dict[StakeholderGroup, Counter[Stance]]]


def _opening(consultation: Consultation) -> Any:
    """The conditions of a counted comment: an opening one, with a stance, not hidden."""
    return (
        Thread.consultation_id == consultation.id,
        Comment.parent_id.is_(None),
        Comment.stance.is_not(None),
        Comment.hidden_at.is_(None),
    )


def _opening_stances(
    session: Session, consultation: Consultation
) -> tuple[_StanceCounts, defaultdict[str, Counter[Stance]]]:
    anonymous = Comment.attribution == Attribution.ANONYMOUS
    query = (
        select(
            Thread.paragraph_key, anonymous, Comment.stakeholder_group, Comment.stance, func.count()
        )
        .join(Comment, Comment.thread_id == Thread.id)
        .where(*_opening(consultation))
        .group_by(Thread.paragraph_key, anonymous, Comment.stakeholder_group, Comment.stance)
    )
    by_group: _StanceCounts = defaultdict(dict)
    undisclosed: defaultdict[str, Counter[Stance]] = defaultdict(Counter)
    for key, hidden_group, group, stance, count in session.execute(query):
        if stance is None:  # filtered in SQL; this tells the type checker
            continue
        if hidden_group:
            undisclosed[key][stance] += count
        else:
            by_group[key].setdefault(group, Counter())[stance] += count
    return by_group, undisclosed


def _votes(
    session: Session, consultation: Consultation, stances: _StanceCounts
) -> defaultdict[str, dict[StakeholderGroup, Votes]]:
    votes: defaultdict[str, dict[StakeholderGroup, Votes]] = defaultdict(dict)
    for key, groups in stances.items():
        for group, counter in groups.items():
            for stance, count in counter.items():
                votes[key][group] = _plus(votes[key].get(group, Votes()), _vote(stance, count))
    query = (
        select(Thread.paragraph_key, Endorsement.stakeholder_group, Comment.stance, func.count())
        .join(Comment, Comment.thread_id == Thread.id)
        .join(Endorsement, Endorsement.comment_id == Comment.id)
        .where(*_opening(consultation))
        .group_by(Thread.paragraph_key, Endorsement.stakeholder_group, Comment.stance)
    )
    for key, group, endorsed, count in session.execute(query):
        if endorsed is None:  # filtered in SQL
            continue
        votes[key][group] = _plus(votes[key].get(group, Votes()), _vote(endorsed, count))
    return votes


# -- suggestions ---------------------------------------------------------------------------------

ACROSS_GROUPS = 3  # endorsed from at least this many groups: "supported across groups"


@dataclass(frozen=True, slots=True)
class SuggestionSupport:
    """A suggestion's endorsements weighed by group. A group's votes are its participants
    in the consultation (people who commented under their group, or endorsed), of whom
    `approve` endorsed the suggestion."""

    comment_id: int
    votes: Mapping[StakeholderGroup, Votes]

    @property
    def bridging(self) -> float:
        return bridging(self.votes)

    @property
    def groups(self) -> int:
        return sum(1 for v in self.votes.values() if v.approve)

    @property
    def across_groups(self) -> bool:
        return self.groups >= ACROSS_GROUPS


def suggestion_support(
    session: Session, consultation: Consultation
) -> dict[int, SuggestionSupport]:
    """Every suggestion of the consultation (comment id → its support across groups)."""
    in_consultation = (Thread.consultation_id == consultation.id, Comment.hidden_at.is_(None))
    authors = (
        select(Comment.author_id.label("person"), Comment.stakeholder_group.label("grp"))
        .join(Thread, Comment.thread_id == Thread.id)
        .where(*in_consultation, Comment.attribution != Attribution.ANONYMOUS)
    )
    endorsers = (
        select(Endorsement.user_id.label("person"), Endorsement.stakeholder_group.label("grp"))
        .join(Comment, Endorsement.comment_id == Comment.id)
        .join(Thread, Comment.thread_id == Thread.id)
        .where(*in_consultation)
    )
    people = authors.union(endorsers).subquery()
    by_group = select(people.c.grp, func.count(distinct(people.c.person))).group_by(people.c.grp)
    participants: dict[StakeholderGroup, int] = dict(session.execute(by_group).all())
    suggestions = session.scalars(
        select(Comment.id)
        .join(Thread, Comment.thread_id == Thread.id)
        .where(*in_consultation, Comment.suggestion.is_not(None))
    ).all()
    endorsed: defaultdict[int, Counter[StakeholderGroup]] = defaultdict(Counter)
    query = (
        select(Endorsement.comment_id, Endorsement.stakeholder_group, func.count())
        .where(Endorsement.comment_id.in_(suggestions))
        .group_by(Endorsement.comment_id, Endorsement.stakeholder_group)
    )
    for comment_id, group, count in session.execute(query) if suggestions else ():
        endorsed[comment_id][group] = count
    return {
        comment_id: SuggestionSupport(
            comment_id,
            {
                group: Votes(approve=endorsed[comment_id][group], total=total)
                for group, total in participants.items()
            },
        )
        for comment_id in suggestions
    }


# -- the map as JSON (API) and CSV (download) -----------------------------------------------------


class ParagraphConsensusJSON(BaseModel):
    """One paragraph of the current version: counts only, never who."""

    key: str
    ordinal: int = Field(description="The paragraph's number in the current version.")
    threads: int
    groups: dict[StakeholderGroup, dict[Stance, int]] = Field(
        description="Opening comments' stances by the author's stakeholder group (every group "
        "and stance listed, zeros included; anonymous comments are in `undisclosed`)."
    )
    undisclosed: dict[Stance, int] = Field(
        description="Stances of anonymous opening comments, whose group is not shown."
    )
    agreement: float = Field(ge=0, le=1, description="See `definitions.agreement`.")
    contention: float = Field(ge=0, le=1, description="See `definitions.contention`.")
    bridging: float = Field(ge=0, le=1, description="See `definitions.bridging`.")

    @classmethod
    def of(cls, row: ParagraphConsensus) -> ParagraphConsensusJSON:
        return cls(
            key=row.key,
            ordinal=row.paragraph.ordinal,
            threads=row.threads,
            groups={g: _all_stances(row.stances.get(g, Counter())) for g in GROUPS},
            undisclosed=_all_stances(row.undisclosed),
            agreement=round(row.agreement, 4),
            contention=round(row.contention, 4),
            bridging=round(row.bridging, 6),
        )


class ConsensusJSON(BaseModel):
    """The consensus map of a consultation's current version."""

    paragraphs: list[ParagraphConsensusJSON]
    definitions: dict[str, str] = Field(
        description="The scores (`agreement`, `contention`, `bridging`) in plain words."
    )

    @classmethod
    def of(cls, rows: Sequence[ParagraphConsensus]) -> ConsensusJSON:
        return cls(
            paragraphs=[ParagraphConsensusJSON.of(row) for row in rows],
            definitions=dict(DEFINITIONS),
        )


def _all_stances(counts: Counter[Stance]) -> dict[Stance, int]:
    return {stance: counts.get(stance, 0) for stance in Stance}


def as_csv(rows: Sequence[ParagraphConsensus]) -> str:
    """One row per paragraph: its number, key and text, a column per group and stance (then
    the undisclosed ones), and the scores; RFC 4180, text cells quoted and defused."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    stance_columns = [f"{g.value}_{s.value}" for g in GROUPS for s in Stance]
    undisclosed = [f"undisclosed_{s.value}" for s in Stance]
    writer.writerow(
        [
            "ordinal",
            "key",
            "text",
            "threads",
            *stance_columns,
            *undisclosed,
            "agreement",
            "contention",
            "bridging",
        ]
    )
    for row in rows:
        data = ParagraphConsensusJSON.of(row)
        counts = [data.groups[g][s] for g in GROUPS for s in Stance]
        writer.writerow(
            [data.ordinal, cell(data.key), cell(row.paragraph.text), data.threads, *counts]
            + [data.undisclosed[s] for s in Stance]
            + [data.agreement, data.contention, data.bridging]
        )
    return out.getvalue()


def group_totals(
    rows: Sequence[ParagraphConsensus],
) -> dict[StakeholderGroup | None, Counter[Stance]]:
    """Opening comments' stances over the whole draft, by group (None: undisclosed)."""
    totals: dict[StakeholderGroup | None, Counter[Stance]] = {g: Counter() for g in GROUPS}
    totals[None] = Counter()
    for row in rows:
        for group, counts in row.stances.items():
            totals[group].update(counts)
        totals[None].update(row.undisclosed)
    return totals


# -- reading aids for the draft page: the outline and the filters --------------------------------

FILTERS = ("contested", "agreed", "unanswered")
CONTESTED = 0.5  # contention from which a paragraph is marked contested
FILTER_TOP = 10  # "most contested" and "most agreed" show at most this many paragraphs


@dataclass(frozen=True, slots=True)
class Section:
    """A heading of the draft and the activity on the paragraphs under it (until the next
    heading of the same or a higher level)."""

    heading: Paragraph
    level: int
    threads: int
    contested: int  # paragraphs under it whose groups disagree (contention ≥ 0.5)


def heading_level(paragraph: Paragraph) -> int:
    hashes = len(paragraph.source) - len(paragraph.source.lstrip("#"))
    return hashes if 1 <= hashes <= 6 else 1


def outline(rows: Sequence[ParagraphConsensus]) -> list[Section]:
    """The draft's headings, each with its section's threads and contested paragraphs."""
    sections: list[Section] = []
    for index, row in enumerate(rows):
        if row.paragraph.kind != "heading":
            continue
        level = heading_level(row.paragraph)
        threads = contested = 0
        for later in rows[index:]:
            heading = later is not row and later.paragraph.kind == "heading"
            if heading and heading_level(later.paragraph) <= level:
                break
            threads += later.threads
            contested += later.contention >= CONTESTED
        sections.append(Section(row.paragraph, level, threads, contested))
    return sections


def filtered_keys(
    session: Session, consultation: Consultation, rows: Sequence[ParagraphConsensus], show: str
) -> set[str] | None:
    """The paragraphs a draft-page filter keeps (None: no filter, all of them)."""
    if show == "contested":
        ranked = sorted((r for r in rows if r.contention > 0), key=lambda r: -r.contention)
    elif show == "agreed":
        neutral = bridging({})
        ranked = sorted((r for r in rows if r.bridging > neutral), key=lambda r: -r.bridging)
    elif show == "unanswered":
        return unanswered_keys(session, consultation)
    else:
        return None
    return {row.key for row in ranked[:FILTER_TOP]}


def unanswered_keys(session: Session, consultation: Consultation) -> set[str]:
    """Paragraphs with a thread that nobody has replied to yet (and no editor decided)."""
    reply = select(Comment.id).where(Comment.thread_id == Thread.id, Comment.parent_id.is_not(None))
    query = (
        select(Thread.paragraph_key)
        .where(
            Thread.consultation_id == consultation.id,
            Thread.disposition.is_(None),
            ~reply.exists(),
        )
        .distinct()
    )
    return set(session.scalars(query))


# -- participation over time ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Day:
    """Comments written on one day (UTC), by the author's group (None: anonymous)."""

    day: date
    by_group: Mapping[StakeholderGroup | None, int]

    @property
    def total(self) -> int:
        return sum(self.by_group.values())


def participation_over_time(session: Session, consultation: Consultation) -> list[Day]:
    """Every day from the first comment to the last, quiet days included (a gap in the
    chart is a quiet day, not a missing one); hidden comments are left out."""
    query = (
        select(Comment.created_at, Comment.attribution, Comment.stakeholder_group)
        .join(Thread, Comment.thread_id == Thread.id)
        .where(Thread.consultation_id == consultation.id, Comment.hidden_at.is_(None))
    )
    counts: defaultdict[date, Counter[StakeholderGroup | None]] = defaultdict(Counter)
    for created_at, attribution, group in session.execute(query):
        shown = None if attribution == Attribution.ANONYMOUS else group
        counts[as_utc(created_at).date()][shown] += 1
    if not counts:
        return []
    first, last = min(counts), max(counts)
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [Day(day, dict(counts.get(day, Counter()))) for day in days]
