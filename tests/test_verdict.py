"""The verdict rules of DESIGN.md section 4, one by one, through ``decide()``.

Every :class:`protocol.reasons.Reason` is produced by a scenario in
:data:`REASON_SCENARIOS`, and ``test_every_reason_has_a_scenario`` keeps it that way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from factories import (
    DAY_S,
    ISSUED_AT,
    NOW_MS,
    TODAY,
    VIETNAM,
    Issuer,
    last_ms_of,
    local_instant_ms,
    make_issuer,
    make_permit,
    scan,
    shanghai_instant_ms,
    site,
)

from protocol.base45 import b45encode
from protocol.codec import deflate
from protocol.credential import PREFIX
from protocol.reasons import EFFECT, Effect, Reason
from protocol.refs import ReferenceData, Revocation, RevocationKind
from protocol.trust import IssuerKey, TrustList
from protocol.verdict import Direction, Outcome, TrustAgePolicy, Verdict, decide, outcome_for

ALLOW, DENY, ALERT = Outcome.ALLOW, Outcome.DENY, Outcome.ALERT
HOUR_MS = 3600 * 1000

# Permits by the zones they name.
DONGXING_JIANGPING = ("dongxing", "dongxing/jiangping")
DONGXING_ONLY = ("dongxing",)
GANGKOU = ("dongxing", "fangchenggang", "fangchenggang/gangkou-park")
FANGCHENGGANG_PARK_ONLY = ("dongxing", "fangchenggang/fangcheng-park")


def reasons_of(verdict: Verdict) -> set[Reason]:
    return set(verdict.reasons)


# -- the site and direction matrix ------------------------------------------------------

MATRIX = [
    # (zones, site, direction, outcome, reasons)
    # border gate: in the city zone, any permit that names dongxing
    (DONGXING_JIANGPING, "dongxing-port", "in", ALLOW, set()),
    (DONGXING_JIANGPING, "dongxing-port", "out", ALLOW, set()),
    (DONGXING_JIANGPING, "beilun-bridge-2", "in", ALLOW, set()),
    (DONGXING_JIANGPING, "beilun-bridge-2", "check", ALLOW, set()),
    # park gate: the park's own zone is needed; the city is not enough
    (DONGXING_JIANGPING, "jiangping-park", "in", ALLOW, set()),
    (DONGXING_JIANGPING, "jiangping-park", "check", ALLOW, set()),
    (DONGXING_JIANGPING, "jiangping-park", "out", ALLOW, set()),
    (DONGXING_JIANGPING, "kec-park", "in", DENY, {Reason.ZONE_NOT_PERMITTED}),
    (DONGXING_JIANGPING, "kec-park", "check", DENY, {Reason.ZONE_NOT_PERMITTED}),
    (DONGXING_JIANGPING, "kec-park", "out", ALLOW, {Reason.ZONE_NOT_PERMITTED}),
    (DONGXING_ONLY, "border-trade-centre", "in", DENY, {Reason.ZONE_NOT_PERMITTED}),
    (DONGXING_ONLY, "chonglan-park", "check", DENY, {Reason.ZONE_NOT_PERMITTED}),
    (GANGKOU, "gangkou-park", "in", ALLOW, set()),
    (GANGKOU, "fangcheng-park", "in", DENY, {Reason.ZONE_NOT_PERMITTED}),
    (FANGCHENGGANG_PARK_ONLY, "fangcheng-park", "in", ALLOW, set()),
    # hengjiang: inland only with a fangchenggang zone (the zone itself or a park under it)
    (DONGXING_JIANGPING, "hengjiang", "in", ALERT, {Reason.INLAND_NOT_PERMITTED}),
    (DONGXING_ONLY, "hengjiang", "in", ALERT, {Reason.INLAND_NOT_PERMITTED}),
    (DONGXING_JIANGPING, "hengjiang", "out", ALLOW, set()),
    (DONGXING_JIANGPING, "hengjiang", "check", ALLOW, set()),
    (GANGKOU, "hengjiang", "in", ALLOW, set()),
    (GANGKOU, "hengjiang", "out", ALLOW, set()),
    (FANGCHENGGANG_PARK_ONLY, "hengjiang", "in", ALLOW, set()),
    # maoling: inland China is never allowed, whatever the permit
    (GANGKOU, "maoling", "in", ALERT, {Reason.INLAND_NOT_PERMITTED}),
    (FANGCHENGGANG_PARK_ONLY, "maoling", "in", ALERT, {Reason.INLAND_NOT_PERMITTED}),
    (GANGKOU, "maoling", "out", ALLOW, set()),
    (GANGKOU, "maoling", "check", ALLOW, set()),
    (
        DONGXING_JIANGPING,
        "maoling",
        "in",
        ALERT,
        {Reason.ZONE_NOT_PERMITTED, Reason.INLAND_NOT_PERMITTED},
    ),
    (DONGXING_JIANGPING, "maoling", "out", ALLOW, {Reason.ZONE_NOT_PERMITTED}),
    (DONGXING_JIANGPING, "maoling", "check", DENY, {Reason.ZONE_NOT_PERMITTED}),
]


@pytest.mark.parametrize(
    ("zones", "site_id", "direction", "outcome", "reasons"),
    MATRIX,
    ids=[f"{'+'.join(z)}@{s}:{d}" for z, s, d, _, _ in MATRIX],
)
def test_site_and_direction_matrix(
    issuer: Issuer,
    zones: tuple[str, ...],
    site_id: str,
    direction: str,
    outcome: Outcome,
    reasons: set[Reason],
) -> None:
    verdict = scan(issuer, issuer.issue(zones=zones), site_id, direction)
    assert verdict.outcome is outcome
    assert reasons_of(verdict) == reasons
    assert verdict.verified


def test_matrix_covers_every_site_kind_and_direction() -> None:
    kinds = {(site(s).kind, d) for _, s, d, _, _ in MATRIX}
    assert {k for k, _ in kinds} == {"border_gate", "park_gate", "checkpoint"}
    assert {d for _, d in kinds} == {"in", "out", "check"}
    assert {s for _, s, _, _, _ in MATRIX} >= {"dongxing-port", "hengjiang", "maoling"}


# -- leaving China is never refused -----------------------------------------------------

EXPIRED_AT = shanghai_instant_ms(TODAY + timedelta(days=3), 10)


def test_exit_after_the_end_date_is_allowed_and_marked_late(issuer: Issuer) -> None:
    qr = issuer.issue(valid_until=TODAY)
    verdict = scan(issuer, qr, "dongxing-port", "out", EXPIRED_AT)
    assert verdict.outcome is ALLOW
    assert reasons_of(verdict) == {Reason.EXPIRED, Reason.LATE_EXIT}


def test_entry_after_the_end_date_is_refused_and_not_marked_late(issuer: Issuer) -> None:
    qr = issuer.issue(valid_until=TODAY)
    verdict = scan(issuer, qr, "dongxing-port", "in", EXPIRED_AT)
    assert verdict.outcome is DENY
    assert reasons_of(verdict) == {Reason.EXPIRED}


def test_exit_on_the_last_day_is_not_late(issuer: Issuer) -> None:
    qr = issuer.issue(valid_until=TODAY)
    verdict = scan(issuer, qr, "dongxing-port", "out", shanghai_instant_ms(TODAY, 23, 59))
    assert (verdict.outcome, verdict.reasons) == (ALLOW, ())


def test_late_exit_counts_from_the_earliest_end(issuer: Issuer) -> None:
    """The end date is the earliest of permit, health certificate and insurance."""
    qr = issuer.issue(insurance_until=TODAY - timedelta(days=1))
    verdict = scan(issuer, qr, "beilun-bridge-2", "out")
    assert verdict.outcome is ALLOW
    assert reasons_of(verdict) == {Reason.INSURANCE_LAPSED, Reason.LATE_EXIT}


def test_late_exit_is_only_for_leaving_china(issuer: Issuer) -> None:
    """Leaving a park or coming back through a checkpoint after the end date is not
    an exit from China: the reasons are there, late_exit is not."""
    qr = issuer.issue(zones=GANGKOU, valid_until=TODAY)
    for site_id in ("jiangping-park", "hengjiang", "gangkou-park"):
        verdict = scan(issuer, qr, site_id, "out", EXPIRED_AT)
        assert verdict.outcome is ALLOW
        assert Reason.LATE_EXIT not in verdict.reasons
        assert Reason.EXPIRED in verdict.reasons


def test_every_refusal_still_lets_a_genuine_permit_out(issuer: Issuer) -> None:
    refs = ReferenceData()
    refs.revoke(Revocation(RevocationKind.PERMIT, "P-2026-000001", NOW_MS // 1000))
    refs.mark_used("P-2026-000001", NOW_MS - HOUR_MS)
    qr = issuer.issue(valid_until=TODAY - timedelta(days=1), zones=("dongxing/kec",))
    verdict = scan(issuer, qr, "dongxing-port", "out", refs=refs)
    assert verdict.outcome is ALLOW
    assert reasons_of(verdict) == {
        Reason.EXPIRED,
        Reason.REVOKED_PERMIT,
        Reason.USED_UP,
        Reason.LATE_EXIT,
    }
    assert scan(issuer, qr, "dongxing-port", "in", refs=refs).outcome is DENY


def test_a_forged_permit_is_refused_even_on_the_way_out(issuer: Issuer) -> None:
    stranger = make_issuer("stranger")
    verdict = scan(issuer, stranger.issue(), "dongxing-port", "out")
    assert (verdict.outcome, verdict.reasons) == (DENY, (Reason.UNKNOWN_KEY,))
    assert not verdict.verified


# -- term, health certificate, insurance --------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "reasons"),
    [
        ({"valid_from": TODAY + timedelta(days=1)}, {Reason.NOT_YET_VALID}),
        ({"valid_until": TODAY - timedelta(days=1)}, {Reason.EXPIRED}),
        (
            {"valid_until": TODAY + timedelta(days=30), "health_cert_until": TODAY - timedelta(1)},
            {Reason.HEALTH_CERT_LAPSED},
        ),
        ({"insurance_until": TODAY - timedelta(days=1)}, {Reason.INSURANCE_LAPSED}),
        ({"health_cert_until": TODAY, "insurance_until": TODAY}, set()),
        (
            {
                "valid_until": TODAY - timedelta(days=1),
                "health_cert_until": TODAY - timedelta(days=2),
                "insurance_until": TODAY - timedelta(days=3),
            },
            {Reason.EXPIRED, Reason.HEALTH_CERT_LAPSED, Reason.INSURANCE_LAPSED},
        ),
    ],
)
def test_term_rules(issuer: Issuer, overrides: dict[str, date], reasons: set[Reason]) -> None:
    qr = issuer.issue(**overrides)
    entry = scan(issuer, qr, "dongxing-port", "in")
    assert reasons_of(entry) == reasons
    assert entry.outcome is (DENY if reasons else ALLOW)
    assert scan(issuer, qr, "jiangping-park", "check").outcome is entry.outcome


# -- Shanghai calendar days -----------------------------------------------------------


def vietnam_instant_ms(day: date, hour: int, minute: int = 0) -> int:
    """The UTC instant of ``day`` at ``hour:minute`` in Vietnam (UTC+7)."""
    return local_instant_ms(day, hour, minute, VIETNAM)


def test_vietnam_evening_of_the_last_day_is_already_the_next_day(issuer: Issuer) -> None:
    last_day = TODAY
    qr = issuer.issue(valid_until=last_day)
    at_2330_vietnam = vietnam_instant_ms(last_day, 23, 30)
    assert at_2330_vietnam == shanghai_instant_ms(last_day + timedelta(days=1), 0, 30)
    entry = scan(issuer, qr, "dongxing-port", "in", at_2330_vietnam)
    assert (entry.outcome, reasons_of(entry)) == (DENY, {Reason.EXPIRED})
    leaving = scan(issuer, qr, "dongxing-port", "out", at_2330_vietnam)
    assert (leaving.outcome, reasons_of(leaving)) == (ALLOW, {Reason.EXPIRED, Reason.LATE_EXIT})
    at_2259_vietnam = vietnam_instant_ms(last_day, 22, 59)
    assert scan(issuer, qr, "dongxing-port", "in", at_2259_vietnam).outcome is ALLOW
    assert scan(issuer, qr, "dongxing-port", "out", at_2259_vietnam).reasons == ()


def test_last_millisecond_of_the_last_day(issuer: Issuer) -> None:
    qr = issuer.issue(valid_until=TODAY)
    assert scan(issuer, qr, "dongxing-port", "in", last_ms_of(TODAY)).outcome is ALLOW
    after = scan(issuer, qr, "dongxing-port", "in", last_ms_of(TODAY) + 1)
    assert reasons_of(after) == {Reason.EXPIRED}


def test_first_day_starts_at_shanghai_midnight(issuer: Issuer) -> None:
    first_day = TODAY + timedelta(days=1)
    qr = issuer.issue(valid_from=first_day)
    early = scan(issuer, qr, "dongxing-port", "in", vietnam_instant_ms(TODAY, 22, 30))
    assert reasons_of(early) == {Reason.NOT_YET_VALID}
    # 23:30 in Vietnam the evening before is 00:30 on the first day in Shanghai
    on_time = scan(issuer, qr, "dongxing-port", "in", vietnam_instant_ms(TODAY, 23, 30))
    assert (on_time.outcome, on_time.reasons) == (ALLOW, ())
    midnight = shanghai_instant_ms(first_day, 0)
    assert scan(issuer, qr, "dongxing-port", "in", midnight - 1).outcome is DENY
    assert scan(issuer, qr, "dongxing-port", "in", midnight).outcome is ALLOW


# -- revocation ---------------------------------------------------------------------------


def revoked(kind: RevocationKind, subject: str, at: int = NOW_MS // 1000) -> ReferenceData:
    refs = ReferenceData()
    refs.revoke(Revocation(kind, subject, at, reason="test"))
    return refs


@pytest.mark.parametrize(
    ("kind", "subject", "reason"),
    [
        (RevocationKind.PERMIT, "P-2026-000001", Reason.REVOKED_PERMIT),
        (RevocationKind.WORKER, "VN-BP-0001", Reason.REVOKED_WORKER),
        (RevocationKind.EMPLOYER, "EMP-JP-001", Reason.REVOKED_EMPLOYER),
    ],
)
def test_revocation(issuer: Issuer, kind: RevocationKind, subject: str, reason: Reason) -> None:
    refs = revoked(kind, subject)
    qr = issuer.issue()
    for site_id, direction in [("dongxing-port", "in"), ("jiangping-park", "check")]:
        verdict = scan(issuer, qr, site_id, direction, refs=refs)
        assert (verdict.outcome, verdict.reasons) == (DENY, (reason,))
    leaving = scan(issuer, qr, "dongxing-port", "out", refs=refs)
    assert (leaving.outcome, leaving.reasons) == (ALLOW, (reason,))
    refs.reinstate(kind, subject)
    assert scan(issuer, qr, "dongxing-port", "in", refs=refs).outcome is ALLOW


def test_revocations_of_others_do_not_apply(issuer: Issuer) -> None:
    refs = ReferenceData()
    refs.revoke(Revocation(RevocationKind.PERMIT, "P-2026-999999", 0))
    refs.revoke(Revocation(RevocationKind.WORKER, "P-2026-000001", NOW_MS // 1000))
    refs.revoke(Revocation(RevocationKind.EMPLOYER, "VN-BP-0001", NOW_MS // 1000))
    assert scan(issuer, issuer.issue(), "dongxing-port", "in", refs=refs).reasons == ()


@pytest.mark.parametrize("kind", [RevocationKind.WORKER, RevocationKind.EMPLOYER])
def test_revocation_does_not_cover_a_permit_issued_after_it(
    issuer: Issuer, kind: RevocationKind
) -> None:
    subject = "VN-BP-0001" if kind is RevocationKind.WORKER else "EMP-JP-001"
    refs = revoked(kind, subject, at=ISSUED_AT)
    covered = issuer.issue(issued_at=ISSUED_AT)
    later = issuer.issue(issued_at=ISSUED_AT + 1, permit_id="P-2026-000002")
    assert scan(issuer, covered, "dongxing-port", "in", refs=refs).outcome is DENY
    fresh = scan(issuer, later, "dongxing-port", "in", refs=refs)
    assert (fresh.outcome, fresh.reasons) == (ALLOW, ())


def test_a_permit_revocation_covers_the_permit_whenever_issued(issuer: Issuer) -> None:
    refs = revoked(RevocationKind.PERMIT, "P-2026-000001", at=ISSUED_AT - DAY_S)
    verdict = scan(issuer, issuer.issue(), "dongxing-port", "in", refs=refs)
    assert verdict.reasons == (Reason.REVOKED_PERMIT,)


# -- the single exit --------------------------------------------------------------------


def test_single_exit_permit_is_used_up_after_its_exit(issuer: Issuer) -> None:
    refs = ReferenceData()
    refs.mark_used("P-2026-000001", NOW_MS - HOUR_MS)
    qr = issuer.issue(single_exit=True)
    entry = scan(issuer, qr, "dongxing-port", "in", refs=refs)
    assert (entry.outcome, entry.reasons) == (DENY, (Reason.USED_UP,))
    roll_call = scan(issuer, qr, "jiangping-park", "check", refs=refs)
    assert roll_call.outcome is DENY
    leaving = scan(issuer, qr, "dongxing-port", "out", refs=refs)
    assert (leaving.outcome, leaving.reasons) == (ALLOW, (Reason.USED_UP,))


def test_multi_exit_permit_is_not_used_up(issuer: Issuer) -> None:
    refs = ReferenceData()
    refs.mark_used("P-2026-000001", NOW_MS - HOUR_MS)
    qr = issuer.issue(single_exit=False)
    assert scan(issuer, qr, "dongxing-port", "in", refs=refs).reasons == ()


def test_another_permit_used_up_does_not_count(issuer: Issuer) -> None:
    refs = ReferenceData()
    refs.mark_used("P-2026-000002", NOW_MS - HOUR_MS)
    assert scan(issuer, issuer.issue(), "dongxing-port", "in", refs=refs).reasons == ()


# -- stale trust data ---------------------------------------------------------------------


def test_stale_trust_is_a_warning(issuer: Issuer) -> None:
    qr = issuer.issue()
    day_ms = 24 * HOUR_MS
    fresh = scan(issuer, qr, "dongxing-port", "in", trust_refreshed_ms=NOW_MS - day_ms)
    assert fresh.reasons == ()
    stale = scan(issuer, qr, "dongxing-port", "in", trust_refreshed_ms=NOW_MS - day_ms - 1)
    assert (stale.outcome, stale.reasons) == (ALLOW, (Reason.STALE_TRUST,))
    alert = scan(issuer, qr, "hengjiang", "in", trust_refreshed_ms=NOW_MS - 2 * day_ms)
    assert (alert.outcome, set(alert.reasons)) == (
        ALERT,
        {Reason.INLAND_NOT_PERMITTED, Reason.STALE_TRUST},
    )


def test_never_refreshed_trust_is_stale(issuer: Issuer) -> None:
    verdict = decide(
        issuer.issue(),
        site("dongxing-port"),
        Direction.IN,
        NOW_MS,
        issuer.trust,
        ReferenceData(),
        None,
    )
    assert (verdict.outcome, verdict.reasons) == (ALLOW, (Reason.STALE_TRUST,))


def test_trust_age_policy_is_configurable(issuer: Issuer) -> None:
    policy = TrustAgePolicy(warn_after_ms=60_000)
    qr = issuer.issue()
    late = scan(
        issuer, qr, "dongxing-port", "in", trust_refreshed_ms=NOW_MS - 60_001, policy=policy
    )
    assert late.reasons == (Reason.STALE_TRUST,)
    ok = scan(issuer, qr, "dongxing-port", "in", trust_refreshed_ms=NOW_MS - 60_000, policy=policy)
    assert ok.reasons == ()


def test_stale_trust_is_reported_with_an_invalid_text_too(issuer: Issuer) -> None:
    verdict = scan(issuer, "garbage", "dongxing-port", "in", trust_refreshed_ms=0)
    assert verdict.reasons == (Reason.MALFORMED, Reason.STALE_TRUST)


# -- the issuer key's validity window and scope -------------------------------------------


def issuer_with_key(not_before: int, not_after: int, scope: tuple[str, ...]) -> Issuer:
    return make_issuer("windows", not_before=not_before, not_after=not_after, scope=scope)


def test_permit_issued_before_its_key_was_valid() -> None:
    issuer = issuer_with_key(ISSUED_AT + 1, ISSUED_AT + 400 * DAY_S, ("dongxing",))
    verdict = scan(issuer, issuer.issue(), "dongxing-port", "in")
    assert (verdict.outcome, verdict.reasons) == (DENY, (Reason.KEY_NOT_VALID,))
    assert verdict.verified


def test_permit_issued_after_its_key_expired() -> None:
    valid_until = TODAY + timedelta(days=30)
    not_after = last_ms_of(valid_until) // 1000
    issuer = issuer_with_key(ISSUED_AT - 400 * DAY_S, not_after, ("dongxing",))
    late = issuer.issue(valid_until=valid_until, issued_at=not_after + 1)
    assert scan(issuer, late, "dongxing-port", "in").reasons == (Reason.KEY_NOT_VALID,)
    on_time = issuer.issue(valid_until=valid_until, issued_at=not_after)
    assert scan(issuer, on_time, "dongxing-port", "in").reasons == ()


def test_permit_that_outlives_its_key() -> None:
    valid_until = TODAY + timedelta(days=30)
    end_s = last_ms_of(valid_until) // 1000
    just_enough = issuer_with_key(ISSUED_AT - DAY_S, end_s, ("dongxing",))
    qr = just_enough.issue(valid_until=valid_until)
    assert scan(just_enough, qr, "dongxing-port", "in").reasons == ()
    too_short = issuer_with_key(ISSUED_AT - DAY_S, end_s - 1, ("dongxing",))
    qr = too_short.issue(valid_until=valid_until)
    verdict = scan(too_short, qr, "dongxing-port", "in")
    assert (verdict.outcome, verdict.reasons) == (DENY, (Reason.KEY_NOT_VALID,))
    leaving = scan(too_short, qr, "dongxing-port", "out")
    assert (leaving.outcome, leaving.reasons) == (ALLOW, (Reason.KEY_NOT_VALID,))


def test_scanned_after_its_key_expired() -> None:
    """A permit inside its key's window, scanned after the key's end (late, on the way
    out): the key is no longer valid, the exit is still allowed."""
    valid_until = TODAY + timedelta(days=30)
    end_s = last_ms_of(valid_until) // 1000
    issuer = issuer_with_key(ISSUED_AT - DAY_S, end_s + DAY_S, ("dongxing",))
    qr = issuer.issue(valid_until=valid_until)
    after_key = (end_s + DAY_S + 1) * 1000
    leaving = scan(issuer, qr, "dongxing-port", "out", after_key)
    assert leaving.outcome is ALLOW
    assert set(leaving.reasons) == {Reason.KEY_NOT_VALID, Reason.EXPIRED, Reason.LATE_EXIT}
    before_key_end = scan(issuer, qr, "dongxing-port", "out", (end_s + DAY_S) * 1000)
    assert set(before_key_end.reasons) == {Reason.EXPIRED, Reason.LATE_EXIT}


def test_key_out_of_scope() -> None:
    dongxing_key = issuer_with_key(ISSUED_AT - DAY_S, ISSUED_AT + 400 * DAY_S, ("dongxing",))
    qr = dongxing_key.issue(zones=GANGKOU)
    verdict = scan(dongxing_key, qr, "gangkou-park", "in")
    assert (verdict.outcome, verdict.reasons) == (DENY, (Reason.KEY_OUT_OF_SCOPE,))
    # a park key covers its park, not the city above it
    park_key = issuer_with_key(ISSUED_AT - DAY_S, ISSUED_AT + 400 * DAY_S, ("dongxing/kec",))
    assert scan(park_key, park_key.issue(zones=("dongxing/kec",)), "kec-park", "in").reasons == ()
    city = scan(park_key, park_key.issue(zones=("dongxing", "dongxing/kec")), "kec-park", "in")
    assert city.reasons == (Reason.KEY_OUT_OF_SCOPE,)


# -- the text itself --------------------------------------------------------------------


def bomb_text() -> str:
    body = b"\x01" + deflate(bytes(200_000))
    return PREFIX + b45encode(body)


def flip_last_signature_byte(qr: str) -> str:
    from protocol.credential import decode_permit

    signed = decode_permit(qr)
    signature = signed.signature[:-1] + bytes([signed.signature[-1] ^ 1])
    return PREFIX + b45encode(b"\x00" + signed.claims + signature)


def test_invalid_texts_are_denied_in_every_direction(issuer: Issuer) -> None:
    for qr in ["", "hello", "BP1:", "BP2:" + issuer.issue()[4:], None, 42, b"BP1:"]:
        for direction in ("in", "out", "check"):
            verdict = scan(issuer, qr, "dongxing-port", direction)
            assert verdict.outcome is DENY
            assert not verdict.verified
            assert verdict.permit is None
            assert len(verdict.reasons) == 1
            assert EFFECT[verdict.reasons[0]] is Effect.INVALID


def test_no_trust_list_means_unknown_key(issuer: Issuer) -> None:
    verdict = scan(None, issuer.issue(), "dongxing-port", "out")
    assert (verdict.outcome, verdict.reasons) == (DENY, (Reason.UNKNOWN_KEY,))
    assert verdict.permit is not None
    assert not verdict.verified


def test_claims_are_shown_but_not_verified_when_the_key_is_unknown(issuer: Issuer) -> None:
    verdict = scan(make_issuer("other"), issuer.issue(), "dongxing-port", "in")
    assert verdict.permit is not None
    assert verdict.permit.worker.name == "Nguyễn Thị Hoa"
    assert not verdict.verified


# -- every reason, produced by decide() ------------------------------------------------


def _reason_scenarios() -> dict[Reason, Callable[[Issuer], Verdict]]:
    """For each reason, a scan that produces it (and its expected outcome)."""
    key_window = issuer_with_key(ISSUED_AT + 1, ISSUED_AT + 400 * DAY_S, ("dongxing",))
    narrow = issuer_with_key(ISSUED_AT - DAY_S, ISSUED_AT + 400 * DAY_S, ("dongxing",))
    return {
        Reason.MALFORMED: lambda i: scan(i, "BP1:not base45!", "dongxing-port", "in"),
        Reason.TOO_LARGE: lambda i: scan(i, bomb_text(), "dongxing-port", "in"),
        Reason.UNSUPPORTED_VERSION: lambda i: scan(i, "BP9:ABC", "dongxing-port", "in"),
        Reason.UNKNOWN_KEY: lambda i: scan(i, make_issuer("x").issue(), "dongxing-port", "in"),
        Reason.BAD_SIGNATURE: lambda i: scan(
            i, flip_last_signature_byte(i.issue()), "dongxing-port", "in"
        ),
        Reason.KEY_NOT_VALID: lambda i: scan(key_window, key_window.issue(), "dongxing-port", "in"),
        Reason.KEY_OUT_OF_SCOPE: lambda i: scan(
            narrow, narrow.issue(zones=GANGKOU), "dongxing-port", "in"
        ),
        Reason.NOT_YET_VALID: lambda i: scan(
            i, i.issue(valid_from=TODAY + timedelta(days=2)), "dongxing-port", "in"
        ),
        Reason.EXPIRED: lambda i: scan(
            i, i.issue(valid_until=TODAY - timedelta(days=1)), "dongxing-port", "in"
        ),
        Reason.HEALTH_CERT_LAPSED: lambda i: scan(
            i, i.issue(health_cert_until=TODAY - timedelta(days=1)), "dongxing-port", "in"
        ),
        Reason.INSURANCE_LAPSED: lambda i: scan(
            i, i.issue(insurance_until=TODAY - timedelta(days=1)), "dongxing-port", "in"
        ),
        Reason.REVOKED_PERMIT: lambda i: scan(
            i,
            i.issue(),
            "dongxing-port",
            "in",
            refs=revoked(RevocationKind.PERMIT, "P-2026-000001"),
        ),
        Reason.REVOKED_WORKER: lambda i: scan(
            i, i.issue(), "dongxing-port", "in", refs=revoked(RevocationKind.WORKER, "VN-BP-0001")
        ),
        Reason.REVOKED_EMPLOYER: lambda i: scan(
            i,
            i.issue(),
            "dongxing-port",
            "in",
            refs=revoked(RevocationKind.EMPLOYER, "EMP-JP-001"),
        ),
        Reason.USED_UP: lambda i: scan(i, i.issue(), "dongxing-port", "in", refs=used_up()),
        Reason.ZONE_NOT_PERMITTED: lambda i: scan(i, i.issue(), "kec-park", "in"),
        Reason.INLAND_NOT_PERMITTED: lambda i: scan(i, i.issue(), "hengjiang", "in"),
        Reason.STALE_TRUST: lambda i: scan(
            i, i.issue(), "dongxing-port", "in", trust_refreshed_ms=NOW_MS - 3 * 24 * HOUR_MS
        ),
        Reason.LATE_EXIT: lambda i: scan(
            i, i.issue(valid_until=TODAY - timedelta(days=1)), "dongxing-port", "out"
        ),
    }


def used_up() -> ReferenceData:
    refs = ReferenceData()
    refs.mark_used("P-2026-000001", NOW_MS - HOUR_MS)
    return refs


REASON_SCENARIOS = _reason_scenarios()
EXPECTED_OUTCOME = {
    Effect.INVALID: DENY,
    Effect.REFUSE: DENY,
    Effect.ALERT: ALERT,
    Effect.WARN: ALLOW,
    Effect.NOTE: ALLOW,
}


def test_every_reason_has_a_scenario() -> None:
    assert set(REASON_SCENARIOS) == set(Reason)
    assert set(EFFECT) == set(Reason)


@pytest.mark.parametrize("reason", list(Reason))
def test_each_reason_through_decide(issuer: Issuer, reason: Reason) -> None:
    verdict = REASON_SCENARIOS[reason](issuer)
    assert reason in verdict.reasons
    effect = EFFECT[reason]
    if reason is Reason.LATE_EXIT:  # comes with expired, on the way out
        assert verdict.outcome is ALLOW
        return
    assert verdict.reasons == (reason,)
    assert verdict.outcome is EXPECTED_OUTCOME[effect]
    assert verdict.verified is (effect is not Effect.INVALID)


# -- how reasons combine ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("effects", "direction", "outcome"),
    [
        ((), "in", ALLOW),
        ((Effect.NOTE, Effect.WARN), "in", ALLOW),
        ((Effect.REFUSE,), "in", DENY),
        ((Effect.REFUSE,), "check", DENY),
        ((Effect.REFUSE,), "out", ALLOW),
        ((Effect.ALERT,), "in", ALERT),
        ((Effect.ALERT, Effect.REFUSE), "in", ALERT),
        ((Effect.ALERT,), "out", ALLOW),
        ((Effect.INVALID,), "out", DENY),
        ((Effect.INVALID, Effect.ALERT), "in", DENY),
    ],
)
def test_outcome_for(effects: tuple[Effect, ...], direction: str, outcome: Outcome) -> None:
    by_effect = {e: r for r, e in EFFECT.items()}
    reasons = [by_effect[e] for e in effects]
    assert outcome_for(reasons, Direction(direction)) is outcome


def test_colliding_key_ids_in_the_trust_list_still_verify(issuer: Issuer) -> None:
    """Two listed keys with one id: decide() finds the one whose signature it is."""
    other = make_issuer("colliding").issuer_key
    impostor = IssuerKey(other.public_key, other.not_before, other.not_after, other.scope)
    object.__setattr__(impostor, "key_id", issuer.key.key_id)  # an 8-byte id collision
    for keys in [(impostor, issuer.issuer_key), (issuer.issuer_key, impostor)]:
        trust = TrustList(version=2, issued_at=ISSUED_AT, keys=keys)
        assert len(trust.keys_with_id(issuer.key.key_id)) == 2
        assert scan(trust, issuer.issue(), "dongxing-port", "in").reasons == ()
    only_impostor = TrustList(version=3, issued_at=ISSUED_AT, keys=(impostor,))
    verdict = scan(only_impostor, issuer.issue(), "dongxing-port", "in")
    assert verdict.reasons == (Reason.BAD_SIGNATURE,)


def test_make_permit_defaults_are_valid_today() -> None:
    permit = make_permit()
    assert permit.valid_from <= TODAY <= permit.valid_until
    assert permit.term_days == 90
