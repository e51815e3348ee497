"""Benchmark: server time of the draft page with 300 paragraphs and 3,000 comments.

    .venv/bin/python bench/draft_page.py                    # SQLite in a temporary folder
    .venv/bin/python bench/draft_page.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Seeds a fresh database (SQLite file, or a new PostgreSQL schema dropped afterwards) through
the real services, with real text: EU regulation recitals for the draft, speeches from the UN
General Debate for the comments. Then a *fresh* process (so its memory is the web worker's,
not the seeder's) calls the ASGI app directly, without sockets or HTTP parsing, and reports
p50/p95/max of GET /consultations/{slug} and its peak RSS against the quality bars.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere, without installing the package

from rich.progress import Progress  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from bench.common import asgi_get, temporary_database, web_app  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"
BAR_P50_MS = 60.0
BAR_RSS_MB = 200.0
SLUG = "bench-draft"
GROUPS = ("government", "private_sector", "academia", "civil_society", "technical_community")
STANCES = ("support", "oppose", "amend", "question", "neutral")
ATTRIBUTIONS = ("named", "organisation", "group")


# --- real text ---------------------------------------------------------------------------------


def draft_markdown(paragraphs: int) -> str:
    """`paragraphs` blocks: a heading every 20, the rest EU regulation recitals."""
    recitals: list[str] = []
    for name in ("gdpr", "nis2", "dsa", "eecc", "ai-act"):
        data = json.loads((CORPORA / "eu-regulations" / f"{name}.json").read_text("utf-8"))
        recitals += [" ".join(r["text"].split()) for r in data.get("recitals", [])]
    blocks = []
    for index in range(paragraphs):
        if index % 20 == 0:
            blocks.append(f"## Part {index // 20 + 1}")
        else:
            blocks.append(recitals[index % len(recitals)])
    return "\n\n".join(blocks) + "\n"


def comment_texts(count: int, rng: random.Random) -> list[str]:
    """Paragraphs of UN General Debate speeches, 80–700 characters each."""
    files = sorted((CORPORA / "un-general-debates").glob("*/*.txt"))
    rng.shuffle(files)
    texts: list[str] = []
    for path in files:
        for chunk in re.split(r"\n\s*\n", path.read_text("utf-8", errors="replace")):
            chunk = " ".join(chunk.split())
            if 80 <= len(chunk) <= 700:
                texts.append(chunk)
        if len(texts) >= count:
            break
    return texts[:count]


# --- seeding -----------------------------------------------------------------------------------


def seed(sessions: sessionmaker[Session], paragraphs: int, comments: int) -> None:
    """One consultation, 60 participants, `comments` comments (a third of them replies)."""
    from accounts.services import AccountService
    from consultations.services import ConsultationService
    from core.clock import FixedClock
    from core.db import unit_of_work
    from core.enums import ConsultationStatus, Role, StakeholderGroup

    clock = FixedClock(datetime.now(UTC) - timedelta(days=10))
    with unit_of_work(sessions) as session:
        accounts = AccountService(session, clock=clock)
        editor = accounts.create_user(email="editor@bench.example", name="Editor", role=Role.EDITOR)
        for n in range(60):
            accounts.create_user(
                email=f"p{n}@bench.example",
                name=f"Participant {n}",
                group=StakeholderGroup(GROUPS[n % len(GROUPS)]),
                organisation=f"Organisation {n % 17}",
                country="UA",
            )
        service = ConsultationService(session, clock=clock)
        consultation = service.create(
            editor=editor, slug=SLUG, title="Benchmark draft", markdown=draft_markdown(paragraphs),
            topics=("bench",), opens_at=clock.now(), closes_at=clock.now() + timedelta(days=60),
        )  # fmt: skip
        service.set_status(consultation, ConsultationStatus.OPEN, editor=editor)
    post_comments(sessions, clock, comments)


def post_comments(sessions: sessionmaker[Session], clock: Any, count: int) -> None:
    """Through `ConsultationService.post_comment`, 100 to a transaction, with a progress bar."""
    from accounts.models import User
    from consultations.services import ConsultationService
    from core.db import unit_of_work

    rng = random.Random(8890)
    texts = comment_texts(count, rng)
    openings: list[tuple[int, str]] = []  # (comment id, paragraph key) that replies can answer
    with Progress() as progress:
        task = progress.add_task("Posting comments", total=len(texts))
        for start in range(0, len(texts), 100):
            with unit_of_work(sessions) as session:
                service = ConsultationService(session, clock=clock)
                consultation = service.get(SLUG)
                keys = [p.key for p in service.paragraphs(service.version(consultation))]
                people = list(session.query(User).filter(User.stakeholder_group.is_not(None)))
                for body in texts[start : start + 100]:
                    clock.advance(timedelta(seconds=37))
                    key, data = _comment_input(rng, body, keys, openings)
                    comment = service.post_comment(
                        consultation, key, data, author=rng.choice(people)
                    )
                    if data.parent_id is None:
                        openings.append((comment.id, key))
            progress.update(task, advance=len(texts[start : start + 100]))


def _comment_input(
    rng: random.Random, body: str, keys: list[str], openings: list[tuple[int, str]]
) -> tuple[str, Any]:
    """A reply a third of the time; otherwise a new thread, on a skewed choice of paragraph
    (some paragraphs draw far more discussion than others, as in real consultations)."""
    from consultations.commenting import NewComment

    if openings and rng.random() < 0.33:
        parent_id, key = rng.choice(openings)
        reply = {"body": body, "attribution": "named", "parent_id": parent_id}
        return key, NewComment.model_validate(reply)
    hot = keys[: max(1, len(keys) // 5)]
    key = rng.choice(hot if rng.random() < 0.5 else keys)
    suggestion = body[: len(body) // 2] if rng.random() < 0.15 else None
    data = NewComment.model_validate(
        {
            "body": body,
            "stance": rng.choice(STANCES),
            "attribution": rng.choice(ATTRIBUTIONS),
            "suggestion": suggestion,
        }
    )
    return key, data


# --- measuring (in a fresh process) -------------------------------------------------------------


def measure(database_url: str, index_dir: str, requests: int) -> dict[str, Any]:
    """Runs in a spawned process: build the app as a web worker would and time the page."""
    app = web_app(database_url, index_dir)
    path = f"/consultations/{SLUG}"

    async def run() -> dict[str, Any]:
        started = time.perf_counter()
        status, body = await asgi_get(app, path)
        cold_ms = (time.perf_counter() - started) * 1000
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
        for _ in range(5):
            await asgi_get(app, path)
        timings, cpu = [], []
        for _ in range(requests):
            started, cpu_started = time.perf_counter(), time.process_time()
            status, body = await asgi_get(app, path)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            assert status == 200
        anchors = len(re.findall(rb'id="p-', body))
        return {
            "timings": timings,
            "cpu": cpu,
            "cold_ms": cold_ms,
            "bytes": len(body),
            "anchors": anchors,
            "load": os.getloadavg()[0],
        }

    result = asyncio.run(run())
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _measure_in_child(queue: Any, database_url: str, index_dir: str, requests: int) -> None:
    try:
        queue.put(measure(database_url, index_dir, requests))
    except Exception as error:  # reported by the parent, which owns the exit status
        queue.put({"error": f"{error.__class__.__name__}: {error}"})


def measure_fresh(database_url: str, index_dir: str, requests: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(
        target=_measure_in_child, args=(queue, database_url, index_dir, requests)
    )
    child.start()
    result: dict[str, Any] = queue.get(timeout=900)
    child.join()
    if "error" in result:
        raise SystemExit(f"Measuring failed: {result['error']}")
    return result


# --- the run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    label: str
    result: dict[str, Any]

    def report(self) -> bool:
        timings: list[float] = sorted(self.result["timings"])
        p50 = statistics.median(timings)
        p95 = timings[int(len(timings) * 0.95) - 1]
        rss = self.result["peak_rss_mb"]
        ok_time, ok_rss = p50 <= BAR_P50_MS, rss <= BAR_RSS_MB
        print(f"\n== draft page on {self.label}: {len(timings)} requests ==")
        print(f"  page: {self.result['bytes'] / 1024:.0f} KiB, {self.result['anchors']} paragraphs")
        print(f"  cold first request: {self.result['cold_ms']:.1f} ms")
        print(f"  p50 {p50:.1f} ms   p95 {p95:.1f} ms   max {timings[-1]:.1f} ms")
        print(f"  bar p50 <= {BAR_P50_MS:.0f} ms: {'PASS' if ok_time else 'FAIL'}")
        cpu = statistics.median(self.result["cpu"])
        print(f"  CPU per request p50 {cpu:.1f} ms (wall time includes waiting for a CPU: "
              f"load average {self.result['load']:.1f} on {os.cpu_count()} CPUs)")  # fmt: skip
        print(f"  peak RSS of the serving process: {rss:.0f} MB (bar <= {BAR_RSS_MB:.0f} MB): "
              f"{'PASS' if ok_rss else 'FAIL'}")  # fmt: skip
        return ok_time and ok_rss


@dataclass(frozen=True)
class Options:
    postgres: str | None
    requests: int
    paragraphs: int
    comments: int


def parse_options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="PostgreSQL URL; a fresh schema is made and dropped")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--paragraphs", type=int, default=300)
    parser.add_argument("--comments", type=int, default=3000)
    args = parser.parse_args()
    return Options(args.postgres, args.requests, args.paragraphs, args.comments)


def main() -> int:
    from core.db import make_engine, make_sessionmaker

    options = parse_options()
    from core.migrations import upgrade as migrate

    with (
        tempfile.TemporaryDirectory(prefix="roundtable-bench-") as folder,
        temporary_database(options.postgres, Path(folder), "bench_draft") as database_url,
    ):
        engine = make_engine(database_url)
        migrate(engine)
        started = time.perf_counter()
        seed(make_sessionmaker(engine), options.paragraphs, options.comments)
        engine.dispose()
        print(f"Seeded in {time.perf_counter() - started:.0f} s.")
        result = measure_fresh(database_url, str(Path(folder) / "index"), options.requests)
        label = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
        return 0 if Outcome(label, result).report() else 1


if __name__ == "__main__":
    sys.exit(main())
