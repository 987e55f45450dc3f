"""Alerts as work: the lifecycle (open, acknowledged, resolved) kept apart from the
evidence, as one table of what a person may do and two rules for what a recomputation
may do. Pure: no I/O.

* A person (police, admin) acknowledges an open alert, or resolves an open or
  acknowledged one with a note (force majeure, handled, false alarm). Anything not in
  :data:`PERSON_MOVES` is refused with the reason :func:`refusal_reason` names.
* The reconciler never overwrites what a person did, with one exception: when later
  evidence retracts an alert that is still open or acknowledged, the alert is resolved
  automatically, by :data:`RECONCILER`, with :data:`RETRACTED_NOTE`.
* An alert whose evidence comes back after a retraction (the same ``alert_id`` is
  computed again) is reopened only if the reconciler had resolved it; one a person
  resolved stays resolved.
"""

from __future__ import annotations

from enum import StrEnum


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class PersonAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class Change(StrEnum):
    """What an entry of an alert's history records."""

    RAISED = "raised"
    UPDATED = "updated"
    """Recomputation changed the evidence or facts."""
    CONFIRMED = "confirmed"
    """Every relevant edge synced past the deadline: no longer provisional."""
    PROVISIONAL = "provisional"
    """Confirmed before, provisional again (an edge that could hold contrary evidence
    joined)."""
    RETRACTED = "retracted"
    REOPENED = "reopened"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


RECONCILER = "reconciler"
"""The actor named in the history and as ``resolved_by`` for automatic changes."""
RETRACTED_NOTE = "retracted by later evidence"
RECOMPUTED_NOTE = "no longer raised on recomputation"
"""The note of an automatic resolution with no scan to name (time passed, an edge was
heard again, a revocation was lifted)."""

PERSON_MOVES: dict[tuple[AlertStatus, PersonAction], AlertStatus] = {
    (AlertStatus.OPEN, PersonAction.ACKNOWLEDGE): AlertStatus.ACKNOWLEDGED,
    (AlertStatus.OPEN, PersonAction.RESOLVE): AlertStatus.RESOLVED,
    (AlertStatus.ACKNOWLEDGED, PersonAction.RESOLVE): AlertStatus.RESOLVED,
}
"""Every move a person may make; the history records each one."""

PERSON_CHANGE = {
    PersonAction.ACKNOWLEDGE: Change.ACKNOWLEDGED,
    PersonAction.RESOLVE: Change.RESOLVED,
}


def person_move(status: AlertStatus, action: PersonAction) -> AlertStatus | None:
    """The status after a person's ``action``, or None when it is not allowed."""
    return PERSON_MOVES.get((status, action))


def refusal_reason(status: AlertStatus, action: PersonAction) -> str:
    """The reason code for a move :func:`person_move` refused."""
    if status is AlertStatus.RESOLVED:
        return "already_resolved"
    return "already_acknowledged"


def resolves_on_retraction(status: AlertStatus) -> bool:
    """Whether a retraction resolves the alert (naming the reconciler as the one who
    resolved it): yes while it is open or acknowledged; a resolved one stays as is."""
    return status is not AlertStatus.RESOLVED


def after_reraise(status: AlertStatus, resolved_by: str | None) -> AlertStatus:
    """The status of a retracted alert computed again: reopened if the reconciler had
    resolved it, unchanged if a person had (or it was never resolved)."""
    if status is AlertStatus.RESOLVED and resolved_by == RECONCILER:
        return AlertStatus.OPEN
    return status


def confirmation_change(was_provisional: bool, provisional: bool) -> Change:
    """The history entry of an update: confirmed, provisional again, or updated."""
    if was_provisional and not provisional:
        return Change.CONFIRMED
    if provisional and not was_provisional:
        return Change.PROVISIONAL
    return Change.UPDATED
