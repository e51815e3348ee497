"""Closed vocabularies of the domain, mapped to the database once (as strings)."""

from enum import StrEnum

from core.i18n import N_


class Role(StrEnum):
    PARTICIPANT = "participant"
    EDITOR = "editor"
    ADMIN = "admin"


class StakeholderGroup(StrEnum):
    GOVERNMENT = "government"
    PRIVATE_SECTOR = "private_sector"
    ACADEMIA = "academia"
    CIVIL_SOCIETY = "civil_society"
    TECHNICAL_COMMUNITY = "technical_community"


class Stance(StrEnum):
    SUPPORT = "support"
    OPPOSE = "oppose"
    AMEND = "amend"
    QUESTION = "question"
    NEUTRAL = "neutral"


class Attribution(StrEnum):
    NAMED = "named"
    ORGANISATION = "organisation"
    GROUP = "group"
    ANONYMOUS = "anonymous"


class ConsultationStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    SYNTHESIS = "synthesis"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Phase(StrEnum):
    """Where a consultation is, as everyone sees it: its status, with the comment period's
    times applied (consultations/policy.py). Open and a draft with an opening time run by
    the clock: scheduled, then open, then closed; what an editor chose later (closed early,
    synthesis, archived…) stands as chosen."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    SYNTHESIS = "synthesis"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ThreadStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class ThreadState(StrEnum):
    """Where a thread stands with respect to the current version (consultations/carry.py)."""

    ANCHORED = "anchored"  # on a paragraph that reads as it did when the thread was written
    OUTDATED = "outdated"  # on a paragraph edited since: shown in place, marked
    ORPHANED = "orphaned"  # its paragraph is gone: waits in the editor's re-anchor queue
    MOVED = "moved"  # an editor moved it to another paragraph
    CLOSED = "closed"  # an editor closed it with a reason instead of moving it


class Disposition(StrEnum):
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    NOT_ACCEPTED = "not_accepted"
    NOTED = "noted"
    OUT_OF_SCOPE = "out_of_scope"


class FlagReason(StrEnum):
    """Why a participant flags a comment for the moderators."""

    SPAM = "spam"
    ABUSE = "abuse"
    OFF_TOPIC = "off_topic"
    PERSONAL_DATA = "personal_data"
    OTHER = "other"


class Language(StrEnum):
    EN = "en"
    UK = "uk"


#: What the interface calls each value people see (templates show `value|label`, translated).
#: `Phase.SCHEDULED` is what a consultation shows before its comment period begins.
LABELS: dict[str, str] = {
    ConsultationStatus.DRAFT: N_("Draft"),
    Phase.SCHEDULED: N_("Scheduled"),
    ConsultationStatus.OPEN: N_("Open"),
    ConsultationStatus.CLOSED: N_("Closed"),
    ConsultationStatus.SYNTHESIS: N_("Synthesis"),
    ConsultationStatus.PUBLISHED: N_("Published"),
    ConsultationStatus.ARCHIVED: N_("Archived"),
    Stance.SUPPORT: N_("Support"),
    Stance.OPPOSE: N_("Oppose"),
    Stance.AMEND: N_("Amend"),
    Stance.QUESTION: N_("Question"),
    Stance.NEUTRAL: N_("Neutral"),
    Disposition.ACCEPTED: N_("Accepted"),
    Disposition.PARTIALLY_ACCEPTED: N_("Partially accepted"),
    Disposition.NOT_ACCEPTED: N_("Not accepted"),
    Disposition.NOTED: N_("Noted"),
    Disposition.OUT_OF_SCOPE: N_("Out of scope"),
    FlagReason.SPAM: N_("Spam"),
    FlagReason.ABUSE: N_("Abuse"),
    FlagReason.OFF_TOPIC: N_("Off-topic"),
    FlagReason.PERSONAL_DATA: N_("Personal data"),
    FlagReason.OTHER: N_("Other"),
}
