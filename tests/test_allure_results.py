"""The Allure results a user gets with ``--alluredir``, read from the files allure-pytest wrote.

One real run of the bundled suite in a subprocess, against a reference CSMS broken in two
ways (a Heartbeat answer that breaks the schema, a GetLocalListVersion it never sends), gives
every outcome the report must tell apart: passed, failed as a non-conformance, failed as a
timeout, and not applicable (skipped with its reason). The checks read the
``*-result.json`` files, the attachments, ``categories.json`` (its regexes evaluated here the
way Allure evaluates them) and ``environment.properties``. The sequence diagram's layout
rules (escaping, the cap for long traces) are checked on :func:`render_svg` directly.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from harness import reference_csms, run_suite

from pytest_ocpp.report import sequence
from pytest_ocpp.report.allure import CATEGORIES
from pytest_ocpp.verdicts import (
    ConnectionLost,
    OperatorFailed,
    TargetTimeout,
    TargetUnavailable,
)

SVG = "{http://www.w3.org/2000/svg}"
SPEC_URL = "https://specs.example/{version}/{section}#{id}"
"""A ``--ocpp-spec-url`` template, so the links prove the template reaches Allure."""

FAILS_SCHEMA = "TC_001_CSMS"  # the Heartbeat answer breaks the 1.6 schema: non-conformance
TIMES_OUT = "TC_042_1_CSMS"  # GetLocalListVersion never sent: a timeout
TIMEOUT_STEP = "1. The Central System sends a GetLocalListVersion.req"
NOT_APPLICABLE = "TC_B_02_CSMS"  # conditional on C-44, which CLAIMS do not claim
PASSES = ("TC_B_01_CSMS", "TC_010_CSMS")  # untouched by both defects
CASES = (FAILS_SCHEMA, TIMES_OUT, NOT_APPLICABLE, *PASSES)
CLAIMS = '[claims]\nprofiles = ["Core", "Local Authorization List Management"]\nfeatures = []\n'


@cache
def allure_run(base: Path) -> Path:
    """Run :data:`CASES` once per process into ``base`` and return the results directory
    (the render test reuses it when it runs in the same process)."""
    results = base / "allure-results"
    claims = base / "claims.toml"
    base.mkdir(parents=True, exist_ok=True)
    claims.write_text(CLAIMS, "utf-8")
    with reference_csms(["heartbeat_bad_datetime", "get_local_list_version_never_sent"]) as csms:
        report = run_suite(
            base / "run",
            *csms.args,
            "--ocpp-version",
            "1.6,2.0.1",
            "--ocpp-spec-url",
            SPEC_URL,
            "--ocpp-config",
            str(claims),
            "--alluredir",
            str(results),
            ids=CASES,
            response_timeout=1,
            message_timeout=1,
            operator_timeout=5,  # a command operator is a Python process: ~1 s on a busy CI
        )
    verdicts = {case: verdict for case, (verdict, _) in report.verdicts.items()}
    assert verdicts == {
        FAILS_SCHEMA: "fail",
        TIMES_OUT: "fail",
        NOT_APPLICABLE: "not applicable",
        **dict.fromkeys(PASSES, "pass"),
    }, report.output
    return results


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return allure_run(tmp_path_factory.getbasetemp() / "allure-shared")


@pytest.fixture(scope="module")
def results(results_dir: Path) -> dict[str, dict[str, Any]]:
    """Case id → its ``*-result.json``, read as allure-pytest wrote it."""
    found: dict[str, dict[str, Any]] = {}
    for path in results_dir.glob("*-result.json"):
        result = json.loads(path.read_text("utf-8"))
        found[result["name"].split(" ", 1)[0]] = result
    assert sorted(found) == sorted(CASES), sorted(found)
    return found


def labels(result: dict[str, Any], name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def attachment(results_dir: Path, result: dict[str, Any], name: str) -> Path:
    (found,) = [a for a in result["attachments"] if a["name"] == name]
    path = results_dir / found["source"]
    assert path.is_file(), f"{name} of {result['name']} is listed but not written"
    return path


def svg_of(results_dir: Path, result: dict[str, Any]) -> ET.Element:
    path = attachment(results_dir, result, "OCPP sequence diagram")
    (entry,) = [a for a in result["attachments"] if a["name"] == "OCPP sequence diagram"]
    assert entry["type"] == "image/svg+xml"
    return ET.fromstring(path.read_text("utf-8"))


def texts(svg: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]


def test_labels_and_titles(results: dict[str, dict[str, Any]]) -> None:
    """Organised by version and side (epic), profile (feature), functional block (story),
    titled "<OCA id> <title>", tagged with the id."""
    b01 = results["TC_B_01_CSMS"]
    assert labels(b01, "epic") == ["OCPP 2.0.1 · CSMS under test"]
    assert labels(b01, "feature") == ["Core"]
    assert labels(b01, "story") and labels(b01, "story")[0]
    assert "TC_B_01_CSMS" in labels(b01, "tag")
    tc001 = results[FAILS_SCHEMA]
    assert tc001["name"] == "TC_001_CSMS Cold Boot Charge Point"
    assert labels(tc001, "epic") == ["OCPP 1.6 · CSMS under test"]
    assert labels(tc001, "story") == ["Cold Boot Charge Point"]


def test_requirement_links(results: dict[str, dict[str, Any]]) -> None:
    """Every requirement a case's docstring cites is a link, named after the requirement and
    pointing where ``--ocpp-spec-url`` says (FR ids for 2.0.1, sections for 1.6)."""
    links = {(link["name"], link["url"], link["type"]) for link in results[FAILS_SCHEMA]["links"]}
    assert links == {
        ("OCPP 1.6 edition 2 §4.2", "https://specs.example/1.6/4.2#4.2", "link"),
        ("OCPP 1.6 edition 2 §4.6", "https://specs.example/1.6/4.6#4.6", "link"),
    }
    b01 = {link["name"]: link["url"] for link in results["TC_B_01_CSMS"]["links"]}
    assert b01["B01.FR.02 (OCPP 2.0.1 edition 3 Part 2, B01)"] == (
        "https://specs.example/2.0.1/B01#B01.FR.02"
    )
    na = [link["name"] for link in results[NOT_APPLICABLE]["links"]]
    assert "B02.FR.06 (OCPP 2.0.1 edition 3 Part 2, B02)" in na, na


def test_statuses(results: dict[str, dict[str, Any]]) -> None:
    """Failures are failed (a verdict on the target, not "broken"), passes passed, and a
    not applicable case skipped with its reason, never passed."""
    assert results[FAILS_SCHEMA]["status"] == "failed"
    assert results[TIMES_OUT]["status"] == "failed"
    for case in PASSES:
        assert results[case]["status"] == "passed"
    na = results[NOT_APPLICABLE]
    assert na["status"] == "skipped"
    assert "not applicable: TC_B_02_CSMS is conditional on C-44" in na["statusDetails"]["message"]


def test_attachments(results_dir: Path, results: dict[str, dict[str, Any]]) -> None:
    """Text trace, JSON trace and sequence diagram on every case that ran, each file there;
    the JSON is the trace's entries; the SVG parses and names the actions."""
    for case, result in results.items():
        names = {a["name"] for a in result["attachments"]}
        assert {"OCPP trace", "OCPP trace (JSON)", "OCPP sequence diagram"} <= names, case
        entries = json.loads(attachment(results_dir, result, "OCPP trace (JSON)").read_text())
        assert all(set(e) == {"time", "link", "direction", "text"} for e in entries), case
        svg_of(results_dir, result)  # parses
    entries = json.loads(
        attachment(results_dir, results[FAILS_SCHEMA], "OCPP trace (JSON)").read_text()
    )
    assert any('"Heartbeat"' in e["text"] for e in entries if e["direction"] == "sent")
    words = " ".join(texts(svg_of(results_dir, results[FAILS_SCHEMA])))
    for action in ("BootNotification", "StatusNotification", "Heartbeat"):
        assert f"CALL {action}" in words and f"CALLRESULT {action}" in words, action
    assert "pytest-ocpp: fake station CP_1" in words and "CSMS under test" in words


def test_failing_step_in_red(results_dir: Path, results: dict[str, dict[str, Any]]) -> None:
    """The step the verdict names is the one red note; a passed case has none."""
    svg = svg_of(results_dir, results[TIMES_OUT])
    failed = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "failed-step"]
    assert len(failed) == 1 and failed[0].get("stroke") == sequence.RED
    red = [t for t in svg.iter(f"{SVG}text") if t.get("fill") == sequence.RED]
    assert f"FAILED at: {TIMEOUT_STEP}" in ["".join(t.itertext()) for t in red]
    assert "CALL BootNotification" in " ".join(texts(svg))
    passed = svg_of(results_dir, results["TC_B_01_CSMS"])
    assert not [r for r in passed.iter(f"{SVG}rect") if r.get("class") == "failed-step"]


def matching(result: dict[str, Any], categories: list[dict[str, Any]]) -> list[str]:
    """The categories Allure puts ``result`` in: status listed, and each regex matching the
    whole message or trace with DOTALL (Java's ``Pattern.matches``)."""
    details = result.get("statusDetails") or {}
    found = []
    for category in categories:
        if result["status"] not in category.get("matchedStatuses", [result["status"]]):
            continue
        if not all(
            (text := details.get(field)) is not None
            and re.fullmatch(category[key], text, re.DOTALL)
            for key, field in (("messageRegex", "message"), ("traceRegex", "trace"))
            if key in category
        ):
            continue
        found.append(category["name"])
    return found


def test_categories(results_dir: Path, results: dict[str, dict[str, Any]]) -> None:
    """categories.json puts each case that did not pass in exactly one category, the right
    one, by the real messages and traces allure-pytest wrote."""
    categories = json.loads((results_dir / "categories.json").read_text("utf-8"))
    assert categories == CATEGORIES
    assert matching(results[FAILS_SCHEMA], categories) == [categories[0]["name"]]
    assert matching(results[TIMES_OUT], categories) == [categories[1]["name"]]
    assert matching(results[NOT_APPLICABLE], categories) == [categories[3]["name"]]
    for case in PASSES:
        assert matching(results[case], categories) == [], case


def _exconly(exc: BaseException) -> str:
    """The message allure-pytest writes for ``exc`` (``ExceptionInfo.exconly()``)."""
    try:
        raise exc
    except BaseException:
        return pytest.ExceptionInfo.from_current().exconly()


@pytest.mark.parametrize(
    ("status", "exc", "trace", "category"),
    [
        (
            "failed",
            ConnectionLost("the CSMS closed the connection (code 1006) while waiting"),
            "ConnectionLost: the CSMS closed the connection",
            2,
        ),
        (
            "broken",
            TargetUnavailable("could not reach the starting state: closed with code 1013"),
            "TargetUnavailable: target unavailable: could not reach the starting state",
            2,
        ),
        (
            "broken",
            OperatorFailed("the operator command exited 2"),
            "OperatorFailed: test rig error: the operator command exited 2",
            4,
        ),
        ("broken", KeyError("transactionId"), "Traceback ...\nKeyError: 'transactionId'", 5),
        (
            "failed",
            TargetTimeout("TC_X did not finish within 60 s (--ocpp-case-timeout)"),
            "TargetTimeout: TC_X did not finish",
            1,
        ),
    ],
    ids=["connection-lost", "target-unavailable", "rig-error", "internal-error", "case-timeout"],
)
def test_categories_of_other_outcomes(
    status: str, exc: BaseException, trace: str, category: int
) -> None:
    """The outcomes the run above does not produce, with the messages allure-pytest writes
    for our exception classes and the traces summary.record makes: exactly one category."""
    result = {"status": status, "statusDetails": {"message": _exconly(exc), "trace": trace}}
    assert matching(result, CATEGORIES) == [CATEGORIES[category]["name"]]


def test_environment(results_dir: Path) -> None:
    text = (results_dir / "environment.properties").read_text("utf-8")
    assert re.search(r"^target = ws\\://127\.0\.0\.1\\:\d+/ocpp$", text, re.M), text
    assert "ocpp.versions = 1.6, 2.0.1" in text


def test_sequence_diagram_escapes_and_caps() -> None:
    """Whatever a target sends stays well-formed XML, and a long trace is capped around the
    failing step with a note saying how much was left out."""
    entries: list[dict[str, Any]] = [
        {"time": 0.0, "link": "CP_1", "direction": "received", "text": '<b a="1">&\x00\x1b'},
    ]
    entries += [
        {
            "time": float(i),
            "link": "CP_1",
            "direction": "sent",
            "text": json.dumps([2, f"id-{i}", "Heartbeat", {}]),
        }
        for i in range(1, 600)
    ]
    entries.insert(300, {"time": 300.5, "link": "step", "direction": "event", "text": "7. <x>"})
    svg = ET.fromstring(
        sequence.render_svg(entries, csms_under_test=True, failed_step="7. <x>", title="a&b")
    )
    words = texts(svg)
    assert '<b a="1">&??' in words  # control characters replaced, markup kept as text
    assert "FAILED at: 7. <x>" in words
    gaps = [w for w in words if "trace entries not drawn" in w]
    assert len(gaps) == 2, gaps
    rows = [w for w in words if re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3}", w)]
    assert len(rows) <= sequence.MAX_ROWS
    assert int(svg.get("height", "0")) < 20_000


def test_sequence_diagram_lifelines() -> None:
    """A station under test per station link, pytest-ocpp's fake CSMS on the left; a frame
    the station sent points from its lifeline to the CSMS's, a CALLRESULT carries the action
    of the CALL it answers; a warning is an amber note."""
    entries: list[dict[str, Any]] = [
        {"time": 1.0, "link": "CP_1", "direction": "received", "text": '[2,"a1","Heartbeat",{}]'},
        {"time": 2.0, "link": "CP_2", "direction": "received", "text": '[2,"b2","Authorize",{}]'},
        {"time": 3.0, "link": "CP_2", "direction": "sent", "text": '[3,"b2",{"idTagInfo":{}}]'},
        {"time": 4.0, "link": "warning", "direction": "event", "text": "Preparing repeated"},
    ]
    svg = ET.fromstring(sequence.render_svg(entries, csms_under_test=False))
    words = texts(svg)
    assert words[2:5] == [
        "pytest-ocpp: fake CSMS",
        "station under test CP_1",
        "station under test CP_2",
    ], words
    assert 'CALLRESULT Authorize #b2 {"idTagInfo":{}}' in words
    assert "warning: Preparing repeated" in words
    arrows = [line for line in svg.iter(f"{SVG}line") if line.get("marker-end")]
    first, second, answer = (float(a.get("x1", 0)) - float(a.get("x2", 0)) for a in arrows)
    assert first > 0 and second > first and answer < 0  # CP_2 is further right than CP_1
    amber = [r for r in svg.iter(f"{SVG}rect") if r.get("stroke") == sequence.AMBER]
    assert len(amber) == 1
