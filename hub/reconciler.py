"""The reconciler: keeps the alerts store equal to what the engine computes from the
evidence so far.

* **After a push.** The sync service's listener only wakes the reconciler, which
  waits ``debounce_s`` for more pushes, then recomputes every worker with scans after
  the position it reached in each edge's log, and every worker the dirty log names
  (a permit issued, a revocation made or lifted), in batches, and only then moves
  the positions (:mod:`hub.store.alert_queues`). The push's reply never waits for it,
  and a crash loses nothing: what is not reconciled is found again from the store.
* **From a settled cut.** A worker is recomputed from the cut their last
  reconciliation settled (``hub.reconcile.settle``, kept in ``worker_watch``), over
  the scans since, and only the standing alerts the cut covers are diffed; from the
  first scan when they have no cut or the log names something before it.
* **On a tick** every ``tick_s`` real seconds, at the hub clock's ``now`` (so an
  accelerated clock lives through its thresholds in simulated time): the workers time
  may have changed (``worker_watch.due_ms``), the workers with a provisional alert
  when an edge's watermark moved, and the edges' own alerts.

Each batch is read in one snapshot and computed on a reader thread, then written in
one writer transaction (:class:`hub.alert_recorder.Recorder`). Runs never overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from borderpass.clock import Clock
from borderpass.sqlite import Database
from hub.alert_recorder import Recorder, Tally, WorkerOutcome
from hub.alert_schedule import next_due_ms
from hub.reconcile import (
    Alert,
    Geography,
    Observation,
    PermitRecord,
    ReconcileContext,
    ReconcileSettings,
    Settled,
    edge_alerts,
    reconcile_worker,
    settle,
)
from hub.store import alert_queues as queues
from hub.store import evidence
from protocol.sites import SiteMap

log = logging.getLogger("borderpass.hub.reconciler")


@dataclass(frozen=True, slots=True)
class ReconcilerSettings:
    tick_s: float = 60.0
    """Real seconds between ticks."""
    debounce_s: float = 0.2
    """After a wake-up, wait until pushes pause this long (real seconds) ..."""
    debounce_max_s: float = 5.0
    """... but no longer than this: a catch-up of many pushes runs at full speed and
    is reconciled in a few large rounds, not one per push."""
    batch_workers: int = 500
    """Workers per read-compute-write round."""
    drain_rounds: int = 4
    """Backlogs read per drain at most."""
    rules: ReconcileSettings = field(default_factory=ReconcileSettings)


@dataclass(frozen=True, slots=True)
class _Batch:
    now: int
    """The instant the batch was computed at."""
    outcomes: list[WorkerOutcome]
    failed: list[str]


NO_SCAN = sys.maxsize
"""The earliest new scan of a worker recomputed for time's sake: none."""


def _usable_cut(worker: queues.DirtyWorker, watch: queues.WorkerWatch | None) -> Settled | None:
    """The worker's settled cut, unless something new lies before it (a late scan, a
    registry change): then None, a recomputation from the first scan."""
    if watch is None or watch.settled is None:
        return None
    return watch.settled if worker.earliest_ms >= watch.settled.cut_ms else None


class Reconciler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        site_map: SiteMap,
        settings: ReconcilerSettings = ReconcilerSettings(),
        *,
        webhook: bool = False,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.geography = Geography.of(site_map)
        self.recorder = Recorder(webhook=webhook)
        self._on_queued = on_queued
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._horizons_seen: tuple[tuple[str, int], ...] | None = None

    # -- triggers ------------------------------------------------------------------------

    def wake(self, workers: frozenset[str] = frozenset()) -> None:
        """A push stored scans (a :class:`hub.sync_service.SyncService` listener)."""
        self._wake.set()

    async def run_forever(self) -> None:
        """Drain what an earlier run left (a crash after a push), tick at once, then
        drain on every wake-up and tick on schedule."""
        loop = asyncio.get_running_loop()
        await self._guarded(self.drain())
        next_tick = loop.time()
        while True:
            if loop.time() >= next_tick:
                next_tick = loop.time() + self.settings.tick_s
                await self._guarded(self.tick())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, next_tick - loop.time()))
            if self._wake.is_set():
                self._wake.clear()
                await self._pause_in_pushes()
                await self._guarded(self.drain())

    async def _pause_in_pushes(self) -> None:
        """Wait for ``debounce_s`` without a push, or ``debounce_max_s`` in all."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.debounce_max_s
        while (remaining := deadline - loop.time()) > 0:
            try:
                await asyncio.wait_for(self._wake.wait(), min(self.settings.debounce_s, remaining))
            except TimeoutError:
                return
            self._wake.clear()

    @staticmethod
    async def _guarded(run: Awaitable[Tally]) -> None:
        try:
            await run
        except Exception:
            log.exception("reconciliation failed; retrying at the next wake-up or tick")

    # -- runs ----------------------------------------------------------------------------

    async def drain(self) -> Tally:
        """Recompute the workers with scans not reconciled yet, or a registry change."""
        async with self._lock:
            return await self._drain()

    async def tick(self) -> Tally:
        """The time-based pass, after a drain: due workers, provisional ones when a
        watermark moved, and the edges' alerts."""
        async with self._lock:
            tally = await self._drain()
            now = self.clock.now_ms()
            workers, horizons = await self.db.read(lambda c: self._tick_workers(c, now))
            tally.add(await self._recompute([queues.DirtyWorker(w, NO_SCAN) for w in workers]))
            computed = await self.db.read(lambda c: self._edge_alerts(c, now))
            edges = await self.db.write(lambda tx: self.recorder.record_edges(tx, computed, now))
            self._notify(edges)
            tally.add(edges)
            self._horizons_seen = horizons
            return tally

    async def _drain(self) -> Tally:
        """A few rounds of: read the backlog, recompute its workers, clear it. Bounded,
        so that pushes arriving all the time do not hold the tick back: what is left
        waits for the next wake-up (each push wakes it) or tick."""
        tally = Tally()
        for _ in range(self.settings.drain_rounds):
            backlog = await self.db.read(self._read_backlog)
            if backlog.empty:
                break
            done = await self._recompute(backlog.workers)
            tally.add(done)
            await self._clear(backlog, done.failed)
            if done.failed:  # named again: retried at the next wake-up or tick
                break
        return tally

    async def _clear(self, backlog: queues.Backlog, failed: list[str]) -> None:
        await self.db.write(lambda tx: queues.clear_backlog(tx, backlog, failed))

    @staticmethod
    def _read_backlog(conn: sqlite3.Connection) -> queues.Backlog:
        with evidence.snapshot(conn):
            return queues.backlog(conn)

    async def _recompute(self, workers: Sequence[queues.DirtyWorker]) -> Tally:
        tally = Tally()
        size = self.settings.batch_workers
        for start in range(0, len(workers), size):
            tally.add(await self._recompute_batch(list(workers[start : start + size])))
        return tally

    async def _recompute_batch(self, workers: list[queues.DirtyWorker]) -> Tally:
        now = self.clock.now_ms()
        batch = await self.db.read(lambda c: self._batch(c, workers, now))
        written = await self.db.write(
            lambda tx: self.recorder.record_workers(tx, batch.outcomes, batch.now)
        )
        written.failed = batch.failed
        self._notify(written)
        return written

    def _notify(self, tally: Tally) -> None:
        if tally.queued and self._on_queued is not None:
            self._on_queued()
        if tally.raised or tally.retracted or tally.reopened:
            log.info(
                "alerts: %d raised, %d updated, %d retracted, %d reopened (%d workers)",
                len(tally.raised), len(tally.updated), len(tally.retracted),
                len(tally.reopened), tally.workers,
            )  # fmt: skip

    # -- on a reader thread: read one snapshot, compute ----------------------------------

    def _batch(
        self, conn: sqlite3.Connection, workers: list[queues.DirtyWorker], now: int
    ) -> _Batch:
        """Each worker from their settled cut when they have one and nothing new came
        before it, else from their first scan."""
        ids = [w.worker_id for w in workers]
        with evidence.snapshot(conn):
            ctx = self._context(conn, now)
            watches = queues.watches_of(conn, ids)
            cuts = {w.worker_id: _usable_cut(w, watches.get(w.worker_id)) for w in workers}
            texts = {w: watch.settled_text for w, watch in watches.items()}
            observations = evidence.observations_of(conn, [w for w in ids if not cuts[w]])
            by_cut: dict[int, list[str]] = {}
            for worker_id, cut in cuts.items():
                if cut is not None:
                    by_cut.setdefault(cut.cut_ms, []).append(worker_id)
            for cut_ms, some in by_cut.items():
                observations.update(evidence.observations_of(conn, some, since_ms=cut_ms))
            permits = evidence.permit_records_of(conn, ids)
        outcomes, failed = [], []
        for worker_id in ids:
            try:
                outcomes.append(self._outcome(
                    worker_id, observations[worker_id], permits[worker_id], ctx,
                    cuts[worker_id], texts.get(worker_id),
                ))  # fmt: skip
            except Exception:
                log.exception("cannot reconcile worker %s; left for the next run", worker_id)
                failed.append(worker_id)
        return _Batch(now, outcomes, failed)

    def _context(self, conn: sqlite3.Connection, now: int) -> ReconcileContext:
        return ReconcileContext.build(
            self.geography, now, evidence.watermarks(conn), evidence.active_revocations(conn),
            self.settings.rules,
        )  # fmt: skip

    def _outcome(
        self,
        worker_id: str,
        observations: list[Observation],
        permits: list[PermitRecord],
        ctx: ReconcileContext,
        cut: Settled | None,
        cut_text: str | None,
    ) -> WorkerOutcome:
        """``cut_text``: ``cut`` as stored (kept as is when the cut does not move)."""
        result = reconcile_worker(worker_id, observations, permits, ctx, cut)
        timeline = result.timeline
        later = settle(timeline, {r.permit_id: r for r in permits}, ctx) or cut
        watch = queues.WorkerWatch(
            worker_id, timeline.in_china, timeline.in_china_since_ms,
            next_due_ms(timeline, ctx), ctx.now_ms, later,
            cut_text if later is not None and later == cut else None,
        )  # fmt: skip
        newest = max(permits, key=lambda r: (r.permit.issued_at, r.permit_id), default=None)
        return WorkerOutcome(
            worker_id=worker_id,
            timeline=timeline,
            alerts=result.alerts,
            employers={r.permit_id: r.employer_id for r in permits},
            newest_employer=newest.employer_id if newest else None,
            watch=watch,
            scope=cut,
        )

    def _tick_workers(
        self, conn: sqlite3.Connection, now: int
    ) -> tuple[list[str], tuple[tuple[str, int], ...]]:
        with evidence.snapshot(conn):
            horizons = tuple((m.edge_id, m.synced_through_ms) for m in evidence.watermarks(conn))
            workers = set(queues.due_workers(conn, now))
            if horizons != self._horizons_seen:
                workers.update(queues.provisional_workers(conn))
        return sorted(workers), horizons

    def _edge_alerts(self, conn: sqlite3.Connection, now: int) -> tuple[Alert, ...]:
        with evidence.snapshot(conn):
            ctx = self._context(conn, now)
            return edge_alerts(ctx, evidence.incidents(conn))
