"""The 2.0.1 station-side B. Provisioning cases, part 1 (boot, Get/SetVariables, reports),
can fail.

Each run hosts the reference 2.0.1 station with a few of its
:data:`~pytest_ocpp.reference.station201.station.DEFECTS` at once, chosen so that no case meets
more than one of them, and runs the cases those defects break plus a control that must still
pass; each failing case must fail with a phrase of the broken rule, so a case failing for an
unrelated reason does not count. A conformant run of every case proves they pass. The runs are
end to end (a separate ``pytest`` process, ``--ocpp-listen``, the station operator over the
reference's control channel), a few at a time, with short timeouts; the plumbing is in
``harness.py``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import pytest
from harness import (
    Job,
    Runs,
    assert_fails,
    assert_not_applicable,
    assert_passes,
    runs_fixture,
    station201_job,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.station201.station import DEFECTS

_NUMBERS = (1, 2, 3, 30, 6, 7, 32, 33, 34, 9, 10, 35, 36, 37, 11, 39, 12, 13, 14, 15, 16, 17)
BLOCK_CASES: tuple[str, ...] = tuple(f"TC_B_{n:02d}_CS" for n in (*_NUMBERS, 18, 19))
"""B. Provisioning part 1 (Part 6 §2.3 up to TC_B_19_CS; TC_B_20 and later are part 2)."""

UNFAILABLE: dict[str, str] = {
    "TC_B_15_CS": "conditional on not C-56: the reference provides the SummaryInventory and "
    "the default claims include C-56, so the case is not applicable to it",
    "TC_B_19_CS": "needs a componentCriteria the station does not support ([station] "
    "unsupported_component_criteria); the reference supports all four values of the enum",
}

TIMEOUTS = {"response_timeout": 2, "message_timeout": 3, "reboot_timeout": 15}


@dataclass(frozen=True)
class Run:
    """One station with ``defects``; ``fails`` maps each case to a phrase its failure message
    must contain; ``controls`` must pass beside them."""

    name: str
    defects: tuple[str, ...]
    fails: dict[str, str]
    controls: tuple[str, ...] = field(default=())
    variables: dict[str, str] = field(default_factory=dict)
    """Initial device-model values of the reference station of this run."""

    def __str__(self) -> str:
        return self.name


RUNS: tuple[Run, ...] = (
    Run(
        "device_model",
        (
            "b_unknown_status_swapped",
            "b_attribute_type_ignored",
            "b_set_value_not_validated",
            "set_variables_accepts_read_only",
            "b_component_criteria_ignored",
        ),
        {
            "TC_B_32_CS": "attributeStatus UnknownComponent",
            "TC_B_33_CS": "attributeStatus UnknownVariable",
            "TC_B_35_CS": "attributeStatus UnknownComponent",
            "TC_B_36_CS": "attributeStatus UnknownVariable",
            "TC_B_34_CS": "NotSupportedAttributeType",
            "TC_B_37_CS": "NotSupportedAttributeType",
            "TC_B_11_CS": "B05.FR.07",
            "TC_B_39_CS": "B05.FR.09",
            "TC_B_16_CS": 'variableAttribute.value "true"',
            "TC_B_18_CS": "EmptyResultSet",
        },
        ("TC_B_06_CS",),
        # A disabled component, which ignoring componentCriteria Enabled reports (TC_B_16).
        {"ReservationCtrlr.Enabled": "false"},
    ),
    Run(
        "reports_and_items",
        ("b_report_seq_no_from_one", "b_multiple_items_first_only"),
        {
            "TC_B_12_CS": "seqNo 0",
            "TC_B_13_CS": "seqNo 0",
            "TC_B_14_CS": "seqNo 0",
            "TC_B_17_CS": "seqNo 0",
            "TC_B_07_CS": "has a result for",
            "TC_B_10_CS": "has a result for",
        },
        ("TC_B_09_CS",),
    ),
    Run(
        "rejected_boot",
        (
            "b_boot_retry_ignores_interval",
            "b_no_security_error_when_rejected",
            "b_set_variables_always_rejected",
        ),
        {"TC_B_03_CS": "B03.FR.02/06", "TC_B_30_CS": "SecurityError", "TC_B_09_CS": "B05.FR.01"},
    ),
    Run(
        "pending_boot",
        ("status_while_pending", "b_set_not_applied"),
        {"TC_B_02_CS": "B02.FR.02", "TC_B_06_CS": 'attributeValue "300"'},
    ),
    Run(
        "boot_status",
        ("no_status_after_boot",),  # no control: a later case's ready() would wait in vain
        {"TC_B_01_CS": "StatusNotification"},
    ),
)

MY_DEFECTS = (
    "b_boot_retry_ignores_interval",
    "b_no_security_error_when_rejected",
    "b_unknown_status_swapped",
    "b_attribute_type_ignored",
    "b_set_value_not_validated",
    "b_report_seq_no_from_one",
    "b_multiple_items_first_only",
    "b_set_not_applied",
    "b_component_criteria_ignored",
    "b_set_variables_always_rejected",
)


def _jobs() -> dict[str, Job]:
    jobs = {"conformant": station201_job(BLOCK_CASES, **TIMEOUTS)}
    for run in RUNS:
        jobs[run.name] = station201_job(
            (*run.fails, *run.controls),
            run.defects,
            station={"variables": run.variables} if run.variables else None,
            **TIMEOUTS,
        )
    return jobs


runs = runs_fixture(_jobs(), param="run", keep=("conformant",), workers=3)


def test_table_is_sound() -> None:
    """Every defect named exists; each of this block's defects is used; every case of the
    block fails in some run or is listed as unfailable, and no run's case is also its
    control."""
    used = {d for run in RUNS for d in run.defects}
    assert used <= set(DEFECTS), used - set(DEFECTS)
    assert set(MY_DEFECTS) <= used
    assert all(d in DEFECTS for d in MY_DEFECTS)
    failed = {case for run in RUNS for case in run.fails}
    assert failed | set(UNFAILABLE) == set(BLOCK_CASES)
    assert not failed & set(UNFAILABLE)
    for run in RUNS:
        assert not set(run.fails) & set(run.controls), run.name


def test_every_catalogue_case_is_implemented() -> None:
    """Each of the block's catalogue ids has a test function in test_provisioning.py or
    test_provisioning_reports.py."""
    listed = {
        info.id
        for info in catalog().values()
        if info.version == "2.0.1" and info.side == "CS" and info.id in BLOCK_CASES
    }
    assert listed == set(BLOCK_CASES)
    found = {
        mark.kwargs["id"]
        for name in ("test_provisioning", "test_provisioning_reports")
        for value in vars(
            importlib.import_module(f"pytest_ocpp.testcases.ocpp201.cs.{name}")
        ).values()
        for mark in getattr(value, "pytestmark", ())
        if mark.name == "ocpp_case" and mark.kwargs.get("version") == "2.0.1"
    }
    assert set(BLOCK_CASES) <= found, sorted(set(BLOCK_CASES) - found)


def test_conformant_station_passes(runs: Runs) -> None:
    """Every case passes against the conformant reference, but the unfailable ones, which
    are not applicable to it."""
    report = runs["conformant"]
    assert_passes(report, [c for c in BLOCK_CASES if c not in UNFAILABLE])
    assert_not_applicable(report, UNFAILABLE)


@pytest.mark.parametrize("run", RUNS, ids=str)
def test_defects_are_caught(runs: Runs, run: Run) -> None:
    """The run's cases fail, each for its broken rule; its controls pass."""
    report = runs[run.name]
    for case, phrase in run.fails.items():
        assert_fails(report, [case], phrase)
    assert_passes(report, run.controls)
