"""What the rules share: the rule signature, Shanghai day numbers, evidence lists."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from protocol.days import DAY_MS, SHANGHAI_OFFSET_MS

from ..context import ReconcileContext
from ..model import Alert, EvidenceRef, Observation, PermitRecord
from ..timeline import Timeline

WorkerRule = Callable[[Timeline, Mapping[str, PermitRecord], ReconcileContext], list[Alert]]
"""A worker rule: the timeline, the worker's permits by id and the run's context in,
the alerts of one kind out."""


def shanghai_day(at_ms: int) -> int:
    """The Shanghai calendar day of an instant, as days since 1970-01-01."""
    return (at_ms + SHANGHAI_OFFSET_MS) // DAY_MS


def evidence(observations: Iterable[Observation], limit: int) -> tuple[EvidenceRef, ...]:
    """The first ``limit`` observations as evidence, each once, in timeline order."""
    refs: list[EvidenceRef] = []
    seen: set[EvidenceRef] = set()
    for obs in observations:
        ref = (obs.edge_id, obs.seq)
        if ref not in seen:
            seen.add(ref)
            refs.append(ref)
            if len(refs) == limit:
                break
    return tuple(refs)
