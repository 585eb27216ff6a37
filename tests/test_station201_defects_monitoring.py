"""The 2.0.1 station-side N monitoring cases (testcases/ocpp201/cs/test_monitoring*.py) can
fail.

Each run breaks one behaviour of the reference 2.0.1 station (a
:data:`~pytest_ocpp.reference.station201.station.DEFECTS` toggle, block N: ``n_*``) and proves
that the cases checking it report "fail" with a phrase of the broken rule, while the control
cases of the same run still pass; a conformant run proves every case passes. End to end, as a
charger team runs the suite: a separate ``pytest`` process against the reference station,
driven by the ``command`` operator; the plumbing is in ``harness.py``.
"""

from __future__ import annotations

import pytest
import pytest_ocpp.testcases.ocpp201.cs.test_monitoring as reports
import pytest_ocpp.testcases.ocpp201.cs.test_monitoring_events as alerts
import pytest_ocpp.testcases.ocpp201.cs.test_monitoring_set as setting
from harness import (
    Defect,
    Job,
    Runs,
    assert_conformant,
    assert_defect_caught,
    assert_passes,
    cases_of,
    runs_fixture,
    station201_job,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.station201.station import DEFECTS


def _n(*numbers: int) -> tuple[str, ...]:
    return tuple(f"TC_N_{n:02d}_CS" for n in numbers)


DEFECT_TABLE: tuple[Defect, ...] = (
    Defect("n_report_ignores_criteria", _n(1, 3), "N02.FR."),
    Defect("n_report_wrong_request_id", _n(2, 6, 8, 9, 40, 47, 53), "N02.FR.04"),
    Defect("n_unknown_enum_accepted", _n(4, 7), "NotSupported"),
    Defect("n_factory_default_not_supported", _n(5, 41), "SetMonitoringBase"),
    Defect("n_base_keeps_custom", _n(6), "N02.FR.01/10"),
    Defect("n_unknown_status_swapped", _n(11, 37), "setMonitoringResult status Unknown"),
    Defect("n_range_unchecked", _n(12, 13, 43), "status Rejected"),
    Defect("n_threshold_on_any_type", _n(38), "UnsupportedMonitorType"),
    Defect("n_duplicate_accepted", _n(15), "Duplicate"),
    Defect("n_second_monitor_rejected", _n(10), "status Accepted"),
    Defect("n_replace_ignored", _n(40), "severity"),
    Defect("n_replace_mismatch_accepted", _n(39), "N04.FR.16"),
    Defect("n_level_ignored", _n(16), "N05.FR.03"),
    Defect("n_level_range_unchecked", _n(17), "status Rejected"),
    Defect("n_clear_keeps_monitor", _n(18, 52), "N02.FR.01/10"),
    Defect("n_clear_always_accepted", _n(19, 44), "clearMonitoringResult"),
    Defect("n_no_cleared_event", _n(20), "cleared"),
    Defect("n_hardwired_as_custom", _n(21), "HardWiredNotification"),
    Defect("n_offline_events_dropped", _n(22), "queued offline"),
    Defect("n_offline_queue_all", _n(23), "N07.FR.04"),
    Defect("n_periodic_silent", _n(24), "Periodic"),
    Defect("n_event_without_monitor_id", _n(45, 51, 56), "N07.FR.06"),
    Defect("n_monitors_not_persisted", _n(53), "N07.FR.13"),
    Defect("n_write_only_value_disclosed", _n(48), "N07.FR.10"),
    Defect("n_numeric_delta_any_change", _n(61), "does not exceed"),
)

UNFAILABLE: dict[str, str] = {}
"""Cases no defect of this file fails, with the reason (none)."""

GROUPS: dict[str, tuple[str, ...]] = {
    "requests": (
        "n_report_ignores_criteria",
        "n_unknown_enum_accepted",
        "n_factory_default_not_supported",
        "n_level_range_unchecked",
        "n_threshold_on_any_type",
        "n_duplicate_accepted",
        "n_unknown_status_swapped",
        "n_range_unchecked",
        "n_replace_mismatch_accepted",
        "n_clear_always_accepted",
        "n_offline_queue_all",
        "n_replace_ignored",
        "n_periodic_silent",
    ),
    "events": (
        "n_report_wrong_request_id",
        "n_write_only_value_disclosed",
        "n_numeric_delta_any_change",
        "n_no_cleared_event",
    ),
    "replace": (
        "n_event_without_monitor_id",
        "n_monitors_not_persisted",
        "n_base_keeps_custom",
        "n_second_monitor_rejected",
        "n_level_ignored",
        "n_hardwired_as_custom",
        "n_offline_events_dropped",
    ),
    "clear": ("n_clear_keeps_monitor",),
}
"""A pytest process per defect would cost CI minutes: defects share a run when none of them
touches the others' cases (checked case by case: e.g. n_clear_keeps_monitor leaves every
monitor behind, so it runs alone; n_event_without_monitor_id stays away from the cases that
wait for their monitor's id)."""

CONTROLS: dict[str, tuple[str, ...]] = {
    "requests": _n(2),
    "events": _n(5),
    "replace": _n(8),
    "clear": _n(19),
}
"""Per run, cases that meet the broken station and must still pass."""

BLOCK = _n(
    *range(1, 14), *range(15, 25), 37, 38, 39, 40, 41, 43, 44, 45, 47, 48, 51, 52, 53, 56, 61
)
"""The 2.0.1 station-side monitoring cases of block N (Part 6 §2.15; the log and customer
information cases are elsewhere)."""

MODULES = (reports, setting, alerts)
OPTIONS = {"response_timeout": 2, "message_timeout": 3, "reboot_timeout": 10}


CONFORMANT: dict[str, tuple[str, ...]] = {
    "conformant_events": _n(20, 21, 22, 23, 24, 45, 48, 51, 52, 53, 56, 61),
}
"""The conformant run is split in two (these and the rest) to run side by side: the
operator's actions are separate processes here, slow on a busy machine."""


def _conformant() -> dict[str, list[str]]:
    every = cases_of(DEFECT_TABLE)
    split = [c for cases in CONFORMANT.values() for c in cases]
    return {"conformant": [c for c in every if c not in split]} | {
        name: [c for c in every if c in cases] for name, cases in CONFORMANT.items()
    }


def _jobs() -> dict[str, Job]:
    by_name = {d.name: d for d in DEFECT_TABLE}
    jobs = {name: station201_job(cases, **OPTIONS) for name, cases in _conformant().items()}
    for group, names in GROUPS.items():
        cases = [c for name in names for c in by_name[name].cases] + list(CONTROLS[group])
        jobs[group] = station201_job(dict.fromkeys(cases), names, **OPTIONS)
    return jobs


runs = runs_fixture(
    _jobs(), param="group", keep=tuple(_conformant()), workers=len(GROUPS) + len(_conformant())
)


def test_every_defect_exists() -> None:
    for defect in DEFECT_TABLE:
        assert defect.name in DEFECTS, defect.name


def test_every_case_can_fail() -> None:
    assert set(cases_of(DEFECT_TABLE)) | set(UNFAILABLE) == set(BLOCK)


def test_catalogue_ids_implemented() -> None:
    """Every 2.0.1 station-side monitoring id of the catalogue (block N without the log and
    customer information cases) has a case, and no other."""
    others = set(_n(25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 62, 63))
    catalogue = {
        info.id
        for info in catalog().values()
        if info.version == "2.0.1" and info.side == "CS" and info.id.startswith("TC_N_")
    } - others
    implemented = {
        mark.kwargs["id"]
        for module in MODULES
        for value in vars(module).values()
        for mark in getattr(value, "pytestmark", ())
        if mark.name == "ocpp_case" and mark.kwargs.get("version") == "2.0.1"
    }
    assert implemented == set(BLOCK) == catalogue


def test_conformant(runs: Runs) -> None:
    for name, cases in _conformant().items():
        assert_conformant(runs[name], cases)


def test_groups_cover_the_table() -> None:
    grouped = [name for names in GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(d.name for d in DEFECT_TABLE)


@pytest.mark.parametrize(
    ("group", "name"), [(g, name) for g, names in GROUPS.items() for name in names]
)
def test_defect_caught(runs: Runs, group: str, name: str) -> None:
    defect = next(d for d in DEFECT_TABLE if d.name == name)
    report = runs[group]
    assert_defect_caught(report, defect)
    assert_passes(report, CONTROLS[group])
