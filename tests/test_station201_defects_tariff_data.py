"""The 2.0.1 station-side I. Tariff and Cost, P. DataTransfer and N. customer information cases
(testcases/ocpp201/cs/test_tariff.py, test_data_transfer.py, test_customer_information.py)
can fail.

Each run breaks one behaviour of the reference 2.0.1 station (a
:data:`~pytest_ocpp.reference.station201.station.DEFECTS` toggle) and proves that the cases
checking it report "fail" with a phrase of the broken rule, while the control cases of the
same run, which meet the broken station without judging that behaviour, still pass; a
conformant run proves every case passes. End to end, as a charger team runs the suite: a
separate ``pytest`` process against the reference station, driven by the ``command``
operator; the plumbing is in ``harness.py``.
"""

from __future__ import annotations

import pytest
import pytest_ocpp.testcases.ocpp201.cs.test_customer_information as customer
import pytest_ocpp.testcases.ocpp201.cs.test_data_transfer as data_transfer
import pytest_ocpp.testcases.ocpp201.cs.test_tariff as tariff
from harness import (
    Defect,
    Runs,
    assert_conformant,
    assert_defect_caught,
    assert_passes,
    cases_of,
    runs_fixture,
    station201_defect_jobs,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.station201.station import DEFECTS

DEFECT_TABLE: tuple[Defect, ...] = (
    Defect("p_unknown_vendor_accepted", ("TC_P_01_CS",), "status must be UnknownVendorId"),
    Defect("p_custom_data_rejected", ("TC_P_03_CS", "TC_P_04_CS"), "FormatViolation"),
    Defect(
        "n_customer_certificate_rejected",
        ("TC_N_63_CS",),
        "CustomerInformationResponse status Accepted",
    ),
    Defect(
        "n_customer_invalid_accepted",
        ("TC_N_29_CS", "TC_N_33_CS"),
        "CustomerInformationResponse status Invalid",
    ),
    Defect(
        "n_customer_no_data_silent",
        ("TC_N_28_CS", "TC_N_31_CS"),
        "NotifyCustomerInformationRequest for requestId",
    ),
    Defect(
        "n_customer_report_empty",
        ("TC_N_27_CS", "TC_N_30_CS", "TC_N_62_CS"),
        "data not empty",
    ),
    Defect("n_customer_clear_ignored", ("TC_N_62_CS",), "the data was cleared"),
    Defect(
        "n_customer_clear_silent",
        ("TC_N_32_CS",),
        "NotifyCustomerInformationRequest for requestId",
    ),
    Defect("i_cost_updated_error", ("TC_I_01_CS",), "CostUpdatedResponse"),
    Defect(
        "i_running_cost_stops_updates",
        ("TC_I_01_CS", "TC_I_07_CS"),
        "running cost(s) shown so far",
    ),
    Defect("e_authorized_wrong_trigger", ("TC_I_02_CS",), "triggerReason Authorized"),
)

UNFAILABLE: dict[str, str] = {}
"""Cases no defect of this file fails, with the reason."""

CONTROLS: dict[str, tuple[str, ...]] = {
    "p_unknown_vendor_accepted": ("TC_P_03_CS",),
    "p_custom_data_rejected": ("TC_P_01_CS",),
    "n_customer_certificate_rejected": ("TC_N_29_CS",),
    "n_customer_invalid_accepted": ("TC_N_28_CS",),
    "n_customer_no_data_silent": ("TC_N_29_CS",),
    "n_customer_report_empty": ("TC_N_28_CS",),
    "n_customer_clear_ignored": ("TC_N_29_CS",),
    "n_customer_clear_silent": ("TC_N_29_CS",),
    "i_cost_updated_error": ("TC_I_07_CS",),
    "i_running_cost_stops_updates": ("TC_I_02_CS",),
    "e_authorized_wrong_trigger": ("TC_P_01_CS",),
}
"""Per defect, cases that meet the broken station and must still pass."""

BLOCK = (
    "TC_I_01_CS",
    "TC_I_02_CS",
    "TC_I_07_CS",
    "TC_P_01_CS",
    "TC_P_03_CS",
    "TC_P_04_CS",
    *(f"TC_N_{n}_CS" for n in (27, 28, 29, 30, 31, 32, 33, 62, 63)),
)
"""The cases of these modules: block I, block P and N's customer information (N09/N10)."""

CUSTOMER_INFORMATION = "Customer Information"
"""The catalogue titles of block N's customer information cases contain this."""

runs = runs_fixture(
    station201_defect_jobs(
        DEFECT_TABLE, CONTROLS, response_timeout=2, message_timeout=3, reboot_timeout=10
    ),
    param="name",
    keep=("conformant",),
    workers=4,
)


def test_every_defect_exists() -> None:
    for defect in DEFECT_TABLE:
        assert defect.name in DEFECTS, defect.name


def test_every_case_can_fail() -> None:
    assert set(cases_of(DEFECT_TABLE)) | set(UNFAILABLE) == set(BLOCK)


def test_catalogue_ids_implemented() -> None:
    """Every 2.0.1 station-side I and P id and N customer-information id of the catalogue has a
    case, and no other."""
    catalogue = {
        info.id
        for info in catalog().values()
        if info.version == "2.0.1"
        and info.side == "CS"
        and (
            info.block in ("TariffAndCost", "DataTransfer")
            or (info.block == "Diagnostics" and CUSTOMER_INFORMATION in info.title)
        )
    }
    implemented = {
        mark.kwargs["id"]
        for module in (tariff, data_transfer, customer)
        for value in vars(module).values()
        for mark in getattr(value, "pytestmark", ())
        if mark.name == "ocpp_case" and mark.kwargs.get("version") == "2.0.1"
    }
    assert implemented == set(BLOCK) == catalogue


def test_conformant(runs: Runs) -> None:
    assert_conformant(runs["conformant"], cases_of(DEFECT_TABLE))


@pytest.mark.parametrize("name", [d.name for d in DEFECT_TABLE])
def test_defect_caught(runs: Runs, name: str) -> None:
    defect = next(d for d in DEFECT_TABLE if d.name == name)
    report = runs[name]
    assert_defect_caught(report, defect)
    assert_passes(report, CONTROLS[name])
