"""Urgent alerts posted to ``HubConfig.webhook_url``, from a durable outbox.

The reconciler queues a delivery (``alert_outbox``) in the same transaction that
raises an urgent alert, so a hub that stops before posting posts after its restart.
:class:`WebhookSender` posts each pending delivery, oldest first, as JSON
(``{"event": "alert.raised", "alert": {...}}``, the alert as ``GET /api/alerts``
shows it) and marks it delivered on a 2xx answer; anything else is retried with
exponential backoff (real seconds: the network is real even when the hub's clock is
accelerated). A receiver may get one delivery more than once (a 2xx lost on the way
back): ``X-Borderpass-Delivery`` names it, so it can drop repeats.

Each post carries ``X-Borderpass-Signature``: the hex Ed25519 signature, by the hub's
root key under the context :data:`SIGNATURE_CONTEXT`, of the body; the police's
systems check it with the root public key (``GET /api/trust``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

import aiohttp

from borderpass.clock import Clock
from borderpass.sqlite import Database
from hub.store import alert_queues as queues
from protocol.keys import SigningKey

log = logging.getLogger("borderpass.hub.webhook")

SIGNATURE_CONTEXT = b"borderpass/webhook/v1\x00"
H_DELIVERY = "X-Borderpass-Delivery"
H_ALERT = "X-Borderpass-Alert"
H_SIGNATURE = "X-Borderpass-Signature"


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    url: str
    timeout_s: float = 10.0
    first_retry_s: float = 2.0
    max_retry_s: float = 600.0


def retry_delay_s(attempts: int, settings: WebhookSettings) -> float:
    """How long to wait after the ``attempts``-th failed attempt: the first retry
    delay, doubled per further failure, capped."""
    doublings = min(max(attempts - 1, 0), 40)
    return min(settings.first_retry_s * 2.0**doublings, settings.max_retry_s)


class WebhookSender:
    def __init__(
        self, db: Database, clock: Clock, settings: WebhookSettings, signer: SigningKey
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.signer = signer
        self._wake = asyncio.Event()
        self._not_before: dict[int, float] = {}
        """Per delivery that failed in this process, the monotonic instant of its
        next attempt (after a restart every pending delivery is due at once)."""
        self._session: aiohttp.ClientSession | None = None

    def wake(self) -> None:
        """New deliveries were queued."""
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            try:
                delay = await self.deliver_due()
            except Exception:
                log.exception("webhook deliveries failed; retrying")
                delay = self.settings.first_retry_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()

    async def deliver_due(self) -> float | None:
        """Post every pending delivery that is due; return the seconds until the next
        retry (None: nothing is waiting)."""
        pending = await self.db.read(queues.pending_deliveries)
        waits = []
        for delivery in pending:
            wait = self._not_before.get(delivery.delivery_id, 0.0) - time.monotonic()
            if wait > 0:
                waits.append(wait)
                continue
            if not await self._deliver(delivery):
                waits.append(retry_delay_s(delivery.attempts + 1, self.settings))
        return min(waits, default=None)

    async def _deliver(self, delivery: queues.Delivery) -> bool:
        body = delivery.payload.encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            H_DELIVERY: str(delivery.delivery_id),
            H_ALERT: delivery.alert_id,
            H_SIGNATURE: self.signer.sign(SIGNATURE_CONTEXT, body).hex(),
        }
        error = await self._post(body, headers)
        now, did = self.clock.now_ms(), delivery.delivery_id
        if error is None:
            await self.db.write(lambda tx: queues.mark_delivered(tx, did, now))
            self._not_before.pop(did, None)
            log.info("alert %s posted to the webhook", delivery.alert_id)
            return True
        await self.db.write(lambda tx: queues.mark_failed(tx, did, now, error))
        delay = retry_delay_s(delivery.attempts + 1, self.settings)
        self._not_before[did] = time.monotonic() + delay
        log.warning("webhook post of alert %s failed (%s); retry in %.1f s",
                    delivery.alert_id, error, delay)  # fmt: skip
        return False

    async def _post(self, body: bytes, headers: dict[str, str]) -> str | None:
        """POST once; None on a 2xx, else what went wrong."""
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=self.settings.timeout_s)
            self._session = aiohttp.ClientSession(timeout=timeout)
        try:
            async with self._session.post(self.settings.url, data=body, headers=headers) as r:
                await r.read()
                return None if 200 <= r.status < 300 else f"HTTP {r.status}"
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return f"{type(exc).__name__}: {exc}"

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
