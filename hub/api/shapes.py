"""The JSON shapes of registry records, as the API returns them."""

from __future__ import annotations

from typing import Any

from hub.records import Employer, IssuedPermit, LabourAgency, RevocationEntry
from hub.store.access import ApiToken, AuditRecord, User
from protocol.days import to_datetime
from protocol.permit import Worker


def instant(seconds: int | None) -> str | None:
    """An ISO 8601 UTC instant from seconds since the epoch."""
    if seconds is None:
        return None
    return to_datetime(seconds * 1000).isoformat().replace("+00:00", "Z")


def worker_json(w: Worker) -> dict[str, Any]:
    return {
        "border_pass_no": w.border_pass_no,
        "name": w.name,
        "name_zh": w.name_zh,
        "birth_date": w.birth_date.isoformat(),
        "sex": w.sex.value,
    }


def permit_json(issued: IssuedPermit, revocations: list[RevocationEntry]) -> dict[str, Any]:
    p = issued.permit
    return {
        "permit_id": p.permit_id,
        "qr": issued.qr,
        "worker": worker_json(p.worker),
        "employer_id": p.employer_id,
        "zones": list(p.zones),
        "zone_reason": issued.zone_reason,
        "valid_from": p.valid_from.isoformat(),
        "valid_until": p.valid_until.isoformat(),
        "health_cert_until": p.health_cert_until.isoformat(),
        "insurance_until": p.insurance_until.isoformat(),
        "end_date": p.end_date.isoformat(),
        "single_exit": p.single_exit,
        "issued_at": instant(p.issued_at),
        "issued_by": issued.issued_by,
        "key_id": p.key_id.hex(),
        "status": "revoked" if revocations else "valid",
        "revocations": [revocation_json(r) for r in revocations],
    }


def employer_json(e: Employer, revoked: RevocationEntry | None = None) -> dict[str, Any]:
    return {
        "employer_id": e.employer_id,
        "name_zh": e.name_zh,
        "name_vi": e.name_vi,
        "hiring_permit_no": e.hiring_permit_no,
        "hiring_permit_valid_from": e.hiring_permit_valid_from.isoformat(),
        "hiring_permit_valid_until": e.hiring_permit_valid_until.isoformat(),
        "park_zone": e.park_zone,
        "agency_id": e.agency_id,
        "status": "revoked" if revoked is not None else "valid",
    }


def agency_json(a: LabourAgency) -> dict[str, Any]:
    return {
        "agency_id": a.agency_id,
        "name_zh": a.name_zh,
        "name_vi": a.name_vi,
        "licence_no": a.licence_no,
        "licence_valid_from": a.licence_valid_from.isoformat(),
        "licence_valid_until": a.licence_valid_until.isoformat(),
    }


def revocation_json(entry: RevocationEntry) -> dict[str, Any]:
    r = entry.revocation
    return {
        "revocation_id": entry.revocation_id,
        "kind": r.kind.value,
        "subject": r.subject,
        "revoked_at": instant(r.revoked_at),
        "reason": r.reason,
        "revoked_by": entry.revoked_by,
        "active": entry.active,
        "reinstated_at": instant(entry.reinstated_at),
        "reinstated_by": entry.reinstated_by,
        "reinstate_reason": entry.reinstate_reason,
    }


def user_json(u: User) -> dict[str, Any]:
    return {"username": u.username, "role": u.role.value, "employer_id": u.employer_id,
            "disabled": u.disabled}  # fmt: skip


def token_json(t: ApiToken) -> dict[str, Any]:
    return {
        "token_id": t.token_id,
        "role": t.role.value,
        "employer_id": t.employer_id,
        "label": t.label,
        "created_at": instant(t.created_at_ms // 1000),
        "created_by": t.created_by,
        "revoked": t.revoked_at_ms is not None,
        "expires_at": None if t.expires_at_ms is None else instant(t.expires_at_ms // 1000),
    }


def audit_json(a: AuditRecord) -> dict[str, Any]:
    return {"audit_id": a.audit_id, "at": instant(a.at_ms // 1000), "actor": a.actor,
            "action": a.action, "target": a.target, "detail": a.detail}  # fmt: skip
