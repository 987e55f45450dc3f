"""Who is on site at a park, and who of the park's workers is missing. Pure.

On site: a worker whose last allowed, verified scan at this site is ``in`` or
``check`` (:func:`edge.store.on_site` finds them in the log). Missing: a worker of the
park's roster whom the hub last knew to be in China and who is not on site.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .records import Presence, RosterEntry


@dataclass(frozen=True, slots=True)
class RollCall:
    present: tuple[Presence, ...]
    missing: tuple[RosterEntry, ...]


def roll_call(present: Iterable[Presence], roster: Iterable[RosterEntry]) -> RollCall:
    """Present workers (earliest arrival first) and the missing (by name)."""
    here = tuple(sorted(present, key=lambda p: (p.since_ms, p.worker_id)))
    ids = {p.worker_id for p in here}
    missing = tuple(
        sorted(
            (e for e in roster if e.in_china and e.worker_id not in ids),
            key=lambda e: (e.name, e.worker_id),
        )
    )
    return RollCall(here, missing)
