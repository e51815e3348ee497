"""A consultation that has been commented on by three stakeholder groups, one of them under
the Chatham House rule, ready for synthesis and a brief."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.services import AccountService
from consultations.models import Comment, Consultation
from core.clock import FixedClock
from core.enums import Role, StakeholderGroup
from tests.factories import comment_on, open_consultation

SECRET_NAME = "Olena Kovalenko"
SECRET_ORGANISATION = "Bureau of Quiet Diplomacy"


@dataclass
class Consulted:
    consultation: Consultation
    editor: User
    participant: User
    named: Comment  # government, named
    chatham: Comment  # civil society, group only, with a suggestion
    organisation_only: Comment  # academia, organisation only


def person(
    session: Session,
    clock: FixedClock,
    name: str,
    organisation: str,
    group: StakeholderGroup,
    *,
    role: Role = Role.PARTICIPANT,
    password: str | None = None,
) -> User:
    """A user; without a password unless they sign in (hashing one costs half a second)."""
    email = name.lower().replace(" ", ".") + "@example.org"
    return AccountService(session, clock=clock).create_user(
        email=email,
        name=name,
        role=role,
        group=group,
        organisation=organisation,
        country="UA",
        password=password,
    )


def build_consulted(
    session: Session,
    clock: FixedClock,
    slug: str = "lawful-access",
    password: str | None = None,
    participant_password: str | None = None,
) -> Consulted:
    """Comments on paragraphs 1, 2 and 3 of a six-paragraph draft. With `password` the editor
    can sign in, with `participant_password` the named participant."""
    chief = person(
        session,
        clock,
        "Iryna Editor",
        "ISOC Ukraine",
        StakeholderGroup.TECHNICAL_COMMUNITY,
        role=Role.EDITOR,
        password=password,
    )
    consultation = open_consultation(
        session, clock, paragraphs=6, slug=slug, topics=("encryption",), by=chief
    )
    minister = person(
        session,
        clock,
        "Taras Named",
        "Ministry of Digital Transformation",
        StakeholderGroup.GOVERNMENT,
        password=participant_password,
    )
    secret = person(
        session, clock, SECRET_NAME, SECRET_ORGANISATION, StakeholderGroup.CIVIL_SOCIETY
    )
    scholar = person(session, clock, "Petro Scholar", "Kyiv Polytechnic", StakeholderGroup.ACADEMIA)
    named = comment_on(session, clock, consultation, author=minister, ordinal=1)
    chatham = comment_on(
        session,
        clock,
        consultation,
        author=secret,
        ordinal=2,
        stance="oppose",
        attribution="group",
        body="Lawful access must not weaken end-to-end encryption.",
        suggestion="Encryption protects end users and must never be weakened.",
    )
    organisation_only = comment_on(
        session,
        clock,
        consultation,
        author=scholar,
        ordinal=3,
        stance="amend",
        attribution="organisation",
        body="Cite the research on key escrow.",
    )
    return Consulted(consultation, chief, minister, named, chatham, organisation_only)


@pytest.fixture
def consulted(session: Session, clock: FixedClock) -> Consulted:
    return build_consulted(session, clock)
