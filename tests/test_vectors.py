"""The permit test vectors (tests/vectors/vectors.json, protocol/SPEC.md "Test vectors").

Two promises: the committed file is exactly what the generator writes (fixed seeds,
fixed instants, deterministic Ed25519), and every case decodes, verifies and gets the
verdict the file states, through ``protocol.decode_permit`` and ``protocol.decide``.
The expected permits are rebuilt here from the JSON, independently of the generator.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from protocol import (
    CredentialError,
    Direction,
    Outcome,
    Permit,
    Reason,
    ReferenceData,
    Revocation,
    RevocationKind,
    Sex,
    Worker,
    decide,
    decode_permit,
    decode_trust_list,
    default_site_map,
    verify_permit,
)
from protocol.base45 import b45decode
from protocol.credential import FLAG_DEFLATED, PREFIX
from protocol.trust import decode_trust_bundle

VECTORS_DIR = Path(__file__).parent / "vectors"
VECTORS_FILE = VECTORS_DIR / "vectors.json"
VECTORS: dict[str, Any] = json.loads(VECTORS_FILE.read_text("utf-8"))
CASES: list[dict[str, Any]] = VECTORS["cases"]
ROOT = bytes.fromhex(VECTORS["root_public_key"])
SIGNED_TRUST = bytes.fromhex(VECTORS["trust_list"]["signed"])


def load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("vector_generator", VECTORS_DIR / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def permit_from(claims: dict[str, Any]) -> Permit:
    w = claims["worker"]
    return Permit(
        permit_id=claims["permit_id"],
        worker=Worker(
            name=w["name"],
            border_pass_no=w["border_pass_no"],
            birth_date=date.fromisoformat(w["birth_date"]),
            sex=Sex(w["sex"]),
            name_zh=w["name_zh"],
        ),
        employer_id=claims["employer_id"],
        zones=tuple(claims["zones"]),
        valid_from=date.fromisoformat(claims["valid_from"]),
        valid_until=date.fromisoformat(claims["valid_until"]),
        health_cert_until=date.fromisoformat(claims["health_cert_until"]),
        insurance_until=date.fromisoformat(claims["insurance_until"]),
        single_exit=claims["single_exit"],
        issued_at=claims["issued_at"],
        key_id=bytes.fromhex(claims["key_id"]),
    )


def reference_data(case: dict[str, Any]) -> ReferenceData:
    refs = ReferenceData()
    for r in case["revocations"]:
        refs.revoke(Revocation(RevocationKind(r["kind"]), r["subject"], r["revoked_at"]))
    for used in case["used_up"]:
        refs.mark_used(used["permit_id"], used["exit_ms"])
    return refs


def test_regenerating_the_vectors_gives_the_committed_file_byte_for_byte() -> None:
    assert load_generator().render() == VECTORS_FILE.read_text("utf-8")


def test_the_trust_list_and_bundle_verify_under_the_root_and_list_the_keys() -> None:
    trust = decode_trust_list(SIGNED_TRUST, ROOT)
    assert (trust.version, trust.issued_at) == (
        VECTORS["trust_list"]["version"],
        VECTORS["trust_list"]["issued_at"],
    )
    listed = [k for k in VECTORS["issuer_keys"] if k["in_trust_list"]]
    assert [(k.public_key.hex(), k.not_before, k.not_after, list(k.scope)) for k in trust.keys] == [
        (k["public_key"], k["not_before"], k["not_after"], k["scope"]) for k in listed
    ]
    root, bundled, signed = decode_trust_bundle(bytes.fromhex(VECTORS["trust_bundle"]))
    assert (root, signed, bundled) == (ROOT, SIGNED_TRUST, trust)


def test_a_key_id_is_the_first_eight_bytes_of_the_public_keys_sha256() -> None:
    for key in VECTORS["issuer_keys"]:
        digest = hashlib.sha256(bytes.fromhex(key["public_key"])).digest()
        assert key["key_id"] == digest[:8].hex()


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_each_case_decodes_and_verifies_as_stated(case: dict[str, Any]) -> None:
    expect = case["expect"]
    try:
        signed = decode_permit(case["qr"])
    except CredentialError as exc:
        assert exc.reason == expect["decode"]
        assert expect["reasons"][0] == exc.reason
        return
    assert expect["decode"] == "ok"
    assert signed.permit == permit_from(expect["claims"])
    assert (signed.claims.hex(), signed.signature.hex()) == (
        expect["claims_hex"],
        expect["signature_hex"],
    )
    body = b45decode(case["qr"].strip("\r\n\t").removeprefix(PREFIX))
    assert bool(body[0] & FLAG_DEFLATED) is expect["deflated"]
    try:
        key = verify_permit(signed, decode_trust_list(SIGNED_TRUST, ROOT))
    except CredentialError as exc:
        assert exc.reason == expect["signature"]
        return
    assert expect["signature"] == "ok"
    by_name = {k["name"]: k["public_key"] for k in VECTORS["issuer_keys"]}
    assert key.public_key.hex() == by_name[expect["signed_by"]]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_each_case_gets_the_stated_verdict(case: dict[str, Any]) -> None:
    verdict = decide(
        case["qr"],
        default_site_map().site(case["site"]),
        Direction(case["direction"]),
        case["now_ms"],
        decode_trust_list(SIGNED_TRUST, ROOT),
        reference_data(case),
        case["trust_refreshed_ms"],
    )
    assert verdict.outcome.value == case["expect"]["outcome"]
    assert [r.value for r in verdict.reasons] == case["expect"]["reasons"]
    assert verdict.verified is (case["expect"].get("signature") == "ok")


def test_the_vectors_cover_every_reason_outcome_and_direction() -> None:
    reasons = {r for c in CASES for r in c["expect"]["reasons"]}
    assert reasons == {r.value for r in Reason}
    assert {c["expect"]["outcome"] for c in CASES} == {o.value for o in Outcome}
    assert {c["direction"] for c in CASES} == {d.value for d in Direction}
