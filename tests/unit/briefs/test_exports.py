"""Exports of a published version: JSON, Markdown, standalone HTML and a real PDF."""

from __future__ import annotations

import io
import json

import pytest
from bs4 import BeautifulSoup
from fpdf import FPDF
from markdown_it import MarkdownIt
from pypdf import PdfReader
from sqlalchemy.orm import Session

from app.urls import app_paths, app_urls
from briefs.dispositions import Decision
from briefs.exports import as_html, as_json, as_markdown, as_pdf, citation_text
from briefs.models import BriefVersion
from briefs.services import BriefService
from briefs.synthesis import SynthesisService
from core.clock import FixedClock
from core.markdown import plain_text
from tests.unit.briefs.conftest import SECRET_NAME, SECRET_ORGANISATION, Consulted

BASE = "https://rt.example"
URLS = app_urls(BASE)
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


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


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
    assert link is not None and link.get_text() == f"[{consulted.chatham.thread_id}]"
    json.dumps(data)  # serialisable as it is


def test_markdown_export_reads_on_its_own(version: BriefVersion, consulted: Consulted) -> None:
    text = as_markdown(version, URLS)
    cited = consulted.chatham.thread_id
    assert text.startswith("# Висновки щодо шифрування\n")
    assert f"{BASE}/briefs/vysnovky/v/1" in text
    assert f"[[{cited}]]({BASE}/consultations/lawful-access/p/" in text
    assert "[[thread:" not in text
    assert f"| [{cited}]({BASE}/consultations/lawful-access/p/" in text
    assert "| Civil society | oppose | Accepted | Merged into §2. |" in text
    assert "| Government | 1 | 1 |" in text


def test_html_export_is_a_standalone_printable_document(version: BriefVersion) -> None:
    document = as_html(version, URLS)
    html = BeautifulSoup(document, "html.parser")
    assert document.startswith("<!doctype html>")
    assert [tag["lang"] for tag in html.select("html")] == ["uk"]
    assert [tag.get_text() for tag in html.select("title, h1")] == ["Висновки щодо шифрування"] * 2
    canonical = html.select("link[rel=canonical]")
    assert [tag["href"] for tag in canonical] == [f"{BASE}/briefs/vysnovky/v/1"]
    assert html.select("script") == []
    assert len(html.select("table")) == 3  # the body's own table and the two annex tables


def test_pdf_is_a_real_pdf_with_ukrainian_text(version: BriefVersion) -> None:
    data = as_pdf(version, URLS)
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata is not None and reader.metadata.title == "Висновки щодо шифрування"
    text = " ".join(pdf_text(data).split())
    assert "Висновки щодо шифрування" in text
    assert UKRAINIAN in text
    assert "Accepted" in text and "Merged into §2." in text


def test_no_export_names_a_chatham_house_commenter(version: BriefVersion) -> None:
    outputs = [
        json.dumps(as_json(version, app_paths()), ensure_ascii=False),
        as_markdown(version, URLS),
        as_html(version, URLS),
        pdf_text(as_pdf(version, URLS)),
    ]
    for output in outputs:
        assert SECRET_NAME not in output
        assert SECRET_ORGANISATION not in output


def test_pdf_never_fetches_images_and_survives_odd_markup(
    session: Session, clock: FixedClock, consulted: Consulted
) -> None:
    service = BriefService(session, clock=clock)
    body = (
        "![a map](http://127.0.0.1:9/map.png)\n\n- a\n  - b\n    - c\n\n"
        "| x |\n|---|\n| <b>raw</b> [link](https://example.org) ~~gone~~ |\n\n"
        "```\ncode ї\n```\n\n> > nested quote\n\n***\n"
    )
    service.create(consulted.editor, "odd", "Odd", "en", [], body)
    text = pdf_text(as_pdf(service.publish("odd", consulted.editor, app_paths()), app_urls("")))
    assert "a map" in text and "code ї" in text and "nested quote" in text


def test_citation_text_names_the_version_permalink(version: BriefVersion) -> None:
    assert citation_text(version, URLS) == (
        "“Висновки щодо шифрування”, version 1, 2026-11-02. "
        f"Roundtable policy brief. {BASE}/briefs/vysnovky/v/1"
    )


def test_pdf_falls_back_to_plain_text_when_layout_fails(
    version: BriefVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise NotImplementedError("a layout fpdf2 cannot do")

    monkeypatch.setattr(FPDF, "write_html", refuse)
    text = " ".join(pdf_text(as_pdf(version, URLS)).split())
    assert UKRAINIAN in text and "Merged into §2." in text


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
    text = as_markdown(service.publish("hostile", consulted.editor, app_paths()), URLS)
    viewer = MarkdownIt("commonmark", {"html": True}).enable("table")  # as a .md viewer would
    page = BeautifulSoup(viewer.render(text), "html.parser")
    assert page.find("img") is None
    assert not page.select("h1 *, td:not(:first-child) *, p em *"), "none of the text's own"
    assert not [a for a in page.find_all("a") if "javascript" in str(a.get("href"))]
    heading = page.find("h1")
    assert heading is not None and heading.get_text() == hostile
    cells = [td.get_text() for td in page.select("table td")]
    assert plain_text(hostile) in cells, "the rationale as plain text, one cell, pipe and all"
