"""The hub's pages in headless Chromium (Debian's, driven by Playwright), served on a
real loopback port: a police officer logs in, sees the dashboard with its chart and
site map, follows the urgent alert to the worker's timeline; the pages break no
Content-Security-Policy rule and run no script."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from chromium import CHROMIUM, FLAGS, MARKS
from factories import SITES
from hubkit import PASSWORD, Hub
from playwright.async_api import BrowserContext, ConsoleMessage, Page, async_playwright
from uikit import USERS, World, tell_story, ui_world

pytestmark = MARKS
TIMEOUT_MS = 20_000


@pytest.fixture
async def world(hub: Hub, aiohttp_client: Any) -> World:
    """The hub on aiohttp's test server: a real socket on 127.0.0.1."""
    return await ui_world(hub, aiohttp_client)


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    """A fresh Chromium with its own profile."""
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True, args=FLAGS
        )
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context
        finally:
            await context.close()


async def log_in(page: Page, base: str, who: str) -> None:
    await page.goto(f"{base}/")
    assert "/login?next=/" in page.url
    await page.fill("#username", USERS[who][0])
    await page.fill("#password", PASSWORD)
    await page.click("form.stack button")
    await page.wait_for_url(f"{base}/")


async def test_police_open_the_dashboard_and_follow_an_alert_to_a_timeline(
    world: World, browser: BrowserContext
) -> None:
    story = await tell_story(world)
    base = str(world.client.make_url("/")).rstrip("/")
    assert base.startswith("http://127.0.0.1:")
    page = await browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if _is_error(m) else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    await log_in(page, base, "police")

    chart = page.locator("svg.crossings")
    await chart.wait_for()
    assert await chart.locator("rect.cell").count() == 24 * len(SITES.sites)
    assert await chart.locator("title", has_text="东兴口岸 · 09:00 · 2").count() == 1
    site_map = page.locator("svg.site-map")
    assert await site_map.is_visible()
    hengjiang = site_map.locator('g[data-site="hengjiang"]')
    assert await hengjiang.get_attribute("data-condition") == "ok"
    box = await site_map.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 200  # laid out

    await page.click('a.badge.urgent[href*="severity=urgent"]')
    await page.wait_for_url("**/alerts?status=open&severity=urgent")
    await page.click("table a[href^='/alerts/inland_attempt-']")
    await page.wait_for_selector("text=处理记录")
    await page.click(f"dd a[href='/workers/{story.lan.worker_id}/timeline']")
    await page.wait_for_url(f"**/workers/{story.lan.worker_id}/timeline")
    scans = page.locator("table").first.locator("tbody tr")
    assert await scans.count() == 3
    assert "不允许前往内地" in await scans.nth(2).inner_text()
    assert await scans.nth(2).locator("a.alert-link.urgent").inner_text() == "企图进入内地"
    assert errors == []  # no CSP violation, no script error


def _is_error(message: ConsoleMessage) -> bool:
    """A console error other than a failed load (responses are checked on their own)."""
    return message.type == "error" and not message.text.startswith("Failed to load resource")
