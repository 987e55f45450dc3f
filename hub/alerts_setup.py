"""Install alerts into the hub application: the reconciler (woken by every push that
stores scans, and ticking on its own) and, when ``webhook_url`` is set, the webhook
sender; both run as background tasks for the application's lifetime."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from hub import context, sync_server
from hub.config import HubConfig
from hub.reconcile import ReconcileSettings
from hub.reconciler import Reconciler, ReconcilerSettings
from hub.webhook import WebhookSender, WebhookSettings

RECONCILER = web.AppKey("reconciler", Reconciler)
WEBHOOK = web.AppKey("webhook", WebhookSender)


def reconciler_settings(config: HubConfig) -> ReconcilerSettings:
    rules = ReconcileSettings(
        exit_due_days=config.exit_due_days,
        not_seen_days=config.not_seen_days,
        edge_silent_hours=config.edge_silent_hours,
        clock_skew_ms=config.clock_skew_ms,
    )
    return ReconcilerSettings(
        tick_s=config.reconcile_tick_s,
        debounce_s=config.reconcile_debounce_s,
        debounce_max_s=config.reconcile_debounce_max_s,
        rules=rules,
    )


def webhook_settings(config: HubConfig) -> WebhookSettings | None:
    if not config.webhook_url:
        return None
    return WebhookSettings(
        config.webhook_url, config.webhook_timeout_s, config.webhook_retry_s,
        config.webhook_retry_max_s,
    )  # fmt: skip


async def alerts_ctx(app: web.Application) -> AsyncIterator[None]:
    config, db, clock = app[context.CONFIG], app[context.DB], app[context.CLOCK]
    hook = webhook_settings(config)
    sender = None
    if hook is not None:
        sender = WebhookSender(db, clock, hook, app[context.KEYRING].root())
        app[WEBHOOK] = sender
    reconciler = Reconciler(
        db, clock, app[context.SITES], reconciler_settings(config),
        webhook=sender is not None, on_queued=sender.wake if sender else None,
    )  # fmt: skip
    app[RECONCILER] = reconciler
    app[sync_server.SYNC_SERVICE].listeners.append(reconciler.wake)
    tasks = [asyncio.create_task(reconciler.run_forever(), name="reconciler")]
    if sender is not None:
        tasks.append(asyncio.create_task(sender.run_forever(), name="webhook"))
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if sender is not None:
        await sender.close()


def install_alerts(app: web.Application) -> None:
    """After :func:`hub.sync_setup.install_sync`: the reconciler listens to its
    service."""
    app.cleanup_ctx.append(alerts_ctx)
