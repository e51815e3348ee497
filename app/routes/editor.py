"""Editors create consultations, revise drafts and run the comment period."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.urls import url_path
from app.web import clock, current_user, redirect, render, transaction
from consultations.consensus import participation, stance_map
from consultations.importing import draft_markdown
from consultations.services import ConsultationService, require_editor
from core.enums import ConsultationStatus, Language
from core.errors import InvalidInput


def _service(request: Request, session: Session) -> ConsultationService:
    return ConsultationService(session, clock=clock(request))


def parse_moment(value: str | None, field: str) -> datetime | None:
    """`datetime-local` inputs and ISO 8601 strings; a time without a zone is taken as UTC."""
    if not value or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise InvalidInput(
            "Dates must look like 2026-12-01T18:00.", fields={field: "not a date"}
        ) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _markdown_from(form: FormData) -> str:
    """The draft from the uploaded file if one was chosen, else from the text area."""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        return draft_markdown(upload.filename, await upload.read())
    text = form.get("markdown")
    return text if isinstance(text, str) else ""


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def new_page(request: Request) -> Response:
    with transaction(request) as session:
        require_editor(current_user(request, session))
    return render(request, "consultations/new.html", {"form": {}, "error": None})


async def create(request: Request) -> Response:
    form = await request.form(max_part_size=5 * 1024 * 1024)
    fields = {
        name: _text(form, name)
        for name in (
            "slug",
            "title",
            "summary",
            "language",
            "topics",
            "opens_at",
            "closes_at",
            "markdown",
        )
    }
    try:
        with transaction(request) as session:
            consultation = _service(request, session).create(
                editor=current_user(request, session),
                slug=fields["slug"].strip(),
                title=fields["title"],
                summary=fields["summary"],
                language=fields["language"] or Language.EN,
                topics=fields["topics"].split(","),
                markdown=await _markdown_from(form),
                opens_at=parse_moment(fields["opens_at"], "opens_at"),
                closes_at=parse_moment(fields["closes_at"], "closes_at"),
            )
            slug = consultation.slug
    except InvalidInput as error:
        context = {"form": fields, "error": error}
        return render(request, "consultations/new.html", context, status_code=422)
    return redirect(url_path(request, "manage_consultation", slug=slug))


async def manage(request: Request) -> Response:
    """The editor's dashboard: status, period, new version, participation, orphans."""
    with transaction(request) as session:
        service = _service(request, session)
        require_editor(current_user(request, session))
        consultation = service.get(request.path_params["slug"])
        latest = service.version(consultation)
        paragraphs = service.paragraphs(latest)
        current_keys = {p.key for p in paragraphs}
        threads = service.threads(consultation)
        context = {
            "consultation": consultation,
            "latest": latest,
            "paragraphs": paragraphs,
            "status": service.effective_status(consultation),
            "statuses": list(ConsultationStatus),
            "participation": participation(session, consultation),
            "stances": stance_map(session, consultation),
            "counts": service.thread_counts(consultation),
            "orphans": [t for t in threads if t.paragraph_key not in current_keys],
            "error": None,
        }
    return render(request, "consultations/manage.html", context)


async def change_status(request: Request) -> Response:
    form = await request.form()
    slug = request.path_params["slug"]
    value = _text(form, "status")
    if value not in set(ConsultationStatus):
        raise InvalidInput("Unknown status.", fields={"status": value[:40]})
    with transaction(request) as session:
        service = _service(request, session)
        service.set_status(
            service.get(slug), ConsultationStatus(value), editor=current_user(request, session)
        )
    return redirect(url_path(request, "manage_consultation", slug=slug))


async def change_period(request: Request) -> Response:
    form = await request.form()
    slug = request.path_params["slug"]
    with transaction(request) as session:
        service = _service(request, session)
        service.set_comment_rules(
            service.get(slug),
            editor=current_user(request, session),
            opens_at=parse_moment(_text(form, "opens_at"), "opens_at"),
            closes_at=parse_moment(_text(form, "closes_at"), "closes_at"),
            allow_anonymous=_text(form, "allow_anonymous") == "on",
        )
    return redirect(url_path(request, "manage_consultation", slug=slug))


async def new_version(request: Request) -> Response:
    form = await request.form(max_part_size=5 * 1024 * 1024)
    slug = request.path_params["slug"]
    with transaction(request) as session:
        service = _service(request, session)
        version = service.publish_version(
            service.get(slug),
            editor=current_user(request, session),
            markdown=await _markdown_from(form),
            change_note=_text(form, "change_note"),
        )
        number = version.number
    return redirect(url_path(request, "consultation_version", slug=slug, number=number))


routes = [
    Route("/consultations/new", new_page, name="new_consultation"),
    Route("/consultations", create, methods=["POST"], name="create_consultation"),
    Route("/consultations/{slug}/manage", manage, name="manage_consultation"),
    Route("/consultations/{slug}/status", change_status, methods=["POST"], name="status"),
    Route("/consultations/{slug}/period", change_period, methods=["POST"], name="period"),
    Route("/consultations/{slug}/versions", new_version, methods=["POST"], name="new_version"),
]
