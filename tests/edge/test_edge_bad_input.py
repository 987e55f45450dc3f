"""Bad requests get a clear 4xx with a reason code and never change the log."""

from __future__ import annotations

import io
from typing import Any

import pytest
from aiohttp import FormData
from edgekit import Edge, assert_chain_intact
from factories import Issuer
from PIL import Image

from borderpass.qr import render_png


async def expect_error(response: Any, status: int, reason: str) -> None:
    assert response.status == status, await response.text()
    body = await response.json()
    assert body["error"]["reason"] == reason
    assert body["error"]["detail"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not_json"),
        (b"\xff\xfe\x00", "not_json"),
        (b"[1, 2]", "not_json"),
        (b'"BP1:xyz"', "not_json"),
        (b'{"direction": "in"}', "missing_qr"),
        (b'{"qr": 12, "direction": "in"}', "bad_qr"),
        (b'{"qr": null, "direction": "in"}', "bad_qr"),
        (b'{"qr": "BP1:x", "direction": "sideways"}', "bad_direction"),
        (b'{"qr": "BP1:x"}', "bad_direction"),
        (b'{"qr": "BP1:x", "direction": "IN"}', "bad_direction"),
        (b'{"qr": "BP1:x", "direction": "in", "operator": ""}', "bad_operator"),
        (b'{"qr": "BP1:x", "direction": "in", "operator": 7}', "bad_operator"),
    ],
)
async def test_a_bad_scan_request_is_400_and_not_logged(
    edge: Edge, body: bytes, reason: str
) -> None:
    response = await edge.client.post(
        "/api/scan", data=body, headers={"Content-Type": "application/json"}
    )
    await expect_error(response, 400, reason)
    assert await edge.log() == []


async def test_an_operator_name_too_long_is_refused(edge: Edge) -> None:
    response = await edge.client.post(
        "/api/scan", json={"qr": "x", "direction": "in", "operator": "o" * 65}
    )
    await expect_error(response, 400, "bad_operator")


async def test_a_body_over_the_limit_is_413(edge: Edge) -> None:
    big = {"qr": "A" * 20_000, "direction": "in"}
    await expect_error(await edge.client.post("/api/scan", json=big), 413, "too_large")


async def test_a_chunked_body_over_the_limit_is_413(edge: Edge) -> None:
    async def chunks() -> Any:
        yield b'{"qr": "'
        for _ in range(40):
            yield b"A" * 1024
        yield b'", "direction": "in"}'

    response = await edge.client.post(
        "/api/scan", data=chunks(), headers={"Content-Type": "application/json"}
    )
    await expect_error(response, 413, "too_large")
    assert await edge.log() == []


async def test_garbage_text_is_a_logged_deny_not_an_error(edge: Edge) -> None:
    for text in ("", "BP1:", "BP1:!!!!", "BP1:" + "0" * 30, "\x00\x01", "😀" * 100):
        result = await edge.scan(text, "in")
        assert result["verdict"] == "deny"
        assert result["reasons"][0] in {"malformed", "too_large"}
    assert_chain_intact(await edge.log())
    assert len(await edge.log()) == 6


@pytest.mark.parametrize(
    ("query", "reason"), [("limit=abc", "bad_limit"), ("limit=0", "bad_limit")]
)
async def test_a_bad_scans_query_is_400(edge: Edge, query: str, reason: str) -> None:
    await expect_error(await edge.client.get(f"/api/scans?{query}"), 400, reason)


async def test_on_site_at_a_border_gate_is_404(edge: Edge) -> None:
    await expect_error(await edge.client.get("/api/onsite"), 404, "not_a_park")


async def test_sync_without_a_hub_is_409(edge: Edge) -> None:
    await expect_error(await edge.client.post("/api/sync"), 409, "no_hub")


async def test_unknown_api_paths_and_methods_answer_json(edge: Edge) -> None:
    await expect_error(await edge.client.get("/api/nothing"), 404, "not_found")
    await expect_error(await edge.client.get("/api/scan"), 405, "method_not_allowed")


async def test_decode_reads_a_png_frame(edge: Edge, issuer: Issuer) -> None:
    qr = issuer.issue()
    response = await edge.client.post(
        "/api/decode", data=render_png(qr), headers={"Content-Type": "image/png"}
    )
    assert response.status == 200
    assert await response.json() == {"qr": qr}


def camera_like_jpeg(png: bytes) -> bytes:
    """The QR on a grey frame, saved as a lossy JPEG, as a camera would send it."""
    code = Image.open(io.BytesIO(png)).convert("L")
    frame = Image.new("L", (code.width + 200, code.height + 120), 180)
    frame.paste(code, (100, 60))
    out = io.BytesIO()
    frame.save(out, format="JPEG", quality=80)
    return out.getvalue()


async def test_decode_reads_a_multipart_jpeg_frame(edge: Edge, issuer: Issuer) -> None:
    qr = issuer.issue()
    form = FormData()
    form.add_field(
        "frame", camera_like_jpeg(render_png(qr)), filename="f.jpg", content_type="image/jpeg"
    )
    response = await edge.client.post("/api/decode", data=form)
    assert response.status == 200
    assert await response.json() == {"qr": qr}


async def test_decode_of_a_frame_without_a_code_is_null(edge: Edge) -> None:
    out = io.BytesIO()
    Image.new("L", (320, 240), 200).save(out, format="PNG")
    response = await edge.client.post("/api/decode", data=out.getvalue())
    assert await response.json() == {"qr": None}


async def test_decode_refuses_what_is_not_an_image(edge: Edge) -> None:
    await expect_error(
        await edge.client.post("/api/decode", data=b"GIF89a not really"), 400, "not_an_image"
    )
    form = FormData()
    form.add_field("note", "no file here")
    await expect_error(await edge.client.post("/api/decode", data=form), 400, "not_an_image")


async def test_decode_refuses_an_image_over_the_limit(start_edge: Any) -> None:
    edge = await start_edge(max_image_bytes=10_000)
    await expect_error(
        await edge.client.post("/api/decode", data=b"\x89PNG" + bytes(20_000)), 413, "too_large"
    )
    form = FormData()
    form.add_field("frame", bytes(20_000), filename="big.png", content_type="image/png")
    await expect_error(await edge.client.post("/api/decode", data=form), 413, "too_large")
