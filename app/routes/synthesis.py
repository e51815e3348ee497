"""The synthesis workspace: editors decide every thread, merge accepted suggestions (a
preview to confirm, a conflict to resolve, several at once) and answer contests.

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
from briefs import contesting, dispositions, suggestions
from briefs.contesting import NOT_ANSWERED, ContestAnswer, contests_for
from briefs.dispositions import Decision
from briefs.services import BriefService
from briefs.suggestions import ApplySuggestions, Batch
from briefs.synthesis import QueueFilter, QueueItem, SynthesisService
from consultations import endorsing
from consultations.diff import diff_html
from consultations.models import Consultation
from core.enums import Disposition, StakeholderGroup, Stance
from core.errors import Conflict, DomainError, InvalidInput
from core.inputs import parse


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
        "applied": suggestions.applied_to(service.session, [c.id for c in item.thread.comments]),
        **_endorsements(service, [c.id for c in item.thread.comments]),
        "contests": contests_for(service.session, [item.thread.id]),
        "applicable": suggestions.APPLICABLE,
        "errors": {item.thread.id: error} if error else {},
        "form": {},
    }


def _endorsements(service: SynthesisService, comment_ids: list[int]) -> dict[str, Any]:
    """Each comment's and suggestion's endorsements by group, shown on its card (one query;
    the editor weighs them, and does not endorse from here)."""
    return {
        "endorsements": endorsing.counts_by_group(service.session, comment_ids),
        "endorsed": frozenset(),
        "endorse_buttons": False,
    }


def workspace(context: Context) -> Response:
    service = _service(context)
    chosen = QueueFilter.from_params(context.request.query_params)
    values = _workspace_context(service, _consultation(context, service), chosen=chosen)
    return render(context.request, "synthesis/workspace.html", values)


def _workspace_context(
    service: SynthesisService,
    consultation: Consultation,
    errors: dict[int, InvalidInput] | None = None,
    form: dict[str, str] | None = None,
    chosen: QueueFilter | None = None,
) -> dict[str, Any]:
    chosen = chosen or QueueFilter()
    queue = service.queue(consultation)
    items = [item for item in queue if chosen.keeps(item)]
    briefs = BriefService(service.session, clock=service.clock)
    comment_ids = [c.id for item in items for c in item.thread.comments]
    return {
        "consultation": consultation,
        "items": items,
        "groups": len(queue),
        "threads": sum(item.count for item in queue),
        "decided": sum(item.count for item in queue if item.decided),
        "undecided": sum(1 for item in queue if not item.decided),
        "chosen": chosen,
        "paragraph_numbers": sorted(
            {item.paragraph.ordinal for item in queue if item.paragraph and item.in_current}
        ),
        "stakeholder_groups": list(StakeholderGroup),
        "stances": list(Stance),
        "dispositions": list(Disposition),
        "cited_in": briefs.citations_for_threads([item.thread.id for item in items]),
        "applied": suggestions.applied_to(service.session, comment_ids),
        **_endorsements(service, comment_ids),
        "contests": contests_for(service.session, [item.thread.id for item in items]),
        "applicable": suggestions.APPLICABLE,
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


def merge_preview(context: Context) -> Response:
    """What applying the chosen suggestions would make of each paragraph, for the editor to
    confirm (a conflict shows both sides and asks for the text). Changes nothing."""
    service = _service(context)
    consultation = _consultation(context, service)
    ids = context.request.query_params.getlist("comment")
    data = parse(Batch, {"comments": ids}, suggestions.NOT_APPLIED)
    return _preview_page(context, consultation, data)


def _preview_page(
    context: Context,
    consultation: Consultation,
    data: Batch,
    error: DomainError | None = None,
    texts: dict[str, str] | None = None,
) -> Response:
    preview = suggestions.preview_suggestions(
        context.session, context.clock, context.user, consultation.slug, data
    )
    values = {
        "consultation": consultation,
        "preview": preview,
        "diffs": {p.key: diff_html(p.current, p.text) for p in preview.paragraphs},
        "texts": texts or {},
        "error": error,
    }
    status = 409 if isinstance(error, Conflict) else 422 if error else 200
    return render(context.request, "synthesis/merge.html", values, status_code=status)


def apply_suggestions(context: Context) -> Response:
    """Publish the confirmed preview as one new version, then show what changed. A conflict
    left unresolved, or a draft that moved meanwhile, shows the preview again."""
    service = _service(context)
    consultation = _consultation(context, service)
    form = context.form
    ids = [part for part in form.get("comments", "").split(",") if part.strip()]
    texts = {name[5:]: value for name, value in form.items() if name.startswith("text-")}
    typed = {"comments": ids, "version": form.get("version", ""), "texts": texts}
    batch = parse(Batch, {"comments": ids}, suggestions.NOT_APPLIED)
    try:
        with context.attempt():
            data = parse(ApplySuggestions, typed, suggestions.NOT_APPLIED)
            applied = suggestions.apply_suggestions(
                context.session, context.clock, context.user, consultation.slug, data
            )
    except (Conflict, InvalidInput) as error:
        return _preview_page(context, consultation, batch, error, texts)
    slug, number = consultation.slug, applied.version
    return redirect(
        url_path(context.request, "consultation_diff", slug=slug, old=number - 1, new=number)
    )


def answer(context: Context) -> Response:
    """The editor's public answer to a contest of a thread's disposition."""
    slug, thread_id = context.params["slug"], context.params["thread_id"]
    service = _service(context)
    consultation = _consultation(context, service)
    data = parse(ContestAnswer, {"answer": context.form.get("answer", "")}, NOT_ANSWERED)
    contesting.answer_contest(context.session, context.clock, context.user, slug, thread_id, data)
    if is_htmx(context.request):
        values = _card_context(service, service.item(consultation, thread_id))
        return render(context.request, "synthesis/_card.html", values)
    workspace = url_path(context.request, "synthesis", slug=consultation.slug)
    return redirect(f"{workspace}#card-{thread_id}")


routes = [
    Route("/consultations/{slug}/synthesis", endpoint(workspace), name="synthesis"),
    Route(
        "/consultations/{slug}/threads/{thread_id:id}/disposition",
        endpoint(decide),
        methods=["POST"],
        name="decide_thread",
    ),
    Route(
        "/consultations/{slug}/suggestions/merge",
        endpoint(merge_preview),
        name="merge_suggestions",
    ),
    Route(
        "/consultations/{slug}/suggestions/apply",
        endpoint(apply_suggestions),
        methods=["POST"],
        name="apply_suggestions",
    ),
    Route(
        "/consultations/{slug}/threads/{thread_id:id}/contest/answer",
        endpoint(answer),
        methods=["POST"],
        name="answer_contest",
    ),
]
