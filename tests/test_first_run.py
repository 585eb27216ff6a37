"""What a new user meets on a first run (issue 12 points 5-9): the README's examples work as
written, the config file rejects typos anywhere, versions are selected the same way for every
kind of run, and the reports carry warnings, OCTT-specific failures, provisional cases and
cascades where a user can see them.

Runs that exercise reporting use a throwaway test module with ``@ocpp_case`` functions against
the embedded reference CSMS: the behaviour under test is the reporting, not a scenario.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from harness import run_pytest

from pytest_ocpp.catalog import catalog
from pytest_ocpp.config import ConfigError, build_config

README = Path(__file__).resolve().parent.parent / "README.md"


def _config(tmp_path: Path, text: str) -> None:
    path = tmp_path / "ocpp.toml"
    path.write_text(textwrap.dedent(text), "utf-8")
    build_config(lambda n: str(path) if n == "config" else None, lambda n: None, {}, tmp_path)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[ocpp]\nresponse_timout = 3\n", "response_timout"),
        ("[ocpp]\n[station]\nconectors = 3\n", "conectors"),
        ("[ocpp]\n[tagz]\nvalid = 'X'\n", "tagz"),
        ("[tags.types]\nvalid = 'RFID'\n", "RFID"),
        ("[tags.types]\nvalidd = 'Central'\n", "validd"),
    ],
)
def test_unknown_keys_anywhere_in_the_config_are_errors(
    tmp_path: Path, text: str, named: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(named)) as raised:
        _config(tmp_path, text)
    assert "known" in str(raised.value) or "one of" in str(raised.value)


def test_readme_config_example_is_accepted_as_written(tmp_path: Path) -> None:
    """The README's config file example, copied verbatim, is valid."""
    text = README.read_text("utf-8")
    block = text.split("### The config file", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    _config(tmp_path, block)


def test_readme_default_tags_are_the_reference_csms_tags() -> None:
    """The README's [tags] defaults are what the plugin uses and what the reference knows."""
    from pytest_ocpp.config import IdTags
    from pytest_ocpp.embedded import reference_id_tags

    text = README.read_text("utf-8")
    tags = IdTags()
    for name in ("valid", "valid_2", "invalid", "blocked", "expired", "parent"):
        assert f'{name} = "{getattr(tags, name)}"' in text.replace("  ", " "), name
    known = reference_id_tags(tags)
    assert known[tags.valid].status == "Accepted" and tags.invalid not in known


def test_one_version_default_for_every_kind_of_run(tmp_path: Path) -> None:
    def versions(**cli: str) -> list[str]:
        cfg = build_config(lambda n: cli.get(n), lambda n: None, {}, tmp_path)
        return [v.name for v in cfg.versions]

    assert versions(reference="1") == versions(target="ws://x/ocpp") == ["1.6"]
    assert versions(reference="1", version="all") == ["1.6", "2.0.1"]


def test_provisional_cases_are_the_title_only_ones() -> None:
    provisional = {i.id for i in catalog().values() if i.provisional and i.version == "1.6"}
    assert {"TC_007_1_CS", "TC_023_4_CS", "TC_088_CSMS"} <= provisional
    assert "TC_003_CS" not in provisional


REPORTING_MODULE = """
from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.verdicts import TargetFailure, check, check_octt


@ocpp_case("TC_001_CSMS")
async def test_boot_with_warning(station):
    step("1. the step that passes")
    warn("StatusNotification Preparing repeated: said twice, which OCPP 1.6 §4.9 allows")


@ocpp_case("TC_003_CSMS")
async def test_octt_rule(station):
    step("6. the OCTT-only check")
    check_octt(False, "an info text", {}, octt="TC_005_3_CS step 6", spec="§4.9 recommends it")


@ocpp_case("TC_004_1_CSMS")
async def test_failure_then_broken_cleanup(station):
    try:
        step("3. the step whose check fails")
        check(False, "StatusNotification Charging", {"status": "Preparing"})
    finally:
        step("After: clean up")
        raise TargetFailure("clean-up could not stop the transaction")


@ocpp_case("TC_007_CSMS")
async def test_cascade(new_station):
    new_station.ctx.preparations.append(_broken_start)
    await new_station.ctx.prepare()


async def _broken_start():
    raise TargetFailure("the boot was Rejected")
"""


def test_reports_carry_warnings_octt_rules_secondary_failures_and_cascades(
    tmp_path: Path,
) -> None:
    (tmp_path / "test_reporting.py").write_text(REPORTING_MODULE, "utf-8")
    report = tmp_path / "r.json"
    # The per-case list (with each case's warning lines) is --ocpp-summary=cases or -v; the
    # default compact summary shows failures, cascades and the warning tally only.
    done = run_pytest(
        tmp_path,
        "--ocpp-reference",
        "test_reporting.py",
        "--ocpp-report",
        str(report),
        "-rA",
        "--ocpp-summary=cases",
    )
    cases = {c["id"]: c for c in json.loads(report.read_text("utf-8"))["cases"]}
    out = done.stdout

    warned = cases["TC_001_CSMS"]
    assert warned["verdict"] == "pass" and "repeated" in warned["warnings"][0]
    assert "warning: StatusNotification Preparing repeated" in out
    assert "(1 with warnings)" in out

    octt = cases["TC_003_CSMS"]
    assert octt["verdict"] == "fail" and octt["octt_specific"]
    assert "[OCTT-specific]" in out and "TC_005_3_CS step 6" in octt["message"]

    both = cases["TC_004_1_CSMS"]
    assert both["verdict"] == "fail"
    assert both["step"] == "3. the step whose check fails", both["step"]
    assert "StatusNotification Charging" in both["message"]
    assert any("clean-up could not stop" in s for s in both["secondary"])

    cascade = cases["TC_007_CSMS"]
    assert cascade["cascade"] and cascade["message"].startswith(
        "could not reach the starting state:"
    )
    assert cascade["root_cause"] == "TC_004_1_CSMS"
    assert "after TC_004_1_CSMS failed: TC_007_CSMS" in out

    # Nothing leaks after the run, and the short summary leads with the reason.
    assert "Future exception was never retrieved" not in out + done.stderr
    assert "PytestDeprecationWarning" not in out + done.stderr
    assert re.search(r"FAILED test_reporting.py::test_octt_rule - OcttSpecific: expected", out)


def test_station_side_intervals_come_from_the_config(tmp_path: Path) -> None:
    """OCTT lets the tester set the heartbeat and meter-value intervals (issue 12 pt 5;
    issue 22 pt 10: a station refusing our default must still be testable)."""
    config = tmp_path / "ocpp.toml"
    config.write_text(
        "[station]\nheartbeat_interval = 3\nmeter_value_sample_interval = 7\n", "utf-8"
    )
    report = tmp_path / "r.json"
    run_pytest(
        tmp_path,
        "--ocpp-reference",
        "--ocpp-config",
        str(config),
        "-k",
        "test_tc_002_cs and not csms",
        "--ocpp-report",
        str(report),
    )
    (case,) = json.loads(report.read_text("utf-8"))["cases"]
    assert case["verdict"] == "pass", case["message"]
    sent = " ".join(e["text"].replace(" ", "") for e in case["trace"] if e["direction"] == "sent")
    assert '"key":"MeterValueSampleInterval","value":"7"' in sent
    assert '"interval":3' in sent


def test_standalone_reference_csms_knows_the_default_tags() -> None:
    """README: ``python -m pytest_ocpp.reference.csms`` then ``pytest --ocpp-target=...``
    with no config: the reference's own default tags must be the suite's defaults."""
    from pytest_ocpp.config import IdTags
    from pytest_ocpp.embedded import reference_id_tags
    from pytest_ocpp.reference.csms import DEFAULT_ID_TAGS

    expected = {tag: spec.status for tag, spec in reference_id_tags(IdTags()).items()}
    assert {tag: spec.status for tag, spec in DEFAULT_ID_TAGS.items()} == expected
    assert DEFAULT_ID_TAGS["CHILD_TAG"].parent_id_tag == IdTags().parent
    assert IdTags().invalid not in DEFAULT_ID_TAGS


def test_allure_results_carry_warnings_and_provisional_tags(tmp_path: Path) -> None:
    """The warnings reach Allure as an attachment and a tag; a provisional case is tagged."""
    (tmp_path / "test_reporting.py").write_text(REPORTING_MODULE, "utf-8")
    results = tmp_path / "allure"
    run_pytest(
        tmp_path, "--ocpp-reference", "test_reporting.py", f"--alluredir={results}", "-k", "boot"
    )
    (result,) = [
        json.loads(p.read_text("utf-8"))
        for p in results.glob("*-result.json")
        if "TC_001_CSMS" in p.read_text("utf-8")
    ]
    names = [a["name"] for a in result.get("attachments", [])]
    assert any(n.startswith("OCPP warnings") for n in names), names
    tags = {label["value"] for label in result["labels"] if label["name"] == "tag"}
    assert "warnings" in tags and "TC_001_CSMS" in tags
    bundled = tmp_path / "bundled"
    run_pytest(
        tmp_path,
        "--ocpp-reference",
        "--ocpp-version=2.0.1",
        "-k",
        "tc_b_58",
        f"--alluredir={bundled}",
    )
    (b58,) = [json.loads(p.read_text("utf-8")) for p in bundled.glob("*-result.json")]
    b58_tags = {label["value"] for label in b58["labels"] if label["name"] == "tag"}
    assert "provisional (no OCTT table)" in b58_tags, b58_tags
