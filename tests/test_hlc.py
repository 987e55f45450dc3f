"""The hybrid logical clock: monotonic whatever physical time does, merges on
receive, refuses a peer too far ahead, packs into sortable integers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.hlc import COUNTER_BITS, ClockDriftError, HlcTimestamp, HybridClock

COUNTER_MAX = (1 << COUNTER_BITS) - 1
WALL = st.integers(0, 2**47 - 1)  # milliseconds until the year 6429
readings = st.builds(HlcTimestamp, WALL, st.integers(0, COUNTER_MAX))


@settings(max_examples=300)
@given(st.lists(WALL, min_size=1, max_size=200))
def test_tick_is_monotonic_under_any_physical_times(physical: list[int]) -> None:
    clock = HybridClock()
    previous: HlcTimestamp | None = None
    for i, now in enumerate(physical):
        clock, reading = clock.tick(now)
        assert reading.wall_ms >= now  # never behind physical time
        assert reading.wall_ms == max(physical[: i + 1])  # ahead only by what it has seen
        if previous is not None:
            assert reading > previous
            assert reading.pack() > previous.pack()
        assert clock.last == reading
        previous = reading


def test_tick_resets_the_counter_when_time_moves_on() -> None:
    clock = HybridClock()
    clock, a = clock.tick(1000)
    clock, b = clock.tick(1000)
    clock, c = clock.tick(999)  # the physical clock stepped back
    clock, d = clock.tick(1001)
    assert [a, b, c, d] == [
        HlcTimestamp(1000, 0),
        HlcTimestamp(1000, 1),
        HlcTimestamp(1000, 2),
        HlcTimestamp(1001, 0),
    ]


def test_counter_overflow_borrows_a_millisecond() -> None:
    clock = HybridClock(HlcTimestamp(5000, COUNTER_MAX - 1))
    clock, a = clock.tick(5000)
    clock, b = clock.tick(5000)
    clock, c = clock.tick(5000)
    assert a == HlcTimestamp(5000, COUNTER_MAX)
    assert b == HlcTimestamp(5001, 0)
    assert c == HlcTimestamp(5001, 1)
    assert a.pack() < b.pack() < c.pack()


def test_clock_is_an_immutable_value() -> None:
    clock = HybridClock()
    after, _ = clock.tick(10)
    assert clock.last == HlcTimestamp(0, 0)
    assert after.last == HlcTimestamp(10, 0)
    with pytest.raises(AttributeError):
        after.last = HlcTimestamp(0, 0)  # type: ignore[misc]


@settings(max_examples=300)
@given(
    st.lists(
        st.tuples(st.booleans(), WALL, readings),
        min_size=1,
        max_size=100,
    )
)
def test_receive_orders_after_everything_seen(steps: list[tuple[bool, int, HlcTimestamp]]) -> None:
    clock = HybridClock()
    seen: list[HlcTimestamp] = []
    for is_receive, now, remote in steps:
        if is_receive:
            try:
                clock, reading = clock.receive(remote, now, max_drift_ms=2**48)
            except ClockDriftError:
                pytest.fail("drift within the tolerance was refused")
            assert reading > remote
            seen.append(remote)
        else:
            clock, reading = clock.tick(now)
        assert reading.wall_ms >= now
        assert all(reading > s for s in seen)
        seen.append(reading)


def test_receive_takes_the_later_of_remote_and_local() -> None:
    clock = HybridClock(HlcTimestamp(1000, 3))
    clock, a = clock.receive(HlcTimestamp(1500, 7), 1200, max_drift_ms=1000)
    assert a == HlcTimestamp(1500, 8)
    clock, b = clock.receive(HlcTimestamp(900, 0), 1200, max_drift_ms=1000)
    assert b == HlcTimestamp(1500, 9)
    clock, c = clock.receive(HlcTimestamp(100, 0), 2000, max_drift_ms=1000)
    assert c == HlcTimestamp(2000, 0)


def test_receive_refuses_a_peer_too_far_ahead() -> None:
    clock = HybridClock(HlcTimestamp(1000, 0))
    with pytest.raises(ClockDriftError) as info:
        clock.receive(HlcTimestamp(61_001, 0), 1000, max_drift_ms=60_000)
    assert info.value.ahead_ms == 60_001
    assert clock.last == HlcTimestamp(1000, 0)  # unchanged
    _, at_limit = clock.receive(HlcTimestamp(61_000, 0), 1000, max_drift_ms=60_000)
    assert at_limit == HlcTimestamp(61_000, 1)


@given(readings)
def test_pack_round_trip(reading: HlcTimestamp) -> None:
    packed = reading.pack()
    assert 0 <= packed < 2**63
    assert HlcTimestamp.unpack(packed) == reading


@given(readings, readings)
def test_packed_readings_sort_like_readings(a: HlcTimestamp, b: HlcTimestamp) -> None:
    assert (a < b) == (a.pack() < b.pack())
    assert (a == b) == (a.pack() == b.pack())


def test_pack_layout() -> None:
    assert HlcTimestamp(1, 2).pack() == (1 << 16) | 2
    assert HlcTimestamp.unpack((1_795_000_000_000 << 16) | 65535) == HlcTimestamp(
        1_795_000_000_000, 65535
    )
