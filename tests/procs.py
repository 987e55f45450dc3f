"""Real ``borderpass`` processes for end-to-end tests (importable as ``procs``): a hub
and edges started with the command line a user types, on free loopback ports, stopped
politely or with ``kill -9``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PYTHON = sys.executable


def borderpass(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> str:
    """Run one ``borderpass`` command to completion; return its standard output."""
    done = subprocess.run(
        [PYTHON, "-m", "borderpass.cli", *args],
        capture_output=True, text=True, timeout=timeout, env=env, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"borderpass {' '.join(args)}: {done.stderr or done.stdout}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port}")


@dataclass
class Service:
    """A long-running ``borderpass ... serve`` process."""

    args: list[str]
    port: int
    log: Path
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Service:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [PYTHON, "-m", "borderpass.cli", *self.args, "--port", str(self.port)],
                stdout=out, stderr=subprocess.STDOUT, env=self.env,
            )  # fmt: skip
        wait_for_port(self.port)
        return self

    def kill(self) -> None:
        """``kill -9``: no cleanup, no flush, no goodbye."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


def call(method: str, url: str, body: Any = None, token: str | None = None,
         timeout: float = 30) -> tuple[int, Any]:  # fmt: skip
    """One JSON HTTP call; (status, parsed body)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def hub_init(data: Path) -> str:
    """``borderpass hub init``; return the admin token it prints once."""
    out = borderpass("hub", "init", "--data", str(data))
    return out.strip().splitlines()[-1]
