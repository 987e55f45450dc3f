"""Benchmark: catching up after a long offline period.

An edge holds 200,000 logged scans the hub has never seen. The hub runs as a separate
process (``borderpass hub serve``) on loopback; this process plays the edge with its
real sync client (``edge.sync.SyncClient``: framed, deflated, signed batches; the hub
verifies each request, the hash chain and the head signature, stores the events and
commits before it acknowledges). Timed: from the first push to the acknowledgement of
the last event. Baseline, in the same run: a raw SQLite ``executemany`` of the same
rows into the same schema (the hub's ``events`` table with its indexes), in one
transaction, with the same durability settings.

The last line is one JSON object: ``events_per_s``, ``raw_insert_per_s``, ``ratio``.
Targets: at least 50,000 events per second end to end and at least 25% of the raw
insert rate.

    .venv/bin/python bench/sync.py [--events 200000] [--batch 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from borderpass.clock import SystemClock
from borderpass.sqlite import Database, Transaction
from edge import store as edge_store
from edge.config import load_config as load_edge_config
from edge.enrolment import enrol
from edge.hublink import AiohttpTransport, HubLink
from edge.identity import load_edge_key
from edge.state import load_state
from edge.sync import SyncClient, SyncSettings
from hub.store import schema
from hub.store import sync as hub_store
from protocol.events import GENESIS, ScanEvent, event_hash, qr_digest
from protocol.sync.ingest import AcceptedEvent

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from procs import Service, call, free_port, hub_init

SITES = ("dongxing-port", "jiangping-park")


def make_log(n: int, start_ms: int) -> list[tuple[ScanEvent, bytes, bytes]]:
    """n chained events as an edge logs them: (event, encoded bytes, hash)."""
    log, prev = [], GENESIS
    for seq in range(1, n + 1):
        worker = seq % 20_000
        event = ScanEvent(
            seq=seq, hlc=(start_ms + seq * 50) << 16, wall_ms=start_ms + seq * 50,
            prev_hash=prev, site="dongxing-port", direction="in" if seq % 2 else "out",
            verdict="allow", reasons=(), permit_id=f"P{worker:06d}", worker_id=f"VN{worker:07d}",
            employer_id=f"E{worker % 40:03d}", verified=True, trust_age_s=600,
            operator="gate-3", qr_digest=qr_digest(f"BP1:{worker}"),
        )  # fmt: skip
        encoded = event.encode()
        prev = event_hash(encoded)
        log.append((event, encoded, prev))
    return log


def fill_edge(data_dir: Path, log: list[tuple[ScanEvent, bytes, bytes]]) -> None:
    db = Database(data_dir / "edge.db", edge_store.migrate).open()
    try:
        for start in range(0, len(log), 5000):
            chunk = log[start : start + 5000]

            def insert(
                tx: Transaction, chunk: list[tuple[ScanEvent, bytes, bytes]] = chunk
            ) -> None:
                for event, encoded, digest in chunk:
                    edge_store.append_event(tx.conn, event, encoded, digest, (None, None))

            db.write_blocking(insert)
    finally:
        db.close()


def raw_insert_rate(rows: list[tuple[object, ...]], directory: Path) -> float:
    db = schema.open_database(directory / "raw.db", cache_mb=256)
    db.close()
    conn = sqlite3.connect(directory / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA cache_size = -262144")  # what the hub's writer has
    conn.execute(f"PRAGMA wal_autocheckpoint = {schema.CHECKPOINT_PAGES}")
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(hub_store.EVENT_INSERT, rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return len(rows) / elapsed


async def catch_up(edge_dir: Path, hub_url: str, batch: int, total: int) -> float:
    config = load_edge_config(edge_dir, env={})
    db = Database(edge_dir / "edge.db", edge_store.migrate).open()
    try:
        state = await db.write(lambda tx: load_state(tx.conn))
        status = await db.read(edge_store.read_sync_state)
        key = load_edge_key(config.key_path)
        transport = AiohttpTransport(hub_url, 120)
        link = HubLink(transport, state.identity.root_public_key)
        settings = SyncSettings(push_interval_s=3600, pull_interval_s=3600, batch_events=batch)
        assert status.edge_id is not None
        client = SyncClient(db, state, SystemClock(), key, status.edge_id, link, settings)
        started = time.perf_counter()
        await client.start()  # its first push round starts at once and runs to the end
        result = await client.sync_now(timeout_s=600)
        elapsed = time.perf_counter() - started
        acked = (await db.read(edge_store.read_sync_state)).acknowledged_seq
        await client.stop()
        await transport.close()
        if acked != total:
            raise SystemExit(f"only {acked} of {total} events acknowledged: {result}")
        return total / elapsed
    finally:
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        token = hub_init(root / "hub")
        hub = Service(["hub", "serve", "--data", str(root / "hub")], free_port(),
                      root / "hub.log")  # fmt: skip
        hub.env["BORDERPASS_HUB_ADVERTISE"] = "false"
        hub.start()
        try:
            _, made = call("POST", hub.url + "/api/edges", {"site_id": SITES[0]}, token)
            edge_dir = root / "edge"
            config = load_edge_config(edge_dir, env={})
            asyncio.run(enrol(config, hub.url, made["token"], int(time.time() * 1000)))
            print(f"building an edge log of {args.events:,} events ...", file=sys.stderr)
            log = make_log(args.events, int(time.time() * 1000) - args.events * 50)
            fill_edge(edge_dir, log)
            rate = asyncio.run(catch_up(edge_dir, hub.url, args.batch, args.events))
        finally:
            hub.stop()
        now = int(time.time() * 1000)
        rows = [
            hub_store.EventRow("edge-x", AcceptedEvent(e, b, h), e.wall_ms, False, now).values()
            for e, b, h in log
        ]
        raw = raw_insert_rate(rows, root)
    ratio = rate / raw
    print(f"catch-up, edge to hub over loopback: {rate:>12,.0f} events/s")
    print(f"raw executemany, same rows, schema:  {raw:>12,.0f} events/s")
    print(f"ratio (end to end / raw insert):     {ratio:>12.2f}   (target >= 0.25)")
    print(json.dumps({"events_per_s": round(rate), "raw_insert_per_s": round(raw),
                      "ratio": round(ratio, 3)}))  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
