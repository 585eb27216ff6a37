"""The station-side Core cases of OCTT 1.6 §2.9-2.16 and §2.23 (meter values, non-happy flows,
offline behaviour, DataTransfer) must be able to fail: each run breaks one behaviour of the
reference charge point (a :data:`~pytest_ocpp.reference.station.DEFECTS` toggle) and proves the
cases that check it report "fail" (not "error", not "not applicable"), for that reason.

End to end, as a charger firmware team runs the suite: a separate ``pytest`` process per defect
listening with ``--ocpp-listen``, the broken reference station connecting to it, the
``command`` station operator driving the station's control channel through ``python -m
pytest_ocpp.reference.control``, verdicts read from the JSON compliance report (the plumbing
is in ``harness.py``). A run against the conformant station proves the same cases pass there.
The runs go concurrently: they mostly wait on sockets and on the station's meter and reconnect
timers.
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
    Defect(
        "meter_values_not_sent",
        ("TC_070_CS", "TC_071_CS", "TC_036_CS"),
        "did not send MeterValues.req",
    ),
    Defect("bad_timestamp", ("TC_070_CS",), "date-time"),
    Defect("no_status_after_plug_in", ("TC_023_CS", "TC_023_4_CS"), "Preparing"),
    Defect(
        "remote_start_rejected",
        ("TC_023_5_CS", "TC_024_CS", "TC_026_CS"),
        "RemoteStartTransaction.conf status Accepted",
    ),
    Defect("wrong_stop_reason", ("TC_032_2_CS", "TC_037_3_CS"), "StopTransaction.req reason"),
    Defect(
        "transaction_id_ignored",
        ("TC_038_CS", "TC_039_CS"),
        "StopTransaction.req transactionId",
    ),
    Defect(
        "change_configuration_accepts_unknown_key",
        ("TC_040_1_CS",),
        "ChangeConfiguration.conf status NotSupported",
    ),
    Defect(
        "change_configuration_accepts_invalid_value",
        ("TC_040_2_CS",),
        "ChangeConfiguration.conf status Rejected",
    ),
)


runs = runs_fixture(
    station_defect_jobs(DEFECT_CASES, message_timeout=3, response_timeout=3),
    param="defect",
    keep=["conformant"],
)
"""The conformant station and one broken station per selected defect, run concurrently."""


def test_defect_table_names_real_station_defects() -> None:
    """The table names existing defects of the reference station, each once."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names) >= 4
    assert set(names) <= set(DEFECTS)


def test_cases_pass_on_conformant_station(runs: Runs) -> None:
    """Every case proven to fail below passes against the conformant reference station."""
    assert_conformant(runs["conformant"], cases_of(DEFECT_CASES))


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_case_fails_on_defect(defect: Defect, runs: Runs) -> None:
    """Each named case's verdict is "fail" with the defect's effect in its message."""
    assert_defect_caught(runs[defect.name], defect)
