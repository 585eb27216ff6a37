"""The OCPP 1.6 Security Whitepaper (edition 3) behaviour of the reference CSMS that goes
beyond acknowledging a message, and its defects.

:class:`Security16Mixin` is mixed into :class:`~pytest_ocpp.reference.csms.v16.Session16`:

* **A02/A03 certificate signing.** The reference acts as its own certificate authority server
  (A02.FR.04 allows the CPO to operate it): a CSR whose commonName is the connected station's
  identity (A00.FR.511) and whose self-signature verifies gets SignCertificate.conf Accepted
  (A02.FR.11), then a CertificateSigned.req with the certificate signed by a CSO sub-CA and that
  sub-CA (the "sub CA certificates" of §5.1); any other CSR is Rejected (A02.FR.12). The CA is
  generated once per process with ``cryptography`` (:func:`cpo_authority`); under security
  profile 3 the server also trusts its root for client certificates, so a station reconnects
  with the certificate it was given (TC_074_CSMS step 7).
* **A05 profile upgrade.** Once a station answers a ChangeConfiguration.req for
  SecurityProfile with Accepted, connections below that profile are refused (A05.FR.09).
* **A01 password change.** Once a station answers a ChangeConfiguration.req for
  AuthorizationKey with Accepted, the CSMS expects the new password from it and no longer
  accepts the former one (A01.FR.03); a Rejected/NotSupported answer changes nothing (A01.FR.04).

Every other security request (InstallCertificate, GetInstalledCertificateIds,
DeleteCertificate, GetLog, SignedUpdateFirmware, ExtendedTriggerMessage) is sent as the operator
job carries it, like every CSMS-initiated request of the reference. Each entry of
:data:`DEFECTS_SECURITY16` breaks exactly one rule, so the 1.6 ``_CSMS`` security cases can be
seen to fail (``tests/test_csms16_security.py``).

Like the rest of the reference, this module does not import pytest-ocpp's core (its own PKI
included): certificates are read and made with ``cryptography`` directly.
"""

from __future__ import annotations

import base64
import functools
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from ocpp.messages import Call
from ocpp.routing import after, on
from ocpp.v16 import call_result as result16

from pytest_ocpp.reference.csms.session import LOGGER, _ReferenceSession

__all__ = ["DEFECTS_SECURITY16", "Security16Mixin", "cpo_authority", "cpo_root_pem"]

#: The defects :class:`Security16Mixin` implements (1.6 only); part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_SECURITY16: dict[str, str] = {
    "keep_old_password": (
        "After a station accepted a new AuthorizationKey, its handshakes are still checked "
        "against the old password, so the new one is refused (1.6 Security WP A01.FR.03)."
    ),
    "accept_former_password": (
        "After a station accepted a new AuthorizationKey, the former password is still "
        "accepted besides the new one (1.6 Security WP A01.FR.03)."
    ),
    "sign_csr_for_other_station": (
        "SignCertificate.req: a CSR whose commonName is another Charge Point's identity is "
        "signed (the CA does not check the CSR, 1.6 Security WP A02 remarks, A00.FR.511)."
    ),
    "certificate_signed_wrong_key": (
        "CertificateSigned.req carries a certificate for another public key than the CSR's."
    ),
    "distrust_signed_certificates": (
        "Security profile 3: the CA of its own CertificateSigned.req is not trusted for client "
        "certificates, so a station reconnecting with the certificate it was given is refused "
        "(1.6 Security WP A02.FR.08)."
    ),
    "install_certificate_wrong_type": (
        "InstallCertificate.req certificateType is CentralSystemRootCertificate when "
        "ManufacturerRootCertificate was asked for, and vice versa."
    ),
    "delete_certificate_other_serial": (
        "DeleteCertificate.req certificateHashData names another serialNumber than asked for."
    ),
    "get_log_diagnostics_type": (
        "GetLog.req asks for the DiagnosticsLog when the SecurityLog was asked for."
    ),
    "signed_update_firmware_other_signature": (
        "SignedUpdateFirmware.req firmware.signature is another signature than the one asked for."
    ),
    "security_event_call_error": (
        "SecurityEventNotification.req is answered with a CallError InternalError (1.6 "
        "Security WP A04.FR.03)."
    ),
    "log_status_call_error": (
        "LogStatusNotification.req is answered with a CallError InternalError."
    ),
    "forget_security_profile_upgrade": (
        "After a station accepted a higher SecurityProfile, it may still connect with the "
        "lower one (1.6 Security WP A05.FR.09)."
    ),
    "invalid_signature_status_call_error": (
        "SignedFirmwareStatusNotification.req with status InvalidSignature is answered with a "
        "CallError InternalError."
    ),
}

PROFILE_FLOOR = "security_profile_floor"
"""The per-station setting (:meth:`ReferenceCsms.setup`) naming the lowest security profile a
station may still connect with; the server's handshake refuses lower ones (A05.FR.09)."""

#: The certificate types the wrong-type defect swaps (1.6 Security WP §6.4 CertificateUseEnumType).
_OTHER_TYPE = {
    "CentralSystemRootCertificate": "ManufacturerRootCertificate",
    "ManufacturerRootCertificate": "CentralSystemRootCertificate",
}


@dataclass(frozen=True)
class Authority:
    """The reference's CSO sub-CA (its certificate and key) and the root above it."""

    root: x509.Certificate
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def _ca_certificate(
    name: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None, signer: Any
) -> x509.Certificate:
    now = datetime.now(timezone.utc)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pytest-ocpp reference CSMS"),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer is not None else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(
            x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0),
            critical=True,
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(signer, hashes.SHA256())
    )


@functools.cache
def cpo_authority() -> Authority:
    """The reference's CPO hierarchy (1.6 Security WP §2.6.2): a root and the CSO sub-CA that
    signs Charge Point certificates; EC P-256, generated once per process."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _ca_certificate("pytest-ocpp reference CPO Root CA", root_key, None, root_key)
    sub_key = ec.generate_private_key(ec.SECP256R1())
    sub = _ca_certificate("pytest-ocpp reference CSO Sub-CA", sub_key, root, root_key)
    return Authority(root=root, certificate=sub, key=sub_key)


def cpo_root_pem() -> str:
    """The root of :func:`cpo_authority` (PEM): what a Charge Point certificate it signed
    chains to, and what the server trusts for client certificates under profile 3."""
    return cpo_authority().root.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def sign_charge_point_csr(csr: x509.CertificateSigningRequest, public_key: Any = None) -> str:
    """A Charge Point certificate for ``csr`` (its subject; its public key unless
    ``public_key`` is given), valid for a year, signed by the CSO sub-CA, followed by that
    sub-CA: a CertificateSigned.req certificateChain (1.6 Security WP §5.1, A00.FR.507-512)."""
    authority = cpo_authority()
    now = datetime.now(timezone.utc)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(authority.certificate.subject)
        .public_key(public_key or csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(authority.key, hashes.SHA256())
    )
    return _pem(leaf) + _pem(authority.certificate)


class Security16Mixin(_ReferenceSession):
    """Certificate signing, the password change and the security defects of a 1.6 session
    (see the module docstring). Mixed in before :class:`_ReferenceSession`; its hooks end with
    ``super()``'s answer."""

    # --- A02/A03: SignCertificate, then CertificateSigned --------------------------------------

    def csr_problem(self, csr_pem: str) -> str:
        """Why the CA would not sign ``csr_pem`` for this station, or ''."""
        try:
            csr = x509.load_pem_x509_csr(csr_pem.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as error:
            return f"the csr is not a PEM PKCS#10 request ({error})"
        if not csr.is_signature_valid:
            return "the csr's self-signature does not verify"
        names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        common_name = str(names[0].value) if names else ""
        if common_name != self.id and not self.defect("sign_csr_for_other_station"):
            return f"the csr's commonName {common_name!r} is not this Charge Point ({self.id!r})"
        return ""

    @on("SignCertificate")
    def on_sign_certificate(self, csr: str, **_: Any) -> result16.SignCertificate:
        """A02.FR.11/12: Accepted when the CA will sign the CSR, else Rejected."""
        problem = self.csr_problem(csr)
        if problem:
            LOGGER.info("%s: SignCertificate rejected: %s", self.id, problem)
        return result16.SignCertificate(status="Rejected" if problem else "Accepted")

    @after("SignCertificate")
    async def after_sign_certificate(self, csr: str, **_: Any) -> None:
        """The CA signs the accepted CSR; the CSMS sends it back (A02 steps 6-9)."""
        if self.csr_problem(csr):
            return
        request = x509.load_pem_x509_csr(csr.encode("ascii"))
        other_key = None
        if self.defect("certificate_signed_wrong_key"):
            other_key = ec.generate_private_key(ec.SECP256R1()).public_key()
        chain = sign_charge_point_csr(request, other_key)
        await self.send_call("CertificateSigned", {"certificateChain": chain})

    # --- A01: the password change ------------------------------------------------------------

    async def _await_reply(self, call: Call) -> None:
        """After the reply is recorded, a ChangeConfiguration the station accepted takes
        effect on the handshake: a new AuthorizationKey replaces the password (A01.FR.03; any
        other answer keeps the old one, A01.FR.04), a higher SecurityProfile becomes the
        lowest profile the station may connect with (A05.FR.09)."""
        before = len(self.csms.responses)
        await super()._await_reply(call)
        payload = call.payload if isinstance(call.payload, dict) else {}
        key = payload.get("key")
        if call.action != "ChangeConfiguration" or key not in (
            "AuthorizationKey",
            "SecurityProfile",
        ):
            return
        replies = [
            r for r in self.csms.responses[before:] if r[:2] == (self.id, "ChangeConfiguration")
        ]
        if not replies or replies[-1][2] != "CallResult":
            return  # no answer in time, or a CallError: nothing was changed
        answer = replies[-1][3]
        if not isinstance(answer, dict) or answer.get("status") != "Accepted":
            return
        value = str(payload.get("value", ""))
        if key == "SecurityProfile":
            self._profile_upgraded(value)
        elif self.defect("keep_old_password"):
            LOGGER.info("%s: deliberate defect: the new password is not taken", self.id)
        else:
            self.csms.change_password(
                self.id, value, keep_former=self.defect("accept_former_password")
            )

    def _profile_upgraded(self, value: str) -> None:
        """A05.FR.09: once upgraded, the station may not connect with a lower profile. The
        floor is the per-station setting the server's handshake check reads (shared with the
        2.0.1 session, :func:`pytest_ocpp.reference.csms.v201.security.handshake_refusal`)."""
        if not value.isdigit():
            return
        if self.defect("forget_security_profile_upgrade"):
            LOGGER.info("%s: deliberate defect: the profile upgrade is forgotten", self.id)
            return
        self.csms.setup(self.id, PROFILE_FLOOR, int(value))

    # --- defects -------------------------------------------------------------------------------

    async def intercept_call(self, msg: Call) -> bool:
        action = msg.action
        payload = msg.payload if isinstance(msg.payload, dict) else {}
        broken = (
            (action == "SecurityEventNotification" and self.defect("security_event_call_error"))
            or (action == "LogStatusNotification" and self.defect("log_status_call_error"))
            or (
                action == "SignedFirmwareStatusNotification"
                and payload.get("status") == "InvalidSignature"
                and self.defect("invalid_signature_status_call_error")
            )
        )
        if broken:
            frame = [4, msg.unique_id, "InternalError", f"Deliberate defect: {action} fails.", {}]
            await self.send_raw(json.dumps(frame))
            return True
        return await super().intercept_call(msg)

    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        if action == "InstallCertificate" and self.defect("install_certificate_wrong_type"):
            kind = str(payload.get("certificateType"))
            payload["certificateType"] = _OTHER_TYPE.get(kind, kind)
        if action == "DeleteCertificate" and self.defect("delete_certificate_other_serial"):
            data = payload.get("certificateHashData")
            if isinstance(data, dict):
                data["serialNumber"] = format(int(str(data.get("serialNumber", "0")), 16) + 1, "x")
        if action == "GetLog" and self.defect("get_log_diagnostics_type"):
            if payload.get("logType") == "SecurityLog":
                payload["logType"] = "DiagnosticsLog"
        if action == "SignedUpdateFirmware" and self.defect(
            "signed_update_firmware_other_signature"
        ):
            firmware = payload.get("firmware")
            if isinstance(firmware, dict):
                firmware["signature"] = base64.b64encode(b"another signature").decode("ascii")
        return super().adjust_outgoing(action, payload)
