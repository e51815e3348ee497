"""Profiles (stakeholder group, organisation, country) and the verification of affiliations.

A verified affiliation vouches for a person's group *and* organisation, as shown next to
their name: changing any of these afterwards clears the verification until an admin
verifies again. Comments snapshot whether the author was verified when they posted.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import cache

from babel import Locale
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts.models import Organisation, User
from accounts.policy import require_admin
from core import audit
from core.clock import Clock
from core.enums import StakeholderGroup
from core.errors import Conflict, InvalidInput
from core.i18n import N_
from core.ids import MAX_ID

MAX_NAME_CHARS = 200
# Babel's territories that are not ISO 3166-1 alpha-2 country codes: exceptionally reserved
# (AC, CP, CQ, DG, EA, EU, EZ, IC, TA, UN) and user-assigned (QO, XA, XB, XK, ZZ) codes.
NOT_ISO_3166 = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)
# Python orders Cyrillic by code point, which puts Є, І, Ї before А and Ґ after Я, and
# Latin letters with accents after Z ("Åland Islands").
_UKRAINIAN_ORDER = {letter: i for i, letter in enumerate("абвгґдеєжзиіїйклмнопрстуфхцчшщьюя")}


def _sort_key(name: str) -> tuple[int, ...]:
    """Alphabetical order for Ukrainian and English names, without a collation library."""
    return tuple(
        _UKRAINIAN_ORDER.get(c, 100 + ord(unicodedata.normalize("NFKD", c)[0]))
        for c in name.casefold()
    )


@cache
def countries(language: str = "en") -> tuple[tuple[str, str], ...]:
    """ISO 3166-1 alpha-2 codes with their names in `language`, in alphabetical order."""
    english: dict[str, str] = {str(k): str(v) for k, v in Locale.parse("en").territories.items()}
    names = Locale.parse(language).territories
    pairs = [
        (code, str(names.get(code, name)))
        for code, name in english.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_ISO_3166
    ]
    return tuple(sorted(pairs, key=lambda pair: _sort_key(pair[1])))


COUNTRY_CODES = frozenset(code for code, _name in countries("en"))


class ProfileService:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock

    # -- the person's own profile ----------------------------------------------------------

    def update(
        self, user: User, name: str, group: str, organisation_name: str, country: str
    ) -> User:
        """Validate everything, then change the profile; nothing is saved if a field is wrong."""
        name, organisation_name = name.strip(), organisation_name.strip()
        country = country.strip().upper()
        self._check(name, group, organisation_name, country)
        new_group = StakeholderGroup(group)
        organisation = self._organisation(organisation_name, new_group, country or None)
        # By name, not id: profiles from before organisations existed have only the name.
        new_organisation = organisation.name if organisation else ""
        affiliation_changed = (
            new_group != user.stakeholder_group
            or new_organisation.casefold() != (user.organisation or "").casefold()
            or name != user.name
        )
        user.name = name
        user.stakeholder_group = new_group
        user.organisation = organisation.name if organisation else None
        user.organisation_id = organisation.id if organisation else None
        user.country = country or None
        if affiliation_changed and user.affiliation_verified_at is not None:
            self._unverify(user, actor=user, action="affiliation.cleared")
        self.session.flush()
        return user

    def _check(self, name: str, group: str, organisation_name: str, country: str) -> None:
        fields: dict[str, str] = {}
        for field, value in (("name", name), ("organisation", organisation_name)):
            if "\x00" in value:
                fields[field] = N_("The text contains a NUL character.")
            elif len(value) > MAX_NAME_CHARS:
                fields[field] = N_("too long")
        if not name:
            fields["name"] = N_("required")
        if group not in set(StakeholderGroup):
            fields["stakeholder_group"] = N_("Choose your stakeholder group from the list.")
        if country and country not in COUNTRY_CODES:
            fields["country"] = N_("Choose a country from the list.")
        if fields:
            raise InvalidInput(N_("The profile could not be saved."), fields=fields)

    def _organisation(
        self, name: str, group: StakeholderGroup, country: str | None
    ) -> Organisation | None:
        """The organisation of that name (in any letter case), created on first mention."""
        if not name:
            return None
        found = self._organisation_named(name)
        if found is not None:
            return found
        organisation = Organisation(
            name=name, stakeholder_group=group, country=country, created_at=self.clock.now()
        )
        try:
            # A savepoint: if someone creates the same organisation at the same moment, the
            # unique name refuses ours and we join theirs instead.
            with self.session.begin_nested():
                self.session.add(organisation)
        except IntegrityError:
            found = self._organisation_named(name)
            if found is None:
                raise
            return found
        return organisation

    def _organisation_named(self, name: str) -> Organisation | None:
        query = select(Organisation).where(func.lower(Organisation.name) == name.lower())
        return self.session.scalars(query.order_by(Organisation.id).limit(1)).first()

    # -- verification by administrators ----------------------------------------------------

    def verify_affiliation(self, admin: User | None, user: User) -> None:
        admin = require_admin(admin)
        if user.stakeholder_group is None:
            raise Conflict(N_("This person has not chosen a stakeholder group yet."))
        user.affiliation_verified_at = self.clock.now()
        user.affiliation_verified_by_id = admin.id
        audit.record(
            self.session,
            actor_id=admin.id,
            action="affiliation.verify",
            subject=("user", user.id),
            now=self.clock.now(),
            group=user.stakeholder_group.value,
            organisation=user.organisation,
        )

    def revoke_verification(self, admin: User | None, user: User) -> None:
        admin = require_admin(admin)
        if user.affiliation_verified_at is not None:
            self._unverify(user, actor=admin, action="affiliation.revoke")

    def _unverify(self, user: User, *, actor: User, action: str) -> None:
        user.affiliation_verified_at = None
        user.affiliation_verified_by_id = None
        audit.record(
            self.session,
            actor_id=actor.id,
            action=action,
            subject=("user", user.id),
            now=self.clock.now(),
        )

    # -- directories -----------------------------------------------------------------------

    def person(self, user_id: int) -> User | None:
        return self.session.get(User, user_id) if 0 < user_id <= MAX_ID else None

    def organisation(self, organisation_id: int) -> Organisation | None:
        return (
            self.session.get(Organisation, organisation_id)
            if 0 < organisation_id <= MAX_ID
            else None
        )

    def people(
        self,
        *,
        verified: bool | None = None,
        group: StakeholderGroup | None = None,
        organisation_id: int | None = None,
    ) -> list[User]:
        """Everyone, filtered by verification state, group and organisation, by name."""
        query = select(User)
        if verified is not None:
            query = query.where(
                User.affiliation_verified_at.is_not(None)
                if verified
                else User.affiliation_verified_at.is_(None)
            )
        if group is not None:
            query = query.where(User.stakeholder_group == group)
        if organisation_id is not None:
            query = query.where(User.organisation_id == organisation_id)
        return list(self.session.scalars(query.order_by(User.name, User.id)))

    def organisations(self) -> list[tuple[Organisation, int]]:
        """Every organisation with how many people speak for it, by name."""
        members = func.count(User.id)
        query = (
            select(Organisation, members)
            .outerjoin(User, User.organisation_id == Organisation.id)
            .group_by(Organisation.id)
            .order_by(Organisation.name)
        )
        return [(organisation, count) for organisation, count in self.session.execute(query)]

    def members(self, organisation: Organisation) -> Sequence[User]:
        return self.people(organisation_id=organisation.id)
