"""Running a consultation: its status and its comment rules, what an editor sends, and the
one way to change each.

The editor's dashboard and the JSON API both build a `StatusChange` or `CommentRules` and
call `change_status` or `change_comment_rules`, which answer the consultation as it now
stands. The rules of the order of statuses (a consultation moves forward, and may only
reopen from closed) and of the period stay in `ConsultationService`; the models check what
needs nothing but the input.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.policy import require_editor
from consultations.models import Consultation
from consultations.services import ConsultationService
from core.clock import Clock, as_utc
from core.enums import ConsultationStatus, Phase
from core.i18n import N_
from core.inputs import Moment, Problems, field_error

NOT_CHANGED = N_("The consultation was not changed.")


class StatusChange(BaseModel):
    """Where the consultation goes next: draft → open → closed → synthesis → published →
    archived (closed may reopen)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Annotated[
        ConsultationStatus,
        Problems({}, any=N_("Unknown status.")),
    ]


class CommentRules(BaseModel):
    """The comment period (either end may be open) and whether anonymous comments are
    accepted; comments already posted keep the attribution they were posted with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    opens_at: Annotated[Moment, Field(description="When comments open; null: at once.")] = None
    closes_at: Annotated[Moment, Field(description="When comments close; null: never.")] = None
    allow_anonymous: bool = False

    @model_validator(mode="after")
    def _period_in_order(self) -> Self:
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise field_error("closes_at", N_("The comment period must close after it opens."))
        return self


class ConsultationState(BaseModel):
    """How the consultation stands after the change."""

    model_config = ConfigDict(frozen=True)

    slug: str
    status: ConsultationStatus = Field(description="As the editor set it.")
    phase: Phase = Field(description="As readers see it now (the period taken into account).")
    opens_at: AwareDatetime | None
    closes_at: AwareDatetime | None
    allow_anonymous: bool

    @classmethod
    def of(cls, service: ConsultationService, consultation: Consultation) -> Self:
        return cls(
            slug=consultation.slug,
            status=consultation.status,
            phase=service.effective_status(consultation),
            opens_at=as_utc(consultation.opens_at) if consultation.opens_at else None,
            closes_at=as_utc(consultation.closes_at) if consultation.closes_at else None,
            allow_anonymous=consultation.allow_anonymous,
        )


def change_status(
    session: Session, clock: Clock, actor: User | None, slug: str, data: StatusChange
) -> ConsultationState:
    """Move consultation `slug` to `data.status` as `actor`, who must be an editor, in the
    caller's transaction (with its audit and search index rows)."""
    editor = require_editor(actor)
    service = ConsultationService(session, clock=clock)
    consultation = service.get(slug)
    service.set_status(consultation, data.status, editor=editor)
    return ConsultationState.of(service, consultation)


def change_comment_rules(
    session: Session, clock: Clock, actor: User | None, slug: str, data: CommentRules
) -> ConsultationState:
    """Set the comment period and anonymity of consultation `slug` as `actor`, who must be
    an editor, in the caller's transaction."""
    editor = require_editor(actor)
    service = ConsultationService(session, clock=clock)
    consultation = service.get(slug)
    service.set_comment_rules(
        consultation,
        editor=editor,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        allow_anonymous=data.allow_anonymous,
    )
    return ConsultationState.of(service, consultation)
