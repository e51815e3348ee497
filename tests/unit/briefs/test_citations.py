"""Citation syntax ``[[thread:42]]``: finding, rendering as links, and the Markdown export."""

from __future__ import annotations

from bs4 import BeautifulSoup

from app.urls import app_paths, app_urls
from briefs.citations import cited_thread_ids, link_citations, references, render_brief
from consultations.models import Consultation, Thread


def thread(thread_id: int, key: str = "k3y4abcd", slug: str = "lawful-access") -> Thread:
    return Thread(id=thread_id, paragraph_key=key, consultation=Consultation(slug=slug))


def test_cited_ids_are_unique_and_in_order_of_first_citation() -> None:
    markdown = "See [[thread:42]] and [[thread:7]].\n\n- again [[thread:42]]\n- *[[thread:9]]*"
    assert cited_thread_ids(markdown) == [42, 7, 9]


def test_citations_in_code_are_documentation_not_citations() -> None:
    markdown = "Write `[[thread:5]]` to cite.\n\n```\n[[thread:6]]\n```\n\nReal: [[thread:8]]"
    assert cited_thread_ids(markdown) == [8]


def test_malformed_citations_are_ignored() -> None:
    assert cited_thread_ids("[[thread:]] [[thread:x]] [thread:3] [[thread: 4]]") == []


def test_citation_renders_as_link_to_the_thread_on_its_paragraph() -> None:
    html = BeautifulSoup(
        render_brief("As argued [[thread:42]], keys stay private.", {42: thread(42)}, app_paths()),
        "html.parser",
    )
    link = html.select_one("a.citation")
    assert link is not None
    assert link.get_text() == "[1]", "numbered in order of citation, not by thread id"
    assert link["href"] == "/consultations/lawful-access/p/k3y4abcd#t-42"
    assert link["id"] == "cite-1", "the reference list links back here"
    assert html.get_text() == "1 As argued [1], keys stay private.\n"


def test_absolute_links_for_documents_read_off_site() -> None:
    html = render_brief("[[thread:1]]", {1: thread(1)}, app_urls("https://rt.example"))
    assert 'href="https://rt.example/consultations/lawful-access/p/k3y4abcd#t-1"' in html


def test_unknown_citation_is_marked_not_linked() -> None:
    html = BeautifulSoup(render_brief("See [[thread:99]].", {}, app_paths()), "html.parser")
    assert html.select("a.citation") == []
    assert "[99?]" in html.get_text()


def test_brief_html_stays_safe() -> None:
    markdown = "<script>alert(1)</script> [x](javascript:alert(1)) [[thread:1]]"
    html = render_brief(markdown, {1: thread(1)}, app_paths())
    assert "<script>" not in html
    hrefs = [str(a.get("href", "")) for a in BeautifulSoup(html, "html.parser").select("a")]
    # the paragraph's own number, then the citation; the unsafe link is text
    assert hrefs == ["#para-1", "/consultations/lawful-access/p/k3y4abcd#t-1"]


def test_several_citations_in_one_text_run_and_a_table() -> None:
    markdown = "[[thread:1]][[thread:2]] end\n\n| a | b |\n|---|---|\n| [[thread:2]] | x |"
    threads = {1: thread(1), 2: thread(2)}
    html = BeautifulSoup(render_brief(markdown, threads, app_paths()), "html.parser")
    assert [a.get_text() for a in html.select("a.citation")] == ["[1]", "[2]", "[2]"]
    assert html.select_one("td a.citation") is not None


def test_markdown_export_turns_citations_into_links() -> None:
    text = link_citations(
        "See [[thread:3]] and [[thread:4]].", {3: thread(3)}, app_urls("https://rt.example")
    )
    assert text == (
        "See [[1]](https://rt.example/consultations/lawful-access/p/k3y4abcd#t-3) and [[thread:4]]."
    )


NUMBERED = (
    "## Scope\n\nIntro [[thread:7]].\n\n- first item [[thread:5]]\n- second item\n\n"
    "> quoted [[thread:9]]\n\nLast paragraph [[thread:5]] and [[thread:7]]."
)


def test_paragraphs_and_top_level_items_are_numbered_and_anchored() -> None:
    threads = {n: thread(n) for n in (5, 7, 9)}
    html = BeautifulSoup(render_brief(NUMBERED, threads, app_paths()), "html.parser")
    numbered = html.select(".para")
    assert [tag["id"] for tag in numbered] == ["para-1", "para-2", "para-3", "para-4"]
    assert [tag.name for tag in numbered] == ["p", "li", "li", "p"], "not heading or quotation"
    assert [a.get_text() for a in html.select("a.para-number")] == ["1", "2", "3", "4"]
    assert [a.get_text() for a in html.select("a.citation")] == ["[1]", "[2]", "[3]", "[2]", "[1]"]
    assert [a.get("id") for a in html.select("a.citation")] == [
        "cite-1",
        "cite-2",
        "cite-3",
        None,
        None,
    ], "only the first citation of each reference is the reference list's way back"


def test_references_name_the_paragraph_that_first_cites_each_thread() -> None:
    found = [(ref.number, ref.thread_id, ref.paragraph) for ref in references(NUMBERED)]
    # the quotation belongs to the paragraph before it (the second item, no. 3)
    assert found == [(1, 7, 1), (2, 5, 2), (3, 9, 3)]
    assert [ref.thread_id for ref in references(NUMBERED)] == cited_thread_ids(NUMBERED)
