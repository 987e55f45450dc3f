"""Injected clocks: manual, system, accelerated, and their spec strings."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderpass.clock import (
    AcceleratedClock,
    Clock,
    ManualClock,
    SystemClock,
    accelerated_spec,
    parse_clock,
)
from protocol.days import instant_ms

START = "2026-11-02T00:00:00Z"
START_MS = instant_ms(datetime(2026, 11, 2, tzinfo=UTC))


def real_ms() -> int:
    return time.time_ns() // 1_000_000


def test_manual_clock_moves_only_by_hand() -> None:
    clock = ManualClock(START_MS)
    assert clock.now_ms() == clock.now_ms() == START_MS
    clock.advance(1500)
    assert clock.now_ms() == START_MS + 1500
    clock.set(42)
    assert clock.now_ms() == 42
    assert clock.speed == 1.0


def test_every_clock_satisfies_the_protocol() -> None:
    clocks: list[Clock] = [ManualClock(0), SystemClock(), AcceleratedClock(0, 2.0, 0)]
    for clock in clocks:
        assert isinstance(clock.now_ms(), int)
        assert clock.speed > 0


def test_system_clock_is_real_time() -> None:
    before = real_ms()
    now = SystemClock().now_ms()
    after = real_ms()
    assert before <= now <= after
    assert SystemClock().speed == 1.0


def test_accelerated_clock_runs_speed_times_faster() -> None:
    anchor = real_ms() - 1000  # started one real second ago
    clock = AcceleratedClock(START_MS, 1440.0, anchor)
    elapsed_real = real_ms() - anchor
    now = clock.now_ms()
    assert now >= START_MS + 1440 * 1000  # at least one real second has passed
    assert now <= START_MS + 1440 * (real_ms() - anchor)
    assert now >= START_MS + 1440 * elapsed_real
    assert clock.speed == 1440.0


def test_two_processes_with_one_spec_agree() -> None:
    """The anchor is in the spec, so every process computes the same instant."""
    spec = accelerated_spec(START_MS, 1440, real_ms())
    a, b = parse_clock(spec), parse_clock(spec)
    assert isinstance(a, AcceleratedClock)
    assert a == b
    first, second = a.now_ms(), b.now_ms()
    assert abs(second - first) <= 1440 * (real_ms() - a.anchor_real_ms + 1)


def test_parse_system() -> None:
    assert isinstance(parse_clock("system"), SystemClock)
    assert isinstance(parse_clock("  system\n"), SystemClock)


def test_parse_accelerated() -> None:
    clock = parse_clock(f"accelerated:start={START},speed=1440,anchor=1795000000000")
    assert clock == AcceleratedClock(START_MS, 1440.0, 1_795_000_000_000)
    offset = parse_clock("accelerated:start=2026-11-02T08:00:00+08:00,speed=2,anchor=5")
    assert offset == AcceleratedClock(START_MS, 2.0, 5)


def test_parse_accelerated_without_anchor_anchors_now() -> None:
    before = real_ms()
    clock = parse_clock(f"accelerated:start={START},speed=60")
    assert isinstance(clock, AcceleratedClock)
    assert before <= clock.anchor_real_ms <= real_ms()
    assert parse_clock(f"accelerated:start={START}").speed == 1.0


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "manual",
        "accelerated",
        "accelerated:speed=2",
        "accelerated:start=yesterday,speed=2",
        "accelerated:start=2026-11-02T00:00:00,speed=2",  # no time zone
        f"accelerated:start={START},speed=fast",
        f"accelerated:start={START},speed=0",
        f"accelerated:start={START},speed=-1",
        f"accelerated:start={START},anchor=soon",
        f"accelerated:start={START},speed",
        "accelerated:garbage",
    ],
)
def test_bad_specs_are_value_errors(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_clock(spec)


def test_bad_spec_message_names_the_problem() -> None:
    with pytest.raises(ValueError, match="accelerated"):
        parse_clock("accelerated:garbage")
    with pytest.raises(ValueError, match="unknown clock"):
        parse_clock("sundial")


@given(
    st.integers(0, 4_000_000_000_000),
    st.floats(min_value=0.001, max_value=1e7, allow_nan=False, allow_infinity=False),
    st.integers(0, 4_000_000_000_000),
)
def test_spec_round_trip(start_ms: int, speed: float, anchor: int) -> None:
    clock = AcceleratedClock(start_ms, speed, anchor)
    assert parse_clock(clock.spec()) == clock


def test_spec_reads_well() -> None:
    assert accelerated_spec(START_MS, 1440, 7) == (
        "accelerated:start=2026-11-02T00:00:00+00:00,speed=1440,anchor=7"
    )


def test_instants_convert_exactly() -> None:
    """Milliseconds survive a trip through datetime: no float seconds on the way."""
    from protocol.days import to_datetime

    for ms in (0, 1, 1001, 1_795_000_000_123, 4_102_444_799_999, -1):
        assert instant_ms(to_datetime(ms)) == ms
    with pytest.raises(ValueError, match="naive"):
        instant_ms(datetime(2026, 11, 2))
