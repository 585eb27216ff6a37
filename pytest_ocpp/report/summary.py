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
from pytest_ocpp.report.requirements import requirement_ids
from pytest_ocpp.verdicts import RigError, TargetFailure, TargetUnavailable

PASS, FAIL, NA, ERROR = "pass", "fail", "not applicable", "error"
FUZZING = "Fuzzing"
"""The profile of the fuzz properties (:mod:`pytest_ocpp.fuzz.cases`): their own heading."""
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
    warnings: list[str] = field(default_factory=list)
    secondary: list[str] = field(default_factory=list)
    """What else went wrong after the verdict's failure (e.g. its clean-up)."""
    octt_specific: bool = False
    cascade: bool = False
    """Failed reaching its starting state, not at a step of its own."""
    root_cause: str = ""
    """For a cascade: the earlier case whose failure most likely left the target unusable."""
    requirements: list[str] = field(default_factory=list)
    """The requirement ids the case's docstring cites (:mod:`.requirements`)."""

    @property
    def provisional(self) -> bool:
        return bool(self.case.get("provisional"))

    @property
    def uncertified(self) -> str:
        """Why a case with a table still does not count for certification, or ''."""
        return str(self.case.get("uncertified") or "")


@dataclass
class Results:
    cases: dict[str, CaseResult] = field(default_factory=dict)
    last_failure: str = ""
    """The id of the most recent case that failed at a step of its own."""


def primary_failure(exc: BaseException) -> tuple[BaseException, list[str]]:
    """The failure the verdict is about, and what went wrong after it.

    A clean-up that raises while a target failure is propagating (``finally`` blocks, the
    post-conditions) leaves the original failure as its implicit ``__context__``: the verdict
    names that original step and the clean-up's message is secondary."""
    secondary: list[str] = []
    if isinstance(exc, pytest.skip.Exception):
        return exc, secondary  # "not applicable" decided on purpose, even while handling one
    while (
        isinstance(exc.__context__, TargetFailure)
        and exc.__cause__ is None
        and not exc.__suppress_context__
    ):
        secondary.append(f"then, during clean-up: {_text(exc)}")
        exc = exc.__context__
    return exc, secondary[::-1]


def _text(exc: BaseException) -> str:
    return str(getattr(exc, "msg", None) or str(exc) or type(exc).__name__)


def _verdict(report: pytest.TestReport, exc: BaseException | None) -> str:
    if report.skipped:
        return NA
    if report.passed:
        return PASS
    if report.when == "call" and exc is not None:
        return FAIL if isinstance(exc, AssertionError) else ERROR
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
    exc: BaseException | None = None
    secondary: list[str] = []
    if call.excinfo is not None:
        exc, secondary = primary_failure(call.excinfo.value)
    verdict = _verdict(report, exc)
    message = ""
    if exc is not None:
        message = _text(exc)
        notes = [n for n in getattr(exc, "__notes__", []) if "reproduce_failure" not in n]
        if notes and isinstance(exc, TargetFailure):
            # hypothesis's shrunk example (a fuzz property's steps) belongs to the verdict.
            message += "\n" + "\n".join(notes)
        if isinstance(exc, RigError):
            message = f"test rig error: {message}"
        elif isinstance(exc, TargetUnavailable):
            message = f"target unavailable: {message}"
        elif verdict == ERROR:
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
        secondary=secondary,
        octt_specific=bool(getattr(exc, "octt_specific", False)) and verdict == FAIL,
        cascade=bool(getattr(exc, "starting_state", False)) and verdict in (FAIL, ERROR),
        requirements=requirement_ids(
            case["version"], getattr(item.obj if hasattr(item, "obj") else None, "__doc__", None)
        ),
    )
    if result.cascade:
        result.root_cause = results.last_failure
    elif verdict in (FAIL, ERROR):
        results.last_failure = case["id"]
    if ctx is not None:
        result.warnings = list(ctx.warnings)
        result.secondary += list(ctx.secondary)
        failed_step = getattr(exc, "step", "") or ctx.current_step
        result.step = failed_step if verdict in (FAIL, ERROR) else ""
        result.trace = ctx.trace.to_list()
        if verdict in (FAIL, ERROR):
            report.sections.append(("OCPP step", f"failed during: {failed_step}"))
            if result.secondary:
                report.sections.append(("OCPP after the failure", "\n".join(result.secondary)))
            report.sections.append(("OCPP trace", ctx.trace.render()))
        if result.warnings:
            report.sections.append(("OCPP warnings", "\n".join(result.warnings)))
    if isinstance(exc, TargetFailure | RigError | TargetUnavailable):
        report.longrepr = _concise(call.excinfo, exc, message)  # type: ignore[arg-type]
    # JUnit XML reads properties from the item (via the teardown report): keep one current
    # verdict there, so the CI gate sees the same four outcomes as every other report.
    item.user_properties[:] = [p for p in item.user_properties if p[0] not in _PROPERTIES]
    item.user_properties += [("ocpp_verdict", verdict), ("ocpp_case", case["id"])]
    report.user_properties = list(item.user_properties)
    results.cases[item.nodeid] = result


def _concise(excinfo: pytest.ExceptionInfo[BaseException], exc: BaseException, message: str) -> str:
    """A target failure is a verdict, not a crash: the sentence first (pytest's short summary
    shows the first line), then the scenario line, never pytest-ocpp's internal stack."""
    where = ""
    for entry in excinfo.traceback:
        path = str(entry.path)
        if "testcases" in path or "/test_" in path.rsplit("pytest_ocpp", 1)[-1]:
            where = f"{path}:{entry.lineno + 1}"
    kind = type(exc).__name__
    return f"{kind}: {message}\n  in scenario code at {where}" if where else f"{kind}: {message}"


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
    # The OCTT cases first, the fuzz properties under their own heading after them.
    for (version, side, profile), cases in sorted(
        groups.items(), key=lambda kv: (kv[0][2] == FUZZING, *kv[0])
    ):
        counts: dict[str, int] = defaultdict(int)
        for r in cases:
            counts[r.verdict] += 1
        under_test = "CSMS" if side == "CSMS" else "charging station"
        tally = ", ".join(f"{counts[v]} {v}" for v in (PASS, FAIL, NA, ERROR) if counts[v])
        fuzzing = profile == FUZZING
        if fuzzing:
            scope = f"{len(cases)} hypothesis properties, not OCTT cases"
        else:
            in_catalog = _catalog_size(version, side, profile)
            provisional = sum(1 for r in cases if r.provisional)
            extra = f"; {provisional} provisional, not certified coverage" if provisional else ""
            uncertified = sum(1 for r in cases if r.uncertified)
            if uncertified:
                extra += f"; {uncertified} not part of certification"
            scope = f"{len(cases)} of the catalogue's {in_catalog} cases in this run{extra}"
        reporter.write_line(
            f"OCPP {version} · {under_test} under test · {profile}: {tally} ({scope})",
            bold=True,
        )
        for r in sorted(cases, key=lambda r: r.case["id"]):
            tags = "".join(
                f" [{tag}]"
                for tag, on in (
                    ("provisional", r.provisional),
                    ("not certified", bool(r.uncertified) and not fuzzing),
                    ("OCTT-specific", r.octt_specific),
                    ("cascade", r.cascade),
                )
                if on
            )
            line = f"  {_WORDS[r.verdict]:<5} {r.case['id']:<16} {r.case['title']}{tags}"
            colour = {PASS: "green", FAIL: "red", ERROR: "red", NA: "yellow"}[r.verdict]
            reporter.write_line(line, **{colour: True})
            if r.verdict != PASS and r.message:
                first = r.message.splitlines()[0].removeprefix("Skipped: ")
                reporter.write_line(f"        {first[:300]}")
            for text in r.secondary:
                reporter.write_line(f"        {text.splitlines()[0][:300]}")
            for text in r.warnings:
                reporter.write_line(f"        warning: {text.splitlines()[0][:300]}", yellow=True)
    _write_cascades(reporter, results)
    _write_warning_tally(reporter, results)
    total: dict[str, int] = defaultdict(int)
    for r in results.cases.values():
        total[r.verdict] += 1
    warned = sum(1 for r in results.cases.values() if r.warnings)
    reporter.write_line(
        "total: "
        + ", ".join(f"{total[v]} {v}" for v in (PASS, FAIL, NA, ERROR))
        + (f" ({warned} with warnings)" if warned else ""),
        bold=True,
    )


def _write_cascades(reporter: Any, results: Results) -> None:
    """Cases that could not reach their starting state, grouped under the earlier failure
    that most likely caused them: fix that one first."""
    by_cause: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results.cases.values():
        if r.cascade:
            by_cause[r.root_cause].append(r)
    if not by_cause:
        return
    reporter.write_line("cascades: cases that could not reach their starting state", bold=True)
    for cause, cases in by_cause.items():
        ids = ", ".join(r.case["id"] for r in cases)
        first = cases[0].message.splitlines()[0][:200]
        if cause:
            reporter.write_line(f"  after {cause} failed: {ids}")
        else:
            reporter.write_line(f"  {ids}")
        reporter.write_line(f"        first cause: {first}")


def _write_warning_tally(reporter: Any, results: Results) -> None:
    """The same warning in many cases (a station that always repeats Preparing) is one
    finding: count it once, with the cases it appeared in."""
    seen: dict[str, list[str]] = defaultdict(list)
    for r in results.cases.values():
        for text in r.warnings:
            seen[text.split(":", 1)[0]].append(r.case["id"])
    if not seen:
        return
    reporter.write_line("warnings (legal behaviour the scenarios did not name):", bold=True)
    for head, ids in sorted(seen.items(), key=lambda kv: -len(kv[1])):
        shown = ", ".join(sorted(set(ids))[:8]) + (" ..." if len(set(ids)) > 8 else "")
        reporter.write_line(f"  {len(ids)}× {head[:160]} ({shown})", yellow=True)


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
                "warnings": r.warnings,
                "secondary": r.secondary,
                "octt_specific": r.octt_specific,
                "provisional": r.provisional,
                "uncertified": r.uncertified or None,
                "cascade": r.cascade,
                "root_cause": r.root_cause or None,
                "trace": r.trace,
            }
            for r in results.cases.values()
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), "utf-8")
