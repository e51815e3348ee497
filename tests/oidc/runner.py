"""Start the test OpenID Connect provider (`tests/oidc/provider.py`) as a separate process
and drive it: choose who is signed in there, make it misbehave, stop it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 20.0


@dataclass
class RunningProvider:
    issuer: str
    process: subprocess.Popen[bytes]

    def control(self, *, user: dict[str, Any] | None = None, misbehave: str | None = None) -> None:
        """Who is signed in at the provider (None: its default person), and how it misbehaves."""
        response = httpx.post(
            f"{self.issuer}/_control", json={"user": user, "misbehave": misbehave}, timeout=5
        )
        response.raise_for_status()

    def reset(self) -> None:
        self.control()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def closed_port_url() -> str:
    """The URL of a local port nobody listens on: a provider that is down."""
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextmanager
def running_provider(clients: list[dict[str, Any]]) -> Iterator[RunningProvider]:
    """A provider process serving on a socket we bind first, so there is no port race;
    `clients` are its registered clients: {client_id, client_secret, redirect_uris}."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    issuer = f"http://127.0.0.1:{listener.getsockname()[1]}"
    command = [
        sys.executable,
        "-m",
        "tests.oidc.provider",
        f"--fd={listener.fileno()}",
        f"--issuer={issuer}",
        f"--clients={json.dumps(clients)}",
    ]
    process = subprocess.Popen(command, cwd=ROOT, pass_fds=[listener.fileno()])  # noqa: S603
    listener.close()  # the child has its own copy
    provider = RunningProvider(issuer, process)
    try:
        _wait_until_ready(provider)
        yield provider
    finally:
        provider.stop()


def _wait_until_ready(provider: RunningProvider) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if provider.process.poll() is not None:
            raise RuntimeError(f"the test OIDC provider exited with {provider.process.returncode}")
        try:
            httpx.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=1)
        except httpx.HTTPError:
            time.sleep(0.05)
            continue
        return
    raise RuntimeError(f"the test OIDC provider did not start within {STARTUP_SECONDS} s")
