"""One fuzz property against one target: the connection, the examples, the hypothesis loop.

A property is an ordinary (synchronous) pytest test. It reaches its connection first, outside
hypothesis, so an unreachable target is one clear verdict rather than a failing example to
shrink; then hypothesis runs the examples on the session's event loop, where the fake CSMS of
the station role lives. Every example starts from a usable connection: if the previous one got
the target to close it, the station reconnects (CSMS role) or we wait for the station to come
back (station role), so a shrunk reproducer is about the frame, never about a dead socket.

Invalid payloads and broken frames are followed at once by the liveness request
(:data:`~pytest_ocpp.fuzz.rules.LIVENESS`): it proves the connection is still usable (issue 15
point 3), and its answer bounds the wait for the probe's own answer, so a target that silently
drops what 2.0.1 allows it to drop costs a round trip, not a timeout, per example.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from hypothesis import Phase, find, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyFailure, NoSuchExample

from pytest_ocpp import case as case_module
from pytest_ocpp import rpc
from pytest_ocpp.fuzz import frames, profiles, rules
from pytest_ocpp.fuzz.probe import (
    FuzzFinding,
    Judgement,
    Reply,
    finding,
    judge_invalid,
    judge_valid,
    reproducer,
)
from pytest_ocpp.link import Link
from pytest_ocpp.verdicts import ConnectionLost, ProtocolViolation, TargetFailure, not_applicable
from pytest_ocpp.versions import OcppVersion

T = TypeVar("T")

GRACE = 0.1
"""Seconds a probe's answer may trail the liveness answer sent after it, where silence is a
legal answer (most targets answer in order; a later answer is still judged, at the next
example)."""

GRACE_REQUIRED = 1.0
"""The same where the version requires an answer, so silence is a finding: the target has
answered a request sent after the probe, so it is up and reading; a full second more (at most
the response timeout) covers one that answers out of order."""


class Peer:
    """The target's side of the connection, as the property needs it."""

    name: str
    side: str

    async def link(self) -> Link:
        raise NotImplementedError

    async def after_valid(self, action: str, payload: dict[str, Any], reply: Reply) -> None:
        """Undo what a valid request started (a transaction), so the run leaves the target as
        it found it."""


class StationRole(Peer):
    """We are a charging station; the target is a CSMS."""

    name = "CSMS"
    side = "CSMS"

    def __init__(self, make_station: Callable[[], Awaitable[Any]], operator: Any = None) -> None:
        self._make = make_station
        self.station: Any = None
        self.operator = operator
        """The CSMS operator, when it works unattended (a command or the embedded reference):
        the state machine then has the CSMS send remote commands too."""

    async def link(self) -> Link:
        if self.station is None:
            async with case_module.starting_state():
                self.station = await self._make()
        elif not self.station.connected:
            # A reconnection after a network loss sends no new BootNotification (1.6 §4.2,
            # 2.0.1 B04): the CSMS takes the station back as it was.
            await self.station.connect()
        return self.station.link

    async def after_valid(self, action: str, payload: dict[str, Any], reply: Reply) -> None:
        if reply.kind != "CallResult" or not reply.message:
            return
        link = self.station.link
        answer = reply.message[2]
        now = self.station.now()
        if action == "StartTransaction" and "transactionId" in answer:
            stop = {"transactionId": answer["transactionId"], "meterStop": 0, "timestamp": now}
            await link.call("StopTransaction", stop, allow_error=True)
        elif action == "TransactionEvent" and payload.get("eventType") in ("Started", "Updated"):
            ended = {
                "eventType": "Ended",
                "timestamp": now,
                "triggerReason": "AbnormalCondition",
                "seqNo": int(payload.get("seqNo", 0)) + 1,
                "transactionInfo": {
                    "transactionId": payload["transactionInfo"]["transactionId"],
                    "stoppedReason": "Other",
                },
            }
            await link.call("TransactionEvent", ended, allow_error=True)


class CsmsRole(Peer):
    """We are the CSMS; the target is a charging station connected to our fake CSMS."""

    name = "charging station"
    side = "CS"

    def __init__(self, csms: Any) -> None:
        self.csms = csms

    async def link(self) -> Link:
        connection = self.csms.connection
        if connection is not None and connection.closed:
            # The station reconnects by itself, after its own back-off: as long as a reboot.
            connection = await self.csms.next_connection(reboot=True)
        else:
            connection = await self.csms.station()
        return connection.link


def replayed_differently(flaky: FlakyFailure) -> BaseException:
    """The verdict for a failure hypothesis could not reproduce: the target's first failure
    (searched through nested groups), saying that its answers depend on state earlier
    examples changed; ``flaky`` itself when it holds none (a bug of ours, then)."""

    def first(exc: BaseException) -> TargetFailure | None:
        if isinstance(exc, TargetFailure):
            return exc
        for inner in getattr(exc, "exceptions", ()):
            found = first(inner)
            if found is not None:
                return found
        return None

    failure = first(flaky)
    if failure is None:
        return flaky
    return type(failure)(
        f"{failure} (when hypothesis replayed this example the target answered differently: "
        "its answers depend on state the earlier examples changed)"
    )


class FuzzRun:
    """The examples of one property, and the loop that runs them."""

    def __init__(
        self,
        ctx: case_module.CaseContext,
        loop: asyncio.AbstractEventLoop,
        version: OcppVersion,
        peer: Peer,
        nodeid: str,
    ) -> None:
        self.ctx = ctx
        self.loop = loop
        self.version = version
        self.peer = peer
        self.nodeid = nodeid
        self.timeouts = ctx.config.timeouts
        self._sent: dict[str, str] = {}
        """Message id -> frame, for judging an answer that comes late."""

    # -- driving ---------------------------------------------------------------------------
    def run(self, work: Awaitable[T]) -> T:
        """Run ``work`` on the session loop, as the running case."""
        token = case_module.activate(self.ctx)
        try:
            return self.loop.run_until_complete(work)
        finally:
            case_module.deactivate(token)

    def check(
        self, strategy: st.SearchStrategy[Any], example: Callable[[Any], Awaitable[None]]
    ) -> None:
        """Run ``example`` on values of ``strategy`` under the current profile; the database
        key is the pytest node id, so each action's failures are replayed first next time."""

        preamble = len(self.ctx.trace.entries)
        marks = [preamble]

        @profiles.current()
        @given(strategy)
        def prop(value: Any) -> None:
            marks[-1] = len(self.ctx.trace.entries)
            self.run(example(value))

        prop.hypothesis.inner_test._hypothesis_internal_add_digest = self.nodeid.encode()  # type: ignore[attr-defined]
        try:
            try:
                prop()
            except BaseException:
                self._keep_last_example(preamble, marks[-1])
                raise
        except FlakyFailure as exc:
            raise replayed_differently(exc) from None
        finally:
            self.run(self._judge_late(final=True))

    def _keep_last_example(self, preamble: int, last: int) -> None:
        """A failed property's trace: the connection's start and the example hypothesis ran
        last (the shrunk one), not the hundreds before it."""
        entries = self.ctx.trace.entries
        dropped = last - preamble
        if dropped > 0:
            entries[preamble:last] = []
            self.ctx.trace.event(
                "fuzz",
                f"{dropped} trace entries of earlier examples left out; the shrunk example follows",
            )
            entries.insert(preamble, entries.pop())

    def finish(self) -> None:
        self.run(self.ctx.close())

    # -- the examples ----------------------------------------------------------------------
    async def valid(self, action: str, payload: dict[str, Any]) -> None:
        """Issue 15 point 2: a schema-valid request gets a valid answer within the timeout."""
        link = await self._link()
        uid = rpc.new_unique_id()
        sent = rpc.Call(uid, action, payload).to_json()
        wait = self.timeouts.response
        reply = Reply.of(await link.exchange_raw(sent, [uid], wait))
        self._report(judge_valid(self.version, action, reply, wait), sent, reply, wait)
        await self.peer.after_valid(action, payload, reply)

    async def supported(self, action: str, payload_strategy: st.SearchStrategy[Any]) -> None:
        """Not applicable unless the target answers a simple valid request of ``action`` with
        something other than NotSupported/NotImplemented: a target that does not support an
        action is not asked to validate it."""
        try:
            payload = find(
                payload_strategy,
                lambda _: True,
                # The first example, not the smallest: shrinking a deep payload takes seconds.
                settings=hypothesis_settings(
                    database=None, max_examples=1, phases=[Phase.generate], derandomize=True
                ),
            )
        except NoSuchExample:  # pragma: no cover - every schema has a valid payload
            raise RuntimeError(f"no valid {action} payload could be built") from None
        link = await self._link()
        uid = rpc.new_unique_id()
        sent = rpc.Call(uid, action, payload).to_json()
        reply = Reply.of(await link.exchange_raw(sent, [uid], self.timeouts.response))
        await self.peer.after_valid(action, payload, reply)
        if reply.kind == "CallError" and reply.error_code in rules.UNSUPPORTED:
            raise not_applicable(
                f"the {self.peer.name} answers a valid {action} request with "
                f"{reply.error_code}: it does not support {action}, so how it validates "
                f"{action} is not judged"
            )

    async def invalid(self, action: str, mutant: Any) -> None:
        """Issue 15 point 3: one schema violation gets the error code of its class, and the
        connection stays usable."""
        uid = rpc.new_unique_id()
        sent = rpc.Call(uid, action, mutant.payload).to_json()
        last = mutant.path.rsplit("/", 1)[-1]
        shown_path = mutant.path and mutant.path not in mutant.description and last != mutant.path
        where = mutant.description + (f" at {mutant.path}" if shown_path else "")
        reply, waited = await self._probe(
            sent,
            (uid,),
            f"{action} with {mutant.description}",
            required=self.version.name == "1.6",
        )
        judged = judge_invalid(self.version, action, mutant.kind, where, reply, waited)
        self._report(judged, sent, reply, waited)

    async def frame(self, kind: frames.FrameKind, drawn: frames.Drawn) -> None:
        """Issue 15 point 4: neither crash nor hang, and the answer the version defines."""
        if kind.name == "oversize":
            await self._oversize(kind, drawn)
            return
        reply, waited = await self._probe(
            drawn.text,
            drawn.reply_ids,
            drawn.note,
            twice=kind.name == "repeated_id",
            required=kind.answer_required(self.version),
        )
        self._report(kind.judge(self.version, drawn, reply), drawn.text, reply, waited)

    async def _oversize(self, kind: frames.FrameKind, drawn: frames.Drawn) -> None:
        """A frame over a common size limit may be answered, or refused by closing the
        connection (RFC 6455 §7.4.1 code 1009); either way the target must take the station
        back and answer it afterwards."""
        link = await self._link()
        wait = self.timeouts.response
        try:
            raw = await link.exchange_raw(drawn.text, drawn.reply_ids, wait)
        except ConnectionLost:
            raw = None
        reply = Reply.of(raw)
        if link.closed.is_set():
            self.ctx.warn(
                f"{drawn.note}: the {self.peer.name} closed the connection "
                f"({link.close_description}); legal for a frame over its limit"
            )
            try:
                link = await self.peer.link()
                await self._alive(
                    link, drawn.note, drawn.text, asyncio.get_running_loop().create_future()
                )
            except FuzzFinding:
                raise
            except TargetFailure as exc:
                raise FuzzFinding(
                    f"the {self.peer.name} could not be reached again after it closed the "
                    f"connection on {drawn.note}: {exc}"
                ) from None
            return
        self._report(kind.judge(self.version, drawn, reply), drawn.text, reply, wait)
        await self._alive(link, drawn.note, drawn.text, asyncio.get_running_loop().create_future())

    # -- plumbing --------------------------------------------------------------------------
    async def _link(self) -> Link:
        await self._judge_late()
        return await self.peer.link()

    async def _probe(
        self,
        sent: str,
        ids: tuple[str, ...],
        what: str,
        *,
        twice: bool = False,
        required: bool = False,
    ) -> tuple[Reply, float]:
        """Send a hostile frame, then the liveness request; the probe's answer is the one that
        came before the liveness answer, or within :data:`GRACE` after it
        (:data:`GRACE_REQUIRED` where silence would be a finding)."""
        link = await self._link()
        for unique_id in ids:
            self._sent[unique_id] = sent
        future = link.watch_raw(ids)
        started = self.loop.time()
        try:
            await link.send_raw(sent)
            if twice:
                await link.send_raw(sent)
            await self._alive(link, what, sent, future)
            with contextlib.suppress(asyncio.TimeoutError, ConnectionLost):
                grace = min(GRACE_REQUIRED, self.timeouts.response) if required else GRACE
                await asyncio.wait_for(asyncio.shield(future), grace)
        finally:
            link.unwatch_raw(ids, future)
        raw = (
            future.result()
            if future.done() and not future.cancelled() and not future.exception()
            else None
        )
        return Reply.of(raw), self.loop.time() - started

    async def _alive(self, link: Link, what: str, sent: str, probe: asyncio.Future[str]) -> None:
        action, payload = rules.LIVENESS[self.peer.side][self.version.name]
        try:
            await link.call(action, payload)
        except TargetFailure as exc:
            answer = probe.result() if probe.done() and not probe.exception() else None
            # A violation on the wire (its answer to the hostile frame broke OCPP-J, say) is
            # not the same finding as a peer that stopped answering.
            outcome = (
                "broke the protocol while answering"
                if isinstance(exc, ProtocolViolation)
                else "was no longer usable after"
            )
            raise FuzzFinding(
                f"the {self.peer.name} {outcome} {what}: {exc}"
                f"{reproducer(sent, Reply.of(answer), self.timeouts.response)}"
            ) from None

    async def _judge_late(self, *, final: bool = False) -> None:
        """A CallResult that arrives after we judged its fuzzed frame unanswered accepted an
        invalid frame after all."""
        link = getattr(self.peer, "station", None)
        link = link.link if link is not None else None
        if link is None and isinstance(self.peer, CsmsRole) and self.peer.csms.connection:
            link = self.peer.csms.connection.link
        if link is None:
            return
        while link.late_raw:
            reply = Reply.of(link.late_raw.pop(0))
            uid = str(reply.message[1]) if reply.message and len(reply.message) > 1 else ""
            sent = self._sent.get(uid, "(not recorded)")
            if reply.kind == "CallResult":
                raise FuzzFinding(
                    f"the {self.peer.name} accepted a fuzzed frame with a CallResult that "
                    f"arrived late{reproducer(sent, reply, 0)}"
                )

    def _report(self, judged: Judgement, sent: str, reply: Reply, waited: float) -> None:
        for text in judged.warnings:
            self.ctx.warn(text)
        if judged.failure:
            raise finding(self.peer.name, judged, sent, reply, waited)
