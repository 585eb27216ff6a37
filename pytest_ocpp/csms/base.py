"""The fake CSMS (server role) that a charging station under test connects to.

It shares the protocol core with the fake station: every connection is a
:class:`~pytest_ocpp.link.Link`, so frames from the station are judged exactly like frames
from a CSMS (framing, schema with formats, ids, error codes) and recorded in the running
case's trace.

Unlike a fake station, which lives for one case, the station under test stays connected across
cases, as it does under OCTT. The server therefore lives for the session and each case
*attaches* to it: from then on, frames go to that case's trace and violations fail that case.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import ssl
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import Server, ServerConnection
from websockets.http11 import Request, Response

from pytest_ocpp import case, security
from pytest_ocpp.case import CaseContext
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.csms.status_rules import StatusStream, connector_stream, judge
from pytest_ocpp.link import Handler, IncomingCall, Link, Predicate
from pytest_ocpp.trace import Trace
from pytest_ocpp.transport import serve
from pytest_ocpp.verdicts import ConnectFailed, TargetFailure, TargetTimeout, not_applicable
from pytest_ocpp.versions import OcppVersion


def _warn(text: str) -> None:
    """A warning on the running case; outside a case (a clean-up after it) nobody reads it."""
    with contextlib.suppress(RuntimeError):
        case.warn(text)


def _basic_credentials(ws: Any) -> tuple[str, int] | None:
    request = getattr(ws, "request", None)
    header = request.headers.get("Authorization") if request is not None else None
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        text = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    user, _, password = text.partition(":")
    return user, len(password)


@dataclass
class CsmsBehaviour:
    """How the fake CSMS answers the station's requests. Reset before every case; a scenario
    changes what it needs (a Pending boot, a Blocked tag) for its own duration."""

    boot_status: str = "Accepted"
    heartbeat_interval: int = 300
    id_tag_status: dict[str, str] = field(default_factory=dict)
    parent_id_tag: dict[str, str] = field(default_factory=dict)
    data_transfer_status: str = "UnknownVendorId"
    refuse_connections: bool = False


class StationConnection:
    """One websocket from the station under test, seen from the fake CSMS."""

    peer = "Charging Station"

    def __init__(self, link: Link, station_id: str, csms: FakeCsms) -> None:
        self.link = link
        self.station_id = station_id
        self.csms = csms
        self.initial: dict[str, str] = dict(csms.reported)
        """The last status of every stream as the fake CSMS knew it when this connection
        opened (see :mod:`.status_rules`): where a stream continues from after a reconnect."""
        self.tls = security.tls_info(link.ws)
        """What the connection's TLS negotiated (None over ws://): TC_086/087_CS judge it."""
        self.basic_auth = _basic_credentials(link.ws)
        """(user, password length) of the upgrade's Basic Authorization header, None without
        one: TC_085_CS judges it. The password itself is not kept."""
        self.triggered: list[tuple[int, str]] = []
        """(inbox position, requestedMessage) of every TriggerMessage.req we sent: a Pending
        station may send what it was triggered to (OCPP 1.6 §4.2.1)."""

    @property
    def version(self) -> OcppVersion:
        return self.link.version

    @property
    def closed(self) -> bool:
        return self.link.closed.is_set()

    async def call(
        self,
        action: str,
        payload: dict[str, Any],
        *,
        allow_error: bool = False,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        if action == "TriggerMessage":
            self.triggered.append((self.link.mark(), str(payload.get("requestedMessage"))))
        self.csms.before_call(action, payload)
        answer = await self.link.call(action, payload, allow_error=allow_error, timeout=timeout)
        self.csms.observe_call(action, payload, answer)
        return answer

    async def expect_call(
        self, action: str, predicate: Predicate | None = None, *, timeout: float | None = None
    ) -> IncomingCall:
        return await self.link.expect_call(action, predicate, timeout=timeout)

    async def wait_for(
        self,
        action: str,
        predicate: Predicate | None = None,
        *,
        timeout: float | None = None,
        since: int = 0,
        describe: str = "",
    ) -> IncomingCall:
        return await self.link.wait_for(
            action, predicate, timeout=timeout, since=since, describe=describe
        )

    def mark(self) -> int:
        return self.link.mark()

    # Shared plumbing of the station-side cases (testcases/ocpp16/cs): one copy here instead
    # of a private helper per module, so every case words the same expectation the same way.
    async def next_status(
        self,
        connector_id: int,
        allowed: str | Collection[str],
        *,
        since: int,
        timeout: float | None = None,
        setting: str = "",
        warn: bool = True,
        why: str = "",
    ) -> IncomingCall:
        """The StatusNotification.req of ``connector_id`` that says ``allowed`` (one status,
        or any of a collection), from inbox position ``since`` on: the step every
        station-side case uses to follow a connector's state.

        Repeats and the intermediate statuses the OCPP 1.6 §4.9 transition table allows on
        the way are warnings (see :mod:`.status_rules`); a forbidden transition or a status
        that cannot lead to ``allowed`` fails with what the station said."""
        return await self.next_notification(
            connector_stream(connector_id),
            allowed,
            since=since,
            timeout=timeout,
            setting=setting,
            warn=warn,
            why=why,
        )

    async def next_notification(
        self,
        stream: StatusStream,
        allowed: str | Collection[str],
        *,
        since: int,
        timeout: float | None = None,
        setting: str = "",
        warn: bool = True,
        why: str = "",
        start: str | None = None,
    ) -> IncomingCall:
        """Wait for ``stream`` to report one of ``allowed``, tolerating the legal repeats and
        intermediate statuses of its table (recorded as warnings on the running case unless
        ``warn`` is false: a clean-up expects them).

        ``timeout`` defaults to the message timeout; ``setting`` names the option that sets
        ``timeout`` (default ``--ocpp-message-timeout``), so a user who reads "did not send
        ... within N s" knows what to raise. ``why`` is added to the expectation's wording. ``start``, when given, is
        the stream's status at ``since`` (Idle right after the request that starts a firmware
        update or an upload), instead of what it reported before."""
        wanted = (allowed,) if isinstance(allowed, str) else tuple(allowed)
        shown = " or ".join(wanted)
        wait = self.link.timeouts.message if timeout is None else timeout
        named = setting or ("--ocpp-message-timeout" if timeout is None else "")
        deadline = time.monotonic() + wait
        seen: list[str] = []
        while True:
            after = f" (after {', '.join(seen)})" if seen else ""
            after += f" {why}" if why else ""
            try:
                item = await self.wait_for(
                    stream.action,
                    lambda p: bool(stream.matches(p)),
                    since=since,
                    timeout=max(0.0, deadline - time.monotonic()),
                    describe=f"{stream.label} {shown}{after}",
                )
            except TargetTimeout:
                raise TargetTimeout(
                    f"the {self.peer} did not send {stream.label} {shown}{after} within "
                    f"{wait:g} s" + (f" ({named})" if named else "")
                ) from None
            status = str(item.payload.get("status"))
            unregistered = self.before_accepted_boot(item)
            if unregistered and stream.action == "StatusNotification":
                raise TargetFailure(
                    f"{stream.label} {status} sent while its BootNotification was "
                    f"{unregistered}: a station sends no StatusNotification before its boot is "
                    "Accepted (OCPP 1.6 §4.2.1); received "
                    f"{item.payload!r}"
                )
            previous = self.previous_status(stream, item, since if start else None, start)
            verdict = judge(stream, previous, status, wanted)
            if verdict.failure:
                raise TargetFailure(f"{verdict.failure}; the station sent {item.payload!r}")
            if verdict.done:
                return item
            seen.append(status)
            if warn:
                _warn(verdict.warning)

    def previous_status(
        self,
        stream: StatusStream,
        item: IncomingCall,
        since: int | None = None,
        start: str | None = None,
    ) -> str | None:
        """The status ``stream`` reported before ``item``: on this connection, else the last
        one the fake CSMS saw on an earlier connection; None after a reboot that starts the
        stream afresh, or when nothing is known. With ``since``, nothing before that inbox
        position counts: the stream was at ``start`` there."""
        position = self.link.inbox.index(item)
        first = since or 0
        for earlier in reversed(self.link.inbox[first:position]):
            if earlier.action == "BootNotification" and stream.forgotten_on_boot:
                return None
            if earlier.action == stream.action and not earlier.problems:
                if stream.matches(earlier.payload):
                    return str(earlier.payload.get("status"))
        if since is not None:
            return start
        return self.initial.get(stream.key)

    def before_accepted_boot(self, item: IncomingCall) -> str:
        """ "Pending" or "Rejected" when ``item`` arrived after a BootNotification on this
        connection that was not Accepted, and before an Accepted one; "not yet sent" when the
        connection's first BootNotification came after it; else "".

        A Pending station may send what a TriggerMessage.req asked for (OCPP 1.6 §4.2.1: "…
        unless it has been instructed by the Central System to do so with a TriggerMessage"),
        so such a request is not counted."""
        position = self.link.inbox.index(item)
        for index in range(position - 1, -1, -1):
            earlier = self.link.inbox[index]
            if earlier.action == "BootNotification":
                reply = earlier.reply_payload or {}
                status = str(reply.get("status", ""))
                if status == "Pending" and any(
                    index < mark <= position and message == item.action
                    for mark, message in self.triggered
                ):
                    return ""
                return "" if status == "Accepted" else status or "unanswered"
        if any(later.action == "BootNotification" for later in self.link.inbox[position + 1 :]):
            # No boot before it but one after it on the same connection: the station booted
            # after reporting, i.e. it reported before its first BootNotification (§4.2.1).
            return "not yet sent"
        return ""

    async def configuration_values(self, keys: list[str]) -> dict[str, str | None]:
        """Current values of ``keys`` by one GetConfiguration.req, without a step of its own
        (the caller's "Before" state names it); keys the station does not know are left out.
        Shared by the cases that read configuration to set it and restore it afterwards."""
        answer = await self.call("GetConfiguration", {"key": keys})
        return {item["key"]: item.get("value") for item in answer.get("configurationKey") or []}

    async def close(self) -> None:
        await self.link.close()


class FakeCsms:
    """The CSMS role of pytest-ocpp: listens, accepts the expected station, answers it."""

    def __init__(
        self,
        config: OcppConfig,
        version: OcppVersion,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        path_prefix: str = "/ocpp",
    ) -> None:
        self.config = config
        self.version = version
        self.host = host
        self.port = port
        self.path_prefix = path_prefix
        self.expected_station_id = config.station_id
        self.behaviour = CsmsBehaviour()
        self.connection: StationConnection | None = None
        self.rejections: list[str] = []
        self.session_trace = Trace()
        self._ctx: CaseContext | None = None
        self._server: Server | None = None
        self._connected = asyncio.Condition()
        self._generation = 0
        self._tx_ids = itertools.count(1)
        self.statuses: dict[int, str] = {}
        """Last status per connector, as the station reported it (across cases)."""
        self.reported: dict[str, str] = {}
        """Last status of every status stream (:attr:`StatusStream.key`), across connections."""
        # What the cases changed on the station, for the clean-up of OCTT 1.6 §1.3 (each
        # version module fills them in from the requests it sends, see observe_call).
        self.known_config: dict[str, str | None] = {}
        """Every configuration value the station reported or accepted."""
        self.changed_config: dict[str, str | None] = {}
        """Key → value before a case's first ChangeConfiguration of it, until restored."""
        self.baseline_read = False
        self.general_originals: dict[str, str] = {}
        """Values the session's general conditions replaced, put back when the run ends."""
        self.reservations: dict[int, int] = {}
        """reservationId → connector of every accepted reservation not used or cancelled."""
        self.inoperative: set[int] = set()
        """Connectors (0: the charge point) a case made Inoperative."""
        self.firmware_running = False
        self.diagnostics_running = False
        self._transfer_changed = asyncio.Event()
        self.case_connections: list[StationConnection] = []
        """The station's connections during the running case (reviewed when it ends)."""
        self.reviewing = False
        """:meth:`review_statuses` is registered for the running case."""
        self.case_start = 0
        """Inbox position of the first connection in :attr:`case_connections` at attach."""
        self.transactions: dict[int, int] = {}
        """transactionId → connector of every transaction started and not yet stopped."""
        self.primary: FakeCsms | None = None
        """The fake CSMS of another version whose server this one shares (one listening
        port for ``--ocpp-version=1.6,2.0.1``): the station's subprotocol picks the fake."""
        self.siblings: dict[str, FakeCsms] = {}
        """Subprotocol → the fake CSMS of that version sharing this one's server."""
        self.password: str | None = config.basic_auth_password
        """The basic-auth password the station must send now: --ocpp-basic-auth-password
        until a case sets another on the station (AuthorizationKey / BasicAuthPassword) with
        :meth:`change_password`; cases put the configured one back before they end."""
        self.former_passwords: list[str] = []
        self.serve_untrusted = False
        """Serve a certificate of a CA the station does not know (TC_086_CS's check that the
        station refuses it, A00.FR.309/310), until set back."""
        self.serve_instead: ssl.SSLContext | None = None
        """Serve this TLS context's certificate instead of ours (an invalid CSMS certificate,
        2.0.1 TC_A_05_CS), until set back to None."""
        self.hellos = 0
        """TLS Client Hellos received on the main listener: a station's connection attempt
        is seen even when its handshake then fails (count them with :meth:`hello_seen`)."""
        self.hello_arrived = asyncio.Event()
        """Set at each Client Hello, so a wait for one is awaited, not polled."""
        self.refusal_seen = asyncio.Event()
        """Set at each connection refused for a simulated outage, so a wait for the station's
        next attempt is awaited, not polled (clear it before waiting)."""
        self.listener_profile: dict[int, int] = {}
        """Port of an extra listener (:meth:`open_listener`) → the security profile it
        serves; its connections are judged by that profile."""
        self._listeners: dict[int, Server] = {}
        self.client_cas: list[str] = []
        """More CAs (PEM) client certificates may chain to under profile 3: the CA that
        signed the station's renewed certificate (1.6 TC_074/083_CS, :meth:`trust_client_ca`)."""
        self.tls_context: ssl.SSLContext | None = None
        """The main listener's TLS context (None over ws://)."""

    def share_server_with(self, primary: FakeCsms) -> None:
        """Serve this version from ``primary``'s listening port: a station offering this
        version's subprotocol there is handed to this fake CSMS (OCPP-J: the subprotocol the
        server selects is the version spoken)."""
        self.primary = primary
        primary.siblings[self.version.subprotocol] = self
        self.siblings = primary.siblings
        # One condition for all: a case waiting for its version's connection wakes up when
        # the station connects with another version instead (its case is then n/a).
        self._connected = primary._connected

    def other_version_connected(self) -> str | None:
        """The subprotocol of a live connection the station made to a sibling, else None."""
        for subprotocol, fake in self.siblings.items():
            if fake is not self and fake.connection is not None and not fake.connection.closed:
                return subprotocol
        if self.primary is not None:
            primary = self.primary
            if primary.connection is not None and not primary.connection.closed:
                return primary.version.subprotocol
        return None

    async def review_statuses(self) -> None:
        """After a case's last step: the StatusNotifications no step waited for. A transition
        the OCPP 1.6 §4.9 table forbids, or a report before the boot was Accepted (§4.2.1),
        fails; a repeat without a change is a warning (a station reports on a change, §4.9).
        Other legal changes are the normal course of the scenario and stay in the trace."""
        repeats: list[str] = []
        for number, sut in enumerate(self.case_connections):
            for item in list(sut.link.inbox[self.case_start if number == 0 else 0 :]):
                if item.action != "StatusNotification" or item.consumed or item.problems:
                    continue
                stream = connector_stream(int(item.payload["connectorId"]))
                status = str(item.payload["status"])
                pending = sut.before_accepted_boot(item)
                if pending:
                    raise TargetFailure(
                        f"{stream.label} {status} sent while its BootNotification was {pending}:"
                        " a station sends no StatusNotification before its boot is Accepted "
                        f"(OCPP 1.6 §4.2.1); received {item.payload!r}"
                    )
                # On this connection only: after a reconnect a station may report afresh.
                previous = sut.previous_status(stream, item, since=0)
                if previous == status:
                    repeats.append(f"connectorId {item.payload['connectorId']} {status}")
                elif previous is not None and status not in stream.transitions.get(previous, ()):
                    raise TargetFailure(
                        f"{stream.label} went from {previous} to {status}, a transition "
                        f"{stream.section} does not allow; received {item.payload!r}"
                    )
        if repeats:
            _warn(
                "StatusNotification.req repeated without a change (OCPP 1.6 §4.9 reports a "
                f"change): {', '.join(repeats)}"
            )

    def before_call(self, action: str, payload: dict[str, Any]) -> None:
        """Hook: a request the fake CSMS is about to send (see the version modules). State the
        station's answer-time notifications can change goes here, not in :meth:`observe_call`:
        a fast station reports before our caller resumes after its answer."""

    def observe_call(self, action: str, payload: dict[str, Any], answer: dict[str, Any]) -> None:
        """Hook: a request the fake CSMS sent and the station's answer (see the version
        modules, which keep what a clean-up must undo)."""

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def serves_tls(self) -> bool:
        """Security profiles 2 and 3: the fake CSMS serves wss:// (1.6 Security Whitepaper
        A00.FR.305/409: the Central System is the TLS server)."""
        return self.config.security_profile in (2, 3)

    def _tls_context(self) -> ssl.SSLContext:
        """The server certificate the user gave, or the one generated for the run (with its
        RSA twin, so all four suites of A00.FR.317 are offered); with profile 3 client
        certificates are verified against --ocpp-tls-ca-file or the generated CA. A
        certificate from an unknown CA replaces it while :attr:`serve_untrusted` is set
        (TC_086_CS checks the station refuses it, A00.FR.309/310)."""
        tls = self.config.tls
        assert tls.server_cert_file is not None
        pairs = [(tls.server_cert_file, tls.server_key_file), *tls.extra_server_certificates]
        client_ca = (tls.ca_file or tls.ca_out) if self.config.security_profile == 3 else None
        try:
            context = security.server_context(pairs, client_ca)
        except (OSError, ssl.SSLError) as exc:
            raise ConnectFailed(
                "cannot load the fake CSMS's TLS files (--ocpp-tls-server-cert-file, "
                f"--ocpp-tls-server-key-file, --ocpp-tls-ca-file): {exc}"
            ) from None

        def choose(obj: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
            self.hello_seen()
            if self.serve_instead is not None:
                obj.context = self.serve_instead
            elif self.serve_untrusted:
                hosts = security.server_hosts(self.host, self.config.public_host)
                obj.context = security.untrusted_server_context(hosts)

        context.sni_callback = choose  # type: ignore[assignment]
        if client_ca:
            for pem in self.client_cas:
                context.load_verify_locations(cadata=pem)
        self.tls_context = context
        return context

    def hello_seen(self) -> None:
        """A TLS Client Hello arrived (called from the handshake, on the event loop)."""
        self.hellos += 1
        self.hello_arrived.set()

    def trust_client_ca(self, pem: str) -> None:
        """Accept client certificates chaining to ``pem`` from the next handshake on (the CA
        the fake CSMS signs the station's certificate with, 1.6 Whitepaper A02)."""
        if pem in self.client_cas:
            return
        self.client_cas.append(pem)
        if self.tls_context is not None and self.tls_context.verify_mode != ssl.CERT_NONE:
            self.tls_context.load_verify_locations(cadata=pem)

    async def start(self) -> None:
        if self.primary is not None:
            return  # served by the primary's server, which must start first
        subprotocols = [self.version.subprotocol]
        subprotocols += [p for p in self.siblings if p not in subprotocols]
        if self.config.basic_auth_password:
            security.protect_secrets(self.config.basic_auth_password)
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            subprotocols,
            tls_context=self._tls_context() if self.serves_tls else None,
            process_request=self._process_request,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def relisten(
        self, tls_context: ssl.SSLContext | None = None, *, keep_connection: bool = False
    ) -> None:
        """Serve the main port again with ``tls_context`` (None: the configured one): a TLS
        version the station must refuse (2.0.1 TC_A_06_CS), then back. The station's
        connection is closed unless ``keep_connection`` (the next one meets the new server)."""
        if self._server is None:
            return
        self._server.close(close_connections=not keep_connection)
        if not keep_connection:
            await self._server.wait_closed()
        if tls_context is None and self.serves_tls:
            tls_context = self._tls_context()
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            [self.version.subprotocol, *self.siblings],
            tls_context=tls_context,
            process_request=self._process_request,
        )

    async def open_listener(
        self, profile: int, tls_context: ssl.SSLContext | None, port: int = 0
    ) -> str:
        """A second websocket server on a free port of the same host for security
        ``profile`` (2.0.1 Part 6: "the OCTT will start another webSocket server for the
        second connectionData slot"), on ``port`` (0: a free one); returns its URL (the
        station appends its id)."""
        server = await serve(
            self._handle,
            self.host,
            port,
            [self.version.subprotocol],
            tls_context=tls_context,
            process_request=self._process_request,
        )
        port = server.sockets[0].getsockname()[1]
        self._listeners[port] = server
        self.listener_profile[port] = profile
        scheme = "wss" if tls_context is not None else "ws"
        return f"{scheme}://{self.config.public_host or self.host}:{port}{self.path_prefix}"

    async def close_listener(self, url: str) -> None:
        """Stop the extra listener of ``url`` (its connections close)."""
        port = int(url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[-1])
        server = self._listeners.pop(port, None)
        self.listener_profile.pop(port, None)
        if server is not None:
            server.close()
            await server.wait_closed()

    def profile_of(self, connection: Any) -> int | None:
        """The security profile the listener of ``connection`` serves."""
        with contextlib.suppress(Exception):
            port = connection.transport.get_extra_info("sockname")[1]
            if port in self.listener_profile:
                return self.listener_profile[port]
        return self.config.security_profile

    async def stop(self) -> None:
        for server in self._listeners.values():
            server.close()
        self._listeners.clear()
        if self.connection is not None:
            await self.connection.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @property
    def url(self) -> str:
        """What the station under test is configured with (its id is appended)."""
        if self.primary is not None:
            return self.primary.url
        scheme = "wss" if self.serves_tls else "ws"
        return f"{scheme}://{self.host}:{self.port}{self.path_prefix}"

    @property
    def trace(self) -> Trace:
        return self._ctx.trace if self._ctx is not None else self.session_trace

    def attach(self, ctx: CaseContext) -> None:
        """Make ``ctx`` the running case: its trace records the frames, its verdict gets the
        violations. Behaviour goes back to the defaults."""
        self._ctx = ctx
        self.behaviour = CsmsBehaviour()
        self.case_connections = [self.connection] if self.connection is not None else []
        self.case_start = len(self.connection.link.inbox) if self.connection is not None else 0
        self.reviewing = False
        if self.connection is not None:
            self.connection.link.trace = ctx.trace
            ctx.register(self.connection.link, owned=False)

    def detach(self) -> None:
        self._ctx = None
        if self.connection is not None:
            self.connection.link.trace = self.session_trace

    # -- waiting for the station -----------------------------------------------------------
    async def station(self, timeout: float | None = None) -> StationConnection:
        """The station's current connection, waiting for one if it is not connected. A
        station connected with another version's subprotocol makes this version's case not
        applicable: it is judged by the version negotiated."""
        if self.connection is not None and not self.connection.closed:
            return self.connection
        other = self.other_version_connected()
        if other is not None:
            raise self._other_version(other)
        return await self.next_connection(timeout, or_other_version=True)

    async def next_connection(
        self,
        timeout: float | None = None,
        *,
        after: int | None = None,
        reboot: bool = False,
        or_other_version: bool = False,
    ) -> StationConnection:
        """Wait for a connection newer than generation ``after`` (default: the current one),
        e.g. the reconnect after a reset or a power cycle: with ``reboot``, within
        --ocpp-reboot-timeout (OCPP sets no limit on a reboot; real chargers take minutes),
        else within ``timeout`` or --ocpp-connect-timeout. With ``or_other_version``, a
        connection of the station in another version's subprotocol ends the wait too (the
        caller then finds :attr:`connection` unchanged)."""
        if reboot and timeout is None:
            wait, setting = self.config.timeouts.reboot, "--ocpp-reboot-timeout"
        elif timeout is None:
            wait, setting = self.config.timeouts.connect, "--ocpp-connect-timeout"
        else:
            wait, setting = timeout, ""
        generation = self._generation if after is None else after
        try:
            async with self._connected:
                await asyncio.wait_for(
                    self._connected.wait_for(
                        lambda: (
                            self._generation > generation
                            or (or_other_version and self.other_version_connected() is not None)
                        )
                    ),
                    wait,
                )
        except asyncio.TimeoutError:
            why = "; ".join(dict.fromkeys(self.rejections)) or "no connection attempt arrived"
            raise ConnectFailed(
                f"the charging station did not connect to {self.url}/{self.expected_station_id} "
                f"within {wait:g} s" + (f" ({setting})" if setting else "") + f" ({why})"
            ) from None
        if self._generation <= generation:
            raise self._other_version(self.other_version_connected() or "another version")
        assert self.connection is not None
        return self.connection

    def _other_version(self, subprotocol: str) -> Exception:
        return not_applicable(
            f"the station connected with subprotocol {subprotocol}; this case is for "
            f"{self.version.subprotocol} (the version is the one negotiated)"
        )

    @property
    def generation(self) -> int:
        """Counts accepted connections; pass to :meth:`next_connection` as ``after``."""
        return self._generation

    async def drop_connection(self) -> None:
        """Simulate a lost network from the CSMS's side: close the websocket."""
        if self.connection is not None:
            await self.connection.close()

    # -- websocket handling ----------------------------------------------------------------
    def change_password(self, new: str) -> None:
        """Expect ``new`` from the station's next handshakes (it accepted a new
        AuthorizationKey / BasicAuthPassword); the old one is then refused with a sentence that
        says it is the former one. The new value is masked in every trace and report."""
        security.protect_secrets(new)
        if self.password is not None and self.password != new:
            self.former_passwords.append(self.password)
        self.password = new

    def _reject(self, text: str) -> None:
        self.rejections.append(text)
        self.trace.event("csms", text)

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        station_id = request.path.rstrip("/").rsplit("/", 1)[-1]
        if self.behaviour.refuse_connections:
            self.trace.event("csms", f"refusing connection from {station_id} (simulated outage)")
            self.refusal_seen.set()
            return connection.respond(503, "simulated outage\n")
        profile = self.profile_of(connection)
        if profile in (2, 3) and security.tls_info(connection) is None:
            self._reject(
                f"station {station_id} connected over plain ws:// to a listener of security "
                f"profile {profile}; after an upgrade the Central System SHALL NOT allow a "
                "lower profile (1.6 Security Whitepaper A05.FR.09); answered HTTP 403"
            )
            return connection.respond(403, "TLS required\n")
        if profile == 3:
            info = security.tls_info(connection)
            if info is None or not info.peer_certificate:
                self._reject(
                    f"station {station_id} presented no TLS client certificate; security "
                    "profile 3 requires one (1.6 Security Whitepaper A00.FR.401/402, "
                    "A00.FR.407); answered HTTP 403"
                )
                return connection.respond(403, "client certificate required\n")
        password = self.password
        if password is not None and profile != 3:
            problem = self._auth_problem(station_id, request.headers.get("Authorization"))
            if problem:
                self._reject(
                    f"station {station_id} {problem} (security profile {profile or 1}: HTTP "
                    "Basic auth, user = station id, password = AuthorizationKey, 1.6 Security "
                    "Whitepaper A00.FR.202-205); answered HTTP 401"
                )
                return connection.respond(401, "credentials required\n")
        return None

    def _auth_problem(self, station_id: str, header: str | None) -> str:
        """What is wrong with the upgrade's Authorization header, in words ('' if nothing);
        the password itself never appears."""
        if not header:
            return "sent no Authorization header"
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "basic":
            return f"sent {scheme!r} authorization, not Basic"
        try:
            user, sep, given = (
                base64.b64decode(token.strip(), validate=True).decode().partition(":")
            )
        except (ValueError, UnicodeDecodeError):
            return "sent a Basic Authorization header that is not base64 of user:password"
        if not sep:
            return "sent Basic credentials without a ':' between user and password"
        if user != station_id:
            return f"sent Basic credentials with user {user!r}, not its station id"
        if given != self.password:
            if given in self.former_passwords:
                return "sent its former basic-auth password, not the one the CSMS set since"
            return "sent a wrong basic-auth password (not --ocpp-basic-auth-password)"
        return ""

    async def _handle(self, ws: ServerConnection) -> None:
        path = ws.request.path if ws.request is not None else ""
        station_id = path.rstrip("/").rsplit("/", 1)[-1]
        if station_id != self.expected_station_id:
            self._reject(
                f"a station connected as {station_id!r} (path {path!r}) but the expected station "
                f"id is {self.expected_station_id!r} (--ocpp-station-id)"
            )
            await ws.close(1008, "unexpected station id")
            return
        sibling = self.siblings.get(ws.subprotocol or "")
        if ws.subprotocol != self.version.subprotocol and sibling is not None:
            await sibling._handle(ws)
            return
        if ws.subprotocol != self.version.subprotocol:
            offered = ws.request.headers.get("Sec-WebSocket-Protocol") if ws.request else None
            self._reject(
                f"station {station_id} did not offer subprotocol {self.version.subprotocol} "
                f"(offered: {offered or 'none'}); OCPP-J requires it"
            )
            await ws.close(1002, "subprotocol required")
            return
        link = Link(
            ws,
            version=self.version,
            name=station_id,
            trace=self.trace,
            timeouts=self.config.timeouts,
            peer="Charging Station",
            handlers=self.default_handlers(),
        )
        previous = self.connection
        self.rejections.clear()  # they explained a missing connection; there is one now
        self.connection = StationConnection(link, station_id, self)
        if self._ctx is not None:
            self._ctx.register(link, owned=False)
            self.case_connections.append(self.connection)
        self.trace.event(station_id, f"station connected, subprotocol {ws.subprotocol}")
        link.start()
        async with self._connected:
            self._generation += 1
            self._connected.notify_all()
        if previous is not None and not previous.closed:
            await previous.close()
        await link.closed.wait()

    def default_handlers(self) -> dict[str, Handler]:
        """Answers to everything the station may send; each version module fills them in."""
        return {}
