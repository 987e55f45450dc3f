"""The web UI tests' world (importable as ``uikit`` from tests/hub): ``alertkit``'s
real hub (aiohttp's test server, real SQLite, a ManualClock, edges pushing signed
logs through the sync endpoints, the reconciler run at the test's instants) with a
user per role, and a scenario of three workers whose scans raise real alerts.

    world = await ui_world(hub, aiohttp_client)   # with a user per role
    story = await tell_story(world)               # workers, scans, alerts
    await login(world, "police")             # returns the session's CSRF token
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alertkit import World, make_world
from edgeclient import Card
from hubkit import EMPLOYER, OTHER_EMPLOYER, Hub, add_user, log_in

HOUR_MS = 3_600_000
XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
XSS_EMPLOYER = {
    **EMPLOYER,
    "employer_id": "E-XSS",
    "name_zh": XSS,
    "name_vi": XSS,
    "park_zone": "dongxing/kec",
}
USERS = {
    "admin": ("boss", "admin", None),
    "issuer": ("hr", "issuer", None),
    "police": ("cop", "police", None),
    "employer": ("jp", "employer", EMPLOYER["employer_id"]),
    "other_employer": ("cl", "employer", OTHER_EMPLOYER["employer_id"]),
}
"""A user per role name (the names of ``hubkit``'s tokens): username, role, employer."""

__all__ = ["ESCAPED", "XSS", "Story", "World", "get_page", "login", "tell_story", "ui_world"]


async def ui_world(hub: Hub, aiohttp_client: Any) -> World:
    """``alertkit``'s world with a web user per role name (:data:`USERS`)."""
    world = await make_world(hub, aiohttp_client)
    for username, role, employer_id in USERS.values():
        extra: dict[str, Any] = {"employer_id": employer_id} if employer_id else {}
        await add_user(world.client, hub, username, role, **extra)
    return world


async def login(world: World, who: str) -> str:
    """Log in on the web pages as the user of role name ``who``; return the session's
    CSRF token."""
    return await log_in(world.client, USERS[who][0])


async def get_page(world: World, path: str) -> tuple[int, str]:
    response = await world.client.get(path, allow_redirects=False)
    return response.status, await response.text()


@dataclass(frozen=True)
class Story:
    """Three workers: ``lan`` (Jiangping's) entered, went to work and tried to go inland
    through Hengjiang; ``minh`` (Chonglan's) entered and was refused at Jiangping park,
    outside his area; ``xss`` (an employer and a worker named like a script) entered and
    must leave in two days."""

    lan: Card
    minh: Card
    xss: Card

    @property
    def workers(self) -> tuple[str, str, str]:
        return self.lan.worker_id, self.minh.worker_id, self.xss.worker_id


async def tell_story(world: World) -> Story:
    admin = world.headers("admin")
    made = await world.client.post("/api/employers", json=XSS_EMPLOYER, headers=admin)
    assert made.status == 201, await made.text()
    lan = await world.issue()
    minh = await world.issue(
        employer_id=OTHER_EMPLOYER["employer_id"], zones=["dongxing", "dongxing/chonglan"],
        worker={"border_pass_no": "VN-BP-0002", "name": "Trần Văn Minh", "name_zh": "陈文明"},
    )  # fmt: skip
    xss = await world.issue(
        employer_id="E-XSS", zones=["dongxing", "dongxing/kec"], valid_until="2026-11-04",
        worker={"border_pass_no": "VN-BP-0003", "name": XSS, "name_zh": XSS},
    )  # fmt: skip
    now = world.clock.now_ms()
    for hours, site, card, direction, extra in (
        (3, "dongxing-port", lan, "in", {}),
        (2, "jiangping-park", lan, "in", {}),
        (1, "hengjiang", lan, "in", {"verdict": "alert", "reasons": ("inland_not_permitted",)}),
        (3, "dongxing-port", minh, "in", {}),
        (2, "jiangping-park", minh, "in",
         {"verdict": "deny", "reasons": ("zone_not_permitted",)}),
        (2, "dongxing-port", xss, "in", {}),
    ):  # fmt: skip
        (await world.edge(site)).scan(card, direction, at_ms=now - hours * HOUR_MS, **extra)
    for edge in world.edges.values():
        await edge.push()
    await world.tick()
    return Story(lan, minh, xss)
