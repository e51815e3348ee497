"""How long each hostile input takes to be refused, on a real app and database.

    PYTHONPATH=. .venv/bin/python bench/hostile_refusals.py sqlite|postgresql

Inputs are built (and multipart-encoded, as a browser sends the draft form) before the
clock starts; each request is sent once to warm up, then the best of three is printed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from app.main import create_app
from briefs.services import MAX_BRIEF_CHARS, BriefService
from core.clock import FixedClock
from core.db import make_sessionmaker
from tests.conftest import scratch_database
from tests.factories import comment_on, editor, make_user, numbered_markdown, open_consultation
from tests.functional import test_hostile_input as t
from tests.functional.conftest import Browser, settings_for_tests

kind = sys.argv[1]
with tempfile.TemporaryDirectory() as d, scratch_database(kind, Path(d), "times") as (_u, engine):
    sessions = make_sessionmaker(engine)
    clock = FixedClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    with sessions() as s:
        chief = editor(s, clock)
        c = open_consultation(s, clock, by=chief, slug="hostile", paragraphs=5)
        comment = comment_on(s, clock, c, author=make_user(s, clock))
        key = comment.thread.paragraph_key
        email = chief.email
        BriefService(s, clock=clock).create(
            chief, "findings", "Findings", "en", ["encryption"], "The findings.", "hostile"
        )
        s.commit()
    app = create_app(settings_for_tests(Path(d)), sessions=sessions, clock=clock, run_worker=False)
    with Browser(app, base_url="http://testserver", follow_redirects=False) as b:
        b.sign_in(email)
        tok = b.cookies["csrftoken"]

        def version(**kw: Any) -> Callable[[], httpx.Response]:
            files = kw.pop("files", None)
            if files:
                return lambda: b.post(
                    "/consultations/hostile/versions",
                    data={"csrftoken": tok, "change_note": "x", **kw},
                    files=files,
                )
            body, ctype = t.multipart(
                [("csrftoken", tok), ("change_note", "x"), *kw.items()]
            )  # as a browser sends this form
            return lambda: b.post(
                "/consultations/hostile/versions", content=body, headers={"content-type": ctype}
            )

        big, ct = t.multipart(
            [("csrftoken", tok), ("markdown", "x" * (5 * 1024 * 1024 + 512 * 1024))]
        )
        many, ct2 = t.multipart([("csrftoken", tok)] + [(f"f{i}", "x") for i in range(1001)])

        def urlencoded(url: str, **fields: str) -> Callable[[], httpx.Response]:
            """As a browser (or htmx) sends a form without a file input."""
            body = urlencode({"csrftoken": tok, **fields}).encode()
            print(f"{kind:10} urlencoded body to {url}: {len(body):,} bytes")
            headers = {"content-type": "application/x-www-form-urlencoded"}
            return lambda: b.post(url, content=body, headers=headers)

        cyrillic = "шифрування" * (MAX_BRIEF_CHARS // 10)  # 2 UTF-8 bytes, 6 URL-encoded
        cases: dict[str, Callable[[], httpx.Response]] = {}
        cases["urlencoded 1.8 MB draft (x\\n\\n)"] = urlencoded(
            "/consultations/hostile/versions", change_note="x", markdown="x\n\n" * 600_000
        )
        cases["urlencoded 6 MB draft (\\n)"] = urlencoded(
            "/consultations/hostile/versions", change_note="x", markdown="\n" * 2_090_000
        )
        cases["urlencoded brief 500,000 Cyrillic"] = urlencoded(
            "/briefs/findings/edit", title="Findings", change_note="x", body_markdown=cyrillic
        )
        cases |= {
            "GET /v/2^63": lambda: b.get(f"/consultations/hostile/v/{2**63}"),
            "POST disposition 2^31": lambda: b.post(
                f"/consultations/hostile/threads/{2**31}/disposition", data={"csrftoken": tok}
            ),
            "comment parent_id=99999999999": lambda: b.post(
                f"/consultations/hostile/p/{key}/comments",
                data={
                    "csrftoken": tok,
                    "body": "x",
                    "attribution": "named",
                    "parent_id": "99999999999",
                },
            ),
            "NUL in signin email": lambda: b.post(
                "/signin", data={"csrftoken": tok, "email": "a\x00b", "password": "x"}
            ),
            "1001 fields (multipart)": lambda: b.post(
                "/consultations/hostile/versions", content=many, headers={"content-type": ct2}
            ),
            "5.5 MB field": lambda: b.post(
                "/consultations/hostile/versions", content=big, headers={"content-type": ct}
            ),
            "draft only NUL (.md upload)": version(files={"file": ("d.md", b"\x00")}),
            "2,001 paragraphs": version(markdown=numbered_markdown(2001)),
            "600,000 one-letter paragraphs": version(markdown="x\n\n" * 600_000),
            "500,000 list items": version(markdown="- x\n" * 500_000),
            "2,000,001 characters": version(markdown="x" * 2_000_001),
        }
        for name, (build, _m) in t.UPLOADS.items():
            data = build()
            cases[f"docx: {name}"] = version(files={"file": ("d.docx", data)})
        for name, send in cases.items():
            send()  # warm
            best = 1e9
            for _ in range(3):
                start = time.perf_counter()
                r = send()
                best = min(best, time.perf_counter() - start)
            print(f"{kind:10} {name:34} {r.status_code} {best * 1000:7.1f} ms")
