"""Reading consultations and commenting on paragraphs."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from accounts.models import User
from accounts.ratelimits import TooManyAttempts
from app import charts
from app.throttle import count_comment
from app.urls import site_urls, url_path
from app.web import Context, endpoint, is_htmx, redirect, render
from briefs import contesting
from briefs.contesting import NOT_CONTESTED, NewContest
from briefs.services import BriefService
from consultations import (
    campaigns,
    commenting,
    consensus,
    endorsing,
    exports,
    moderating,
    opinions,
    policy,
    reanchoring,
)
from consultations.commenting import NewComment
from consultations.diff import diff_versions
from consultations.models import Comment, Consultation, Thread
from consultations.period import period_note
from consultations.services import NOT_POSTED, ConsultationService, topic_named
from core.enums import Attribution, FlagReason, Phase, Stance
from core.errors import DomainError, InvalidInput, NotFound
from core.i18n import N_
from core.idempotency import AlreadyAnswered, Answer, IdempotencyStore, KeyReused, fingerprint
from core.ids import parse_id
from core.inputs import parse
from core.urls import with_query

#: The listing's status filter: the phases anyone may see.
LISTED_PHASES = [phase for phase in Phase if phase != Phase.DRAFT]
FORM_REUSED = N_(
    "This form had already posted a comment. Your new text is kept below: "
    "send it again to post it as another comment."
)


def _service(context: Context) -> ConsultationService:
    return ConsultationService(context.session, clock=context.clock)


def _visible(context: Context, service: ConsultationService) -> Consultation:
    return service.visible(context.params["slug"], context.user)


def listing(context: Context) -> Response:
    topic = context.request.query_params.get("topic") or None
    status = context.request.query_params.get("status") or None
    if status and status not in set(Phase):
        status = None
    service = _service(context)
    items = service.listing(
        topic=topic, status=status, include_drafts=policy.sees_drafts(context.user)
    )
    now = context.clock.now()
    values = {
        "items": items,
        "periods": {c.id: period_note(c, phase, now) for c, phase in items},
        "topic": topic,
        "topic_row": topic_named(context.session, topic) if topic else None,
        "status": status,
        "phases": LISTED_PHASES,
    }
    return render(context.request, "consultations/list.html", values)


def draft(context: Context) -> Response:
    """The current draft (or a given version) with margin counts per paragraph."""
    service = _service(context)
    consultation = _visible(context, service)
    version = service.version(consultation, context.params.get("number"))
    latest = version if "number" not in context.params else service.version(consultation)
    status = service.effective_status(consultation)
    paragraphs, counts = service.paragraphs(version), service.thread_counts(consultation)
    rows = consensus.consensus_map(service, consultation, paragraphs=paragraphs, threads=counts)
    show = context.request.query_params.get("show", "")
    keep = consensus.filtered_keys(context.session, consultation, rows, show)
    values = {
        "consultation": consultation,
        "version": version,
        "latest": latest,
        "paragraphs": paragraphs,
        "counts": counts,
        "consensus": {row.key: row for row in rows},
        "sections": consensus.outline(rows),
        "filters": consensus.FILTERS,
        "show": show if keep is not None else "",
        "keep": keep,
        "groups": consensus.GROUPS,
        "outdated": service.outdated(consultation) if version.id == latest.id else {},
        "accepting": service.is_accepting_comments(consultation),
        "status": status,
        "period": period_note(consultation, status, context.clock.now()),
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
    posted = parse_id(context.request.query_params.get("posted"))
    return _paragraph_page(context, service, _visible(context, service), posted=posted)


def post_comment(context: Context) -> Response:
    """Post a comment or reply. Invalid input shows the form again with what was typed;
    with htmx the margin's threads come back, rendered in the same transaction."""
    form, key = context.form, context.params["key"]
    service = _service(context)
    consultation = _visible(context, service)
    try:
        comment_id = _store_comment(context, service, consultation)
    except (InvalidInput, TooManyAttempts) as error:
        return _paragraph_page(context, service, consultation, form=form, error=error)
    if is_htmx(context.request):
        return _paragraph_page(context, service, consultation, posted=comment_id)
    paragraph = url_path(context.request, "paragraph", slug=consultation.slug, key=key)
    return redirect(f"{with_query(paragraph, posted=comment_id)}#c-{comment_id}")


def _store_comment(
    context: Context, service: ConsultationService, consultation: Consultation
) -> int:
    """The new comment's id; or, when the form's one-time token was already used for the
    same comment (a double click, a resent form), the id of the comment it posted."""
    form = context.form
    store = IdempotencyStore(context.session, clock=context.clock)
    once = _once(context, form)
    try:
        if once and (posted := store.recall(*once)):
            return int(posted.body)
        with context.attempt():
            data = parse(NewComment, _comment_fields(form), NOT_POSTED)
            author, key = context.user, context.params["key"]
            comment = commenting.post_comment(
                context.session, context.clock, author, consultation.slug, key, data
            )
            assert author is not None  # post_comment refuses anonymous visitors
            count_comment(context.request, context.session, author)
            if once:
                store.remember(*once, Answer(303, str(comment.id)))
    except KeyReused as error:
        raise InvalidInput(FORM_REUSED) from error
    except AlreadyAnswered:
        # A concurrent sending of the same form committed first; ours is undone with its
        # savepoint, and the comment is the one that sending posted.
        assert once is not None  # only `remember` raises it
        posted = store.recall(*once)
        assert posted is not None  # committed before our insert could conflict with it
        return int(posted.body)
    return comment.id


def _comment_fields(form: dict[str, str]) -> dict[str, object]:
    """The comment form's fields as the API's JSON would carry them: an empty field is
    absent, and a parent id is a number if it can be one."""
    fields: dict[str, object] = {
        name: form[name] for name in NewComment.model_fields if form.get(name)
    }
    fields.setdefault("body", "")
    fields.setdefault("attribution", "")
    if parent := form.get("parent_id"):
        fields["parent_id"] = parse_id(parent) or parent
    return fields


def _once(context: Context, form: dict[str, str]) -> tuple[int, str, str] | None:
    """(user, key, fingerprint) for the form's one-time token, if it carries one."""
    token = form.get("once", "")
    author: User | None = context.user
    if author is None or not 1 <= len(token) <= 64:
        return None
    fields = (form.get(name, "") for name in NewComment.model_fields)
    return author.id, f"form:{token}", fingerprint(context.request.url.path, *fields)


def _paragraph_page(
    context: Context,
    service: ConsultationService,
    consultation: Consultation,
    *,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
    posted: int | None = None,
) -> Response:
    """The paragraph and its threads; `posted`: the comment whose receipt its author is
    shown (to anyone else the page is the same as without it)."""
    key = context.params["key"]
    threads = service.threads(consultation, key)
    paragraph = service.paragraph(consultation, key)
    comment_ids = [comment.id for thread in threads for comment in thread.comments]
    briefs = BriefService(context.session, clock=context.clock)
    values = {
        "consultation": consultation,
        "paragraph": paragraph,
        # What each thread's quote stands for in the paragraph shown (highlighted by JS).
        "quoted": service.quote_spans(consultation, threads, paragraph.text),
        "in_current": service.in_current_version(consultation, key),
        "threads": threads,
        "similar": campaigns.on_paragraph(context.session, consultation.id, threads),
        "written_on": reanchoring.written_on(context.session, consultation, threads),
        "can_manage": policy.can_manage(context.user),
        "cited_in": briefs.citations_for_threads([thread.id for thread in threads]),
        "contests": contesting.contests_for(context.session, [thread.id for thread in threads]),
        "contestable": contesting.contestable(context.session, context.user, threads),
        "latest": service.version(consultation),
        "accepting": service.is_accepting_comments(consultation),
        "stances": list(Stance),
        "attributions": [
            a for a in Attribution if a != Attribution.ANONYMOUS or consultation.allow_anonymous
        ],
        "can_moderate": policy.can_moderate(context.user, consultation),
        "flag_reasons": list(FlagReason),
        "flagged": moderating.flagged_by(context.session, context.user, comment_ids),
        "flag_error": None,
        "flag_form": {},
        **_endorsement_values(context, comment_ids),
        "form": form or {},
        "error": error,
        "posted": posted,
    }
    return render(
        context.request,
        "consultations/paragraph.html",
        values,
        fragment="consultations/_threads.html",
        status_code=429 if isinstance(error, TooManyAttempts) else 422 if error else 200,
        headers=too_many_headers(error),
    )


def _endorsement_values(context: Context, comment_ids: list[int]) -> dict[str, Any]:
    """What `_endorsement.html` needs for these comments: two queries for the whole page."""
    user = context.user
    return {
        "endorsements": endorsing.counts_by_group(context.session, comment_ids),
        "endorsed": endorsing.endorsed_by(context.session, user.id, comment_ids)
        if user
        else frozenset(),
        "endorse_buttons": True,
    }


def endorse(context: Context) -> Response:
    """Endorse a comment or withdraw the endorsement (form field `action`); htmx swaps the
    comment's endorsement block, without JS the paragraph's page comes back at the comment."""
    comment_id = context.params["comment_id"]
    if context.form.get("action") == "withdraw":
        endorsing.withdraw(context.session, context.clock, context.user, comment_id)
    else:
        endorsing.endorse(context.session, context.clock, context.user, comment_id)
    comment = context.session.get(Comment, comment_id)
    assert comment is not None  # both use cases refuse a comment that is not there
    consultation = comment.thread.consultation
    if is_htmx(context.request):
        values = {
            "comment": comment,
            "accepting": _service(context).is_accepting_comments(consultation),
            **_endorsement_values(context, [comment_id]),
        }
        return render(context.request, "consultations/_endorsement.html", values)
    key = comment.thread.paragraph_key
    paragraph = url_path(context.request, "paragraph", slug=consultation.slug, key=key)
    return redirect(f"{paragraph}#c-{comment_id}")


def _download(slug: str, extension: str, what: str = "comments") -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{slug}-{what}.{extension}"'}


def _sort(context: Context) -> str:
    """The consensus map's order from the query (anything else: document order)."""
    value = context.request.query_params.get("sort", "")
    return value if value in consensus.SORTS else "paragraph"


def consensus_page(context: Context) -> Response:
    """Where the stakeholder groups agree: the paragraph × group map, for everyone."""
    service = _service(context)
    consultation = _visible(context, service)
    rows = consensus.consensus_map(service, consultation, _sort(context))
    status = service.effective_status(consultation)
    totals = consensus.group_totals(rows)
    values = {
        "consultation": consultation,
        "rows": rows,
        "sort": _sort(context),
        "sorts": consensus.SORTS,
        "totals": totals,
        "most_in_cell": charts.largest(c for row in rows for c in row.stances.values()),
        "days": consensus.participation_over_time(context.session, consultation),
        "opinion_map": opinions.for_page(context.session, consultation),
        "opinions_minimum": (opinions.MIN_PARTICIPANTS, opinions.MIN_VOTES),
        "groups": consensus.GROUPS,
        "definitions": consensus.DEFINITIONS,
        "status": status,
        "period": period_note(consultation, status, context.clock.now()),
    }
    return render(context.request, "consultations/consensus.html", values)


def consensus_csv(context: Context) -> Response:
    service = _service(context)
    consultation = _visible(context, service)
    rows = consensus.consensus_map(service, consultation, _sort(context))
    return Response(
        "\ufeff" + consensus.as_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers=_download(consultation.slug, "csv", "consensus"),
    )


def comments_csv(context: Context) -> Response:
    """Open data: every public comment, one row each (404 for a draft the reader may not see)."""
    consultation = _visible(context, _service(context))
    urls = site_urls(context.request)
    rows = exports.public_comments(context.session, consultation, urls)
    return Response(
        "\ufeff" + exports.as_csv(rows),  # the byte order mark: spreadsheets then read UTF-8
        media_type="text/csv; charset=utf-8",
        headers=_download(consultation.slug, "csv"),
    )


def comments_json(context: Context) -> Response:
    consultation = _visible(context, _service(context))
    urls = site_urls(context.request)
    rows = exports.public_comments(context.session, consultation, urls)
    page = urls("consultation", slug=consultation.slug)
    return JSONResponse(
        exports.as_json(consultation, rows, page), headers=_download(consultation.slug, "json")
    )


def too_many_headers(error: DomainError | None) -> dict[str, str] | None:
    if isinstance(error, TooManyAttempts):
        return {"Retry-After": str(error.retry_after)}
    return None


def contest(context: Context) -> Response:
    """A commenter contests their thread's disposition (once, after a brief was published);
    the objection is shown on the thread at once."""
    slug, thread_id = context.params["slug"], context.params["thread_id"]
    thread = context.session.get(Thread, thread_id)
    if thread is None or thread.consultation.slug != slug:
        raise NotFound(N_("No thread %(id)s in this consultation."), id=thread_id)
    data = parse(NewContest, {"reason": context.form.get("reason", "")}, NOT_CONTESTED)
    contesting.contest_disposition(context.session, context.clock, context.user, thread_id, data)
    page = url_path(context.request, "paragraph", slug=slug, key=thread.paragraph_key)
    return redirect(f"{page}#t-{thread.id}")


routes = [
    Route("/consultations", endpoint(listing), name="consultations"),
    Route("/consultations/{slug}", endpoint(draft), name="consultation"),
    Route("/consultations/{slug}/v/{number:id}", endpoint(draft), name="consultation_version"),
    Route(
        "/consultations/{slug}/diff/{old:id}..{new:id}",
        endpoint(diff),
        name="consultation_diff",
    ),
    Route("/consultations/{slug}/comments.csv", endpoint(comments_csv), name="comments_csv"),
    Route("/consultations/{slug}/consensus", endpoint(consensus_page), name="consensus"),
    Route("/consultations/{slug}/consensus.csv", endpoint(consensus_csv), name="consensus_csv"),
    Route("/consultations/{slug}/comments.json", endpoint(comments_json), name="comments_json"),
    Route("/consultations/{slug}/p/{key}", endpoint(paragraph), name="paragraph"),
    Route(
        "/consultations/{slug}/p/{key}/comments",
        endpoint(post_comment),
        methods=["POST"],
        name="post_comment",
    ),
    Route(
        "/comments/{comment_id:id}/endorsement",
        endpoint(endorse),
        methods=["POST"],
        name="endorse_comment",
    ),
    Route(
        "/consultations/{slug}/threads/{thread_id:id}/contest",
        endpoint(contest),
        methods=["POST"],
        name="contest_thread",
    ),
]
