"""Creating a consultation: what an editor sends, and the one way to create one.

The editor's form (Markdown or an uploaded .docx), `roundtable import-draft` and the demo
all build a `NewConsultation` and call `create_consultation`, so a consultation is checked
the same way wherever it comes from. The model states every rule it can (slug, title,
language, topics, the draft's size, the order of the dates); the service adds what needs
the database (a slug already taken) or the draft split (its paragraph limits).
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.policy import require_editor
from consultations.services import SLUG_PATTERN, ConsultationService
from consultations.versions import DraftMarkdown
from core.clock import Clock
from core.enums import Language
from core.i18n import N_
from core.inputs import NO_NUL, NOT_BLANK, TEXT, Moment, Problems, field_error

MAX_SLUG_CHARS = 120
MAX_TITLE_CHARS = 300
MAX_TOPIC_CHARS = 80
BAD_TOPICS = N_("Topics use lowercase letters, digits and hyphens, such as “net-neutrality”.")


def _topic_slug(value: object) -> object:
    """Topics are typed by hand (“Encryption, privacy”): compared in lowercase, trimmed."""
    return value.strip().lower() if isinstance(value, str) else value


TopicSlug = Annotated[
    str,
    Field(max_length=MAX_TOPIC_CHARS, pattern=SLUG_PATTERN.pattern),
    BeforeValidator(_topic_slug),
]


class NewConsultation(BaseModel):
    """A draft consultation: its address, what it is called and about, and its first text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slug: Annotated[
        str,
        Field(
            max_length=MAX_SLUG_CHARS,
            pattern=SLUG_PATTERN.pattern,
            description="Part of the permanent link; cannot change.",
        ),
        Problems({}, any=N_("Use lowercase letters, digits and single hyphens.")),
    ]
    title: Annotated[
        str,
        Field(max_length=MAX_TITLE_CHARS, pattern=NOT_BLANK),
        TEXT,
        Problems({}, any=N_("A title of up to 300 characters is required.")),
    ]
    summary: Annotated[str, Field(pattern=NO_NUL), TEXT] = ""
    language: Annotated[
        Language,
        Field(description="The language of the draft."),
        Problems({}, any=N_("Language must be en or uk.")),
    ] = Language.EN
    topics: Annotated[
        tuple[TopicSlug, ...],
        Problems({}, any=BAD_TOPICS),
    ] = ()
    markdown: Annotated[DraftMarkdown, Field(description="The first version, as Markdown.")]
    opens_at: Annotated[Moment, Field(description="When comments open.")] = None
    closes_at: Annotated[Moment, Field(description="When comments close.")] = None

    @model_validator(mode="after")
    def _period_in_order(self) -> Self:
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise field_error("closes_at", N_("The comment period must close after it opens."))
        return self


class ConsultationCreated(BaseModel):
    """The new draft's address and the size of its first version."""

    model_config = ConfigDict(frozen=True)

    slug: str
    paragraphs: int = Field(ge=1, description="Paragraphs in version 1.")


def create_consultation(
    session: Session, clock: Clock, actor: User | None, data: NewConsultation
) -> ConsultationCreated:
    """Create `data` as a draft by `actor`, who must be an editor, in the caller's
    transaction (the consultation, its first version, the audit and outbox rows)."""
    editor = require_editor(actor)
    service = ConsultationService(session, clock=clock)
    consultation = service.create(
        editor=editor,
        slug=data.slug,
        title=data.title,
        markdown=data.markdown,
        language=data.language,
        summary=data.summary,
        topics=data.topics,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
    )
    paragraphs = len(service.paragraphs(service.version(consultation)))
    return ConsultationCreated(slug=consultation.slug, paragraphs=paragraphs)
