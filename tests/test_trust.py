"""The trust list: the pinned root's signature, parsing, bundles, and key rotation."""

from __future__ import annotations

from datetime import timedelta

import msgpack
import pytest
from factories import (
    DAY_S,
    ISSUED_AT,
    NOW_MS,
    NOW_S,
    TODAY,
    Issuer,
    key_from_label,
    make_trust_list,
    scan,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.days import end_of_day_ms
from protocol.errors import CredentialError, DecodeReason
from protocol.keys import SIGNATURE_LEN, fingerprint, key_id_for
from protocol.reasons import Reason
from protocol.trust import (
    BUNDLE_MAGIC,
    MAX_TRUST_BYTES,
    TRUST_CONTEXT,
    IssuerKey,
    TrustList,
    choose_issuer_key,
    decode_trust_bundle,
    decode_trust_list,
    encode_trust_bundle,
)

ROOT = key_from_label("trust/root")


def issuer_key(label: str, not_before: int, not_after: int, *scope: str) -> IssuerKey:
    return IssuerKey(
        key_from_label(label).public_key, not_before, not_after, scope or ("dongxing",)
    )


def refused(data: bytes, root: bytes = ROOT.public_key) -> str:
    with pytest.raises(CredentialError) as info:
        decode_trust_list(data, root)
    return info.value.reason


def root_signed(body: object) -> bytes:
    """Any body, properly signed by ROOT: tests the parser behind the signature."""
    packed = msgpack.packb(body, use_bin_type=True)
    return packed + ROOT.sign(TRUST_CONTEXT, packed)


# -- signature and parsing ------------------------------------------------------------


def test_signed_list_decodes_to_the_same_list() -> None:
    keys = (
        issuer_key("a", 0, 10**9, "dongxing", "fangchenggang"),
        issuer_key("b", 10**9, 2 * 10**9, "dongxing/jiangping"),
    )
    trust, signed = make_trust_list(ROOT, *keys, version=7, issued_at=123_456)
    decoded = decode_trust_list(signed, ROOT.public_key)
    assert decoded == trust
    assert (decoded.version, decoded.issued_at) == (7, 123_456)
    assert decoded.keys == keys
    assert decoded.keys[0].scope == ("dongxing", "fangchenggang")
    assert (decoded.keys[1].not_before, decoded.keys[1].not_after) == (10**9, 2 * 10**9)
    assert decoded.keys_with_id(keys[1].key_id) == (keys[1],)


def test_empty_list_is_valid() -> None:
    _, signed = make_trust_list(ROOT, version=1)
    assert decode_trust_list(signed, ROOT.public_key).keys == ()


def test_list_signed_by_another_root_is_refused(issuer: Issuer) -> None:
    forger = key_from_label("forger")
    trust = TrustList(version=99, issued_at=0, keys=(issuer.issuer_key,))
    assert refused(trust.sign(forger)) == DecodeReason.BAD_SIGNATURE


def test_tampered_list_is_refused() -> None:
    _, signed = make_trust_list(ROOT, issuer_key("a", 0, 10**9))
    for index in range(len(signed)):
        tampered = bytearray(signed)
        tampered[index] ^= 0x04
        assert refused(bytes(tampered)) == DecodeReason.BAD_SIGNATURE


def test_signature_from_another_context_is_refused() -> None:
    trust = TrustList(version=1, issued_at=0, keys=())
    body = trust.sign(ROOT)[:-SIGNATURE_LEN]
    from protocol.credential import PERMIT_CONTEXT

    assert refused(body + ROOT.sign(PERMIT_CONTEXT, body)) == DecodeReason.BAD_SIGNATURE


def test_size_limits() -> None:
    assert refused(b"") == DecodeReason.MALFORMED
    assert refused(bytes(SIGNATURE_LEN)) == DecodeReason.MALFORMED
    assert refused(bytes(MAX_TRUST_BYTES + 1)) == DecodeReason.TOO_LARGE


@pytest.mark.parametrize(
    "body",
    [
        b"not msgpack at all",
        [],
        [1, 2],
        [1, 0, [], "extra"],
        ["1", 0, []],
        [1, 0, "keys"],
        [-1, 0, []],
        [1, 0, [[bytes(31), 0, 1, ["dongxing"]]]],
        [1, 0, [[bytes(32), 5, 4, ["dongxing"]]]],
        [1, 0, [[bytes(32), 0, 1, []]]],
        [1, 0, [[bytes(32), 0, 1, ["Dongxing"]]]],
        [1, 0, [[bytes(32), 0, 1, "dongxing"]]],
        [1, 0, [[bytes(32), 0, 1]]],
        [1, 0, [[bytes(32), True, 1, ["dongxing"]]]],
        [1, 0, [[bytes(32), 0, 2**62, ["dongxing"]]]],
    ],
)
def test_root_signed_nonsense_is_malformed(body: object) -> None:
    data = (
        root_signed(body) if not isinstance(body, bytes) else body + ROOT.sign(TRUST_CONTEXT, body)
    )
    assert refused(data) == DecodeReason.MALFORMED


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_any_root_signed_bytes_raise_only_credential_error(body: bytes) -> None:
    try:
        decode_trust_list(body + ROOT.sign(TRUST_CONTEXT, body), ROOT.public_key)
    except CredentialError as exc:
        assert exc.reason in {DecodeReason.MALFORMED, DecodeReason.TOO_LARGE}


def test_key_id_and_fingerprint() -> None:
    key = key_from_label("fp")
    assert key.key_id == key_id_for(key.public_key)
    assert len(key.key_id) == 8
    parts = fingerprint(key.public_key).split("-")
    assert [len(p) for p in parts] == [4, 4, 4, 4]
    assert fingerprint(key.public_key) != fingerprint(ROOT.public_key)
    assert "seed" not in repr(key)
    assert key.seed.hex() not in repr(key)


def test_issuer_key_rules() -> None:
    public = key_from_label("rules").public_key
    with pytest.raises(ValueError):
        IssuerKey(public[:31], 0, 1, ("dongxing",))
    with pytest.raises(ValueError):
        IssuerKey(public, 2, 1, ("dongxing",))
    with pytest.raises(ValueError):
        IssuerKey(public, 0, 1, ())
    with pytest.raises(ValueError):
        IssuerKey(public, 0, 1, ("not a zone",))
    key = IssuerKey(public, 10, 20, ("dongxing", "fangchenggang/gangkou-park"))
    assert [key.valid_at(t) for t in (9, 10, 20, 21)] == [False, True, True, False]
    assert key.covers("dongxing")
    assert key.covers("dongxing/jiangping")
    assert key.covers("fangchenggang/gangkou-park")
    assert not key.covers("fangchenggang")
    assert not key.covers("fangchenggang/fangcheng-park")
    assert not key.covers("dongxingx")


# -- bundles ----------------------------------------------------------------------------


def test_bundle_round_trip(issuer: Issuer) -> None:
    root, trust, signed = decode_trust_bundle(issuer.bundle())
    assert root == issuer.root_public_key
    assert trust == issuer.trust
    assert signed == issuer.signed_trust
    assert scan(trust, issuer.issue(), "dongxing-port", "in").reasons == ()


def test_bundle_refusals(issuer: Issuer) -> None:
    def bundle_refused(data: bytes) -> str:
        with pytest.raises(CredentialError) as info:
            decode_trust_bundle(data)
        return info.value.reason

    good_root, signed = issuer.root_public_key, issuer.signed_trust
    other_root = key_from_label("someone else").public_key
    pack = msgpack.packb
    assert bundle_refused(b"\xc1") == DecodeReason.MALFORMED
    assert bundle_refused(pack(["borderpass-trust-bundle/v2", good_root, signed])) == (
        DecodeReason.UNSUPPORTED_VERSION
    )
    assert bundle_refused(pack([BUNDLE_MAGIC, good_root[:16], signed])) == DecodeReason.MALFORMED
    assert bundle_refused(pack([BUNDLE_MAGIC, good_root, "signed"])) == DecodeReason.MALFORMED
    assert bundle_refused(pack([BUNDLE_MAGIC, good_root])) == DecodeReason.MALFORMED
    # a bundle naming a root that did not sign its list
    assert bundle_refused(encode_trust_bundle(other_root, signed)) == DecodeReason.BAD_SIGNATURE


# -- rotation -------------------------------------------------------------------------------

T0 = NOW_S
OLD = issuer_key("rotation/old", T0 - 400 * DAY_S, T0 + 100 * DAY_S, "dongxing", "fangchenggang")
NEW = issuer_key("rotation/new", T0 + 30 * DAY_S, T0 + 900 * DAY_S, "dongxing", "fangchenggang")


def test_choose_issuer_key_before_the_new_key_starts() -> None:
    # the new key is listed (so every edge has it) but not yet valid: sign with the old
    assert choose_issuer_key([OLD, NEW], T0, T0 + 60 * DAY_S) == OLD
    # a permit that would outlive the old key cannot be signed yet
    assert choose_issuer_key([OLD, NEW], T0, T0 + 150 * DAY_S) is None


def test_choose_issuer_key_once_the_new_key_is_valid() -> None:
    assert choose_issuer_key([OLD, NEW], T0 + 30 * DAY_S, T0 + 60 * DAY_S) == NEW
    assert choose_issuer_key([NEW, OLD], T0 + 30 * DAY_S, T0 + 200 * DAY_S) == NEW
    assert choose_issuer_key([OLD], T0 + 101 * DAY_S, T0 + 102 * DAY_S) is None
    assert choose_issuer_key([], T0, T0) is None


def rotation_issuer(label: str, key: IssuerKey, trust: TrustList) -> Issuer:
    return Issuer(ROOT, key_from_label(label), key, trust, trust.sign(ROOT))


def test_rotation_end_to_end() -> None:
    """Old permits keep verifying while the old key is listed; new ones verify with
    the new key from its first day; after the old key leaves the list its permits (all
    expired by then) are unknown."""
    both, _ = make_trust_list(ROOT, OLD, NEW, version=2)
    old = rotation_issuer("rotation/old", OLD, both)
    new = rotation_issuer("rotation/new", NEW, both)
    old_qr = old.issue(issued_at=T0 - DAY_S, valid_until=TODAY + timedelta(days=60))
    assert scan(old, old_qr, "dongxing-port", "in").reasons == ()
    # signed with the new key before its window: refused
    early = new.issue(issued_at=T0, valid_until=TODAY + timedelta(days=60))
    assert scan(new, early, "dongxing-port", "in").reasons == (Reason.KEY_NOT_VALID,)
    # from its first day on
    day_30 = NOW_MS + 30 * DAY_S * 1000
    first = new.issue(
        issued_at=T0 + 30 * DAY_S,
        valid_from=TODAY + timedelta(days=30),
        valid_until=TODAY + timedelta(days=200),
    )
    assert scan(new, first, "dongxing-port", "in", day_30).reasons == ()
    assert scan(old, old_qr, "dongxing-port", "in", day_30).reasons == ()
    # the old key leaves the list after its last permit expired
    only_new, _ = make_trust_list(ROOT, NEW, version=3)
    later = NOW_MS + 101 * DAY_S * 1000
    assert scan(only_new, old_qr, "dongxing-port", "out", later).reasons == (Reason.UNKNOWN_KEY,)
    assert scan(only_new, first, "dongxing-port", "in", later).reasons == ()


def test_a_permit_cannot_outlive_its_key() -> None:
    trust, _ = make_trust_list(ROOT, OLD, NEW, version=2)
    old = rotation_issuer("rotation/old", OLD, trust)
    outliving = old.issue(issued_at=T0, valid_until=TODAY + timedelta(days=150))
    assert end_of_day_ms(TODAY + timedelta(days=150)) // 1000 > OLD.not_after
    verdict = scan(old, outliving, "dongxing-port", "in")
    assert verdict.reasons == (Reason.KEY_NOT_VALID,)


def test_a_key_still_listed_past_its_window_signs_nothing_new() -> None:
    trust, _ = make_trust_list(ROOT, OLD, version=2)
    old = rotation_issuer("rotation/old", OLD, trust)
    qr = old.issue(issued_at=OLD.not_after + 1, valid_from=TODAY + timedelta(days=100))
    later = NOW_MS + 101 * DAY_S * 1000
    assert Reason.KEY_NOT_VALID in scan(old, qr, "dongxing-port", "in", later).reasons


def test_versions_order_lists() -> None:
    older = decode_trust_list(make_trust_list(ROOT, OLD, version=4)[1], ROOT.public_key)
    newer = decode_trust_list(make_trust_list(ROOT, OLD, NEW, version=5)[1], ROOT.public_key)
    assert newer.version > older.version
    assert newer.issued_at == ISSUED_AT
