"""OCPP 2.0.1, CSMS under test, K. SmartCharging: setting and replacing charging profiles,
and a remote start with one (2.0.1 Edition 3 Part 6 §3.12, Tables 577-580, 584-586, 595, 596
and 608, with the errata of 2024-09 to 2025-04 §6.3.13-6.3.16 and §6.3.19). Reading and
clearing profiles, composite schedules and external limits are in
``test_smart_charging_reports.py``, ISO 15118 in ``test_smart_charging_iso15118.py``.

pytest-ocpp plays the Charging Station. Every request of the CSMS column comes from the CSMS
through ``csms_operator``: the operator is asked for the request the table describes, built from
OCTT's configured values (``[station]`` keys, see
:class:`~pytest_ocpp.station.charging_profiles.SmartChargingValues`), and the request that
arrives is answered first and judged after, so a failed check never leaves the CSMS waiting.

Every SetChargingProfileRequest also gets the checks Part 6 §3.1 and the errata ("The received
Charging Profile must comply with the requirements defined at part 2 specification") apply to
all of them: :func:`~pytest_ocpp.station.charging_profiles.check_set_charging_profile`
(periods ordered, phaseToUse only with one phase, startPeriod 0 first, startSchedule by kind,
transactionId only and always in a TxProfile ...).

Where the tables ask more than Part 2 (a value "now", a recurrencyKind "omitted" that the
specification allows) the check is OCTT-specific (``check_octt``). The CSMS may choose its own
chargingProfile.id where the table only says which id it is asked for: no table validates it,
except TC_K_04 (the same id twice) and TC_K_70 (two different ids). Cases that start a
transaction end it in an "After" step, also after a failure (every case starts from an idle
station).
"""

from __future__ import annotations

import contextlib
import itertools
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import IdTags
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check
from pytest_ocpp.station.charging_profiles import (
    SmartChargingValues,
    check_charging_profile,
    check_set_charging_profile,
    phase_switching_supported,
)
from pytest_ocpp.timestamps import parse_timestamp
from pytest_ocpp.verdicts import check_octt

NOW_TOLERANCE = timedelta(seconds=60)
"""How far a "now" of a table (TC_K_01: validFrom, validTo, startSchedule) may lie outside the
moments the operator was asked and the request arrived: the clocks of the CSMS and of the
test rig are not the same clock."""

_remote_start_ids = itertools.count(int(time.time()) % 100_000 * 10 + 1)
"""remoteStartIds to ask for (TC_K_37_CSMS), different in every run."""


# -- helpers ----------------------------------------------------------------------------------
def _values(station: Station201) -> SmartChargingValues:
    return SmartChargingValues.from_extra(station.spec.extra)


@contextlib.asynccontextmanager
async def _ends_idle(station: Station201) -> AsyncIterator[None]:
    """End the transaction the scenario started (general post-condition). After a failure the
    clean-up is best effort, so the failure's own message stays the verdict."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            await station.leave_idle()
        raise
    step("After: end the transaction and free the connector (idle station for the next case)")
    await station.leave_idle()


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _schedule(
    values: SmartChargingValues,
    amperes: float,
    *,
    start: str | None = None,
    duration: bool = True,
) -> dict[str, Any]:
    """One ChargingScheduleType: the configured unit and numberPhases, one period at 0 with the
    table's limit (x1000 in W), the configured duration, a startSchedule when given."""
    schedule: dict[str, Any] = {"id": 1}
    if start is not None:
        schedule["startSchedule"] = start
    if duration:
        schedule["duration"] = values.charging_schedule_duration
    schedule["chargingRateUnit"] = values.charging_rate_unit
    schedule["chargingSchedulePeriod"] = [
        {
            "startPeriod": 0,
            "limit": values.limit(amperes),
            "numberPhases": values.number_phases,
        }
    ]
    return schedule


def _profile(
    values: SmartChargingValues,
    purpose: str,
    kind: str,
    schedule: dict[str, Any],
    **fields: Any,
) -> dict[str, Any]:
    """A ChargingProfileType with the configured id and stackLevel (``fields`` override)."""
    profile: dict[str, Any] = {
        "id": values.charging_profile_id,
        "stackLevel": values.stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
    }
    profile.update(fields)
    profile["chargingSchedule"] = [schedule]
    return profile


async def _set_charging_profile(
    station: Station201,
    csms_operator: CsmsOperator,
    payload: dict[str, Any],
    *,
    first: int = 1,
    status: str = "Accepted",
) -> IncomingCall:
    """Steps ``first`` and ``first + 1``: the CSMS sends the SetChargingProfileRequest, the
    station answers with ``status``."""
    step(f"{first}. The CSMS sends a SetChargingProfileRequest")
    request = await csms_operator.request(station, "SetChargingProfile", payload)
    step(f"{first + 1}. The OCTT responds with a SetChargingProfileResponse ({status})")
    await request.reply({"status": status})
    return request


def _first_schedule(profile: Mapping[str, Any]) -> Mapping[str, Any]:
    schedules = profile.get("chargingSchedule") or [{}]
    first = schedules[0] if isinstance(schedules, list) else schedules
    return first if isinstance(first, Mapping) else {}


def _first_period(profile: Mapping[str, Any]) -> Mapping[str, Any]:
    periods = _first_schedule(profile).get("chargingSchedulePeriod") or [{}]
    return periods[0] if isinstance(periods[0], Mapping) else {}


def _check_profile_values(
    payload: Mapping[str, Any],
    profile: Mapping[str, Any],
    where: str,
    values: SmartChargingValues,
    *,
    evse_id: int | None = None,
    purpose: str | None = None,
    kinds: tuple[str, ...] = (),
    amperes: float | None = None,
    stack_level: bool = True,
    unit: bool = True,
    duration: bool = False,
    number_phases: bool = True,
    start_schedule: bool = False,
) -> None:
    """The tables' "Step N: Message SetChargingProfileRequest ..." lines: each named value is
    the one asked for. The limit, startPeriod and numberPhases are judged on the first
    chargingSchedulePeriod (the one the tables describe)."""
    head = f"{where}: SetChargingProfileRequest"
    schedule = _first_schedule(profile)
    period = _first_period(profile)
    if evse_id is not None:
        check(payload.get("evseId") == evse_id, f"{head} evseId {evse_id}", payload)
    if stack_level:
        check(
            profile.get("stackLevel") == values.stack_level,
            f"{head} chargingProfile.stackLevel {values.stack_level} (<Configured stackLevel>)",
            payload,
        )
    if purpose is not None:
        check(
            profile.get("chargingProfilePurpose") == purpose,
            f"{head} chargingProfile.chargingProfilePurpose {purpose}",
            payload,
        )
    if kinds:
        check(
            profile.get("chargingProfileKind") in kinds,
            f"{head} chargingProfile.chargingProfileKind {' or '.join(kinds)}",
            payload,
        )
    if start_schedule:
        check(
            "startSchedule" in schedule,
            f"{head} chargingProfile.chargingSchedule.startSchedule not omitted",
            payload,
        )
    if unit:
        check(
            schedule.get("chargingRateUnit") == values.charging_rate_unit,
            f"{head} chargingSchedule.chargingRateUnit {values.charging_rate_unit} "
            "(<Configured chargingRateUnit>)",
            payload,
        )
    if duration:
        check(
            schedule.get("duration") == values.charging_schedule_duration,
            f"{head} chargingSchedule.duration {values.charging_schedule_duration} "
            "(<Configured duration>)",
            payload,
        )
    check(
        period.get("startPeriod") == 0,
        f"{head} chargingSchedulePeriod.startPeriod 0",
        payload,
    )
    if amperes is not None:
        check(
            period.get("limit") == values.limit(amperes),
            f"{head} chargingSchedulePeriod.limit {values.limit(amperes):g} "
            f"({amperes:g} A or {amperes * 1000:g} W, in {values.charging_rate_unit})",
            payload,
        )
    if number_phases:
        wanted = values.number_phases
        allowed = (wanted, None) if wanted == 3 else (wanted,)
        check(
            period.get("numberPhases") in allowed,
            f"{head} chargingSchedulePeriod.numberPhases {wanted}"
            + (" or omitted" if wanted == 3 else "")
            + " (<Configured numberPhases>)",
            payload,
        )


def _check_recurrency(payload: Mapping[str, Any], profile: Mapping[str, Any], where: str) -> None:
    """Errata §6.3.13 (TC_K_04, TC_K_70): recurrencyKind present for a Recurring profile,
    omitted otherwise. Part 2 only defines it as the start point of a recurrence, so the
    second half is OCTT's."""
    head = f"{where}: SetChargingProfileRequest chargingProfile.recurrencyKind"
    if profile.get("chargingProfileKind") == "Recurring":
        check("recurrencyKind" in profile, f"{head} present for a Recurring profile", payload)
    else:
        check_octt(
            "recurrencyKind" not in profile,
            f"{head} omitted for a {profile.get('chargingProfileKind')} profile",
            payload,
            octt="errata 2025-04 §6.3.13 (TC_K_04_CSMS)",
            spec="Part 2 §2.10 has recurrencyKind optional, meaningful only when Recurring",
        )


def _check_now(
    value: Any,
    where: str,
    field_name: str,
    window: tuple[datetime, datetime],
    *,
    offset: timedelta = timedelta(0),
    received: object,
    spec: str,
) -> None:
    """TC_K_01's "<field> now (+ offset)": within the moments the operator was asked and the
    request arrived, shifted by ``offset``, give or take :data:`NOW_TOLERANCE`."""
    moment = parse_timestamp(value)
    low, high = window[0] + offset - NOW_TOLERANCE, window[1] + offset + NOW_TOLERANCE
    what = "now" + (f" + {offset.total_seconds():g} s" if offset else "")
    check_octt(
        moment is not None and low <= moment <= high,
        f"{where}: SetChargingProfileRequest {field_name} {what} (between {_at(low)} and "
        f"{_at(high)})",
        received,
        octt="TC_K_01_CSMS step 1 (errata 2025-04 §6.3.13)",
        spec=spec,
    )


# -- K01 Set Charging Profile ------------------------------------------------------------------
@ocpp_case("TC_K_01_CSMS", version="2.0.1")
async def test_tc_k_01_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS sets a TxDefaultProfile for one EVSE (K01.FR.08, K01.FR.15) with the
    configured stackLevel, unit, duration and numberPhases, a first period at 0 (K01.FR.31) and
    a limit of 6 A / 6000 W, valid from now for the configured duration (errata 2025-04
    §6.3.13; Part 5: "specific values ValidFrom/ValidTo, Duration and limit are tested").

    validFrom, validTo and startSchedule "now" are OCTT's (Part 2 has validFrom/validTo
    optional; K01.FR.40 requires startSchedule, not its value); "now" allows the time between
    asking the operator and the request arriving, plus :data:`NOW_TOLERANCE`."""
    values = _values(station)
    evse = station.evse_id
    duration = timedelta(seconds=values.charging_schedule_duration)
    asked = _now()
    now = _at(asked)
    payload = {
        "evseId": evse,
        "chargingProfile": _profile(
            values,
            "TxDefaultProfile",
            "Absolute",
            _schedule(values, 6.0, start=now),
            validFrom=now,
            validTo=_at(asked + duration),
        ),
    }
    request = await _set_charging_profile(station, csms_operator, payload)
    window = (asked, _now())
    sent = request.payload
    profile = check_set_charging_profile(sent, "Step 1", device_model=station.device_model)
    _check_profile_values(
        sent,
        profile,
        "Step 1",
        values,
        evse_id=evse,
        purpose="TxDefaultProfile",
        kinds=("Absolute",),
        amperes=6.0,
        duration=True,
    )
    optional = "Part 2 §2.10 has validFrom and validTo optional"
    _check_now(
        profile.get("validFrom"),
        "Step 1",
        "chargingProfile.validFrom",
        window,
        received=sent,
        spec=optional,
    )
    _check_now(
        profile.get("validTo"),
        "Step 1",
        "chargingProfile.validTo",
        window,
        offset=duration,
        received=sent,
        spec=optional,
    )
    _check_now(
        _first_schedule(profile).get("startSchedule"),
        "Step 1",
        "chargingProfile.chargingSchedule.startSchedule",
        window,
        received=sent,
        spec="K01.FR.40 requires a startSchedule for an Absolute profile, not that it is now",
    )


@ocpp_case("TC_K_02_CSMS", version="2.0.1")
async def test_tc_k_02_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS sends a TxProfile for an EVSE without a transaction and reads the station's
    Rejected (K01.FR.09): Relative, no startSchedule (errata 2025-04 §6.3.13, K01.FR.41),
    configured stackLevel, unit and numberPhases, a limit of 7 A / 7000 W.

    Prerequisite "If the CSMS supports sending a TxProfile while there is no transaction
    ongoing": an operator that cannot make it send one answers "not possible" (77), and the
    case is not applicable. K01.FR.03 still wants a transactionId in every TxProfile: the
    operator is asked for one no transaction of this station has (a fresh UUID)."""
    values = _values(station)
    evse = station.evse_id
    payload = {
        "evseId": evse,
        "chargingProfile": _profile(
            values,
            "TxProfile",
            "Relative",
            _schedule(values, 7.0, duration=False),
            transactionId=str(uuid.uuid4()),
        ),
    }
    request = await _set_charging_profile(station, csms_operator, payload, status="Rejected")
    sent = request.payload
    profile = check_set_charging_profile(sent, "Step 1", device_model=station.device_model)
    _check_profile_values(
        sent,
        profile,
        "Step 1",
        values,
        evse_id=evse,
        purpose="TxProfile",
        kinds=("Relative",),
        amperes=7.0,
    )


@ocpp_case("TC_K_03_CSMS", version="2.0.1")
async def test_tc_k_03_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS sets a ChargingStationMaxProfile for the whole station (evseId 0): Absolute
    (errata 2024-09 §6.3.14, K01.FR.38), configured stackLevel, unit, duration and numberPhases,
    a first period at 0 (K01.FR.31) with 8 A / 8000 W, a startSchedule (K01.FR.40).

    Departure: the table's "validFrom/validTo <Not omitted>" and "Absolute OR Relative" are the
    lines errata §6.3.14 strikes ("Not requiring validFrom/To fields ... and
    chargingProfileKind must be Absolute"); the operator is not asked for validity dates and
    none are required."""
    values = _values(station)
    payload = {
        "evseId": 0,
        "chargingProfile": _profile(
            values,
            "ChargingStationMaxProfile",
            "Absolute",
            _schedule(values, 8.0, start=_at(_now())),
        ),
    }
    request = await _set_charging_profile(station, csms_operator, payload)
    sent = request.payload
    profile = check_set_charging_profile(sent, "Step 1", device_model=station.device_model)
    _check_profile_values(
        sent,
        profile,
        "Step 1",
        values,
        evse_id=0,
        purpose="ChargingStationMaxProfile",
        kinds=("Absolute",),
        amperes=8.0,
        duration=True,
        start_schedule=True,
    )


@ocpp_case("TC_K_04_CSMS", version="2.0.1")
async def test_tc_k_04_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS replaces a charging profile by sending another with the same id, purpose, kind
    and stackLevel but a different limit (K01.FR.05; errata 2025-04 §6.3.13): 8 A / 8000 W,
    then 6 A / 6000 W, each in a single period starting at 0, each with a startSchedule.

    The profile asked for is a TxDefaultProfile (Absolute) for the configured EVSE; the errata
    also allow a ChargingStationMaxProfile, so either purpose passes as long as both requests
    agree."""
    values = _values(station)
    evse = station.evse_id
    sent: list[dict[str, Any]] = []
    profiles: list[dict[str, Any]] = []
    for first, amperes in ((1, 8.0), (3, 6.0)):
        payload = {
            "evseId": evse,
            "chargingProfile": _profile(
                values,
                "TxDefaultProfile",
                "Absolute",
                _schedule(values, amperes, start=_at(_now())),
            ),
        }
        request = await _set_charging_profile(station, csms_operator, payload, first=first)
        where = f"Step {first}"
        profile = check_set_charging_profile(
            request.payload, where, device_model=station.device_model
        )
        _check_profile_values(
            request.payload,
            profile,
            where,
            values,
            amperes=amperes,
            unit=False,
            number_phases=False,
            start_schedule=True,
        )
        periods = _first_schedule(profile).get("chargingSchedulePeriod") or []
        check(
            len(periods) == 1,
            f"{where}: SetChargingProfileRequest chargingSchedule with only one "
            "chargingSchedulePeriod (errata 2025-04 §6.3.13)",
            request.payload,
        )
        purpose = profile.get("chargingProfilePurpose")
        check(
            purpose in ("TxDefaultProfile", "ChargingStationMaxProfile"),
            f"{where}: SetChargingProfileRequest chargingProfile.chargingProfilePurpose "
            "TxDefaultProfile or ChargingStationMaxProfile",
            request.payload,
        )
        kinds = ("Absolute", "Recurring") if purpose == "TxDefaultProfile" else ("Absolute",)
        check(
            profile.get("chargingProfileKind") in kinds,
            f"{where}: SetChargingProfileRequest chargingProfile.chargingProfileKind "
            f"{' or '.join(kinds)} for a {purpose}",
            request.payload,
        )
        _check_recurrency(request.payload, profile, where)
        sent.append(request.payload)
        profiles.append(profile)
    for name in ("id", "chargingProfilePurpose", "chargingProfileKind"):
        check(
            profiles[0].get(name) == profiles[1].get(name),
            f"Step 1/3: SetChargingProfileRequest chargingProfile.{name} the same for both "
            "profiles (a replacement, K01.FR.05)",
            sent,
        )


@ocpp_case("TC_K_10_CSMS", version="2.0.1", requires="SC-4")
async def test_tc_k_10_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS sets a TxDefaultProfile for every EVSE at once, on evseId 0 (K01.FR.14; Part 5
    SC-4), Absolute with a startSchedule, the configured stackLevel, unit, duration and
    numberPhases, 6 A / 6000 W from period 0.

    Departure: validFrom/validTo are not asked for nor required (errata 2024-09 §6.3.15)."""
    values = _values(station)
    payload = {
        "evseId": 0,
        "chargingProfile": _profile(
            values, "TxDefaultProfile", "Absolute", _schedule(values, 6.0, start=_at(_now()))
        ),
    }
    request = await _set_charging_profile(station, csms_operator, payload)
    sent = request.payload
    profile = check_set_charging_profile(sent, "Step 1", device_model=station.device_model)
    _check_profile_values(
        sent,
        profile,
        "Step 1",
        values,
        evse_id=0,
        purpose="TxDefaultProfile",
        kinds=("Absolute",),
        amperes=6.0,
        duration=True,
        start_schedule=True,
    )


@ocpp_case("TC_K_15_CSMS", version="2.0.1")
async def test_tc_k_15_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS sends a TxDefaultProfile to a station that does not support smart charging and
    copes with the CALLERROR NotSupported it gets (K01.FR.29); the request itself has the
    values of TC_K_10 for the configured EVSE.

    Departure: validFrom/validTo are not asked for nor required (errata 2024-09 §6.3.16)."""
    values = _values(station)
    evse = station.evse_id
    payload = {
        "evseId": evse,
        "chargingProfile": _profile(
            values, "TxDefaultProfile", "Absolute", _schedule(values, 6.0, start=_at(_now()))
        ),
    }
    step("1. The CSMS sends a SetChargingProfileRequest")
    request = await csms_operator.request(station, "SetChargingProfile", payload)
    step("2. The OCTT responds with CALLERROR NotSupported")
    await request.reply_error("NotSupported", "Smart charging is not supported")
    sent = request.payload
    profile = check_set_charging_profile(sent, "Step 1", device_model=station.device_model)
    _check_profile_values(
        sent,
        profile,
        "Step 1",
        values,
        evse_id=evse,
        purpose="TxDefaultProfile",
        kinds=("Absolute",),
        amperes=6.0,
        duration=True,
        start_schedule=True,
    )


@ocpp_case("TC_K_19_CSMS", version="2.0.1")
async def test_tc_k_19_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS sets a Recurring TxDefaultProfile with the configured recurrencyKind (Part 5:
    Daily and Weekly are mandatory) for the configured EVSE and stackLevel, its first period
    at 0; being Recurring it has a startSchedule (K01.FR.40)."""
    values = _values(station)
    evse = station.evse_id
    payload = {
        "evseId": evse,
        "chargingProfile": _profile(
            values,
            "TxDefaultProfile",
            "Recurring",
            _schedule(values, 6.0, start=_at(_now())),
            recurrencyKind=values.recurrency_kind,
        ),
    }
    request = await _set_charging_profile(station, csms_operator, payload)
    sent = request.payload
    profile = check_set_charging_profile(sent, "Step 1", device_model=station.device_model)
    _check_profile_values(
        sent,
        profile,
        "Step 1",
        values,
        evse_id=evse,
        purpose="TxDefaultProfile",
        kinds=("Recurring",),
        unit=False,
        number_phases=False,
    )
    check(
        profile.get("recurrencyKind") == values.recurrency_kind,
        f"Step 1: SetChargingProfileRequest chargingProfile.recurrencyKind "
        f"{values.recurrency_kind} (<Configured concurrencyKind>)",
        sent,
    )


@ocpp_case("TC_K_60_CSMS", version="2.0.1")
async def test_tc_k_60_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS sets a TxProfile for the running transaction: on its EVSE, with its
    transactionId (K01.FR.03), Relative without or Absolute with a startSchedule (errata
    2025-04 §6.3.13; K01.FR.40/41). The operator is asked for a Relative one (Part 5: "the
    combination TxProfile and Relative is mandatory")."""
    values = _values(station)
    evse = station.evse_id
    async with _ends_idle(station):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        transaction_id = station.transaction_id
        payload = {
            "evseId": evse,
            "chargingProfile": _profile(
                values,
                "TxProfile",
                "Relative",
                _schedule(values, 6.0, duration=False),
                transactionId=transaction_id,
            ),
        }
        request = await _set_charging_profile(station, csms_operator, payload)
        sent = request.payload
        profile = check_set_charging_profile(sent, "Step 1", device_model=station.device_model)
        _check_profile_values(
            sent,
            profile,
            "Step 1",
            values,
            evse_id=evse,
            purpose="TxProfile",
            kinds=("Relative", "Absolute"),
            stack_level=False,
            unit=False,
            number_phases=False,
        )
        check(
            profile.get("transactionId") == transaction_id,
            f"Step 1: SetChargingProfileRequest chargingProfile.transactionId {transaction_id}, "
            "the running transaction (K01.FR.03)",
            sent,
        )


@ocpp_case("TC_K_70_CSMS", version="2.0.1")
async def test_tc_k_70_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS installs two profiles side by side (errata 2024-11 §6.3.19 and 2025-04
    §6.3.13): a TxDefaultProfile (Absolute or Recurring, with a startSchedule) and a
    ChargingStationMaxProfile (Absolute, with a startSchedule) with a different id, during a
    transaction. The purposes differ rather than the stack levels, as the errata decided for
    CSMSs that stack profiles themselves.

    The TxDefaultProfile is asked for on the configured EVSE, the ChargingStationMaxProfile on
    evseId 0 (the tables do not say); the second profile is asked for with the configured
    chargingProfileId + 1."""
    values = _values(station)
    evse = station.evse_id
    async with _ends_idle(station):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        default = {
            "evseId": evse,
            "chargingProfile": _profile(
                values, "TxDefaultProfile", "Absolute", _schedule(values, 6.0, start=_at(_now()))
            ),
        }
        first = await _set_charging_profile(station, csms_operator, default)
        one = check_set_charging_profile(first.payload, "Step 1", device_model=station.device_model)
        _check_profile_values(
            first.payload,
            one,
            "Step 1",
            values,
            purpose="TxDefaultProfile",
            kinds=("Absolute", "Recurring"),
            stack_level=False,
            unit=False,
            number_phases=False,
            start_schedule=True,
        )
        _check_recurrency(first.payload, one, "Step 1")
        maximum = {
            "evseId": 0,
            "chargingProfile": _profile(
                values,
                "ChargingStationMaxProfile",
                "Absolute",
                _schedule(values, 8.0, start=_at(_now())),
                id=values.charging_profile_id + 1,
            ),
        }
        second = await _set_charging_profile(station, csms_operator, maximum, first=3)
        two = check_set_charging_profile(
            second.payload, "Step 3", device_model=station.device_model
        )
        _check_profile_values(
            second.payload,
            two,
            "Step 3",
            values,
            purpose="ChargingStationMaxProfile",
            kinds=("Absolute",),
            stack_level=False,
            unit=False,
            number_phases=False,
            start_schedule=True,
        )
        check(
            two.get("id") != one.get("id"),
            f"Step 3: SetChargingProfileRequest chargingProfile.id different from step 1's "
            f"({one.get('id')})",
            second.payload,
        )


# -- K05 Remote start with a charging profile --------------------------------------------------
@ocpp_case("TC_K_37_CSMS", version="2.0.1")
async def test_tc_k_37_csms(station: Station201, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS starts a transaction remotely with a TxProfile (F01.FR.08, F01.FR.09,
    K05.FR.02): the configured valid idToken and type, the configured EVSE, a TxProfile
    without transactionId (F01.FR.11), Relative without or Absolute with a startSchedule, and
    otherwise a profile Part 2 allows (errata 2025-04 §6.3.13); then it answers the
    TransactionEventRequest RemoteStart.

    The table lists the idToken twice (two spellings of the same line); it is judged once.
    Departure: step 3 (eventType Started, the transaction starts on the remote start's
    authorization) also carries the idToken the CSMS sent, which the table leaves out:
    F01.FR.04 makes the station use it there, and F01.FR.03 has the CSMS check it, as the F
    cases do."""
    values = _values(station)
    evse = station.evse_id
    token = station.id_token(tags.valid)
    profile_asked = _profile(
        values, "TxProfile", "Relative", _schedule(values, 6.0, duration=False)
    )
    payload = {
        "idToken": token,
        "remoteStartId": next(_remote_start_ids),
        "evseId": evse,
        "chargingProfile": profile_asked,
    }
    step("1. The CSMS sends a RequestStartTransactionRequest")
    request = await csms_operator.request(station, "RequestStartTransaction", payload)
    step("2. The OCTT responds with a RequestStartTransactionResponse (Accepted)")
    await request.reply({"status": "Accepted"})
    sent = request.payload
    head = "Step 1: RequestStartTransactionRequest"
    got_token = sent.get("idToken") or {}
    check(
        got_token.get("idToken") == token["idToken"],
        f"{head} idToken.idToken {token['idToken']} (<Configured valid idToken>)",
        sent,
    )
    check(
        got_token.get("type") == token["type"],
        f"{head} idToken.type {token['type']} (<Configured valid idToken type>)",
        sent,
    )
    check(sent.get("evseId") == evse, f"{head} evseId {evse}", sent)
    raw = sent.get("chargingProfile")
    profile: dict[str, Any] = dict(raw) if isinstance(raw, Mapping) else {}
    check(bool(profile), f"{head} with a chargingProfile", sent)
    check(
        profile.get("chargingProfilePurpose") == "TxProfile",
        f"{head} chargingProfile.chargingProfilePurpose TxProfile (F01.FR.09, K05.FR.02)",
        sent,
    )
    check(
        "transactionId" not in profile,
        f"{head} chargingProfile.transactionId omitted (F01.FR.11)",
        sent,
    )
    check(
        profile.get("chargingProfileKind") in ("Relative", "Absolute"),
        f"{head} chargingProfile.chargingProfileKind Relative or Absolute",
        sent,
    )
    check_charging_profile(
        profile,
        "Step 1",
        message="RequestStartTransactionRequest",
        phase_switching=phase_switching_supported(station.device_model, evse),
    )
    remote_start_id = sent.get("remoteStartId")
    started = got_token if {"idToken", "type"} <= set(got_token) else token
    station.remotely_authorized(started)
    async with _ends_idle(station):
        step("3. The OCTT sends a TransactionEventRequest (Started, RemoteStart, remoteStartId)")
        await station.transaction_event(
            "Started",
            "RemoteStart",
            remote_start_id=remote_start_id if isinstance(remote_start_id, int) else 0,
            id_token=started,
        )
