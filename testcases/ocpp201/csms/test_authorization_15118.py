"""OCPP 2.0.1, CSMS under test, C. Authorization with ISO 15118 contract certificates (2.0.1
Edition 3 Part 6 §3.4, Tables 496-498, TC_C_50-52_CSMS, and the 2025 errata §6.3.7-6.3.9).
The other C cases are in ``test_authorization.py``.

pytest-ocpp plays the Charging Station. Its EV's contract is OCTT's configured one: the eMAID
is ``[tags] emaid`` (type eMAID unless ``[tags.types] emaid`` says otherwise; errata §6.3.7:
"the Charging Station always needs to use an eMAID idToken, which equals the CN of the
configured contract certificate"), the contract certificate chain ``[station]
contract_certificate_chain`` (PEM text or a PEM file path: the contract certificate first, then
its sub-CA(s), optionally the root), by default a bundled test chain under the bundled test
MORootCertificate.

OCTT also runs the OCSP service the CSMS asks in steps 2-3. pytest-ocpp has none: the CSMS asks
the responders the certificates name (their authorityInfoAccess), which the rig provides; that
exchange is outside OCPP and not observed here, so the tool validations of steps 2-3 are not
applied. "The contract certificate is revoked" (TC_C_51_CSMS) is a CSMS setup,
``contract_certificate_revoked`` (the rig makes its OCSP responder say so).
"""

from __future__ import annotations

import binascii
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.certificates import Certificate, configured_pem, pem_blocks
from pytest_ocpp.config import IdTags, OcppConfig
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check
from pytest_ocpp.verdicts import RigError

MAX_HASH_DATA = 4
"""AuthorizeRequest iso15118CertificateHashData: at most 4 entries (schema maxItems)."""

DEFAULT_CONTRACT_CHAIN = """\
-----BEGIN CERTIFICATE-----
MIICLzCCAdSgAwIBAgIISj+SwdfgWxcwCgYIKoZIzj0EAwIwTDEmMCQGA1UECgwd
cHl0ZXN0LW9jcHAgdGVzdCBjZXJ0aWZpY2F0ZXMxIjAgBgNVBAMMGXB5dGVzdC1v
Y3BwIFRlc3QgTU8gU3ViQ0EwIBcNMjAwMTAxMDAwMDAwWhgPMjEyMDAxMDEwMDAw
MDBaMEIxJjAkBgNVBAoMHXB5dGVzdC1vY3BwIHRlc3QgY2VydGlmaWNhdGVzMRgw
FgYDVQQDDA9OTFBZVEMwMDAwMDAwMTAwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC
AAQlQ+UiumDdKPXPeFkMpjlrdrQ/KRtR+Tp9o3FHkbzjbJQoCf7zmWPTXNLC09+c
OQ2S/ai4GG6JsyWZjoPGmxjvo4GnMIGkMAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/
BAQDAgOIMB0GA1UdDgQWBBTA+Hm8PTeBiZK7yTsbc5+ryk+n0DAfBgNVHSMEGDAW
gBQMTere/w1AJEV66qQ0C8Hf9xNhyDBEBggrBgEFBQcBAQQ4MDYwNAYIKwYBBQUH
MAGGKGh0dHA6Ly9vY3NwLnB5dGVzdC1vY3BwLmludmFsaWQvY29udHJhY3QwCgYI
KoZIzj0EAwIDSQAwRgIhAPW3T1ZJChBafihrr1QVqLl54oMn24BcMW5pS/VwS+Bc
AiEA/xvwS9BTFgpfJubWev7p6JGw8HPn1yL5/x98DxwU2+M=
-----END CERTIFICATE-----
-----BEGIN CERTIFICATE-----
MIICQTCCAeegAwIBAgIISj+SwdfgWxYwCgYIKoZIzj0EAwIwVTEmMCQGA1UECgwd
cHl0ZXN0LW9jcHAgdGVzdCBjZXJ0aWZpY2F0ZXMxKzApBgNVBAMMInB5dGVzdC1v
Y3BwIFRlc3QgTU9Sb290Q2VydGlmaWNhdGUwIBcNMjAwMTAxMDAwMDAwWhgPMjEy
MDAxMDEwMDAwMDBaMEwxJjAkBgNVBAoMHXB5dGVzdC1vY3BwIHRlc3QgY2VydGlm
aWNhdGVzMSIwIAYDVQQDDBlweXRlc3Qtb2NwcCBUZXN0IE1PIFN1YkNBMFkwEwYH
KoZIzj0CAQYIKoZIzj0DAQcDQgAEY5RP6tmmRKruz1ZhHDsvME4NtpKtr3fqu8c6
vfo0ZPWqf90F4aUkh6d6S9OLalOQXJTYFI87ehVs8jSTNRia3aOBpzCBpDASBgNV
HRMBAf8ECDAGAQH/AgEAMA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQUDE3q3v8N
QCRFeuqkNAvB3/cTYcgwHwYDVR0jBBgwFoAUpT+Y4w2DdxY909bUGpucsw8bCGkw
PgYIKwYBBQUHAQEEMjAwMC4GCCsGAQUFBzABhiJodHRwOi8vb2NzcC5weXRlc3Qt
b2NwcC5pbnZhbGlkL21vMAoGCCqGSM49BAMCA0gAMEUCIQCEa5MgVddoN8bj9LDL
fNgo8ZbkjwRvDbcM6rzvdTHcSQIgPclgopsl6J2vS8koJcEtAlzR6rSA2OaJObA6
WZYJkeg=
-----END CERTIFICATE-----
-----BEGIN CERTIFICATE-----
MIIB8TCCAZagAwIBAgIUHcYTq1R1NecyZ7fziEj3YaNNg4UwCgYIKoZIzj0EAwIw
VTEmMCQGA1UECgwdcHl0ZXN0LW9jcHAgdGVzdCBjZXJ0aWZpY2F0ZXMxKzApBgNV
BAMMInB5dGVzdC1vY3BwIFRlc3QgTU9Sb290Q2VydGlmaWNhdGUwIBcNMjYxMjA2
MDM1NjA5WhgPMjEyNjExMTIwMzU2MDlaMFUxJjAkBgNVBAoMHXB5dGVzdC1vY3Bw
IHRlc3QgY2VydGlmaWNhdGVzMSswKQYDVQQDDCJweXRlc3Qtb2NwcCBUZXN0IE1P
Um9vdENlcnRpZmljYXRlMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEeI8m0ZUn
IIaE1sozc1M/tMyH7k2VuX+16vyOhq3cHVxiSdD1hk/XFcRRXrM3KK+fxlH6Y8Xc
Yo0i64oRXL3DXaNCMEAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYw
HQYDVR0OBBYEFKU/mOMNg3cWPdPW1BqbnLMPGwhpMAoGCCqGSM49BAMCA0kAMEYC
IQCiwGGpzLQzVwzBZnQhJOhGVgQP9/gy64GaJPS9i+y/pwIhALg802ClSvEkaeBW
xMR7TEwh2+UJtIO3gnlO5HVhEtQT
-----END CERTIFICATE-----
"""
"""``[station] contract_certificate_chain`` when not configured: a contract certificate for
the default eMAID (CN NLPYTC000000010, ECDSA P-256), its MO sub-CA and the bundled test
MORootCertificate; each certificate names an OCSP responder under ``.invalid``."""


@dataclass(frozen=True)
class _Contract:
    """OCTT's configured contract: the eMAID IdTokenType, the certificate chain as the
    ``certificate`` field carries it (PEM, contract certificate first, no root) and its
    iso15118CertificateHashData."""

    id_token: dict[str, str]
    chain_pem: str
    hash_data: list[dict[str, str]]


def _chain_text(ocpp_config: OcppConfig) -> str:
    """``[station] contract_certificate_chain``, else :data:`DEFAULT_CONTRACT_CHAIN`."""
    return configured_pem(ocpp_config, "contract_certificate_chain", DEFAULT_CONTRACT_CHAIN)


def _contract(ocpp_config: OcppConfig, tags: IdTags) -> _Contract:
    """The configured contract, checked for what these cases need: a contract certificate
    with at least one sub-CA (errata 2025-02 §6.3.9) and an OCSP responder in each
    certificate whose issuer is configured (those are the hash data entries)."""
    try:
        chain = [Certificate.parse(block) for block in pem_blocks(_chain_text(ocpp_config))]
    except (ValueError, IndexError, binascii.Error) as exc:
        raise RigError(f"[station] contract_certificate_chain is not readable: {exc}") from None
    issued = [cert for cert in chain if not cert.self_signed]
    if len(issued) < 2:
        raise RigError(
            "[station] contract_certificate_chain needs the contract certificate and at least "
            "one sub-CA (errata 2025-02 §6.3.9)"
        )
    by_subject = {cert.subject: cert for cert in chain}
    hash_data = []
    for cert in issued[:MAX_HASH_DATA]:
        issuer = by_subject.get(cert.issuer)
        if issuer is None:
            continue  # the root is not configured: no issuerKeyHash for this sub-CA
        if not cert.ocsp_urls:
            raise RigError(
                "a certificate of [station] contract_certificate_chain names no OCSP responder "
                "(authorityInfoAccess), which its iso15118CertificateHashData needs"
            )
        hash_data.append(cert.ocsp_request_data(issuer))
    if not hash_data:
        raise RigError(
            "[station] contract_certificate_chain: the sub-CA of the contract is missing"
        )
    token = {"idToken": tags.emaid, "type": tags.types.get("emaid", "eMAID")}
    return _Contract(token, "".join(cert.pem for cert in issued), hash_data)


# -- helpers ---------------------------------------------------------------------------------
def _info(conf: dict[str, Any]) -> dict[str, Any]:
    info = conf.get("idTokenInfo")
    return info if isinstance(info, dict) else {}


@contextlib.asynccontextmanager
async def _ends_idle(station: Station201) -> AsyncIterator[None]:
    """End the transaction the scenario left running (general post-condition); after a
    failure best effort, so the failure's own message stays the verdict."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            await station.leave_idle()
        raise
    step("After: end the transaction and free the connector (idle station for the next case)")
    await station.leave_idle()


def _check_contract_accepted(conf: dict[str, Any], requirement: str) -> None:
    """Step 4 of TC_C_50/C_52: idTokenInfo.status Accepted, certificateStatus Accepted
    (C07.FR.14: a valid chain and an accepted eMAID)."""
    check(
        _info(conf).get("status") == "Accepted",
        f"Step 4: AuthorizeResponse idTokenInfo.status Accepted ({requirement})",
        conf,
    )
    check(
        conf.get("certificateStatus") == "Accepted",
        "Step 4: AuthorizeResponse certificateStatus Accepted (C07.FR.14)",
        conf,
    )


async def _authorized_and_charging(station: Station201, contract: _Contract) -> None:
    """Steps 5-6 and the EnergyTransferStarted that follows: a TransactionEventRequest
    triggerReason Authorized with the eMAID (the table lists no idToken, yet step 6 validates
    the idTokenInfo a CSMS returns only for a request carrying one), eventType Updated as the
    transaction started at EVConnected; then reusable state EnergyTransferStarted."""
    real = station
    step("5. The OCTT sends a TransactionEventRequest (Updated, triggerReason Authorized)")
    conf = await real.transaction_event("Updated", "Authorized", id_token=contract.id_token)
    real.authorized_token = contract.id_token["idToken"]
    real.state = "Authorized"
    step("6. The CSMS responds with a TransactionEventResponse")
    check(
        _info(conf).get("status") == "Accepted",
        "Step 6: TransactionEventResponse idTokenInfo.status Accepted",
        conf,
    )
    step("Execute Reusable State EnergyTransferStarted")
    await station.energy_transfer_started()


# -- C07: authorization using contract certificates ------------------------------------------
@ocpp_case("TC_C_50_CSMS", version="2.0.1")
async def test_tc_c_50_csms(station: Station201, tags: IdTags, ocpp_config: OcppConfig) -> None:
    """The station validated the contract certificate locally and sends the eMAID with the
    chain's OCSP request data (C07.FR.02); the CSMS checks it (C07.FR.05) and accepts the
    contract and the eMAID (C07.FR.04, C07.FR.14). The eMAID idToken is the errata's
    (§6.3.7)."""
    contract = _contract(ocpp_config, tags)
    step("Before: Reusable State EVConnectedPreSession")
    await station.ev_connected_pre_session()
    async with _ends_idle(station):
        step(
            "1. The OCTT sends an AuthorizeRequest with the configured eMAID and the "
            "iso15118CertificateHashData of the configured contract certificate chain"
        )
        conf = await station.call(
            "Authorize",
            {"idToken": contract.id_token, "iso15118CertificateHashData": contract.hash_data},
        )
        step("2-3. The CSMS checks the chain with the OCSP responders (outside OCPP)")
        step("4. The CSMS responds with an AuthorizeResponse")
        _check_contract_accepted(conf, "C07.FR.04")
        await _authorized_and_charging(station, contract)


@ocpp_case("TC_C_51_CSMS", version="2.0.1")
async def test_tc_c_51_csms(
    station: Station201, tags: IdTags, ocpp_config: OcppConfig, csms_operator: CsmsOperator
) -> None:
    """The contract certificate is revoked: the CSMS finds out through OCSP (C07.FR.05) and
    answers certificateStatus CertificateRevoked with idTokenInfo.status Invalid (C07.FR.16).

    Table 497 has no tool validations (it ends after step 4) and its step 3 says the OCSP
    service answers "valid", against its own prerequisite; the case's requirement C07.FR.16
    is what is judged. Its step 1 names the valid idToken: the eMAID is sent, for the reason
    errata §6.3.7 gives for TC_C_50_CSMS (Plug & Charge always presents an eMAID)."""
    contract = _contract(ocpp_config, tags)
    step("Prerequisite: the contract certificate is revoked (CSMS setup)")
    await csms_operator.setup(
        station, "contract_certificate_revoked", True, why="TC_C_51_CSMS prerequisite"
    )
    try:
        step("Before: Reusable State EVConnectedPreSession")
        await station.ev_connected_pre_session()
        async with _ends_idle(station):
            step(
                "1. The OCTT sends an AuthorizeRequest with the configured eMAID and the "
                "iso15118CertificateHashData of the (revoked) contract certificate chain"
            )
            conf = await station.call(
                "Authorize",
                {"idToken": contract.id_token, "iso15118CertificateHashData": contract.hash_data},
            )
            step("2-3. The CSMS checks the chain with the OCSP responders (outside OCPP)")
            step("4. The CSMS responds with an AuthorizeResponse")
            check(
                conf.get("certificateStatus") == "CertificateRevoked",
                "Step 4: AuthorizeResponse certificateStatus CertificateRevoked (C07.FR.16)",
                conf,
            )
            check(
                _info(conf).get("status") == "Invalid",
                "Step 4: AuthorizeResponse idTokenInfo.status Invalid (C07.FR.16)",
                conf,
            )
    finally:
        await csms_operator.setup(station, "contract_certificate_revoked", None)


@ocpp_case("TC_C_52_CSMS", version="2.0.1")
async def test_tc_c_52_csms(station: Station201, tags: IdTags, ocpp_config: OcppConfig) -> None:
    """The station cannot validate the contract certificate and passes the chain in PEM
    (C07.FR.06, CentralContractValidationAllowed); the CSMS computes the OCSP request data
    itself, validates the chain (C07.FR.05) and accepts contract and eMAID (C07.FR.04,
    C07.FR.14).

    The chain sent is the configured one without its root (errata §6.3.8: the certificate from
    OCTT's keystore; §6.3.9: with at least one sub-CA). The idToken is the eMAID, not the
    valid idToken §6.3.8 still names, for the reason §6.3.7 gives (Plug & Charge always
    presents the eMAID, the contract certificate's CN)."""
    contract = _contract(ocpp_config, tags)
    step("Before: Reusable State EVConnectedPreSession")
    await station.ev_connected_pre_session()
    async with _ends_idle(station):
        step(
            "1. The OCTT sends an AuthorizeRequest with the configured eMAID and the contract "
            "certificate chain in certificate (no iso15118CertificateHashData)"
        )
        conf = await station.call(
            "Authorize", {"idToken": contract.id_token, "certificate": contract.chain_pem}
        )
        step("2-3. The CSMS checks the certificate with its OCSP responder (outside OCPP)")
        step("4. The CSMS responds with an AuthorizeResponse")
        _check_contract_accepted(conf, "C07.FR.04, C07.FR.05")
        await _authorized_and_charging(station, contract)
