"""What a full scan verdict costs, measured against the bare Ed25519 check it contains.

The signature check is the floor: an edge cannot answer faster than libsodium verifies.
This benchmark measures, in one run and on the same permits,

* **full**: ``protocol.decide`` on a typical permit's QR text at a park gate, i.e.
  prefix and base45, inflate, strict msgpack, claim rules, key lookup, Ed25519, and
  every verdict rule against realistic reference data;
* **raw**: PyNaCl's ``VerifyKey.verify`` of the same signed bytes
  (``PERMIT_CONTEXT || claims`` and the signature), with the key already loaded;

and prints both rates, their ratio (full time / raw time: what the whole verdict costs
as a multiple of the signature alone), and the QR version of a typical permit at error
correction M. The permits are 64 different ones, so that nothing can be remembered
from one scan to the next. Rounds of each alternate, and the best round of each counts,
so that noise from other processes on a shared machine hits both alike; rounds are
short (a few tens of milliseconds), so that even on a busy machine some of them run
undisturbed. The last line is one JSON object: ``full_per_s``, ``raw_per_s``,
``ratio``, ``qr_version``. A run takes under ten seconds.

Targets (issue 2): ratio <= 1.3, QR version <= 10. ``--check`` exits 1 when missed.

Usage: ``python bench/verify.py [--rounds N] [--batches N] [--check]``
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta

import qrcode
from nacl.signing import VerifyKey
from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import MODE_ALPHA_NUM, QRData

from protocol import (
    Direction,
    Outcome,
    Permit,
    ReferenceData,
    Revocation,
    RevocationKind,
    SigningKey,
    TrustAgePolicy,
    TrustList,
    Worker,
    decide,
    decode_permit,
    default_site_map,
    encode_permit,
)
from protocol.credential import PERMIT_CONTEXT
from protocol.days import start_of_day_ms
from protocol.trust import IssuerKey

RATIO_TARGET = 1.3
QR_VERSION_TARGET = 10
SITE_ID = "jiangping-park"
ZONES = ("dongxing", "dongxing/jiangping")
ISSUER_SEED = bytes.fromhex("b0" * 32)
FIRST_DAY = date(2025, 3, 3)
NOW_MS = start_of_day_ms(date(2025, 6, 2)) + 8 * 3_600_000  # 08:00 in Dongxing
PERMITS = 64
NAMES = (
    ("NGUYỄN THỊ HOA", "阮氏花"),
    ("TRẦN VĂN ĐỨC", "陈文德"),
    ("LÊ THỊ THU HƯƠNG", "黎氏秋香"),
    ("PHẠM QUỐC BẢO", "范国宝"),
    ("HOÀNG THỊ NGỌC ÁNH", "黄氏玉映"),
    ("VŨ ĐÌNH KHẢI", "武廷凯"),
    ("ĐẶNG THỊ MỸ LỆ", "邓氏美丽"),
    ("BÙI XUÂN TRƯỜNG", "裴春长"),
)


def typical_permit(i: int, key: SigningKey) -> Permit:
    """Permit ``i`` of a Jiangping factory: 180 days, insurances for a year."""
    name, name_zh = NAMES[i % len(NAMES)]
    valid_from = FIRST_DAY + timedelta(days=i % 30)
    return Permit(
        permit_id=f"DX-2025-{4100 + i:06d}",
        worker=Worker.create(
            name, f"B{8_310_000 + 37 * i:07d}", date(1994, 5, 17), "MF"[i % 2], name_zh
        ),
        employer_id="E-JP-0107",
        zones=ZONES,
        valid_from=valid_from,
        valid_until=valid_from + timedelta(days=179),
        health_cert_until=valid_from + timedelta(days=364),
        insurance_until=valid_from + timedelta(days=364),
        single_exit=True,
        issued_at=start_of_day_ms(valid_from) // 1000 - 86_400,
        key_id=key.key_id,
    )


def reference_data() -> ReferenceData:
    """Revocations and used-up permits an edge holds, none of them about our permits."""
    refs = ReferenceData()
    issued = start_of_day_ms(FIRST_DAY) // 1000
    for i in range(200):
        refs.revoke(Revocation(RevocationKind.PERMIT, f"DX-2024-{i:06d}", issued))
    for i in range(40):
        refs.revoke(Revocation(RevocationKind.WORKER, f"B7{i:06d}", issued))
    refs.revoke(Revocation(RevocationKind.EMPLOYER, "E-KEC-0003", issued))
    for i in range(2000):
        refs.mark_used(f"DX-2024-{100_000 + i:06d}", NOW_MS - 86_400_000)
    return refs


def qr_version(text: str) -> int:
    """The smallest QR version holding ``text`` at error correction M, in one
    alphanumeric segment (as borderpass/qr.py lays permits out)."""
    data = QRData(text.encode("ascii"))
    if data.mode != MODE_ALPHA_NUM:
        raise SystemExit(f"permit text is not QR-alphanumeric: {text!r}")
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    return int(code.version)


def best_seconds_per_call(workloads: Sequence[Callable[[], int]], rounds: int) -> list[float]:
    """Run each workload once per round, alternating which goes first; return each
    workload's best round, in seconds per call (a workload returns its call count)."""
    best = [float("inf")] * len(workloads)
    gc.disable()
    try:
        for r in range(rounds):
            order = range(len(workloads)) if r % 2 == 0 else reversed(range(len(workloads)))
            for i in order:
                start = time.perf_counter()
                calls = workloads[i]()
                best[i] = min(best[i], (time.perf_counter() - start) / calls)
    finally:
        gc.enable()
    return best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=150, help="rounds of each (default 150)")
    parser.add_argument("--batches", type=int, default=5, help="passes over the 64 permits a round")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    key = SigningKey(ISSUER_SEED)
    trust = TrustList(
        version=7,
        issued_at=start_of_day_ms(date(2025, 1, 1)) // 1000,
        keys=(IssuerKey(key.public_key, 1_735_660_800, 1_798_732_800, ("dongxing",)),),
    )
    texts = [encode_permit(typical_permit(i, key), key) for i in range(PERMITS)]
    site = default_site_map().site(SITE_ID)
    refs = reference_data()
    refreshed_ms = NOW_MS - 3_600_000
    policy = TrustAgePolicy()
    signed = [decode_permit(text) for text in texts]
    messages = [(PERMIT_CONTEXT + s.claims, s.signature) for s in signed]
    verify = VerifyKey(key.public_key).verify

    for text in texts:  # measure the real path: every permit is genuine and allowed
        verdict = decide(text, site, Direction.IN, NOW_MS, trust, refs, refreshed_ms, policy)
        if verdict.outcome is not Outcome.ALLOW or verdict.reasons or not verdict.verified:
            raise SystemExit(f"benchmark permit not allowed: {verdict}")

    def full() -> int:
        for _ in range(args.batches):
            for text in texts:
                decide(text, site, Direction.IN, NOW_MS, trust, refs, refreshed_ms, policy)
        return args.batches * len(texts)

    def raw() -> int:
        for _ in range(args.batches):
            for message, signature in messages:
                verify(message, signature)
        return args.batches * len(messages)

    full_s, raw_s = best_seconds_per_call([full, raw], args.rounds)
    return report(texts[0], full_s, raw_s, args.check)


def report(text: str, full_s: float, raw_s: float, check: bool) -> int:
    version, ratio = qr_version(text), full_s / raw_s
    print(f"typical permit: {len(text)} characters, QR version {version} at error correction M")
    print(f"full decode + verify + verdict: {1 / full_s:9,.0f} per s ({full_s * 1e6:6.1f} µs)")
    print(f"raw Ed25519 verify (PyNaCl):    {1 / raw_s:9,.0f} per s ({raw_s * 1e6:6.1f} µs)")
    print(f"ratio full / raw: {ratio:.3f} (target <= {RATIO_TARGET})")
    met = ratio <= RATIO_TARGET and version <= QR_VERSION_TARGET
    print("targets met" if met else "TARGET MISSED")
    figures = {
        "full_per_s": round(1 / full_s),
        "raw_per_s": round(1 / raw_s),
        "ratio": round(ratio, 3),
        "qr_version": version,
    }
    print(json.dumps(figures))
    return 1 if check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
