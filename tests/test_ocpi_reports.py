"""An OCPI-only run (``--ocpi-target`` and no OCPP side) is judged by every report and the CI
gate exactly as an OCPP run is (issue 20): Allure labels, environment and categories, the JSON
report, JUnit properties, the Markdown summary, and ``--ocpp-baseline``.

Three ``pytest --ocpi-target=...`` processes against a reference CPO with two defects
(``post_twice``: OCPI_CRED_03 fails; ``raw_authorization``: OCPI_TRANS_01 fails), OCPI_VER_01
passing beside them. The first writes a baseline of its failures; the second runs with that
file (the gate passes: both failures are known deviations); the third with a baseline listing
only one of them (the gate fails on the other). Before the hooks found the case in the
``ocpi_case`` marker, the second run exited 1 and the Allure results had no labels.

Then a crossing case under ``--ocpp-version=all``: one id, two runs (a 1.6 and a 2.0.1
station), each with its own verdict and title in every report, counted once for coverage, and
one baseline entry covering both.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from harness import Report, run_suite
from test_ocpi import TOKEN_A, reference_cpo, reference_csms_and_cpo
from test_report_formats import validate

DEFECTS = ("post_twice", "raw_authorization")
FAILING = ("OCPI_CRED_03", "OCPI_TRANS_01")
PASSING = "OCPI_VER_01"
SELECTION = "ocpi_cred_03 or ocpi_trans_01 or ocpi_ver_01"
ONLY_CRED_03 = """
[[deviation]]
id = "OCPI_CRED_03"
version = "OCPI 2.2.1"
reason = "ticket CPO-7: a second POST is answered 200"
"""


def _run(workdir: Path, *extra: str) -> Report:
    """The three cases against a fresh reference CPO (its token A works once)."""
    workdir.mkdir(parents=True, exist_ok=True)
    with reference_cpo(DEFECTS) as url:
        return run_suite(
            workdir,
            "--ocpi-target",
            url,
            "--ocpi-token",
            TOKEN_A,
            "--ocpi-callback-timeout",
            "1",
            "-k",
            SELECTION,
            *extra,
        )


EVERY_REPORT = (
    "--alluredir",
    "allure",
    "--junitxml",
    "junit.xml",
    "--ocpp-report-md",
    "summary.md",
    "--ocpp-baseline-write",
    "written.toml",
)
"""A first run's options: every report, and a baseline of its failures for the next run."""


def _gate_dir(folder: Path, first: Report) -> Path:
    """A working directory whose ``baseline.toml`` is the baseline ``first`` wrote."""
    folder.mkdir()
    (folder / "baseline.toml").write_text(
        (first.workdir / "written.toml").read_text("utf-8"), "utf-8"
    )
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    base = tmp_path_factory.mktemp("ocpi-reports")
    first = _run(base / "first", *EVERY_REPORT)
    second = _gate_dir(base / "second", first)
    third = base / "third"
    third.mkdir()
    (third / "baseline.toml").write_text(ONLY_CRED_03, "utf-8")
    with ThreadPoolExecutor(2) as pool:  # two processes, each against its own reference
        baselined = pool.submit(_run, second, "--ocpp-baseline", "baseline.toml")
        partly = pool.submit(_run, third, "--ocpp-baseline", "baseline.toml")
        return {"first": first, "baselined": baselined.result(), "partly": partly.result()}


def _by_id(report: Report) -> dict[str, dict[str, Any]]:
    return {case["id"]: case for case in report.cases}


def test_the_run_fails_its_cases_and_the_gate(runs: dict[str, Report]) -> None:
    report = runs["first"]
    cases = _by_id(report)
    assert {cases[c]["verdict"] for c in FAILING} == {"fail"}, report.output
    assert cases[PASSING]["verdict"] == "pass", report.output
    assert report.returncode == 1, report.output
    assert "OCPP compliance summary" in report.stdout
    assert "OCPI 2.2.1" in report.stdout


def test_allure_labels_environment_and_categories(runs: dict[str, Report]) -> None:
    directory = runs["first"].workdir / "allure"
    results = [json.loads(path.read_text("utf-8")) for path in directory.glob("*-result.json")]
    by_tag: dict[str, dict[str, Any]] = {}
    for result in results:
        tags = [label["value"] for label in result["labels"] if label["name"] == "tag"]
        by_tag.update({tag: result for tag in tags})
    assert set(by_tag) >= {*FAILING, PASSING}, [r["name"] for r in results]

    def labels(result: dict[str, Any], name: str) -> list[str]:
        return [label["value"] for label in result["labels"] if label["name"] == name]

    cred = by_tag["OCPI_CRED_03"]
    assert labels(cred, "epic") == ["OCPI 2.2.1 · CSMS under test"]
    assert labels(cred, "feature") == ["Credentials"]
    assert labels(cred, "story") == ["Credentials"]
    assert cred["name"] == "OCPI_CRED_03 POST credentials while registered"
    assert cred["status"] == "failed"
    assert "HTTP 405" in cred["statusDetails"]["message"]
    traces = [a["source"] for a in cred.get("attachments", []) if a["name"] == "OCPI trace"]
    assert traces, cred.get("attachments")
    trace = (directory / traces[0]).read_text("utf-8")
    assert "POST http://127.0.0.1:" in trace and "/credentials" in trace, trace
    assert labels(by_tag["OCPI_TRANS_01"], "feature") == ["Transport"]
    assert by_tag[PASSING]["status"] == "passed"
    environment = (directory / "environment.properties").read_text("utf-8")
    assert "ocpi.target = http\\://127.0.0.1\\:" in environment, environment
    assert (directory / "categories.json").exists()


def test_json_junit_and_markdown(runs: dict[str, Report]) -> None:
    report = runs["first"]
    document = json.loads((report.workdir / "r.json").read_text("utf-8"))
    validate(document)
    assert document["gate"]["passed"] is False, document["gate"]
    groups = {(g["version"], g["profile"]) for g in document["groups"]}
    assert ("OCPI 2.2.1", "Credentials") in groups, groups
    tree = ET.parse(report.workdir / "junit.xml")
    verdicts = {}
    for testcase in tree.iter("testcase"):
        properties = {p.get("name"): p.get("value") for p in testcase.iter("property")}
        verdicts[properties.get("ocpp_case")] = properties.get("ocpp_verdict")
    assert verdicts == {"OCPI_CRED_03": "fail", "OCPI_TRANS_01": "fail", PASSING: "pass"}
    markdown = (report.workdir / "summary.md").read_text("utf-8")
    assert "OCPI 2.2.1" in markdown and "OCPI_CRED_03" in markdown, markdown


def test_a_written_baseline_makes_the_gate_pass(runs: dict[str, Report]) -> None:
    written = (runs["first"].workdir / "written.toml").read_text("utf-8")
    assert 'id = "OCPI_CRED_03"' in written and 'version = "OCPI 2.2.1"' in written, written
    report = runs["baselined"]
    cases = _by_id(report)
    assert {cases[c]["verdict"] for c in FAILING} == {"fail"}, report.output
    assert report.returncode == 0, report.output
    assert "every failure is a known deviation" in report.stdout, report.output
    assert all(cases[c]["baselined"] for c in FAILING)


def test_an_unbaselined_ocpi_failure_still_fails_the_gate(runs: dict[str, Report]) -> None:
    report = runs["partly"]
    cases = _by_id(report)
    baselined: Callable[[str], bool] = lambda case: bool(cases[case]["baselined"])  # noqa: E731
    assert baselined("OCPI_CRED_03") and not baselined("OCPI_TRANS_01"), report.output
    assert report.returncode == 1, report.output


# -- a crossing case under several OCPP versions ------------------------------------------------
CROSSING_DEFECT = "result_ignores_station"
"""OCPI_CMD_03 fails through either station: the CommandResult is ACCEPTED although the
station rejected the remote start."""
RUNS_OF_CMD_03 = {
    "ocpp1.6": "OCPI_CMD_03 START_SESSION the station rejects (OCPP 1.6 station)",
    "ocpp2.0.1": "OCPI_CMD_03 START_SESSION the station rejects (OCPP 2.0.1 station)",
}


def _crossing_run(workdir: Path, *extra: str) -> Report:
    """OCPI_CMD_03 (parametrized per OCPP version) and OCPI_CMD_04 (needs no station) under
    ``--ocpp-version=all``, against a reference CSMS with a CPO that has the defect."""
    workdir.mkdir(parents=True, exist_ok=True)
    with reference_csms_and_cpo((CROSSING_DEFECT,)) as args:
        return run_suite(
            workdir,
            *args,
            "--ocpi-token",
            TOKEN_A,
            "--ocpi-callback-timeout",
            "3",
            "--ocpp-version",
            "all",
            "--ocpp-message-timeout",
            "2",
            "-k",
            "ocpi_cmd_03 or ocpi_cmd_04",
            *extra,
        )


@pytest.fixture(scope="module")
def crossing(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    """The first run writes every report and a baseline of its failures; the second gates
    with that baseline."""
    base = tmp_path_factory.mktemp("ocpi-crossing")
    first = _crossing_run(base / "first", *EVERY_REPORT)
    second = _gate_dir(base / "second", first)
    return {"first": first, "baselined": _crossing_run(second, "--ocpp-baseline", "baseline.toml")}


def _runs_of_cmd_03(report: Report) -> dict[str, dict[str, Any]]:
    found = {}
    for case in report.cases:
        if case["id"] == "OCPI_CMD_03":
            found[case["nodeid"].partition("[")[2].rstrip("]")] = case
    return found


def test_each_ocpp_version_is_its_own_run_in_json_and_terminal(
    crossing: dict[str, Report],
) -> None:
    """Two runs of OCPI_CMD_03, one per station version, each with its verdict and a title
    naming the version; coverage counts the case once, the verdict columns both runs."""
    report = crossing["first"]
    found = _runs_of_cmd_03(report)
    assert sorted(found) == sorted(RUNS_OF_CMD_03), report.output
    for param, case in found.items():
        assert f"{case['id']} {case['title']}" == RUNS_OF_CMD_03[param]
        assert case["verdict"] == "fail" and "CommandResult REJECTED" in case["message"]
    assert [c["verdict"] for c in report.cases if c["id"] == "OCPI_CMD_04"] == ["pass"]
    document = json.loads((report.workdir / "r.json").read_text("utf-8"))
    validate(document)
    assert document["totals"] == {"pass": 1, "fail": 2, "not applicable": 0, "error": 0}
    assert document["gate"]["gating_cases"] == 2, document["gate"]
    (commands,) = [g for g in document["groups"] if g["profile"] == "Commands"]
    assert commands["cases_run"] == 2 and commands["catalogue_cases"] == 6, commands
    assert commands["notes"] == "3 runs of 2 cases: some ran once per OCPP version", commands
    lines = report.stdout.splitlines()
    (row,) = [line for line in lines if line.startswith("OCPI 2.2.1") and "Commands" in line]
    assert row.split()[4:7] == ["1", "2", "·"], row
    assert "2/6 (3 runs of 2 cases" in row, row
    for name in RUNS_OF_CMD_03.values():
        case_id, title = name.split(" ", 1)
        failed = [line for line in lines if case_id in line and line.endswith(title)]
        assert len(failed) == 1 and "FAIL" in failed[0], report.output
    assert "total: 1 pass, 2 fail, 0 not applicable, 0 error" in report.stdout


def test_each_run_in_markdown_junit_and_allure(crossing: dict[str, Report]) -> None:
    workdir = crossing["first"].workdir
    markdown = (workdir / "summary.md").read_text("utf-8")
    assert "2 / 6 (3 runs of 2 cases" in markdown, markdown
    for title in RUNS_OF_CMD_03.values():
        assert title.split(" ", 1)[1] in markdown, markdown
    junit = {}
    for testcase in ET.parse(workdir / "junit.xml").iter("testcase"):
        properties = {p.get("name"): p.get("value") for p in testcase.iter("property")}
        junit[testcase.get("name")] = (properties["ocpp_case"], properties["ocpp_verdict"])
    assert junit == {
        "test_ocpi_cmd_03_station_rejects[ocpp1.6]": ("OCPI_CMD_03", "fail"),
        "test_ocpi_cmd_03_station_rejects[ocpp2.0.1]": ("OCPI_CMD_03", "fail"),
        "test_ocpi_cmd_04_unknown_session": ("OCPI_CMD_04", "pass"),
    }, junit
    results = [
        json.loads(path.read_text("utf-8")) for path in (workdir / "allure").glob("*-result.json")
    ]
    runs = {r["name"]: r for r in results if r["name"].startswith("OCPI_CMD_03 ")}
    assert sorted(runs) == sorted(RUNS_OF_CMD_03.values()), sorted(runs)
    assert len({r["historyId"] for r in runs.values()}) == 2
    for param, name in RUNS_OF_CMD_03.items():
        parameters = {p["name"]: p["value"] for p in runs[name]["parameters"]}
        assert parameters["ocpi_ocpp_version"].strip("'\"") == param.removeprefix("ocpp")
        assert runs[name]["status"] == "failed"


def test_one_baseline_entry_covers_every_run_of_a_case(crossing: dict[str, Report]) -> None:
    """--ocpp-baseline-write lists the id once (a baseline with it twice would not load);
    with that baseline both runs are known deviations and the gate passes."""
    written = (crossing["first"].workdir / "written.toml").read_text("utf-8")
    assert written.count("[[deviation]]") == 1 and 'id = "OCPI_CMD_03"' in written, written
    report = crossing["baselined"]
    found = _runs_of_cmd_03(report)
    assert sorted(found) == sorted(RUNS_OF_CMD_03), report.output
    assert all(c["verdict"] == "fail" and c["baselined"] for c in found.values()), found
    assert report.returncode == 0, report.output
    assert "every failure is a known deviation" in report.stdout, report.output
    known = report.stdout.split("known deviations (2,", 1)[1]
    for title in RUNS_OF_CMD_03.values():
        assert title.split(" ", 1)[1] in known, report.output
