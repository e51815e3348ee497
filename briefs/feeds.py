"""Atom feeds of briefs and consultations, for diplomats who subscribe rather than search.

Entries carry only what the public pages show: a brief's text (which cites threads by number,
never by author) and a consultation's title and summary. No comment, and so no commenter's
name, is ever part of a feed; the feed's author is the platform. Links are absolute (BASE_URL)
and made from route names by the `Urls` the web layer passes in (core/urls.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from briefs.citations import CITATION, render_brief
from briefs.models import BriefVersion
from consultations.models import Consultation, Topic
from core.enums import LABELS, Phase
from core.markdown import plain_text
from core.urls import Urls, with_query

__all__ = ["briefs_feed", "consultations_feed", "topic_feed"]

SUMMARY_CHARS = 400
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PUBLISHER = {"name": "Roundtable"}


def _summary(markdown: str) -> str:
    text = " ".join(plain_text(CITATION.sub("", markdown)).split())
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"


def _feed(url: str, title: str, subtitle: str, alternate: str) -> FeedGenerator:
    """A feed at `url` following the page `alternate` (both absolute)."""
    feed = FeedGenerator()
    feed.id(url)
    feed.title(title)
    feed.subtitle(subtitle)
    feed.author(_PUBLISHER)
    feed.link(href=url, rel="self", type="application/atom+xml")
    feed.link(href=alternate, rel="alternate", type="text/html")
    feed.generator("Roundtable")
    return feed


def _add_brief(feed: FeedGenerator, version: BriefVersion, urls: Urls) -> datetime:
    """One entry per published version: a correction (version 2) is news too."""
    brief = version.brief
    published = version.published_at or version.created_at
    url = urls("brief_version", slug=brief.slug, number=version.number)
    threads = {thread.id: thread for thread in version.cited_threads}
    html = render_brief(version.body_markdown, threads, urls)
    entry = feed.add_entry(order="append")
    entry.id(url)
    entry.title(version.title if version.number == 1 else f"{version.title} (v{version.number})")
    entry.link(href=url, rel="alternate", type="text/html")
    entry.published(published)
    entry.updated(published)
    entry.summary(_summary(version.body_markdown))
    entry.content(html, type="html")
    for topic in brief.topics:
        entry.category(term=topic.slug, label=topic.name)
    return published


def _add_consultation(
    feed: FeedGenerator, consultation: Consultation, phase: Phase, urls: Urls
) -> datetime:
    """An entry per consultation, its phase when the feed was made as a category (the
    scheme is the listing's status filter: `term` is a value of it)."""
    url = urls("consultation", slug=consultation.slug)
    published = consultation.opens_at or consultation.created_at
    updated = max([published, *(version.created_at for version in consultation.versions)])
    entry = feed.add_entry(order="append")
    entry.id(url)
    entry.title(consultation.title)
    entry.link(href=url, rel="alternate", type="text/html")
    entry.published(published)
    entry.updated(updated)
    entry.summary(consultation.summary or consultation.title)
    for topic in consultation.topics:
        entry.category(term=topic.slug, label=topic.name)
    entry.category(term=phase.value, scheme=urls("consultations"), label=LABELS[phase])
    return updated


def _finish(feed: FeedGenerator, dates: Sequence[datetime]) -> bytes:
    """The feed is as new as its newest entry, so an unchanged feed stays byte-identical."""
    feed.updated(max(dates, default=_EPOCH))
    return feed.atom_str(pretty=True)  # type: ignore[no-any-return]


def briefs_feed(versions: Sequence[BriefVersion], urls: Urls) -> bytes:
    feed = _feed(
        urls("briefs_feed"),
        "Roundtable: policy briefs",
        "Published policy briefs",
        urls("briefs"),
    )
    return _finish(feed, [_add_brief(feed, version, urls) for version in versions])


def consultations_feed(consultations: Sequence[tuple[Consultation, Phase]], urls: Urls) -> bytes:
    feed = _feed(
        urls("consultations_feed"),
        "Roundtable: consultations",
        "Draft positions open for comment, and their revisions",
        urls("consultations"),
    )
    return _finish(feed, [_add_consultation(feed, c, phase, urls) for c, phase in consultations])


def topic_feed(
    topic: Topic,
    versions: Sequence[BriefVersion],
    consultations: Sequence[tuple[Consultation, Phase]],
    urls: Urls,
) -> bytes:
    """Briefs and consultations on one topic, newest first."""
    feed = _feed(
        urls("topic_feed", slug=topic.slug),
        f"Roundtable: {topic.name}",
        f"Briefs and consultations on {topic.name}",
        with_query(urls("search"), topic=topic.slug),
    )
    items: list[tuple[datetime, BriefVersion | tuple[Consultation, Phase]]] = [
        (v.published_at or v.created_at, v) for v in versions
    ]
    items += [(c.opens_at or c.created_at, (c, phase)) for c, phase in consultations]
    dates = []
    for _date, item in sorted(items, key=lambda pair: pair[0], reverse=True):
        if isinstance(item, BriefVersion):
            dates.append(_add_brief(feed, item, urls))
        else:
            dates.append(_add_consultation(feed, *item, urls))
    return _finish(feed, dates)
