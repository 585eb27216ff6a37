"""The reference OCPP 2.0.1 station against a tiny stub CSMS speaking raw OCPP-J arrays.

The stub is deliberately neither our core nor the ``ocpp`` library the station is built on: it
reads and writes ``[2, id, action, payload]`` / ``[3, id, payload]`` itself, so these tests pin
what goes over the wire (Part 2 B01-B08 boot and device model, E01-E12 transactions, F01-F06
remote control, B11/B12 reset) independently of both implementations.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from typing import Any

import pytest
import pytest_asyncio
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from pytest_ocpp.reference.station201 import ACTIONS, DEFECTS, VARIANTS, ReferenceStation201

TIMEOUT = 5.0
Payload = dict[str, Any]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class StubCsms:
    """A websocket server on 127.0.0.1 (port 0) answering every request of the station and
    recording it; ``send`` makes CSMS→station calls."""

    def __init__(self) -> None:
        self.received: list[tuple[str, Payload]] = []
        self.changed = asyncio.Event()
        self.boot_statuses: list[str] = []
        self.interval = 300
        self.authorize_status = "Accepted"
        self.tx_token_status = "Accepted"
        self.refuse = False
        self.ws: ServerConnection | None = None
        self.connections = 0
        self.paths: list[str] = []
        self.auth_headers: list[str | None] = []
        self.url = ""
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[list[Any]]] = {}

    async def handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        if self.refuse:
            await ws.close(1011, "simulated outage")
            return
        self.ws = ws
        self.connections += 1
        self.paths.append(ws.request.path)
        self.auth_headers.append(ws.request.headers.get("Authorization"))
        self.changed.set()
        async for raw in ws:
            message = json.loads(raw)
            if message[0] == 2:
                _, unique_id, action, payload = message
                self.received.append((action, payload))
                self.changed.set()
                await ws.send(json.dumps([3, unique_id, self.answer(action, payload)]))
            elif message[1] in self._waiting:
                self._waiting.pop(message[1]).set_result(message)

    def answer(self, action: str, payload: Payload) -> Payload:
        if action == "BootNotification":
            status = self.boot_statuses.pop(0) if self.boot_statuses else "Accepted"
            return {"currentTime": _now(), "interval": self.interval, "status": status}
        if action == "Heartbeat":
            return {"currentTime": _now()}
        if action == "Authorize":
            return {"idTokenInfo": {"status": self.authorize_status}}
        if action == "TransactionEvent" and "idToken" in payload:
            return {"idTokenInfo": {"status": self.tx_token_status}}
        return {}

    async def expect(
        self, action: str, where: Callable[[Payload], bool] = lambda p: True
    ) -> Payload:
        """The first not yet consumed request of ``action`` matching ``where``."""

        async def wait() -> Payload:
            while True:
                for index, (name, payload) in enumerate(self.received):
                    if name == action and where(payload):
                        del self.received[index]
                        return payload
                self.changed.clear()
                await self.changed.wait()

        return await asyncio.wait_for(wait(), TIMEOUT)

    def actions(self) -> list[str]:
        return [name for name, _ in self.received]

    async def send(self, action: str, payload: Payload) -> Payload:
        """Call the station; the CALLRESULT payload (a CALLERROR fails the test)."""
        assert self.ws is not None
        unique_id = f"csms-{next(self._ids)}"
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._waiting[unique_id] = future
        await self.ws.send(json.dumps([2, unique_id, action, payload]))
        reply = await asyncio.wait_for(future, TIMEOUT)
        assert reply[0] == 3, f"{action} got a CALLERROR: {reply}"
        return reply[2]

    async def send_raw(self, action: str, payload: Payload) -> list[Any]:
        assert self.ws is not None
        unique_id = f"csms-{next(self._ids)}"
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._waiting[unique_id] = future
        await self.ws.send(json.dumps([2, unique_id, action, payload]))
        return await asyncio.wait_for(future, TIMEOUT)


@pytest_asyncio.fixture
async def csms() -> AsyncIterator[StubCsms]:
    stub = StubCsms()
    async with serve(stub.handle, "127.0.0.1", 0, subprotocols=["ocpp2.0.1"]) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        stub.url = f"ws://127.0.0.1:{port}/ocpp"
        yield stub


async def _booted(csms: StubCsms, **options: Any) -> ReferenceStation201:
    """Reusable state Booted (Part 6 Table 423): boot, every connector reported."""
    options.setdefault("reconnect_delay", 0.1)
    station = ReferenceStation201(csms.url, "CP_1", **options)
    await station.start()
    await asyncio.wait_for(station.online.wait(), TIMEOUT)
    for evse in station.evses:
        status = await csms.expect("StatusNotification", lambda p, e=evse: p["evseId"] == e)
        assert status["connectorStatus"] == "Available"
        event = await csms.expect(
            "NotifyEvent", lambda p, e=evse: _event(p)["component"]["evse"]["id"] == e
        )
        assert _event(event)["actualValue"] == "Available"
    return station


async def _settled(station: ReferenceStation201) -> None:
    """Wait until the station has had every answer (the stub records a request before it
    answers, and a connection closed in between makes the station send it again)."""

    await station.drain(TIMEOUT)
    assert not station.outbox


def _event(payload: Payload) -> Payload:
    return payload["eventData"][0]


# ---------------------------------------------------------------------- B01-B03 boot


@pytest.mark.asyncio
async def test_boot_accepted_reports_connectors_and_heartbeats(csms: StubCsms) -> None:
    csms.interval = 1
    station = await _booted(csms, basic_auth_password="0123456789abcdefXYZ")
    try:
        boot = await csms.expect("BootNotification")
        assert boot["reason"] == "PowerUp"
        assert boot["chargingStation"]["vendorName"] == "pytest-ocpp"
        assert csms.paths == ["/ocpp/CP_1"]
        expected = base64.b64encode(b"CP_1:0123456789abcdefXYZ").decode()
        assert csms.auth_headers == [f"Basic {expected}"]
        security = await csms.expect("SecurityEventNotification")
        assert security["type"] == "StartupOfTheDevice"
        await csms.expect("Heartbeat")
        assert station.model.value("OCPPCommCtrlr.HeartbeatInterval") == "1"  # B01.FR.04
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_pending_boot_answers_device_model_and_sends_nothing_else(csms: StubCsms) -> None:
    csms.boot_statuses = ["Pending"]
    csms.interval = 30
    station = ReferenceStation201(csms.url, "CP_1", reconnect_delay=0.1)
    await station.start()
    try:
        assert (await csms.expect("BootNotification"))["reason"] == "PowerUp"
        await asyncio.sleep(0.1)
        assert station.boot_status == "Pending"
        item = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}}
        result = await csms.send(
            "SetVariables", {"setVariableData": [{**item, "attributeValue": "300"}]}
        )
        assert result["setVariableResult"][0]["attributeStatus"] == "Accepted"
        result = await csms.send("GetVariables", {"getVariableData": [item]})
        assert result["getVariableResult"][0] == {
            **item,
            "attributeStatus": "Accepted",
            "attributeType": "Actual",
            "attributeValue": "300",
        }
        assert (
            await csms.send("GetBaseReport", {"requestId": 7, "reportBase": "SummaryInventory"})
        )["status"] == "Accepted"
        report = await csms.expect("NotifyReport")
        assert report["requestId"] == 7 and report["seqNo"] == 0
        start = {
            "idToken": {"idToken": "TAG1", "type": "ISO14443"},
            "remoteStartId": 1,
            "evseId": 1,
        }
        assert (await csms.send("RequestStartTransaction", start))[
            "status"
        ] == "Rejected"  # B02.FR.05
        assert set(csms.actions()) <= {"NotifyReport"}, csms.actions()  # B02.FR.02
        trigger = await csms.send("TriggerMessage", {"requestedMessage": "BootNotification"})
        assert trigger["status"] == "Accepted"
        assert (await csms.expect("BootNotification"))["reason"] == "Triggered"
        await asyncio.wait_for(station.online.wait(), TIMEOUT)
        assert (await csms.expect("StatusNotification"))["connectorStatus"] == "Available"
        again = await csms.send("TriggerMessage", {"requestedMessage": "BootNotification"})
        assert again["status"] == "Rejected"  # F06.FR.17
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_rejected_boot_answers_security_error(csms: StubCsms) -> None:
    csms.boot_statuses = ["Rejected"]
    station = ReferenceStation201(csms.url, "CP_1", reconnect_delay=0.1)
    await station.start()
    try:
        await csms.expect("BootNotification")
        await asyncio.sleep(0.1)
        reply = await csms.send_raw(
            "GetBaseReport", {"requestId": 1, "reportBase": "FullInventory"}
        )
        assert reply[0] == 4 and reply[2] == "SecurityError"  # B03.FR.08
        assert csms.actions() == []  # B03.FR.02
    finally:
        await station.stop()


# ---------------------------------------------------------------------- B05-B08 device model


@pytest.mark.asyncio
async def test_get_set_variables_and_reports(csms: StubCsms) -> None:
    station = await _booted(csms)
    try:
        ctrl = {"name": "OCPPCommCtrlr"}
        got = await csms.send(
            "GetVariables",
            {
                "getVariableData": [
                    {
                        "component": ctrl,
                        "variable": {"name": "OfflineThreshold"},
                        "attributeType": "Actual",
                    },
                    {"component": {"name": "Nope"}, "variable": {"name": "OfflineThreshold"}},
                    {"component": ctrl, "variable": {"name": "Nope"}},
                    {
                        "component": ctrl,
                        "variable": {"name": "OfflineThreshold"},
                        "attributeType": "Target",
                    },
                    {
                        "component": {"name": "SecurityCtrlr"},
                        "variable": {"name": "BasicAuthPassword"},
                    },
                    {
                        "component": {"name": "EVSE", "evse": {"id": 2}},
                        "variable": {"name": "AvailabilityState"},
                    },
                ]
            },
        )
        statuses = [r["attributeStatus"] for r in got["getVariableResult"]]
        assert statuses == [
            "Accepted",
            "UnknownComponent",
            "UnknownVariable",
            "NotSupportedAttributeType",
            "Rejected",
            "Accepted",
        ]
        assert got["getVariableResult"][0]["attributeValue"] == "60"
        assert got["getVariableResult"][5]["attributeValue"] == "Available"
        set_ = await csms.send(
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "component": ctrl,
                        "variable": {"name": "OfflineThreshold"},
                        "attributeValue": "abc",
                    },
                    {
                        "component": ctrl,
                        "variable": {"name": "MessageTimeout", "instance": "Default"},
                        "attributeValue": "10",
                    },
                    {
                        "component": ctrl,
                        "variable": {"name": "HeartbeatInterval"},
                        "attributeValue": "1",
                    },
                    {
                        "component": {"name": "TxCtrlr"},
                        "variable": {"name": "TxStartPoint"},
                        "attributeValue": "DataSigned",
                    },
                ]
            },
        )
        results = set_["setVariableResult"]
        assert [r["attributeStatus"] for r in results] == [
            "Rejected",
            "Rejected",
            "Accepted",
            "Rejected",
        ]
        assert results[0]["attributeStatusInfo"]["reasonCode"] == "InvalidValue"
        assert results[1]["variable"] == {"name": "MessageTimeout", "instance": "Default"}
        await csms.expect("Heartbeat")  # the new interval takes effect

        assert (await csms.send("GetBaseReport", {"requestId": 3, "reportBase": "FullInventory"}))[
            "status"
        ] == "Accepted"
        pages = []
        while not pages or pages[-1].get("tbc"):
            pages.append(await csms.expect("NotifyReport", lambda p: p["requestId"] == 3))
        assert [p["seqNo"] for p in pages] == list(range(len(pages))) and len(pages) > 1
        entries = [e for p in pages for e in p["reportData"]]
        assert all(len(p["reportData"]) <= 20 for p in pages)  # ItemsPerMessage[GetReport]
        assert len(entries) == len(station.model.variables)
        password = next(e for e in entries if e["variable"]["name"] == "BasicAuthPassword")
        assert "value" not in password["variableAttribute"][0]
        tx_start = next(e for e in entries if e["variable"]["name"] == "TxStartPoint")
        assert tx_start["variableCharacteristics"]["dataType"] == "MemberList"
        assert "valuesList" in tx_start["variableCharacteristics"]

        reply = await csms.send(
            "GetReport",
            {
                "requestId": 4,
                "componentVariable": [
                    {"component": {"name": "EVSE"}, "variable": {"name": "AvailabilityState"}}
                ],
            },
        )
        assert reply["status"] == "Accepted"
        report = await csms.expect("NotifyReport", lambda p: p["requestId"] == 4)
        assert sorted(e["component"]["evse"]["id"] for e in report["reportData"]) == [1, 2]
        empty = await csms.send(
            "GetReport",
            {
                "requestId": 5,
                "componentCriteria": ["Problem"],
                "componentVariable": [
                    {
                        "component": {"name": "EVSE", "evse": {"id": 1}},
                        "variable": {"name": "AvailabilityState"},
                    }
                ],
            },
        )
        assert empty["status"] == "EmptyResultSet"  # B08.FR.15
    finally:
        await station.stop()


# ---------------------------------------------------------------------- E transactions


async def _plugged_and_authorized(csms: StubCsms, station: ReferenceStation201) -> str:
    """EVConnectedPreSession then Authorized (local) under TxStartPoint EVConnected,Authorized."""
    await station.perform("plug_in", evse_id=1)
    status = await csms.expect("StatusNotification")
    assert (status["evseId"], status["connectorId"], status["connectorStatus"]) == (
        1,
        1,
        "Occupied",
    )
    assert _event(await csms.expect("NotifyEvent"))["actualValue"] == "Occupied"
    started = await csms.expect("TransactionEvent")
    assert started["eventType"] == "Started" and started["triggerReason"] == "CablePluggedIn"
    assert started["evse"] == {"id": 1, "connectorId": 1}  # E01.FR.16
    assert started["transactionInfo"]["chargingState"] == "EVConnected"
    assert started["seqNo"] == 0
    assert started["meterValue"][0]["sampledValue"][0]["context"] == "Transaction.Begin"
    await station.perform("present_id_token", id_token="TAG1")
    assert (await csms.expect("Authorize"))["idToken"] == {"idToken": "TAG1", "type": "ISO14443"}
    authorized = await csms.expect("TransactionEvent")
    assert (authorized["eventType"], authorized["triggerReason"]) == ("Updated", "Authorized")
    assert authorized["idToken"] == {"idToken": "TAG1", "type": "ISO14443"}  # E03.FR.01
    assert authorized["seqNo"] == 1 and "evse" not in authorized
    charging = await csms.expect("TransactionEvent")
    assert charging["triggerReason"] == "ChargingStateChanged"
    assert charging["transactionInfo"]["chargingState"] == "Charging"
    assert charging["seqNo"] == 2
    return started["transactionInfo"]["transactionId"]


@pytest.mark.asyncio
async def test_local_transaction_event_sequence(csms: StubCsms) -> None:
    station = await _booted(csms)
    try:
        transaction_id = await _plugged_and_authorized(csms, station)
        await _settled(station)
        status = await csms.send("GetTransactionStatus", {"transactionId": transaction_id})
        assert status == {"ongoingIndicator": True, "messagesInQueue": False}
        await station.perform("plug_out", evse_id=1)
        assert (await csms.expect("StatusNotification"))["connectorStatus"] == "Available"
        ended = await csms.expect("TransactionEvent")
        assert (ended["eventType"], ended["triggerReason"]) == ("Ended", "EVCommunicationLost")
        assert ended["transactionInfo"]["stoppedReason"] == "EVDisconnected"
        assert ended["transactionInfo"]["chargingState"] == "Idle"
        assert ended["seqNo"] == 3 and "offline" not in ended
        contexts = [m["sampledValue"][0]["context"] for m in ended["meterValue"]]
        assert contexts == ["Transaction.Begin", "Transaction.End"]
        await _settled(station)
        status = await csms.send("GetTransactionStatus", {"transactionId": transaction_id})
        assert status == {"ongoingIndicator": False, "messagesInQueue": False}
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_local_stop_by_same_id_token(csms: StubCsms) -> None:
    station = await _booted(csms)
    try:
        await _plugged_and_authorized(csms, station)
        await station.perform("present_id_token", id_token="tag1")  # case-insensitive
        ended = await csms.expect("TransactionEvent")
        assert (ended["eventType"], ended["triggerReason"]) == ("Ended", "StopAuthorized")
        assert ended["transactionInfo"]["stoppedReason"] == "Local"
        assert ended["transactionInfo"]["chargingState"] == "EVConnected"
        assert "Authorize" not in csms.actions()  # E07.FR.01
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_invalid_token_in_transaction_response_deauthorizes(csms: StubCsms) -> None:
    station = await _booted(csms)
    csms.tx_token_status = "Invalid"
    try:
        await station.perform("plug_in", evse_id=1)
        await csms.expect("TransactionEvent", lambda p: p["eventType"] == "Started")
        await station.perform("present_id_token", id_token="TAG1")
        await csms.expect("TransactionEvent", lambda p: p["triggerReason"] == "Authorized")
        ended = await csms.expect("TransactionEvent", lambda p: p["eventType"] == "Ended")
        assert ended["triggerReason"] == "Deauthorized"  # E05, C15.FR.04
        assert ended["transactionInfo"]["stoppedReason"] == "DeAuthorized"
    finally:
        await station.stop()


# ---------------------------------------------------------------------- F remote control


@pytest.mark.asyncio
async def test_remote_start_and_stop(csms: StubCsms) -> None:
    station = await _booted(csms)
    try:
        token = {"idToken": "APP1", "type": "Central"}
        reply = await csms.send(
            "RequestStartTransaction", {"idToken": token, "remoteStartId": 42, "evseId": 1}
        )
        assert reply == {"status": "Accepted"}
        started = await csms.expect("TransactionEvent")
        assert (started["eventType"], started["triggerReason"]) == ("Started", "RemoteStart")
        assert started["transactionInfo"]["remoteStartId"] == 42  # F02.FR.01
        assert started["idToken"] == token and started["evse"] == {"id": 1}
        await station.perform("plug_in", evse_id=1)
        plugged = await csms.expect("TransactionEvent")
        assert plugged["triggerReason"] == "CablePluggedIn"
        assert plugged["evse"] == {"id": 1, "connectorId": 1}
        charging = await csms.expect("TransactionEvent")
        assert charging["transactionInfo"]["chargingState"] == "Charging"
        transaction_id = started["transactionInfo"]["transactionId"]
        unlock = await csms.send("UnlockConnector", {"evseId": 1, "connectorId": 1})
        assert unlock["status"] == "OngoingAuthorizedTransaction"  # F05.FR.02
        wrong = await csms.send("RequestStopTransaction", {"transactionId": "nope"})
        assert wrong["status"] == "Rejected"
        stop = await csms.send("RequestStopTransaction", {"transactionId": transaction_id})
        assert stop["status"] == "Accepted"
        ended = await csms.expect("TransactionEvent")
        assert (ended["eventType"], ended["triggerReason"]) == ("Ended", "RemoteStop")
        assert ended["transactionInfo"]["stoppedReason"] == "Remote"
        triggered = await csms.send(
            "TriggerMessage",
            {"requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 1}},
        )
        assert triggered["status"] == "Accepted"
        assert (await csms.expect("StatusNotification"))["connectorStatus"] == "Occupied"
        assert (
            await csms.send("ReserveNow", {"id": 1, "expiryDateTime": _now(), "idToken": token})
        )["status"] == "Rejected"
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_reset_immediate_ends_transaction_and_reboots(csms: StubCsms) -> None:
    station = await _booted(csms)
    try:
        await _plugged_and_authorized(csms, station)
        assert (await csms.send("Reset", {"type": "Immediate"}))["status"] == "Accepted"
        ended = await csms.expect("TransactionEvent")
        assert (ended["eventType"], ended["triggerReason"]) == ("Ended", "ResetCommand")
        assert ended["transactionInfo"]["stoppedReason"] == "ImmediateReset"
        assert ended["transactionInfo"]["chargingState"] == "EVConnected"
        await csms.expect("BootNotification")  # the first boot
        boot = await csms.expect("BootNotification")
        assert boot["reason"] == "RemoteReset"
        assert csms.connections == 2
        statuses = {
            (await csms.expect("StatusNotification", lambda p, e=e: p["evseId"] == e))[
                "connectorStatus"
            ]
            for e in (1, 2)
        }
        assert statuses == {"Occupied", "Available"}  # the cable is still in on EVSE 1
        assert (await csms.expect("SecurityEventNotification"))["type"] == "StartupOfTheDevice"
        assert (await csms.expect("SecurityEventNotification"))["type"] == "ResetOrReboot"
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_change_availability_scheduled_then_persisted(csms: StubCsms) -> None:
    station = await _booted(csms)
    try:
        reply = await csms.send(
            "ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": 2}}
        )
        assert reply["status"] == "Accepted"
        status = await csms.expect("StatusNotification", lambda p: p["evseId"] == 2)
        assert status["connectorStatus"] == "Unavailable"
        start = {"idToken": {"idToken": "A", "type": "Central"}, "remoteStartId": 1, "evseId": 2}
        assert (await csms.send("RequestStartTransaction", start))["status"] == "Rejected"
        assert (await csms.send("Reset", {"type": "OnIdle"}))["status"] == "Accepted"
        boot = await csms.expect("BootNotification", lambda p: p["reason"] == "RemoteReset")
        assert boot
        after = await csms.expect("StatusNotification", lambda p: p["evseId"] == 2)
        assert after["connectorStatus"] == "Unavailable"  # G03.FR.08
    finally:
        await station.stop()


# ---------------------------------------------------------------------- E04/E11/E12 offline


@pytest.mark.asyncio
async def test_offline_transaction_events_are_queued_and_flagged(csms: StubCsms) -> None:
    station = await _booted(csms)
    try:
        await station.perform("plug_in", evse_id=1)
        assert (await csms.expect("StatusNotification"))["connectorStatus"] == "Occupied"
        started = await csms.expect("TransactionEvent")
        await _settled(station)
        csms.refuse = True
        assert csms.ws is not None
        await csms.ws.close()
        await asyncio.wait_for(station.disconnected.wait(), TIMEOUT)
        await station.perform("present_id_token", id_token="TAG1")  # unknown offline: refused
        await station.perform("plug_out", evse_id=1)
        await asyncio.sleep(0.3)
        csms.refuse = False
        await asyncio.wait_for(station.online.wait(), TIMEOUT)
        ended = await csms.expect("TransactionEvent")
        assert ended["eventType"] == "Ended" and ended["offline"] is True  # E12.FR.02
        assert (
            ended["transactionInfo"]["transactionId"] == started["transactionInfo"]["transactionId"]
        )
        assert ended["seqNo"] == 1
        assert "Authorize" not in csms.actions()
        assert csms.actions().count("BootNotification") == 1  # a reconnect is no reboot
        status = await csms.expect("StatusNotification", lambda p: p["evseId"] == 1)
        assert status["connectorStatus"] == "Available"  # B04: changed while offline
    finally:
        await station.stop()


# ---------------------------------------------------------------------- operator and defects


@pytest.mark.asyncio
async def test_control_channel(csms: StubCsms) -> None:
    station = await _booted(csms, control_port=0)
    try:
        assert station.control_url is not None
        async with connect(station.control_url) as control:

            async def command(message: Payload) -> Payload:
                await control.send(json.dumps(message))
                return json.loads(await asyncio.wait_for(control.recv(), TIMEOUT))

            assert await command({"station_id": "CP_1", "action": "plug_in", "evse_id": 2}) == {
                "ok": True
            }
            status = await csms.expect("StatusNotification")
            assert (status["evseId"], status["connectorStatus"]) == (2, "Occupied")
            reply = await command({"action": "dance"})
            assert reply["ok"] is False and "dance" in reply["error"]
            reply = await command({"action": "plug_in", "evse_id": 9})
            assert reply["ok"] is False and "evse_id" in reply["error"]
            reply = await command({"action": "plug_in", "socket": 1})
            assert reply["ok"] is False and "Bad parameters" in reply["error"]
            reply = await command({"action": "masterpass_select", "target_evse": 1})
            assert reply["ok"] is False and "not possible on this rig" in reply["error"]
            reply = await command({"action": "park", "evse_id": 1, "ocpp_version": "1.6"})
            assert reply["ok"] is False and "2.0.1" in reply["error"]
            reply = await command({"action": "plug_out", "evse_id": 2, "ocpp_version": "2.0.1"})
            assert reply == {"ok": True}
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_public_vocabulary_and_bad_names() -> None:
    station = ReferenceStation201("ws://127.0.0.1:9/ocpp")
    with pytest.raises(ValueError, match="Unknown operator action"):
        await station.perform("jump")
    with pytest.raises(NotImplementedError, match="not possible on this rig"):
        await station.perform("masterpass_select", target_evse=1)
    with pytest.raises(ValueError, match="Unknown defect"):
        ReferenceStation201("ws://x", defects=["nope"])
    assert {"plug_in", "plug_out", "present_id_token", "park", "power_cycle"} <= set(ACTIONS)
    assert len(DEFECTS) >= 8 and all(text.endswith(".") for text in DEFECTS.values())
    assert {"no_evse_reset", "read_only_tx_points"} <= set(VARIANTS)
    assert all(text.endswith(".") for text in VARIANTS.values())


@pytest.mark.asyncio
async def test_defect_remote_start_rejected(csms: StubCsms) -> None:
    station = await _booted(csms, defects=["remote_start_rejected"])
    try:
        start = {"idToken": {"idToken": "A", "type": "Central"}, "remoteStartId": 1, "evseId": 1}
        assert (await csms.send("RequestStartTransaction", start))["status"] == "Rejected"
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_defect_tx_no_evse_after_plug_in(csms: StubCsms) -> None:
    station = await _booted(csms, defects=["tx_no_evse_after_plug_in"])
    try:
        await station.perform("plug_in", evse_id=1)
        started = await csms.expect("TransactionEvent")
        assert started["triggerReason"] == "CablePluggedIn" and "evse" not in started
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_defect_offline_flag_missing(csms: StubCsms) -> None:
    station = await _booted(csms, defects=["offline_flag_missing"])
    try:
        await station.perform("plug_in", evse_id=1)
        await csms.expect("TransactionEvent")
        await _settled(station)
        csms.refuse = True
        assert csms.ws is not None
        await csms.ws.close()
        await asyncio.wait_for(station.disconnected.wait(), TIMEOUT)
        await station.perform("plug_out", evse_id=1)
        csms.refuse = False
        ended = await csms.expect("TransactionEvent")
        assert ended["eventType"] == "Ended" and "offline" not in ended
    finally:
        await station.stop()
