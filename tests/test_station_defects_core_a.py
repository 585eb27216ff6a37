"""Every station-side Core case of OCTT 1.6 §2.1-2.8 must be able to fail: each run here
breaks one behaviour of the reference charge point (a :data:`~pytest_ocpp.reference.station.
DEFECTS` toggle) and proves that the cases checking that behaviour report "fail", not "error"
and not "not applicable", with the broken behaviour named in the failure message.

The runs are real end to end, as a charger firmware team would run the suite: a separate
``pytest`` process per defect listening with ``--ocpp-listen``, a broken reference station
connecting to it, the ``command`` station operator driving the station's control channel
through ``python -m pytest_ocpp.reference.control``, verdicts read from the JSON compliance
report (the plumbing is in ``harness.py``). One more run against a conformant station proves
the same cases pass there, so a harness that fails everything proves nothing. The processes
run a few at a time.
"""

from __future__ import annotations

import pytest
from harness import (
    Defect,
    Runs,
    assert_conformant,
    assert_defect_caught,
    cases_of,
    runs_fixture,
    station_defect_jobs,
)

from pytest_ocpp.reference.station import DEFECTS

DEFECT_CASES: tuple[Defect, ...] = (
    Defect("no_heartbeat", ("TC_001_CS",), "did not send Heartbeat.req"),
    Defect("status_before_boot_accepted", ("TC_002_CS",), "while Pending"),
    # Issue 22 pt 10: the Pending interval is far from the Accepted one, so this shows.
    Defect("heartbeat_keeps_pending_interval", ("TC_002_CS",), "a Heartbeat.req every"),
    # Issue 22 pt 10: reported before the BootNotification of a reboot (OCPP 1.6 §4.2.1).
    Defect("status_before_first_boot", ("TC_001_CS",), "BootNotification was not yet sent"),
    Defect("no_status_after_plug_in", ("TC_003_CS", "TC_010_CS"), "Preparing"),
    Defect("bad_timestamp", ("TC_003_CS",), "date-time"),
    Defect(
        "remote_start_rejected",
        ("TC_010_CS", "TC_011_1_CS", "TC_012_CS"),
        "RemoteStartTransaction.conf status Accepted",
    ),
    Defect("ignores_remote_stop", ("TC_012_CS",), "did not send StopTransaction.req"),
    Defect(
        "wrong_stop_reason",
        ("TC_005_1_CS", "TC_012_CS", "TC_018_1_CS"),
        "StopTransaction.req reason",
    ),
    Defect(
        "transaction_id_ignored",
        ("TC_012_CS", "TC_068_CS"),
        "StopTransaction.req transactionId",
    ),
    Defect("reset_without_reboot", ("TC_013_CS", "TC_015_CS"), "did not connect"),
    Defect(
        "unlock_always_fails",
        ("TC_017_1_CS", "TC_018_1_CS"),
        "UnlockConnector.conf status Unlocked",
    ),
    Defect("get_configuration_ignores_key_filter", ("TC_019_CS",), "only the key asked"),
    Defect(
        "clear_cache_rejected",
        ("TC_061_CS", "TC_061_1_CS", "TC_061_2_CS"),
        "ClearCache.conf status Accepted",
    ),
)


runs = runs_fixture(
    station_defect_jobs(
        DEFECT_CASES, message_timeout=3, response_timeout=3, connect_timeout=5, reboot_timeout=5
    ),
    param="defect",
    keep=["conformant"],
)
"""The conformant station and one broken station per selected defect, run concurrently."""


def test_defect_table_names_real_station_defects() -> None:
    """The table names existing defects of the reference station, each once."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names) >= 5
    assert set(names) <= set(DEFECTS)


def test_cases_pass_on_conformant_station(runs: Runs) -> None:
    """Every case proven to fail below passes against the conformant reference station."""
    assert_conformant(runs["conformant"], cases_of(DEFECT_CASES))


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_case_fails_on_defect(defect: Defect, runs: Runs) -> None:
    """Each named case's verdict is "fail" with the defect's effect in its message."""
    assert_defect_caught(runs[defect.name], defect)
