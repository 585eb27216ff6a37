"""The fake charging station (client role): what every OCPP version shares.

A station is a plain object on the event loop: one websocket, one :class:`~pytest_ocpp.link.Link`,
no thread and no global state, so a load test can hold ten thousand of them. The version
modules (:mod:`.v16`, :mod:`.v201`) add each version's messages and its OCTT reusable states.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pytest_ocpp.case import CaseContext
from pytest_ocpp.config import IdTags, StationSpec, TlsSettings
from pytest_ocpp.link import Handler, IncomingCall, Link, Predicate
from pytest_ocpp.transport import connect
from pytest_ocpp.verdicts import ConnectFailed
from pytest_ocpp.versions import OcppVersion


def now(version: OcppVersion) -> str:
    """The current UTC time in the form the version allows: 2.x at most 3 fractional digits
    (2.0.1 Part 2 "dateTime"); Python's isoformat() writes 6, which real CSMSs reject."""
    stamp = datetime.now(timezone.utc)
    if version.max_datetime_fraction_digits is not None:
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeStation:
    """A charging station as the CSMS under test sees it."""

    peer = "CSMS"

    def __init__(
        self,
        ctx: CaseContext,
        *,
        url: str,
        station_id: str,
        version: OcppVersion,
        spec: StationSpec,
        tags: IdTags,
        password: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.url = url
        self.station_id = station_id
        self.version = version
        self.spec = spec
        self.tags = tags
        self.password = password
        self.tls: TlsSettings | None = None
        """TLS settings of this station's next connections when not the configured ones: a
        client certificate the CSMS signed (2.0.1 TC_A_11/A_19_CSMS)."""
        self.link: Link | None = None
        self.handlers: dict[str, Handler] = self.default_handlers()
        self.heartbeat_interval: int | None = None

    # -- connection ------------------------------------------------------------------------
    async def connect(
        self, subprotocols: list[str] | None = None, *, require_subprotocol: bool = True
    ) -> None:
        """Open the websocket, offering this version's subprotocol unless told otherwise.
        With ``require_subprotocol`` false an upgrade that selects none is kept for the caller
        to judge (see :func:`pytest_ocpp.transport.connect`)."""
        cfg = self.ctx.config
        ws = await connect(
            self.url,
            self.station_id,
            subprotocols or [self.version.subprotocol],
            timeouts=cfg.timeouts,
            tls=self.tls or cfg.tls,
            password=self.password,
            trace=self.ctx.trace,
            require_subprotocol=require_subprotocol,
        )
        link = Link(
            ws,
            version=self.version,
            name=self.station_id,
            trace=self.ctx.trace,
            timeouts=cfg.timeouts,
            peer=self.peer,
            handlers=self.handlers,
        )
        self.ctx.register(link)
        link.start()
        self.link = link

    async def disconnect(self) -> None:
        """Go offline (an outage from the station's side)."""
        if self.link is not None:
            await self.link.close()

    async def reconnect(self) -> None:
        await self.disconnect()
        await self.connect()

    @property
    def connected(self) -> bool:
        return self.link is not None and not self.link.closed.is_set()

    def _link(self) -> Link:
        if self.link is None:
            raise ConnectFailed(f"station {self.station_id} is not connected")
        return self.link

    # -- messaging -------------------------------------------------------------------------
    async def call(
        self, action: str, payload: dict[str, Any], *, allow_error: bool = False
    ) -> dict[str, Any]:
        return await self._link().call(action, payload, allow_error=allow_error)

    async def expect_call(
        self, action: str, predicate: Predicate | None = None, *, timeout: float | None = None
    ) -> IncomingCall:
        return await self._link().expect_call(action, predicate, timeout=timeout)

    async def expect_silence(
        self, action: str | None, duration: float, why: str = "", since: int | None = None
    ) -> None:
        await self._link().expect_silence(action, duration, why, since)

    def default_handlers(self) -> dict[str, Handler]:
        """Answers to legal requests a scenario did not ask for: none by default, so an
        unclaimed request waits for a later ``expect_call`` instead of a made-up answer."""
        return {}

    def now(self) -> str:
        return now(self.version)
