"""One simulated charging station: a reference station (1.6 or 2.0.1, as it is) with a wire tap,
a state snapshot and the simulator's command vocabulary.

The reference stations are conformant and already take the station operator's physical
actions (:mod:`pytest_ocpp.reference.station_operator`, ``station201/operator.py``); the
simulator adds three things and changes none of their behaviour:

* a tap on the websocket, so the last frame each way can be published and the time a command
  reaches the wire measured (the ``ocpp`` library's ``ChargePoint`` only ever calls ``send``
  and ``recv`` on its connection, so a proxy over those two is enough);
* a snapshot of what a user watches (status, transaction id, energy per connector) with
  awaitable changes (:meth:`SimStation.wait_for_status`);
* one vocabulary for both versions: ``present_id_token`` and ``present_id_tag`` are the same
  card, ``connector_id`` names the EVSE in 2.0.1 (one connector each), and ``start`` / ``stop``
  are a whole session's first and last user action.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

from pytest_ocpp.reference.station import ReferenceStation
from pytest_ocpp.reference.station201 import ReferenceStation201

__all__ = ["CommandError", "NotPossible", "SimStation", "StationOffline", "WireTap", "vocabulary"]

FrameListener = Callable[[str, str], None]
"""Called with ("sent" | "received", frame text) for every frame on the station's websocket."""

_ENVELOPE = ("request_id", "station_id", "ocpp_version", "action", "kind")
"""Keys of a command body that address the command, not the action (the MQTT station
operator sends the operator job as it is: ``station_id``, ``ocpp_version`` ...)."""


class CommandError(ValueError):
    """A command the simulator cannot carry out: unknown action, bad parameters."""


class NotPossible(Exception):
    """The action exists but this simulated station cannot do it (outcome ``not-possible``)."""


class StationOffline(CommandError):
    """A command to a station that has never been connected to its CSMS: acknowledging it
    ``ok`` would tell the user a plug-in happened at a station nobody can see (outcome
    ``failed``, the sentence says why the station is offline)."""


class WireTap:
    """A transparent proxy over a websocket connection that reports every text frame."""

    def __init__(self, ws: Any, listener: FrameListener) -> None:
        self._ws = ws
        self._listener = listener

    async def send(self, message: Any, *args: Any, **kwargs: Any) -> None:
        self._listener("sent", message if isinstance(message, str) else repr(message))
        await self._ws.send(message, *args, **kwargs)

    async def recv(self, *args: Any, **kwargs: Any) -> Any:
        message = await self._ws.recv(*args, **kwargs)
        self._listener("received", message if isinstance(message, str) else repr(message))
        return message

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)


class _Tapped:
    """Mixed in before a reference station: its session runs over a :class:`WireTap`."""

    frame_listener: FrameListener | None = None

    async def _session(self, ws: Any) -> None:
        listener = self.frame_listener
        tapped = WireTap(ws, listener) if listener is not None else ws
        await super()._session(tapped)  # type: ignore[misc]


class TappedStation16(_Tapped, ReferenceStation):
    """The 1.6 reference station, tapped."""


class TappedStation201(_Tapped, ReferenceStation201):
    """The 2.0.1 reference station, tapped."""


def _energy16(station: ReferenceStation) -> dict[int, int]:
    return {c.id: int(station._meter(c)) for c in station.connectors[1:]}


def _energy201(station: ReferenceStation201) -> dict[int, int]:
    return {evse.id: int(station.meter(evse)) for evse in station.evses.values()}


def _told(version: str, action: str, request: dict[str, Any], result: Any) -> list[Any]:
    """What the CSMS now knows from an answered request: (connector, field, value) triples.

    Status and transaction are taken from the wire, not from the station's own state, and only
    once the CSMS has answered: a test that waits for "Charging" then asks the CSMS's API
    about it must find the CSMS told (a status the station has decided but not yet sent would
    send that test to look too early)."""
    result = result if isinstance(result, dict) else {}
    if action == "StatusNotification":
        if version == "1.6":
            return [(request.get("connectorId"), "status", request.get("status"))]
        if request.get("connectorId") == 1:
            return [(request.get("evseId"), "status", request.get("connectorStatus"))]
        return []
    if version == "1.6":
        if action == "StartTransaction" and "transactionId" in result:
            return [(request.get("connectorId"), "transaction", str(result["transactionId"]))]
        if action == "StopTransaction":
            return [(None, "stopped", str(request.get("transactionId")))]
        return []
    if action != "TransactionEvent":
        return []
    info = request.get("transactionInfo", {})
    evse = request.get("evse", {}).get("id")
    told: list[Any] = [(evse, "tx-of", info.get("transactionId"))]
    if "chargingState" in info:
        told.append((evse, "charging_state", info["chargingState"]))
    if request.get("eventType") == "Ended":
        told.append((evse, "stopped", info.get("transactionId")))
    else:
        told.append((evse, "transaction", info.get("transactionId")))
    return told


def vocabulary(version: str | None) -> set[str]:
    """The command vocabulary of a version: the station operator's, plus both spellings of
    the card and the whole-session start and stop. Checked before a command reaches the
    reference station, whose own error would list only the operator's actions."""
    from pytest_ocpp.operators import STATION_ACTIONS, STATION_ACTIONS_201

    known = set(STATION_ACTIONS_201 if version == "2.0.1" else STATION_ACTIONS)
    return known | {"present_id_token", "present_id_tag", "start", "stop"}


_WATCHED = frozenset(
    {"StatusNotification", "StartTransaction", "StopTransaction", "TransactionEvent"}
)


class SimStation:
    """A simulated station driven by commands; state readable and awaitable.

    ``options`` go to the reference station (``connectors`` / ``evses``, ``response_timeout``,
    ``basic_auth_password`` ...). ``on_change`` is called with (station, connector or None,
    field, value) whenever a watched value changes, and ``on_frame`` with every frame."""

    def __init__(
        self,
        station_id: str,
        csms_url: str,
        version: str = "1.6",
        *,
        on_change: Callable[[SimStation, int | None, str, Any], None] | None = None,
        on_frame: Callable[[SimStation, str, str], None] | None = None,
        **options: Any,
    ) -> None:
        if version not in ("1.6", "2.0.1"):
            raise ValueError(f"The simulator speaks OCPP 1.6 and 2.0.1, not {version!r}.")
        self.station_id = station_id
        self.version = version
        self._on_change = on_change
        self._on_frame = on_frame
        self.reference: TappedStation16 | TappedStation201
        if version == "1.6":
            self.reference = TappedStation16(csms_url=csms_url, station_id=station_id, **options)
        else:
            self.reference = TappedStation201(csms_url, station_id, **options)
        self.reference.frame_listener = self._frame
        self.state: dict[int, dict[str, Any]] = {}
        self.online = False
        self.last_frame: dict[str, str] = {}
        self.last_sent_at = 0.0
        """time.perf_counter() of the last frame sent (the bench's command-to-wire latency)."""
        self.first_boot_wait = 10.0
        """Seconds after :meth:`launch` that commands wait for the station's first boot (a
        card presented before the station ever reached its CSMS would be judged by the
        offline rules instead); past them, a station never connected refuses commands
        (:class:`StationOffline`). The simulator sets it to its connect timeout."""
        self._launched_at: float | None = None
        self._booted_once = False
        self._calls: dict[str, tuple[str, dict[str, Any]]] = {}
        """Requests sent and not yet answered, by message id (only the watched actions)."""
        self._evse_of: dict[str, int] = {}
        """2.0.1 transaction id → EVSE (later TransactionEvents may leave ``evse`` out)."""
        self._changed = asyncio.Event()
        self._lock = asyncio.Lock()

    # -- life ------------------------------------------------------------------------------
    # ``start`` and ``stop`` are commands (a session's first and last user action), so the
    # station's own life is launch / shutdown.
    async def launch(self) -> None:
        """Start connecting to the CSMS; returns at once (see :meth:`wait_online`). The
        retained ``online false`` goes out first, so a subscriber sees a station that never
        connects as offline rather than not at all."""
        self._launched_at = time.monotonic()
        self._set(None, "online", False)
        await self.reference.start()
        self.refresh()

    async def shutdown(self) -> None:
        """Disconnect and stop every task of the station."""
        await self.reference.stop()
        self.refresh()

    async def start(self, connector_id: int = 1, id_token: str = "", **params: Any) -> None:
        """The user's start: plug in at ``connector_id``, then present ``id_token``."""
        await self.command("start", {"connector_id": connector_id, "id_token": id_token, **params})

    async def stop(self, connector_id: int = 1) -> None:
        """The user's stop: present the card that started the transaction again."""
        await self.command("stop", {"connector_id": connector_id})

    async def wait_online(self, timeout: float = 10.0) -> None:
        """Until the station is connected and its BootNotification accepted."""
        try:
            await asyncio.wait_for(self.reference.online.wait(), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(
                f"station {self.station_id} was not connected and accepted by its CSMS "
                f"within {timeout:g} s: {self.offline_reason()}"
            ) from None
        self.refresh()

    @property
    def url(self) -> str:
        """Where the station connects: the CSMS URL and its id (what a user checks first)."""
        return f"{self.reference.csms_url}/{self.station_id}"

    def offline_reason(self) -> str:
        """Why the station is not online, as far as can be told: connected but not accepted,
        or not connected and the last connection error."""
        if self.reference.connected.is_set():
            return f"connected to {self.url}, but the CSMS has not accepted its BootNotification"
        error = self.reference.last_connect_error
        why = f" (last attempt: {error})" if error else ""
        return f"no connection to {self.url}{why}"

    # -- observing -------------------------------------------------------------------------
    def _frame(self, direction: str, text: str) -> None:
        if direction == "sent":
            self.last_sent_at = time.perf_counter()
        self.last_frame[direction] = text
        if self._on_frame is not None:
            self._on_frame(self, direction, text)
        self._learn(direction, text)
        self.refresh()

    def refresh(self) -> None:
        """Report what changed: online, and the energy registers (which flow between frames:
        re-read after every frame and command and on the simulator's tick)."""
        online = self.reference.online.is_set()
        if online:
            self._booted_once = True
        if online != self.online:
            self.online = online
            self._set(None, "online", online)
        ref = self.reference
        energy = _energy16(ref) if isinstance(ref, ReferenceStation) else _energy201(ref)  # type: ignore[arg-type]
        for n, wh in energy.items():
            self._set(n, "energy", wh)

    def _learn(self, direction: str, text: str) -> None:
        """Follow requests to their answers (see :func:`_told`)."""
        try:
            frame = json.loads(text)
        except ValueError:
            return
        if not isinstance(frame, list) or len(frame) < 3:
            return
        if direction == "sent" and frame[0] == 2 and len(frame) == 4:
            if frame[2] in _WATCHED and isinstance(frame[3], dict):
                self._calls[frame[1]] = (frame[2], frame[3])
            return
        if direction != "received" or frame[0] not in (3, 4):
            return
        call = self._calls.pop(frame[1], None)
        if call is None or frame[0] == 4:
            return
        for n, key, value in _told(self.version, call[0], call[1], frame[2]):
            if key == "tx-of":
                if n is not None and value:
                    self._evse_of[value] = n
                continue
            if key == "stopped":
                n = n if n is not None else self._evse_of.get(value)
                for m, values in self.state.items():
                    if values.get("transaction") == value and (n is None or m == n):
                        self._set(m, "transaction", "")
                continue
            if n is None and key != "status":
                n = self._evse_of.get(self._tx_in_call(call[1]))
            if isinstance(n, int):
                self._set(n, key, value)

    @staticmethod
    def _tx_in_call(request: dict[str, Any]) -> Any:
        return request.get("transactionInfo", {}).get("transactionId")

    def _set(self, n: int | None, key: str, value: Any) -> None:
        if n is None:
            self._notify(None, key, value)
        else:
            values = self.state.setdefault(n, {})
            if values.get(key) == value:
                return
            values[key] = value
            self._notify(n, key, value)
        self._changed.set()
        self._changed = asyncio.Event()

    def _notify(self, n: int | None, key: str, value: Any) -> None:
        if self._on_change is not None:
            self._on_change(self, n, key, value)

    def status(self, connector_id: int = 1) -> str:
        self.refresh()
        return str(self.state.get(connector_id, {}).get("status", ""))

    def transaction_id(self, connector_id: int = 1) -> str:
        self.refresh()
        return str(self.state.get(connector_id, {}).get("transaction", ""))

    def energy_wh(self, connector_id: int = 1) -> int:
        self.refresh()
        return int(self.state.get(connector_id, {}).get("energy", 0))

    async def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """Until ``predicate()`` holds; a TimeoutError names ``what`` and the state seen."""
        deadline = time.monotonic() + timeout
        while True:
            self.refresh()
            if predicate():
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(
                    f"station {self.station_id}: {what} not reached within {timeout:g} s; "
                    f"state is {self.state}"
                )
            # Energy changes between frames: re-read at least every 0.2 s.
            waiter = self._changed
            try:
                await asyncio.wait_for(waiter.wait(), min(left, 0.2))
            except asyncio.TimeoutError:
                pass

    async def wait_for_status(self, connector_id: int, status: str, timeout: float = 10.0) -> None:
        """Until connector ``connector_id`` (the EVSE in 2.0.1) shows ``status``: a 1.6
        ChargePointStatus, or in 2.0.1 a ConnectorStatus (Occupied) or chargingState
        (Charging, EVConnected, SuspendedEV, Idle)."""

        def reached() -> bool:
            values = self.state.get(connector_id, {})
            return status in (values.get("status"), values.get("charging_state"))

        await self.wait_for(reached, timeout, f"status {status} on connector {connector_id}")

    async def wait_for_transaction(self, connector_id: int = 1, timeout: float = 10.0) -> str:
        """Until connector ``connector_id`` has a transaction id; returns it."""
        await self.wait_for(
            lambda: bool(self.state.get(connector_id, {}).get("transaction")),
            timeout,
            f"a transaction on connector {connector_id}",
        )
        return str(self.state[connector_id]["transaction"])

    # -- acting ----------------------------------------------------------------------------
    async def command(self, action: str, params: dict[str, Any] | None = None) -> None:
        """Carry out one simulator command (the station-operator actions plus ``start`` and
        ``stop``). Raises :class:`CommandError` for an unknown action or bad parameters and
        :class:`NotPossible` for an action this station cannot do. Commands to one station
        run one at a time, in order: plug in, then present the card."""
        known = vocabulary(self.version)
        if action not in known:
            raise CommandError(
                f"unknown action {action!r}; an OCPP {self.version} simulated station knows "
                f"{', '.join(sorted(known))}"
            )
        body = {k: v for k, v in (params or {}).items() if k not in _ENVELOPE}
        async with self._lock:
            await self._first_boot(action)
            try:
                if action == "start":
                    await self._start(body)
                elif action == "stop":
                    await self._stop(body)
                else:
                    name, args = self._translate(action, body)
                    await self.reference.perform(name, **args)
            except NotImplementedError as exc:
                raise NotPossible(str(exc)) from None
            except (ValueError, TypeError) as exc:
                raise CommandError(str(exc)) from None
            finally:
                self.refresh()

    async def _first_boot(self, action: str) -> None:
        """Wait for the station's first boot, up to :attr:`first_boot_wait` after its launch;
        then refuse if it has never been connected. A station that was online once and lost
        its connection carries commands out as a real one does offline (queued for the CSMS:
        the offline cases of the catalogue need that), and one that is connected but not yet
        accepted (a Pending boot) takes them too."""
        if self._booted_once:
            return
        started = self._launched_at if self._launched_at is not None else time.monotonic()
        left = started + self.first_boot_wait - time.monotonic()
        if left > 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.reference.online.wait(), left)
        self.refresh()
        if not self._booted_once and not self.reference.connected.is_set():
            raise StationOffline(
                f"station {self.station_id} is offline, so {action} was not carried out: "
                f"{self.offline_reason()}"
            )

    def _translate(self, action: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """One vocabulary for both versions (see the module docstring)."""
        args = dict(body)
        if self.version == "1.6":
            if action == "present_id_token":
                action = "present_id_tag"
                if "id_token" in args:
                    args["id_tag"] = args.pop("id_token")
                args.pop("type", None)
            return action, args
        if action == "present_id_tag":
            action = "present_id_token"
            if "id_tag" in args:
                args["id_token"] = args.pop("id_tag")
        wants_evse = action not in (
            "power_cycle",
            "power_off",
            "power_on",
            "masterpass_select",
            "store_customer_identifier",
        )
        if wants_evse and "evse_id" not in args and "connector_id" in args:
            args["evse_id"] = args.pop("connector_id")
        elif action not in ("plug_in", "plug_out", "set_fault", "clear_fault"):
            args.pop("connector_id", None)
        return action, args

    def _connector(self, body: dict[str, Any]) -> int:
        n = body.get("connector_id", body.get("evse_id", 1))
        if not isinstance(n, int) or isinstance(n, bool):
            raise CommandError(f"connector_id must be a whole number, got {n!r}")
        return n

    async def _start(self, body: dict[str, Any]) -> None:
        """The user's start: plug the cable in, then present ``id_token``."""
        n = self._connector(body)
        token = body.get("id_token", body.get("id_tag"))
        if not isinstance(token, str) or not token:
            raise CommandError("start needs id_token, the card presented after plugging in")
        if self.version == "1.6":
            await self.reference.perform("plug_in", connector_id=n)
            await self.reference.perform("present_id_tag", id_tag=token, connector_id=n)
        else:
            await self.reference.perform("plug_in", evse_id=n)
            kind = body.get("type", "ISO14443")
            await self.reference.perform("present_id_token", id_token=token, type=kind, evse_id=n)

    async def _stop(self, body: dict[str, Any]) -> None:
        """The user's stop: present the card that started the transaction again (a local
        stop, reason Local in 1.6 and 2.0.1)."""
        n = self._connector(body)
        ref = self.reference
        if isinstance(ref, ReferenceStation):
            if not 1 <= n <= ref.connector_count:
                raise CommandError(f"connector_id {n} is not a connector of this station")
            tx = ref.connectors[n].transaction
            if tx is None:
                raise CommandError(f"no transaction runs on connector {n}: nothing to stop")
            await ref.perform("present_id_tag", id_tag=tx.id_tag, connector_id=n)
            return
        evse = ref.evses.get(n)
        if evse is None:
            raise CommandError(f"evse {n} is not an EVSE of this station")
        session = evse.session
        if session is None or session.tx is None or session.auth is None:
            raise CommandError(f"no authorized transaction runs on EVSE {n}: nothing to stop")
        token = session.auth.id_token
        await ref.perform(
            "present_id_token",
            id_token=token["id_token"],
            type=token.get("type", "ISO14443"),
            evse_id=n,
        )

    def __getattr__(self, action: str) -> Callable[..., Any]:
        """``await station.plug_in(1)``, ``await station.present_id_token("TAG", 1)``: every
        command as a method; a positional argument is the connector (or the token, then
        the connector, for the card actions)."""
        if action.startswith("_") or action not in vocabulary(self.__dict__.get("version")):
            raise AttributeError(
                f"{type(self).__name__!r} has no attribute or command {action!r}; commands: "
                f"{', '.join(sorted(vocabulary(self.__dict__.get('version'))))}"
            )

        async def call(*args: Any, **kwargs: Any) -> None:
            names = (
                ("id_token", "connector_id")
                if action in ("present_id_token", "present_id_tag")
                else ("connector_id",)
            )
            if len(args) > len(names):
                raise TypeError(f"{action}() takes at most {len(names)} positional arguments")
            kwargs.update(zip(names, args, strict=False))
            await self.command(action, kwargs)

        return call
