"""The edge's sync loops as a state machine, with every transition in one table.

An edge runs two loops, push (its log to the hub) and pull (reference data from the
hub), each a :class:`Session`. They are independent: a stuck push never blocks a pull.
The driver (``edge/sync.py``) feeds a session :class:`Input` values as things happen
and performs the :class:`Action` each step returns; the session does no I/O and reads
no clock. A pair that is not in :data:`TRANSITIONS` is a bug in the driver and raises
:class:`SessionMisuse`.

::

    IDLE --wake--> SENDING --reply_more--> SENDING --reply_done--> IDLE
      |  (clock stale) --> TIMING --time_ok--> SENDING
      SENDING/TIMING --link_down / refused--> BACKOFF --backoff_over / wake--> TIMING
      SENDING --refused_clock (stale timestamp, replay)--> TIMING
      SENDING --refused_fatal (edge revoked or unknown)--> HALTED
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from .messages import SyncReason


class State(StrEnum):
    IDLE = "idle"
    TIMING = "timing"
    SENDING = "sending"
    BACKOFF = "backoff"
    HALTED = "halted"


class Input(StrEnum):
    WAKE = "wake"
    WAKE_CLOCK_STALE = "wake_clock_stale"
    TIME_OK = "time_ok"
    REPLY_MORE = "reply_more"
    REPLY_DONE = "reply_done"
    LINK_DOWN = "link_down"
    REFUSED = "refused"
    REFUSED_CLOCK = "refused_clock"
    REFUSED_FATAL = "refused_fatal"
    BACKOFF_OVER = "backoff_over"
    RESUMED = "resumed"


class Action(StrEnum):
    MEASURE_CLOCK = "measure_clock"
    SEND = "send"
    REST = "rest"
    WAIT = "wait"
    REPORT = "report"
    NOTHING = "nothing"


TRANSITIONS: dict[tuple[State, Input], tuple[State, Action]] = {
    (State.IDLE, Input.WAKE): (State.SENDING, Action.SEND),
    (State.IDLE, Input.WAKE_CLOCK_STALE): (State.TIMING, Action.MEASURE_CLOCK),
    (State.TIMING, Input.TIME_OK): (State.SENDING, Action.SEND),
    (State.TIMING, Input.LINK_DOWN): (State.BACKOFF, Action.WAIT),
    (State.TIMING, Input.REFUSED): (State.BACKOFF, Action.WAIT),
    (State.TIMING, Input.WAKE): (State.TIMING, Action.NOTHING),
    (State.TIMING, Input.WAKE_CLOCK_STALE): (State.TIMING, Action.NOTHING),
    (State.SENDING, Input.REPLY_MORE): (State.SENDING, Action.SEND),
    (State.SENDING, Input.REPLY_DONE): (State.IDLE, Action.REST),
    (State.SENDING, Input.LINK_DOWN): (State.BACKOFF, Action.WAIT),
    (State.SENDING, Input.REFUSED): (State.BACKOFF, Action.WAIT),
    (State.SENDING, Input.REFUSED_CLOCK): (State.TIMING, Action.MEASURE_CLOCK),
    (State.SENDING, Input.REFUSED_FATAL): (State.HALTED, Action.REPORT),
    (State.SENDING, Input.WAKE): (State.SENDING, Action.NOTHING),
    (State.SENDING, Input.WAKE_CLOCK_STALE): (State.SENDING, Action.NOTHING),
    (State.BACKOFF, Input.BACKOFF_OVER): (State.TIMING, Action.MEASURE_CLOCK),
    (State.BACKOFF, Input.WAKE): (State.TIMING, Action.MEASURE_CLOCK),
    (State.BACKOFF, Input.WAKE_CLOCK_STALE): (State.TIMING, Action.MEASURE_CLOCK),
    (State.HALTED, Input.WAKE): (State.HALTED, Action.REPORT),
    (State.HALTED, Input.WAKE_CLOCK_STALE): (State.HALTED, Action.REPORT),
    (State.HALTED, Input.RESUMED): (State.IDLE, Action.REST),
}
"""The whole behaviour of a sync loop. Failures count up in ``Session.failures``
(for the backoff delay); any success resets them."""

_FAILURES = {Input.LINK_DOWN, Input.REFUSED, Input.REFUSED_FATAL}
_SUCCESSES = {Input.TIME_OK, Input.REPLY_MORE, Input.REPLY_DONE, Input.RESUMED}

_FATAL = {SyncReason.EDGE_REVOKED, SyncReason.UNKNOWN_EDGE}
_CLOCK = {SyncReason.STALE_REQUEST, SyncReason.REPLAYED}


class SessionMisuse(Exception):
    """The driver fed an input the session does not expect in its state."""


@dataclass(frozen=True, slots=True)
class Session:
    state: State = State.IDLE
    failures: int = 0
    last_error: str | None = None

    def step(self, event: Input, error: str | None = None) -> tuple[Session, Action]:
        try:
            state, action = TRANSITIONS[(self.state, event)]
        except KeyError:
            raise SessionMisuse(f"{event.value} in state {self.state.value}") from None
        failures = self.failures
        if event in _FAILURES:
            failures += 1
        elif event in _SUCCESSES:
            failures = 0
        last_error = error if event in _FAILURES or error else self.last_error
        if event in _SUCCESSES:
            last_error = None
        return replace(self, state=state, failures=failures, last_error=last_error), action


def refusal_input(reason: str) -> Input:
    """How a refusal from the hub moves the session."""
    if reason in _FATAL:
        return Input.REFUSED_FATAL
    if reason in _CLOCK:
        return Input.REFUSED_CLOCK
    return Input.REFUSED


def backoff_delay(failures: int, base_s: float, cap_s: float, jitter: float) -> float:
    """Exponential backoff with "full jitter" (AWS architecture blog): a uniform
    draw ``jitter`` in [0, 1) scales the capped exponential, so edges that lost the
    link together do not all come back in the same second."""
    if not 0.0 <= jitter < 1.0:
        raise ValueError("jitter must be in [0, 1)")
    ceiling = min(cap_s, base_s * 2.0 ** max(0, failures - 1))
    return max(base_s / 10, ceiling * jitter)
