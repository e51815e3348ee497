"""A person's own data: everything we hold about them as JSON, and deleting their account.

Deleting keeps the public record: their comments stay, but attributed to the stakeholder
group only (an anonymous comment stays anonymous), with no name, organisation or link back
to the account, and the search index is told to re-derive what it holds about them.
Links in the export are the site's paths, made by the router's `PathFor` the caller gives.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, select, update
from sqlalchemy.orm import Session, selectinload

from accounts import following
from accounts.models import ApiToken, EmailLink, Identity, Organisation, User
from consultations.attribution import public_author
from consultations.models import Comment, Consultation, Endorsement, Thread
from core import audit, outbox
from core.clock import Clock, as_utc
from core.enums import Attribution
from core.urls import PathFor

FORMER_PARTICIPANT = "Former participant"


def _when(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment else None


def _value(enum_value: Any) -> str | None:
    return enum_value.value if enum_value is not None else None


def _comment_url(paths: PathFor, slug: str, key: str, comment_id: int) -> str:
    return paths("paragraph", slug=slug, key=key) + f"#c-{comment_id}"


def export_my_data(session: Session, user: User, paths: PathFor) -> dict[str, Any]:
    """Everything the platform holds about `user`, JSON-serialisable; never a secret's hash."""
    organisation = session.get(Organisation, user.organisation_id) if user.organisation_id else None
    return {
        "profile": {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "role": user.role.value,
            "stakeholder_group": _value(user.stakeholder_group),
            "organisation": user.organisation,
            "country": user.country,
            "created_at": _when(user.created_at),
            "email_verified_at": _when(user.email_verified_at),
            "affiliation_verified_at": _when(user.affiliation_verified_at),
            "has_password": user.password_hash is not None,
        },
        "organisation": _organisation(organisation) if organisation else None,
        "sign_in_identities": [
            {
                "provider": identity.provider,
                "email": identity.email,
                "created_at": _when(identity.created_at),
                "last_used_at": _when(identity.last_used_at),
            }
            for identity in session.scalars(select(Identity).where(Identity.user_id == user.id))
        ],
        "api_tokens": [_token(token) for token in _tokens(session, user)],
        "comments": [_comment(comment, paths) for comment in _comments(session, user)],
        "endorsements": _endorsements(session, user, paths),
        "notification_settings": {
            "language": user.language,
            "timezone": user.timezone,
            "frequency": user.notify_frequency,
            "digest_hour": user.digest_hour,
            "digest_weekday": user.digest_weekday,
        },
        "follows": [
            {"kind": kind, "id": target_id}
            for kind, target_id in sorted(following.followed_by(session, user.id))
        ],
    }


def _organisation(organisation: Organisation) -> dict[str, Any]:
    return {
        "name": organisation.name,
        "stakeholder_group": organisation.stakeholder_group.value,
        "country": organisation.country,
        "website": organisation.website,
    }


def _tokens(session: Session, user: User) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    return list(session.scalars(query))


def _token(token: ApiToken) -> dict[str, Any]:
    return {
        "name": token.name,
        "prefix": token.prefix,
        "scope": token.scope,
        "created_at": _when(token.created_at),
        "last_used_at": _when(token.last_used_at),
        "revoked_at": _when(token.revoked_at),
    }


def _comments(session: Session, user: User) -> list[Comment]:
    query = (
        select(Comment)
        .where(Comment.author_id == user.id)
        .options(selectinload(Comment.thread).selectinload(Thread.consultation))
        .order_by(Comment.id)
    )
    return list(session.scalars(query))


def _comment(comment: Comment, paths: PathFor) -> dict[str, Any]:
    thread, consultation = comment.thread, comment.thread.consultation
    return {
        "id": comment.id,
        "url": _comment_url(paths, consultation.slug, thread.paragraph_key, comment.id),
        "consultation": {"slug": consultation.slug, "title": consultation.title},
        "paragraph_key": thread.paragraph_key,
        "thread_id": thread.id,
        "parent_id": comment.parent_id,
        "body": comment.body,
        "stance": _value(comment.stance),
        "suggestion": comment.suggestion,
        "attribution": comment.attribution.value,
        "public_author_label": public_author(comment).label,
        "author_name": comment.author_name,
        "organisation": comment.organisation,
        "stakeholder_group": comment.stakeholder_group.value,
        "verified": comment.verified,
        "created_at": _when(comment.created_at),
        "disposition": _value(thread.disposition),
        "rationale": thread.rationale,
    }


def _endorsements(session: Session, user: User, paths: PathFor) -> list[dict[str, Any]]:
    query = (
        select(Endorsement, Thread.paragraph_key, Consultation.slug)
        .join(Comment, Comment.id == Endorsement.comment_id)
        .join(Thread, Thread.id == Comment.thread_id)
        .join(Consultation, Consultation.id == Thread.consultation_id)
        .where(Endorsement.user_id == user.id)
        .order_by(Endorsement.created_at, Endorsement.comment_id)
    )
    return [
        {
            "comment_id": endorsement.comment_id,
            "url": _comment_url(paths, slug, key, endorsement.comment_id),
            "stakeholder_group": endorsement.stakeholder_group.value,
            "created_at": _when(endorsement.created_at),
        }
        for endorsement, key, slug in session.execute(query)
    ]


def delete_account(session: Session, user: User, *, clock: Clock) -> None:
    """Delete the account in the caller's transaction; their comments remain, de-identified."""
    now = clock.now()
    user_id = user.id
    touched = session.scalars(
        select(Thread.consultation_id)
        .join(Comment, Comment.thread_id == Thread.id)
        .where(Comment.author_id == user_id)
        .distinct()
    ).all()
    anonymous = Comment.attribution == Attribution.ANONYMOUS
    deidentified = session.execute(
        update(Comment)
        .where(Comment.author_id == user_id)
        .values(
            attribution=case((anonymous, Attribution.ANONYMOUS), else_=Attribution.GROUP),
            author_name=FORMER_PARTICIPANT,
            organisation=None,
            author_id=None,
        )
        .execution_options(synchronize_session="fetch")
    )
    # Explicit deletes rather than relying on ON DELETE: the session must not hold on to
    # rows of the account (the database's foreign keys clear every other reference).
    for table in (ApiToken, Identity, EmailLink, Endorsement):
        session.execute(delete(table).where(table.user_id == user_id))
    session.execute(delete(User).where(User.id == user_id))
    audit.record(
        session,
        actor_id=None,
        action="account.delete",
        subject=("user", user_id),
        now=now,
        comments=deidentified.rowcount,  # type: ignore[attr-defined]
    )
    for consultation_id in touched:
        outbox.emit(session, outbox.SEARCH, "consultation", now, id=consultation_id)
