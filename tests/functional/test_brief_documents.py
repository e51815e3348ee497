"""The documents a diplomat takes away from a brief, over HTTP: the printable HTML, the PDF
(read back with pdftotext and rasterised with pdftoppm, poppler-utils), and the citation in
text, BibTeX, RIS and CSL-JSON. An English brief made of RFC 9518's prose and a Ukrainian one
made of the Criminal Code of Ukraine's articles; a Ukrainian brief prints Ukrainian labels."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.urls import app_paths
from briefs.dispositions import Decision
from briefs.services import BriefService
from briefs.synthesis import SynthesisService
from core.clock import FixedClock
from tests.corpora import centralization_prose, ukrainian_provisions
from tests.factories import comment_on
from tests.functional.conftest import Browser, page
from tests.unit.briefs.conftest import (
    SECRET_NAME,
    SECRET_ORGANISATION,
    Consulted,
    build_consulted,
    person,
)

ORGANISATION = "Internet Society Ukraine Chapter"
RATIONALE = "**Merged** into paragraph 2; see [the text](https://example.org/text)."


@dataclass
class Briefs:
    consulted: Consulted
    cited: int
    english_title: str
    ukrainian_title: str


@pytest.fixture
def briefs(session: Session, clock: FixedClock) -> Briefs:
    """Two published briefs on one consultation, each citing the Chatham House thread (whose
    rationale has markup) in its second paragraph and the named one in its fourth."""
    consulted = build_consulted(session, clock)
    cited, named = consulted.chatham.thread_id, consulted.named.thread_id
    SynthesisService(session, clock=clock).decide(
        cited, editor=consulted.editor, decision=Decision.of("accepted", RATIONALE)
    )
    service = BriefService(session, clock=clock)
    prose = centralization_prose(6)
    english = [
        "## Findings",
        prose[0],
        f"{prose[1]} [[thread:{cited}]]",
        prose[2],
        f"- {prose[3]} [[thread:{named}]]\n- {prose[4]} [[thread:{cited}]]",
    ]
    english_title = "Centralization and Internet standards: recommendations"
    service.create(
        consulted.editor,
        "centralization",
        english_title,
        "en",
        ["encryption"],
        "\n\n".join(english),
        consulted.consultation.slug,
    )
    service.publish("centralization", consulted.editor, app_paths())
    articles = ukrainian_provisions(4)
    ukrainian = [f"## {articles[0][0]}", articles[0][1], f"{articles[1][1]} [[thread:{cited}]]"]
    ukrainian += [articles[2][1], f"{articles[3][1]} [[thread:{named}]]"]
    ukrainian_title = "Кіберзлочини: рекомендації відділення"
    service.create(
        consulted.editor,
        "kiberzlochyny",
        ukrainian_title,
        "uk",
        ["encryption"],
        "\n\n".join(ukrainian),
        consulted.consultation.slug,
    )
    service.publish("kiberzlochyny", consulted.editor, app_paths())
    session.commit()
    return Briefs(consulted, cited, english_title, ukrainian_title)


def poppler(tool: str, *args: str) -> str:
    """Run a poppler-utils tool (installed by scripts/install-system-packages)."""
    path = shutil.which(tool)
    assert path is not None, f"{tool} is missing: run scripts/install-system-packages"
    # our own arguments: the tool's path and files in the test's directory
    return subprocess.run([path, *args], check=True, capture_output=True, text=True).stdout  # noqa: S603


def pdf_pages(data: bytes, tmp_path: Path) -> list[str]:
    """The text of each page, as pdftotext lays it out."""
    path = tmp_path / "brief.pdf"
    path.write_bytes(data)
    text = poppler("pdftotext", "-layout", str(path), "-")
    return text.split("\f")[:-1]  # a form feed ends every page


def ink_per_page(data: bytes, tmp_path: Path) -> list[float]:
    """The share of dark pixels in the body of each page (between its running header and
    footer), rasterised in grey at 30 dpi."""
    path = tmp_path / "ink.pdf"
    path.write_bytes(data)
    poppler("pdftoppm", "-gray", "-r", "30", str(path), str(tmp_path / "page"))
    shares = []
    for image in sorted(tmp_path.glob("page-*.pgm")):
        raw = image.read_bytes()
        header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", raw)
        assert header is not None, "pdftoppm writes binary PGM"
        width, height = int(header.group(1)), int(header.group(2))
        pixels = raw[header.end() :][width * height // 8 : width * height * 7 // 8]
        shares.append(sum(1 for value in pixels if value < 160) / len(pixels))
    return shares


def one_line(text: str) -> str:
    return " ".join(text.split())


def test_html_export_is_the_printable_document(anonymous: Browser, briefs: Briefs) -> None:
    response = anonymous.get("/briefs/centralization.html")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = page(response)
    [style] = html.select("style")
    digest = base64.b64encode(hashlib.sha256(style.get_text().encode()).digest()).decode()
    policy = response.headers["content-security-policy"]
    assert f"style-src 'sha256-{digest}'" in policy, "its own styles, and nothing else, allowed"
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert html.select("script") == []
    assert html.select_one("html")["lang"] == "en"  # type: ignore[index]
    canonical = html.select_one("link[rel=canonical]")
    assert (
        canonical is not None and canonical["href"] == "http://testserver/briefs/centralization/v/1"
    )
    assert [p["id"] for p in html.select(".brief-body .para")] == [f"para-{n}" for n in range(1, 6)]
    assert [a.get_text() for a in html.select(".brief-body a.citation")] == ["[1]", "[2]", "[1]"]
    references = html.select(".references li")
    assert [li["id"] for li in references] == ["ref-1", "ref-2"]
    assert references[0].select_one("a.backref")["href"] == "#cite-1"  # type: ignore[index]
    assert f"#t-{briefs.cited}" in str(references[0].select("a")[1]["href"])
    assert len(html.select(".annex-section table thead th")) == 3 + 7, "headers to repeat"
    assert html.select_one(".annex-section svg rect") is not None, "the participation chart"
    cell = html.select_one(".dispositions td strong")
    assert cell is not None and cell.get_text() == "Merged", "markup inside a cell is kept"
    assert ORGANISATION in html.select_one(".brand").get_text()  # type: ignore[union-attr]
    assert "max-age=300" in response.headers["cache-control"]
    version = anonymous.get("/briefs/centralization/v/1.html")
    assert "max-age=86400" in version.headers["cache-control"]


def test_english_pdf_has_header_page_numbers_and_paragraph_numbers(
    anonymous: Browser, briefs: Briefs, tmp_path: Path
) -> None:
    response = anonymous.get("/briefs/centralization.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    pages = pdf_pages(response.content, tmp_path)
    count = len(pages)
    assert count >= 2, "the annex starts a (landscape) page of its own"
    for number, text in enumerate(pages, start=1):
        assert re.search(rf"\b{number} ?/ ?{count}\b", text), f"page {number} is numbered"
        assert ORGANISATION in text, "the running header names the organisation"
    assert all(briefs.english_title in text for text in pages[1:]), "and the title, after page 1"
    body = one_line(pages[0])
    assert body.index(" 1 ") < body.index("This document discusses aspects of centralization")
    assert "Annex: what became of every comment" in one_line("".join(pages))
    annex = one_line("".join(pages[1:]))
    assert "Merged into paragraph 2" in annex and "Stakeholder group" in annex
    assert "centralizatio n" not in one_line("".join(pages)), "no word split across lines"
    assert "http://testserver/briefs/centralization/v/1" in pages[0]
    ink = ink_per_page(response.content, tmp_path)
    assert len(ink) == count and all(share > 0.0003 for share in ink), f"blank page: {ink}"


def test_ukrainian_pdf_is_ukrainian_throughout(
    anonymous: Browser, briefs: Briefs, tmp_path: Path
) -> None:
    """Cyrillic text and every label in Ukrainian, whatever language the reader browses in."""
    anonymous.cookies.set("lang", "en")
    response = anonymous.get("/briefs/kiberzlochyny.pdf")
    text = one_line(" ".join(pdf_pages(response.content, tmp_path)))
    assert "Кіберзлочини: рекомендації відділення" in text
    assert "Кримінальний кодекс України має своїм завданням" in text
    assert "Додаток: як враховано кожен коментар" in text
    assert "Група зацікавлених сторін" in text and "Рішення" in text
    for english in ("Annex", "Stakeholder group", "Disposition", "Rationale", "References"):
        assert english not in text, f"{english!r} left in English"
    html = page(anonymous.get("/briefs/kiberzlochyny.html"))
    assert html.select_one("html")["lang"] == "uk"  # type: ignore[index]


def test_no_document_names_a_chatham_house_commenter(
    anonymous: Browser, briefs: Briefs, tmp_path: Path
) -> None:
    texts = [
        anonymous.get(f"/briefs/centralization{suffix}").text
        for suffix in (".html", ".bib", ".ris", ".csl.json")
    ]
    texts += pdf_pages(anonymous.get("/briefs/centralization.pdf").content, tmp_path)
    for text in texts:
        assert SECRET_NAME not in text and SECRET_ORGANISATION not in text


def test_citation_block_and_reference_manager_downloads(anonymous: Browser, briefs: Briefs) -> None:
    html = page(anonymous.get("/briefs/centralization"))
    citation = one_line(html.select_one("pre#citation").get_text())  # type: ignore[union-attr]
    assert citation == (
        f"{ORGANISATION}. “{briefs.english_title}”. Version 1, 2026-11-02. "
        "http://testserver/briefs/centralization/v/1"
    )
    button = html.select_one("button[data-copy=citation]")
    assert button is not None and button.has_attr("hidden"), "shown by cite.js only"
    assert any("cite.js" in str(s.get("src")) for s in html.select("script"))
    links = {a.get_text(): str(a["href"]) for a in html.select(".downloads a")}
    assert links["HTML"] == "/briefs/centralization/v/1.html"
    assert links["BibTeX"] == "/briefs/centralization/v/1.bib"
    bib = anonymous.get(links["BibTeX"])
    assert bib.headers["content-type"].startswith("application/x-bibtex")
    assert f"author = {{{{{ORGANISATION}}}}}" in bib.text
    ris = anonymous.get(links["RIS"])
    assert ris.text.startswith("TY  - RPRT\r\n")
    csl = anonymous.get(links["CSL-JSON"])
    assert csl.headers["content-type"] == "application/vnd.citationstyles.csl+json"
    assert json.loads(csl.text)[0]["URL"] == "http://testserver/briefs/centralization/v/1"
    assert anonymous.get("/briefs/centralization.bib").text == bib.text
    assert anonymous.get("/static/cite.js").status_code == 200


def test_cited_in_links_to_the_paragraph_that_cites_the_thread(
    anonymous: Browser, briefs: Briefs
) -> None:
    thread = briefs.consulted.chatham
    html = page(anonymous.get(f"/consultations/lawful-access/p/{thread.thread.paragraph_key}"))
    hrefs = [str(a["href"]) for a in html.select(".cited-in a")]
    assert "/briefs/centralization/v/1#para-2" in hrefs
    assert "/briefs/kiberzlochyny/v/1#para-2" in hrefs
    brief = page(anonymous.get("/briefs/centralization/v/1"))
    assert brief.select_one("#para-2 a.citation") is not None, "the anchor is that paragraph"


def test_unpublished_documents_are_not_found(
    anonymous: Browser, session: Session, clock: FixedClock, briefs: Briefs
) -> None:
    BriefService(session, clock=clock).create(
        briefs.consulted.editor, "secret", "S", "en", [], "Text."
    )
    session.commit()
    for suffix in (".html", ".pdf", ".bib", ".ris", ".csl.json", "/v/1.html"):
        assert anonymous.get(f"/briefs/secret{suffix}").status_code == 404, suffix


def test_a_large_brief_prints_with_repeated_table_headers(
    anonymous: Browser, session: Session, clock: FixedClock, tmp_path: Path
) -> None:
    """300 paragraphs of RFC 9518 and an annex of 120 threads. Prints how long layout took
    (a measurement to report, not a limit)."""
    consulted = build_consulted(session, clock, slug="large")
    people = [
        person(session, clock, f"Member {n}", "Chapter", consulted.named.stakeholder_group)
        for n in range(4)
    ]
    prose = centralization_prose(300)
    threads = [
        comment_on(
            session,
            clock,
            consulted.consultation,
            author=people[n % 4],
            ordinal=1 + n % 6,
            body=prose[n],
        ).thread_id
        for n in range(120)
    ]
    body = "\n\n".join(
        f"{text} [[thread:{threads[n % 120]}]]" if n % 5 == 0 else text
        for n, text in enumerate(prose)
    )
    service = BriefService(session, clock=clock)
    service.create(consulted.editor, "large", "A large brief", "en", [], body, "large")
    service.publish("large", consulted.editor, app_paths())
    session.commit()

    started = time.perf_counter()
    response = anonymous.get("/briefs/large.pdf")
    elapsed = time.perf_counter() - started
    pages = pdf_pages(response.content, tmp_path)
    print(
        f"\nPDF of a 300-paragraph brief with 123 annex rows: {len(pages)} pages, "
        f"{len(response.content) / 1024:.0f} KB, {elapsed:.2f} s"
    )
    annex = [text for text in pages if "Disposition" in text and "Rationale" in text]
    assert len(annex) >= 3, "the dispositions table spans pages, its header on each"
    assert re.search(rf"\b{len(pages)} ?/ ?{len(pages)}\b", pages[-1])
    assert "300 " in one_line("".join(pages)), "the last paragraph's number"
