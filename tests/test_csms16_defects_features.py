"""The OCPP 1.6 CSMS-side cases of Local Auth List Management, Firmware Management and Remote
Trigger (OCTT 1.6 §3.14-3.16, §3.18) can fail: each run here breaks one behaviour of the
reference CSMS (a :data:`~pytest_ocpp.reference.csms.DEFECTS` toggle) and proves that the cases
checking it report "fail", with the broken rule in the message, not "error" and not "not
applicable"; the controls run beside them still pass.

Same plumbing as ``test_csms_defects.py`` (``harness.py``): one ``pytest`` process per defect
against a broken reference reached through ``--ocpp-target`` and the command operator, verdicts
read from the JSON compliance report, a few processes at a time. The conformant half of the
proof is ``test_suite_against_reference.py``.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import partial
from pathlib import Path

import pytest
import pytest_ocpp.testcases.ocpp16.csms
from harness import (
    FAIL,
    Defect,
    Runs,
    assert_defect_caught,
    assert_passes,
    cases_of,
    csms16_defect_run,
    reference_csms,
    run_suite,
    runs_fixture,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.csms import DEFECTS

PROFILES = ("Local Auth List Management", "Firmware Management", "Remote Trigger")
"""The OCPP 1.6 feature profiles (§9.2-9.3, §9.5 of the spec) whose CSMS-side cases this file
proves."""

FEATURE_CASES = sorted(
    info.id
    for info in catalog().values()
    if info.version == "1.6" and info.side == "CSMS" and info.profile_name in PROFILES
)
"""Every OCTT 1.6 CSMS-side case of those profiles, as the catalogue has them."""

DEFECT_CASES: tuple[Defect, ...] = (
    Defect(
        "get_local_list_version_never_sent",
        ("TC_042_1_CSMS", "TC_042_2_CSMS"),
        "did not send GetLocalListVersion.req",
    ),
    Defect(
        "send_local_list_wrong_update_type",
        ("TC_043_1_CSMS", "TC_043_3_CSMS", "TC_043_4_CSMS", "TC_043_5_CSMS"),
        "SendLocalList.req updateType",
    ),
    Defect(
        "send_local_list_without_id_tag_info",
        ("TC_043_4_CSMS", "TC_043_5_CSMS"),
        "every entry with an idTagInfo",
    ),
    Defect("update_firmware_wrong_location", ("TC_044_1_CSMS",), "UpdateFirmware.req location"),
    Defect(
        "firmware_status_failure_call_error",
        ("TC_044_2_CSMS", "TC_044_3_CSMS"),
        "CallError InternalError",
    ),
    Defect(
        "get_diagnostics_file_location",
        ("TC_045_1_CSMS", "TC_045_2_CSMS"),
        "GetDiagnostics.req location",
    ),
    Defect(
        "trigger_message_wrong_message",
        ("TC_054_CSMS", "TC_055_CSMS"),
        "TriggerMessage.req requestedMessage",
    ),
    Defect(
        "trigger_message_wrong_connector",
        ("TC_054_CSMS", "TC_055_CSMS"),
        "TriggerMessage.req connectorId",
    ),
)

#: Cases run beside the failing ones: they must still pass, so a defect that breaks everything
#: (or a case that fails on any firmware or list request) cannot prove anything. Each control
#: meets the broken behaviour but does not judge it: OCTT judges the SendLocalList entries only
#: in TC_043_4/5, the firmware location only in TC_044_1, and a successful update reports no
#: failure status.
EXTRA_CASES: dict[str, tuple[str, ...]] = {
    "get_local_list_version_never_sent": ("TC_043_5_CSMS",),
    "send_local_list_without_id_tag_info": ("TC_043_1_CSMS", "TC_043_3_CSMS"),
    "update_firmware_wrong_location": ("TC_044_2_CSMS", "TC_044_3_CSMS"),
    "firmware_status_failure_call_error": ("TC_044_1_CSMS",),
}

OPERATOR_TIMEOUT: dict[str, float] = {"get_local_list_version_never_sent": 4}
"""``--ocpp-operator-timeout`` where the defect shows as the request never arriving: waiting it
out is the proof, so it is kept short (the control CLI starts in well under a second)."""


runs = runs_fixture(
    {
        d.name: partial(
            csms16_defect_run,
            d,
            EXTRA_CASES.get(d.name, ()),
            operator_timeout=OPERATOR_TIMEOUT.get(d.name, 10.0),
        )
        for d in DEFECT_CASES
    },
    param="defect",
)
"""One broken reference CSMS per selected defect, their suites run concurrently."""


def _implemented_16_csms_cases() -> set[str]:
    """The OCA ids of every test function under ``testcases/ocpp16/csms`` (their
    ``ocpp_case`` markers), found by importing the modules as the plugin's collection does."""
    found: set[str] = set()
    package = pytest_ocpp.testcases.ocpp16.csms
    for module_info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            for mark in getattr(value, "pytestmark", ()):
                if mark.name == "ocpp_case" and mark.kwargs.get("version") == "1.6":
                    found.add(mark.kwargs["id"])
    return found


def test_catalogue_lists_13_feature_cases() -> None:
    """The brief's 13 cases: TC_042_1/2, TC_043_1/3/4/5, TC_044_1/2/3, TC_045_1/2, TC_054,
    TC_055, as the catalogue has them."""
    assert len(FEATURE_CASES) == 13, FEATURE_CASES


def test_every_feature_case_is_implemented() -> None:
    """Each catalogue case of the three profiles has a test function."""
    missing = sorted(set(FEATURE_CASES) - _implemented_16_csms_cases())
    assert not missing, f"1.6 CSMS cases without an implementation: {missing}"


def test_every_feature_case_meets_a_defect() -> None:
    """The defect table names real 1.6 defects, each once, and makes every one of the 13 cases
    fail at least once."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names)
    assert all(name in DEFECTS and not name.startswith("v201_") for name in names)
    assert set(cases_of(DEFECT_CASES)) == set(FEATURE_CASES)


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_case_fails_on_defect(defect: Defect, runs: Runs) -> None:
    """Each named case's verdict is "fail" with the broken rule in its message; the cases run
    beside them still pass."""
    report = runs[defect.name]
    assert_defect_caught(report, defect)
    assert_passes(report, EXTRA_CASES.get(defect.name, ()))


def test_firmware_location_comes_from_config(tmp_path: Path) -> None:
    """OCTT's "<Firmware Download URL from test data>" is ``[station] firmware_location``: the
    operator is asked for that URL and TC_044_1_CSMS holds the CSMS to it."""
    location = "https://updates.example.com/fw/cp-2.0.bin"
    config = tmp_path / "ocpp.toml"
    config.write_text(f'[station]\nfirmware_location = "{location}"\n', "utf-8")
    with reference_csms(["update_firmware_wrong_location"], versions=("1.6",)) as csms:
        report = run_suite(
            tmp_path / "run",
            *csms.args,
            "--ocpp-version",
            "1.6",
            "--ocpp-config",
            str(config),
            ids=("TC_044_1_CSMS",),
            response_timeout=2,
            message_timeout=2,
            operator_timeout=10,
        )
    verdict, message = report.verdicts["TC_044_1_CSMS"]
    assert verdict == FAIL, report.output
    assert f"UpdateFirmware.req location {location} " in message
    assert f"{location}.other" in message
