"""Helpers for the API tests: the error shape, what was written, and the documented contract."""

from __future__ import annotations

import copy
import functools
from datetime import datetime
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS31Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.services import AccountService
from app import openapi
from consultations.models import Comment, Thread
from core.clock import FixedClock

API = "/api/v1"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token(session: Session, clock: FixedClock, user: User, scope: str = "write") -> str:
    """A new API token of `user`, committed so the app's own transaction sees it."""
    secret = AccountService(session, clock=clock).create_token(user, scope)
    session.commit()
    return secret


#: Callers an editor's write endpoint refuses: (who, token scope, status, error code).
NOT_AN_EDITORS_WRITE_TOKEN = pytest.mark.parametrize(
    ("who", "scope", "status", "code"),
    [
        ("participant", "write", 403, "forbidden"),
        ("editor", "read", 403, "insufficient_scope"),
        (None, None, 401, "unauthorized"),
    ],
)


def credentials(
    session: Session,
    clock: FixedClock,
    who: str | None,
    scope: str | None,
    *,
    editor: User,
    participant: User,
) -> dict[str, str]:
    """The headers of a NOT_AN_EDITORS_WRITE_TOKEN case (none for the anonymous one)."""
    if who is None or scope is None:
        return {}
    return bearer(token(session, clock, editor if who == "editor" else participant, scope))


def written(session: Session) -> tuple[int, int]:
    """(threads, comments) in the database: a refused request must leave both alone."""
    session.expire_all()
    threads = session.scalar(select(func.count(Thread.id))) or 0
    comments = session.scalar(select(func.count(Comment.id))) or 0
    return threads, comments


def assert_error(
    response: httpx.Response, status: int, code: str | None = None, fields: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The response is the contract's error: that status, JSON, exactly code/message/fields."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert set(response.json()) == {"error"}
    assert set(error) <= {"code", "message", "fields"} and error["message"]
    if code is not None:
        assert error["code"] == code, error
    for name in fields:
        assert name in error.get("fields", {}), error
    return error  # type: ignore[no-any-return]


def assert_aware(moment: str | None) -> None:
    """ISO 8601 with an explicit offset, as the contract promises."""
    assert moment is not None
    assert datetime.fromisoformat(moment).utcoffset() is not None, moment


# -- the documented contract ------------------------------------------------------------------


def _strict(schema: Any) -> Any:
    """The document with unknown properties forbidden in every object that lists its
    properties: the published schema stays open for additions, but our own responses must
    not carry a field the document does not mention."""
    if isinstance(schema, dict):
        strict = {key: _strict(value) for key, value in schema.items()}
        if strict.get("type") == "object" and "properties" in strict:
            strict.setdefault("additionalProperties", False)
        return strict
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


@functools.cache
def _strict_document() -> dict[str, Any]:
    return _strict(copy.deepcopy(openapi.document()))  # type: ignore[no-any-return]


def _schema_uri(template: str, method: str, status: int) -> str:
    """Where the response schema of an operation and status is, inside the document."""
    responses = _strict_document()["paths"][template][method]["responses"]
    assert str(status) in responses, f"{status} is not documented for {method} {template}"
    pointer = f"/paths/{template.replace('~', '~0').replace('/', '~1')}/{method}/responses/{status}"
    if "$ref" in responses[str(status)]:
        pointer = responses[str(status)]["$ref"].removeprefix("#")
    return f"urn:api#{pointer}/content/application~1json/schema"


def assert_documented(response: httpx.Response, template: str, method: str = "get") -> None:
    """The response's status is documented for the operation and its body validates."""
    resource = DRAFT202012.create_resource(_strict_document())
    registry: Registry[Any] = Registry().with_resource("urn:api", resource)
    schema = {"$ref": _schema_uri(template, method.lower(), response.status_code)}
    validator = OAS31Validator(schema, registry=registry)
    errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
