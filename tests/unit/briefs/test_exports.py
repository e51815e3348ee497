"""Exports of a published version made in the domain: JSON, Markdown and its citation (text,
BibTeX, RIS, CSL-JSON). The printable HTML and the PDF are tested over HTTP
(tests/functional/test_brief_documents.py): the web layer renders them in the brief's language."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt
from sqlalchemy.orm import Session

from app.urls import app_paths, app_urls
from briefs.dispositions import Decision
from briefs.exports import as_json, as_markdown, citation
from briefs.models import BriefVersion
from briefs.services import BriefService
from briefs.synthesis import SynthesisService
from core.clock import FixedClock
from core.markdown import plain_text
from tests.unit.briefs.conftest import SECRET_NAME, SECRET_ORGANISATION, Consulted

BASE = "https://rt.example"
URLS = app_urls(BASE)
ORGANISATION = "Internet Society Ukraine Chapter"
UKRAINIAN = "Шифрування захищає користувачів; послаблення шифруванням неприпустиме."


@pytest.fixture
def version(session: Session, clock: FixedClock, consulted: Consulted) -> BriefVersion:
    """A Ukrainian brief citing the Chatham House thread, whose suggestion was accepted."""
    cited = consulted.chatham.thread_id
    SynthesisService(session, clock=clock).decide(
        cited, editor=consulted.editor, decision=Decision.of("accepted", "Merged into §2.")
    )
    service = BriefService(session, clock=clock)
    body = (
        f"## Висновки\n\n{UKRAINIAN} [[thread:{cited}]]\n\n"
        "| Група | Позиція |\n|---|---|\n| **A** | `b` |"
    )
    service.create(
        consulted.editor,
        "vysnovky",
        "Висновки щодо шифрування",
        "uk",
        ["encryption"],
        body,
        consulted.consultation.slug,
    )
    return service.publish("vysnovky", consulted.editor, app_paths())


def test_json_has_the_api_shape(version: BriefVersion, consulted: Consulted) -> None:
    data = as_json(version, app_paths())
    assert set(data) == {
        "slug",
        "title",
        "version",
        "published_at",
        "language",
        "topics",
        "body_markdown",
        "html",
        "citations",
        "annex",
    }
    assert (data["slug"], data["version"], data["language"]) == ("vysnovky", 1, "uk")
    assert data["topics"] == ["encryption"]
    assert data["citations"] == [consulted.chatham.thread_id]
    assert version.published_at is not None
    assert data["published_at"] == version.published_at.isoformat()
    assert set(data["annex"]) == {"dispositions", "participation"}
    link = BeautifulSoup(data["html"], "html.parser").select_one("a.citation")
    assert link is not None and link.get_text() == "[1]"
    assert str(link["href"]).endswith(f"#t-{consulted.chatham.thread_id}")
    json.dumps(data)  # serialisable as it is


def test_markdown_export_reads_on_its_own(version: BriefVersion, consulted: Consulted) -> None:
    text = as_markdown(version, URLS, ORGANISATION)
    cited = consulted.chatham.thread_id
    assert text.startswith("# Висновки щодо шифрування\n")
    assert f"{BASE}/briefs/vysnovky/v/1" in text
    assert f"[[1]]({BASE}/consultations/lawful-access/p/" in text
    assert "[[thread:" not in text
    assert f"| [{cited}]({BASE}/consultations/lawful-access/p/" in text
    assert "| Civil society | oppose | Accepted | Merged into §2. |" in text
    assert "| Government | 1 | 1 |" in text


def test_no_export_names_a_chatham_house_commenter(version: BriefVersion) -> None:
    cite = citation(version, URLS, ORGANISATION)
    outputs = [
        json.dumps(as_json(version, app_paths()), ensure_ascii=False),
        as_markdown(version, URLS, ORGANISATION),
        cite.bibtex(),
        cite.ris(),
        json.dumps(cite.csl_json(), ensure_ascii=False),
    ]
    for output in outputs:
        assert SECRET_NAME not in output
        assert SECRET_ORGANISATION not in output


def test_citation_names_the_organisation_version_date_and_permalink(
    version: BriefVersion,
) -> None:
    assert citation(version, URLS, ORGANISATION).text() == (
        f"{ORGANISATION}. “Висновки щодо шифрування”. Version 1, 2026-11-02. "
        f"{BASE}/briefs/vysnovky/v/1"
    )


def test_bibtex_ris_and_csl_json_of_a_version(version: BriefVersion) -> None:
    cite = citation(version, URLS, ORGANISATION)
    bibtex = cite.bibtex()
    assert bibtex.startswith("@techreport{vysnovky-v1,\n")
    assert f"author = {{{{{ORGANISATION}}}}}," in bibtex, "one corporate author, not four"
    assert "title = {{Висновки щодо шифрування}}," in bibtex
    assert f"url = {{{BASE}/briefs/vysnovky/v/1}}," in bibtex
    assert "year = {2026}," in bibtex and "language = {ukrainian}," in bibtex
    ris = cite.ris().split("\r\n")
    assert ris[0] == "TY  - RPRT" and ris[-2:] == ["ER  - ", ""]
    assert f"UR  - {BASE}/briefs/vysnovky/v/1" in ris and "DA  - 2026/11/02" in ris
    assert f"AU  - {ORGANISATION}" in ris and "ET  - Version 1" in ris
    [item] = cite.csl_json()
    assert item["type"] == "report" and item["author"] == [{"literal": ORGANISATION}]
    assert item["issued"] == {"date-parts": [[2026, 11, 2]]}
    assert (item["title"], item["version"], item["language"]) == (
        "Висновки щодо шифрування",
        "1",
        "uk",
    )


def test_a_hostile_title_cannot_leave_its_bibtex_or_ris_field(
    session: Session, clock: FixedClock, consulted: Consulted
) -> None:
    hostile = "} @misc{evil, title={x}\nER  - \nTY  - JOUR \\input{/etc/passwd} 100% & #1_~^$"
    service = BriefService(session, clock=clock)
    service.create(consulted.editor, "evil", hostile, "en", [], "Text.")
    cite = citation(service.publish("evil", consulted.editor, app_paths()), URLS, hostile)
    bibtex = cite.bibtex()
    lines = bibtex.splitlines()
    assert [line for line in lines if line.lstrip().startswith("@")] == lines[:1]
    assert "\\input" not in bibtex.replace("\\textbackslash{}", "")
    body = bibtex.split("\n", 1)[1].rsplit("}", 1)[0]
    depth = 0
    for char, before in zip(body, " " + body, strict=False):
        if before != "\\":
            depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0, "a field closed early"
    assert depth == 0
    ris = cite.ris().split("\r\n")
    assert [line for line in ris if line.startswith(("TY", "ER"))] == ["TY  - RPRT", "ER  - "]
    assert json.loads(json.dumps(cite.csl_json()))[0]["title"] == hostile


def test_markdown_export_shows_typed_text_as_text(
    session: Session, clock: FixedClock, consulted: Consulted
) -> None:
    """A Markdown viewer renders raw HTML and syntax: the title and the rationale, which
    people typed, must read as typed there, with no element or link of their own."""
    hostile = '<img src=x onerror="alert(1)"> *loud* [click](javascript:alert(1)) | x'
    cited = consulted.chatham.thread_id
    SynthesisService(session, clock=clock).decide(
        cited, editor=consulted.editor, decision=Decision.of("noted", hostile)
    )
    service = BriefService(session, clock=clock)
    body = f"Cites [[thread:{cited}]]."
    service.create(
        consulted.editor, "hostile", hostile, "en", [], body, consulted.consultation.slug
    )
    text = as_markdown(
        service.publish("hostile", consulted.editor, app_paths()), URLS, ORGANISATION
    )
    viewer = MarkdownIt("commonmark", {"html": True}).enable("table")  # as a .md viewer would
    page = BeautifulSoup(viewer.render(text), "html.parser")
    assert page.find("img") is None
    assert not page.select("h1 *, td:not(:first-child) *, p em *"), "none of the text's own"
    assert not [a for a in page.find_all("a") if "javascript" in str(a.get("href"))]
    heading = page.find("h1")
    assert heading is not None and heading.get_text() == hostile
    cells = [td.get_text() for td in page.select("table td")]
    assert plain_text(hostile) in cells, "the rationale as plain text, one cell, pipe and all"
