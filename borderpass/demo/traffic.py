"""The traffic driver: every planned scan sent to its edge's ``POST /api/scan`` when the
shared simulated clock reaches it, every planned action done at its time.

Each actor (a worker, or the carrier of a copied QR) runs as its own task, so scans at
different edges go out concurrently. A scan waits for its planned instant, for the scan
or action it depends on, and for ``min_gap_ms`` after the actor's previous scan was
logged: when the machine falls behind, a worker's day shifts later but never gets
shorter than the trips in it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp

from borderpass.clock import Clock

from .clients import ApiCallFailed, EdgeClient
from .schedule import ActionKind, Plan, PlannedAction, PlannedScan

log = logging.getLogger("borderpass.demo.traffic")


@dataclass(frozen=True, slots=True)
class ScanResult:
    scan: PlannedScan
    verdict: str
    """``allow``, ``deny``, ``alert``, or ``error`` when the edge did not answer."""
    reasons: tuple[str, ...]
    at_ms: int
    """When the edge logged it (its clock), or when it failed."""


class Controls(Protocol):
    """What the plan's actions do, provided by the runner."""

    async def revoke(self, worker_id: str) -> None: ...
    async def sync(self, site: str) -> None: ...
    async def disconnect(self, site: str) -> None: ...
    async def reconnect(self, site: str) -> None: ...


Progress = Callable[[int, int], None]
"""Called with (scans done, simulated minutes behind the plan)."""


class Traffic:
    def __init__(
        self,
        plan: Plan,
        qr_of: Mapping[str, str],
        edges: Mapping[str, EdgeClient],
        controls: Controls,
        clock: Clock,
        progress: Progress | None = None,
    ) -> None:
        self.plan, self.qr_of, self.edges, self.controls = plan, qr_of, edges, controls
        self.clock, self.progress = clock, progress
        self.results: list[ScanResult] = []
        self._done: dict[str, asyncio.Event] = {}
        self._done_at: dict[str, int] = {}
        self._behind_min = 0

    async def run(self) -> list[ScanResult]:
        """Drive the whole plan; return every scan's result in the order they ended."""
        for key in [s.key for s in self.plan.scans] + [a.key for a in self.plan.actions]:
            if key is not None:
                self._done[key] = asyncio.Event()
        actors: dict[str, list[PlannedScan]] = {}
        for scan in self.plan.scans:
            actors.setdefault(scan.actor, []).append(scan)
        tasks = [self._actor(scans) for scans in actors.values()]
        tasks += [self._action(action) for action in self.plan.actions]
        await asyncio.gather(*tasks)
        return self.results

    async def sleep_until(self, at_ms: int) -> None:
        """Wait until the simulated clock reads ``at_ms``."""
        while (now := self.clock.now_ms()) < at_ms:  # noqa: ASYNC110 (a clock, not an event)
            await asyncio.sleep(min(5.0, (at_ms - now) / self.clock.speed / 1000))

    async def _ready_at(self, planned: int, after: str | None, gap_ms: int) -> int:
        if after is None:
            return planned
        await self._done[after].wait()
        return max(planned, self._done_at[after] + gap_ms)

    def _mark(self, key: str | None, at_ms: int) -> None:
        if key is not None:
            self._done_at[key] = at_ms
            self._done[key].set()

    async def _actor(self, scans: list[PlannedScan]) -> None:
        previous: int | None = None
        for scan in scans:
            target = await self._ready_at(scan.at_ms, scan.after, scan.after_gap_ms)
            if previous is not None:
                target = max(target, previous + scan.min_gap_ms)
            await self.sleep_until(target)
            result = await self._send(scan)
            previous = result.at_ms
            self.results.append(result)
            self._mark(scan.key, result.at_ms)
            if self.progress is not None:
                self._behind_min = max(0, (self.clock.now_ms() - scan.at_ms) // 60_000)
                self.progress(len(self.results), self._behind_min)

    async def _send(self, scan: PlannedScan) -> ScanResult:
        try:
            reply = await self.edges[scan.site].scan(self.qr_of[scan.worker_id],
                                                     scan.direction.value)  # fmt: skip
        except (ApiCallFailed, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("scan of %s at %s failed: %s", scan.worker_id, scan.site, exc)
            return ScanResult(scan, "error", (str(exc)[:200],), self.clock.now_ms())
        return ScanResult(scan, str(reply["verdict"]), tuple(reply["reasons"]), int(reply["at"]))

    async def _action(self, action: PlannedAction) -> None:
        target = await self._ready_at(action.at_ms, action.after, 0)
        await self.sleep_until(target)
        perform = {
            ActionKind.REVOKE: self.controls.revoke,
            ActionKind.SYNC: self.controls.sync,
            ActionKind.DISCONNECT: self.controls.disconnect,
            ActionKind.RECONNECT: self.controls.reconnect,
        }[action.kind]
        await perform(action.target)
        self._mark(action.key, self.clock.now_ms())
