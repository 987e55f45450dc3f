"""The permit's claims: the rules that make a permit well formed."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import pytest
from factories import TODAY, make_permit, make_worker

from protocol.permit import (
    MAX_NAME_LEN,
    MAX_PERMIT_DAYS,
    MAX_ZONES,
    Sex,
    Worker,
    valid_identifier,
    valid_zone,
)


def test_180_days_is_the_longest_term() -> None:
    start = date(2026, 1, 1)
    longest = make_permit(valid_from=start, valid_until=start + timedelta(days=179))
    assert longest.term_days == MAX_PERMIT_DAYS == 180
    with pytest.raises(ValueError, match="180"):
        make_permit(valid_from=start, valid_until=start + timedelta(days=180))


def test_one_day_permit() -> None:
    permit = make_permit(valid_from=TODAY, valid_until=TODAY)
    assert permit.term_days == 1


def test_dates_in_order() -> None:
    with pytest.raises(ValueError, match="before valid_from"):
        make_permit(valid_from=TODAY, valid_until=TODAY - timedelta(days=1))


def test_end_date_is_the_earliest_of_term_health_and_insurance() -> None:
    base = make_permit(valid_until=TODAY + timedelta(days=50))
    assert base.end_date == TODAY + timedelta(days=50)
    health = make_permit(
        valid_until=TODAY + timedelta(days=50), health_cert_until=TODAY + timedelta(days=20)
    )
    assert health.end_date == TODAY + timedelta(days=20)
    insurance = make_permit(
        valid_until=TODAY + timedelta(days=50), insurance_until=TODAY + timedelta(days=10)
    )
    assert insurance.end_date == TODAY + timedelta(days=10)


@pytest.mark.parametrize(
    "zones",
    [
        (),
        tuple(f"dongxing/p{i}" for i in range(MAX_ZONES + 1)),
        ("dongxing", "dongxing"),
        ("Dongxing",),
        ("dongxing/",),
        ("/dongxing",),
        ("dongxing//kec",),
        ("dong xing",),
        ("z" * 65,),
    ],
)
def test_zone_rules(zones: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="zone"):
        make_permit(zones=zones)


def test_zone_paths() -> None:
    assert valid_zone("dongxing")
    assert valid_zone("fangchenggang/gangkou-park")
    assert valid_zone("a/b/c")
    assert valid_zone("z" * 64)
    assert not valid_zone("-dongxing")
    assert not valid_zone("")
    assert make_permit(zones=tuple(f"dongxing/p{i}" for i in range(MAX_ZONES))).zones


@pytest.mark.parametrize("field", ["permit_id", "employer_id"])
@pytest.mark.parametrize("value", ["", "-leading-dash", "has space", "a" * 33, "中文", "a/b"])
def test_identifier_rules(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=field):
        make_permit(**{field: value})


def test_identifiers() -> None:
    assert valid_identifier("P-2026.000_1")
    assert valid_identifier("a" * 32)
    assert not valid_identifier("a" * 33)
    assert not valid_identifier("_x")


def test_key_id_and_issued_at() -> None:
    with pytest.raises(ValueError, match="key_id"):
        make_permit(key_id=bytes(7))
    with pytest.raises(ValueError, match="key_id"):
        make_permit(key_id=bytes(9))
    with pytest.raises(ValueError, match="1970"):
        make_permit(issued_at=-1)
    assert make_permit(issued_at=0).issued_at == 0


def test_worker_id_is_the_border_pass_number() -> None:
    permit = make_permit(worker=make_worker(border_pass_no="MC-123456"))
    assert permit.worker_id == "MC-123456"


def test_permit_is_frozen_and_hashable() -> None:
    permit = make_permit()
    with pytest.raises(AttributeError):
        permit.permit_id = "other"  # type: ignore[misc]
    assert hash(permit) == hash(make_permit())
    assert permit == make_permit()
    assert permit != make_permit(single_exit=False)


# -- the worker ---------------------------------------------------------------------------


def test_create_normalises_vietnamese_names_to_nfc() -> None:
    composed = "Nguyễn Thị Hoa"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    worker = Worker.create(f"  {decomposed} ", " VN-1 ", date(1990, 1, 1), "F", " 阮氏花 ")
    assert worker.name == composed
    assert worker.border_pass_no == "VN-1"
    assert worker.name_zh == "阮氏花"
    assert worker.sex is Sex.FEMALE


def test_constructor_refuses_names_not_in_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Trần Văn Đức")
    with pytest.raises(ValueError, match="NFC"):
        Worker(decomposed, "VN-1", date(1990, 1, 1), Sex.MALE)


@pytest.mark.parametrize(
    "name",
    ["", "   ", "x" * (MAX_NAME_LEN + 1), "Hoa\x00", "Hoa\nNguyen", "Hoa\u200b", "Hoa\u202e"],
)
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="name"):
        Worker(name, "VN-1", date(1990, 1, 1), Sex.FEMALE)
    with pytest.raises(ValueError, match="name_zh"):
        Worker("Hoa", "VN-1", date(1990, 1, 1), Sex.FEMALE, name_zh=name)


def test_longest_name_and_empty_chinese_name() -> None:
    assert len(Worker("ễ" * MAX_NAME_LEN, "VN-1", date(1990, 1, 1), "X").name) == MAX_NAME_LEN
    assert Worker.create("Hoa", "VN-1", date(1990, 1, 1), "F", "").name_zh is None


def test_sex_is_coerced_and_checked() -> None:
    assert Worker("Hoa", "VN-1", date(1990, 1, 1), "M").sex is Sex.MALE  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Worker("Hoa", "VN-1", date(1990, 1, 1), "Q")  # type: ignore[arg-type]


def test_border_pass_number_rules() -> None:
    with pytest.raises(ValueError, match="border_pass_no"):
        Worker("Hoa", "VN 1", date(1990, 1, 1), Sex.FEMALE)
