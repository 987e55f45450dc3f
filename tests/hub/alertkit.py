"""The alert tests' world (importable as ``alertkit`` from tests/hub): the real hub
(``create_app`` on aiohttp's test server, real SQLite, a ManualClock), the two
employers of ``hubkit`` and a token per role, permits issued through the API, and
edges enrolled and pushing through the sync endpoints (:mod:`edgeclient`).

The reconciler's background loop runs, but the tests do not wait for it: they call
:meth:`World.settle` (recompute the workers the pushes marked) and :meth:`World.tick`
(the time-based pass) at the instants they choose.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from edgeclient import Card, EdgeClient, card_of
from hubkit import EMPLOYER, OTHER_EMPLOYER, Hub, bearer, permit_body

from borderpass.clock import ManualClock
from hub.alerts_setup import RECONCILER
from hub.app import create_app
from hub.reconciler import Reconciler
from protocol.days import end_of_day_ms, start_of_day_ms

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
TEST_CONFIG = {"reconcile_tick_s": 3600.0, "reconcile_debounce_s": 0.0, "advertise": False}


def day_ms(day: date, hour: int = 0, minute: int = 0) -> int:
    """An instant on a Shanghai calendar day."""
    return start_of_day_ms(day) + (hour * 60 + minute) * 60_000


def after_day(day: date, hours: int = 1) -> int:
    """``hours`` into the day after ``day``'s end in Shanghai."""
    return end_of_day_ms(day) + 1 + hours * HOUR_MS


@dataclass
class World:
    client: TestClient
    hub: Hub
    edges: dict[str, EdgeClient] = field(default_factory=dict)

    @property
    def clock(self) -> ManualClock:
        return self.hub.clock

    @property
    def reconciler(self) -> Reconciler:
        return self.client.server.app[RECONCILER]

    def headers(self, who: str = "police") -> dict[str, str]:
        return bearer(self.hub, who)

    async def edge(self, site: str) -> EdgeClient:
        """The edge at ``site`` (enrolled on first use)."""
        if site not in self.edges:
            admin = self.headers("admin")
            self.edges[site] = await EdgeClient.enrol(self.client, admin, site, self.clock)
        return self.edges[site]

    async def issue(self, **overrides: Any) -> Card:
        """Issue a permit (``hubkit.permit_body`` with the overrides; zones default
        to the city and the employer's park); return its card."""
        overrides.setdefault("zones", ["dongxing", "dongxing/jiangping"])
        body = permit_body(**overrides)
        response = await self.client.post("/api/permits", json=body, headers=self.headers("issuer"))
        assert response.status == 201, await response.text()
        return card_of(await response.json(), body)

    async def scan_and_push(self, site: str, card: Card, direction: str, **kw: Any) -> int:
        """Scan at ``site`` and push at once (the clock moves on to a later ``at_ms``:
        the hub flags scans from its future)."""
        edge = await self.edge(site)
        if kw.get("at_ms", 0) > self.clock.now_ms():
            self.clock.set(kw["at_ms"])
        seq = edge.scan(card, direction, **kw)
        await edge.push()
        return seq

    async def settle(self) -> None:
        """Recompute every worker the pushes so far marked."""
        await self.reconciler.drain()

    async def tick(self) -> None:
        await self.reconciler.drain()
        await self.reconciler.tick()

    async def alerts(self, who: str = "police", **filters: str) -> list[dict[str, Any]]:
        response = await self.client.get("/api/alerts", params=filters, headers=self.headers(who))
        assert response.status == 200, await response.text()
        found: list[dict[str, Any]] = (await response.json())["alerts"]
        return found

    async def only(self, kind: str, **filters: str) -> dict[str, Any]:
        """The one alert of ``kind`` (asserting there is exactly one)."""
        found = await self.alerts(kind=kind, **filters)
        assert len(found) == 1, found
        return found[0]

    async def alert(self, alert_id: str, who: str = "police") -> dict[str, Any]:
        response = await self.client.get(f"/api/alerts/{alert_id}", headers=self.headers(who))
        assert response.status == 200, await response.text()
        found: dict[str, Any] = await response.json()
        return found

    async def kinds(self, **filters: str) -> set[str]:
        return {a["kind"] for a in await self.alerts(**filters)}


async def make_world(hub: Hub, aiohttp_client: Any, **config: Any) -> World:
    """The hub of ``hubkit``'s ``hub`` fixture with :data:`TEST_CONFIG` (and
    ``config``), both employers registered, a token per role."""
    hub.config = dataclasses.replace(hub.config, **{**TEST_CONFIG, **config})
    client: TestClient = await aiohttp_client(create_app(hub.config, hub.clock))
    admin = bearer(hub, "admin")
    for employer in (EMPLOYER, OTHER_EMPLOYER):
        response = await client.post("/api/employers", json=employer, headers=admin)
        assert response.status == 201, await response.text()
    grants = {
        "issuer": ("issuer", None),
        "police": ("police", None),
        "employer": ("employer", EMPLOYER["employer_id"]),
        "other_employer": ("employer", OTHER_EMPLOYER["employer_id"]),
    }
    for name, (role, employer_id) in grants.items():
        body = {"role": role, "employer_id": employer_id}
        response = await client.post("/api/tokens", json=body, headers=admin)
        assert response.status == 201, await response.text()
        hub.tokens[name] = (await response.json())["token"]
    return World(client, hub)


def other_worker(n: int, **overrides: Any) -> dict[str, Any]:
    """Overrides of ``permit_body`` for another worker (border pass ``VN-BP-9nnn``)."""
    worker = {"border_pass_no": f"VN-BP-9{n:03d}", "name": f"Worker {n}"}
    return {"worker": worker, **overrides}


def days(n: int) -> timedelta:
    return timedelta(days=n)
