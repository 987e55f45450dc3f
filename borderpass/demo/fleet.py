"""The demo's hub and edges as a fleet: set up (initialise, register, issue, enrol),
start a phase, act on an edge for the plan, watch sync lag, and wait until the hub has
taken in every edge's log and reconciled it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import aiohttp

from borderpass.clock import Clock

from .clients import ApiCallFailed, EdgeClient, HubClient
from .layout import SITE_ORDER, Layout, Phase
from .population import Population
from .processes import Services, run_once

log = logging.getLogger("borderpass.demo")
TOKEN_LINE = "admin API token (shown once, keep it safe):"
ISSUE_CONCURRENCY = 8
ENROL_CONCURRENCY = 10


class DemoError(RuntimeError):
    """The demo cannot go on; the message says why."""


@dataclass(frozen=True, slots=True)
class Issued:
    permit_id: str
    qr: str


async def init_hub(layout: Layout, phase: Phase) -> str:
    """``hub init``; the admin token it prints once."""
    out = (await run_once(layout.hub_init(phase.spec), layout.log_dir)).splitlines()
    for line, following in itertools.pairwise(out):
        if line.strip() == TOKEN_LINE:
            return following.strip()
    raise DemoError("hub init printed no admin token")


async def issue_all(
    hub: HubClient, population: Population, progress: Callable[[int], None]
) -> dict[str, Issued]:
    """Register the employers, then issue every worker's permit (a few at a time)."""
    for employer in population.employers:
        await hub.register_employer(employer.body())
    issued: dict[str, Issued] = {}
    gate = asyncio.Semaphore(ISSUE_CONCURRENCY)

    async def one(worker_id: str, body: dict[str, object]) -> None:
        async with gate:
            made = await hub.issue_permit(body)
        issued[worker_id] = Issued(str(made["permit_id"]), str(made["qr"]))
        progress(len(issued))

    await asyncio.gather(*(one(w.worker_id, w.permit_body()) for w in population.workers))
    return issued


async def edge_tokens(hub: HubClient) -> dict[str, str]:
    """An edge record at every site, with its one-time enrolment token."""
    return {site: await hub.new_edge(site) for site in SITE_ORDER}


async def start_hub(services: Services, layout: Layout, phase: Phase, run_speed: float) -> None:
    await services.start(layout.hub_serve(phase, run_speed), layout.hub_url + "/login")


async def start_edge(services: Services, layout: Layout, site: str, phase: Phase) -> None:
    await services.start(layout.edge_serve(site, phase), layout.edge_url(site) + "/api/status",
                         layout.edge_headers(site))  # fmt: skip


async def start_edges(services: Services, layout: Layout, phase: Phase) -> None:
    await asyncio.gather(*(start_edge(services, layout, site, phase) for site in SITE_ORDER))


async def enrol_and_start(
    services: Services, layout: Layout, phase: Phase, tokens: Mapping[str, str]
) -> dict[str, str]:
    """``edge enrol`` then ``edge serve`` at every site, a few sites at a time, so each
    edge first pushes soon after its enrolment (the hub hears from it before it counts
    as silent). Per site, how the edge found the hub: ``zeroconf`` or ``address``."""
    gate = asyncio.Semaphore(ENROL_CONCURRENCY)

    async def one(site: str) -> tuple[str, str]:
        async with gate:
            command = layout.edge_enrol(site, tokens[site], phase)
            out = await run_once(command, layout.log_dir)
            await start_edge(services, layout, site, phase)
        return site, "zeroconf" if "found with zeroconf" in out else "address"

    return dict(await asyncio.gather(*(one(site) for site in SITE_ORDER)))


def edge_clients(layout: Layout) -> dict[str, EdgeClient]:
    return {
        site: EdgeClient(site, layout.edge_url(site),
                         layout.edge_token if layout.in_namespace(site) else None)
        for site in SITE_ORDER
    }  # fmt: skip


async def wait_for_trust(edges: Mapping[str, EdgeClient], timeout_s: float = 60.0) -> None:
    """Until every edge has pulled its first trust list (it denies every card before)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    waiting = set(edges)
    while waiting and loop.time() < deadline:
        for site in sorted(waiting):
            status = await edges[site].status()
            if status["trust"]["version"] is not None:
                waiting.discard(site)
        await asyncio.sleep(0.2)
    if waiting:
        raise DemoError(f"no trust list from the hub after {timeout_s:.0f} s: {sorted(waiting)}")


@dataclass
class FleetControls:
    """The plan's actions (:class:`borderpass.demo.traffic.Controls`)."""

    services: Services
    layout: Layout
    phase: Phase
    hub: HubClient
    edges: Mapping[str, EdgeClient]
    permits: Mapping[str, Issued]
    reconnected_ms: int | None = None
    _dead: socket.socket = field(default_factory=socket.socket)

    def dead_url(self) -> str:
        """An address where nothing listens: a port bound here and never opened."""
        if self._dead.getsockname()[1] == 0:
            self._dead.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{self._dead.getsockname()[1]}"

    async def revoke(self, worker_id: str) -> None:
        await self.hub.revoke_permit(self.permits[worker_id].permit_id,
                                     "demo: permit withdrawn by the issuer")  # fmt: skip

    async def sync(self, site: str) -> None:
        try:
            await self.edges[site].sync()
        except (ApiCallFailed, aiohttp.ClientError) as exc:
            log.warning("sync at %s failed: %s", site, exc)

    async def _restart(self, site: str, hub_url: str | None) -> None:
        edge = self.edges[site]
        await edge.pause()
        try:
            await self.services.restart(self.layout.edge_serve(site, self.phase, hub_url))
        finally:
            await edge.resume()

    async def disconnect(self, site: str) -> None:
        await self._restart(site, self.dead_url())

    async def reconnect(self, site: str) -> None:
        await self._restart(site, None)
        self.reconnected_ms = self.phase.clock.now_ms()
        await self.sync(site)

    def close(self) -> None:
        self._dead.close()


class LagMonitor:
    """Polls ``GET /api/edges`` and keeps, per site, the longest lag of the hub's view
    of the edge's log (now less the instant through which the hub has all of it)."""

    def __init__(self, hub: HubClient, clock: Clock, every_s: float = 1.0) -> None:
        self.hub, self.clock, self.every_s = hub, clock, every_s
        self.max_lag_ms: dict[str, int] = {}

    async def run(self) -> None:
        while True:
            with contextlib.suppress(ApiCallFailed, aiohttp.ClientError):
                now = self.clock.now_ms()
                for edge in await self.hub.edges():
                    through = edge.get("synced_through")
                    if through is not None:
                        lag = max(0, now - through)
                        self.max_lag_ms[edge["site"]] = max(
                            self.max_lag_ms.get(edge["site"], 0), lag
                        )
            await asyncio.sleep(self.every_s)


async def sync_all(edges: Mapping[str, EdgeClient]) -> None:
    await asyncio.gather(*(edge.sync() for edge in edges.values()))


def _alerts_state(alerts: list[dict[str, object]]) -> tuple[tuple[object, ...], ...]:
    return tuple(sorted((a["id"], a["retracted"], a["provisional"], a["at"]) for a in alerts))


async def settle(
    hub: HubClient, edges: Mapping[str, EdgeClient], since_ms: int, timeout_s: float = 120.0
) -> tuple[list[dict[str, object]], bool]:
    """Wait until the hub has every edge's log through ``since_ms`` and its alerts
    stay the same for three ticks with none provisional. The alerts, and whether
    that happened within ``timeout_s``."""
    loop = asyncio.get_running_loop()
    deadline, stable, last = loop.time() + timeout_s, 0, None
    while loop.time() < deadline:
        statuses = [await e.status() for e in edges.values()]
        marks = [e.get("synced_through") for e in await hub.edges() if e["status"] == "enrolled"]
        caught_up = all(s["events"]["unacknowledged"] == 0 for s in statuses) and all(
            m is not None and m >= since_ms for m in marks
        )
        alerts = await hub.alerts()
        state = _alerts_state(alerts)
        provisional = any(a["provisional"] and not a["retracted"] for a in alerts)
        stable = stable + 1 if caught_up and state == last and not provisional else 0
        if stable >= 3:
            return alerts, True
        last = state
        await asyncio.sleep(1.0)
    return await hub.alerts(), False
