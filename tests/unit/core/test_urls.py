"""Query strings built for links carry what people typed: every value is percent-encoded."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from core.urls import with_query


def test_values_are_encoded_so_they_cannot_add_parameters_or_a_fragment() -> None:
    typed = "a&next=//evil.example #x?é+"
    url = with_query("/search", q=typed, page=2, topic=None)
    assert url == "/search?q=a%26next%3D//evil.example%20%23x%3F%C3%A9%2B&page=2"
    assert parse_qs(urlsplit(url).query) == {"q": [typed], "page": ["2"]}


def test_a_path_in_next_reads_as_before_and_no_values_means_no_query() -> None:
    assert with_query("/signin", next="/consultations/x/p/k") == "/signin?next=/consultations/x/p/k"
    assert with_query("/briefs", topic=None) == "/briefs"
