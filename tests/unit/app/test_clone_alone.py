"""A clone with nothing beside it runs the demo: no ../shared, no corpora, only what git holds.

The copy is what a commit of the tracked files would hold right now (`git stash create`, or
HEAD when nothing changed), so a data file someone forgot to `git add` fails this test.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
#: Settings that would point the clone at files outside it.
OUTSIDE = {"DATABASE_URL", "SEARCH_INDEX_DIR", "ROUNDTABLE_VAR_DIR", "ROUNDTABLE_CORPORA"}


def _git(*args: str) -> bytes:
    command = ["git", "-C", str(ROOT), *args]
    return subprocess.run(command, check=True, capture_output=True).stdout  # noqa: S603 - git, our arguments


def export_tracked_files(destination: Path) -> None:
    """The tracked files as they are in the working tree, without the repository's history."""
    revision = _git("stash", "create").decode().strip() or "HEAD"
    with tarfile.open(fileobj=io.BytesIO(_git("archive", "--format=tar", revision))) as archive:
        archive.extractall(destination, filter="data")


def test_roundtable_demo_runs_in_a_clone_with_nothing_beside_it(tmp_path: Path) -> None:
    clone = tmp_path / "roundtable"
    export_tracked_files(clone)
    assert [path.name for path in tmp_path.iterdir()] == ["roundtable"]  # no ../shared
    env = {key: value for key, value in os.environ.items() if key not in OUTSIDE}
    env |= {"PYTHONPATH": str(clone), "BASE_URL": "", "HOST": "", "PORT": "8123"}

    def roundtable(*args: str) -> str:
        command = [sys.executable, "-m", "app.cli", *args]
        done = subprocess.run(  # noqa: S603 - our own CLI, with arguments of our own
            command, cwd=clone, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    where = subprocess.run(
        [sys.executable, "-c", "import app.demo; print(app.demo.__file__)"],
        cwd=clone, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(clone), "the clone's code runs, not ours"

    roundtable("db", "upgrade")
    first = roundtable("demo")
    second = roundtable("demo")

    assert (clone / "var" / "roundtable.db").is_file()
    assert first.startswith("Loaded the Roundtable demo.")
    assert "http://127.0.0.1:8123/consultations/privacy-partitioning-encryption" in first
    assert "http://127.0.0.1:8123/consultations/fragmentatsiia-elektronni-komunikatsii" in first
    assert "[uk, open, 19 comments]" in first
    assert second.startswith("The demo is already loaded")
    for output in (first, second):
        assert "Accounts (password “roundtable-demo” for all):" in output
        assert "editor@demo.roundtable.example" in output
        assert "lukas.meier@demo.roundtable.example" in output
        assert output.rstrip().endswith("Open http://127.0.0.1:8123/")
