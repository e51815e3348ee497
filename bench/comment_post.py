"""Benchmark: comment POST throughput on PostgreSQL with 16 concurrent clients, and proof that
no acknowledged comment is lost.

    .venv/bin/python bench/comment_post.py [--seconds 20] [--clients 16] [--workers 2]
        [--indexer worker|web] [--poll 0.5] [--rate N] [--sql-only]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Runs the real thing, deployed as the Procfile deploys it: uvicorn serving `app.asgi:app`
with `OUTBOX_POLL_SECONDS=0`, and a `roundtable worker` process applying the outbox to the
search index (`--indexer web` instead runs the outbox worker inside each web process, as
`roundtable serve` does), on a fresh PostgreSQL schema (dropped at the end). The clients
post to the JSON API with bearer tokens for a fixed time, as
fast as they are answered (or at `--rate` comments per second in all). Afterwards every id
acknowledged with a 201 must be a row in `comments`, and the row count must equal the number
of 201s. After the load, one htmx comment POST, one API comment POST and one draft page
GET are sent in-process and their transactions and SQL statements counted. Also reported:
CPU per accepted comment by component (the outbox worker's includes the time it takes
after the load to index what the load left behind), how long after its commit a comment
became searchable, and each process's peak RSS. Then the same clients post for as long to
the floor, `bench/insert_floor.py` (a bare Starlette handler inserting one comment row
through SQLAlchemy Core), on the same database and processes, and Roundtable's rate is
printed as a ratio to it, so that figures from a busy machine stay comparable. The clients
are asyncio coroutines speaking HTTP/1.1 over keep-alive sockets, so that the load
generator's own CPU stays small beside what it measures. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere, without installing the package

import httpx  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402

from bench.common import temporary_database  # noqa: E402

CORPORA = Path(os.environ.get("ROUNDTABLE_CORPORA") or ROOT.parent / "shared" / "corpora")
RFC8890 = CORPORA / "ietf" / "rfc8890-for-the-users" / "draft-iab-for-the-users.md"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BAR_ACCEPTED_PER_S = 500.0  # SPEC.md's quality bars
FLOOR_RATIO_BAR = 2.0  # within 2x of the bare insert floor
SLUG = "bench-comments"
GROUPS = ("government", "private_sector", "academia", "civil_society", "technical_community")
STANCES = ("support", "oppose", "amend", "question", "neutral")


@dataclass(frozen=True)
class Options:
    postgres: str
    seconds: float
    clients: int
    workers: int
    poll: float
    indexer: str
    rate: float | None
    sql_only: bool


def parse_options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--poll", type=float, default=0.5, help="OUTBOX_POLL_SECONDS; 0 runs no outbox worker"
    )
    parser.add_argument(
        "--indexer",
        choices=("worker", "web"),
        default="worker",
        help="worker: as the Procfile deploys it, a `roundtable worker` process applies the "
        "outbox and the web processes do not; web: each web process does it in the background",
    )
    parser.add_argument(
        "--sql-only",
        action="store_true",
        help="only count transactions and SQL statements per request (no load)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        help="offer this many comments per second in all (paced) instead of as many as the "
        "server takes: to see latency and search freshness below saturation",
    )
    args = parser.parse_args()
    if urlsplit(args.postgres).hostname != "127.0.0.1":
        parser.error("the benchmark only ever targets 127.0.0.1")
    if not 1 <= args.seconds <= 300:
        parser.error("--seconds must be between 1 and 300")
    return Options(
        args.postgres,
        args.seconds,
        args.clients,
        args.workers,
        args.poll,
        args.indexer,
        args.rate,
        args.sql_only,
    )


# --- database -----------------------------------------------------------------------------------


def seed(engine: Engine, clients: int) -> list[str]:
    """An open consultation on RFC 8890 and one participant with a write token per client."""
    from accounts.services import AccountService
    from consultations.services import ConsultationService
    from core.clock import SystemClock
    from core.db import make_sessionmaker, unit_of_work
    from core.enums import ConsultationStatus, Role, StakeholderGroup

    clock = SystemClock()
    now = datetime.now(UTC)
    with unit_of_work(make_sessionmaker(engine)) as session:
        accounts = AccountService(session, clock=clock)
        editor = accounts.create_user(email="editor@bench.example", name="Editor", role=Role.EDITOR)
        service = ConsultationService(session, clock=clock)
        consultation = service.create(
            editor=editor, slug=SLUG, title="The Internet is for End Users",
            markdown=RFC8890.read_text("utf-8"), topics=("bench",),
            opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1),
        )  # fmt: skip
        service.set_status(consultation, ConsultationStatus.OPEN, editor=editor)
        tokens = []
        for n in range(clients):
            user = accounts.create_user(
                email=f"client{n}@bench.example",
                name=f"Client {n}",
                group=StakeholderGroup(GROUPS[n % len(GROUPS)]),
                organisation=f"Organisation {n}",
                country="UA",
            )
            tokens.append(accounts.create_token(user, "write"))
    return tokens


def stored_comment_ids(engine: Engine) -> set[int]:
    with engine.connect() as connection:
        return set(connection.execute(text("SELECT id FROM comments")).scalars())


# --- server -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Server:
    base: str
    groups: tuple[int, ...]  # process groups: uvicorn and its workers; the outbox worker
    application_name: str  # how its database sessions are named, to find their backends
    index: Path  # its search index folder (SEARCH_INDEX_DIR)


@contextmanager
def server(
    database_url: str,
    options: Options,
    folder: Path,
    target: str = "app.asgi:app",
    extra: dict[str, str] | None = None,
) -> Iterator[Server]:
    """uvicorn serving `target` in its own process group, so stopping it also stops its
    worker processes; with `--indexer worker`, Roundtable's outbox worker process in
    another (its CPU counts too)."""
    port = free_port()
    name = f"roundtable-bench-{secrets.token_hex(3)}"
    separate = options.indexer == "worker" and options.poll > 0 and target == "app.asgi:app"
    env = {
        **os.environ,
        **(extra or {}),
        "DATABASE_URL": f"{database_url}&application_name={name}",
        "OUTBOX_POLL_SECONDS": "0" if separate else str(options.poll),
        "SEARCH_INDEX_DIR": str(folder / "index"),
        "SECRET_KEY": secrets.token_hex(16),
        # Far above what the load reaches, yet checked on every comment, as in production
        # (BENCH_COMMENT_RATE_LIMIT=0 measures without the check).
        "COMMENT_RATE_LIMIT": os.environ.get("BENCH_COMMENT_RATE_LIMIT", "1000000/minute"),
    }
    command = [
        sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(options.workers), "--no-access-log",
        "--no-proxy-headers",  # as the Procfile: the app reads FORWARDED_ALLOW_IPS itself
        "--log-level", os.environ.get("BENCH_LOG_LEVEL", "warning"),
    ]  # fmt: skip
    log = (folder / "server.log").open("w")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(
            subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        if separate:
            worker = [sys.executable, "-c", "from app.cli import main; main()", "worker",
                      "--poll", str(options.poll)]  # fmt: skip
            processes.append(
                subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                    worker,
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        base = f"http://127.0.0.1:{port}"
        wait_until_ready(base, processes[0], folder / "server.log")
        groups = tuple(started.pid for started in processes)
        yield Server(base, groups, name, folder / "index")
    finally:
        stop(processes)
        log.close()


def wait_until_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"The server exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/api/v1/consultations/{SLUG}", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"The server did not answer within 60 s:\n{log.read_text()[-3000:]}")


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each process group we started (uvicorn and its workers; the outbox
    worker); SIGKILL if one lingers."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- CPU accounting: where the machine's time goes, independent of how busy it is ----------------

TICKS = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(process group, CPU seconds) of a process, from /proc; None once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return int(fields[2]), (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_mb(groups: tuple[int, ...]) -> dict[str, float]:
    """The peak resident memory (VmHWM) of each process of the groups, by a short name."""
    peaks: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        stat = _proc_stat(int(entry.name)) if entry.name.isdigit() else None
        if stat is None or stat[0] not in groups:
            continue
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        peak = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        if peak is None:
            continue
        if "resource_tracker" in command:
            continue
        kind = "web worker" if "spawn_main" in command else "uvicorn supervisor"
        if "app.cli" in command:
            kind = "outbox worker"
        peaks[f"{kind} {entry.name}"] = int(peak.group(1)) / 1024
    return peaks


def group_cpu(group: int) -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        stat = _proc_stat(int(entry.name)) if entry.name.isdigit() else None
        if stat is not None and stat[0] == group:
            total += stat[1]
    return total


def backend_cpu(engine: Engine, application_name: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving the benchmark's server."""
    query = text("SELECT pid FROM pg_stat_activity WHERE application_name = :name")
    with engine.connect() as connection:
        pids = connection.execute(query, {"name": application_name}).scalars().all()
    return {pid: stat[1] for pid in pids if (stat := _proc_stat(pid)) is not None}


@dataclass
class CpuSample:
    web: float
    worker: float  # the outbox worker process, if there is one
    database: dict[int, float]
    clients: float

    @classmethod
    def take(cls, engine: Engine, running: Server) -> CpuSample:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return cls(
            web=group_cpu(running.groups[0]),
            worker=sum(group_cpu(group) for group in running.groups[1:]),
            database=backend_cpu(engine, running.application_name),
            clients=usage.ru_utime + usage.ru_stime,
        )

    def spent_since(self, start: CpuSample) -> dict[str, float]:
        database = sum(cpu - start.database.get(pid, 0.0) for pid, cpu in self.database.items())
        return {
            "web": self.web - start.web,
            "outbox worker": self.worker - start.worker,
            "database": database,
            "clients": self.clients - start.clients,
        }


# --- search freshness: how long after its commit a comment is searchable ----------------------

FRESHNESS_SAMPLE_SECONDS = 0.1
CATCH_UP_TIMEOUT = 60.0


def indexed_through(index: Path) -> int:
    """The newest outbox id below which the live index generation has applied everything
    (its mark, less any ids it is still waiting for); 0 before the first build."""
    from search.index import CURRENT, Mark

    try:
        generation = index / (index / CURRENT).read_text("utf-8").strip()
    except FileNotFoundError:
        return 0
    mark = Mark.load(generation)
    return min([mark.last_id, *(gap - 1 for gap in mark.gaps)])


def newest_event(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT coalesce(max(id), 0) FROM outbox_events"))
                   .scalar_one())  # fmt: skip


@dataclass
class Freshness:
    """Samples, every 0.1 s, of the newest committed outbox event and of how far the index
    has applied the outbox; the lag of a sample is the time until the index passed it."""

    committed: list[tuple[float, int]] = field(default_factory=list)
    indexed: list[tuple[float, int]] = field(default_factory=list)
    catch_up_seconds: float | None = None  # after the load ended, until the index was current

    def sample(self, engine: Engine, index: Path) -> int:
        newest = newest_event(engine)
        now = time.monotonic()
        self.committed.append((now, newest))
        self.indexed.append((now, indexed_through(index)))
        return newest

    def lags(self) -> list[float]:
        lags, position = [], 0
        for at, event in self.committed:
            while position < len(self.indexed) and (
                self.indexed[position][0] < at or self.indexed[position][1] < event
            ):
                position += 1
            if position == len(self.indexed):
                break
            lags.append(self.indexed[position][0] - at)
        return lags


def watch_freshness(
    engine: Engine, index: Path, freshness: Freshness, stop: threading.Event
) -> None:
    while not stop.wait(FRESHNESS_SAMPLE_SECONDS):
        freshness.sample(engine, index)


def wait_for_index(engine: Engine, index: Path, freshness: Freshness) -> None:
    """After the load: wait until the index has applied every event, so the CPU it takes
    to get there is counted, and note how long that took."""
    started = time.monotonic()
    while time.monotonic() - started < CATCH_UP_TIMEOUT:
        newest = freshness.sample(engine, index)
        if freshness.indexed[-1][1] >= newest:
            freshness.catch_up_seconds = time.monotonic() - started
            return
        time.sleep(FRESHNESS_SAMPLE_SECONDS)


# --- load ---------------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the clients saw; appended to under a lock by every client thread."""

    statuses: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    accepted_ids: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: str, latency_ms: float, comment_id: int | None) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.latencies_ms.append(latency_ms)
            if comment_id is not None:
                self.accepted_ids.append(comment_id)


def comment_bodies(count: int) -> list[str]:
    """Real sentences from UN General Debate speeches."""
    rng = random.Random(9614)
    files = sorted((CORPORA / "un-general-debates").glob("*/*.txt"))
    bodies: list[str] = []
    for path in rng.sample(files, 40):
        for chunk in re.split(r"\n\s*\n", path.read_text("utf-8", errors="replace")):
            chunk = " ".join(chunk.split())
            if 80 <= len(chunk) <= 600:
                bodies.append(chunk)
    return bodies[:count] or ["End users' interests must come first."]


class Connection:
    """One keep-alive HTTP/1.1 connection that sends a JSON POST and reads the answer: a
    load generator far lighter than an HTTP library (httpx took 1.1 ms of CPU a request,
    a fifth of what it measured), so that the machine's CPU goes to what is measured."""

    def __init__(self, base: str, token: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.head = (
            f"Host: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nAccept: application/json\r\n"
        ).encode()
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        writer.write(b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
                     % (path.encode(), self.head, len(body), body))  # fmt: skip
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
            answer = await reader.readexactly(int(length.group(1)) if length else 0)
        except (asyncio.IncompleteReadError, ConnectionError):
            self.close()
            raise
        if re.search(rb"\r\nconnection: *close", head, re.IGNORECASE):
            self.close()
        return int(head[9:12]), answer

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def client(
    base: str,
    token: str,
    keys: list[str],
    bodies: list[str],
    until: float,
    tally: Tally,
    interval: float = 0.0,
) -> None:
    """One participant posting as fast as the server answers (or one comment every
    `interval` seconds, if it can), until the deadline."""
    rng = random.Random(token)
    connection = Connection(base, token)
    due = time.monotonic() + rng.uniform(0, interval)
    while time.monotonic() < until:
        if interval:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            due += interval
        key = rng.choice(keys)
        payload = {"body": rng.choice(bodies), "stance": rng.choice(STANCES),
                   "attribution": rng.choice(("named", "organisation", "group"))}  # fmt: skip
        path = f"/api/v1/consultations/{SLUG}/paragraphs/{key}/comments"
        started = time.perf_counter()
        try:
            status, answer = await asyncio.wait_for(
                connection.post(path, json.dumps(payload).encode()), 30
            )
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as error:
            connection.close()
            tally.record(error.__class__.__name__, _ms_since(started), None)
            continue
        comment_id = json.loads(answer)["id"] if status == 201 else None
        tally.record(str(status), _ms_since(started), comment_id)
    connection.close()


async def clients(
    base: str, tokens: list[str], keys: list[str], bodies: list[str], until: float,
    tally: Tally, interval: float,
) -> None:  # fmt: skip
    """Every participant at once, on one event loop in one thread."""
    await asyncio.gather(
        *(client(base, token, keys, bodies, until, tally, interval) for token in tokens)
    )


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


@dataclass
class Run:
    tally: Tally
    elapsed: float
    cpu: dict[str, float]
    load_average: tuple[float, float]
    freshness: Freshness | None
    memory: dict[str, float]  # peak RSS in MB by process


def paragraph_keys(running: Server) -> list[str]:
    consultation = httpx.get(f"{running.base}/api/v1/consultations/{SLUG}").json()
    return [paragraph["key"] for paragraph in consultation["paragraphs"]]


def run_load(
    engine: Engine,
    running: Server,
    tokens: list[str],
    keys: list[str],
    seconds: float,
    indexing: bool,
    rate: float | None,
) -> Run:
    base = running.base
    bodies = comment_bodies(500)
    tally = Tally()
    load_before = os.getloadavg()[0]
    before = CpuSample.take(engine, running)
    started = time.monotonic()
    until = started + seconds
    interval = len(tokens) / rate if rate else 0.0
    threads = [
        threading.Thread(
            target=asyncio.run,
            args=(clients(base, tokens, keys, bodies, until, tally, interval),),
        )
    ]
    freshness, stop_watching = (Freshness() if indexing else None), threading.Event()
    if freshness is not None:
        threads.append(threading.Thread(
            target=watch_freshness, args=(engine, running.index, freshness, stop_watching)
        ))  # fmt: skip
    for thread in threads:
        thread.start()
    threads[0].join()
    elapsed = time.monotonic() - started
    stop_watching.set()
    if freshness is not None:
        threads[-1].join()
        # The server's CPU includes indexing what the load left behind, however long it takes.
        wait_for_index(engine, running.index, freshness)
    cpu = CpuSample.take(engine, running).spent_since(before)
    memory = peak_rss_mb(running.groups)
    return Run(tally, elapsed, cpu, (load_before, os.getloadavg()[0]), freshness, memory)


# --- SQL per request: what one comment costs the database, by either door ---------------------

COSTS_EMAIL = "costs@bench.example"
COSTS_PASSWORD = "a bench passphrase"


@dataclass
class SqlCount:
    transactions: int = 0
    statements: int = 0


def sql_costs(database_url: str, folder: Path) -> dict[str, SqlCount]:
    """Transactions (BEGINs) and SQL statements of one htmx comment POST (a signed-in
    browser), one JSON API comment POST (a bearer token) and one GET of the draft page,
    through the real app in this process, counted on its engine."""
    from sqlalchemy import event
    from starlette.testclient import TestClient

    from accounts.services import AccountService
    from bench.common import web_app
    from core.clock import SystemClock
    from core.db import unit_of_work
    from core.enums import StakeholderGroup

    app = web_app(database_url, str(folder / "costs-index"))
    with unit_of_work(app.state.sessions) as session:
        accounts = AccountService(session, clock=SystemClock())
        user = accounts.create_user(
            email=COSTS_EMAIL,
            name="Costs",
            group=StakeholderGroup.ACADEMIA,
            password=COSTS_PASSWORD,
        )
        token = accounts.create_token(user, "write")
    engine = app.state.sessions.kw["bind"]
    counting = SqlCount()

    def on_begin(_connection: object) -> None:
        counting.transactions += 1

    def on_statement(*_args: object) -> None:
        counting.statements += 1

    costs: dict[str, SqlCount] = {}
    with TestClient(app, base_url="http://127.0.0.1:8000") as http:
        key = http.get(f"/api/v1/consultations/{SLUG}").json()["paragraphs"][0]["key"]
        http.get("/signin")
        csrf = http.cookies["csrftoken"]
        signed_in = http.post(
            "/signin",
            data={"email": COSTS_EMAIL, "password": COSTS_PASSWORD, "csrftoken": csrf},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303, signed_in.text[:300]
        csrf = http.cookies["csrftoken"]  # signing in handed out a new token
        event.listen(engine, "begin", on_begin)
        event.listen(engine, "before_cursor_execute", on_statement)
        form = {"body": "By htmx.", "stance": "support", "attribution": "group", "csrftoken": csrf}
        requests: dict[str, Callable[[], httpx.Response]] = {
            "htmx comment POST": lambda: http.post(
                f"/consultations/{SLUG}/p/{key}/comments", data=form, headers={"HX-Request": "true"}
            ),
            "JSON API comment POST": lambda: http.post(
                f"/api/v1/consultations/{SLUG}/paragraphs/{key}/comments",
                json={"body": "By the API.", "stance": "support", "attribution": "group"},
                headers={"Authorization": f"Bearer {token}"},
            ),
            "draft page GET": lambda: http.get(f"/consultations/{SLUG}"),
        }
        for name, send in requests.items():
            send()  # warm: the first request of a kind fills caches
            counting.transactions = counting.statements = 0
            response = send()
            assert response.status_code in (200, 201), f"{name}: {response.status_code}"
            costs[name] = SqlCount(counting.transactions, counting.statements)
    app.state.sessions.kw["bind"].dispose()
    return costs


def report_sql_costs(costs: dict[str, SqlCount]) -> None:
    print("  SQL per request (one of each, in-process, PostgreSQL):")
    for name, count in costs.items():
        print(f"    {name}: {count.transactions} transaction(s), {count.statements} statements")


# --- report -------------------------------------------------------------------------------------


def report(run: Run, stored: set[int], options: Options) -> bool:
    tally, elapsed = run.tally, run.elapsed
    accepted = tally.statuses["201"]
    latencies = sorted(tally.latencies_ms)
    rate = accepted / elapsed
    acknowledged = set(tally.accepted_ids)
    lost = acknowledged - stored
    indexer = "a worker process" if options.indexer == "worker" else "the web processes"
    offered = f" offering {options.rate:.0f}/s" if options.rate else ""
    print(f"\n== comment POST, {options.clients} clients{offered}, {options.workers} uvicorn "
          f"workers, outbox poll {options.poll} s by {indexer}, PostgreSQL, "
          f"{elapsed:.1f} s ==")  # fmt: skip
    print(f"  requests: {sum(tally.statuses.values())}, by status: {dict(tally.statuses)}")
    print(f"  accepted: {accepted} = {rate:.0f}/s (bar >= {BAR_ACCEPTED_PER_S:.0f}/s): "
          f"{'PASS' if rate >= BAR_ACCEPTED_PER_S else 'FAIL'}")  # fmt: skip
    if latencies:
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        print(f"  latency p50 {statistics.median(latencies):.1f} ms   p95 {p95:.1f} ms   "
              f"max {latencies[-1]:.1f} ms")  # fmt: skip
    print(f"  rows in comments: {len(stored)}; 201 responses: {accepted}; "
          f"acknowledged ids missing from the table: {len(lost)}")  # fmt: skip
    no_loss = not lost and len(stored) == accepted == len(acknowledged)
    print(f"  lost: {len(lost)} (bar 0): {'PASS' if no_loss else 'FAIL'}")
    report_cpu(run, accepted)
    report_freshness(run.freshness)
    print(
        "  peak RSS: " + ", ".join(f"{name} {mb:.0f} MB" for name, mb in sorted(run.memory.items()))
    )
    return rate >= BAR_ACCEPTED_PER_S and no_loss


def report_freshness(freshness: Freshness | None) -> None:
    if freshness is None:
        return
    lags = sorted(freshness.lags())
    if lags:
        p95 = lags[max(0, int(len(lags) * 0.95) - 1)]
        print(f"  search freshness (commit to searchable, sampled every "
              f"{FRESHNESS_SAMPLE_SECONDS} s): p50 {statistics.median(lags):.2f} s   "
              f"p95 {p95:.2f} s   max {lags[-1]:.2f} s")  # fmt: skip
    if freshness.catch_up_seconds is None:
        print(f"  search index: NOT caught up {CATCH_UP_TIMEOUT:.0f} s after the load")
    else:
        print(f"  search index caught up {freshness.catch_up_seconds:.2f} s after the load "
              "(its CPU is counted above)")  # fmt: skip


def report_cpu(run: Run, accepted: int, label: str = "CPU per accepted comment") -> None:
    """CPU per accepted comment by component, and the rate this machine could sustain."""
    if not accepted:
        return
    per = {name: seconds * 1000 / accepted for name, seconds in run.cpu.items()}
    total = sum(per.values())
    cpus = os.cpu_count() or 1
    print(f"  {label}: " + ", ".join(f"{k} {v:.1f} ms" for k, v in per.items())
          + f"; total {total:.1f} ms")  # fmt: skip
    print(f"  => at most ~{cpus * 1000 / total:.0f}/s on this machine's {cpus} CPUs if nothing "
          f"else ran (load average {run.load_average[0]:.1f} before, "
          f"{run.load_average[1]:.1f} after)")  # fmt: skip


def main() -> int:
    from core.db import make_engine

    options = parse_options()
    from core.migrations import upgrade as migrate

    with (
        tempfile.TemporaryDirectory(prefix="roundtable-bench-") as folder,
        temporary_database(options.postgres, Path(folder), "bench_post") as database_url,
    ):
        engine = make_engine(database_url)
        try:
            migrate(engine)
            tokens = seed(engine, options.clients)
            if options.sql_only:
                report_sql_costs(sql_costs(database_url, Path(folder)))
                return 0
            with server(database_url, options, Path(folder)) as running:
                keys = paragraph_keys(running)
                run = run_load(
                    engine, running, tokens, keys, options.seconds, options.poll > 0, options.rate
                )
            stored = stored_comment_ids(engine)
            # After the count of stored comments, which these few must not change.
            costs = sql_costs(database_url, Path(folder))
            floor = run_floor(engine, database_url, options, Path(folder), tokens, keys)
        finally:
            engine.dispose()
        passed = report(run, stored, options)
        passed = report_floor(run, floor) and passed
        report_sql_costs(costs)
        return 0 if passed else 1


def run_floor(
    engine: Engine,
    database_url: str,
    options: Options,
    folder: Path,
    tokens: list[str],
    keys: list[str],
) -> Run:
    """The same clients, for as long, against `bench.insert_floor` on the same database."""
    with engine.connect() as connection:
        thread_id = connection.execute(text("SELECT min(id) FROM threads")).scalar_one()
    extra = {"FLOOR_THREAD_ID": str(thread_id)}
    with server(database_url, options, folder, "bench.insert_floor:app", extra) as running:
        return run_load(engine, running, tokens, keys, options.seconds, False, options.rate)


def report_floor(run: Run, floor: Run) -> bool:
    """Roundtable's rate beside the floor's, measured in the same run on the same machine."""
    rate = run.tally.statuses["201"] / run.elapsed
    floor_rate = floor.tally.statuses["201"] / floor.elapsed
    ratio = floor_rate / rate if rate else float("inf")
    within = ratio <= FLOOR_RATIO_BAR
    print(f"  floor (bare Starlette + one SQLAlchemy Core INSERT per POST, same clients): "
          f"{floor_rate:.0f}/s, by status: {dict(floor.tally.statuses)}")  # fmt: skip
    report_cpu(floor, floor.tally.statuses["201"], label="floor CPU per comment")
    print(f"  floor / Roundtable: {ratio:.2f}x (bar <= {FLOOR_RATIO_BAR:.0f}x): "
          f"{'PASS' if within else 'FAIL'}")  # fmt: skip
    return within


if __name__ == "__main__":
    sys.exit(main())
