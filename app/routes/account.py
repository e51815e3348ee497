"""The account page: profile, personal API tokens, downloading one's data, deleting the account."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts.models import User
from accounts.privacy import delete_account, export_my_data
from accounts.profiles import ProfileService, countries
from accounts.services import TOKEN_SCOPES, normalise_email
from accounts.tokens import TokenService
from app import i18n
from app.i18n import N_
from app.urls import url_path
from app.web import clock, form_data, redirect, render, require_user, transaction
from core.enums import StakeholderGroup
from core.errors import InvalidInput
from core.urls import with_query

#: Messages of accounts/profiles.py, tokens.py and this module shown through `_(message)`.
MESSAGES = (
    N_("The profile could not be saved."),
    N_("Choose your stakeholder group from the list."),
    N_("Choose a country from the list."),
    N_("The token could not be created."),
    N_("Choose read or write."),
    N_("No such token."),
    N_("Type the email address of your account to confirm."),
    N_("does not match"),
    N_("Sign in as an administrator to do this."),
    N_("Only administrators may do this."),
    N_("This person has not chosen a stakeholder group yet."),
)
PROFILE_FIELDS = ("name", "stakeholder_group", "organisation", "country")
NO_STORE = {"Cache-Control": "no-store"}


def _profiles(request: Request, session: Session) -> ProfileService:
    return ProfileService(session, clock=clock(request))


def _tokens(request: Request, session: Session) -> TokenService:
    return TokenService(session, clock=clock(request))


def _context(request: Request, session: Session, user: User, **extra: Any) -> dict[str, Any]:
    """What the account page shows; `extra` fills in a section's form, error or new token."""
    profile = {
        "name": user.name,
        "stakeholder_group": user.stakeholder_group.value if user.stakeholder_group else "",
        "organisation": user.organisation or "",
        "country": user.country or "",
    }
    return {
        "account": user,
        "profile": profile | extra.pop("profile", {}),
        "groups": list(StakeholderGroup),
        "countries": countries(i18n.current_language.get()),
        "organisations": [org.name for org, _count in _profiles(request, session).organisations()],
        "tokens": _tokens(request, session).list(user),
        "scopes": TOKEN_SCOPES,
        "token_form": {},
        "errors": {},
        "new_token": None,
        "saved": request.query_params.get("saved") == "profile",
        **extra,
    }


def _page(request: Request, context: dict[str, Any], status_code: int = 200) -> Response:
    # Rendered after the transaction: the page header reads the viewer in one of its own.
    headers = NO_STORE if context["new_token"] else None
    return render(request, "account/page.html", context, status_code=status_code, headers=headers)


def _again(request: Request, **extra: Any) -> Response:
    """The page once more, after a refused form (whose transaction was rolled back whole)."""
    with transaction(request) as session:
        context = _context(request, session, require_user(request, session), **extra)
    return _page(request, context, status_code=422)


async def account_page(request: Request) -> Response:
    with transaction(request) as session:
        context = _context(request, session, require_user(request, session))
    return _page(request, context)


async def update_profile(request: Request) -> Response:
    form = await form_data(request)
    typed = {name: form.get(name, "") for name in PROFILE_FIELDS}
    try:
        with transaction(request) as session:
            _profiles(request, session).update(
                require_user(request, session),
                typed["name"],
                typed["stakeholder_group"],
                typed["organisation"],
                typed["country"],
            )
    except InvalidInput as error:
        return _again(request, profile=typed, errors={"profile": error})
    return redirect(with_query(url_path(request, "account"), saved="profile") + "#profile")


async def create_token(request: Request) -> Response:
    form = await form_data(request)
    typed = {"name": form.get("name", ""), "scope": form.get("scope", "")}
    try:
        with transaction(request) as session:
            user = require_user(request, session)
            secret = _tokens(request, session).create(user, typed["name"], typed["scope"])
            # Shown in this response only (never stored, never in a URL): a later GET won't.
            context = _context(request, session, user, new_token=secret)
    except InvalidInput as error:
        return _again(request, token_form=typed, errors={"token": error})
    return _page(request, context)


async def revoke_token(request: Request) -> Response:
    with transaction(request) as session:
        user = require_user(request, session)
        _tokens(request, session).revoke(user, request.path_params["token_id"])
    return redirect(url_path(request, "account") + "#tokens")


async def download_data(request: Request) -> Response:
    with transaction(request) as session:
        data = export_my_data(session, require_user(request, session))
    body = json.dumps(data, ensure_ascii=False, indent=2)
    headers = {"Content-Disposition": 'attachment; filename="roundtable-my-data.json"'}
    return Response(body, media_type="application/json", headers=headers | NO_STORE)


async def delete_my_account(request: Request) -> Response:
    """Delete the account once its email address is typed, then end the session."""
    form = await form_data(request)
    with transaction(request) as session:
        user = require_user(request, session)
        confirmed = normalise_email(form.get("email", "")) == normalise_email(user.email)
        if confirmed:
            delete_account(session, user, clock=clock(request))
    if not confirmed:
        error = InvalidInput(
            "Type the email address of your account to confirm.", fields={"email": "does not match"}
        )
        return _again(request, errors={"delete": error})
    request.session.clear()
    request.state.viewer = None
    return render(request, "account/deleted.html")


routes = [
    Route("/account", account_page, name="account"),
    Route("/account/profile", update_profile, methods=["POST"], name="account_profile"),
    Route("/account/tokens", create_token, methods=["POST"], name="account_tokens"),
    Route(
        "/account/tokens/{token_id:int}/revoke",
        revoke_token,
        methods=["POST"],
        name="account_revoke_token",
    ),
    Route("/account/data.json", download_data, name="account_data"),
    Route("/account/delete", delete_my_account, methods=["POST"], name="account_delete"),
]
