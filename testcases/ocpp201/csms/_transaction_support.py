"""What the 2.0.1 CSMS-side E (Transactions) and J (MeterValues) cases share beyond
:class:`~pytest_ocpp.station.Station201`: meter values built from the station's device model,
the station's meter clock, events queued while offline, and variations of a TransactionEvent
that a reusable state sends (an Ended carrying every sample of the transaction, a Started
with a signed value).

Not a test module (no ``test_`` prefix): pytest collects nothing here.

Two things here would sit better in :class:`Station201` and are marked so:
:func:`amending` changes the next TransactionEventRequest a reusable state or
:meth:`Station201.transaction_event` sends, because neither takes a ``meterValue``,
``offline`` or ``timestamp``; :func:`replayed_event` builds an event for a transaction the
station has already ended (queued events sent after the Ended, TC_E_31; the EVDeparted of
TC_E_19), which ``transaction_event`` would turn into a new transaction.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import math
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.station import Station201, check

DEFAULT_INTERVAL = 1.0
"""Seconds between clock-aligned or sampled meter values when ``[station]
clock_aligned_data_interval`` / ``meter_value_sample_interval`` are not set. OCTT's
<Configured clock-aligned / sampled Meter Values interval>: the CSMS cannot observe the
station's meter clock, so the shortest interval that still spaces the timestamps keeps the
cases fast."""

ENERGY_REGISTER = "Energy.Active.Import.Register"
"""MeasurandEnumType's default (Part 2 SampledValueType): used when the device model has no
measurands configured."""

TYPICAL_READINGS: dict[str, float] = {
    "Current.Import": 16.0,
    "Current.Offered": 32.0,
    "Frequency": 50.0,
    "Power.Active.Import": 11000.0,
    "Power.Offered": 22000.0,
    "SoC": 50.0,
    "Temperature": 25.0,
    "Voltage": 230.0,
}
"""Readings of the measurands that are not energy registers (any other reads 0)."""


# -- the station behind the fixture --------------------------------------------------------
def real_station(station: Station201) -> Station201:
    """The :class:`Station201` itself: the ``station`` fixture is a proxy that forwards
    attribute reads, so an attribute set on it would never reach the station's methods."""
    owner: Station201 = station.transaction_event.__self__  # type: ignore[attr-defined]
    return owner


@contextlib.contextmanager
def amending(station: Station201, event_type: str, **fields: Any) -> Iterator[None]:
    """While inside, the station's next TransactionEventRequest with ``event_type`` gets
    ``fields`` (camelCase top-level keys: ``meterValue``, ``offline``, ``timestamp``); a value
    of None removes the key, a callable is called at send time (a meterValue built from the
    samples taken until then). Everything else, bookkeeping included (transactionId, seqNo,
    the state it reaches), stays the station's.

    How a case varies what a reusable state sends ("EVDisconnected, whose Ended carries the
    clock-aligned samples") without writing the state again. Station201 could take these
    fields as parameters instead; until it does, its ``call`` is wrapped for the duration."""
    station = real_station(station)
    original = station.call
    shadowed = vars(station).get("call")
    pending = [event_type]

    async def call(
        action: str, payload: dict[str, Any], *, allow_error: bool = False
    ) -> dict[str, Any]:
        if action == "TransactionEvent" and payload.get("eventType") in pending:
            pending.clear()
            payload = dict(payload)
            for key, value in fields.items():
                value = value() if callable(value) else value
                if value is None:
                    payload.pop(key, None)
                else:
                    payload[key] = value
        return await original(action, payload, allow_error=allow_error)

    vars(station)["call"] = call
    try:
        yield
    finally:
        if shadowed is None:
            vars(station).pop("call", None)
        else:
            vars(station)["call"] = shadowed
    if pending:
        # Our bug, not the target's (verdict "error"): the station no longer sends its
        # TransactionEventRequests through ``call``, or the scenario sent none of that type.
        raise RuntimeError(f"no TransactionEventRequest {event_type} was sent to amend")


def replayed_event(
    station: Station201,
    transaction_id: str,
    event_type: str,
    trigger_reason: str,
    *,
    seq_no: int,
    timestamp: str,
    charging_state: str | None = None,
    stopped_reason: str | None = None,
    offline: bool = False,
) -> dict[str, Any]:
    """A TransactionEventRequest payload for ``transaction_id`` with the given seqNo and
    timestamp, built now and sent whenever the scenario says (a queued event), without
    touching the station's idea of its running transaction. Only the fields given are
    present."""
    info: dict[str, Any] = {"transactionId": transaction_id}
    if charging_state is not None:
        info["chargingState"] = charging_state
    if stopped_reason is not None:
        info["stoppedReason"] = stopped_reason
    payload: dict[str, Any] = {
        "eventType": event_type,
        "timestamp": timestamp,
        "triggerReason": trigger_reason,
        "seqNo": seq_no,
        "transactionInfo": info,
    }
    if offline:
        payload["offline"] = True
    return payload


@contextlib.asynccontextmanager
async def ends_idle(station: Station201) -> AsyncIterator[None]:
    """The general post-condition (Part 6 §3.1): whatever happens inside, the transaction the
    case started is ended and the connector freed (:meth:`Station201.leave_idle`, a no-op
    when the scenario ended it already), so the next case starts from an idle station. A
    failure of this clean-up after a failed step is reported below that step's verdict."""
    try:
        yield
    finally:
        step("After: end the transaction and free the connector (idle station for the next case)")
        await station.leave_idle()


def check_token_accepted(conf: dict[str, Any], where: str) -> None:
    """A tool validation "TransactionEventResponse idTokenInfo.status must be Accepted"
    (E01.FR.12: idTokenInfo is present whenever the request carried an idToken)."""
    info = conf.get("idTokenInfo")
    check(
        isinstance(info, dict) and info.get("status") == "Accepted",
        f"{where}: TransactionEventResponse idTokenInfo.status Accepted (E01.FR.12)",
        conf,
    )


# -- the meter clock -----------------------------------------------------------------------
def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def stamp(moment: datetime) -> str:
    """A 2.0.1 dateTime: UTC with at most 3 fractional digits (Part 2 "dateTime")."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _interval(station: Station201, key: str) -> float:
    value = float(station.spec.extra.get(key, DEFAULT_INTERVAL))
    if value <= 0:
        raise ValueError(f"[station] {key} must be above 0 seconds, not {value:g}")
    return value


def aligned_interval(station: Station201) -> float:
    """OCTT's <Configured clock-aligned Meter Values interval> (and its Tx ended one):
    ``[station] clock_aligned_data_interval``, seconds."""
    return _interval(station, "clock_aligned_data_interval")


def sampled_interval(station: Station201) -> float:
    """OCTT's <Configured sampled Meter Values interval> (and its Tx ended one):
    ``[station] meter_value_sample_interval``, seconds."""
    return _interval(station, "meter_value_sample_interval")


def next_aligned(after: datetime, interval: float) -> datetime:
    """The first clock-aligned instant strictly after ``after``: a whole multiple of
    ``interval`` seconds since midnight UTC (J01, AlignedDataCtrlr.Interval)."""
    midnight = after.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = (after - midnight).total_seconds()
    return midnight + timedelta(seconds=(math.floor(elapsed / interval) + 1) * interval)


def aligned_between(start: datetime, end: datetime, interval: float) -> list[datetime]:
    """The clock-aligned instants in (``start``, ``end``]."""
    found: list[datetime] = []
    moment = next_aligned(start, interval)
    while moment <= end:
        found.append(moment)
        moment = next_aligned(moment, interval)
    return found


def sampled_between(start: datetime, end: datetime, interval: float) -> list[datetime]:
    """The sample instants ``start + k * interval`` in (``start``, ``end``] (J02: the
    sampling interval runs from the start of the transaction)."""
    count = int((end - start).total_seconds() // interval)
    return [start + timedelta(seconds=k * interval) for k in range(1, count + 1)]


async def station_timer(station: Station201, key: str) -> None:
    """A timer of the simulated station that OCTT lets the tester configure (``[station]
    key`` seconds, 0 by default): e.g. <Configured EV connection timeout>. The CSMS cannot
    observe it, so by default the step follows at once."""
    seconds = float(station.spec.extra.get(key, 0))
    if seconds > 0:
        await asyncio.sleep(seconds)


async def sleep_until(moment: datetime) -> None:
    """The station's meter clock: wait for the instant its next reading is due. No event of
    the CSMS is awaited here; the table prescribes the pace ("executed every <interval>")."""
    delay = (moment - utc_now()).total_seconds()
    if delay > 0:
        await asyncio.sleep(delay)


# -- meter values --------------------------------------------------------------------------
def measurands(station: Station201, variable: str) -> list[str]:
    """The measurands configured in the station's device model under ``variable`` (e.g.
    ``SampledDataCtrlr.TxEndedMeasurands``): what the station reports (J01.FR.14,
    J02.FR.11), including any value the CSMS set with SetVariables."""
    text = station.device_model.value(variable) or ENERGY_REGISTER
    return [item.strip() for item in text.split(",") if item.strip()] or [ENERGY_REGISTER]


def _reading(station: Station201, measurand: str) -> float:
    if measurand == ENERGY_REGISTER:
        # One register counter for the whole station: monotonically increasing (J02.FR.16).
        return float(next(station.meter))
    return TYPICAL_READINGS.get(measurand, 0.0)


def signed_meter_value(measurand: str, value: float, timestamp: str) -> dict[str, str]:
    """OCTT's <Generated SignedMeterValueType>: the reading in an OCMF-shaped record,
    base64-encoded, with a public key. Structurally valid (every field required, within the
    schema's lengths) but not verifiable: Part 5 asks a CSMS "at least to be able to receive a
    signed MeterValue. It does not need to be able to read it"."""
    record = {
        "FV": "1.0",
        "GI": "pytest-ocpp",
        "PG": "T1",
        "RD": [{"TM": timestamp, "RV": value, "RI": measurand, "RU": "Wh"}],
    }
    body = json.dumps(record, separators=(",", ":"))
    digest = hashlib.sha256(body.encode()).hexdigest()
    signed = f'OCMF|{body}|{{"SA":"ECDSA-secp256r1-SHA256","SD":"{digest}"}}'
    return {
        "signedMeterData": base64.b64encode(signed.encode()).decode(),
        "signingMethod": "ECDSA-secp256r1-SHA256",
        "encodingMethod": "OCMF",
        "publicKey": base64.b64encode(hashlib.sha256(b"pytest-ocpp meter").digest()).decode(),
    }


def meter_value(
    station: Station201,
    variable: str,
    context: str,
    timestamp: str,
    *,
    signed: bool = False,
) -> dict[str, Any]:
    """One MeterValueType at ``timestamp``: a sampledValue per measurand configured under
    ``variable``, each with ``context`` (and a signedMeterValue when ``signed``: J01.FR.21,
    J02.FR.21)."""
    sampled: list[dict[str, Any]] = []
    for measurand in measurands(station, variable):
        value = _reading(station, measurand)
        sample: dict[str, Any] = {"value": value, "context": context, "measurand": measurand}
        if signed:
            sample["signedMeterValue"] = signed_meter_value(measurand, value, timestamp)
        sampled.append(sample)
    return {"timestamp": timestamp, "sampledValue": sampled}


def transaction_samples(
    station: Station201,
    instants: Callable[[datetime], list[datetime]],
    context: str,
    variable: str,
    *,
    signed: bool = False,
) -> Callable[[], list[dict[str, Any]]]:
    """The meterValue of a TransactionEventRequest Ended, built when it is sent: one element
    per sample instant the transaction lived through (``instants(now)``) with ``context``,
    then the Transaction.End reading (E06.FR.11, J02.FR.10: only an Ended carries the samples
    of several intervals)."""

    def build() -> list[dict[str, Any]]:
        now = utc_now()
        samples = [
            meter_value(station, variable, context, stamp(at), signed=signed)
            for at in instants(now)
        ]
        end = meter_value(station, variable, "Transaction.End", stamp(now), signed=signed)
        return [*samples, end]

    return build


async def fiscal_metering_round(station: Station201, evse_ids: list[int], at: datetime) -> None:
    """One clock-aligned round without a transaction on those EVSEs (Tables 568, 569 step 1):
    per EVSE (0 is the main meter, J01.FR.03) a MeterValuesRequest with context Sample.Clock
    (AlignedDataCtrlr.Measurands) and a NotifyEventRequest trigger Periodic for the
    FiscalMetering component, both stamped with the aligned instant."""
    moment = stamp(at)
    for evse_id in evse_ids:
        reading = meter_value(station, "AlignedDataCtrlr.Measurands", "Sample.Clock", moment)
        await station.call("MeterValues", {"evseId": evse_id, "meterValue": [reading]})
        component: dict[str, Any] = {"name": "FiscalMetering"}
        if evse_id:
            component["evse"] = {"id": evse_id}
        event = {
            "eventId": next(station.event_ids),
            "timestamp": moment,
            "trigger": "Periodic",
            "actualValue": str(reading["sampledValue"][0]["value"]),
            "eventNotificationType": "HardWiredMonitor",
            "component": component,
            "variable": {"name": "EnergyImportRegister"},
        }
        await station.call(
            "NotifyEvent", {"generatedAt": stamp(utc_now()), "seqNo": 0, "eventData": [event]}
        )
