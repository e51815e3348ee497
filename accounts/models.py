"""People, their organisations and sign-in identities, roles and stakeholder affiliation,
API tokens, single-use email links and sign-in rate limits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts import policy
from core.db import Base, enum_column
from core.enums import Role, StakeholderGroup


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.PARTICIPANT)
    stakeholder_group: Mapped[StakeholderGroup | None] = mapped_column(
        enum_column(StakeholderGroup)
    )
    organisation: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    email_verified_at: Mapped[datetime | None]
    affiliation_verified_at: Mapped[datetime | None]
    affiliation_verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Part of every session; raising it signs the person out everywhere at once.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime]
    # Mail is written in `language`; digests go out at `digest_hour` in `timezone` (and on
    # `digest_weekday`, 0 = Monday, when weekly). See accounts/following.py.
    language: Mapped[str] = mapped_column(String(5), default="en", server_default="en")
    timezone: Mapped[str] = mapped_column(
        String(64), default="Europe/Kyiv", server_default="Europe/Kyiv"
    )
    notify_frequency: Mapped[str] = mapped_column(
        String(12), default="immediately", server_default="immediately"
    )
    digest_hour: Mapped[int] = mapped_column(SmallInteger, default=8, server_default="8")
    digest_weekday: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")
    identities: Mapped[list[Identity]] = relationship(back_populates="user")

    @property
    def is_editor(self) -> bool:
        return policy.is_editor(self)


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    scope: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")


class Organisation(Base):
    """An organisation several people speak for (a ministry, company, university, NGO)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    stakeholder_group: Mapped[StakeholderGroup] = mapped_column(enum_column(StakeholderGroup))
    country: Mapped[str | None] = mapped_column(String(2))
    website: Mapped[str | None] = mapped_column(String(300))
    verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Identity(Base):
    """A sign-in identity at an OpenID Connect provider, linked by the provider's subject
    (never by an unverified email address)."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="identities")


class EmailLink(Base):
    """A single-use, expiring link sent by email (address verification, password reset).
    Only the SHA-256 of its secret is stored."""

    __tablename__ = "email_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class RateLimit(Base):
    """Attempts per key (e.g. "signin:ip:203.0.113.7") in a fixed window, shared by every
    web process through the database."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    # A key many clients share (the attempts of one address) is counted in several rows,
    # its shards, so that concurrent transactions need not wait for each other's row
    # lock; its count is the sum of its live shards. Other keys have only shard 0.
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0)
    window_start: Mapped[datetime]
    # When the window ends: each key has its own window length, so one upsert can count
    # several limits, and ended windows can be deleted by one indexed comparison.
    expires_at: Mapped[datetime] = mapped_column(index=True)
    hits: Mapped[int]


class Follow(Base):
    """A person follows a consultation, a thread or a topic: they hear of what happens there."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("user_id", "target_kind", "target_id"),
        Index("ix_follows_target", "target_kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    target_kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int]
    created_at: Mapped[datetime]


class Notification(Base):
    """One thing a person was told of: listed in the app, mailed at once or in a digest
    (`emailed_at` is set when it left in a mail, or when nobody is to mail it)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    consultation_id: Mapped[int | None]
    thread_id: Mapped[int | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None] = mapped_column(index=True)
