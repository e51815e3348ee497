"""A consultation open for comments, a participant from government and their API tokens."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.services import AccountService
from consultations.models import Consultation
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import StakeholderGroup
from tests.factories import editor, make_user, open_consultation

NAME, ORGANISATION = "Olena Kovalenko", "Ministry of Digital Transformation"


@dataclass
class World:
    consultation: Consultation
    keys: list[str]
    participant: User
    write_token: str
    read_token: str

    @property
    def slug(self) -> str:
        return self.consultation.slug


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    consultation = open_consultation(session, clock, paragraphs=8, slug="end-users")
    service = ConsultationService(session, clock=clock)
    keys = [p.key for p in service.paragraphs(service.version(consultation))]
    participant = make_user(
        session, clock, name=NAME, organisation=ORGANISATION, group=StakeholderGroup.GOVERNMENT
    )
    accounts = AccountService(session, clock=clock)
    write_token = accounts.create_token(participant, "write")
    read_token = accounts.create_token(participant, "read")
    session.commit()
    return World(consultation, keys, participant, write_token, read_token)


@pytest.fixture
def chief(session: Session, clock: FixedClock) -> User:
    """An editor of the API tests' world."""
    return editor(session, clock, email="chief@example.org")
