"""Starting a brief: what an editor sends, and the one way to create (and publish) it.

The editor's "new brief" form and the JSON API both build a `NewBrief` and call
`create_brief`, so the rules (editors only, a free slug, a consultation that exists,
citations of its own threads when published at once) are the same wherever a brief begins.
The models are also the API's published schemas.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.policy import require_editor
from briefs.services import MAX_BRIEF_CHARS, BriefService
from consultations.models import Consultation, Thread
from core.clock import Clock
from core.enums import Language
from core.errors import Conflict
from core.i18n import N_
from core.inputs import NOT_BLANK, TEXT, Problems
from core.urls import PathFor

NOT_CREATED = N_("The brief could not be created.")
# consultations.services.SLUG_PATTERN, as JSON Schema and pydantic both read it.
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_SLUG_CHARS = 120
MAX_TITLE_CHARS = 300
NOT_A_SLUG = N_("Use lowercase letters, digits and single hyphens.")
SLUG_PROBLEMS = Problems({"string_pattern_mismatch": NOT_A_SLUG, "string_too_long": NOT_A_SLUG})
NO_TITLE = N_("A title of up to 300 characters is required.")

TopicSlug = Annotated[str, Field(pattern=SLUG, max_length=80)]


class NewBrief(BaseModel):
    """A brief's first version: its address, its text and what it reports on."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "consultation": "lawful-access",
                    "slug": "lawful-access-findings",
                    "title": "Lawful access: findings",
                    "body_markdown": "Strong encryption protects everyone. [[thread:42]]",
                    "language": "en",
                    "topics": ["encryption"],
                    "publish": False,
                }
            ]
        },
    )

    consultation: Annotated[
        str | None,
        Field(
            pattern=SLUG,
            max_length=MAX_SLUG_CHARS,
            description="Slug of the consultation it reports on: the threads it may cite "
            "and its annex. Null for a brief on no consultation.",
        ),
        Problems({}, any=N_("no consultation has this slug")),
    ] = None
    slug: Annotated[
        str,
        Field(
            pattern=SLUG,
            max_length=MAX_SLUG_CHARS,
            description="Part of the permanent link, /briefs/{slug}; taken once only.",
        ),
        SLUG_PROBLEMS,
    ]
    title: Annotated[
        str,
        Field(max_length=MAX_TITLE_CHARS, pattern=NOT_BLANK),
        TEXT,
        Problems({"string_pattern_mismatch": NO_TITLE, "string_too_long": NO_TITLE}),
    ]
    body_markdown: Annotated[
        str,
        Field(
            max_length=MAX_BRIEF_CHARS,
            pattern=NOT_BLANK,
            description="Markdown; cite a thread of the consultation with [[thread:42]].",
        ),
        TEXT,
        Problems(
            {
                # MAX_BRIEF_CHARS, spelled out so that it can be translated.
                "string_too_long": N_("Briefs are limited to 500,000 characters."),
                "string_pattern_mismatch": N_("The brief has no text."),
            }
        ),
    ]
    language: Annotated[Language, Problems({"enum": N_("Language must be en or uk.")})] = (
        Language.EN
    )
    topics: Annotated[
        list[TopicSlug],
        Field(max_length=20, description="Topic slugs; a new one is created on first use."),
        Problems({}, any=N_("Topics use lowercase letters, digits and hyphens.")),
    ] = []
    publish: Annotated[
        bool,
        Strict(),
        Field(description="Publish version 1 at once; else it stays a working copy."),
        Problems({}, any=N_("Must be true or false.")),
    ] = False


class BriefCreated(BaseModel):
    """Where the new brief is, and whether the public can read it yet."""

    model_config = ConfigDict(frozen=True)

    slug: str
    version: int = Field(ge=1, description="The working copy's number, or the published one.")
    published: bool
    url: str = Field(description="The published version's permalink, or the editor's page.")


def create_brief(
    session: Session, clock: Clock, actor: User | None, data: NewBrief, paths: PathFor
) -> BriefCreated:
    """Create the brief as `actor`, who must be an editor (checked first: others learn
    nothing about which slugs exist), and publish it if asked; `paths` (the router's) makes
    the annex's permalinks and the answer's `url`. One transaction: a publication that
    fails (a citation of another consultation's thread) leaves no brief behind."""
    editor = require_editor(actor)
    service = BriefService(session, clock=clock)
    brief = service.create(
        editor,
        data.slug,
        data.title,
        data.language,
        data.topics,
        data.body_markdown,
        consultation_slug=data.consultation,
    )
    if not data.publish:
        url = paths("edit_brief", slug=brief.slug)
        return BriefCreated(slug=brief.slug, version=1, published=False, url=url)
    version = service.publish(brief.slug, editor, paths)
    url = paths("brief_version", slug=brief.slug, number=version.number)
    return BriefCreated(slug=brief.slug, version=version.number, published=True, url=url)


UNDECIDED = N_(
    "%(num)s threads of the consultation have no disposition yet: their annex rows will say "
    "so. Confirm that you publish anyway."
)


def undecided_threads(session: Session, consultation: Consultation | None) -> tuple[int, int]:
    """(undecided, all) threads of the consultation a brief reports on."""
    if consultation is None:
        return 0, 0
    query = select(Thread.disposition).where(Thread.consultation_id == consultation.id)
    dispositions = list(session.scalars(query))
    return sum(1 for d in dispositions if d is None), len(dispositions)


def require_deliberate(
    session: Session, consultation: Consultation | None, *, confirmed: bool
) -> None:
    """Publishing while threads are undecided is allowed, but only on purpose: the editor's
    page shows how many and asks for a confirmation, which this checks (409 without it)."""
    undecided, _ = undecided_threads(session, consultation)
    if undecided and not confirmed:
        raise Conflict(
            UNDECIDED, fields={"confirm_undecided": N_("confirm to publish")}, num=undecided
        )
