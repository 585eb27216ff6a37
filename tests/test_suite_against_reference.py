"""The conformant half of the proof: the whole suite passes against the reference CSMS.

``test_csms_defects.py`` shows that the CSMS-side cases fail when the reference is broken;
here they must pass (or be not applicable, with a reason) when it is not, both the way a newcomer
runs it (``pytest --ocpp-reference``, README's first command) and the way a CSMS team runs it in
CI (``--ocpp-target`` plus a command operator). Each run is a separate pytest process, read
through its JSON compliance report, so the plugin is exercised exactly as users load it.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_ocpp.catalog import catalog
from pytest_ocpp.config import IdTags
from pytest_ocpp.embedded import reference_id_tags
from pytest_ocpp.reference.csms import ReferenceCsms
from pytest_ocpp.reference.runner import BackgroundLoop

RUN_TIMEOUT = 300.0
"""Upper bound for one whole-suite process."""

CORE_16_CSMS = sorted(
    info.id
    for info in catalog().values()
    if info.version == "1.6" and info.side == "CSMS" and info.profile_name == "Core"
)
"""Every OCTT 1.6 Core case with the CSMS under test: all of them must be implemented."""


def _pytest(workdir: Path, *options: str) -> tuple[subprocess.CompletedProcess[str], Any]:
    """Run pytest with ``options`` in ``workdir``; return the process and its JSON report."""
    report = workdir / "r.json"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--ocpp-report",
        str(report),
        *options,
    ]
    done = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )
    assert report.exists(), f"no compliance report written:\n{done.stdout[-4000:]}{done.stderr}"
    return done, json.loads(report.read_text("utf-8"))


def _assert_csms_side_conformant(done: subprocess.CompletedProcess[str], report: Any) -> None:
    """Exit status 0, every CSMS-side case pass or not applicable, all 1.6 Core cases pass."""
    cases = report["cases"]
    bad = [
        f"{c['id']} ({c['version']}): {c['verdict']} at {c['step']!r}: {c['message']}"
        for c in cases
        if c["side"] == "CSMS" and c["verdict"] not in ("pass", "not applicable")
    ]
    assert not bad, "CSMS-side cases not passing against the reference:\n" + "\n".join(bad)
    core = {c["id"]: c["verdict"] for c in cases if c["version"] == "1.6" and c["side"] == "CSMS"}
    missing = [case for case in CORE_16_CSMS if case not in core]
    assert not missing, f"1.6 Core CSMS cases that did not run: {missing}"
    not_passed = {case: core[case] for case in CORE_16_CSMS if core[case] != "pass"}
    assert not not_passed, f"1.6 Core CSMS cases that did not pass: {not_passed}"
    assert done.returncode == 0, (
        f"pytest exited {done.returncode}:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
    )


def test_catalogue_lists_34_core_cases() -> None:
    """The brief's list of 1.6 Core CSMS cases, as the catalogue has it."""
    assert len(CORE_16_CSMS) == 34


def test_embedded_reference_passes(tmp_path: Path) -> None:
    """``pytest --ocpp-reference`` (the README's first command) passes from any directory."""
    done, report = _pytest(tmp_path, "--ocpp-reference")
    _assert_csms_side_conformant(done, report)


@pytest.fixture
def conformant_csms() -> Iterator[ReferenceCsms]:
    """A conformant reference CSMS in a thread of its own: a target outside the pytest run."""
    with BackgroundLoop("pytest-ocpp-conformant-csms") as loop:
        csms = ReferenceCsms(id_tags=reference_id_tags(IdTags()))
        loop.run(csms.start())
        try:
            yield csms
        finally:
            loop.run(csms.stop())


def test_target_with_command_operator_passes(
    tmp_path: Path, conformant_csms: ReferenceCsms
) -> None:
    """``--ocpp-target`` with the command operator (the reference's control CLI) passes: the
    path a CSMS team uses in CI, with every CSMS-side request driven through a subprocess."""
    operator = (
        f"{shlex.quote(sys.executable)} -m pytest_ocpp.reference.control "
        f"{conformant_csms.control_url}"
    )
    done, report = _pytest(
        tmp_path,
        "--ocpp-target",
        conformant_csms.url,
        "--ocpp-csms-operator",
        operator,
    )
    assert {c["side"] for c in report["cases"]} == {"CSMS"}, "a target run tests the CSMS only"
    _assert_csms_side_conformant(done, report)
