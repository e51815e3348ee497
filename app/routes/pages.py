"""The start page."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import Route

from app.web import Context, endpoint, render
from briefs.models import Brief, BriefVersion
from consultations.period import period_note
from consultations.services import ConsultationService
from core.enums import Phase


def home(context: Context) -> Response:
    service = ConsultationService(context.session, clock=context.clock)
    now = context.clock.now()
    listed = service.listing(status=Phase.OPEN)
    open_now = [item.consultation for item in listed]
    periods = {c.id: period_note(c, status, now) for c, status in listed}
    latest = context.session.execute(
        select(Brief, BriefVersion)
        .join(BriefVersion)
        .where(BriefVersion.published_at.is_not(None))
        .order_by(BriefVersion.published_at.desc())
        .limit(5)
    ).all()
    return render(
        context.request,
        "home.html",
        {"open_now": open_now, "periods": periods, "latest_briefs": latest},
    )


routes = [Route("/", endpoint(home), name="home")]
