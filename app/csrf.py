"""CSRF protection for every form and htmx request (double-submit cookie, signed).

We wrote this rather than use asgi-csrf: its 0.11 release breaks on multipart forms with
current python-multipart, and it lets any request without cookies through. Here every unsafe
request outside the bearer-token API must carry the token, as a form field `csrftoken` or as
the `x-csrftoken` header that htmx sends (see `hx-headers` in base.html).

A browser also says where an unsafe request comes from, and a cross-site one is refused
even with a valid token: `Sec-Fetch-Site` must be `same-origin` (or `none`, a request the
person made themselves), or else `Origin` must be this site's (BASE_URL's, or the
request's own host). A request with neither header is a program's or a very old
browser's: the token alone decides. The token changes at sign-in (`rotate`), so one
learned before cannot be used in the signed-in session.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import i18n
from app.forms import FormTooLarge, UnreadableForm, close_form, parse_form
from app.statuses import status_of
from core.i18n import N_

COOKIE = "csrftoken"
FIELD = "csrftoken"
HEADER = "x-csrftoken"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
MAX_BODY_BYTES = 6 * 1024 * 1024
SAME_SITE_FETCHES = frozenset({"same-origin", "none"})
ROTATE = "csrf.rotate"  # the scope key of the request's `rotate` hook


def rotate(request: Request) -> None:
    """Hand out a new token with this response (at sign-in)."""
    request.scope[ROTATE]()


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


EMPTY: Mapping[str, object] = MappingProxyType({})


class CSRFMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: str,
        secure: bool,
        origin: str,
        exempt_prefixes: tuple[str, ...] = ("/api/", "/csp-report", "/unsubscribe/"),
    ):
        """`origin`: the site's own (BASE_URL), the one unsafe requests must come from.
        `exempt_prefixes`: the bearer-token API, the CSP report endpoint (browsers
        send reports without cookies; it changes no state), and one-click unsubscribing
        (RFC 8058: mail clients POST from elsewhere; the URL's signed token authorises it)."""
        self.app = app
        self.signer = URLSafeSerializer(secret, salt="csrf")
        self.secure = secure
        self.origin = origin_of(origin)
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _LazyToken(self, scope)
        scope["csrftoken"] = token.get
        scope[ROTATE] = token.rotate
        if scope["method"] not in SAFE_METHODS and not scope["path"].startswith(
            self.exempt_prefixes
        ):
            if self._cross_site(Request(scope)):
                await _refuse(scope, send, 403, _EXPIRED)
                return
            body = await _read_body(receive)
            if body is None:
                await _refuse(scope, send, 413, N_("The request is too large."))
                return
            cookie = token.cookie()
            try:
                matches = token.valid() and await self._submitted_matches(scope, body, cookie)
            except (FormTooLarge, UnreadableForm) as error:
                status = status_of(error)
                await _refuse(scope, send, status, error.template, error.values)
                return
            if not matches:
                await _refuse(scope, send, 403, _EXPIRED)
                return
            receive = _replay(body)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and token.issued:
                headers = MutableHeaders(scope=message)
                secure = "; Secure" if self.secure else ""
                headers.append(
                    "set-cookie", f"{COOKIE}={token.get()}; Path=/; SameSite=Lax; HttpOnly{secure}"
                )
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            await close_form(scope)

    def _cross_site(self, request: Request) -> bool:
        """What the browser says of where the request comes from, when it says anything."""
        fetch_site = request.headers.get("sec-fetch-site")
        if fetch_site is not None:
            return fetch_site.lower() not in SAME_SITE_FETCHES
        origin = request.headers.get("origin")
        if origin is None:
            return False
        own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
        return origin.lower() not in {self.origin, own}

    def _valid(self, token: str) -> bool:
        try:
            self.signer.loads(token)
        except BadSignature:
            return False
        return True

    async def _submitted_matches(self, scope: Scope, body: bytes, cookie: str) -> bool:
        request = Request(scope)
        submitted = request.headers.get(HEADER)
        if submitted is None:
            # Parsed once: the route reads this form from the scope (`parse_form`).
            value = (await parse_form(Request(scope, _replay(body)))).get(FIELD)
            submitted = value if isinstance(value, str) else ""
        return hmac.compare_digest(submitted.encode(), cookie.encode())


class _LazyToken:
    """The request's CSRF token, worked out only when something asks for it (a form being
    rendered, an unsafe request being checked): the cookie is parsed and checked, and a
    new token signed, at most once per request, and never for requests that need neither,
    such as the bearer-token API's."""

    __slots__ = ("_cookie", "_middleware", "_scope", "_token", "_valid", "issued")

    def __init__(self, middleware: CSRFMiddleware, scope: Scope) -> None:
        self._middleware = middleware
        self._scope = scope
        self._cookie: str | None = None
        self._token: str | None = None
        self._valid: bool | None = None
        self.issued = False  # a new token was handed out, so the response must set it

    def cookie(self) -> str:
        if self._cookie is None:
            self._cookie = Request(self._scope).cookies.get(COOKIE, "")
        return self._cookie

    def valid(self) -> bool:
        """Whether the cookie holds a token we signed."""
        if self._valid is None:
            self._valid = self._middleware._valid(self.cookie())
        return self._valid

    def get(self) -> str:
        if self._token is None:
            if self.valid():
                self._token = self.cookie()
            else:
                self.rotate()
        assert self._token is not None
        return self._token

    def rotate(self) -> None:
        """A new token, whatever the cookie held; the response sets it."""
        self._token = self._middleware.signer.dumps(secrets.token_urlsafe(16))
        self.issued = True


_EXPIRED = N_(
    "This form has expired or was sent from another site. "
    "Go back, reload the page and send it again."
)


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, or None when it exceeds the limit."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _refuse(
    scope: Scope, send: Send, status: int, message: str, values: Mapping[str, object] = EMPTY
) -> None:
    """A plain-text refusal (this runs outside the app's error pages), translated, with
    `values` filled into the translated text."""
    language = i18n.negotiate(Request(scope).cookies.get("lang"), None)
    token = i18n.current_language.set(language)
    try:
        text = i18n.gettext(message) % values if values else i18n.gettext(message)
        response = PlainTextResponse(text, status_code=status)
    finally:
        i18n.current_language.reset(token)
    await response({**scope}, _replay(b""), send)
