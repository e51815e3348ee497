"""Word-level diffs of block texts and of whole versions."""

from __future__ import annotations

import itertools
import random
import re
from collections import Counter

from markupsafe import escape

from consultations.diff import BlockDiff, diff_html, diff_versions, word_diff
from consultations.paragraphs import assign_keys, removed_keys, split_blocks
from tests.corpora import CORPORA, centralization_draft


def _rejoin(segments: list[tuple[str, str]]) -> tuple[str, str]:
    old = "".join(text for op, text in segments if op != "insert")
    new = "".join(text for op, text in segments if op != "delete")
    return old, new


def _assert_well_formed(old: str, new: str) -> None:
    segments = word_diff(old, new)
    assert _rejoin(list(segments)) == (old, new)
    assert all(text for _op, text in segments)
    assert all(a[0] != b[0] for a, b in itertools.pairwise(segments))
    assert {op for op, _text in segments} <= {"equal", "insert", "delete"}


def test_word_diff_example() -> None:
    assert word_diff("The quick brown fox jumps.", "The slow red fox leaps!") == [
        ("equal", "The "),
        ("delete", "quick brown"),
        ("insert", "slow red"),
        ("equal", " fox "),
        ("delete", "jumps."),
        ("insert", "leaps!"),
    ]


def test_word_diff_edge_cases() -> None:
    assert word_diff("", "") == []
    assert word_diff("", "new text") == [("insert", "new text")]
    assert word_diff("old text", "") == [("delete", "old text")]
    assert word_diff("same", "same") == [("equal", "same")]
    assert word_diff("a  b", "a b") == [
        ("equal", "a"),
        ("delete", "  "),
        ("insert", " "),
        ("equal", "b"),
    ]


def test_word_diff_keeps_whitespace_and_newlines() -> None:
    old, new = "line one\n  indented\ttab\n", "line one\n  indented\ttabs\n\nmore"
    _assert_well_formed(old, new)
    assert word_diff(old, new)[-2:] == [("delete", "tab\n"), ("insert", "tabs\n\nmore")]


def test_word_diff_rejoins_every_edited_paragraph_of_the_drafts() -> None:
    """Property: for every lightly edited block across all 15 revisions, segments rejoin."""
    versions = []
    previous: list[tuple[str, str]] = []
    counter = itertools.count()
    for revision in range(15):
        blocks = split_blocks(centralization_draft(revision))
        keyed = assign_keys(previous, blocks, lambda: f"k{next(counter):07d}")
        old_texts = dict(previous)
        versions += [(old_texts[k.key], k.block.text) for k in keyed if k.change == "edited"]
        previous = [(item.key, item.block.text) for item in keyed]
    assert len(versions) > 400
    for old, new in versions:
        _assert_well_formed(old, new)


def test_word_diff_rejoins_random_corpus_paragraph_pairs() -> None:
    """Property: arbitrary (unrelated) paragraphs and their sources rejoin too."""
    documents = sorted((CORPORA / "ietf").glob("*/draft-*.md"))
    blocks = [b for path in documents for b in split_blocks(path.read_text(encoding="utf-8"))]
    rng = random.Random(9518)
    for _ in range(300):
        first, second = rng.sample(blocks, 2)
        _assert_well_formed(first.text, second.text)
        _assert_well_formed(first.source, second.source)


def test_word_diff_marks_only_the_changed_words() -> None:
    old = centralization_draft(13)
    new = centralization_draft(14)
    before = next(line for line in old.splitlines() if line.startswith("Special thanks"))
    after = next(line for line in new.splitlines() if line.startswith("Special thanks"))
    changes = [(op, text) for op, text in word_diff(before, after) if op != "equal"]
    assert changes == [("delete", "comments"), ("insert", "reviews")]


def test_diff_html_escapes_text() -> None:
    html = diff_html("<script>alert(1)</script> & more", "<script>alert(2)</script> & more")
    assert html == "&lt;script&gt;alert(<del>1</del><ins>2</ins>)&lt;/script&gt; &amp; more"


def test_diff_html_only_emits_ins_and_del_tags() -> None:
    old = '<img src=x onerror=alert(1)> "quoted" it\'s'
    new = '<img src=y onerror=alert(2)> "quoted" its'
    html = diff_html(old, new)
    assert set(re.findall(r"</?([a-zA-Z]+)", html)) == {"ins", "del"}
    assert "&lt;img src=" in html
    assert "&#34;quoted&#34;" in html


def test_diff_versions_keeps_document_order() -> None:
    old = [("a", "one"), ("b", "two"), ("c", "three"), ("d", "four")]
    new = [("e", "zero"), ("a", "one"), ("c", "three!"), ("f", "five")]
    assert diff_versions(old, new) == [
        BlockDiff("e", "added", "<ins>zero</ins>"),
        BlockDiff("a", "unchanged", "one"),
        BlockDiff("b", "removed", "<del>two</del>"),
        BlockDiff("c", "changed", "three<ins>!</ins>"),
        BlockDiff("d", "removed", "<del>four</del>"),
        BlockDiff("f", "added", "<ins>five</ins>"),
    ]


def test_diff_versions_removed_first_block_and_escaping() -> None:
    old = [("a", "<b>gone</b>"), ("b", "stays")]
    assert diff_versions(old, [("b", "stays")]) == [
        BlockDiff("a", "removed", "<del>&lt;b&gt;gone&lt;/b&gt;</del>"),
        BlockDiff("b", "unchanged", "stays"),
    ]
    assert diff_versions([], []) == []


def test_diff_versions_of_real_drafts_00_and_01() -> None:
    counter = itertools.count()
    old = assign_keys([], split_blocks(centralization_draft(0)), lambda: f"k{next(counter)}")
    old_pairs = [(item.key, item.block.text) for item in old]
    new = assign_keys(old_pairs, split_blocks(centralization_draft(1)), lambda: f"k{next(counter)}")
    new_pairs = [(item.key, item.block.text) for item in new]
    diffs = diff_versions(old_pairs, new_pairs)
    statuses = Counter(d.status for d in diffs)
    changes = Counter(item.change for item in new)
    assert statuses == {
        "unchanged": changes["unchanged"],
        "changed": changes["edited"],
        "added": changes["new"],
        "removed": len(removed_keys(old_pairs, new)),
    }
    assert [d.key for d in diffs if d.status != "removed"] == [key for key, _ in new_pairs]
    removed = [d.key for d in diffs if d.status == "removed"]
    assert sorted(removed) == sorted(removed_keys(old_pairs, new))  # placed by anchor
    # draft -00 opened with an abstract that -01 replaced: it is shown first, deleted
    assert old_pairs[0][1].startswith("Avoiding centralization is an important goal")
    assert diffs[0] == BlockDiff(
        old_pairs[0][0], "removed", f"<del>{escape(old_pairs[0][1])}</del>"
    )
    assert all("<ins>" in d.html or "<del>" in d.html for d in diffs if d.status == "changed")
