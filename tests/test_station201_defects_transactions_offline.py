"""The 2.0.1 station-side E. Transactions part 2 cases (stop options, transaction status,
offline behaviour) can fail.

Each defect run breaks behaviours of the reference 2.0.1 station (entries of
:data:`~pytest_ocpp.reference.station201.station.DEFECTS`: the ``e2_*`` ones of this block,
in its ``transactions`` module, and the shared ``tx_wrong_stopped_reason`` and
``offline_flag_missing``) and proves that the cases judging them report "fail" with a phrase
of the broken rule; a conformant run of every case is the control. Defects touching disjoint
behaviours share a station, so the file stays well under a minute.

End to end, as a charger team runs the suite (see ``test_station201_defects_meter_values``);
the run's config file sets the sample interval to 2 s and the offline period
(``retry_backoff_wait_minimum``) to 4 s.
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
meter_value_sample_interval = 2
retry_backoff_wait_minimum = 4
message_attempts_transaction_event = 3
message_attempt_interval_transaction_event = 2
"""

DEFECT_CASES: tuple[Defect, ...] = (
    Defect("tx_wrong_stopped_reason", ("TC_E_15_CS", "TC_E_21_CS"), "stoppedReason"),
    Defect("e2_status_ongoing_always", ("TC_E_28_CS", "TC_E_32_CS"), "ongoingIndicator false"),
    Defect(
        "e2_status_ongoing_without_id", ("TC_E_33_CS", "TC_E_34_CS"), "ongoingIndicator omitted"
    ),
    Defect("e2_status_queue_ignored", ("TC_E_29_CS", "TC_E_33_CS"), "messagesInQueue true"),
    Defect("e2_status_queue_while_ongoing", ("TC_E_30_CS",), "messagesInQueue false"),
    Defect("offline_flag_missing", ("TC_E_29_CS", "TC_E_40_CS", "TC_E_44_CS"), "offline true"),
    Defect("e2_retry_forever", ("TC_E_41_CS", "TC_E_50_CS"), "time(s) in all"),
    Defect(
        "e2_retry_no_backoff",
        ("TC_E_42_CS", "TC_E_50_CS", "TC_E_51_CS"),
        "MessageAttemptInterval",
    ),
    Defect("e2_offline_timestamp_at_send", ("TC_E_40_CS",), "keep the timestamp"),
)

RUNS: dict[str, tuple[str, ...]] = {
    "stop_and_status": (
        "tx_wrong_stopped_reason",
        "e2_status_ongoing_always",
        "e2_status_ongoing_without_id",
        "e2_status_queue_while_ongoing",
    ),
    "offline_flag": ("offline_flag_missing",),
    "queue_ignored": ("e2_status_queue_ignored",),
    "retry_forever": ("e2_retry_forever",),
    "retry_no_backoff": ("e2_retry_no_backoff",),
    "offline_timestamp": ("e2_offline_timestamp_at_send",),
}
"""Station runs: the defects each breaks together (their cases judge disjoint behaviours)."""

IMPLEMENTED: tuple[str, ...] = (
    "TC_E_15_CS",
    "TC_E_21_CS",
    "TC_E_28_CS",
    "TC_E_29_CS",
    "TC_E_30_CS",
    "TC_E_32_CS",
    "TC_E_33_CS",
    "TC_E_34_CS",
    "TC_E_40_CS",
    "TC_E_41_CS",
    "TC_E_42_CS",
    "TC_E_44_CS",
    "TC_E_50_CS",
    "TC_E_51_CS",
)
"""The ids of this block implemented so far (the rest of the brief's list is reported open)."""

OFFLINE = ("TC_E_29_CS", "TC_E_33_CS", "TC_E_40_CS", "TC_E_44_CS")
RETRIES = (("TC_E_41_CS", "TC_E_51_CS"), ("TC_E_42_CS", "TC_E_50_CS"))

CONFORMANT: dict[str, tuple[str, ...]] = {
    "conformant_status": tuple(
        c for c in IMPLEMENTED if c not in OFFLINE and c not in RETRIES[0] + RETRIES[1]
    ),
    "conformant_offline": OFFLINE,
    "conformant_retry_a": RETRIES[0],
    "conformant_retry_b": RETRIES[1],
}

UNFAILABLE: dict[str, str] = {}
"""Block cases no defect fails, with the reason (none)."""

BLOCK_CASES: tuple[str, ...] = tuple(
    sorted(
        info.id
        for info in catalog().values()
        if info.version == "2.0.1" and info.side == "CS" and info.id in IMPLEMENTED
    )
)


def _cases(defects: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({c for d in DEFECT_CASES if d.name in defects for c in d.cases}))


def _run(cases: tuple[str, ...], defects: tuple[str, ...], workdir: Path) -> Report:
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "ocpp.toml"
    config.write_text(CONFIG, "utf-8")
    with reference_station201(defects, response_timeout=2.0) as hosted:
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
    workers=10,
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
    """Each implemented case of the block is a catalogue case with a test function."""
    assert len(BLOCK_CASES) == len(IMPLEMENTED), BLOCK_CASES
    missing = sorted(set(BLOCK_CASES) - _implemented())
    assert not missing, f"2.0.1 station cases without an implementation: {missing}"


def test_every_block_case_meets_a_defect() -> None:
    """Every defect is a real entry, proven once, the block's ``e2_`` ones all proven; every
    case fails on at least one defect or is listed as unfailable; every case has a control."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names)
    assert all(name in DEFECTS for name in names)
    assert {n for n in DEFECTS if n.startswith("e2_")} <= set(names)
    assert sorted(n for run in RUNS.values() for n in run) == sorted(names)
    covered = {c for d in DEFECT_CASES for c in d.cases}
    assert covered | set(UNFAILABLE) == set(BLOCK_CASES)
    assert {c for cases in CONFORMANT.values() for c in cases} == set(BLOCK_CASES)
