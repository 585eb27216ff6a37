"""OCPP 2.0.1, Charging Station under test, I. Tariff and Cost (2.0.1 Edition 3 Part 6 §2.10,
Tables 240-242; the 2025 errata change only the CSMS-side versions).

pytest-ocpp plays the CSMS (the OCTT column of each scenario table): it tells the driver the
running cost with a CostUpdatedRequest (TC_I_01_CS) or in TransactionEventResponses
(TC_I_07_CS), and the final cost in the response to the Ended event (TC_I_02_CS). Each case
first re-establishes Part 6 §2.1's general preconditions (``csms.ready``).

What the station shows its driver is not visible through OCPP: the cases judge what the
tables judge (the authorization's requests, the CostUpdatedResponse) and that the station
keeps reporting the transaction after each cost it was told (the repeated steps 6-9).

Configured values: <Configured Cost> (the personal message text) is ``[station] cost_message``
(default "Cost so far: 1.23 EUR"), <Configured Cost2> / <Generated Cost> (a totalCost) is
``[station] total_cost`` (default 1.23).

Departures, all cases with repeated steps (TC_I_01/07_CS): "Step 6, 7, 8 and 9 are repeated n
times" needs TransactionEventRequests during charging, which only
SampledDataCtrlr.TxUpdatedInterval makes the station send: it is set to 1 s (its shortest
legal value) as a configuration state (a station refusing keeps its own, with a warning), and
n is 2. TC_I_07_CS step 8 ("The OCTT sends a
TransactionEventRequest with totalCost") is the TransactionEventResponse of step 7 carrying
totalCost <Configured Cost2>, as the case's title says (a CSMS sends no TransactionEventRequest).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import NotApplicable, check

REPEATS = 2
"""n of "Step 6, 7, 8 and 9 are repeated n times"."""

UPDATE_INTERVAL = "1"
"""SampledDataCtrlr.TxUpdatedInterval (s) while the running cost is shown."""


def _cost_message(csms: FakeCsms201) -> dict[str, str]:
    """MessageContentType with <Configured Cost>."""
    text = str(csms.config.station.extra.get("cost_message", "Cost so far: 1.23 EUR"))
    return {"format": "ASCII", "content": text}


def _total_cost(csms: FakeCsms201) -> float:
    return float(csms.config.station.extra.get("total_cost", 1.23))


async def _answered(
    csms: FakeCsms201,
    sut: StationConnection,
    future: Any,
    what: str,
    extra: Callable[[IncomingCall], dict[str, Any]],
    *,
    timeout: float | None = None,
) -> IncomingCall:
    """Await a claimed request and answer it as the fake CSMS would (its bookkeeping of
    transactions included) plus ``extra``."""
    try:
        item = await sut.link.wait_claimed(future, what, timeout)
    finally:
        sut.link.unclaim(future)
    answer = csms.default_handlers()[item.action](item)
    await item.reply({**answer, **extra(item)})  # type: ignore[dict-item]
    return item


async def _authorize_with_cost(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator
) -> None:
    """Steps 1-4 of TC_I_01/07_CS, after EVConnectedPreSession: the valid idToken is
    presented; its AuthorizeRequest is answered Accepted with personalMessage <Configured
    Cost>; when TxStartPoint contains Authorized or the transaction already started, the
    TransactionEventRequest with triggerReason Authorized is answered Accepted."""
    token = csms.id_token()
    points = await csms.tx_start_points(sut)
    started = csms.transaction_id is not None
    expect_event = "Authorized" in points or started
    mark = sut.mark()
    authorize = sut.link.claim("Authorize")
    event = (
        sut.link.claim(
            "TransactionEvent", lambda p: p["triggerReason"] == "Authorized" or "idToken" in p
        )
        if expect_event
        else None
    )
    try:
        step("Manual action: present valid idToken")
        await operator.perform(
            "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=csms.evse
        )
        step("1. The Charging Station sends an AuthorizeRequest")
        message = _cost_message(csms)
        item = await _answered(
            csms,
            sut,
            authorize,
            "AuthorizeRequest for the presented idToken",
            lambda _i: {"idTokenInfo": {"status": "Accepted", "personalMessage": message}},
        )
        got = item.payload.get("idToken") or {}
        check(
            got.get("idToken") == token["idToken"] and got.get("type") == token["type"],
            f"Step 1: AuthorizeRequest idToken.idToken {token['idToken']}, idToken.type "
            f"{token['type']}",
            item.payload,
        )
        if event is not None:
            step("3. The Charging Station sends a TransactionEventRequest (Authorized)")
            item = await _answered(
                csms,
                sut,
                event,
                "TransactionEventRequest with triggerReason Authorized",
                lambda _i: {"idTokenInfo": {"status": "Accepted"}},
            )
            payload = item.payload
            check(
                payload["triggerReason"] == "Authorized",
                "Step 3: TransactionEventRequest triggerReason Authorized",
                payload,
            )
            got = payload.get("idToken") or {}
            check(
                got.get("idToken") == token["idToken"] and got.get("type") == token["type"],
                f"Step 3: TransactionEventRequest idToken.idToken {token['idToken']}, "
                f"idToken.type {token['type']}",
                payload,
            )
            wanted = "Updated" if started else "Started"
            check(
                payload["eventType"] == wanted,
                f"Step 3: TransactionEventRequest eventType {wanted} (the transaction "
                f"{'was already' if started else 'was not yet'} started)",
                payload,
            )
            csms.transaction_id = str(payload["transactionInfo"]["transactionId"])
    finally:
        sut.link.unclaim(authorize)
        if event is not None:
            sut.link.unclaim(event)
    csms.auth_mark = mark
    csms.session_authorized = True
    csms.state = "Authorized"


async def _running_cost(
    csms: FakeCsms201,
    station_operator: StationOperator,
    *,
    cost_updated: bool,
) -> None:
    """TC_I_01_CS (``cost_updated``) and TC_I_07_CS."""
    sut = await csms.ready(station_operator)
    interval = float(UPDATE_INTERVAL)
    try:
        await csms.configure(sut, {"SampledDataCtrlr.TxUpdatedInterval": UPDATE_INTERVAL})
    except NotApplicable:
        current = await csms.get_variable(sut, "SampledDataCtrlr.TxUpdatedInterval")
        warn(f"SampledDataCtrlr.TxUpdatedInterval stays {current}: the station refused 1 s")
        interval = float(current or 0) or interval
    step("(Before) State is EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    await _authorize_with_cost(csms, sut, station_operator)
    step("5. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    tx_id = csms.transaction_id
    message = _cost_message(csms)
    total = _total_cost(csms)
    wait = interval + csms.config.timeouts.message
    for n in range(1, REPEATS + 1):
        step(f"6. ({n}/{REPEATS}) The Charging Station sends a TransactionEventRequest")
        claim = sut.link.claim(
            "TransactionEvent",
            lambda p: (
                p["eventType"] == "Updated" and p["transactionInfo"]["transactionId"] == tx_id
            ),
        )
        fields: dict[str, Any] = {"updatedPersonalMessage": message}
        if not cost_updated:
            fields["totalCost"] = total
        step(
            f"7. ({n}/{REPEATS}) The OCTT responds with a TransactionEventResponse with "
            + ", ".join(fields)
        )
        await _answered(
            csms,
            sut,
            claim,
            f"TransactionEventRequest Updated for transaction {tx_id} (it is charging; "
            f"TxUpdatedInterval {interval:g} s; {n - 1} running cost(s) shown so far)",
            lambda _i, f=fields: f,
            timeout=wait,
        )
        if cost_updated:
            step(f"8. ({n}/{REPEATS}) The OCTT sends a CostUpdatedRequest")
            answer = await sut.call(
                "CostUpdated", {"totalCost": total, "transactionId": tx_id}, allow_error=True
            )
            check(
                "errorCode" not in answer,
                "Step 9: the Charging Station responds with a CostUpdatedResponse (I02.FR.02)",
                answer,
            )


@ocpp_case("TC_I_01_CS", version="2.0.1")
async def test_tc_i_01_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Running total cost by CostUpdatedRequest (I02.FR.02): EVConnectedPreSession; the
    idToken's AuthorizeRequest (answered with a personal message) and, when TxStartPoint
    contains Authorized, its TransactionEventRequest Authorized (Started, or Updated when
    the plug-in started the transaction); EnergyTransferStarted; then twice: a
    TransactionEventRequest answered with updatedPersonalMessage, and a CostUpdatedRequest
    answered with a CostUpdatedResponse (see the module docstring for the departures)."""
    await _running_cost(csms, station_operator, cost_updated=True)


@ocpp_case("TC_I_07_CS", version="2.0.1")
async def test_tc_i_07_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Running total cost in TransactionEventResponses (I02.FR.02/04): as TC_I_01_CS, the
    running cost given as totalCost with the updatedPersonalMessage of the response to each
    TransactionEventRequest during charging; the station keeps reporting the transaction."""
    await _running_cost(csms, station_operator, cost_updated=False)


@contextlib.asynccontextmanager
async def _final_cost(csms: FakeCsms201, sut: StationConnection) -> AsyncIterator[None]:
    """ "IF TransactionEventRequest eventType Ended THEN TransactionEventResponse totalCost
    <Generated Cost>": the fake CSMS answers every Ended event so while the states run."""
    original = sut.link.handlers["TransactionEvent"]
    total = _total_cost(csms)

    def answer(item: IncomingCall) -> Any:
        result = original(item)
        if item.payload.get("eventType") == "Ended":
            return {**result, "totalCost": total}  # type: ignore[dict-item]
        return result

    sut.link.handlers["TransactionEvent"] = answer
    try:
        yield
    finally:
        sut.link.handlers["TransactionEvent"] = original


@ocpp_case("TC_I_02_CS", version="2.0.1")
async def test_tc_i_02_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Final total cost (I03.FR.01/03): from EnergyTransferStarted, StopAuthorized,
    EVConnectedPostSession, EVDisconnected and ParkingBayUnoccupied, the transaction's Ended
    event (wherever TxStopPoint puts it) answered with totalCost <Generated Cost>. The table
    has no tool validation of its own: the states' validations judge the station."""
    sut = await csms.ready(station_operator)
    step("(Before) State is EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    async with _final_cost(csms, sut):
        step("1. Execute Reusable State StopAuthorized (manual action: present valid idToken)")
        await csms.stop_authorized(sut, station_operator)
        step("2. Execute Reusable State EVConnectedPostSession")
        await csms.ev_connected_post_session(sut, station_operator)
        step("3. Execute Reusable State EVDisconnected")
        await csms.ev_disconnected(sut, station_operator)
        step("4. Execute Reusable State ParkingBayUnoccupied")
        await csms.parking_bay_unoccupied(sut, station_operator)
