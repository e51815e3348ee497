"""The /search page: results as you type (htmx), and a plain GET form that works without."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.web import render
from core.enums import StakeholderGroup
from search.documents import TYPES
from search.index import SearchIndex
from search.queries import SearchQuery

# What the empty page offers to try: each shows one feature of the query language.
EXAMPLES = (
    "lawful access",
    '"end-to-end encryption"',
    "encrypt*",
    "routing AND security",
    "fragmentation NOT sanctions",
    "шифрування",
)
FACET_FIELDS = {"type": "type", "topic": "topic", "group": "group", "lang": "lang"}
LANGUAGE_NAMES = {"en": "English", "uk": "Українська"}


def search_url(query: SearchQuery) -> str:
    params = query.params()
    return f"/search?{urlencode(params)}" if params else "/search"


@dataclass(frozen=True, slots=True)
class Links:
    """URLs for the links on the page, each a variation of the current search."""

    query: SearchQuery

    def to(self, **changes: Any) -> str:
        return search_url(self.query.changed(**changes))

    def page(self, number: int) -> str:
        return search_url(replace(self.query, page=number))

    def is_active(self, facet: str, value: str) -> bool:
        return bool(getattr(self.query, FACET_FIELDS[facet]) == value)

    def toggle(self, facet: str, value: str) -> str:
        """Add this filter, or remove it when it is already applied."""
        field = FACET_FIELDS[facet]
        return self.to(**{field: None if self.is_active(facet, value) else value})


def _index(request: Request) -> SearchIndex:
    return request.app.state.worker.index  # type: ignore[no-any-return]


async def search_page(request: Request) -> Response:
    """Bad parameters never fail the page: they are dropped and explained in notes."""
    query = SearchQuery.from_params(request.query_params)
    results = await run_in_threadpool(_index(request).search, query)
    context = {
        "query": query,
        "results": results,
        "links": Links(query),
        "examples": EXAMPLES,
        "types": TYPES,
        "groups": list(StakeholderGroup),
        "language_names": LANGUAGE_NAMES,
    }
    return render(request, "search/page.html", context, fragment="search/_results.html")


routes = [Route("/search", search_page, name="search")]
