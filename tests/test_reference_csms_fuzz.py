"""The reference CSMS against the fuzz properties (issue 15), and its six ``fuzz_`` variants.

Driven by a plain ``websockets`` client with hand-written frames, like
``tests/test_reference_csms.py``: the fuzz properties (:mod:`pytest_ocpp.fuzz`) are proven
against this target elsewhere, so the target's own answers are pinned here without our core.

Each probe sends one hostile (or valid) frame on a fresh, booted connection, then a Heartbeat.
The reference handles a connection's frames one at a time, so the first answer tells silence
(the Heartbeat's answer comes first) from an answer, without waiting for a timeout; the
Heartbeat's answer also proves the connection is still usable (issue 15 point 3).

Every variant is run through every probe: it must break exactly the probes of its behaviour
and answer all others as the conformant reference does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from pytest_ocpp.fuzz import rules
from pytest_ocpp.fuzz.strategies import payloads
from pytest_ocpp.reference.csms import DEFECTS, ReferenceCsms
from pytest_ocpp.reference.validation import call_error, frame_error, response_error
from pytest_ocpp.versions import V16, V201

TIMEOUT = 5.0
SUBPROTOCOL = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}
BOOT = {
    "1.6": {"chargePointVendor": "Acme", "chargePointModel": "M1"},
    "2.0.1": {"reason": "PowerUp", "chargingStation": {"vendorName": "Acme", "model": "M1"}},
}
LONG_ID = "x" * 37

Outcome = tuple[Any, ...]
"""("silent",) | ("closed",) | ("result", id) | ("error", id, code) | ("tx", "distinct"|"same")"""


@asynccontextmanager
async def booted(csms: ReferenceCsms, version: str) -> AsyncIterator[ClientConnection]:
    async with connect(
        f"{csms.url}/CP_1", subprotocols=[SUBPROTOCOL[version]], open_timeout=TIMEOUT
    ) as ws:
        await ws.send(json.dumps([2, "boot", "BootNotification", BOOT[version]]))
        reply = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        assert reply[:2] == [3, "boot"] and reply[2]["status"] == "Accepted"
        yield ws


async def answer_to(ws: ClientConnection, frame: str | bytes) -> Outcome:
    """What ``frame`` gets, and a check that a Heartbeat after it is still answered."""
    await ws.send(frame)
    try:
        await ws.send(json.dumps([2, "hb", "Heartbeat", {}]))
        first = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    except ConnectionClosed:
        return ("closed",)
    if first[:2] == [3, "hb"]:
        return ("silent",)
    heartbeat = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    assert heartbeat[:2] == [3, "hb"], f"the Heartbeat after {frame!r} got {heartbeat}"
    if first[0] == 4:
        assert first[4] == {} and isinstance(first[3], str)
        return ("error", first[1], first[2])
    assert first[0] == 3, first
    return ("result", first[1])


def call(uid: str, action: str, payload: Any) -> str:
    return json.dumps([2, uid, action, payload])


@dataclass(frozen=True)
class Probe:
    name: str
    version: str
    frame: str | bytes
    conformant: Outcome
    kind: str
    """frame | payload | unknown | meter | valid: which variant must change it."""


def _probes() -> list[Probe]:
    probes: list[Probe] = []
    # Frames: (name, frame, 1.6 answer, 2.0.1 answer); None = silent.
    frames: list[tuple[str, str | bytes, Outcome | None, Outcome | None]] = [
        ("not JSON", "this is not JSON", None, ("-1", "RpcFrameworkError")),
        ("NaN is not JSON", "NaN", None, ("-1", "RpcFrameworkError")),
        ("not an array", '{"a": 1}', None, ("-1", "RpcFrameworkError")),
        ("empty array", "[]", None, ("-1", "RpcFrameworkError")),
        (
            "unknown type",
            '[7, "t1", "Heartbeat", {}]',
            ("t1", "ProtocolError"),
            ("t1", "MessageTypeNotSupported"),
        ),
        ("unknown type, no id", "[7]", None, ("-1", "RpcFrameworkError")),
        ("id not a string", '[2, 17, "Heartbeat", {}]', None, ("-1", "RpcFrameworkError")),
        (
            "id too long",
            call(LONG_ID, "Heartbeat", {}),
            (LONG_ID, "FormationViolation"),
            (LONG_ID, "RpcFrameworkError"),
        ),
        (
            "action not a string",
            '[2, "a1", 5, {}]',
            ("a1", "FormationViolation"),
            ("a1", "RpcFrameworkError"),
        ),
        (
            "payload not an object",
            '[2, "p1", "Heartbeat", [1]]',
            ("p1", "FormationViolation"),
            ("p1", "RpcFrameworkError"),
        ),
        (
            "three elements",
            '[2, "e1", "Heartbeat"]',
            ("e1", "FormationViolation"),
            ("e1", "RpcFrameworkError"),
        ),
        (
            "five elements",
            '[2, "e2", "Heartbeat", {}, {}]',
            ("e2", "FormationViolation"),
            ("e2", "RpcFrameworkError"),
        ),
        ("binary frame", call("b1", "Heartbeat", {}).encode(), None, ("-1", "RpcFrameworkError")),
        # Never answer a reply with an error: two peers could echo errors forever.
        ("malformed CallResult", '[3, "r1"]', None, None),
        ("malformed CallError", '[4, "r2", 5]', None, None),
        ("CallResult nobody asked for", '[3, "r3", {}]', None, None),
    ]
    for name, frame, v16, v201 in frames:
        for version, expected in (("1.6", v16), ("2.0.1", v201)):
            outcome = ("silent",) if expected is None else ("error", *expected)
            probes.append(Probe(name, version, frame, outcome, "frame"))
    # Payloads: one per mutation class (pytest_ocpp.fuzz.rules.MUTATIONS), per version.
    status16 = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
    status201 = {
        "timestamp": "2027-01-01T00:00:00.000Z",
        "connectorStatus": "Available",
        "evseId": 1,
        "connectorId": 1,
    }
    invalid: dict[str, list[tuple[str, str, dict[str, Any], str]]] = {
        "1.6": [
            (
                rules.MISSING_REQUIRED,
                "StatusNotification",
                _without(status16, "status"),
                "ProtocolError",
            ),
            (
                rules.WRONG_TYPE,
                "StatusNotification",
                {**status16, "connectorId": "1"},
                "TypeConstraintViolation",
            ),
            (
                rules.ENUM_VALUE,
                "StatusNotification",
                {**status16, "status": "Sleeping"},
                "PropertyConstraintViolation",
            ),
            (rules.TOO_LONG, "Authorize", {"idTag": "T" * 21}, "TypeConstraintViolation"),
            (rules.EXTRA_PROPERTY, "Heartbeat", {"extra": 1}, "FormationViolation"),
            (
                rules.BAD_DATETIME,
                "StatusNotification",
                {**status16, "timestamp": "yesterday"},
                "TypeConstraintViolation",
            ),
        ],
        "2.0.1": [
            (
                rules.MISSING_REQUIRED,
                "StatusNotification",
                _without(status201, "evseId"),
                "OccurrenceConstraintViolation",
            ),
            (
                rules.WRONG_TYPE,
                "StatusNotification",
                {**status201, "evseId": "1"},
                "TypeConstraintViolation",
            ),
            (
                rules.ENUM_VALUE,
                "StatusNotification",
                {**status201, "connectorStatus": "Busy"},
                "PropertyConstraintViolation",
            ),
            (
                rules.TOO_LONG,
                "Authorize",
                {"idToken": {"idToken": "T" * 37, "type": "Central"}},
                "TypeConstraintViolation",
            ),
            (rules.EXTRA_PROPERTY, "Heartbeat", {"extra": 1}, "FormatViolation"),
            # Four fractional digits: 2.0.1 Part 2 "dateTime" allows milliseconds at most.
            (
                rules.BAD_DATETIME,
                "StatusNotification",
                {**status201, "timestamp": "2027-01-01T00:00:00.0000Z"},
                "TypeConstraintViolation",
            ),
        ],
    }
    versions = {"1.6": V16, "2.0.1": V201}
    for version, cases in invalid.items():
        for mutation, action, payload, code in cases:
            assert code in rules.invalid_payload_rule(versions[version], mutation).expected
            probes.append(
                Probe(
                    mutation, version, call("m1", action, payload), ("error", "m1", code), "payload"
                )
            )
    meter = {
        "1.6": {"connectorId": 1, "meterValue": [_sample("2027-01-01T00:00:00Z", "12.5")]},
        "2.0.1": {"evseId": 1, "meterValue": [_sample("2027-01-01T00:00:00.000Z", 12.5)]},
    }
    for version in ("1.6", "2.0.1"):
        probes += [
            # "Requested Action is not known by receiver" (1.6 §4.2.3, 2.0.1 Part 4 §4.3).
            Probe(
                "unknown action",
                version,
                call("u1", "FlyToTheMoon", {}),
                ("error", "u1", "NotImplemented"),
                "unknown",
            ),
            # Known, but a CSMS-to-station request: recognised, not supported.
            Probe(
                "wrong direction",
                version,
                call("w1", "ClearCache", {}),
                ("error", "w1", "NotSupported"),
                "valid",
            ),
            Probe(
                "valid MeterValues",
                version,
                call("v1", "MeterValues", meter[version]),
                ("result", "v1"),
                "meter",
            ),
        ]
    return probes


def _without(payload: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != key}


def _sample(timestamp: str, value: str | float) -> dict[str, Any]:
    """A MeterValue: 1.6 sends the value as a string, 2.0.1 as a number."""
    return {"timestamp": timestamp, "sampledValue": [{"value": value}]}


PROBES = _probes()

VARIANTS: dict[str, tuple[str, Callable[[Probe], Outcome]]] = {
    "fuzz_accepts_invalid": ("payload", lambda p: ("result", p.conformant[1])),
    "fuzz_generic_error": ("payload", lambda p: ("error", p.conformant[1], "GenericError")),
    "fuzz_closes_on_unknown_action": ("unknown", lambda p: ("closed",)),
    "fuzz_silent_on_bad_frame": ("frame", lambda p: ("silent",)),
    "fuzz_meter_values_error": ("meter", lambda p: ("error", p.conformant[1], "InternalError")),
    "fuzz_repeats_transaction_ids": ("transaction", lambda p: ("tx", "same")),
}
"""defect -> (the kind of probe it breaks, what that probe gets instead)."""


def expected(probe: Probe, defect: str | None) -> Outcome:
    if defect is None:
        return probe.conformant
    kind, broken = VARIANTS[defect]
    return broken(probe) if probe.kind == kind else probe.conformant


async def transaction_ids(csms: ReferenceCsms) -> Outcome:
    """Two 1.6 StartTransactions on one station: distinct ids, as OCPP 1.6 §4.8 implies."""
    start = {
        "connectorId": 1,
        "idTag": "VALID_TAG_1",
        "meterStart": 0,
        "timestamp": "2027-01-01T00:00:00Z",
    }
    async with booted(csms, "1.6") as ws:
        ids = []
        for uid in ("s1", "s2"):
            await ws.send(call(uid, "StartTransaction", start))
            reply = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
            assert reply[:2] == [3, uid]
            ids.append(reply[2]["transactionId"])
    return ("tx", "same" if ids[0] == ids[1] else "distinct")


def test_variants_are_fuzz_defects() -> None:
    """The six variants are public defects named ``fuzz_``, documented as both versions'."""
    assert set(VARIANTS) == {name for name in DEFECTS if name.startswith("fuzz_")}
    assert "1.6 only" in DEFECTS["fuzz_repeats_transaction_ids"]


@pytest.mark.asyncio
@pytest.mark.parametrize("defect", [None, *VARIANTS], ids=lambda d: d or "conformant")
async def test_probes(defect: str | None) -> None:
    """The conformant reference answers every probe as the spec says; each variant breaks
    exactly its own probes."""
    async with ReferenceCsms(defects=[defect] if defect else []) as csms:
        seen: dict[tuple[str, str], Outcome] = {}
        wrong: dict[tuple[str, str], tuple[Outcome, Outcome]] = {}
        for probe in PROBES:
            async with booted(csms, probe.version) as ws:
                seen[(probe.version, probe.name)] = outcome = await answer_to(ws, probe.frame)
            if outcome != expected(probe, defect):
                wrong[(probe.version, probe.name)] = (outcome, expected(probe, defect))
        tx = await transaction_ids(csms)
    assert not wrong, wrong
    repeats = defect == "fuzz_repeats_transaction_ids"
    assert tx == ("tx", "same" if repeats else "distinct")


def test_probes_agree_with_validation() -> None:
    """The probe table and :mod:`pytest_ocpp.reference.validation` say the same, so the
    reference answers what the shared module decides (and the station side reuses it)."""
    for probe in PROBES:
        if probe.kind == "frame":
            fault = frame_error(probe.version, probe.frame)
            assert (("silent",) if fault is None else ("error", *fault[:2])) == probe.conformant
        elif probe.kind == "payload":
            _, uid, action, payload = json.loads(probe.frame)
            assert call_error(probe.version, action, payload) is not None
            assert ("error", uid, call_error(probe.version, action, payload)[0]) == (
                probe.conformant
            )


@pytest.mark.parametrize(
    ("version", "timestamp", "valid"),
    [
        ("1.6", "2027-01-01T00:00:00.123456Z", True),  # 1.6: any ISO 8601 fraction
        ("2.0.1", "2027-01-01T00:00:00.123456Z", False),  # 2.0.1: milliseconds at most
        ("2.0.1", "2027-01-01T00:00:00.123+02:00", True),
        ("1.6", "2027-01-01T00:00:00", False),  # RFC 3339 requires an offset
        ("1.6", "2027-02-29T00:00:00Z", False),  # not a leap year
        ("2.0.1", "2028-02-29T23:59:59Z", True),
    ],
)
def test_date_times(version: str, timestamp: str, valid: bool) -> None:
    payload = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
    if version == "2.0.1":
        payload = {"connectorStatus": "Available", "evseId": 1, "connectorId": 1}
    verdict = call_error(version, "StatusNotification", {**payload, "timestamp": timestamp})
    assert verdict is None if valid else verdict[0] == "TypeConstraintViolation"


def test_multiple_of_tolerates_float_noise() -> None:
    """``multipleOf: 0.1`` (1.6 charging schedules): 234.10000000000002 is 2341 tenths."""
    period = {"startPeriod": 0, "limit": 234.10000000000002}
    profile = {
        "chargingProfileId": 1,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [period]},
    }
    payload = {"connectorId": 1, "csChargingProfiles": profile}
    assert call_error("1.6", "SetChargingProfile", payload) is None
    period["limit"] = 234.15
    assert call_error("1.6", "SetChargingProfile", payload) == (
        "PropertyConstraintViolation",
        "SetChargingProfile: csChargingProfiles/chargingSchedule/chargingSchedulePeriod/0/limit:"
        " 234.15 is not a multiple of 0.1",
    )


EXAMPLES_PER_ACTION = 20
LEGAL_FOR_VALID = {"NotSupported", "PropertyConstraintViolation"}
"""CallErrors the reference may answer a schema-valid payload with: an action it does not
support (2.0.1 SignCertificate), or a value it cannot act on."""


def _examples(version: Any, action: str) -> list[dict[str, Any]]:
    drawn: list[dict[str, Any]] = []

    @settings(
        max_examples=EXAMPLES_PER_ACTION,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(payloads(version, action))
    def draw(payload: dict[str, Any]) -> None:
        drawn.append(payload)

    draw()
    return drawn


@pytest.mark.asyncio
@pytest.mark.parametrize("version", [V16, V201], ids=str)
async def test_random_valid_payloads(version: Any) -> None:
    """Issue 15 point 2: every station-to-CSMS action, ~20 schema-valid payloads each, gets a
    CallResult valid against its response schema or a legal CallError; never InternalError."""
    bad: list[str] = []
    async with ReferenceCsms() as csms, booted(csms, version.name) as ws:
        for action in rules.STATION_TO_CSMS[version.name]:
            for n, payload in enumerate(_examples(version, action)):
                uid = f"{action[:30]}{n}"
                await ws.send(call(uid, action, payload))
                reply = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
                assert reply[1] == uid
                if reply[0] == 3:
                    problem = response_error(version.name, action, reply[2])
                    if problem is not None:
                        bad.append(f"{action} {payload}: {problem}")
                elif reply[2] not in LEGAL_FOR_VALID:
                    bad.append(f"{action} {payload}: {reply[2:4]}")
        assert await answer_to(ws, call("v", "Heartbeat", {})) == ("result", "v")
    assert not bad, "\n".join(bad[:20])


BIG = 2**31 - 1
EDGE_PAYLOADS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "1.6": [
        (
            "StopTransaction",
            {"transactionId": BIG, "meterStop": 0, "timestamp": "2027-01-01T00:00:00Z"},
        ),
        (
            "StopTransaction",
            {
                "transactionId": -5,
                "meterStop": 0,
                "timestamp": "2027-01-01T00:00:00Z",
                "idTag": "NOBODY",
            },
        ),
        (
            "MeterValues",
            {
                "connectorId": BIG,
                "transactionId": BIG,
                "meterValue": [_sample("2027-01-01T00:00:00Z", "x")],
            },
        ),
        (
            "StatusNotification",
            {"connectorId": BIG, "errorCode": "OtherError", "status": "Faulted"},
        ),
        (
            "StartTransaction",
            {
                "connectorId": BIG,
                "idTag": "NOBODY",
                "meterStart": -1,
                "timestamp": "2027-01-01T00:00:00Z",
                "reservationId": BIG,
            },
        ),
        ("Authorize", {"idTag": "NOBODY"}),
        (
            "BootNotification",
            {"chargePointVendor": " ", "chargePointModel": "", "meterSerialNumber": "-"},
        ),
        ("DataTransfer", {"vendorId": "x", "messageId": "y", "data": "z" * 5000}),
    ],
    "2.0.1": [
        (
            "TransactionEvent",
            {
                "eventType": "Updated",
                "timestamp": "2027-01-01T00:00:00Z",
                "triggerReason": "MeterValuePeriodic",
                "seqNo": BIG,
                "transactionInfo": {"transactionId": "never-started"},
                "evse": {"id": BIG, "connectorId": BIG},
            },
        ),
        (
            "TransactionEvent",
            {
                "eventType": "Ended",
                "timestamp": "2027-01-01T00:00:00Z",
                "triggerReason": "StopAuthorized",
                "seqNo": 0,
                "transactionInfo": {"transactionId": "never-started", "stoppedReason": "Local"},
                "idToken": {"idToken": "NOBODY", "type": "ISO14443"},
            },
        ),
        ("MeterValues", {"evseId": BIG, "meterValue": [_sample("2027-01-01T00:00:00Z", -1e6)]}),
        (
            "StatusNotification",
            {
                "timestamp": "2027-01-01T00:00:00Z",
                "connectorStatus": "Faulted",
                "evseId": BIG,
                "connectorId": BIG,
            },
        ),
        ("Authorize", {"idToken": {"idToken": "NOBODY", "type": "eMAID"}}),
        (
            "BootNotification",
            {"reason": "Unknown", "chargingStation": {"vendorName": " ", "model": ""}},
        ),
        (
            "NotifyEVChargingNeeds",
            {"evseId": BIG, "chargingNeeds": {"requestedEnergyTransfer": "DC"}},
        ),
        ("ReservationStatusUpdate", {"reservationId": BIG, "reservationUpdateStatus": "Expired"}),
    ],
}
"""Hand-picked valid payloads the random ones rarely hit: unknown transactions and tags, the
largest int32 ids, odd boot values."""


@pytest.mark.asyncio
@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_edge_payloads(version: str) -> None:
    """No handler crashes (InternalError) on valid payloads naming things the CSMS does not
    know; each answer is a valid CallResult or a legal CallError."""
    async with ReferenceCsms() as csms, booted(csms, version) as ws:
        for n, (action, payload) in enumerate(EDGE_PAYLOADS[version]):
            assert call_error(version, action, payload) is None, (action, payload)
            await ws.send(call(f"e{n}", action, payload))
            reply = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
            assert reply[1] == f"e{n}"
            if reply[0] == 3:
                assert response_error(version, action, reply[2]) is None, (action, reply)
            else:
                assert reply[2] in LEGAL_FOR_VALID, (action, payload, reply)
