"""The 2.0.1 station-side log retrieval cases (TC_N_25/26/34/35/36_CS,
testcases/ocpp201/cs/test_diagnostics_logs.py) and the triggered status notifications of a
transfer in progress (TC_F_16/19_CS, test_remote_control_trigger_status.py) can fail, and pass
against a conformant station.

Each run is one ``pytest`` process against a reference 2.0.1 station in this process (the
plumbing of ``harness.py``), its uploads and downloads going over HTTP to the suite's file
server: with ``defects`` the named cases must FAIL with a phrase of the broken rule, the others
of the run pass. TC_N_34_CS needs a station without log information (variant
``no_diagnostics_log`` and ``[station] log_type_without_logs``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest
import pytest_ocpp.testcases.ocpp201.cs.test_diagnostics_logs as logs
import pytest_ocpp.testcases.ocpp201.cs.test_remote_control_trigger_status as triggers
from harness import (
    Report,
    Runs,
    assert_fails,
    assert_passes,
    assert_ran_exactly,
    reference_station201,
    run_suite,
    runs_fixture,
)

from pytest_ocpp.reference.station201.station import DEFECTS, VARIANTS

TIMEOUTS: Mapping[str, float] = {
    "response_timeout": 2,
    "message_timeout": 2,
    "reboot_timeout": 10,
    "transfer_timeout": 4,
}
IDS = ("TC_N_25_CS", "TC_N_26_CS", "TC_N_34_CS", "TC_N_35_CS", "TC_N_36_CS")
TRIGGER_IDS = ("TC_F_16_CS", "TC_F_19_CS")


@dataclass(frozen=True)
class LogRun:
    """One pytest process: ``fails`` (case → phrase) must fail, ``passes`` must pass."""

    name: str
    defects: tuple[str, ...] = ()
    fails: Mapping[str, str] = field(default_factory=dict)
    passes: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()
    no_logs: bool = False

    @property
    def cases(self) -> tuple[str, ...]:
        return (*self.fails, *self.passes)


RUNS: tuple[LogRun, ...] = (
    LogRun(
        "conformant",
        passes=("TC_N_25_CS", "TC_N_26_CS", "TC_N_35_CS", "TC_N_36_CS", *TRIGGER_IDS),
    ),
    LogRun(
        "conformant_no_logs",
        passes=("TC_N_34_CS", "TC_N_35_CS"),
        variants=("no_diagnostics_log",),
        no_logs=True,
    ),
    LogRun(
        "filename_retries_cancel",
        ("n_get_log_no_filename", "n_upload_retries_ignored", "n_second_request_not_canceled"),
        {
            "TC_N_25_CS": "filename not omitted",
            "TC_N_26_CS": "3 x retryInterval",
            "TC_N_36_CS": "AcceptedCanceled",
        },
        ("TC_N_35_CS",),
    ),
    LogRun(
        "uploaded_without_upload",
        ("n_uploaded_without_upload",),
        {"TC_N_25_CS": "N01.FR.09", "TC_N_35_CS": "N01.FR.09"},
    ),
    LogRun(
        "logs_when_none",
        ("n_get_log_without_logs_accepted",),
        {"TC_N_34_CS": "status Rejected"},
        variants=("no_diagnostics_log",),
        no_logs=True,
    ),
    LogRun(
        "trigger_status_idle",
        ("f_trigger_status_idle",),
        {"TC_F_16_CS": "must be Uploading", "TC_F_19_CS": "must be Downloading"},
        ("TC_N_25_CS",),
    ),
    LogRun(
        "trigger_not_sent",
        ("f_trigger_not_sent",),
        {"TC_F_16_CS": "Step 7", "TC_F_19_CS": "Step 7"},
    ),
)

UNFAILABLE: dict[str, str] = {}
"""Cases no run fails, with the reason (none)."""


def _run(run: LogRun, workdir: Path) -> Report:
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "ocpp.toml"
    text = "[station]\nlog_retry_interval = 1\ntransfer_hold = 0.5\n"
    if run.no_logs:
        text += 'log_type_without_logs = "DiagnosticsLog"\n'
    config.write_text(text, "utf-8")
    with reference_station201(run.defects, variants=list(run.variants)) as hosted:
        return run_suite(
            workdir, *hosted.args, "--ocpp-config", str(config), ids=run.cases, **TIMEOUTS
        )


runs = runs_fixture(
    {run.name: partial(_run, run) for run in RUNS}, param="name", keep=(), workers=4
)


def _implemented(module: object) -> set[str]:
    return {
        mark.kwargs["id"]
        for value in vars(module).values()
        for mark in getattr(value, "pytestmark", ())
        if mark.name == "ocpp_case" and mark.kwargs.get("version") == "2.0.1"
    }


def test_defects_and_variants_exist() -> None:
    mine = {d for run in RUNS for d in run.defects} - {"f_trigger_not_sent"}
    assert mine <= set(DEFECTS) and "f_trigger_not_sent" in DEFECTS
    assert {v for run in RUNS for v in run.variants} <= set(VARIANTS)
    assert len(mine) >= 5


def test_every_case_can_fail() -> None:
    failed = {case for run in RUNS for case in run.fails}
    assert failed | set(UNFAILABLE) == set(IDS) | set(TRIGGER_IDS)


def test_catalogue_ids_implemented() -> None:
    """The brief's log-retrieval ids of N and F16/F19 each have a case, in these modules."""
    assert _implemented(logs) == set(IDS)
    assert _implemented(triggers) == set(TRIGGER_IDS)


@pytest.mark.parametrize("name", [run.name for run in RUNS])
def test_run(runs: Runs, name: str) -> None:
    run = next(r for r in RUNS if r.name == name)
    report = runs[name]
    assert_ran_exactly(report, run.cases)
    for case, phrase in run.fails.items():
        assert_fails(report, (case,), phrase)
    assert_passes(report, run.passes)
