"""The edge's configuration: defaults < ``DIR/edge.toml`` < environment < flags.

Every setting is a field of :class:`EdgeConfig` with its help text; the environment
variable is ``BORDERPASS_EDGE_`` and the field name in capitals (``BORDERPASS_EDGE_PORT``).
The shared ``BORDERPASS_CLOCK`` variable (one simulated clock for every process of a
demo) is honoured when ``BORDERPASS_EDGE_CLOCK`` is not set.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from borderpass.settings import ConfigError, describe, load

ENV_PREFIX = "BORDERPASS_EDGE_"
CONFIG_FILE = "edge.toml"
DATABASE_FILE = "edge.db"
KEY_FILE = "edge.key"
LANGUAGES = ("zh", "vi", "en")


@dataclass(frozen=True)
class EdgeConfig:
    data_dir: Path = field(
        default=Path("edge-data"),
        metadata={"help": "directory holding edge.db, edge.key and edge.toml (--data)"},
    )
    host: str = field(
        default="127.0.0.1",
        metadata={"help": "address to listen on; anything but loopback requires the token"},
    )
    allowed_hosts: tuple[str, ...] = field(
        default=(),
        metadata={
            "help": "host names the edge answers to besides IP addresses, localhost "
            "and its listening address (comma-separated; DNS rebinding guard)"
        },
    )
    port: int = field(default=8441, metadata={"help": "TCP port (0: any free port)"})
    clock: str = field(
        default="system",
        metadata={"help": "clock spec: 'system' or 'accelerated:start=...,speed=...'"},
    )
    session_hours: float = field(
        default=12.0, metadata={"help": "how long a browser login lasts, in hours"}
    )
    trust_warn_after_s: int = field(
        default=24 * 3600,
        metadata={"help": "trust data older than this adds the stale_trust warning"},
    )
    clock_warn_after_s: int = field(
        default=120,
        metadata={"help": "a clock this far off the hub's shows the clock warning"},
    )
    max_body_bytes: int = field(
        default=16 * 1024, metadata={"help": "largest JSON request body accepted"}
    )
    max_image_bytes: int = field(
        default=4 * 1024 * 1024, metadata={"help": "largest camera frame accepted"}
    )
    default_language: str = field(
        default="zh", metadata={"help": "page language unless chosen: zh, vi or en"}
    )
    operator: str = field(
        default="edge",
        metadata={"help": "device or officer name logged with a scan that names none"},
    )
    api_token: str | None = field(
        default=None,
        metadata={"help": "an extra API token accepted besides the one made at init"},
    )
    retention_days: int = field(
        default=30,
        metadata={"help": "acknowledged scan events are kept this long before pruning"},
    )
    camera_interval_ms: int = field(
        default=300, metadata={"help": "how often the camera mode sends a frame"}
    )
    hub_url: str | None = field(
        default=None,
        metadata={"help": "the hub's address; unset: the one given at enrolment, else zeroconf"},
    )
    push_interval_s: float = field(
        default=5.0, metadata={"help": "seconds between pushes of the log (and heartbeats)"}
    )
    pull_interval_s: float = field(
        default=15.0, metadata={"help": "seconds between pulls of revocations and other data"}
    )
    sync_batch_events: int = field(default=5000, metadata={"help": "events per push frame"})
    backoff_base_s: float = field(
        default=1.0, metadata={"help": "first retry delay after a failed sync"}
    )
    backoff_cap_s: float = field(
        default=300.0, metadata={"help": "longest retry delay after failed syncs"}
    )
    clock_check_s: float = field(
        default=600.0, metadata={"help": "seconds between measurements of the hub's clock"}
    )
    request_timeout_s: float = field(
        default=30.0, metadata={"help": "seconds before a sync request is given up"}
    )
    discovery_interfaces: tuple[str, ...] = field(
        default=("127.0.0.1",),
        metadata={"help": "addresses zeroconf may use to find the hub (comma-separated)"},
    )
    discovery_timeout_s: float = field(
        default=5.0, metadata={"help": "how long to look for the hub with zeroconf"}
    )

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port: {self.port} is not a TCP port")
        if self.default_language not in LANGUAGES:
            raise ConfigError(f"default_language: one of {', '.join(LANGUAGES)}")
        for name in ("max_body_bytes", "max_image_bytes", "retention_days", "session_hours"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name}: must be positive")
        if not 0 < len(self.operator) <= 64:
            raise ConfigError("operator: 1-64 characters")

    @property
    def database_path(self) -> Path:
        return self.data_dir / DATABASE_FILE

    @property
    def key_path(self) -> Path:
        return self.data_dir / KEY_FILE

    @property
    def loopback_only(self) -> bool:
        """True when only this machine can reach the service: no token needed."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def load_config(
    data_dir: Path, env: Mapping[str, str] | None = None, **overrides: Any
) -> EdgeConfig:
    """The configuration of the edge whose data lives in ``data_dir``."""
    environment = dict(os.environ if env is None else env)
    if ENV_PREFIX + "CLOCK" not in environment and "BORDERPASS_CLOCK" in environment:
        environment[ENV_PREFIX + "CLOCK"] = environment["BORDERPASS_CLOCK"]
    return load(
        EdgeConfig,
        toml_file=data_dir / CONFIG_FILE,
        env=environment,
        env_prefix=ENV_PREFIX,
        **{**overrides, "data_dir": data_dir},
    )


def settings_table() -> str:
    """The settings with defaults and help, for ``borderpass edge serve --help``."""
    return describe(EdgeConfig, ENV_PREFIX)
