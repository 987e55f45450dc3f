"""An edge and a hub, both real servers on loopback, syncing through the real code:
enrolment, the log pushed, revocations pulled, a verdict changed by them, the roster
reaching a park, a hub restored from an older copy refilled by the edge."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from factories import NOW_MS
from synckit import EdgeServer, HubServer

from borderpass.clock import ManualClock
from hub import backup
from hub.store import sync as hub_store

PERMIT = {
    "worker": {"name": "Nguyễn Thị Lan", "name_zh": "阮氏兰", "border_pass_no": "VN-BP-0001",
               "birth_date": "1995-04-12", "sex": "F"},
    "employer_id": "E-JP-01",
    "zones": ["dongxing/jiangping"],
    "valid_from": "2026-11-02",
    "valid_until": "2027-03-31",
    "health_cert_until": "2027-06-30",
    "insurance_until": "2027-06-30",
}  # fmt: skip


def hub_events(hub: HubServer) -> list[tuple[str, int, bytes]]:
    conn = sqlite3.connect(hub.config.database_path)
    try:
        rows = conn.execute("SELECT edge_id, seq, body FROM events ORDER BY edge_id, seq")
        return [(e, s, bytes(b)) for e, s, b in rows]
    finally:
        conn.close()


def edge_log(edge: EdgeServer) -> list[tuple[int, bytes]]:
    conn = sqlite3.connect(edge.config.database_path)
    try:
        return [(s, bytes(b)) for s, b in conn.execute("SELECT seq, body FROM events ORDER BY seq")]
    finally:
        conn.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW_MS)


async def test_an_enrolled_edge_syncs_and_a_revocation_changes_its_verdict(
    tmp_path: Path, clock: ManualClock
) -> None:
    hub = await HubServer.start(tmp_path / "hub", clock)
    edge = await EdgeServer.enrol(tmp_path / "edge", hub, "jiangping-park", clock)
    try:
        permit = await hub.issue(PERMIT)
        assert (await edge.sync())["pull"]["state"] == "idle"
        status = await edge.status()
        assert status["hub"]["reachable"] is True
        first = await edge.scan(permit["qr"], "in")
        assert first["verdict"] == "allow", first
        await edge.sync()
        assert [seq for _, seq, _ in hub_events(hub)] == [1]

        await hub.api("POST", f"/api/permits/{permit['permit_id']}/revoke", {"reason": "fraud"})
        await edge.sync()
        second = await edge.scan(permit["qr"], "in")
        assert second["verdict"] == "deny"
        assert "revoked_permit" in second["reasons"]
        await edge.sync()
        assert [body for _, _, body in hub_events(hub)] == [b for _, b in edge_log(edge)]
        onsite = await (await edge.session.get(edge.url + "/api/onsite")).json()
        assert [w["worker_id"] for w in onsite["on_site"]] == ["VN-BP-0001"]
    finally:
        await edge.stop()
        await hub.stop()


async def test_three_edges_offline_for_days_catch_up_when_the_hub_returns(
    tmp_path: Path, clock: ManualClock
) -> None:
    hub = await HubServer.start(tmp_path / "hub", clock)
    permit = await hub.issue(PERMIT)
    sites = ("dongxing-port", "jiangping-park", "hengjiang")
    edges = [await EdgeServer.enrol(tmp_path / s, hub, s, clock) for s in sites]
    for edge in edges:
        await edge.sync()
    port = int(hub.url.rsplit(":", 1)[1])
    await hub.stop()  # the link is down for three days; the edges keep working
    try:
        verdicts = []
        for day in range(3):
            clock.advance(86_400_000)
            for edge, direction in zip(edges, ("in", "in", "out"), strict=True):
                verdicts.append((await edge.scan(permit["qr"], direction))["verdict"])
            for edge in edges:
                result = await edge.sync()
                assert result["push"]["state"] == "backoff", (day, result)
        assert verdicts[:3] == ["allow", "allow", "allow"]
        for edge in edges:
            status = await edge.status()
            assert (status["hub"]["reachable"], status["events"]["unacknowledged"]) == (False, 3)
        hub = await HubServer.start(tmp_path / "hub", clock, port=port,
                                    admin_token=hub.admin_token)  # fmt: skip
        for edge in edges:
            await edge.sync()
        by_edge: dict[str, list[bytes]] = {}
        for edge_id, _, body in hub_events(hub):
            by_edge.setdefault(edge_id, []).append(body)
        assert sorted(by_edge.values()) == sorted([b for _, b in edge_log(e)] for e in edges)
        for edge in edges:
            assert (await edge.status())["events"]["unacknowledged"] == 0
    finally:
        for edge in edges:
            await edge.stop()
        await hub.stop()


async def test_a_hub_restored_from_an_older_copy_is_refilled_by_the_edge(
    tmp_path: Path, clock: ManualClock
) -> None:
    hub = await HubServer.start(tmp_path / "hub", clock)
    permit = await hub.issue(PERMIT)
    edge = await EdgeServer.enrol(tmp_path / "edge", hub, "dongxing-port", clock)
    try:
        await edge.sync()
        await edge.scan(permit["qr"], "check")
        await edge.sync()
        backup.backup(hub.config.database_path, tmp_path / "copy.db")
        for _ in range(3):
            await edge.scan(permit["qr"], "check")
        await edge.sync()
        assert len(hub_events(hub)) == 4
        await hub.stop()
        epoch = backup.restore(hub.config.database_path, tmp_path / "copy.db", clock.now_ms())
        hub = await hub.restart(clock)
        assert len(hub_events(hub)) == 1
        await edge.sync()
        await edge.sync()
        assert [b for _, _, b in hub_events(hub)] == [b for _, b in edge_log(edge)]
        status: dict[str, Any] = await edge.status()
        assert status["hub"]["reachable"]
        assert epoch
    finally:
        await edge.stop()
        await hub.stop()


def test_store_counts_match_helper() -> None:
    assert hub_store.EVENT_INSERT.count("?") == 18


async def test_a_skewed_edge_clock_is_measured_and_its_requests_still_pass(
    tmp_path: Path, clock: ManualClock
) -> None:
    """The edge's clock runs 20 minutes fast: beyond the hub's request window, yet the
    edge signs with the hub's time as it measured it, and both sides know the offset."""
    hub = await HubServer.start(tmp_path / "hub", clock)
    skewed = ManualClock(clock.now_ms() + 20 * 60_000)
    edge = await EdgeServer.enrol(tmp_path / "edge", hub, "dongxing-port", skewed)
    try:
        permit = await hub.issue(PERMIT)
        result = await edge.sync()
        assert result["push"]["state"] == "idle", result
        await edge.scan(permit["qr"], "in")
        await edge.sync()
        assert len(hub_events(hub)) == 1
        status = await edge.status()
        assert status["clock"]["offset_ms"] == -20 * 60_000
        assert status["clock"]["warning"] is True
        edges = await hub.api("GET", "/api/edges")
        assert edges["edges"][0]["clock_offset_ms"] == -20 * 60_000
    finally:
        await edge.stop()
        await hub.stop()


async def test_an_inland_attempt_is_pushed_at_once(tmp_path: Path, clock: ManualClock) -> None:
    """No sync is asked for and the push interval is an hour: the alert still reaches
    the hub within moments, because an alert verdict wakes the push loop."""
    import asyncio

    hub = await HubServer.start(tmp_path / "hub", clock)
    permit = await hub.issue(PERMIT)
    edge = await EdgeServer.enrol(tmp_path / "edge", hub, "hengjiang", clock)
    try:
        await edge.sync()
        verdict = await edge.scan(permit["qr"], "in")
        assert verdict["verdict"] == "alert"
        for _ in range(100):
            if hub_events(hub):
                break
            await asyncio.sleep(0.05)
        assert [seq for _, seq, _ in hub_events(hub)] == [1]
    finally:
        await edge.stop()
        await hub.stop()
