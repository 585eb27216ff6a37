"""The OCPP 2.0.1 station-side cases of F. Remote Control (Part 6 §2.7) can fail: each run here
breaks one behaviour of the reference 2.0.1 station (a ``DEFECTS`` toggle of
:mod:`pytest_ocpp.reference.station201.station`) and proves that the cases checking it report
"fail", with the broken rule in the message, not "error" and not "not applicable"; the controls
run beside them still pass, and a conformant run of every case passes (so a harness that fails
everything proves nothing).

Same plumbing as the other defect files (``harness.py``): one ``pytest`` process per defect
with ``--ocpp-listen``, the reference station in this process connecting to it and the command
operator driving it, verdicts read from the JSON compliance report, a few processes at a time.
"""

from __future__ import annotations

import pytest
import pytest_ocpp.testcases.ocpp201.cs
from harness import (
    Defect,
    Runs,
    assert_conformant,
    assert_defect_caught,
    assert_passes,
    cases_of,
    implemented_cases,
    runs_fixture,
    station201_defect_jobs,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.station201.station import DEFECTS

BLOCK_CASES = sorted(
    info.id
    for info in catalog().values()
    if info.version == "2.0.1" and info.side == "CS" and info.block == "RemoteControl"
)
"""Every 2.0.1 station-side case of block F, as the catalogue has them."""

NOT_IMPLEMENTED: dict[str, str] = {}
"""Catalogue cases of the block not implemented yet, with the reason."""

STATUS_ACCEPTED = "TriggerMessageResponse status must be Accepted"

DEFECT_CASES: tuple[Defect, ...] = (
    Defect(
        "remote_start_rejected",
        ("TC_F_01_CS", "TC_F_02_CS", "TC_F_03_CS", "TC_F_04_CS"),
        "RequestStartTransactionResponse status Accepted",
    ),
    Defect("f_no_ev_connection_timeout", ("TC_F_04_CS",), "EVConnectionTimeOut"),
    Defect(
        "f_unlock_during_transaction",
        ("TC_F_05_CS",),
        "UnlockConnectorResponse status OngoingAuthorizedTransaction",
    ),
    Defect(
        "f_unlock_fails", ("TC_F_06_CS", "TC_F_07_CS"), "UnlockConnectorResponse status Unlocked"
    ),
    Defect(
        "f_unlock_unknown_connector",
        ("TC_F_10_CS",),
        "UnlockConnectorResponse status UnknownConnector",
    ),
    Defect("f_remote_stop_ignored", ("TC_F_08_CS",), "triggerReason RemoteStop"),
    Defect(
        "f_remote_stop_unknown_accepted",
        ("TC_F_09_CS",),
        "RequestStopTransactionResponse status must be Rejected",
    ),
    Defect("f_trigger_meter_values_context", ("TC_F_11_CS", "TC_F_12_CS"), "context Trigger"),
    Defect("f_trigger_transaction_event_rejected", ("TC_F_13_CS", "TC_F_14_CS"), STATUS_ACCEPTED),
    Defect(
        "f_trigger_not_sent", ("TC_F_15_CS", "TC_F_17_CS", "TC_F_18_CS", "TC_F_20_CS"), "(step 3)"
    ),
    Defect("f_trigger_status_rejected", ("TC_F_23_CS", "TC_F_24_CS"), STATUS_ACCEPTED),
    Defect("f_trigger_status_stale", ("TC_F_24_CS",), "connectorStatus Occupied"),
    Defect("f_trigger_boot_accepted", ("TC_F_26_CS",), "status must be Rejected"),
    Defect("f_trigger_unknown_rejected", ("TC_F_27_CS",), "status must be NotImplemented"),
)

CONTROLS: dict[str, tuple[str, ...]] = {
    "f_unlock_fails": ("TC_F_10_CS",),
    "f_remote_stop_unknown_accepted": ("TC_F_08_CS",),
    "f_trigger_meter_values_context": ("TC_F_20_CS",),
    "f_trigger_not_sent": ("TC_F_11_CS",),
    "f_trigger_status_stale": ("TC_F_23_CS",),
    "f_trigger_unknown_rejected": ("TC_F_26_CS",),
}
"""Cases beside a defect that meet the broken area without judging it and must still pass."""

UNFAILABLE: dict[str, str] = {
    "TC_F_16_CS": "proved in test_station201_defects_logs.py (needs a log upload under way)",
    "TC_F_19_CS": "proved in test_station201_defects_logs.py (needs a firmware download under way)",
}
"""Implemented cases of the block no defect here fails, with the reason."""

TIMEOUTS = {"response_timeout": 2, "message_timeout": 3}

runs = runs_fixture(
    station201_defect_jobs(DEFECT_CASES, CONTROLS, **TIMEOUTS),
    param="defect",
    keep=("conformant",),
)
"""One reference station per selected defect plus a conformant one, run concurrently."""


def _implemented_201_cs_cases() -> set[str]:
    return implemented_cases(pytest_ocpp.testcases.ocpp201.cs, "2.0.1")


def test_every_block_case_is_implemented() -> None:
    """Each catalogue case of block F has a test function, but those listed as not yet."""
    implemented = _implemented_201_cs_cases()
    missing = sorted(set(BLOCK_CASES) - implemented - set(NOT_IMPLEMENTED))
    assert not missing, f"2.0.1 station-side F cases without an implementation: {missing}"
    assert not set(NOT_IMPLEMENTED) & implemented, "implemented now: drop from NOT_IMPLEMENTED"


def test_every_block_case_meets_a_defect() -> None:
    """The defect table names real defects, each once, and makes every implemented case of
    the block fail at least once, or says why it cannot."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names)
    assert all(name in DEFECTS for name in names)
    assert set(CONTROLS) <= set(names)
    expected = set(BLOCK_CASES) - set(NOT_IMPLEMENTED)
    assert set(cases_of(DEFECT_CASES)) | set(UNFAILABLE) == expected


def test_conformant_station_passes(runs: Runs) -> None:
    """A conformant reference station passes every case the defects fail."""
    assert_conformant(runs["conformant"], cases_of(DEFECT_CASES))


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_case_fails_on_defect(defect: Defect, runs: Runs) -> None:
    """Each named case's verdict is "fail" with the broken rule in its message; the controls
    run beside them still pass."""
    report = runs[defect.name]
    assert_defect_caught(report, defect)
    assert_passes(report, CONTROLS.get(defect.name, ()))
