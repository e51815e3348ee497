"""Schemathesis checks the running API against its own OpenAPI document, on both databases.

It generates valid and invalid requests for every operation (from the document the app
serves), sends them to the app in process, and runs all its checks on each answer: no 5xx,
documented status codes, content types and headers, responses that validate, invalid data
refused, valid data accepted, authentication not ignored. Path parameters name the seeded
consultation (and brief) and a paragraph with a thread, so reads find real data and
comments are really posted. The run is bounded and deterministic: a fixed seed, hypothesis
derandomized, a few examples per operation and mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok
from schemathesis.schemas import BaseSchema
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette

from accounts.services import AccountService
from app.routes.api import IDEMPOTENCY_HEADER
from briefs.dispositions import Decision
from briefs.models import Brief
from briefs.publishing import MAX_SLUG_CHARS
from briefs.synthesis import SynthesisService
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.idempotency import MAX_KEY_CHARS
from tests.factories import comment_on, editor, make_user
from tests.functional.api.conftest import World
from tests.functional.api.support import API
from tests.functional.api.test_api_briefs import publish_brief

MAX_EXAMPLES = 15
EDITORS_ONLY = {
    "POST /consultations/{slug}/versions",
    "POST /briefs",
    "PUT /threads/{thread_id}/disposition",
    "PUT /consultations/{slug}/status",
    "PUT /consultations/{slug}/rules",
}
OPERATIONS = {
    "GET /openapi.json",
    "GET /consultations",
    "GET /consultations/{slug}",
    "GET /consultations/{slug}/threads",
    "GET /consultations/{slug}/consensus",
    "GET /consultations/{slug}/campaigns",
    "POST /consultations/{slug}/paragraphs/{key}/comments",
    "POST /consultations/{slug}/versions",
    "GET /briefs",
    "POST /briefs",
    "GET /briefs/{slug}",
    "GET /search",
    "PUT /threads/{thread_id}/disposition",
    "POST /threads/{thread_id}/contest",
    "PUT /consultations/{slug}/status",
    "PUT /consultations/{slug}/rules",
    "POST /comments/{comment_id}/endorsement",
    "DELETE /comments/{comment_id}/endorsement",
    "POST /comments/{comment_id}/flags",
}


@dataclass
class Target:
    schema: BaseSchema
    path: dict[str, str]  # path parameter values that name seeded data
    editor_token: str  # for the operations only editors may use


@pytest.fixture
def target(app: Starlette, world: World, session: Session, clock: FixedClock) -> Target:
    """The served document, all checks on, and the token that may write; a brief of the
    consultation's slug citing its one thread. The consultation takes anonymous comments:
    its own rules (this one, the author's stakeholder group) are refused with a 422 that no
    schema can foresee, and test_api_comments checks those. Editors' operations get an
    editor's token, so that new versions are really published."""
    world.consultation.allow_anonymous = True
    comment = comment_on(session, clock, world.consultation, author=world.participant, ordinal=7)
    chief = editor(session, clock)
    # Decided, and reported on by a brief: its commenter (the token's) may contest it once.
    SynthesisService(session, clock=clock).decide(
        comment.thread_id, editor=chief, decision=Decision.of("noted")
    )
    publish_brief(session, clock, world.slug, by=chief, consultation_slug=world.slug)
    # Someone else's, so the token's user may endorse it (their own is refused with a 403).
    endorsable = comment_on(session, clock, world.consultation, author=make_user(session, clock))
    editor_token = AccountService(session, clock=clock).create_token(chief, "write")
    session.commit()
    config = SchemathesisConfig.from_dict(
        {
            "seed": 20261203,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
            "checks": {"enabled": True},
            "auth": {"openapi": {"bearer": {"bearer": world.write_token}}},
        }
    )
    schema = schemathesis.openapi.from_asgi(f"{API}/openapi.json", app, config=config)
    schema.location = None  # else the document's own operation is left out of the run
    path = {
        "slug": world.slug,
        "key": comment.thread.paragraph_key,
        "thread_id": str(comment.thread_id),
        "comment_id": str(endorsable.id),
    }
    return Target(schema, path, editor_token)


Operation = APIOperation[Any, Any, Any, Any]


def run(operation: Operation, mode: GenerationMode, target: Target) -> tuple[int, str | None]:
    """Cases sent for one operation in one mode, and the first failure (shrunk), if any.
    Valid requests name the seeded data; invalid ones may vary every part, paths too."""
    sent = 0
    names = {parameter.name for parameter in operation.path_parameters}
    path = {name: value for name, value in target.path.items() if name in names}
    if mode == GenerationMode.NEGATIVE:
        path = {}

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode, path_parameters=path))
    def check(case: Case[Operation]) -> None:
        nonlocal sent
        sent += 1
        adjust_headers(case, mode, target, sent)
        if mode == GenerationMode.POSITIVE and case.operation.label == "POST /briefs":
            assert isinstance(case.body, dict)  # valid bodies are objects
            adjust_new_brief(case.body, target, sent)
        case.call_and_validate()

    try:
        check()
    except (Exception, BaseExceptionGroup) as failure:  # schemathesis raises a group of them
        return sent, f"{mode.value} {operation.label}: {failure}"
    return sent, None


def adjust_headers(case: Case[Operation], mode: GenerationMode, target: Target, sent: int) -> None:
    """An editor's token for editors' operations. A valid request's Idempotency-Key is made
    unique: hypothesis may repeat a key with another body, which is rightly refused with a
    422 no schema can foresee (replays are test_api_idempotency's subject)."""
    values = case.headers  # case-insensitive, as headers are
    if case.operation.label in EDITORS_ONLY:
        values["Authorization"] = f"Bearer {target.editor_token}"
    if mode == GenerationMode.POSITIVE and IDEMPOTENCY_HEADER in values:
        prefix = f"{sent}-"
        values[IDEMPOTENCY_HEADER] = (
            prefix + values[IDEMPOTENCY_HEADER][: MAX_KEY_CHARS - len(prefix)]
        )


def adjust_new_brief(body: dict[str, Any], target: Target, sent: int) -> None:
    """A valid new brief reports on the seeded consultation, under a slug of its own: an
    unknown consultation (422) and a taken slug (409) are refusals no schema can foresee
    (test_api_create_brief checks both), as is the citation of a thread of another
    consultation, which a published brief is refused for but a working copy may hold."""
    if isinstance(body.get("consultation"), str):
        body["consultation"] = target.path["slug"]
    if "[[thread:" in body.get("body_markdown", ""):
        body["publish"] = False
    prefix = f"n{sent}-"
    body["slug"] = (prefix + body["slug"])[:MAX_SLUG_CHARS].rstrip("-")


def modes(operation: Operation) -> list[GenerationMode]:
    """Invalid requests too, unless the operation takes nothing that could be invalid."""
    takes_input = any(True for _ in operation.iter_parameters()) or len(operation.body) > 0
    if takes_input:
        return [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    return [GenerationMode.POSITIVE]


def test_the_api_keeps_its_documented_contract(
    target: Target, world: World, session: Session, clock: FixedClock
) -> None:
    loaded = list(target.schema.get_all_operations())
    operations = [result.ok() for result in loaded if isinstance(result, Ok)]
    assert len(operations) == len(loaded), "the document has an operation schemathesis cannot read"
    outcomes = [
        run(operation, mode, target) for operation in operations for mode in modes(operation)
    ]
    failures = [failure for _, failure in outcomes if failure]
    cases = sum(sent for sent, _ in outcomes)
    print(f"\nschemathesis: {len(operations)} operations, {cases} cases, {len(failures)} failures")
    assert not failures, "\n\n".join(failures)
    assert {operation.label for operation in operations} == OPERATIONS
    assert cases >= len(OPERATIONS) * MAX_EXAMPLES
    session.expire_all()
    versions = ConsultationService(session, clock=clock).version(world.consultation).number
    assert versions > 1, "no valid new version was accepted"
    created = session.scalars(select(Brief.slug).where(Brief.slug.startswith("n"))).all()
    assert created, "no valid new brief was accepted"
