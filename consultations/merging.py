"""Merging a suggestion into a paragraph that moved on since it was written: a three-way
merge, as code review merges a suggested change into a branch that has new commits.

A suggestion is the whole paragraph as its commenter would have it, written on the text of
the version they read (the *base*). By the time the editor applies it, the paragraph may
read otherwise (the *current* text: the editor's own revisions, or another suggestion applied
just before in the same batch). Overwriting the current text with the suggestion would undo
those revisions silently; instead the suggestion's change (base → suggestion) is merged with
the editor's (base → current) word by word by `merge3` (the merge of Bazaar and Breezy).
Where both changed the same words differently, the merge stops and shows both sides, and the
editor resolves it by writing the text.

Pure functions on strings: no database, no web.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, cast

from merge3 import Merge3

__all__ = ["Chunk", "Merged", "merge_suggestion", "tokens"]

# A word, a punctuation mark or a run of spaces: merging whole words keeps a merge from
# splicing half of one word onto half of another; punctuation and spaces apart let
# "protected." and "protected by law." share the word "protected".
_TOKEN = re.compile(r"\w+|[^\w\s]|\s+")


def tokens(text: str) -> list[str]:
    """`text` cut into tokens that join back into it exactly."""
    return _TOKEN.findall(text)


@dataclass(frozen=True, slots=True)
class Chunk:
    """A stretch of the merge: text both sides agree on (`same`), or a conflict between the
    editor's current text and the suggestion (`base` is what both started from)."""

    kind: Literal["same", "conflict"]
    text: str = ""
    current: str = ""
    suggested: str = ""
    base: str = ""


@dataclass(frozen=True, slots=True)
class Merged:
    """The outcome of merging one suggestion: the chunks, and the text they make."""

    chunks: tuple[Chunk, ...]

    @property
    def clean(self) -> bool:
        return not any(chunk.kind == "conflict" for chunk in self.chunks)

    @property
    def conflicts(self) -> tuple[Chunk, ...]:
        return tuple(chunk for chunk in self.chunks if chunk.kind == "conflict")

    @property
    def text(self) -> str:
        """The merged text; at a conflict, the current side (the editor's text is never lost
        unless the editor chooses so: a conflicting merge is only a proposal)."""
        return _tidy("".join(c.text if c.kind == "same" else c.current for c in self.chunks))


def _tidy(text: str) -> str:
    return " ".join(text.split())


def merge_suggestion(base: str, current: str, suggestion: str) -> Merged:
    """Merge the change from `base` to `suggestion` into `current`.

    Whitespace is not content (a paragraph's text is one line of words), so all three are
    compared with their spacing normalised."""
    base_t, current_t, suggested_t = (tokens(_tidy(t)) for t in (base, current, suggestion))
    merge = Merge3(base_t, current_t, suggested_t)
    chunks: list[Chunk] = []
    for region in merge.merge_regions():
        kind = region[0]
        if kind == "conflict":
            z0, z1, a0, a1, b0, b1 = cast("tuple[int, int, int, int, int, int]", region[1:])
            chunks.append(
                Chunk(
                    "conflict",
                    current="".join(current_t[a0:a1]),
                    suggested="".join(suggested_t[b0:b1]),
                    base="".join(base_t[z0:z1]),
                )
            )
            continue
        start, end = region[1], region[2]
        source = suggested_t if kind == "b" else base_t if kind == "unchanged" else current_t
        text = "".join(source[start:end])
        if chunks and chunks[-1].kind == "same":
            chunks[-1] = Chunk("same", text=chunks[-1].text + text)
        elif text:
            chunks.append(Chunk("same", text=text))
    return Merged(tuple(_joined(chunks)))


def _joined(chunks: list[Chunk]) -> list[Chunk]:
    """Conflicts apart by spaces only are one conflict ("two years" against "one year", not
    "two" and "years" apart): the editor resolves a phrase, not its words one by one."""
    out: list[Chunk] = []
    for chunk in chunks:
        if (
            chunk.kind == "conflict"
            and len(out) >= 2
            and out[-2].kind == "conflict"
            and not out[-1].text.strip()
        ):
            space, before = out.pop().text, out.pop()
            chunk = Chunk(
                "conflict",
                current=before.current + space + chunk.current,
                suggested=before.suggested + space + chunk.suggested,
                base=before.base + space + chunk.base,
            )
        out.append(chunk)
    return out
