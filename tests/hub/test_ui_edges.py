"""The edges page: the health table for officials; for administrators, making an edge
(its one-time token shown once, with the command that enrols it, and the token really
enrols an edge) and revoking one."""

from __future__ import annotations

import re
from typing import Any

import pytest
from edgeclient import FRAME
from factories import key_from_label
from hubkit import Hub
from uikit import ESCAPED, XSS, World, get_page, login, tell_story, ui_world

from protocol.sync.frames import decode_frame, encode_frame
from protocol.sync.messages import EnrolReply, EnrolRequest, ErrorReply

HOUR_MS = 3_600_000


@pytest.fixture
async def world(hub: Hub, aiohttp_client: Any) -> World:
    return await ui_world(hub, aiohttp_client)


def edge_row(html: str, edge_id: str) -> str:
    found = re.search(rf"<tr><td>{re.escape(edge_id)}</td>(.*?)</tr>", html)
    assert found, f"no row for {edge_id}"
    return found.group(1)


async def enrol(world: World, token: str) -> EnrolReply | ErrorReply:
    request = EnrolRequest(token, key_from_label("ui edge").public_key, "ui-test")
    response = await world.client.post(
        "/sync/v1/enrol", data=encode_frame(request), headers={"Content-Type": FRAME}
    )
    _, reply = decode_frame(await response.read())
    assert isinstance(reply, EnrolReply | ErrorReply), reply
    return reply


async def test_officials_see_each_edges_health(world: World) -> None:
    await tell_story(world)
    await login(world, "police")
    status, html = await get_page(world, "/edges")
    assert status == 200 and 'action="/edges"' not in html  # no form for the police
    row = edge_row(html, "hengjiang-1")
    for text in ("横江边防检查站", "已注册", "正常", "2026-11-02 12:00", "0 s", "+0.0 s", "最新"):
        assert text in row, text
    assert "/revoke" not in row
    world.clock.advance(7 * HOUR_MS)  # past the six hours after which an edge is silent
    _, html = await get_page(world, "/edges")
    assert "失联" in edge_row(html, "hengjiang-1")
    assert "7 h 0 min" in edge_row(html, "hengjiang-1")


async def test_an_admin_makes_an_edge_and_its_token_enrols_it_once(world: World) -> None:
    csrf = await login(world, "admin")
    status, html = await get_page(world, "/edges")
    assert status == 200 and 'action="/edges"' in html and "暂无边缘节点" in html
    made = await world.client.post("/edges", data={"csrf": csrf, "site_id": "maoling",
                                                   "label": XSS})  # fmt: skip
    html = await made.text()
    assert made.status == 200 and made.headers["Cache-Control"] == "no-store"
    token = re.search(r'<pre class="token">([^<]+)</pre>', html)
    command = re.search(r'<pre class="command">([^<]+)</pre>', html)
    assert token and command
    origin = str(world.client.make_url("/")).rstrip("/")
    assert command.group(1) == (
        f"borderpass edge enrol --data edge-maoling --hub {origin} --token {token.group(1)}"
    )
    assert XSS not in html and ESCAPED in edge_row(html, "maoling-1")
    assert "待注册" in edge_row(html, "maoling-1")
    _, again = await get_page(world, "/edges")
    assert token.group(1) not in again  # shown once
    reply = await enrol(world, token.group(1))
    assert isinstance(reply, EnrolReply) and reply.edge_id == "maoling-1"
    assert isinstance(await enrol(world, token.group(1)), ErrorReply)  # one-time
    _, html = await get_page(world, "/edges")
    assert "已注册" in edge_row(html, "maoling-1")


async def test_bad_input_on_the_edge_forms_is_refused(world: World) -> None:
    csrf = await login(world, "admin")
    unknown = await world.client.post("/edges", data={"csrf": csrf, "site_id": "atlantis"})
    assert unknown.status == 400 and "unknown_site" in await unknown.text()
    forged = await world.client.post("/edges", data={"site_id": "maoling"})
    assert forged.status == 403 and "bad_csrf" in await forged.text()
    listed = await world.client.get("/api/edges", headers=world.headers("admin"))
    assert (await listed.json())["edges"] == []


async def test_an_admin_revokes_an_edge_audited(world: World) -> None:
    await tell_story(world)
    police_csrf = await login(world, "police")
    refused = await world.client.post("/edges/hengjiang-1/revoke",
                                      data={"csrf": police_csrf, "reason": "x"})  # fmt: skip
    assert refused.status == 403
    csrf = await login(world, "admin")
    no_reason = await world.client.post("/edges/hengjiang-1/revoke", data={"csrf": csrf})
    assert no_reason.status == 400 and "invalid_field" in await no_reason.text()
    revoked = await world.client.post("/edges/hengjiang-1/revoke",
                                      data={"csrf": csrf, "reason": "stolen"})  # fmt: skip
    html = await revoked.text()
    assert revoked.status == 200 and str(revoked.url).endswith("/edges")
    row = edge_row(html, "hengjiang-1")
    assert "已吊销" in row and "/revoke" not in row
    twice = await world.client.post("/edges/hengjiang-1/revoke",
                                    data={"csrf": csrf, "reason": "again"})  # fmt: skip
    assert twice.status == 409
    audit = await world.client.get("/api/audit?target=hengjiang-1",
                                   headers=world.headers("admin"))  # fmt: skip
    entries = (await audit.json())["audit"]
    revocations = [(a["actor"], a["detail"]["reason"]) for a in entries
                   if a["action"] == "edge.revoke"]  # fmt: skip
    assert revocations == [("user:boss", "stolen")]
