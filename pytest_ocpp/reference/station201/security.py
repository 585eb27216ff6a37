"""The reference 2.0.1 station's transport security (Part 2 A00-A05, B09): security profiles
1-3 per network connection profile, the TLS client side, the security profile upgrade and the
CertificateSigned timeout retry.

Mixed into :class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`; the station's
connection loop asks :meth:`SecurityMixin.connect_options` how to connect to the slot it tries
and reports the outcome (:meth:`connection_failed`, :meth:`connection_succeeded`).

- Every configuration slot has its securityProfile (slot 1: the one the station was built
  with; SetNetworkProfile stores the others). Profile 1 and 2 send HTTP Basic credentials
  (user = the station's identity, password = SecurityCtrlr.BasicAuthPassword, A00.FR.201-205,
  A00.FR.301-304); profile 2 and 3 connect over TLS 1.2 or above (A00.FR.313/416) with the
  AES-GCM suites of A00.FR.319/422, verifying the CSMS certificate's path against the CSMS
  roots (the factory file ``tls_ca_file`` plus every installed CSMSRootCertificate) and its
  name against the URL's host (A00.FR.308/309, 411/412); profile 3 shows the newest Charging
  Station certificate (a renewed one from the next connection on, A02.FR.08/09) or the factory
  one (``tls_cert_file``).
- A new CSMS root installed with AdditionalRootCertificateCheck keeps the old one installed as
  the fallback (M05.FR.12): the next handshakes verify with the new root only; a reconnection
  whose handshake fails so is tried again with the old root (M05.FR.14), as is the previous
  network profile after migrating to another CSMS failed (M05.FR.15/16); the first
  connection verified with the new root removes the old one (M05.FR.13).
- A refused CSMS certificate queues one InvalidCsmsCertificate security event per series of
  failed attempts (A00.FR.310/413), a TLS version below 1.2 an InvalidTLSVersion one when the
  handshake says so (A00.FR.316/419); both go once connected (A04: critical events are queued).
- NetworkConfigurationPriority naming a slot with a higher securityProfile is Rejected without
  a valid CSMS root for profile 2/3 (A05.FR.02) and without a Charging Station certificate for
  profile 3 (A05.FR.03); once connected with a higher profile the station raises
  SecurityCtrlr.SecurityProfile and drops the slots of a lower one (A05.FR.06).
- After an Accepted SignCertificateResponse without a CertificateSignedRequest for that CSR,
  the same CSR goes again after SecurityCtrlr.CertSigningWaitMinimum seconds, doubling
  CertSigningRepeatTimes times (A02.FR.17-19); a Rejected one is not repeated.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import ssl
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from ocpp.v201 import call

from pytest_ocpp.reference.station201.model import Outgoing

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["SECURITY_DEFECTS", "SecurityMixin"]

LOGGER = logging.getLogger("pytest_ocpp.reference.station201")

CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:"
    "AES128-GCM-SHA256:AES256-GCM-SHA384"
)
"""TLS 1.2 suites offered: both pairs of A00.FR.319/422 plus the ECDHE_RSA twins."""

SECURITY_DEFECTS: dict[str, str] = {
    "a_password_kept": "Answers SetVariables BasicAuthPassword Accepted but keeps connecting "
    "with the old password (A01.FR.01).",
    "a_short_password_accepted": "Accepts a BasicAuthPassword shorter than 16 characters "
    "(A00.FR.304, A01).",
    "a_untrusted_server_accepted": "Over wss:// it does not verify the CSMS certificate: any "
    "certificate is accepted (A00.FR.308-311, A00.FR.411-414).",
    "a_old_tls_accepted": "Accepts TLS 1.0/1.1 from the CSMS (A00.FR.313/316, A00.FR.416/419).",
    "a_invalid_certificate_silent": "Rejects an invalid CertificateSigned chain without an "
    "InvalidChargingStationCertificate security event (A02.FR.07, A03.FR.07).",
    "a_sign_not_repeated": "Never sends the SignCertificateRequest again when no "
    "CertificateSignedRequest follows (A02.FR.17/18).",
    "a_downgrade_accepted": "Accepts a SetNetworkProfile with a lower securityProfile than "
    "SecurityCtrlr.SecurityProfile (B09.FR.04).",
    "a_upgrade_without_root": "Accepts a NetworkConfigurationPriority upgrading to profile 2/3 "
    "without a valid CSMSRootCertificate (A05.FR.02).",
    "a_upgrade_without_certificate": "Accepts a NetworkConfigurationPriority upgrading to "
    "profile 3 without a Charging Station certificate (A05.FR.03).",
    "a_lower_profiles_kept": "After connecting with a higher security profile keeps the "
    "network profiles of the lower one in NetworkConfigurationPriority (A05.FR.06).",
    "m_fallback_root_kept": "Keeps the old (fallback) CSMS root after connecting with the new "
    "one (M05.FR.13).",
    "m_no_root_fallback": "Never verifies the CSMS certificate with the old (fallback) CSMS root "
    "once a new one is installed (M05.FR.14, M05.FR.16).",
    "m_new_root_unused": "Keeps verifying the CSMS certificate with the old CSMS root after a "
    "new one replaced it: a server certificate of the new root is refused (M05.FR.12/13).",
}
"""The broken variants of this block (merged into the station's DEFECTS)."""


_OLD_TLS = ("TLSV1_ALERT_PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL", "WRONG_SSL_VERSION")


def initial_profile(url: str, cert_file: str | None) -> int:
    """Slot 1's securityProfile when none is given: 3 over wss:// with a client certificate,
    2 over wss://, else 1 (a 2.0.1 station has no profile 0 in production)."""
    if url.startswith("wss://"):
        return 3 if cert_file else 2
    return 1


class SecurityMixin:
    """Transport security state and behaviour; mixed into the station."""

    def init_security(
        self: ReferenceStation201,
        *,
        security_profile: int | None,
        tls_ca_file: str | None,
        tls_cert_file: str | None,
        tls_key_file: str | None,
    ) -> None:
        """Called once the device model exists: slot 1's profile, SecurityProfile read from
        it, the CertSigning variables (A02.FR.17/18) and the A05 priority checks."""
        self.tls_ca_file = tls_ca_file
        self.tls_cert_file = tls_cert_file
        self.tls_key_file = tls_key_file
        profile = security_profile or initial_profile(self.csms_url, tls_cert_file)
        self.security_profile = profile
        self.slot_profiles: dict[int, int] = {1: profile}
        self._tls_failure_reported = False
        self._csr_signed: dict[str, int] = {}
        self._client_files: tuple[str, str] | None = None
        self._last_trust: tuple[int, str] = (1, "none")
        """(slot, CSMS roots trusted) of the last connection attempt (:meth:`_trust_for`)."""
        self._root_fallback_due = False
        model = self.model
        variable = model.find("SecurityCtrlr.SecurityProfile")
        if variable is not None:
            variable.getter = lambda: str(self.security_profile)
        model.add("SecurityCtrlr.CertSigningWaitMinimum", 30, "ReadWrite", unit="s", min_limit=1)
        model.add("SecurityCtrlr.CertSigningRepeatTimes", 3, "ReadWrite", min_limit=0)
        priority = model.find("OCPPCommCtrlr.NetworkConfigurationPriority")
        if priority is not None:
            installed = priority.validator
            priority.validator = lambda v: (
                (installed is None or installed(v)) and self.upgrade_allowed(v)
            )
        password = model.find("SecurityCtrlr.BasicAuthPassword")
        if password is not None and self.has("a_short_password_accepted"):
            strict = password.validator
            password.validator = lambda v: bool(v) and (len(v) < 16 or strict is None or strict(v))

    # ------------------------------------------------------------------ connecting

    def slot_profile(self: ReferenceStation201, slot: int) -> int:
        return self.slot_profiles.get(slot, self.security_profile)

    def connect_options(self: ReferenceStation201, slot: int, url: str) -> dict[str, Any]:
        """websockets ``connect`` options for ``slot``: Basic credentials for profiles 1/2,
        the TLS context for wss://."""
        options: dict[str, Any] = {}
        profile = self.slot_profile(slot)
        password = self.basic_auth_password
        if password and profile in (1, 2):
            token = base64.b64encode(f"{self.station_id}:{password}".encode()).decode()
            options["additional_headers"] = {"Authorization": f"Basic {token}"}
        self._last_trust = (slot, "none")
        if url.startswith("wss://"):
            self._last_trust = (slot, self._trust_for(slot))
            options["ssl"] = self.client_context(profile, self._last_trust[1])
        return options

    def csms_roots(self: ReferenceStation201) -> list[x509.Certificate]:
        """Every installed CSMSRootCertificate (with the fallback of M05.FR.12)."""
        current, fallback = self.csms_root_sets()
        return current + fallback

    def csms_root_sets(
        self: ReferenceStation201,
    ) -> tuple[list[x509.Certificate], list[x509.Certificate]]:
        """(the CSMS roots in use, the temporary fallback roots M05.FR.12 keeps installed);
        a fallback left without the new root that replaced it (deleted) is in use again."""
        marked = self._fallbacks()
        roots = [i.certificate for i in self._store() if i.use == "CSMSRootCertificate"]
        current = [r for r in roots if r not in marked]
        fallback = [r for r in roots if r in marked]
        if not current:
            marked.clear()
            return fallback, []
        return current, fallback

    def _trust_for(self: ReferenceStation201, slot: int) -> str:
        """Which CSMS roots verify the server certificate of this attempt on ``slot``: "all"
        (the factory file and the installed roots) without a pending root swap; with one
        (M05.FR.12) "new" (the new root only) first, then "old" (the fallback and the factory
        file) on a reconnection whose handshake failed with the new root (M05.FR.14), and on
        the previous network profile after migrating failed (M05.FR.15/16)."""
        _, fallback = self.csms_root_sets()
        if not fallback:
            return "all"
        if self.has("m_new_root_unused"):
            return "old"
        if self.has("m_no_root_fallback") or slot != self.active_slot:
            return "new"
        if self._slot_order and self._slot_order[0] != slot:
            return "old"  # M05.FR.16: back on the old profile after the new one failed
        return "old" if self._root_fallback_due else "new"

    def client_context(
        self: ReferenceStation201, profile: int, trust: str = "all"
    ) -> ssl.SSLContext:
        """TLS 1.2+ (A00.FR.313/416), the suites of A00.FR.319/422, the CSMS path and name
        verified against the CSMS roots ``trust`` names (:meth:`_trust_for`; A00.FR.308/309,
        411/412; a new root signed by the old one is a trust anchor of its own), the Charging
        Station certificate for profile 3 (A00.FR.401/402)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers(CIPHERS)
        if self.has("a_old_tls_accepted"):
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            with contextlib.suppress(ValueError, ssl.SSLError), warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                context.minimum_version = ssl.TLSVersion.TLSv1
        current, fallback = self.csms_root_sets()
        if self.tls_ca_file and trust != "new":
            context.load_verify_locations(self.tls_ca_file)
        for root in fallback if trust == "old" else current:
            context.load_verify_locations(cadata=root.public_bytes(serialization.Encoding.DER))
        if self.has("a_untrusted_server_accepted"):
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if profile == 3:
            files = self._client_certificate_files()
            if files is not None:
                context.load_cert_chain(*files)
        return context

    def _client_certificate_files(self: ReferenceStation201) -> tuple[str, str] | None:
        """The newest Charging Station certificate with its key (A02.FR.09), written to a
        private temporary folder for ``load_cert_chain``; else the factory one."""
        keys: dict[int, Any] = self.__dict__.setdefault("_station_keys", {})
        renewed = [
            i
            for i in self._store()
            if i.use == "ChargingStationCertificate" and i.certificate.serial_number in keys
        ]
        if not renewed:
            if self.tls_cert_file:
                return self.tls_cert_file, self.tls_key_file or self.tls_cert_file
            return None
        item = max(renewed, key=lambda i: i.certificate.not_valid_before_utc)
        folder = Path(tempfile.mkdtemp(prefix="station201-tls-"))
        chain = [item.certificate, *item.children]
        cert = folder / "cert.pem"
        cert.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))
        key_path = folder / "key.pem"
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(
                keys[item.certificate.serial_number].private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        return str(cert), str(key_path)

    def connection_failed(self: ReferenceStation201, error: BaseException) -> None:
        """A00.FR.310/413 and 316/419: a refused CSMS certificate or an old TLS version
        queues one security event per series of failed attempts."""
        kind = ""
        if isinstance(error, ssl.SSLCertVerificationError):
            kind = "InvalidCsmsCertificate"
            slot, trust = self._last_trust
            if trust == "new" and slot == self.active_slot:
                self._root_fallback_due = True  # M05.FR.14: the old root next
        elif isinstance(error, ssl.SSLError) and getattr(error, "reason", "") in _OLD_TLS:
            kind = "InvalidTLSVersion"
        if not kind or self._tls_failure_reported:
            return
        self._tls_failure_reported = True
        event = call.SecurityEventNotification(type=kind, timestamp=self.ts())
        self.outbox.append(Outgoing(build=lambda _i: event, kind="keep"))
        self._outbox_changed.set()

    def connection_succeeded(self: ReferenceStation201, slot: int) -> None:
        """A05.FR.06: connected with a higher securityProfile: SecurityProfile follows and the
        slots of a lower profile are removed, from NetworkConfigurationPriority too."""
        self._tls_failure_reported = False
        self._root_fallback_due = False
        if self._last_trust[1] == "new" and not self.has("m_fallback_root_kept"):
            # M05.FR.13: verified with the new CSMS root: the old (fallback) one goes.
            marked = self._fallbacks()
            self._store()[:] = [
                i
                for i in self._store()
                if not (i.use == "CSMSRootCertificate" and i.certificate in marked)
            ]
            marked.clear()
        profile = self.slot_profile(slot)
        if profile <= self.security_profile:
            return
        self.security_profile = profile
        if self.has("a_lower_profiles_kept"):
            return
        for other, value in list(self.slot_profiles.items()):
            if value < profile:
                del self.slot_profiles[other]
                self.network_profiles.pop(other, None)
        variable = self.model.find("OCPPCommCtrlr.NetworkConfigurationPriority")
        if variable is not None:
            kept = [t for t in variable.value.split(",") if t.strip().isdigit()]
            kept = [t for t in kept if int(t) in self.network_profiles] or [str(slot)]
            variable.value = ",".join(kept)

    # ------------------------------------------------------------------ A05 upgrade checks

    def has_csms_root(self: ReferenceStation201) -> bool:
        return bool(self.tls_ca_file) or bool(self.csms_roots())

    def has_station_certificate(self: ReferenceStation201) -> bool:
        return bool(self.tls_cert_file) or any(
            i.use == "ChargingStationCertificate" for i in self._store()
        )

    def upgrade_allowed(self: ReferenceStation201, value: str) -> bool:
        """A05.FR.02/03 for a NetworkConfigurationPriority: every slot named with a higher
        securityProfile than the current one has what that profile needs."""
        for text in value.split(","):
            if not text.strip().isdigit():
                continue
            profile = self.slot_profiles.get(int(text), 0)
            if profile <= self.security_profile:
                continue
            if profile >= 2 and not self.has_csms_root():
                if not self.has("a_upgrade_without_root"):
                    return False
            if profile == 3 and not self.has_station_certificate():
                if not self.has("a_upgrade_without_certificate"):
                    return False
        return True

    # ------------------------------------------------------------------ A02.FR.17-19

    def certificate_signed_received(self: ReferenceStation201, use: str) -> None:
        """A CertificateSignedRequest of ``use`` arrived: the retries for its CSR stop."""
        self._csr_signed[use] = self._csr_signed.get(use, 0) + 1

    async def send_sign_certificate(self: ReferenceStation201, csr: str, use: str) -> None:
        """SignCertificateRequest; when Accepted and no CertificateSignedRequest follows
        within CertSigningWaitMinimum (doubling each time, CertSigningRepeatTimes times), the
        same CSR again (A02.FR.17-19). A Rejected one is not repeated."""
        signed = self._csr_signed.get(use, 0)
        wait = float(self.model.get_int("SecurityCtrlr.CertSigningWaitMinimum", 30))
        repeats = self.model.get_int("SecurityCtrlr.CertSigningRepeatTimes", 3)
        for attempt in range(repeats + 2):
            response = await self.request(call.SignCertificate(csr=csr, certificate_type=use))
            if response is None or response.status != "Accepted":
                return
            if attempt > repeats or self.has("a_sign_not_repeated"):
                return
            await asyncio.sleep(wait * 2**attempt)
            if self._csr_signed.get(use, 0) != signed:
                return
            LOGGER.info("%s: no CertificateSignedRequest; SignCertificate again", self.station_id)

    # ------------------------------------------------------------------ operator

    def _act_restore_network_profile(
        self: ReferenceStation201, slot: int, url: str, security_profile: int, priority: str
    ) -> None:
        """The installer's local configuration tool: only ``slot`` with ``url`` and
        ``security_profile``, that profile as SecurityProfile, ``priority``; then the station
        reboots into it (boot reason LocalReset)."""
        self.network_profiles.clear()
        self.slot_profiles.clear()
        self.network_profiles[int(slot)] = url.rstrip("/")
        self.slot_profiles[int(slot)] = int(security_profile)
        self.security_profile = int(security_profile)
        self.model.override("OCPPCommCtrlr.NetworkConfigurationPriority", str(priority))
        self.active_slot = int(slot)
        self.request_reboot("LocalReset")
