"""Safe Markdown rendering and plain-text extraction, shared by every feature.

One configured markdown-it parser lives here so that consultation texts,
comments and briefs are all rendered with the same safety rules: raw HTML is
escaped rather than passed through, markdown-it's link validation keeps
``javascript:``/``vbscript:``/``data:`` URLs out of ``href``/``src``, and every
link gets ``rel="nofollow noopener"`` because the links are user content.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

__all__ = [
    "EnvType",
    "Token",
    "parse",
    "plain_text",
    "render",
    "render_inline",
    "render_tokens",
    "strip_front_matter",
    "tokens_text",
]

_LINK_REL = "nofollow noopener"


class _SafeRenderer(RendererHTML):
    """The stock HTML renderer, plus ``rel`` on links (user content is untrusted)."""

    def link_open(
        self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        tokens[idx].attrSet("rel", _LINK_REL)
        return self.renderToken(tokens, idx, options, env)


_md = (
    MarkdownIt(
        "commonmark",
        {"html": False, "linkify": False, "typographer": False},
        renderer_cls=_SafeRenderer,
    )
    .enable("table")
    .enable("strikethrough")
)


def parse(source: str) -> tuple[list[Token], EnvType]:
    """Parse with the shared safe parser; the env carries link reference definitions.

    Link validation happens while parsing, so tokens from here are safe to render.
    """
    env: EnvType = {}
    return _md.parse(source, env), env


def render_tokens(tokens: Sequence[Token], env: EnvType) -> str:
    """Render a slice of tokens from :func:`parse` (e.g. one block of a document)."""
    return str(_md.renderer.render(tokens, _md.options, env))


def render(source: str) -> str:
    """Render a Markdown document to HTML that is safe to embed in a page."""
    return str(_md.render(source))


def render_inline(source: str) -> str:
    """Render one line of Markdown (a title, a cell) without a wrapping ``<p>``."""
    return str(_md.renderInline(source))


def _inline_text(children: Sequence[Token]) -> str:
    """Concatenate the visible text of inline tokens; images contribute their alt text."""
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image" and child.children:
            parts.append(_inline_text(child.children))
    return "".join(parts)


def tokens_text(tokens: Sequence[Token]) -> str:
    """Plain text of a token slice: one line per inline run or code block."""
    pieces: list[str] = []
    for token in tokens:
        if token.type == "inline" and token.children is not None:
            pieces.append(_inline_text(token.children).strip())
        elif token.type in ("fence", "code_block"):
            pieces.append(token.content.rstrip("\n"))
    return "\n".join(piece for piece in pieces if piece)


def plain_text(source: str) -> str:
    """The words of a Markdown text without its markup, for search and matching."""
    tokens, _env = parse(source)
    return tokens_text(tokens)


# YAML ends at ``---`` or ``...``; kramdown-rfc also ends it with ``--- abstract`` etc.
_END_LINE = re.compile(r"^(?:---|\.\.\.)\s*$")
_KRAMDOWN_SECTION_LINE = re.compile(r"^---[ \t]+\w+\s*$")
_SCALAR_LINE = re.compile(r"^([A-Za-z_][\w-]*):[ \t]+(\S.*?)\s*$")


def _scalar(raw: str) -> str | None:
    """A YAML scalar value as a string, or None for flow collections we don't handle."""
    if raw[0] in "[{|>&*!":
        return None
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        inner = raw[1:-1]
        return inner.replace("''", "'") if raw[0] == "'" else inner.replace('\\"', '"')
    return raw.split(" #", 1)[0].rstrip()


def strip_front_matter(source: str) -> tuple[dict[str, str], str]:
    """Split off leading ``---`` YAML front matter (kramdown-rfc, Jekyll).

    Only top-level ``key: value`` scalar lines are read (the first occurrence
    wins); nested structures are ignored, so no YAML library is needed. A
    kramdown-rfc section line such as ``--- abstract`` that ends the YAML stays
    at the start of the body, since it belongs to the document's structure.
    """
    lines = source.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return {}, source
    for end in range(1, len(lines)):
        if _END_LINE.match(lines[end]) or _KRAMDOWN_SECTION_LINE.match(lines[end]):
            break
    else:
        return {}, source
    meta: dict[str, str] = {}
    for line in lines[1:end]:
        match = _SCALAR_LINE.match(line)
        if match and match.group(1) not in meta:
            value = _scalar(match.group(2))
            if value is not None:
                meta[match.group(1)] = value
    body_start = end if _KRAMDOWN_SECTION_LINE.match(lines[end]) else end + 1
    return meta, "".join(lines[body_start:])
