"""Hostile input gets the right 4xx and a clear message, writes nothing, on both databases.

Each table sends one kind of hostile input to every route it can reach: numbers past the id
columns' range in paths and forms, NUL in every text field, forms past their limits, and
drafts that are too big, contain NUL, or are hostile .docx files (zip bombs, entity
expansion, not a zip, no document).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import docx
import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.urls import app_paths
from briefs.services import BriefService
from consultations.services import ConsultationService
from core.clock import FixedClock, SystemClock
from core.db import Base
from core.enums import Role
from tests.factories import comment_on, editor, make_user, numbered_markdown, open_consultation
from tests.functional.conftest import Browser, page, text_of


@dataclass(frozen=True)
class World:
    slug: str
    key: str
    brief: str
    thread_id: int
    comment_id: int
    editor_email: str
    admin_email: str


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    chief = editor(session, clock)
    admin = make_user(session, clock, role=Role.ADMIN)
    consultation = open_consultation(session, clock, by=chief, slug="hostile", paragraphs=5)
    comment = comment_on(session, clock, consultation, author=make_user(session, clock))
    briefs = BriefService(session, clock=clock)
    briefs.create(chief, "findings", "Findings", "en", ["encryption"], "The findings.", "hostile")
    briefs.publish("findings", chief, app_paths())
    session.commit()
    return World(
        slug="hostile",
        key=comment.thread.paragraph_key,
        brief="findings",
        thread_id=comment.thread_id,
        comment_id=comment.id,
        editor_email=chief.email,
        admin_email=admin.email,
    )


def rows(session: Session) -> dict[str, int]:
    """Rows in every table: a refused request leaves every count as it was."""
    session.expire_all()
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


def notice(response: httpx.Response) -> str:
    """The error message a person sees on the error page."""
    return text_of(page(response), ".notice--error")


# -- numbers past the id columns' range --------------------------------------------------------

TOO_BIG = [2**31, 2**63, 10**30]
PATHS = [
    ("get", "/consultations/{slug}/v/{n}"),
    ("get", "/consultations/{slug}/diff/1..{n}"),
    ("get", "/consultations/{slug}/diff/{n}..1"),
    ("get", "/briefs/{brief}/v/{n}"),
    ("get", "/briefs/{brief}/v/{n}.pdf"),
    ("get", "/briefs/{brief}/v/{n}.md"),
    ("get", "/briefs/{brief}/v/{n}.json"),
    ("post", "/consultations/{slug}/threads/{n}/disposition"),
    ("post", "/consultations/{slug}/threads/{n}/contest"),
    ("post", "/consultations/{slug}/threads/{n}/contest/answer"),
    ("post", "/admin/people/{n}/verify"),
    ("post", "/admin/people/{n}/revoke"),
    ("post", "/account/tokens/{n}/revoke"),
]


def send(browser: Browser, method: str, url: str, data: dict[str, Any] | None = None) -> Any:
    return browser.form(url, data or {}) if method == "post" else browser.get(url)


@pytest.mark.parametrize("number", TOO_BIG)
@pytest.mark.parametrize(("method", "path"), PATHS)
def test_an_id_past_the_column_range_in_a_path_is_no_such_page(
    browser: Browser, session: Session, world: World, method: str, path: str, number: int
) -> None:
    browser.sign_in(world.admin_email)
    before = rows(session)
    url = path.format(slug=world.slug, brief=world.brief, n=number)
    response = send(browser, method, url, {"disposition": "noted", "rationale": "Why not."})
    assert response.status_code == 404, response.text
    assert notice(response) == "This page does not exist."
    assert rows(session) == before


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("get", "/consultations/{slug}/v/{n}", "Version 2147483647 of this consultation"),
        ("get", "/briefs/{brief}/v/{n}", "Version 2147483647 of the brief"),
        ("post", "/consultations/{slug}/threads/{n}/disposition", "No thread 2147483647"),
        ("post", "/admin/people/{n}/verify", "No such person."),
    ],
)
def test_the_largest_id_still_reaches_the_route(
    browser: Browser, session: Session, world: World, method: str, path: str, message: str
) -> None:
    """2³¹−1 is a possible id: the route answers that nothing has it (its own 404)."""
    browser.sign_in(world.admin_email)
    url = path.format(slug=world.slug, brief=world.brief, n=2**31 - 1)
    response = send(browser, method, url, {"disposition": "noted", "rationale": "Why not."})
    assert response.status_code == 404
    assert notice(response).startswith(message)


@pytest.mark.parametrize("value", ["99999999999", str(2**31), str(2**63), "12abc", "-1", "0"])
def test_a_reply_to_an_impossible_comment_id_is_refused(
    browser: Browser, session: Session, world: World, value: str
) -> None:
    browser.sign_in(world.editor_email)
    before = rows(session)
    response = browser.form(
        f"/consultations/{world.slug}/p/{world.key}/comments",
        {"body": "A reply.", "attribution": "named", "parent_id": value},
    )
    assert response.status_code == 422
    assert "The comment you reply to does not exist." in notice(response)
    assert rows(session) == before


# -- NUL in every text field of every form -----------------------------------------------------

FORMS: dict[str, dict[str, str]] = {
    "/signin": {"email": "a@example.org", "password": "long enough password", "next": "/"},
    "/signup": {"name": "A", "email": "a@example.org", "password": "long enough password"},
    "/password/forgot": {"email": "a@example.org"},
    "/password/reset/not-a-secret": {"password": "long enough password"},
    "/account/profile": {
        "name": "A",
        "stakeholder_group": "academia",
        "organisation": "O",
        "country": "UA",
    },
    "/account/tokens": {"name": "T", "scope": "read"},
    "/account/delete": {"email": "a@example.org"},
    "/consultations": {
        "slug": "new-one",
        "title": "T",
        "summary": "S",
        "language": "en",
        "topics": "encryption",
        "opens_at": "",
        "closes_at": "",
        "markdown": "Text.",
    },
    "/consultations/{slug}/status": {"status": "open"},
    "/consultations/{slug}/period": {"opens_at": "", "closes_at": ""},
    "/consultations/{slug}/versions": {"markdown": "Text.", "change_note": "N"},
    "/consultations/{slug}/p/{key}/comments": {
        "body": "B",
        "stance": "support",
        "attribution": "named",
        "suggestion": "S",
        "quote": "Q",
    },
    "/consultations/{slug}/threads/{thread}/disposition": {
        "disposition": "noted",
        "rationale": "R",
    },
    "/briefs": {
        "slug": "new-brief",
        "title": "T",
        "language": "en",
        "topics": "encryption",
        "consultation": "",
        "body_markdown": "B",
    },
    "/briefs/{brief}/edit": {"title": "T", "body_markdown": "B", "change_note": "N"},
}
NUL_CASES = [(url, field) for url, fields in FORMS.items() for field in fields]


@pytest.mark.parametrize(("path", "field"), NUL_CASES)
def test_nul_in_any_field_is_refused_naming_the_field(
    browser: Browser, session: Session, world: World, path: str, field: str
) -> None:
    browser.sign_in(world.editor_email)
    before = rows(session)
    url = path.format(slug=world.slug, key=world.key, thread=world.thread_id, brief=world.brief)
    data = {**FORMS[path], field: FORMS[path][field] + "\x00tail"}
    response = browser.form(url, data)
    assert response.status_code == 422, response.text
    shown = page(response)
    assert text_of(shown, ".notice--error p") == "The form contains a NUL character."
    assert text_of(shown, ".notice--error li") == (
        f"{field} : Contains a NUL character, which text may not have."
    )
    assert rows(session) == before


def test_nul_in_a_field_name_is_refused(browser: Browser, session: Session, world: World) -> None:
    before = rows(session)
    response = browser.form("/signin", {"email\x00": "a@example.org", "password": "x"})
    assert response.status_code == 422
    assert "The form contains a NUL character." in notice(response)
    assert rows(session) == before


def test_the_nul_message_is_in_ukrainian(browser: Browser, world: World) -> None:
    browser.cookies.set("lang", "uk")
    response = browser.form("/signin", {"email": "a\x00@example.org", "password": "x"})
    assert response.status_code == 422
    assert text_of(page(response), ".notice--error p") == "Форма містить символ NUL."


@pytest.mark.parametrize(
    "path", ["/consultations/%00", "/briefs/%00", "/feeds/topics/%00.atom", "/%00/x"]
)
def test_nul_in_a_path_is_the_translated_no_such_page(browser: Browser, path: str) -> None:
    browser.cookies.set("lang", "uk")
    response = browser.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert page(response).select_one("html[lang=uk] main"), "the site's own page, in Ukrainian"


# -- forms past their limits -------------------------------------------------------------------

MANY_FIELDS = "A form may have at most 1,000 fields and 1 file."
BIG_FIELD = "Each field of a form is limited to 5 MB."


def multipart(fields: list[tuple[str, str]], files: int = 0) -> tuple[bytes, str]:
    """A multipart body built by hand, so it can be as hostile as a test needs."""
    boundary = "hostileboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields
    ]
    parts += [
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="d{i}.md"\r\n'
        f"Content-Type: text/markdown\r\n\r\nText.\r\n"
        for i in range(files)
    ]
    body = "".join(parts) + f"--{boundary}--\r\n"
    return body.encode(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("htmx", [False, True], ids=["csrf-field", "csrf-header"])
@pytest.mark.parametrize(
    ("label", "fields", "files", "status", "message"),
    [
        ("1001 fields", [(f"f{i}", "x") for i in range(1001)], 0, 413, MANY_FIELDS),
        ("2 files", [], 2, 413, MANY_FIELDS),
        ("a 5.5 MB field", [("markdown", "x" * (5 * 1024 * 1024 + 512 * 1024))], 0, 413, BIG_FIELD),
    ],
)
def test_a_multipart_form_past_its_limits_is_refused(
    browser: Browser,
    session: Session,
    world: World,
    htmx: bool,
    label: str,
    fields: list[tuple[str, str]],
    files: int,
    status: int,
    message: str,
) -> None:
    """Refused by the CSRF check (which reads the token from the form: plain text) or by
    the route (the token in a header, as htmx sends it: the error page)."""
    browser.sign_in(world.editor_email)
    before = rows(session)
    token = browser.cookies["csrftoken"]
    headers = {"x-csrftoken": token, "HX-Request": "true"} if htmx else {}
    body, content_type = multipart([("csrftoken", token), *fields], files)
    response = browser.post(
        f"/consultations/{world.slug}/versions",
        content=body,
        headers={"content-type": content_type, **headers},
    )
    assert response.status_code == status
    assert (notice(response) if htmx else response.text) == message
    assert rows(session) == before


def test_too_many_urlencoded_fields_are_refused_in_ukrainian(
    browser: Browser, session: Session, world: World
) -> None:
    browser.cookies.set("lang", "uk")
    before = rows(session)
    response = browser.form("/signin", {f"f{i}": "x" for i in range(1001)})
    assert response.status_code == 413
    assert response.text == "Форма може мати щонайбільше 1000 полів і один файл."
    assert rows(session) == before


def test_a_malformed_multipart_body_is_a_bad_request(
    browser: Browser, session: Session, world: World
) -> None:
    browser.sign_in(world.editor_email)
    response = browser.post(
        f"/consultations/{world.slug}/versions",
        content=b"--x\r\nno headers at all",
        headers={
            "content-type": "multipart/form-data",
            "x-csrftoken": browser.cookies["csrftoken"],
        },
    )
    assert response.status_code == 400
    assert notice(response) == "The form could not be read. Reload the page and send it again."


# -- drafts: too big, NUL, hostile .docx ---------------------------------------------------------

PARAGRAPHS = (
    "A draft is limited to 2,000 paragraphs (each heading, list item and table row counts"
    " as one); this one has more."
)


@cache
def zip_bomb() -> bytes:
    """A .docx whose document.xml is 1 GB of zeros: about 1 MB packed, built streaming."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            zeros = bytes(1024 * 1024)
            for _ in range(1024):
                member.write(zeros)
    return buffer.getvalue()


def docx_bytes(replace: dict[str, bytes] | None = None) -> bytes:
    """A real Word document (python-docx's template), with some parts replaced or removed."""
    document = docx.Document()
    document.add_paragraph("Users come first.")
    original = io.BytesIO()
    document.save(original)
    source = zipfile.ZipFile(original)
    result = io.BytesIO()
    with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            data = (replace or {}).get(name, source.read(name))
            if data:  # an empty replacement removes the part
                archive.writestr(name, data)
    return result.getvalue()


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY l0 "ha">'
    + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    + f"]><w:document {W}><w:body><w:p><w:r><w:t>&l9;</w:t></w:r></w:p></w:body></w:document>"
).encode()
EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    f"<w:document {W}><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>"
).encode()


def many_parts() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<x/>")
        for i in range(1001):
            archive.writestr(f"junk/{i}.xml", "")
    return buffer.getvalue()


def junk_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "Not a Word document.")
    return buffer.getvalue()


UNPACKS = "A .docx file may unpack to at most 25 MB in 1,000 parts; this one is larger."
ENTITIES = "The .docx file declares XML entities, which Word documents never do."
UPLOADS: dict[str, tuple[Callable[[], bytes], str]] = {
    "zip bomb": (zip_bomb, UNPACKS),
    "1001 parts": (many_parts, UNPACKS),
    "billion laughs": (lambda: docx_bytes({"word/document.xml": LAUGHS}), ENTITIES),
    "external entity": (lambda: docx_bytes({"word/document.xml": EXTERNAL}), ENTITIES),
    "not a zip": (
        lambda: b"PK but not really a zip",
        "The file is not a .docx document (a .docx file is a zip archive).",
    ),
    "zip without document.xml": (
        junk_zip,
        "The .docx file has no document in it (word/document.xml is missing).",
    ),
    "malformed XML": (
        lambda: docx_bytes({"word/document.xml": b"<w:document"}),
        "The .docx file could not be read.",
    ),
    "no content types": (
        lambda: docx_bytes({"[Content_Types].xml": b""}),
        "The .docx file could not be read.",
    ),
}


def current_state(session: Session, world: World) -> tuple[int, bool]:
    """The current version's number, and whether the commented paragraph is still in it."""
    session.expire_all()
    service = ConsultationService(session, clock=SystemClock())
    consultation = service.get(world.slug)
    return service.version(consultation).number, service.in_current_version(consultation, world.key)


def new_version(browser: Browser, world: World, **fields: Any) -> httpx.Response:
    files = fields.pop("files", None)
    data = {"csrftoken": browser.cookies["csrftoken"], "change_note": "Hostile.", **fields}
    response: httpx.Response = browser.post(
        f"/consultations/{world.slug}/versions", data=data, files=files
    )
    return response


@pytest.mark.parametrize("name", list(UPLOADS))
def test_a_hostile_docx_is_refused_before_it_is_parsed(
    browser: Browser, session: Session, world: World, name: str
) -> None:
    build, message = UPLOADS[name]
    browser.sign_in(world.editor_email)
    before, state = rows(session), current_state(session, world)
    response = new_version(browser, world, files={"file": ("draft.docx", build())})
    assert response.status_code == 422, response.text
    assert text_of(page(response), ".notice--error p") == message
    assert rows(session) == before
    assert current_state(session, world) == state == (1, True)


@pytest.mark.parametrize(
    ("label", "upload", "markdown", "message"),
    [
        (
            "a draft that is only a NUL (uploaded)",
            b"\x00",
            "",
            "markdown: Must be valid Unicode text without NUL characters.",
        ),
        ("2,001 paragraphs", None, numbered_markdown(2001), PARAGRAPHS),
        ("600,000 one-letter paragraphs", None, "x\n\n" * 600_000, PARAGRAPHS),
        ("500,000 list items", None, "- x\n" * 500_000, PARAGRAPHS),
        (
            "2,000,001 characters",
            None,
            "x" * 2_000_001,
            "markdown: A draft is limited to 2,000,000 characters.",
        ),
    ],
)
def test_a_draft_past_the_limits_is_refused_and_orphans_nothing(
    browser: Browser,
    session: Session,
    world: World,
    label: str,
    upload: bytes | None,
    markdown: str,
    message: str,
) -> None:
    browser.sign_in(world.editor_email)
    before, state = rows(session), current_state(session, world)
    files = {"file": ("draft.md", upload)} if upload is not None else None
    response = new_version(browser, world, markdown=markdown, files=files)
    assert response.status_code == 422
    notice = page(response).select_one(".notice--error")
    assert notice is not None
    assert message in [text_of(notice, "p"), *(li.get_text() for li in notice.select("li"))]
    assert rows(session) == before
    assert current_state(session, world) == state == (1, True)


def test_a_draft_at_the_limits_is_accepted(
    browser: Browser, session: Session, world: World
) -> None:
    """The limits are where they say: 2,000 paragraphs go in, and a Word document too."""
    browser.sign_in(world.editor_email)
    assert new_version(browser, world, markdown=numbered_markdown(2000)).status_code == 303
    response = new_version(browser, world, files={"file": ("draft.docx", docx_bytes())})
    assert response.status_code == 303
    assert current_state(session, world)[0] == 3
