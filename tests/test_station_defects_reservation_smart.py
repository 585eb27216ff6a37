"""Every station-side Reservation and Smart Charging case of OCTT 1.6 (§2.20, §2.22) must be
able to fail: each run here breaks one behaviour of the reference charge point (a
:data:`~pytest_ocpp.reference.station.DEFECTS` toggle, or a feature profile it lacks or has
against what the configuration declares) and proves that the cases checking that behaviour
report "fail", not "error" and not "not applicable", with the broken behaviour named in the
failure message; cases beside them that the breakage does not concern must still pass.

The runs are real end to end, as a charger firmware team would run the suite: a separate
``pytest`` process per run listening with ``--ocpp-listen``, a reference station connecting
to it, the ``command`` station operator driving the station's control channel through
``python -m pytest_ocpp.reference.control``, verdicts read from the JSON compliance report.
A conformant run proves every case passes (or, for the negative variants TC_048_4_CS and
TC_050_4_CS, is not applicable) on the full station. The processes run concurrently.
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
"""Upper bound for one pytest process (the slowest run, every case conformant, takes ~25 s)."""

ALL_PROFILES = (
    "Core",
    "FirmwareManagement",
    "LocalAuthListManagement",
    "Reservation",
    "SmartCharging",
    "RemoteTrigger",
)
WITHOUT_RESERVATION_AND_SMART = ("Core", "FirmwareManagement", "LocalAuthListManagement")

RESERVATION = (
    "TC_046_1_CS",
    "TC_046_2_CS",
    "TC_047_CS",
    "TC_048_1_CS",
    "TC_048_2_CS",
    "TC_048_3_CS",
    "TC_049_CS",
    "TC_050_1_CS",
    "TC_050_2_CS",
    "TC_050_3_CS",
    "TC_051_CS",
    "TC_052_CS",
    "TC_053_CS",
    "TC_053_1_CS",
    "TC_053_2_CS",
)
NEGATIVE = ("TC_048_4_CS", "TC_050_4_CS")
SMART = (
    "TC_056_CS",
    "TC_057_CS",
    "TC_058_1_CS",
    "TC_058_2_CS",
    "TC_082_CS",
    "TC_066_CS",
    "TC_067_CS",
    "TC_072_CS",
    "TC_059_CS",
    "TC_060_CS",
)


@dataclass(frozen=True)
class Run:
    """One station, the cases run against it and the verdict each must get.

    ``cause`` must appear in the message of every failing case, so a case failing for an
    unrelated reason does not count. ``declared`` is what ``--ocpp-config`` says the station
    supports ([station] features); None leaves the default (every profile)."""

    name: str
    fail: tuple[str, ...] = ()
    cause: str = ""
    passes: tuple[str, ...] = ()
    not_applicable: tuple[str, ...] = ()
    defects: tuple[str, ...] = ()
    station_features: tuple[str, ...] = ALL_PROFILES
    declared: tuple[str, ...] | None = None

    def __str__(self) -> str:
        return self.name

    @property
    def cases(self) -> tuple[str, ...]:
        return self.fail + self.passes + self.not_applicable


CONFORMANT = Run("conformant", passes=RESERVATION + SMART, not_applicable=NEGATIVE)

BROKEN: tuple[Run, ...] = (
    Run(
        "reservation_ignored",
        defects=("reservation_ignored",),
        fail=(
            "TC_046_1_CS",
            "TC_046_2_CS",
            "TC_047_CS",
            "TC_049_CS",
            "TC_051_CS",
            "TC_053_CS",
            "TC_053_2_CS",
        ),
        cause="Reserved",
        passes=("TC_048_1_CS", "TC_050_3_CS"),
    ),
    Run(
        "cancel_reservation_unknown_accepted",
        defects=("cancel_reservation_unknown_accepted",),
        fail=("TC_052_CS",),
        cause="CancelReservation.conf status Rejected",
        passes=("TC_051_CS",),
    ),
    Run(
        "charging_profile_rejected",
        defects=("charging_profile_rejected",),
        fail=("TC_056_CS", "TC_057_CS", "TC_082_CS", "TC_066_CS", "TC_067_CS", "TC_072_CS"),
        cause="SetChargingProfile.conf status Accepted",
        passes=("TC_058_1_CS", "TC_059_CS"),
    ),
    Run(
        "remote_start_rejected",
        defects=("remote_start_rejected",),
        fail=("TC_059_CS", "TC_046_2_CS", "TC_053_2_CS", "TC_057_CS"),
        cause="RemoteStartTransaction.conf status Accepted",
        passes=("TC_060_CS", "TC_056_CS", "TC_046_1_CS"),
    ),
    Run(
        # A station that accepts reservations while declared without the profile: the
        # negative variants must catch that it does not answer Rejected.
        "reservation_declared_absent",
        station_features=ALL_PROFILES,
        declared=WITHOUT_RESERVATION_AND_SMART,
        fail=NEGATIVE,
        cause="ReserveNow.conf status Rejected",
        not_applicable=("TC_046_1_CS", "TC_056_CS"),
    ),
)

WITHOUT_PROFILES = Run(
    "without_reservation_and_smart_charging",
    station_features=WITHOUT_RESERVATION_AND_SMART,
    declared=WITHOUT_RESERVATION_AND_SMART,
    passes=NEGATIVE,
    not_applicable=("TC_046_1_CS", "TC_049_CS", "TC_056_CS", "TC_059_CS"),
)


def _keyword(cases: tuple[str, ...]) -> str:
    """``-k`` expression selecting exactly these cases; every id ends in ``_cs``, so
    ``test_tc_053_cs`` is no substring of ``test_tc_053_1_cs``."""
    return " or ".join(f"test_{case.lower()}" for case in cases)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(run: Run, workdir: Path) -> dict[str, Any]:
    """Start the run's reference station, run its cases in a separate pytest process that
    listens for it, return the JSON report and the process's output."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    loop = BackgroundLoop(f"station-{run.name}")
    loop.start()
    station = ReferenceStation(
        csms_url=f"ws://127.0.0.1:{port}/ocpp",
        defects=run.defects,
        features=run.station_features,
        control_port=0,
        response_timeout=5.0,
    )
    report = workdir / "r.json"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--ocpp-listen",
        f"127.0.0.1:{port}",
        "--ocpp-report",
        str(report),
        "-k",
        _keyword(run.cases),
        "--ocpp-message-timeout",
        "3",
        "--ocpp-response-timeout",
        "3",
        "--ocpp-connect-timeout",
        "5",
    ]
    if run.declared is not None:
        config = workdir / "ocpp.toml"
        config.write_text(f"[station]\nfeatures = {json.dumps(list(run.declared))}\n", "utf-8")
        command += ["--ocpp-config", str(config)]
    try:
        loop.run(station.start())
        operator = (
            f"{shlex.quote(sys.executable)} -m pytest_ocpp.reference.control {station.control_url}"
        )
        done = subprocess.run(
            [*command, "--ocpp-station-operator", operator],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
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
    """Every selected run, concurrently: each process mostly waits on sockets and timers."""
    selected = {
        str(item.callspec.params["run"])
        for item in request.session.items
        if item.module is request.module and hasattr(item, "callspec")
    }
    chosen = [CONFORMANT, WITHOUT_PROFILES, *(r for r in BROKEN if r.name in selected)]
    with ThreadPoolExecutor(max_workers=len(chosen)) as pool:
        yield {
            run.name: pool.submit(_run, run, tmp_path_factory.mktemp(run.name)) for run in chosen
        }


def _verdicts(run: Run, runs: dict[str, Future[dict[str, Any]]]) -> tuple[dict[str, Any], str]:
    result = runs[run.name].result(timeout=RUN_TIMEOUT * 2)
    context = f"run {run.name}; pytest output:\n{result['output']}"
    return {c["id"]: c for c in result["cases"]}, context


def _expect(run: Run, runs: dict[str, Future[dict[str, Any]]]) -> None:
    verdicts, context = _verdicts(run, runs)
    for case in run.cases:
        assert case in verdicts, f"{case} did not run; {context}"
    for case in run.fail:
        result = verdicts[case]
        assert result["verdict"] == "fail", (
            f"{case} should fail on {run.name} but was {result['verdict']}: "
            f"{result['message']}; {context}"
        )
        assert run.cause in result["message"], (
            f"{case} failed on {run.name}, but not because of it: {result['message']!r} "
            f"(expected the message to mention {run.cause!r})"
        )
    for case in run.passes:
        assert verdicts[case]["verdict"] == "pass", (
            f"{case} should pass on {run.name}: {verdicts[case]['message']}; {context}"
        )
    for case in run.not_applicable:
        result = verdicts[case]
        assert result["verdict"] == "not applicable", (
            f"{case} should be not applicable on {run.name}: {result['message']}; {context}"
        )
        assert "feature profile" in result["message"], result["message"]


def test_runs_name_real_station_defects() -> None:
    """The broken runs name existing defects of the reference station, each once, and every
    case of the two modules is proven to fail somewhere."""
    names = [d for run in BROKEN for d in run.defects]
    assert len(set(names)) == len(names) >= 4
    assert set(names) <= set(DEFECTS)
    failing = {case for run in BROKEN for case in run.fail}
    assert set(NEGATIVE) <= failing


def test_cases_pass_on_conformant_station(runs: dict[str, Future[dict[str, Any]]]) -> None:
    """On the full reference station every case passes; the negative variants (for stations
    without the Reservation profile) are not applicable."""
    _expect(CONFORMANT, runs)


def test_negative_variants_pass_without_the_profiles(
    runs: dict[str, Future[dict[str, Any]]],
) -> None:
    """On a station without Reservation and SmartCharging, declared as such, the negative
    variants pass and the positive cases are not applicable, with the reason."""
    _expect(WITHOUT_PROFILES, runs)


@pytest.mark.parametrize("run", BROKEN, ids=str)
def test_cases_fail_on_broken_station(run: Run, runs: dict[str, Future[dict[str, Any]]]) -> None:
    """Each named case's verdict is "fail" with the broken behaviour named; the others of
    the run keep their verdict."""
    _expect(run, runs)
