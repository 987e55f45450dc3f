"""Benchmark the hub's reconciliation engine alone (issue 5, section 6).

Synthetic but plausible evidence: 20,000 workers with 100 scans each (2,000,000
events). Six in ten commute daily (border gate in, park in, park out, border gate
out; through Hengjiang for the Fangchenggang parks), the others live in China on a
single-exit permit and pass their park's gate twice a day; roll calls at noon top
everyone up to exactly 100 scans. About 2% misbehave (an entry missing, a wrong
park, a try inland, a permit run out) so that the rules also build alerts. Each site
has one edge that numbers its scans in time order. A worker's scans are allocated
together, as the store would load them.

Measured twice. With the engine only (no SQLite, no HTTP):

* the full recomputation: every worker's timeline and alerts, in events per second
  (the periodic tick, or a hub recomputing everything);
* one more 1,000-event batch from one edge (the next morning's first scans at the
  busiest border gate, so 1,000 different workers; and at the busiest park gate),
  recomputed the way the hub should: each touched worker from their settled cut
  (``hub.reconcile.settle``) over the scans since; and, for comparison, over their
  whole history. Medians of several runs, in milliseconds.

Then through the hub's store (``bench/support/hub_store.py`` says exactly which
path): every edge's log ingested (the sync protocol's ``ingest_push`` and the
store's batched insert) and every worker reconciled by the hub's reconciler, in events
per second of the two together; and the same two next-morning batches pushed through
``SyncService.push`` and reconciled from the settled cuts the bulk run stored, once
each (they change the store), in milliseconds.

The last line is one JSON object: ``events_per_s`` (ingest plus reconciliation
through the store, wall clock), ``incremental_batch_ms`` (push plus reconciliation of
one batch through the store, the worse of the two), then ``cpu_events_per_s`` (the
same over the process's CPU time: on a machine shared with other work the wall clock
also counts the others), ``ingest_events_per_s``, ``reconcile_events_per_s``,
``batch_push_ms``, ``batch_reconcile_ms`` (the parts), ``engine_events_per_s``,
``engine_batch_ms`` and ``engine_full_history_batch_ms`` (the engine alone).

    .venv/bin/python bench/reconcile.py [--events N | --workers N] [--events-per-worker N]

``--events 200000`` makes a quick run (2,000 workers).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from operator import attrgetter
from pathlib import Path

from support.hub_store import EdgeLog, HubStore

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
from protocol.keys import SigningKey
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
        employer_id=f"EMP{list(PARKS).index(park)}{index % 64:02d}",  # in the worker's park
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
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--workers", type=int, help="instead of --events: this many workers")
    parser.add_argument("--events-per-worker", type=int, default=100)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    geography = Geography.of(default_site_map())

    started = time.perf_counter()
    workers = args.workers or max(1, args.events // args.events_per_worker)
    people, history, next_day, seqs = generate(workers, args.events_per_worker, rng)
    events = sum(map(len, history.values()))
    print(f"generated {events:,} events in {time.perf_counter() - started:.1f} s")

    now_ms = clock(next_day, 6, 0)
    ctx = context(geography, now_ms)
    computing, settling, kinds, cuts = recompute_all(people, history, ctx)
    engine_per_s = events / computing.wall
    print(
        f"engine, full recomputation: {computing.wall:.2f} s ({computing.cpu:.2f} s CPU), "
        f"{engine_per_s:,.0f} events/s; settling everyone: {settling.wall:.2f} s"
    )
    print("alerts:", dict(sorted(kinds.items())))
    print(f"workers with a settled cut: {len(cuts):,} of {len(people):,}")

    tomorrow = [scan for p in people for scan in day_of(p, next_day, rng)]
    fresh = numbered(tomorrow, people, seqs)
    persons = {p.record.worker_id: p for p in people}
    batches = [next_batch(fresh, geography, args.batch, k)
               for k in (SiteKind.BORDER_GATE, SiteKind.PARK_GATE)]  # fmt: skip
    results = [measure_batch(persons, history, batch, cuts, geography) for batch in batches]
    hub = asyncio.run(through_the_hub(people, history, batches, events, now_ms))
    summary = {
        **hub,
        "engine_events_per_s": round(engine_per_s),
        "engine_batch_ms": max(r[0] for r in results),
        "engine_full_history_batch_ms": max(r[1] for r in results),
    }
    print(json.dumps(summary))


def edge_logs(history: dict[str, list[Observation]]) -> dict[str, EdgeLog]:
    """Each edge's log, encoded and chained, with a key of its own."""
    per_edge: dict[str, list[Observation]] = {}
    for observations in history.values():
        for obs in observations:
            per_edge.setdefault(obs.edge_id, []).append(obs)
    logs = {}
    for i, (edge, observations) in enumerate(sorted(per_edge.items())):
        log = EdgeLog(edge, observations[0].site, SigningKey(bytes([i + 1]) * 32), [])
        log.extend(sorted(observations, key=SEQ))
        logs[edge] = log
    return logs


async def through_the_hub(
    people: list[Person],
    history: dict[str, list[Observation]],
    batches: list[list[Observation]],
    events: int,
    now_ms: int,
) -> dict[str, float]:
    """Ingest and reconcile everything in a hub's store, then each batch."""
    started = time.perf_counter()
    logs = edge_logs(history)
    print(f"encoded the edges' logs in {time.perf_counter() - started:.1f} s")
    ingest, reconcile = Stopwatch(), Stopwatch()
    with tempfile.TemporaryDirectory(prefix="bench-reconcile-") as directory:
        hub = HubStore(Path(directory), default_site_map(), now_ms)
        try:
            await hub.register([p.record for p in people], logs.values())
            with ingest:
                await hub.ingest(list(logs.values()))
            with reconcile:
                _, tally = await hub.reconcile()
            timings = [await push_one(hub, logs, batch) for batch in batches]
        finally:
            hub.close()
    for name, watch in (("ingest", ingest), ("reconciliation", reconcile)):
        print(f"hub: {name} {watch.wall:.1f} s ({watch.cpu:.1f} s CPU, all threads), "
              f"{events / watch.wall:,.0f} events/s")  # fmt: skip
    print(f"hub: {len(tally.raised):,} alerts raised")
    worst = max(timings, key=sum)
    return {
        "events_per_s": round(events / (ingest.wall + reconcile.wall)),
        "incremental_batch_ms": round(sum(worst) * 1000, 1),
        "cpu_events_per_s": round(events / (ingest.cpu + reconcile.cpu)),
        "ingest_events_per_s": round(events / ingest.wall),
        "reconcile_events_per_s": round(events / reconcile.wall),
        "batch_push_ms": round(worst[0] * 1000, 1),
        "batch_reconcile_ms": round(worst[1] * 1000, 1),
    }


async def push_one(
    hub: HubStore, logs: dict[str, EdgeLog], batch: list[Observation]
) -> tuple[float, float]:
    log = logs[batch[0].edge_id]
    first = len(log.encoded)
    log.extend(batch)
    hub.clock.set(max(o.at_ms for o in batch) + MINUTE)
    push_s, reconcile_s, tally = await hub.push_batch(log, first)
    print(f"hub: batch of {len(batch)} events from {log.edge_id}: push {push_s * 1000:.1f} ms, "
          f"reconciliation of {tally.workers} workers {reconcile_s * 1000:.1f} ms")  # fmt: skip
    return push_s, reconcile_s


def next_batch(
    fresh: dict[str, list[Observation]], geography: Geography, size: int, kind: SiteKind
) -> list[Observation]:
    """The first ``size`` scans of the next day at the busiest edge of ``kind``."""
    sites = {s.site_id for s in geography.sites.values() if s.kind is kind}
    busiest = Counter(o.edge_id for obs in fresh.values() for o in obs if o.site in sites)
    edge = busiest.most_common(1)[0][0]
    return sorted((o for obs in fresh.values() for o in obs if o.edge_id == edge), key=SEQ)[:size]


def measure_batch(
    persons: dict[str, Person],
    history: dict[str, list[Observation]],
    logged: list[Observation],
    cuts: dict[str, Settled],
    geography: Geography,
) -> tuple[float, float]:
    """One edge's batch recomputed by the engine from settled cuts and over whole
    histories: medians in ms."""
    batch: dict[str, list[Observation]] = {}
    for obs in logged:
        batch.setdefault(obs.worker_id or "", []).append(obs)
    ctx = context(geography, max(o.at_ms for o in logged) + MINUTE)
    runs = [recompute_batch(persons, history, batch, ctx, cuts) for _ in range(7)]
    from_cut = round(statistics.median(r.wall for r in runs) * 1000, 1)
    from_cut_cpu = round(statistics.median(r.cpu for r in runs) * 1000, 1)
    runs = [recompute_batch(persons, history, batch, ctx, None) for _ in range(7)]
    whole = round(statistics.median(r.wall for r in runs) * 1000, 1)
    whole_cpu = round(statistics.median(r.cpu for r in runs) * 1000, 1)
    print(
        f"engine, batch of {len(logged)} events from {logged[0].edge_id}: {len(batch)} "
        f"workers, {from_cut} ms ({from_cut_cpu} CPU) from settled cuts, "
        f"{whole} ms ({whole_cpu} CPU) over whole histories"
    )
    return from_cut, whole


if __name__ == "__main__":
    main()
