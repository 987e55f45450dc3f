"""Benchmark the hub's reconciliation engine alone (issue 5, section 6).

Synthetic but plausible evidence: 20,000 workers with 100 scans each (2,000,000
events). Six in ten commute daily (border gate in, park in, park out, border gate
out; through Hengjiang for the Fangchenggang parks), the others live in China on a
single-exit permit and pass their park's gate twice a day; roll calls at noon top
everyone up to exactly 100 scans. About 2% misbehave (an entry missing, a wrong
park, a try inland, a permit run out) so that the rules also build alerts. Each site
has one edge that numbers its scans in time order. A worker's scans are allocated
together, as the store would load them.

Measured, with the engine only (no SQLite, no HTTP):

* the full recomputation: every worker's timeline and alerts, in events per second
  (the periodic tick, or a hub recomputing everything);
* one more 1,000-event batch from one edge (the next morning's first scans at the
  busiest border gate, so 1,000 different workers; and at the busiest park gate),
  recomputed the way the hub should: each touched worker from their settled cut
  (``hub.reconcile.settle``) over the scans since; and, for comparison, over their
  whole history. Medians of several runs, in milliseconds.

Ingest into the hub's store will be added to this same script by the store's author,
so that the figures become the issue's "ingest plus reconciliation". The last line is
one JSON object: ``events_per_s``, ``incremental_batch_ms`` (from settled cuts) and
``full_history_batch_ms``, each batch figure the worse of a border gate's batch and a
park gate's.

    .venv/bin/python bench/reconcile.py [--workers N] [--events-per-worker N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from operator import attrgetter

from hub.reconcile import (
    EdgeWatermark,
    Geography,
    Observation,
    PermitRecord,
    ReconcileContext,
    Settled,
    reconcile_worker,
    settle,
    worker_alerts,
)
from protocol.days import start_of_day_ms
from protocol.permit import Permit, Sex, Worker
from protocol.sites import SiteKind, default_site_map
from protocol.verdict import Direction, Outcome

FIRST_DAY = date(2026, 9, 1)
PARKS = {
    "jiangping-park": ("dongxing", "dongxing/jiangping"),
    "kec-park": ("dongxing", "dongxing/kec"),
    "chonglan-park": ("dongxing", "dongxing/chonglan"),
    "border-trade-centre": ("dongxing", "dongxing/border-trade-centre"),
    "gangkou-park": ("dongxing", "fangchenggang", "fangchenggang/gangkou-park"),
    "fangcheng-park": ("dongxing", "fangchenggang", "fangchenggang/fangcheng-park"),
}
GATES = ("dongxing-port", "beilun-bridge-2")
MINUTE = 60_000
IN, OUT, CHECK = Direction.IN, Direction.OUT, Direction.CHECK
ALLOW = Outcome.ALLOW
SEQ = attrgetter("seq")
EDGES = {site: f"{site}-1" for site in default_site_map().sites}

Scan = tuple[int, str, Direction, int, Outcome]
"""(instant, site, direction, worker index, verdict): a scan before its edge numbers it."""


@dataclass
class Person:
    index: int
    record: PermitRecord
    park: str
    gate: str
    commuter: bool
    quirk: str | None
    digest: bytes


def clock(day: int, hour: int, minute: int) -> int:
    return start_of_day_ms(FIRST_DAY + timedelta(days=day)) + (hour * 60 + minute) * MINUTE


def make_person(index: int, rng: random.Random) -> Person:
    park = rng.choice(list(PARKS))
    commuter = rng.random() < 0.6
    quirks = ["no_entry", "wrong_park", "inland", "expired"]
    quirk = rng.choice(quirks) if rng.random() < 0.02 else None
    start = FIRST_DAY - timedelta(days=rng.randrange(0, 30))
    end = start + timedelta(days=rng.randrange(120, 180))
    if quirk == "expired":
        end = FIRST_DAY + timedelta(days=rng.randrange(5, 20))
    permit = Permit(
        permit_id=f"P{index:07d}",
        worker=Worker(f"Worker {index}", f"VN{index:08d}", date(1990, 1, 1), Sex.FEMALE),
        employer_id=f"EMP{index % 400:04d}",
        zones=PARKS[park],
        valid_from=start,
        valid_until=end,
        health_cert_until=end,
        insurance_until=end,
        single_exit=not commuter,
        issued_at=start_of_day_ms(start) // 1000,
        key_id=bytes(8),
    )
    record = PermitRecord(permit, PARKS[park][-1], end + timedelta(days=365))
    digest = hashlib.sha256(permit.permit_id.encode()).digest()[:16]
    return Person(index, record, park, rng.choice(GATES), commuter, quirk, digest)


def day_of(person: Person, day: int, rng: random.Random) -> Iterator[Scan]:
    """One person's scans on one day."""
    jitter = rng.randrange(0, 40)
    far = person.park in ("gangkou-park", "fangcheng-park")
    park = "kec-park" if person.quirk == "wrong_park" and day % 5 == 0 else person.park
    w, crossing = person.index, person.commuter or day == 0
    if crossing and not (person.quirk == "no_entry" and day == 3):
        yield (clock(day, 6, 30 + jitter), person.gate, IN, w, ALLOW)
    if far and crossing:
        yield (clock(day, 7, 15 + jitter), "hengjiang", IN, w, ALLOW)
    if person.quirk == "inland" and day == 4:
        yield (clock(day, 7, 40 + jitter), "maoling", IN, w, Outcome.ALERT)
    yield (clock(day, 8, 20 + jitter), park, IN, w, ALLOW)
    yield (clock(day, 17, jitter), park, OUT, w, ALLOW)
    if far and person.commuter:
        yield (clock(day, 17, 45 + jitter), "hengjiang", OUT, w, ALLOW)
    if person.commuter:
        yield (clock(day, 18, 30 + jitter), person.gate, OUT, w, ALLOW)


def life(person: Person, per_worker: int, rng: random.Random) -> tuple[list[Scan], int]:
    """The person's whole days up to ``per_worker`` scans, topped up with roll calls
    at the park at noon; and the day after the last one."""
    scans: list[Scan] = []
    day = 0
    while True:
        today = list(day_of(person, day, rng))
        if len(scans) + len(today) > per_worker:
            break
        scans.extend(today)
        day += 1
    for roll_call in range(per_worker - len(scans)):
        scans.append((clock(roll_call, 12, 0), person.park, CHECK, person.index, ALLOW))
    return scans, day


def numbered(
    scans: list[Scan], people: list[Person], seqs: Counter[str]
) -> dict[str, list[Observation]]:
    """Each worker's observations: every site's edge numbers its scans in time order,
    continuing from ``seqs``; a worker's observations are then built together."""
    per_worker: dict[int, list[tuple[str, int, Scan]]] = {}
    for scan in sorted(scans):
        edge = EDGES[scan[1]]
        seqs[edge] += 1
        per_worker.setdefault(scan[3], []).append((edge, seqs[edge], scan))
    out = {}
    for index, rows in per_worker.items():
        person = people[index]
        permit = person.record.permit
        out[permit.worker_id] = [
            Observation(
                edge_id=edge,
                seq=seq,
                site=site,
                direction=direction,
                verdict=verdict,
                reasons=(),
                permit_id=permit.permit_id,
                worker_id=permit.worker_id,
                employer_id=permit.employer_id,
                verified=True,
                at_ms=at_ms,
                hlc=at_ms << 16,
                qr_digest=person.digest,
            )
            for edge, seq, (at_ms, site, direction, _, verdict) in rows
        ]
    return out


def context(geography: Geography, now_ms: int) -> ReconcileContext:
    """Every edge synced up to ``now_ms``."""
    marks = [EdgeWatermark(f"{s}-1", s, now_ms, now_ms, 0) for s in geography.sites]
    return ReconcileContext.build(geography, now_ms, marks)


class Stopwatch:
    """Wall-clock and CPU time of the code run inside ``with watch:`` blocks, added up
    (CPU time shows the engine's own cost on a machine shared with other work)."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def __enter__(self) -> Stopwatch:
        self._started = (time.perf_counter(), time.process_time())
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall += time.perf_counter() - self._started[0]
        self.cpu += time.process_time() - self._started[1]


def recompute_all(
    people: list[Person], history: dict[str, list[Observation]], ctx: ReconcileContext
) -> tuple[Stopwatch, Stopwatch, Counter[str], dict[str, Settled]]:
    """Every worker from their first scan; then where each one's past settles."""
    kinds: Counter[str] = Counter()
    cuts: dict[str, Settled] = {}
    computing, settling = Stopwatch(), Stopwatch()
    for person in people:
        record = person.record
        with computing:
            result = reconcile_worker(record.worker_id, history[record.worker_id], [record], ctx)
        kinds.update(alert.kind.value for alert in result.alerts)
        with settling:
            cut = settle(result.timeline, {record.permit_id: record}, ctx)
        if cut is not None:
            cuts[record.worker_id] = cut
    return computing, settling, kinds, cuts


def recompute_batch(
    people: dict[str, Person],
    history: dict[str, list[Observation]],
    batch: dict[str, list[Observation]],
    ctx: ReconcileContext,
    cuts: dict[str, Settled] | None,
) -> Stopwatch:
    """What the ingest does for one batch: every touched worker recomputed over the
    scans the store would load (since their cut, then settled again; or all) plus the
    batch's."""
    loaded = {}
    for worker_id in batch:
        cut = cuts.get(worker_id) if cuts is not None else None
        past = history[worker_id]
        loaded[worker_id] = [o for o in past if o.at_ms >= cut.cut_ms] if cut else past
    watch = Stopwatch()
    with watch:
        for worker_id, new in batch.items():
            record = people[worker_id].record
            scans = [*loaded[worker_id], *new]
            if cuts is None:
                worker_alerts(worker_id, scans, [record], ctx)
                continue
            result = reconcile_worker(worker_id, scans, [record], ctx, cuts.get(worker_id))
            settle(result.timeline, {record.permit_id: record}, ctx)
    return watch


def generate(
    workers: int, per_worker: int, rng: random.Random
) -> tuple[list[Person], dict[str, list[Observation]], int, Counter[str]]:
    """The people, each one's observations, the day after the last one, and each
    edge's last sequence number."""
    people = [make_person(i, rng) for i in range(workers)]
    scans: list[Scan] = []
    next_day = 0
    for person in people:
        lived, days = life(person, per_worker, rng)
        scans.extend(lived)
        next_day = max(next_day, days)
    seqs: Counter[str] = Counter()
    return people, numbered(scans, people, seqs), next_day, seqs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=20_000)
    parser.add_argument("--events-per-worker", type=int, default=100)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    geography = Geography.of(default_site_map())

    started = time.perf_counter()
    people, history, next_day, seqs = generate(args.workers, args.events_per_worker, rng)
    events = sum(map(len, history.values()))
    print(f"generated {events:,} events in {time.perf_counter() - started:.1f} s")

    ctx = context(geography, clock(next_day, 6, 0))
    computing, settling, kinds, cuts = recompute_all(people, history, ctx)
    events_per_s = events / computing.wall
    print(
        f"full recomputation: {computing.wall:.2f} s ({computing.cpu:.2f} s CPU), "
        f"{events_per_s:,.0f} events/s; settling everyone: {settling.wall:.2f} s"
    )
    print("alerts:", dict(sorted(kinds.items())))
    print(f"workers with a settled cut: {len(cuts):,} of {len(people):,}")

    tomorrow = [scan for p in people for scan in day_of(p, next_day, rng)]
    fresh = numbered(tomorrow, people, seqs)
    persons = {p.record.worker_id: p for p in people}
    results = [
        measure_batch(persons, history, fresh, cuts, geography, args.batch, kind)
        for kind in (SiteKind.BORDER_GATE, SiteKind.PARK_GATE)
    ]
    summary = {
        "events_per_s": round(events_per_s),
        "incremental_batch_ms": max(r[0] for r in results),
        "full_history_batch_ms": max(r[1] for r in results),
    }
    print(json.dumps(summary))


def measure_batch(
    persons: dict[str, Person],
    history: dict[str, list[Observation]],
    fresh: dict[str, list[Observation]],
    cuts: dict[str, Settled],
    geography: Geography,
    size: int,
    kind: SiteKind,
) -> tuple[float, float]:
    """The first ``size`` scans of the next day at the busiest edge of ``kind``,
    recomputed from settled cuts and over whole histories: medians in ms."""
    sites = {s.site_id for s in geography.sites.values() if s.kind is kind}
    busiest = Counter(o.edge_id for obs in fresh.values() for o in obs if o.site in sites)
    edge = busiest.most_common(1)[0][0]
    logged = sorted((o for obs in fresh.values() for o in obs if o.edge_id == edge), key=SEQ)
    batch: dict[str, list[Observation]] = {}
    for obs in logged[:size]:
        batch.setdefault(obs.worker_id or "", []).append(obs)
    ctx = context(geography, max(o.at_ms for o in logged[:size]) + MINUTE)
    runs = [recompute_batch(persons, history, batch, ctx, cuts) for _ in range(7)]
    from_cut = round(statistics.median(r.wall for r in runs) * 1000, 1)
    from_cut_cpu = round(statistics.median(r.cpu for r in runs) * 1000, 1)
    runs = [recompute_batch(persons, history, batch, ctx, None) for _ in range(7)]
    whole = round(statistics.median(r.wall for r in runs) * 1000, 1)
    whole_cpu = round(statistics.median(r.cpu for r in runs) * 1000, 1)
    print(
        f"batch of {len(logged[:size])} events from {edge}: {len(batch)} workers, "
        f"{from_cut} ms ({from_cut_cpu} CPU) from settled cuts, "
        f"{whole} ms ({whole_cpu} CPU) over whole histories"
    )
    return from_cut, whole


if __name__ == "__main__":
    main()
