"""The reconciler as a service in the real hub: woken by pushes without the test's
help, crash-safe (the marks a push leaves survive a restart), order-independent (the
same logs pushed in any order, any batches, with duplicates, end in the same alerts as
one computation over everything), and a tick that recomputes only who time can
change."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import sqlite3
import time
from datetime import date
from typing import Any

import pytest
from alertkit import HOUR_MS, TEST_CONFIG, World, after_day, day_ms, make_world, other_worker
from edgeclient import Card, EdgeClient, card_of
from factories import NOW_MS
from hubkit import EMPLOYER, Hub, permit_body

from borderpass.clock import AcceleratedClock
from hub.alerts_setup import RECONCILER
from hub.app import create_app
from hub.reconcile import Geography, ReconcileContext, ReconcileSettings, worker_alerts
from hub.store import alert_queues, evidence

T0 = NOW_MS
SITES = ("dongxing-port", "beilun-bridge-2", "jiangping-park", "hengjiang")


def count_dirty(hub: Hub) -> int:
    conn = sqlite3.connect(hub.database_path)
    try:
        return alert_queues.count_dirty(conn)
    finally:
        conn.close()


async def eventually_kinds(world: World, deadline_s: float = 30.0) -> set[str]:
    """The alert kinds once there are some (the background loop's work)."""
    for _ in range(int(deadline_s / 0.02)):
        kinds = await world.kinds()
        if kinds:
            return kinds
        await asyncio.sleep(0.02)
    raise AssertionError("the reconciler never ran")


async def test_a_push_wakes_the_reconciler(hub: Hub, aiohttp_client: Any) -> None:
    world = await make_world(hub, aiohttp_client, reconcile_debounce_s=0.01)
    card = await world.issue()
    await world.scan_and_push("hengjiang", card, "in", verdict="alert", at_ms=T0 + HOUR_MS)
    assert "inland_attempt" in await eventually_kinds(world)
    assert count_dirty(hub) == 0


async def test_scans_stored_before_a_crash_are_reconciled_after_the_restart(
    hub: Hub, aiohttp_client: Any
) -> None:
    world = await make_world(hub, aiohttp_client, reconcile_debounce_s=3600.0)
    card = await world.issue()
    await world.scan_and_push("hengjiang", card, "in", verdict="alert", at_ms=T0 + HOUR_MS)
    await world.client.close()  # before the debounce ran out: nothing reconciled
    assert count_dirty(hub) == 1
    assert await _stored_alert_count(hub) == 0

    restarted = World(await aiohttp_client(create_app(hub.config, hub.clock)), hub)
    assert "inland_attempt" in await eventually_kinds(restarted)
    assert count_dirty(hub) == 0


async def _stored_alert_count(hub: Hub) -> int:
    conn = sqlite3.connect(hub.database_path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0])
    finally:
        conn.close()


async def test_the_tick_recomputes_only_the_workers_time_can_change(
    hub: Hub, aiohttp_client: Any
) -> None:
    world = await make_world(hub, aiohttp_client)
    for site in ("dongxing-port", "beilun-bridge-2", "jiangping-park"):
        await world.edge(site)
    staying = await world.issue(valid_until="2026-11-20")
    leaving = await world.issue(**other_worker(1))
    for card in (staying, leaving):
        await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
    await world.scan_and_push("dongxing-port", leaving, "out", at_ms=T0 + 9 * HOUR_MS)
    for site in world.edges:
        await world.edges[site].heartbeat()
    await world.settle()
    assert (await world.reconciler.tick()).workers == 0  # nobody is due yet

    world.clock.set(day_ms(date(2026, 11, 13), 9))  # exit due from the 13th
    tally = await world.reconciler.tick()
    assert tally.workers == 1
    assert {a["worker_id"] for a in await world.alerts(kind="exit_due")} == {staying.worker_id}


def schedule(rng: random.Random, logs: dict[str, int]) -> list[tuple[str, int, bool]]:
    """Pushes (edge, up to which seq, resend an acked part first) covering every log in
    a random order and random batches."""
    pushed = dict.fromkeys(logs, 0)
    steps = []
    while any(pushed[e] < n for e, n in logs.items()):
        edge = rng.choice([e for e, n in logs.items() if pushed[e] < n])
        pushed[edge] = rng.randint(pushed[edge] + 1, logs[edge])
        steps.append((edge, pushed[edge], rng.random() < 0.3))
    return steps


async def log_scenario(world: World) -> list[Card]:
    """Three workers' week at four edges, logged at the edges, not pushed: a commuter,
    one who enters twice and stays past the end, one who tries to go inland."""
    commuter = await world.issue()
    stayer = await world.issue(**other_worker(1, valid_until="2026-11-05"))
    rover = await world.issue(**other_worker(2))
    for site in SITES:
        await world.edge(site)
    gate, bridge = world.edges["dongxing-port"], world.edges["beilun-bridge-2"]
    park, check = world.edges["jiangping-park"], world.edges["hengjiang"]
    for day in range(2, 7):
        on = date(2026, 11, day)
        gate.scan(commuter, "in", at_ms=day_ms(on, 7))
        park.scan(commuter, "in", at_ms=day_ms(on, 8))
        park.scan(commuter, "out", at_ms=day_ms(on, 17))
        (bridge if day % 2 else gate).scan(commuter, "out", at_ms=day_ms(on, 19))
    gate.scan(stayer, "in", at_ms=day_ms(date(2026, 11, 2), 13))
    bridge.scan(stayer, "in", at_ms=day_ms(date(2026, 11, 3), 9))
    park.scan(stayer, "check", at_ms=day_ms(date(2026, 11, 4), 12))
    park.scan(rover, "in", at_ms=day_ms(date(2026, 11, 3), 10))
    check.scan(rover, "in", verdict="alert", at_ms=day_ms(date(2026, 11, 4), 15))
    bridge.scan(rover, "in", at_ms=day_ms(date(2026, 11, 5), 8))
    return [commuter, stayer, rover]


async def final_alerts(world: World) -> set[tuple[Any, ...]]:
    """The standing alerts: id, provisional, evidence and facts."""
    found = set()
    for a in await world.alerts(limit="5000"):
        if not a["retracted"]:
            assert a["status"] == "open"  # nobody acted; a reopened alert is open
            evidence = tuple(tuple(ref) for ref in a["evidence"])
            found.add((a["id"], a["provisional"], evidence, tuple(sorted(a["facts"].items()))))
    return found


async def engine_alerts(world: World, cards: list[Card]) -> set[tuple[Any, ...]]:
    """The alerts of one computation over everything the hub holds."""
    app = world.client.server.app
    geography = Geography.of(app[RECONCILER].geography.site_map)
    now = world.clock.now_ms()

    def compute(conn: sqlite3.Connection) -> set[tuple[Any, ...]]:
        ids = [c.worker_id for c in cards]
        with evidence.snapshot(conn):
            ctx = ReconcileContext.build(
                geography, now, evidence.watermarks(conn), evidence.active_revocations(conn),
                ReconcileSettings(),
            )  # fmt: skip
            seen = evidence.observations_of(conn, ids)
            permits = evidence.permit_records_of(conn, ids)
        return {
            (a.alert_id, a.provisional, a.evidence, tuple(sorted(a.facts.items())))
            for w in ids
            for a in worker_alerts(w, seen[w], permits[w], ctx)
        }

    return await world.reconciler.db.read(compute)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_any_push_order_ends_in_the_alerts_of_one_computation(
    hub: Hub, aiohttp_client: Any, seed: int
) -> None:
    world = await make_world(hub, aiohttp_client)
    cards = await log_scenario(world)
    world.clock.set(after_day(date(2026, 11, 6), hours=12))
    rng = random.Random(seed)
    for site, upto, resend in schedule(rng, {s: len(e.log) for s, e in world.edges.items()}):
        edge = world.edges[site]
        if resend and edge.acked:
            edge.acked = rng.randint(0, edge.acked - 1)  # a retry of an acked range
        await edge.push(upto=upto)
        await world.settle()
    await world.tick()
    found = await final_alerts(world)
    assert found == await engine_alerts(world, cards)
    kinds = {entry[0].split("-")[0] for entry in found}
    assert {"overstay", "inland_attempt", "double_entry", "missing_entry"} <= kinds


async def watch_of(world: World, worker_id: str) -> alert_queues.WorkerWatch | None:
    return await world.reconciler.db.read(lambda c: alert_queues.get_watch(c, worker_id))


async def test_a_scan_before_the_settled_cut_recomputes_from_the_first_scan(
    hub: Hub, aiohttp_client: Any
) -> None:
    world = await make_world(hub, aiohttp_client)
    for site in ("dongxing-port", "beilun-bridge-2", "jiangping-park"):
        await world.edge(site)
    card = await world.issue()
    for day in range(3, 7):
        on = date(2026, 11, day)
        await world.scan_and_push("dongxing-port", card, "in", at_ms=day_ms(on, 7))
        await world.scan_and_push("jiangping-park", card, "in", at_ms=day_ms(on, 8))
        await world.scan_and_push("dongxing-port", card, "out", at_ms=day_ms(on, 19))
    world.clock.set(day_ms(date(2026, 11, 7), 6))
    for edge in world.edges.values():
        await edge.heartbeat()  # every edge's log is known up to now
    await world.scan_and_push("dongxing-port", card, "in", at_ms=day_ms(date(2026, 11, 7), 7))
    await world.settle()
    watch = await watch_of(world, card.worker_id)
    assert watch is not None and watch.settled is not None
    assert watch.settled.cut_ms == day_ms(date(2026, 11, 7))
    assert await world.kinds(kind="double_entry") == set()

    bridge = world.edges["beilun-bridge-2"]  # a scan from deep in the settled past
    late = bridge.scan(card, "in", at_ms=day_ms(date(2026, 11, 4), 13))
    await bridge.push()
    await world.settle()
    double = await world.only("double_entry")
    assert ["beilun-bridge-2-1", late] in double["evidence"]
    assert await final_alerts(world) == await engine_alerts(world, [card])


async def test_a_revocation_and_its_lifting_recompute_the_workers(
    hub: Hub, aiohttp_client: Any
) -> None:
    world = await make_world(hub, aiohttp_client)
    card = await world.issue()
    await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
    world.clock.set(T0 + 2 * HOUR_MS)
    revoked = await world.client.post(
        f"/api/workers/{card.worker_id}/revoke", json={"reason": "expelled"},
        headers=world.headers("issuer"),
    )  # fmt: skip
    assert revoked.status == 201, await revoked.text()
    await world.scan_and_push("jiangping-park", card, "in", at_ms=T0 + 3 * HOUR_MS)
    await world.settle()
    alert = await world.only("revoked_but_used")

    lifted = await world.client.post(
        f"/api/revocations/{(await revoked.json())['revocation_id']}/reinstate",
        json={"reason": "the wrong worker was expelled"}, headers=world.headers("admin"),
    )  # fmt: skip
    assert lifted.status == 200, await lifted.text()
    await world.settle()  # no scan arrived: the lifting itself marked the worker
    after = await world.alert(alert["id"])
    assert (after["retracted"], after["status"]) == (True, "resolved")
    assert after["note"] == "no longer raised on recomputation"


async def test_the_tick_lives_in_accelerated_time(hub: Hub, aiohttp_client: Any) -> None:
    """A real tick every 20 ms, thresholds in simulated time: a simulated day per
    real second brings the overstay without the test calling the reconciler."""
    clock = AcceleratedClock(T0, 86_400.0, time.time_ns() // 1_000_000)
    fast = {"reconcile_tick_s": 0.02, "sync_window_s": 100 * 86_400, "enrol_token_hours": 1e3}
    config = dataclasses.replace(hub.config, **{**TEST_CONFIG, **fast})
    client = await aiohttp_client(create_app(config, clock))
    admin = {"Authorization": f"Bearer {hub.admin_token}"}
    world = World(client, hub)
    made = await client.post("/api/employers", json=EMPLOYER, headers=admin)
    assert made.status == 201, await made.text()
    body = permit_body(zones=["dongxing", "dongxing/jiangping"], valid_until="2026-11-03")
    issued = await client.post("/api/permits", json=body, headers=admin)
    assert issued.status == 201, await issued.text()
    card = card_of(await issued.json(), body)
    gate = await EdgeClient.enrol(client, admin, "dongxing-port", clock)
    gate.scan(card, "in")
    await gate.push()
    for _ in range(1500):  # up to 30 real seconds; the end of 3 November is ~1.5 s away
        found = await client.get("/api/alerts", params={"kind": "overstay"}, headers=admin)
        overstays = (await found.json())["alerts"]
        if overstays:
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("no overstay came with the ticks")
    assert overstays[0]["facts"]["end_date"] == "2026-11-03"
    assert clock.now_ms() > after_day(date(2026, 11, 3), hours=0)
    assert world.reconciler.settings.tick_s == 0.02
