"""The reference OCPP 1.6 station against a tiny stub CSMS built on the ``ocpp`` library.

The stub is deliberately not our own core: these tests pin the reference station's behaviour
(OCPP 1.6 §4.2 boot, §4.9 statuses, §5.11/§5.12 remote start/stop, §5.14 reset) with an
implementation independent of pytest_ocpp's framing.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from typing import Any

import pytest
import pytest_asyncio
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from pytest_ocpp.reference.station import ACTIONS, DEFECTS, ReferenceStation

TIMEOUT = 5.0


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class StubCsmsConnection(ChargePoint):
    """Server side of one station connection: answers and records every request."""

    def __init__(self, csms: StubCsms, station_id: str, ws: ServerConnection) -> None:
        super().__init__(station_id, ws, response_timeout=TIMEOUT)
        self.csms = csms

    def _record(self, action: str, payload: dict[str, Any]) -> None:
        self.csms.received.append((action, payload))
        self.csms.changed.set()

    @on(Action.boot_notification)
    def on_boot(self, **payload: Any) -> Any:
        self._record("BootNotification", payload)
        status = self.csms.boot_statuses.pop(0) if self.csms.boot_statuses else "Accepted"
        return call_result.BootNotification(
            current_time=_now(), interval=self.csms.interval, status=status
        )

    @on(Action.status_notification)
    def on_status(self, **payload: Any) -> Any:
        self._record("StatusNotification", payload)
        return call_result.StatusNotification()

    @on(Action.heartbeat)
    def on_heartbeat(self) -> Any:
        self._record("Heartbeat", {})
        return call_result.Heartbeat(current_time=_now())

    @on(Action.authorize)
    def on_authorize(self, id_tag: str) -> Any:
        self._record("Authorize", {"id_tag": id_tag})
        return call_result.Authorize(id_tag_info={"status": "Accepted"})

    @on(Action.start_transaction)
    def on_start(self, **payload: Any) -> Any:
        self.csms.last_transaction_id = next(self.csms.ids)
        self._record("StartTransaction", payload)
        return call_result.StartTransaction(
            transaction_id=self.csms.last_transaction_id,
            id_tag_info={"status": self.csms.start_status},
        )

    @on(Action.stop_transaction)
    def on_stop(self, **payload: Any) -> Any:
        self._record("StopTransaction", payload)
        return call_result.StopTransaction()

    @on(Action.firmware_status_notification)
    def on_firmware_status(self, status: str) -> Any:
        self._record("FirmwareStatusNotification", {"status": status})
        return call_result.FirmwareStatusNotification()

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status(self, status: str) -> Any:
        self._record("DiagnosticsStatusNotification", {"status": status})
        return call_result.DiagnosticsStatusNotification()

    @on(Action.meter_values)
    def on_meter_values(self, **payload: Any) -> Any:
        self._record("MeterValues", payload)
        return call_result.MeterValues()


class StubCsms:
    """A websocket server on 127.0.0.1 (port 0) speaking OCPP 1.6 through ``ocpp``."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.changed = asyncio.Event()
        self.boot_statuses: list[str] = []
        self.interval = 300
        self.ids = itertools.count(1000)
        self.last_transaction_id = 0
        self.start_status = "Accepted"
        self.refuse = False
        self.connection: StubCsmsConnection | None = None
        self.connections = 0
        self.url = ""

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        if self.refuse:
            await ws.close(1011, "simulated outage")
            return
        station_id = ws.request.path.rstrip("/").rsplit("/", 1)[-1]
        self.connection = StubCsmsConnection(self, station_id, ws)
        self.connections += 1
        self.changed.set()
        try:
            await self.connection.start()
        except Exception:
            pass

    async def expect(
        self, action: str, where: Callable[[dict[str, Any]], bool] = lambda p: True
    ) -> dict[str, Any]:
        """The first not yet consumed request of ``action`` matching ``where``."""

        async def wait() -> dict[str, Any]:
            while True:
                for index, (name, payload) in enumerate(self.received):
                    if name == action and where(payload):
                        del self.received[index]
                        return payload
                self.changed.clear()
                await self.changed.wait()

        return await asyncio.wait_for(wait(), TIMEOUT)

    async def send(self, payload: Any) -> Any:
        assert self.connection is not None
        return await asyncio.wait_for(self.connection.call(payload), TIMEOUT)


@pytest_asyncio.fixture
async def csms() -> AsyncIterator[StubCsms]:
    stub = StubCsms()
    async with serve(stub._handle, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        stub.url = f"ws://127.0.0.1:{port}/ocpp"
        yield stub


async def _booted(csms: StubCsms, **options: Any) -> ReferenceStation:
    station = ReferenceStation(csms_url=csms.url, **options)
    await station.start()
    await asyncio.wait_for(station.online.wait(), TIMEOUT)
    for connector_id in range(station.connector_count + 1):
        await csms.expect("StatusNotification", lambda p, c=connector_id: p["connector_id"] == c)
    return station


async def _charging(csms: StubCsms, station: ReferenceStation) -> int:
    """Reusable state Charging (OCTT 1.6 §2.25): plug in, remote start, StartTransaction."""
    await station.perform("plug_in", connector_id=1)
    assert (await csms.expect("StatusNotification"))["status"] == "Preparing"
    response = await csms.send(call.RemoteStartTransaction(id_tag="TAG1", connector_id=1))
    assert response.status == "Accepted"
    assert (await csms.expect("Authorize"))["id_tag"] == "TAG1"
    start = await csms.expect("StartTransaction")
    assert start["connector_id"] == 1 and start["id_tag"] == "TAG1"
    assert (await csms.expect("StatusNotification"))["status"] == "Charging"
    assert station.transaction_ids[1] == csms.last_transaction_id
    return csms.last_transaction_id


@pytest.mark.asyncio
async def test_boot_reports_every_connector_and_heartbeats(csms: StubCsms) -> None:
    csms.interval = 1
    station = await _booted(csms)
    try:
        boot = await csms.expect("BootNotification")
        assert boot["charge_point_vendor"] == "pytest-ocpp"
        assert station.statuses == {0: "Available", 1: "Available", 2: "Available"}
        await csms.expect("Heartbeat")
        config = await csms.send(call.GetConfiguration(key=["HeartbeatInterval", "Nope"]))
        assert config.configuration_key == [
            {"key": "HeartbeatInterval", "readonly": False, "value": "1"}
        ]
        assert config.unknown_key == ["Nope"]
        everything = await csms.send(call.GetConfiguration())
        keys = {k["key"]: k for k in everything.configuration_key}
        assert keys["NumberOfConnectors"]["readonly"] is True
        assert "ChargeProfileMaxStackLevel" in keys
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_pending_boot_answers_configuration_and_sends_nothing_else(csms: StubCsms) -> None:
    csms.boot_statuses = ["Pending"]
    csms.interval = 1
    station = ReferenceStation(csms_url=csms.url)
    await station.start()
    try:
        await csms.expect("BootNotification")
        change = await csms.send(
            call.ChangeConfiguration(key="MeterValueSampleInterval", value="5")
        )
        assert change.status == "Accepted"
        unknown = await csms.send(call.ChangeConfiguration(key="Testing", value="true"))
        assert unknown.status == "NotSupported"
        invalid = await csms.send(
            call.ChangeConfiguration(key="MeterValueSampleInterval", value="-1")
        )
        assert invalid.status == "Rejected"
        assert [name for name, _ in csms.received] == []
        await csms.expect("BootNotification")
        await asyncio.wait_for(station.online.wait(), TIMEOUT)
        assert (await csms.expect("StatusNotification"))["connector_id"] == 0
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_defect_status_before_boot_accepted(csms: StubCsms) -> None:
    csms.boot_statuses = ["Pending"]
    csms.interval = 2
    station = ReferenceStation(csms_url=csms.url, defects=["status_before_boot_accepted"])
    await station.start()
    try:
        await csms.expect("BootNotification")
        await csms.expect("StatusNotification")
        assert not station.online.is_set()
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_remote_start_and_stop_with_plug_in_first(csms: StubCsms) -> None:
    station = await _booted(csms)
    try:
        transaction_id = await _charging(csms, station)
        rejected = await csms.send(call.RemoteStopTransaction(transaction_id=transaction_id + 7))
        assert rejected.status == "Rejected"
        accepted = await csms.send(call.RemoteStopTransaction(transaction_id=transaction_id))
        assert accepted.status == "Accepted"
        stop = await csms.expect("StopTransaction")
        assert stop["reason"] == "Remote" and stop["transaction_id"] == transaction_id
        assert (await csms.expect("StatusNotification"))["status"] == "Finishing"
        await station.perform("plug_out", connector_id=1)
        assert (await csms.expect("StatusNotification"))["status"] == "Available"
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_hard_reset_stops_transaction_and_boots_again(csms: StubCsms) -> None:
    station = await _booted(csms)
    try:
        await csms.expect("BootNotification")
        await _charging(csms, station)
        assert (await csms.send(call.Reset(type="Hard"))).status == "Accepted"
        stop = await csms.expect("StopTransaction")
        assert stop["reason"] == "HardReset"
        await csms.expect("BootNotification")
        statuses = [
            await csms.expect("StatusNotification", lambda p, c=c: p["connector_id"] == c)
            for c in (0, 1, 2)
        ]
        assert statuses[1]["status"] in ("Finishing", "Preparing")
        assert statuses[2]["status"] == "Available"
        assert station.boot_count == 2
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_control_channel_performs_actions(csms: StubCsms) -> None:
    station = await _booted(csms, control_port=0)
    try:
        assert station.control_url is not None
        async with connect(station.control_url) as control:
            await control.send(
                json.dumps({"station_id": "CP_1", "action": "plug_in", "connector_id": 2})
            )
            assert json.loads(await asyncio.wait_for(control.recv(), TIMEOUT)) == {"ok": True}
            status = await csms.expect("StatusNotification")
            assert status == {**status, "connector_id": 2, "status": "Preparing"}
            await control.send(json.dumps({"action": "dance"}))
            reply = json.loads(await asyncio.wait_for(control.recv(), TIMEOUT))
            assert reply["ok"] is False and "dance" in reply["error"]
            await control.send(json.dumps({"action": "plug_in", "connector_id": 9}))
            reply = json.loads(await asyncio.wait_for(control.recv(), TIMEOUT))
            assert reply["ok"] is False and "connector" in reply["error"]
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_unknown_action_defect_and_params_are_sentences() -> None:
    station = ReferenceStation(csms_url="ws://127.0.0.1:9/ocpp")
    with pytest.raises(ValueError, match="Unknown operator action"):
        await station.perform("jump")
    with pytest.raises(ValueError, match="Bad parameters"):
        await station.perform("plug_in", socket=1)
    with pytest.raises(ValueError, match="valid defects"):
        ReferenceStation(csms_url="ws://x", defects=["nope"])
    assert set(ACTIONS) >= {"plug_in", "present_id_tag", "set_upload_failure"}
    assert all(text.endswith(".") for text in DEFECTS.values())


@pytest.mark.asyncio
async def test_defect_remote_start_rejected(csms: StubCsms) -> None:
    station = await _booted(csms, defects=["remote_start_rejected"])
    try:
        response = await csms.send(call.RemoteStartTransaction(id_tag="TAG1", connector_id=1))
        assert response.status == "Rejected"
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_defect_wrong_stop_reason(csms: StubCsms) -> None:
    station = await _booted(csms, defects=["wrong_stop_reason"])
    try:
        transaction_id = await _charging(csms, station)
        await csms.send(call.RemoteStopTransaction(transaction_id=transaction_id))
        assert (await csms.expect("StopTransaction"))["reason"] == "Local"
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_defect_change_configuration_accepts_unknown_key(csms: StubCsms) -> None:
    station = await _booted(csms, defects=["change_configuration_accepts_unknown_key"])
    try:
        response = await csms.send(call.ChangeConfiguration(key="Testing", value="true"))
        assert response.status == "Accepted"
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_offline_transaction_is_queued_and_delivered_in_order(csms: StubCsms) -> None:
    """OCPP 1.6 §4.1 / TC_039_CS: start and stop while offline, deliver both on reconnect."""
    station = await _booted(
        csms, reconnect_max_delay=0.2, config_overrides={"AllowOfflineTxForUnknownId": "true"}
    )
    try:
        csms.refuse = True
        assert csms.connection is not None
        await csms.connection._connection.close()
        await asyncio.wait_for(station.disconnected.wait(), TIMEOUT)
        await station.perform("plug_in", connector_id=1)
        await station.perform("present_id_tag", id_tag="OFFLINE1")
        await station.perform("present_id_tag", id_tag="OFFLINE1")
        await station.perform("plug_out", connector_id=1)
        csms.received.clear()
        csms.refuse = False
        start = await csms.expect("StartTransaction")
        stop = await csms.expect("StopTransaction")
        assert start["id_tag"] == "OFFLINE1"
        assert stop["reason"] == "Local" and stop["transaction_id"] == csms.last_transaction_id
        assert [name for name, _ in csms.received] == []
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_composite_schedule_stacks_profiles(csms: StubCsms) -> None:
    """TC_072_CS: a higher stack level wins while it runs, the lower one shows afterwards."""
    station = await _booted(csms)
    try:
        now = datetime.now(timezone.utc)

        def profile(profile_id: int, stack: int, duration: int, periods: list[tuple[int, int]]):
            return {
                "charging_profile_id": profile_id,
                "stack_level": stack,
                "charging_profile_purpose": "TxDefaultProfile",
                "charging_profile_kind": "Absolute",
                "charging_schedule": {
                    "duration": duration,
                    "start_schedule": now.isoformat(),
                    "charging_rate_unit": "A",
                    "charging_schedule_period": [
                        {"start_period": s, "limit": limit} for s, limit in periods
                    ],
                },
            }

        for payload in (
            profile(1, 0, 400, [(0, 6), (100, 8), (200, 10)]),
            profile(2, 1, 150, [(0, 7), (100, 9)]),
        ):
            response = await csms.send(
                call.SetChargingProfile(connector_id=1, cs_charging_profiles=payload)
            )
            assert response.status == "Accepted"
        result = await csms.send(
            call.GetCompositeSchedule(connector_id=1, duration=350, charging_rate_unit="A")
        )
        periods = [
            (p["start_period"], float(p["limit"]))
            for p in result.charging_schedule["charging_schedule_period"]
        ]
        assert [limit for _, limit in periods] == [7.0, 9.0, 8.0, 10.0]
        assert [start for start, _ in periods][1:] in ([100, 150, 200], [99, 149, 199])
        no_tx = await csms.send(
            call.SetChargingProfile(
                connector_id=1,
                cs_charging_profiles={
                    **profile(3, 0, 60, [(0, 5)]),
                    "charging_profile_purpose": "TxProfile",
                },
            )
        )
        assert no_tx.status == "Rejected"
    finally:
        await station.stop()


@pytest.mark.asyncio
async def test_reservation_admits_only_the_reserved_tag(csms: StubCsms) -> None:
    """TC_046_1_CS: Reserved, another tag is refused, the reserved one charges with the id."""
    station = await _booted(csms)
    try:
        expiry = (datetime.now(timezone.utc).replace(microsecond=0)).isoformat()
        expiry = expiry.replace("+00:00", "Z")
        later = datetime.fromisoformat(expiry.replace("Z", "+00:00")).timestamp() + 60
        expiry = datetime.fromtimestamp(later, timezone.utc).isoformat()
        reserved = await csms.send(
            call.ReserveNow(connector_id=1, expiry_date=expiry, id_tag="MINE", reservation_id=42)
        )
        assert reserved.status == "Accepted"
        assert (await csms.expect("StatusNotification"))["status"] == "Reserved"
        await station.perform("present_id_tag", id_tag="OTHER", connector_id=1)
        await station.perform("present_id_tag", id_tag="MINE")
        assert (await csms.expect("Authorize"))["id_tag"] == "MINE"
        assert (await csms.expect("StatusNotification"))["status"] == "Preparing"
        await station.perform("plug_in", connector_id=1)
        start = await csms.expect("StartTransaction")
        assert start["reservation_id"] == 42 and start["id_tag"] == "MINE"
        occupied = await csms.send(
            call.ReserveNow(connector_id=1, expiry_date=expiry, id_tag="X", reservation_id=43)
        )
        assert occupied.status == "Occupied"
    finally:
        await station.stop()
