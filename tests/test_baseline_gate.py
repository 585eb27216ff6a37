"""The CI gate (issue 16): the exit status is non-zero exactly when a selected, applicable case
fails or errors outside the baseline (``--ocpp-baseline``), or a test that is not an OCPP case
fails; a malformed baseline is a usage error; ``--ocpp-baseline-write`` writes a baseline the
next run accepts.

The runs use a reference CSMS that accepts unknown id tags: TC_023_1_CSMS fails on it,
TC_001_CSMS passes. Each run takes a second or two of CPU; they run a few at a time.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from harness import Report, keyword, reference_csms, run_pytest, run_suite
from test_report_formats import validate

from pytest_ocpp.plugin import TESTCASES
from pytest_ocpp.report import baseline
from pytest_ocpp.report.summary import CaseResult, Results

FAILING, PASSING = "TC_023_1_CSMS", "TC_001_CSMS"
KNOWN = f"""
[[deviation]]
id = "{FAILING}"
version = "1.6"
reason = "ticket CSMS-412 | accepts unknown tags"
expires = 2099-01-01

[[deviation]]
id = "{PASSING}"
reason = "fixed in 4.2"
"""
EXPIRED = f"""
[[deviation]]
id = "{FAILING}"
reason = "ticket CSMS-412"
expires = 2020-01-01
"""
PLAIN = """
def test_plain_failure():
    assert 1 == 2
"""


def _run(
    workdir: Path, *args: str, baseline_text: str | None = None, plain: bool = False
) -> Report:
    """The two cases against the broken reference CSMS, with ``baseline_text`` as the
    baseline and, with ``plain``, a failing test that is not an OCPP case in the same run."""
    workdir.mkdir(parents=True, exist_ok=True)
    options = list(args)
    if baseline_text is not None:
        (workdir / "baseline.toml").write_text(baseline_text, "utf-8")
        options += ["--ocpp-baseline", "baseline.toml"]
    selection = keyword((FAILING, PASSING))
    if plain:
        (workdir / "test_plain.py").write_text(PLAIN, "utf-8")
        options += [str(TESTCASES), "test_plain.py"]
        selection += " or test_plain_failure"
    with reference_csms(["accept_unknown_id_tag"], versions=("1.6",)) as csms:
        return run_suite(
            workdir,
            *csms.args,
            *options,
            "--ocpp-report-md",
            "summary.md",
            "-k",
            selection,
            response_timeout=2,
            message_timeout=2,
        )


def _write_then_read(workdir: Path) -> tuple[Report, Report, str]:
    """``--ocpp-baseline-write`` in one run, that file as ``--ocpp-baseline`` in the next."""
    first = _run(workdir / "write", "--ocpp-baseline-write", "written.toml")
    text = (workdir / "write" / "written.toml").read_text("utf-8")
    return first, _run(workdir / "read", baseline_text=text), text


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("gate")
    jobs = {
        "known": lambda: _run(root / "known", baseline_text=KNOWN),
        "expired": lambda: _run(root / "expired", baseline_text=EXPIRED),
        "plain": lambda: _run(root / "plain", baseline_text=KNOWN, plain=True),
        "round_trip": lambda: _write_then_read(root / "round_trip"),
    }
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: future.result(timeout=300) for name, future in futures.items()}


def _document(report: Report) -> dict[str, Any]:
    document = json.loads((report.workdir / "r.json").read_text("utf-8"))
    validate(document)
    return document


def test_without_a_baseline_a_failure_gates_and_the_baseline_is_written(
    runs: dict[str, Any],
) -> None:
    first, _, text = runs["round_trip"]
    assert first.returncode == 1, first.output
    assert first.verdicts[FAILING][0] == "fail" and first.verdicts[PASSING][0] == "pass"
    assert "pytest-ocpp: baseline of 1 failed or errored cases written to written.toml" in (
        first.stdout
    )
    (entry,) = baseline.parse(baseline.tomllib.loads(text))
    assert (entry.id, entry.version, entry.expires) == (FAILING, "1.6", None)
    assert entry.reason == first.verdicts[FAILING][1].splitlines()[0]


def test_the_written_baseline_makes_the_next_run_pass(runs: dict[str, Any]) -> None:
    _, second, _ = runs["round_trip"]
    assert second.returncode == 0, second.output
    assert second.verdicts[FAILING][0] == "fail"  # still reported as what it is
    assert "known deviations (1, listed in baseline.toml; not gating):" in second.stdout


def test_known_deviation_is_reported_everywhere_but_does_not_gate(runs: dict[str, Any]) -> None:
    report = runs["known"]
    assert report.returncode == 0, report.output
    document = _document(report)
    cases = {c["id"]: c for c in document["cases"]}
    assert cases[FAILING]["verdict"] == "fail" and cases[FAILING]["baselined"] is True
    assert cases[FAILING]["baseline_reason"] == "ticket CSMS-412 | accepts unknown tags"
    assert cases[PASSING]["baselined"] is False
    assert document["gate"] == {"passed": True, "gating_cases": 0, "known_deviations": 1}
    assert document["baseline"]["known_deviations"] == [FAILING]
    assert [e["id"] for e in document["baseline"]["fixed"]] == [PASSING]
    assert "total: 1 pass, 1 fail, 0 not applicable, 0 error" in report.stdout
    assert "failed and errored cases:" not in report.stdout
    assert f"  FAIL  {FAILING}" in report.stdout  # under the known deviations
    assert "        baseline: ticket CSMS-412 | accepts unknown tags" in report.stdout
    assert f"baseline can shrink: {PASSING} now passes; remove the entry" in report.stdout
    text = (report.workdir / "summary.md").read_text("utf-8")
    assert "✅ **OCPP compliance: no failures** outside the baseline (1 known deviations)" in text
    assert "### Known deviations (1, baseline `baseline.toml`)" in text
    assert "ticket CSMS-412 \\| accepts unknown tags" in text
    assert f"baseline can shrink: `{PASSING}` now passes" in text


def test_an_expired_entry_gates_again_and_says_so(runs: dict[str, Any]) -> None:
    report = runs["expired"]
    assert report.returncode == 1, report.output
    cases = {c["id"]: c for c in _document(report)["cases"]}
    assert cases[FAILING]["baselined"] is False
    assert cases[FAILING]["baseline_expired"] == "2020-01-01"
    assert f"baseline entry expired: {FAILING} (OCPP 1.6) expired 2020-01-01" in report.stdout
    assert "failed and errored cases:" in report.stdout
    text = (report.workdir / "summary.md").read_text("utf-8")
    assert "❌" in text and "baseline entry expired 2020-01-01" in text


def test_a_plain_test_failing_beside_known_deviations_still_gates(runs: dict[str, Any]) -> None:
    report = runs["plain"]
    assert "1 failed" in report.stdout or "2 failed" in report.stdout, report.output
    assert "test_plain_failure" in report.stdout
    assert report.returncode == 1, report.output


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[[deviation]]\nid = "TC_010_CSMS"\n', 'needs reason = "..."'),
        ('[[deviation]\nid = "TC_010_CSMS"\n', "is not valid TOML"),
    ],
)
def test_a_malformed_baseline_is_a_usage_error(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / "bad.toml").write_text(text, "utf-8")
    done = run_pytest(tmp_path, "--ocpp-reference", "--ocpp-baseline", "bad.toml")
    out = done.stdout + done.stderr
    assert done.returncode == 4, out
    assert says in out and "--ocpp-baseline" in out
    assert "Traceback" not in out


# -- in process ------------------------------------------------------------------------------
def test_parse_rejects_what_would_silently_misread() -> None:
    def error(document: dict[str, Any]) -> str:
        with pytest.raises(baseline.BaselineError) as raised:
            baseline.parse(document)
        return str(raised.value)

    assert "unknown key 'reson'" in error({"deviation": [{"id": "X", "reson": "r"}]})
    assert "unknown top-level key 'deviations'" in error({"deviations": []})
    assert "needs id" in error({"deviation": [{"reason": "r"}]})
    assert "version = '16'" in error({"deviation": [{"id": "X", "reason": "r", "version": "16"}]})
    assert "TOML date" in error({"deviation": [{"id": "X", "reason": "r", "expires": "soon"}]})
    assert "listed twice" in error({"deviation": [{"id": "X", "reason": "r"}] * 2})
    (entry,) = baseline.parse(
        {"deviation": [{"id": "X", "reason": "r", "expires": date(2027, 3, 1)}]}
    )
    assert entry.expired(date(2027, 3, 1)) and not entry.expired(date(2027, 2, 28))


def _case(case_id: str, version: str, verdict: str, message: str = "") -> CaseResult:
    case = {"id": case_id, "version": version, "side": "CSMS", "profile": "Core"}
    case |= {"block": "B", "title": case_id}
    return CaseResult(nodeid=f"{case_id}-{version}", case=case, verdict=verdict, message=message)


def test_apply_matches_by_id_and_optional_version() -> None:
    results = Results()
    for r in (
        _case("FZ_A", "1.6", "fail"),
        _case("FZ_A", "2.0.1", "fail"),
        _case("TC_B", "1.6", "error"),
        _case("TC_C", "1.6", "not applicable"),
    ):
        results.cases[r.nodeid] = r
    deviations = baseline.parse(
        {
            "deviation": [
                {"id": "FZ_A", "version": "2.0.1", "reason": "only 2.0.1"},
                {"id": "TC_B", "reason": "rig"},
                {"id": "TC_C", "reason": "n/a now"},
                {"id": "TC_Z", "reason": "not run"},
            ]
        }
    )
    applied = baseline.apply(results, deviations, "b.toml", date(2026, 1, 1))
    assert [r.baselined for r in results.cases.values()] == [False, True, True, False]
    assert [d.id for d in applied.unused] == ["TC_Z"]
    assert applied.fixed == []  # not applicable is not "now passes"


def test_written_baseline_escapes_any_message(tmp_path: Path) -> None:
    nasty = 'quote " backslash \\ tab \t del \x7f unicode é'
    path = tmp_path / "b.toml"
    count = baseline.write(path, [_case("TC_A", "1.6", "fail", nasty + "\nsecond line")])
    assert count == 1
    (entry,) = baseline.load(path)
    assert entry.reason == nasty.strip()


def test_gate_leaves_pytests_own_statuses_alone() -> None:
    """Interrupted, usage error, no tests collected: not for the baseline to turn into 0."""

    class Session:
        exitstatus = pytest.ExitCode.INTERRUPTED

        class config:  # stands in for pytest.Config
            @staticmethod
            def getoption(name: str, default: Any = None) -> Any:
                return None

    results = Results()
    results.cases["x"] = _case("TC_A", "1.6", "pass")
    for status in (
        pytest.ExitCode.INTERRUPTED,
        pytest.ExitCode.USAGE_ERROR,
        pytest.ExitCode.NO_TESTS_COLLECTED,
    ):
        Session.exitstatus = status
        baseline.gate(Session, results)  # type: ignore[arg-type]
        assert Session.exitstatus == status
