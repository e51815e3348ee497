"""Policy briefs: each published version is immutable and has its own permalink."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultations.models import Comment, Consultation, Thread, Topic
from core.db import Base, enum_column
from core.enums import Disposition, Language

brief_topics = Table(
    "brief_topics",
    Base.metadata,
    Column("brief_id", ForeignKey("briefs.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)

brief_citations = Table(
    "brief_citations",
    Base.metadata,
    Column("version_id", ForeignKey("brief_versions.id", ondelete="CASCADE"), primary_key=True),
    Column("thread_id", ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True),
)


class Brief(Base):
    __tablename__ = "briefs"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    language: Mapped[Language] = mapped_column(enum_column(Language))
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultations.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]

    consultation: Mapped[Consultation | None] = relationship()
    topics: Mapped[list[Topic]] = relationship(secondary=brief_topics, order_by=Topic.slug)
    versions: Mapped[list[BriefVersion]] = relationship(
        back_populates="brief", order_by="BriefVersion.number"
    )


class BriefVersion(Base):
    """A version of a brief. While `published_at` is null it is the editor's working copy;
    once published it never changes (the annex is frozen with it)."""

    __tablename__ = "brief_versions"
    __table_args__ = (UniqueConstraint("brief_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brief_id: Mapped[int] = mapped_column(ForeignKey("briefs.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    body_markdown: Mapped[str] = mapped_column(Text)
    change_note: Mapped[str] = mapped_column(Text, default="")
    annex: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    brief: Mapped[Brief] = relationship(back_populates="versions")
    cited_threads: Mapped[list[Thread]] = relationship(
        secondary=brief_citations, order_by=Thread.id
    )


class DispositionContest(Base):
    """A commenter's objection to the disposition of their thread, once per thread, after a
    brief was published, and the editor's answer: both public, on the thread and in the annex."""

    __tablename__ = "disposition_contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), unique=True
    )
    # The contester's comment in the thread: its attribution is how the public sees them.
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    disposition: Mapped[Disposition] = mapped_column(enum_column(Disposition))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    thread: Mapped[Thread] = relationship()
    comment: Mapped[Comment] = relationship()
