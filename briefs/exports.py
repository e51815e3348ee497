"""A published brief version as JSON and Markdown, and how to cite it (text, BibTeX, RIS,
CSL-JSON). The printable HTML document and its PDF are rendered by the web layer in the
brief's language (app/templates/briefs/printable.html, briefs/pdf.py).

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
from datetime import date
from typing import Any

from briefs.citations import link_citations, render_brief
from briefs.models import BriefVersion
from consultations.attribution import GROUP_LABELS
from consultations.models import Thread
from core.enums import StakeholderGroup
from core.markdown import plain_text
from core.urls import PathFor, Urls

__all__ = [
    "Citation",
    "as_json",
    "as_markdown",
    "citation",
    "disposition_label",
    "permalink",
]


def _threads(version: BriefVersion) -> dict[int, Thread]:
    return {thread.id: thread for thread in version.cited_threads}


def permalink(version: BriefVersion, urls: PathFor) -> str:
    """The address of this version forever (not of "the latest")."""
    return urls("brief_version", slug=version.brief.slug, number=version.number)


@dataclass(frozen=True, slots=True)
class Citation:
    """What a reference to one version names: the organisation that published it (the
    ORGANISATION_NAME setting), its title, version, date and permanent address."""

    key: str
    organisation: str
    title: str
    version: int
    published: date | None
    url: str
    language: str

    def text(self, version_label: str = "Version") -> str:
        """The reference as one line of text; the page gives `version_label` translated."""
        published = self.published.isoformat() if self.published else "n.d."
        return (
            f"{self.organisation}. “{self.title}”. {version_label} {self.version}, "
            f"{published}. {self.url}"
        )

    def bibtex(self) -> str:
        """A BibTeX ``@techreport`` entry; the organisation in braces is one corporate author."""
        fields = [
            ("author", f"{{{_bibtex(self.organisation)}}}"),
            ("title", f"{{{_bibtex(self.title)}}}"),
            ("institution", _bibtex(self.organisation)),
            ("type", "Policy brief"),
            ("note", f"Version {self.version}"),
            ("url", _bibtex_url(self.url)),
            ("language", _BIBTEX_LANGUAGES.get(self.language, self.language)),
        ]
        if self.published:
            fields += [("year", str(self.published.year)), ("month", str(self.published.month))]
        lines = [f"  {name} = {{{value}}}," for name, value in fields]
        return f"@techreport{{{self.key},\n" + "\n".join(lines) + "\n}\n"

    def ris(self) -> str:
        """An RIS record (type RPRT, report), as reference managers import it."""
        tags = [
            ("TY", "RPRT"),
            ("AU", self.organisation),
            ("TI", self.title),
            ("PB", self.organisation),
            ("ET", f"Version {self.version}"),
            ("M3", "Policy brief"),
            ("UR", self.url),
            ("LA", self.language),
        ]
        if self.published:
            tags += [("PY", str(self.published.year)), ("DA", self.published.strftime("%Y/%m/%d"))]
        lines = [f"{tag}  - {_one_line(value)}" for tag, value in tags]
        return "\r\n".join([*lines, "ER  - ", ""])

    def csl_json(self) -> list[dict[str, Any]]:
        """CSL-JSON (the format of Zotero, Pandoc and citeproc): a list of one item."""
        item: dict[str, Any] = {
            "id": self.key,
            "type": "report",
            "genre": "Policy brief",
            "title": self.title,
            "author": [{"literal": self.organisation}],
            "publisher": self.organisation,
            "version": str(self.version),
            "URL": self.url,
            "language": self.language,
        }
        if self.published:
            published = self.published
            item["issued"] = {"date-parts": [[published.year, published.month, published.day]]}
        return [item]


_BIBTEX_LANGUAGES = {"en": "english", "uk": "ukrainian"}
_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _bibtex(text: str) -> str:
    """A person's text as BibTeX shows it literally: its special characters escaped (a brace
    in a title can never close the field)."""
    return "".join(_BIBTEX_SPECIAL.get(char, char) for char in _one_line(text))


def _bibtex_url(url: str) -> str:
    """Our own URL: only braces and backslashes could end the field, and it has none."""
    return url.replace("{", "%7B").replace("}", "%7D").replace("\\", "%5C")


def citation(version: BriefVersion, urls: PathFor, organisation: str) -> Citation:
    """How to cite this version (its permalink, never "the latest")."""
    published = version.published_at.date() if version.published_at else None
    return Citation(
        key=f"{version.brief.slug}-v{version.number}",
        organisation=organisation,
        title=version.title,
        version=version.number,
        published=published,
        url=permalink(version, urls),
        language=version.brief.language.value,
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


def as_markdown(version: BriefVersion, urls: Urls, organisation: str) -> str:
    """A Markdown file that reads well on its own: citations become ordinary links."""
    body = link_citations(version.body_markdown, _threads(version), urls)
    cite = citation(version, urls, organisation).text()
    title, cite = _markdown_text(version.title), _markdown_text(cite)
    lines = [f"# {title}", "", f"*{cite}*", "", body.strip()]
    if version.annex.get("consultation"):
        lines += _markdown_annex(version, urls)
    return "\n".join(lines) + "\n"
