"""The public JSON API, version 1: a contract diplomats' and partners' tools rely on.

Reads are public and go through the same services and attribution rules as the pages;
writes need a bearer token (see `app.api_auth`). Domain errors become JSON in `app.errors`;
problems the domain never sees (syntax, size, credentials) in `app.api_protocol`.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Router

from app import openapi
from app.api_auth import authenticate
from app.api_protocol import (
    ApiProblem,
    ApiRoute,
    SortKey,
    iso,
    optional_int_param,
    paginate,
    read_json_object,
    unknown_endpoint,
)
from app.urls import url_path
from app.web import clock, transaction
from briefs import exports
from briefs.models import BriefVersion
from briefs.services import BriefService
from consultations.attribution import public_author
from consultations.models import Comment, Consultation, Paragraph, Thread
from consultations.services import SLUG_PATTERN, CommentInput, ConsultationService
from core.clock import as_utc
from core.enums import ConsultationStatus
from core.errors import InvalidInput, NotFound
from core.urls import with_query
from search.queries import SearchQuery

MAX_ID = 2**31 - 1  # ids are 32-bit integers; larger numbers cannot name anything
KEY_PATTERN = re.compile(r"^[a-z0-9]{1,16}$")


# -- consultations ----------------------------------------------------------------------------


def _service(request: Request, session: Session) -> ConsultationService:
    return ConsultationService(session, clock=clock(request))


def _public_consultation(service: ConsultationService, slug: str) -> Consultation:
    """Drafts do not exist for the public API; a malformed slug cannot name anything."""
    if not SLUG_PATTERN.match(slug) or len(slug) > 120:
        raise NotFound("No consultation called “%(slug)s”.", slug=slug)
    consultation = service.get(slug)
    if consultation.status == ConsultationStatus.DRAFT:
        raise NotFound("No consultation called “%(slug)s”.", slug=slug)
    return consultation


def consultation_json(service: ConsultationService, consultation: Consultation) -> dict[str, Any]:
    return {
        "slug": consultation.slug,
        "title": consultation.title,
        "status": service.effective_status(consultation),
        "topics": [topic.slug for topic in consultation.topics],
        "language": consultation.language.value,
        "opens_at": iso(consultation.opens_at),
        "closes_at": iso(consultation.closes_at),
        "current_version": service.version(consultation).number,
    }


def paragraph_json(paragraph: Paragraph, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "key": paragraph.key,
        "ordinal": paragraph.ordinal,
        "kind": paragraph.kind,
        "text": paragraph.text,
        "html": paragraph.html,
        "thread_count": counts.get(paragraph.key, 0),
    }


def comment_json(comment: Comment) -> dict[str, Any]:
    """A comment as the public may see it: the author only through `public_author`."""
    author = public_author(comment)
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "body": comment.body,
        "stance": comment.stance.value if comment.stance else None,
        "suggestion": comment.suggestion,
        "stakeholder_group": author.group.value if author.group else None,
        "author_label": author.label,
        "created_at": iso(comment.created_at),
    }


def thread_json(thread: Thread) -> dict[str, Any]:
    return {
        "id": thread.id,
        "paragraph_key": thread.paragraph_key,
        "status": thread.status.value,
        "disposition": thread.disposition.value if thread.disposition else None,
        "rationale": thread.rationale,
        "comments": [comment_json(comment) for comment in thread.comments],
    }


async def list_consultations(request: Request) -> Response:
    with transaction(request) as session:
        service = _service(request, session)
        page, following = paginate(
            request, service.listing(), lambda c: (as_utc(c.created_at), c.id)
        )
        items = [consultation_json(service, consultation) for consultation in page]
    return JSONResponse({"items": items, "next": following})


async def get_consultation(request: Request) -> Response:
    """The current version, paragraph by paragraph, with margin counts."""
    with transaction(request) as session:
        service = _service(request, session)
        consultation = _public_consultation(service, request.path_params["slug"])
        version = service.version(consultation)
        counts = service.thread_counts(consultation)
        body = consultation_json(service, consultation) | {
            "summary": consultation.summary,
            "accepting_comments": service.is_accepting_comments(consultation),
            "version": version.number,
            "paragraphs": [paragraph_json(p, counts) for p in service.paragraphs(version)],
        }
    return JSONResponse(body)


async def list_threads(request: Request) -> Response:
    key = request.query_params.get("paragraph") or None
    with transaction(request) as session:
        service = _service(request, session)
        consultation = _public_consultation(service, request.path_params["slug"])
        # A key of the wrong shape names no paragraph: no thread, and no query with odd bytes.
        threads = [] if key and not KEY_PATTERN.match(key) else service.threads(consultation, key)
        items = [thread_json(thread) for thread in threads]
    return JSONResponse({"items": items})


async def post_comment(request: Request) -> Response:
    """A comment or reply, by the token's user, under the same rules as the web form."""
    # The body is received here, on the event loop; a problem with it is answered only once
    # the credentials have been checked, so a caller without a valid token always gets the
    # 401 (or 403) first, as if the body had not been looked at.
    try:
        payload: dict[str, Any] | ApiProblem = await read_json_object(request)
    except ApiProblem as problem:
        payload = problem
    # All the database work, authentication included, is one transaction in one worker
    # thread: one connection checkout and one commit per comment, and the event loop keeps
    # serving others meanwhile.
    return await run_in_threadpool(_create_comment, request, payload)


def _create_comment(request: Request, payload: dict[str, Any] | ApiProblem) -> Response:
    slug, key = request.path_params["slug"], request.path_params["key"]
    with transaction(request) as session:
        author = authenticate(request, session, "write")
        if isinstance(payload, ApiProblem):
            raise payload
        data = comment_input(payload)
        service = _service(request, session)
        # A key of the wrong shape names no paragraph, and is never sent to the database.
        well_formed = KEY_PATTERN.match(key) is not None
        consultation = _commentable_consultation(service, slug, key if well_formed else "")
        if not well_formed:
            raise NotFound("No paragraph “%(key)s” in the current version.", key=key)
        comment = service.post_comment(consultation, key, data, author=author)
        body = comment_json(comment) | {
            "thread_id": comment.thread_id,
            "paragraph_key": comment.thread.paragraph_key,
        }
    location = with_query(url_path(request, "api:threads", slug=slug), paragraph=key)
    return JSONResponse(body, status_code=201, headers={"Location": location})


def _commentable_consultation(service: ConsultationService, slug: str, key: str) -> Consultation:
    """As `_public_consultation`, without loading what a comment does not need (topics),
    and reading what it does (the paragraph's version) in the same query."""
    if not SLUG_PATTERN.match(slug) or len(slug) > 120:
        raise NotFound("No consultation called “%(slug)s”.", slug=slug)
    consultation = service.commentable(slug, key)
    if consultation is None or consultation.status == ConsultationStatus.DRAFT:
        raise NotFound("No consultation called “%(slug)s”.", slug=slug)
    return consultation


COMMENT_FIELDS: dict[str, type] = {
    "body": str,
    "stance": str,
    "attribution": str,
    "suggestion": str,
    "parent_id": int,
    "quote": str,
}
REQUIRED_FIELDS = ("body", "attribution")  # and stance, unless a reply: the service says so


def comment_input(payload: dict[str, Any]) -> CommentInput:
    """Check the JSON's shape and types; the service checks the values, as for the form."""
    fields = {name: "Unknown field." for name in payload if name not in COMMENT_FIELDS}
    for name, kind in COMMENT_FIELDS.items():
        problem = _field_problem(payload.get(name), kind, required=name in REQUIRED_FIELDS)
        if problem:
            fields[name] = problem
    if fields:
        raise InvalidInput("The comment could not be posted.", fields=fields)
    return CommentInput(
        body=payload["body"],
        stance=payload.get("stance"),
        attribution=payload["attribution"],
        suggestion=payload.get("suggestion"),
        parent_id=payload.get("parent_id"),
        quote=payload.get("quote"),
    )


def _field_problem(value: object, kind: type, *, required: bool) -> str | None:
    if value is None:
        return "This field is required." if required else None
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            return "Must be the id of a comment (a positive integer)."
        return None
    if not isinstance(value, str):
        return "Must be a string."
    # PostgreSQL cannot store NUL, and lone surrogates are not text: refuse both as input.
    if "\x00" in value or not _encodes(value):
        return "Must be valid Unicode text without NUL characters."
    return None


def _encodes(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- briefs ------------------------------------------------------------------------------------


def brief_summary_json(version: BriefVersion) -> dict[str, Any]:
    return {
        "slug": version.brief.slug,
        "title": version.title,
        "topics": [topic.slug for topic in version.brief.topics],
        "language": version.brief.language.value,
        "version": version.number,
        "published_at": iso(version.published_at),
    }


def _published_key(version: BriefVersion) -> SortKey:
    assert version.published_at is not None  # the listing holds published versions only
    return as_utc(version.published_at), version.id


async def list_briefs(request: Request) -> Response:
    with transaction(request) as session:
        service = BriefService(session, clock=clock(request))
        page, following = paginate(request, service.listing(), _published_key)
        items = [brief_summary_json(version) for version in page]
    return JSONResponse({"items": items, "next": following})


async def get_brief(request: Request) -> Response:
    """A published version (the latest by default); working copies are never public."""
    slug = request.path_params["slug"]
    number = optional_int_param(request, "version", 1, MAX_ID)
    if not SLUG_PATTERN.match(slug) or len(slug) > 120:
        raise NotFound("No brief called “%(slug)s”.", slug=slug)
    with transaction(request) as session:
        version = BriefService(session, clock=clock(request)).published(slug, number)
        body = exports.as_json(version)
    return JSONResponse(body)


# -- search ------------------------------------------------------------------------------------

SEARCH_PARAMS = ("type", "topic", "group", "lang", "from", "to", "sort", "page")


def search_query(request: Request) -> SearchQuery:
    """The page explains a filter it cannot use and searches without it; a program should
    rather learn its mistake than receive unfiltered results, so the API refuses it."""
    params = request.query_params
    fields = {
        name: notes[0]
        for name in SEARCH_PARAMS
        if params.get(name) and (notes := SearchQuery.from_params({name: params[name]}).notes)
    }
    if fields:
        raise ApiProblem(
            400, "invalid_parameter", "Some search parameters are invalid.", fields=fields
        )
    return SearchQuery.from_params(params)


async def search(request: Request) -> Response:
    query = search_query(request)
    # Whoosh is synchronous and CPU-bound: keep it off the event loop.
    results = await request.app.state.worker.index.search_in_pool(query)
    return JSONResponse(
        {
            "total": results.total,
            "hits": [hit.as_json() for hit in results.hits],
            "facets": results.facets,
            "suggestion": results.suggestion,
            "notes": list(results.notes),
        }
    )


# -- the document and the route table -----------------------------------------------------------


async def openapi_document(request: Request) -> Response:
    return JSONResponse(openapi.document())


API_ROUTES: list[BaseRoute] = [
    ApiRoute("/openapi.json", openapi_document),
    ApiRoute("/consultations", list_consultations),
    ApiRoute("/consultations/{slug}", get_consultation),
    ApiRoute("/consultations/{slug}/threads", list_threads, name="threads"),
    ApiRoute("/consultations/{slug}/paragraphs/{key}/comments", post_comment, methods=["POST"]),
    ApiRoute("/briefs", list_briefs),
    ApiRoute("/briefs/{slug}", get_brief),
    ApiRoute("/search", search),
]

routes: list[BaseRoute] = [
    Mount("/api/v1", app=Router(routes=API_ROUTES, default=unknown_endpoint), name="api")
]
