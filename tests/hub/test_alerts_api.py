"""The alerts and timeline API: the role matrix of the new routes, the filters, an
employer's scope, and a worker's timeline with the alerts each scan is evidence for.

Role matrix (``hub.roles.ACCESS``):

==========================================  =====  ======  ======  ========
route                                       admin  issuer  police  employer
==========================================  =====  ======  ======  ========
GET  /api/alerts, /api/alerts/{id}           yes    yes     yes    own only
POST /api/alerts/{id}/acknowledge|resolve    yes    no      yes    no
GET  /api/workers/{id}/timeline              yes    yes     yes    own only
==========================================  =====  ======  ======  ========
"""

from __future__ import annotations

from typing import Any

import pytest
from alertkit import HOUR_MS, World, make_world, other_worker
from factories import NOW_MS
from hubkit import Hub

from hub.auth import Role
from hub.roles import ACCESS, POLICING

T0 = NOW_MS
ROUTES = ("api.alerts.list", "api.alerts.get", "api.alerts.acknowledge",
          "api.alerts.resolve", "api.workers.timeline")  # fmt: skip


@pytest.fixture
async def world(hub: Hub, aiohttp_client: Any) -> World:
    made = await make_world(hub, aiohttp_client)
    for site in ("dongxing-port", "beilun-bridge-2", "jiangping-park"):
        await made.edge(site)
    return made


async def reason(response: Any) -> tuple[int, str]:
    return response.status, (await response.json())["error"]["reason"]


async def two_workers(world: World) -> tuple[Any, Any]:
    """A worker of each employer, each with an urgent inland attempt."""
    mine = await world.issue()
    theirs = await world.issue(
        **other_worker(1, employer_id="E-CL-02", zones=["dongxing", "dongxing/chonglan"])
    )
    for card in (mine, theirs):
        await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
        await world.scan_and_push("hengjiang", card, "in", verdict="alert", at_ms=T0 + 3 * HOUR_MS)
    await world.settle()
    return mine, theirs


def test_the_role_table_has_the_documented_rows() -> None:
    assert {Role.ADMIN, Role.POLICE} == POLICING
    assert {name: ACCESS[name] for name in ROUTES} == {
        "api.alerts.list": frozenset(Role),
        "api.alerts.get": frozenset(Role),
        "api.alerts.acknowledge": POLICING,
        "api.alerts.resolve": POLICING,
        "api.workers.timeline": frozenset(Role),
    }


async def test_no_token_no_alerts(world: World) -> None:
    mine, _ = await two_workers(world)
    alert = await world.only("inland_attempt", worker=mine.worker_id)
    for method, path in (
        ("GET", "/api/alerts"),
        ("GET", f"/api/alerts/{alert['id']}"),
        ("POST", f"/api/alerts/{alert['id']}/acknowledge"),
        ("POST", f"/api/alerts/{alert['id']}/resolve"),
        ("GET", f"/api/workers/{mine.worker_id}/timeline"),
    ):
        response = await world.client.request(method, path, json={"note": "x"})
        assert await reason(response) == (401, "missing_token"), path
    assert (await world.alert(alert["id"]))["status"] == "open"


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("admin", True), ("police", True), ("issuer", False), ("employer", False)],
)
async def test_only_police_and_admins_work_alerts(world: World, who: str, allowed: bool) -> None:
    mine, _ = await two_workers(world)
    alert = await world.only("inland_attempt", worker=mine.worker_id)
    for action in ("acknowledge", "resolve"):
        response = await world.client.post(
            f"/api/alerts/{alert['id']}/{action}", json={"note": "seen"},
            headers=world.headers(who),
        )  # fmt: skip
        if allowed:
            assert response.status == 200, await response.text()
        else:
            assert await reason(response) == (403, "forbidden")
    expected = "resolved" if allowed else "open"
    assert (await world.alert(alert["id"]))["status"] == expected


async def test_every_role_reads_alerts_an_employer_only_its_own(world: World) -> None:
    mine, theirs = await two_workers(world)
    for who in ("admin", "issuer", "police"):
        workers = {a["worker_id"] for a in await world.alerts(who, kind="inland_attempt")}
        assert workers == {mine.worker_id, theirs.worker_id}, who
    assert {a["worker_id"] for a in await world.alerts("employer")} == {mine.worker_id}
    assert {a["worker_id"] for a in await world.alerts("other_employer")} == {theirs.worker_id}
    theirs_alert = await world.only("inland_attempt", worker=theirs.worker_id)
    response = await world.client.get(
        f"/api/alerts/{theirs_alert['id']}", headers=world.headers("employer")
    )
    assert await reason(response) == (404, "not_found")


async def test_filters(world: World) -> None:
    mine, theirs = await two_workers(world)
    await world.scan_and_push("kec-park", mine, "in", verdict="deny", at_ms=T0 + 6 * HOUR_MS)
    await world.settle()
    everything = await world.alerts()
    assert sorted(a["kind"] for a in everything) == [
        "inland_attempt", "inland_attempt", "out_of_area",
    ]  # fmt: skip
    assert [a["at"] for a in everything] == sorted((a["at"] for a in everything), reverse=True)
    assert {a["site"] for a in await world.alerts(site="hengjiang")} == {"hengjiang"}
    assert len(await world.alerts(site="hengjiang")) == 2
    assert {a["kind"] for a in await world.alerts(severity="urgent")} == {"inland_attempt"}
    assert {a["kind"] for a in await world.alerts(kind="out_of_area")} == {"out_of_area"}
    only_theirs = await world.alerts(worker=theirs.worker_id)
    assert [a["kind"] for a in only_theirs] == ["inland_attempt"]
    assert await world.alerts(status="resolved") == []
    assert len(await world.alerts(status="open")) == 3
    assert [a["worker_id"] for a in await world.alerts(employer="E-CL-02")] == [theirs.worker_id]
    assert await world.alerts(limit="1") == everything[:1]


@pytest.mark.parametrize(
    ("name", "value"),
    [("kind", "teleport"), ("severity", "dire"), ("status", "closed"), ("limit", "0"),
     ("limit", "lots"), ("site", "x" * 65), ("worker", "bad\x01id")],
)  # fmt: skip
async def test_a_bad_filter_is_refused_with_its_name(world: World, name: str, value: str) -> None:
    response = await world.client.get("/api/alerts", params={name: value}, headers=world.headers())
    status, why = await reason(response)
    assert (status, why) == (400, "invalid_field")
    assert (await response.json())["error"]["detail"].startswith(name)


async def test_one_alert_with_its_history(world: World) -> None:
    mine, _ = await two_workers(world)
    alert = await world.only("inland_attempt", worker=mine.worker_id)
    found = await world.alert(alert["id"], who="issuer")
    assert {k: v for k, v in found.items() if k != "history"} == alert
    assert [(h["change"], h["actor"]) for h in found["history"]] == [("raised", "reconciler")]
    missing = await world.client.get("/api/alerts/nothing", headers=world.headers())
    assert await reason(missing) == (404, "not_found")


async def test_a_timeline_lists_every_scan_in_order_with_its_alerts(world: World) -> None:
    card = await world.issue(valid_until="2026-11-10")
    gate = world.edges["dongxing-port"]
    entry = await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
    park = await world.scan_and_push("jiangping-park", card, "in", at_ms=T0 + 2 * HOUR_MS)
    inland = await world.scan_and_push(
        "hengjiang", card, "in", verdict="alert", reasons=("inland_not_permitted",),
        at_ms=T0 + 4 * HOUR_MS,
    )  # fmt: skip
    world.clock.set(T0 + 6 * HOUR_MS)
    gate.scan(card, "in", at_ms=T0 + 5 * HOUR_MS)  # a second entry, no exit between
    await gate.push()
    await world.settle()
    response = await world.client.get(
        f"/api/workers/{card.worker_id}/timeline", headers=world.headers("police")
    )
    assert response.status == 200, await response.text()
    timeline = await response.json()
    assert (timeline["worker_id"], timeline["in_china"]) == (card.worker_id, True)
    assert timeline["in_china_since"] == T0 + HOUR_MS
    scans = timeline["scans"]
    assert [(s["edge_id"], s["seq"]) for s in scans] == [
        ("dongxing-port-1", entry), ("jiangping-park-1", park), ("hengjiang-1", inland),
        ("dongxing-port-1", entry + 1),
    ]  # fmt: skip
    assert [s["at"] for s in scans] == sorted(s["at"] for s in scans)
    assert scans[2]["reasons"] == ["inland_not_permitted"]
    assert (scans[2]["site"], scans[2]["direction"], scans[2]["verdict"]) == (
        "hengjiang", "in", "alert",
    )  # fmt: skip
    alerts = {a["id"]: a["kind"] for a in timeline["alerts"]}
    assert [alerts[i] for i in scans[2]["alerts"]] == ["inland_attempt"]
    assert "double_entry" in {alerts[i] for i in scans[3]["alerts"]}
    assert scans[1]["alerts"] == []


async def test_an_employer_sees_only_its_own_workers_timeline(world: World) -> None:
    mine, theirs = await two_workers(world)
    own = await world.client.get(
        f"/api/workers/{mine.worker_id}/timeline", headers=world.headers("employer")
    )
    body = await own.json()
    assert {s["employer_id"] for s in body["scans"]} == {"E-JP-01"}
    assert {a["employer_id"] for a in body["alerts"]} == {"E-JP-01"}
    other = await world.client.get(
        f"/api/workers/{theirs.worker_id}/timeline", headers=world.headers("employer")
    )
    assert await reason(other) == (404, "not_found")
    nobody = await world.client.get(
        "/api/workers/VN-NOBODY/timeline", headers=world.headers("police")
    )
    assert await reason(nobody) == (404, "not_found")
