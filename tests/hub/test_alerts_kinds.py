"""Every alert kind end to end through the real hub: permits issued with the API, edges
enrolled through ``POST /api/edges`` and ``/sync/v1/enrol``, signed pushes of chained
scan events, the reconciler, and ``GET /api/alerts`` with the evidence. Late evidence
retracts; heartbeats past the deadline confirm."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from alertkit import HOUR_MS, World, after_day, day_ms, make_world, other_worker
from edgeclient import SyncRefused
from factories import NOW_MS, key_from_label
from hubkit import Hub

T0 = NOW_MS
"""Noon in Shanghai, 2 November 2026: the edges are enrolled then."""
BORDER = ("dongxing-port", "beilun-bridge-2")


@pytest.fixture
async def world(hub: Hub, aiohttp_client: Any) -> World:
    made = await make_world(hub, aiohttp_client)
    for site in (*BORDER, "jiangping-park"):
        await made.edge(site)
    return made


async def at(world: World, instant: int) -> None:
    world.clock.set(instant)


async def test_inland_attempt_is_urgent_with_its_scan_as_evidence(world: World) -> None:
    card = await world.issue()
    await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
    await at(world, T0 + 4 * HOUR_MS)
    seq = await world.scan_and_push(
        "hengjiang", card, "in", verdict="alert", reasons=("inland_not_permitted",)
    )
    await world.settle()
    alert = await world.only("inland_attempt")
    assert alert["severity"] == "urgent"
    assert alert["status"] == "open"
    assert alert["provisional"] is False
    assert alert["evidence"] == [["hengjiang-1", seq]]
    assert (alert["permit_id"], alert["worker_id"]) == (card.permit_id, card.worker_id)
    assert alert["employer_id"] == card.employer_id
    assert alert["site"] == "hengjiang"
    assert alert["facts"]["zone"] == "fangchenggang"


async def test_out_of_area_names_the_site(world: World) -> None:
    card = await world.issue()
    await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
    await at(world, T0 + 3 * HOUR_MS)
    seq = await world.scan_and_push("kec-park", card, "in", verdict="deny")
    await world.settle()
    alert = await world.only("out_of_area")
    assert (alert["severity"], alert["site"]) == ("high", "kec-park")
    assert alert["evidence"] == [["kec-park-1", seq]]
    assert await world.kinds(kind="inland_attempt") == set()


async def test_overstay_is_provisional_confirmed_then_retracted_by_a_late_exit(
    world: World,
) -> None:
    card = await world.issue(valid_until="2026-11-10")
    entry = await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
    await world.settle()
    assert await world.kinds(kind="overstay") == set()

    await at(world, after_day(date(2026, 11, 10), hours=10))
    await world.edges["dongxing-port"].heartbeat()
    await world.tick()
    alert = await world.only("overstay")
    assert alert["provisional"] is True  # beilun-bridge-2 could still hold the exit
    assert alert["evidence"][0] == ["dongxing-port-1", entry]
    assert alert["facts"]["end_date"] == "2026-11-10"

    await world.edges["beilun-bridge-2"].heartbeat()
    await world.tick()
    confirmed = await world.alert(alert["id"])
    assert confirmed["provisional"] is False
    assert [c["change"] for c in confirmed["history"]] == ["raised", "confirmed"]

    late = world.edges["beilun-bridge-2"]
    exit_seq = late.scan(card, "out", at_ms=day_ms(date(2026, 11, 9), 18))
    await late.push()
    await world.settle()
    retracted = await world.alert(alert["id"])
    assert retracted["retracted"] is True
    assert retracted["retracted_by"] == [["beilun-bridge-2-1", exit_seq]]
    assert retracted["status"] == "resolved"
    assert retracted["resolved_by"] == "reconciler"
    assert retracted["note"] == "retracted by later evidence"
    assert retracted["history"][-1]["change"] == "retracted"
    assert await world.kinds(kind="late_exit") == set()  # it left in time


async def test_an_exit_after_the_end_is_late_and_ends_the_overstay(world: World) -> None:
    card = await world.issue(valid_until="2026-11-10")
    await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
    await at(world, after_day(date(2026, 11, 11), hours=9))
    await world.tick()
    overstay = await world.only("overstay")
    exit_seq = await world.scan_and_push("dongxing-port", card, "out")
    await world.settle()
    late = await world.only("late_exit")
    assert (late["severity"], late["evidence"]) == ("medium", [["dongxing-port-1", exit_seq]])
    assert late["facts"]["days_late"] == 2
    after = await world.alert(overstay["id"])
    assert (after["retracted"], after["status"]) == (True, "resolved")
    assert after["retracted_by"] == [["dongxing-port-1", exit_seq]]


async def test_exit_due_warns_the_employer(world: World) -> None:
    card = await world.issue(valid_until="2026-11-06")
    await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
    await world.settle()
    alert = await world.only("exit_due")
    assert (alert["severity"], alert["provisional"]) == ("info", False)
    assert alert["facts"]["end_date"] == "2026-11-06"
    mine = await world.alerts("employer", kind="exit_due")
    assert [a["id"] for a in mine] == [alert["id"]]
    assert await world.alerts("other_employer", kind="exit_due") == []


async def test_exit_due_comes_with_the_tick_when_the_window_opens(world: World) -> None:
    card = await world.issue(valid_until="2026-11-20")
    await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
    await world.settle()
    await at(world, day_ms(date(2026, 11, 12), 23, 59))
    await world.tick()
    assert await world.kinds(kind="exit_due") == set()
    await at(world, day_ms(date(2026, 11, 13), 0, 1))
    await world.tick()
    assert (await world.only("exit_due"))["facts"]["end_date"] == "2026-11-20"


async def test_missing_entry_is_retracted_by_the_late_entry(world: World) -> None:
    card = await world.issue()
    await at(world, T0 + 2 * HOUR_MS)
    park = await world.scan_and_push("jiangping-park", card, "in")
    await world.settle()
    alert = await world.only("missing_entry")
    assert alert["provisional"] is True  # a border gate's log may hold the entry
    assert alert["evidence"] == [["jiangping-park-1", park]]

    await at(world, T0 + 3 * HOUR_MS)
    gate = world.edges["dongxing-port"]
    entry = gate.scan(card, "in", at_ms=T0 + HOUR_MS)
    await gate.push()
    await world.settle()
    after = await world.alert(alert["id"])
    assert after["retracted_by"] == [["dongxing-port-1", entry]]
    assert (after["status"], after["note"]) == ("resolved", "retracted by later evidence")
    standing = [a for a in await world.alerts(kind="missing_entry") if not a["retracted"]]
    assert standing == []


async def test_missing_entry_is_confirmed_when_every_border_gate_synced_past(
    world: World,
) -> None:
    card = await world.issue()
    await at(world, T0 + 2 * HOUR_MS)
    await world.scan_and_push("jiangping-park", card, "in")
    await world.settle()
    await at(world, T0 + 3 * HOUR_MS)
    await world.edges["dongxing-port"].heartbeat()
    await world.tick()
    assert (await world.only("missing_entry"))["provisional"] is True
    await world.edges["beilun-bridge-2"].heartbeat()
    await world.tick()
    assert (await world.only("missing_entry"))["provisional"] is False


async def test_double_entry_names_both_entries(world: World) -> None:
    card = await world.issue()
    first = await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
    await at(world, T0 + 3 * HOUR_MS)
    second = await world.scan_and_push("beilun-bridge-2", card, "in", at_ms=T0 + 2 * HOUR_MS)
    await world.edges["dongxing-port"].heartbeat()
    await world.tick()
    alert = await world.only("double_entry")
    assert alert["evidence"] == [["dongxing-port-1", first], ["beilun-bridge-2-1", second]]
    assert alert["provisional"] is False


async def test_reuse_after_the_single_exit(world: World) -> None:
    card = await world.issue()
    await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
    await at(world, T0 + 8 * HOUR_MS)
    out = await world.scan_and_push("dongxing-port", card, "out")
    await at(world, T0 + 30 * HOUR_MS)
    again = await world.scan_and_push("beilun-bridge-2", card, "in")
    await world.settle()
    alert = await world.only("reused_after_exit")
    assert alert["severity"] == "high"
    assert alert["evidence"] == [["dongxing-port-1", out], ["beilun-bridge-2-1", again]]


async def test_revoked_but_used_at_an_edge_that_had_not_heard(world: World) -> None:
    card = await world.issue()
    await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
    await at(world, T0 + 2 * HOUR_MS)
    response = await world.client.post(
        f"/api/permits/{card.permit_id}/revoke", json={"reason": "fraud"},
        headers=world.headers("issuer"),
    )  # fmt: skip
    assert response.status == 201, await response.text()
    await at(world, T0 + 4 * HOUR_MS)
    used = await world.scan_and_push("jiangping-park", card, "in")
    await world.settle()
    alert = await world.only("revoked_but_used")
    assert alert["severity"] == "high"
    assert ["jiangping-park-1", used] in alert["evidence"]


async def test_impossible_travel_between_two_sites_too_close_in_time(world: World) -> None:
    card = await world.issue()
    gate = await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
    park = await world.scan_and_push("jiangping-park", card, "in", at_ms=T0 + HOUR_MS + 60_000)
    await world.settle()
    alert = await world.only("impossible_travel")
    assert alert["evidence"] == [["dongxing-port-1", gate], ["jiangping-park-1", park]]
    assert alert["facts"]["min_seconds"] > alert["facts"]["seconds"] == 60


async def test_not_seen_at_work_confirmed_by_the_park_then_retracted_by_a_late_scan(
    world: World,
) -> None:
    card = await world.issue()
    await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
    await at(world, T0 + HOUR_MS + 3 * 24 * HOUR_MS + 60_000)
    await world.tick()
    alert = await world.only("not_seen_at_work")
    assert alert["provisional"] is True
    assert alert["facts"]["park_zone"] == "dongxing/jiangping"

    park = world.edges["jiangping-park"]
    await park.heartbeat()
    await world.tick()
    assert (await world.alert(alert["id"]))["provisional"] is False

    await at(world, world.clock.now_ms() + HOUR_MS)
    late = world.edges["jiangping-park"]
    seen = late.scan(card, "check", at_ms=T0 + 30 * HOUR_MS)
    await late.push()
    await world.settle()
    after = await world.alert(alert["id"])
    assert (after["retracted"], after["retracted_by"]) == (True, [["jiangping-park-1", seen]])


async def test_a_silent_edge_raises_ops_and_its_next_contact_retracts(world: World) -> None:
    await at(world, T0 + 7 * HOUR_MS)
    await world.edges["dongxing-port"].heartbeat()
    await world.tick()
    silent = {a["edge_id"]: a for a in await world.alerts(kind="edge_silent")}
    assert set(silent) == {"beilun-bridge-2-1", "jiangping-park-1"}
    assert silent["jiangping-park-1"]["severity"] == "ops"
    assert silent["jiangping-park-1"]["site"] == "jiangping-park"

    await world.edges["jiangping-park"].heartbeat()
    await world.tick()
    after = await world.alert(silent["jiangping-park-1"]["id"])
    assert (after["retracted"], after["status"]) == (True, "resolved")
    assert after["note"] == "no longer raised on recomputation"


async def test_a_skewed_edge_clock_raises_ops(world: World) -> None:
    gate = world.edges["dongxing-port"]
    gate.offset_ms = 5 * 60_000
    await gate.heartbeat()
    await world.tick()
    alert = await world.only("clock_skew")
    assert (alert["edge_id"], alert["severity"]) == ("dongxing-port-1", "ops")
    assert alert["facts"]["offset_ms"] == 300_000


async def test_a_bad_log_signature_raises_security(world: World) -> None:
    card = await world.issue()
    gate = world.edges["dongxing-port"]
    gate.scan(card, "in", at_ms=T0 + HOUR_MS)
    forged = gate.push_request(signer=key_from_label("not the edge"))
    with pytest.raises(SyncRefused) as refused:
        await gate.send("/sync/v1/push", forged)
    assert refused.value.reason == "bad_signature"
    await world.tick()
    alert = await world.only("log_integrity")
    assert (alert["severity"], alert["edge_id"]) == ("security", "dongxing-port-1")
    assert alert["evidence"] == [["dongxing-port-1", 1]]
    assert alert["facts"]["incident"] == "signature"


async def test_an_employer_sees_only_its_own_workers_alerts(world: World) -> None:
    mine = await world.issue()
    theirs = await world.issue(
        **other_worker(1, employer_id="E-CL-02", zones=["dongxing", "dongxing/chonglan"])
    )
    await world.scan_and_push("hengjiang", mine, "in", verdict="alert", at_ms=T0 + HOUR_MS)
    await world.scan_and_push("hengjiang", theirs, "in", verdict="alert", at_ms=T0 + HOUR_MS)
    await at(world, T0 + 8 * HOUR_MS)
    await world.tick()  # the edges are silent by now: ops alerts too
    police = await world.alerts()
    assert {a["worker_id"] for a in police if a["kind"] == "inland_attempt"} == {
        mine.worker_id, theirs.worker_id,
    }  # fmt: skip
    assert any(a["severity"] == "ops" for a in police)
    own = await world.alerts("employer")
    assert own and {a["employer_id"] for a in own} == {"E-JP-01"}
    assert all(a["severity"] not in ("ops", "security") for a in own)
    other_id = next(a["id"] for a in police if a["worker_id"] == theirs.worker_id)
    response = await world.client.get(f"/api/alerts/{other_id}", headers=world.headers("employer"))
    assert response.status == 404
    spoofed = await world.alerts("employer", employer="E-CL-02")
    assert {a["employer_id"] for a in spoofed} == {"E-JP-01"}
