"""The conformant half of the proof: the whole suite passes against the reference CSMS.

``test_csms_defects.py`` shows that the CSMS-side cases fail when the reference is broken;
here they must pass (or be not applicable, with a reason) when it is not, both the way a newcomer
runs it (``pytest --ocpp-reference``, README's first command) and the way a CSMS team runs it in
CI (``--ocpp-target`` plus a command operator). Each run is a separate pytest process, read
through its JSON compliance report, so the plugin is exercised exactly as users load it; the two
run concurrently (plumbing in ``harness.py``).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from harness import Report, Runs, reference_csms, run_suite, runs_fixture

from pytest_ocpp.catalog import catalog

RUN_TIMEOUT = 300.0
"""Upper bound for one whole-suite process."""

CORE_16_CSMS = sorted(
    info.id
    for info in catalog().values()
    if info.version == "1.6"
    and info.side == "CSMS"
    and not info.profile_name.startswith("Security")
)
"""Every OCTT 1.6 case with the CSMS under test outside the Security profile (Core, Local Auth
List Management, Reservation, Smart Charging, Remote Trigger, Firmware Management): all of them
must be implemented and pass against the reference."""


CSMS_201 = sorted(
    info.id
    for info in catalog().values()
    if info.version == "2.0.1" and info.side == "CSMS" and info.block != "Security"
)
"""Every OCTT 2.0.1 case with the CSMS under test outside block A (Security, issue 17):
all implemented, each passing or not applicable against the reference (issue 13)."""

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_first_command() -> list[str]:
    """The pytest options of the README's first quick-start command, as written there."""
    found = re.search(r"\.venv/bin/pytest (--ocpp-reference[^\n]*)", README.read_text("utf-8"))
    assert found, "the README's quick start lost its first command"
    return shlex.split(found.group(1))


EMBEDDED_SELECTION = (
    "(ocpp16 and csms) or tc_001_cs or tc_b_01_cs or tc_e_01_csms or test_station_sequences"
)
"""What CI runs of the README's first command: the 1.6 CSMS side (under a second), one case of
each other version and side through the embedded references, and the stateful fuzz property
(the CSMS's remote commands through the embedded operator). The rest is proven elsewhere, in
parallel: the whole CSMS side of both versions through ``--ocpp-target`` below, the 1.6
station side in ``test_station_*.py`` (conformant and chatty runs), the 2.0.1 station side in
``test_station201_defects_*.py``, every fuzz property in ``test_fuzz_properties.py``.
``bench/bench_suites.py`` runs everything the README's way."""


NO_FUZZ = ("-m", "not ocpp_fuzz")
"""The target runs prove the OCTT cases; the fuzz properties, against the same reference
targets and their broken variants, are proven in ``test_fuzz_properties.py``."""


def _embedded(workdir: Path) -> Report:
    """The README's first command (``pytest --ocpp-reference ...``), as written there, from a
    directory with nothing in it, limited to :data:`EMBEDDED_SELECTION`."""
    return run_suite(
        workdir, *readme_first_command(), "-k", EMBEDDED_SELECTION, timeout=RUN_TIMEOUT
    )


def _target(workdir: Path) -> Report:
    """A conformant reference CSMS in a thread of its own (a target outside the pytest run),
    driven by the command operator through its control CLI."""
    with reference_csms(response_timeout=30.0) as csms:
        return run_suite(workdir, *csms.args, *NO_FUZZ, timeout=RUN_TIMEOUT)


def _target_201(workdir: Path) -> Report:
    """The same for OCPP 2.0.1: ``--ocpp-target --ocpp-version=2.0.1`` with the command
    operator, as a 2.0.1 CSMS team runs it."""
    with reference_csms(response_timeout=30.0, versions=("2.0.1",)) as csms:
        return run_suite(
            workdir, *csms.args, "--ocpp-version", "2.0.1", *NO_FUZZ, timeout=RUN_TIMEOUT
        )


runs = runs_fixture(
    {"embedded": _embedded, "target": _target, "target_201": _target_201},
    timeout=RUN_TIMEOUT * 2,
)
"""The whole-suite runs at once: the embedded one is long, mostly waiting on timers."""


def _assert_csms_side_conformant(report: Report, *, with_16: bool = True) -> None:
    """Exit status 0, every CSMS-side case pass or not applicable, all 1.6 Core cases pass
    (``with_16``)."""
    cases = report.cases
    bad = [
        f"{c['id']} ({c['version']}): {c['verdict']} at {c['step']!r}: {c['message']}"
        for c in cases
        if c["side"] == "CSMS" and c["verdict"] not in ("pass", "not applicable")
    ]
    assert not bad, "CSMS-side cases not passing against the reference:\n" + "\n".join(bad)
    assert report.returncode == 0, report.output
    if not with_16:
        return
    core = {c["id"]: c["verdict"] for c in cases if c["version"] == "1.6" and c["side"] == "CSMS"}
    missing = [case for case in CORE_16_CSMS if case not in core]
    assert not missing, f"1.6 CSMS cases that did not run: {missing}"
    not_passed = {case: core[case] for case in CORE_16_CSMS if core[case] != "pass"}
    assert not not_passed, f"1.6 CSMS cases that did not pass: {not_passed}"


def test_catalogue_lists_62_cases_outside_security() -> None:
    """34 Core cases and 28 of the optional profiles (issue 12 point 1)."""
    assert len(CORE_16_CSMS) == 62


def test_embedded_reference_passes(runs: Runs) -> None:
    """``pytest --ocpp-reference`` (the README's first command) passes from any directory."""
    _assert_csms_side_conformant(runs["embedded"])


def test_target_with_command_operator_passes(runs: Runs) -> None:
    """``--ocpp-target`` with the command operator (the reference's control CLI) passes: the
    path a CSMS team uses in CI, with every CSMS-side request driven through a subprocess."""
    report = runs["target"]
    assert {c["side"] for c in report.cases} == {"CSMS"}, "a target run tests the CSMS only"
    _assert_csms_side_conformant(report)


def test_catalogue_lists_238_csms_cases_of_201_outside_security() -> None:
    """Blocks B-P of Part 6 §3 (issue 13); block A is the security issue's."""
    assert len(CSMS_201) == 238


def test_target_201_with_command_operator_passes(runs: Runs) -> None:
    """``--ocpp-target --ocpp-version=2.0.1``: every 2.0.1 CSMS-side case outside Security is
    implemented and passes, or is not applicable for a reason that names it."""
    report = runs["target_201"]
    verdicts = {c["id"]: c for c in report.cases if c["version"] == "2.0.1"}
    missing = [case for case in CSMS_201 if case not in verdicts]
    assert not missing, f"2.0.1 CSMS cases that did not run: {missing}"
    _assert_csms_side_conformant(report, with_16=False)
    vague = [
        c["id"]
        for c in verdicts.values()
        if c["verdict"] == "not applicable" and len(c["message"]) < 20
    ]
    assert not vague, f"not applicable without a reason: {vague}"
