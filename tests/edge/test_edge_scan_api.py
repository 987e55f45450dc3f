"""Every verdict reason through ``POST /api/scan`` on a real app with a ManualClock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from edgekit import Edge, StartEdge, assert_chain_intact
from factories import ISSUED_AT, NOW_MS, TODAY, Issuer, make_issuer, make_worker

from edge import reference
from protocol.base45 import b45encode
from protocol.credential import PREFIX, decode_permit
from protocol.reasons import Reason
from protocol.refs import Revocation, RevocationKind

COVERED: set[str] = set()


def covered(result: dict[str, object]) -> None:
    COVERED.update(result["reasons"])  # type: ignore[arg-type]


def tampered(qr: str) -> str:
    """The same claims with a wrong signature, encoded without deflate."""
    signed = decode_permit(qr)
    bad = bytes([signed.signature[0] ^ 1]) + signed.signature[1:]
    return PREFIX + b45encode(b"\x00" + signed.claims + bad)


async def test_a_valid_entry_is_allowed_and_shows_the_permit(edge: Edge, issuer: Issuer) -> None:
    result = await edge.scan(issuer.issue(), "in")
    assert result["verdict"] == "allow"
    assert result["reasons"] == []
    assert result["verified"] is True
    assert result["seq"] == 1
    assert result["at"] == NOW_MS
    permit = result["permit"]
    assert permit["name"] == "Nguyễn Thị Hoa"
    assert permit["name_zh"] == "阮氏花"
    assert permit["zones"] == ["dongxing", "dongxing/jiangping"]
    assert permit["zone_names"] == ["东兴市", "江平工业园"]
    assert permit["end_date"] == (TODAY + timedelta(days=79)).isoformat()
    assert permit["single_exit"] is True
    assert result["verdict_text"] == "放行"


@pytest.mark.parametrize(
    ("qr", "reason"),
    [
        ("hello, not a permit", "malformed"),
        ("BP1:" + "A" * 1200, "too_large"),
        ("BP2:6BFOXN", "unsupported_version"),
    ],
)
async def test_text_that_is_not_a_permit_is_denied_and_logged(
    edge: Edge, qr: str, reason: str
) -> None:
    result = await edge.scan(qr, "in")
    covered(result)
    assert result["verdict"] == "deny"
    assert reason in result["reasons"]
    assert result["permit"] is None
    assert result["seq"] == 1
    assert len(await edge.log()) == 1


async def test_a_key_the_edge_does_not_trust_is_denied(edge: Edge) -> None:
    stranger = make_issuer("stranger")
    result = await edge.scan(stranger.issue(), "in")
    covered(result)
    assert (result["verdict"], result["reasons"]) == ("deny", ["unknown_key"])
    assert result["verified"] is False
    assert result["permit"]["permit_id"] == "P-2026-000001"  # what the card claims


async def test_a_forged_signature_is_denied(edge: Edge, issuer: Issuer) -> None:
    result = await edge.scan(tampered(issuer.issue()), "out")
    covered(result)
    assert (result["verdict"], result["reasons"]) == ("deny", ["bad_signature"])


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"valid_from": TODAY + timedelta(days=3)}, "not_yet_valid"),
        (
            {"valid_from": TODAY - timedelta(days=60), "valid_until": TODAY - timedelta(days=1)},
            "expired",
        ),
        ({"health_cert_until": TODAY - timedelta(days=1)}, "health_cert_lapsed"),
        ({"insurance_until": TODAY - timedelta(days=2)}, "insurance_lapsed"),
    ],
)
async def test_a_permit_out_of_its_term_is_denied_on_entry(
    edge: Edge, issuer: Issuer, overrides: dict[str, object], reason: str
) -> None:
    result = await edge.scan(issuer.issue(**overrides), "in")
    covered(result)
    assert result["verdict"] == "deny"
    assert reason in result["reasons"]


@pytest.mark.parametrize(
    ("issuer_args", "reason"),
    [
        ({"not_before": ISSUED_AT + 3600}, "key_not_valid"),
        ({"scope": ("fangchenggang",)}, "key_out_of_scope"),
    ],
)
async def test_a_key_not_fit_for_the_permit_is_denied(
    start_edge: StartEdge, issuer_args: dict[str, object], reason: str
) -> None:
    issuer = make_issuer("windows", **issuer_args)  # type: ignore[arg-type]
    edge = await start_edge("dongxing-port", issuer=issuer)
    result = await edge.scan(issuer.issue(), "in")
    covered(result)
    assert (result["verdict"], result["reasons"]) == ("deny", [reason])


@pytest.mark.parametrize(
    ("kind", "subject", "reason"),
    [
        (RevocationKind.PERMIT, "P-2026-000001", "revoked_permit"),
        (RevocationKind.WORKER, "VN-BP-0001", "revoked_worker"),
        (RevocationKind.EMPLOYER, "EMP-JP-001", "revoked_employer"),
    ],
)
async def test_a_revocation_applied_through_the_writer_denies_the_next_scan(
    edge: Edge, issuer: Issuer, kind: RevocationKind, subject: str, reason: str
) -> None:
    qr = issuer.issue()
    assert (await edge.scan(qr, "in"))["verdict"] == "allow"
    services = edge.services
    revocation = Revocation(kind, subject, ISSUED_AT + 86400, "test")
    await services.db.write(
        lambda tx: reference.apply_revocations(tx, services.state, [revocation])
    )
    result = await edge.scan(qr, "in")
    covered(result)
    assert (result["verdict"], result["reasons"]) == ("deny", [reason])
    leaving = await edge.scan(qr, "out")
    assert leaving["verdict"] == "allow"  # leaving China is never refused
    assert reason in leaving["reasons"]


async def test_an_exit_uses_a_single_exit_permit_up_at_once(edge: Edge, issuer: Issuer) -> None:
    qr = issuer.issue()
    assert (await edge.scan(qr, "in"))["verdict"] == "allow"
    exit_ = await edge.scan(qr, "out")
    assert (exit_["verdict"], exit_["reasons"]) == ("allow", [])
    again = await edge.scan(qr, "in")
    covered(again)
    assert (again["verdict"], again["reasons"]) == ("deny", ["used_up"])
    assert edge.services.state.refs.used_at("P-2026-000001") == NOW_MS


async def test_a_multi_exit_permit_is_not_used_up(edge: Edge, issuer: Issuer) -> None:
    qr = issuer.issue(single_exit=False)
    for direction in ("in", "out", "in", "out", "in"):
        result = await edge.scan(qr, direction)
        assert (result["verdict"], result["reasons"]) == ("allow", [])


async def test_an_exit_at_a_park_gate_does_not_use_the_permit_up(
    start_edge: StartEdge, issuer: Issuer
) -> None:
    park = await start_edge("jiangping-park")
    qr = issuer.issue()
    for direction in ("in", "out", "in"):
        assert (await park.scan(qr, direction))["verdict"] == "allow"
    assert park.services.state.refs.used_up_count == 0


async def test_a_park_the_permit_does_not_name_is_denied(
    start_edge: StartEdge, issuer: Issuer
) -> None:
    park = await start_edge("kec-park")
    result = await park.scan(issuer.issue(), "in")
    covered(result)
    assert (result["verdict"], result["reasons"]) == ("deny", ["zone_not_permitted"])


@pytest.mark.parametrize(
    ("site_id", "zones", "outcome", "reasons"),
    [
        ("hengjiang", ("dongxing",), "alert", ["inland_not_permitted"]),
        ("hengjiang", ("dongxing", "fangchenggang/gangkou-park"), "allow", []),
        ("maoling", ("dongxing", "fangchenggang"), "alert", ["inland_not_permitted"]),
    ],
)
async def test_heading_inland_at_a_checkpoint(
    start_edge: StartEdge,
    issuer: Issuer,
    site_id: str,
    zones: tuple[str, ...],
    outcome: str,
    reasons: list[str],
) -> None:
    checkpoint = await start_edge(site_id)
    result = await checkpoint.scan(issuer.issue(zones=zones), "in")
    covered(result)
    assert (result["verdict"], result["reasons"]) == (outcome, reasons)
    back = await checkpoint.scan(issuer.issue(zones=zones), "out")
    assert back["verdict"] == "allow"


async def test_old_trust_data_adds_a_warning_but_still_decides(edge: Edge, issuer: Issuer) -> None:
    edge.clock.advance(25 * 3600 * 1000)
    result = await edge.scan(issuer.issue(), "in")
    covered(result)
    assert (result["verdict"], result["reasons"]) == ("allow", ["stale_trust"])
    garbage = await edge.scan("nonsense", "in")
    assert garbage["reasons"] == ["malformed", "stale_trust"]


async def test_an_exit_after_the_end_date_is_allowed_and_marked_late(
    edge: Edge, issuer: Issuer
) -> None:
    qr = issuer.issue(valid_from=TODAY - timedelta(days=40), valid_until=TODAY - timedelta(days=1))
    result = await edge.scan(qr, "out")
    covered(result)
    assert result["verdict"] == "allow"
    assert result["reasons"] == ["expired", "late_exit"]


async def test_reasons_come_in_the_requested_language(edge: Edge, issuer: Issuer) -> None:
    qr = issuer.issue(valid_from=TODAY + timedelta(days=3))
    words = {}
    for lang in ("zh", "vi", "en"):
        response = await edge.client.post(
            f"/api/scan?lang={lang}", json={"qr": qr, "direction": "in"}
        )
        words[lang] = (await response.json())["reason_text"]
    assert words == {
        "zh": ["通行证尚未生效"],
        "vi": ["Giấy phép chưa có hiệu lực"],
        "en": ["Permit not yet valid"],
    }


async def test_the_operator_is_logged_and_the_chain_holds(edge: Edge, issuer: Issuer) -> None:
    await edge.scan(issuer.issue(), "in", operator="officer-0042")
    await edge.scan("garbage", "check")
    response = await edge.client.get("/api/scans?limit=5")
    scans = (await response.json())["scans"]
    assert [s["operator"] for s in scans] == ["edge", "officer-0042"]
    assert [s["seq"] for s in scans] == [2, 1]
    assert_chain_intact(await edge.log())


async def test_a_worker_name_of_any_script_round_trips(edge: Edge, issuer: Issuer) -> None:
    worker = make_worker(name="Trần Văn Đức", name_zh="陈文德", border_pass_no="VN-9")
    result = await edge.scan(issuer.sign(issuer.permit(worker=worker)), "in")
    assert (result["permit"]["name"], result["permit"]["name_zh"]) == ("Trần Văn Đức", "陈文德")


def test_every_reason_was_produced_through_the_api() -> None:
    """Runs last in this module (pytest keeps file order)."""
    assert {r.value for r in Reason} <= COVERED
