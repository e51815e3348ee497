"""`roundtable demo` loads a sample that shows every feature, once, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from accounts.models import User
from app.demo import load_demo
from app.settings import Settings
from briefs.models import Brief, BriefVersion
from consultations import campaigns
from consultations.models import Comment, Consultation, DraftVersion, Thread
from core.clock import FixedClock
from core.enums import ConsultationStatus, Language, StakeholderGroup
from core.errors import InvalidInput


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {"SEARCH_INDEX_DIR": str(tmp_path / "index"), "BASE_URL": "http://demo.test"}
    )


@pytest.fixture
def summary(sessions: sessionmaker[Session], settings: Settings, clock: FixedClock) -> str:
    return load_demo(sessions, settings, now=clock.now())


def _count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_sample_has_both_languages_and_every_group(summary: str, session: Session) -> None:
    assert "editor@demo.roundtable.example" in summary
    assert "roundtable-demo" in summary
    assert "http://demo.test/consultations/privacy-partitioning-encryption" in summary
    consultations = session.scalars(select(Consultation)).all()
    assert {c.language for c in consultations} == {Language.EN, Language.UK}
    groups = session.scalars(select(Comment.stakeholder_group).distinct()).all()
    assert set(groups) == set(StakeholderGroup)
    assert 30 <= _count(session, Comment) <= 70
    campaigns_of = [campaigns.campaigns(session, c.id) for c in consultations]
    assert [c.size for found in campaigns_of for c in found] == [4], "one campaign, of four"
    assert session.scalar(select(func.count()).where(Comment.suggestion.is_not(None)))


def test_open_consultations_hear_every_group_and_get_revised(
    summary: str, session: Session
) -> None:
    for consultation in session.scalars(
        select(Consultation).where(Consultation.status == ConsultationStatus.OPEN)
    ):
        query = (
            select(Comment.stakeholder_group)
            .distinct()
            .join(Thread)
            .where(Thread.consultation_id == consultation.id)
        )
        assert set(session.scalars(query)) == set(StakeholderGroup), consultation.slug
    revisions = (
        select(func.count(DraftVersion.id))
        .join(Consultation)
        .where(Consultation.slug == "privacy-partitioning-encryption")
    )
    assert session.scalar(revisions) == 2


def test_brief_is_published_and_cites_decided_threads(summary: str, session: Session) -> None:
    versions = session.scalars(
        select(BriefVersion).join(Brief).where(BriefVersion.published_at.is_not(None))
    ).all()
    assert {version.brief.language for version in versions} == {Language.EN, Language.UK}
    english = next(v for v in versions if v.brief.language == Language.EN)
    assert len(english.cited_threads) >= 5
    consultation = english.brief.consultation
    assert consultation is not None
    assert consultation.status == ConsultationStatus.PUBLISHED
    threads = session.scalars(select(Thread).where(Thread.consultation_id == consultation.id))
    assert all(thread.disposition is not None for thread in threads)


def test_second_call_changes_nothing(
    summary: str, sessions: sessionmaker[Session], settings: Settings, session: Session
) -> None:
    before = (_count(session, User), _count(session, Comment), _count(session, Consultation))
    again = load_demo(sessions, settings)
    session.expire_all()
    assert "already loaded" in again
    # `make run` loads the demo on every start: each start still shows how to sign in.
    assert "editor@demo.roundtable.example" in again
    assert "password “roundtable-demo”" in again
    assert again.endswith("Open http://demo.test/")
    assert (_count(session, User), _count(session, Comment), _count(session, Consultation)) == (
        before
    )


def test_missing_demo_data_is_a_clear_error(
    sessions: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput, match=r"demo data file .*nowhere.*content\.toml is missing"):
        load_demo(sessions, settings, data=tmp_path / "nowhere")
