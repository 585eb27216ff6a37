"""OCPP 2.0.1, Charging Station under test, E. Transactions part 3: the parking bay stop, the
EV-side disconnect options, transaction status after an offline stop, offline queues and the
ISO 15118 end of charging (2.0.1 Edition 3 Part 6 §2.6 Tables 153-157, 161, 170, 172, 173 and
the 2025 errata 6.2.52-55); the rest of block E is in test_transactions*.py.

pytest-ocpp plays the CSMS (the OCTT column of each scenario table). Each case first
re-establishes Part 6 §2.1's general preconditions (``csms.ready``); "Execute Reusable State X"
is one call of the fake CSMS's method for X (Part 6 §2.18/§2.19).

Cable: "The Charging Station has a permanently attached cable" is ``[station] fixed_cable``
(the station's cable stays at the EVSE; EV-side disconnecting leaves the connector free).

Offline periods: "the OCTT closes the WebSocket connection AND does not accept a reconnect"
is the fake CSMS closing the connection with reconnects refused until the manual actions are
done; RetryBackOffWaitMinimum is <Configured RetryBackOffWaitMinimum_duration> (``[station]
retry_backoff_wait_minimum``, default 2 s: the operator acts at once), so the station comes
back within seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import check, not_applicable

from ._transactions_support import (
    _configure_if_implemented,
    _connection_timeout,
    _ready,
    _tx_point,
)


# -- helpers ----------------------------------------------------------------------------------
def _tx_id(event: IncomingCall) -> str:
    return str(event.payload["transactionInfo"]["transactionId"])


def _fixed_cable(csms: FakeCsms201) -> bool:
    return bool(csms.config.station.fixed_cable)


def _retry_wait(csms: FakeCsms201) -> int:
    return csms.retry_backoff_wait_minimum


async def _tx_event(
    csms: FakeCsms201, sut: StationConnection, tx_id: str | None, since: int, label: str
) -> IncomingCall:
    return await csms.transaction_event(
        sut,
        since=since,
        label=label,
        predicate=lambda p: tx_id is None or p["transactionInfo"]["transactionId"] == tx_id,
    )


async def _ev_side_disconnect(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator
) -> IncomingCall:
    """Manual action "Disconnect the EV and EVSE on EV side (EVSE loses connection with EV)"
    and step 1: the TransactionEventRequest triggerReason EVCommunicationLost, chargingState
    Idle."""
    tx_id = csms.transaction_id
    mark = sut.mark()
    step("Manual action: disconnect the EV and EVSE on EV side (EVSE loses connection)")
    await operator.perform("ev_side_disconnect", evse_id=csms.evse)
    csms.ev_connected = False
    step("1. The Charging Station sends a TransactionEventRequest")
    event = await _tx_event(csms, sut, tx_id, mark, "after the EV-side disconnect")
    payload = event.payload
    check(
        payload["triggerReason"] == "EVCommunicationLost",
        "Step 1: TransactionEventRequest triggerReason must be EVCommunicationLost",
        payload,
    )
    check(
        payload["transactionInfo"].get("chargingState") == "Idle",
        "Step 1: TransactionEventRequest transactionInfo.chargingState must be Idle",
        payload,
    )
    return event


def _queued(sut: StationConnection, tx_id: str, since: int = 0) -> list[IncomingCall]:
    return [
        c
        for c in sut.link.inbox[since:]
        if c.action == "TransactionEvent" and not c.problems and _tx_id(c) == tx_id
    ]


async def _queue_until_ended(
    csms: FakeCsms201, sut: StationConnection, tx_id: str, label: str
) -> list[IncomingCall]:
    """The queued TransactionEventRequests of ``tx_id`` on the new connection, up to the
    Ended one; each must have offline true ("All messages: offline must be true")."""
    ended = await csms.transaction_event(
        sut,
        since=0,
        label=f"eventType Ended of transaction {tx_id} (queued while offline)",
        predicate=lambda p: (
            p["transactionInfo"]["transactionId"] == tx_id and p["eventType"] == "Ended"
        ),
    )
    events = [
        c for c in _queued(sut, tx_id) if sut.link.inbox.index(c) <= sut.link.inbox.index(ended)
    ]
    for event in events:
        check(
            event.payload.get("offline") is True,
            f"{label}: all queued TransactionEventRequests: offline must be true",
            event.payload,
        )
    return events


async def _offline_actions(
    csms: FakeCsms201,
    sut: StationConnection,
    operator: StationOperator,
    actions: Iterable[tuple[str, str, Mapping[str, Any]]],
    *,
    pause: float = 0.0,
) -> StationConnection:
    """ "The OCTT closes the WebSocket connection AND does not accept a reconnect", the manual
    ``actions`` (description, operator action, parameters), ``pause`` seconds more (a table's
    configured wait), then "the OCTT accepts the reconnection attempt". Returns the new
    connection."""
    generation = csms.generation
    step("The OCTT closes the WebSocket connection AND does not accept a reconnect")
    csms.behaviour.refuse_connections = True
    try:
        await csms.drop_connection()
        for text, action, params in actions:
            step(f"Manual action: {text}")
            await operator.perform(action, **params)
        if pause > 0:
            await asyncio.sleep(pause)  # <Configured Transaction Duration>: no event to await
    finally:
        csms.behaviour.refuse_connections = False
    step("The OCTT accepts the reconnection attempt from the Charging Station")
    wait = _retry_wait(csms)
    return await csms.next_connection(
        after=generation, timeout=8 * max(1, wait) + pause + csms.config.timeouts.connect
    )


async def _offline_configuration(csms: FakeCsms201, sut: StationConnection, extra: int = 0) -> int:
    """OfflineThreshold <wait> + 60, RetryBackOffWaitMinimum <wait>, RandomRange 0."""
    wait = _retry_wait(csms) + extra
    await csms.configure(
        sut,
        {
            "OCPPCommCtrlr.OfflineThreshold": str(wait + 60),
            "OCPPCommCtrlr.RetryBackOffWaitMinimum": str(wait),
            "OCPPCommCtrlr.RetryBackOffRandomRange": "0",
        },
    )
    return wait


# -- E06 stop at ParkingBayOccupancy ------------------------------------------------------------
@ocpp_case(
    "TC_E_19_CS",
    version="2.0.1",
    requires="C-10.5 and (C-52 or not (C-10.1 or C-10.2 or C-10.3 or C-10.4))",
)
async def test_tc_e_19_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Stop when the EV leaves the parking bay (E06.FR.01/15): TxStopPoint ParkingBayOccupancy
    (none of EnergyTransfer, PowerPathClosed, DataSigned, Authorized, EVConnected); from
    EVDisconnected, the EV drives out; the transaction ends: triggerReason EVDeparted,
    stoppedReason Local (the session was stopped locally), eventType Ended. Departure: the
    EV drives into the bay first (Reusable State ParkingBayOccupied, optional in the
    tables): it cannot leave a bay it never entered."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _tx_point(
        csms,
        sut,
        "TxStopPoint",
        "ParkingBayOccupancy",
        excluded=("EnergyTransfer", "PowerPathClosed", "DataSigned", "Authorized", "EVConnected"),
    )
    step("(Before) the EV drives into the parking bay: Reusable State ParkingBayOccupied")
    await csms.parking_bay_occupied(sut, station_operator)
    step("(Before) State is EVDisconnected")
    await csms.energy_transfer_started(sut, station_operator)
    await csms.stop_authorized(sut, station_operator)
    await csms.ev_connected_post_session(sut, station_operator)
    tx_id = csms.transaction_id
    await csms.ev_disconnected(sut, station_operator)
    mark = sut.mark()
    step("Manual action: drive EV out of parking bay")
    await station_operator.perform("unpark", evse_id=csms.evse)
    step("1. The Charging Station sends a TransactionEventRequest")
    event = await _tx_event(csms, sut, tx_id, mark, "after the EV left the parking bay")
    payload = event.payload
    check(
        payload["triggerReason"] == "EVDeparted",
        "Step 1: TransactionEventRequest triggerReason must be EVDeparted",
        payload,
    )
    check(
        payload["transactionInfo"].get("stoppedReason") == "Local",
        "Step 1: transactionInfo.stoppedReason must be Local (stopped locally)",
        payload,
    )
    check(payload["eventType"] == "Ended", "Step 1: eventType must be Ended", payload)


# -- E09 / E10 EV-side disconnect ---------------------------------------------------------------
@ocpp_case("TC_E_24_CS", version="2.0.1", requires="HFS-1 and C-06.2 and C-12.1 and AQ-9")
async def test_tc_e_24_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """EV-side disconnect deauthorizes, cable unlocked (E09.FR.01/02/04): StopTxOnEVSideDisconnect
    and UnlockOnEVSideDisconnect true; from EnergyTransferSuspended, the EV-side disconnect
    gives a TransactionEventRequest EVCommunicationLost / Idle; the cable is taken out at the
    station and the connector is reported Available (a NotifyEvent, when sent, judged).
    Prerequisite: no permanently attached cable (``[station] fixed_cable`` false)."""
    if _fixed_cable(csms):
        raise not_applicable("the station has a permanently attached cable (prerequisite)")
    sut = await csms.ready(station_operator)
    await csms.configure(
        sut,
        {
            "TxCtrlr.StopTxOnEVSideDisconnect": "true",
            "OCPPCommCtrlr.UnlockOnEVSideDisconnect": "true",
        },
    )
    step("(Before) State is EnergyTransferSuspended")
    await csms.energy_transfer_suspended(sut, station_operator)
    await _ev_side_disconnect(csms, sut, station_operator)
    mark = sut.mark()
    step("Manual action: disconnect the EV and EVSE on Charging Station side")
    await station_operator.perform("plug_out", evse_id=csms.evse, connector_id=csms.connector)
    step("3. The Charging Station notifies the CSMS about the current state of the connector")
    await csms.connector_reported(sut, "Available", since=mark, label=" (step 3)")


@ocpp_case("TC_E_25_CS", version="2.0.1", requires="C-06.2 and C-12.2 and AQ-9")
async def test_tc_e_25_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """EV-side disconnect deauthorizes, cable kept locked (E09.FR.01/03/04):
    StopTxOnEVSideDisconnect true, UnlockOnEVSideDisconnect false; from
    EnergyTransferSuspended, the EV-side disconnect gives EVCommunicationLost / Idle; with a
    detachable cable the driver presents the idToken that started the transaction and takes
    the cable out; the connector is reported Available."""
    sut = await csms.ready(station_operator)
    await csms.configure(
        sut,
        {
            "TxCtrlr.StopTxOnEVSideDisconnect": "true",
            "OCPPCommCtrlr.UnlockOnEVSideDisconnect": "false",
        },
    )
    step("(Before) State is EnergyTransferSuspended")
    await csms.energy_transfer_suspended(sut, station_operator)
    mark = sut.mark()
    await _ev_side_disconnect(csms, sut, station_operator)
    if not _fixed_cable(csms):
        token = csms.id_token()
        mark = sut.mark()
        step("Manual action: present the IdToken that was used to start the transaction")
        await station_operator.perform(
            "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=csms.evse
        )
        step("Manual action: disconnect the EV and EVSE on Charging Station side")
        await station_operator.perform("plug_out", evse_id=csms.evse, connector_id=csms.connector)
    step("3. The Charging Station notifies the CSMS about the current state of the connector")
    await csms.connector_reported(sut, "Available", since=mark, label=" (step 3)")


async def _suspend_configuration(csms: FakeCsms201, sut: StationConnection) -> list[str]:
    """TC_E_26/27_CS Configuration State: TxStopPoint contains Authorized and/or
    ParkingBayOccupancy (none of EnergyTransfer, PowerPathClosed, EVConnected),
    UnlockOnEVSideDisconnect and StopTxOnEVSideDisconnect false. Returns the stop points."""
    await _ready(csms, sut)
    points = await _tx_point(
        csms,
        sut,
        "TxStopPoint",
        "Authorized",
        also=("ParkingBayOccupancy",),
        excluded=("EnergyTransfer", "PowerPathClosed", "EVConnected"),
    )
    await csms.configure(
        sut,
        {
            "OCPPCommCtrlr.UnlockOnEVSideDisconnect": "false",
            "TxCtrlr.StopTxOnEVSideDisconnect": "false",
        },
    )
    return points


def _updated(payload: Mapping[str, Any], label: str) -> None:
    check(payload["eventType"] == "Updated", f"{label}: eventType must be Updated", payload)


@ocpp_case(
    "TC_E_26_CS",
    version="2.0.1",
    requires="(C-10.2 or C-10.5) and (C-52 or not (C-10.1 or C-10.3 or C-10.4)) and C-06.1 "
    "and C-12.2 and AQ-9",
)
async def test_tc_e_26_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """EV-side disconnect suspends the transaction (E10.FR.01/03): StopTxOnEVSideDisconnect
    false; the EV-side disconnect gives an Updated EVCommunicationLost / Idle (a fixed cable:
    the connector reported Available); the EV reconnects: Updated CablePluggedIn /
    EVConnected, then Updated ChargingStateChanged / Charging. Departure: the table's Before
    names no reusable state although the scenario disconnects a charging EV: the case starts
    from EnergyTransferStarted."""
    sut = await csms.ready(station_operator)
    await _suspend_configuration(csms, sut)
    step("(Before) State is EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    tx_id = csms.transaction_id
    mark = sut.mark()
    event = await _ev_side_disconnect(csms, sut, station_operator)
    _updated(event.payload, "Step 1")
    if _fixed_cable(csms):
        step("3. The Charging Station notifies the CSMS about the current state of the connector")
        await csms.connector_reported(sut, "Available", since=mark, label=" (step 3)")
    mark = sut.mark()
    step("Manual action: reconnect the EV and EVSE on EV side")
    await station_operator.perform("plug_in", evse_id=csms.evse, connector_id=csms.connector)
    csms.ev_connected = True
    step("5. The Charging Station sends a TransactionEventRequest")
    event = await _tx_event(csms, sut, tx_id, mark, "after the EV reconnected")
    payload = event.payload
    check(
        payload["triggerReason"] == "CablePluggedIn",
        "Step 5: TransactionEventRequest triggerReason must be CablePluggedIn",
        payload,
    )
    check(
        payload["transactionInfo"].get("chargingState") == "EVConnected",
        "Step 5: transactionInfo.chargingState must be EVConnected",
        payload,
    )
    _updated(payload, "Step 5")
    step("7. The Charging Station sends a TransactionEventRequest")
    event = await _tx_event(
        csms, sut, tx_id, sut.link.inbox.index(event) + 1, "when the energy transfer resumes"
    )
    payload = event.payload
    check(
        payload["triggerReason"] == "ChargingStateChanged",
        "Step 7: TransactionEventRequest triggerReason must be ChargingStateChanged",
        payload,
    )
    check(
        payload["transactionInfo"].get("chargingState") == "Charging",
        "Step 7: transactionInfo.chargingState must be Charging",
        payload,
    )
    _updated(payload, "Step 7")


@ocpp_case(
    "TC_E_27_CS",
    version="2.0.1",
    requires="(C-10.2 or C-10.5) and (C-52 or not (C-10.1 or C-10.3 or C-10.4)) and C-06.1 "
    "and C-12.2 and HFS-2 and AQ-9",
)
async def test_tc_e_27_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A fixed cable not reconnected within EVConnectionTimeOut deauthorizes (E10.FR.02/03,
    erratum 6.2.52: the EV is not reconnected): from EnergyTransferSuspended, the EV-side
    disconnect gives Updated EVCommunicationLost / Idle and the connector is reported
    Available; after the timeout a TransactionEventRequest EVConnectTimeout: Ended with
    stoppedReason Timeout when TxStopPoint contains Authorized, else (ParkingBayOccupancy)
    Updated. Departure: TxCtrlr.EVConnectionTimeOut is set to <Configured
    ev_connection_timeout> (``[station] ev_connection_timeout``, default 3 s) so the case
    waits little. Prerequisite: a permanently attached cable (``[station] fixed_cable``)."""
    if not _fixed_cable(csms):
        raise not_applicable(
            "the station has no permanently attached cable (prerequisite; [station] fixed_cable)"
        )
    sut = await csms.ready(station_operator)
    points = await _suspend_configuration(csms, sut)
    timeout = _connection_timeout(csms)
    await csms.configure(sut, {"TxCtrlr.EVConnectionTimeOut": str(timeout)})
    step("(Before) State is EnergyTransferSuspended")
    await csms.energy_transfer_suspended(sut, station_operator)
    tx_id = csms.transaction_id
    mark = sut.mark()
    event = await _ev_side_disconnect(csms, sut, station_operator)
    _updated(event.payload, "Step 1")
    step("3. The Charging Station notifies the CSMS about the current state of the connector")
    await csms.connector_reported(sut, "Available", since=mark, label=" (step 3)")
    step("5. The Charging Station sends a TransactionEventRequest after the EVConnectionTimeOut")
    event = await sut.wait_for(
        "TransactionEvent",
        lambda p: (
            p["transactionInfo"]["transactionId"] == tx_id
            and p["triggerReason"] == "EVConnectTimeout"
        ),
        since=sut.link.inbox.index(event) + 1,
        timeout=timeout + csms.config.timeouts.message,
        describe=f"TransactionEventRequest triggerReason EVConnectTimeout ({timeout} s "
        "EVConnectionTimeOut)",
    )
    payload = event.payload
    if "Authorized" in points:
        check(payload["eventType"] == "Ended", "Step 5: eventType must be Ended", payload)
        check(
            payload["transactionInfo"].get("stoppedReason") == "Timeout",
            "Step 5: transactionInfo.stoppedReason must be Timeout",
            payload,
        )
    else:
        _updated(payload, "Step 5")


# -- E14 status after an offline stop -----------------------------------------------------------
@contextlib.asynccontextmanager
async def _holding_transaction_events(csms: FakeCsms201) -> AsyncIterator[list[IncomingCall]]:
    """The next connection's TransactionEventRequests stay unanswered until the block ends
    (then answered as usual, also after a failure): the queue stays filled while the case
    asks about it, whatever the station's speed (OCPP-J §4.1.1: one request at a time)."""
    held: list[IncomingCall] = []
    answer_tx = FakeCsms201.default_handlers(csms)["TransactionEvent"]
    releasing = False

    def holding_handlers() -> dict[str, Any]:
        handlers = FakeCsms201.default_handlers(csms)

        def hold(call: IncomingCall) -> Any:
            if releasing:
                return answer_tx(call)
            held.append(call)
            return None

        handlers["TransactionEvent"] = hold
        return handlers

    csms.default_handlers = holding_handlers  # type: ignore[method-assign]
    try:
        yield held
    finally:
        releasing = True
        del csms.default_handlers  # type: ignore[method-assign]
        for item in held:
            if not item.replied:
                await item.reply(answer_tx(item))  # type: ignore[arg-type]


@ocpp_case("TC_E_31_CS", version="2.0.1")
async def test_tc_e_31_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Status of a transaction that ended offline, its messages queued (E14.FR.03/04): from
    EnergyTransferStarted the connection goes; the driver stops locally (same idToken),
    unplugs (and leaves the bay with TxStopPoint ParkingBayOccupancy); on reconnection,
    GetTransactionStatus for it answers ongoingIndicator false, messagesInQueue true; the
    queue then holds the transaction's events from StopAuthorized on (offline true, a
    StopAuthorized one, the Ended one). Configuration (erratum 6.2.53): UnlockOnEVSideDisconnect
    true if ReadWrite. Departures: SampledDataTxUpdatedMeasurands/Interval are left as the
    station has them (no configured list; the status is what is judged); the fake CSMS holds
    its answers to the queued events until the status is answered."""
    sut = await csms.ready(station_operator)
    duration = float(csms.config.station.extra.get("transaction_duration", 0))
    await _offline_configuration(csms, sut, extra=int(duration))
    await _configure_if_implemented(csms, sut, {"OCPPCommCtrlr.UnlockOnEVSideDisconnect": "true"})
    stop_points = await csms.tx_stop_points(sut)
    step("(Before) State is EnergyTransferStarted")
    tx_id = _tx_id(await csms.energy_transfer_started(sut, station_operator))
    token = csms.id_token()
    actions: list[tuple[str, str, Mapping[str, Any]]] = [
        (
            "present the same idToken as used to start the transaction",
            "present_id_token",
            {"id_token": token["idToken"], "type": token["type"], "evse_id": csms.evse},
        ),
        (
            "disconnect the EV and EVSE",
            "plug_out",
            {"evse_id": csms.evse, "connector_id": csms.connector},
        ),
    ]
    if "ParkingBayOccupancy" in stop_points:
        actions.append(("drive EV out of parking bay", "unpark", {"evse_id": csms.evse}))
    async with _holding_transaction_events(csms):
        sut = await _offline_actions(csms, sut, station_operator, actions, pause=duration)
        csms.ev_connected = False
        step("1. The OCTT sends a GetTransactionStatusRequest (on reconnection)")
        answer = await sut.call("GetTransactionStatus", {"transactionId": tx_id})
        check(
            answer.get("ongoingIndicator") is False,
            "Step 2: GetTransactionStatusResponse ongoingIndicator must be false",
            answer,
        )
        check(
            answer.get("messagesInQueue") is True,
            "Step 2: GetTransactionStatusResponse messagesInQueue must be true",
            answer,
        )
    step("3. The Charging Station sends its queued TransactionEventRequests")
    events = await _queue_until_ended(csms, sut, tx_id, "Step 3")
    check(
        any(e.payload["triggerReason"] == "StopAuthorized" for e in events),
        "Step 3 (StopAuthorized): a queued TransactionEventRequest triggerReason StopAuthorized",
        [e.payload for e in events],
    )


# -- E12 / E08 offline queues -------------------------------------------------------------------
@ocpp_case(
    "TC_E_43_CS",
    version="2.0.1",
    requires="(C-01 and (C-30 or C-31 or C-32 or C-33 or C-34)) or C-35",
)
async def test_tc_e_43_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A whole transaction while offline is queued (E12.FR.01/02/06), erratum 6.2.54: Before,
    Memory State TransactionEventsInQueueEnded (with its preparations:
    OfflineTxForUnknownIdEnabled true, IdTokenCached and IdTokenLocalAuthList, each if
    implemented); then the queue: every TransactionEventRequest offline true, one Started,
    one Ended. IdTokenCached ends by re-establishing the general preconditions, so it goes
    before the configuration."""
    sut = await csms.ready(station_operator)
    if await csms.get_variable(sut, "AuthCacheCtrlr.Enabled") is not None:
        step("(Memory State) IdTokenCached for the configured valid idToken")
        sut = await csms.id_token_cached(sut, station_operator)
    await _configure_if_implemented(csms, sut, {"AuthCtrlr.OfflineTxForUnknownIdEnabled": "true"})
    if await csms.get_variable(sut, "LocalAuthListCtrlr.Enabled") is not None:
        step("(Memory State) IdTokenLocalAuthList for the configured valid idToken")
        await csms.id_token_local_auth_list(sut)
    step("(Before) Memory State TransactionEventsInQueueEnded")
    sut = await csms.transaction_events_in_queue_ended(sut, station_operator)
    step("1. The Charging Station sends its queued TransactionEventRequests")
    started = await csms.transaction_event(
        sut,
        since=0,
        label="eventType Started (queued while offline)",
        predicate=lambda p: p["eventType"] == "Started",
    )
    events = await _queue_until_ended(csms, sut, _tx_id(started), "Step 1")
    check(
        events[0].payload["eventType"] == "Started",
        "Step 1: one of the messages eventType Started",
        [e.payload for e in events],
    )


@ocpp_case("TC_E_45_CS", version="2.0.1", requires="(C-30 or C-31 or C-32) and (LA-1 or C-49)")
async def test_tc_e_45_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Stop while offline by another idToken of the same group (E08.FR.02/04-08): the idToken
    <Configured valid idtoken fields2> (``[tags] valid_2_with_parent``) cached and in the
    local list with <Configured GroupIdToken> (``[tags] parent``); a session authorized with
    an idToken of that group (``[tags] valid_with_parent``) charging; offline, the second
    idToken is presented, the EV unplugged (and leaves the bay with TxStopPoint
    ParkingBayOccupancy); on reconnection every queued TransactionEventRequest is offline
    true, one Ended. IdTokenCached ends by re-establishing the general preconditions, so it
    goes before the configuration."""
    tags = csms.config.tags
    sut = await csms.ready(station_operator)
    if await csms.get_variable(sut, "AuthCacheCtrlr.Enabled") is not None:
        step("(Memory State) IdTokenCached for <Configured valid idtoken fields2>")
        sut = await csms.id_token_cached(sut, station_operator, tags.valid_2_with_parent)
    await _offline_configuration(csms, sut)
    if await csms.get_variable(sut, "LocalAuthListCtrlr.Enabled") is not None:
        await csms.id_token_local_auth_list(sut, tags.valid_2_with_parent, group=tags.parent)
    stop_points = await csms.tx_stop_points(sut)
    step("(Before) State is Authorized with <Configured GroupIdToken>")
    await csms.authorized(sut, station_operator, id_token=csms.id_token(tags.valid_with_parent))
    step("(Before) State is EnergyTransferStarted")
    tx_id = _tx_id(await csms.energy_transfer_started(sut, station_operator))
    other = csms.id_token(tags.valid_2_with_parent)
    actions: list[tuple[str, str, Mapping[str, Any]]] = [
        (
            "present <Configured valid idtoken fields2>",
            "present_id_token",
            {"id_token": other["idToken"], "type": other["type"], "evse_id": csms.evse},
        ),
        (
            "disconnect the EV and EVSE",
            "plug_out",
            {"evse_id": csms.evse, "connector_id": csms.connector},
        ),
    ]
    if "ParkingBayOccupancy" in stop_points:
        actions.append(("drive EV out of parking bay", "unpark", {"evse_id": csms.evse}))
    sut = await _offline_actions(csms, sut, station_operator, actions)
    csms.ev_connected = False
    step("3. The Charging Station sends its queued TransactionEventRequests")
    await _queue_until_ended(csms, sut, tx_id, "Step 3")


# -- E15 ISO 15118 end of charging --------------------------------------------------------------
@ocpp_case("TC_E_46_CS", version="2.0.1")
async def test_tc_e_46_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """The EV ends its ISO 15118 session (E15.FR.04/05), erratum 6.2.55: EVConnectedPreSession,
    Authorized15118, EnergyTransferStarted; the EV sends SessionStopReq(Terminate) (operator
    action ``iso15118_session_stop``); a TransactionEventRequest triggerReason StopAuthorized,
    chargingState EVConnected: Ended with stoppedReason StoppedByEV when TxStopPoint contains
    Authorized, PowerPathClosed or EnergyTransfer, else Updated."""
    sut = await csms.ready(station_operator)
    stop_points = await csms.tx_stop_points(sut)
    step("(Before) State is EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    step("(Before) State is Authorized15118")
    await csms.authorized15118(sut, station_operator)
    step("(Before) State is EnergyTransferStarted")
    tx_id = _tx_id(await csms.energy_transfer_started(sut, station_operator))
    mark = sut.mark()
    step("The Charging Station receives a SessionStopReq(Terminate) from the EV")
    await station_operator.perform("iso15118_session_stop", evse_id=csms.evse)
    step("1. The Charging Station sends a TransactionEventRequest")
    event = await _tx_event(csms, sut, tx_id, mark, "after the EV ended the session")
    payload = event.payload
    check(
        payload["triggerReason"] == "StopAuthorized",
        "Step 1: triggerReason StopAuthorized",
        payload,
    )
    check(
        payload["transactionInfo"].get("chargingState") == "EVConnected",
        "Step 1: transactionInfo.chargingState EVConnected",
        payload,
    )
    if {"Authorized", "PowerPathClosed", "EnergyTransfer"} & set(stop_points):
        check(payload["eventType"] == "Ended", "Step 1: eventType Ended", payload)
        check(
            payload["transactionInfo"].get("stoppedReason") == "StoppedByEV",
            "Step 1: transactionInfo.stoppedReason StoppedByEV",
            payload,
        )
    else:
        _updated(payload, "Step 1")
