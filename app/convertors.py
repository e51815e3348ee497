"""The `{name:id}` path convertor: a database id, or no match (so a plain 404).

Registered when `app.routes` is imported, before any route is built: Starlette compiles a
route's pattern when the route is created, looking the convertor up by name.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

from core.ids import ID_PATTERN


class IdConvertor(Convertor[int]):
    """Matches only 1..2³¹−1, so `/v/99999999999` is “no such page”, never a database error."""

    regex = ID_PATTERN

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())
