"""The editors' re-anchor queue: move each orphaned thread to a paragraph, or close it.

Each card's two forms work as plain POSTs (redirect back to the queue) and, with htmx,
swap only that card, which then says where the thread went; a refused form shows the card
(or the queue) again with what was typed. The use cases are in consultations/reanchoring.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.responses import Response
from starlette.routing import Route

from accounts.models import User
from accounts.policy import require_editor
from app.urls import url_path
from app.web import Context, endpoint, is_htmx, redirect, render
from consultations import reanchoring
from consultations.reanchoring import NOT_CLOSED, NOT_MOVED, CloseThread, MoveThread, Orphan
from consultations.services import ConsultationService
from core.clock import Clock
from core.errors import InvalidInput
from core.inputs import parse

Act = Callable[[Session, Clock, User | None, str, int, Any], object]


def queue(context: Context) -> Response:
    require_editor(context.user)
    return _queue_page(context)


def _queue_page(
    context: Context, errors: dict[int, InvalidInput] | None = None, status_code: int = 200
) -> Response:
    slug = context.params["slug"]
    service = ConsultationService(context.session, clock=context.clock)
    items = reanchoring.queue(context.session, context.clock, context.user, slug)
    values = {
        "consultation": service.get(slug),
        "items": items,
        "errors": errors or {},
        "form": context.form if errors else {},
    }
    return render(context.request, "consultations/reanchor.html", values, status_code=status_code)


def move(context: Context) -> Response:
    """Move a thread to the paragraph chosen among the candidates."""
    return _act(
        context,
        lambda: parse(MoveThread, {"key": context.form.get("key", "")}, NOT_MOVED),
        reanchoring.move_thread,
    )


def close(context: Context) -> Response:
    """Close a thread with the reason typed."""
    return _act(
        context,
        lambda: parse(CloseThread, {"reason": context.form.get("reason", "")}, NOT_CLOSED),
        reanchoring.close_thread,
    )


def _act(context: Context, data: Callable[[], Any], act: Act) -> Response:
    slug, thread_id = context.params["slug"], context.params["thread_id"]
    require_editor(context.user)
    try:
        with context.attempt():
            act(context.session, context.clock, context.user, slug, thread_id, data())
    except InvalidInput as error:
        if is_htmx(context.request):
            return _card(context, thread_id, error, status_code=422)
        return _queue_page(context, {thread_id: error}, status_code=422)
    if is_htmx(context.request):
        return _card(context, thread_id)
    return redirect(url_path(context.request, "reanchor", slug=slug) + f"#orphan-{thread_id}")


def _card(
    context: Context, thread_id: int, error: InvalidInput | None = None, status_code: int = 200
) -> Response:
    slug = context.params["slug"]
    item: Orphan = reanchoring.orphan(context.session, context.clock, context.user, slug, thread_id)
    values = {
        "consultation": item.thread.consultation,
        "item": item,
        "errors": {thread_id: error} if error else {},
        "form": context.form if error else {},
    }
    return render(context.request, "consultations/_orphan.html", values, status_code=status_code)


routes = [
    Route("/consultations/{slug}/reanchor", endpoint(queue), name="reanchor"),
    Route(
        "/consultations/{slug}/threads/{thread_id:id}/move",
        endpoint(move),
        methods=["POST"],
        name="move_thread",
    ),
    Route(
        "/consultations/{slug}/threads/{thread_id:id}/close",
        endpoint(close),
        methods=["POST"],
        name="close_thread",
    ),
]
