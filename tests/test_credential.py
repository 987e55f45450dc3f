"""The permit credential: round trips, fuzzing, bombs, truncation, versions, key id
collisions and tampering. Untrusted text only ever raises ``CredentialError`` from
``decode_permit``, and ``decide()`` never raises at all."""

from __future__ import annotations

import hashlib
import time
import unicodedata
from datetime import date, timedelta

import msgpack
import pytest
from factories import ISSUED_AT, Issuer, make_issuer, make_permit, make_worker, scan
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from protocol import codec
from protocol.base45 import ALPHABET, b45decode, b45encode
from protocol.credential import (
    FLAG_DEFLATED,
    MAX_INFLATED_LEN,
    MAX_TEXT_LEN,
    PREFIX,
    decode_permit,
    encode_claims,
    encode_permit,
    verify_permit,
)
from protocol.errors import CredentialError, DecodeReason
from protocol.keys import SIGNATURE_LEN
from protocol.permit import MAX_PERMIT_DAYS, Permit, Sex, Worker
from protocol.reasons import EFFECT, Effect, Reason
from protocol.sites import default_site_map
from protocol.trust import IssuerKey, TrustList
from protocol.verdict import Outcome

ISSUER = make_issuer()
"""Module-level for Hypothesis tests (fixtures are not reset between examples)."""
SITE_ZONES = sorted(default_site_map().zones)
HYPOTHESIS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VIETNAMESE_LETTERS = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
)
VIETNAMESE = VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper()
CHINESE = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)


def words(letters: st.SearchStrategy[str], max_words: int, max_len: int) -> st.SearchStrategy[str]:
    word = st.text(letters, min_size=1, max_size=max_len)
    return st.lists(word, min_size=1, max_size=max_words).map(" ".join)


vietnamese_names = words(st.sampled_from(VIETNAMESE), 5, 7)
chinese_names = st.text(CHINESE, min_size=1, max_size=6)
identifiers = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,31}", fullmatch=True)
dates = st.dates(min_value=date(1970, 1, 1), max_value=date(2200, 12, 31))


@st.composite
def workers(draw: st.DrawFn, name_strategy: st.SearchStrategy[str] = vietnamese_names) -> Worker:
    name = draw(st.one_of(name_strategy, chinese_names))
    if draw(st.booleans()):  # the same name typed in decomposed form
        name = unicodedata.normalize("NFD", name)
    return Worker.create(
        name=name,
        border_pass_no=draw(identifiers),
        birth_date=draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1))),
        sex=draw(st.sampled_from(list(Sex))),
        name_zh=draw(st.none() | chinese_names),
    )


SITE_ZONE_LISTS = st.lists(st.sampled_from(SITE_ZONES), min_size=1, max_size=4, unique=True)


@st.composite
def permits(
    draw: st.DrawFn,
    zones: st.SearchStrategy[list[str]] | None = None,
    worker_strategy: st.SearchStrategy[Worker] | None = None,
    issued_at: st.SearchStrategy[int] | None = None,
) -> Permit:
    """Valid claims: site-map zones, Vietnamese or Chinese names, a realistic
    ``issued_at`` unless other strategies are given."""
    zones = SITE_ZONE_LISTS if zones is None else zones
    worker_strategy = workers() if worker_strategy is None else worker_strategy
    issued_at = st.integers(0, 2**34) if issued_at is None else issued_at
    valid_from = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2150, 1, 1)))
    term = draw(st.integers(1, MAX_PERMIT_DAYS))
    return Permit(
        permit_id=draw(identifiers),
        worker=draw(worker_strategy),
        employer_id=draw(identifiers),
        zones=tuple(draw(zones)),
        valid_from=valid_from,
        valid_until=valid_from + timedelta(days=term - 1),
        health_cert_until=draw(dates),
        insurance_until=draw(dates),
        single_exit=draw(st.booleans()),
        issued_at=draw(issued_at),
        key_id=ISSUER.key.key_id,
    )


# -- round trips --------------------------------------------------------------------------


def test_round_trip(issuer: Issuer) -> None:
    permit = issuer.permit()
    text = encode_permit(permit, issuer.key)
    assert text.startswith(PREFIX)
    assert set(text[len(PREFIX) :]) <= set(ALPHABET)
    signed = decode_permit(text)
    assert signed.permit == permit
    assert signed.claims == encode_claims(permit)
    assert verify_permit(signed, issuer.trust) == issuer.issuer_key


def test_a_typical_permit_is_short(issuer: Issuer) -> None:
    assert len(issuer.issue()) < 300


@HYPOTHESIS
@given(permits())
def test_any_valid_claims_round_trip(permit: Permit) -> None:
    text = encode_permit(permit, ISSUER.key)
    assert len(text) <= MAX_TEXT_LEN
    signed = decode_permit(text)
    assert signed.permit == permit
    assert verify_permit(signed, ISSUER.trust) == ISSUER.issuer_key


zone_paths = st.from_regex(
    r"[a-z0-9][a-z0-9\-]{0,20}(/[a-z0-9][a-z0-9\-]{0,20}){0,2}", fullmatch=True
)
long_names = st.text(
    st.characters(codec="utf-8", exclude_categories=("C", "Z")), min_size=1, max_size=80
)


@HYPOTHESIS
@given(
    permits(
        zones=st.lists(zone_paths, min_size=1, max_size=8, unique=True),
        worker_strategy=workers(long_names),
        issued_at=st.integers(0, 2**63),
    )
)
def test_any_permit_either_round_trips_or_is_refused_at_encoding(permit: Permit) -> None:
    """Permit's rules allow claims too large for a QR text or outside the wire limits;
    the encoder says so rather than printing a code every verifier refuses."""
    try:
        text = encode_permit(permit, ISSUER.key)
    except ValueError as exc:
        assert "too large" in str(exc) or "limits" in str(exc)
        return
    assert decode_permit(text).permit == permit


def test_oversized_permit_is_refused_at_encoding(issuer: Issuer) -> None:
    rare = "".join(chr(0x20000 + (7919 * i) % 40000) for i in range(80))
    worker = make_worker(name=rare, name_zh=rare[::-1])
    zones = tuple("z" + hashlib.sha256(bytes([i])).hexdigest()[:60] for i in range(8))
    with pytest.raises(ValueError, match="too large"):
        issuer.issue(worker=worker, zones=zones)


@pytest.mark.parametrize(
    "overrides",
    [
        {"issued_at": 253_402_300_800},
        {"valid_from": date(1969, 12, 31)},
        {"health_cert_until": date(1969, 12, 31)},
        {"worker": make_worker(birth_date=date(1800, 1, 1))},
    ],
)
def test_claims_outside_the_wire_limits_are_refused_at_encoding(
    issuer: Issuer, overrides: dict[str, object]
) -> None:
    with pytest.raises(ValueError, match="limits"):
        issuer.issue(**overrides)


def test_names_are_kept_exactly(issuer: Issuer) -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Hoa")
    worker = make_worker(name=decomposed, name_zh="阮氏花")
    signed = decode_permit(issuer.issue(worker=worker))
    assert signed.permit.worker.name == "Nguyễn Thị Hoa"
    assert signed.permit.worker.name_zh == "阮氏花"
    no_zh = decode_permit(issuer.issue(worker=make_worker(name_zh=None)))
    assert no_zh.permit.worker.name_zh is None


def test_scanner_line_ending_is_accepted(issuer: Issuer) -> None:
    text = issuer.issue()
    assert decode_permit(text + "\r\n").permit == decode_permit(text).permit
    assert decode_permit("\t" + text + "\n").permit == decode_permit(text).permit


# -- the deflate flag -------------------------------------------------------------------


def body_of(text: str) -> bytes:
    return b45decode(text[len(PREFIX) :])


def test_deflate_only_when_smaller(issuer: Issuer) -> None:
    terse = issuer.permit(
        worker=make_worker(name="A", name_zh=None, border_pass_no="B1"),
        permit_id="P1",
        employer_id="E1",
        zones=("dongxing",),
    )
    headers = set()
    for permit in [issuer.permit(), terse]:
        text = encode_permit(permit, issuer.key)
        body = body_of(text)
        signed = decode_permit(text)
        payload = signed.claims + signed.signature
        smaller = len(codec.deflate(payload)) < len(payload)
        assert body[0] == (FLAG_DEFLATED if smaller else 0)
        assert len(body) == 1 + min(len(payload), len(codec.deflate(payload)))
        headers.add(body[0])
    assert headers == {0, FLAG_DEFLATED}  # a terse permit does not shrink: sent plain


def test_both_forms_decode_to_the_same_claims(issuer: Issuer) -> None:
    text = issuer.issue()
    signed = decode_permit(text)
    plain = PREFIX + b45encode(b"\x00" + signed.claims + signed.signature)
    packed = PREFIX + b45encode(
        bytes([FLAG_DEFLATED]) + codec.deflate(signed.claims + signed.signature)
    )
    for form in (plain, packed):
        again = decode_permit(form)
        assert again.permit == signed.permit
        assert verify_permit(again, issuer.trust) == issuer.issuer_key


def test_unknown_header_bits_are_malformed(issuer: Issuer) -> None:
    signed = decode_permit(issuer.issue())
    for header in (0x02, 0x80, 0x03):
        text = PREFIX + b45encode(bytes([header]) + signed.claims + signed.signature)
        assert refusal(text) == DecodeReason.MALFORMED


# -- refusals ---------------------------------------------------------------------------


def refusal(text: object) -> str:
    with pytest.raises(CredentialError) as info:
        decode_permit(text)
    return info.value.reason


def test_every_truncation_is_malformed(issuer: Issuer) -> None:
    text = issuer.issue()
    for end in range(len(text)):
        assert refusal(text[:end]) == DecodeReason.MALFORMED, end
        assert scan(issuer, text[:end], "dongxing-port", "in").outcome is Outcome.DENY


def test_truncated_plain_body_is_malformed(issuer: Issuer) -> None:
    signed = decode_permit(issuer.issue())
    payload = signed.claims + signed.signature
    for end in range(0, len(payload), 7):
        assert refusal(PREFIX + b45encode(b"\x00" + payload[:end])) == DecodeReason.MALFORMED


def test_trailing_data_is_malformed(issuer: Issuer) -> None:
    signed = decode_permit(issuer.issue())
    payload = codec.deflate(signed.claims + signed.signature) + b"\x00"
    assert refusal(PREFIX + b45encode(b"\x01" + payload)) == DecodeReason.MALFORMED


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        ("BP2:", DecodeReason.UNSUPPORTED_VERSION),
        ("BP0:", DecodeReason.UNSUPPORTED_VERSION),
        ("BP10:", DecodeReason.UNSUPPORTED_VERSION),
        ("BP999:", DecodeReason.UNSUPPORTED_VERSION),
        ("BP1000:", DecodeReason.MALFORMED),
        ("bp1:", DecodeReason.MALFORMED),
        ("HC1:", DecodeReason.MALFORMED),
        ("BP1", DecodeReason.MALFORMED),
        (" BP1:", DecodeReason.MALFORMED),
        ("", DecodeReason.MALFORMED),
    ],
)
def test_version_prefix(issuer: Issuer, prefix: str, reason: str) -> None:
    rest = issuer.issue()[len(PREFIX) :]
    assert refusal(prefix + rest) == reason


def test_non_text_input_is_malformed() -> None:
    for value in (None, 42, b"BP1:ABC", ["BP1:"], object()):
        assert refusal(value) == DecodeReason.MALFORMED


def test_too_long_text_is_refused_before_decoding() -> None:
    assert refusal(PREFIX + "0" * MAX_TEXT_LEN) == DecodeReason.TOO_LARGE
    assert refusal("x" * (MAX_TEXT_LEN + 1)) == DecodeReason.TOO_LARGE


def test_decompression_bomb_is_refused_quickly() -> None:
    bomb = PREFIX + b45encode(bytes([FLAG_DEFLATED]) + codec.deflate(bytes(600_000)))
    assert len(bomb) <= MAX_TEXT_LEN  # it gets past the length check
    started = time.perf_counter()
    for _ in range(10):
        assert refusal(bomb) == DecodeReason.TOO_LARGE
    # a sanity bound, not a benchmark: inflating stops at the cap, far below a second
    assert time.perf_counter() - started < 1.0


def test_inflated_size_cap_is_exact() -> None:
    def inflates_to(n: int) -> str:
        return PREFIX + b45encode(bytes([FLAG_DEFLATED]) + codec.deflate(bytes(n)))

    # at the cap: inflated, then refused for what it is (zeros are not msgpack claims)
    assert refusal(inflates_to(MAX_INFLATED_LEN)) == DecodeReason.MALFORMED
    assert refusal(inflates_to(MAX_INFLATED_LEN + 1)) == DecodeReason.TOO_LARGE


@pytest.mark.parametrize(
    "claims",
    [
        [],
        ["P1"] * 11,
        ["P1", ["Hoa", None, "B1", 9000, "F"], "E1", ["dongxing"], 1, 2, 3, 4, 0, 5],
        ["P1", ["", None, "B1", 9000, "F"], "E1", ["dongxing"], 1, 2, 3, 4, 0, 5, bytes(8)],
        ["P1", ["Hoa", None, "B1", 9000, "Q"], "E1", ["dongxing"], 1, 2, 3, 4, 0, 5, bytes(8)],
        ["P1", ["Hoa", None, "B1", 9000, "F"], "E1", ["Dongxing"], 1, 2, 3, 4, 0, 5, bytes(8)],
        ["P1", ["Hoa", None, "B1", 9000, "F"], "E1", ["dongxing"], 9, 2, 3, 4, 0, 5, bytes(8)],
        ["P1", ["Hoa", None, "B1", 9000, "F"], "E1", ["dongxing"], 1, 500, 3, 4, 0, 5, bytes(8)],
        ["P1", ["Hoa", None, "B1", 9000, "F"], "E1", ["dongxing"], 1, 2, 3, 4, 2, 5, bytes(8)],
        ["P1", ["Hoa", None, "B1", 9000, "F"], "E1", ["dongxing"], 1, 2, 3, 4, 0, -5, bytes(8)],
        ["P1", ["Hoa", None, "B1", 9000, "F"], "E1", ["dongxing"], 1, 2, 3, 4, 0, 5, bytes(7)],
        ["P1", ["Hoa", None, "B1", 9000, "F"], "E1", ["dongxing"], 1, 2, 3, 4, True, 5, bytes(8)],
        ["P1", ["Hoa", None, "B1", 9000, "F"], "E1", "dongxing", 1, 2, 3, 4, 0, 5, bytes(8)],
        ["P1", ["Hoa", None, "B1", 2**40, "F"], "E1", ["dongxing"], 1, 2, 3, 4, 0, 5, bytes(8)],
        ["P1", ["Hoa", None, "B1", 9000, "F"], "E1", ["dongxing"] * 9, 1, 2, 3, 4, 0, 5, bytes(8)],
        ["P1", ["Hoa\x07", None, "B1", 9000, "F"], "E1", ["dongxing"], 1, 2, 3, 4, 0, 5, bytes(8)],
    ],
)
def test_claims_that_break_the_rules_are_malformed(claims: list[object]) -> None:
    text = PREFIX + b45encode(b"\x00" + msgpack.packb(claims) + bytes(SIGNATURE_LEN))
    assert refusal(text) == DecodeReason.MALFORMED


def test_base45_rfc_9285_examples() -> None:
    for raw, text in [
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
        (b"\xff\xff", "FGW"),
        (b"", ""),
    ]:
        assert b45encode(raw) == text
        assert b45decode(text) == raw
    for bad in ["GGW", ":::", "FG", "A", "abc", "BB8é", "ZZ"]:
        with pytest.raises(CredentialError) as info:
            b45decode(bad)
        assert info.value.reason == DecodeReason.MALFORMED


@HYPOTHESIS
@given(st.binary(max_size=600))
def test_base45_round_trip(data: bytes) -> None:
    assert b45decode(b45encode(data)) == data


# -- fuzzing: only CredentialError, and decide() never raises ---------------------------


def decode_only_refuses(text: object) -> None:
    try:
        signed = decode_permit(text)
    except CredentialError as exc:
        assert exc.reason in set(DecodeReason)
        signed = None
    if signed is not None:
        with pytest.raises(CredentialError):
            verify_permit(signed, ISSUER.trust)
    for direction in ("in", "out", "check"):
        verdict = scan(ISSUER, text, "hengjiang", direction)
        assert verdict.outcome is Outcome.DENY
        assert not verdict.verified
        assert EFFECT[verdict.reasons[0]] is Effect.INVALID


@HYPOTHESIS
@given(st.text(max_size=1200))
def test_fuzz_any_text(text: str) -> None:
    decode_only_refuses(text)


@HYPOTHESIS
@given(st.text(alphabet=ALPHABET, max_size=1000))
def test_fuzz_any_base45_text_behind_the_prefix(text: str) -> None:
    decode_only_refuses(PREFIX + text)


@HYPOTHESIS
@given(st.binary(max_size=650))
def test_fuzz_any_bytes_behind_the_prefix(data: bytes) -> None:
    decode_only_refuses(PREFIX + b45encode(data))


@HYPOTHESIS
@given(st.sampled_from([0, FLAG_DEFLATED]), st.binary(max_size=1500))
def test_fuzz_any_payload_deflated_or_not(header: int, payload: bytes) -> None:
    body = codec.deflate(payload) if header else payload
    text = PREFIX + b45encode(bytes([header]) + body)
    assume(len(text) <= MAX_TEXT_LEN)
    decode_only_refuses(text)


msgpack_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=40),
)
msgpack_values = st.recursive(
    msgpack_leaves,
    lambda inner: (
        st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=30,
)


@HYPOTHESIS
@given(st.lists(msgpack_values, min_size=9, max_size=13), st.binary(min_size=64, max_size=64))
def test_fuzz_claims_of_any_msgpack_shape(claims: list[object], signature: bytes) -> None:
    packed = msgpack.packb(claims)
    body = b"\x00" + packed + signature
    text = PREFIX + b45encode(body)
    assume(len(text) <= MAX_TEXT_LEN)
    decode_only_refuses(text)


@HYPOTHESIS
@given(st.data())
def test_fuzz_mutations_of_a_genuine_permit(data: st.DataObject) -> None:
    signed = decode_permit(ISSUER.issue())
    body = bytearray(b"\x00" + signed.claims + signed.signature)
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(body) - 1))
        body[index] = data.draw(st.integers(0, 255).filter(lambda b, i=index: b != body[i]))
    assume(bytes(body) != b"\x00" + signed.claims + signed.signature)
    decode_only_refuses(PREFIX + b45encode(bytes(body)))


# -- tampering and keys -------------------------------------------------------------------


def test_tampering_any_byte_fails(issuer: Issuer) -> None:
    signed = decode_permit(issuer.issue())
    body = b"\x00" + signed.claims + signed.signature
    claims_end = 1 + len(signed.claims)
    for index in range(1, len(body)):
        for flip in (0x01, 0x80):
            tampered = bytearray(body)
            tampered[index] ^= flip
            text = PREFIX + b45encode(bytes(tampered))
            verdict = scan(issuer, text, "dongxing-port", "in")
            assert verdict.outcome is Outcome.DENY, index
            assert not verdict.verified
            if index >= claims_end:  # in the signature: parsed fine, does not verify
                assert verdict.reasons == (Reason.BAD_SIGNATURE,)


def test_tampering_the_deflated_form_fails(issuer: Issuer) -> None:
    body = body_of(issuer.issue())
    assert body[0] == FLAG_DEFLATED
    for index in range(1, len(body)):
        tampered = bytearray(body)
        tampered[index] ^= 0x10
        verdict = scan(issuer, PREFIX + b45encode(bytes(tampered)), "dongxing-port", "in")
        assert (verdict.outcome, verdict.verified) == (Outcome.DENY, False)


def test_unknown_key(issuer: Issuer) -> None:
    signed = decode_permit(make_issuer("elsewhere").issue())
    with pytest.raises(CredentialError) as info:
        verify_permit(signed, issuer.trust)
    assert info.value.reason == DecodeReason.UNKNOWN_KEY


def with_key_id(key: IssuerKey, key_id: bytes) -> IssuerKey:
    """A copy of ``key`` listed under another key's 8-byte id: what a SHA-256 prefix
    collision between two real keys would look like to the verifier."""
    copy = IssuerKey(key.public_key, key.not_before, key.not_after, key.scope)
    object.__setattr__(copy, "key_id", key_id)
    return copy


def test_colliding_key_ids_are_each_tried(issuer: Issuer) -> None:
    signed = decode_permit(issuer.issue())
    impostor = with_key_id(make_issuer("collision").issuer_key, issuer.key.key_id)
    for keys in [(impostor, issuer.issuer_key), (issuer.issuer_key, impostor)]:
        trust = TrustList(version=1, issued_at=ISSUED_AT, keys=keys)
        assert trust.keys_with_id(issuer.key.key_id) == keys
        assert verify_permit(signed, trust) == issuer.issuer_key


def test_colliding_key_ids_none_of_which_verifies(issuer: Issuer) -> None:
    signed = decode_permit(issuer.issue())
    first = with_key_id(make_issuer("c1").issuer_key, issuer.key.key_id)
    second = with_key_id(make_issuer("c2").issuer_key, issuer.key.key_id)
    trust = TrustList(version=1, issued_at=ISSUED_AT, keys=(first, second))
    with pytest.raises(CredentialError) as info:
        verify_permit(signed, trust)
    assert info.value.reason == DecodeReason.BAD_SIGNATURE


def test_signing_with_a_key_the_permit_does_not_name(issuer: Issuer) -> None:
    with pytest.raises(ValueError, match="key_id"):
        encode_permit(make_permit(key_id=bytes(8)), issuer.key)


def test_signature_does_not_transfer_between_contexts(issuer: Issuer) -> None:
    """A trust-list signature by the same key is no permit signature."""
    signed = decode_permit(issuer.issue())
    from protocol.trust import TRUST_CONTEXT

    forged = issuer.key.sign(TRUST_CONTEXT, signed.claims)
    text = PREFIX + b45encode(b"\x00" + signed.claims + forged)
    assert scan(issuer, text, "dongxing-port", "in").reasons == (Reason.BAD_SIGNATURE,)
