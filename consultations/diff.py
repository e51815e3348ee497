"""Word-level differences between document versions, for showing readers what changed.

Diffs work on plain block texts (see :mod:`consultations.paragraphs`) keyed by
stable paragraph keys, so a version comparison lines up with comment threads.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from markupsafe import escape

from core.i18n import N_

Op = Literal["equal", "insert", "delete"]
Status = Literal["unchanged", "changed", "added", "removed"]
#: The interface labels of the statuses (templates show `block.status|label`).
STATUS_LABELS: dict[str, str] = {
    "unchanged": N_("Unchanged"),
    "changed": N_("Changed"),
    "added": N_("Added"),
    "removed": N_("Removed"),
}

__all__ = ["STATUS_LABELS", "BlockDiff", "Op", "Status", "diff_html", "diff_versions", "word_diff"]

# Words, runs of whitespace, runs of punctuation: together they cover every character.
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]+")


@dataclass(frozen=True, slots=True)
class BlockDiff:
    """One block of a version comparison; ``html`` is escaped text with ``<ins>``/``<del>``."""

    key: str
    status: Status
    html: str


def _raw_ops(old: str, new: str) -> list[tuple[Op, str]]:
    """Token-level opcodes; whitespace is junk so it never anchors a spurious match."""
    old_tokens, new_tokens = _TOKEN.findall(old), _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(str.isspace, old_tokens, new_tokens, autojunk=False)
    ops: list[tuple[Op, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(("equal", "".join(old_tokens[i1:i2])))
            continue
        if i2 > i1:
            ops.append(("delete", "".join(old_tokens[i1:i2])))
        if j2 > j1:
            ops.append(("insert", "".join(new_tokens[j1:j2])))
    return ops


def _absorb_spaces(ops: list[tuple[Op, str]]) -> list[tuple[Op, str]]:
    """Turn whitespace-only "equal" runs between changes into a delete plus an insert.

    ``a b`` → ``x y`` then reads as one replacement instead of four fragments.
    """
    result: list[tuple[Op, str]] = []
    for index, (op, text) in enumerate(ops):
        between = 0 < index < len(ops) - 1  # neighbours of an "equal" run are changes
        if op == "equal" and text.isspace() and between:
            result += [("delete", text), ("insert", text)]
        else:
            result.append((op, text))
    return result


def _group(ops: list[tuple[Op, str]]) -> list[tuple[Op, str]]:
    """Merge each run of changes into one delete followed by one insert.

    Afterwards no two adjacent segments share an op.
    """
    result: list[tuple[Op, str]] = []
    deleted: list[str] = []
    inserted: list[str] = []
    for op, text in [*ops, ("equal", "")]:
        if op == "delete":
            deleted.append(text)
        elif op == "insert":
            inserted.append(text)
        else:
            if deleted:
                result.append(("delete", "".join(deleted)))
            if inserted:
                result.append(("insert", "".join(inserted)))
            deleted, inserted = [], []
            if text:
                result.append((op, text))
    return result


def word_diff(old: str, new: str) -> list[tuple[Op, str]]:
    """Word-level diff; "equal"+"delete" segments rejoin to ``old``, "equal"+"insert" to ``new``."""
    return _group(_absorb_spaces(_raw_ops(old, new)))


def _segment_html(op: Op, text: str) -> str:
    """One escaped diff segment, wrapped in ``<ins>``/``<del>`` when it changed."""
    escaped = str(escape(text))
    if op == "insert":
        return f"<ins>{escaped}</ins>"
    if op == "delete":
        return f"<del>{escaped}</del>"
    return escaped


def diff_html(old: str, new: str) -> str:
    """Escaped HTML of the word diff, safe to embed (mark it safe in templates)."""
    return "".join(_segment_html(op, text) for op, text in word_diff(old, new))


def _block_diff(key: str, old: str | None, new: str | None) -> BlockDiff:
    """Compare one key's texts from the two versions (None where the block is absent)."""
    if new is None:
        return BlockDiff(key, "removed", _segment_html("delete", old or ""))
    if old is None:
        return BlockDiff(key, "added", _segment_html("insert", new))
    if old == new:
        return BlockDiff(key, "unchanged", _segment_html("equal", new))
    return BlockDiff(key, "changed", diff_html(old, new))


def diff_versions(
    old: Sequence[tuple[str, str]], new: Sequence[tuple[str, str]]
) -> list[BlockDiff]:
    """Compare two versions given as ordered (key, text) pairs, aligned by key.

    Follows the new version's order; a removed block is shown right after the
    nearest surviving block that preceded it in the old version.
    """
    old_texts, new_texts = dict(old), dict(new)
    removed_after: dict[str | None, list[str]] = {}
    anchor: str | None = None
    for key, _text in old:
        if key in new_texts:
            anchor = key
        else:
            removed_after.setdefault(anchor, []).append(key)
    result = [_block_diff(key, old_texts[key], None) for key in removed_after.get(None, [])]
    for key, text in new:
        result.append(_block_diff(key, old_texts.get(key), text))
        result += [_block_diff(gone, old_texts[gone], None) for gone in removed_after.get(key, [])]
    return result
