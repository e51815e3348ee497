"""Readable builders for test data: `open_consultation(session, clock, paragraphs=30)`."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.services import AccountService
from consultations.commenting import NewComment
from consultations.models import Comment, Consultation
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import Attribution, ConsultationStatus, Role, StakeholderGroup, Stance
from tests.corpora import CORPORA

PASSWORD = "correct horse battery staple"
# argon2 hashes carry their own parameters, so verifying this cheap one is fast too; tests
# sign in hundreds of times and production-strength hashing would cost ~0.4 s each.
_CHEAP_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
_serial = count(1)
RFC8890 = CORPORA / "ietf" / "rfc8890-for-the-users" / "draft-iab-for-the-users.md"


def make_user(
    session: Session,
    clock: FixedClock,
    *,
    role: Role = Role.PARTICIPANT,
    group: StakeholderGroup | None = StakeholderGroup.CIVIL_SOCIETY,
    name: str | None = None,
    organisation: str | None = "Digital Rights Ukraine",
    email: str | None = None,
    email_verified: bool = True,
) -> User:
    serial = next(_serial)
    user = AccountService(session, clock=clock).create_user(
        email=email or f"person{serial}@example.org",
        name=name or f"Person {serial}",
        role=role,
        group=group,
        organisation=organisation,
        country="UA",
        email_verified=email_verified,
    )
    user.password_hash = _CHEAP_HASH
    return user


def editor(
    session: Session, clock: FixedClock, *, name: str | None = None, email: str | None = None
) -> User:
    return make_user(
        session,
        clock,
        role=Role.EDITOR,
        group=StakeholderGroup.CIVIL_SOCIETY,
        name=name,
        email=email,
    )


def numbered_markdown(paragraphs: int) -> str:
    """A draft of N short real-looking paragraphs, taken from RFC 8890's prose."""
    sentences = [
        line.strip()
        for line in RFC8890.read_text(encoding="utf-8").splitlines()
        if len(line.strip()) > 80 and not line.startswith(("#", "-", "{", "|", ">"))
    ]
    return "\n\n".join(f"{sentences[i % len(sentences)]} ({i + 1})" for i in range(paragraphs))


def open_consultation(
    session: Session,
    clock: FixedClock,
    *,
    markdown: str | None = None,
    paragraphs: int = 10,
    slug: str | None = None,
    topics: tuple[str, ...] = ("encryption",),
    language: str = "en",
    days_open: int = 30,
    by: User | None = None,
) -> Consultation:
    """An open consultation whose comment period runs from now for `days_open` days."""
    author = by or editor(session, clock)
    service = ConsultationService(session, clock=clock)
    consultation = service.create(
        editor=author,
        slug=slug or f"consultation-{next(_serial)}",
        title="The Internet is for End Users",
        markdown=markdown if markdown is not None else numbered_markdown(paragraphs),
        language=language,
        topics=topics,
        opens_at=clock.now(),
        closes_at=clock.now() + timedelta(days=days_open),
    )
    service.set_status(consultation, ConsultationStatus.OPEN, editor=author)
    session.flush()
    return consultation


def comment_on(
    session: Session,
    clock: FixedClock,
    consultation: Consultation,
    *,
    author: User,
    ordinal: int = 1,
    body: str = "End users' interests must come first, including in encrypted protocols.",
    stance: str = "support",
    attribution: str = "named",
    suggestion: str | None = None,
    parent: Comment | None = None,
    quote: str | None = None,
) -> Comment:
    service = ConsultationService(session, clock=clock)
    paragraphs = service.paragraphs(service.version(consultation))
    key = parent.thread.paragraph_key if parent else paragraphs[ordinal - 1].key
    data = NewComment(
        body=body,
        stance=Stance(stance),
        attribution=Attribution(attribution),
        suggestion=suggestion,
        parent_id=parent.id if parent else None,
        quote=quote,
    )
    return service.post_comment(consultation, key, data, author=author)
