"""The checks every charging profile a CSMS sends gets, whichever case receives it (2.0.1).

Part 6 §3.1 lists two tool validations OCTT applies to every SetChargingProfileRequest of
every CSMS-side case ("General tool rules/validations"): the chargingSchedulePeriod list is
ordered by increasing startPeriod, and phaseToUse is only set when numberPhases is 1. The 2025
errata add "The received Charging Profile must comply with the requirements defined at part 2
specification" to the K cases (errata 6.3.13). This module is that compliance, written once:
the requirements of use case K01 (and the ChargingProfileType definition, Part 2 §2.10-2.12)
that a *CSMS* must meet in a profile it sends, so the K cases, the F cases and reusable state
ISO15118SmartCharging all judge them the same way.

Only rules a single message shows are judged here. Rules that need history (K01.FR.06,
K01.FR.39: no second profile with the same stack level and purpose) or the scenario's values
(the configured stackLevel, the running transactionId) stay in the cases.

Entry points:

* :func:`check_set_charging_profile`: a whole SetChargingProfileRequest payload;
* :func:`check_charging_profile`: one ChargingProfileType wherever it travels (also the
  chargingProfile of a RequestStartTransactionRequest, F01.FR.08);
* :func:`check_get_charging_profiles` (K09.FR.03) and :func:`check_clear_charging_profile`
  (K10.FR.02): the selection rules of the two other profile requests.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_ocpp.config import ConfigError
from pytest_ocpp.verdicts import check

if TYPE_CHECKING:
    from pytest_ocpp.station.device_model import DeviceModel

__all__ = [
    "DEFAULT_EV_CHARGING_NEEDS",
    "SmartChargingValues",
    "check_charging_profile",
    "check_clear_charging_profile",
    "check_get_charging_profiles",
    "check_set_charging_profile",
    "phase_switching_supported",
]

MAX_ISO15118_SCHEDULES = 3
"""ChargingProfileType.chargingSchedule 1..3: "at most three schedules ... to choose from" in an
ISO 15118 session (Part 2 §2.10, K15.FR.07)."""

DEFAULT_EV_CHARGING_NEEDS: Mapping[str, Any] = {
    "requestedEnergyTransfer": "AC_three_phase",
    "acChargingParameters": {
        "energyAmount": 20000,
        "evMinCurrent": 6,
        "evMaxCurrent": 32,
        "evMaxVoltage": 400,
    },
}
"""The mock EV's ChargingNeedsType unless ``[station] ev_charging_needs`` says otherwise: a
three-phase AC car wanting 20 kWh at 6-32 A (K15.FR.06: AC or DC parameters are required)."""

_UNITS = ("A", "W")
_RECURRENCY = ("Daily", "Weekly")
_PURPOSES = (
    "ChargingStationExternalConstraints",
    "ChargingStationMaxProfile",
    "TxDefaultProfile",
    "TxProfile",
)
_SOURCES = ("EMS", "Other", "SO", "CSO")


@dataclass(frozen=True)
class SmartChargingValues:
    """OCTT's "<Configured ...>" values of the K cases, from ``[station]`` keys of the config
    file (same names), with these defaults."""

    charging_profile_id: int = 1
    """<Configured chargingProfileId>: the id of the profiles the CSMS is asked to set."""
    stack_level: int = 0
    """<Configured stackLevel>."""
    charging_rate_unit: str = "A"
    """<Configured chargingRateUnit>: A or W (the tables' limits are x1000 in W)."""
    charging_schedule_duration: int = 300
    """<Configured duration> / <Configured Charging Schedule Duration>, seconds."""
    number_phases: int = 3
    """<Configured numberPhases>; with 3 a CSMS may omit it (K01.FR.49)."""
    recurrency_kind: str = "Daily"
    """<Configured concurrencyKind> of TC_K_19_CSMS: Daily or Weekly."""
    charging_profile_purpose: str = "TxDefaultProfile"
    """<Configured chargingProfilePurpose> of the GetChargingProfiles cases."""
    charging_limit_source: str = "CSO"
    """<Configured chargingLimitSource> of TC_K_34_CSMS."""
    ev_charging_needs: Mapping[str, Any] = field(
        default_factory=lambda: copy.deepcopy(dict(DEFAULT_EV_CHARGING_NEEDS))
    )
    """<Configured values from mock EV>: the chargingNeeds of NotifyEVChargingNeedsRequest."""
    ev_max_schedule_tuples: int = 12
    """<Configured values from mock EV>: its maxScheduleTuples."""

    @classmethod
    def from_extra(cls, extra: Mapping[str, Any]) -> SmartChargingValues:
        """The values of ``[station]`` (``StationSpec.extra``), checked against their enums."""
        known = {name: extra[name] for name in cls.__dataclass_fields__ if name in extra}
        values = cls(**known)
        for name, allowed in (
            ("charging_rate_unit", _UNITS),
            ("recurrency_kind", _RECURRENCY),
            ("charging_profile_purpose", _PURPOSES),
            ("charging_limit_source", _SOURCES),
        ):
            if getattr(values, name) not in allowed:
                raise ConfigError(
                    f"[station] {name} = {getattr(values, name)!r}: one of {', '.join(allowed)}"
                )
        if values.number_phases not in (1, 2, 3):
            raise ConfigError(f"[station] number_phases = {values.number_phases}: 1, 2 or 3")
        needs = values.ev_charging_needs
        if "requestedEnergyTransfer" not in needs:
            raise ConfigError(
                "[station] ev_charging_needs needs requestedEnergyTransfer (Part 2 "
                "ChargingNeedsType), and AC or DC parameters (K15.FR.06)"
            )
        return values

    def limit(self, amperes: float) -> float:
        """A table's limit in the configured unit: "6.0 or 6000.0" is 6 A or 6000 W."""
        return float(amperes) if self.charging_rate_unit == "A" else float(amperes) * 1000


def _schedules(profile: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The profile's chargingSchedule list (the schema makes it an array of 1..3)."""
    schedules = profile.get("chargingSchedule")
    if isinstance(schedules, Mapping):  # tolerate a bare object: judged, not crashed on
        return [schedules]
    return [s for s in schedules or [] if isinstance(s, Mapping)]


def _periods(schedule: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [p for p in schedule.get("chargingSchedulePeriod") or [] if isinstance(p, Mapping)]


def phase_switching_supported(device_model: DeviceModel | None, evse_id: int | None) -> bool:
    """Whether the station's device model defines SmartChargingCtrlr.ACPhaseSwitchingSupported
    true, station-wide or for ``evse_id`` (Part 2 §2.9.3, "If defined and true, this EVSE
    supports the selection of which phase to use")."""
    if device_model is None:
        return False
    keys = ["SmartChargingCtrlr.ACPhaseSwitchingSupported"]
    if evse_id:
        keys.insert(0, f"SmartChargingCtrlr({evse_id}).ACPhaseSwitchingSupported")
    for key in keys:
        value = device_model.value(key)
        if value is not None:
            return value.strip().lower() == "true"
    return False


def check_charging_profile(
    profile: Mapping[str, Any],
    where: str,
    *,
    message: str = "SetChargingProfileRequest",
    phase_switching: bool = False,
    iso15118: bool = False,
    max_periods: int | None = None,
) -> None:
    """The rules of Part 6 §3.1 and Part 2 that any ChargingProfileType from a CSMS meets.

    ``where`` names the step ("Step 1"), ``message`` the message carrying the profile.
    ``phase_switching``: the EVSE supports ACPhaseSwitchingSupported (K01.FR.20).
    ``iso15118``: the profile belongs to an ISO 15118 session (K15-K17), which alone allows a
    TxProfile up to three chargingSchedules (K01.FR.34, Part 2 §2.10). ``max_periods``: the
    most periods a schedule may have (maxScheduleTuples and SmartChargingCtrlr.PeriodsPerSchedule,
    K15.FR.07 / K17.FR.07).
    """
    head = f"{where}: {message} chargingProfile"
    purpose = profile.get("chargingProfilePurpose")
    kind = profile.get("chargingProfileKind")
    schedules = _schedules(profile)
    if iso15118:
        check(
            1 <= len(schedules) <= MAX_ISO15118_SCHEDULES,
            f"{head} with one to {MAX_ISO15118_SCHEDULES} chargingSchedules (K15.FR.07, K17.FR.07)",
            profile,
        )
        check(
            len(schedules) == 1 or purpose == "TxProfile",
            f"{head} with one chargingSchedule unless it is a TxProfile (Part 2 §2.10 "
            "ChargingProfileType)",
            profile,
        )
    else:
        check(
            len(schedules) == 1,
            f"{head} with exactly one chargingSchedule: several are only allowed for a "
            "TxProfile in an ISO 15118 session (K01.FR.34, Part 2 §2.10 ChargingProfileType)",
            profile,
        )
    if purpose == "ChargingStationMaxProfile":
        check(
            kind != "Relative",
            f"{head}.chargingProfileKind Absolute or Recurring for a ChargingStationMaxProfile "
            "(K01.FR.38: it SHALL NOT be Relative)",
            profile,
        )
    for number, schedule in enumerate(schedules, 1):
        label = f"{head}.chargingSchedule" + (f"[{number}]" if len(schedules) > 1 else "")
        if kind in ("Absolute", "Recurring"):
            check(
                "startSchedule" in schedule,
                f"{label}.startSchedule present for chargingProfileKind {kind} (K01.FR.40)",
                profile,
            )
        elif kind == "Relative":
            check(
                "startSchedule" not in schedule,
                f"{label}.startSchedule absent for chargingProfileKind Relative (K01.FR.41)",
                profile,
            )
        periods = _periods(schedule)
        starts = [p.get("startPeriod") for p in periods]
        check(
            bool(starts) and starts[0] == 0,
            f"{label}.chargingSchedulePeriod[0].startPeriod 0 (K01.FR.31: the first period "
            "SHALL always start at 0)",
            profile,
        )
        check(
            all(
                isinstance(a, int) and isinstance(b, int) and a < b
                for a, b in itertools.pairwise(starts)
            ),
            f"{label}.chargingSchedulePeriod list ordered by increasing startPeriod (Part 6 "
            f"§3.1 general tool validation, K01.FR.35); startPeriods {starts}",
            profile,
        )
        for index, period in enumerate(periods):
            if "phaseToUse" not in period:
                continue
            phases = period.get("numberPhases")
            check(
                phases == 1,
                f"{label}.chargingSchedulePeriod[{index}].phaseToUse only with numberPhases 1 "
                f"(Part 6 §3.1 general tool validation, K01.FR.19; numberPhases is "
                f"{'omitted, i.e. 3 (K01.FR.49)' if phases is None else phases})",
                profile,
            )
            check(
                phase_switching,
                f"{label}.chargingSchedulePeriod[{index}].phaseToUse only for an EVSE whose "
                "SmartChargingCtrlr.ACPhaseSwitchingSupported is defined and true, which this "
                "station's device model does not declare (K01.FR.20)",
                profile,
            )
        if max_periods is not None:
            check(
                len(periods) <= max_periods,
                f"{label} with at most {max_periods} chargingSchedulePeriods (maxScheduleTuples "
                "of the NotifyEVChargingNeedsRequest and SmartChargingCtrlr.PeriodsPerSchedule, "
                "K15.FR.07)",
                profile,
            )


def check_set_charging_profile(
    payload: Mapping[str, Any],
    where: str,
    *,
    device_model: DeviceModel | None = None,
    iso15118: bool = False,
    max_schedule_tuples: int | None = None,
) -> dict[str, Any]:
    """Judge a SetChargingProfileRequest the CSMS sent by every rule that holds for any such
    request, and return its chargingProfile ({} if it has none, so later checks fail instead
    of crashing).

    ``where`` names the step ("Step 1", "ISO15118SmartCharging step 3"). ``device_model``: the
    station's, for ACPhaseSwitchingSupported (K01.FR.20) and PeriodsPerSchedule (K15.FR.07).
    ``iso15118``: the request belongs to an ISO 15118 session (the CSMS got a
    NotifyEVChargingNeedsRequest for the transaction), so it may carry up to three schedules.
    ``max_schedule_tuples``: the request answers a NotifyEVChargingNeedsRequest with that
    maxScheduleTuples (K15.FR.07, K17.FR.07): no schedule may have more periods than it, nor
    than SmartChargingCtrlr.PeriodsPerSchedule when the device model sets it. See
    :func:`check_charging_profile`.

    Judged: purpose never ChargingStationExternalConstraints (K01.FR.22); a TxProfile only on an
    EVSE > 0 (K01.FR.16) and with a transactionId (K01.FR.03); a transactionId only in a
    TxProfile (Part 2 §2.10 ChargingProfileType); then :func:`check_charging_profile`.
    """
    raw = payload.get("chargingProfile")
    profile: dict[str, Any] = dict(raw) if isinstance(raw, Mapping) else {}
    evse_id = payload.get("evseId")
    purpose = profile.get("chargingProfilePurpose")
    head = f"{where}: SetChargingProfileRequest"
    check(
        purpose != "ChargingStationExternalConstraints",
        f"{head} chargingProfile.chargingProfilePurpose other than "
        "ChargingStationExternalConstraints (K01.FR.22: only an external system sets those)",
        payload,
    )
    if purpose == "TxProfile":
        check(
            isinstance(evse_id, int) and evse_id > 0,
            f"{head} evseId > 0 for a TxProfile (K01.FR.16)",
            payload,
        )
        check(
            bool(profile.get("transactionId")),
            f"{head} chargingProfile.transactionId present in a TxProfile (K01.FR.03: the CSMS "
            "SHALL include the transactionId when setting a TxProfile)",
            payload,
        )
    else:
        check(
            "transactionId" not in profile,
            f"{head} chargingProfile.transactionId omitted for purpose {purpose} (Part 2 §2.10 "
            "ChargingProfileType: it SHALL only be included when the purpose is TxProfile)",
            payload,
        )
    max_periods = max_schedule_tuples if iso15118 else None
    if max_periods is not None and device_model is not None:
        per_schedule = device_model.value("SmartChargingCtrlr.PeriodsPerSchedule")
        if per_schedule and per_schedule.strip().isdigit():
            limit = int(per_schedule)
            max_periods = limit if max_periods is None else min(max_periods, limit)
    check_charging_profile(
        profile,
        where,
        phase_switching=phase_switching_supported(
            device_model, evse_id if isinstance(evse_id, int) else None
        ),
        iso15118=iso15118,
        max_periods=max_periods,
    )
    return profile


def check_get_charging_profiles(payload: Mapping[str, Any], where: str) -> dict[str, Any]:
    """K09.FR.03: the criteria of a GetChargingProfilesRequest name chargingProfileId(s) or at
    least one of stackLevel, chargingLimitSource, chargingProfilePurpose. Returns the
    criteria ({} if absent)."""
    raw = payload.get("chargingProfile")
    criteria: dict[str, Any] = dict(raw) if isinstance(raw, Mapping) else {}
    named = [
        field
        for field in (
            "chargingProfileId",
            "stackLevel",
            "chargingLimitSource",
            "chargingProfilePurpose",
        )
        if criteria.get(field) not in (None, [])
    ]
    check(
        bool(named),
        f"{where}: GetChargingProfilesRequest chargingProfile criteria with chargingProfileId or "
        "one or more of stackLevel, chargingLimitSource, chargingProfilePurpose (K09.FR.03)",
        payload,
    )
    return criteria


def check_clear_charging_profile(payload: Mapping[str, Any], where: str) -> dict[str, Any]:
    """K10.FR.02: a ClearChargingProfileRequest names a chargingProfileId or one or more of
    the criteria evseId, chargingProfilePurpose, stackLevel. Returns the criteria ({} if
    absent)."""
    raw = payload.get("chargingProfileCriteria")
    criteria: dict[str, Any] = dict(raw) if isinstance(raw, Mapping) else {}
    check(
        "chargingProfileId" in payload or bool(criteria),
        f"{where}: ClearChargingProfileRequest with a chargingProfileId or one or more of the "
        "criteria evseId, chargingProfilePurpose, stackLevel (K10.FR.02)",
        payload,
    )
    return criteria
