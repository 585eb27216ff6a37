"""Configuration keys of the reference charge point (OCPP 1.6 §9).

The station answers GetConfiguration / ChangeConfiguration from this table. Every key carries
its accessibility (OCPP 1.6 §9: "R" or "RW") and a validator, so ChangeConfiguration can answer
Accepted, Rejected (read-only key or invalid value, OCPP 1.6 §5.3) or NotSupported (unknown key).
Interval keys accept small values on purpose: the station-side suite sets the shortest legal
value before it waits for a heartbeat, a sample or a timeout, as OCTT does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass

from ocpp.v16.enums import Measurand

Validator = Callable[[str], bool]

PROFILE_NAMES: tuple[str, ...] = (
    "Core",
    "FirmwareManagement",
    "LocalAuthListManagement",
    "Reservation",
    "SmartCharging",
    "RemoteTrigger",
)

_MEASURANDS = frozenset(m.value for m in Measurand)
_PHASES = ("L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1")
_ROTATIONS = frozenset({"NotApplicable", "Unknown", "RST", "RTS", "SRT", "STR", "TRS", "TSR"})


def split_measurand(item: str) -> tuple[str, str | None]:
    """Split ``Voltage.L1`` into (``Voltage``, ``L1``); OCPP 1.6 §9.1.17 allows a phase suffix."""
    if item in _MEASURANDS:
        return item, None
    for phase in _PHASES:
        suffix = "." + phase
        if item.endswith(suffix) and item[: -len(suffix)] in _MEASURANDS:
            return item[: -len(suffix)], phase
    raise ValueError(f"{item!r} is not an OCPP 1.6 measurand")


def csl_items(value: str) -> list[str]:
    """Items of a comma-separated list (OCPP 1.6 §9, type CSL), blanks dropped."""
    return [item.strip() for item in value.split(",") if item.strip()]


def _is_bool(value: str) -> bool:
    return value.lower() in ("true", "false")


def _int_at_least(minimum: int, maximum: int | None = None) -> Validator:
    def check(value: str) -> bool:
        if not re.fullmatch(r"[+]?\d+", value.strip()):
            return False
        number = int(value)
        return number >= minimum and (maximum is None or number <= maximum)

    return check


def _measurand_list(max_length_key: str, store: ConfigStore) -> Validator:
    def check(value: str) -> bool:
        items = csl_items(value)
        if len(items) > store.get_int(max_length_key, 8):
            return False
        try:
            for item in items:
                split_measurand(item)
        except ValueError:
            return False
        return True

    return check


def _phase_rotation(value: str) -> bool:
    for item in csl_items(value):
        _, _, rotation = item.rpartition(".")
        if rotation not in _ROTATIONS:
            return False
    return True


def _never(_value: str) -> bool:
    return False


@dataclass
class ConfigKey:
    """One configuration key: value, accessibility and the rule a new value must follow."""

    key: str
    value: str
    readonly: bool
    validate: Validator


class ConfigStore:
    """The station's configuration keys, in the order GetConfiguration reports them."""

    def __init__(
        self,
        *,
        connectors: int,
        features: Collection[str],
        overrides: Mapping[str, str] = {},
        removed: Collection[str] = (),
    ) -> None:
        self._keys: dict[str, ConfigKey] = {}
        measurands = "Energy.Active.Import.Register"
        core: list[tuple[str, str, bool, Validator]] = [
            ("AllowOfflineTxForUnknownId", "false", False, _is_bool),
            ("AuthorizationCacheEnabled", "true", False, _is_bool),
            ("AuthorizeRemoteTxRequests", "true", False, _is_bool),
            ("BlinkRepeat", "3", False, _int_at_least(0)),
            ("ClockAlignedDataInterval", "0", False, _int_at_least(0)),
            ("ConnectionTimeOut", "60", False, _int_at_least(1)),
            (
                "ConnectorPhaseRotation",
                ",".join(f"{i}.RST" for i in range(1, connectors + 1)),
                False,
                _phase_rotation,
            ),
            ("ConnectorPhaseRotationMaxLength", str(connectors + 1), True, _never),
            ("GetConfigurationMaxKeys", "100", True, _never),
            ("HeartbeatInterval", "300", False, _int_at_least(1)),
            ("LightIntensity", "100", False, _int_at_least(0, 100)),
            ("LocalAuthorizeOffline", "true", False, _is_bool),
            ("LocalPreAuthorize", "false", False, _is_bool),
            ("MaxEnergyOnInvalidId", "0", False, _int_at_least(0)),
            ("MeterValuesAlignedData", measurands, False, _never),
            ("MeterValuesAlignedDataMaxLength", "8", True, _never),
            ("MeterValuesSampledData", measurands, False, _never),
            ("MeterValuesSampledDataMaxLength", "8", True, _never),
            ("MeterValueSampleInterval", "60", False, _int_at_least(0)),
            ("MinimumStatusDuration", "0", False, _int_at_least(0)),
            ("NumberOfConnectors", str(connectors), True, _never),
            ("ResetRetries", "1", False, _int_at_least(0)),
            ("StopTransactionOnEVSideDisconnect", "true", False, _is_bool),
            ("StopTransactionOnInvalidId", "true", False, _is_bool),
            ("StopTxnAlignedData", "", False, _never),
            ("StopTxnAlignedDataMaxLength", "8", True, _never),
            ("StopTxnSampledData", "", False, _never),
            ("StopTxnSampledDataMaxLength", "8", True, _never),
            ("SupportedFeatureProfiles", ",".join(features), True, _never),
            ("SupportedFeatureProfilesMaxLength", str(len(PROFILE_NAMES)), True, _never),
            ("TransactionMessageAttempts", "3", False, _int_at_least(1)),
            ("TransactionMessageRetryInterval", "5", False, _int_at_least(0)),
            ("UnlockConnectorOnEVSideDisconnect", "true", False, _is_bool),
            ("WebSocketPingInterval", "0", False, _int_at_least(0)),
        ]
        for key, value, readonly, validate in core:
            self._keys[key] = ConfigKey(key, value, readonly, validate)
        for key, max_key in (
            ("MeterValuesAlignedData", "MeterValuesAlignedDataMaxLength"),
            ("MeterValuesSampledData", "MeterValuesSampledDataMaxLength"),
            ("StopTxnAlignedData", "StopTxnAlignedDataMaxLength"),
            ("StopTxnSampledData", "StopTxnSampledDataMaxLength"),
        ):
            self._keys[key].validate = _measurand_list(max_key, self)
        if "LocalAuthListManagement" in features:
            self._add("LocalAuthListEnabled", "true", False, _is_bool)
            self._add("LocalAuthListMaxLength", "100", True, _never)
            self._add("SendLocalListMaxLength", "100", True, _never)
        if "Reservation" in features:
            self._add("ReserveConnectorZeroSupported", "true", True, _never)
        if "SmartCharging" in features:
            self._add("ChargeProfileMaxStackLevel", "10", True, _never)
            self._add("ChargingScheduleAllowedChargingRateUnit", "Current,Power", True, _never)
            self._add("ChargingScheduleMaxPeriods", "24", True, _never)
            self._add("ConnectorSwitch3to1PhaseSupported", "false", True, _never)
            self._add("MaxChargingProfilesInstalled", "10", True, _never)
        if "FirmwareManagement" in features:
            self._add("SupportedFileTransferProtocols", "FTP,HTTP,HTTPS", True, _never)
        unknown = sorted(set(overrides) - set(self._keys))
        if unknown:
            raise ValueError(
                f"config_overrides names keys this station does not have: {', '.join(unknown)}; "
                f"known keys are {', '.join(self._keys)}."
            )
        for key, value in overrides.items():
            self._keys[key].value = str(value)
        for key in removed:
            self._keys.pop(key, None)

    def _add(self, key: str, value: str, readonly: bool, validate: Validator) -> None:
        self._keys[key] = ConfigKey(key, value, readonly, validate)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __iter__(self) -> Iterator[ConfigKey]:
        return iter(self._keys.values())

    def entry(self, key: str) -> ConfigKey | None:
        return self._keys.get(key)

    def get(self, key: str, default: str = "") -> str:
        entry = self._keys.get(key)
        return entry.value if entry is not None else default

    def get_bool(self, key: str, default: bool = False) -> bool:
        entry = self._keys.get(key)
        if entry is None or not _is_bool(entry.value):
            return default
        return entry.value.lower() == "true"

    def get_int(self, key: str, default: int = 0) -> int:
        """The key as an integer; a value a defect let through falls back to ``default``."""
        entry = self._keys.get(key)
        try:
            return int(entry.value) if entry is not None else default
        except ValueError:
            return default

    def set(self, key: str, value: str) -> None:
        """Store a value without checks (the station's own bookkeeping)."""
        self._keys[key].value = value

    def as_dict(self) -> dict[str, str]:
        return {entry.key: entry.value for entry in self._keys.values()}
