"""Reading consultations and commenting on paragraphs."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.urls import url_path
from app.web import clock, current_user, form_data, is_htmx, redirect, render, transaction
from briefs.services import BriefService
from consultations.diff import diff_versions
from consultations.models import Consultation
from consultations.services import CommentInput, ConsultationService
from core.enums import Attribution, ConsultationStatus, Stance
from core.errors import InvalidInput, NotFound


def _service(request: Request, session: object) -> ConsultationService:
    return ConsultationService(session, clock=clock(request))  # type: ignore[arg-type]


def _visible(request: Request, service: ConsultationService, slug: str) -> Consultation:
    """Drafts not yet published are visible to editors only."""
    consultation = service.get(slug)
    if consultation.status == ConsultationStatus.DRAFT:
        user = current_user(request, service.session)
        if user is None or not user.is_editor:
            raise NotFound("No consultation called “%(slug)s”.", slug=slug)
    return consultation


def listing(request: Request) -> Response:
    topic = request.query_params.get("topic") or None
    status = request.query_params.get("status") or None
    if status and status not in set(ConsultationStatus):
        status = None
    with transaction(request) as session:
        user = current_user(request, session)
        service = _service(request, session)
        items = service.listing(
            topic=topic, status=status, include_drafts=bool(user and user.is_editor)
        )
        statuses = {c.id: service.effective_status(c) for c in items}
    return render(
        request,
        "consultations/list.html",
        {"consultations": items, "statuses": statuses, "topic": topic, "status": status},
    )


def draft(request: Request) -> Response:
    """The current draft (or a given version) with margin counts per paragraph."""
    slug = request.path_params["slug"]
    number = request.path_params.get("number")
    with transaction(request) as session:
        service = _service(request, session)
        consultation = _visible(request, service, slug)
        version = service.version(consultation, number)
        latest = service.version(consultation)
        context = {
            "consultation": consultation,
            "version": version,
            "latest": latest,
            "paragraphs": service.paragraphs(version),
            "counts": service.thread_counts(consultation),
            "accepting": service.is_accepting_comments(consultation),
            "status": service.effective_status(consultation),
            "topics": list(consultation.topics),
        }
    return render(request, "consultations/draft.html", context)


def diff(request: Request) -> Response:
    slug = request.path_params["slug"]
    old_number, new_number = request.path_params["old"], request.path_params["new"]
    with transaction(request) as session:
        service = _service(request, session)
        consultation = _visible(request, service, slug)
        old = [
            (p.key, p.text) for p in service.paragraphs(service.version(consultation, old_number))
        ]
        new = [
            (p.key, p.text) for p in service.paragraphs(service.version(consultation, new_number))
        ]
    context = {
        "consultation": consultation,
        "old": old_number,
        "new": new_number,
        "blocks": diff_versions(old, new),
    }
    return render(request, "consultations/diff.html", context)


def paragraph(request: Request) -> Response:
    """A paragraph's threads: the full page, or the fragment htmx puts in the margin."""
    slug, key = request.path_params["slug"], request.path_params["key"]
    with transaction(request) as session:
        service = _service(request, session)
        consultation = _visible(request, service, slug)
        context = _paragraph_context(request, service, consultation, key)
    return render(
        request, "consultations/paragraph.html", context, fragment="consultations/_threads.html"
    )


async def post_comment(request: Request) -> Response:
    """Post a comment or reply. Invalid input re-renders the form with what was typed."""
    form = await form_data(request)
    # The database work runs in a worker thread, so the event loop keeps serving others.
    return await run_in_threadpool(_post_comment, request, form)


def _post_comment(request: Request, form: dict[str, str]) -> Response:
    slug, key = request.path_params["slug"], request.path_params["key"]
    data = CommentInput(
        body=form.get("body", ""),
        stance=form.get("stance") or None,
        attribution=form.get("attribution", ""),
        suggestion=form.get("suggestion") or None,
        parent_id=_parent_id(form.get("parent_id")),
        quote=form.get("quote") or None,
    )
    try:
        with transaction(request) as session:
            service = _service(request, session)
            consultation = _visible(request, service, slug)
            comment = service.post_comment(
                consultation, key, data, author=current_user(request, session)
            )
            comment_id = comment.id
    except InvalidInput as error:
        return _comment_form_again(request, slug, key, form, error)
    if is_htmx(request):
        return paragraph(request)
    return redirect(url_path(request, "paragraph", slug=slug, key=key) + f"#c-{comment_id}")


def _comment_form_again(
    request: Request, slug: str, key: str, form: dict[str, str], error: InvalidInput
) -> Response:
    with transaction(request) as session:
        service = _service(request, session)
        consultation = _visible(request, service, slug)
        context = _paragraph_context(request, service, consultation, key)
    context.update(form=form, error=error)
    return render(
        request,
        "consultations/paragraph.html",
        context,
        fragment="consultations/_threads.html",
        status_code=422,
    )


def _paragraph_context(
    request: Request, service: ConsultationService, consultation: Consultation, key: str
) -> dict[str, object]:
    user = current_user(request, service.session)
    latest = service.version(consultation)
    threads = service.threads(consultation, key)
    briefs = BriefService(service.session, clock=service.clock)
    return {
        "consultation": consultation,
        "paragraph": service.paragraph(consultation, key),
        "in_current": service.in_current_version(consultation, key),
        "threads": threads,
        "cited_in": briefs.citations_for_threads([thread.id for thread in threads]),
        "latest": latest,
        "accepting": service.is_accepting_comments(consultation),
        "stances": list(Stance),
        "attributions": [
            a for a in Attribution if a != Attribution.ANONYMOUS or consultation.allow_anonymous
        ],
        "can_moderate": bool(user and user.is_editor),
        "form": {},
        "error": None,
    }


def _parent_id(value: str | None) -> int | None:
    if not value:
        return None
    if not value.isdigit() or len(value) > 12:
        raise InvalidInput(
            "The comment you reply to does not exist.", fields={"parent_id": value[:20]}
        )
    return int(value)


routes = [
    Route("/consultations", listing, name="consultations"),
    Route("/consultations/{slug}", draft, name="consultation"),
    Route("/consultations/{slug}/v/{number:int}", draft, name="consultation_version"),
    Route("/consultations/{slug}/diff/{old:int}..{new:int}", diff, name="consultation_diff"),
    Route("/consultations/{slug}/p/{key}", paragraph, name="paragraph"),
    Route(
        "/consultations/{slug}/p/{key}/comments",
        post_comment,
        methods=["POST"],
        name="post_comment",
    ),
]
