"""The worker timeline page: every scan with site, direction, verdict and reasons in
words, and the alerts it raised; an employer sees only its own workers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hubkit import Hub
from uikit import ESCAPED, XSS, World, get_page, login, tell_story, ui_world


@pytest.fixture
async def world(hub: Hub, aiohttp_client: Any) -> World:
    return await ui_world(hub, aiohttp_client)


def rows(html: str) -> list[str]:
    """The rows of the page's first table (the scans), as text with tags kept."""
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return re.findall(r"<tr>(.*?)</tr>", body)


async def test_every_scan_in_words_with_the_alert_it_raised(world: World) -> None:
    story = await tell_story(world)
    (inland,) = await world.alerts(kind="inland_attempt")
    await login(world, "police")
    status, html = await get_page(world, f"/workers/{story.lan.worker_id}/timeline")
    assert status == 200
    entry, park, inland_row = rows(html)
    for text in ("2026-11-02 09:00", "东兴口岸", "<td>进</td>", "放行", "dongxing-port-1 / 1"):
        assert text in entry, text
    assert "江平工业园大门" in park and "放行" in park
    for text in ("横江边防检查站", "拒绝并报警", "不允许前往内地", "企图进入内地",
                 f'href="/alerts/{inland["id"]}"'):  # fmt: skip
        assert text in inland_row, text
    assert f'href="/alerts/{inland["id"]}"' not in entry + park
    assert 'id="scan-hengjiang-1-1"' in inland_row  # where the alert page links to
    assert "该人员的警报" in html and "已证实" in html  # the worker's alerts, confirmed
    english = await world.client.get(f"/lang/en?next=/workers/{story.lan.worker_id}/timeline")
    text = await english.text()
    for words in ("Dongxing port", "Not permitted to go inland", "deny and alert",
                  "inland attempt", "<td>in</td>"):  # fmt: skip
        assert words in text, words


async def test_a_refusal_outside_the_area_shows_its_reason(world: World) -> None:
    story = await tell_story(world)
    await login(world, "admin")
    _, html = await get_page(world, f"/workers/{story.minh.worker_id}/timeline")
    _, refused = rows(html)
    for text in ("江平工业园大门", "<span class=\"verdict deny\">拒绝</span>", "不在许可区域内",
                 "超出允许区域"):  # fmt: skip
        assert text in refused, text


async def test_an_employer_sees_only_its_own_workers_timelines(world: World) -> None:
    story = await tell_story(world)
    await login(world, "employer")  # Jiangping's
    status, html = await get_page(world, f"/workers/{story.lan.worker_id}/timeline")
    assert status == 200 and len(rows(html)) == 3
    for worker in (story.minh.worker_id, story.xss.worker_id, "VN-NOBODY"):
        status, html = await get_page(world, f"/workers/{worker}/timeline")
        assert status == 404 and "not_found" in html, worker
    await login(world, "other_employer")  # Chonglan's
    status, html = await get_page(world, f"/workers/{story.minh.worker_id}/timeline")
    assert status == 200 and "超出允许区域" in html
    assert (await get_page(world, f"/workers/{story.lan.worker_id}/timeline"))[0] == 404


async def test_a_worker_named_like_a_script_is_shown_escaped(world: World) -> None:
    story = await tell_story(world)
    await login(world, "police")
    status, html = await get_page(world, f"/workers/{story.xss.worker_id}/timeline")
    assert status == 200 and XSS not in html and ESCAPED in html
    assert "即将到期须出境" in html  # the exit due alert, linked from the entry
    _, worker_page = await get_page(world, f"/workers/{story.xss.worker_id}")
    assert f'href="/workers/{story.xss.worker_id}/timeline"' in worker_page
