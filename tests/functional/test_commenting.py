"""Journey 1 (stakeholder), over HTTP: read a draft, comment on a paragraph, attribution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import User
from consultations.models import Comment, Consultation
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import StakeholderGroup
from tests.factories import comment_on, editor, make_user, open_consultation
from tests.functional.conftest import Browser, page, text_of


def comment_count(session: Session) -> int:
    return session.scalar(select(func.count(Comment.id))) or 0


@dataclass
class Setting:
    consultation: Consultation
    keys: list[str]
    participant: User


@pytest.fixture
def setting(session: Session, clock: FixedClock) -> Setting:
    consultation = open_consultation(session, clock, paragraphs=12, slug="end-users")
    service = ConsultationService(session, clock=clock)
    keys = [p.key for p in service.paragraphs(service.version(consultation))]
    participant = make_user(
        session,
        clock,
        name="Olena Kovalenko",
        organisation="Ministry of Digital Transformation",
        group=StakeholderGroup.GOVERNMENT,
    )
    session.commit()
    return Setting(consultation, keys, participant)


def test_draft_page_has_paragraph_anchors_and_margin_counts(
    browser: Browser, setting: Setting, session: Session, clock: FixedClock
) -> None:
    keys = setting.keys
    comment_on(session, clock, setting.consultation, author=setting.participant, ordinal=7)
    session.commit()

    html = page(browser.get("/consultations/end-users"))

    blocks = html.select("section.block")
    assert [b["id"] for b in blocks] == [f"p-{k}" for k in keys]
    seventh = html.select_one(f"#p-{keys[6]} .margin-count")
    assert seventh is not None and "1 comment" in seventh.get_text()
    assert "0 comments" in text_of(html, f"#p-{keys[0]} .margin-count")


def test_comment_without_javascript_redirects_back_to_the_paragraph(
    browser: Browser, setting: Setting, session: Session
) -> None:
    key = setting.keys[6]
    browser.sign_in(setting.participant.email)

    response = browser.form(
        f"/consultations/end-users/p/{key}/comments",
        {
            "body": "Lawful access must not weaken end-to-end encryption.",
            "stance": "oppose",
            "suggestion": "Encryption protects end users and must not be weakened.",
            "attribution": "group",
        },
    )

    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"/consultations/end-users/p/{key}?posted=")
    thread_page = page(browser.get(location.split("#")[0]))
    comment = thread_page.select_one(".comment")
    assert comment is not None
    assert "Lawful access must not weaken" in comment.get_text()
    assert text_of(comment, ".stance") == "Oppose"
    assert comment.select_one(".suggestion ins") is not None


def test_comment_with_htmx_returns_the_threads_fragment(browser: Browser, setting: Setting) -> None:
    key = setting.keys[6]
    browser.sign_in(setting.participant.email)

    response = browser.form(
        f"/consultations/end-users/p/{key}/comments",
        {
            "body": "Support, with care for small operators.",
            "stance": "support",
            "attribution": "named",
        },
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    fragment = page(response)
    assert fragment.select_one("html") is None, "an htmx request gets the fragment only"
    section = fragment.select_one(f"section#threads-{key}")
    assert section is not None
    assert "Support, with care for small operators." in section.get_text()
    assert "Olena Kovalenko" in text_of(section, ".author")


@pytest.mark.parametrize("fragment", [False, True])
def test_chatham_house_comment_never_shows_name_or_organisation(
    browser: Browser, anonymous: Browser, setting: Setting, fragment: bool
) -> None:
    key = setting.keys[6]
    browser.sign_in(setting.participant.email)
    browser.form(
        f"/consultations/end-users/p/{key}/comments",
        {"body": "Group-only view on encryption.", "stance": "oppose", "attribution": "group"},
    )
    headers = {"HX-Request": "true"} if fragment else {}

    for url in (f"/consultations/end-users/p/{key}", "/consultations/end-users"):
        text = anonymous.get(url, headers=headers).text
        assert "Olena Kovalenko" not in text
        assert "Ministry of Digital Transformation" not in text
    thread = page(anonymous.get(f"/consultations/end-users/p/{key}", headers=headers))
    assert text_of(thread, ".author") == "Government"


def test_editor_sees_the_author_of_a_group_only_comment(
    browser: Browser, setting: Setting, session: Session, clock: FixedClock
) -> None:
    comment_on(
        session,
        clock,
        setting.consultation,
        author=setting.participant,
        ordinal=2,
        attribution="group",
    )
    chief = editor(session, clock)
    session.commit()
    browser.sign_in(chief.email)

    html = page(browser.get(f"/consultations/end-users/p/{setting.keys[1]}"))

    assert "Olena Kovalenko" in text_of(html, ".moderation-only")


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"body": "", "stance": "oppose", "attribution": "named"}, 422, "The comment is empty."),
        ({"body": "x" * 10_001, "stance": "oppose", "attribution": "named"}, 422, "limited to"),
        ({"body": "Fine.", "stance": "furious", "attribution": "named"}, 422, "Choose a stance"),
        ({"body": "Fine.", "stance": "support", "attribution": "anonymous"}, 422, "anonymous"),
        ({"body": "Fine.", "stance": "support", "attribution": "nobody"}, 422, "attributed"),
    ],
)
def test_bad_comments_are_refused_with_a_message_and_nothing_written(
    browser: Browser,
    setting: Setting,
    session: Session,
    fields: dict[str, str],
    status: int,
    message: str,
) -> None:
    key = setting.keys[0]
    browser.sign_in(setting.participant.email)
    before = comment_count(session)

    response = browser.form(f"/consultations/end-users/p/{key}/comments", fields)

    assert response.status_code == status
    assert message in text_of(page(response), ".notice--error")
    assert comment_count(session) == before
    if fields["body"] and len(fields["body"]) < 100:
        kept = page(response).select_one(f"#body-{key}")
        assert kept is not None and kept.get_text() == fields["body"], "what was typed is kept"


def test_unknown_paragraph_is_404(browser: Browser, setting: Setting) -> None:
    browser.sign_in(setting.participant.email)
    response = browser.form(
        "/consultations/end-users/p/nosuchkey/comments",
        {"body": "Hello", "stance": "support", "attribution": "named"},
    )
    assert response.status_code == 404


def test_comment_after_the_deadline_is_refused(
    browser: Browser, setting: Setting, session: Session, clock: FixedClock
) -> None:
    key = setting.keys[0]
    browser.sign_in(setting.participant.email)
    clock.advance(timedelta(days=31))
    before = comment_count(session)

    response = browser.form(
        f"/consultations/end-users/p/{key}/comments",
        {"body": "Too late?", "stance": "support", "attribution": "named"},
    )

    assert response.status_code == 409
    assert "not open for comments" in response.text
    assert comment_count(session) == before
    draft = page(browser.get("/consultations/end-users"))
    assert text_of(draft, ".badge") == "Closed"


def test_anonymous_visitors_cannot_comment(
    anonymous: Browser, setting: Setting, session: Session
) -> None:
    key = setting.keys[0]
    before = comment_count(session)
    response = anonymous.form(
        f"/consultations/end-users/p/{key}/comments",
        {"body": "Drive-by", "stance": "support", "attribution": "named"},
    )
    assert response.status_code == 401
    assert comment_count(session) == before
    assert "Sign in to comment" in anonymous.get(f"/consultations/end-users/p/{key}").text


def test_forms_without_the_csrf_token_are_refused(
    browser: Browser, setting: Setting, session: Session
) -> None:
    key = setting.keys[0]
    browser.sign_in(setting.participant.email)
    before = comment_count(session)

    response = browser.post(
        f"/consultations/end-users/p/{key}/comments",
        data={"body": "Forged", "stance": "support", "attribution": "named", "csrftoken": "forged"},
    )

    assert response.status_code == 403
    assert comment_count(session) == before


def test_reply_is_threaded_under_its_comment(
    browser: Browser, setting: Setting, session: Session, clock: FixedClock
) -> None:
    first = comment_on(session, clock, setting.consultation, author=setting.participant, ordinal=3)
    chief = editor(session, clock, name="Editor Ivanna")
    session.commit()
    browser.sign_in(chief.email)

    browser.form(
        f"/consultations/end-users/p/{setting.keys[2]}/comments",
        {
            "body": "Thank you, we will reflect this.",
            "attribution": "named",
            "parent_id": str(first.id),
        },
    )

    thread = page(browser.get(f"/consultations/end-users/p/{setting.keys[2]}")).select_one(
        f"#t-{first.thread_id}"
    )
    assert thread is not None
    replies = thread.select(".comment--reply")
    assert len(replies) == 1 and "Editor Ivanna" in replies[0].get_text()
