"""This node's search index: a Whoosh directory kept current from the transactional outbox.

The database is the single source of truth. The index is derived from it and can be thrown
away at any time: `rebuild` builds a complete new generation beside the live one and swaps
it in; `catch_up` applies what happened since. Several web processes may share the folder.

Layout of the folder::

    CURRENT             the name of the live generation (replaced atomically)
    BUILD.lock          held while a generation is being built
    gen-<ns>/           a Whoosh index, plus outbox-mark.json: how far it has caught up,
                        SCHEMA: the `documents.SCHEMA_VERSION` it was built with, and
                        DAMAGED when a process found a file of it unreadable

A generation of another schema version, or a damaged one (a truncated or overwritten
segment file: Whoosh then fails with all manner of errors), is not used: the next catch-up
builds a new one from the database (a deployment that changes the schema rebuilds each
node's index by itself; searches say the index is being built until then).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, joinedload, selectinload, sessionmaker
from whoosh import index as whoosh_index
from whoosh.util.filelock import FileLock
from whoosh.writing import LockError

from consultations.models import Comment, Consultation
from core.outbox import SEARCH, OutboxEvent
from core.urls import PathFor
from search import documents as docs
from search.columns import IndexColumns
from search.engine import columns_of, execute
from search.queries import NOTE_NOT_READY, SearchQuery, SearchResults

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
CURRENT = "CURRENT"
MARK_FILE = "outbox-mark.json"
SCHEMA_FILE = "SCHEMA"
DAMAGED_FILE = "DAMAGED"
MAX_GAPS = 10_000
REBUILD_WINDOW = 1_000
REBUILD_PROCS = 2
SEARCH_THREADS = 2
SLOW_PASS_SECONDS = 0.5
MAX_SEGMENTS = 32  # a search visits every segment: ~0.1–0.15 ms more per query each
IDLE_MERGE_ABOVE = 4
#: Whoosh's estimate of the postings a writer process holds (its real peak is ~1.5 times
#: more: 850 MB each for the 100,000-paragraph benchmark archive, which stays under it).
#: Beyond it Whoosh pickles them to disk in sorted runs and merges those back: at 512 MB,
#: the benchmark build took 117 CPU seconds instead of 77.
REBUILD_LIMIT_MB = 1024
#: Whoosh's compound segment files are read into memory whole when a searcher opens them
#: (150 MB per process for 100,000 documents); separate files are read as needed.
COMPOUND = False


@dataclass(frozen=True)
class Mark:
    """How far a generation has caught up with the outbox, and which ids it skipped.

    Outbox ids are handed out when a row is inserted, not when its transaction commits, so
    on PostgreSQL event 41 can become visible after event 42. A plain high-water mark would
    then skip 41 forever. Rather than re-applying a whole window of recent events on every
    poll (idempotent, but costly at twice a second), we remember the *gaps*: ids below the
    mark we have not seen yet. Each pass asks for them again; when the late transaction
    commits, its event is applied. A gap left by a rolled-back transaction never fills, so
    gaps are forgotten after `gap_seconds` (generous: the longest transaction we expect).
    """

    last_id: int = 0
    gaps: dict[int, float] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path) -> Mark:
        try:
            data = json.loads((directory / MARK_FILE).read_text(encoding="utf-8"))
            return cls(int(data["last_id"]), {int(k): float(v) for k, v in data["gaps"].items()})
        except (FileNotFoundError, ValueError, KeyError, TypeError, AttributeError):
            return cls()

    def save(self, directory: Path) -> None:
        """Atomically: a crash leaves the old mark, and the events are applied again."""
        data = {"last_id": self.last_id, "gaps": {str(k): v for k, v in self.gaps.items()}}
        temporary = directory / f"{MARK_FILE}.{os.getpid()}.tmp"
        temporary.write_text(json.dumps(data), encoding="utf-8")
        os.replace(temporary, directory / MARK_FILE)

    def advanced(self, seen: list[int], now: float, gap_seconds: float) -> Mark:
        """The mark after applying `seen` (all visible ids past the mark, plus filled gaps)."""
        last_id = max([self.last_id, *seen])
        seen_set = set(seen)
        gaps = {
            gap: since
            for gap, since in self.gaps.items()
            if gap not in seen_set and now - since < gap_seconds
        }
        for missing in range(max(self.last_id + 1, last_id - MAX_GAPS), last_id):
            if missing not in seen_set:
                gaps.setdefault(missing, now)
        newest = sorted(gaps)[-MAX_GAPS:]
        return Mark(last_id, {gap: gaps[gap] for gap in newest})


@dataclass
class _Touched:
    """What a batch of events affects, each at most once: Whoosh does not see documents
    added earlier in the same writer, so one entity written twice would be duplicated."""

    consultations: set[int] = field(default_factory=set)
    comments: set[int] = field(default_factory=set)
    briefs: set[int] = field(default_factory=set)

    def add(self, event: OutboxEvent) -> None:
        try:
            entity = int(event.payload["id"])
        except (KeyError, TypeError, ValueError):
            log.warning("search event %s has no usable id: %r", event.id, event.payload)
            return
        buckets = {"consultation": self.consultations, "comment": self.comments}
        buckets[docs.BRIEF] = self.briefs
        bucket = buckets.get(event.kind)
        if bucket is None:
            log.warning("search event %s has an unknown kind %r", event.id, event.kind)
            return
        bucket.add(entity)


class SearchIndex:
    """One node's index folder: `catch_up` from the outbox, `rebuild` from scratch, `search`.

    Safe to share between processes: a catch-up pass runs in one process at a time (a lock
    file, then Whoosh's writer lock with a timeout; either busy means "skip, next poll"),
    and a rebuild writes a new generation that readers pick up at their next search.
    """

    def __init__(
        self, path: Path | str, *, lock_timeout: float = 1.0, gap_seconds: float = 900.0
    ) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.gap_seconds = gap_seconds
        self._opened: tuple[Path, Any] | None = None
        self._open_lock = threading.Lock()
        self._local = threading.local()  # one searcher per thread: they are not thread-safe
        self._pool: ThreadPoolExecutor | None = None

    # -- generations -----------------------------------------------------------------------

    def _current_dir(self) -> Path | None:
        try:
            name = (self.path / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        directory = self.path / name
        try:
            built_with = (directory / SCHEMA_FILE).read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not name or built_with != str(docs.SCHEMA_VERSION):
            return None
        return None if (directory / DAMAGED_FILE).exists() else directory

    def _open(self) -> Any | None:
        """The live generation's Whoosh index, reopened when a rebuild has swapped it."""
        directory = self._current_dir()
        if directory is None:
            return None
        with self._open_lock:
            if self._opened is None or self._opened[0] != directory:
                try:
                    self._opened = (directory, whoosh_index.open_dir(str(directory)))
                except Exception as error:  # Whoosh fails in many ways on a damaged file
                    _mark_damaged(directory, error)
                    return None
            return self._opened[1]

    def _swap(self, directory: Path) -> None:
        """Make `directory` live, then delete all but it and its predecessor (a process
        may still be finishing a pass on the predecessor)."""
        previous = self._current_dir()
        temporary = self.path / f"{CURRENT}.{os.getpid()}.tmp"
        temporary.write_text(directory.name, encoding="utf-8")
        os.replace(temporary, self.path / CURRENT)
        keep = {directory, previous}
        for old in self.path.glob("gen-*"):
            if old not in keep:
                shutil.rmtree(old, ignore_errors=True)

    @contextmanager
    def _build_lock(self, *, blocking: bool) -> Iterator[bool]:
        self.path.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.path / "BUILD.lock"))
        acquired = bool(lock.acquire(blocking=blocking))
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()

    # -- keeping up with the outbox --------------------------------------------------------

    def catch_up(self, sessions: sessionmaker[Session], batch: int = 500) -> int:
        """Apply the search events this generation has not seen; returns how many.

        Skips the pass (returns 0) when another process holds the index; the next poll
        tries again. With no index yet, builds one from the database first.
        """
        ix = self._open()
        if ix is None:
            return self._first_build(sessions)
        lock = FileLock(str(Path(ix.storage.folder) / "CATCHUP.lock"))
        if not lock.acquire(blocking=False):
            return 0
        try:
            applied = 0
            while True:
                count, more = self._pass(ix, sessions, batch)
                applied += count
                if not more:
                    break
            if not applied:
                self._merge_when_idle(ix)
            return applied
        except (SQLAlchemyError, LockError):
            raise  # the database's fault or a busy index, not the index's: retried as is
        except Exception as error:  # Whoosh could not read or write its files
            _mark_damaged(Path(ix.storage.folder), error)
            raise
        finally:
            lock.release()

    def _merge_when_idle(self, ix: Any) -> None:
        """Merge the small segments that busy passes left, now that nothing waits on it."""
        if len(ix._segments()) <= IDLE_MERGE_ABOVE:
            return
        try:
            ix.writer(timeout=self.lock_timeout, compound=COMPOUND).commit()
        except LockError:
            log.info("search index %s is locked by another writer; merging later", self.path)

    def _first_build(self, sessions: sessionmaker[Session]) -> int:
        """Build the first generation (unless another process is at it); the events it
        covers are all search events so far, which is what it reports."""
        with self._build_lock(blocking=False) as acquired:
            if not acquired or self._current_dir() is not None:
                return 0
            self._build(sessions, None)
        with sessions() as session:
            query = select(func.count(OutboxEvent.id)).where(OutboxEvent.topic == SEARCH)
            return session.scalar(query) or 0

    def _pass(self, ix: Any, sessions: sessionmaker[Session], batch: int) -> tuple[int, bool]:
        """One batch: read events past the mark (and gaps), re-derive, commit, move mark."""
        directory = Path(ix.storage.folder)
        mark = Mark.load(directory)
        with sessions() as session:
            events = self._pending(session, mark, batch)
            search_events = [event for event in events if event.topic == SEARCH]
            if search_events and not self._write(ix, session, search_events):
                return 0, False
        mark.advanced([event.id for event in events], time.time(), self.gap_seconds).save(directory)
        return len(search_events), len(events) == batch

    @staticmethod
    def _pending(session: Session, mark: Mark, batch: int) -> list[OutboxEvent]:
        """Events of every topic, so other topics' ids are not mistaken for gaps."""
        condition = OutboxEvent.id > mark.last_id
        if mark.gaps:
            condition = or_(condition, OutboxEvent.id.in_(sorted(mark.gaps)))
        query = select(OutboxEvent).where(condition).order_by(OutboxEvent.id).limit(batch)
        return list(session.scalars(query))

    def _write(self, ix: Any, session: Session, events: list[OutboxEvent]) -> bool:
        touched = _Touched()
        for event in events:
            touched.add(event)
        try:
            writer = ix.writer(timeout=self.lock_timeout, compound=COMPOUND)
        except LockError:
            log.info("search index %s is locked by another writer; next poll", self.path)
            return False
        started = time.monotonic()
        try:
            _apply(writer, session, touched)
        except BaseException:
            writer.cancel()
            raise
        applied = time.monotonic()
        # Merging segments as it goes made a pass take up to 2 s under a stream of comments
        # (Whoosh merges in Python): passes only merge when segments have piled up, and
        # the first idle poll merges the rest (see `_merge_when_idle`).
        writer.commit(merge=len(writer.segments) >= MAX_SEGMENTS)
        if time.monotonic() - started > SLOW_PASS_SECONDS:  # what keeps search from fresh
            log.info(
                "search pass of %d events: %.2f s deriving and analysing, %.2f s committing "
                "(with any segment merge)",
                len(events), applied - started, time.monotonic() - applied,
            )  # fmt: skip
        return True

    # -- rebuilding ------------------------------------------------------------------------

    def rebuild(
        self,
        sessions: sessionmaker[Session],
        progress: Progress | None = None,
        *,
        procs: int | None = None,
    ) -> int:
        """Build a complete index from the database beside the live one, then swap it in.

        Searches keep using the old generation until the swap. Returns the documents written.
        `procs` (default: up to two, one per CPU) analyses documents in forked processes,
        each writing its own segment: about twice as fast on two cores (bench/search_archive.py).
        """
        if procs is None:
            procs = min(REBUILD_PROCS, os.cpu_count() or 1)
        with self._build_lock(blocking=True):
            return self._build(sessions, progress, procs)

    def _build(
        self, sessions: sessionmaker[Session], progress: Progress | None, procs: int = 1
    ) -> int:
        directory = self.path / f"gen-{time.time_ns():020d}"
        directory.mkdir(parents=True)
        ix = whoosh_index.create_in(str(directory), docs.make_schema())
        (directory / SCHEMA_FILE).write_text(str(docs.SCHEMA_VERSION), encoding="utf-8")
        with sessions() as session:
            # Read the mark first: whatever the build then reads is at least that recent.
            mark = _mark_before_build(session, self.gap_seconds)
            written = _write_everything(ix, session, progress, procs)
        mark.save(directory)
        self._swap(directory)
        return written

    # -- reading ---------------------------------------------------------------------------

    def search(self, query: SearchQuery, paths: PathFor) -> SearchResults:
        """The results, or "being built" while there is no usable generation: a damaged one
        is marked so, and the worker's next pass rebuilds it. `paths` makes the hits' URLs
        (the web layer's router: see `engine.execute`)."""
        not_ready = SearchResults(query, notes=(*query.notes, NOTE_NOT_READY))
        ix = None
        try:
            ix = self._open()
            if ix is None:
                return not_ready
            if query.is_empty:
                return SearchResults(query, notes=query.notes)
            return execute(*self._thread_searcher(ix), query, paths)
        except Exception as error:  # Whoosh fails in many ways on a damaged file
            self._local.cached = None
            if ix is not None:  # the generation this search read, not a newer one
                _mark_damaged(Path(ix.storage.folder), error)
            return not_ready

    def search_in_pool(self, query: SearchQuery, paths: PathFor) -> SearchResults:
        """`search` on this index's own few threads, for a caller in another thread (a
        route's unit of work), which waits for it: each of these threads keeps a searcher
        open, so a handful kept warm beat the web server's large pool opening one per thread
        (searches are CPU-bound anyway)."""
        if self._pool is None:
            with self._open_lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(SEARCH_THREADS, thread_name_prefix="search")
        return self._pool.submit(self.search, query, paths).result()

    def _thread_searcher(self, ix: Any) -> tuple[Any, IndexColumns]:
        """This thread's searcher and its column arrays, made again only when a commit or a
        rebuild changed the index: opening one per search would re-read every segment.
        (Whoosh's own `refresh()` is not used: reusing readers brings back segments that a
        merge has replaced.)"""
        cached = getattr(self._local, "cached", None)
        if cached is not None and cached[0] is ix and _is_latest(ix, cached[1]):
            return cached[1], cached[2]
        if cached is not None:
            self._local.cached = None
            with suppress(Exception):  # the old generation's trouble, not this one's
                cached[1].close()
        searcher = ix.searcher()
        columns = columns_of(searcher)
        self._local.cached = (ix, searcher, columns)
        return searcher, columns

    @contextmanager
    def searcher(self) -> Iterator[Any]:
        """A Whoosh searcher on the live generation (for diagnostics and tests)."""
        ix = self._open()
        if ix is None:
            raise FileNotFoundError(f"no search index in {self.path}")
        with ix.searcher() as searcher:
            yield searcher

    def applied_through(self) -> int:
        """The newest outbox event the live generation has applied (0 with none)."""
        directory = self._current_dir()
        return Mark.load(directory).last_id if directory is not None else 0

    def doc_count(self) -> int:
        ix = self._open()
        return int(ix.doc_count()) if ix is not None else 0


def _mark_damaged(directory: Path, error: BaseException) -> None:
    """Take a generation out of use until a rebuild replaces it (every process sees it)."""
    log.error("search index %s is damaged; rebuilding it", directory, exc_info=error)
    try:
        (directory / DAMAGED_FILE).write_text(repr(error), encoding="utf-8")
    except OSError:
        log.exception("cannot mark %s as damaged", directory)


def _is_latest(ix: Any, searcher: Any) -> bool:
    try:
        return bool(ix.latest_generation() == searcher.reader().generation())
    except OSError:  # the generation was deleted under it
        return False


def _apply(writer: Any, session: Session, touched: _Touched) -> None:
    """Re-derive each touched entity from the database as it is now. Whole consultations
    and briefs are replaced (old versions, withdrawn items and all); a comment alone is
    upserted, unless its consultation is being replaced anyway."""
    for consultation_id in sorted(touched.consultations):
        owner = docs.consultation_owner(consultation_id)
        _replace(writer, owner, docs.consultation_documents(session, consultation_id))
    for brief_id in sorted(touched.briefs):
        _replace(writer, docs.brief_owner(brief_id), docs.brief_documents(session, brief_id))
    comments, consultations = _load_comments(session, touched.comments)
    for comment_id in sorted(touched.comments):
        comment = comments.get(comment_id)
        if comment is not None and comment.thread.consultation_id in touched.consultations:
            continue
        document = docs.comment_document(session, comment_id)
        if document is None:
            writer.delete_by_term("id", docs.comment_doc_id(comment_id))
        else:
            writer.update_document(**document)
    del consultations  # held until here, so `comment_document` found them in the session


def _load_comments(
    session: Session, comment_ids: set[int]
) -> tuple[dict[int, Comment], list[Consultation]]:
    """Load a batch's comments with their threads, and their consultations with topics, in
    a few queries, so deriving each document finds them in the session instead of asking
    the database three or four times per comment. The session holds objects weakly: the
    caller keeps what this returns alive while it derives the documents."""
    comments: dict[int, Comment] = {}
    ids = sorted(comment_ids)
    for start in range(0, len(ids), _LOAD_CHUNK):
        query = (
            select(Comment)
            .where(Comment.id.in_(ids[start : start + _LOAD_CHUNK]))
            .options(joinedload(Comment.thread))
        )
        comments.update((comment.id, comment) for comment in session.scalars(query))
    consultation_ids = sorted({comment.thread.consultation_id for comment in comments.values()})
    consultations = (
        select(Consultation)
        .where(Consultation.id.in_(consultation_ids))
        .options(selectinload(Consultation.topics))
    )
    return comments, list(session.scalars(consultations)) if consultation_ids else []


_LOAD_CHUNK = 500


def _replace(writer: Any, owner: str, documents: list[docs.Document]) -> None:
    writer.delete_by_term("owner", owner)
    for document in documents:
        writer.add_document(**document)


def _mark_before_build(session: Session, gap_seconds: float) -> Mark:
    """The newest event id, with the recent ids not yet visible remembered as gaps (their
    transactions may still commit after the build has read the database)."""
    newest = session.scalar(select(func.max(OutboxEvent.id))) or 0
    start = max(0, newest - REBUILD_WINDOW)
    visible = list(session.scalars(select(OutboxEvent.id).where(OutboxEvent.id > start)))
    return Mark(start).advanced(visible, time.time(), gap_seconds)


def _write_everything(ix: Any, session: Session, progress: Progress | None, procs: int) -> int:
    """One writer for the whole archive. With `procs` > 1, Whoosh forks sub-writers that each
    keep their own segment (no final merge) while this process derives the documents."""
    total = docs.count_documents(session)
    if progress is not None:
        progress(0, total)
    written = 0
    options: dict[str, Any] = {
        "limitmb": REBUILD_LIMIT_MB,
        "compound": COMPOUND,
    }
    if procs > 1:
        options.update(procs=procs, multisegment=True)
    writer = ix.writer(**options)
    try:
        for chunk in docs.archive_chunks(session):
            for document in chunk:
                writer.add_document(**document)
            written += len(chunk)
            if progress is not None:
                progress(written, max(total, written))
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    return written
