"""Frames: sync messages as bytes, and back, strictly.

::

    frame = version:u8  flags:u8  body
    flags = bit 0 set: body is raw deflate; other bits 0
    body  = msgpack array [type, field, field, ...]   (positional, per type below)

A decoder refuses, with :class:`SyncError` and a reason code, a frame over
:data:`MAX_FRAME_BYTES`, a body that inflates past :data:`MAX_INFLATED_BYTES`, an
unknown version or type, and any field of the wrong type or size. The hub accepts every
version in :data:`ACCEPTED_VERSIONS` (the current and the previous one once there is a
previous one) and answers in the version it was spoken to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import codec
from ..errors import ProtocolError
from .messages import (
    Cursor,
    DatasetChanges,
    EnrolReply,
    EnrolRequest,
    Entry,
    ErrorReply,
    Message,
    PullReply,
    PullRequest,
    PushReply,
    PushRequest,
    SyncReason,
    TimeReply,
    TimeRequest,
)

CURRENT_VERSION = 1
ACCEPTED_VERSIONS = (1,)
"""v1 is the first version; when v2 comes, v1 stays accepted for one version more."""
FLAG_DEFLATED = 0x01
DEFLATE_ABOVE = 1024
DEFLATE_LEVEL = 1
"""Frames are deflated fast: a catch-up frame is hundreds of kilobytes, and level 9
costs ten times the time for a few percent of the size."""
MAX_FRAME_BYTES = 8 * 1024 * 1024
MAX_INFLATED_BYTES = 32 * 1024 * 1024
MAX_EVENTS = 20_000
MAX_ENTRIES = 100_000
MAX_DATASETS = 16
_U63 = 2**63 - 1
_NONCE_LEN = 16
_KEY_LEN = 32
_SIG_LEN = 64


class SyncError(ProtocolError):
    """A sync frame or request was refused; ``reason`` is a :class:`SyncReason`."""


E = SyncError


def _int(v: object, what: str, lo: int = 0, hi: int = _U63) -> int:
    return codec.expect_int(v, what, E, lo, hi)


def _str(v: object, what: str, n: int = 64) -> str:
    return codec.expect_str(v, what, E, n)


def _bin(v: object, what: str, n: int) -> bytes:
    return codec.expect_bytes(v, what, E, n)


def _blob(v: object, what: str, max_len: int) -> bytes:
    if not isinstance(v, bytes) or len(v) > max_len:
        codec.fail(E, f"{what}: expected at most {max_len} bytes")
    return v


# -- encoders: message -> positional list ------------------------------------------------


def _fields(msg: Message) -> list[Any]:
    if isinstance(msg, TimeRequest):
        return ["time?", msg.nonce]
    if isinstance(msg, TimeReply):
        return [
            "time",
            msg.nonce,
            msg.hub_ms,
            msg.epoch,
            list(msg.versions),
            msg.root_public_key,
            msg.signature,
        ]
    if isinstance(msg, EnrolRequest):
        return ["enrol?", msg.token, msg.public_key, msg.software]
    if isinstance(msg, EnrolReply):
        return ["enrol", msg.edge_id, msg.site_id, msg.root_public_key, msg.epoch, msg.hub_ms]
    if isinstance(msg, PushRequest):
        return [
            "push?",
            msg.epoch_seen,
            msg.floor_seq,
            list(msg.events),
            msg.head_signature,
            msg.edge_hlc,
            msg.edge_offset_ms,
            msg.pending,
            msg.trust_version,
        ]
    if isinstance(msg, PushReply):
        return ["push", msg.epoch, msg.acked_seq, msg.hub_ms, msg.hub_hlc]
    if isinstance(msg, PullRequest):
        return [
            "pull?",
            msg.epoch_seen,
            [[c.dataset, c.version] for c in msg.cursors],
            msg.edge_hlc,
        ]
    if isinstance(msg, PullReply):
        return [
            "pull",
            msg.epoch,
            msg.hub_ms,
            msg.hub_hlc,
            [
                [
                    d.dataset,
                    d.reset,
                    d.to_version,
                    [[e.key, e.value] for e in d.entries],
                    d.digest,
                    d.more,
                ]
                for d in msg.datasets
            ],
        ]
    if isinstance(msg, ErrorReply):
        return ["error", msg.reason, msg.detail, msg.hub_ms]
    raise TypeError(f"not a sync message: {msg!r}")


def encode_frame(msg: Message, version: int = CURRENT_VERSION) -> bytes:
    body = codec.pack(_fields(msg))
    if len(body) > DEFLATE_ABOVE:
        deflated = codec.deflate(body, DEFLATE_LEVEL)
        if len(deflated) < len(body):
            return bytes([version, FLAG_DEFLATED]) + deflated
    return bytes([version, 0]) + body


# -- decoders: positional tuple -> message -----------------------------------------------


def _time_request(a: tuple[Any, ...]) -> TimeRequest:
    (nonce,) = codec.expect_tuple(a, 1, "time?", E)
    return TimeRequest(_bin(nonce, "nonce", _NONCE_LEN))


def _time_reply(a: tuple[Any, ...]) -> TimeReply:
    nonce, hub_ms, epoch, versions, root, sig = codec.expect_tuple(a, 6, "time", E)
    return TimeReply(
        nonce=_bin(nonce, "nonce", _NONCE_LEN),
        hub_ms=_int(hub_ms, "hub_ms"),
        epoch=_str(epoch, "epoch"),
        versions=tuple(_int(v, "version", 0, 255) for v in codec.expect_array(versions, "v", E, 8)),
        root_public_key=_bin(root, "root key", _KEY_LEN),
        signature=_bin(sig, "signature", _SIG_LEN),
    )


def _enrol_request(a: tuple[Any, ...]) -> EnrolRequest:
    token, public_key, software = codec.expect_tuple(a, 3, "enrol?", E)
    return EnrolRequest(
        token=_str(token, "token", 128),
        public_key=_bin(public_key, "public key", _KEY_LEN),
        software=_str(software, "software", 128),
    )


def _enrol_reply(a: tuple[Any, ...]) -> EnrolReply:
    edge_id, site_id, root, epoch, hub_ms = codec.expect_tuple(a, 5, "enrol", E)
    return EnrolReply(
        edge_id=_str(edge_id, "edge_id"),
        site_id=_str(site_id, "site_id"),
        root_public_key=_bin(root, "root key", _KEY_LEN),
        epoch=_str(epoch, "epoch"),
        hub_ms=_int(hub_ms, "hub_ms"),
    )


def _push_request(a: tuple[Any, ...]) -> PushRequest:
    epoch, floor, events, head_sig, hlc, offset, pending, trust = codec.expect_tuple(
        a, 8, "push?", E
    )
    events = codec.expect_array(events, "events", E, MAX_EVENTS)
    return PushRequest(
        epoch_seen=_str(epoch, "epoch"),
        floor_seq=_int(floor, "floor_seq", 1),
        events=tuple(_blob(ev, "event", 4096) for ev in events),
        head_signature=_bin(head_sig, "head signature", _SIG_LEN),
        edge_hlc=_int(hlc, "edge_hlc"),
        edge_offset_ms=_int(offset, "edge_offset_ms", -_U63, _U63),
        pending=_int(pending, "pending"),
        trust_version=_int(trust, "trust_version"),
    )


def _push_reply(a: tuple[Any, ...]) -> PushReply:
    epoch, acked, hub_ms, hub_hlc = codec.expect_tuple(a, 4, "push", E)
    return PushReply(
        _str(epoch, "epoch"), _int(acked, "acked"), _int(hub_ms, "hub_ms"), _int(hub_hlc, "hub_hlc")
    )


def _pull_request(a: tuple[Any, ...]) -> PullRequest:
    epoch, cursors, hlc = codec.expect_tuple(a, 3, "pull?", E)
    parsed = []
    for c in codec.expect_array(cursors, "cursors", E, MAX_DATASETS):
        dataset, version = codec.expect_tuple(c, 2, "cursor", E)
        parsed.append(Cursor(_str(dataset, "dataset", 32), _int(version, "version")))
    return PullRequest(_str(epoch, "epoch"), tuple(parsed), _int(hlc, "edge_hlc"))


def _dataset_changes(d: object) -> DatasetChanges:
    dataset, reset, to_version, entries, digest, more = codec.expect_tuple(d, 6, "dataset", E)
    parsed = []
    for item in codec.expect_array(entries, "entries", E, MAX_ENTRIES):
        key, value = codec.expect_tuple(item, 2, "entry", E)
        parsed.append(
            Entry(_str(key, "key", 128), None if value is None else _blob(value, "value", 1 << 20))
        )
    return DatasetChanges(
        dataset=_str(dataset, "dataset", 32),
        reset=codec.expect_bool(reset, "reset", E),
        to_version=_int(to_version, "to_version"),
        entries=tuple(parsed),
        digest=_bin(digest, "digest", 32),
        more=codec.expect_bool(more, "more", E),
    )


def _pull_reply(a: tuple[Any, ...]) -> PullReply:
    epoch, hub_ms, hub_hlc, datasets = codec.expect_tuple(a, 4, "pull", E)
    return PullReply(
        epoch=_str(epoch, "epoch"),
        hub_ms=_int(hub_ms, "hub_ms"),
        hub_hlc=_int(hub_hlc, "hub_hlc"),
        datasets=tuple(
            _dataset_changes(d) for d in codec.expect_array(datasets, "datasets", E, MAX_DATASETS)
        ),
    )


def _error_reply(a: tuple[Any, ...]) -> ErrorReply:
    reason, detail, hub_ms = codec.expect_tuple(a, 3, "error", E)
    return ErrorReply(_str(reason, "reason"), _str(detail, "detail", 1024), _int(hub_ms, "hub_ms"))


_DECODERS: dict[str, Callable[[tuple[Any, ...]], Message]] = {
    "time?": _time_request,
    "time": _time_reply,
    "enrol?": _enrol_request,
    "enrol": _enrol_reply,
    "push?": _push_request,
    "push": _push_reply,
    "pull?": _pull_request,
    "pull": _pull_reply,
    "error": _error_reply,
}


def decode_frame(data: bytes) -> tuple[int, Message]:
    """Return (version, message); raise :class:`SyncError` on anything else."""
    if len(data) > MAX_FRAME_BYTES:
        raise SyncError(SyncReason.TOO_LARGE, f"frame over {MAX_FRAME_BYTES} bytes")
    if len(data) < 3:
        raise SyncError(SyncReason.MALFORMED, "frame too short")
    version, flags, body = data[0], data[1], data[2:]
    if version not in ACCEPTED_VERSIONS:
        raise SyncError(SyncReason.UNSUPPORTED_VERSION, f"version {version}")
    if flags & ~FLAG_DEFLATED:
        raise SyncError(SyncReason.MALFORMED, f"unknown flags {flags:#04x}")
    if flags & FLAG_DEFLATED:
        body = codec.inflate(body, max_bytes=MAX_INFLATED_BYTES, error=SyncError)
    raw = codec.unpack(body, max_bytes=MAX_INFLATED_BYTES, error=SyncError, max_items=MAX_ENTRIES)
    if not isinstance(raw, tuple) or not raw or not isinstance(raw[0], str):
        raise SyncError(SyncReason.MALFORMED, "frame body must be [type, ...]")
    decoder = _DECODERS.get(raw[0])
    if decoder is None:
        raise SyncError(SyncReason.MALFORMED, f"unknown frame type {raw[0][:32]!r}")
    return version, decoder(raw[1:])


def decode_as(data: bytes, kind: type[Message]) -> Message:
    """Decode a frame that must be of type ``kind`` (or an :class:`ErrorReply`)."""
    _, msg = decode_frame(data)
    if not isinstance(msg, (kind, ErrorReply)):
        raise SyncError(SyncReason.MALFORMED, f"expected {kind.__name__}, got {type(msg).__name__}")
    return msg
