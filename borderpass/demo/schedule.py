"""What a run's plan is made of: planned scans, actions at the hub or an edge, the
planted incidents, the offline window. Pure values; :mod:`borderpass.demo.plan` makes
them.

Times are simulated instants (UTC milliseconds; wall times below are Beijing time).
Traffic runs from 06:00 to about 21:30 each day; the run's clock starts some hours
before the first day (see :mod:`borderpass.demo.layout`). Two scans of one card at
different sites are always planned further apart than the fastest trip between the
sites plus :data:`TRAVEL_MARGIN_MS`, so honest traffic never looks like a cloned QR
even when scans are logged a little late; the traffic driver keeps those gaps when it
falls behind.

Scripted edges: :data:`OFFLINE_GATE` loses the hub from 13:00 on the day before the
last day to 13:00 on the last day (its scans keep being logged, and reach the hub
late); :data:`~borderpass.demo.population.SLOW_PULL_PARK` pulls from the hub once a day
(at 05:00), or when the plan asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from protocol.days import start_of_day_ms
from protocol.verdict import Direction, Outcome

from .population import DAY1, Population

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
TRAVEL_MARGIN_MS = 20 * MINUTE_MS
OFFLINE_GATE = "beilun-bridge-2"

IN, OUT, CHECK = Direction.IN, Direction.OUT, Direction.CHECK
ALLOW, DENY, ALERT = Outcome.ALLOW, Outcome.DENY, Outcome.ALERT


def wall(day: int, hour: int, minute: int = 0) -> int:
    """The instant of a Beijing wall time on day ``day`` of the run (1 is the first)."""
    return start_of_day_ms(DAY1 + timedelta(days=day - 1)) + hour * HOUR_MS + minute * MINUTE_MS


@dataclass(frozen=True, slots=True)
class PlannedScan:
    """One card shown at one edge. ``actor`` is who carries it: the worker, or
    ``<worker>~clone`` for a copy of their QR."""

    actor: str
    worker_id: str
    site: str
    direction: Direction
    at_ms: int
    expect: Outcome
    """The verdict the edge must give."""
    min_gap_ms: int = 0
    """Sent at least this long after the actor's previous scan was logged."""
    key: str | None = None
    """Names this scan, for an action or a scan that waits for it."""
    after: str | None = None
    """The scan or action that must be done first."""
    after_gap_ms: int = 0
    """And at least this long after it."""
    note: str = ""


class ActionKind(StrEnum):
    REVOKE = "revoke"
    """Revoke the worker's permit at the hub."""
    SYNC = "sync"
    """Ask the site's edge to sync now (push and pull)."""
    DISCONNECT = "disconnect"
    """Restart the site's edge with a hub address that does not answer."""
    RECONNECT = "reconnect"
    """Restart it with the hub's address, and sync now."""


@dataclass(frozen=True, slots=True)
class PlannedAction:
    kind: ActionKind
    target: str
    """A worker id (revoke) or a site id."""
    at_ms: int
    key: str | None = None
    after: str | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    name: str
    """The planted part (a :class:`~borderpass.demo.population.Profile` value), or
    ``edge_offline``."""
    subject: str
    """The worker id, or the site of an edge."""
    day: int
    story: str


@dataclass(frozen=True, slots=True)
class OfflineWindow:
    site: str
    from_ms: int
    to_ms: int


@dataclass(frozen=True, slots=True)
class Plan:
    population: Population
    scans: tuple[PlannedScan, ...]
    """In order of planned time."""
    actions: tuple[PlannedAction, ...]
    incidents: tuple[Incident, ...]
    offline: OfflineWindow
    traffic_start_ms: int
    """06:00 on day 1: no scan is planned before."""
    traffic_end_ms: int
    """After the last planned scan."""

    @property
    def days(self) -> int:
        return self.population.days

    def revoked_at(self) -> dict[str, int]:
        """Worker id -> when the plan revokes their permit."""
        return {a.target: a.at_ms for a in self.actions if a.kind is ActionKind.REVOKE}
