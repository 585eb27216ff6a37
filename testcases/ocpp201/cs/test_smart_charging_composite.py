"""OCPP 2.0.1, Charging Station under test, K. Smart Charging: composite schedules (K01
validity, K08, K10.FR.07; Part 6 §2.12 Tables 261, 270-272, 274, 286-290, and the 2025 errata
§6.2.66-74).

Each case installs profiles whose schedules start at known moments and asks for the composite
schedule; the expectation is the table's "startPeriod (n - x), limit m" computed from those
moments and the station's own scheduleStart (:func:`._smart_charging_support.check_periods`),
limits in <Configured chargingRateUnit> times the errata's <limit multiplier>. Periods the
table does not validate ("<Local limit of Charging Station>") are compared for their start
only. <Configured max time deviation> is ``[station] max_time_deviation`` (default 2 s).
"""

from __future__ import annotations

from datetime import datetime, timezone

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import check

from ._smart_charging_support import (
    ANY,
    GENERATED_ID,
    after,
    check_periods,
    composite,
    evse_count,
    profile,
    require_variable,
    set_profile,
    unsupported_unit,
)


def _now() -> datetime:
    return datetime.now(timezone.utc)


@ocpp_case("TC_K_09_CS", version="2.0.1")
async def test_tc_k_09_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Clearing the TxDefaultProfile of a running transaction lifts its limit (K10.FR.07):
    the composite is 6 before ClearChargingProfile (purpose TxDefaultProfile, Accepted) and
    not 6 after. Errata 6.2.66: no validFrom/validTo. Step 1 gives only evseId: duration 300
    and the configured unit (the validation's values; the schema requires a duration)."""
    sut = await csms.ready(station_operator)
    dev = csms.max_time_deviation
    await csms.configure(sut, {"SmartChargingCtrlr.LimitChangeSignificance": "1.0"})
    installed = profile(
        csms, GENERATED_ID, "TxDefaultProfile", kind="Absolute", duration=400 + dev, stack_level=0
    )
    await csms.set_charging_profile(sut, installed)
    step("(Before) State is EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    schedule, start = await composite(csms, sut, csms.evse, 300, label="Step 2")
    check_periods(csms, schedule, start, [(0, 6)], "Step 2")
    step(
        "3. The OCTT sends a ClearChargingProfileRequest (chargingProfilePurpose TxDefaultProfile)"
    )
    answer = await sut.call(
        "ClearChargingProfile",
        {"chargingProfileCriteria": {"chargingProfilePurpose": "TxDefaultProfile"}},
    )
    check(
        answer.get("status") == "Accepted",
        "Step 4: ClearChargingProfileResponse status is Accepted",
        answer,
    )
    schedule, start = await composite(csms, sut, csms.evse, 300, label="Step 5")
    first = (schedule.get("chargingSchedulePeriod") or [{}])[0]
    check(
        abs(float(first.get("limit", 0)) - csms.sc_limit(6)) > 1e-3,
        "Step 5: startPeriod 0, limit <Local limit of Charging Station> (passes if NOT 6: the "
        "cleared TxDefaultProfile no longer limits, K10.FR.07)",
        schedule,
    )


@ocpp_case("TC_K_21_CS", version="2.0.1")
async def test_tc_k_21_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A profile valid from now + 300 s limits from then on only (K01.FR.36): composite
    startPeriod 0 (local limit), startPeriod (300 - x) limit 6."""
    sut = await csms.ready(station_operator)
    valid_from = after(300)
    sent = profile(csms, GENERATED_ID, "TxDefaultProfile", valid_from=valid_from)
    await set_profile(csms, sut, sent, evse_id=csms.evse, expected="Accepted")
    schedule, start = await composite(csms, sut, csms.evse, 400, label="Step 4")
    check_periods(csms, schedule, start, [(0, ANY), (valid_from, 6)], "Step 4")


@ocpp_case("TC_K_22_CS", version="2.0.1")
async def test_tc_k_22_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A profile valid until now + 300 s limits until then only (K01.FR.37): a TxDefaultProfile
    for every EVSE (evseId 0); the composite of each EVSE is 6 until (300 - x), that of evseId
    0 six times the number of EVSEs."""
    sut = await csms.ready(station_operator)
    dev = csms.max_time_deviation
    now = _now()
    valid_to = after(300, now)
    sent = profile(
        csms,
        GENERATED_ID,
        "TxDefaultProfile",
        kind="Absolute",
        start=now,
        valid_from=after(-dev, now),
        valid_to=valid_to,
    )
    await set_profile(csms, sut, sent, evse_id=0, expected="Accepted")
    for evse in range(0, evse_count(csms) + 1):
        step(f"3. GetCompositeScheduleRequest for evseId {evse}")
        schedule, start = await composite(csms, sut, evse, 400, label=f"Step 4 (evseId {evse})")
        limit = 6 * (evse_count(csms) if evse == 0 else 1)
        check_periods(
            csms, schedule, start, [(0, limit), (valid_to, ANY)], f"Step 4 (evseId {evse})"
        )


@ocpp_case("TC_K_23_CS", version="2.0.1")
async def test_tc_k_23_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A schedule starting in 60 s limits from then on (K01.FR.30): startPeriod 0 local limit,
    (60 - x) limit 6. Errata 6.2.67: startSchedule now + 60; validFrom now - deviation + 50,
    validTo now + deviation + 400 as in the table."""
    sut = await csms.ready(station_operator)
    dev = csms.max_time_deviation
    now = _now()
    begins = after(60, now)
    sent = profile(
        csms,
        GENERATED_ID,
        "TxDefaultProfile",
        kind="Absolute",
        start=begins,
        valid_from=after(50 - dev, now),
        valid_to=after(400 + dev, now),
    )
    await set_profile(csms, sut, sent, evse_id=csms.evse, expected="Accepted")
    schedule, start = await composite(csms, sut, csms.evse, 300, label="Step 4")
    check_periods(csms, schedule, start, [(0, ANY), (begins, 6)], "Step 4")


@ocpp_case("TC_K_28_CS", version="2.0.1")
async def test_tc_k_28_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A TxDefaultProfile set during a transaction applies to it (K01.FR.32): composite
    startPeriod 0 limit 6. Errata 6.2.68: duration 400 + deviation."""
    sut = await csms.ready(station_operator)
    dev = csms.max_time_deviation
    await csms.configure(sut, {"SmartChargingCtrlr.LimitChangeSignificance": "1.0"})
    step("(Before) State is EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    now = _now()
    sent = profile(
        csms,
        GENERATED_ID,
        "TxDefaultProfile",
        kind="Absolute",
        duration=400 + dev,
        start=after(-dev, now),
        valid_from=after(-dev, now),
        valid_to=after(dev + 401, now),
    )
    await set_profile(csms, sut, sent, evse_id=csms.evse, expected="Accepted")
    schedule, start = await composite(csms, sut, csms.evse, 300, label="Step 4")
    check_periods(csms, schedule, start, [(0, 6)], "Step 4")


@ocpp_case("TC_K_39_CS", version="2.0.1")
async def test_tc_k_39_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Without any profile the station still reports its composite schedule (K08.FR.02/03/06):
    Accepted, evseId 0, duration 300, the configured unit, scheduleStart the request time
    (errata 6.2.71), startPeriod 0."""
    sut = await csms.ready(station_operator)
    await composite(csms, sut, 0, 300, label="Step 2")


@ocpp_case("TC_K_40_CS", version="2.0.1")
async def test_tc_k_40_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Stacking (K08.FR.02/06, K01.FR.17): two TxDefaultProfiles with the same startSchedule
    (errata 6.2.72), stackLevel 1 (7, 9 until 150 + deviation) over stackLevel 0 (6, 8, 10):
    composite 7, (100 - x) 9, (150 - x + deviation) 8, (200 - x) 10. Prerequisites:
    SmartChargingCtrlr.ProfileStackLevel > 0, PeriodsPerSchedule > 2 (not applicable
    otherwise). Mandatory (Part 5: M; its SC-2 is a remark on the unit, not a condition)."""
    sut = await csms.ready(station_operator)
    await require_variable(csms, sut, "SmartChargingCtrlr.ProfileStackLevel", 1, "prerequisite")
    await require_variable(csms, sut, "SmartChargingCtrlr.PeriodsPerSchedule", 3, "prerequisite")
    dev = csms.max_time_deviation
    now = _now()
    begins = after(-dev, now)
    common = {
        "kind": "Absolute",
        "start": begins,
        "valid_from": after(-dev, now),
        "valid_to": after(dev + 401, now),
    }
    low = profile(
        csms,
        GENERATED_ID,
        "TxDefaultProfile",
        stack_level=0,
        duration=400 + dev,
        limits={0: 6, 100: 8, 200: 10},
        **common,  # type: ignore[arg-type]
    )
    high = profile(
        csms,
        GENERATED_ID + 1,
        "TxDefaultProfile",
        stack_level=1,
        duration=150 + dev,
        limits={0: 7, 100: 9},
        **common,  # type: ignore[arg-type]
    )
    await csms.set_charging_profile(sut, low, label=" (ChargingProfile 1)")
    await csms.set_charging_profile(sut, high, label=" (ChargingProfile 2)")
    schedule, start = await composite(csms, sut, csms.evse, 350, label="Step 2")
    expected = [
        (begins, 7),
        (after(100, begins), 9),
        (after(150 + dev, begins), 8),
        (after(200, begins), 10),
    ]
    check_periods(csms, schedule, start, expected, "Step 2")


@ocpp_case("TC_K_41_CS", version="2.0.1")
async def test_tc_k_41_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Combining purposes (K08.FR.02/04): ChargingStationMaxProfile 10 over everything, the
    TxProfile (8, 11, 16, 6, 12 until 260) over the TxDefaultProfile (6, 10, 8, 15, 8 until
    300): composite 8, (50 - x) 10, (200 - x) 6, (240 - x) 10, (260 - x) 8, (300 - x) 10.
    Errata 6.2.73 (same startSchedule, validation to 300) and 6.2.75 (EnergyTransferStarted
    first, for the TxProfile's transaction). Prerequisite: PeriodsPerSchedule > 2."""
    sut = await csms.ready(station_operator)
    await require_variable(csms, sut, "SmartChargingCtrlr.PeriodsPerSchedule", 3, "prerequisite")
    dev = csms.max_time_deviation
    step("(Before) State is EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    now = _now()
    begins = after(-dev, now)
    validity = {"valid_from": after(-dev, now), "valid_to": after(dev + 401, now)}
    maximum = profile(
        csms,
        GENERATED_ID,
        "ChargingStationMaxProfile",
        kind="Absolute",
        stack_level=0,
        start=begins,
        duration=86400,
        limits={0: 10},
    )
    default = profile(
        csms,
        GENERATED_ID + 1,
        "TxDefaultProfile",
        kind="Absolute",
        stack_level=0,
        start=begins,
        duration=300,
        limits={0: 6, 60: 10, 120: 8, 180: 15, 260: 8},
        **validity,  # type: ignore[arg-type]
    )
    tx = profile(
        csms,
        GENERATED_ID + 2,
        "TxProfile",
        kind="Absolute",
        stack_level=0,
        start=begins,
        duration=260,
        limits={0: 8, 50: 11, 140: 16, 200: 6, 240: 12},
        transaction_id=csms.transaction_id,
        **validity,  # type: ignore[arg-type]
    )
    await csms.set_charging_profile(sut, maximum, evse_id=0, label=" (ChargingProfile 1)")
    await csms.set_charging_profile(sut, default, label=" (ChargingProfile 2)")
    await csms.set_charging_profile(sut, tx, label=" (ChargingProfile 3)")
    schedule, start = await composite(csms, sut, csms.evse, 400, label="Step 2")
    expected = [
        (begins, 8),
        (after(50, begins), 10),
        (after(200, begins), 6),
        (after(240, begins), 10),
        (after(260, begins), 8),
        (after(300, begins), 10),
    ]
    check_periods(csms, schedule, start, expected, "Step 2")


@ocpp_case("TC_K_42_CS", version="2.0.1", requires="not (SC-2.1 and SC-2.2)")
async def test_tc_k_42_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A composite schedule in the unit the station does not support is Rejected, without a
    schedule (K08.FR.07). The unsupported unit: SmartChargingCtrlr.RateUnit, else the claims."""
    sut = await csms.ready(station_operator)
    unit = await unsupported_unit(csms, sut)
    await _rejected_composite(sut, 0, unit)


@ocpp_case("TC_K_47_CS", version="2.0.1")
async def test_tc_k_47_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A composite schedule for evseId <number of EVSEs + 1> is Rejected, without a schedule
    (K08.FR.05)."""
    sut = await csms.ready(station_operator)
    await _rejected_composite(sut, evse_count(csms) + 1, csms.smart_charging.charging_rate_unit)


async def _rejected_composite(sut: StationConnection, evse_id: int, unit: str) -> None:
    step(
        f"1. The OCTT sends a GetCompositeScheduleRequest with evseId {evse_id}, duration 300, "
        f"chargingRateUnit {unit}"
    )
    answer = await sut.call(
        "GetCompositeSchedule", {"duration": 300, "evseId": evse_id, "chargingRateUnit": unit}
    )
    check(
        answer.get("status") == "Rejected",
        "Step 2: GetCompositeScheduleResponse status Rejected",
        answer,
    )
    check(
        "schedule" not in answer,
        "Step 2: GetCompositeScheduleResponse schedule is omitted",
        answer,
    )
