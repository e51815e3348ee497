"""Who may do what, by role: pure functions of a person (or nobody), no web framework.

Pages, the JSON API, search and feeds ask these, so a rule is written once. A "person" is
anything with a role: an account, or the page header's snapshot of one (`app.web.Viewer`).
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from core.enums import Role
from core.errors import NotAllowed, NotSignedIn
from core.i18n import N_


class Person(Protocol):
    @property
    def role(self) -> Role: ...


P = TypeVar("P", bound=Person)


def is_editor(person: Person | None) -> bool:
    """Editors run consultations and write briefs; administrators may do all editors do."""
    return person is not None and person.role in (Role.EDITOR, Role.ADMIN)


def is_admin(person: Person | None) -> bool:
    """Administrators manage people; editors are not administrators."""
    return person is not None and person.role == Role.ADMIN


def require_signed_in(person: P | None) -> P:
    if person is None:
        raise NotSignedIn(N_("Sign in to continue."))
    return person


def require_editor(person: P | None) -> P:
    """Anonymous: sign in (401); a participant: refused (403)."""
    if person is None:
        raise NotSignedIn(N_("Sign in as an editor to do this."))
    if not is_editor(person):
        raise NotAllowed(N_("Only editors may do this."))
    return person


def require_admin(person: P | None) -> P:
    if person is None:
        raise NotSignedIn(N_("Sign in as an administrator to do this."))
    if not is_admin(person):
        raise NotAllowed(N_("Only administrators may do this."))
    return person
