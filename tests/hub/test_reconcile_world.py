"""Builders shared by the reconciliation tests (this module holds no tests).

A :class:`World` is one worker's permits and the scans edges logged of them, one edge
per site (``"<site>-1"``) unless told otherwise, with sequence numbers per edge as an
edge assigns them. Permits are real: issued as signed QR text by the shared test
issuer, then decoded and verified, exactly as an edge would read them. At the end,
Hypothesis strategies for random lives (:data:`CASES`) and the watermarks a hub would
hold while they arrive (:func:`synced_marks`).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from factories import SITES, TODAY, make_issuer, shanghai_instant_ms
from hypothesis import strategies as st

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
from protocol.refs import Revocation, RevocationKind
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


# Random lives for the property tests ------------------------------------------------

MOVE_LIST = [
    ("dongxing-port", "in"),
    ("dongxing-port", "out"),
    ("beilun-bridge-2", "in"),
    ("beilun-bridge-2", "out"),
    ("jiangping-park", "in"),
    ("jiangping-park", "out"),
    ("jiangping-park", "check"),
    ("kec-park", "in"),
    ("hengjiang", "in"),
    ("hengjiang", "out"),
    ("gangkou-park", "check"),
    ("maoling", "in"),
]
MINUTES = st.one_of(st.integers(0, 45), st.integers(46, 2 * 24 * 60))
ROUTINES = [
    [
        ("dongxing-port", "in"),
        ("jiangping-park", "in"),
        ("jiangping-park", "out"),
        ("dongxing-port", "out"),
    ],
    [("beilun-bridge-2", "in"), ("jiangping-park", "in")],
    [("jiangping-park", "check")],
    [("beilun-bridge-2", "out")],
]
"""Ordinary days, which the random moves below break into every kind of case."""
MOVES = st.one_of(st.sampled_from(ROUTINES), st.sampled_from(MOVE_LIST).map(lambda move: [move]))
SCAN = st.tuples(
    MINUTES,
    st.sampled_from(["allow", "allow", "allow", "allow", "deny", "alert"]),
    st.sampled_from([True, True, True, True, False]),
    st.integers(0, 1),  # which permit
    st.integers(0, 1),  # which edge at the site
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[World, int, list[Revocation]]:
    """A worker with one or two permits, a random life of scans, sometimes a
    revocation, and the instant of reconciliation."""
    ends = draw(st.lists(st.integers(-22, 5), min_size=1, max_size=2))
    records = [
        record(
            f"P-{i}",
            valid_from=TODAY - timedelta(days=30),
            valid_until=TODAY + timedelta(days=end),
            single_exit=draw(st.booleans()),
            zones=draw(st.sampled_from([("dongxing", "dongxing/jiangping"), ("dongxing",)])),
            park_zone=draw(st.sampled_from(["dongxing/jiangping", None])),
        )
        for i, end in enumerate(ends)
    ]
    world = World(*records)
    instant = at(-16, 6)
    life = draw(st.lists(MOVES, min_size=1, max_size=16))
    life.append(draw(st.sampled_from([[], ROUTINES[1]])))  # often still in China at the end
    for moves in life:
        for site, direction in moves:
            minutes, verdict, verified, which, edge = draw(SCAN)
            instant += minutes * 60_000
            world.scan(
                site,
                direction,
                instant,
                permit=records[which % len(records)].permit_id,
                verdict=verdict,
                verified=verified,
                edge=f"{site}-{edge + 1}",
            )
    now = instant + draw(st.integers(0, 5 * 24 * 60)) * 60_000
    revoked = draw(st.none() | st.integers(at(-16, 0), now))
    revocations = (
        [] if revoked is None else [Revocation(RevocationKind.PERMIT, "P-0", revoked // 1000)]
    )
    return world, now, revocations


def synced_marks(delivered: set[tuple[str, int]], world: World, now: int) -> list[EdgeWatermark]:
    """Each edge's watermark as the hub knows it: up to its first event not yet
    delivered (an edge's events are in sequence and time order), else ``now``."""
    by_edge: dict[str, list[Observation]] = defaultdict(list)
    for obs in world.observations:
        by_edge[obs.edge_id].append(obs)
    marks = {w.edge_id: w for w in watermarks(now)}
    for edge, scans in by_edge.items():
        missing = [o.at_ms for o in scans if o.ref not in delivered]
        synced = min(missing, default=now)
        marks[edge] = EdgeWatermark(edge, scans[0].site, synced, now, 0)
    return list(marks.values())


DAYS = [
    # (hour, minute, site, direction): plans for one day, chosen at random
    [
        (7, 0, "dongxing-port", "in"),
        (8, 0, "jiangping-park", "in"),
        (18, 0, "dongxing-port", "out"),
    ],
    [
        (7, 0, "beilun-bridge-2", "in"),
        (9, 0, "kec-park", "in"),
        (12, 0, "beilun-bridge-2", "out"),
        (20, 0, "dongxing-port", "in"),
        (21, 0, "kec-park", "check"),
        (23, 30, "dongxing-port", "out"),
    ],
    [(8, 0, "jiangping-park", "in"), (23, 58, "beilun-bridge-2", "out")],
    [(0, 1, "dongxing-port", "in"), (9, 0, "hengjiang", "in"), (17, 0, "dongxing-port", "out")],
    [
        (7, 0, "dongxing-port", "in"),
        (7, 5, "gangkou-park", "check"),
        (19, 0, "dongxing-port", "out"),
    ],
    [(10, 0, "jiangping-park", "check")],
    [],
]


@st.composite
def days_of_life(draw: st.DrawFn) -> tuple[World, int, list[Observation]]:
    """Days of crossings with late evenings, midnight crossings and a day's misdeeds
    on either side of an exit; delivered nearly in order, a few scans late."""
    permit = record("P-0", valid_from=TODAY - timedelta(days=30), single_exit=draw(st.booleans()))
    world = World(permit)
    days = draw(st.lists(st.sampled_from(DAYS), min_size=2, max_size=9))
    for offset, plan in enumerate(days):
        for hour, minute, site, direction in plan:
            edge = f"{site}-{draw(st.integers(1, 2))}"
            world.scan(site, direction, at(offset - 10, hour, minute), edge=edge)
    delivery = sorted(world.observations, key=lambda o: o.at_ms)
    for _ in range(draw(st.integers(0, 3))):
        if delivery:
            late = delivery.pop(draw(st.integers(0, len(delivery) - 1)))
            delivery.insert(draw(st.integers(0, len(delivery))), late)
    return world, at(len(days) - 9, 12), delivery


Case = tuple[World, int, list[Revocation], list[Observation] | None]
"""A history, the instant, the revocations, and an order of delivery (None: any)."""
CASES: st.SearchStrategy[Case] = st.one_of(
    histories().map(lambda h: (h[0], h[1], h[2], None)),
    days_of_life().map(lambda d: (d[0], d[1], [], d[2])),
)
