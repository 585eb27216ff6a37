"""One simulated charging station under gevent: a ``websocket-client`` connection, a reader
greenlet that judges every frame, and the station's own schedule.

Why this shape (DESIGN.md "More traps", measured with Locust 2.47): a ``websocket-client``
connection per Locust user held 10 000 stations at 22 KB each and 0.34 cores, where an asyncio
loop in a thread fell behind at 10 000 and handing calls to asyncio cost 2.9x the CPU. So the
asyncio :class:`~pytest_ocpp.link.Link` stays out of here; the judging is the same because both
call the core's pure rules (:mod:`pytest_ocpp.judging` through :mod:`.judge`).

Import only in Locust's process: ``gevent`` must have patched the standard library first.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gevent
import gevent.event
import gevent.lock
import websocket

from pytest_ocpp import rpc
from pytest_ocpp.load import judge
from pytest_ocpp.load.messages import Dialect, Effect, Session, StationView
from pytest_ocpp.load.settings import LoadSettings
from pytest_ocpp.schemas import schema_set

Fire = Callable[..., None]
"""``environment.events.request.fire``: Locust merges what it records across workers."""

WS = "WebSocket"
"""Request type of the connection figures (handshake, drops) in Locust's tables."""
FROM_CSMS = "CSMS request"
"""Request type of the requests the CSMS sends us, answered and counted."""
STORM = "Storm"


@dataclass
class _Pending:
    action: str
    name: str
    sent: float
    result: gevent.event.AsyncResult = field(default_factory=gevent.event.AsyncResult)
    timed_out: bool = False


class _BufferedWebSocket(websocket.WebSocket):
    """websocket-client reads a frame's header and payload with separate socket reads (two
    or three per frame, each through four Python layers); this reads what the kernel has, up
    to 64 KiB, and hands it out as the frame parser asks. One read per burst cut the cost per
    message by a tenth (bench/bench_load.py). The handshake does not come through here."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._unread = b""

    def _recv(self, bufsize: int) -> bytes:
        if not self._unread:
            self._unread = super()._recv(65536)  # raises when the peer has gone
        chunk, self._unread = self._unread[:bufsize], self._unread[bufsize:]
        return chunk


class Counters:
    """Per-process figures that are not Locust requests: stations connected now and at the
    peak. The locustfile reports them to the master, which sums the workers."""

    connected = 0
    peak = 0

    @classmethod
    def up(cls) -> None:
        cls.connected += 1
        cls.peak = max(cls.peak, cls.connected)

    @classmethod
    def down(cls) -> None:
        cls.connected -= 1


class Stopped(Exception):
    """The station was told to stop (the run ends); nothing to count."""


class Station:
    """One station: :meth:`run` is its whole life, until Locust kills the user's greenlet."""

    def __init__(
        self,
        *,
        url: str,
        station_id: str,
        dialect: Dialect,
        settings: LoadSettings,
        fire: Fire,
        charging: bool,
        clock: Callable[[], float],
        reconnect_in_storm: bool = False,
        offline_in_storm: bool = False,
        boot_storm: bool = False,
    ) -> None:
        self.url = url.rstrip("/") + "/" + station_id
        self.station_id = station_id
        self.dialect = dialect
        self.version = dialect.version
        self.schemas = schema_set(dialect.version)
        self.settings = settings
        self.fire = fire
        self.charging = charging
        self.clock = clock
        """Seconds since the run started in this process (storms are scheduled on it)."""
        self.reconnect_in_storm = reconnect_in_storm
        self.offline_in_storm = offline_in_storm
        self.boot_storm = boot_storm
        self.ws: websocket.WebSocket | None = None
        self.reader: gevent.Greenlet | None = None
        self.pending: dict[str, _Pending] = {}
        self.answered: deque[str] = deque(maxlen=16)
        """Recent replies' message ids (a second reply to one Call is a finding); bounded, as
        is :attr:`expired`, so a station running for days does not grow."""
        self.expired: deque[str] = deque(maxlen=16)
        """Recent Calls that timed out: their late replies are neither new failures nor
        "uncorrelated"."""
        self.one_call = gevent.lock.Semaphore()
        """OCPP-J 1.6 §4.1.1: one outstanding Call at a time; 2.0.1 Part 4 §4.1.1 too."""
        self.sessions: dict[int, Session] = {}
        self.greenlets: list[gevent.Greenlet] = []
        """Connector lives and remote-started sessions, killed when the station stops."""
        self.stop_requests: dict[int, gevent.event.Event] = {}
        self.heartbeat_interval = settings.heartbeat_interval or 300.0
        self.meter_interval = settings.meter_value_interval
        self.offline = False
        self.queue: list[tuple[str, str, dict[str, Any], Session]] = []
        self.tokens = settings.id_tokens or ("VALID_TAG_1",)
        self.wake = gevent.event.Event()
        """Set when the connection drops or a Reset arrives: the station's life acts at once."""
        self.reset_requested = False
        self.stopping = False
        self.rng = random.Random(station_id)

    # -- connection ------------------------------------------------------------------------
    def connect(self, label: str = "") -> bool:
        """Open the websocket; the handshake is timed as its own request. False on failure
        (counted with its reason); the caller retries as a real station does."""
        headers = []
        password = self.settings.password_for(self.station_id)
        if password is not None:
            from pytest_ocpp.security import basic_auth_header  # only when a password is set

            headers.append(f"Authorization: {basic_auth_header(self.station_id, password)}")
        # UTF-8 is judged where a text frame is read (bytes.decode, in C, then a framing
        # finding): websocket-client's own check is pure Python, a quarter of our cost per
        # message (cProfile, bench/bench_load.py).
        ws = _BufferedWebSocket(enable_multithread=True, skip_utf8_validation=True)
        start = time.perf_counter()
        name = "handshake" + (f" ({label})" if label else "")
        error: Exception | None = None
        try:
            ws.connect(
                self.url,
                subprotocols=[self.version.subprotocol],
                header=headers,
                timeout=self.settings.connect_timeout,
            )
            if ws.getsubprotocol() != self.version.subprotocol:
                error = judge.LoadFailure(
                    f"the CSMS selected subprotocol {ws.getsubprotocol()!r}, not "
                    f"{self.version.subprotocol} (OCPP-J 1.6 §3.1.2; 2.0.1 Part 4 §3.2)"
                )
        except websocket.WebSocketBadStatusException as exc:
            error = judge.LoadFailure(f"HTTP {exc.status_code} instead of 101")
        except (websocket.WebSocketTimeoutException, TimeoutError):
            error = judge.LoadFailure(
                f"no handshake within {self.settings.connect_timeout:g} s (connect_timeout)"
            )
        except (OSError, websocket.WebSocketException) as exc:
            error = judge.LoadFailure(judge.stable(f"{type(exc).__name__}: {exc}"))
        elapsed = (time.perf_counter() - start) * 1000
        self.fire(
            request_type=WS, name=name, response_time=elapsed, response_length=0, exception=error
        )
        if error is not None:
            ws.shutdown()
            return False
        ws.settimeout(None)
        self.ws = ws
        self.answered.clear()
        Counters.up()
        self.reader = gevent.spawn(self._read_loop, ws)
        return True

    def connect_until_up(self, label: str = "") -> None:
        delay = 1.0
        while not self.connect(label):
            gevent.sleep(delay * (0.5 + self.rng.random()))
            delay = min(delay * 2, 30.0)

    def drop(self) -> None:
        """Close our side abruptly (an outage, a storm): no close frame, as a cut cable."""
        ws, self.ws = self.ws, None
        if ws is None:
            return
        Counters.down()
        if self.reader is not None and self.reader is not gevent.getcurrent():
            self.reader.kill(block=False)
        ws.shutdown()
        self._fail_pending("the station itself went offline", count=False)

    def close(self) -> None:
        self.stopping = True
        for greenlet in self.greenlets:
            greenlet.kill(block=False)
        self.drop()

    # -- calls -----------------------------------------------------------------------------
    def call(self, action: str, payload: dict[str, Any], name: str = "") -> dict[str, Any] | None:
        """Send a Call and wait for its reply; the reply is judged and timed where it is read.
        Returns the CallResult payload, or None when the call failed (already counted)."""
        name = name or action
        with self.one_call:
            ws = self.ws
            if ws is None:
                raise Stopped
            call = rpc.Call(rpc.new_unique_id(), action, payload)
            pending = _Pending(action, name, time.perf_counter())
            self.pending[call.unique_id] = pending
            try:
                ws.send(call.to_json())
            except (OSError, websocket.WebSocketException) as exc:
                self.pending.pop(call.unique_id, None)
                self._count(pending, judge.lost_reason(f"{type(exc).__name__} while sending"))
                self._connection_lost(ws, "send failed")
                return None
            try:
                return pending.result.get(timeout=self.settings.response_timeout)
            except gevent.Timeout:
                pending.timed_out = True
                self.pending.pop(call.unique_id, None)
                self.expired.append(call.unique_id)
                self._count(pending, judge.timeout_reason(self.settings.response_timeout))
                return None
            except judge.LoadFailure:
                return None

    def _count(self, pending: _Pending, reason: str | None, length: int = 0) -> None:
        elapsed = (time.perf_counter() - pending.sent) * 1000
        error = judge.LoadFailure(reason) if reason else None
        self.fire(
            request_type=self.version.name,
            name=pending.name,
            response_time=elapsed,
            response_length=length,
            exception=error,
        )

    def _fail_pending(self, why: str, *, count: bool = True) -> None:
        for unique_id, pending in list(self.pending.items()):
            del self.pending[unique_id]
            if pending.timed_out or pending.result.ready():
                continue
            if count:
                self._count(pending, judge.lost_reason(why))
            pending.result.set_exception(judge.LoadFailure(why))

    # -- reading ---------------------------------------------------------------------------
    def _read_loop(self, ws: websocket.WebSocket) -> None:
        abnf = websocket.ABNF
        while True:
            try:
                opcode, data = ws.recv_data(control_frame=True)
            except websocket.WebSocketConnectionClosedException:
                self._connection_lost(ws, "dropped without a close frame (code 1006)")
                return
            except (OSError, websocket.WebSocketException) as exc:
                self._connection_lost(ws, f"{type(exc).__name__}: {exc}")
                return
            if opcode == abnf.OPCODE_CLOSE:
                code = int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005
                reason = data[2:].decode("utf-8", errors="replace")
                why = f"closed by the CSMS with code {code}" + (f" ({reason})" if reason else "")
                self._connection_lost(ws, why)
                return
            if opcode == abnf.OPCODE_TEXT:
                try:
                    self._dispatch(data.decode("utf-8"))
                except UnicodeDecodeError:
                    self._dispatch(data)  # judged as a framing error: not UTF-8 text
            elif opcode == abnf.OPCODE_BINARY:
                self._dispatch(data)

    def _connection_lost(self, ws: websocket.WebSocket, why: str) -> None:
        if self.ws is not ws or self.stopping:
            return
        self.ws = None
        self.wake.set()
        Counters.down()
        self.fire(
            request_type=WS,
            name="connection",
            response_time=0,
            response_length=0,
            exception=judge.LoadFailure(judge.stable(f"connection lost: {why}")),
        )
        self._fail_pending(why)

    def _dispatch(self, raw: str | bytes) -> None:
        received = time.perf_counter()
        try:
            frame = rpc.parse(raw, self.version)
        except rpc.FramingError as exc:
            pending = self.pending.pop(exc.unique_id or "", None)
            if pending is not None and not pending.timed_out:
                self._count(pending, judge.framing_reason(exc))
                pending.result.set_exception(judge.LoadFailure(exc.reason))
            else:
                self._count_other("(framing)", judge.framing_reason(exc))
            return
        if isinstance(frame, rpc.Call):
            gevent.spawn(self._answer, frame)
            return
        pending = self.pending.pop(frame.unique_id, None)
        if pending is None and frame.unique_id in self.expired:
            return  # already counted as a timeout; a late answer does not undo it
        if pending is None:
            duplicate = frame.unique_id in self.answered
            self._count_other(
                "(uncorrelated)", judge.DUPLICATE if duplicate else judge.UNCORRELATED
            )
            return
        self.answered.append(frame.unique_id)
        reason = judge.reply_reason(self.schemas, pending.action, frame)
        elapsed = (received - pending.sent) * 1000
        self.fire(
            request_type=self.version.name,
            name=pending.name,
            response_time=elapsed,
            response_length=len(raw),
            exception=judge.LoadFailure(reason) if reason else None,
        )
        if reason is not None:
            pending.result.set_exception(judge.LoadFailure(reason))
        else:
            assert isinstance(frame, rpc.CallResult)
            pending.result.set(frame.payload)

    def _count_other(self, name: str, reason: str) -> None:
        self.fire(
            request_type=self.version.name,
            name=name,
            response_time=0,
            response_length=0,
            exception=judge.LoadFailure(reason),
        )

    # -- the CSMS's requests ---------------------------------------------------------------
    def _answer(self, call: rpc.Call) -> None:
        """Answer a request the CSMS sent, count it (with its handling time), then do what it
        asked. A request breaking its schema is answered with the version's CallError and
        counted as the CSMS's failure."""
        from pytest_ocpp import judging

        start = time.perf_counter()
        problems, refusal = judging.judge_call(self.schemas, call)
        effect: Effect | None = None
        if refusal is not None:
            frame: rpc.Frame = refusal
        else:
            view = StationView(
                self.settings.connectors,
                self.heartbeat_interval,
                self.meter_interval,
                self.sessions,
            )
            answer = self.dialect.answer(call.action, call.payload, view)
            effect = answer.effect
            if answer.error_code is not None:
                frame = rpc.CallError(call.unique_id, answer.error_code, "not simulated under load")
            else:
                assert answer.payload is not None
                frame = rpc.CallResult(call.unique_id, answer.payload)
        ws = self.ws
        if ws is not None and call.message_type != rpc.MessageType.SEND:
            try:
                ws.send(frame.to_json())
            except (OSError, websocket.WebSocketException):
                pass
        reason = judge.stable(f"invalid request: {problems[0]}") if problems else None
        self.fire(
            request_type=FROM_CSMS,
            name=call.action,
            response_time=(time.perf_counter() - start) * 1000,
            response_length=0,
            exception=judge.LoadFailure(reason) if reason else None,
        )
        if effect is not None:
            self._apply(effect)

    def _apply(self, effect: Effect) -> None:
        if effect.kind == "heartbeat_interval":
            self.heartbeat_interval = max(float(effect.value), 1.0)
        elif effect.kind == "meter_interval":
            self.meter_interval = max(float(effect.value), 1.0)
        elif effect.kind == "start":
            token, remote_id = (
                effect.value if isinstance(effect.value, tuple) else (effect.value, None)
            )
            self._spawn(self._session, effect.connector, token, remote_id, True)
        elif effect.kind == "stop":
            request = self.stop_requests.get(effect.connector)
            if request is not None:
                request.set()
        elif effect.kind == "trigger":
            gevent.spawn(self._triggered, str(effect.value), int(effect.connector or 0))
        elif effect.kind == "reset":
            # Done by the station's life itself: a second greenlet reconnecting at the same
            # time would open two connections, and the CSMS would close one of them.
            self.reset_requested = True
            self.wake.set()

    def _triggered(self, message: str, connector: int) -> None:
        try:
            if message == "BootNotification":
                self.call(
                    "BootNotification",
                    self.dialect.boot(self.station_id),
                    "BootNotification (triggered)",
                )
            elif message == "Heartbeat":
                self.call("Heartbeat", {}, "Heartbeat (triggered)")
            elif message == "StatusNotification":
                for c in [connector] if connector else range(1, self.settings.connectors + 1):
                    status = self.dialect.OCCUPIED if c in self.sessions else self.dialect.AVAILABLE
                    self.call(
                        "StatusNotification",
                        self.dialect.status(c, status),
                        "StatusNotification (triggered)",
                    )
            elif message == "MeterValues":
                session = self.sessions.get(connector) or next(iter(self.sessions.values()), None)
                if session is not None:
                    action, name, payload = self.dialect.meter(session)
                    self.call(action, payload, f"{name} (triggered)")
        except Stopped:
            pass

    def _reset(self) -> None:
        """A reboot: open sessions end (1.6 §5.14: stop transactions first), then a new
        connection and a BootNotification."""
        for request in self.stop_requests.values():
            request.set()
        deadline = time.monotonic() + self.settings.response_timeout
        while self.sessions and time.monotonic() < deadline:
            gevent.sleep(0.1)
        self.drop()
        self.connect_until_up("after Reset")
        self.boot("BootNotification (after Reset)")

    # -- the station's life ----------------------------------------------------------------
    def boot(self, name: str = "BootNotification") -> None:
        """Boot until Accepted; Pending and Rejected are retried after the interval the CSMS
        gives (1.6 §4.2, 2.0.1 B02/B03). The heartbeat interval comes from the answer unless
        ``[load] heartbeat_interval`` overrides it."""
        while True:
            reply = self.call("BootNotification", self.dialect.boot(self.station_id), name)
            if reply is not None and reply.get("status") == "Accepted":
                if not self.settings.heartbeat_interval and reply.get("interval"):
                    self.heartbeat_interval = float(reply["interval"])
                break
            wait = float(reply.get("interval") or 10) if reply is not None else 10.0
            gevent.sleep(max(wait, 1.0) * (0.5 + self.rng.random()))
        for connector in range(1, self.settings.connectors + 1):
            status = self.dialect.OCCUPIED if connector in self.sessions else self.dialect.AVAILABLE
            self.call("StatusNotification", self.dialect.status(connector, status))

    def run(self) -> None:
        """Connect, boot, then heartbeat on the station's own schedule while connectors run
        sessions in their own greenlets, and take part in the storms the run asks for."""
        label = " (boot storm)" if self.boot_storm else ""
        while True:  # a connection lost while booting: reconnect and boot again
            self.connect_until_up(label.strip(" ()"))
            try:
                self.boot(f"BootNotification{label}")
                break
            except Stopped:
                continue
        if self.charging:
            for connector in range(1, self.settings.connectors + 1):
                self._spawn(self._connector_life, connector)
        next_beat = time.monotonic() + self.rng.uniform(0, self.heartbeat_interval)
        storms = []
        if self.reconnect_in_storm:
            storms.append((self.settings.reconnect_at, self._reconnect_storm))
        if self.offline_in_storm:
            storms.append((self.settings.offline_at, self._offline))
        while True:
            now = time.monotonic()
            if self.reset_requested:
                self.reset_requested = False
                with contextlib.suppress(Stopped):
                    self._reset()
                continue
            if storms and self.clock() >= storms[0][0]:
                with contextlib.suppress(Stopped):
                    storms.pop(0)[1]()
                continue
            if now >= next_beat:
                next_beat = time.monotonic() + self.heartbeat_interval
                with contextlib.suppress(Stopped):
                    self.call("Heartbeat", {})
                continue
            if self.ws is None and not self.offline:
                self.connect_until_up("after a drop")
                with contextlib.suppress(Stopped):
                    self.boot("BootNotification (after a drop)")
                continue
            until = next_beat - now
            if storms:
                until = min(until, max(storms[0][0] - self.clock(), 0.0))
            # Asleep until the next heartbeat or storm, or until the connection drops: a
            # periodic wake-up would cost 10 000 stations 10 000 switches a second.
            self.wake.wait(timeout=until)
            self.wake.clear()

    def _reconnect_storm(self) -> None:
        self.drop()
        self.connect_until_up("reconnect storm")
        self.boot("BootNotification (reconnect storm)")

    def _offline(self) -> None:
        """Offline for ``offline_duration``: transaction messages are queued, then delivered
        in order once back (1.6 §4.7/§5.16 queueing; 2.0.1 E04 with ``offline`` set), and the
        delivery is timed as a figure of its own."""
        self.offline = True
        self.drop()
        gevent.sleep(self.settings.offline_duration)
        self.connect_until_up("after offline")
        self.offline = False
        start, delivered = time.perf_counter(), 0
        while self.queue:
            action, name, payload, session = self.queue.pop(0)
            if self.version.name == "1.6" and action in ("MeterValues", "StopTransaction"):
                if isinstance(session.transaction_id, int):
                    payload["transactionId"] = session.transaction_id
            reply = self.call(action, payload, f"{name} (queued offline)")
            if reply is not None and action == "StartTransaction":
                self.dialect.started(session, reply)
            delivered += 1
        self.fire(
            request_type=STORM,
            name="offline queue delivered",
            response_time=(time.perf_counter() - start) * 1000,
            response_length=delivered,
            exception=None,
        )

    def _tx(
        self, session: Session, built: tuple[str, str, dict[str, Any]]
    ) -> dict[str, Any] | None:
        """A transaction message: sent now, or queued while the station is offline."""
        action, name, payload = built
        if self.offline:
            self.queue.append((action, name, payload, session))
            return None
        return self.call(action, payload, name)

    def _spawn(self, function: Callable[..., None], *args: Any) -> None:
        self.greenlets = [g for g in self.greenlets if not g.dead]
        self.greenlets.append(gevent.spawn(function, *args))

    def _connector_life(self, connector: int) -> None:
        """Sessions one after the other, idle times drawn per connector (exponential around
        ``session_interval``), so a population never starts its sessions in step."""
        first = True
        while True:
            mean = self.settings.session_interval
            gevent.sleep(
                self.rng.uniform(0, mean)
                if first
                else self.rng.expovariate(1 / mean)
                if mean
                else 0
            )
            first = False
            if connector in self.sessions or (self.ws is None and not self.offline):
                continue  # offline, a station still charges (local authorization) and queues
            token = self.tokens[self.rng.randrange(len(self.tokens))]
            self._session(connector, token, None, False)

    def _session(self, connector: int, token: str, remote_id: int | None, remote: bool) -> None:
        """Plug in, authorize (not for a remote start: AuthorizeRemoteTxRequests is false),
        start, meter values every ``meter_interval``, stop after ``session_duration`` or when
        the CSMS asks, unplug. A connection lost on the way ends the session quietly (the
        loss is counted where it happened)."""
        if connector in self.sessions:
            return
        think = self.settings.think_time
        session = Session(connector, token, meter_start=self.rng.randrange(0, 10_000_000))
        session.remote_start_id = remote_id
        self.sessions[connector] = session
        stop = self.stop_requests[connector] = gevent.event.Event()
        try:
            self._tx(
                session,
                (
                    "StatusNotification",
                    "StatusNotification",
                    self.dialect.status(connector, self.dialect.OCCUPIED),
                ),
            )
            gevent.sleep(think * self.rng.random())
            if not remote:
                reply = (
                    self.call("Authorize", self.dialect.authorize(token))
                    if not self.offline
                    else {}
                )
                if reply is None or (reply and not self.dialect.authorized(reply)):
                    status = self.dialect.status(connector, self.dialect.AVAILABLE)
                    self.call("StatusNotification", status)  # not authorized: unplugged
                    return
                gevent.sleep(think * self.rng.random())
            reply = self._tx(session, self.dialect.start(session, offline=self.offline))
            if reply is not None:
                self.dialect.started(session, reply)
            elif not self.offline:  # refused or failed (counted): unplug, no transaction
                status = self.dialect.status(connector, self.dialect.AVAILABLE)
                self.call("StatusNotification", status)
                return
            ends = time.monotonic() + self.settings.session_duration
            while True:
                wait = min(self.meter_interval, ends - time.monotonic())
                if wait <= 0 or stop.wait(timeout=wait):
                    break
                if time.monotonic() < ends:
                    self._tx(session, self.dialect.meter(session, offline=self.offline))
            self._finish(session)
        except Stopped:
            pass
        finally:
            if self.sessions.get(connector) is session:
                del self.sessions[connector]

    def _finish(self, session: Session) -> None:
        self._tx(session, self.dialect.stop(session, offline=self.offline))
        self.sessions.pop(session.connector, None)
        status = self.dialect.status(session.connector, self.dialect.AVAILABLE)
        self._tx(session, ("StatusNotification", "StatusNotification", status))
