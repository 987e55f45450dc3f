"""Scan events: the positional encoding round trips, the hash chain catches gaps,
reordering and edits, and garbage raises only ProtocolError."""

from __future__ import annotations

from dataclasses import replace

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.errors import CredentialError, DecodeReason, ProtocolError
from protocol.events import (
    GENESIS,
    HASH_LEN,
    QR_DIGEST_LEN,
    ScanEvent,
    chain_breaks,
    decode_event,
    event_hash,
    qr_digest,
)
from protocol.reasons import Reason

MAX_INT = 2**63 - 1
short_text = st.text(max_size=32)


@st.composite
def scan_events(draw: st.DrawFn) -> ScanEvent:
    return ScanEvent(
        seq=draw(st.integers(1, MAX_INT)),
        hlc=draw(st.integers(0, MAX_INT)),
        wall_ms=draw(st.integers(0, MAX_INT)),
        prev_hash=draw(st.binary(min_size=HASH_LEN, max_size=HASH_LEN)),
        site=draw(st.text(max_size=64)),
        direction=draw(st.sampled_from(["in", "out", "check"])),
        verdict=draw(st.sampled_from(["allow", "deny", "alert"])),
        reasons=tuple(draw(st.lists(st.sampled_from([r.value for r in Reason]), max_size=8))),
        permit_id=draw(st.none() | short_text),
        worker_id=draw(st.none() | short_text),
        employer_id=draw(st.none() | short_text),
        verified=draw(st.booleans()),
        trust_age_s=draw(st.none() | st.integers(0, MAX_INT)),
        operator=draw(st.text(max_size=64)),
        qr_digest=draw(st.binary(min_size=QR_DIGEST_LEN, max_size=QR_DIGEST_LEN)),
    )


def event(seq: int, prev_hash: bytes, **overrides: object) -> ScanEvent:
    fields: dict[str, object] = {
        "seq": seq,
        "hlc": (1_795_000_000_000 + seq) << 16,
        "wall_ms": 1_795_000_000_000 + seq,
        "prev_hash": prev_hash,
        "site": "dongxing-port",
        "direction": "in",
        "verdict": "allow",
        "reasons": (),
        "permit_id": f"P-{seq}",
        "worker_id": "VN-BP-0001",
        "employer_id": "EMP-JP-001",
        "verified": True,
        "trust_age_s": 60,
        "operator": "officer-7",
        "qr_digest": qr_digest(f"BP1:{seq}"),
    }
    fields.update(overrides)
    return ScanEvent(**fields)  # type: ignore[arg-type]


def chain(count: int, first_seq: int = 1, prev_hash: bytes = GENESIS) -> list[bytes]:
    encoded = []
    for seq in range(first_seq, first_seq + count):
        data = event(seq, prev_hash).encode()
        encoded.append(data)
        prev_hash = event_hash(data)
    return encoded


# -- encoding -----------------------------------------------------------------------------


@settings(max_examples=300)
@given(scan_events())
def test_round_trip(scan_event: ScanEvent) -> None:
    encoded = scan_event.encode()
    assert decode_event(encoded) == scan_event
    assert decode_event(encoded).encode() == encoded


def test_encoding_is_positional_msgpack() -> None:
    e = event(3, GENESIS, reasons=("stale_trust",), permit_id=None)
    raw = msgpack.unpackb(e.encode())
    assert len(raw) == 15
    assert raw[0] == 3
    assert raw[3] == GENESIS
    assert raw[5:8] == ["in", "allow", ["stale_trust"]]
    assert raw[8] is None
    assert raw[11] is True


def test_qr_digest() -> None:
    assert len(qr_digest("BP1:ABC")) == QR_DIGEST_LEN
    assert qr_digest("BP1:ABC") == qr_digest("BP1:ABC")
    assert qr_digest("BP1:ABC") != qr_digest("BP1:ABD")
    # whatever a scanner typed, even a lone surrogate, has a digest
    assert len(qr_digest("\ud800")) == QR_DIGEST_LEN


# -- the hash chain -----------------------------------------------------------------------


def test_an_intact_chain_has_no_break() -> None:
    encoded = chain(6)
    assert chain_breaks(GENESIS, 0, encoded) is None
    assert chain_breaks(GENESIS, 0, []) is None


def test_a_batch_continues_the_previous_one() -> None:
    encoded = chain(6)
    assert chain_breaks(event_hash(encoded[2]), 3, encoded[3:]) is None
    assert chain_breaks(event_hash(encoded[2]), 2, encoded[3:]) == 0  # wrong seq
    assert chain_breaks(event_hash(encoded[1]), 3, encoded[3:]) == 0  # wrong hash
    assert chain_breaks(GENESIS, 0, encoded[1:]) == 0  # does not start at 1


def test_a_gap_breaks_the_chain() -> None:
    encoded = chain(6)
    assert chain_breaks(GENESIS, 0, encoded[:2] + encoded[3:]) == 2


def test_a_reorder_breaks_the_chain() -> None:
    encoded = chain(6)
    swapped = [encoded[0], encoded[2], encoded[1], *encoded[3:]]
    assert chain_breaks(GENESIS, 0, swapped) == 1


def test_an_edited_event_breaks_the_chain_after_it() -> None:
    encoded = chain(6)
    original = decode_event(encoded[2])
    for edit in [
        {"verdict": "deny"},
        {"reasons": ("inland_not_permitted",)},
        {"wall_ms": original.wall_ms + 1},
        {"permit_id": "P-other"},
    ]:
        edited = list(encoded)
        edited[2] = replace(original, **edit).encode()  # type: ignore[arg-type]
        assert chain_breaks(GENESIS, 0, edited) == 3


def test_a_renumbered_chain_breaks() -> None:
    encoded = chain(4)
    renumbered = [replace(decode_event(d), seq=decode_event(d).seq + 1).encode() for d in encoded]
    assert chain_breaks(GENESIS, 0, renumbered) == 0


def test_a_duplicated_event_breaks_the_chain() -> None:
    encoded = chain(4)
    assert chain_breaks(GENESIS, 0, [encoded[0], encoded[1], encoded[1], encoded[2]]) == 2


# -- garbage ----------------------------------------------------------------------------------


@settings(max_examples=300)
@given(st.binary(max_size=5000))
def test_any_bytes_raise_only_protocol_error(data: bytes) -> None:
    try:
        decode_event(data)
    except ProtocolError as exc:
        assert exc.reason in {DecodeReason.MALFORMED, DecodeReason.TOO_LARGE}


msgpack_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats()
    | st.text(max_size=20)
    | st.binary(max_size=40),
    lambda inner: st.lists(inner, max_size=5),
    max_leaves=25,
)


@settings(max_examples=300)
@given(st.lists(msgpack_values, min_size=14, max_size=16))
def test_any_array_raises_only_protocol_error(fields: list[object]) -> None:
    try:
        decode_event(msgpack.packb(fields, use_bin_type=True))
    except ProtocolError as exc:
        assert exc.reason == DecodeReason.MALFORMED


@settings(max_examples=200)
@given(scan_events(), st.integers(0, 14), msgpack_values)
def test_one_field_of_the_wrong_kind(scan_event: ScanEvent, index: int, value: object) -> None:
    fields = list(msgpack.unpackb(scan_event.encode()))
    fields[index] = value
    try:
        decoded = decode_event(msgpack.packb(fields, use_bin_type=True))
    except ProtocolError:
        return
    assert decoded.encode() == msgpack.packb(fields, use_bin_type=True)


@pytest.mark.parametrize(
    ("index", "value"),
    [
        (0, 0),  # sequence numbers start at 1
        (0, True),
        (2, -1),
        (3, bytes(31)),
        (5, "up"),
        (6, "maybe"),
        (7, "stale_trust"),
        (7, ["x" * 33]),
        (7, ["r"] * 33),
        (11, 1),
        (12, -5),
        (14, bytes(32)),
    ],
)
def test_out_of_range_fields_are_malformed(index: int, value: object) -> None:
    fields = list(msgpack.unpackb(event(1, GENESIS).encode()))
    fields[index] = value
    with pytest.raises(ProtocolError) as info:
        decode_event(msgpack.packb(fields, use_bin_type=True))
    assert info.value.reason == DecodeReason.MALFORMED


def test_decode_raises_the_callers_error_type() -> None:
    with pytest.raises(CredentialError):
        decode_event(b"\x93\x01\x02\x03", error=CredentialError)


def test_chain_breaks_on_garbage_raises_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        chain_breaks(GENESIS, 0, [chain(1)[0], b"\xff\xff"])


def test_oversized_event_is_too_large() -> None:
    with pytest.raises(ProtocolError) as info:
        decode_event(bytes(5000))
    assert info.value.reason == DecodeReason.TOO_LARGE
