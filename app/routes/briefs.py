"""Policy briefs: the public pages and exports of published versions, and the editor's pages.

Route order matters: ``/briefs/new`` and the export paths (``/briefs/{slug}.pdf``) come before
``/briefs/{slug}``, whose parameter would otherwise swallow them.
"""

from __future__ import annotations

import hashlib
import json
from base64 import b64encode
from functools import lru_cache
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from accounts.models import User
from accounts.policy import require_editor
from app import i18n
from app.statuses import status_of
from app.templating import TEMPLATES_DIR, group_label
from app.urls import request_paths, site_urls, url_path
from app.web import AfterCommit, Context, endpoint, redirect, render
from briefs import policy
from briefs.annex import build_annex, with_contests
from briefs.citations import cited_thread_ids, references, render_brief, thread_url
from briefs.exports import Citation, as_json, as_markdown, citation
from briefs.models import Brief, BriefVersion
from briefs.pdf import PdfJob
from briefs.publishing import (
    NOT_CREATED,
    NewBrief,
    create_brief,
    require_deliberate,
    undecided_threads,
)
from briefs.services import BriefService
from consultations.models import Consultation
from core.enums import Language
from core.errors import Conflict, InvalidInput
from core.inputs import parse
from core.urls import PathFor, with_query

# A published version never changes, so its exports may be cached for a day; "latest" URLs
# change when a new version is published.
VERSION_CACHE = "public, max-age=86400"
LATEST_CACHE = "public, max-age=300"
FORM_FIELDS = ("slug", "title", "language", "topics", "consultation", "body_markdown")
#: The printable document's styles, inline (it stands alone); its CSP allows exactly them.
PRINT_CSS = (TEMPLATES_DIR / "briefs" / "print.css").read_text(encoding="utf-8")
PRINTABLE_CSP = "; ".join(
    [
        "default-src 'none'",
        f"style-src 'sha256-{b64encode(hashlib.sha256(PRINT_CSS.encode()).digest()).decode()}'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)


def _service(context: Context) -> BriefService:
    return BriefService(context.session, clock=context.clock)


def _editor(context: Context) -> User:
    """Anonymous visitors are sent to sign in (401); participants are refused (403)."""
    return require_editor(context.user)


def _number(request: Request) -> int | None:
    number = request.path_params.get("number")
    return int(number) if number is not None else None


def _body_html(version: BriefVersion, paths: PathFor) -> Markup:
    threads = {thread.id: thread for thread in version.cited_threads}
    html = render_brief(version.body_markdown, threads, paths)
    return Markup(html)  # noqa: S704 - safe renderer


def _citation(context: Context, version: BriefVersion) -> Citation:
    return citation(version, site_urls(context.request), context.settings.organisation_name)


def _references(version: BriefVersion, paths: PathFor) -> list[dict[str, Any]]:
    """The reference list under the text: each cited thread, numbered as in the text, told
    as the frozen annex tells it (its excerpt and public author label)."""
    threads = {thread.id: thread for thread in version.cited_threads}
    rows = {row["thread_id"]: row for row in version.annex.get("dispositions", [])}
    listed = []
    for ref in references(version.body_markdown):
        thread = threads.get(ref.thread_id)
        if thread is None:
            continue
        row = rows.get(ref.thread_id, {})
        listed.append(
            {
                "number": ref.number,
                "thread_id": ref.thread_id,
                "url": thread_url(paths, thread),
                "consultation": thread.consultation.title,
                "consultation_paragraph": row.get("paragraph_ordinal"),
                "excerpt": row.get("excerpt", ""),
                "author_label": row.get("author_label", ""),
                "group": row.get("stakeholder_group"),
            }
        )
    return listed


# -- public pages ----------------------------------------------------------------------------


def listing(context: Context) -> Response:
    topic = context.request.query_params.get("topic") or None
    versions = _service(context).listing(topic=topic)
    values = {"versions": versions, "topic": topic, "can_edit": policy.can_edit(context.user)}
    return render(context.request, "briefs/list.html", values)


def brief_page(context: Context) -> Response:
    """A published version: the latest at ``/briefs/{slug}``, a given one forever at ``/v/{n}``."""
    slug, number = context.params["slug"], _number(context.request)
    service = _service(context)
    brief = service.get(slug)
    numbers = service.published_numbers(brief)
    if not numbers and policy.can_edit(context.user):
        return redirect(url_path(context.request, "edit_brief", slug=slug))
    version = service.published(slug, number)
    return render(context.request, "briefs/brief.html", _page_context(context, version, numbers))


def _page_context(context: Context, version: BriefVersion, numbers: list[int]) -> dict[str, Any]:
    can_edit = policy.can_edit(context.user)
    return {
        "brief": version.brief,
        "version": version,
        "numbers": numbers,
        "latest_number": numbers[-1],
        "body_html": _body_html(version, request_paths(context.request)),
        "references": _references(version, request_paths(context.request)),
        "annex": with_contests(context.session, version.annex),
        "cite": _citation(context, version),
        "working_copy": _service(context).working_copy(version.brief) if can_edit else None,
        "can_edit": can_edit,
    }


# -- exports ----------------------------------------------------------------------------------


CHART_WIDTH, CHART_BAR_X, CHART_ROW = 640, 190, 26


def _chart(participation: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The participation chart's geometry (an SVG bar per stakeholder group), in the
    current language; None when nobody took part."""
    most = max((row["comments"] for row in participation), default=0)
    if not most:
        return None
    span = CHART_WIDTH - CHART_BAR_X - 40
    bars = [
        {
            "label": group_label(row["group"]),
            "comments": row["comments"],
            "y": 4 + index * CHART_ROW,
            "width": round(span * row["comments"] / most, 1),
        }
        for index, row in enumerate(participation)
    ]
    height = 8 + len(bars) * CHART_ROW
    return {"width": CHART_WIDTH, "height": height, "bar_x": CHART_BAR_X, "bars": bars}


def printable(context: Context, version: BriefVersion) -> str:
    """The printable HTML document, every label in the brief's language (not the reader's):
    a Ukrainian brief prints a Ukrainian annex. Links are absolute (BASE_URL)."""
    urls = site_urls(context.request)
    token = i18n.current_language.set(version.brief.language.value)
    try:
        annex = with_contests(context.session, version.annex)
        consultation = annex.get("consultation")
        values = {
            "brief": version.brief,
            "version": version,
            "organisation": context.settings.organisation_name,
            "cite": _citation(context, version),
            "body_html": _body_html(version, urls),
            "references": _references(version, urls),
            "annex": annex,
            "chart": _chart(list(annex.get("participation", []))),
            "base_url": urls.base_url,
            "consultation_url": urls("consultation", slug=consultation["slug"])
            if consultation
            else "",
            "css": Markup(PRINT_CSS),  # noqa: S704 - our own file
        }
        template = context.request.app.state.templates.env.get_template("briefs/printable.html")
        return str(template.render(values))
    finally:
        i18n.current_language.reset(token)


@lru_cache(maxsize=16)
def _render_pdf(job: PdfJob) -> bytes:
    """Layout takes a second or more for a long brief; identical jobs (same frozen text, same
    settings) are reused."""
    return job.render()


def _headers(request: Request, slug: str, extension: str) -> dict[str, str]:
    number = _number(request)
    name = f"{slug}-v{number}" if number else slug
    return {
        "Cache-Control": VERSION_CACHE if number else LATEST_CACHE,
        "Content-Disposition": f'inline; filename="{name}.{extension}"',
    }


def _published(context: Context) -> BriefVersion:
    return _service(context).published(context.params["slug"], _number(context.request))


def export_pdf(context: Context) -> AfterCommit:
    """Layout runs once the transaction has ended (it needs only the rendered document)."""
    version = _published(context)
    job = PdfJob(printable(context, version), base_url=context.settings.base_url)
    headers = _headers(context.request, version.brief.slug, "pdf")
    return AfterCommit(
        lambda: Response(_render_pdf(job), media_type="application/pdf", headers=headers)
    )


def export_html(context: Context) -> Response:
    """The printable document as a standalone HTML file (its styles allowed by hash)."""
    version = _published(context)
    headers = _headers(context.request, version.brief.slug, "html")
    headers["Content-Security-Policy"] = PRINTABLE_CSP
    return HTMLResponse(printable(context, version), headers=headers)


def export_markdown(context: Context) -> Response:
    version = _published(context)
    text = as_markdown(version, site_urls(context.request), context.settings.organisation_name)
    headers = _headers(context.request, version.brief.slug, "md")
    return Response(text, media_type="text/markdown; charset=utf-8", headers=headers)


def export_json(context: Context) -> Response:
    version = _published(context)
    data = as_json(version, request_paths(context.request))
    data["annex"] |= with_contests(context.session, data["annex"])  # as the API's brief JSON
    return JSONResponse(data, headers=_headers(context.request, version.brief.slug, "json"))


def export_bibtex(context: Context) -> Response:
    version = _published(context)
    text = _citation(context, version).bibtex()
    headers = _headers(context.request, version.brief.slug, "bib")
    return Response(text, media_type="application/x-bibtex; charset=utf-8", headers=headers)


def export_ris(context: Context) -> Response:
    version = _published(context)
    text = _citation(context, version).ris()
    headers = _headers(context.request, version.brief.slug, "ris")
    return Response(text, media_type="application/x-research-info-systems", headers=headers)


def export_csl(context: Context) -> Response:
    version = _published(context)
    text = json.dumps(_citation(context, version).csl_json(), ensure_ascii=False, indent=2)
    headers = _headers(context.request, version.brief.slug, "csl.json")
    return Response(text, media_type="application/vnd.citationstyles.csl+json", headers=headers)


# -- editing ----------------------------------------------------------------------------------


def new_page(context: Context) -> Response:
    _editor(context)
    form = {"consultation": context.request.query_params.get("consultation", ""), "language": "en"}
    return _new_form(context, form)


def _new_form(
    context: Context, form: dict[str, Any], error: InvalidInput | Conflict | None = None
) -> Response:
    values = {
        "form": form,
        "error": error,
        "consultations": _service(context).consultations_to_cite(),
        "languages": list(Language),
    }
    status = status_of(error) if error else 200
    return render(context.request, "briefs/new.html", values, status_code=status)


def create(context: Context) -> Response:
    """The form's fields as a `NewBrief`: topics comma-separated, "None" as no consultation,
    the box ticked as `publish`; then the working copy's page, or the version published."""
    editor = _editor(context)  # before the input: others learn nothing from its problems
    fields = {name: context.form.get(name, "") for name in FORM_FIELDS}
    typed: dict[str, Any] = {
        "consultation": fields["consultation"].strip() or None,
        "slug": fields["slug"].strip(),
        "title": fields["title"],
        "body_markdown": fields["body_markdown"],
        "language": fields["language"] or Language.EN,
        "topics": [t.strip().lower() for t in fields["topics"].split(",") if t.strip()],
        "publish": context.form.get("publish") == "1",
    }
    try:
        with context.attempt():
            data = parse(NewBrief, typed, NOT_CREATED)
            if data.publish:  # a consultation that does not exist: create_brief says so
                require_deliberate(
                    context.session,
                    _consultation_named(context, data.consultation),
                    confirmed=context.form.get("confirm_undecided") == "1",
                )
            created = create_brief(
                context.session, context.clock, editor, data, request_paths(context.request)
            )
    except (InvalidInput, Conflict) as error:
        return _new_form(context, fields | {"publish": typed["publish"]}, error)
    return redirect(created.url)


def _consultation_named(context: Context, slug: str | None) -> Consultation | None:
    if slug is None:
        return None
    return context.session.scalar(select(Consultation).where(Consultation.slug == slug))


def edit_page(context: Context) -> Response:
    _editor(context)
    values = _edit_context(context, context.params["slug"])
    return render(context.request, "briefs/edit.html", values)


def _edit_context(
    context: Context,
    slug: str,
    form: dict[str, str] | None = None,
    error: InvalidInput | Conflict | None = None,
) -> dict[str, Any]:
    """The working copy (or the typed text after an error), its preview and what to cite."""
    service = _service(context)
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
        "preview": Markup(  # noqa: S704 - safe renderer
            render_brief(body, threads, request_paths(context.request))
        ),
        "unresolved": [thread_id for thread_id in cited if thread_id not in threads],
        "citable": _citable(context, brief),
        "undecided": undecided_threads(context.session, brief.consultation),
        "saved": context.request.query_params.get("saved") == "1",
    }


def _citable(context: Context, brief: Brief) -> list[dict[str, Any]]:
    """The linked consultation's threads as the annex will show them, to pick citations from."""
    annex = build_annex(context.session, brief.consultation, request_paths(context.request))
    return list(annex["dispositions"])


def save(context: Context) -> Response:
    slug, form = context.params["slug"], context.form
    try:
        with context.attempt():
            _service(context).update_draft(
                slug,
                _editor(context),
                form.get("title", ""),
                form.get("body_markdown", ""),
                form.get("change_note", ""),
            )
    except InvalidInput as error:
        return _edit_again(context, slug, form, error)
    return redirect(with_query(url_path(context.request, "edit_brief", slug=slug), saved=1))


def _edit_again(
    context: Context, slug: str, form: dict[str, str], error: InvalidInput | Conflict
) -> Response:
    values = _edit_context(context, slug, form, error)
    status = 409 if isinstance(error, Conflict) else 422
    return render(context.request, "briefs/edit.html", values, status_code=status)


def publish(context: Context) -> Response:
    """Publish the working copy; with undecided threads, only once the editor confirmed."""
    slug = context.params["slug"]
    editor = _editor(context)
    try:
        with context.attempt():
            brief = _service(context).get(slug)
            version = _service(context).publish(slug, editor, request_paths(context.request))
            confirmed = context.form.get("confirm_undecided") == "1"
            require_deliberate(context.session, brief.consultation, confirmed=confirmed)
    except (InvalidInput, Conflict) as error:
        return _edit_again(context, slug, {}, error)
    return redirect(url_path(context.request, "brief_version", slug=slug, number=version.number))


def revise(context: Context) -> Response:
    slug = context.params["slug"]
    _service(context).revise(slug, _editor(context))
    return redirect(url_path(context.request, "edit_brief", slug=slug))


def _exports(prefix: str, name: str) -> list[Route]:
    """``.csl.json`` before ``.json``: a slug may hold a dot, and would swallow ".csl"."""
    return [
        Route(f"{prefix}.pdf", endpoint(export_pdf), name=f"{name}_pdf"),
        Route(f"{prefix}.html", endpoint(export_html), name=f"{name}_html"),
        Route(f"{prefix}.md", endpoint(export_markdown), name=f"{name}_md"),
        Route(f"{prefix}.csl.json", endpoint(export_csl), name=f"{name}_csl"),
        Route(f"{prefix}.json", endpoint(export_json), name=f"{name}_json"),
        Route(f"{prefix}.bib", endpoint(export_bibtex), name=f"{name}_bib"),
        Route(f"{prefix}.ris", endpoint(export_ris), name=f"{name}_ris"),
    ]


routes = [
    Route("/briefs", endpoint(listing), name="briefs"),
    Route("/briefs", endpoint(create), methods=["POST"], name="create_brief"),
    Route("/briefs/new", endpoint(new_page), name="new_brief"),
    *_exports("/briefs/{slug}", "brief"),
    *_exports("/briefs/{slug}/v/{number:id}", "brief_version"),
    Route("/briefs/{slug}", endpoint(brief_page), name="brief"),
    Route("/briefs/{slug}/v/{number:id}", endpoint(brief_page), name="brief_version"),
    Route("/briefs/{slug}/edit", endpoint(edit_page), name="edit_brief"),
    Route("/briefs/{slug}/edit", endpoint(save), methods=["POST"], name="save_brief"),
    Route("/briefs/{slug}/publish", endpoint(publish), methods=["POST"], name="publish_brief"),
    Route("/briefs/{slug}/revise", endpoint(revise), methods=["POST"], name="revise_brief"),
]
