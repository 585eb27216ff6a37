"""OCPP 2.0.1, Charging Station under test, K. Smart Charging: clearing and reading charging
profiles (K09, K10, K12; Part 6 §2.12 Tables 257-260, 273, 275-282, 291, and the 2025 errata).

The memory states ("a chargingprofile with ... is configured") are Memory State
SetChargingProfile (Table 445, ``csms.set_charging_profile``) with the profile the table
describes (see :func:`._smart_charging_support.profile` for the fields it leaves out). The
GetChargingProfiles cases check what the table lists and the selection rule the case is about
(K09.FR.04-06): a profile the request excludes must not be reported.
"""

from __future__ import annotations

from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import check, not_applicable

from ._smart_charging_support import (
    GENERATED_ID,
    check_reported_profile,
    get_profiles,
    profile,
    reported,
)


async def _clear(
    sut: StationConnection, payload: dict[str, Any], expected: str, label: str
) -> None:
    step(f"1. The OCTT sends a ClearChargingProfileRequest {payload}")
    answer = await sut.call("ClearChargingProfile", payload)
    check(
        answer.get("status") == expected,
        f"{label}: ClearChargingProfileResponse status {expected}",
        answer,
    )


async def _configured_profile(
    csms: FakeCsms201, sut: StationConnection, profile_id: int, *, evse_id: int | None = None
) -> dict[str, Any]:
    """Memory state "a chargingprofile with <Configured chargingProfilePurpose> AND
    <Configured stackLevel>" (a TxProfile is set for the running transaction)."""
    values = csms.smart_charging
    purpose = values.charging_profile_purpose
    if purpose == "ChargingStationMaxProfile":
        evse_id = 0
    sent = profile(
        csms,
        profile_id,
        purpose,
        kind="Absolute" if purpose == "ChargingStationMaxProfile" else "Relative",
        transaction_id=csms.transaction_id if purpose == "TxProfile" else None,
    )
    await csms.set_charging_profile(sut, sent, evse_id=evse_id)
    return sent


# -- K10 Clear -------------------------------------------------------------------------------
@ocpp_case("TC_K_05_CS", version="2.0.1")
async def test_tc_k_05_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """ClearChargingProfile by chargingProfileId: Accepted, then GetChargingProfiles for that
    id finds nothing (NoProfiles) (K10.FR.03). The memory state's profile: a TxDefaultProfile
    for the configured EVSE with <Configured chargingProfileId>."""
    sut = await csms.ready(station_operator)
    profile_id = csms.smart_charging.charging_profile_id
    await csms.set_charging_profile(sut, profile(csms, profile_id, "TxDefaultProfile"))
    await _clear(sut, {"chargingProfileId": profile_id}, "Accepted", "Step 2")
    await get_profiles(
        sut, {"chargingProfileId": [profile_id]}, expected="NoProfiles", label="Step 3-4: "
    )


@ocpp_case("TC_K_06_CS", version="2.0.1")
async def test_tc_k_06_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """ClearChargingProfile by purpose and stackLevel during a transaction: Accepted, then
    GetChargingProfiles with them: NoProfiles (K10.FR.04). The charging state is reached
    before the memory state so that a configured TxProfile has its transaction."""
    sut = await csms.ready(station_operator)
    values = csms.smart_charging
    step("(Before) State is EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    await _configured_profile(csms, sut, values.charging_profile_id)
    criteria = {
        "chargingProfilePurpose": values.charging_profile_purpose,
        "stackLevel": values.stack_level,
    }
    await _clear(sut, {"chargingProfileCriteria": criteria}, "Accepted", "Step 2")
    await get_profiles(sut, criteria, expected="NoProfiles", label="Step 3-4: ")


@ocpp_case("TC_K_07_CS", version="2.0.1")
async def test_tc_k_07_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """ClearChargingProfile for ChargingStationMaxProfile stackLevel 0 while only a
    TxDefaultProfile of stackLevel 1 is installed: Unknown (K10.FR.01)."""
    sut = await csms.ready(station_operator)
    installed = profile(csms, GENERATED_ID, "TxDefaultProfile", stack_level=1)
    await csms.set_charging_profile(sut, installed)
    criteria = {"chargingProfilePurpose": "ChargingStationMaxProfile", "stackLevel": 0}
    await _clear(sut, {"chargingProfileCriteria": criteria}, "Unknown", "Step 2")


@ocpp_case("TC_K_08_CS", version="2.0.1")
async def test_tc_k_08_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """ClearChargingProfile for a profile id never installed: Unknown (K10.FR.01)."""
    sut = await csms.ready(station_operator)
    await _clear(sut, {"chargingProfileId": GENERATED_ID}, "Unknown", "Step 2")


@ocpp_case("TC_K_24_CS", version="2.0.1")
async def test_tc_k_24_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """ClearChargingProfile by purpose and stackLevel clears the matching profiles of EVSE 1
    and EVSE 2: Accepted, then NoProfiles (K10.FR.04). Part 5: HFS-8 > 1 (more than one EVSE,
    ``[station] connectors``), checked here (the condition syntax has no comparison). A
    configured TxProfile purpose cannot be installed without two transactions: TxDefaultProfile
    is used then."""
    if csms.config.station.connectors < 2:
        raise not_applicable("the station has one EVSE (Part 5: HFS-8 > 1)")
    sut = await csms.ready(station_operator)
    values = csms.smart_charging
    purpose = values.charging_profile_purpose
    if purpose == "TxProfile":
        purpose = "TxDefaultProfile"
    for offset, evse in ((0, 1), (1, 2)):
        installed = profile(csms, GENERATED_ID + offset, purpose)
        await csms.set_charging_profile(sut, installed, evse_id=evse, label=f" (EVSE {evse})")
    criteria = {"chargingProfilePurpose": purpose, "stackLevel": values.stack_level}
    await _clear(sut, {"chargingProfileCriteria": criteria}, "Accepted", "Step 2")
    await get_profiles(sut, criteria, expected="NoProfiles", label="Step 3-4: ")


# -- K09 Get ---------------------------------------------------------------------------------
async def _two_profiles(
    csms: FakeCsms201,
    sut: StationConnection,
    *,
    stack1: int | None = None,
    stack2: int | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The K29-K36 memory state: <Generated Id1> ChargingStationMaxProfile on the station
    (evseId 0), <Generated Id2> TxDefaultProfile on the configured EVSE."""
    first = profile(
        csms, GENERATED_ID, "ChargingStationMaxProfile", kind="Absolute", stack_level=stack1
    )
    second = profile(csms, GENERATED_ID + 1, "TxDefaultProfile", stack_level=stack2)
    await csms.set_charging_profile(sut, first, evse_id=0, label=" (Id1)")
    await csms.set_charging_profile(sut, second, label=" (Id2)")
    return first, second


def _absent(reports: list[IncomingCall], profile_id: int, rule: str) -> None:
    ids = [p.get("id") for _, p in reported(reports)]
    check(
        profile_id not in ids,
        f"Step 3: profile {profile_id} must not be reported ({rule})",
        [r.payload for r in reports],
    )


@ocpp_case("TC_K_29_CS", version="2.0.1")
async def test_tc_k_29_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetChargingProfiles with evseId 0 reports the station's ChargingStationMaxProfile, and
    only the station's profiles (K09.FR.02/05). The table gives no criterion: the required
    chargingProfile is empty (all fields optional)."""
    sut = await csms.ready(station_operator)
    first, second = await _two_profiles(csms, sut)
    _number, reports = await get_profiles(sut, {}, evse_id=0, label="Step 1-3: ")
    check_reported_profile(reports, first, "Step 3")
    _absent(reports, second["id"], "K09.FR.05: evseId 0 reports the station's own profiles only")


@ocpp_case("TC_K_30_CS", version="2.0.1")
async def test_tc_k_30_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetChargingProfiles with the configured evseId reports that EVSE's TxDefaultProfile,
    not the station's MaxProfile (K09.FR.02/04)."""
    sut = await csms.ready(station_operator)
    first, second = await _two_profiles(csms, sut)
    _, reports = await get_profiles(sut, {}, evse_id=csms.evse, label="Step 1-3: ")
    check_reported_profile(reports, second, "Step 3", evse_id=csms.evse)
    _absent(reports, first["id"], "K09.FR.04: the profiles of the EVSE asked for")


@ocpp_case("TC_K_31_CS", version="2.0.1")
async def test_tc_k_31_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetChargingProfiles without evseId reports both profiles (K09.FR.02/06)."""
    sut = await csms.ready(station_operator)
    first, second = await _two_profiles(csms, sut)
    _, reports = await get_profiles(sut, {}, label="Step 1-3: ")
    check_reported_profile(reports, first, "Step 3")
    check_reported_profile(reports, second, "Step 3")


@ocpp_case("TC_K_32_CS", version="2.0.1")
async def test_tc_k_32_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetChargingProfiles with chargingProfileId Id1 reports that profile with the
    requestId, and not the other (K09.FR.01/02)."""
    sut = await csms.ready(station_operator)
    first, second = await _two_profiles(csms, sut)
    number, reports = await get_profiles(
        sut, {"chargingProfileId": [first["id"]]}, label="Step 1-3: "
    )
    check(
        all(r.payload.get("requestId") == number for r in reports),
        f"Step 3: ReportChargingProfilesRequest requestId {number}",
        [r.payload for r in reports],
    )
    check_reported_profile(reports, first, "Step 3")
    _absent(reports, second["id"], "K09.FR.06: the profiles matching the criteria")


@ocpp_case("TC_K_33_CS", version="2.0.1")
async def test_tc_k_33_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetChargingProfiles with the configured evseId and stackLevel reports the EVSE's
    profile of that stackLevel (K09.FR.02/04). <Configured stackLevel2> (``[station]
    stack_level2``, default the configured stackLevel: the table expects a report, which
    needs the EVSE's profile to match) is the TxDefaultProfile's."""
    sut = await csms.ready(station_operator)
    values = csms.smart_charging
    level2 = int(csms.config.station.extra.get("stack_level2", values.stack_level))
    first, second = await _two_profiles(csms, sut, stack1=values.stack_level, stack2=level2)
    criterion = {"stackLevel": values.stack_level}
    _, reports = await get_profiles(sut, criterion, evse_id=csms.evse, label="Step 1-3: ")
    check_reported_profile(reports, second, "Step 3", evse_id=csms.evse)
    _absent(reports, first["id"], "K09.FR.04: the profiles of the EVSE asked for")


@ocpp_case("TC_K_34_CS", version="2.0.1")
async def test_tc_k_34_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetChargingProfiles by chargingLimitSource: <Configured chargingLimitSource> (CSO)
    reports the TxDefaultProfile the CSMS set; <Configured chargingLimitSource2> (``[station]
    charging_limit_source2``, default EMS), with no profiles, answers NoProfiles (K09.FR.04)."""
    sut = await csms.ready(station_operator)
    values = csms.smart_charging
    source2 = str(csms.config.station.extra.get("charging_limit_source2", "EMS"))
    installed = profile(csms, GENERATED_ID, "TxDefaultProfile", stack_level=values.stack_level + 1)
    await csms.set_charging_profile(sut, installed)
    _, reports = await get_profiles(
        sut,
        {"chargingLimitSource": [values.charging_limit_source]},
        evse_id=csms.evse,
        label="Step 1-3: ",
    )
    check_reported_profile(reports, installed, "Step 3")
    await get_profiles(
        sut,
        {"chargingLimitSource": [source2]},
        evse_id=csms.evse,
        expected="NoProfiles",
        label="Step 5-6: ",
    )


@ocpp_case("TC_K_35_CS", version="2.0.1")
async def test_tc_k_35_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetChargingProfiles with the configured evseId and chargingProfilePurpose (default
    TxDefaultProfile) reports the matching profile (K09.FR.02/04). Errata 6.2.70: charging
    state EnergyTransferStarted (reached first, so a configured TxProfile has its
    transaction)."""
    values = csms.smart_charging
    if values.charging_profile_purpose == "ChargingStationMaxProfile":
        raise not_applicable(
            "<Configured chargingProfilePurpose> is ChargingStationMaxProfile, which lives on "
            "evseId 0: the request for the configured EVSE cannot report it"
        )
    sut = await csms.ready(station_operator)
    step("(Before) State is EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    _first, second = await _two_profiles(csms, sut)
    wanted = second
    if values.charging_profile_purpose == "TxProfile":
        wanted = profile(csms, GENERATED_ID + 2, "TxProfile", transaction_id=csms.transaction_id)
        await csms.set_charging_profile(sut, wanted, label=" (TxProfile)")
    criterion = {"chargingProfilePurpose": values.charging_profile_purpose}
    _, reports = await get_profiles(sut, criterion, evse_id=csms.evse, label="Step 1-3: ")
    check_reported_profile(reports, wanted, "Step 3", evse_id=csms.evse)


@ocpp_case("TC_K_36_CS", version="2.0.1")
async def test_tc_k_36_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetChargingProfiles with the configured evseId, purpose TxDefaultProfile and the
    configured stackLevel reports the EVSE's TxDefaultProfile, not the MaxProfile of the same
    stackLevel (K09.FR.02/04)."""
    sut = await csms.ready(station_operator)
    level = csms.smart_charging.stack_level
    first, second = await _two_profiles(csms, sut, stack1=level, stack2=level)
    criterion = {"chargingProfilePurpose": "TxDefaultProfile", "stackLevel": level}
    _, reports = await get_profiles(sut, criterion, evse_id=csms.evse, label="Step 1-3: ")
    check_reported_profile(reports, second, "Step 3", evse_id=csms.evse)
    _absent(reports, first["id"], "K09.FR.04: only profiles matching every criterion")


# -- K12 External limits ---------------------------------------------------------------------
EXTERNAL_LIMIT = 16
"""Amperes the external system imposes in TC_K_52_CS's memory state."""


@ocpp_case("TC_K_52_CS", version="2.0.1")
async def test_tc_k_52_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """With an external limit in force (manual action ``set_external_limit`` on the
    configured EVSE, released at the end), GetChargingProfiles for purpose
    ChargingStationExternalConstraints reports it with that purpose (K12.FR.05)."""
    sut = await csms.ready(station_operator)
    step("(Memory State) Manual action: an external system submits a charging limit")
    await station_operator.perform("set_external_limit", evse_id=csms.evse, limit=EXTERNAL_LIMIT)
    try:
        criterion = {"chargingProfilePurpose": "ChargingStationExternalConstraints"}
        number, reports = await get_profiles(sut, criterion, label="Step 1-3: ")
        profiles = reported(reports)
        check(
            all(r.payload.get("requestId") == number for r in reports),
            f"Step 3: ReportChargingProfilesRequest requestId {number}",
            [r.payload for r in reports],
        )
        check(
            bool(profiles)
            and all(
                p.get("chargingProfilePurpose") == "ChargingStationExternalConstraints"
                for _, p in profiles
            ),
            "Step 3: chargingProfile.chargingProfilePurpose ChargingStationExternalConstraints "
            "(at least one is returned)",
            [r.payload for r in reports],
        )
    finally:
        await station_operator.perform("set_external_limit", evse_id=csms.evse, limit=None)
