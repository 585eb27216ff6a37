"""The ``[load]`` table of the config file: what the simulated stations do, and the gate.

The same TOML file as the conformance suite (``--ocpp-config``), so a CSMS team keeps one
description of its target: ``[tags]`` gives the default id tokens, ``[load]`` the rest.
Unknown keys are an error naming the known ones, as everywhere in the file: a typo would
otherwise silently load-test the default. Pure module: safe to import from pytest (no gevent).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from pytest_ocpp.config import ConfigError, IdTags

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

PASSWORD_ENV = "OCPP_LOAD_BASIC_AUTH_PASSWORD"
"""Secrets belong in the environment; this one beats ``[load] basic_auth_password``."""

MIX_KINDS = ("charging", "idle")
"""``[load.mix]`` weights: stations that run charging sessions, stations that only boot,
report status and heartbeat. Both answer whatever the CSMS asks (a remote start included)."""


@dataclass(frozen=True)
class LoadSettings:
    """One station population. Times are seconds; every periodic action is drawn per station
    with a random phase, so N stations never fire in the same instant (unless a storm asks)."""

    station_id_pattern: str = "LOAD{worker:02d}-{n:05d}"
    """``{worker}`` (Locust worker index, 0 alone) and ``{n}`` (user number in that process)
    keep ids unique across workers and machines; ≤ 20 characters suits 1.6's identity."""
    connectors: int = 2
    id_tokens: tuple[str, ...] = ()
    """Tokens a session presents, round robin; default ``[tags] valid`` and ``valid_2``."""
    mix: Mapping[str, float] = field(default_factory=lambda: {"charging": 1.0, "idle": 0.0})
    heartbeat_interval: float = 0.0
    """0: the interval the CSMS's BootNotification answer gives (the protocol's rule)."""
    meter_value_interval: float = 10.0
    session_interval: float = 60.0
    """Mean idle time of a connector between two sessions (exponentially distributed)."""
    session_duration: float = 30.0
    think_time: float = 1.0
    """Pause between the steps of a session (plug in, authorize, start; stop, unplug)."""
    response_timeout: float = 10.0
    connect_timeout: float = 10.0
    basic_auth_password: str | None = field(default=None, repr=False)
    """HTTP Basic password (profile 1/2), may contain ``{station_id}``; never printed."""
    boot_storm: bool = False
    """Every station connects and boots at once (the spawn rate becomes the station count)."""
    reconnect_fraction: float = 0.0
    reconnect_at: float = 30.0
    offline_fraction: float = 0.0
    offline_at: float = 30.0
    offline_duration: float = 10.0
    p95_ms: float = 1000.0
    max_failure_ratio: float = 0.0
    min_stations: int | None = None
    """Gate: stations that must be connected at the peak (default: all of ``gate_stations``)."""
    gate_stations: int = 50
    gate_duration: float = 10.0
    gate_spawn_rate: float = 50.0

    def password_for(self, station_id: str) -> str | None:
        secret = os.environ.get(PASSWORD_ENV) or self.basic_auth_password
        return None if not secret else secret.replace("{station_id}", station_id)

    def station_id(self, worker: int, n: int) -> str:
        return self.station_id_pattern.format(worker=worker, n=n)


GOLDEN = 0.6180339887498949
"""Spreads "a fraction f of the stations" evenly over station numbers, whatever N is."""


@dataclass(frozen=True)
class Role:
    """What station number ``n`` of a process does besides the basics."""

    charging: bool
    reconnect_storm: bool
    offline_storm: bool


def role(settings: LoadSettings, n: int) -> Role:
    """Station ``n``'s role: deterministic, so a test (or a user reading a trace) can tell
    which stations charge, which take part in which storm."""
    spread = (n * GOLDEN) % 1.0
    share = settings.mix["charging"] / (settings.mix["charging"] + settings.mix["idle"])
    return Role(
        charging=spread < share,
        reconnect_storm=spread < settings.reconnect_fraction,
        offline_storm=(spread + 0.5) % 1.0 < settings.offline_fraction,
    )


_NUMBERS = {f.name for f in fields(LoadSettings)} - {
    "station_id_pattern",
    "id_tokens",
    "mix",
    "basic_auth_password",
    "boot_storm",
    "min_stations",
}


def read_document(path: str | os.PathLike[str] | None) -> dict[str, Any]:
    """The whole TOML document, or {} without a file; errors are one sentence."""
    if not path:
        return {}
    try:
        return tomllib.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def from_document(document: Mapping[str, Any]) -> LoadSettings:
    """Build the settings from a config document's ``[load]`` and ``[tags]`` tables."""
    table = dict(document.get("load", {}))
    known = {f.name for f in fields(LoadSettings)}
    unknown = set(table) - known
    if unknown:
        raise ConfigError(
            f"unknown key(s) {sorted(unknown)} in [load] of the config file; known keys: "
            f"{sorted(known)}"
        )
    tags = document.get("tags", {})
    default_tokens = (tags.get("valid", IdTags.valid), tags.get("valid_2", IdTags.valid_2))
    values: dict[str, Any] = {"id_tokens": default_tokens}
    for key, value in table.items():
        if key in _NUMBERS:
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"[load] {key} must be a number ≥ 0, got {value!r}")
            values[key] = int(value) if key in ("connectors", "gate_stations") else float(value)
        elif key == "id_tokens":
            if (
                not isinstance(value, list)
                or not value
                or not all(isinstance(v, str) for v in value)
            ):
                raise ConfigError("[load] id_tokens must be a non-empty list of strings")
            values[key] = tuple(value)
        elif key == "mix":
            values[key] = _mix(value)
        elif key == "boot_storm":
            values[key] = bool(value)
        elif key == "min_stations":
            values[key] = int(value)
        else:
            values[key] = str(value)
    settings = LoadSettings(**values)
    for key in ("reconnect_fraction", "offline_fraction", "max_failure_ratio"):
        if getattr(settings, key) > 1:
            raise ConfigError(f"[load] {key} is a fraction between 0 and 1")
    if settings.connectors < 1:
        raise ConfigError("[load] connectors must be at least 1")
    try:
        settings.station_id(0, 0)
    except (KeyError, ValueError, IndexError) as exc:
        raise ConfigError(
            f"[load] station_id_pattern {settings.station_id_pattern!r} is not a format string "
            f"over {{worker}} and {{n}}: {exc}"
        ) from None
    return settings


def _mix(value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise ConfigError("[load] mix must be a table, e.g. mix = { charging = 0.8, idle = 0.2 }")
    unknown = set(value) - set(MIX_KINDS)
    if unknown:
        raise ConfigError(f"[load] mix: unknown kind(s) {sorted(unknown)}; known: {MIX_KINDS}")
    mix = {kind: float(value.get(kind, 0.0)) for kind in MIX_KINDS}
    if sum(mix.values()) <= 0 or min(mix.values()) < 0:
        raise ConfigError("[load] mix weights must be ≥ 0 and not all 0")
    return mix


def load_settings(path: str | os.PathLike[str] | None, **overrides: Any) -> LoadSettings:
    """The settings of the config file at ``path`` (defaults without one), then overrides."""
    settings = from_document(read_document(path))
    return replace(settings, **overrides) if overrides else settings
