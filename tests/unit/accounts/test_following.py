"""When a digest is due: the person's hour in their timezone, daily or on their weekday."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accounts import following
from accounts.models import User
from core.errors import InvalidInput


def person(frequency: str, timezone: str, hour: int, weekday: int = 0) -> User:
    return User(
        notify_frequency=frequency, timezone=timezone, digest_hour=hour, digest_weekday=weekday
    )


@pytest.mark.parametrize(
    ("now", "due"),
    [
        # 08:00 in Kyiv is 06:00 UTC in winter (UTC+2)…
        (datetime(2026, 11, 3, 6, 0, tzinfo=UTC), datetime(2026, 11, 3, 6, 0, tzinfo=UTC)),
        (datetime(2026, 11, 3, 5, 59, tzinfo=UTC), datetime(2026, 11, 2, 6, 0, tzinfo=UTC)),
        # …and 05:00 UTC in summer (UTC+3).
        (datetime(2026, 7, 1, 5, 30, tzinfo=UTC), datetime(2026, 7, 1, 5, 0, tzinfo=UTC)),
    ],
)
def test_a_daily_digest_is_due_at_the_persons_hour(now: datetime, due: datetime) -> None:
    assert following.last_due(person("daily", "Europe/Kyiv", 8), now) == due


def test_a_weekly_digest_is_due_on_the_persons_weekday() -> None:
    thursday_nine = person("weekly", "America/New_York", 9, weekday=3)
    monday = datetime(2026, 11, 9, 20, 0, tzinfo=UTC)
    # The Thursday before, 09:00 in New York (UTC-5 in November).
    assert following.last_due(thursday_nine, monday) == datetime(2026, 11, 5, 14, 0, tzinfo=UTC)


def test_only_real_timezones_are_accepted() -> None:
    assert following.valid_timezone("Europe/Kyiv")
    assert not following.valid_timezone("Mars/Olympus")
    assert not following.valid_timezone("../../etc/passwd")
    with pytest.raises(InvalidInput):
        following.set_preferences(
            person("daily", "Europe/Kyiv", 8),
            language="fr",
            timezone="Europe/Kyiv",
            frequency="hourly",
            hour=25,
            weekday=7,
        )
