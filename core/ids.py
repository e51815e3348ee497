"""Database ids as people send them: in paths, form fields and query strings.

Every id column is a 32-bit integer on both databases, so a larger number names nothing.
Refusing it here, before any query, keeps PostgreSQL (which raises on an out-of-range
parameter) and SQLite (which raises past 2⁶³) from ever seeing it.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1
# Exactly the decimal numbers 1..MAX_ID, without leading zeros: a URL convertor must decide
# by its pattern alone (a convertor that raises is a 500), so the range is spelled out.
ID_PATTERN = (
    r"(?:[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}"
    r"|2147[0-3][0-9]{5}|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}"
    r"|21474836[0-3][0-9]|214748364[0-7])"
)


def parse_id(value: str | None) -> int | None:
    """The id `value` spells (ASCII digits, 1..MAX_ID), or None when it can name nothing."""
    if not value or not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None
