"""OCPP 2.0.1, CSMS under test, M. ISO 15118 CertificateManagement (2.0.1 Edition 3 Part 6
§3.14; the 2025 errata change none of these CSMS-side tables).

pytest-ocpp plays the Charging Station. "Execute Reusable State X" is one call of the station's
method for X: GetInstalledCertificates (Table 708) and CertificateInstalled (Table 709). The
tables use 2.1 spellings ("GetInstalledCertificatesRequest", "certificateDataChain"); 2.0.1 has
GetInstalledCertificateIds with certificateHashDataChain, which is what is exchanged.

OCTT's "configured certificate of the specified certificateType" is a ``[station]`` key per
type (PEM text, or the path of a PEM file, relative to the config file):
``csms_root_certificate``, ``manufacturer_root_certificate``, ``v2g_root_certificate``,
``mo_root_certificate`` and ``v2g_certificate_chain`` (the V2G Charging Station certificate
first, then its SubCAs). Without them the bundled test certificates of ``pytest_ocpp/data``
are used: EC P-256 certificates made once with ``openssl`` (``test-*-certificate.pem``, valid
until 2126, subjects "pytest-ocpp Test ..."; the chain's SubCAs name the OCSP responder
``http://ocsp.pytest-ocpp.invalid/``). A CSMS that must trust what it installs needs the
team's own certificates configured instead.

The hash data a station reports (CertificateHashDataType, OCSPRequestDataType) is computed
from those certificates as RFC 6960 CertID does: ``issuerNameHash`` over the DER of the
issuer's Name, ``issuerKeyHash`` over the issuer's subjectPublicKey bits, ``serialNumber`` in
hexadecimal; a few lines of DER reading, so no cryptography package is needed.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography.x509 import ocsp

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.certificates import Certificate, configured_pem, pem_blocks
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check
from pytest_ocpp.verdicts import RigError

ROOT_TYPES = (
    "CSMSRootCertificate",
    "ManufacturerRootCertificate",
    "V2GRootCertificate",
    "MORootCertificate",
)
"""The root certificate types of 2.0.1 GetCertificateIdUseEnumType / InstallCertificateUseEnum."""

CHAIN = "V2GCertificateChain"

CERTIFICATE_KEYS: dict[str, tuple[str, str]] = {
    "CSMSRootCertificate": ("csms_root_certificate", "test-csms-root-certificate.pem"),
    "ManufacturerRootCertificate": (
        "manufacturer_root_certificate",
        "test-manufacturer-root-certificate.pem",
    ),
    "V2GRootCertificate": ("v2g_root_certificate", "test-v2g-root-certificate.pem"),
    "MORootCertificate": ("mo_root_certificate", "test-mo-root-certificate.pem"),
    CHAIN: ("v2g_certificate_chain", "test-v2g-certificate-chain.pem"),
}
"""certificateType -> (its ``[station]`` key, the bundled default file in pytest_ocpp/data)."""

HASH_ALGORITHMS = ("SHA256", "SHA384", "SHA512")
"""2.0.1 HashAlgorithmEnumType, in the order TC_M_12/TC_M_20 go through them."""

DEFAULT_SCHEMA_VERSION = "urn:iso:15118:2:2013:MsgDef"
"""``[station] iso15118_schema_version``: the ISO 15118-2 namespace a mock EV speaks."""

DEFAULT_EXI_REQUESTS = {
    "Install": base64.b64encode(b"pytest-ocpp mock EV: CertificateInstallationReq").decode(),
    "Update": base64.b64encode(b"pytest-ocpp mock EV: CertificateUpdateReq").decode(),
}
"""``[station] ev_certificate_install_exi_request`` / ``ev_certificate_update_exi_request``
when not configured: base64 placeholders, not EXI an MO backend could decode (configure the
mock EV's real requests for a CSMS that forwards them to a contract certificate pool)."""


class Truststore:
    """OCTT's truststore: the configured certificate of every type (the chain as PEM text and
    as its parsed certificates, leaf first)."""

    def __init__(self, ocpp_config: OcppConfig) -> None:
        self.pem: dict[str, str] = {}
        self.parsed: dict[str, list[Certificate]] = {}
        for kind, (key, default_file) in CERTIFICATE_KEYS.items():
            text = configured_pem(ocpp_config, key, default_file).strip() + "\n"
            blocks = pem_blocks(text)
            if not blocks:
                raise RigError(f"[station] {key} holds no PEM certificate")
            try:
                self.parsed[kind] = [Certificate.parse(block) for block in blocks]
            except (ValueError, IndexError, binascii.Error) as exc:
                raise RigError(
                    f"[station] {key}: not a readable X.509 certificate: {exc}"
                ) from None
            self.pem[kind] = text if kind == CHAIN else blocks[0]

    def issuer_of(self, certificate: Certificate) -> Certificate:
        """The configured certificate that issued ``certificate`` (itself for a root)."""
        if certificate.issuer == certificate.subject:
            return certificate
        for candidates in self.parsed.values():
            for candidate in candidates:
                if candidate.subject == certificate.issuer:
                    return candidate
        raise RigError(
            "the issuer of a configured certificate is not configured (for the V2G chain: "
            "configure its SubCAs in v2g_certificate_chain and its root in v2g_root_certificate)"
        )

    def hash_chain(self, kind: str, algorithm: str = "SHA256") -> dict[str, Any]:
        """CertificateHashDataChainType of the configured certificate of ``kind``; for the V2G
        chain the SubCAs are its childCertificateHashData (M03.FR.05)."""
        first, *rest = self.parsed[kind]
        entry: dict[str, Any] = {
            "certificateType": kind,
            "certificateHashData": first.hash_data(self.issuer_of(first), algorithm),
        }
        if kind == CHAIN and rest:
            entry["childCertificateHashData"] = [
                sub.hash_data(self.issuer_of(sub), algorithm) for sub in rest
            ]
        return entry

    def ocsp_request_data(self, certificate: Certificate) -> dict[str, str]:
        """OCSPRequestDataType for ``certificate`` (SHA256), its responder from the
        certificate's authorityInfoAccess."""
        try:
            return certificate.ocsp_request_data(self.issuer_of(certificate))
        except ValueError:
            raise RigError(
                "a SubCA of [station] v2g_certificate_chain names no OCSP responder "
                "(authorityInfoAccess); TC_M_24_CSMS needs one"
            ) from None


def _same_hash_data(sent: Any, reported: dict[str, str]) -> bool:
    """Hash data equal up to hex case and a serial number's leading zeros."""
    if not isinstance(sent, dict):
        return False
    return (
        str(sent.get("issuerNameHash", "")).lower() == reported["issuerNameHash"]
        and str(sent.get("issuerKeyHash", "")).lower() == reported["issuerKeyHash"]
        and str(sent.get("serialNumber", "")).lower().lstrip("0")
        == reported["serialNumber"].lstrip("0")
    )


def _ocsp_response_problem(value: Any) -> str | None:
    """None when ``value`` is base64 of one DER OCSPResponse (RFC 6960 §4.2.1) with
    responseStatus successful (and so its responseBytes); else what is wrong with it. Parsed
    by ``cryptography``; the response's signature is the EV's business, not the CSMS's."""
    try:
        der = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        return "not base64"
    try:
        response = ocsp.load_der_ocsp_response(der)
    except ValueError as exc:
        return f"not a DER OCSPResponse ({exc})"
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return (
            f"responseStatus {response.response_status.value} "
            f"({response.response_status.name}), not successful (0)"
        )
    return None


async def _request_or_take(
    station: Station201, csms_operator: CsmsOperator, action: str, payload: dict[str, Any]
) -> IncomingCall:
    """The CSMS's next ``action`` request: one it already sent on its own (a CSMS that runs
    "request the CSMS to send a DeleteCertificateRequest" as GetInstalledCertificateIds then
    DeleteCertificate, in one go), else the one the operator is asked for."""
    for item in station.link.inbox:
        if item.action == action and not item.consumed and not item.replied:
            item.consumed = True
            return item
    return await csms_operator.request(station, action, payload)


# -- M05 Install CA certificate ----------------------------------------------------------------
async def _certificate_installed(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig, kind: str
) -> None:
    store = Truststore(ocpp_config)
    step(f"1. Execute Reusable State CertificateInstalled for certificateType {kind}")
    await station.certificate_installed(csms_operator, kind, store.pem[kind])


@ocpp_case("TC_M_01_CSMS", version="2.0.1")
async def test_tc_m_01_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS installs a CSMS root certificate on the station (M05.FR.01): the configured
    certificate (``[station] csms_root_certificate``) with that type (Table 709)."""
    await _certificate_installed(station, csms_operator, ocpp_config, "CSMSRootCertificate")


@ocpp_case("TC_M_02_CSMS", version="2.0.1")
async def test_tc_m_02_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS installs a Manufacturer root certificate (M05.FR.01; ``[station]
    manufacturer_root_certificate``)."""
    await _certificate_installed(station, csms_operator, ocpp_config, "ManufacturerRootCertificate")


@ocpp_case("TC_M_03_CSMS", version="2.0.1")
async def test_tc_m_03_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS installs a V2G root certificate (M05.FR.01; ``[station]
    v2g_root_certificate``)."""
    await _certificate_installed(station, csms_operator, ocpp_config, "V2GRootCertificate")


@ocpp_case("TC_M_04_CSMS", version="2.0.1")
async def test_tc_m_04_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS installs a Mobility Operator root certificate (M05.FR.01; ``[station]
    mo_root_certificate``)."""
    await _certificate_installed(station, csms_operator, ocpp_config, "MORootCertificate")


@ocpp_case("TC_M_05_CSMS", version="2.0.1")
async def test_tc_m_05_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS takes a failed installation (M05.FR.03: InstallCertificateResponse Failed)
    for an answer. The table has no tool validations: the request arriving, schema-valid, and
    the Failed answer being taken without a CallError or a dropped connection are all that is
    judged. The operator is asked for the configured CSMS root certificate."""
    store = Truststore(ocpp_config)
    kind = "CSMSRootCertificate"
    step(f"1. The CSMS sends an InstallCertificateRequest (manual action: certificateType {kind})")
    request = await csms_operator.request(
        station, "InstallCertificate", {"certificateType": kind, "certificate": store.pem[kind]}
    )
    step("2. The OCTT responds with an InstallCertificateResponse with status Failed")
    await request.reply({"status": "Failed"})


# -- M03 Retrieve certificates -----------------------------------------------------------------
@ocpp_case("TC_M_12_CSMS", version="2.0.1")
async def test_tc_m_12_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS retrieves the installed CSMS root certificates and takes hash data made with
    each hash algorithm 2.0.1 allows: SHA256, SHA384, then SHA512 (M03.FR.01, M03.FR.04)."""
    store = Truststore(ocpp_config)
    kind = "CSMSRootCertificate"
    for number, algorithm in enumerate(HASH_ALGORITHMS, start=1):
        step(
            f"{number}. Execute Reusable State GetInstalledCertificates for certificateType "
            f"{kind}; the OCTT responds with data hashed with {algorithm}"
        )
        await station.get_installed_certificates(
            csms_operator, kind, [store.hash_chain(kind, algorithm)]
        )


async def _get_installed(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig, kind: str
) -> None:
    store = Truststore(ocpp_config)
    step(f"1. Execute Reusable State GetInstalledCertificates for certificateType {kind}")
    await station.get_installed_certificates(csms_operator, kind, [store.hash_chain(kind)])


@ocpp_case("TC_M_13_CSMS", version="2.0.1")
async def test_tc_m_13_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS retrieves the installed Manufacturer root certificates (M03.FR.01)."""
    await _get_installed(station, csms_operator, ocpp_config, "ManufacturerRootCertificate")


@ocpp_case("TC_M_14_CSMS", version="2.0.1")
async def test_tc_m_14_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS retrieves the installed V2G root certificates (M03.FR.01)."""
    await _get_installed(station, csms_operator, ocpp_config, "V2GRootCertificate")


@ocpp_case("TC_M_15_CSMS", version="2.0.1")
async def test_tc_m_15_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS retrieves the V2G certificate chain: the V2G Charging Station certificate's
    hash data with its SubCAs as childCertificateHashData (M03.FR.01, M03.FR.05)."""
    await _get_installed(station, csms_operator, ocpp_config, CHAIN)


@ocpp_case("TC_M_16_CSMS", version="2.0.1")
async def test_tc_m_16_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS retrieves the installed MO root certificates (M03.FR.01)."""
    await _get_installed(station, csms_operator, ocpp_config, "MORootCertificate")


@ocpp_case("TC_M_17_CSMS", version="2.0.1")
async def test_tc_m_17_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS retrieves the CSMS and Manufacturer root certificates in one request
    (M03.FR.01: certificateType is a list): reusable state GetInstalledCertificates "for
    certificateType CSMSRootCertificate AND ManufacturerRootCertificate"."""
    store = Truststore(ocpp_config)
    kinds = ["CSMSRootCertificate", "ManufacturerRootCertificate"]
    step("1. Execute Reusable State GetInstalledCertificates for both certificate types")
    await station.get_installed_certificates(
        csms_operator, kinds, [store.hash_chain(kind) for kind in kinds]
    )


@ocpp_case("TC_M_18_CSMS", version="2.0.1")
async def test_tc_m_18_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS asks for every installed certificate at once: a GetInstalledCertificateIds
    request without certificateType (M03.FR.01), answered with the hash data of every
    certificate of the truststore (the four roots and the V2G chain)."""
    store = Truststore(ocpp_config)
    step("1. The CSMS sends a GetInstalledCertificateIdsRequest (manual action: no type)")
    request = await csms_operator.request(station, "GetInstalledCertificateIds", {})
    step("2. The OCTT responds Accepted with the hash data of all its certificates")
    chains = [store.hash_chain(kind) for kind in (*ROOT_TYPES, CHAIN)]
    await request.reply({"status": "Accepted", "certificateHashDataChain": chains})
    check(
        "certificateType" not in request.payload,
        "Step 1: GetInstalledCertificateIdsRequest certificateType is omitted",
        request.payload,
    )


@ocpp_case("TC_M_19_CSMS", version="2.0.1")
async def test_tc_m_19_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS takes "no matching certificate" for an answer (M03.FR.02: status NotFound,
    certificateHashDataChain omitted) to a request for Manufacturer root certificates."""
    kind = "ManufacturerRootCertificate"
    step(f"1. The CSMS sends a GetInstalledCertificateIdsRequest (manual action: {kind})")
    request = await csms_operator.request(
        station, "GetInstalledCertificateIds", {"certificateType": [kind]}
    )
    step("2. The OCTT responds with status NotFound, certificateHashDataChain omitted")
    await request.reply({"status": "NotFound"})
    check(
        request.payload.get("certificateType") == [kind],
        f"Step 1: GetInstalledCertificateIdsRequest certificateType is {kind}",
        request.payload,
    )


# -- M04 Delete a certificate ------------------------------------------------------------------
async def _delete_csms_root(
    station: Station201,
    csms_operator: CsmsOperator,
    store: Truststore,
    algorithm: str,
    answer: str,
    first: int,
) -> None:
    """Manual action "request the CSMS to send a DeleteCertificateRequest": the CSMS first
    asks for the installed certificates (step ``first``), answered Accepted with the CSMS root
    hashed with ``algorithm``, then deletes it (step ``first`` + 2), answered ``answer``.

    Validations: the GetInstalledCertificateIds certificateType contains CSMSRootCertificate
    or is omitted; the DeleteCertificateRequest names the reported certificate with the
    reported hashAlgorithm (M04.FR.07)."""
    kind = "CSMSRootCertificate"
    chain = store.hash_chain(kind, algorithm)
    reported = chain["certificateHashData"]
    step(f"{first}. The CSMS sends a GetInstalledCertificateIdsRequest (manual action: delete)")
    listing = await csms_operator.request(
        station, "GetInstalledCertificateIds", {"certificateType": [kind]}
    )
    step(f"{first + 1}. The OCTT responds Accepted: {kind} hashed with {algorithm}")
    await listing.reply({"status": "Accepted", "certificateHashDataChain": [chain]})
    types = listing.payload.get("certificateType")
    check(
        types is None or kind in types,
        f"Step {first}: GetInstalledCertificateIdsRequest certificateType contains {kind} or "
        "is omitted",
        listing.payload,
    )
    step(f"{first + 2}. The CSMS sends a DeleteCertificateRequest")
    request = await _request_or_take(
        station, csms_operator, "DeleteCertificate", {"certificateHashData": reported}
    )
    step(f"{first + 3}. The OCTT responds with a DeleteCertificateResponse with status {answer}")
    await request.reply({"status": answer})
    sent = request.payload.get("certificateHashData")
    check(
        isinstance(sent, dict) and sent.get("hashAlgorithm") == algorithm,
        f"Step {first + 2}: DeleteCertificateRequest certificateHashData.hashAlgorithm "
        f"{algorithm}, the one of the hash data returned at step {first + 1} (M04.FR.07)",
        request.payload,
    )
    check(
        _same_hash_data(sent, reported),
        f"Step {first + 2}: DeleteCertificateRequest certificateHashData is the certificate "
        f"returned at step {first + 1} (issuerNameHash, issuerKeyHash, serialNumber {reported})",
        request.payload,
    )


@ocpp_case("TC_M_20_CSMS", version="2.0.1")
async def test_tc_m_20_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS deletes an installed certificate, naming it with the hash data and hash
    algorithm the station reported (M04.FR.01, M04.FR.07), for each of SHA256, SHA384 and
    SHA512 (the table's note: steps 1-5 repeated per algorithm).

    A CSMS that sends the DeleteCertificateRequest on its own right after the
    GetInstalledCertificateIdsResponse (one manual action for both, as the table has it) is
    served that request; otherwise the operator is asked for it."""
    store = Truststore(ocpp_config)
    kind = "CSMSRootCertificate"
    for algorithm in HASH_ALGORITHMS:
        step(f"1. CertificateInstalled with certificateType {kind} (round {algorithm})")
        await station.certificate_installed(csms_operator, kind, store.pem[kind])
        await _delete_csms_root(station, csms_operator, store, algorithm, "Accepted", 2)


@ocpp_case("TC_M_21_CSMS", version="2.0.1")
async def test_tc_m_21_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS takes a failed deletion for an answer (M04.FR.01: DeleteCertificateResponse
    Failed), after naming the certificate with the reported hash data (M04.FR.07)."""
    store = Truststore(ocpp_config)
    kind = "CSMSRootCertificate"
    step(f"Before: Reusable State CertificateInstalled with certificateType {kind}")
    await station.certificate_installed(csms_operator, kind, store.pem[kind])
    await _delete_csms_root(station, csms_operator, store, "SHA256", "Failed", 1)


# -- M06 Get Charging Station Certificate status -----------------------------------------------
@ocpp_case("TC_M_24_CSMS", version="2.0.1")
async def test_tc_m_24_csms(station: Station201, ocpp_config: OcppConfig) -> None:
    """The CSMS provides the OCSP status of the station's V2G SubCA certificates
    (M06.FR.01-03, .08, .09): for each SubCA of the configured chain a
    GetCertificateStatusRequest (SHA256 CertID, the SubCA's OCSP responder), answered Accepted
    with a base64 DER OCSPResponse whose responseStatus is successful (M06.FR.02: Accepted
    means the OCSP status was retrieved)."""
    store = Truststore(ocpp_config)
    sub_cas = store.parsed[CHAIN][1:]
    if not sub_cas:
        raise RigError("[station] v2g_certificate_chain holds no SubCA certificate")
    for index, sub_ca in enumerate(sub_cas, start=1):
        step(f"1. The OCTT sends a GetCertificateStatusRequest for SubCA {index} of the chain")
        conf = await station.call(
            "GetCertificateStatus", {"ocspRequestData": store.ocsp_request_data(sub_ca)}
        )
        step("2. The CSMS responds with a GetCertificateStatusResponse")
        check(
            conf.get("status") == "Accepted",
            "Step 2: GetCertificateStatusResponse status Accepted (M06.FR.02)",
            conf,
        )
        problem = _ocsp_response_problem(conf.get("ocspResult"))
        check(
            problem is None,
            "Step 2: GetCertificateStatusResponse ocspResult an OCSPResponse (IETF RFC 6960), "
            "DER encoded, then base64 encoded (M06.FR.03, M06.FR.08, M06.FR.09)",
            f"{problem}: {conf}",
        )


# -- M01/M02 Certificate installation / update EV ----------------------------------------------
async def _get_15118_ev_certificate(
    station: Station201, ocpp_config: OcppConfig, action: str
) -> None:
    """The mock EV's request forwarded (``[station] iso15118_schema_version`` and
    ``ev_certificate_<action>_exi_request``); the CSMS returns the raw response."""
    extra = ocpp_config.station.extra
    exi = str(extra.get(f"ev_certificate_{action.lower()}_exi_request") or "")
    payload = {
        "iso15118SchemaVersion": str(extra.get("iso15118_schema_version", DEFAULT_SCHEMA_VERSION)),
        "action": action,
        "exiRequest": exi or DEFAULT_EXI_REQUESTS[action],
    }
    step(f"1. The OCTT sends a Get15118EVCertificateRequest with action {action}")
    conf = await station.call("Get15118EVCertificate", payload)
    step("2. The CSMS responds with a Get15118EVCertificateResponse")
    check(
        conf.get("status") == "Accepted",
        "Step 2: Get15118EVCertificateResponse status Accepted",
        conf,
    )
    exi_response = conf.get("exiResponse", "")
    try:
        decoded = base64.b64decode(str(exi_response), validate=True)
    except binascii.Error:
        decoded = b""
    check(
        bool(decoded),
        "Step 2: Get15118EVCertificateResponse exiResponse the raw CertificateInstallationRes "
        "for the EV, Base64 encoded",
        conf,
    )


@ocpp_case("TC_M_26_CSMS", version="2.0.1")
async def test_tc_m_26_csms(station: Station201, ocpp_config: OcppConfig) -> None:
    """The CSMS returns the EV's certificate installation response (M01.FR.01: the station
    forwards the EV's CertificateInstallationReq with action Install). Only the form of
    exiResponse is judged: whether it is a valid EXI CertificateInstallationRes is up to the
    EV and the contract certificate pool behind the CSMS."""
    await _get_15118_ev_certificate(station, ocpp_config, "Install")


@ocpp_case("TC_M_28_CSMS", version="2.0.1")
async def test_tc_m_28_csms(station: Station201, ocpp_config: OcppConfig) -> None:
    """The CSMS returns the EV's certificate update response (M02.FR.01: action Update; the
    table names the response "CertificateInstallationRes", as the EV's CertificateUpdateRes
    travels the same way)."""
    await _get_15118_ev_certificate(station, ocpp_config, "Update")
