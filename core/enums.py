"""Closed vocabularies of the domain, mapped to the database once (as strings)."""

from enum import StrEnum


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


class ThreadStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Disposition(StrEnum):
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    NOT_ACCEPTED = "not_accepted"
    NOTED = "noted"
    OUT_OF_SCOPE = "out_of_scope"


class Language(StrEnum):
    EN = "en"
    UK = "uk"
