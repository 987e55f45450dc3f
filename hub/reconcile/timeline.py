"""A worker's timeline: every scan of every permit of theirs, in one order, and the
stays in China it shows.

Order: by ``at_ms``, then hybrid clock, then edge id, then sequence number; the same
(edge, seq) delivered twice counts once. The order depends only on the set of
observations, never on how or when they arrived, which is what makes every alert a
function of the evidence.

Only *genuine* observations shape a timeline: verified under a trusted key, of a
permit the registry knows, at a site the site map knows. A card that failed
verification says nothing reliable about who carried it (see ``rules``).

A :class:`Stay` is one period in China. Presence is a property of the person, so any
of the worker's permits moves it:

* an allowed ``in`` at a border gate is an entry: it opens a stay, or, when one is
  open, is one more entry of it (a double entry when an entry already opened it);
* an ``out`` at a border gate is an exit: it closes the open stay (a genuine permit is
  never refused on the way out); an exit with no open stay is a stay of its own, with
  no entry;
* any scan at a park gate or a checkpoint shows the person in China: it opens a stay
  when none is open (a stay with no entry: the entry is missing or not synced yet);
* a refused entry and a roll call at a border gate move nothing.

A stay is governed by the permit with the latest end date among those shown during it
while in force (the worker showed a renewed permit); if none was in force when shown,
by the latest of those shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import NamedTuple

from protocol.sites import Site
from protocol.verdict import Direction, Outcome

from .context import Geography
from .model import CarriedStay, Observation, PermitRecord, Settled

TIMELINE_ORDER = attrgetter("at_ms", "hlc", "edge_id", "seq")
"""The sort key of a timeline: instant, hybrid clock, edge, sequence number."""
_AT_MS = attrgetter("at_ms")
_GENUINE_KEY = attrgetter("site", "permit_id", "verified")
_IN, _OUT = Direction.IN, Direction.OUT
_ALLOW = Outcome.ALLOW


class Stay(NamedTuple):
    """One period in China, from its first evidence to its exit (None: still open).

    A named tuple rather than a frozen dataclass: timelines make one per day of
    commuting, and a tuple is built four times faster (see ``bench/reconcile.py``)."""

    start: Observation
    """The first evidence of presence: the entry, or the scan that showed the worker
    inside with no entry before it, or an exit with nothing before it."""
    entry: Observation | None
    extra_entries: tuple[Observation, ...]
    """Entries after the first one with no exit between."""
    exit: Observation | None
    previous_exit: Observation | None
    """The exit that closed the worker's previous stay."""
    permit: PermitRecord
    """The governing permit (see the module docstring)."""
    first: int
    end: int
    """The stay's scans in this timeline are ``timeline.genuine[first:end]``."""
    last: Observation
    """Its last scan."""
    before: CarriedStay | None = None
    """Its part before the settled cut, when it began before it."""

    @property
    def is_open(self) -> bool:
        return self.exit is None

    @property
    def entered(self) -> bool:
        """True when the stay began with an entry (no scan in China before it)."""
        return self.start is self.entry or self.start == self.entry

    @property
    def latest_entry(self) -> Observation | None:
        """The entry before its first extra entry (for double entries)."""
        if self.before is not None and self.before.last_entry is not None:
            return self.before.last_entry
        return self.entry


@dataclass(frozen=True, slots=True)
class Timeline:
    worker_id: str
    geography: Geography
    observations: tuple[Observation, ...]
    """Every observation, genuine or not, in timeline order, each once."""
    genuine: tuple[Observation, ...]
    """The genuine observations, in timeline order."""
    times: tuple[int, ...]
    """The instant of each genuine observation."""
    site_ids: frozenset[str]
    """Every site with a genuine observation."""
    by_permit: Mapping[str, tuple[int, ...]]
    """Per permit id, the indices of its genuine observations, in timeline order."""
    stays: tuple[Stay, ...]
    last_border: Observation | None
    """The last entry or exit."""
    settled: Settled | None = None
    """The settled past this timeline continues (None: it starts at the first scan)."""

    def site(self, obs: Observation) -> Site:
        return self.geography.sites[obs.site]

    @property
    def current_stay(self) -> Stay | None:
        """The open stay: the worker is in China (as far as the evidence goes)."""
        if self.stays and self.stays[-1].is_open:
            return self.stays[-1]
        return None

    @property
    def in_china(self) -> bool:
        return self.current_stay is not None

    @property
    def in_china_since_ms(self) -> int | None:
        stay = self.current_stay
        return None if stay is None else stay.start.at_ms

    def last_seen_in(self, stay: Stay, zone: str) -> Observation | None:
        """The stay's last scan at a park gate of ``zone``."""
        gates = self.geography.park_gates.get(zone, frozenset())
        genuine = self.genuine
        for index in range(stay.end - 1, stay.first - 1, -1):
            if genuine[index].site in gates:
                return genuine[index]
        earlier = stay.before.seen if stay.before else ()
        return next((obs for obs in earlier if obs.site in gates), None)

    def exits(self) -> Iterable[Observation]:
        """Every exit, in order."""
        return (stay.exit for stay in self.stays if stay.exit is not None)

    def entries(self) -> Iterable[Observation]:
        """Every entry (an allowed ``in`` at a border gate), in order."""
        for stay in self.stays:
            if stay.entry is not None:
                yield stay.entry
                yield from stay.extra_entries


def ordered(observations: Iterable[Observation]) -> list[Observation]:
    """The observations in timeline order, each (edge, seq) once.

    Copies of one event carry the same ``at_ms`` (the store assigns it once, when the
    event first arrives), so duplicates can only hide among equal instants: sorting
    by the instant alone and finding no two equal is the whole work in the usual
    case, and only a tie pays for the full key and the duplicate check."""
    return _ordered(observations)[0]


def _ordered(observations: Iterable[Observation]) -> tuple[list[Observation], list[int]]:
    scans = sorted(observations, key=_AT_MS)
    times = list(map(_AT_MS, scans))
    if len(set(times)) == len(times):
        return scans, times
    scans.sort(key=TIMELINE_ORDER)
    seen: set[tuple[str, int]] = set()
    unique = []
    for obs in scans:
        ref = (obs.edge_id, obs.seq)
        if ref not in seen:
            seen.add(ref)
            unique.append(obs)
    return unique, list(map(_AT_MS, unique))


def build_timeline(
    worker_id: str,
    observations: Iterable[Observation],
    permits: Mapping[str, PermitRecord],
    geography: Geography,
    settled: Settled | None = None,
) -> Timeline:
    """The worker's timeline from their observations (any order, duplicates allowed)
    and their permits, keyed by permit id; with ``settled``, from its cut on (earlier
    observations are ignored)."""
    if settled is not None:
        observations = [o for o in observations if o.at_ms >= settled.cut_ms]
    everything, times = _ordered(observations)
    known = geography.sites
    kinds = set(map(_GENUINE_KEY, everything))  # a handful of (site, permit, verified)
    genuine = everything
    if not all(site in known and pid in permits and ok for site, pid, ok in kinds):
        genuine = [
            o for o in everything if o.verified and o.permit_id in permits and o.site in known
        ]
        times = list(map(_AT_MS, genuine))
        kinds = set(map(_GENUINE_KEY, genuine))
    stays, last_border = _walk(genuine, permits, geography.border_gates, settled)
    observed = tuple(everything)
    return Timeline(
        worker_id=worker_id,
        geography=geography,
        observations=observed,
        genuine=observed if genuine is everything else tuple(genuine),
        times=tuple(times),
        site_ids=frozenset(site for site, _, _ in kinds),
        by_permit=_by_permit(genuine, permits),
        stays=tuple(stays),
        last_border=last_border,
        settled=settled,
    )


def _by_permit(
    genuine: list[Observation], permits: Mapping[str, PermitRecord]
) -> dict[str, tuple[int, ...]]:
    if not genuine:
        return {}
    if len(permits) == 1:
        return {next(iter(permits)): tuple(range(len(genuine)))}
    indices: dict[str, list[int]] = {}
    for i, obs in enumerate(genuine):
        indices.setdefault(obs.permit_id or "", []).append(i)
    return {pid: tuple(found) for pid, found in indices.items()}


def _walk(
    genuine: list[Observation],
    permits: Mapping[str, PermitRecord],
    border_gates: frozenset[str],
    settled: Settled | None,
) -> tuple[list[Stay], Observation | None]:
    """Cut the genuine observations into stays (rules in the module docstring),
    continuing a settled past: after its last exit, or in its open stay."""
    stays: list[Stay] = []
    carried = settled.stay if settled else None
    previous_exit = settled.previous_exit if settled else None
    first: int | None = None if carried is None else 0  # the open stay's first index
    entries = [carried.entry] if carried and carried.entry else []
    last_border = previous_exit if carried is None else carried.last_entry or previous_exit
    for i, obs in enumerate(genuine):
        if obs.site not in border_gates:
            if first is None:
                first = i
        elif obs.direction == _OUT:
            start = i if first is None else first
            stays.append(
                _stay(genuine, permits, start, i + 1, entries, previous_exit, carried, obs)
            )
            first, entries, previous_exit, last_border, carried = None, [], obs, obs, None
        elif obs.direction == _IN and obs.verdict == _ALLOW:
            if first is None:
                first = i
            entries.append(obs)
            last_border = obs
    if first is not None:
        end = len(genuine)
        stays.append(_stay(genuine, permits, first, end, entries, previous_exit, carried, None))
    return stays, last_border


def _stay(
    genuine: list[Observation],
    permits: Mapping[str, PermitRecord],
    first: int,
    end: int,
    entries: list[Observation],
    previous_exit: Observation | None,
    before: CarriedStay | None,
    exit_: Observation | None,
) -> Stay:
    if len(permits) == 1:
        permit = next(iter(permits.values()))
    else:
        permit = governing_permit(genuine[first:end], permits, before.shown if before else ())
    if end > first:
        last = genuine[end - 1]
    else:
        assert before is not None  # a stay with no scan here began before the cut
        last = before.last
    return Stay(
        start=before.start if before else genuine[first],
        entry=entries[0] if entries else None,
        extra_entries=tuple(entries[1:]),
        exit=exit_,
        previous_exit=previous_exit,
        permit=permit,
        first=first,
        end=end,
        last=last,
        before=before,
    )


def governing_permit(
    observations: Sequence[Observation],
    permits: Mapping[str, PermitRecord],
    shown_before: Iterable[tuple[str, int]] = (),
) -> PermitRecord:
    """Of the permits shown in ``observations`` (genuine ones) or, earlier, in
    ``shown_before`` ((permit id, when last shown)), the one with the latest end
    among those shown while in force; if none was, the latest of those shown (ties:
    the greater permit id)."""
    last_shown = dict(shown_before)
    last_shown.update((obs.permit_id or "", obs.at_ms) for obs in observations)
    shown = [permits[pid] for pid in last_shown]
    in_force = [r for r in shown if last_shown[r.permit.permit_id] >= r.start_ms]
    return max(in_force or shown, key=lambda r: (r.end_date, r.permit.permit_id))
