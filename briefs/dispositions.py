"""Deciding a thread: what an editor records about it, and the one way to record it."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.policy import require_editor
from briefs.synthesis import SynthesisService
from consultations.models import Thread
from core.clock import Clock
from core.enums import Disposition
from core.i18n import N_
from core.inputs import NO_NUL, NOT_BLANK, TEXT, Problems, field_error, parse

MAX_RATIONALE_CHARS = 10_000
NOT_SAVED = N_("The disposition could not be saved.")
CHOOSE = N_(
    "Choose a disposition: accepted, partially_accepted, not_accepted, noted, out_of_scope."
)


class Decision(BaseModel):
    """What became of a thread, and why (a rationale is needed unless it was only noted)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # The rule of `_explained`, for the API's readers (and its generated tests).
        json_schema_extra={
            "if": {"properties": {"disposition": {"const": "noted"}}},
            "else": {
                "required": ["rationale"],
                "properties": {"rationale": {"pattern": NOT_BLANK}},
            },
        },
    )

    disposition: Annotated[
        Disposition,
        Problems({"enum": CHOOSE}),
    ]
    rationale: Annotated[
        str,
        Field(max_length=MAX_RATIONALE_CHARS, pattern=NO_NUL),
        TEXT,
        Problems({"string_too_long": N_("Rationales are limited to 10,000 characters.")}),
    ] = ""

    @model_validator(mode="after")
    def _explained(self) -> Self:
        if self.disposition != Disposition.NOTED and not self.rationale.strip():
            raise field_error("rationale", N_("Explain the decision: a rationale is required."))
        return self

    @classmethod
    def of(cls, disposition: str, rationale: str = "") -> Decision:
        """From the form's two fields (or a test's words); InvalidInput names what is wrong."""
        return parse(cls, {"disposition": disposition, "rationale": rationale}, NOT_SAVED)


def decide_thread(
    session: Session, clock: Clock, actor: User | None, slug: str, thread_id: int, data: Decision
) -> Thread:
    """Record `data` on thread `thread_id` of consultation `slug` (and its identical copies),
    as `actor`, who must be an editor; a thread of another consultation is not found."""
    editor = require_editor(actor)
    service = SynthesisService(session, clock=clock)
    service.thread(service.consultations.get(slug), thread_id)
    return service.decide(thread_id, editor=editor, decision=data)


def decide_thread_by_id(
    session: Session, clock: Clock, actor: User | None, thread_id: int, data: Decision
) -> Thread:
    """The API's way in: the thread by its id alone, under the same rules."""
    editor = require_editor(actor)
    return SynthesisService(session, clock=clock).decide(thread_id, editor=editor, decision=data)
