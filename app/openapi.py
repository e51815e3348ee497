"""The OpenAPI 3.1 description of the JSON API, version 1, served at /api/v1/openapi.json.

Written by hand, because the API is a public contract: the document says what we promise,
not what the code happens to return. Tests keep the two honest: every route of the API is
documented, nothing undocumented is served, and real responses validate against it.
The closed vocabularies come from `core.enums`, so a new stance cannot be forgotten here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

from core.enums import (
    Attribution,
    ConsultationStatus,
    Disposition,
    Language,
    StakeholderGroup,
    Stance,
    ThreadStatus,
)

Schema = dict[str, Any]
SEARCH_TYPES = ("brief", "paragraph", "comment")
# `scheduled`: open, but its comment period has not begun; an open one past its deadline
# reads `closed`. Readers see what they can do, not the editor's last click.
PUBLIC_STATUSES = [s.value for s in ConsultationStatus if s != ConsultationStatus.DRAFT]
PUBLIC_STATUSES.insert(1, "scheduled")


# -- schema helpers ---------------------------------------------------------------------------


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """JSON Schema 2020-12 spelling of "or null" (OpenAPI 3.1 dropped `nullable`)."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    kind = schema["type"]
    return schema | {"type": [kind, "null"]}


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
