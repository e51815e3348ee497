"""Where stakeholder groups agree and disagree: stances by group, per paragraph."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from consultations.models import Comment, Consultation, Thread
from core.enums import StakeholderGroup, Stance


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
