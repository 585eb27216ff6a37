"""The 2.0.1 station-side ISO 15118 Plug & Charge cases can fail: C07 authorization with
contract certificates (testcases/ocpp201/cs/test_authorization_15118.py, TC_C_50-55) and the
end of an ISO 15118 session (TC_E_46_CS, testcases/ocpp201/cs/test_transactions_more.py).

Each defect (``c15_*`` in :data:`~pytest_ocpp.reference.station201.station.DEFECTS`) breaks
one Plug & Charge behaviour of the reference 2.0.1 station, whose simulated EV holds a
contract certificate under the MO root of the run's test PKI. Defects whose cases do not
interfere share a station (GROUPS): per run, the defects' cases report "fail" with a phrase of
the broken rule while the controls still pass; a conformant run proves every case passes.
End to end, as a charger team runs the suite: a separate ``pytest`` process against the
reference station, driven by the ``command`` operator; the plumbing is in ``harness.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
import pytest_ocpp.testcases.ocpp201.cs.test_authorization_15118 as authorization_15118
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

LOCAL = ("TC_C_50_CS", "TC_C_51_CS")
"""Online, the station validates the contract itself (MO root installed)."""
CENTRAL = ("TC_C_52_CS", "TC_C_53_CS")
"""Online, no MO root: the certificate goes to the CSMS."""

DEFECT_TABLE: tuple[Defect, ...] = (
    Defect("c15_wrong_token_type", (*LOCAL, *CENTRAL), "idToken.type eMAID"),
    Defect("c15_hash_data_missing", LOCAL, "iso15118CertificateHashData is provided"),
    Defect("c15_certificate_when_local", LOCAL, "iso15118CertificateHashData is provided"),
    Defect("c15_no_central_certificate", CENTRAL, "certificate is provided"),
    Defect(
        "c15_refused_contract_charges",
        ("TC_C_51_CS", "TC_C_53_CS"),
        "EV is not authorized and shall not charge",
    ),
    Defect("c15_offline_validation_ignored", ("TC_C_55_CS",), "ContractValidationOffline is false"),
    Defect("c15_offline_contract_refused", ("TC_C_54_CS",), "triggerReason Authorized"),
    Defect("c15_session_stop_ignored", ("TC_E_46_CS",), "after the EV ended the session"),
)

UNFAILABLE: dict[str, str] = {}
"""Cases no defect of this file fails, with the reason (none)."""

GROUPS: dict[str, tuple[str, ...]] = {
    "type_offline": ("c15_wrong_token_type", "c15_offline_contract_refused"),
    "fields_offline": (
        "c15_hash_data_missing",
        "c15_no_central_certificate",
        "c15_offline_validation_ignored",
    ),
    "refusal_stop": ("c15_refused_contract_charges", "c15_session_stop_ignored"),
    "local_chain": ("c15_certificate_when_local",),
}
"""One station per group, with all its defects: each breaks cases the others leave alone."""

CONTROLS: dict[str, tuple[str, ...]] = {
    "type_offline": ("TC_C_55_CS",),
    "fields_offline": ("TC_C_54_CS",),
    "refusal_stop": ("TC_C_50_CS", "TC_C_52_CS"),
    "local_chain": ("TC_C_52_CS",),
}
"""Per run, cases that meet the broken station and must still pass."""

BLOCK = (
    "TC_C_50_CS",
    "TC_C_51_CS",
    "TC_C_52_CS",
    "TC_C_53_CS",
    "TC_C_54_CS",
    "TC_C_55_CS",
    "TC_E_46_CS",
)
"""The ISO 15118 station-side cases this file proves (C07, and E15's TC_E_46)."""

OPTIONS: dict[str, Any] = {"response_timeout": 2, "message_timeout": 3}


def _group(name: str) -> str:
    return next(g for g, names in GROUPS.items() if name in names)


def _jobs() -> dict[str, Any]:
    by_name = {d.name: d for d in DEFECT_TABLE}
    jobs: dict[str, Any] = {"conformant": station201_job(cases_of(DEFECT_TABLE), **OPTIONS)}
    for group, names in GROUPS.items():
        cases = cases_of(by_name[n] for n in names) + CONTROLS[group]
        jobs[group] = station201_job(cases, names, **OPTIONS)
    return jobs


runs = runs_fixture(_jobs(), keep=(*GROUPS, "conformant"), workers=5)


def test_every_defect_exists() -> None:
    for defect in DEFECT_TABLE:
        assert defect.name in DEFECTS, defect.name
        assert defect.name.startswith("c15_")
    assert set(GROUPS.keys()) == set(CONTROLS)
    assert sorted(n for names in GROUPS.values() for n in names) == sorted(
        d.name for d in DEFECT_TABLE
    )


def test_every_case_can_fail() -> None:
    assert set(cases_of(DEFECT_TABLE)) | set(UNFAILABLE) == set(BLOCK)


def test_catalogue_ids_implemented() -> None:
    """Every 2.0.1 station-side C07 id of the catalogue (TC_C_50-55) has a case in
    test_authorization_15118.py, and that module has no other."""
    catalogue = {
        info.id
        for info in catalog().values()
        if info.version == "2.0.1"
        and info.side == "CS"
        and info.id.startswith("TC_C_5")
        and 50 <= int(info.id.split("_")[2]) <= 55
    }
    implemented = {
        mark.kwargs["id"]
        for value in vars(authorization_15118).values()
        for mark in getattr(value, "pytestmark", ())
        if mark.name == "ocpp_case" and mark.kwargs.get("version") == "2.0.1"
    }
    assert catalogue == implemented == {c for c in BLOCK if c.startswith("TC_C_")}


def test_conformant(runs: Runs) -> None:
    assert_conformant(runs["conformant"], cases_of(DEFECT_TABLE))


@pytest.mark.parametrize("name", [d.name for d in DEFECT_TABLE])
def test_defect_caught(runs: Runs, name: str) -> None:
    defect = next(d for d in DEFECT_TABLE if d.name == name)
    report = runs[_group(name)]
    assert_defect_caught(report, defect)
    assert_passes(report, CONTROLS[_group(name)])
