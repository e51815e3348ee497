"""The spec's three journeys end to end over HTTP, as people see them (no JavaScript;
the htmx path is covered in tests/browser)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session
from starlette.applications import Starlette

from app.urls import app_paths
from briefs.dispositions import Decision
from briefs.services import BriefService
from briefs.synthesis import SynthesisService
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import ConsultationStatus, StakeholderGroup
from tests.factories import comment_on, editor, make_user, open_consultation
from tests.functional.conftest import Browser, page, text_of

POSITION = """# Lawful access and encryption

Encryption protects the people who use the Internet.

Lawful access proposals that weaken end-to-end encryption put every user at risk.

Any exceptional access mechanism is a vulnerability that others will find.
"""


def drain(app: Starlette) -> None:
    """What the background worker does every half second: apply the outbox."""
    app.state.worker.run_once()


def test_stakeholder_sees_the_disposition_and_where_the_comment_landed(
    app: Starlette, browser: Browser, anonymous: Browser, session: Session, clock: FixedClock
) -> None:
    chief = editor(session, clock, email="chief@example.org")
    diplomat = make_user(
        session,
        clock,
        name="Taras Melnyk",
        organisation="MFA of Ukraine",
        group=StakeholderGroup.GOVERNMENT,
        email="taras@example.org",
    )
    open_consultation(session, clock, markdown=POSITION, slug="lawful-access", by=chief)
    session.commit()
    key = text_key(browser, "lawful-access", 3)

    browser.sign_in(diplomat.email)
    posted = browser.form(
        f"/consultations/lawful-access/p/{key}/comments",
        {
            "body": "Governments need a lawful access path for serious crime.",
            "stance": "oppose",
            "suggestion": "Lawful access proposals must be weighed against the risks to users.",
            "attribution": "group",
        },
    )
    assert posted.status_code == 303
    thread_id = _thread_of(browser, key)

    browser.cookies.clear()
    browser.sign_in(chief.email)
    assert (
        browser.form("/consultations/lawful-access/status", {"status": "closed"}).status_code == 303
    )
    decided = browser.form(
        f"/consultations/lawful-access/threads/{thread_id}/disposition",
        {"disposition": "partially_accepted", "rationale": "We now weigh both sides."},
    )
    assert decided.status_code == 303
    created = browser.form(
        "/briefs",
        {
            "slug": "lawful-access-brief",
            "title": "Lawful access and encryption",
            "language": "en",
            "topics": "encryption",
            "consultation": "lawful-access",
            "body_markdown": f"Lawful access must not weaken encryption [[thread:{thread_id}]].",
        },
    )
    assert created.status_code == 303, created.text
    assert browser.form("/briefs/lawful-access-brief/publish").status_code == 303

    thread = page(anonymous.get(f"/consultations/lawful-access/p/{key}")).select_one(
        f"#t-{thread_id}"
    )
    assert thread is not None
    assert "Partially accepted" in text_of(thread, ".disposition")
    assert "We now weigh both sides." in thread.get_text()
    cited = thread.select_one(".cited-in a")
    assert cited is not None and cited["href"] == "/briefs/lawful-access-brief/v/1#para-1"
    brief = anonymous.get("/briefs/lawful-access-brief/v/1").text
    assert "Taras Melnyk" not in brief and "MFA of Ukraine" not in brief


def text_key(browser: Browser, slug: str, ordinal: int) -> str:
    blocks = page(browser.get(f"/consultations/{slug}")).select("section.block")
    return str(blocks[ordinal - 1]["id"]).removeprefix("p-")


def _thread_of(browser: Browser, key: str) -> int:
    thread = page(browser.get(f"/consultations/lawful-access/p/{key}")).select_one("article.thread")
    assert thread is not None
    return int(str(thread["id"]).removeprefix("t-"))


def test_diplomat_searches_opens_downloads_cites_and_subscribes(
    app: Starlette, browser: Browser, anonymous: Browser, session: Session, clock: FixedClock
) -> None:
    chief = editor(session, clock)
    consultation = open_consultation(
        session, clock, markdown=POSITION, slug="lawful-access", by=chief
    )
    official = make_user(session, clock, group=StakeholderGroup.GOVERNMENT)
    comment = comment_on(session, clock, consultation, author=official, ordinal=3, stance="oppose")
    engineer = make_user(session, clock, group=StakeholderGroup.TECHNICAL_COMMUNITY)
    comment_on(session, clock, consultation, author=engineer, ordinal=4, stance="support")
    ConsultationService(session, clock=clock).set_status(
        consultation, ConsultationStatus.CLOSED, editor=chief
    )
    SynthesisService(session, clock=clock).decide(
        comment.thread_id, editor=chief, decision=Decision.of("noted", "Recorded.")
    )
    briefs = BriefService(session, clock=clock)
    briefs.create(
        chief,
        "encryption-brief",
        "Encryption and lawful access",
        "en",
        ["encryption"],
        f"Lawful access that weakens encryption harms users [[thread:{comment.thread_id}]].",
        consultation_slug="lawful-access",
    )
    briefs.publish("encryption-brief", chief, app_paths())
    clock.advance(timedelta(hours=1))
    session.commit()
    drain(app)

    year = clock.now().year
    results = page(
        anonymous.get(
            "/search",
            params={
                "q": "lawful access",
                "type": "brief",
                "topic": "encryption",
                "group": "government",
                "from": str(year),
                "to": str(year),
            },
        )
    )
    groups = " ".join(a.get_text(" ", strip=True) for a in results.select(".facet--group a"))
    assert "Government" in groups and "Technical community" in groups, "a brief weighs both"
    hits = results.select(".search-hit")
    assert len(hits) == 1
    link = hits[0].select_one("a")
    assert link is not None and link["href"] == "/briefs/encryption-brief"
    assert [m.get_text().lower() for m in hits[0].select("mark")][:2] == ["lawful", "access"]

    paragraphs = page(
        anonymous.get("/search", params={"q": "exceptional access", "type": "paragraph"})
    )
    href = str(paragraphs.select_one(".search-hit a")["href"])  # type: ignore[index]
    path, anchor = href.split("#")
    assert page(anonymous.get(path)).select_one(f"#{anchor}") is not None

    brief = page(anonymous.get("/briefs/encryption-brief"))
    assert "/briefs/encryption-brief/v/1" in text_of(brief, "#citation")
    pdf = anonymous.get("/briefs/encryption-brief.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    feed = anonymous.get("/feeds/topics/encryption.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert "Encryption and lawful access" in feed.text
