"""What a person asked for, and what they get back.

`SearchQuery.from_params` takes raw URL parameters and never raises: anything it cannot use
is dropped and explained in `notes`, so a mistyped year or a pasted fragment of a treaty
gives a helpful page rather than an error. `parse_text` does the same for the query
language (words, "phrases", AND/OR/NOT, prefix*): malformed input falls back to its words.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any

from whoosh import qparser
from whoosh import query as wq
from whoosh.fields import Schema

from core.enums import Language, StakeholderGroup
from core.i18n import N_
from search.documents import TYPES

MAX_QUERY_CHARS = 500
MAX_PAGE = 500
SORTS = ("relevance", "date")
FACETS = ("type", "topic", "group", "lang", "year")
# A year or a day; the API publishes this pattern, so a day is 01 to 31 in any month.
DATE_PATTERN = r"^([1-9][0-9]{3})(?:-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))?$"
DATE = re.compile(DATE_PATTERN)
TOPIC = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
BINARY_OPERATORS = frozenset({"AND", "OR", "ANDNOT", "ANDMAYBE"})
OPERATORS = BINARY_OPERATORS | {"NOT"}
WORD = re.compile(r"\w+")
WILDCARD = re.compile(r"[*?]")

# Notes shown to the reader; these English strings are also the translation msgids.
NOTE_TOO_LONG = N_("Your search was shortened to its first 500 characters.")
NOTE_TYPE = N_("An unknown result type was ignored.")
NOTE_TOPIC = N_("An invalid topic was ignored.")
NOTE_GROUP = N_("An unknown stakeholder group was ignored.")
NOTE_LANG = N_("An unknown language was ignored.")
NOTE_DATE = N_("A date that is not a year (2024) or a date (2024-05-31) was ignored.")
NOTE_DATES_SWAPPED = N_("The dates were in reverse order, so they were swapped.")
NOTE_SORT = N_("An unknown sort order was ignored.")
NOTE_PAGE = N_("An invalid page number was ignored.")
NOTE_QUOTES = N_("A quotation mark was not closed, so the words were searched separately.")
NOTE_WILDCARD = N_("A * or ? needs at least two letters before it, so it was ignored.")
NOTE_OPERATOR = N_("AND, OR and NOT need words on both sides; the lone operator was ignored.")
NOTE_PLAIN = N_("Your search could not be read as written, so its words were searched instead.")
NOTE_NO_WORDS = N_("Type one or more words to search for.")
NOTE_NOT_READY = N_("The search index is being built; please try again in a minute.")


@dataclass(frozen=True, slots=True)
class SearchQuery:
    q: str = ""
    type: str | None = None
    topic: str | None = None
    group: str | None = None
    lang: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1
    page_size: int = 10
    notes: tuple[str, ...] = ()

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> SearchQuery:
        """Read URL parameters; bad values are ignored and explained, never raised."""
        notes: list[str] = []
        q = " ".join(str(params.get("q", "")).split())
        if len(q) > MAX_QUERY_CHARS:
            q, notes = q[:MAX_QUERY_CHARS], [NOTE_TOO_LONG]
        date_from = _date_param(params.get("from"), end=False, notes=notes)
        date_to = _date_param(params.get("to"), end=True, notes=notes)
        if date_from and date_to and date_from > date_to:
            date_from, date_to = _swap_dates(date_from, date_to, notes)
        return cls(
            q=q,
            type=_choice(params.get("type"), TYPES, NOTE_TYPE, notes),
            topic=_topic(params.get("topic"), notes),
            group=_choice(params.get("group"), tuple(StakeholderGroup), NOTE_GROUP, notes),
            lang=_choice(params.get("lang"), tuple(Language), NOTE_LANG, notes),
            date_from=date_from,
            date_to=date_to,
            sort=_choice(params.get("sort"), SORTS, NOTE_SORT, notes) or "relevance",
            page=_page(params.get("page"), notes),
            notes=tuple(notes),
        )

    @property
    def has_filters(self) -> bool:
        return any((self.type, self.topic, self.group, self.lang, self.date_from, self.date_to))

    @property
    def is_empty(self) -> bool:
        """Nothing asked yet: the page shows examples instead of results."""
        return not self.q and not self.has_filters

    def params(self) -> dict[str, str]:
        """The non-default parameters, in URL form, to link to this same search."""
        values = {
            "q": self.q,
            "type": self.type,
            "topic": self.topic,
            "group": self.group,
            "lang": self.lang,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "sort": self.sort if self.sort != "relevance" else None,
            "page": str(self.page) if self.page != 1 else None,
        }
        return {key: value for key, value in values.items() if value}

    def changed(self, **changes: Any) -> SearchQuery:
        """A copy with some fields changed; any change of what is asked starts at page 1."""
        return replace(self, **{"page": 1, **changes})


def _choice(value: str | None, allowed: tuple[str, ...], note: str, notes: list[str]) -> str | None:
    if not value:
        return None
    if value in allowed:
        return value
    notes.append(note)
    return None


def _topic(value: str | None, notes: list[str]) -> str | None:
    if not value:
        return None
    if TOPIC.match(value.strip().lower()):
        return value.strip().lower()
    notes.append(NOTE_TOPIC)
    return None


def _page(value: str | None, notes: list[str]) -> int:
    if not value:
        return 1
    try:
        page = int(value)
    except ValueError:
        page = 0
    if 1 <= page <= MAX_PAGE:
        return page
    notes.append(NOTE_PAGE)
    return 1


def _date_param(value: str | None, *, end: bool, notes: list[str]) -> date | None:
    """A year means its first day (`from`) or its last day (`to`)."""
    if not value:
        return None
    match = DATE.fullmatch(value.strip())
    try:
        if match is None:
            raise ValueError(value)
        year, month, day = (int(part) for part in match.groups(default="0"))
        if not month:
            return date(year, 12, 31) if end else date(year, 1, 1)
        # The 31st of a shorter month means its last day: "up to 2024-02-31" is clear.
        return date(year, month, min(day, calendar.monthrange(year, month)[1]))
    except ValueError:
        notes.append(NOTE_DATE)
        return None


def _swap_dates(date_from: date, date_to: date, notes: list[str]) -> tuple[date, date]:
    notes.append(NOTE_DATES_SWAPPED)
    return date_to, date_from


def day_start(day: date) -> datetime:
    """Days are UTC days: the archive's dates are kept in UTC."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def day_end(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


# -- the query language --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedText:
    query: wq.Query | None
    notes: tuple[str, ...] = ()


#: What a query may name before a colon ("title:routing", "type:brief"), and the index field
#: it searches; any other "name:" is read as plain words.
QUERYABLE_FIELDS = {
    "title": "title",
    "text": "text",
    "type": "type",
    "topic": "topics",
    "group": "group",
    "lang": "language",
}


def make_parser(schema: Schema, fieldnames: list[str], boosts: dict[str, float]) -> Any:
    """Words, "phrases", AND/OR/NOT, (groups), prefix*, and the fields of
    `QUERYABLE_FIELDS` — nothing that could reach the index's internal fields (owner,
    spell…), or expand to the whole index (ranges, *:*)."""
    names = {*fieldnames, *QUERYABLE_FIELDS.values()}
    visible = Schema(**{name: schema[name] for name in names if name in schema})
    parser = qparser.MultifieldParser(fieldnames, visible, fieldboosts=boosts)
    for plugin in (qparser.RangePlugin, qparser.EveryPlugin, qparser.SingleQuotePlugin):
        parser.remove_plugin_class(plugin)
    aliases = {field: [name] for name, field in QUERYABLE_FIELDS.items() if name != field}
    parser.add_plugin(qparser.FieldAliasPlugin(aliases))
    return parser


def text_parser(schema: Schema) -> Any:
    return make_parser(schema, ["title", "text"], {"title": 3.0})


def parse_text(schema: Schema, text: str) -> ParsedText:
    """Parse a query; on anything malformed, fall back to its plain words."""
    notes: list[str] = []
    cleaned = tame(text, notes)
    parser = text_parser(schema)
    parsed = _try_parse(parser, cleaned)
    if parsed is None:
        words = [word for word in WORD.findall(cleaned) if word not in OPERATORS]
        parsed = _try_parse(parser, " ".join(words)) if words else None
        notes.append(NOTE_PLAIN if parsed is not None else NOTE_NO_WORDS)
    return ParsedText(parsed, tuple(dict.fromkeys(notes)))


def _try_parse(parser: Any, text: str) -> wq.Query | None:
    try:
        parsed = parser.parse(text)
    except Exception:  # Whoosh raises assorted errors on odd input; we fall back instead
        return None
    if parsed is None or parsed is wq.NullQuery:
        return None
    return parsed


def tame(text: str, notes: list[str]) -> str:
    """Repair what people type by accident: an unclosed quote, a lone operator, a wildcard
    with no letters before it (which would expand to every word in the archive)."""
    if text.count('"') % 2:
        text = text.replace('"', " ")
        notes.append(NOTE_QUOTES)
    tokens = [_tame_wildcard(token, notes) for token in text.split()]
    return " ".join(_drop_dangling_operators([token for token in tokens if token], notes))


def _tame_wildcard(token: str, notes: list[str]) -> str:
    found = WILDCARD.search(token)
    if found is None:
        return token
    before = WORD.findall(token[: found.start()])
    if before and len("".join(before)) >= 2:
        return token
    notes.append(NOTE_WILDCARD)
    return WILDCARD.sub("", token)


def _drop_dangling_operators(tokens: list[str], notes: list[str]) -> list[str]:
    """Keep AND/OR only between two operands and NOT only before one."""
    kept: list[str] = []
    for position, word in enumerate(tokens):
        following = tokens[position + 1] if position + 1 < len(tokens) else None
        has_right = following is not None and following not in BINARY_OPERATORS
        has_left = bool(kept) and kept[-1] not in OPERATORS
        if (word in BINARY_OPERATORS and not (has_left and has_right)) or (
            word == "NOT" and not has_right
        ):
            notes.append(NOTE_OPERATOR)
            continue
        kept.append(word)
    return kept


# -- results ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hit:
    type: str
    url: str
    title: str
    snippet: str  # HTML: escaped text with <mark> around matched words
    score: float
    topics: tuple[str, ...]
    language: str
    date: datetime | None
    author: str | None = None  # the public label only (see consultations.attribution)
    group: str | None = None
    stance: str | None = None
    paragraph: int | None = None  # a paragraph's number in its version, as readers cite it
    version: int | None = None  # the draft or brief version (paragraphs and briefs)
    current: bool = True  # False for a superseded version

    def as_json(self) -> dict[str, Any]:
        """The shape of the public API's search hits."""
        return {
            "type": self.type,
            "url": self.url,
            "title": self.title,
            "paragraph": self.paragraph,
            "version": self.version,
            "current": self.current,
            "snippet": self.snippet,
            "score": round(self.score, 4),
            "topics": list(self.topics),
            "language": self.language,
            "date": self.date.isoformat() if self.date else None,
        }


@dataclass(frozen=True, slots=True)
class SearchResults:
    query: SearchQuery
    total: int = 0
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=lambda: {f: {} for f in FACETS})
    suggestion: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.page_size))

    @property
    def has_previous(self) -> bool:
        return self.query.page > 1

    @property
    def has_next(self) -> bool:
        return self.query.page < self.pages
