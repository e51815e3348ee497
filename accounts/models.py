"""People, their roles and stakeholder affiliation, and their API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @property
    def is_editor(self) -> bool:
        return self.role in (Role.EDITOR, Role.ADMIN)


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    scope: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")
