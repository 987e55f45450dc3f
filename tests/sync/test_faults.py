"""Sync through a network that drops, delays, duplicates, truncates and reorders
requests and replies, over many random schedules (Hypothesis): once the link heals,
the hub holds exactly the union of the edges' logs: nothing lost, nothing twice,
every chain intact.

Real servers on loopback: the hub, two edges, and a fault-injecting proxy between them
(``tests/faults/proxy.py``). Each example starts from empty data directories.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from pathlib import Path

import pytest
from factories import NOW_MS
from faults.proxy import Fate, FaultProxy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synckit import EdgeServer, HubServer

from borderpass.clock import ManualClock
from protocol.events import GENESIS, chain_breaks

PERMIT = {
    "worker": {"name": "Trần Văn Nam", "border_pass_no": "VN-BP-0042",
               "birth_date": "1990-01-31", "sex": "M"},
    "employer_id": "E-JP-01",
    "zones": ["dongxing/jiangping"],
    "valid_from": "2026-11-02",
    "valid_until": "2027-03-31",
    "health_cert_until": "2027-06-30",
    "insurance_until": "2027-06-30",
}  # fmt: skip
SITES = ("dongxing-port", "jiangping-park")


def hub_log(database: Path, edge_id: str) -> list[bytes]:
    conn = sqlite3.connect(database)
    try:
        rows = conn.execute("SELECT body FROM events WHERE edge_id = ? ORDER BY seq", (edge_id,))
        return [bytes(body) for (body,) in rows]
    finally:
        conn.close()


def edge_state(database: Path) -> tuple[str, list[bytes]]:
    conn = sqlite3.connect(database)
    try:
        edge_id = conn.execute("SELECT value FROM sync_state WHERE key = 'edge_id'").fetchone()
        bodies = [bytes(b) for (b,) in conn.execute("SELECT body FROM events ORDER BY seq")]
        return edge_id[0].strip('"'), bodies
    finally:
        conn.close()


async def scenario(root: Path, fates: list[Fate], scans: list[int]) -> None:
    clock = ManualClock(NOW_MS)
    hub = await HubServer.start(root / "hub", clock)
    proxy = FaultProxy(hub.url, fates)
    edges: list[EdgeServer] = []
    try:
        qr = (await hub.issue(PERMIT))["qr"]
        await proxy.start()
        for site in SITES:
            edge = await EdgeServer.enrol(root / site, hub, site, clock, hub_url=proxy.url)
            edges.append(edge)
        for count in scans:  # rounds: some scans at every edge, then a faulty sync
            for edge in edges:
                for i in range(count):
                    await edge.scan(qr, ("in", "out", "check")[i % 3])
            clock.advance(60_000)
            await asyncio.gather(*(edge.sync() for edge in edges))
        proxy.heal()
        for _ in range(30):
            await asyncio.gather(*(edge.sync() for edge in edges))
            statuses = [await edge.status() for edge in edges]
            if all(s["events"]["unacknowledged"] == 0 for s in statuses):
                break
        for edge in edges:
            edge_id, logged = edge_state(edge.config.database_path)
            held = hub_log(hub.config.database_path, edge_id)
            assert held == logged, f"{edge_id}: hub {len(held)} events, edge {len(logged)}"
            assert chain_breaks(GENESIS, 0, held) is None
        assert sum(proxy.seen.values()) > 0
    finally:
        for edge in edges:
            await edge.stop()
        await proxy.stop()
        await hub.stop()


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    fates=st.lists(st.sampled_from(list(Fate)), min_size=1, max_size=40),
    scans=st.lists(st.integers(0, 6), min_size=1, max_size=5),
)
def test_any_fault_schedule_ends_with_the_union_of_the_logs_at_the_hub(
    fates: list[Fate], scans: list[int]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(scenario(Path(tmp), fates, scans))


@pytest.mark.slow
def test_every_fault_at_least_once() -> None:
    """A fixed schedule with every fate, so no kind of fault goes untested by chance."""
    fates = [fate for fate in Fate for _ in range(2)]
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(scenario(Path(tmp), fates, [3, 2, 4, 1]))
