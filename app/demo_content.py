"""The shape of the demo's words (app/demo_data/content.toml), checked when they are read.

The words live in a data file so that editing a comment never means reading loader code; the
models below turn its strings into our enums and refuse unknown keys, so a typo in the file
fails at once with the key's path rather than halfway through loading the demo.
"""

from __future__ import annotations

import tomllib

from pydantic import BaseModel, ConfigDict

from core.enums import Attribution, Disposition, Language, Role, StakeholderGroup, Stance


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Person(_Data):
    handle: str  # the local part of the e-mail address
    name: str
    group: StakeholderGroup | None = None
    organisation: str | None = None
    country: str | None = None
    role: Role = Role.PARTICIPANT


class Edit(_Data):
    """A rewording: `old` (whitespace-insensitive) becomes `new`."""

    old: str
    new: str


class Reply(_Data):
    by: str
    body: str


class Remark(_Data):
    """A top-level comment, its replies and (on a closed consultation) its disposition."""

    by: str
    anchor: str  # a phrase of the paragraph's plain text
    stance: Stance
    body: str
    attribution: Attribution = Attribution.NAMED
    suggest: Edit | None = None  # applied to the paragraph's text
    replies: tuple[Reply, ...] = ()
    ref: str = ""  # the name a brief cites it by
    disposition: Disposition | None = None
    rationale: str = ""


class BriefEdition(_Data):
    language: Language
    slug: str
    title: str
    body: str  # Markdown; `[[thread:{ref}]]` cites the remark with that `ref`


class DemoConsultation(_Data):
    slug: str
    title: str
    summary: str


class Standards(DemoConsultation):
    remarks: tuple[Remark, ...]
    briefs: tuple[BriefEdition, ...]


class Encryption(DemoConsultation):
    revision_note: str
    revision_edits: tuple[Edit, ...]
    before_revision: tuple[Remark, ...]
    after_revision: tuple[Remark, ...]


class Fragmentation(DemoConsultation):
    intro: tuple[str, ...]  # blocks of Markdown put before the law's articles
    remarks: tuple[Remark, ...]


class DemoContent(_Data):
    domain: str
    password: str  # the documented password of every demo account
    editor: str  # the handle of the editor who runs the consultations
    people: tuple[Person, ...]
    standards: Standards
    encryption: Encryption
    fragmentation: Fragmentation

    def email(self, person: Person) -> str:
        return f"{person.handle}@{self.domain}"

    @property
    def editor_email(self) -> str:
        return f"{self.editor}@{self.domain}"


def parse_content(toml: str) -> DemoContent:
    """The demo's words, checked (a `pydantic.ValidationError` names a bad key)."""
    return DemoContent.model_validate(tomllib.loads(toml))
