"""Citations of consultation threads inside a brief's Markdown: ``[[thread:42]]``.

Citations are found and replaced in the parsed token stream rather than in the raw text, so
a citation written inside a code span stays literal (that is how an editor documents the
syntax) and the finding and the rendering can never disagree about what was cited.

Links are made by the `PathFor` the caller gives: the router's paths for the site's own
pages, or a `core.urls.Urls` (BASE_URL + path) for documents read away from the site.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from consultations.models import Thread
from core.markdown import Token, parse, render_tokens
from core.urls import PathFor

__all__ = [
    "CITATION",
    "citation_url",
    "cited_thread_ids",
    "link_citations",
    "render_brief",
    "thread_url",
]

CITATION = re.compile(r"\[\[thread:(\d{1,12})\]\]")


def citation_url(urls: PathFor, consultation_slug: str, paragraph_key: str, thread_id: int) -> str:
    """The permalink of a thread: its paragraph's page, scrolled to the thread."""
    return urls("paragraph", slug=consultation_slug, key=paragraph_key) + f"#t-{thread_id}"


def thread_url(urls: PathFor, thread: Thread) -> str:
    return citation_url(urls, thread.consultation.slug, thread.paragraph_key, thread.id)


def _text_children(tokens: Sequence[Token]) -> Iterator[Token]:
    """Every plain text token of the document (code spans and blocks are not text)."""
    for token in tokens:
        if token.type == "inline" and token.children:
            yield from (child for child in token.children if child.type == "text")


def cited_thread_ids(markdown: str) -> list[int]:
    """The threads a brief cites, each once, in order of first citation."""
    tokens, _env = parse(markdown)
    found: dict[int, None] = {}
    for child in _text_children(tokens):
        found.update((int(match.group(1)), None) for match in CITATION.finditer(child.content))
    return list(found)


def _citation_tokens(thread_id: int, url: str | None) -> list[Token]:
    """A link ``[42]`` to the thread, or a marked plain ``[42?]`` when it cannot be resolved."""
    if url is None:
        return [Token("text", "", 0, content=f"[{thread_id}?]")]
    link = Token("link_open", "a", 1, attrs={"href": url, "class": "citation"})
    link.attrSet("title", f"Thread {thread_id}")
    return [link, Token("text", "", 0, content=f"[{thread_id}]"), Token("link_close", "a", -1)]


def _expand(child: Token, urls: Mapping[int, str]) -> list[Token]:
    """Split one text token around its citations."""
    pieces: list[Token] = []
    position = 0
    for match in CITATION.finditer(child.content):
        if match.start() > position:
            pieces.append(Token("text", "", 0, content=child.content[position : match.start()]))
        thread_id = int(match.group(1))
        pieces.extend(_citation_tokens(thread_id, urls.get(thread_id)))
        position = match.end()
    if position < len(child.content):
        pieces.append(Token("text", "", 0, content=child.content[position:]))
    return pieces


def render_brief(markdown: str, threads_by_id: Mapping[int, Thread], urls: PathFor) -> str:
    """Safe HTML of a brief body, each citation a link to the cited thread.

    A citation of a thread missing from ``threads_by_id`` is shown as ``[42?]``; only a
    working copy can have those, because publishing refuses them. A ``Urls`` for ``urls``
    makes the links absolute, for documents read away from the site (exports, feeds).
    """
    links = {thread_id: thread_url(urls, thread) for thread_id, thread in threads_by_id.items()}
    tokens, env = parse(markdown)
    for token in tokens:
        if token.type == "inline" and token.children:
            token.children = [
                piece
                for child in token.children
                for piece in (_expand(child, links) if child.type == "text" else [child])
            ]
    return render_tokens(tokens, env)


def link_citations(markdown: str, threads_by_id: Mapping[int, Thread], urls: PathFor) -> str:
    """The Markdown with each citation turned into a plain Markdown link, for the .md export
    (readers of the file have no ``[[thread:…]]`` syntax)."""

    def replace(match: re.Match[str]) -> str:
        thread = threads_by_id.get(int(match.group(1)))
        if thread is None:
            return match.group(0)
        return f"[[{thread.id}]]({thread_url(urls, thread)})"

    return CITATION.sub(replace, markdown)
