"""Durability: the edge as a real process, many concurrent scans, ``kill -9`` at random
moments, restart. Every scan that received a verdict is in the log with the verdict it
was given, sequence numbers are contiguous and the hash chain is intact."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from edgekit import assert_chain_intact, make_data_dir, open_database
from factories import Issuer

from edge import store
from protocol.events import decode_event, qr_digest

pytestmark = pytest.mark.slow

CLOCK = "accelerated:start=2026-11-02T04:00:00Z,speed=1"
CLIENTS = 24
ROUNDS = 4


@asynccontextmanager
async def edge_process(data_dir: Path) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "borderpass.cli", "edge", "serve",
        "--data", str(data_dir), "--port", "0", "--clock", CLOCK,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=30)
        assert line.startswith(b"Edge listening on "), line
        yield process, line.decode().split()[-1]
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def scan_until_refused(
    url: str, qrs: list[str], answered: dict[int, tuple[str, str]], rng: random.Random
) -> None:
    """Scan until the server goes away; remember every verdict that came back."""
    async with aiohttp.ClientSession() as session:
        while True:
            qr = rng.choice(qrs)
            direction = rng.choice(["in", "out", "check"])
            try:
                async with session.post(
                    f"{url}/api/scan", json={"qr": qr, "direction": direction}
                ) as response:
                    if response.status != 200:
                        raise AssertionError(await response.text())
                    result = await response.json()
            except (TimeoutError, aiohttp.ClientError):
                return
            assert result["seq"] not in answered
            answered[result["seq"]] = (qr, result["verdict"])


async def test_every_answered_scan_survives_kill_9(tmp_path: Path, issuer: Issuer) -> None:
    make_data_dir(tmp_path, issuer, "dongxing-port")
    rng = random.Random(20261102)
    qrs = [issuer.issue(permit_id=f"P-{i:04d}", single_exit=i % 2 == 0) for i in range(40)]
    qrs += ["not a permit", "BP1:GARBAGE"]
    answered: dict[int, tuple[str, str]] = {}
    for _ in range(ROUNDS):
        async with edge_process(tmp_path) as (process, url):
            clients = [
                asyncio.create_task(scan_until_refused(url, qrs, answered, rng))
                for _ in range(CLIENTS)
            ]
            await asyncio.sleep(rng.uniform(0.3, 1.2))
            process.send_signal(signal.SIGKILL)
            await asyncio.wait_for(asyncio.gather(*clients), timeout=30)
    db = open_database(tmp_path)
    try:
        stored = db.read_blocking(lambda conn: store.events_after(conn, 0, 10**9))
    finally:
        db.close()
    encoded = [e.body for e in stored]
    assert_chain_intact(encoded)
    events = {e.seq: e for e in map(decode_event, encoded)}
    assert sorted(events) == list(range(1, len(events) + 1))
    assert len(answered) > 100, "too few scans to say anything"
    for seq, (qr, verdict) in answered.items():
        assert events[seq].qr_digest == qr_digest(qr)
        assert events[seq].verdict == verdict
