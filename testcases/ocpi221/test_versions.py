"""OCPI 2.2.1 version_information_endpoint: the CPO's versions and version details."""

from __future__ import annotations

from pytest_ocpp.ocpi.case import OcpiCase, ocpi_case
from pytest_ocpp.ocpi.checks import echoed
from pytest_ocpp.verdicts import check


@ocpi_case("OCPI_VER_01")
async def test_ocpi_ver_01_version_information(ocpi: OcpiCase) -> None:
    """version_information_endpoint §Version information endpoint: a list of Version objects
    (one for 2.2.1); §Version details endpoint: VersionDetails whose endpoints include
    ``credentials`` ("Required for all implementations", §ModuleID), every object valid."""
    registration = ocpi.registration
    _, details = await registration.discover(ocpi.client, registration.token)
    modules = {e.get("identifier") for e in details.get("endpoints", [])}
    check(
        "credentials" in modules,
        "a credentials endpoint in the 2.2.1 version details (version_information_endpoint "
        "§ModuleID: required for all implementations)",
        sorted(str(m) for m in modules),
    )
    for exchange in ocpi.log:
        missing = echoed(exchange)
        check(not missing, f"{exchange.label} to echo the message ids", missing)
