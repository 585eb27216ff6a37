"""The single ordered outbox of the reference 2.0.1 station and its one writer.

Every request the station sends (except BootNotification) waits here in order. Transaction
messages stay queued while offline, are flagged offline (E04.FR.03, E11.FR.07) and retried when
the CSMS fails to process them (E13); other messages are dropped while offline (E04.FR.01 queues
only transaction-related ones). Before an Accepted boot only answers to TriggerMessage,
GetBaseReport and GetReport may leave, and only while Pending (B01.FR.08, B02.FR.02).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ocpp.exceptions import OCPPError

from pytest_ocpp.reference.station201.model import Outgoing
from pytest_ocpp.reference.station201.operator import hand_off

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["CallFailed", "Offline", "OutboxMixin"]

LOGGER = logging.getLogger("pytest_ocpp.reference.station201")


class Offline(Exception):
    """The websocket went away while a request was outstanding."""


class CallFailed(Exception):
    """The CSMS answered with a CALLERROR, or not within MessageTimeout."""


def _consume(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


class OutboxMixin:
    """Queueing and sending; mixed into the station."""

    outbox: deque[Outgoing]

    async def _call(self: ReferenceStation201, payload: Any) -> Any:
        """Send one request on the current connection; Offline if it drops first."""
        client, lost = self._client, self._lost
        if client is None or lost is None or lost.is_set():
            raise Offline()
        request = asyncio.ensure_future(client.call(payload, suppress=False))
        waiter = asyncio.ensure_future(lost.wait())
        try:
            await asyncio.wait({request, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            if not request.done():
                request.cancel()
                request.add_done_callback(_consume)  # it may still end with ConnectionClosed
            elif not request.cancelled():
                request.exception()  # read even when this task is cancelled (a stop mid-call)
        if not request.done() or request.cancelled():
            raise Offline()
        error = request.exception()
        if isinstance(error, (OCPPError, asyncio.TimeoutError)):
            raise CallFailed(str(error))
        if error is not None:
            LOGGER.error("%s: %s failed: %r", self.station_id, type(payload).__name__, error)
            raise CallFailed(repr(error))
        return request.result()

    def enqueue(
        self: ReferenceStation201,
        build: Callable[[Outgoing], Any | None],
        *,
        kind: str = "volatile",
        pre_boot: bool = False,
        transaction_id: str | None = None,
        offline: bool = False,
        connector: tuple[int, int] | None = None,
        on_result: Callable[[Any], None] | None = None,
        want_future: bool = False,
        into: list[Outgoing] | None = None,
    ) -> asyncio.Future[Any] | None:
        """Queue a request in order. Volatile ones are dropped while offline (only
        transaction-related messages are queued, E04.FR.01). A request made in answer to a
        TriggerMessage right behind the Accepted BootNotificationResponse counts as online:
        the boot coroutine may not have run yet, but the station is registered (F06.FR.17)."""
        if kind == "volatile" and not (
            self.online.is_set() or (self.connected.is_set() and (pre_boot or self.registered))
        ):
            return None
        future = asyncio.get_running_loop().create_future() if want_future else None
        item = Outgoing(
            build=build,
            kind=kind,
            pre_boot=pre_boot,
            offline=offline,
            transaction_id=transaction_id,
            connector=connector,
            future=future,
            on_result=on_result,
        )
        if into is not None:
            into.append(item)
        else:
            self.outbox.append(item)
        self._outbox_changed.set()
        return future

    def enqueue_action(self: ReferenceStation201, action: Callable[[], None]) -> None:
        """Run ``action`` once everything queued before it has been answered (TC_E_16)."""
        self.outbox.append(Outgoing(build=lambda _i: None, kind="keep", action=action))
        self._outbox_changed.set()

    async def request(self: ReferenceStation201, payload: Any) -> Any | None:
        """Send a request and wait for its answer; None if offline or failed."""
        future = self.enqueue(lambda _i: payload, want_future=True)
        if future is None:
            return None
        hand_off()
        try:
            return await asyncio.wait_for(future, self.response_timeout + 5)
        except (Offline, CallFailed, asyncio.TimeoutError):
            return None

    def _next_item(self: ReferenceStation201) -> Outgoing | None:
        if self.registered:
            return self.outbox[0] if self.outbox else None
        if self.boot_status == "Pending":
            return next((i for i in self.outbox if i.pre_boot), None)
        return None

    async def _sender(self: ReferenceStation201) -> None:
        """The single writer: requests leave in the order queued; a transaction message that
        fails is sent again after MessageAttemptInterval × attempts, MessageAttempts times in
        all, then dropped (E13.FR.02-04)."""
        while True:
            self._outbox_progress.set()
            item = self._next_item()
            if item is None:
                self._outbox_changed.clear()
                await self._outbox_changed.wait()
                continue
            if item.action is not None:
                self.outbox.remove(item)
                item.action()
                continue
            payload = item.build(item)
            if payload is None:
                self.outbox.remove(item)
                continue
            try:
                result = await self._call(payload)
            except CallFailed as error:
                LOGGER.warning("%s: %s failed: %s", self.station_id, type(payload).__name__, error)
                if item.kind == "tx":
                    item.attempts += 1
                    attempts = self.model.get_int(
                        "OCPPCommCtrlr.MessageAttempts[TransactionEvent]", 3
                    )
                    if item.attempts < attempts or self.has("e2_retry_forever"):
                        backoff = 0 if self.has("e2_retry_no_backoff") else item.attempts
                        await asyncio.sleep(
                            self.model.get_int(
                                "OCPPCommCtrlr.MessageAttemptInterval[TransactionEvent]", 10
                            )
                            * backoff
                        )
                        continue
                with contextlib.suppress(ValueError):
                    self.outbox.remove(item)
                if item.future is not None and not item.future.done():
                    item.future.set_exception(error)
                continue
            with contextlib.suppress(ValueError):
                self.outbox.remove(item)
            if item.on_result is not None:
                try:
                    item.on_result(result)
                except Exception:
                    LOGGER.exception("%s: handling %r failed", self.station_id, result)
            if item.future is not None and not item.future.done():
                item.future.set_result(result)

    async def drain(self: ReferenceStation201, timeout: float) -> None:
        """Wait (bounded) until the queue is empty or the connection is gone."""

        async def drained() -> None:
            while self.outbox and self.online.is_set():
                self._outbox_progress.clear()
                await self._outbox_progress.wait()

        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(drained(), timeout)

    def _went_offline(self: ReferenceStation201) -> None:
        """Transaction messages stay queued and are now offline (E11.FR.07); other messages
        are dropped, and a status that did not get through is reported again later."""
        kept: deque[Outgoing] = deque()
        for item in self.outbox:
            if item.kind == "tx":
                item.offline = True
            if item.kind in ("tx", "keep") or item.action is not None:
                kept.append(item)
                continue
            if item.connector is not None:
                evse_id, connector_id = item.connector
                self.evses[evse_id].connectors[connector_id].reported = None
            if item.future is not None and not item.future.done():
                item.future.set_exception(Offline())
        self.outbox = kept
        self._offline_since = time.monotonic()
