"""Conformant reference OCPP 1.6J charge point, the default target of the station-side suite.

Built on the ``ocpp`` library's ``ChargePoint`` over ``websockets``' asyncio client, on purpose
independent of pytest_ocpp's own protocol core: a framing bug in our core cannot hide itself by
being shared with the target it judges. Every ``TC_xxx_CS`` case of the OCTT 1.6 document must
pass against this station, and each entry of :data:`DEFECTS` must make named cases fail.

Physical actions a person performs at a real charger (plug in, swipe a card, pull the power)
arrive through :meth:`ReferenceStation.perform` or the optional websocket control channel.

Run it standalone::

    python -m pytest_ocpp.reference.station --csms ws://127.0.0.1:9000/ocpp --id CP_1
    python -m pytest_ocpp.reference.station --csms wss://localhost:9443/ocpp --tls-ca ca.pem \\
        --tls-cert station-cert.pem --tls-key station-key.pem
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import logging
import signal
import ssl
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import datetime, timezone
from typing import Any

from ocpp.exceptions import OCPPError
from ocpp.v16 import call
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import Server, serve
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.typing import Subprotocol

from pytest_ocpp.reference.station_config import (
    PROFILE_NAMES,
    ConfigStore,
)
from pytest_ocpp.reference.station_defects import DEFECTS, VARIANTS
from pytest_ocpp.reference.station_metering import MeteringMixin
from pytest_ocpp.reference.station_model import (
    Connector,
    Outgoing,
    Reservation,
)
from pytest_ocpp.reference.station_operator import ACTIONS, OperatorMixin, hand_off
from pytest_ocpp.reference.station_reservations import ReservationMixin
from pytest_ocpp.reference.station_security import SecurityMixin
from pytest_ocpp.reference.station_sessions import SessionMixin
from pytest_ocpp.reference.station_smart import ProfileStore, format_datetime
from pytest_ocpp.reference.station_transfer import BASE_FIRMWARE, FileTransferMixin

LOGGER = logging.getLogger("pytest_ocpp.reference.station")

__all__ = ["ACTIONS", "DEFECTS", "VARIANTS", "ReferenceStation"]

_SUBPROTOCOL = Subprotocol("ocpp1.6")


class _Offline(Exception):
    """The websocket went away while a request was outstanding."""


class _CallFailed(Exception):
    """The Central System answered with a CallError, or not in time."""


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ReferenceStation(
    SessionMixin,
    SecurityMixin,
    OperatorMixin,
    MeteringMixin,
    ReservationMixin,
    FileTransferMixin,
):
    """A conformant OCPP 1.6J charge point simulator, driven by a CSMS plus operator actions.

    ``start()`` returns at once; await :attr:`online` to know the station is booted (Accepted)
    and connected. State for tests: :attr:`statuses`, :attr:`transaction_ids`, :attr:`config`
    (a :class:`ConfigStore`), :attr:`connected` / :attr:`disconnected` / :attr:`online`.

    ``features`` picks the OCPP 1.6 profiles (SupportedFeatureProfiles); leaving one out gives
    the "SUT lacks this feature profile" variants (TC_042_1, TC_043_1, TC_048_4, TC_050_4).
    ``defects`` names entries of :data:`DEFECTS`. ``config_removed`` leaves keys out (a
    station missing a key, to prove how cases judge that). ``config_overrides`` sets initial values of
    existing configuration keys (read-only ones included, e.g. ReserveConnectorZeroSupported).
    ``control_port`` (0 = ephemeral) serves the operator control channel at :attr:`control_url`.
    Reconnection after a drop waits ``reconnect_delay`` seconds, doubling up to
    ``reconnect_max_delay``, and retries until :meth:`stop`.

    Security profiles (1.6 Security Whitepaper §2): ``basic_auth_password`` sends HTTP Basic
    credentials with user = station id (profiles 1 and 2, A00.FR.202-205); a ``wss://``
    ``csms_url`` speaks TLS 1.2 or above (A00.FR.312) and verifies the Central System's
    certificate against ``tls_ca_file`` (its CSMS root) and host name (A00.FR.307/308); a
    ``tls_cert_file`` / ``tls_key_file`` is its client certificate (profile 3, A00.FR.401/402).
    """

    def __init__(
        self,
        *,
        csms_url: str,
        station_id: str = "CP_1",
        connectors: int = 2,
        basic_auth_password: str | None = None,
        fixed_cable: bool = False,
        features: Collection[str] = (
            "Core",
            "FirmwareManagement",
            "LocalAuthListManagement",
            "Reservation",
            "SmartCharging",
            "RemoteTrigger",
        ),
        defects: Collection[str] = (),
        variants: Collection[str] = (),
        reboot_delay: float = 0.0,
        config_overrides: Mapping[str, str] = {},
        config_removed: Collection[str] = (),
        control_port: int | None = None,
        response_timeout: float = 30.0,
        reconnect_delay: float = 0.2,
        reconnect_max_delay: float = 3.0,
        tls_ca_file: str | None = None,
        tls_cert_file: str | None = None,
        tls_key_file: str | None = None,
    ) -> None:
        strange = sorted(set(variants) - set(VARIANTS))
        if strange:
            raise ValueError(
                f"Unknown variant(s) {', '.join(strange)}; valid variants are {', '.join(VARIANTS)}."
            )
        unknown = sorted(set(defects) - set(DEFECTS))
        if unknown:
            raise ValueError(
                f"Unknown defect(s) {', '.join(unknown)}; valid defects are {', '.join(DEFECTS)}."
            )
        bad_profiles = sorted(set(features) - set(PROFILE_NAMES))
        if bad_profiles or "Core" not in features:
            raise ValueError(
                f"features must include Core and only name OCPP 1.6 profiles "
                f"({', '.join(PROFILE_NAMES)}); got {', '.join(features)}."
            )
        if connectors < 1:
            raise ValueError(f"A charge point needs at least one connector, got {connectors}.")
        self.csms_url = csms_url.rstrip("/")
        self.station_id = station_id
        self.connector_count = connectors
        self.basic_auth_password = basic_auth_password
        self.fixed_cable = fixed_cable
        self.features = tuple(p for p in PROFILE_NAMES if p in features)
        self.defects = frozenset(defects)
        self.variants = frozenset(variants)
        self.reboot_delay = reboot_delay
        """Seconds a reboot (Reset, firmware install) takes before the station reconnects."""
        self.config = ConfigStore(
            connectors=connectors,
            features=self.features,
            overrides=config_overrides,
            removed=config_removed,
        )
        if "long_meter_intervals" in self.variants:
            entry = self.config.entry("MeterValueSampleInterval")
            if entry is not None:
                entry.validate = lambda value: (
                    value.strip() == "0" or (value.strip().isdigit() and int(value) >= 10)
                )
        self.control_port = control_port
        self.control_url: str | None = None
        self.response_timeout = response_timeout
        self.reconnect_delay = reconnect_delay
        self.reconnect_max_delay = reconnect_max_delay
        self.tls_ca_file = tls_ca_file
        self.tls_cert_file = tls_cert_file
        self.tls_key_file = tls_key_file

        self.connectors = [Connector(i) for i in range(connectors + 1)]
        self.local_list: dict[str, dict[str, Any]] = {}
        self.local_list_version = 0
        self.auth_cache: dict[str, dict[str, Any]] = {}
        self.reservations: dict[int, Reservation] = {}
        self.profiles = ProfileStore()
        self.firmware_version = BASE_FIRMWARE
        self.firmware_status = "Idle"
        self.diagnostics_status = "Idle"
        self.failing: dict[str, bool] = {
            "download": False,
            "install": False,
            "upload": False,
            "local_list": False,
        }

        self.last_connect_error = ""
        """Why the last connection attempt failed (a simulator says it to its user; the
        station itself only logs it at INFO and retries, as a station does)."""
        self.connected = asyncio.Event()
        """Set while the websocket is open."""
        self.online = asyncio.Event()
        """Set while connected and registered (BootNotification Accepted)."""
        self.disconnected = asyncio.Event()
        """Set while the websocket is down (before the first connection, during outages)."""
        self.disconnected.set()
        self.registered = False
        self.boot_count = 0
        self._pending_interval = 0
        """The interval of the last Pending boot answer, until a boot is Accepted."""

        self._outbox: deque[Outgoing] = deque()
        self._outbox_changed = asyncio.Event()
        self._outbox_progress = asyncio.Event()
        self._transaction_ended = asyncio.Event()
        self._config_changed = asyncio.Event()
        self._boot_now = asyncio.Event()
        self._wake = asyncio.Event()
        self._powered = asyncio.Event()
        self._powered.set()
        self._reboot_pending = False
        self._firmware_installed_pending = False
        self._stopping = False
        self._ws: ClientConnection | None = None
        self._client: Any = None
        self._session_lost: asyncio.Event | None = None
        self._main: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._control: Server | None = None
        self.security_setup()

    # ------------------------------------------------------------------ public API

    @property
    def statuses(self) -> dict[int, str]:
        """Current status per connector id (0 = the charge point), as the station sees it."""
        return {c.id: self._status_of(c)[0] for c in self.connectors}

    @property
    def transaction_ids(self) -> dict[int, int | None]:
        """Connector id → transactionId of its running transaction (None before the .conf)."""
        return {c.id: c.transaction.id for c in self.connectors[1:] if c.transaction}

    def has(self, defect: str) -> bool:
        return defect in self.defects or defect in self.variants

    async def start(self) -> None:
        """Start connecting, booting and serving; returns at once (await :attr:`online`)."""
        if self._main is not None:
            return
        self._stopping = False
        if self.control_port is not None:
            self._control = await serve(self._serve_control, "127.0.0.1", self.control_port)
            port = next(iter(self._control.sockets)).getsockname()[1]
            self.control_url = f"ws://127.0.0.1:{port}/_control"
        self._main = asyncio.create_task(self._run(), name=f"{self.station_id}-main")
        self.spawn(self._clock_aligned_loop())

    async def stop(self) -> None:
        """Disconnect and stop every task; the station can be started again."""
        self._stopping = True
        self._wake.set()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        tasks = [t for t in (self._main, *self._background) if t is not None]
        for task in tasks:
            task.cancel()
        for connector in self.connectors:
            for task in self._timers_of(connector):
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._background.clear()
        self._main = None
        if self._control is not None:
            self._control.close()
            await self._control.wait_closed()
            self._control = None

    async def __aenter__(self) -> ReferenceStation:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ connection life

    async def _run(self) -> None:
        delay = self.reconnect_delay
        while not self._stopping:
            await self._powered.wait()
            if self._reboot_pending:
                self._reboot()
                if self.reboot_delay > 0:
                    await asyncio.sleep(self.reboot_delay)
            headers = {}
            if self.basic_auth_password is not None and not self.has("no_basic_auth_header"):
                token = base64.b64encode(
                    f"{self.station_id}:{self.basic_auth_password}".encode()
                ).decode()
                headers["Authorization"] = f"Basic {token}"
            ping = self.config.get_int("WebSocketPingInterval", 0)
            try:
                async with connect(
                    f"{self.csms_url}/{self.station_id}",
                    subprotocols=[_SUBPROTOCOL],
                    additional_headers=headers,
                    open_timeout=10,
                    ping_interval=ping or None,
                    max_size=2**22,
                    ssl=self._ssl_context(),
                ) as ws:
                    self._ws = ws
                    self.connected.set()
                    self.disconnected.clear()
                    delay = self.reconnect_delay
                    LOGGER.info("%s connected to %s", self.station_id, self.csms_url)
                    await self._session(ws)
            except (OSError, WebSocketException, asyncio.TimeoutError) as error:
                self.last_connect_error = str(error) or type(error).__name__
                LOGGER.info(
                    "%s: connection to %s failed: %s", self.station_id, self.csms_url, error
                )
            finally:
                self._ws = None
                self.connected.clear()
                self.disconnected.set()
                self.online.clear()
            if self._stopping:
                break
            if self._reboot_pending or not self._powered.is_set():
                continue
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            delay = min(delay * 2, self.reconnect_max_delay)

    def _ssl_context(self) -> ssl.SSLContext | None:
        """TLS for a ``wss://`` Central System (profiles 2 and 3): TLS 1.2 or above, the
        certification path and host name verified (A00.FR.307/308, 411/412), the
        whitepaper's AES-GCM suites (A00.FR.318), the client certificate for profile 3."""
        if not self.csms_url.startswith("wss://"):
            return None
        context = ssl.create_default_context(cafile=self.central_system_roots_file())
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers(
            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
            "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"
        )
        if self.has("accept_untrusted_server_certificate"):
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.tls_cert_file:
            context.load_cert_chain(self.tls_cert_file, self.tls_key_file)
        return context

    async def _session(self, ws: ClientConnection) -> None:
        from pytest_ocpp.reference.station_security import SecureStationClient

        lost = asyncio.Event()
        self._session_lost = lost
        client = SecureStationClient(self, ws, response_timeout=self.response_timeout)
        self._client = client
        tasks: list[asyncio.Task[Any]] = [asyncio.create_task(self._read(client, lost))]
        try:
            if not self._powered.is_set():
                return
            first = not self.registered
            if first:
                if self.has("status_before_first_boot") and self.boot_count > 0:
                    for c in self.connectors:
                        with contextlib.suppress(_CallFailed):
                            await self._call(self._status_payload(c, self._status_of(c)))
                await self._boot()
            self.online.set()
            if first:
                for c in reversed(self.connectors):
                    self._outbox.appendleft(self._status_item(c))
                if self._firmware_installed_pending:
                    self._firmware_installed_pending = False
                    self.firmware_status = "Idle"
                    self._notify_firmware("Installed")
            else:
                for c in self.connectors:
                    self._outbox.append(Outgoing(build=lambda c=c: self._sync_status(c)))
            self._outbox_changed.set()
            tasks.append(asyncio.create_task(self._sender()))
            tasks.append(asyncio.create_task(self._heartbeat_loop()))
            await lost.wait()
        except _Offline:
            pass
        finally:
            self.online.clear()
            self._client = None
            lost.set()
            self._outbox_progress.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            kept: deque[Outgoing] = deque()
            dropped = False
            for item in self._outbox:
                if item.tx or item.action is not None:
                    kept.append(item)
                else:
                    dropped = True
                    if item.future is not None and not item.future.done():
                        item.future.set_exception(_Offline())
            self._outbox = kept
            if dropped:
                # A dropped StatusNotification was never delivered: report afresh after the
                # reconnect (OCPP 1.6 §4.9; TC_038_CS: Finishing after an offline stop).
                for c in self.connectors:
                    c.reported = None

    async def _read(self, client: Any, lost: asyncio.Event) -> None:
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

    async def _boot(self) -> None:
        """BootNotification until Accepted, waiting ``interval`` after Pending/Rejected
        (OCPP 1.6 §4.2); while Pending only answer the CSMS (§4.2.1)."""
        while True:
            self._boot_now.clear()
            try:
                response = await self._call(self._boot_payload())
            except _CallFailed as error:
                LOGGER.warning("%s: BootNotification failed: %s", self.station_id, error)
                response = None
            if response is not None and response.status == "Accepted":
                self.registered = True
                self.boot_count += 1
                if response.interval > 0 and not (
                    self.has("heartbeat_keeps_pending_interval") and self._pending_interval
                ):
                    self._set_heartbeat_interval(response.interval)
                self._pending_interval = 0
                LOGGER.info("%s: boot accepted", self.station_id)
                return
            if response is not None and response.status == "Pending" and response.interval > 0:
                self._pending_interval = response.interval
                if self.has("heartbeat_keeps_pending_interval"):
                    self._set_heartbeat_interval(response.interval)
            if (
                response is not None
                and response.status == "Pending"
                and self.has("status_before_boot_accepted")
            ):
                for c in self.connectors:
                    with contextlib.suppress(_CallFailed):
                        await self._call(self._status_payload(c, self._status_of(c)))
            lost = self._session_lost
            if lost is not None and lost.is_set():
                raise _Offline()  # the connection went: the next session boots again
            interval = response.interval if response is not None and response.interval > 0 else 10
            waiters = [asyncio.ensure_future(self._boot_now.wait())]
            if lost is not None:
                waiters.append(asyncio.ensure_future(lost.wait()))
            _, pending = await asyncio.wait(
                waiters, timeout=interval, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in pending:
                waiter.cancel()

    def _boot_payload(self) -> Any:
        return call.BootNotification(
            charge_point_model="ReferenceStation",
            charge_point_vendor="pytest-ocpp",
            charge_point_serial_number=self.station_id[:25],
            firmware_version=self.firmware_version,
        )

    def _set_heartbeat_interval(self, seconds: int) -> None:
        self.config.set("HeartbeatInterval", str(seconds))
        self._notify_config_change()

    def _notify_config_change(self) -> None:
        self._config_changed.set()
        self._config_changed = asyncio.Event()

    def _reboot(self) -> None:
        """What a reboot forgets and what it keeps (configuration, local list, cache,
        availability, queued transaction messages, cables)."""
        self._reboot_pending = False
        self.registered = False
        for c in self.connectors:
            self._cancel_pending(c, refresh=False)
            if c.transaction is not None:
                self._stop_transaction(c, "PowerLoss", refresh=False)
            if c.scheduled_inoperative is not None:
                c.inoperative = c.scheduled_inoperative
                c.scheduled_inoperative = None
            c.ev_suspended = False
            c.reported = None
        for reservation in list(self.reservations.values()):
            self._drop_reservation(reservation, refresh=False)
        self._outbox = deque(item for item in self._outbox if item.tx)

    # ------------------------------------------------------------------ sending

    async def _call(self, payload: Any) -> Any:
        """Send one request on the current connection; raise _Offline if it drops first."""
        client, lost = self._client, self._session_lost
        if client is None or lost is None or lost.is_set():
            raise _Offline()
        request = asyncio.ensure_future(client.call(payload, suppress=False))
        waiter = asyncio.ensure_future(lost.wait())
        try:
            await asyncio.wait({request, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            if not request.done():
                request.cancel()
            elif not request.cancelled():
                # Read even when this task is being cancelled (the station stopping mid-call):
                # an unread failure would print "Task exception was never retrieved".
                request.exception()
        if request.cancelled():
            raise _Offline()
        error = request.exception()
        if isinstance(error, (OCPPError, asyncio.TimeoutError)):
            raise _CallFailed(str(error))
        if error is not None:
            raise _CallFailed(repr(error))
        return request.result()

    def _enqueue(
        self,
        build: Callable[[], Any | None],
        *,
        tx: bool = False,
        on_result: Callable[[Any], None] | None = None,
        want_future: bool = False,
    ) -> asyncio.Future[Any] | None:
        """Queue a request; non-transaction requests are dropped while offline (OCPP 1.6
        §4.1 queues only transaction-related messages)."""
        if not tx and not self.online.is_set():
            return None
        future = asyncio.get_running_loop().create_future() if want_future else None
        self._outbox.append(Outgoing(build=build, tx=tx, future=future, on_result=on_result))
        self._outbox_changed.set()
        return future

    def _enqueue_action(self, action: Callable[[], None]) -> None:
        self._outbox.append(Outgoing(build=lambda: None, action=action))
        self._outbox_changed.set()

    async def _request(self, payload: Any) -> Any | None:
        """Send a non-transaction request and wait for its answer; None if offline/failed."""
        future = self._enqueue(lambda: payload, want_future=True)
        if future is None:
            return None
        hand_off()
        try:
            return await asyncio.wait_for(future, self.response_timeout + 5)
        except (_Offline, _CallFailed, asyncio.TimeoutError):
            return None

    async def _sender(self) -> None:
        """The single writer: requests leave in the order they were queued (one outstanding
        call at a time, OCPP-J 1.6 §4.1.1); failed transaction messages are retried
        TransactionMessageAttempts times, TransactionMessageRetryInterval apart (§4.8)."""
        while True:
            self._outbox_progress.set()
            while not self._outbox:
                self._outbox_changed.clear()
                await self._outbox_changed.wait()
            item = self._outbox[0]
            if item.action is not None:
                self._outbox.popleft()
                item.action()
                continue
            payload = item.build()
            if payload is None:
                self._outbox.popleft()
                continue
            try:
                result = await self._call(payload)
            except _CallFailed as error:
                if item.tx:
                    item.attempts += 1
                    if item.attempts < self.config.get_int("TransactionMessageAttempts", 3):
                        await asyncio.sleep(
                            self.config.get_int("TransactionMessageRetryInterval", 5)
                            * item.attempts
                        )
                        continue
                if self._outbox and self._outbox[0] is item:
                    self._outbox.popleft()
                if item.future is not None and not item.future.done():
                    item.future.set_exception(error)
                continue
            if self._outbox and self._outbox[0] is item:
                self._outbox.popleft()
            if item.on_result is not None:
                try:
                    item.on_result(result)
                except Exception:
                    LOGGER.exception("%s: handling %s failed", self.station_id, result)
            if item.future is not None and not item.future.done():
                item.future.set_result(result)

    async def _drain_outbox(self, timeout: float) -> None:
        """Wait (bounded) until every queued request has been answered or we are offline."""

        async def drained() -> None:
            while self._outbox and self.online.is_set():
                self._outbox_progress.clear()
                await self._outbox_progress.wait()

        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(drained(), timeout)

    async def _heartbeat_loop(self) -> None:
        """A Heartbeat every HeartbeatInterval seconds (OCPP 1.6 §4.6)."""
        while True:
            changed = self._config_changed
            interval = max(1, self.config.get_int("HeartbeatInterval", 300))
            try:
                await asyncio.wait_for(changed.wait(), interval)
            except asyncio.TimeoutError:
                if not self.has("no_heartbeat"):
                    self._enqueue(call.Heartbeat)

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(self._log_failure)
        return task

    def _log_failure(self, task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            LOGGER.error("%s: background task failed", self.station_id, exc_info=task.exception())

    def ts(self, moment: datetime | None = None) -> str:
        """A timestamp for an outgoing message (the bad_timestamp defect breaks it)."""
        moment = moment or _utcnow()
        if self.has("bad_timestamp"):
            return moment.strftime("%d/%m/%Y %H.%M.%S")
        return format_datetime(moment)

    # ------------------------------------------------------------------ status

    def _status_of(self, c: Connector) -> tuple[str, str]:
        """ChargePointStatus of a connector (OCPP 1.6 §4.9, §7.7) and its errorCode."""
        cp = self.connectors[0]
        if c.id == 0:
            if c.fault:
                return "Faulted", c.fault
            return ("Unavailable" if c.inoperative else "Available"), "NoError"
        if c.fault:
            return "Faulted", c.fault
        tx = c.transaction
        if tx is not None:
            if tx.invalid:
                return "SuspendedEVSE", "NoError"
            if c.ev_side_disconnected or c.ev_suspended:
                return "SuspendedEV", "NoError"
            if self._offered_amps(c) <= 0:
                return "SuspendedEVSE", "NoError"
            return "Charging", "NoError"
        if cp.fault:
            return "Faulted", cp.fault
        if c.inoperative or cp.inoperative:
            return "Unavailable", "NoError"
        if c.pending is not None and c.pending.visible:
            return "Preparing", "NoError"
        if c.finishing:
            return "Finishing", "NoError"
        if self._reservation_for(c) is not None:
            return "Reserved", "NoError"
        if c.plugged:
            return "Preparing", "NoError"
        return "Available", "NoError"

    def _status_payload(self, c: Connector, status: tuple[str, str]) -> Any:
        return call.StatusNotification(
            connector_id=c.id,
            error_code=status[1],
            status=status[0],
            timestamp=self.ts(),
            info=c.info if status[0] in ("SuspendedEV", "SuspendedEVSE") else None,
        )

    def _status_item(self, c: Connector) -> Outgoing:
        status = self._status_of(c)
        c.reported = status
        payload = self._status_payload(c, status)
        return Outgoing(build=lambda: payload)

    def _sync_status(self, c: Connector) -> Any | None:
        """After a reconnect: report statuses that changed while offline (OCPP 1.6 §4.9)."""
        status = self._status_of(c)
        if status == c.reported:
            return None
        c.reported = status
        return self._status_payload(c, status)

    def _refresh(self) -> None:
        """Report every connector whose status changed (MinimumStatusDuration 0)."""
        if not self.online.is_set():
            return
        for c in self.connectors:
            status = self._status_of(c)
            if status != c.reported:
                c.reported = status
                payload = self._status_payload(c, status)
                self._enqueue(lambda p=payload: p)

    # ------------------------------------------------------------------ hooks for handlers

    def after_reset(self, kind: str) -> None:
        if self.has("reset_without_reboot"):
            return
        self.spawn(self._reset(kind))

    async def _reset(self, kind: str) -> None:
        """Reset (OCPP 1.6 §5.14): stop transactions (reason HardReset/SoftReset), deliver
        the stops, drop the connection and boot again."""
        for c in self.connectors[1:]:
            if c.transaction is not None:
                self._stop_transaction(c, f"{kind}Reset")
        await self._drain_outbox(5.0)
        self._reboot_pending = True
        await self._close_ws()

    def trigger_boot(self) -> None:
        if not self.registered:
            self._boot_now.set()
            return

        def accepted(response: Any) -> None:
            if response.status == "Accepted" and response.interval > 0:
                self._set_heartbeat_interval(response.interval)

        self._enqueue(self._boot_payload, on_result=accepted)

    def trigger_status(self, connector_id: int | None) -> None:
        targets = [connector_id] if connector_id is not None else range(self.connector_count + 1)
        for cid in targets:
            c = self.connectors[cid]
            status = self._status_of(c)
            c.reported = status
            payload = self._status_payload(c, status)
            self._enqueue(lambda p=payload: p)

    def stop_by_id(self, transaction_id: int) -> Connector | None:
        for c in self.connectors[1:]:
            if c.transaction is not None and c.transaction.id == transaction_id:
                return c
        return None

    def refresh(self) -> None:
        self._refresh()

    def stop_transaction(self, c: Connector, reason: str) -> None:
        self._stop_transaction(c, reason)

    def enqueue_heartbeat(self) -> None:
        self._enqueue(call.Heartbeat)

    def notify_firmware(self, status: str) -> None:
        self._notify_firmware(status)

    def notify_diagnostics(self, status: str) -> None:
        self._notify_diagnostics(status)

    def config_changed(self) -> None:
        self._notify_config_change()


def _parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_ocpp.reference.station",
        description="Conformant reference OCPP 1.6J charge point (pytest-ocpp).",
    )
    parser.add_argument("--csms", required=True, help="CSMS websocket URL, without the station id")
    parser.add_argument("--id", default="CP_1", help="charge point identity (default CP_1)")
    parser.add_argument("--connectors", type=int, default=2)
    parser.add_argument("--control-port", type=int, default=None, help="serve /_control here")
    parser.add_argument("--password", default=None, help="HTTP Basic Auth password")
    parser.add_argument("--fixed-cable", action="store_true")
    parser.add_argument("--tls-ca", default=None, help="CSMS root to trust for a wss:// CSMS")
    parser.add_argument("--tls-cert", default=None, help="client certificate (profile 3)")
    parser.add_argument("--tls-key", default=None, help="key of the client certificate")
    parser.add_argument(
        "--defect", action="append", default=[], choices=sorted(DEFECTS), help="break on purpose"
    )
    parser.add_argument(
        "--variant", action="append", default=[], choices=sorted(VARIANTS), help="legal variation"
    )
    parser.add_argument(
        "--reboot-delay", type=float, default=0.0, help="seconds a reboot takes (default 0)"
    )
    parser.add_argument(
        "--config", action="append", default=[], metavar="KEY=VALUE", help="initial config value"
    )
    return parser.parse_args(argv)


async def _main(args: argparse.Namespace) -> None:
    overrides = dict(item.split("=", 1) for item in args.config)
    station = ReferenceStation(
        csms_url=args.csms,
        station_id=args.id,
        connectors=args.connectors,
        basic_auth_password=args.password,
        fixed_cable=args.fixed_cable,
        defects=args.defect,
        variants=args.variant,
        reboot_delay=args.reboot_delay,
        config_overrides=overrides,
        control_port=args.control_port,
        tls_ca_file=args.tls_ca,
        tls_cert_file=args.tls_cert,
        tls_key_file=args.tls_key,
    )
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, done.set)
    async with station:
        if station.control_url:
            LOGGER.info("control channel at %s", station.control_url)
        await done.wait()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(_main(_parse_args()))
