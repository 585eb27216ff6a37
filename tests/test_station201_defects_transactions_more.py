"""The 2.0.1 station-side E. Transactions cases of testcases/ocpp201/cs/test_transactions_more.py
(parking bay stop, EV-side disconnect, status after an offline stop, offline queues, ISO 15118
end of charging) can fail.

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
import pytest_ocpp.testcases.ocpp201.cs.test_transactions as transactions
import pytest_ocpp.testcases.ocpp201.cs.test_transactions_more as more
import pytest_ocpp.testcases.ocpp201.cs.test_transactions_stop_offline as stop_offline
import pytest_ocpp.testcases.ocpp201.cs.test_transactions_stop_options as stop_options
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
    Defect("e3_departure_wrong_trigger", ("TC_E_19_CS",), "triggerReason must be EVDeparted"),
    Defect(
        "e3_ev_side_charging_state",
        ("TC_E_24_CS", "TC_E_25_CS", "TC_E_26_CS"),
        "chargingState must be Idle",
    ),
    Defect("e3_reconnect_not_resumed", ("TC_E_26_CS",), "when the energy transfer resumes"),
    Defect(
        "e3_status_ongoing_after_offline_end", ("TC_E_31_CS",), "ongoingIndicator must be false"
    ),
    Defect("e3_offline_started_dropped", ("TC_E_43_CS",), "eventType Started"),
    Defect(
        "offline_flag_missing",
        ("TC_E_31_CS", "TC_E_43_CS", "TC_E_45_CS"),
        "offline must be true",
    ),
)

UNFAILABLE: dict[str, str] = {
    "TC_E_27_CS": "not applicable on the reference station: its cable is not permanently "
    "attached ([station] fixed_cable false; its EV-side disconnect leaves the cable in the "
    "socket)",
    "TC_E_46_CS": "proved in test_station201_defects_iso15118.py (c15_session_stop_ignored)",
}
"""Cases no defect of this file fails, with the reason."""

CONTROLS: dict[str, tuple[str, ...]] = {
    "e3_departure_wrong_trigger": ("TC_E_24_CS",),
    "e3_ev_side_charging_state": ("TC_E_19_CS",),
    "e3_reconnect_not_resumed": ("TC_E_24_CS",),
    "e3_status_ongoing_after_offline_end": ("TC_E_24_CS",),
    "e3_offline_started_dropped": ("TC_E_45_CS",),
    "offline_flag_missing": ("TC_E_26_CS",),
}
"""Per defect, cases that meet the broken station and must still pass."""

BLOCK = tuple(f"TC_E_{n}_CS" for n in (19, 24, 25, 26, 27, 31, 43, 45, 46))
"""The cases of test_transactions_more.py."""

runs = runs_fixture(
    station201_defect_jobs(
        DEFECT_TABLE, CONTROLS, response_timeout=2, message_timeout=3, reboot_timeout=10
    ),
    param="name",
    keep=("conformant",),
    workers=4,
)


def _implemented(*modules: object) -> set[str]:
    return {
        mark.kwargs["id"]
        for module in modules
        for value in vars(module).values()
        for mark in getattr(value, "pytestmark", ())
        if mark.name == "ocpp_case" and mark.kwargs.get("version") == "2.0.1"
    }


def test_every_defect_exists() -> None:
    for defect in DEFECT_TABLE:
        assert defect.name in DEFECTS, defect.name


def test_every_case_can_fail() -> None:
    assert set(cases_of(DEFECT_TABLE)) | set(UNFAILABLE) == set(BLOCK)


def test_catalogue_ids_implemented() -> None:
    """This module's ids, and with the other E modules every 2.0.1 station-side E id of the
    catalogue, each once."""
    catalogue = {
        info.id
        for info in catalog().values()
        if info.version == "2.0.1" and info.side == "CS" and info.block == "Transactions"
    }
    assert _implemented(more) == set(BLOCK)
    others = _implemented(transactions, stop_offline, stop_options)
    assert not others & set(BLOCK)
    assert others | set(BLOCK) == catalogue


def test_conformant(runs: Runs) -> None:
    assert_conformant(runs["conformant"], cases_of(DEFECT_TABLE))


@pytest.mark.parametrize("name", [d.name for d in DEFECT_TABLE])
def test_defect_caught(runs: Runs, name: str) -> None:
    defect = next(d for d in DEFECT_TABLE if d.name == name)
    report = runs[name]
    assert_defect_caught(report, defect)
    assert_passes(report, CONTROLS[name])
