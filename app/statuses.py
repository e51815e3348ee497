"""The HTTP status of each kind of domain error: the one table, read by the error handlers
(app/errors.py) and by the CSRF middleware, which refuses unreadable forms before any route."""

from __future__ import annotations

from accounts.ratelimits import TooManyAttempts
from app.forms import FormTooLarge, UnreadableForm
from core.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound, NotSignedIn

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    NotFound: 404,
    NotAllowed: 403,
    NotSignedIn: 401,
    InvalidInput: 422,
    Conflict: 409,
    TooManyAttempts: 429,
    FormTooLarge: 413,
    UnreadableForm: 400,
}


def status_of(error: DomainError) -> int:
    return next(code for kind, code in STATUS_BY_ERROR.items() if isinstance(error, kind))
