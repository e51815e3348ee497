"""Benchmark: search index build rate and query latency over a real-text archive.

    .venv/bin/python bench/search_archive.py    # 100,000 paragraphs, 5,000 briefs
    .venv/bin/python bench/search_archive.py --paragraphs 10000 --briefs 500    # a quick run
    .venv/bin/python bench/search_archive.py --postgres \
        postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Seeds a fresh database (SQLite file, or a new PostgreSQL schema dropped afterwards) through
the real services (`ConsultationService.create`, `post_comment`, `BriefService.create` and
`publish`: the outbox events are written as in production), from real public texts in
../shared/corpora/: consultations made of UN General Debate speeches (English), EU
regulation articles (English) and Ukrainian laws (Ukrainian); a few thousand comments
(UN speech paragraphs, every attribution, every stakeholder group); published briefs whose
bodies are EU recitals or Ukrainian law provisions.

Then, each in a *fresh* process (so its peak RSS is its own, not the seeder's):
1. `SearchIndex.rebuild` with a progress bar: documents/s and paragraphs/s;
2. a fixed set of >= 200 realistic queries (English and Ukrainian; words, phrases, prefixes,
   boolean operators; type/topic/group/lang/date filters, date sort, page 2), each through
   `SearchIndex.search` as the /search page and the API call it (facets, highlighted
   snippets and the spelling suggestion included): p50/p95/p99 and peak RSS;
3. the same queries as /search pages, rendered by the app as a web worker runs it: the
   page's time and the web worker's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import cycle
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere, without installing the package

from rich.progress import (  # noqa: E402
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import Engine, func, select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from bench.common import temporary_database  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora"
BAR_BUILD_PER_S = 2000.0
BAR_P95_MS = 50.0
BAR_RSS_MB = 200.0
MAX_PARAGRAPHS_PER_CONSULTATION = 120
MIN_CHARS, MAX_CHARS = 40, 1500
GROUPS = ("government", "private_sector", "academia", "civil_society", "technical_community")
ATTRIBUTIONS = ("named", "organisation", "group")
STANCES = ("support", "oppose", "amend", "question", "neutral")

# Topics by the words that mark them, in English and Ukrainian (a consultation gets up to 3).
TOPICS = {
    "encryption": ("encrypt", "cryptograph", "шифрув", "криптограф"),
    "data-protection": ("personal data", "data protection", "персональн"),
    "cybersecurity": ("cyber", "кібер", "incident", "інцидент"),
    "human-rights": ("human rights", "прав людини", "freedom", "свобод"),
    "climate": ("climate", "клімат", "emission", "викид"),
    "trade": ("trade", "торгів", "customs", "митн"),
    "telecoms": ("electronic communications", "електронних комунікацій", "spectrum", "радіочаст"),
    "ai": ("artificial intelligence", "штучн", "algorithm", "алгоритм"),
    "security": ("security", "безпек", "terroris", "терор"),
    "development": ("development", "розвит", "poverty", "бідн"),
}


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )


# --- real text -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One consultation's worth of real text."""

    slug: str
    title: str
    language: str
    year: int
    paragraphs: list[str]


def _clean(paragraphs: list[str]) -> list[str]:
    """Whitespace-normalised, of a sensible length, and safe to read as Markdown paragraphs
    (no heading, list or quote markers, which would change what a block is)."""
    kept = []
    for paragraph in paragraphs:
        flat = " ".join(paragraph.split()).lstrip("#>*-+=|` ")
        flat = re.sub(r"^(\d+)([.)])\s", r"\1\\\2 ", flat)  # "1. text" is not a list here
        if MIN_CHARS <= len(flat) <= MAX_CHARS:
            kept.append(flat)
    return kept


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:110]


def _chunks(paragraphs: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(paragraphs), MAX_PARAGRAPHS_PER_CONSULTATION):
        yield paragraphs[start : start + MAX_PARAGRAPHS_PER_CONSULTATION]


def rejoin_hard_wrapped(lines: list[str]) -> list[str]:
    """2000–2014 speeches are wrapped at ~47 characters with no blank lines: a paragraph ends
    at a blank line, or at a short line that ends a sentence."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(stripped)
        if len(stripped) < 38 and stripped[-1] in '.!?”"':
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def un_speeches() -> Iterator[Source]:
    """Newest sessions first: their one-paragraph-per-line text needs no guessing."""
    folders = sorted((CORPORA / "un-general-debates").glob("Session *"), reverse=True)
    for folder in folders:
        for path in sorted(folder.glob("*.txt")):
            country, _session, year = path.stem.split("_")
            lines = path.read_text("utf-8", errors="replace").splitlines()
            paragraphs = lines if int(year) >= 2015 else rejoin_hard_wrapped(lines)
            for part, chunk in enumerate(_chunks(_clean(paragraphs))):
                yield Source(
                    slugify(f"un-{country}-{year}-{part}"),
                    f"General Debate {year}: statement of {country}",
                    "en",
                    int(year),
                    chunk,
                )


def eu_regulations() -> Iterator[Source]:
    for path in sorted((CORPORA / "eu-regulations").glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        year = int(str(data.get("effective_date") or "2020")[:4])
        paragraphs = [
            block for article in data["articles"] for block in re.split(r"\n\s*\n", article["text"])
        ]
        for part, chunk in enumerate(_chunks(_clean(paragraphs))):
            yield Source(
                slugify(f"eu-{path.stem}-{part}"),
                str(data["full_name"]),
                "en",
                min(year, 2026),
                chunk,
            )


def uk_laws() -> Iterator[Source]:
    for path in sorted((CORPORA / "uk-laws").glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        year = int(str(data.get("issued_date") or "2015")[:4])
        lines = [
            line for provision in data["provisions"] for line in provision["content"].splitlines()
        ]
        for part, chunk in enumerate(_chunks(_clean(lines))):
            yield Source(
                slugify(f"ua-{path.stem}-{part}"), str(data["title"])[:290], "uk", year, chunk
            )


def sources(paragraphs: int) -> list[Source]:
    """About 40% UN speeches, 30% EU regulations and 30% Ukrainian laws, interleaved, so a
    scaled-down run still has both languages and every kind of text."""
    streams = [un_speeches(), un_speeches(), eu_regulations(), uk_laws(), eu_regulations(),
               uk_laws(), un_speeches(), eu_regulations(), uk_laws(), un_speeches()]  # fmt: skip
    # Each stream of a kind starts at a different place: a second UN stream skips ahead.
    seen: set[str] = set()
    chosen: list[Source] = []
    total = 0
    exhausted: set[int] = set()
    for position in cycle(range(len(streams))):
        if total >= paragraphs or len(exhausted) == len(streams):
            break
        if position in exhausted:
            continue
        source = next((s for s in streams[position] if s.slug not in seen), None)
        if source is None:
            exhausted.add(position)
            continue
        source = Source(source.slug, source.title, source.language, source.year,
                        source.paragraphs[: paragraphs - total])  # fmt: skip
        seen.add(source.slug)
        chosen.append(source)
        total += len(source.paragraphs)
    return chosen


def topics_of(paragraphs: list[str]) -> list[str]:
    sample = " ".join(paragraphs[:40]).lower()
    scored = sorted(
        ((sum(sample.count(word) for word in words), topic) for topic, words in TOPICS.items()),
        reverse=True,
    )
    found = [topic for score, topic in scored[:3] if score]
    return found or ["governance"]


def brief_bodies(count: int) -> list[tuple[str, str, str, int]]:
    """(title, language, body, year): half EU recitals, half Ukrainian law provisions."""
    english: list[tuple[str, str, str, int]] = []
    for path in sorted((CORPORA / "eu-regulations").glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        year = int(str(data.get("effective_date") or "2020")[:4])
        recitals = _clean([r["text"] for r in data.get("recitals", [])])
        for start in range(0, len(recitals) - 2, 4):
            title = f"{data['full_name']}: recitals {start + 1}–{start + 4}"
            english.append((title[:290], "en", "\n\n".join(recitals[start : start + 4]), year))
    ukrainian: list[tuple[str, str, str, int]] = []
    for path in sorted((CORPORA / "uk-laws").glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        year = int(str(data.get("issued_date") or "2015")[:4])
        for provision in data["provisions"]:
            body = _clean(provision["content"].splitlines())
            if len(body) >= 2:
                title = (
                    f"{data['title'][:200]}: {provision.get('title') or provision['provision_ref']}"
                )
                ukrainian.append((title[:290], "uk", "\n\n".join(body[:6]), year))
    mixed = [item for pair in zip(english, ukrainian, strict=False) for item in pair]
    return (mixed * (count // max(1, len(mixed)) + 1))[:count]


def comment_texts(count: int) -> list[str]:
    texts: list[str] = []
    for source in un_speeches():
        texts += [p for p in source.paragraphs if len(p) < 700]
        if len(texts) >= count:
            break
    return texts[-count:] if count else []


# --- seeding -------------------------------------------------------------------------------


class BenchClock:
    """Set to each item's own date, so the archive spans 2000–2026 for the date filters."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def migrate(engine: Engine) -> None:
    from core.migrations import upgrade

    upgrade(engine)


def seed(sessions: sessionmaker[Session], options: Options) -> dict[str, int]:
    from accounts.models import User
    from accounts.services import AccountService
    from app.urls import app_paths
    from briefs.services import BriefService
    from consultations.commenting import NewComment
    from consultations.services import ConsultationService
    from core.db import unit_of_work
    from core.enums import ConsultationStatus, Role, StakeholderGroup

    clock = BenchClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    with unit_of_work(sessions) as session:
        accounts = AccountService(session, clock=clock)
        accounts.create_user(email="editor@bench.example", name="Editor", role=Role.EDITOR)
        for n in range(50):
            accounts.create_user(
                email=f"p{n}@bench.example", name=f"Participant {n}",
                group=StakeholderGroup(GROUPS[n % len(GROUPS)]),
                organisation=f"Organisation {n % 13}", country="UA", email_verified=True,
            )  # fmt: skip
    chosen = sources(options.paragraphs)
    texts = comment_texts(options.comments)
    per_consultation = -(-len(texts) // max(1, len(chosen)))
    comment_iter = iter(texts)
    with progress_bar() as progress:
        task = progress.add_task("Consultations", total=sum(len(s.paragraphs) for s in chosen),
                                 rate="")  # fmt: skip
        started = time.perf_counter()
        for start in range(0, len(chosen), 25):
            with unit_of_work(sessions) as session:
                editor = session.scalars(select(User).where(User.role == Role.EDITOR)).one()
                people = list(session.scalars(select(User).where(User.role == Role.PARTICIPANT)))
                service = ConsultationService(session, clock=clock)
                for number, source in enumerate(chosen[start : start + 25], start):
                    clock.moment = datetime(source.year, 1 + number % 12, 1 + number % 28, 9,
                                            tzinfo=UTC)  # fmt: skip
                    consultation = service.create(
                        editor=editor, slug=source.slug, title=source.title,
                        markdown="\n\n".join(source.paragraphs), language=source.language,
                        topics=topics_of(source.paragraphs), opens_at=clock.now(),
                        closes_at=clock.now() + timedelta(days=60),
                    )  # fmt: skip
                    service.set_status(consultation, ConsultationStatus.OPEN, editor=editor)
                    keys = [p.key for p in service.paragraphs(service.version(consultation))]
                    for n in range(per_consultation):
                        body = next(comment_iter, None)
                        if body is None or not keys:
                            break
                        clock.moment += timedelta(hours=1)
                        data = NewComment.model_validate({
                            "body": body, "stance": STANCES[n % 5],
                            "attribution": ATTRIBUTIONS[(number + n) % 3],
                        })  # fmt: skip
                        author = people[(number * 7 + n) % len(people)]
                        service.post_comment(consultation, keys[n % len(keys)], data, author=author)
                    progress.update(task, advance=len(source.paragraphs))
            done = progress.tasks[0].completed
            progress.update(task, rate=f"{done / (time.perf_counter() - started):,.0f} par/s")
        bodies = brief_bodies(options.briefs)
        task = progress.add_task("Briefs", total=len(bodies), rate="")
        for start in range(0, len(bodies), 100):
            with unit_of_work(sessions) as session:
                editor = session.scalars(select(User).where(User.role == Role.EDITOR)).one()
                briefs = BriefService(session, clock=clock)
                for number, (title, language, body, year) in enumerate(
                    bodies[start : start + 100], start
                ):
                    clock.moment = datetime(year, 1 + number % 12, 1 + number % 28, tzinfo=UTC)
                    slug = f"brief-{number}"
                    topics = topics_of(body.split("\n\n"))
                    briefs.create(editor, slug, title, language, topics, body)
                    briefs.publish(slug, editor, app_paths())
            progress.update(task, advance=len(bodies[start : start + 100]))
    return counts(sessions)


def counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    from briefs.models import BriefVersion
    from consultations.models import Comment, Consultation, Paragraph

    with sessions() as session:
        return {
            name: session.scalar(select(func.count()).select_from(model)) or 0
            for name, model in (
                ("consultations", Consultation),
                ("paragraphs", Paragraph),
                ("comments", Comment),
                ("briefs", BriefVersion),
            )
        }


# --- queries -------------------------------------------------------------------------------

ENGLISH = (
    "lawful access", "encryption", '"end-to-end encryption"', "personal data", "data protection",
    '"personal data"', "cybersecurity", "cyber*", "incident reporting", '"incident reporting"',
    "climate change", '"climate change"', "sustainable development", "terrorism", "terror*",
    "human rights", '"human rights"', "refugees", "nuclear disarmament", "disarm*",
    "artificial intelligence", '"artificial intelligence"', "high-risk AI systems", "algorithm*",
    "digital markets", "gatekeeper", "online platforms", "illegal content", "content moderation",
    "supervisory authority", "data subject consent", "processing AND consent",
    "sanctions NOT Russia", "peace AND security", "security OR safety", "critical infrastructure",
    "electronic communications", "spectrum", "interoperability", "cloud computing services",
    "financial entities ICT risk", "market surveillance", "penalties", "fines AND turnover",
    "United Nations reform", '"Security Council" reform', "poverty eradication", "pandemic",
    "COVID-19 vaccines", "Ukraine", "Palestine", "small island developing states",
    "migration", "food security", "gender equality", "women AND peace", "multilateral*",
    "sovereignty", "territorial integrity", "the right to privacy",
)  # fmt: skip
UKRAINIAN = (
    "шифрування", "шифруванням", "захист персональних даних", '"персональних даних"',
    "кібербезпека", "кібер*", "електронні комунікації", '"електронних комунікацій"',
    "доступ до публічної інформації", "публічна інформація", "медіа", "засоби масової інформації",
    "права людини", "свобода слова", "громадяни", "державна служба", "державн*",
    "Кабінет Міністрів", '"Кабінет Міністрів України"', "Верховна Рада", "закон",
    "критична інфраструктура", "об’єкти критичної інфраструктури", "національна безпека",
    "оборона", "податок", "податк*", "суд", "судовий розгляд", "цивільний кодекс",
    "договір", "власність", "спадщина", "відповідальність", "штраф", "ліцензія",
    "радіочастотний ресурс", "телекомунікації", "оператор", "енергетика", "освіта",
)  # fmt: skip
# Filters as a diplomat refines: one per query, in turn (with the page-2 and sorted ones).
FILTERS: tuple[dict[str, str], ...] = (
    {},
    {"type": "paragraph"},
    {"lang": "en"},
    {"type": "brief"},
    {"topic": "cybersecurity"},
    {"from": "2015", "to": "2020"},
    {"type": "comment", "group": "government"},
    {"sort": "date"},
    {"topic": "data-protection", "type": "paragraph"},
    {"from": "2019"},
    {"page": "2"},
    {"group": "civil_society"},
    {"lang": "uk", "type": "paragraph"},
    {"topic": "security", "from": "2010", "to": "2024"},
)


def queries() -> list[dict[str, str]]:
    """Every query twice, with two different filters: 2 × (61 + 42) = 206 searches."""
    asked: list[dict[str, str]] = []
    filters = cycle(FILTERS)
    for q in ENGLISH + UKRAINIAN:
        for _ in range(2):
            params = {"q": q, **next(filters)}
            if q in UKRAINIAN and params.get("lang") == "en":
                params["lang"] = "uk"
            asked.append(params)
    return asked


# --- measuring (each in a fresh process) ---------------------------------------------------


def build(database_url: str, index_dir: str) -> dict[str, Any]:
    from core.db import make_engine, make_sessionmaker
    from search.index import SearchIndex

    sessions = make_sessionmaker(make_engine(database_url))
    index = SearchIndex(index_dir)
    with progress_bar() as progress:
        task = progress.add_task("Indexing", total=None, rate="")
        started = time.perf_counter()

        def report(done: int, total: int) -> None:
            elapsed = max(time.perf_counter() - started, 1e-6)
            progress.update(task, completed=done, total=total, rate=f"{done / elapsed:,.0f} docs/s")

        written = index.rebuild(sessions, report)
        seconds = time.perf_counter() - started
    size = sum(f.stat().st_size for f in Path(index_dir).rglob("*") if f.is_file())
    return {
        "written": written,
        "seconds": seconds,
        "index_mb": size / 2**20,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "writer_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def search(database_url: str, index_dir: str, rounds: int) -> dict[str, Any]:
    from app.urls import app_paths
    from search.index import SearchIndex
    from search.queries import SearchQuery

    index, paths = SearchIndex(index_dir), app_paths()
    asked = [SearchQuery.from_params(params) for params in queries()]
    started = time.perf_counter()
    index.search(asked[0], paths)
    cold_ms = (time.perf_counter() - started) * 1000
    for query in asked:  # warm-up: the OS cache and each field's first column read
        index.search(query, paths)
    timings: list[tuple[float, str]] = []
    totals: list[int] = []
    for _ in range(rounds):
        for query, params in zip(asked, queries(), strict=True):
            started = time.perf_counter()
            results = index.search(query, paths)
            timings.append(
                ((time.perf_counter() - started) * 1000, json.dumps(params, ensure_ascii=False))
            )
            totals.append(results.total)
    return {
        "timings": timings,
        "cold_ms": cold_ms,
        "totals": totals,
        "queries": len(asked),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def pages(database_url: str, index_dir: str) -> dict[str, Any]:
    """The /search page as a web worker serves it (rendering, facets as links, the
    translations), each query once after a warm-up: the page's time and the worker's RSS."""
    from urllib.parse import urlencode

    from bench.common import asgi_get, web_app

    app = web_app(database_url, index_dir)

    async def run() -> list[float]:
        asked = [urlencode(params) for params in queries()]
        for query in asked[:20]:
            await asgi_get(app, "/search", query)
        timings = []
        for query in asked:
            started = time.perf_counter()
            status, _body = await asgi_get(app, "/search", query)
            timings.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise RuntimeError(f"/search?{query} answered {status}")
        return timings

    return {
        "timings": asyncio.run(run()),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _child(queue: Any, function: str, args: tuple[Any, ...]) -> None:
    try:
        queue.put(globals()[function](*args))
    except Exception as error:  # reported by the parent, which owns the exit status
        import traceback

        queue.put({"error": f"{error.__class__.__name__}: {error}\n{traceback.format_exc()}"})


def in_fresh_process(function: str, *args: Any) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_child, args=(queue, function, args))
    child.start()
    result: dict[str, Any] = queue.get(timeout=3600)
    child.join()
    if "error" in result:
        raise SystemExit(f"{function} failed: {result['error']}")
    return result


# --- the run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    postgres: str | None
    paragraphs: int
    briefs: int
    comments: int
    rounds: int
    keep: str | None


def parse_options() -> Options:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--postgres", help="PostgreSQL URL; a fresh schema is made and dropped")
    parser.add_argument("--paragraphs", type=int, default=100_000)
    parser.add_argument("--briefs", type=int, default=5_000)
    parser.add_argument("--comments", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the queries")
    parser.add_argument(
        "--keep",
        help="use (and keep) this folder instead of a temporary one; an archive seeded there "
        "by an earlier run (SQLite) is reused, so only the index is rebuilt and queried",
    )
    args = parser.parse_args()
    return Options(
        args.postgres, args.paragraphs, args.briefs, args.comments, args.rounds, args.keep
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def report(
    label: str,
    seeded: dict[str, int],
    built: dict[str, Any],
    ran: dict[str, Any],
    served: dict[str, Any],
) -> bool:
    per_s = built["written"] / built["seconds"]
    paragraphs_per_s = seeded["paragraphs"] / built["seconds"]
    timings = [ms for ms, _params in ran["timings"]]
    p50, p95, p99 = (percentile(timings, share) for share in (0.50, 0.95, 0.99))
    ok_build, ok_p95 = paragraphs_per_s >= BAR_BUILD_PER_S, p95 <= BAR_P95_MS
    ok_rss = ran["peak_rss_mb"] <= BAR_RSS_MB
    print(f"\n== search on {label} ==")
    print("  archive: " + ", ".join(f"{count:,} {name}" for name, count in seeded.items()))
    print(f"  index build: {built['written']:,} documents in {built['seconds']:.1f} s = "
          f"{per_s:,.0f} documents/s; {paragraphs_per_s:,.0f} paragraphs/s "
          f"(bar >= {BAR_BUILD_PER_S:,.0f}): {'PASS' if ok_build else 'FAIL'}")  # fmt: skip
    print(f"  index size {built['index_mb']:.0f} MB; peak RSS while building: "
          f"{built['peak_rss_mb']:.0f} MB reading the database, "
          f"{built['writer_rss_mb']:.0f} MB in the largest writer process")  # fmt: skip
    print(f"  queries: {ran['queries']} distinct × {len(timings) // ran['queries']} rounds; "
          f"cold first search {ran['cold_ms']:.0f} ms; median hits "
          f"{statistics.median(ran['totals']):,.0f}")  # fmt: skip
    print(f"  p50 {p50:.1f} ms   p95 {p95:.1f} ms   p99 {p99:.1f} ms   max {max(timings):.1f} ms"
          f"   (bar p95 <= {BAR_P95_MS:.0f} ms): {'PASS' if ok_p95 else 'FAIL'}")  # fmt: skip
    print("  slowest: " + "; ".join(f"{ms:.0f} ms {params}" for ms, params in
                                    sorted(ran["timings"], reverse=True)[:3]))  # fmt: skip
    print(f"  peak RSS of the searching process: {ran['peak_rss_mb']:.0f} MB "
          f"(bar <= {BAR_RSS_MB:.0f} MB): {'PASS' if ok_rss else 'FAIL'}")  # fmt: skip
    page_p50, page_p95 = (percentile(served["timings"], share) for share in (0.50, 0.95))
    ok_web = served["peak_rss_mb"] <= BAR_RSS_MB
    print(f"  /search page in a web worker: p50 {page_p50:.1f} ms   p95 {page_p95:.1f} ms; "
          f"its peak RSS {served['peak_rss_mb']:.0f} MB (bar <= {BAR_RSS_MB:.0f} MB): "
          f"{'PASS' if ok_web else 'FAIL'}")  # fmt: skip
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return ok_build and ok_p95 and ok_rss and ok_web


def main() -> int:
    from core.db import make_engine, make_sessionmaker

    options = parse_options()
    folder_context: Any = (
        tempfile.TemporaryDirectory(prefix="roundtable-bench-")
        if options.keep is None
        else _kept(Path(options.keep))
    )
    with (
        folder_context as folder,
        temporary_database(options.postgres, Path(folder), "bench_search") as database_url,
    ):
        engine = make_engine(database_url)
        migrate(engine)
        seeded = counts(make_sessionmaker(engine))
        if seeded["paragraphs"] and options.keep is not None:
            print(f"Reusing the archive seeded earlier in {options.keep}.")
        else:
            started = time.perf_counter()
            seeded = seed(make_sessionmaker(engine), options)
            print(f"Seeded in {time.perf_counter() - started:.0f} s.")
        engine.dispose()
        index_dir = str(Path(folder) / "index")
        built = in_fresh_process("build", database_url, index_dir)
        ran = in_fresh_process("search", database_url, index_dir, options.rounds)
        served = in_fresh_process("pages", database_url, index_dir)
        label = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
        return 0 if report(label, seeded, built, ran, served) else 1


@contextmanager
def _kept(folder: Path) -> Iterator[str]:
    folder.mkdir(parents=True, exist_ok=True)
    yield str(folder)


if __name__ == "__main__":
    sys.exit(main())
