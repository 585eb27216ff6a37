"""Every CSMS-side test case must be able to fail: each run here breaks one behaviour of the
reference CSMS (a :data:`~pytest_ocpp.reference.csms.DEFECTS` toggle) and proves that the test
cases checking that behaviour report "fail", not "error" and not "not applicable".

The runs are real end to end: a separate ``pytest`` process per defect, pointed at the broken
reference through ``--ocpp-target``, with the command operator driving it through the control
CLI, verdicts read from the JSON compliance report (the plumbing is in ``harness.py``). The
conformant half of the proof is ``test_suite_against_reference.py``. The processes run a few at
a time, so the whole file stays well under a minute.
"""

from __future__ import annotations

from functools import partial

import pytest
from harness import (
    Defect,
    Runs,
    assert_defect_caught,
    assert_passes,
    csms16_defect_run,
    runs_fixture,
)

from pytest_ocpp.reference.csms import DEFECTS

DEFECT_CASES: tuple[Defect, ...] = (
    Defect("boot_rejected", ("TC_001_CSMS", "TC_013_CSMS"), "BootNotification.conf status"),
    Defect("boot_missing_current_time", ("TC_001_CSMS",), "currentTime"),
    Defect("heartbeat_bad_datetime", ("TC_001_CSMS",), "currentTime"),
    Defect("wrong_unique_id_in_reply", ("TC_001_CSMS",), "matches no Call"),
    Defect("accept_unknown_id_tag", ("TC_023_1_CSMS", "TC_037_3_CSMS"), "status Invalid"),
    Defect("accept_expired_id_tag", ("TC_023_2_CSMS",), "status Expired"),
    Defect("accept_blocked_id_tag", ("TC_023_3_CSMS",), "status Blocked"),
    Defect("never_answers_authorize", ("TC_023_1_CSMS", "TC_004_2_CSMS"), "did not answer"),
    Defect(
        "reject_valid_start_transaction",
        ("TC_003_CSMS", "TC_007_CSMS", "TC_037_1_CSMS", "TC_039_CSMS"),
        "StartTransaction.conf idTagInfo.status Accepted",
    ),
    # The second transaction of the run gets transactionId 1 again.
    Defect("reuse_transaction_id", ("TC_004_1_CSMS",), "transactionId 1 again"),
    Defect(
        "status_notification_internal_error",
        ("TC_001_CSMS", "TC_024_CSMS", "TC_004_2_CSMS"),
        "InternalError",
    ),
    Defect(
        "stop_transaction_call_error",
        ("TC_005_1_CSMS", "TC_012_CSMS", "TC_039_CSMS"),
        "InternalError",
    ),
    Defect(
        "remote_stop_wrong_transaction",
        ("TC_012_CSMS", "TC_028_CSMS"),
        "RemoteStopTransaction.req transactionId",
    ),
    Defect("data_transfer_bad_error_code", ("TC_064_CSMS",), "FormatViolation"),
    Defect("garbage_frame_on_data_transfer", ("TC_064_CSMS",), "framing"),
    Defect(
        "remote_start_wrong_id_tag",
        ("TC_010_CSMS", "TC_011_1_CSMS", "TC_011_2_CSMS", "TC_026_CSMS"),
        "RemoteStartTransaction.req idTag",
    ),
    Defect("reset_wrong_type", ("TC_013_CSMS", "TC_014_CSMS"), "Reset.req type"),
    Defect(
        "unlock_wrong_connector",
        ("TC_017_1_CSMS", "TC_017_2_CSMS", "TC_018_1_CSMS", "TC_030_CSMS", "TC_031_CSMS"),
        "UnlockConnector.req connectorId",
    ),
    Defect("get_configuration_drops_keys", ("TC_019_2_CSMS",), "GetConfiguration.req key"),
    Defect(
        "change_configuration_wrong_value",
        ("TC_021_CSMS", "TC_040_1_CSMS", "TC_040_2_CSMS"),
        "ChangeConfiguration.req key",
    ),
)

#: Cases run beside the failing ones: they must still pass, so a defect that breaks
#: everything (or a harness that fails every case) cannot prove anything.
EXTRA_CASES: dict[str, tuple[str, ...]] = {"reuse_transaction_id": ("TC_003_CSMS",)}


runs = runs_fixture(
    {d.name: partial(csms16_defect_run, d, EXTRA_CASES.get(d.name, ())) for d in DEFECT_CASES},
    param="defect",
)
"""One broken reference CSMS per selected defect, their suites run concurrently."""


def test_defect_table_names_real_16_defects() -> None:
    """The table must name existing 1.6 defects, each once, and at least 15 of them."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names) >= 15
    assert all(name in DEFECTS and not name.startswith("v201_") for name in names)


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_case_fails_on_defect(defect: Defect, runs: Runs) -> None:
    """Each named case's verdict is "fail" with the defect's cause in its message; the cases
    run beside them still pass."""
    report = runs[defect.name]
    assert_defect_caught(report, defect)
    assert_passes(report, EXTRA_CASES.get(defect.name, ()))
