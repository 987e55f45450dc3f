"""Rules on where a permit was seen: heading inland, outside its area, and faster
than anyone can travel between two sites.

Each rests on events that happened, never on one missing, so none is provisional.
The scans of one permit at one site on one Shanghai day make one alert (inland
attempt, out of area), and one permit's impossible moves on one day make one: a person
scanned twice at a wrong gate is one case with two scans of evidence. Refused scans
count: the person stood at that gate whatever the edge decided.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import compress
from operator import sub

from protocol.sites import Site, SiteKind
from protocol.verdict import Direction, Outcome

from ..context import ReconcileContext
from ..model import Alert, AlertKind, Observation, PermitRecord, make_alert
from ..timeline import TIMELINE_ORDER, Timeline
from .common import evidence, shanghai_day

INLAND = "inland"
"""How facts name what lies beyond a checkpoint that has no outer zone."""

_Cases = dict[tuple[str, str, int], tuple[str, list[Observation]]]
"""(permit, site, day) -> (the zone at fault, the scans)."""


def _add(cases: _Cases, obs: Observation, permit_id: str, zone: str) -> None:
    key = (permit_id, obs.site, shanghai_day(obs.at_ms))
    case = cases.get(key)
    if case is None:
        cases[key] = (zone, [obs])
    else:
        case[1].append(obs)


def _alerts(kind: AlertKind, cases: _Cases, worker_id: str, limit: int) -> list[Alert]:
    return [
        make_alert(
            kind,
            (worker_id, permit_id, site, day),
            at_ms=scans[0].at_ms,
            evidence=evidence(scans, limit),
            facts={"zone": zone, "scans": len(scans)},
            permit_id=permit_id,
            worker_id=worker_id,
            site=site,
        )
        for (permit_id, site, day), (zone, scans) in cases.items()
    ]


def exposed(
    timeline: Timeline, permits: Mapping[str, PermitRecord], ctx: ReconcileContext
) -> list[int]:
    """Indices of the scans at a site where their permit can be out of its area or
    heading inland; usually none, found without looking at every scan."""
    geography, sites = ctx.geography, timeline.site_ids
    found: list[int] = []
    for permit_id, indices in timeline.by_permit.items():
        risky = geography.exposed_sites(permits[permit_id].permit.zones) & sites
        if risky:
            genuine = timeline.genuine
            found.extend(i for i in indices if genuine[i].site in risky)
    return sorted(found)


def inland_attempt(
    timeline: Timeline, permits: Mapping[str, PermitRecord], ctx: ReconcileContext
) -> list[Alert]:
    """A genuine permit scanned ``in`` at a checkpoint whose outer zone (None: inland
    China) its area does not include. Facts: ``zone`` (beyond the checkpoint),
    ``scans``."""
    cases: _Cases = {}
    for i in exposed(timeline, permits, ctx):
        obs = timeline.genuine[i]
        site, record = timeline.site(obs), permits[obs.permit_id or ""]
        if (
            site.kind is SiteKind.CHECKPOINT
            and obs.direction == Direction.IN
            and (site.outer is None or site.outer not in record.area)
        ):
            _add(cases, obs, record.permit_id, site.outer or INLAND)
    return _alerts(AlertKind.INLAND_ATTEMPT, cases, timeline.worker_id, ctx.settings.max_evidence)


def zones_shown(site: Site, obs: Observation) -> tuple[str, ...]:
    """The zones a scan proves the person was in: a park's or checkpoint's own zone;
    at a border gate, the city once let in; coming ``out`` through a checkpoint, also
    the zone beyond it (``inland`` for a checkpoint with none)."""
    if site.kind is SiteKind.BORDER_GATE:
        entered = obs.direction == Direction.IN and obs.verdict == Outcome.ALLOW
        return (site.zone,) if entered else ()
    if site.kind is SiteKind.CHECKPOINT and obs.direction == Direction.OUT:
        return (site.zone, site.outer or INLAND)
    return (site.zone,)


def out_of_area(
    timeline: Timeline, permits: Mapping[str, PermitRecord], ctx: ReconcileContext
) -> list[Alert]:
    """A genuine permit scanned where, or coming from where, its area does not reach.
    Facts: ``zone`` (the first zone outside the area), ``scans``."""
    cases: _Cases = {}
    for i in exposed(timeline, permits, ctx):
        obs = timeline.genuine[i]
        record = permits[obs.permit_id or ""]
        outside = [z for z in zones_shown(timeline.site(obs), obs) if z not in record.area]
        if outside:
            _add(cases, obs, record.permit_id, outside[0])
    return _alerts(AlertKind.OUT_OF_AREA, cases, timeline.worker_id, ctx.settings.max_evidence)


def impossible_travel(
    timeline: Timeline, permits: Mapping[str, PermitRecord], ctx: ReconcileContext
) -> list[Alert]:
    """Two genuine scans of one permit at different sites closer in time than the
    fastest trip between them (a cloned QR). Every such pair counts, not only
    neighbours, so a scan arriving late between two others never hides a pair. One
    alert per permit and Shanghai day of the later scan. Facts: ``pairs`` and, for the
    most impossible pair, ``from_site``, ``to_site``, ``seconds``, ``min_seconds`` and
    ``same_card`` (both scans read the same QR text)."""
    alerts = []
    for permit_id, indices in timeline.by_permit.items():
        days: dict[int, list[tuple[Observation, Observation]]] = {}
        for a, b in _close_pairs(timeline, indices, ctx):
            days.setdefault(shanghai_day(b.at_ms), []).append((a, b))
        for day, pairs in days.items():
            alerts.append(_travel_alert(timeline.worker_id, permit_id, day, pairs, ctx))
    return alerts


def _close_pairs(
    timeline: Timeline, indices: tuple[int, ...], ctx: ReconcileContext
) -> list[tuple[Observation, Observation]]:
    """The pairs of these scans at different sites closer than the trip between them.
    Only a scan less than the longest trip after its predecessor can end one."""
    times, genuine = timeline.times, timeline.genuine
    stamps = times if len(indices) == len(times) else tuple(times[i] for i in indices)
    window, travel = ctx.geography.max_travel_ms, ctx.geography.travel_ms
    pairs = []
    gaps = map(sub, stamps[1:], stamps)
    for j in compress(range(1, len(stamps)), map(window.__gt__, gaps)):
        b = genuine[indices[j]]
        k = j - 1
        while k >= 0 and stamps[j] - stamps[k] < window:
            a = genuine[indices[k]]
            if a.site != b.site and stamps[j] - stamps[k] < travel[(a.site, b.site)]:
                pairs.append((a, b))
            k -= 1
    return pairs


def _travel_alert(
    worker_id: str,
    permit_id: str,
    day: int,
    pairs: list[tuple[Observation, Observation]],
    ctx: ReconcileContext,
) -> Alert:
    travel = ctx.geography.travel_ms
    a, b = min(pairs, key=lambda p: p[1].at_ms - p[0].at_ms - travel[(p[0].site, p[1].site)])
    scans = sorted({o for pair in pairs for o in pair}, key=TIMELINE_ORDER)
    return make_alert(
        AlertKind.IMPOSSIBLE_TRAVEL,
        (worker_id, permit_id, day),
        at_ms=min(p[1].at_ms for p in pairs),
        evidence=evidence(scans, ctx.settings.max_evidence),
        facts={
            "pairs": len(pairs),
            "from_site": a.site,
            "to_site": b.site,
            "seconds": (b.at_ms - a.at_ms) // 1000,
            "min_seconds": travel[(a.site, b.site)] // 1000,
            "same_card": a.qr_digest == b.qr_digest,
        },
        permit_id=permit_id,
        worker_id=worker_id,
        site=b.site,
    )
