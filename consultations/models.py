"""Consultations, their immutable draft versions and paragraphs, threads and comments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, enum_column
from core.enums import (
    Attribution,
    ConsultationStatus,
    Disposition,
    FlagReason,
    Language,
    StakeholderGroup,
    Stance,
    ThreadState,
    ThreadStatus,
)

consultation_topics = Table(
    "consultation_topics",
    Base.metadata,
    Column("consultation_id", ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)


class Topic(Base):
    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Consultation(Base):
    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[Language] = mapped_column(enum_column(Language))
    status: Mapped[ConsultationStatus] = mapped_column(
        enum_column(ConsultationStatus), default=ConsultationStatus.DRAFT
    )
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    allow_anonymous: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    topics: Mapped[list[Topic]] = relationship(secondary=consultation_topics, order_by=Topic.slug)
    versions: Mapped[list[DraftVersion]] = relationship(
        back_populates="consultation", order_by="DraftVersion.number"
    )


class DraftVersion(Base):
    """An immutable revision of the draft text."""

    __tablename__ = "draft_versions"
    __table_args__ = (UniqueConstraint("consultation_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    number: Mapped[int]
    source: Mapped[str] = mapped_column(Text)
    change_note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    consultation: Mapped[Consultation] = relationship(back_populates="versions")
    paragraphs: Mapped[list[Paragraph]] = relationship(
        back_populates="version", order_by="Paragraph.ordinal"
    )


class Paragraph(Base):
    """A commentable block of one version; `key` stays the same across versions."""

    __tablename__ = "paragraphs"
    __table_args__ = (
        UniqueConstraint("version_id", "key"),
        Index("ix_paragraphs_version_ordinal", "version_id", "ordinal"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("draft_versions.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(16))
    ordinal: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    change: Mapped[str] = mapped_column(String(10), default="new")

    version: Mapped[DraftVersion] = relationship(back_populates="paragraphs")


class Thread(Base):
    """A discussion anchored to a paragraph key, with the editor's disposition."""

    __tablename__ = "threads"
    __table_args__ = (Index("ix_threads_consultation_key", "consultation_id", "paragraph_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    paragraph_key: Mapped[str] = mapped_column(String(16))
    version_number: Mapped[int]
    quote: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ThreadStatus] = mapped_column(
        enum_column(ThreadStatus), default=ThreadStatus.OPEN
    )
    # Where the thread stands in the current version, set when a version is published
    # (consultations/carry.py) or by an editor's re-anchoring (consultations/reanchoring.py).
    state: Mapped[ThreadState] = mapped_column(
        enum_column(ThreadState), default=ThreadState.ANCHORED, server_default="anchored"
    )
    # The key it was written on, in version `version_number` (its text is what it said).
    origin_key: Mapped[str | None] = mapped_column(String(16))
    moved_from: Mapped[str | None] = mapped_column(String(16))  # key before an editor's move
    moved_in_version: Mapped[int | None]  # the version whose paragraph it was moved to
    closed_reason: Mapped[str | None] = mapped_column(Text)
    disposition: Mapped[Disposition | None] = mapped_column(enum_column(Disposition))
    rationale: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    consultation: Mapped[Consultation] = relationship()
    comments: Mapped[list[Comment]] = relationship(back_populates="thread", order_by="Comment.id")


class Comment(Base):
    """A comment or reply. Who the author was is snapshotted: later profile edits don't
    rewrite history, and `attribution` decides how much of it the public sees."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    stance: Mapped[Stance | None] = mapped_column(enum_column(Stance))
    suggestion: Mapped[str | None] = mapped_column(Text)
    attribution: Mapped[Attribution] = mapped_column(enum_column(Attribution))
    author_name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(200))
    stakeholder_group: Mapped[StakeholderGroup] = mapped_column(enum_column(StakeholderGroup))
    # Snapshot: was the author's affiliation verified when they posted?
    verified: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]
    # Set while a moderator hides it (consultations/moderating.py): it keeps its place in
    # the thread, its replies stay, and everyone reads the reason instead of its text.
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    thread: Mapped[Thread] = relationship(back_populates="comments")

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None


class Endorsement(Base):
    """A participant's +1 on a comment (or its suggestion); one per person and comment.
    The endorser's stakeholder group is snapshotted, as a comment's author's is: counts by
    group (and the bridging scores built on them) do not change when a profile does."""

    __tablename__ = "endorsements"

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    stakeholder_group: Mapped[StakeholderGroup] = mapped_column(enum_column(StakeholderGroup))
    created_at: Mapped[datetime]


class AppliedSuggestion(Base):
    """A suggestion the editor merged into the draft: under which disposition, into which
    version, and whether the editor had to resolve a conflict with the text as it stood."""

    __tablename__ = "applied_suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), unique=True
    )
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    disposition: Mapped[Disposition] = mapped_column(enum_column(Disposition))
    version_number: Mapped[int]
    resolved_conflict: Mapped[bool] = mapped_column(default=False)
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    applied_at: Mapped[datetime]


class Flag(Base):
    """A participant's report of a comment to the moderators: one open flag per person and
    comment; a moderator's decision (hide, or keep it visible) resolves the open ones."""

    __tablename__ = "flags"
    __table_args__ = (
        Index(
            "uq_flags_open",
            "comment_id",
            "user_id",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[FlagReason] = mapped_column(enum_column(FlagReason))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(20))  # "hidden" or "kept"
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    comment: Mapped[Comment] = relationship()


class OpinionMap(Base):
    """The opinion groups last computed for a consultation by the outbox worker
    (consultations/opinions.py): what the consensus page shows, never computed on a request.
    `fingerprint` says which votes it was computed from, so the worker knows when to redo it."""

    __tablename__ = "opinion_maps"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True
    )
    computed_at: Mapped[datetime]
    fingerprint: Mapped[str] = mapped_column(String(100))
    participants: Mapped[int]
    groups: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class CampaignMember(Base):
    """A thread's opening comment as the near-duplicate grouping saw it (consultations/
    campaigns.py): its MinHash signature, and the campaign it belongs to, named by the id of
    the campaign's earliest comment (None while nothing else says nearly the same)."""

    __tablename__ = "campaign_members"
    __table_args__ = (Index("ix_campaign_members_campaign", "consultation_id", "campaign_id"),)

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None]
    signature: Mapped[str] = mapped_column(Text)  # base64 of the MinHash's uint32 values
    indexed_at: Mapped[datetime]


class CampaignBand(Base):
    """One LSH band of a member's signature, hashed with its band number: two comments of
    a consultation sharing any band's hash are candidates to compare."""

    __tablename__ = "campaign_bands"
    __table_args__ = (Index("ix_campaign_bands_lookup", "consultation_id", "hash"),)

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_members.comment_id", ondelete="CASCADE"), primary_key=True
    )
    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    hash: Mapped[int] = mapped_column(BigInteger)
