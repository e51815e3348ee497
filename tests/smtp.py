"""A real SMTP server (aiosmtpd) on a free local port, collecting what it receives."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

#: A comment's receipt mail names its receipt number in the subject, in any language.
RECEIPT_SUBJECT = re.compile(r"\bRT-\d{6,}-\d{2}\b")


class Inbox:
    """Collects what arrives; while `refusing` is set, refuses every message with it (an
    SMTP reply such as "451 4.3.0 Try again later"). With `receipts_apart`, comment receipts
    go to `receipts`, for tests about the other mail a comment causes."""

    def __init__(self, *, receipts_apart: bool = False) -> None:
        self.messages: list[EmailMessage] = []
        self.receipts: list[EmailMessage] = []
        self.receipts_apart = receipts_apart
        self.refusing: str | None = None
        self.refused = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.refusing is not None:
            self.refused += 1
            return self.refusing
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        is_receipt = RECEIPT_SUBJECT.search(str(message["Subject"])) is not None
        (self.receipts if is_receipt and self.receipts_apart else self.messages).append(message)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server(*, receipts_apart: bool = False) -> Iterator[tuple[str, Inbox]]:
    """Yields the SMTP_URL to configure and the inbox that fills as mail arrives."""
    inbox = Inbox(receipts_apart=receipts_apart)
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", inbox
    finally:
        controller.stop()
