"""Domain errors become HTTP responses here, and only here."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from accounts.ratelimits import TooManyAttempts
from app.urls import url_path
from app.web import redirect, render
from core.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound, NotSignedIn
from core.urls import with_query

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
        return redirect(with_query(url_path(request, "signin_page"), next=request.url.path))
    return render(
        request,
        "errors/error.html",
        {"status": status, "message": exc.template, "values": exc.values, "fields": exc.fields},
        fragment="errors/_error.html",
        status_code=status,
        headers=headers,
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "Error"
    if is_api(request):
        return json_error(exc.status_code, "http_error", message)
    if exc.status_code == 404:
        message = "This page does not exist."
    return render(
        request,
        "errors/error.html",
        {"status": exc.status_code, "message": message, "values": {}, "fields": {}},
        status_code=exc.status_code,
        headers=exc.headers,
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {DomainError: domain_error, HTTPException: http_error}
