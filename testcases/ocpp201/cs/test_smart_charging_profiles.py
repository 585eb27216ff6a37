"""OCPP 2.0.1, Charging Station under test, K. Smart Charging: setting charging profiles
(K01, K05; Part 6 §2.12 Tables 253-256, 262-269, 283-285, and the 2025 errata).

pytest-ocpp plays the CSMS: it installs TxDefaultProfile, TxProfile and
ChargingStationMaxProfile profiles, checks what the station refuses (an unknown EVSE or
transaction, a TxProfile for every EVSE, an unsupported unit) and reads installed profiles back
with GetChargingProfiles. Profiles are built by :func:`._smart_charging_support.profile` (see
there for the fields a table leaves out); every profile a case installs is cleared when the next
case starts (``after_case``).

Common departures: tables that give no chargingProfileKind get Relative (no startSchedule
needed, K01.FR.41); an Absolute or Recurring profile gets a startSchedule of now (K01.FR.40),
also where the table lists none (TC_K_03); the schema's required stackLevel is the configured
one; limits are the table's times the errata's <limit multiplier> (§6.2.69).
"""

from __future__ import annotations

from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import check

from ._smart_charging_support import (
    GENERATED_ID,
    UNKNOWN_TRANSACTION_ID,
    check_reported_profile,
    evse_count,
    get_profiles,
    profile,
    rule_out_smart_charging,
    set_profile,
    unsupported_unit,
)


def _tx_default(
    csms: FakeCsms201, profile_id: int | None = None, amperes: float = 6
) -> dict[str, Any]:
    """The K01/K10/K13 TxDefaultProfile: <Configured chargingProfileId>, duration, unit,
    startPeriod 0, limit 6 (A) or 6 × multiplier, <Configured numberPhases>."""
    values = csms.smart_charging
    return profile(
        csms,
        values.charging_profile_id if profile_id is None else profile_id,
        "TxDefaultProfile",
        duration=values.charging_schedule_duration,
        limits={0: amperes},
    )


async def _set_and_report(
    csms: FakeCsms201,
    sut: StationConnection,
    sent: dict[str, Any],
    evse_id: int,
    *,
    tbc_false: bool = False,
) -> None:
    """Steps 1-6 of TC_K_01/03/10: SetChargingProfile Accepted, GetChargingProfiles by id
    Accepted, the report with the requestId, the evseId and the same profile."""
    await set_profile(csms, sut, sent, evse_id=evse_id, expected="Accepted")
    step("3. The OCTT sends a GetChargingProfilesRequest for the chargingProfileId")
    number, reports = await get_profiles(
        sut, {"chargingProfileId": [sent["id"]]}, label="Step 3-5: "
    )
    check(
        all(r.payload.get("requestId") == number for r in reports),
        f"Step 5: ReportChargingProfilesRequest requestId {number}",
        [r.payload for r in reports],
    )
    if tbc_false:
        check(
            reports[-1].payload.get("tbc", False) is False,
            "Step 5: ReportChargingProfilesRequest tbc false",
            reports[-1].payload,
        )
    check_reported_profile(reports, sent, "Step 5", evse_id=evse_id)


@ocpp_case("TC_K_01_CS", version="2.0.1")
async def test_tc_k_01_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A TxDefaultProfile for the configured EVSE is Accepted and reported back unchanged with
    that evseId (K01.FR.07/15, K09)."""
    sut = await csms.ready(station_operator)
    await _set_and_report(csms, sut, _tx_default(csms), csms.evse)


@ocpp_case("TC_K_02_CS", version="2.0.1")
async def test_tc_k_02_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A TxProfile for an EVSE without a transaction (transactionId UNKNOWN-TRANSACTION-ID) is
    Rejected (K01.FR.04/09)."""
    sut = await csms.ready(station_operator)
    sent = profile(
        csms,
        csms.smart_charging.charging_profile_id,
        "TxProfile",
        transaction_id=UNKNOWN_TRANSACTION_ID,
    )
    await set_profile(csms, sut, sent, evse_id=csms.evse, expected="Rejected")


@ocpp_case("TC_K_03_CS", version="2.0.1")
async def test_tc_k_03_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A ChargingStationMaxProfile (Absolute, evseId 0) is Accepted and reported back with
    evseId 0. Departure: startSchedule now (K01.FR.40 requires it for Absolute)."""
    sut = await csms.ready(station_operator)
    values = csms.smart_charging
    sent = profile(
        csms,
        values.charging_profile_id,
        "ChargingStationMaxProfile",
        kind="Absolute",
        duration=values.charging_schedule_duration,
    )
    await _set_and_report(csms, sut, sent, 0)


@ocpp_case("TC_K_04_CS", version="2.0.1")
async def test_tc_k_04_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A profile with the id of an installed one replaces it (K01.FR.05): the report shows the
    new limit 10. Departure: the memory state's <Generated chargingProfileId> and step 1's
    <Configured chargingProfileId> are one id (replacing "with chargingProfileId" is the
    point of the case)."""
    sut = await csms.ready(station_operator)
    profile_id = csms.smart_charging.charging_profile_id
    await csms.set_charging_profile(sut, _tx_default(csms, profile_id, 6))
    sent = _tx_default(csms, profile_id, 10)
    await set_profile(csms, sut, sent, evse_id=csms.evse, expected="Accepted")
    _, reports = await get_profiles(sut, {"chargingProfileId": [profile_id]}, label="Step 3-5: ")
    check_reported_profile(reports, sent, "Step 5", evse_id=csms.evse)


@ocpp_case("TC_K_10_CS", version="2.0.1")
async def test_tc_k_10_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A TxDefaultProfile for every EVSE (evseId 0) is Accepted and reported with evseId 0,
    tbc false (K01.FR.07/14). Mandatory for a station: Part 5's SC-4 is a CSMS feature (the
    catalogue's "M, SC-4" merges both columns)."""
    sut = await csms.ready(station_operator)
    await _set_and_report(csms, sut, _tx_default(csms), 0, tbc_false=True)


@ocpp_case("TC_K_11_CS", version="2.0.1")
async def test_tc_k_11_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A TxProfile for evseId 0 is Rejected (K01.FR.04/16). The table gives no
    transactionId: none is sent."""
    sut = await csms.ready(station_operator)
    sent = profile(csms, csms.smart_charging.charging_profile_id, "TxProfile")
    await set_profile(csms, sut, sent, evse_id=0, expected="Rejected")


@ocpp_case("TC_K_12_CS", version="2.0.1", requires="not (SC-2.1 and SC-2.2)")
async def test_tc_k_12_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A profile in the chargingRateUnit the station does not support is Rejected
    (K01.FR.26). <Configured chargingRateUnit> here is that unit (SmartChargingCtrlr.RateUnit,
    else the claims). The table names no purpose: TxDefaultProfile for the configured EVSE."""
    sut = await csms.ready(station_operator)
    unit = await unsupported_unit(csms, sut)
    sent = profile(csms, csms.smart_charging.charging_profile_id, "TxDefaultProfile", unit=unit)
    await set_profile(csms, sut, sent, evse_id=csms.evse, expected="Rejected")


@ocpp_case("TC_K_13_CS", version="2.0.1")
async def test_tc_k_13_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A TxDefaultProfile survives a reboot (K01.FR.27): set, Booted (Reset), then reported
    back unchanged."""
    sut = await csms.ready(station_operator)
    sent = _tx_default(csms)
    await set_profile(csms, sut, sent, evse_id=csms.evse, expected="Accepted")
    step("3. Execute Reusable State Booted")
    sut = await csms.booted(sut, station_operator)
    number, reports = await get_profiles(
        sut, {"chargingProfileId": [sent["id"]]}, label="Step 4-6: "
    )
    check(
        all(r.payload.get("requestId") == number for r in reports),
        f"Step 6: ReportChargingProfilesRequest requestId {number}",
        [r.payload for r in reports],
    )
    check_reported_profile(reports, sent, "Step 6", evse_id=csms.evse)


@ocpp_case("TC_K_14_CS", version="2.0.1")
async def test_tc_k_14_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A profile for evseId <EVSECount + 1> is Rejected (K01.FR.28). The table names no
    purpose: TxDefaultProfile."""
    sut = await csms.ready(station_operator)
    sent = _tx_default(csms)
    await set_profile(csms, sut, sent, evse_id=evse_count(csms) + 1, expected="Rejected")


@ocpp_case("TC_K_15_CS", version="2.0.1")
async def test_tc_k_15_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A station without smart charging answers SetChargingProfile with CALLERROR
    NotSupported (K01.FR.29 also allows NotImplemented). Applies only to a station that does
    not claim the Smart Charging profile."""
    rule_out_smart_charging(csms)
    sut = await csms.ready(station_operator)
    step("1. The OCTT sends a SetChargingProfileRequest")
    answer = await sut.call(
        "SetChargingProfile",
        {"evseId": csms.evse, "chargingProfile": _tx_default(csms)},
        allow_error=True,
    )
    check(
        answer.get("errorCode") in ("NotSupported", "NotImplemented"),
        "Step 2: CALLERROR NotSupported (K01.FR.29: or NotImplemented)",
        answer,
    )


@ocpp_case("TC_K_16_CS", version="2.0.1")
async def test_tc_k_16_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """During a transaction, a TxProfile for transactionId UNKNOWN-TRANSACTION-ID is
    Rejected (K01.FR.33)."""
    sut = await csms.ready(station_operator)
    step("(Before) State is EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    sent = profile(
        csms,
        csms.smart_charging.charging_profile_id,
        "TxProfile",
        transaction_id=UNKNOWN_TRANSACTION_ID,
    )
    await set_profile(csms, sut, sent, evse_id=csms.evse, expected="Rejected")


@ocpp_case("TC_K_19_CS", version="2.0.1")
async def test_tc_k_19_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A Recurring profile with <Configured recurrencyKind> is Accepted (K01.FR.40). The table
    names neither purpose nor EVSE: a TxDefaultProfile for the configured EVSE, startSchedule
    now (required for Recurring, K01.FR.40)."""
    sut = await csms.ready(station_operator)
    values = csms.smart_charging
    sent = profile(
        csms,
        values.charging_profile_id,
        "TxDefaultProfile",
        kind="Recurring",
        recurrency_kind=values.recurrency_kind,
        duration=values.charging_schedule_duration,
    )
    await set_profile(csms, sut, sent, evse_id=csms.evse, expected="Accepted")


@ocpp_case("TC_K_60_CS", version="2.0.1")
async def test_tc_k_60_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """During a transaction, a Relative TxProfile for it is Accepted and reported back
    (K01.FR.04/07/15). A TransactionEventRequest ChargingRateChanged may follow (legal)."""
    sut = await csms.ready(station_operator)
    step("(Before) State is EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    sent = profile(
        csms,
        csms.smart_charging.charging_profile_id,
        "TxProfile",
        transaction_id=csms.transaction_id,
    )
    await set_profile(csms, sut, sent, evse_id=csms.evse, expected="Accepted")
    _, reports = await get_profiles(sut, {"chargingProfileId": [sent["id"]]}, label="Step 3-5: ")
    check_reported_profile(reports, sent, "Step 5")


async def _remote_start_with_profile(csms: FakeCsms201, sut, operator: StationOperator) -> dict:
    """TC_K_37/38 steps 1-7: EVConnectedPreSession was reached; RequestStartTransaction with
    the idToken, EVSE and a Relative TxProfile (no transactionId) is Accepted (with the
    transactionId of a transaction already started); an AuthorizeRequest, when sent, names
    the idToken; a TransactionEventRequest RemoteStart with the remoteStartId; then
    EnergyTransferStarted. Returns the profile sent."""
    token = csms.id_token()
    sent = profile(csms, GENERATED_ID, "TxProfile")
    csms.clear_after_case(GENERATED_ID)
    remote_start_id = 37
    mark = sut.mark()
    step("1. The OCTT sends a RequestStartTransactionRequest with a chargingProfile (TxProfile)")
    answer = await sut.call(
        "RequestStartTransaction",
        {
            "idToken": token,
            "remoteStartId": remote_start_id,
            "evseId": csms.evse,
            "chargingProfile": sent,
        },
    )
    check(
        answer.get("status") == "Accepted",
        "Step 2: RequestStartTransactionResponse status must be Accepted",
        answer,
    )
    if csms.transaction_id is not None:
        check(
            answer.get("transactionId") == csms.transaction_id,
            "Step 2: transactionId must be the one of the first TransactionEventRequest (the "
            "transaction already started at EVConnected)",
            answer,
        )
    step("5. The Charging Station sends a TransactionEventRequest (RemoteStart)")
    event = await csms.transaction_event(
        sut,
        since=mark,
        label="triggerReason RemoteStart",
        predicate=lambda p: (
            p["triggerReason"] == "RemoteStart"
            or "remoteStartId" in (p.get("transactionInfo") or {})
        ),
    )
    check(
        event.payload["triggerReason"] == "RemoteStart",
        "Step 5: TransactionEventRequest triggerReason must be RemoteStart",
        event.payload,
    )
    check(
        event.payload["transactionInfo"].get("remoteStartId") == remote_start_id,
        "Step 5: transactionInfo.remoteStartId must be present",
        event.payload,
    )
    for item in sut.link.inbox[mark:]:
        if item.action == "Authorize":
            got = item.payload.get("idToken") or {}
            check(
                got.get("idToken") == token["idToken"] and got.get("type") == token["type"],
                f"Step 3: AuthorizeRequest idToken {token['idToken']} of type {token['type']}",
                item.payload,
            )
    csms.transaction_id = str(event.payload["transactionInfo"]["transactionId"])
    csms.session_authorized = True
    csms.auth_mark = mark
    step("7. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, operator)
    return sent


@ocpp_case("TC_K_37_CS", version="2.0.1")
async def test_tc_k_37_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A remote start with a TxProfile (K05.FR.03, F01.FR.10/13): the transaction starts
    (RemoteStart with the remoteStartId), and GetChargingProfiles for the profile's id reports
    it. The profile id is generated (the table: <Used chargingProfileId at step 1>)."""
    sut = await csms.ready(station_operator)
    step("(Before) Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    sent = await _remote_start_with_profile(csms, sut, station_operator)
    _, reports = await get_profiles(sut, {"chargingProfileId": [sent["id"]]}, label="Step 8-10: ")
    check_reported_profile(reports, sent, "Step 10")


@ocpp_case("TC_K_38_CS", version="2.0.1")
async def test_tc_k_38_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A station without smart charging ignores the chargingProfile of a remote start and
    starts the transaction (F01.FR.12/13, K05.FR.04). Applies only to a station that does not
    claim Smart Charging (Part 5 "NOT Smart Charging")."""
    rule_out_smart_charging(csms)
    sut = await csms.ready(station_operator)
    step("(Before) Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    await _remote_start_with_profile(csms, sut, station_operator)
