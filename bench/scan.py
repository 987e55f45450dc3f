"""Benchmark: durable scans per second through the edge's HTTP API, and the verdict rate.

Starts a real edge (``borderpass edge serve``) as a separate process on loopback, then
drives ``POST /api/scan`` from this process with 1, 16 and 64 concurrent keep-alive
connections (a lean HTTP/1.1 client, so that the edge's cost is what is measured), each
sending its next scan as soon as the previous verdict came back (a verdict is only sent
after the scan is committed with ``synchronous=FULL``). Then, in this process, times
``protocol.verdict.decide`` alone and the scan pipeline without HTTP.

The last line is one JSON object: ``scans_per_s``, ``p50_ms`` and ``p99_ms`` at 16
clients, and ``inproc_per_s`` (verdicts per second in-process). Targets on a 2-core
machine: at least 1,000 durable scans per second and p99 under 20 ms at 16 clients.

    .venv/bin/python bench/scan.py [--seconds 4] [--clients 1,16,64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from borderpass.clock import ManualClock
from borderpass.sqlite import Database
from edge import store
from edge.provision import provision
from edge.scanner import Scanner, ScanRequest
from edge.state import load_state
from protocol.credential import encode_permit
from protocol.days import start_of_day_ms
from protocol.keys import SigningKey
from protocol.permit import Permit, Sex, Worker
from protocol.refs import ReferenceData
from protocol.sites import default_site_map
from protocol.trust import IssuerKey, TrustList, encode_trust_bundle
from protocol.verdict import Direction, TrustAgePolicy, decide

TODAY = date(2026, 11, 2)
NOW_MS = start_of_day_ms(TODAY) + 10 * 3600 * 1000
CLOCK = "accelerated:start=2026-11-02T02:00:00Z,speed=1"
SITE = "dongxing-port"


@dataclass(frozen=True)
class Fixture:
    trust: TrustList
    bundle: bytes
    qrs: list[str]


def make_fixture(permits: int = 200) -> Fixture:
    root, issuer = SigningKey.generate(), SigningKey.generate()
    issued = start_of_day_ms(TODAY - timedelta(days=5)) // 1000
    key = IssuerKey(issuer.public_key, issued - 86400, issued + 3 * 365 * 86400, ("dongxing",))
    trust = TrustList(version=1, issued_at=issued, keys=(key,))
    qrs = []
    for i in range(permits):
        worker = Worker.create(f"Nguyễn Văn {i}", f"VN-{i:05d}", date(1990, 1, 1), Sex.MALE, "阮文")
        permit = Permit(
            permit_id=f"P-{i:05d}",
            worker=worker,
            employer_id="EMP-1",
            zones=("dongxing", "dongxing/jiangping"),
            valid_from=TODAY - timedelta(days=5),
            valid_until=TODAY + timedelta(days=80),
            health_cert_until=TODAY + timedelta(days=80),
            insurance_until=TODAY + timedelta(days=80),
            single_exit=False,
            issued_at=issued,
            key_id=issuer.key_id,
        )
        qrs.append(encode_permit(permit, issuer))
    return Fixture(trust, encode_trust_bundle(root.public_key, trust.sign(root)), qrs)


@dataclass(frozen=True)
class Run:
    clients: int
    scans: int
    seconds: float
    latencies_ms: list[float]

    @property
    def per_s(self) -> float:
        return self.scans / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def scan_requests(qrs: list[str]) -> list[bytes]:
    """``POST /api/scan`` requests, encoded once (HTTP/1.1, keep-alive)."""
    requests = []
    for qr in qrs:
        body = json.dumps({"qr": qr, "direction": "check"}).encode()
        head = (
            "POST /api/scan HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        requests.append(head.encode() + body)
    return requests


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> None:
    """Send one request and read its whole answer; refuse anything but 200."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"the edge answered {head[:60]!r}")
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            await reader.readexactly(int(value))
            return
    raise RuntimeError("no Content-Length in the answer")


async def drive(url: str, qrs: list[str], clients: int, seconds: float) -> Run:
    """``clients`` keep-alive connections, each sending its next scan once the previous
    verdict came back. A lean client (like wrk): the edge's cost is what is measured."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    requests = scan_requests(qrs)
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            i = offset
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                await exchange(reader, writer, requests[i % len(requests)])
                latencies.append((time.perf_counter() - started) * 1000)
                i += clients
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    return Run(clients, len(latencies), time.perf_counter() - started, latencies)


async def start_edge(data_dir: Path) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "borderpass.cli", "edge", "serve",
        "--data", str(data_dir), "--port", "0", "--clock", CLOCK,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
    if not line.startswith(b"Edge listening on "):
        raise RuntimeError(f"the edge did not start: {line!r}")
    return process, line.decode().split()[-1]


def verdict_rate(fixture: Fixture, seconds: float) -> float:
    site = default_site_map().site(SITE)
    refs = ReferenceData()
    count, deadline = 0, time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        for qr in fixture.qrs:
            decide(qr, site, Direction.IN, NOW_MS, fixture.trust, refs, NOW_MS, TrustAgePolicy())
        count += len(fixture.qrs)
    return count / (time.perf_counter() - started)


async def pipeline_rate(data_dir: Path, fixture: Fixture, seconds: float) -> float:
    """Durable scans per second through the scan pipeline without HTTP (64 at a time)."""
    db = Database(data_dir / "edge.db", store.migrate).open()
    try:
        state = await db.write(lambda tx: load_state(tx.conn))
        scanner = Scanner(db, state, ManualClock(NOW_MS), TrustAgePolicy())
        count, deadline = 0, time.perf_counter() + seconds

        async def worker(offset: int) -> None:
            nonlocal count
            i = offset
            while time.perf_counter() < deadline:
                await scanner.scan(ScanRequest(fixture.qrs[i % 200], Direction.CHECK, "bench"))
                count += 1
                i += 64

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(64)))
        return count / (time.perf_counter() - started)
    finally:
        db.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per concurrency level")
    parser.add_argument("--clients", default="1,16,64", help="concurrency levels")
    args = parser.parse_args()
    fixture = make_fixture()
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        http_dir, local_dir = Path(tmp) / "http", Path(tmp) / "local"
        provision(http_dir, SITE, fixture.bundle, NOW_MS)
        provision(local_dir, SITE, fixture.bundle, NOW_MS)
        process, url = await start_edge(http_dir)
        runs = {}
        try:
            await drive(url, fixture.qrs, 4, 0.5)  # warm up
            for clients in (int(c) for c in args.clients.split(",")):
                run = await drive(url, fixture.qrs, clients, args.seconds)
                runs[clients] = run
                print(
                    f"http  clients={clients:<3} scans/s={run.per_s:8.0f}  "
                    f"p50={run.percentile(0.50):6.2f} ms  p99={run.percentile(0.99):6.2f} ms  "
                    f"mean={statistics.fmean(run.latencies_ms):6.2f} ms  n={run.scans}"
                )
        finally:
            process.terminate()
            await process.wait()
        inproc = verdict_rate(fixture, 2.0)
        print(f"in-process verdicts (decide) per second: {inproc:8.0f}")
        pipeline = await pipeline_rate(local_dir, fixture, 2.0)
        print(f"in-process durable scans per second (no HTTP, 64 at a time): {pipeline:8.0f}")
    at16 = runs.get(16) or next(iter(runs.values()))
    summary = {
        "scans_per_s": round(at16.per_s, 1),
        "p50_ms": round(at16.percentile(0.50), 3),
        "p99_ms": round(at16.percentile(0.99), 3),
        "inproc_per_s": round(inproc, 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main())
