"""Local accounts in the browser: signing in and out (here or everywhere), signing up,
confirming the address, resetting a forgotten password; and choosing the interface language.

Pages reached by a link with a secret in its path answer with `Referrer-Policy: no-referrer`
(and `Cache-Control: no-store`), so the secret never leaves in a Referer header. Opening a
confirmation link confirms the address at once (a mail scanner that opens it can only
confirm the address it was delivered to); opening a reset link only shows the form, and
sending the form uses the link up.
"""

from __future__ import annotations

from urllib.parse import urlparse

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts import ratelimits
from accounts.links import INVALID_LINK, RESET_PASSWORD, EmailLinkService
from accounts.ratelimits import Limit, RateLimiter, TooManyAttempts
from accounts.registration import Registration, needs_verification
from accounts.services import AccountService, normalise_email
from app import i18n
from app.auth.oidc import providers_for
from app.urls import url_path
from app.web import (
    clock,
    form_data,
    redirect,
    render,
    require_user,
    start_session,
    transaction,
)
from core.errors import InvalidInput
from core.urls import with_query

WRONG_CREDENTIALS = "Wrong email or password."
NOTICES = {
    "password-changed": "Your password has been changed. Sign in with your new password.",
    "signed-out-everywhere": "You have been signed out on every device.",
}
SECRET_PAGE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def safe_next(request: Request, target: str | None) -> str:
    """Only same-site paths: never redirect a person to another site after sign-in."""
    if not target:
        return url_path(request, "home")
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return url_path(request, "home")
    return target


def client_ip(request: Request) -> str:
    """The client's address; behind a proxy, uvicorn's --proxy-headers sets it."""
    return request.client.host if request.client else "unknown"


def rate_limit(request: Request, *checks: tuple[Limit, str]) -> None:
    """Count the attempt against each (limit, subject), in a transaction of its own: the
    counts stand whatever becomes of the request, and a row is locked only for a moment."""
    with transaction(request) as session:
        limiter = RateLimiter(session, clock=clock(request))
        for limit, subject in checks:
            limiter.check(limit, subject)


def too_many(exc: TooManyAttempts) -> dict[str, str]:
    return {"Retry-After": str(exc.retry_after)}


# -- signing in and out --------------------------------------------------------------------


def _signin_context(request: Request, **values: object) -> dict[str, object]:
    notice = NOTICES.get(request.query_params.get("notice", ""))
    defaults = {"next": url_path(request, "home"), "error": None, "email": "", "notice": notice}
    return {**defaults, "providers": providers_for(request), **values}


async def signin_page(request: Request) -> Response:
    next_url = safe_next(request, request.query_params.get("next"))
    return render(request, "auth/signin.html", _signin_context(request, next=next_url))


async def signin(request: Request) -> Response:
    form = await form_data(request)
    email, password = form.get("email", ""), form.get("password", "")
    next_url = safe_next(request, form.get("next"))
    try:
        rate_limit(
            request,
            (ratelimits.SIGNIN_PER_IP, client_ip(request)),
            (ratelimits.SIGNIN_PER_EMAIL, normalise_email(email)),
        )
    except TooManyAttempts as exc:
        context = _signin_context(request, next=next_url, email=email, error=exc.message)
        return render(request, "auth/signin.html", context, status_code=429, headers=too_many(exc))
    with transaction(request) as session:
        user = AccountService(session, clock=clock(request)).authenticate(email, password)
    if user is None:
        context = _signin_context(request, next=next_url, email=email, error=WRONG_CREDENTIALS)
        return render(request, "auth/signin.html", context, status_code=401)
    start_session(request, user)
    return redirect(next_url)


async def signout(request: Request) -> Response:
    request.session.clear()
    return redirect(url_path(request, "home"))


async def signout_everywhere(request: Request) -> Response:
    with transaction(request) as session:
        user = require_user(request, session)
        Registration(session, clock=clock(request)).sign_out_everywhere(user)
    request.session.clear()
    return redirect(with_query(url_path(request, "signin_page"), notice="signed-out-everywhere"))


# -- signing up and confirming the address --------------------------------------------------


async def signup_page(request: Request) -> Response:
    return render(request, "auth/signup.html", {"name": "", "email": "", "error": None})


async def signup(request: Request) -> Response:
    form = await form_data(request)
    name, email = form.get("name", ""), form.get("email", "")
    context: dict[str, object] = {"name": name, "email": email, "fields": {}}
    try:
        rate_limit(
            request,
            (ratelimits.SIGNUP_PER_IP, client_ip(request)),
            (ratelimits.SIGNUP_PER_EMAIL, normalise_email(email)),
        )
        with transaction(request) as session:
            Registration(session, clock=clock(request)).register(
                email, name, form.get("password", "")
            )
    except TooManyAttempts as exc:
        context["error"] = exc.message
        return render(request, "auth/signup.html", context, status_code=429, headers=too_many(exc))
    except InvalidInput as exc:
        context |= {"error": exc.message, "fields": exc.fields}
        return render(request, "auth/signup.html", context, status_code=422)
    return render(request, "auth/check_email.html", {"kind": "signup"})


async def verify_status(request: Request) -> Response:
    with transaction(request) as session:
        user = require_user(request, session)
        pending = needs_verification(user)
    context = {"pending": pending, "sent": request.query_params.get("sent") == "1"}
    return render(request, "auth/verify.html", context)


async def resend_verification(request: Request) -> Response:
    with transaction(request) as session:
        user_id = str(require_user(request, session).id)
    try:
        rate_limit(request, (ratelimits.RESEND_PER_USER, user_id))
    except TooManyAttempts as exc:
        context = {"pending": True, "error": exc.message}
        return render(request, "auth/verify.html", context, status_code=429, headers=too_many(exc))
    with transaction(request) as session:
        user = require_user(request, session)
        sent = Registration(session, clock=clock(request)).request_verification(user)
    return redirect(with_query(url_path(request, "verify_status"), sent=1 if sent else None))


async def verify_link(request: Request) -> Response:
    try:
        with transaction(request) as session:
            Registration(session, clock=clock(request)).verify_email(request.path_params["secret"])
    except InvalidInput as exc:
        context = {"pending": True, "error": exc.message, "from_link": True}
        return render(
            request, "auth/verify.html", context, status_code=400, headers=SECRET_PAGE_HEADERS
        )
    context = {"pending": False, "from_link": True}
    return render(request, "auth/verify.html", context, headers=SECRET_PAGE_HEADERS)


# -- a forgotten password --------------------------------------------------------------------


async def forgot_page(request: Request) -> Response:
    return render(request, "auth/forgot.html", {"email": "", "error": None})


async def forgot(request: Request) -> Response:
    email = (await form_data(request)).get("email", "")
    try:
        rate_limit(
            request,
            (ratelimits.RESET_PER_IP, client_ip(request)),
            (ratelimits.RESET_PER_EMAIL, normalise_email(email)),
        )
    except TooManyAttempts as exc:
        context = {"email": email, "error": exc.message}
        return render(request, "auth/forgot.html", context, status_code=429, headers=too_many(exc))
    with transaction(request) as session:
        Registration(session, clock=clock(request)).request_password_reset(email)
    return render(request, "auth/check_email.html", {"kind": "reset"})


async def reset_page(request: Request) -> Response:
    secret = request.path_params["secret"]
    try:
        with transaction(request) as session:
            EmailLinkService(session, clock=clock(request)).peek(secret, RESET_PASSWORD)
    except InvalidInput:
        return _reset_form(request, error=INVALID_LINK, status_code=400)
    return _reset_form(request)


async def reset(request: Request) -> Response:
    password = (await form_data(request)).get("password", "")
    try:
        with transaction(request) as session:
            Registration(session, clock=clock(request)).reset_password(
                request.path_params["secret"], password
            )
    except InvalidInput as exc:
        status = 400 if exc.message == INVALID_LINK else 422
        return _reset_form(request, error=exc.message, fields=exc.fields, status_code=status)
    request.session.clear()
    return redirect(with_query(url_path(request, "signin_page"), notice="password-changed"))


def _reset_form(
    request: Request,
    *,
    error: str | None = None,
    fields: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "secret": request.path_params["secret"],
        "invalid": error == INVALID_LINK,
        "error": error,
        "fields": fields or {},
    }
    return render(
        request, "auth/reset.html", context, status_code=status_code, headers=SECRET_PAGE_HEADERS
    )


# -- the interface language ------------------------------------------------------------------


async def choose_language(request: Request) -> Response:
    language = request.path_params["code"]
    response = redirect(safe_next(request, request.query_params.get("next")))
    if language in i18n.LANGUAGES:
        response.set_cookie("lang", language, max_age=365 * 24 * 3600, samesite="lax")
    return response


routes = [
    Route("/signin", signin_page, name="signin_page"),
    Route("/signin", signin, methods=["POST"], name="signin"),
    Route("/signout", signout, methods=["POST"], name="signout"),
    Route("/signout/everywhere", signout_everywhere, methods=["POST"], name="signout_everywhere"),
    Route("/signup", signup_page, name="signup_page"),
    Route("/signup", signup, methods=["POST"], name="signup"),
    Route("/verify", verify_status, name="verify_status"),
    Route("/verify/resend", resend_verification, methods=["POST"], name="verify_resend"),
    Route("/verify/{secret}", verify_link, name="verify_link"),
    Route("/password/forgot", forgot_page, name="forgot_page"),
    Route("/password/forgot", forgot, methods=["POST"], name="forgot"),
    Route("/password/reset/{secret}", reset_page, name="reset_page"),
    Route("/password/reset/{secret}", reset, methods=["POST"], name="reset"),
    Route("/language/{code}", choose_language, name="language"),
]
