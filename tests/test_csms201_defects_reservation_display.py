"""The OCPP 2.0.1 CSMS-side cases of H. Reservation, I. Tariff and Cost and O. DisplayMessage
(Part 6 §3.9, §3.10, §3.16) can fail: each run here breaks one behaviour of the reference CSMS
(a ``v201_`` entry of :data:`~pytest_ocpp.reference.csms.DEFECTS`, from
``v201/reservation.py``, ``v201/tariff.py`` and ``v201/display.py``) and proves that the cases
checking it report "fail", with the broken rule in the message, not "error" and not "not
applicable"; the controls run beside them still pass.

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
from pytest_ocpp.reference.csms.v201.display import DEFECTS_DISPLAY
from pytest_ocpp.reference.csms.v201.reservation import DEFECTS_RESERVATION
from pytest_ocpp.reference.csms.v201.tariff import DEFECTS_TARIFF

BLOCKS = ("Reservation", "TariffAndCost", "DisplayMessage")
"""The catalogue's names of the three functional blocks this file proves."""

BLOCK_CASES = sorted(
    info.id
    for info in catalog().values()
    if info.version == "2.0.1" and info.side == "CSMS" and info.block in BLOCKS
)
"""Every 2.0.1 CSMS-side case of those blocks, as the catalogue has them."""

SPECIFIC_EVSE = ("TC_H_01_CSMS", "TC_H_07_CSMS", "TC_H_17_CSMS", "TC_H_19_CSMS", "TC_H_20_CSMS")
"""The reservations of the configured EVSE (evseId judged, no connectorType)."""

UNSPECIFIED_EVSE = ("TC_H_08_CSMS", "TC_H_14_CSMS", "TC_H_15_CSMS")
"""The reservations without evseId (an unspecified EVSE, a connector type)."""

TRANSACTION_MESSAGES = ("TC_O_06_CSMS", "TC_O_10_CSMS", "TC_O_27_CSMS", "TC_O_28_CSMS")
"""The display messages bound to a transaction (O02)."""

FREE_MESSAGES = (
    "TC_O_01_CSMS",
    "TC_O_12_CSMS",
    "TC_O_13_CSMS",
    "TC_O_14_CSMS",
    "TC_O_17_CSMS",
    "TC_O_18_CSMS",
    "TC_O_19_CSMS",
    "TC_O_25_CSMS",
    "TC_O_26_CSMS",
)
"""The display messages of no transaction (O01.FR.04: no transactionId)."""

DEFECT_CASES: tuple[Defect, ...] = (
    # -- H. Reservation (Part 2 H01-H04) --
    Defect("v201_reserve_now_wrong_evse", SPECIFIC_EVSE, "ReserveNowRequest evseId 1"),
    Defect("v201_reserve_now_adds_evse", UNSPECIFIED_EVSE, "ReserveNowRequest evseId omitted"),
    Defect(
        "v201_reserve_now_wrong_id_token",
        (*SPECIFIC_EVSE, *UNSPECIFIED_EVSE),
        "ReserveNowRequest idToken",
    ),
    Defect(
        "v201_reserve_now_drops_group_id_token",
        ("TC_H_19_CSMS",),
        "ReserveNowRequest groupIdToken provided",
    ),
    Defect(
        "v201_reserve_now_adds_connector_type",
        (*SPECIFIC_EVSE, "TC_H_08_CSMS", "TC_H_14_CSMS"),
        "ReserveNowRequest connectorType omitted",
    ),
    Defect(
        "v201_reserve_now_wrong_connector_type",
        ("TC_H_15_CSMS",),
        "ReserveNowRequest connectorType cType2",
    ),
    Defect("v201_reserve_now_expired", ("TC_H_07_CSMS",), "ReserveNowRequest expiryDateTime"),
    Defect("v201_reserve_now_never_sent", ("TC_H_22_CSMS",), "did not send ReserveNow"),
    Defect(
        "v201_cancel_reservation_wrong_id",
        ("TC_H_17_CSMS",),
        "CancelReservationRequest reservationId",
    ),
    Defect(
        "v201_reservation_status_update_call_error",
        ("TC_H_07_CSMS", "TC_H_20_CSMS"),
        "ReservationStatusUpdate request with CallError InternalError",
    ),
    # -- I. Tariff and Cost (Part 2 I02, I03) --
    Defect("v201_total_cost_missing", ("TC_I_02_CSMS",), "totalCost not omitted (I03.FR.02"),
    Defect("v201_cost_updated_never_sent", ("TC_I_01_CSMS",), "the running cost while charging"),
    Defect(
        "v201_cost_updated_wrong_transaction",
        ("TC_I_01_CSMS",),
        "CostUpdatedRequest transactionId",
    ),
    # -- O. DisplayMessage (Part 2 O01-O06) --
    Defect(
        "v201_set_display_message_wrong_priority",
        (
            "TC_O_01_CSMS",
            "TC_O_06_CSMS",
            "TC_O_10_CSMS",
            "TC_O_12_CSMS",
            "TC_O_17_CSMS",
            "TC_O_26_CSMS",
            "TC_O_28_CSMS",
        ),
        "message.priority NormalCycle",
    ),
    Defect(
        "v201_set_display_message_wrong_format",
        ("TC_O_01_CSMS",),
        "message.message.format UTF8",
    ),
    Defect(
        "v201_set_display_message_wrong_state",
        ("TC_O_01_CSMS", "TC_O_18_CSMS", "TC_O_25_CSMS"),
        "message.state Charging",
    ),
    Defect(
        "v201_set_display_message_wrong_id",
        ("TC_O_12_CSMS", "TC_O_25_CSMS"),
        "message.id 1 (<Configured_Id>)",
    ),
    Defect(
        "v201_set_display_message_drops_transaction",
        TRANSACTION_MESSAGES,
        "message.transactionId",
    ),
    Defect(
        "v201_set_display_message_adds_transaction",
        FREE_MESSAGES,
        "message.transactionId omitted for a message of no transaction (O01.FR.04)",
    ),
    Defect(
        "v201_set_display_message_shifts_times",
        ("TC_O_13_CSMS", "TC_O_14_CSMS", "TC_O_27_CSMS", "TC_O_28_CSMS"),
        "DateTime <Configured",
    ),
    Defect(
        "v201_get_display_messages_adds_filter",
        ("TC_O_02_CSMS", "TC_O_07_CSMS", "TC_O_09_CSMS"),
        "GetDisplayMessagesRequest priority omitted",
    ),
    Defect(
        "v201_get_display_messages_wrong_filter",
        ("TC_O_07_CSMS", "TC_O_08_CSMS", "TC_O_09_CSMS"),
        "(the configured message's)",
    ),
    Defect(
        "v201_clear_display_message_wrong_id", ("TC_O_04_CSMS",), "ClearDisplayMessageRequest id"
    ),
    Defect(
        "v201_display_requests_never_sent",
        ("TC_O_03_CSMS", "TC_O_05_CSMS", "TC_O_11_CSMS", "TC_O_19_CSMS"),
        "did not send",
    ),
    Defect(
        "v201_notify_display_messages_call_error",
        ("TC_O_02_CSMS", "TC_O_07_CSMS", "TC_O_08_CSMS", "TC_O_09_CSMS"),
        "NotifyDisplayMessages request with CallError InternalError",
    ),
)

#: Cases run beside the failing ones: they must still pass, so a defect that breaks everything
#: (or a harness that fails every case) cannot prove anything. Each control meets the broken
#: behaviour but does not judge it, or is the case next door that the defect must not affect.
EXTRA_CASES: dict[str, tuple[str, ...]] = {
    # Without evseId there is nothing to move to another EVSE, and vice versa.
    "v201_reserve_now_wrong_evse": ("TC_H_08_CSMS",),
    "v201_reserve_now_adds_evse": ("TC_H_01_CSMS",),
    # TC_H_22 judges nothing of the request.
    "v201_reserve_now_wrong_id_token": ("TC_H_22_CSMS",),
    "v201_reserve_now_drops_group_id_token": ("TC_H_01_CSMS",),
    # A connector-type reservation has its connectorType already.
    "v201_reserve_now_adds_connector_type": ("TC_H_15_CSMS",),
    "v201_reserve_now_wrong_connector_type": ("TC_H_01_CSMS",),
    # Only TC_H_07 is about the expiry.
    "v201_reserve_now_expired": ("TC_H_01_CSMS",),
    "v201_reserve_now_never_sent": ("TC_O_05_CSMS",),
    # The reservation itself stays right; only the cancellation is wrong.
    "v201_cancel_reservation_wrong_id": ("TC_H_01_CSMS",),
    # TC_H_01's clean-up sends ReservationStatusUpdate too: outside the table, tolerated.
    "v201_reservation_status_update_call_error": ("TC_H_01_CSMS",),
    # The running cost is not the final one; a transaction without a tariff expects no cost.
    "v201_total_cost_missing": ("TC_I_01_CSMS",),
    "v201_cost_updated_never_sent": ("TC_O_06_CSMS",),
    "v201_cost_updated_wrong_transaction": ("TC_O_06_CSMS",),
    # TC_O_19 judges only the id; TC_O_13 no priority.
    "v201_set_display_message_wrong_priority": ("TC_O_19_CSMS",),
    "v201_set_display_message_wrong_format": ("TC_O_19_CSMS",),
    # A message asked for without state keeps none.
    "v201_set_display_message_wrong_state": ("TC_O_17_CSMS",),
    # "<Generated Id>": any id is the CSMS's to choose.
    "v201_set_display_message_wrong_id": ("TC_O_01_CSMS",),
    "v201_set_display_message_drops_transaction": ("TC_O_01_CSMS",),
    "v201_set_display_message_adds_transaction": ("TC_O_06_CSMS",),
    "v201_set_display_message_shifts_times": ("TC_O_01_CSMS",),
    # A query by priority has its priority already.
    "v201_get_display_messages_adds_filter": ("TC_O_08_CSMS",),
    "v201_get_display_messages_wrong_filter": ("TC_O_02_CSMS",),
    "v201_clear_display_message_wrong_id": ("TC_O_05_CSMS",),
    "v201_display_requests_never_sent": ("TC_H_22_CSMS",),
    # No NotifyDisplayMessages follows an Unknown.
    "v201_notify_display_messages_call_error": ("TC_O_03_CSMS",),
}

OPERATOR_TIMEOUT: dict[str, float] = {
    "v201_reserve_now_never_sent": 3,
    "v201_display_requests_never_sent": 3,
}
"""``--ocpp-operator-timeout`` where the defect shows as the request never arriving: waiting it
out is the proof, so it is kept short (the control CLI starts in well under a second)."""

UNFAILABLE: dict[str, str] = {}
"""Cases of these blocks that no defect can make fail, with the reason: none."""


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


def test_catalogue_lists_32_block_cases() -> None:
    """The brief's 32 cases: 9 of H, 2 of I, 21 of O, as the catalogue has them."""
    assert len(BLOCK_CASES) == 32, BLOCK_CASES


def test_every_block_case_is_implemented() -> None:
    """Each catalogue case of the three blocks has a test function."""
    missing = sorted(set(BLOCK_CASES) - _implemented_201_csms_cases())
    assert not missing, f"2.0.1 CSMS cases without an implementation: {missing}"


def test_every_block_defect_is_proven() -> None:
    """The table names real 2.0.1 defects, each once, and exactly those of the three block
    modules: a new defect there must be proven here."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names)
    assert all(name in DEFECTS and name.startswith("v201_") for name in names)
    assert set(names) == set(DEFECTS_RESERVATION) | set(DEFECTS_TARIFF) | set(DEFECTS_DISPLAY)


def test_every_block_case_meets_a_defect() -> None:
    """Every case of the three blocks fails on at least one defect, or is excused."""
    assert set(cases_of(DEFECT_CASES)) | set(UNFAILABLE) == set(BLOCK_CASES)
    assert not set(cases_of(DEFECT_CASES)) & set(UNFAILABLE)


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_case_fails_on_defect(defect: Defect, runs: Runs) -> None:
    """Each named case's verdict is "fail" with the broken rule in its message; the cases run
    beside them still pass."""
    report = runs[defect.name]
    assert_defect_caught(report, defect)
    assert_passes(report, EXTRA_CASES.get(defect.name, ()))


def test_configured_values_come_from_the_config(tmp_path: Path) -> None:
    """OCTT's <Configured connectorType> and <Configured Priority> are ``[station]
    connector_type`` and ``display_message_priority``: the operator is asked for them and the
    cases hold the CSMS to them."""
    config = tmp_path / "ocpp.toml"
    config.write_text(
        '[station]\nconnector_type = "cCCS2"\ndisplay_message_priority = "InFront"\n', "utf-8"
    )
    with reference_csms(versions=("2.0.1",)) as csms:
        report = run_suite(
            tmp_path / "run",
            *csms.args,
            "--ocpp-version",
            "2.0.1",
            "--ocpp-config",
            str(config),
            ids=("TC_H_15_CSMS", "TC_O_01_CSMS"),
        )
    assert_passes(report, ("TC_H_15_CSMS", "TC_O_01_CSMS"))
    sent = {
        case["id"]: " ".join(str(entry.get("text", "")) for entry in case["trace"])
        for case in report.cases
    }
    assert '"connectorType":"cCCS2"' in sent["TC_H_15_CSMS"].replace(" ", "")
    assert '"priority":"InFront"' in sent["TC_O_01_CSMS"].replace(" ", "")
