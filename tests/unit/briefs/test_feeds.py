"""Atom feeds: valid Atom, one entry per published version, nothing about commenters."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup
from sqlalchemy.orm import Session

from app.urls import app_paths, app_urls
from briefs.feeds import briefs_feed, consultations_feed, topic_feed
from briefs.services import BriefService
from consultations.models import Topic
from core.clock import FixedClock
from core.enums import Phase
from tests.unit.briefs.conftest import SECRET_NAME, SECRET_ORGANISATION, Consulted

BASE = "https://rt.example"
ATOM = "http://www.w3.org/2005/Atom"
URLS = app_urls(BASE)


def atom(feed: bytes) -> BeautifulSoup:
    """The feed, which must be well-formed XML whose root is an Atom `<feed>` (checked by its
    namespace with the standard library, which no parser's attribute model can change), parsed
    for CSS selection."""
    root = ElementTree.fromstring(feed)  # noqa: S314 - our own feed, not untrusted XML
    assert root.tag == f"{{{ATOM}}}feed", "the root must be an Atom <feed>"
    return BeautifulSoup(feed, "xml")


def texts(document: BeautifulSoup, selector: str) -> list[str]:
    return [element.get_text() for element in document.select(selector)]


@pytest.fixture
def briefs(session: Session, clock: FixedClock, consulted: Consulted) -> BriefService:
    service = BriefService(session, clock=clock)
    cited = consulted.chatham.thread_id
    service.create(
        consulted.editor,
        "findings",
        "Findings",
        "en",
        ["encryption"],
        f"Keys stay with users [[thread:{cited}]].",
        consulted.consultation.slug,
    )
    service.publish("findings", consulted.editor, app_paths())
    service.revise("findings", consulted.editor)
    service.update_draft("findings", consulted.editor, "Findings", "Corrected text.", "Fix")
    service.publish("findings", consulted.editor, app_paths())
    return service


def test_briefs_feed_has_an_entry_per_published_version(briefs: BriefService) -> None:
    feed = atom(briefs_feed(briefs.recent_versions(), URLS))

    assert texts(feed, "entry > id") == [
        f"{BASE}/briefs/findings/v/2",
        f"{BASE}/briefs/findings/v/1",
    ]
    assert texts(feed, "entry > title") == ["Findings (v2)", "Findings"]
    assert [c["term"] for c in feed.select("entry > category")] == ["encryption", "encryption"]
    assert f'href="{BASE}/consultations/lawful-access/p/' in texts(feed, "entry > content")[1]
    self_link = feed.select_one("feed > link[rel=self]")
    assert self_link is not None and self_link["href"] == f"{BASE}/feeds/briefs.atom"
    assert texts(feed, "feed > author > name") == ["Roundtable"]


def test_feeds_never_name_commenters(briefs: BriefService, consulted: Consulted) -> None:
    topic = consulted.consultation.topics[0]
    feeds = [
        briefs_feed(briefs.recent_versions(), URLS),
        consultations_feed([(consulted.consultation, Phase.OPEN)], URLS),
        topic_feed(topic, briefs.recent_versions(), [(consulted.consultation, Phase.OPEN)], URLS),
    ]
    for feed in feeds:
        text = feed.decode()
        assert SECRET_NAME not in text and SECRET_ORGANISATION not in text
        assert "Taras Named" not in text  # not even a named commenter: feeds have no comments


def test_topic_feed_mixes_briefs_and_consultations(
    briefs: BriefService, consulted: Consulted
) -> None:
    topic: Topic = consulted.consultation.topics[0]
    versions = briefs.recent_versions(topic="encryption")
    feed = atom(topic_feed(topic, versions, [(consulted.consultation, Phase.OPEN)], URLS))

    assert set(texts(feed, "entry > id")) == {
        f"{BASE}/briefs/findings/v/2",
        f"{BASE}/briefs/findings/v/1",
        f"{BASE}/consultations/lawful-access",
    }
    assert texts(feed, "feed > title") == [f"Roundtable: {topic.name}"]


def test_empty_feed_is_valid_and_stable() -> None:
    first = briefs_feed([], URLS)
    assert atom(first).select("entry") == []
    assert first == briefs_feed([], URLS)
