"""Domain errors become HTTP responses here, and only here."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from accounts.ratelimits import TooManyAttempts
from app.web import redirect, render
from core.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound, NotSignedIn
from core.i18n import N_

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    NotFound: 404,
    NotAllowed: 403,
    NotSignedIn: 401,
    InvalidInput: 422,
    Conflict: 409,
    TooManyAttempts: 429,
}


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
    status = next(code for kind, code in STATUS_BY_ERROR.items() if isinstance(exc, kind))
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
    if is_api(request):
        response = json_error(status, exc.code, exc.message, exc.fields)
        response.headers.update(headers or {})
        return response
    if isinstance(exc, NotSignedIn) and request.method == "GET":
        return redirect(f"/signin?next={request.url.path}")
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
    return render(
        request,
        "errors/error.html",
        {"status": exc.status_code, "message": message, "values": {}, "fields": {}},
        status_code=exc.status_code,
        headers=exc.headers,
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {DomainError: domain_error, HTTPException: http_error}
