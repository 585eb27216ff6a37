"""The 2.0.1 station-side H. Reservation cases (testcases/ocpp201/cs/test_reservation.py and
test_reservation_unspecified.py) can fail.

Each run hosts the reference 2.0.1 station with some
:data:`~pytest_ocpp.reference.station201.station.DEFECTS` toggles (defects that do not meet in
one case share a run, to keep the file short) and runs the cases those defects break plus a
control; every case a defect names must report "fail" with a phrase of the broken rule, and the
controls must pass. A conformant run proves every case passes. TC_H_13_CS is for a station
WITHOUT reservations of an unspecified EVSE (NOT R-2), which the reference supports: its runs
host a station with ReservationCtrlr.NonEvseSpecific false. End to end, as a charger team runs
the suite: a separate ``pytest`` process against the hosted station, driven by the ``command``
operator; the plumbing is in ``harness.py``.
"""

from __future__ import annotations

import pytest
import pytest_ocpp.testcases.ocpp201.cs.test_reservation as specific
import pytest_ocpp.testcases.ocpp201.cs.test_reservation_unspecified as unspecified
from harness import (
    Defect,
    Job,
    Runs,
    assert_conformant,
    assert_fails,
    assert_passes,
    runs_fixture,
    station201_job,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.station201.station import DEFECTS

BLOCK = tuple(
    f"TC_H_{n:02d}_CS" for n in (1, 2, 3, 4, 6, 7, 8, 9, 10, *range(12, 20), 21, 22, 23, 24)
)
"""The 2.0.1 station-side cases of block H (Part 6 §2.9)."""

SPECIFIC = tuple(f"TC_H_{n:02d}_CS" for n in (1, 2, 3, 4, 6, 7, 17, 18, 19, 21, 22, 23))
"""The cases of test_reservation.py (a specific EVSE); the others are test_reservation_unspecified's."""

WITHOUT_R2 = ("TC_H_13_CS",)
"""Cases for a station without reservations of an unspecified EVSE (not applicable against
the default reference station)."""

NO_R2_STATION = {"variables": {"ReservationCtrlr.NonEvseSpecific": "false"}}

DEFECT_TABLE: tuple[Defect, ...] = (
    Defect("h_reserved_not_reported", ("TC_H_01_CS", "TC_H_14_CS"), "connectorStatus Reserved"),
    Defect("h_cancel_unknown_accepted", ("TC_H_18_CS",), "status must be Rejected"),
    Defect("h_unavailable_as_occupied", ("TC_H_06_CS", "TC_H_12_CS"), "must be Unavailable"),
    Defect("h_enabled_ignored", ("TC_H_22_CS",), "H01.FR.01"),
    Defect("h_other_token_allowed", ("TC_H_02_CS",), "H03.FR.01"),
    Defect("h_never_expires", ("TC_H_07_CS",), "H04.FR.03"),
    Defect("h_kept_when_unavailable", ("TC_H_21_CS",), "H01.FR.17"),
    Defect("h_replace_refused", ("TC_H_23_CS",), "H01.FR.02"),
    Defect("h_group_ignored", ("TC_H_19_CS",), "triggerReason Authorized"),
    Defect("h_no_reservation_id", ("TC_H_08_CS", "TC_H_15_CS"), "H01.FR.15"),
    Defect(
        "h_occupied_accepted",
        ("TC_H_03_CS", "TC_H_04_CS", "TC_H_09_CS", "TC_H_10_CS", "TC_H_16_CS"),
        "status must be Occupied",
    ),
    Defect("h_unspecified_rejected", ("TC_H_24_CS",), "status must be Accepted"),
    Defect("h_cancel_not_applied", ("TC_H_17_CS",), "H02.FR.02"),
    Defect("h_non_evse_specific_ignored", ("TC_H_13_CS",), "H01.FR.19"),
)

RUNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # run name: (defects, controls); cases run in file order.
    "reporting": (
        (
            "h_reserved_not_reported",
            "h_cancel_unknown_accepted",
            "h_unavailable_as_occupied",
            "h_enabled_ignored",
        ),
        ("TC_H_04_CS",),
    ),
    "ending": (
        (
            "h_other_token_allowed",
            "h_never_expires",
            "h_kept_when_unavailable",
            "h_replace_refused",
            "h_unspecified_rejected",
        ),
        ("TC_H_17_CS",),
    ),
    "claiming": (
        ("h_group_ignored", "h_no_reservation_id", "h_occupied_accepted"),
        ("TC_H_18_CS",),
    ),
    # The reservation stays Reserved after an Accepted cancel: the next case's general
    # preconditions could not make the connector Available, so TC_H_17_CS runs last, after a
    # control that leaves no reservation behind.
    "cancel": (("h_cancel_not_applied",), ("TC_H_04_CS",)),
    "without_r2": (("h_non_evse_specific_ignored",), ()),
}

UNFAILABLE: dict[str, str] = {}
"""Cases no defect of this file fails, with the reason (none)."""

TIMEOUTS = {"response_timeout": 2, "message_timeout": 3}

_BY_NAME = {d.name: d for d in DEFECT_TABLE}


def _jobs() -> dict[str, Job]:
    # The conformant half in two runs (one per module): the longest runs start first.
    jobs: dict[str, Job] = {
        "conformant": station201_job(SPECIFIC, **TIMEOUTS),
        "conformant_unspecified": station201_job(
            sorted(set(BLOCK) - set(SPECIFIC) - set(WITHOUT_R2)), **TIMEOUTS
        ),
        "conformant_without_r2": station201_job(WITHOUT_R2, station=NO_R2_STATION, **TIMEOUTS),
    }
    for run, (defects, controls) in RUNS.items():
        cases = {c for name in defects for c in _BY_NAME[name].cases} | set(controls)
        station = NO_R2_STATION if set(cases) <= set(WITHOUT_R2) else None
        jobs[run] = station201_job(sorted(cases), defects, station=station, **TIMEOUTS)
    return jobs


runs = runs_fixture(_jobs(), workers=4)


def _run_of(defect: str) -> str:
    return next(run for run, (defects, _) in RUNS.items() if defect in defects)


def test_every_defect_exists_and_runs_once() -> None:
    names = [d.name for d in DEFECT_TABLE]
    assert len(set(names)) == len(names)
    assert set(names) <= set(DEFECTS)
    assert sorted(n for defects, _ in RUNS.values() for n in defects) == sorted(names)


def test_every_case_can_fail() -> None:
    assert {c for d in DEFECT_TABLE for c in d.cases} | set(UNFAILABLE) == set(BLOCK)


def test_catalogue_ids_implemented() -> None:
    """Every 2.0.1 station-side H id of the catalogue has a case, and no other."""
    catalogue = {
        info.id
        for info in catalog().values()
        if info.version == "2.0.1" and info.side == "CS" and info.block == "Reservation"
    }
    implemented = {
        mark.kwargs["id"]
        for module in (specific, unspecified)
        for value in vars(module).values()
        for mark in getattr(value, "pytestmark", ())
        if mark.name == "ocpp_case" and mark.kwargs.get("version") == "2.0.1"
    }
    assert implemented == set(BLOCK) == catalogue


def test_conformant(runs: Runs) -> None:
    assert_conformant(runs["conformant"], SPECIFIC)
    assert_conformant(
        runs["conformant_unspecified"], sorted(set(BLOCK) - set(SPECIFIC) - set(WITHOUT_R2))
    )
    assert_conformant(runs["conformant_without_r2"], WITHOUT_R2)


@pytest.mark.parametrize("defect", DEFECT_TABLE, ids=str)
def test_case_fails_on_defect(defect: Defect, runs: Runs) -> None:
    """The defect's cases fail with the broken rule in their message."""
    assert_fails(runs[_run_of(defect.name)], defect.cases, defect.cause)


@pytest.mark.parametrize("run", sorted(RUNS))
def test_controls_pass(run: str, runs: Runs) -> None:
    """A case the run's defects do not meet still passes: the run judges, not fails all."""
    assert_passes(runs[run], RUNS[run][1])
