"""The start page, and the icon browsers ask for at /favicon.ico."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from app.templating import TEMPLATES_DIR
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


FAVICON = TEMPLATES_DIR.parent / "static" / "favicon.ico"


async def favicon(_request: Request) -> Response:
    """Browsers and feed readers ask for /favicon.ico whatever the page links; pages link the
    SVG. The ICO (16, 32 and 48 px PNGs) is the SVG rendered by Chromium."""
    return FileResponse(
        FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )


routes = [
    Route("/", endpoint(home), name="home"),
    Route("/favicon.ico", favicon, name="favicon"),
]
