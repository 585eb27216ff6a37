"""OCPP 2.0.1, Charging Station under test, J. MeterValues (2.0.1 Edition 3 Part 6 §2.11 and
the 2025 errata).

pytest-ocpp plays the CSMS (the OCTT column of each scenario table). Each case first
re-establishes Part 6 §2.1's general preconditions (``csms.ready``); "Execute Reusable State X"
is one call of the fake CSMS's method for X (Part 6 §2.18, :mod:`pytest_ocpp.csms.states201`).

The tables' <Configured ...> intervals come from the ``[station]`` keys
``clock_aligned_data_interval`` (AlignedDataInterval and AlignedDataTxEndedInterval) and
``meter_value_sample_interval`` (SampledDataTxUpdatedInterval and TxEndedInterval), 10 s when
absent; ``transaction_duration`` is <Configured transaction duration>. Where a table ends a
case "after three Meter Value messages" or after the transaction duration, the case waits for
the reports it needs to judge the interval (readings of at least two distinct moments), each
within one interval plus ``--ocpp-message-timeout``.

Every case also applies erratum 6.2.58 (2024-09): no sampledValue of the judged messages has
location EV, unless its measurand is SoC.

Departures common to all: the interval between timestamps is judged with a tolerance of 1 s
(timestamps are taken from real clocks); the readings of one moment may be split over several
messages (the tables allow it), so "an element per configured measurand" is judged over the
union of the readings with the same timestamp.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201
from pytest_ocpp.csms.base import StationConnection
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.timestamps import timestamp
from pytest_ocpp.verdicts import check

ENERGY = "Energy.Active.Import.Register"
DEFAULT_INTERVAL = 2
"""Seconds of the configured meter-value intervals when the config names none: short, as OCTT
sets them, and above :data:`TOLERANCE` so that the spacing checks mean something."""
TOLERANCE = 1.0
"""Seconds two timestamps may be off the configured interval (clocks, rounding)."""


# -- configuration --------------------------------------------------------------------------
def _clock_interval(csms: FakeCsms201) -> int:
    """<Configured clock-aligned Meter Values interval> (``[station]
    clock_aligned_data_interval``)."""
    return int(csms.config.station.extra.get("clock_aligned_data_interval", DEFAULT_INTERVAL))


def _sample_interval(csms: FakeCsms201) -> int:
    """<Configured sampled Meter Values interval> (``[station] meter_value_sample_interval``)."""
    return int(csms.config.station.extra.get("meter_value_sample_interval", DEFAULT_INTERVAL))


def _duration(csms: FakeCsms201) -> float:
    return float(csms.config.station.extra.get("transaction_duration", 0))


async def _configure_if_implemented(
    csms: FakeCsms201, sut: StationConnection, text: str, value: str
) -> None:
    """A configuration line the table marks "(If implemented)": set when the station has it."""
    if await csms.get_variable(sut, text) is not None:
        await csms.configure(sut, {text: value})


async def _measurands(csms: FakeCsms201, sut: StationConnection, text: str) -> list[str]:
    value = await csms.get_variable(sut, text) or ""
    return [m.strip() for m in value.split(",") if m.strip()]


# -- judging readings -----------------------------------------------------------------------
def _check_measurands(label: str, values: Iterable[dict[str, Any]], wanted: list[str]) -> None:
    """Every moment's readings hold an element per configured measurand (the measurand may be
    omitted for Energy.Active.Import.Register, its default)."""
    moments: dict[str, set[str]] = {}
    for value in values:
        got = moments.setdefault(str(value["timestamp"]), set())
        got.update(str(s.get("measurand", ENERGY)) for s in value.get("sampledValue") or [])
    for moment, got in moments.items():
        missing = [m for m in wanted if m not in got]
        check(
            not missing,
            f"{label}: sampledValue holds an element per configured measurand "
            f"({', '.join(wanted)}) at {moment}",
            sorted(got),
        )


def _check_context(label: str, values: Iterable[dict[str, Any]], context: str) -> None:
    for value in values:
        first = (value.get("sampledValue") or [{}])[0]
        check(
            first.get("context", "Sample.Periodic") == context,
            f"{label}: sampledValue[0].context {context}",
            value,
        )


def _check_interval(label: str, values: Iterable[dict[str, Any]], interval: int) -> None:
    """The intervals between distinct timestamps equal the configured one (readings of one
    moment may share a timestamp)."""
    moments = sorted({timestamp(str(v["timestamp"])) for v in values})
    for before, after in itertools.pairwise(moments):
        gap = (after - before).total_seconds()
        check(
            abs(gap - interval) <= TOLERANCE,
            f"{label}: the interval between the timestamps equals the configured {interval} s",
            f"{before.isoformat()} → {after.isoformat()} ({gap:g} s)",
        )


def _check_no_ev_location(label: str, values: Iterable[dict[str, Any]]) -> None:
    """Erratum 6.2.58: no sampledValue has location EV, unless its measurand is SoC."""
    for value in values:
        for sampled in value.get("sampledValue") or []:
            check(
                sampled.get("location") != "EV" or sampled.get("measurand") == "SoC",
                f"{label}: no sampledValue with location EV unless measurand SoC (erratum 6.2.58)",
                sampled,
            )


def _check_signed(label: str, values: Iterable[dict[str, Any]]) -> None:
    """Each reading carries a signedMeterValue (J01.FR.21/J02.FR.21); the schema makes its
    publicKey present, "" or a key as PublicKeyWithSignedMeterValue says."""
    for value in values:
        signed = [s for s in value.get("sampledValue") or [] if s.get("signedMeterValue")]
        check(
            bool(signed),
            f"{label}: sampledValue.signedMeterValue is not omitted",
            value,
        )
        unsigned = len(value.get("sampledValue") or []) - len(signed)
        if unsigned:
            warn(f"{label}: {unsigned} sampledValue(s) at {value['timestamp']} are not signed")
        for sampled in signed:
            check(
                "publicKey" in sampled["signedMeterValue"],
                f"{label}: sampledValue.signedMeterValue.publicKey exists",
                sampled,
            )


def _readings(call: IncomingCall) -> list[dict[str, Any]]:
    return list(call.payload.get("meterValue") or [])


async def _collect(
    sut: StationConnection,
    action: str,
    predicate: Any,
    *,
    since: int,
    interval: int,
    moments: int,
    label: str,
) -> list[IncomingCall]:
    """The ``action`` requests matching ``predicate`` from ``since`` until their readings span
    ``moments`` distinct timestamps, each awaited within one interval plus the message
    timeout."""
    found: list[IncomingCall] = []
    seen: set[str] = set()
    position = since
    timeout = interval + sut.csms.config.timeouts.message
    while len(seen) < moments:
        item = await sut.wait_for(
            action,
            predicate,
            since=position,
            timeout=timeout,
            describe=f"{label} (reading {len(seen) + 1} of {moments})",
        )
        position = sut.link.inbox.index(item) + 1
        found.append(item)
        seen.update(str(v["timestamp"]) for v in _readings(item))
    return found


# -- finding events a reusable state may already have consumed --------------------------------


async def _seen_or_awaited(
    sut: StationConnection, action: str, predicate: Any, *, since: int = 0, describe: str
) -> IncomingCall:
    """The first ``action`` request from ``since`` matching ``predicate``, also when a
    reusable state already consumed it; else the next one to come."""
    for item in sut.link.inbox[since:]:
        if item.action == action and not item.problems and predicate(item.payload):
            return item
    return await sut.wait_for(action, predicate, since=since, describe=describe)


async def _ended(sut: StationConnection, tx_id: str) -> IncomingCall:
    return await _seen_or_awaited(
        sut,
        "TransactionEvent",
        lambda p: p["eventType"] == "Ended" and p["transactionInfo"]["transactionId"] == tx_id,
        describe=f"TransactionEventRequest Ended for transaction {tx_id}",
    )


async def _charge_then_leave(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator, interval: int
) -> IncomingCall:
    """State EnergyTransferStarted, then ParkingBayUnoccupied "after the <Configured
    transaction duration>", at least two intervals plus a second so the Ended event can hold
    readings of two moments (the station keeps them: there is no event to await). Returns
    the Ended event."""
    step("(Reusable State) State is EnergyTransferStarted")
    started = await csms.energy_transfer_started(sut, operator)
    tx_id = str(started.payload["transactionInfo"]["transactionId"])
    extra = 2 * interval + 1 - _duration(csms)
    if extra > 0:
        await asyncio.sleep(extra)  # readings accumulate inside the station; nothing to await
    step("1. Execute Reusable State ParkingBayUnoccupied (after the transaction duration)")
    await csms.parking_bay_unoccupied(sut, operator)
    return await _ended(sut, tx_id)


# -- J01 clock-aligned --------------------------------------------------------------------------
@ocpp_case("TC_J_01_CS", version="2.0.1")
async def test_tc_j_01_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Clock-aligned meter values without a transaction (J01.FR.01-03/06-08/14/15): with
    AlignedDataInterval set, the station sends MeterValuesRequests whose readings have context
    Sample.Clock, an element per AlignedDataMeasurands, and timestamps the interval apart.
    Departure: the case ends once the readings span three moments (not three messages: a
    station with several EVSEs sends several per moment, and the interval needs two)."""
    sut = await csms.ready(station_operator)
    interval = _clock_interval(csms)
    await csms.configure(sut, {"AlignedDataCtrlr.Interval": str(interval)})
    wanted = await _measurands(csms, sut, "AlignedDataCtrlr.Measurands")
    mark = sut.mark()
    step("1. The Charging Station notifies the CSMS about its measured Meter Values")
    calls = await _collect(
        sut,
        "MeterValues",
        None,
        since=mark,
        interval=interval,
        moments=3,
        label="MeterValuesRequest (clock-aligned)",
    )
    values = [v for c in calls for v in _readings(c)]
    _check_context("Step 1 MeterValuesRequest", values, "Sample.Clock")
    _check_measurands("Step 1 MeterValuesRequest", values, wanted)
    _check_no_ev_location("Step 1 MeterValuesRequest", values)
    step("Post scenario validations: the timestamps are AlignedDataInterval apart")
    _check_interval("Post scenario MeterValuesRequest timestamp", values, interval)


@ocpp_case("TC_J_02_CS", version="2.0.1")
async def test_tc_j_02_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Clock-aligned meter values during a transaction (J01.FR.01-03/06-08/14/15): the
    configured EVSE's readings come as TransactionEventRequests triggerReason MeterValueClock
    (steps 3-4) or MeterValuesRequests (steps 1-2), Sample.Clock, an element per
    AlignedDataMeasurands, the interval apart. Departure: the case ends once the configured
    EVSE's clock-aligned readings span two moments (or more when the transaction duration
    is longer), instead of at the transaction duration alone; MeterValuesRequests of other
    EVSEs and the main meter are judged when they come."""
    sut = await csms.ready(station_operator)
    interval = _clock_interval(csms)
    await csms.configure(sut, {"AlignedDataCtrlr.Interval": str(interval)})
    await _configure_if_implemented(csms, sut, "AlignedDataCtrlr.SendDuringIdle", "false")
    wanted = await _measurands(csms, sut, "AlignedDataCtrlr.Measurands")
    step("(Reusable State) State is EnergyTransferStarted")
    started = await csms.energy_transfer_started(sut, station_operator)
    tx_id = str(started.payload["transactionInfo"]["transactionId"])
    mark = sut.mark()
    evse = csms.evse

    def clock_report(p: dict[str, Any]) -> bool:
        return (
            any(
                (s.get("context") == "Sample.Clock")
                for v in p.get("meterValue") or []
                for s in v.get("sampledValue") or []
            )
            or p.get("triggerReason") == "MeterValueClock"
        )

    moments = max(2, int(_duration(csms) // interval))
    step("1./3. The Charging Station reports its clock-aligned Meter Values")
    found: list[IncomingCall] = []
    seen: set[str] = set()
    timeout = interval + csms.config.timeouts.message
    while len(seen) < moments:
        position = mark if not found else sut.link.inbox.index(found[-1]) + 1
        item = await sut.link.wait_for(
            ("TransactionEvent", "MeterValues"),
            lambda p: (
                (
                    p.get("evseId") == evse
                    or p.get("transactionInfo", {}).get("transactionId") == tx_id
                )
                and clock_report(p)
            ),
            since=position,
            timeout=timeout,
            describe=f"a clock-aligned report for EVSE {evse} (TransactionEventRequest "
            f"MeterValueClock or MeterValuesRequest; reading {len(seen) + 1} of {moments})",
        )
        found.append(item)
        seen.update(str(v["timestamp"]) for v in _readings(item))
    events = [c for c in found if c.action == "TransactionEvent"]
    meters = [c for c in found if c.action == "MeterValues"]
    for event in events:
        check(
            event.payload["triggerReason"] == "MeterValueClock",
            "Step 3 TransactionEventRequest: triggerReason MeterValueClock",
            event.payload,
        )
    event_values = [v for c in events for v in _readings(c)]
    meter_values = [v for c in meters for v in _readings(c)]
    others = [
        v
        for c in sut.link.inbox[mark:]
        if c.action == "MeterValues" and c not in meters
        for v in _readings(c)
    ]
    for label, values in (
        ("Step 3 TransactionEventRequest", event_values),
        ("Step 1 MeterValuesRequest", meter_values + others),
    ):
        _check_context(label, values, "Sample.Clock")
        _check_measurands(label, values, wanted)
        _check_no_ev_location(label, values)
    step("Post scenario validations: the timestamps are AlignedDataInterval apart")
    _check_interval("Post scenario TransactionEventRequest timestamp", event_values, interval)
    _check_interval("Post scenario MeterValuesRequest timestamp", meter_values, interval)


def _ended_readings(ended: IncomingCall) -> list[dict[str, Any]]:
    check(
        bool(ended.payload.get("meterValue")),
        "Post scenario: the TransactionEventRequest with eventType Ended contains meterValue",
        ended.payload,
    )
    return _readings(ended)


def _of_context(values: Iterable[dict[str, Any]], context: str) -> list[dict[str, Any]]:
    return [
        v
        for v in values
        if (v.get("sampledValue") or [{}])[0].get("context", "Sample.Periodic") == context
    ]


@ocpp_case("TC_J_03_CS", version="2.0.1")
async def test_tc_j_03_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Clock-aligned readings in the Ended event (J01.FR.14/15, E06.FR.11): with
    AlignedDataTxEndedInterval set and SampledDataTxEndedMeasurands empty, the Ended
    TransactionEventRequest holds Sample.Clock readings of AlignedDataTxEndedMeasurands the
    interval apart. The table's "SampledDataTxEnabledMeasurands" is read as
    SampledDataCtrlr.TxEndedMeasurands. Departure: readings of another context in the Ended
    event (e.g. Transaction.Begin/End of other lists) are tolerated; the Sample.Clock ones
    are judged."""
    sut = await csms.ready(station_operator)
    interval = _clock_interval(csms)
    await csms.configure(
        sut,
        {
            "AlignedDataCtrlr.TxEndedInterval": str(interval),
            "SampledDataCtrlr.TxEndedMeasurands": "",
        },
    )
    await _configure_if_implemented(csms, sut, "AlignedDataCtrlr.SendDuringIdle", "false")
    wanted = await _measurands(csms, sut, "AlignedDataCtrlr.TxEndedMeasurands")
    ended = await _charge_then_leave(csms, sut, station_operator, interval)
    step("Post scenario validations: the Ended event holds the clock-aligned readings")
    clock = _of_context(_ended_readings(ended), "Sample.Clock")
    label = "Post scenario Ended meterValue"
    check(bool(clock), f"{label}: sampledValue[0].context Sample.Clock", ended.payload)
    _check_measurands(label, clock, wanted)
    _check_interval(label, clock, interval)
    _check_no_ev_location(label, _readings(ended))


@ocpp_case("TC_J_04_CS", version="2.0.1", requires="C-42")
async def test_tc_j_04_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Signed clock-aligned readings in the Ended event (J01.FR.21): as TC_J_03_CS with
    AlignedDataSignReadings true; each Sample.Clock reading carries a signedMeterValue with a
    publicKey. The table's "should" validations are judged as failures: J01.FR.21 is a SHALL.
    The table's "AlignedDataTxEndInterval" is AlignedDataCtrlr.TxEndedInterval."""
    sut = await csms.ready(station_operator)
    interval = _clock_interval(csms)
    await csms.configure(sut, {"AlignedDataCtrlr.TxEndedInterval": str(interval)})
    await _configure_if_implemented(csms, sut, "AlignedDataCtrlr.SendDuringIdle", "false")
    await csms.configure(sut, {"AlignedDataCtrlr.SignReadings": "true"})
    wanted = await _measurands(csms, sut, "AlignedDataCtrlr.TxEndedMeasurands")
    ended = await _charge_then_leave(csms, sut, station_operator, interval)
    step("Post scenario validations: the Ended event holds signed clock-aligned readings")
    clock = _of_context(_ended_readings(ended), "Sample.Clock")
    label = "Post scenario Ended meterValue"
    check(bool(clock), f"{label}: sampledValue[0].context Sample.Clock", ended.payload)
    _check_measurands(label, clock, wanted)
    _check_interval(label, clock, interval)
    _check_signed(label, clock)
    _check_no_ev_location(label, _readings(ended))


@ocpp_case("TC_J_06_CS", version="2.0.1", requires="C-28")
async def test_tc_j_06_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Clock-aligned readings only while idle (AlignedDataSendDuringIdle true, C-28): readings
    before (step 1) and after (step 7) the transaction, none while it runs. Departure: "no
    TransactionEventRequest containing the MeterValue field" is judged on clock-aligned
    readings (Sample.Clock or triggerReason MeterValueClock): the Started/Ended events'
    Transaction.Begin/End readings follow SampledDataCtrlr lists the case does not touch, and
    clock-aligned readings of AlignedDataTxEndedInterval in the Ended event go out once the
    transaction is over (J01.FR.14): a warning, not a failure."""
    sut = await csms.ready(station_operator)
    interval = _clock_interval(csms)
    await csms.configure(
        sut,
        {"AlignedDataCtrlr.Interval": str(interval), "AlignedDataCtrlr.SendDuringIdle": "true"},
    )
    wanted = await _measurands(csms, sut, "AlignedDataCtrlr.Measurands")
    mark = sut.mark()
    step("1. The Charging Station notifies the CSMS about its measured Meter Values")
    before = await _collect(
        sut,
        "MeterValues",
        None,
        since=mark,
        interval=interval,
        moments=1,
        label="MeterValuesRequest",
    )
    step("3. Execute Reusable State EnergyTransferStarted")
    started = await csms.energy_transfer_started(sut, station_operator)
    tx_id = str(started.payload["transactionInfo"]["transactionId"])
    first = next(
        i
        for i, c in enumerate(sut.link.inbox)
        if c.action == "TransactionEvent" and c.payload["transactionInfo"]["transactionId"] == tx_id
    )
    await asyncio.sleep(interval + 5)  # the table waits an interval + 5 s: no event to await
    step("6. Execute Reusable State ParkingBayUnoccupied")
    await csms.parking_bay_unoccupied(sut, station_operator)
    ended = await _ended(sut, tx_id)
    last = sut.link.inbox.index(ended)
    mark = sut.mark()
    step("7. The Charging Station notifies the CSMS about its measured Meter Values")
    after = await _collect(
        sut,
        "MeterValues",
        None,
        since=mark,
        interval=interval,
        moments=2,
        label="MeterValuesRequest",
    )
    values = [v for c in before + after for v in _readings(c)]
    _check_context("Step 1 & 7 MeterValuesRequest", values, "Sample.Clock")
    _check_measurands("Step 1 & 7 MeterValuesRequest", values, wanted)
    _check_no_ev_location("Step 1 & 7 MeterValuesRequest", values)
    step("Post scenario validations: no clock-aligned readings while the transaction ran")
    for item in sut.link.inbox[first : last + 1]:
        if item.action == "MeterValues":
            check(
                False,
                "Post scenario: no MeterValuesRequest while the transaction was active "
                "(AlignedDataSendDuringIdle true)",
                item.payload,
            )
        if item.action == "TransactionEvent":
            clock = _of_context(_readings(item), "Sample.Clock")
            if item.payload["eventType"] == "Ended":
                if clock:  # AlignedDataTxEndedInterval readings, sent once it ended (J01.FR.14)
                    warn("the Ended event holds clock-aligned (AlignedDataTxEnded) readings")
                continue
            check(
                not clock and item.payload["triggerReason"] != "MeterValueClock",
                "Post scenario: no TransactionEventRequest with clock-aligned meter values "
                "while the transaction was active (AlignedDataSendDuringIdle true)",
                item.payload,
            )
    step("Post scenario validations: the timestamps are AlignedDataInterval apart")
    for window in (before, after):  # the transaction lies between the two windows
        _check_interval(
            "Post scenario MeterValuesRequest timestamp",
            [v for c in window for v in _readings(c)],
            interval,
        )


# -- J02 sampled ------------------------------------------------------------------------------
def _check_begin(label: str, event: IncomingCall, wanted: list[str]) -> None:
    values = _readings(event)
    check(bool(values), f"{label} contains meterValue", event.payload)
    _check_context(label, values[:1], "Transaction.Begin")
    _check_measurands(label, _of_context(values, "Transaction.Begin"), wanted)
    _check_no_ev_location(label, values)


@ocpp_case("TC_J_07_CS", version="2.0.1")
async def test_tc_j_07_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Transaction.Begin readings in the Started event when the EVSE is known (J02.FR.01-04/10,
    E01.FR.09 ...): with TxStartPoint containing EVConnected, the Started
    TransactionEventRequest holds a Transaction.Begin reading of SampledDataTxStartedMeasurands.
    Departure: reusable state ParkingBayOccupied is skipped: Table 426 makes it optional and the
    prerequisite rules out ParkingBayOccupancy, so it sends nothing."""
    sut = await csms.ready(station_operator)
    points = await csms.tx_start_points(sut)
    if "EVConnected" not in points or "ParkingBayOccupancy" in points:
        await csms.configure(sut, {"TxCtrlr.TxStartPoint": "EVConnected"})
    wanted = await _measurands(csms, sut, "SampledDataCtrlr.TxStartedMeasurands")
    step("1. Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    step("2. Execute Reusable State EnergyTransferStarted")
    event = await csms.energy_transfer_started(sut, station_operator)
    tx_id = str(event.payload["transactionInfo"]["transactionId"])
    started = await _seen_or_awaited(
        sut,
        "TransactionEvent",
        lambda p: p["eventType"] == "Started" and p["transactionInfo"]["transactionId"] == tx_id,
        describe=f"TransactionEventRequest Started of transaction {tx_id}",
    )
    step("Post scenario validations: the Started event holds the Transaction.Begin reading")
    _check_begin("Post scenario Started TransactionEventRequest", started, wanted)


@ocpp_case("TC_J_08_CS", version="2.0.1", requires="C-40 and not AQ-8 and (C-09.2 or C-09.6)")
async def test_tc_j_08_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Transaction.Begin readings as soon as the EVSE is known (J02, E01.FR.16/17, E03.FR.11):
    with TxStartPoint Authorized the transaction may start before an EVSE is known; the
    first TransactionEventRequest naming an evse holds a Transaction.Begin reading of
    SampledDataTxStartedMeasurands."""
    sut = await csms.ready(station_operator)
    points = await csms.tx_start_points(sut)
    if "Authorized" not in points and "ParkingBayOccupancy" not in points:
        await csms.configure(sut, {"TxCtrlr.TxStartPoint": "Authorized"})
    wanted = await _measurands(csms, sut, "SampledDataCtrlr.TxStartedMeasurands")
    mark = sut.mark()
    step("1. Execute Reusable State EnergyTransferStarted")
    event = await csms.energy_transfer_started(sut, station_operator)
    tx_id = str(event.payload["transactionInfo"]["transactionId"])
    first = await _seen_or_awaited(
        sut,
        "TransactionEvent",
        lambda p: p["transactionInfo"]["transactionId"] == tx_id and "evse" in p,
        since=mark,
        describe=f"the first TransactionEventRequest of transaction {tx_id} with an evse",
    )
    step("Post scenario validations: the first event with an evse holds Transaction.Begin")
    _check_begin("Post scenario first TransactionEventRequest with evse", first, wanted)


@ocpp_case("TC_J_09_CS", version="2.0.1")
async def test_tc_j_09_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Periodic readings in Updated events (J02.FR.01-04/10/11/14, E02.FR.10 ...): with
    SampledDataTxUpdatedInterval set, TransactionEventRequests triggerReason
    MeterValuePeriodic hold Sample.Periodic readings of SampledDataTxUpdatedMeasurands, the
    interval apart. Departure: the case ends once such readings span two moments (or more for
    a longer transaction duration); an event is recognised by its Sample.Periodic reading, so
    a wrong triggerReason fails step 1 instead of timing out."""
    sut = await csms.ready(station_operator)
    interval = _sample_interval(csms)
    await csms.configure(sut, {"SampledDataCtrlr.TxUpdatedInterval": str(interval)})
    wanted = await _measurands(csms, sut, "SampledDataCtrlr.TxUpdatedMeasurands")
    step("(Reusable State) State is EnergyTransferStarted")
    started = await csms.energy_transfer_started(sut, station_operator)
    tx_id = str(started.payload["transactionInfo"]["transactionId"])
    step("1. The Charging Station sends TransactionEventRequests with periodic readings")
    events = await _collect(
        sut,
        "TransactionEvent",
        lambda p: (
            p["transactionInfo"]["transactionId"] == tx_id
            and p["eventType"] == "Updated"
            and bool(_of_context(p.get("meterValue") or [], "Sample.Periodic"))
        ),
        since=sut.mark(),
        interval=interval,
        moments=max(2, int(_duration(csms) // interval)),
        label="TransactionEventRequest with Sample.Periodic readings",
    )
    for event in events:
        check(
            event.payload["triggerReason"] == "MeterValuePeriodic",
            "Step 1 TransactionEventRequest: triggerReason MeterValuePeriodic",
            event.payload,
        )
    values = [v for c in events for v in _readings(c)]
    _check_context("Step 1 TransactionEventRequest", values, "Sample.Periodic")
    _check_measurands("Step 1 TransactionEventRequest", values, wanted)
    _check_no_ev_location("Step 1 TransactionEventRequest", values)
    step("Post scenario validations: the timestamps are SampledDataTxUpdatedInterval apart")
    _check_interval(
        "Post scenario TransactionEventRequest timestamp",
        [{"timestamp": c.payload["timestamp"]} for c in events],
        interval,
    )


async def _sampled_ended(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator, *, signed: bool
) -> None:
    """TC_J_10_CS and TC_J_11_CS: the Ended event holds Sample.Periodic readings of
    SampledDataTxEndedMeasurands every SampledDataTxEndedInterval and one Transaction.End."""
    interval = _sample_interval(csms)
    settings = {
        "SampledDataCtrlr.TxEndedInterval": str(interval),
        "AlignedDataCtrlr.TxEndedMeasurands": "",
    }
    if signed:
        settings = {
            "SampledDataCtrlr.TxEndedInterval": str(interval),
            "SampledDataCtrlr.SignReadings": "true",
        }
    await csms.configure(sut, settings)
    wanted = await _measurands(csms, sut, "SampledDataCtrlr.TxEndedMeasurands")
    ended = await _charge_then_leave(csms, sut, operator, interval)
    step("Post scenario validations: the Ended event holds the sampled readings")
    values = _ended_readings(ended)
    periodic = _of_context(values, "Sample.Periodic")
    end = [
        v
        for v in values
        if any(s.get("context") == "Transaction.End" for s in v.get("sampledValue") or [])
    ]
    label = "Post scenario Ended meterValue"
    check(bool(periodic), f"{label}: sampledValue[0].context Sample.Periodic", ended.payload)
    check(bool(end), f"{label}: one reading has context Transaction.End", ended.payload)
    _check_measurands(label, periodic + _of_context(end, "Transaction.End"), wanted)
    _check_interval(label, periodic, interval)
    if signed:
        _check_signed(label, periodic + end)
    _check_no_ev_location(label, values)


@ocpp_case("TC_J_10_CS", version="2.0.1")
async def test_tc_j_10_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Sampled readings in the Ended event (J02.FR.01-04/10, E06.FR.11 ...): with
    SampledDataTxEndedInterval set and AlignedDataTxEndedMeasurands empty, the Ended event
    holds Sample.Periodic readings the interval apart and a Transaction.End reading, each with
    an element per SampledDataTxEndedMeasurands. Departure: a Transaction.Begin reading in
    the Ended event (E06.FR.11 allows it) is tolerated before the periodic ones."""
    sut = await csms.ready(station_operator)
    await _sampled_ended(csms, sut, station_operator, signed=False)


@ocpp_case("TC_J_11_CS", version="2.0.1", requires="C-42")
async def test_tc_j_11_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Signed sampled readings in the Ended event (J02.FR.21): as TC_J_10_CS with
    SampledDataSignReadings true (AlignedDataTxEndedMeasurands untouched, as the table
    says); each periodic and Transaction.End reading carries a signedMeterValue with a
    publicKey. The table's "should" validations are judged as failures: J02.FR.21 is a
    SHALL."""
    sut = await csms.ready(station_operator)
    await _sampled_ended(csms, sut, station_operator, signed=True)
