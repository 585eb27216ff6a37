"""Issue 23, 2.0.1 in ``--ocpp-check-trace``: connector status transitions (the 2.0.1 table in
:mod:`pytest_ocpp.csms.status_rules`), ChangeAvailability holds, TransactionEvent order, and
the message-id rule the checker now shares with the live Link (:mod:`pytest_ocpp.judging`).

Hand-written traces show one rule each, including what a real charger may legally do (repeats,
retries, late deliveries, reports through NotifyEvent) passing. Then a recorded run: 2.0.1
station-side cases against the reference station write open-ocpp-trace files that pass, and
copies edited to break each new rule fail with the rule's words, through pytest as a user
runs it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from harness import Report, reference_station201, run_pytest, run_suite
from test_interop_checker import BOOT, DOWN, call, lines, result

from pytest_ocpp import rpc
from pytest_ocpp.csms import status_rules
from pytest_ocpp.interop import checker, opentrace
from pytest_ocpp.judging import reused_message_id

V = "2.0.1"
BOOT201 = [
    call(
        "b1",
        "BootNotification",
        {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}},
        version=V,
    ),
    result(
        "b1",
        {"currentTime": "2026-01-01T00:00:00Z", "interval": 300, "status": "Accepted"},
        version=V,
    ),
]


def status(message_id: str, value: str, evse: int = 1, connector: int = 1) -> list[dict[str, Any]]:
    payload = {
        "timestamp": "2026-01-01T00:00:00Z",
        "connectorStatus": value,
        "evseId": evse,
        "connectorId": connector,
    }
    return [
        call(message_id, "StatusNotification", payload, version=V),
        result(message_id, {}, version=V),
    ]


def event_report(message_id: str, value: str, evse: int = 1) -> list[dict[str, Any]]:
    """The G01 alternative: NotifyEvent Connector/AvailabilityState."""
    data = {
        "eventId": 1,
        "timestamp": "2026-01-01T00:00:00Z",
        "trigger": "Delta",
        "actualValue": value,
        "eventNotificationType": "HardWiredNotification",
        "component": {"name": "Connector", "evse": {"id": evse, "connectorId": 1}},
        "variable": {"name": "AvailabilityState"},
    }
    payload = {"generatedAt": "2026-01-01T00:00:00Z", "seqNo": 0, "eventData": [data]}
    return [call(message_id, "NotifyEvent", payload, version=V), result(message_id, {}, version=V)]


def change(
    message_id: str, operational: str, answer: str = "Accepted", **evse: int
) -> list[dict[str, Any]]:
    payload: dict[str, Any] = {"operationalStatus": operational}
    if evse:
        payload["evse"] = {
            "id": evse["evse"],
            **({"connectorId": evse["connector"]} if "connector" in evse else {}),
        }
    return [
        call(message_id, "ChangeAvailability", payload, version=V, direction=DOWN),
        result(message_id, {"status": answer}, version=V, direction="cp-to-csms"),
    ]


def tx(
    message_id: str, event_type: str, seq_no: int, tx_id: str = "T1", at: str = "00"
) -> list[dict[str, Any]]:
    payload = {
        "eventType": event_type,
        "timestamp": f"2026-01-01T00:00:{at}Z",
        "triggerReason": "Authorized",
        "seqNo": seq_no,
        "transactionInfo": {"transactionId": tx_id},
    }
    return [
        call(message_id, "TransactionEvent", payload, version=V),
        result(message_id, {}, version=V),
    ]


def found_in(records: list[dict[str, Any]]) -> list[checker.Violation]:
    return checker.check(lines(records))


def only(records: list[dict[str, Any]], rule: str) -> checker.Violation:
    found = found_in(records)
    assert [v.rule for v in found] == [rule], [v.render() for v in found]
    return found[0]


# -- connector statuses: the 2.0.1 table -------------------------------------------------------
def test_the_201_table_allows_everything_but_what_a_requirement_forbids() -> None:
    """Every ordered pair of the five statuses, and each repeat, is legal except the listed
    ones: the spec sets no order among them (§3.23), so the table is permissive."""
    names = sorted(status_rules.CONNECTOR_TRANSITIONS_201)
    assert names == ["Available", "Faulted", "Occupied", "Reserved", "Unavailable"]
    for before in names:
        for after in names:
            trace = BOOT201 + status("s1", before) + status("s2", after)
            found = found_in(trace)
            if (before, after) in status_rules.CONNECTOR_FORBIDDEN_201:
                assert [v.rule for v in found] == ["status transition"], (before, after)
            else:
                assert found == [], (before, after, [v.render() for v in found])


def test_occupied_to_reserved_quotes_both_reports_and_the_requirement() -> None:
    trace = BOOT201 + status("s1", "Occupied") + status("s2", "Reserved")
    found = only(trace, "status transition")
    assert found.lines == (3, 5)
    assert "evseId 1 connectorId 1 went from Occupied to Reserved" in found.message
    assert "H01.FR.11" in found.message and "only available EVSEs can be reserved" in found.message
    assert '"connectorStatus":"Reserved"' in found.render()


def test_connectors_are_judged_apart_and_a_notify_event_report_counts() -> None:
    """Connector 1 of EVSE 2 is another stream; an Available reported through NotifyEvent
    (G01's alternative) sits between Occupied and Reserved, so nothing is skipped."""
    assert found_in(BOOT201 + status("s1", "Occupied") + status("s2", "Reserved", evse=2)) == []
    trace = (
        BOOT201
        + status("s1", "Occupied")
        + event_report("n1", "Available")
        + status("s2", "Reserved")
    )
    assert found_in(trace) == []


def test_a_boot_starts_201_statuses_afresh() -> None:
    trace = BOOT201 + status("s1", "Occupied") + BOOT201 + status("s2", "Reserved")
    assert found_in(trace) == []


# -- ChangeAvailability holds -----------------------------------------------------------------
def test_an_inoperative_connector_reporting_available_breaks_g03_even_after_a_reboot() -> None:
    trace = (
        BOOT201
        + status("s1", "Available")
        + change("c1", "Inoperative", evse=1)
        + status("s2", "Unavailable")
        + BOOT201
        + status("s3", "Available")
    )
    found = only(trace, "status transition")
    assert found.lines == (5, 7, 11)  # the request, the Unavailable report, the breaking one
    assert "reported Available while the ChangeAvailabilityRequest Inoperative" in found.message
    assert "G03.FR.06" in found.message and "G03.FR.08" in found.message
    assert '"operationalStatus":"Inoperative"' in found.render()


@pytest.mark.parametrize(
    ("release", "answer", "legal"),
    [
        (change("c2", "Operative", evse=1), "Accepted", True),  # the same level: released
        (change("c2", "Operative"), "Accepted", False),  # the station's level: not this hold
        ([], "Rejected", True),  # refused: no hold
        ([], "Scheduled", False),  # scheduled, then reported Unavailable: held
    ],
)
def test_what_releases_a_hold(release: list[dict[str, Any]], answer: str, legal: bool) -> None:
    trace = (
        BOOT201
        + change("c1", "Inoperative", answer, evse=1)
        + status("s1", "Unavailable")
        + status("s2", "Faulted")
        + release
        + status("s3", "Available")
    )
    assert (found_in(trace) == []) is legal, [v.render() for v in found_in(trace)]


def test_an_evse_made_operative_leaves_its_inoperative_connector_unavailable() -> None:
    """G03 Note 1: station, EVSE and connector have separate states."""
    trace = (
        BOOT201
        + change("c1", "Inoperative", evse=1, connector=1)
        + change("c2", "Inoperative", evse=1)
        + status("s1", "Unavailable")
        + change("c3", "Operative", evse=1)
        + status("s2", "Available")
    )
    assert "G03/G04 Note 1" in only(trace, "status transition").message


def test_a_scheduled_change_lets_the_transaction_finish_first() -> None:
    trace = (
        BOOT201
        + status("s1", "Occupied")
        + change("c1", "Inoperative", "Scheduled")
        + status("s2", "Occupied")
        + status("s3", "Unavailable", evse=2)
        + status("s4", "Unavailable")
    )
    assert found_in(trace) == []


# -- TransactionEvent order -------------------------------------------------------------------
def test_a_transaction_with_a_retry_and_a_late_delivery_is_clean() -> None:
    """E13 retries (same event again) and §1.3.2 late deliveries (an Updated arriving after
    the Ended, with a seqNo between) are legal; so is a trace that begins mid-transaction."""
    trace = (
        BOOT201
        + tx("t1", "Started", 0)
        + tx("t2", "Updated", 1, at="01")
        + tx("t3", "Updated", 1, at="01")
        + tx("t4", "Ended", 3, at="03")
        + tx("t5", "Updated", 2, at="02")
        + tx("u1", "Updated", 7, tx_id="T0")
        + tx("u2", "Ended", 8, tx_id="T0")
    )
    assert found_in(trace) == []


@pytest.mark.parametrize(
    ("events", "lines_", "words"),
    [
        ([("Started", 0), ("Started", 1)], (3, 5), "eventType Started twice"),
        ([("Started", 0), ("Ended", 1), ("Ended", 2)], (5, 7), "eventType Ended twice"),
        ([("Started", 0), ("Updated", 1), ("Ended", 1)], (5, 7), "carry seqNo 1"),
        ([("Started", 0), ("Ended", 1), ("Updated", 2)], (5, 7), "seqNo 2, after the Ended"),
        ([("Started", 5), ("Updated", 4)], (3, 5), "seqNo 4, before the Started"),
        ([("Updated", 4), ("Started", 5)], (3, 5), "seqNo 4, before the Started"),
    ],
)
def test_a_broken_transaction_order_names_the_frames(
    events: list[tuple[str, int]], lines_: tuple[int, ...], words: str
) -> None:
    trace = list(BOOT201)
    for n, (event_type, seq_no) in enumerate(events):
        trace += tx(f"t{n}", event_type, seq_no, at=f"{n:02d}")
    found = only(trace, "transaction event")
    assert found.lines == lines_ and words in found.message, found.render()
    assert "transactionId 'T1'" in found.message and (
        "§1.3.2" in found.message or "E01.FR.08" in found.message
    )


# -- message ids: one rule for the Link and the checker ---------------------------------------
def test_the_message_id_rule_is_the_judging_one() -> None:
    first, other = rpc.Call("m1", "Heartbeat", {}), rpc.Call("m1", "Authorize", {"idTag": "A"})
    assert reused_message_id(None, first) is None
    assert reused_message_id(first, rpc.Call("m1", "Heartbeat", {})) is None  # a retry
    said = reused_message_id(first, other)
    assert said is not None and "§4.1.4" in said and "different Authorize Call" in said


def test_ids_count_per_connection_in_16_and_across_connections_in_201() -> None:
    hb16 = [call("m1", "Heartbeat", {}), result("m1", {"currentTime": "2026-01-01T00:00:00Z"})]
    sn16 = [
        call(
            "m1",
            "StatusNotification",
            {"connectorId": 1, "status": "Available", "errorCode": "NoError"},
        ),
        result("m1", {}),
    ]
    assert found_in(BOOT + hb16 + BOOT + sn16) == []  # a reboot: a new connection
    hb = [
        call("m1", "Heartbeat", {}, version=V),
        result("m1", {"currentTime": "2026-01-01T00:00:00Z"}, version=V),
    ]
    found = only(BOOT201 + hb + BOOT201 + status("m1", "Available"), "message id")
    assert found.lines == (3, 7) and "2.0.1 Part 4 §4.1.4" in found.message


# -- a recorded run --------------------------------------------------------------------------
CASES = ("TC_G_03_CS", "TC_G_11_CS", "TC_H_07_CS", "TC_E_07_CS")
"""Inoperative then Unavailable; Scheduled during a transaction; Reserved, Available,
Occupied with a transaction; a transaction Started → Updated → Ended."""


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """The open-ocpp-trace records each case wrote against the reference 2.0.1 station."""
    workdir = tmp_path_factory.mktemp("recorded201")
    with reference_station201() as hosted:
        report: Report = run_suite(
            workdir,
            *hosted.args,
            "--ocpp-trace-dir",
            str(workdir / "traces"),
            "--ocpp-trace-format",
            "open-ocpp-trace",
            ids=CASES,
            message_timeout=3,
        )
    assert {case: v for case, (v, _m) in report.verdicts.items()} == dict.fromkeys(CASES, "pass")
    return {
        case: [
            json.loads(line)
            for line in (workdir / "traces" / opentrace.file_name(case, V))
            .read_text("utf-8")
            .splitlines()
        ]
        for case in CASES
    }


def _calls(records: list[dict[str, Any]], action: str, **fields: Any) -> list[int]:
    return [
        i
        for i, r in enumerate(records)
        if r["messageType"] == "CALL"
        and r.get("action") == action
        and all(r["payload"].get(k) == v for k, v in fields.items())
    ]


def _set(record: dict[str, Any], **fields: Any) -> None:
    """Change a CALL record's payload and its raw alike (else the trace-format rule fires)."""
    record["payload"].update(fields)
    frame = [2, record["messageId"], record["action"], record["payload"]]
    record["raw"] = json.dumps(frame, separators=(",", ":"))


def _edited(
    records: list[dict[str, Any]],
    n: int,
    how: Callable[[dict[str, Any]], None] | None = None,
    **fields: Any,
) -> tuple[list[dict[str, Any]], int]:
    """A copy of ``records``: with ``how`` applied to call ``n``, or, given ``fields``, a copy
    of call ``n`` (a new message id, those payload fields) sent right after call ``n``'s answer.
    Also the index of the changed or added call."""
    copy = json.loads(json.dumps(records))
    if how is not None:
        how(copy[n])
        return copy, n
    answer = next(
        i
        for i in range(n + 1, len(copy))
        if copy[i]["messageType"] == "CALLRESULT" and copy[i]["messageId"] == copy[n]["messageId"]
    )
    added = [json.loads(json.dumps(copy[n])), json.loads(json.dumps(copy[answer]))]
    for record in added:
        record["messageId"] = "edited-1"
    _set(added[0], **fields)
    added[1]["raw"] = json.dumps([3, "edited-1", added[1]["payload"]], separators=(",", ":"))
    copy[answer + 1 : answer + 1] = added
    return copy, answer + 1


def test_recorded_201_traces_pass_and_edited_copies_fail_with_the_rule(
    recorded: dict[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    for case, records in recorded.items():
        found = checker.check(lines(records))
        assert found == [], (case, [v.render() for v in found])
    # what the rules look at is there: an Inoperative change, a transaction
    assert _calls(recorded["TC_G_03_CS"], "ChangeAvailability", operationalStatus="Inoperative")
    assert _calls(recorded["TC_E_07_CS"], "TransactionEvent", eventType="Started")

    # 1. status transition: the reservation case's connector goes Occupied → Reserved
    h07 = recorded["TC_H_07_CS"]
    occupied = _calls(h07, "StatusNotification", connectorStatus="Occupied")[-1]
    broken, added = _edited(h07, occupied, connectorStatus="Reserved")
    found = checker.check(lines(broken))
    assert [(v.rule, v.lines) for v in found] == [("status transition", (occupied + 1, added + 1))]
    assert "Occupied to Reserved" in found[0].message and "H01.FR.11" in found[0].message

    # 2. availability: the Inoperative EVSE's connector reports Available after Unavailable
    g03 = recorded["TC_G_03_CS"]
    unavailable = _calls(g03, "StatusNotification", connectorStatus="Unavailable")[-1]
    broken, added = _edited(g03, unavailable, connectorStatus="Available")
    found = checker.check(lines(broken))
    assert [v.rule for v in found] == ["status transition"], [v.render() for v in found]
    assert found[0].lines[1:] == (unavailable + 1, added + 1)
    assert "reported Available while the ChangeAvailabilityRequest Inoperative" in found[0].message

    # 3. transaction events: an Updated numbered after the Ended; the Ended sent twice
    e07 = recorded["TC_E_07_CS"]
    updated = _calls(e07, "TransactionEvent", eventType="Updated")[-1]
    ended = _calls(e07, "TransactionEvent", eventType="Ended")[-1]
    end_seq = e07[ended]["payload"]["seqNo"]
    broken, _n = _edited(e07, updated, lambda r: _set(r, seqNo=end_seq + 1))
    found = checker.check(lines(broken))
    assert [(v.rule, v.lines) for v in found] == [("transaction event", (updated + 1, ended + 1))]
    assert f"seqNo {end_seq + 1}, after the Ended event's seqNo {end_seq}" in found[0].message
    again = {"seqNo": end_seq + 1, "timestamp": "2030-01-01T00:00:00.000Z"}
    broken, added = _edited(e07, ended, **again)
    found = checker.check(lines(broken))
    assert [(v.rule, v.lines) for v in found] == [("transaction event", (ended + 1, added + 1))]
    assert "eventType Ended twice" in found[0].message

    # through pytest, as a user runs it: one failing item, quoting the rule and the frames
    path = tmp_path / "edited.jsonl"
    opentrace.write(path, broken)
    done = run_pytest(tmp_path, "--ocpp-check-trace", str(path), "-rf")
    assert done.returncode == 1, done.stdout[-3000:]
    assert f"FAILED edited.jsonl::transaction-event[line {ended + 1}+{added + 1}]" in done.stdout
    assert "eventType Ended twice" in done.stdout and "E01.FR.08" in done.stdout
    assert f"1 failed, {len(checker.RULES) - 1} passed" in done.stdout


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("StatusNotification", {"evseId": "1", "connectorId": None, "connectorStatus": 3}),
        ("NotifyEvent", {"eventData": 5}),
        ("NotifyEvent", {"eventData": [{"component": {"name": "Connector", "evse": [1]}}]}),
        ("TransactionEvent", {"eventType": "Started", "seqNo": "0", "transactionInfo": []}),
        ("ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": True}}),
    ],
)
def test_malformed_201_payloads_are_schema_findings_not_crashes(
    action: str, payload: dict[str, Any]
) -> None:
    way = DOWN if action == "ChangeAvailability" else "cp-to-csms"
    back = "cp-to-csms" if way == DOWN else DOWN
    trace = [call("x1", action, payload, version=V, direction=way)]
    answer = {"status": "Accepted"} if action == "ChangeAvailability" else {}
    trace.append(result("x1", answer, version=V, direction=back))
    found = found_in(BOOT201 + trace + status("s1", "Available"))
    # The CALL breaks its schema; accepting it with a CALLRESULT is the receiver's finding
    # (2.0.1 Part 4 §4.3), and the 2.0.1 rules read the malformed payload without crashing.
    assert [(v.rule, v.lines) for v in found] == [("schema", (3,)), ("error code", (3, 4))], [
        v.render() for v in found
    ]
