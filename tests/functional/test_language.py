"""The interface language, over HTTP: chosen with the language switch (a cookie) or, without
one, from the browser's Accept-Language; Ukrainian pages carry no English interface text."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy.orm import Session

from core.clock import FixedClock
from core.enums import StakeholderGroup
from tests.factories import comment_on, make_user, open_consultation
from tests.functional.conftest import Browser, page

# What the header says in English; none of it may remain in Ukrainian.
ENGLISH_HEADER = ["Consultations", "Briefs", "Search", "Sign in", "Skip to content"]
ENGLISH_HEADER_ATTRIBUTES = ["Main", "Search the archive", "Interface language"]


def header_texts(html: BeautifulSoup) -> tuple[list[str], list[str]]:
    """The visible texts of the header (and skip link), and its labels and placeholders."""
    parts = [html.select_one("a.skip-link"), html.select_one("header.site-header")]
    texts = [text.strip() for part in parts if part for text in part.stripped_strings]
    attributes = [
        str(element[name])
        for part in parts
        if part
        for element in part.find_all(True)
        for name in ("aria-label", "placeholder")
        if element.has_attr(name)
    ]
    return texts, attributes


def test_choosing_ukrainian_translates_the_start_page(browser: Browser) -> None:
    english = page(browser.get("/"))
    assert english.html is not None and english.html["lang"] == "en"
    texts, _ = header_texts(english)
    assert set(ENGLISH_HEADER) <= set(texts)

    response = browser.get("/language/uk?next=/")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert browser.cookies.get("lang") == "uk"

    html = page(browser.get("/"))
    assert html.html is not None and html.html["lang"] == "uk"
    assert "Формуймо інтернет-політику разом" in html.get_text()
    nav = [a.get_text(strip=True) for a in html.select("header.site-header nav a")]
    assert nav == ["Консультації", "Аналітичні записки"]
    texts, attributes = header_texts(html)
    assert not set(texts) & set(ENGLISH_HEADER), texts
    assert not set(attributes) & set(ENGLISH_HEADER_ATTRIBUTES), attributes
    switch = html.select_one(".languages a[hreflang=en]")
    assert switch is not None and switch["href"] == "/language/en?next=/"


def test_switching_back_to_english(browser: Browser) -> None:
    browser.get("/language/uk?next=/")
    browser.get("/language/en?next=/consultations")
    html = page(browser.get("/consultations"))
    assert html.html is not None and html.html["lang"] == "en"
    heading = html.select_one("h1")
    assert heading is not None and heading.get_text() == "Consultations"


@pytest.mark.parametrize("accept", ["uk", "uk-UA,uk;q=0.9,en-US;q=0.8,en;q=0.7"])
def test_accept_language_chooses_ukrainian_without_the_cookie(
    anonymous: Browser, accept: str
) -> None:
    html = page(anonymous.get("/", headers={"Accept-Language": accept}))
    assert "lang" not in anonymous.cookies
    assert html.html is not None and html.html["lang"] == "uk"
    assert "Формуймо інтернет-політику разом" in html.get_text()
    texts, _ = header_texts(html)
    assert not set(texts) & set(ENGLISH_HEADER), texts


def test_the_chosen_language_wins_over_accept_language(browser: Browser) -> None:
    browser.get("/language/en?next=/")
    html = page(browser.get("/", headers={"Accept-Language": "uk"}))
    assert html.html is not None and html.html["lang"] == "en"
    assert "Shape Internet policy together" in html.get_text()


def test_a_consultation_in_ukrainian(browser: Browser, session: Session, clock: FixedClock) -> None:
    """Plurals, statuses, stances and stakeholder groups are translated on real pages."""
    consultation = open_consultation(session, clock, paragraphs=3, slug="kinci-korystuvachi")
    for name in ("Olena", "Taras"):
        author = make_user(session, clock, name=name, group=StakeholderGroup.CIVIL_SOCIETY)
        comment_on(session, clock, consultation, author=author, ordinal=2, stance="oppose")
    session.commit()
    browser.get("/language/uk?next=/")

    draft = page(browser.get("/consultations/kinci-korystuvachi"))
    counts = [a.get_text(" ", strip=True) for a in draft.select(".margin-count")]
    assert counts[0].startswith("0 коментарів")
    assert counts[1].startswith("2 коментарі")
    badge = draft.select_one(".page-header .badge")
    assert badge is not None and badge.get_text() == "Відкрита"

    key = str(draft.select("section.block")[1]["id"]).removeprefix("p-")
    paragraph = page(browser.get(f"/consultations/kinci-korystuvachi/p/{key}"))
    stances = {s.get_text() for s in paragraph.select(".comment .stance")}
    assert stances == {"Заперечую"}
    authors = [a.get_text() for a in paragraph.select(".comment .author")]
    assert authors and all(a.endswith("(Громадянське суспільство)") for a in authors)
    assert "Увійдіть, щоб коментувати" in paragraph.get_text()


def test_error_pages_in_ukrainian(browser: Browser) -> None:
    browser.get("/language/uk?next=/")
    response = browser.get("/no-such-page")
    assert response.status_code == 404
    html = page(response)
    assert "Такої сторінки не існує." in html.get_text()
    assert "Зверніть увагу" in html.get_text()


def test_errors_with_values_are_translated_and_the_values_escaped(browser: Browser) -> None:
    browser.get("/language/uk?next=/")
    response = browser.get("/consultations/<script>nope")
    assert response.status_code == 404
    notice = page(response).select_one(".notice--error")
    assert notice is not None
    assert notice.get_text(strip=True) == "Немає консультації «<script>nope»."
    assert "<script>nope" not in response.text, "the value is escaped"


def test_api_errors_stay_in_english_with_their_values(browser: Browser) -> None:
    browser.get("/language/uk?next=/")
    response = browser.get("/api/v1/consultations/nope")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No consultation called “nope”."
