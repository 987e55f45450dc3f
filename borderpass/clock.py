"""Injected time. No service reads the system clock except through a :class:`Clock`.

``system`` is real time. ``accelerated`` lives through days in minutes: simulated time
starts at ``start`` when real time is ``anchor`` and runs ``speed`` times faster. Every
process given the same spec agrees on the simulated instant, because they share the
anchor. ``manual`` is for tests in one process.

Spec strings, as configuration and the ``BORDERPASS_CLOCK`` variable take them::

    system
    accelerated:start=2026-11-02T00:00:00Z,speed=1440,anchor=1795000000000
    accelerated:start=2026-11-02T00:00:00Z,speed=1440        (anchor: when parsed)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from protocol.days import instant_ms, to_datetime


class Clock(Protocol):
    def now_ms(self) -> int: ...

    @property
    def speed(self) -> float: ...


@dataclass(frozen=True)
class SystemClock:
    speed: float = 1.0

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class AcceleratedClock:
    start_ms: int
    speed: float
    anchor_real_ms: int

    def now_ms(self) -> int:
        real = time.time_ns() // 1_000_000
        return self.start_ms + int((real - self.anchor_real_ms) * self.speed)

    def spec(self) -> str:
        return accelerated_spec(self.start_ms, self.speed, self.anchor_real_ms)


class ManualClock:
    """A clock a test moves by hand."""

    speed = 1.0

    def __init__(self, now_ms: int) -> None:
        self._now = int(now_ms)

    def now_ms(self) -> int:
        return self._now

    def set(self, now_ms: int) -> None:
        self._now = int(now_ms)

    def advance(self, ms: int) -> None:
        self._now += int(ms)


def parse_clock(spec: str) -> Clock:
    """Build a clock from its spec string; raise ``ValueError`` with what is wrong."""
    kind, _, rest = spec.strip().partition(":")
    if kind == "system":
        return SystemClock()
    if kind != "accelerated":
        raise ValueError(f"unknown clock {kind!r}: use 'system' or 'accelerated:...'")
    try:
        fields = dict(part.split("=", 1) for part in rest.split(",") if part)
        start = instant_ms(datetime.fromisoformat(fields["start"].replace("Z", "+00:00")))
        speed = float(fields.get("speed", "1"))
        anchor = int(fields.get("anchor", time.time_ns() // 1_000_000))
    except (KeyError, ValueError) as exc:
        raise ValueError(f"bad accelerated clock spec {spec!r}: {exc}") from exc
    if speed <= 0:
        raise ValueError("clock speed must be positive")
    return AcceleratedClock(start, speed, anchor)


def accelerated_spec(start_ms: int, speed: float, anchor_real_ms: int) -> str:
    start = to_datetime(start_ms).isoformat()
    speed_text = f"{speed:g}"
    if float(speed_text) != speed:  # :g keeps 6 digits; the spec must round-trip
        speed_text = repr(float(speed))
    return f"accelerated:start={start},speed={speed_text},anchor={anchor_real_ms}"
