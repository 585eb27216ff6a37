"""The 2.0.1 station-side cases of C. Authorization part 2 (cache, GroupId, Master Pass,
Unknown) and D. Local Authorization List Management can fail.

Each run hosts the reference 2.0.1 station with some :data:`DEFECTS` toggles (defects that do
not meet in one case share a run, to keep the file short) and runs the cases those defects
break plus a control; every case a defect names must report "fail" with a phrase of the broken
rule, and the controls must pass. That every case passes against the conformant station is
the suite's own check (``pytest --ocpp-reference --ocpp-version=2.0.1``), not repeated here.
The plumbing (a separate ``pytest`` process against a hosted station) is in ``harness.py``.
"""

from __future__ import annotations

import pytest
import pytest_ocpp.testcases.ocpp201.cs
from harness import (
    Defect,
    Job,
    Runs,
    assert_fails,
    assert_passes,
    implemented_cases,
    runs_fixture,
    station201_job,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.station201.station import DEFECTS

BLOCK_CASES = sorted(
    f"TC_C_{n}_CS" for n in (*range(37, 50), *range(21, 27), *range(50, 57))
) + sorted(f"TC_D_{n:02d}_CS" for n in (1, 2, 3, 4, 5, 6, 7, 8, 10))
"""This block's cases (the brief's list), each in the 2.0.1 catalogue."""

IMPLEMENTED = (
    *(f"TC_C_{n}_CS" for n in (*range(21, 27), *range(37, 57))),
    *(f"TC_D_{n:02d}_CS" for n in (1, 2, 3, 4, 5, 6, 7, 8, 10)),
)
"""The cases of the block, all written."""

DEFECT_CASES: tuple[Defect, ...] = (
    Defect("c_clear_cache_inverted", ("TC_C_37_CS", "TC_C_38_CS"), "ClearCacheResponse status"),
    Defect("c_cache_lifetime_ignored", ("TC_C_46_CS",), "C10.FR.08"),
    Defect("c_group_ignored", ("TC_C_39_CS", "TC_C_40_CS", "TC_C_41_CS"), "StopAuthorized"),
    Defect("c_invalid_group_stops", ("TC_C_42_CS", "TC_C_43_CS", "TC_C_44_CS"), "C09.FR.11"),
    Defect("c_offline_list_ignored", ("TC_C_21_CS",), "StopAuthorized"),
    Defect(
        "c_offline_refused_list_starts", ("TC_C_22_CS", "TC_C_23_CS", "TC_C_24_CS"), "C13.FR.02"
    ),
    Defect("c_cache_over_list", ("TC_C_25_CS",), "C14.FR.01"),
    Defect("c_offline_unknown_refused", ("TC_C_26_CS",), "TransactionEventRequest with idToken"),
    Defect("c_masterpass_ignored", ("TC_C_49_CS",), "ending the authorization"),
    Defect("c_masterpass_starts", ("TC_C_45_CS",), "C16.FR.03"),
    Defect("c_refused_token_starts", ("TC_C_56_CS",), "C01.FR.02"),
    Defect("d_version_mismatch_ignored", ("TC_D_06_CS",), "VersionMismatch"),
    Defect("d_full_empty_failed", ("TC_D_04_CS",), "SendLocalListResponse status Accepted"),
    Defect("d_remove_failed", ("TC_D_03_CS",), "SendLocalListResponse status Accepted"),
    Defect("d_version_while_disabled", ("TC_D_10_CS",), "versionNumber 0"),
    Defect(
        "local_list_version_not_updated",
        ("TC_D_01_CS", "TC_D_02_CS", "TC_D_05_CS", "TC_D_07_CS", "TC_D_08_CS"),
        "GetLocalListVersionResponse versionNumber",
    ),
)

RUNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # run name: (defects, controls)
    "cache_and_list": (
        (
            "c_clear_cache_inverted",
            "c_cache_lifetime_ignored",
            "d_version_mismatch_ignored",
            "d_full_empty_failed",
            "d_remove_failed",
            "d_version_while_disabled",
        ),
        ("TC_D_08_CS",),
    ),
    "groups": (
        ("c_group_ignored", "c_offline_list_ignored", "c_offline_unknown_refused"),
        ("TC_C_42_CS",),
    ),
    "invalid_group": (
        ("c_invalid_group_stops", "c_offline_refused_list_starts", "c_cache_over_list"),
        ("TC_C_39_CS",),
    ),
    "starts": (
        (
            "c_masterpass_starts",
            "c_masterpass_ignored",
            "c_refused_token_starts",
            "local_list_version_not_updated",
        ),
        ("TC_C_38_CS",),
    ),
}

_NO_ISO15118 = "proved in test_station201_defects_iso15118.py (the c15_ defects)"
UNFAILABLE: dict[str, str] = {
    "TC_C_47_CS": "not applicable against the reference station: it has no user interface "
    "for the Master Pass selection (masterpass_select); C16.FR.02 is proven by TC_C_49_CS",
    "TC_C_48_CS": "as TC_C_47_CS",
    **{f"TC_C_{n}_CS": _NO_ISO15118 for n in range(50, 56)},
}
"""Cases no defect fails, with the reason."""

_BY_NAME = {d.name: d for d in DEFECT_CASES}


def _jobs() -> dict[str, Job]:
    jobs: dict[str, Job] = {}
    for run, (defects, controls) in RUNS.items():
        cases = {c for name in defects for c in _BY_NAME[name].cases} | set(controls)
        jobs[run] = station201_job(sorted(cases), defects, response_timeout=2, message_timeout=2)
    return jobs


runs = runs_fixture(_jobs(), workers=4)


def _run_of(defect: str) -> str:
    return next(run for run, (defects, _) in RUNS.items() if defect in defects)


def _implemented_201_cs_cases() -> set[str]:
    return implemented_cases(pytest_ocpp.testcases.ocpp201.cs, "2.0.1")


def test_block_cases_are_in_the_catalogue() -> None:
    ids = {info.id for info in catalog().values() if info.version == "2.0.1" and info.side == "CS"}
    assert set(BLOCK_CASES) <= ids, sorted(set(BLOCK_CASES) - ids)
    assert set(IMPLEMENTED) == set(BLOCK_CASES)


def test_every_written_case_is_implemented() -> None:
    missing = sorted(set(IMPLEMENTED) - _implemented_201_cs_cases())
    assert not missing, f"2.0.1 station cases of this block without an implementation: {missing}"


def test_every_written_case_meets_a_defect() -> None:
    """Every defect is the reference's, runs once, and every written case fails on one."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names)
    assert set(names) <= set(DEFECTS)
    assert sorted(n for defects, _ in RUNS.values() for n in defects) == sorted(names)
    covered = {c for d in DEFECT_CASES for c in d.cases} | set(UNFAILABLE)
    assert covered == set(IMPLEMENTED)


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_case_fails_on_defect(defect: Defect, runs: Runs) -> None:
    """The defect's cases fail with the broken rule in their message."""
    assert_fails(runs[_run_of(defect.name)], defect.cases, defect.cause)


@pytest.mark.parametrize("run", sorted(RUNS))
def test_controls_pass(run: str, runs: Runs) -> None:
    """A case the run's defects do not meet still passes: the run judges, not fails all."""
    assert_passes(runs[run], RUNS[run][1])
