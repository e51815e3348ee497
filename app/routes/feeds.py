"""Atom feeds of briefs, consultations and topics."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import Route

from app.urls import site_urls
from app.web import Context, endpoint
from briefs.feeds import briefs_feed, consultations_feed, topic_feed
from briefs.services import BriefService
from consultations.models import Topic
from consultations.services import ConsultationService
from core.errors import NotFound
from core.i18n import N_

ATOM = "application/atom+xml; charset=utf-8"
FEED_SIZE = 50
# Feed readers poll; a few minutes of staleness spares the database.
HEADERS = {"Cache-Control": "public, max-age=300"}


def _atom(body: bytes) -> Response:
    return Response(body, media_type=ATOM, headers=HEADERS)


def briefs(context: Context) -> Response:
    versions = BriefService(context.session, clock=context.clock).recent_versions(limit=FEED_SIZE)
    return _atom(briefs_feed(versions, site_urls(context.request)))


def consultations(context: Context) -> Response:
    items = ConsultationService(context.session, clock=context.clock).listing()[:FEED_SIZE]
    return _atom(consultations_feed(items, site_urls(context.request)))


def topic(context: Context) -> Response:
    slug = context.params["slug"]
    found = context.session.scalars(select(Topic).where(Topic.slug == slug)).first()
    if found is None:
        raise NotFound(N_("No topic called “%(slug)s”."), slug=slug)
    versions = BriefService(context.session, clock=context.clock).recent_versions(
        topic=slug, limit=FEED_SIZE
    )
    items = ConsultationService(context.session, clock=context.clock).listing(topic=slug)
    return _atom(topic_feed(found, versions, items[:FEED_SIZE], site_urls(context.request)))


routes = [
    Route("/feeds/briefs.atom", endpoint(briefs), name="briefs_feed"),
    Route("/feeds/consultations.atom", endpoint(consultations), name="consultations_feed"),
    Route("/feeds/topics/{slug}.atom", endpoint(topic), name="topic_feed"),
]
