"""The public JSON API, version 1: a contract diplomats' and partners' tools rely on.

Reads are public and go through the same services and attribution rules as the pages;
writes need a bearer token (see `app.api_auth`). Domain errors become JSON in `app.errors`;
problems the domain never sees (syntax, size, credentials) are answered here.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import Receive, Scope, Send

from app import openapi
from app.api_auth import ApiProblem, authenticate
from app.errors import json_error
from app.web import clock, current_user, transaction
from consultations.attribution import public_author
from consultations.models import Comment, Consultation, Paragraph, Thread
from consultations.services import SLUG_PATTERN, CommentInput, ConsultationService
from core.clock import as_utc
from core.enums import ConsultationStatus
from core.errors import InvalidInput, NotFound

PREFIX = "/api/v1"
MAX_BODY_BYTES = 64 * 1024
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
MAX_ID = 2**31 - 1  # ids are 32-bit integers; larger numbers cannot name anything
KEY_PATTERN = re.compile(r"^[a-z0-9]{1,16}$")

T = TypeVar("T")
Endpoint = Callable[[Request], Awaitable[Response]]


# -- protocol: errors, routes, bodies, parameters ---------------------------------------------


def problem_response(problem: ApiProblem) -> Response:
    response = json_error(problem.status, problem.code, problem.message, problem.fields or None)
    response.headers.update(problem.headers)
    return response


def answers_problems(handler: Endpoint) -> Endpoint:
    """Turn an `ApiProblem` raised anywhere below an endpoint into the JSON error shape."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiProblem as problem:
            return problem_response(problem)

    return endpoint


class ApiRoute(Route):
    """A route whose errors are JSON, including the wrong-method answer (with `Allow`),
    which Starlette would otherwise raise as an HTTPException that loses its headers."""

    def __init__(self, path: str, endpoint: Endpoint, *, methods: Sequence[str] = ("GET",)) -> None:
        super().__init__(path, answers_problems(endpoint), methods=list(methods))

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            allowed = ", ".join(sorted(self.methods))
            problem = ApiProblem(
                405,
                "method_not_allowed",
                f"{scope['method']} is not allowed here; use {allowed}.",
                headers={"Allow": allowed},
            )
            await problem_response(problem)(scope, receive, send)
            return
        await super().handle(scope, receive, send)


async def unknown_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    response = json_error(404, "not_found", "There is no such endpoint in API version 1.")
    await response(scope, receive, send)


async def read_json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, refusing what is too big, not JSON, or not an object."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise ApiProblem(415, "unsupported_media_type", "Send the body as application/json.")
    value = parse_json(await read_body(request))
    if not isinstance(value, dict):
        raise ApiProblem(400, "invalid_body", "The request body must be a JSON object.")
    return value


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """Read at most `limit` bytes; a larger body is refused before it is all in memory."""
    too_large = ApiProblem(
        413, "payload_too_large", f"Request bodies are limited to {limit // 1024} KiB."
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(raw: bytes) -> object:
    """Strict JSON: UTF-8, no NaN or Infinity, bounded nesting (Python's own recursion limit)."""
    if not raw.strip():
        raise ApiProblem(400, "malformed_json", "The request body is empty; send a JSON object.")
    try:
        return json.loads(raw.decode("utf-8-sig"), parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise ApiProblem(400, "malformed_json", f"The body is not valid JSON: {error}.") from None
    except (ValueError, RecursionError):
        raise ApiProblem(400, "malformed_json", "The body is not valid UTF-8 JSON.") from None


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdecimal() or not low <= int(raw) <= high:
        raise ApiProblem(
            400,
            "invalid_parameter",
            f"“{name}” must be a whole number from {low} to {high}.",
            fields={name: f"integer {low}..{high}"},
        )
    return int(raw)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the zone spelled out, as the contract promises."""
    return as_utc(moment).isoformat() if moment is not None else None


# -- cursor pagination ------------------------------------------------------------------------

SortKey = tuple[datetime, int]


def encode_cursor(key: SortKey) -> str:
    raw = json.dumps([key[0].isoformat(), key[1]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> SortKey:
    """The position a cursor points after. Cursors are opaque to clients, so any change
    to them is reported as an invalid parameter, never as a server error."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, ident = json.loads(raw)
        return as_utc(datetime.fromisoformat(moment)), int(ident)
    except (ValueError, TypeError, binascii.Error):
        raise ApiProblem(
            400,
            "invalid_parameter",
            "The cursor is not one this API handed out.",
            fields={"cursor": "invalid"},
        ) from None


def paginate(
    request: Request, items: Sequence[T], key: Callable[[T], SortKey]
) -> tuple[list[T], str | None]:
    """A page of `items`, newest first, after the request's cursor. Keyset pagination, not
    offsets: items added between two calls neither repeat nor push others out of the walk."""
    limit = int_param(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    cursor = request.query_params.get("cursor")
    ordered = sorted(items, key=key, reverse=True)
    if cursor:
        after = decode_cursor(cursor)
        ordered = [item for item in ordered if key(item) < after]
    page = ordered[:limit]
    following = encode_cursor(key(page[-1])) if len(ordered) > limit else None
    return page, following


# -- consultations ----------------------------------------------------------------------------


def _service(request: Request, session: Session) -> ConsultationService:
    return ConsultationService(session, clock=clock(request))


def _public_consultation(service: ConsultationService, slug: str) -> Consultation:
    """Drafts do not exist for the public API; a malformed slug cannot name anything."""
    if not SLUG_PATTERN.match(slug) or len(slug) > 120:
        raise NotFound(f"No consultation called “{slug}”.")
    consultation = service.get(slug)
    if consultation.status == ConsultationStatus.DRAFT:
        raise NotFound(f"No consultation called “{slug}”.")
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
    slug, key = request.path_params["slug"], request.path_params["key"]
    authenticate(request, "write")
    data = comment_input(await read_json_object(request))
    with transaction(request) as session:
        service = _service(request, session)
        consultation = _public_consultation(service, slug)
        if not KEY_PATTERN.match(key):
            raise NotFound(f"No paragraph “{key}” in the current version.")
        author = current_user(request, session)
        comment = service.post_comment(consultation, key, data, author=author)
        body = comment_json(comment) | {
            "thread_id": comment.thread_id,
            "paragraph_key": comment.thread.paragraph_key,
        }
    location = f"{PREFIX}/consultations/{slug}/threads?paragraph={key}"
    return JSONResponse(body, status_code=201, headers={"Location": location})


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


# -- the document and the route table -----------------------------------------------------------


async def openapi_document(request: Request) -> Response:
    return JSONResponse(openapi.document())


API_ROUTES: list[BaseRoute] = [
    ApiRoute("/openapi.json", openapi_document),
    ApiRoute("/consultations", list_consultations),
    ApiRoute("/consultations/{slug}", get_consultation),
    ApiRoute("/consultations/{slug}/threads", list_threads),
    ApiRoute(
        "/consultations/{slug}/paragraphs/{key}/comments", post_comment, methods=["POST"]
    ),
]

routes: list[BaseRoute] = [
    Mount(PREFIX, app=Router(routes=API_ROUTES, default=unknown_endpoint), name="api")
]
