"""Who may see and do what with a policy brief: pure functions, no web framework."""

from __future__ import annotations

from accounts.policy import Person, is_editor
from briefs.models import BriefVersion


def can_edit(person: Person | None) -> bool:
    """Write, revise and publish briefs, and see their working copies: editors."""
    return is_editor(person)


def can_view(person: Person | None, version: BriefVersion) -> bool:
    """A published version is public; a working copy is for those who may edit it."""
    return version.published_at is not None or can_edit(person)
