"""Every OCTT 1.6 Reservation and Smart Charging case with the CSMS under test must be able to
fail: each run here breaks one behaviour of the reference CSMS (a
:data:`~pytest_ocpp.reference.csms.DEFECTS` toggle) and proves that the cases checking that
behaviour report "fail", with a message naming the broken rule, not "error" and not "not
applicable".

The runs are real end to end, as in ``test_csms_defects.py``: a separate ``pytest`` process
per defect, pointed at the broken reference through ``--ocpp-target``, with the command
operator driving it through the control CLI, verdicts read from the JSON compliance report
(plumbing in ``harness.py``). The conformant half of the proof is
``test_suite_against_reference.py``.
"""

from __future__ import annotations

from functools import partial

import pytest
from harness import (
    Defect,
    Runs,
    assert_defect_caught,
    assert_passes,
    cases_of,
    csms16_defect_run,
    runs_fixture,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.csms import DEFECTS

RESERVATION = (
    "TC_046_CSMS",
    "TC_047_CSMS",
    "TC_048_1_CSMS",
    "TC_048_2_CSMS",
    "TC_048_3_CSMS",
    "TC_048_4_CSMS",
    "TC_049_CSMS",
)
"""The cases that judge ReserveNow.req's connectorId."""

DEFECT_CASES: tuple[Defect, ...] = (
    # -- Reservation (OCPP 1.6 §5.13 ReserveNow, §5.1 CancelReservation) --
    Defect("reserve_now_wrong_connector", RESERVATION, "ReserveNow.req connectorId"),
    Defect("reserve_now_wrong_id_tag", RESERVATION[:-1], "ReserveNow.req idTag"),
    Defect("reserve_now_connector_zero", ("TC_051_CSMS", "TC_053_CSMS"), "connectorId not 0"),
    Defect("reserve_now_expired", ("TC_047_CSMS",), "ReserveNow.req expiryDate in the future"),
    Defect(
        "reserve_now_drops_parent_id_tag",
        ("TC_053_CSMS",),
        "parentIdTag of the ReserveNow.req of step 1",
    ),
    Defect(
        "cancel_reservation_wrong_id",
        ("TC_051_CSMS",),
        "CancelReservation.req reservationId",
    ),
    Defect(
        "cancel_reservation_latest",
        ("TC_052_CSMS",),
        "CancelReservation.req reservationId not",
    ),
    Defect(
        "change_availability_wrong_type",
        ("TC_048_3_CSMS",),
        "ChangeAvailability.req type Inoperative",
    ),
    # -- Smart Charging (OCPP 1.6 §3.13, §5.16 SetChargingProfile, §5.7, §5.5) --
    Defect(
        "set_charging_profile_wrong_purpose",
        ("TC_056_CSMS", "TC_057_CSMS", "TC_067_CSMS"),
        "csChargingProfiles.chargingProfilePurpose",
    ),
    Defect(
        "tx_default_profile_with_transaction_id",
        ("TC_056_CSMS", "TC_067_CSMS"),
        "without transactionId",
    ),
    Defect(
        "tx_profile_wrong_transaction",
        ("TC_057_CSMS",),
        "csChargingProfiles.transactionId",
    ),
    Defect(
        "composite_schedule_wrong_connector",
        ("TC_066_CSMS",),
        "GetCompositeSchedule.req connectorId",
    ),
    Defect("clear_charging_profile_wrong_id", ("TC_067_CSMS",), "ClearChargingProfile.req id"),
    Defect(
        "remote_start_drops_charging_profile",
        ("TC_059_CSMS",),
        "chargingProfile.chargingProfilePurpose TxProfile",
    ),
)

#: Cases run beside the failing ones: they must still pass, so a defect that breaks
#: everything (or a harness that fails every case) cannot prove anything. Each control is the
#: case next door that the defect must *not* affect.
EXTRA_CASES: dict[str, tuple[str, ...]] = {
    # A Charge Point reservation asks for connectorId 0 anyway.
    "reserve_now_connector_zero": ("TC_049_CSMS",),
    # Cancelling the reservation just made is exactly "the last one".
    "cancel_reservation_latest": ("TC_051_CSMS",),
    # A TxProfile may carry its transactionId.
    "tx_default_profile_with_transaction_id": ("TC_057_CSMS",),
    # Without a profile to drop, a plain remote start is unaffected.
    "remote_start_drops_charging_profile": ("TC_010_CSMS",),
    # The reservation itself stays right; only the cancellation is wrong.
    "cancel_reservation_wrong_id": ("TC_046_CSMS",),
}


runs = runs_fixture(
    {d.name: partial(csms16_defect_run, d, EXTRA_CASES.get(d.name, ())) for d in DEFECT_CASES},
    param="defect",
)
"""One broken reference CSMS per selected defect, their suites run concurrently."""


def test_defect_table_names_real_16_defects() -> None:
    """The table names existing 1.6 defects, each once."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names)
    assert all(name in DEFECTS and not name.startswith("v201_") for name in names)


def test_every_reservation_and_smart_charging_case_can_fail() -> None:
    """Each OCTT 1.6 Reservation and Smart Charging case with the CSMS under test fails on at
    least one defect of the table."""
    wanted = sorted(
        info.id
        for info in catalog().values()
        if info.version == "1.6"
        and info.side == "CSMS"
        and info.profile_name in ("Reservation", "Smart Charging")
    )
    assert len(wanted) == 15, wanted
    assert sorted(cases_of(DEFECT_CASES)) == wanted


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_case_fails_on_defect(defect: Defect, runs: Runs) -> None:
    """Each named case's verdict is "fail" with the defect's cause in its message; the cases
    run beside them still pass."""
    report = runs[defect.name]
    assert_defect_caught(report, defect)
    assert_passes(report, EXTRA_CASES.get(defect.name, ()))
