"""The hub and the edges as separate processes of the ``borderpass`` program, each
with its own data folder and log file.

:func:`run_once` runs a command to its end (``hub init``, ``edge enrol``) and returns
what it printed. :class:`Services` keeps the long-running ones (``hub serve``, ``edge
serve``): it starts each and polls its HTTP address until it answers, restarts one
with other settings, and stops them all (SIGTERM, then SIGKILL after a grace period)
when the demo ends, however it ends. On Linux a child also gets SIGTERM if the demo
itself dies (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import aiohttp

from .netns import Namespace

PROGRAM = (sys.executable, "-m", "borderpass.cli")
STOP_GRACE_S = 10.0
READY_TIMEOUT_S = 60.0
PR_SET_PDEATHSIG = 1


class ProcessFailed(RuntimeError):
    """A process exited with an error, or never became ready; the message has the end
    of its output."""


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    """What the demo calls it, e.g. ``edge kec-park``; also its log file's name."""
    args: tuple[str, ...]
    """The ``borderpass`` program's arguments."""
    env: Mapping[str, str] = field(default_factory=dict)
    netns: Namespace | None = None

    def argv(self) -> list[str]:
        prefix = self.netns.exec_prefix() if self.netns else []
        return [*prefix, *PROGRAM, *self.args]

    def environment(self) -> dict[str, str]:
        """The demo's environment without any ``BORDERPASS_*`` setting of the user's
        (the demo sets its own), plus this command's."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("BORDERPASS_")}
        return {**base, "PYTHONUNBUFFERED": "1", **self.env}

    def log_name(self) -> str:
        return self.name.replace(" ", "-") + ".log"


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


async def run_once(command: Command, log_dir: Path, timeout_s: float = 120.0) -> str:
    """Run to the end; its output goes to the log too. Raise :class:`ProcessFailed`."""
    process = await asyncio.create_subprocess_exec(
        *command.argv(), env=command.environment(), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout_s)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise ProcessFailed(f"{command.name}: no answer in {timeout_s:.0f} s") from None
    text, errors = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    _append(log_dir / command.log_name(), text + errors)
    if process.returncode != 0:
        raise ProcessFailed(f"{command.name} failed ({process.returncode}): {errors.strip()}")
    return text


def _append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as log:
        log.write(text)


def _log_file(path: Path) -> BinaryIO:
    return open(path, "ab")  # handed to the child; the caller closes it


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when a server could listen there now (as aiohttp does: a port whose old
    connections linger in TIME_WAIT is free)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


@dataclass
class Running:
    command: Command
    process: asyncio.subprocess.Process
    log_path: Path
    ready_url: str
    headers: Mapping[str, str]


class Services:
    """The long-running processes; ``async with`` stops every one on the way out."""

    def __init__(self, log_dir: Path, session: aiohttp.ClientSession) -> None:
        self.log_dir, self.session = log_dir, session
        self.running: dict[str, Running] = {}

    async def __aenter__(self) -> Services:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.shield(self.stop_all())

    async def start(
        self, command: Command, ready_url: str, headers: Mapping[str, str] | None = None
    ) -> None:
        """Start it and wait until its HTTP address answers."""
        log_path = self.log_dir / command.log_name()
        with _log_file(log_path) as log:
            process = await asyncio.create_subprocess_exec(
                *command.argv(), env=command.environment(), stdin=asyncio.subprocess.DEVNULL,
                stdout=log, stderr=asyncio.subprocess.STDOUT, preexec_fn=_die_with_parent,
            )  # fmt: skip
        running = Running(command, process, log_path, ready_url, headers or {})
        self.running[command.name] = running
        await self._wait_ready(running)

    async def _wait_ready(self, running: Running) -> None:
        deadline = asyncio.get_running_loop().time() + READY_TIMEOUT_S
        while asyncio.get_running_loop().time() < deadline:
            if running.process.returncode is not None:
                code, output = running.process.returncode, _tail(running.log_path)
                raise ProcessFailed(f"{running.command.name} exited ({code}):\n{output}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                timeout = aiohttp.ClientTimeout(total=2)
                async with self.session.get(running.ready_url, headers=running.headers,
                                            timeout=timeout) as response:  # fmt: skip
                    if response.status < 500:
                        return
            await asyncio.sleep(0.1)
        raise ProcessFailed(f"{running.command.name} not ready after {READY_TIMEOUT_S:.0f} s:\n"
                            f"{_tail(running.log_path)}")  # fmt: skip

    async def stop(self, name: str) -> None:
        running = self.running.pop(name, None)
        if running is None or running.process.returncode is not None:
            return
        running.process.terminate()
        try:
            await asyncio.wait_for(running.process.wait(), STOP_GRACE_S)
        except TimeoutError:
            running.process.kill()
            await running.process.wait()

    async def restart(self, command: Command) -> None:
        """Stop the process of that name and start it again as ``command`` says."""
        old = self.running[command.name]
        await self.stop(command.name)
        await self.start(command, old.ready_url, old.headers)

    async def stop_all(self, names: Sequence[str] | None = None) -> None:
        """Stop these (default: all), edges before the hub: all at once."""
        chosen = list(self.running) if names is None else list(names)
        await asyncio.gather(*(self.stop(name) for name in chosen if name != "hub"))
        if "hub" in chosen:
            await self.stop("hub")

    def exited(self) -> list[str]:
        """Names of processes that died on their own."""
        return [n for n, r in self.running.items() if r.process.returncode is not None]
