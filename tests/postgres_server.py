"""A PostgreSQL server of a test's own, from Debian's binaries, that the test can stop and
start again (the shared one at 127.0.0.1:5432 must never be stopped under other tests)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.smtp import free_port

SERVER_USER = "postgres"  # PostgreSQL refuses to run as root


class PostgresServer:
    """`stop()` and `start()` the server; `url` stays the same across restarts."""

    def __init__(self, bin_dir: Path, data: Path, port: int) -> None:
        self.bin_dir = bin_dir
        self.data = data
        self.port = port
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)  # noqa: S603 - our own fixed arguments

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def start(self) -> None:
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-w", "-l",
                  str(self.data / "server.log"), "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A running server in a temporary folder on a free port, removed afterwards. Skips when
    the binaries are missing (fails under CI)."""
    bin_dir = _binaries()
    if bin_dir is None:
        message = "no PostgreSQL binaries under /usr/lib/postgresql/*/bin"
        if IN_CI:
            pytest.fail(message + " (CI=true: they are required)", pytrace=False)
        pytest.skip(message)
    folder = Path(tempfile.mkdtemp(prefix="roundtable-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, SERVER_USER)
    server = PostgresServer(bin_dir, folder / "data", free_port())
    try:
        server.init()
        server.start()
        yield server
    finally:
        with suppress(subprocess.CalledProcessError):  # already stopped
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
