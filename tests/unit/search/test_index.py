"""The search index, fed by the real services through the outbox, on both databases."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from whoosh import index as whoosh_index
from whoosh.query import Term

from app.urls import app_paths
from briefs.services import BriefService
from consultations.services import ConsultationService
from core.clock import FixedClock
from core.enums import ConsultationStatus
from core.outbox import SEARCH, OutboxEvent, emit
from search.documents import make_schema
from search.index import IDLE_MERGE_ABOVE, Mark, SearchIndex
from search.queries import NOTE_NOT_READY, SearchQuery, SearchResults, parse_text
from tests.factories import comment_on
from tests.unit.search.builders import (
    DRAFT_ONLY_WORD,
    SECRET_NAME,
    SECRET_ORGANISATION,
    UKRAINIAN_COMMENT,
    Archive,
    build_archive,
    find,
    person,
)


def urls(results: SearchResults) -> list[str]:
    return [hit.url for hit in results.hits]


def stored(index: SearchIndex) -> list[dict[str, Any]]:
    with index.searcher() as searcher:
        return sorted((dict(doc) for doc in searcher.documents()), key=lambda d: d["id"])


# -- what is indexed -----------------------------------------------------------------------


def test_every_public_paragraph_comment_and_brief_is_indexed(
    index: SearchIndex, archive: Archive
) -> None:
    types = [doc["type"] for doc in stored(index)]
    assert types.count("paragraph") == 4 + 3 + 4  # the three public consultations
    assert types.count("comment") == 4
    assert types.count("brief") == 1


def test_drafts_are_never_indexed(index: SearchIndex) -> None:
    assert find(index, DRAFT_ONLY_WORD).total == 0
    assert not any("not-yet" in doc["params"]["slug"] for doc in stored(index))


def test_paragraph_hits_link_to_their_permalink(index: SearchIndex, archive: Archive) -> None:
    results = find(index, "transparency reports", type="paragraph")
    assert results.total == 1
    hit = results.hits[0]
    assert hit.url.startswith("/consultations/lawful-access#p-")
    assert hit.title == archive.lawful.title and hit.topics == ("encryption",)
    assert hit.language == "en" and hit.date is not None and hit.date.tzinfo is not None


# -- relevance, the query language, morphology ---------------------------------------------


def test_a_title_match_ranks_above_a_single_mention(index: SearchIndex) -> None:
    results = find(index, "lawful access", type="paragraph")
    assert results.total >= 5
    assert results.hits[0].url.startswith("/consultations/lawful-access")
    assert urls(results)[-1].startswith("/consultations/end-users")


def test_phrases_match_words_in_order_only(index: SearchIndex) -> None:
    assert find(index, '"exceptional access mechanism"', type="paragraph").total == 1
    assert find(index, '"mechanism exceptional access"').total == 0


def test_prefix_finds_every_word_that_starts_so(index: SearchIndex) -> None:
    texts = {hit.snippet for hit in find(index, "encrypt*", type="paragraph").hits}
    assert any("<mark" in text and "Encrypted" in text for text in texts)
    assert any("encryption</mark>" in text for text in texts)


def test_boolean_operators(index: SearchIndex) -> None:
    both = find(index, "routing AND fragmentation", type="paragraph")
    either = find(index, "routing OR fragmentation", type="paragraph")
    without = find(index, "encryption NOT journalists", type="paragraph")
    assert both.total == 0 and either.total == 2
    assert all("journalists" not in hit.snippet for hit in without.hits) and without.total


def test_a_field_name_searches_that_field_only(index: SearchIndex) -> None:
    everywhere, in_titles = find(index, "lawful"), find(index, "title:lawful")
    assert 0 < in_titles.total < everywhere.total
    assert all("lawful" in hit.title.lower() for hit in in_titles.hits)
    assert find(index, "lawful type:brief").total == find(index, "lawful", type="brief").total
    assert find(index, "lawful lang:en").total == find(index, "lawful", lang="en").total
    assert find(index, "topic:cybersecurity").total == find(index, "", topic="cybersecurity").total


@pytest.mark.parametrize("internal", ["owner", "spell", "id", "route", "params", "author", "date"])
def test_internal_fields_are_read_as_words(internal: str) -> None:
    parsed = parse_text(make_schema(), f"{internal}:encryption").query
    assert parsed is not None
    assert {leaf.field() for leaf in parsed.leaves()} == {"title", "text"}


def test_ukrainian_words_find_their_inflected_forms(index: SearchIndex) -> None:
    """The law says "шифрування трафіку"; the comment says "шифруванням"."""
    comment = find(index, "шифрування", type="comment")
    assert [hit.url for hit in comment.hits] == [
        f"/consultations/kiberbezpeka/p/{key}#c-{comment_id}"
        for key, comment_id in [(_key_of(comment.hits[0].url), _id_of(comment.hits[0].url))]
    ]
    assert "<mark" in comment.hits[0].snippet and "шифруванням</mark>" in comment.hits[0].snippet
    law = find(index, "шифруванням", type="paragraph")
    assert law.total == 2 and all(hit.language == "uk" for hit in law.hits)
    assert find(index, "криптографічний захист").total == 1


def _key_of(url: str) -> str:
    return url.split("/p/")[1].split("#")[0]


def _id_of(url: str) -> int:
    return int(url.split("#c-")[1])


def test_snippets_mark_matches_and_escape_everything_else(index: SearchIndex) -> None:
    hit = find(index, "escrow").hits[0]
    assert '<mark class="match term0">escrow</mark>' in hit.snippet
    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet


def test_a_misspelt_word_gets_a_suggestion(index: SearchIndex) -> None:
    assert find(index, "encryptoin").suggestion == "encryption"
    assert find(index, "encryption").suggestion is None


def test_suggestions_come_from_every_current_paragraph_and_title_but_no_comment(
    index: SearchIndex,
) -> None:
    """A consultation's spelling words are all on one of its documents (see `documents`)."""
    assert find(index, "transparancy").suggestion == "transparency"  # its last paragraph
    assert find(index, "comunications").suggestion == "communications"  # its title
    assert find(index, "metadta").suggestion != "metadata"  # only a comment has it


# -- facets and filters --------------------------------------------------------------------


def test_facets_count_every_match(index: SearchIndex) -> None:
    """Comments carry their consultation's title, so all three on "Lawful access…" match."""
    results = find(index, "lawful access")
    assert results.facets["type"] == {"paragraph": 5, "comment": 3, "brief": 1}
    assert results.facets["topic"] == {"encryption": 8, "internet-governance": 1}
    assert results.facets["group"] == {"academia": 1, "civil_society": 1, "government": 1}
    assert results.facets["lang"] == {"en": 9}
    assert results.facets["year"] == {"2026": 9}
    assert results.total == 9 and len(results.hits) == 9


def test_filters_narrow_the_results(
    index: SearchIndex, archive: Archive, sessions: sessionmaker[Session]
) -> None:
    assert find(index, "lawful", type="brief").total == 1
    assert find(index, "access", group="government").total == 1
    assert find(index, "", topic="cybersecurity").total == 5  # four paragraphs, one comment
    assert find(index, "", lang="uk", type="comment").total == 1
    assert find(index, "lawful", **{"from": "2026", "to": "2026"}).total == 9
    assert find(index, "lawful", **{"from": "2027"}).total == 0
    assert find(index, "lawful", **{"to": "2026-11-01"}).total == 0


def test_sorting_by_date_puts_the_newest_first(
    index: SearchIndex, session: Session, clock: FixedClock, sessions: sessionmaker[Session]
) -> None:
    later = person(session, clock, "Late Commenter")
    clock.advance(timedelta(days=3))
    lawful = ConsultationService(session, clock=clock).get("lawful-access")
    comment_on(session, clock, lawful, author=later, body="Lawful access, once more.")
    session.commit()
    index.catch_up(sessions)
    newest = find(index, "lawful", sort="date").hits[0]
    assert newest.type == "comment" and "once more" in newest.snippet


# -- attribution inside the index ----------------------------------------------------------


def test_a_chatham_house_comment_is_found_but_its_author_is_nowhere(
    index: SearchIndex, archive: Archive
) -> None:
    results = find(index, "escrow")
    assert results.total == 1
    hit = results.hits[0]
    assert hit.author == "Government" and hit.group == "government"
    secrets = (SECRET_NAME, SECRET_ORGANISATION, "Kovalenko", "Bureau")
    assert not any(secret in str(hit) for secret in secrets)
    everything = repr(stored(index))
    assert not any(secret in everything for secret in secrets)
    with index.searcher() as searcher:
        terms = [text.decode("utf-8", "replace") for _field, text in searcher.reader().all_terms()]
    assert "escrow" in terms  # the words are indexed; the people are not
    assert not any(secret.lower() in term for term in terms for secret in secrets)


def test_authors_are_labelled_as_they_chose(index: SearchIndex) -> None:
    by_id = {doc["id"]: doc for doc in stored(index) if doc["type"] == "comment"}
    labels = sorted(doc["author"] for doc in by_id.values())
    assert labels == [
        "Government",
        "Kyiv Polytechnic (Academia)",
        "Marta Named, Digital Rights Ukraine (Civil society)",
        "Marta Named, Digital Rights Ukraine (Civil society)",
    ]


def test_group_is_only_stored_when_shown(
    index: SearchIndex, session: Session, clock: FixedClock, sessions: sessionmaker[Session]
) -> None:
    anonymous_ok = ConsultationService(session, clock=clock).get("end-users")
    anonymous_ok.allow_anonymous = True
    who = person(session, clock, "Hidden Person", organisation="Hidden Org")
    comment_on(
        session, clock, anonymous_ok, author=who, body="Zero-rating deals", attribution="anonymous"
    )
    session.commit()
    index.catch_up(sessions)
    hit = find(index, "zero-rating").hits[0]
    assert hit.author == "Anonymous" and hit.group is None
    assert "Hidden" not in repr(stored(index))


# -- versions ------------------------------------------------------------------------------


def test_a_new_version_moves_permalinks_and_ranks_first(
    index: SearchIndex,
    archive: Archive,
    session: Session,
    clock: FixedClock,
    sessions: sessionmaker[Session],
) -> None:
    service = ConsultationService(session, clock=clock)
    lawful = service.get("lawful-access")
    markdown = service.version(lawful).source + "\n\nA new paragraph about key escrow."
    service.publish_version(lawful, editor=archive.editor, markdown=markdown, change_note="v2")
    session.commit()
    index.catch_up(sessions)
    results = find(index, "transparency reports", type="paragraph")
    assert [hit.url.split("#")[0] for hit in results.hits] == [
        "/consultations/lawful-access",
        "/consultations/lawful-access/v/1",
    ]
    assert results.hits[0].score > results.hits[1].score
    current, superseded = results.hits
    assert (current.version, current.current) == (2, True)
    assert (superseded.version, superseded.current) == (1, False)
    assert current.paragraph == superseded.paragraph  # the same paragraph, cited as "¶ n"
    anchor = current.url.split("#p-")[1]
    paragraphs = service.paragraphs(service.version(lawful))
    assert [p.ordinal for p in paragraphs if p.key == anchor] == [current.paragraph]


def test_every_published_brief_version_is_indexed_latest_first(
    index: SearchIndex,
    archive: Archive,
    session: Session,
    clock: FixedClock,
    sessions: sessionmaker[Session],
) -> None:
    service = BriefService(session, clock=clock)
    service.revise("encryption-brief", archive.editor)
    service.update_draft(
        "encryption-brief",
        archive.editor,
        "Encryption and lawful access: the chapter's position",
        "The chapter opposes any **exceptional access** mechanism, in every jurisdiction.",
        "Clarified",
    )
    session.commit()
    index.catch_up(sessions)
    assert find(index, "jurisdiction").total == 0  # the working copy is not public
    service.publish("encryption-brief", archive.editor, app_paths())
    session.commit()
    index.catch_up(sessions)
    results = find(index, "exceptional access", type="brief")
    assert urls(results) == ["/briefs/encryption-brief", "/briefs/encryption-brief/v/1"]


def test_withdrawn_content_leaves_the_index(
    index: SearchIndex,
    archive: Archive,
    session: Session,
    clock: FixedClock,
    sessions: sessionmaker[Session],
) -> None:
    """If a consultation stops being public, its documents are deleted on the next pass."""
    # As an administrator's repair would: a draft again, with no opening time announced.
    archive.lawful.status, archive.lawful.opens_at = ConsultationStatus.DRAFT, None
    emit(session, SEARCH, "consultation", clock.now(), id=archive.lawful.id)
    session.commit()
    index.catch_up(sessions)
    assert find(index, "transparency").total == 0
    assert find(index, "escrow").total == 0


def test_browsing_by_filters_alone_counts_only_live_documents(
    index: SearchIndex,
    archive: Archive,
    session: Session,
    clock: FixedClock,
    sessions: sessionmaker[Session],
) -> None:
    """Withdrawing a consultation deletes its documents in a segment that stays on disk; a
    search with no words (every document, then filtered) must not count them."""
    before = find(index, "", lang="en").total
    archive.lawful.status, archive.lawful.opens_at = ConsultationStatus.DRAFT, None
    emit(session, SEARCH, "consultation", clock.now(), id=archive.lawful.id)
    session.commit()
    index.catch_up(sessions)
    after = find(index, "", lang="en")
    with index.searcher() as searcher:  # Whoosh's own count of live English documents
        live = searcher.search(Term("language", "en"), limit=None).scored_length()
        assert searcher.reader().has_deletions()
    assert after.total == live < before
    assert sum(after.facets["type"].values()) == after.total
    assert all("/consultations/lawful-access" not in hit.url for hit in after.hits)


def test_date_filters_include_the_whole_first_and_last_day(
    index: SearchIndex, clock: FixedClock
) -> None:
    """Everything in the archive was written on one day (the fixed clock's)."""
    day = clock.now().date().isoformat()
    everything = find(index, "lawful").total
    assert find(index, "lawful", **{"from": day, "to": day}).total == everything
    assert find(index, "lawful", **{"to": day}).total == everything
    assert find(index, "lawful", **{"from": day}).total == everything


# -- catching up, crashes, rebuilds --------------------------------------------------------


def test_catch_up_after_a_crash_applies_what_was_committed(
    tmp_path: Path,
    session: Session,
    clock: FixedClock,
    sessions: sessionmaker[Session],
    archive: Archive,
) -> None:
    first = SearchIndex(tmp_path / "node-a")
    first.catch_up(sessions)
    before = first.doc_count()
    later = person(session, clock, "After Crash")
    comment_on(session, clock, archive.lawful, author=later, body="Committed before the crash.")
    session.commit()  # the process dies here: events committed, index not updated

    restarted = SearchIndex(tmp_path / "node-a")
    assert restarted.catch_up(sessions) == 1
    assert restarted.doc_count() == before + 1
    assert find(restarted, "crash").total == 1
    other_node = SearchIndex(tmp_path / "node-b")
    other_node.catch_up(sessions)
    assert other_node.doc_count() == restarted.doc_count()


def test_replaying_events_is_idempotent(
    index: SearchIndex, sessions: sessionmaker[Session]
) -> None:
    """A crash between the Whoosh commit and the mark file replays events: no duplicates."""
    before = stored(index)
    generation = Path(index.path) / (Path(index.path) / "CURRENT").read_text()
    Mark().save(generation)
    assert index.catch_up(sessions) > 0
    assert stored(index) == before


def test_rebuild_from_scratch_equals_incremental(
    tmp_path: Path, session: Session, clock: FixedClock, sessions: sessionmaker[Session]
) -> None:
    incremental = SearchIndex(tmp_path / "incremental")
    incremental.catch_up(sessions)  # an empty index, before anything happened
    archive = build_archive(session, clock)
    session.commit()
    incremental.catch_up(sessions)
    service = ConsultationService(session, clock=clock)
    lawful = service.get("lawful-access")
    markdown = service.version(lawful).source.replace("Lawful access regimes", "Access regimes")
    service.publish_version(lawful, editor=archive.editor, markdown=markdown, change_note="")
    service.set_status(lawful, ConsultationStatus.CLOSED, editor=archive.editor)
    session.commit()
    incremental.catch_up(sessions)

    progress: list[tuple[int, int]] = []
    rebuilt = SearchIndex(tmp_path / "rebuilt")
    written = rebuilt.rebuild(sessions, lambda done, total: progress.append((done, total)))
    assert written == incremental.doc_count() == rebuilt.doc_count()
    assert stored(rebuilt) == stored(incremental)
    assert spelling(rebuilt) == spelling(incremental)
    assert progress[-1] == (written, written)


def spelling(index: SearchIndex) -> dict[str, list[str]]:
    """Each spelling word of a live document, with the documents that hold it."""
    with index.searcher() as searcher:
        reader = searcher.reader()
        holders = {
            word.decode(): sorted(
                searcher.stored_fields(docnum)["id"]
                for docnum in reader.postings("spell", word).all_ids()
            )
            for word in reader.lexicon("spell")
        }
    return {word: ids for word, ids in holders.items() if ids}


def test_rebuild_swaps_in_a_new_generation_and_keeps_searching(
    index: SearchIndex, sessions: sessionmaker[Session]
) -> None:
    old = (index.path / "CURRENT").read_text()
    index.rebuild(sessions)
    index.rebuild(sessions)
    generations = sorted(p.name for p in index.path.glob("gen-*"))
    assert old not in generations and len(generations) == 2
    assert find(index, "escrow").total == 1


def test_an_index_of_an_empty_archive_finds_nothing_without_failing(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    """A new deployment: the first catch-up builds an index with no documents at all."""
    index = SearchIndex(tmp_path / "empty")
    index.catch_up(sessions)
    assert index.doc_count() == 0
    for params in ({"q": "encryption"}, {"type": "brief"}, {"q": "encrypton"}):
        results = find(index, **params)
        assert results.total == 0 and results.hits == [] and NOTE_NOT_READY not in results.notes


def test_deleting_the_folder_loses_nothing(
    index: SearchIndex, sessions: sessionmaker[Session]
) -> None:
    count = index.doc_count()
    fresh = SearchIndex(index.path.parent / "elsewhere")
    assert fresh.search(SearchQuery(q="escrow"), app_paths()).notes  # "being built"
    fresh.catch_up(sessions)
    assert fresh.doc_count() == count


def test_an_index_of_an_older_schema_is_rebuilt_by_the_next_catch_up(
    index: SearchIndex, sessions: sessionmaker[Session]
) -> None:
    """After a deployment that changed the schema, each node rebuilds by itself; until then
    its searches say the index is being built, rather than misreading the old one."""
    count = index.doc_count()
    live = (index.path / "CURRENT").read_text()
    (index.path / live / "SCHEMA").write_text("1")
    assert NOTE_NOT_READY in index.search(SearchQuery(q="escrow"), app_paths()).notes
    index.catch_up(sessions)
    assert (index.path / "CURRENT").read_text() != live
    assert index.doc_count() == count and find(index, "escrow").total > 0


def test_busy_passes_leave_segments_that_the_first_idle_pass_merges(
    index: SearchIndex,
    archive: Archive,
    session: Session,
    clock: FixedClock,
    sessions: sessionmaker[Session],
) -> None:
    """Merging as it goes made passes slow under a stream of comments (search went stale for
    seconds); passes now add a segment each, and an idle poll merges them."""
    commenter = person(session, clock, "Busy Commenter")
    for number in range(6):
        body = f"Busy comment {number} on escrow."
        comment_on(session, clock, archive.lawful, author=commenter, body=body)
        session.commit()
        assert index.catch_up(sessions) == 1
    with index.searcher() as searcher:
        busy = len(searcher.reader().segments())
    assert busy > IDLE_MERGE_ABOVE
    assert index.catch_up(sessions) == 0  # idle
    with index.searcher() as searcher:
        assert len(searcher.reader().segments()) < busy
    assert find(index, "busy comment").total == 6


def test_a_locked_index_skips_the_pass_and_catches_up_later(
    index: SearchIndex,
    archive: Archive,
    session: Session,
    clock: FixedClock,
    sessions: sessionmaker[Session],
) -> None:
    comment_on(session, clock, archive.lawful, author=archive.editor, body="Locked out, for now.")
    session.commit()
    generation = index.path / (index.path / "CURRENT").read_text()
    other_process = whoosh_index.open_dir(str(generation)).writer()
    try:
        quick = SearchIndex(index.path, lock_timeout=0.05)
        assert quick.catch_up(sessions) == 0
    finally:
        other_process.cancel()
    assert index.catch_up(sessions) == 1
    assert find(index, "locked").total == 1


def test_an_event_committed_out_of_order_is_still_applied(
    index: SearchIndex,
    archive: Archive,
    session: Session,
    clock: FixedClock,
    sessions: sessionmaker[Session],
) -> None:
    """Ids are taken at insert, visibility comes at commit: 42 may appear before 41."""
    newest = session.scalar(select(func.max(OutboxEvent.id))) or 0
    later = _event(newest + 2, "brief", archive.brief.id, clock)
    session.add(later)
    session.commit()
    assert index.catch_up(sessions) == 1
    archive.ukrainian.title = "Slowpoke law"
    session.add(_event(newest + 1, "consultation", archive.ukrainian.id, clock))
    session.commit()  # the slow transaction commits after its successor was applied
    assert index.catch_up(sessions) == 1
    assert find(index, "slowpoke").total == 4 + 1  # its paragraphs and its comment


def _event(event_id: int, kind: str, entity_id: int, clock: FixedClock) -> OutboxEvent:
    return OutboxEvent(
        id=event_id, topic=SEARCH, kind=kind, payload={"id": entity_id}, created_at=clock.now()
    )


def test_mark_remembers_gaps_until_they_fill_or_expire() -> None:
    mark = Mark(10).advanced([11, 13, 15], now=100.0, gap_seconds=60)
    assert mark.last_id == 15 and sorted(mark.gaps) == [12, 14]
    filled = mark.advanced([12], now=110.0, gap_seconds=60)
    assert filled.last_id == 15 and sorted(filled.gaps) == [14]
    expired = filled.advanced([], now=161.0, gap_seconds=60)
    assert expired.gaps == {}


def test_the_ukrainian_comment_text_is_stored_as_written(index: SearchIndex) -> None:
    comments = [doc for doc in stored(index) if doc["type"] == "comment"]
    assert any(doc["text"] == UKRAINIAN_COMMENT for doc in comments)
