"""URL-encoded forms decoded as the standard library decodes them, within the form limits,
and fast: python-multipart and `parse_qsl` take seconds over megabytes of percent-escapes."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest

from app.forms import MAX_FIELD_BYTES, MAX_FIELDS, FormTooLarge, UnreadableForm, parse_urlencoded

BODIES = [
    "",
    "a=1",
    "a=&b",  # blank values, with and without `=`
    "a=1&&b=2&",  # empty pairs
    "name=Olena+K.&q=a%2Bb",  # `+` a space, `%2B` a plus
    "x=%zz%4%+%25&%=%",  # a `%` without two hex digits is itself
    "eq=a=b%3Dc",  # a value may hold `=`
    "amp=a%26b&semi=a;b",  # `%26` is no separator, and neither is `;`
    "uk=%D0%A8%D0%B8%D1%84%D1%80&emoji=%F0%9F%94%90",
    "nl=line%0Aline%0D%0A&tab=%09",
    "upper=%C3%A9&lower=%c3%a9",
    "soft=%=%0A=%0D%0A",  # quoted-printable's soft line breaks mean nothing here
    "raw=шифр",  # UTF-8 sent unencoded
]


@pytest.mark.parametrize("body", BODIES)
def test_decoded_as_the_standard_library_decodes(body: str) -> None:
    expected = parse_qsl(body, keep_blank_values=True, errors="strict")
    assert parse_urlencoded(body.encode()).multi_items() == expected


def test_a_repeated_name_keeps_every_value_and_get_gives_the_last() -> None:
    form = parse_urlencoded(b"name=first&name=second")
    assert form.getlist("name") == ["first", "second"]
    assert form.get("name") == "second"


@pytest.mark.parametrize("body", [b"name=%FF", b"name=%C3", b"%E2%82=x", b"name=\xff"])
def test_text_that_is_not_utf8_is_unreadable(body: bytes) -> None:
    with pytest.raises(UnreadableForm):
        parse_urlencoded(body)


def test_at_most_1000_fields() -> None:
    fields = [(f"f{i}", "x") for i in range(MAX_FIELDS)]
    assert len(parse_urlencoded(urlencode(fields).encode())) == MAX_FIELDS
    with pytest.raises(FormTooLarge, match="at most 1,000 fields"):
        parse_urlencoded(urlencode([*fields, ("one", "more")]).encode())


def test_a_field_is_limited_to_5_mb_once_decoded() -> None:
    """1,000,000 emoji are 12 MB encoded but 4 MB of text: within the limit."""
    assert parse_urlencoded(b"f=" + b"%F0%9F%94%90" * 1_000_000)["f"] == "\U0001f510" * 1_000_000
    with pytest.raises(FormTooLarge, match="limited to 5 MB"):
        parse_urlencoded(b"f=" + b"x" * MAX_FIELD_BYTES + b"&g=x")


@pytest.mark.parametrize("text", ["\n" * 2_090_000, "x\n\n" * 700_000, "шифрування" * 100_000])
def test_megabytes_of_escapes_are_decoded_exactly(text: str) -> None:
    """How fast is measured by bench/hostile_refusals.py, not here."""
    body = urlencode({"csrftoken": "x", "markdown": text}).encode()
    assert parse_urlencoded(body)["markdown"] == text
