"""Everything a reconciliation run shares across workers, indexed once.

:class:`Geography` is the site map with the travel-time table precomputed (build it
once per site map). :class:`ReconcileContext` adds the instant ``now``, the settings,
the evidence horizons derived from the edges' watermarks and the revocations indexed
by subject. Build one context per ingest batch or per tick and pass it to every
``worker_alerts`` call of that run.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from protocol.permit import Permit
from protocol.refs import Revocation, RevocationKind
from protocol.sites import Site, SiteKind, SiteMap

from .model import EdgeWatermark, ReconcileSettings

FOREVER_MS = sys.maxsize
"""The horizon of a set of edges that is empty: nothing can be missing from it."""


@dataclass(frozen=True, slots=True)
class Geography:
    """The site map plus the minimal travel time, in milliseconds, between every pair
    of sites (``SiteMap.min_travel_seconds``)."""

    site_map: SiteMap
    travel_ms: Mapping[tuple[str, str], int]
    max_travel_ms: int
    """The largest entry of ``travel_ms``: scans further apart are never too close."""

    @classmethod
    def of(cls, site_map: SiteMap) -> Geography:
        ids = sorted(site_map.sites)
        table = {(a, b): site_map.min_travel_seconds(a, b) * 1000 for a in ids for b in ids}
        return cls(site_map, table, max(table.values(), default=0))

    @property
    def sites(self) -> Mapping[str, Site]:
        return self.site_map.sites

    def park_sites(self, zone: str) -> list[str]:
        """The park gates of ``zone``, sorted."""
        return sorted(s.site_id for s in self.sites.values() if s.is_park and s.zone == zone)


def _horizon(watermarks: Iterable[EdgeWatermark]) -> int:
    return min((w.synced_through_ms for w in watermarks), default=FOREVER_MS)


@dataclass(frozen=True, slots=True)
class ReconcileContext:
    """The shared inputs of one reconciliation run."""

    geography: Geography
    now_ms: int
    settings: ReconcileSettings
    watermarks: Mapping[str, EdgeWatermark]
    border_horizon_ms: int
    """Every border gate's log is known up to here (the least watermark of the edges at
    border gates): an entry or exit before it would be known."""
    park_horizon_ms: Mapping[str, int]
    """Per park zone, the least watermark of the edges at that park's gates."""
    revocations: Mapping[tuple[RevocationKind, str], tuple[Revocation, ...]]

    @classmethod
    def build(
        cls,
        geography: Geography,
        now_ms: int,
        watermarks: Iterable[EdgeWatermark] = (),
        revocations: Iterable[Revocation] = (),
        settings: ReconcileSettings | None = None,
    ) -> ReconcileContext:
        marks = {w.edge_id: w for w in watermarks}
        sites = geography.sites
        located = [(sites[w.site], w) for w in marks.values() if w.site in sites]
        border = [w for s, w in located if s.kind is SiteKind.BORDER_GATE]
        parks: dict[str, list[EdgeWatermark]] = {}
        for s, w in located:
            if s.is_park:
                parks.setdefault(s.zone, []).append(w)
        index: dict[tuple[RevocationKind, str], list[Revocation]] = {}
        for r in revocations:
            index.setdefault((r.kind, r.subject), []).append(r)
        return cls(
            geography=geography,
            now_ms=now_ms,
            settings=settings or ReconcileSettings(),
            watermarks=marks,
            border_horizon_ms=_horizon(border),
            park_horizon_ms={zone: _horizon(ws) for zone, ws in parks.items()},
            revocations={key: tuple(rs) for key, rs in index.items()},
        )

    def park_horizon(self, zone: str) -> int:
        return self.park_horizon_ms.get(zone, FOREVER_MS)

    def revocation_of(self, permit: Permit) -> Revocation | None:
        """The earliest revocation covering ``permit`` (of it, its worker or its
        employer), ties broken by kind and subject; None when none does."""
        found = [
            r
            for key in (
                (RevocationKind.PERMIT, permit.permit_id),
                (RevocationKind.WORKER, permit.worker_id),
                (RevocationKind.EMPLOYER, permit.employer_id),
            )
            for r in self.revocations.get(key, ())
            if r.covers(permit)
        ]
        return min(found, key=lambda r: (r.revoked_at, r.kind, r.subject), default=None)
