"""The OCPP 2.0.1 CSMS-side cases of E. Transactions and J. MeterValues (Part 6 §3.6, §3.11)
can fail: each run here breaks one behaviour of the reference CSMS (a ``v201_`` toggle of
:data:`~pytest_ocpp.reference.csms.DEFECTS`, implemented in
``reference/csms/v201/transactions.py`` and ``meter_values.py``) and proves that the cases
checking it report "fail", with the broken rule in the message, not "error" and not "not
applicable"; the controls run beside them still pass (each meets the same kind of message
without the broken detail).

Most of these cases have no tool validation of their own: what they check is that the CSMS
answers every TransactionEventRequest and MeterValuesRequest (J01.FR.18, J02.FR.19), so the
defects are the ways real CSMSs refuse a legal event (a CallError for an offline event, a
seqNo gap, a second transaction restarting at seqNo 0, a SuspendedEV, a signed meter value
...) or answer it wrongly (no idTokenInfo, ConcurrentTx for the transaction's own idToken).

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
    Defect,
    Report,
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
from pytest_ocpp.reference.csms.v201.meter_values import DEFECTS_METER_VALUES
from pytest_ocpp.reference.csms.v201.transactions import DEFECTS_TRANSACTIONS

BLOCKS = ("Transactions", "MeterValues")
"""The catalogue's names of Part 6 §3.6 (E) and §3.11 (J)."""

BLOCK_CASES = sorted(
    info.id
    for info in catalog().values()
    if info.version == "2.0.1" and info.side == "CSMS" and info.block in BLOCKS
)
"""Every 2.0.1 CSMS-side case of the two blocks, as the catalogue has them."""

REFUSED = "refused a valid TransactionEvent request with CallError"
"""How a CallError to a TransactionEventRequest reads in a verdict."""

DEFECT_CASES: tuple[Defect, ...] = (
    # -- idTokenInfo (E01.FR.11/12, E02.FR.02, E03.FR.02) ---------------------------------
    Defect(
        "v201_transaction_event_missing_id_token_info",
        (
            "TC_E_01_CSMS",
            "TC_E_02_CSMS",
            "TC_E_08_CSMS",
            "TC_E_10_CSMS",
            "TC_E_11_CSMS",
            "TC_E_14_CSMS",
        ),
        "TransactionEventResponse idTokenInfo.status Accepted",
    ),
    Defect(
        "v201_tx_started_without_id_token_info",
        ("TC_E_01_CSMS", "TC_E_02_CSMS", "TC_E_04_CSMS", "TC_E_10_CSMS", "TC_E_11_CSMS"),
        "TransactionEventResponse idTokenInfo.status Accepted",
    ),
    Defect(
        "v201_tx_accepts_invalid_id_token",
        ("TC_E_16_CSMS",),
        "idTokenInfo.status Invalid or Unknown",
    ),
    Defect(
        "v201_tx_concurrent_tx_own_transaction",
        ("TC_E_08_CSMS", "TC_E_14_CSMS", "TC_E_20_CSMS", "TC_E_53_CSMS"),
        "StopAuthorized step 2: TransactionEventResponse idTokenInfo.status Accepted",
    ),
    # -- start options (E01) ----------------------------------------------------------------
    Defect(
        "v201_requires_evse_at_started",
        ("TC_E_10_CSMS", "TC_E_12_CSMS", "TC_E_16_CSMS", "TC_E_39_CSMS", "TC_J_08_CSMS"),
        f"{REFUSED} OccurrenceConstraintViolation",
    ),
    Defect(
        "v201_tx_requires_id_token_at_started",
        ("TC_E_03_CSMS", "TC_E_09_CSMS", "TC_E_12_CSMS", "TC_J_07_CSMS"),
        f"{REFUSED} OccurrenceConstraintViolation",
    ),
    Defect(
        "v201_tx_rejects_parking_bay_triggers",
        ("TC_E_12_CSMS", "TC_E_19_CSMS"),
        f"{REFUSED} PropertyConstraintViolation",
    ),
    # -- charging states (E03, E06, E10) ----------------------------------------------------
    Defect(
        "v201_tx_rejects_suspended_ev",
        ("TC_E_17_CSMS", "TC_E_20_CSMS", "TC_E_22_CSMS", "TC_E_26_CSMS", "TC_E_38_CSMS"),
        f"{REFUSED} PropertyConstraintViolation",
    ),
    Defect(
        "v201_tx_rejects_updated_idle",
        ("TC_E_26_CSMS",),
        f"{REFUSED} PropertyConstraintViolation",
    ),
    # -- stop options (E06) -----------------------------------------------------------------
    Defect(
        "v201_tx_ended_call_error",
        (
            "TC_E_07_CSMS",
            "TC_E_08_CSMS",
            "TC_E_15_CSMS",
            "TC_E_16_CSMS",
            "TC_E_17_CSMS",
            "TC_E_19_CSMS",
            "TC_E_21_CSMS",
            "TC_E_22_CSMS",
            "TC_E_39_CSMS",
        ),
        f"{REFUSED} InternalError",
    ),
    Defect(
        "v201_tx_rejects_ended_without_evse",
        ("TC_E_16_CSMS", "TC_E_39_CSMS"),
        f"{REFUSED} OccurrenceConstraintViolation",
    ),
    Defect(
        "v201_tx_rejects_event_after_ended",
        ("TC_E_19_CSMS", "TC_E_31_CSMS"),
        f"{REFUSED} PropertyConstraintViolation",
    ),
    Defect(
        "v201_tx_request_stop_wrong_transaction_id",
        ("TC_E_21_CSMS",),
        "Step 1: RequestStopTransactionRequest transactionId",
    ),
    # -- seqNo and the offline queue (E01.FR.07, E04, E12) ----------------------------------
    Defect(
        "v201_tx_rejects_seq_no_restart",
        ("TC_E_53_CSMS",),
        f"{REFUSED} PropertyConstraintViolation",
    ),
    Defect(
        "v201_tx_rejects_seq_no_gap",
        ("TC_E_31_CSMS",),
        f"{REFUSED} PropertyConstraintViolation",
    ),
    Defect(
        "v201_tx_rejects_offline",
        ("TC_E_29_CSMS", "TC_E_31_CSMS", "TC_E_33_CSMS"),
        f"{REFUSED} PropertyConstraintViolation",
    ),
    # -- transaction status (E14) -----------------------------------------------------------
    Defect(
        "v201_tx_get_status_wrong_transaction_id",
        ("TC_E_29_CSMS", "TC_E_30_CSMS", "TC_E_31_CSMS"),
        "GetTransactionStatusRequest transactionId",
    ),
    Defect(
        "v201_tx_get_status_adds_transaction_id",
        ("TC_E_33_CSMS", "TC_E_34_CSMS"),
        "GetTransactionStatusRequest without transactionId",
    ),
    # -- meter values (J01, J02) ------------------------------------------------------------
    Defect(
        "v201_meter_values_no_response",
        ("TC_J_01_CSMS", "TC_J_02_CSMS"),
        "did not answer MeterValues",
    ),
    Defect(
        "v201_meter_values_rejects_evse_zero",
        ("TC_J_01_CSMS", "TC_J_02_CSMS"),
        "refused a valid MeterValues request with CallError PropertyConstraintViolation",
    ),
    Defect(
        "v201_meter_rejects_meter_value_triggers",
        ("TC_E_29_CSMS", "TC_E_33_CSMS", "TC_J_02_CSMS", "TC_J_09_CSMS"),
        f"{REFUSED} PropertyConstraintViolation",
    ),
    Defect(
        "v201_meter_rejects_multiple_meter_values",
        ("TC_J_03_CSMS", "TC_J_10_CSMS"),
        f"{REFUSED} OccurrenceConstraintViolation",
    ),
    Defect(
        "v201_meter_rejects_signed_values",
        ("TC_E_11_CSMS", "TC_J_04_CSMS", "TC_J_11_CSMS"),
        f"{REFUSED} PropertyConstraintViolation",
    ),
    Defect(
        "v201_meter_rejects_started_meter_values",
        ("TC_E_11_CSMS", "TC_J_07_CSMS"),
        f"{REFUSED} PropertyConstraintViolation",
    ),
    Defect(
        "v201_meter_rejects_begin_on_updated",
        ("TC_J_08_CSMS",),
        f"{REFUSED} PropertyConstraintViolation",
    ),
)

#: Cases run beside the failing ones, which must still pass: each sends the same kind of
#: message without the broken detail, so a defect that breaks everything, or a case that
#: fails on any TransactionEvent, proves nothing.
CONTROLS: dict[str, tuple[str, ...]] = {
    # No idToken anywhere: a start on the cable.
    "v201_transaction_event_missing_id_token_info": ("TC_E_09_CSMS",),
    # The idToken arrives in an Updated (E02: cable first).
    "v201_tx_started_without_id_token_info": ("TC_E_03_CSMS",),
    # A valid idToken in a Started.
    "v201_tx_accepts_invalid_id_token": ("TC_E_10_CSMS",),
    # The idToken is sent once per transaction.
    "v201_tx_concurrent_tx_own_transaction": ("TC_E_04_CSMS",),
    # The Started names the EVSE.
    "v201_requires_evse_at_started": ("TC_E_09_CSMS",),
    "v201_tx_requires_id_token_at_started": ("TC_E_04_CSMS",),
    "v201_tx_rejects_parking_bay_triggers": ("TC_E_09_CSMS",),
    # SuspendedEVSE is not SuspendedEV.
    "v201_tx_rejects_suspended_ev": ("TC_E_01_CSMS",),
    # Idle in an Ended.
    "v201_tx_rejects_updated_idle": ("TC_E_17_CSMS",),
    # The After step's Ended tolerates a CallError (outside the scenario).
    "v201_tx_ended_call_error": ("TC_E_01_CSMS",),
    "v201_tx_rejects_ended_without_evse": ("TC_E_07_CSMS",),
    "v201_tx_rejects_event_after_ended": ("TC_E_07_CSMS",),
    "v201_tx_request_stop_wrong_transaction_id": ("TC_E_30_CSMS",),
    # One transaction per connection; in-order seqNo; no outage.
    "v201_tx_rejects_seq_no_restart": ("TC_E_04_CSMS",),
    "v201_tx_rejects_seq_no_gap": ("TC_E_30_CSMS",),
    "v201_tx_rejects_offline": ("TC_E_30_CSMS", "TC_E_34_CSMS"),
    # GetTransactionStatus of the other kind (without / with a transactionId).
    "v201_tx_get_status_wrong_transaction_id": ("TC_E_34_CSMS",),
    "v201_tx_get_status_adds_transaction_id": ("TC_E_30_CSMS",),
    # Meter values in TransactionEvents only.
    "v201_meter_values_no_response": ("TC_J_07_CSMS",),
    "v201_meter_values_rejects_evse_zero": ("TC_J_07_CSMS",),
    # Meter values in a Started (Transaction.Begin).
    "v201_meter_rejects_meter_value_triggers": ("TC_J_07_CSMS",),
    # One meterValue per event.
    "v201_meter_rejects_multiple_meter_values": ("TC_J_07_CSMS",),
    # The same Ended samples, unsigned.
    "v201_meter_rejects_signed_values": ("TC_J_03_CSMS",),
    # EVSE unknown at the start: no meter values in the Started.
    "v201_meter_rejects_started_meter_values": ("TC_J_08_CSMS",),
    # Transaction.Begin in the Started.
    "v201_meter_rejects_begin_on_updated": ("TC_J_07_CSMS",),
}

OPERATOR_TIMEOUT = 10.0
"""``--ocpp-operator-timeout``: no defect here shows as a request never arriving."""

FAST_METER_CLOCK = """\
[station]
clock_aligned_data_interval = 0.25
meter_value_sample_interval = 0.25
"""
"""The station's meter clock for these runs: the J cases pace their readings by it (1 s
unless configured), and a quarter of a second proves as much. Also proves the cases read
these ``[station]`` keys."""

UNFAILABLE: dict[str, str] = {}
"""Cases of the two blocks no defect can fail, with the reason: none."""


def _run(defect: Defect, workdir: Path) -> Report:
    """The defect's cases and controls against a reference CSMS with just that defect, with
    the fast meter clock."""
    config = workdir / "ocpp.toml"
    config.write_text(FAST_METER_CLOCK, "utf-8")
    return csms201_defect_run(
        defect,
        CONTROLS.get(defect.name, ()),
        workdir,
        operator_timeout=OPERATOR_TIMEOUT,
        extra_args=("--ocpp-config", str(config)),
    )


runs = runs_fixture({d.name: partial(_run, d) for d in DEFECT_CASES}, param="defect")
"""One broken reference CSMS per selected defect, their suites run concurrently."""


def _implemented_201_csms_cases() -> set[str]:
    return implemented_cases(pytest_ocpp.testcases.ocpp201.csms, "2.0.1")


def test_catalogue_lists_36_cases() -> None:
    """The brief's ids: 27 of E (TC_E_01-04, 07-12, 14-17, 19-22, 26, 29-31, 33, 34, 38, 39,
    53) and 9 of J (TC_J_01-04, 07-11), as the catalogue has them."""
    assert len([c for c in BLOCK_CASES if c.startswith("TC_E_")]) == 27, BLOCK_CASES
    assert len([c for c in BLOCK_CASES if c.startswith("TC_J_")]) == 9, BLOCK_CASES


def test_every_block_case_is_implemented() -> None:
    """Each catalogue case of the two blocks has a test function."""
    missing = sorted(set(BLOCK_CASES) - _implemented_201_csms_cases())
    assert not missing, f"2.0.1 CSMS cases without an implementation: {missing}"


def test_every_block_case_meets_a_defect() -> None:
    """The table names real 2.0.1 defects, each once, every defect the two block modules
    declare is proven here, and every case of the blocks fails on at least one (or is listed
    as unfailable, with the reason)."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names)
    assert all(name in DEFECTS and name.startswith("v201_") for name in names)
    assert set(names) == set(DEFECTS_TRANSACTIONS) | set(DEFECTS_METER_VALUES)
    assert set(cases_of(DEFECT_CASES)) | set(UNFAILABLE) == set(BLOCK_CASES)
    assert set(CONTROLS) <= set(names)


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_case_fails_on_defect(defect: Defect, runs: Runs) -> None:
    """Each named case's verdict is "fail" with the broken rule in its message; the controls
    beside them still pass."""
    report = runs[defect.name]
    assert_defect_caught(report, defect)
    assert_passes(report, CONTROLS.get(defect.name, ()))
