"""OCPP 2.0.1, CSMS under test, J. MeterValues (2.0.1 Edition 3 Part 6 §3.11, Tables 568-576;
the 2025 errata change none of these CSMS-side tables).

pytest-ocpp plays the Charging Station. The CSMS must answer every MeterValuesRequest
(J01.FR.18) and every TransactionEventRequest (J02.FR.19), whatever readings they carry. The
station reports the measurands configured in its device model (AlignedDataCtrlr.Measurands,
SampledDataCtrlr.TxStartedMeasurands ...; ``[device_model]`` in the config file, and
whatever the CSMS sets with SetVariables), one sampledValue each.

The pace is the station's meter clock, which the tables prescribe ("executed every
<Configured ... interval>"): clock-aligned readings fall on whole multiples of ``[station]
clock_aligned_data_interval`` seconds since midnight UTC, sampled ones every ``[station]
meter_value_sample_interval`` seconds from the start of the transaction; both are 1 s
unless configured, the tables' "Tx ended" intervals included. A transaction whose Ended
must carry samples (Tables 570, 571, 575, 576) runs until it has two of them.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.station import Station201

from ._transaction_support import (
    aligned_between,
    aligned_interval,
    amending,
    ends_idle,
    fiscal_metering_round,
    meter_value,
    next_aligned,
    sampled_between,
    sampled_interval,
    sleep_until,
    stamp,
    transaction_samples,
    utc_now,
)

ROUNDS = 3
"""Tables 568 and 574: "The OCTT will end the testcase after three Meter Values"."""


def _begin_values(station: Station201) -> Any:
    """The Transaction.Begin readings (SampledDataCtrlr.TxStartedMeasurands), taken when sent."""
    return lambda: [
        meter_value(
            station, "SampledDataCtrlr.TxStartedMeasurands", "Transaction.Begin", station.now()
        )
    ]


async def _ended_with_samples(station: Station201, *, aligned: bool, signed: bool = False) -> None:
    """Tables 570, 571, 575, 576: the transaction runs until two samples are due, then
    reusable state EVDisconnected, whose TransactionEventRequest Ended carries a meterValue
    per sample the transaction lived through (Sample.Clock at the clock-aligned instants, or
    Sample.Periodic every sampled interval), the last one Transaction.End (E06.FR.11,
    J02.FR.10), each signed when ``signed`` (J01.FR.21, J02.FR.21)."""
    started = utc_now()
    if aligned:
        interval = aligned_interval(station)
        due = next_aligned(next_aligned(started, interval), interval)
        samples = transaction_samples(
            station,
            lambda now: aligned_between(started, now, interval),
            "Sample.Clock",
            "AlignedDataCtrlr.TxEndedMeasurands",
            signed=signed,
        )
    else:
        interval = sampled_interval(station)
        due = started + timedelta(seconds=2 * interval)
        samples = transaction_samples(
            station,
            lambda now: sampled_between(started, now, interval),
            "Sample.Periodic",
            "SampledDataCtrlr.TxEndedMeasurands",
            signed=signed,
        )
    await sleep_until(due)
    step("1. Execute Reusable State EVDisconnected (its Ended carries the transaction's samples)")
    with amending(station, "Ended", meterValue=samples):
        await station.ev_disconnected()


@ocpp_case("TC_J_01_CSMS", version="2.0.1")
async def test_tc_j_01_csms(station: Station201) -> None:
    """Clock-aligned meter values without a transaction (J01.FR.14): three rounds, one per
    clock-aligned interval, each a MeterValuesRequest (Sample.Clock) and a NotifyEventRequest
    (Periodic, FiscalMetering) for evseId 0 (the main meter, J01.FR.03) and every EVSE. The
    CSMS answers every one (J01.FR.18). The table names no variable for the FiscalMetering
    event; EnergyImportRegister (Part 2 appendix 3.2.32) carries the reading."""
    interval = aligned_interval(station)
    evse_ids = list(range(station.spec.connectors + 1))
    at = utc_now()
    for number in range(1, ROUNDS + 1):
        at = next_aligned(at, interval)
        await sleep_until(at)
        step(
            f"1. ({number}/{ROUNDS}) The OCTT sends MeterValuesRequest (Sample.Clock) and "
            "NotifyEventRequest (Periodic, FiscalMetering) for evseId 0 and every EVSE"
        )
        await fiscal_metering_round(station, evse_ids, at)


@ocpp_case("TC_J_02_CSMS", version="2.0.1")
async def test_tc_j_02_csms(station: Station201) -> None:
    """Clock-aligned meter values during a transaction (J01.FR.22): every clock-aligned
    interval, MeterValuesRequest and NotifyEventRequest for evseId 0 and the idle EVSEs, and
    a TransactionEventRequest Updated MeterValueClock (Sample.Clock) for the EVSE in the
    transaction. The CSMS answers every one (J01.FR.18, J02.FR.19).

    The table's "Sample.Circle" is Sample.Clock (ReadingContextEnumType has no Circle). It
    runs until <Configured transaction duration> (``[station] transaction_duration``) is
    reached, and at least two intervals, so that the timestamps show one."""
    interval = aligned_interval(station)
    duration = float(station.spec.extra.get("transaction_duration", 0))
    rounds = max(2, math.ceil(duration / interval))
    async with ends_idle(station):
        step("Before: Reusable State EnergyTransferStarted for the configured EVSE")
        await station.energy_transfer_started()
        idle = [e for e in range(station.spec.connectors + 1) if e != station.evse_id]
        at = utc_now()
        for number in range(1, rounds + 1):
            at = next_aligned(at, interval)
            await sleep_until(at)
            step(
                f"1. ({number}/{rounds}) The OCTT sends MeterValuesRequest and "
                "NotifyEventRequest for evseId 0 and the idle EVSEs"
            )
            await fiscal_metering_round(station, idle, at)
            step(f"3. ({number}/{rounds}) The OCTT sends TransactionEventRequest MeterValueClock")
            moment = stamp(at)
            reading = meter_value(station, "AlignedDataCtrlr.Measurands", "Sample.Clock", moment)
            with amending(station, "Updated", timestamp=moment, meterValue=[reading]):
                await station.transaction_event("Updated", "MeterValueClock")


@ocpp_case("TC_J_03_CSMS", version="2.0.1")
async def test_tc_j_03_csms(station: Station201) -> None:
    """Clock-aligned meter values at the end of a transaction (AlignedDataCtrlr.TxEnded*):
    the TransactionEventRequest Ended of reusable state EVDisconnected carries every
    Sample.Clock reading of the transaction and the Transaction.End one. The CSMS answers it
    (J02.FR.19), several meterValue elements included (J02.FR.10)."""
    async with ends_idle(station):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        await _ended_with_samples(station, aligned=True)


@ocpp_case("TC_J_04_CSMS", version="2.0.1")
async def test_tc_j_04_csms(station: Station201) -> None:
    """As TC_J_03_CSMS with every reading signed (J01.FR.21): the CSMS must receive a signed
    meter value, not read it (Part 5, C-42). The signatures are generated by pytest-ocpp
    (:func:`~._transaction_support.signed_meter_value`)."""
    async with ends_idle(station):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        await _ended_with_samples(station, aligned=True, signed=True)


@ocpp_case("TC_J_07_CSMS", version="2.0.1")
async def test_tc_j_07_csms(station: Station201) -> None:
    """Start meter values with the EVSE known at the start (E01.FR.09): the
    TransactionEventRequest Started of reusable state EVConnectedPreSession carries the
    Transaction.Begin readings (SampledDataCtrlr.TxStartedMeasurands). The CSMS answers it
    (J02.FR.19)."""
    async with ends_idle(station):
        step("1. Execute Reusable State EVConnectedPreSession (Started with Transaction.Begin)")
        with amending(station, "Started", meterValue=_begin_values(station)):
            await station.ev_connected_pre_session()


@ocpp_case("TC_J_08_CSMS", version="2.0.1")
async def test_tc_j_08_csms(station: Station201) -> None:
    """Start meter values when the EVSE is not known at the start: the transaction starts on
    authorization without an EVSE, so its Started carries no meter values (E01.FR.09 asks
    for them only when the EVSE is known); the Transaction.Begin readings follow in the
    Updated of reusable state EVConnectedPreSession, which names the EVSE; then
    EnergyTransferStarted. The CSMS answers every message (J02.FR.19)."""
    async with ends_idle(station):
        step("1. Execute Reusable State Authorized (EVSE not known: no meter values)")
        with amending(station, "Started", meterValue=None):
            await station.authorized()
        step("2. Execute Reusable State EVConnectedPreSession (Updated with Transaction.Begin)")
        with amending(station, "Updated", meterValue=_begin_values(station)):
            await station.ev_connected_pre_session()
        step("3. Execute Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()


@ocpp_case("TC_J_09_CSMS", version="2.0.1")
async def test_tc_j_09_csms(station: Station201) -> None:
    """Sampled meter values during a transaction (J02.FR.11): every sampled interval a
    TransactionEventRequest Updated MeterValuePeriodic (Sample.Periodic,
    SampledDataCtrlr.TxUpdatedMeasurands), three times. The CSMS answers every one
    (J02.FR.19)."""
    interval = sampled_interval(station)
    async with ends_idle(station):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        started = utc_now()
        for number in range(1, ROUNDS + 1):
            at = started + timedelta(seconds=number * interval)
            await sleep_until(at)
            step(
                f"1. ({number}/{ROUNDS}) The OCTT sends TransactionEventRequest MeterValuePeriodic"
            )
            moment = stamp(at)
            reading = meter_value(
                station, "SampledDataCtrlr.TxUpdatedMeasurands", "Sample.Periodic", moment
            )
            with amending(station, "Updated", timestamp=moment, meterValue=[reading]):
                await station.transaction_event("Updated", "MeterValuePeriodic")


@ocpp_case("TC_J_10_CSMS", version="2.0.1")
async def test_tc_j_10_csms(station: Station201) -> None:
    """Sampled meter values at the end of a transaction (SampledDataCtrlr.TxEnded*): the
    TransactionEventRequest Ended of reusable state EVDisconnected carries every
    Sample.Periodic reading of the transaction and the Transaction.End one. The CSMS answers
    it (J02.FR.19), several meterValue elements included (J02.FR.10)."""
    async with ends_idle(station):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        await _ended_with_samples(station, aligned=False)


@ocpp_case("TC_J_11_CSMS", version="2.0.1")
async def test_tc_j_11_csms(station: Station201) -> None:
    """As TC_J_10_CSMS with every reading signed (J02.FR.21): the CSMS must receive a signed
    meter value, not read it (Part 5, C-42)."""
    async with ends_idle(station):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        await _ended_with_samples(station, aligned=False, signed=True)
