"""The scan pipeline: QR text in, a verdict out only once the scan is durably logged.

The whole verdict and the append run in ONE writer job, so the verdict sees the local
state as of its own position in the log: an exit committed just before is seen by the
next scan. In the job: read the clock once, :func:`protocol.verdict.decide`, build the
:class:`~protocol.events.ScanEvent` at the log head (seq + 1, a hybrid-clock tick, the
previous hash), insert its exact bytes, and for a genuine single-exit permit leaving
China mark it used. Every in-memory change registers an undo. The caller's future
resolves after ``COMMIT`` (group commit: concurrent scans share one fsync).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from borderpass.clock import Clock
from borderpass.sqlite import Database, Transaction
from protocol.events import ScanEvent, event_hash, qr_digest
from protocol.hlc import HybridClock
from protocol.sites import Site, SiteKind
from protocol.verdict import Direction, Outcome, TrustAgePolicy, Verdict, decide

from . import reference, store
from .records import UsedUp, UsedUpSource
from .state import EdgeState, LogHead

MAX_OPERATOR_LEN = 64


@dataclass(frozen=True, slots=True)
class ScanRequest:
    qr: str
    direction: Direction
    operator: str

    def __post_init__(self) -> None:
        if not 0 < len(self.operator) <= MAX_OPERATOR_LEN:
            raise ValueError(f"operator must be 1-{MAX_OPERATOR_LEN} characters")


@dataclass(frozen=True, slots=True)
class ScanRecord:
    """A logged scan: the event as committed and the verdict it carries."""

    event: ScanEvent
    verdict: Verdict


def build_event(
    head: LogHead,
    site_id: str,
    request: ScanRequest,
    verdict: Verdict,
    now_ms: int,
    trust_age_s: int | None,
) -> tuple[ScanEvent, HybridClock]:
    """The event that continues the log at ``head``, and the clock after it. Pure."""
    clock, reading = head.clock.tick(now_ms)
    permit = verdict.permit
    event = ScanEvent(
        seq=head.seq + 1,
        hlc=reading.pack(),
        wall_ms=now_ms,
        prev_hash=head.hash,
        site=site_id,
        direction=request.direction.value,
        verdict=verdict.outcome.value,
        reasons=tuple(reason.value for reason in verdict.reasons),
        permit_id=None if permit is None else permit.permit_id,
        worker_id=None if permit is None else permit.worker_id,
        employer_id=None if permit is None else permit.employer_id,
        verified=verdict.verified,
        trust_age_s=trust_age_s,
        operator=request.operator,
        qr_digest=qr_digest(request.qr),
    )
    return event, clock


def uses_up_permit(site: Site, direction: Direction, verdict: Verdict) -> bool:
    """True for a genuine single-exit permit allowed out of China at a border gate."""
    permit = verdict.permit
    return (
        verdict.verified
        and permit is not None
        and permit.single_exit
        and site.kind is SiteKind.BORDER_GATE
        and direction is Direction.OUT
        and verdict.outcome is Outcome.ALLOW
    )


class Scanner:
    """Runs scans through the single writer of ``db`` against ``state``."""

    def __init__(
        self, db: Database, state: EdgeState, clock: Clock, policy: TrustAgePolicy
    ) -> None:
        self._db = db
        self._state = state
        self._clock = clock
        self._policy = policy
        self.listeners: list[Callable[[ScanRecord], None]] = []
        """Called on the event loop with each committed scan (the sync client pushes an
        alert at once)."""

    async def scan(self, request: ScanRequest) -> ScanRecord:
        """Decide and log; return once the event is committed."""
        record = await self._db.write(partial(self.log_scan, request=request))
        for listener in self.listeners:
            listener(record)
        return record

    def log_scan(self, tx: Transaction, request: ScanRequest) -> ScanRecord:
        """The writer job (runs on the writer thread, inside its transaction)."""
        state = self._state
        now_ms = self._clock.now_ms()
        trust = state.trust
        verdict = decide(
            request.qr,
            state.site,
            request.direction,
            now_ms,
            None if trust is None else trust.trust_list,
            state.refs,
            None if trust is None else trust.refreshed_ms,
            self._policy,
        )
        head = state.head
        event, clock = build_event(
            head, state.identity.site_id, request, verdict, now_ms, state.trust_age_s(now_ms)
        )
        encoded = event.encode()
        digest = event_hash(encoded)
        permit = verdict.permit
        names = (None, None) if permit is None else (permit.worker.name, permit.worker.name_zh)
        store.append_event(tx.conn, event, encoded, digest, names)
        state.head = LogHead(event.seq, digest, clock)
        tx.on_rollback(partial(setattr, state, "head", head))
        if permit is not None and uses_up_permit(state.site, request.direction, verdict):
            used = UsedUp(permit.permit_id, now_ms, UsedUpSource.LOCAL)
            reference.mark_used(tx, state, used)
        return ScanRecord(event, verdict)
