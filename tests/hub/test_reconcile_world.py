"""Builders shared by the reconciliation tests (this module holds no tests).

A :class:`World` is one worker's permits and the scans edges logged of them, one edge
per site (``"<site>-1"``) unless told otherwise, with sequence numbers per edge as an
edge assigns them. Permits are real: issued as signed QR text by the shared test
issuer, then decoded and verified, exactly as an edge would read them.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from factories import SITES, TODAY, make_issuer, shanghai_instant_ms

from hub.reconcile import (
    Alert,
    AlertKind,
    EdgeWatermark,
    Geography,
    Observation,
    PermitRecord,
    ReconcileContext,
    ReconcileSettings,
    RevocationRecord,
    reconcile_worker,
)
from protocol.credential import decode_permit, verify_permit
from protocol.verdict import Direction, Outcome

GEO = Geography.of(SITES)
ISSUER = make_issuer("reconcile")
WORKER = "VN-BP-0001"
"""The border pass number of the default worker (tests/factories.py)."""
JIANGPING = "dongxing/jiangping"


def at(day: int, hour: int, minute: int = 0) -> int:
    """The instant ``day`` days after TODAY at ``hour:minute`` Shanghai time."""
    return shanghai_instant_ms(TODAY + timedelta(days=day), hour, minute)


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def record(
    permit_id: str = "P-1",
    *,
    park_zone: str | None = JIANGPING,
    hiring_permit_until: date | None = None,
    **overrides: Any,
) -> PermitRecord:
    """A permit issued by the test issuer, read back from its QR text and verified;
    by default valid from 10 days before TODAY for 90 days, in Dongxing and Jiangping
    park, single exit (see ``factories.make_permit``)."""
    signed = decode_permit(ISSUER.issue(permit_id=permit_id, **overrides))
    verify_permit(signed, ISSUER.trust)
    until = hiring_permit_until or signed.permit.valid_until + timedelta(days=365)
    return PermitRecord(signed.permit, park_zone, until)


def edge_of(site: str) -> str:
    return f"{site}-1"


class World:
    """One worker's permits and their scans, as the hub would hold them."""

    def __init__(self, *records: PermitRecord) -> None:
        self.records = records or (record(),)
        self.observations: list[Observation] = []
        self._seq: Counter[str] = Counter()

    def scan(
        self,
        site: str,
        direction: str,
        at_ms: int,
        *,
        permit: str | None = None,
        verdict: str = "allow",
        verified: bool = True,
        edge: str | None = None,
        card: str | None = None,
    ) -> Observation:
        """Log a scan at ``site``; the permit defaults to the world's first."""
        chosen = permit or self.records[0].permit_id
        edge_id = edge or edge_of(site)
        self._seq[edge_id] += 1
        obs = Observation(
            edge_id=edge_id,
            seq=self._seq[edge_id],
            site=site,
            direction=Direction(direction),
            verdict=Outcome(verdict),
            reasons=(),
            permit_id=chosen,
            worker_id=WORKER,
            employer_id=self.records[0].employer_id,
            verified=verified,
            at_ms=at_ms,
            hlc=at_ms << 16,
            qr_digest=hashlib.sha256((card or chosen).encode()).digest()[:16],
        )
        self.observations.append(obs)
        return obs

    def commute(self, day_offset: int, park: str = "jiangping-park") -> None:
        """A working day: in at the port at 7:00, the park 8:00-17:00, out at 18:00."""
        self.scan("dongxing-port", "in", at(day_offset, 7))
        self.scan(park, "in", at(day_offset, 8))
        self.scan(park, "out", at(day_offset, 17))
        self.scan("dongxing-port", "out", at(day_offset, 18))

    def context(
        self,
        now_ms: int,
        *,
        lagging: Mapping[str, int] | None = None,
        revocations: Iterable[RevocationRecord] = (),
        settings: ReconcileSettings | None = None,
    ) -> ReconcileContext:
        """Every site's edge synced through ``now_ms`` and heard then, except the
        edges in ``lagging`` (edge id -> synced through)."""
        return ReconcileContext.build(
            GEO, now_ms, watermarks(now_ms, lagging), revocations, settings
        )

    def alerts(
        self,
        now_ms: int,
        observations: Iterable[Observation] | None = None,
        **context: Any,
    ) -> tuple[Alert, ...]:
        ctx = self.context(now_ms, **context)
        scans = self.observations if observations is None else observations
        return reconcile_worker(WORKER, scans, self.records, ctx).alerts

    def of_kind(self, kind: AlertKind, now_ms: int, **context: Any) -> list[Alert]:
        return [a for a in self.alerts(now_ms, **context) if a.kind is kind]


def watermarks(now_ms: int, lagging: Mapping[str, int] | None = None) -> list[EdgeWatermark]:
    lag = lagging or {}
    return [
        EdgeWatermark(
            edge_id=edge_of(site),
            site=site,
            synced_through_ms=lag.get(edge_of(site), now_ms),
            last_heard_ms=lag.get(edge_of(site), now_ms),
            clock_offset_ms=0,
        )
        for site in sorted(SITES.sites)
    ]


def kinds(alerts: Iterable[Alert]) -> list[str]:
    return sorted(a.kind.value for a in alerts)
