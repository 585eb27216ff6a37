"""OCPP 2.0.1, Charging Station under test, E. Transactions part 1, stop options (2.0.1
Edition 3 Part 6 §2.6, and the 2025-09 errata); the start options are in test_transactions.py.

pytest-ocpp plays the CSMS (the OCTT column of each scenario table). Each case first
re-establishes Part 6 §2.1's general preconditions (``csms.ready``); "Execute Reusable State X"
is one call of the fake CSMS's method for X (Part 6 §2.18, :mod:`pytest_ocpp.csms.states201`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import TargetTimeout, check

from ._transactions_support import (
    _AUTH_DEFAULTS,
    _claim_transaction_events,
    _configure_if_implemented,
    _connection_timeout,
    _ended_after,
    _ended_checks,
    _ev_side_disconnect,
    _no_request,
    _ready,
    _started_at,
    _tx_point,
)


@ocpp_case("TC_E_06_CS", version="2.0.1")
async def test_tc_e_06_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Local stop (E07.FR.04, E06.FR.15; C01.FR.03): from EnergyTransferStarted, the driver
    presents the same idToken (StopAuthorized, local), then EVConnectedPostSession,
    EVDisconnected and ParkingBayUnoccupied, each judged by its state."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _configure_if_implemented(csms, sut, _AUTH_DEFAULTS)
    step("(Before) Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    _claim_transaction_events(sut)
    step("1. Execute Reusable State StopAuthorized (local)")
    await csms.stop_authorized(sut, station_operator)
    step("2. Execute Reusable State EVConnectedPostSession")
    await csms.ev_connected_post_session(sut, station_operator)
    step("3. Execute Reusable State EVDisconnected")
    await csms.ev_disconnected(sut, station_operator)
    step("4. Execute Reusable State ParkingBayUnoccupied")
    await csms.parking_bay_unoccupied(sut, station_operator)


async def _stop_point_power_path(
    csms: FakeCsms201, sut: StationConnection, excluded: Collection[str]
) -> None:
    await _tx_point(csms, sut, "TxStopPoint", "PowerPathClosed", excluded=excluded)


@ocpp_case("TC_E_07_CS", version="2.0.1")
async def test_tc_e_07_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TxStopPoint PowerPathClosed, local stop (E06.FR.06, FR.15): presenting the idToken
    stops the session (StopAuthorized, local) and, the power path opening, the transaction
    ends (E06.FR.06): an Ended TransactionEventRequest follows the stop, with stoppedReason
    Local or omitted (Table 432 step 3)."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _stop_point_power_path(csms, sut, excluded=("Authorized",))
    step("(Before) Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    tx_id = csms.transaction_id
    step("Manual action: present IdToken to stop. 1. Execute Reusable State StopAuthorized")
    await csms.stop_authorized(sut, station_operator)
    ended = await _ended_after(csms, sut, tx_id, csms.stop_mark, "the power path opened")
    check(
        ended.payload["transactionInfo"].get("stoppedReason") in (None, "Local"),
        "StopAuthorized step 3: transactionInfo.stoppedReason Local or omitted",
        ended.payload,
    )


@ocpp_case("TC_E_35_CS", version="2.0.1")
async def test_tc_e_35_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TxStopPoint PowerPathClosed, remote stop (E06.FR.06, FR.15; erratum 6.2.49): a
    RequestStopTransactionRequest is Accepted; one TransactionEventRequest has triggerReason
    RemoteStop, and the last one ends the transaction with stoppedReason Remote."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _stop_point_power_path(csms, sut, excluded=("Authorized",))
    step("(Before) Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    tx_id = csms.transaction_id
    mark = sut.mark()
    step("1. The OCTT sends a RequestStopTransactionRequest")
    answer = await sut.call("RequestStopTransaction", {"transactionId": tx_id})
    check(answer.get("status") == "Accepted", "step 2: status Accepted", answer)
    step("3. The Charging Station sends a TransactionEventRequest")
    ended = await _ended_after(csms, sut, tx_id, mark, "after RequestStopTransaction")
    events = [
        e.payload
        for e in sut.link.inbox[mark:]
        if e.action == "TransactionEvent" and e.payload["transactionInfo"]["transactionId"] == tx_id
    ]
    check(
        any(p["triggerReason"] == "RemoteStop" for p in events),
        "step 3: triggerReason RemoteStop (for one of the TransactionEventRequests)",
        events,
    )
    check(
        ended.payload["transactionInfo"].get("stoppedReason") == "Remote",
        "step 3: transactionInfo.stoppedReason Remote (the Ended TransactionEventRequest)",
        ended.payload,
    )


@ocpp_case("TC_E_17_CS", version="2.0.1", requires="AQ-9")
async def test_tc_e_17_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Deauthorized by an EV-side disconnect (E06.FR.04, FR.15; errata 6.2.45/46): with
    StopTxOnEVSideDisconnect true and UnlockOnEVSideDisconnect false, the EV-side disconnect
    ends the transaction (triggerReason EVCommunicationLost, chargingState Idle,
    stoppedReason EVDisconnected); the cable still locked at the station, the driver
    presents the idToken and unplugs it; the connector is reported Available.

    Departure: the table starts with no reusable state although its scenario needs a
    charging transaction; the case reaches EnergyTransferStarted first (as OCTT does).
    Applicable when TxStopPoint can be Authorized without EVConnected, PowerPathClosed and
    EnergyTransfer (erratum 6.2.46), else not applicable."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _tx_point(
        csms,
        sut,
        "TxStopPoint",
        "Authorized",
        excluded=("EVConnected", "PowerPathClosed", "EnergyTransfer"),
    )
    await csms.configure(
        sut,
        {
            "TxCtrlr.StopTxOnEVSideDisconnect": "true",
            "OCPPCommCtrlr.UnlockOnEVSideDisconnect": "false",
        },
    )
    await _configure_if_implemented(csms, sut, _AUTH_DEFAULTS)
    step("(Before) a charging transaction: Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    _, ended = await _ev_side_disconnect(csms, sut, station_operator)
    _ended_checks(
        ended.payload,
        "step 1",
        trigger="EVCommunicationLost",
        reasons=("EVDisconnected",),
    )
    token = csms.id_token()
    mark = sut.mark()
    step("Manual action: present the IdToken that was used to start the transaction")
    await station_operator.perform(
        "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=csms.evse
    )
    step("Manual action: disconnect the EV and EVSE on Charging Station side")
    await station_operator.perform("plug_out", evse_id=csms.evse, connector_id=csms.connector)
    step("3. The Charging Station notifies the CSMS about the current state of the connector")
    await csms.connector_reported(sut, "Available", since=mark)
    started = _started_at(sut, mark)
    check(
        not started,
        "no new transaction: presenting the idToken only releases the locked cable",
        [c.payload for _, c in started],
    )


@ocpp_case("TC_E_39_CS", version="2.0.1")
async def test_tc_e_39_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Deauthorized by the EV connection timeout (E06.FR.04, FR.15; erratum 6.2.47): with
    TxStopPoint Authorized and EVConnectionTimeOut at <Configured ev_connection_timeout>,
    an authorization without an EV expires: when it had started a transaction, a
    TransactionEventRequest triggerReason EVConnectTimeout, stoppedReason Timeout (Updated
    with TxStartPoint ParkingBayOccupancy, else Ended). Connecting the EV afterwards is
    reported Occupied and does not start charging: a TransactionEventRequest then has
    triggerReason CablePluggedIn and no chargingState Charging.

    "Does not start charging" is judged over the message timeout after the connector was
    reported Occupied."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _tx_point(csms, sut, "TxStopPoint", "Authorized")
    timeout = _connection_timeout(csms)
    await csms.configure(sut, {"TxCtrlr.EVConnectionTimeOut": str(timeout)})
    await _configure_if_implemented(csms, sut, _AUTH_DEFAULTS)
    starts = await csms.tx_start_points(sut)
    step("(Before) Reusable State Authorized")
    mark = sut.mark()
    event = await csms.authorized(sut, station_operator)
    if event is not None:
        tx_id = str(event.payload["transactionInfo"]["transactionId"])
        step("1. The Charging Station sends a TransactionEventRequest (EVConnectTimeout)")
        timed_out = await sut.wait_for(
            "TransactionEvent",
            lambda p: (
                p["transactionInfo"]["transactionId"] == tx_id
                and p["triggerReason"] == "EVConnectTimeout"
            ),
            since=mark,
            timeout=timeout + csms.config.timeouts.message,
            describe="TransactionEventRequest triggerReason EVConnectTimeout",
        )
        payload = timed_out.payload
        expected = "Updated" if "ParkingBayOccupancy" in starts else "Ended"
        check(payload["eventType"] == expected, f"step 1: eventType {expected}", payload)
        check(
            payload["transactionInfo"].get("stoppedReason") == "Timeout",
            "step 1: transactionInfo.stoppedReason Timeout",
            payload,
        )
    else:
        step(f"1. (no transaction started) wait the EVConnectionTimeOut of {timeout} s")
        with contextlib.suppress(TargetTimeout):
            await sut.wait_for(
                "TransactionEvent",
                lambda p: p["triggerReason"] == "EVConnectTimeout",
                since=mark,
                timeout=timeout + csms.config.timeouts.message,
                describe="TransactionEventRequest triggerReason EVConnectTimeout",
            )
    plugged = sut.mark()
    step("Manual action: connect the EV and EVSE (EV side, then EVSE side)")
    await station_operator.perform("plug_in", evse_id=csms.evse, connector_id=csms.connector)
    csms.ev_connected = True
    step("3. The Charging Station notifies the CSMS about the status change of the connector")
    await csms.connector_reported(sut, "Occupied", since=plugged)
    step("5. The Charging Station does not start charging")
    await _no_request(
        sut,
        "TransactionEvent",
        lambda p: p["transactionInfo"].get("chargingState") == "Charging",
        since=plugged,
        timeout=csms.config.timeouts.message,
        what="TransactionEventRequest with chargingState Charging (authorization timed out)",
    )
    for item in sut.link.inbox[plugged:]:
        if item.action == "TransactionEvent" and not item.problems:
            check(
                item.payload["triggerReason"] in ("CablePluggedIn", "ChargingStateChanged"),
                "step 5: triggerReason CablePluggedIn",
                item.payload,
            )
            if item.payload["triggerReason"] != "CablePluggedIn":
                warn(f"after the EV connected: triggerReason {item.payload['triggerReason']}")


@ocpp_case("TC_E_37_CS", version="2.0.1", requires="AQ-9")
async def test_tc_e_37_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TxStopPoint PowerPathClosed, EV-side disconnect while suspended (E06.FR.06, FR.15):
    with StopTxOnEVSideDisconnect false, from EnergyTransferSuspended, the EV-side
    disconnect ends the transaction: triggerReason EVCommunicationLost, chargingState Idle,
    stoppedReason EVDisconnected or StoppedByEV."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _stop_point_power_path(
        csms, sut, excluded=("EnergyTransfer", "EVConnected", "DataSigned")
    )
    await _configure_if_implemented(csms, sut, {"TxCtrlr.StopTxOnEVSideDisconnect": "false"})
    step("(Before) Reusable State EnergyTransferSuspended")
    await csms.energy_transfer_suspended(sut, station_operator)
    _, ended = await _ev_side_disconnect(csms, sut, station_operator)
    _ended_checks(
        ended.payload,
        "step 1",
        trigger="EVCommunicationLost",
        reasons=("EVDisconnected", "StoppedByEV"),
    )


async def _stop_point_energy(csms: FakeCsms201, sut: StationConnection) -> None:
    await _tx_point(
        csms, sut, "TxStopPoint", "EnergyTransfer", excluded=("Authorized", "PowerPathClosed")
    )


@ocpp_case("TC_E_08_CS", version="2.0.1")
async def test_tc_e_08_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TxStopPoint EnergyTransfer, local stop (E06.FR.07, FR.15): from EnergyTransferStarted,
    StopAuthorized; the energy transfer stopping ends the transaction (E06.FR.07), which
    the case checks after the state: an Ended TransactionEventRequest follows the stop, with
    stoppedReason Local or omitted (Table 432 step 3, which the state does not judge)."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _stop_point_energy(csms, sut)
    step("(Before) Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    tx_id = csms.transaction_id
    step("1. State is StopAuthorized")
    await csms.stop_authorized(sut, station_operator)
    ended = await _ended_after(csms, sut, tx_id, csms.stop_mark, "the energy transfer stopped")
    check(
        ended.payload["transactionInfo"].get("stoppedReason") in (None, "Local"),
        "StopAuthorized step 3: transactionInfo.stoppedReason Local or omitted",
        ended.payload,
    )


@ocpp_case("TC_E_22_CS", version="2.0.1")
async def test_tc_e_22_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TxStopPoint EnergyTransfer, the EV suspends (E06.FR.07, FR.15; erratum 6.2.50): a
    TransactionEventRequest triggerReason ChargingStateChanged, either Ended with
    chargingState EVConnected, or Updated with chargingState SuspendedEV; stoppedReason
    StoppedByEV when Ended."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _stop_point_energy(csms, sut)
    step("(Before) Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    tx_id = csms.transaction_id
    mark = sut.mark()
    try:
        step("Manual action: the EV suspends the energy transfer")
        await station_operator.perform("ev_suspend", evse_id=csms.evse)
        step("1. The Charging Station sends a TransactionEventRequest")
        event = await csms.transaction_event(
            sut,
            since=mark,
            label="chargingState SuspendedEV or EVConnected after the EV suspended",
            predicate=lambda p: p["transactionInfo"]["transactionId"] == tx_id,
        )
        payload = event.payload
        info = payload["transactionInfo"]
        check(
            payload["triggerReason"] == "ChargingStateChanged",
            "step 1: triggerReason ChargingStateChanged",
            payload,
        )
        check(
            (payload["eventType"] == "Ended" and info.get("chargingState") == "EVConnected")
            or (payload["eventType"] == "Updated" and info.get("chargingState") == "SuspendedEV"),
            "step 1: eventType Ended with chargingState EVConnected, or Updated with "
            "chargingState SuspendedEV",
            payload,
        )
        if payload["eventType"] == "Ended":
            check(
                info.get("stoppedReason") == "StoppedByEV",
                "step 1: transactionInfo.stoppedReason StoppedByEV",
                payload,
            )
    finally:
        await station_operator.perform("ev_resume", evse_id=csms.evse)


@ocpp_case("TC_E_14_CS", version="2.0.1")
async def test_tc_e_14_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TxStopPoint EVConnected, disconnect at the station (E06.FR.02, FR.15; erratum 6.2.51):
    from EVConnectedPostSession, unplugging is reported Available and ends the transaction:
    triggerReason EVCommunicationLost, chargingState Idle, stoppedReason Local,
    EVDisconnected or omitted (the StopAuthorized state runs locally)."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _tx_point(
        csms,
        sut,
        "TxStopPoint",
        "EVConnected",
        excluded=("EnergyTransfer", "PowerPathClosed", "DataSigned", "Authorized"),
    )
    step("(Before) Reusable State EVConnectedPostSession")
    await csms.energy_transfer_started(sut, station_operator)
    _claim_transaction_events(sut)
    await csms.ev_connected_post_session(sut, station_operator)
    tx_id = csms.transaction_id
    mark = sut.mark()
    step("Manual action: disconnect the EV and EVSE")
    await station_operator.perform("plug_out", evse_id=csms.evse, connector_id=csms.connector)
    csms.ev_connected = False
    step("1. The Charging Station notifies the CSMS about the status change of the connector")
    await csms.connector_reported(sut, "Available", since=mark)
    step("3. The Charging Station sends a TransactionEventRequest")
    ended = await _ended_after(csms, sut, tx_id, mark, "after the EV disconnected")
    _ended_checks(
        ended.payload,
        "step 3",
        trigger="EVCommunicationLost",
        reasons=("Local", "EVDisconnected", None),
    )


async def _ev_side_evconnected(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator, reasons: Collection[str]
) -> None:
    """TC_E_20/54: TxStopPoint EVConnected, StopTxOnEVSideDisconnect false (if ReadWrite),
    from EnergyTransferSuspended the EV-side disconnect ends the transaction."""
    await _tx_point(
        csms, sut, "TxStopPoint", "EVConnected", excluded=("EnergyTransfer", "PowerPathClosed")
    )
    await _configure_if_implemented(csms, sut, {"TxCtrlr.StopTxOnEVSideDisconnect": "false"})
    step("(Before) Reusable State EnergyTransferSuspended")
    await csms.energy_transfer_suspended(sut, operator)
    _, ended = await _ev_side_disconnect(csms, sut, operator)
    _ended_checks(ended.payload, "step 1", trigger="EVCommunicationLost", reasons=reasons)


@ocpp_case("TC_E_20_CS", version="2.0.1", requires="AQ-9")
async def test_tc_e_20_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TxStopPoint EVConnected, EV-side disconnect, IEC 61851-1 EV (E06.FR.02, FR.15): the
    transaction ends with triggerReason EVCommunicationLost, chargingState Idle,
    stoppedReason EVDisconnected. Applicable to a station charging IEC 61851-1 EVs (AQ-9)."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _ev_side_evconnected(csms, sut, station_operator, ("EVDisconnected",))


@ocpp_case("TC_E_54_CS", version="2.0.1", requires="HFS-4")
async def test_tc_e_54_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TxStopPoint EVConnected, EV-side disconnect, high-level communication (E06.FR.02,
    FR.15): the transaction ends with triggerReason EVCommunicationLost, chargingState Idle,
    stoppedReason StoppedByEV or EVDisconnected. Applicable to a station with high-level
    communication: Part 5 lists it for DC stations (HFS-4)."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _ev_side_evconnected(csms, sut, station_operator, ("StoppedByEV", "EVDisconnected"))


@ocpp_case("TC_E_16_CS", version="2.0.1")
async def test_tc_e_16_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Deauthorized after an offline start (E06.FR.04, FR.15; C15.FR.04): a transaction
    started offline is delivered (offline true) once reconnected; the OCTT answers the
    TransactionEventRequest carrying the idToken with idTokenInfo.status Invalid, and with
    StopTxOnInvalidId true the station, after emptying its queue, ends the transaction:
    eventType Ended, triggerReason Deauthorized, stoppedReason DeAuthorized.

    Departures: the memory state (the idToken cached / in the Local List, "if implemented")
    is not prepared: OfflineTxForUnknownIdEnabled true (also in the configuration state)
    lets the station start offline for the idToken either way. The reconnect is accepted
    right after the manual actions (the table sets no wait). The garbled
    "AuthCtrllectAuthorized" is read as AuthCtrlr.LocalAuthorizeOffline."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _tx_point(
        csms,
        sut,
        "TxStopPoint",
        "Authorized",
        also=("PowerPathClosed",),
        excluded=("EnergyTransfer", "DataSigned"),
    )
    await csms.configure(sut, {"TxCtrlr.StopTxOnInvalidId": "true"})
    await _configure_if_implemented(
        csms,
        sut,
        {
            "AuthCtrlr.LocalAuthorizeOffline": "true",
            "AuthCtrlr.DisableRemoteAuthorization": "false",
            "AuthCtrlr.OfflineTxForUnknownIdEnabled": "true",
        },
    )
    token = csms.id_token()
    try:
        sut = await csms.start_offline_transaction(sut, station_operator)
        csms.behaviour.id_tag_status[token["idToken"]] = "Invalid"
        step("1. The Charging Station empties its queue of TransactionEventRequests")
        first = await csms.transaction_event(sut, since=0, label="queued while offline")
        check(
            first.payload.get("offline") is True,
            "step 1: offline true (queued while offline)",
            first.payload,
        )
        tx_id = str(first.payload["transactionInfo"]["transactionId"])
        csms.transaction_id = tx_id
        step("3. The Charging Station reports it deauthorized the transaction")
        ended = await _ended_after(csms, sut, tx_id, 0, "deauthorized")
        queued = [
            e.payload
            for e in sut.link.inbox[: sut.link.inbox.index(ended)]
            if e.action == "TransactionEvent"
        ]
        check(
            all(p.get("offline") is True for p in queued),
            "step 1: offline true on every TransactionEventRequest queued while offline",
            queued,
        )
        _ended_checks(
            ended.payload,
            "step 3",
            trigger="Deauthorized",
            reasons=("DeAuthorized",),
            charging_state=None,
        )
    finally:
        csms.behaviour.id_tag_status.pop(token["idToken"], None)
        await station_operator.perform("unpark", evse_id=csms.evse)
