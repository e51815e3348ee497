"""A published brief version as JSON, Markdown, a standalone HTML document and a PDF.

Every export is built from the frozen version alone (its text, its cited threads and its
annex), so the file a diplomat downloads today is the one they download next year. Authors
appear only as the annex's public labels. Links are absolute, from the `Urls` given (the
JSON export is the API's shape, whose links are the site's paths): annex rows keep the path
they were published with.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup

from briefs.citations import link_citations, render_brief
from briefs.models import BriefVersion
from briefs.pdf import FpdfRenderer, PdfRenderer
from consultations.attribution import GROUP_LABELS
from consultations.models import Thread
from core.enums import StakeholderGroup
from core.markdown import plain_text
from core.urls import PathFor, Urls

__all__ = [
    "PdfJob",
    "as_html",
    "as_json",
    "as_markdown",
    "as_pdf",
    "citation_text",
    "disposition_label",
    "document_body",
    "pdf_job",
    "permalink",
]

_PRINT_CSS = """
body { font-family: "DejaVu Serif", Georgia, serif; max-width: 46em; margin: 2em auto;
       line-height: 1.5; color: #111; }
h1 { font-size: 1.8em; margin-bottom: .2em; }
.meta, .cite { color: #444; }
table { border-collapse: collapse; width: 100%; font-size: .9em; }
th, td { border: 1px solid #999; padding: .3em .5em; text-align: left; vertical-align: top; }
a.citation { text-decoration: none; }
@page { size: A4; margin: 2cm; }
"""


def _threads(version: BriefVersion) -> dict[int, Thread]:
    return {thread.id: thread for thread in version.cited_threads}


def permalink(version: BriefVersion, urls: PathFor) -> str:
    """The address of this version forever (not of "the latest")."""
    return urls("brief_version", slug=version.brief.slug, number=version.number)


def citation_text(version: BriefVersion, urls: PathFor) -> str:
    """How to cite this version, as plain text."""
    published = version.published_at.strftime("%Y-%m-%d") if version.published_at else "draft"
    return (
        f"“{version.title}”, version {version.number}, {published}. "
        f"Roundtable policy brief. {permalink(version, urls)}"
    )


def disposition_label(value: str | None) -> str:
    return value.replace("_", " ").capitalize() if value else "Not decided"


def _group_label(value: str | None) -> str:
    return GROUP_LABELS[StakeholderGroup(value)] if value else "Anonymous"


def as_json(version: BriefVersion, paths: PathFor) -> dict[str, Any]:
    """The same shape as ``GET /api/v1/briefs/{slug}``; `paths` links the citations."""
    brief = version.brief
    return {
        "slug": brief.slug,
        "title": version.title,
        "version": version.number,
        "published_at": version.published_at.isoformat() if version.published_at else None,
        "language": brief.language.value,
        "topics": [topic.slug for topic in brief.topics],
        "body_markdown": version.body_markdown,
        "html": render_brief(version.body_markdown, _threads(version), paths),
        "citations": sorted(thread.id for thread in version.cited_threads),
        "annex": {
            "dispositions": list(version.annex.get("dispositions", [])),
            "participation": list(version.annex.get("participation", [])),
        },
    }


#: Characters that Markdown would read as syntax in a line of text (emphasis, links, code,
#: table cells), escaped with a backslash so the text shows as it was typed.
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_\[\]|#])")


def _markdown_text(text: str | None) -> str:
    """A person's text inside Markdown, shown as typed: its syntax characters escaped and its
    HTML as entities (a Markdown viewer would otherwise render raw HTML)."""
    return html.escape(_MARKDOWN_SYNTAX.sub(r"\\\1", text or ""), quote=False)


def _markdown_cell(text: str | None) -> str:
    return _markdown_text(" ".join((text or "").split()))


def _markdown_annex(version: BriefVersion, urls: Urls) -> list[str]:
    lines = ["", "## Annex: dispositions", ""]
    lines += ["| Thread | Paragraph | From | Stance | Disposition | Rationale |"]
    lines += ["| --- | --- | --- | --- | --- | --- |"]
    for row in version.annex.get("dispositions", []):
        rationale = plain_text(row["rationale"] or "")
        link = f"[{row['thread_id']}]({urls.base_url}{row['url']})"  # the path published with
        lines.append(
            f"| {link} | {row['paragraph_ordinal'] or ''} "
            f"| {_markdown_cell(row['author_label'])} | {row['stance'] or ''} "
            f"| {disposition_label(row['disposition'])} | {_markdown_cell(rationale)} |"
        )
    lines += ["", "## Annex: participation by stakeholder group", ""]
    lines += ["| Stakeholder group | Comments | People |", "| --- | ---: | ---: |"]
    for row in version.annex.get("participation", []):
        lines.append(f"| {_group_label(row['group'])} | {row['comments']} | {row['people']} |")
    return lines


def as_markdown(version: BriefVersion, urls: Urls) -> str:
    """A Markdown file that reads well on its own: citations become ordinary links."""
    body = link_citations(version.body_markdown, _threads(version), urls)
    title, citation = _markdown_text(version.title), _markdown_text(citation_text(version, urls))
    lines = [f"# {title}", "", f"*{citation}*", "", body.strip()]
    if version.annex.get("consultation"):
        lines += _markdown_annex(version, urls)
    return "\n".join(lines) + "\n"


def _html_dispositions(version: BriefVersion, urls: Urls) -> Markup:
    rows = Markup("").join(
        Markup(
            '<tr><td><a href="{href}">{id}</a></td><td>{ordinal}</td><td>{author}</td>'
            "<td>{stance}</td><td>{disposition}</td><td>{rationale}</td></tr>\n"
        ).format(
            href=urls.base_url + row["url"],
            id=row["thread_id"],
            ordinal=row["paragraph_ordinal"] or "",
            author=row["author_label"],
            stance=(row["stance"] or "").capitalize(),
            disposition=disposition_label(row["disposition"]),
            rationale=plain_text(row["rationale"] or ""),
        )
        for row in version.annex.get("dispositions", [])
    )
    return Markup(
        "<h2>Annex: dispositions</h2>\n<table><thead><tr><th>Thread</th><th>Paragraph</th>"
        "<th>From</th><th>Stance</th><th>Disposition</th><th>Rationale</th></tr></thead>"
        "<tbody>\n{}</tbody></table>\n"
    ).format(rows)


def _html_participation(version: BriefVersion) -> Markup:
    rows = Markup("").join(
        Markup("<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n").format(
            _group_label(row["group"]), row["comments"], row["people"]
        )
        for row in version.annex.get("participation", [])
    )
    return Markup(
        "<h2>Annex: participation by stakeholder group</h2>\n<table><thead><tr>"
        "<th>Stakeholder group</th><th>Comments</th><th>People</th></tr></thead>"
        "<tbody>\n{}</tbody></table>\n"
    ).format(rows)


def document_body(version: BriefVersion, urls: Urls) -> Markup:
    """The printable content: title, how to cite, the text and the annex."""
    threads = _threads(version)
    body = render_brief(version.body_markdown, threads, urls)
    parts = [
        Markup('<h1>{}</h1>\n<p class="cite">{}</p>\n').format(
            version.title, citation_text(version, urls)
        ),
        Markup(body),  # noqa: S704 - render_brief output is safe HTML (core.markdown)
    ]
    if version.annex.get("consultation"):
        parts += [_html_dispositions(version, urls), _html_participation(version)]
    return Markup("").join(parts)


def as_html(version: BriefVersion, urls: Urls) -> str:
    """A standalone, printable HTML document (its own styles, no scripts)."""
    return "<!doctype html>\n" + str(
        Markup(
            '<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
            '<link rel="canonical" href="{canonical}">\n<style>{css}</style>\n</head>\n'
            "<body>\n{body}</body>\n</html>\n"
        ).format(
            lang=version.brief.language.value,
            title=version.title,
            canonical=permalink(version, urls),
            css=Markup(_PRINT_CSS),  # noqa: S704 - a constant of this module
            body=document_body(version, urls),
        )
    )


@dataclass(frozen=True, slots=True)
class PdfJob:
    """Everything a PDF is made of, read from the database beforehand: the layout (slow,
    CPU-bound) can then run in a worker thread, away from the session, and be cached."""

    body_html: str
    title: str
    language: str
    created: datetime

    def render(self, renderer: PdfRenderer | None = None) -> bytes:
        return (renderer or FpdfRenderer()).render(
            self.body_html, title=self.title, language=self.language, created=self.created
        )


def pdf_job(version: BriefVersion, urls: Urls) -> PdfJob:
    return PdfJob(
        body_html=str(document_body(version, urls)),
        title=version.title,
        language=version.brief.language.value,
        created=version.published_at or version.created_at,
    )


def as_pdf(version: BriefVersion, urls: Urls, renderer: PdfRenderer | None = None) -> bytes:
    """A real PDF of the printable document, fonts embedded (Ukrainian prints as Ukrainian)."""
    return pdf_job(version, urls).render(renderer)
