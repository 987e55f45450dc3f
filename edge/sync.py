"""The edge's sync client: a push loop and a pull loop, each driven by a
:class:`protocol.sync.session.Session`, independent of each other.

* **Push** sends the log after the hub's acknowledged sequence number in batches; the
  hub's reply (after its commit) moves ``acknowledged_seq``, durably, and only then.
  An empty push is a heartbeat: it tells the hub the edge is alive and has nothing
  older to send (the hub's watermark for provisional alerts). An alert verdict (an
  inland attempt) wakes the push loop at once, even out of its backoff.
* **Pull** asks each dataset's changes after its cursor and applies them one dataset
  at a time (:mod:`edge.pull_apply`), revocations first.
* Before signing anything the edge measures its clock against the hub's (the request
  timestamp is the hub's time as the edge estimates it, so a skewed edge still gets
  through and the hub learns the skew).

Failures back off exponentially with full jitter; the random draw is injected.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from borderpass.clock import Clock
from borderpass.sqlite import Database, Transaction
from protocol.events import GENESIS
from protocol.hlc import ClockDriftError, HlcTimestamp
from protocol.keys import SigningKey
from protocol.sync import auth
from protocol.sync.datasets import PRIORITY
from protocol.sync.frames import SyncError, encode_frame
from protocol.sync.messages import Cursor, PullReply, PullRequest, PushReply, PushRequest
from protocol.sync.session import Action, Input, Session, State, backoff_delay, refusal_input

from . import pull_apply, reference, store
from .hublink import HubLink, LinkDown, Refused
from .records import SyncKey
from .state import EdgeState, LogHead

log = logging.getLogger("borderpass.edge.sync")

DAY_MS = 86_400_000


@dataclass(frozen=True)
class SyncSettings:
    push_interval_s: float = 5.0
    pull_interval_s: float = 15.0
    batch_events: int = 5000
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 300.0
    clock_check_s: float = 600.0
    max_hlc_drift_ms: int = 10 * 60_000
    retention_days: int = 30


@dataclass(frozen=True, slots=True)
class PreparedPush:
    after: int
    """The acknowledged sequence number this frame continues from."""
    last: int
    """The last sequence number in it (``after`` for a heartbeat)."""
    body: bytes


@dataclass
class LoopState:
    name: str
    interval_s: float
    send: Callable[[], Awaitable[Input]]
    session: Session = field(default_factory=Session)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    started: int = 0
    finished: int = 0
    outcome: dict[str, Any] = field(default_factory=dict)
    """How the last finished round ended (what ``sync_now`` reports)."""
    done: asyncio.Condition = field(default_factory=asyncio.Condition)


class SyncClient:
    def __init__(
        self,
        db: Database,
        state: EdgeState,
        clock: Clock,
        key: SigningKey,
        edge_id: str,
        link: HubLink,
        settings: SyncSettings,
        rand: random.Random | None = None,
    ) -> None:
        self.db, self.state, self.clock, self.key = db, state, clock, key
        self.edge_id, self.link, self.settings = edge_id, link, settings
        self._rand = rand or random.Random()
        self._offset_ms: int | None = None
        self._offset_checked: float | None = None
        self.push = LoopState("push", settings.push_interval_s, self._push_once)
        self.pull = LoopState("pull", settings.pull_interval_s, self._pull_once)
        self._tasks: list[asyncio.Task[None]] = []
        self._ahead: asyncio.Task[PreparedPush] | None = None

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        status = await self.db.read(store.read_sync_state)
        self._offset_ms = status.clock_offset_ms
        self._tasks = [asyncio.create_task(self._run(loop)) for loop in (self.push, self.pull)]

    async def stop(self) -> None:
        if self._ahead is not None:
            self._ahead.cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def wake_push(self) -> None:
        """Push now (an urgent event was logged), even out of a backoff."""
        self.push.wake.set()

    async def sync_now(self, timeout_s: float = 60.0) -> dict[str, Any]:
        """Run one push round and one pull round now; report how they ended."""
        rounds = asyncio.gather(self._one_round(self.push), self._one_round(self.pull))
        try:
            push, pull = await asyncio.wait_for(rounds, timeout_s)
        except TimeoutError:
            late = {"state": "timeout", "failures": None, "last_error": "no answer in time"}
            return {"push": late, "pull": late}
        return {"push": push, "pull": pull}

    def _describe(self, loop: LoopState) -> dict[str, Any]:
        s = loop.session
        return {"state": s.state.value, "failures": s.failures, "last_error": s.last_error}

    async def _one_round(self, loop: LoopState) -> dict[str, Any]:
        """Wake the loop and wait for a round that starts after now to finish."""
        if loop.session.state is State.HALTED:
            return self._describe(loop)
        async with loop.done:
            target = loop.started + 1
            loop.wake.set()
            await loop.done.wait_for(lambda: loop.finished >= target)
            return loop.outcome

    # -- the loops -----------------------------------------------------------------------

    async def _sleep(self, wake: asyncio.Event, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if woken early."""
        try:
            await asyncio.wait_for(wake.wait(), seconds)
        except TimeoutError:
            return False
        finally:
            wake.clear()
        return True

    def _clock_stale(self) -> bool:
        loop_now = asyncio.get_running_loop().time()
        return (
            self._offset_checked is None
            or loop_now - self._offset_checked > self.settings.clock_check_s
        )

    async def _run(self, loop: LoopState) -> None:
        first = True
        while True:
            state = loop.session.state
            if state is State.BACKOFF:
                delay = backoff_delay(
                    loop.session.failures, self.settings.backoff_base_s,
                    self.settings.backoff_cap_s, self._rand.random(),
                )  # fmt: skip
                event = Input.WAKE if await self._sleep(loop.wake, delay) else Input.BACKOFF_OVER
            else:
                if not first:
                    await self._sleep(loop.wake, loop.interval_s)
                event = Input.WAKE_CLOCK_STALE if self._clock_stale() else Input.WAKE
            first = False
            loop.started += 1
            await self._drive(loop, event)
            async with loop.done:
                loop.finished = loop.started
                loop.outcome = self._describe(loop)
                loop.done.notify_all()

    async def _drive(self, loop: LoopState, event: Input) -> None:
        error: str | None = None
        while True:
            loop.session, action = loop.session.step(event, error)
            if action is Action.SEND:
                event, error = await self._attempt(loop.send)
            elif action is Action.MEASURE_CLOCK:
                event, error = await self._attempt(self._measure_clock)
            else:
                if action in (Action.WAIT, Action.REPORT):
                    await self._record_failure(loop, loop.session.last_error)
                return

    async def _attempt(self, step: Callable[[], Awaitable[Input]]) -> tuple[Input, str | None]:
        try:
            return await step(), None
        except LinkDown as exc:
            return Input.LINK_DOWN, f"hub unreachable: {exc}"
        except Refused as exc:
            return refusal_input(exc.reason), f"refused: {exc}"

    async def _record_failure(self, loop: LoopState, error: str | None) -> None:
        log.warning("sync %s: %s", loop.name, error)
        reachable = error is not None and not error.startswith("hub unreachable")
        values: dict[SyncKey, object] = {
            SyncKey.LAST_ERROR: f"{loop.name}: {error}",
            SyncKey.HUB_REACHABLE: reachable,
        }
        await self.db.write(lambda tx: store.write_sync_state(tx.conn, values))

    # -- steps ---------------------------------------------------------------------------

    def _hub_time(self) -> int:
        return self.clock.now_ms() + (self._offset_ms or 0)

    async def _measure_clock(self) -> Input:
        before = self.clock.now_ms()
        reply = await self.link.time()
        after = self.clock.now_ms()
        self._offset_ms = reply.hub_ms - (before + after) // 2
        self._offset_checked = asyncio.get_running_loop().time()
        values: dict[SyncKey, object] = {
            SyncKey.CLOCK_OFFSET_MS: self._offset_ms,
            SyncKey.LAST_CONTACT_MS: after,
            SyncKey.HUB_REACHABLE: True,
        }
        await self.db.write(lambda tx: store.write_sync_state(tx.conn, values))
        return Input.TIME_OK

    def _merge_hub_clock(self, tx: Transaction, hub_hlc: int) -> None:
        head = self.state.head
        try:
            clock, _ = head.clock.receive(
                HlcTimestamp.unpack(hub_hlc), self.clock.now_ms(), self.settings.max_hlc_drift_ms
            )
        except ClockDriftError:
            return  # our clock is far behind the hub's: the status bar shows the offset
        self.state.head = LogHead(head.seq, head.hash, clock)
        tx.on_rollback(partial(setattr, self.state, "head", head))

    async def _prepare_push(self, after: int, epoch: str) -> PreparedPush:
        """The push frame of the events after ``after``: read and encoded off the event
        loop, so the next batch is ready while the hub stores this one."""
        batch = self.settings.batch_events
        events = await self.db.read(lambda conn: store.events_after(conn, after, batch))
        floor = await self.db.read(store.oldest_seq)
        head = self.state.head
        last_seq, last_hash = (events[-1].seq, events[-1].hash) if events else (0, GENESIS)
        trust = self.state.trust
        push = PushRequest(
            epoch_seen=epoch,
            floor_seq=floor,
            events=tuple(e.body for e in events),
            head_signature=self.key.sign(
                auth.HEAD_CONTEXT, auth.head_message(self.edge_id, last_seq, last_hash)
            ),
            edge_hlc=head.clock.last.pack(),
            edge_offset_ms=self._offset_ms or 0,
            pending=max(0, head.seq - max(after, last_seq)),
            trust_version=0 if trust is None else trust.record.version,
        )
        body = await asyncio.to_thread(encode_frame, push)
        return PreparedPush(after, max(after, last_seq), body)

    async def _next_push(self, acked: int, epoch: str) -> PreparedPush:
        """The prepared frame for the events after ``acked``, if one is ready."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            try:
                prepared = await ahead
            except Exception:
                prepared = None
            if prepared is not None and prepared.after == acked:
                return prepared
        return await self._prepare_push(acked, epoch)

    async def _push_once(self) -> Input:
        status = await self.db.read(store.read_sync_state)
        acked, epoch = status.acknowledged_seq, status.hub_epoch or ""
        prepared = await self._next_push(acked, epoch)
        if prepared.last < self.state.head.seq:  # more to send: read ahead meanwhile
            self._ahead = asyncio.create_task(self._prepare_push(prepared.last, epoch))
        reply = await self.link.signed_frame(
            "/sync/v1/push", prepared.body, PushReply, self.key, self.edge_id, self._hub_time()
        )
        await self.db.write(partial(self._pushed, reply=reply))
        if reply.acked_seq != acked and reply.acked_seq < self.state.head.seq:
            return Input.REPLY_MORE
        await self._prune()
        return Input.REPLY_DONE

    def _pushed(self, tx: Transaction, reply: PushReply) -> None:
        now = self.clock.now_ms()
        store.write_sync_state(
            tx.conn,
            {
                SyncKey.ACKNOWLEDGED_SEQ: reply.acked_seq,
                SyncKey.HUB_EPOCH: reply.epoch,
                SyncKey.LAST_PUSH_MS: now,
                SyncKey.LAST_CONTACT_MS: now,
                SyncKey.HUB_REACHABLE: True,
                SyncKey.LAST_ERROR: None,
            },
        )
        self._merge_hub_clock(tx, reply.hub_hlc)

    async def _prune(self) -> None:
        cutoff = self.clock.now_ms() - self.settings.retention_days * DAY_MS
        await self.db.write(lambda tx: store.prune_acknowledged(tx.conn, cutoff))

    async def _pull_once(self) -> Input:
        status = await self.db.read(store.read_sync_state)
        versions = await self.db.read(store.read_dataset_versions)
        cursors = tuple(Cursor(d.value, versions[d.value]) for d in PRIORITY if d.value in versions)
        request = PullRequest(status.hub_epoch or "", cursors, self.state.head.clock.last.pack())
        reply = await self.link.signed(
            "/sync/v1/pull", request, PullReply, self.key, self.edge_id, self._hub_time()
        )
        failed = []
        for changes in reply.datasets:
            job = partial(pull_apply.apply_dataset, state=self.state, changes=changes,
                          now_ms=self.clock.now_ms())  # fmt: skip
            try:
                await self.db.write(job)
            except (SyncError, reference.ChangeRefused) as exc:
                failed.append(f"{changes.dataset}: {exc}")
        await self.db.write(partial(self._pulled, reply=reply, failed=failed))
        if failed:
            raise Refused("malformed", "; ".join(failed))
        return Input.REPLY_MORE if any(d.more for d in reply.datasets) else Input.REPLY_DONE

    def _pulled(self, tx: Transaction, reply: PullReply, failed: list[str]) -> None:
        now = self.clock.now_ms()
        store.write_sync_state(
            tx.conn,
            {
                # a dataset that failed its check is fetched whole next time
                SyncKey.HUB_EPOCH: "" if failed else reply.epoch,
                SyncKey.LAST_PULL_MS: now,
                SyncKey.LAST_CONTACT_MS: now,
                SyncKey.HUB_REACHABLE: True,
                SyncKey.LAST_ERROR: "; ".join(failed) or None,
            },
        )
        if not failed:
            reference.refresh_trust(tx, self.state, now)
        self._merge_hub_clock(tx, reply.hub_hlc)
