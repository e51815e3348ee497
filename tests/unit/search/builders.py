"""A small public archive for search tests, built with the real services.

English, and Ukrainian taken from a real law (the shared corpus); comments from several
stakeholder groups, one under the Chatham House rule; a published brief; and a draft
consultation that must never be found.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from accounts.models import User
from accounts.services import AccountService
from app.urls import app_paths
from briefs.models import Brief
from briefs.services import BriefService
from consultations.models import Comment, Consultation
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import ConsultationStatus, Role, StakeholderGroup
from search.index import SearchIndex
from search.queries import SearchQuery, SearchResults
from tests.corpora import CORPORA
from tests.factories import comment_on

SECRET_NAME = "Olena Kovalenko"
SECRET_ORGANISATION = "Bureau of Quiet Diplomacy"
DRAFT_ONLY_WORD = "zanzibarian"

LAWFUL_ACCESS = (
    "Lawful access regimes ask providers to hand over the content of communications.",
    "Encrypted messaging protects journalists, diplomats and ordinary users alike.",
    "Any exceptional access mechanism weakens end-to-end encryption for every user.",
    "The chapter recommends transparency reports on government requests.",
)
END_USERS = (
    "The Internet is for end users: protocols should serve the people who use them, "
    "and standards bodies should weigh their interests when designing new mechanisms, "
    "including when lawful access is raised by a participant as a policy concern.",
    "Routing security depends on operators filtering announcements (MANRS).",
    "Internet fragmentation harms the global reach of the network.",
)
UKRAINIAN_COMMENT = "Пропонуємо вимагати захисту персональних даних наскрізним шифруванням."
LAWFUL_ACCESS_TITLE = "Lawful access to encrypted communications"
NAMED_COMMENT = "Transparency about lawful access requests builds trust."
CHATHAM_COMMENT = (
    "Key escrow schemes have failed before; <script>alert('x')</script> they will again."
)
CHATHAM_SUGGESTION = "Exceptional access mechanisms must never be mandated."
BRIEF_TITLE = "Encryption and lawful access: the chapter's position"
BRIEF_BODY = (
    "The chapter opposes any **exceptional access** mechanism.\n\n"
    "Strong encryption protects the economy and national security."
)
GOVERNMENT, ACADEMIA = StakeholderGroup.GOVERNMENT, StakeholderGroup.ACADEMIA


def person(
    session: Session,
    clock: FixedClock,
    name: str,
    *,
    organisation: str | None = None,
    group: StakeholderGroup = StakeholderGroup.CIVIL_SOCIETY,
    role: Role = Role.PARTICIPANT,
) -> User:
    """A user without a password (hashing one costs half a second per test)."""
    email = name.lower().replace(" ", ".") + "@example.org"
    return AccountService(session, clock=clock).create_user(
        email=email, name=name, role=role, group=group, organisation=organisation, country="UA"
    )


def consult(
    session: Session,
    clock: FixedClock,
    editor: User,
    *,
    slug: str,
    title: str,
    paragraphs: Sequence[str],
    language: str = "en",
    topics: Sequence[str] = ("encryption",),
    open_it: bool = True,
) -> Consultation:
    """A consultation whose paragraphs are exactly `paragraphs`, open for a month."""
    service = ConsultationService(session, clock=clock)
    consultation = service.create(
        editor=editor,
        slug=slug,
        title=title,
        markdown="\n\n".join(paragraphs),
        language=language,
        topics=topics,
        # A draft given an opening time is announced (public): this one must stay private.
        opens_at=clock.now() if open_it else None,
        closes_at=clock.now() + timedelta(days=30),
    )
    if open_it:
        service.set_status(consultation, ConsultationStatus.OPEN, editor=editor)
    session.flush()
    return consultation


def publish_brief(
    session: Session,
    clock: FixedClock,
    editor: User,
    *,
    slug: str,
    title: str,
    body: str,
    topics: Sequence[str] = ("encryption",),
    language: str = "en",
) -> Brief:
    service = BriefService(session, clock=clock)
    brief = service.create(editor, slug, title, language, topics, body)
    service.publish(slug, editor, app_paths())
    session.flush()
    return brief


def ukrainian_law_excerpt() -> tuple[str, list[str]]:
    """The title and a few provisions of a real law on cybersecurity, plus the two lines of
    the Europol memorandum that speak of encryption ("шифрування трафіку")."""
    cyber = json.loads((CORPORA / "uk-laws" / "02047-ua-cybersecurity.json").read_text("utf-8"))
    article = next(p for p in cyber["provisions"] if p["provision_ref"] == "art8")
    lines = [line for line in article["content"].splitlines() if line.strip()][:2]
    memo = json.loads((CORPORA / "uk-laws" / "00071-ua-law-984-a12.json").read_text("utf-8"))
    article = next(p for p in memo["provisions"] if p["provision_ref"] == "art8")
    lines += [
        line.lstrip("· ").strip() for line in article["content"].splitlines() if "ифрування" in line
    ][:2]
    return cyber["title"], lines


@dataclass
class Archive:
    editor: User
    lawful: Consultation
    end_users: Consultation
    ukrainian: Consultation
    draft: Consultation
    named: Comment  # civil society, named
    chatham: Comment  # government, group only: SECRET_NAME of SECRET_ORGANISATION
    organisation_only: Comment  # academia, organisation only
    ukrainian_comment: Comment
    brief: Brief


def build_archive(session: Session, clock: FixedClock) -> Archive:
    editor = person(session, clock, "Iryna Editor", organisation="ISOC Ukraine", role=Role.EDITOR)
    title, provisions = ukrainian_law_excerpt()
    specs: list[dict[str, Any]] = [
        {"slug": "lawful-access", "title": LAWFUL_ACCESS_TITLE, "paragraphs": LAWFUL_ACCESS},
        {"slug": "end-users", "title": "The Internet is for end users", "paragraphs": END_USERS,
         "topics": ("internet-governance",)},
        {"slug": "kiberbezpeka", "title": title, "paragraphs": provisions, "language": "uk",
         "topics": ("encryption", "cybersecurity")},
        {"slug": "not-yet", "title": "Unpublished thoughts", "open_it": False,
         "paragraphs": [f"A {DRAFT_ONLY_WORD} idea nobody may read yet."]},
    ]  # fmt: skip
    lawful, end_users, ukrainian, draft = (
        consult(session, clock, editor, **spec) for spec in specs
    )
    comments = _comments(session, clock, lawful, ukrainian)
    brief = publish_brief(
        session, clock, editor, slug="encryption-brief", title=BRIEF_TITLE, body=BRIEF_BODY
    )
    return Archive(editor, lawful, end_users, ukrainian, draft, *comments, brief)


def _comments(
    session: Session, clock: FixedClock, lawful: Consultation, ukrainian: Consultation
) -> tuple[Comment, Comment, Comment, Comment]:
    """Named, Chatham House (group only), organisation only, and one in Ukrainian."""
    activist = person(session, clock, "Marta Named", organisation="Digital Rights Ukraine")
    diplomat = person(
        session, clock, SECRET_NAME, organisation=SECRET_ORGANISATION, group=GOVERNMENT
    )
    scholar = person(
        session, clock, "Petro Scholar", organisation="Kyiv Polytechnic", group=ACADEMIA
    )
    return (
        comment_on(session, clock, lawful, author=activist, ordinal=1, body=NAMED_COMMENT),
        comment_on(
            session, clock, lawful, author=diplomat, ordinal=3, stance="oppose",
            attribution="group", body=CHATHAM_COMMENT, suggestion=CHATHAM_SUGGESTION,
        ),
        comment_on(
            session, clock, lawful, author=scholar, ordinal=2, stance="amend",
            attribution="organisation", body="Cite the research on metadata retention.",
        ),
        comment_on(session, clock, ukrainian, author=activist, ordinal=1, body=UKRAINIAN_COMMENT),
    )  # fmt: skip


def find(index: SearchIndex, q: str = "", **params: str) -> SearchResults:
    """A search as the page would run it, from its query parameters."""
    return index.search(SearchQuery.from_params({"q": q, **params}), app_paths())
