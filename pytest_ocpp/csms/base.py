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
import itertools
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import Server, ServerConnection
from websockets.http11 import Request, Response

from pytest_ocpp.case import CaseContext
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.link import Handler, IncomingCall, Link, Predicate, serve
from pytest_ocpp.trace import Trace
from pytest_ocpp.verdicts import ConnectFailed, check
from pytest_ocpp.versions import OcppVersion


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
        return await self.link.call(action, payload, allow_error=allow_error, timeout=timeout)

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
        skip: Collection[str] = (),
        timeout: float | None = None,
    ) -> IncomingCall:
        """The next StatusNotification.req of ``connector_id`` from inbox position ``since``
        on, ignoring the intermediate statuses in ``skip``; it must say ``allowed`` (one
        status, or any of a collection). A different status fails with what the station said
        instead. The step every station-side case uses to follow a connector's state."""
        wanted = allowed if isinstance(allowed, str) else " or ".join(allowed)
        statuses = (allowed,) if isinstance(allowed, str) else tuple(allowed)
        shown = wanted if isinstance(allowed, str) else f"({wanted})"
        item = await self.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == connector_id and p["status"] not in skip,
            since=since,
            timeout=timeout,
            describe=f"StatusNotification.req connectorId {connector_id} {shown}",
        )
        check(
            item.payload["status"] in statuses,
            f"StatusNotification.req connectorId {connector_id} status {wanted}",
            item.payload,
        )
        return item

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
        self.transactions: dict[int, int] = {}
        """transactionId → connector of every transaction started and not yet stopped."""

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            [self.version.subprotocol],
            process_request=self._process_request,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.connection is not None:
            await self.connection.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @property
    def url(self) -> str:
        """What the station under test is configured with (its id is appended)."""
        return f"ws://{self.host}:{self.port}{self.path_prefix}"

    @property
    def trace(self) -> Trace:
        return self._ctx.trace if self._ctx is not None else self.session_trace

    def attach(self, ctx: CaseContext) -> None:
        """Make ``ctx`` the running case: its trace records the frames, its verdict gets the
        violations. Behaviour goes back to the defaults."""
        self._ctx = ctx
        self.behaviour = CsmsBehaviour()
        if self.connection is not None:
            self.connection.link.trace = ctx.trace
            ctx.register(self.connection.link, owned=False)

    def detach(self) -> None:
        self._ctx = None
        if self.connection is not None:
            self.connection.link.trace = self.session_trace

    # -- waiting for the station -----------------------------------------------------------
    async def station(self, timeout: float | None = None) -> StationConnection:
        """The station's current connection, waiting for one if it is not connected."""
        if self.connection is not None and not self.connection.closed:
            return self.connection
        return await self.next_connection(timeout)

    async def next_connection(
        self, timeout: float | None = None, *, after: int | None = None
    ) -> StationConnection:
        """Wait for a connection newer than generation ``after`` (default: the current one),
        e.g. the reconnect after a reset or a power cycle."""
        wait = self.config.timeouts.connect if timeout is None else timeout
        generation = self._generation if after is None else after
        try:
            async with self._connected:
                await asyncio.wait_for(
                    self._connected.wait_for(lambda: self._generation > generation), wait
                )
        except asyncio.TimeoutError:
            why = "; ".join(self.rejections) or "no connection attempt arrived"
            raise ConnectFailed(
                f"the charging station did not connect to {self.url}/{self.expected_station_id} "
                f"within {wait:g} s ({why})"
            ) from None
        assert self.connection is not None
        return self.connection

    @property
    def generation(self) -> int:
        """Counts accepted connections; pass to :meth:`next_connection` as ``after``."""
        return self._generation

    async def drop_connection(self) -> None:
        """Simulate a lost network from the CSMS's side: close the websocket."""
        if self.connection is not None:
            await self.connection.close()

    # -- websocket handling ----------------------------------------------------------------
    def _reject(self, text: str) -> None:
        self.rejections.append(text)
        self.trace.event("csms", text)

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        station_id = request.path.rstrip("/").rsplit("/", 1)[-1]
        if self.behaviour.refuse_connections:
            self.trace.event("csms", f"refusing connection from {station_id} (simulated outage)")
            return connection.respond(503, "simulated outage\n")
        password = self.config.basic_auth_password
        if password is not None:
            expected = "Basic " + base64.b64encode(f"{station_id}:{password}".encode()).decode()
            if request.headers.get("Authorization") != expected:
                self._reject(
                    f"station {station_id} connected without the configured basic-auth "
                    "credentials (security profile 1: user = station id); answered HTTP 401"
                )
                return connection.respond(401, "credentials required\n")
        return None

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
