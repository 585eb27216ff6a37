"""OCTT 1.6, Charge Point under test, Core profile (OCTT 1.6 test case document, §2.1-2.8).

pytest-ocpp plays the Central System (the "Tool" column of each scenario table); physical
actions on the charge point go through the ``station_operator``. Reusable and memory states
(Charging, Authorized, IdTagCached, ...) are the fake CSMS's helpers (OCTT 1.6 §2.25-2.26).

Configuration states are set with ChangeConfiguration before a scenario and restored after it;
where a scenario waits for a station timer (ConnectionTimeOut, HeartbeatInterval) the timer is
first set to a short legal value, as OCTT does, so no case sleeps.

TC_007_1/007_2/061_1/061_2_CS split TC_007/061_CS in the OCTT 1.6 revision after FINAL 2024-04,
whose tables we only know by title; they are built here from the 2024-04 tables and the
OCPP 1.6 rules their titles name (see each docstring).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms16 as FakeCsms
from pytest_ocpp.csms import StationConnection
from pytest_ocpp.csms.keys16 import missing_key
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.verdicts import NotApplicable, TargetTimeout, check, check_octt


def connection_timeout(csms: FakeCsms) -> int:
    """ConnectionTimeOut (s) for the scenarios that wait for it to expire (TC_004_2, TC_011_2,
    ...): ``[station] connection_timeout``, default 3 (short, so no case waits a minute)."""
    return int(csms.config.station.extra.get("connection_timeout", 3))


def meter_interval(csms: FakeCsms) -> str:
    """<Configured Meter Value interval> (s) for TC_002, TC_004_1 and TC_021: the
    ``[station] meter_value_sample_interval`` setting (default 2, the one TC_070 uses too), so
    a station that refuses our default can still be tested."""
    return str(int(csms.config.station.extra.get("meter_value_sample_interval", 2)))


def heartbeat_setting(csms: FakeCsms) -> int:
    """<Configured Heartbeat interval> (s): ``[station] heartbeat_interval``, default 2, short
    so the heartbeat steps wait seconds, not minutes."""
    return int(csms.config.station.extra.get("heartbeat_interval", 2))


CORE_KEYS: dict[str, tuple[bool, ...]] = {
    # key → allowed values of "readonly" (OCTT 1.6 TC_019_CS step 4; OCPP 1.6 §9.1)
    "AuthorizeRemoteTxRequests": (True, False),
    "ClockAlignedDataInterval": (False,),
    "ConnectionTimeOut": (False,),
    "ConnectorPhaseRotation": (False,),
    "GetConfigurationMaxKeys": (True,),
    "HeartbeatInterval": (False,),
    "LocalAuthorizeOffline": (False,),
    "LocalPreAuthorize": (False,),
    "MeterValuesAlignedData": (False,),
    "MeterValuesSampledData": (False,),
    "MeterValueSampleInterval": (False,),
    "NumberOfConnectors": (True,),
    "ResetRetries": (False,),
    "StopTransactionOnInvalidId": (False,),
    "StopTxnAlignedData": (False,),
    "StopTxnSampledData": (False,),
    "SupportedFeatureProfiles": (True,),
    "TransactionMessageAttempts": (False,),
    "TransactionMessageRetryInterval": (False,),
    "UnlockConnectorOnEVSideDisconnect": (True, False),
}

PROFILE_KEYS: dict[str, dict[str, tuple[bool, ...]]] = {
    # Keys OCTT asks to check by hand for the optional profiles (OCPP 1.6 §9.2-9.4).
    "LocalAuthListManagement": {
        "LocalAuthListEnabled": (False,),
        "LocalAuthListMaxLength": (True,),
        "SendLocalListMaxLength": (True,),
    },
    "SmartCharging": {
        "ChargeProfileMaxStackLevel": (True,),
        "ChargingScheduleAllowedChargingRateUnit": (True,),
        "ChargingScheduleMaxPeriods": (True,),
        "MaxChargingProfilesInstalled": (True,),
    },
}


# -- helpers ---------------------------------------------------------------------------------
@asynccontextmanager
async def configuration(
    csms: FakeCsms, values: Mapping[str, str], *, optional: Collection[str] = ()
) -> AsyncIterator[dict[str, str]]:
    """A scenario's "Configuration State(s)" through the fake CSMS's one implementation
    (:meth:`FakeCsms16.configured`): ``values`` must be set, the keys in ``optional`` are the
    table's "(If implemented)" ones. Yields the keys that hold the wanted value."""
    sut = await csms.station()
    required = {k: v for k, v in values.items() if k not in optional}
    maybe = {k: v for k, v in values.items() if k in optional}
    async with csms.configured(sut, required, maybe) as holding:
        yield holding


def before(sut: StationConnection, first: IncomingCall, second: IncomingCall, rule: str) -> None:
    """Order check for steps the table does not allow to be reversed."""
    inbox = sut.link.inbox
    check(
        inbox.index(first) < inbox.index(second),
        f"{first.action}.req before {second.action}.req ({rule})",
        f"{second.action}.req {second.payload} came first",
    )


async def leave_idle(
    csms: FakeCsms,
    sut: StationConnection,
    station_operator: Any,
    transaction_id: int | None = None,
    connector_id: int | None = None,
) -> None:
    """Post-condition (OCTT 1.6 §1.3): stop our transaction remotely, unplug, Available."""
    connector_id = connector_id or csms.connector
    mark = sut.mark()
    if transaction_id is not None and transaction_id in csms.transactions:
        step("(post-condition) RemoteStopTransaction.req")
        await sut.call("RemoteStopTransaction", {"transactionId": transaction_id})
        await sut.wait_for(
            "StopTransaction", lambda p: p["transactionId"] == transaction_id, since=mark
        )
    step("(post-condition) [unplug the cable] StatusNotification.req Available")
    await station_operator.plug_out(connector_id)
    if csms.statuses.get(connector_id) == "Available" and not any(
        c.action == "StatusNotification" and c.payload.get("connectorId") == connector_id
        for c in sut.link.inbox[mark:]
    ):
        return  # already Available before: a station reports a change only (OCPP 1.6 §4.9)
    await sut.next_status(connector_id, "Available", since=mark, warn=False)


def require_cable(ocpp_config: Any, fixed: bool) -> None:
    if ocpp_config.station.fixed_cable != fixed:
        raise NotApplicable(
            "the charge point "
            + ("does not have" if fixed else "has")
            + " a fixed cable (prerequisite of this case)"
        )


async def heartbeat_every(sut: StationConnection, interval: float) -> None:
    """Two consecutive Heartbeat.req, the second ``interval`` (± slack) after the first:
    HeartbeatInterval is the interval of inactivity after which one is sent (OCPP 1.6 §9.1.10)."""
    mark = sut.mark()
    first = await sut.wait_for("Heartbeat", since=mark, timeout=2 * interval + 3)
    second = await sut.wait_for(
        "Heartbeat", since=sut.link.inbox.index(first) + 1, timeout=2 * interval + 3
    )
    gap = second.received_at - first.received_at
    check(
        interval * 0.5 <= gap <= interval * 2 + 1,
        f"a Heartbeat.req every {interval:g} s (the interval from BootNotification.conf)",
        f"{gap:.2f} s between two Heartbeat.req",
    )


async def heartbeat_interval(csms: FakeCsms) -> str | None:
    sut = await csms.station()
    return await csms.get_configuration(sut, "HeartbeatInterval")


async def restore_heartbeat(csms: FakeCsms, value: str | None) -> None:
    if value is not None:
        sut = await csms.station()
        await sut.call("ChangeConfiguration", {"key": "HeartbeatInterval", "value": value})


# -- 2.1 Cold boot ---------------------------------------------------------------------------
@ocpp_case("TC_001_CS")
async def test_tc_001_cs(csms, station_operator, ocpp_config) -> None:
    """OCPP 1.6 §4.2: a rejected charge point retries the boot after the given interval, then
    reports every connector and sends heartbeats at the accepted interval (OCTT TC_001_CS)."""
    await csms.ready(station_operator)
    original = await heartbeat_interval(csms)
    csms.behaviour.boot_status = "Rejected"
    csms.behaviour.heartbeat_interval = 1
    generation = csms.generation
    try:
        step("[Power cycle the Charge Point.]")
        await station_operator.power_cycle()
        sut = await csms.next_connection(after=generation, reboot=True)
        step("1-2. BootNotification.req, answered Rejected with interval 1 s")
        first = await sut.wait_for("BootNotification")
        csms.behaviour.boot_status = "Accepted"
        csms.behaviour.heartbeat_interval = heartbeat_setting(csms)
        step("3. The Charge Point sends a BootNotification.req after the interval")
        second = await sut.wait_for("BootNotification", since=sut.link.inbox.index(first) + 1)
        waited = second.received_at - first.received_at
        check(
            waited >= 0.9,
            "the next BootNotification no earlier than the interval (1 s)",
            f"{waited:.2f} s",
        )
        step("5. StatusNotification Available per connector and connectorId 0")
        # After the accepted boot: a report sent before it is not this step (and is judged
        # as a report before the boot, OCPP 1.6 §4.2.1, when the case ends).
        accepted = sut.link.inbox.index(second) + 1
        for connector in range(ocpp_config.station.connectors + 1):
            await sut.next_status(connector, "Available", since=accepted)
        step(f"7. The Charge Point sends a Heartbeat.req every {heartbeat_setting(csms)} s")
        await heartbeat_every(sut, heartbeat_setting(csms))
    finally:
        await restore_heartbeat(csms, original)


@ocpp_case("TC_002_CS")
async def test_tc_002_cs(csms, station_operator, ocpp_config) -> None:
    """OCPP 1.6 §4.2: while Pending the charge point answers configuration requests, sends no
    request but BootNotification, and boots again after the interval (OCTT TC_002_CS)."""
    await csms.ready(station_operator)
    original = await heartbeat_interval(csms)
    sampled = await csms.get_configuration(await csms.station(), "MeterValueSampleInterval")
    # Far enough from the accepted heartbeat interval that heartbeat_every (which allows
    # up to 2 x interval + 1 s) cannot mistake a station still heartbeating at the Pending
    # interval for one that took the Accepted interval (issue 22 pt 10).
    pending_interval = 3 * heartbeat_setting(csms)
    csms.behaviour.boot_status = "Pending"
    csms.behaviour.heartbeat_interval = pending_interval
    generation = csms.generation
    try:
        step("[Power cycle the Charge Point.]")
        await station_operator.power_cycle()
        sut = await csms.next_connection(after=generation, reboot=True)
        step(f"1-2. BootNotification.req, answered Pending with interval {pending_interval} s")
        first = await sut.wait_for("BootNotification")
        csms.behaviour.boot_status = "Accepted"
        csms.behaviour.heartbeat_interval = heartbeat_setting(csms)
        step("3-4. GetConfiguration.req without key")
        await sut.call("GetConfiguration", {})
        step(f"5-6. ChangeConfiguration.req MeterValueSampleInterval = {meter_interval(csms)}")
        answer = await sut.call(
            "ChangeConfiguration",
            {"key": "MeterValueSampleInterval", "value": meter_interval(csms)},
        )
        csms.check_change_accepted("MeterValueSampleInterval", meter_interval(csms), answer)
        step("7. The Charge Point sends a BootNotification.req after the interval")
        second = await sut.wait_for(
            "BootNotification",
            since=sut.link.inbox.index(first) + 1,
            timeout=pending_interval + ocpp_config.timeouts.message,
        )
        waited = second.received_at - first.received_at
        check(
            waited >= pending_interval - 0.5,
            f"the next BootNotification no earlier than the interval ({pending_interval} s)",
            f"{waited:.2f} s",
        )
        inbox = sut.link.inbox
        others = [c.action for c in inbox[inbox.index(first) + 1 : inbox.index(second)]]
        check(
            not others,
            "no request but BootNotification.req while Pending (OCPP 1.6 §4.2: the Charge "
            "Point SHALL NOT send request messages unless instructed by TriggerMessage)",
            others,
        )
        step("9. StatusNotification Available per connector and connectorId 0")
        for connector in range(ocpp_config.station.connectors + 1):
            await sut.next_status(connector, ("Available",), since=inbox.index(second) + 1)
        step(f"11. The Charge Point sends a Heartbeat.req every {heartbeat_setting(csms)} s")
        await heartbeat_every(sut, heartbeat_setting(csms))
    finally:
        await restore_heartbeat(csms, original)
        if sampled is not None:
            sut = await csms.station()
            await sut.call(
                "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": sampled}
            )


# -- 2.2 Start charging session --------------------------------------------------------------
@ocpp_case("TC_003_CS")
async def test_tc_003_cs(csms, station_operator, tags) -> None:
    """OCPP 1.6 §3.5, §4.8: plug in, present a card, Authorize, StartTransaction, Charging
    (OCTT TC_003_CS)."""
    sut = await csms.ready(station_operator)
    await csms.empty_cache(sut)
    mark = sut.mark()
    step("[EV driver plugs in the cable.] 1. StatusNotification.req Preparing")
    await station_operator.plug_in(csms.connector)
    await sut.next_status(csms.connector, ("Preparing",), since=mark)
    mark = sut.mark()
    step("[EV driver presents identification.] 3. Authorize.req")
    await station_operator.present_id_tag(tags.valid, csms.connector)
    authorize = await sut.wait_for("Authorize", since=mark)
    check(
        authorize.payload["idTag"] == tags.valid,
        f"Authorize.req idTag {tags.valid}",
        authorize.payload,
    )
    step("5/7. StartTransaction.req and StatusNotification.req Charging (either order)")
    start = await sut.wait_for("StartTransaction", since=mark)
    check(
        start.payload["connectorId"] == csms.connector and start.payload["idTag"] == tags.valid,
        f"StartTransaction.req connectorId {csms.connector} idTag {tags.valid}",
        start.payload,
    )
    before(sut, authorize, start, "authorization precedes the transaction, OCPP 1.6 §4.1")
    await sut.next_status(csms.connector, ("Charging",), since=mark)
    await leave_idle(csms, sut, station_operator, start.reply_payload["transactionId"])


@ocpp_case("TC_004_1_CS")
async def test_tc_004_1_cs(csms, station_operator, tags) -> None:
    """OCPP 1.6 §3.5, §4.8: identification first, then the cable starts the transaction
    (OCTT TC_004_1_CS)."""
    sut = await csms.ready(station_operator)
    await csms.empty_cache(sut)
    async with configuration(csms, {"MeterValueSampleInterval": meter_interval(csms)}):
        step("1. Execute Reusable State Authorized")
        connector = await csms.authorized(sut, station_operator, id_tag=tags.valid)
        mark = sut.mark()
        step(
            "2. [EV driver plugs in the cable.] 3/5. StartTransaction.req, Charging (either order)"
        )
        await station_operator.plug_in(connector)
        start = await sut.wait_for("StartTransaction", since=mark)
        check(
            start.payload["connectorId"] == connector and start.payload["idTag"] == tags.valid,
            f"StartTransaction.req connectorId {connector} idTag {tags.valid}",
            start.payload,
        )
        await sut.next_status(connector, ("Charging",), since=mark)
        await leave_idle(
            csms, sut, station_operator, start.reply_payload["transactionId"], connector
        )


@ocpp_case("TC_004_2_CS")
async def test_tc_004_2_cs(csms, station_operator, tags) -> None:
    """OCPP 1.6 §9.1.6 ConnectionTimeOut: an authorization without a cable lapses and the
    connector goes back to Available (OCTT TC_004_2_CS)."""
    sut = await csms.ready(station_operator)
    await csms.empty_cache(sut)
    async with configuration(csms, {"ConnectionTimeOut": str(connection_timeout(csms))}):
        mark = sut.mark()
        step("1. Execute Reusable State Authorized")
        connector = await csms.authorized(sut, station_operator, id_tag=tags.valid)
        preparing = [
            c
            for c in sut.link.inbox[mark:]
            if c.action == "StatusNotification" and c.payload["connectorId"] == connector
        ]
        started = preparing[-1].received_at if preparing else time.time()
        step(
            f"2. After ConnectionTimeOut ({connection_timeout(csms)} s): StatusNotification Available"
        )
        available = await sut.next_status(
            connector, ("Available",), since=sut.mark(), timeout=connection_timeout(csms) * 2 + 5
        )
        waited = available.received_at - started
        check(
            waited >= connection_timeout(csms) - 1,
            f"Available no earlier than ConnectionTimeOut ({connection_timeout(csms)} s) after Preparing",
            f"{waited:.2f} s",
        )


# -- 2.3 Stop charging session ---------------------------------------------------------------
async def occupy_other_connector(
    csms: FakeCsms, sut: StationConnection, operator: Any, connectors: int
) -> int | None:
    """TC_068/069_CS prerequisite: with several connectors on one card reader, the connector
    not under test is occupied (reusable state SetConnectorOccupied)."""
    if connectors < 2:
        return None
    other = 2 if csms.connector == 1 else 1
    step(f"(prerequisite) SetConnectorOccupied on connector {other}")
    await csms.set_connector_occupied(sut, operator, other)
    return other


async def release(sut: StationConnection, operator: Any, connector: int | None) -> None:
    if connector is None:
        return
    mark = sut.mark()
    step(f"(post-condition) unplug connector {connector}")
    await operator.plug_out(connector)
    await sut.next_status(connector, ("Available",), since=mark)


@ocpp_case("TC_068_CS")
async def test_tc_068_cs(csms, station_operator, tags, ocpp_config) -> None:
    """OCPP 1.6 §3.5, §4.10: only the idTag that started the transaction (or one sharing its
    parentIdTag) stops it locally (OCTT TC_068_CS)."""
    sut = await csms.ready(station_operator)
    other = await occupy_other_connector(
        csms, sut, station_operator, ocpp_config.station.connectors
    )
    step("Before: Reusable State Charging")
    transaction_id = await csms.charging(sut, station_operator, csms.connector, tags.valid)
    step(f"[Swipe a different IdTag ({tags.valid_2})] 1. no Authorize.req, no StopTransaction.req")
    await station_operator.present_id_tag(tags.valid_2, csms.connector)
    await sut.link.expect_silence(
        ("Authorize", "StopTransaction"),
        2,
        "a different idTag (without parentIdTag) cannot stop the transaction (TC_068_CS step 1)",
    )
    mark = sut.mark()
    step("[Swipe the IdTag used to start the transaction] 3/5. StopTransaction, Finishing")
    await station_operator.present_id_tag(tags.valid, csms.connector)
    stop = await sut.wait_for("StopTransaction", since=mark)
    check(
        stop.payload.get("idTag") == tags.valid,
        f"StopTransaction.req idTag {tags.valid}",
        stop.payload,
    )
    check(
        stop.payload["transactionId"] == transaction_id,
        f"StopTransaction.req transactionId {transaction_id} (assigned in StartTransaction.conf)",
        stop.payload,
    )
    await sut.next_status(csms.connector, ("Finishing",), since=mark)
    await leave_idle(csms, sut, station_operator)
    await release(sut, station_operator, other)


@ocpp_case("TC_069_CS")
async def test_tc_069_cs(csms, station_operator, tags, ocpp_config) -> None:
    """OCPP 1.6 §3.5, §4.10: a different idTag with the same parentIdTag stops the transaction
    (OCTT TC_069_CS)."""
    sut = await csms.ready(station_operator)
    csms.behaviour.parent_id_tag[tags.valid_2] = tags.parent
    other = await occupy_other_connector(
        csms, sut, station_operator, ocpp_config.station.connectors
    )
    step(f"Before: Reusable State Charging with {tags.valid_with_parent} (parent {tags.parent})")
    transaction_id = await csms.charging(
        sut, station_operator, csms.connector, tags.valid_with_parent
    )
    mark = sut.mark()
    step(f"[Swipe {tags.valid_2}, same parentIdTag] 1. Authorize.req")
    await station_operator.present_id_tag(tags.valid_2, csms.connector)
    authorize = await sut.wait_for("Authorize", since=mark)
    check(
        authorize.payload["idTag"] != tags.valid_with_parent,
        "Authorize.req idTag different from the one that started the transaction",
        authorize.payload,
    )
    step("3/5. StopTransaction.req and StatusNotification.req Finishing (either order)")
    stop = await sut.wait_for("StopTransaction", since=mark)
    check(
        stop.payload.get("idTag") == authorize.payload["idTag"],
        f"StopTransaction.req idTag {authorize.payload['idTag']} (the idTag of step 1)",
        stop.payload,
    )
    check(
        stop.payload["transactionId"] == transaction_id,
        f"StopTransaction.req transactionId {transaction_id}",
        stop.payload,
    )
    await sut.next_status(csms.connector, ("Finishing",), since=mark)
    await leave_idle(csms, sut, station_operator)
    await release(sut, station_operator, other)


@ocpp_case("TC_005_1_CS")
async def test_tc_005_1_cs(csms, station_operator, ocpp_config) -> None:
    """OCPP 1.6 §9.1.23 StopTransactionOnEVSideDisconnect: pulling the cable at the EV ends
    the transaction with reason EVDisconnected (OCTT TC_005_1_CS)."""
    require_cable(ocpp_config, fixed=False)
    sut = await csms.ready(station_operator)
    settings = {
        "MinimumStatusDuration": "0",
        "StopTransactionOnEVSideDisconnect": "true",
        "UnlockConnectorOnEVSideDisconnect": "true",
    }
    async with configuration(csms, settings, optional=("MinimumStatusDuration",)):
        step("Before: Reusable State Charging")
        transaction_id = await csms.charging(sut, station_operator, csms.connector)
        mark = sut.mark()
        step("[EV driver unplugs cable on EV side.] 1/3. StopTransaction, Finishing")
        await station_operator.ev_side_disconnect(csms.connector)
        stop = await sut.wait_for("StopTransaction", since=mark)
        check(
            stop.payload.get("reason") == "EVDisconnected",
            "StopTransaction.req reason EVDisconnected",
            stop.payload,
        )
        check(
            stop.payload["transactionId"] == transaction_id,
            f"StopTransaction.req transactionId {transaction_id}",
            stop.payload,
        )
        await sut.next_status(csms.connector, ("Finishing",), since=mark)
        await leave_idle(csms, sut, station_operator)


@ocpp_case("TC_005_2_CS")
async def test_tc_005_2_cs(csms, station_operator, ocpp_config) -> None:
    """OCPP 1.6 §9.1.23, §9.1.33: the transaction stops at the EV side disconnect but the
    connector stays locked until UnlockConnector (OCTT TC_005_2_CS)."""
    sut = await csms.ready(station_operator)
    settings = {
        "MinimumStatusDuration": "0",
        "StopTransactionOnEVSideDisconnect": "true",
        "UnlockConnectorOnEVSideDisconnect": "false",
    }
    async with configuration(csms, settings, optional=("MinimumStatusDuration",)):
        step("Before: Reusable State Charging")
        transaction_id = await csms.charging(sut, station_operator, csms.connector)
        mark = sut.mark()
        step("[EV driver unplugs cable on EV side.] 1/3. StopTransaction, StatusNotification")
        await station_operator.ev_side_disconnect(csms.connector)
        stop = await sut.wait_for("StopTransaction", since=mark)
        check(
            stop.payload.get("reason") == "EVDisconnected",
            "StopTransaction.req reason EVDisconnected",
            stop.payload,
        )
        check(
            stop.payload["transactionId"] == transaction_id,
            f"StopTransaction.req transactionId {transaction_id}",
            stop.payload,
        )
        await sut.next_status(csms.connector, ("Finishing", "Available"), since=mark)
        step("5. UnlockConnector.req")
        answer = await sut.call("UnlockConnector", {"connectorId": csms.connector})
        check(
            answer.get("status") in ("Unlocked", "NotSupported"),
            "UnlockConnector.conf status Unlocked or NotSupported",
            answer,
        )
        await leave_idle(csms, sut, station_operator)


@ocpp_case("TC_005_3_CS")
async def test_tc_005_3_cs(csms, station_operator, ocpp_config) -> None:
    """OCPP 1.6 §9.1.23: with StopTransactionOnEVSideDisconnect false the transaction is
    suspended at the EV side disconnect and stops only when asked (OCTT TC_005_3_CS)."""
    sut = await csms.ready(station_operator)
    settings = {
        "MinimumStatusDuration": "0",
        "StopTransactionOnEVSideDisconnect": "false",
        "UnlockConnectorOnEVSideDisconnect": "false",
    }
    async with configuration(csms, settings, optional=("MinimumStatusDuration",)):
        step("Before: Reusable State Charging")
        transaction_id = await csms.charging(sut, station_operator, csms.connector)
        mark = sut.mark()
        step("[EV driver unplugs cable on EV side.] 1. StatusNotification SuspendedEV(SE)")
        await station_operator.ev_side_disconnect(csms.connector)
        suspended = await sut.next_status(
            csms.connector, ("SuspendedEV", "SuspendedEVSE"), since=mark
        )
        info = str(suspended.payload.get("info") or "")
        check_octt(
            "disconnect" in info.lower(),
            "StatusNotification.req info 'EV side disconnected'",
            suspended.payload,
            octt="TC_005_3_CS step 1 (info is EV side disconnected)",
            spec="OCPP 1.6 §4.9 only recommends it: the Charge Point SHOULD add the reason of "
            "suspension, 'EV side disconnected', in the info field",
        )
        mark = sut.mark()
        step("3. RemoteStopTransaction.req")
        await sut.call("RemoteStopTransaction", {"transactionId": transaction_id})
        step("5/7. StatusNotification.req Finishing and StopTransaction.req reason Remote")
        stop = await sut.wait_for("StopTransaction", since=mark)
        check(
            stop.payload.get("reason") == "Remote",
            "StopTransaction.req reason Remote",
            stop.payload,
        )
        check(
            stop.payload["transactionId"] == transaction_id,
            f"StopTransaction.req transactionId {transaction_id}",
            stop.payload,
        )
        allowed = ("Finishing", "Available") if ocpp_config.station.fixed_cable else ("Finishing",)
        await sut.next_status(csms.connector, allowed, since=mark)
        await leave_idle(csms, sut, station_operator)


# -- 2.4 Cache -------------------------------------------------------------------------------
CACHE_SETTINGS = {
    "AuthorizationCacheEnabled": "true",
    "AuthorizeRemoteTxRequests": "true",
    "LocalPreAuthorize": "true",
}


async def remote_start_after_plug_in(
    sut: StationConnection, station_operator: Any, id_tag: str
) -> tuple[int, IncomingCall, int]:
    """Plug in (Preparing), RemoteStartTransaction (Accepted); returns the inbox mark taken
    before the remote start, the StartTransaction.req, and its transactionId."""
    connector = sut.csms.config.station.connector_id
    mark = sut.mark()
    step("[EV driver plugs in the cable] 1. StatusNotification.req Preparing")
    await station_operator.plug_in(connector)
    await sut.next_status(connector, ("Preparing",), since=mark)
    mark = sut.mark()
    step("3. RemoteStartTransaction.req")
    answer = await sut.call("RemoteStartTransaction", {"connectorId": connector, "idTag": id_tag})
    check(answer.get("status") == "Accepted", "RemoteStartTransaction.conf status Accepted", answer)
    step("5/7. StartTransaction.req and StatusNotification.req Charging (either order)")
    start = await sut.wait_for("StartTransaction", since=mark)
    check(
        start.payload["connectorId"] == connector and start.payload["idTag"] == id_tag,
        f"StartTransaction.req connectorId {connector} idTag {id_tag}",
        start.payload,
    )
    await sut.next_status(connector, ("Charging",), since=mark)
    return mark, start, int(start.reply_payload["transactionId"])


def no_authorize(sut: StationConnection, since: int, until: IncomingCall, why: str) -> None:
    inbox = sut.link.inbox
    sent = [c.payload for c in inbox[since : inbox.index(until)] if c.action == "Authorize"]
    check(not sent, f"no Authorize.req ({why})", sent)


@ocpp_case("TC_007_CS")
async def test_tc_007_cs(csms, station_operator, tags) -> None:
    """OCPP 1.6 §3.5.1: a remote start for an idTag in the Authorization Cache
    (OCTT TC_007_CS, FINAL 2024-04 table)."""
    sut = await csms.ready(station_operator)
    async with configuration(csms, CACHE_SETTINGS, optional=("AuthorizeRemoteTxRequests",)):
        step("Memory state: IdTagCached")
        await csms.id_tag_cached(sut, station_operator, csms.connector, tags.valid)
        _, _, transaction_id = await remote_start_after_plug_in(sut, station_operator, tags.valid)
        await leave_idle(csms, sut, station_operator, transaction_id)


@ocpp_case("TC_007_1_CS")
async def test_tc_007_1_cs(csms, station_operator, tags) -> None:
    """OCPP 1.6 §3.5.1, §9.1.19 LocalPreAuthorize: a presented idTag found Accepted in the
    cache starts the session without an Authorize.req (OCTT TC_007_1_CS; steps as in the
    Trial 2025-06 TC_007_CS: present, Preparing, plug in, StartTransaction, Charging)."""
    sut = await csms.ready(station_operator)
    async with configuration(csms, CACHE_SETTINGS, optional=("AuthorizeRemoteTxRequests",)):
        step("Memory state: IdTagCached")
        await csms.id_tag_cached(sut, station_operator, csms.connector, tags.valid)
        mark = sut.mark()
        step("[EV driver presents identification.] 1. StatusNotification.req Preparing")
        await station_operator.present_id_tag(tags.valid, csms.connector)
        await sut.next_status(csms.connector, ("Preparing",), since=mark)
        step("[EV driver plugs in the cable] 3/5. StartTransaction.req, Charging (either order)")
        await station_operator.plug_in(csms.connector)
        start = await sut.wait_for("StartTransaction", since=mark)
        check(
            start.payload["idTag"] == tags.valid,
            f"StartTransaction.req idTag {tags.valid}",
            start.payload,
        )
        no_authorize(sut, mark, start, "LocalPreAuthorize with the idTag cached Accepted")
        await sut.next_status(csms.connector, ("Charging",), since=mark)
        await leave_idle(csms, sut, station_operator, start.reply_payload["transactionId"])


@ocpp_case("TC_007_2_CS")
async def test_tc_007_2_cs(csms, station_operator, tags) -> None:
    """OCPP 1.6 §5.11: with AuthorizeRemoteTxRequests a remote start behaves as a local one,
    so a cached idTag with LocalPreAuthorize starts without Authorize.req (OCTT TC_007_2_CS;
    steps of the FINAL 2024-04 TC_007_CS)."""
    sut = await csms.ready(station_operator)
    async with configuration(csms, CACHE_SETTINGS):
        step("Memory state: IdTagCached")
        await csms.id_tag_cached(sut, station_operator, csms.connector, tags.valid)
        mark, start, transaction_id = await remote_start_after_plug_in(
            sut, station_operator, tags.valid
        )
        no_authorize(sut, mark, start, "AuthorizeRemoteTxRequests, LocalPreAuthorize, cached idTag")
        await leave_idle(csms, sut, station_operator, transaction_id)


@ocpp_case("TC_061_CS")
async def test_tc_061_cs(csms, station_operator, tags, ocpp_config) -> None:
    """OCPP 1.6 §5.4: after ClearCache a cached idTag must be authorized online again
    (OCTT TC_061_CS)."""
    sut = await csms.ready(station_operator)
    settings = {
        "AuthorizationCacheEnabled": "true",
        "LocalPreAuthorize": "true",
        "ConnectionTimeOut": str(connection_timeout(csms)),
    }
    await csms.empty_cache(sut)
    async with configuration(csms, settings):
        step("Before: Reusable State Authorized; 1. StatusNotification.req Preparing")
        connector = await csms.authorized(sut, station_operator, id_tag=tags.valid)
        mark = sut.mark()
        step("[Swipe the card again or wait ConnectionTimeOut] 3. StatusNotification Available")
        await station_operator.present_id_tag(tags.valid, connector)
        await sut.next_status(
            connector, ("Available",), since=mark, timeout=connection_timeout(csms) * 2 + 5
        )
        step("5. ClearCache.req")
        answer = await sut.call("ClearCache", {})
        check(answer.get("status") == "Accepted", "ClearCache.conf status Accepted", answer)
        mark = sut.mark()
        step("[Swipe the card of step 1] 7. Authorize.req")
        await station_operator.present_id_tag(tags.valid, connector)
        authorize = await sut.wait_for("Authorize", since=mark)
        check(
            authorize.payload["idTag"] == tags.valid,
            f"Authorize.req idTag {tags.valid}",
            authorize.payload,
        )
        step("(post-condition) the authorization lapses: StatusNotification Available")
        await sut.next_status(connector, ("Preparing",), since=mark)
        await station_operator.present_id_tag(tags.valid, connector)
        await sut.next_status(
            connector, ("Available",), since=mark, timeout=connection_timeout(csms) * 2 + 5
        )


@ocpp_case("TC_061_1_CS")
async def test_tc_061_1_cs(csms, station_operator, tags) -> None:
    """OCPP 1.6 §5.4, §9.1.19: after ClearCache a locally presented idTag that was cached is
    authorized online again despite LocalPreAuthorize (OCTT TC_061_1_CS, "Local")."""
    sut = await csms.ready(station_operator)
    settings = {**CACHE_SETTINGS, "ConnectionTimeOut": str(connection_timeout(csms))}
    async with configuration(csms, settings, optional=("AuthorizeRemoteTxRequests",)):
        step("Memory state: IdTagCached")
        await csms.id_tag_cached(sut, station_operator, csms.connector, tags.valid)
        step("1. ClearCache.req")
        answer = await sut.call("ClearCache", {})
        check(answer.get("status") == "Accepted", "ClearCache.conf status Accepted", answer)
        mark = sut.mark()
        step("[EV driver presents the cached idTag] 3. Authorize.req, StatusNotification Preparing")
        await station_operator.present_id_tag(tags.valid, csms.connector)
        authorize = await sut.wait_for("Authorize", since=mark)
        check(
            authorize.payload["idTag"] == tags.valid,
            f"Authorize.req idTag {tags.valid}",
            authorize.payload,
        )
        await sut.next_status(csms.connector, ("Preparing",), since=mark)
        step("(post-condition) withdraw the authorization: StatusNotification Available")
        await station_operator.present_id_tag(tags.valid, csms.connector)
        await sut.next_status(
            csms.connector, ("Available",), since=mark, timeout=connection_timeout(csms) * 2 + 5
        )


@ocpp_case("TC_061_2_CS")
async def test_tc_061_2_cs(csms, station_operator, tags) -> None:
    """OCPP 1.6 §5.4, §5.11: after ClearCache a remote start for a formerly cached idTag is
    authorized online (AuthorizeRemoteTxRequests) before the transaction starts
    (OCTT TC_061_2_CS, "Remote")."""
    sut = await csms.ready(station_operator)
    async with configuration(csms, CACHE_SETTINGS):
        step("Memory state: IdTagCached")
        await csms.id_tag_cached(sut, station_operator, csms.connector, tags.valid)
        step("1. ClearCache.req")
        answer = await sut.call("ClearCache", {})
        check(answer.get("status") == "Accepted", "ClearCache.conf status Accepted", answer)
        mark = sut.mark()
        step("[EV driver plugs in the cable] StatusNotification.req Preparing")
        await station_operator.plug_in(csms.connector)
        await sut.next_status(csms.connector, ("Preparing",), since=mark)
        mark = sut.mark()
        step("RemoteStartTransaction.req")
        answer = await sut.call(
            "RemoteStartTransaction", {"connectorId": csms.connector, "idTag": tags.valid}
        )
        check(
            answer.get("status") == "Accepted",
            "RemoteStartTransaction.conf status Accepted",
            answer,
        )
        step("Authorize.req (the cache was cleared), then StartTransaction.req, Charging")
        authorize = await sut.wait_for("Authorize", since=mark)
        check(
            authorize.payload["idTag"] == tags.valid,
            f"Authorize.req idTag {tags.valid}",
            authorize.payload,
        )
        start = await sut.wait_for("StartTransaction", since=mark)
        before(sut, authorize, start, "AuthorizeRemoteTxRequests true, OCPP 1.6 §5.11")
        await sut.next_status(csms.connector, ("Charging",), since=mark)
        await leave_idle(csms, sut, station_operator, start.reply_payload["transactionId"])


# -- 2.5 Remote actions ----------------------------------------------------------------------
@ocpp_case("TC_010_CS")
async def test_tc_010_cs(csms, station_operator, tags) -> None:
    """OCPP 1.6 §5.11: cable first, then RemoteStartTransaction starts the transaction
    (OCTT TC_010_CS: the reusable state Charging)."""
    sut = await csms.ready(station_operator)
    step("Reusable State Charging")
    transaction_id = await csms.charging(sut, station_operator, csms.connector, tags.valid)
    await leave_idle(csms, sut, station_operator, transaction_id)


async def remote_start_first(sut: StationConnection, tags: Any) -> tuple[int, IncomingCall]:
    """TC_011_1/011_2_CS steps 1-8: GetConfiguration AuthorizeRemoteTxRequests,
    RemoteStartTransaction without a cable, Authorize (if configured), Preparing."""
    connector = sut.csms.config.station.connector_id
    step("1. GetConfiguration.req AuthorizeRemoteTxRequests")
    response = await sut.call("GetConfiguration", {"key": ["AuthorizeRemoteTxRequests"]})
    items = {i["key"]: i for i in response.get("configurationKey") or []}
    check(
        "AuthorizeRemoteTxRequests" in items,
        "GetConfiguration.conf configurationKey.key AuthorizeRemoteTxRequests",
        response,
    )
    authorize_remote = str(items["AuthorizeRemoteTxRequests"].get("value")).lower() == "true"
    mark = sut.mark()
    step("3. RemoteStartTransaction.req")
    answer = await sut.call(
        "RemoteStartTransaction", {"connectorId": connector, "idTag": tags.valid}
    )
    check(answer.get("status") == "Accepted", "RemoteStartTransaction.conf status Accepted", answer)
    authorize = None
    if authorize_remote:
        step("5. Authorize.req (AuthorizeRemoteTxRequests is true)")
        authorize = await sut.wait_for("Authorize", since=mark)
        check(
            authorize.payload["idTag"] == tags.valid,
            f"Authorize.req idTag {tags.valid}",
            authorize.payload,
        )
    step("7. StatusNotification.req Preparing")
    preparing = await sut.next_status(connector, ("Preparing",), since=mark)
    if authorize is not None:
        before(sut, authorize, preparing, "TC_011_CS steps 5 and 7")
    return mark, preparing


@ocpp_case("TC_011_1_CS")
async def test_tc_011_1_cs(csms, station_operator, tags) -> None:
    """OCPP 1.6 §5.11: RemoteStartTransaction first, the cable plugged in within
    ConnectionTimeOut starts the transaction (OCTT TC_011_1_CS)."""
    sut = await csms.ready(station_operator)
    await remote_start_first(sut, tags)
    mark = sut.mark()
    step("[EV driver plugs in the cable.] 9/11. StartTransaction.req, Charging")
    await station_operator.plug_in(csms.connector)
    start = await sut.wait_for("StartTransaction", since=mark)
    check(
        start.payload["connectorId"] == csms.connector and start.payload["idTag"] == tags.valid,
        f"StartTransaction.req connectorId {csms.connector} idTag {tags.valid}",
        start.payload,
    )
    await sut.next_status(csms.connector, ("Charging",), since=mark)
    await leave_idle(csms, sut, station_operator, start.reply_payload["transactionId"])


@ocpp_case("TC_011_2_CS")
async def test_tc_011_2_cs(csms, station_operator, tags) -> None:
    """OCPP 1.6 §5.11, §9.1.6: a remote start without a cable lapses after ConnectionTimeOut
    (OCTT TC_011_2_CS)."""
    sut = await csms.ready(station_operator)
    async with configuration(csms, {"ConnectionTimeOut": str(connection_timeout(csms))}):
        _, preparing = await remote_start_first(sut, tags)
        step(
            f"9. After ConnectionTimeOut ({connection_timeout(csms)} s): StatusNotification Available"
        )
        available = await sut.next_status(
            csms.connector,
            ("Available",),
            since=sut.mark(),
            timeout=connection_timeout(csms) * 2 + 5,
        )
        waited = available.received_at - preparing.received_at
        check(
            waited >= connection_timeout(csms) - 1,
            f"Available no earlier than ConnectionTimeOut ({connection_timeout(csms)} s) after Preparing",
            f"{waited:.2f} s",
        )
        check(
            not [c for c in csms.transactions.values() if c == csms.connector],
            "no transaction started on the connector",
            csms.transactions,
        )


@ocpp_case("TC_012_CS")
async def test_tc_012_cs(csms, station_operator) -> None:
    """OCPP 1.6 §5.12: RemoteStopTransaction stops the transaction with reason Remote
    (OCTT TC_012_CS)."""
    sut = await csms.ready(station_operator)
    step("Before: Reusable State Charging")
    transaction_id = await csms.charging(sut, station_operator, csms.connector)
    mark = sut.mark()
    step("1. RemoteStopTransaction.req")
    answer = await sut.call("RemoteStopTransaction", {"transactionId": transaction_id})
    check(answer.get("status") == "Accepted", "RemoteStopTransaction.conf status Accepted", answer)
    step("3/5. StopTransaction.req reason Remote, StatusNotification.req Finishing")
    stop = await sut.wait_for("StopTransaction", since=mark)
    check(stop.payload.get("reason") == "Remote", "StopTransaction.req reason Remote", stop.payload)
    check(
        stop.payload["transactionId"] == transaction_id,
        f"StopTransaction.req transactionId {transaction_id}",
        stop.payload,
    )
    await sut.next_status(csms.connector, ("Finishing",), since=mark)
    await leave_idle(csms, sut, station_operator)


# -- 2.6 Reset -------------------------------------------------------------------------------
async def restore_operative(csms: FakeCsms, done: bool) -> None:
    """Best effort after a failed reset scenario: the next case needs an operative connector."""
    if done:
        return
    try:
        sut = await csms.station()
        await sut.call("ChangeAvailability", {"connectorId": csms.connector, "type": "Operative"})
    except Exception:  # the scenario's own failure is the verdict
        pass


async def rebooted(
    csms: FakeCsms,
    sut: StationConnection,
    generation: int,
    connectors: int,
    expected: dict[int, Collection[str]],
) -> StationConnection:
    """After a reset: the new connection, BootNotification.req (Accepted) and one
    StatusNotification.req per connector and connectorId 0 with the ``expected`` status
    (Available where not given)."""
    sut = await csms.next_connection(after=generation, reboot=True)
    step("7. BootNotification.req")
    boot = await sut.wait_for("BootNotification")
    since = sut.link.inbox.index(boot) + 1
    step("9. StatusNotification.req per connector and connectorId 0")
    for connector in range(connectors + 1):
        await sut.next_status(connector, expected.get(connector, ("Available",)), since=since)
    return sut


async def reset_without_transaction(
    csms: FakeCsms, station_operator: Any, ocpp_config: Any, kind: str
) -> None:
    """TC_013/014_CS: connector Inoperative, Reset, reboot keeps it Unavailable, Operative."""
    sut = await csms.ready(station_operator)
    operative = True
    try:
        mark = sut.mark()
        step(f"1. ChangeAvailability.req connectorId {csms.connector} Inoperative")
        answer = await sut.call(
            "ChangeAvailability", {"connectorId": csms.connector, "type": "Inoperative"}
        )
        operative = False
        check(answer.get("status") == "Accepted", "ChangeAvailability.conf status Accepted", answer)
        step("3. StatusNotification.req Unavailable")
        await sut.next_status(csms.connector, ("Unavailable",), since=mark)
        generation = csms.generation
        step(f"5. Reset.req type {kind}")
        answer = await sut.call("Reset", {"type": kind})
        check(answer.get("status") == "Accepted", "Reset.conf status Accepted", answer)
        reboots = True
        if kind == "Soft":
            # Step 7 is optional for a soft reset: a reboot shows as the connection closing.
            try:
                await sut.link.wait_closed(ocpp_config.timeouts.message)
            except TargetTimeout:
                reboots = False
        if reboots:
            sut = await rebooted(
                csms,
                sut,
                generation,
                ocpp_config.station.connectors,
                {csms.connector: ("Unavailable",)},
            )
        mark = sut.mark()
        step(f"11. ChangeAvailability.req connectorId {csms.connector} Operative")
        answer = await sut.call(
            "ChangeAvailability", {"connectorId": csms.connector, "type": "Operative"}
        )
        check(answer.get("status") == "Accepted", "ChangeAvailability.conf status Accepted", answer)
        operative = True
        step("13. StatusNotification.req Available")
        await sut.next_status(csms.connector, ("Available",), since=mark)
    finally:
        await restore_operative(csms, operative)


@ocpp_case("TC_013_CS")
async def test_tc_013_cs(csms, station_operator, ocpp_config) -> None:
    """OCPP 1.6 §5.14, §5.2: a hard reset reboots the charge point, which keeps a connector's
    availability across the reboot (OCTT TC_013_CS)."""
    await reset_without_transaction(csms, station_operator, ocpp_config, "Hard")


@ocpp_case("TC_014_CS")
async def test_tc_014_cs(csms, station_operator, ocpp_config) -> None:
    """OCPP 1.6 §5.14, §5.2: a soft reset (reboot optional) keeps a connector's availability
    (OCTT TC_014_CS)."""
    await reset_without_transaction(csms, station_operator, ocpp_config, "Soft")


async def reset_with_transaction(
    csms: FakeCsms, station_operator: Any, ocpp_config: Any, kind: str
) -> None:
    """TC_015/016_CS: Reset during a transaction stops it with reason <kind>Reset."""
    sut = await csms.ready(station_operator)
    step("Before: Reusable State Charging")
    transaction_id = await csms.charging(sut, station_operator, csms.connector)
    mark = sut.mark()
    generation = csms.generation
    step(f"1. Reset.req type {kind}")
    answer = await sut.call("Reset", {"type": kind})
    check(answer.get("status") == "Accepted", "Reset.conf status Accepted", answer)
    old = sut
    stop: IncomingCall | None = None
    if kind == "Soft":
        step("3/5. StopTransaction.req and StatusNotification.req Finishing")
        stop = await old.wait_for("StopTransaction", since=mark)
        await old.next_status(csms.connector, ("Finishing",), since=mark)
        try:
            await old.link.wait_closed(ocpp_config.timeouts.message)
        except TargetTimeout:
            pass
        if not old.link.closed.is_set():
            # Step 7 is optional for a soft reset: the charge point did not reboot.
            check(
                stop.payload.get("reason") == "SoftReset",
                "StopTransaction.req reason SoftReset",
                stop.payload,
            )
            await leave_idle(csms, old, station_operator)
            return
    else:
        step("7. The charge point reboots (new connection)")
    sut = await csms.next_connection(after=generation, reboot=True)
    if stop is None:
        stops = [c for c in old.link.inbox[mark:] if c.action == "StopTransaction"]
        if stops:
            stop = stops[0]
            step("3/5. StopTransaction.req and StatusNotification.req Finishing, before the reboot")
            await old.next_status(csms.connector, ("Finishing",), since=mark)
    step("7. BootNotification.req")
    boot = await sut.wait_for("BootNotification")
    if stop is None:
        step("3. StopTransaction.req after the reboot")
        stop = await sut.wait_for("StopTransaction", since=sut.link.inbox.index(boot) + 1)
    check(
        stop.payload.get("reason") == f"{kind}Reset",
        f"StopTransaction.req reason {kind}Reset",
        stop.payload,
    )
    check(
        stop.payload["transactionId"] == transaction_id,
        f"StopTransaction.req transactionId {transaction_id}",
        stop.payload,
    )
    since = sut.link.inbox.index(boot) + 1
    step("9. StatusNotification.req per connector and connectorId 0")
    for connector in range(ocpp_config.station.connectors + 1):
        allowed = ("Finishing", "Preparing") if connector == csms.connector else ("Available",)
        await sut.next_status(connector, allowed, since=since)
    await leave_idle(csms, sut, station_operator)


@ocpp_case("TC_015_CS")
async def test_tc_015_cs(csms, station_operator, ocpp_config) -> None:
    """OCPP 1.6 §5.14: a hard reset stops the transaction (reason HardReset) and reboots
    (OCTT TC_015_CS)."""
    await reset_with_transaction(csms, station_operator, ocpp_config, "Hard")


@ocpp_case("TC_016_CS")
async def test_tc_016_cs(csms, station_operator, ocpp_config) -> None:
    """OCPP 1.6 §5.14: a soft reset stops the transaction gracefully (reason SoftReset),
    then may reboot (OCTT TC_016_CS)."""
    await reset_with_transaction(csms, station_operator, ocpp_config, "Soft")


# -- 2.7 Unlock connector --------------------------------------------------------------------
@ocpp_case("TC_017_1_CS")
async def test_tc_017_1_cs(csms, station_operator, ocpp_config) -> None:
    """OCPP 1.6 §5.17: UnlockConnector on an idle socket unlocks it (OCTT TC_017_1_CS)."""
    require_cable(ocpp_config, fixed=False)
    sut = await csms.ready(station_operator)
    step("1. UnlockConnector.req")
    answer = await sut.call("UnlockConnector", {"connectorId": csms.connector})
    check(answer.get("status") == "Unlocked", "UnlockConnector.conf status Unlocked", answer)


@ocpp_case("TC_017_2_CS")
async def test_tc_017_2_cs(csms, station_operator, ocpp_config) -> None:
    """OCPP 1.6 §5.17: a fixed cable cannot be unlocked: NotSupported (OCTT TC_017_2_CS)."""
    require_cable(ocpp_config, fixed=True)
    sut = await csms.ready(station_operator)
    step("1. UnlockConnector.req")
    answer = await sut.call("UnlockConnector", {"connectorId": csms.connector})
    check(
        answer.get("status") == "NotSupported", "UnlockConnector.conf status NotSupported", answer
    )


@ocpp_case("TC_018_1_CS")
async def test_tc_018_1_cs(csms, station_operator, ocpp_config) -> None:
    """OCPP 1.6 §5.17: UnlockConnector during a transaction stops it (reason UnlockCommand)
    and unlocks the socket (OCTT TC_018_1_CS)."""
    require_cable(ocpp_config, fixed=False)
    sut = await csms.ready(station_operator)
    step("Before: Reusable State Charging")
    transaction_id = await csms.charging(sut, station_operator, csms.connector)
    mark = sut.mark()
    step("1. UnlockConnector.req")
    answer = await sut.call("UnlockConnector", {"connectorId": csms.connector})
    check(answer.get("status") == "Unlocked", "UnlockConnector.conf status Unlocked", answer)
    step("3/5. StopTransaction.req reason UnlockCommand, StatusNotification.req Finishing")
    stop = await sut.wait_for("StopTransaction", since=mark)
    check(
        stop.payload.get("reason") == "UnlockCommand",
        "StopTransaction.req reason UnlockCommand",
        stop.payload,
    )
    check(
        stop.payload["transactionId"] == transaction_id,
        f"StopTransaction.req transactionId {transaction_id}",
        stop.payload,
    )
    await sut.next_status(csms.connector, ("Finishing",), since=mark)
    mark = sut.mark()
    step("[EV driver unplugs the cable.] 7. StatusNotification.req Available")
    await station_operator.plug_out(csms.connector)
    await sut.next_status(csms.connector, ("Available",), since=mark)


@ocpp_case("TC_018_2_CS")
async def test_tc_018_2_cs(csms, station_operator, ocpp_config) -> None:
    """OCPP 1.6 §5.17: a fixed cable cannot be unlocked, even during a transaction
    (OCTT TC_018_2_CS)."""
    require_cable(ocpp_config, fixed=True)
    sut = await csms.ready(station_operator)
    step("Before: Reusable State Charging")
    transaction_id = await csms.charging(sut, station_operator, csms.connector)
    step("1. UnlockConnector.req")
    answer = await sut.call("UnlockConnector", {"connectorId": csms.connector})
    check(
        answer.get("status") == "NotSupported", "UnlockConnector.conf status NotSupported", answer
    )
    await leave_idle(csms, sut, station_operator, transaction_id)


# -- 2.8 Configuration -----------------------------------------------------------------------
@ocpp_case("TC_019_CS")
async def test_tc_019_cs(csms, station_operator) -> None:
    """OCPP 1.6 §5.8, §9: the charge point reports the required keys of its profiles with the
    right accessibility, and honours a key list (OCTT TC_019_CS)."""
    sut = await csms.ready(station_operator)
    step("1. GetConfiguration.req key SupportedFeatureProfiles")
    first = await sut.call("GetConfiguration", {"key": ["SupportedFeatureProfiles"]})
    check(not first.get("unknownKey"), "GetConfiguration.conf unknownKey empty", first)
    returned = [i["key"] for i in first.get("configurationKey") or []]
    check(
        returned == ["SupportedFeatureProfiles"],
        "GetConfiguration.conf configurationKey.key SupportedFeatureProfiles (only the key asked)",
        returned,
    )
    profiles = [p.strip() for p in str(first["configurationKey"][0].get("value") or "").split(",")]
    step("3. GetConfiguration.req without key")
    everything = await sut.call("GetConfiguration", {})
    items = {i["key"]: i for i in everything.get("configurationKey") or []}
    required = dict(CORE_KEYS)
    for profile in profiles:
        required.update(PROFILE_KEYS.get(profile, {}))
    missing = sorted(k for k in required if k not in items)
    check(
        not missing,
        "every required key of the supported profiles (OCPP 1.6 §9)",
        f"missing {missing}",
    )
    wrong = {
        k: "R" if items[k].get("readonly") else "RW"
        for k, allowed in required.items()
        if bool(items[k].get("readonly")) not in allowed
    }
    check(not wrong, "the accessibility OCPP 1.6 §9 gives each required key", wrong)
    step("5. GetConfiguration.req key GetConfigurationMaxKeys")
    answer = await sut.call("GetConfiguration", {"key": ["GetConfigurationMaxKeys"]})
    values = {i["key"]: i.get("value") for i in answer.get("configurationKey") or []}
    check(
        str(values.get("GetConfigurationMaxKeys", "")).isdigit(),
        "GetConfiguration.conf GetConfigurationMaxKeys with an integer value",
        answer,
    )
    max_keys = int(values["GetConfigurationMaxKeys"])
    keys = list(items)[: min(max_keys, len(items))]
    step(f"7. GetConfiguration.req with {len(keys)} keys from step 4")
    last = await sut.call("GetConfiguration", {"key": keys})
    check(
        not last.get("unknownKey"), "GetConfiguration.conf unknownKey empty", last.get("unknownKey")
    )
    got = {i["key"] for i in last.get("configurationKey") or []}
    check(
        set(keys) <= got,
        "configurationKey with every key requested in step 7",
        sorted(set(keys) - got),
    )


@ocpp_case("TC_021_CS")
async def test_tc_021_cs(csms, station_operator) -> None:
    """OCPP 1.6 §5.3: ChangeConfiguration sets a key's value, GetConfiguration reads it back
    (OCTT TC_021_CS)."""
    sut = await csms.ready(station_operator)
    original = await csms.get_configuration(sut, "MeterValueSampleInterval")
    if original is None:
        raise missing_key(
            "MeterValueSampleInterval", csms.config.station.features, meter_interval(csms)
        )
    other = str(int(meter_interval(csms)) + 5)
    try:
        if original == meter_interval(csms):
            step(f"(configuration state) MeterValueSampleInterval is not {meter_interval(csms)}")
            await sut.call(
                "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": other}
            )
        step(f"1. ChangeConfiguration.req MeterValueSampleInterval = {meter_interval(csms)}")
        answer = await sut.call(
            "ChangeConfiguration",
            {"key": "MeterValueSampleInterval", "value": meter_interval(csms)},
        )
        csms.check_change_accepted("MeterValueSampleInterval", meter_interval(csms), answer)
        step("3. GetConfiguration.req MeterValueSampleInterval")
        response = await sut.call("GetConfiguration", {"key": ["MeterValueSampleInterval"]})
        values = {i["key"]: i.get("value") for i in response.get("configurationKey") or []}
        check(
            values.get("MeterValueSampleInterval") == meter_interval(csms),
            f"configurationKey MeterValueSampleInterval value {meter_interval(csms)}",
            response,
        )
    finally:
        if original != meter_interval(csms):
            await sut.call(
                "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": original}
            )
