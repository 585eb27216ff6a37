"""The OCPP 2.0.1 CSMS-side cases of K. SmartCharging (Part 6 §3.12, files
``testcases/ocpp201/csms/test_smart_charging.py``, ``test_smart_charging_reports.py`` and
``test_smart_charging_iso15118.py``) can fail: each run here breaks one behaviour of the
reference CSMS (a ``v201_`` entry of :data:`~pytest_ocpp.reference.csms.DEFECTS`, implemented in
``pytest_ocpp/reference/csms/v201/smart_charging.py``) and proves that the cases checking it
report "fail", with the broken rule in the message, not "error" and not "not applicable";
the controls run beside them still pass.

Same plumbing as the other defect files (``harness.py``): one ``pytest`` process per defect
against a broken reference reached through ``--ocpp-target`` and the command operator, 2 s
timeouts, verdicts read from the JSON compliance report, a few processes at a time. The
conformant half is ``test_suite_against_reference.py``. At the end, in-process tests of the
shared profile checks (``pytest_ocpp/station/charging_profiles.py``) on hand-made payloads,
for the rules no reference defect reaches (phaseToUse allowed with phase switching, several
ISO 15118 schedules).
"""

from __future__ import annotations

from functools import partial

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
    runs_fixture,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.csms import DEFECTS
from pytest_ocpp.reference.csms.v201.smart_charging import DEFECTS_SMART_CHARGING, exceeds
from pytest_ocpp.station.charging_profiles import check_set_charging_profile
from pytest_ocpp.station.device_model import DeviceModel
from pytest_ocpp.verdicts import TargetFailure

BLOCK_CASES = sorted(
    info.id
    for info in catalog().values()
    if info.version == "2.0.1" and info.side == "CSMS" and info.block == "SmartCharging"
)
"""Every 2.0.1 CSMS-side case of block K, as the catalogue has them."""

SET_PROFILE_CASES = ("TC_K_01_CSMS", "TC_K_03_CSMS", "TC_K_10_CSMS", "TC_K_15_CSMS", "TC_K_19_CSMS")
"""The SetChargingProfile cases whose table names evse, stackLevel and an Absolute schedule."""

GET_PROFILES_CASES = tuple(f"TC_K_{n}_CSMS" for n in range(29, 37))
"""TC_K_29 .. TC_K_36: GetChargingProfilesRequest with the criteria of each table."""

DEFECT_CASES: tuple[Defect, ...] = (
    Defect(
        "v201_smart_charging_periods_unordered",
        ("TC_K_01_CSMS", "TC_K_03_CSMS", "TC_K_60_CSMS", "TC_K_70_CSMS", "TC_K_57_CSMS"),
        "ordered by increasing startPeriod (Part 6 §3.1",
    ),
    Defect(
        "v201_smart_charging_phase_to_use_three_phases",
        ("TC_K_01_CSMS", "TC_K_02_CSMS", "TC_K_10_CSMS", "TC_K_19_CSMS", "TC_K_04_CSMS"),
        "phaseToUse only with numberPhases 1",
    ),
    Defect(
        "v201_smart_charging_tx_profile_without_transaction_id",
        ("TC_K_02_CSMS", "TC_K_60_CSMS"),
        "transactionId present in a TxProfile (K01.FR.03",
    ),
    Defect(
        "v201_smart_charging_tx_default_with_transaction_id",
        (
            "TC_K_01_CSMS",
            "TC_K_04_CSMS",
            "TC_K_10_CSMS",
            "TC_K_15_CSMS",
            "TC_K_19_CSMS",
            "TC_K_70_CSMS",
        ),
        "transactionId omitted for purpose TxDefaultProfile",
    ),
    Defect(
        "v201_smart_charging_wrong_stack_level",
        (*SET_PROFILE_CASES, "TC_K_02_CSMS", "TC_K_04_CSMS"),
        "chargingProfile.stackLevel 0 (<Configured stackLevel>)",
    ),
    Defect(
        "v201_smart_charging_wrong_evse",
        (*SET_PROFILE_CASES, "TC_K_02_CSMS", "TC_K_60_CSMS", "TC_K_58_CSMS"),
        "SetChargingProfileRequest evseId",
    ),
    Defect(
        "v201_smart_charging_absolute_without_start_schedule",
        (*SET_PROFILE_CASES, "TC_K_04_CSMS", "TC_K_70_CSMS"),
        "startSchedule present for chargingProfileKind",
    ),
    Defect(
        "v201_smart_charging_recurring_without_recurrency_kind",
        ("TC_K_19_CSMS",),
        "chargingProfile.recurrencyKind",
    ),
    Defect(
        "v201_smart_charging_new_id_on_replace",
        ("TC_K_04_CSMS",),
        "chargingProfile.id the same for both profiles",
    ),
    Defect(
        "v201_smart_charging_reuses_profile_id",
        ("TC_K_70_CSMS",),
        "chargingProfile.id different from step 1's",
    ),
    Defect(
        "v201_request_start_profile_with_transaction_id",
        ("TC_K_37_CSMS",),
        "transactionId omitted (F01.FR.11)",
    ),
    Defect(
        "v201_composite_schedule_wrong_duration",
        ("TC_K_43_CSMS", "TC_K_44_CSMS"),
        "GetCompositeScheduleRequest duration 300",
    ),
    Defect(
        "v201_composite_schedule_wrong_evse",
        ("TC_K_43_CSMS", "TC_K_44_CSMS"),
        "GetCompositeScheduleRequest evseId",
    ),
    Defect(
        "v201_get_charging_profiles_wrong_evse",
        GET_PROFILES_CASES,
        "GetChargingProfilesRequest evseId",
    ),
    Defect(
        "v201_get_charging_profiles_extra_criteria",
        tuple(case for case in GET_PROFILES_CASES if case != "TC_K_34_CSMS"),
        "chargingProfile.chargingLimitSource omitted",
    ),
    Defect(
        "v201_report_charging_profiles_call_error",
        (*GET_PROFILES_CASES, "TC_K_05_CSMS", "TC_K_52_CSMS"),
        "refused a valid ReportChargingProfiles request with CallError InternalError",
    ),
    Defect(
        "v201_clear_charging_profile_wrong_stack_level",
        ("TC_K_06_CSMS", "TC_K_08_CSMS"),
        "chargingProfileCriteria.stackLevel 0",
    ),
    Defect(
        "v201_clear_charging_profile_by_id_with_criteria",
        ("TC_K_05_CSMS",),
        "ClearChargingProfileRequest chargingProfileCriteria omitted",
    ),
    Defect(
        "v201_charging_limit_call_error",
        ("TC_K_48_CSMS", "TC_K_50_CSMS", "TC_K_51_CSMS"),
        "ChargingLimit request with CallError InternalError",
    ),
    Defect(
        "v201_ev_charging_needs_rejected",
        ("TC_K_53_CSMS", "TC_K_55_CSMS", "TC_K_57_CSMS", "TC_K_58_CSMS", "TC_K_59_CSMS"),
        "NotifyEVChargingNeedsResponse status Accepted or Processing",
    ),
    Defect(
        "v201_ev_charging_needs_no_profile",
        ("TC_K_53_CSMS", "TC_K_55_CSMS", "TC_K_57_CSMS"),
        "a SetChargingProfileRequest within",
    ),
    Defect(
        "v201_ev_charging_schedule_always_accepted",
        ("TC_K_55_CSMS",),
        "NotifyEVChargingScheduleResponse status Rejected",
    ),
    Defect(
        "v201_ev_charging_renegotiates_without_cause",
        ("TC_K_53_CSMS",),
        "must not renegotiate without cause",
    ),
)

#: Cases run beside the failing ones: each meets the broken behaviour (or the same request)
#: without judging it, so a defect that broke everything could not prove anything.
CONTROLS: dict[str, tuple[str, ...]] = {
    "v201_smart_charging_periods_unordered": ("TC_K_44_CSMS",),
    "v201_smart_charging_phase_to_use_three_phases": ("TC_K_44_CSMS",),
    "v201_smart_charging_tx_profile_without_transaction_id": ("TC_K_01_CSMS",),
    "v201_smart_charging_tx_default_with_transaction_id": ("TC_K_03_CSMS", "TC_K_60_CSMS"),
    "v201_smart_charging_wrong_stack_level": ("TC_K_60_CSMS",),
    "v201_smart_charging_wrong_evse": ("TC_K_70_CSMS",),
    "v201_smart_charging_absolute_without_start_schedule": ("TC_K_60_CSMS",),
    "v201_smart_charging_recurring_without_recurrency_kind": ("TC_K_01_CSMS",),
    "v201_smart_charging_new_id_on_replace": ("TC_K_70_CSMS",),
    "v201_smart_charging_reuses_profile_id": ("TC_K_04_CSMS",),
    "v201_request_start_profile_with_transaction_id": ("TC_K_60_CSMS",),
    "v201_composite_schedule_wrong_duration": ("TC_K_48_CSMS",),
    "v201_composite_schedule_wrong_evse": ("TC_K_48_CSMS",),
    "v201_get_charging_profiles_wrong_evse": ("TC_K_52_CSMS",),
    "v201_get_charging_profiles_extra_criteria": ("TC_K_34_CSMS",),
    "v201_report_charging_profiles_call_error": ("TC_K_06_CSMS",),
    "v201_clear_charging_profile_wrong_stack_level": ("TC_K_05_CSMS",),
    "v201_clear_charging_profile_by_id_with_criteria": ("TC_K_06_CSMS",),
    "v201_charging_limit_call_error": ("TC_K_52_CSMS",),
    "v201_ev_charging_needs_rejected": ("TC_K_60_CSMS",),
    "v201_ev_charging_needs_no_profile": ("TC_K_60_CSMS",),
    "v201_ev_charging_schedule_always_accepted": ("TC_K_57_CSMS",),
    "v201_ev_charging_renegotiates_without_cause": ("TC_K_60_CSMS",),
}

UNFAILABLE: dict[str, str] = {}
"""Cases of the block no defect fails, with the reason: none."""

OPERATOR_TIMEOUT = 10.0
"""No defect here shows as a request never arriving from the operator."""


runs = runs_fixture(
    {
        d.name: partial(
            csms201_defect_run, d, CONTROLS.get(d.name, ()), operator_timeout=OPERATOR_TIMEOUT
        )
        for d in DEFECT_CASES
    },
    param="defect",
)
"""One broken reference CSMS per selected defect, their suites run concurrently."""


def _implemented_201_csms_cases() -> set[str]:
    return implemented_cases(pytest_ocpp.testcases.ocpp201.csms, "2.0.1")


def test_catalogue_lists_32_smart_charging_cases() -> None:
    """The brief's 32 ids: TC_K_01..06, 08, 10, 15, 19, 29..37, 43, 44, 48, 50..53, 55,
    57..60, 70."""
    assert len(BLOCK_CASES) == 32, BLOCK_CASES


def test_every_smart_charging_case_is_implemented() -> None:
    """Each catalogue case of block K has a test function."""
    missing = sorted(set(BLOCK_CASES) - _implemented_201_csms_cases())
    assert not missing, f"2.0.1 K cases without an implementation: {missing}"


def test_every_smart_charging_case_meets_a_defect() -> None:
    """The table names this block's defects, each once, all of them, and every case of the
    block fails on at least one (or is excused in :data:`UNFAILABLE`)."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names)
    assert set(names) == set(DEFECTS_SMART_CHARGING)
    assert set(names) <= set(DEFECTS)
    assert set(cases_of(DEFECT_CASES)) | set(UNFAILABLE) == set(BLOCK_CASES)
    assert set(CONTROLS) <= set(names)


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_case_fails_on_defect(defect: Defect, runs: Runs) -> None:
    """Each named case's verdict is "fail" with the broken rule in its message; the controls
    run beside them still pass."""
    report = runs[defect.name]
    assert_defect_caught(report, defect)
    assert_passes(report, CONTROLS.get(defect.name, ()))


# -- the shared checks, without a CSMS ---------------------------------------------------------
def _tx_default(
    *periods: dict[str, object], schedules: int = 1, **profile: object
) -> dict[str, object]:
    """A SetChargingProfileRequest: an Absolute TxDefaultProfile (``profile`` overrides) with
    ``schedules`` copies of one schedule of ``periods`` (one 6 A period by default)."""
    schedule = {
        "startSchedule": "2030-01-01T00:00:00.000Z",
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": list(periods) or [{"startPeriod": 0, "limit": 6.0}],
    }
    return {
        "evseId": 1,
        "chargingProfile": {
            "id": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            **profile,
            "chargingSchedule": [{"id": n, **schedule} for n in range(1, schedules + 1)],
        },
    }


def test_shared_checks_pass_a_plain_profile() -> None:
    """A one-period Absolute TxDefaultProfile with a startSchedule meets every rule."""
    profile = check_set_charging_profile(_tx_default(), "Step 1")
    assert profile["id"] == 1


def test_phase_to_use_needs_one_phase_and_phase_switching() -> None:
    """phaseToUse: only with numberPhases 1 (Part 6 §3.1, K01.FR.19) and only where the
    device model declares ACPhaseSwitchingSupported true (K01.FR.20)."""
    one_phase = _tx_default({"startPeriod": 0, "limit": 6.0, "numberPhases": 1, "phaseToUse": 2})
    switching = DeviceModel.build(1, {"SmartChargingCtrlr.ACPhaseSwitchingSupported": True})
    check_set_charging_profile(one_phase, "Step 1", device_model=switching)
    with pytest.raises(TargetFailure, match=r"K01\.FR\.20"):
        check_set_charging_profile(one_phase, "Step 1", device_model=DeviceModel.build(1))
    three = _tx_default({"startPeriod": 0, "limit": 6.0, "numberPhases": 3, "phaseToUse": 2})
    with pytest.raises(TargetFailure, match="phaseToUse only with numberPhases 1"):
        check_set_charging_profile(three, "Step 1", device_model=switching)


def test_periods_in_order_and_from_zero() -> None:
    """Part 6 §3.1 / K01.FR.35 (increasing startPeriod) and K01.FR.31 (the first is 0)."""
    unordered = _tx_default(
        {"startPeriod": 0, "limit": 6.0},
        {"startPeriod": 120, "limit": 6.0},
        {"startPeriod": 60, "limit": 6.0},
    )
    with pytest.raises(TargetFailure, match="ordered by increasing startPeriod"):
        check_set_charging_profile(unordered, "Step 1")
    late = _tx_default({"startPeriod": 60, "limit": 6.0})
    with pytest.raises(TargetFailure, match=r"K01\.FR\.31"):
        check_set_charging_profile(late, "Step 1")


def test_several_schedules_only_for_iso15118_tx_profiles() -> None:
    """K01.FR.34 / Part 2 §2.10: one schedule, except a TxProfile of an ISO 15118 session."""
    with pytest.raises(TargetFailure, match="exactly one chargingSchedule"):
        check_set_charging_profile(_tx_default(schedules=2), "Step 1")
    with pytest.raises(TargetFailure, match="unless it is a TxProfile"):
        check_set_charging_profile(_tx_default(schedules=2), "Step 1", iso15118=True)
    tx = _tx_default(schedules=2, chargingProfilePurpose="TxProfile", transactionId="tx-1")
    check_set_charging_profile(tx, "Step 1", iso15118=True, max_schedule_tuples=1)


def test_reference_compares_ev_schedules_in_time() -> None:
    """The reference rejects an EV schedule only where it asks more than the CSMS's at some
    moment (K15.FR.11/12), across A and W."""
    limits = {
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 16.0},
            {"startPeriod": 600, "limit": 8.0},
        ],
    }
    within = {
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 16.0},
            {"startPeriod": 600, "limit": 8.0},
        ],
    }
    late_excess = {
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}],
    }
    watts = {
        "chargingRateUnit": "W",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 5000.0}],
    }
    assert not exceeds(within, limits)
    assert exceeds(late_excess, limits)
    assert not exceeds(watts, limits)
