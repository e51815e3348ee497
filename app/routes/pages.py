"""The start page."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import Route

from app.web import Context, endpoint, render
from briefs.models import Brief, BriefVersion
from consultations.services import ConsultationService
from core.enums import ConsultationStatus


def home(context: Context) -> Response:
    service = ConsultationService(context.session, clock=context.clock)
    open_now = [
        c
        for c in service.listing(status=ConsultationStatus.OPEN)
        if service.is_accepting_comments(c)
    ]
    latest = context.session.execute(
        select(Brief, BriefVersion)
        .join(BriefVersion)
        .where(BriefVersion.published_at.is_not(None))
        .order_by(BriefVersion.published_at.desc())
        .limit(5)
    ).all()
    return render(context.request, "home.html", {"open_now": open_now, "latest_briefs": latest})


routes = [Route("/", endpoint(home), name="home")]
