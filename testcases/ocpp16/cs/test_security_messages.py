"""OCTT 1.6, Charge Point under test, the messages of the Security Whitepaper extension (OCTT
1.6 test case document §2.24, Tables 88-99; OCPP 1.6 Security Whitepaper edition 3).

pytest-ocpp plays the Central System and, where a table says so, the Certificate Authority
Server (it signs the station's CSR with its CSMS root). The reusable parts live once in
:mod:`pytest_ocpp.csms.states16_security` (memory states CertificateInstalled and
RenewChargePointCertificate, the CpoName configuration state, the CSR steps).

What OCTT lets the tester configure comes from the ``[station]`` table of ``--ocpp-config``
(PEM text or a PEM file path): ``csms_root_certificate`` (+ ``csms_root_private_key``, the CA
that signs the station's certificate), ``manufacturer_root_certificate``, ``vendor`` (the
"configured Vendor Name" CpoName is set to), and for the signed firmware ``firmware_file``,
``firmware_signing_certificate`` and ``firmware_signature`` (OCTT's 'Signature' test data
field); unconfigured, a test PKI and a test image signed for the run. The firmware and the
security log go through the suite's own file servers (``file_servers``: FTP and HTTP on
``--ocpp-public-host``).

Each case puts back what it changed: the password (TC_073), installed or deleted roots
(TC_075/076/078), the CpoName (the fake CSMS's configuration restore). Two things cannot be
undone over OCPP and are said in a warning: a renewed Charge Point certificate (its old key is
gone) and a raised security profile (A05.FR.01 forbids lowering it; TC_083 asks the station
operator's ``set_security_profile`` action when the rig has one).
"""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from pytest_ocpp import security, step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.csms import FakeCsms16 as FakeCsms
from pytest_ocpp.csms import StationConnection
from pytest_ocpp.csms.profile_relay import serve_profile
from pytest_ocpp.csms.states16_security import CS_ROOT, FIRMWARE_FINAL, MANUFACTURER_ROOT
from pytest_ocpp.csms.states201_certificates import matches, subject_of
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.pki import load_certificates
from pytest_ocpp.station import now
from pytest_ocpp.transfer import FileServers
from pytest_ocpp.verdicts import (
    ConnectFailed,
    ConnectionLost,
    NotApplicable,
    RigError,
    TargetFailure,
    TargetTimeout,
    check,
)

TRANSFER = "--ocpp-transfer-timeout"
OCTT_AUTHORIZATION_KEY = "4F43415F4F4354545F61646D696E5F74657374"
"""TC_073_CS step 1: "OCA_OCTT_admin_test" hex encoded."""
SFSN = "SignedFirmwareStatusNotification"


# -- shared steps ------------------------------------------------------------------------------
def _transfer_timeout(ocpp_config: OcppConfig) -> float:
    return min(ocpp_config.timeouts.transfer, ocpp_config.timeouts.case)


async def _report(
    sut: StationConnection,
    action: str,
    wanted: str,
    since: int,
    *,
    request_id: int,
    failures: tuple[str, ...] = (),
    timeout: float | None = None,
    rule: str = "",
) -> IncomingCall:
    """The next ``action`` (a status notification) from inbox position ``since`` saying
    ``wanted``; one saying a status of ``failures`` first fails with it. Repeats and legal
    intermediate statuses are awaited through. Its requestId must be the request's
    (N01.FR.07, L01.FR.10)."""
    names = (wanted, *failures)
    setting = f" ({TRANSFER})" if timeout is not None else " (--ocpp-message-timeout)"
    try:
        item = await sut.wait_for(
            action,
            lambda p: p.get("status") in names,
            since=since,
            timeout=timeout,
            describe=f"{action}.req status {wanted}{rule}",
        )
    except TargetTimeout as exc:
        raise TargetTimeout(f"{exc.args[0] if exc.args else exc}{setting}") from None
    status = item.payload.get("status")
    check(status == wanted, f"{action}.req status is {wanted}{rule}", item.payload)
    check(
        item.payload.get("requestId") == request_id,
        f"{action}.req requestId {request_id}, the request's (1.6 Whitepaper N01.FR.07 / "
        "L01.FR.10)",
        item.payload,
    )
    return item


async def _location(sut: StationConnection, file_servers: FileServers, name: str) -> str:
    """A URL on the suite's servers in a protocol the station lists in
    SupportedFileTransferProtocols (OCPP 1.6 §9.1; FTP when the optional key is absent)."""
    known = await sut.configuration_values(["SupportedFileTransferProtocols"])
    values = [value or "" for value in known.values()]
    protocols = {p.strip().upper() for v in values for p in v.split(",") if p.strip()}
    if not protocols or "FTP" in protocols:
        return file_servers.ftp_url(name)
    if "HTTP" in protocols:
        return file_servers.http_url(name)
    raise NotApplicable(
        f"the station supports only {', '.join(sorted(protocols))} file transfers; the "
        "suite's file servers speak FTP and HTTP"
    )


def _file(ocpp_config: OcppConfig, key: str) -> bytes | None:
    value = ocpp_config.station.extra.get(key)
    if value is None:
        return None
    path = Path(str(value)).expanduser()
    if not path.is_absolute() and ocpp_config.config_file is not None:
        path = ocpp_config.config_file.parent / path
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RigError(f"[station] {key}: cannot read {path}: {exc}") from None


def _signed_firmware(ocpp_config: OcppConfig) -> tuple[bytes, str, str]:
    """(image, signing certificate PEM, signature base64): ``[station] firmware_file``,
    ``firmware_signing_certificate`` and ``firmware_signature`` when configured (the
    manufacturer signed it), else a test image signed for the run with a firmware signing
    certificate under the test manufacturer root (RSA-PSS, SHA-256, L01.FR.04)."""
    from pytest_ocpp.certificates import configured_pem
    from pytest_ocpp.firmware_images import build_image, run_pki, sign

    pki = run_pki()
    image = _file(ocpp_config, "firmware_file")
    extra = ocpp_config.station.extra
    if (image is None) != (not extra.get("firmware_signature")):
        raise RigError(
            "[station] firmware_file and firmware_signature go together (with "
            "firmware_signing_certificate): the tester configures the signature calculated "
            "over that firmware"
        )
    if image is None:
        image = build_image("1.6-signed-pytest", b"signed firmware\n" * 200)
        return image, pki.signing_pem, sign(image, pki.signing_key)
    certificate = configured_pem(ocpp_config, "firmware_signing_certificate", pki.signing_pem)
    return image, certificate, str(extra["firmware_signature"])


def _spoiled(signature: str) -> str:
    """TC_081_CS "<An invalid signature.>": the configured signature with its last byte
    changed, so it is well-formed base64 of the right length but does not verify."""
    raw = bytearray(base64.b64decode(signature))
    raw[-1] ^= 0x55
    return base64.b64encode(bytes(raw)).decode("ascii")


async def _security_event(sut: StationConnection, kind: str, since: int, rule: str) -> None:
    """A SecurityEventNotification.req of type ``kind`` from inbox position ``since`` (other
    events the station logs meanwhile are legal)."""
    try:
        await sut.wait_for(
            "SecurityEventNotification",
            lambda p: p.get("type") == kind,
            since=since,
            describe=f"SecurityEventNotification.req type {kind} ({rule})",
        )
    except TargetTimeout as exc:
        raise TargetTimeout(
            f"{exc.args[0] if exc.args else exc} (--ocpp-message-timeout)"
        ) from None


# -- 2.24.1 Secure connection setup ------------------------------------------------------------
@ocpp_case("TC_073_CS")
async def test_tc_073_cs(csms, station_operator, ocpp_config) -> None:
    """The Charge Point switches to a new HTTP Basic password set with ChangeConfiguration
    AuthorizationKey (1.6 Security Whitepaper A01, A00.FR.202-205): it disconnects and
    reconnects with the new password, which the fake CSMS alone accepts from then on
    (A01.FR.03). Profiles 1 and 2. The configured password is put back the same way."""
    security.require_profile(ocpp_config, (1, 2), "HTTP Basic authentication")
    original = csms.password
    if original is None:
        raise NotApplicable("no --ocpp-basic-auth-password: the station's password is unknown")
    sut = await csms.ready(station_operator)
    generation = csms.generation
    changed = False
    try:
        security.protect_secrets(OCTT_AUTHORIZATION_KEY)  # a password once the station takes it
        step('1. ChangeConfiguration.req key AuthorizationKey value <"OCA_OCTT_admin_test" hex>')
        answer = await sut.call(
            "ChangeConfiguration", {"key": "AuthorizationKey", "value": OCTT_AUTHORIZATION_KEY}
        )
        check(
            answer.get("status") == "Accepted",
            "Step 2: ChangeConfiguration.conf status is Accepted",
            answer,
        )
        changed = True
        csms.change_password(OCTT_AUTHORIZATION_KEY)
        step("3. The Charge Point disconnects and reconnects with the new password")
        sut = await csms.next_connection(after=generation, reboot=True)
        check(
            (sut.basic_auth or ("", 0))[1] == len(OCTT_AUTHORIZATION_KEY),
            "Step 3: the Charge Point reconnects with the new password (A01.FR.03)",
            "another password",
        )
    finally:
        if changed:
            await _restore_password(csms, original)


async def _restore_password(csms: FakeCsms, original: str) -> None:
    """After TC_073: the configured password back, by the same route (the station reconnects
    with it); the fake CSMS expects it again at once."""
    step("After: ChangeConfiguration.req AuthorizationKey back to --ocpp-basic-auth-password")
    csms.change_password(original)
    sut = await csms.station(csms.config.timeouts.reboot)
    generation = csms.generation
    answer = await sut.link.call(
        "ChangeConfiguration", {"key": "AuthorizationKey", "value": original}, allow_error=True
    )
    csms.changed_config.pop("AuthorizationKey", None)
    if answer.get("status") == "Accepted":
        await csms.next_connection(after=generation, reboot=True)


@ocpp_case("TC_074_CS")
async def test_tc_074_cs(csms, station_operator, ocpp_config) -> None:
    """The Charge Point renews its certificate when the Central System asks (1.6 Whitepaper
    A02): ExtendedTriggerMessage SignChargePointCertificate, a new key and a CSR with O =
    CpoName (A02.FR.02/03, §7.3), the tool signs it, the station verifies and accepts it
    (A02.FR.06) and reconnects with it (A02.FR.08). Profile 3.

    Before the table: the tool's CA must be in the station's CPO hierarchy (A02.FR.06), so it
    is installed as a CentralSystemRootCertificate with memory state CertificateInstalled
    when it is not (and deleted again afterwards). The renewed certificate stays."""
    security.require_profile(ocpp_config, (3,), "TLS with client side certificates")
    sut = await csms.ready(station_operator)
    authority_pem = csms.signing_authority().pem
    step(
        "Before (prerequisite): the tool's CA is one of the station's CentralSystemRootCertificates"
    )
    present = await csms.certificate_installed(sut, authority_pem)
    try:
        await csms.cpo_name_configured(sut)
        request = await csms.request_csr(sut)
        await csms.answer_csr(request)
        chain = csms.sign(str(request.payload["csr"]))
        generation = csms.generation
        await csms.certificate_signed(sut, chain, "Accepted")
        step("7. The Charge Point disconnects and reconnects with the new certificate")
        sut = await csms.next_connection(after=generation, reboot=True)
        leaf = load_certificates(chain)[0].public_bytes(Encoding.DER)
        shown = sut.tls.peer_certificate if sut.tls is not None else None
        check(
            shown == leaf,
            "Step 7: the Charge Point reconnects with the new certificate (A02.FR.08)",
            _subject(shown) if shown else "no client certificate",
        )
        warn(
            "the station now uses the certificate this case had signed; its former key cannot "
            "be restored over OCPP (A02.FR.05)"
        )
    finally:
        if not present:
            current = csms.connection
            if current is not None and not current.closed:
                await csms.delete_quietly(current, authority_pem)


def _subject(der: bytes) -> str:
    return f"another certificate: {x509.load_der_x509_certificate(der).subject.rfc4514_string()}"


async def _install_and_list(
    csms: FakeCsms, station_operator, ocpp_config: OcppConfig, certificate_type: str
) -> None:
    """TC_075_1/2_CS: InstallCertificate.req of the configured root, Accepted; then
    GetInstalledCertificateIds.req of its type, Accepted, listing it by OCTT's own
    calculation of its certificateHashData (M05, M03.FR.03/04). A root the station did not
    have before is deleted again afterwards."""
    security.require_profile(ocpp_config, (2, 3), "TLS with certificates")
    pem = csms.configured_root(certificate_type)
    sut = await csms.ready(station_operator)
    step(f"Before (pytest-ocpp, for the clean-up): is the configured {certificate_type} installed?")
    present = await csms.is_installed(sut, pem, certificate_type)
    try:
        step(
            f"1. InstallCertificate.req certificateType {certificate_type}, the configured certificate"
        )
        answer = await sut.call(
            "InstallCertificate", {"certificateType": certificate_type, "certificate": pem}
        )
        check(
            answer.get("status") == "Accepted",
            "Step 2: InstallCertificate.conf status is Accepted",
            answer,
        )
        step(f"3. GetInstalledCertificateIds.req certificateType {certificate_type}")
        listed = await sut.call("GetInstalledCertificateIds", {"certificateType": certificate_type})
        check(
            listed.get("status") == "Accepted",
            "Step 4: GetInstalledCertificateIds.conf status is Accepted",
            listed,
        )
        check(
            any(matches(item, pem) for item in listed.get("certificateHashData") or []),
            f"Step 4: certificateHashData includes the installed certificate ({subject_of(pem)}), "
            "by OCTT's own calculation of its hash data (M03.FR.04)",
            listed,
        )
    finally:
        if not present:
            await csms.delete_quietly(sut, pem)


@ocpp_case("TC_075_1_CS")
async def test_tc_075_1_cs(csms, station_operator, ocpp_config) -> None:
    """Install a ManufacturerRootCertificate (1.6 Whitepaper M05, M03). Profiles 2 and 3."""
    await _install_and_list(csms, station_operator, ocpp_config, MANUFACTURER_ROOT)


@ocpp_case("TC_075_2_CS")
async def test_tc_075_2_cs(csms, station_operator, ocpp_config) -> None:
    """Install a CentralSystemRootCertificate (1.6 Whitepaper M05, M03). Profiles 2 and 3."""
    await _install_and_list(csms, station_operator, ocpp_config, CS_ROOT)


@ocpp_case("TC_076_CS")
async def test_tc_076_cs(csms, station_operator, ocpp_config) -> None:
    """Delete a certificate (1.6 Whitepaper M04.FR.01/02, M03): after memory state
    CertificateInstalled, the configured CentralSystemRootCertificate is deleted by the hash
    data the station reported (its hashAlgorithm, M04.FR.07) and is no longer listed.
    Profiles 2 and 3. A root the station had before the case is installed again afterwards."""
    security.require_profile(ocpp_config, (2, 3), "TLS with certificates")
    pem = csms.configured_root(CS_ROOT)
    sut = await csms.ready(station_operator)
    present = await csms.certificate_installed(sut, pem)
    deleted = False
    try:
        step(f"1. GetInstalledCertificateIds.req certificateType {CS_ROOT}")
        listed = await sut.call("GetInstalledCertificateIds", {"certificateType": CS_ROOT})
        entry = next(
            (item for item in listed.get("certificateHashData") or [] if matches(item, pem)), None
        )
        check(
            entry is not None,
            f"Step 2: GetInstalledCertificateIds.conf lists the installed {CS_ROOT} "
            f"({subject_of(pem)})",
            listed,
        )
        assert entry is not None
        step("3. DeleteCertificate.req with its certificateHashData (hashAlgorithm of step 2)")
        answer = await sut.call("DeleteCertificate", {"certificateHashData": entry})
        check(
            answer.get("status") == "Accepted",
            "Step 4: DeleteCertificate.conf status is Accepted",
            answer,
        )
        deleted = True
        step(f"5. GetInstalledCertificateIds.req certificateType {CS_ROOT}")
        after = await sut.call("GetInstalledCertificateIds", {"certificateType": CS_ROOT})
        check(
            not any(matches(item, pem) for item in after.get("certificateHashData") or []),
            "Step 6: certificateHashData does not include the removed certificate (M04.FR.02), "
            "by OCTT's own calculation",
            after,
        )
    finally:
        if present and deleted:
            step("After: the deleted root, which the station had before, is installed again")
            await sut.link.call(
                "InstallCertificate",
                {"certificateType": CS_ROOT, "certificate": pem},
                allow_error=True,
            )
        elif not present and not deleted:
            await csms.delete_quietly(sut, pem)


# -- 2.24.2 Security event/logging -------------------------------------------------------------
@ocpp_case("TC_077_CS")
async def test_tc_077_cs(csms, station_operator, ocpp_config) -> None:
    """The Charge Point refuses an invalid signed certificate and reports it (1.6 Whitepaper
    A02.FR.06/07): the tool signs the station's CSR with a certificate whose validity ended
    yesterday; CertificateSigned.conf Rejected and a SecurityEventNotification
    InvalidChargePointCertificate follow. Profile 3."""
    security.require_profile(ocpp_config, (3,), "TLS with client side certificates")
    sut = await csms.ready(station_operator)
    await csms.cpo_name_configured(sut)
    request = await csms.request_csr(sut)
    await csms.answer_csr(request)
    mark = sut.mark()
    chain = csms.sign_invalid(str(request.payload["csr"]))
    await csms.certificate_signed(sut, chain, "Rejected")
    step("7. SecurityEventNotification.req type InvalidChargePointCertificate")
    await _security_event(sut, "InvalidChargePointCertificate", mark, "A02.FR.07")


@ocpp_case("TC_078_CS")
async def test_tc_078_cs(csms, station_operator, ocpp_config) -> None:
    """The Charge Point refuses an expired CentralSystemRootCertificate and reports it with
    a SecurityEventNotification InvalidCentralSystemCertificate (1.6 Whitepaper M05, §8).
    Profiles 2 and 3. Should the station install it anyway, it is deleted again."""
    from pytest_ocpp.pki import generated_pki

    security.require_profile(ocpp_config, (2, 3), "TLS with certificates")
    sut = await csms.ready(station_operator)
    invalid = generated_pki().expired
    mark = sut.mark()
    step(f"1. InstallCertificate.req certificateType {CS_ROOT}, an expired certificate")
    answer = await sut.call(
        "InstallCertificate", {"certificateType": CS_ROOT, "certificate": invalid}
    )
    try:
        check(
            answer.get("status") == "Rejected",
            "Step 2: InstallCertificate.conf status is Rejected",
            answer,
        )
        step("3. SecurityEventNotification.req type InvalidCentralSystemCertificate")
        await _security_event(sut, "InvalidCentralSystemCertificate", mark, "1.6 Whitepaper §8")
    finally:
        if answer.get("status") == "Accepted":
            await csms.delete_quietly(sut, invalid)


@ocpp_case("TC_079_CS")
async def test_tc_079_cs(csms, station_operator, ocpp_config, file_servers) -> None:
    """The Charge Point uploads its security log where GetLog says (1.6 Whitepaper N01.FR.01-
    03/07-09): GetLog.conf Accepted, LogStatusNotification Uploading then Uploaded with the
    request's id, and a file arrives at the suite's file server."""
    security.require_profile(ocpp_config, (1, 2, 3), "the security extension")
    sut = await csms.ready(station_operator)
    timeout = _transfer_timeout(ocpp_config)
    location = await _location(sut, file_servers, "")
    earlier = file_servers.log.upload_count
    request_id = 79
    step("1. GetLog.req logType SecurityLog, log.remoteLocation <Configured log location>")
    mark = sut.mark()
    answer = await sut.call(
        "GetLog",
        {"log": {"remoteLocation": location}, "logType": "SecurityLog", "requestId": request_id},
    )
    check(answer.get("status") == "Accepted", "Step 2: GetLog.conf status is Accepted", answer)
    failures = ("UploadFailure", "BadMessage", "PermissionDenied", "NotSupportedOperation")
    step("3. LogStatusNotification.req status Uploading")
    await _report(
        sut,
        "LogStatusNotification",
        "Uploading",
        mark,
        request_id=request_id,
        failures=failures,
        rule=" (N01.FR.08)",
    )
    step("5. LogStatusNotification.req status Uploaded")
    await _report(
        sut,
        "LogStatusNotification",
        "Uploaded",
        mark,
        request_id=request_id,
        failures=failures,
        timeout=timeout,
        rule=" (N01.FR.09)",
    )
    step("[The security log is at the log.remoteLocation of step 1]")
    try:
        await file_servers.log.wait(
            lambda: file_servers.log.upload_count > earlier, timeout, "the security log upload"
        )
    except TimeoutError:
        check(False, f"the security log uploaded to {location}", "no upload arrived")


# -- 2.24.3 Secure firmware update -------------------------------------------------------------
async def _signed_update(
    csms: FakeCsms,
    sut: StationConnection,
    location: str,
    certificate: str,
    signature: str,
    request_id: int,
) -> int:
    """Steps 1-2: SignedUpdateFirmware.req with the table's fields, Accepted. Returns the inbox
    mark taken before it."""
    step("1. SignedUpdateFirmware.req firmware.location <Configured firmware location>")
    mark = sut.mark()
    answer = await sut.call(
        "SignedUpdateFirmware",
        {
            "requestId": request_id,
            "firmware": {
                "location": location,
                "retrieveDateTime": now(sut.version),
                "signingCertificate": certificate,
                "signature": signature,
            },
        },
    )
    if answer.get("status") != "Accepted":
        csms.firmware_running = False  # nothing runs (L01.FR.24)
    check(
        answer.get("status") == "Accepted",
        "Step 2: SignedUpdateFirmware.conf status is Accepted",
        answer,
    )
    return mark


@ocpp_case("TC_080_CS")
async def test_tc_080_cs(csms, station_operator, ocpp_config, file_servers) -> None:
    """A signed firmware update (1.6 Whitepaper L01.FR.01/04/10): Downloading, Downloaded,
    SignatureVerified, Installing, a reboot (BootNotification, StatusNotification Available on
    every connector and connectorId 0) and Installed; steps 11-17 in any order, the optional
    SecurityEventNotification FirmwareUpdated answered. FirmwareManagement and a security
    profile."""
    security.require_profile(ocpp_config, (1, 2, 3), "the security extension")
    csms.require_profile("FirmwareManagement")
    sut = await csms.ready(station_operator)
    timeout = _transfer_timeout(ocpp_config)
    image, certificate, signature = _signed_firmware(ocpp_config)
    name = "signed-firmware.bin"
    file_servers.publish(name, image)
    location = await _location(sut, file_servers, name)
    generation = csms.generation
    request_id = 80
    mark = await _signed_update(csms, sut, location, certificate, signature, request_id)
    bad = ("DownloadFailed", "InvalidSignature", "InstallationFailed", "InstallVerificationFailed")
    step("3. SignedFirmwareStatusNotification.req status Downloading")
    await _report(
        sut, SFSN, "Downloading", mark, request_id=request_id, failures=bad, timeout=timeout
    )
    step("5. SignedFirmwareStatusNotification.req status Downloaded")
    await _report(
        sut, SFSN, "Downloaded", mark, request_id=request_id, failures=bad, timeout=timeout
    )
    step("7. SignedFirmwareStatusNotification.req status SignatureVerified")
    await _report(
        sut, SFSN, "SignatureVerified", mark, request_id=request_id, failures=bad, timeout=timeout
    )
    step("9. SignedFirmwareStatusNotification.req status Installing")
    installing = await _report(
        sut, SFSN, "Installing", mark, request_id=request_id, failures=bad, timeout=timeout
    )
    since = sut.link.inbox.index(installing) + 1
    step("11-12. The Charge Point reboots: BootNotification.req, Accepted")
    rebooted = await csms.next_connection(after=generation, reboot=True)
    await rebooted.wait_for("BootNotification", timeout=timeout)
    step("15-16. StatusNotification.req Available, every connector and connectorId 0")
    for connector in range(ocpp_config.station.connectors + 1):
        await rebooted.wait_for(
            "StatusNotification",
            lambda p, c=connector: p["connectorId"] == c and p["status"] == "Available",
            describe=f"StatusNotification.req connectorId {connector} Available after the update",
        )
    step(
        "17-18. SignedFirmwareStatusNotification.req status Installed (before or after the reboot)"
    )
    done = [
        item.payload
        for item in sut.link.inbox[since:]
        if item.action == SFSN and item.payload.get("status") in FIRMWARE_FINAL
    ]
    if done:
        check(done[0].get("status") == "Installed", f"{SFSN}.req status is Installed", done[0])
    else:
        await _report(
            rebooted, SFSN, "Installed", 0, request_id=request_id, failures=bad, timeout=timeout
        )


@ocpp_case("TC_081_CS")
async def test_tc_081_cs(csms, station_operator, ocpp_config, file_servers) -> None:
    """The Charge Point verifies the firmware signature and refuses an invalid one (1.6
    Whitepaper L01.FR.03/04): Downloading, Downloaded, then InvalidSignature, never
    SignatureVerified or Installing. FirmwareManagement and a security profile."""
    security.require_profile(ocpp_config, (1, 2, 3), "the security extension")
    csms.require_profile("FirmwareManagement")
    sut = await csms.ready(station_operator)
    timeout = _transfer_timeout(ocpp_config)
    image, certificate, signature = _signed_firmware(ocpp_config)
    name = "signed-firmware-invalid-signature.bin"
    file_servers.publish(name, image)
    location = await _location(sut, file_servers, name)
    request_id = 81
    mark = await _signed_update(csms, sut, location, certificate, _spoiled(signature), request_id)
    bad = ("DownloadFailed",)
    step("3. SignedFirmwareStatusNotification.req status Downloading")
    await _report(
        sut, SFSN, "Downloading", mark, request_id=request_id, failures=bad, timeout=timeout
    )
    step("5. SignedFirmwareStatusNotification.req status Downloaded")
    await _report(
        sut, SFSN, "Downloaded", mark, request_id=request_id, failures=bad, timeout=timeout
    )
    step("7. SignedFirmwareStatusNotification.req status InvalidSignature")
    try:
        await _report(
            sut,
            SFSN,
            "InvalidSignature",
            mark,
            request_id=request_id,
            failures=("SignatureVerified", "Installing", "Installed"),
            timeout=timeout,
            rule=" (the signature does not verify: L01.FR.03/04)",
        )
    except ConnectionLost:
        raise TargetFailure(
            "the Charge Point went away (a reboot to install?) instead of reporting "
            "InvalidSignature for a firmware whose signature does not verify (L01.FR.03/04)"
        ) from None


# -- the security profile ----------------------------------------------------------------------
@ocpp_case("TC_083_CS")
async def test_tc_083_cs(csms, station_operator, ocpp_config) -> None:
    """The Charge Point upgrades its security profile (1.6 Whitepaper A05.FR.02-07): with the
    prerequisites in place (memory state CertificateInstalled at profile 1,
    RenewChargePointCertificate at profile 2), ChangeConfiguration SecurityProfile one higher
    is Accepted (or RebootRequired, then a Hard Reset) and the station reconnects to the same
    URL with the new profile; the fake CSMS's port then serves the higher profile and refuses
    the lower one (A05.FR.09). Profiles 1 and 2 (nothing is higher than 3).

    OCPP cannot lower the profile again (A05.FR.01): the case asks the station operator's
    ``set_security_profile`` action when the rig has one, else it warns that the station now
    runs the higher profile."""
    profile = security.require_profile(ocpp_config, (1, 2), "a higher security profile exists")
    higher = profile + 1
    sut = await csms.ready(station_operator)
    if profile == 1:
        step(
            "Before: memory state CertificateInstalled (the root of the Central System's certificate)"
        )
        await csms.certificate_installed(sut, csms.transport_root())
    else:
        step("Before: memory state RenewChargePointCertificate")
        await csms.renew_charge_point_certificate(sut)
    context = csms.upgrade_context(higher)
    await serve_profile(csms, higher, context, plain_profile=profile)
    generation = csms.generation
    upgraded = False
    try:
        step(f"1. ChangeConfiguration.req key SecurityProfile value {higher}")
        answer = await sut.call(
            "ChangeConfiguration", {"key": "SecurityProfile", "value": str(higher)}
        )
        status = answer.get("status")
        check(
            status in ("Accepted", "RebootRequired"),
            "Step 2: ChangeConfiguration.conf status Accepted or RebootRequired",
            answer,
        )
        upgraded = True
        csms.changed_config.pop("SecurityProfile", None)  # not lowered over OCPP (A05.FR.01)
        reconnected: StationConnection | None = None
        if status == "Accepted":
            step(f"The Charge Point reconnects with security profile {higher} (A05.FR.06/07)")
            try:
                reconnected = await csms.next_connection(after=generation, reboot=True)
            except ConnectFailed:
                if csms.connection is None or csms.connection.closed:
                    raise
        if reconnected is None:
            step("3. Reset.req type Hard (RebootRequired, or no reconnection by itself)")
            current = await csms.station()
            reset = await current.call("Reset", {"type": "Hard"})
            check(
                reset.get("status") == "Accepted",
                "Step 4: Reset.conf status should be Accepted",
                reset,
            )
            reconnected = await csms.next_connection(after=generation, reboot=True)
            step("5-6. BootNotification.req, Accepted")
            boot = await reconnected.wait_for("BootNotification")
            since = reconnected.link.inbox.index(boot) + 1
            step("7-8. StatusNotification.req Available, per connector and connectorId 0")
            for connector in range(ocpp_config.station.connectors + 1):
                await reconnected.next_status(connector, "Available", since=since)
        info = reconnected.tls
        check(
            info is not None,
            f"the reconnection uses TLS (security profile {higher}, A05.FR.07)",
            "plain ws://",
        )
        if higher == 3:
            check(
                info is not None and bool(info.peer_certificate),
                "the reconnection shows a client certificate (security profile 3, A00.FR.401/402)",
                "none",
            )
        # Connected with the higher profile: the lower one is refused from now on (A05.FR.09).
        await serve_profile(csms, higher, context)
    finally:
        if upgraded:
            await _lower_again(csms, station_operator, profile, higher)
        else:
            await serve_profile(csms, profile, csms.upgrade_context(max(profile, 2)))


async def _lower_again(csms: FakeCsms, station_operator, profile: int, higher: int) -> None:
    if "set_security_profile" not in getattr(station_operator, "vocabulary", {}):
        warn(
            f"the station now runs security profile {higher}: OCPP cannot lower it (1.6 "
            f"Whitepaper A05.FR.01); set it back to {profile} at the station. The fake CSMS "
            f"keeps serving profile {higher} on its port for the rest of this run"
        )
        return
    step(f"After: the station operator sets security profile {profile} back at the station")
    generation = csms.generation
    await serve_profile(csms, profile, csms.upgrade_context(max(profile, 2)))
    await station_operator.perform("set_security_profile", profile=profile)
    await csms.next_connection(after=generation, reboot=True)


@ocpp_case("TC_084_CS")
async def test_tc_084_cs(csms, station_operator, ocpp_config) -> None:
    """The Charge Point refuses to lower its security profile (1.6 Whitepaper A05.FR.01,
    §7.6): ChangeConfiguration SecurityProfile one lower is Rejected. Profiles 2 and 3. A
    station that accepts is set back with a ChangeConfiguration to the original value."""
    profile = security.require_profile(ocpp_config, (2, 3), "a lower security profile exists")
    sut = await csms.ready(station_operator)
    step(f"1. ChangeConfiguration.req key SecurityProfile value {profile - 1}")
    answer = await sut.call(
        "ChangeConfiguration", {"key": "SecurityProfile", "value": str(profile - 1)}
    )
    try:
        check(
            answer.get("status") == "Rejected",
            "Step 2: ChangeConfiguration.conf status is Rejected (A05.FR.01: not to a lower "
            "security profile)",
            answer,
        )
    finally:
        if answer.get("status") in ("Accepted", "RebootRequired"):
            csms.changed_config.pop("SecurityProfile", None)
            current = await csms.station(ocpp_config.timeouts.reboot)
            await current.link.call(
                "ChangeConfiguration",
                {"key": "SecurityProfile", "value": str(profile)},
                allow_error=True,
            )
