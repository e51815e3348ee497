"""Split consultation documents into commentable blocks with keys that survive revisions.

Comments are anchored to blocks (paragraphs, list items, table rows, ...), not to
character offsets, so that a new version of a document can carry the discussion
over: :func:`assign_keys` gives each block of the new version the key of the
block it evolved from, and :func:`removed_keys` tells which threads lost their
anchor.
"""

from __future__ import annotations

import difflib
import re
import secrets
import string
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from core.markdown import EnvType, Token, parse, render_tokens, strip_front_matter, tokens_text

BlockKind = Literal["heading", "paragraph", "list_item", "quote", "table_row", "code"]
Change = Literal["unchanged", "edited", "new", "restored"]  # restored: see consultations/carry.py

__all__ = [
    "Block",
    "BlockKind",
    "Change",
    "KeyedBlock",
    "assign_keys",
    "block_starts",
    "new_paragraph_key",
    "removed_keys",
    "split_blocks",
]


@dataclass(frozen=True, slots=True)
class Block:
    """One commentable unit of a document."""

    kind: BlockKind
    source: str  # the Markdown source of this block alone
    text: str  # plain text (no markup), used for search and key matching
    html: str  # safe HTML of the block rendered standalone


@dataclass(frozen=True, slots=True)
class KeyedBlock:
    """A block of a new version with the stable key it was given."""

    key: str
    block: Block
    change: Change
    previous_key: str | None  # same as key unless new


# --- splitting ---------------------------------------------------------------

_KRAMDOWN_MARKER = re.compile(r"^ {0,3}\{::?.*\}\s*$")
_KRAMDOWN_SECTION = re.compile(r"^---[ \t]+(?:abstract|middle|back|note_\S*)\s*$")
_HEADING_ID = re.compile(r"^( {0,3}#{1,6}[ \t].*?)[ \t]+\{#[^}]*\}[ \t]*$")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def _clean_kramdown(lines: list[str]) -> list[str]:
    """Blank kramdown-only lines and header ids, outside code fences.

    Lines are blanked rather than removed so token line maps still index ``lines``.
    """
    cleaned: list[str] = []
    fence: str | None = None
    for line in lines:
        opener = _FENCE_OPEN.match(line)
        if fence is not None:
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence = None
            cleaned.append(line)
        elif opener:
            fence = opener.group(1)
            cleaned.append(line)
        elif _KRAMDOWN_MARKER.match(line) or _KRAMDOWN_SECTION.match(line):
            cleaned.append("")
        else:
            cleaned.append(_HEADING_ID.sub(r"\1", line))
    return cleaned


def _closing(tokens: Sequence[Token], start: int) -> int:
    """Index of the token that closes ``tokens[start]`` (itself for leaf tokens)."""
    depth = 0
    for index in range(start, len(tokens)):
        depth += tokens[index].nesting
        if depth <= 0:
            return index
    return len(tokens) - 1


def _block_spans(tokens: Sequence[Token]) -> Iterator[tuple[BlockKind, int, int]]:
    """Yield (kind, first, last) token ranges of the commentable blocks, in order."""
    simple: dict[str, BlockKind] = {
        "heading_open": "heading",
        "paragraph_open": "paragraph",
        "blockquote_open": "quote",
        "fence": "code",
        "code_block": "code",
    }
    index = 0
    while index < len(tokens):
        token = tokens[index]
        end = _closing(tokens, index)
        if token.level == 0 and token.type in simple:
            yield simple[token.type], index, end
        elif token.level == 0 and token.type in ("bullet_list_open", "ordered_list_open"):
            yield from _child_spans(tokens, index, end, "list_item_open", "list_item")
        elif token.level == 0 and token.type == "table_open":
            yield from _child_spans(tokens, index, end, "tr_open", "table_row")
        index = end + 1


def _child_spans(
    tokens: Sequence[Token], start: int, end: int, opener: str, kind: BlockKind
) -> Iterator[tuple[BlockKind, int, int]]:
    """Yield the outermost ``opener`` tokens between ``start`` and ``end`` as blocks."""
    index = start + 1
    while index < end:
        close = _closing(tokens, index)
        if tokens[index].type == opener:
            yield kind, index, close
            index = close + 1
        else:
            index += 1


def _block_html(kind: BlockKind, tokens: Sequence[Token], env: EnvType) -> str:
    """Render a block's tokens standalone, re-wrapping list items and table rows."""
    inner = render_tokens(tokens, env)
    if kind == "table_row":
        return f'<table class="row">\n{inner}</table>\n'
    if kind == "list_item":
        number = tokens[0].info
        if number.isdigit():
            return f'<ol start="{int(number)}">\n{inner}</ol>\n'
        return f"<ul>\n{inner}</ul>\n"
    return inner


def _block_text(kind: BlockKind, tokens: Sequence[Token]) -> str:
    """Plain text of a block; table cells are separated by `` | ``."""
    if kind == "table_row":
        return " | ".join(tokens_text([t]) for t in tokens if t.type == "inline")
    return tokens_text(tokens)


def split_blocks(markdown: str) -> list[Block]:
    """Split a Markdown (or kramdown-rfc) document into commentable blocks."""
    _meta, body = strip_front_matter(markdown)
    lines = _clean_kramdown(body.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    tokens, env = parse("\n".join(lines))
    blocks: list[Block] = []
    for kind, first, last in _block_spans(tokens):
        span = tokens[first : last + 1]
        text = _block_text(kind, span)
        line_map = tokens[first].map
        if not text.strip() or line_map is None:
            continue
        source = "\n".join(lines[line_map[0] : line_map[1]]).strip("\n")
        blocks.append(Block(kind, source, text, _block_html(kind, span, env)))
    return blocks


# A line that can start a block even right after a paragraph's line: a heading, quote, list
# item, rule, fence, HTML, indented code (a fourth space or a tab) or a table row (any pipe).
_MAY_START = re.compile(r" {0,3}(?:[-#>*+=_|`~<\t ]|\d{1,9}[.)])|.*\|")
# A line after which the next plain line starts a new block (not a lazy continuation).
_ENDS_BLOCK = re.compile(r" {0,3}(?:[#`~<\t ]|[-*_=][-*_= \t]*$)|.*\|")


def block_starts(markdown: str, *, stop: int) -> int:
    """How many blocks `split_blocks` could find at most, counted up to `stop`.

    Parsing costs about 0.1 ms per block, so a draft of 600,000 one-character paragraphs
    (2 MB) takes a minute to split; this counts the lines where a block may begin, in a
    few milliseconds, so such a draft is refused before it is parsed.
    """
    count = 0
    after_break = True  # the previous line was blank or ends its block, or this is the first
    for line in markdown.splitlines():
        if not line.strip():
            after_break = True
            continue
        if after_break or _MAY_START.match(line):
            count += 1
            if count > stop:
                break
        after_break = _ENDS_BLOCK.match(line) is not None
    return count


# --- stable keys ---------------------------------------------------------------

_KEY_ALPHABET = string.ascii_lowercase + string.digits
_SIMILARITY = 0.6
_WINDOW = 8  # how far from its expected position an edited block is looked for
_FAR = 40  # last resort: how far an edited block may have moved
_DISTANCE_PENALTY = 0.01  # per block of distance, to prefer the nearby candidate


def new_paragraph_key() -> str:
    """A random 8-character key, safe in ``id="p-{key}"`` attributes and URLs."""
    return "".join(secrets.choice(_KEY_ALPHABET) for _ in range(8))


def _exact_pairs(old: Sequence[str], new: Sequence[str]) -> list[tuple[int, int, int]]:
    """Order-preserving runs of identical texts as (old index, new index, length)."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [(run.a, run.b, run.size) for run in matcher.get_matching_blocks()]


def _gaps(runs: Sequence[tuple[int, int, int]]) -> Iterator[tuple[int, int, int, int]]:
    """The unmatched (old start, old end, new start, new end) stretches between runs."""
    old_at = new_at = 0
    for old_start, new_start, size in runs:
        if old_start > old_at or new_start > new_at:
            yield old_at, old_start, new_at, new_start
        old_at, new_at = old_start + size, new_start + size


class _Matcher:
    """Word-level similarity between previous and new blocks, with cheap pruning."""

    def __init__(self, old: Sequence[str], new: Sequence[str]) -> None:
        self.old_words = [text.split() for text in old]
        self.new_words = [text.split() for text in new]
        self.seq = difflib.SequenceMatcher(None, autojunk=False)

    def best(self, new_index: int, candidates: Iterator[int], expected: float) -> int | None:
        """The candidate most similar to the new block (≥ threshold), preferring nearby ones."""
        self.seq.set_seq2(self.new_words[new_index])
        best_index, best_score = None, float("-inf")
        for old_index in candidates:
            penalty = _DISTANCE_PENALTY * abs(old_index - expected)
            floor = max(_SIMILARITY, best_score + penalty)
            self.seq.set_seq1(self.old_words[old_index])
            if self.seq.real_quick_ratio() < floor or self.seq.quick_ratio() < floor:
                continue
            ratio = self.seq.ratio()
            if ratio >= _SIMILARITY and ratio - penalty > best_score:
                best_index, best_score = old_index, ratio - penalty
        return best_index


def _fuzzy_pairs(
    matcher: _Matcher,
    gap: tuple[int, int, int, int],
    matched: dict[int, int],
    used: set[int],
    *,
    ordered: bool = True,
) -> None:
    """Pair unmatched edited blocks inside one gap, within a bounded window.

    Ordered pairing (inside a gap) works like a diff and looks ``_WINDOW`` blocks
    around the expected position; the unordered pass over the whole document is
    the last resort for edited blocks that also moved, up to ``_FAR`` blocks away.
    """
    old_start, old_end, new_start, new_end = gap
    window = _WINDOW if ordered else _FAR
    scale = (old_end - old_start) / max(new_end - new_start, 1)
    lowest = old_start
    for new_index in range(new_start, new_end):
        if new_index in matched:
            continue
        expected = old_start + (new_index - new_start) * scale
        low = max(lowest, int(expected) - window)
        high = min(old_end, int(expected) + window + 1)
        candidates = (i for i in range(low, high) if i not in used)
        found = matcher.best(new_index, candidates, expected)
        if found is not None:
            used.add(found)
            matched[new_index] = found
            lowest = found + 1 if ordered else old_start


def _moved_pairs(
    old: Sequence[str], new: Sequence[str], matched: dict[int, int], used: set[int]
) -> None:
    """Give still-unmatched blocks the key of an unused identical block elsewhere (moves)."""
    free: dict[str, list[int]] = {}
    for index, text in enumerate(old):
        if index not in used:
            free.setdefault(text, []).append(index)
    for new_index, text in enumerate(new):
        if new_index in matched or not free.get(text):
            continue
        expected = new_index * len(old) / max(len(new), 1)
        nearest = min(free[text], key=lambda i: abs(i - expected))
        free[text].remove(nearest)
        used.add(nearest)
        matched[new_index] = nearest


def _match(old: Sequence[str], new: Sequence[str]) -> tuple[dict[int, int], set[int]]:
    """Map new block index → previous block index; the set holds the exact (unchanged) ones.

    A diff-style alignment finds the unchanged blocks cheaply; identical blocks that
    moved are then paired, and only the blocks left in each gap between aligned runs
    are compared word by word, so the costly similarity is computed rarely. Blocks
    still unpaired are finally compared with unused blocks within ``_FAR`` positions.
    """
    runs = _exact_pairs(old, new)
    matched = {n + k: o + k for o, n, size in runs for k in range(size)}
    used = set(matched.values())
    _moved_pairs(old, new, matched, used)
    exact = set(matched)
    matcher = _Matcher(old, new)
    for gap in _gaps(runs):
        _fuzzy_pairs(matcher, gap, matched, used)
    _fuzzy_pairs(matcher, (0, len(old), 0, len(new)), matched, used, ordered=False)
    return matched, exact


def _fresh_key(new_key: Callable[[], str], taken: set[str]) -> str:
    """A key from ``new_key`` that no previous or current block uses (threads stay apart)."""
    for _attempt in range(100):
        key = new_key()
        if key not in taken:
            taken.add(key)
            return key
    raise RuntimeError("new_key keeps returning keys that are already taken")


def assign_keys(
    previous: Sequence[tuple[str, str]], blocks: Sequence[Block], new_key: Callable[[], str]
) -> list[KeyedBlock]:
    """Give each block of a new version the key of the previous block it continues.

    ``previous`` holds the previous version's (key, text) pairs in document order.
    Identical blocks keep their key ("unchanged"), lightly edited ones too
    ("edited", word similarity ≥ 0.6); everything else gets ``new_key()`` ("new").
    """
    matched, exact = _match([text for _key, text in previous], [b.text for b in blocks])
    taken = {key for key, _text in previous}
    keyed: list[KeyedBlock] = []
    for index, block in enumerate(blocks):
        if index in matched:
            key = previous[matched[index]][0]
            change: Change = "unchanged" if index in exact else "edited"
            keyed.append(KeyedBlock(key, block, change, key))
        else:
            keyed.append(KeyedBlock(_fresh_key(new_key, taken), block, "new", None))
    return keyed


def removed_keys(previous: Sequence[tuple[str, str]], keyed: Sequence[KeyedBlock]) -> list[str]:
    """Previous keys that no block of the new version carries (their threads are orphaned)."""
    kept = {item.previous_key for item in keyed if item.previous_key is not None}
    return [key for key, _text in previous if key not in kept]
