"""The hub's half of ``bench/reconcile.py``: the synthetic logs ingested into a real
hub store (SQLite on disk, WAL, ``synchronous=FULL``, the hub's migrations and
triggers) and reconciled by the hub's own :class:`hub.reconciler.Reconciler`.

* **Bulk ingest** goes through the store's batched insert: each edge's log in
  1,000-event pushes, each judged by the sync protocol's ``ingest_push`` (decode every
  event, check the hash chain and the head signature) and stored with
  ``hub.store.sync.store_events``, one writer transaction per push, the edges
  pushing concurrently (group commit). What ``SyncService.push`` adds around that
  (the request's nonce, the edge's contact, the change-feed publication of used-up
  permits and of who is in China) is left out of the bulk; the incremental batch
  below pays for it.
* **Reconciliation**: ``Reconciler.drain()`` over every worker the triggers marked:
  load from the store, compute, settle, write alerts and watch rows.
* **One more batch**: the next morning's first 1,000 scans of one edge through the
  real ``SyncService.push`` (everything a push does but HTTP and the signature
  check of the request), then ``drain()`` of the workers it marked, each from
  their settled cut.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from borderpass.clock import ManualClock
from borderpass.sqlite import Transaction
from hub.alert_recorder import Tally
from hub.reconcile import Observation, PermitRecord
from hub.reconciler import Reconciler, ReconcilerSettings
from hub.records import Employer, IssuedPermit
from hub.store import registry
from hub.store import sync as store
from hub.store.schema import open_database
from hub.sync_service import SyncService
from protocol.events import GENESIS, ScanEvent, event_hash
from protocol.keys import SigningKey
from protocol.sites import SiteMap, default_site_map_text
from protocol.sync.auth import HEAD_CONTEXT, SignedRequest, head_message
from protocol.sync.ingest import event_instant, ingest_push
from protocol.sync.messages import PushRequest

PUSH_EVENTS = 1_000
EPOCH = "bench"


@dataclass
class EdgeLog:
    """One edge's log as it would push it: encoded, chained, in pushes."""

    edge_id: str
    site: str
    key: SigningKey
    encoded: list[bytes]
    head: bytes = GENESIS

    def extend(self, observations: Iterable[Observation]) -> list[bytes]:
        """Encode and chain more scans; return their encodings."""
        fresh = []
        for o in observations:
            event = ScanEvent(
                o.seq, o.hlc, o.at_ms, self.head, o.site, o.direction.value, o.verdict.value,
                o.reasons, o.permit_id, o.worker_id, o.employer_id, o.verified, 60, "bench",
                o.qr_digest,
            )  # fmt: skip
            data = event.encode()
            self.head = event_hash(data)
            fresh.append(data)
        self.encoded.extend(fresh)
        return fresh

    def pushes(self, first: int, pending_after: int = 0) -> list[PushRequest]:
        """The log from index ``first`` on, as signed pushes of :data:`PUSH_EVENTS`."""
        found = []
        for start in range(first, len(self.encoded), PUSH_EVENTS):
            events = tuple(self.encoded[start : start + PUSH_EVENTS])
            last = start + len(events)
            head = head_message(self.edge_id, last, event_hash(events[-1]))
            signature = self.key.sign(HEAD_CONTEXT, head)
            left = len(self.encoded) - last + pending_after
            found.append(PushRequest(EPOCH, 1, events, signature, 0, 0, left, 1))
        return found


def employers_of(records: Iterable[PermitRecord]) -> list[Employer]:
    """One employer row per employer id of the permits, in its park."""
    found: dict[str, Employer] = {}
    for r in records:
        found.setdefault(r.employer_id, Employer(
            r.employer_id, "企业", "Doanh nghiệp", f"H-{r.employer_id}", date(2026, 1, 1),
            r.hiring_permit_until, r.park_zone or "dongxing",
        ))  # fmt: skip
    return list(found.values())


class HubStore:
    """A hub's database in ``directory`` with the bench's registry and edges."""

    def __init__(self, directory: Path, site_map: SiteMap, now_ms: int) -> None:
        self.clock = ManualClock(now_ms)
        self.db = open_database(directory / "hub.db", cache_mb=256)
        self.site_map = site_map
        self.sync = SyncService(
            self.db, self.clock, SigningKey(os.urandom(32)), EPOCH, site_map,
            default_site_map_text(),
        )  # fmt: skip
        self.reconciler = Reconciler(self.db, self.clock, site_map, ReconcilerSettings())

    def close(self) -> None:
        self.db.close()

    async def register(self, records: Sequence[PermitRecord], logs: Iterable[EdgeLog]) -> None:
        def job(tx: Transaction) -> None:
            for employer in employers_of(records):
                registry.insert_employer(tx, employer, 0)
            for r in records:
                registry.insert_permit(tx, IssuedPermit(r.permit, "BP1:bench", "bench"))
            for log in logs:
                store.insert_edge(tx, log.edge_id, log.site, log.site, log.edge_id, 0, 0, "b")
                store.enrol_edge(tx, log.edge_id, log.key.public_key, "bench", 0)

        await self.db.write(job)

    async def ingest(self, logs: Sequence[EdgeLog]) -> float:
        """Every log through the store's batched insert, the edges concurrently; then
        each edge's watermark at now (its last push said nothing was pending).
        Seconds."""
        started = time.perf_counter()
        await asyncio.gather(*(self._ingest_log(log) for log in logs))
        now = self.clock.now_ms()

        def heard(tx: Transaction) -> None:
            for log in logs:
                store.advance_watermark(tx, log.edge_id, now)
                store.record_contact(tx, log.edge_id, now, pushed=True, pending=0)

        await self.db.write(heard)
        return time.perf_counter() - started

    async def _ingest_log(self, log: EdgeLog) -> None:
        now = self.clock.now_ms()
        for push in log.pushes(0):

            def job(tx: Transaction, push: PushRequest = push) -> None:
                edge = store.get_edge(tx.conn, log.edge_id)
                assert edge is not None
                assert edge.public_key is not None
                result = ingest_push(edge.cursor, push, log.edge_id, edge.public_key)
                assert result.refused is None, result
                rows = [
                    store.EventRow(log.edge_id, a, *event_instant(a.event.wall_ms, 0, now,
                                                                  10 * 60_000), now)
                    for a in result.accepted
                ]  # fmt: skip
                store.store_events(tx, log.edge_id, rows, result.cursor)

            await self.db.write(job)

    async def reconcile(self) -> tuple[float, Tally]:
        started = time.perf_counter()
        tally = await self.reconciler.drain()
        return time.perf_counter() - started, tally

    async def push_batch(self, log: EdgeLog, first: int) -> tuple[float, float, Tally]:
        """The log from ``first`` on through ``SyncService.push``, then the
        reconciliation of the workers it marked: seconds of each, and what changed."""
        edge = await self.db.read(lambda c: store.get_edge(c, log.edge_id))
        assert edge is not None
        started = time.perf_counter()
        for push in log.pushes(first):
            signed = SignedRequest(log.edge_id, self.clock.now_ms(), os.urandom(16), bytes(64))
            outcome = await self.sync.push(edge, signed, push)
            assert outcome.refused is None, outcome.refused
        pushed = time.perf_counter()
        tally = await self.reconciler.drain()
        return pushed - started, time.perf_counter() - pushed, tally
