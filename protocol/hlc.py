"""A hybrid logical clock (Kulkarni et al., 2014), pure.

A reading is (wall milliseconds, counter): it never goes backwards, stays within the
largest clock drift of physical time, and orders every event after the events it could
have seen. Readings pack into one 64-bit integer (``wall << 16 | counter``), so they
sort as integers. The physical time is always passed in; this module reads no clock.
"""

from __future__ import annotations

from dataclasses import dataclass

COUNTER_BITS = 16
_COUNTER_MAX = (1 << COUNTER_BITS) - 1


class ClockDriftError(Exception):
    """A remote reading is further ahead of our physical clock than we tolerate."""

    def __init__(self, ahead_ms: int) -> None:
        super().__init__(f"remote clock {ahead_ms} ms ahead")
        self.ahead_ms = ahead_ms


@dataclass(frozen=True, slots=True, order=True)
class HlcTimestamp:
    wall_ms: int
    counter: int = 0

    def pack(self) -> int:
        return (self.wall_ms << COUNTER_BITS) | self.counter

    @classmethod
    def unpack(cls, value: int) -> HlcTimestamp:
        return cls(value >> COUNTER_BITS, value & _COUNTER_MAX)


def _advance(last: HlcTimestamp, wall_ms: int) -> HlcTimestamp:
    if wall_ms > last.wall_ms:
        return HlcTimestamp(wall_ms, 0)
    if last.counter < _COUNTER_MAX:
        return HlcTimestamp(last.wall_ms, last.counter + 1)
    return HlcTimestamp(last.wall_ms + 1, 0)  # counter full: borrow a millisecond


@dataclass(frozen=True, slots=True)
class HybridClock:
    last: HlcTimestamp = HlcTimestamp(0, 0)

    def tick(self, physical_ms: int) -> tuple[HybridClock, HlcTimestamp]:
        """A local event (a scan, a send): the next reading and the clock after it."""
        reading = _advance(self.last, physical_ms)
        return HybridClock(reading), reading

    def receive(
        self, remote: HlcTimestamp, physical_ms: int, max_drift_ms: int
    ) -> tuple[HybridClock, HlcTimestamp]:
        """Merge a reading from a peer. A peer further ahead than ``max_drift_ms`` is
        refused with :class:`ClockDriftError`, so one bad clock cannot drag ours."""
        ahead = remote.wall_ms - physical_ms
        if ahead > max_drift_ms:
            raise ClockDriftError(ahead)
        reading = _advance(max(self.last, remote), physical_ms)
        return HybridClock(reading), reading
