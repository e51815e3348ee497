"""The account page over HTTP: profile, personal API tokens, the data download and deleting
the account (after which comments remain, attributed to the stakeholder group only)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import ApiToken, User
from consultations.models import Comment, Consultation
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import Attribution, StakeholderGroup
from tests.factories import comment_on, make_user, open_consultation
from tests.functional.conftest import Browser, page, text_of

NAME, ORGANISATION = "Olena Kovalenko", "Ministry of Digital Transformation"
EMAIL = "olena@example.org"
API = "/api/v1"
GOOD_COMMENT = {
    "body": "Encryption protects end users.",
    "stance": "oppose",
    "attribution": "group",
}


@dataclass
class Setting:
    consultation: Consultation
    keys: list[str]
    participant: User
    participant_id: int


@pytest.fixture
def setting(session: Session, clock: FixedClock) -> Setting:
    consultation = open_consultation(session, clock, paragraphs=6, slug="end-users")
    service = ConsultationService(session, clock=clock)
    keys = [p.key for p in service.paragraphs(service.version(consultation))]
    participant = make_user(
        session,
        clock,
        name=NAME,
        organisation=ORGANISATION,
        group=StakeholderGroup.GOVERNMENT,
        email=EMAIL,
    )
    session.commit()
    return Setting(consultation, keys, participant, participant.id)


@pytest.fixture
def signed_in(browser: Browser, setting: Setting) -> Browser:
    browser.sign_in(EMAIL)
    return browser


def refreshed(session: Session, user_id: int) -> User | None:
    """The user as the database has them now (None once deleted)."""
    session.expunge_all()
    return session.get(User, user_id)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def create_token(browser: Browser, scope: str, name: str = "Script") -> str:
    response = browser.form("/account/tokens", {"name": name, "scope": scope})
    assert response.status_code == 200, response.text
    field = page(response).select_one("input#new-token")
    assert field is not None
    return str(field["value"])


# -- the page --------------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in(anonymous: Browser, setting: Setting) -> None:
    for url in ("/account", "/account/data.json"):
        response = anonymous.get(url)
        assert response.status_code == 303
        assert response.headers["location"] == f"/signin?next={url}"
    assert anonymous.form("/account/profile", {"name": "x"}).status_code == 401
    assert anonymous.form("/account/delete", {"email": EMAIL}).status_code == 401


def test_the_page_shows_the_profile_with_countries_in_the_interface_language(
    signed_in: Browser,
) -> None:
    html = page(signed_in.get("/account"))

    assert html.select_one("#profile-name")["value"] == NAME  # type: ignore[index]
    selected = html.select_one("#profile-group option[selected]")
    assert selected is not None and selected["value"] == "government"
    assert text_of(html, "#profile-country option[selected]") == "Ukraine"
    assert len(html.select("#profile-country option")) == 250  # 249 countries and "not stated"
    assert "Not verified" in text_of(html, ".affiliation")
    for form in html.select("main form"):
        assert form.select_one('input[type=hidden][name="csrftoken"]') is not None
    for control in html.select("main input:not([type=hidden]):not([type=radio]), main select"):
        assert html.select_one(f'label[for="{control["id"]}"]') is not None, control
    assert not html.select("[style]") and not html.select("script:not([src])")

    signed_in.cookies.set("lang", "uk")
    ukrainian = page(signed_in.get("/account"))
    assert text_of(ukrainian, "#profile-country option[selected]") == "Україна"
    assert text_of(ukrainian, "h1") == "Ваш обліковий запис"


def test_the_header_links_to_the_account_page(signed_in: Browser) -> None:
    html = page(signed_in.get("/"))
    assert html.select_one('.site-header a[href="/account"]') is not None
    assert html.select_one('.site-header a[href="/admin/people"]') is None


# -- the profile -----------------------------------------------------------------------------


def test_the_profile_is_saved(signed_in: Browser, setting: Setting, session: Session) -> None:
    response = signed_in.form(
        "/account/profile",
        {
            "name": "Olena K.",
            "stakeholder_group": "academia",
            "organisation": "Kyiv Polytechnic",
            "country": "PL",
        },
    )

    assert response.status_code == 303
    html = page(signed_in.get(response.headers["location"]))
    assert "Your profile was saved." in text_of(html, "#profile [role=status]")
    user = refreshed(session, setting.participant_id)
    assert user is not None
    assert (user.name, user.stakeholder_group) == ("Olena K.", StakeholderGroup.ACADEMIA)
    assert (user.organisation, user.country) == ("Kyiv Polytechnic", "PL")
    assert user.organisation_id is not None


def test_a_bad_country_is_refused_and_nothing_is_saved(
    signed_in: Browser, setting: Setting, session: Session
) -> None:
    typed = {
        "name": "Changed",
        "stakeholder_group": "academia",
        "organisation": "X",
        "country": "ZZ",
    }

    response = signed_in.form("/account/profile", typed)

    assert response.status_code == 422
    html = page(response)
    assert "Choose a country from the list." in text_of(html, "#profile [role=alert]")
    assert text_of(html, "#country-problem") == "Choose a country from the list."
    assert html.select_one("#profile-country")["aria-describedby"] == "country-problem"  # type: ignore[index]
    assert html.select_one("#profile-name")["value"] == "Changed"  # type: ignore[index]
    user = refreshed(session, setting.participant_id)
    assert user is not None
    assert (user.name, user.stakeholder_group, user.country) == (
        NAME,
        StakeholderGroup.GOVERNMENT,
        "UA",
    )
    assert user.organisation == ORGANISATION and user.organisation_id is None


def test_changing_the_group_clears_the_verification(
    signed_in: Browser, setting: Setting, session: Session, clock: FixedClock
) -> None:
    setting.participant.affiliation_verified_at = clock.now()
    session.commit()
    assert "Verified" in text_of(page(signed_in.get("/account")), ".affiliation")

    signed_in.form(
        "/account/profile",
        {"name": NAME, "stakeholder_group": "academia", "organisation": ORGANISATION},
    )

    user = refreshed(session, setting.participant_id)
    assert user is not None and user.affiliation_verified_at is None
    assert "Not verified" in text_of(page(signed_in.get("/account")), ".affiliation")


# -- API tokens ------------------------------------------------------------------------------


def test_a_write_token_posts_comments_through_the_api(
    signed_in: Browser, anonymous: Browser, setting: Setting, session: Session
) -> None:
    secret = create_token(signed_in, "write")

    url = f"{API}/consultations/end-users/paragraphs/{setting.keys[2]}/comments"
    response = anonymous.post(url, json=GOOD_COMMENT, headers=bearer(secret))

    assert response.status_code == 201, response.text
    session.expire_all()
    comment = session.get(Comment, response.json()["id"])
    assert comment is not None and comment.author_id == setting.participant.id


def test_a_read_token_may_not_write(
    signed_in: Browser, anonymous: Browser, setting: Setting
) -> None:
    secret = create_token(signed_in, "read")

    url = f"{API}/consultations/end-users/paragraphs/{setting.keys[2]}/comments"
    response = anonymous.post(url, json=GOOD_COMMENT, headers=bearer(secret))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"


def test_a_revoked_token_is_refused(
    signed_in: Browser, anonymous: Browser, setting: Setting, session: Session
) -> None:
    secret = create_token(signed_in, "write")
    [token] = session.scalars(select(ApiToken)).all()

    response = signed_in.form(f"/account/tokens/{token.id}/revoke")

    assert response.status_code == 303
    url = f"{API}/consultations/end-users/paragraphs/{setting.keys[2]}/comments"
    assert anonymous.post(url, json=GOOD_COMMENT, headers=bearer(secret)).status_code == 401
    row = page(signed_in.get("/account")).select_one(f"#token-{token.id}")
    assert row is not None and "Revoked" in row.get_text() and row.select_one("form") is None


def test_someone_elses_token_cannot_be_revoked(
    signed_in: Browser, anonymous: Browser, setting: Setting, session: Session, clock: FixedClock
) -> None:
    make_user(session, clock, email="taras@example.org")
    session.commit()
    anonymous.sign_in("taras@example.org")
    create_token(anonymous, "write")
    [theirs] = session.scalars(select(ApiToken)).all()

    assert signed_in.form(f"/account/tokens/{theirs.id}/revoke").status_code == 404
    for unknown in ("999999", "0", "99999999999999999999"):
        assert signed_in.form(f"/account/tokens/{unknown}/revoke").status_code == 404
    session.expire_all()
    assert session.get(ApiToken, theirs.id).revoked_at is None  # type: ignore[union-attr]


def test_the_secret_is_shown_once_and_only_its_hash_is_stored(
    signed_in: Browser, session: Session
) -> None:
    response = signed_in.form("/account/tokens", {"name": "Monitoring", "scope": "read"})
    secret = str(page(response).select_one("input#new-token")["value"])  # type: ignore[index]

    assert "no-store" in response.headers["cache-control"]
    assert "Copy your new token now" in response.text
    later = signed_in.get("/account")
    assert secret not in later.text and page(later).select_one("input#new-token") is None
    assert "Monitoring" in text_of(page(later), "#tokens table")
    [token] = session.scalars(select(ApiToken)).all()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (token.name, token.prefix, token.token_hash)


def test_a_token_needs_a_name_and_a_known_scope(signed_in: Browser, session: Session) -> None:
    response = signed_in.form("/account/tokens", {"name": "", "scope": "everything"})

    assert response.status_code == 422
    assert "The token could not be created." in text_of(page(response), "#tokens [role=alert]")
    assert session.scalars(select(ApiToken)).all() == []


# -- privacy ---------------------------------------------------------------------------------


def test_the_data_download_has_their_comments_and_no_secrets(
    signed_in: Browser, setting: Setting, session: Session, clock: FixedClock
) -> None:
    comment = comment_on(session, clock, setting.consultation, author=setting.participant)
    session.commit()
    create_token(signed_in, "write")

    response = signed_in.get("/account/data.json")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"].startswith("attachment")
    data = json.loads(response.text)
    assert [c["id"] for c in data["comments"]] == [comment.id]
    assert data["comments"][0]["consultation"]["slug"] == "end-users"
    assert data["profile"]["email"] == EMAIL
    [token] = session.scalars(select(ApiToken)).all()
    user = refreshed(session, setting.participant_id)
    assert user is not None and user.password_hash
    assert token.token_hash not in response.text and user.password_hash not in response.text


def test_deleting_needs_the_email_address_typed(
    signed_in: Browser, setting: Setting, session: Session
) -> None:
    response = signed_in.form("/account/delete", {"email": "someone@example.org"})

    assert response.status_code == 422
    assert "Type the email address" in text_of(page(response), "#delete-account [role=alert]")
    assert refreshed(session, setting.participant_id) is not None


def test_deleting_keeps_comments_attributed_to_the_group_only(
    signed_in: Browser, anonymous: Browser, setting: Setting, session: Session, clock: FixedClock
) -> None:
    key = setting.keys[1]
    for attribution in ("named", "organisation"):
        comment_on(
            session,
            clock,
            setting.consultation,
            author=setting.participant,
            ordinal=2,
            attribution=attribution,
        )
    session.commit()
    session.expunge_all()

    response = signed_in.form("/account/delete", {"email": EMAIL.upper()})

    assert response.status_code == 200
    assert text_of(page(response), "h1") == "Your account has been deleted"
    assert refreshed(session, setting.participant_id) is None
    assert signed_in.get("/account").status_code == 303  # the session has ended
    comments = session.scalars(select(Comment)).all()
    assert len(comments) == 2
    assert {c.attribution for c in comments} == {Attribution.GROUP}
    threads = anonymous.get(f"{API}/consultations/end-users/threads")
    html = anonymous.get(f"/consultations/end-users/p/{key}")
    labels = [text_of(page(html), f"#c-{c.id} .author") for c in comments]
    assert labels == ["Government", "Government"]
    api_labels = [c["author_label"] for t in threads.json()["items"] for c in t["comments"]]
    assert api_labels == ["Government", "Government"]
    for text in (threads.text, html.text):
        for secret in (NAME, ORGANISATION, "Kovalenko", EMAIL):
            assert secret not in text
