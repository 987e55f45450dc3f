"""Registering employers and labour agencies, pure: a request body in, a record out,
or a :class:`~hub.errors.Refusal` with the reason."""

from __future__ import annotations

import secrets

from hub import fields
from hub.errors import Refusal
from hub.records import Employer, LabourAgency
from protocol.sites import SiteMap


def new_id(prefix: str) -> str:
    """A fresh registry id such as ``E3F9A21C07``: short, so QR codes stay small."""
    return prefix + secrets.token_hex(5).upper()


def park_zones(sites: SiteMap) -> list[str]:
    """Zones an employer can be in: those with a park gate."""
    return sorted({site.zone for site in sites.sites.values() if site.is_park})


def parse_employer(body: object, sites: SiteMap) -> Employer:
    obj = fields.as_object(body)
    employer = Employer(
        employer_id=fields.optional_identifier(obj, "employer_id") or new_id("E"),
        name_zh=fields.text(obj, "name_zh"),
        name_vi=fields.text(obj, "name_vi"),
        hiring_permit_no=fields.text(obj, "hiring_permit_no", 64),
        hiring_permit_valid_from=fields.iso_date(obj, "hiring_permit_valid_from"),
        hiring_permit_valid_until=fields.iso_date(obj, "hiring_permit_valid_until"),
        park_zone=fields.text(obj, "park_zone", 64),
        agency_id=fields.optional_identifier(obj, "agency_id"),
    )
    if employer.hiring_permit_valid_until < employer.hiring_permit_valid_from:
        raise Refusal("dates_out_of_order", "the hiring permit ends before it starts")
    if employer.park_zone not in park_zones(sites):
        raise Refusal("unknown_park", f"{employer.park_zone}: one of {park_zones(sites)}")
    return employer


def parse_agency(body: object) -> LabourAgency:
    obj = fields.as_object(body)
    agency = LabourAgency(
        agency_id=fields.optional_identifier(obj, "agency_id") or new_id("A"),
        name_zh=fields.text(obj, "name_zh"),
        name_vi=fields.text(obj, "name_vi"),
        licence_no=fields.text(obj, "licence_no", 64),
        licence_valid_from=fields.iso_date(obj, "licence_valid_from"),
        licence_valid_until=fields.iso_date(obj, "licence_valid_until"),
    )
    if agency.licence_valid_until < agency.licence_valid_from:
        raise Refusal("dates_out_of_order", "the licence ends before it starts")
    return agency


def revocation_reason(body: object) -> str:
    """The reason every revocation and reinstatement must give."""
    obj = fields.as_object(body)
    reason = fields.optional_text(obj, "reason", 500)
    if reason is None:
        raise Refusal("reason_required", "say why (it is published for expulsions)")
    return reason
