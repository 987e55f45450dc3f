"""The scan log: append-only in SQLite itself, recovered at restart, group-committed,
and memory undone when a write does not commit."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from edgekit import Edge, StartEdge, assert_chain_intact, make_data_dir, open_database
from factories import NOW_MS, Issuer

from borderpass.clock import ManualClock
from borderpass.sqlite import Transaction
from edge import store
from edge.app import create_app
from edge.config import EdgeConfig
from edge.records import SyncKey
from edge.scanner import ScanRequest
from protocol.events import decode_event, event_hash
from protocol.hlc import HlcTimestamp
from protocol.verdict import Direction


async def test_an_event_is_stored_as_its_exact_encoded_bytes(edge: Edge, issuer: Issuer) -> None:
    result = await edge.scan(issuer.issue(), "in", operator="officer-7")
    [body] = await edge.log()
    event = decode_event(body)
    assert event.seq == result["seq"] == 1
    assert (event.site, event.direction, event.verdict) == ("dongxing-port", "in", "allow")
    assert (event.permit_id, event.worker_id, event.employer_id) == (
        "P-2026-000001",
        "VN-BP-0001",
        "EMP-JP-001",
    )
    assert event.verified and event.operator == "officer-7"
    assert event.wall_ms == NOW_MS and event.trust_age_s == 0
    assert HlcTimestamp.unpack(event.hlc) == HlcTimestamp(NOW_MS, 0)
    assert edge.services.state.head.hash == event_hash(body)


async def test_the_hybrid_clock_never_goes_back(edge: Edge, issuer: Issuer) -> None:
    await edge.scan(issuer.issue(), "in")
    edge.clock.advance(-60_000)  # the wall clock was set back a minute
    await edge.scan(issuer.issue(), "check")
    first, second = (decode_event(b) for b in await edge.log())
    assert second.hlc > first.hlc
    assert second.wall_ms == NOW_MS - 60_000


def test_sqlite_refuses_to_change_the_log(tmp_path: Path, issuer: Issuer) -> None:
    make_data_dir(tmp_path, issuer, "dongxing-port")
    conn = sqlite3.connect(tmp_path / "edge.db", isolation_level=None)
    genesis = bytes(32)
    row = (1, 1, 1, genesis, b"h" * 32, b"body", "in", "allow", "[]", "edge", 1, "s", bytes(16))
    insert = (
        "INSERT INTO events (seq, hlc, wall_ms, prev_hash, hash, body, direction, verdict, "
        "reasons, operator, verified, site, qr_digest) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    conn.execute(insert, row)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE events SET verdict = 'deny'")
    with pytest.raises(sqlite3.IntegrityError, match="acknowledged"):
        conn.execute("DELETE FROM events")
    with pytest.raises(sqlite3.IntegrityError, match="continue the chain"):
        conn.execute(insert, (3, *row[1:4], b"x" * 32, *row[5:]))
    with pytest.raises(sqlite3.IntegrityError, match="continue the chain"):
        conn.execute(insert, (2, *row[1:3], genesis, b"x" * 32, *row[5:]))
    assert conn.execute("SELECT COUNT(*), MAX(verdict) FROM events").fetchone() == (1, "allow")


async def test_only_acknowledged_old_events_are_pruned_and_the_head_stays(
    edge: Edge, issuer: Issuer
) -> None:
    for _ in range(5):
        await edge.scan(issuer.issue(), "check")
        edge.clock.advance(3600_000)
    db = edge.services.db
    cutoff = NOW_MS + 10 * 3600_000
    assert await db.write(lambda tx: store.prune_acknowledged(tx.conn, cutoff)) == 0
    await db.write(lambda tx: store.write_sync_state(tx.conn, {SyncKey.ACKNOWLEDGED_SEQ: 5}))
    assert await db.write(lambda tx: store.prune_acknowledged(tx.conn, NOW_MS + 2 * 3600_000)) == 2
    assert await db.write(lambda tx: store.prune_acknowledged(tx.conn, cutoff)) == 2
    [kept] = await edge.log()
    assert decode_event(kept).seq == 5
    result = await edge.scan(issuer.issue(), "check")
    assert result["seq"] == 6
    status = await (await edge.client.get("/api/status")).json()
    assert status["events"] == {
        "logged": 6,
        "stored": 2,
        "head_seq": 6,
        "acknowledged_seq": 5,
        "unacknowledged": 1,
    }


async def test_a_restart_continues_the_chain(start_edge: StartEdge, issuer: Issuer) -> None:
    edge = await start_edge()
    await edge.scan(issuer.issue(), "in")
    await edge.scan(issuer.issue(), "out")
    await edge.client.close()
    clock = ManualClock(NOW_MS)  # the same instant: the clock must tick past the log
    app = create_app(EdgeConfig(data_dir=edge.data_dir), clock)
    async with TestClient(TestServer(app)) as client:
        response = await client.post("/api/scan", json={"qr": issuer.issue(), "direction": "in"})
        result = await response.json()
        assert (result["seq"], result["reasons"]) == (3, ["used_up"])  # the exit survived
    db = open_database(edge.data_dir)
    try:
        encoded = [e.body for e in db.read_blocking(lambda c: store.events_after(c, 0, 100))]
    finally:
        db.close()
    assert_chain_intact(encoded)
    hlcs = [decode_event(b).hlc for b in encoded]
    assert hlcs == sorted(hlcs) and len(set(hlcs)) == 3


async def test_concurrent_scans_share_commits(edge: Edge, issuer: Issuer) -> None:
    db = edge.services.db
    before = db.commits
    qrs = [issuer.issue(permit_id=f"P-{i}") for i in range(64)]
    results = await asyncio.gather(*(edge.scan(qr, "in") for qr in qrs))
    assert sorted(r["seq"] for r in results) == list(range(1, 65))
    assert db.commits - before < 64
    assert_chain_intact(await edge.log())


async def test_a_scan_that_does_not_commit_leaves_memory_as_it_was(
    edge: Edge, issuer: Issuer
) -> None:
    services = edge.services
    qr = issuer.issue()
    head = services.state.head
    request = ScanRequest(qr, Direction.OUT, "edge")

    def scan_then_fail(tx: Transaction) -> None:
        record = services.scanner.log_scan(tx, request)
        assert record.event.seq == 1
        assert services.state.refs.used_at("P-2026-000001") == NOW_MS
        raise RuntimeError("disk trouble after the append")

    with pytest.raises(RuntimeError, match="disk trouble"):
        await services.db.write(scan_then_fail)
    assert services.state.head == head
    assert services.state.refs.used_at("P-2026-000001") is None
    assert await edge.log() == []
    again = await edge.scan(qr, "out")
    assert (again["seq"], again["reasons"]) == (1, [])
    assert_chain_intact(await edge.log())
