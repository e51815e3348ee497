"""Administration over HTTP: verifying affiliations (and the mark on later comments),
organisations with their members, and who may see any of it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from accounts.models import User
from accounts.profiles import ProfileService
from consultations.models import Consultation
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import Role, StakeholderGroup
from tests.factories import comment_on, editor, make_user, open_consultation
from tests.functional.conftest import Browser, page, text_of

ADMIN, EDITOR, PARTICIPANT = "admin@example.org", "editor@example.org", "olena@example.org"
MINISTRY = "Ministry of Digital Transformation"
PAGES = ("/admin", "/admin/people", "/admin/organisations", "/admin/mail")


@dataclass
class Setting:
    consultation: Consultation
    keys: list[str]
    participant: User
    waiting: User


@pytest.fixture
def setting(session: Session, clock: FixedClock) -> Setting:
    make_user(session, clock, role=Role.ADMIN, email=ADMIN, name="Admin")
    editor(session, clock, email=EDITOR)
    consultation = open_consultation(session, clock, paragraphs=4, slug="end-users")
    service = ConsultationService(session, clock=clock)
    keys = [p.key for p in service.paragraphs(service.version(consultation))]
    participant = make_user(
        session, clock, email=PARTICIPANT, name="Olena", group=StakeholderGroup.GOVERNMENT
    )
    profiles = ProfileService(session, clock=clock)
    profiles.update(participant, "Olena", "government", MINISTRY, "UA")
    waiting = make_user(session, clock, name="Taras", group=StakeholderGroup.ACADEMIA)
    profiles.update(waiting, "Taras", "academia", MINISTRY, "UA")
    session.commit()
    return Setting(consultation, keys, participant, waiting)


@pytest.fixture
def admin(browser: Browser, setting: Setting) -> Browser:
    browser.sign_in(ADMIN)
    return browser


def row_of(browser: Browser, user: User, query: str = "") -> str:
    html = page(browser.get(f"/admin/people{query}"))
    row = html.select_one(f"#person-{user.id}")
    return row.get_text(" ", strip=True) if row else ""


def test_anonymous_people_are_sent_to_sign_in(anonymous: Browser, setting: Setting) -> None:
    for url in PAGES:
        response = anonymous.get(url)
        assert response.status_code == 303
        assert response.headers["location"] == f"/signin?next={url}"
    assert anonymous.form(f"/admin/people/{setting.waiting.id}/verify").status_code == 401


@pytest.mark.parametrize("email", [EDITOR, PARTICIPANT])
def test_editors_and_participants_are_not_admins(
    browser: Browser, setting: Setting, session: Session, email: str
) -> None:
    browser.sign_in(email)

    for url in PAGES:
        assert browser.get(url).status_code == 403
    for action in ("verify", "revoke"):
        assert browser.form(f"/admin/people/{setting.waiting.id}/{action}").status_code == 403
    session.expire_all()
    assert session.get(User, setting.waiting.id).affiliation_verified_at is None  # type: ignore[union-attr]
    assert page(browser.get("/")).select_one('a[href="/admin/people"]') is None


def test_an_admin_verifies_and_revokes(
    admin: Browser, setting: Setting, session: Session, clock: FixedClock
) -> None:
    assert "Olena" in row_of(admin, setting.participant, "?status=unverified")

    response = admin.form(
        f"/admin/people/{setting.participant.id}/verify",
        {"next": "/admin/people?status=unverified"},
    )

    assert response.status_code == 303
    assert response.headers["location"] == (
        f"/admin/people?status=unverified#person-{setting.participant.id}"
    )
    session.expire_all()
    assert setting.participant.affiliation_verified_at == clock.now()
    assert row_of(admin, setting.participant, "?status=unverified") == ""
    assert "Verified" in row_of(admin, setting.participant, "?status=verified")

    admin.form(f"/admin/people/{setting.participant.id}/revoke", {"next": "https://evil.example"})

    session.expire_all()
    assert setting.participant.affiliation_verified_at is None


def test_the_people_list_filters_by_group(admin: Browser, setting: Setting) -> None:
    assert "Taras" in row_of(admin, setting.waiting, "?group=academia")
    assert row_of(admin, setting.participant, "?group=academia") == ""
    # Unknown filter values are ignored rather than refused.
    assert "Olena" in row_of(admin, setting.participant, "?group=diplomats&status=maybe")
    for organisation in ("99999999999", "²", "1" * 5000, "-1"):
        assert admin.get(f"/admin/people?organisation={organisation}").status_code == 200


def test_an_unknown_person_is_not_found(admin: Browser, setting: Setting) -> None:
    for unknown in ("999999", "99999999999999999999"):
        assert admin.form(f"/admin/people/{unknown}/verify").status_code == 404


def test_organisations_show_their_members(admin: Browser, setting: Setting) -> None:
    html = page(admin.get("/admin/organisations"))

    organisation_id = setting.participant.organisation_id
    row = html.select_one(f"#organisation-{organisation_id}")
    assert row is not None and MINISTRY in row.get_text()
    assert text_of(html, f"#organisation-{organisation_id} td.num") == "2"
    members = page(admin.get(f"/admin/people?organisation={organisation_id}"))
    assert len(members.select("tbody tr")) == 2


def test_the_header_links_to_administration_for_admins(admin: Browser) -> None:
    assert page(admin.get("/")).select_one('.site-header a[href="/admin/people"]') is not None


def test_only_comments_posted_after_verification_carry_the_mark(
    admin: Browser, anonymous: Browser, setting: Setting, session: Session, clock: FixedClock
) -> None:
    key = setting.keys[0]
    before = comment_on(session, clock, setting.consultation, author=setting.participant)
    session.commit()

    admin.form(f"/admin/people/{setting.participant.id}/verify")
    session.expire_all()
    anonymous.sign_in(PARTICIPANT)
    response = anonymous.form(
        f"/consultations/end-users/p/{key}/comments",
        {"body": "Verified now.", "stance": "support", "attribution": "group"},
    )
    assert response.status_code == 303
    after_id = response.headers["location"].rsplit("#c-", 1)[1]

    html = page(anonymous.get(f"/consultations/end-users/p/{key}"))
    assert html.select_one(f"#c-{before.id} .verified") is None
    mark = html.select_one(f"#c-{after_id} .verified")
    assert mark is not None and "Verified" in mark.get_text()
    assert "verified by an administrator" in text_of(
        html, f"#c-{after_id} .verified .visually-hidden"
    )
