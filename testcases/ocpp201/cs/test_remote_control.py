"""OCPP 2.0.1, Charging Station under test, F. Remote Control (2.0.1 Edition 3 Part 6 §2.7,
Tables 174-197, and the 2025 errata).

pytest-ocpp plays the CSMS (the OCTT column of each scenario table): it starts and stops
transactions remotely (F01-F03), unlocks connectors (F05) and asks for station-initiated
messages with TriggerMessage (F06). Each case first re-establishes Part 6 §2.1's general
preconditions (``csms.ready``); "Execute Reusable State X" is one call of the fake CSMS's method
for X (Part 6 §2.18, :mod:`pytest_ocpp.csms.states201`).

Conditions (Part 5): the catalogue's features. Two cases apply only to a station WITHOUT a
feature (TC_F_01_CS: no cable lock before authorization, AQ-2; TC_F_27_CS: no combined
certificate, ISO-3). With the default claims (every feature claimed) a ``requires="not ..."``
would make them never run, so they are ruled out only when ``[claims] features`` is given and
lists that feature.

TC_F_16_CS and TC_F_19_CS (TriggerMessage while a log upload / firmware download is under
way) are in :mod:`.test_remote_control_trigger_status`, beside the log and firmware helpers.
"""

from __future__ import annotations

import time
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import check, not_applicable

from ._transactions_support import _connection_timeout

UNKNOWN_CONNECTOR = 999
"""TC_F_10_CS: "connectorId 999"."""


# -- helpers -----------------------------------------------------------------------------------
def _rule_out_explicitly_claimed(csms: FakeCsms201, feature: str, why: str) -> None:
    """Not applicable when ``[claims] features`` is given and lists ``feature`` (a case for
    stations WITHOUT it; see the module docstring)."""
    features = csms.config.claims.features
    if features is not None and feature in features:
        raise not_applicable(f"the station claims {feature} ({why}); this case is for one without")


async def _prefer(csms: FakeCsms201, sut: StationConnection, text: str, value: str) -> str | None:
    """A Configuration State line "X is value (If implemented [AND ReadWrite])": set it when
    the station has it and it differs; a refusal (ReadOnly) leaves it. Returns the value the
    station then has, None when it does not implement the variable."""
    current = await csms.get_variable(sut, text)
    if current is None or current.lower() == value.lower():
        return current
    step(f"(Configuration State) SetVariablesRequest {text} = {value} (if ReadWrite)")
    component, _, variable = text.partition(".")
    answer = await sut.call(
        "SetVariables",
        {
            "setVariableData": [
                {
                    "component": {"name": component},
                    "variable": {"name": variable},
                    "attributeValue": value,
                }
            ]
        },
    )
    status = (answer.get("setVariableResult") or [{}])[0].get("attributeStatus")
    return value if status in ("Accepted", "RebootRequired") else current


async def _remote_auth_config(
    csms: FakeCsms201, sut: StationConnection, authorize_remote_start: str | None = None
) -> str | None:
    """The F01/F02 Configuration State: AuthCtrlr.AuthEnabled true (if implemented and
    ReadWrite), AuthCtrlr.DisableRemoteAuthorization false (if implemented) and, for TC_F_02/03,
    AuthCtrlr.AuthorizeRemoteStart (if ReadWrite). A station left at the opposite value by a
    ReadOnly variable does not meet the prerequisite: not applicable. Returns the
    AuthEnabled value the station then has (None: not implemented)."""
    enabled = await _prefer(csms, sut, "AuthCtrlr.AuthEnabled", "true")
    disabled = await _prefer(csms, sut, "AuthCtrlr.DisableRemoteAuthorization", "false")
    if disabled is not None and disabled.lower() == "true":
        raise not_applicable("AuthCtrlr.DisableRemoteAuthorization is true and not writable")
    if authorize_remote_start is not None:
        got = await _prefer(csms, sut, "AuthCtrlr.AuthorizeRemoteStart", authorize_remote_start)
        if got is not None and got.lower() != authorize_remote_start:
            raise not_applicable(
                f"AuthCtrlr.AuthorizeRemoteStart is {got} and ReadOnly (prerequisite: not "
                f"ReadOnly {got})"
            )
    return enabled


async def _trigger(
    sut: StationConnection, requested: str, evse: dict[str, int] | None, expected: str, label: str
) -> int:
    """Step 1/2: TriggerMessageRequest (evse only when the table gives one); the response's
    status must be ``expected``. Returns the inbox mark taken before the request (the
    triggered message may arrive before we read the response)."""
    payload: dict[str, Any] = {"requestedMessage": requested}
    if evse is not None:
        payload["evse"] = evse
    mark = sut.mark()
    step(f"1. The OCTT sends a TriggerMessageRequest with requestedMessage {requested}")
    answer = await sut.call("TriggerMessage", payload)
    check(
        answer.get("status") == expected,
        f"{label}: TriggerMessageResponse status must be {expected}",
        answer,
    )
    return mark


def _first_context(payload: dict[str, Any], key: str = "meterValue") -> Any:
    values = payload.get(key) or [{}]
    samples = values[0].get("sampledValue") or [{}]
    return samples[0].get("context", "Sample.Periodic")  # the schema's default


def _has_trigger_context(payload: dict[str, Any]) -> bool:
    return any(
        s.get("context") == "Trigger"
        for v in payload.get("meterValue") or []
        for s in v.get("sampledValue") or []
    )


async def _unlock(sut: StationConnection, connector_id: int, expected: str) -> None:
    """Steps 1/2 of the F05 cases: UnlockConnectorRequest, response status ``expected``."""
    evse = sut.csms.config.station.evse_id
    step(
        f"1. The OCTT sends an UnlockConnectorRequest with evseId {evse}, connectorId "
        f"{connector_id}"
    )
    answer = await sut.call("UnlockConnector", {"evseId": evse, "connectorId": connector_id})
    check(
        answer.get("status") == expected,
        f"Step 2: UnlockConnectorResponse status {expected}",
        answer,
    )


def _judge_availability_events(
    sut: StationConnection, since: int, evse: int, connector: int, status: str
) -> None:
    """The NotifyEventRequest the F06 StatusNotification tables list beside the
    StatusNotificationRequest: judged when sent (actualValue), never required (see
    :mod:`pytest_ocpp.csms.states201`)."""
    for event in sut.link.inbox[since:]:
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
                    data.get("actualValue") == status,
                    f'Step 3: NotifyEventRequest eventData.actualValue "{status}" for Connector '
                    f"{evse}/{connector} AvailabilityState",
                    data,
                )
                if data.get("trigger") != "Delta":
                    warn(f"NotifyEventRequest AvailabilityState trigger {data.get('trigger')}")


# -- F01/F02 Remote start ------------------------------------------------------------------
@ocpp_case("TC_F_01_CS", version="2.0.1", requires="C-36 or C-39")
async def test_tc_f_01_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Remote start with the cable plugged in first (F01.FR.03-05/13/17/19, F02.FR.01):
    EVConnectedPreSession, then Authorized (remote): RequestStartTransactionRequest Accepted,
    carrying the transactionId of a transaction already started by the plug-in (F01.FR.13,
    taken by the state), a TransactionEventRequest RemoteStart with the remoteStartId; then
    EnergyTransferStarted. Prerequisite "no cable lock preventing connecting before
    authorization" (AQ-2): see the module docstring."""
    _rule_out_explicitly_claimed(csms, "AQ-2", "a cable lock before authorization")
    sut = await csms.ready(station_operator)
    await _remote_auth_config(csms, sut)
    step("(Before) Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    step("1. Execute Reusable State Authorized (remote)")
    await csms.authorized(sut, station_operator, remote=True)
    step("2. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)


@ocpp_case("TC_F_02_CS", version="2.0.1", requires="(C-36 or C-39) and C-48.1")
async def test_tc_f_02_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Remote start before the plug-in with AuthorizeRemoteStart true (F02.FR.01, F01.FR.01):
    Authorized (remote), then EnergyTransferStarted (the EV connects within the
    EVConnectionTimeOut). The optional ParkingBayOccupied state is left out (optional; the
    station needs no bay sensor for the case). A ReadOnly AuthEnabled false or
    AuthorizeRemoteStart false is the table's prerequisite: not applicable."""
    sut = await csms.ready(station_operator)
    enabled = await _remote_auth_config(csms, sut, "true")
    if enabled is not None and enabled.lower() == "false":
        raise not_applicable("AuthCtrlr.AuthEnabled is false and ReadOnly (prerequisite)")
    step("1. Execute Reusable State Authorized (remote)")
    await csms.authorized(sut, station_operator, remote=True)
    step("2. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)


@ocpp_case("TC_F_03_CS", version="2.0.1", requires="(C-36 or C-39) and C-48.2")
async def test_tc_f_03_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Remote start before the plug-in with AuthorizeRemoteStart false (F02.FR.01,
    F01.FR.02): the station takes the idToken as authorized; Authorized (remote), then
    EnergyTransferStarted. ParkingBayOccupied (optional) is left out."""
    sut = await csms.ready(station_operator)
    await _remote_auth_config(csms, sut, "false")
    step("1. Execute Reusable State Authorized (remote)")
    await csms.authorized(sut, station_operator, remote=True)
    step("2. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)


@ocpp_case("TC_F_04_CS", version="2.0.1")
async def test_tc_f_04_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Remote start, then no EV within TxCtrlr.EVConnectionTimeOut (F02.FR.01, E03.FR.01/05):
    a transaction started at Authorized ends with triggerReason EVConnectTimeout, eventType
    Ended, not before the timeout; the EVSE then accepts another remote start (step 3).
    <Configured ev_connection_timeout> is ``[station] ev_connection_timeout`` (default 3 s).
    Errata 6.2.56/57: no prerequisite; TxStartPoint is set to Authorized only if supported.
    A station whose remote start starts no transaction sends nothing at the timeout (step 1
    applies "if the transaction has been started"): the case then waits the timeout out and
    step 3 shows the EVSE was deauthorized (an authorized EVSE rejects it, F01.FR.24)."""
    sut = await csms.ready(station_operator)
    timeout = _connection_timeout(csms)
    await csms.configure(sut, {"TxCtrlr.EVConnectionTimeOut": str(int(timeout))})
    if not {"ParkingBayOccupancy", "Authorized"} & set(await csms.tx_start_points(sut)):
        await _prefer(csms, sut, "TxCtrlr.TxStartPoint", "Authorized")
    await _remote_auth_config(csms, sut)
    step("(Before) Execute Reusable State Authorized (remote)")
    started = time.monotonic()
    await csms.authorized(sut, station_operator, remote=True)
    tx_id = csms.transaction_id
    if tx_id is None:
        step("1. (no transaction started) wait out the EV connection timeout")
        await sut.link.expect_silence(
            "TransactionEvent", timeout, "no transaction was started by the remote start"
        )
    else:
        step("1. The Charging Station sends a TransactionEventRequest after the timeout")
        event = await sut.wait_for(
            "TransactionEvent",
            lambda p: (
                p["transactionInfo"]["transactionId"] == tx_id
                and (p["eventType"] == "Ended" or p["triggerReason"] == "EVConnectTimeout")
            ),
            timeout=timeout + csms.config.timeouts.message,
            describe=f"TransactionEventRequest ending transaction {tx_id} after the "
            f"{timeout:g} s EVConnectionTimeOut",
        )
        payload = event.payload
        check(
            payload["triggerReason"] == "EVConnectTimeout",
            "Step 1: TransactionEventRequest triggerReason must be EVConnectTimeout",
            payload,
        )
        check(
            payload["eventType"] == "Ended",
            "Step 1: TransactionEventRequest eventType must be Ended",
            payload,
        )
        elapsed = time.monotonic() - started
        check(
            elapsed >= timeout - 0.5,
            f"Step 1: the transaction ends once the {timeout:g} s EVConnectionTimeOut expires "
            f"(E03.FR.05), not after {elapsed:.1f} s",
            payload,
        )
    csms.transaction_id = None
    step("3. Execute Reusable State Authorized (remote): the EVSE is ready for a new session")
    await csms.authorized(sut, station_operator, remote=True)


# -- F05 Unlock connector ------------------------------------------------------------------
@ocpp_case("TC_F_05_CS", version="2.0.1", requires="HFS-1")
async def test_tc_f_05_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """UnlockConnector during an authorized transaction is not performed: status
    OngoingAuthorizedTransaction (F05.FR.01/02). Charging state: EnergyTransferStarted on the
    configured connector. Part 5: a station with a detachable cable (HFS-1) has a lock."""
    sut = await csms.ready(station_operator)
    step("(Before) State is EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    await _unlock(sut, csms.connector, "OngoingAuthorizedTransaction")


@ocpp_case("TC_F_06_CS", version="2.0.1", requires="HFS-1")
async def test_tc_f_06_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """UnlockConnector without a transaction unlocks: status Unlocked (F05.FR.01/04)."""
    sut = await csms.ready(station_operator)
    await _unlock(sut, csms.connector, "Unlocked")


@ocpp_case("TC_F_07_CS", version="2.0.1", requires="HFS-1")
async def test_tc_f_07_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """UnlockConnector without a transaction and no cable connected: status Unlocked
    (F05.FR.01/06). §2.1's general preconditions leave every connector Available (no cable)."""
    sut = await csms.ready(station_operator)
    await _unlock(sut, csms.connector, "Unlocked")


@ocpp_case("TC_F_10_CS", version="2.0.1", requires="HFS-1")
async def test_tc_f_10_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """UnlockConnector for connectorId 999 of the configured EVSE: status UnknownConnector
    (F05.FR.03)."""
    sut = await csms.ready(station_operator)
    await _unlock(sut, UNKNOWN_CONNECTOR, "UnknownConnector")


# -- F03 Remote stop -----------------------------------------------------------------------
@ocpp_case("TC_F_08_CS", version="2.0.1")
async def test_tc_f_08_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """RequestStopTransaction of the running transaction: Accepted, then a
    TransactionEventRequest RemoteStop (F03.FR.02/03/07/09), through StopAuthorized (remote)."""
    sut = await csms.ready(station_operator)
    step("(Before) Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    step("1. Execute Reusable State StopAuthorized (remote)")
    await csms.stop_authorized(sut, station_operator, remote=True)


@ocpp_case("TC_F_09_CS", version="2.0.1")
async def test_tc_f_09_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """RequestStopTransaction with a transactionId the station does not run: Rejected
    (F03.FR.08)."""
    sut = await csms.ready(station_operator)
    step("(Before) Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    other = "pytest-ocpp-unknown-transaction"
    if other == csms.transaction_id:
        other += "-2"
    step(f"1. The OCTT sends a RequestStopTransactionRequest with transactionId {other}")
    answer = await sut.call("RequestStopTransaction", {"transactionId": other})
    check(
        answer.get("status") == "Rejected",
        "Step 2: RequestStopTransactionResponse status must be Rejected (a transactionId other "
        "than the running one)",
        answer,
    )


# -- F06 Trigger message -------------------------------------------------------------------
@ocpp_case("TC_F_11_CS", version="2.0.1", requires="C-29.1")
async def test_tc_f_11_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TriggerMessage MeterValues for the configured EVSE: Accepted, then a MeterValuesRequest
    for that EVSE whose first sampledValue has context Trigger (F06.FR.02/04/05/06/10). The
    triggered request is told from other MeterValues (clock-aligned ones, legal meanwhile) by
    a sampledValue of context Trigger."""
    sut = await csms.ready(station_operator)
    mark = await _trigger(sut, "MeterValues", {"id": csms.evse}, "Accepted", "Step 2")
    step("3. The Charging Station sends a MeterValuesRequest")
    item = await sut.wait_for(
        "MeterValues",
        _has_trigger_context,
        since=mark,
        describe="MeterValuesRequest with a sampledValue of context Trigger (step 3)",
    )
    check(
        item.payload.get("evseId") == csms.evse,
        f"Step 3: MeterValuesRequest evseId must be {csms.evse}",
        item.payload,
    )
    check(
        _first_context(item.payload) == "Trigger",
        "Step 3: MeterValuesRequest meterValue[0].sampledValue[0].context must be Trigger",
        item.payload,
    )


@ocpp_case("TC_F_12_CS", version="2.0.1", requires="C-29.1")
async def test_tc_f_12_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TriggerMessage MeterValues without evse: Accepted, then a MeterValuesRequest for every
    EVSE with context Trigger (F06.FR.04/05/06/10/11)."""
    sut = await csms.ready(station_operator)
    mark = await _trigger(sut, "MeterValues", None, "Accepted", "Step 2")
    for evse in range(1, csms.config.station.connectors + 1):
        step(f"3. The Charging Station sends a MeterValuesRequest (EVSE {evse})")
        item = await sut.wait_for(
            "MeterValues",
            lambda p, e=evse: p.get("evseId") == e and _has_trigger_context(p),
            since=mark,
            describe=f"MeterValuesRequest for EVSE {evse} with a sampledValue of context "
            "Trigger (step 3, every EVSE)",
        )
        check(
            _first_context(item.payload) == "Trigger",
            "Step 3: MeterValuesRequest meterValue[0].sampledValue[0].context must be Trigger",
            item.payload,
        )


def _judge_triggered_transaction_event(payload: dict[str, Any], evse: int, *, named: bool) -> None:
    """Step 3 of TC_F_13/14_CS. TC_F_14's table asks evse.id to be the EVSE; the specification
    requires evse only in the first event after the EV connected (E01.FR.16) and the
    transactionId already tells the EVSE, so with ``named`` an omitted evse is a warning, a
    wrong one a failure (as in TC_F_13, "omitted or <Configured evseId>")."""
    got = (payload.get("evse") or {}).get("id")
    check(
        got in (None, evse),
        f"Step 3: TransactionEventRequest evse.id must be omitted or {evse}",
        payload,
    )
    if got is None and named:
        warn(
            f"TC_F_14_CS's table asks evse.id {evse} in the triggered TransactionEventRequest; "
            "the station omitted evse (allowed after the first event, E01.FR.16)"
        )
    check(
        payload["transactionInfo"].get("chargingState") == "Charging",
        "Step 3: TransactionEventRequest transactionInfo.chargingState must be Charging",
        payload,
    )
    check(
        bool(payload.get("meterValue")),
        "Step 3: TransactionEventRequest meterValue must be present",
        payload,
    )
    if payload.get("meterValue"):
        check(
            _first_context(payload) == "Trigger",
            "Step 3: TransactionEventRequest meterValue[0].sampledValue[0].context must be Trigger",
            payload,
        )


@ocpp_case("TC_F_13_CS", version="2.0.1", requires="C-29.2")
async def test_tc_f_13_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TriggerMessage TransactionEvent for the configured EVSE during EnergyTransferStarted:
    Accepted, then a TransactionEventRequest triggerReason Trigger, chargingState Charging,
    with meter values of context Trigger (F06.FR.02/04/05/07/10)."""
    sut = await csms.ready(station_operator)
    step("(Before) Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    tx_id = csms.transaction_id
    mark = await _trigger(sut, "TransactionEvent", {"id": csms.evse}, "Accepted", "Step 2")
    step("3. The Charging Station sends a TransactionEventRequest")
    item = await sut.wait_for(
        "TransactionEvent",
        lambda p: (
            p["transactionInfo"]["transactionId"] == tx_id and p["triggerReason"] == "Trigger"
        ),
        since=mark,
        describe="TransactionEventRequest with triggerReason Trigger (step 3)",
    )
    _judge_triggered_transaction_event(item.payload, csms.evse, named=False)


@ocpp_case("TC_F_14_CS", version="2.0.1", requires="C-29.2")
async def test_tc_f_14_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TriggerMessage TransactionEvent without evse while every EVSE charges: Accepted, then
    for every EVSE a TransactionEventRequest triggerReason Trigger naming it, chargingState
    Charging, meter values of context Trigger (F06.FR.04/05/07/10/11). The EVSEs other than
    the configured one are brought to EnergyTransferStarted by the same reusable state, run
    for each of them (connector 1)."""
    sut = await csms.ready(station_operator)
    step("(Before) Execute Reusable State EnergyTransferStarted for all EVSE")
    await csms.energy_transfer_started(sut, station_operator)
    transactions = {csms.evse: csms.transaction_id}
    for evse in range(1, csms.config.station.connectors + 1):
        if evse != csms.evse:
            with csms.on_evse(evse):
                event = await csms.energy_transfer_started(sut, station_operator)
            transactions[evse] = str(event.payload["transactionInfo"]["transactionId"])
    mark = await _trigger(sut, "TransactionEvent", None, "Accepted", "Step 2")
    for evse, tx_id in sorted(transactions.items()):
        step(f"3. The Charging Station sends a TransactionEventRequest (EVSE {evse})")
        item = await sut.wait_for(
            "TransactionEvent",
            lambda p, t=tx_id: (
                p["transactionInfo"]["transactionId"] == t and p["triggerReason"] == "Trigger"
            ),
            since=mark,
            describe=f"TransactionEventRequest with triggerReason Trigger for transaction "
            f"{tx_id} on EVSE {evse} (step 3, every EVSE)",
        )
        _judge_triggered_transaction_event(item.payload, evse, named=True)


async def _triggered_status(
    sut: StationConnection, requested: str, action: str, evse: dict[str, int] | None, status: str
) -> None:
    """Steps 1-4 of the Idle trigger cases: Accepted, then ``action`` with status ``status``."""
    mark = await _trigger(sut, requested, evse, "Accepted", "Step 2")
    step(f"3. The Charging Station sends a {action}Request")
    item = await sut.wait_for(action, since=mark, describe=f"{action}Request (step 3)")
    check(
        item.payload.get("status") == status,
        f"Step 3: {action}Request status must be {status}",
        item.payload,
    )


@ocpp_case("TC_F_15_CS", version="2.0.1", requires="C-29.3")
async def test_tc_f_15_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TriggerMessage LogStatusNotification while no log upload runs: Accepted, then
    LogStatusNotificationRequest status Idle (F06.FR.04/05/10/15)."""
    sut = await csms.ready(station_operator)
    await _triggered_status(sut, "LogStatusNotification", "LogStatusNotification", None, "Idle")


@ocpp_case("TC_F_17_CS", version="2.0.1", requires="C-29.4")
async def test_tc_f_17_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TriggerMessage FirmwareStatusNotification naming an EVSE, which is not relevant for
    that message: still Accepted, then FirmwareStatusNotificationRequest status Idle
    (F06.FR.03/04/05/10)."""
    sut = await csms.ready(station_operator)
    await _triggered_status(
        sut,
        "FirmwareStatusNotification",
        "FirmwareStatusNotification",
        {"id": csms.evse},
        "Idle",
    )


@ocpp_case("TC_F_18_CS", version="2.0.1", requires="C-29.4")
async def test_tc_f_18_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TriggerMessage FirmwareStatusNotification while no firmware update runs: Accepted,
    then FirmwareStatusNotificationRequest status Idle (F06.FR.04/05/10/16, L01.FR.25)."""
    sut = await csms.ready(station_operator)
    await _triggered_status(
        sut, "FirmwareStatusNotification", "FirmwareStatusNotification", None, "Idle"
    )


@ocpp_case("TC_F_20_CS", version="2.0.1")
async def test_tc_f_20_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TriggerMessage Heartbeat: Accepted, then a HeartbeatRequest (F06.FR.04/05/10). As
    under OCTT, a periodic heartbeat arriving meanwhile cannot be told from the triggered one."""
    sut = await csms.ready(station_operator)
    mark = await _trigger(sut, "Heartbeat", None, "Accepted", "Step 2")
    step("3. The Charging Station sends a HeartbeatRequest")
    await sut.wait_for("Heartbeat", since=mark, describe="HeartbeatRequest (step 3)")


async def _triggered_connector(csms: FakeCsms201, sut: StationConnection, status: str) -> None:
    """TC_F_23/24_CS: TriggerMessage StatusNotification for the configured EVSE/connector,
    Accepted; the next StatusNotificationRequest for it says ``status``; a NotifyEventRequest
    about its AvailabilityState, when sent, says it too."""
    evse, connector = csms.evse, csms.connector
    mark = await _trigger(
        sut, "StatusNotification", {"id": evse, "connectorId": connector}, "Accepted", "Step 2"
    )
    step("3. The Charging Station notifies the CSMS about the current state of the connector")
    item = await sut.wait_for(
        "StatusNotification",
        lambda p: p["evseId"] == evse and p["connectorId"] == connector,
        since=mark,
        describe=f"StatusNotificationRequest for evseId {evse}, connectorId {connector} (step 3)",
    )
    check(
        item.payload["connectorStatus"] == status,
        f"Step 3: StatusNotificationRequest connectorStatus {status}",
        item.payload,
    )
    _judge_availability_events(sut, mark, evse, connector, status)


@ocpp_case("TC_F_23_CS", version="2.0.1", requires="C-29.5")
async def test_tc_f_23_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TriggerMessage StatusNotification for an Available connector: Accepted, then its
    status Available (F06.FR.02/04/05/10)."""
    sut = await csms.ready(station_operator)
    await _triggered_connector(csms, sut, "Available")


@ocpp_case("TC_F_24_CS", version="2.0.1", requires="C-29.5")
async def test_tc_f_24_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TriggerMessage StatusNotification for an Occupied connector (EVConnectedPreSession):
    Accepted, then its status Occupied (F06.FR.02/04/05/10)."""
    sut = await csms.ready(station_operator)
    step("(Before) Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    await _triggered_connector(csms, sut, "Occupied")


@ocpp_case("TC_F_26_CS", version="2.0.1", requires="C-29.6")
async def test_tc_f_26_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TriggerMessage BootNotification after an Accepted boot: Rejected (F06.FR.17)."""
    sut = await csms.ready(station_operator)
    await _trigger(sut, "BootNotification", None, "Rejected", "Step 2")


@ocpp_case("TC_F_27_CS", version="2.0.1")
async def test_tc_f_27_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TriggerMessage SignCombinedCertificate on a station that cannot send it:
    NotImplemented (F06.FR.08). Prerequisite: no combined certificate (ISO-3, see the module
    docstring)."""
    _rule_out_explicitly_claimed(csms, "ISO-3", "a combined charging station certificate")
    sut = await csms.ready(station_operator)
    await _trigger(sut, "SignCombinedCertificate", None, "NotImplemented", "Step 2")
