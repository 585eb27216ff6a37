"""OCPP 2.0.1, Charging Station under test, G. Availability (2.0.1 Edition 3 Part 6 §2.8; the
2025 errata change none of these tables).

pytest-ocpp plays the CSMS (the OCTT column of each scenario table). Each case first
re-establishes Part 6 §2.1's general preconditions (``csms.ready``), which also puts back
what a case made Inoperative; "Execute Reusable State X" is one call of the fake CSMS's
method for X (Part 6 §2.18, :mod:`pytest_ocpp.csms.states201`).

Where a table lists "StatusNotificationRequest ... / NotifyEventRequest ..." for one step, a
station reports a connector with either (G01.FR.03-07 allow both); the StatusNotification is
awaited (G03.FR.04 and G04.FR.05 name it) and a NotifyEvent for AvailabilityState, when sent,
must say the same (trigger Delta, the expected value).

Reusable states are the fake CSMS's (Booted with the availability a station keeps,
G03.FR.08/G04.FR.09; Unavailable for a connector, an EVSE or the station; EVDisconnected on
an Inoperative EVSE, whose connector ends Unavailable).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201
from pytest_ocpp.csms.base import StationConnection
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import TargetTimeout, check, check_octt, not_applicable

Scope = tuple[int | None, int | None]
"""(evseId, connectorId) a ChangeAvailabilityRequest names; (None, None): the station."""


# -- helpers ---------------------------------------------------------------------------------
def _target(scope: Scope) -> dict[str, Any]:
    evse, connector = scope
    if evse is None:
        return {}
    return {"evse": {"id": evse, **({} if connector is None else {"connectorId": connector})}}


def _scope_text(scope: Scope) -> str:
    evse, connector = scope
    if evse is None:
        return "the Charging Station"
    return f"EVSE {evse}" + ("" if connector is None else f" connector {connector}")


def _connectors(csms: FakeCsms201, scope: Scope) -> list[tuple[int, int | None]]:
    """The connectors a scope covers: the configured one for a connector; for an EVSE or the
    station every connector the station reported, each EVSE at least once (its connectorId
    then open)."""
    evse, connector = scope
    if connector is not None and evse is not None:
        return [(evse, connector)]
    evses = [evse] if evse is not None else list(range(1, csms.config.station.connectors + 1))
    found: list[tuple[int, int | None]] = []
    for e in evses:
        known = sorted(c for (ke, c) in csms.connector_statuses if ke == e and c)
        found.extend((e, c) for c in known) if known else found.append((e, None))
    return found


def _judge_notify_events(sut: StationConnection, item: IncomingCall) -> None:
    """A NotifyEventRequest for the same Connector's AvailabilityState (trigger Delta) after
    the StatusNotification ``item`` must say the same (the tables' NotifyEvent alternative).
    A contradiction is a warning, as in the reusable states: a queued report of an earlier
    state may legally arrive late."""
    e, c = item.payload["evseId"], item.payload["connectorId"]
    status = item.payload["connectorStatus"]
    for event in sut.link.inbox:
        if event.action != "NotifyEvent" or event.problems or event.received_at < item.received_at:
            continue
        for data in event.payload.get("eventData") or []:
            component = data.get("component") or {}
            where = component.get("evse") or {}
            if (
                component.get("name") == "Connector"
                and (data.get("variable") or {}).get("name") == "AvailabilityState"
                and where.get("id") == e
                and where.get("connectorId", c) == c
                and data.get("trigger") == "Delta"
                and data.get("actualValue") != status
            ):
                warn(
                    f"NotifyEventRequest reported Connector {e}/{c} AvailabilityState "
                    f"{data.get('actualValue')} after StatusNotification {status}"
                )


async def _reported(
    csms: FakeCsms201,
    sut: StationConnection,
    scope: Scope,
    status: str,
    *,
    since: int,
    label: str,
    timeout: float | None = None,
) -> list[IncomingCall]:
    """Step "the Charging Station notifies the CSMS about the current state of the
    connectors" of ``scope``: a StatusNotificationRequest ``status`` for each (evseId and
    connectorId not 0), then the NotifyEvents judged."""
    found = []
    for evse, connector in _connectors(csms, scope):
        item = await sut.wait_for(
            "StatusNotification",
            lambda p, e=evse, c=connector: (
                p["evseId"] == e
                and (c is None or p["connectorId"] == c)
                and p["connectorStatus"] == status
            ),
            since=since,
            timeout=timeout,
            describe=f"{label}: StatusNotificationRequest connectorStatus {status} for evseId "
            f"{evse}" + ("" if connector is None else f", connectorId {connector}"),
        )
        check(
            item.payload["connectorId"] != 0,
            f"{label}: StatusNotificationRequest connectorId not 0",
            item.payload,
        )
        _judge_notify_events(sut, item)
        found.append(item)
    return found


def _post_all_reported(csms: FakeCsms201, scope: Scope) -> None:
    """Post scenario validation "a message to report the state of a connector has been
    received for all connectors (of the scope)": the fake CSMS knows a reported state for
    each EVSE (this connection's boot report counts: G03.FR.04/G04.FR.05 ask a report only of
    changed connectors)."""
    evses = [scope[0]] if scope[0] is not None else range(1, csms.config.station.connectors + 1)
    for evse in evses:
        check(
            any(e == evse for (e, _c) in csms.connector_statuses),
            f"post scenario: a message reporting the state of the connectors of EVSE {evse}",
            sorted(csms.connector_statuses.items()),
        )


async def _change(
    sut: StationConnection, scope: Scope, operational: str, expected: str, label: str
) -> None:
    """OCTT sends ChangeAvailabilityRequest; the response status must be ``expected``."""
    step(
        f"{label}. The OCTT sends a ChangeAvailabilityRequest {operational} for "
        f"{_scope_text(scope)}"
    )
    answer = await sut.call(
        "ChangeAvailability", {"operationalStatus": operational, **_target(scope)}
    )
    check(
        answer.get("status") == expected,
        f"step {label}+1: ChangeAvailabilityResponse status {expected}",
        answer,
    )


def _ended(csms: FakeCsms201, tx_id: str | None) -> bool:
    return tx_id is None or tx_id not in csms.open_transactions


@contextlib.asynccontextmanager
async def _ev_unplugged_after(csms: FakeCsms201, operator: StationOperator) -> AsyncIterator[None]:
    """Clean-up of a case that plugged the EV in: a connector Unavailable with the cable in
    is not one the next case's ``csms.ready`` unplugs, so unplug it when a case stops early."""
    try:
        yield
    finally:
        if csms.ev_connected:
            with contextlib.suppress(Exception):
                await operator.perform("plug_out", evse_id=csms.evse, connector_id=csms.connector)
            csms.ev_connected = False


async def _with_transaction(
    csms: FakeCsms201,
    sut: StationConnection,
    operator: StationOperator,
    scope: Scope,
    *,
    first: int = 3,
) -> None:
    """The end of TC_G_11/14/17: StopAuthorized, EVConnectedPostSession, EVDisconnected,
    ParkingBayUnoccupied; after the step that ends the transaction, the configured
    connector is reported Unavailable (the Scheduled change took effect, G03.FR.05)."""
    where: Scope = (csms.evse, csms.connector)
    stages = (
        ("StopAuthorized", csms.stop_authorized),
        ("EVConnectedPostSession", csms.ev_connected_post_session),
        ("EVDisconnected", None),
        ("ParkingBayUnoccupied", None),
    )
    tx_id = csms.transaction_id
    number = first
    for name, state in stages:
        was_open = not _ended(csms, tx_id)
        mark = sut.mark()
        step(f"{number}. Execute Reusable State {name}")
        if name == "EVDisconnected":
            await csms.ev_disconnected(sut, operator, statuses=("Unavailable",))
        elif name == "ParkingBayUnoccupied":
            await csms.parking_bay_unoccupied(sut, operator)
        else:
            assert state is not None
            await state(sut, operator)
        if was_open and _ended(csms, tx_id):
            step(f"{number + 1}. The connectors of EVSE {csms.evse} are reported Unavailable")
            await _reported(csms, sut, where, "Unavailable", since=mark, label=f"step {number + 1}")
        number += 3
    check(
        _ended(csms, tx_id),
        "the transaction ended by the end of the scenario",
        sorted(csms.open_transactions),
    )
    _post_all_reported(csms, scope)


async def _no_change_report(
    csms: FakeCsms201, sut: StationConnection, scope: Scope, status: str, *, since: int, label: str
) -> None:
    """A report the table asks for after a request that changed nothing: OCTT requires it,
    G03.FR.04/G04.FR.05 only for changed connectors."""
    try:
        await _reported(
            csms,
            sut,
            scope,
            status,
            since=since,
            label=label,
            timeout=csms.config.timeouts.message,
        )
    except TargetTimeout as exc:
        check_octt(
            False,
            f"{label}: a StatusNotificationRequest {status} for every connector",
            str(exc),
            octt=label,
            spec="G03.FR.04/G04.FR.05 ask a report only of connectors whose state changed",
        )


# -- connector status (G01) -----------------------------------------------------------------
@ocpp_case("TC_G_01_CS", version="2.0.1")
async def test_tc_g_01_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Available to Occupied (G01.FR.01, N07.FR.19): connecting the EV is reported Occupied
    for the configured EVSE/connector, judged by reusable state EVConnectedPreSession (its
    NotifyEvent, when sent, must not contradict)."""
    sut = await csms.ready(station_operator)
    step("1. Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)


@ocpp_case("TC_G_02_CS", version="2.0.1")
async def test_tc_g_02_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Occupied to Available (G01.FR.01, N07.FR.19): after EVConnectedPreSession, unplugging
    is reported Available for the configured connector (StatusNotification; a NotifyEvent
    AvailabilityState, when sent, Delta and Available). A transaction the plug-in started
    (TxStartPoint EVConnected) may end in between: legal traffic, tolerated."""
    sut = await csms.ready(station_operator)
    step("(Before) State is EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    mark = sut.mark()
    step("Manual action: disconnect the EV and EVSE")
    await station_operator.perform("plug_out", evse_id=csms.evse, connector_id=csms.connector)
    step("3. The Charging Station notifies the CSMS about the current state of the connector")
    await _reported(csms, sut, (csms.evse, csms.connector), "Available", since=mark, label="step 3")
    csms.ev_connected = False


# -- change availability of an EVSE (G03) ---------------------------------------------------
@ocpp_case("TC_G_03_CS", version="2.0.1")
async def test_tc_g_03_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """EVSE Operative to Inoperative (G03.FR.01/02/04/06): ChangeAvailability Inoperative for
    the configured EVSE is Accepted and every connector of it is reported Unavailable."""
    sut = await csms.ready(station_operator)
    step("1. Execute Reusable State Unavailable for <Configured evseId>")
    await csms.unavailable(sut, whole="evse")
    _post_all_reported(csms, (csms.evse, None))


@ocpp_case("TC_G_04_CS", version="2.0.1")
async def test_tc_g_04_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """EVSE Inoperative to Operative (G03.FR.01/02/04/07): from Unavailable (the memory
    state, set through state Unavailable for the EVSE), ChangeAvailability Operative is
    Accepted and every connector of the EVSE is reported Available again."""
    sut = await csms.ready(station_operator)
    step("(Memory State) Unavailable for <Configured evseId>")
    await csms.unavailable(sut, whole="evse")
    mark = sut.mark()
    await _change(sut, (csms.evse, None), "Operative", "Accepted", "1")
    step("3. The connectors of the EVSE are reported")
    await _reported(csms, sut, (csms.evse, None), "Available", since=mark, label="step 3")
    _post_all_reported(csms, (csms.evse, None))


@ocpp_case("TC_G_09_CS", version="2.0.1")
async def test_tc_g_09_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """EVSE Operative to Operative (G03.FR.03): ChangeAvailability to the state the EVSE is
    already in is Accepted."""
    sut = await csms.ready(station_operator)
    await _change(sut, (csms.evse, None), "Operative", "Accepted", "1")


@ocpp_case("TC_G_10_CS", version="2.0.1")
async def test_tc_g_10_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """EVSE Inoperative to Inoperative (G03.FR.03): an Unavailable EVSE asked to become
    Inoperative again answers Accepted; every connector's state is known (post scenario)."""
    sut = await csms.ready(station_operator)
    step("(Before) State is Unavailable for <Configured evseId>")
    await csms.unavailable(sut, whole="evse")
    await _change(sut, (csms.evse, None), "Inoperative", "Accepted", "1")
    _post_all_reported(csms, (None, None))


@ocpp_case("TC_G_11_CS", version="2.0.1")
async def test_tc_g_11_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """EVSE Inoperative during a transaction (G03.FR.05): answered Scheduled; once the
    transaction ends (whichever stop step ends it, by TxStopPoint), the EVSE's connectors
    are reported Unavailable. <Configured Transaction Duration> is waited inside
    StopAuthorized."""
    sut = await csms.ready(station_operator)
    step("(Before) State is EnergyTransferStarted")
    async with _ev_unplugged_after(csms, station_operator):
        await csms.energy_transfer_started(sut, station_operator)
        await _change(sut, (csms.evse, None), "Inoperative", "Scheduled", "1")
        await _with_transaction(csms, sut, station_operator, (None, None))


@ocpp_case("TC_G_18_CS", version="2.0.1")
async def test_tc_g_18_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """An Inoperative EVSE stays Inoperative across a reboot (G03.FR.08, G01.FR.01).
    Departure: the Charging State "Unavailable" is what steps 1-3 establish, so it is not
    executed twice (a second request would change nothing and need no step-3 report)."""
    sut = await csms.ready(station_operator)
    mark = sut.mark()
    await _change(sut, (csms.evse, None), "Inoperative", "Accepted", "1")
    step("3. The Charging Station notifies the state of the connectors")
    await _reported(csms, sut, (csms.evse, None), "Unavailable", since=mark, label="step 3")
    step("5. Execute Reusable State Booted (the EVSE stays Unavailable)")
    await csms.booted(sut, inoperative=(csms.evse, None))
    _post_all_reported(csms, (None, None))


# -- change availability of the Charging Station (G04) --------------------------------------
@ocpp_case("TC_G_05_CS", version="2.0.1")
async def test_tc_g_05_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Station Operative to Inoperative (G04.FR.01/02/03/05/07): ChangeAvailability without
    evse is Accepted and every connector is reported Unavailable."""
    sut = await csms.ready(station_operator)
    step("1. Execute Reusable State Unavailable (the Charging Station)")
    await csms.unavailable(sut, whole="station")
    _post_all_reported(csms, (None, None))


@ocpp_case("TC_G_06_CS", version="2.0.1")
async def test_tc_g_06_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Station Inoperative to Operative (G04.FR.01/02/03/05/08): from Unavailable,
    ChangeAvailability Operative without evse is Accepted and every connector is reported
    Available again."""
    sut = await csms.ready(station_operator)
    step("(Before) State is Unavailable (the Charging Station)")
    await csms.unavailable(sut, whole="station")
    mark = sut.mark()
    await _change(sut, (None, None), "Operative", "Accepted", "1")
    step("3. The Charging Station notifies the state of all its connectors")
    await _reported(csms, sut, (None, None), "Available", since=mark, label="step 3")
    _post_all_reported(csms, (None, None))


@ocpp_case("TC_G_12_CS", version="2.0.1")
async def test_tc_g_12_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Station Operative to Operative (G04.FR.04): Accepted; every connector's state is
    known (post scenario)."""
    sut = await csms.ready(station_operator)
    await _change(sut, (None, None), "Operative", "Accepted", "1")
    _post_all_reported(csms, (None, None))


@ocpp_case("TC_G_13_CS", version="2.0.1")
async def test_tc_g_13_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Station Inoperative to Inoperative (G04.FR.04): Accepted. Step 3's report of every
    connector Unavailable is judged when sent; its absence is OCTT-specific, as G04.FR.05
    asks only for changed connectors."""
    sut = await csms.ready(station_operator)
    step("(Before) State is Unavailable (the Charging Station)")
    await csms.unavailable(sut, whole="station")
    mark = sut.mark()
    await _change(sut, (None, None), "Inoperative", "Accepted", "1")
    step("3. The Charging Station notifies the state of all connectors")
    await _no_change_report(csms, sut, (None, None), "Unavailable", since=mark, label="step 3")
    _post_all_reported(csms, (None, None))


@ocpp_case("TC_G_14_CS", version="2.0.1")
async def test_tc_g_14_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Station Inoperative during a transaction (G04.FR.06): answered Scheduled; the idle
    EVSEs are reported Unavailable at once (step 3, G04.FR.07), the configured one once the
    transaction ends."""
    sut = await csms.ready(station_operator)
    step("(Before) State is EnergyTransferStarted")
    async with _ev_unplugged_after(csms, station_operator):
        await csms.energy_transfer_started(sut, station_operator)
        mark = sut.mark()
        await _change(sut, (None, None), "Inoperative", "Scheduled", "1")
        step("3. The connectors of the EVSEs without a transaction are reported Unavailable")
        for evse in range(1, csms.config.station.connectors + 1):
            if evse != csms.evse:
                await _reported(csms, sut, (evse, None), "Unavailable", since=mark, label="step 3")
        await _with_transaction(csms, sut, station_operator, (None, None), first=5)


@ocpp_case("TC_G_21_CS", version="2.0.1")
async def test_tc_g_21_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """An Inoperative station stays Inoperative across a reboot (G04.FR.09): after a reset
    every connector is reported Unavailable. Booting is reached by a ResetRequest Immediate
    (the table leaves the cause of the reboot open)."""
    sut = await csms.ready(station_operator)
    step("(Before) State is Unavailable (the Charging Station)")
    await csms.unavailable(sut, whole="station")
    step("1. Execute Reusable State Booting")
    await csms.booted(sut, inoperative=(None, None))
    _post_all_reported(csms, (None, None))


# -- change availability of a connector (G03) -----------------------------------------------
@ocpp_case("TC_G_07_CS", version="2.0.1")
async def test_tc_g_07_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Connector Operative to Inoperative (G03.FR.01/02/04/06): reusable state Unavailable
    for the configured connector (Accepted, reported Unavailable)."""
    sut = await csms.ready(station_operator)
    step("1. Execute Reusable State Unavailable for <Configured connectorId>")
    await csms.unavailable(sut)
    _post_all_reported(csms, (csms.evse, None))


@ocpp_case("TC_G_08_CS", version="2.0.1")
async def test_tc_g_08_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Connector Inoperative to Operative (G03.FR.07): from Unavailable, ChangeAvailability
    Operative for the configured connector is Accepted and it is reported Available."""
    sut = await csms.ready(station_operator)
    step("(Memory State) Unavailable for <Configured connectorId>")
    await csms.unavailable(sut)
    mark = sut.mark()
    scope: Scope = (csms.evse, csms.connector)
    await _change(sut, scope, "Operative", "Accepted", "1")
    step("3. The Charging Station notifies the state of the connector")
    await _reported(csms, sut, scope, "Available", since=mark, label="step 3")


@ocpp_case("TC_G_15_CS", version="2.0.1")
async def test_tc_g_15_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Connector Operative to Operative (G03.FR.03): Accepted."""
    sut = await csms.ready(station_operator)
    await _change(sut, (csms.evse, csms.connector), "Operative", "Accepted", "1")
    _post_all_reported(csms, (None, None))


@ocpp_case("TC_G_16_CS", version="2.0.1")
async def test_tc_g_16_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Connector Inoperative to Inoperative (G03.FR.03): Accepted."""
    sut = await csms.ready(station_operator)
    step("(Before) State is Unavailable for <Configured connectorId>")
    await csms.unavailable(sut)
    await _change(sut, (csms.evse, csms.connector), "Inoperative", "Accepted", "1")
    _post_all_reported(csms, (None, None))


@ocpp_case("TC_G_17_CS", version="2.0.1")
async def test_tc_g_17_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Connector Inoperative during a transaction (G03.FR.05): Scheduled; the connector is
    reported Unavailable once the transaction ends."""
    sut = await csms.ready(station_operator)
    step("(Before) State is EnergyTransferStarted")
    async with _ev_unplugged_after(csms, station_operator):
        await csms.energy_transfer_started(sut, station_operator)
        await _change(sut, (csms.evse, csms.connector), "Inoperative", "Scheduled", "1")
        await _with_transaction(csms, sut, station_operator, (None, None))


@ocpp_case("TC_G_19_CS", version="2.0.1")
async def test_tc_g_19_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """An Inoperative connector stays Inoperative across a reboot (G03.FR.08). Booting is
    reached by a ResetRequest Immediate."""
    sut = await csms.ready(station_operator)
    step("(Before) State is Unavailable for <Configured connectorId>")
    await csms.unavailable(sut)
    step("1. Execute Reusable State Booting")
    await csms.booted(sut, inoperative=(csms.evse, csms.connector))
    _post_all_reported(csms, (None, None))


# -- lock failure (G05) -----------------------------------------------------------------------
@ocpp_case("TC_G_20_CS", version="2.0.1")
async def test_tc_g_20_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Connector lock failure (G05.FR.01/02): with the cable not fully plugged in, so the plug
    retention lock fails, authorizing does not start charging and the station sends a
    NotifyEventRequest ConnectorPlugRetentionLock Problem "true" (trigger Delta).

    The prerequisite "ConnectorPlugRetentionLock defined in its Device Model" is asked with a
    GetVariablesRequest for its Problem variable (not applicable without it); the
    MonitoringLevel prerequisite is left as the station has it. "Cable not fully plugged in"
    is the operator action ``set_lock_failure``, undone at the end. "Did not start charging"
    (post scenario) is judged over one message timeout after the NotifyEvent: no
    TransactionEventRequest with chargingState Charging since the authorization."""
    sut = await csms.ready(station_operator)
    lock = f"ConnectorPlugRetentionLock({csms.evse},{csms.connector}).Problem"
    if await csms.get_variable(sut, lock, step_name="(Prerequisite) GetVariables " + lock) is None:
        raise not_applicable(f"the station does not report {lock} in its Device Model")
    try:
        step("(Before) manual action: the cable is not fully plugged in (lock fails)")
        await station_operator.perform("set_lock_failure", evse_id=csms.evse, failing=True)
        step("(Before) State is EVConnectedPreSession")
        await csms.ev_connected_pre_session(sut, station_operator)
        mark = sut.mark()
        step("1. Execute Reusable State Authorized")
        await csms.authorized(sut, station_operator)
        step("2. The Charging Station sends a NotifyEventRequest")
        event = await sut.wait_for(
            "NotifyEvent",
            lambda p: any(
                (d.get("component") or {}).get("name") == "ConnectorPlugRetentionLock"
                for d in p.get("eventData") or []
            ),
            since=mark,
            describe="NotifyEventRequest for ConnectorPlugRetentionLock (G05.FR.02)",
        )
        data = next(
            d
            for d in event.payload["eventData"]
            if (d.get("component") or {}).get("name") == "ConnectorPlugRetentionLock"
        )
        check(
            data.get("trigger") == "Delta"
            and (data.get("variable") or {}).get("name") == "Problem"
            and str(data.get("actualValue")).lower() == "true",
            "step 2: NotifyEventRequest ConnectorPlugRetentionLock: trigger Delta, variable "
            'Problem, actualValue "true" (G05.FR.02)',
            data,
        )
        step("Post scenario: the Charging Station did not start charging")
        with contextlib.suppress(TargetTimeout):
            charging = await sut.wait_for(
                "TransactionEvent",
                lambda p: p["transactionInfo"].get("chargingState") == "Charging",
                since=mark,
                timeout=csms.config.timeouts.message,
                describe="a TransactionEventRequest with chargingState Charging",
            )
            check(
                False,
                "post scenario: no charging with the connector not locked (G05.FR.01)",
                charging.payload,
            )
    finally:
        with contextlib.suppress(Exception):
            await station_operator.perform("set_lock_failure", evse_id=csms.evse, failing=False)
