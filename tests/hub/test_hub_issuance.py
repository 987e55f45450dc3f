"""The issuing rules, pure: each broken rule refuses with its own reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from factories import SITES, TODAY
from hubkit import EMPLOYER, permit_body

from hub import issuance, registration
from hub.errors import Refusal
from hub.issuance import RegistryFacts, Rule
from hub.records import LabourAgency

EMPLOYER_RECORD = registration.parse_employer(EMPLOYER, SITES)
GANGKOU = replace(EMPLOYER_RECORD, employer_id="E-GK", park_zone="fangchenggang/gangkou-park")


def facts(**overrides: Any) -> RegistryFacts:
    base: dict[str, Any] = {
        "employer": EMPLOYER_RECORD,
        "agency": None,
        "worker_on_file": None,
        "worker_revoked": False,
        "employer_revoked": False,
    }
    return RegistryFacts(**{**base, **overrides})


def check(body: dict[str, Any] | None = None, **fact_overrides: Any) -> tuple[str, ...]:
    request = issuance.parse_permit_request(body or permit_body())
    return issuance.check_permit_request(request, facts(**fact_overrides), SITES, TODAY)


def refused(body: dict[str, Any] | None = None, **fact_overrides: Any) -> Refusal:
    with pytest.raises(Refusal) as caught:
        check(body, **fact_overrides)
    assert caught.value.status == 400
    return caught.value


def test_a_valid_request_gets_its_park_and_the_border_city() -> None:
    assert check() == ("dongxing", "dongxing/jiangping")


def test_the_border_city_is_not_added_twice() -> None:
    zones = check(permit_body(zones=["dongxing", "dongxing/jiangping"]))
    assert zones == ("dongxing", "dongxing/jiangping")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"valid_until": "2027-05-01"}, Rule.TERM_TOO_LONG),
        ({"valid_until": "2026-10-01"}, Rule.DATES_OUT_OF_ORDER),
        ({"valid_from": "2026-10-30", "valid_until": "2027-01-31"}, Rule.VALID_FROM_IN_PAST),
        ({"health_cert_until": "2027-03-30"}, Rule.HEALTH_CERT_ENDS_FIRST),
        ({"insurance_until": "2027-01-01"}, Rule.INSURANCE_ENDS_FIRST),
        ({"zones": ["dongxing/jiangping", "atlantis"]}, Rule.UNKNOWN_ZONE),
        ({"zones": ["dongxing"]}, Rule.PARK_ZONE_MISSING),
        ({"zones": ["dongxing/jiangping", "fangchenggang"]}, Rule.ZONE_BEYOND_EMPLOYER),
        ({"zones": ["dongxing/jiangping", "dongxing/kec"]}, Rule.ZONE_REASON_REQUIRED),
    ],
)
def test_each_broken_rule_has_its_reason(overrides: dict[str, Any], reason: Rule) -> None:
    assert refused(permit_body(**overrides)).reason == reason.value


def test_yesterday_is_still_allowed_as_a_start() -> None:
    assert check(permit_body(valid_from="2026-11-01", valid_until="2027-03-31"))


def test_exactly_180_days_is_allowed() -> None:
    assert check(permit_body(valid_from="2026-11-02", valid_until="2027-04-30"))
    assert refused(permit_body(valid_until="2027-05-01")).reason == Rule.TERM_TOO_LONG


def test_another_park_with_a_reason_is_allowed() -> None:
    body = permit_body(zones=["dongxing/jiangping", "dongxing/kec"], zone_reason="training")
    assert check(body) == ("dongxing", "dongxing/jiangping", "dongxing/kec")


def test_a_fangchenggang_park_needs_an_employer_there() -> None:
    body = permit_body(employer_id="E-GK", zones=["fangchenggang/gangkou-park"])
    assert check(body, employer=GANGKOU) == ("dongxing", "fangchenggang/gangkou-park")
    refusal = refused(permit_body(zones=["dongxing/jiangping", "fangchenggang/gangkou-park"]))
    assert refusal.reason == Rule.ZONE_BEYOND_EMPLOYER


def test_the_hiring_permit_bounds_the_permit() -> None:
    short = replace(EMPLOYER_RECORD, hiring_permit_valid_until=date(2027, 2, 1))
    assert refused(employer=short).reason == Rule.HIRING_PERMIT_ENDS_FIRST
    late = replace(EMPLOYER_RECORD, hiring_permit_valid_from=date(2026, 12, 1))
    assert refused(employer=late).reason == Rule.HIRING_PERMIT_NOT_YET_VALID


def test_a_lapsed_agency_licence_refuses() -> None:
    agency = LabourAgency("A1", "劳务", "Lao động", "L-1", date(2025, 1, 1), date(2026, 6, 30))
    assert refused(agency=agency).reason == Rule.AGENCY_LICENCE_LAPSED


def test_registry_facts_refuse() -> None:
    assert refused(employer=None).reason == Rule.UNKNOWN_EMPLOYER
    assert refused(employer_revoked=True).reason == Rule.EMPLOYER_REVOKED
    assert refused(worker_revoked=True).reason == Rule.WORKER_REVOKED
    on_file = issuance.parse_worker({**permit_body()["worker"], "birth_date": "1990-01-01"})
    assert refused(worker_on_file=on_file).reason == Rule.WORKER_MISMATCH


def test_a_renamed_worker_on_file_is_fine() -> None:
    on_file = issuance.parse_worker({**permit_body()["worker"], "name": "Nguyen Thi Lan"})
    assert check(worker_on_file=on_file)


@pytest.mark.parametrize(
    "body",
    [
        permit_body(worker={"sex": "Q"}),
        permit_body(worker={"border_pass_no": "has space"}),
        permit_body(worker={"name": ""}),
        permit_body(worker={"name": "x" * 81}),
        permit_body(worker={"birth_date": "1995-13-01"}),
        permit_body(worker={"name": "bell\x07"}),
        permit_body(zones=None),
        permit_body(zones=[1, 2]),
        permit_body(zones=["dongxing/jiangping", "dongxing/jiangping"]),
        permit_body(valid_until=20270331),
        {**permit_body(), "worker": "nobody"},
        ["not", "an", "object"],
    ],
)
def test_malformed_requests_name_the_field(body: Any) -> None:
    with pytest.raises(Refusal) as caught:
        issuance.parse_permit_request(body)
    assert caught.value.reason == "invalid_field"
    assert caught.value.detail


def test_build_permit_is_single_exit_and_carries_the_key() -> None:
    request = issuance.parse_permit_request(permit_body())
    permit = issuance.build_permit(request, check(), "P1", 1_793_000_000, b"k" * 8)
    assert permit.single_exit
    assert permit.key_id == b"k" * 8
    assert permit.zones == ("dongxing", "dongxing/jiangping")
    assert permit.worker.name == "Nguyễn Thị Lan"
