"""Applying suggestions to the draft, as code review applies them: merged, previewed,
confirmed, and in batches.

A suggestion is merged three-way (consultations/merging.py) with the paragraph text it was
written on and the paragraph as it reads now, so the editor's later revisions are never
undone by it. The editor first sees a preview (`preview_suggestions`): per paragraph, the
merged text and any conflict with both sides. Applying (`apply_suggestions`) takes what the
editor confirmed, the merged text or the editor's own resolution, and publishes every
paragraph of the batch as one new version, recording for each suggestion its disposition
and the version it landed in. Only suggestions of accepted or partly accepted threads can be
applied, each once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.policy import require_editor
from briefs.synthesis import SynthesisService, replace_paragraph
from consultations.merging import Merged, merge_suggestion
from consultations.models import AppliedSuggestion, Comment, Consultation, DraftVersion, Paragraph
from core import audit
from core.clock import Clock
from core.enums import Disposition
from core.errors import Conflict, InvalidInput, NotFound
from core.i18n import N_
from core.inputs import NO_NUL, TEXT, Problems

__all__ = [
    "APPLICABLE",
    "ApplySuggestions",
    "Batch",
    "BatchPreview",
    "ParagraphMerge",
    "SuggestionsApplied",
    "apply_suggestions",
    "preview_suggestions",
]

APPLICABLE = frozenset({Disposition.ACCEPTED, Disposition.PARTIALLY_ACCEPTED})
MAX_BATCH = 50
MAX_PARAGRAPH_CHARS = 20_000
NOT_APPLIED = N_("The suggestions could not be applied.")

CommentIds = Annotated[
    list[Annotated[int, Field(ge=1)]],
    Field(min_length=1, max_length=MAX_BATCH, description="Ids of the suggesting comments."),
    Problems({}, any=N_("Choose between 1 and 50 suggestions.")),
]


class Batch(BaseModel):
    """The suggestions to merge into one new version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    comments: CommentIds


class ApplySuggestions(BaseModel):
    """A confirmed preview: the suggestions, the version the preview was made on, and the
    text the editor confirmed for each paragraph (left out: the merged text as previewed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    comments: CommentIds
    version: Annotated[int, Field(ge=1), Problems({}, any=N_("Preview the suggestions again."))]
    texts: Annotated[
        dict[
            Annotated[str, Field(max_length=16)],
            Annotated[str, Field(max_length=MAX_PARAGRAPH_CHARS, pattern=NO_NUL), TEXT],
        ],
        Field(max_length=MAX_BATCH),
        Problems({}, any=N_("A paragraph is limited to 20,000 characters.")),
    ] = {}


@dataclass(frozen=True, slots=True)
class SuggestionMerge:
    """One suggestion merged into the paragraph as it read before it (in the batch)."""

    comment: Comment
    base: str
    merged: Merged


@dataclass(slots=True)
class ParagraphMerge:
    """Every suggestion of the batch on one paragraph, merged one after the other."""

    paragraph: Paragraph
    merges: list[SuggestionMerge] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.paragraph.key

    @property
    def current(self) -> str:
        return " ".join(self.paragraph.text.split())

    @property
    def clean(self) -> bool:
        return all(merge.merged.clean for merge in self.merges)

    @property
    def text(self) -> str:
        """The proposal: the last merge's text (at a conflict, the current side)."""
        return self.merges[-1].merged.text if self.merges else self.current


@dataclass(frozen=True, slots=True)
class BatchPreview:
    consultation: Consultation
    version: DraftVersion
    paragraphs: list[ParagraphMerge]

    @property
    def clean(self) -> bool:
        return all(paragraph.clean for paragraph in self.paragraphs)

    @property
    def comment_ids(self) -> list[int]:
        return [m.comment.id for p in self.paragraphs for m in p.merges]


class SuggestionsApplied(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int = Field(ge=1)
    comments: list[int]


def preview_suggestions(
    session: Session, clock: Clock, actor: User | None, slug: str, data: Batch
) -> BatchPreview:
    """The merge of every suggestion in `data` with the current version, as `actor`, who
    must be an editor; refused (409) for a suggestion that may not be applied."""
    require_editor(actor)
    service = SynthesisService(session, clock=clock)
    return _preview(service, service.consultations.get(slug), data.comments)


def apply_suggestions(
    session: Session, clock: Clock, actor: User | None, slug: str, data: ApplySuggestions
) -> SuggestionsApplied:
    """Publish the confirmed merge as the next version of the draft, in the caller's one
    transaction. The merge is made again: if the draft moved since the preview, or a
    conflict has no resolution, nothing is published and the editor previews again."""
    editor = require_editor(actor)
    service = SynthesisService(session, clock=clock)
    consultation = service.consultations.get(slug)
    preview = _preview(service, consultation, data.comments)
    if preview.version.number != data.version:
        raise Conflict(
            N_("The draft changed since the preview (now version %(number)s): preview again."),
            number=preview.version.number,
        )
    texts = _confirmed_texts(preview, data.texts)
    markdown = preview.version.source
    paragraphs = service.consultations.paragraphs(preview.version)
    for paragraph in preview.paragraphs:
        if texts[paragraph.key] != paragraph.current:
            markdown = replace_paragraph(markdown, paragraphs, paragraph.key, texts[paragraph.key])
    if markdown == preview.version.source.replace("\r\n", "\n"):
        raise Conflict(N_("The current version already reads as these suggestions."))
    threads = sorted({m.comment.thread_id for p in preview.paragraphs for m in p.merges})
    version = service.consultations.publish_version(
        consultation,
        editor=editor,
        markdown=markdown,
        change_note="Applied suggestions from threads " + ", ".join(map(str, threads)),
        keep={paragraph.paragraph.ordinal: paragraph.key for paragraph in preview.paragraphs},
    )
    now = clock.now()
    for paragraph in preview.paragraphs:
        for merge in paragraph.merges:
            thread = merge.comment.thread
            assert thread.disposition is not None  # _applicable checked it
            session.add(
                AppliedSuggestion(
                    comment_id=merge.comment.id,
                    thread_id=thread.id,
                    disposition=thread.disposition,
                    version_number=version.number,
                    resolved_conflict=not paragraph.clean,
                    applied_by_id=editor.id,
                    applied_at=now,
                )
            )
            audit.record(
                session,
                actor_id=editor.id,
                action="comment.apply_suggestion",
                subject=("comment", merge.comment.id),
                now=now,
                version=version.number,
                disposition=thread.disposition.value,
            )
    session.flush()
    return SuggestionsApplied(version=version.number, comments=preview.comment_ids)


def applied_to(session: Session, comment_ids: list[int]) -> dict[int, AppliedSuggestion]:
    """Which of these comments' suggestions were applied, and into which version."""
    if not comment_ids:
        return {}
    query = select(AppliedSuggestion).where(AppliedSuggestion.comment_id.in_(comment_ids))
    return {row.comment_id: row for row in session.scalars(query)}


# -- helpers ------------------------------------------------------------------------------------


def _preview(
    service: SynthesisService, consultation: Consultation, comment_ids: list[int]
) -> BatchPreview:
    current = service.consultations.version(consultation)
    by_key = {p.key: p for p in service.consultations.paragraphs(current)}
    comments = [_applicable(service, consultation, cid) for cid in dict.fromkeys(comment_ids)]
    done = applied_to(service.session, [c.id for c in comments])
    if done:
        raise Conflict(
            N_("The suggestion of comment %(id)s was applied already, in version %(number)s."),
            id=next(iter(done)),
            number=next(iter(done.values())).version_number,
        )
    merges: dict[str, ParagraphMerge] = {}
    for comment in sorted(comments, key=lambda c: c.id):
        key = comment.thread.paragraph_key
        if key not in by_key:
            raise Conflict(
                N_(
                    "The paragraph of thread %(id)s is not in the current version: re-anchor "
                    "the thread first."
                ),
                id=comment.thread_id,
            )
        paragraph = merges.setdefault(key, ParagraphMerge(by_key[key]))
        base = _written_on(service, consultation, comment) or paragraph.current
        assert comment.suggestion is not None  # _applicable checked it
        merged = merge_suggestion(base, paragraph.text, comment.suggestion)
        paragraph.merges.append(SuggestionMerge(comment, base, merged))
    ordered = sorted(merges.values(), key=lambda p: p.paragraph.ordinal)
    return BatchPreview(consultation, current, ordered)


def _applicable(service: SynthesisService, consultation: Consultation, comment_id: int) -> Comment:
    comment = service.session.get(Comment, comment_id)
    if comment is None or comment.thread.consultation_id != consultation.id:
        raise NotFound(N_("No comment %(id)s."), id=comment_id)
    if not comment.suggestion:
        raise InvalidInput(N_("This comment proposes no replacement text."))
    if comment.thread.disposition not in APPLICABLE:
        raise Conflict(
            N_(
                "Only suggestions of accepted or partially accepted threads can be applied "
                "(thread %(id)s)."
            ),
            id=comment.thread_id,
        )
    return comment


def _written_on(service: SynthesisService, consultation: Consultation, comment: Comment) -> str:
    """The paragraph's text in the version the suggestion was written on."""
    query = (
        select(Paragraph.text)
        .join(DraftVersion, Paragraph.version_id == DraftVersion.id)
        .where(
            DraftVersion.consultation_id == consultation.id,
            DraftVersion.number == comment.thread.version_number,
            Paragraph.key == comment.thread.paragraph_key,
        )
    )
    return service.session.scalar(query) or ""


def _confirmed_texts(preview: BatchPreview, given: dict[str, str]) -> dict[str, str]:
    """Each paragraph's text as the editor confirmed it: a conflict needs the editor's text."""
    unknown = set(given) - {p.key for p in preview.paragraphs}
    if unknown:
        raise InvalidInput(
            N_("A text was sent for a paragraph no suggestion of the batch is on."),
            fields={"texts": N_("unknown paragraph")},
        )
    texts: dict[str, str] = {}
    for paragraph in preview.paragraphs:
        text = " ".join(given.get(paragraph.key, "").split())
        if not paragraph.clean and not text:
            raise Conflict(
                N_("Paragraph %(ordinal)s has a conflict: write the text it should read."),
                ordinal=paragraph.paragraph.ordinal,
            )
        texts[paragraph.key] = text or paragraph.text
    return texts
