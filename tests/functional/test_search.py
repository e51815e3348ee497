"""Journey 3 over HTTP: a diplomat searches the archive, refines by facets, and follows
permalinks; the page never fails, whatever is typed into it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from sqlalchemy.orm import Session
from starlette.applications import Starlette

from core.clock import FixedClock
from tests.functional.conftest import Browser, page
from tests.unit.search.builders import (
    SECRET_NAME,
    SECRET_ORGANISATION,
    Archive,
    build_archive,
    consult,
)

HTMX = {"HX-Request": "true"}
ATOM_NS = {"atom": "http://www.w3.org/2005/Atom"}


@pytest.fixture
def archive(session: Session, clock: FixedClock, app: Starlette) -> Archive:
    built = build_archive(session, clock)
    session.commit()
    app.state.worker.index.catch_up(app.state.sessions)
    return built


def hits(html: BeautifulSoup) -> list[Tag]:
    return list(html.select("ol.search-hits > li"))


def one(html: Tag, selector: str) -> Tag:
    found = html.select_one(selector)
    assert found is not None, f"nothing matches {selector}"
    return found


def facet_link(html: BeautifulSoup, facet_text: str) -> str:
    link = next(a for a in html.select("nav.facets a") if facet_text in a.get_text())
    return str(link["href"])


def test_lawful_access_gives_ranked_highlighted_hits_with_permalinks(
    browser: Browser, archive: Archive
) -> None:
    response = browser.get("/search", params={"q": "lawful access"})
    assert response.status_code == 200
    results = hits(page(response))
    assert len(results) == 9
    first = results[0]
    assert str(one(first, "a")["href"]).startswith("/consultations/lawful-access")
    marks = [mark.get_text().lower() for mark in first.select(".snippet mark")]
    assert marks == ["lawful", "access"]
    single_mention = [h for h in results if "end-users" in str(h.select_one("a"))]
    assert results.index(single_mention[0]) == len(results) - 1
    kinds = {badge.get_text() for badge in page(response).select("ol.search-hits .badge")}
    assert kinds == {"Draft paragraph", "Comment", "Policy brief"}


def test_paragraph_hits_are_cited_by_number(browser: Browser, archive: Archive) -> None:
    """A diplomat cites "¶ n" of a draft: the hit says which paragraph it is."""
    html = page(browser.get("/search", params={"q": "transparency", "type": "paragraph"}))
    link = one(hits(html)[0], "a")
    anchor = str(link["href"]).split("#p-")[1]
    draft = page(browser.get(str(link["href"]).split("#")[0]))
    number = list(draft.select("[id^=p-]")).index(one(draft, f"#p-{anchor}")) + 1
    assert link.get_text().endswith(f", ¶\xa0{number}")


def test_htmx_gets_only_the_results_fragment(browser: Browser, archive: Archive) -> None:
    response = browser.get("/search", params={"q": "escrow"}, headers=HTMX)
    assert response.status_code == 200
    html = page(response)
    assert html.select_one("html") is None and html.select_one("form") is None
    assert len(hits(html)) == 1
    assert "HX-Request" in response.headers["Vary"]


def test_the_full_page_searches_as_you_type_and_without_javascript(
    browser: Browser, archive: Archive
) -> None:
    html = page(browser.get("/search", params={"q": "escrow", "type": "comment"}))
    form = html.select_one("form.search-form")
    assert form is not None and form["action"] == "/search" and form["method"] == "get"
    box = form.select_one("input[name=q]")
    assert box is not None and box["value"] == "escrow"
    assert box["hx-get"] == "/search" and box["hx-target"] == "#search-results"
    assert "delay:300ms" in str(box["hx-trigger"]) and box["hx-push-url"] == "true"
    assert html.select_one(f"label[for={box['id']}]") is not None
    assert one(html, "#search-type option[selected]")["value"] == "comment"
    assert html.select_one("#search-results ol.search-hits") is not None
    assert not html.select("script:not([src])") and not html.select("[style]")


def test_facet_links_add_and_remove_filters(browser: Browser, archive: Archive) -> None:
    html = page(browser.get("/search", params={"q": "lawful access"}))
    counts = {a.get_text(" ", strip=True) for a in html.select("nav.facets li")}
    assert "Comment (3)" in counts and "Policy brief (1)" in counts and "Government (1)" in counts

    narrowed_url = facet_link(html, "Policy brief")
    assert parse_qs(urlsplit(narrowed_url).query) == {"q": ["lawful access"], "type": ["brief"]}
    narrowed = page(browser.get(narrowed_url))
    assert [a["href"] for a in (h.select_one("a") for h in hits(narrowed)) if a] == [
        "/briefs/encryption-brief"
    ]
    active = narrowed.select_one("nav.facets a[aria-current=true]")
    assert active is not None and "Remove filter" in active.get_text()
    assert parse_qs(urlsplit(str(active["href"])).query) == {"q": ["lawful access"]}


def test_the_year_facet_filters_by_dates_and_toggles_off(
    browser: Browser, archive: Archive, clock: FixedClock
) -> None:
    year = str(clock.now().year)
    html = page(browser.get("/search", params={"q": "lawful access"}))
    assert f"{year} (9)" in {a.get_text(" ", strip=True) for a in html.select(".facet--year li")}
    by_year = facet_link(html, year)
    assert parse_qs(urlsplit(by_year).query) == {
        "q": ["lawful access"], "from": [f"{year}-01-01"], "to": [f"{year}-12-31"]
    }  # fmt: skip
    narrowed = page(browser.get(by_year))
    assert len(hits(narrowed)) == 9
    active = one(narrowed, ".facet--year a[aria-current=true]")
    assert parse_qs(urlsplit(str(active["href"])).query) == {"q": ["lawful access"]}


def test_filters_combine_as_in_the_diplomat_journey(browser: Browser, archive: Archive) -> None:
    params = {"q": "access", "topic": "encryption", "group": "government", "from": "2026"}
    html = page(browser.get("/search", params=params))
    results = hits(html)
    assert len(results) == 1
    assert one(results[0], ".author").get_text() == "Government"
    none = page(browser.get("/search", params={**params, "to": "2025", "from": "2020"}))
    assert not hits(none) and "Nothing found" in none.get_text()


def test_a_chatham_house_comment_never_shows_its_author(browser: Browser, archive: Archive) -> None:
    for url in ("/search?q=escrow", "/search?q=escrow&group=government"):
        text = browser.get(url).text
        assert "escrow" in text
        assert SECRET_NAME not in text and SECRET_ORGANISATION not in text


def test_comment_text_is_escaped_in_snippets(browser: Browser, archive: Archive) -> None:
    response = browser.get("/search", params={"q": "escrow"})
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;alert" in response.text


def test_ukrainian_query_finds_inflected_forms(browser: Browser, archive: Archive) -> None:
    html = page(browser.get("/search", params={"q": "шифрування", "lang": "uk"}))
    marked = {mark.get_text() for mark in html.select(".snippet mark")}
    assert "шифруванням" in marked and "шифрування" in marked
    assert all(one(h, "a")["lang"] == "uk" for h in hits(html))


def test_a_misspelling_offers_a_correction(browser: Browser, archive: Archive) -> None:
    html = page(browser.get("/search", params={"q": "jurnalists"}))
    suggestion = html.select_one(".search-suggestion a")
    assert suggestion is not None and suggestion.get_text() == "journalists"
    assert page(browser.get(str(suggestion["href"]))).select("ol.search-hits > li")


def test_an_empty_search_shows_examples(browser: Browser, archive: Archive) -> None:
    html = page(browser.get("/search"))
    examples = [a.get_text() for a in html.select(".search-empty a")]
    assert "lawful access" in examples and "шифрування" in examples
    assert not hits(html)


def test_results_are_paginated(
    browser: Browser, session: Session, clock: FixedClock, app: Starlette, archive: Archive
) -> None:
    paragraphs = [f"Numbered paragraph {n} about peering agreements." for n in range(1, 26)]
    consult(session, clock, archive.editor, slug="peering", title="Peering", paragraphs=paragraphs)
    session.commit()
    app.state.worker.index.catch_up(app.state.sessions)
    first = page(browser.get("/search", params={"q": "peering"}))
    assert len(hits(first)) == 10 and "25 results" in first.get_text()
    second = page(browser.get(str(one(first, "nav.pagination a[rel=next]")["href"])))
    third = page(browser.get(str(one(second, "nav.pagination a[rel=next]")["href"])))
    assert len(hits(third)) == 5 and third.select_one("nav.pagination a[rel=next]") is None
    past = page(browser.get("/search", params={"q": "peering", "page": "9"}))
    assert not hits(past) and "past the last result" in past.get_text()


def test_before_the_first_catch_up_the_page_says_so(browser: Browser) -> None:
    response = browser.get("/search", params={"q": "anything"})
    assert response.status_code == 200
    assert "being built" in response.text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": '"unbalanced'}, "quotation mark was not closed"),
        ({"q": "AND"}, "need words on both sides"),
        ({"q": "*"}, "needs at least two letters"),
        ({"q": "OR OR NOT"}, "Type one or more words"),
        ({"q": "(((("}, "Type one or more words"),
        ({"q": "encryption " * 1024}, "shortened"),
        ({"q": "lawful", "page": "abc"}, "invalid page number"),
        ({"q": "lawful", "page": "-3"}, "invalid page number"),
        ({"q": "lawful", "from": "20x4"}, "not a year"),
        ({"q": "lawful", "from": "2027", "to": "2020"}, "swapped"),
        ({"q": "lawful", "type": "<script>"}, "unknown result type"),
        ({"q": "lawful", "group": "aliens"}, "unknown stakeholder group"),
        ({"q": "lawful", "sort": "random"}, "unknown sort order"),
        ({"q": "lawful", "topic": "../../etc"}, "invalid topic"),
        ({"q": "lawful", "lang": "xx"}, "unknown language"),
    ],
)
def test_malformed_input_is_explained_never_an_error(
    browser: Browser, archive: Archive, params: dict[str, str], message: str
) -> None:
    for headers in ({}, HTMX):
        response = browser.get("/search", params=params, headers=headers)
        assert response.status_code == 200
        notes = " ".join(p.get_text() for p in page(response).select(".notice"))
        assert message in notes
        assert "<script>" not in response.text.split("</head>")[-1]


@pytest.mark.parametrize(
    "q",
    [
        "\\",
        ")",
        "title:",
        "a:b:c",
        "[a TO z]",
        "x^",
        "*:*",
        "'",
        "encrypt* AND",
        "?" * 50,
        "\x00",
        "NOT NOT NOT",
        "((a OR b) AND",
        '""',
        "a" * 10_240,
    ],
)
def test_odd_queries_never_fail(browser: Browser, archive: Archive, q: str) -> None:
    assert browser.get("/search", params={"q": q}).status_code == 200


# -- subscribing to a search ---------------------------------------------------------------


def feed_of(browser: Browser, **params: str) -> ET.Element:
    response = browser.get("/search.atom", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 (our own feed, not untrusted XML)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    return root


def entries(feed: ET.Element) -> list[dict[str, str]]:
    found = []
    for entry in feed.findall("atom:entry", ATOM_NS):
        link = entry.find("atom:link", ATOM_NS)  # rel="alternate" is Atom's default
        found.append(
            {
                "id": entry.findtext("atom:id", "", ATOM_NS),
                "title": entry.findtext("atom:title", "", ATOM_NS),
                "summary": entry.findtext("atom:summary", "", ATOM_NS),
                "updated": entry.findtext("atom:updated", "", ATOM_NS),
                "link": link.get("href", "") if link is not None else "",
            }
        )
    return found


def test_a_search_is_a_valid_atom_feed_of_permalinks_newest_first(
    browser: Browser, archive: Archive
) -> None:
    feed = feed_of(browser, q="lawful access")
    assert feed.findtext("atom:title", "", ATOM_NS) == "Roundtable search: “lawful access”"
    assert feed.findtext("atom:updated", "", ATOM_NS)
    self_link = feed.find("atom:link[@rel='self']", ATOM_NS)
    assert self_link is not None
    assert self_link.get("href") == "http://testserver/search.atom?q=lawful+access"
    found = entries(feed)
    page_urls = [
        str(one(h, "a")["href"]) for h in hits(page(browser.get("/search?q=lawful+access")))
    ]
    assert {entry["link"] for entry in found} == {f"http://testserver{url}" for url in page_urls}
    assert all(entry["id"] == entry["link"] and entry["title"] for entry in found)
    dates = [entry["updated"] for entry in found]
    assert dates == sorted(dates, reverse=True)
    assert all("<mark>" not in entry["summary"] for entry in found)
    assert any("Lawful access" in entry["summary"] for entry in found)


def test_the_feed_honours_the_filters(browser: Browser, archive: Archive) -> None:
    only_briefs = entries(feed_of(browser, q="lawful access", type="brief"))
    assert [entry["link"] for entry in only_briefs] == ["http://testserver/briefs/encryption-brief"]
    ukrainian = entries(feed_of(browser, q="шифрування", lang="uk"))
    assert ukrainian and all("kiberbezpeka" in entry["link"] for entry in ukrainian)
    assert not entries(feed_of(browser, q="access", **{"from": "2020", "to": "2021"}))
    assert not entries(feed_of(browser, q="zanzibarian"))  # drafts never reach a feed


def test_the_feed_never_names_a_chatham_house_commenter(browser: Browser, archive: Archive) -> None:
    for params in ({"q": "escrow"}, {"q": "escrow", "group": "government", "type": "comment"}):
        response = browser.get("/search.atom", params=params)
        assert "escrow" in response.text.lower()
        assert SECRET_NAME not in response.text and SECRET_ORGANISATION not in response.text
    found = entries(feed_of(browser, q="escrow", type="comment"))
    assert len(found) == 1 and "<script>" in found[0]["summary"]  # plain text, escaped as XML


def test_the_results_offer_to_subscribe(browser: Browser, archive: Archive) -> None:
    html = page(browser.get("/search", params={"q": "escrow", "type": "comment", "page": "1"}))
    link = one(html, "a[href^='/search.atom']")
    assert parse_qs(urlsplit(str(link["href"])).query) == {"q": ["escrow"], "type": ["comment"]}
    head = one(html, "head link[rel=alternate][href^='/search.atom']")
    assert head["href"] == link["href"] and head["type"] == "application/atom+xml"
    fragment = page(browser.get("/search", params={"q": "escrow"}, headers=HTMX))
    assert fragment.select_one("a[href='/search.atom?q=escrow']") is not None


def test_odd_feed_parameters_never_fail(browser: Browser, archive: Archive) -> None:
    for params in ({}, {"q": "(((("}, {"q": "x", "lang": "xx", "from": "20x4"}, {"q": "\x00"}):
        feed_of(browser, **params)
