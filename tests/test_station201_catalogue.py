"""Issue 14's coverage: every OCTT 2.0.1 station-side (``_CS``) id of the catalogue has its
test function, block A (security, issue 17) and the four root-swap cases (TC_B_47/50,
TC_M_30/31) included.

The proof files (``test_station201_defects_*.py``) show each block's cases pass against the
conformant reference station and fail against a broken one; this file keeps the whole set
honest when a block file is split or renamed.
"""

from __future__ import annotations

import pytest_ocpp.testcases.ocpp201.cs
from harness import implemented_cases

from pytest_ocpp.catalog import catalog

SECURITY_ISSUE: dict[str, str] = {}
"""Cases that wait for issue 17 (security) to be built, with the reason (none left;
``pytest_ocpp/data/octt-coverage.toml`` lists none as not yet built)."""

CS_201 = sorted(
    info.id for info in catalog().values() if info.version == "2.0.1" and info.side == "CS"
)


def test_every_station_side_case_is_implemented() -> None:
    implemented = implemented_cases(pytest_ocpp.testcases.ocpp201.cs, "2.0.1")
    missing = sorted(set(CS_201) - set(SECURITY_ISSUE) - implemented)
    assert not missing, f"2.0.1 station-side cases without a test function: {missing}"
    assert not implemented & set(SECURITY_ISSUE), "built: take it off SECURITY_ISSUE"
    assert len(CS_201) == 424


def test_no_unknown_ids() -> None:
    """Every implemented id is a catalogue id (a typo would pass unnoticed otherwise)."""
    implemented = implemented_cases(pytest_ocpp.testcases.ocpp201.cs, "2.0.1")
    assert not implemented - set(CS_201), sorted(implemented - set(CS_201))
