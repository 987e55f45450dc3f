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
from dataclasses import dataclass, field

from protocol.permit import Permit
from protocol.refs import Revocation, RevocationKind
from protocol.sites import Site, SiteKind, SiteMap, permitted_area

from .model import EdgeWatermark, ReconcileSettings

FOREVER_MS = sys.maxsize
"""The horizon of a set of edges that is empty: nothing can be missing from it."""


@dataclass(frozen=True, slots=True)
class Geography:
    """The site map indexed for reconciliation: the minimal travel time, in
    milliseconds, between every pair of sites (``SiteMap.min_travel_seconds``), the
    border gates, and the park gates of each zone. Build it once per site map."""

    site_map: SiteMap
    travel_ms: Mapping[tuple[str, str], int]
    max_travel_ms: int
    """The largest entry of ``travel_ms``: scans further apart are never too close."""
    border_gates: frozenset[str]
    park_gates: Mapping[str, frozenset[str]]
    """Per zone, its park gates."""
    _exposures: dict[tuple[str, ...], frozenset[str]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(cls, site_map: SiteMap) -> Geography:
        ids = sorted(site_map.sites)
        table = {(a, b): site_map.min_travel_seconds(a, b) * 1000 for a in ids for b in ids}
        sites = site_map.sites.values()
        parks: dict[str, set[str]] = {}
        for site in sites:
            if site.is_park:
                parks.setdefault(site.zone, set()).add(site.site_id)
        return cls(
            site_map=site_map,
            travel_ms=table,
            max_travel_ms=max(table.values(), default=0),
            border_gates=frozenset(s.site_id for s in sites if s.kind is SiteKind.BORDER_GATE),
            park_gates={zone: frozenset(gates) for zone, gates in parks.items()},
        )

    @property
    def sites(self) -> Mapping[str, Site]:
        return self.site_map.sites

    def exposed_sites(self, zones: tuple[str, ...]) -> frozenset[str]:
        """The sites where a permit for ``zones`` can be out of its area or heading
        inland: outside its area, or a checkpoint to a zone outside it (memoised:
        workers share a few zone lists)."""
        found = self._exposures.get(zones)
        if found is None:
            area = permitted_area(zones)
            found = frozenset(
                s.site_id
                for s in self.sites.values()
                if s.zone not in area
                or (s.kind is SiteKind.CHECKPOINT and (s.outer is None or s.outer not in area))
            )
            self._exposures[zones] = found
        return found

    def park_sites(self, zone: str) -> list[str]:
        """The park gates of ``zone``, sorted."""
        return sorted(self.park_gates.get(zone, ()))


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
    settled_ms: int
    """Every edge's log is known up to here (the least of all watermarks; 0 without
    any): no late scan can land before it (see ``hub.reconcile.settle``)."""

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
            settled_ms=min((w.synced_through_ms for w in marks.values()), default=0),
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
