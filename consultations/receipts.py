"""Receipt numbers: what a person quotes to the chapter to name a comment they posted.

Like a tracking number (regulations.gov gives one for every public comment), a receipt is
short enough to read over the phone, and its two check digits (ISO 7064 MOD 97-10, as in
IBANs) catch any mistyped digit and any two swapped ones. It is derived from the comment's
id, so it needs no column, and the comment's public anchor already shows that id.
"""

from __future__ import annotations

import re

PREFIX = "RT"
_RECEIPT = re.compile(r"^\s*RT-?(\d{6,})-?(\d{2})\s*$", re.IGNORECASE)


def _check_digits(number: int) -> int:
    return 98 - (number * 100) % 97


def receipt_number(comment_id: int) -> str:
    """`RT-000123-45` for comment 123 (six digits at least, more as ids grow)."""
    return f"{PREFIX}-{comment_id:06d}-{_check_digits(comment_id):02d}"


def comment_of_receipt(text: str) -> int | None:
    """The comment id a receipt names, or None when it is not a well-formed receipt."""
    match = _RECEIPT.match(text)
    if match is None:
        return None
    number, check = int(match[1]), int(match[2])
    return number if number > 0 and _check_digits(number) == check else None
