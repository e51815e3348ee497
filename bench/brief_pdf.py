"""Benchmark: how long the PDF of a large brief takes to lay out (WeasyPrint), cold and cached.

    .venv/bin/python bench/brief_pdf.py                  # 300 paragraphs, 400 comments
    .venv/bin/python bench/brief_pdf.py --paragraphs 600 --comments 1000

Seeds the consultation of bench/draft_page.py (EU regulation recitals, comments from UN
General Debate speeches) and publishes a brief of `paragraphs` paragraphs citing a thread in
every fifth, whose annex lists every thread. Then calls the ASGI app directly: the first
request lays the PDF out, the next ones come from the cache of identical documents. The floor
is the PDF of a one-paragraph brief (WeasyPrint's fixed cost per document). No bar yet: the
figure is reported beside its floor.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere, without installing the package

from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from bench.common import asgi_get, temporary_database, web_app  # noqa: E402
from bench.draft_page import SLUG, draft_markdown, seed  # noqa: E402


def publish_briefs(sessions: sessionmaker[Session], paragraphs: int) -> int:
    """The large brief ("large") and the floor's one-paragraph brief ("floor"); returns how
    many threads the annex lists."""
    from accounts.models import User
    from app.urls import app_paths
    from briefs.services import BriefService
    from consultations.services import ConsultationService
    from core.clock import SystemClock
    from core.db import unit_of_work
    from core.enums import Role

    with unit_of_work(sessions) as session:
        clock = SystemClock()
        editor = session.query(User).filter(User.role == Role.EDITOR).one()
        consultation = ConsultationService(session, clock=clock).get(SLUG)
        threads = ConsultationService(session, clock=clock).threads(consultation)
        blocks = [b for b in draft_markdown(paragraphs).split("\n\n") if b.strip()]
        body = "\n\n".join(
            f"{block} [[thread:{threads[n % len(threads)].id}]]"
            if n % 5 == 1 and not block.startswith("#")
            else block
            for n, block in enumerate(blocks)
        )
        briefs = BriefService(session, clock=clock)
        briefs.create(editor, "large", "A large brief", "en", [], body, SLUG)
        briefs.publish("large", editor, app_paths())
        briefs.create(editor, "floor", "A short brief", "en", [], "One paragraph.")
        briefs.publish("floor", editor, app_paths())
        return len(threads)


def pages_of(pdf: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        info = subprocess.run(  # noqa: S603 - our own arguments
            ["/usr/bin/pdfinfo", handle.name], check=True, capture_output=True, text=True
        ).stdout
    return int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])


async def timed(app: object, path: str) -> tuple[float, float, bytes]:
    started, cpu = time.perf_counter(), time.process_time()
    status, body = await asgi_get(app, path)
    if status != 200:
        raise SystemExit(f"GET {path} answered {status}: {body[:300]!r}")
    return time.perf_counter() - started, time.process_time() - cpu, body


async def measure(database_url: str, index_dir: str) -> None:
    app = web_app(database_url, index_dir)
    await timed(app, "/briefs/floor")  # warm up the app (templates, fonts are per document)
    floor, floor_cpu, _ = await timed(app, "/briefs/floor.pdf")
    cold, cold_cpu, pdf = await timed(app, "/briefs/large.pdf")
    cached, _, _ = await timed(app, "/briefs/large.pdf")
    html, _, _ = await timed(app, "/briefs/large.html")
    pages = pages_of(pdf)
    print(f"\n== PDF of a large brief: {pages} pages, {len(pdf) / 1024:.0f} KiB ==")
    per_page = cold_cpu / pages * 1000
    print(f"  cold layout: {cold:.2f} s wall, {cold_cpu:.2f} s CPU ({per_page:.0f} ms CPU/page)")
    print(f"  floor (one-paragraph brief): {floor:.2f} s wall, {floor_cpu:.2f} s CPU")
    print(f"  cached (same frozen version): {cached * 1000:.1f} ms; its HTML: {html * 1000:.1f} ms")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="PostgreSQL URL; a fresh schema is made and dropped")
    parser.add_argument("--paragraphs", type=int, default=300)
    parser.add_argument("--comments", type=int, default=400)
    options = parser.parse_args()
    from core.db import make_engine, make_sessionmaker
    from core.migrations import upgrade as migrate

    with (
        tempfile.TemporaryDirectory(prefix="roundtable-bench-") as folder,
        temporary_database(options.postgres, Path(folder), "bench_pdf") as database_url,
    ):
        engine = make_engine(database_url)
        migrate(engine)
        sessions = make_sessionmaker(engine)
        seed(sessions, options.paragraphs, options.comments)
        threads = publish_briefs(sessions, options.paragraphs)
        engine.dispose()
        print(f"Seeded: {options.paragraphs} paragraphs, annex of {threads} threads.")
        asyncio.run(measure(database_url, str(Path(folder) / "index")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
