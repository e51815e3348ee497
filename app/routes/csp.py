"""Where browsers report Content-Security-Policy violations (`report-uri`, `report-to`).

A violation on our own pages means either a bug (an inline script or style slipped in) or an
attack the policy stopped, such as injected markup: both are worth a log line. The endpoint
takes no cookies or CSRF token (browsers send reports without them), so it is bounded: a
small body, and at most `MAX_LOGGED_PER_MINUTE` log lines a minute per process.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

MAX_BODY_BYTES = 16 * 1024
MAX_LOGGED_PER_MINUTE = 60
#: The parts of a report worth keeping, each cut to `MAX_VALUE_CHARS`.
KEPT = ("document-uri", "blocked-uri", "violated-directive", "effective-directive", "sample")
MAX_VALUE_CHARS = 200
#: The Reporting API's names for the same parts.
ALIASES = {
    "documentURL": "document-uri",
    "blockedURL": "blocked-uri",
    "effectiveDirective": "effective-directive",
}

logger = logging.getLogger("roundtable.csp")


class _Budget:
    """How many more reports this process logs in the current minute."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.minute = -1
        self.left = per_minute
        self.dropped = 0

    def take(self, now: float) -> bool:
        minute = int(now // 60)
        if minute != self.minute:
            if self.dropped:
                logger.warning("%d CSP reports were not logged (over the limit)", self.dropped)
            self.minute, self.left, self.dropped = minute, self.per_minute, 0
        if self.left <= 0:
            self.dropped += 1
            return False
        self.left -= 1
        return True


budget = _Budget(MAX_LOGGED_PER_MINUTE)


async def _body(request: Request) -> bytes | None:
    """The body, or None when it is larger than `MAX_BODY_BYTES` (read no further)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def violations(payload: Any) -> Iterator[dict[str, str]]:
    """The violations of a `report-uri` body ({"csp-report": {...}}) or of a Reporting API
    one ([{"type": "csp-violation", "body": {...}}]), under the older names."""
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        reports = [payload["csp-report"]]
    elif isinstance(payload, list):
        reports = [r.get("body") for r in payload if isinstance(r, dict)]
    else:
        reports = []
    for report in reports[:20]:
        if not isinstance(report, dict):
            continue
        flat = {ALIASES.get(key, key): value for key, value in report.items()}
        yield {key: str(flat.get(key) or "")[:MAX_VALUE_CHARS] for key in KEPT}


async def csp_report(request: Request) -> Response:
    body = await _body(request)
    if body is None:
        return Response(status_code=413)
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return Response(status_code=400)
    for violation in violations(payload):
        if budget.take(time.monotonic()):
            logger.warning("CSP violation: %s", json.dumps(violation, ensure_ascii=False))
    return Response(status_code=204)


ROUTE = Route("/csp-report", csp_report, methods=["POST"], name="csp_report")
PATH = ROUTE.path  # for the CSP header's report-uri and report-to (app/middleware.py)
routes = [ROUTE]
