"""Conformant reference OCPP 2.0.1 charging station, the default target of the 2.0.1
station-side suite (OCTT ``TC_x_yy_CS`` cases).

Built on the ``ocpp`` library's ``ChargePoint`` over ``websockets``' asyncio client, on purpose
independent of pytest_ocpp's own protocol core: a framing bug in our core cannot hide itself by
being shared with the target it judges. Each entry of :data:`DEFECTS` makes one behaviour
non-conformant so that the suite can prove its cases able to fail.

This module is the core: connection (Part 4 §5.3 back-off), boot (B01-B03), the single ordered
outbox (transaction messages queued offline and retried, E11-E13), heartbeats (G02) and
connector status reporting (G01, B04). The blocks live beside it: :mod:`.device_model` (B05-B08),
:mod:`.authorization` (C, D), :mod:`.transactions` (E, J), :mod:`.remote` (B11/B12, F, G03/G04),
:mod:`.unsupported`, :mod:`.operator` (physical actions, control channel), :mod:`.security`
(security profiles, TLS, A02/A05).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import datetime, timezone
from typing import Any

from ocpp.exceptions import SecurityError
from ocpp.v201 import ChargePoint, call
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import Server, serve
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.typing import Subprotocol

from pytest_ocpp.reference.station201.authorization import (
    AuthorizationHandlers,
    AuthorizationMixin,
)
from pytest_ocpp.reference.station201.certificates import CertificateHandlers, CertificateMixin
from pytest_ocpp.reference.station201.customer import CustomerHandlers, CustomerMixin
from pytest_ocpp.reference.station201.data_transfer import DataTransferHandlers, DataTransferMixin
from pytest_ocpp.reference.station201.defaults import build_model
from pytest_ocpp.reference.station201.defects import DEFECTS, VARIANTS
from pytest_ocpp.reference.station201.device_model import (
    DeviceModelHandlers,
    Variable,
    notify_report_pages,
)
from pytest_ocpp.reference.station201.display import DisplayHandlers, DisplayMixin
from pytest_ocpp.reference.station201.firmware import FirmwareHandlers, FirmwareMixin
from pytest_ocpp.reference.station201.iso15118 import Iso15118Mixin
from pytest_ocpp.reference.station201.logs import LogHandlers, LogMixin
from pytest_ocpp.reference.station201.metering import MeteringMixin
from pytest_ocpp.reference.station201.model import Connector, Evse, Outgoing, Session
from pytest_ocpp.reference.station201.monitoring import MonitoringHandlers, MonitoringMixin
from pytest_ocpp.reference.station201.operator import ACTIONS, OperatorMixin
from pytest_ocpp.reference.station201.outbox import CallFailed, Offline, OutboxMixin
from pytest_ocpp.reference.station201.remote import RemoteHandlers, RemoteMixin
from pytest_ocpp.reference.station201.reservation import ReservationHandlers, ReservationMixin
from pytest_ocpp.reference.station201.security import SecurityMixin
from pytest_ocpp.reference.station201.smart_charging import (
    SmartChargingHandlers,
    SmartChargingMixin,
)
from pytest_ocpp.reference.station201.status import StatusMixin
from pytest_ocpp.reference.station201.tariff import TariffHandlers, TariffMixin
from pytest_ocpp.reference.station201.transactions import TransactionHandlers, TransactionsMixin
from pytest_ocpp.reference.station201.unsupported import UnsupportedHandlers
from pytest_ocpp.reference.station_rpc import ConformantRpc

LOGGER = logging.getLogger("pytest_ocpp.reference.station201")

__all__ = ["ACTIONS", "DEFECTS", "VARIANTS", "ReferenceStation201"]

_SUBPROTOCOL = Subprotocol("ocpp2.0.1")


class _Client(
    DeviceModelHandlers,
    AuthorizationHandlers,
    TransactionHandlers,
    RemoteHandlers,
    ReservationHandlers,
    SmartChargingHandlers,
    FirmwareHandlers,
    LogHandlers,
    CertificateHandlers,
    MonitoringHandlers,
    DisplayHandlers,
    CustomerHandlers,
    TariffHandlers,
    DataTransferHandlers,
    UnsupportedHandlers,
    ConformantRpc,
    ChargePoint,
):
    """The ``ocpp`` library's ChargePoint for one websocket connection; handlers live in the
    block modules, work that must follow an answer is deferred until it is on the wire."""

    def __init__(
        self, station: ReferenceStation201, ws: ClientConnection, response_timeout: float
    ) -> None:
        super().__init__(station.station_id, ws, response_timeout=response_timeout)
        self.station = station
        self._deferred: list[Callable[[], None]] = []

    def defer(self, work: Callable[[], None]) -> None:
        self._deferred.append(work)

    async def route_message(self, raw_msg: str) -> None:
        """Answer, then run the deferred work. A BootNotificationResponse counts at once: a
        TriggerMessage right behind an Accepted one must see the station Accepted (F06.FR.17),
        a request right behind a Rejected one gets SecurityError (B03.FR.08)."""
        with contextlib.suppress(ValueError, TypeError, KeyError, IndexError):
            message = json.loads(raw_msg)
            reply = message[2] if message[0] == 3 else None
            if isinstance(reply, dict) and {"currentTime", "interval", "status"} <= reply.keys():
                # Any status counts at once: a request right behind a Rejected answer gets
                # SecurityError (B03.FR.08), whatever the boot coroutine has seen yet.
                if reply["status"] in ("Accepted", "Pending", "Rejected"):
                    self.station.boot_status = reply["status"]
        self._deferred = []
        await super().route_message(raw_msg)
        deferred, self._deferred = self._deferred, []
        for work in deferred:
            try:
                work()
            except Exception:
                LOGGER.exception("%s: deferred work failed", self.station.station_id)

    async def _handle_call(self, msg: Any) -> Any:
        """B03.FR.08: while Rejected, every CSMS request gets CALLERROR SecurityError."""
        if self.station.boot_status == "Rejected" and not self.station.has(
            "b_no_security_error_when_rejected"
        ):
            raise SecurityError(description="The CSMS rejected this station's BootNotification")
        return await super()._handle_call(msg)


class ReferenceStation201(
    SecurityMixin,
    OperatorMixin,
    Iso15118Mixin,
    ReservationMixin,
    SmartChargingMixin,
    FirmwareMixin,
    LogMixin,
    CertificateMixin,
    MonitoringMixin,
    DisplayMixin,
    CustomerMixin,
    TariffMixin,
    DataTransferMixin,
    RemoteMixin,
    TransactionsMixin,
    AuthorizationMixin,
    MeteringMixin,
    StatusMixin,
    OutboxMixin,
):
    """A conformant OCPP 2.0.1 charging station simulator, driven by a CSMS plus operator
    actions (:meth:`perform`, or the control channel at :attr:`control_url`).

    ``start()`` returns at once; await :attr:`online` to know the station is connected and
    Accepted. ``evses`` EVSEs with ``connectors_per_evse`` connectors each; ``defects`` and
    ``variants`` name entries of :data:`DEFECTS` / :data:`VARIANTS`; ``variables`` sets initial
    device model values (``{"OCPPCommCtrlr.HeartbeatInterval": "60"}``, paths as
    ``Component[(evse[,connector])].Variable[[instance]]``). ``reconnect_delay`` (seconds)
    replaces OCPPCommCtrlr.RetryBackOffWaitMinimum until the CSMS sets it (tests want fast
    reconnects); ``reboot_delay`` is how long a reboot takes. ``security_profile`` (default:
    from the URL and the files), ``tls_ca_file`` (its factory CSMS root),
    ``tls_cert_file``/``tls_key_file`` (its factory client certificate): see :mod:`.security`.
    """

    def __init__(
        self,
        csms_url: str,
        station_id: str = "CP_1",
        *,
        evses: int = 2,
        connectors_per_evse: int = 1,
        basic_auth_password: str | None = None,
        defects: Collection[str] = (),
        variants: Collection[str] = (),
        variables: Mapping[str, str] = {},
        control_port: int | None = None,
        response_timeout: float = 30.0,
        reconnect_delay: float | None = None,
        reboot_delay: float = 0.0,
        power_w: float = 11000.0,
        security_profile: int | None = None,
        tls_ca_file: str | None = None,
        tls_cert_file: str | None = None,
        tls_key_file: str | None = None,
    ) -> None:
        for kind, given, known in (("defect", defects, DEFECTS), ("variant", variants, VARIANTS)):
            unknown = sorted(set(given) - set(known))
            if unknown:
                raise ValueError(
                    f"Unknown {kind}(s) {', '.join(unknown)}; valid ones are {', '.join(known)}."
                )
        if evses < 1 or connectors_per_evse < 1:
            raise ValueError("A charging station needs at least one EVSE with one connector.")
        self.csms_url = csms_url.rstrip("/")
        self.station_id = station_id
        self.basic_auth_password = basic_auth_password
        self.defects = frozenset(defects)
        self.variants = frozenset(variants)
        self.control_port = control_port
        self.control_url: str | None = None
        self.response_timeout = response_timeout
        self.reconnect_delay = reconnect_delay
        self.reboot_delay = reboot_delay
        self.power_w = power_w
        self.network_profiles: dict[int, str] = {1: self.csms_url}
        """configurationSlot → ocppCsmsUrl (B09, B10); slot 1 is the URL it was built with."""
        self.active_slot = 1
        """The slot of the last successful connection (OCPPCommCtrlr.ActiveNetworkProfile)."""
        self._slot_order: list[int] = [1]
        self._slot_index = 0
        self._slot_failures = 0

        self.evses: dict[int, Evse] = {
            e: Evse(e, {c: Connector(e, c) for c in range(1, connectors_per_evse + 1)})
            for e in range(1, evses + 1)
        }
        self.floating: Session | None = None
        self.transactions = {}
        self.last_token: dict[str, dict[str, Any]] = {}
        self.local_list = {}
        self.local_list_version = 0
        self.auth_cache = {}
        self.cs_inoperative = False
        self.reset_scheduled = False
        self.model = build_model(self)
        for path, value in variables.items():
            self.model.override(path, str(value))
        self.init_security(
            security_profile=security_profile,
            tls_ca_file=tls_ca_file,
            tls_cert_file=tls_cert_file,
            tls_key_file=tls_key_file,
        )

        self.last_connect_error = ""
        """Why the last connection attempt failed (a simulator says it to its user; the
        station itself only logs it at INFO and retries, as a station does)."""
        self.connected = asyncio.Event()
        """Set while the websocket is open."""
        self.online = asyncio.Event()
        """Set while connected and Accepted: messages flow."""
        self.disconnected = asyncio.Event()
        self.disconnected.set()
        self.boot_status = ""
        """The status of the last BootNotificationResponse since the last (re)boot."""
        self.boot_reason = "PowerUp"
        self.boot_count = 0
        self.ever_accepted = False
        self.powered = True
        self.outbox: deque[Outgoing] = deque()
        self._outbox_changed = asyncio.Event()
        self._outbox_progress = asyncio.Event()
        self._config_changed = asyncio.Event()
        self._boot_now = asyncio.Event()
        self._wake = asyncio.Event()
        self._power = asyncio.Event()
        self._power.set()
        self._reboot_pending: str | None = None
        self._offline_since: float | None = None
        self._event_id = 0
        self._stopping = False
        self._ws: ClientConnection | None = None
        self._client: _Client | None = None
        self._lost: asyncio.Event | None = None
        self._main: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._control: Server | None = None

    # ------------------------------------------------------------------ public API

    def has(self, name: str) -> bool:
        return name in self.defects or name in self.variants

    @property
    def registered(self) -> bool:
        return self.boot_status == "Accepted"

    async def start(self) -> None:
        """Start connecting, booting and serving; returns at once (await :attr:`online`)."""
        if self._main is not None:
            return
        self._stopping = False
        if self.control_port is not None:
            self._control = await serve(self.serve_control, "127.0.0.1", self.control_port)
            port = next(iter(self._control.sockets)).getsockname()[1]
            self.control_url = f"ws://127.0.0.1:{port}/_control"
        self._main = asyncio.create_task(self._run(), name=f"{self.station_id}-main")
        self.spawn(self.aligned_loop())

    async def stop(self) -> None:
        """Disconnect and stop every task; the station can be started again."""
        self._stopping = True
        self._wake.set()
        await self._close_ws()
        tasks = [t for t in (self._main, *self._background) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._background.clear()
        self._main = None
        if self._control is not None:
            self._control.close()
            await self._control.wait_closed()
            self._control = None

    async def __aenter__(self) -> ReferenceStation201:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ connection life

    def _backoff(self, attempt: int) -> float:
        """Part 4 §5.3: RetryBackOffWaitMinimum, doubled per failed attempt up to
        RetryBackOffRepeatTimes times, plus up to RetryBackOffRandomRange seconds."""
        variable = self.model.find("OCPPCommCtrlr.RetryBackOffWaitMinimum")
        base = float(self.model.get_int("OCPPCommCtrlr.RetryBackOffWaitMinimum", 1))
        if self.reconnect_delay is not None and not (variable and variable.set_by_csms):
            base = self.reconnect_delay
        doublings = min(attempt, self.model.get_int("OCPPCommCtrlr.RetryBackOffRepeatTimes", 3))
        spread = self.model.get_int("OCPPCommCtrlr.RetryBackOffRandomRange", 0)
        if self.has("b_reconnect_without_backoff"):
            return 0.0
        return base * 2**doublings + (random.uniform(0, spread) if spread > 0 else 0.0)

    # B09/B10 network connection profiles: slots 1 and 2, tried in NetworkConfigurationPriority
    # order after a reboot, NetworkProfileConnectionAttempts each, then back to the last slot
    # that worked with the ordinary reconnection (B10.FR.03/04/07).

    def set_network_profile(self, slot: int, data: Mapping[str, Any]) -> str:
        """B09: store a connection profile in slot 1 or 2; Rejected for another slot
        (B09.FR.02), another OCPP version or transport, a lower security profile than the
        current one, or a security profile 2/3 without wss:// (A00.FR.xxx)."""
        url = str(data.get("ocppCsmsUrl", ""))
        profile = int(data.get("securityProfile", 0))
        current = self.model.get_int("SecurityCtrlr.SecurityProfile", 0)
        valid = (
            (slot in (1, 2) or self.has("b_network_profile_any_slot"))
            and data.get("ocppVersion") == "OCPP20"
            and data.get("ocppTransport", "JSON") == "JSON"
            and (profile >= current or self.has("a_downgrade_accepted"))  # B09.FR.04
            and url.startswith("wss://" if profile >= 2 else ("ws://", "wss://"))
        )
        if not valid:
            return "Rejected"
        self.network_profiles[slot] = url.rstrip("/")
        self.slot_profiles[slot] = profile
        return "Accepted"

    def _slots_from_priority(self) -> None:
        """B10.FR.04: after a reboot, begin with the first entry of NetworkConfigurationPriority."""
        variable = self.model.find("OCPPCommCtrlr.NetworkConfigurationPriority")
        text = variable.actual if variable is not None else ""
        order = [int(t) for t in text.split(",") if t.strip().isdigit()]
        order = [slot for slot in order if slot in self.network_profiles]
        if self.has("b_network_priority_ignored"):
            order = [self.active_slot]
        self._slot_order = order or [self.active_slot]
        self._slot_index = 0
        self._slot_failures = 0

    def _current_slot(self) -> int:
        if self._slot_index < len(self._slot_order):
            return self._slot_order[self._slot_index]
        return self.active_slot  # B10.FR.07: every entry failed; back to the last good one

    def _connect_url(self) -> str:
        return self.network_profiles.get(self._current_slot(), self.csms_url)

    def _slot_failed(self) -> None:
        """B10.FR.03: NetworkProfileConnectionAttempts per entry, then the next one."""
        if self._slot_index >= len(self._slot_order) or self.has("b_network_no_fallback"):
            return
        self._slot_failures += 1
        attempts = self.model.get_int("OCPPCommCtrlr.NetworkProfileConnectionAttempts", 3)
        if self._slot_failures >= max(1, attempts):
            self._slot_index += 1
            self._slot_failures = 0

    async def _run(self) -> None:
        attempt = 0
        while not self._stopping:
            await self._power.wait()
            if self._reboot_pending is not None:
                self._reboot()
                self._slots_from_priority()
                if self.reboot_delay > 0:
                    await asyncio.sleep(self.reboot_delay)
            ping = self.model.get_int("OCPPCommCtrlr.WebSocketPingInterval", 0)
            slot, url = self._current_slot(), self._connect_url()
            try:
                async with connect(
                    f"{url}/{self.station_id}",
                    subprotocols=[_SUBPROTOCOL],
                    **self.connect_options(slot, url),  # security profile of the slot (A00)
                    open_timeout=10,
                    ping_interval=ping or None,
                    max_size=2**22,
                ) as ws:
                    if ws.subprotocol != _SUBPROTOCOL:
                        LOGGER.warning("%s: the CSMS did not agree on ocpp2.0.1", self.station_id)
                        raise OSError("no ocpp2.0.1 subprotocol")
                    self._ws = ws
                    self.connected.set()
                    self.disconnected.clear()
                    attempt = 0
                    self.active_slot = self._current_slot()
                    self.connection_succeeded(self.active_slot)  # A05.FR.06
                    LOGGER.info("%s connected to %s", self.station_id, self.csms_url)
                    await self._session(ws)
            except (OSError, WebSocketException, asyncio.TimeoutError) as error:
                self.last_connect_error = str(error) or type(error).__name__
                LOGGER.info("%s: connection to %s failed: %s", self.station_id, url, error)
                self.connection_failed(error)  # A00.FR.310/316 security events
                self._slot_failed()
            finally:
                self._ws = None
                self.connected.clear()
                self.disconnected.set()
                self.online.clear()
            if self._stopping:
                break
            if self._reboot_pending is not None or not self._power.is_set():
                continue
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._backoff(attempt))
            attempt += 1

    async def _session(self, ws: ClientConnection) -> None:
        lost = asyncio.Event()
        self._lost = lost
        client = _Client(self, ws, response_timeout=self.response_timeout)
        self._client = client
        tasks = [asyncio.create_task(self._read(client, lost))]
        tasks.append(asyncio.create_task(self._sender()))
        try:
            first = not self.registered
            if first:
                await self._boot()
            self.online.set()
            self._resync(first)
            tasks.append(asyncio.create_task(self._heartbeat_loop()))
            await lost.wait()
        except Offline:
            pass
        finally:
            self.online.clear()
            self._client = None
            lost.set()
            self._outbox_progress.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._went_offline()

    async def _read(self, client: _Client, lost: asyncio.Event) -> None:
        try:
            await client.start()
        except ConnectionClosed as closed:
            LOGGER.info("%s: connection closed (%s)", self.station_id, closed)
        except Exception:
            LOGGER.exception("%s: reader failed", self.station_id)
        finally:
            lost.set()

    async def _close_ws(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()

    # ------------------------------------------------------------------ boot (B01-B03)

    async def _boot(self) -> None:
        """BootNotification until Accepted; after Pending or Rejected wait ``interval``
        (B02.FR.08, B03.FR.06; own choice when 0, B02.FR.07), earlier only when triggered
        (B02.FR.04). While Pending only answers and triggered messages go (B02.FR.02)."""
        while True:
            self._boot_now.clear()
            reason = "PowerUp" if self.has("boot_reason_always_power_up") else self.boot_reason
            payload = call.BootNotification(
                charging_station={
                    "model": "ReferenceStation201",
                    "vendor_name": "pytest-ocpp",
                    "serial_number": self.station_id[:25],
                    "firmware_version": "1.0.0",
                },
                reason=reason,
            )
            try:
                response = await self._call(payload)
            except CallFailed as error:
                LOGGER.warning("%s: BootNotification failed: %s", self.station_id, error)
                response = None
            if response is not None and response.status == "Accepted":
                self.boot_status = "Accepted"
                self.ever_accepted = True
                self.boot_count += 1
                if response.interval > 0 and not self.has("heartbeat_ignores_boot_interval"):
                    self.model.override("OCPPCommCtrlr.HeartbeatInterval", str(response.interval))
                    self.notify_config_change()
                LOGGER.info("%s: boot accepted", self.station_id)
                return
            self.boot_status = response.status if response is not None else ""
            self._outbox_changed.set()
            if self.boot_status == "Pending" and self.has("status_while_pending"):
                for evse in self.evses.values():
                    for c in evse.connectors.values():
                        with contextlib.suppress(CallFailed):
                            await self._call(self._status_payload(evse.id, c.id))
            lost = self._lost
            if lost is not None and lost.is_set():
                raise Offline()
            interval = response.interval if response is not None and response.interval > 0 else 30
            if self.has("b_boot_retry_ignores_interval"):
                interval = 1
            waiters = [asyncio.ensure_future(self._boot_now.wait())]
            if lost is not None:
                waiters.append(asyncio.ensure_future(lost.wait()))
            try:
                await asyncio.wait(waiters, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
            if lost is not None and lost.is_set():
                raise Offline()
            if self._boot_now.is_set():
                self.boot_reason = "Triggered"

    def trigger_boot(self) -> None:
        """TriggerMessage(BootNotification) while not Accepted: boot now (B02 TC_B_02)."""
        self._boot_now.set()

    def _resync(self, first: bool) -> None:
        """After a boot: every connector (B01.FR.05) and a security event (Part 6 Booted);
        after an outage: every connector past OfflineThreshold, else the changed ones
        (B04.FR.01/02). These go before the transaction messages queued meanwhile."""
        offline_for = time.monotonic() - (self._offline_since or time.monotonic())
        everything = first or offline_for > self.model.get_int("OCPPCommCtrlr.OfflineThreshold")
        for evse in self.evses.values():
            for connector in evse.connectors.values():
                if everything:
                    connector.reported = None
                if first and self.has("no_status_after_boot"):
                    connector.reported = self.connector_status(evse.id, connector.id)
                if not first and self.has("b_no_status_after_outage"):
                    connector.reported = self.connector_status(evse.id, connector.id)
        front: list[Outgoing] = []
        self.refresh(into=front)
        if first:
            kind = "StartupOfTheDevice" if self.boot_reason == "PowerUp" else "ResetOrReboot"
            event = call.SecurityEventNotification(type=kind, timestamp=self.ts())
            front.append(Outgoing(build=lambda _i: event, kind="keep"))
        self.outbox.extendleft(reversed(front))
        self._outbox_changed.set()

    # ------------------------------------------------------------------ reboots and power

    def request_reboot(self, reason: str) -> None:
        """Reboot: close the connection (no goodbye), then boot again with ``reason``."""
        self._reboot_pending = reason
        self._wake.set()
        self.spawn(self._close_ws())

    def _reboot(self) -> None:
        """What a reboot forgets and keeps: the device model, local list, cache and
        availability (B01.FR.07, G03.FR.08) and queued transaction messages (B12.FR.05)
        stay; transactions still open end with PowerLoss (E06.FR.16)."""
        reason = self._reboot_pending or "PowerUp"
        self._reboot_pending = None
        self.boot_status = ""
        self.boot_reason = reason
        self.reset_scheduled = False
        for evse in self.evses.values():
            evse.reset_scheduled = False
        for evse, session in self.sessions():
            self.abort(evse, session, "AbnormalCondition", "PowerLoss")
        for evse in self.evses.values():
            evse.relay_closed = False
            evse.ev_suspended = False
            evse.session = None
            for connector in evse.connectors.values():
                connector.reported = None
                if self.has("availability_not_persisted"):
                    connector.inoperative = False
            if self.has("availability_not_persisted"):
                evse.inoperative = False
        if self.has("availability_not_persisted"):
            self.cs_inoperative = False
        self.floating = None
        self.outbox = deque(item for item in self.outbox if item.kind in ("tx", "keep"))

    async def power_down(self) -> None:
        """Backup power: end transactions (PowerLoss), try to deliver, then go dark."""
        for evse, session in self.sessions():
            self.abort(evse, session, "AbnormalCondition", "PowerLoss")
        self.refresh()
        await self.drain(5.0)
        self.powered = False
        self._power.clear()
        self._reboot_pending = "PowerUp"
        await self._close_ws()

    def power_up(self) -> None:
        if self.powered:
            return
        self.powered = True
        self._reboot_pending = "PowerUp"
        self._power.set()
        self._wake.set()

    def can_charge(self) -> bool:
        """Charging only once Accepted by this CSMS, and not while Pending/Rejected (B §1.1,
        B03.FR.01: TxBeforeAcceptedEnabled is false)."""
        return self.powered and self.ever_accepted and self.boot_status in ("Accepted", "")

    async def _heartbeat_loop(self) -> None:
        """A HeartbeatRequest every OCPPCommCtrlr.HeartbeatInterval seconds (G02.FR.02)."""
        while True:
            interval = max(1, self.model.get_int("OCPPCommCtrlr.HeartbeatInterval", 300))
            if await self.config_changed_within(interval):
                continue
            if not self.has("no_heartbeat"):
                self.enqueue(lambda _i: call.Heartbeat())

    # ------------------------------------------------------------------ configuration

    def notify_config_change(self) -> None:
        self._config_changed.set()
        self._config_changed = asyncio.Event()

    async def config_changed_within(self, timeout: float | None) -> bool:
        """Wait ``timeout`` seconds (None: forever); True if a variable changed first."""
        try:
            await asyncio.wait_for(self._config_changed.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    def variable_changed(self, variable: Variable) -> None:
        """A SetVariables took effect (after its answer): timers restart with the new
        values; a new BasicAuthPassword is used from the next connection, at once (A01)."""
        self.monitored_change()  # N07: monitors on the changed variable
        self.notify_config_change()
        if (variable.component, variable.name) == ("SecurityCtrlr", "BasicAuthPassword"):
            if not self.has("a_password_kept"):
                self.basic_auth_password = variable.value
            self.spawn(self._close_ws())

    def send_report(self, request_id: int, variables: list[Variable]) -> None:
        """NotifyReport pages for GetBaseReport/GetReport, allowed while Pending (B02.FR.02)."""
        first = 1 if self.has("b_report_seq_no_from_one") else 0
        for page in notify_report_pages(self.model, request_id, variables, self.ts(), first):
            self.enqueue(lambda _i, p=page: p, pre_boot=True)

    # ------------------------------------------------------------------ helpers

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(self._log_failure)
        return task

    def _log_failure(self, task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            LOGGER.error("%s: background task failed", self.station_id, exc_info=task.exception())

    @staticmethod
    def ts(moment: datetime | None = None) -> str:
        """RFC 3339 UTC with milliseconds (Part 2 §3.1)."""
        moment = moment or datetime.now(timezone.utc)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
