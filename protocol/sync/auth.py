"""Who is speaking: signed requests, signed replies, signed log heads, the enrolment MAC.

* **Requests** (edge -> hub) are signed by the edge's enrolled Ed25519 key over
  method, path, SHA-256 of the body, a timestamp (the hub's time as the edge estimates
  it), a random nonce and the edge id. The hub refuses a timestamp outside its window
  (``stale_request``) and a nonce it has seen within the window (``replayed``).
* **Replies** to signed requests are signed by the hub's root key over the request's
  nonce and SHA-256 of the reply body, so an edge accepts only fresh replies from the
  hub whose key it pinned at enrolment (mDNS can be spoofed; this cannot).
* **Log heads**: a pushed range carries the edge's signature over (edge id, last seq,
  hash of the last event); the hash chain makes that one signature cover every event.
* **Enrolment** happens before the edge has a pinned key; the reply carries an
  HMAC-SHA256 keyed with the one-time token, so the edge knows the reply came from
  whoever issued the token.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from ..keys import SigningKey, verify_signature
from .frames import SyncError
from .messages import SyncReason

REQUEST_CONTEXT = b"borderpass/sync-request/v1\x00"
REPLY_CONTEXT = b"borderpass/sync-reply/v1\x00"
HEAD_CONTEXT = b"borderpass/log-head/v1\x00"
TIME_CONTEXT = b"borderpass/time/v1\x00"
NONCE_LEN = 16

H_EDGE = "X-Borderpass-Edge"
H_TIMESTAMP = "X-Borderpass-Timestamp"
H_NONCE = "X-Borderpass-Nonce"
H_SIGNATURE = "X-Borderpass-Signature"


@dataclass(frozen=True, slots=True)
class SignedRequest:
    edge_id: str
    timestamp_ms: int
    nonce: bytes
    signature: bytes

    def headers(self) -> dict[str, str]:
        return {
            H_EDGE: self.edge_id,
            H_TIMESTAMP: str(self.timestamp_ms),
            H_NONCE: self.nonce.hex(),
            H_SIGNATURE: self.signature.hex(),
        }


def request_message(
    method: str, path: str, body: bytes, timestamp_ms: int, nonce: bytes, edge_id: str
) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    text = f"{method.upper()}\n{path}\n{digest}\n{timestamp_ms}\n{nonce.hex()}\n{edge_id}"
    return text.encode("utf-8")


def sign_request(
    key: SigningKey,
    edge_id: str,
    method: str,
    path: str,
    body: bytes,
    timestamp_ms: int,
    nonce: bytes,
) -> SignedRequest:
    if len(nonce) != NONCE_LEN:
        raise ValueError(f"a nonce is {NONCE_LEN} bytes")
    message = request_message(method, path, body, timestamp_ms, nonce, edge_id)
    return SignedRequest(edge_id, timestamp_ms, nonce, key.sign(REQUEST_CONTEXT, message))


def parse_request_headers(headers: Mapping[str, str]) -> SignedRequest:
    """Read the signature headers; ``missing_signature`` or ``malformed`` if absent/bad."""
    values = [headers.get(h) for h in (H_EDGE, H_TIMESTAMP, H_NONCE, H_SIGNATURE)]
    if any(v is None for v in values):
        raise SyncError(SyncReason.MISSING_SIGNATURE, "sync requests must be signed")
    edge_id, timestamp, nonce, signature = (str(v) for v in values)
    try:
        parsed = SignedRequest(
            edge_id=edge_id[:64],
            timestamp_ms=int(timestamp),
            nonce=bytes.fromhex(nonce),
            signature=bytes.fromhex(signature),
        )
    except ValueError as exc:
        raise SyncError(SyncReason.MALFORMED, "bad signature headers") from exc
    if len(parsed.nonce) != NONCE_LEN or len(parsed.signature) != 64:
        raise SyncError(SyncReason.MALFORMED, "bad nonce or signature length")
    return parsed


def check_request(
    signed: SignedRequest,
    method: str,
    path: str,
    body: bytes,
    edge_public_key: bytes,
    now_ms: int,
    window_ms: int,
) -> None:
    """Refuse a bad signature or a timestamp outside the window. (Replays are the
    caller's to refuse: that needs the store of recently seen nonces.)"""
    message = request_message(method, path, body, signed.timestamp_ms, signed.nonce, signed.edge_id)
    if not verify_signature(edge_public_key, REQUEST_CONTEXT, message, signed.signature):
        raise SyncError(SyncReason.BAD_SIGNATURE, "request signature does not verify")
    if abs(now_ms - signed.timestamp_ms) > window_ms:
        raise SyncError(
            SyncReason.STALE_REQUEST,
            f"timestamp {signed.timestamp_ms} is {now_ms - signed.timestamp_ms} ms from hub time",
        )


def reply_message(nonce: bytes, body: bytes) -> bytes:
    return nonce + hashlib.sha256(body).digest()


def sign_reply(root: SigningKey, nonce: bytes, body: bytes) -> bytes:
    return root.sign(REPLY_CONTEXT, reply_message(nonce, body))


def check_reply(
    root_public_key: bytes, nonce: bytes, body: bytes, signature_hex: str | None
) -> None:
    """Refuse a reply not signed by the pinned hub for this very request."""
    try:
        signature = bytes.fromhex(signature_hex or "")
    except ValueError:
        signature = b""
    if not verify_signature(root_public_key, REPLY_CONTEXT, reply_message(nonce, body), signature):
        raise SyncError(SyncReason.WRONG_HUB, "reply not signed by the pinned hub key")


def head_message(edge_id: str, last_seq: int, last_hash: bytes) -> bytes:
    return edge_id.encode("utf-8") + b"\x00" + last_seq.to_bytes(8, "big") + last_hash


def time_message(nonce: bytes, hub_ms: int, epoch: str) -> bytes:
    return nonce + hub_ms.to_bytes(8, "big") + epoch.encode("utf-8")


def enrol_mac(token: str, body: bytes) -> str:
    return hmac.new(token.encode("utf-8"), body, hashlib.sha256).hexdigest()


def check_enrol_mac(token: str, body: bytes, mac: str | None) -> None:
    if mac is None or not hmac.compare_digest(enrol_mac(token, body), mac):
        raise SyncError(SyncReason.WRONG_HUB, "enrolment reply not authenticated by the token")
