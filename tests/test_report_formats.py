"""The reports a run writes (issue 16): the compact terminal summary, the versioned JSON
report and its schema, the Markdown summary for a CI job page, and ``CaseResult``'s round
trip (how xdist workers ship verdicts).

Three small runs, as users run the suite: a broken reference CSMS (one case fails, one is not
applicable, two pass, in two versions and three profiles), and a clean multi-profile run
against the embedded references, compact and with ``-v``. The one-screen budget of a whole
clean run (~950 cases: nine minutes) is checked on the summary writer directly, with one
result per case of the catalogue.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jsonschema
import pytest
from harness import Report, implemented_cases, keyword, reference_csms, run_pytest, run_suite

from pytest_ocpp.catalog import catalog
from pytest_ocpp.report import markdown
from pytest_ocpp.report.json_report import FORMAT, SCHEMA_PATH, schema
from pytest_ocpp.report.summary import FUZZING, CaseResult, Results, write_terminal

BROKEN = ("TC_001_CSMS", "TC_023_1_CSMS", "TC_061_CSMS", "TC_B_01_CSMS")
"""Against ``accept_unknown_id_tag`` without an operator: pass, fail, not applicable, pass."""
CLEAN = ("TC_001_CSMS", "TC_042_1_CSMS", "TC_054_CSMS", "TC_044_1_CSMS", "TC_B_01_CSMS")
"""Four profiles of 1.6 and one of 2.0.1, all passing against the reference."""


def validate(document: dict[str, Any]) -> None:
    """The report validates against the shipped schema (draft 2020-12, formats checked)."""
    validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def summary_lines(stdout: str) -> list[str]:
    """The OCPP compliance summary's lines, from its heading to the total line."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "OCPP compliance summary" in line)
    end = next(i for i, line in enumerate(lines) if line.startswith("total: "))
    return lines[start : end + 1]


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, dict[str, Any], str]:
    """The broken-CSMS run: its report, the JSON document and the Markdown."""
    workdir = tmp_path_factory.mktemp("broken")
    with reference_csms(["accept_unknown_id_tag"]) as csms:
        report = run_suite(
            workdir,
            "--ocpp-target",
            csms.url,
            "--ocpp-version",
            "all",
            "--ocpp-report-md",
            "summary.md",
            "--junitxml",
            "junit.xml",
            ids=BROKEN,
            response_timeout=2,
            message_timeout=2,
        )
    document = json.loads((workdir / "r.json").read_text("utf-8"))
    return report, document, (workdir / "summary.md").read_text("utf-8")


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The clean multi-profile run, compact and with ``-v``."""
    done = {}
    for name, extra in (("compact", ()), ("verbose", ("-v",))):
        done[name] = run_pytest(
            tmp_path_factory.mktemp(name),
            "--ocpp-reference",
            "--ocpp-version",
            "all",
            "-k",
            keyword(CLEAN),
            *extra,
        )
    return done


def test_json_report_validates_and_carries_the_fields(
    broken: tuple[Report, dict[str, Any], str],
) -> None:
    report, document, _ = broken
    validate(document)
    assert document["format"] == FORMAT == "pytest-ocpp-report"
    assert document["format_version"] == 1
    assert document["run"]["target"].startswith("ws://") and not document["run"]["reference"]
    assert document["run"]["versions"] == ["1.6", "2.0.1"]
    assert document["totals"] == {"pass": 2, "fail": 1, "not applicable": 1, "error": 0}
    assert document["gate"] == {"passed": False, "gating_cases": 1, "known_deviations": 0}
    assert document["baseline"] is None
    groups = {(g["version"], g["side"], g["profile"]): g for g in document["groups"]}
    core = groups[("1.6", "CSMS", "Core")]
    assert core["totals"]["fail"] == 1 and core["cases_run"] == 3
    assert core["catalogue_cases"] == sum(
        1
        for i in catalog().values()
        if (i.version, i.side, i.profile_name) == ("1.6", "CSMS", "Core")
    )
    cases = {c["id"]: c for c in document["cases"]}
    failed = cases["TC_023_1_CSMS"]
    assert failed["verdict"] == "fail" and "status Invalid" in failed["reason"]
    assert failed["reason"] == failed["message"]  # the first format's keys stay
    assert failed["failing_step"] == failed["step"] and failed["step"].startswith("1.")
    assert "§4.1" in failed["requirements"] and failed["trace"]
    assert failed["baselined"] is False
    assert cases["TC_B_01_CSMS"]["requirements"][:1] == ["B01.FR.02"]
    assert cases["TC_B_01_CSMS"]["failing_step"] is None
    assert cases["TC_061_CSMS"]["verdict"] == "not applicable"
    assert report.returncode == 1, report.output


def test_junit_carries_each_case_verdict_as_the_json_report_does(
    broken: tuple[Report, dict[str, Any], str],
) -> None:
    """JUnit XML (for CI tools that read only it) has the same verdict per case as the JSON
    report, in the ``ocpp_verdict`` and ``ocpp_case`` properties."""
    report, document, _ = broken
    tree = ElementTree.parse(report.workdir / "junit.xml")
    found = {}
    for testcase in tree.iter("testcase"):
        props = {p.get("name"): p.get("value") for p in testcase.iter("property")}
        if "ocpp_case" in props:
            found[props["ocpp_case"]] = props["ocpp_verdict"]
    assert found == {c["id"]: c["verdict"] for c in document["cases"]}, found
    assert "fail" in found.values() and "pass" in found.values(), found


def test_schema_is_package_data_and_rejects_a_wrong_report() -> None:
    """The schema ships inside the package (pyproject package-data) and is strict enough to
    catch a report that lost a field or grew a fifth verdict."""
    assert SCHEMA_PATH.parent.name == "schema" and SCHEMA_PATH.parent.parent.name == "report"
    jsonschema.Draft202012Validator.check_schema(schema())
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text("utf-8")
    assert '"report/schema/*.json"' in pyproject
    validator = jsonschema.Draft202012Validator(schema())
    assert not validator.is_valid({"format": FORMAT, "format_version": 1})
    assert not validator.is_valid({"format": FORMAT, "format_version": 2})


def test_run_block_states_the_transport_security(
    broken: tuple[Report, dict[str, Any], str],
) -> None:
    """The run block's security fields (issue 17): no profile and verification on by default;
    added within format version 1, so a report without them (an earlier release's) still
    validates, and a profile the whitepaper does not define does not."""
    _, document, text = broken
    assert document["run"]["security_profile"] is None
    assert document["run"]["tls_verification"] is True
    assert "Security profile" not in text and "--ocpp-tls-insecure" not in text
    earlier = json.loads(json.dumps(document))
    del earlier["run"]["security_profile"], earlier["run"]["tls_verification"]
    validate(earlier)
    wrong = json.loads(json.dumps(document))
    wrong["run"]["security_profile"] = 4
    assert not jsonschema.Draft202012Validator(schema()).is_valid(wrong)


def test_markdown_has_headline_totals_failures_and_not_applicable_reasons(
    broken: tuple[Report, dict[str, Any], str],
) -> None:
    _, _, text = broken
    assert "❌ **OCPP compliance: 1 case(s) failed or errored**" in text
    assert "`total: 2 pass, 1 fail, 1 not applicable, 0 error`" in text
    assert "| 1.6 | CSMS | Core | 1 | 1 | 1 | 0 | 3 / 34 |" in text
    assert "| 2.0.1 | CSMS | Core | 1 | 0 | 0 | 0 | 1 / " in text
    failed = next(line for line in text.splitlines() if line.startswith("| `TC_023_1_CSMS`"))
    assert "status Invalid" in failed and "| 1. " in failed and "§4.1" in failed
    assert "### Not applicable (1)" in text and "no csms operator configured" in text
    assert "Known deviations" not in text  # no baseline given


def test_markdown_cells_escape_pipes_and_newlines() -> None:
    assert markdown.cell("a | b\nc\r\nd") == "a \\| b<br>c<br>d"
    result = _result("TC_001_CSMS", "fail", message="got |x|\nsecond line", step="2. | step")
    text = markdown.render(Results(cases={result.nodeid: result}))
    row = next(line for line in text.splitlines() if line.startswith("| `TC_001_CSMS`"))
    assert row.count(" | ") == 6, row  # seven cells: no pipe of the message split one
    assert "got \\|x\\|<br>second line" in row


def test_terminal_summary_is_compact_and_lists_the_failure(
    broken: tuple[Report, dict[str, Any], str],
) -> None:
    report, _, _ = broken
    lines = summary_lines(report.stdout)
    assert not any(line.startswith(("  PASS ", "  N/A ")) for line in lines), lines
    assert any(
        line.startswith("1.6   CSMS") and "Core" in line and "3/34" in line for line in lines
    )
    assert "failed and errored cases:" in lines
    (failed,) = [line for line in lines if "TC_023_1_CSMS" in line]
    assert failed.startswith("  FAIL  TC_023_1_CSMS")
    assert failed.endswith(catalog()[("1.6", "TC_023_1_CSMS")].title)
    reason = lines[lines.index(failed) + 1]
    assert "status Invalid" in reason
    assert lines[-1] == "total: 2 pass, 1 fail, 1 not applicable, 0 error"


def test_clean_multi_profile_run_is_one_line_per_profile(clean: dict[str, Any]) -> None:
    done = clean["compact"]
    assert done.returncode == 0, done.stdout[-3000:]
    lines = summary_lines(done.stdout)
    # heading, column header, five profiles, total
    assert len(lines) == 8, "\n".join(lines)
    assert lines[-1] == "total: 5 pass, 0 fail, 0 not applicable, 0 error"


def test_verbose_prints_the_per_case_list(clean: dict[str, Any]) -> None:
    done = clean["verbose"]
    lines = summary_lines(done.stdout)
    for case in CLEAN:
        assert any(line.startswith(f"  PASS  {case}") for line in lines), (case, lines)
    assert "OCPP 1.6 · CSMS under test · Remote Trigger: 1 pass (1 of the catalogue's 2 cases" in (
        done.stdout
    )


# -- the summary writer on its own -----------------------------------------------------------
class FakeReporter:
    """Collects what the summary writes (pytest's TerminalReporter API, the part used)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write_sep(self, sep: str, title: str, **markup: bool) -> None:
        self.lines.append(f"{sep * 10} {title} {sep * 10}")

    def write_line(self, line: str, **markup: bool) -> None:
        self.lines.append(line)


def _result(case_id: str, verdict: str, version: str = "1.6", **fields: Any) -> CaseResult:
    info = catalog().get((version, case_id))
    case = (
        {
            "id": info.id,
            "version": info.version,
            "side": info.side,
            "profile": info.profile_name,
            "block": info.block,
            "title": info.title,
            "provisional": info.provisional,
            "uncertified": info.uncertified,
        }
        if info is not None
        else fields.pop("case")
    )
    return CaseResult(
        nodeid=f"x.py::{case_id}::{case['version']}::{case['side']}",
        case=case,
        verdict=verdict,
        **fields,
    )


def test_a_clean_run_of_the_whole_suite_fits_one_screen() -> None:
    """One result per bundled case of 1.6 and 2.0.1 (what ``--ocpp-version=all`` runs), a
    few not applicable, warnings of one kind, and the four fuzz groups: one screen, at most
    50 lines however many profiles the catalogue gains a row for (1.6 has 7 profiles, 2.0.1
    10 groups, two sides each: 34 rows at most); ``per_case`` lists every case."""
    import pytest_ocpp.testcases.ocpp16 as v16
    import pytest_ocpp.testcases.ocpp201 as v201

    results = Results()
    for version, package in (("1.6", v16), ("2.0.1", v201)):
        for side in ("cs", "csms"):
            module = importlib.import_module(f"{package.__name__}.{side}")
            for case_id in implemented_cases(module, version):
                verdict = "not applicable" if case_id.endswith("_2_CS") else "pass"
                warned = case_id.startswith("TC_01")
                result = _result(
                    case_id,
                    verdict,
                    version,
                    message="not applicable: no",
                    warnings=["StatusNotification Preparing repeated: twice"] if warned else [],
                )
                results.cases[result.nodeid] = result
    properties = {("1.6", "CS"): 21, ("1.6", "CSMS"): 37, ("2.0.1", "CS"): 29}
    properties[("2.0.1", "CSMS")] = 59  # as many as the bundled fuzz properties
    for (version, side), count in properties.items():
        for n in range(count):
            fz = f"FZ_{n}"
            case = {"id": fz, "version": version, "side": side, "profile": FUZZING}
            case |= {"block": "fuzz", "title": "property", "provisional": False}
            result = _result(fz, "pass", version, case=case)
            results.cases[result.nodeid] = result
    assert len(results.cases) > 940
    compact = FakeReporter()
    write_terminal(compact, results, active=True)
    assert len(compact.lines) <= 50, "\n".join(compact.lines)
    assert compact.lines[-1].startswith("total: ") and "with warnings)" in compact.lines[-1]
    fuzz = [line for line in compact.lines if "· Fuzzing:" in line]
    assert len(fuzz) == 4 and compact.lines[-len(fuzz) - 3 :][0] == fuzz[0]
    assert all("hypothesis properties, not OCTT cases" in line for line in fuzz)
    full = FakeReporter()
    write_terminal(full, results, active=True, per_case=True)
    assert len(full.lines) > len(results.cases)


def test_warning_tally_is_capped_in_the_compact_summary() -> None:
    results = Results()
    for n, case_id in enumerate(("TC_001_CSMS", "TC_003_CSMS", "TC_010_CSMS", "TC_013_CSMS")):
        result = _result(case_id, "pass", warnings=[f"kind {n}: text"])
        results.cases[result.nodeid] = result
    compact = FakeReporter()
    write_terminal(compact, results)
    tally = compact.lines[
        compact.lines.index(next(x for x in compact.lines if "warnings (" in x)) :
    ]
    assert len(tally) == 1 + 2 + 1  # heading, one kind, "... 3 more kinds", total
    assert "3 more kinds" in tally[2]


def test_case_result_round_trips_through_json() -> None:
    result = _result(
        "TC_023_1_CSMS",
        "fail",
        message="Step 2: wrong",
        step="1. Authorize",
        trace=[{"time": 1.5, "link": "CP_1", "direction": "sent", "text": "[2]"}],
        warnings=["w: x"],
        requirements=["§4.1"],
        cascade=True,
        root_cause="TC_001_CSMS",
        baselined=True,
        baseline_reason="ticket 1",
    )
    data = json.loads(json.dumps(result.to_dict()))
    assert CaseResult.from_dict(data) == result
    assert CaseResult.from_dict({**data, "added_in_a_later_version": 1}) == result
