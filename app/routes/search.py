"""The /search page: results as you type (htmx), and a plain GET form that works without."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.routes.feeds import ATOM, FEED_SIZE, HEADERS
from app.throttle import count_search
from app.urls import request_paths, url_path
from app.web import Context, endpoint, render
from core.enums import StakeholderGroup
from search.documents import TYPES
from search.feeds import search_feed
from search.index import SearchIndex
from search.queries import SearchQuery, SearchResults

# What the empty page offers to try: each shows one feature of the query language.
EXAMPLES = (
    "lawful access",
    '"end-to-end encryption"',
    "encrypt*",
    "routing AND security",
    "fragmentation NOT sanctions",
    "title:routing type:paragraph",
    "шифрування",
)
FACET_FIELDS = {"type": "type", "topic": "topic", "group": "group", "lang": "lang"}
LANGUAGE_NAMES = {"en": "English", "uk": "Українська"}


def search_url(query: SearchQuery, path: str) -> str:
    params = query.params()
    return f"{path}?{urlencode(params)}" if params else path


def feed_url(request: Request, query: SearchQuery) -> str:
    """The Atom feed of this search: its words and filters, not its page or order."""
    return search_url(replace(query, sort="relevance", page=1), url_path(request, "search_feed"))


@dataclass(frozen=True, slots=True)
class Links:
    """URLs for the links on the page, each a variation of the current search."""

    query: SearchQuery
    path: str  # of the search page

    def to(self, **changes: Any) -> str:
        return search_url(self.query.changed(**changes), self.path)

    def page(self, number: int) -> str:
        return search_url(replace(self.query, page=number), self.path)

    def is_active(self, facet: str, value: str) -> bool:
        if facet == "year":
            return (self.query.date_from, self.query.date_to) == _year_span(value)
        return bool(getattr(self.query, FACET_FIELDS[facet]) == value)

    def toggle(self, facet: str, value: str) -> str:
        """Add this filter, or remove it when it is already applied."""
        active = self.is_active(facet, value)
        if facet == "year":
            start, end = (None, None) if active else _year_span(value)
            return self.to(date_from=start, date_to=end)
        return self.to(**{FACET_FIELDS[facet]: None if active else value})


def _year_span(year: str) -> tuple[date, date]:
    return date(int(year), 1, 1), date(int(year), 12, 31)


def _index(request: Request) -> SearchIndex:
    return request.app.state.worker.index  # type: ignore[no-any-return]


def _search(context: Context, query: SearchQuery) -> SearchResults:
    """Count the search against its address's limit in the request's transaction, then run
    it on the index's own threads (Whoosh is synchronous and CPU-bound)."""
    count_search(context.request, context.session)
    return _index(context.request).search_in_pool(query, request_paths(context.request))


@endpoint
def search_page(context: Context) -> Response:
    """Bad parameters never fail the page: they are dropped and explained in notes."""
    query = SearchQuery.from_params(context.request.query_params)
    results = _search(context, query)
    page = url_path(context.request, "search")
    values = {
        "query": query,
        "results": results,
        "links": Links(query, page),
        "examples": EXAMPLES,
        "types": TYPES,
        "groups": list(StakeholderGroup),
        "language_names": LANGUAGE_NAMES,
        "feed_url": feed_url(context.request, query),
    }
    # The address bar shows this search's own URL (only what was asked), not every field of
    # the form that htmx sent: it is the one a diplomat copies and shares.
    headers = {"HX-Push-Url": search_url(query, page)}
    return render(
        context.request,
        "search/page.html",
        values,
        fragment="search/_results.html",
        headers=headers,
    )


@endpoint
def search_atom(context: Context) -> Response:
    """A saved search as an Atom feed: the same parameters as the page, newest first."""
    asked = SearchQuery.from_params(context.request.query_params)
    results = _search(context, replace(asked, sort="date", page=1, page_size=FEED_SIZE))
    page_url = search_url(
        replace(asked, sort="relevance", page=1), url_path(context.request, "search")
    )
    body = search_feed(
        results, context.settings.base_url, feed_url(context.request, asked), page_url
    )
    return Response(body, media_type=ATOM, headers=HEADERS)


routes = [
    Route("/search", search_page, name="search"),
    Route("/search.atom", search_atom, name="search_feed"),
]
