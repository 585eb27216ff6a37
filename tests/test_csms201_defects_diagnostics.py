"""The OCPP 2.0.1 CSMS-side cases of N. Diagnostics (Part 6 §3.15) can fail: each run here
breaks one behaviour of the reference CSMS (a ``v201_`` toggle of
:data:`~pytest_ocpp.reference.csms.DEFECTS`, implemented in
``reference/csms/v201/diagnostics.py``) and proves that the cases checking it report "fail",
with the broken rule in the message, not "error" and not "not applicable"; the controls run
beside them still pass (each meets the broken behaviour, or the same kind of request, without
judging it).

Same plumbing as the other defect files (``harness.py``): one ``pytest`` process per defect
against a broken reference reached through ``--ocpp-target`` and the command operator,
verdicts read from the JSON compliance report, a few processes at a time. The conformant half
of the proof is ``test_suite_against_reference.py``.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
import pytest_ocpp.testcases.ocpp201.csms
from harness import (
    FAIL,
    Defect,
    Runs,
    assert_defect_caught,
    assert_passes,
    cases_of,
    csms201_defect_run,
    implemented_cases,
    runs_fixture,
)

from pytest_ocpp.catalog import catalog, lookup
from pytest_ocpp.reference.csms import DEFECTS
from pytest_ocpp.reference.csms.v201.diagnostics import DEFECTS_DIAGNOSTICS

BLOCK_CASES = sorted(
    info.id
    for info in catalog().values()
    if info.version == "2.0.1" and info.side == "CSMS" and info.block == "Diagnostics"
)
"""Every 2.0.1 CSMS-side case of Part 6 §3.15, as the catalogue has them."""

UPLOADS = ("TC_N_25_CSMS", "TC_N_35_CSMS")
REPORT_FILTERS = ("TC_N_01_CSMS", "TC_N_03_CSMS", "TC_N_60_CSMS")
SET_MONITORS = ("TC_N_08_CSMS", "TC_N_09_CSMS")
EVENT_CALL_ERROR = "refused a valid NotifyEvent request with CallError"

#: Each defect lists the cases that prove it, not every case it would fail: the customer
#: information cases, ten operator requests per run, are spread over the defects that judge them.
DEFECT_CASES: tuple[Defect, ...] = (
    # -- N01 Retrieve Log ------------------------------------------------------------------
    # Table 666 (TC_N_34_CSMS) judges nothing of its request: only a CSMS that cannot send one
    # fails it.
    Defect("v201_get_log_not_sent", ("TC_N_34_CSMS", *UPLOADS), "did not send GetLog"),
    Defect("v201_get_log_wrong_log_type", UPLOADS, "GetLogRequest logType"),
    Defect(
        "v201_get_log_location_without_scheme",
        (*UPLOADS, "TC_N_36_CSMS"),
        "log.remoteLocation an absolute URL",
    ),
    Defect(
        "v201_get_log_reuses_request_id",
        ("TC_N_36_CSMS",),
        "a requestId other than the first one's",
    ),
    Defect(
        "v201_log_status_uploaded_call_error",
        (*UPLOADS, "TC_N_36_CSMS"),
        "refused a valid LogStatusNotification request with CallError InternalError",
    ),
    # -- N02 Get Monitoring Report ---------------------------------------------------------
    Defect(
        "v201_get_monitoring_report_wrong_criteria",
        REPORT_FILTERS,
        "GetMonitoringReportRequest monitoringCriteria =",
    ),
    Defect(
        "v201_get_monitoring_report_drops_evse",
        ("TC_N_02_CSMS", "TC_N_03_CSMS", "TC_N_60_CSMS"),
        "componentVariable with component.name EVSE evse.id",
    ),
    Defect(
        "v201_get_monitoring_report_all_criteria",
        ("TC_N_02_CSMS", "TC_N_47_CSMS"),
        "monitoringCriteria omitted",
    ),
    Defect(
        "v201_notify_monitoring_report_continuation_call_error",
        ("TC_N_01_CSMS", "TC_N_60_CSMS", "TC_N_47_CSMS"),
        "refused a valid NotifyMonitoringReport request with CallError InternalError",
    ),
    # -- N03 / N05 -------------------------------------------------------------------------
    Defect(
        "v201_set_monitoring_base_wrong_base",
        ("TC_N_05_CSMS",),
        "SetMonitoringBaseRequest monitoringBase = FactoryDefault",
    ),
    Defect(
        "v201_set_monitoring_level_inverted",
        ("TC_N_16_CSMS", "TC_N_17_CSMS"),
        "SetMonitoringLevelRequest severity = 4",
    ),
    # -- N04 Set Variable Monitoring -------------------------------------------------------
    Defect("v201_set_variable_monitoring_wrong_type", SET_MONITORS, "type = Delta"),
    Defect("v201_set_variable_monitoring_wrong_severity", SET_MONITORS, "severity = 8"),
    Defect(
        "v201_set_variable_monitoring_drops_evse",
        SET_MONITORS,
        "SetVariableMonitoringRequest setMonitoringData for component EVSE, evse.id",
    ),
    Defect(
        "v201_set_variable_monitoring_first_only",
        ("TC_N_09_CSMS",),
        "SetVariableMonitoringRequest setMonitoringData for component ChargingStation",
    ),
    Defect(
        "v201_set_variable_monitoring_value_zero",
        SET_MONITORS,
        ("value = 1", "OCTT-specific", "N04.FR.17"),
    ),
    # -- N06 Clear Variable Monitoring -----------------------------------------------------
    Defect(
        "v201_clear_monitoring_ignores_items_per_message",
        ("TC_N_18_CSMS",),
        "N06.FR.04",
    ),
    Defect(
        "v201_clear_monitoring_wrong_ids",
        ("TC_N_18_CSMS", "TC_N_44_CSMS"),
        "the CSMS was asked to clear",
    ),
    # -- N07 / N08 monitoring events -------------------------------------------------------
    Defect(
        "v201_notify_event_periodic_call_error",
        ("TC_N_24_CSMS", "TC_N_50_CSMS"),
        EVENT_CALL_ERROR,
    ),
    Defect("v201_notify_event_empty_value_call_error", ("TC_N_48_CSMS",), EVENT_CALL_ERROR),
    Defect("v201_notify_event_cleared_call_error", ("TC_N_49_CSMS",), EVENT_CALL_ERROR),
    Defect("v201_notify_event_hardwired_monitor_call_error", ("TC_N_21_CSMS",), EVENT_CALL_ERROR),
    # -- N09 / N10 customer information ----------------------------------------------------
    Defect(
        "v201_customer_information_wrong_customer",
        ("TC_N_27_CSMS", "TC_N_29_CSMS", "TC_N_62_CSMS", "TC_N_63_CSMS"),
        "the customer the CSMS was asked about",
    ),
    Defect(
        "v201_customer_information_two_references",
        ("TC_N_27_CSMS", "TC_N_62_CSMS", "TC_N_63_CSMS"),
        "exactly one of idToken, customerCertificate or customerIdentifier",
    ),
    Defect(
        "v201_customer_information_clear_ignored",
        ("TC_N_30_CSMS", "TC_N_31_CSMS", "TC_N_46_CSMS"),
        "CustomerInformationRequest clear true",
    ),
    Defect(
        "v201_customer_information_always_reports",
        ("TC_N_32_CSMS",),
        "CustomerInformationRequest report false",
    ),
    Defect(
        "v201_notify_customer_information_call_error",
        ("TC_N_28_CSMS", "TC_N_32_CSMS", "TC_N_63_CSMS"),
        "refused a valid NotifyCustomerInformation request with CallError InternalError",
    ),
    Defect(
        "v201_customer_clear_local_list_keeps_token",
        ("TC_N_46_CSMS",),
        "the idToken without idTokenInfo",
    ),
)

#: Cases run beside the failing ones, which must still pass: each meets the broken behaviour
#: (or the same kind of request) without judging it, so a defect that breaks everything, or a
#: case that fails on any request of the kind, proves nothing.
CONTROLS: dict[str, tuple[str, ...]] = {
    "v201_get_log_not_sent": ("TC_N_16_CSMS",),
    # Table 666 judges nothing of its GetLogRequest, and nothing is uploaded.
    "v201_get_log_wrong_log_type": ("TC_N_34_CSMS",),
    "v201_get_log_location_without_scheme": ("TC_N_34_CSMS",),
    # One GetLogRequest per session: nothing to reuse.
    "v201_get_log_reuses_request_id": ("TC_N_25_CSMS",),
    "v201_log_status_uploaded_call_error": ("TC_N_34_CSMS",),
    # TC_N_02/N_47 send no monitoringCriteria to swap.
    "v201_get_monitoring_report_wrong_criteria": ("TC_N_02_CSMS", "TC_N_47_CSMS"),
    # TC_N_01/N_47 send no componentVariable.
    "v201_get_monitoring_report_drops_evse": ("TC_N_01_CSMS", "TC_N_47_CSMS"),
    "v201_get_monitoring_report_all_criteria": ("TC_N_01_CSMS", "TC_N_03_CSMS"),
    # One-page reports.
    "v201_notify_monitoring_report_continuation_call_error": ("TC_N_02_CSMS", "TC_N_03_CSMS"),
    # All is left as it is.
    "v201_set_monitoring_base_wrong_base": ("TC_N_16_CSMS",),
    "v201_set_monitoring_level_inverted": ("TC_N_05_CSMS",),
    "v201_set_variable_monitoring_wrong_type": ("TC_N_05_CSMS",),
    "v201_set_variable_monitoring_wrong_severity": ("TC_N_16_CSMS",),
    "v201_set_variable_monitoring_drops_evse": ("TC_N_05_CSMS",),
    # One monitor only.
    "v201_set_variable_monitoring_first_only": ("TC_N_08_CSMS",),
    "v201_set_variable_monitoring_value_zero": ("TC_N_05_CSMS",),
    # A single id fits any limit.
    "v201_clear_monitoring_ignores_items_per_message": ("TC_N_44_CSMS",),
    "v201_clear_monitoring_wrong_ids": ("TC_N_05_CSMS",),
    "v201_notify_event_periodic_call_error": ("TC_N_49_CSMS", "TC_N_21_CSMS"),
    "v201_notify_event_empty_value_call_error": ("TC_N_24_CSMS",),
    "v201_notify_event_cleared_call_error": ("TC_N_50_CSMS",),
    "v201_notify_event_hardwired_monitor_call_error": ("TC_N_48_CSMS",),
    # Every customer information case names its customer.
    "v201_customer_information_wrong_customer": ("TC_N_34_CSMS",),
    "v201_customer_information_two_references": ("TC_N_34_CSMS",),
    # The Get cases (N09) do not judge the clear flag.
    "v201_customer_information_clear_ignored": ("TC_N_27_CSMS",),
    # A report is what TC_N_30/N_31 ask for.
    "v201_customer_information_always_reports": ("TC_N_30_CSMS", "TC_N_31_CSMS"),
    # A rejected request brings no report.
    "v201_notify_customer_information_call_error": ("TC_N_29_CSMS",),
    # The same clear, without a Local Authorization List.
    "v201_customer_clear_local_list_keeps_token": ("TC_N_30_CSMS",),
}

UNFAILABLE: dict[str, str] = {}
"""Cases of the block no defect can fail, with the reason: none."""

OPERATOR_TIMEOUT: dict[str, float] = {"v201_get_log_not_sent": 4}
"""``--ocpp-operator-timeout`` where the defect shows as the request never arriving: waiting it
out is the proof, so it is kept short (the control CLI starts in well under a second)."""


runs = runs_fixture(
    {
        d.name: partial(
            csms201_defect_run,
            d,
            CONTROLS.get(d.name, ()),
            operator_timeout=OPERATOR_TIMEOUT.get(d.name, 10.0),
        )
        for d in DEFECT_CASES
    },
    param="defect",
)
"""One broken reference CSMS per selected defect, their suites run concurrently."""


def _implemented_201_csms_cases() -> set[str]:
    return implemented_cases(pytest_ocpp.testcases.ocpp201.csms, "2.0.1")


def test_catalogue_lists_30_cases() -> None:
    """The brief's 30 cases of §3.15, TC_N_21_CSMS among them."""
    assert len(BLOCK_CASES) == 30, BLOCK_CASES
    assert "TC_N_21_CSMS" in BLOCK_CASES


def test_tc_n_21_is_provisional() -> None:
    """TC_N_21_CSMS has no table in Part 6 Ed3: the catalogue knows it by title only, so every
    report marks it provisional."""
    assert lookup("TC_N_21_CSMS", "2.0.1").provisional


def test_every_block_case_is_implemented() -> None:
    """Each catalogue case of the block has a test function."""
    missing = sorted(set(BLOCK_CASES) - _implemented_201_csms_cases())
    assert not missing, f"2.0.1 CSMS cases without an implementation: {missing}"


def test_every_block_case_meets_a_defect() -> None:
    """The table names this block's defects, each once and every one of them, and makes every
    case of the block fail at least once (or excuses it in UNFAILABLE)."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names)
    assert set(names) == set(DEFECTS_DIAGNOSTICS)
    assert set(names) <= set(DEFECTS)
    assert set(cases_of(DEFECT_CASES)) | set(UNFAILABLE) == set(BLOCK_CASES)
    assert set(CONTROLS) == set(names)


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_case_fails_on_defect(defect: Defect, runs: Runs) -> None:
    """Each named case's verdict is "fail" with the broken rule in its message; the cases run
    beside them still pass."""
    report = runs[defect.name]
    assert_defect_caught(report, defect)
    assert_passes(report, CONTROLS.get(defect.name, ()))


def test_customer_certificate_comes_from_config(tmp_path: Path) -> None:
    """OCTT's <customer certificate hash data> is ``[station] customer_certificate_hash``: the
    operator is asked for that certificate and TC_N_63_CSMS holds the CSMS to it (here a CSMS
    naming another serial number fails, quoting the configured one)."""
    config = tmp_path / "ocpp.toml"
    config.write_text(
        "[station.customer_certificate_hash]\n"
        'hashAlgorithm = "SHA384"\n'
        'issuerNameHash = "aa11"\n'
        'issuerKeyHash = "bb22"\n'
        'serialNumber = "C0FFEE42"\n',
        "utf-8",
    )
    defect = Defect("v201_customer_information_wrong_customer", ("TC_N_63_CSMS",), "C0FFEE42")
    report = csms201_defect_run(
        defect, (), tmp_path / "run", extra_args=("--ocpp-config", str(config))
    )
    verdict, message = report.verdicts["TC_N_63_CSMS"]
    assert verdict == FAIL, report.output
    assert "'serialNumber': 'C0FFEE42'" in message and "'hashAlgorithm': 'SHA384'" in message
    assert "1C0FFEE42" in message, message
