"""Domain errors become HTTP responses here, and only here; so do the faults of the database
(503 with Retry-After: it is down or restarting, and the next try may well succeed) and
anything unexpected (a 500 page, or JSON for the API, never a traceback)."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from sqlalchemy import exc as db_errors
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from accounts.ratelimits import TooManyAttempts
from app.statuses import status_of
from app.urls import url_path
from app.web import has_viewer, load_viewer, redirect, render
from core.errors import DomainError, NotSignedIn
from core.i18n import N_
from core.urls import with_query

log = logging.getLogger(__name__)

#: What a client is told to wait when the database is unreachable: a PostgreSQL restart or
#: failover takes seconds, and the pool reconnects on the first request after it.
RETRY_AFTER_SECONDS = 10
UNAVAILABLE = N_("The service is unavailable for a moment; please try again shortly.")
SERVER_ERROR = N_("Something went wrong on our side; it has been logged.")


async def _header_user(request: Request) -> None:
    """The page header's user: the one the route captured when it began (its transaction
    may have been rolled back since), else (no route ran: an unknown address) loaded in
    this request's only transaction, off the event loop."""
    if not has_viewer(request):
        await run_in_threadpool(load_viewer, request)


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def json_error(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return JSONResponse({"error": error}, status_code=status)


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    status = status_of(exc)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
    if is_api(request):
        response = json_error(status, exc.code, exc.message, exc.fields)
        response.headers.update(headers or {})
        return response
    if isinstance(exc, NotSignedIn) and request.method == "GET":
        return redirect(with_query(url_path(request, "signin_page"), next=request.url.path))
    await _header_user(request)
    return render(
        request,
        "errors/error.html",
        {"status": status, "message": exc.template, "values": exc.values, "fields": exc.fields},
        fragment="errors/_error.html",
        status_code=status,
        headers=headers,
    )


#: What an error page says for an HTTP error that carries only its status phrase (Starlette's
#: router raises these); our code passes its own message as the detail.
HTTP_MESSAGES = {
    400: N_("Bad Request"),
    403: N_("Forbidden"),
    404: N_("This page does not exist."),
    405: N_("Method Not Allowed"),
    500: N_("Internal Server Error"),
}


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if is_api(request):
        detail = exc.detail if isinstance(exc.detail, str) else "Error"
        return json_error(exc.status_code, "http_error", detail)
    message = exc.detail
    if not isinstance(message, str) or message == HTTPStatus(exc.status_code).phrase:
        message = HTTP_MESSAGES.get(exc.status_code, N_("Error"))
    await _header_user(request)
    return render(
        request,
        "errors/error.html",
        {"status": exc.status_code, "message": message, "values": {}, "fields": {}},
        status_code=exc.status_code,
        headers=exc.headers,
    )


def error_page(request: Request, status: int, code: str, message: str) -> Response:
    """A fault's response without touching the database: JSON for the API, else a page
    with no signed-in user in its header (looking them up needs the database)."""
    if is_api(request):
        return json_error(status, code, message)
    request.state.viewer = None
    return render(
        request,
        "errors/error.html",
        {"status": status, "message": message, "values": {}, "fields": {}},
        fragment="errors/_error.html",
        status_code=status,
    )


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """The database is down, restarting or out of connections. The pool drops connections
    that failed, so the first request after it returns reconnects: no restart needed."""
    cause = getattr(exc, "orig", None) or exc  # without the SQL statement and its values
    log.warning("database unavailable for %s %s: %r", request.method, request.url.path, cause)
    response = error_page(request, 503, "unavailable", UNAVAILABLE)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    """Starlette's last resort (it logs the exception and re-raises it after sending this)."""
    return error_page(request, 500, "server_error", SERVER_ERROR)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error,
    HTTPException: http_error,
    db_errors.OperationalError: database_unavailable,  # connection refused, lost, timed out
    db_errors.InterfaceError: database_unavailable,  # a connection closed under us
    db_errors.TimeoutError: database_unavailable,  # the pool had no connection to give
    500: server_error,
}
