"""The role matrix of the dashboard, alerts, timeline, edges and report pages: every page
renders for each role allowed, the others get 403 (or 404 for another employer's
records); without a session a page sends the browser to the login page."""

from __future__ import annotations

from typing import Any

import pytest
from hubkit import Hub
from uikit import USERS, World, get_page, login, tell_story, ui_world

EVERYONE = set(USERS)
OFFICIALS = {"admin", "issuer", "police"}


@pytest.fixture
async def world(hub: Hub, aiohttp_client: Any) -> World:
    return await ui_world(hub, aiohttp_client)


async def test_each_page_for_each_role(world: World) -> None:
    story = await tell_story(world)
    (inland,) = await world.alerts(kind="inland_attempt")  # Jiangping's worker
    (out_of_area,) = await world.alerts(kind="out_of_area")  # Chonglan's worker
    pages: dict[str, tuple[set[str], set[str]]] = {
        # path: (roles that see it, roles for whom the record does not exist)
        "/": (EVERYONE, set()),
        "/alerts?status=open": (EVERYONE, set()),
        f"/alerts/{inland['id']}": (EVERYONE, {"other_employer"}),
        f"/alerts/{out_of_area['id']}": (EVERYONE, {"employer"}),
        f"/workers/{story.lan.worker_id}/timeline": (EVERYONE, {"other_employer"}),
        f"/workers/{story.xss.worker_id}/timeline": (EVERYONE, {"employer", "other_employer"}),
        "/edges": (OFFICIALS, set()),
        "/reports": (EVERYONE, set()),
        "/reports/overstayers": (EVERYONE, set()),
        "/reports/exits-due.csv": (EVERYONE, set()),
        "/reports/evaluation": (EVERYONE, set()),
        "/reports/expelled.csv": (EVERYONE, set()),
    }
    for who in USERS:
        await login(world, who)
        for path, (allowed, hidden) in pages.items():
            status, text = await get_page(world, path)
            expected = 404 if who in hidden else 200 if who in allowed else 403
            assert status == expected, (who, path, status)
            if expected == 403:
                assert "forbidden" in text
        navigation = (await get_page(world, "/"))[1]
        assert ('href="/edges"' in navigation) is (who in OFFICIALS), who
        assert 'href="/alerts"' in navigation and 'href="/reports"' in navigation


async def test_only_admins_make_or_revoke_edges(world: World) -> None:
    await tell_story(world)
    for who in ("issuer", "police", "employer"):
        csrf = await login(world, who)
        made = await world.client.post("/edges", data={"csrf": csrf, "site_id": "maoling"})
        revoked = await world.client.post("/edges/hengjiang-1/revoke",
                                          data={"csrf": csrf, "reason": "x"})  # fmt: skip
        assert (made.status, revoked.status) == (403, 403), who
    listed = await world.client.get("/api/edges", headers=world.headers("admin"))
    edges = {e["edge_id"]: e["status"] for e in (await listed.json())["edges"]}
    assert "maoling-1" not in edges and edges["hengjiang-1"] == "enrolled"


async def test_without_a_session_pages_send_you_to_log_in(world: World) -> None:
    for path in ("/", "/alerts", "/alerts/x", "/workers/VN-BP-0001/timeline", "/edges",
                 "/reports", "/reports/overstayers.csv"):  # fmt: skip
        response = await world.client.get(path, allow_redirects=False)
        assert response.status == 302, path
        assert response.headers["Location"].startswith("/login?next=/"), path
    for path in ("/alerts/x/acknowledge", "/alerts/x/resolve", "/edges", "/edges/x/revoke"):
        response = await world.client.post(path, data={"csrf": "x"})
        assert response.status == 401, path
