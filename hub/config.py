"""The hub's configuration: a frozen dataclass filled from defaults, ``DIR/hub.toml``
and ``BORDERPASS_HUB_*`` environment variables (in that order; the environment wins),
then command-line flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from borderpass.settings import describe, load

ENV_PREFIX = "BORDERPASS_HUB_"
CONFIG_FILE = "hub.toml"
DATABASE_FILE = "hub.db"
KEYS_DIR = "keys"


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True)
class HubConfig:
    data_dir: Path = field(default=Path("hub-data"), metadata=_help("the hub's data directory"))
    host: str = field(default="127.0.0.1", metadata=_help("address the web server binds"))
    port: int = field(default=8440, metadata=_help("port the web server listens on"))
    clock: str = field(
        default="system",
        metadata=_help("clock spec: 'system' or 'accelerated:start=...,speed=...'"),
    )
    session_hours: float = field(
        default=12.0, metadata=_help("how long a web login lasts, in hours")
    )
    cookie_secure: bool = field(
        default=False,
        metadata=_help("mark the web cookies Secure: set it when browsers reach the hub "
                       "over HTTPS (a TLS proxy in front)"),
    )  # fmt: skip
    trusted_proxies: tuple[str, ...] = field(
        default=(),
        metadata=_help("addresses of reverse proxies whose X-Forwarded-For names the client "
                       "(login limits and the audit log; comma-separated)"),
    )  # fmt: skip
    login_max_failures: int = field(
        default=30,
        metadata=_help("failed logins per account and per client address within the window "
                       "that lock it out"),
    )  # fmt: skip
    login_window_s: float = field(
        default=60.0, metadata=_help("the window failed logins are counted in, in seconds")
    )
    login_lockout_s: float = field(
        default=900.0, metadata=_help("how long a locked-out account or address waits (seconds)")
    )
    max_body_bytes: int = field(
        default=64 * 1024, metadata=_help("largest request body accepted by the API and forms")
    )
    key_lead_days: int = field(
        default=7,
        metadata=_help("how far ahead of its first use 'hub rotate-key' lists a new key"),
    )
    issuer_key_years: int = field(
        default=2, metadata=_help("validity of a new issuer key, in years")
    )
    webhook_url: str | None = field(
        default=None, metadata=_help("where urgent alerts are posted as JSON (none: not posted)")
    )
    reconcile_tick_s: float = field(
        default=60.0, metadata=_help("interval of the time-based alert tick, in seconds")
    )
    reconcile_debounce_s: float = field(
        default=0.2,
        metadata=_help("after a push, reconcile once pushes pause this long (seconds)"),
    )
    reconcile_debounce_max_s: float = field(
        default=5.0,
        metadata=_help("... but wait no longer than this while pushes keep coming (seconds)"),
    )
    exit_due_days: int = field(
        default=7, metadata=_help("exit_due alert: this many days before a permit's end")
    )
    not_seen_days: int = field(
        default=3, metadata=_help("not_seen_at_work alert: days in China without a park scan")
    )
    edge_silent_hours: int = field(
        default=6, metadata=_help("edge_silent alert: hours without contact from an edge")
    )
    clock_skew_ms: int = field(
        default=60_000, metadata=_help("clock_skew alert: largest tolerated edge clock offset")
    )
    webhook_timeout_s: float = field(
        default=10.0, metadata=_help("how long one webhook post may take, in seconds")
    )
    webhook_retry_s: float = field(
        default=2.0,
        metadata=_help("first retry of a failed webhook post (seconds), doubling per failure"),
    )
    webhook_retry_max_s: float = field(
        default=600.0, metadata=_help("longest wait between webhook retries, in seconds")
    )
    default_lang: str = field(default="zh", metadata=_help("language of the web pages: zh or en"))
    db_cache_mb: int = field(
        default=256, metadata=_help("the database writer's page cache, in MiB")
    )
    sites_file: Path | None = field(
        default=None,
        metadata=_help("a sites TOML replacing the shipped one (edges receive it by sync)"),
    )
    enrol_token_hours: float = field(
        default=24.0, metadata=_help("how long an edge's one-time enrolment token is valid")
    )
    sync_window_s: int = field(
        default=300,
        metadata=_help("how far a signed sync request's timestamp may be from the hub's clock"),
    )
    change_retention_days: float = field(
        default=30.0,
        metadata=_help("superseded reference-data changes older than this are dropped; "
                       "an edge that is further behind gets a snapshot"),
    )  # fmt: skip
    compact_interval_s: float = field(
        default=3600.0, metadata=_help("how often the change log is compacted, in seconds")
    )
    advertise: bool = field(
        default=True, metadata=_help("advertise the hub with zeroconf so edges can find it")
    )
    advertise_interfaces: tuple[str, ...] = field(
        default=("127.0.0.1",),
        metadata=_help("addresses zeroconf may use (comma-separated); loopback by default"),
    )

    @property
    def database_path(self) -> Path:
        return self.data_dir / DATABASE_FILE

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / KEYS_DIR

    @property
    def session_ms(self) -> int:
        return int(self.session_hours * 3600 * 1000)


def load_config(
    data_dir: Path, env: Mapping[str, str] | None = None, **overrides: Any
) -> HubConfig:
    """The configuration of the hub whose data lives in ``data_dir``."""
    return load(
        HubConfig,
        toml_file=data_dir / CONFIG_FILE,
        env=os.environ if env is None else env,
        env_prefix=ENV_PREFIX,
        data_dir=data_dir,
        **overrides,
    )


def settings_table() -> str:
    return describe(HubConfig, ENV_PREFIX)
