"""The Link judges everything it receives: correlation, error codes, schemas, reused ids.

Each test scripts a peer with plain ``websockets`` on loopback and checks what our side
concludes, and what it answers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from pytest_ocpp.config import Timeouts
from pytest_ocpp.link import Link
from pytest_ocpp.trace import Trace
from pytest_ocpp.verdicts import ConnectionLost, ProtocolViolation, TargetFailure, TargetTimeout
from pytest_ocpp.versions import V16, V201, OcppVersion

Peer = Callable[[ServerConnection], Awaitable[None]]
FAST = Timeouts(connect=2, response=1, message=1, operator=2, case=10)
BOOT_OK = {"status": "Accepted", "currentTime": "2026-11-24T20:00:00Z", "interval": 300}


@asynccontextmanager
async def linked(peer: Peer, version: OcppVersion = V16) -> AsyncIterator[Link]:
    async with serve(peer, "127.0.0.1", 0, subprotocols=[version.subprotocol]) as server:  # type: ignore[list-item]
        port = server.sockets[0].getsockname()[1]
        ws = await connect(f"ws://127.0.0.1:{port}/CP_1", subprotocols=[version.subprotocol])  # type: ignore[list-item]
        link = Link(ws, version=version, name="CP_1", trace=Trace(), timeouts=FAST, peer="CSMS")
        link.start()
        try:
            yield link
        finally:
            await link.close()


def replying(make_reply: Callable[[list[Any]], Any]) -> Peer:
    async def peer(ws: ServerConnection) -> None:
        async for message in ws:
            reply = make_reply(json.loads(message))
            if reply is not None:
                await ws.send(reply if isinstance(reply, str) else json.dumps(reply))

    return peer


@pytest.mark.asyncio
async def test_reply_with_a_foreign_id_fails_the_waiting_call() -> None:
    async with linked(replying(lambda m: [3, m[1][::-1], BOOT_OK])) as link:
        with pytest.raises(ProtocolViolation, match="matches no Call we sent"):
            await link.call("BootNotification", {"chargePointVendor": "v", "chargePointModel": "m"})


@pytest.mark.asyncio
async def test_error_code_spelling_is_judged_per_version() -> None:
    """FormatViolation is 2.0.1's spelling; OCPP-J 1.6 §4.2.3 only knows FormationViolation."""
    async with linked(replying(lambda m: [4, m[1], "FormatViolation", "", {}])) as link:
        with pytest.raises(ProtocolViolation) as refused:
            await link.call("Heartbeat", {})
    # What matters most first (a valid request refused), then the wrong code (issue 12 pt 8).
    message = str(refused.value)
    assert message.startswith("the CSMS refused a valid Heartbeat request with a CallError")
    assert message.index("refused a valid") < message.index("'FormatViolation' is not one")
    async with linked(replying(lambda m: [4, m[1], "FormationViolation", "", {}])) as link:
        answer = await link.call("Heartbeat", {}, allow_error=True)
        assert answer["errorCode"] == "FormationViolation"


@pytest.mark.asyncio
async def test_schema_violation_in_a_response() -> None:
    async with linked(
        replying(lambda m: [3, m[1], {"currentTime": "2026-11-24T20:00:00.123456Z"}]), V201
    ) as link:
        with pytest.raises(ProtocolViolation, match="decimal places SHALL NOT exceed 3"):
            await link.call("Heartbeat", {})


@pytest.mark.asyncio
async def test_silence_is_a_timeout_naming_the_option() -> None:
    async with linked(replying(lambda m: None)) as link:
        with pytest.raises(TargetTimeout, match="--ocpp-response-timeout"):
            await link.call("Heartbeat", {})


@pytest.mark.asyncio
async def test_close_while_waiting_is_connection_lost() -> None:
    async def peer(ws: ServerConnection) -> None:
        await ws.recv()
        await ws.close(1011, "bye")

    async with linked(peer) as link:
        with pytest.raises(ConnectionLost, match="1011"):
            await link.call("Heartbeat", {})


async def _peer_sending(frames: list[str], answers: asyncio.Queue[str]) -> Peer:
    async def peer(ws: ServerConnection) -> None:
        for frame in frames:
            await ws.send(frame)
        async for message in ws:
            await answers.put(message)

    return peer


@pytest.mark.asyncio
async def test_invalid_request_from_the_peer_is_answered_and_reported() -> None:
    answers: asyncio.Queue[str] = asyncio.Queue()
    frames = [json.dumps([2, "r1", "Reset", {"type": "Sideways"}])]
    async with linked(await _peer_sending(frames, answers)) as link:
        reply = json.loads(await asyncio.wait_for(answers.get(), 2))
        assert reply[0] == 4 and reply[1] == "r1" and reply[2] == "FormationViolation"
        with pytest.raises(ProtocolViolation, match=r"invalid Reset\.req"):
            await link.expect_call("Reset")


@pytest.mark.asyncio
async def test_reused_message_id_for_another_call() -> None:
    answers: asyncio.Queue[str] = asyncio.Queue()
    frames = [
        json.dumps([2, "same", "ClearCache", {}]),
        json.dumps([2, "same", "Reset", {"type": "Hard"}]),
    ]
    async with linked(await _peer_sending(frames, answers)) as link:
        with pytest.raises(ProtocolViolation, match="reused message id"):
            first = await link.expect_call("ClearCache")
            await first.reply({"status": "Accepted"})
            await link.expect_call("Reset")


@pytest.mark.asyncio
async def test_claimed_requests_wait_for_the_scenario_and_others_are_auto_answered() -> None:
    answers: asyncio.Queue[str] = asyncio.Queue()
    frames = [
        json.dumps([2, "a", "GetConfiguration", {}]),
        json.dumps([2, "b", "ClearCache", {}]),
    ]
    peer = await _peer_sending(frames, answers)
    async with serve(peer, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as server:  # type: ignore[list-item]
        port = server.sockets[0].getsockname()[1]
        ws = await connect(f"ws://127.0.0.1:{port}/CP_1", subprotocols=["ocpp1.6"])  # type: ignore[list-item]
        link = Link(
            ws,
            version=V16,
            name="CP_1",
            trace=Trace(),
            timeouts=FAST,
            peer="CSMS",
            handlers={"GetConfiguration": lambda call: {"configurationKey": []}},
        )
        claim = link.claim("ClearCache")
        link.start()
        auto = json.loads(await asyncio.wait_for(answers.get(), 2))
        assert auto == [3, "a", {"configurationKey": []}]
        request = await link.wait_claimed(claim, "ClearCache.req")
        await request.reply({"status": "Accepted"})
        assert json.loads(await asyncio.wait_for(answers.get(), 2)) == [
            3,
            "b",
            {"status": "Accepted"},
        ]
        observed = await link.wait_for("GetConfiguration")
        assert observed.replied
        await link.close()


@pytest.mark.asyncio
async def test_expect_silence_fails_when_something_arrives() -> None:
    async def peer(ws: ServerConnection) -> None:
        await ws.recv()
        await ws.send(json.dumps([2, "x", "ClearCache", {}]))
        await ws.wait_closed()

    async with linked(peer) as link:
        await link.send_raw(json.dumps([2, "hello", "Heartbeat", {}]))
        with pytest.raises(TargetFailure, match="sent ClearCache"):
            await link.expect_silence(None, 1.0, "the scenario expects nothing")


@pytest.mark.asyncio
async def test_unknown_action_in_201_gets_not_implemented() -> None:
    answers: asyncio.Queue[str] = asyncio.Queue()
    frames = [json.dumps([2, "u", "MakeCoffee", {}])]
    async with linked(await _peer_sending(frames, answers), V201) as link:
        reply = json.loads(await asyncio.wait_for(answers.get(), 2))
        assert reply[:3] == [4, "u", "NotImplemented"]
        with pytest.raises(ProtocolViolation, match=r"not an OCPP 2\.0\.1 action"):
            link.raise_findings()


@pytest.mark.asyncio
async def test_the_answer_to_a_call_a_violation_ended_is_not_a_second_answer() -> None:
    """A peer's broken frame fails every call waiting at that moment; the answer to such a
    call, arriving just after, is its first and only answer (once a fuzz property's replay
    reported it as "answered twice")."""
    first = True

    async def peer(ws: ServerConnection) -> None:
        nonlocal first
        async for message in ws:
            uid = json.loads(message)[1]
            if first:
                first = False
                await ws.send(json.dumps([3, None, {"currentTime": "2026-11-24T20:00:00Z"}]))
            await ws.send(json.dumps([3, uid, {"currentTime": "2026-11-24T20:00:00Z"}]))

    async with linked(peer) as link:
        with pytest.raises(ProtocolViolation, match="breaks OCPP-J framing"):
            await link.call("Heartbeat", {})
        # Frames are dispatched in order: by this answer, the first call's has been judged.
        await link.call("Heartbeat", {})
        link.raise_findings()
        assert not [t for t in link.trace.to_list() if "twice" in t["text"]]
