"""Verdicts per test case, the terminal compliance summary and the JSON compliance report.

Everything here reads the recorded trace and the test reports; nothing reaches back into a
connection. Four verdicts: pass, fail (the target broke a rule), not applicable (with its
reason) and error (pytest-ocpp or the test rig broke: not a verdict on the target).
"""

from __future__ import annotations

import json
import platform
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pytest_ocpp.config import OcppConfig
from pytest_ocpp.verdicts import TargetFailure

PASS, FAIL, NA, ERROR = "pass", "fail", "not applicable", "error"
_WORDS = {PASS: "PASS", FAIL: "FAIL", NA: "N/A", ERROR: "ERROR"}
_PROPERTIES = ("ocpp_verdict", "ocpp_case")


@dataclass
class CaseResult:
    nodeid: str
    case: dict[str, Any]
    verdict: str
    message: str = ""
    step: str = ""
    duration: float = 0.0
    trace: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Results:
    cases: dict[str, CaseResult] = field(default_factory=dict)


def _verdict(report: pytest.TestReport, call: pytest.CallInfo[None]) -> str:
    if report.skipped:
        return NA
    if report.passed:
        return PASS
    if report.when == "call" and call.excinfo is not None:
        return FAIL if isinstance(call.excinfo.value, AssertionError) else ERROR
    return ERROR


def record(
    results: Results,
    item: pytest.Item,
    report: pytest.TestReport,
    call: pytest.CallInfo[None],
    ctx: Any,
    case: dict[str, Any],
) -> None:
    """Fold one phase's report into the case's verdict; attach the trace to failures."""
    if report.when == "teardown" and report.passed:
        return
    if report.when == "setup" and report.passed:
        return
    verdict = _verdict(report, call)
    message = ""
    if call.excinfo is not None:
        exc = call.excinfo.value
        message = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
        if verdict == ERROR:
            message = f"pytest-ocpp internal error ({type(exc).__name__}): {message}"
    previous = results.cases.get(item.nodeid)
    if previous is not None and previous.verdict != PASS and verdict == ERROR:
        return  # keep the call-phase verdict; a teardown error adds nothing for the user
    result = CaseResult(
        nodeid=item.nodeid,
        case=case,
        verdict=verdict,
        message=message.strip(),
        duration=report.duration,
    )
    if ctx is not None:
        result.step = ctx.current_step if verdict in (FAIL, ERROR) else ""
        result.trace = ctx.trace.to_list()
        if verdict in (FAIL, ERROR):
            report.sections.append(("OCPP step", f"failed during: {ctx.current_step}"))
            report.sections.append(("OCPP trace", ctx.trace.render()))
    if verdict == FAIL and isinstance(call.excinfo.value, TargetFailure):  # type: ignore[union-attr]
        report.longrepr = _concise(call.excinfo, message)  # type: ignore[arg-type]
    # JUnit XML reads properties from the item (via the teardown report): keep one current
    # verdict there, so the CI gate sees the same four outcomes as every other report.
    item.user_properties[:] = [p for p in item.user_properties if p[0] not in _PROPERTIES]
    item.user_properties += [("ocpp_verdict", verdict), ("ocpp_case", case["id"])]
    report.user_properties = list(item.user_properties)
    results.cases[item.nodeid] = result


def _concise(excinfo: pytest.ExceptionInfo[BaseException], message: str) -> str:
    """A target failure is a verdict, not a crash: show the scenario line and the sentence,
    not pytest-ocpp's internal stack."""
    where = ""
    for entry in excinfo.traceback:
        path = str(entry.path)
        if "testcases" in path or "/test_" in path.rsplit("pytest_ocpp", 1)[-1]:
            where = f"{path}:{entry.lineno + 1}"
    kind = type(excinfo.value).__name__
    return f"{where}\n{kind}: {message}" if where else f"{kind}: {message}"


def teststatus(report: pytest.TestReport) -> tuple[str, str, str] | None:
    """Show "not applicable" skips as N/A in the progress line."""
    if report.when == "call" and report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
        if "not applicable" in str(reason):
            return "skipped", "n", "N/A"
    return None


def write_terminal(reporter: Any, results: Results, active: bool = False) -> None:
    if not results.cases:
        if active:
            reporter.write_sep("=", "OCPP compliance summary")
            reporter.write_line(
                "no bundled test case matches this run's versions, side and -k selection",
                yellow=True,
            )
        return
    reporter.write_sep("=", "OCPP compliance summary")
    groups: dict[tuple[str, str, str], list[CaseResult]] = defaultdict(list)
    for result in results.cases.values():
        c = result.case
        groups[(c["version"], c["side"], c["profile"])].append(result)
    for (version, side, profile), cases in sorted(groups.items()):
        counts = defaultdict(int)
        for r in cases:
            counts[r.verdict] += 1
        under_test = "CSMS" if side == "CSMS" else "charging station"
        tally = ", ".join(f"{counts[v]} {v}" for v in (PASS, FAIL, NA, ERROR) if counts[v])
        in_catalog = _catalog_size(version, side, profile)
        reporter.write_line(
            f"OCPP {version} · {under_test} under test · {profile}: {tally} "
            f"({len(cases)} of the catalogue's {in_catalog} cases in this run)",
            bold=True,
        )
        for r in sorted(cases, key=lambda r: r.case["id"]):
            line = f"  {_WORDS[r.verdict]:<5} {r.case['id']:<16} {r.case['title']}"
            colour = {PASS: "green", FAIL: "red", ERROR: "red", NA: "yellow"}[r.verdict]
            reporter.write_line(line, **{colour: True})
            if r.verdict != PASS and r.message:
                first = r.message.splitlines()[0].removeprefix("Skipped: ")
                reporter.write_line(f"        {first[:300]}")
    total = defaultdict(int)
    for r in results.cases.values():
        total[r.verdict] += 1
    reporter.write_line(
        "total: " + ", ".join(f"{total[v]} {v}" for v in (PASS, FAIL, NA, ERROR)), bold=True
    )


def _catalog_size(version: str, side: str, profile: str) -> int:
    from pytest_ocpp.catalog import catalog

    return sum(
        1
        for info in catalog().values()
        if info.version == version and info.side == side and info.profile_name == profile
    )


def write_json(path: Path, results: Results, config: OcppConfig) -> None:
    """The machine-readable compliance report: one entry per test case with its verdict,
    the failing step and message, and the full frame trace as evidence."""
    document = {
        "tool": "pytest-ocpp",
        "generated": datetime.now(timezone.utc).isoformat(),
        "python": platform.python_version(),
        "target": config.target or ("reference" if config.reference else None),
        "listen": list(config.listen) if config.listen else None,
        "versions": [v.name for v in config.versions],
        "totals": {
            v: sum(1 for r in results.cases.values() if r.verdict == v)
            for v in (PASS, FAIL, NA, ERROR)
        },
        "cases": [
            {
                "id": r.case["id"],
                "title": r.case["title"],
                "version": r.case["version"],
                "side": r.case["side"],
                "profile": r.case["profile"],
                "block": r.case["block"],
                "nodeid": r.nodeid,
                "verdict": r.verdict,
                "message": r.message,
                "step": r.step,
                "duration": round(r.duration, 4),
                "trace": r.trace,
            }
            for r in results.cases.values()
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), "utf-8")
