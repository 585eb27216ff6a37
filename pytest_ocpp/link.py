"""One OCPP-J websocket: send, receive, correlate, validate, record.

Both roles sit on this class: the fake charging station (client) and the fake CSMS (server).
Unlike ``ocpp.ChargePoint`` it forgives nothing: every received frame is parsed strictly and
schema-checked (``date-time`` included), replies are matched to pending Calls by unique id,
error codes are checked against the version's table, and every frame in both directions goes
to the :class:`~pytest_ocpp.trace.Trace`. Violations become *findings*: they fail whatever the
scenario is waiting for at that moment, or the test case at its end.

Connections are opened in :mod:`pytest_ocpp.transport` (``connect``, ``serve``, re-exported
here for the code that imports them from this module).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import (
    ConnectionClosed,
)

from pytest_ocpp import judging, rpc
from pytest_ocpp.config import Timeouts
from pytest_ocpp.schemas import schema_set
from pytest_ocpp.trace import Trace
from pytest_ocpp.transport import connect, listen_problem, serve, unreachable
from pytest_ocpp.verdicts import (
    CallErrorReceived,
    ConnectionLost,
    ProtocolViolation,
    TargetFailure,
    TargetTimeout,
)
from pytest_ocpp.versions import OcppVersion

Connection = ClientConnection | ServerConnection
Predicate = Callable[[dict[str, Any]], bool]
Handler = Callable[["IncomingCall"], "dict[str, Any] | Awaitable[dict[str, Any] | None] | None"]


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
        self,
        actions: str | Iterable[str] | None,
        duration: float,
        why: str = "",
        since: int | None = None,
    ) -> None:
        """An explicit expectation that nothing (or no request of ``actions``) arrives for
        ``duration`` seconds; the only place a scenario legitimately waits out a time.
        ``since`` (a :meth:`mark` taken before the step that must not be answered) also
        counts what arrived together with that step's reply."""
        names = (
            None if actions is None else ({actions} if isinstance(actions, str) else set(actions))
        )
        start = len(self.inbox) if since is None else since
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
            if pending.future.cancelled() or pending.future.exception() is not None:
                # A violation (or a lost connection) failed the call while its answer was on
                # the way: this is that answer, once, not a second one.
                del self._pending[frame.unique_id]
                self.trace.event(
                    self.name, f"{kind} for {pending.call.action}, after a violation ended the wait"
                )
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
def _fail(future: asyncio.Future[Any], error: BaseException) -> bool:
    """Fail a future someone may be waiting on. Marked retrieved at once: a waiter re-raises
    it, and a request whose waiter already gave up (a timeout) must not print "Future
    exception was never retrieved" when the run ends. False if it was already done."""
    if future.done():
        return False
    future.set_exception(error)
    future.exception()
    return True


__all__ = [
    "ANY_ACTION",
    "NOTHING_HEARD",
    "IncomingCall",
    "Link",
    "connect",
    "listen_problem",
    "serve",
    "unreachable",
]
