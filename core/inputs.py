"""Typed inputs of the use cases, declared once as pydantic models.

A model is the whole truth about an input: the API decodes its JSON into it, the HTML form
builds it from form fields, and the OpenAPI document publishes its JSON Schema. `parse`
turns pydantic's located errors into the one `InvalidInput` every route already maps to a
422 (or the form shown again), with a person's message for each offending field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from core.errors import InvalidInput
from core.i18n import N_

M = TypeVar("M", bound=BaseModel)

# JSON Schema (ECMA-262) and pydantic (Rust regex) read these patterns alike.
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"  # something besides white space, and no NUL

REQUIRED = N_("This field is required.")
DEFAULT_PROBLEMS = {
    "missing": REQUIRED,
    "extra_forbidden": N_("Unknown field."),
    "string_type": N_("Must be a string."),
    "text": N_("Must be valid Unicode text without NUL characters."),
}


@dataclass(frozen=True, slots=True)
class Problems:
    """What to tell a person for each kind of pydantic error on one field (Annotated
    metadata, which pydantic ignores); `any` covers the kinds not named."""

    by_type: Mapping[str, str]
    any: str | None = None

    def message(self, kind: str) -> str | None:
        return self.by_type.get(kind, self.any)


def _text(value: object) -> object:
    """PostgreSQL cannot store NUL, and lone surrogates are not text: refuse both first,
    with their own message (the schema's pattern would call a NUL body "empty")."""
    if isinstance(value, str) and ("\x00" in value or not _encodes(value)):
        raise PydanticCustomError("text", DEFAULT_PROBLEMS["text"])
    return value


def _whole(value: object) -> object:
    """JSON has one kind of number: 10.0 is the integer 10 (JSON Schema agrees), though
    Python reads it as a float. Booleans and strings stay refused (the field is strict)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _blank_is_none(value: object) -> object:
    """An empty date field of a form means no date."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def _utc(moment: datetime | None) -> datetime | None:
    """A time without a zone (a form's `datetime-local`) is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def _encodes(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# After a field's own constraints in its Annotated metadata, so that it runs before them.
TEXT = BeforeValidator(_text)
WHOLE = BeforeValidator(_whole)

# An optional moment: ISO 8601, or a form's `datetime-local` (UTC); blank is none.
Moment = Annotated[
    datetime | None,
    AfterValidator(_utc),
    BeforeValidator(_blank_is_none),
    Problems({}, any=N_("Dates must look like 2026-12-01T18:00.")),
]


def field_error(field: str, message: str) -> PydanticCustomError:
    """An error a model validator raises about one field (pydantic would locate it on the
    whole model)."""
    return PydanticCustomError("field", message, {"field": field})


def parse(model: type[M], data: Mapping[str, Any], message: str) -> M:
    """`data` as a `model`, or InvalidInput(message) naming every offending field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        fields: dict[str, str] = {}
        for detail in error.errors():
            name, problem = _problem(model, detail)
            fields.setdefault(name, problem)
        raise InvalidInput(message, fields=fields) from None


def _problem(model: type[BaseModel], detail: ErrorDetails) -> tuple[str, str]:
    context = detail.get("ctx") or {}
    if detail["type"] == "field":
        return str(context["field"]), detail["msg"]
    name = str(detail["loc"][0]) if detail["loc"] else "body"
    if detail["input"] is None and name in model.model_fields:
        return name, REQUIRED  # a null where a value is needed: as if it were missing
    info = model.model_fields.get(name)
    problems = [meta for meta in (info.metadata if info else ()) if isinstance(meta, Problems)]
    custom = problems[0].message(detail["type"]) if problems else None
    return name, custom or DEFAULT_PROBLEMS.get(detail["type"], detail["msg"])
