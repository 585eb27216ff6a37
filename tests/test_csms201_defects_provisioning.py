"""The OCPP 2.0.1 CSMS-side cases of B. Provisioning and P. DataTransfer (Part 6 §3.3, §3.17)
can fail: each run here breaks one behaviour of the reference CSMS (a ``v201_*`` toggle of
:data:`~pytest_ocpp.reference.csms.DEFECTS`) and proves that the cases checking it report
"fail", with the broken rule in the message, not "error" and not "not applicable"; the controls
run beside them still pass (so a harness that fails everything proves nothing).

Two more runs prove that OCTT's configurable values reach the scenarios: a CSMS that holds a
booting station back with Rejected instead of Pending (``not_accepted_boot_status``), and the
configured SetNetworkProfile / DataTransfer values and ItemsPerMessage.

Same plumbing as the other defect files (``harness.py``): one ``pytest`` process per defect
against a broken reference reached through ``--ocpp-target`` and the command operator, verdicts
read from the JSON compliance report, a few processes at a time. The conformant half of the
proof is ``test_suite_against_reference.py``.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest
import pytest_ocpp.testcases.ocpp201.csms
from harness import (
    Defect,
    Report,
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
from pytest_ocpp.reference.csms.v201.data_transfer import DEFECTS_DATA_TRANSFER
from pytest_ocpp.reference.csms.v201.provisioning import DEFECTS_PROVISIONING

BLOCKS = ("Provisioning", "DataTransfer")
"""The catalogue's names of 2.0.1 blocks B and P."""

BLOCK_CASES = sorted(
    info.id
    for info in catalog().values()
    if info.version == "2.0.1" and info.side == "CSMS" and info.block in BLOCKS
)
"""Every 2.0.1 CSMS-side case of the two blocks, as the catalogue has them."""

BOOT_HELD_BACK = ("TC_B_02_CSMS", "TC_B_30_CSMS", "TC_B_31_CSMS")
RESET_STATION = ("TC_B_20_CSMS", "TC_B_21_CSMS", "TC_B_22_CSMS")
RESET_EVSE = ("TC_B_25_CSMS", "TC_B_26_CSMS", "TC_B_27_CSMS")
BASE_REPORTS = ("TC_B_12_CSMS", "TC_B_13_CSMS", "TC_B_14_CSMS")

DEFECT_CASES: tuple[Defect, ...] = (
    # -- B01-B03 boot ----------------------------------------------------------------------
    Defect("v201_boot_rejected", ("TC_B_01_CSMS",), "BootNotificationResponse status Accepted"),
    Defect("v201_boot_six_digit_fraction", ("TC_B_01_CSMS",), "currentTime"),
    Defect(
        "v201_boot_pending_ignored",
        BOOT_HELD_BACK,
        "Step 2: BootNotificationResponse status Pending",
    ),
    Defect(
        "v201_boot_pending_forever",
        ("TC_B_02_CSMS", "TC_B_31_CSMS"),
        "BootNotificationResponse status Accepted",
    ),
    Defect(
        "v201_pending_no_security_error",
        ("TC_B_30_CSMS",),
        "Step 4: CALLERROR SecurityError",
    ),
    Defect("v201_pending_sends_request_start", ("TC_B_02_CSMS", "TC_B_31_CSMS"), "B02.FR.05"),
    Defect("v201_pending_closes_connection", ("TC_B_02_CSMS",), "B02.FR.06"),
    # -- B05/B06 Set/GetVariables ----------------------------------------------------------
    Defect(
        "v201_get_variables_short_component_names",
        ("TC_B_06_CSMS", "TC_B_07_CSMS", "TC_B_08_CSMS"),
        "Step 1: GetVariablesRequest",
    ),
    Defect("v201_get_variables_ignores_items_per_message", ("TC_B_08_CSMS",), "B06.FR.05"),
    Defect("v201_set_variables_wrong_value", ("TC_B_09_CSMS", "TC_B_10_CSMS"), 'attributeValue "'),
    # -- B07/B08 reports -------------------------------------------------------------------
    Defect("v201_base_report_wrong_base", BASE_REPORTS, "GetBaseReportRequest reportBase"),
    Defect(
        "v201_base_report_negative_request_id",
        BASE_REPORTS,
        "GetBaseReportRequest requestId has integer value >= 0",
    ),
    Defect(
        "v201_notify_report_not_implemented",
        (*BASE_REPORTS, "TC_B_18_CSMS"),
        "NotifyReport request with CallError NotImplemented",
    ),
    Defect(
        "v201_get_report_wrong_criteria", ("TC_B_18_CSMS",), "GetReportRequest componentCriteria"
    ),
    # -- B11/B12 reset ---------------------------------------------------------------------
    Defect(
        "v201_reset_wrong_type",
        ("TC_B_21_CSMS", "TC_B_22_CSMS", *RESET_EVSE),
        "ResetRequest type",
    ),
    Defect("v201_reset_wrong_evse", (*RESET_STATION, *RESET_EVSE), "ResetRequest evseId"),
    # -- B09 network profiles --------------------------------------------------------------
    Defect("v201_network_profile_wrong_slot", ("TC_B_42_CSMS",), "configurationSlot"),
    Defect(
        "v201_network_profile_never_sent",
        ("TC_B_42_CSMS", "TC_B_44_CSMS"),
        "did not send SetNetworkProfile",
    ),
    # -- P DataTransfer --------------------------------------------------------------------
    Defect("v201_data_transfer_accepted", ("TC_P_02_CSMS",), "DataTransferResponse status"),
    Defect("v201_reject_custom_data", ("TC_P_03_CSMS",), "CallError FormatViolation"),
)

#: Cases run beside the failing ones: they meet the broken behaviour (or the same kind of
#: request) without judging it, and must still pass.
EXTRA_CASES: dict[str, tuple[str, ...]] = {
    "v201_boot_rejected": ("TC_B_58_CSMS",),
    "v201_boot_six_digit_fraction": ("TC_B_58_CSMS",),
    "v201_boot_pending_ignored": ("TC_B_01_CSMS",),
    # Boots once, so "Pending forever" looks like one Pending answer.
    "v201_boot_pending_forever": ("TC_B_30_CSMS",),
    "v201_pending_no_security_error": ("TC_B_02_CSMS", "TC_B_31_CSMS"),
    "v201_pending_sends_request_start": ("TC_B_01_CSMS",),
    "v201_pending_closes_connection": ("TC_B_01_CSMS",),
    "v201_get_variables_short_component_names": ("TC_B_09_CSMS",),
    # Two variables at most: below any limit.
    "v201_get_variables_ignores_items_per_message": ("TC_B_06_CSMS", "TC_B_07_CSMS"),
    "v201_set_variables_wrong_value": ("TC_B_06_CSMS",),
    "v201_base_report_wrong_base": ("TC_B_18_CSMS",),
    "v201_base_report_negative_request_id": ("TC_B_18_CSMS",),
    "v201_notify_report_not_implemented": ("TC_B_06_CSMS",),
    "v201_get_report_wrong_criteria": ("TC_B_12_CSMS",),
    # TC_B_20 validates no reset type (only that evseId is omitted).
    "v201_reset_wrong_type": ("TC_B_20_CSMS",),
    "v201_reset_wrong_evse": ("TC_B_06_CSMS",),
    # TC_B_44 validates nothing of the request.
    "v201_network_profile_wrong_slot": ("TC_B_44_CSMS",),
    "v201_network_profile_never_sent": ("TC_B_06_CSMS",),
    "v201_data_transfer_accepted": ("TC_P_03_CSMS",),
    "v201_reject_custom_data": ("TC_P_02_CSMS",),
}

UNFAILABLE: dict[str, str] = {
    "TC_B_58_CSMS": (
        "judges the websocket handshake; proven in tests/test_csms201_defects.py with the "
        "reference's accept_unsupported_subprotocol and three hand-written servers"
    ),
}
"""Cases of the two blocks no defect here fails, with the reason."""

OPERATOR_TIMEOUT: dict[str, float] = {"v201_network_profile_never_sent": 3}
"""``--ocpp-operator-timeout`` where the defect shows as the request never arriving: waiting it
out is the proof, so it is kept short (the control CLI starts in well under a second)."""

REJECTED_BOOT_CONFIG = '[station]\nnot_accepted_boot_status = "Rejected"\n'
"""TC_B_30/B_31 against a CSMS that holds the station back with Rejected (Part 5: "C-44 or
NOT AQ-16")."""

CONFIGURED_VALUES = """\
[station]
network_configuration_slot = 2
network_ocpp_csms_url = "wss://csms.example.com/ocpp"
network_ocpp_interface = "Wireless0"
network_message_timeout = 45
network_security_profile = 2
data_transfer_vendor_id = "com.example.vendor"
data_transfer_message_id = "Hello"

[device_model]
"DeviceDataCtrlr.ItemsPerMessage[GetVariables]" = 2
"""
"""OCTT's configured SetNetworkProfile and DataTransfer values, and a station reporting at
most 2 GetVariables entries per message (TC_B_08 then expects pages of 2, 2 and 1)."""

CONFIG_RUNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "rejected_boot": (REJECTED_BOOT_CONFIG, ("TC_B_30_CSMS", "TC_B_31_CSMS")),
    "configured_values": (
        CONFIGURED_VALUES,
        ("TC_B_08_CSMS", "TC_B_42_CSMS", "TC_P_02_CSMS", "TC_P_03_CSMS"),
    ),
}


def _config_run(config_text: str, ids: tuple[str, ...], workdir: Path) -> Report:
    """``ids`` against a conformant reference, with ``config_text`` as ``--ocpp-config``."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "ocpp.toml"
    config.write_text(config_text, "utf-8")
    with reference_csms(versions=("2.0.1",)) as csms:
        return run_suite(
            workdir / "run",
            *csms.args,
            "--ocpp-version",
            "2.0.1",
            "--ocpp-config",
            str(config),
            ids=ids,
            response_timeout=2,
            message_timeout=2,
            operator_timeout=10,
        )


runs = runs_fixture(
    {
        **{
            d.name: partial(
                csms201_defect_run,
                d,
                EXTRA_CASES.get(d.name, ()),
                operator_timeout=OPERATOR_TIMEOUT.get(d.name, 10.0),
            )
            for d in DEFECT_CASES
        },
        **{name: partial(_config_run, *spec) for name, spec in CONFIG_RUNS.items()},
    },
    param="defect",
    keep=CONFIG_RUNS,
)
"""One broken reference CSMS per selected defect, plus the configuration runs, concurrently."""


def _implemented_201_csms_cases() -> set[str]:
    return implemented_cases(pytest_ocpp.testcases.ocpp201.csms, "2.0.1")


def _sent_frames(report: Report, case_id: str) -> list[list]:
    """The OCPP frames the fake station exchanged in ``case_id``, parsed."""
    (case,) = [c for c in report.cases if c["id"] == case_id]
    frames = []
    for entry in case["trace"]:
        text = str(entry.get("text", ""))
        if text.startswith("["):
            try:
                frames.append(json.loads(text))
            except ValueError:
                continue
    return frames


def test_catalogue_lists_24_cases() -> None:
    """The brief's ids: TC_B_01/02/30/31, 06-10, 12-14, 18, 20-22, 25-27, 42, 44, 58 and
    TC_P_02/03, as the catalogue has them."""
    assert len(BLOCK_CASES) == 24, BLOCK_CASES


def test_every_block_case_is_implemented() -> None:
    """Each catalogue case of the two blocks has a test function."""
    missing = sorted(set(BLOCK_CASES) - _implemented_201_csms_cases())
    assert not missing, f"2.0.1 CSMS cases without an implementation: {missing}"


def test_every_block_case_meets_a_defect() -> None:
    """The defect table names real 2.0.1 defects, each once, covers every defect of the two
    block modules, and makes every case of the blocks fail at least once, or says why not."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names)
    assert all(name in DEFECTS and name.startswith("v201_") for name in names)
    assert set(names) == set(DEFECTS_PROVISIONING) | set(DEFECTS_DATA_TRANSFER)
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


def test_rejected_boot_is_configurable(runs: Runs) -> None:
    """``[station] not_accepted_boot_status = "Rejected"``: TC_B_30/B_31 configure the CSMS to
    first answer Rejected, and the reference does."""
    report = runs["rejected_boot"]
    assert_passes(report, CONFIG_RUNS["rejected_boot"][1])
    for case_id in CONFIG_RUNS["rejected_boot"][1]:
        statuses = [f[2].get("status") for f in _sent_frames(report, case_id) if f[0] == 3]
        assert "Rejected" in statuses, (case_id, statuses)


def test_configured_values_reach_the_scenarios(runs: Runs) -> None:
    """The configured network profile, vendorId/messageId and ItemsPerMessage are what the
    cases ask for and send."""
    report = runs["configured_values"]
    assert_passes(report, CONFIG_RUNS["configured_values"][1])
    calls = {
        case_id: [f for f in _sent_frames(report, case_id) if f[0] == 2]
        for case_id in CONFIG_RUNS["configured_values"][1]
    }
    (profile,) = [f[3] for f in calls["TC_B_42_CSMS"] if f[2] == "SetNetworkProfile"]
    assert profile["configurationSlot"] == 2
    assert profile["connectionData"] == {
        "ocppVersion": "OCPP20",
        "ocppTransport": "JSON",
        "ocppCsmsUrl": "wss://csms.example.com/ocpp",
        "messageTimeout": 45,
        "securityProfile": 2,
        "ocppInterface": "Wireless0",
    }
    (transfer,) = [f[3] for f in calls["TC_P_02_CSMS"] if f[2] == "DataTransfer"]
    assert transfer == {"vendorId": "com.example.vendor", "messageId": "Hello"}
    custom = [f[3]["customData"] for f in calls["TC_P_03_CSMS"] if "customData" in f[3]]
    assert custom and all(c["vendorId"] == "com.example.vendor" for c in custom)
    pages = [len(f[3]["getVariableData"]) for f in calls["TC_B_08_CSMS"] if f[2] == "GetVariables"]
    assert pages == [1, 2, 2, 1], pages  # the limit read first, then 5 variables in pages of 2
