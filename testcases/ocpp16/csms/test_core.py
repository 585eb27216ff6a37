"""OCTT 1.6, Central System under test, Core profile (OCTT 1.6 test case document, §3.1-3.13,
§3.20).

pytest-ocpp plays the Charge Point (the "Tool" column of each scenario table). "[manual]"
actions on the charge point side (plug in, present a card, lose connectivity) are simply what
our station does next; "[...]" actions on the Central System side go through ``csms_operator``.
A request from the CSMS is answered before its validation is judged, so a failing check never
leaves the CSMS waiting for a reply. Cases that leave a transaction running end with an "After"
step that stops it: OCTT 1.6 §1.3 starts every case from an idle charge point.
"""

from __future__ import annotations

from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import IdTags, OcppConfig
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station16, check

CONNECTOR = 1
"""OCTT's <Configured ConnectorId>."""

UNSUPPORTED_KEY = "PytestOcppUnsupportedKey"
"""A configuration key no charge point knows (TC_040_1_CSMS)."""

VENDOR_ID = "org.pytest-ocpp.unsupported"
"""A vendorId the CSMS under test has no DataTransfer extension for (TC_064_CSMS)."""


@ocpp_case("TC_001_CSMS")
async def test_tc_001_csms(new_station, ocpp_config) -> None:
    """A charge point registers with a cold boot (OCPP 1.6 §4.2 BootNotification, §4.6)."""
    step("1. The Charge Point sends a BootNotification.req")
    conf = await new_station.boot(expect_accepted=False)
    check(conf["status"] == "Accepted", "Step 2: BootNotification.conf status Accepted", conf)
    step("3. The Charge Point sends a StatusNotification.req per connector and connectorId 0")
    for connector in range(ocpp_config.station.connectors + 1):
        await new_station.status(connector, "Available")
    step("5. The Charge Point sends a Heartbeat.req")
    await new_station.heartbeat()


# -- §3.2 Start Charging Session -----------------------------------------------------------
@ocpp_case("TC_003_CSMS")
async def test_tc_003_csms(station: Station16, tags: IdTags) -> None:
    """A charging session started by plugging in first, then presenting a card (OCPP 1.6
    §4.1 Authorize, §4.8 StartTransaction, §4.9 StatusNotification)."""
    step("1. [EV driver plugs in the cable] The Charge Point sends a StatusNotification.req")
    await station.status(CONNECTOR, "Preparing")
    step("3. [EV driver presents identification] The Charge Point sends an Authorize.req")
    info = await station.authorize(tags.valid)
    check(info["status"] == "Accepted", "Step 4: Authorize.conf idTagInfo.status Accepted", info)
    step("5. The Charge Point sends a StartTransaction.req")
    conf = await station.start_transaction(CONNECTOR, tags.valid)
    check(
        conf["idTagInfo"]["status"] == "Accepted",
        "Step 6: StartTransaction.conf idTagInfo.status Accepted",
        conf,
    )
    step("7. The Charge Point sends a StatusNotification.req (Charging)")
    await station.status(CONNECTOR, "Charging")
    step("After: stop the transaction (general post-conditions)")
    await station.leave_idle()


@ocpp_case("TC_004_1_CSMS")
async def test_tc_004_1_csms(station: Station16, tags: IdTags) -> None:
    """A charging session started by presenting a card first: exactly reusable state
    Charging, whose own precondition is Authorized (OCTT 1.6 §3.22 Tables 193-194; OCPP 1.6
    §4.1, §4.8)."""
    step("Charging (Authorized, Preparing, StartTransaction, Charging): reusable state Charging")
    await station.charging()
    step("After: stop the transaction (general post-conditions)")
    await station.leave_idle()


@ocpp_case("TC_004_2_CSMS")
async def test_tc_004_2_csms(station: Station16, tags: IdTags) -> None:
    """The CSMS accepts a connector going back to Available when ConnectionTimeOut expires
    after an authorization without plug-in (OCPP 1.6 §9.1.7 ConnectionTimeOut, §4.9)."""
    step("Authorized 1. The Charge Point sends an Authorize.req with the valid idTag")
    await station.authorized(tags.valid)
    step("1. The Charge Point sends a StatusNotification.req (Preparing)")
    await station.status(CONNECTOR, "Preparing")
    step("3. [ConnectionTimeOut expired] The Charge Point sends a StatusNotification.req")
    await station.status(CONNECTOR, "Available")


@ocpp_case("TC_005_1_CSMS")
async def test_tc_005_1_csms(station: Station16) -> None:
    """The CSMS handles a transaction stopped because the cable was disconnected at the EV
    side with StopTransactionOnEVSideDisconnect = true (OCPP 1.6 §3.6 / §9.1.27, §4.10)."""
    step("Charging: reusable state Charging")
    await station.charging(CONNECTOR)
    step("1. [EV driver disconnects the cable at EV side] StatusNotification.req SuspendedEV")
    await station.status(CONNECTOR, "SuspendedEV")
    step("3. The Charge Point sends a StopTransaction.req, reason EVDisconnected")
    await station.stop_transaction(connector_id=CONNECTOR, reason="EVDisconnected")
    step("5. The Charge Point sends a StatusNotification.req (Finishing)")
    await station.status(CONNECTOR, "Finishing")
    step("7. [EV driver unplugs the cable] The Charge Point sends a StatusNotification.req")
    await station.status(CONNECTOR, "Available")


# -- §3.3 Cache ------------------------------------------------------------------------------
@ocpp_case("TC_007_CSMS")
async def test_tc_007_csms(station: Station16, tags: IdTags) -> None:
    """A transaction started with an idTag from the authorization cache, without Authorize.req
    (OCPP 1.6 §3.5.1 Authorization Cache, §4.8: the CSMS validates the tag on StartTransaction)."""
    step("1. [EV driver plugs in the cable] The Charge Point sends a StatusNotification.req")
    await station.status(CONNECTOR, "Preparing")
    step("3. [EV driver presents a cached id] The Charge Point sends a StartTransaction.req")
    conf = await station.start_transaction(CONNECTOR, tags.valid)
    check(
        conf["idTagInfo"]["status"] == "Accepted",
        "Step 4: StartTransaction.conf idTagInfo.status Accepted",
        conf,
    )
    step("5. The Charge Point sends a StatusNotification.req (Charging)")
    await station.status(CONNECTOR, "Charging")
    step("After: stop the transaction (general post-conditions)")
    await station.leave_idle()


@ocpp_case("TC_061_CSMS")
async def test_tc_061_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS can clear a charge point's authorization cache (OCPP 1.6 §5.4 ClearCache)."""
    step("1. The Central System sends a ClearCache.req")
    request = await csms_operator.request(station, "ClearCache", {})
    step("2. The Charge Point responds with a ClearCache.conf (Accepted)")
    await request.reply({"status": "Accepted"})


# -- §3.4 Remote actions, happy flow -----------------------------------------------------------
@ocpp_case("TC_010_CSMS")
async def test_tc_010_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """A transaction started remotely after the cable was plugged in (OCPP 1.6 §5.11
    RemoteStartTransaction; AuthorizeRemoteTxRequests = true, so the station authorizes)."""
    step("1. [EV driver plugs in the cable] The Charge Point sends a StatusNotification.req")
    await station.status(CONNECTOR, "Preparing")
    step("3. The Central System sends a RemoteStartTransaction.req")
    request = await csms_operator.request(
        station, "RemoteStartTransaction", {"connectorId": CONNECTOR, "idTag": tags.valid}
    )
    step("4. The Charge Point responds with a RemoteStartTransaction.conf (Accepted)")
    await request.reply({"status": "Accepted"})
    _check_remote_start(request.payload, tags.valid, "Step 3")
    step("5. The Charge Point sends an Authorize.req")
    info = await station.authorize(request.payload["idTag"])
    check(info["status"] == "Accepted", "Step 6: Authorize.conf idTagInfo.status Accepted", info)
    step("7. The Charge Point sends a StartTransaction.req")
    conf = await station.start_transaction(CONNECTOR, request.payload["idTag"])
    check(
        conf["idTagInfo"]["status"] == "Accepted",
        "Step 8: StartTransaction.conf idTagInfo.status Accepted",
        conf,
    )
    step("9. The Charge Point sends a StatusNotification.req (Charging)")
    await station.status(CONNECTOR, "Charging")
    step("After: stop the transaction (general post-conditions)")
    await station.leave_idle()


@ocpp_case("TC_011_1_CSMS")
async def test_tc_011_1_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """A transaction started remotely before the cable is plugged in (OCPP 1.6 §5.11)."""
    step("1. The Central System sends a RemoteStartTransaction.req")
    request = await csms_operator.request(
        station, "RemoteStartTransaction", {"connectorId": CONNECTOR, "idTag": tags.valid}
    )
    step("2. The Charge Point responds with a RemoteStartTransaction.conf (Accepted)")
    await request.reply({"status": "Accepted"})
    _check_remote_start(request.payload, tags.valid, "Step 1")
    step("3. The Charge Point sends an Authorize.req")
    info = await station.authorize(request.payload["idTag"])
    check(info["status"] == "Accepted", "Step 4: Authorize.conf idTagInfo.status Accepted", info)
    step("5. The Charge Point sends a StatusNotification.req (Preparing)")
    await station.status(CONNECTOR, "Preparing")
    step("7. [EV driver plugs in the cable] The Charge Point sends a StartTransaction.req")
    conf = await station.start_transaction(CONNECTOR, request.payload["idTag"])
    check(
        conf["idTagInfo"]["status"] == "Accepted",
        "Step 8: StartTransaction.conf idTagInfo.status Accepted",
        conf,
    )
    step("9. The Charge Point sends a StatusNotification.req (Charging)")
    await station.status(CONNECTOR, "Charging")
    step("After: stop the transaction (general post-conditions)")
    await station.leave_idle()


@ocpp_case("TC_011_2_CSMS")
async def test_tc_011_2_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS handles a remote start that times out because nobody plugs in: the connector
    goes back to Available (OCPP 1.6 §5.11, §9.1.7 ConnectionTimeOut)."""
    step("1. The Central System sends a RemoteStartTransaction.req")
    request = await csms_operator.request(
        station, "RemoteStartTransaction", {"connectorId": CONNECTOR, "idTag": tags.valid}
    )
    step("2. The Charge Point responds with a RemoteStartTransaction.conf (Accepted)")
    await request.reply({"status": "Accepted"})
    _check_remote_start(request.payload, tags.valid, "Step 1")
    step("3. The Charge Point sends an Authorize.req")
    info = await station.authorize(request.payload["idTag"])
    check(info["status"] == "Accepted", "Step 4: Authorize.conf idTagInfo.status Accepted", info)
    step("5. The Charge Point sends a StatusNotification.req (Preparing)")
    await station.status(CONNECTOR, "Preparing")
    step("7. [Connection timeout reached] The Charge Point sends a StatusNotification.req")
    await station.status(CONNECTOR, "Available")


@ocpp_case("TC_012_CSMS")
async def test_tc_012_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """A transaction stopped remotely (OCPP 1.6 §5.12 RemoteStopTransaction, §4.10)."""
    step("Charging: reusable state Charging")
    transaction_id = await station.charging(CONNECTOR)
    step("1. The Central System sends a RemoteStopTransaction.req")
    request = await csms_operator.request(
        station, "RemoteStopTransaction", {"transactionId": transaction_id}
    )
    step("2. The Charge Point responds with a RemoteStopTransaction.conf (Accepted)")
    await request.reply({"status": "Accepted"})
    check(
        request.payload["transactionId"] == transaction_id,
        f"Step 1: RemoteStopTransaction.req transactionId {transaction_id} (the running one)",
        request.payload,
    )
    step("3. The Charge Point sends a StopTransaction.req, reason Remote")
    await station.stop_transaction(connector_id=CONNECTOR, reason="Remote")
    step("5. The Charge Point sends a StatusNotification.req (Finishing)")
    await station.status(CONNECTOR, "Finishing")
    step("7. [EV driver unplugs the cable] The Charge Point sends a StatusNotification.req")
    await station.status(CONNECTOR, "Available")


# -- §3.5 Resetting ----------------------------------------------------------------------------
async def _reset(station: Station16, csms_operator: CsmsOperator, kind: str) -> None:
    """TC_013/TC_014: Reset.req of the given type, then the station reboots and registers."""
    step("1. The Central System sends a Reset.req")
    request = await csms_operator.request(station, "Reset", {"type": kind})
    step("2. The Charge Point responds with a Reset.conf (Accepted)")
    await request.reply({"status": "Accepted"})
    check(request.payload["type"] == kind, f"Step 1: Reset.req type {kind}", request.payload)
    step("3. [The Charge Point reboots] The Charge Point sends a BootNotification.req")
    await station.reconnect()
    conf = await station.boot(expect_accepted=False)
    check(conf["status"] == "Accepted", "Step 4: BootNotification.conf status Accepted", conf)
    step("5. The Charge Point sends a StatusNotification.req per connector and connectorId 0")
    for connector in range(station.spec.connectors + 1):
        await station.status(connector, "Available")


@ocpp_case("TC_013_CSMS")
async def test_tc_013_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS can hard-reset a charge point and accepts it when it boots again (OCPP 1.6
    §5.14 Reset, §4.2 BootNotification)."""
    await _reset(station, csms_operator, "Hard")


@ocpp_case("TC_014_CSMS")
async def test_tc_014_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS can soft-reset a charge point and accepts it when it boots again (OCPP 1.6
    §5.14 Reset, §4.2 BootNotification)."""
    await _reset(station, csms_operator, "Soft")


# -- §3.6 Unlocking ------------------------------------------------------------------------------
async def _unlock(
    station: Station16, csms_operator: CsmsOperator, connector_id: int, answer: str
) -> None:
    """TC_017/TC_030/TC_031: UnlockConnector.req for ``connector_id``, answered ``answer``."""
    step("1. The Central System sends an UnlockConnector.req")
    request = await csms_operator.request(station, "UnlockConnector", {"connectorId": connector_id})
    step(f"2. The Charge Point responds with an UnlockConnector.conf ({answer})")
    await request.reply({"status": answer})
    check(
        request.payload["connectorId"] == connector_id,
        f"Step 1: UnlockConnector.req connectorId {connector_id}",
        request.payload,
    )


@ocpp_case("TC_017_1_CSMS")
async def test_tc_017_1_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS can unlock an idle connector (OCPP 1.6 §5.17 UnlockConnector)."""
    await _unlock(station, csms_operator, CONNECTOR, "Unlocked")


@ocpp_case("TC_017_2_CSMS")
async def test_tc_017_2_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS handles a fixed-cable charge point answering NotSupported to an unlock
    (OCPP 1.6 §5.17, §7.43 UnlockStatus)."""
    await _unlock(station, csms_operator, CONNECTOR, "NotSupported")


@ocpp_case("TC_018_1_CSMS")
async def test_tc_018_1_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """An unlock during a transaction stops it with reason UnlockCommand (OCPP 1.6 §5.17:
    "the Charge Point SHALL first stop the transaction")."""
    step("Charging: reusable state Charging")
    await station.charging(CONNECTOR)
    step("1. The Central System sends an UnlockConnector.req")
    request = await csms_operator.request(station, "UnlockConnector", {"connectorId": CONNECTOR})
    step("2. The Charge Point responds with an UnlockConnector.conf (Unlocked)")
    await request.reply({"status": "Unlocked"})
    check(
        request.payload["connectorId"] == CONNECTOR,
        f"Step 1: UnlockConnector.req connectorId {CONNECTOR} (the charging one)",
        request.payload,
    )
    step("3. The Charge Point sends a StatusNotification.req (Finishing)")
    await station.status(CONNECTOR, "Finishing")
    step("5. The Charge Point sends a StopTransaction.req, reason UnlockCommand")
    await station.stop_transaction(connector_id=CONNECTOR, reason="UnlockCommand")
    step("7. [EV driver unplugs the cable] The Charge Point sends a StatusNotification.req")
    await station.status(CONNECTOR, "Available")


# -- §3.7 Configuration ------------------------------------------------------------------------
@ocpp_case("TC_019_1_CSMS")
async def test_tc_019_1_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS can retrieve every configuration key by asking for none in particular (OCPP 1.6
    §5.8 GetConfiguration: "If the list is empty ... report all")."""
    step("1. The Central System sends a GetConfiguration.req without keys")
    request = await csms_operator.request(station, "GetConfiguration", {})
    step("2. The Charge Point responds with a GetConfiguration.conf with every key")
    await request.reply({"configurationKey": station.core_configuration()})
    check(
        not request.payload.get("key"),
        "Step 1: GetConfiguration.req key is empty",
        request.payload,
    )


@ocpp_case("TC_019_2_CSMS")
async def test_tc_019_2_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS can retrieve one configuration key (OCPP 1.6 §5.8 GetConfiguration)."""
    key = "SupportedFeatureProfiles"
    step("1. The Central System sends a GetConfiguration.req for SupportedFeatureProfiles")
    request = await csms_operator.request(station, "GetConfiguration", {"key": [key]})
    step("2. The Charge Point responds with a GetConfiguration.conf with that key only")
    wanted = [k for k in station.core_configuration() if k["key"] == key]
    await request.reply({"configurationKey": wanted})
    check(
        request.payload.get("key") == [key],
        f"Step 1: GetConfiguration.req key is [{key}]",
        request.payload,
    )


async def _change_configuration(
    station: Station16, csms_operator: CsmsOperator, key: str, value: str, answer: str
) -> None:
    """TC_021/TC_040: ChangeConfiguration.req for ``key`` = ``value``, answered ``answer``."""
    step(f"1. The Central System sends a ChangeConfiguration.req {key} = {value}")
    request = await csms_operator.request(
        station, "ChangeConfiguration", {"key": key, "value": value}
    )
    step(f"2. The Charge Point responds with a ChangeConfiguration.conf ({answer})")
    await request.reply({"status": answer})
    check(
        (request.payload["key"], request.payload["value"]) == (key, value),
        f"Step 1: ChangeConfiguration.req key {key}, value {value}",
        request.payload,
    )


@ocpp_case("TC_021_CSMS")
async def test_tc_021_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS can set a configuration key (OCPP 1.6 §5.3 ChangeConfiguration)."""
    await _change_configuration(
        station, csms_operator, "MeterValueSampleInterval", "60", "Accepted"
    )


# -- §3.8 Basic actions, non-happy flow -----------------------------------------------------------
@ocpp_case("TC_023_1_CSMS")
async def test_tc_023_1_csms(station: Station16, tags: IdTags) -> None:
    """An unknown idTag is refused with Invalid (OCPP 1.6 §4.1 Authorize, §7.23
    AuthorizationStatus)."""
    step("1. [EV driver presents invalid identification] The Charge Point sends an Authorize.req")
    info = await station.authorize(tags.invalid)
    check(info["status"] == "Invalid", "Step 2: Authorize.conf idTagInfo.status Invalid", info)


@ocpp_case("TC_023_2_CSMS")
async def test_tc_023_2_csms(station: Station16, tags: IdTags) -> None:
    """An expired idTag is refused with Expired (OCPP 1.6 §4.1, §7.23)."""
    step("1. [EV driver presents expired identification] The Charge Point sends an Authorize.req")
    info = await station.authorize(tags.expired)
    check(info["status"] == "Expired", "Step 2: Authorize.conf idTagInfo.status Expired", info)


@ocpp_case("TC_023_3_CSMS")
async def test_tc_023_3_csms(station: Station16, tags: IdTags) -> None:
    """A blocked idTag is refused with Blocked (OCPP 1.6 §4.1, §7.23)."""
    step("1. [EV driver presents blocked identification] The Charge Point sends an Authorize.req")
    info = await station.authorize(tags.blocked)
    check(info["status"] == "Blocked", "Step 2: Authorize.conf idTagInfo.status Blocked", info)


@ocpp_case("TC_024_CSMS")
async def test_tc_024_csms(station: Station16, tags: IdTags) -> None:
    """The CSMS accepts a report of a connector lock failure (OCPP 1.6 §4.9, §7.6
    ChargePointErrorCode ConnectorLockFailure)."""
    step("Authorized 1. The Charge Point sends an Authorize.req with the valid idTag")
    await station.authorized(tags.valid)
    step("1. The Charge Point sends a StatusNotification.req (Preparing)")
    await station.status(CONNECTOR, "Preparing")
    step("3. [EV driver plugs in, the lock fails] StatusNotification.req Faulted")
    await station.status(CONNECTOR, "Faulted", error_code="ConnectorLockFailure")


# -- §3.9 Remote actions, non-happy flow ---------------------------------------------------------
@ocpp_case("TC_026_CSMS")
async def test_tc_026_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS handles a charge point rejecting a remote start (OCPP 1.6 §5.11)."""
    step(
        "1. [The CPO remotely requests a start] The Central System sends a "
        "RemoteStartTransaction.req"
    )
    request = await csms_operator.request(
        station, "RemoteStartTransaction", {"connectorId": CONNECTOR, "idTag": tags.valid}
    )
    step("2. The Charge Point responds with a RemoteStartTransaction.conf (Rejected)")
    await request.reply({"status": "Rejected"})
    _check_remote_start(request.payload, tags.valid, "Step 1")


@ocpp_case("TC_028_CSMS")
async def test_tc_028_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS handles a charge point rejecting a remote stop for a transaction id it does not
    know (OCPP 1.6 §5.12: Rejected when the transactionId is unknown)."""
    step("Charging: reusable state Charging")
    transaction_id = await station.charging(CONNECTOR)
    step("1. The Central System sends a RemoteStopTransaction.req")
    request = await csms_operator.request(
        station, "RemoteStopTransaction", {"transactionId": transaction_id}
    )
    step("2. The Charge Point responds with a RemoteStopTransaction.conf (Rejected)")
    await request.reply({"status": "Rejected"})
    check(
        request.payload["transactionId"] == transaction_id,
        f"Step 1: RemoteStopTransaction.req transactionId {transaction_id}",
        request.payload,
    )
    step("After: stop the transaction (general post-conditions)")
    await station.leave_idle()


# -- §3.10 Unlocking, non-happy flow --------------------------------------------------------------
@ocpp_case("TC_030_CSMS")
async def test_tc_030_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS handles an unlock that fails (OCPP 1.6 §5.17, §7.43 UnlockStatus UnlockFailed)."""
    await _unlock(station, csms_operator, CONNECTOR, "UnlockFailed")


@ocpp_case("TC_031_CSMS")
async def test_tc_031_csms(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS handles NotSupported for an unlock of a connector the charge point does not
    have: one past NumberOfConnectors (OCPP 1.6 §5.17, §7.43)."""
    await _unlock(station, csms_operator, ocpp_config.station.connectors + 1, "NotSupported")


# -- §3.11 Power failure -------------------------------------------------------------------------
@ocpp_case("TC_032_1_CSMS")
async def test_tc_032_1_csms(station: Station16) -> None:
    """After a power loss during a transaction, the charge point boots, reports the connector
    Finishing and stops the transaction with reason PowerLoss (OCPP 1.6 §4.10, §7.31 Reason)."""
    step("Charging: reusable state Charging")
    await station.charging(CONNECTOR)
    step("1. [Power off and on] The Charge Point sends a BootNotification.req")
    await station.reconnect()
    conf = await station.boot(expect_accepted=False)
    check(conf["status"] == "Accepted", "Step 2: BootNotification.conf status Accepted", conf)
    step("3. The Charge Point sends a StatusNotification.req per connector and connectorId 0")
    for connector in range(station.spec.connectors + 1):
        await station.status(connector, "Finishing" if connector == CONNECTOR else "Available")
    step("5. The Charge Point sends a StopTransaction.req, reason PowerLoss")
    await station.stop_transaction(connector_id=CONNECTOR, reason="PowerLoss")
    step("After: the cable is unplugged (general post-conditions)")
    await station.status(CONNECTOR, "Available")


# -- §3.12 Offline behaviour ----------------------------------------------------------------------
@ocpp_case("TC_037_1_CSMS")
async def test_tc_037_1_csms(station: Station16, tags: IdTags) -> None:
    """A transaction started offline with a valid idTag is accepted when the queued
    StartTransaction arrives later (OCPP 1.6 §3.7 Offline, §4.8)."""
    step("[Remove connectivity; EV driver starts a transaction offline with a valid idTag]")
    await station.disconnect()
    started_at = station.now()
    step("[Restore connectivity] 1. The Charge Point sends the queued StartTransaction.req")
    await station.connect()
    conf = await station.start_transaction(CONNECTOR, tags.valid, timestamp=started_at)
    check(
        conf["idTagInfo"]["status"] == "Accepted",
        "Step 2: StartTransaction.conf idTagInfo.status Accepted",
        conf,
    )
    step("3. The Charge Point sends a StatusNotification.req (Charging)")
    await station.status(CONNECTOR, "Charging")
    step("After: stop the transaction (general post-conditions)")
    await station.leave_idle()


@ocpp_case("TC_037_3_CSMS")
async def test_tc_037_3_csms(station: Station16, tags: IdTags) -> None:
    """A transaction started offline with an unknown idTag: the CSMS answers Invalid and the
    charge point stops it (OCPP 1.6 §3.7, §9.1.26 StopTransactionOnInvalidId = true)."""
    step("[Remove connectivity; EV driver starts a transaction offline with an invalid idTag]")
    await station.disconnect()
    started_at = station.now()
    step("[Restore connectivity] 1. The Charge Point sends the queued StartTransaction.req")
    await station.connect()
    conf = await station.start_transaction(CONNECTOR, tags.invalid, timestamp=started_at)
    check(
        conf["idTagInfo"]["status"] == "Invalid",
        "Step 2: StartTransaction.conf idTagInfo.status Invalid",
        conf,
    )
    step("3. The Charge Point sends a StatusNotification.req (Charging)")
    await station.status(CONNECTOR, "Charging")
    step("5. The Charge Point sends a StopTransaction.req, reason DeAuthorized")
    await station.stop_transaction(connector_id=CONNECTOR, reason="DeAuthorized")
    step("7. The Charge Point sends a StatusNotification.req (Finishing)")
    await station.status(CONNECTOR, "Finishing")
    step("After: the cable is unplugged (general post-conditions)")
    await station.status(CONNECTOR, "Available")


@ocpp_case("TC_039_CSMS")
async def test_tc_039_csms(station: Station16, tags: IdTags) -> None:
    """A whole transaction made offline reaches the CSMS as queued StartTransaction and
    StopTransaction with their original timestamps (OCPP 1.6 §3.7, §4.8, §4.10)."""
    step("[Remove connectivity; EV driver starts and stops a transaction offline; unplugs]")
    await station.disconnect()
    started_at = station.now()
    stopped_at = station.now()
    step("[Restore connectivity] 1. The Charge Point sends the queued StartTransaction.req")
    await station.connect()
    conf = await station.start_transaction(CONNECTOR, tags.valid, timestamp=started_at)
    check(
        conf["idTagInfo"]["status"] == "Accepted",
        "Step 2: StartTransaction.conf idTagInfo.status Accepted",
        conf,
    )
    step("3. The Charge Point sends the queued StopTransaction.req, reason Local")
    await station.stop_transaction(
        connector_id=CONNECTOR, reason="Local", id_tag=tags.valid, timestamp=stopped_at
    )


# -- §3.13 Configuration keys, non-happy flow -----------------------------------------------------
@ocpp_case("TC_040_1_CSMS")
async def test_tc_040_1_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS handles NotSupported for a configuration key the charge point does not know
    (OCPP 1.6 §5.3: "If the key does not exist, the Charge Point SHALL respond NotSupported")."""
    await _change_configuration(station, csms_operator, UNSUPPORTED_KEY, "1", "NotSupported")


@ocpp_case("TC_040_2_CSMS")
async def test_tc_040_2_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS handles Rejected for a value the charge point cannot take (OCPP 1.6 §5.3)."""
    await _change_configuration(
        station, csms_operator, "MeterValueSampleInterval", "-1", "Rejected"
    )


# -- §3.20 DataTransfer ----------------------------------------------------------------------------
@ocpp_case("TC_064_CSMS")
async def test_tc_064_csms(station: Station16) -> None:
    """The CSMS declines a vendor extension it does not support (OCPP 1.6 §4.3 DataTransfer:
    Rejected, UnknownMessageId or UnknownVendorId; Accepted is allowed with a warning)."""
    step("1. The Charge Point sends a DataTransfer.req with a specific vendorId")
    conf = await station.call(
        "DataTransfer", {"vendorId": VENDOR_ID, "messageId": "Probe", "data": "pytest-ocpp"}
    )
    # Step 2: the schema already limits status to Rejected, UnknownMessageId, UnknownVendorId
    # or Accepted; only Accepted deserves a word.
    if conf["status"] == "Accepted":
        warn(
            f"DataTransfer accepted for an unknown vendorId: the CSMS accepted {VENDOR_ID!r}, "
            "which it cannot support; OCTT passes TC_064_CSMS with this warning"
        )


def _check_remote_start(payload: dict[str, Any], id_tag: str, where: str) -> None:
    """The RemoteStartTransaction.req carries the idTag the CPO asked for and, when it names a
    connector, the one asked for (OCPP 1.6 §5.11: connectorId is optional)."""
    check(
        payload["idTag"] == id_tag and payload.get("connectorId", CONNECTOR) == CONNECTOR,
        f"{where}: RemoteStartTransaction.req idTag {id_tag}, connectorId {CONNECTOR} or none",
        payload,
    )
