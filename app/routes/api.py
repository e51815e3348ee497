"""The public JSON API, version 1: a contract diplomats' and partners' tools rely on.

Reads are public and go through the same services and attribution rules as the pages;
writes need a bearer token (see `app.api_auth`). Domain errors become JSON in `app.errors`;
problems the domain never sees (syntax, size, credentials) in `app.api_protocol`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Router

from accounts.models import User
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
from app.throttle import count_comment, count_search
from app.urls import request_paths, url_path
from app.web import Context, endpoint, endpoint_reading
from briefs import exports
from briefs.models import BriefVersion
from briefs.services import BriefService
from consultations import policy
from consultations.attribution import public_author
from consultations.models import Comment, Consultation, Paragraph, Thread
from consultations.services import SLUG_PATTERN, CommentInput, ConsultationService
from core.clock import as_utc
from core.errors import InvalidInput, NotFound
from core.idempotency import MAX_KEY_CHARS, AlreadyAnswered, Answer, IdempotencyStore, fingerprint
from core.ids import MAX_ID
from core.urls import with_query
from search.queries import SearchQuery

KEY_PATTERN = re.compile(r"^[a-z0-9]{1,16}$")
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


# -- consultations ----------------------------------------------------------------------------


def _service(context: Context) -> ConsultationService:
    return ConsultationService(context.session, clock=context.clock)


def _public_consultation(context: Context, service: ConsultationService) -> Consultation:
    """The API reads as the public does: drafts do not exist for it."""
    return service.visible(context.params["slug"], None)


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


def list_consultations(context: Context) -> Response:
    service = _service(context)
    page, following = paginate(
        context.request, service.listing(), lambda c: (as_utc(c.created_at), c.id)
    )
    items = [consultation_json(service, consultation) for consultation in page]
    return JSONResponse({"items": items, "next": following})


def get_consultation(context: Context) -> Response:
    """The current version, paragraph by paragraph, with margin counts."""
    service = _service(context)
    consultation = _public_consultation(context, service)
    version = service.version(consultation)
    counts = service.thread_counts(consultation)
    body = consultation_json(service, consultation) | {
        "summary": consultation.summary,
        "accepting_comments": service.is_accepting_comments(consultation),
        "version": version.number,
        "paragraphs": [paragraph_json(p, counts) for p in service.paragraphs(version)],
    }
    return JSONResponse(body)


def list_threads(context: Context) -> Response:
    key = context.request.query_params.get("paragraph") or None
    service = _service(context)
    consultation = _public_consultation(context, service)
    # A key of the wrong shape names no paragraph: no thread, and no query with odd bytes.
    threads = [] if key and not KEY_PATTERN.match(key) else service.threads(consultation, key)
    return JSONResponse({"items": [thread_json(thread) for thread in threads]})


async def _comment_payload(request: Request) -> dict[str, Any] | ApiProblem:
    """The body, received on the event loop. A problem with it is answered only once the
    credentials have been checked, so a caller without a valid token always gets the 401
    (or 403) first, as if the body had not been looked at."""
    try:
        return await read_json_object(request)
    except ApiProblem as problem:
        return problem


@endpoint_reading(_comment_payload, web=False)
def post_comment(context: Context, payload: dict[str, Any] | ApiProblem) -> Response:
    """A comment or reply, by the token's user, under the same rules as the web form:
    authentication included, one transaction and one connection checkout per comment.
    With an Idempotency-Key, a retry gets the first answer instead of a second comment."""
    author = authenticate(context.request, context.session, "write")
    if isinstance(payload, ApiProblem):
        raise payload
    retry = _retry_of(context.request, author.id, payload)
    if retry is None:
        return _comment_answer(context.request, _new_comment(context, author, payload))
    store = IdempotencyStore(context.session, clock=context.clock)
    answer = store.recall(*retry)
    if answer is not None:
        return _comment_answer(context.request, answer, replayed=True)
    try:
        with context.attempt():
            answer = _new_comment(context, author, payload)
            store.remember(*retry, answer)
    except AlreadyAnswered:
        # A concurrent request with the same key and body committed first: this one's
        # comment is undone with its savepoint, and it gets the first one's answer.
        answer = store.recall(*retry)
        assert answer is not None  # committed before our insert could conflict with it
        return _comment_answer(context.request, answer, replayed=True)
    return _comment_answer(context.request, answer)


def _new_comment(context: Context, author: User, payload: dict[str, Any]) -> Answer:
    slug, key = context.params["slug"], context.params["key"]
    data = comment_input(payload)
    service = _service(context)
    # A key of the wrong shape names no paragraph, and is never sent to the database.
    well_formed = KEY_PATTERN.match(key) is not None
    consultation = _commentable_consultation(service, slug, key if well_formed else "")
    if not well_formed:
        raise NotFound("No paragraph “%(key)s” in the current version.", key=key)
    comment = service.post_comment(consultation, key, data, author=author)
    count_comment(context.request, context.session, author)
    body = comment_json(comment) | {
        "thread_id": comment.thread_id,
        "paragraph_key": comment.thread.paragraph_key,
    }
    return Answer(201, bytes(JSONResponse(body).body).decode())


def _comment_answer(request: Request, answer: Answer, *, replayed: bool = False) -> Response:
    slug, key = request.path_params["slug"], request.path_params["key"]
    location = with_query(url_path(request, "api:threads", slug=slug), paragraph=key)
    headers = {"Location": location}
    if replayed:
        headers[REPLAYED_HEADER] = "true"
    return Response(answer.body, answer.status, headers, media_type="application/json")


def _retry_of(
    request: Request, user_id: int, payload: dict[str, Any]
) -> tuple[int, str, str] | None:
    """(user, key, fingerprint) of a request that carries an Idempotency-Key, else None."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_CHARS or not (key.isascii() and key.isprintable()):
        raise ApiProblem(
            400,
            "invalid_parameter",
            "The Idempotency-Key header must be 1 to 255 printable ASCII characters.",
            fields={IDEMPOTENCY_HEADER: "invalid"},
        )
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return user_id, f"api:{key}", fingerprint("POST", request.url.path, canonical)


def _commentable_consultation(service: ConsultationService, slug: str, key: str) -> Consultation:
    """As `ConsultationService.visible` for the public, without loading what a comment does
    not need (topics), and reading what it does (the paragraph's version) in one query."""
    if not SLUG_PATTERN.match(slug) or len(slug) > 120:
        raise NotFound("No consultation called “%(slug)s”.", slug=slug)
    consultation = service.commentable(slug, key)
    if consultation is None or not policy.can_view(None, consultation):
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


def list_briefs(context: Context) -> Response:
    service = BriefService(context.session, clock=context.clock)
    page, following = paginate(context.request, service.listing(), _published_key)
    items = [brief_summary_json(version) for version in page]
    return JSONResponse({"items": items, "next": following})


def get_brief(context: Context) -> Response:
    """A published version (the latest by default); working copies are never public."""
    slug = context.params["slug"]
    number = optional_int_param(context.request, "version", 1, MAX_ID)
    if not SLUG_PATTERN.match(slug) or len(slug) > 120:
        raise NotFound("No brief called “%(slug)s”.", slug=slug)
    version = BriefService(context.session, clock=context.clock).published(slug, number)
    return JSONResponse(exports.as_json(version, request_paths(context.request)))


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


def search(context: Context) -> Response:
    query = search_query(context.request)
    count_search(context.request, context.session)
    results = context.request.app.state.worker.index.search_in_pool(
        query, request_paths(context.request)
    )
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
    ApiRoute("/consultations", endpoint(list_consultations, web=False)),
    ApiRoute("/consultations/{slug}", endpoint(get_consultation, web=False)),
    ApiRoute("/consultations/{slug}/threads", endpoint(list_threads, web=False), name="threads"),
    ApiRoute("/consultations/{slug}/paragraphs/{key}/comments", post_comment, methods=["POST"]),
    ApiRoute("/briefs", endpoint(list_briefs, web=False)),
    ApiRoute("/briefs/{slug}", endpoint(get_brief, web=False)),
    ApiRoute("/search", endpoint(search, web=False)),
]

routes: list[BaseRoute] = [
    Mount("/api/v1", app=Router(routes=API_ROUTES, default=unknown_endpoint), name="api")
]
