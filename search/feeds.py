"""An Atom feed of a saved search: the newest matches of a query and its filters.

Built with the same helpers as the briefs and topic feeds (`briefs.feeds`). Entries carry
only what the search page shows: the hit's title, its snippet as plain text, its permalink,
and for a comment the public label that `consultations.attribution` allows (already all the
index stores), never more.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from briefs.feeds import _feed, _finish
from search.queries import Hit, SearchResults

__all__ = ["search_feed"]

_TAG = re.compile(r"<[^>]*>")
_TITLES = {"comment": "Comment on {title}", "brief": "{title}", "paragraph": "{title}"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def plain(snippet_html: str) -> str:
    """A snippet's HTML (escaped text and <mark>s) as the plain text it shows."""
    return " ".join(html.unescape(_TAG.sub("", snippet_html)).split())


def _describe(results: SearchResults) -> str:
    query = results.query
    parts = [f"“{query.q}”"] if query.q else []
    parts += [
        f"{name} {value}"
        for name, value in (
            ("type", query.type),
            ("topic", query.topic),
            ("group", query.group),
            ("language", query.lang),
            ("from", query.date_from.isoformat() if query.date_from else None),
            ("to", query.date_to.isoformat() if query.date_to else None),
        )
        if value
    ]
    return ", ".join(parts) or "everything"


def _add_hit(feed: FeedGenerator, hit: Hit, base_url: str) -> datetime:
    url = base_url + hit.url
    when = hit.date or _EPOCH
    entry = feed.add_entry(order="append")
    entry.id(url)
    title = f"{hit.title}, ¶ {hit.paragraph}" if hit.paragraph else hit.title
    entry.title(_TITLES.get(hit.type, "{title}").format(title=title))
    entry.link(href=url, rel="alternate", type="text/html")
    entry.published(when)
    entry.updated(when)
    entry.summary(plain(hit.snippet) or hit.title)
    if hit.type == "comment" and hit.author:
        entry.author({"name": hit.author})  # the public label, as stored in the index
    for topic in hit.topics:
        entry.category(term=topic)
    return when


def search_feed(results: SearchResults, base_url: str, path: str, alternate: str) -> bytes:
    """`results` should be sorted newest first (`sort="date"`); `path` is the feed's own
    URL (with its query string) and `alternate` the search page it follows."""
    described = _describe(results)
    feed = _feed(
        base_url + path,
        f"Roundtable search: {described}",
        f"New paragraphs, comments and briefs matching {described}",
        base_url + alternate,
    )
    return _finish(feed, [_add_hit(feed, hit, base_url) for hit in results.hits])
