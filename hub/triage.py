"""What a person does with an alert: acknowledge it, or resolve it with a note (force
majeure, handled, false alarm). Each action is one writer transaction that checks the
move against :data:`hub.alert_lifecycle.PERSON_MOVES`, changes the status, adds the
alert's history entry and writes the hub's audit record, so none of it can happen
without the others. The JSON API and the web pages both call :func:`act`.
"""

from __future__ import annotations

from borderpass.sqlite import Transaction
from hub.alert_lifecycle import PERSON_CHANGE, PersonAction, person_move, refusal_reason
from hub.errors import Refusal, not_found
from hub.fields import invalid
from hub.store import access
from hub.store import alerts as store

MAX_NOTE = 1000


def act(
    tx: Transaction,
    alert_id: str,
    action: PersonAction,
    actor: str,
    now_ms: int,
    note: str | None,
) -> store.AlertRecord:
    """Apply a person's ``action``; return the alert as it now stands. Refuses an
    unknown alert with ``404 not_found``, a resolve without a note with
    ``400 invalid_field``, a move the lifecycle does not allow with
    ``409 already_acknowledged`` / ``already_resolved``."""
    if action is PersonAction.RESOLVE and not note:
        raise invalid("note", "required to resolve an alert")
    record = store.get_alert(tx.conn, alert_id)
    if record is None:
        raise not_found("alert")
    status = person_move(record.status, action)
    if status is None:
        why = f"alert {alert_id} is {record.status.value}"
        raise Refusal(refusal_reason(record.status, action), why, 409)
    if action is PersonAction.ACKNOWLEDGE:
        store.set_acknowledged(tx, alert_id, actor, now_ms)
    else:
        store.set_resolved(tx, alert_id, actor, now_ms, note or "")
    detail: dict[str, object] = {"from": record.status.value, "to": status.value}
    store.record_change(tx, alert_id, now_ms, actor, PERSON_CHANGE[action], detail, note)
    audit = {**detail, "kind": record.kind.value, "note": note, "worker": record.worker_id}
    access.audit(tx, actor, f"alert.{action.value}", alert_id, audit, now_ms)
    found = store.get_alert(tx.conn, alert_id)
    assert found is not None  # updated in this very transaction
    return found
