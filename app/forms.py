"""Reading a form within stated limits, for every route and for the CSRF check alike.

Starlette refuses a form past its limits with an HTTPException whose English text names
no field and, raised in a middleware, becomes a 500. Here each refusal is an error of its
own, translated and mapped to a status in `app.errors`, and no text with NUL (which
PostgreSQL cannot store) gets past the form: every route reads its form through `read_form`.
"""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from core.errors import DomainError, InvalidInput
from core.i18n import N_

MAX_FIELDS = 1000
MAX_FILES = 1  # the draft forms have one file input; no other form has any
MAX_FIELD_MB = 5  # a draft (2,000,000 characters) fits in the text area of its form
MAX_FIELD_BYTES = MAX_FIELD_MB * 1024 * 1024


class FormTooLarge(DomainError):
    """More fields, files or bytes in a field than any of our forms sends."""

    code = "too_large"


class UnreadableForm(DomainError):
    """A body that does not parse as the form it claims to be."""

    code = "bad_request"


async def read_form(request: Request) -> FormData:
    """The request's form, refused with a clear message past the limits or with NUL in it."""
    form = await parse_form(request)
    refuse_nul(form)
    return form


async def parse_form(request: Request) -> FormData:
    """The request's form, refused with a clear message past the limits."""
    try:
        form = await request.form(
            max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES
        )
    except HTTPException as error:  # Starlette's MultiPartException, re-raised as a 400
        raise _refusal(str(error.detail)) from None
    return form


def _refusal(detail: str) -> DomainError:
    if detail.startswith("Too many"):
        return FormTooLarge(
            N_("A form may have at most 1,000 fields and 1 file.")
        )  # MAX_FIELDS, MAX_FILES
    if "maximum size" in detail:
        return FormTooLarge(N_("Each field of a form is limited to 5 MB."))  # MAX_FIELD_MB
    return UnreadableForm(N_("The form could not be read. Reload the page and send it again."))


def refuse_nul(form: FormData) -> None:
    """Every text field (and field name) without NUL, or a 422 naming the fields that have it."""
    fields = {
        name.replace("\x00", "\ufffd")[:40]: N_(
            "Contains a NUL character, which text may not have."
        )
        for name, value in form.multi_items()
        if "\x00" in name or (isinstance(value, str) and "\x00" in value)
    }
    if fields:
        raise InvalidInput(N_("The form contains a NUL character."), fields=fields)
