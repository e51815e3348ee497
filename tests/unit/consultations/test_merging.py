"""The three-way merge of a suggestion, on made-up sentences and on the real edits between
revisions of draft-nottingham-avoiding-internet-centralization."""

from __future__ import annotations

import itertools

import pytest

from consultations.merging import merge_suggestion, tokens
from consultations.paragraphs import assign_keys, split_blocks
from tests.corpora import centralization_draft


def test_tokens_join_back_into_the_text() -> None:
    text = "Strong   encryption, for all: (really) — «так».\n"
    assert "".join(tokens(text)) == text
    assert tokens("protected.") == ["protected", "."]


def test_the_editors_added_word_survives_a_suggestion_written_before_it() -> None:
    # The case: version 2 added "strongly"; a suggestion on version 1 adds "by law".
    merged = merge_suggestion(
        "Users must be protected.",
        "Users must be strongly protected.",
        "Users must be protected by law.",
    )
    assert merged.clean
    assert merged.text == "Users must be strongly protected by law."


def test_a_suggestion_on_the_current_text_applies_as_written() -> None:
    merged = merge_suggestion(
        "Keys are escrowed.", "Keys are escrowed.", "Keys are never escrowed."
    )
    assert merged.clean and merged.text == "Keys are never escrowed."


def test_both_changing_the_same_words_is_a_conflict_that_keeps_the_current_side() -> None:
    merged = merge_suggestion(
        "Providers shall retain data for two years.",
        "Providers shall retain data for six months.",
        "Providers shall retain data for one year.",
    )
    assert not merged.clean
    [conflict] = merged.conflicts
    assert (conflict.base, conflict.current, conflict.suggested) == (
        "two years",
        "six months",
        "one year",
    )
    assert merged.text == "Providers shall retain data for six months."


def test_the_same_change_on_both_sides_is_no_conflict() -> None:
    merged = merge_suggestion("A b c.", "A x c.", "A x c.")
    assert merged.clean and merged.text == "A x c."


def test_spacing_is_not_content() -> None:
    merged = merge_suggestion("A  b\nc.", "A b c.", "A b  c d.")
    assert merged.clean and merged.text == "A b c d."


def _edited_pairs(old_revision: int, new_revision: int) -> list[tuple[str, str]]:
    """(old text, new text) of every paragraph the revision edited (its key kept)."""
    keys = itertools.count()
    old = assign_keys(
        [], split_blocks(centralization_draft(old_revision)), lambda: f"k{next(keys)}"
    )
    new = assign_keys(
        [(item.key, item.block.text) for item in old],
        split_blocks(centralization_draft(new_revision)),
        lambda: f"k{next(keys)}",
    )
    before = {item.key: item.block.text for item in old}
    return [(before[item.key], item.block.text) for item in new if item.change == "edited"]


@pytest.fixture(scope="module")
def real_edits() -> list[tuple[str, str]]:
    pairs = _edited_pairs(0, 1) + _edited_pairs(1, 2) + _edited_pairs(2, 3)
    assert len(pairs) >= 40
    return pairs


def test_real_edits_survive_a_suggestion_that_changes_nothing(
    real_edits: list[tuple[str, str]],
) -> None:
    for old, new in real_edits:
        merged = merge_suggestion(old, new, old)
        assert merged.clean and merged.text == " ".join(new.split())


def test_real_edits_applied_as_suggestions_on_unchanged_text(
    real_edits: list[tuple[str, str]],
) -> None:
    for old, new in real_edits:
        merged = merge_suggestion(old, old, new)
        assert merged.clean and merged.text == " ".join(new.split())
        assert merge_suggestion(old, new, new).text == " ".join(new.split())


def test_a_sentence_added_at_the_end_merges_with_real_edits_elsewhere(
    real_edits: list[tuple[str, str]],
) -> None:
    """The editor's real revision and a commenter's added sentence touch different words:
    the merge keeps both in nearly every paragraph, and never loses the editor's words."""
    added = " This applies to every operator."
    clean = 0
    for old, new in real_edits:
        merged = merge_suggestion(old, new, old + added)
        if merged.clean:
            clean += 1
            assert merged.text == " ".join((new + added).split())
        else:
            assert merged.text.startswith(" ".join(new.split())[:20])
    assert clean >= 0.9 * len(real_edits)


def test_a_word_changed_at_the_start_merges_with_real_edits_later_on(
    real_edits: list[tuple[str, str]],
) -> None:
    clean = 0
    for old, new in real_edits:
        first = old.split()[0]
        if first != new.split()[0] or len(old.split()) < 8:
            continue
        merged = merge_suggestion(old, new, "Indeed, " + old)
        clean += merged.clean
        if merged.clean:
            assert merged.text == " ".join(("Indeed, " + new).split())
    assert clean >= 20
