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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter

from protocol.sites import Site, SiteKind
from protocol.verdict import Direction, Outcome

from .context import Geography
from .model import Observation, PermitRecord

TIMELINE_ORDER = attrgetter("at_ms", "hlc", "edge_id", "seq")
"""The sort key of a timeline: instant, hybrid clock, edge, sequence number."""

_BORDER = SiteKind.BORDER_GATE
_IN, _OUT = Direction.IN, Direction.OUT
_ALLOW = Outcome.ALLOW


@dataclass(frozen=True, slots=True)
class Stay:
    """One period in China, from its first evidence to its exit (None: still open)."""

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
    """The stay's scans are ``timeline.genuine[first:end]``."""

    @property
    def is_open(self) -> bool:
        return self.exit is None

    @property
    def entered(self) -> bool:
        """True when the stay began with an entry (no scan in China before it)."""
        return self.start is self.entry


@dataclass(frozen=True, slots=True)
class Timeline:
    worker_id: str
    observations: tuple[Observation, ...]
    """Every observation, genuine or not, in timeline order, each once."""
    genuine: tuple[Observation, ...]
    """The genuine observations, in timeline order."""
    records: tuple[PermitRecord, ...]
    """The permit of each genuine observation (``records[i]`` of ``genuine[i]``)."""
    sites: tuple[Site, ...]
    """The site of each genuine observation."""
    by_permit: Mapping[str, tuple[int, ...]]
    """Per permit id, the indices of its genuine observations, in timeline order."""
    stays: tuple[Stay, ...]
    last_border: Observation | None
    """The last entry or exit."""

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
        genuine, sites = self.genuine, self.sites
        for index in range(stay.end - 1, stay.first - 1, -1):
            site = sites[index]
            if site.is_park and site.zone == zone:
                return genuine[index]
        return None


class _StayDraft:
    """A stay being walked through; frozen into a :class:`Stay` when it ends."""

    __slots__ = ("best", "best_any", "entries", "first", "previous_exit", "start")

    def __init__(self, start: Observation, index: int, previous_exit: Observation | None):
        self.start = start
        self.first = index
        self.previous_exit = previous_exit
        self.entries: list[Observation] = []
        self.best: PermitRecord | None = None
        self.best_any: PermitRecord | None = None

    def show(self, obs: Observation, record: PermitRecord) -> None:
        key = (record.end_date, record.permit_id)
        best_any = self.best_any
        if best_any is None or key > (best_any.end_date, best_any.permit_id):
            self.best_any = record
        if obs.at_ms >= record.start_ms:
            best = self.best
            if best is None or key > (best.end_date, best.permit_id):
                self.best = record

    def freeze(self, exit_: Observation | None, end: int) -> Stay:
        permit = self.best or self.best_any
        assert permit is not None  # every draft has been shown its start
        entries = self.entries
        return Stay(
            start=self.start,
            entry=entries[0] if entries else None,
            extra_entries=tuple(entries[1:]),
            exit=exit_,
            previous_exit=self.previous_exit,
            permit=permit,
            first=self.first,
            end=end,
        )


def ordered(observations: Iterable[Observation]) -> list[Observation]:
    """The observations in timeline order, each (edge, seq) once."""
    unique = {(o.edge_id, o.seq): o for o in observations}
    return sorted(unique.values(), key=TIMELINE_ORDER)


def build_timeline(
    worker_id: str,
    observations: Iterable[Observation],
    permits: Mapping[str, PermitRecord],
    geography: Geography,
) -> Timeline:
    """The worker's timeline from their observations (any order, duplicates allowed)
    and their permits, keyed by permit id."""
    everything = ordered(observations)
    known = geography.sites
    genuine: list[Observation] = []
    records: list[PermitRecord] = []
    sites: list[Site] = []
    by_permit: dict[str, list[int]] = {}
    for obs in everything:
        record = permits.get(obs.permit_id) if obs.verified else None  # type: ignore[arg-type]
        site = known.get(obs.site)
        if record is None or site is None:
            continue
        by_permit.setdefault(record.permit_id, []).append(len(genuine))
        genuine.append(obs)
        records.append(record)
        sites.append(site)
    stays, last_border = _walk(genuine, records, sites)
    return Timeline(
        worker_id=worker_id,
        observations=tuple(everything),
        genuine=tuple(genuine),
        records=tuple(records),
        sites=tuple(sites),
        by_permit={pid: tuple(indices) for pid, indices in by_permit.items()},
        stays=tuple(stays),
        last_border=last_border,
    )


def _walk(
    genuine: list[Observation], records: list[PermitRecord], sites: list[Site]
) -> tuple[list[Stay], Observation | None]:
    """Cut the genuine observations into stays (rules in the module docstring)."""
    stays: list[Stay] = []
    draft: _StayDraft | None = None
    last_border: Observation | None = None
    previous_exit: Observation | None = None
    for index, obs in enumerate(genuine):
        if sites[index].kind is _BORDER:
            if obs.direction == _OUT:
                draft = draft or _StayDraft(obs, index, previous_exit)
                draft.show(obs, records[index])
                stays.append(draft.freeze(obs, index + 1))
                draft, previous_exit, last_border = None, obs, obs
            elif obs.direction == _IN and obs.verdict == _ALLOW:
                draft = draft or _StayDraft(obs, index, previous_exit)
                draft.entries.append(obs)
                draft.show(obs, records[index])
                last_border = obs
            continue
        draft = draft or _StayDraft(obs, index, previous_exit)
        draft.show(obs, records[index])
    if draft is not None:
        stays.append(draft.freeze(None, len(genuine)))
    return stays, last_border
