"""Interface language (Ukrainian and English): chosen per request, catalogs from .po files.

Messages are written in English in the templates and code; `app/locales/uk/.../messages.po`
translates them. The .po file is read directly with Babel, so there is no compile step.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LANGUAGES = ("en", "uk")
DEFAULT_LANGUAGE = "en"
LOCALES_DIR = Path(__file__).parent / "locales"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


@cache
def catalog(language: str) -> dict[str, str]:
    path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        messages = read_po(handle, locale=language)
    return {
        str(message.id): str(message.string)
        for message in messages
        if message.id and message.string and not message.fuzzy
    }


def gettext(message: str) -> str:
    return catalog(current_language.get()).get(message, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """English plural rules; Ukrainian forms are chosen by `uk_plural` below."""
    language = current_language.get()
    if language == "uk":
        forms = catalog("uk").get(singular, "").split("|")
        if len(forms) == 3:
            return forms[uk_plural(count)]
    return gettext(singular if count == 1 else plural)


def uk_plural(count: int) -> int:
    """Index of the Ukrainian plural form: 1 коментар, 2 коментарі, 5 коментарів."""
    if count % 10 == 1 and count % 100 != 11:
        return 0
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return 1
    return 2


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The language cookie wins; otherwise the first supported Accept-Language entry."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
