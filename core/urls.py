"""The application's addresses, for domain code that must not know the web layer's routes.

The route table (`app/routes`) is the one place that spells a public path, and public
paths are cited by diplomats, so every link is made from a route's name and parameters.
Feeds and mail are written in the domain packages, which never import Starlette: they
take a `Urls`, which the web layer makes from its router (`app.urls`) and BASE_URL.
A `PathFor` is a plain callable, so the domain needs no web import and tests pass the
real router all the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote, urlencode

__all__ = ["PathFor", "Urls", "with_query"]


class PathFor(Protocol):
    def __call__(self, name: str, /, **params: str | int) -> str:
        """The path of the route called `name` with these path parameters."""
        ...


def with_query(url: str, /, **params: str | int | None) -> str:
    """`url` with a query string of the parameters that have a value. Values are
    percent-encoded (they may be anything a person typed); "/" is allowed in a query
    (RFC 3986, 3.4) and kept, so `?next=/briefs` reads as it always has."""
    given = {name: value for name, value in params.items() if value is not None}
    return f"{url}?{urlencode(given, safe='/', quote_via=quote)}" if given else url


@dataclass(frozen=True, slots=True)
class Urls:
    """Absolute URLs, as feeds and mail need them: BASE_URL (settings) + a route's path."""

    base_url: str
    path_for: PathFor

    def __call__(self, name: str, /, **params: str | int) -> str:
        return self.base_url + self.path_for(name, **params)
