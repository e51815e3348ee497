"""Reading consultations and commenting on paragraphs."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from app.web import Context, endpoint, is_htmx, redirect, render
from briefs.services import BriefService
from consultations import commenting, policy
from consultations.commenting import NOT_POSTED, NewComment
from consultations.diff import diff_versions
from consultations.models import Consultation
from consultations.services import ConsultationService
from core.enums import Attribution, ConsultationStatus, Stance
from core.errors import InvalidInput
from core.inputs import parse


def _service(context: Context) -> ConsultationService:
    return ConsultationService(context.session, clock=context.clock)


def _visible(context: Context, service: ConsultationService) -> Consultation:
    return service.visible(context.params["slug"], context.user)


def listing(context: Context) -> Response:
    topic = context.request.query_params.get("topic") or None
    status = context.request.query_params.get("status") or None
    if status and status not in set(ConsultationStatus):
        status = None
    service = _service(context)
    items = service.listing(
        topic=topic, status=status, include_drafts=policy.sees_drafts(context.user)
    )
    statuses = {c.id: service.effective_status(c) for c in items}
    return render(
        context.request,
        "consultations/list.html",
        {"consultations": items, "statuses": statuses, "topic": topic, "status": status},
    )


def draft(context: Context) -> Response:
    """The current draft (or a given version) with margin counts per paragraph."""
    service = _service(context)
    consultation = _visible(context, service)
    version = service.version(consultation, context.params.get("number"))
    values = {
        "consultation": consultation,
        "version": version,
        "latest": service.version(consultation),
        "paragraphs": service.paragraphs(version),
        "counts": service.thread_counts(consultation),
        "accepting": service.is_accepting_comments(consultation),
        "status": service.effective_status(consultation),
        "topics": list(consultation.topics),
    }
    return render(context.request, "consultations/draft.html", values)


def diff(context: Context) -> Response:
    service = _service(context)
    consultation = _visible(context, service)
    old_number, new_number = context.params["old"], context.params["new"]
    old, new = (
        [(p.key, p.text) for p in service.paragraphs(service.version(consultation, number))]
        for number in (old_number, new_number)
    )
    values = {
        "consultation": consultation,
        "old": old_number,
        "new": new_number,
        "blocks": diff_versions(old, new),
    }
    return render(context.request, "consultations/diff.html", values)


def paragraph(context: Context) -> Response:
    """A paragraph's threads: the full page, or the fragment htmx puts in the margin."""
    service = _service(context)
    return _paragraph_page(context, service, _visible(context, service))


def post_comment(context: Context) -> Response:
    """Post a comment or reply. Invalid input shows the form again with what was typed;
    with htmx the margin's threads come back, rendered in the same transaction."""
    form, key = context.form, context.params["key"]
    service = _service(context)
    consultation = _visible(context, service)
    try:
        with context.attempt():
            data = parse(NewComment, _comment_fields(form), NOT_POSTED)
            posted = commenting.post_comment(
                context.session, context.clock, context.user, consultation.slug, key, data
            )
    except InvalidInput as error:
        return _paragraph_page(context, service, consultation, form=form, error=error)
    if is_htmx(context.request):
        return _paragraph_page(context, service, consultation)
    return redirect(f"/consultations/{consultation.slug}/p/{key}#c-{posted.id}")


def _comment_fields(form: dict[str, str]) -> dict[str, object]:
    """The comment form's fields as the API's JSON would carry them: an empty field is
    absent, and a parent id is a number if it can be one."""
    fields: dict[str, object] = {
        name: form[name] for name in NewComment.model_fields if form.get(name)
    }
    fields.setdefault("body", "")
    fields.setdefault("attribution", "")
    parent = form.get("parent_id", "")
    if parent.isdigit() and len(parent) <= 12:
        fields["parent_id"] = int(parent)
    return fields


def _paragraph_page(
    context: Context,
    service: ConsultationService,
    consultation: Consultation,
    *,
    form: dict[str, str] | None = None,
    error: InvalidInput | None = None,
) -> Response:
    key = context.params["key"]
    threads = service.threads(consultation, key)
    briefs = BriefService(context.session, clock=context.clock)
    values = {
        "consultation": consultation,
        "paragraph": service.paragraph(consultation, key),
        "in_current": service.in_current_version(consultation, key),
        "threads": threads,
        "cited_in": briefs.citations_for_threads([thread.id for thread in threads]),
        "latest": service.version(consultation),
        "accepting": service.is_accepting_comments(consultation),
        "stances": list(Stance),
        "attributions": [
            a for a in Attribution if a != Attribution.ANONYMOUS or consultation.allow_anonymous
        ],
        "can_moderate": policy.can_moderate(context.user, consultation),
        "form": form or {},
        "error": error,
    }
    return render(
        context.request,
        "consultations/paragraph.html",
        values,
        fragment="consultations/_threads.html",
        status_code=422 if error else 200,
    )


routes = [
    Route("/consultations", endpoint(listing), name="consultations"),
    Route("/consultations/{slug}", endpoint(draft), name="consultation"),
    Route("/consultations/{slug}/v/{number:int}", endpoint(draft), name="consultation_version"),
    Route(
        "/consultations/{slug}/diff/{old:int}..{new:int}",
        endpoint(diff),
        name="consultation_diff",
    ),
    Route("/consultations/{slug}/p/{key}", endpoint(paragraph), name="paragraph"),
    Route(
        "/consultations/{slug}/p/{key}/comments",
        endpoint(post_comment),
        methods=["POST"],
        name="post_comment",
    ),
]
