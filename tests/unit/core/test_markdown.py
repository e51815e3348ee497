"""Safe Markdown rendering, plain text and front matter."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from core.markdown import parse, plain_text, render, render_inline, strip_front_matter
from tests.corpora import CORPORA, RFC9518

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "[x](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "<a href='javascript:alert(1)'>x</a>",
    "<svg onload=alert(1)>",
    "<javascript:alert(1)>",
    '[x](https://example.org "title\\" onmouseover=\\"alert(1)")',
]

_BAD_TAGS = {"script", "iframe", "object", "embed", "style", "svg", "math", "form", "base"}
_BAD_SCHEMES = ("javascript:", "vbscript:", "data:")


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BAD_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            squeezed = "".join((value or "").split()).lower()
            if name.startswith("on"):
                self.problems.append(f"{tag}[{name}]")
            elif name in ("href", "src", "action") and squeezed.startswith(_BAD_SCHEMES):
                self.problems.append(f"{tag}[{name}={value}]")


def unsafe_markup(html: str) -> list[str]:
    """Executable tags or attributes a browser would act on in ``html``."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.problems


def test_unsafe_markup_detector_catches_the_payloads_when_not_escaped() -> None:
    assert unsafe_markup("<script>alert(1)</script>") == ["<script>"]
    assert unsafe_markup('<img src=x onerror="alert(1)">') == ["img[onerror]"]
    assert unsafe_markup('<a href=" JavaScript:alert(1)">x</a>') == ["a[href= JavaScript:alert(1)]"]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_render_never_produces_executable_markup(payload: str) -> None:
    for html in (render(payload), render_inline(payload), render(f"- item {payload}")):
        assert unsafe_markup(html) == [], html


def test_raw_html_is_escaped_not_dropped() -> None:
    assert render("<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    assert render("<img src=x onerror=alert(1)>") == ("<p>&lt;img src=x onerror=alert(1)&gt;</p>\n")


def test_javascript_link_is_left_as_text() -> None:
    assert render("[x](javascript:alert(1))") == "<p>[x](javascript:alert(1))</p>\n"


def test_links_get_nofollow_noopener() -> None:
    html = render("[IETF](https://www.ietf.org/) and <https://example.org>")
    assert html == (
        '<p><a href="https://www.ietf.org/" rel="nofollow noopener">IETF</a> and '
        '<a href="https://example.org" rel="nofollow noopener">https://example.org</a></p>\n'
    )


def test_no_linkify_and_no_typographer() -> None:
    assert render('see https://example.org -- "quoted"') == (
        "<p>see https://example.org -- &quot;quoted&quot;</p>\n"
    )


def test_tables_and_strikethrough_are_enabled() -> None:
    html = render("| a | b |\n|---|---|\n| 1 | ~~2~~ |\n")
    assert "<th>a</th>" in html
    assert "<td><s>2</s></td>" in html


def test_render_inline_has_no_paragraph() -> None:
    assert render_inline("*Rough* `consensus`") == "<em>Rough</em> <code>consensus</code>"


def test_plain_text_drops_markup_but_keeps_words() -> None:
    source = (
        "# Title\n\nSome **bold**, _em_, `code` and [a link](https://x.org).\n"
        "![alt words](pic.png) soft\nbreak\n\n```\nraw *code*\n```\n"
    )
    assert plain_text(source) == (
        "Title\nSome bold, em, code and a link. alt words soft break\nraw *code*"
    )


def test_plain_text_keeps_escaped_html_as_literal_text() -> None:
    assert plain_text("a <b>c</b> &amp; d") == "a <b>c</b> & d"


def test_parse_collects_reference_definitions() -> None:
    tokens, env = parse("[IETF][ietf]\n\n[ietf]: https://www.ietf.org/\n")
    assert env["references"]["IETF"]["href"] == "https://www.ietf.org/"
    assert tokens[0].type == "paragraph_open"


def test_strip_front_matter_of_a_real_kramdown_rfc_document() -> None:
    meta, body = strip_front_matter(RFC9518.read_text(encoding="utf-8"))
    assert meta["title"] == "Centralization, Decentralization, and Internet Standards"
    assert meta["abbrev"] == "Internet Centralization and Standards"
    assert meta["docname"] == "draft-nottingham-avoiding-internet-centralization-latest"
    assert meta["keyword"] == "centralization"  # repeated key: first one wins
    assert "author" not in meta  # nested structures are ignored
    assert "pi" not in meta  # flow collections too
    assert "ins" not in meta  # indented keys are not top level
    assert body.startswith("--- abstract\n\nThis document discusses aspects of centralization")


def test_every_ietf_corpus_document_has_a_title() -> None:
    documents = sorted((CORPORA / "ietf").glob("*/draft-*.md"))
    assert len(documents) == 4
    for path in documents:
        meta, body = strip_front_matter(path.read_text(encoding="utf-8"))
        assert meta["title"], path
        assert not body.startswith("---\n"), path


def test_strip_front_matter_jekyll_style() -> None:
    source = "---\ntitle: 'It''s a title'\nlayout: \"post\" \ntags:\n  - a\n---\n# Body\n"
    assert strip_front_matter(source) == ({"title": "It's a title", "layout": "post"}, "# Body\n")


def test_strip_front_matter_without_front_matter() -> None:
    assert strip_front_matter("# Hello\n\n---\n") == ({}, "# Hello\n\n---\n")
    assert strip_front_matter("---\ntitle: never closed\n") == ({}, "---\ntitle: never closed\n")
    assert strip_front_matter("") == ({}, "")
