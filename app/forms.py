"""Reading a form within stated limits, for every route and for the CSRF check alike.

Starlette refuses a form past its limits with an HTTPException whose English text names
no field and, raised in a middleware, becomes a 500. Here each refusal is an error of its
own, translated and mapped to a status in `app.errors`, and no text with NUL (which
PostgreSQL cannot store) gets past the form: every route reads its form through `read_form`.

A form is parsed once per request, by whoever needs it first (the CSRF check, or the route
when htmx sends the token as a header), and kept in the ASGI scope for the rest; the CSRF
middleware closes it (and its uploaded file) once the response is sent. A URL-encoded form
is decoded here rather than by python-multipart, which takes seconds over the percent-escapes
of a few megabytes of text (every newline of a draft is `%0A`).
"""

from __future__ import annotations

import binascii
import re

from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Scope

from core.errors import DomainError, InvalidInput
from core.i18n import N_

MAX_FIELDS = 1000
MAX_FILES = 1  # the draft forms have one file input; no other form has any
MAX_FIELD_MB = 5  # a draft (2,000,000 characters) fits in the text area of its form
MAX_FIELD_BYTES = MAX_FIELD_MB * 1024 * 1024
FORM = "app.form"  # the scope key of the request's parsed form
URLENCODED = b"application/x-www-form-urlencoded"


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
    """The request's form, parsed on the first call and kept in the scope for every later one
    (the route's after the CSRF check's), refused with a clear message past the limits."""
    form = request.scope.get(FORM)
    if form is None:
        form = request.scope[FORM] = await _parse(request)
    assert isinstance(form, FormData)
    return form


async def close_form(scope: Scope) -> None:
    """Close the request's form, if one was parsed: its uploaded file is a spooled temp file."""
    form = scope.pop(FORM, None)
    if isinstance(form, FormData):
        await form.close()


async def _parse(request: Request) -> FormData:
    content_type, _ = parse_options_header(request.headers.get("content-type"))
    if content_type == URLENCODED:
        return parse_urlencoded(await request.body())
    try:
        return await request.form(
            max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES
        )
    except HTTPException as error:  # Starlette's MultiPartException, re-raised as a 400
        raise _refusal(str(error.detail)) from None


_TOO_MANY = N_("A form may have at most 1,000 fields and 1 file.")  # MAX_FIELDS, MAX_FILES
_TOO_BIG = N_("Each field of a form is limited to 5 MB.")  # MAX_FIELD_MB
_UNREADABLE = N_("The form could not be read. Reload the page and send it again.")


def parse_urlencoded(body: bytes) -> FormData:
    """`name=value&...` as the HTML standard encodes a form: `+` is a space, `%XX` a byte,
    a `%` not followed by two hex digits is itself; names and values must be UTF-8 (a 400
    otherwise, where Starlette would silently garble them). Empty pairs are skipped, but every
    `&` counts toward the field limit, as `urllib.parse.parse_qsl` counts them."""
    if body.count(b"&") >= MAX_FIELDS:
        raise FormTooLarge(_TOO_MANY)
    fields: list[tuple[str, str | UploadFile]] = []
    for pair in body.split(b"&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition(b"=")
        name, value = _unquote_plus(raw_name), _unquote_plus(raw_value)
        if len(name) + len(value) > MAX_FIELD_BYTES:
            raise FormTooLarge(_TOO_BIG)
        try:
            fields.append((name.decode(), value.decode()))
        except UnicodeDecodeError:
            raise UnreadableForm(_UNREADABLE) from None
    return FormData(fields)


_BARE_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def _unquote_plus(text: bytes) -> bytes:
    """`urllib.parse.unquote_plus` to bytes, in C: that one loops in Python over each escape
    (4.5 s for a 6 MB body of `%0A`; `parse_qsl` too), this takes a few tens of milliseconds.
    Quoted-printable is percent-encoding with `=` for `%`, so once every bare `%` is escaped
    and every `=` encoded, `binascii.a2b_qp` decodes exactly the percent-escapes."""
    escaped = _BARE_PERCENT.sub(b"%25", text.replace(b"+", b" ")).replace(b"=", b"%3D")
    return binascii.a2b_qp(escaped.replace(b"%", b"="))


def _refusal(detail: str) -> DomainError:
    if detail.startswith("Too many"):
        return FormTooLarge(_TOO_MANY)
    if "maximum size" in detail:
        return FormTooLarge(_TOO_BIG)
    return UnreadableForm(_UNREADABLE)


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
