"""The synthesis workspace: editors decide every thread and merge accepted suggestions.

Each thread card's disposition form works as a plain POST (redirect back to the card) and,
with htmx, swaps only that card, so an editor can work down a long queue without reloads.
The card is rendered in the request's one transaction, with the session that wrote it.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from accounts.policy import require_editor
from app.urls import url_path
from app.web import Context, endpoint, is_htmx, redirect, render
from briefs import dispositions
from briefs.dispositions import Decision
from briefs.services import BriefService
from briefs.synthesis import QueueItem, SynthesisService
from consultations.models import Consultation
from core.enums import Disposition
from core.errors import InvalidInput


def _service(context: Context) -> SynthesisService:
    return SynthesisService(context.session, clock=context.clock)


def _consultation(context: Context, service: SynthesisService) -> Consultation:
    """The consultation of the URL, for editors only (anonymous: 401, participants: 403)."""
    require_editor(context.user)
    return service.consultations.get(context.params["slug"])


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


def workspace(context: Context) -> Response:
    service = _service(context)
    values = _workspace_context(service, _consultation(context, service))
    return render(context.request, "synthesis/workspace.html", values)


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


def decide(context: Context) -> Response:
    """Record a disposition; htmx gets the updated card, a plain form a redirect to it.
    A refused disposition shows the card (or the workspace) again with what was typed."""
    slug, thread_id = context.params["slug"], context.params["thread_id"]
    service = _service(context)
    consultation = _consultation(context, service)
    try:
        with context.attempt():
            decision = Decision.of(
                context.form.get("disposition", ""), context.form.get("rationale", "")
            )
            dispositions.decide_thread(
                context.session, context.clock, context.user, slug, thread_id, decision
            )
    except InvalidInput as error:
        return _decide_again(context, service, consultation, thread_id, error)
    if is_htmx(context.request):
        values = _card_context(service, service.item(consultation, thread_id))
        return render(context.request, "synthesis/_card.html", values)
    workspace = url_path(context.request, "synthesis", slug=consultation.slug)
    return redirect(f"{workspace}#card-{thread_id}")


def _decide_again(
    context: Context,
    service: SynthesisService,
    consultation: Consultation,
    thread_id: int,
    error: InvalidInput,
) -> Response:
    if is_htmx(context.request):
        values = _card_context(service, service.item(consultation, thread_id), error)
        values["form"] = context.form
        return render(context.request, "synthesis/_card.html", values, status_code=422)
    values = _workspace_context(service, consultation, {thread_id: error}, context.form)
    return render(context.request, "synthesis/workspace.html", values, status_code=422)


def apply_suggestion(context: Context) -> Response:
    """Merge a suggestion as a new draft version, then show the editor what changed."""
    service = _service(context)
    consultation = _consultation(context, service)
    version = service.apply_suggestion(
        context.params["comment_id"], editor=context.user, consultation=consultation
    )
    slug, number = consultation.slug, version.number
    diff = url_path(context.request, "consultation_diff", slug=slug, old=number - 1, new=number)
    return redirect(diff)


routes = [
    Route("/consultations/{slug}/synthesis", endpoint(workspace), name="synthesis"),
    Route(
        "/consultations/{slug}/threads/{thread_id:id}/disposition",
        endpoint(decide),
        methods=["POST"],
        name="decide_thread",
    ),
    Route(
        "/consultations/{slug}/comments/{comment_id:id}/apply",
        endpoint(apply_suggestion),
        methods=["POST"],
        name="apply_suggestion",
    ),
]
