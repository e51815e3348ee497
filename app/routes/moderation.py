"""Flagging comments, the editors' moderation queue, and the audit log.

The flag form works as a plain POST (back to the comment) and, with htmx, swaps only the
comment, which then says it was flagged; a refused form shows the comment again with what
was typed. The use cases are in consultations/moderating.py and consultations/auditing.py.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session
from starlette.responses import Response
from starlette.routing import Route

from accounts.models import User
from accounts.policy import require_editor
from accounts.ratelimits import TooManyAttempts
from app.routes.consultations import too_many_headers
from app.throttle import count_flag
from app.urls import url_path
from app.web import Context, endpoint, is_htmx, redirect, render
from consultations import auditing, moderating, policy
from consultations.models import Comment
from consultations.moderating import NOT_DECIDED, NOT_FLAGGED, ModerationDecision, NewFlag
from consultations.services import ConsultationService
from core.clock import Clock
from core.enums import FlagReason
from core.errors import Conflict, InvalidInput
from core.inputs import parse

Decide = Callable[[Session, Clock, User | None, int, ModerationDecision], Comment]


def flag_fields(form: dict[str, str]) -> dict[str, object]:
    """The flag form's fields as the API's JSON would carry them (an empty note is absent)."""
    fields: dict[str, object] = {"reason": form.get("reason", "")}
    if form.get("note"):
        fields["note"] = form["note"]
    return fields


def flag(context: Context) -> Response:
    comment_id = context.params["comment_id"]
    try:
        with context.attempt():
            data = parse(NewFlag, flag_fields(context.form), NOT_FLAGGED)
            moderating.flag_comment(context.session, context.clock, context.user, comment_id, data)
            assert context.user is not None  # flag_comment refuses anonymous visitors
            count_flag(context.request, context.session, context.user)
    except (InvalidInput, Conflict, TooManyAttempts) as error:
        status = (
            429
            if isinstance(error, TooManyAttempts)
            else 409
            if isinstance(error, Conflict)
            else 422
        )
        return _comment(context, comment_id, error, status)
    if is_htmx(context.request):
        return _comment(context, comment_id)
    comment = context.session.get(Comment, comment_id)
    assert comment is not None  # it was just flagged
    thread = comment.thread
    page = url_path(
        context.request, "paragraph", slug=thread.consultation.slug, key=thread.paragraph_key
    )
    return redirect(f"{page}#c-{comment_id}")


def _comment(
    context: Context, comment_id: int, error: Exception | None = None, status_code: int = 200
) -> Response:
    comment = moderating.visible_comment(context.session, context.user, comment_id)
    consultation = comment.thread.consultation
    service = ConsultationService(context.session, clock=context.clock)
    values = {
        "consultation": consultation,
        "paragraph": service.paragraph(consultation, comment.thread.paragraph_key),
        "comment": comment,
        "can_moderate": policy.can_moderate(context.user, consultation),
        "flag_reasons": list(FlagReason),
        "flagged": moderating.flagged_by(context.session, context.user, [comment.id]),
        "flag_error": error,
        "flag_form": context.form if error else {},
    }
    return render(
        context.request,
        "moderation/flag.html",
        values,
        fragment="consultations/_comment.html",
        status_code=status_code,
        headers=too_many_headers(error if isinstance(error, TooManyAttempts) else None),
    )


def queue(context: Context) -> Response:
    require_editor(context.user)
    return _queue_page(context)


def _queue_page(
    context: Context,
    errors: dict[tuple[int, str], InvalidInput] | None = None,
    status_code: int = 200,
) -> Response:
    values = {
        "items": moderating.queue(context.session, context.user),
        "hidden": moderating.hidden_comments(context.session, context.user),
        "can_moderate": True,
        "errors": errors or {},
        "form": context.form if errors else {},
    }
    return render(context.request, "moderation/queue.html", values, status_code=status_code)


def _decide(context: Context, action: str, decide: Decide) -> Response:
    comment_id = context.params["comment_id"]
    require_editor(context.user)
    try:
        with context.attempt():
            data = parse(
                ModerationDecision, {"reason": context.form.get("reason", "")}, NOT_DECIDED
            )
            decide(context.session, context.clock, context.user, comment_id, data)
    except InvalidInput as error:
        return _queue_page(context, {(comment_id, action): error}, status_code=422)
    return redirect(url_path(context.request, "moderation") + f"#m-{comment_id}")


def hide(context: Context) -> Response:
    return _decide(context, "hide_comment", moderating.hide_comment)


def restore(context: Context) -> Response:
    return _decide(context, "restore_comment", moderating.restore_comment)


def keep(context: Context) -> Response:
    return _decide(context, "keep_comment", moderating.keep_comment)


def audit_log(context: Context) -> Response:
    filters = auditing.AuditFilters.from_params(context.request.query_params)
    rows = auditing.read(context.session, context.user, filters)
    values = {"rows": rows, "filters": filters, **auditing.choices(context.session)}
    return render(context.request, "moderation/audit.html", values)


def audit_csv(context: Context) -> Response:
    filters = auditing.AuditFilters.from_params(context.request.query_params)
    rows = auditing.read(context.session, context.user, filters, limit=auditing.CSV_ROWS)
    return Response(
        "\ufeff" + auditing.as_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )


routes = [
    Route(
        "/comments/{comment_id:id}/flags",
        endpoint(flag),
        methods=["POST"],
        name="flag_comment",
    ),
    Route("/moderation", endpoint(queue), name="moderation"),
    Route(
        "/moderation/comments/{comment_id:id}/hide",
        endpoint(hide),
        methods=["POST"],
        name="hide_comment",
    ),
    Route(
        "/moderation/comments/{comment_id:id}/restore",
        endpoint(restore),
        methods=["POST"],
        name="restore_comment",
    ),
    Route(
        "/moderation/comments/{comment_id:id}/keep",
        endpoint(keep),
        methods=["POST"],
        name="keep_comment",
    ),
    Route("/audit", endpoint(audit_log), name="audit_log"),
    Route("/audit.csv", endpoint(audit_csv), name="audit_csv"),
]
