"""Publishing a new version of a draft: what an editor sends, and the one way to publish it.

The editor's form and the JSON API both build a `NewVersion` and call `publish_version`,
which answers what became of the threads: a comment period runs on while the text moves,
so the editor learns at once how many threads kept their paragraph, how many now sit on
an edited one (outdated, as in code review) and how many lost theirs (orphaned, to be
re-anchored from the dashboard).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.policy import require_editor
from consultations.services import MAX_DRAFT_CHARS, ConsultationService
from core.clock import Clock
from core.enums import ThreadState
from core.i18n import N_
from core.inputs import NO_NUL, NOT_BLANK, TEXT, Problems

MAX_CHANGE_NOTE_CHARS = 2_000
NOT_PUBLISHED = N_("The version could not be published.")

# A draft as an editor sends it (a new consultation's first version, or the next one); the
# paragraph limits need the draft split, so `ConsultationService` checks those.
DraftMarkdown = Annotated[
    str,
    Field(max_length=MAX_DRAFT_CHARS, pattern=NOT_BLANK),
    TEXT,
    Problems(
        {
            # MAX_DRAFT_CHARS, spelled out so that it can be translated.
            "string_too_long": N_("A draft is limited to 2,000,000 characters."),
            "string_pattern_mismatch": N_("The draft has no text."),
        }
    ),
]


class NewVersion(BaseModel):
    """The whole text of the next version, and what changed in it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    markdown: Annotated[
        DraftMarkdown,
        Field(
            description="The whole draft as Markdown; paragraphs keep their keys where the "
            "text is unchanged or lightly edited."
        ),
    ]
    change_note: Annotated[
        str,
        Field(
            max_length=MAX_CHANGE_NOTE_CHARS,
            pattern=NO_NUL,
            description="Shown beside the version.",
        ),
        TEXT,
        Problems({"string_too_long": N_("Change notes are limited to 2,000 characters.")}),
    ] = ""


class VersionPublished(BaseModel):
    """The new version's number, and the consultation's threads by what the new version did
    to their paragraph."""

    model_config = ConfigDict(frozen=True)

    version: int = Field(ge=1)
    kept: int = Field(
        ge=0,
        description="Threads on a paragraph that reads as it did when they were written "
        "(or where an editor moved them), whichever version that was.",
    )
    outdated: int = Field(
        ge=0,
        description="Threads on a paragraph edited since the version they were written on "
        "(split and merged paragraphs included: threads follow the most similar one).",
    )
    orphaned: int = Field(
        ge=0,
        description="Threads whose paragraph is gone or rewritten beyond recognition: in "
        "the editors' re-anchor queue. Closed threads are counted in none of the three.",
    )


def publish_version(
    session: Session, clock: Clock, actor: User | None, slug: str, data: NewVersion
) -> VersionPublished:
    """Publish `data` as the next version of consultation `slug`, as `actor`, who must be an
    editor (checked first: a participant learns nothing about which slugs exist). The
    service refuses a published or archived consultation and a draft it cannot split."""
    editor = require_editor(actor)
    service = ConsultationService(session, clock=clock)
    consultation = service.visible(slug, editor)
    version = service.publish_version(
        consultation, editor=editor, markdown=data.markdown, change_note=data.change_note
    )
    tally = service.state_counts(consultation)
    return VersionPublished(
        version=version.number,
        kept=tally[ThreadState.ANCHORED] + tally[ThreadState.MOVED],
        outdated=tally[ThreadState.OUTDATED],
        orphaned=tally[ThreadState.ORPHANED],
    )
