"""A. Security of the 2.0.1 reference CSMS (Part 2 use cases A00-A05): what the CSMS side of
Part 6 TC_A_01-TC_A_19_CSMS needs.

* A00, the handshake (called by :mod:`..server` before a connection is upgraded): a station
  that upgraded its security profile may no longer connect with a lower one (A05.FR.07);
  with Basic credentials *and* a client CA configured the server serves profiles 2 and 3 on
  one endpoint ("mixed"), a station showing a valid client certificate needing no password.
  The signing CA below is trusted for client certificates too, so a station reconnects with
  the certificate it was just given (TC_A_11_CSMS, errata 2024-09).
* A01, BasicAuthPassword: a SetVariablesRequest for SecurityCtrlr.BasicAuthPassword that the
  station answers Accepted replaces the password the handshake expects (A01.FR.03); any other
  answer keeps the old one (A01.FR.04). Sending the configured password the same way puts it
  back, which is how the cases restore it.
* A02/A03, certificate signing: a SignCertificateRequest with a readable CSR (for a
  ChargingStationCertificate: CN = the station id, A00.FR.405) is Accepted (A02.FR.11), then
  a CertificateSignedRequest follows with the certificate for that CSR, signed by the
  reference's own CA (generated per process with ``cryptography``: a root and a CSO sub-CA for
  Charging Station certificates, a V2G root and a CPO sub-CA for V2G ones; the chain sent is
  leaf + sub-CA, A02.FR.14: same certificateType as the request).
* A05, security profile upgrade: the profiles of SetNetworkProfileRequests the station
  Accepted are remembered per slot; once it Accepts a NetworkConfigurationPriority whose first
  slot holds a higher profile, connections below that profile are refused (A05.FR.07). A
  priority whose first slot the CSMS did not set (the station's original profile) clears the
  floor: the operator put the station back, which is how TC_A_19_CSMS restores it.

Per-station state lives in the server's settings (:meth:`ReferenceCsms.setup`), so it outlives
the connection it was set on. Each defect breaks one rule (``tests/test_csms201_security.py``).
"""

from __future__ import annotations

import functools
import http
import ssl
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from ocpp.messages import Call
from ocpp.routing import after, on
from ocpp.v201 import call_result as result201
from websockets.asyncio.server import ServerConnection
from websockets.http11 import Response

from pytest_ocpp.reference.csms.session import LOGGER, _ReferenceSession

if TYPE_CHECKING:
    from pytest_ocpp.reference.csms.server import ReferenceCsms

__all__ = [
    "DEFECTS_SECURITY",
    "DEFECTS_SECURITY_HANDSHAKE",
    "SecurityMixin",
    "handshake_refusal",
    "signing_roots_pem",
]

#: The 2.0.1 session defects :class:`SecurityMixin` implements; part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_SECURITY: dict[str, str] = {
    "v201_basic_auth_password_short": (
        "SetVariablesRequest BasicAuthPassword is sent cut to its first 8 characters "
        "(A00.FR.205: a passwordString of 16 to 40 characters)."
    ),
    "v201_password_change_ignored": (
        "After the station Accepts a new BasicAuthPassword the CSMS still expects the old one "
        "(A01.FR.03)."
    ),
    "v201_password_changed_on_rejected": (
        "The CSMS expects the new BasicAuthPassword even when the station Rejected it (A01.FR.04)."
    ),
    "v201_sign_certificate_other_station": (
        "The Charging Station certificate the CSMS has signed names another station id as its "
        "commonName than the CSR did (A00.FR.405)."
    ),
    "v201_certificate_signed_other_key": (
        "CertificateSignedRequest carries a certificate for a key of the CSMS's own making, not "
        "for the CSR's public key (A02.FR.05/06)."
    ),
    "v201_certificate_signed_not_sent": (
        "SignCertificateRequest is Accepted but no CertificateSignedRequest follows (A02)."
    ),
    "v201_network_profile_lower": (
        "SetNetworkProfileRequest connectionData.securityProfile is one lower than asked for "
        "(A05: an upgrade becomes a downgrade)."
    ),
    "v201_lower_profile_still_accepted": (
        "After a station upgraded its security profile, connections with the lower profile are "
        "still accepted (A05.FR.07)."
    ),
}

#: Defects of the handshake (used by :mod:`..server` before a version is chosen, so they act
#: on both versions); part of the public :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_SECURITY_HANDSHAKE: dict[str, str] = {
    "accept_other_basic_auth_user": (
        "HTTP Basic authentication accepts a username other than the station id, if the "
        "password is right (2.0.1 A00.FR.204/207)."
    ),
    "accept_tls_below_1_2": (
        "TLS 1.0 and 1.1 handshakes are accepted (2.0.1 A00.FR.313/315; 1.6 A00.FR.312)."
    ),
    "accept_unverified_client_certificate": (
        "Security profile 3: client certificates are not verified, so one of an unknown CA is "
        "accepted (2.0.1 A00.FR.403/407)."
    ),
}

LEGACY_TLS_CIPHERS = "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA:@SECLEVEL=0"
"""CBC suites TLS 1.0/1.1 can negotiate (they have no AES-GCM), at OpenSSL security level 0:
what the ``accept_tls_below_1_2`` defect adds."""

#: setting names in the server's per-station store (:meth:`ReferenceCsms.setup`)
_FLOOR = "security_profile_floor"
_SLOTS = "network_profile_slots"


# -- the CA the reference signs with ---------------------------------------------------------
@dataclass(frozen=True)
class _Ca:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def _certificate(
    subject: x509.Name,
    public_key: Any,
    issuer: _Ca | None,
    key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
    days: int,
) -> x509.Certificate:
    now = datetime.now(timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(issuer.key if issuer else key, hashes.SHA256())


def _new_ca(name: str, issuer: _Ca | None = None) -> _Ca:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pytest-ocpp reference CSMS"),
        ]
    )
    return _Ca(_certificate(subject, key.public_key(), issuer, key, ca=True, days=3650), key)


_AUTHORITIES_LOCK = threading.Lock()


def _authorities() -> dict[str, tuple[_Ca, _Ca]]:
    """certificateType -> (root, the sub-CA that signs), made once per process (under a lock:
    several reference CSMSs may start at once in one process, and the root each server trusts
    must be the one its sessions sign with)."""
    with _AUTHORITIES_LOCK:
        return _make_authorities()


@functools.cache
def _make_authorities() -> dict[str, tuple[_Ca, _Ca]]:
    cso_root = _new_ca("pytest-ocpp reference CSMS Root (test only)")
    v2g_root = _new_ca("pytest-ocpp reference V2G Root (test only)")
    return {
        "ChargingStationCertificate": (
            cso_root,
            _new_ca("pytest-ocpp reference CSO Sub-CA", cso_root),
        ),
        "V2GCertificate": (v2g_root, _new_ca("pytest-ocpp reference CPO Sub-CA", v2g_root)),
    }


def signing_roots_pem() -> str:
    """The root of the CA that signs Charging Station certificates (PEM): the server trusts it
    for client certificates, so a station can use what it was given (A02.FR.08)."""
    root, _ = _authorities()["ChargingStationCertificate"]
    return root.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else ""


# -- the handshake (called by the server) ------------------------------------------------------
def connection_profile(csms: ReferenceCsms, connection: ServerConnection) -> int:
    """The security profile a connection uses: 3 with a verified client certificate, 2 over
    TLS, 1 over plain ws://."""
    transport = connection.transport
    obj = transport.get_extra_info("ssl_object") if transport is not None else None
    if obj is None:
        return 1
    return 3 if csms.tls_client_ca_file and obj.getpeercert(binary_form=True) else 2


def handshake_refusal(
    csms: ReferenceCsms, connection: ServerConnection, station_id: str
) -> Response | None:
    """HTTP 403 for a station connecting below the security profile it was upgraded to
    (A05.FR.07; errata 2025-04 of TC_A_19_CSMS: the TLS handshake may succeed, the upgrade
    request is refused); None otherwise."""
    floor = csms.station_setting(station_id, "2.0.1", _FLOOR)
    if not floor or "v201_lower_profile_still_accepted" in csms.defects:
        return None
    profile = connection_profile(csms, connection)
    if profile >= int(floor):
        return None
    LOGGER.info(
        "%s: refused: security profile %s, but it was upgraded to %s (A05.FR.07)",
        station_id,
        profile,
        floor,
    )
    return connection.respond(
        http.HTTPStatus.FORBIDDEN,
        f"This station must connect with security profile {floor} (A05.FR.07).\n",
    )


def tune_tls(context: ssl.SSLContext, csms: ReferenceCsms) -> None:
    """The server context's security additions: the signing CA trusted for client
    certificates, and the handshake defects."""
    if csms.tls_client_ca_file is not None:
        context.load_verify_locations(cadata=signing_roots_pem())
        if "accept_unverified_client_certificate" in csms.defects:
            context.verify_mode = ssl.CERT_NONE
    if "accept_tls_below_1_2" in csms.defects:
        with warnings.catch_warnings():  # deprecated on purpose: the defect
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers(f"{context_ciphers(context)}:{LEGACY_TLS_CIPHERS}")


def context_ciphers(context: ssl.SSLContext) -> str:
    return ":".join(c["name"] for c in context.get_ciphers() if c["protocol"] != "TLSv1.3")


def password_required(csms: ReferenceCsms, connection: ServerConnection) -> bool:
    """Whether Basic credentials are checked: not for a station showing a verified client
    certificate on a server that serves profiles 2 and 3 (profile 3 needs no password)."""
    if not csms.tls_client_certificate_optional:
        return True
    return connection_profile(csms, connection) != 3


# -- the session -------------------------------------------------------------------------------
class SecurityMixin(_ReferenceSession):
    """Security (A): BasicAuthPassword changes, certificate signing, the profile floor."""

    BLOCK_DEFECTS: ClassVar[Mapping[str, str]] = DEFECTS_SECURITY

    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The outgoing-request defects of SetVariables BasicAuthPassword and
        SetNetworkProfile."""
        if action == "SetVariables" and self.defect("v201_basic_auth_password_short"):
            for item in payload.get("setVariableData") or []:
                if _is_password(item):
                    item["attributeValue"] = str(item.get("attributeValue", ""))[:8]
        elif action == "SetNetworkProfile" and self.defect("v201_network_profile_lower"):
            data = payload.get("connectionData")
            if isinstance(data, dict) and int(data.get("securityProfile", 0)) > 0:
                data["securityProfile"] = int(data["securityProfile"]) - 1
        # Cooperative hook: the other blocks' defects apply too.
        return super().adjust_outgoing(action, payload)

    async def _await_reply(self, call: Call) -> None:
        """After the station's reply is recorded: act on the answers to BasicAuthPassword,
        SetNetworkProfile and NetworkConfigurationPriority."""
        before = len(self.csms.responses)
        await super()._await_reply(call)  # type: ignore[misc]
        if call.action not in ("SetVariables", "SetNetworkProfile"):
            return
        for station, action, kind, body in self.csms.responses[before:]:
            if station == self.id and action == call.action and kind == "CallResult":
                self._after_reply(call, body)
                return

    def _after_reply(self, call: Call, body: Mapping[str, Any]) -> None:
        if call.action == "SetNetworkProfile":
            if body.get("status") == "Accepted":
                slots = dict(self.setting(_SLOTS) or {})
                data = call.payload.get("connectionData") or {}
                slots[str(call.payload.get("configurationSlot"))] = data.get("securityProfile")
                self.csms.setup(self.id, _SLOTS, slots)
            return
        results = body.get("setVariableResult") or []
        for sent, result in zip(call.payload.get("setVariableData") or [], results, strict=False):
            accepted = result.get("attributeStatus") == "Accepted"
            if _is_password(sent):
                self._password_answered(str(sent.get("attributeValue", "")), accepted)
            elif _is_priority(sent) and accepted:
                self._priority_accepted(str(sent.get("attributeValue", "")))

    def _password_answered(self, new: str, accepted: bool) -> None:
        """A01.FR.03/04: the new password from now on, only when the station Accepted it."""
        if self.defect("v201_password_changed_on_rejected"):
            accepted = True
        elif self.defect("v201_password_change_ignored"):
            accepted = False
        if not accepted or self.csms.basic_auth is None:
            LOGGER.info("%s: BasicAuthPassword unchanged", self.id)
            return
        self.csms.change_password(self.id, new)

    def _priority_accepted(self, value: str) -> None:
        """A05.FR.06/07: the first slot's profile becomes the floor; a slot the CSMS did not
        set (the station's original profile) clears it."""
        first = value.split(",")[0].strip()
        profile = (self.setting(_SLOTS) or {}).get(first)
        self.csms.setup(self.id, _FLOOR, profile)
        LOGGER.info("%s: security profile floor now %s", self.id, profile)

    # -- A02/A03 certificate signing -----------------------------------------------------------
    @on("SignCertificate")
    def on_sign_certificate(
        self, csr: str, certificate_type: str | None = None, **_: Any
    ) -> result201.SignCertificate:
        """A02.FR.11/12: Accepted for a CSR the CSMS can sign, Rejected otherwise (not PEM
        PKCS#10, a bad self-signature, or a Charging Station certificate for another id)."""
        kind = certificate_type or "ChargingStationCertificate"
        try:
            request = x509.load_pem_x509_csr(csr.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            return result201.SignCertificate(status="Rejected")
        if not request.is_signature_valid or kind not in _authorities():
            return result201.SignCertificate(status="Rejected")
        if kind == "ChargingStationCertificate" and _common_name(request.subject) != self.id:
            return result201.SignCertificate(status="Rejected")
        return result201.SignCertificate(status="Accepted")

    @after("SignCertificate")
    async def after_sign_certificate(
        self, csr: str, certificate_type: str | None = None, **_: Any
    ) -> None:
        """The CertificateSignedRequest for an Accepted request (the CSMS is its own CA)."""
        kind = certificate_type or "ChargingStationCertificate"
        try:
            request = x509.load_pem_x509_csr(csr.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            return
        if kind not in _authorities() or self.defect("v201_certificate_signed_not_sent"):
            return
        if kind == "ChargingStationCertificate" and _common_name(request.subject) != self.id:
            return
        _, signer = _authorities()[kind]
        subject, public_key = request.subject, request.public_key()
        if self.defect("v201_sign_certificate_other_station"):
            subject = x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, f"{self.id}-OTHER"),
                    *(a for a in subject if a.oid != NameOID.COMMON_NAME),
                ]
            )
        if self.defect("v201_certificate_signed_other_key"):
            public_key = ec.generate_private_key(ec.SECP256R1()).public_key()
        leaf = _certificate(subject, public_key, signer, signer.key, ca=False, days=365)
        chain = _pem(leaf) + _pem(signer.certificate)
        await self.send_call(
            "CertificateSigned", {"certificateChain": chain, "certificateType": kind}
        )


def _is_password(item: Mapping[str, Any]) -> bool:
    return (item.get("component") or {}).get("name") == "SecurityCtrlr" and (
        item.get("variable") or {}
    ).get("name") == "BasicAuthPassword"


def _is_priority(item: Mapping[str, Any]) -> bool:
    return (item.get("component") or {}).get("name") == "OCPPCommCtrlr" and (
        item.get("variable") or {}
    ).get("name") == "NetworkConfigurationPriority"
