"""OCPP 2.0.1, CSMS under test, C. Authorization (2.0.1 Edition 3 Part 6 §3.4 and the 2025
errata).

pytest-ocpp plays the Charging Station (the OCTT column of each scenario table). "Execute
Reusable State X" is one call of the station's method for X (Part 6 §3.18, Tables 698-710).
"""

from __future__ import annotations

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import IdTags
from pytest_ocpp.station import Station201, check


@ocpp_case("TC_C_02_CSMS", version="2.0.1")
async def test_tc_c_02_csms(station: Station201, tags: IdTags) -> None:
    """The CSMS reports an idToken it does not know as not valid (C01.FR.07: a status that
    indicates acceptance or the reason for rejection; C04.FR.01, C06.FR.04)."""
    step("1. The OCTT sends an AuthorizeRequest with the configured invalid idToken")
    info = await station.authorize(tags.invalid)
    step("2. The CSMS responds with an AuthorizeResponse")
    check(
        info["status"] in ("Invalid", "Unknown"),
        "Step 2: AuthorizeResponse idTokenInfo.status Invalid or Unknown",
        info,
    )


@ocpp_case("TC_C_06_CSMS", version="2.0.1")
async def test_tc_c_06_csms(station: Station201, tags: IdTags) -> None:
    """The CSMS reports a blocked idToken as such (C01.FR.07).

    Part 6 Table 484 reads "status Linked or Invalid"; "Linked" is no AuthorizationStatusEnumType
    value and the case is titled "Authorization Blocked", so Blocked or Invalid is judged."""
    step("1. The OCTT sends an AuthorizeRequest with the configured blocked idToken")
    info = await station.authorize(tags.blocked)
    step("2. The CSMS responds with an AuthorizeResponse")
    check(
        info["status"] in ("Blocked", "Invalid"),
        "Step 2: AuthorizeResponse idTokenInfo.status Blocked or Invalid",
        info,
    )


@ocpp_case("TC_C_07_CSMS", version="2.0.1")
async def test_tc_c_07_csms(station: Station201, tags: IdTags) -> None:
    """The CSMS reports an expired idToken as such (C01.FR.07)."""
    step("1. The OCTT sends an AuthorizeRequest with the configured expired idToken")
    info = await station.authorize(tags.expired)
    step("2. The CSMS responds with an AuthorizeResponse")
    check(
        info["status"] in ("Expired", "Invalid"),
        "Step 2: AuthorizeResponse idTokenInfo.status Expired or Invalid",
        info,
    )
