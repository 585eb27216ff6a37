"""Helpers shared by the 2.0.1 station-side E. Transactions modules (test_transactions.py:
start options and local start; test_transactions_stop_options.py: stop options), Part 6 §2.6.

The reusable states this block needs and the fake CSMS lacks (ParkingBayOccupied Table 426,
EnergyTransferSuspended Table 431, ParkingBayUnoccupied Table 435, StartOfflineTransaction
Table 436) are private helpers here, each following its table, to move to
:mod:`pytest_ocpp.csms.states201`.

A "Configuration State" saying "TxStartPoint contains X" (if ReadWrite) is met as found when the
station's value already contains X and none of the values the prerequisite excludes; else it
is set to X alone, and a station refusing that makes the case not applicable (the prerequisite:
a ReadOnly value without X). "(If implemented)" variables are set only when the station has
them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import NotApplicable, TargetTimeout, check

_AUTH_DEFAULTS = {"AuthCtrlr.Enabled": "true", "AuthCtrlr.DisableRemoteAuthorization": "false"}
"""AuthCtrl.AuthEnabled true and DisableRemoteAuthorization false (both "if implemented")."""


# -- configuration states ------------------------------------------------------------------
async def _ready(csms: FakeCsms201, sut: StationConnection) -> None:
    """Read TxStartPoint/TxStopPoint afresh: the fake CSMS puts back variables an earlier case
    changed without updating its copy of them, which the reusable states branch on."""
    for name in ("TxCtrlr.TxStartPoint", "TxCtrlr.TxStopPoint"):
        await csms.get_variable(sut, name)


async def _tx_point(
    csms: FakeCsms201,
    sut: StationConnection,
    which: str,
    value: str,
    *,
    also: Collection[str] = (),
    excluded: Collection[str] = (),
) -> list[str]:
    """TxCtrlr.<which> "contains ``value``" (or one of ``also``) and none of ``excluded``: kept
    when it already does, else set to ``value`` (not applicable when refused). Returns the
    points in force."""
    name = f"TxCtrlr.{which}"
    points = await (
        csms.tx_start_points(sut) if which == "TxStartPoint" else csms.tx_stop_points(sut)
    )
    wanted = {value, *also}
    if wanted & set(points) and not set(excluded) & set(points):
        return points
    await csms.configure(sut, {name: value})
    return [value]


async def _configure_if_implemented(
    csms: FakeCsms201, sut: StationConnection, values: Mapping[str, str]
) -> None:
    """Variables a table sets "(If implemented)": skipped when the station lacks them or
    refuses the value (ReadOnly), which the table allows."""
    for name, value in values.items():
        current = await csms.get_variable(sut, name)
        if current is None or current.lower() == value.lower():
            continue
        try:
            await csms.configure(sut, {name: value})
        except NotApplicable:
            warn(f"{name} is {current} and the station refused {value}: kept as found")


def _connection_timeout(csms: FakeCsms201) -> int:
    """<Configured ev_connection_timeout> (``[station] ev_connection_timeout``, s; the key the
    CSMS-side TC_E_39 also reads)."""
    return int(csms.config.station.extra.get("ev_connection_timeout", 10))


# -- reusable states missing from the fake CSMS (to move to csms/states201.py) ---------------
async def _parking_bay_occupied(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator
) -> IncomingCall | None:
    """ParkingBayOccupied (Table 426): the EV drives into the bay; when TxStartPoint contains
    ParkingBayOccupancy a TransactionEventRequest with triggerReason EVDetected follows."""
    points = await csms.tx_start_points(sut)
    mark = sut.mark()
    step("ParkingBayOccupied: manual action: drive EV into parking bay")
    await operator.perform("park", evse_id=csms.evse)
    event: IncomingCall | None = None
    if "ParkingBayOccupancy" in points:
        step("ParkingBayOccupied 1. The Charging Station sends a TransactionEventRequest")
        event = await csms.transaction_event(sut, since=mark, label="after the EV parked")
        check(
            event.payload["triggerReason"] == "EVDetected",
            "ParkingBayOccupied step 1: triggerReason EVDetected",
            event.payload,
        )
        csms.transaction_id = str(event.payload["transactionInfo"]["transactionId"])
    csms.state = "ParkingBayOccupied"
    return event


async def _energy_transfer_suspended(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator
) -> IncomingCall | None:
    """EnergyTransferSuspended (Table 431): EnergyTransferStarted first; the EV suspends; a
    TransactionEventRequest with chargingState EVConnected or SuspendedEV (triggerReason
    ChargingStateChanged when SuspendedEV; stoppedReason StoppedByEV when Ended)."""
    if csms.state != "EnergyTransferStarted":
        await csms.energy_transfer_started(sut, operator)
    tx_id = csms.transaction_id
    mark = sut.mark()
    step("EnergyTransferSuspended: manual action: the EV suspends the energy transfer")
    await operator.perform("ev_suspend", evse_id=csms.evse)
    step("EnergyTransferSuspended 1. The Charging Station sends a TransactionEventRequest")
    event = await csms.transaction_event(
        sut,
        since=mark,
        label="after the EV suspended",
        predicate=lambda p: (
            p["transactionInfo"]["transactionId"] == tx_id
            and p["transactionInfo"].get("chargingState") in ("EVConnected", "SuspendedEV")
        ),
    )
    payload = event.payload
    info = payload["transactionInfo"]
    if info.get("chargingState") == "SuspendedEV":
        check(
            payload["triggerReason"] == "ChargingStateChanged",
            "EnergyTransferSuspended step 1: triggerReason ChargingStateChanged",
            payload,
        )
    if payload["eventType"] == "Ended":
        check(
            info.get("stoppedReason") == "StoppedByEV",
            "EnergyTransferSuspended step 1: stoppedReason StoppedByEV (Ended)",
            payload,
        )
        csms.transaction_id = None
    csms.state = "EnergyTransferSuspended"
    return event


async def _parking_bay_unoccupied(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator
) -> None:
    """ParkingBayUnoccupied (Table 435), after EVDisconnected: the EV leaves the bay; when
    TxStopPoint contains ParkingBayOccupancy and the transaction still runs, it ends with
    triggerReason EVDeparted and stoppedReason Local (Remote after a remote stop)."""
    if csms.state != "EVDisconnected":
        await csms.ev_disconnected(sut, operator)
    points = await csms.tx_stop_points(sut)
    running = set(csms.open_transactions)
    mark = sut.mark()
    step("ParkingBayUnoccupied: manual action: drive EV out of parking bay")
    await operator.perform("unpark", evse_id=csms.evse)
    if "ParkingBayOccupancy" in points and running:
        step("ParkingBayUnoccupied 1. The Charging Station sends a TransactionEventRequest")
        event = await csms.transaction_event(
            sut,
            since=mark,
            label="ending the transaction (EVDeparted)",
            predicate=lambda p: p["transactionInfo"]["transactionId"] in running,
        )
        payload = event.payload
        check(
            payload["triggerReason"] == "EVDeparted"
            and payload["eventType"] == "Ended"
            and payload["transactionInfo"].get("stoppedReason") in ("Local", "Remote"),
            "ParkingBayUnoccupied step 1: triggerReason EVDeparted, eventType Ended, "
            "stoppedReason Local",
            payload,
        )
    csms.state = "ParkingBayUnoccupied"


async def _energy_transfer_started(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator, *, since: int
) -> IncomingCall:
    """Reusable State EnergyTransferStarted once the session is authorized, ``since`` the
    inbox position before that authorization. Two workarounds of the fake CSMS's state, to
    drop when states201 is fixed:

    * Table 430's "If State is NOT Authorized then execute Authorized" means "not authorized
      yet"; the state compares the last state's name, so after Authorized →
      EVConnectedPreSession (errata 6.2.44) it would present the idToken again, which stops
      the session. The authorization still holds: the state is told so.
    * Part 2 (chargingState Charging) is awaited from the state's own start, but a station
      closes the relay as soon as it is authorized with the EV connected, so that event may
      already have arrived (it did, from the reference behind the command operator). Such
      an event, for the running session, is taken as part 2."""
    if csms.state == "EVConnectedPreSession":
        csms.state = "Authorized"
    if csms.state == "Authorized" and csms.ev_connected:
        for item in sut.link.inbox[since:]:
            if (
                item.action == "TransactionEvent"
                and not item.problems
                and item.payload["transactionInfo"].get("chargingState") == "Charging"
            ):
                step("EnergyTransferStarted part 2: chargingState Charging (already received)")
                item.consumed = True
                csms.transaction_id = str(item.payload["transactionInfo"]["transactionId"])
                csms.state = "EnergyTransferStarted"
                return item
    return await csms.energy_transfer_started(sut, operator)


# -- shared tool validations ---------------------------------------------------------------
def _token_is(payload: Mapping[str, Any], token: Mapping[str, str], label: str) -> None:
    got = payload.get("idToken") or {}
    check(
        got.get("idToken") == token["idToken"] and got.get("type") == token["type"],
        f"{label}: idToken.idToken {token['idToken']}, idToken.type {token['type']}",
        payload,
    )


def _evse_given(payload: Mapping[str, Any], label: str) -> None:
    evse = payload.get("evse") or {}
    check(
        "id" in evse and "connectorId" in evse,
        f"{label}: evse and evse.connectorId provided",
        payload,
    )


async def _ended_after(
    csms: FakeCsms201, sut: StationConnection, tx_id: str | None, since: int, label: str
) -> IncomingCall:
    """The TransactionEventRequest that ends ``tx_id`` from ``since``: already received (a
    reusable state may have claimed it) or still to come."""

    def ends(p: Mapping[str, Any]) -> bool:
        return p["eventType"] == "Ended" and (
            tx_id is None or str(p["transactionInfo"]["transactionId"]) == tx_id
        )

    for item in sut.link.inbox[since:]:
        if item.action == "TransactionEvent" and not item.problems and ends(item.payload):
            return item
    return await csms.transaction_event(
        sut, since=since, label=f"eventType Ended ({label})", predicate=ends
    )


def _claim_transaction_events(sut: StationConnection) -> None:
    """Mark every TransactionEventRequest received so far as seen, before StopAuthorized.
    EVConnectedPostSession looks for its chargingState EVConnected event from the start of
    the connection (``since=0``), so the CablePluggedIn event of EnergyTransferStarted part 1
    (also EVConnected) would pass for it; Table 433's step 1 follows the stop."""
    for item in sut.link.inbox:
        if item.action == "TransactionEvent":
            item.consumed = True


def _started_at(sut: StationConnection, since: int) -> list[tuple[int, IncomingCall]]:
    """(inbox position, request) of every TransactionEventRequest Started from ``since``."""
    return [
        (index, item)
        for index, item in enumerate(sut.link.inbox)
        if index >= since
        and item.action == "TransactionEvent"
        and not item.problems
        and item.payload.get("eventType") == "Started"
    ]


async def _no_request(
    sut: StationConnection, action: str, predicate: Any, *, since: int, timeout: float, what: str
) -> None:
    """Absence: no ``action`` request matching ``predicate`` from ``since`` within ``timeout``."""
    try:
        item = await sut.wait_for(action, predicate, since=since, timeout=timeout, describe=what)
    except TargetTimeout:
        return
    check(False, f"no {what}", item.payload)


# -- start options ---------------------------------------------------------------------------


def _ended_checks(
    payload: Mapping[str, Any],
    label: str,
    *,
    trigger: str,
    reasons: Collection[str | None],
    charging_state: str | None = "Idle",
) -> None:
    check(payload["eventType"] == "Ended", f"{label}: eventType Ended", payload)
    check(payload["triggerReason"] == trigger, f"{label}: triggerReason {trigger}", payload)
    if charging_state is not None:
        check(
            payload["transactionInfo"].get("chargingState") == charging_state,
            f"{label}: transactionInfo.chargingState {charging_state}",
            payload,
        )
    shown = " or ".join(r or "omitted" for r in reasons)
    check(
        payload["transactionInfo"].get("stoppedReason") in reasons,
        f"{label}: transactionInfo.stoppedReason {shown}",
        payload,
    )


async def _ev_side_disconnect(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator
) -> tuple[int, IncomingCall]:
    """Manual action "Disconnect the EV and EVSE on EV side" and the transaction's Ended."""
    tx_id = csms.transaction_id
    mark = sut.mark()
    step("Manual action: disconnect the EV and EVSE on EV side (EVSE loses connection)")
    await operator.perform("ev_side_disconnect", evse_id=csms.evse)
    step("1. The Charging Station sends a TransactionEventRequest")
    ended = await _ended_after(csms, sut, tx_id, mark, "after the EV-side disconnect")
    csms.ev_connected = False
    return mark, ended


async def _start_offline_transaction(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator
) -> StationConnection:
    """StartOfflineTransaction (Table 436): the OCTT closes the connection and refuses
    reconnects; the EV parks, the idToken is presented, the EV connects; then the OCTT
    accepts the reconnection. Returns the new connection."""
    generation = csms.generation
    token = csms.id_token()
    step("StartOfflineTransaction 1. The OCTT closes the WebSocket connection AND refuses")
    csms.behaviour.refuse_connections = True
    try:
        await csms.drop_connection()
        step("StartOfflineTransaction: manual action: drive EV into parking bay")
        await operator.perform("park", evse_id=csms.evse)
        step("StartOfflineTransaction: manual action: present idToken")
        await operator.perform(
            "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=csms.evse
        )
        step("StartOfflineTransaction: manual action: connect the EV and EVSE")
        await operator.perform("plug_in", evse_id=csms.evse, connector_id=csms.connector)
        csms.ev_connected = True
    finally:
        csms.behaviour.refuse_connections = False
    step("StartOfflineTransaction 2. The OCTT accepts the reconnection attempt")
    return await csms.next_connection(after=generation, timeout=3 * csms.config.timeouts.connect)
