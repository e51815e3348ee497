"""Performs the outbox's side effects: keeps this node's search index current, sends mail."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from functools import partial

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.settings import Settings
from consultations import notifications
from core.clock import Clock
from core.mail import Mailer, NullMailer, SMTPMailer, deliver_pending
from search.index import SearchIndex

log = logging.getLogger(__name__)


@dataclass
class OutboxWorker:
    sessions: sessionmaker[Session]
    index: SearchIndex
    mailer: Mailer
    clock: Clock
    base_url: str

    @classmethod
    def from_settings(
        cls, settings: Settings, sessions: sessionmaker[Session], clock: Clock
    ) -> OutboxWorker:
        mailer: Mailer = (
            SMTPMailer(settings.smtp_url, settings.mail_from) if settings.smtp_url else NullMailer()
        )
        index = SearchIndex(settings.search_index_dir)
        return cls(sessions, index, mailer, clock, settings.base_url)

    def run_once(self) -> tuple[int, int]:
        """Apply pending search events and send pending mail; returns (indexed, sent)."""
        indexed = self.index.catch_up(self.sessions)
        sent = 0
        if not isinstance(self.mailer, NullMailer):
            compose = partial(notifications.compose, base_url=self.base_url)
            sent = deliver_pending(self.sessions, self.mailer, compose, self.clock)
        return indexed, sent

    @asynccontextmanager
    async def running(self, poll_seconds: float) -> AsyncIterator[None]:
        """Run in the background for the lifetime of the web process."""
        task = asyncio.create_task(self._loop(poll_seconds))
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def _loop(self, poll_seconds: float) -> None:
        while True:
            try:
                await run_in_threadpool(self.run_once)
            except Exception:  # a worker must outlive any one failure; it retries next poll
                log.exception("outbox worker pass failed")
            await asyncio.sleep(poll_seconds)
