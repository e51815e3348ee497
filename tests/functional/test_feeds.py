"""Journey 3, subscribing: Atom feeds of briefs, consultations and a topic, over HTTP."""

from __future__ import annotations

import httpx
import pytest
from bs4 import BeautifulSoup
from sqlalchemy.orm import Session

from app.urls import app_paths
from briefs.services import BriefService
from consultations.services import ConsultationService
from core.clock import FixedClock
from tests.functional.conftest import Browser
from tests.unit.briefs.conftest import (
    SECRET_NAME,
    SECRET_ORGANISATION,
    Consulted,
    build_consulted,
)


def atom(response: httpx.Response) -> BeautifulSoup:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    return BeautifulSoup(response.content, "xml")


def entry_ids(feed: BeautifulSoup) -> list[str]:
    return [element.get_text() for element in feed.select("entry > id")]


@pytest.fixture
def consulted(session: Session, clock: FixedClock) -> Consulted:
    """An open consultation on encryption, a draft one, and a published brief citing a
    Chatham House comment."""
    consulted = build_consulted(session, clock)
    ConsultationService(session, clock=clock).create(
        editor=consulted.editor,
        slug="unpublished-draft",
        title="Not yet public",
        markdown="Text.",
        topics=["encryption"],
    )
    briefs = BriefService(session, clock=clock)
    briefs.create(
        consulted.editor,
        "findings",
        "Findings on lawful access",
        "en",
        ["encryption"],
        f"Groups disagreed [[thread:{consulted.chatham.thread_id}]].",
        "lawful-access",
    )
    briefs.publish("findings", consulted.editor, app_paths())
    session.commit()
    return consulted


def test_briefs_feed(anonymous: Browser, consulted: Consulted) -> None:
    feed = atom(anonymous.get("/feeds/briefs.atom"))

    assert entry_ids(feed) == ["http://testserver/briefs/findings/v/1"]
    assert [t.get_text() for t in feed.select("entry > title")] == ["Findings on lawful access"]
    link = feed.select_one("entry > link")
    assert link is not None and link["href"] == "http://testserver/briefs/findings/v/1"


def test_consultations_feed_lists_only_public_consultations(
    anonymous: Browser, consulted: Consulted
) -> None:
    feed = atom(anonymous.get("/feeds/consultations.atom"))
    assert entry_ids(feed) == ["http://testserver/consultations/lawful-access"]


def test_topic_feed_has_briefs_and_consultations(anonymous: Browser, consulted: Consulted) -> None:
    feed = atom(anonymous.get("/feeds/topics/encryption.atom"))

    assert set(entry_ids(feed)) == {
        "http://testserver/briefs/findings/v/1",
        "http://testserver/consultations/lawful-access",
    }
    self_link = feed.select_one("feed > link[rel=self]")
    assert self_link is not None
    assert self_link["href"] == "http://testserver/feeds/topics/encryption.atom"


def test_unknown_topic_feed_is_404(anonymous: Browser, consulted: Consulted) -> None:
    assert anonymous.get("/feeds/topics/no-such-topic.atom").status_code == 404


def test_brief_page_advertises_its_topic_feed(anonymous: Browser, consulted: Consulted) -> None:
    html = BeautifulSoup(anonymous.get("/briefs/findings").text, "html.parser")
    feeds = html.select("link[rel=alternate][type='application/atom+xml']")
    assert "/feeds/topics/encryption.atom" in [link["href"] for link in feeds]


def test_feeds_never_name_commenters(anonymous: Browser, consulted: Consulted) -> None:
    for url in ("/feeds/briefs.atom", "/feeds/consultations.atom", "/feeds/topics/encryption.atom"):
        text = anonymous.get(url).text
        assert SECRET_NAME not in text
        assert SECRET_ORGANISATION not in text
