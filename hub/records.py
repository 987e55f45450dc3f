"""What the hub's registry holds, as frozen dataclasses: labour agencies, employers,
issued permits and revocation entries. Workers and permits reuse the protocol's
:class:`~protocol.permit.Worker` and :class:`~protocol.permit.Permit`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from protocol.permit import Permit
from protocol.refs import Revocation


@dataclass(frozen=True, slots=True)
class LabourAgency:
    """A labour agency with its labour service licence 《劳务服务经营证》."""

    agency_id: str
    name_zh: str
    name_vi: str
    licence_no: str
    licence_valid_from: date
    licence_valid_until: date


@dataclass(frozen=True, slots=True)
class Employer:
    """An employer with its hiring permit 《聘用境外边民用工证》, in one park."""

    employer_id: str
    name_zh: str
    name_vi: str
    hiring_permit_no: str
    hiring_permit_valid_from: date
    hiring_permit_valid_until: date
    park_zone: str
    agency_id: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedPermit:
    """A permit as the hub issued it: the signed claims, the QR text and by whom."""

    permit: Permit
    qr: str
    issued_by: str
    zone_reason: str | None = None

    @property
    def permit_id(self) -> str:
        return self.permit.permit_id


@dataclass(frozen=True, slots=True)
class RevocationEntry:
    """One revocation as the registry keeps it: who revoked, and whether and by whom
    it was lifted again. Only an active entry reaches edges."""

    revocation_id: int
    revocation: Revocation
    revoked_by: str
    reinstated_at: int | None = None
    """Seconds since the epoch, UTC."""
    reinstated_by: str | None = None
    reinstate_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.reinstated_at is None
