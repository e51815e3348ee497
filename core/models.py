"""Import every context's models so metadata is complete (for Alembic and test set-up)."""

from accounts.models import (
    ApiToken,
    EmailLink,
    Follow,
    Identity,
    Notification,
    Organisation,
    RateLimit,
    User,
)
from briefs.models import Brief, BriefVersion
from consultations.models import (
    CampaignBand,
    CampaignMember,
    Comment,
    Consultation,
    DraftVersion,
    Endorsement,
    Flag,
    OpinionMap,
    Paragraph,
    Thread,
    Topic,
)
from core.audit import AuditEvent
from core.db import Base
from core.idempotency import IdempotencyKey
from core.outbox import OutboxEvent

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Base",
    "Brief",
    "BriefVersion",
    "CampaignBand",
    "CampaignMember",
    "Comment",
    "Consultation",
    "DraftVersion",
    "EmailLink",
    "Endorsement",
    "Flag",
    "Follow",
    "IdempotencyKey",
    "Identity",
    "Notification",
    "OpinionMap",
    "Organisation",
    "OutboxEvent",
    "Paragraph",
    "RateLimit",
    "Thread",
    "Topic",
    "User",
]
