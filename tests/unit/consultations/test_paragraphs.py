"""Splitting documents into commentable blocks and keeping their keys across versions."""

from __future__ import annotations

import difflib
import itertools
import re
from collections import Counter
from collections.abc import Callable, Sequence

import pytest

from consultations.paragraphs import (
    Block,
    KeyedBlock,
    assign_keys,
    new_paragraph_key,
    removed_keys,
    split_blocks,
)
from core.markdown import strip_front_matter
from tests.corpora import CORPORA, RFC9518, centralization_draft
from tests.unit.core.test_markdown import XSS_PAYLOADS, unsafe_markup

_OPENING_TAG = {
    "heading": re.compile(r"^<h[1-6]>"),
    "paragraph": re.compile(r"^<p>"),
    "list_item": re.compile(r'^<(ul|ol start="\d+")>\n?<li>'),
    "quote": re.compile(r"^<blockquote>"),
    "table_row": re.compile(r'^<table class="row">\n<tr>'),
    "code": re.compile(r"^<pre><code"),
}


def _one(blocks: Sequence[Block], prefix: str) -> Block:
    found = [block for block in blocks if block.text.startswith(prefix)]
    assert len(found) == 1, (prefix, len(found))
    return found[0]


def _keyed(keyed: Sequence[KeyedBlock], prefix: str) -> KeyedBlock:
    found = [item for item in keyed if item.block.text.startswith(prefix)]
    assert len(found) == 1, (prefix, len(found))
    return found[0]


def _pairs(keyed: Sequence[KeyedBlock]) -> list[tuple[str, str]]:
    return [(item.key, item.block.text) for item in keyed]


def _counter_keys(prefix: str = "k") -> Callable[[], str]:
    counter = itertools.count()
    return lambda: f"{prefix}{next(counter):07d}"


# --- splitting a real RFC ----------------------------------------------------------


@pytest.fixture(scope="module")
def rfc9518() -> list[Block]:
    return split_blocks(RFC9518.read_text(encoding="utf-8"))


def test_rfc9518_block_counts(rfc9518: list[Block]) -> None:
    kinds = Counter(block.kind for block in rfc9518)
    assert kinds == {"paragraph": 116, "heading": 21, "list_item": 16}


def test_rfc9518_every_heading_is_a_block(rfc9518: list[Block]) -> None:
    _meta, body = strip_front_matter(RFC9518.read_text(encoding="utf-8"))
    heading_lines = re.findall(r"^#+ (.+?)(?: \{#[^}]*\})?$", body, flags=re.MULTILINE)
    assert len(heading_lines) == 21
    assert [b.text for b in rfc9518 if b.kind == "heading"] == heading_lines
    assert _one(rfc9518, "Centralization Can Be Harmful").html == (
        "<h2>Centralization Can Be Harmful</h2>\n"
    )


def test_rfc9518_every_paragraph_is_a_block(rfc9518: list[Block]) -> None:
    """Every prose chunk of the source (blank-line separated) starts exactly one block."""
    _meta, body = strip_front_matter(RFC9518.read_text(encoding="utf-8"))
    chunks = [c.strip() for c in body.split("\n\n") if c.strip()]
    prose = [c for c in chunks if re.match(r"[A-Z\"{]", c) and not c.startswith("{:")]
    paragraph_sources = [b.source for b in rfc9518 if b.kind == "paragraph"]
    assert len(prose) == len(paragraph_sources) == 116
    assert prose == paragraph_sources


def test_rfc9518_blocks_are_clean(rfc9518: list[Block]) -> None:
    assert rfc9518[0].text.startswith("This document discusses aspects of centralization")
    assert rfc9518[-1].text == (
        "No large language models were used in the production of this document."
    )
    for block in rfc9518:
        assert block.text.strip()
        assert block.source.strip()
        assert block.html.strip()
        assert _OPENING_TAG[block.kind].match(block.html), block.html[:60]
        assert "--- " not in block.source
        assert "{#" not in block.text
        assert not block.text.startswith(("title:", "{:", "{::"))
        assert unsafe_markup(block.html) == []


def test_rfc9518_list_items(rfc9518: list[Block]) -> None:
    item = _one(rfc9518, "Power Imbalance: When a third party")
    assert item.kind == "list_item"
    assert item.source.startswith("* _Power Imbalance_: When a third party")
    # the list is loose (blank lines between items), so the item keeps its <p>
    assert item.html.startswith("<ul>\n<li>\n<p><em>Power Imbalance</em>: When a third party")
    assert item.html.endswith("</p>\n</li>\n</ul>\n")


def test_kramdown_documents_split_without_markers() -> None:
    for path in sorted((CORPORA / "ietf").glob("*/draft-*.md")):
        blocks = split_blocks(path.read_text(encoding="utf-8"))
        assert len(blocks) > 80, path
        for block in blocks:
            assert not re.search(r"^ {0,3}\{::?.*\}\s*$", block.source, flags=re.MULTILINE)
            assert not re.search(r"^--- \w+", block.source, flags=re.MULTILINE)


def test_privacy_partitioning_diagrams_are_code_blocks() -> None:
    path = CORPORA / "ietf" / "rfc9614-privacy-partitioning" / "draft-iab-privacy-partitioning.md"
    blocks = split_blocks(path.read_text(encoding="utf-8"))
    code = [block for block in blocks if block.kind == "code"]
    assert len(code) == 8
    assert code[0].text.startswith("+-----")
    assert code[0].html.startswith('<pre><code class="language-aasvg">+-----')
    assert all("diagram-" not in block.text for block in blocks)  # the {: #diagram-…} IALs


def test_quotes_are_single_blocks() -> None:
    path = CORPORA / "ietf" / "rfc8890-for-the-users" / "draft-iab-for-the-users.md"
    quotes = [b for b in split_blocks(path.read_text(encoding="utf-8")) if b.kind == "quote"]
    assert len(quotes) == 2
    assert quotes[0].text.startswith("The IETF community wants the Internet to succeed")
    blocks = split_blocks("> first\n>\n> second\n\nafter\n")
    assert [(b.kind, b.text) for b in blocks] == [
        ("quote", "first\nsecond"),
        ("paragraph", "after"),
    ]
    assert blocks[0].html == "<blockquote>\n<p>first</p>\n<p>second</p>\n</blockquote>\n"


# --- splitting edge cases ------------------------------------------------------------


def test_table_rows_are_blocks_with_th_for_the_header() -> None:
    source = "| Name | Role |\n|---|:---:|\n| *Ann* | chair |\n| Bob | `editor` |\n"
    blocks = split_blocks(source)
    assert [(b.kind, b.text, b.source) for b in blocks] == [
        ("table_row", "Name | Role", "| Name | Role |"),
        ("table_row", "Ann | chair", "| *Ann* | chair |"),
        ("table_row", "Bob | editor", "| Bob | `editor` |"),
    ]
    assert blocks[0].html == (
        '<table class="row">\n<tr>\n<th>Name</th>\n'
        '<th style="text-align:center">Role</th>\n</tr>\n</table>\n'
    )
    assert "<td><em>Ann</em></td>" in blocks[1].html
    assert "<th" not in blocks[1].html
    assert "<td" not in blocks[0].html


def test_list_items_keep_their_number_and_nested_lists() -> None:
    source = "3. three\n   - nested a\n   - nested b\n4. four\n\n- bullet\n"
    blocks = split_blocks(source)
    assert [(b.kind, b.text) for b in blocks] == [
        ("list_item", "three\nnested a\nnested b"),
        ("list_item", "four"),
        ("list_item", "bullet"),
    ]
    assert blocks[0].source == "3. three\n   - nested a\n   - nested b"
    assert blocks[0].html.startswith('<ol start="3">\n<li>three\n<ul>\n<li>nested a</li>')
    assert blocks[1].html == '<ol start="4">\n<li>four</li>\n</ol>\n'
    assert blocks[2].html == "<ul>\n<li>bullet</li>\n</ul>\n"


def test_kramdown_markers_are_dropped_but_not_inside_code() -> None:
    source = (
        "--- abstract\n\nAbstract text.\n\n--- middle\n\n{::boilerplate bcp14-tagged}\n\n"
        "# Intro {#intro}\n\nBody.\n{: #body-para}\n\n~~~\n{: kept}\n--- back\n~~~\n"
        "\n--- back\n\n--- note_Note_to_Readers\n\nThe end.\n"
    )
    blocks = split_blocks(source)
    assert [(b.kind, b.text) for b in blocks] == [
        ("paragraph", "Abstract text."),
        ("heading", "Intro"),
        ("paragraph", "Body."),
        ("code", "{: kept}\n--- back"),
        ("paragraph", "The end."),
    ]


def test_front_matter_and_empty_blocks_are_skipped() -> None:
    source = "---\ntitle: T\n---\n\n#\n\n-\n\n***\n\n```\n```\n\nReal text.\n"
    assert [(b.kind, b.text) for b in split_blocks(source)] == [("paragraph", "Real text.")]


def test_reference_links_resolve_in_standalone_blocks() -> None:
    blocks = split_blocks("See [the IETF][ietf].\n\n[ietf]: https://www.ietf.org/\n")
    assert [b.html for b in blocks] == [
        '<p>See <a href="https://www.ietf.org/" rel="nofollow noopener">the IETF</a>.</p>\n'
    ]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_block_html_never_executable(payload: str) -> None:
    source = (
        f"# {payload}\n\n{payload}\n\n- {payload}\n\n> {payload}\n\n"
        f"| h {payload} |\n|---|\n| {payload} |\n\n```\n{payload}\n```\n"
    )
    blocks = split_blocks(source)
    assert [b.kind for b in blocks] == [
        "heading",
        "paragraph",
        "list_item",
        "quote",
        "table_row",
        "table_row",
        "code",
    ]
    for block in blocks:
        assert unsafe_markup(block.html) == [], block.html


def test_windows_line_endings() -> None:
    blocks = split_blocks("# T\r\n\r\nline one\r\nline two\r\n")
    assert [(b.kind, b.source, b.text) for b in blocks] == [
        ("heading", "# T", "T"),
        ("paragraph", "line one\nline two", "line one line two"),
    ]


# --- keys --------------------------------------------------------------------------


def test_new_paragraph_key_format() -> None:
    keys = {new_paragraph_key() for _ in range(200)}
    assert len(keys) == 200
    assert all(re.fullmatch(r"[a-z0-9]{8}", key) for key in keys)


def test_first_version_gets_all_new_keys() -> None:
    blocks = split_blocks(centralization_draft(0))
    keyed = assign_keys([], blocks, _counter_keys())
    assert [item.key for item in keyed[:3]] == ["k0000000", "k0000001", "k0000002"]
    assert {item.change for item in keyed} == {"new"}
    assert all(item.previous_key is None for item in keyed)
    assert [item.block for item in keyed] == blocks


def test_identical_version_keeps_every_key() -> None:
    blocks = split_blocks(centralization_draft(5))
    first = assign_keys([], blocks, new_paragraph_key)
    again = assign_keys(_pairs(first), blocks, _counter_keys())
    assert [item.key for item in again] == [item.key for item in first]
    assert {item.change for item in again} == {"unchanged"}
    assert removed_keys(_pairs(first), again) == []


@pytest.fixture(scope="module")
def draft00_01() -> tuple[list[KeyedBlock], list[KeyedBlock]]:
    old = assign_keys([], split_blocks(centralization_draft(0)), _counter_keys("a"))
    new = assign_keys(_pairs(old), split_blocks(centralization_draft(1)), _counter_keys("b"))
    return old, new


def test_draft00_to_01_most_blocks_keep_their_keys(
    draft00_01: tuple[list[KeyedBlock], list[KeyedBlock]],
) -> None:
    old, new = draft00_01
    changes = Counter(item.change for item in new)
    assert len(old) == 120
    assert len(new) == 121
    assert changes["unchanged"] + changes["edited"] > 0.6 * len(new)
    assert changes["unchanged"] >= 40
    assert changes["edited"] >= 35
    assert len({item.key for item in new}) == len(new)
    old_texts = dict(_pairs(old))
    for item in new:
        if item.change == "unchanged":
            assert old_texts[item.key] == item.block.text
        elif item.change == "edited":
            old_words, new_words = old_texts[item.key].split(), item.block.text.split()
            assert difflib.SequenceMatcher(None, old_words, new_words).ratio() >= 0.6
            assert item.previous_key == item.key
        else:
            assert item.key.startswith("b")
            assert item.previous_key is None


def test_draft00_to_01_specific_blocks(
    draft00_01: tuple[list[KeyedBlock], list[KeyedBlock]],
) -> None:
    old, new = draft00_01
    edited = _keyed(new, "Engineers who design and standardize Internet protocols")
    assert edited.change == "edited"
    assert edited.key == _keyed(old, "Engineers who design and standardize").key
    assert "eventual" in edited.block.text
    assert _keyed(new, "Introduction").change == "unchanged"
    assert _keyed(new, "Introduction").key == _keyed(old, "Introduction").key
    brand_new = _keyed(new, "Despite being designed and operated as a decentralized network")
    assert brand_new.change == "new"
    assert brand_new.key.startswith("b")
    removed = removed_keys(_pairs(old), new)
    assert _keyed(old, "Avoiding centralization is an important goal").key in removed
    assert _keyed(old, "Notational Conventions").key in removed
    assert set(removed).isdisjoint(item.key for item in new)
    assert removed == [key for key, _text in _pairs(old) if key in set(removed)]


def test_later_revision_13_to_14() -> None:
    old = assign_keys([], split_blocks(centralization_draft(13)), _counter_keys("a"))
    new = assign_keys(_pairs(old), split_blocks(centralization_draft(14)), _counter_keys("b"))
    assert Counter(item.change for item in new) == {"unchanged": 150, "edited": 3}
    thanks = _keyed(new, "Special thanks to Geoff Huston")
    assert thanks.change == "edited"
    assert thanks.key == _keyed(old, "Special thanks to Geoff Huston").key
    assert removed_keys(_pairs(old), new) == []


def test_edited_paragraph_that_moved_keeps_its_key() -> None:
    """In -11 two intro paragraphs swapped places and one of them was edited."""
    old = assign_keys([], split_blocks(centralization_draft(10)), _counter_keys("a"))
    new = assign_keys(_pairs(old), split_blocks(centralization_draft(11)), _counter_keys("b"))
    audience = _keyed(new, "The primary audience for this document")
    assert audience.change == "edited"
    assert audience.key == _keyed(old, "The primary audience for this document").key
    assert _keyed(new, "{{centralization}} defines centralization").change == "unchanged"


def test_keys_survive_all_fifteen_revisions() -> None:
    previous: list[tuple[str, str]] = []
    history: dict[str, set[str]] = {"Introduction": set(), "Security Considerations": set()}
    for revision in range(15):
        keyed = assign_keys(
            previous, split_blocks(centralization_draft(revision)), new_paragraph_key
        )
        assert len({item.key for item in keyed}) == len(keyed)
        for item in keyed:
            if item.block.text in history:
                history[item.block.text].add(item.key)
        previous = _pairs(keyed)
    assert [len(keys) for keys in history.values()] == [1, 1]


def test_duplicate_texts_use_each_previous_key_once() -> None:
    previous = [("aaaaaaaa", "For example:"), ("bbbbbbbb", "Body."), ("cccccccc", "For example:")]
    blocks = split_blocks("For example:\n\nBody.\n\nFor example:\n\nFor example:\n")
    keyed = assign_keys(previous, blocks, _counter_keys())
    assert [(item.key, item.change) for item in keyed] == [
        ("aaaaaaaa", "unchanged"),
        ("bbbbbbbb", "unchanged"),
        ("cccccccc", "unchanged"),
        ("k0000000", "new"),
    ]


def test_moved_identical_block_keeps_its_key() -> None:
    texts = [f"Paragraph number {n} says something rather different." for n in range(6)]
    previous = [(f"key{n:05d}", text) for n, text in enumerate(texts)]
    reordered = [texts[5], *texts[:5]]
    keyed = assign_keys(previous, split_blocks("\n\n".join(reordered)), _counter_keys())
    assert [item.key for item in keyed] == ["key00005", *[f"key{n:05d}" for n in range(5)]]
    assert {item.change for item in keyed} == {"unchanged"}


def test_rewritten_block_gets_a_new_key_and_old_one_is_removed() -> None:
    previous = [("k1111111", "Intro"), ("k2222222", "The committee meets every Tuesday at noon.")]
    blocks = split_blocks("Intro\n\nFunding comes from membership dues and grants.\n")
    keyed = assign_keys(previous, blocks, _counter_keys())
    assert [(item.key, item.change) for item in keyed] == [
        ("k1111111", "unchanged"),
        ("k0000000", "new"),
    ]
    assert removed_keys(previous, keyed) == ["k2222222"]


def test_new_key_never_reuses_a_previous_key() -> None:
    proposals = iter(["k2222222", "k1111111", "fresh000"])
    previous = [("k1111111", "Kept."), ("k2222222", "Old words entirely unrelated here.")]
    keyed = assign_keys(
        previous, split_blocks("Kept.\n\nSomething else.\n"), lambda: next(proposals)
    )
    assert [item.key for item in keyed] == ["k1111111", "fresh000"]


def test_typical_revision_of_300_blocks_keeps_every_key() -> None:
    documents = sorted((CORPORA / "ietf").glob("*/draft-*.md"))
    blocks = [b for path in documents for b in split_blocks(path.read_text(encoding="utf-8"))]
    old = blocks[:300]
    previous = [(f"k{n:07d}", block.text) for n, block in enumerate(old)]
    edited = [
        Block(b.kind, b.source, b.text.replace(" the ", " a ", 1), b.html) if n % 7 == 0 else b
        for n, b in enumerate(old)
        if n % 23 != 0
    ]
    keyed = assign_keys(previous, edited, new_paragraph_key)
    assert Counter(item.change for item in keyed)["new"] == 0
