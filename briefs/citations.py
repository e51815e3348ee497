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
from dataclasses import dataclass
from functools import lru_cache

from consultations.models import Thread
from core.markdown import Token, parse, render_tokens
from core.urls import PathFor

__all__ = [
    "CITATION",
    "Reference",
    "citation_url",
    "cited_thread_ids",
    "link_citations",
    "paragraph_anchor",
    "references",
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


def _cited_ids(tokens: Sequence[Token]) -> list[int]:
    found: dict[int, None] = {}
    for child in _text_children(tokens):
        found.update((int(match.group(1)), None) for match in CITATION.finditer(child.content))
    return list(found)


def cited_thread_ids(markdown: str) -> list[int]:
    """The threads a brief cites, each once, in order of first citation (the order of their
    reference numbers)."""
    tokens, _env = parse(markdown)
    return _cited_ids(tokens)


def paragraph_anchor(number: int) -> str:
    """The fragment of a brief's numbered paragraph: ``#para-3`` is cited as "para. 3"."""
    return f"para-{number}"


def _numbered_blocks(tokens: Sequence[Token]) -> Iterator[tuple[int, Token, Token]]:
    """The citable units of a brief, numbered from 1: each top-level paragraph and each item
    of a top-level list (the way policy texts number their paragraphs). Yields the number, the
    block's opening token (to take the anchor) and its first inline token (to take the visible
    number); a block without text (an empty item) is skipped."""
    number = 0
    for index, token in enumerate(tokens):
        top_paragraph = token.type == "paragraph_open" and token.level == 0
        top_item = token.type == "list_item_open" and token.level == 1
        if not (top_paragraph or top_item):
            continue
        inline = next(
            (t for t in tokens[index + 1 :] if t.type == "inline" or t.type == token.type),
            None,
        )
        if inline is None or inline.type != "inline" or not inline.children:
            continue
        number += 1
        yield number, token, inline


def _paragraph_of_each_token(tokens: Sequence[Token]) -> list[int | None]:
    """For every token, the number of the citable unit it belongs to: a heading, table or
    quotation belongs to the unit before it (the first one, before any)."""
    starts = {id(opening): number for number, opening, _inline in _numbered_blocks(tokens)}
    first = min(starts.values(), default=None)
    current: int | None = None
    owners: list[int | None] = []
    for token in tokens:
        current = starts.get(id(token), current)
        owners.append(current if current is not None else first)
    return owners


def _citation_tokens(
    thread_id: int, number: int, url: str | None, anchor: str | None
) -> list[Token]:
    """A link ``[1]`` (the reference's number) to the thread, or a marked plain ``[42?]``
    (the thread's id) when it cannot be resolved."""
    if url is None:
        return [Token("text", "", 0, content=f"[{thread_id}?]")]
    link = Token("link_open", "a", 1, attrs={"href": url, "class": "citation"})
    link.attrSet("title", f"Thread {thread_id}")
    if anchor:
        link.attrSet("id", anchor)
    return [link, Token("text", "", 0, content=f"[{number}]"), Token("link_close", "a", -1)]


class _Numbering:
    """Reference numbers in order of first citation; the first citation of each carries the
    anchor (``#cite-1``) the reference list links back to."""

    def __init__(self, ids: Sequence[int]) -> None:
        self.numbers = {thread_id: index for index, thread_id in enumerate(ids, start=1)}
        self.anchored: set[int] = set()

    def anchor(self, thread_id: int) -> str | None:
        if thread_id in self.anchored:
            return None
        self.anchored.add(thread_id)
        return f"cite-{self.numbers[thread_id]}"


def _expand(child: Token, urls: Mapping[int, str], numbering: _Numbering) -> list[Token]:
    """Split one text token around its citations."""
    pieces: list[Token] = []
    position = 0
    for match in CITATION.finditer(child.content):
        if match.start() > position:
            pieces.append(Token("text", "", 0, content=child.content[position : match.start()]))
        thread_id = int(match.group(1))
        url = urls.get(thread_id)
        anchor = numbering.anchor(thread_id) if url else None
        pieces.extend(_citation_tokens(thread_id, numbering.numbers[thread_id], url, anchor))
        position = match.end()
    if position < len(child.content):
        pieces.append(Token("text", "", 0, content=child.content[position:]))
    return pieces


def _number_paragraphs(tokens: Sequence[Token]) -> None:
    """Give each citable unit its anchor and, first in its text, its visible number (a link
    to itself, so that a reader can copy the address of the paragraph they cite)."""
    for number, opening, inline in _numbered_blocks(tokens):
        anchor = paragraph_anchor(number)
        opening.attrSet("id", anchor)
        opening.attrJoin("class", "para")
        link = Token("link_open", "a", 1, attrs={"href": f"#{anchor}", "class": "para-number"})
        assert inline.children is not None  # _numbered_blocks yields only inline with children
        inline.children[:0] = [
            link,
            Token("text", "", 0, content=str(number)),
            Token("link_close", "a", -1),
            Token("text", "", 0, content=" "),
        ]


def render_brief(markdown: str, threads_by_id: Mapping[int, Thread], urls: PathFor) -> str:
    """Safe HTML of a brief body: its citable paragraphs numbered (``id="para-3"``), each
    citation a numbered link ``[1]`` to the cited thread (numbers in order of first citation,
    as in `cited_thread_ids`; the reference list is `references`).

    A citation of a thread missing from ``threads_by_id`` is shown as ``[42?]``; only a
    working copy can have those, because publishing refuses them. A ``Urls`` for ``urls``
    makes the links absolute, for documents read away from the site (exports, feeds).
    """
    links = {thread_id: thread_url(urls, thread) for thread_id, thread in threads_by_id.items()}
    tokens, env = parse(markdown)
    numbering = _Numbering(_cited_ids(tokens))
    for token in tokens:
        if token.type == "inline" and token.children:
            token.children = [
                piece
                for child in token.children
                for piece in (_expand(child, links, numbering) if child.type == "text" else [child])
            ]
    _number_paragraphs(tokens)
    return render_tokens(tokens, env)


@dataclass(frozen=True, slots=True)
class Reference:
    """One entry of a brief's reference list: the n-th thread cited, where it is first cited."""

    number: int
    thread_id: int
    paragraph: int | None


@lru_cache(maxsize=512)
def references(markdown: str) -> tuple[Reference, ...]:
    """The cited threads in order of first citation, each with the number of the paragraph
    that first cites it (the anchor "Cited in" links to). Cached: published text never
    changes, and a thread page asks about the same few briefs again and again."""
    tokens, _env = parse(markdown)
    owners = _paragraph_of_each_token(tokens)
    found: dict[int, int | None] = {}
    for token, owner in zip(tokens, owners, strict=True):
        if token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "text":
                    for match in CITATION.finditer(child.content):
                        found.setdefault(int(match.group(1)), owner)
    return tuple(
        Reference(number, thread_id, paragraph)
        for number, (thread_id, paragraph) in enumerate(found.items(), start=1)
    )


def link_citations(markdown: str, threads_by_id: Mapping[int, Thread], urls: PathFor) -> str:
    """The Markdown with each citation turned into a plain Markdown link ``[[1]](…)``, numbered
    as on the page, for the .md export (readers of the file have no ``[[thread:…]]`` syntax)."""
    numbers = {ref.thread_id: ref.number for ref in references(markdown)}

    def replace(match: re.Match[str]) -> str:
        thread = threads_by_id.get(int(match.group(1)))
        if thread is None or thread.id not in numbers:
            return match.group(0)
        return f"[[{numbers[thread.id]}]]({thread_url(urls, thread)})"

    return CITATION.sub(replace, markdown)
