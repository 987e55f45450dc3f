"""The dashboard: for officials, open alerts by severity, crossings per site and hour
(server-made SVG, on the hub's clock), edge health and the site map; an employer's own
panel; names escaped."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hubkit import Hub
from uikit import ESCAPED, XSS, Story, World, get_page, login, tell_story, ui_world

HOUR_MS = 3_600_000


@pytest.fixture
async def world(hub: Hub, aiohttp_client: Any) -> World:
    return await ui_world(hub, aiohttp_client)


@pytest.fixture
async def story(world: World) -> Story:
    return await tell_story(world)


def badge(html: str, severity: str) -> int:
    """The count on the dashboard's badge for ``severity`` (it links to the list)."""
    found = re.search(
        rf'<a href="/alerts\?status=open&amp;severity={severity}"[^>]*><strong>(\d+)</strong>',
        html,
    )
    assert found, f"no badge for {severity}"
    return int(found.group(1))


def svgs(html: str) -> list[str]:
    return re.findall(r"<svg .*?</svg>", html, flags=re.S)


async def test_officials_see_alerts_crossings_edges_and_the_map(world: World, story: Story) -> None:
    await login(world, "police")
    status, html = await get_page(world, "/")
    assert status == 200
    counts = {s: badge(html, s) for s in ("urgent", "high", "medium", "info", "ops", "security")}
    assert counts == {"urgent": 1, "high": 1, "medium": 0, "info": 1, "ops": 0, "security": 0}
    chart, site_map = svgs(html)
    # allowed entries at 09:00 (two at the port) and 10:00; refusals are not crossings
    for tip in ("东兴口岸 · 09:00 · 2", "东兴口岸 · 10:00 · 1", "江平工业园大门 · 10:00 · 1",
                "横江边防检查站 · 11:00 · 0", "茅岭检查站 · 12:00 · 0"):  # fmt: skip
        assert f"<title>{tip}</title>" in chart, tip
    assert 'data-site="hengjiang" data-condition="ok"' in site_map
    assert 'data-site="maoling" data-condition="none"' in site_map
    assert "<td>hengjiang-1</td>" in html and "边缘节点状态" in html
    assert "最近签发的务工证" not in html  # the police issue nothing
    world.clock.advance(25 * HOUR_MS)  # a day later, nothing crossed and nobody synced
    await login(world, "police")  # the session lasted twelve hours
    _, html = await get_page(world, "/")
    chart, site_map = svgs(html)
    assert "· 1</title>" not in chart and "· 2</title>" not in chart
    assert 'data-site="hengjiang" data-condition="silent"' in site_map


async def test_an_issuer_also_sees_the_recent_permits_escaped(world: World, story: Story) -> None:
    await login(world, "issuer")
    _, html = await get_page(world, "/")
    assert "最近签发的务工证" in html and story.xss.permit_id in html
    assert XSS not in html and ESCAPED in html


async def test_an_employer_sees_its_own_panel(world: World, story: Story) -> None:
    await login(world, "employer")  # Jiangping's: Lan
    status, html = await get_page(world, "/")
    assert status == 200
    assert badge(html, "urgent") == 1 and badge(html, "high") == 0  # not Minh's out of area
    assert "severity=ops" not in html and "severity=security" not in html
    assert "边缘节点状态" not in html and "hengjiang-1" not in html
    (chart,) = svgs(html)  # its workers' crossings, no map
    assert "<title>东兴口岸 · 09:00 · 1</title>" in chart
    assert "<title>江平工业园大门 · 10:00 · 1</title>" in chart
    assert "本单位人员过去24小时通行人次" in html
    assert "VN-BP-0002" not in html and "VN-BP-0003" not in html
    await login(world, "other_employer")
    _, html = await get_page(world, "/")
    assert badge(html, "high") == 1 and badge(html, "urgent") == 0


async def test_the_dashboard_in_english(world: World, story: Story) -> None:
    await login(world, "admin")
    response = await world.client.get("/lang/en?next=/")
    html = await response.text()
    for text in ("Open alerts by severity", "Crossings per site and hour, last 24 hours",
                 "Dongxing port", "Map of the sites", "Dongxing city", "border gate"):  # fmt: skip
        assert text in html, text
