"""The scan page in headless Chromium (Debian's, driven by Playwright): a keyboard-wedge
scan and a camera scan (Chromium's fake camera playing a Y4M video of a QR code that the
test makes) both end with the verdict on screen."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from chromium import CHROMIUM, FLAGS, MARKS
from edgekit import make_data_dir
from factories import NOW_MS, Issuer
from PIL import Image
from playwright.async_api import BrowserContext, async_playwright

from borderpass.clock import ManualClock
from borderpass.qr import render_png
from edge.app import create_app
from edge.config import EdgeConfig

pytestmark = MARKS
VERDICT_TIMEOUT_MS = 20_000
Launch = Callable[..., Awaitable[BrowserContext]]


def y4m_of_png(png: bytes, width: int = 640, height: int = 480, frames: int = 4) -> bytes:
    """A YUV4MPEG2 video (4:2:0, full-range) showing the image centred on white."""
    code = Image.open(io.BytesIO(png)).convert("L")
    code.thumbnail((height - 40, height - 40), Image.Resampling.NEAREST)
    frame = Image.new("L", (width, height), 255)
    frame.paste(code, ((width - code.width) // 2, (height - code.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    return header + (b"FRAME\n" + luma + chroma + chroma) * frames


async def serve_edge(data_dir: Path, issuer: Issuer, site_id: str) -> TestServer:
    make_data_dir(data_dir, issuer, site_id)
    app = create_app(EdgeConfig(data_dir=data_dir), ManualClock(NOW_MS))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


@pytest.fixture
async def edge_url(tmp_path: Path, issuer: Issuer) -> AsyncIterator[str]:
    server = await serve_edge(tmp_path / "edge", issuer, "dongxing-port")
    try:
        yield str(server.make_url("/")).rstrip("/")
    finally:
        await server.close()


@pytest.fixture
async def park_url(tmp_path: Path, issuer: Issuer) -> AsyncIterator[str]:
    server = await serve_edge(tmp_path / "park", issuer, "jiangping-park")
    try:
        yield str(server.make_url("/")).rstrip("/")
    finally:
        await server.close()


@pytest.fixture
async def browser_for(tmp_path: Path) -> AsyncIterator[Launch]:
    """A function making a fresh Chromium context (own profile) with extra flags."""
    async with async_playwright() as playwright:
        contexts: list[BrowserContext] = []

        async def launch(*extra: str) -> BrowserContext:
            context = await playwright.chromium.launch_persistent_context(
                str(tmp_path / f"profile-{len(contexts)}"),
                executable_path=str(CHROMIUM),
                headless=True,
                args=[*FLAGS, *extra],
            )
            contexts.append(context)
            return context

        yield launch
        for context in contexts:
            await context.close()


async def test_a_keyboard_wedge_scan_shows_the_verdict(
    edge_url: str, browser_for: Launch, issuer: Issuer
) -> None:
    context = await browser_for()
    page = await context.new_page()
    await page.goto(edge_url + "/")
    await page.keyboard.type(issuer.issue(), delay=0)  # the scanner types, then Enter
    await page.keyboard.press("Enter")
    overlay = page.locator("#verdict.verdict-allow")
    await overlay.wait_for(state="visible", timeout=VERDICT_TIMEOUT_MS)
    assert await page.inner_text("#verdict-word") == "放行"
    assert "Nguyễn Thị Hoa" in await page.inner_text("#verdict-name")
    assert await page.inner_text("#verdict-zones") == "东兴市、江平工业园"
    await overlay.click()
    await page.keyboard.type("this is not a permit")
    await page.keyboard.press("Enter")
    await page.locator("#verdict.verdict-deny").wait_for(
        state="visible", timeout=VERDICT_TIMEOUT_MS
    )
    assert await page.inner_text("#verdict-word") == "拒绝"
    assert "二维码无法识别" in await page.inner_text("#verdict-reasons")
    await page.locator("#last-scans tr[data-seq='2']").wait_for(timeout=VERDICT_TIMEOUT_MS)


async def test_a_camera_scan_shows_the_verdict(
    edge_url: str, browser_for: Launch, issuer: Issuer, tmp_path: Path
) -> None:
    qr = issuer.issue(single_exit=False)
    video = tmp_path / "qr.y4m"
    video.write_bytes(y4m_of_png(render_png(qr, module_px=6)))
    context = await browser_for(
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    )
    page = await context.new_page()
    await page.goto(edge_url + "/?lang=en")
    await page.click("button.direction[data-direction='out']")
    await page.click("#camera-toggle")
    overlay = page.locator("#verdict.verdict-allow")
    await overlay.wait_for(state="visible", timeout=VERDICT_TIMEOUT_MS)
    assert await page.inner_text("#verdict-word") == "Allowed"
    assert await page.inner_text("#verdict-direction") == "Leave China"
    assert "Nguyễn Thị Hoa" in await page.inner_text("#verdict-name")
    await overlay.wait_for(state="hidden", timeout=VERDICT_TIMEOUT_MS)
    for _ in range(2):  # the camera goes on sending frames of the same card...
        async with page.expect_response(lambda r: "/api/decode" in r.url):
            pass
    scans = await (await page.request.get(edge_url + "/api/scans")).json()
    assert len(scans["scans"]) == 1  # ...which is not scanned again at once


async def test_a_roll_call_on_the_on_site_page_lists_the_worker(
    park_url: str, browser_for: Launch, issuer: Issuer
) -> None:
    context = await browser_for()
    page = await context.new_page()
    await page.goto(park_url + "/onsite")
    assert await page.inner_text("#on-site-count") == "0"
    await page.keyboard.type(issuer.issue())
    await page.keyboard.press("Enter")
    await page.locator("#verdict.verdict-allow").wait_for(timeout=VERDICT_TIMEOUT_MS)
    assert await page.inner_text("#verdict-direction") == "点名"
    await page.locator("#on-site tr[data-worker='VN-BP-0001']").wait_for(timeout=VERDICT_TIMEOUT_MS)
    assert await page.inner_text("#on-site-count") == "1"
