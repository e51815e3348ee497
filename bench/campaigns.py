"""Benchmark: grouping a few thousand comments into campaigns, against two floors.

    .venv/bin/python bench/campaigns.py                     # SQLite in a temporary folder
    .venv/bin/python bench/campaigns.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres

The comments are tests/corpora.py's `campaign_corpus`: real paragraphs (RFC 9518, the
Criminal Code of Ukraine) each sent in 10–50 edited variants, among unrelated paragraphs of
UN General Debate speeches and speeches quoting the campaigns' paragraphs. It reports, in
one run:

- the *hashing floor*: the MinHash signatures of every text alone, which any grouping by
  MinHash must compute;
- the in-memory grouping (`campaigns.group`: signatures, LSH bands, confirmation, union),
  as `roundtable campaigns` does it, with its pairwise precision and recall;
- a *quadratic* baseline: rapidfuzz's `cdist` (C++, every pair) on a subset, extrapolated to
  every pair of all the comments: what grouping without a blocking step would cost;
- the worker's path: the comments posted through `ConsultationService.post_comment` into a
  fresh database, then placed one by one from their outbox events (`assign_pending`), per
  comment, and that it found the same groups.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere, without installing the package
os.environ.setdefault("ROUNDTABLE_CORPORA", str(ROOT.parent / "shared" / "corpora"))

from rich.progress import Progress  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from bench.common import temporary_database  # noqa: E402

#: The in-memory grouping may cost at most this many times the hashing floor.
BAR_TIMES_FLOOR = 3.0


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL (default: a SQLite file)")
    parser.add_argument("--campaigns", type=int, default=60)
    parser.add_argument("--others", type=int, default=2500, help="unrelated comments")
    parser.add_argument("--quoting", type=int, default=800, help="comments quoting a campaign")
    parser.add_argument("--subset", type=int, default=600, help="comments for the quadratic run")
    return parser.parse_args()


def timed(label: str, work: object) -> float:
    started = time.perf_counter()
    work()  # type: ignore[operator]
    seconds = time.perf_counter() - started
    print(f"{label:<52} {seconds * 1000:9.0f} ms")
    return seconds


def in_memory(comments: list[tuple[int, str]], truth: dict[int, int], subset: int) -> bool:
    from rapidfuzz import fuzz
    from rapidfuzz.process import cdist

    from consultations import campaigns
    from tests.unit.consultations.test_campaigns import precision_and_recall

    n = len(comments)
    found: dict[int, int] = {}
    floor = timed(f"hashing floor: {n} MinHash signatures", lambda: [
        campaigns.signature(body) for _id, body in comments
    ])  # fmt: skip
    grouping = timed(f"group(): {n} comments", lambda: found.update(campaigns.group(comments)))
    precision, recall = precision_and_recall(truth, found)
    print(f"  precision {precision:.3f}, recall {recall:.3f}, {len(set(found.values()))} campaigns")
    texts = [campaigns.normalise(body) for _id, body in comments[:subset]]
    pairwise = timed(f"rapidfuzz cdist, every pair of {subset}", lambda: cdist(
        texts, texts, scorer=fuzz.ratio, workers=1, score_cutoff=70
    ))  # fmt: skip
    every_pair = pairwise * (n * (n - 1)) / (subset * (subset - 1))
    print(f"  extrapolated to every pair of {n}: {every_pair:9.1f} s")
    print(
        f"group() is {grouping / floor:.2f}x the hashing floor (bar {BAR_TIMES_FLOOR}x)"
        f" and {every_pair / grouping:.0f}x faster than comparing every pair"
    )
    return grouping <= BAR_TIMES_FLOOR * floor


def post(sessions: sessionmaker[Session], comments: list[tuple[int, str]]) -> dict[int, int]:
    """The comments through the real service, 100 a transaction, on ten paragraphs; their
    ids by the corpus's."""
    from sqlalchemy import select

    from accounts.models import User
    from accounts.services import AccountService
    from consultations.commenting import NewComment
    from consultations.services import ConsultationService
    from core.clock import FixedClock
    from core.db import unit_of_work
    from core.enums import Attribution, ConsultationStatus, Role, StakeholderGroup, Stance

    clock = FixedClock(datetime.now(UTC) - timedelta(days=10))
    with unit_of_work(sessions) as session:
        accounts = AccountService(session, clock=clock)
        editor = accounts.create_user(email="editor@bench.example", name="Editor", role=Role.EDITOR)
        for n in range(50):
            accounts.create_user(
                email=f"p{n}@bench.example", name=f"P {n}", group=StakeholderGroup.ACADEMIA
            )
        service = ConsultationService(session, clock=clock)
        markdown = "\n\n".join(f"Paragraph {n} of the draft." for n in range(10))
        consultation = service.create(
            editor=editor, slug="bench-campaigns", title="Campaigns", markdown=markdown,
            topics=("bench",), opens_at=clock.now(), closes_at=clock.now() + timedelta(days=60),
        )  # fmt: skip
        service.set_status(consultation, ConsultationStatus.OPEN, editor=editor)
    ids: dict[int, int] = {}
    with Progress() as progress:
        task = progress.add_task("Posting comments", total=len(comments))
        for start in range(0, len(comments), 100):
            with unit_of_work(sessions) as session:
                service = ConsultationService(session, clock=clock)
                consultation = service.get("bench-campaigns")
                keys = [p.key for p in service.paragraphs(service.version(consultation))]
                people = list(
                    session.scalars(
                        select(User).where(User.email.like("p%@bench.example")).order_by(User.id)
                    )
                )
                for index, (corpus_id, body) in enumerate(comments[start : start + 100]):
                    data = NewComment(
                        body=body, stance=Stance.SUPPORT, attribution=Attribution.GROUP
                    )
                    author = people[(start + index) % 50]
                    key = keys[(start + index) % 10]
                    ids[corpus_id] = service.post_comment(consultation, key, data, author=author).id
            progress.update(task, advance=len(comments[start : start + 100]))
    return ids


def stored(database_url: str, comments: list[tuple[int, str]]) -> bool:
    from sqlalchemy import select

    from consultations import campaigns
    from consultations.models import Consultation
    from core.clock import SystemClock
    from core.db import make_engine, make_sessionmaker, unit_of_work
    from core.migrations import upgrade as migrate

    engine = make_engine(database_url)
    migrate(engine)
    sessions = make_sessionmaker(engine)
    ids = post(sessions, comments)
    done = 0

    def place() -> None:
        nonlocal done
        done = campaigns.assign_pending(sessions, SystemClock().now)

    seconds = timed(f"worker: assign_pending, {len(comments)} events", place)
    print(f"  {seconds / max(done, 1) * 1000:.2f} ms a comment ({done} placed)")
    with unit_of_work(sessions) as session:
        slug = Consultation.slug == "bench-campaigns"
        consultation_id = session.scalar(select(Consultation.id).where(slug))
        placed = campaigns.campaign_of(session, consultation_id or 0)
    engine.dispose()
    expected = campaigns.group((ids[cid], body) for cid, body in comments)
    same = placed == expected
    print(f"  the same groups as group(): {same}")
    return same


def main() -> int:
    from tests.corpora import campaign_corpus

    options = parse_options()
    comments, truth = campaign_corpus(13, options.campaigns, options.others, options.quoting)
    fast = in_memory(comments, truth, options.subset)
    with (
        tempfile.TemporaryDirectory(prefix="roundtable-bench-") as folder,
        temporary_database(options.postgres, Path(folder), "bench_campaigns") as database_url,
    ):
        label = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
        print(f"-- {label}")
        same = stored(database_url, comments)
    return 0 if fast and same else 1


if __name__ == "__main__":
    sys.exit(main())
