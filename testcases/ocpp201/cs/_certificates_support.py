"""Shared steps of the 2.0.1 station-side M. ISO 15118 CertificateManagement cases
(test_certificates.py, test_certificates_15118.py).

The states themselves (CertificateInstalled, GetInstalledCertificates, Renew(V2G)Charging
StationCertificate) are :class:`~pytest_ocpp.csms.states201_certificates.CertificateStates201`
methods of the fake CSMS; these are the case-level preparations several tables share.
"""

from __future__ import annotations

from typing import Any

from pytest_ocpp import step
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.csms.states201_certificates import matches
from pytest_ocpp.verdicts import check, not_applicable

ADDITIONAL_CHECK = "SecurityCtrlr.AdditionalRootCertificateCheck"


async def additional_root_check(csms: FakeCsms201, sut: StationConnection) -> bool:
    """SecurityCtrlr.AdditionalRootCertificateCheck is implemented with value true."""
    value = await csms.get_variable(
        sut, ADDITIONAL_CHECK, step_name=f"Prerequisite: {ADDITIONAL_CHECK}"
    )
    return (value or "").strip().lower() == "true"


async def without_additional_check(csms: FakeCsms201, sut: StationConnection) -> None:
    """Prerequisite "does NOT have AdditionalRootCertificateCheck implemented with value true"."""
    if await additional_root_check(csms, sut):
        raise not_applicable(
            f"the station has {ADDITIONAL_CHECK} true; this case's prerequisite excludes it"
        )


async def csms_root_present(csms: FakeCsms201, sut: StationConnection) -> str:
    """Prerequisite "The Charging Station supports Security Profile 2 or 3" / "A valid
    CSMSRootCertificate is installed": the configured CSMS root (OCTT's "old" one) must be in
    the station's trust store; when GetInstalledCertificateIds does not list it, memory state
    CertificateInstalled installs it (removed again by the next case). Returns its PEM."""
    pem = csms.configured_certificate("CSMSRootCertificate")
    step("Prerequisite: GetInstalledCertificateIdsRequest CSMSRootCertificate")
    answer = await sut.call(
        "GetInstalledCertificateIds", {"certificateType": ["CSMSRootCertificate"]}
    )
    if not any(
        matches(item.get("certificateHashData") or {}, pem)
        for item in answer.get("certificateHashDataChain") or []
    ):
        await csms.certificate_installed(sut, "CSMSRootCertificate")
    return pem


def entry_for(
    chain: list[dict[str, Any]], kind: str, pem: str, issuer: str | None = None
) -> dict[str, Any] | None:
    """The certificateHashDataChain entry of ``kind`` naming the certificate ``pem``."""
    for item in chain:
        if item.get("certificateType") == kind and matches(
            item.get("certificateHashData") or {}, pem, issuer
        ):
            return item
    return None


def check_absent(answer: dict[str, Any], kind: str, pem: str, rule: str) -> None:
    """``answer`` (GetInstalledCertificateIdsResponse) lists no ``kind`` entry for ``pem``."""
    chain = list(answer.get("certificateHashDataChain") or [])
    check(entry_for(chain, kind, pem) is None, rule, answer)
