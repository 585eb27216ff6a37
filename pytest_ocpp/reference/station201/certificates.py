"""The reference station's block M ISO 15118 certificate management (install, delete, list,
Get15118EVCertificate, GetCertificateStatus) and the station's certificate signing (A02/A03).

``CertificateHandlers`` holds the ``@on`` handlers (mixed into the ChargePoint of one connection),
``CertificateMixin`` the station-side state and behaviour (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).

Real certificates, with ``cryptography`` (independent of the suite's own DER reader): the
trust store keeps the installed roots (M05; with SecurityCtrlr.AdditionalRootCertificateCheck
a new CSMS root must be signed by the old one, which stays as fallback, M05.FR.09-12), the V2G
chains and the Charging Station certificate; certificateHashData is RFC 6960 CertID (hash of
the issuer's DER name and of its public key bits, serial in hex); TriggerMessage
SignChargingStationCertificate / SignV2GCertificate make a new EC P-256 key and a CSR
(A02.FR.02, ISO 15118: EC only), CertificateSigned accepts only a valid chain for that key
(A02.FR.05-07); a new V2G certificate is followed by GetCertificateStatusRequests for it and
its sub-CAs (M06.FR.07). The EV side (no ISO 15118 stack): the operator action
``ev_certificate_request`` stands for the EV's CertificateInstallationReq/CertificateUpdateReq
(forwarded as Get15118EVCertificateRequest, M01.FR.01/M02.FR.01, the EXI a base64 stand-in)
after which the EV authorizes with Plug & Charge (its eMAID).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID, NameOID
from ocpp.routing import on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from pytest_ocpp.reference.x509_checks import issued_by as _issued_by
from pytest_ocpp.reference.x509_checks import key_bits as _key_bits
from pytest_ocpp.reference.x509_checks import valid_now as _valid_now

if TYPE_CHECKING:
    from collections.abc import Callable

    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["CertificateHandlers", "CertificateMixin"]

ROOT_USES = (
    "V2GRootCertificate",
    "MORootCertificate",
    "CSMSRootCertificate",
    "ManufacturerRootCertificate",
)
ID_USES = (*ROOT_USES, "V2GCertificateChain")
DEFAULT_EMAID = "NLPYTC000000010"
SCHEMA_VERSION = "urn:iso:15118:2:2013:MsgDef"
_HASHES = {"SHA256": hashlib.sha256, "SHA384": hashlib.sha384, "SHA512": hashlib.sha512}


@dataclass
class Installed:
    """One trust-store entry: ``use`` is an InstallCertificateUse, V2GCertificateChain (leaf,
    ``children`` its sub-CAs) or ChargingStationCertificate."""

    use: str
    certificate: x509.Certificate
    children: list[x509.Certificate] = field(default_factory=list)


def _ocsp_url(certificate: x509.Certificate) -> str | None:
    try:
        access = certificate.extensions.get_extension_for_oid(
            ExtensionOID.AUTHORITY_INFORMATION_ACCESS
        ).value
    except x509.ExtensionNotFound:
        return None
    for description in access:
        if description.access_method == AuthorityInformationAccessOID.OCSP:
            return str(description.access_location.value)
    return None


class CertificateHandlers:
    """CSMS requests of this block; mixed into the ChargePoint."""

    station: ReferenceStation201
    defer: Callable[[Callable[[], None]], None]

    @on(Action.install_certificate)
    def on_install_certificate(self, certificate_type: str, certificate: str, **_: Any) -> Any:
        return call_result.InstallCertificate(
            status=self.station.install_certificate(certificate_type, certificate)
        )

    @on(Action.get_installed_certificate_ids)
    def on_get_installed_certificate_ids(
        self, certificate_type: list[str] | None = None, **_: Any
    ) -> Any:
        """M03: hash data of every installed certificate of the types (all when omitted);
        NotFound, without certificateHashDataChain, when none (M03.FR.02)."""
        entries = self.station.installed_hash_data(certificate_type or list(ID_USES))
        if not entries:
            status = "Accepted" if self.station.has("m_not_found_as_accepted") else "NotFound"
            return call_result.GetInstalledCertificateIds(status=status)
        return call_result.GetInstalledCertificateIds(
            status="Accepted", certificate_hash_data_chain=entries
        )

    @on(Action.delete_certificate)
    def on_delete_certificate(self, certificate_hash_data: dict[str, Any], **_: Any) -> Any:
        return call_result.DeleteCertificate(
            status=self.station.delete_certificate(certificate_hash_data)
        )

    @on(Action.certificate_signed)
    def on_certificate_signed(
        self, certificate_chain: str, certificate_type: str | None = None, **_: Any
    ) -> Any:
        st = self.station
        status, follow_up = st.certificate_signed(
            certificate_type or "ChargingStationCertificate", certificate_chain
        )
        if follow_up is not None:
            self.defer(follow_up)
        return call_result.CertificateSigned(status=status)


class CertificateMixin:
    """State and behaviour of this block; mixed into the station."""

    # ------------------------------------------------------------------ trust store

    def _store(self: ReferenceStation201) -> list[Installed]:
        return self.__dict__.setdefault("_certificates", [])

    def _pending_keys(self: ReferenceStation201) -> dict[str, Any]:
        """certificateType → (private key, SeccId) of the last CSR sent."""
        return self.__dict__.setdefault("_csr_keys", {})

    def certificate_entries(self: ReferenceStation201) -> int:
        """SecurityCtrlr.CertificateEntries: installed certificates, sub-CAs included."""
        return sum(1 + len(item.children) for item in self._store())

    def _hash(
        self: ReferenceStation201,
        certificate: x509.Certificate,
        issuer: x509.Certificate,
        algorithm: str = "SHA256",
    ) -> dict[str, str]:
        digest = _HASHES[algorithm]
        whole = self.has("m_hash_over_key_info")
        return {
            "hash_algorithm": algorithm,
            "issuer_name_hash": digest(certificate.issuer.public_bytes()).hexdigest(),
            "issuer_key_hash": digest(_key_bits(issuer, whole)).hexdigest(),
            "serial_number": format(certificate.serial_number, "x"),
        }

    def _issuer_of(
        self: ReferenceStation201, certificate: x509.Certificate, chain: list[x509.Certificate]
    ) -> x509.Certificate | None:
        """The certificate that issued ``certificate``: itself when self-signed, else one of
        ``chain`` or of the trust store (with a key that verifies it)."""
        if certificate.issuer == certificate.subject and _issued_by(certificate, certificate):
            return certificate
        candidates = [*chain, *(i.certificate for i in self._store()), *self._fallbacks()]
        for candidate in candidates:
            if candidate.subject == certificate.issuer and _issued_by(certificate, candidate):
                return candidate
        return None

    def _fallbacks(self: ReferenceStation201) -> list[x509.Certificate]:
        return self.__dict__.setdefault("_fallback_roots", [])

    def install_certificate(self: ReferenceStation201, use: str, text: str) -> str:
        """M05: Rejected for what is not a valid CA certificate now (M05.FR.07) and, with
        AdditionalRootCertificateCheck, for a CSMS root the current one did not sign
        (M05.FR.11); else stored (replacing the same certificate, M05.FR.17), Accepted."""
        try:
            certificate = x509.load_pem_x509_certificate(text.encode("ascii"))
            constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        except (ValueError, UnicodeEncodeError, x509.ExtensionNotFound):
            return "Rejected"
        if not constraints.value.ca:
            return "Rejected"
        if not _valid_now(certificate) and not self.has("m_expired_certificate_accepted"):
            return "Rejected"
        store = self._store()
        if use == "CSMSRootCertificate" and self.model.get_bool(
            "SecurityCtrlr.AdditionalRootCertificateCheck", False
        ):
            current, _ = self.csms_root_sets()  # the roots in use, not a fallback (security.py)
            olds = [i for i in store if i.use == use and i.certificate in current]
            olds = [i for i in olds if i.certificate != certificate]  # the same one: M05.FR.17
            if olds:
                signed = any(_issued_by(certificate, old.certificate) for old in olds)
                if not signed and not self.has("m_additional_root_check_ignored"):
                    return "Rejected"  # M05.FR.11
                # M05.FR.12: the old root stays installed (listed) as the temporary fallback
                # until a connection verified with the new one (M05.FR.13, security.py).
                self._fallbacks()[:] = [old.certificate for old in olds]
                store[:] = [i for i in store if i.use != use or i in olds]  # M05.FR.09
        if self.has("m_install_not_stored"):
            return "Accepted"
        store[:] = [i for i in store if not (i.use == use and i.certificate == certificate)]
        store.append(Installed(use, certificate))
        return "Accepted"

    def installed_hash_data(self: ReferenceStation201, uses: list[str]) -> list[dict[str, Any]]:
        """CertificateHashDataChainType entries of the installed certificates of ``uses``;
        a V2G chain's sub-CAs as childCertificateHashData (M03.FR.05)."""
        entries: list[dict[str, Any]] = []
        for item in self._store():
            if item.use not in uses:
                continue
            chain = [item.certificate, *item.children]
            issuer = self._issuer_of(item.certificate, chain) or item.certificate
            entry: dict[str, Any] = {
                "certificate_type": item.use,
                "certificate_hash_data": self._hash(item.certificate, issuer),
            }
            if item.children and not self.has("m_chain_without_children"):
                entry["child_certificate_hash_data"] = [
                    self._hash(child, self._issuer_of(child, chain) or child)
                    for child in item.children
                ]
            entries.append(entry)
        return entries

    def delete_certificate(self: ReferenceStation201, wanted: dict[str, Any]) -> str:
        """M04: the certificate (any entry of the store) whose hash data, in the request's
        algorithm, is ``wanted``: deleted, Accepted (M04.FR.02); the Charging Station
        certificate is not deleted, Failed (M04.FR.06); none, NotFound (M04.FR.04)."""
        algorithm = str(wanted.get("hash_algorithm", ""))
        if algorithm not in _HASHES:
            return "NotFound"
        try:
            serial = int(str(wanted.get("serial_number", "")), 16)
        except ValueError:
            return "NotFound"
        store = self._store()
        for item in list(store):
            chain = [item.certificate, *item.children]
            issuer = self._issuer_of(item.certificate, chain) or item.certificate
            data = self._hash(item.certificate, issuer, algorithm)
            if (
                data["issuer_name_hash"] != str(wanted.get("issuer_name_hash", "")).lower()
                or data["issuer_key_hash"] != str(wanted.get("issuer_key_hash", "")).lower()
                or item.certificate.serial_number != serial
            ):
                continue
            if item.use == "ChargingStationCertificate" and not self.has(
                "m_station_certificate_deletable"
            ):
                return "Failed"
            if not self.has("m_delete_ignored"):
                store.remove(item)
            return "Accepted"
        return "Accepted" if self.has("m_delete_unknown_accepted") else "NotFound"

    # ------------------------------------------------------------------ signing (A02/A03)

    def trigger_sign_certificate(
        self: ReferenceStation201,
        requested: str,
        evse_id: int | None,
        defer: Callable[[Callable[[], None]], None],
    ) -> str:
        """TriggerMessage SignChargingStationCertificate / SignV2GCertificate (F06, A02):
        Accepted and, after the answer, a SignCertificateRequest with a new key's CSR; a V2G
        certificate needs ISO15118Ctrlr.V2GCertificateInstallationEnabled (else Rejected)."""
        v2g = requested == "SignV2GCertificate"
        if v2g:
            evse = evse_id if evse_id in self.evses else next(iter(self.evses))
            where = f"ISO15118Ctrlr({evse})"
            if not self.model.get_bool(f"{where}.V2GCertificateInstallationEnabled", True):
                return "Rejected"
            names = [
                x509.NameAttribute(NameOID.COMMON_NAME, self.model.value(f"{where}.SeccId")),
                x509.NameAttribute(
                    NameOID.ORGANIZATION_NAME, self.model.value(f"{where}.OrganizationName")
                ),
                x509.NameAttribute(NameOID.COUNTRY_NAME, self.model.value(f"{where}.CountryName")),
            ]
            use = "V2GCertificate"
        else:
            names = [
                x509.NameAttribute(NameOID.COMMON_NAME, self.model.value("SecurityCtrlr.Identity")),
                x509.NameAttribute(
                    NameOID.ORGANIZATION_NAME, self.model.value("SecurityCtrlr.OrganizationName")
                ),
            ]
            use = "ChargingStationCertificate"
        if (v2g and self.has("m_v2g_csr_rsa")) or (not v2g and self.has("m_csr_weak_key")):
            key: Any = rsa.generate_private_key(65537, 2048 if v2g else 1024)
        else:
            key = ec.generate_private_key(ec.SECP256R1())
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name(names))
            .sign(key, hashes.SHA256())
            .public_bytes(serialization.Encoding.PEM)
            .decode("ascii")
        )
        self._pending_keys()[use] = key

        # A02.FR.17-19: sent again after CertSigningWaitMinimum without a CertificateSigned.
        defer(lambda: self.spawn(self.send_sign_certificate(csr, use)) and None)
        return "Accepted"

    def certificate_signed(
        self: ReferenceStation201, use: str, text: str
    ) -> tuple[str, Callable[[], None] | None]:
        """A02.FR.05-07: Accepted only for a chain whose leaf holds the key of the last CSR of
        that type, each certificate issued by the next, all valid now (and the last one issued
        by an installed root when the store holds its issuer); the new certificate replaces the
        old one of its type (per SeccId for V2G). A V2G certificate's OCSP status is asked for
        it and its sub-CAs after the answer (M06.FR.07). A Charging Station certificate
        Rejected raises an InvalidChargingStationCertificate security event (A02.FR.07,
        A03.FR.07); its key is kept for the TLS client side (A02.FR.08)."""
        self.certificate_signed_received(use)
        status, follow_up = self._check_certificate_signed(use, text)
        if status == "Rejected" and use == "ChargingStationCertificate":
            if not self.has("a_invalid_certificate_silent"):
                event = call.SecurityEventNotification(
                    type="InvalidChargingStationCertificate", timestamp=self.ts()
                )
                return status, lambda: self.enqueue(lambda _i: event, kind="keep") and None
        return status, follow_up

    def _check_certificate_signed(
        self: ReferenceStation201, use: str, text: str
    ) -> tuple[str, Callable[[], None] | None]:
        key = self._pending_keys().get(use)
        try:
            chain = x509.load_pem_x509_certificates(text.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            return "Rejected", None
        if key is None or not chain:
            return "Rejected", None
        leaf = chain[0]
        public = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        if leaf.public_key().public_bytes(*public) != key.public_key().public_bytes(*public):
            return "Rejected", None
        if not all(_valid_now(c) for c in chain):
            return "Rejected", None
        if not all(_issued_by(a, b) for a, b in itertools.pairwise(chain)):
            return "Rejected", None
        store = self._store()
        top = chain[-1]
        roots = [i.certificate for i in store if i.use in ROOT_USES]
        known = [r for r in roots if r.subject == top.issuer]
        if known and not any(_issued_by(top, r) for r in known):
            return "Rejected", None
        del self._pending_keys()[use]
        self.__dict__.setdefault("_station_keys", {})[leaf.serial_number] = key
        if use == "V2GCertificate":
            kind = "V2GCertificateChain"
            store[:] = [
                i for i in store if not (i.use == kind and i.certificate.subject == leaf.subject)
            ]
        else:
            kind = use
            store[:] = [i for i in store if i.use != kind]
        store.append(Installed(kind, leaf, list(chain[1:])))
        if use != "V2GCertificate" or self.has("m_no_certificate_status"):
            return "Accepted", None
        return "Accepted", lambda: self.spawn(self._refresh_ocsp(chain)) and None

    async def _refresh_ocsp(self: ReferenceStation201, chain: list[x509.Certificate]) -> None:
        """M06.FR.06/07: GetCertificateStatusRequest for the new V2G certificate and each
        sub-CA whose issuer is known and names an OCSP responder; the answers are cached."""
        cache: dict[int, str] = self.__dict__.setdefault("_ocsp_cache", {})
        for certificate in chain:
            issuer = self._issuer_of(certificate, chain)
            url = _ocsp_url(certificate)
            if issuer is None or issuer is certificate or url is None:
                continue
            data = self._hash(certificate, issuer)
            response = await self.request(
                call.GetCertificateStatus(ocsp_request_data={**data, "responder_url": url})
            )
            if response is not None and response.status == "Accepted" and response.ocsp_result:
                cache[certificate.serial_number] = response.ocsp_result

    # ------------------------------------------------------------------ the EV (M01/M02)

    def ev_certificate_request(
        self: ReferenceStation201, evse_id: int, action: str, contract: str | None
    ) -> None:
        """The connected EV's CertificateInstallationReq (``Install``) or
        CertificateUpdateReq (``Update``): forwarded as Get15118EVCertificateRequest
        (M01.FR.01, M02.FR.01) when ISO15118Ctrlr.ContractCertificateInstallationEnabled;
        with an Accepted answer the EV has its contract and authorizes with Plug & Charge
        (AuthorizeRequest, idToken type eMAID); otherwise it cannot."""
        if action not in ("Install", "Update"):
            raise ValueError(f"action must be Install or Update, not {action!r}")
        evse = self.evses[evse_id]
        if evse.ev_connector is None:
            raise ValueError(f"no EV is connected to EVSE {evse_id}")
        where = f"ISO15118Ctrlr({evse_id})"
        if not self.model.get_bool(f"{where}.ContractCertificateInstallationEnabled", True):
            return
        sent = action
        if self.has("m_ev_certificate_action_swapped"):
            sent = "Update" if action == "Install" else "Install"
        request = "CertificateInstallationReq" if action == "Install" else "CertificateUpdateReq"
        exi = base64.b64encode(f"reference EV: {request}".encode()).decode("ascii")

        plug = evse.ev_plugs

        async def forward() -> None:
            response = await self.request(
                call.Get15118EVCertificate(
                    iso15118_schema_version=SCHEMA_VERSION, action=sent, exi_request=exi
                )
            )
            accepted = response is not None and response.status == "Accepted"
            if evse.ev_plugs != plug or evse.ev_connector is None:
                return  # the EV that asked has been unplugged meanwhile
            if accepted or self.has("m_authorize_without_ev_certificate"):
                token = {"id_token": contract or DEFAULT_EMAID, "type": "eMAID"}
                await self.on_token(token, evse_id, ev_plug=plug)

        self.spawn(forward())
