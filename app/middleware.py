"""ASGI middleware: security headers, interface language, CSRF."""

from __future__ import annotations

from typing import Any

from asgi_csrf import asgi_csrf
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import i18n

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


class SecurityHeadersMiddleware:
    """A strict CSP on every response: no inline scripts or styles anywhere."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class LanguageMiddleware:
    """Sets the interface language for the request from the cookie or Accept-Language."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        language = i18n.negotiate(
            request.cookies.get("lang"), request.headers.get("accept-language")
        )
        token = i18n.current_language.set(language)
        try:
            await self.app(scope, receive, send)
        finally:
            i18n.current_language.reset(token)


def csrf_middleware(app: ASGIApp, *, secret: str, secure: bool) -> ASGIApp:
    """Double-submit-cookie CSRF for every form (field `csrftoken`) and htmx request (header
    `x-csrftoken`). The JSON API authenticates with bearer tokens, never cookies."""
    return asgi_csrf(  # type: ignore[no-any-return]
        app,
        signing_secret=secret,
        cookie_secure=secure,
        skip_if_scope=lambda scope: scope["path"].startswith("/api/"),
        send_csrf_failed=_csrf_failed,
    )


async def _csrf_failed(scope: Scope, send: Send, _reason: Any = None) -> None:
    language = i18n.negotiate(Request(scope).cookies.get("lang"), None)
    token = i18n.current_language.set(language)
    try:
        text = i18n.gettext(
            "This form has expired or was sent from another site. "
            "Go back, reload the page and send it again."
        )
    finally:
        i18n.current_language.reset(token)
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": body})
