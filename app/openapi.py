"""The OpenAPI 3.1 description of the JSON API, version 1, served at /api/v1/openapi.json.

The API is a public contract: the document says what we promise. What a use case takes and
answers (a new comment, a comment) is declared once, as its pydantic models, and their JSON
Schema is published here; the rest is written out below. Tests keep it honest: every route
is documented, nothing undocumented is served, real responses validate against it, a
snapshot (tests/functional/api/openapi.json) shows every change to it in review, and
schemathesis checks the running API against it. The closed vocabularies come from
`core.enums`, so a new stance cannot be forgotten here.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema

from briefs.contesting import ContestJSON, NewContest
from briefs.dispositions import Decision
from briefs.publishing import BriefCreated, NewBrief
from consultations.commenting import CommentPosted, NewComment, PublicComment
from consultations.consensus import SORTS as CONSENSUS_SORTS
from consultations.consensus import ConsensusJSON
from consultations.endorsing import EndorsementState
from consultations.managing import CommentRules, ConsultationState, StatusChange
from consultations.moderating import FlagJSON, NewFlag
from consultations.versions import NewVersion, VersionPublished
from core.enums import (
    Disposition,
    Language,
    Phase,
    StakeholderGroup,
    Stance,
    ThreadState,
    ThreadStatus,
)
from core.ids import MAX_ID
from search.documents import TYPES as SEARCH_TYPES
from search.queries import DATE_PATTERN, MAX_PAGE, SORTS, TOPIC

Schema = dict[str, Any]
# Microseconds since 1970 and an id (`app.api_protocol` reads and writes them): every string
# of this shape is a position, and any other is refused.
CURSOR_PATTERN = r"^[0-9]{1,16}\.[0-9]{1,10}$"
# The phase (core.enums.Phase): `scheduled` before the comment period, `closed` after it,
# whether or not an editor pressed a button. Readers see what they can do now.
PUBLIC_STATUSES = [s.value for s in Phase if s != Phase.DRAFT]


# -- schema helpers ---------------------------------------------------------------------------


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """JSON Schema 2020-12 spelling of "or null" (OpenAPI 3.1 dropped `nullable`)."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    widened = schema | {"type": [schema["type"], "null"]}
    if "enum" in schema:
        widened["enum"] = [*schema["enum"], None]
    return widened


def string(description: str | None = None, **extra: Any) -> Schema:
    schema: Schema = {"type": "string", **extra}
    if description:
        schema["description"] = description
    return schema


def integer(description: str | None = None, **extra: Any) -> Schema:
    schema: Schema = {"type": "integer", **extra}
    if description:
        schema["description"] = description
    return schema


def datetime_() -> Schema:
    return string("ISO 8601 with a UTC offset.", format="date-time")


def enum(values: type[StrEnum] | Iterable[str], description: str | None = None) -> Schema:
    return string(description, enum=[str(value) for value in values])


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def obj(
    properties: dict[str, Schema], *, optional: Sequence[str] = (), description: str = ""
) -> Schema:
    """An object whose properties are all present in responses unless named `optional`."""
    schema: Schema = {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
    }
    if description:
        schema["description"] = description
    return schema


def counts() -> Schema:
    return {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}


# -- components: what the API returns -----------------------------------------------------------


def error_schemas() -> dict[str, Schema]:
    detail = obj(
        {
            "code": string(
                "Machine-readable: not_found, unauthorized, insufficient_scope, forbidden, "
                "invalid, invalid_parameter, invalid_body, malformed_json, conflict, "
                "idempotency_key_reused, rate_limited, method_not_allowed, "
                "payload_too_large, unsupported_media_type."
            ),
            "message": string("For people; may change wording between releases."),
            "fields": {
                "type": "object",
                "description": "Offending input fields (or parameters) and what is wrong.",
                "additionalProperties": {"type": "string"},
            },
        },
        optional=["fields"],
    )
    return {"Error": obj({"error": detail}, description="Every 4xx answer has this shape.")}


def consultation_schemas() -> dict[str, Schema]:
    summary = {
        "slug": string(),
        "title": string(),
        "status": enum(PUBLIC_STATUSES, "What a reader can do now (see `accepting_comments`)."),
        "topics": array(string("Topic slug.")),
        "language": enum(Language),
        "opens_at": nullable(datetime_()),
        "closes_at": nullable(datetime_()),
        "current_version": integer("Number of the latest draft version.", minimum=1),
    }
    paragraph = {
        "key": string("Stable across versions; the anchor `#p-{key}` on the draft page."),
        "ordinal": integer(minimum=1),
        "kind": string("Block kind: heading, paragraph, list item, quote, table row…"),
        "text": string("Plain text."),
        "html": string("Sanitised HTML of the block."),
        "thread_count": integer(minimum=0),
    }
    detail = summary | {
        "summary": string(),
        "accepting_comments": {"type": "boolean"},
        "version": integer("The version shown (the current one).", minimum=1),
        "paragraphs": array(ref("Paragraph")),
    }
    return {
        "ConsultationSummary": obj(summary),
        "ConsultationPage": obj(
            {"items": array(ref("ConsultationSummary")), "next": nullable(string("Cursor."))}
        ),
        "Paragraph": obj(paragraph),
        "Consultation": obj(detail),
    }


def thread_schemas() -> dict[str, Schema]:
    thread = {
        "id": integer(),
        "paragraph_key": string(
            "The paragraph it is on now (after a split, merge or an editor's move, not "
            "necessarily the one it was written on); an orphaned thread keeps its last key."
        ),
        "state": enum(
            ThreadState,
            "Where it stands in the current version: `anchored` (its paragraph reads as it "
            "did), `outdated` (edited since), `orphaned` (its paragraph is gone: waits for an "
            "editor), `moved` (an editor moved it) or `closed` (an editor closed it).",
        ),
        "written_on_version": integer("The version it was written on.", minimum=1),
        "outdated": {
            "type": "boolean",
            "description": "Its paragraph has been edited since it was written.",
        },
        "quote": nullable(string("The words of the paragraph it is about, if it quoted any.")),
        "status": enum(ThreadStatus),
        "disposition": nullable(enum(Disposition)),
        "rationale": nullable(string("The editor's reason for the disposition.")),
        "comments": array(ref("Comment")),
        "contest": nullable(ref("Contest")),
    }
    campaign = {
        "size": integer("How many thread openings say nearly the same (two or more).", minimum=2),
        "comment_ids": array(integer(minimum=1)),
        "example": string("The earliest comment's words (never its author)."),
    }
    return {
        "Thread": obj(thread),
        "ThreadList": obj({"items": array(ref("Thread"))}),
        "Campaign": obj(
            campaign,
            description="Near-identical openings of threads on any paragraphs (a campaign "
            "letter sent with small edits), earliest comment first.",
        ),
        "CampaignList": obj({"items": array(ref("Campaign"))}),
    }


class _ModelSchemas(GenerateJsonSchema):
    """JSON Schema of the use cases' models, under the names the API has always used, and
    without the titles pydantic derives from field names (they only repeat the names)."""

    NAMES: ClassVar[dict[str, str]] = {
        "PublicComment": "Comment",
        "CommentPosted": "CreatedComment",
        "ContestJSON": "Contest",
        "FlagJSON": "Flag",
    }

    def normalize_name(self, name: str) -> str:
        return super().normalize_name(self.NAMES.get(name, name))

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def model_schemas() -> dict[str, Schema]:
    """Inputs as they are validated, outputs as they are serialised, with the enums they
    use: declared once, in the domain (`consultations.commenting`, `consultations.versions`)."""
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (NewComment, "validation"),
        (PublicComment, "serialization"),
        (CommentPosted, "serialization"),
        (NewVersion, "validation"),
        (VersionPublished, "serialization"),
        (StatusChange, "validation"),
        (CommentRules, "validation"),
        (ConsultationState, "serialization"),
        (Decision, "validation"),
        (NewContest, "validation"),
        (ContestJSON, "serialization"),
        (NewFlag, "validation"),
        (FlagJSON, "serialization"),
        (EndorsementState, "serialization"),
        (ConsensusJSON, "serialization"),
    ]
    _, schemas = models_json_schema(
        models, ref_template="#/components/schemas/{model}", schema_generator=_ModelSchemas
    )
    return schemas["$defs"]  # type: ignore[no-any-return]


# -- parameters and responses -------------------------------------------------------------------


def param(name: str, where: str, schema: Schema, description: str, **extra: Any) -> Schema:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": description,
        **extra,
    }


def parameters() -> dict[str, Schema]:
    return {
        "slug": param("slug", "path", string(pattern="^[a-z0-9]+(?:-[a-z0-9]+)*$"), "The slug."),
        "key": param("key", "path", string(pattern="^[a-z0-9]{1,16}$"), "A paragraph key."),
        "limit": param(
            "limit", "query", integer(minimum=1, maximum=100, default=20), "Items per page."
        ),
        "cursor": param(
            "cursor",
            "query",
            string(pattern=CURSOR_PATTERN),
            "The `next` value of the previous page, as given.",
        ),
    }


ERRORS = {
    400: ("BadRequest", "Malformed JSON, a body that is not an object, or a bad parameter."),
    401: ("Unauthorized", "No bearer token, or an unknown or revoked one."),
    403: ("Forbidden", "The token's scope or the account's rights do not allow this."),
    404: ("NotFound", "No such resource (drafts are never public)."),
    409: (
        "Conflict",
        "The consultation's state forbids it: closed to comments, or no longer revised.",
    ),
    413: ("PayloadTooLarge", "The body is over 64 KiB (5 MB for a new version)."),
    415: ("UnsupportedMediaType", "The body is not application/json."),
    422: ("Unprocessable", "Well-formed but invalid input; `fields` says what to fix."),
    429: ("TooManyRequests", "Over a rate limit; `Retry-After` says how many seconds to wait."),
}


def error_responses() -> dict[str, Schema]:
    challenge = {"WWW-Authenticate": {"schema": string(), "description": "RFC 6750."}}
    responses = {}
    for status, (name, description) in ERRORS.items():
        response: Schema = {
            "description": description,
            "content": {"application/json": {"schema": ref("Error")}},
        }
        if status in (401, 403):
            response["headers"] = challenge
        if status == 429:
            response["headers"] = {"Retry-After": {"schema": integer(minimum=1)}}
        responses[name] = response
    return responses


def errors(*statuses: int) -> dict[str, Schema]:
    return {
        str(status): {"$ref": f"#/components/responses/{ERRORS[status][0]}"} for status in statuses
    }


def ok(schema: Schema, description: str = "OK") -> dict[str, Schema]:
    return {
        "200": {"description": description, "content": {"application/json": {"schema": schema}}}
    }


def uses(*names: str) -> list[Schema]:
    return [{"$ref": f"#/components/parameters/{name}"} for name in names]


# -- paths ----------------------------------------------------------------------------------------


def consultation_paths() -> dict[str, Schema]:
    paragraph_filter = param("paragraph", "query", string(), "Only threads on this paragraph.")
    return {
        "/consultations": {
            "get": {
                "operationId": "listConsultations",
                "tags": ["consultations"],
                "summary": "Consultations, newest first (drafts are never listed).",
                "parameters": [
                    *uses("limit", "cursor"),
                    param(
                        "status",
                        "query",
                        enum(PUBLIC_STATUSES),
                        "Only consultations in this phase now (as `status` reads).",
                    ),
                ],
                "responses": ok(ref("ConsultationPage")) | errors(400),
            }
        },
        "/consultations/{slug}": {
            "get": {
                "operationId": "getConsultation",
                "tags": ["consultations"],
                "summary": "The current draft, paragraph by paragraph, with thread counts.",
                "parameters": uses("slug"),
                "responses": ok(ref("Consultation")) | errors(404),
            }
        },
        "/consultations/{slug}/threads": {
            "get": {
                "operationId": "listThreads",
                "tags": ["consultations"],
                "summary": "Every thread with its comments, attribution honoured.",
                "parameters": [*uses("slug"), paragraph_filter],
                "responses": ok(ref("ThreadList")) | errors(404),
            }
        },
        "/consultations/{slug}/consensus": {
            "get": {
                "operationId": "getConsensus",
                "tags": ["consultations"],
                "summary": "Stances by stakeholder group and the agreement scores, paragraph "
                "by paragraph (counts only; anonymous comments in no group).",
                "parameters": [
                    *uses("slug"),
                    param(
                        "sort",
                        "query",
                        enum(CONSENSUS_SORTS),
                        "`paragraph` (document order, the default), `contention` (most "
                        "contested first) or `agreement` (most agreed first).",
                    ),
                ],
                "responses": ok(ref("ConsensusJSON")) | errors(400, 404),
            }
        },
        "/consultations/{slug}/campaigns": {
            "get": {
                "operationId": "listCampaigns",
                "tags": ["consultations"],
                "summary": "Groups of near-identical comments, largest first.",
                "description": "Thread openings whose words nearly match (MinHash over word "
                "shingles, estimated Jaccard similarity of 0.35 or more), across paragraphs. "
                "Grouped shortly after posting, by the outbox worker.",
                "parameters": uses("slug"),
                "responses": ok(ref("CampaignList")) | errors(404),
            }
        },
        "/consultations/{slug}/paragraphs/{key}/comments": {"post": post_comment_operation()},
        "/consultations/{slug}/versions": {"post": post_version_operation()},
        "/consultations/{slug}/status": {"put": put_status_operation()},
        "/consultations/{slug}/rules": {"put": put_rules_operation()},
        "/threads/{thread_id}/disposition": {"put": put_disposition_operation()},
        "/threads/{thread_id}/contest": {"post": post_contest_operation()},
        "/comments/{comment_id}/flags": {"post": post_flag_operation()},
        "/comments/{comment_id}/endorsement": endorsement_operations(),
    }


THREAD_ID = param("thread_id", "path", integer(minimum=1, maximum=MAX_ID), "A thread's id.")


def put_disposition_operation() -> Schema:
    return {
        "operationId": "decideThread",
        "tags": ["consultations"],
        "summary": "Record or change what became of a thread (editors).",
        "description": (
            "Needs a token with the `write` scope of an editor, as the synthesis workspace. "
            "A rationale is required unless the thread is only `noted`. Threads whose "
            "opening comment says the same on the same paragraph get the same disposition; "
            "each commenter is told by email."
        ),
        "security": [{"bearer": ["write"]}],
        "parameters": [THREAD_ID],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref("Decision")}},
        },
        "responses": ok(ref("Thread")) | errors(400, 401, 403, 404, 413, 415, 422),
    }


COMMENT_ID = param("comment_id", "path", integer(minimum=1, maximum=MAX_ID), "A comment's id.")


def post_flag_operation() -> Schema:
    created = {
        "description": "Flagged. `Location` is the comment on its paragraph's page.",
        "headers": {"Location": {"schema": string(), "description": "The comment."}},
        "content": {"application/json": {"schema": ref("Flag")}},
    }
    return {
        "operationId": "flagComment",
        "tags": ["consultations"],
        "summary": "Flag a comment for the moderators.",
        "description": (
            "Needs a token with the `write` scope. One open flag per person and comment (409 "
            "for a second until a moderator decides); a hidden comment cannot be flagged "
            "(409). With `other`, `note` says what is wrong. Only the moderators read flags."
        ),
        "security": [{"bearer": ["write"]}],
        "parameters": [COMMENT_ID],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref("NewFlag")}},
        },
        "responses": {"201": created} | errors(400, 401, 403, 404, 409, 413, 415, 422, 429),
    }


def post_contest_operation() -> Schema:
    created = {
        "description": "Contested. `Location` is the thread on its paragraph's page.",
        "headers": {"Location": {"schema": string(), "description": "The thread."}},
        "content": {"application/json": {"schema": ref("Contest")}},
    }
    return {
        "operationId": "contestDisposition",
        "tags": ["consultations"],
        "summary": "Contest the disposition of a thread you commented in, once.",
        "description": (
            "Needs a token with the `write` scope of someone who commented in the thread. "
            "Possible once the thread has a disposition and a brief on its consultation is "
            "published (409 before); a thread is contested once (409 for a second contest). "
            "The reason and the editor's answer are public on the thread and in the annex."
        ),
        "security": [{"bearer": ["write"]}],
        "parameters": [THREAD_ID],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref("NewContest")}},
        },
        "responses": {"201": created} | errors(400, 401, 403, 404, 409, 413, 415, 422),
    }


COMMENT_ID = param("comment_id", "path", integer(minimum=1, maximum=MAX_ID), "A comment's id.")
ENDORSING_RULES = (
    "Needs a token with the `write` scope of someone with a confirmed email address and a "
    "stakeholder group (recorded with the endorsement), not the comment's author (403). "
    "Only while the consultation accepts comments (409): the counts then stand still."
)


def endorsement_operations() -> Schema:
    state = {"application/json": {"schema": ref("EndorsementState")}}
    return {
        "post": {
            "operationId": "endorseComment",
            "tags": ["consultations"],
            "summary": "Endorse a comment (and its suggestion, if it carries one), once.",
            "description": ENDORSING_RULES
            + " Idempotent: endorsing again changes nothing and answers 200.",
            "security": [{"bearer": ["write"]}],
            "parameters": [COMMENT_ID],
            "responses": {
                "201": {"description": "Endorsed.", "content": state},
                "200": {"description": "Already endorsed; nothing changed.", "content": state},
            }
            | errors(401, 403, 404, 409, 422),
        },
        "delete": {
            "operationId": "withdrawEndorsement",
            "tags": ["consultations"],
            "summary": "Withdraw your endorsement of a comment.",
            "description": ENDORSING_RULES
            + " Idempotent: 204 whether or not there was an endorsement.",
            "security": [{"bearer": ["write"]}],
            "parameters": [COMMENT_ID],
            "responses": {"204": {"description": "Not endorsed (any more)."}}
            | errors(401, 403, 404, 409),
        },
    }


def post_comment_operation() -> Schema:
    created = {
        "description": "Posted. `Location` lists the paragraph's threads, this comment among them.",
        "headers": {
            "Location": {"schema": string(), "description": "Where to read it."},
            "Idempotent-Replayed": {
                "schema": string(enum=["true"]),
                "description": "Present when this is the stored answer to an earlier request.",
            },
        },
        "content": {"application/json": {"schema": ref("CreatedComment")}},
    }
    idempotency_key = param(
        "Idempotency-Key",
        "header",
        string(minLength=1, maxLength=255),
        "Makes retries safe: the same key with the same body, by the same user within 24 "
        "hours, returns the first answer (status and body) and posts nothing more; the same "
        "key with another body is a 422 (`idempotency_key_reused`). Only a 201 is stored: "
        "after an error nothing was posted, and the request can simply be sent again.",
    )
    return {
        "operationId": "postComment",
        "tags": ["consultations"],
        "summary": "Comment on a paragraph of the current version, or reply to a comment.",
        "description": (
            "Needs a token with the `write` scope. The same rules apply as in the browser: "
            "the comment period is enforced on the server, the author's stakeholder group "
            "is taken from their profile, and anonymous comments only where allowed. "
            "Comments are rate-limited per user and per address (429 with `Retry-After`)."
        ),
        "security": [{"bearer": ["write"]}],
        "parameters": [*uses("slug", "key"), idempotency_key],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref("NewComment")}},
        },
        "responses": {"201": created} | errors(400, 401, 403, 404, 409, 413, 415, 422, 429),
    }


def post_version_operation() -> Schema:
    created = {
        "description": "Published. `Location` is the version's permalink.",
        "headers": {"Location": {"schema": string(), "description": "The version's page."}},
        "content": {"application/json": {"schema": ref("VersionPublished")}},
    }
    return {
        "operationId": "publishVersion",
        "tags": ["consultations"],
        "summary": "Publish the next version of a consultation's draft (editors).",
        "description": (
            "Needs a token with the `write` scope of an editor. Each thread is matched "
            "against the paragraph it was written on, whichever version that was: it is "
            "kept where that text is unchanged, outdated where it was edited (split and "
            "merged paragraphs included) and orphaned where it is gone or rewritten beyond "
            "recognition (the editors' re-anchor queue); a paragraph restored from an "
            "earlier version gets its old key back, and its threads with it. A published "
            "or archived consultation is no longer revised (409)."
        ),
        "security": [{"bearer": ["write"]}],
        "parameters": uses("slug"),
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref("NewVersion")}},
        },
        "responses": {"201": created} | errors(400, 401, 403, 404, 409, 413, 415, 422),
    }


def _editor_put(operation_id: str, summary: str, description: str, body: str) -> Schema:
    return {
        "operationId": operation_id,
        "tags": ["consultations"],
        "summary": summary,
        "description": "Needs a token with the `write` scope of an editor. " + description,
        "security": [{"bearer": ["write"]}],
        "parameters": uses("slug"),
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        },
        "responses": ok(ref("ConsultationState")) | errors(400, 401, 403, 404, 409, 413, 415, 422),
    }


def put_status_operation() -> Schema:
    return _editor_put(
        "changeStatus",
        "Move a consultation to its next status (editors).",
        "Statuses go draft → open → closed → synthesis → published → archived; only a "
        "closed consultation may go back, to open (409 otherwise). Opening sets the "
        "opening time to now if there was none; closing ends the period now.",
        "StatusChange",
    )


def put_rules_operation() -> Schema:
    return _editor_put(
        "changeCommentRules",
        "Set the comment period and whether anonymous comments are accepted (editors).",
        "Either end of the period may be null (open at once, never close); a time "
        "without an offset is taken as UTC. Comments already posted keep their "
        "attribution.",
        "CommentRules",
    )


def document_path() -> dict[str, Schema]:
    return {
        "/openapi.json": {
            "get": {
                "operationId": "getOpenApiDocument",
                "tags": ["meta"],
                "summary": "This document.",
                "responses": ok({"type": "object"}),
            }
        }
    }


# -- briefs and search ---------------------------------------------------------------------------


def annex_schemas() -> dict[str, Schema]:
    disposition = {
        "thread_id": integer(),
        "paragraph_key": string(),
        "paragraph_ordinal": nullable(integer()),
        "excerpt": string("The opening words of the thread's first comment."),
        "author_label": string("As the author chose to be seen."),
        "stakeholder_group": nullable(enum(StakeholderGroup)),
        "stance": nullable(enum(Stance)),
        "disposition": nullable(enum(Disposition)),
        "rationale": nullable(string()),
        "url": string("Permalink of the thread on the consultation."),
        "contest": nullable(ref("Contest")),
    }
    participation = {"group": enum(StakeholderGroup), "comments": integer(), "people": integer()}
    return {"AnnexDisposition": obj(disposition), "Participation": obj(participation)}


def brief_schemas() -> dict[str, Schema]:
    summary = {
        "slug": string(),
        "title": string(),
        "topics": array(string("Topic slug.")),
        "language": enum(Language),
        "version": integer("The latest published version.", minimum=1),
        "published_at": datetime_(),
    }
    annex = {
        "dispositions": array(ref("AnnexDisposition")),
        "participation": array(ref("Participation")),
    }
    brief = summary | {
        "version": integer("The version shown.", minimum=1),
        "body_markdown": string(),
        "html": string("The body rendered, citations linked."),
        "citations": array(integer("Id of a cited thread.")),
        "annex": obj(
            annex,
            description="Frozen when the version was published; each row's `contest` is "
            "added as it stands now (contests come after publication).",
        ),
    }
    return {
        "BriefSummary": obj(summary),
        "BriefPage": obj({"items": array(ref("BriefSummary")), "next": nullable(string())}),
        "Brief": obj(brief),
    } | annex_schemas()


def brief_paths() -> dict[str, Schema]:
    version = param(
        "version",
        "query",
        integer(minimum=1, maximum=MAX_ID),
        "A published version (default: the latest). Each keeps its permalink.",
    )
    return {
        "/briefs": {
            "get": {
                "operationId": "listBriefs",
                "tags": ["briefs"],
                "summary": "Published briefs (latest version of each), newest first.",
                "parameters": uses("limit", "cursor"),
                "responses": ok(ref("BriefPage")) | errors(400),
            },
            "post": post_brief_operation(),
        },
        "/briefs/{slug}": {
            "get": {
                "operationId": "getBrief",
                "tags": ["briefs"],
                "summary": "A published brief with its citations and annex.",
                "parameters": [*uses("slug"), version],
                "responses": ok(ref("Brief")) | errors(400, 404),
            }
        },
    }


def brief_model_schemas() -> dict[str, Schema]:
    """A new brief and the answer to it, declared in `briefs.publishing`."""
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (NewBrief, "validation"),
        (BriefCreated, "serialization"),
    ]
    _, schemas = models_json_schema(
        models, ref_template="#/components/schemas/{model}", schema_generator=_ModelSchemas
    )
    return schemas["$defs"]  # type: ignore[no-any-return]


def post_brief_operation() -> Schema:
    created = {
        "description": "Created. `Location` is the published version's permalink, or the "
        "editor's page of the working copy.",
        "headers": {"Location": {"schema": string(), "description": "Same as `url`."}},
        "content": {"application/json": {"schema": ref("BriefCreated")}},
    }
    too_large = {
        "description": "The body is over 5 MB.",
        "content": {"application/json": {"schema": ref("Error")}},
    }
    return {
        "operationId": "createBrief",
        "tags": ["briefs"],
        "summary": "Start a brief, and publish its version 1 at once if asked (editors).",
        "description": (
            "Needs a token with the `write` scope of an editor. The slug is the permanent "
            "address: one already taken is a 409. A `consultation` that does not exist is a "
            "422 naming the field; published at once, the brief may cite only that "
            "consultation's threads (422 on `body_markdown` otherwise)."
        ),
        "security": [{"bearer": ["write"]}],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref("NewBrief")}},
        },
        "responses": {"201": created} | errors(400, 401, 403, 409, 415, 422) | {"413": too_large},
    }


def search_schemas() -> dict[str, Schema]:
    hit = {
        "type": enum(SEARCH_TYPES),
        "url": string("Permalink: a brief version, or a paragraph or comment anchor."),
        "title": string("The consultation's title (paragraphs, comments) or the brief's."),
        "paragraph": nullable(integer(minimum=1)),
        "version": nullable(integer(minimum=1)),
        "current": {"type": "boolean", "description": "False for a superseded version."},
        "snippet": string("HTML: the text around the match, escaped, words in <mark>."),
        "score": {"type": "number"},
        "topics": array(string("Topic slug.")),
        "language": enum(Language),
        "date": nullable(datetime_()),
    }
    facets = {name: counts() for name in ("type", "topic", "group", "lang", "year")}
    results = {
        "total": integer(minimum=0),
        "hits": array(ref("SearchHit")),
        "facets": obj(facets, description="Value → number of matches, for each filter."),
        "suggestion": nullable(string("A spelling the archive knows better, if any.")),
        "notes": array(string("How the query was read: shortened, repaired, index not ready.")),
    }
    return {"SearchHit": obj(hit), "SearchResults": obj(results)}


def search_paths() -> dict[str, Schema]:
    date_or_year = string(
        "2024 or 2024-05-31 (a 31st means the month's last day).", pattern=DATE_PATTERN
    )
    filters = [
        param("q", "query", string(), "Words to find (Ukrainian and English, inflections too)."),
        param("type", "query", enum(SEARCH_TYPES), "Only this kind of result."),
        param("topic", "query", string(pattern=TOPIC.pattern), "Topic slug."),
        param("group", "query", enum(StakeholderGroup), "Stakeholder group."),
        param("lang", "query", enum(Language), "Language."),
        param("from", "query", date_or_year, "From this year or day (UTC)."),
        param("to", "query", date_or_year, "Up to this year or day, inclusive."),
        param("sort", "query", enum(SORTS), "Default: relevance."),
        param(
            "page", "query", integer(minimum=1, maximum=MAX_PAGE, default=1), "10 hits per page."
        ),
    ]
    return {
        "/search": {
            "get": {
                "operationId": "search",
                "tags": ["search"],
                "summary": "Search the archive of consultations, comments and briefs.",
                "description": (
                    'Query language: words, "phrases", AND, OR, NOT, prefix*. A query '
                    "it cannot read is searched as plain words, and `notes` says so; a "
                    "filter it cannot apply is a 400 naming the parameter."
                ),
                "parameters": filters,
                "responses": ok(ref("SearchResults")) | errors(400, 429),
            }
        }
    }


# -- the document -------------------------------------------------------------------------------

DESCRIPTION = """\
Public consultations, their paragraph-by-paragraph comments, policy briefs and the archive
search of Roundtable. Reads are public and show each comment's author only as far as the
author chose (`author_label`). Writes need a bearer token of a user (`roundtable tokens
create`, or the account page), and follow the same rules as the web pages.

Every 4xx answer is `{"error": {"code", "message", "fields"?}}`. Lists are paged with an
opaque `next` cursor: pass it back as `cursor` until it is null.
"""


def components() -> dict[str, Any]:
    schemas = error_schemas() | consultation_schemas() | thread_schemas() | model_schemas()
    return {
        "schemas": schemas | brief_schemas() | brief_model_schemas() | search_schemas(),
        "parameters": parameters(),
        "responses": error_responses(),
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "A user's API token; scope `read` or `write`.",
            }
        },
    }


@functools.cache
def document() -> dict[str, Any]:
    """The whole document, built once per process (it never changes while running)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Roundtable API",
            "version": "1.0.0",
            "description": DESCRIPTION,
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": "/api/v1"}],
        "tags": [
            {"name": "consultations", "description": "Drafts, threads and comments."},
            {"name": "briefs", "description": "Policy briefs: published ones, and new ones."},
            {"name": "search", "description": "The public archive."},
            {"name": "meta", "description": "About the API itself."},
        ],
        "paths": consultation_paths() | brief_paths() | search_paths() | document_path(),
        "components": components(),
    }


def main() -> None:
    """Print the document, as the snapshot test compares it (see README: JSON API)."""
    print(json.dumps(document(), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
