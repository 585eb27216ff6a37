"""OCPP 2.0.1, Charging Station under test, E. Transactions part 2: stop options, transaction
status and offline behaviour (2.0.1 Edition 3 Part 6 §2.6 and the 2025 errata).

pytest-ocpp plays the CSMS (the OCTT column of each scenario table). Each case first
re-establishes Part 6 §2.1's general preconditions (``csms.ready``); "Execute Reusable State X"
is one call of the fake CSMS's method for X (Part 6 §2.18, :mod:`pytest_ocpp.csms.states201`).

Offline periods: "the OCTT closes the WebSocket connection AND does not accept a reconnect" is
the fake CSMS closing the connection with ``behaviour.refuse_connections`` set (HTTP 503 to
every attempt) for <Configured RetryBackOffWaitMinimum_duration> (``[station]
retry_backoff_wait_minimum``, at least the sample interval + 1 s), then accepting the next
attempt. What the station queued is judged from the frames: offline true, in seqNo order,
with the timestamps of the offline period (E11.FR.02/06, E12.FR.02).

Departure in the status cases expecting an empty queue (TC_E_28/30/32/34_CS): an answer
messagesInQueue true is asked again for up to the response timeout, with a warning: the
station may not yet have processed our answer to its last message (see ``_transaction_status``).
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import datetime
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201
from pytest_ocpp.csms.base import StationConnection
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.timestamps import timestamp
from pytest_ocpp.verdicts import TargetTimeout, check

from .test_meter_values import _ended, _sample_interval

CLOCK_TOLERANCE = 1.0
"""Seconds a queued event's timestamp may lie outside the offline period (clock skew)."""


def _retry_wait(csms: FakeCsms201) -> int:
    """<Configured RetryBackOffWaitMinimum_duration>, made greater than the sample interval
    (the table's precondition: readings are taken while offline)."""
    return max(csms.retry_backoff_wait_minimum, _sample_interval(csms) + 1)


async def _transaction_status(
    sut: StationConnection, transaction_id: str | None, label: str, *, settled: bool = False
) -> dict[str, Any]:
    """GetTransactionStatusRequest. With ``settled`` (the table expects an empty queue), an
    answer messagesInQueue true is legal while the station has not yet processed our answer
    to its last TransactionEventRequest (both cross on the wire): asked again, with a warning,
    at growing intervals from 0.1 s until the response timeout (``--ocpp-response-timeout``)
    has passed. A queue that stays filled that long is the station's answer."""
    step(f"{label} The OCTT sends a GetTransactionStatusRequest")
    payload = {} if transaction_id is None else {"transactionId": transaction_id}
    answer = await sut.call("GetTransactionStatus", payload)
    if not settled or answer.get("messagesInQueue") is not True:
        return answer
    warn(
        "GetTransactionStatusResponse said messagesInQueue true right after the last "
        "TransactionEventResponse; asked again until the response timeout"
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + sut.link.timeouts.response
    pause = 0.1
    while answer.get("messagesInQueue") is True and loop.time() < deadline:
        await asyncio.sleep(min(pause, max(0.0, deadline - loop.time())))
        pause *= 2
        answer = await sut.call("GetTransactionStatus", payload)
    return answer


def _tx_id(event: IncomingCall) -> str:
    return str(event.payload["transactionInfo"]["transactionId"])


async def _stop_point_authorized(csms: FakeCsms201, sut: StationConnection) -> None:
    """Configuration State "TxStopPoint contains Authorized" (not PowerPathClosed, which the
    prerequisite rules out); a station refusing it is not applicable."""
    points = await csms.tx_stop_points(sut)
    if "Authorized" not in points or "PowerPathClosed" in points:
        await csms.configure(sut, {"TxCtrlr.TxStopPoint": "Authorized"})


# -- E06 stop options --------------------------------------------------------------------------
@ocpp_case("TC_E_15_CS", version="2.0.1", requires="C-10.2 and (C-30 or C-31 or C-32)")
async def test_tc_e_15_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Stop at local deauthorization (E06.FR.03/15): with TxStopPoint Authorized, presenting
    the idToken again ends the transaction: TransactionEventRequest Ended, triggerReason
    StopAuthorized, stoppedReason Local. Events of the transaction before the Ended one (an
    Updated StopAuthorized/ChargingStateChanged) are tolerated."""
    sut = await csms.ready(station_operator)
    await _stop_point_authorized(csms, sut)
    step("(Reusable State) State is EnergyTransferStarted")
    tx_id = _tx_id(await csms.energy_transfer_started(sut, station_operator))
    duration = float(csms.config.station.extra.get("transaction_duration", 0))
    if duration:
        await asyncio.sleep(duration)  # <Configured Transaction Duration>: nothing to await
    token = csms.id_token()
    mark = sut.mark()
    step("Manual action: present the idToken to stop the charging session")
    await station_operator.perform(
        "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=csms.evse
    )
    step("1. The Charging Station sends a TransactionEventRequest")
    event = await csms.transaction_event(
        sut,
        since=mark,
        label=f"Ended for transaction {tx_id}",
        predicate=lambda p: (
            p["transactionInfo"]["transactionId"] == tx_id and p["eventType"] == "Ended"
        ),
    )
    payload = event.payload
    check(
        payload["triggerReason"] == "StopAuthorized",
        "Step 1 TransactionEventRequest: triggerReason StopAuthorized",
        payload,
    )
    check(
        payload["transactionInfo"].get("stoppedReason") == "Local",
        "Step 1 TransactionEventRequest: transactionInfo.stoppedReason Local",
        payload,
    )


@ocpp_case("TC_E_21_CS", version="2.0.1", requires="C-10.2")
async def test_tc_e_21_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Stop by RequestStopTransaction (E06.FR.03/15, F03.FR.09): Accepted, then a
    TransactionEventRequest Ended, triggerReason RemoteStop, stoppedReason Remote."""
    sut = await csms.ready(station_operator)
    await _stop_point_authorized(csms, sut)
    step("(Reusable State) State is EnergyTransferStarted")
    tx_id = _tx_id(await csms.energy_transfer_started(sut, station_operator))
    mark = sut.mark()
    step("1. The OCTT sends a RequestStopTransactionRequest")
    answer = await sut.call("RequestStopTransaction", {"transactionId": tx_id})
    check(
        answer.get("status") == "Accepted",
        "Step 2 RequestStopTransactionResponse: status Accepted",
        answer,
    )
    step("3. The Charging Station sends a TransactionEventRequest")
    event = await csms.transaction_event(
        sut,
        since=mark,
        label=f"Ended for transaction {tx_id}",
        predicate=lambda p: (
            p["transactionInfo"]["transactionId"] == tx_id and p["eventType"] == "Ended"
        ),
    )
    payload = event.payload
    check(
        payload["triggerReason"] == "RemoteStop",
        "Step 3 TransactionEventRequest: triggerReason RemoteStop",
        payload,
    )
    check(
        payload["transactionInfo"].get("stoppedReason") == "Remote",
        "Step 3 TransactionEventRequest: transactionInfo.stoppedReason Remote",
        payload,
    )


# -- E14 transaction status ------------------------------------------------------------------
def _check_status(label: str, answer: dict[str, Any], ongoing: bool | None, queued: bool) -> None:
    if ongoing is None:
        check(
            "ongoingIndicator" not in answer,
            f"{label} GetTransactionStatusResponse: ongoingIndicator omitted",
            answer,
        )
    else:
        check(
            answer.get("ongoingIndicator") is ongoing,
            f"{label} GetTransactionStatusResponse: ongoingIndicator {str(ongoing).lower()}",
            answer,
        )
    check(
        answer.get("messagesInQueue") is queued,
        f"{label} GetTransactionStatusResponse: messagesInQueue {str(queued).lower()}",
        answer,
    )


@ocpp_case("TC_E_28_CS", version="2.0.1")
async def test_tc_e_28_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Status of an unknown transaction (E14.FR.01): ongoingIndicator false, messagesInQueue
    false."""
    sut = await csms.ready(station_operator)
    answer = await _transaction_status(sut, str(uuid.uuid4()), "1.", settled=True)
    _check_status("Step 2", answer, False, False)


@ocpp_case("TC_E_30_CS", version="2.0.1")
async def test_tc_e_30_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Status of a running transaction with nothing queued (E14.FR.02/05): ongoingIndicator
    true, messagesInQueue false."""
    sut = await csms.ready(station_operator)
    step("(Reusable State) State is EnergyTransferStarted")
    tx_id = _tx_id(await csms.energy_transfer_started(sut, station_operator))
    answer = await _transaction_status(sut, tx_id, "1.", settled=True)
    _check_status("Step 2", answer, True, False)


@ocpp_case("TC_E_32_CS", version="2.0.1")
async def test_tc_e_32_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Status of an ended transaction with nothing queued (E14.FR.03/05): ongoingIndicator
    false, messagesInQueue false."""
    sut = await csms.ready(station_operator)
    step("(Reusable State) State is EnergyTransferStarted")
    tx_id = _tx_id(await csms.energy_transfer_started(sut, station_operator))
    step("(Reusable State) State is ParkingBayUnoccupied")
    await csms.parking_bay_unoccupied(sut, station_operator)
    await _ended(sut, tx_id)
    answer = await _transaction_status(sut, tx_id, "1.", settled=True)
    _check_status("Step 2", answer, False, False)


@ocpp_case("TC_E_34_CS", version="2.0.1")
async def test_tc_e_34_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Status without a transactionId, nothing queued (E14.FR.06/08): ongoingIndicator
    omitted, messagesInQueue false."""
    sut = await csms.ready(station_operator)
    answer = await _transaction_status(sut, None, "1.", settled=True)
    _check_status("Step 2", answer, None, False)


# -- E11 offline -----------------------------------------------------------------------------
async def _offline_configuration(csms: FakeCsms201, sut: StationConnection) -> int:
    """The offline cases' Configuration State; returns the retry wait."""
    interval = _sample_interval(csms)
    wait = _retry_wait(csms)
    await csms.configure(
        sut,
        {
            "SampledDataCtrlr.TxUpdatedInterval": str(interval),
            "OCPPCommCtrlr.OfflineThreshold": str(wait + 60),
            "OCPPCommCtrlr.RetryBackOffWaitMinimum": str(wait),
            "OCPPCommCtrlr.RetryBackOffRandomRange": "0",
        },
    )
    return wait


async def _offline_period(
    csms: FakeCsms201, sut: StationConnection, wait: int
) -> tuple[StationConnection, datetime, datetime, int]:
    """Steps 1-2: close the connection, refuse reconnects for ``wait`` seconds, accept the
    next attempt. Returns the new connection, when the outage began and ended, and the inbox
    position (on the new connection) from which queued messages arrive."""
    generation = csms.generation
    step("1. The OCTT closes the WebSocket connection AND does not accept a reconnect")
    csms.behaviour.refuse_connections = True
    began = datetime.now().astimezone()
    await csms.drop_connection()
    await asyncio.sleep(wait)  # the table's RetryBackOffWaitMinimum wait: nothing to await
    step("2. The OCTT accepts a reconnection attempt from the Charging Station")
    csms.behaviour.refuse_connections = False
    timeout = 4 * wait + csms.config.timeouts.connect  # backoff doubles after each refusal
    new = await csms.next_connection(after=generation, timeout=timeout)
    ended = datetime.now().astimezone()  # offline until the new connection opened
    return new, began, ended, 0


def _check_queued(
    label: str, events: list[IncomingCall], began: datetime, ended: datetime, last_seq: int
) -> None:
    """Queued events: offline true, seqNo rising from the last one seen before the outage
    (that one may come again: its answer may have been lost with the connection), timestamps
    of the offline period for the new ones (they were generated then, E11.FR.02/06)."""
    seq = last_seq
    for event in events:
        payload = event.payload
        check(payload.get("offline") is True, f"{label}: offline true", payload)
        number = int(payload["seqNo"])
        check(
            number > seq or number == last_seq == seq,
            f"{label}: queued TransactionEventRequests arrive in order (seqNo above {seq})",
            payload,
        )
        seq = number
        if number == last_seq:
            continue  # a redelivery of the event sent just before the outage
        moment = timestamp(str(payload["timestamp"]))
        check(
            (began - moment).total_seconds() <= CLOCK_TOLERANCE
            and (moment - ended).total_seconds() <= CLOCK_TOLERANCE,
            f"{label}: timestamp of the offline period ({began.isoformat()} - "
            f"{ended.isoformat()}), when the event occurred",
            payload,
        )


@ocpp_case("TC_E_40_CS", version="2.0.1")
async def test_tc_e_40_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Connection loss during a transaction (E11.FR.01/02/06): the periodic events of the
    offline period are queued and delivered on reconnection: eventType Updated, meterValue
    present, offline true, in order, with their original timestamps (within the offline
    period; periodic ones the sample interval apart, as sampled). SampledDataEnabled is
    set only where it is not already true (a ReadOnly true satisfies the table). Departure:
    events the station generates after the reconnection (offline absent) are tolerated; the
    queued ones are those up to the first event without offline true."""
    sut = await csms.ready(station_operator)
    if (await csms.get_variable(sut, "SampledDataCtrlr.Enabled") or "true").lower() != "true":
        await csms.configure(sut, {"SampledDataCtrlr.Enabled": "true"})
    wait = await _offline_configuration(csms, sut)
    step("(Reusable State) State is EnergyTransferStarted")
    tx_id = _tx_id(await csms.energy_transfer_started(sut, station_operator))
    before = [
        c
        for c in sut.link.inbox
        if c.action == "TransactionEvent" and _tx_id(c) == tx_id and not c.problems
    ]
    last_seq = max(int(c.payload["seqNo"]) for c in before)
    sut, began, ended, since = await _offline_period(csms, sut, wait)
    step("3. The Charging Station sends its queued TransactionEventRequests")
    first = await csms.transaction_event(
        sut,
        since=since,
        label=f"queued for transaction {tx_id} (offline true)",
        predicate=lambda p: p["transactionInfo"]["transactionId"] == tx_id,
    )
    queued = [first]
    while queued[-1].payload.get("offline") is True:
        try:
            queued.append(
                await sut.wait_for(
                    "TransactionEvent",
                    lambda p: p["transactionInfo"]["transactionId"] == tx_id,
                    since=sut.link.inbox.index(queued[-1]) + 1,
                    timeout=csms.config.timeouts.message,
                    describe="the next TransactionEventRequest",
                )
            )
        except TargetTimeout:  # the queue is empty: nothing more came
            break
    queued = [c for c in queued if c.payload.get("offline") is True] or [first]
    for event in queued:
        if int(event.payload["seqNo"]) == last_seq:
            continue  # redelivered from before the outage (its answer was lost)
        check(
            event.payload["eventType"] == "Updated",
            "Step 3 TransactionEventRequest: eventType Updated",
            event.payload,
        )
        check(
            bool(event.payload.get("meterValue")),
            "Step 3 TransactionEventRequest: meterValue present",
            event.payload,
        )
    _check_queued("Step 3 TransactionEventRequest", queued, began, ended, last_seq)
    periodic = [
        timestamp(str(c.payload["timestamp"]))
        for c in queued
        if c.payload["triggerReason"] == "MeterValuePeriodic"
    ]
    interval = _sample_interval(csms)
    for before_, after_ in itertools.pairwise(periodic):
        gap = (after_ - before_).total_seconds()
        check(
            gap >= interval - CLOCK_TOLERANCE,
            f"Step 3 TransactionEventRequest: queued periodic events keep the timestamp of "
            f"their sampling, the {interval} s SampledDataTxUpdatedInterval apart (not the "
            "time they were sent)",
            f"{before_.isoformat()} → {after_.isoformat()} ({gap:g} s)",
        )


# -- E08 stop while offline ------------------------------------------------------------------
@ocpp_case("TC_E_44_CS", version="2.0.1", requires="C-30 or C-35")
async def test_tc_e_44_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Stop while offline (E08.FR.01/04-08): with the connection down, the driver presents
    the same idToken and unplugs (and drives off where TxStopPoint has ParkingBayOccupancy);
    on reconnection every queued TransactionEventRequest has offline true, in order with the
    timestamps of the offline period, and one is Ended. Departure: the operator's actions
    happen while reconnects are refused, then the CSMS accepts the next attempt after
    <Configured RetryBackOffWaitMinimum_duration> (counted from the drop, as in TC_E_40_CS);
    events after the queue (offline absent) are tolerated."""
    sut = await csms.ready(station_operator)
    wait = _retry_wait(csms)
    await csms.configure(
        sut,
        {
            "OCPPCommCtrlr.OfflineThreshold": str(wait + 60),
            "OCPPCommCtrlr.RetryBackOffWaitMinimum": str(wait),
            "OCPPCommCtrlr.RetryBackOffRandomRange": "0",
        },
    )
    step("(Reusable State) State is EnergyTransferStarted")
    tx_id = _tx_id(await csms.energy_transfer_started(sut, station_operator))
    last_seq = max(
        int(c.payload["seqNo"])
        for c in sut.link.inbox
        if c.action == "TransactionEvent" and not c.problems and _tx_id(c) == tx_id
    )
    stop_points = await csms.tx_stop_points(sut)
    token = csms.id_token()
    generation = csms.generation
    step("1. The OCTT closes the WebSocket connection AND does not accept a reconnect")
    csms.behaviour.refuse_connections = True
    began = datetime.now().astimezone()
    await csms.drop_connection()
    step("Manual action: present the same idToken as used to start the transaction")
    await station_operator.perform(
        "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=csms.evse
    )
    step("Manual action: disconnect the EV and EVSE")
    await station_operator.perform("plug_out", evse_id=csms.evse, connector_id=csms.connector)
    if "ParkingBayOccupancy" in stop_points:
        step("Manual action: drive the EV out of the parking bay")
        await station_operator.perform("unpark", evse_id=csms.evse)
    remaining = wait - (datetime.now().astimezone() - began).total_seconds()
    if remaining > 0:
        await asyncio.sleep(remaining)  # the RetryBackOffWaitMinimum outage: nothing to await
    step("2. The OCTT accepts the reconnection attempt from the Charging Station")
    csms.behaviour.refuse_connections = False
    sut = await csms.next_connection(
        after=generation, timeout=4 * wait + csms.config.timeouts.connect
    )
    ended = datetime.now().astimezone()  # offline until the new connection opened
    csms.ev_connected = False
    step("3. The Charging Station sends its queued TransactionEventRequests")
    queued: list[IncomingCall] = []
    while not queued or queued[-1].payload["eventType"] != "Ended":
        queued.append(
            await csms.transaction_event(
                sut,
                since=0 if not queued else sut.link.inbox.index(queued[-1]) + 1,
                label=f"queued for transaction {tx_id} (offline true), up to the Ended one",
                predicate=lambda p: p["transactionInfo"]["transactionId"] == tx_id,
            )
        )
        check(
            queued[-1].payload.get("offline") is True,
            "Step 3 TransactionEventRequest: offline true (queued while offline)",
            queued[-1].payload,
        )
    _check_queued("Step 3 TransactionEventRequest", queued, began, ended, last_seq)


# -- E14 transaction status with messages in the queue ---------------------------------------
async def _status_with_queue(
    csms: FakeCsms201, station_operator: StationOperator, *, with_id: bool
) -> None:
    """TC_E_29_CS / TC_E_33_CS: offline during a transaction, then GetTransactionStatus the
    moment the connection is restored, then the queue. The fake CSMS holds its answer to
    the queued TransactionEventRequests until the GetTransactionStatusResponse arrived, so the
    status is asked while the queue is still filled, whatever the station's speed (a station
    waits for each answer before sending the next, OCPP-J §4.1.1)."""
    sut = await csms.ready(station_operator)
    wait = await _offline_configuration(csms, sut)
    step("(Reusable State) State is EnergyTransferStarted")
    tx_id = _tx_id(await csms.energy_transfer_started(sut, station_operator))
    last_seq = max(
        int(c.payload["seqNo"])
        for c in sut.link.inbox
        if c.action == "TransactionEvent" and not c.problems and _tx_id(c) == tx_id
    )
    answer_tx = csms.default_handlers()["TransactionEvent"]
    held: list[IncomingCall] = []
    releasing = False

    def holding_handlers() -> dict[str, Any]:
        handlers = FakeCsms201.default_handlers(csms)

        def hold(call: IncomingCall) -> dict[str, Any] | None:
            if releasing:
                return answer_tx(call)  # type: ignore[return-value]
            held.append(call)
            return None  # answered below, once the status is known

        handlers["TransactionEvent"] = hold
        return handlers

    csms.default_handlers = holding_handlers  # type: ignore[method-assign]
    try:
        sut, began, ended, _ = await _offline_period(csms, sut, wait)
        answer = await _transaction_status(sut, tx_id if with_id else None, "3.")
        _check_status("Step 4", answer, True if with_id else None, True)
    finally:
        releasing = True
        del csms.default_handlers  # type: ignore[method-assign]
        for item in held:  # also after a failure: the station must not stay blocked
            if not item.replied:
                await item.reply(answer_tx(item))  # type: ignore[arg-type]
    step("5. The Charging Station sends its queued TransactionEventRequests")
    first = await csms.transaction_event(
        sut,
        since=0,
        label=f"queued for transaction {tx_id} (offline true)",
        predicate=lambda p: p["transactionInfo"]["transactionId"] == tx_id,
    )
    queued = [first] + [
        c
        for c in sut.link.inbox[sut.link.inbox.index(first) + 1 :]
        if c.action == "TransactionEvent" and _tx_id(c) == tx_id and c.payload.get("offline")
    ]
    for event in queued:
        if int(event.payload["seqNo"]) == last_seq:
            continue  # redelivered from before the outage (its answer was lost)
        check(
            event.payload["eventType"] == "Updated",
            "Step 5 TransactionEventRequest: eventType Updated",
            event.payload,
        )
        check(
            bool(event.payload.get("meterValue")),
            "Step 5 TransactionEventRequest: meterValue present",
            event.payload,
        )
    _check_queued("Step 5 TransactionEventRequest", queued, began, ended, last_seq)


@ocpp_case("TC_E_29_CS", version="2.0.1")
async def test_tc_e_29_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Status of a running transaction with messages queued (E14.FR.02/04): after an
    offline period, GetTransactionStatus with the transactionId answers ongoingIndicator
    true and messagesInQueue true; the queued events follow: Updated, meterValue present,
    offline true, in order with their original timestamps. Departure: the fake CSMS holds its
    answers to the queued events until the status is answered (see ``_status_with_queue``);
    SampledDataTxUpdatedMeasurands is left as the station has it (no configured list)."""
    await _status_with_queue(csms, station_operator, with_id=True)


@ocpp_case("TC_E_33_CS", version="2.0.1")
async def test_tc_e_33_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Status without transactionId with messages queued (E14.FR.06/07): ongoingIndicator
    omitted, messagesInQueue true; the queued events as in TC_E_29_CS (same departures)."""
    await _status_with_queue(csms, station_operator, with_id=False)


# -- E13 retries -----------------------------------------------------------------------------
def _attempts(csms: FakeCsms201) -> int:
    """<Configured message Attempts transaction event> (``[station]
    message_attempts_transaction_event``, 3 when absent)."""
    return int(csms.config.station.extra.get("message_attempts_transaction_event", 3))


def _attempt_interval(csms: FakeCsms201) -> int:
    """<Configured message Attempts transaction event interval> (``[station]
    message_attempt_interval_transaction_event``, 1 s when absent: the shortest, as OCTT sets
    the intervals a case waits on)."""
    return int(csms.config.station.extra.get("message_attempt_interval_transaction_event", 1))


async def _retries(
    csms: FakeCsms201,
    station_operator: StationOperator,
    *,
    answer_at: int | None,
    call_error: bool,
    minimum: int,
) -> None:
    """TC_E_41/50/42/51_CS: the CSMS fails to process a TransactionEventRequest (no answer,
    or CallError InternalError with ``call_error``) except at transmission ``answer_at``
    (None: never); the station sends it again after MessageAttemptInterval × the number of
    preceding transmissions (+ MessageTimeout when unanswered), MessageAttempts times in all
    or until answered, then no more within one further iteration (E13.FR.01-04).

    Departure: the message to fail is the next MeterValuePeriodic event, with
    SampledDataTxUpdatedInterval set to the sample interval, instead of "the next
    TransactionEventRequest" after EVConnectedPreSession: the one after plug-in may already be
    on its way when the state ends, and only a claim made before it arrives can leave it
    unanswered."""
    sut = await csms.ready(station_operator)
    attempts = _attempts(csms)
    interval = _attempt_interval(csms)
    check(
        attempts >= minimum,
        f"(configuration) <Configured message Attempts transaction event> is at least {minimum}",
        attempts,
    )
    await csms.configure(
        sut,
        {
            "OCPPCommCtrlr.MessageAttempts[TransactionEvent]": str(attempts),
            "OCPPCommCtrlr.MessageAttemptInterval[TransactionEvent]": str(interval),
            "SampledDataCtrlr.TxUpdatedInterval": str(_sample_interval(csms)),
        },
    )
    timeout = int(await csms.get_variable(sut, "OCPPCommCtrlr.MessageTimeout[Default]") or 30)
    step("(Reusable State) State is Authorized")
    await csms.authorized(sut, station_operator)
    step("(Reusable State) State is EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    tx_id = str(csms.transaction_id)
    answer_tx = FakeCsms201.default_handlers(csms)["TransactionEvent"]
    wait_one = interval * attempts + timeout + csms.config.timeouts.message
    step("5. The Charging Station sends a TransactionEventRequest (not processed by the OCTT)")
    first = await sut.expect_call(
        "TransactionEvent",
        lambda p: (
            p["transactionInfo"]["transactionId"] == tx_id
            and p["triggerReason"] == "MeterValuePeriodic"
        ),
        timeout=_sample_interval(csms) + csms.config.timeouts.message,
    )
    key = (first.payload["seqNo"], first.payload["eventType"], first.payload["triggerReason"])
    sent = [first]

    def same(p: dict[str, Any]) -> bool:
        return (p["seqNo"], p["eventType"], p["triggerReason"]) == key and (
            p["transactionInfo"]["transactionId"] == tx_id
        )

    last = attempts if answer_at is None else answer_at
    while True:
        item = sent[-1]
        if len(sent) == answer_at:
            await item.reply(answer_tx(item))  # type: ignore[arg-type]
        elif call_error:
            await item.reply_error("InternalError", "simulated CSMS failure")
        if len(sent) >= last:
            break
        n = len(sent)
        step(f"5. Transmission {n + 1} of the same TransactionEventRequest")
        sent.append(await sut.expect_call("TransactionEvent", same, timeout=wait_one))
        gap = sent[-1].received_at - sent[-2].received_at
        expected = interval * n + (0 if call_error else timeout)
        check(
            gap >= expected - CLOCK_TOLERANCE,
            f"Step 5: transmission {n + 1} comes MessageAttemptInterval × {n}"
            + ("" if call_error else " + MessageTimeout")
            + f" = {expected} s after the previous one",
            f"{gap:.1f} s",
        )
    step("The OCTT waits one more iteration: the station stops resending")
    extra = interval * (len(sent) + 1) + timeout + CLOCK_TOLERANCE
    try:
        again = await sut.expect_call("TransactionEvent", same, timeout=extra)
    except TargetTimeout:
        return
    await again.reply(answer_tx(again))  # type: ignore[arg-type]
    check(
        False,
        f"Step 5: the TransactionEventRequest is sent {len(sent)} time(s) in all"
        + (f" (MessageAttempts {attempts})" if answer_at is None else " (answered then)"),
        again.payload,
    )


@ocpp_case("TC_E_41_CS", version="2.0.1")
async def test_tc_e_41_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Max retry count reached, no answer (E13.FR.01-04): an unanswered TransactionEventRequest
    is sent MessageAttempts times, each after MessageAttemptInterval × the preceding
    transmissions + MessageTimeout, then dropped. See ``_retries`` for the departure."""
    await _retries(csms, station_operator, answer_at=None, call_error=False, minimum=2)


@ocpp_case("TC_E_50_CS", version="2.0.1")
async def test_tc_e_50_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Max retry count reached, CallError (E13.FR.01-04): a TransactionEventRequest answered
    CallError InternalError is sent MessageAttempts times, each after MessageAttemptInterval ×
    the preceding transmissions, then dropped. See ``_retries`` for the departure."""
    await _retries(csms, station_operator, answer_at=None, call_error=True, minimum=2)


@ocpp_case("TC_E_42_CS", version="2.0.1")
async def test_tc_e_42_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Success before the max retry count, no answer (E13.FR.01-03): the first transmission
    is left unanswered, the second answered; no third. See ``_retries``."""
    await _retries(csms, station_operator, answer_at=2, call_error=False, minimum=3)


@ocpp_case("TC_E_51_CS", version="2.0.1")
async def test_tc_e_51_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Success before the max retry count, CallError (E13.FR.01-03): the first transmission
    gets CallError InternalError, the second a TransactionEventResponse; no third. See
    ``_retries``."""
    await _retries(csms, station_operator, answer_at=2, call_error=True, minimum=3)
