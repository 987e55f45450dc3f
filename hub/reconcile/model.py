"""What reconciliation reads and what it produces, as frozen values.

Inputs: :class:`PermitRecord` (a permit as the hub's registry knows it),
:class:`Observation` (one scan as the hub knows it), revocations
(:class:`protocol.refs.Revocation`), :class:`EdgeWatermark` (how far each edge's log
is known) and :class:`IntegrityIncident` (a gap, a broken chain or a bad signature in
an edge's log). Output: :class:`Alert`, whose ``alert_id`` is derived from its kind,
subject and anchoring evidence, so that recomputing over the same evidence yields the
same id and late evidence updates an alert instead of duplicating it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from protocol.days import end_of_day_ms, start_of_day_ms
from protocol.events import ScanEvent
from protocol.permit import Permit
from protocol.refs import Revocation
from protocol.sites import permitted_area
from protocol.sync.ingest import IncidentKind
from protocol.verdict import Direction, Outcome

EvidenceRef = tuple[str, int]
"""One scan, named by the edge that logged it and its sequence number there."""

Fact = str | int | bool | None
"""A value in an alert's ``facts``: JSON-ready scalars only."""

RevocationRecord = Revocation
"""A revocation as the hub holds it (permit, worker or employer; an instant in
seconds): the protocol's own value, reused as is."""


class AlertKind(StrEnum):
    INLAND_ATTEMPT = "inland_attempt"
    OUT_OF_AREA = "out_of_area"
    OVERSTAY = "overstay"
    LATE_EXIT = "late_exit"
    EXIT_DUE = "exit_due"
    MISSING_ENTRY = "missing_entry"
    DOUBLE_ENTRY = "double_entry"
    REUSED_AFTER_EXIT = "reused_after_exit"
    REVOKED_BUT_USED = "revoked_but_used"
    IMPOSSIBLE_TRAVEL = "impossible_travel"
    NOT_SEEN_AT_WORK = "not_seen_at_work"
    EDGE_SILENT = "edge_silent"
    CLOCK_SKEW = "clock_skew"
    LOG_INTEGRITY = "log_integrity"


class Severity(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    MEDIUM = "medium"
    INFO = "info"
    OPS = "ops"
    SECURITY = "security"


SEVERITY: Mapping[AlertKind, Severity] = {
    AlertKind.INLAND_ATTEMPT: Severity.URGENT,
    AlertKind.OUT_OF_AREA: Severity.HIGH,
    AlertKind.OVERSTAY: Severity.HIGH,
    AlertKind.LATE_EXIT: Severity.MEDIUM,
    AlertKind.EXIT_DUE: Severity.INFO,
    AlertKind.MISSING_ENTRY: Severity.MEDIUM,
    AlertKind.DOUBLE_ENTRY: Severity.MEDIUM,
    AlertKind.REUSED_AFTER_EXIT: Severity.HIGH,
    AlertKind.REVOKED_BUT_USED: Severity.HIGH,
    AlertKind.IMPOSSIBLE_TRAVEL: Severity.HIGH,
    AlertKind.NOT_SEEN_AT_WORK: Severity.MEDIUM,
    AlertKind.EDGE_SILENT: Severity.OPS,
    AlertKind.CLOCK_SKEW: Severity.OPS,
    AlertKind.LOG_INTEGRITY: Severity.SECURITY,
}
"""DESIGN.md section 5: how serious each kind is."""

EDGE_KINDS = frozenset({AlertKind.EDGE_SILENT, AlertKind.CLOCK_SKEW, AlertKind.LOG_INTEGRITY})
"""Kinds about an edge node, computed by ``edge_alerts``; every other kind is about a
worker and computed by ``worker_alerts``."""
WORKER_KINDS = frozenset(AlertKind) - EDGE_KINDS


@dataclass(frozen=True, slots=True)
class PermitRecord:
    """A permit as the registry holds it, with what the QR does not carry: the
    employer's park zone (None: the employer is in no park) and the end of the
    employer's hiring permit."""

    permit: Permit
    park_zone: str | None
    hiring_permit_until: date
    end_date: date = field(init=False)
    """The last day the worker may be in China: the earliest of the permit's end, the
    health certificate, the insurances and the employer's hiring permit."""
    end_ms: int = field(init=False)
    """The last UTC millisecond of ``end_date`` in Shanghai."""
    start_ms: int = field(init=False)
    """The first UTC millisecond of ``valid_from`` in Shanghai."""
    area: frozenset[str] = field(init=False)
    """The zones the permit allows (:func:`protocol.sites.permitted_area`)."""

    def __post_init__(self) -> None:
        end = min(self.permit.end_date, self.hiring_permit_until)
        object.__setattr__(self, "end_date", end)
        object.__setattr__(self, "end_ms", end_of_day_ms(end))
        object.__setattr__(self, "start_ms", start_of_day_ms(self.permit.valid_from))
        object.__setattr__(self, "area", permitted_area(self.permit.zones))

    @property
    def permit_id(self) -> str:
        return self.permit.permit_id

    @property
    def worker_id(self) -> str:
        return self.permit.worker_id

    @property
    def employer_id(self) -> str:
        return self.permit.employer_id

    @property
    def single_exit(self) -> bool:
        return self.permit.single_exit


@dataclass(frozen=True, slots=True)
class Observation:
    """One scan as the hub knows it. ``at_ms`` is the instant the hub assigns (the
    edge's clock corrected by its measured offset), once, when the event is first
    stored: copies of one event carry the same ``at_ms``. ``hlc`` is the edge's packed
    hybrid clock reading. When ``verified`` is false the ids are only what a card
    claimed."""

    edge_id: str
    seq: int
    site: str
    direction: Direction
    verdict: Outcome
    reasons: tuple[str, ...]
    permit_id: str | None
    worker_id: str | None
    employer_id: str | None
    verified: bool
    at_ms: int
    hlc: int
    qr_digest: bytes

    @property
    def ref(self) -> EvidenceRef:
        return (self.edge_id, self.seq)

    @classmethod
    def from_event(cls, edge_id: str, event: ScanEvent, at_ms: int) -> Observation:
        """The observation of a decoded scan event, at the instant the hub assigns."""
        return cls(
            edge_id=edge_id,
            seq=event.seq,
            site=event.site,
            direction=Direction(event.direction),
            verdict=Outcome(event.verdict),
            reasons=event.reasons,
            permit_id=event.permit_id,
            worker_id=event.worker_id,
            employer_id=event.employer_id,
            verified=event.verified,
            at_ms=at_ms,
            hlc=event.hlc,
            qr_digest=event.qr_digest,
        )


@dataclass(frozen=True, slots=True)
class EdgeWatermark:
    """How far the hub knows one edge's log: every event the edge logged before
    ``synced_through_ms`` is known. ``last_heard_ms``: the edge's last contact (its
    enrolment when it never synced). ``clock_offset_ms``: the hub's clock minus the
    edge's, as the edge last measured it (None: never measured)."""

    edge_id: str
    site: str
    synced_through_ms: int
    last_heard_ms: int
    clock_offset_ms: int | None = None


@dataclass(frozen=True, slots=True)
class IntegrityIncident:
    """Something wrong in an edge's log, as the ingest recorded it."""

    edge_id: str
    kind: IncidentKind
    detail: str
    at_ms: int
    evidence: tuple[EvidenceRef, ...] = ()


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert as evidence makes it; its lifecycle (open, acknowledged, resolved)
    is the store's, kept apart. ``at_ms`` is when the situation began (the scan, the
    deadline passed). ``provisional``: it rests on the absence of an event that an
    edge not yet synced past the deadline could still hold."""

    alert_id: str
    kind: AlertKind
    severity: Severity
    at_ms: int
    provisional: bool
    evidence: tuple[EvidenceRef, ...]
    facts: Mapping[str, Fact]
    permit_id: str | None = None
    worker_id: str | None = None
    site: str | None = None
    edge_id: str | None = None


STAY_KINDS = frozenset({AlertKind.OVERSTAY, AlertKind.EXIT_DUE, AlertKind.NOT_SEEN_AT_WORK})
"""Kinds about the worker's current stay: recomputed whenever the worker is, whenever
the stay began."""


@dataclass(frozen=True, slots=True)
class CarriedStay:
    """A stay open across a settled cut, as far as the scans before the cut go."""

    start: Observation
    entry: Observation | None
    """Its first entry (None: it began with no entry)."""
    last_entry: Observation | None
    """Its latest entry (the first, or a later one with no exit between)."""
    shown: tuple[tuple[str, int], ...]
    """(permit id, when last shown) for every permit shown during it."""
    seen: tuple[Observation, ...]
    """Its last scan at each park zone where it has one."""
    last: Observation
    """Its last scan."""


@dataclass(frozen=True, slots=True)
class Settled:
    """What a worker's settled past (their scans before ``cut_ms``) leaves to the
    rest of their timeline (see ``hub.reconcile.settle``)."""

    cut_ms: int
    previous_exit: Observation | None
    """Their last exit before the cut (None: none)."""
    used_up: tuple[Observation, ...] = ()
    """The first exit of each of their single-exit permits that left before the cut."""
    stay: CarriedStay | None = None
    """The stay open across the cut (None: out of China at the cut)."""

    def covers(self, alert: Alert) -> bool:
        """True for an alert a computation from this cut produces or retracts: one at
        or after the cut, or about the current stay. The others are final."""
        return alert.at_ms >= self.cut_ms or alert.kind in STAY_KINDS


def alert_id(kind: AlertKind, anchor: tuple[Fact, ...]) -> str:
    """``kind-<20 hex>``: a digest of the kind and the anchor (subject and anchoring
    evidence), stable across recomputations."""
    text = "\x1f".join([kind.value, *("" if part is None else str(part) for part in anchor)])
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()
    return f"{kind.value}-{digest}"


def make_alert(
    kind: AlertKind,
    anchor: tuple[Fact, ...],
    *,
    at_ms: int,
    evidence: tuple[EvidenceRef, ...],
    facts: Mapping[str, Fact],
    provisional: bool = False,
    permit_id: str | None = None,
    worker_id: str | None = None,
    site: str | None = None,
    edge_id: str | None = None,
) -> Alert:
    return Alert(
        alert_id=alert_id(kind, anchor),
        kind=kind,
        severity=SEVERITY[kind],
        at_ms=at_ms,
        provisional=provisional,
        evidence=evidence,
        facts=facts,
        permit_id=permit_id,
        worker_id=worker_id,
        site=site,
        edge_id=edge_id,
    )


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True, slots=True)
class ReconcileSettings:
    """Thresholds of the alert rules. Loadable with :func:`borderpass.settings.load`
    (every field carries help text)."""

    exit_due_days: int = field(
        default=7, metadata=_help("exit_due: warn the employer this many days before the end")
    )
    not_seen_days: int = field(
        default=3, metadata=_help("not_seen_at_work: days in China without a scan at the park")
    )
    edge_silent_hours: int = field(
        default=6, metadata=_help("edge_silent: hours without contact from an edge")
    )
    clock_skew_ms: int = field(
        default=60_000, metadata=_help("clock_skew: largest tolerated edge clock offset (ms)")
    )
    max_evidence: int = field(
        default=50, metadata=_help("most scans listed as one alert's evidence (facts count all)")
    )
