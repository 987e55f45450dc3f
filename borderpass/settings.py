"""Frozen configuration dataclasses filled from defaults, a TOML file and the
environment, in that order of precedence (the environment wins).

Each service declares a dataclass whose fields carry ``metadata={"help": ...}``;
:func:`load` fills it. The environment variable for a field is the prefix and the field
name in capitals: ``BORDERPASS_EDGE_PORT`` for ``port`` with prefix
``BORDERPASS_EDGE_``. Values are converted by the field's type: ``int``, ``float``,
``bool``, ``str``, ``Path``, ``tuple[str, ...]`` (comma-separated in the
environment) and their ``| None`` forms.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(ValueError):
    """A configuration value could not be used; the message names the setting."""


def _convert(name: str, kind: Any, value: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        if value is None or value == "":
            return None
        return _convert(name, options[0], value)
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ConfigError(f"{name}: expected true or false, got {value!r}")
    number_from_toml = isinstance(value, bool | float) and kind in (int, float)
    if number_from_toml and (isinstance(value, bool) or kind is int):  # port = true, 80.5
        raise ConfigError(f"{name}: expected {kind.__name__}, got {value!r}")
    if origin is tuple:
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(str(i).strip() for i in items if str(i).strip())
    try:
        if kind is Path:
            return Path(value)
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name}: expected {kind.__name__}, got {value!r}") from exc


def load(
    cls: type[T],
    *,
    toml_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    env_prefix: str = "",
    **overrides: Any,
) -> T:
    """Build ``cls`` from its defaults, then ``toml_file``, then ``env``, then the
    explicit ``overrides`` (command-line flags; ``None`` values are skipped)."""
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    if toml_file is not None and toml_file.exists():
        doc = tomllib.loads(toml_file.read_text("utf-8"))
        known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = set(doc) - known
        if unknown:
            raise ConfigError(f"{toml_file}: unknown settings {sorted(unknown)}")
        values.update(doc)
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        variable = env_prefix + field.name.upper()
        if env is not None and variable in env:
            values[field.name] = env[variable]
    values.update({k: v for k, v in overrides.items() if v is not None})
    converted = {k: _convert(k, hints[k], v) for k, v in values.items()}
    return cls(**converted)


def describe(cls: type[Any], env_prefix: str) -> str:
    """A table of the settings, their defaults and help, for ``--help`` and the README."""
    lines = []
    for field in dataclasses.fields(cls):
        default = field.default if field.default is not dataclasses.MISSING else "(required)"
        help_text = field.metadata.get("help", "")
        lines.append(f"{env_prefix}{field.name.upper():<28} {default!s:<24} {help_text}")
    return "\n".join(lines)
