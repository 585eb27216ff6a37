"""The security extension of the reference 1.6 charge point (OCPP 1.6 Security Whitepaper,
edition 3): passwords, security profiles, certificates, security events and log, signed
firmware.

``SecurityMixin`` holds the station-side state and behaviour (mixed into
:class:`~pytest_ocpp.reference.station.ReferenceStation`), ``SecureStationClient`` the ``@on``
handlers of one connection (the ``ocpp`` library's charge point of
:mod:`~pytest_ocpp.reference.station_handlers`, extended).

Real certificates with ``cryptography``, independent of the suite's own DER reader:

- ``AuthorizationKey`` is write-only (§7.2) and, once Accepted, the next connection uses it
  (A01); the change goes to the security log without its value (A01.FR.11/12);
- ``SecurityProfile`` only goes up, and only when its prerequisites hold: a password for 1/2,
  a CentralSystemRootCertificate for 2/3, a ChargePointCertificate for 3 (A05.FR.01-05); then
  the station disconnects and reconnects with the new profile on the same URL (A05.FR.06/07);
- the certificate store keeps CentralSystemRootCertificates (the TLS trust of profiles 2/3,
  seeded from ``tls_ca_file``) and ManufacturerRootCertificates (seeded with the suite's test
  manufacturer root, as a charger ships with its manufacturer's); InstallCertificate refuses
  an invalid or expired root with an InvalidCentralSystemCertificate event (M05, §8);
  GetInstalledCertificateIds answers RFC 6960 CertID hash data (M03); DeleteCertificate
  refuses the root the current connection was verified with (M04.FR.06);
- ExtendedTriggerMessage SignChargePointCertificate makes a new EC P-256 key and a CSR whose O
  is CpoName (A02.FR.02/03, A00.FR.509/511); CertificateSigned is checked (validity, the key of
  the CSR, the CPO hierarchy: a chain to an installed CentralSystemRootCertificate, A02.FR.06)
  and refused with an InvalidChargePointCertificate event otherwise (A02.FR.07); an accepted
  one is used from the next connection on, at once under profile 3 (A02.FR.08);
- GetLog SecurityLog uploads the security log (N01) over FTP or HTTP;
- SignedUpdateFirmware checks the signing certificate against the manufacturer roots
  (L01.FR.23/24) and the signature over the file (L01.FR.04), reporting every state with the
  request's id (L01.FR.01/10) and InvalidFirmwareSignature as a security event (L01.FR.03).

Only the reference code and the ``ocpp`` library are imported (no suite core), plus the
suite's firmware image format (:mod:`pytest_ocpp.firmware_images`), as the 2.0.1 reference.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from ocpp.routing import after, on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from pytest_ocpp.firmware_images import (
    manufacturer_root_pem,
    signature_valid,
    signing_certificate_problem,
)
from pytest_ocpp.reference.station_config import ConfigKey
from pytest_ocpp.reference.station_handlers import StationClient
from pytest_ocpp.reference.station_smart import parse_datetime
from pytest_ocpp.reference.station_transfer import download, upload
from pytest_ocpp.reference.x509_checks import issued_by as _issued_by
from pytest_ocpp.reference.x509_checks import key_bits as _key_bits
from pytest_ocpp.reference.x509_checks import valid_now as _valid_now

if TYPE_CHECKING:
    from pytest_ocpp.reference.station import ReferenceStation

LOGGER = logging.getLogger("pytest_ocpp.reference.station")

__all__ = ["SECURITY_DEFECTS", "SecureStationClient", "SecurityMixin"]

SECURITY_DEFECTS: dict[str, str] = {
    "keeps_old_password": "Answers ChangeConfiguration AuthorizationKey Accepted but keeps "
    "connecting with the old password (1.6 Security Whitepaper A01, TC_073_CS).",
    "accepts_profile_downgrade": "Accepts ChangeConfiguration SecurityProfile with a lower "
    "value (A05.FR.01 requires Rejected, TC_084_CS).",
    "installs_invalid_firmware_signature": "Reports SignatureVerified and installs signed "
    "firmware whose signature does not verify (L01.FR.03/04, TC_081_CS).",
    "no_invalid_certificate_event": "Refuses an invalid certificate but sends no "
    "SecurityEventNotification (A02.FR.07 / §8, TC_077_CS and TC_078_CS).",
    "csr_ignores_cpo_name": "Puts its own organization in the CSR's O instead of the CpoName "
    "configuration key (§7.3, A00.FR.509, TC_074_CS).",
    "delete_certificate_keeps_listing": "Answers DeleteCertificate Accepted but keeps the "
    "certificate: GetInstalledCertificateIds still lists it (M04.FR.02, TC_076_CS).",
    "no_security_log_upload": "Answers GetLog Accepted but never uploads the security log nor "
    "sends LogStatusNotification (N01.FR.02/08/09, TC_079_CS).",
}
"""Broken variants of this extension (merged into the station's DEFECTS table)."""

CS_ROOT = "CentralSystemRootCertificate"
MANUFACTURER_ROOT = "ManufacturerRootCertificate"
ROOT_TYPES = (CS_ROOT, MANUFACTURER_ROOT)
_HASHES = {"SHA256": hashlib.sha256, "SHA384": hashlib.sha384, "SHA512": hashlib.sha512}


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _stamp() -> str:
    return _utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return True  # an X.509 v1 root
    return bool(constraints.value.ca)


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def hash_data(
    certificate: x509.Certificate, issuer: x509.Certificate, algorithm: str = "SHA256"
) -> dict[str, str]:
    """CertificateHashDataType (M03/M04), snake_case for the ``ocpp`` library."""
    digest = _HASHES[algorithm]
    return {
        "hash_algorithm": algorithm,
        "issuer_name_hash": digest(certificate.issuer.public_bytes()).hexdigest(),
        "issuer_key_hash": digest(_key_bits(issuer)).hexdigest(),
        "serial_number": format(certificate.serial_number, "x"),
    }


@dataclass
class Installed:
    """One installed root certificate."""

    kind: str
    certificate: x509.Certificate


class SecurityMixin:
    """State and behaviour of the security extension; expects the ReferenceStation attributes
    (``has``, ``_enqueue``, ``spawn``, ``config``, ``csms_url``, TLS files ...)."""

    def security_setup(self: ReferenceStation) -> None:
        """Called at the end of ``ReferenceStation.__init__``."""
        self.factory_ca_file = self.tls_ca_file
        """The CentralSystemRootCertificate file the station was given (it may appear later:
        a run's generated CA); imported into the store the first time it is readable."""
        self.installed: list[Installed] = [
            Installed(
                MANUFACTURER_ROOT, x509.load_pem_x509_certificate(manufacturer_root_pem().encode())
            )
        ]
        self.security_log: list[str] = []
        self._given_ca_file = self.tls_ca_file
        self._roots_changed = False
        """A CentralSystemRootCertificate was installed or deleted over OCPP: the TLS trust is
        then the store, written to a file of its own."""
        self._folder: Path | None = None
        self._csr_key: ec.EllipticCurvePrivateKey | None = None
        self._csr_subject: x509.Name | None = None
        self._signed_request_id: int | None = None
        self._log_status = "Idle"
        self._log_request_id: int | None = None
        self.security_profile = self._initial_profile()
        for key, value, readonly in (
            ("SecurityProfile", str(self.security_profile), False),
            ("CpoName", "", False),
            ("CertificateStoreMaxLength", "20", True),
            ("AdditionalRootCertificateCheck", "false", True),
        ):
            self.config._keys[key] = ConfigKey(key, value, readonly, lambda _value: True)

    def _initial_profile(self: ReferenceStation) -> int:
        if self.csms_url.startswith("wss://"):
            return 3 if self.tls_cert_file else 2
        return 1 if self.basic_auth_password else 0

    # ------------------------------------------------------------------ security events / log
    def security_event(self: ReferenceStation, kind: str, tech_info: str = "") -> None:
        """Log ``kind`` in the security log (N01.FR.05) and notify the Central System (§8)."""
        stamp = _stamp()
        self.security_log.append(f"{stamp} {kind} {tech_info}".rstrip())
        info = (
            tech_info[:255] or None
        )  # the library's dataclasses take every field; None is left out
        self._enqueue(
            lambda: call.SecurityEventNotification(type=kind, timestamp=stamp, tech_info=info)
        )

    # ------------------------------------------------------------------ trust store
    def _import_factory_ca(self: ReferenceStation) -> None:
        path = self.factory_ca_file
        if not path or not os.path.exists(path):
            return
        try:
            certificates = x509.load_pem_x509_certificates(Path(path).read_bytes())
        except ValueError:
            return
        self.factory_ca_file = None
        for certificate in certificates:
            self._store(CS_ROOT, certificate)

    def _store(self: ReferenceStation, kind: str, certificate: x509.Certificate) -> None:
        if not any(i.kind == kind and i.certificate == certificate for i in self.installed):
            self.installed.append(Installed(kind, certificate))

    @property
    def _pki_dir(self: ReferenceStation) -> Path:
        """A private folder for the trust store and a renewed key, made when first needed."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="pytest-ocpp-station-pki-"))
        return self._folder

    def roots(self: ReferenceStation, kind: str) -> list[x509.Certificate]:
        if kind == CS_ROOT:
            self._import_factory_ca()
        return [i.certificate for i in self.installed if i.kind == kind]

    def central_system_roots_file(self: ReferenceStation) -> str | None:
        """The CentralSystemRootCertificates as one PEM file for the TLS context (profiles
        2/3: A00.FR.307); the given file until it exists (the station retries meanwhile)."""
        roots = self.roots(CS_ROOT)
        if not self._roots_changed:
            return self._given_ca_file
        if not roots:
            return None  # every root deleted: nothing of the test PKI is trusted
        path = self._pki_dir / "central-system-roots.pem"
        path.write_text("".join(_pem(c) for c in roots), "ascii")
        return str(path)

    def install_certificate(self: ReferenceStation, kind: str, text: str) -> str:
        """InstallCertificate (M05): a valid CA certificate is stored (Accepted); an invalid or
        expired one is Rejected, with InvalidCentralSystemCertificate for a CS root."""
        try:
            certificate = x509.load_pem_x509_certificate(text.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            certificate = None
        if certificate is None or not _valid_now(certificate) or not _is_ca(certificate):
            why = "not a PEM certificate" if certificate is None else "expired or not a CA"
            if kind == CS_ROOT and not self.has("no_invalid_certificate_event"):
                self.security_event("InvalidCentralSystemCertificate", f"InstallCertificate: {why}")
            return "Rejected"
        self._store(kind, certificate)
        self._roots_changed = self._roots_changed or kind == CS_ROOT
        self.security_log.append(
            f"{_stamp()} {kind} installed: {certificate.subject.rfc4514_string()}"
        )
        return "Accepted"

    def installed_hash_data(self: ReferenceStation, kind: str) -> list[dict[str, str]]:
        return [hash_data(c, c) for c in self.roots(kind)]

    def _in_use(self: ReferenceStation, root: x509.Certificate) -> bool:
        """Whether ``root`` verified the current connection's server certificate."""
        ws = self._ws
        transport = getattr(ws, "transport", None)
        ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if not der:
            return False
        return _issued_by(x509.load_der_x509_certificate(der), root)

    def delete_certificate(self: ReferenceStation, wanted: dict[str, Any]) -> str:
        """DeleteCertificate (M04): Accepted, NotFound, or Failed for the root in use
        (M04.FR.06)."""
        algorithm = str(wanted.get("hash_algorithm", "SHA256"))
        if algorithm not in _HASHES:
            return "NotFound"
        for entry in list(self.installed):
            data = hash_data(entry.certificate, entry.certificate, algorithm)
            same = all(
                str(wanted.get(k, "")).lower().lstrip("0") == data[k].lower().lstrip("0")
                for k in ("issuer_name_hash", "issuer_key_hash", "serial_number")
            )
            if not same:
                continue
            if entry.kind == CS_ROOT and self._in_use(entry.certificate):
                return "Failed"
            if not self.has("delete_certificate_keeps_listing"):
                self.installed.remove(entry)
                self._roots_changed = self._roots_changed or entry.kind == CS_ROOT
            self.security_log.append(f"{_stamp()} {entry.kind} deleted")
            return "Accepted"
        return "NotFound"

    # ------------------------------------------------------------------ certificate signing
    def make_csr(self: ReferenceStation) -> str:
        """A new EC P-256 key and its CSR (A02.FR.02/03): CN = the station's identity (its
        serial number here, A00.FR.511), O = CpoName (§7.3, A00.FR.509)."""
        key = ec.generate_private_key(ec.SECP256R1())
        organization = self.config.get("CpoName") or "pytest-ocpp reference charge point"
        if self.has("csr_ignores_cpo_name"):
            organization = "pytest-ocpp reference charge point"
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, self.station_id),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            ]
        )
        csr = (
            x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
        )
        self._csr_key, self._csr_subject = key, subject
        return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")

    async def sign_certificate_flow(self: ReferenceStation) -> None:
        """SignCertificate.req with a new CSR; the Central System's answer needs no action."""
        await self._request(call.SignCertificate(csr=self.make_csr()))

    def certificate_problem(self: ReferenceStation, chain_text: str) -> str:
        """Why a CertificateSigned chain is not valid (A02.FR.06), '' when it is."""
        try:
            chain = x509.load_pem_x509_certificates(chain_text.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            return "not a PEM certificate chain"
        if self._csr_key is None:
            return "no certificate signing request is outstanding"
        leaf = chain[0]
        mine = self._csr_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        theirs = leaf.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if mine != theirs:
            return "the certificate is not for the key of the CSR"
        if not _valid_now(leaf):
            return "the certificate is outside its validity period"
        if leaf.subject != self._csr_subject:
            return "the certificate's subject is not the CSR's"
        issuers = chain[1:] + self.roots(CS_ROOT)
        current = leaf
        for _ in range(len(issuers) + 1):
            root = next((r for r in self.roots(CS_ROOT) if _issued_by(current, r)), None)
            if root is not None:
                return ""
            parent = next((c for c in chain[1:] if _issued_by(current, c)), None)
            if parent is None or not _valid_now(parent):
                break
            current = parent
        return "the certificate does not chain to an installed CentralSystemRootCertificate"

    def certificate_signed(self: ReferenceStation, chain_text: str) -> str:
        """CertificateSigned: Accepted and stored for the next connection, or Rejected with
        an InvalidChargePointCertificate security event (A02.FR.06/07)."""
        problem = self.certificate_problem(chain_text)
        if problem:
            if not self.has("no_invalid_certificate_event"):
                self.security_event("InvalidChargePointCertificate", problem)
            return "Rejected"
        assert self._csr_key is not None
        cert_path = self._pki_dir / "charge-point-cert.pem"
        key_path = self._pki_dir / "charge-point-key.pem"
        cert_path.write_text(chain_text, "ascii")
        key_path.write_bytes(
            self._csr_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_path.chmod(0o600)
        self.tls_cert_file, self.tls_key_file = str(cert_path), str(key_path)
        self._csr_key = None
        self.security_log.append(f"{_stamp()} ChargePointCertificate renewed")
        return "Accepted"

    async def reconnect(self: ReferenceStation) -> None:
        """Close the websocket once the answer is out; the station connects again at once
        with its current settings (password, profile, certificate)."""
        await self._drain_outbox(2.0)
        await self._close_ws()

    # ------------------------------------------------------------------ configuration keys
    def change_authorization_key(self: ReferenceStation, value: str) -> str:
        """AuthorizationKey (A00.FR.205: 16 to 40 characters); logged without its value
        (A01.FR.11/12)."""
        if not 16 <= len(value) <= 40:
            return "Rejected"
        if not self.has("keeps_old_password"):
            self.basic_auth_password = value
        self.security_log.append(f"{_stamp()} AuthorizationKey changed")
        return "Accepted"

    def profile_problem(self: ReferenceStation, value: str) -> str:
        """Why SecurityProfile ``value`` cannot be set (A05.FR.01-04), '' when it can."""
        try:
            wanted = int(value)
        except ValueError:
            return "not a number"
        if wanted <= self.security_profile:
            if self.has("accepts_profile_downgrade") and wanted >= 0:
                return ""
            return "not higher than the current profile"
        if wanted > 3:
            return "no such profile"
        if wanted in (1, 2) and not 16 <= len(self.basic_auth_password or "") <= 40:
            return "no AuthorizationKey"
        if wanted in (2, 3) and not self.roots(CS_ROOT):
            return "no CentralSystemRootCertificate installed"
        if wanted == 3 and not self.tls_cert_file:
            return "no ChargePointCertificate"
        return ""

    def apply_profile(self: ReferenceStation, value: str) -> None:
        """Switch to the accepted profile: wss:// on the same host and port from 2 on
        (A05.FR.06/07)."""
        wanted = int(value)
        upgrade = wanted > self.security_profile
        self.security_profile = wanted
        self.config.set("SecurityProfile", value)
        self.security_log.append(f"{_stamp()} SecurityProfile set to {wanted}")
        if not upgrade:
            return  # the accepts_profile_downgrade defect: said yes, changes nothing
        if wanted >= 2 and self.csms_url.startswith("ws://"):
            self.csms_url = "wss://" + self.csms_url[len("ws://") :]
        self.spawn(self.reconnect())

    async def _act_set_security_profile(self: ReferenceStation, profile: int) -> None:
        """Operator action: the technician sets the security profile at the station (the only
        way down, A05.FR.01), and the station reconnects with it."""
        self.security_profile = int(profile)
        self.config.set("SecurityProfile", str(profile))
        if int(profile) < 2 and self.csms_url.startswith("wss://"):
            self.csms_url = "ws://" + self.csms_url[len("wss://") :]
        await self.reconnect()

    async def perform(self: ReferenceStation, action: str, **params: Any) -> None:
        if action == "set_security_profile":
            await self._act_set_security_profile(**params)
            return
        await super().perform(action, **params)  # type: ignore[misc]

    # ------------------------------------------------------------------ security log (N01)
    def _notify_log(self: ReferenceStation, status: str) -> None:
        self._log_status = status
        request_id = self._log_request_id
        self._enqueue(lambda: call.LogStatusNotification(status=status, request_id=request_id))

    async def log_flow(
        self: ReferenceStation, location: str, file_name: str, retries: int, interval: int
    ) -> None:
        """Upload the security log (N01.FR.02/03): Uploading, then Uploaded/UploadFailed."""
        data = json.dumps(
            {"station": self.station_id, "security_log": self.security_log}, indent=1
        ).encode()
        self._notify_log("Uploading")
        for attempt in range(retries + 1):
            try:
                await asyncio.to_thread(upload, location, file_name, data)
                self._notify_log("Uploaded")
                return
            except Exception as error:  # ftplib raises several unrelated types
                LOGGER.info("%s: security log upload failed: %s", self.station_id, error)
                if attempt < retries:
                    await asyncio.sleep(interval)
        self._notify_log("UploadFailed")

    # ------------------------------------------------------------------ signed firmware (L01)
    def _notify_firmware(self: ReferenceStation, status: str) -> None:
        """FirmwareStatusNotification, or SignedFirmwareStatusNotification with the request's
        id while a signed update runs (L01.FR.01/10)."""
        request_id = self._signed_request_id
        if request_id is None:
            super()._notify_firmware(status)  # type: ignore[misc]
            return
        if status in ("Installed", "InstallationFailed", "DownloadFailed", "InvalidSignature"):
            self._signed_request_id = None
        self._enqueue(
            lambda: call.SignedFirmwareStatusNotification(status=status, request_id=request_id)
        )
        if status == "Installed":
            self.security_event("FirmwareUpdated")

    async def signed_firmware_flow(
        self: ReferenceStation, firmware: dict[str, Any], retries: int, interval: int
    ) -> None:
        """Download at retrieveDateTime, verify the signature (L01.FR.04), install and reboot,
        Installed after the boot."""
        retrieve = parse_datetime(str(firmware["retrieve_date_time"]))
        await asyncio.sleep(max(0.0, (retrieve - _utcnow()).total_seconds()))
        image = b""
        for attempt in range(retries + 1):
            self.firmware_status = "Downloading"
            self._notify_firmware("Downloading")
            try:
                image = await asyncio.to_thread(download, str(firmware["location"]))
                break
            except (OSError, ValueError) as error:
                LOGGER.info("%s: signed firmware download failed: %s", self.station_id, error)
                if attempt < retries:
                    await asyncio.sleep(interval)
                    continue
                self.firmware_status = "Idle"
                self._notify_firmware("DownloadFailed")
                return
        self.firmware_status = "Downloaded"
        self._notify_firmware("Downloaded")
        valid = signature_valid(
            str(firmware["signing_certificate"]), image, str(firmware["signature"])
        )
        if not valid and not self.has("installs_invalid_firmware_signature"):
            self.firmware_status = "Idle"
            self._notify_firmware("InvalidSignature")
            self.security_event("InvalidFirmwareSignature")
            return
        self._notify_firmware("SignatureVerified")
        while any(c.transaction for c in self.connectors[1:]):
            self._transaction_ended.clear()
            await self._transaction_ended.wait()
        self.firmware_status = "Installing"
        self._notify_firmware("Installing")
        self.firmware_version = f"signed-{len(image)}"
        self._firmware_installed_pending = True
        await self._drain_outbox(5.0)
        self._reboot_pending = True
        await self._close_ws()


class SecureStationClient(StationClient):
    """The charge point of one connection, with the security extension's messages."""

    station: ReferenceStation

    @on(Action.change_configuration)
    def on_change_configuration(self, key: str, value: str) -> Any:
        """AuthorizationKey, SecurityProfile and CpoName here (Whitepaper §7); the rest as
        OCPP 1.6 §5.3 says (the base handler)."""
        st = self.station
        if key == "AuthorizationKey":
            return call_result.ChangeConfiguration(status=st.change_authorization_key(value))
        if key == "SecurityProfile":
            problem = st.profile_problem(value)
            if problem:
                LOGGER.info("%s: SecurityProfile %s refused: %s", st.station_id, value, problem)
                return call_result.ChangeConfiguration(status="Rejected")
            return call_result.ChangeConfiguration(status="Accepted")
        return super().on_change_configuration(key, value)

    @after(Action.change_configuration)
    def after_change_configuration(self, key: str, value: str) -> None:
        """After the answer is on the wire: reconnect with the new password (A01) or the
        new profile (A05.FR.06/07)."""
        st = self.station
        if key == "AuthorizationKey":
            if 16 <= len(value) <= 40:
                st.spawn(st.reconnect())
            return
        if key == "SecurityProfile":
            if not st.profile_problem(value):
                st.apply_profile(value)
            return
        super().after_change_configuration(key, value)

    @on(Action.get_configuration)
    def on_get_configuration(self, key: list[str] | None = None) -> Any:
        """AuthorizationKey is write-only (§7.2): never reported."""
        if key and "AuthorizationKey" in key:
            key = [k for k in key if k != "AuthorizationKey"] or None
            if key is None:
                return call_result.GetConfiguration(configuration_key=[])
        return super().on_get_configuration(key)

    @on(Action.extended_trigger_message)
    def on_extended_trigger_message(
        self, requested_message: str, connector_id: int | None = None
    ) -> Any:
        """ExtendedTriggerMessage (Whitepaper §5): SignChargePointCertificate,
        LogStatusNotification, FirmwareStatusNotification; the others as TriggerMessage."""
        st = self.station
        if connector_id is not None and not 0 <= connector_id <= st.connector_count:
            return call_result.ExtendedTriggerMessage(status="Rejected")
        return call_result.ExtendedTriggerMessage(status="Accepted")

    @after(Action.extended_trigger_message)
    def after_extended_trigger_message(
        self, requested_message: str, connector_id: int | None = None
    ) -> None:
        st = self.station
        if connector_id is not None and not 0 <= connector_id <= st.connector_count:
            return
        if requested_message == "SignChargePointCertificate":
            st.spawn(st.sign_certificate_flow())
        elif requested_message == "LogStatusNotification":
            st._notify_log(st._log_status)
        elif requested_message == "FirmwareStatusNotification":
            st._notify_firmware(st.firmware_status)
        elif requested_message == "BootNotification":
            st.trigger_boot()
        elif requested_message == "Heartbeat":
            st.enqueue_heartbeat()
        elif requested_message == "MeterValues":
            st.trigger_meter_values(connector_id)
        elif requested_message == "StatusNotification":
            st.trigger_status(connector_id)

    @on(Action.certificate_signed)
    def on_certificate_signed(self, certificate_chain: str) -> Any:
        self._signed_status = self.station.certificate_signed(certificate_chain)
        return call_result.CertificateSigned(status=self._signed_status)

    @after(Action.certificate_signed)
    def after_certificate_signed(self, certificate_chain: str) -> None:
        st = self.station
        if self._signed_status == "Accepted" and st.security_profile == 3:
            st.spawn(st.reconnect())  # A02.FR.08: the new certificate from now on

    @on(Action.install_certificate)
    def on_install_certificate(self, certificate_type: str, certificate: str) -> Any:
        return call_result.InstallCertificate(
            status=self.station.install_certificate(certificate_type, certificate)
        )

    @on(Action.get_installed_certificate_ids)
    def on_get_installed_certificate_ids(self, certificate_type: str) -> Any:
        """M03: NotFound without hash data when none of the type is installed."""
        entries = self.station.installed_hash_data(certificate_type)
        if not entries:
            return call_result.GetInstalledCertificateIds(status="NotFound")
        return call_result.GetInstalledCertificateIds(
            status="Accepted", certificate_hash_data=entries
        )

    @on(Action.delete_certificate)
    def on_delete_certificate(self, certificate_hash_data: dict[str, Any]) -> Any:
        return call_result.DeleteCertificate(
            status=self.station.delete_certificate(certificate_hash_data)
        )

    @on(Action.get_log)
    def on_get_log(self, log: dict[str, Any], log_type: str, request_id: int, **_: Any) -> Any:
        """GetLog (N01): the file name now, the upload after the answer."""
        st = self.station
        st._log_request_id = request_id
        kind = "security" if log_type == "SecurityLog" else "diagnostics"
        self._log_file = f"{kind}-{st.station_id}-{_utcnow():%Y%m%dT%H%M%SZ}.log"
        return call_result.GetLog(status="Accepted", filename=self._log_file)

    @after(Action.get_log)
    def after_get_log(
        self,
        log: dict[str, Any],
        log_type: str,
        request_id: int,
        retries: int | None = None,
        retry_interval: int | None = None,
    ) -> None:
        st = self.station
        if st.has("no_security_log_upload"):
            return
        st.spawn(
            st.log_flow(log["remote_location"], self._log_file, retries or 0, retry_interval or 0)
        )

    @on(Action.signed_update_firmware)
    def on_signed_update_firmware(self, request_id: int, firmware: dict[str, Any], **_: Any) -> Any:
        """SignedUpdateFirmware (L01): the signing certificate is checked first
        (L01.FR.23/24: InvalidCertificate, with InvalidFirmwareSigningCertificate, L01.FR.02)."""
        st = self.station
        self._require("FirmwareManagement", "SignedUpdateFirmware")
        roots = [_pem(c) for c in st.roots(MANUFACTURER_ROOT)]
        problem = signing_certificate_problem(str(firmware.get("signing_certificate", "")), roots)
        if problem:
            st.security_event("InvalidFirmwareSigningCertificate", problem)
            return call_result.SignedUpdateFirmware(status="InvalidCertificate")
        return call_result.SignedUpdateFirmware(status="Accepted")

    @after(Action.signed_update_firmware)
    def after_signed_update_firmware(
        self,
        request_id: int,
        firmware: dict[str, Any],
        retries: int | None = None,
        retry_interval: int | None = None,
    ) -> None:
        st = self.station
        roots = [_pem(c) for c in st.roots(MANUFACTURER_ROOT)]
        if signing_certificate_problem(str(firmware.get("signing_certificate", "")), roots):
            return
        st._signed_request_id = request_id
        st.spawn(st.signed_firmware_flow(firmware, retries or 0, retry_interval or 0))
