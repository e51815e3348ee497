"""Re-finding a quoted span in a later version of its paragraph (consultations/quotes.py)."""

from __future__ import annotations

import pytest

from consultations.quotes import locate, normalize, occurs_in

EN_V1 = (
    "Providers of electronic communications must keep traffic data for twelve months "
    "and then delete it, unless a court orders otherwise."
)
UK_V1 = (
    "Постачальники електронних комунікаційних послуг зберігають дані про трафік "
    "протягом дванадцяти місяців, після чого знищують їх, якщо суд не ухвалив іншого."
)


def found(quote: str, written: str, current: str) -> str | None:
    span = locate(quote, written, current)
    return current[span[0] : span[1]] if span else None


@pytest.mark.parametrize("text", [EN_V1, UK_V1])
def test_an_unchanged_paragraph_has_the_quote_where_it_was(text: str) -> None:
    quote = text.split(", ")[0][-30:]
    span = locate(quote, text, text)
    assert span == (text.index(quote), text.index(quote) + len(quote))


@pytest.mark.parametrize(
    ("quote", "current", "expected"),
    [
        (
            "keep traffic data for twelve months",
            "Under this Law, providers of electronic communications must keep traffic data "
            "for twelve months and then delete it, unless a court orders otherwise.",
            "keep traffic data for twelve months",
        ),
        (
            "дані про трафік протягом дванадцяти місяців",
            "Відповідно до цього Закону постачальники послуг зберігають дані про трафік "
            "протягом дванадцяти місяців, після чого знищують їх.",
            "дані про трафік протягом дванадцяти місяців",
        ),
    ],
)
def test_words_moved_by_an_edit_elsewhere_are_found_exactly(
    quote: str, current: str, expected: str
) -> None:
    written = EN_V1 if quote.isascii() else UK_V1
    assert found(quote, written, current) == expected


@pytest.mark.parametrize(
    ("written", "quote", "current", "expected"),
    [
        (
            EN_V1,
            "must keep traffic data for twelve months",
            "Providers of electronic communications must keep the traffic data for 12 months "
            "and then delete it, unless a court orders otherwise.",
            "must keep the traffic data for 12 months",
        ),
        (
            UK_V1,
            "зберігають дані про трафік протягом дванадцяти місяців",
            "Постачальники електронних комунікаційних послуг зберігають дані щодо трафіку "
            "протягом дванадцяти місяців, після чого знищують їх, якщо суд не ухвалив іншого.",
            "зберігають дані щодо трафіку протягом дванадцяти місяців",
        ),
    ],
)
def test_lightly_reworded_words_are_found_fuzzily_as_whole_words(
    written: str, quote: str, current: str, expected: str
) -> None:
    assert found(quote, written, current) == expected


def test_of_several_occurrences_the_one_nearest_the_old_place_is_chosen() -> None:
    written = "Operators decide how. In every case, data shall be kept. Courts decide why."
    quote = "data shall be kept"
    # The new version adds the same words at the start: the quote is still the later ones.
    current = "In short, data shall be kept. " + written
    span = locate(quote, written, current)
    assert span is not None
    assert span[0] == current.rindex(quote)


@pytest.mark.parametrize(
    ("quote", "written", "current"),
    [
        ("twelve months", EN_V1, "Operators shall publish a yearly transparency report."),
        (
            "дані про трафік протягом дванадцяти місяців",
            UK_V1,
            "Регулятор щороку оприлюднює звіт про прозорість ринку.",
        ),
        ("data", "Keep data.", "Keep records."),  # short quotes are only found exactly
        ("", EN_V1, EN_V1),
        ("twelve months", EN_V1, ""),
    ],
)
def test_a_quote_whose_words_are_gone_is_not_found(quote: str, written: str, current: str) -> None:
    assert locate(quote, written, current) is None


def test_quotes_are_compared_with_whitespace_normalized() -> None:
    assert normalize("  keep\n traffic\t data ") == "keep traffic data"
    assert occurs_in("keep\ntraffic  data", EN_V1)
    assert occurs_in("дані  про\nтрафік", UK_V1)
    assert not occurs_in("keep traffic logs", EN_V1)
    assert not occurs_in("   ", EN_V1)


def test_hostile_quotes_are_only_text() -> None:
    quote = '<img src=x onerror="alert(1)">'
    text = f"Markup such as {quote} is quoted as text."
    assert found(quote, text, text) == quote
    assert locate(quote, text, "Markup such as this is gone.") is None
