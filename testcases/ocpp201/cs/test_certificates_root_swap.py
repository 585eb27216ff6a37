"""OCPP 2.0.1, Charging Station under test, M. ISO 15118 CertificateManagement part 3: the
station reconnects over TLS after a new CSMS root was installed with
AdditionalRootCertificateCheck (2.0.1 Edition 3 Part 6 §2.14, Tables 318/319, TC_M_30/31;
Part 2 M05.FR.09-14; the 2025 errata change neither table).

pytest-ocpp plays the CSMS (the OCTT column). The old CSMS root is OCTT's configured one
(``[station] csms_root_certificate``, installed when the station does not list it, see
:func:`._certificates_support.csms_root_present`); the new one, "<Configured new CSMS Root
certificate 2>", must be signed by it (M05.FR.10): ``[station] new_csms_root_certificate`` with
``new_csms_root_private_key``, else generated (:meth:`~pytest_ocpp.csms.states201_security.SecurityStates201.new_csms_root`).
During the TLS handshake after the reset the fake CSMS's main listener serves a server
certificate for its host signed by the new root (TC_M_30) or by the old one (TC_M_31)
(``serve_instead``), then its configured one again.

Every case ends with the station as it was: the new root deleted, the old one installed again
when the station removed it (M05.FR.13), also when the case fails.
"""

from __future__ import annotations

import ssl

from pytest_ocpp import security, step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import ConnectFailed, TargetFailure, check, not_applicable

from ._certificates_support import additional_root_check, check_absent, csms_root_present, entry_for

CSMS_ROOT = "CSMSRootCertificate"


async def _install_new_root(
    csms: FakeCsms201, sut: StationConnection, *, check_required: bool = True
) -> tuple[str, str]:
    """Prerequisites "supports Security Profile 2 or 3" and, with ``check_required``,
    "AdditionalRootCertificateCheck implemented with value true" (else not applicable); the
    configured (old) CSMS root installed; Memory State CertificateInstalled for
    CSMSRootCertificate and <Configured (new) CSMS Root certificate 2>. Returns (old PEM,
    new PEM)."""
    security.require_profile(csms.config, (2, 3), "a TLS handshake that verifies the CSMS root")
    if check_required and not await additional_root_check(csms, sut):
        raise not_applicable(
            "the station does not have SecurityCtrlr.AdditionalRootCertificateCheck true "
            "(prerequisite AS-2)"
        )
    old = await csms_root_present(csms, sut)
    _, new = csms.new_csms_root()
    step("Before: Memory State CertificateInstalled CSMSRootCertificate <new CSMS Root 2>")
    await csms.certificate_installed(sut, CSMS_ROOT, new)
    return old, new


async def _reset_into(
    csms: FakeCsms201, sut: StationConnection, served: ssl.SSLContext, rule: str
) -> StationConnection:
    """Steps 1-4: ResetRequest OnIdle (Accepted); during the TLS handshake the OCTT provides
    the certificate of ``served``; the station connects (within --ocpp-reboot-timeout), else
    the case fails citing ``rule``."""
    csms.serve_instead = served
    generation = csms.generation
    step("1. The OCTT sends a ResetRequest with type OnIdle")
    answer = await sut.call("Reset", {"type": "OnIdle"})
    check(answer.get("status") == "Accepted", "Step 2: ResetResponse status Accepted", answer)
    step("3-4. During the TLS handshake the Charging Station validates the CSMS certificate")
    try:
        return await csms.next_connection(after=generation, reboot=True)
    except ConnectFailed as exc:
        raise TargetFailure(f"{rule}: {exc}") from None


@ocpp_case("TC_M_30_CS", version="2.0.1", requires="AS-2")
async def test_tc_m_30_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Reconnecting with the new CSMS root (M05.FR.13): after the reset the OCTT serves a
    certificate signed by the new root; the connection succeeds; Reusable State Booted; the
    old root is no longer installed (GetInstalledCertificateIds, the 2.0.1 name of the table's
    GetInstalledCertificatesRequest). With security profile 3 Memory State
    RenewChargingStationCertificate first, as the table has it."""
    security.require_profile(csms.config, (2, 3), "a TLS handshake that verifies the CSMS root")
    sut = await csms.ready(station_operator)
    old, new = await _install_new_root(csms, sut)
    try:
        if csms.config.security_profile == 3:
            step("Before: Memory State RenewChargingStationCertificate")
            await csms.renew_charging_station_certificate(sut)
        authority, _ = csms.new_csms_root()
        sut = await _reset_into(
            csms,
            sut,
            csms.served_under(authority),
            "Step 4: the connection verified with the new CSMS root must succeed (M05.FR.12/13)",
        )
        step("5. Execute Reusable State Booted")
        sut = await csms.booted(sut, station_operator)
        step("6. The OCTT sends a GetInstalledCertificateIdsRequest CSMSRootCertificate")
        answer = await sut.call("GetInstalledCertificateIds", {"certificateType": [CSMS_ROOT]})
        check(
            answer.get("status") == "Accepted",
            "Step 7: GetInstalledCertificateIdsResponse status Accepted",
            answer,
        )
        check_absent(
            answer,
            CSMS_ROOT,
            old,
            "Step 7: certificateHashDataChain has no CSMSRootCertificate entry of the old CSMS "
            "root (removed after connecting with the new one, M05.FR.13)",
        )
    finally:
        await csms.undo_root_swap(old, new)


@ocpp_case("TC_M_31_CS", version="2.0.1", requires="AS-2")
async def test_tc_m_31_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Falling back to the old CSMS root (M05.FR.14): after the reset the OCTT serves a
    certificate signed by the old root, which the new root cannot verify; the station
    re-validates it with the old (fallback) root and connects; Reusable State Booted; the old
    root is still installed."""
    security.require_profile(csms.config, (2, 3), "a TLS handshake that verifies the CSMS root")
    sut = await csms.ready(station_operator)
    old, new = await _install_new_root(csms, sut)
    try:
        sut = await _reset_into(
            csms,
            sut,
            csms.served_under(csms.csms_root_authority()),
            "Step 5: the Charging Station must re-validate the CSMS certificate with the old "
            "(fallback) CSMS root and connect (M05.FR.14)",
        )
        step("6. Execute Reusable State Booted")
        sut = await csms.booted(sut, station_operator)
        step("7. The OCTT sends a GetInstalledCertificateIdsRequest CSMSRootCertificate")
        answer = await sut.call("GetInstalledCertificateIds", {"certificateType": [CSMS_ROOT]})
        check(
            answer.get("status") == "Accepted",
            "Step 8: GetInstalledCertificateIdsResponse status Accepted",
            answer,
        )
        check(
            entry_for(list(answer.get("certificateHashDataChain") or []), CSMS_ROOT, old)
            is not None,
            "Step 8: certificateHashDataChain has a CSMSRootCertificate entry of the old CSMS "
            "root (the fallback, M05.FR.12/14)",
            answer,
        )
    finally:
        await csms.undo_root_swap(old, new)
