"""The 2.0.1 station-side G. Availability cases (testcases/ocpp201/cs/test_availability.py)
can fail.

Each run breaks one behaviour of the reference 2.0.1 station (a
:data:`~pytest_ocpp.reference.station201.station.DEFECTS` toggle) and proves that the cases
checking it report "fail" with a phrase of the broken rule, while the control cases of the
same run, which meet the broken station without judging that behaviour, still pass; a
conformant run proves every case passes. End to end, as a charger team runs the suite: a
separate ``pytest`` process against the reference station, driven by the ``command``
operator; the plumbing is in ``harness.py``.
"""

from __future__ import annotations

import pytest
import pytest_ocpp.testcases.ocpp201.cs.test_availability as availability
from harness import (
    Defect,
    Runs,
    assert_conformant,
    assert_defect_caught,
    assert_passes,
    cases_of,
    runs_fixture,
    station201_defect_jobs,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.station201.station import DEFECTS

DEFECT_TABLE: tuple[Defect, ...] = (
    Defect("g_plug_in_not_reported", ("TC_G_01_CS",), "connectorStatus Occupied"),
    Defect("g_unplug_not_reported", ("TC_G_02_CS",), "connectorStatus Available"),
    Defect(
        "g_availability_change_unreported",
        ("TC_G_03_CS", "TC_G_04_CS", "TC_G_05_CS", "TC_G_06_CS", "TC_G_07_CS", "TC_G_08_CS"),
        "connectorStatus Unavailable",
    ),
    Defect(
        "g_same_state_rejected",
        ("TC_G_09_CS", "TC_G_10_CS", "TC_G_12_CS", "TC_G_13_CS", "TC_G_15_CS", "TC_G_16_CS"),
        "ChangeAvailabilityResponse status Accepted",
    ),
    Defect(
        "g_scheduled_change_dropped",
        ("TC_G_11_CS", "TC_G_14_CS", "TC_G_17_CS"),
        "connectorStatus Unavailable",
    ),
    Defect(
        "availability_not_persisted",
        ("TC_G_18_CS", "TC_G_19_CS", "TC_G_21_CS"),
        "the availability persists",
    ),
    Defect("g_lock_failure_charges", ("TC_G_20_CS",), "ConnectorPlugRetentionLock"),
)

UNFAILABLE: dict[str, str] = {}
"""Cases no defect of this file fails, with the reason (none)."""

CONTROLS: dict[str, tuple[str, ...]] = {
    "g_plug_in_not_reported": ("TC_G_09_CS",),
    "g_unplug_not_reported": (),  # any case after it meets the unreported unplug in ready()
    "g_availability_change_unreported": ("TC_G_09_CS",),
    "g_same_state_rejected": ("TC_G_03_CS",),
    "g_scheduled_change_dropped": ("TC_G_09_CS",),
    "availability_not_persisted": ("TC_G_03_CS",),
    "g_lock_failure_charges": ("TC_G_09_CS",),
}
"""Per defect, cases that meet the broken station and must still pass. A run goes in file
order, so a control runs before the cases it accompanies (TC_G_03/09 come first); the
unreported unplug has none: a case before TC_G_02 leaves the EV plugged in, whose removal in
the next ``csms.ready`` goes unreported, a cascade."""

BLOCK = tuple(f"TC_G_{n:02d}_CS" for n in range(1, 22))
"""The 2.0.1 station-side cases of block G (Part 6 §2.8)."""

runs = runs_fixture(
    station201_defect_jobs(
        DEFECT_TABLE, CONTROLS, response_timeout=2, message_timeout=3, reboot_timeout=10
    ),
    param="name",
    keep=("conformant",),
    workers=4,
)


def test_every_defect_exists() -> None:
    for defect in DEFECT_TABLE:
        assert defect.name in DEFECTS, defect.name


def test_every_case_can_fail() -> None:
    assert set(cases_of(DEFECT_TABLE)) | set(UNFAILABLE) == set(BLOCK)


def test_catalogue_ids_implemented() -> None:
    """Every 2.0.1 station-side G id of the catalogue has a case, and no other."""
    catalogue = {
        info.id
        for info in catalog().values()
        if info.version == "2.0.1" and info.side == "CS" and info.block == "Availability"
    }
    implemented = {
        mark.kwargs["id"]
        for value in vars(availability).values()
        for mark in getattr(value, "pytestmark", ())
        if mark.name == "ocpp_case" and mark.kwargs.get("version") == "2.0.1"
    }
    assert implemented == set(BLOCK) == catalogue


def test_conformant(runs: Runs) -> None:
    assert_conformant(runs["conformant"], cases_of(DEFECT_TABLE))


@pytest.mark.parametrize("name", [d.name for d in DEFECT_TABLE])
def test_defect_caught(runs: Runs, name: str) -> None:
    defect = next(d for d in DEFECT_TABLE if d.name == name)
    report = runs[name]
    assert_defect_caught(report, defect)
    assert_passes(report, CONTROLS[name])
