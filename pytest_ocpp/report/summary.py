"""Verdicts per test case and the terminal compliance summary.

Everything here reads the recorded trace and the test reports; nothing reaches back into a
connection. Four verdicts: pass, fail (the target broke a rule), not applicable (with its
reason) and error (pytest-ocpp or the test rig broke: not a verdict on the target).

The terminal summary is compact by default: a clean run of the whole bundled suite (~950
cases) fits one screen, because a CI log or a terminal is read for what went wrong, and the
per-case list of a clean run buried that. ``-v`` or ``--ocpp-summary=cases`` prints the
per-case list; the JSON report (:mod:`.json_report`) always holds every case.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from pytest_ocpp import masking
from pytest_ocpp.report.requirements import requirement_ids
from pytest_ocpp.verdicts import ProtocolViolation, RigError, TargetFailure, TargetUnavailable

if TYPE_CHECKING:
    from pytest_ocpp.report.baseline import Applied

PASS, FAIL, NA, ERROR = "pass", "fail", "not applicable", "error"
VERDICTS = (PASS, FAIL, NA, ERROR)
FUZZING = "Fuzzing"
"""The profile of the fuzz properties (:mod:`pytest_ocpp.fuzz.cases`): their own heading."""
_WORDS = {PASS: "PASS", FAIL: "FAIL", NA: "N/A", ERROR: "ERROR"}
_PROPERTIES = ("ocpp_verdict", "ocpp_case")
SUMMARY_STYLES = ("table", "cases")
"""``--ocpp-summary``: the compact table (default) or the per-case list (also ``-v``)."""
WARNING_KINDS_SHOWN = 2
"""The compact summary's warning tally takes at most this many lines under its heading: the
most frequent kinds, or fewer and a count of the rest."""


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
    baselined: bool = False
    """A failure the ``--ocpp-baseline`` file lists as a known deviation: reported, not gating."""
    baseline_reason: str = ""
    """The baseline entry's reason, for a known deviation or an expired entry."""
    baseline_expired: str = ""
    """ISO date of the baseline entry that matched this failure but has expired ('' if none)."""

    @property
    def provisional(self) -> bool:
        return bool(self.case.get("provisional"))

    @property
    def uncertified(self) -> str:
        """Why a case with a table still does not count for certification, or ''."""
        return str(self.case.get("uncertified") or "")

    @property
    def gating(self) -> bool:
        """Failed or errored and not a known deviation: this makes the run's exit non-zero."""
        return self.verdict in (FAIL, ERROR) and not self.baselined

    @property
    def reason_line(self) -> str:
        """The first line of the message, without pytest's "Skipped: " prefix."""
        lines = self.message.splitlines()
        return lines[0].removeprefix("Skipped: ") if lines else ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe copy (pytest-xdist workers ship results to the controller with it)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseResult:
        """The inverse of :meth:`to_dict`; keys this version does not know are ignored, so a
        newer worker's payload still loads."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Results:
    cases: dict[str, CaseResult] = field(default_factory=dict)
    last_failure: str = ""
    """The id of the most recent case that failed at a step of its own."""
    baseline: Applied | None = None
    """What ``--ocpp-baseline`` did to this run (set when the session finishes)."""
    notes: list[str] = field(default_factory=list)
    """Lines for the end of the terminal summary (a file written when the session finished)."""

    def totals(self, cases: Iterable[CaseResult] | None = None) -> dict[str, int]:
        """Cases per verdict, every verdict present (0 when none)."""
        counts = dict.fromkeys(VERDICTS, 0)
        for r in self.cases.values() if cases is None else cases:
            counts[r.verdict] += 1
        return counts

    def groups(self) -> list[tuple[tuple[str, str, str], list[CaseResult]]]:
        """Cases per (version, side, profile): the OCTT profiles first, the fuzz properties
        last, each group's cases by id."""
        groups: dict[tuple[str, str, str], list[CaseResult]] = defaultdict(list)
        for result in self.cases.values():
            c = result.case
            groups[(c["version"], c["side"], c["profile"])].append(result)
        return [
            (key, sorted(cases, key=lambda r: r.case["id"]))
            for key, cases in sorted(groups.items(), key=lambda kv: (kv[0][2] == FUZZING, *kv[0]))
        ]


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


def failing_step(ctx: Any, exc: BaseException | None) -> str:
    """The step the verdict names: the one the failure was stamped with, or for a violation
    the link reports after the fact, the step it arrived during; else the case's current
    step. ``exc`` is the primary failure (:func:`primary_failure`)."""
    step = str(getattr(exc, "step", "") or "")
    if isinstance(exc, ProtocolViolation):
        step = ctx.step_when(str(exc)) or step
    return step or ctx.current_step


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
        message=masking.mask(message.strip()),
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
        result.warnings = [masking.mask(text) for text in ctx.warnings]
        result.secondary += [masking.mask(text) for text in ctx.secondary]
        failed_step = failing_step(ctx, exc)
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


def record_run_properties(config: pytest.Config, ocpp_config: Any) -> None:
    """The run's transport security as JUnit XML testsuite properties,
    ``ocpp_security_profile`` (1-3 or ``none``) and ``ocpp_tls_verification`` (``on``, or
    ``off`` under --ocpp-tls-insecure): a CI tool that reads only JUnit must see that a
    green run did not verify the CSMS's certificate. Nothing without --junitxml, in an xdist
    worker (the controller writes the file) or in a run that tests no OCPP target."""
    try:
        from _pytest.junitxml import xml_key  # the key record_testsuite_property uses
    except ImportError:  # a private name: a pytest without it loses the properties only
        return
    xml = config.stash.get(xml_key, None)
    if xml is None or not ocpp_config.active:
        return
    from pytest_ocpp import security

    facts = security.run_facts(ocpp_config)
    xml.add_global_property("ocpp_security_profile", str(facts["security_profile"] or "none"))
    xml.add_global_property("ocpp_tls_verification", "on" if facts["tls_verification"] else "off")


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


# -- the terminal summary --------------------------------------------------------------------
def under_test(side: str) -> str:
    """What a side's cases test, as the summary and the reports name it."""
    return "CSMS" if side == "CSMS" else "charging station"


def catalog_size(version: str, side: str, profile: str) -> int:
    """How many cases the catalogue has for this version, side and profile."""
    from pytest_ocpp.catalog import catalog

    return sum(
        1
        for info in catalog().values()
        if info.version == version and info.side == side and info.profile_name == profile
    )


def distinct_cases(cases: Iterable[CaseResult]) -> int:
    """How many catalogue cases ``cases`` ran, each id once: an OCPI case that crosses into
    OCPP runs once per OCPP version of the station, and coverage counts the case, not its
    runs (the verdict columns count every run)."""
    return len({r.case["id"] for r in cases})


def group_notes(cases: list[CaseResult]) -> str:
    """What a group's coverage does not count for: provisional and uncertified cases; and
    when a case ran more than once (per OCPP version), that the verdicts count runs."""
    notes = []
    distinct = distinct_cases(cases)
    if distinct < len(cases):
        notes.append(f"{len(cases)} runs of {distinct} cases: some ran once per OCPP version")
    provisional = sum(1 for r in cases if r.provisional)
    if provisional:
        notes.append(f"{provisional} provisional, not certified coverage")
    uncertified = sum(1 for r in cases if r.uncertified)
    if uncertified:
        notes.append(f"{uncertified} not part of certification")
    return "; ".join(notes)


def tally(counts: dict[str, int]) -> str:
    """The verdicts that occur, in the fixed order: "52 pass, 2 not applicable"."""
    return ", ".join(f"{counts[v]} {v}" for v in VERDICTS if counts.get(v))


def total_line(results: Results) -> str:
    """``total: N pass, N fail, N not applicable, N error (N with warnings)``: tests, users
    and CI scripts grep this exact format."""
    total = results.totals()
    warned = sum(1 for r in results.cases.values() if r.warnings)
    return (
        "total: "
        + ", ".join(f"{total[v]} {v}" for v in VERDICTS)
        + (f" ({warned} with warnings)" if warned else "")
    )


def write_terminal(
    reporter: Any, results: Results, active: bool = False, per_case: bool = False
) -> None:
    """The OCPP compliance summary: the compact table, or with ``per_case`` (``-v``,
    ``--ocpp-summary=cases``) every case on its own line as before."""
    if not results.cases:
        if active:
            reporter.write_sep("=", "OCPP compliance summary")
            reporter.write_line(
                "no bundled test case matches this run's versions, side and -k selection",
                yellow=True,
            )
        return
    reporter.write_sep("=", "OCPP compliance summary")
    if per_case:
        _write_case_list(reporter, results)
    else:
        _write_table(reporter, results)
        _write_failures(reporter, results)
    _write_cascades(reporter, results)
    _write_baseline(reporter, results)
    _write_warning_tally(reporter, results, limit=None if per_case else WARNING_KINDS_SHOWN)
    reporter.write_line(total_line(results), bold=True)


def _columns(width: int) -> str:
    return (
        f"{'OCPP':<{width}}{'under test':<18}{'profile':<40}"
        f"{'pass':>5}{'fail':>5}{'n/a':>5}{'err':>5}  run/catalogue"
    )


_COLUMNS = _columns(6)


def protocol_version(version: str) -> str:
    """``OCPP 1.6``; an OCPI case's version already names its protocol (``OCPI 2.2.1``)."""
    return version if version.startswith("OCPI") else f"OCPP {version}"


def _write_table(reporter: Any, results: Results) -> None:
    """One row per version, side and certification profile; the fuzz properties after them
    in the line format of the per-case list, under their own heading."""
    fuzz_lines = []
    header_written = False
    groups = results.groups()
    width = max([6, *(len(version) + 1 for (version, _, _), _ in groups)])
    for (version, side, profile), cases in groups:
        counts = results.totals(cases)
        if profile == FUZZING:
            fuzz_lines.append(_fuzz_line(version, side, cases, counts))
            continue
        if not header_written:
            reporter.write_line(_columns(width), bold=True)
            header_written = True
        cells = "".join(f"{counts[v] or '·':>5}" for v in VERDICTS)
        notes = group_notes(cases)
        coverage = f"{distinct_cases(cases)}/{catalog_size(version, side, profile)}"
        colour = {"red": True} if counts[FAIL] or counts[ERROR] else {"green": True}
        reporter.write_line(
            f"{version:<{width}}{under_test(side):<18}{profile[:39]:<40}{cells}  {coverage}"
            + (f" ({notes})" if notes else ""),
            **colour,
        )
    for line in fuzz_lines:
        reporter.write_line(line, bold=True)


def _fuzz_line(version: str, side: str, cases: list[CaseResult], counts: dict[str, int]) -> str:
    return (
        f"OCPP {version} · {under_test(side)} under test · {FUZZING}: {tally(counts)} "
        f"({len(cases)} hypothesis properties, not OCTT cases)"
    )


def _tags(r: CaseResult) -> str:
    return "".join(
        f" [{tag}]"
        for tag, on in (
            ("provisional", r.provisional),
            ("not certified", bool(r.uncertified) and r.case["profile"] != FUZZING),
            ("OCTT-specific", r.octt_specific),
            ("cascade", r.cascade),
            ("known deviation", r.baselined),
            (f"baseline entry expired {r.baseline_expired}", bool(r.baseline_expired)),
        )
        if on
    )


def _write_failures(reporter: Any, results: Results) -> None:
    """The failed and errored cases that gate, one line each; cascades are grouped after
    them (:func:`_write_cascades`), known deviations listed with the baseline."""
    failed = [r for _, cases in results.groups() for r in cases if r.gating and not r.cascade]
    if not failed:
        return
    reporter.write_line("failed and errored cases:", bold=True)
    for r in failed:
        reporter.write_line(
            f"  {_WORDS[r.verdict]:<5} {r.case['id']:<16} {r.case['title']}{_tags(r)}", red=True
        )
        if r.reason_line:
            reporter.write_line(f"        {r.reason_line[:300]}")


def _write_case_list(reporter: Any, results: Results) -> None:
    """The per-case list (``-v``): every case under its group's line."""
    for (version, side, profile), cases in results.groups():
        counts = results.totals(cases)
        if profile == FUZZING:
            reporter.write_line(_fuzz_line(version, side, cases, counts), bold=True)
        else:
            notes = group_notes(cases)
            scope = (
                f"{distinct_cases(cases)} of the catalogue's "
                f"{catalog_size(version, side, profile)} "
                f"cases in this run" + (f"; {notes}" if notes else "")
            )
            reporter.write_line(
                f"{protocol_version(version)} · {under_test(side)} under test · {profile}: "
                f"{tally(counts)} ({scope})",
                bold=True,
            )
        for r in cases:
            line = f"  {_WORDS[r.verdict]:<5} {r.case['id']:<16} {r.case['title']}{_tags(r)}"
            colour = {PASS: "green", FAIL: "red", ERROR: "red", NA: "yellow"}[r.verdict]
            if r.baselined:
                colour = "yellow"
            reporter.write_line(line, **{colour: True})
            if r.verdict != PASS and r.reason_line:
                reporter.write_line(f"        {r.reason_line[:300]}")
            for text in r.secondary:
                reporter.write_line(f"        {text.splitlines()[0][:300]}")
            for text in r.warnings:
                reporter.write_line(f"        warning: {text.splitlines()[0][:300]}", yellow=True)


def _write_cascades(reporter: Any, results: Results) -> None:
    """Cases that could not reach their starting state, grouped under the earlier failure
    that most likely caused them: fix that one first."""
    by_cause: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results.cases.values():
        if r.cascade and not r.baselined:
            by_cause[r.root_cause].append(r)
    if not by_cause:
        return
    reporter.write_line("cascades: cases that could not reach their starting state", bold=True)
    for cause, cases in by_cause.items():
        ids = ", ".join(r.case["id"] for r in cases)
        first = cases[0].message.splitlines()[0][:200] if cases[0].message else ""
        if cause:
            reporter.write_line(f"  after {cause} failed: {ids}")
        else:
            reporter.write_line(f"  {ids}")
        reporter.write_line(f"        first cause: {first}")


def _write_baseline(reporter: Any, results: Results) -> None:
    """Known deviations (not gating), expired entries (gating again) and entries whose case
    now passes (the baseline can shrink)."""
    applied = results.baseline
    if applied is None:
        return
    known = [r for r in results.cases.values() if r.baselined]
    if known:
        reporter.write_line(
            f"known deviations ({len(known)}, listed in {applied.path}; not gating):", bold=True
        )
        for r in sorted(known, key=lambda r: (r.case["version"], r.case["id"])):
            reporter.write_line(
                f"  {_WORDS[r.verdict]:<5} {r.case['id']:<16} {r.case['title']}", yellow=True
            )
            reporter.write_line(f"        baseline: {r.baseline_reason.splitlines()[0][:200]}")
    for r in results.cases.values():
        if r.baseline_expired:
            reporter.write_line(
                f"baseline entry expired: {r.case['id']} (OCPP {r.case['version']}) expired "
                f"{r.baseline_expired} ({r.baseline_reason.splitlines()[0][:120]}): "
                "it fails the run again",
                red=True,
            )
    for entry, case_ids in applied.fixed:
        reporter.write_line(
            f"baseline can shrink: {', '.join(case_ids)} now passes; remove the entry "
            f"{entry.describe()} from {applied.path}",
            green=True,
        )


def _write_warning_tally(reporter: Any, results: Results, limit: int | None = None) -> None:
    """The same warning in many cases (a station that always repeats Preparing) is one
    finding: count it once, with the cases it appeared in. ``limit`` caps the lines under the
    heading (:data:`WARNING_KINDS_SHOWN`)."""
    seen: dict[str, list[str]] = defaultdict(list)
    for r in results.cases.values():
        for text in r.warnings:
            seen[text.split(":", 1)[0]].append(r.case["id"])
    if not seen:
        return
    reporter.write_line("warnings (legal behaviour the scenarios did not name):", bold=True)
    ordered = sorted(seen.items(), key=lambda kv: -len(kv[1]))
    shown = ordered if limit is None or len(ordered) <= limit else ordered[: limit - 1]
    for head, ids in shown:
        names = ", ".join(sorted(set(ids))[:8]) + (" ..." if len(set(ids)) > 8 else "")
        reporter.write_line(f"  {len(ids)}× {head[:160]} ({names})", yellow=True)
    if len(ordered) > len(shown):
        rest = ordered[len(shown) :]
        reporter.write_line(
            f"  ... {len(rest)} more kinds in {sum(len(ids) for _, ids in rest)} places "
            "(-v lists every case's warnings)",
            yellow=True,
        )
