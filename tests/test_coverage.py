"""Issue 23 point 5: the coverage statement is computed, complete and honest.

Every catalogue id must be implemented, provisional, declined with a reason, or listed as not
yet built (``pytest_ocpp/data/octt-coverage.toml``); a stub that only raises is no
implementation; a listing that went stale is a failure too, so the statement never lies in
either direction.
"""

from __future__ import annotations

import json
from pathlib import Path

from harness import run_pytest

from pytest_ocpp.catalog import CaseInfo
from pytest_ocpp.interop import coverage
from pytest_ocpp.interop.coverage import DECLINED, IMPLEMENTED, NOT_BUILT, PROVISIONAL


def test_every_catalogue_id_is_accounted_for() -> None:
    statement = coverage.statement()
    assert statement.problems == (), "\n".join(statement.problems)


def _case(case_id: str, document: str = "") -> CaseInfo:
    return CaseInfo(case_id, "1.6", "CSMS", "Block", f"title {case_id}", "Core", "", document)


CASES = {
    ("1.6", "TC_A"): _case("TC_A"),
    ("1.6", "TC_P"): _case("TC_P", "a revision (title only)"),
    ("1.6", "TC_D"): _case("TC_D"),
    ("1.6", "TC_T"): _case("TC_T"),
}


def _found(case_id: str, stub: bool = False) -> coverage.Found:
    return coverage.Found("1.6", case_id, f"testcases/x.py:{len(case_id)}", stub)


def _data(text: str) -> coverage.CoverageData:
    return coverage.load_data(text)


DATA = _data(
    '[[declined]]\nversion = "1.6"\nid = "TC_D"\nreason = "needs a physical RFID reader"\n'
    '[not_yet_built]\n"1.6" = ["TC_T"]\n'
)


def test_each_case_gets_its_state() -> None:
    result = coverage.statement(
        [_found("TC_A"), _found("TC_P"), _found("TC_D", stub=True)], DATA, CASES
    )
    assert result.problems == ()
    assert result.states == {
        ("1.6", "TC_A"): IMPLEMENTED,
        ("1.6", "TC_P"): PROVISIONAL,
        ("1.6", "TC_D"): DECLINED,
        ("1.6", "TC_T"): NOT_BUILT,
    }
    assert result.reasons == {("1.6", "TC_D"): "needs a physical RFID reader"}
    [group] = result.to_dict()["groups"]
    assert (group["implemented"], group["provisional"], group["declined"]) == (1, 1, 1)
    assert (group["not_yet_built"], group["catalogue"]) == (1, 4)


def test_an_id_in_no_state_fails() -> None:
    result = coverage.statement(
        [_found("TC_A"), _found("TC_P")], DATA, CASES | {("1.6", "TC_X"): _case("TC_X")}
    )
    assert any(
        "TC_X (title TC_X) is neither implemented, provisional, declined with a reason, nor "
        "listed as not yet built" in p
        for p in result.problems
    ), result.problems


def test_stubs_missing_reasons_and_stale_listings_fail() -> None:
    data = _data(
        '[[declined]]\nversion = "1.6"\nid = "TC_D"\nreason = ""\n[not_yet_built]\n"1.6" = ["TC_T", "TC_A"]\n'
    )
    result = coverage.statement(
        [_found("TC_A"), _found("TC_P", stub=True), _found("TC_T")], data, CASES
    )
    problems = "\n".join(result.problems)
    assert "TC_D is declined without a reason" in problems
    assert "TC_P: the test at testcases/x.py:4 only raises" in problems
    assert "TC_A is implemented at testcases/x.py:4 but still listed as not yet built" in problems


def test_the_command_line_needs_no_target_and_gives_json(tmp_path: Path) -> None:
    """``pytest --ocpp-coverage=json`` from an empty directory: no target, no cases run."""
    done = run_pytest(tmp_path, "--ocpp-coverage=json")
    statement = json.loads(done.stdout)
    assert statement["format"] == "pytest-ocpp-coverage v1"
    assert done.returncode == (1 if statement["problems"] else 0)
    rows = {(g["version"], g["side"], g["profile"]): g for g in statement["groups"]}
    core = rows[("1.6", "CSMS", "Core")]
    assert core["catalogue"] == sum(
        core[k] for k in ("implemented", "provisional", "declined", "not_yet_built")
    )
    assert statement["totals"]["2.1"]["not_yet_built"] == statement["totals"]["2.1"]["catalogue"]
    assert any(d["id"] == "TC_A_13_CS" and d["reason"] for d in statement["declined"])


def test_the_table_and_the_readme_markdown_agree_with_the_json() -> None:
    statement = coverage.statement()
    text, markdown = statement.render(), statement.markdown()
    for group in statement.groups():
        assert f"| {group.version} | " in markdown
        assert group.profile[:39] in text
    assert "declined:" in text and "TC_A_13_CS" in text


README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_coverage_table_is_what_the_statement_generates() -> None:
    """The README's "## Coverage" table is generated (``pytest --ocpp-coverage=markdown``):
    a case implemented, declined or added since must show there, or this fails with the
    command that regenerates it."""
    text = README.read_text("utf-8")
    section = text.split("\n## Coverage\n", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    assert table == coverage.statement().markdown(), (
        "README.md's coverage table is stale: replace it with the output of "
        "`pytest --ocpp-coverage=markdown`"
    )
