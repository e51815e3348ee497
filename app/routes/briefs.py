"""Policy briefs: the public pages and exports of published versions, and the editor's pages.

Route order matters: ``/briefs/new`` and the export paths (``/briefs/{slug}.pdf``) come before
``/briefs/{slug}``, whose parameter would otherwise swallow them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from accounts.models import User
from app.urls import url_path
from app.web import (
    clock,
    current_user,
    form_data,
    redirect,
    render,
    require_user,
    settings,
    transaction,
)
from briefs.annex import build_annex
from briefs.citations import cited_thread_ids, render_brief
from briefs.exports import PdfJob, as_json, as_markdown, citation_text, pdf_job
from briefs.models import Brief, BriefVersion
from briefs.services import BriefService
from consultations.models import Consultation
from consultations.services import require_editor
from core.enums import ConsultationStatus, Language
from core.errors import InvalidInput
from core.urls import with_query

# A published version never changes, so its exports may be cached for a day; "latest" URLs
# change when a new version is published.
VERSION_CACHE = "public, max-age=86400"
LATEST_CACHE = "public, max-age=300"
FORM_FIELDS = ("slug", "title", "language", "topics", "consultation", "body_markdown")


def _service(request: Request, session: Session) -> BriefService:
    return BriefService(session, clock=clock(request))


def _editor(request: Request, session: Session) -> User:
    """Anonymous visitors are sent to sign in (401); participants are refused (403)."""
    return require_editor(require_user(request, session))


def _number(request: Request) -> int | None:
    number = request.path_params.get("number")
    return int(number) if number is not None else None


def _body_html(version: BriefVersion) -> Markup:
    threads = {thread.id: thread for thread in version.cited_threads}
    return Markup(render_brief(version.body_markdown, threads))  # noqa: S704 - safe renderer


# -- public pages ----------------------------------------------------------------------------


async def listing(request: Request) -> Response:
    topic = request.query_params.get("topic") or None
    with transaction(request) as session:
        user = current_user(request, session)
        versions = _service(request, session).listing(topic=topic)
    context = {"versions": versions, "topic": topic, "can_edit": bool(user and user.is_editor)}
    return render(request, "briefs/list.html", context)


async def brief_page(request: Request) -> Response:
    """A published version: the latest at ``/briefs/{slug}``, a given one forever at ``/v/{n}``."""
    slug, number = request.path_params["slug"], _number(request)
    with transaction(request) as session:
        service = _service(request, session)
        user = current_user(request, session)
        brief = service.get(slug)
        numbers = service.published_numbers(brief)
        if not numbers and user is not None and user.is_editor:
            return redirect(url_path(request, "edit_brief", slug=slug))
        version = service.published(slug, number)
        context = _page_context(request, service, version, numbers, user)
    return render(request, "briefs/brief.html", context)


def _page_context(
    request: Request,
    service: BriefService,
    version: BriefVersion,
    numbers: list[int],
    user: User | None,
) -> dict[str, Any]:
    is_editor = bool(user and user.is_editor)
    return {
        "brief": version.brief,
        "version": version,
        "numbers": numbers,
        "latest_number": numbers[-1],
        "body_html": _body_html(version),
        "annex": version.annex,
        "citation": citation_text(version, settings(request).base_url),
        "working_copy": service.working_copy(version.brief) if is_editor else None,
        "can_edit": is_editor,
    }


# -- exports ----------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _render_pdf(job: PdfJob) -> bytes:
    """Layout takes a second for a long brief; identical jobs (same frozen text) are reused."""
    return job.render()


def _headers(request: Request, slug: str, extension: str) -> dict[str, str]:
    number = _number(request)
    name = f"{slug}-v{number}" if number else slug
    return {
        "Cache-Control": VERSION_CACHE if number else LATEST_CACHE,
        "Content-Disposition": f'inline; filename="{name}.{extension}"',
    }


async def export_pdf(request: Request) -> Response:
    slug = request.path_params["slug"]
    with transaction(request) as session:
        version = _service(request, session).published(slug, _number(request))
        job = pdf_job(version, settings(request).base_url)
    data = await run_in_threadpool(_render_pdf, job)
    return Response(data, media_type="application/pdf", headers=_headers(request, slug, "pdf"))


async def export_markdown(request: Request) -> Response:
    slug = request.path_params["slug"]
    with transaction(request) as session:
        version = _service(request, session).published(slug, _number(request))
        text = as_markdown(version, settings(request).base_url)
    headers = _headers(request, slug, "md")
    return Response(text, media_type="text/markdown; charset=utf-8", headers=headers)


async def export_json(request: Request) -> Response:
    slug = request.path_params["slug"]
    with transaction(request) as session:
        data = as_json(_service(request, session).published(slug, _number(request)))
    headers = _headers(request, slug, "json")
    return JSONResponse(data, headers=headers)


# -- editing ----------------------------------------------------------------------------------


def _consultation_choices(session: Session) -> list[Consultation]:
    query = select(Consultation).where(Consultation.status != ConsultationStatus.DRAFT)
    return list(session.scalars(query.order_by(Consultation.created_at.desc())))


async def new_page(request: Request) -> Response:
    with transaction(request) as session:
        _editor(request, session)
        choices = _consultation_choices(session)
    form = {"consultation": request.query_params.get("consultation", ""), "language": "en"}
    context = {"form": form, "error": None, "consultations": choices, "languages": list(Language)}
    return render(request, "briefs/new.html", context)


async def create(request: Request) -> Response:
    form = await form_data(request)
    fields = {name: form.get(name, "") for name in FORM_FIELDS}
    try:
        with transaction(request) as session:
            brief = _service(request, session).create(
                _editor(request, session),
                fields["slug"].strip(),
                fields["title"],
                fields["language"] or Language.EN,
                fields["topics"].split(","),
                fields["body_markdown"],
                consultation_slug=fields["consultation"].strip() or None,
            )
            slug = brief.slug
    except InvalidInput as error:
        with transaction(request) as session:
            current_user(request, session)  # the failed transaction expired the page's user
            choices = _consultation_choices(session)
        context = {"form": fields, "error": error, "consultations": choices}
        return render(request, "briefs/new.html", context, status_code=422)
    return redirect(url_path(request, "edit_brief", slug=slug))


async def edit_page(request: Request) -> Response:
    with transaction(request) as session:
        _editor(request, session)
        context = _edit_context(request, _service(request, session), request.path_params["slug"])
    return render(request, "briefs/edit.html", context)


def _edit_context(
    request: Request,
    service: BriefService,
    slug: str,
    form: dict[str, str] | None = None,
    error: InvalidInput | None = None,
) -> dict[str, Any]:
    """The working copy (or the typed text after an error), its preview and what to cite."""
    brief = service.get(slug)
    draft = service.working_copy(brief)
    body = (form or {}).get("body_markdown", draft.body_markdown if draft else "")
    cited = cited_thread_ids(body)
    threads = service.threads_by_id(cited)
    return {
        "brief": brief,
        "draft": draft,
        "numbers": service.published_numbers(brief),
        "form": form or {},
        "error": error,
        "preview": Markup(render_brief(body, threads)),  # noqa: S704 - safe renderer
        "unresolved": [thread_id for thread_id in cited if thread_id not in threads],
        "citable": _citable(service.session, brief),
        "saved": request.query_params.get("saved") == "1",
    }


def _citable(session: Session, brief: Brief) -> list[dict[str, Any]]:
    """The linked consultation's threads as the annex will show them, to pick citations from."""
    return list(build_annex(session, brief.consultation)["dispositions"])


async def save(request: Request) -> Response:
    slug = request.path_params["slug"]
    form = await form_data(request)
    try:
        with transaction(request) as session:
            _service(request, session).update_draft(
                slug,
                _editor(request, session),
                form.get("title", ""),
                form.get("body_markdown", ""),
                form.get("change_note", ""),
            )
    except InvalidInput as error:
        return _edit_again(request, slug, form, error)
    return redirect(with_query(url_path(request, "edit_brief", slug=slug), saved=1))


def _edit_again(request: Request, slug: str, form: dict[str, str], error: InvalidInput) -> Response:
    with transaction(request) as session:
        _editor(request, session)  # reloads the user, whom the failed transaction expired
        context = _edit_context(request, _service(request, session), slug, form, error)
    return render(request, "briefs/edit.html", context, status_code=422)


async def publish(request: Request) -> Response:
    slug = request.path_params["slug"]
    try:
        with transaction(request) as session:
            version = _service(request, session).publish(slug, _editor(request, session))
            number = version.number
    except InvalidInput as error:
        return _edit_again(request, slug, {}, error)
    return redirect(url_path(request, "brief_version", slug=slug, number=number))


async def revise(request: Request) -> Response:
    slug = request.path_params["slug"]
    with transaction(request) as session:
        _service(request, session).revise(slug, _editor(request, session))
    return redirect(url_path(request, "edit_brief", slug=slug))


def _exports(prefix: str, name: str) -> list[Route]:
    return [
        Route(f"{prefix}.pdf", export_pdf, name=f"{name}_pdf"),
        Route(f"{prefix}.md", export_markdown, name=f"{name}_md"),
        Route(f"{prefix}.json", export_json, name=f"{name}_json"),
    ]


routes = [
    Route("/briefs", listing, name="briefs"),
    Route("/briefs", create, methods=["POST"], name="create_brief"),
    Route("/briefs/new", new_page, name="new_brief"),
    *_exports("/briefs/{slug}", "brief"),
    *_exports("/briefs/{slug}/v/{number:int}", "brief_version"),
    Route("/briefs/{slug}", brief_page, name="brief"),
    Route("/briefs/{slug}/v/{number:int}", brief_page, name="brief_version"),
    Route("/briefs/{slug}/edit", edit_page, name="edit_brief"),
    Route("/briefs/{slug}/edit", save, methods=["POST"], name="save_brief"),
    Route("/briefs/{slug}/publish", publish, methods=["POST"], name="publish_brief"),
    Route("/briefs/{slug}/revise", revise, methods=["POST"], name="revise_brief"),
]
