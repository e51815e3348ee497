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
from app.throttle import client_ip
from app.urls import url_path
from app.web import Context, endpoint, redirect, render, start_session
from core.errors import InvalidInput
from core.i18n import N_
from core.urls import with_query

WRONG_CREDENTIALS = N_("Wrong email or password.")
NOTICES = {
    "password-changed": N_("Your password has been changed. Sign in with your new password."),
    "signed-out-everywhere": N_("You have been signed out on every device."),
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


def rate_limit(context: Context, *checks: tuple[Limit, str]) -> None:
    """Count the attempt against each (limit, subject) first, in one statement. A refused
    attempt counts for none (its savepoint is undone); what follows an allowed one runs in a
    savepoint of its own or cannot fail, so the counts stand whatever becomes of the request."""
    with context.attempt():
        RateLimiter(context.session, clock=context.clock).check_all(checks)


def too_many(exc: TooManyAttempts) -> dict[str, str]:
    return {"Retry-After": str(exc.retry_after)}


# -- signing in and out --------------------------------------------------------------------


def _signin_context(request: Request, **values: object) -> dict[str, object]:
    notice = NOTICES.get(request.query_params.get("notice", ""))
    defaults = {"next": url_path(request, "home"), "error": None, "email": "", "notice": notice}
    return {**defaults, "providers": providers_for(request), **values}


def signin_page(context: Context) -> Response:
    next_url = safe_next(context.request, context.request.query_params.get("next"))
    return render(
        context.request, "auth/signin.html", _signin_context(context.request, next=next_url)
    )


def signin(context: Context) -> Response:
    """Argon2 verification runs here, in the thread pool, never on the event loop."""
    request, form = context.request, context.form
    email, password = form.get("email", ""), form.get("password", "")
    next_url = safe_next(request, form.get("next"))
    # Per address, and per account from that address: someone guessing elsewhere cannot
    # lock the account's owner out. The attempt is counted before the password is checked.
    attempt = ratelimits.pair(normalise_email(email), client_ip(request))
    try:
        rate_limit(
            context,
            (ratelimits.SIGNIN_PER_IP, client_ip(request)),
            (ratelimits.SIGNIN_PER_PAIR, attempt),
        )
    except TooManyAttempts as exc:
        values = _signin_context(request, next=next_url, email=email, error=exc.message)
        return render(request, "auth/signin.html", values, status_code=429, headers=too_many(exc))
    user = AccountService(context.session, clock=context.clock).authenticate(email, password)
    if user is not None:  # only failures add up
        RateLimiter(context.session, clock=context.clock).forget(
            ratelimits.SIGNIN_PER_PAIR, attempt
        )
    if user is None:
        values = _signin_context(request, next=next_url, email=email, error=WRONG_CREDENTIALS)
        return render(request, "auth/signin.html", values, status_code=401)
    start_session(context, user)
    return redirect(next_url)


async def signout(request: Request) -> Response:
    request.session.clear()
    return redirect(url_path(request, "home"))


def signout_everywhere(context: Context) -> Response:
    Registration(context.session, clock=context.clock).sign_out_everywhere(context.require_user())
    context.signed_out()
    signin = url_path(context.request, "signin_page")
    return redirect(with_query(signin, notice="signed-out-everywhere"))


# -- signing up and confirming the address --------------------------------------------------


def signup_page(context: Context) -> Response:
    return render(context.request, "auth/signup.html", {"name": "", "email": "", "error": None})


def signup(context: Context) -> Response:
    request, form = context.request, context.form
    name, email = form.get("name", ""), form.get("email", "")
    values: dict[str, object] = {"name": name, "email": email, "fields": {}}
    try:
        rate_limit(
            context,
            (ratelimits.SIGNUP_PER_IP, client_ip(request)),
            (ratelimits.SIGNUP_PER_EMAIL, normalise_email(email)),
        )
        with context.attempt():
            Registration(context.session, clock=context.clock).register(
                email, name, form.get("password", ""), i18n.current_language.get()
            )
    except TooManyAttempts as exc:
        values["error"] = exc.message
        return render(request, "auth/signup.html", values, status_code=429, headers=too_many(exc))
    except InvalidInput as exc:
        values |= {"error": exc.message, "fields": exc.fields}
        return render(request, "auth/signup.html", values, status_code=422)
    return render(request, "auth/check_email.html", {"kind": "signup"})


def verify_status(context: Context) -> Response:
    pending = needs_verification(context.require_user())
    values = {"pending": pending, "sent": context.request.query_params.get("sent") == "1"}
    return render(context.request, "auth/verify.html", values)


def resend_verification(context: Context) -> Response:
    user = context.require_user()
    try:
        rate_limit(context, (ratelimits.RESEND_PER_USER, str(user.id)))
    except TooManyAttempts as exc:
        values = {"pending": True, "error": exc.message}
        return render(
            context.request, "auth/verify.html", values, status_code=429, headers=too_many(exc)
        )
    sent = Registration(context.session, clock=context.clock).request_verification(user)
    verify = url_path(context.request, "verify_status")
    return redirect(with_query(verify, sent=1 if sent else None))


def verify_link(context: Context) -> Response:
    try:
        with context.attempt():
            Registration(context.session, clock=context.clock).verify_email(
                context.params["secret"]
            )
    except InvalidInput as exc:
        values = {"pending": True, "error": exc.message, "from_link": True}
        return render(
            context.request,
            "auth/verify.html",
            values,
            status_code=400,
            headers=SECRET_PAGE_HEADERS,
        )
    values = {"pending": False, "from_link": True}
    return render(context.request, "auth/verify.html", values, headers=SECRET_PAGE_HEADERS)


# -- a forgotten password --------------------------------------------------------------------


def forgot_page(context: Context) -> Response:
    return render(context.request, "auth/forgot.html", {"email": "", "error": None})


def forgot(context: Context) -> Response:
    request, email = context.request, context.form.get("email", "")
    try:
        rate_limit(
            context,
            (ratelimits.RESET_PER_IP, client_ip(request)),
            (ratelimits.RESET_PER_EMAIL, normalise_email(email)),
        )
    except TooManyAttempts as exc:
        values = {"email": email, "error": exc.message}
        return render(request, "auth/forgot.html", values, status_code=429, headers=too_many(exc))
    Registration(context.session, clock=context.clock).request_password_reset(email)
    return render(request, "auth/check_email.html", {"kind": "reset"})


def reset_page(context: Context) -> Response:
    try:
        EmailLinkService(context.session, clock=context.clock).peek(
            context.params["secret"], RESET_PASSWORD
        )
    except InvalidInput:
        return _reset_form(context.request, error=INVALID_LINK, status_code=400)
    return _reset_form(context.request)


def reset(context: Context) -> Response:
    try:
        with context.attempt():
            Registration(context.session, clock=context.clock).reset_password(
                context.params["secret"], context.form.get("password", "")
            )
    except InvalidInput as exc:
        status = 400 if exc.message == INVALID_LINK else 422
        return _reset_form(
            context.request, error=exc.message, fields=exc.fields, status_code=status
        )
    context.signed_out()
    signin = url_path(context.request, "signin_page")
    return redirect(with_query(signin, notice="password-changed"))


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
    Route("/signin", endpoint(signin_page), name="signin_page"),
    Route("/signin", endpoint(signin), methods=["POST"], name="signin"),
    Route("/signout", signout, methods=["POST"], name="signout"),
    Route(
        "/signout/everywhere",
        endpoint(signout_everywhere),
        methods=["POST"],
        name="signout_everywhere",
    ),
    Route("/signup", endpoint(signup_page), name="signup_page"),
    Route("/signup", endpoint(signup), methods=["POST"], name="signup"),
    Route("/verify", endpoint(verify_status), name="verify_status"),
    Route("/verify/resend", endpoint(resend_verification), methods=["POST"], name="verify_resend"),
    Route("/verify/{secret}", endpoint(verify_link), name="verify_link"),
    Route("/password/forgot", endpoint(forgot_page), name="forgot_page"),
    Route("/password/forgot", endpoint(forgot), methods=["POST"], name="forgot"),
    Route("/password/reset/{secret}", endpoint(reset_page), name="reset_page"),
    Route("/password/reset/{secret}", endpoint(reset), methods=["POST"], name="reset"),
    Route("/language/{code}", choose_language, name="language"),
]
