"""The station-side Core cases of OCTT 1.6 §2.9-2.16 and §2.23 (meter values, non-happy flows,
offline behaviour, DataTransfer) must be able to fail: each run breaks one behaviour of the
reference charge point (a :data:`~pytest_ocpp.reference.station.DEFECTS` toggle) and proves the
cases that check it report "fail" (not "error", not "not applicable"), for that reason.

End to end, as a charger firmware team runs the suite: a separate ``pytest`` process per defect
listening with ``--ocpp-listen``, the broken reference station connecting to it, the
``command`` station operator driving the station's control channel through ``python -m
pytest_ocpp.reference.control``, verdicts read from the JSON compliance report. A run against
the conformant station proves the same cases pass there. All runs go concurrently: they mostly
wait on sockets and on the station's meter and reconnect timers.
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
"""Upper bound for one pytest process (the conformant run below takes ~40 s)."""


@dataclass(frozen=True)
class Defect:
    """One broken behaviour, the cases that must fail on it, and a phrase their failure message
    must contain, so a case failing for an unrelated reason does not count."""

    name: str
    cases: tuple[str, ...]
    cause: str

    def __str__(self) -> str:
        return self.name


DEFECT_CASES: tuple[Defect, ...] = (
    Defect(
        "meter_values_not_sent",
        ("TC_070_CS", "TC_071_CS", "TC_036_CS"),
        "did not send MeterValues.req",
    ),
    Defect("bad_timestamp", ("TC_070_CS",), "date-time"),
    Defect("no_status_after_plug_in", ("TC_023_CS", "TC_023_4_CS"), "Preparing"),
    Defect(
        "remote_start_rejected",
        ("TC_023_5_CS", "TC_024_CS", "TC_026_CS"),
        "RemoteStartTransaction.conf status Accepted",
    ),
    Defect("wrong_stop_reason", ("TC_032_2_CS", "TC_037_3_CS"), "StopTransaction.req reason"),
    Defect(
        "transaction_id_ignored",
        ("TC_038_CS", "TC_039_CS"),
        "StopTransaction.req transactionId",
    ),
    Defect(
        "change_configuration_accepts_unknown_key",
        ("TC_040_1_CS",),
        "ChangeConfiguration.conf status NotSupported",
    ),
    Defect(
        "change_configuration_accepts_invalid_value",
        ("TC_040_2_CS",),
        "ChangeConfiguration.conf status Rejected",
    ),
)

CONFORMANT_CASES: tuple[str, ...] = tuple(
    sorted({case for defect in DEFECT_CASES for case in defect.cases})
)


def _keyword(cases: tuple[str, ...]) -> str:
    """``-k`` expression selecting exactly these cases: every id ends in ``_cs``, so
    ``test_tc_023_cs`` is no substring of ``test_tc_023_4_cs``."""
    return " or ".join(f"test_{case.lower()}" for case in cases)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(defects: list[str], cases: tuple[str, ...], workdir: Path) -> dict[str, Any]:
    """Start a reference station with ``defects``, run ``cases`` against it in a separate pytest
    process listening for it; return the JSON report plus the process's output and status."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    report = workdir / "r.json"
    with BackgroundLoop(f"station-{'-'.join(defects) or 'conformant'}") as loop:
        # It retries with backoff until the listener below is up.
        station = ReferenceStation(
            csms_url=f"ws://127.0.0.1:{port}/ocpp",
            defects=defects,
            control_port=0,
            response_timeout=5.0,
        )
        loop.run(station.start())
        operator = (
            f"{shlex.quote(sys.executable)} -m pytest_ocpp.reference.control {station.control_url}"
        )
        try:
            done = subprocess.run(
                [
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
                ],
                cwd=workdir,
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT,
                check=False,
            )
        finally:
            loop.run(station.stop())
    output = done.stdout[-4000:] + done.stderr[-2000:]
    document = json.loads(report.read_text("utf-8")) if report.exists() else {"cases": []}
    return {**document, "output": output, "returncode": done.returncode}


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[dict[str, Any]]]]:
    """The conformant station and one broken station per selected defect, run concurrently."""
    selected = {
        str(item.callspec.params["defect"])
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec")
    }
    with ThreadPoolExecutor(max_workers=len(DEFECT_CASES) + 1) as pool:
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
    assert len(set(names)) == len(names) >= 4
    assert set(names) <= set(DEFECTS)


def test_cases_pass_on_conformant_station(runs: dict[str, Future[dict[str, Any]]]) -> None:
    """Every case proven to fail below passes against the conformant reference station."""
    run = runs[""].result(timeout=RUN_TIMEOUT * 2)
    verdicts = {c["id"]: c["verdict"] for c in run["cases"]}
    assert verdicts == dict.fromkeys(CONFORMANT_CASES, "pass"), run["output"]
    assert run["returncode"] == 0, run["output"]


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_case_fails_on_defect(defect: Defect, runs: dict[str, Future[dict[str, Any]]]) -> None:
    """Each named case's verdict is "fail", with the defect's effect in its message."""
    run = runs[defect.name].result(timeout=RUN_TIMEOUT * 2)
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
    assert run["returncode"] == 1, f"pytest should exit 1 (cases failed); {context}"
