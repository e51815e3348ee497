"""Profiles: the ISO 3166 country list, organisations several people share, and verification
of affiliations (cleared when the affiliation changes)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Organisation, User
from accounts.profiles import COUNTRY_CODES, ProfileService, countries
from core.audit import AuditEvent
from core.clock import FixedClock
from core.enums import Role, StakeholderGroup
from core.errors import Conflict, InvalidInput, NotAllowed, NotSignedIn
from tests.factories import editor, make_user

MINISTRY = "Ministry of Digital Transformation"


@pytest.fixture
def profiles(session: Session, clock: FixedClock) -> ProfileService:
    return ProfileService(session, clock=clock)


@pytest.fixture
def admin(session: Session, clock: FixedClock) -> User:
    return make_user(session, clock, role=Role.ADMIN)


def audit_actions(session: Session, user: User) -> list[str]:
    query = select(AuditEvent.action).where(
        AuditEvent.subject_type == "user", AuditEvent.subject_id == user.id
    )
    return list(session.scalars(query.order_by(AuditEvent.id)))


def verification(user: User) -> tuple[datetime | None, int | None]:
    return user.affiliation_verified_at, user.affiliation_verified_by_id


# -- countries -------------------------------------------------------------------------------


def test_the_country_list_is_iso_3166_alpha_2() -> None:
    assert len(COUNTRY_CODES) == 249
    assert {"UA", "GB", "US", "AQ", "TW", "PS"} <= COUNTRY_CODES
    assert not {"EU", "XK", "ZZ", "UN", "QO", "AC"} & COUNTRY_CODES
    assert all(len(code) == 2 and code.isupper() for code in COUNTRY_CODES)


def test_country_names_are_localised_and_in_alphabetical_order() -> None:
    ukrainian = dict(countries("uk"))
    assert ukrainian["UA"] == "Україна" and dict(countries("en"))["UA"] == "Ukraine"
    names = [name for _code, name in countries("uk")]
    # Є, І and Ї follow Е, И; code-point order would put them before А.
    assert names.index("Естонія") < names.index("Єгипет") < names.index("Замбія")
    assert names.index("Індія") > names.index("Зімбабве")
    english = [name for _code, name in countries("en")]
    assert english[:3] == ["Afghanistan", "Åland Islands", "Albania"]


# -- updating a profile ----------------------------------------------------------------------


def test_update_sets_the_profile_and_creates_the_organisation(
    session: Session, clock: FixedClock, profiles: ProfileService
) -> None:
    user = make_user(session, clock, group=None, organisation=None)

    profiles.update(user, " Olena Kovalenko ", "government", f" {MINISTRY} ", "ua")

    assert (user.name, user.stakeholder_group) == ("Olena Kovalenko", StakeholderGroup.GOVERNMENT)
    assert (user.organisation, user.country) == (MINISTRY, "UA")
    organisation = session.get(Organisation, user.organisation_id)
    assert organisation is not None and organisation.name == MINISTRY
    assert organisation.stakeholder_group == StakeholderGroup.GOVERNMENT


def test_several_people_join_one_organisation_whatever_the_letter_case(
    session: Session, clock: FixedClock, profiles: ProfileService
) -> None:
    first, second = make_user(session, clock), make_user(session, clock)
    profiles.update(first, "Olena", "government", MINISTRY, "UA")

    profiles.update(second, "Taras", "government", MINISTRY.upper(), "UA")

    assert second.organisation_id == first.organisation_id
    assert second.organisation == MINISTRY  # the organisation's own spelling
    [(organisation, members)] = [row for row in profiles.organisations() if row[0].name == MINISTRY]
    assert members == 2
    assert {person.name for person in profiles.members(organisation)} == {"Olena", "Taras"}


def test_leaving_the_organisation_empty_unlinks_it(
    session: Session, clock: FixedClock, profiles: ProfileService
) -> None:
    user = make_user(session, clock)
    profiles.update(user, "Olena", "civil_society", "NGO", "")

    profiles.update(user, "Olena", "civil_society", "  ", "")

    assert (user.organisation, user.organisation_id, user.country) == (None, None, None)


@pytest.mark.parametrize(
    ("name", "group", "organisation", "country", "field"),
    [
        ("Olena", "civil_society", "", "ZZ", "country"),
        ("Olena", "civil_society", "", "Ukraine", "country"),
        ("Olena", "civil_society", "", "EU", "country"),
        ("Olena", "diplomats", "", "UA", "stakeholder_group"),
        ("Olena", "", "", "UA", "stakeholder_group"),
        ("  ", "civil_society", "", "UA", "name"),
        ("O" * 201, "civil_society", "", "UA", "name"),
        ("Olena", "civil_society", "N" * 201, "UA", "organisation"),
        ("Olena\x00", "civil_society", "", "UA", "name"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(
    session: Session,
    clock: FixedClock,
    profiles: ProfileService,
    name: str,
    group: str,
    organisation: str,
    country: str,
    field: str,
) -> None:
    user = make_user(session, clock, name="Before", group=StakeholderGroup.ACADEMIA)
    organisations = session.scalars(select(Organisation)).all()

    with pytest.raises(InvalidInput) as refused:
        profiles.update(user, name, group, organisation, country)

    assert field in refused.value.fields
    assert (user.name, user.stakeholder_group, user.country) == (
        "Before",
        StakeholderGroup.ACADEMIA,
        "UA",
    )
    assert session.scalars(select(Organisation)).all() == organisations


# -- verification ----------------------------------------------------------------------------


def test_an_admin_verifies_and_revokes_an_affiliation(
    session: Session, clock: FixedClock, profiles: ProfileService, admin: User
) -> None:
    user = make_user(session, clock)

    profiles.verify_affiliation(admin, user)
    assert verification(user) == (clock.now(), admin.id)

    profiles.revoke_verification(admin, user)
    assert verification(user) == (None, None)
    assert audit_actions(session, user) == ["affiliation.verify", "affiliation.revoke"]


def test_only_admins_verify(session: Session, clock: FixedClock, profiles: ProfileService) -> None:
    user = make_user(session, clock)
    with pytest.raises(NotAllowed):
        profiles.verify_affiliation(editor(session, clock), user)
    with pytest.raises(NotAllowed):
        profiles.revoke_verification(make_user(session, clock), user)
    with pytest.raises(NotSignedIn):
        profiles.verify_affiliation(None, user)
    assert user.affiliation_verified_at is None


def test_a_person_without_a_group_has_nothing_to_verify(
    session: Session, clock: FixedClock, profiles: ProfileService, admin: User
) -> None:
    with pytest.raises(Conflict):
        profiles.verify_affiliation(admin, make_user(session, clock, group=None))


@pytest.mark.parametrize(
    ("name", "group", "organisation"),
    [
        ("Olena", "academia", "Digital Rights Ukraine"),  # another group
        ("Olena", "civil_society", "Another NGO"),  # another organisation
        ("Olena", "civil_society", ""),  # no organisation any more
        ("Someone Else", "civil_society", "Digital Rights Ukraine"),  # another name
    ],
)
def test_changing_the_affiliation_clears_the_verification(
    session: Session,
    clock: FixedClock,
    profiles: ProfileService,
    admin: User,
    name: str,
    group: str,
    organisation: str,
) -> None:
    user = make_user(session, clock, name="Olena", organisation="Digital Rights Ukraine")
    profiles.verify_affiliation(admin, user)

    profiles.update(user, name, group, organisation, "UA")

    assert verification(user) == (None, None)
    assert audit_actions(session, user)[-1] == "affiliation.cleared"


def test_saving_the_same_affiliation_keeps_the_verification(
    session: Session, clock: FixedClock, profiles: ProfileService, admin: User
) -> None:
    # The factory's profile names its organisation without linking an Organisation row, as
    # profiles from before organisations did: saving it links one without unverifying.
    user = make_user(session, clock, name="Olena", organisation="Digital Rights Ukraine")
    profiles.verify_affiliation(admin, user)

    profiles.update(user, "Olena", "civil_society", "digital rights ukraine", "PL")

    assert user.affiliation_verified_at is not None
    assert user.organisation_id is not None and user.country == "PL"


def test_people_are_filtered_by_verification_group_and_organisation(
    session: Session, clock: FixedClock, profiles: ProfileService, admin: User
) -> None:
    verified = make_user(session, clock, name="Verified", group=StakeholderGroup.GOVERNMENT)
    profiles.update(verified, "Verified", "government", MINISTRY, "UA")
    profiles.verify_affiliation(admin, verified)
    waiting = make_user(session, clock, name="Waiting", group=StakeholderGroup.ACADEMIA)

    unverified = profiles.people(verified=False)
    assert waiting in unverified and verified not in unverified
    assert profiles.people(verified=True) == [verified]
    assert profiles.people(group=StakeholderGroup.ACADEMIA) == [waiting]
    assert verified.organisation_id is not None
    assert profiles.people(organisation_id=verified.organisation_id) == [verified]
