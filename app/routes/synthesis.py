"""The synthesis workspace: editors decide every thread and merge accepted suggestions.

Each thread card's disposition form works as a plain POST (redirect back to the card) and,
with htmx, swaps only that card, so an editor can work down a long queue without reloads.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.urls import url_path
from app.web import clock, form_data, is_htmx, redirect, render, require_user, transaction
from briefs.services import BriefService
from briefs.synthesis import QueueItem, SynthesisService
from consultations.models import Consultation
from consultations.services import require_editor
from core.enums import Disposition
from core.errors import InvalidInput


def _service(request: Request, session: Session) -> SynthesisService:
    return SynthesisService(session, clock=clock(request))


def _consultation(request: Request, service: SynthesisService) -> Consultation:
    """The consultation of the URL, for editors only (anonymous: 401, participants: 403)."""
    require_editor(require_user(request, service.session))
    return service.consultations.get(request.path_params["slug"])


def _card_context(
    service: SynthesisService, item: QueueItem, error: InvalidInput | None = None
) -> dict[str, Any]:
    landed = BriefService(service.session, clock=service.clock).citations_for_threads(
        [item.thread.id]
    )
    return {
        "consultation": item.thread.consultation,
        "item": item,
        "dispositions": list(Disposition),
        "cited_in": landed,
        "errors": {item.thread.id: error} if error else {},
        "form": {},
    }


async def workspace(request: Request) -> Response:
    with transaction(request) as session:
        service = _service(request, session)
        consultation = _consultation(request, service)
        context = _workspace_context(service, consultation)
    return render(request, "synthesis/workspace.html", context)


def _workspace_context(
    service: SynthesisService,
    consultation: Consultation,
    errors: dict[int, InvalidInput] | None = None,
    form: dict[str, str] | None = None,
) -> dict[str, Any]:
    items = service.queue(consultation)
    briefs = BriefService(service.session, clock=service.clock)
    return {
        "consultation": consultation,
        "items": items,
        "undecided": sum(1 for item in items if not item.decided),
        "dispositions": list(Disposition),
        "cited_in": briefs.citations_for_threads([item.thread.id for item in items]),
        "errors": errors or {},
        "form": form or {},
    }


async def decide(request: Request) -> Response:
    """Record a disposition; htmx gets the updated card, a plain form a redirect to it."""
    thread_id: int = request.path_params["thread_id"]
    form = await form_data(request)
    try:
        with transaction(request) as session:
            service = _service(request, session)
            consultation = _consultation(request, service)
            service.thread(consultation, thread_id)
            service.decide(
                thread_id,
                editor=require_user(request, session),
                disposition=form.get("disposition", ""),
                rationale=form.get("rationale", ""),
            )
            if is_htmx(request):
                context = _card_context(service, service.item(consultation, thread_id))
                return render(request, "synthesis/_card.html", context)
    except InvalidInput as error:
        return _decide_again(request, thread_id, form, error)
    workspace = url_path(request, "synthesis", slug=request.path_params["slug"])
    return redirect(f"{workspace}#card-{thread_id}")


def _decide_again(
    request: Request, thread_id: int, form: dict[str, str], error: InvalidInput
) -> Response:
    """The card (htmx) or the whole workspace again, with the problem and what was typed."""
    with transaction(request) as session:
        service = _service(request, session)
        consultation = _consultation(request, service)
        if is_htmx(request):
            context = _card_context(service, service.item(consultation, thread_id), error)
            context["form"] = form
            return render(request, "synthesis/_card.html", context, status_code=422)
        context = _workspace_context(service, consultation, {thread_id: error}, form)
    return render(request, "synthesis/workspace.html", context, status_code=422)


async def apply_suggestion(request: Request) -> Response:
    """Merge a suggestion as a new draft version, then show the editor what changed."""
    slug = request.path_params["slug"]
    with transaction(request) as session:
        service = _service(request, session)
        consultation = _consultation(request, service)
        version = service.apply_suggestion(
            request.path_params["comment_id"],
            editor=require_user(request, session),
            consultation=consultation,
        )
        number = version.number
    return redirect(url_path(request, "consultation_diff", slug=slug, old=number - 1, new=number))


routes = [
    Route("/consultations/{slug}/synthesis", workspace, name="synthesis"),
    Route(
        "/consultations/{slug}/threads/{thread_id:int}/disposition",
        decide,
        methods=["POST"],
        name="decide_thread",
    ),
    Route(
        "/consultations/{slug}/comments/{comment_id:int}/apply",
        apply_suggestion,
        methods=["POST"],
        name="apply_suggestion",
    ),
]
