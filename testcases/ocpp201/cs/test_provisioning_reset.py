"""OCPP 2.0.1, Charging Station under test, B. Provisioning part 2: resets (B11/B12) and reports
(B07/B08) (2.0.1 Edition 3 Part 6 §2.3, Tables 41-51 and 60-63, and the 2025 errata). The
network profile, offline and reconnection cases are in :mod:`test_provisioning_network`.

pytest-ocpp plays the CSMS (the OCTT column of each scenario table). Each case first
re-establishes Part 6 §2.1's general preconditions (``csms.ready``); "Execute Reusable State X"
is one call of the fake CSMS's method for X (Part 6 §2.18, :mod:`pytest_ocpp.csms.states201`).

After a reboot a station "notifies the CSMS about the current state of all connectors": a
StatusNotificationRequest per connector (B01.FR.05); the NotifyEventRequest the tables list as
well is judged when sent (its actualValue must agree), never required, as in the states.
"""

from __future__ import annotations

from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import TargetTimeout, check, not_applicable

# -- shared steps ----------------------------------------------------------------------------


async def _reset(
    sut: StationConnection, label: str, type_: str, expected: str, evse_id: int | None = None
) -> None:
    """Steps 1-2: ResetRequest (evseId only where the table gives it) and its status."""
    payload: dict[str, Any] = {"type": type_}
    if evse_id is not None:
        payload["evseId"] = evse_id
    where = f" and evseId {evse_id}" if evse_id is not None else ""
    step(f"1. The OCTT sends a ResetRequest with type {type_}{where}")
    answer = await sut.call("Reset", payload)
    check(
        answer.get("status") == expected,
        f"{label}: ResetResponse status {expected}",
        answer,
    )


def _notify_event_agrees(sut: StationConnection, evse: int, connector: int, status: str) -> None:
    """A NotifyEventRequest Connector AvailabilityState the station sent for this connector
    must report the same value as its StatusNotificationRequest (the table lists both)."""
    for event in sut.link.inbox:
        if event.action != "NotifyEvent" or event.problems:
            continue
        for data in event.payload.get("eventData") or []:
            component = data.get("component") or {}
            where = component.get("evse") or {}
            if (
                component.get("name") == "Connector"
                and (data.get("variable") or {}).get("name") == "AvailabilityState"
                and where.get("id") == evse
                and where.get("connectorId", connector) == connector
            ):
                check(
                    data.get("actualValue") == status and data.get("trigger") == "Delta",
                    f"NotifyEventRequest Connector {evse}/{connector} AvailabilityState: "
                    f"trigger Delta, actualValue {status!r}",
                    data,
                )


async def _after_reboot(
    csms: FakeCsms201,
    generation: int,
    label: str,
    statuses: dict[int, str],
    *,
    reason: str | None = None,
    boot_step: str = "3",
) -> StationConnection:
    """The station reconnects (within --ocpp-reboot-timeout), sends BootNotificationRequest
    (``reason`` checked where the table validates it; answered Accepted by the fake CSMS) and
    reports every EVSE's connector with the status of ``statuses`` (default Available)."""
    sut = await csms.next_connection(after=generation, reboot=True)
    step(f"{boot_step}. The Charging Station sends a BootNotificationRequest")
    boot = await sut.wait_for(
        "BootNotification", describe="BootNotificationRequest after the reset"
    )
    if reason is not None:
        check(
            boot.payload.get("reason") == reason,
            f"{label} step {boot_step}: BootNotificationRequest reason {reason}",
            boot.payload,
        )
    step("The Charging Station notifies the CSMS about the current state of all connectors")
    for evse in range(1, csms.config.station.connectors + 1):
        want = statuses.get(evse, "Available")
        item = await sut.wait_for(
            "StatusNotification",
            lambda p, e=evse: p["evseId"] == e and p["connectorId"] != 0,
            describe=f"StatusNotificationRequest of EVSE {evse} after the reboot",
        )
        check(
            item.payload["connectorStatus"] == want,
            f"{label}: StatusNotificationRequest connectorStatus {want} for EVSE {evse}",
            item.payload,
        )
        _notify_event_agrees(sut, evse, int(item.payload["connectorId"]), want)
    return sut


async def _end_transaction_locally(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator
) -> bool:
    """Steps 3-6 of TC_B_21/26: StopAuthorized, then EVConnectedPostSession, EVDisconnected
    and ParkingBayUnoccupied while the transaction is still open (the tables' notes: those run
    only when TxStopPoint has not ended it yet). Returns whether it ended at StopAuthorized
    (the EV is still plugged in)."""
    step("3. Execute Reusable State StopAuthorized")
    await csms.stop_authorized(sut, operator)
    tx_id = csms.transaction_id
    if tx_id is None or tx_id not in csms.open_transactions:
        return True
    step("4. Execute Reusable State EVConnectedPostSession")
    await csms.ev_connected_post_session(sut, operator)
    if tx_id not in csms.open_transactions:
        return True
    step("5. Execute Reusable State EVDisconnected")
    await csms.ev_disconnected(sut, operator)
    if tx_id in csms.open_transactions:
        step("6. Execute Reusable State ParkingBayUnoccupied")
        csms.transaction_id = tx_id
        await csms.parking_bay_unoccupied(sut, operator)
    return False


def _immediate_ended(event: IncomingCall, label: str) -> None:
    """TC_B_22/27 step 3: the transaction ends because of the reset (B12.FR.04, E07.FR.03)."""
    payload = event.payload
    info = payload["transactionInfo"]
    check(payload["eventType"] == "Ended", f"{label} step 3: eventType Ended", payload)
    check(
        payload["triggerReason"] == "ResetCommand",
        f"{label} step 3: triggerReason ResetCommand",
        payload,
    )
    check(
        info.get("chargingState") == "EVConnected",
        f"{label} step 3: transactionInfo.chargingState EVConnected",
        payload,
    )
    check(
        info.get("stoppedReason") == "ImmediateReset",
        f"{label} step 3: transactionInfo.stoppedReason ImmediateReset",
        payload,
    )


# -- B11/B12 Reset Charging Station ----------------------------------------------------------


@ocpp_case("TC_B_20_CS", version="2.0.1")
async def test_tc_b_20_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Reset OnIdle without a transaction (B11.FR.01/03/04, B01.FR.03): Accepted, the station
    reboots, boots and reports every connector Available. The table does not validate the
    BootNotification reason here (TC_B_23/24 do), so neither do we."""
    sut = await csms.ready(station_operator)
    generation = csms.generation
    await _reset(sut, "TC_B_20_CS step 2", "OnIdle", "Accepted")
    await _after_reboot(csms, generation, "TC_B_20_CS step 5", {})


@ocpp_case("TC_B_21_CS", version="2.0.1")
async def test_tc_b_21_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Reset OnIdle during a transaction (B12.FR.01/03): Scheduled; the reboot waits until
    the transaction ended locally, then BootNotification reason ScheduledReset, the connector
    Occupied when the transaction ended while the EV stayed (step 3), else Available, and a
    SecurityEventNotification StartupOfTheDevice or ResetOrReboot. Departure: the table's
    notes on steps 4-6 name TxStartPoint; what decides them is whether the transaction is
    still open (TxStopPoint), which is what we follow."""
    sut = await csms.ready(station_operator)
    step("(Reusable State) EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    await _reset(sut, "TC_B_21_CS step 2", "OnIdle", "Scheduled")
    generation = csms.generation
    plugged = await _end_transaction_locally(csms, sut, station_operator)
    sut = await _after_reboot(
        csms,
        generation,
        "TC_B_21_CS step 9",
        {csms.evse: "Occupied" if plugged else "Available"},
        reason="ScheduledReset",
        boot_step="7",
    )
    step("11. The Charging Station sends a SecurityEventNotificationRequest")
    event = await sut.wait_for(
        "SecurityEventNotification", describe="SecurityEventNotificationRequest after the reset"
    )
    check(
        event.payload.get("type") in ("StartupOfTheDevice", "ResetOrReboot"),
        "TC_B_21_CS step 11: SecurityEventNotificationRequest type StartupOfTheDevice or "
        "ResetOrReboot",
        event.payload,
    )


@ocpp_case("TC_B_22_CS", version="2.0.1")
async def test_tc_b_22_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Reset Immediate during a transaction (B12.FR.02/04, E07.FR.03, B01.FR.03): Accepted;
    the transaction ends (ResetCommand, EVConnected, ImmediateReset, no idToken); the station
    reboots with reason RemoteReset and reports the configured connector Occupied (the EV is
    still plugged in), the others Available."""
    sut = await csms.ready(station_operator)
    step("(Reusable State) EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    tx_id = csms.transaction_id
    generation = csms.generation
    mark = sut.mark()
    await _reset(sut, "TC_B_22_CS step 2", "Immediate", "Accepted")
    step("3. The Charging Station sends a TransactionEventRequest")
    event = await _ended_event(csms, sut, tx_id, mark, generation)
    _immediate_ended(event, "TC_B_22_CS")
    check(
        "idToken" not in event.payload,
        "TC_B_22_CS step 3: idToken must be omitted",
        event.payload,
    )
    await _after_reboot(
        csms,
        generation,
        "TC_B_22_CS step 7",
        {csms.evse: "Occupied"},
        reason="RemoteReset",
        boot_step="5",
    )


async def _ended_event(
    csms: FakeCsms201, sut: StationConnection, tx_id: str | None, mark: int, generation: int
) -> IncomingCall:
    """The event that ends ``tx_id``: before the reboot, or queued and delivered after it
    (B12.FR.05 lets a station deliver it once it can)."""
    ends = lambda p: (  # noqa: E731
        p["transactionInfo"]["transactionId"] == tx_id and p["eventType"] == "Ended"
    )
    try:
        return await sut.wait_for(
            "TransactionEvent", ends, since=mark, describe=f"TransactionEventRequest ending {tx_id}"
        )
    except TargetTimeout:
        if csms.generation == generation:
            raise
    later = await csms.next_connection(after=generation, reboot=True)
    return await later.wait_for(
        "TransactionEvent", ends, describe=f"TransactionEventRequest ending {tx_id}"
    )


@ocpp_case("TC_B_23_CS", version="2.0.1")
async def test_tc_b_23_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Unavailable persists a reset (B11.FR.01-04, B01.FR.03): with the configured connector
    Inoperative (Memory State, through Reusable State Unavailable), Reset OnIdle is Accepted,
    the station boots with reason RemoteReset and reports that connector Unavailable, the
    others Available."""
    sut = await csms.ready(station_operator)
    step("(Memory State) Unavailable for <Configured connectorId>")
    await csms.unavailable(sut)
    generation = csms.generation
    await _reset(sut, "TC_B_23_CS step 2", "OnIdle", "Accepted")
    await _after_reboot(
        csms, generation, "TC_B_23_CS step 5", {csms.evse: "Unavailable"}, reason="RemoteReset"
    )


@ocpp_case("TC_B_24_CS", version="2.0.1")
async def test_tc_b_24_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Reserved persists a reset (B11.FR.01/03/04/05, B01.FR.03): with the configured EVSE
    Reserved (Memory State, through Reusable State Reserved), Reset OnIdle is Accepted, the
    station boots with reason RemoteReset and reports that connector Reserved, the others
    Available. Not applicable when ReservationCtrlr.Enabled is false (Part 5 R-3)."""
    sut = await csms.ready(station_operator)
    if (await csms.get_variable(sut, "ReservationCtrlr.Enabled") or "").lower() == "false":
        raise not_applicable("ReservationCtrlr.Enabled is false: reservations are disabled (R-3)")
    step("(Memory State) Reserved for <Configured connectorId>")
    await csms.reserved(sut)
    generation = csms.generation
    await _reset(sut, "TC_B_24_CS step 2", "OnIdle", "Accepted")
    await _after_reboot(
        csms, generation, "TC_B_24_CS step 5", {csms.evse: "Reserved"}, reason="RemoteReset"
    )


@ocpp_case("TC_B_41_CS", version="2.0.1")
async def test_tc_b_41_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Reset OnIdle with transactions on EVSE 1 and 2 (B12.FR.01/03, E07.FR.03): Scheduled;
    the station reboots (reason ScheduledReset) only after both ended locally, and reports
    every connector: EVSE 2's Occupied when its transaction ended with the EV still plugged
    in, else Available. Not applicable with one EVSE (HFS-8 > 1). Departure: the fake
    CSMS's states follow one EVSE, so each runs "for EVSE.id = n" with that EVSE as the
    configured one (connector 1); EVSE 1's EVDisconnected accepts the connector Unavailable
    as well as Available (B12 step 3a: idle EVSEs turn Unavailable until the reset)."""
    if csms.config.station.connectors < 2:
        raise not_applicable("the Charging Station has one EVSE; this case needs two (HFS-8 > 1)")
    sut = await csms.ready(station_operator)
    for evse in (1, 2):
        with csms.on_evse(evse):
            step(f"(Reusable State) EnergyTransferStarted for EVSE.id = {evse}")
            await csms.energy_transfer_started(sut, station_operator)
    await _reset(sut, "TC_B_41_CS step 2", "OnIdle", "Scheduled")
    generation = csms.generation
    with csms.on_evse(1):
        step("3-4. StopAuthorized, EVConnectedPostSession for EVSE.id = 1")
        await csms.ev_connected_post_session(sut, station_operator)
        step("5. Execute Reusable State EVDisconnected for EVSE.id = 1")
        await csms.ev_disconnected(sut, station_operator, statuses=("Available", "Unavailable"))
        step("6. Execute Reusable State ParkingBayUnoccupied for EVSE.id = 1")
        await csms.parking_bay_unoccupied(sut, station_operator)
    with csms.on_evse(2):
        step("7-10. StopAuthorized ... for EVSE.id = 2, until its transaction ended")
        plugged = await _end_transaction_locally(csms, sut, station_operator)
    await _after_reboot(
        csms,
        generation,
        "TC_B_41_CS step 13",
        {2: "Occupied" if plugged else "Available"},
        reason="ScheduledReset",
        boot_step="11",
    )


# -- B11/B12 Reset EVSE ----------------------------------------------------------------------


@ocpp_case("TC_B_25_CS", version="2.0.1", requires="C-13")
async def test_tc_b_25_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Reset of one EVSE without a transaction (B11.FR.01/08/10): Accepted. The table has no
    validation after the answer (the EVSE reboots; the station stays connected)."""
    sut = await csms.ready(station_operator)
    await _reset(sut, "TC_B_25_CS step 2", "OnIdle", "Accepted", evse_id=csms.evse)


@ocpp_case("TC_B_26_CS", version="2.0.1", requires="C-13")
async def test_tc_b_26_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Reset OnIdle of the EVSE with a transaction (B12.FR.01/07): Scheduled; the
    transaction then ends locally (StopAuthorized, EVConnectedPostSession, EVDisconnected,
    ParkingBayUnoccupied as far as it stays open), which the states judge."""
    sut = await csms.ready(station_operator)
    step("(Reusable State) EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    await _reset(sut, "TC_B_26_CS step 2", "OnIdle", "Scheduled", evse_id=csms.evse)
    await _end_transaction_locally(csms, sut, station_operator)


@ocpp_case("TC_B_27_CS", version="2.0.1", requires="C-13")
async def test_tc_b_27_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Reset Immediate of the EVSE with a transaction (B12.FR.02/08, E07.FR.03): Accepted;
    the transaction ends (ResetCommand, EVConnected, ImmediateReset)."""
    sut = await csms.ready(station_operator)
    step("(Reusable State) EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    tx_id = csms.transaction_id
    generation = csms.generation
    mark = sut.mark()
    await _reset(sut, "TC_B_27_CS step 2", "Immediate", "Accepted", evse_id=csms.evse)
    step("3. The Charging Station sends a TransactionEventRequest")
    event = await _ended_event(csms, sut, tx_id, mark, generation)
    _immediate_ended(event, "TC_B_27_CS")


@ocpp_case("TC_B_28_CS", version="2.0.1", requires="not C-13")
async def test_tc_b_28_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A station that cannot reset one EVSE rejects the EVSE reset (B11.FR.09, B12.FR.09);
    for stations not claiming C-13."""
    sut = await csms.ready(station_operator)
    await _reset(sut, "TC_B_28_CS step 2", "OnIdle", "Rejected", evse_id=csms.evse)


@ocpp_case("TC_B_29_CS", version="2.0.1", requires="not C-13")
async def test_tc_b_29_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """As TC_B_28_CS during a transaction (B12.FR.09): Rejected; the transaction goes on
    (undone by the next case's general preconditions)."""
    sut = await csms.ready(station_operator)
    step("(Reusable State) EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    await _reset(sut, "TC_B_29_CS step 2", "OnIdle", "Rejected", evse_id=csms.evse)


# -- B07/B08 reports -------------------------------------------------------------------------

_REQUEST_ID = 4201

REQUIRED_VARIABLES: tuple[tuple[str, str, str | None], ...] = (
    # (component, variable, variable instance): the Core controllers' variables Part 2
    # "Referenced Components and Variables" marks required for every station (the controllers
    # of optional profiles, e.g. SmartChargingCtrlr and MonitoringCtrlr, are left out).
    ("DeviceDataCtrlr", "ItemsPerMessage", "GetReport"),
    ("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"),
    ("DeviceDataCtrlr", "ItemsPerMessage", "SetVariables"),
    ("DeviceDataCtrlr", "BytesPerMessage", "GetReport"),
    ("DeviceDataCtrlr", "BytesPerMessage", "GetVariables"),
    ("DeviceDataCtrlr", "BytesPerMessage", "SetVariables"),
    ("OCPPCommCtrlr", "MessageTimeout", "Default"),
    ("OCPPCommCtrlr", "FileTransferProtocols", None),
    ("OCPPCommCtrlr", "NetworkConfigurationPriority", None),
    ("OCPPCommCtrlr", "NetworkProfileConnectionAttempts", None),
    ("OCPPCommCtrlr", "OfflineThreshold", None),
    ("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent"),
    ("OCPPCommCtrlr", "MessageAttemptInterval", "TransactionEvent"),
    ("OCPPCommCtrlr", "UnlockOnEVSideDisconnect", None),
    ("OCPPCommCtrlr", "ResetRetries", None),
    ("AuthCtrlr", "AuthorizeRemoteStart", None),
    ("AuthCtrlr", "LocalAuthorizeOffline", None),
    ("AuthCtrlr", "LocalPreAuthorize", None),
    ("TxCtrlr", "EVConnectionTimeOut", None),
    ("TxCtrlr", "StopTxOnEVSideDisconnect", None),
    ("TxCtrlr", "StopTxOnInvalidId", None),
    ("TxCtrlr", "TxStartPoint", None),
    ("TxCtrlr", "TxStopPoint", None),
    ("SampledDataCtrlr", "TxEndedMeasurands", None),
    ("SampledDataCtrlr", "TxEndedInterval", None),
    ("SampledDataCtrlr", "TxStartedMeasurands", None),
    ("SampledDataCtrlr", "TxUpdatedMeasurands", None),
    ("SampledDataCtrlr", "TxUpdatedInterval", None),
    ("AlignedDataCtrlr", "Interval", None),
    ("AlignedDataCtrlr", "Measurands", None),
    ("AlignedDataCtrlr", "TxEndedInterval", None),
    ("AlignedDataCtrlr", "TxEndedMeasurands", None),
    ("ClockCtrlr", "DateTime", None),
    ("ClockCtrlr", "TimeSource", None),
    ("SecurityCtrlr", "OrganizationName", None),
    ("SecurityCtrlr", "CertificateEntries", None),
    ("SecurityCtrlr", "SecurityProfile", None),
    ("ChargingStation", "AvailabilityState", None),
    ("ChargingStation", "Available", None),
    ("ChargingStation", "SupplyPhases", None),
)


async def _report_pages(sut: StationConnection, since: int, label: str) -> list[dict[str, Any]]:
    """Every NotifyReportRequest of ``_REQUEST_ID``, until one without tbc true (B07.FR.10,
    B08.FR.14): requestId as asked, seqNo 0 first and incremented by one, generatedAt set."""
    pages: list[dict[str, Any]] = []
    while True:
        item = await sut.wait_for(
            "NotifyReport",
            lambda p: p.get("requestId") == _REQUEST_ID,
            since=since,
            describe=f"NotifyReportRequest seqNo {len(pages)} for requestId {_REQUEST_ID}",
        )
        payload = item.payload
        check(
            payload.get("seqNo") == len(pages),
            f"{label}: NotifyReportRequest seqNo "
            + ("0" if not pages else "incremented by one while tbc = true")
            + f" (expected {len(pages)})",
            payload,
        )
        check(
            bool(payload.get("generatedAt")), f"{label}: NotifyReportRequest generatedAt", payload
        )
        pages.append(payload)
        if not payload.get("tbc"):
            return [entry for page in pages for entry in page.get("reportData") or []]


def _status_ok(answer: dict[str, Any], label: str) -> None:
    info = answer.get("statusInfo")
    check(
        answer.get("status") == "Accepted"
        and (info is None or info.get("reasonCode") == "NoError"),
        f"{label}: status Accepted, statusInfo absent or NoError",
        answer,
    )


def _key(entry: dict[str, Any]) -> tuple[str, str, str | None]:
    return (
        (entry.get("component") or {}).get("name", ""),
        (entry.get("variable") or {}).get("name", ""),
        (entry.get("variable") or {}).get("instance"),
    )


@ocpp_case("TC_B_53_CS", version="2.0.1")
async def test_tc_b_53_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """FullInventory base report (B07, Part 2 "Referenced Components and Variables"): Accepted,
    NotifyReportRequests numbered from seqNo 0, and the post scenario validations: the
    required variables (:data:`REQUIRED_VARIABLES`, the Core ones; those of other profiles are
    their cases' concern) are reported; an OptionList/SequenceList/MemberList variable carries
    a valuesList and its value is allowed by it; a WriteOnly variable's value is omitted."""
    sut = await csms.ready(station_operator)
    mark = sut.mark()
    step("1. OCTT sends GetBaseReportRequest reportBase FullInventory")
    answer = await sut.call(
        "GetBaseReport", {"requestId": _REQUEST_ID, "reportBase": "FullInventory"}
    )
    _status_ok(answer, "TC_B_53_CS step 2: GetBaseReportResponse")
    step("3. CS sends NotifyReportRequests for all its components/variables")
    entries = await _report_pages(sut, mark, "TC_B_53_CS step 3")
    reported = {_key(e) for e in entries}
    missing = [
        f"{c}.{v}" + (f"[{i}]" if i else "")
        for c, v, i in REQUIRED_VARIABLES
        if (c, v, i) not in reported
    ]
    check(
        not missing,
        "TC_B_53_CS post scenario: the components/variables required by the OCPP "
        "specification are implemented",
        {"missing": missing},
    )
    for entry in entries:
        name = "{}.{}".format(*_key(entry)[:2])
        traits = entry.get("variableCharacteristics") or {}
        if traits.get("dataType") in ("OptionList", "SequenceList", "MemberList"):
            allowed = [v for v in (traits.get("valuesList") or "").split(",") if v]
            check(
                bool(allowed),
                f"TC_B_53_CS post scenario: {name} ({traits['dataType']}) has a valuesList",
                entry,
            )
            for attribute in entry.get("variableAttribute") or []:
                value = attribute.get("value")
                if value:
                    values = [value] if traits["dataType"] == "OptionList" else value.split(",")
                    check(
                        all(v in allowed for v in values),
                        f"TC_B_53_CS post scenario: the value of {name} is allowed by its "
                        "valuesList",
                        entry,
                    )
        for attribute in entry.get("variableAttribute") or []:
            if attribute.get("mutability") == "WriteOnly":
                check(
                    "value" not in attribute,
                    f"TC_B_53_CS post scenario: {name} is WriteOnly: its value is omitted",
                    entry,
                )


async def _custom_report(
    sut: StationConnection, label: str, component: dict[str, Any], variable: dict[str, Any]
) -> list[dict[str, Any]]:
    mark = sut.mark()
    step("1. OCTT sends GetReportRequest")
    answer = await sut.call(
        "GetReport",
        {
            "requestId": _REQUEST_ID,
            "componentVariable": [{"component": component, "variable": variable}],
        },
    )
    _status_ok(answer, f"{label} step 2: GetReportResponse")
    step("3. Charging Station sends NotifyReportRequest")
    return await _report_pages(sut, mark, f"{label} step 3")


@ocpp_case("TC_B_54_CS", version="2.0.1")
async def test_tc_b_54_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Custom report without instance (B08.FR.01/03/04/11/12/14): every instance of
    DeviceDataCtrlr.ItemsPerMessage is reported, at least GetReport and GetVariables.
    Departures: the table's "componentVariable.parent.name" twice is read as component.name
    DeviceDataCtrlr and variable.name ItemsPerMessage; its "DeviceDataCtrl" and "GetVariable"
    are typos of DeviceDataCtrlr and GetVariables; the order of reportData is not judged."""
    sut = await csms.ready(station_operator)
    entries = await _custom_report(
        sut, "TC_B_54_CS", {"name": "DeviceDataCtrlr"}, {"name": "ItemsPerMessage"}
    )
    keys = [_key(e) for e in entries]
    check(
        all(k[:2] == ("DeviceDataCtrlr", "ItemsPerMessage") for k in keys),
        "TC_B_54_CS step 3: reportData component.name DeviceDataCtrlr, variable.name "
        "ItemsPerMessage",
        entries,
    )
    instances = {k[2] for k in keys}
    check(
        {"GetReport", "GetVariables"} <= instances,
        "TC_B_54_CS step 3: reportData has variable.instance GetReport and GetVariables (all "
        "instances when none is given)",
        entries,
    )


@ocpp_case("TC_B_55_CS", version="2.0.1")
async def test_tc_b_55_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Custom report with instance (B08): only DeviceDataCtrlr.ItemsPerMessage[GetReport].
    Departure: "componentVariable.parent.name" read as in TC_B_54_CS."""
    sut = await csms.ready(station_operator)
    entries = await _custom_report(
        sut,
        "TC_B_55_CS",
        {"name": "DeviceDataCtrlr"},
        {"name": "ItemsPerMessage", "instance": "GetReport"},
    )
    check(
        bool(entries)
        and all(_key(e) == ("DeviceDataCtrlr", "ItemsPerMessage", "GetReport") for e in entries),
        "TC_B_55_CS step 3: reportData[0] DeviceDataCtrlr.ItemsPerMessage instance GetReport "
        "(only the instance asked for)",
        entries,
    )


@ocpp_case("TC_B_56_CS", version="2.0.1")
async def test_tc_b_56_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Custom report of EVSE.AvailabilityState without evseId (B08): every EVSE is
    reported: as many EVSEs as configured ([station] connectors)."""
    sut = await csms.ready(station_operator)
    entries = await _custom_report(
        sut, "TC_B_56_CS", {"name": "EVSE"}, {"name": "AvailabilityState"}
    )
    check(
        all(_key(e)[:2] == ("EVSE", "AvailabilityState") for e in entries),
        "TC_B_56_CS step 3: reportData[i] component.name EVSE, variable.name AvailabilityState",
        entries,
    )
    evses = {((e.get("component") or {}).get("evse") or {}).get("id") for e in entries}
    expected = csms.config.station.connectors
    check(
        len(evses - {None}) == expected,
        f"TC_B_56_CS step 3: number of EVSEs = {expected} (the configured EVSE count)",
        entries,
    )
