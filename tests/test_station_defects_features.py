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
compliance report. The runs go a few at a time, so the file stays under a minute.
"""

from __future__ import annotations

import json
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_ocpp.reference.runner import BackgroundLoop
from pytest_ocpp.reference.station import DEFECTS, ReferenceStation
from pytest_ocpp.reference.station_config import PROFILE_NAMES

RUN_TIMEOUT = 90.0
"""Upper bound for one pytest process; the slowest run needs ~15 s."""

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _keyword(cases: list[str]) -> str:
    """``-k`` selecting exactly these station-side cases: ``test_tc_044_1_cs`` is also a
    prefix of the CSMS-side ``test_tc_044_1_csms``, whose folder is named ``csms``."""
    return "(" + " or ".join(f"test_{case.lower()}" for case in cases) + ") and not csms"


def _run(run: Run, port: int, control_url: str, workdir: Path) -> dict[str, Any]:
    """One pytest process listening on ``port``; returns its report and output."""
    workdir.mkdir(parents=True, exist_ok=True)
    report = workdir / "r.json"
    operator = f"{shlex.quote(sys.executable)} -m pytest_ocpp.reference.control {control_url}"
    options: list[str] = []
    if run.declared is not None:
        config = workdir / "ocpp.toml"
        config.write_text(f"[station]\nfeatures = {json.dumps(list(run.declared))}\n", "utf-8")
        options += ["--ocpp-config", str(config)]
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--ocpp-listen",
        f"127.0.0.1:{port}",
        "--ocpp-station-operator",
        operator,
        "--ocpp-report",
        str(report),
        "-k",
        _keyword(list(run.expect)),
        "--ocpp-message-timeout",
        "3",
        "--ocpp-response-timeout",
        "3",
        *options,
    ]
    done = subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )
    output = done.stdout[-5000:] + done.stderr[-2000:]
    if not report.exists():
        return {"cases": [], "output": output}
    return {**json.loads(report.read_text("utf-8")), "output": output}


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[dict[str, Any]]]]:
    """One reference station per selected run, each connecting to its own pytest process;
    the processes run concurrently (they mostly wait on sockets and start-up)."""
    selected = {
        item.callspec.params["run"].name
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec")
    }
    loop = BackgroundLoop("pytest-ocpp-defect-stations")
    loop.start()
    stations: list[ReferenceStation] = []
    try:
        with ThreadPoolExecutor(max_workers=5) as pool:
            futures: dict[str, Future[dict[str, Any]]] = {}
            for run in (r for r in RUNS if r.name in selected):
                port = _free_port()
                station = ReferenceStation(
                    csms_url=f"ws://127.0.0.1:{port}/ocpp",
                    features=run.features,
                    defects=run.defects,
                    control_port=0,
                    reconnect_max_delay=1.0,
                )
                loop.run(station.start())
                stations.append(station)
                assert station.control_url is not None
                workdir = tmp_path_factory.mktemp(run.name)
                futures[run.name] = pool.submit(_run, run, port, station.control_url, workdir)
            yield futures
    finally:
        for station in stations:
            loop.run(station.stop())
        loop.stop()


def test_runs_name_real_defects_and_cover_the_brief() -> None:
    """At least four distinct defects, all real, and every case of these blocks failing in
    some run."""
    defects = {d for run in RUNS for d in run.defects}
    assert len(defects) >= 4 and defects <= set(DEFECTS)
    failing = {case for run in RUNS for case, verdict in run.expect.items() if verdict == "fail"}
    assert {"TC_042_1_CS", "TC_043_1_CS", "TC_043_2_CS", "TC_044_1_CS", "TC_044_3_CS"} <= failing
    assert {"TC_045_1_CS", "TC_045_2_CS", "TC_054_CS", "TC_008_CS", "TC_008_1_CS"} <= failing


@pytest.mark.parametrize("run", RUNS, ids=str)
def test_verdicts(run: Run, runs: dict[str, Future[dict[str, Any]]]) -> None:
    """Each case gets the run's expected verdict; each failure names the broken behaviour."""
    result = runs[run.name].result(timeout=RUN_TIMEOUT * 2)
    verdicts = {c["id"]: c for c in result["cases"]}
    context = f"run {run.name}; pytest output:\n{result['output']}"
    assert set(verdicts) == set(run.expect), f"cases run: {sorted(verdicts)}; {context}"
    for case, expected in run.expect.items():
        got = verdicts[case]
        assert got["verdict"] == expected, (
            f"{case}: {got['verdict']} ({got.get('message')!r}), expected {expected}; {context}"
        )
        if expected == "fail":
            assert run.cause in (got.get("message") or ""), (
                f"{case} failed for another reason: {got.get('message')!r}; {context}"
            )
