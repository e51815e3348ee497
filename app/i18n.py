"""Interface language (Ukrainian and English): chosen per request, translated by Babel.

Messages are written in English in the templates and code (domain messages are marked with
`core.i18n.N_` where they are written); `app/locales/uk/LC_MESSAGES/messages.po` translates
them and is compiled to `messages.mo` beside it, which is what the app reads
(`babel.support.Translations`; plural forms follow the catalog's `Plural-Forms` header). The
.mo is committed: a test fails when it is older than the .po. Refreshing and compiling the
catalog: see the commands at the top of `babel.cfg`.

No user text is ever markup. `gettext`/`ngettext` return plain text (escaped wherever it is
shown). The templates' `_()` and `ngettext()` (`template_gettext`, `template_ngettext`) return
markup only for a trusted message, one written by us and therefore in the catalog; anything
else (a value that reached `_()` by mistake, such as a person's name) comes back escaped, as
literal text. Jinja's newstyle gettext then fills in `%(name)s` values, and since the message
is `Markup`, every value is escaped.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.support import NullTranslations, Translations
from markupsafe import Markup, escape

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LOCALES_DIR",
    "current_language",
    "gettext",
    "negotiate",
    "ngettext",
    "template_gettext",
    "template_ngettext",
    "translations",
    "trusted_messages",
]

LANGUAGES = ("en", "uk")
DEFAULT_LANGUAGE = "en"
LOCALES_DIR = Path(__file__).parent / "locales"
#: The catalog that lists every interface message (tests/unit/app/test_i18n.py keeps it whole).
REFERENCE_CATALOG = LOCALES_DIR / "uk" / "LC_MESSAGES" / "messages.mo"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalog of `language`; English, the source language, has none."""
    return Translations.load(LOCALES_DIR, [language])


@cache
def trusted_messages() -> frozenset[str]:
    """Every msgid we wrote (singular forms of plural entries included): the messages whose
    translation may be markup."""
    with REFERENCE_CATALOG.open("rb") as handle:
        catalog = read_mo(handle)
    return frozenset(
        message.id if isinstance(message.id, str) else str(message.id[0])
        for message in catalog
        if message.id
    )


def gettext(message: str) -> str:
    """`message` in the interface language, as plain text."""
    return translations(current_language.get()).ugettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form for `count`, as plain text; the caller fills in `%(num)d`."""
    return translations(current_language.get()).ungettext(singular, plural, count)


def _untrusted(text: str) -> Markup:
    """Literal text: escaped, and with `%` doubled so that the `%` formatting Jinja applies
    next leaves it as it was (a `%(name)s` in a person's name is not a placeholder)."""
    return escape(text).replace("%", "%%")


def template_gettext(message: str) -> Markup:
    """The templates' `_()`: a trusted message's translation as markup, anything else escaped."""
    if message in trusted_messages():
        return Markup(gettext(message))  # noqa: S704 - our own message, from our own catalog
    return _untrusted(message)


def template_ngettext(singular: str, plural: str, count: int) -> Markup:
    """The templates' `ngettext()`, trusted like `template_gettext`."""
    if singular in trusted_messages():
        return Markup(ngettext(singular, plural, count))  # noqa: S704 - as in template_gettext
    return _untrusted(singular if count == 1 else plural)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The language cookie wins; otherwise the first supported Accept-Language entry."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
