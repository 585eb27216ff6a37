"""The reference stations (1.6 and 2.0.1) under fuzzed traffic, and their four fuzz variants.

A tiny CSMS (a bare ``websockets`` server, no ``ocpp`` library and no core framing) answers the
station's own requests and sends it raw frames. Each exchange ends with the liveness request of
:data:`pytest_ocpp.fuzz.rules.LIVENESS` (issue 15 point 3): the station handles frames in
order, so whatever it answers to a frame arrives before the liveness answer, and "no answer"
is proved without waiting for a timeout.

What is pinned (OCPP-J 1.6 §4.2.3, errata §5.1/5.2; 2.0.1 Part 4 §4.2.3, §4.3, §4.4): the code
per class of invalid payload, NotImplemented for an unknown action and NotSupported for a known
one the station does not handle, RpcFrameworkError / MessageTypeNotSupported with message id
"-1" in 2.0.1 and silence in 1.6 where the frame's id cannot be read, and a CallResult valid
against the response schema for schema-valid random payloads of the safe subset
(:data:`pytest_ocpp.fuzz.rules.SAFE_CSMS_TO_STATION`). Each ``fuzz_*`` defect breaks exactly
its behaviour and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Collection
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.strategies import SearchStrategy
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from pytest_ocpp.fuzz import rules
from pytest_ocpp.fuzz.strategies import payloads
from pytest_ocpp.reference.station import DEFECTS as DEFECTS16
from pytest_ocpp.reference.station import ReferenceStation
from pytest_ocpp.reference.station201 import DEFECTS as DEFECTS201
from pytest_ocpp.reference.station201 import ReferenceStation201
from pytest_ocpp.reference.station_rpc import FUZZ_DEFECTS
from pytest_ocpp.reference.validation import minimal_response, response_error
from pytest_ocpp.versions import get_version

TIMEOUT = 5.0
VERSIONS = ("1.6", "2.0.1")
EXAMPLES_PER_ACTION = 20
LEGAL_FOR_VALID = frozenset({"NotSupported", "PropertyConstraintViolation"})
"""CallErrors the brief accepts for a valid payload of the safe subset: a known action the
station does not support, a value the station cannot take."""
PROBE_ID = "liveness"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class StubCsms:
    """The CSMS end: answers the station's requests, hands its replies to the test."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.connections: asyncio.Queue[ServerConnection] = asyncio.Queue()
        self.ws: ServerConnection | None = None
        self.replies: asyncio.Queue[list[Any]] = asyncio.Queue()
        self._ids = itertools.count(1)

    async def handler(self, ws: ServerConnection) -> None:
        self.ws = ws
        self.replies = asyncio.Queue()
        self.connections.put_nowait(ws)
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                frame = json.loads(raw)
                if frame[0] != 2:
                    self.replies.put_nowait(frame)
                    continue
                action = frame[2]
                answer = minimal_response(self.version, action)
                if action == "BootNotification":
                    answer = {"currentTime": _now(), "interval": 300, "status": "Accepted"}
                await ws.send(json.dumps([3, frame[1], answer]))

    async def exchange(self, raw: str | bytes) -> list[list[Any]]:
        """Send ``raw``, then the liveness probe; return every reply that came before the
        probe's answer, and check that answer is a CallResult (the connection is usable)."""
        assert self.ws is not None
        await self.ws.send(raw)
        action, payload = rules.LIVENESS["CS"][self.version]
        probe = f"{PROBE_ID}-{next(self._ids)}"
        await self.ws.send(json.dumps([2, probe, action, payload]))
        before: list[list[Any]] = []
        while True:
            reply = await asyncio.wait_for(self.replies.get(), TIMEOUT)
            if reply[1] == probe:
                assert reply[0] == 3, f"the liveness probe got {reply}"
                assert response_error(self.version, action, reply[2]) is None
                return before
            before.append(reply)

    async def answer(self, raw: str | bytes) -> list[Any] | None:
        """The one reply to ``raw`` (None: no answer at all)."""
        before = await self.exchange(raw)
        assert len(before) <= 1, f"{raw!r} got {len(before)} answers: {before}"
        return before[0] if before else None


@contextlib.asynccontextmanager
async def running(version: str, defects: Collection[str] = ()) -> AsyncIterator[StubCsms]:
    """A stub CSMS on a free loopback port and a reference station of ``version`` connected
    and booted against it."""
    csms = StubCsms(version)
    subprotocol = Subprotocol("ocpp1.6" if version == "1.6" else "ocpp2.0.1")
    async with serve(csms.handler, "127.0.0.1", 0, subprotocols=[subprotocol]) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        url = f"ws://127.0.0.1:{port}/ocpp"
        station: ReferenceStation | ReferenceStation201
        if version == "1.6":
            station = ReferenceStation(
                csms_url=url,
                defects=defects,
                response_timeout=TIMEOUT,
                reconnect_delay=0.1,
                reconnect_max_delay=0.5,
            )
        else:
            station = ReferenceStation201(
                url, defects=defects, response_timeout=TIMEOUT, reconnect_delay=0.1
            )
        await station.start()
        try:
            await asyncio.wait_for(station.online.wait(), TIMEOUT)
            await asyncio.wait_for(csms.connections.get(), TIMEOUT)
            yield csms
        finally:
            await station.stop()


def _call(unique_id: str, action: str, payload: Any) -> str:
    return json.dumps([2, unique_id, action, payload])


def _assert_error(reply: list[Any] | None, unique_id: str, code: str) -> None:
    assert reply is not None, f"no answer, expected CallError {code}"
    assert reply[:3] == [4, unique_id, code], reply
    assert isinstance(reply[3], str) and reply[3] and reply[4] == {}, reply


# -- invalid payloads: one per mutation class, the code the version's table assigns ----------

INVALID: dict[str, list[tuple[str, str, dict[str, Any], str]]] = {
    "1.6": [
        (
            rules.WRONG_TYPE,
            "GetConfiguration",
            {"key": "HeartbeatInterval"},
            "TypeConstraintViolation",
        ),
        (
            rules.WRONG_TYPE,
            "RemoteStopTransaction",
            {"transactionId": "7"},
            "TypeConstraintViolation",
        ),
        (rules.MISSING_REQUIRED, "CancelReservation", {}, "ProtocolError"),
        (
            rules.ENUM_VALUE,
            "GetCompositeSchedule",
            {"connectorId": 1, "duration": 60, "chargingRateUnit": "kW"},
            "PropertyConstraintViolation",
        ),
        (rules.TOO_LONG, "DataTransfer", {"vendorId": "v" * 256}, "TypeConstraintViolation"),
        (
            rules.EXTRA_PROPERTY,
            "CancelReservation",
            {"reservationId": 1, "connectorId": 1},
            "FormationViolation",
        ),
        (
            rules.BAD_DATETIME,
            "ReserveNow",
            {"connectorId": 1, "expiryDate": "tomorrow", "idTag": "T", "reservationId": 1},
            "TypeConstraintViolation",
        ),
    ],
    "2.0.1": [
        (
            rules.WRONG_TYPE,
            "GetCompositeSchedule",
            {"duration": 60, "evseId": "1"},
            "TypeConstraintViolation",
        ),
        (rules.MISSING_REQUIRED, "CancelReservation", {}, "OccurrenceConstraintViolation"),
        (
            rules.ENUM_VALUE,
            "GetCompositeSchedule",
            {"duration": 60, "evseId": 1, "chargingRateUnit": "kW"},
            "PropertyConstraintViolation",
        ),
        (rules.TOO_LONG, "DataTransfer", {"vendorId": "v" * 256}, "TypeConstraintViolation"),
        (
            rules.EXTRA_PROPERTY,
            "GetTransactionStatus",
            {"transactionId": "T1", "evseId": 1},
            "FormatViolation",
        ),
        (
            rules.BAD_DATETIME,
            "ReserveNow",
            {
                "id": 1,
                "expiryDateTime": "2027-01-01T00:00:00.123456Z",
                "idToken": {"idToken": "T", "type": "ISO14443"},
            },
            "TypeConstraintViolation",
        ),
    ],
}


@pytest.mark.asyncio
@pytest.mark.parametrize("version", VERSIONS)
async def test_invalid_payloads_get_their_class_code(version: str) -> None:
    """Each class of invalid payload gets one of the codes the version's table assigns to it,
    and the connection stays usable (issue 15 point 3)."""
    ocpp_version = get_version(version)
    async with running(version) as csms:
        for n, (mutation, action, payload, code) in enumerate(INVALID[version]):
            assert code in rules.invalid_payload_rule(ocpp_version, mutation).expected
            reply = await csms.answer(_call(f"bad-{n}", action, payload))
            _assert_error(reply, f"bad-{n}", code)


# -- frames ----------------------------------------------------------------------------------

# (frame, 1.6 answer, 2.0.1 answer); an answer is (message id, code) or None for silence.
FRAMES: list[tuple[str, tuple[str, str] | None, tuple[str, str] | None]] = [
    ("this is not JSON", None, ("-1", "RpcFrameworkError")),
    ('{"not": "an array"}', None, ("-1", "RpcFrameworkError")),
    ("[]", None, ("-1", "RpcFrameworkError")),
    ('[2, 17, "GetLocalListVersion", {}]', None, ("-1", "RpcFrameworkError")),
    (
        '[7, "f-type", "GetLocalListVersion", {}]',
        ("f-type", "ProtocolError"),
        ("f-type", "MessageTypeNotSupported"),
    ),
    (
        '[2, "f-short", "GetLocalListVersion"]',
        ("f-short", "FormationViolation"),
        ("f-short", "RpcFrameworkError"),
    ),
    (
        '[2, "f-list", "GetLocalListVersion", []]',
        ("f-list", "FormationViolation"),
        ("f-list", "RpcFrameworkError"),
    ),
    (
        '[2, "f-action", 12, {}]',
        ("f-action", "FormationViolation"),
        ("f-action", "RpcFrameworkError"),
    ),
    (
        _call("x" * 37, "GetLocalListVersion", {}),
        ("x" * 37, "FormationViolation"),
        ("x" * 37, "RpcFrameworkError"),
    ),
    (
        _call("f-unknown", "MakeCoffee", {}),
        ("f-unknown", "NotImplemented"),
        ("f-unknown", "NotImplemented"),
    ),
    # A known action the station does not handle (it is the CSMS's to answer): NotSupported.
    (
        _call("f-csms", "Heartbeat", {}),
        ("f-csms", "NotSupported"),
        ("f-csms", "NotSupported"),
    ),
    # A stray reply is never answered, nor a malformed one.
    ('[3, "nobody-asked", {}]', None, None),
    ('[4, "nobody-asked", "GenericError"]', None, None),
]


@pytest.mark.asyncio
@pytest.mark.parametrize("version", VERSIONS)
async def test_binary_and_non_json_constants(version: str) -> None:
    """A binary frame and a NaN are not OCPP-J text: 2.0.1 answers RpcFrameworkError with
    message id "-1" (Part 4 §4.2.3), 1.6 has no answer to give and drops them."""
    frames: list[str | bytes] = [
        _call("bin", "GetLocalListVersion", {}).encode(),
        '[2, "nan", "DataTransfer", {"vendorId": "v", "data": NaN}]',
    ]
    async with running(version) as csms:
        for raw in frames:
            reply = await csms.answer(raw)
            if version == "1.6":
                assert reply is None, (raw, reply)
            else:
                _assert_error(reply, "-1", "RpcFrameworkError")


@pytest.mark.asyncio
@pytest.mark.parametrize("version", VERSIONS)
async def test_frames_get_the_answer_the_version_defines(version: str) -> None:
    async with running(version) as csms:
        for raw, answer16, answer201 in FRAMES:
            expected = answer16 if version == "1.6" else answer201
            reply = await csms.answer(raw)
            if expected is None:
                assert reply is None, f"{raw!r}: expected silence, got {reply}"
            else:
                _assert_error(reply, *expected)


# -- valid random payloads of the safe subset ------------------------------------------------


def _draw(strategy: SearchStrategy[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """``count`` examples of ``strategy``, the same each run (derandomized)."""
    drawn: list[dict[str, Any]] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def collect(value: dict[str, Any]) -> None:
        drawn.append(value)

    collect()
    return drawn


@pytest.mark.asyncio
@pytest.mark.parametrize("version", VERSIONS)
async def test_random_valid_payloads_get_valid_answers(version: str) -> None:
    """Issue 15 point 2: a schema-valid request of the safe subset gets a CallResult valid
    against the response schema, or a CallError legal for a valid payload, never a crash."""
    ocpp_version = get_version(version)
    findings = rules.valid_payload_findings(ocpp_version) | {"InternalError", "GenericError"}
    problems: list[str] = []
    async with running(version) as csms:
        for action in rules.SAFE_CSMS_TO_STATION[version]:
            examples = _draw(payloads(ocpp_version, action), EXAMPLES_PER_ACTION)
            for n, payload in enumerate(examples):
                unique_id = f"{action}-{n}"
                reply = await csms.answer(_call(unique_id, action, payload))
                if reply is None or reply[1] != unique_id:
                    problems.append(f"{action} {payload}: got {reply}")
                elif reply[0] == 3:
                    why = response_error(version, action, reply[2])
                    if why is not None:
                        problems.append(f"{action} {payload}: invalid answer {reply[2]}: {why}")
                elif reply[2] in findings or reply[2] not in LEGAL_FOR_VALID:
                    problems.append(f"{action} {payload}: CallError {reply[2:]}")
    assert not problems, "\n".join(problems)


@pytest.mark.asyncio
async def test_random_evse_and_component_names_2_0_1() -> None:
    """Values the handlers once had to be taught: an EVSE that does not exist, a component and
    a variable nobody defined, ids at the int32 edge."""
    cases = [
        ("GetCompositeSchedule", {"duration": 60, "evseId": 47}),
        (
            "GetVariables",
            {
                "getVariableData": [
                    {
                        "component": {"name": "NoSuchThing", "evse": {"id": 47, "connectorId": 9}},
                        "variable": {"name": "Nothing", "instance": "x"},
                        "attributeType": "MaxSet",
                    }
                ]
            },
        ),
        ("CancelReservation", {"reservationId": 2**31 - 1}),
        (
            "GetChargingProfiles",
            {"requestId": 1, "evseId": 47, "chargingProfile": {"chargingProfileId": [2**31 - 1]}},
        ),
        ("GetDisplayMessages", {"requestId": 1, "id": [0, 2**31 - 1], "priority": "AlwaysFront"}),
        (
            "GetInstalledCertificateIds",
            {"certificateType": ["V2GRootCertificate", "MORootCertificate"]},
        ),
    ]
    async with running("2.0.1") as csms:
        for n, (action, payload) in enumerate(cases):
            reply = await csms.answer(_call(f"edge-{n}", action, payload))
            assert reply is not None and reply[0] == 3, (action, reply)
            assert response_error("2.0.1", action, reply[2]) is None, (action, reply)


# -- the four fuzz variants ------------------------------------------------------------------


def test_fuzz_variants_are_in_both_tables() -> None:
    assert set(FUZZ_DEFECTS) <= set(DEFECTS16) and set(FUZZ_DEFECTS) <= set(DEFECTS201)
    assert set(FUZZ_DEFECTS) == {
        "fuzz_accepts_invalid",
        "fuzz_generic_error",
        "fuzz_closes_on_unknown_action",
        "fuzz_silent_on_bad_frame",
    }


def _bad_frame(version: str) -> tuple[str, tuple[str, str]]:
    """A frame both versions answer: a Call whose payload is an array."""
    code = "FormationViolation" if version == "1.6" else "RpcFrameworkError"
    return '[2, "bf", "GetLocalListVersion", []]', ("bf", code)


def _invalid(version: str) -> tuple[str, str]:
    """A Call of a safe action missing a required property, and the conformant code."""
    code = "ProtocolError" if version == "1.6" else "OccurrenceConstraintViolation"
    return _call("inv", "CancelReservation", {}), code


@pytest.mark.asyncio
@pytest.mark.parametrize("version", VERSIONS)
async def test_fuzz_accepts_invalid(version: str) -> None:
    raw_invalid, _ = _invalid(version)
    raw_frame, frame_answer = _bad_frame(version)
    async with running(version, ["fuzz_accepts_invalid"]) as csms:
        reply = await csms.answer(raw_invalid)
        assert reply is not None and reply[:2] == [3, "inv"], reply
        assert response_error(version, "CancelReservation", reply[2]) is None
        # Only that behaviour is broken.
        _assert_error(await csms.answer(raw_frame), *frame_answer)
        _assert_error(await csms.answer(_call("u", "MakeCoffee", {})), "u", "NotImplemented")


@pytest.mark.asyncio
@pytest.mark.parametrize("version", VERSIONS)
async def test_fuzz_generic_error(version: str) -> None:
    raw_invalid, _ = _invalid(version)
    raw_frame, frame_answer = _bad_frame(version)
    async with running(version, ["fuzz_generic_error"]) as csms:
        _assert_error(await csms.answer(raw_invalid), "inv", "GenericError")
        bad_type = _call("t", "CancelReservation", {"reservationId": "one"})
        _assert_error(await csms.answer(bad_type), "t", "GenericError")
        _assert_error(await csms.answer(raw_frame), *frame_answer)
        _assert_error(await csms.answer(_call("u", "MakeCoffee", {})), "u", "NotImplemented")


@pytest.mark.asyncio
@pytest.mark.parametrize("version", VERSIONS)
async def test_fuzz_closes_on_unknown_action(version: str) -> None:
    """The variant drops the connection, then reconnects as after any lost connection."""
    raw_invalid, code = _invalid(version)
    async with running(version, ["fuzz_closes_on_unknown_action"]) as csms:
        _assert_error(await csms.answer(raw_invalid), "inv", code)
        first = csms.ws
        assert first is not None
        await first.send(_call("u", "MakeCoffee", {}))
        await asyncio.wait_for(first.wait_closed(), TIMEOUT)
        assert csms.replies.empty(), "the variant answered before closing"
        second = await asyncio.wait_for(csms.connections.get(), TIMEOUT)
        assert second is not first
        _assert_error(await csms.answer(raw_invalid), "inv", code)


@pytest.mark.asyncio
@pytest.mark.parametrize("version", VERSIONS)
async def test_fuzz_silent_on_bad_frame(version: str) -> None:
    raw_invalid, code = _invalid(version)
    raw_frame, _ = _bad_frame(version)
    async with running(version, ["fuzz_silent_on_bad_frame"]) as csms:
        assert await csms.answer(raw_frame) is None
        assert await csms.answer("[2, 17, 'nope'") is None
        assert await csms.answer('[7, "f-type", "GetLocalListVersion", {}]') is None
        _assert_error(await csms.answer(raw_invalid), "inv", code)
        _assert_error(await csms.answer(_call("u", "MakeCoffee", {})), "u", "NotImplemented")
