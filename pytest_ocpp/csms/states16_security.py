"""The fake 1.6 CSMS's side of the Security Whitepaper extension (edition 3), for the
station-side security cases (OCTT 1.6 Tables 88-99): the memory states CertificateInstalled
(Table 114) and RenewChargePointCertificate (Table 115), the Configuration State "CpoName is
<The configured Vendor Name>", the certificate authority the tool plays (A02: it signs the
station's CSR), the answers to the extension's requests (SecurityEventNotification,
LogStatusNotification, SignedFirmwareStatusNotification, SignCertificate) and the security
profile upgrade of TC_083_CS (the main port then serves the higher profile, see
:mod:`pytest_ocpp.csms.profile_relay`).

One method per table, performing the table's own tool validations, used by every case that
names the state. Mixed into :class:`~pytest_ocpp.csms.v16.FakeCsms16`.

OCTT's configured certificates are ``[station]`` keys (PEM text or a PEM file path, see
:func:`pytest_ocpp.certificates.configured_pem`), the same as for 2.0.1:
``csms_root_certificate`` with ``csms_root_private_key`` (the CentralSystemRootCertificate
the cases install, the root of the CA that signs the station's certificate through a
charging station operator sub-CA made under it) and ``manufacturer_root_certificate``;
unconfigured, the test PKI of :mod:`pytest_ocpp.pki`. A station under test that must keep its
renewed certificate across runs needs the configured root and key: a generated root is new in
every run.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from pytest_ocpp import security
from pytest_ocpp.case import step
from pytest_ocpp.certificates import configured_pem
from pytest_ocpp.csms.states201_certificates import hash_data, matches, subject_of
from pytest_ocpp.verdicts import check, not_applicable

if TYPE_CHECKING:
    from pytest_ocpp.config import OcppConfig
    from pytest_ocpp.csms.base import StationConnection
    from pytest_ocpp.link import Handler, IncomingCall
    from pytest_ocpp.pki import Authority
    from pytest_ocpp.trace import Trace

CS_ROOT = "CentralSystemRootCertificate"
MANUFACTURER_ROOT = "ManufacturerRootCertificate"
ROOT_KEYS: dict[str, str] = {
    CS_ROOT: "csms_root_certificate",
    MANUFACTURER_ROOT: "manufacturer_root_certificate",
}
"""1.6 CertificateUseEnumType → its ``[station]`` key (OCTT's configured certificate)."""

FIRMWARE_FINAL = (
    "Installed",
    "DownloadFailed",
    "InstallationFailed",
    "InvalidSignature",
    "InstallVerificationFailed",
)
"""End states of a signed firmware update (Whitepaper FirmwareStatusEnumType)."""


class SecurityStates16:
    """Mixin of :class:`~pytest_ocpp.csms.v16.FakeCsms16`."""

    config: OcppConfig
    host: str
    trace: Trace
    reported: dict[str, str]
    firmware_running: bool
    _transfer_changed: asyncio.Event
    trust_client_ca: Callable[[str], None]
    client_cas: list[str]
    tls_context: ssl.SSLContext | None
    _tls_context: Callable[[], ssl.SSLContext]

    # -- the configured certificates ------------------------------------------------------
    def configured_root(self, certificate_type: str) -> str:
        """OCTT's "<Certificate from the store>" of ``certificate_type`` (PEM)."""
        from pytest_ocpp.pki import generated_pki

        generated = {
            CS_ROOT: generated_pki().csms_root,
            MANUFACTURER_ROOT: generated_pki().manufacturer_root,
        }[certificate_type]
        return configured_pem(self.config, ROOT_KEYS[certificate_type], generated.pem)

    def signing_authority(self) -> Authority:
        """The root of the certificate authority the tool plays (TC_074/077_CS, Table 115),
        what a station must hold as CentralSystemRootCertificate to accept what it signs: the
        configured one and its key, else the generated CSMS root. Station certificates are
        issued one level below, by :meth:`station_operator_authority`."""
        from pytest_ocpp.pki import Authority, generated_pki, load_certificates, load_key

        if ROOT_KEYS[CS_ROOT] not in self.config.station.extra:
            return generated_pki().csms_root
        if "csms_root_private_key" not in self.config.station.extra:
            raise not_applicable(
                "[station] csms_root_certificate is configured without csms_root_private_key: "
                "the tool cannot sign the Charge Point certificate (1.6 Whitepaper A02)"
            )
        certificate = load_certificates(self.configured_root(CS_ROOT))[0]
        key = load_key(configured_pem(self.config, "csms_root_private_key", ""))
        security.protect_secrets(configured_pem(self.config, "csms_root_private_key", ""))
        return Authority(certificate, key)

    def station_operator_authority(self) -> Authority:
        """The charging station operator sub-CA under :meth:`signing_authority` that signs the
        station's CSR (:func:`pytest_ocpp.pki.station_operator_ca`): the Charge Point
        Operator hierarchy of the Whitepaper (§2.6.2), so CertificateSigned.req carries the
        certificate and that sub-CA (§5.1) and the station verifies a path (A02.FR.06)."""
        from pytest_ocpp.pki import station_operator_ca

        return station_operator_ca(self.signing_authority())

    # -- answers to the extension's requests ----------------------------------------------
    def security_handlers(self) -> dict[str, Handler]:
        """A conformant Central System's answers to the station's security requests."""

        def log_status(call: IncomingCall) -> dict[str, Any]:
            self.reported["LogStatusNotification"] = call.payload["status"]
            return {}

        def firmware(call: IncomingCall) -> dict[str, Any]:
            self.reported["SignedFirmwareStatusNotification"] = call.payload["status"]
            if call.payload["status"] in FIRMWARE_FINAL:
                self.firmware_running = False
            self._transfer_changed.set()
            return {}

        return {
            "SecurityEventNotification": lambda call: {},
            "LogStatusNotification": log_status,
            "SignedFirmwareStatusNotification": firmware,
            # A case claims the request it triggered (expect_call); one nobody asked for is
            # accepted and left unsigned, as a CA that is offline would.
            "SignCertificate": lambda call: {"status": "Accepted"},
        }

    # -- Memory State CertificateInstalled (Table 114) ------------------------------------
    async def certificate_installed(
        self, sut: StationConnection, pem: str, certificate_type: str = CS_ROOT
    ) -> bool:
        """CertificateInstalled (Table 114): GetInstalledCertificateIds.req, then
        InstallCertificate.req only when the certificate is not already installed, answered
        Accepted. Returns whether it was installed before (what a clean-up puts back).

        The table asks for status Accepted at step 2; a station with no certificate of the
        type answers NotFound (M03.FR.02), which is tolerated."""
        step(f"CertificateInstalled 1. GetInstalledCertificateIds.req {certificate_type}")
        listed = await sut.call("GetInstalledCertificateIds", {"certificateType": certificate_type})
        check(
            listed.get("status") in ("Accepted", "NotFound"),
            "CertificateInstalled step 2: GetInstalledCertificateIds.conf status Accepted "
            "(NotFound when none is installed, M03.FR.02)",
            listed,
        )
        present = any(matches(item, pem) for item in listed.get("certificateHashData") or [])
        if present:
            step("CertificateInstalled 3. (skipped: the certificate is already installed)")
            return True
        step(f"CertificateInstalled 3. InstallCertificate.req {certificate_type}")
        answer = await sut.call(
            "InstallCertificate", {"certificateType": certificate_type, "certificate": pem}
        )
        check(
            answer.get("status") == "Accepted",
            f"CertificateInstalled step 4: InstallCertificate.conf status Accepted "
            f"({certificate_type} {subject_of(pem)})",
            answer,
        )
        return False

    async def delete_quietly(self, sut: StationConnection, pem: str) -> None:
        """Clean-up: DeleteCertificate.req of a root a case installed, whatever the answer."""
        with contextlib.suppress(Exception):
            await sut.link.call(
                "DeleteCertificate", {"certificateHashData": hash_data(pem)}, allow_error=True
            )

    async def is_installed(self, sut: StationConnection, pem: str, certificate_type: str) -> bool:
        """Whether ``pem`` is installed (GetInstalledCertificateIds, without a step of its own:
        a clean-up's "what to put back")."""
        listed = await sut.link.call(
            "GetInstalledCertificateIds", {"certificateType": certificate_type}, allow_error=True
        )
        return any(matches(item, pem) for item in listed.get("certificateHashData") or [])

    # -- Configuration State CpoName -------------------------------------------------------
    async def cpo_name_configured(self, sut: StationConnection, label: str = "") -> str:
        """Configuration State "CpoName is <The configured Vendor Name>" ([station] vendor);
        the fake CSMS puts the former value back before the next case (OCTT 1.6 §1.3)."""
        name = self.config.station.vendor
        step(f"{label}Before: ChangeConfiguration.req CpoName = {name}")
        answer = await sut.call("ChangeConfiguration", {"key": "CpoName", "value": name})
        check(
            answer.get("status") == "Accepted",
            "Configuration State: ChangeConfiguration.conf status Accepted for CpoName "
            "(1.6 Whitepaper §7.3)",
            answer,
        )
        return name

    # -- certificate signing (A02; TC_074/077_CS, Table 115) ------------------------------
    async def request_csr(self, sut: StationConnection, label: str = "") -> IncomingCall:
        """Steps 1-3 of TC_074/077_CS and Table 115: ExtendedTriggerMessage.req
        SignChargePointCertificate (connectorId omitted), Accepted; the SignCertificate.req
        it triggers (claimed before the trigger: a fast station sends it right behind its
        answer), whose csr is a PEM PKCS#10 request (A02.FR.03) with a key of the sizes
        A00.FR.502/503 ask, O the configured CpoName (§7.3, A00.FR.509) and a CN that is
        not a URL or an IP address (A00.FR.511). The caller answers it (step 4)."""
        from pytest_ocpp.pki import csr_problems

        claim = asyncio.ensure_future(sut.expect_call("SignCertificate"))
        await asyncio.sleep(0)
        try:
            step(
                f"{label}1. ExtendedTriggerMessage.req requestedMessage SignChargePointCertificate"
            )
            answer = await sut.call(
                "ExtendedTriggerMessage", {"requestedMessage": "SignChargePointCertificate"}
            )
            check(
                answer.get("status") == "Accepted",
                f"{label}Step 2: ExtendedTriggerMessage.conf status is Accepted",
                answer,
            )
            step(f"{label}3. The Charge Point sends a SignCertificate.req")
            request = await claim
        finally:
            claim.cancel()
        csr = str(request.payload.get("csr", ""))
        problems = csr_problems(csr, v2g=False)
        if problems:
            await request.reply({"status": "Rejected"})
        check(
            not problems,
            f"{label}Step 3: SignCertificate.req csr is a PEM encoded RFC 2986 request with an "
            "RSA/DSA key of at least 2048 bits or an EC key of at least 224 bits (1.6 "
            "Whitepaper A02.FR.03, A00.FR.502/503)",
            "; ".join(problems),
        )
        subject = _csr_subject(csr)
        wanted = self.config.station.vendor
        serial_like = (
            bool(subject["CN"]) and "://" not in subject["CN"] and not _is_ip(subject["CN"])
        )
        if subject["O"] != wanted or not serial_like:
            await request.reply({"status": "Rejected"})
        check(
            subject["O"] == wanted,
            f"{label}Step 3: the CSR's organizationName (O) is the CpoName set before, "
            f"{wanted!r} (1.6 Whitepaper §7.3 CpoName: 'the CPO name that is to be used in a "
            "CSR'; A00.FR.509)",
            f"O = {subject['O']!r}",
        )
        check(
            serial_like,
            f"{label}Step 3: the CSR's commonName is the Charge Point's serial number, not a URL "
            "or an IP address (A00.FR.511)",
            f"CN = {subject['CN']!r}",
        )
        return request

    async def answer_csr(self, request: IncomingCall, label: str = "") -> None:
        step(f"{label}4. SignCertificate.conf status Accepted")
        await request.reply({"status": "Accepted"})

    def sign(self, csr: str) -> str:
        """[Certificate Authority Server signs the certificate.]: the chain for ``csr`` (the
        certificate, then the sub-CA that issued it); the fake CSMS accepts client
        certificates of that hierarchy from now on (profile 3)."""
        from pytest_ocpp.pki import sign_csr

        self.trust_client_ca(self.signing_authority().pem)
        return sign_csr(csr, self.station_operator_authority())

    def sign_invalid(self, csr: str) -> str:
        """TC_077_CS "<An invalid certificate>": the CSR's subject and key, signed by the
        tool's CA like :meth:`sign` (the sub-CA follows), but its validity ended yesterday
        (A02.FR.06: the station checks at least the validity period): the period is the only
        fault."""
        from cryptography import x509

        from pytest_ocpp.pki import issue, pem

        request = x509.load_pem_x509_csr(csr.encode("ascii"))
        now = datetime.now(timezone.utc)
        operator = self.station_operator_authority()
        certificate = issue(
            request.subject,
            request.public_key(),  # type: ignore[arg-type]
            operator,
            ca=False,
            not_before=now - timedelta(days=30),
            not_after=now - timedelta(days=1),
        )
        return pem(certificate) + operator.pem

    async def certificate_signed(
        self, sut: StationConnection, chain: str, wanted: str, label: str = ""
    ) -> dict[str, Any]:
        """Steps 5-6: CertificateSigned.req with ``chain``, answered ``wanted``."""
        step(f"{label}5. CertificateSigned.req")
        answer = await sut.call("CertificateSigned", {"certificateChain": chain})
        check(
            answer.get("status") == wanted,
            f"{label}Step 6: CertificateSigned.conf status is {wanted}",
            answer,
        )
        return answer

    # -- Memory State RenewChargePointCertificate (Table 115) -----------------------------
    async def renew_charge_point_certificate(self, sut: StationConnection) -> str:
        """RenewChargePointCertificate (Table 115): CpoName configured, ExtendedTriggerMessage
        SignChargePointCertificate Accepted, SignCertificate answered Accepted, the signed
        certificate Accepted. Returns the chain (PEM).

        Prerequisite (A02.FR.06: the station accepts a certificate "part of the Charge Point
        Operator certificate hierarchy"): the tool's CA is one of the station's
        CentralSystemRootCertificates, installed by CertificateInstalled when it is not."""
        label = "[RenewChargePointCertificate] "
        await self.certificate_installed(sut, self.signing_authority().pem)
        await self.cpo_name_configured(sut, label)
        request = await self.request_csr(sut, label)
        await self.answer_csr(request, label)
        chain = self.sign(str(request.payload["csr"]))
        await self.certificate_signed(sut, chain, "Accepted", label)
        return chain

    # -- the security profile upgrade (TC_083_CS) -----------------------------------------
    def transport_root(self) -> str:
        """The root of the fake CSMS's server certificate: the CentralSystemRootCertificate
        a station needs before it may go to profile 2 (A05.FR.03). The generated CA of the run
        (written to --ocpp-tls-ca-out; generated now when the run is at profile 1), or the
        configured ``[station] csms_root_certificate`` with the user's server certificate."""
        tls = self.config.tls
        if tls.server_cert_file and not tls.generated:
            if ROOT_KEYS[CS_ROOT] not in self.config.station.extra:
                raise not_applicable(
                    "the fake CSMS serves your --ocpp-tls-server-cert-file: set [station] "
                    "csms_root_certificate to the root it chains to (the CentralSystemRoot"
                    "Certificate the station needs for a higher profile)"
                )
            return self.configured_root(CS_ROOT)
        with open(self._generated_tls().ca_file, encoding="ascii") as file:
            return file.read()

    def _generated_tls(self) -> Any:
        tls = self.config.tls
        ca_out = tls.ca_out or str(security.default_ca_out())
        hosts = security.server_hosts(self.host, self.config.public_host)
        return security.generated_files(ca_out, hosts, self.config.station_id.split(",")[0])

    def upgrade_context(self, profile: int) -> ssl.SSLContext:
        """The TLS context of the listener for ``profile`` (2: server certificate; 3: also
        client certificates of the configured or generated CA and of the tool's CA). With the
        run's own server certificate it is the main listener's context, certificate switches
        included (TC_086_CS's untrusted certificate)."""
        tls = self.config.tls
        if tls.server_cert_file:
            context = self._tls_context()
            client_ca = tls.ca_file or tls.ca_out
        else:
            files = self._generated_tls()
            pairs = [
                (files.server_cert_file, files.server_key_file),
                (files.server_rsa_cert_file, files.server_rsa_key_file),
            ]
            context = security.server_context(pairs)
            client_ca = files.ca_file
        if profile == 3:
            context.verify_mode = ssl.CERT_OPTIONAL
            if client_ca:
                context.load_verify_locations(client_ca)
            for pem in self.client_cas:
                context.load_verify_locations(cadata=pem)
            self.tls_context = context
        return context


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _csr_subject(csr: str) -> Mapping[str, str]:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    subject = x509.load_pem_x509_csr(csr.encode("ascii")).subject

    def first(oid: Any) -> str:
        values = subject.get_attributes_for_oid(oid)
        return str(values[0].value) if values else ""

    return {"CN": first(NameOID.COMMON_NAME), "O": first(NameOID.ORGANIZATION_NAME)}
