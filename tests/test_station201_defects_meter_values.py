"""The 2.0.1 station-side J. MeterValues cases can fail.

Each defect run breaks behaviours of the reference 2.0.1 station (entries ``j_*`` of
:data:`~pytest_ocpp.reference.station201.station.DEFECTS`, implemented in its ``metering``
module) and proves that the cases judging them report "fail" with a phrase of the broken rule;
two conformant runs of every case are the controls (every case passes where nothing is
broken). Defects that touch disjoint behaviours share a station, so the file stays under a
minute: each run's cases meet only the defects they judge.

The runs are end to end, as a charger team runs the suite: a separate ``pytest`` process with
``--ocpp-listen``, the reference station in this process, the ``command`` operator driving it.
The run's config file sets the <Configured ...> intervals to 2 s and claims the features the
conditional cases need, without AQ-8 (TC_J_08_CS applies only to a station that does not
enforce an EVSE selection before authorization).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
import pytest_ocpp.testcases.ocpp201.cs
from harness import (
    Defect,
    Job,
    Report,
    Runs,
    assert_conformant,
    assert_fails,
    implemented_cases,
    reference_station201,
    run_suite,
    runs_fixture,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.station201.station import DEFECTS

CONFIG = """\
[station]
clock_aligned_data_interval = 2
meter_value_sample_interval = 2

[claims]
features = ["C-40", "C-09.2", "C-09.6", "C-28", "C-42"]
"""

DEFECT_CASES: tuple[Defect, ...] = (
    Defect("j_aligned_idle_silent", ("TC_J_01_CS", "TC_J_06_CS"), "MeterValuesRequest"),
    Defect("j_aligned_wrong_context", ("TC_J_02_CS", "TC_J_03_CS"), "Sample.Clock"),
    Defect("j_aligned_ignores_idle_only", ("TC_J_06_CS",), "AlignedDataSendDuringIdle true"),
    Defect("j_no_begin_value", ("TC_J_07_CS", "TC_J_08_CS"), "contains meterValue"),
    Defect("j_periodic_wrong_trigger", ("TC_J_09_CS",), "triggerReason MeterValuePeriodic"),
    Defect("j_ended_without_samples", ("TC_J_03_CS", "TC_J_10_CS"), "Ended"),
    Defect("j_unsigned_readings", ("TC_J_04_CS", "TC_J_11_CS"), "signedMeterValue"),
)

RUNS: dict[str, tuple[str, ...]] = {
    "idle_trigger_unsigned": (
        "j_aligned_idle_silent",
        "j_periodic_wrong_trigger",
        "j_unsigned_readings",
    ),
    "context_begin": ("j_aligned_wrong_context", "j_no_begin_value"),
    "idle_only_ended": ("j_aligned_ignores_idle_only", "j_ended_without_samples"),
}
"""Station runs: the defects each breaks together (their cases judge disjoint behaviours)."""

CONFORMANT: dict[str, tuple[str, ...]] = {
    "conformant_clock": ("TC_J_01_CS", "TC_J_02_CS", "TC_J_03_CS", "TC_J_04_CS"),
    "conformant_sampled": (
        "TC_J_06_CS",
        "TC_J_07_CS",
        "TC_J_08_CS",
        "TC_J_09_CS",
        "TC_J_10_CS",
        "TC_J_11_CS",
    ),
}

UNFAILABLE: dict[str, str] = {}
"""Block cases no defect fails, with the reason (none)."""

BLOCK_CASES: tuple[str, ...] = tuple(
    sorted(
        info.id
        for info in catalog().values()
        if info.version == "2.0.1" and info.side == "CS" and info.block == "MeterValues"
    )
)


def _cases(defects: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({c for d in DEFECT_CASES if d.name in defects for c in d.cases}))


def _run(cases: tuple[str, ...], defects: tuple[str, ...], workdir: Path) -> Report:
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "ocpp.toml"
    config.write_text(CONFIG, "utf-8")
    with reference_station201(defects) as hosted:
        return run_suite(
            workdir,
            *hosted.args,
            "--ocpp-config",
            str(config),
            ids=cases,
            response_timeout=2,
            message_timeout=3,
        )


def _job(cases: tuple[str, ...], defects: tuple[str, ...]) -> Job:
    return partial(_run, cases, defects)


runs = runs_fixture(
    {
        **{name: _job(cases, ()) for name, cases in CONFORMANT.items()},
        **{name: _job(_cases(defects), defects) for name, defects in RUNS.items()},
    },
    workers=5,
)


@pytest.mark.parametrize("name", sorted(CONFORMANT))
def test_conformant_station_passes(runs: Runs, name: str) -> None:
    """Control: every case passes against the conformant reference station."""
    assert_conformant(runs[name], CONFORMANT[name])


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_defect_is_caught(runs: Runs, defect: Defect) -> None:
    """The defect's cases fail, because of it (the phrase of the broken rule)."""
    run = next(name for name, defects in RUNS.items() if defect.name in defects)
    report: Report = runs[run]
    assert_fails(report, defect.cases, because=defect.cause)
    assert report.returncode == 1, report.output


def _implemented() -> set[str]:
    return implemented_cases(pytest_ocpp.testcases.ocpp201.cs, "2.0.1")


def test_every_block_case_is_implemented() -> None:
    """Each catalogue case of J. MeterValues (station side) has a test function."""
    assert len(BLOCK_CASES) == 10, BLOCK_CASES
    missing = sorted(set(BLOCK_CASES) - _implemented())
    assert not missing, f"2.0.1 station cases without an implementation: {missing}"


def test_every_block_case_meets_a_defect() -> None:
    """Every defect is a real ``j_`` entry, proven once; every case fails on at least one
    defect or is listed as unfailable; every case has a conformant control."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names)
    assert all(name in DEFECTS and name.startswith("j_") for name in names)
    assert {n for n in DEFECTS if n.startswith("j_")} == set(names)
    assert sorted(n for run in RUNS.values() for n in run) == sorted(names)
    covered = {c for d in DEFECT_CASES for c in d.cases}
    assert covered | set(UNFAILABLE) == set(BLOCK_CASES)
    assert {c for cases in CONFORMANT.values() for c in cases} == set(BLOCK_CASES)
