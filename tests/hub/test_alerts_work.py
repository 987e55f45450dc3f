"""Alerts as work: acknowledge and resolve with a note, audited with who and when,
each change in the alert's history; what a person did is never overwritten by a
recomputation, except that a retraction resolves an alert still being worked on."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from alertkit import HOUR_MS, World, after_day, day_ms, make_world
from factories import NOW_MS
from hubkit import Hub

from hub.api.shapes import instant

T0 = NOW_MS


@pytest.fixture
async def world(hub: Hub, aiohttp_client: Any) -> World:
    made = await make_world(hub, aiohttp_client)
    for site in ("dongxing-port", "beilun-bridge-2", "jiangping-park"):
        await made.edge(site)
    return made


async def act(world: World, alert_id: str, action: str, who: str = "police", **body: Any):
    return await world.client.post(
        f"/api/alerts/{alert_id}/{action}", json=body, headers=world.headers(who)
    )


async def reason(response: Any) -> tuple[int, str]:
    return response.status, (await response.json())["error"]["reason"]


async def inland_alert(world: World) -> dict[str, Any]:
    card = await world.issue()
    await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
    await world.scan_and_push("hengjiang", card, "in", verdict="alert", at_ms=T0 + 4 * HOUR_MS)
    await world.settle()
    return await world.only("inland_attempt")


async def overstay(world: World) -> tuple[dict[str, Any], Any]:
    """An overstay (permit to 10 Nov, still in China on the 12th); and the card."""
    card = await world.issue(valid_until="2026-11-10")
    await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
    world.clock.set(after_day(date(2026, 11, 11), hours=9))
    await world.tick()
    return await world.only("overstay"), card


async def late_exit_pushed(world: World, card: Any) -> None:
    gate = world.edges["beilun-bridge-2"]
    gate.scan(card, "out", at_ms=day_ms(date(2026, 11, 9), 18))
    await gate.push()
    await world.settle()


async def test_acknowledge_then_resolve_with_a_note_is_audited(world: World) -> None:
    alert = await inland_alert(world)
    world.clock.set(T0 + 5 * HOUR_MS)
    acked = await act(world, alert["id"], "acknowledge", note="patrol sent")
    assert acked.status == 200, await acked.text()
    body = await acked.json()
    assert (body["status"], body["acknowledged_at"]) == ("acknowledged", T0 + 5 * HOUR_MS)
    world.clock.set(T0 + 6 * HOUR_MS)
    resolved = await act(world, alert["id"], "resolve", who="admin", note="returned to Dongxing")
    body = await resolved.json()
    assert (body["status"], body["note"]) == ("resolved", "returned to Dongxing")
    assert body["resolved_at"] == T0 + 6 * HOUR_MS
    assert body["resolved_by"].startswith("token:")

    history = (await world.alert(alert["id"]))["history"]
    assert [(h["change"], h["note"]) for h in history] == [
        ("raised", None), ("acknowledged", "patrol sent"), ("resolved", "returned to Dongxing"),
    ]  # fmt: skip
    assert history[1]["actor"] != history[2]["actor"]  # police, then admin

    audit = await world.client.get(
        "/api/audit", params={"target": alert["id"]}, headers=world.headers("admin")
    )
    entries = (await audit.json())["audit"]
    assert [(e["action"], e["at"], e["actor"]) for e in reversed(entries)] == [
        ("alert.acknowledge", instant((T0 + 5 * HOUR_MS) // 1000), history[1]["actor"]),
        ("alert.resolve", instant((T0 + 6 * HOUR_MS) // 1000), history[2]["actor"]),
    ]
    assert entries[0]["detail"]["note"] == "returned to Dongxing"


async def test_the_lifecycle_refuses_what_it_does_not_allow(world: World) -> None:
    alert = await inland_alert(world)
    assert await reason(await act(world, alert["id"], "resolve")) == (400, "invalid_field")
    assert await reason(await act(world, alert["id"], "resolve", note="  ")) == (
        400, "invalid_field",
    )  # fmt: skip
    assert (await act(world, alert["id"], "acknowledge")).status == 200
    assert await reason(await act(world, alert["id"], "acknowledge")) == (
        409, "already_acknowledged",
    )  # fmt: skip
    assert (await act(world, alert["id"], "resolve", note="force majeure: flood")).status == 200
    for action in ("acknowledge", "resolve"):
        response = await act(world, alert["id"], action, note="again")
        assert await reason(response) == (409, "already_resolved")
    assert await reason(await act(world, "overstay-nope", "acknowledge")) == (404, "not_found")
    history = (await world.alert(alert["id"]))["history"]
    assert [h["change"] for h in history] == ["raised", "acknowledged", "resolved"]


async def test_a_bad_body_is_refused_and_changes_nothing(world: World) -> None:
    alert = await inland_alert(world)
    path = f"/api/alerts/{alert['id']}/resolve"
    raw = await world.client.post(
        path, data=b"{not json", headers={**world.headers(), "Content-Type": "application/json"}
    )
    assert await reason(raw) == (400, "bad_json")
    listed = await world.client.post(path, json=["note"], headers=world.headers())
    assert await reason(listed) == (400, "invalid_field")
    typed = await world.client.post(path, json={"note": 7}, headers=world.headers())
    assert await reason(typed) == (400, "invalid_field")
    assert (await world.alert(alert["id"]))["status"] == "open"


async def test_a_persons_resolution_survives_the_retraction(world: World) -> None:
    alert, card = await overstay(world)
    note = "force majeure: the bridge was closed by the flood"
    assert (await act(world, alert["id"], "resolve", note=note)).status == 200
    await late_exit_pushed(world, card)
    after = await world.alert(alert["id"])
    assert after["retracted"] is True
    assert (after["status"], after["note"]) == ("resolved", note)
    assert after["resolved_by"].startswith("token:")
    retraction = after["history"][-1]
    assert (retraction["change"], retraction["actor"]) == ("retracted", "reconciler")
    assert retraction["detail"]["resolved"] is False


async def test_a_retraction_resolves_an_acknowledged_alert(world: World) -> None:
    alert, card = await overstay(world)
    assert (await act(world, alert["id"], "acknowledge")).status == 200
    await late_exit_pushed(world, card)
    after = await world.alert(alert["id"])
    assert (after["status"], after["resolved_by"]) == ("resolved", "reconciler")
    assert after["acknowledged_by"].startswith("token:")
    assert [h["change"] for h in after["history"]] == ["raised", "acknowledged", "retracted"]


async def test_confirmation_leaves_the_status_alone(world: World) -> None:
    alert, _ = await overstay(world)
    assert alert["provisional"] is True
    assert (await act(world, alert["id"], "acknowledge")).status == 200
    for site in ("dongxing-port", "beilun-bridge-2"):
        await world.edges[site].heartbeat()
    await world.tick()
    after = await world.alert(alert["id"])
    assert (after["provisional"], after["status"]) == (False, "acknowledged")


async def test_an_alert_retracted_then_computed_again_is_reopened(world: World) -> None:
    card = await world.issue(valid_until="2026-11-06")
    await world.scan_and_push("dongxing-port", card, "in", at_ms=T0 + HOUR_MS)
    await world.settle()
    due = await world.only("exit_due")
    await world.scan_and_push("dongxing-port", card, "out", at_ms=T0 + 10 * HOUR_MS)
    await world.settle()
    assert (await world.alert(due["id"]))["status"] == "resolved"
    await world.scan_and_push("beilun-bridge-2", card, "in", at_ms=T0 + 30 * HOUR_MS)
    await world.settle()
    again = await world.alert(due["id"])
    assert (again["status"], again["retracted"], again["resolved_by"]) == ("open", False, None)
    assert [h["change"] for h in again["history"]] == ["raised", "retracted", "reopened"]
    assert await world.kinds(kind="reused_after_exit") == {"reused_after_exit"}
