"""Citation syntax ``[[thread:42]]``: finding, rendering as links, and the Markdown export."""

from __future__ import annotations

from bs4 import BeautifulSoup

from app.urls import app_paths, app_urls
from briefs.citations import cited_thread_ids, link_citations, render_brief
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
    assert link.get_text() == "[42]"
    assert link["href"] == "/consultations/lawful-access/p/k3y4abcd#t-42"
    assert html.get_text() == "As argued [42], keys stay private.\n"


def test_absolute_links_for_documents_read_off_site() -> None:
    html = render_brief("[[thread:1]]", {1: thread(1)}, app_urls("https://rt.example"))
    assert 'href="https://rt.example/consultations/lawful-access/p/k3y4abcd#t-1"' in html


def test_unknown_citation_is_marked_not_linked() -> None:
    html = BeautifulSoup(render_brief("See [[thread:99]].", {}, app_paths()), "html.parser")
    assert html.select("a") == []
    assert "[99?]" in html.get_text()


def test_brief_html_stays_safe() -> None:
    markdown = "<script>alert(1)</script> [x](javascript:alert(1)) [[thread:1]]"
    html = render_brief(markdown, {1: thread(1)}, app_paths())
    assert "<script>" not in html
    hrefs = [str(a.get("href", "")) for a in BeautifulSoup(html, "html.parser").select("a")]
    assert hrefs == ["/consultations/lawful-access/p/k3y4abcd#t-1"]  # the unsafe link is text


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
        "See [[3]](https://rt.example/consultations/lawful-access/p/k3y4abcd#t-3) and [[thread:4]]."
    )
