"""The edge's sync session: every transition in the table, misuse refused, backoff."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.sync.session import (
    TRANSITIONS,
    Action,
    Input,
    Session,
    SessionMisuse,
    State,
    backoff_delay,
    refusal_input,
)


def run(*inputs: Input) -> tuple[Session, list[Action]]:
    session, actions = Session(), []
    for event in inputs:
        session, action = session.step(event)
        actions.append(action)
    return session, actions


def test_a_round_with_a_fresh_clock_sends_until_done() -> None:
    session, actions = run(Input.WAKE, Input.REPLY_MORE, Input.REPLY_DONE)
    assert actions == [Action.SEND, Action.SEND, Action.REST]
    assert session.state is State.IDLE


def test_a_stale_clock_is_measured_before_sending() -> None:
    _, actions = run(Input.WAKE_CLOCK_STALE, Input.TIME_OK)
    assert actions == [Action.MEASURE_CLOCK, Action.SEND]


def test_failures_count_up_and_a_success_resets_them() -> None:
    session, _ = run(Input.WAKE, Input.LINK_DOWN, Input.BACKOFF_OVER, Input.LINK_DOWN)
    assert (session.state, session.failures) == (State.BACKOFF, 2)
    session, _ = session.step(Input.BACKOFF_OVER)
    session, _ = session.step(Input.TIME_OK)
    assert session.failures == 0


def test_a_wake_during_backoff_retries_at_once() -> None:
    """An urgent event (an inland attempt) must not wait out the backoff."""
    session, _ = run(Input.WAKE, Input.LINK_DOWN)
    _, action = session.step(Input.WAKE)
    assert action is Action.MEASURE_CLOCK


def test_a_revoked_edge_halts_until_resumed() -> None:
    session, actions = run(Input.WAKE, refusal_input("edge_revoked"), Input.WAKE)
    assert actions[-2:] == [Action.REPORT, Action.REPORT]
    assert session.state is State.HALTED
    session, action = session.step(Input.RESUMED)
    assert (session.state, action) == (State.IDLE, Action.REST)


def test_a_stale_timestamp_remeasures_the_clock() -> None:
    assert refusal_input("stale_request") is Input.REFUSED_CLOCK
    assert refusal_input("replayed") is Input.REFUSED_CLOCK
    assert refusal_input("chain_broken") is Input.REFUSED


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("event", list(Input))
def test_every_pair_is_either_in_the_table_or_refused(state: State, event: Input) -> None:
    session = Session(state=state)
    if (state, event) in TRANSITIONS:
        new, action = session.step(event)
        assert (new.state, action) == TRANSITIONS[(state, event)]
    else:
        with pytest.raises(SessionMisuse):
            session.step(event)


@given(failures=st.integers(0, 50), jitter=st.floats(0, 0.999))
def test_backoff_stays_within_its_cap(failures: int, jitter: float) -> None:
    delay = backoff_delay(failures, 1.0, 300.0, jitter)
    assert 0.1 <= delay <= 300.0


def test_backoff_grows_exponentially_before_the_cap() -> None:
    ceilings = [backoff_delay(f, 1.0, 60.0, 0.999) for f in range(1, 9)]
    assert ceilings == sorted(ceilings)
    assert ceilings[-1] == pytest.approx(60.0 * 0.999)
