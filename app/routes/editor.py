"""Editors create consultations, revise drafts and run the comment period."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts.policy import require_editor
from app.forms import read_form
from app.urls import url_path
from app.web import Context, endpoint, endpoint_reading, redirect, render
from consultations import managing, versions
from consultations.consensus import GROUPS, participation, participation_over_time, stance_map
from consultations.creating import NewConsultation, create_consultation
from consultations.importing import draft_markdown
from consultations.managing import NOT_CHANGED, CommentRules, StatusChange
from consultations.period import period_note
from consultations.services import NOT_CREATED, ConsultationService
from consultations.versions import NOT_PUBLISHED, NewVersion
from core.enums import ConsultationStatus, Language, ThreadState
from core.errors import InvalidInput
from core.inputs import parse


def _service(context: Context) -> ConsultationService:
    return ConsultationService(context.session, clock=context.clock)


@dataclass(frozen=True, slots=True)
class Upload:
    """A draft chosen as a file, received on the event loop (converted in the thread)."""

    filename: str
    data: bytes


async def _upload(request: Request) -> Upload | None:
    """Parse the form with room for a draft file, and read the file if one was chosen
    (the parsed form stays cached on the request for the string fields)."""
    form = await read_form(request)
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        return Upload(upload.filename, await upload.read())
    return None


def _markdown_from(context: Context, upload: Upload | None) -> str:
    """The draft from the uploaded file if one was chosen, else from the text area."""
    if upload is not None:
        return draft_markdown(upload.filename, upload.data)
    return context.form.get("markdown", "")


def new_page(context: Context) -> Response:
    require_editor(context.user)
    return render(context.request, "consultations/new.html", {"form": {}, "error": None})


FIELDS = ("slug", "title", "summary", "language", "topics", "opens_at", "closes_at", "markdown")


@endpoint_reading(_upload)
def create(context: Context, upload: Upload | None) -> Response:
    """The form's draft, from its text area or a file; refused to a non-editor before the
    file is converted or the fields are checked (`create_consultation` checks again)."""
    require_editor(context.user)
    form = {name: context.form.get(name, "") for name in FIELDS}
    try:
        with context.attempt():
            typed = {
                **form,
                "slug": form["slug"].strip(),
                "language": form["language"] or Language.EN,
                "topics": [topic for topic in form["topics"].split(",") if topic.strip()],
                "markdown": _markdown_from(context, upload),
            }
            data = parse(NewConsultation, typed, NOT_CREATED)
            created = create_consultation(context.session, context.clock, context.user, data)
    except InvalidInput as error:
        values = {"form": form, "error": error}
        return render(context.request, "consultations/new.html", values, status_code=422)
    return redirect(url_path(context.request, "manage_consultation", slug=created.slug))


def manage(context: Context) -> Response:
    """The editor's dashboard: status, period, new version, participation, orphans."""
    service, session = _service(context), context.session
    require_editor(context.user)
    consultation = service.get(context.params["slug"])
    latest = service.version(consultation)
    paragraphs = service.paragraphs(latest)
    status = service.effective_status(consultation)
    values = {
        "consultation": consultation,
        "latest": latest,
        "paragraphs": paragraphs,
        "status": status,
        "period": period_note(consultation, status, context.clock.now()),
        "statuses": list(ConsultationStatus),
        "participation": participation(session, consultation),
        "days": participation_over_time(session, consultation),
        "groups": GROUPS,
        "stances": stance_map(session, consultation),
        "counts": service.thread_counts(consultation),
        "orphans": service.state_counts(consultation)[ThreadState.ORPHANED],
        "error": None,
    }
    return render(context.request, "consultations/manage.html", values)


def change_status(context: Context) -> Response:
    slug = context.params["slug"]
    data = parse(StatusChange, {"status": context.form.get("status", "")}, NOT_CHANGED)
    managing.change_status(context.session, context.clock, context.user, slug, data)
    return redirect(url_path(context.request, "manage_consultation", slug=slug))


def change_period(context: Context) -> Response:
    slug, form = context.params["slug"], context.form
    typed = {
        "opens_at": form.get("opens_at"),
        "closes_at": form.get("closes_at"),
        "allow_anonymous": form.get("allow_anonymous") == "on",
    }
    data = parse(CommentRules, typed, NOT_CHANGED)
    managing.change_comment_rules(context.session, context.clock, context.user, slug, data)
    return redirect(url_path(context.request, "manage_consultation", slug=slug))


@endpoint_reading(_upload)
def new_version(context: Context, upload: Upload | None) -> Response:
    slug = context.params["slug"]
    typed = {
        "markdown": _markdown_from(context, upload),
        "change_note": context.form.get("change_note", ""),
    }
    data = parse(NewVersion, typed, NOT_PUBLISHED)
    published = versions.publish_version(context.session, context.clock, context.user, slug, data)
    number = published.version
    return redirect(url_path(context.request, "consultation_version", slug=slug, number=number))


routes = [
    Route("/consultations/new", endpoint(new_page), name="new_consultation"),
    Route("/consultations", create, methods=["POST"], name="create_consultation"),
    Route("/consultations/{slug}/manage", endpoint(manage), name="manage_consultation"),
    Route("/consultations/{slug}/status", endpoint(change_status), methods=["POST"], name="status"),
    Route("/consultations/{slug}/period", endpoint(change_period), methods=["POST"], name="period"),
    Route("/consultations/{slug}/versions", new_version, methods=["POST"], name="new_version"),
]
