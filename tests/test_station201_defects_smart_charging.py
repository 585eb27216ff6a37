"""The 2.0.1 station-side K. Smart Charging cases (testcases/ocpp201/cs/test_smart_charging_*.py)
can fail.

Each run breaks one behaviour of the reference 2.0.1 station (a
:data:`~pytest_ocpp.reference.station201.station.DEFECTS` toggle) and proves that the cases
checking it report "fail" with a phrase of the broken rule, while the control cases of the
same run, which meet the broken station without judging that behaviour, still pass; a
conformant run proves every case passes. End to end, as a charger team runs the suite: a
separate ``pytest`` process against the reference station, driven by the ``command``
operator; the plumbing is in ``harness.py``.

Two departures from the template, both for the 60 s budget and the reference's claims: the
defects run in four groups (:data:`GROUPS`, defects whose cases do not meet each other's
breakage), and every run gets a config file with the reference's ``[claims] lacking`` (no
rate unit W), so TC_K_12/42_CS apply as under ``--ocpp-reference``.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest
import pytest_ocpp.testcases.ocpp201.cs.test_smart_charging_clear_get as clear_get
import pytest_ocpp.testcases.ocpp201.cs.test_smart_charging_composite as composite
import pytest_ocpp.testcases.ocpp201.cs.test_smart_charging_iso15118 as iso15118
import pytest_ocpp.testcases.ocpp201.cs.test_smart_charging_profiles as profiles
from harness import (
    Defect,
    Job,
    Report,
    Runs,
    assert_conformant,
    assert_defect_caught,
    assert_passes,
    cases_of,
    reference_station201,
    run_suite,
    runs_fixture,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.station201.station import DEFECTS

SAME = "the same profile is reported as sent"
PERIODS = "chargingSchedulePeriod"

DEFECT_TABLE: tuple[Defect, ...] = (
    Defect("k_unknown_evse_accepted", ("TC_K_14_CS", "TC_K_47_CS"), "status Rejected"),
    Defect(
        "k_tx_profile_unchecked",
        ("TC_K_02_CS", "TC_K_11_CS", "TC_K_16_CS"),
        "SetChargingProfileResponse status Rejected",
    ),
    Defect("k_recurring_rejected", ("TC_K_19_CS",), "SetChargingProfileResponse status Accepted"),
    Defect("k_rate_unit_unchecked", ("TC_K_12_CS", "TC_K_42_CS"), "status Rejected"),
    Defect("k_replace_keeps_old", ("TC_K_04_CS",), SAME),
    Defect(
        "k_report_altered",
        (
            "TC_K_01_CS",
            "TC_K_03_CS",
            "TC_K_10_CS",
            "TC_K_13_CS",
            "TC_K_31_CS",
            "TC_K_34_CS",
            "TC_K_35_CS",
            "TC_K_60_CS",
        ),
        SAME,
    ),
    Defect(
        "k_get_filter_ignored",
        ("TC_K_29_CS", "TC_K_30_CS", "TC_K_32_CS", "TC_K_33_CS", "TC_K_36_CS"),
        "must not be reported",
    ),
    Defect("k_external_limit_not_reported", ("TC_K_52_CS",), "status Accepted"),
    Defect("k_clear_by_id_ignored", ("TC_K_05_CS",), "status NoProfiles"),
    Defect(
        "k_clear_criteria_ignored",
        ("TC_K_06_CS", "TC_K_09_CS", "TC_K_24_CS"),
        "ClearChargingProfileResponse status",
    ),
    Defect(
        "k_clear_always_accepted",
        ("TC_K_07_CS", "TC_K_08_CS"),
        "ClearChargingProfileResponse status Unknown",
    ),
    Defect("k_stack_level_ignored", ("TC_K_40_CS",), PERIODS),
    Defect("k_max_profile_ignored", ("TC_K_41_CS",), PERIODS),
    Defect("k_validity_ignored", ("TC_K_21_CS", "TC_K_22_CS", "TC_K_23_CS"), PERIODS),
    Defect("k_composite_start_stale", ("TC_K_28_CS", "TC_K_39_CS"), "scheduleStart"),
    Defect("k_remote_start_profile_ignored", ("TC_K_37_CS",), "status Accepted"),
    Defect(
        "k_needs_without_parameters",
        ("TC_K_53_CS", "TC_K_57_CS"),
        "acChargingParameters should not be omitted",
    ),
    Defect("k_rejected_needs_stall", ("TC_K_54_CS",), "chargingState Charging"),
    Defect("k_offline_hlc_waits", ("TC_K_56_CS",), "chargingState Charging"),
    Defect("k_rate_wrong_trigger", ("TC_K_57_CS", "TC_K_58_CS"), "must be ChargingRateChanged"),
)

UNFAILABLE: dict[str, str] = {
    "TC_K_15_CS": "for a station WITHOUT Smart Charging (CALLERROR NotSupported): not "
    "applicable against the reference station, which claims the profile",
    "TC_K_38_CS": "for a station WITHOUT Smart Charging (the chargingProfile of a remote start "
    "is ignored): not applicable against the reference station",
}
"""Cases no defect of this file fails, with the reason."""

GROUPS: dict[str, tuple[str, ...]] = {
    "validation": (
        "k_unknown_evse_accepted",
        "k_tx_profile_unchecked",
        "k_recurring_rejected",
        "k_rate_unit_unchecked",
        "k_clear_always_accepted",
        "k_external_limit_not_reported",
        "k_rate_wrong_trigger",
        "k_clear_by_id_ignored",
    ),
    "reports": (
        "k_report_altered",
        "k_stack_level_ignored",
        "k_max_profile_ignored",
        "k_clear_criteria_ignored",
        "k_rejected_needs_stall",
    ),
    "selection": (
        "k_get_filter_ignored",
        "k_validity_ignored",
        "k_remote_start_profile_ignored",
        "k_offline_hlc_waits",
    ),
    "timing": ("k_composite_start_stale", "k_needs_without_parameters", "k_replace_keeps_old"),
}
"""Defects sharing one run (the time budget allows a handful of pytest processes): in a group
no defect's cases meet another's breakage, so each case fails with its own defect's phrase,
as in a run of that defect alone (k_clear_by_id_ignored leaves every profile behind, so it
shares a run with cases that tolerate leftovers)."""

CONTROLS: dict[str, tuple[str, ...]] = {
    "validation": ("TC_K_01_CS", "TC_K_53_CS"),
    "reports": ("TC_K_05_CS", "TC_K_28_CS"),
    "selection": ("TC_K_01_CS", "TC_K_28_CS"),
    "timing": ("TC_K_01_CS", "TC_K_54_CS"),
}
"""Per group, cases that meet the broken station and must still pass."""

BLOCK = tuple(
    f"TC_K_{n:02d}_CS"
    for n in (*range(1, 17), 19, 21, 22, 23, 24, *range(28, 43), 47, 52, 53, 54, 56, 57, 58, 60)
)
"""The 2.0.1 station-side cases of block K (Part 6 §2.12) in the catalogue."""

CLAIMS = '[claims]\nlacking = ["AQ-2", "C-03", "SC-2.2"]\n'
"""The runs' claims, as the reference station's (REFERENCE_CLAIMS): smart charging in A only,
so TC_K_12/42_CS ("not (SC-2.1 and SC-2.2)") apply."""


def _run(cases: tuple[str, ...], defects: tuple[str, ...], options: dict, workdir: Path) -> Report:
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "claims.toml"
    config.write_text(CLAIMS, "utf-8")
    with reference_station201(defects) as hosted:
        return run_suite(workdir, *hosted.args, "--ocpp-config", str(config), ids=cases, **options)


def _jobs(**options: Any) -> dict[str, Job]:
    """As harness.station201_defect_jobs, per group, with :data:`CLAIMS` as the config."""
    by_name = {d.name: d for d in DEFECT_TABLE}
    jobs = {"conformant": partial(_run, cases_of(DEFECT_TABLE), (), options)}
    for group, names in GROUPS.items():
        cases = cases_of(tuple(by_name[n] for n in names)) + CONTROLS[group]
        jobs[group] = partial(_run, tuple(dict.fromkeys(cases)), names, options)
    return jobs


runs = runs_fixture(
    _jobs(response_timeout=2, message_timeout=3, reboot_timeout=10),
    param="group",
    keep=("conformant",),
    workers=5,
)


def test_every_defect_exists() -> None:
    for defect in DEFECT_TABLE:
        assert defect.name in DEFECTS, defect.name
    assert {d for d in DEFECTS if d.startswith("k_")} == {d.name for d in DEFECT_TABLE}


def test_every_case_can_fail() -> None:
    assert set(cases_of(DEFECT_TABLE)) | set(UNFAILABLE) == set(BLOCK)
    assert not set(cases_of(DEFECT_TABLE)) & set(UNFAILABLE)


def test_catalogue_ids_implemented() -> None:
    """Every 2.0.1 station-side K id of the catalogue has a case, and no other."""
    catalogue = {
        info.id
        for info in catalog().values()
        if info.version == "2.0.1" and info.side == "CS" and info.block == "SmartCharging"
    }
    implemented = {
        mark.kwargs["id"]
        for module in (profiles, clear_get, composite, iso15118)
        for value in vars(module).values()
        for mark in getattr(value, "pytestmark", ())
        if mark.name == "ocpp_case" and mark.kwargs.get("version") == "2.0.1"
    }
    assert implemented == set(BLOCK) == catalogue


def test_conformant(runs: Runs) -> None:
    assert_conformant(runs["conformant"], cases_of(DEFECT_TABLE))


@pytest.mark.parametrize("group", list(GROUPS))
def test_defect_caught(runs: Runs, group: str) -> None:
    report = runs[group]
    for name in GROUPS[group]:
        assert_defect_caught(report, next(d for d in DEFECT_TABLE if d.name == name))
    assert_passes(report, CONTROLS[group])


def test_groups_cover_the_table() -> None:
    grouped = [n for names in GROUPS.values() for n in names]
    assert sorted(grouped) == sorted(d.name for d in DEFECT_TABLE)
