"""The 2.0.1 station-side M. ISO 15118 CertificateManagement cases
(testcases/ocpp201/cs/test_certificates.py, test_certificates_15118.py) can fail.

Each run breaks one behaviour of the reference 2.0.1 station (a
:data:`~pytest_ocpp.reference.station201.station.DEFECTS` toggle) and proves that the cases
checking it report "fail" with a phrase of the broken rule, while the control cases of the
same run, which meet the broken station without judging that behaviour, still pass; a
conformant run proves every case passes. Defects whose cases do not interfere share a run
(GROUPS). TC_M_09 needs AdditionalRootCertificateCheck true, which the reference station
reports false by default: the two runs with it (CHECKED_GROUPS) set the variable.
End to end, as a charger team runs the suite: a separate ``pytest`` process against the
reference station, driven by the ``command`` operator; the plumbing is in ``harness.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
import pytest_ocpp.testcases.ocpp201.cs.test_certificates as certificates
import pytest_ocpp.testcases.ocpp201.cs.test_certificates_15118 as certificates_15118
import pytest_ocpp.testcases.ocpp201.cs.test_certificates_root_swap as root_swap
from harness import (
    Defect,
    Runs,
    assert_conformant,
    assert_defect_caught,
    assert_passes,
    cases_of,
    runs_fixture,
    station201_job,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.station201.station import DEFECTS

ROOTS_LISTED = (
    "TC_M_01_CS",
    "TC_M_02_CS",
    "TC_M_03_CS",
    "TC_M_04_CS",
    "TC_M_12_CS",
    "TC_M_13_CS",
    "TC_M_14_CS",
    "TC_M_16_CS",
    "TC_M_17_CS",
    "TC_M_18_CS",
)
"""The cases that install roots and list them."""

DEFECT_TABLE: tuple[Defect, ...] = (
    Defect(
        "m_install_not_stored", ROOTS_LISTED, "GetInstalledCertificateIdsResponse status Accepted"
    ),
    Defect(
        "m_hash_over_key_info",
        ("TC_M_12_CS", "TC_M_15_CS", "TC_M_18_CS"),
        "certificateHashData of the configured",
    ),
    Defect(
        "m_expired_certificate_accepted",
        ("TC_M_07_CS",),
        "InstallCertificateResponse status Rejected",
    ),
    Defect("m_not_found_as_accepted", ("TC_M_19_CS",), "status NotFound (M03.FR.02)"),
    Defect("m_delete_ignored", ("TC_M_20_CS",), "not present anymore"),
    Defect("m_delete_unknown_accepted", ("TC_M_22_CS",), "status NotFound (M04.FR.04)"),
    Defect("m_station_certificate_deletable", ("TC_M_23_CS",), "NotFound or Failed"),
    Defect("m_csr_weak_key", ("TC_M_23_CS",), "at least 2048 bits"),
    Defect("m_chain_without_children", ("TC_M_15_CS",), "childCertificateHashData"),
    Defect(
        "m_v2g_csr_rsa",
        ("TC_M_15_CS", "TC_M_24_CS", "TC_M_25_CS"),
        "EC key of at least 256 bits",
    ),
    Defect("m_no_certificate_status", ("TC_M_24_CS", "TC_M_25_CS"), "GetCertificateStatusRequest"),
    Defect(
        "m_ev_certificate_action_swapped",
        ("TC_M_26_CS", "TC_M_27_CS", "TC_M_28_CS", "TC_M_29_CS"),
        "Get15118EVCertificateRequest action",
    ),
    Defect(
        "m_authorize_without_ev_certificate", ("TC_M_27_CS", "TC_M_29_CS"), "no AuthorizeRequest"
    ),
)
"""Defects of the reference station as it is configured by default."""

ADDITIONAL_CHECK = Defect(
    "m_additional_root_check_ignored", ("TC_M_09_CS",), "InstallCertificateResponse status Rejected"
)
"""TC_M_09's defect, on a station with SecurityCtrlr.AdditionalRootCertificateCheck true."""

WITH_CHECK = {"variables": {"SecurityCtrlr.AdditionalRootCertificateCheck": "true"}}

UNFAILABLE: dict[str, str] = {
    "TC_M_30_CS": "reconnecting over TLS (security profile 2/3) with a new CSMS root: passes "
    "and fails in tests/test_station201_security.py",
    "TC_M_31_CS": "the same, falling back to the old CSMS root",
}
"""Cases no defect of this file fails, with the reason."""

NOT_IMPLEMENTED: dict[str, str] = {}
"""Catalogue ids of the block without a case, with the reason (none)."""

GROUPS: dict[str, tuple[str, ...]] = {
    "install": ("m_install_not_stored",),
    "misc": (
        "m_expired_certificate_accepted",
        "m_not_found_as_accepted",
        "m_delete_ignored",
        "m_delete_unknown_accepted",
        "m_station_certificate_deletable",
        "m_chain_without_children",
    ),
    "csr": ("m_csr_weak_key", "m_v2g_csr_rsa"),
    "ocsp_ev": (
        "m_no_certificate_status",
        "m_ev_certificate_action_swapped",
        ADDITIONAL_CHECK.name,
    ),
    "hash_ev_auth": ("m_hash_over_key_info", "m_authorize_without_ev_certificate"),
}
"""One station per group, with all its defects: each defect breaks cases the others leave
alone, so one run proves several (CI time)."""

EV_CASES = ("TC_M_24_CS", "TC_M_25_CS", "TC_M_26_CS", "TC_M_27_CS", "TC_M_28_CS", "TC_M_29_CS")
"""The slowest cases (OCSP, the EV's certificate), in a conformant run of their own."""

CHECKED_GROUPS = ("csr", "ocsp_ev")
"""Groups run on a station with AdditionalRootCertificateCheck true: TC_M_09 is a control of
"csr" (the conformant proof of TC_M_09) and fails in "ocsp_ev"; their other cases do not
depend on the variable."""

CONTROLS: dict[str, tuple[str, ...]] = {
    "install": ("TC_M_19_CS",),
    "misc": ("TC_M_12_CS",),
    "csr": ("TC_M_09_CS", "TC_M_12_CS"),
    "ocsp_ev": ("TC_M_15_CS",),
    "hash_ev_auth": ("TC_M_19_CS", "TC_M_26_CS"),
}
"""Per run, cases that meet the broken station and must still pass (a run goes in file
order)."""


def _group(name: str) -> str:
    return next(g for g, names in GROUPS.items() if name in names)


def _jobs() -> dict[str, Any]:
    by_name = {d.name: d for d in (*DEFECT_TABLE, ADDITIONAL_CHECK)}
    every = cases_of(DEFECT_TABLE)
    jobs: dict[str, Any] = {  # the conformant half in two runs side by side (wall time)
        "conformant": station201_job([c for c in every if c not in EV_CASES], **OPTIONS),
        "conformant_15118": station201_job([c for c in every if c in EV_CASES], **OPTIONS),
    }
    for group, names in GROUPS.items():
        cases = cases_of(by_name[n] for n in names) + CONTROLS[group]
        station = WITH_CHECK if group in CHECKED_GROUPS else None
        jobs[group] = station201_job(cases, names, station=station, **OPTIONS)
    return jobs


OPTIONS: dict[str, Any] = {"response_timeout": 2, "message_timeout": 3, "reboot_timeout": 10}

BLOCK = tuple(
    sorted(
        f"TC_M_{n:02d}_CS"
        for n in (
            1,
            2,
            3,
            4,
            7,
            9,
            12,
            13,
            14,
            15,
            16,
            17,
            18,
            19,
            20,
            22,
            23,
            30,
            31,
            24,
            25,
            26,
            27,
            28,
            29,
        )
    )
)
"""The implemented 2.0.1 station-side cases of block M (Part 6 §2.14)."""

runs = runs_fixture(_jobs(), keep=(*GROUPS, "conformant", "conformant_15118"), workers=4)


def test_every_defect_exists() -> None:
    for defect in (*DEFECT_TABLE, ADDITIONAL_CHECK):
        assert defect.name in DEFECTS, defect.name


def test_every_case_can_fail() -> None:
    assert set(cases_of((*DEFECT_TABLE, ADDITIONAL_CHECK))) | set(UNFAILABLE) == set(BLOCK)


def test_catalogue_ids_implemented() -> None:
    """Every 2.0.1 station-side M id of the catalogue has a case, but the ones listed in
    NOT_IMPLEMENTED, and no other."""
    catalogue = {
        info.id
        for info in catalog().values()
        if info.version == "2.0.1"
        and info.side == "CS"
        and info.block == "ISO15118CertificateManagement"
    }
    implemented = {
        mark.kwargs["id"]
        for module in (certificates, certificates_15118, root_swap)
        for value in vars(module).values()
        for mark in getattr(value, "pytestmark", ())
        if mark.name == "ocpp_case" and mark.kwargs.get("version") == "2.0.1"
    }
    assert implemented == set(BLOCK)
    assert catalogue == implemented | set(NOT_IMPLEMENTED)


def test_conformant(runs: Runs) -> None:
    every = cases_of(DEFECT_TABLE)
    assert_conformant(runs["conformant"], [c for c in every if c not in EV_CASES])
    assert_conformant(runs["conformant_15118"], [c for c in every if c in EV_CASES])
    assert_passes(runs["csr"], ADDITIONAL_CHECK.cases)  # on a station with the check


@pytest.mark.parametrize("name", [d.name for d in (*DEFECT_TABLE, ADDITIONAL_CHECK)])
def test_defect_caught(runs: Runs, name: str) -> None:
    defect = next(d for d in (*DEFECT_TABLE, ADDITIONAL_CHECK) if d.name == name)
    report = runs[_group(name)]
    assert_defect_caught(report, defect)
    assert_passes(report, CONTROLS[_group(name)])
