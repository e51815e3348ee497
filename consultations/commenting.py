"""Commenting on a paragraph: what a comment is made of, and the one way to post it.

The web form and the JSON API both build a `NewComment` and call `post_comment`, so the
rules (the comment period, drafts, attribution, the stance of a new thread) are the same
wherever a person comments. The models are also the API's published schemas.
"""

from __future__ import annotations

import re
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, Strict, model_validator
from sqlalchemy.orm import Session

from accounts.models import User
from consultations import policy
from consultations.attribution import public_author
from consultations.models import Comment
from consultations.receipts import receipt_number
from consultations.services import SLUG_PATTERN, ConsultationService
from core.clock import Clock, as_utc
from core.enums import Attribution, StakeholderGroup, Stance
from core.errors import NotFound
from core.i18n import N_
from core.ids import MAX_ID
from core.inputs import NO_NUL, NOT_BLANK, TEXT, WHOLE, Problems, field_error

MAX_COMMENT_CHARS = 10_000
KEY_PATTERN = re.compile(r"^[a-z0-9]{1,16}$")
CHOOSE_STANCE = N_("Choose a stance: support, oppose, amend, question, neutral.")

CommentId = Annotated[int, Strict(), Field(ge=1, le=MAX_ID), WHOLE]


class NewComment(BaseModel):
    """A comment on a paragraph of the current version, or a reply to a comment on it."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # The rule of `_stance_of_a_new_thread`, for the schema's readers.
        json_schema_extra={
            "anyOf": [
                {"required": ["parent_id"], "properties": {"parent_id": {"type": "integer"}}},
                {"required": ["stance"], "properties": {"stance": {"type": "string"}}},
            ]
        },
    )

    body: Annotated[
        str,
        Field(max_length=MAX_COMMENT_CHARS, pattern=NOT_BLANK),
        TEXT,
        Problems(
            {
                "string_too_long": N_("Comments are limited to 10,000 characters."),
                "string_pattern_mismatch": N_("The comment is empty."),
            }
        ),
    ]
    stance: Annotated[
        Stance | None,
        Field(description="Required for a new thread; optional on a reply."),
        Problems({"enum": CHOOSE_STANCE}),
    ] = None
    attribution: Annotated[
        Attribution,
        Field(description="How much of the author the public sees."),
        Problems({"enum": N_("Choose how the comment is attributed.")}),
    ]
    suggestion: Annotated[
        str | None,
        Field(max_length=MAX_COMMENT_CHARS, pattern=NO_NUL),
        TEXT,
        Problems({"string_too_long": N_("Suggestions are limited to 10,000 characters.")}),
    ] = None
    parent_id: Annotated[
        CommentId | None,
        Field(description="Reply to this comment (same paragraph)."),
        Problems({}, any=N_("The comment you reply to does not exist.")),  # no id can name it
    ] = None
    quote: Annotated[
        str | None,
        Field(
            max_length=MAX_COMMENT_CHARS,
            pattern=NO_NUL,
            description="Words of the paragraph's text the new thread is about (ignored on a"
            " reply); whitespace runs count as one space. Not in the paragraph: a 422.",
        ),
        TEXT,
        Problems(
            {"string_too_long": N_("The quoted passage is not in the text of this paragraph.")}
        ),
    ] = None

    @model_validator(mode="after")
    def _stance_of_a_new_thread(self) -> Self:
        """A new thread says where its author stands; a reply may leave it out."""
        if self.parent_id is None and self.stance is None:
            raise field_error("stance", CHOOSE_STANCE)
        return self


class PublicComment(BaseModel):
    """A comment as the public may see it: the author only through `public_author`."""

    model_config = ConfigDict(frozen=True)

    id: int
    parent_id: int | None = Field(description="The comment this one replies to.")
    body: str
    stance: Stance | None
    suggestion: str | None = Field(description="Proposed replacement text for the paragraph.")
    stakeholder_group: StakeholderGroup | None = Field(
        description="Null when the author chose to be anonymous."
    )
    author_label: str = Field(description="All the public may know of the author, as they chose.")
    created_at: AwareDatetime = Field(description="ISO 8601 with a UTC offset.")
    hidden_by_moderator: str | None = Field(
        default=None,
        description="The moderator's reason when a moderator hid it: `body` is then empty "
        "and `suggestion` null; it keeps its place, and its replies stay.",
    )
    endorsements: dict[StakeholderGroup, int] = Field(
        description="Endorsements of the comment (and its suggestion) by the endorsers' "
        "stakeholder group when they endorsed; groups with none are left out."
    )

    @classmethod
    def of(cls, comment: Comment, endorsements: dict[StakeholderGroup, int] | None = None) -> Self:
        """`endorsements`: the comment's, from `endorsing.counts_by_group` (a new one has none)."""
        author = public_author(comment)
        return cls(
            id=comment.id,
            parent_id=comment.parent_id,
            body="" if comment.hidden else comment.body,
            stance=comment.stance,
            suggestion=None if comment.hidden else comment.suggestion,
            stakeholder_group=author.group,
            author_label=author.label,
            created_at=as_utc(comment.created_at),
            hidden_by_moderator=comment.hidden_reason if comment.hidden else None,
            endorsements=endorsements or {},
        )


class CommentPosted(PublicComment):
    """What `post_comment` answers: the comment, and the thread it started or joined."""

    thread_id: int
    paragraph_key: str
    receipt: str = Field(
        description="The receipt number the author is shown and emailed, e.g. RT-000123-20."
    )

    @classmethod
    def of(cls, comment: Comment, endorsements: dict[StakeholderGroup, int] | None = None) -> Self:
        fields = PublicComment.of(comment, endorsements).model_dump()
        return cls(
            **fields,
            thread_id=comment.thread_id,
            paragraph_key=comment.thread.paragraph_key,
            receipt=receipt_number(comment.id),
        )


def post_comment(
    session: Session, clock: Clock, actor: User | None, slug: str, key: str, data: NewComment
) -> CommentPosted:
    """Post `data` on paragraph `key` of consultation `slug` as `actor`.

    Drafts exist only for editors; a slug or key of the wrong shape names nothing and is
    never sent to the database. The service checks the rest (signed in, verified email,
    the comment period, the stakeholder group, attribution, the parent) and writes the
    thread, comment and outbox rows in the caller's transaction.
    """
    service = ConsultationService(session, clock=clock)
    well_formed = KEY_PATTERN.match(key) is not None
    consultation = None
    if SLUG_PATTERN.match(slug) and len(slug) <= 120:
        # Finds the current version's number for the key in the same query.
        consultation = service.commentable(slug, key if well_formed else "")
    if consultation is None or not policy.can_view(actor, consultation):
        raise NotFound("No consultation called “%(slug)s”.", slug=slug)
    if not well_formed:
        raise NotFound("No paragraph “%(key)s” in the current version.", key=key)
    return CommentPosted.of(service.post_comment(consultation, key, data, author=actor))
