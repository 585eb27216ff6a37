"""Every station-side Core case of OCTT 1.6 §2.1-2.8 must be able to fail: each run here
breaks one behaviour of the reference charge point (a :data:`~pytest_ocpp.reference.station.
DEFECTS` toggle) and proves that the cases checking that behaviour report "fail", not "error"
and not "not applicable", with the broken behaviour named in the failure message.

The runs are real end to end, as a charger firmware team would run the suite: a separate
``pytest`` process per defect listening with ``--ocpp-listen``, a broken reference station
connecting to it, the ``command`` station operator driving the station's control channel
through ``python -m pytest_ocpp.reference.control``, verdicts read from the JSON compliance
report. One more run against a conformant station proves the same cases pass there, so a
harness that fails everything proves nothing. The processes run a few at a time.
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

RUN_TIMEOUT = 90.0
"""Upper bound for one pytest process (the conformant run of every case below takes ~25 s)."""


@dataclass(frozen=True)
class Defect:
    """One broken behaviour, the cases that must fail on it, and a phrase their failure
    message must contain, so a case failing for an unrelated reason does not count."""

    name: str
    cases: tuple[str, ...]
    cause: str

    def __str__(self) -> str:
        return self.name


DEFECT_CASES: tuple[Defect, ...] = (
    Defect("no_heartbeat", ("TC_001_CS",), "did not send Heartbeat.req"),
    Defect("status_before_boot_accepted", ("TC_002_CS",), "while Pending"),
    Defect("no_status_after_plug_in", ("TC_003_CS", "TC_010_CS"), "Preparing"),
    Defect("bad_timestamp", ("TC_003_CS",), "date-time"),
    Defect(
        "remote_start_rejected",
        ("TC_010_CS", "TC_011_1_CS", "TC_012_CS"),
        "RemoteStartTransaction.conf status Accepted",
    ),
    Defect("ignores_remote_stop", ("TC_012_CS",), "did not send StopTransaction.req"),
    Defect(
        "wrong_stop_reason",
        ("TC_005_1_CS", "TC_012_CS", "TC_018_1_CS"),
        "StopTransaction.req reason",
    ),
    Defect(
        "transaction_id_ignored",
        ("TC_012_CS", "TC_068_CS"),
        "StopTransaction.req transactionId",
    ),
    Defect("reset_without_reboot", ("TC_013_CS", "TC_015_CS"), "did not connect"),
    Defect(
        "unlock_always_fails",
        ("TC_017_1_CS", "TC_018_1_CS"),
        "UnlockConnector.conf status Unlocked",
    ),
    Defect("get_configuration_ignores_key_filter", ("TC_019_CS",), "only the key asked"),
    Defect(
        "clear_cache_rejected",
        ("TC_061_CS", "TC_061_1_CS", "TC_061_2_CS"),
        "ClearCache.conf status Accepted",
    ),
)

CONFORMANT_CASES: tuple[str, ...] = tuple(
    sorted({case for defect in DEFECT_CASES for case in defect.cases})
)


def _keyword(cases: tuple[str, ...]) -> str:
    """``-k`` expression selecting exactly these cases; every id ends in ``_cs``, and
    ``test_tc_061_cs`` is no substring of ``test_tc_061_1_cs``."""
    return " or ".join(f"test_{case.lower()}" for case in cases)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(defects: list[str], cases: tuple[str, ...], workdir: Path) -> dict[str, Any]:
    """Start a reference station with ``defects``, run ``cases`` against it in a separate
    pytest process listening for it, return the JSON report and the process's output."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    loop = BackgroundLoop(f"station-{'-'.join(defects) or 'conformant'}")
    loop.start()
    station = ReferenceStation(
        csms_url=f"ws://127.0.0.1:{port}/ocpp",
        defects=defects,
        control_port=0,
        response_timeout=5.0,
    )
    try:
        loop.run(station.start())
        report = workdir / "r.json"
        operator = (
            f"{shlex.quote(sys.executable)} -m pytest_ocpp.reference.control {station.control_url}"
        )
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
            _keyword(cases),
            "--ocpp-message-timeout",
            "3",
            "--ocpp-response-timeout",
            "3",
            "--ocpp-connect-timeout",
            "5",
        ]
        done = subprocess.run(
            command, cwd=workdir, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
        )
    finally:
        loop.run(station.stop())
        loop.stop()
    output = done.stdout[-4000:] + done.stderr[-2000:]
    if not report.exists():
        return {"cases": [], "output": output, "returncode": done.returncode}
    return {
        **json.loads(report.read_text("utf-8")),
        "output": output,
        "returncode": done.returncode,
    }


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[dict[str, Any]]]]:
    """One broken station per selected defect (plus the conformant one), run concurrently:
    each process mostly waits on sockets and on the station's timers."""
    selected = {
        str(item.callspec.params["defect"])
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec")
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures: dict[str, Future[dict[str, Any]]] = {
            "": pool.submit(_run, [], CONFORMANT_CASES, tmp_path_factory.mktemp("conformant"))
        }
        for defect in DEFECT_CASES:
            if defect.name in selected:
                futures[defect.name] = pool.submit(
                    _run, [defect.name], defect.cases, tmp_path_factory.mktemp(defect.name)
                )
        yield futures


def test_defect_table_names_real_station_defects() -> None:
    """The table names existing defects of the reference station, each once."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names) >= 5
    assert set(names) <= set(DEFECTS)


def test_cases_pass_on_conformant_station(runs: dict[str, Future[dict[str, Any]]]) -> None:
    """Every case proven to fail below passes against the conformant reference station."""
    run = runs[""].result(timeout=RUN_TIMEOUT * 3)
    verdicts = {c["id"]: c["verdict"] for c in run["cases"]}
    assert verdicts == dict.fromkeys(CONFORMANT_CASES, "pass"), run["output"]
    assert run["returncode"] == 0, run["output"]


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_case_fails_on_defect(defect: Defect, runs: dict[str, Future[dict[str, Any]]]) -> None:
    """Each named case's verdict is "fail" with the defect's cause in its message."""
    run = runs[defect.name].result(timeout=RUN_TIMEOUT * 3)
    verdicts = {c["id"]: c for c in run["cases"]}
    context = f"defect {defect.name}; pytest output:\n{run['output']}"
    for case in defect.cases:
        assert case in verdicts, f"{case} did not run; {context}"
        result = verdicts[case]
        assert result["verdict"] == "fail", (
            f"{case} should fail on {defect.name} but was {result['verdict']}: "
            f"{result['message']}; {context}"
        )
        assert defect.cause in result["message"], (
            f"{case} failed on {defect.name}, but not because of it: {result['message']!r} "
            f"(expected the message to mention {defect.cause!r})"
        )
    assert run["returncode"] == 1, f"pytest should exit 1 (tests failed); {context}"
