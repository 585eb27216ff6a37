"""OCTT 1.6, Charge Point under test, Core profile: meter values and the non-happy flows
(OCTT 1.6 test case document FINAL 2024-04, §2.9-2.16 and §2.23: TC_070/071, TC_023-041,
TC_062; TC_023_4/023_5 from the newer revision that splits TC_023_CS).

pytest-ocpp plays the Central System (the "Tool" column). Each case puts the station in the
table's "Before" configuration state with ChangeConfiguration and restores the previous values
afterwards, whatever the verdict; it ends with the station idle (OCTT 1.6 §1.3 post-conditions):
transactions stopped, cables out, faults cleared, connectors Available, connection restored.

Station facts a scenario needs beyond ``[station]``'s named keys come from its extra keys:
``meter_value_sample_interval`` and ``clock_aligned_data_interval`` (seconds, default 2: the
shortest values whose timestamps still tell a right interval from a wrong one at one-second
resolution), ``transaction_duration`` (how long "no transaction starts" is watched, default 3 s)
and ``backup_power`` (true: the station stops transactions before going down, TC_032_1_CS).
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import current, warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import IdTags, OcppConfig
from pytest_ocpp.csms import FakeCsms16 as FakeCsms
from pytest_ocpp.csms import StationConnection
from pytest_ocpp.csms.v16 import OfflineWindow
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import NotApplicable, check

DEFAULT_MEASURAND = "Energy.Active.Import.Register"
"""What an empty MeterValues*Data key and an omitted sampledValue.measurand mean (OCPP 1.6
§7.43, OCTT TC_070/071_CS)."""


# -- station facts -----------------------------------------------------------------------------
def _extra_number(ocpp_config: OcppConfig, key: str, default: float) -> float:
    value = ocpp_config.station.extra.get(key, default)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"[station] {key} must be a number of seconds, got {value!r}") from None


def _sample_interval(ocpp_config: OcppConfig) -> int:
    return int(_extra_number(ocpp_config, "meter_value_sample_interval", 2))


def _aligned_interval(ocpp_config: OcppConfig) -> int:
    return int(_extra_number(ocpp_config, "clock_aligned_data_interval", 2))


def _transaction_duration(ocpp_config: OcppConfig) -> float:
    return _extra_number(ocpp_config, "transaction_duration", 3)


def _require_detachable_cable(ocpp_config: OcppConfig) -> None:
    if ocpp_config.station.fixed_cable:
        raise NotApplicable(
            "the scenario needs a detachable cable and the station declares fixed_cable = true"
        )


# -- small tools -------------------------------------------------------------------------------
def _timestamp(text: str) -> datetime:
    """An OCPP 1.6 dateTime (ISO 8601 with offset; any number of fraction digits)."""
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00").replace("z", "+00:00"))
    return datetime.fromisoformat(trimmed)


def _note(text: str) -> None:
    """A remark in the case's trace (evidence, not a verdict)."""
    current().trace.event("note", text)


async def _quietly(what: str, action: Callable[[], Awaitable[Any]]) -> None:
    """Clean-up after a scenario: never let it hide the verdict; say in the trace if it broke."""
    try:
        await action()
    except Exception as exc:  # clean-up is best effort by design
        _note(f"clean-up '{what}' did not complete: {exc}")


async def _no_transaction(sut: StationConnection, since: int, seconds: float, why: str) -> None:
    """No StartTransaction.req from ``since`` on, nor within ``seconds`` from now."""
    early = [c for c in sut.link.inbox[since:] if c.action == "StartTransaction"]
    check(not early, f"no StartTransaction.req ({why})", early[0].payload if early else None)
    await sut.link.expect_silence("StartTransaction", seconds, why)


async def _finish(
    csms: FakeCsms, sut: StationConnection, operator: StationOperator, connector: int | None = None
) -> None:
    """After: stop what still runs on the connector, take the cable out, wait until it is
    Available (OCTT 1.6 §1.3 post-conditions)."""
    connector = connector or csms.connector
    step(f"After: stop any transaction on connector {connector}, unplug, connector Available")
    mark = sut.mark()
    for transaction_id, on in list(csms.transactions.items()):
        if on == connector:
            await sut.call("RemoteStopTransaction", {"transactionId": transaction_id})
            await sut.wait_for("StopTransaction", since=mark)
    await operator.plug_out(connector)
    if csms.statuses.get(connector) != "Available":
        await sut.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == connector and p["status"] == "Available",
            since=mark,
            describe=f"StatusNotification.req connectorId {connector} Available",
        )


# -- configuration and memory states ------------------------------------------------------
OFFLINE_HOLD = 2.0
"""Seconds the station stays cut off after the driver's offline actions, so that the moment of
the action and the reconnection are far enough apart for the frames to tell them apart."""


@asynccontextmanager
async def _offline_authorization(
    csms: FakeCsms,
    sut: StationConnection,
    operator: StationOperator,
    ocpp_config: OcppConfig,
    id_tag: str,
    extra_required: Mapping[str, str] = {},
    extra_optional: Mapping[str, str] = {},
) -> AsyncIterator[None]:
    """Configuration and memory states of the offline-start cases (TC_037_x, TC_039): the
    station may authorize ``id_tag`` offline through its Local Authorization List, its
    Authorization Cache or AllowOfflineTxForUnknownId, whichever it implements.

    Memory states, each "(If implemented)": IdTagCached (a whole transaction with the tag)
    when the station keeps a cache, and IdTagLocalAuthList (SendLocalList) when it declares that
    profile and has the list enabled. IdTagCached goes first: its Charging state expects an
    Authorize.req (AuthorizeRemoteTxRequests), which a listed tag under LocalPreAuthorize would
    rightly skip. A station with none of the three cannot start offline: not applicable (the
    cases' prerequisite)."""
    await csms.empty_cache(sut)
    async with csms.configured(
        sut,
        {"LocalAuthorizeOffline": "true", **extra_required},
        {
            "LocalAuthListEnabled": "true",
            "AuthorizationCacheEnabled": "true",
            "AllowOfflineTxForUnknownId": "true",
            **extra_optional,
        },
    ) as holding:
        local_list = "LocalAuthListManagement" in ocpp_config.station.features and (
            "LocalAuthListEnabled" in holding
        )
        cached = "AuthorizationCacheEnabled" in holding
        if not (local_list or cached or "AllowOfflineTxForUnknownId" in holding):
            raise NotApplicable(
                "prerequisite: the station supports offline transactions through a Local "
                "Authorization List, an Authorization Cache or AllowOfflineTxForUnknownId; it "
                "accepted none of them"
            )
        try:
            if cached:
                step(f"Before: memory state IdTagCached for {id_tag}")
                answer_before = csms.behaviour.id_tag_status.get(id_tag)
                csms.behaviour.id_tag_status[id_tag] = "Accepted"
                try:
                    await csms.id_tag_cached(sut, operator, csms.connector, id_tag)
                finally:
                    if answer_before is None:
                        csms.behaviour.id_tag_status.pop(id_tag, None)
                    else:
                        csms.behaviour.id_tag_status[id_tag] = answer_before
            if local_list:
                step(f"Before: memory state IdTagLocalAuthList for {id_tag}")
                await csms.id_tag_local_auth_list(sut, id_tag)
            yield
        finally:
            csms.behaviour.refuse_connections = False
            if local_list:

                async def clear_list() -> None:
                    link = await csms.station(timeout=csms.config.timeouts.connect)
                    await link.call("SendLocalList", {"listVersion": 1, "updateType": "Full"})

                await _quietly("remove the local list", clear_list)

            async def clear_cache() -> None:
                link = await csms.station(timeout=csms.config.timeouts.connect)
                await link.call("ClearCache", {}, allow_error=True)

            await _quietly("clear the authorization cache", clear_cache)


# -- meter values ------------------------------------------------------------------------------
def _measurands(configured: str | None) -> list[str]:
    items = [i.strip() for i in (configured or "").split(",") if i.strip()]
    return items or [DEFAULT_MEASURAND]


def _check_meter_values(
    samples: list[IncomingCall], interval: int, context: str, measurands: list[str]
) -> list[datetime]:
    """The validations TC_070/071_CS share: timestamps ``interval`` apart, every sampledValue in
    ``context``, one sampledValue per configured measurand. Returns the timestamps."""
    stamps: list[datetime] = []
    for sample in samples:
        for meter_value in sample.payload["meterValue"]:
            stamps.append(_timestamp(meter_value["timestamp"]))
            values = meter_value["sampledValue"]
            contexts = {v.get("context", "Sample.Periodic") for v in values}
            check(contexts == {context}, f"sampledValue.context {context}", meter_value)
            present = set()
            for v in values:
                measurand = v.get("measurand", DEFAULT_MEASURAND)
                present.add(measurand)
                if v.get("phase"):
                    present.add(f"{measurand}.{v['phase']}")
            missing = [m for m in measurands if m not in present]
            check(
                not missing,
                f"a sampledValue for each configured measurand {measurands}",
                meter_value,
            )
    _check_spacing(stamps, interval)
    return stamps


def _check_spacing(stamps: list[datetime], interval: float) -> None:
    """Consecutive timestamps ``interval`` seconds apart, in chronological order; one second
    of tolerance for stations that stamp at whole seconds."""
    for earlier, later in itertools.pairwise(stamps):
        gap = (later - earlier).total_seconds()
        check(
            0 < gap and abs(gap - interval) <= 1,
            f"MeterValue.timestamp values {interval} s apart, in chronological order",
            f"{earlier.isoformat()} then {later.isoformat()} ({gap:g} s)",
        )


async def _meter_values(
    sut: StationConnection, count: int, since: int, timeout: float
) -> list[IncomingCall]:
    connector = sut.csms.config.station.connector_id
    items = []
    for number in range(1, count + 1):
        items.append(
            await sut.wait_for(
                "MeterValues",
                lambda p: p["connectorId"] == connector,
                since=since,
                timeout=timeout,
                describe=f"MeterValues.req number {number} for connector {connector}",
            )
        )
    return items


@ocpp_case("TC_070_CS")
async def test_tc_070_cs(
    csms: FakeCsms, station_operator: StationOperator, ocpp_config: OcppConfig
) -> None:
    """OCPP 1.6 §4.7, §9.1.17-18: during a transaction the charge point samples the configured
    measurands every MeterValueSampleInterval seconds (context Sample.Periodic)."""
    sut = await csms.ready(station_operator)
    interval = _sample_interval(ocpp_config)
    settings = {"MeterValueSampleInterval": str(interval), "ClockAlignedDataInterval": "0"}
    async with csms.configured(sut, settings):
        configured = await csms.get_configuration(sut, "MeterValuesSampledData")
        mark = sut.mark()
        await csms.charging(sut, station_operator, csms.connector)
        step(f"1-2. MeterValues.req every {interval} s, three times")
        samples = await _meter_values(sut, 3, mark, interval + ocpp_config.timeouts.message)
        step("Validations: interval, context Sample.Periodic, configured measurands")
        _check_meter_values(samples, interval, "Sample.Periodic", _measurands(configured))
        await _finish(csms, sut, station_operator)


@ocpp_case("TC_071_CS")
async def test_tc_071_cs(
    csms: FakeCsms, station_operator: StationOperator, ocpp_config: OcppConfig
) -> None:
    """OCPP 1.6 §4.7, §9.1.5: clock-aligned meter values every ClockAlignedDataInterval
    seconds, stamped on the interval boundaries counted from midnight (context Sample.Clock)."""
    sut = await csms.ready(station_operator)
    interval = _aligned_interval(ocpp_config)
    settings = {"MeterValueSampleInterval": "0", "ClockAlignedDataInterval": str(interval)}
    async with csms.configured(sut, settings):
        configured = await csms.get_configuration(sut, "MeterValuesAlignedData")
        mark = sut.mark()
        await csms.charging(sut, station_operator, csms.connector)
        step(f"1-2. MeterValues.req every {interval} s, clock-aligned, three times")
        samples = await _meter_values(sut, 3, mark, interval + ocpp_config.timeouts.message)
        step("Validations: interval, clock-aligned timestamps, Sample.Clock, measurands")
        stamps = _check_meter_values(samples, interval, "Sample.Clock", _measurands(configured))
        for stamp in stamps:
            midnight = stamp.replace(hour=0, minute=0, second=0, microsecond=0)
            offset = (stamp - midnight).total_seconds() % interval
            check(
                min(offset, interval - offset) <= 0.5,
                f"a clock-aligned MeterValue.timestamp (a multiple of {interval} s from midnight)",
                stamp.isoformat(),
            )
        await _finish(csms, sut, station_operator)


# -- 2.10 basic actions, non-happy -------------------------------------------------------------
async def _local_start_authorize_invalid(
    csms: FakeCsms, station_operator: StationOperator, tags: IdTags, ocpp_config: OcppConfig
) -> None:
    """TC_023_CS of FINAL 2024-04 (the local start that TC_023_4_CS names)."""
    sut = await csms.ready(station_operator)
    csms.behaviour.id_tag_status[tags.invalid] = "Invalid"
    settings = {"LocalPreAuthorize": "true"}
    async with csms.configured(sut, settings, {"MinimumStatusDuration": "10"}) as holding:
        # A station that honours MinimumStatusDuration 10 reports Preparing 10 s late.
        late = 10 if "MinimumStatusDuration" in holding else 0
        mark = sut.mark()
        step("[EV driver plugs in the cable.] 1. StatusNotification.req Preparing")
        await station_operator.plug_in(csms.connector)
        await sut.next_status(
            csms.connector, ["Preparing"], since=mark, timeout=ocpp_config.timeouts.message + late
        )
        mark = sut.mark()
        step(f"[EV driver presents invalid identification.] 3. Authorize.req {tags.invalid}")
        await station_operator.present_id_tag(tags.invalid, csms.connector)
        authorize = await sut.wait_for("Authorize", since=mark)
        check(
            authorize.payload["idTag"] == tags.invalid,
            f"Authorize.req idTag {tags.invalid}",
            authorize.payload,
        )
        step("4. Authorize.conf Invalid; the Charge Point does NOT start a transaction")
        await _no_transaction(
            sut,
            mark,
            _transaction_duration(ocpp_config),
            "the Central System answered the idTag Invalid",
        )
    await _finish(csms, sut, station_operator)


@ocpp_case("TC_023_CS")
async def test_tc_023_cs(
    csms: FakeCsms, station_operator: StationOperator, tags: IdTags, ocpp_config: OcppConfig
) -> None:
    """OCPP 1.6 §4.1, §5.11: an idTag the Central System answers Invalid must not start a
    transaction (OCTT 1.6 §2.10.1)."""
    await _local_start_authorize_invalid(csms, station_operator, tags, ocpp_config)


@ocpp_case("TC_023_4_CS")
async def test_tc_023_4_cs(
    csms: FakeCsms, station_operator: StationOperator, tags: IdTags, ocpp_config: OcppConfig
) -> None:
    """OCPP 1.6 §4.1: a locally presented idTag answered Invalid starts no transaction (the
    local half of TC_023_CS, FINAL 2024-04 §2.10.1, whose steps this follows; the newer
    revision's own table is not published)."""
    await _local_start_authorize_invalid(csms, station_operator, tags, ocpp_config)


@ocpp_case("TC_023_5_CS")
async def test_tc_023_5_cs(
    csms: FakeCsms, station_operator: StationOperator, tags: IdTags, ocpp_config: OcppConfig
) -> None:
    """OCPP 1.6 §5.11, §9.1.2: with AuthorizeRemoteTxRequests true a remote start is authorized
    first; an idTag answered Invalid starts no transaction (the remote half of TC_023_CS, FINAL
    2024-04 §2.10.1; the newer revision's own table is not published)."""
    sut = await csms.ready(station_operator)
    csms.behaviour.id_tag_status[tags.invalid] = "Invalid"
    # A station that never authorizes remote starts has no Authorize.req to refuse.
    async with csms.configured(sut, {}, prerequisites={"AuthorizeRemoteTxRequests": "true"}):
        mark = sut.mark()
        step("[EV driver plugs in the cable.] 1. StatusNotification.req Preparing")
        await station_operator.plug_in(csms.connector)
        await sut.next_status(csms.connector, ["Preparing"], since=mark)
        mark = sut.mark()
        step(f"3. RemoteStartTransaction.req connectorId {csms.connector} idTag {tags.invalid}")
        answer = await sut.call(
            "RemoteStartTransaction", {"connectorId": csms.connector, "idTag": tags.invalid}
        )
        check(answer["status"] == "Accepted", "RemoteStartTransaction.conf status Accepted", answer)
        step(f"5. Authorize.req {tags.invalid}, answered Invalid")
        authorize = await sut.wait_for("Authorize", since=mark)
        check(
            authorize.payload["idTag"] == tags.invalid,
            f"Authorize.req idTag {tags.invalid}",
            authorize.payload,
        )
        step("The Charge Point does NOT start a transaction")
        await _no_transaction(
            sut,
            mark,
            _transaction_duration(ocpp_config),
            "the Central System answered the remote start's idTag Invalid",
        )
    await _finish(csms, sut, station_operator)


@ocpp_case("TC_024_CS")
async def test_tc_024_cs(
    csms: FakeCsms, station_operator: StationOperator, tags: IdTags, ocpp_config: OcppConfig
) -> None:
    """OCPP 1.6 §4.9, §7.6: a connector whose lock fails reports Faulted with errorCode
    ConnectorLockFailure and starts no transaction (OCTT 1.6 §2.10.2)."""
    _require_detachable_cable(ocpp_config)
    sut = await csms.ready(station_operator)
    authorize_remote = await csms.get_configuration(sut, "AuthorizeRemoteTxRequests")
    mark = sut.mark()
    step(f"3-4. RemoteStartTransaction.req connectorId {csms.connector} idTag {tags.valid}")
    answer = await sut.call(
        "RemoteStartTransaction", {"connectorId": csms.connector, "idTag": tags.valid}
    )
    check(answer["status"] == "Accepted", "RemoteStartTransaction.conf status Accepted", answer)
    if (authorize_remote or "").lower() == "true":
        step("5-6. Authorize.req (AuthorizeRemoteTxRequests is true), answered Accepted")
        authorize = await sut.wait_for("Authorize", since=mark)
        check(
            authorize.payload["idTag"] == tags.valid,
            f"Authorize.req idTag {tags.valid}",
            authorize.payload,
        )
    step("7. StatusNotification.req Preparing")
    await sut.next_status(csms.connector, ["Preparing"], since=mark)
    try:
        fault_mark = sut.mark()
        step("[EV driver plugs in the cable halfway.] 9. StatusNotification.req Faulted")
        await station_operator.perform(
            "set_fault", connector_id=csms.connector, error_code="ConnectorLockFailure"
        )
        faulted = await sut.next_status(csms.connector, ["Faulted"], since=fault_mark)
        check(
            faulted.payload["errorCode"] == "ConnectorLockFailure",
            "StatusNotification.req errorCode ConnectorLockFailure",
            faulted.payload,
        )
        step("The Charging Station does NOT start a transaction")
        await _no_transaction(
            sut, mark, _transaction_duration(ocpp_config), "the connector lock failed"
        )
    finally:
        await _quietly(
            "clear the lock failure",
            lambda: station_operator.perform("clear_fault", connector_id=csms.connector),
        )
    await _finish(csms, sut, station_operator)


# -- 2.11 remote actions, non-happy ------------------------------------------------------------
@ocpp_case("TC_026_CS")
async def test_tc_026_cs(csms: FakeCsms, station_operator: StationOperator, tags: IdTags) -> None:
    """OCPP 1.6 §5.11: a RemoteStartTransaction for a connector that already has a transaction
    is Rejected (OCTT 1.6 §2.11.1)."""
    sut = await csms.ready(station_operator)
    async with csms.configured(sut, {"LocalPreAuthorize": "false"}):
        await csms.charging(sut, station_operator, csms.connector)
        step(f"1-2. RemoteStartTransaction.req connectorId {csms.connector} (busy)")
        answer = await sut.call(
            "RemoteStartTransaction", {"connectorId": csms.connector, "idTag": tags.valid}
        )
        check(answer["status"] == "Rejected", "RemoteStartTransaction.conf status Rejected", answer)
        await _finish(csms, sut, station_operator)


@ocpp_case("TC_027_CS")
async def test_tc_027_cs(csms: FakeCsms, station_operator: StationOperator, tags: IdTags) -> None:
    """OCPP 1.6 §5.11: a remote start is never on connectorId 0; the charge point answers
    Rejected or a CallError (OCTT 1.6 §2.11.2)."""
    sut = await csms.ready(station_operator)
    step("1-2. RemoteStartTransaction.req connectorId 0")
    answer = await sut.call(
        "RemoteStartTransaction", {"connectorId": 0, "idTag": tags.valid}, allow_error=True
    )
    check(
        "errorCode" in answer or answer.get("status") == "Rejected",
        "RemoteStartTransaction.conf status Rejected, or a CallError",
        answer,
    )


@ocpp_case("TC_028_CS")
async def test_tc_028_cs(csms: FakeCsms, station_operator: StationOperator) -> None:
    """OCPP 1.6 §5.12: a RemoteStopTransaction for an unknown transactionId is Rejected and
    stops nothing (OCTT 1.6 §2.11.3)."""
    sut = await csms.ready(station_operator)
    transaction_id = await csms.charging(sut, station_operator, csms.connector)
    unknown = transaction_id + 100_000
    mark = sut.mark()
    step(f"1-2. RemoteStopTransaction.req transactionId {unknown} (unknown)")
    answer = await sut.call("RemoteStopTransaction", {"transactionId": unknown})
    check(answer["status"] == "Rejected", "RemoteStopTransaction.conf status Rejected", answer)
    stops = [c.payload for c in sut.link.inbox[mark:] if c.action == "StopTransaction"]
    check(not stops, "no StopTransaction.req (the running transaction goes on)", stops)
    await _finish(csms, sut, station_operator)


# -- 2.12 unlocking, non-happy -----------------------------------------------------------------
@ocpp_case("TC_030_CS")
async def test_tc_030_cs(
    csms: FakeCsms, station_operator: StationOperator, ocpp_config: OcppConfig
) -> None:
    """OCPP 1.6 §5.17: a connector whose lock cannot be released answers UnlockFailed
    (OCTT 1.6 §2.12.1)."""
    _require_detachable_cable(ocpp_config)
    sut = await csms.ready(station_operator)
    step("[Prerequisite: bring the connector into a state where unlocking fails.]")
    await station_operator.perform("set_unlock_failure", connector_id=csms.connector, failing=True)
    try:
        step(f"1-2. UnlockConnector.req connectorId {csms.connector}")
        answer = await sut.call("UnlockConnector", {"connectorId": csms.connector})
        check(
            answer["status"] == "UnlockFailed", "UnlockConnector.conf status UnlockFailed", answer
        )
    finally:
        await _quietly(
            "repair the connector lock",
            lambda: station_operator.perform(
                "set_unlock_failure", connector_id=csms.connector, failing=False
            ),
        )


@ocpp_case("TC_031_CS")
async def test_tc_031_cs(
    csms: FakeCsms, station_operator: StationOperator, ocpp_config: OcppConfig
) -> None:
    """OCPP 1.6 §5.17: UnlockConnector for a connector the charge point does not have is
    answered NotSupported (OCTT 1.6 §2.12.2)."""
    sut = await csms.ready(station_operator)
    unknown = ocpp_config.station.connectors + 1
    step(f"1-2. UnlockConnector.req connectorId {unknown} (unknown)")
    answer = await sut.call("UnlockConnector", {"connectorId": unknown})
    check(answer["status"] == "NotSupported", "UnlockConnector.conf status NotSupported", answer)


# -- 2.13 power failure ------------------------------------------------------------------------
async def _statuses_after_boot(
    sut: StationConnection,
    connectors: int,
    busy: int,
    busy_allowed: Collection[str],
    *,
    others: Collection[str] = ("Available",),
) -> dict[int, IncomingCall]:
    """[Send per connector and connectorId = 0.] The first status of every connector after the
    boot: ``busy_allowed`` for the connector that had the transaction, ``others`` elsewhere."""
    seen = {}
    for connector in range(connectors + 1):
        allowed = busy_allowed if connector == busy else others
        # Statuses on the way (e.g. Available or Unavailable before Preparing) are the legal
        # intermediates of the OCPP 1.6 §4.9 table: next_status records them as warnings.
        seen[connector] = await sut.next_status(connector, allowed, since=0)
    return seen


@ocpp_case("TC_032_1_CS")
async def test_tc_032_1_cs(
    csms: FakeCsms, station_operator: StationOperator, ocpp_config: OcppConfig
) -> None:
    """OCPP 1.6 §4.10, §7.36 (PowerLoss): a charge point with backup power stops its
    transactions before going down, then boots and reports its connectors (OCTT 1.6 §2.13.1)."""
    if not (ocpp_config.station.extra.get("backup_power") or ocpp_config.reference):
        raise NotApplicable(
            "prerequisite: a back-up power source that stops transactions before going down "
            "(declare [station] backup_power = true)"
        )
    sut = await csms.ready(station_operator)
    transaction_id = await csms.charging(sut, station_operator, csms.connector)
    generation = csms.generation
    mark = sut.mark()
    step("[Disconnect the power of the Charge Point.] 1. StopTransaction.req PowerLoss")
    await station_operator.perform("power_off")
    try:
        stop = await sut.wait_for("StopTransaction", since=mark)
        check(
            stop.payload["transactionId"] == transaction_id,
            f"StopTransaction.req transactionId {transaction_id}",
            stop.payload,
        )
        check(
            stop.payload.get("reason") == "PowerLoss",
            "StopTransaction.req reason PowerLoss",
            stop.payload,
        )
        step("3. StatusNotification.req Finishing")
        await sut.next_status(csms.connector, ["Finishing"], since=mark)
    finally:
        step("[Reconnect the power of the Charge Point.]")
        await station_operator.perform("power_on")
    sut = await csms.next_connection(after=generation, reboot=True)
    step("5-6. BootNotification.req, answered Accepted")
    await sut.wait_for("BootNotification")
    step("7. StatusNotification.req per connector and connectorId 0")
    await _statuses_after_boot(
        sut, ocpp_config.station.connectors, csms.connector, ["Finishing", "Preparing"]
    )
    await _finish(csms, sut, station_operator)


@ocpp_case("TC_032_2_CS")
async def test_tc_032_2_cs(
    csms: FakeCsms, station_operator: StationOperator, tags: IdTags, ocpp_config: OcppConfig
) -> None:
    """OCPP 1.6 §4.10, §7.36: after a power loss without backup power the charge point boots,
    then either resumes the transaction (stopped later by the driver: reason Local) or stops it
    with reason PowerLoss (OCTT 1.6 §2.13.2)."""
    if ocpp_config.station.extra.get("backup_power"):
        raise NotApplicable(
            "prerequisite: no back-up power source ([station] backup_power = true says there is)"
        )
    sut = await csms.ready(station_operator)
    transaction_id = await csms.charging(sut, station_operator, csms.connector)
    generation = csms.generation
    step("[Disconnect and reconnect the power of the Charge Point.]")
    await station_operator.power_cycle()
    sut = await csms.next_connection(after=generation, reboot=True)
    step("1-2. BootNotification.req, answered Accepted")
    await sut.wait_for("BootNotification")
    step("3-4. StatusNotification.req per connector and connectorId 0 (steps 3-7 in any order)")
    seen = await _statuses_after_boot(
        sut,
        ocpp_config.station.connectors,
        csms.connector,
        ["Preparing", "Finishing", "Charging"],
    )
    resumed = seen[csms.connector].payload["status"] == "Charging"
    mark = sut.mark()
    if resumed:
        step(f"[Transaction resumed: the EV driver presents {tags.valid} to stop it.]")
        await station_operator.present_id_tag(tags.valid, csms.connector)
    step("5-6. StopTransaction.req")
    stop = await sut.wait_for("StopTransaction", since=0)
    check(
        stop.payload["transactionId"] == transaction_id,
        f"StopTransaction.req transactionId {transaction_id}",
        stop.payload,
    )
    reason = stop.payload.get("reason")
    if resumed:
        check(
            reason in (None, "Local"),
            "StopTransaction.req reason Local or omitted (stopped by the driver)",
            stop.payload,
        )
    else:
        check(
            reason == "PowerLoss",
            "StopTransaction.req reason PowerLoss (stopped by the charger after the power loss)",
            stop.payload,
        )
    finishing = any(
        c.action == "StatusNotification"
        and c.payload["connectorId"] == csms.connector
        and c.payload["status"] == "Finishing"
        for c in sut.link.inbox
    )
    if not finishing:
        step("7-8. StatusNotification.req Preparing or Finishing")
        await sut.next_status(csms.connector, ["Preparing", "Finishing"], since=mark)
    await _finish(csms, sut, station_operator)


@ocpp_case("TC_034_CS")
async def test_tc_034_cs(
    csms: FakeCsms, station_operator: StationOperator, ocpp_config: OcppConfig
) -> None:
    """OCPP 1.6 §5.2: availability set with ChangeAvailability persists across a reboot: every
    connector reports Unavailable again after a power failure (OCTT 1.6 §2.13.3)."""
    sut = await csms.ready(station_operator)
    connectors = ocpp_config.station.connectors
    try:
        mark = sut.mark()
        step("1-2. ChangeAvailability.req connectorId 0 Inoperative")
        answer = await sut.call("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
        check(answer["status"] == "Accepted", "ChangeAvailability.conf status Accepted", answer)
        step("3-4. StatusNotification.req Unavailable per connector and connectorId 0")
        for connector in range(connectors + 1):
            await sut.next_status(connector, ["Unavailable"], since=mark)
        generation = csms.generation
        step("[Disconnect and reconnect the power of the Charge Point.]")
        await station_operator.power_cycle()
        sut = await csms.next_connection(after=generation, reboot=True)
        step("5-6. BootNotification.req, answered Accepted")
        await sut.wait_for("BootNotification")
        step("7-8. StatusNotification.req Unavailable per connector and connectorId 0")
        await _statuses_after_boot(sut, connectors, 0, ["Unavailable"], others=["Unavailable"])
    finally:

        async def operative() -> None:
            link = await csms.station(timeout=csms.config.timeouts.connect)
            mark = link.mark()
            await link.call("ChangeAvailability", {"connectorId": 0, "type": "Operative"})
            for connector in range(connectors + 1):
                if csms.statuses.get(connector) != "Available":
                    await link.wait_for(
                        "StatusNotification",
                        lambda p, c=connector: p["connectorId"] == c and p["status"] == "Available",
                        since=mark,
                    )

        step("After: ChangeAvailability.req connectorId 0 Operative")
        await _quietly("make the Charge Point Operative again", operative)


# -- 2.14 offline behaviour --------------------------------------------------------------------
@ocpp_case("TC_036_CS")
async def test_tc_036_cs(
    csms: FakeCsms, station_operator: StationOperator, ocpp_config: OcppConfig
) -> None:
    """OCPP 1.6 §4.1, §4.7: meter values sampled while offline are queued and delivered after
    the connection returns, in chronological order and before new ones (OCTT 1.6 §2.14.1)."""
    sut = await csms.ready(station_operator)
    interval = _sample_interval(ocpp_config)
    async with csms.configured(sut, {"MeterValueSampleInterval": str(interval)}):
        mark = sut.mark()
        await csms.charging(sut, station_operator, csms.connector)
        step("A first MeterValues.req online (the reference point for the queued ones)")
        (before,) = await _meter_values(sut, 1, mark, interval + ocpp_config.timeouts.message)
        try:
            step("[Remove the connectivity between the Charge Point and the Central System.]")
            window = await csms.go_offline()
            offline = 3 * interval + interval / 2
            step(f"[Wait till the Charge Point samples at least 3 meter values: {offline:g} s.]")
            # The scenario's prescribed offline period: nothing can arrive while the station
            # is cut off, so there is no event to wait for instead.
            await asyncio.sleep(offline)
            step("[Restore the connectivity.]")
            sut = await csms.come_online(window)
        finally:
            csms.behaviour.refuse_connections = False
        step("1-2. The Charge Point sends its queued MeterValues.req, then new ones")
        first_stamp = _timestamp(before.payload["meterValue"][-1]["timestamp"])
        samples = await _meter_values(sut, 4, 0, interval + ocpp_config.timeouts.message)
        stamps = [first_stamp]
        for sample in samples:
            for meter_value in sample.payload["meterValue"]:
                stamp = _timestamp(meter_value["timestamp"])
                if stamp == first_stamp and len(stamps) == 1:
                    continue  # the first one again: its .conf was lost with the connection
                stamps.append(stamp)
        step("Validation: queued values complete, in chronological order, interval apart")
        _check_spacing(stamps, interval)
        await _finish(csms, sut, station_operator)


async def _offline_start(
    csms: FakeCsms, station_operator: StationOperator, id_tag: str
) -> tuple[StationConnection, OfflineWindow]:
    """[Remove connectivity] [EV Driver starts offline a transaction with id_tag] [Restore
    connectivity, OFFLINE_HOLD s later]. Returns the new connection and the offline window."""
    step("[Remove connectivity between Charge Point and Central System.]")
    window = await csms.go_offline()
    try:
        step(f"[EV Driver starts offline a transaction with {id_tag}: plugs in, presents it.]")
        await station_operator.plug_in(csms.connector)
        await station_operator.present_id_tag(id_tag, csms.connector)
        step("[Restore connectivity between Charge Point and Central System.]")
        return await csms.come_online(window, hold=OFFLINE_HOLD), window
    finally:
        csms.behaviour.refuse_connections = False


def _started_offline(
    csms: FakeCsms, sut: StationConnection, start: IncomingCall, window: OfflineWindow, id_tag: str
) -> None:
    """Evidence for "[EV Driver starts offline a transaction]": the manual step is proven by
    the frames, not assumed (see :meth:`FakeCsms16.check_done_offline`)."""
    step("1. StartTransaction.req: the transaction was started offline (evidence)")
    csms.check_done_offline(sut, start, window, id_tag=id_tag)


@ocpp_case("TC_037_1_CS")
async def test_tc_037_1_cs(
    csms: FakeCsms, station_operator: StationOperator, tags: IdTags, ocpp_config: OcppConfig
) -> None:
    """OCPP 1.6 §3.5, §4.1, §9.1.12: a transaction started offline with a valid idTag is
    delivered (StartTransaction.req) when the connection returns (OCTT 1.6 §2.14.2)."""
    sut = await csms.ready(station_operator)
    async with _offline_authorization(csms, sut, station_operator, ocpp_config, tags.valid):
        sut, window = await _offline_start(csms, station_operator, tags.valid)
        step("1-2. StartTransaction.req, answered Accepted")
        start = await sut.wait_for("StartTransaction")
        check(
            start.payload["idTag"] == tags.valid and start.payload["connectorId"] == csms.connector,
            f"StartTransaction.req connectorId {csms.connector} idTag {tags.valid}",
            start.payload,
        )
        _started_offline(csms, sut, start, window, tags.valid)
        step("3-4. StatusNotification.req Charging")
        await sut.next_status(csms.connector, ["Charging"], since=0)
        await _finish(csms, sut, station_operator)


async def _offline_start_invalid(
    csms: FakeCsms,
    station_operator: StationOperator,
    tags: IdTags,
    ocpp_config: OcppConfig,
    stop_on_invalid: bool,
) -> None:
    """TC_037_2/3_CS: an idTag authorized offline turns out Invalid at StartTransaction.conf."""
    sut = await csms.ready(station_operator)
    csms.behaviour.id_tag_status[tags.invalid] = "Invalid"
    async with _offline_authorization(
        csms,
        sut,
        station_operator,
        ocpp_config,
        tags.invalid,
        {"StopTransactionOnInvalidId": "true" if stop_on_invalid else "false"},
        {"MaxEnergyOnInvalidId": "0"},
    ):
        sut, window = await _offline_start(csms, station_operator, tags.invalid)
        step("1-2. StartTransaction.req, answered Invalid")
        start = await sut.wait_for("StartTransaction")
        check(
            start.payload["idTag"] == tags.invalid,
            f"StartTransaction.req idTag {tags.invalid}",
            start.payload,
        )
        _started_offline(csms, sut, start, window, tags.invalid)
        step("3-4. StatusNotification.req Charging")
        charging = await sut.next_status(csms.connector, ["Charging"], since=0)
        after = sut.link.inbox.index(charging) + 1
        if stop_on_invalid:
            assert start.reply_payload is not None
            transaction_id = start.reply_payload["transactionId"]
            step("5-6. StopTransaction.req reason DeAuthorized")
            stop = await sut.wait_for("StopTransaction")
            check(
                stop.payload["transactionId"] == transaction_id,
                f"StopTransaction.req transactionId {transaction_id}",
                stop.payload,
            )
            check(
                stop.payload.get("reason") == "DeAuthorized",
                "StopTransaction.req reason DeAuthorized",
                stop.payload,
            )
            step("7-8. StatusNotification.req Finishing")
            await sut.next_status(csms.connector, ["Finishing"], since=after)
        else:
            step("5-6. StatusNotification.req SuspendedEVSE")
            await sut.next_status(csms.connector, ["SuspendedEVSE"], since=after)
        await _finish(csms, sut, station_operator)


@ocpp_case("TC_037_2_CS")
async def test_tc_037_2_cs(
    csms: FakeCsms, station_operator: StationOperator, tags: IdTags, ocpp_config: OcppConfig
) -> None:
    """OCPP 1.6 §9.1.24 (StopTransactionOnInvalidId false), §9.1.11: an offline transaction
    whose idTag proves Invalid goes on without energy: SuspendedEVSE (OCTT 1.6 §2.14.3)."""
    await _offline_start_invalid(csms, station_operator, tags, ocpp_config, stop_on_invalid=False)


@ocpp_case("TC_037_3_CS")
async def test_tc_037_3_cs(
    csms: FakeCsms, station_operator: StationOperator, tags: IdTags, ocpp_config: OcppConfig
) -> None:
    """OCPP 1.6 §9.1.24 (StopTransactionOnInvalidId true), §7.36: an offline transaction whose
    idTag proves Invalid is stopped with reason DeAuthorized (OCTT 1.6 §2.14.4)."""
    await _offline_start_invalid(csms, station_operator, tags, ocpp_config, stop_on_invalid=True)


@ocpp_case("TC_038_CS")
async def test_tc_038_cs(csms: FakeCsms, station_operator: StationOperator, tags: IdTags) -> None:
    """OCPP 1.6 §4.1, §4.10: a transaction stopped while offline is reported (reason Local,
    the Central System's transactionId) once the connection returns (OCTT 1.6 §2.14.5)."""
    sut = await csms.ready(station_operator)
    transaction_id = await csms.charging(sut, station_operator, csms.connector)
    try:
        step("[Remove the connectivity between the Charge Point and the Central System.]")
        window = await csms.go_offline()
        step(f"[The EV Driver stops the transaction while offline: presents {tags.valid}.]")
        await station_operator.present_id_tag(tags.valid, csms.connector)
        step("[Restore the connectivity.]")
        sut = await csms.come_online(window, hold=OFFLINE_HOLD)
    finally:
        csms.behaviour.refuse_connections = False
    step("1-2. StopTransaction.req (steps 1 and 3 may be reversed)")
    stop = await sut.wait_for("StopTransaction")
    check(
        stop.payload["transactionId"] == transaction_id,
        f"StopTransaction.req transactionId {transaction_id}",
        stop.payload,
    )
    step("1. StopTransaction.req: the transaction was stopped offline (evidence)")
    csms.check_done_offline(sut, stop, window)
    check(
        stop.payload.get("reason") in (None, "Local"),
        "StopTransaction.req reason Local or omitted",
        stop.payload,
    )
    step("3-4. StatusNotification.req Finishing")
    await sut.next_status(csms.connector, ["Finishing"], since=0)
    await _finish(csms, sut, station_operator)


@ocpp_case("TC_039_CS")
async def test_tc_039_cs(
    csms: FakeCsms, station_operator: StationOperator, tags: IdTags, ocpp_config: OcppConfig
) -> None:
    """OCPP 1.6 §4.1, §4.8: a whole transaction made offline is delivered afterwards, the
    queued StopTransaction.req carrying the transactionId the StartTransaction.conf assigned
    (OCTT 1.6 §2.14.6)."""
    sut = await csms.ready(station_operator)
    async with _offline_authorization(csms, sut, station_operator, ocpp_config, tags.valid):
        try:
            step("[Remove connectivity between Charge Point and Central System.]")
            window = await csms.go_offline()
            step(f"[EV Driver starts offline a transaction: plugs in, presents {tags.valid}.]")
            await station_operator.plug_in(csms.connector)
            await station_operator.present_id_tag(tags.valid, csms.connector)
            step(f"[EV Driver stops offline the transaction: presents {tags.valid}.]")
            await station_operator.present_id_tag(tags.valid, csms.connector)
            step("[EV driver unplugs the cable.]")
            await station_operator.plug_out(csms.connector)
            step("[Restore connectivity between Charge Point and Central System.]")
            sut = await csms.come_online(window, hold=OFFLINE_HOLD)
        finally:
            csms.behaviour.refuse_connections = False
        step("1-2. StartTransaction.req, answered Accepted")
        start = await sut.wait_for("StartTransaction")
        check(
            start.payload["idTag"] == tags.valid,
            f"StartTransaction.req idTag {tags.valid}",
            start.payload,
        )
        assert start.reply_payload is not None
        transaction_id = start.reply_payload["transactionId"]
        step("3-4. StopTransaction.req")
        stop = await sut.wait_for("StopTransaction")
        check(
            stop.payload["transactionId"] == transaction_id,
            f"StopTransaction.req transactionId {transaction_id} (from the StartTransaction.conf)",
            stop.payload,
        )
        check(
            stop.payload.get("reason") in (None, "Local"),
            "StopTransaction.req reason Local or omitted",
            stop.payload,
        )
        step("Evidence: both queued while offline, delivered in order with their own times")
        check(
            sut.link.inbox.index(start) < sut.link.inbox.index(stop),
            "StartTransaction.req before StopTransaction.req (queued transaction-related "
            "messages are delivered in chronological order, OCPP 1.6 §3.7)",
            [c.action for c in sut.link.inbox],
        )
        csms.check_done_offline(sut, start, window, id_tag=tags.valid)
        csms.check_done_offline(sut, stop, window)
        started, stopped = (_timestamp(c.payload["timestamp"]) for c in (start, stop))
        check(
            started <= stopped,
            "StopTransaction.req timestamp not before the StartTransaction.req timestamp",
            f"started {start.payload['timestamp']}, stopped {stop.payload['timestamp']}",
        )
        await _finish(csms, sut, station_operator)


# -- 2.15 configuration keys, non-happy --------------------------------------------------------
@ocpp_case("TC_040_1_CS")
async def test_tc_040_1_cs(csms: FakeCsms, station_operator: StationOperator) -> None:
    """OCPP 1.6 §5.3: ChangeConfiguration of a key the charge point does not know is answered
    NotSupported (OCTT 1.6 §2.15.1)."""
    sut = await csms.ready(station_operator)
    step("1-2. ChangeConfiguration.req key Testing, value true")
    answer = await sut.call("ChangeConfiguration", {"key": "Testing", "value": "true"})
    check(
        answer["status"] == "NotSupported", "ChangeConfiguration.conf status NotSupported", answer
    )


@ocpp_case("TC_040_2_CS")
async def test_tc_040_2_cs(csms: FakeCsms, station_operator: StationOperator) -> None:
    """OCPP 1.6 §5.3, §9.1.18: an invalid value (MeterValueSampleInterval -1) is Rejected, or
    refused with CallError PropertyConstraintViolation (OCTT 1.6 §2.15.2)."""
    sut = await csms.ready(station_operator)
    original = await csms.get_configuration(sut, "MeterValueSampleInterval")
    answer: dict[str, Any] = {}
    try:
        step("1-2. ChangeConfiguration.req key MeterValueSampleInterval, value -1")
        answer = await sut.call(
            "ChangeConfiguration",
            {"key": "MeterValueSampleInterval", "value": "-1"},
            allow_error=True,
        )
        check(
            answer.get("status") == "Rejected"
            or answer.get("errorCode") == "PropertyConstraintViolation",
            "ChangeConfiguration.conf status Rejected, or CallError PropertyConstraintViolation",
            answer,
        )
    finally:
        if answer.get("status") in ("Accepted", "RebootRequired") and original is not None:
            await _quietly(
                f"restore MeterValueSampleInterval = {original}",
                lambda: sut.call(
                    "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": original}
                ),
            )


# -- 2.16 fault behaviour ----------------------------------------------------------------------
@ocpp_case("TC_041_CS")
async def test_tc_041_cs(
    csms: FakeCsms, station_operator: StationOperator, tags: IdTags, ocpp_config: OcppConfig
) -> None:
    """OCPP 1.6 §4.9 (Faulted): a charge point in a fault state starts no transaction
    (OCTT 1.6 §2.16.1)."""
    sut = await csms.ready(station_operator)
    try:
        mark = sut.mark()
        step("[Set the Charge Point in fault state.] 1. StatusNotification.req Faulted")
        await station_operator.perform("set_fault", connector_id=0, error_code="OtherError")
        await sut.next_status(0, ["Faulted"], since=mark)
        mark = sut.mark()
        step(f"3. [The EV Driver tries to start a transaction: plugs in, presents {tags.valid}.]")
        await station_operator.plug_in(csms.connector)
        await station_operator.present_id_tag(tags.valid, csms.connector)
        step("[The Charge Point does not start a transaction.]")
        await _no_transaction(
            sut, mark, _transaction_duration(ocpp_config), "the Charge Point is Faulted"
        )
    finally:
        await _quietly(
            "clear the fault",
            lambda: station_operator.perform("clear_fault", connector_id=0),
        )
    await _finish(csms, sut, station_operator)


# -- 2.23 DataTransfer -------------------------------------------------------------------------
@ocpp_case("TC_062_CS")
async def test_tc_062_cs(csms: FakeCsms, station_operator: StationOperator) -> None:
    """OCPP 1.6 §5.6: a charge point without the vendor's extension refuses a DataTransfer
    (Rejected, UnknownMessageId or UnknownVendorId; Accepted passes with a warning, as OCTT
    says) (OCTT 1.6 §2.23.1)."""
    sut = await csms.ready(station_operator)
    step("1-2. DataTransfer.req with a specific vendorId")
    answer = await sut.call(
        "DataTransfer",
        {"vendorId": "org.pytest-ocpp.tc062", "messageId": "TC_062_CS", "data": "test"},
    )
    status = answer["status"]
    check(
        status in ("Rejected", "UnknownMessageId", "UnknownVendorId", "Accepted"),
        "DataTransfer.conf status Rejected, UnknownMessageId or UnknownVendorId",
        answer,
    )
    if status == "Accepted":
        warn(
            "DataTransfer accepted for an unknown vendorId: the Charge Point Accepted "
            "org.pytest-ocpp.tc062; OCTT passes TC_062_CS with this warning"
        )
