"""OCPP 1.6 configuration keys as the specification defines them (§9.1-9.4), and the one rule
every station-side case applies when a scenario needs a key the station does not report.

A scenario's "Configuration State(s)" name keys. When the station reports one in
``unknownKey``, what that means depends on the specification, not on the case: a key that
§9 marks *required* for a profile the station declares is a defect of the station (a failure
citing the rule, worded the same way in every case so the compliance summary groups it once
per key); an *optional* key, or one of a profile the station does not declare, means the
station lacks what the scenario needs (not applicable).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from pytest_ocpp.verdicts import NotApplicable, TargetFailure


@dataclass(frozen=True)
class KeySpec:
    """One configuration key of OCPP 1.6 §9: its section, profile and whether it is required."""

    section: str
    profile: str
    required: bool


def _keys(profile: str, chapter: str, rows: str) -> dict[str, KeySpec]:
    table: dict[str, KeySpec] = {}
    for number, line in enumerate(rows.split(), start=1):
        name, _, kind = line.partition(":")
        table[name] = KeySpec(f"{chapter}.{number}", profile, kind == "required")
    return table


KEYS: dict[str, KeySpec] = {
    # OCPP 1.6 edition 2, §9.1 (Core), in the specification's order and numbering.
    **_keys(
        "Core",
        "§9.1",
        """AllowOfflineTxForUnknownId:optional AuthorizationCacheEnabled:optional
        AuthorizeRemoteTxRequests:required BlinkRepeat:optional
        ClockAlignedDataInterval:required ConnectionTimeOut:required
        ConnectorPhaseRotation:required ConnectorPhaseRotationMaxLength:optional
        GetConfigurationMaxKeys:required HeartbeatInterval:required LightIntensity:optional
        LocalAuthorizeOffline:required LocalPreAuthorize:required
        MaxEnergyOnInvalidId:optional MeterValuesAlignedData:required
        MeterValuesAlignedDataMaxLength:optional MeterValuesSampledData:required
        MeterValuesSampledDataMaxLength:optional MeterValueSampleInterval:required
        MinimumStatusDuration:optional NumberOfConnectors:required ResetRetries:required
        StopTransactionOnEVSideDisconnect:required StopTransactionOnInvalidId:required
        StopTxnAlignedData:required StopTxnAlignedDataMaxLength:optional
        StopTxnSampledData:required StopTxnSampledDataMaxLength:optional
        SupportedFeatureProfiles:required SupportedFeatureProfilesMaxLength:optional
        TransactionMessageAttempts:required TransactionMessageRetryInterval:required
        UnlockConnectorOnEVSideDisconnect:required WebSocketPingInterval:optional""",
    ),
    **_keys(
        "LocalAuthListManagement",
        "§9.2",
        "LocalAuthListEnabled:required LocalAuthListMaxLength:required "
        "SendLocalListMaxLength:required",
    ),
    **_keys("Reservation", "§9.3", "ReserveConnectorZeroSupported:optional"),
    **_keys(
        "SmartCharging",
        "§9.4",
        "ChargeProfileMaxStackLevel:required ChargingScheduleAllowedChargingRateUnit:required "
        "ChargingScheduleMaxPeriods:required ConnectorSwitch3to1PhaseSupported:optional "
        "MaxChargingProfilesInstalled:required",
    ),
}
"""Key name → where OCPP 1.6 defines it and whether it is required."""


def required_key_missing(key: str) -> TargetFailure:
    """The failure for a required key the station reports as unknown. Every case words it the
    same way, so the compliance summary groups it once per key."""
    spec = KEYS[key]
    return TargetFailure(
        f"required configuration key {key} (OCPP 1.6 {spec.section}: required for the "
        f"{spec.profile} profile) is missing: GetConfiguration.conf reports it as unknown"
    )


def is_required(key: str, declared: Collection[str]) -> bool:
    """True when OCPP 1.6 requires ``key`` of a station declaring the ``declared`` profiles."""
    spec = KEYS.get(key)
    return (
        spec is not None and spec.required and (spec.profile in declared or spec.profile == "Core")
    )


def missing_key(key: str, declared: Collection[str], needed: str) -> Exception:
    """What an unknown ``key`` means for a scenario that ``needed`` it (e.g. ``"=true"``): a
    failure for a key OCPP 1.6 requires of this station, else "not applicable"."""
    if is_required(key, declared):
        return required_key_missing(key)
    spec = KEYS.get(key)
    if spec is None:
        why = "a key OCPP 1.6 does not define"
    elif spec.profile != "Core" and spec.profile not in declared:
        why = f"a key of the {spec.profile} profile, which the station does not declare"
    else:
        why = f"optional in OCPP 1.6 {spec.section}"
    return NotApplicable(
        f"the station does not implement configuration key {key} ({why}); the scenario "
        f"needs {key}{needed}"
    )
