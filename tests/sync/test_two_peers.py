"""The sync protocol with two in-memory peers: an edge's log pushed to a hub through a
channel that drops, duplicates, delays and reorders frames, and datasets pulled back.
No network, no database: frames are bytes, peers are the protocol's pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.events import GENESIS, ScanEvent, chain_breaks, event_hash, qr_digest
from protocol.keys import SigningKey
from protocol.sync import datasets as ds
from protocol.sync.auth import HEAD_CONTEXT, head_message
from protocol.sync.frames import SyncError, decode_frame, encode_frame
from protocol.sync.ingest import LogCursor, ingest_push
from protocol.sync.messages import (
    DatasetChanges,
    Entry,
    ErrorReply,
    PushReply,
    PushRequest,
)

EDGE_ID = "edge-1"
KEY = SigningKey(bytes(range(32)))


def make_log(n: int, start_ms: int = 1_790_000_000_000) -> list[bytes]:
    log, prev = [], GENESIS
    for seq in range(1, n + 1):
        event = ScanEvent(
            seq=seq, hlc=(start_ms + seq) << 16, wall_ms=start_ms + seq, prev_hash=prev,
            site="dongxing-port", direction="in" if seq % 2 else "out", verdict="allow",
            reasons=(), permit_id=f"P{seq % 7}", worker_id=f"W{seq % 7}", employer_id="E1",
            verified=True, trust_age_s=5, operator="officer", qr_digest=qr_digest(f"q{seq}"),
        )  # fmt: skip
        data = event.encode()
        log.append(data)
        prev = event_hash(data)
    return log


def push_frame(log: list[bytes], acked: int, batch: int, epoch: str = "E") -> bytes:
    events = tuple(log[acked : acked + batch])
    last_seq = acked + len(events)
    last_hash = event_hash(events[-1]) if events else GENESIS
    signature = KEY.sign(HEAD_CONTEXT, head_message(EDGE_ID, last_seq, last_hash))
    push = PushRequest(epoch, 1, events, signature, 0, 0, len(log) - last_seq, 1)
    return encode_frame(push)


@dataclass
class HubPeer:
    cursor: LogCursor = field(default_factory=LogCursor)
    stored: dict[int, bytes] = field(default_factory=dict)

    def handle(self, frame: bytes) -> bytes:
        _, push = decode_frame(frame)
        assert isinstance(push, PushRequest)
        result = ingest_push(self.cursor, push, EDGE_ID, KEY.public_key)
        if result.refused is not None:
            return encode_frame(ErrorReply(result.refused, "", 0))
        for accepted in result.accepted:
            assert accepted.event.seq not in self.stored, "an event stored twice"
            self.stored[accepted.event.seq] = accepted.encoded
        self.cursor = result.cursor
        return encode_frame(PushReply("E", self.cursor.acked_seq, 0, 0))


def test_a_clean_link_delivers_the_whole_log_in_batches() -> None:
    log, hub, acked = make_log(25), HubPeer(), 0
    while acked < len(log):
        _, reply = decode_frame(hub.handle(push_frame(log, acked, 10)))
        assert isinstance(reply, PushReply)
        acked = reply.acked_seq
    assert [hub.stored[s] for s in sorted(hub.stored)] == log


FATES = st.sampled_from(["deliver", "drop_request", "drop_reply", "duplicate", "delay"])


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 60),
    batch=st.integers(1, 12),
    fates=st.lists(FATES, min_size=1, max_size=80),
)
def test_any_schedule_of_faults_loses_nothing_and_stores_nothing_twice(
    n: int, batch: int, fates: list[str]
) -> None:
    log, hub, acked = make_log(n), HubPeer(), 0
    delayed: list[bytes] = []
    for fate in fates:
        frame = push_frame(log, acked, batch)
        if fate == "delay":
            delayed.append(frame)  # arrives later, after newer frames
            continue
        if fate == "drop_request":
            continue
        reply = hub.handle(frame)
        if fate == "duplicate":
            reply = hub.handle(frame)
        if delayed and fate == "deliver":
            hub.handle(delayed.pop(0))  # a stale frame overtaken by newer ones
        if fate == "drop_reply":
            continue
        _, msg = decode_frame(reply)
        assert isinstance(msg, PushReply)
        acked = msg.acked_seq
    for frame in delayed:
        hub.handle(frame)
    while acked < len(log):  # the link heals
        _, msg = decode_frame(hub.handle(push_frame(log, acked, batch)))
        assert isinstance(msg, PushReply)
        acked = msg.acked_seq
    assert sorted(hub.stored) == list(range(1, n + 1))
    assert [hub.stored[s] for s in range(1, n + 1)] == log
    assert chain_breaks(GENESIS, 0, log) is None


@settings(max_examples=50, deadline=None)
@given(cut=st.integers(0, 10_000))
def test_a_truncated_frame_is_refused_with_a_reason(cut: int) -> None:
    frame = push_frame(make_log(30), 0, 30)
    truncated = frame[: cut % len(frame)]
    try:
        decode_frame(truncated)
    except SyncError as error:
        assert error.reason in {"malformed", "too_large"}
    else:
        raise AssertionError("a truncated frame decoded")


def test_a_forged_head_signature_is_refused_and_nothing_is_stored() -> None:
    log, hub = make_log(5), HubPeer()
    _, push = decode_frame(push_frame(log, 0, 5))
    assert isinstance(push, PushRequest)
    forged = PushRequest(
        push.epoch_seen, 1, push.events, SigningKey(bytes(32)).sign(HEAD_CONTEXT, b"x"),
        0, 0, 0, 1,
    )  # fmt: skip
    _, reply = decode_frame(hub.handle(encode_frame(forged)))
    assert isinstance(reply, ErrorReply)
    assert reply.reason == "bad_signature"
    assert hub.stored == {}


def test_a_log_edited_after_the_hub_saw_it_is_a_fork() -> None:
    log, hub = make_log(6), HubPeer()
    hub.handle(push_frame(log, 0, 3))
    rewritten = make_log(6, start_ms=1_800_000_000_000)  # same seqs, other content
    _, reply = decode_frame(hub.handle(push_frame(rewritten, 2, 4)))
    assert isinstance(reply, ErrorReply)
    assert reply.reason == "log_forked"
    assert sorted(hub.stored) == [1, 2, 3]


def test_a_range_after_pruning_is_accepted_with_a_gap_incident() -> None:
    log = make_log(10)
    events = tuple(log[6:])  # the edge pruned 1..6 after an older hub acked them
    signature = KEY.sign(HEAD_CONTEXT, head_message(EDGE_ID, 10, event_hash(log[-1])))
    push = PushRequest("E", 7, events, signature, 0, 0, 0, 1)
    result = ingest_push(LogCursor(), push, EDGE_ID, KEY.public_key)
    assert result.incident is not None and result.incident.kind == "gap"
    assert [a.event.seq for a in result.accepted] == [7, 8, 9, 10]


# -- pull: datasets applied through the digest check -------------------------------------


def changes(entries: dict[str, bytes | None], held: dict[str, bytes], reset: bool = False):
    after = {} if reset else dict(held)
    for key, value in entries.items():
        if value is None:
            after.pop(key, None)
        else:
            after[key] = value
    return DatasetChanges(
        "revocations", reset, 1,
        tuple(Entry(k, v) for k, v in entries.items()), ds.digest(after.items()), False,
    )  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.dictionaries(st.sampled_from("abcdef"), st.one_of(st.none(), st.binary(max_size=8))),
        max_size=8,
    )
)
def test_changes_applied_in_order_reach_the_hubs_state(steps: list[dict]) -> None:
    hub_state: dict[str, bytes] = {}
    edge_state: dict[str, bytes] = {}
    for step in steps:
        frame = encode_frame_changes(changes(step, hub_state))
        edge_state = ds.apply_changes(edge_state, frame)
        for key, value in step.items():
            if value is None:
                hub_state.pop(key, None)
            else:
                hub_state[key] = value
    assert edge_state == hub_state


def encode_frame_changes(dc: DatasetChanges) -> DatasetChanges:
    from protocol.sync.messages import PullReply

    _, reply = decode_frame(encode_frame(PullReply("E", 0, 0, (dc,))))
    assert isinstance(reply, PullReply)
    return reply.datasets[0]


def test_a_digest_mismatch_refuses_the_changes() -> None:
    held = {"a": b"1"}
    wrong = DatasetChanges("revocations", False, 2, (Entry("b", b"2"),), bytes(32), False)
    try:
        ds.apply_changes(held, wrong)
    except SyncError as error:
        assert error.reason == "malformed"
    else:
        raise AssertionError("a wrong digest was accepted")
    assert held == {"a": b"1"}


def test_a_snapshot_replaces_what_the_edge_held() -> None:
    held = {"stale": b"x", "a": b"1"}
    snapshot = changes({"a": b"2", "b": b"3"}, {}, reset=True)
    assert ds.apply_changes(held, snapshot) == {"a": b"2", "b": b"3"}
