"""Domain errors. The web layer maps each class to an HTTP status in one table."""

from collections.abc import Mapping


class DomainError(Exception):
    """Base for errors a user can act on; `message` is shown to them.

    Give a message with values as a fixed English text with %(name)s placeholders and the
    values as keywords: `NotFound("No brief called “%(slug)s”.", slug=slug)`. The web layer
    translates the fixed text, then fills in the values (an f-string could not be
    translated); `message` is the English text, filled in.
    """

    code = "error"

    def __init__(
        self, message: str, *, fields: Mapping[str, str] | None = None, **values: object
    ) -> None:
        self.template = message
        self.values = values
        self.message = message % values if values else message
        super().__init__(self.message)
        self.fields = dict(fields or {})


class NotFound(DomainError):
    code = "not_found"


class NotAllowed(DomainError):
    """The actor is known but may not do this."""

    code = "forbidden"


class NotSignedIn(DomainError):
    code = "unauthorized"


class InvalidInput(DomainError):
    """Input that fails validation; `fields` names the offending fields."""

    code = "invalid"


class Conflict(DomainError):
    """The request is valid but the current state forbids it (e.g. a closed consultation)."""

    code = "conflict"
