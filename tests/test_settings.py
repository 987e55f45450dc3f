"""Configuration: defaults < TOML file < environment < explicit overrides, each value
converted by its field's type, bad values named."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from borderpass.settings import ConfigError, describe, load

PREFIX = "BORDERPASS_TEST_"


@dataclass(frozen=True)
class ServiceConfig:
    data_dir: Path = field(default=Path("data"), metadata={"help": "where the data lives"})
    host: str = field(default="127.0.0.1", metadata={"help": "address to listen on"})
    port: int = field(default=8441, metadata={"help": "TCP port"})
    warn_after_s: float = field(default=86400.0, metadata={"help": "trust age warning"})
    discovery: bool = field(default=True, metadata={"help": "use zeroconf"})
    sites: tuple[str, ...] = field(default=(), metadata={"help": "site ids"})
    hub_url: str | None = field(default=None, metadata={"help": "hub address"})
    max_body: int | None = field(default=None, metadata={"help": "body cap"})
    key_file: Path | None = None


def write_toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "service.toml"
    path.write_text(text, "utf-8")
    return path


def test_defaults() -> None:
    assert load(ServiceConfig) == ServiceConfig()
    assert load(ServiceConfig, env={}, env_prefix=PREFIX) == ServiceConfig()


def test_missing_toml_file_means_defaults(tmp_path: Path) -> None:
    assert load(ServiceConfig, toml_file=tmp_path / "absent.toml") == ServiceConfig()


def test_toml_file(tmp_path: Path) -> None:
    path = write_toml(
        tmp_path,
        'port = 9000\nhost = "0.0.0.0"\ndiscovery = false\nsites = ["hengjiang", "maoling"]\n'
        'data_dir = "/srv/edge"\nwarn_after_s = 60\nhub_url = "http://hub:8440"\n',
    )
    config = load(ServiceConfig, toml_file=path)
    assert config.port == 9000
    assert config.host == "0.0.0.0"
    assert config.discovery is False
    assert config.sites == ("hengjiang", "maoling")
    assert config.data_dir == Path("/srv/edge")
    assert config.warn_after_s == 60.0
    assert isinstance(config.warn_after_s, float)
    assert config.hub_url == "http://hub:8440"


def test_environment_beats_toml_and_overrides_beat_both(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "port = 9000\nmax_body = 10\n")
    env = {f"{PREFIX}PORT": "9100", f"{PREFIX}MAX_BODY": "20", "UNRELATED": "x"}
    config = load(ServiceConfig, toml_file=path, env=env, env_prefix=PREFIX)
    assert (config.port, config.max_body) == (9100, 20)
    overridden = load(
        ServiceConfig, toml_file=path, env=env, env_prefix=PREFIX, port=9200, max_body=None
    )
    assert (overridden.port, overridden.max_body) == (9200, 20)  # None overrides are skipped


def test_environment_values_are_converted() -> None:
    env = {
        f"{PREFIX}PORT": "8000",
        f"{PREFIX}WARN_AFTER_S": "1.5",
        f"{PREFIX}SITES": "dongxing-port, kec-park,,",
        f"{PREFIX}DATA_DIR": "/var/lib/borderpass",
        f"{PREFIX}KEY_FILE": "/etc/key",
        f"{PREFIX}HUB_URL": "",
    }
    config = load(ServiceConfig, env=env, env_prefix=PREFIX)
    assert config.port == 8000
    assert config.warn_after_s == 1.5
    assert config.sites == ("dongxing-port", "kec-park")
    assert config.data_dir == Path("/var/lib/borderpass")
    assert config.key_file == Path("/etc/key")
    assert config.hub_url is None  # empty means unset for an optional setting


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        (" on ", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
    ],
)
def test_booleans_from_the_environment(text: str, expected: bool) -> None:
    config = load(ServiceConfig, env={f"{PREFIX}DISCOVERY": text}, env_prefix=PREFIX)
    assert config.discovery is expected


@pytest.mark.parametrize(
    ("variable", "value", "setting"),
    [
        ("PORT", "eighty", "port"),
        ("WARN_AFTER_S", "soon", "warn_after_s"),
        ("DISCOVERY", "maybe", "discovery"),
        ("MAX_BODY", "1MB", "max_body"),
    ],
)
def test_bad_values_name_the_setting(variable: str, value: str, setting: str) -> None:
    with pytest.raises(ConfigError, match=setting):
        load(ServiceConfig, env={f"{PREFIX}{variable}": value}, env_prefix=PREFIX)


@pytest.mark.parametrize(
    ("line", "setting"),
    [
        ("port = 9000.7", "port"),
        ("port = 9000.0", "port"),
        ("port = true", "port"),
        ("warn_after_s = true", "warn_after_s"),
        ('port = "eighty"', "port"),
        ('discovery = "perhaps"', "discovery"),
    ],
)
def test_mistyped_toml_values_are_refused(tmp_path: Path, line: str, setting: str) -> None:
    with pytest.raises(ConfigError, match=setting):
        load(ServiceConfig, toml_file=write_toml(tmp_path, line + "\n"))


def test_toml_numbers_convert_where_exact(tmp_path: Path) -> None:
    config = load(ServiceConfig, toml_file=write_toml(tmp_path, "warn_after_s = 5\n"))
    assert config.warn_after_s == 5.0


def test_unknown_toml_setting_is_refused(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "port = 1\nprot = 2\n")
    with pytest.raises(ConfigError, match="prot"):
        load(ServiceConfig, toml_file=path)


def test_config_error_is_a_value_error(tmp_path: Path) -> None:
    assert issubclass(ConfigError, ValueError)


def test_result_is_frozen() -> None:
    config = load(ServiceConfig)
    with pytest.raises(AttributeError):
        config.port = 1  # type: ignore[misc]


def test_describe_lists_every_setting_with_its_variable_and_help() -> None:
    text = describe(ServiceConfig, PREFIX)
    lines = text.splitlines()
    assert len(lines) == 9
    assert lines[2].startswith(f"{PREFIX}PORT")
    assert "8441" in lines[2]
    assert "TCP port" in lines[2]
    assert "where the data lives" in text
    assert f"{PREFIX}KEY_FILE" in text
