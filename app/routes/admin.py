"""Administration: people and the verification of their affiliations, organisations.

Editors are not administrators: every page here is for the admin role only.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts.profiles import MAX_ID, ProfileService, require_admin
from app.i18n import N_
from app.routes.auth import safe_next
from app.urls import url_path
from app.web import clock, current_user, form_data, redirect, render, transaction
from core.enums import StakeholderGroup
from core.errors import NotFound

STATUSES = ("unverified", "verified")
#: Messages of this module shown through `_(message)`.
MESSAGES = (N_("No such person."),)


def _filters(request: Request) -> dict[str, str]:
    """The people list's filters, with unknown values dropped rather than refused."""
    params = request.query_params
    status = params.get("status", "")
    group = params.get("group", "")
    organisation = params.get("organisation", "")
    return {
        "status": status if status in STATUSES else "",
        "group": group if group in set(StakeholderGroup) else "",
        "organisation": organisation if _is_id(organisation) else "",
    }


def _is_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 10 and 0 < int(value) <= MAX_ID


async def index(request: Request) -> Response:
    with transaction(request) as session:
        require_admin(current_user(request, session))
    return redirect(url_path(request, "admin_people"))


async def people(request: Request) -> Response:
    filters = _filters(request)
    with transaction(request) as session:
        require_admin(current_user(request, session))
        service = ProfileService(session, clock=clock(request))
        listed = service.people(
            verified={"verified": True, "unverified": False}.get(filters["status"]),
            group=StakeholderGroup(filters["group"]) if filters["group"] else None,
            organisation_id=int(filters["organisation"]) if filters["organisation"] else None,
        )
        organisation = (
            service.organisation(int(filters["organisation"])) if filters["organisation"] else None
        )
    query = urlencode({k: v for k, v in filters.items() if v})
    context = {
        "people": listed,
        "filters": filters,
        "organisation": organisation,
        "groups": list(StakeholderGroup),
        "here": url_path(request, "admin_people") + (f"?{query}" if query else ""),
    }
    return render(request, "admin/people.html", context)


async def verify(request: Request) -> Response:
    return await _decide(request, verified=True)


async def revoke(request: Request) -> Response:
    return await _decide(request, verified=False)


async def _decide(request: Request, *, verified: bool) -> Response:
    form = await form_data(request)
    with transaction(request) as session:
        admin = require_admin(current_user(request, session))
        service = ProfileService(session, clock=clock(request))
        person = service.person(request.path_params["user_id"])
        if person is None:
            raise NotFound("No such person.")
        if verified:
            service.verify_affiliation(admin, person)
        else:
            service.revoke_verification(admin, person)
        person_id = person.id
    people = url_path(request, "admin_people")
    back = safe_next(request, form.get("next"))
    back = back if back.startswith(people) else people
    return redirect(f"{back}#person-{person_id}")


async def organisations(request: Request) -> Response:
    with transaction(request) as session:
        require_admin(current_user(request, session))
        listed = ProfileService(session, clock=clock(request)).organisations()
    return render(request, "admin/organisations.html", {"organisations": listed})


routes = [
    Route("/admin", index, name="admin"),
    Route("/admin/people", people, name="admin_people"),
    Route("/admin/people/{user_id:int}/verify", verify, methods=["POST"], name="admin_verify"),
    Route("/admin/people/{user_id:int}/revoke", revoke, methods=["POST"], name="admin_revoke"),
    Route("/admin/organisations", organisations, name="admin_organisations"),
]
