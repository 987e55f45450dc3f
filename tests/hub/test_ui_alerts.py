"""The alerts pages: the list and its filters, provisional alerts shown as such, an
alert's evidence and history, acknowledging and resolving from the page (CSRF,
roles, audit), and an employer's own alerts only."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from factories import TODAY
from hubkit import Hub
from uikit import ESCAPED, XSS, Story, World, get_page, login, tell_story, ui_world

from protocol.days import start_of_day_ms


@pytest.fixture
async def world(hub: Hub, aiohttp_client: Any) -> World:
    return await ui_world(hub, aiohttp_client)


@pytest.fixture
async def story(world: World) -> Story:
    return await tell_story(world)


def listed(html: str) -> list[str]:
    """The alert ids the list shows, in order."""
    return re.findall(r'<td><a href="/alerts/([^"]+)">', html)


async def ids(world: World, **filters: str) -> list[str]:
    return [a["id"] for a in await world.alerts("admin", **filters)]


async def test_the_list_and_its_filters(world: World, story: Story) -> None:
    await login(world, "police")
    status, html = await get_page(world, "/alerts")
    assert status == 200 and listed(html) == await ids(world) and len(listed(html)) == 3
    for query, filters in (
        ("kind=inland_attempt", {"kind": "inland_attempt"}),
        ("severity=high", {"severity": "high"}),
        ("status=open&site=hengjiang", {"status": "open", "site": "hengjiang"}),
        (f"worker={story.minh.worker_id}", {"worker": story.minh.worker_id}),
        ("kind=overstay", {"kind": "overstay"}),
    ):
        _, html = await get_page(world, f"/alerts?{query}")
        assert listed(html) == await ids(world, **filters), query
    _, html = await get_page(world, "/alerts?kind=inland_attempt&severity=urgent")
    assert len(listed(html)) == 1 and '<option value="inland_attempt" selected>' in html
    status, html = await get_page(world, "/alerts?kind=nonsense")
    assert status == 400 and "invalid_field" in html


async def test_a_provisional_alert_is_shown_as_such_until_confirmed(
    world: World, story: Story
) -> None:
    world.clock.set(start_of_day_ms(TODAY + timedelta(days=4)) + 10 * 3_600_000)
    await world.tick()  # the xss worker's permit ended on the 4th: an overstay
    await login(world, "police")
    _, html = await get_page(world, "/alerts?kind=overstay")
    (overstay,) = listed(html)
    assert "暂定：等待相关节点同步" in html and "已证实" not in html
    for edge in world.edges.values():
        await edge.heartbeat()  # every edge has now synced past the deadline
    await world.tick()
    _, html = await get_page(world, f"/alerts/{overstay}")
    assert "暂定" not in html and "已证实" in html
    assert "<td>reconciler</td><td>证实</td>" in html  # the history records it


async def test_a_retracted_alert_names_the_scan_that_retracted_it(
    world: World, story: Story
) -> None:
    world.clock.set(start_of_day_ms(TODAY + timedelta(days=4)) + 10 * 3_600_000)
    await world.tick()
    (overstay,) = await world.alerts(kind="overstay")
    port = world.edges["dongxing-port"]  # its late log: the worker left on the 3rd
    port.scan(story.xss, "out", at_ms=start_of_day_ms(TODAY + timedelta(days=1)) + 9 * 3_600_000)
    await port.push()
    await world.tick()
    await login(world, "police")
    _, html = await get_page(world, f"/alerts/{overstay['id']}")
    assert "已被后续证据撤回" in html and "撤回依据（扫描记录）" in html
    retracting = html[html.index("撤回依据") : html.index("处理记录")]
    assert "2026-11-03 09:00" in retracting and "<td>出</td>" in retracting
    assert "<td>reconciler</td><td>撤回</td>" in html


async def test_an_alert_page_shows_its_evidence_and_history(world: World, story: Story) -> None:
    (inland,) = await world.alerts(kind="inland_attempt")
    await login(world, "police")
    status, html = await get_page(world, f"/alerts/{inland['id']}")
    assert status == 200
    for text in ("企图进入内地", "紧急", "待处理", "已证实", story.lan.permit_id, "横江边防检查站",
                 "Nguyễn Thị Lan 阮氏兰 (VN-BP-0001)", "江平制衣有限公司 (E-JP-01)",
                 f'href="/workers/{story.lan.worker_id}/timeline"', "拒绝并报警",
                 "不允许前往内地", "hengjiang-1 / 1", "处理记录", "reconciler", "发出",
                 f'href="/workers/{story.lan.worker_id}/timeline#scan-hengjiang-1-1"',
                 "fangchenggang"):  # fmt: skip
        assert text in html, text
    assert 'action="/alerts/' + inland["id"] + '/acknowledge"' in html
    assert (await get_page(world, "/alerts/inland_attempt-0000"))[0] == 404


async def test_acknowledge_then_resolve_with_a_note_audited(world: World, story: Story) -> None:
    (inland,) = await world.alerts(kind="inland_attempt")
    page = f"/alerts/{inland['id']}"
    csrf = await login(world, "police")
    forged = await world.client.post(f"{page}/acknowledge", data={"csrf": "forged"})
    assert forged.status == 403 and "bad_csrf" in await forged.text()
    assert (await world.alert(inland["id"]))["status"] == "open"
    acked = await world.client.post(f"{page}/acknowledge", data={"csrf": csrf})
    assert acked.status == 200 and str(acked.url).endswith(page)
    html = await acked.text()
    assert "已受理" in html and "user:cop" in html and "/acknowledge" not in html
    no_note = await world.client.post(f"{page}/resolve", data={"csrf": csrf, "note": " "})
    assert no_note.status == 400 and "invalid_field" in await no_note.text()
    note = "不可抗力：台风封路 " + XSS
    resolved = await world.client.post(f"{page}/resolve", data={"csrf": csrf, "note": note})
    html = await resolved.text()
    assert resolved.status == 200 and "已解决" in html and ESCAPED in html and XSS not in html
    assert "/resolve" not in html  # nothing more to do
    again = await world.client.post(f"{page}/resolve", data={"csrf": csrf, "note": "x"})
    assert again.status == 409 and "already_resolved" in await again.text()
    api = await world.alert(inland["id"])
    assert (api["status"], api["resolved_by"], api["note"]) == ("resolved", "user:cop", note)
    assert [c["change"] for c in api["history"]][-2:] == ["acknowledged", "resolved"]
    audit = await world.client.get(f"/api/audit?target={inland['id']}",
                                   headers=world.headers("admin"))  # fmt: skip
    actions = [(a["actor"], a["action"]) for a in (await audit.json())["audit"]]
    assert set(actions) == {("user:cop", "alert.acknowledge"), ("user:cop", "alert.resolve")}


@pytest.mark.parametrize("who", ["issuer", "employer"])
async def test_only_police_and_admins_act_on_alerts(world: World, story: Story, who: str) -> None:
    (inland,) = await world.alerts(kind="inland_attempt")  # Jiangping's worker
    csrf = await login(world, who)
    status, html = await get_page(world, f"/alerts/{inland['id']}")
    assert status == 200 and "/acknowledge" not in html and "/resolve" not in html
    for action in ("acknowledge", "resolve"):
        response = await world.client.post(f"/alerts/{inland['id']}/{action}",
                                           data={"csrf": csrf, "note": "x"})  # fmt: skip
        assert response.status == 403 and "forbidden" in await response.text()
    assert (await world.alert(inland["id"]))["status"] == "open"


async def test_an_employer_sees_only_its_own_alerts(world: World, story: Story) -> None:
    await login(world, "employer")  # Jiangping's: Lan's inland attempt only
    (inland,) = await world.alerts(kind="inland_attempt")
    (out_of_area,) = await world.alerts(kind="out_of_area")
    _, html = await get_page(world, "/alerts")
    assert listed(html) == [inland["id"]]
    assert "节点失联" not in html  # no edge kinds to filter by
    assert (await get_page(world, f"/alerts/{out_of_area['id']}"))[0] == 404
    _, html = await get_page(world, f"/alerts?worker={story.minh.worker_id}")
    assert listed(html) == []


async def test_an_employer_and_worker_named_like_scripts_are_escaped(
    world: World, story: Story
) -> None:
    (due,) = await world.alerts(kind="exit_due")
    await login(world, "admin")
    for path in ("/alerts", f"/alerts/{due['id']}"):
        status, html = await get_page(world, path)
        assert status == 200 and XSS not in html and ESCAPED in html, path
    status, html = await get_page(world, f"/alerts?worker={XSS}")
    assert status == 200 and XSS not in html and f'value="{ESCAPED}"' in html
    _, html = await get_page(world, f"/alerts/{due['id']}")
    assert f"{ESCAPED} (E-XSS)" in html  # the employer's name
    assert f"{ESCAPED} {ESCAPED} ({story.xss.worker_id})" in html  # the worker's names
