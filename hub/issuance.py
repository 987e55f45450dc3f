"""The issuing rules, pure: a permit request and what the registry knows in; the
permit's final zones out, or a :class:`~hub.errors.Refusal` naming the broken rule.

The rules (DESIGN.md section 1, issue 5):

* at most 180 days (``protocol.permit``), dates in order, ``valid_from`` not more than
  a day in the past;
* the end no later than the health certificate, the insurances and the employer's
  hiring permit; the hiring permit in force from the first day, the employer's labour
  agency licensed then;
* zones that exist in the site map and fit the employer's park: the park's zone is
  required; the border city (the zone of the border gates, ``dongxing``) is added if
  absent; a zone beyond the border city (``fangchenggang``...) only for an employer
  whose park lies there; any park zone other than the employer's needs a reason;
* no new permit for a worker or an employer that is revoked (expelled), and a border
  pass number keeps the birth date and sex it was first registered with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from hub import fields
from hub.errors import Refusal
from hub.records import Employer, LabourAgency
from protocol.permit import MAX_PERMIT_DAYS, MAX_ZONES, Permit, Sex, Worker
from protocol.sites import SiteKind, SiteMap

PAST_GRACE = timedelta(days=1)


class Rule(StrEnum):
    """Reason codes of refused permits."""

    TERM_TOO_LONG = "term_too_long"
    DATES_OUT_OF_ORDER = "dates_out_of_order"
    VALID_FROM_IN_PAST = "valid_from_in_past"
    HEALTH_CERT_ENDS_FIRST = "health_cert_ends_first"
    INSURANCE_ENDS_FIRST = "insurance_ends_first"
    HIRING_PERMIT_ENDS_FIRST = "hiring_permit_ends_first"
    HIRING_PERMIT_NOT_YET_VALID = "hiring_permit_not_yet_valid"
    AGENCY_LICENCE_LAPSED = "agency_licence_lapsed"
    UNKNOWN_EMPLOYER = "unknown_employer"
    UNKNOWN_ZONE = "unknown_zone"
    TOO_MANY_ZONES = "too_many_zones"
    PARK_ZONE_MISSING = "park_zone_missing"
    ZONE_BEYOND_EMPLOYER = "zone_beyond_employer"
    ZONE_REASON_REQUIRED = "zone_reason_required"
    WORKER_REVOKED = "worker_revoked"
    EMPLOYER_REVOKED = "employer_revoked"
    WORKER_MISMATCH = "worker_mismatch"


@dataclass(frozen=True, slots=True)
class PermitRequest:
    """What an issuer asks for (the body of ``POST /api/permits``)."""

    worker: Worker
    employer_id: str
    zones: tuple[str, ...]
    valid_from: date
    valid_until: date
    health_cert_until: date
    insurance_until: date
    zone_reason: str | None = None
    single_exit: bool = True
    """False only when asked (``"single_exit": false``): a daily commuter's permit."""


@dataclass(frozen=True, slots=True)
class RegistryFacts:
    """What the registry knows that the rules need, read in the issuing transaction."""

    employer: Employer | None
    agency: LabourAgency | None
    worker_on_file: Worker | None
    worker_revoked: bool
    employer_revoked: bool


def parse_permit_request(body: object) -> PermitRequest:
    obj = fields.as_object(body)
    worker_obj = fields.as_object(obj.get("worker"), "worker")
    return PermitRequest(
        worker=parse_worker(worker_obj),
        employer_id=fields.identifier(obj, "employer_id"),
        zones=fields.text_list(obj, "zones", MAX_ZONES),
        valid_from=fields.iso_date(obj, "valid_from"),
        valid_until=fields.iso_date(obj, "valid_until"),
        health_cert_until=fields.iso_date(obj, "health_cert_until"),
        insurance_until=fields.iso_date(obj, "insurance_until"),
        zone_reason=fields.optional_text(obj, "zone_reason"),
        single_exit=_single_exit(obj),
    )


def _single_exit(obj: Mapping[str, Any]) -> bool:
    value = obj.get("single_exit", True)
    if not isinstance(value, bool):
        raise fields.invalid("single_exit", "true or false")
    return value


def parse_worker(obj: Mapping[str, Any]) -> Worker:
    sex = fields.text(obj, "sex", 1)
    if sex not in {s.value for s in Sex}:
        raise fields.invalid("sex", "F, M or X")
    try:
        return Worker.create(
            name=fields.text(obj, "name", 80),
            border_pass_no=fields.identifier(obj, "border_pass_no"),
            birth_date=fields.iso_date(obj, "birth_date"),
            sex=sex,
            name_zh=fields.optional_text(obj, "name_zh", 80),
        )
    except ValueError as exc:
        raise fields.invalid("worker", str(exc)) from exc


def _refuse(rule: Rule, detail: str) -> Refusal:
    return Refusal(rule.value, detail)


def check_dates(req: PermitRequest, employer: Employer, today: date) -> None:
    if req.valid_until < req.valid_from:
        raise _refuse(Rule.DATES_OUT_OF_ORDER, "valid_until is before valid_from")
    term = (req.valid_until - req.valid_from).days + 1
    if term > MAX_PERMIT_DAYS:
        raise _refuse(Rule.TERM_TOO_LONG, f"{term} days; at most {MAX_PERMIT_DAYS}")
    if req.valid_from < today - PAST_GRACE:
        raise _refuse(Rule.VALID_FROM_IN_PAST, f"valid_from {req.valid_from}, today {today}")
    if req.worker.birth_date >= req.valid_from:
        raise fields.invalid("birth_date", "not before valid_from")
    if req.valid_until > req.health_cert_until:
        raise _refuse(
            Rule.HEALTH_CERT_ENDS_FIRST, f"health certificate ends {req.health_cert_until}"
        )
    if req.valid_until > req.insurance_until:
        raise _refuse(Rule.INSURANCE_ENDS_FIRST, f"insurance ends {req.insurance_until}")
    if req.valid_until > employer.hiring_permit_valid_until:
        ends = employer.hiring_permit_valid_until
        raise _refuse(Rule.HIRING_PERMIT_ENDS_FIRST, f"employer's hiring permit ends {ends}")
    if req.valid_from < employer.hiring_permit_valid_from:
        starts = employer.hiring_permit_valid_from
        raise _refuse(Rule.HIRING_PERMIT_NOT_YET_VALID, f"hiring permit valid from {starts}")


def border_city(sites: SiteMap) -> str:
    """The zone a worker enters by: the zone of the border gates (``dongxing``)."""
    zones = sorted({s.zone for s in sites.sites.values() if s.kind is SiteKind.BORDER_GATE})
    if len(zones) != 1:
        raise ValueError(f"the site map's border gates are in {zones}, expected one zone")
    return zones[0]


def permit_zones(req: PermitRequest, employer: Employer, sites: SiteMap) -> tuple[str, ...]:
    """The zones the permit will carry, or the rule the requested zones break."""
    for zone in req.zones:
        if zone not in sites.zones:
            raise _refuse(Rule.UNKNOWN_ZONE, zone)
    if employer.park_zone not in req.zones:
        raise _refuse(Rule.PARK_ZONE_MISSING, f"the employer's park {employer.park_zone}")
    city = border_city(sites)
    zones = req.zones if city in req.zones else (city, *req.zones)
    if len(zones) > MAX_ZONES:
        raise _refuse(Rule.TOO_MANY_ZONES, f"at most {MAX_ZONES} with {city}")
    employer_region = employer.park_zone.split("/")[0]
    for zone in zones:
        region = zone.split("/")[0]
        if region not in (city, employer_region):
            raise _refuse(Rule.ZONE_BEYOND_EMPLOYER, f"{zone}: the employer's park is not there")
        is_other_park = "/" in zone and zone != employer.park_zone
        if is_other_park and req.zone_reason is None:
            raise _refuse(Rule.ZONE_REASON_REQUIRED, f"{zone} is not the employer's park")
    return zones


def check_registry(req: PermitRequest, facts: RegistryFacts) -> Employer:
    """The employer to issue under, or the registry rule the request breaks."""
    if facts.employer is None:
        raise _refuse(Rule.UNKNOWN_EMPLOYER, req.employer_id)
    if facts.employer_revoked:
        raise _refuse(Rule.EMPLOYER_REVOKED, f"employer {req.employer_id} is expelled")
    if facts.worker_revoked:
        raise _refuse(Rule.WORKER_REVOKED, f"worker {req.worker.border_pass_no} is expelled")
    known = facts.worker_on_file
    if known is not None and (known.birth_date, known.sex) != (
        req.worker.birth_date,
        req.worker.sex,
    ):
        raise _refuse(
            Rule.WORKER_MISMATCH,
            f"border pass {known.border_pass_no} is on file with another birth date or sex",
        )
    return facts.employer


def check_agency(req: PermitRequest, agency: LabourAgency | None) -> None:
    if agency is None:
        return
    if not agency.licence_valid_from <= req.valid_from <= agency.licence_valid_until:
        raise _refuse(
            Rule.AGENCY_LICENCE_LAPSED,
            f"agency {agency.agency_id} licensed {agency.licence_valid_from}"
            f" to {agency.licence_valid_until}",
        )


def check_permit_request(
    req: PermitRequest, facts: RegistryFacts, sites: SiteMap, today: date
) -> tuple[str, ...]:
    """Apply every issuing rule; return the permit's zones. ``today`` is the Shanghai
    calendar date at the instant of issuing."""
    employer = check_registry(req, facts)
    check_dates(req, employer, today)
    check_agency(req, facts.agency)
    return permit_zones(req, employer, sites)


def build_permit(
    req: PermitRequest, zones: tuple[str, ...], permit_id: str, issued_at: int, key_id: bytes
) -> Permit:
    """The claims to sign. A permit is for a single exit (DESIGN.md section 1) unless
    the request asks for a multi-exit one (a daily commuter's)."""
    return Permit(
        permit_id=permit_id,
        worker=req.worker,
        employer_id=req.employer_id,
        zones=zones,
        valid_from=req.valid_from,
        valid_until=req.valid_until,
        health_cert_until=req.health_cert_until,
        insurance_until=req.insurance_until,
        single_exit=req.single_exit,
        issued_at=issued_at,
        key_id=key_id,
    )
