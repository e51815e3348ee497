"""The account page: profile, personal API tokens, downloading one's data, deleting the account."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from accounts.privacy import delete_account, export_my_data
from accounts.profiles import ProfileService, countries
from accounts.services import TOKEN_SCOPES, normalise_email
from accounts.tokens import TokenService
from app import i18n
from app.urls import request_paths, url_path
from app.web import Context, endpoint, redirect, render
from consultations.my_comments import THREAD_STATES, my_comments
from core.enums import StakeholderGroup
from core.errors import InvalidInput
from core.i18n import N_
from core.ids import parse_id
from core.urls import with_query

PROFILE_FIELDS = ("name", "stakeholder_group", "organisation", "country")
NO_STORE = {"Cache-Control": "no-store"}


def _profiles(context: Context) -> ProfileService:
    return ProfileService(context.session, clock=context.clock)


def _tokens(context: Context) -> TokenService:
    return TokenService(context.session, clock=context.clock)


def _page(context: Context, status_code: int = 200, **extra: Any) -> Response:
    """The account page; `extra` fills in a section's form, error or new token."""
    user = context.require_user()
    profile = {
        "name": user.name,
        "stakeholder_group": user.stakeholder_group.value if user.stakeholder_group else "",
        "organisation": user.organisation or "",
        "country": user.country or "",
    }
    values = {
        "account": user,
        "profile": profile | extra.pop("profile", {}),
        "groups": list(StakeholderGroup),
        "countries": countries(i18n.current_language.get()),
        "organisations": [org.name for org, _count in _profiles(context).organisations()],
        "tokens": _tokens(context).list(user),
        "scopes": TOKEN_SCOPES,
        "token_form": {},
        "errors": {},
        "new_token": None,
        "saved": context.request.query_params.get("saved") == "profile",
        "saved_notify": context.request.query_params.get("saved") == "notify",
        **extra,
    }
    headers = NO_STORE if values["new_token"] else None
    return render(
        context.request, "account/page.html", values, status_code=status_code, headers=headers
    )


def account_page(context: Context) -> Response:
    return _page(context)


def my_comments_page(context: Context) -> Response:
    """Everything the person posted, with receipts, thread states and dispositions."""
    page = parse_id(context.request.query_params.get("page")) or 1
    listing = my_comments(context.session, context.require_user(), page)
    values = {"listing": listing, "thread_states": THREAD_STATES}
    return render(context.request, "account/comments.html", values, headers=NO_STORE)


def update_profile(context: Context) -> Response:
    typed = {name: context.form.get(name, "") for name in PROFILE_FIELDS}
    try:
        with context.attempt():
            _profiles(context).update(
                context.require_user(),
                typed["name"],
                typed["stakeholder_group"],
                typed["organisation"],
                typed["country"],
            )
    except InvalidInput as error:
        return _page(context, 422, profile=typed, errors={"profile": error})
    account = url_path(context.request, "account")
    return redirect(with_query(account, saved="profile") + "#profile")


def create_token(context: Context) -> Response:
    typed = {"name": context.form.get("name", ""), "scope": context.form.get("scope", "")}
    try:
        with context.attempt():
            user = context.require_user()
            secret = _tokens(context).create(user, typed["name"], typed["scope"])
    except InvalidInput as error:
        return _page(context, 422, token_form=typed, errors={"token": error})
    # Shown in this response only (never stored, never in a URL): a later GET won't.
    return _page(context, new_token=secret)


def revoke_token(context: Context) -> Response:
    _tokens(context).revoke(context.require_user(), context.params["token_id"])
    return redirect(url_path(context.request, "account") + "#tokens")


def download_data(context: Context) -> Response:
    data = export_my_data(context.session, context.require_user(), request_paths(context.request))
    body = json.dumps(data, ensure_ascii=False, indent=2)
    headers = {"Content-Disposition": 'attachment; filename="roundtable-my-data.json"'}
    return Response(body, media_type="application/json", headers=headers | NO_STORE)


def delete_my_account(context: Context) -> Response:
    """Delete the account once its email address is typed, then end the session."""
    user = context.require_user()
    if normalise_email(context.form.get("email", "")) != normalise_email(user.email):
        error = InvalidInput(
            N_("Type the email address of your account to confirm."),
            fields={"email": N_("does not match")},
        )
        return _page(context, 422, errors={"delete": error})
    delete_account(context.session, user, clock=context.clock)
    context.signed_out()
    return render(context.request, "account/deleted.html")


routes = [
    Route("/account", endpoint(account_page), name="account"),
    Route("/account/comments", endpoint(my_comments_page), name="my_comments"),
    Route("/account/profile", endpoint(update_profile), methods=["POST"], name="account_profile"),
    Route("/account/tokens", endpoint(create_token), methods=["POST"], name="account_tokens"),
    Route(
        "/account/tokens/{token_id:id}/revoke",
        endpoint(revoke_token),
        methods=["POST"],
        name="account_revoke_token",
    ),
    Route("/account/data.json", endpoint(download_data), name="account_data"),
    Route("/account/delete", endpoint(delete_my_account), methods=["POST"], name="account_delete"),
]
