"""Interface language (Ukrainian and English): chosen per request, catalogs from .po files.

Messages are written in English in the templates and code; `app/locales/uk/.../messages.po`
translates them. The .po file is read directly with Babel, so there is no compile step.
Plural messages are ordinary gettext plural entries (`msgid_plural`, `msgstr[0..2]`), their
form chosen by the language's plural rule (`uk_plural` for Ukrainian).

To refresh the catalog after changing interface text, see the commands at the top of
`babel.cfg`; `tests/unit/app/test_i18n.py` fails while any message lacks a translation.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LANGUAGES = ("en", "uk")
DEFAULT_LANGUAGE = "en"
LOCALES_DIR = Path(__file__).parent / "locales"

current_language: ContextVar[str] = ContextVar("current_language", default=DEFAULT_LANGUAGE)


def uk_plural(count: int) -> int:
    """Index of the Ukrainian plural form: 1 коментар, 2 коментарі, 5 коментарів.

    The same rule as the catalog's `Plural-Forms` header (and CLDR's one/few/many)."""
    count = abs(count)
    if count % 10 == 1 and count % 100 != 11:
        return 0
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return 1
    return 2


def en_plural(count: int) -> int:
    return 0 if count == 1 else 1


PLURAL_RULES: dict[str, Callable[[int], int]] = {"en": en_plural, "uk": uk_plural}


@cache
def _read(language: str) -> Catalog | None:
    path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return None
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


@cache
def catalog(language: str) -> dict[str, str]:
    """Translated singular messages (msgid → msgstr); untranslated and fuzzy ones are left out."""
    messages = _read(language)
    if messages is None:
        return {}
    return {
        message.id: message.string
        for message in messages
        if isinstance(message.id, str)
        and isinstance(message.string, str)
        and message.id
        and message.string
        and not message.fuzzy
    }


@cache
def plural_catalog(language: str) -> dict[str, tuple[str, ...]]:
    """Translated plural messages: singular msgid → every form, in the plural rule's order.

    An entry with a missing form is left out, so it falls back to English as a whole."""
    messages = _read(language)
    if messages is None:
        return {}
    return {
        str(message.id[0]): tuple(str(form) for form in message.string)
        for message in messages
        if isinstance(message.id, tuple | list)
        and isinstance(message.string, tuple | list)
        and all(message.string)
        and not message.fuzzy
    }


def gettext(message: str) -> str:
    return catalog(current_language.get()).get(message, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form for `count`; the caller fills in `%(num)d` (Jinja's newstyle gettext does)."""
    language = current_language.get()
    forms = plural_catalog(language).get(singular)
    if forms:
        index = PLURAL_RULES.get(language, en_plural)(count)
        if index < len(forms):
            return forms[index]
    return singular if count == 1 else plural


def N_(message: str) -> str:  # noqa: N802 - the conventional name, a default Babel keyword
    """Mark a message for extraction without translating it: it is translated where shown."""
    return message


#: Messages that reach `_()` as computed values, so extraction cannot see them where they are
#: used: listed here (under the `N_` keyword) so they are in the catalog. The enum-derived ones
#: are checked against the enums by tests/unit/app/test_i18n.py.
COMPUTED_MESSAGES = (
    # Consultation statuses, shown as `_(status|capitalize)` ("scheduled" is derived).
    N_("Draft"),
    N_("Scheduled"),
    N_("Open"),
    N_("Closed"),
    N_("Synthesis"),
    N_("Published"),
    N_("Archived"),
    # Stances, `_(stance.value|capitalize)`.
    N_("Support"),
    N_("Oppose"),
    N_("Amend"),
    N_("Question"),
    N_("Neutral"),
    # Dispositions, `_(disposition.replace("_", " ")|capitalize)`.
    N_("Accepted"),
    N_("Partially accepted"),
    N_("Not accepted"),
    N_("Noted"),
    N_("Out of scope"),
    # Stakeholder groups (consultations.attribution.GROUP_LABELS), through `group_label`.
    N_("Government"),
    N_("Private sector"),
    N_("Academia"),
    N_("Civil society"),
    N_("Technical community"),
    N_("Anonymous"),
    # Paragraph statuses of the version diff, `_(block.status|capitalize)`.
    N_("Unchanged"),
    N_("Changed"),
    N_("Added"),
    N_("Removed"),
    # Messages of errors and notices, shown as `_(message)` and `_(problem)`.
    N_("Error"),
    N_("This page does not exist."),
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("Bad Request"),
    N_("Forbidden"),
    N_("Internal Server Error"),
    N_("The request is too large."),
    N_(
        "This form has expired or was sent from another site. "
        "Go back, reload the page and send it again."
    ),
    N_("Wrong email or password."),
    N_("Sign in to continue."),
    N_("Sign in to comment."),
    N_("Sign in as an editor to do this."),
    N_("Only editors may do this."),
    N_("This consultation is not open for comments."),
    N_("Choose your stakeholder group on your profile before commenting."),
    N_("The comment could not be posted."),
    N_("The comment is empty."),
    N_("The text contains a NUL character."),
    N_("Must be valid Unicode text without NUL characters."),
    N_("This field is required."),
    N_("Must be a string."),
    N_("Comments are limited to 10,000 characters."),
    N_("Suggestions are limited to 10,000 characters."),
    N_("Choose a stance: support, oppose, amend, question, neutral."),
    N_("Choose how the comment is attributed."),
    N_("This consultation does not accept anonymous comments."),
    N_("The comment you reply to does not exist."),
    N_("The comment you reply to is not on this paragraph."),
    N_("A published consultation cannot be revised."),
    N_("The consultation could not be created."),
    N_("Use lowercase letters, digits and single hyphens."),
    N_("This slug is taken."),
    N_("Topics use lowercase letters, digits and hyphens."),
    # Single sign-on (accounts/identities.py, app/auth/oidc.py).
    N_("This sign-in attempt has expired or was started in another browser. Please start again."),
    N_("The sign-in provider did not complete the sign-in."),
    N_("The answer from the sign-in provider could not be verified."),
    N_(
        "The sign-in provider is not responding at the moment. Please try again in a few "
        "minutes, or sign in with your email and password."
    ),
    N_(
        "An account with this email address exists already. Sign in with your email and "
        "password. Linking a sign-in provider to an existing account from the account page "
        "is coming in a later release."
    ),
    N_("Signing in did not complete; please try again."),
    N_("The sign-in provider did not identify the person."),
    N_("This account is disabled."),
    N_("A title of up to 300 characters is required."),
    N_("Language must be en or uk."),
    N_("The comment period must close after it opens."),
    N_("A draft is limited to 2,000,000 characters; this one has %(count)s."),
    N_(
        "A draft is limited to 2,000 paragraphs (each heading, list item and table row counts"
        " as one); this one has more."
    ),
    N_("The draft contains a NUL character, which text may not have."),
    N_("The draft has no text."),
    N_("Dates must look like 2026-12-01T18:00."),
    N_("Unknown status."),
    N_("Unknown field."),
    N_("The file is larger than 5 MB."),
    N_("The file is not UTF-8 Markdown or a .docx document."),
    N_("The .docx file could not be read."),
    N_("The file is not a .docx document (a .docx file is a zip archive)."),
    N_("A .docx file may unpack to at most 25 MB in 1,000 parts; this one is larger."),
    N_("The .docx file has no document in it (word/document.xml is missing)."),
    N_("The .docx file declares XML entities, which Word documents never do."),
    # Forms past their limits or with NUL (app/forms.py).
    N_("A form may have at most 1,000 fields and 1 file."),
    N_("Each field of a form is limited to 5 MB."),
    N_("The form could not be read. Reload the page and send it again."),
    N_("The form contains a NUL character."),
    N_("Contains a NUL character, which text may not have."),
    N_("The brief could not be created."),
    N_("The brief could not be saved."),
    N_("The brief is not ready to publish."),
    N_("The brief has no text."),
    N_("Briefs are limited to 500,000 characters."),
    N_("Up to 2,000 characters."),
    N_("Every version of this brief is published; start a revision first."),
    N_("The disposition could not be saved."),
    N_("Choose a disposition: accepted, partially_accepted, not_accepted, noted, out_of_scope."),
    N_("Explain the decision: a rationale is required."),
    N_("Rationales are limited to 10,000 characters."),
    N_("This comment proposes no replacement text."),
    N_("The current version already reads as this suggestion."),
    N_("The paragraph's text could not be located in the draft source."),
    N_("The commented paragraph is not in the current version of the draft."),
    N_("An email address and a name are required."),
    # Short problems of single form fields, shown after the field's name.
    N_("required"),
    N_("too long"),
    N_("too large"),
    N_("empty"),
    N_("unreadable"),
    N_("bad"),
    N_("not a date"),
    N_("before opens_at"),
    N_("too many paragraphs"),
    N_("contains a NUL character"),
    N_("not a zip archive"),
    N_("too large when unpacked"),
    N_("no document"),
    N_("declares entities"),
    # Notes about a search request (search.queries.NOTE_*), `_(note)`.
    N_("Your search was shortened to its first 500 characters."),
    N_("An unknown result type was ignored."),
    N_("An invalid topic was ignored."),
    N_("An unknown stakeholder group was ignored."),
    N_("An unknown language was ignored."),
    N_("A date that is not a year (2024) or a date (2024-05-31) was ignored."),
    N_("The dates were in reverse order, so they were swapped."),
    N_("An unknown sort order was ignored."),
    N_("An invalid page number was ignored."),
    N_("A quotation mark was not closed, so the words were searched separately."),
    N_("A * or ? needs at least two letters before it, so it was ignored."),
    N_("AND, OR and NOT need words on both sides; the lone operator was ignored."),
    N_("Your search could not be read as written, so its words were searched instead."),
    N_("Type one or more words to search for."),
    N_("The search index is being built; please try again in a minute."),
    # Local accounts (accounts/registration.py, links.py, ratelimits.py, app/routes/auth.py).
    N_("This link is invalid or has expired."),
    N_("Too many attempts. Please wait a while and try again."),
    # A comment form sent again with other text (app/routes/consultations.py).
    N_(
        "This form had already posted a comment. Your new text is kept below: "
        "send it again to post it as another comment."
    ),
    N_("The account could not be created."),
    N_("The password could not be changed."),
    N_("not an email address"),
    N_("at least 10 characters"),
    N_("at most 200 characters"),
    N_("must not be your email address"),
    N_(
        "Confirm your email address before commenting: open the link in the email we sent you,"
        " or ask for a new one on the page Confirm your email address (/verify)."
    ),
    N_("Your password has been changed. Sign in with your new password."),
    N_("You have been signed out on every device."),
    # Domain errors with values (see core.errors.DomainError).
    N_("An account for %(email)s exists already."),
    N_("Scope must be one of %(scopes)s."),
    N_("No consultation called “%(slug)s”."),
    N_("Version %(number)s of this consultation does not exist."),
    N_("No paragraph “%(key)s” in this consultation."),
    N_("No paragraph “%(key)s” in the current version."),
    N_("No brief called “%(slug)s”."),
    N_("The brief “%(slug)s” is not published."),
    N_("Version %(number)s of the brief “%(slug)s” is not published."),
    N_("No thread %(id)s in this consultation."),
    N_("No thread %(id)s."),
    N_("No comment %(id)s."),
    N_("No topic called “%(slug)s”."),
)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The language cookie wins; otherwise the first supported Accept-Language entry."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
