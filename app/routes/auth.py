"""Signing in and out with a local account, and choosing the interface language."""

from __future__ import annotations

from urllib.parse import urlparse

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts.services import AccountService
from app import i18n
from app.auth.oidc import providers_for
from app.web import SESSION_USER_KEY, clock, form_data, redirect, render, transaction


def safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a person to another site after sign-in."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


async def signin_page(request: Request) -> Response:
    context = {
        "next": safe_next(request.query_params.get("next")),
        "error": None,
        "email": "",
        "providers": providers_for(request),
    }
    return render(request, "auth/signin.html", context)


async def signin(request: Request) -> Response:
    form = await form_data(request)
    email, password = form.get("email", ""), form.get("password", "")
    with transaction(request) as session:
        user = AccountService(session, clock=clock(request)).authenticate(email, password)
        user_id = user.id if user else None
    if user_id is None:
        context = {
            "next": safe_next(form.get("next")),
            "email": email,
            "error": "Wrong email or password.",
            "providers": providers_for(request),
        }
        return render(request, "auth/signin.html", context, status_code=401)
    request.session.clear()
    request.session[SESSION_USER_KEY] = user_id
    return redirect(safe_next(form.get("next")))


async def signout(request: Request) -> Response:
    request.session.clear()
    return redirect("/")


async def choose_language(request: Request) -> Response:
    language = request.path_params["code"]
    response = redirect(safe_next(request.query_params.get("next")))
    if language in i18n.LANGUAGES:
        response.set_cookie("lang", language, max_age=365 * 24 * 3600, samesite="lax")
    return response


routes = [
    Route("/signin", signin_page, name="signin_page"),
    Route("/signin", signin, methods=["POST"], name="signin"),
    Route("/signout", signout, methods=["POST"], name="signout"),
    Route("/language/{code}", choose_language, name="language"),
]
