"""Test factories: workers, permits, issuer keys, trust lists and signed QR texts.

Every test suite (protocol, edge, hub) may import these; ``tests/conftest.py`` puts
this directory on ``sys.path``, so ``from factories import make_issuer`` works from any
test file under ``tests/``. Everything is deterministic: keys come from labels, dates
from the fixed :data:`TODAY`, so a failing test fails the same way twice.

The API, in short::

    issuer = make_issuer()                      # root key, issuer key, trust list
    qr = issuer.issue(zones=("dongxing",))      # signed "BP1:..." text
    permit = issuer.permit(single_exit=False)   # the claims, unsigned
    qr = issuer.sign(permit)
    verdict = scan(issuer, qr, "dongxing-port", "in")   # decide() at NOW_MS

``make_permit(**overrides)`` builds claims for any key id; ``make_worker(**overrides)``
a worker. Overrides are the dataclass fields of :class:`protocol.permit.Permit` /
:class:`protocol.permit.Worker`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from protocol.credential import encode_permit
from protocol.keys import SigningKey
from protocol.permit import Permit, Sex, Worker
from protocol.refs import ReferenceData
from protocol.sites import Site, SiteMap, default_site_map
from protocol.trust import IssuerKey, TrustList, encode_trust_bundle
from protocol.verdict import Direction, TrustAgePolicy, Verdict, decide

TODAY = date(2026, 11, 2)
"""The calendar day (Asia/Shanghai) the tests live on."""
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
VIETNAM = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")


def local_instant_ms(day: date, hour: int, minute: int = 0, tz: timezone = SHANGHAI) -> int:
    """UTC milliseconds of a wall-clock time in a zone, computed with ``datetime`` alone
    (not with ``protocol.days``, so tests of day boundaries do not check the code
    against itself)."""
    moment = datetime.combine(day, time(hour, minute), tzinfo=tz)
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)


NOW_MS = local_instant_ms(TODAY, 12)
"""Noon in Shanghai on :data:`TODAY`, as UTC milliseconds."""
NOW_S = NOW_MS // 1000
DAY_S = 86_400
ISSUED_AT = local_instant_ms(TODAY - timedelta(days=10), 9) // 1000
"""When default permits were issued: 09:00 Shanghai, ten days before TODAY."""

SITES: SiteMap = default_site_map()
"""The shipped site map (DESIGN.md section 3)."""


def key_from_label(label: str) -> SigningKey:
    """A deterministic Ed25519 key: the seed is SHA-256 of ``label``."""
    return SigningKey(hashlib.sha256(label.encode("utf-8")).digest())


def site(site_id: str) -> Site:
    """A site of the shipped map, e.g. ``site("hengjiang")``."""
    return SITES.site(site_id)


def make_worker(**overrides: Any) -> Worker:
    """A Vietnamese worker with diacritics and a Chinese name; override any field."""
    fields: dict[str, Any] = {
        "name": "Nguyễn Thị Hoa",
        "border_pass_no": "VN-BP-0001",
        "birth_date": date(1994, 3, 17),
        "sex": Sex.FEMALE,
        "name_zh": "阮氏花",
    }
    fields.update(overrides)
    return Worker.create(**fields)


def make_permit(key_id: bytes = bytes(8), **overrides: Any) -> Permit:
    """Claims valid from ten days before TODAY for 90 days, in Dongxing and Jiangping
    park, single exit; the health certificate and insurances run 30 days past
    ``valid_until`` (so an expired permit is only ``expired``). Override any field."""
    valid_from = overrides.get("valid_from", TODAY - timedelta(days=10))
    valid_until = overrides.get("valid_until", valid_from + timedelta(days=89))
    fields: dict[str, Any] = {
        "permit_id": "P-2026-000001",
        "worker": make_worker(),
        "employer_id": "EMP-JP-001",
        "zones": ("dongxing", "dongxing/jiangping"),
        "valid_from": valid_from,
        "valid_until": valid_until,
        "health_cert_until": valid_until + timedelta(days=30),
        "insurance_until": valid_until + timedelta(days=30),
        "single_exit": True,
        "issued_at": ISSUED_AT,
        "key_id": key_id,
    }
    fields.update(overrides)
    return Permit(**fields)


def make_trust_list(
    root: SigningKey, *keys: IssuerKey, version: int = 1, issued_at: int = ISSUED_AT
) -> tuple[TrustList, bytes]:
    """A trust list of ``keys`` and its wire form signed by ``root``."""
    trust = TrustList(version=version, issued_at=issued_at, keys=keys)
    return trust, trust.sign(root)


@dataclass(frozen=True)
class Issuer:
    """A root key, one issuer key listed in a root-signed trust list, and helpers to
    make permits signed by that issuer key."""

    root: SigningKey
    key: SigningKey
    issuer_key: IssuerKey
    trust: TrustList
    signed_trust: bytes
    """The trust list's wire form, signed by ``root``."""

    @property
    def root_public_key(self) -> bytes:
        return self.root.public_key

    def permit(self, **overrides: Any) -> Permit:
        """Claims naming this issuer's key (see :func:`make_permit`)."""
        return make_permit(key_id=self.key.key_id, **overrides)

    def sign(self, permit: Permit) -> str:
        """The ``BP1:`` QR text of ``permit``, signed by this issuer's key."""
        return encode_permit(permit, self.key)

    def issue(self, **overrides: Any) -> str:
        """``sign(permit(**overrides))``: a QR text in one call."""
        return self.sign(self.permit(**overrides))

    def bundle(self) -> bytes:
        """A trust bundle file (root key to pin + signed trust list)."""
        return encode_trust_bundle(self.root.public_key, self.signed_trust)


def make_issuer(
    label: str = "test",
    *,
    not_before: int = ISSUED_AT - 365 * DAY_S,
    not_after: int = ISSUED_AT + 3 * 365 * DAY_S,
    scope: tuple[str, ...] = ("dongxing", "fangchenggang"),
    version: int = 1,
) -> Issuer:
    """An issuer whose keys derive from ``label``: ``make_issuer("a")`` and
    ``make_issuer("b")`` have different roots and keys; the same label, the same."""
    root = key_from_label(f"{label}/root")
    key = key_from_label(f"{label}/issuer")
    issuer_key = IssuerKey(key.public_key, not_before, not_after, scope)
    trust, signed = make_trust_list(root, issuer_key, version=version)
    return Issuer(root, key, issuer_key, trust, signed)


def scan(
    issuer: Issuer | TrustList | None,
    qr: object,
    site_id: str,
    direction: Direction | str,
    now_ms: int = NOW_MS,
    refs: ReferenceData | None = None,
    *,
    trust_refreshed_ms: int | None = None,
    policy: TrustAgePolicy | None = None,
) -> Verdict:
    """``decide()`` at a shipped site with fresh trust data (refreshed at ``now_ms``
    unless told otherwise) and empty reference data unless ``refs`` is given."""
    trust = issuer.trust if isinstance(issuer, Issuer) else issuer
    refreshed = now_ms if trust_refreshed_ms is None else trust_refreshed_ms
    return decide(
        qr,
        site(site_id),
        Direction(direction),
        now_ms,
        trust,
        ReferenceData() if refs is None else refs,
        refreshed,
        policy or TrustAgePolicy(),
    )


def shanghai_instant_ms(day: date, hour: int, minute: int = 0) -> int:
    """The UTC instant of ``day`` at ``hour:minute`` Shanghai time (UTC+8)."""
    return local_instant_ms(day, hour, minute, SHANGHAI)


def last_ms_of(day: date) -> int:
    """The last UTC millisecond of ``day`` in Shanghai."""
    return local_instant_ms(day + timedelta(days=1), 0) - 1


__all__ = [
    "DAY_S",
    "ISSUED_AT",
    "NOW_MS",
    "NOW_S",
    "SHANGHAI",
    "SITES",
    "TODAY",
    "VIETNAM",
    "Issuer",
    "key_from_label",
    "last_ms_of",
    "local_instant_ms",
    "make_issuer",
    "make_permit",
    "make_trust_list",
    "make_worker",
    "scan",
    "shanghai_instant_ms",
    "site",
]
