"""One OCPP-J websocket: send, receive, correlate, validate, record.

Both roles sit on this class: the fake charging station (client) and the fake CSMS (server).
Unlike ``ocpp.ChargePoint`` it forgives nothing: every received frame is parsed strictly and
schema-checked (``date-time`` included), replies are matched to pending Calls by unique id,
error codes are checked against the version's table, and every frame in both directions goes
to the :class:`~pytest_ocpp.trace.Trace`. Violations become *findings*: they fail whatever the
scenario is waiting for at that moment, or the test case at its end.

This module is also the one place that opens connections (:func:`connect`, :func:`serve`), so
TLS, authentication and connect timeouts are decided here and nowhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.asyncio.server import Server, ServerConnection
from websockets.asyncio.server import serve as ws_serve
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidHeader,
    InvalidMessage,
    InvalidStatus,
    InvalidURI,
    NegotiationError,
)

from pytest_ocpp import judging, rpc, security
from pytest_ocpp.config import Timeouts, TlsSettings
from pytest_ocpp.schemas import schema_set
from pytest_ocpp.trace import Trace
from pytest_ocpp.verdicts import (
    CallErrorReceived,
    ConnectFailed,
    ConnectionLost,
    ProtocolViolation,
    TargetFailure,
    TargetTimeout,
    UnexpectedSubprotocol,
)
from pytest_ocpp.versions import OcppVersion

Connection = ClientConnection | ServerConnection
Predicate = Callable[[dict[str, Any]], bool]
Handler = Callable[["IncomingCall"], "dict[str, Any] | Awaitable[dict[str, Any] | None] | None"]

# Payloads larger than websockets' 1 MiB default are legal OCPP (a full GetConfiguration, a
# big local list); 16 MiB still bounds a misbehaving peer.
MAX_FRAME_BYTES = 16 * 1024 * 1024


@dataclass(eq=False)
class IncomingCall:
    """A request the target sent us, with the means to answer it exactly once."""

    link: Link
    call: rpc.Call
    received_at: float
    problems: list[str] = field(default_factory=list)
    reply_payload: dict[str, Any] | None = None
    reply_error_code: str | None = None
    consumed: bool = False

    @property
    def action(self) -> str:
        return self.call.action

    @property
    def payload(self) -> dict[str, Any]:
        return self.call.payload

    @property
    def unique_id(self) -> str:
        return self.call.unique_id

    @property
    def replied(self) -> bool:
        return self.reply_payload is not None or self.reply_error_code is not None

    async def reply(self, payload: dict[str, Any]) -> None:
        """Answer with a CallResult. The payload is checked against our own schema first:
        a scenario that would send an invalid frame is a bug in pytest-ocpp, not in the target."""
        if self.replied:
            raise RuntimeError(f"{self.action} {self.unique_id} was already answered")
        errors = self.link.schemas.errors(self.action, payload, response=True)
        if errors:
            raise RuntimeError(f"pytest-ocpp built an invalid {self.action} response: {errors}")
        self.reply_payload = payload
        await self.link.send_frame(rpc.CallResult(self.unique_id, payload))

    async def reply_error(
        self, code: str, description: str = "", details: dict[str, Any] | None = None
    ) -> None:
        if self.replied:
            raise RuntimeError(f"{self.action} {self.unique_id} was already answered")
        self.reply_error_code = code
        await self.link.send_frame(rpc.CallError(self.unique_id, code, description, details or {}))


@dataclass(eq=False)
class _Pending:
    call: rpc.Call
    future: asyncio.Future[rpc.CallResult | rpc.CallError]
    timed_out: bool = False
    allow_error: bool = False
    """The scenario accepts a CallError here (it judges the code itself)."""


@dataclass(eq=False)
class _Claim:
    actions: frozenset[str]
    predicate: Predicate | None
    future: asyncio.Future[IncomingCall]
    description: str

    def matches(self, call: rpc.Call) -> bool:
        if call.action not in self.actions:
            return False
        return self.predicate is None or bool(self.predicate(call.payload))


class Link:
    """One OCPP-J connection between pytest-ocpp and the target.

    ``handlers`` answer the target's requests that no scenario step has claimed: the legal
    extra traffic (a Heartbeat, a GetConfiguration after boot) a real target sends."""

    def __init__(
        self,
        ws: Connection,
        *,
        version: OcppVersion,
        name: str,
        trace: Trace,
        timeouts: Timeouts,
        peer: str,
        handlers: dict[str, Handler] | None = None,
    ) -> None:
        self.ws = ws
        self.version = version
        self.name = name
        self.trace = trace
        self.timeouts = timeouts
        self.peer = peer
        self.schemas = schema_set(version)
        self.handlers: dict[str, Handler] = dict(handlers or {})
        self.inbox: list[IncomingCall] = []
        self.closed = asyncio.Event()
        self.close_description = ""
        self.heard = False
        """Whether the peer has sent any frame on this connection yet."""
        self._pending: dict[str, _Pending] = {}
        self._claims: list[_Claim] = []
        self._inbox_changed = asyncio.Condition()
        self._findings: list[tuple[str, bool]] = []
        self._internal_errors: list[BaseException] = []
        self._peer_calls: dict[str, rpc.Call] = {}
        self._closing_by_us = False
        self._reader: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._raw_waiters: dict[str, asyncio.Future[str]] = {}
        self._raw_expired: set[str] = set()
        self.late_raw: list[str] = []
        """Replies to :meth:`exchange_raw` frames that arrived after their wait ended."""

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._reader = asyncio.get_running_loop().create_task(self._read_loop())

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close from our side (end of a scenario, or a simulated outage)."""
        if self.closed.is_set():
            return
        self._closing_by_us = True
        self.trace.event(self.name, f"pytest-ocpp closes the connection (code {code})")
        try:
            await asyncio.wait_for(self.ws.close(code, reason), self.timeouts.response)
        except (asyncio.TimeoutError, ConnectionClosed, OSError):
            pass
        if self._reader is not None:
            try:
                await asyncio.wait_for(self._reader, self.timeouts.response)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                self._reader.cancel()
        self.closed.set()
        for task in list(self._tasks):
            task.cancel()

    async def wait_closed(self, timeout: float | None = None, why: str = "") -> None:
        """Wait for the target to close the connection (a reset, a reboot)."""
        wait = self.timeouts.message if timeout is None else timeout
        try:
            await asyncio.wait_for(self.closed.wait(), wait)
        except asyncio.TimeoutError:
            raise TargetTimeout(
                f"the {self.peer} did not close the connection within {wait:g} s {why}".strip()
            ) from None

    # -- sending ---------------------------------------------------------------------------
    async def send_frame(self, frame: rpc.Frame) -> None:
        await self.send_raw(frame.to_json())

    async def send_raw(self, text: str) -> None:
        """Send any text, well-formed or not (negative tests and fuzzing use this directly)."""
        if self.closed.is_set():
            raise ConnectionLost(
                f"cannot send to the {self.peer}: the connection is closed "
                f"({self.close_description or 'closed'})"
            )
        self.trace.sent(self.name, text)
        try:
            await self.ws.send(text)
        except ConnectionClosed as exc:
            why = _why(exc) + ("" if self.heard else f"; {NOTHING_HEARD}")
            raise ConnectionLost(
                f"the {self.peer} closed the connection while we were sending ({why})"
            ) from None

    async def call(
        self,
        action: str,
        payload: dict[str, Any],
        *,
        timeout: float | None = None,
        allow_error: bool = False,
    ) -> dict[str, Any]:
        """Send a Call and return the CallResult payload, validated against the schema.

        A CallError fails the step (:class:`CallErrorReceived`) unless ``allow_error``, in which
        case it is returned as ``{"errorCode": ..., "errorDescription": ..., "errorDetails": ...}``.
        """
        self.raise_findings()
        errors = self.schemas.errors(action, payload, response=False)
        if errors:
            raise RuntimeError(f"pytest-ocpp built an invalid {action} request: {errors}")
        call = rpc.Call(rpc.new_unique_id(), action, payload)
        future: asyncio.Future[rpc.CallResult | rpc.CallError] = (
            asyncio.get_running_loop().create_future()
        )
        pending = _Pending(call, future, allow_error=allow_error)
        self._pending[call.unique_id] = pending
        await self.send_frame(call)
        wait = self.timeouts.response if timeout is None else timeout
        what = f"the answer to {action} (message id {call.unique_id})"
        try:
            reply = await self._await(future, wait, what)
        except TargetTimeout:
            pending.timed_out = True
            raise TargetTimeout(
                f"the {self.peer} did not answer {action} within {wait:g} s "
                f"(message id {call.unique_id}; --ocpp-response-timeout)"
            ) from None
        if isinstance(reply, rpc.CallError):
            detail = {
                "errorCode": reply.error_code,
                "errorDescription": reply.description,
                "errorDetails": reply.details,
            }
            if allow_error:
                return detail
            raise CallErrorReceived(
                f"the {self.peer} refused a valid {action} request with CallError "
                f"{reply.error_code} ({reply.description or 'no description'}) where a {action} "
                "result was expected",
                reply.error_code,
            )
        return reply.payload

    async def exchange_raw(self, text: str, reply_ids: Iterable[str], timeout: float) -> str | None:
        """Send any text (a fuzzed or broken frame) and return, unjudged, the raw CallResult or
        CallError whose message id is one of ``reply_ids``; None if none arrives in ``timeout``.

        The fuzzer judges such replies itself and needs them verbatim for its reproducer; the
        strict path (:meth:`call`) would refuse to send the frame in the first place."""
        future = self.watch_raw(reply_ids)
        try:
            await self.send_raw(text)
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except asyncio.TimeoutError:
            return None
        finally:
            self.unwatch_raw(reply_ids, future)

    def watch_raw(self, reply_ids: Iterable[str]) -> asyncio.Future[str]:
        """A future for the raw reply (CallResult or CallError) carrying one of ``reply_ids``;
        such a reply is taken out of the strict path (it is not "uncorrelated")."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        for unique_id in reply_ids:
            self._raw_waiters[unique_id] = future
        return future

    def unwatch_raw(self, reply_ids: Iterable[str], future: asyncio.Future[str]) -> None:
        """Stop waiting; a reply with one of these ids that comes later is kept in
        :attr:`late_raw` for the fuzzer to judge, rather than reported as uncorrelated."""
        for unique_id in reply_ids:
            if self._raw_waiters.get(unique_id) is future:
                del self._raw_waiters[unique_id]
            if not future.done():
                self._raw_expired.add(unique_id)
        if not future.done():
            future.cancel()

    def _take_raw(self, raw: str | bytes) -> bool:
        """Hand a reply to :meth:`exchange_raw` (or keep it as late); True if it was one."""
        if not (self._raw_waiters or self._raw_expired) or isinstance(raw, bytes):
            return False
        try:
            message = json.loads(raw)
        except ValueError:
            return False
        if not (isinstance(message, list) and len(message) > 1 and message[0] in (3, 4, 5)):
            return False
        unique_id = message[1]
        if not isinstance(unique_id, str):
            return False
        future = self._raw_waiters.get(unique_id)
        if future is not None:
            if not future.done():
                future.set_result(raw)
            return True
        if unique_id in self._raw_expired:
            self.trace.event(self.name, f"late reply to fuzzed frame {unique_id!r}")
            self.late_raw.append(raw)
            return True
        return False

    # -- receiving -------------------------------------------------------------------------
    def claim(
        self, actions: str | Iterable[str], predicate: Predicate | None = None
    ) -> asyncio.Future[IncomingCall]:
        """Reserve the next matching request for the scenario (it will not be auto-answered).

        Claim *before* triggering whatever makes the target send it, so a fast target cannot
        slip past the scenario into the default handlers."""
        names = frozenset([actions] if isinstance(actions, str) else actions)
        future: asyncio.Future[IncomingCall] = asyncio.get_running_loop().create_future()
        self._claims.append(_Claim(names, predicate, future, " or ".join(sorted(names))))
        return future

    def unclaim(self, future: asyncio.Future[IncomingCall]) -> None:
        self._claims = [c for c in self._claims if c.future is not future]
        if not future.done():
            future.cancel()

    async def wait_claimed(
        self, future: asyncio.Future[IncomingCall], what: str, timeout: float | None = None
    ) -> IncomingCall:
        wait = self.timeouts.message if timeout is None else timeout
        try:
            return await self._await(future, wait, what)
        except TargetTimeout:
            raise TargetTimeout(f"the {self.peer} did not send {what} within {wait:g} s") from None
        finally:
            self.unclaim(future)

    async def expect_call(
        self,
        actions: str | Iterable[str],
        predicate: Predicate | None = None,
        *,
        timeout: float | None = None,
    ) -> IncomingCall:
        """Wait for the target to send a request the scenario answers itself."""
        self.raise_findings()
        names = [actions] if isinstance(actions, str) else list(actions)
        for item in self.inbox:  # it may already be queued, unanswered
            if not item.consumed and not item.replied and item.action in names:
                if predicate is None or predicate(item.payload):
                    item.consumed = True
                    return item
        future = self.claim(names, predicate)
        return await self.wait_claimed(future, " or ".join(f"{n}.req" for n in names), timeout)

    async def wait_for(
        self,
        actions: str | Iterable[str],
        predicate: Predicate | None = None,
        *,
        timeout: float | None = None,
        since: int = 0,
        describe: str = "",
    ) -> IncomingCall:
        """Wait for a request that the handlers answer (or have answered): the first one not yet
        consumed, in arrival order, from inbox position ``since`` on."""
        names: frozenset[str] | set[str]
        if isinstance(actions, _Any):
            names = actions
        else:
            names = {actions} if isinstance(actions, str) else set(actions)
        wait = self.timeouts.message if timeout is None else timeout
        what = describe or (
            "any request"
            if isinstance(names, _Any)
            else " or ".join(f"{n}.req" for n in sorted(names))
        )

        def find() -> IncomingCall | None:
            for item in self.inbox[since:]:
                if item.consumed or item.action not in names or item.problems:
                    continue
                if predicate is None or predicate(item.payload):
                    item.consumed = True
                    return item
            return None

        deadline = time.monotonic() + wait
        async with self._inbox_changed:
            while True:
                self.raise_findings()
                found = find()
                if found is not None:
                    return found
                if self.closed.is_set():
                    raise ConnectionLost(
                        f"the {self.peer} closed the connection ({self.close_description}) "
                        f"before sending {what}"
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TargetTimeout(f"the {self.peer} did not send {what} within {wait:g} s")
                try:
                    await asyncio.wait_for(self._inbox_changed.wait(), remaining)
                except asyncio.TimeoutError:
                    continue

    async def expect_silence(
        self, actions: str | Iterable[str] | None, duration: float, why: str = ""
    ) -> None:
        """An explicit expectation that nothing (or no request of ``actions``) arrives for
        ``duration`` seconds; the only place a scenario legitimately waits out a time."""
        names = (
            None if actions is None else ({actions} if isinstance(actions, str) else set(actions))
        )
        start = len(self.inbox)
        try:
            await self.wait_for(names if names is not None else _ANY, timeout=duration, since=start)
        except TargetTimeout:
            return
        offending = [i for i in self.inbox[start:] if names is None or i.action in names]
        text = offending[0].action if offending else "a request"
        raise TargetFailure(f"the {self.peer} sent {text} although {why or 'nothing was expected'}")

    def mark(self) -> int:
        """Inbox position, for :meth:`wait_for` ``since=``: only what arrives from now on."""
        return len(self.inbox)

    def raise_findings(self) -> None:
        """Raise the first violation no step has reported yet (an error of ours first)."""
        if self._internal_errors:
            raise self._internal_errors.pop(0)
        unreported = [text for text, reported in self._findings if not reported]
        self._findings = [(text, True) for text, _ in self._findings]
        if unreported:
            raise ProtocolViolation("\n".join(unreported))

    @property
    def findings(self) -> list[str]:
        return [text for text, _ in self._findings]

    async def _await(self, future: asyncio.Future[Any], wait: float, what: str) -> Any:
        if self.closed.is_set() and not future.done():
            raise ConnectionLost(
                f"the {self.peer} closed the connection ({self.close_description}) "
                f"before sending {what}"
            )
        try:
            return await asyncio.wait_for(asyncio.shield(future), wait)
        except asyncio.TimeoutError:
            raise TargetTimeout(f"the {self.peer} did not send {what} within {wait:g} s") from None

    async def _read_loop(self) -> None:
        try:
            async for raw in self.ws:
                self.heard = True
                self.trace.received(self.name, raw)
                await self._dispatch(raw)
        except ConnectionClosed as exc:
            self.close_description = _why(exc)
        except Exception as exc:  # our bug: surface it as an error, not as a target failure
            self._internal_errors.append(exc)
        else:
            self.close_description = _why_ws(self.ws)
        finally:
            if not self.heard and not self._closing_by_us:
                self.close_description = (
                    self.close_description or _why_ws(self.ws)
                ) + f"; {NOTHING_HEARD}"
            self._on_closed()

    def _on_closed(self) -> None:
        if not self.close_description:
            self.close_description = _why_ws(self.ws)
        if not self._closing_by_us:
            self.trace.event(
                self.name, f"the {self.peer} closed the connection: {self.close_description}"
            )
        self.closed.set()
        lost = f"the {self.peer} closed the connection ({self.close_description})"
        for pending in self._pending.values():
            _fail(pending.future, ConnectionLost(f"{lost} before answering {pending.call.action}"))
        for claim in self._claims:
            _fail(claim.future, ConnectionLost(f"{lost} before sending {claim.description}"))
        for future in self._raw_waiters.values():
            _fail(future, ConnectionLost(f"{lost} before answering"))
        self._wake_inbox_waiters()

    def _wake_inbox_waiters(self) -> None:
        async def notify() -> None:
            async with self._inbox_changed:
                self._inbox_changed.notify_all()

        self._spawn(notify())

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _finding(self, text: str) -> None:
        """Record a violation and fail every step that is waiting right now."""
        self.trace.event(self.name, f"VIOLATION: {text}")
        delivered = False
        for future in [p.future for p in self._pending.values()] + [c.future for c in self._claims]:
            delivered = _fail(future, ProtocolViolation(text)) or delivered
        self._findings.append((text, delivered))
        self._wake_inbox_waiters()

    async def _dispatch(self, raw: str | bytes) -> None:
        if self._take_raw(raw):
            return
        try:
            frame = rpc.parse(raw, self.version)
        except rpc.FramingError as exc:
            shown = raw if isinstance(raw, str) else repr(raw[:80])
            self._finding(
                f"the {self.peer} sent a frame that breaks OCPP-J framing: {exc.reason}. "
                f"Frame: {shown[:300]}"
            )
            reply_id = exc.unique_id or ("-1" if self.version.name != "1.6" else None)
            if reply_id is not None and self._is_call_like(raw):
                await self._safe_send(rpc.CallError(reply_id, exc.error_code, exc.reason))
            return
        if isinstance(frame, rpc.Call):
            await self._on_call(frame)
        else:
            self._on_reply(frame)

    def _is_call_like(self, raw: str | bytes) -> bool:
        """Answer a broken frame only when it was a Call (2.0.1 Part 4 §4.2.3): never answer a
        reply, or two peers could echo errors at each other forever."""
        try:
            message = json.loads(raw)
        except (ValueError, TypeError):
            return self.version.name != "1.6"
        return not (isinstance(message, list) and message and message[0] in (3, 4, 5))

    async def _safe_send(self, frame: rpc.Frame) -> None:
        try:
            await self.send_frame(frame)
        except ConnectionLost:
            pass

    async def _on_call(self, call: rpc.Call) -> None:
        item = IncomingCall(self, call, time.time())
        reused = judging.reused_message_id(self._peer_calls.get(call.unique_id), call)
        if reused is not None:
            self._finding(f"the {self.peer} {reused}")
        self._peer_calls[call.unique_id] = call

        item.problems, refusal = judging.judge_call(self.schemas, call)
        if refusal is not None:
            await self._safe_send(refusal)
        self.inbox.append(item)
        if item.problems:
            item.consumed = True
            self._finding(
                f"the {self.peer} sent an invalid {call.action}.req: {'; '.join(item.problems)}"
            )
            return

        for claim in self._claims:
            if not claim.future.done() and claim.matches(call):
                item.consumed = True
                self._claims.remove(claim)
                claim.future.set_result(item)
                break
        else:
            await self._auto_answer(item)
        self._wake_inbox_waiters()

    async def _auto_answer(self, item: IncomingCall) -> None:
        handler = self.handlers.get(item.action) or self.handlers.get("*")
        if handler is None:
            # Left unanswered for a later expect_call(); the scenario decides.
            return
        try:
            result = handler(item)
            if inspect.isawaitable(result):
                result = await result
        except TargetFailure as exc:
            self._finding(str(exc))
            return
        except Exception as exc:
            self._internal_errors.append(exc)
            await self._safe_send(rpc.CallError(item.unique_id, "InternalError", "pytest-ocpp bug"))
            return
        if result is not None and not item.replied:
            try:
                await item.reply(result)
            except ConnectionLost:
                pass

    def _on_reply(self, frame: rpc.CallResult | rpc.CallError) -> None:
        pending = self._pending.get(frame.unique_id)
        kind = "CallResult" if isinstance(frame, rpc.CallResult) else "CallError"
        if pending is None:
            self._finding(
                f"the {self.peer} sent a {kind} with message id {frame.unique_id!r}, which "
                "matches no Call we sent (OCPP-J: the id must be the one of the request)"
            )
            return
        if pending.future.done():
            if pending.timed_out:
                self.trace.event(self.name, f"late {kind} for {pending.call.action}, after timeout")
                return
            self._finding(
                f"the {self.peer} answered {pending.call.action} {frame.unique_id!r} twice"
            )
            return
        action = pending.call.action
        problems = judging.reply_problems(self.schemas, action, frame)
        if isinstance(frame, rpc.CallError):
            if problems:
                # First what matters most to the user (a valid request was refused), then
                # what is wrong with the refusal itself.
                refused = (
                    f"the {self.peer} answered {action} with a CallError"
                    if pending.allow_error
                    else f"the {self.peer} refused a valid {action} request with a CallError "
                    f"({frame.description or 'no description'}) where a {action} result was "
                    "expected"
                )
                self._finding(
                    f"{refused}; its error code {frame.error_code!r} is not one OCPP "
                    f"{self.version} defines (valid codes: "
                    f"{', '.join(sorted(self.version.error_codes))})"
                )
        elif problems:
            self._finding(
                f"the {self.peer}'s {action} response breaks the OCPP {self.version} "
                "schema: " + "; ".join(problems)
            )
        del self._pending[frame.unique_id]
        if not pending.future.done():
            pending.future.set_result(frame)


NOTHING_HEARD = "it had sent nothing since the handshake"
"""Appended to the close description of a connection the peer closed before sending a single
frame: with a "not now" close code that is an unavailable target, not a failed step."""


class _Any(frozenset[str]):
    """Matches every action (for expect_silence with no filter)."""

    def __contains__(self, item: object) -> bool:
        return True


_ANY = _Any()
ANY_ACTION: frozenset[str] = _ANY
"""Pass as ``actions`` to :meth:`Link.wait_for` to wait for any request."""


def _why(exc: ConnectionClosed) -> str:
    frame = exc.rcvd or exc.sent
    if frame is None:
        return "connection dropped without a close frame (code 1006)"
    return f"code {frame.code}" + (f", reason {frame.reason!r}" if frame.reason else "")


def _why_ws(ws: Connection) -> str:
    code = ws.close_code
    if code is None:
        return "connection dropped"
    return f"code {code}" + (f", reason {ws.close_reason!r}" if ws.close_reason else "")


# -- opening connections ---------------------------------------------------------------------
def _basic_auth_header(user: str, password: str) -> str:
    """Security profiles 1 and 2: HTTP Basic with user = station id (1.6 Security Whitepaper
    A00.FR.202-205). Never traced or logged (see :func:`pytest_ocpp.security.protect_secrets`)."""
    return security.basic_auth_header(user, password)


def _client_ssl(tls: TlsSettings) -> ssl.SSLContext:
    """Our station's TLS context (:func:`pytest_ocpp.security.client_context`); a certificate
    or key file that cannot be read is one sentence."""
    try:
        return security.client_context(tls)
    except FileNotFoundError as exc:
        raise ConnectFailed(f"cannot read the TLS file {exc.filename}: it does not exist") from None
    except ssl.SSLError as exc:
        raise ConnectFailed(
            "cannot load the TLS files (--ocpp-tls-ca-file, --ocpp-tls-cert-file, "
            f"--ocpp-tls-key-file): {exc.reason or exc}; they must be PEM, the key matching "
            "the certificate"
        ) from None


async def _closed_before_upgrade(full: str, tls: TlsSettings | None, timeout: float) -> str:
    """Why a server closed the connection without an HTTP response. Over wss:// a CSMS that
    requires a client certificate (profile 3) does that under TLS 1.3 when none or an
    untrusted one is shown; over ws:// a TLS endpoint does it to a plain HTTP request."""
    parts = urlsplit(full)
    if parts.scheme == "wss":
        if tls is None or not tls.cert_file:
            return security.missing_client_certificate(full)
        return (
            f"the CSMS at {full} closed the TLS connection before answering the upgrade: it "
            "did not accept our client certificate (--ocpp-tls-cert-file); is it signed by a CA "
            "the CSMS trusts, and is its commonName the station's serial number (A00.FR.403-405)?"
        )
    host, port = parts.hostname or "", parts.port or 80
    if await security.speaks_tls(host, port, min(timeout, 3.0)):
        return (
            f"{full} is a TLS (wss://) endpoint but the target is plain ws://: use "
            f"wss://{parts.netloc}{parts.path.rsplit('/', 1)[0]} with security profile 2 or 3"
        )
    return (
        f"{full} closed the connection without an HTTP upgrade response: is it a websocket server?"
    )


async def connect(
    url: str,
    station_id: str,
    subprotocols: list[str],
    *,
    timeouts: Timeouts,
    tls: TlsSettings | None = None,
    password: str | None = None,
    trace: Trace | None = None,
    require_subprotocol: bool = True,
    username: str | None = None,
) -> ClientConnection:
    """Open a websocket to a CSMS as ``station_id``: the id is appended to the URL path as
    OCPP-J requires (1.6 §3.1.1; 2.0.1 Part 4 §3.1.1), the subprotocols are offered in
    preference order, and every way this can go wrong becomes one readable sentence.

    An upgrade that selects no subprotocol raises :class:`UnexpectedSubprotocol` unless
    ``require_subprotocol`` is false: then the connection is returned for the caller to judge
    (OCPP-J 2.0.1 Part 4 §3.2: such a CSMS must close it at once; TC_B_58_CSMS checks that).
    ``username`` replaces the station id as the Basic user: a request the CSMS must refuse
    (2.0.1 A00.FR.204, TC_A_02_CSMS)."""
    full = url.rstrip("/") + "/" + station_id
    headers = {}
    if password is not None:
        security.protect_secrets(password)
        headers["Authorization"] = _basic_auth_header(username or station_id, password)
    context = _client_ssl(tls or TlsSettings()) if full.startswith("wss://") else None
    if trace is not None:
        auth = " with HTTP Basic credentials (masked)" if password is not None else ""
        trace.event(station_id, f"connecting to {full} offering {', '.join(subprotocols)}{auth}")
    if context is not None and tls is not None and tls.insecure:
        _insecure_warning(full, trace, station_id)
    try:
        ws = await asyncio.wait_for(
            ws_connect(
                full,
                subprotocols=subprotocols,  # type: ignore[arg-type]
                additional_headers=headers,
                ssl=context,
                open_timeout=None,
                max_size=MAX_FRAME_BYTES,
                ping_interval=None,
                user_agent_header="pytest-ocpp",
            ),
            timeouts.connect,
        )
    except asyncio.TimeoutError:
        raise ConnectFailed(
            f"no websocket handshake with {full} within {timeouts.connect:g} s "
            "(--ocpp-connect-timeout): is the CSMS running and answering HTTP?"
        ) from None
    except InvalidURI as exc:
        raise ConnectFailed(f"{full} is not a valid websocket URL: {exc}") from None
    except InvalidStatus as exc:
        status = exc.response.status_code
        hint = {
            401: (
                "the CSMS refused the HTTP Basic credentials (user = station id "
                f"{station_id!r}): check --ocpp-basic-auth-password (A00.FR.202-205)"
                if password is not None
                else "the CSMS wants HTTP Basic credentials: set --ocpp-basic-auth-password "
                "(OCPP_BASIC_AUTH_PASSWORD) for this station id"
            ),
            403: "the CSMS forbids this connection; common causes are an unknown station id, "
            "missing or wrong credentials, or none of the offered subprotocols "
            f"({', '.join(subprotocols)}) being enabled for this station",
            404: "check the path in --ocpp-target and that the station id is known",
            400: "a CSMS answers 400 when it supports none of the offered subprotocols "
            f"({', '.join(subprotocols)})",
        }.get(status, "")
        body = exc.response.body.decode(errors="replace").strip()[:200] if exc.response.body else ""
        raise ConnectFailed(
            f"the CSMS refused the websocket upgrade for {full} with HTTP {status}"
            + (f" ({body!r})" if body else "")
            + (f": {hint}" if hint else "")
        ) from None
    except InvalidMessage as exc:
        cause = exc.__cause__
        if isinstance(cause, ssl.SSLError):
            raise ConnectFailed(security.explain_tls_error(cause, full)) from None
        if isinstance(cause, EOFError | ConnectionError):
            raise ConnectFailed(await _closed_before_upgrade(full, tls, timeouts.connect)) from None
        raise ConnectFailed(
            f"{full} did not answer with a valid HTTP upgrade response ({exc}): is it a websocket "
            "server?"
        ) from None
    except InvalidHandshake as exc:
        if _is_subprotocol_error(exc):
            raise UnexpectedSubprotocol(
                f"the CSMS upgraded the connection to {full} (HTTP 101) with a "
                f"Sec-WebSocket-Protocol that is not one of the offered subprotocols "
                f"({', '.join(subprotocols)}): {exc}. OCPP-J requires the server to echo one of "
                "them (1.6 §3.1.2; 2.0.1 Part 4 §3.2)"
            ) from None
        raise ConnectFailed(f"the websocket handshake with {full} failed: {exc}") from None
    except ssl.SSLError as exc:
        raise ConnectFailed(security.explain_tls_error(exc, full)) from None
    except ConnectionResetError as exc:
        if full.startswith("wss://"):
            raise ConnectFailed(
                f"TLS handshake with {full} failed: the server reset the connection; it "
                "probably does not speak TLS on that port (use ws:// for security profile 1, "
                "or the port of its wss:// endpoint)"
            ) from None
        raise ConnectFailed(f"cannot reach {full}: {exc.strerror or exc}") from None
    except OSError as exc:
        raise ConnectFailed(
            f"cannot reach {full}: {exc.strerror or exc} — nothing listening there, or the "
            "host name does not resolve"
        ) from None
    if ws.subprotocol not in subprotocols and require_subprotocol:
        chosen = ws.subprotocol
        await ws.close()
        raise UnexpectedSubprotocol(
            f"the CSMS accepted the websocket without selecting one of the offered subprotocols "
            f"({', '.join(subprotocols)}); it answered {chosen!r}. OCPP-J requires the server to "
            "echo the subprotocol it speaks (1.6 §3.1.2; 2.0.1 Part 4 §3.1.2)"
        )
    if trace is not None:
        info = security.tls_info(ws)
        over = f", {info.version} {info.cipher}" if info is not None else ""
        trace.event(
            station_id, f"connected, subprotocol {ws.subprotocol or '(none selected)'}{over}"
        )
    return ws


def _insecure_warning(url: str, trace: Trace | None, station_id: str) -> None:
    """--ocpp-tls-insecure: the run cannot show the CSMS's certificate is valid
    (A00.FR.307/308), so every case that connects says so."""
    text = (
        f"TLS certificate verification is off (--ocpp-tls-insecure): the certificate of {url} "
        "was not checked (1.6 Security Whitepaper A00.FR.307/308 not verified)"
    )
    if trace is not None:
        trace.event(station_id, text)
    from pytest_ocpp import case

    with contextlib.suppress(RuntimeError):
        case.warn(text)


def unreachable(url: str, timeout: float) -> str | None:
    """Why nothing can be reached at ``url``'s host and port (refused, unknown host, no answer),
    or None when a TCP connection opens. Run once before the first case, so an unreachable
    target is one clear sentence instead of one identical failure per case."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except socket.gaierror as exc:
        return f"the host name {host!r} does not resolve ({exc.strerror or exc})"
    except TimeoutError:
        return f"no TCP connection to {host}:{port} within {timeout:g} s (--ocpp-connect-timeout)"
    except OSError as exc:
        return f"cannot connect to {host}:{port}: {exc.strerror or exc}"


def listen_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (taken, not an address of this machine), or
    None. Checked before the first case, so a busy port is one message, not one error per case."""
    if port == 0:
        return None
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"the host {host!r} does not resolve ({exc.strerror or exc})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def _is_subprotocol_error(exc: InvalidHandshake) -> bool:
    """The server completed the upgrade but its Sec-WebSocket-Protocol answer is unusable
    (a protocol not offered, or several); websockets raises these from its subprotocol check."""
    if isinstance(exc, InvalidHeader):
        return exc.name.lower() == "sec-websocket-protocol"
    return isinstance(exc, NegotiationError) and "subprotocol" in str(exc)


async def serve(
    handler: Callable[[ServerConnection], Awaitable[None]],
    host: str,
    port: int,
    subprotocols: list[str],
    *,
    tls_context: ssl.SSLContext | None = None,
    process_request: Callable[..., Any] | None = None,
) -> Server:
    """Listen as a CSMS. Subprotocol choice is left to the handler (``select_subprotocol``
    accepts any offer, so a station offering the wrong one reaches the handler and gets a
    readable verdict instead of a bare HTTP 400)."""

    def select(connection: ServerConnection, offered: list[str]) -> str | None:
        for candidate in offered:
            if candidate in subprotocols:
                return candidate
        return None

    return await ws_serve(
        handler,
        host,
        port,
        subprotocols=subprotocols,  # type: ignore[arg-type]
        select_subprotocol=select,  # type: ignore[arg-type]
        ssl=tls_context,
        process_request=process_request,
        max_size=MAX_FRAME_BYTES,
        ping_interval=None,
    )


def _fail(future: asyncio.Future[Any], error: BaseException) -> bool:
    """Fail a future someone may be waiting on. Marked retrieved at once: a waiter re-raises
    it, and a request whose waiter already gave up (a timeout) must not print "Future
    exception was never retrieved" when the run ends. False if it was already done."""
    if future.done():
        return False
    future.set_exception(error)
    future.exception()
    return True
