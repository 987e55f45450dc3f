"""The report pages and their CSV downloads through the real hub: overstayers, exits
due per employer, the annual evaluation and the expelled list; an employer's own rows
only; names escaped on the page and guarded against formula injection in the CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from factories import TODAY
from hubkit import Hub
from uikit import ESCAPED, XSS, Story, World, get_page, login, tell_story, ui_world

from protocol.days import start_of_day_ms

FORMULA = '=HYPERLINK("http://evil.example","click")'
HOUR_MS = 3_600_000


@pytest.fixture
async def world(hub: Hub, aiohttp_client: Any) -> World:
    return await ui_world(hub, aiohttp_client)


@pytest.fixture
async def story(world: World) -> Story:
    """The story, and one more Jiangping worker named like a formula, in China until
    the 5th."""
    told = await tell_story(world)
    card = await world.issue(valid_until="2026-11-05",
                             worker={"border_pass_no": "VN-BP-0004", "name": FORMULA})  # fmt: skip
    await world.scan_and_push("beilun-bridge-2", card, "in", at_ms=world.clock.now_ms() - HOUR_MS)
    await world.tick()
    return told


async def download(world: World, path: str) -> list[list[str]]:
    response = await world.client.get(path)
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    data = await response.read()
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8")[1:], newline="")))


async def test_exits_due_this_week_per_employer(world: World, story: Story) -> None:
    await login(world, "police")
    status, html = await get_page(world, "/reports/exits-due")
    assert status == 200 and XSS not in html
    assert f"<h3>{ESCAPED} (E-XSS) · 共 1 条</h3>" in html
    assert "<h3>江平制衣有限公司 (E-JP-01) · 共 1 条</h3>" in html
    header, *rows = await download(world, "/reports/exits-due.csv")
    assert header[:4] == ["边境通行证号", "姓名（越南文）", "中文姓名", "单位编号"]
    assert [(r[0], r[1], r[3], r[6], r[7]) for r in rows] == [
        ("VN-BP-0004", "'" + FORMULA, "E-JP-01", "2026-11-05", "3"),
        ("VN-BP-0003", XSS, "E-XSS", "2026-11-04", "2"),
    ]  # fmt: skip
    assert rows[0][9] == "beilun-bridge-2" and rows[0][8] == "2026-11-02 11:00"


async def test_an_employer_sees_only_its_own_report_rows(world: World, story: Story) -> None:
    await login(world, "employer")
    _, html = await get_page(world, "/reports/exits-due")
    assert "VN-BP-0004" in html and "VN-BP-0003" not in html and "E-XSS" not in html
    assert [r[0] for r in (await download(world, "/reports/exits-due.csv"))[1:]] == ["VN-BP-0004"]
    evaluation = await download(world, "/reports/evaluation.csv")
    assert [r[0] for r in evaluation[1:]] == ["E-JP-01"]
    await login(world, "other_employer")
    assert (await download(world, "/reports/exits-due.csv"))[1:] == []
    assert (await download(world, "/reports/overstayers.csv"))[1:] == []


async def test_overstayers_once_the_end_date_has_passed(world: World, story: Story) -> None:
    world.clock.set(start_of_day_ms(TODAY + timedelta(days=5)) + 9 * HOUR_MS)
    await login(world, "admin")
    _, html = await get_page(world, "/reports/overstayers")
    assert "截至 2026-11-07" in html and XSS not in html and ESCAPED in html
    rows = (await download(world, "/reports/overstayers.csv"))[1:]
    assert [(r[0], r[3], r[7]) for r in rows] == [("VN-BP-0003", "E-XSS", "3"),
                                                  ("VN-BP-0004", "E-JP-01", "2")]  # fmt: skip
    await world.scan_and_push("dongxing-port", story.xss, "out")  # leaves at last
    rows = (await download(world, "/reports/overstayers.csv"))[1:]
    assert [r[0] for r in rows] == ["VN-BP-0004"]


async def test_the_annual_evaluation(world: World, story: Story) -> None:
    await login(world, "police")
    header, *rows = await download(world, "/reports/evaluation.csv")
    by_id = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    assert set(by_id) == {"E-JP-01", "E-CL-02", "E-XSS"}
    jp = by_id["E-JP-01"]
    assert (jp["年度"], jp["务工人数"], jp["签发务工证"]) == ("2026", "2", "2")
    assert (jp["企图进入内地"], jp["即将到期须出境"], jp["警报总数"], jp["违规"]) == (
        "1", "1", "2", "1",
    )  # fmt: skip
    cl = by_id["E-CL-02"]
    assert (cl["超出允许区域"], cl["违规"], cl["吊销"]) == ("1", "1", "0")
    assert by_id["E-XSS"]["单位名称"] == XSS
    _, html = await get_page(world, "/reports/evaluation?year=2025")
    assert 'value="2025"' in html and XSS not in html
    last_year = await download(world, "/reports/evaluation.csv?year=2025")
    assert {r[0]: (r[3], r[4], r[5]) for r in last_year[1:]}["E-JP-01"] == ("0", "0", "0")
    status, html = await get_page(world, "/reports/evaluation?year=twenty")
    assert status == 400 and "invalid_field" in html


async def test_the_expelled_list(world: World, story: Story) -> None:
    issuer = world.headers("issuer")
    for path in (f"/api/workers/{story.minh.worker_id}/revoke", "/api/employers/E-XSS/revoke"):
        response = await world.client.post(path, json={"reason": "broke the rules"},
                                           headers=issuer)  # fmt: skip
        assert response.status in (200, 201), await response.text()
    await login(world, "police")
    _, html = await get_page(world, "/reports/expelled")
    assert "陈文明" in html and ESCAPED in html and XSS not in html
    rows = (await download(world, "/reports/expelled.csv"))[1:]
    assert sorted((r[0], r[1]) for r in rows) == [("务工人员", "VN-BP-0002"),
                                                  ("用工单位", "E-XSS")]  # fmt: skip
    await login(world, "other_employer")  # Chonglan: its own worker only
    rows = (await download(world, "/reports/expelled.csv"))[1:]
    assert [(r[1], r[2], r[4]) for r in rows] == [
        ("VN-BP-0002", "Trần Văn Minh 陈文明", "broke the rules")
    ]
    await login(world, "employer")
    assert (await download(world, "/reports/expelled.csv"))[1:] == []


async def test_the_reports_index_and_an_unknown_report(world: World) -> None:
    await login(world, "employer")
    status, html = await get_page(world, "/reports")
    assert status == 200
    for name in ("overstayers", "exits-due", "evaluation", "expelled"):
        assert f'href="/reports/{name}"' in html and f'href="/reports/{name}.csv"' in html
    assert (await get_page(world, "/reports/payroll"))[0] == 404
    assert (await get_page(world, "/reports/payroll.csv"))[0] == 404
