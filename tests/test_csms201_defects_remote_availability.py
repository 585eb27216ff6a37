"""The OCPP 2.0.1 CSMS-side cases of F. Remote Control and G. Availability (Part 6 §3.7-3.8) can
fail: each run here breaks one behaviour of the reference CSMS (a ``v201_*`` toggle of
:data:`~pytest_ocpp.reference.csms.DEFECTS`) and proves that the cases checking it report
"fail", with the broken rule in the message, not "error" and not "not applicable"; the controls
run beside them still pass (so a harness that fails everything proves nothing).

Same plumbing as the other defect files (``harness.py``): one ``pytest`` process per defect
against a broken reference reached through ``--ocpp-target`` and the command operator, verdicts
read from the JSON compliance report, a few processes at a time. The conformant half of the
proof is ``test_suite_against_reference.py``.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
import pytest_ocpp.testcases.ocpp201.csms
from harness import (
    Defect,
    Runs,
    assert_defect_caught,
    assert_passes,
    cases_of,
    csms201_defect_run,
    implemented_cases,
    reference_csms,
    run_suite,
    runs_fixture,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.csms import DEFECTS

BLOCKS = ("RemoteControl", "Availability")
"""The catalogue's names of 2.0.1 blocks F and G."""

BLOCK_CASES = sorted(
    info.id
    for info in catalog().values()
    if info.version == "2.0.1" and info.side == "CSMS" and info.block in BLOCKS
)
"""Every 2.0.1 CSMS-side case of the two blocks, as the catalogue has them."""

TRIGGER_CASES = (
    "TC_F_11_CSMS",
    "TC_F_12_CSMS",
    "TC_F_13_CSMS",
    "TC_F_14_CSMS",
    "TC_F_15_CSMS",
    "TC_F_18_CSMS",
    "TC_F_20_CSMS",
    "TC_F_23_CSMS",
    "TC_F_24_CSMS",
)
"""The F06 cases whose table validates requestedMessage (all but TC_F_27_CSMS)."""

REMOTE_START_CASES = ("TC_F_01_CSMS", "TC_F_02_CSMS", "TC_F_03_CSMS", "TC_F_04_CSMS")

CHANGE_AVAILABILITY_CASES = (
    "TC_G_03_CSMS",
    "TC_G_04_CSMS",
    "TC_G_05_CSMS",
    "TC_G_06_CSMS",
    "TC_G_07_CSMS",
    "TC_G_08_CSMS",
    "TC_G_11_CSMS",
    "TC_G_14_CSMS",
    "TC_G_17_CSMS",
)

DEFECT_CASES: tuple[Defect, ...] = (
    # -- F01/F02 RequestStartTransaction --------------------------------------------------
    Defect(
        "v201_request_start_wrong_id_token",
        REMOTE_START_CASES,
        "RequestStartTransactionRequest idToken.idToken",
    ),
    Defect(
        "v201_request_start_wrong_evse",
        REMOTE_START_CASES,
        "RequestStartTransactionRequest evseId",
    ),
    # -- F05 UnlockConnector ---------------------------------------------------------------
    Defect(
        "v201_unlock_connector_wrong_connector",
        ("TC_F_06_CSMS",),
        "UnlockConnectorRequest connectorId",
    ),
    # -- F06 TriggerMessage ----------------------------------------------------------------
    Defect(
        "v201_trigger_wrong_requested_message",
        TRIGGER_CASES,
        "TriggerMessageRequest requestedMessage",
    ),
    Defect(
        "v201_trigger_wrong_evse",
        ("TC_F_11_CSMS", "TC_F_13_CSMS", "TC_F_23_CSMS", "TC_F_24_CSMS"),
        "TriggerMessageRequest evse.id",
    ),
    Defect(
        "v201_trigger_status_without_connector",
        ("TC_F_23_CSMS", "TC_F_24_CSMS"),
        "with evse.connectorId set (F06.FR.13",
    ),
    Defect(
        "v201_trigger_never_sent",
        ("TC_F_20_CSMS", "TC_F_27_CSMS"),
        "did not send TriggerMessage",
    ),
    Defect("v201_heartbeat_bad_datetime", ("TC_F_20_CSMS",), "currentTime"),
    # -- G03/G04 ChangeAvailability --------------------------------------------------------
    Defect(
        "v201_change_availability_wrong_status",
        CHANGE_AVAILABILITY_CASES,
        "ChangeAvailabilityRequest operationalStatus",
    ),
    Defect(
        "v201_change_availability_wrong_evse",
        ("TC_G_03_CSMS", "TC_G_04_CSMS", "TC_G_07_CSMS", "TC_G_08_CSMS", "TC_G_11_CSMS"),
        "ChangeAvailabilityRequest evse.id",
    ),
    Defect(
        "v201_change_availability_station_as_evse",
        ("TC_G_05_CSMS", "TC_G_06_CSMS", "TC_G_14_CSMS"),
        "ChangeAvailabilityRequest evse omitted",
    ),
    Defect(
        "v201_change_availability_drops_connector",
        ("TC_G_07_CSMS", "TC_G_08_CSMS", "TC_G_17_CSMS"),
        "evse.connectorId",
    ),
    # -- G01/G05 connector reports ---------------------------------------------------------
    Defect(
        "v201_status_notification_unavailable_call_error",
        ("TC_G_03_CSMS", "TC_G_05_CSMS", "TC_G_07_CSMS", "TC_G_11_CSMS", "TC_G_17_CSMS"),
        "CallError InternalError",
    ),
    Defect(
        "v201_notify_event_problem_call_error",
        ("TC_G_20_CSMS",),
        "CallError InternalError",
    ),
)

#: Cases run beside the failing ones: they meet the broken behaviour (or the same kind of
#: request) without judging it, and must still pass.
EXTRA_CASES: dict[str, tuple[str, ...]] = {
    "v201_request_start_wrong_id_token": ("TC_F_06_CSMS",),
    "v201_request_start_wrong_evse": ("TC_F_06_CSMS",),
    "v201_unlock_connector_wrong_connector": ("TC_F_20_CSMS",),
    # TC_F_27_CSMS has no tool validation: any requestedMessage is answered NotImplemented.
    "v201_trigger_wrong_requested_message": ("TC_F_27_CSMS",),
    # "All EVSE": no evse to get wrong.
    "v201_trigger_wrong_evse": ("TC_F_12_CSMS", "TC_F_14_CSMS"),
    # A trigger for one EVSE, but not for a StatusNotification.
    "v201_trigger_status_without_connector": ("TC_F_11_CSMS",),
    "v201_trigger_never_sent": ("TC_F_06_CSMS",),
    "v201_heartbeat_bad_datetime": ("TC_F_15_CSMS",),
    "v201_change_availability_wrong_status": ("TC_G_20_CSMS",),
    "v201_change_availability_wrong_evse": ("TC_G_05_CSMS",),
    "v201_change_availability_station_as_evse": ("TC_G_03_CSMS",),
    "v201_change_availability_drops_connector": ("TC_G_03_CSMS",),
    # Reports Available, both ways.
    "v201_status_notification_unavailable_call_error": ("TC_F_23_CSMS",),
    # A NotifyEvent on AvailabilityState, not on a Problem.
    "v201_notify_event_problem_call_error": ("TC_F_23_CSMS",),
}

UNFAILABLE: dict[str, str] = {}
"""Cases of the two blocks no defect here can fail, with the reason: none."""

OPERATOR_TIMEOUT: dict[str, float] = {"v201_trigger_never_sent": 3}
"""``--ocpp-operator-timeout`` where the defect shows as the request never arriving: waiting it
out is the proof, so it is kept short (the control CLI starts in well under a second)."""


runs = runs_fixture(
    {
        d.name: partial(
            csms201_defect_run,
            d,
            EXTRA_CASES.get(d.name, ()),
            operator_timeout=OPERATOR_TIMEOUT.get(d.name, 10.0),
        )
        for d in DEFECT_CASES
    },
    param="defect",
)
"""One broken reference CSMS per selected defect, their suites run concurrently."""


def _implemented_201_csms_cases() -> set[str]:
    return implemented_cases(pytest_ocpp.testcases.ocpp201.csms, "2.0.1")


def test_catalogue_lists_25_cases() -> None:
    """The brief's ids: TC_F_01-04, 06, 11-15, 18, 20, 23, 24, 27 and TC_G_03-08, 11, 14, 17,
    20, as the catalogue has them."""
    assert len(BLOCK_CASES) == 25, BLOCK_CASES


def test_every_block_case_is_implemented() -> None:
    """Each catalogue case of the two blocks has a test function."""
    missing = sorted(set(BLOCK_CASES) - _implemented_201_csms_cases())
    assert not missing, f"2.0.1 CSMS cases without an implementation: {missing}"


def test_every_block_case_meets_a_defect() -> None:
    """The defect table names real 2.0.1 defects, each once, and makes every case of the two
    blocks fail at least once, or says why it cannot."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names)
    assert all(name in DEFECTS and name.startswith("v201_") for name in names)
    assert set(EXTRA_CASES) <= set(names)
    assert set(cases_of(DEFECT_CASES)) | set(UNFAILABLE) == set(BLOCK_CASES)
    assert not set(cases_of(DEFECT_CASES)) & set(UNFAILABLE)


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_case_fails_on_defect(defect: Defect, runs: Runs) -> None:
    """Each named case's verdict is "fail" with the broken rule in its message; the cases run
    beside them still pass."""
    report = runs[defect.name]
    assert_defect_caught(report, defect)
    assert_passes(report, EXTRA_CASES.get(defect.name, ()))


def test_not_implemented_trigger_comes_from_config(tmp_path: Path) -> None:
    """``[station] not_implemented_trigger`` is what TC_F_27_CSMS asks the CSMS to trigger."""
    config = tmp_path / "ocpp.toml"
    config.write_text('[station]\nnot_implemented_trigger = "MeterValues"\n', "utf-8")
    with reference_csms(versions=("2.0.1",)) as csms:
        report = run_suite(
            tmp_path / "run",
            *csms.args,
            "--ocpp-version",
            "2.0.1",
            "--ocpp-config",
            str(config),
            ids=("TC_F_27_CSMS",),
            response_timeout=2,
            message_timeout=2,
            operator_timeout=10,
        )
    assert_passes(report, ("TC_F_27_CSMS",))
    (case,) = report.cases
    sent = [str(e.get("text", "")) for e in case["trace"]]
    assert any('"TriggerMessage",{"requestedMessage":"MeterValues"' in t for t in sent), sent
