"""OCPP 2.0.1, CSMS under test, K. SmartCharging: reading and clearing charging profiles,
composite schedules and external charging limits (2.0.1 Edition 3 Part 6 §3.12, Tables 581-583,
587-594 and 597-602, with the errata of 2025-04 §6.3.13). Setting profiles is in
``test_smart_charging.py``, ISO 15118 in ``test_smart_charging_iso15118.py``.

pytest-ocpp plays the Charging Station. The CSMS's GetChargingProfiles, ClearChargingProfile
and GetCompositeSchedule requests come through ``csms_operator``, asked for with OCTT's
configured values (``[station]`` keys, see
:class:`~pytest_ocpp.station.charging_profiles.SmartChargingValues`); each is answered first and
judged after, so a failed check never leaves the CSMS waiting. The selection rules every such
request meets (K09.FR.03, K10.FR.02) are judged by
:mod:`pytest_ocpp.station.charging_profiles`.

The errata make the GetChargingProfiles and ClearChargingProfile tables name every field that
"must be omitted"; Part 2 allows extra filters, so those checks are OCTT-specific
(``check_octt``). The station's reports carry a profile matching what the CSMS asked for, as
OCTT does. Cases that start a transaction end it in an "After" step, also after a failure.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check
from pytest_ocpp.station.charging_profiles import (
    SmartChargingValues,
    check_clear_charging_profile,
    check_get_charging_profiles,
)
from pytest_ocpp.verdicts import check_octt

COMPOSITE_DURATION = 300
"""TC_K_43/44_CSMS step 2: "schedule.duration is 300"."""

_generated_ids = itertools.count(int(time.time()) % 100_000 * 10 + 1)
"""OCTT's <Generated Id>s (requestIds, reported chargingProfileIds): different in every run."""


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


def _omitted(
    payload: Mapping[str, Any], where: str, message: str, fields: tuple[str, ...], octt: str
) -> None:
    """The errata's "<field> must be omitted" on filters Part 2 allows (OCTT-specific)."""
    for label in fields:
        container: Mapping[str, Any] = payload
        name = label
        if label.startswith("chargingProfile."):
            raw = payload.get("chargingProfile")
            container = raw if isinstance(raw, Mapping) else {}
            name = label.split(".", 1)[1]
        check_octt(
            name not in container,
            f"{where}: {message} {label} omitted",
            payload,
            octt=octt,
            spec=f"Part 2 allows {label} as an extra filter",
        )


# -- K08 Get Composite Schedule ----------------------------------------------------------------
async def _composite_schedule(
    station: Station201, csms_operator: CsmsOperator, evse_id: int
) -> None:
    """TC_K_43/44: GetCompositeScheduleRequest for ``evse_id`` over the configured duration in
    the configured unit (K08.FR.01), answered with the table's schedule: 300 s, one period of
    10 A (x1000 in W) from 0."""
    values = _values(station)
    step("1. The CSMS sends a GetCompositeScheduleRequest")
    request = await csms_operator.request(
        station,
        "GetCompositeSchedule",
        {
            "duration": values.charging_schedule_duration,
            "chargingRateUnit": values.charging_rate_unit,
            "evseId": evse_id,
        },
    )
    sent = request.payload
    unit = sent.get("chargingRateUnit", values.charging_rate_unit)
    step("2. The OCTT responds with a GetCompositeScheduleResponse (Accepted, schedule)")
    await request.reply(
        {
            "status": "Accepted",
            "schedule": {
                "evseId": evse_id,
                "duration": COMPOSITE_DURATION,
                "scheduleStart": station.now(),
                "chargingRateUnit": unit if unit in ("A", "W") else values.charging_rate_unit,
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": 10.0 if unit == "A" else 10000.0}
                ],
            },
        }
    )
    head = "Step 1: GetCompositeScheduleRequest"
    check(sent.get("evseId") == evse_id, f"{head} evseId {evse_id}", sent)
    check(
        sent.get("duration") == values.charging_schedule_duration,
        f"{head} duration {values.charging_schedule_duration} (<Configured duration>)",
        sent,
    )
    check(
        sent.get("chargingRateUnit") == values.charging_rate_unit,
        f"{head} chargingRateUnit {values.charging_rate_unit} (<Configured chargingRateUnit>)",
        sent,
    )


@ocpp_case("TC_K_43_CSMS", version="2.0.1")
async def test_tc_k_43_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS asks the composite schedule of EVSE 1 (K08.FR.01) for the configured duration
    and unit, and reads the answer. "evseId 1" is the table's literal value."""
    await _composite_schedule(station, csms_operator, 1)


@ocpp_case("TC_K_44_CSMS", version="2.0.1")
async def test_tc_k_44_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS asks the composite schedule of the whole station, evseId 0 (K08.FR.01), for
    the configured duration and unit, and reads the answer."""
    await _composite_schedule(station, csms_operator, 0)


# -- K09 Get Charging Profiles -----------------------------------------------------------------
def _reported_profile(
    station: Station201, values: SmartChargingValues, criteria: Mapping[str, Any]
) -> dict[str, Any]:
    """An installed profile matching the criteria the CSMS asked for (what the OCTT reports).
    A TxProfile belongs to the running transaction."""
    ids = criteria.get("chargingProfileId") or [values.charging_profile_id]
    stack = criteria.get("stackLevel", values.stack_level)
    purpose = criteria.get("chargingProfilePurpose") or "TxDefaultProfile"
    profile: dict[str, Any] = {
        "id": ids[0]
        if isinstance(ids, list) and isinstance(ids[0], int)
        else values.charging_profile_id,
        "stackLevel": stack if isinstance(stack, int) else values.stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
    }
    if purpose == "TxProfile" and station.transaction_id:
        profile["transactionId"] = station.transaction_id
    profile["chargingSchedule"] = [
        {
            "id": 1,
            "startSchedule": station.now(),
            "chargingRateUnit": values.charging_rate_unit,
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": values.limit(6.0)}],
        }
    ]
    return profile


async def _get_charging_profiles(
    station: Station201,
    csms_operator: CsmsOperator,
    asked: dict[str, Any],
    *,
    report_evses: tuple[int, ...] | None = None,
    source: str | None = None,
    profile: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Steps 1-4 of the K09 cases: the CSMS sends GetChargingProfilesRequest ``asked``, the
    station accepts it and reports a matching profile in one ReportChargingProfilesRequest per
    EVSE of ``report_evses`` (default: the EVSE asked for, else the configured one), requestId
    the received one, tbc true on all but the last (K09.FR.01, K09.FR.02). Returns the
    request payload; K09.FR.03 is judged on it."""
    values = _values(station)
    step("1. The CSMS sends a GetChargingProfilesRequest")
    request = await csms_operator.request(station, "GetChargingProfiles", asked)
    step("2. The OCTT responds with a GetChargingProfilesResponse (Accepted)")
    await request.reply({"status": "Accepted"})
    sent = request.payload
    raw = sent.get("chargingProfile")
    criteria: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    evse = sent.get("evseId")
    evses = report_evses or ((evse,) if isinstance(evse, int) else (station.evse_id,))
    sources = criteria.get("chargingLimitSource") or []
    limit_source = source or (sources[0] if sources else "CSO")
    reported = profile or _reported_profile(station, values, criteria)
    request_id = sent.get("requestId", 0)
    for number, evse_id in enumerate(evses, 1):
        step(f"3. The OCTT sends a ReportChargingProfilesRequest (EVSE {evse_id})")
        await station.call(
            "ReportChargingProfiles",
            {
                "requestId": request_id,
                "chargingLimitSource": limit_source,
                "tbc": number < len(evses),
                "evseId": evse_id,
                "chargingProfile": [reported],
            },
        )
        step("4. The CSMS responds with a ReportChargingProfilesResponse")
    check_get_charging_profiles(sent, "Step 1")
    return sent


def _check_criteria(
    sent: Mapping[str, Any],
    *,
    evse_id: int | None,
    named: Mapping[str, Any],
    case: str,
) -> None:
    """The K09 tables' step 1 (errata 2025-04 §6.3.13): evseId as given (None: omitted), each
    criterion of ``named`` with its value, and every other criterion omitted (OCTT's)."""
    head = "Step 1: GetChargingProfilesRequest"
    if evse_id is None:
        check_octt(
            "evseId" not in sent,
            f"{head} evseId omitted",
            sent,
            octt=f"{case} step 1",
            spec="K09.FR.06 only says what an omitted evseId means",
        )
    else:
        check(sent.get("evseId") == evse_id, f"{head} evseId {evse_id}", sent)
    raw = sent.get("chargingProfile")
    criteria: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    for name, value in named.items():
        check(
            criteria.get(name) == value,
            f"{head} chargingProfile.{name} {value}",
            sent,
        )
    others = tuple(
        f"chargingProfile.{name}"
        for name in (
            "chargingProfilePurpose",
            "stackLevel",
            "chargingLimitSource",
            "chargingProfileId",
        )
        if name not in named
    )
    _omitted(
        sent,
        "Step 1",
        "GetChargingProfilesRequest",
        others,
        f"{case} step 1 (errata 2025-04 §6.3.13)",
    )


@ocpp_case("TC_K_29_CSMS", version="2.0.1")
async def test_tc_k_29_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """During a transaction the CSMS asks the profiles installed on the station itself
    (evseId 0, K09.FR.05) with the configured purpose as the one criterion (K09.FR.03; the
    errata's note: the criteria may not be empty), and reads the report."""
    values = _values(station)
    async with _ends_idle(station):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        criteria = {"chargingProfilePurpose": values.charging_profile_purpose}
        asked = {"requestId": next(_generated_ids), "evseId": 0, "chargingProfile": criteria}
        sent = await _get_charging_profiles(station, csms_operator, asked)
        _check_criteria(sent, evse_id=0, named=criteria, case="TC_K_29_CSMS")


@ocpp_case("TC_K_30_CSMS", version="2.0.1")
async def test_tc_k_30_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS asks the profiles of the configured EVSE (K09.FR.04), the configured purpose
    as the criterion (errata 2025-04 §6.3.13), and reads the report."""
    values = _values(station)
    criteria = {"chargingProfilePurpose": values.charging_profile_purpose}
    asked = {
        "requestId": next(_generated_ids),
        "evseId": station.evse_id,
        "chargingProfile": criteria,
    }
    sent = await _get_charging_profiles(station, csms_operator, asked)
    _check_criteria(sent, evse_id=station.evse_id, named=criteria, case="TC_K_30_CSMS")


@ocpp_case("TC_K_31_CSMS", version="2.0.1")
async def test_tc_k_31_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS asks the profiles of every EVSE (no evseId, K09.FR.06), the configured purpose
    as the criterion, and reads one report per EVSE.

    Departure: the table sends every report with tbc true; the last one says tbc false, as
    K09.FR.02 requires, so the CSMS can see the report end."""
    values = _values(station)
    criteria = {"chargingProfilePurpose": values.charging_profile_purpose}
    asked = {"requestId": next(_generated_ids), "chargingProfile": criteria}
    evses = tuple(range(1, station.spec.connectors + 1))
    sent = await _get_charging_profiles(station, csms_operator, asked, report_evses=evses)
    _check_criteria(sent, evse_id=None, named=criteria, case="TC_K_31_CSMS")


@ocpp_case("TC_K_32_CSMS", version="2.0.1")
async def test_tc_k_32_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS asks one profile by id (K09.FR.03): chargingProfileId the configured
    chargingProfileId (the table's "<Received chargingProfileId>": no step before hands one
    over), no evseId and no other criterion."""
    values = _values(station)
    criteria = {"chargingProfileId": [values.charging_profile_id]}
    asked = {"requestId": next(_generated_ids), "chargingProfile": criteria}
    sent = await _get_charging_profiles(station, csms_operator, asked)
    _check_criteria(sent, evse_id=None, named=criteria, case="TC_K_32_CSMS")


@ocpp_case("TC_K_33_CSMS", version="2.0.1")
async def test_tc_k_33_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS asks the profiles of the configured EVSE at the configured stackLevel."""
    values = _values(station)
    criteria = {"stackLevel": values.stack_level}
    asked = {
        "requestId": next(_generated_ids),
        "evseId": station.evse_id,
        "chargingProfile": criteria,
    }
    sent = await _get_charging_profiles(station, csms_operator, asked)
    _check_criteria(sent, evse_id=station.evse_id, named=criteria, case="TC_K_33_CSMS")


@ocpp_case("TC_K_34_CSMS", version="2.0.1")
async def test_tc_k_34_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS asks the profiles of the configured EVSE installed by the configured
    chargingLimitSource."""
    values = _values(station)
    criteria = {"chargingLimitSource": [values.charging_limit_source]}
    asked = {
        "requestId": next(_generated_ids),
        "evseId": station.evse_id,
        "chargingProfile": criteria,
    }
    sent = await _get_charging_profiles(station, csms_operator, asked)
    _check_criteria(sent, evse_id=station.evse_id, named=criteria, case="TC_K_34_CSMS")


@ocpp_case("TC_K_35_CSMS", version="2.0.1")
async def test_tc_k_35_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS asks the profiles of the configured EVSE with the configured purpose."""
    values = _values(station)
    criteria = {"chargingProfilePurpose": values.charging_profile_purpose}
    asked = {
        "requestId": next(_generated_ids),
        "evseId": station.evse_id,
        "chargingProfile": criteria,
    }
    sent = await _get_charging_profiles(station, csms_operator, asked)
    _check_criteria(sent, evse_id=station.evse_id, named=criteria, case="TC_K_35_CSMS")


@ocpp_case("TC_K_36_CSMS", version="2.0.1")
async def test_tc_k_36_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS asks the profiles of the configured EVSE with the configured purpose and
    stackLevel."""
    values = _values(station)
    criteria = {
        "chargingProfilePurpose": values.charging_profile_purpose,
        "stackLevel": values.stack_level,
    }
    asked = {
        "requestId": next(_generated_ids),
        "evseId": station.evse_id,
        "chargingProfile": criteria,
    }
    sent = await _get_charging_profiles(station, csms_operator, asked)
    _check_criteria(sent, evse_id=station.evse_id, named=criteria, case="TC_K_36_CSMS")


# -- K10 Clear Charging Profile ----------------------------------------------------------------
@ocpp_case("TC_K_05_CSMS", version="2.0.1")
async def test_tc_k_05_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS clears one profile (not a TxDefaultProfile) by the id the station reported
    (K10.FR.02): chargingProfileId the generated id, no criteria (errata 2025-04 §6.3.13).

    Memory state: the CSMS reads the installed profiles (GetChargingProfilesRequest for the
    ChargingStationMaxProfiles of evseId 0); the station reports one with a generated id."""
    values = _values(station)
    generated = next(_generated_ids)
    installed = _reported_profile(
        station,
        values,
        {"chargingProfilePurpose": "ChargingStationMaxProfile", "chargingProfileId": [generated]},
    )
    step("Before: Memory State: the CSMS reads the installed charging profiles")
    await _get_charging_profiles(
        station,
        csms_operator,
        {
            "requestId": next(_generated_ids),
            "evseId": 0,
            "chargingProfile": {"chargingProfilePurpose": "ChargingStationMaxProfile"},
        },
        report_evses=(0,),
        profile=installed,
    )
    step("1. The CSMS sends a ClearChargingProfileRequest (the reported chargingProfileId)")
    request = await csms_operator.request(
        station, "ClearChargingProfile", {"chargingProfileId": generated}
    )
    step("2. The OCTT responds with a ClearChargingProfileResponse (Accepted)")
    await request.reply({"status": "Accepted"})
    sent = request.payload
    check_clear_charging_profile(sent, "Step 1")
    check(
        sent.get("chargingProfileId") == generated,
        f"Step 1: ClearChargingProfileRequest chargingProfileId {generated}, the reported one",
        sent,
    )
    _omitted(
        sent,
        "Step 1",
        "ClearChargingProfileRequest",
        ("chargingProfileCriteria",),
        "TC_K_05_CSMS step 1 (errata 2025-04 §6.3.13)",
    )


async def _clear_by_criteria(
    station: Station201, csms_operator: CsmsOperator, status: str, case: str
) -> None:
    """TC_K_06/08: ClearChargingProfileRequest by criteria: purpose TxDefaultProfile, the
    configured EVSE and stackLevel (K10.FR.02), no chargingProfileId (errata 2025-04
    §6.3.13), answered with ``status``."""
    values = _values(station)
    criteria = {
        "evseId": station.evse_id,
        "chargingProfilePurpose": "TxDefaultProfile",
        "stackLevel": values.stack_level,
    }
    step("1. The CSMS sends a ClearChargingProfileRequest (TxDefaultProfile, evse, stackLevel)")
    request = await csms_operator.request(
        station, "ClearChargingProfile", {"chargingProfileCriteria": criteria}
    )
    step(f"2. The OCTT responds with a ClearChargingProfileResponse ({status})")
    await request.reply({"status": status})
    sent = request.payload
    got = check_clear_charging_profile(sent, "Step 1")
    for name, value in criteria.items():
        check(
            got.get(name) == value,
            f"Step 1: ClearChargingProfileRequest chargingProfileCriteria.{name} {value}",
            sent,
        )
    _omitted(
        sent,
        "Step 1",
        "ClearChargingProfileRequest",
        ("chargingProfileId",),
        f"{case} step 1 (errata 2025-04 §6.3.13)",
    )


@ocpp_case("TC_K_06_CSMS", version="2.0.1")
async def test_tc_k_06_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS clears a profile by its stackLevel/purpose/EVSE combination (K10.FR.02) and
    the station clears it (Accepted)."""
    await _clear_by_criteria(station, csms_operator, "Accepted", "TC_K_06_CSMS")


@ocpp_case("TC_K_08_CSMS", version="2.0.1")
async def test_tc_k_08_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS clears by stackLevel/purpose/EVSE where nothing is installed and copes with
    the station's Unknown."""
    await _clear_by_criteria(station, csms_operator, "Unknown", "TC_K_08_CSMS")


# -- K12, K13 External charging limits ---------------------------------------------------------
@ocpp_case("TC_K_48_CSMS", version="2.0.1")
async def test_tc_k_48_csms(station: Station201) -> None:
    """An external system (EMS) sets a limit on the station, which tells the CSMS (K12.FR.02);
    the CSMS answers the NotifyChargingLimitRequest. No transaction runs."""
    step("1. The OCTT sends a NotifyChargingLimitRequest (chargingLimitSource EMS)")
    await station.call("NotifyChargingLimit", {"chargingLimit": {"chargingLimitSource": "EMS"}})
    step("2. The CSMS responds with a NotifyChargingLimitResponse")


@ocpp_case("TC_K_50_CSMS", version="2.0.1")
async def test_tc_k_50_csms(station: Station201) -> None:
    """The EMS releases its limit without a transaction running (K13); the CSMS answers the
    ClearedChargingLimitRequest."""
    step("1. The OCTT sends a ClearedChargingLimitRequest (chargingLimitSource EMS)")
    await station.call("ClearedChargingLimit", {"chargingLimitSource": "EMS"})
    step("2. The CSMS responds with a ClearedChargingLimitResponse")


@ocpp_case("TC_K_51_CSMS", version="2.0.1")
async def test_tc_k_51_csms(station: Station201) -> None:
    """The EMS releases its limit during a transaction (K13.FR.01): the CSMS answers the
    ClearedChargingLimitRequest and the TransactionEventRequest ChargingRateChanged that
    follows."""
    async with _ends_idle(station):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        step("1. The OCTT sends a ClearedChargingLimitRequest (chargingLimitSource EMS)")
        await station.call("ClearedChargingLimit", {"chargingLimitSource": "EMS"})
        step("3. The OCTT sends a TransactionEventRequest (Updated, ChargingRateChanged)")
        await station.transaction_event("Updated", "ChargingRateChanged")


@ocpp_case("TC_K_52_CSMS", version="2.0.1")
async def test_tc_k_52_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS reads a report holding a ChargingStationExternalConstraints profile (set by
    the EMS on the grid connection, evseId 0) and answers it (K12, K09).

    The table names no criteria; the operator is asked for the profiles of purpose
    ChargingStationExternalConstraints (K09.FR.03 wants at least one criterion)."""
    values = _values(station)
    external = _reported_profile(
        station,
        values,
        {
            "chargingProfilePurpose": "ChargingStationExternalConstraints",
            "chargingProfileId": [next(_generated_ids)],
        },
    )
    await _get_charging_profiles(
        station,
        csms_operator,
        {
            "requestId": next(_generated_ids),
            "chargingProfile": {"chargingProfilePurpose": "ChargingStationExternalConstraints"},
        },
        report_evses=(0,),
        source="EMS",
        profile=external,
    )
