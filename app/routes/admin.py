"""Administration: people and the verification of their affiliations, organisations.

Editors are not administrators: every page here is for the admin role only.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts.policy import require_admin
from accounts.profiles import ProfileService
from app.routes.auth import safe_next
from app.urls import url_path
from app.web import Context, endpoint, redirect, render
from core import mail
from core.enums import StakeholderGroup
from core.errors import NotFound
from core.i18n import N_
from core.ids import parse_id

STATUSES = ("unverified", "verified")


def _filters(request: Request) -> dict[str, str]:
    """The people list's filters, with unknown values dropped rather than refused."""
    params = request.query_params
    status = params.get("status", "")
    group = params.get("group", "")
    organisation = params.get("organisation", "")
    return {
        "status": status if status in STATUSES else "",
        "group": group if group in set(StakeholderGroup) else "",
        "organisation": organisation if parse_id(organisation) else "",
    }


def index(context: Context) -> Response:
    require_admin(context.user)
    return redirect(url_path(context.request, "admin_people"))


def people(context: Context) -> Response:
    filters = _filters(context.request)
    require_admin(context.user)
    service = ProfileService(context.session, clock=context.clock)
    organisation_id = int(filters["organisation"]) if filters["organisation"] else None
    listed = service.people(
        verified={"verified": True, "unverified": False}.get(filters["status"]),
        group=StakeholderGroup(filters["group"]) if filters["group"] else None,
        organisation_id=organisation_id,
    )
    query = urlencode({k: v for k, v in filters.items() if v})
    values = {
        "people": listed,
        "filters": filters,
        "organisation": service.organisation(organisation_id) if organisation_id else None,
        "groups": list(StakeholderGroup),
        "here": url_path(context.request, "admin_people") + (f"?{query}" if query else ""),
    }
    return render(context.request, "admin/people.html", values)


def verify(context: Context) -> Response:
    return _decide(context, verified=True)


def revoke(context: Context) -> Response:
    return _decide(context, verified=False)


def _decide(context: Context, *, verified: bool) -> Response:
    admin = require_admin(context.user)
    service = ProfileService(context.session, clock=context.clock)
    person = service.person(context.params["user_id"])
    if person is None:
        raise NotFound(N_("No such person."))
    if verified:
        service.verify_affiliation(admin, person)
    else:
        service.revoke_verification(admin, person)
    people = url_path(context.request, "admin_people")
    back = safe_next(context.request, context.form.get("next"))
    back = back if back.startswith(people) else people
    return redirect(f"{back}#person-{person.id}")


def organisations(context: Context) -> Response:
    require_admin(context.user)
    listed = ProfileService(context.session, clock=context.clock).organisations()
    return render(context.request, "admin/organisations.html", {"organisations": listed})


def failed_mail(context: Context) -> Response:
    """Mail given up on after a day of retries, so that an admin learns of it."""
    require_admin(context.user)
    failed = mail.failed_mail(context.session)
    return render(context.request, "admin/mail.html", {"failed": failed})


def retry_mail(context: Context) -> Response:
    admin = require_admin(context.user)
    event_id = context.params["event_id"]
    mail.retry_failed(context.session, event_id, actor_id=admin.id, now=context.clock.now())
    return redirect(url_path(context.request, "admin_mail"))


routes = [
    Route("/admin", endpoint(index), name="admin"),
    Route("/admin/people", endpoint(people), name="admin_people"),
    Route(
        "/admin/people/{user_id:id}/verify",
        endpoint(verify),
        methods=["POST"],
        name="admin_verify",
    ),
    Route(
        "/admin/people/{user_id:id}/revoke",
        endpoint(revoke),
        methods=["POST"],
        name="admin_revoke",
    ),
    Route("/admin/organisations", endpoint(organisations), name="admin_organisations"),
    Route("/admin/mail", endpoint(failed_mail), name="admin_mail"),
    Route(
        "/admin/mail/{event_id:id}/retry",
        endpoint(retry_mail),
        methods=["POST"],
        name="admin_retry_mail",
    ),
]
