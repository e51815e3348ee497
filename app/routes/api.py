"""The public JSON API, version 1: a contract diplomats' and partners' tools rely on.

Reads are public and go through the same services and attribution rules as the pages;
writes need a bearer token (see `app.api_auth`). Domain errors become JSON in `app.errors`;
problems the domain never sees (syntax, size, credentials) in `app.api_protocol`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Router

from accounts.models import User
from accounts.policy import require_editor
from app import openapi
from app.api_auth import authenticate
from app.api_protocol import (
    MAX_BODY_BYTES,
    ApiProblem,
    ApiRoute,
    SortKey,
    by_method,
    iso,
    optional_int_param,
    paginate,
    read_json_object,
    unknown_endpoint,
)
from app.throttle import count_comment, count_flag, count_search
from app.urls import request_paths, url_path
from app.web import Context, endpoint, endpoint_reading
from briefs import contesting, dispositions, exports, publishing
from briefs.annex import with_contests
from briefs.contesting import NOT_CONTESTED, ContestJSON, NewContest, contests_for
from briefs.dispositions import NOT_SAVED, Decision
from briefs.models import BriefVersion, DispositionContest
from briefs.publishing import NOT_CREATED, NewBrief
from briefs.services import BriefService
from consultations import (
    campaigns,
    commenting,
    consensus,
    endorsing,
    managing,
    moderating,
    versions,
)
from consultations.commenting import KEY_PATTERN, NewComment, PublicComment
from consultations.consensus import ConsensusJSON
from consultations.importing import MAX_UPLOAD_BYTES
from consultations.managing import NOT_CHANGED, CommentRules, StatusChange
from consultations.models import Consultation, Paragraph, Thread
from consultations.moderating import NOT_FLAGGED, FlagJSON, NewFlag
from consultations.services import NOT_POSTED, SLUG_PATTERN, ConsultationService
from consultations.versions import NOT_PUBLISHED, NewVersion
from core.clock import as_utc
from core.enums import Phase, StakeholderGroup, ThreadState
from core.errors import NotFound
from core.idempotency import MAX_KEY_CHARS, AlreadyAnswered, Answer, IdempotencyStore, fingerprint
from core.ids import MAX_ID
from core.inputs import parse
from core.urls import with_query
from search.queries import DATE, NOTE_PAGE, TOPIC, SearchQuery

IDEMPOTENCY_HEADER = "Idempotency-Key"
PUBLIC_PHASES = [phase.value for phase in Phase if phase != Phase.DRAFT]
REPLAYED_HEADER = "Idempotent-Replayed"
Payload = dict[str, Any] | ApiProblem  # the body, or what is wrong with it


# -- consultations ----------------------------------------------------------------------------


def _service(context: Context) -> ConsultationService:
    return ConsultationService(context.session, clock=context.clock)


def _public_consultation(context: Context, service: ConsultationService) -> Consultation:
    """The API reads as the public does: drafts do not exist for it."""
    return service.visible(context.params["slug"], None)


def consultation_json(
    service: ConsultationService, consultation: Consultation, status: Phase | None = None
) -> dict[str, Any]:
    """`status` is the phase a listing read with it, else the phase now."""
    return {
        "slug": consultation.slug,
        "title": consultation.title,
        "status": (status or service.effective_status(consultation)).value,
        "topics": [topic.slug for topic in consultation.topics],
        "language": consultation.language.value,
        "opens_at": iso(consultation.opens_at),
        "closes_at": iso(consultation.closes_at),
        "current_version": service.version(consultation).number,
    }


def paragraph_json(paragraph: Paragraph, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "key": paragraph.key,
        "ordinal": paragraph.ordinal,
        "kind": paragraph.kind,
        "text": paragraph.text,
        "html": paragraph.html,
        "thread_count": counts.get(paragraph.key, 0),
    }


def thread_json(
    thread: Thread,
    contest: DispositionContest | None = None,
    endorsements: Mapping[int, dict[StakeholderGroup, int]] | None = None,
) -> dict[str, Any]:
    """`endorsements`: comment id → counts by group (`endorsing.counts_by_group`)."""
    counts = endorsements or {}
    return {
        "id": thread.id,
        "paragraph_key": thread.paragraph_key,
        "state": thread.state.value,
        "written_on_version": thread.version_number,
        "outdated": thread.state == ThreadState.OUTDATED,
        "quote": thread.quote,
        "status": thread.status.value,
        "disposition": thread.disposition.value if thread.disposition else None,
        "rationale": thread.rationale,
        "comments": [
            PublicComment.of(c, counts.get(c.id)).model_dump(mode="json") for c in thread.comments
        ],
        "contest": ContestJSON.of(contest).model_dump() if contest else None,
    }


def list_consultations(context: Context) -> Response:
    """Public consultations, newest first; `status` keeps those in that phase now."""
    status = context.request.query_params.get("status")
    if status is not None and status not in PUBLIC_PHASES:
        raise ApiProblem(
            400,
            "invalid_parameter",
            "Unknown status.",
            fields={"status": "Must be one of: " + ", ".join(PUBLIC_PHASES) + "."},
        )
    service = _service(context)
    page, following = paginate(
        context.request,
        service.listing(status=status),
        lambda item: (as_utc(item.consultation.created_at), item.consultation.id),
    )
    items = [consultation_json(service, c, phase) for c, phase in page]
    return JSONResponse({"items": items, "next": following})


def get_consultation(context: Context) -> Response:
    """The current version, paragraph by paragraph, with margin counts."""
    service = _service(context)
    consultation = _public_consultation(context, service)
    version = service.version(consultation)
    counts = service.thread_counts(consultation)
    body = consultation_json(service, consultation) | {
        "summary": consultation.summary,
        "accepting_comments": service.is_accepting_comments(consultation),
        "version": version.number,
        "paragraphs": [paragraph_json(p, counts) for p in service.paragraphs(version)],
    }
    return JSONResponse(body)


def list_threads(context: Context) -> Response:
    key = context.request.query_params.get("paragraph") or None
    service = _service(context)
    consultation = _public_consultation(context, service)
    # A key of the wrong shape names no paragraph: no thread, and no query with odd bytes.
    threads = [] if key and not KEY_PATTERN.match(key) else service.threads(consultation, key)
    contests = contests_for(context.session, [thread.id for thread in threads])
    endorsements = _endorsements(context, threads)
    items = [thread_json(thread, contests.get(thread.id), endorsements) for thread in threads]
    return JSONResponse({"items": items})


def consensus_json(context: Context) -> Response:
    """The consensus page's map as JSON: counts and scores, never who."""
    service = _service(context)
    consultation = _public_consultation(context, service)
    sort = context.request.query_params.get("sort", "paragraph")
    if sort not in consensus.SORTS:
        raise ApiProblem(
            400,
            "invalid_parameter",
            "Unknown order.",
            fields={"sort": "Must be one of: " + ", ".join(consensus.SORTS) + "."},
        )
    rows = consensus.consensus_map(service, consultation, sort)
    return Response(ConsensusJSON.of(rows).model_dump_json(), media_type="application/json")


def _endorsements(
    context: Context, threads: list[Thread]
) -> dict[int, dict[StakeholderGroup, int]]:
    ids = [comment.id for thread in threads for comment in thread.comments]
    return endorsing.counts_by_group(context.session, ids)


def list_campaigns(context: Context) -> Response:
    """Groups of near-identical thread openings (two or more), largest first; the example is
    the earliest comment's words, without its author."""
    consultation = _public_consultation(context, _service(context))
    found = campaigns.campaigns(context.session, consultation.id)
    items = [
        {"size": c.size, "comment_ids": list(c.comment_ids), "example": c.example} for c in found
    ]
    return JSONResponse({"items": items})


def _payload(limit: int = MAX_BODY_BYTES) -> Callable[[Request], Awaitable[Payload]]:
    """A reader of the body, received on the event loop. A problem with it is answered only
    once the credentials have been checked, so a caller without a valid token always gets
    the 401 (or 403) first, as if the body had not been looked at."""

    async def read(request: Request) -> Payload:
        try:
            return await read_json_object(request, limit)
        except ApiProblem as problem:
            return problem

    return read


def _authenticated(context: Context, payload: Payload) -> tuple[User, dict[str, Any]]:
    """The token's user (with the `write` scope), then the body, in that order."""
    author = authenticate(context.request, context.session, "write")
    if isinstance(payload, ApiProblem):
        raise payload
    return author, payload


@endpoint_reading(_payload(), web=False)
def post_comment(context: Context, body: Payload) -> Response:
    """A comment or reply, by the token's user, under the same rules as the web form:
    authentication included, one transaction and one connection checkout per comment.
    With an Idempotency-Key, a retry gets the first answer instead of a second comment."""
    author, payload = _authenticated(context, body)
    retry = _retry_of(context.request, author.id, payload)
    if retry is None:
        return _comment_answer(context.request, _new_comment(context, author, payload))
    store = IdempotencyStore(context.session, clock=context.clock)
    answer = store.recall(*retry)
    if answer is not None:
        return _comment_answer(context.request, answer, replayed=True)
    try:
        with context.attempt():
            answer = _new_comment(context, author, payload)
            store.remember(*retry, answer)
    except AlreadyAnswered:
        # A concurrent request with the same key and body committed first: this one's
        # comment is undone with its savepoint, and it gets the first one's answer.
        answer = store.recall(*retry)
        assert answer is not None  # committed before our insert could conflict with it
        return _comment_answer(context.request, answer, replayed=True)
    return _comment_answer(context.request, answer)


def _new_comment(context: Context, author: User, payload: dict[str, Any]) -> Answer:
    slug, key = context.params["slug"], context.params["key"]
    data = parse(NewComment, payload, NOT_POSTED)
    posted = commenting.post_comment(context.session, context.clock, author, slug, key, data)
    count_comment(context.request, context.session, author)
    return Answer(201, posted.model_dump_json())


def _comment_answer(request: Request, answer: Answer, *, replayed: bool = False) -> Response:
    slug, key = request.path_params["slug"], request.path_params["key"]
    location = with_query(url_path(request, "api:threads", slug=slug), paragraph=key)
    headers = {"Location": location}
    if replayed:
        headers[REPLAYED_HEADER] = "true"
    return Response(answer.body, answer.status, headers, media_type="application/json")


def _retry_of(
    request: Request, user_id: int, payload: dict[str, Any]
) -> tuple[int, str, str] | None:
    """(user, key, fingerprint) of a request that carries an Idempotency-Key, else None."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_CHARS or not (key.isascii() and key.isprintable()):
        raise ApiProblem(
            400,
            "invalid_parameter",
            "The Idempotency-Key header must be 1 to 255 printable ASCII characters.",
            fields={IDEMPOTENCY_HEADER: "invalid"},
        )
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return user_id, f"api:{key}", fingerprint("POST", request.url.path, canonical)


@endpoint_reading(_payload(MAX_UPLOAD_BYTES), web=False)
def post_version(context: Context, body: Payload) -> Response:
    """A new version by an editor's token: the editor's form, as JSON (a draft may be as
    large as an uploaded file, so the body may be too)."""
    editor, payload = _authenticated(context, body)
    slug = context.params["slug"]
    data = parse(NewVersion, payload, NOT_PUBLISHED)
    published = versions.publish_version(context.session, context.clock, editor, slug, data)
    location = url_path(
        context.request, "consultation_version", slug=slug, number=published.version
    )
    return Response(
        published.model_dump_json(), 201, {"Location": location}, media_type="application/json"
    )


@endpoint_reading(_payload(), web=False)
def put_status(context: Context, body: Payload) -> Response:
    """Move a consultation along its statuses by an editor's token: the dashboard's form."""
    user, payload = _authenticated(context, body)
    editor = require_editor(user)  # before the input: others learn nothing from its problems
    data = parse(StatusChange, payload, NOT_CHANGED)
    state = managing.change_status(
        context.session, context.clock, editor, context.params["slug"], data
    )
    return Response(state.model_dump_json(), media_type="application/json")


@endpoint_reading(_payload(), web=False)
def put_comment_rules(context: Context, body: Payload) -> Response:
    """Set a consultation's comment period and anonymity by an editor's token."""
    user, payload = _authenticated(context, body)
    editor = require_editor(user)
    data = parse(CommentRules, payload, NOT_CHANGED)
    state = managing.change_comment_rules(
        context.session, context.clock, editor, context.params["slug"], data
    )
    return Response(state.model_dump_json(), media_type="application/json")


# -- threads: dispositions and contests ----------------------------------------------------------


@endpoint_reading(_payload(), web=False)
def put_disposition(context: Context, body: Payload) -> Response:
    """Record or change a thread's disposition by an editor's token: the synthesis form, as
    JSON (the commenters are told by email)."""
    user, payload = _authenticated(context, body)
    editor = require_editor(user)  # before the input: others learn nothing from its problems
    data = parse(Decision, payload, NOT_SAVED)
    thread_id = context.params["thread_id"]
    thread = dispositions.decide_thread_by_id(
        context.session, context.clock, editor, thread_id, data
    )
    contest = contests_for(context.session, [thread.id]).get(thread.id)
    return JSONResponse(thread_json(thread, contest, _endorsements(context, [thread])))


@endpoint_reading(_payload(), web=False)
def post_contest(context: Context, body: Payload) -> Response:
    """A commenter contests their thread's disposition, once, after a brief was published."""
    author, payload = _authenticated(context, body)
    data = parse(NewContest, payload, NOT_CONTESTED)
    thread_id = context.params["thread_id"]
    contest = contesting.contest_disposition(
        context.session, context.clock, author, thread_id, data
    )
    thread = contest.thread
    paragraph = url_path(
        context.request, "paragraph", slug=thread.consultation.slug, key=thread.paragraph_key
    )
    return Response(
        ContestJSON.of(contest).model_dump_json(),
        201,
        {"Location": f"{paragraph}#t-{thread.id}"},
        media_type="application/json",
    )


# -- moderation --------------------------------------------------------------------------------


@endpoint_reading(_payload(), web=False)
def post_flag(context: Context, body: Payload) -> Response:
    """Flag a comment for the moderators, by the token's user: the page's flag form, as JSON."""
    flagger, payload = _authenticated(context, body)
    data = parse(NewFlag, payload, NOT_FLAGGED)
    comment_id = context.params["comment_id"]
    flag = moderating.flag_comment(context.session, context.clock, flagger, comment_id, data)
    count_flag(context.request, context.session, flagger)
    thread = flag.comment.thread
    paragraph = url_path(
        context.request, "paragraph", slug=thread.consultation.slug, key=thread.paragraph_key
    )
    return Response(
        FlagJSON.of(flag).model_dump_json(),
        201,
        {"Location": f"{paragraph}#c-{comment_id}"},
        media_type="application/json",
    )


# -- endorsements -------------------------------------------------------------------------------


def endorse_comment(context: Context) -> Response:
    """The token's user endorses a comment: 201 when this endorsed it, 200 when they had
    already (nothing changes: a retry is safe). Either way the body is the comment's counts."""
    user = authenticate(context.request, context.session, "write")
    comment_id = context.params["comment_id"]
    created = endorsing.endorse(context.session, context.clock, user, comment_id)
    state = endorsing.state(context.session, user, comment_id)
    return Response(state.model_dump_json(), 201 if created else 200, media_type="application/json")


def withdraw_endorsement(context: Context) -> Response:
    """204 whether or not there was an endorsement to withdraw (a retry is safe)."""
    user = authenticate(context.request, context.session, "write")
    endorsing.withdraw(context.session, context.clock, user, context.params["comment_id"])
    return Response(status_code=204)


# -- briefs ------------------------------------------------------------------------------------


def brief_summary_json(version: BriefVersion) -> dict[str, Any]:
    return {
        "slug": version.brief.slug,
        "title": version.title,
        "topics": [topic.slug for topic in version.brief.topics],
        "language": version.brief.language.value,
        "version": version.number,
        "published_at": iso(version.published_at),
    }


def _published_key(version: BriefVersion) -> SortKey:
    assert version.published_at is not None  # the listing holds published versions only
    return as_utc(version.published_at), version.id


def list_briefs(context: Context) -> Response:
    service = BriefService(context.session, clock=context.clock)
    page, following = paginate(context.request, service.listing(), _published_key)
    items = [brief_summary_json(version) for version in page]
    return JSONResponse({"items": items, "next": following})


def get_brief(context: Context) -> Response:
    """A published version (the latest by default); working copies are never public."""
    slug = context.params["slug"]
    number = optional_int_param(context.request, "version", 1, MAX_ID)
    if not SLUG_PATTERN.match(slug) or len(slug) > 120:
        raise NotFound("No brief called “%(slug)s”.", slug=slug)
    version = BriefService(context.session, clock=context.clock).published(slug, number)
    body = exports.as_json(version, request_paths(context.request))
    body["annex"] |= with_contests(context.session, body["annex"])
    return JSONResponse(body)


@endpoint_reading(_payload(MAX_UPLOAD_BYTES), web=False)
def post_brief(context: Context, body: Payload) -> Response:
    """A new brief by an editor's token: the editor's form, as JSON (a brief's text may be
    far longer than a comment, so its body may be as large as an uploaded draft)."""
    user, payload = _authenticated(context, body)
    editor = require_editor(user)  # before the input: others learn nothing from its problems
    data = parse(NewBrief, payload, NOT_CREATED)
    paths = request_paths(context.request)
    created = publishing.create_brief(context.session, context.clock, editor, data, paths)
    return Response(
        created.model_dump_json(), 201, {"Location": created.url}, media_type="application/json"
    )


# -- search ------------------------------------------------------------------------------------

SEARCH_PARAMS = ("type", "topic", "group", "lang", "from", "to", "sort", "page")
# The page reads these leniently (case, spaces); the API takes them exactly as documented.
EXACT = {"topic": TOPIC, "from": DATE, "to": DATE}


def search_query(request: Request) -> SearchQuery:
    """The page explains a filter it cannot use and searches without it; a program should
    rather learn its mistake than receive unfiltered results, so the API refuses it."""
    params = request.query_params
    fields = {name: problem for name in SEARCH_PARAMS if (problem := _search_problem(params, name))}
    if fields:
        raise ApiProblem(
            400, "invalid_parameter", "Some search parameters are invalid.", fields=fields
        )
    return SearchQuery.from_params(params)


def _search_problem(params: Mapping[str, str], name: str) -> str | None:
    if name not in params:
        return None
    value = params[name]
    if not value:
        return "Must not be empty."
    if name == "page" and not (value.isascii() and value.isdigit()):
        return NOTE_PAGE
    notes = SearchQuery.from_params({name: value}).notes
    if not notes and name in EXACT and not EXACT[name].fullmatch(value):
        return f"Must match {EXACT[name].pattern}"
    return notes[0] if notes else None


def search(context: Context) -> Response:
    query = search_query(context.request)
    count_search(context.request, context.session)
    results = context.request.app.state.worker.index.search_in_pool(
        query, request_paths(context.request)
    )
    return JSONResponse(
        {
            "total": results.total,
            "hits": [hit.as_json() for hit in results.hits],
            "facets": results.facets,
            "suggestion": results.suggestion,
            "notes": list(results.notes),
        }
    )


# -- the document and the route table -----------------------------------------------------------


async def openapi_document(request: Request) -> Response:
    return JSONResponse(openapi.document())


API_ROUTES: list[BaseRoute] = [
    ApiRoute("/openapi.json", openapi_document),
    ApiRoute("/consultations", endpoint(list_consultations, web=False)),
    ApiRoute("/consultations/{slug}", endpoint(get_consultation, web=False)),
    ApiRoute("/consultations/{slug}/threads", endpoint(list_threads, web=False), name="threads"),
    ApiRoute(
        "/consultations/{slug}/consensus", endpoint(consensus_json, web=False), name="consensus"
    ),
    ApiRoute("/consultations/{slug}/campaigns", endpoint(list_campaigns, web=False)),
    ApiRoute("/consultations/{slug}/paragraphs/{key}/comments", post_comment, methods=["POST"]),
    ApiRoute("/consultations/{slug}/versions", post_version, methods=["POST"]),
    ApiRoute("/consultations/{slug}/status", put_status, methods=["PUT"]),
    ApiRoute("/consultations/{slug}/rules", put_comment_rules, methods=["PUT"]),
    ApiRoute("/threads/{thread_id:id}/disposition", put_disposition, methods=["PUT"]),
    ApiRoute("/threads/{thread_id:id}/contest", post_contest, methods=["POST"]),
    ApiRoute("/comments/{comment_id:id}/flags", post_flag, methods=["POST"]),
    ApiRoute(
        "/comments/{comment_id:id}/endorsement",
        by_method(
            POST=endpoint(endorse_comment, web=False),
            DELETE=endpoint(withdraw_endorsement, web=False),
        ),
        methods=["POST", "DELETE"],
        name="endorsement",
    ),
    ApiRoute(
        "/briefs",
        by_method(GET=endpoint(list_briefs, web=False), POST=post_brief),
        methods=["GET", "POST"],
    ),
    ApiRoute("/briefs/{slug}", endpoint(get_brief, web=False)),
    ApiRoute("/search", endpoint(search, web=False)),
]

routes: list[BaseRoute] = [
    Mount("/api/v1", app=Router(routes=API_ROUTES, default=unknown_endpoint), name="api")
]
