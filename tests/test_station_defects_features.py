"""The station-side Local Auth List, Firmware Management and Remote Trigger cases can fail.

Each run breaks one behaviour of the reference charge point (a
:data:`~pytest_ocpp.reference.station.DEFECTS` toggle, or a feature profile it lacks or claims
to lack) and proves that the cases checking that behaviour report "fail", not "error" and not
"not applicable"; a conformant run of the same cases proves they pass, and a run against a
station without Local Auth List Management proves the negative variants (TC_042_1_CS,
TC_043_1_CS) pass where they apply and the positive ones are not applicable.

The runs are end to end, as a charger team runs the suite: a separate ``pytest`` process with
``--ocpp-listen``, the reference station in this process connecting to it, and the ``command``
station operator driving the station through its control channel. Verdicts come from the JSON
compliance report; the plumbing is in ``harness.py``. The runs go a few at a time, so the file
stays under a minute.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from harness import (
    FAIL,
    NOT_APPLICABLE,
    PASS,
    Runs,
    assert_fails,
    assert_not_applicable,
    assert_passes,
    assert_ran_exactly,
    runs_fixture,
    station_job,
)

from pytest_ocpp.reference.station import DEFECTS
from pytest_ocpp.reference.station_config import PROFILE_NAMES

ALL_PROFILES: tuple[str, ...] = tuple(PROFILE_NAMES)
WITHOUT_LOCAL_LIST: tuple[str, ...] = tuple(
    p for p in PROFILE_NAMES if p != "LocalAuthListManagement"
)

LOCAL_LIST_CASES = (
    "TC_042_1_CS",
    "TC_042_2_CS",
    "TC_043_CS",
    "TC_043_1_CS",
    "TC_043_2_CS",
    "TC_043_3_CS",
    "TC_008_CS",
    "TC_008_1_CS",
    "TC_008_2_CS",
)
FIRMWARE_CASES = ("TC_044_1_CS", "TC_044_2_CS", "TC_044_3_CS", "TC_045_1_CS", "TC_045_2_CS")
TRIGGER_CASES = ("TC_054_CS", "TC_055_CS")


@dataclass(frozen=True)
class Run:
    """One pytest process against one reference station.

    ``features`` is what the station really supports, ``declared`` what the run's
    ``--ocpp-config`` says it supports (None: the default, every profile). ``expect`` maps each
    case to its verdict; ``cause`` is a phrase every "fail" message must contain, so a case
    failing for an unrelated reason does not count."""

    name: str
    expect: dict[str, str]
    defects: tuple[str, ...] = ()
    features: tuple[str, ...] = ALL_PROFILES
    declared: tuple[str, ...] | None = None
    cause: str = ""

    def __str__(self) -> str:
        return self.name


def _all(cases: tuple[str, ...], verdict: str) -> dict[str, str]:
    return dict.fromkeys(cases, verdict)


RUNS: tuple[Run, ...] = (
    Run(
        "conformant",
        {
            **_all(LOCAL_LIST_CASES + FIRMWARE_CASES + TRIGGER_CASES, "pass"),
            "TC_043_1_CS": "not applicable",  # negative variant; the station has the profile
        },
    ),
    Run(
        "without_local_auth_list",
        {
            **_all(LOCAL_LIST_CASES, "not applicable"),
            "TC_042_1_CS": "pass",
            "TC_043_1_CS": "pass",
        },
        features=WITHOUT_LOCAL_LIST,
        declared=WITHOUT_LOCAL_LIST,
    ),
    Run(
        "local_list_version_not_updated",
        {"TC_042_1_CS": "fail", "TC_043_2_CS": "fail", "TC_043_CS": "pass"},
        defects=("local_list_version_not_updated",),
        cause="listVersion",
    ),
    # The negative variant's own path: no profile at all, yet a list version is reported.
    Run(
        "local_list_version_not_updated_without_profile",
        {"TC_042_1_CS": "fail", "TC_043_1_CS": "pass"},
        defects=("local_list_version_not_updated",),
        features=WITHOUT_LOCAL_LIST,
        declared=WITHOUT_LOCAL_LIST,
        cause="listVersion -1",
    ),
    # A station that installs lists although it is declared without the profile.
    Run(
        "accepts_list_without_declared_profile",
        {"TC_043_1_CS": "fail"},
        declared=WITHOUT_LOCAL_LIST,
        cause="NotSupported",
    ),
    # A station declaring the profile without implementing it (LocalAuthListEnabled missing).
    Run(
        "declares_local_auth_list_without_it",
        _all(("TC_042_2_CS", "TC_043_CS", "TC_043_2_CS", "TC_043_3_CS", "TC_008_CS"), "fail"),
        features=WITHOUT_LOCAL_LIST,
        cause="LocalAuthListEnabled",
    ),
    Run(
        "local_list_ignored",
        {"TC_008_CS": "fail", "TC_008_1_CS": "fail", "TC_008_2_CS": "fail", "TC_043_CS": "pass"},
        defects=("local_list_ignored",),
        cause="no Authorize.req",
    ),
    Run(
        "firmware_status_skipped",
        {"TC_044_1_CS": "fail"},
        defects=("firmware_status_skipped",),
        cause="Downloading",
    ),
    # A separate process: after TC_044_1_CS fails, the station still installs and reboots.
    Run(
        "firmware_status_skipped_install_failure",
        {"TC_044_2_CS": "pass", "TC_044_3_CS": "fail"},
        defects=("firmware_status_skipped",),
        cause="Downloading",
    ),
    Run(
        "diagnostics_no_upload",
        {"TC_045_1_CS": "fail", "TC_045_2_CS": "fail"},
        defects=("diagnostics_no_upload",),
        cause="DiagnosticsStatusNotification",
    ),
    Run(
        "trigger_message_not_sent",
        {"TC_054_CS": "fail", "TC_055_CS": "pass"},
        defects=("trigger_message_not_sent",),
        cause="MeterValues",
    ),
    Run(
        "meter_values_not_sent",
        {"TC_054_CS": "fail", "TC_055_CS": "pass"},
        defects=("meter_values_not_sent",),
        cause="MeterValues",
    ),
)


runs = runs_fixture(
    {
        r.name: station_job(
            r.expect,
            r.defects,
            features=r.features,
            declared_features=r.declared,
            message_timeout=3,
            response_timeout=3,
            transfer_timeout=5,
        )
        for r in RUNS
    },
    param="run",
    workers=5,
)
"""One reference station per selected run, each connecting to its own pytest process;
the processes run concurrently (they mostly wait on sockets and start-up)."""


def test_runs_name_real_defects_and_cover_the_brief() -> None:
    """At least four distinct defects, all real, and every case of these blocks failing in
    some run."""
    defects = {d for run in RUNS for d in run.defects}
    assert len(defects) >= 4 and defects <= set(DEFECTS)
    failing = {case for run in RUNS for case, verdict in run.expect.items() if verdict == "fail"}
    assert {"TC_042_1_CS", "TC_043_1_CS", "TC_043_2_CS", "TC_044_1_CS", "TC_044_3_CS"} <= failing
    assert {"TC_045_1_CS", "TC_045_2_CS", "TC_054_CS", "TC_008_CS", "TC_008_1_CS"} <= failing


@pytest.mark.parametrize("run", RUNS, ids=str)
def test_verdicts(run: Run, runs: Runs) -> None:
    """Each case gets the run's expected verdict; each failure names the broken behaviour."""
    report = runs[run.name]
    assert_ran_exactly(report, run.expect)
    assert set(run.expect.values()) <= {PASS, FAIL, NOT_APPLICABLE}, run.expect
    with_verdict = {
        v: [c for c, e in run.expect.items() if e == v] for v in (PASS, FAIL, NOT_APPLICABLE)
    }
    assert_fails(report, with_verdict[FAIL], because=run.cause)
    assert_passes(report, with_verdict[PASS])
    assert_not_applicable(report, with_verdict[NOT_APPLICABLE])
