"""OCPP 2.0.1, Charging Station under test, E. Transactions part 1, start options and local
start (2.0.1 Edition 3 Part 6 §2.6, and the 2025-09 errata); the stop options are in
test_transactions_stop_options.py, the shared helpers and missing reusable states in
_transactions_support.py.

pytest-ocpp plays the CSMS (the OCTT column of each scenario table). Each case first
re-establishes Part 6 §2.1's general preconditions (``csms.ready``); "Execute Reusable State X"
is one call of the fake CSMS's method for X (Part 6 §2.18, :mod:`pytest_ocpp.csms.states201`).
"""

from __future__ import annotations

import contextlib

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.timestamps import parse_timestamp
from pytest_ocpp.verdicts import TargetTimeout, check, not_applicable

from ._transactions_support import (
    _AUTH_DEFAULTS,
    _configure_if_implemented,
    _connection_timeout,
    _evse_given,
    _no_request,
    _ready,
    _started_at,
    _token_is,
    _tx_point,
)


@ocpp_case("TC_E_01_CS", version="2.0.1")
async def test_tc_e_01_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TxStartPoint PowerPathClosed (E01.FR.05, FR.07, FR.10, FR.15, FR.16): authorized first,
    the station starts the transaction when the EV connects and the power path closes, then
    charges (errata 6.2.44 extends the scenario with EnergyTransferStarted).

    Beyond the states: the transaction is started (eventType Started) at or after the EV
    connected, not at the authorization, as E01.FR.05 requires."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _tx_point(
        csms,
        sut,
        "TxStartPoint",
        "PowerPathClosed",
        excluded=("ParkingBayOccupancy", "EVConnected", "Authorized", "DataSigned"),
    )
    step("(Before) Reusable State Authorized")
    mark = sut.mark()
    await csms.authorized(sut, station_operator)
    plugged = sut.mark()
    step("1. Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    step("2. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator, authorized_since=mark)
    started = _started_at(sut, mark)
    # The station's own clock orders its events: a Started that arrives after the EV's
    # Occupied report but is stamped before it was still made at the authorization.
    occupied = [
        parse_timestamp(c.payload.get("timestamp"))
        for c in sut.link.inbox[plugged:]
        if c.action == "StatusNotification" and c.payload.get("connectorStatus") == "Occupied"
    ]
    connected_at = occupied[0] if occupied else None

    def after_connection(index: int, call: IncomingCall) -> bool:
        stamp = parse_timestamp(call.payload.get("timestamp"))
        if index < plugged:
            return False
        return connected_at is None or stamp is None or stamp >= connected_at

    check(
        bool(started) and all(after_connection(index, call) for index, call in started),
        "E01.FR.05: the transaction is Started once the EV connected and the power path "
        "closed, not at the authorization",
        [call.payload for _, call in started],
    )


async def _plug_in_started(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator, label: str
) -> tuple[IncomingCall, IncomingCall]:
    """Manual action "Connect the EV and EVSE", step 1 (connector Occupied) and step 3 (the
    TransactionEventRequest Started), in either order (Part 6 §2.1)."""
    mark = sut.mark()
    step(f"{label}: manual action: connect the EV and EVSE")
    await operator.perform("plug_in", evse_id=csms.evse, connector_id=csms.connector)
    step("1. The Charging Station notifies the CSMS about the status change of the connector")
    status = await csms.connector_reported(sut, "Occupied", since=mark)
    step("3. The Charging Station sends a TransactionEventRequest")
    event = await csms.transaction_event(
        sut, since=mark, label="Started", predicate=lambda p: p["eventType"] == "Started"
    )
    csms.ev_connected = True
    csms.transaction_id = str(event.payload["transactionInfo"]["transactionId"])
    return status, event


@ocpp_case("TC_E_02_CS", version="2.0.1")
async def test_tc_e_02_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TxStartPoint EnergyTransfer (E01.FR.06, FR.07, FR.10, FR.15, FR.16): authorized first,
    the transaction starts when energy flows after the EV connected: eventType Started,
    triggerReason ChargingStateChanged or Authorized (RemoteStart when the Authorized state
    is run remotely, which this suite does not), the idToken, evse with connectorId,
    chargingState Charging."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _tx_point(
        csms,
        sut,
        "TxStartPoint",
        "EnergyTransfer",
        excluded=(
            "ParkingBayOccupancy",
            "EVConnected",
            "Authorized",
            "DataSigned",
            "PowerPathClosed",
        ),
    )
    step("(Before) Reusable State Authorized")
    await csms.authorized(sut, station_operator)
    _, event = await _plug_in_started(csms, sut, station_operator, "Main")
    payload = event.payload
    check(
        payload["triggerReason"] in ("ChargingStateChanged", "Authorized"),
        "step 3: triggerReason ChargingStateChanged or Authorized",
        payload,
    )
    _token_is(payload, csms.id_token(), "step 3")
    _evse_given(payload, "step 3")
    check(
        payload["transactionInfo"].get("chargingState") == "Charging",
        "step 3: transactionInfo.chargingState Charging",
        payload,
    )
    csms.state = "EnergyTransferStarted"


@ocpp_case("TC_E_09_CS", version="2.0.1")
async def test_tc_e_09_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TxStartPoint EVConnected (E01.FR.02, FR.07, FR.10, FR.15, FR.16): the transaction
    starts when the EV connects (eventType Started, triggerReason CablePluggedIn or
    ChargingStateChanged, evse with connectorId, chargingState EVConnected); errata 6.2.44
    continues with Authorized and EnergyTransferStarted. ParkingBayOccupied, optional (Table
    426), is not run: TxStartPoint without ParkingBayOccupancy makes it a manual step only."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _tx_point(csms, sut, "TxStartPoint", "EVConnected", excluded=("ParkingBayOccupancy",))
    step("1. Execute Reusable State EVConnectedPreSession")
    mark = sut.mark()
    event = await csms.ev_connected_pre_session(sut, station_operator)
    check(event is not None, "step 3: a TransactionEventRequest after the EV connected", None)
    assert event is not None
    payload = event.payload
    check(payload["eventType"] == "Started", "step 3: eventType Started", payload)
    check(
        payload["triggerReason"] in ("CablePluggedIn", "ChargingStateChanged"),
        "step 3: triggerReason CablePluggedIn or ChargingStateChanged",
        payload,
    )
    _evse_given(payload, "step 3")
    check(
        payload["transactionInfo"].get("chargingState") == "EVConnected",
        "step 3: transactionInfo.chargingState EVConnected",
        payload,
    )
    check(len(_started_at(sut, mark)) == 1, "one transaction Started", event.payload)
    step("2. Execute Reusable State Authorized")
    auth_mark = sut.mark()
    await csms.authorized(sut, station_operator)
    step("3. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator, authorized_since=auth_mark)


async def _authorized_start(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator, *, remote: bool
) -> None:
    """TC_E_10/13 (errata 6.2.44): Authorized (local or remote) starts the transaction
    (eventType Started, the idToken; triggerReason Authorized, or RemoteStart with the
    remoteStartId), then EVConnectedPreSession and EnergyTransferStarted."""
    await _tx_point(csms, sut, "TxStartPoint", "Authorized")
    await _configure_if_implemented(csms, sut, _AUTH_DEFAULTS)
    mark = sut.mark()
    step(f"1. Execute Reusable State Authorized ({'Remote' if remote else 'Local'})")
    event = await csms.authorized(sut, operator, remote=remote)
    check(event is not None, "a TransactionEventRequest after the authorization", None)
    assert event is not None
    payload = event.payload
    label = "step 5" if remote else "step 3"
    check(payload["eventType"] == "Started", f"{label}: eventType Started", payload)
    trigger = "RemoteStart" if remote else "Authorized"
    check(payload["triggerReason"] == trigger, f"{label}: triggerReason {trigger}", payload)
    _token_is(payload, csms.id_token(), label)
    if remote:
        check(
            "remoteStartId" in payload["transactionInfo"],
            f"{label}: transactionInfo.remoteStartId present",
            payload,
        )
    check(len(_started_at(sut, mark)) == 1, "one transaction Started", payload)
    step("2. Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, operator)
    step("3. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, operator, authorized_since=mark)


@ocpp_case("TC_E_10_CS", version="2.0.1")
async def test_tc_e_10_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TxStartPoint Authorized, local (E01.FR.03, FR.07, FR.10, FR.15, FR.16; C01.FR.02,
    C02.FR.01, C06.FR.02): presenting the valid idToken (AuthorizeRequest answered Accepted)
    starts the transaction: eventType Started, triggerReason Authorized, the idToken."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _authorized_start(csms, sut, station_operator, remote=False)


@ocpp_case("TC_E_13_CS", version="2.0.1")
async def test_tc_e_13_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TxStartPoint Authorized, remote (E01.FR.03; F01.FR.03/04/06/19, F02.FR.01): a
    RequestStartTransactionRequest (answered Accepted) starts the transaction: eventType
    Started, triggerReason RemoteStart, the idToken, a remoteStartId. The optional
    AuthorizeRequest (step 3) is answered Accepted by the fake CSMS when sent."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _authorized_start(csms, sut, station_operator, remote=True)


@ocpp_case("TC_E_11_CS", version="2.0.1")
async def test_tc_e_11_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TxStartPoint DataSigned (E01.FR.04, FR.07, FR.10, FR.15, FR.16): with
    SampledDataCtrlr.SignReadings true, the transaction starts when the station has signed
    meter data: eventType Started, triggerReason SignedDataReceived (or RemoteStart), the
    idToken, evse with connectorId, a Transaction.Begin sampledValue with a complete
    signedMeterValue; then an Updated ChargingStateChanged with chargingState Charging.
    A station without SignReadings is not applicable (its configuration state)."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await csms.configure(sut, {"SampledDataCtrlr.SignReadings": "true"})
    await _tx_point(
        csms,
        sut,
        "TxStartPoint",
        "DataSigned",
        excluded=("ParkingBayOccupancy", "EVConnected", "Authorized"),
    )
    step("(Before) Reusable State Authorized")
    await csms.authorized(sut, station_operator)
    _, event = await _plug_in_started(csms, sut, station_operator, "Main")
    payload = event.payload
    check(
        payload["triggerReason"] in ("SignedDataReceived", "RemoteStart"),
        "step 3: triggerReason SignedDataReceived",
        payload,
    )
    _token_is(payload, csms.id_token(), "step 3")
    _evse_given(payload, "step 3")
    signed = [
        sampled
        for value in payload.get("meterValue") or []
        for sampled in value.get("sampledValue") or []
        if sampled.get("context") == "Transaction.Begin"
    ]
    check(
        any(
            all(
                (s.get("signedMeterValue") or {}).get(k)
                for k in ("encodingMethod", "publicKey", "signedMeterData", "signingMethod")
            )
            for s in signed
        ),
        "step 3: a Transaction.Begin sampledValue with signedMeterValue encodingMethod, "
        "publicKey, signedMeterData and signingMethod",
        payload,
    )
    tx_id = csms.transaction_id
    step("5. The Charging Station sends a TransactionEventRequest")
    update = await csms.transaction_event(
        sut,
        since=0,
        label="Updated, chargingState Charging",
        predicate=lambda p: (
            p["transactionInfo"]["transactionId"] == tx_id
            and p["eventType"] == "Updated"
            and p["transactionInfo"].get("chargingState") == "Charging"
        ),
    )
    check(
        update.payload["triggerReason"] == "ChargingStateChanged",
        "step 5: triggerReason ChargingStateChanged",
        update.payload,
    )
    csms.state = "EnergyTransferStarted"


@ocpp_case("TC_E_12_CS", version="2.0.1")
async def test_tc_e_12_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TxStartPoint ParkingBayOccupancy (E01.FR.01, FR.07, FR.10, FR.15, FR.16): the EV
    driving into the bay starts the transaction (eventType Started, triggerReason
    EVDetected); errata 6.2.44 continues with Authorized, EVConnectedPreSession and
    EnergyTransferStarted."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _tx_point(csms, sut, "TxStartPoint", "ParkingBayOccupancy")
    try:
        step("1. Execute Reusable State ParkingBayOccupied")
        event = await csms.parking_bay_occupied(sut, station_operator)
        check(event is not None, "step 1: a TransactionEventRequest after the EV parked", None)
        assert event is not None
        check(event.payload["eventType"] == "Started", "step 1: eventType Started", event.payload)
        step("2. Execute Reusable State Authorized")
        auth_mark = sut.mark()
        await csms.authorized(sut, station_operator)
        step("3. Execute Reusable State EVConnectedPreSession")
        await csms.ev_connected_pre_session(sut, station_operator)
        step("4. Execute Reusable State EnergyTransferStarted")
        await csms.energy_transfer_started(sut, station_operator, authorized_since=auth_mark)
    finally:
        await station_operator.perform("unpark", evse_id=csms.evse)  # not undone by ready()


# -- local start -----------------------------------------------------------------------------
@ocpp_case("TC_E_03_CS", version="2.0.1")
async def test_tc_e_03_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Local start, cable plugged in first (E02.FR.01/05/06/07/13/15/16/17, E01.FR.16;
    C01.FR.02, C02.FR.01, C06.FR.02): EVConnectedPreSession, Authorized (local),
    EnergyTransferStarted, each judged by its state. The prerequisite (no cable lock that
    prevents connecting before authorization, Part 5 AQ-2) is not a ``requires``: a target
    without ``[claims] features`` claims every feature, AQ-2 included, and would never run it;
    such a station fails at EVConnectedPreSession, its connector never reported Occupied."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _configure_if_implemented(csms, sut, _AUTH_DEFAULTS)
    step("(Before) Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    step("1. Execute Reusable State Authorized (local)")
    auth_mark = sut.mark()
    await csms.authorized(sut, station_operator)
    step("2. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator, authorized_since=auth_mark)


@ocpp_case("TC_E_04_CS", version="2.0.1")
async def test_tc_e_04_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Local start, authorization first (E03.FR.01/06/12, E01.FR.16; C01.FR.02, C02.FR.01,
    C06.FR.02): Authorized (local), then EnergyTransferStarted (which connects the EV). The
    optional ParkingBayOccupied state is not run."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _configure_if_implemented(csms, sut, _AUTH_DEFAULTS)
    step("1. Execute Reusable State Authorized (local)")
    auth_mark = sut.mark()
    await csms.authorized(sut, station_operator)
    step("2. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator, authorized_since=auth_mark)


@ocpp_case("TC_E_05_CS", version="2.0.1")
async def test_tc_e_05_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Authorization first, EV not connected in time (E03.FR.01/05/06/12): with
    EVConnectionTimeOut at <Configured ev_connection_timeout>, AuthCacheCtrlr.Enabled and
    LocalPreAuthorize false, the authorization expires: when the authorization started a
    transaction, a TransactionEventRequest triggerReason EVConnectTimeout follows (Ended
    with stoppedReason Timeout when TxStopPoint contains Authorized, else Updated). The
    EVSE then serves a new session: Authorized (local), EnergyTransferStarted.

    Without a started transaction the station owes no message: the case waits the timeout
    (plus the message timeout) before step 3, as OCTT does."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    timeout = _connection_timeout(csms)
    await csms.configure(sut, {"TxCtrlr.EVConnectionTimeOut": str(timeout)})
    await _configure_if_implemented(
        csms,
        sut,
        {
            **_AUTH_DEFAULTS,
            "AuthCacheCtrlr.Enabled": "false",
            "AuthCtrlr.LocalPreAuthorize": "false",
        },
    )
    starts = await csms.tx_start_points(sut)
    stops = await csms.tx_stop_points(sut)
    step("(Before) Reusable State Authorized (local)")
    mark = sut.mark()
    event = await csms.authorized(sut, station_operator)
    if {"ParkingBayOccupancy", "Authorized"} & set(starts) and event is not None:
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
        if "Authorized" in stops:
            check(
                payload["eventType"] == "Ended"
                and payload["transactionInfo"].get("stoppedReason") == "Timeout",
                "step 1: eventType Ended, stoppedReason Timeout (TxStopPoint contains Authorized)",
                payload,
            )
        else:
            check(payload["eventType"] == "Updated", "step 1: eventType Updated", payload)
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
    csms.state = None
    csms.transaction_id = None
    step("3. Execute Reusable State Authorized (local)")
    auth_mark = sut.mark()
    await csms.authorized(sut, station_operator)
    step("4. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator, authorized_since=auth_mark)


@ocpp_case("TC_E_38_CS", version="2.0.1")
async def test_tc_e_38_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """EV not ready (no requirement id; E01.FR.19 chargingState semantics): authorized, the
    EV connects while not ready for energy: the station reports triggerReason
    ChargingStateChanged with chargingState SuspendedEV. Not applicable with TxStartPoint
    EnergyTransfer (prerequisite): no transaction would report it."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    if "EnergyTransfer" in await csms.tx_start_points(sut):
        raise not_applicable("TxStartPoint is EnergyTransfer (this case's prerequisite)")
    try:
        step("(Before) Reusable State Authorized")
        await csms.authorized(sut, station_operator)
        step("Manual action: set the EV to a state in which it is NOT ready for energy transfer")
        await station_operator.perform("ev_suspend", evse_id=csms.evse)
        mark = sut.mark()
        step("1. Execute Reusable State EVConnectedPreSession")
        await csms.ev_connected_pre_session(sut, station_operator)
        step("2. The Charging Station sends a TransactionEventRequest")
        event = await csms.transaction_event(
            sut,
            since=mark,
            label="chargingState SuspendedEV",
            predicate=lambda p: p["transactionInfo"].get("chargingState") == "SuspendedEV",
        )
        check(
            event.payload["triggerReason"] == "ChargingStateChanged",
            "step 2: triggerReason ChargingStateChanged, chargingState SuspendedEV",
            event.payload,
        )
        charging = [
            e.payload
            for e in sut.link.inbox[mark:]
            if e.action == "TransactionEvent"
            and e.payload["transactionInfo"].get("chargingState") == "Charging"
        ]
        check(not charging, "step 2: no chargingState Charging while the EV is not ready", charging)
    finally:
        await station_operator.perform("ev_resume", evse_id=csms.evse)


@ocpp_case("TC_E_52_CS", version="2.0.1", requires="C-58")
async def test_tc_e_52_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """DisableRemoteAuthorization true (C01.FR.02/05): an idToken neither in the Local
    Authorization List nor in the Authorization Cache is refused without asking the CSMS: no
    AuthorizeRequest (erratum 6.2.48 reads "InvalidateRequest" as AuthorizeRequest); then the
    EV connects (EVConnectedPreSession) and the station does not start charging.

    The idToken is the configured invalid one (never Accepted, so never cached by an earlier
    case). "Does not start charging" is judged over the message timeout after the EV
    connected: no TransactionEventRequest with chargingState Charging, none with that
    idToken."""
    sut = await csms.ready(station_operator)
    await _ready(csms, sut)
    await _configure_if_implemented(csms, sut, {"AuthCtrlr.Enabled": "true"})
    await csms.configure(sut, {"AuthCtrlr.DisableRemoteAuthorization": "true"})
    token = csms.id_token(csms.config.tags.invalid)
    mark = sut.mark()
    step("Manual action: present an idToken not in the Local Authorization List nor cached")
    await station_operator.perform(
        "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=csms.evse
    )
    step("1. The Charging Station does NOT send an AuthorizeRequest")
    await _no_request(
        sut,
        "Authorize",
        None,
        since=mark,
        timeout=csms.config.timeouts.message,
        what="AuthorizeRequest (DisableRemoteAuthorization is true)",
    )
    step("2. Execute Reusable State EVConnectedPreSession")
    plugged = sut.mark()
    await csms.ev_connected_pre_session(sut, station_operator)
    step("3. The Charging Station does NOT start charging")
    await _no_request(
        sut,
        "TransactionEvent",
        lambda p: (
            p["transactionInfo"].get("chargingState") == "Charging"
            or (p.get("idToken") or {}).get("idToken") == token["idToken"]
        ),
        since=plugged,
        timeout=csms.config.timeouts.message,
        what="TransactionEventRequest with chargingState Charging or the refused idToken",
    )
    check(
        not any(
            e.action == "TransactionEvent"
            and (e.payload.get("idToken") or {}).get("idToken") == token["idToken"]
            for e in sut.link.inbox[mark:]
        ),
        "authorization refused: no TransactionEventRequest with the refused idToken",
        None,
    )
