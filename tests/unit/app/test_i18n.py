"""The Ukrainian interface is complete: every message of the templates and code is translated,
placeholders survive translation, and plural forms follow Ukrainian grammar.

Messages are extracted here exactly as `pybabel extract -F babel.cfg` does (same mapping), so
adding interface text without translating it fails `test_every_extracted_message_is_translated`
with the list of what is missing. How to refresh the catalog: see the top of babel.cfg.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import get_args

import pytest
from babel.core import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from bs4 import BeautifulSoup
from markupsafe import escape

from app import i18n
from app.forms import FormTooLarge, UnreadableForm
from app.templating import VALUE_LABELS, make_templates
from consultations.attribution import GROUP_LABELS
from consultations.diff import Status as DiffStatus
from core.enums import ConsultationStatus, Disposition, StakeholderGroup, Stance
from core.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound, NotSignedIn

ROOT = Path(__file__).resolve().parents[3]
PO_PATH = ROOT / "app" / "locales" / "uk" / "LC_MESSAGES" / "messages.po"
HOW_TO_FIX = (
    "Refresh and translate the catalog (commands at the top of babel.cfg), then fill in "
    f"{PO_PATH.relative_to(ROOT)}."
)
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")

MessageId = str | tuple[str, ...]


@cache
def extracted() -> dict[MessageId, list[str]]:
    """Every msgid of the templates and code (→ where it occurs), as pybabel extracts it."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, "babel.cfg")  # type: ignore[no-untyped-call]
    messages: dict[MessageId, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        key: MessageId = message if isinstance(message, str) else tuple(message)
        if key and all(key):
            messages.setdefault(key, []).append(f"{filename}:{lineno}")
    return messages


@cache
def ukrainian() -> Catalog:
    with PO_PATH.open("rb") as handle:
        return read_po(handle, locale="uk")


def translation_problem(msgid: MessageId) -> str | None:
    """Why `msgid` shows in English in the Ukrainian interface, or None when it does not."""
    message = ukrainian().get(msgid if isinstance(msgid, str) else msgid[0])
    if message is None:
        return "not in the catalog"
    if message.fuzzy:
        return "fuzzy"
    if isinstance(msgid, str):
        return None if isinstance(message.string, str) and message.string else "untranslated"
    forms = message.string
    if not isinstance(forms, tuple | list) or len(forms) != ukrainian().num_plurals:
        return "needs all three plural forms"
    if not all(forms):
        return "needs all three plural forms"
    return None


def untranslated(msgids: dict[MessageId, list[str]]) -> list[str]:
    problems = []
    for msgid, places in sorted(msgids.items(), key=lambda item: str(item[0])):
        problem = translation_problem(msgid)
        if problem:
            problems.append(f"{msgid!r} ({problem}) at {', '.join(places[:3])}")
    return problems


@pytest.fixture
def in_ukrainian() -> Iterator[None]:
    token = i18n.current_language.set("uk")
    yield
    i18n.current_language.reset(token)


# -- (a) completeness ----------------------------------------------------------------------


def test_extraction_finds_the_templates_and_the_code() -> None:
    places = {place.split(":")[0] for places in extracted().values() for place in places}
    assert any(place.startswith("app/templates/") for place in places)
    # Domain messages are marked where they are written (core.i18n.N_), enum labels too.
    assert {"consultations/services.py", "core/enums.py", "search/queries.py"} <= places
    assert not any(place.startswith(("tests/", "bench/", ".venv/")) for place in places)
    assert ("%(num)d comment", "%(num)d comments") in extracted()


def test_every_extracted_message_is_translated() -> None:
    missing = untranslated(extracted())
    assert not missing, f"{len(missing)} messages lack a Ukrainian translation. {HOW_TO_FIX}\n" + (
        "\n".join(missing)
    )


def test_every_value_templates_label_has_an_extracted_translated_label() -> None:
    """Templates show statuses, stances, dispositions and diff statuses as `value|label`, and
    groups through `group_label`. A new enum value must come with its label (marked with `N_`
    beside the enum: core/enums.py LABELS, consultations/diff.py, consultations/attribution.py)
    and its translation."""
    values = [*ConsultationStatus, "scheduled", *Stance, *Disposition, *get_args(DiffStatus)]
    unlabelled = [value for value in values if value not in VALUE_LABELS]
    assert not unlabelled, f"Give these values a label: {unlabelled}"
    labels = [*VALUE_LABELS.values(), *(GROUP_LABELS[group] for group in StakeholderGroup)]
    missing = [m for m in labels if m not in extracted() or translation_problem(m)]
    assert not missing, f"Mark these labels with N_ and translate them: {missing}"


# Messages the code builds outside `_()` and the templates show through `_(message)`.
ERROR_CLASSES = {c.__name__ for c in (DomainError, NotFound, NotAllowed, NotSignedIn)} | {
    c.__name__ for c in (InvalidInput, Conflict, FormTooLarge, UnreadableForm)
}
USER_FACING_CODE = [
    "accounts/*.py",
    "briefs/*.py",
    "consultations/*.py",
    "core/inputs.py",
    "app/csrf.py",
    "app/errors.py",
    "app/forms.py",
    "app/web.py",
    "app/routes/*.py",
    "search/queries.py",
]
MACHINE_ONLY = {"app/routes/api.py"}  # JSON errors of the API stay in English


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _constants(tree: ast.Module) -> dict[str, object]:
    constants: dict[str, object] = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and isinstance(value, ast.expr):
            value = _unmarked(value)
            try:
                constants[target.id] = ast.literal_eval(value)
            except ValueError:
                continue
    return constants


def _unmarked(node: ast.expr) -> ast.expr:
    """`N_("text")` → `"text"`: the marker returns its argument."""
    if isinstance(node, ast.Call) and _name(node.func) == "N_" and len(node.args) == 1:
        return node.args[0]
    return node


def _text(node: ast.expr | None, constants: dict[str, object]) -> str | None:
    """The string `node` always evaluates to (f-strings of module constants included)."""
    node = _unmarked(node) if node is not None else None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and isinstance(constants.get(node.id), str):
        return str(constants[node.id])
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
                continue
            assert isinstance(value, ast.FormattedValue)
            spec = _text(value.format_spec, constants) if value.format_spec else ""
            name = value.value.id if isinstance(value.value, ast.Name) else None
            if name not in constants or spec is None or value.conversion != -1:
                return None
            parts.append(format(constants[name], spec))
        return "".join(parts)
    return None


def user_messages(path: Path) -> dict[str, int]:
    """Fixed messages of domain errors, form field problems, error pages and search notes."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    constants = _constants(tree)
    found: list[tuple[ast.expr | None, int]] = [
        (node.value, node.lineno)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id.startswith("NOTE_") for t in node.targets)
    ]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) in ERROR_CLASSES:
            found += [(arg, node.lineno) for arg in node.args[:1]]
            for keyword in node.keywords:
                if keyword.arg == "fields" and isinstance(keyword.value, ast.Dict):
                    found += [(value, node.lineno) for value in keyword.value.values]
        elif isinstance(node, ast.Call) and _name(node.func) == "_refuse":
            found += [(arg, node.lineno) for arg in node.args]
        elif isinstance(node, ast.Call) and _name(node.func) == "field_error":
            found += [(arg, node.lineno) for arg in node.args[1:2]]
        elif isinstance(node, ast.Call) and _name(node.func) == "Problems":
            # A model field's problems (core.inputs): by error type, and for any other.
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                values = arg.values if isinstance(arg, ast.Dict) else [arg]
                found += [(value, node.lineno) for value in values]
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                to_fields = isinstance(target, ast.Subscript) and _name(target.value) == "fields"
                to_message = isinstance(target, ast.Name) and target.id == "message"
                if to_fields or to_message:
                    found.append((node.value, node.lineno))
                problems = isinstance(target, ast.Name) and target.id.endswith("_PROBLEMS")
                if problems and isinstance(node.value, ast.Dict):
                    found += [(value, node.lineno) for value in node.value.values]
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in {"error", "message"}:
                    found.append((value, node.lineno))
    messages = {}
    for expr, line in found:
        text = _text(expr, constants)
        if text:
            messages[text] = line
    return messages


def test_fixed_messages_shown_to_people_are_translated() -> None:
    paths = sorted({p for pattern in USER_FACING_CODE for p in ROOT.glob(pattern)})
    messages: dict[MessageId, list[str]] = {}
    for path in paths:
        relative = path.relative_to(ROOT).as_posix()
        if relative in MACHINE_ONLY:
            continue
        for text, line in user_messages(path).items():
            messages.setdefault(text, []).append(f"{relative}:{line}")
    assert "Sign in to comment." in messages  # the scan finds domain errors
    assert "The comment is empty." in messages  # and field problems
    unmarked = [
        f"{text!r} at {places[0]}" for text, places in messages.items() if text not in extracted()
    ]
    assert not unmarked, (
        "Messages shown through `_(message)` must be marked where they are written, "
        "`N_(...)` (from core.i18n), so extraction finds them:\n" + "\n".join(unmarked)
    )
    missing = untranslated(messages)
    assert not missing, f"Messages lack a translation. {HOW_TO_FIX}\n" + "\n".join(missing)


# -- (b) placeholders ----------------------------------------------------------------------


def test_placeholders_in_translations_match_the_english() -> None:
    """Jinja's newstyle gettext formats every message with `%`: a translation must keep the
    same `%(name)s` placeholders and contain no other `%`."""
    wrong = []
    for message in ukrainian():
        if not message.id or message.fuzzy:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        forms = [message.string] if isinstance(message.string, str) else list(message.string or ())
        expected = set(PLACEHOLDER.findall(ids[0]))
        assert all(set(PLACEHOLDER.findall(i)) == expected for i in ids), ids
        for form in filter(None, forms):
            if set(PLACEHOLDER.findall(form)) != expected:
                wrong.append(f"{ids[0]!r} → {form!r}")
                continue
            try:
                form % dict.fromkeys(expected, 1)
            except (TypeError, ValueError, KeyError) as error:
                wrong.append(f"{ids[0]!r} → {form!r}: {error}")
    assert not wrong, "\n".join(wrong)


# -- (c) plural forms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, "0 коментарів"),
        (1, "1 коментар"),
        (2, "2 коментарі"),
        (4, "4 коментарі"),
        (5, "5 коментарів"),
        (11, "11 коментарів"),
        (12, "12 коментарів"),
        (14, "14 коментарів"),
        (21, "21 коментар"),
        (22, "22 коментарі"),
        (111, "111 коментарів"),
        (1001, "1001 коментар"),
    ],
)
def test_ukrainian_plural_forms(in_ukrainian: None, count: int, expected: str) -> None:
    form = i18n.ngettext("%(num)d comment", "%(num)d comments", count)
    assert form % {"num": count} == expected


def test_plural_forms_in_templates(in_ukrainian: None) -> None:
    template = make_templates().env.from_string(
        '{{ ngettext("%(num)d comment", "%(num)d comments", n) }}'
        ' · {{ ngettext("%(num)d result", "%(num)d results", n) }}'
    )
    assert template.render(n=21) == "21 коментар · 21 результат"
    assert template.render(n=3) == "3 коментарі · 3 результати"
    assert template.render(n=25) == "25 коментарів · 25 результатів"


def test_english_plurals_are_unchanged() -> None:
    assert i18n.ngettext("%(num)d comment", "%(num)d comments", 1) == "%(num)d comment"
    assert i18n.ngettext("%(num)d comment", "%(num)d comments", 21) == "%(num)d comments"


def test_the_compiled_plural_rule_is_cldrs_ukrainian_rule() -> None:
    """The app takes the plural rule from the compiled catalog's `Plural-Forms` header; it must
    pick CLDR's one/few/many forms (msgstr[0], [1], [2]) for every count."""
    compiled = i18n.translations("uk")
    assert isinstance(compiled, Translations)
    assert ukrainian().num_plurals == 3
    form = {"one": 0, "few": 1, "many": 2}
    cldr = Locale("uk").plural_form
    assert [compiled.plural(n) for n in range(1000)] == [form[cldr(n)] for n in range(1000)]


def test_the_compiled_catalog_is_up_to_date_with_the_po_file() -> None:
    """The app reads the committed messages.mo; it must hold exactly the .po's translations."""
    with PO_PATH.with_suffix(".mo").open("rb") as handle:
        compiled = _translations(read_mo(handle))
    expected = _translations(ukrainian())
    stale = sorted(str(msgid) for msgid in expected.keys() ^ compiled.keys())
    stale += sorted(str(k) for k in expected.keys() & compiled.keys() if expected[k] != compiled[k])
    assert compiled and not stale, (
        f"{PO_PATH.with_suffix('.mo').relative_to(ROOT)} is out of date: run "
        "`.venv/bin/pybabel compile -d app/locales`. Differing: " + ", ".join(stale[:10])
    )


def _translations(catalog: Catalog) -> dict[MessageId, tuple[str, ...]]:
    """msgid → translated forms, as compiling keeps them (translated, not fuzzy)."""
    found: dict[MessageId, tuple[str, ...]] = {}
    for message in catalog:
        forms = (message.string,) if isinstance(message.string, str) else message.string
        if message.id and not message.fuzzy and forms and all(forms):
            msgid = message.id if isinstance(message.id, str) else tuple(message.id)
            found[msgid] = tuple(str(form) for form in forms)
    return found


def test_an_unknown_message_falls_back_to_english(in_ukrainian: None) -> None:
    assert i18n.ngettext("%(num)d apple", "%(num)d apples", 5) == "%(num)d apples"
    assert i18n.gettext("Not a message of the interface") == "Not a message of the interface"


# -- (d) no user text is markup ------------------------------------------------------------

HOSTILE = '<img src=x onerror="alert(1)" hx-post="/x" hx-trigger="load">100% %(num)s &amp;'


def _render(source: str, **values: object) -> BeautifulSoup:
    return BeautifulSoup(make_templates().env.from_string(source).render(**values), "html.parser")


@pytest.mark.parametrize("language", ["en", "uk"])
def test_a_message_that_is_not_ours_comes_back_as_literal_text(language: str) -> None:
    """A value that reaches `_()` (a name, a raw field) is not a trusted message: escaped text,
    its `%` not a placeholder, never an element."""
    token = i18n.current_language.set(language)
    try:
        assert HOSTILE not in i18n.trusted_messages()
        assert i18n.template_gettext(HOSTILE) == escape(HOSTILE).replace("%", "%%")
        page = _render("<p>{{ _(value) }}</p><p>{{ ngettext(value, value, 2) }}</p>", value=HOSTILE)
    finally:
        i18n.current_language.reset(token)
    assert not page.find("img")
    assert [p.get_text() for p in page.find_all("p")] == [HOSTILE, HOSTILE]


def test_values_filled_into_a_trusted_message_are_escaped(in_ukrainian: None) -> None:
    message = "No brief called “%(slug)s”."
    assert message in i18n.trusted_messages()
    page = _render("<p>{{ _(message, slug=slug) }}</p>", message=message, slug=HOSTILE)
    assert not page.find("img")
    assert page.p is not None and page.p.get_text() == f"Немає аналітичної записки «{HOSTILE}»."


def test_every_value_of_a_trusted_message_is_escaped_in_english() -> None:
    message = "A consultation cannot go back from %(current)s to %(status)s."
    assert message in i18n.trusted_messages()
    page = _render("<p>{{ _(m, current=a, status=b) }}</p>", m=message, a=HOSTILE, b="<s>x</s>")
    assert not page.find("img") and not page.find("s")
    assert page.p is not None
    assert page.p.get_text() == f"A consultation cannot go back from {HOSTILE} to <s>x</s>."


def test_plain_gettext_returns_text_not_markup(in_ukrainian: None) -> None:
    """Python callers get `str`, which Jinja's autoescape escapes wherever it is shown."""
    assert type(i18n.gettext("Anonymous")) is str
    assert type(i18n.ngettext("%(num)d comment", "%(num)d comments", 2)) is str
