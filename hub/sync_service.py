"""The hub's side of sync: enrolment, authenticating edges, ingesting pushed logs and
answering pulls. Transport-free: ``hub/sync_server.py`` turns HTTP into these calls.

Every refusal is a :class:`protocol.sync.frames.SyncError` with a reason code; an
ingest that finds an integrity problem commits the incident *and* refuses the range,
so the evidence survives and nothing doubtful is stored as an event.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from borderpass.clock import Clock
from borderpass.sqlite import Database, Transaction
from hub import auth, changefeed
from hub.store import access, registry
from hub.store import sync as store
from hub.store import trust as trust_store
from protocol.hlc import ClockDriftError, HlcTimestamp, HybridClock
from protocol.keys import SigningKey, fingerprint
from protocol.sites import SiteKind, SiteMap
from protocol.sync import auth as sync_auth
from protocol.sync import datasets as ds
from protocol.sync.datasets import Dataset
from protocol.sync.frames import ACCEPTED_VERSIONS, SyncError
from protocol.sync.ingest import IngestResult, event_instant, ingest_push
from protocol.sync.messages import (
    Cursor,
    DatasetChanges,
    EnrolReply,
    EnrolRequest,
    Entry,
    PullReply,
    PullRequest,
    PushReply,
    PushRequest,
    SyncReason,
    TimeReply,
    TimeRequest,
)

ROSTER_SITES = {SiteKind.PARK_GATE}


@dataclass(frozen=True, slots=True)
class SyncSettings:
    request_window_ms: int = 5 * 60_000
    """How far a request's timestamp may be from the hub's time."""
    max_future_ms: int = 10 * 60_000
    """An event dated further ahead of the hub's time than this is flagged."""
    max_hlc_drift_ms: int = 10 * 60_000
    pull_page: int = 5000
    """Changes per dataset per pull reply; the edge pulls again while ``more``."""
    change_retention_ms: int = 30 * 86_400_000
    """Superseded changes older than this are dropped (edges behind get a snapshot)."""


@dataclass(frozen=True, slots=True)
class PushOutcome:
    reply: PushReply | None
    refused: SyncError | None
    workers: frozenset[str]
    """Workers whose evidence changed: the reconciler recomputes them."""


class SyncService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        root: SigningKey,
        epoch: str,
        site_map: SiteMap,
        site_map_text: str,
        settings: SyncSettings = SyncSettings(),
    ) -> None:
        self.db = db
        self.clock = clock
        self.root = root
        self.epoch = epoch
        self.site_map = site_map
        self.site_map_text = site_map_text
        self.settings = settings
        self._hlc = HybridClock()
        self._border_sites = tuple(
            s.site_id for s in site_map.sites.values() if s.kind is SiteKind.BORDER_GATE
        )
        self._border_site_set = frozenset(self._border_sites)
        self.listeners: list[Callable[[frozenset[str]], None]] = []

    # -- clocks --------------------------------------------------------------------------

    def _tick(self) -> int:
        self._hlc, reading = self._hlc.tick(self.clock.now_ms())
        return reading.pack()

    def _merge(self, edge_hlc: int) -> None:
        """Merge an edge's clock reading, unless it is implausibly far ahead: one bad
        clock must not drag the hub's (its events are flagged at ingest instead)."""
        try:
            self._hlc, _ = self._hlc.receive(
                HlcTimestamp.unpack(edge_hlc), self.clock.now_ms(), self.settings.max_hlc_drift_ms
            )
        except ClockDriftError:
            return

    # -- unsigned: time and enrolment ----------------------------------------------------

    def time(self, request: TimeRequest) -> TimeReply:
        now = self.clock.now_ms()
        message = sync_auth.time_message(request.nonce, now, self.epoch)
        return TimeReply(
            nonce=request.nonce,
            hub_ms=now,
            epoch=self.epoch,
            versions=ACCEPTED_VERSIONS,
            root_public_key=self.root.public_key,
            signature=self.root.sign(sync_auth.TIME_CONTEXT, message),
        )

    async def enrol(self, request: EnrolRequest) -> EnrolReply:
        now = self.clock.now_ms()
        token_digest = auth.digest(request.token)

        def job(tx: Transaction) -> store.EdgeRecord:
            edge = store.edge_for_token(tx.conn, token_digest)
            if edge is None:
                raise SyncError(SyncReason.BAD_TOKEN, "no edge waits for this token")
            if edge.enrol_expires_ms is not None and now > edge.enrol_expires_ms:
                raise SyncError(SyncReason.TOKEN_EXPIRED, "the enrolment token has expired")
            store.enrol_edge(tx, edge.edge_id, request.public_key, request.software, now)
            detail: dict[str, object] = {
                "site_id": edge.site_id,
                "software": request.software,
                "key_fingerprint": fingerprint(request.public_key),
            }
            access.audit(tx, f"edge:{edge.edge_id}", "edge.enrol", edge.edge_id, detail, now)
            return edge

        edge = await self.db.write(job)
        return EnrolReply(edge.edge_id, edge.site_id, self.root.public_key, self.epoch, now)

    # -- signed requests -----------------------------------------------------------------

    async def authenticate(
        self, signed: sync_auth.SignedRequest, method: str, path: str, body: bytes
    ) -> store.EdgeRecord:
        """The enrolled, unrevoked edge that signed this request, or a refusal."""
        edge = await self.db.read(lambda conn: store.get_edge(conn, signed.edge_id))
        if edge is None or edge.public_key is None:
            raise SyncError(SyncReason.UNKNOWN_EDGE, "no enrolled edge has this id")
        if edge.revoked_at_ms is not None:
            raise SyncError(SyncReason.EDGE_REVOKED, "this edge was revoked")
        sync_auth.check_request(
            signed, method, path, body, edge.public_key, self.clock.now_ms(),
            self.settings.request_window_ms,
        )  # fmt: skip
        return edge

    def sign_reply(self, nonce: bytes, body: bytes) -> str:
        return sync_auth.sign_reply(self.root, nonce, body).hex()

    def _claim_nonce(self, tx: Transaction, signed: sync_auth.SignedRequest, now: int) -> None:
        if not store.remember_nonce(tx, signed.edge_id, signed.nonce, now):
            raise SyncError(SyncReason.REPLAYED, "this request was seen before")
        store.forget_nonces(tx, now - 2 * self.settings.request_window_ms)

    # -- push ----------------------------------------------------------------------------

    async def push(
        self, edge: store.EdgeRecord, signed: sync_auth.SignedRequest, push: PushRequest
    ) -> PushOutcome:
        now = self.clock.now_ms()
        self._merge(push.edge_hlc)

        def job(tx: Transaction) -> tuple[IngestResult, frozenset[str]]:
            self._claim_nonce(tx, signed, now)
            fresh = store.get_edge(tx.conn, edge.edge_id)
            if fresh is None or fresh.public_key is None:
                raise SyncError(SyncReason.UNKNOWN_EDGE, "the edge vanished")
            result = ingest_push(fresh.cursor, push, edge.edge_id, fresh.public_key)
            if result.incident is not None:
                store.insert_incident(tx, edge.edge_id, result.incident, now)
            workers: frozenset[str] = frozenset()
            if result.refused is None:
                workers = self._store_accepted(tx, edge.edge_id, push, result, now)
                if push.pending == 0:
                    store.advance_watermark(tx, edge.edge_id, min(now, signed.timestamp_ms))
            store.record_contact(
                tx, edge.edge_id, now, pushed=True, clock_offset_ms=push.edge_offset_ms,
                pending=push.pending, trust_version=push.trust_version,
            )  # fmt: skip
            return result, workers

        result, workers = await self.db.write(job)
        if result.refused is not None:
            detail = result.incident.detail if result.incident else result.refused.value
            return PushOutcome(None, SyncError(result.refused, detail), frozenset())
        if workers:
            for listener in self.listeners:
                listener(workers)
        reply = PushReply(self.epoch, result.cursor.acked_seq, now, self._tick())
        return PushOutcome(reply, None, workers)

    def _store_accepted(
        self, tx: Transaction, edge_id: str, push: PushRequest, result: IngestResult, now: int
    ) -> frozenset[str]:
        rows = []
        for accepted in result.accepted:
            at_ms, suspect = event_instant(
                accepted.event.wall_ms, push.edge_offset_ms, now, self.settings.max_future_ms
            )
            rows.append(store.EventRow(edge_id, accepted, at_ms, suspect, now))
        store.store_events(tx, edge_id, rows, result.cursor)
        self._publish_derived(tx, rows, now)
        return frozenset(r.accepted.event.worker_id for r in rows if r.accepted.event.worker_id)

    def _publish_derived(self, tx: Transaction, rows: list[store.EventRow], now: int) -> None:
        """Exits use up single-exit permits; border crossings change who is in China.
        A few batched queries per push, whatever its size."""
        border = self._border_site_set
        crossings = [
            r.accepted.event
            for r in rows
            if r.accepted.event.site in border
            and r.accepted.event.verified
            and r.accepted.event.verdict == "allow"
            and r.accepted.event.direction in ("in", "out")
        ]
        if not crossings:
            return
        at = {(r.accepted.event.seq): r.at_ms for r in rows}
        exits: dict[str, int] = {}
        for e in crossings:
            if e.direction == "out" and e.permit_id is not None:
                exits[e.permit_id] = min(exits.get(e.permit_id, at[e.seq]), at[e.seq])
        if exits:
            single = registry.single_exit_permits(tx.conn, exits)
            known = changefeed.published(tx.conn, Dataset.USED_UP, single)
            for permit_id in sorted(single - set(known)):
                changefeed.used_up(tx, permit_id, exits[permit_id], now)
        workers = {e.worker_id for e in crossings if e.worker_id is not None}
        roster = store.latest_entries(tx.conn, Dataset.ROSTER, workers)
        if roster:
            directions = store.last_border_directions(tx.conn, roster, self._border_sites)
            in_china = {w: d == "in" for w, d in directions.items()}
            changefeed.presence(tx, in_china, roster, now)

    # -- pull ----------------------------------------------------------------------------

    async def pull(
        self, edge: store.EdgeRecord, signed: sync_auth.SignedRequest, pull: PullRequest
    ) -> PullReply:
        now = self.clock.now_ms()
        self._merge(pull.edge_hlc)

        def job(tx: Transaction) -> None:
            self._claim_nonce(tx, signed, now)
            self.publish_reference(tx, now)
            store.record_contact(tx, edge.edge_id, now, pulled=True)

        await self.db.write(job)
        site = self.site_map.sites.get(edge.site_id)
        roster_scope = site.zone if site is not None and site.kind in ROSTER_SITES else None
        changes = await self.db.read(
            lambda conn: self._plan_pull(conn, pull.cursors, pull.epoch_seen, roster_scope)
        )
        return PullReply(self.epoch, now, self._tick(), changes)

    def publish_reference(self, tx: Transaction, now: int) -> None:
        """Make sure the change log carries the current trust list and site map."""
        trust = trust_store.current_trust_list(tx.conn)
        if trust is not None:
            changefeed.publish_if_changed(tx, Dataset.TRUST, "trust", trust.signed, now)
        sites = ds.encode_sites(self.site_map.version, self.site_map_text)
        changefeed.publish_if_changed(tx, Dataset.SITES, "sites", sites, now)

    def compact(self, tx: Transaction, now: int) -> int:
        """Drop superseded changes older than the retention period; an edge whose
        cursor is older than what is kept gets a snapshot at its next pull."""
        cutoff = now - self.settings.change_retention_ms
        dropped = 0
        for dataset in ds.PRIORITY:
            through = store.version_before(tx.conn, dataset, cutoff)
            if through > store.floor_version(tx.conn, dataset):
                dropped += store.compact_changes(tx, dataset, through)
        return dropped

    def _plan_pull(
        self,
        conn: sqlite3.Connection,
        cursors: Iterable[Cursor],
        epoch_seen: str,
        roster_scope: str | None,
    ) -> tuple[DatasetChanges, ...]:
        held = {c.dataset: c.version for c in cursors}
        planned = []
        for dataset in ds.PRIORITY:
            if dataset is Dataset.ROSTER and roster_scope is None:
                continue
            scope = roster_scope if dataset is Dataset.ROSTER else None
            since = held.get(dataset, 0)
            reset = (
                epoch_seen != self.epoch
                or since > store.latest_version(conn, dataset)
                or 0 < since < store.floor_version(conn, dataset)
            )
            changes = self._dataset_changes(conn, dataset, scope, 0 if reset else since, reset)
            if changes is not None:
                planned.append(changes)
        return tuple(planned)

    def _dataset_changes(
        self, conn: sqlite3.Connection, dataset: Dataset, scope: str | None, since: int,
        reset: bool,
    ) -> DatasetChanges | None:  # fmt: skip
        if reset:
            to_version = store.latest_version(conn, dataset)
            live = store.live_entries(conn, dataset, scope, to_version)
            entries = tuple(Entry(k, v) for k, v in live)
            return DatasetChanges(dataset, True, to_version, entries, ds.digest(live), False)
        rows = store.changes_after(conn, dataset, since, scope, self.settings.pull_page)
        if not rows:
            return None
        to_version = rows[-1][0]
        latest: dict[str, bytes | None] = {}
        for _, key, value in rows:
            latest[key] = value
        entries = tuple(Entry(k, v) for k, v in latest.items())
        digest = ds.digest(store.live_entries(conn, dataset, scope, to_version))
        more = len(rows) == self.settings.pull_page
        return DatasetChanges(dataset, False, to_version, entries, digest, more)
