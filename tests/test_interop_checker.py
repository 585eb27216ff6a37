"""Issue 23 in process: ``--ocpp-check-trace`` finds each kind of violation and names its
frame; the trigger-API operators keep the operator contract (unmapped: not applicable; HTTP
error or timeout: operator error; the TCK's 501: not applicable, 502/504: operator error).

Traces here are written by hand, a few records each, so every test shows the one frame that
breaks one rule; the clean case is a recorded run (tests/test_interop.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import run_pytest

from pytest_ocpp.interop import checker, opentrace, trigger
from pytest_ocpp.reference.runner import BackgroundLoop
from pytest_ocpp.verdicts import NotApplicable, OperatorFailed


def record(direction: str, kind: str, message_id: str, **fields: Any) -> dict[str, Any]:
    """One open-ocpp-trace record with a raw that decodes to it."""
    entry: dict[str, Any] = {
        "schemaVersion": "1.1",
        "timestamp": "2026-01-01T00:00:00.000Z",
        "ocppVersion": fields.pop("version", "1.6"),
        "transport": "json",
        "chargePointId": "CP_1",
        "direction": direction,
        "messageType": kind,
        "messageId": message_id,
    }
    entry.update(fields)
    number = opentrace.TYPE_NUMBERS[kind]
    if kind == "CALL":
        frame = [number, message_id, fields["action"], fields["payload"]]
    elif kind == "CALLRESULT":
        frame = [number, message_id, fields["payload"]]
    else:
        error = fields["error"]
        frame = [number, message_id, error["code"], error["description"], error["details"]]
    entry["raw"] = json.dumps(frame, separators=(",", ":"))
    return entry


UP, DOWN = "cp-to-csms", "csms-to-cp"
EVSE_TRIGGER = {"requestedMessage": "MeterValues", "evse": {"id": 1}}
VARIABLES = {"getVariableData": [{"component": {"name": "C"}, "variable": {"name": "V"}}]}


def call(message_id: str, action: str, payload: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return record(kw.pop("direction", UP), "CALL", message_id, action=action, payload=payload, **kw)


def result(message_id: str, payload: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return record(kw.pop("direction", DOWN), "CALLRESULT", message_id, payload=payload, **kw)


def status(message_id: str, connector: int, value: str) -> list[dict[str, Any]]:
    payload = {"connectorId": connector, "status": value, "errorCode": "NoError"}
    return [call(message_id, "StatusNotification", payload), result(message_id, {})]


BOOT = [
    call("b1", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}),
    result("b1", {"currentTime": "2026-01-01T00:00:00Z", "interval": 300, "status": "Accepted"}),
]


def lines(records: list[dict[str, Any]], start: int = 1) -> list[opentrace.Line]:
    return [opentrace.Line(n, json.dumps(r), r) for n, r in enumerate(records, start=start)]


def violations(records: list[dict[str, Any]]) -> list[checker.Violation]:
    return checker.check(lines(records))


def only(records: list[dict[str, Any]], rule: str) -> checker.Violation:
    found = violations(records)
    assert [v.rule for v in found] == [rule], [v.render() for v in found]
    return found[0]


def test_a_clean_session_has_no_violation() -> None:
    assert violations(BOOT + status("s1", 1, "Available") + status("s2", 1, "Preparing")) == []


def error(message_id: str, code: str, version: str = "1.6") -> dict[str, Any]:
    failure = {"code": code, "description": "", "details": {}}
    return record(DOWN, "CALLERROR", message_id, error=failure, version=version)


def test_a_payload_breaking_its_schema_names_the_frame() -> None:
    bad = call("h1", "Heartbeat", {"extra": 1})
    found = only([*BOOT, bad, error("h1", "FormationViolation")], "schema")
    assert found.lines == (3,)
    assert "Heartbeat" in found.render() and bad["raw"] in found.render()


def test_an_unanswered_call() -> None:
    found = only([*BOOT, call("h1", "Heartbeat", {})], "correlation")
    assert found.lines == (3,) and "never answered" in found.message


def test_a_call_answered_twice_and_a_reply_to_nothing() -> None:
    again = result(
        "b1", {"currentTime": "2026-01-01T00:00:00Z", "interval": 300, "status": "Accepted"}
    )
    found = violations([*BOOT, again, result("zz", {})])
    assert [(v.rule, v.lines) for v in found] == [("correlation", (1, 3)), ("correlation", (4,))]
    assert "already answered" in found[0].message and "answers nothing" in found[1].message


def test_a_reused_message_id_names_both_frames() -> None:
    first = call("m1", "Heartbeat", {})
    second = call(
        "m1",
        "StatusNotification",
        {"connectorId": 1, "status": "Available", "errorCode": "NoError"},
    )
    found = only(
        [
            *BOOT,
            first,
            result("m1", {"currentTime": "2026-01-01T00:00:00Z"}),
            second,
            result("m1", {}),
        ],
        "message id",
    )
    assert found.lines == (3, 5)
    assert first["raw"] in found.render() and second["raw"] in found.render()


def test_a_six_digit_timestamp_in_201_breaks_the_date_time_rule() -> None:
    boot = call(
        "b1",
        "BootNotification",
        {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}},
        version="2.0.1",
    )
    answer = result(
        "b1",
        {"currentTime": "2026-01-01T00:00:00.123456Z", "interval": 300, "status": "Accepted"},
        version="2.0.1",
    )
    found = only([boot, answer], "date-time")
    assert found.lines == (2, 1)
    assert "6 fractional digits" in found.message and "SHALL NOT exceed 3" in found.message
    # the same frame in 1.6, whose ISO 8601 fractions are open, is fine
    assert violations([*BOOT[:1], result("b1", answer["payload"])]) == []


def test_a_forbidden_status_transition_quotes_both_reports() -> None:
    trace = BOOT + status("s1", 1, "Available") + status("s2", 1, "Finishing")
    found = only(trace, "status transition")
    assert found.lines == (3, 5)
    assert "from Available to Finishing" in found.message and "§4.9" in found.message


def test_a_boot_starts_the_connector_statuses_afresh() -> None:
    trace = (
        BOOT
        + status("s1", 1, "Charging")
        + [
            call("b2", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}),
            result("b2", BOOT[1]["payload"]),
        ]
        + status("s2", 1, "Reserved")
    )
    assert violations(trace) == []


def test_an_error_code_the_version_does_not_define() -> None:
    error = {"code": "FormatViolation", "description": "", "details": {}}  # a 2.0.1 spelling
    trace = [*BOOT, call("h1", "Heartbeat", {}), record(DOWN, "CALLERROR", "h1", error=error)]
    found = only(trace, "error code")
    assert found.lines == (3, 4) and "FormationViolation" in found.message


# -- CallError codes legal for the situation (OCPP-J 1.6 §4.2.3, 2.0.1 Part 4 §4.3) ------------
HEARTBEAT_201 = call("h1", "Heartbeat", {}, version="2.0.1")


@pytest.mark.parametrize(
    ("version", "code"),
    [
        ("1.6", "FormationViolation"),
        ("1.6", "TypeConstraintViolation"),
        ("2.0.1", "FormatViolation"),
        ("2.0.1", "RpcFrameworkError"),
        ("2.0.1", "MessageTypeNotSupported"),
    ],
)
def test_a_valid_call_refused_as_malformed(version: str, code: str) -> None:
    """A schema-valid Heartbeat refused with a code that says the payload or frame is broken
    (fuzz.rules.valid_payload_findings): one finding naming both frames and the table."""
    heartbeat = call("h1", "Heartbeat", {}, version=version)
    boot = BOOT if version == "1.6" else []
    found = only([*boot, heartbeat, error("h1", code, version)], "error code")
    assert found.lines == (len(boot) + 1, len(boot) + 2)
    assert f"says {code}" in found.message and "§4" in found.message
    assert heartbeat["raw"] in found.render()


@pytest.mark.parametrize(
    "code",
    [
        # A value may break a rule no schema holds (an unknown connector, a field the text
        # makes conditional): the tables allow these for a schema-valid payload.
        "PropertyConstraintViolation",
        "OccurrenceConstraintViolation",
        "ProtocolError",
        "NotSupported",
        "InternalError",
        "SecurityError",
    ],
)
def test_a_valid_call_refused_with_a_code_its_situation_allows(code: str) -> None:
    assert violations([HEARTBEAT_201, error("h1", code, "2.0.1")]) == []


STATUS_16 = {"connectorId": 1, "status": "Available", "errorCode": "NoError"}


@pytest.mark.parametrize(
    ("broken", "codes"),
    [
        ({"status": "Available", "errorCode": "NoError"}, "OccurenceConstraintViolation, Protoc"),
        ({**STATUS_16, "extra": 1}, "(FormationViolation, ProtocolError)"),
        ({**STATUS_16, "connectorId": "1"}, "(TypeConstraintViolation)"),
        ({**STATUS_16, "info": "x" * 51}, "(PropertyConstraintViolation, TypeConstraintViolation)"),
        ({**STATUS_16, "timestamp": "yesterday"}, "(PropertyConstraintViolation, TypeConstr"),
    ],
    ids=["missing", "extra", "wrong type", "too long", "not a date-time"],
)
def test_an_invalid_call_accepted_with_a_callresult(broken: dict[str, Any], codes: str) -> None:
    """The receiver should have refused it with a code fuzz.rules.invalid_payload_rule gives
    that class of fault: the CALL breaks its schema (one finding) and the CALLRESULT accepting
    it is another, naming both frames and those codes."""
    bad = call("s1", "StatusNotification", broken)
    accepted = result("s1", {})
    found = violations([*BOOT, bad, accepted])
    assert [(v.rule, v.lines) for v in found] == [("schema", (3,)), ("error code", (3, 4))]
    misfit = found[1]
    assert "accepted with a CALLRESULT" in misfit.message and "§4.2.3" in misfit.message
    assert codes in misfit.message and accepted["raw"] in misfit.render()


@pytest.mark.parametrize(
    ("action", "payload", "answer"),
    [
        # OCTT TC_N_07_CS: a monitoringBase outside the enumeration, answered NotSupported as
        # N03.FR.02 says; the CALL's schema finding stays, the answer is no finding.
        ("SetMonitoringBase", {"monitoringBase": "UnknownBase"}, {"status": "NotSupported"}),
        # A list under its minItems: a bound, not a structural fault.
        (
            "GetVariables",
            {"getVariableData": []},
            {
                "getVariableResult": [
                    {"attributeStatus": "Rejected", **VARIABLES["getVariableData"][0]}
                ]
            },
        ),
    ],
)
def test_a_callresult_to_a_value_out_of_its_range_is_not_judged(
    action: str, payload: dict[str, Any], answer: dict[str, Any]
) -> None:
    trace = [call("x1", action, payload, version="2.0.1", direction=DOWN)]
    trace.append(result("x1", answer, version="2.0.1", direction=UP))
    found = violations(trace)
    assert [(v.rule, v.lines) for v in found] == [("schema", (1,))], [v.render() for v in found]


@pytest.mark.parametrize(
    "code", ["FormationViolation", "OccurenceConstraintViolation", "NotSupported"]
)
def test_an_invalid_call_refused_with_any_defined_code_is_not_judged_further(code: str) -> None:
    """One CALL may break several rules and each table row fits some: only the CALL's own
    schema finding remains."""
    found = violations([*BOOT, call("h1", "Heartbeat", {"extra": 1}), error("h1", code)])
    assert [v.rule for v in found] == ["schema"]


def test_a_call_whose_only_fault_is_2_0_1_date_time_precision_may_be_accepted() -> None:
    """The schema's date-time format accepts 6 fractional digits; only Part 2's precision rule
    does not. A lenient receiver is no finding: the CALL's date-time finding is the only one."""
    event = call(
        "s1",
        "SecurityEventNotification",
        {"type": "StartupOfTheDevice", "timestamp": "2026-01-01T00:00:00.123456Z"},
        version="2.0.1",
    )
    found = violations([event, result("s1", {}, version="2.0.1")])
    assert [v.rule for v in found] == ["date-time"]


def test_an_empty_trace_is_one_failure_not_a_pass(tmp_path: Path) -> None:
    """A capture that recorded nothing (a wrong file, a proxy that saw no traffic) is not
    clean: one failing item, no passing rule."""
    assert [v.render() for v in checker.check([])] == [f"trace format: {checker.EMPTY}"]
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n", "utf-8")
    done = run_pytest(tmp_path, "--ocpp-check-trace", str(path), "-rf")
    assert done.returncode == 1, done.stdout[-3000:]
    assert "FAILED empty.jsonl::trace-format[no frames]" in done.stdout
    assert "holds no frames" in done.stdout and "1 failed in" in done.stdout


def test_broken_lines_framing_and_raw_are_findings_not_crashes() -> None:
    not_a_record = opentrace.Line(1, "{nope", None, "not JSON: ...")
    no_direction = {k: v for k, v in BOOT[0].items() if k != "direction"}
    lying_raw = {**BOOT[0], "raw": '[2,"b1","Heartbeat",{}]'}
    long_id = call("x" * 40, "Heartbeat", {})
    found = checker.check([not_a_record, *lines([no_direction, lying_raw, long_id], start=2)])
    rules = [(v.rule, v.lines) for v in found]
    assert ("trace format", (1,)) in rules  # not JSON
    assert ("trace format", (2,)) in rules  # breaks the record schema (no direction)
    assert ("trace format", (3,)) in rules  # raw is not the frame the record decomposes
    assert any(v.rule == "framing" and "longer than 36" in v.message for v in found)
    assert sum(v.rule == "trace format" for v in found) == 3, [v.render() for v in found]


def test_check_trace_gives_one_failing_item_per_violation(tmp_path: Path) -> None:
    """Through pytest, as a user runs it: the exit status, the item names, the quoted frame."""
    trace = BOOT + status("s1", 1, "Available") + status("s2", 1, "Finishing")
    trace += [call("h1", "Heartbeat", {})]
    path = tmp_path / "capture.jsonl"
    opentrace.write(path, trace)
    done = run_pytest(tmp_path, "--ocpp-check-trace", str(path), "-rf")
    assert done.returncode == 1, done.stdout[-3000:]
    assert "FAILED capture.jsonl::status-transition[line 3+5]" in done.stdout
    assert "FAILED capture.jsonl::correlation[line 7]" in done.stdout
    assert "2 failed, 7 passed" in done.stdout
    assert '[2,"s2","StatusNotification"' in done.stdout  # the frame, quoted


# -- the trigger-API operators -----------------------------------------------------------------
JOB = {"kind": "request", "station_id": "CP 1", "action": "Reset", "payload": {"type": "Hard"}}


@pytest.fixture(scope="module")
def http() -> Iterator[tuple[str, list[tuple[str, str, Any]]]]:
    """A tiny HTTP server answering by path: ``/status/<code>/...`` with that code, ``/hang``
    never; it records (method, path, body) of every request."""
    seen: list[tuple[str, str, Any]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        method, path = head.split()[:2]
        length = int(
            next(
                (
                    h.split(":")[1]
                    for h in head.split("\r\n")
                    if h.lower().startswith("content-length")
                ),
                "0",
            )
        )
        body = json.loads(await reader.readexactly(length)) if length else None
        seen.append((method, path, body))
        if path.startswith("/hang"):
            await asyncio.sleep(30)
        code = int(path.split("/")[2]) if path.startswith("/status/") else 200
        data = json.dumps({"error": {"code": "x", "message": f"said {code}"}}).encode()
        writer.write(f"HTTP/1.1 {code} X\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data)
        await writer.drain()
        writer.close()

    with BackgroundLoop("interop-http") as loop:
        server = loop.run(asyncio.start_server(handle, "127.0.0.1", 0))
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", seen
        server.close()


def perform(setting: str, job: dict[str, Any], timeout: float = 2.0) -> None:
    performer, _name = trigger.trigger_performer(setting, timeout)
    asyncio.run(performer(job))


@pytest.mark.parametrize(
    ("version", "action", "payload", "path"),
    [
        # 1.6: its README's kebab-case table.
        ("1.6", "Reset", {"type": "Hard"}, "/api/octt/1.6/CP%201/reset"),
        # 2.0.1: the generic call/{Action} (tzi-OCTT's send_call, reset(), get_report()) ...
        ("2.0.1", "Reset", {"type": "Immediate"}, "/api/octt/2.0.1/CP%201/call/Reset"),
        ("2.0.1", "ClearCache", {}, "/api/octt/2.0.1/CP%201/call/ClearCache"),
        # ... its dedicated routes where they carry the whole payload ...
        (
            "2.0.1",
            "TriggerMessage",
            {"requestedMessage": "Heartbeat"},
            "/api/octt/2.0.1/CP%201/trigger-message",
        ),
        ("2.0.1", "GetVariables", VARIABLES, "/api/octt/2.0.1/CP%201/get-variables"),
        # ... and call/ where they would drop part of it (trigger-message sends no evse).
        ("2.0.1", "TriggerMessage", EVSE_TRIGGER, "/api/octt/2.0.1/CP%201/call/TriggerMessage"),
    ],
)
def test_tzi_posts_the_whole_payload_to_a_route_tzi_octt_serves(
    http: Any, version: str, action: str, payload: dict[str, Any], path: str
) -> None:
    base, seen = http
    perform(
        f"tzi-octt:{base}", {**JOB, "action": action, "payload": payload, "ocpp_version": version}
    )
    assert seen[-1] == ("POST", path, payload)


def test_tck_posts_the_driver_contract_body(http: Any) -> None:
    base, seen = http
    job = {**JOB, "action": "RemoteStopTransaction", "payload": {"transactionId": 7}}
    perform(f"open-ocpp-tck:{base}", job)
    assert seen[-1] == (
        "POST",
        "/v1/charge-points/CP%201/operations/remote-stop",
        {"transaction": "7"},
    )


@pytest.mark.parametrize(
    ("kind", "code", "outcome"),
    [
        ("tzi-octt", 500, OperatorFailed),
        ("tzi-octt", 404, OperatorFailed),
        ("open-ocpp-tck", 501, NotApplicable),
        ("open-ocpp-tck", 502, OperatorFailed),
        ("open-ocpp-tck", 504, OperatorFailed),
    ],
)
def test_http_errors_keep_the_operator_contract(
    http: Any, kind: str, code: int, outcome: type
) -> None:
    base, _seen = http
    with pytest.raises(outcome, match=str(code)):
        perform(f"{kind}:{base}/status/{code}", JOB)


def test_an_api_that_hangs_is_an_operator_error(http: Any) -> None:
    base, _seen = http
    with pytest.raises(OperatorFailed, match=r"did not answer .* within 0\.3 s"):
        perform(f"tzi-octt:{base}/hang", JOB, timeout=0.3)


def test_an_api_nobody_serves_is_an_operator_error() -> None:
    with pytest.raises(OperatorFailed, match="cannot be reached"):
        perform("tzi-octt:http://127.0.0.1:9", JOB)


@pytest.mark.parametrize(
    ("kind", "job", "reason"),
    [
        (
            "tzi-octt",
            {**JOB, "action": "DataTransfer", "ocpp_version": "1.6"},
            "no endpoint for DataTransfer",
        ),
        (
            "tzi-octt",
            {
                "kind": "setup",
                "station_id": "CP",
                "setting": "energy_tariff",
                "value": 0.3,
                "ocpp_version": "2.0.1",
            },
            "no endpoint to configure energy_tariff",
        ),
        ("open-ocpp-tck", {**JOB, "ocpp_version": "2.0.1"}, "OCPP 1.6 operations only"),
        ("open-ocpp-tck", {**JOB, "action": "GetLog", "payload": {}}, "no operation for GetLog"),
        (
            "open-ocpp-tck",
            {
                **JOB,
                "action": "RemoteStartTransaction",
                "payload": {"idTag": "A", "chargingProfile": {}},
            },
            "cannot carry the chargingProfile",
        ),
    ],
)
def test_an_action_the_api_cannot_express_is_not_applicable(
    kind: str, job: dict[str, Any], reason: str
) -> None:
    with pytest.raises(NotApplicable, match=reason):
        perform(f"{kind}:http://127.0.0.1:9", job)


def test_every_csms_initiated_action_is_mapped_or_declared_not_applicable() -> None:
    """For both APIs and both versions: a route, or not applicable with a reason; never a
    KeyError or a guess."""
    for version in ("1.6", "2.0.1"):
        for action in trigger.csms_initiated(version):
            job = {
                "kind": "request",
                "station_id": "CP",
                "action": action,
                "payload": {},
                "ocpp_version": version,
            }
            for route in (trigger._tzi_route, trigger._tck_route):
                try:
                    method, path, _body, _what = route(job)
                except NotApplicable as exc:
                    assert action in exc.reason or "cannot carry" in exc.reason
                else:
                    assert method == "POST" and path.startswith(("/api/octt/", "/v1/"))
                    if path.startswith("/api/octt/2.0.1/"):
                        # Only a route tzi-OCTT's 2.0.1 CSMS serves (else its 404).
                        served = path.split("/", 5)[5].replace(f"call/{action}", "call/{Action}")
                        assert served in trigger.TZI_ROUTES_201, path


def test_a_trigger_operator_without_a_url_is_a_usage_error(tmp_path: Path) -> None:
    done = run_pytest(tmp_path, "--ocpp-reference", "--ocpp-csms-operator", "tzi-octt:5001")
    assert done.returncode == 4, done.stdout + done.stderr
    assert "give the API's base URL" in done.stderr


def test_a_station_side_trace_names_us_the_csms_and_skips_what_the_format_cannot_hold() -> None:
    """Testing a station, pytest-ocpp is the CSMS: what it sent is csms-to-cp. Events and a
    binary frame (only the fuzz properties send one) are no records."""
    from pytest_ocpp.trace import Trace

    trace = Trace()
    trace.event("step", "1. reset")
    trace.sent("CP_9", '[2,"r1","Reset",{"type":"Hard"}]')
    trace.received("CP_9", '[3,"r1",{"status":"Accepted"}]')
    trace.received("CP_9", b"\x00\x01")
    found, skipped = opentrace.records(trace, version="1.6", side="CS", case_id="TC_X_CS")
    assert skipped == 1
    assert [(r["direction"], r["messageType"], r.get("action")) for r in found] == [
        ("csms-to-cp", "CALL", "Reset"),
        ("cp-to-csms", "CALLRESULT", "Reset"),
    ]
    assert all(opentrace.schema_errors(r) == [] for r in found)
    assert found[0]["meta"] == {"producer": "pytest-ocpp", "case": "TC_X_CS"}
    assert checker.check(lines(found)) == []
