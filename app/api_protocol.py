"""The HTTP side of the JSON API: its errors, routes, request bodies, parameters and pages.

Nothing here knows about consultations or briefs; `app.routes.api` holds the endpoints.
Everything a client can send wrongly is answered with the contract's JSON error and a 4xx,
never a 500: size, media type, syntax, parameters and cursors are checked here.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from app.errors import json_error
from app.openapi import CURSOR_PATTERN
from core.clock import as_utc

MAX_BODY_BYTES = 64 * 1024
DEFAULT_LIMIT, MAX_LIMIT = 20, 100

T = TypeVar("T")
Endpoint = Callable[[Request], Awaitable[Response]]
SortKey = tuple[datetime, int]


class ApiProblem(Exception):
    """A request the API refuses before the domain sees it: credentials, size, syntax.

    Domain errors (`core.errors`) keep going through the one handler table in `app.errors`;
    these carry what that table cannot, such as a 400 or a `WWW-Authenticate` header.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


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

    def __init__(
        self,
        path: str,
        endpoint: Endpoint,
        *,
        methods: Sequence[str] = ("GET",),
        name: str | None = None,
    ) -> None:
        super().__init__(path, answers_problems(endpoint), methods=list(methods), name=name)

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


def by_method(**endpoints: Endpoint) -> Endpoint:
    """One route for a path that several methods serve (GET to list, POST to create), so
    that a wrong method's 405 lists all of them in `Allow`; HEAD is answered as GET."""

    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return dispatch


async def unknown_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    response = json_error(404, "not_found", "There is no such endpoint in API version 1.")
    await response(scope, receive, send)


async def read_json_object(request: Request, limit: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The body as a JSON object, refusing what is too big, not JSON, or not an object."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise ApiProblem(415, "unsupported_media_type", "Send the body as application/json.")
    value = parse_json(await read_body(request, limit))
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
    """A whole-number query parameter within bounds (long digit strings never reach `int`)."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12 and low <= int(raw) <= high):
        raise ApiProblem(
            400,
            "invalid_parameter",
            f"“{name}” must be a whole number from {low} to {high}.",
            fields={name: f"integer {low}..{high}"},
        )
    return int(raw)


def optional_int_param(request: Request, name: str, low: int, high: int) -> int | None:
    if name not in request.query_params:
        return None
    return int_param(request, name, low, low, high)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the zone spelled out, as the contract promises."""
    return as_utc(moment).isoformat() if moment is not None else None


# -- cursor pagination ------------------------------------------------------------------------


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
CURSOR = re.compile(CURSOR_PATTERN)  # published in the document, refused before it is read


def encode_cursor(key: SortKey) -> str:
    return f"{(as_utc(key[0]) - EPOCH) // MICROSECOND}.{key[1]}"


def decode_cursor(cursor: str) -> SortKey:
    """The position a cursor points after. Cursors are opaque to clients, so any change
    to them is reported as an invalid parameter, never as a server error."""
    if not CURSOR.fullmatch(cursor):
        raise ApiProblem(
            400,
            "invalid_parameter",
            "The cursor is not one this API handed out.",
            fields={"cursor": "invalid"},
        )
    micros, ident = cursor.split(".")
    return EPOCH + int(micros) * MICROSECOND, int(ident)


def paginate(
    request: Request, items: Sequence[T], key: Callable[[T], SortKey]
) -> tuple[list[T], str | None]:
    """A page of `items`, newest first, after the request's cursor. Keyset pagination, not
    offsets: items added between two calls neither repeat nor push others out of the walk."""
    limit = int_param(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    cursor = request.query_params.get("cursor")
    ordered = sorted(items, key=key, reverse=True)
    if cursor is not None:  # an empty one is no cursor of ours either
        after = decode_cursor(cursor)
        ordered = [item for item in ordered if key(item) < after]
    page = ordered[:limit]
    following = encode_cursor(key(page[-1])) if len(ordered) > limit else None
    return page, following
