"""Atom feeds of briefs, consultations and topics."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.urls import site_urls
from app.web import clock, transaction
from briefs.feeds import briefs_feed, consultations_feed, topic_feed
from briefs.services import BriefService
from consultations.models import Topic
from consultations.services import ConsultationService
from core.errors import NotFound

ATOM = "application/atom+xml; charset=utf-8"
FEED_SIZE = 50
# Feed readers poll; a few minutes of staleness spares the database.
HEADERS = {"Cache-Control": "public, max-age=300"}


def _atom(body: bytes) -> Response:
    return Response(body, media_type=ATOM, headers=HEADERS)


async def briefs(request: Request) -> Response:
    with transaction(request) as session:
        versions = BriefService(session, clock=clock(request)).recent_versions(limit=FEED_SIZE)
        body = briefs_feed(versions, site_urls(request))
    return _atom(body)


async def consultations(request: Request) -> Response:
    with transaction(request) as session:
        items = ConsultationService(session, clock=clock(request)).listing()[:FEED_SIZE]
        body = consultations_feed(items, site_urls(request))
    return _atom(body)


async def topic(request: Request) -> Response:
    slug = request.path_params["slug"]
    with transaction(request) as session:
        found = session.scalars(select(Topic).where(Topic.slug == slug)).first()
        if found is None:
            raise NotFound("No topic called “%(slug)s”.", slug=slug)
        versions = BriefService(session, clock=clock(request)).recent_versions(
            topic=slug, limit=FEED_SIZE
        )
        items = ConsultationService(session, clock=clock(request)).listing(topic=slug)
        body = topic_feed(found, versions, items[:FEED_SIZE], site_urls(request))
    return _atom(body)


routes = [
    Route("/feeds/briefs.atom", briefs, name="briefs_feed"),
    Route("/feeds/consultations.atom", consultations, name="consultations_feed"),
    Route("/feeds/topics/{slug}.atom", topic, name="topic_feed"),
]
