"""Campaigns over HTTP: variants of one letter posted through the API on several paragraphs,
grouped by the outbox worker, shown to readers once ("and N similar comments", folded, every
word still readable), to the editor as one card decided at once, and listed by the API."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.applications import Starlette

from accounts.services import AccountService
from consultations.models import Thread
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import Disposition
from tests.corpora import campaign_variant, centralization_prose
from tests.factories import PASSWORD, editor, make_user, open_consultation
from tests.functional.conftest import Browser, page

HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(2)> {{7*7}} hx-get="/admin"'


@dataclass
class Campaign:
    slug: str
    keys: list[str]
    comment_ids: list[int]
    thread_ids: list[int]
    bodies: list[str]
    unrelated: int


@pytest.fixture
def campaign(session: Session, clock: FixedClock, app: Starlette, browser: Browser) -> Campaign:
    chief = editor(session, clock, email="chief@example.org")
    consultation = open_consultation(session, clock, slug="letters", paragraphs=4, by=chief)
    service = ConsultationService(session, clock=clock)
    keys = [p.key for p in service.paragraphs(service.version(consultation))]
    tokens = []
    for index in range(6):
        user = make_user(session, clock, email=f"campaigner{index}@example.org")
        tokens.append(AccountService(session, clock=clock).create_token(user, "write"))
    session.commit()
    rng = random.Random(5)
    letter = f"{HOSTILE} {centralization_prose(2)[1]}"
    # Five letters: three on the first paragraph, two on the second; one unrelated comment.
    plan = [(0, letter), (0, None), (1, None), (0, None), (1, None), (0, "Who pays for this?")]
    ids, threads, bodies = [], [], []
    for token, (paragraph, body) in zip(tokens, plan, strict=True):
        text = body or campaign_variant(letter, rng, 3)
        answer = browser.post(
            f"/api/v1/consultations/letters/paragraphs/{keys[paragraph]}/comments",
            json={"body": text, "stance": "support", "attribution": "group"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
        threads.append(answer.json()["thread_id"])
        bodies.append(text)
    app.state.worker.run_once()
    return Campaign("letters", keys, ids[:5], threads[:5], bodies[:5], ids[5])


def test_readers_see_a_campaign_once_and_can_read_every_letter(
    anonymous: Browser, campaign: Campaign
) -> None:
    html = page(anonymous.get(f"/consultations/letters/p/{campaign.keys[0]}"))

    top = [a["id"] for a in html.select("section.threads > article.thread")]
    assert f"t-{campaign.thread_ids[0]}" in top
    assert f"t-{campaign.thread_ids[1]}" not in top, "folded into the campaign"
    fold = html.select_one(f"details.campaign#campaign-{campaign.thread_ids[0]}")
    assert fold is not None
    summary = fold.select_one("summary")
    assert summary is not None and summary.get_text(strip=True) == "and 4 similar comments"
    folded = [a["id"] for a in fold.select("article.thread")]
    assert folded == [f"t-{campaign.thread_ids[1]}", f"t-{campaign.thread_ids[3]}"]
    links = [a["href"] for a in fold.select(".similar-elsewhere a")]
    assert links == [
        f"/consultations/letters/p/{campaign.keys[1]}#t-{t}"
        for t in (campaign.thread_ids[2], campaign.thread_ids[4])
    ]
    words = fold.get_text(" ")
    assert all(" ".join(campaign.bodies[i].split()[-6:]) in " ".join(words.split()) for i in (1, 3))
    # Hostile words stay words: no script, image or htmx attribute comes from them.
    assert not any("alert" in script.get_text() for script in html.select("script"))
    assert html.select("img[onerror]") == []
    assert html.select(".comment [hx-get]") == []
    assert HOSTILE.split(" {{")[0] in html.select_one(".comment").get_text()  # type: ignore[union-attr]

    # On the other paragraph: its own earliest letter leads, the first paragraph's are linked.
    other = page(anonymous.get(f"/consultations/letters/p/{campaign.keys[1]}"))
    fold = other.select_one(f"details.campaign#campaign-{campaign.thread_ids[2]}")
    assert fold is not None
    assert fold.select_one("summary").get_text(strip=True) == "and 4 similar comments"  # type: ignore[union-attr]


def test_the_count_speaks_ukrainian_plurals(anonymous: Browser, campaign: Campaign) -> None:
    html = page(
        anonymous.get(
            f"/consultations/letters/p/{campaign.keys[0]}", headers={"Accept-Language": "uk"}
        )
    )
    summary = html.select_one("details.campaign summary")
    assert summary is not None
    assert summary.get_text(strip=True) == "і ще 4 схожі коментарі"


def test_the_editor_decides_a_campaign_as_one_card(
    browser: Browser, campaign: Campaign, session: Session
) -> None:
    browser.sign_in("chief@example.org", PASSWORD)
    html = page(browser.get("/consultations/letters/synthesis"))
    cards = html.select("article.synthesis-card")
    assert len(cards) == 2, "the campaign, and the unrelated comment"
    card = html.select_one(f"#card-{campaign.thread_ids[0]}")
    assert card is not None
    badge = card.select_one(".badge.duplicates")
    assert badge is not None and badge.get_text(strip=True) == "5 similar comments"
    assert len(card.select("details.duplicates blockquote.similar-words")) == 4
    assert card.select("img[onerror]") == []

    form = card.select_one("form.disposition-form")
    assert form is not None
    csrf = form.select_one("input[name=csrftoken]")
    assert csrf is not None
    answer = browser.form(
        str(form["action"]),
        {"csrftoken": str(csrf["value"]), "disposition": "noted", "rationale": ""},
    )
    assert answer.status_code in (200, 303)
    decided = session.scalars(select(Thread).where(Thread.id.in_(campaign.thread_ids))).all()
    for thread in decided:
        session.refresh(thread)
    assert {t.disposition for t in decided} == {Disposition.NOTED}


def test_the_api_lists_campaigns_with_the_earliest_words_only(
    anonymous: Browser, campaign: Campaign
) -> None:
    answer = anonymous.get("/api/v1/consultations/letters/campaigns")
    assert answer.status_code == 200
    assert answer.json() == {
        "items": [{"size": 5, "comment_ids": campaign.comment_ids, "example": campaign.bodies[0]}]
    }
    assert HOSTILE in answer.json()["items"][0]["example"], "JSON carries the words as they are"
    assert answer.headers["content-type"].startswith("application/json")
    assert anonymous.get("/api/v1/consultations/nowhere/campaigns").status_code == 404
