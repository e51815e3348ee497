"""What a page says of the comment period: when it opens or closes, and in how long."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from consultations.models import Consultation
from core.clock import as_utc
from core.enums import Phase

_AFTER_THE_PERIOD = (Phase.CLOSED, Phase.SYNTHESIS, Phase.PUBLISHED, Phase.ARCHIVED)


@dataclass(frozen=True, slots=True)
class PeriodNote:
    """ "Comments open/close in `amount` `unit`, on `moment`", or "closed on `moment`"."""

    kind: Literal["opens", "closes", "closed"]
    moment: datetime
    amount: int = 0
    unit: Literal["days", "hours", "minutes"] = "days"


def period_note(consultation: Consultation, phase: Phase, now: datetime) -> PeriodNote | None:
    """The note for `consultation` in `phase` at `now`; None when it has no such date."""
    opens, closes = consultation.opens_at, consultation.closes_at
    if phase == Phase.SCHEDULED and opens:
        return _countdown("opens", as_utc(opens), now)
    if phase == Phase.OPEN and closes:
        return _countdown("closes", as_utc(closes), now)
    if phase in _AFTER_THE_PERIOD and closes:
        return PeriodNote("closed", as_utc(closes))
    return None


def _countdown(kind: Literal["opens", "closes"], moment: datetime, now: datetime) -> PeriodNote:
    """Whole days while a day or more is left, then hours, then minutes (at least one)."""
    left = max(moment - now, timedelta(0))
    if left >= timedelta(days=1):
        return PeriodNote(kind, moment, left.days, "days")
    if left >= timedelta(hours=1):
        return PeriodNote(kind, moment, left.seconds // 3600, "hours")
    return PeriodNote(kind, moment, max(1, left.seconds // 60), "minutes")
