"""ASGI middleware: security headers and the interface language (CSRF is in app/csrf.py)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import i18n
from app.routes.csp import PATH as CSP_REPORT_PATH

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
        f"report-uri {CSP_REPORT_PATH}",
        "report-to csp",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # The Reporting API's name for the endpoint of `report-to csp` (`report-uri` is the
    # older, still more widely sent form).
    "Reporting-Endpoints": f'csp="{CSP_REPORT_PATH}"',
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}
# Only when the site is served over https (BASE_URL): a browser then refuses plain http for
# a year. Not for subdomains: the chapter's other sites are not ours to decide.
HSTS = ("Strict-Transport-Security", "max-age=31536000")


class SecurityHeadersMiddleware:
    """A strict CSP on every response: no inline scripts or styles anywhere; HSTS too."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.headers = {**SECURITY_HEADERS, **dict([HSTS] if hsts else [])}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
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


class RejectNulMiddleware:
    """NUL can't be stored in PostgreSQL text and has no business in a page address: in a
    web path it becomes U+FFFD, the replacement character, which names no page, so the
    visitor gets the usual translated 404 page; NULs are dropped from web query strings.
    (The JSON API validates its own input and answers with JSON errors.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"]:
            scope = {**scope, "path": scope["path"].replace("\x00", "\ufffd")}
        query = scope.get("query_string", b"")
        if b"%00" in query:
            scope = {**scope, "query_string": query.replace(b"%00", b"")}
        await self.app(scope, receive, send)
