"""Performs the outbox's side effects: keeps this node's search index current, sends mail,
groups near-identical comments into campaigns.

It runs either inside each web process, as a background task (the default: one process
is a complete deployment, and tests and development need nothing else), or as a process
of its own, `roundtable worker` (the Procfile's `worker`), with `OUTBOX_POLL_SECONDS=0`
for the web processes. Under load the second keeps search fresher and the web processes
smaller: an indexing thread in a web process competes for that process's interpreter lock
with every request it serves, and falls seconds behind. The worker process must run on
each node that serves searches, with the same `SEARCH_INDEX_DIR` as its web processes:
the index is a folder on the node's disk. It is safe to run several: a catch-up pass holds
the index folder's lock, so each event is applied once per node, and a mail is claimed
once per cluster.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy.exc import OperationalError as DatabaseUnavailable
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from accounts import following
from accounts import notifications as account_mail
from accounts.ratelimits import RateLimiter
from app import i18n
from app.settings import Settings
from app.urls import app_urls
from briefs import notifications as brief_mail
from consultations import campaigns, notifications, opinions
from core.clock import Clock
from core.db import unit_of_work
from core.idempotency import IdempotencyStore
from core.mail import Mail, Mailer, NullMailer, SMTPMailer, deliver_pending
from core.outbox import OutboxEvent, commit_wakeups
from core.urls import Urls
from search.index import SearchIndex

log = logging.getLogger(__name__)
MIN_PASS_SECONDS = 0.2
#: After a failed pass (the database was restarting, say), the next is tried this soon
#: rather than a whole poll later: the failure has emptied the pool of dead connections.
RETRY_SECONDS = 1.0
PRUNE_EVERY_SECONDS = 3600.0
#: How often the worker looks for consultations whose opinion groups are out of date.
OPINIONS_EVERY_SECONDS = 30.0
PASS_CAMPAIGN_BATCHES = 5  # of campaigns.BATCH comments


@dataclass
class OutboxWorker:
    sessions: sessionmaker[Session]
    index: SearchIndex
    mailer: Mailer
    clock: Clock
    urls: Urls
    secret: str = ""  # signs the unsubscribe links in notification mail
    _pruned_at: float = field(default=-PRUNE_EVERY_SECONDS, init=False)
    _grouped_at: float = field(default=-OPINIONS_EVERY_SECONDS, init=False)

    @classmethod
    def from_settings(
        cls, settings: Settings, sessions: sessionmaker[Session], clock: Clock
    ) -> OutboxWorker:
        mailer: Mailer = (
            SMTPMailer(settings.smtp_url, settings.mail_from) if settings.smtp_url else NullMailer()
        )
        index = SearchIndex(settings.search_index_dir)
        return cls(sessions, index, mailer, clock, app_urls(settings.base_url), settings.secret_key)

    def run_once(self) -> tuple[int, int]:
        """Apply pending search events, place new comments among campaigns and send pending
        mail; returns (indexed, sent)."""
        self.prune_when_due()
        indexed = self.index.catch_up(self.sessions)
        # After the index (search freshness has a bar; a campaign can wait a pass), and a
        # bounded share of each pass, so a backlog never holds the index and the mail back.
        campaigns.assign_pending(self.sessions, self.clock.now, batches=PASS_CAMPAIGN_BATCHES)
        self.group_opinions_when_due()
        sent = 0
        if not isinstance(self.mailer, NullMailer):
            self.queue_digests()
            compose = partial(compose_mail, urls=self.urls, secret=self.secret)
            sent = deliver_pending(self.sessions, self.mailer, compose, self.clock)
        return indexed, sent

    def queue_digests(self) -> int:
        """Queue the digests that are due (each person in a transaction of their own, their
        row locked, so two workers never queue the same digest); returns how many."""
        with unit_of_work(self.sessions) as session:
            candidates = following.digest_candidates(session)
        queued = 0
        for user_id in candidates:
            with unit_of_work(self.sessions) as session:
                queued += following.claim_digest(session, user_id, self.clock.now())
        return queued

    def group_opinions_when_due(self) -> None:
        """Now and then, regroup the opinions of consultations with new votes (off the
        request path: clustering a large consultation takes a second or two)."""
        now = time.monotonic()
        if now - self._grouped_at < OPINIONS_EVERY_SECONDS:
            return
        self._grouped_at = now
        opinions.refresh_due(self.sessions, self.clock)

    def prune_when_due(self) -> None:
        """Now and then, delete ended rate-limit windows and expired idempotency keys
        (several workers may do it at once: deleting twice is harmless)."""
        now = time.monotonic()
        if now - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = now
        with unit_of_work(self.sessions) as session:
            RateLimiter(session, clock=self.clock).prune()
            IdempotencyStore(session, clock=self.clock).prune()

    @asynccontextmanager
    async def running(self, poll_seconds: float) -> AsyncIterator[None]:
        """Run in the background for the lifetime of the web process (a thread of it)."""
        task = asyncio.create_task(self._loop(poll_seconds))
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    def run_forever(self, poll_seconds: float, stop: threading.Event) -> None:
        """Run in the foreground until `stop` is set: the `roundtable worker` process. On
        PostgreSQL a commit wakes it at once; `poll_seconds` is then only the safety net."""
        with commit_wakeups(self.sessions.kw["bind"], stop) as wait:
            while not stop.is_set():
                started = time.monotonic()
                passed = self._pass()
                # Under a stream of commits, gather some before the next pass: each pass
                # costs an index commit, whatever it carries (at 0.1 s, the extra commits
                # cost the comment benchmark ~20/s; at 0.2 s search stays ~0.3 s fresh).
                stop.wait(max(0.0, MIN_PASS_SECONDS - (time.monotonic() - started)))
                wait(poll_seconds if passed else min(poll_seconds, RETRY_SECONDS))

    def _pass(self) -> bool:
        try:
            self.run_once()
        except DatabaseUnavailable as error:  # expected while it restarts: one line each
            log.warning("outbox worker pass failed, database unavailable: %r", error.orig)
            return False
        except Exception:  # a worker must outlive any one failure; it retries
            log.exception("outbox worker pass failed")
            return False
        return True

    async def _loop(self, poll_seconds: float) -> None:
        while True:
            try:
                await run_in_threadpool(self.run_once)
            except Exception:  # a worker must outlive any one failure; it retries next poll
                log.exception("outbox worker pass failed")
            await asyncio.sleep(poll_seconds)


def compose_mail(session: Session, event: OutboxEvent, urls: Urls, secret: str = "") -> Mail | None:
    """Each context composes its own kinds of mail."""
    if event.kind in notifications.FOLLOW_KINDS:
        return notifications.compose_following(session, event, urls, translator, secret)
    if event.kind in account_mail.KINDS:
        return account_mail.compose(session, event, urls, translator)
    if event.kind in brief_mail.KINDS:
        return brief_mail.compose(session, event, urls, translate)
    return notifications.compose(session, event, urls, translator)


def translator(language: str) -> Callable[[str], str]:
    """The interface catalog's gettext for `language` (mail is written in the reader's)."""
    return i18n.translations(language).ugettext


def translate(language: str, message: str) -> str:
    """A marked message in `language`, from the interface catalog (for mail)."""
    return translator(language)(message)
