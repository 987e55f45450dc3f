"""Frames refuse anything malformed with a reason; signatures bind what they sign."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import codec
from protocol.keys import SigningKey
from protocol.sync import auth
from protocol.sync.frames import (
    MAX_FRAME_BYTES,
    MAX_INFLATED_BYTES,
    SyncError,
    decode_frame,
    encode_frame,
)
from protocol.sync.messages import (
    Cursor,
    EnrolRequest,
    PullRequest,
    PushReply,
    TimeRequest,
)

KEY = SigningKey(bytes(range(32)))
MESSAGES = [
    TimeRequest(bytes(16)),
    EnrolRequest("token", bytes(32), "borderpass 0.1"),
    PullRequest("epoch", (Cursor("revocations", 4), Cursor("trust", 1)), 77),
    PushReply("epoch", 12, 1_790_000_000_000, 5),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_round_trip(message: object) -> None:
    version, decoded = decode_frame(encode_frame(message))  # type: ignore[arg-type]
    assert (version, decoded) == (1, message)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_raise_only_sync_error(data: bytes) -> None:
    for frame in (data, b"\x01\x00" + data, b"\x01\x01" + data):
        try:
            decode_frame(frame)
        except SyncError as error:
            assert error.reason in {"malformed", "too_large", "unsupported_version"}


def test_oversized_frame_is_refused_before_parsing() -> None:
    with pytest.raises(SyncError) as caught:
        decode_frame(b"\x01\x00" + bytes(MAX_FRAME_BYTES))
    assert caught.value.reason == "too_large"


def test_a_decompression_bomb_is_refused() -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = compressor.compress(bytes(MAX_INFLATED_BYTES * 2)) + compressor.flush()
    assert len(bomb) < MAX_FRAME_BYTES
    with pytest.raises(SyncError) as caught:
        decode_frame(b"\x01\x01" + bomb)
    assert caught.value.reason == "too_large"


def test_an_unknown_version_is_refused() -> None:
    frame = bytearray(encode_frame(MESSAGES[0]))
    frame[0] = 9
    with pytest.raises(SyncError) as caught:
        decode_frame(bytes(frame))
    assert caught.value.reason == "unsupported_version"


def test_a_wrong_field_type_is_malformed() -> None:
    body = codec.pack(["pull?", "epoch", [["revocations", "four"]], 0])
    with pytest.raises(SyncError) as caught:
        decode_frame(b"\x01\x00" + body)
    assert caught.value.reason == "malformed"


# -- request and reply signatures ------------------------------------------------------

BODY = b"\x01\x00frame"
NOW = 1_790_000_000_000


def signed(**changes: object) -> auth.SignedRequest:
    args = {"method": "POST", "path": "/sync/v1/push", "body": BODY, "timestamp_ms": NOW,
            "nonce": bytes(range(16))} | changes  # fmt: skip
    return auth.sign_request(KEY, "edge-1", **args)  # type: ignore[arg-type]


def check(request: auth.SignedRequest, **changes: object) -> None:
    args = {"method": "POST", "path": "/sync/v1/push", "body": BODY, "now_ms": NOW,
            "window_ms": 300_000} | changes  # fmt: skip
    auth.check_request(request, edge_public_key=KEY.public_key, **args)  # type: ignore[arg-type]


def test_a_good_request_passes() -> None:
    check(auth.parse_request_headers(signed().headers()))


@pytest.mark.parametrize(
    "tamper",
    [{"body": b"other"}, {"path": "/sync/v1/pull"}, {"method": "PUT"}],
    ids=["body", "path", "method"],
)
def test_a_request_signature_binds_method_path_and_body(tamper: dict[str, object]) -> None:
    with pytest.raises(SyncError) as caught:
        check(signed(), **tamper)
    assert caught.value.reason == "bad_signature"


def test_a_timestamp_outside_the_window_is_stale() -> None:
    with pytest.raises(SyncError) as caught:
        check(signed(timestamp_ms=NOW - 600_000))
    assert caught.value.reason == "stale_request"


def test_missing_headers_are_refused() -> None:
    headers = signed().headers()
    del headers[auth.H_SIGNATURE]
    with pytest.raises(SyncError) as caught:
        auth.parse_request_headers(headers)
    assert caught.value.reason == "missing_signature"


def test_a_reply_is_bound_to_its_request_nonce() -> None:
    root = SigningKey(bytes([7]) * 32)
    signature = auth.sign_reply(root, bytes(16), b"reply").hex()
    auth.check_reply(root.public_key, bytes(16), b"reply", signature)
    with pytest.raises(SyncError):
        auth.check_reply(root.public_key, bytes([1]) * 16, b"reply", signature)
    with pytest.raises(SyncError):
        auth.check_reply(KEY.public_key, bytes(16), b"reply", signature)


def test_the_enrolment_mac_needs_the_token() -> None:
    mac = auth.enrol_mac("secret-token", b"reply")
    auth.check_enrol_mac("secret-token", b"reply", mac)
    with pytest.raises(SyncError):
        auth.check_enrol_mac("another-token", b"reply", mac)
