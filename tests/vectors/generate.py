"""Generate ``tests/vectors/vectors.json``: permit test vectors for other verifiers.

Everything is fixed: Ed25519 seeds are hashes of labels, instants are constants, and
Ed25519 signing is deterministic, so running this again yields the same bytes (the
deflated cases also depend on zlib's output, which is stable for a given zlib).
Each case states by hand the outcome and reasons it must produce; the generator runs
the real decoder and verdict on every case and refuses to write a file in which the
code disagrees with the case. protocol/SPEC.md, "Test vectors", describes the format.

Usage: ``python tests/vectors/generate.py [--check]`` (``--check``: exit 1 if the
committed file differs from what would be written).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from protocol import (
    CredentialError,
    Direction,
    Outcome,
    Permit,
    Reason,
    ReferenceData,
    Revocation,
    RevocationKind,
    SigningKey,
    TrustAgePolicy,
    Worker,
    codec,
    decide,
    decode_permit,
    default_site_map,
    encode_permit,
    verify_permit,
)
from protocol.base45 import b45decode, b45encode
from protocol.credential import FLAG_DEFLATED, MAX_TEXT_LEN, PERMIT_CONTEXT, PREFIX, encode_claims
from protocol.days import end_of_day_ms, start_of_day_ms
from protocol.trust import IssuerKey, TrustList, decode_trust_list, encode_trust_bundle

VECTORS = Path(__file__).with_name("vectors.json")
FORMAT = "borderpass-permit-vectors/1"
HOUR_MS = 3_600_000


def _key(label: str) -> SigningKey:
    return SigningKey(hashlib.sha256(f"borderpass test vectors: {label}".encode()).digest())


ROOT = _key("root")
OLD_KEY = _key("issuer 2024")
NEW_KEY = _key("issuer 2025")
DONGXING_KEY = _key("issuer dongxing only")
STRANGER_KEY = _key("a key no trust list names")


def _seconds(d: date, end: bool = False) -> int:
    """The first (or last) second of ``d`` in Shanghai."""
    return (end_of_day_ms(d) if end else start_of_day_ms(d)) // 1000


ISSUERS = {  # name -> (key, not_before, not_after); scopes below
    "issuer-2024": (OLD_KEY, _seconds(date(2024, 7, 1)), _seconds(date(2025, 9, 30), True)),
    "issuer-2025": (NEW_KEY, _seconds(date(2025, 3, 1)), _seconds(date(2026, 12, 31), True)),
    "issuer-dongxing": (
        DONGXING_KEY,
        _seconds(date(2025, 1, 1)),
        _seconds(date(2026, 12, 31), True),
    ),
}
SCOPES = {
    "issuer-2024": ("dongxing", "fangchenggang"),
    "issuer-2025": ("dongxing", "fangchenggang"),
    "issuer-dongxing": ("dongxing",),
}
TRUST = TrustList(
    version=3,
    issued_at=_seconds(date(2025, 2, 15)),  # the 2025 key is listed before its first use
    keys=tuple(IssuerKey(k.public_key, nb, na, SCOPES[n]) for n, (k, nb, na) in ISSUERS.items()),
)
SIGNED_TRUST = TRUST.sign(ROOT)


def at(d: date, hour: int = 8, ms: int = 0) -> int:
    """UTC milliseconds of ``hour``:00 on ``d`` in Shanghai, plus ``ms``."""
    return start_of_day_ms(d) + hour * HOUR_MS + ms


def permit(key: SigningKey, serial: int, **changes: Any) -> Permit:
    """A Jiangping factory's permit from 2025-03-10, 180 days; ``changes`` override."""
    valid_from = changes.pop("valid_from", date(2025, 3, 10))
    fields: dict[str, Any] = {
        "permit_id": f"DX-2025-{serial:06d}",
        "employer_id": "E-JP-0107",
        "zones": ("dongxing", "dongxing/jiangping"),
        "valid_from": valid_from,
        "valid_until": valid_from + timedelta(days=179),
        "health_cert_until": valid_from + timedelta(days=364),
        "insurance_until": valid_from + timedelta(days=364),
        "single_exit": True,
        "issued_at": _seconds(valid_from) - 86_400 + 10 * 3600,  # 10:00 the day before
        "key_id": key.key_id,
    }
    worker = {"name": "NGUYỄN THỊ HOA", "name_zh": None, "sex": "F"}
    for name in worker:
        worker[name] = changes.pop(name, worker[name])
    fields.update(changes)
    number = f"B{8_310_000 + serial}"
    return Permit(
        worker=Worker.create(border_pass_no=number, birth_date=date(1996, 4, 21), **worker),
        **fields,
    )


def raw_text(claims: bytes, signature: bytes, header: int = 0) -> str:
    """QR text for exact claim bytes and signature, uncompressed unless told."""
    return PREFIX + b45encode(bytes([header]) + claims + signature)


def signed_text(claims: bytes, key: SigningKey) -> str:
    """QR text for claims the encoder would refuse, signed as they are."""
    return raw_text(claims, key.sign(PERMIT_CONTEXT, claims))


@dataclass(frozen=True)
class Case:
    """One scan and the verdict it must get, stated by hand."""

    name: str
    description: str
    qr: str
    now_ms: int
    site: str
    direction: Direction
    outcome: Outcome
    reasons: tuple[Reason, ...] = ()
    refreshed_ago_ms: int | None = HOUR_MS
    """How long before ``now`` the trust data was refreshed; None: never."""
    revocations: tuple[Revocation, ...] = ()
    used_up: tuple[tuple[str, int], ...] = ()

    @property
    def trust_refreshed_ms(self) -> int | None:
        return None if self.refreshed_ago_ms is None else self.now_ms - self.refreshed_ago_ms


A, D, X = Outcome.ALLOW, Outcome.DENY, Outcome.ALERT
IN, OUT, CHECK = Direction.IN, Direction.OUT, Direction.CHECK
R = Reason
NOW = at(date(2025, 6, 2))
VALID = permit(NEW_KEY, 101)
VALID_QR = encode_permit(VALID, NEW_KEY)
FCG = ("dongxing", "fangchenggang/gangkou-park")
FCG_QR = encode_permit(permit(NEW_KEY, 109, zones=FCG), NEW_KEY)


# fmt: off
# The cases read as a table, one scan each: keep them compact.


def term_cases() -> list[Case]:
    first, last = start_of_day_ms(VALID.valid_from), end_of_day_ms(VALID.valid_until)
    return [
        Case("valid", "A genuine permit at its park's gate.",
             VALID_QR, NOW, "jiangping-park", IN, A),
        Case("valid_first_instant", "00:00:00.000 in Shanghai on valid_from (16:00Z before).",
             VALID_QR, first, "dongxing-port", IN, A),
        Case("not_yet_valid", "One millisecond before valid_from begins in Shanghai.",
             VALID_QR, first - 1, "dongxing-port", IN, D, (R.NOT_YET_VALID,)),
        Case("valid_last_instant", "23:59:59.999 in Shanghai on valid_until.",
             VALID_QR, last, "jiangping-park", IN, A),
        Case("expired", "One millisecond after valid_until ends in Shanghai.",
             VALID_QR, last + 1, "jiangping-park", IN, D, (R.EXPIRED,)),
        Case("late_exit", "Leaving China after the end date: allowed, marked late.",
             VALID_QR, at(date(2025, 9, 20)), "dongxing-port", OUT, A, (R.EXPIRED, R.LATE_EXIT)),
        Case("health_cert_lapsed", "The health certificate ended before the permit.",
             encode_permit(permit(NEW_KEY, 110, health_cert_until=date(2025, 5, 31)), NEW_KEY),
             NOW, "jiangping-park", IN, D, (R.HEALTH_CERT_LAPSED,)),
        Case("insurance_lapsed", "The insurances ended the day before.",
             encode_permit(permit(NEW_KEY, 111, insurance_until=date(2025, 6, 1)), NEW_KEY),
             NOW, "jiangping-park", IN, D, (R.INSURANCE_LAPSED,)),
    ]


def key_cases() -> list[Case]:
    claims = encode_claims(VALID)
    signature = NEW_KEY.sign(PERMIT_CONTEXT, claims)
    tampered = claims.replace(b"DX-2025-000101", b"DX-2025-000102", 1)
    march_1 = date(2025, 3, 1)
    first_day = permit(NEW_KEY, 103, valid_from=march_1, issued_at=_seconds(march_1) + 9 * 3600)
    old = permit(OLD_KEY, 104, valid_from=date(2025, 1, 10))
    outliving = permit(OLD_KEY, 105, valid_from=date(2025, 10, 1))
    out_of_scope = permit(DONGXING_KEY, 106, zones=FCG)
    return [
        Case("tampered", "A claim byte changed (permit id ...101 -> ...102), same signature.",
             raw_text(tampered, signature), NOW, "jiangping-park", IN, D, (R.BAD_SIGNATURE,)),
        Case("unknown_key", "Signed by a key that the trust list does not name.",
             encode_permit(permit(STRANGER_KEY, 102), STRANGER_KEY), NOW, "jiangping-park", IN, D,
             (R.UNKNOWN_KEY,)),
        Case("rotated_new_key_first_day", "Signed by the 2025 key on the first day of its window.",
             encode_permit(first_day, NEW_KEY), at(date(2025, 3, 1), 10), "dongxing-port", IN, A),
        Case("rotated_old_key_still_valid", "Signed by the 2024 key before rotation: still good.",
             encode_permit(old, OLD_KEY), NOW, "jiangping-park", IN, A),
        Case("old_key_permit_outlives_key", "By the 2024 key, but ending after its not_after.",
             encode_permit(outliving, OLD_KEY), at(date(2025, 10, 15)), "jiangping-park", IN, D,
             (R.KEY_NOT_VALID,)),
        Case("key_out_of_scope", "A key scoped to dongxing signed a fangchenggang zone.",
             encode_permit(out_of_scope, DONGXING_KEY), NOW, "dongxing-port", IN, D,
             (R.KEY_OUT_OF_SCOPE,)),
    ]


def format_cases() -> list[Case]:
    claims = encode_claims(VALID)
    signature = NEW_KEY.sign(PERMIT_CONTEXT, claims)
    bomb = PREFIX + b45encode(b"\x01" + codec.deflate(bytes(256 * 1024)))
    if len(bomb) > MAX_TEXT_LEN:  # it must get past the length cap to reach the inflater
        raise SystemExit("the decompression bomb is longer than the text cap")
    return [
        Case("truncated", "The valid text with its last 20 characters cut off.",
             VALID_QR[:-20], NOW, "jiangping-park", IN, D, (R.MALFORMED,)),
        Case("decompression_bomb", "Deflate-flagged payload inflating to 256 KiB (cap 2 KiB).",
             bomb, NOW, "jiangping-park", IN, D, (R.TOO_LARGE,)),
        Case("unsupported_version", "A well-formed BP2: prefix in front of a valid body.",
             "BP2:" + VALID_QR[len(PREFIX):], NOW, "jiangping-park", IN, D,
             (R.UNSUPPORTED_VERSION,)),
        Case("not_a_permit", "Another scheme's prefix (HC1:) in front of a valid body.",
             "HC1:" + VALID_QR[len(PREFIX):], NOW, "jiangping-park", IN, D, (R.MALFORMED,)),
        Case("text_too_long", "1,001 characters: refused before any decoding.",
             PREFIX + "0" * 997, NOW, "jiangping-park", IN, D, (R.TOO_LARGE,)),
        Case("unknown_header_bits", "Header byte 0x02: only bit 0 (deflated) is defined.",
             raw_text(claims, signature, header=0x02), NOW, "jiangping-park", IN, D,
             (R.MALFORMED,)),
        Case("not_base45", "Lower-case letters are outside the base45 alphabet.",
             PREFIX + VALID_QR[len(PREFIX):].lower(), NOW, "jiangping-park", IN, D,
             (R.MALFORMED,)),
        Case("scanner_line_end", "A handheld scanner's CR LF after the text is ignored.",
             VALID_QR + "\r\n", NOW, "jiangping-park", IN, A),
    ]


def name_cases() -> list[Case]:
    five_zones = ("dongxing", "dongxing/jiangping", "dongxing/kec", "dongxing/chonglan",
                  "dongxing/border-trade-centre")
    deflated = permit(NEW_KEY, 107, zones=five_zones, employer_id="E-DONGXING-DONGXING-0001")
    vietnamese = permit(NEW_KEY, 108, name="ĐẶNG THỊ HỒNG NHUNG")
    chinese = permit(NEW_KEY, 112, name="NGUYỄN VĂN LỢI", name_zh="阮文利", sex="M")
    claims = list(codec.unpack(encode_claims(permit(NEW_KEY, 113)), max_bytes=2048))
    claims[1] = ("NGUYE\u0302\u0303N THI\u0323 HOA", *claims[1][1:])  # decomposed (NFD)
    if _header(encode_permit(deflated, NEW_KEY)) != FLAG_DEFLATED:
        raise SystemExit("the deflated case did not deflate")
    return [
        Case("deflated_valid", "Long repetitive zones: the deflated body is smaller (flag 1).",
             encode_permit(deflated, NEW_KEY), NOW, "kec-park", IN, A),
        Case("vietnamese_name", "Vietnamese diacritics, in NFC, as UTF-8 in a msgpack str.",
             encode_permit(vietnamese, NEW_KEY), NOW, "jiangping-park", IN, A),
        Case("chinese_name", "A Chinese name as well as the Vietnamese one.",
             encode_permit(chinese, NEW_KEY), NOW, "jiangping-park", IN, A),
        Case("name_not_nfc", "Signed claims whose name is decomposed (NFD): refused.",
             signed_text(codec.pack(claims), NEW_KEY), NOW, "jiangping-park", IN, D,
             (R.MALFORMED,)),
    ]


def area_cases() -> list[Case]:
    return [
        Case("inland_attempt_hengjiang", "A dongxing-only permit heading inland at Hengjiang.",
             VALID_QR, NOW, "hengjiang", IN, X, (R.INLAND_NOT_PERMITTED,)),
        Case("hengjiang_return", "The same permit coming back through Hengjiang.",
             VALID_QR, NOW, "hengjiang", OUT, A),
        Case("hengjiang_fangchenggang_permit", "A Gangkou park permit going through Hengjiang.",
             FCG_QR, NOW, "hengjiang", IN, A),
        Case("maoling_fangchenggang_permit", "Maoling leads inland: never allowed.",
             FCG_QR, NOW, "maoling", IN, X, (R.INLAND_NOT_PERMITTED,)),
        Case("maoling_dongxing_permit", "A dongxing-only permit at Maoling: outside its area too.",
             VALID_QR, NOW, "maoling", IN, X, (R.ZONE_NOT_PERMITTED, R.INLAND_NOT_PERMITTED)),
        Case("roll_call", "A roll call at the worker's own park.",
             VALID_QR, NOW, "jiangping-park", CHECK, A),
        Case("park_zone_not_permitted", "Roll call at a park the permit does not name.",
             VALID_QR, NOW, "kec-park", CHECK, D, (R.ZONE_NOT_PERMITTED,)),
    ]


def reference_cases() -> list[Case]:
    worker, issued = VALID.worker_id, VALID.issued_at
    may = _seconds(date(2025, 5, 1))
    permit_revoked = (Revocation(RevocationKind.PERMIT, VALID.permit_id, may),)
    employer_revoked = (Revocation(RevocationKind.EMPLOYER, VALID.employer_id, may),)
    return [
        Case("revoked_permit", "The permit was revoked.",
             VALID_QR, NOW, "jiangping-park", IN, D, (R.REVOKED_PERMIT,),
             revocations=permit_revoked),
        Case("revoked_permit_exit", "Leaving China is never refused, even when revoked.",
             VALID_QR, NOW, "dongxing-port", OUT, A, (R.REVOKED_PERMIT,),
             revocations=permit_revoked),
        Case("revoked_worker", "The worker was revoked after the permit was issued.",
             VALID_QR, NOW, "jiangping-park", IN, D, (R.REVOKED_WORKER,),
             revocations=(Revocation(RevocationKind.WORKER, worker, may),)),
        Case("worker_revoked_before_issue", "A revocation covers permits issued up to its instant.",
             VALID_QR, NOW, "jiangping-park", IN, A,
             revocations=(Revocation(RevocationKind.WORKER, worker, issued - 1),)),
        Case("revoked_employer", "The employer was revoked.",
             VALID_QR, NOW, "jiangping-park", IN, D, (R.REVOKED_EMPLOYER,),
             revocations=employer_revoked),
        Case("used_up", "A single-exit permit that has left China cannot enter again.",
             VALID_QR, NOW, "dongxing-port", IN, D, (R.USED_UP,),
             used_up=((VALID.permit_id, at(date(2025, 5, 20), 17)),)),
        Case("stale_trust_never_refreshed", "No trust data refresh recorded: a warning only.",
             VALID_QR, NOW, "jiangping-park", IN, A, (R.STALE_TRUST,), refreshed_ago_ms=None),
        Case("stale_trust_old", "Trust data refreshed 25 hours ago (the limit is 24).",
             VALID_QR, NOW, "jiangping-park", IN, A, (R.STALE_TRUST,),
             refreshed_ago_ms=25 * HOUR_MS),
        Case("malformed_stale_trust", "Refused text with stale trust: the warning comes last.",
             VALID_QR[:-20], NOW, "jiangping-park", IN, D, (R.MALFORMED, R.STALE_TRUST),
             refreshed_ago_ms=None),
    ]


# fmt: on


def iso_ms(instant_ms: int) -> str:
    stamp = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=instant_ms)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant_ms % 1000:03d}Z"


def claims_json(p: Permit) -> dict[str, Any]:
    w = p.worker
    return {
        "permit_id": p.permit_id,
        "worker": {
            "name": w.name,
            "name_zh": w.name_zh,
            "border_pass_no": w.border_pass_no,
            "birth_date": w.birth_date.isoformat(),
            "sex": w.sex.value,
        },
        "employer_id": p.employer_id,
        "zones": list(p.zones),
        "valid_from": p.valid_from.isoformat(),
        "valid_until": p.valid_until.isoformat(),
        "health_cert_until": p.health_cert_until.isoformat(),
        "insurance_until": p.insurance_until.isoformat(),
        "single_exit": p.single_exit,
        "issued_at": p.issued_at,
        "key_id": p.key_id.hex(),
    }


def decoding(qr: str) -> dict[str, Any]:
    """What decoding and signature checking give, field by field."""
    try:
        signed = decode_permit(qr)
    except CredentialError as exc:
        return {"decode": exc.reason}
    result: dict[str, Any] = {
        "decode": "ok",
        "deflated": bool(_header(qr) & FLAG_DEFLATED),
        "claims": claims_json(signed.permit),
        "claims_hex": signed.claims.hex(),
        "signature_hex": signed.signature.hex(),
    }
    try:
        key = verify_permit(signed, decode_trust_list(SIGNED_TRUST, ROOT.public_key))
    except CredentialError as exc:
        result["signature"] = exc.reason
    else:
        result["signature"] = "ok"
        result["signed_by"] = next(
            n for n, v in ISSUERS.items() if v[0].public_key == key.public_key
        )
    return result


def _header(qr: str) -> int:
    return b45decode(qr.strip("\r\n\t")[len(PREFIX) :])[0]


def case_json(case: Case) -> dict[str, Any]:
    """The case as JSON, after checking that the code agrees with it."""
    refs = ReferenceData()
    for revocation in case.revocations:
        refs.revoke(revocation)
    for permit_id, exit_ms in case.used_up:
        refs.mark_used(permit_id, exit_ms)
    trust = decode_trust_list(SIGNED_TRUST, ROOT.public_key)
    site = default_site_map().site(case.site)
    verdict = decide(
        case.qr, site, case.direction, case.now_ms, trust, refs, case.trust_refreshed_ms
    )
    if (verdict.outcome, verdict.reasons) != (case.outcome, case.reasons):
        wanted = f"{case.outcome} {case.reasons}"
        raise SystemExit(f"case {case.name}: the code says {verdict}, the case says {wanted}")
    return {
        "name": case.name,
        "description": case.description,
        "qr": case.qr,
        "now_ms": case.now_ms,
        "now": iso_ms(case.now_ms),
        "site": case.site,
        "direction": case.direction.value,
        "trust_refreshed_ms": case.trust_refreshed_ms,
        "revocations": [
            {"kind": r.kind.value, "subject": r.subject, "revoked_at": r.revoked_at}
            for r in case.revocations
        ],
        "used_up": [{"permit_id": p, "exit_ms": ms} for p, ms in case.used_up],
        "expect": {
            **decoding(case.qr),
            "outcome": verdict.outcome.value,
            "reasons": [r.value for r in verdict.reasons],
        },
    }


def issuer_json(name: str, key: SigningKey) -> dict[str, Any]:
    listed = name in ISSUERS
    entry: dict[str, Any] = {"name": name, "public_key": key.public_key.hex()}
    entry["key_id"] = key.key_id.hex()
    entry["in_trust_list"] = listed
    if listed:
        _, not_before, not_after = ISSUERS[name]
        entry.update(not_before=not_before, not_after=not_after, scope=list(SCOPES[name]))
    return entry


def build() -> dict[str, Any]:
    cases = term_cases() + key_cases() + format_cases() + name_cases() + area_cases()
    cases += reference_cases()
    if len({c.name for c in cases}) != len(cases):
        raise SystemExit("case names repeat")
    return {
        "format": FORMAT,
        "about": "Permit QR texts and the verdicts a borderpass verifier must give them. "
        "protocol/SPEC.md describes the credential and this file.",
        "root_public_key": ROOT.public_key.hex(),
        "trust_list": {
            "signed": SIGNED_TRUST.hex(),
            "version": TRUST.version,
            "issued_at": TRUST.issued_at,
        },
        "trust_bundle": encode_trust_bundle(ROOT.public_key, SIGNED_TRUST).hex(),
        "issuer_keys": [issuer_json(n, v[0]) for n, v in ISSUERS.items()]
        + [issuer_json("stranger", STRANGER_KEY)],
        "trust_age_warn_after_ms": TrustAgePolicy().warn_after_ms,
        "sites": f"protocol/data/sites.toml, version {default_site_map().version}",
        "cases": [case_json(c) for c in cases],
    }


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        same = VECTORS.exists() and VECTORS.read_text("utf-8") == text
        print("vectors.json is up to date" if same else "vectors.json differs")
        return 0 if same else 1
    VECTORS.write_text(text, "utf-8")
    print(f"wrote {VECTORS} ({len(json.loads(text)['cases'])} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
