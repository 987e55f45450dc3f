"""The permit's claims: who may be where, until when, under which employer.

A :class:`Permit` is the stay-and-work permit as the QR code carries it. Constructing
one checks the rules that make a permit well formed (at most 180 days, dates in order,
an 8-byte key id); it does not check a signature or today's date: that is the verdict's
job.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

MAX_PERMIT_DAYS = 180
KEY_ID_LEN = 8
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,31}$")
_ZONE_RE = re.compile(r"^[a-z0-9][a-z0-9\-]*(/[a-z0-9][a-z0-9\-]*)*$")
MAX_NAME_LEN = 80
MAX_ZONES = 8


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    UNSPECIFIED = "X"


def valid_identifier(value: str) -> bool:
    """Permit, employer and border-pass ids: 1-32 ASCII letters, digits, ``.``, ``_``, ``-``."""
    return bool(_ID_RE.match(value))


def valid_zone(value: str) -> bool:
    """A zone path: lowercase segments separated by ``/``, e.g. ``dongxing/jiangping``."""
    return len(value) <= 64 and bool(_ZONE_RE.match(value))


def _check_name(label: str, text: str) -> None:
    if not text.strip() or len(text) > MAX_NAME_LEN:
        raise ValueError(f"{label} must be 1-{MAX_NAME_LEN} characters")
    if unicodedata.normalize("NFC", text) != text:
        raise ValueError(f"{label} must be in Unicode NFC (use Worker.create)")
    if not text.isprintable() and _has_control(text):
        raise ValueError(f"{label} has control characters")


def _has_control(text: str) -> bool:
    """True when ``text`` has a character of Unicode category C (control, format,
    surrogate, private use, unassigned). Callers test ``str.isprintable()`` first: it
    is False for every such character, so the per-character scan runs only then."""
    return any(unicodedata.category(ch).startswith("C") for ch in text)


@dataclass(frozen=True, slots=True)
class Worker:
    """The worker as the Vietnamese border pass names them."""

    name: str
    border_pass_no: str
    birth_date: date
    sex: Sex
    name_zh: str | None = None

    def __post_init__(self) -> None:
        _check_name("name", self.name)
        if self.name_zh is not None:
            _check_name("name_zh", self.name_zh)
        if not valid_identifier(self.border_pass_no):
            raise ValueError("border_pass_no must be 1-32 letters, digits, '.', '_' or '-'")
        if type(self.sex) is not Sex:
            object.__setattr__(self, "sex", Sex(self.sex))

    @classmethod
    def create(
        cls,
        name: str,
        border_pass_no: str,
        birth_date: date,
        sex: Sex | str,
        name_zh: str | None = None,
    ) -> Worker:
        """Normalise names to NFC (Vietnamese has two ways to write "ễ") and build."""
        return cls(
            name=unicodedata.normalize("NFC", name.strip()),
            border_pass_no=border_pass_no.strip(),
            birth_date=birth_date,
            sex=Sex(sex),
            name_zh=unicodedata.normalize("NFC", name_zh.strip()) if name_zh else None,
        )


@dataclass(frozen=True, slots=True)
class Permit:
    """The claims a permit QR carries, signed by the issuer key ``key_id``."""

    permit_id: str
    worker: Worker
    employer_id: str
    zones: tuple[str, ...]
    valid_from: date
    valid_until: date
    health_cert_until: date
    insurance_until: date
    single_exit: bool
    issued_at: int
    """Seconds since the epoch, UTC."""
    key_id: bytes

    def __post_init__(self) -> None:
        if not valid_identifier(self.permit_id):
            raise ValueError("permit_id must be 1-32 letters, digits, '.', '_' or '-'")
        if not valid_identifier(self.employer_id):
            raise ValueError("employer_id must be 1-32 letters, digits, '.', '_' or '-'")
        if not self.zones or len(self.zones) > MAX_ZONES:
            raise ValueError(f"a permit names 1-{MAX_ZONES} zones")
        if not all(map(valid_zone, self.zones)):
            raise ValueError("zones must be paths such as 'dongxing/jiangping'")
        if len(set(self.zones)) != len(self.zones):
            raise ValueError("zones repeat")
        if self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from")
        if self.term_days > MAX_PERMIT_DAYS:
            raise ValueError(f"a permit is valid for at most {MAX_PERMIT_DAYS} days")
        if len(self.key_id) != KEY_ID_LEN:
            raise ValueError(f"key_id must be {KEY_ID_LEN} bytes")
        if self.issued_at < 0:
            raise ValueError("issued_at is before 1970")

    @property
    def term_days(self) -> int:
        """Calendar days of validity, both ends included."""
        return (self.valid_until - self.valid_from).days + 1

    @property
    def end_date(self) -> date:
        """The last day the worker may be in China: the earliest of the permit's end,
        the health certificate and the insurances."""
        return min(self.valid_until, self.health_cert_until, self.insurance_until)

    @property
    def worker_id(self) -> str:
        """Workers are identified by their border pass number."""
        return self.worker.border_pass_no
