"""Station-side states of OCPP 2.0.1 Part 6 §2.18/§2.19 for one concern: the certificate
states: Authorized15118 (Table 429), GetInstalledCertificates (Table 438), Memory States
CertificateInstalled (Table 442), RenewChargingStationCertificate (Table 446, errata 2025-09
§6.2.122/123) and RenewV2GChargingStationCertificate (Table 447).

One method per table, performing the table's own tool validations, used by every case that
names the state (a state written twice drifts). Mixed into
:class:`~pytest_ocpp.csms.v201.FakeCsms201` beside :class:`~pytest_ocpp.csms.states201.StationStates201`.

The certificates are OCTT's "configured" ones: ``[station]`` keys (PEM text or a PEM file
path, see :func:`pytest_ocpp.certificates.configured_pem`): ``csms_root_certificate`` (with
``csms_root_private_key`` to sign the Charging Station certificate), ``manufacturer_root_
certificate``, ``v2g_root_certificate``, ``mo_root_certificate`` and, to sign V2G Charging
Station certificates, ``v2g_sub_ca_certificates`` (SubCA2 first, then SubCA1) with
``v2g_sub_ca_private_key``. Unconfigured, the real test PKI of :mod:`pytest_ocpp.pki` is
generated for the run. A station that uses security profile 3 must be given its own CSMS root
and key: RenewChargingStationCertificate replaces its client certificate.

Post-conditions: a certificate CertificateInstalled installs is deleted when the next case
starts (``after_case``) unless the station already had it (checked with
GetInstalledCertificateIds before installing a configured certificate; a generated one is new
by construction). A renewed Charging Station certificate cannot be deleted (M04.FR.06).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pytest_ocpp.case import step
from pytest_ocpp.certificates import Certificate, configured_pem, pem_blocks
from pytest_ocpp.verdicts import TargetTimeout, check, not_applicable

if TYPE_CHECKING:
    from pytest_ocpp.csms.base import StationConnection
    from pytest_ocpp.link import IncomingCall
    from pytest_ocpp.pki import Authority

ROOT_KEYS: dict[str, str] = {
    "CSMSRootCertificate": "csms_root_certificate",
    "ManufacturerRootCertificate": "manufacturer_root_certificate",
    "V2GRootCertificate": "v2g_root_certificate",
    "MORootCertificate": "mo_root_certificate",
}
"""InstallCertificateUseEnumType → its ``[station]`` key (OCTT's configured certificate)."""

CERTIFICATE_ID_USES = (
    "V2GRootCertificate",
    "MORootCertificate",
    "CSMSRootCertificate",
    "V2GCertificateChain",
    "ManufacturerRootCertificate",
)
"""2.0.1 GetCertificateIdUseEnumType."""

SCHEMA_VERSION = "urn:iso:15118:2:2013:MsgDef"


def matches(
    hash_data: Mapping[str, Any], certificate_pem: str, issuer_pem: str | None = None
) -> bool:
    """``hash_data`` (CertificateHashDataType, in the algorithm it names) identifies the
    certificate ``certificate_pem`` issued by ``issuer_pem`` (itself when None: a root)."""
    certificate = Certificate.parse(certificate_pem)
    issuer = Certificate.parse(issuer_pem) if issuer_pem else certificate
    algorithm = str(hash_data.get("hashAlgorithm", ""))
    if algorithm not in ("SHA256", "SHA384", "SHA512"):
        return False
    expected = certificate.hash_data(issuer, algorithm)
    try:
        serial = int(str(hash_data.get("serialNumber", "")), 16)
    except ValueError:
        return False
    return (
        str(hash_data.get("issuerNameHash", "")).lower() == expected["issuerNameHash"]
        and str(hash_data.get("issuerKeyHash", "")).lower() == expected["issuerKeyHash"]
        and serial == certificate.serial
    )


def hash_data(certificate_pem: str, issuer_pem: str | None = None) -> dict[str, str]:
    """CertificateHashDataType (SHA256) of a certificate (a root when ``issuer_pem`` is None)."""
    certificate = Certificate.parse(certificate_pem)
    issuer = Certificate.parse(issuer_pem) if issuer_pem else certificate
    return certificate.hash_data(issuer)


def subject_of(pem: str) -> str:
    from pytest_ocpp.pki import load_certificates

    return load_certificates(pem)[0].subject.rfc4514_string()


class CertificateStates201:
    """Mixin of :class:`~pytest_ocpp.csms.v201.FakeCsms201`."""

    config: Any
    state: str | None
    session_authorized: bool
    auth_mark: int
    after_case: Callable[..., None]
    get_variable: Callable[..., Any]
    configure: Callable[..., Any]
    evse: int

    # -- the configured certificates ------------------------------------------------------
    def configured_certificate(self, certificate_type: str) -> str:
        """OCTT's configured certificate of an InstallCertificateUse type (PEM)."""
        from pytest_ocpp.pki import generated_pki

        generated = {
            "CSMSRootCertificate": generated_pki().csms_root,
            "ManufacturerRootCertificate": generated_pki().manufacturer_root,
            "V2GRootCertificate": generated_pki().v2g_root,
            "MORootCertificate": generated_pki().mo_root,
        }[certificate_type]
        return configured_pem(self.config, ROOT_KEYS[certificate_type], generated.pem)

    def is_configured(self, certificate_type: str) -> bool:
        return ROOT_KEYS.get(certificate_type, "") in self.config.station.extra

    def csms_root_authority(self) -> Authority:
        """The CSMS root that signs Charging Station certificates (Table 446)."""
        from pytest_ocpp.pki import Authority, generated_pki, load_certificates, load_key

        if not self.is_configured("CSMSRootCertificate"):
            return generated_pki().csms_root
        key = self.config.station.extra.get("csms_root_private_key")
        if not key:
            raise not_applicable(
                "[station] csms_root_certificate is configured without csms_root_private_key: "
                "the Charging Station certificate cannot be signed (RenewChargingStationCertificate)"
            )
        certificate = load_certificates(self.configured_certificate("CSMSRootCertificate"))[0]
        return Authority(
            certificate, load_key(configured_pem(self.config, "csms_root_private_key", ""))
        )

    def v2g_authority(self) -> Authority:
        """SubCA2 (or SubCA) of the provided V2G chain, which signs V2G Charging Station
        certificates (Table 447), with the sub-CAs above it."""
        from pytest_ocpp.pki import Authority, generated_pki, load_certificates, load_key

        extra = self.config.station.extra
        if "v2g_sub_ca_certificates" not in extra and not self.is_configured("V2GRootCertificate"):
            return generated_pki().v2g_sub_ca2
        if "v2g_sub_ca_certificates" not in extra or "v2g_sub_ca_private_key" not in extra:
            raise not_applicable(
                "[station] v2g_sub_ca_certificates and v2g_sub_ca_private_key are needed to sign "
                "the V2G Charging Station certificate (RenewV2GChargingStationCertificate)"
            )
        chain = load_certificates(configured_pem(self.config, "v2g_sub_ca_certificates", ""))
        root = load_certificates(self.configured_certificate("V2GRootCertificate"))[0]
        key = load_key(configured_pem(self.config, "v2g_sub_ca_private_key", ""))
        return Authority(chain[0], key, (*chain[1:], root))

    # -- Memory State CertificateInstalled (Table 442) ------------------------------------
    async def certificate_installed(
        self, sut: StationConnection, certificate_type: str, certificate: str | None = None
    ) -> str:
        """CertificateInstalled (Table 442): InstallCertificateRequest with the specified
        certificateType and the corresponding (configured) certificate, answered Accepted.
        Returns the PEM installed; the next case deletes it again (see the module docstring)."""
        pem = certificate or self.configured_certificate(certificate_type)
        present = False
        if certificate is None and self.is_configured(certificate_type):
            listed = await sut.link.call(
                "GetInstalledCertificateIds",
                {"certificateType": [certificate_type]},
                allow_error=True,
            )
            present = any(
                matches(item.get("certificateHashData") or {}, pem)
                for item in listed.get("certificateHashDataChain") or []
            )
        step(
            f"CertificateInstalled 1. The OCTT sends an InstallCertificateRequest {certificate_type}"
        )
        answer = await sut.call(
            "InstallCertificate", {"certificateType": certificate_type, "certificate": pem}
        )
        check(
            answer.get("status") == "Accepted",
            f"CertificateInstalled step 2: InstallCertificateResponse status Accepted "
            f"({certificate_type})",
            answer,
        )
        if not present:
            data = hash_data(pem)
            self.after_case(
                f"{certificate_type} {subject_of(pem)} installed",
                lambda s: self.delete_quietly(s, data),
            )
        return pem

    async def delete_quietly(self, sut: StationConnection, data: Mapping[str, str]) -> None:
        """A post-condition: DeleteCertificateRequest, whatever the answer (a case may have
        deleted it already)."""
        await sut.link.call(
            "DeleteCertificate", {"certificateHashData": dict(data)}, allow_error=True
        )

    # -- Reusable State GetInstalledCertificates (Table 438) ------------------------------
    async def get_installed_certificates(
        self,
        sut: StationConnection,
        certificate_types: Sequence[str] | None,
        *,
        certificates: Mapping[str, str | tuple[str, str]] | None = None,
    ) -> list[dict[str, Any]]:
        """GetInstalledCertificates (Table 438): GetInstalledCertificateIdsRequest with the
        specified certificateType(s) (``None``: omitted), answered status Accepted with, per
        type, an entry of that certificateType whose certificateHashData is the configured
        certificate's. ``certificates`` overrides what is looked for (type → PEM, or (PEM,
        issuer PEM) for a certificate that is not a root; ``{}``: only the status); by
        default the configured certificate of each root type asked for. Returns
        certificateHashDataChain."""
        payload: dict[str, Any] = {}
        if certificate_types is not None:
            payload["certificateType"] = list(certificate_types)
        if certificates is None:
            certificates = {
                t: self.configured_certificate(t) for t in certificate_types or () if t in ROOT_KEYS
            }
        named = ", ".join(certificate_types) if certificate_types else "omitted"
        step(
            f"GetInstalledCertificates 1. GetInstalledCertificateIdsRequest certificateType {named}"
        )
        answer = await sut.call("GetInstalledCertificateIds", payload)
        check(
            answer.get("status") == "Accepted",
            "GetInstalledCertificates step 2: GetInstalledCertificateIdsResponse status Accepted",
            answer,
        )
        chain: list[dict[str, Any]] = list(answer.get("certificateHashDataChain") or [])
        for kind, wanted in certificates.items():
            pem, issuer = wanted if isinstance(wanted, tuple) else (wanted, None)
            check(
                any(
                    item.get("certificateType") == kind
                    and matches(item.get("certificateHashData") or {}, pem, issuer)
                    for item in chain
                ),
                f"GetInstalledCertificates step 2: certificateHashDataChain has an entry with "
                f"certificateType {kind} and the certificateHashData of the configured "
                f"certificate ({subject_of(pem)}; M03.FR.04)",
                answer,
            )
        return chain

    # -- Memory State RenewChargingStationCertificate (Table 446) ------------------------
    async def renew_charging_station_certificate(self, sut: StationConnection) -> str:
        """RenewChargingStationCertificate (Table 446, A02): TriggerMessageRequest
        SignChargingStationCertificate, Accepted; SignCertificateRequest with a PEM PKCS#10
        csr (RSA/DSA at least 2048 bits, EC at least 224), answered Accepted;
        CertificateSignedRequest with the certificate made from that CSR, signed by the
        charging station operator sub-CA of the configured CSMS root (the sub-CA in the chain,
        :meth:`station_certificate_authority`), certificateType ChargingStationCertificate,
        answered Accepted. Returns the chain sent (PEM). Steps 7-9 of the errata (the station
        reconnects with its new client certificate) concern a TLS connection with a client
        certificate (security profile 3); the fake CSMS serves ws://, so no reconnection is
        awaited."""
        from pytest_ocpp.pki import csr_problems, sign_csr

        authority = self.station_certificate_authority()  # type: ignore[attr-defined]
        request = await self._sign_request(
            sut,
            {"requestedMessage": "SignChargingStationCertificate"},
            "RenewChargingStationCertificate",
        )
        csr = str(request.payload.get("csr", ""))
        problems = csr_problems(csr, v2g=False)
        # Step 4 before step 3's verdict: a request left unanswered would hold the station's
        # message queue and fail the next case too.
        await request.reply({"status": "Accepted"})
        check(
            not problems,
            "RenewChargingStationCertificate step 3: SignCertificateRequest csr is a PEM encoded "
            "RFC 2986 request with an RSA/DSA key of at least 2048 bits or an EC key of at "
            "least 224 bits" + (f": {'; '.join(problems)}" if problems else ""),
            request.payload,
        )
        chain = sign_csr(csr, authority)
        step(
            "RenewChargingStationCertificate 5. CertificateSignedRequest certificateType "
            "ChargingStationCertificate"
        )
        answer = await sut.call(
            "CertificateSigned",
            {"certificateChain": chain, "certificateType": "ChargingStationCertificate"},
        )
        check(
            answer.get("status") == "Accepted",
            "RenewChargingStationCertificate step 6: CertificateSignedResponse status Accepted",
            answer,
        )
        return chain

    async def _sign_request(
        self, sut: StationConnection, trigger: dict[str, Any], state: str
    ) -> IncomingCall:
        """Steps 1-3 of Tables 446/447: the trigger, Accepted, the SignCertificateRequest
        (claimed before the trigger: a fast station sends it right behind its answer)."""
        claim = asyncio.ensure_future(sut.expect_call("SignCertificate"))
        await asyncio.sleep(0)
        try:
            step(f"{state} 1. TriggerMessageRequest requestedMessage {trigger['requestedMessage']}")
            answer = await sut.call("TriggerMessage", trigger)
            check(
                answer.get("status") == "Accepted",
                f"{state} step 2: TriggerMessageResponse status Accepted",
                answer,
            )
            step(f"{state} 3. The Charging Station sends a SignCertificateRequest")
            return await claim
        finally:
            claim.cancel()

    # -- Memory State RenewV2GChargingStationCertificate (Table 447) ---------------------
    async def secc_ids(self, sut: StationConnection) -> list[tuple[int | None, str]]:
        """ "OCTT will check all configured ISO15118Ctrlr.SeccId's using a GetBaseReportRequest":
        (EVSE id or None, SeccId) of every ISO15118Ctrlr reporting one (FullInventory)."""
        request_id = 15118
        mark = sut.mark()
        step("RenewV2GChargingStationCertificate: GetBaseReportRequest FullInventory (SeccIds)")
        answer = await sut.call(
            "GetBaseReport", {"requestId": request_id, "reportBase": "FullInventory"}
        )
        check(
            answer.get("status") == "Accepted",
            "RenewV2GChargingStationCertificate: GetBaseReportResponse status Accepted",
            answer,
        )
        found: list[tuple[int | None, str]] = []
        seen = 0
        while True:
            page = await sut.wait_for(
                "NotifyReport",
                lambda p: p.get("requestId") == request_id,
                since=mark,
                describe=f"NotifyReportRequest page {seen} of requestId {request_id}",
            )
            seen += 1
            for entry in page.payload.get("reportData") or []:
                component = entry.get("component") or {}
                if component.get("name") != "ISO15118Ctrlr":
                    continue
                if (entry.get("variable") or {}).get("name") != "SeccId":
                    continue
                for attribute in entry.get("variableAttribute") or []:
                    if attribute.get("type", "Actual") == "Actual" and attribute.get("value"):
                        found.append(((component.get("evse") or {}).get("id"), attribute["value"]))
            if not page.payload.get("tbc", False):
                return found

    async def renew_v2g_charging_station_certificate(
        self, sut: StationConnection
    ) -> list[tuple[int | None, str]]:
        """RenewV2GChargingStationCertificate (Table 447, A02 for ISO 15118): configuration
        (per ISO15118Ctrlr with a SeccId, where implemented: V2GCertificateInstallationEnabled
        true, CountryName NL, OrganizationName the configured vendor), then for every SeccId
        (or once, evse omitted, when none): TriggerMessageRequest SignV2GCertificate for its
        EVSE, Accepted; SignCertificateRequest with a PEM PKCS#10 csr with an EC key of at
        least 256 bits (ISO 15118 cannot use RSA) naming the SeccId as CN, answered Accepted;
        CertificateSignedRequest with the certificate made from it, signed by the V2G SubCA2,
        and the sub-CAs, certificateType V2GCertificate, answered Accepted. Returns
        (evse, chain PEM) per certificate."""
        from pytest_ocpp.pki import OCSP_URL, csr_common_name, csr_problems, sign_csr

        authority = self.v2g_authority()
        seccs = await self.secc_ids(sut)
        settings = {
            "V2GCertificateInstallationEnabled": "true",
            "CountryName": "NL",
            "OrganizationName": self.config.station.vendor,
        }
        for evse in {e for e, _ in seccs} or {None}:
            where = "ISO15118Ctrlr" + (f"({evse})" if evse is not None else "")
            for name, value in settings.items():
                text = f"{where}.{name}"
                current = await self.get_variable(sut, text)
                if current is not None and current != value:
                    await self.configure(sut, {text: value})
        chains: list[tuple[int | None, str]] = []
        for evse, secc in seccs or [(None, "")]:
            trigger: dict[str, Any] = {"requestedMessage": "SignV2GCertificate"}
            if evse is not None:
                trigger["evse"] = {"id": evse}
            request = await self._sign_request(sut, trigger, "RenewV2GChargingStationCertificate")
            csr = str(request.payload.get("csr", ""))
            problems = csr_problems(csr, v2g=True)
            if not problems and secc and csr_common_name(csr) != secc:
                problems.append(f"its CN is {csr_common_name(csr)!r}, not the SeccId {secc!r}")
            await request.reply({"status": "Accepted"})  # step 4 (see above)
            check(
                not problems,
                "RenewV2GChargingStationCertificate step 3: SignCertificateRequest csr is a PEM "
                "encoded RFC 2986 request with an EC key of at least 256 bits and the SeccId as "
                "CN" + (f": {'; '.join(problems)}" if problems else ""),
                request.payload,
            )
            chain = sign_csr(csr, authority, ocsp_url=OCSP_URL)
            step("RenewV2GChargingStationCertificate 5. CertificateSignedRequest V2GCertificate")
            answer = await sut.call(
                "CertificateSigned",
                {"certificateChain": chain, "certificateType": "V2GCertificate"},
            )
            check(
                answer.get("status") == "Accepted",
                "RenewV2GChargingStationCertificate step 6: CertificateSignedResponse status "
                "Accepted",
                answer,
            )
            chains.append((evse, chain))
            leaf, issuer = pem_blocks(chain)[:2]
            data = hash_data(leaf, issuer)
            self.after_case(
                f"V2G Charging Station certificate {secc or evse} installed",
                lambda s, d=data: self.delete_quietly(s, d),
            )
        return chains

    # -- Reusable State Authorized15118 (Table 429) ----------------------------------------
    async def authorized15118(
        self, sut: StationConnection, operator: Any, *, pnc: bool = True
    ) -> IncomingCall:
        """Authorized15118 (Table 429), B (``pnc``, Plug & Charge: the EV starts ISO 15118 with
        its contract) or A (EIM: the operator presents the configured valid idToken): the
        station sends an AuthorizeRequest (a GetCertificateStatusRequest before it gets the
        fake CSMS's answer), answered idTokenInfo.status Accepted. Returns the request."""
        claim = asyncio.ensure_future(sut.expect_call("Authorize"))
        await asyncio.sleep(0)
        self.auth_mark = sut.mark()
        try:
            if pnc:
                step("Authorized15118: manual action: the EV starts ISO 15118 Plug & Charge")
                await operator.perform(
                    "start_iso15118", evse_id=self.evse, contract=self.config.tags.emaid
                )
            else:
                token = self.config.tags.valid
                step("Authorized15118: manual action: present idToken (EIM)")
                await operator.perform(
                    "present_id_token",
                    id_token=token,
                    type=self.config.tags.type_of(token),
                    evse_id=self.evse,
                )
            step("Authorized15118 1. The Charging Station sends an AuthorizeRequest")
            request = await claim
        finally:
            claim.cancel()
        step("Authorized15118 2. The OCTT responds idTokenInfo.status Accepted")
        await request.reply({"idTokenInfo": {"status": "Accepted"}})
        self.session_authorized = True
        self.state = "Authorized15118"
        return request


@contextlib.contextmanager
def answering_certificate_status(
    sut: StationConnection, status: str, issuers: Sequence[Authority] = ()
) -> Any:
    """While active, GetCertificateStatusRequests are answered ``status``: Accepted with a
    real OCSP response (RFC 6960, "good", signed by the issuer, DER, base64) when the request
    names a certificate one of ``issuers`` issued, else Failed (M06.FR.02-04, .08-.09)."""
    from pytest_ocpp.pki import ocsp_response

    def answer(call: Any) -> dict[str, Any]:
        if status != "Accepted":
            return {"status": status}
        data = call.payload.get("ocspRequestData") or {}
        for issuer in issuers:
            try:
                result = ocsp_response(data, issuer)
            except (KeyError, ValueError):
                result = None
            if result is not None:
                return {"status": "Accepted", "ocspResult": result}
        return {"status": "Failed"}

    handlers = sut.link.handlers
    previous = handlers.get("GetCertificateStatus")
    handlers["GetCertificateStatus"] = answer
    try:
        yield
    finally:
        if previous is not None:
            handlers["GetCertificateStatus"] = previous


def exi_placeholder(what: str) -> str:
    """Base64 of a stand-in for an EXI message: the suite has no EXI codec (see the cases)."""
    return base64.b64encode(f"pytest-ocpp: {what}".encode()).decode()


async def absent(
    sut: StationConnection, action: str, *, since: int, timeout: float
) -> IncomingCall | None:
    """The first ``action`` request from ``since`` within ``timeout``, or None."""
    with contextlib.suppress(TargetTimeout):
        return await sut.wait_for(action, since=since, timeout=timeout)
    return None


__all__ = [
    "CERTIFICATE_ID_USES",
    "ROOT_KEYS",
    "CertificateStates201",
    "absent",
    "answering_certificate_status",
    "exi_placeholder",
    "hash_data",
    "matches",
    "pem_blocks",
]
