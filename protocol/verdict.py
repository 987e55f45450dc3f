"""The verdict at the edge: QR text, site, direction, now and local state in; allow,
deny or alert out, with every reason that applied.

Pure and offline: the only inputs are the arguments. The rules (DESIGN.md section 4):

* the text must be a genuine permit (format, a trusted key, a good signature), the
  key valid when the permit was issued and covering its zones, the permit not
  outliving its key;
* the permit in force today (Shanghai calendar), health certificate and insurances
  too; not revoked (permit, worker, employer); a single-exit permit not used up;
* the site in the permit's area; through a checkpoint inward, the outer zone too
  (Hengjiang needs a ``fangchenggang`` zone; Maoling leads inland, never allowed);
* moving ``out`` is never refused for a genuine permit: an exit from China after the
  end date is allowed and marked ``late_exit``; every other reason is still recorded;
* trust data older than the policy allows adds ``stale_trust`` as a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .credential import decode_permit, verify_permit
from .days import end_of_day_ms, shanghai_date
from .errors import CredentialError
from .permit import Permit
from .reasons import EFFECT, Effect, Reason
from .refs import ReferenceData
from .sites import Site, SiteKind, permitted_area
from .trust import IssuerKey, TrustList


class Direction(StrEnum):
    IN = "in"
    OUT = "out"
    CHECK = "check"


class Outcome(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    ALERT = "alert"


@dataclass(frozen=True, slots=True)
class TrustAgePolicy:
    """Trust data (trust list, revocations) older than ``warn_after_ms`` is stale."""

    warn_after_ms: int = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    permit: Permit | None
    """The claims, when the text could be parsed; check ``verified`` before trusting."""
    verified: bool


def outcome_for(reasons: list[Reason], direction: Direction) -> Outcome:
    if not reasons:  # most scans
        return Outcome.ALLOW
    effects = {EFFECT[r] for r in reasons}
    if Effect.INVALID in effects:
        return Outcome.DENY
    if direction is Direction.OUT:
        return Outcome.ALLOW
    if Effect.ALERT in effects:
        return Outcome.ALERT
    if Effect.REFUSE in effects:
        return Outcome.DENY
    return Outcome.ALLOW


def key_reasons(permit: Permit, key: IssuerKey, now_ms: int) -> list[Reason]:
    reasons = []
    ends_at_s = end_of_day_ms(permit.valid_until) // 1000
    if (
        not key.valid_at(permit.issued_at)
        or ends_at_s > key.not_after
        or now_ms // 1000 > key.not_after
    ):
        reasons.append(Reason.KEY_NOT_VALID)
    if not all(key.covers(zone) for zone in permit.zones):
        reasons.append(Reason.KEY_OUT_OF_SCOPE)
    return reasons


def term_reasons(permit: Permit, now_ms: int) -> list[Reason]:
    today = shanghai_date(now_ms)
    reasons = []
    if today < permit.valid_from:
        reasons.append(Reason.NOT_YET_VALID)
    if today > permit.valid_until:
        reasons.append(Reason.EXPIRED)
    if today > permit.health_cert_until:
        reasons.append(Reason.HEALTH_CERT_LAPSED)
    if today > permit.insurance_until:
        reasons.append(Reason.INSURANCE_LAPSED)
    return reasons


def area_reasons(permit: Permit, site: Site, direction: Direction) -> list[Reason]:
    area = permitted_area(permit.zones)
    reasons = []
    if site.zone not in area:
        reasons.append(Reason.ZONE_NOT_PERMITTED)
    if (
        site.kind is SiteKind.CHECKPOINT
        and direction is Direction.IN
        and (site.outer is None or site.outer not in area)
    ):
        reasons.append(Reason.INLAND_NOT_PERMITTED)
    return reasons


def assess(
    permit: Permit,
    key: IssuerKey,
    site: Site,
    direction: Direction,
    now_ms: int,
    refs: ReferenceData,
) -> list[Reason]:
    """Every reason that applies to a genuine permit at this site, in this direction."""
    reasons = key_reasons(permit, key, now_ms) + term_reasons(permit, now_ms)
    reasons += refs.revocation_reasons(permit)
    if permit.single_exit and refs.used_at(permit.permit_id) is not None:
        reasons.append(Reason.USED_UP)
    reasons += area_reasons(permit, site, direction)
    if (
        site.kind is SiteKind.BORDER_GATE
        and direction is Direction.OUT
        and shanghai_date(now_ms) > permit.end_date
    ):
        reasons.append(Reason.LATE_EXIT)
    return reasons


def decide(
    qr: object,
    site: Site,
    direction: Direction,
    now_ms: int,
    trust: TrustList | None,
    refs: ReferenceData,
    trust_refreshed_ms: int | None,
    policy: TrustAgePolicy = TrustAgePolicy(),
) -> Verdict:
    """The verdict for one scan. Never raises on any ``qr``: bad text is a deny."""
    stale = trust_refreshed_ms is None or now_ms - trust_refreshed_ms > policy.warn_after_ms
    warnings = [Reason.STALE_TRUST] if stale else []
    try:
        signed = decode_permit(qr)
    except CredentialError as exc:
        return Verdict(Outcome.DENY, (Reason(exc.reason), *warnings), None, verified=False)
    if trust is None:
        reasons = [Reason.UNKNOWN_KEY, *warnings]
        return Verdict(Outcome.DENY, tuple(reasons), signed.permit, verified=False)
    try:
        key = verify_permit(signed, trust)
    except CredentialError as exc:
        reasons = [Reason(exc.reason), *warnings]
        return Verdict(Outcome.DENY, tuple(reasons), signed.permit, verified=False)
    reasons = assess(signed.permit, key, site, direction, now_ms, refs) + warnings
    return Verdict(outcome_for(reasons, direction), tuple(reasons), signed.permit, verified=True)
