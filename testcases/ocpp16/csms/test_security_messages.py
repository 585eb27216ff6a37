"""OCTT 1.6, Central System under test, the messages of the Security Whitepaper extension
(OCTT 1.6 test case document Tables 179-188: TC_073-TC_081; OCPP 1.6 Security Whitepaper
edition 3, use cases A01, A02, A04, A05, M03-M05, N01, L01), and the provisional TC_083_CSMS
and TC_088_CSMS.

pytest-ocpp plays the Charge Point. Every request of the Central System is made through
``csms_operator`` (OCTT's "Manual Action", or the user's CSMS that sends it on its own), answered
as the table says before it is judged, so a failed check never leaves the Central System
waiting; our station sends exactly the fields the tables list.

OCTT's "<Configured ...>" test data are ``[station]`` keys of ``--ocpp-config`` (certificates as
PEM text or a PEM file path, relative to the config file): ``cpo_name`` (CpoName, the O of our
CSR), ``serial_number`` (the CN of our CSR; default the station id), ``cpo_root_certificate``
(the root a signed Charge Point certificate must chain to), ``manufacturer_root_certificate`` and
``csms_root_certificate`` (what InstallCertificate.req must carry),
``hash_algorithm`` (SHA256, SHA384 or SHA512), ``log_location`` (GetLog's remoteLocation;
default ``diagnostics_location``), ``firmware_location``, ``firmware_signing_certificate``,
``firmware_signature`` and ``invalid_firmware_signature``. Without them, certificates of the
run's generated test PKI and ``.invalid`` URLs are used: configure the Central System with the
same values (the reference CSMS sends what the operator asks for). Uploads and downloads are
simulated, as in the TC_044/TC_045 cases: the locations are never contacted.

Security profile: TC_073 needs Basic authentication (profile 1 or 2), TC_075_x and TC_078 a
TLS profile (2 or 3), as their prerequisites say; TC_074/TC_077/TC_079-TC_081 need the security
extension in use (any profile); TC_076 (no prerequisite) and TC_088 (the handshake) run at any
setting. TC_074's last step (reconnect with the new certificate) is judged only under profile 3
and otherwise named in a warning. A case the run is not configured
for is not applicable, with the setting that would make it run.

Post-conditions: TC_073 has the Central System set the configured AuthorizationKey again at the
end (also when it failed), so the next case connects as before; the certificate cases change
nothing on the Central System's side (our station's certificate store lives for one case).

TC_083_CSMS and TC_088_CSMS are **provisional**: a newer OCTT revision lists them by title
only; their steps here come from the catalogue rows, the Whitepaper (A05), OCPP-J 1.6 §3.2 and
RFC 6455 §4. TC_083 needs a run at profile 2 with a client certificate and ``[station]
upgrade_station_id``, a station id the Central System may keep at profile 3 (OCPP cannot undo
the upgrade); with ``--ocpp-reference`` the run provides both (the reference CSMS knows a
spare id, and the client certificate generated for the run is used).
"""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import replace
from typing import Any

from pytest_ocpp import pki, security, step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station16
from pytest_ocpp.station import security16 as cp
from pytest_ocpp.verdicts import (
    ConnectFailed,
    TargetFailure,
    TargetTimeout,
    UnexpectedSubprotocol,
    check,
    not_applicable,
)

ANY_PROFILE = (1, 2, 3)
"""The security extension is in use: any of the three profiles (Whitepaper §2.1)."""

UNSUPPORTED_SUBPROTOCOL = "ocpp0.1"
"""The made-up OCPP version TC_088_CSMS offers."""

_REQUEST_IDS = itertools.count(1 + int(time.time()) % 1_000_000)
"""requestIds asked of the operator (GetLog, SignedUpdateFirmware): fresh in each run."""


# -- 3.21.1 Secure connection setup --------------------------------------------------------
@ocpp_case("TC_073_CSMS")
async def test_tc_073_csms(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig, ocpp_target: str
) -> None:
    """The Central System sets a new Basic authentication password with ChangeConfiguration
    AuthorizationKey and accepts it at the reconnection (Whitepaper A01, A01.FR.02/03;
    profiles 1 and 2). The new value is the one the request carries (the Central System
    chooses it; we only propose one to the operator) and is masked in every output.

    A01.FR.03 also says the Central System "no longer accept[s] the credentials previously
    used": a last step of pytest-ocpp's checks that the former password is refused. At the end
    the Central System is made to set the configured password again (ChangeConfiguration
    AuthorizationKey = ``--ocpp-basic-auth-password``): a Central System whose operator cannot
    send that must be set back by hand."""
    security.require_profile(ocpp_config, (1, 2), "HTTP Basic authentication")
    configured = ocpp_config.basic_auth_password or ""
    proposed = secrets.token_hex(12)
    security.protect_secrets(proposed)
    state: dict[str, str] = {"new": ""}
    # Profiles 1 and 2 authenticate with the password alone: a client certificate configured
    # for other cases must not stand in for it on the connections this case judges.
    basic_only = replace(ocpp_config.tls, cert_file=None, key_file=None)
    station.tls = basic_only

    async def scenario() -> None:
        step("Manual Action: Change the basic authentication password.")
        step("1. The Central System sends a ChangeConfiguration.req")
        request = await csms_operator.request(
            station, "ChangeConfiguration", {"key": "AuthorizationKey", "value": proposed}
        )
        new = str(request.payload.get("value", ""))
        security.protect_secrets(new)
        step("2. The Charge Point responds with a ChangeConfiguration.conf (Accepted)")
        await request.reply({"status": "Accepted"})
        key = request.payload.get("key")
        check(
            key == "AuthorizationKey",
            "Step 1: ChangeConfiguration.req key AuthorizationKey (Whitepaper A01.FR.02)",
            {"key": key},
        )
        state["new"] = new
        step(
            "3. The Charge Point disconnects its current connection and reconnects to the "
            "Central System with the new password"
        )
        station.password = new
        try:
            await station.reconnect()
        except ConnectFailed as exc:
            raise TargetFailure(
                "Step 3: the Central System refused the reconnection with the new "
                f"AuthorizationKey the Charge Point accepted: {exc} (Whitepaper A01.FR.03: after "
                "an Accepted ChangeConfiguration.conf it SHALL assume the change was successful)"
            ) from None
        step(
            "(pytest-ocpp) A connection with the former password is refused (Whitepaper "
            "A01.FR.03: no longer accept the credentials previously used)"
        )
        allowed = await security.refused_upgrade(
            ocpp_config, ocpp_target, "ocpp1.6", password=configured, tls=basic_only
        )
        if allowed:
            raise TargetFailure(
                "the Central System still accepts the former password after the Charge Point "
                f"accepted a new AuthorizationKey: got {allowed}; it must be refused (1.6 "
                "Security Whitepaper A01.FR.03)"
            )

    async def restore() -> None:
        if not state["new"] or state["new"] == configured:
            return
        step(
            "(pytest-ocpp) Post-condition: the Central System sets the configured "
            "AuthorizationKey again"
        )
        if not station.connected:
            for password in (state["new"], configured):
                station.password = password
                try:
                    await station.connect()
                    break
                except ConnectFailed:
                    continue
        request = await csms_operator.request(
            station, "ChangeConfiguration", {"key": "AuthorizationKey", "value": configured}
        )
        await request.reply({"status": "Accepted"})
        station.password = configured
        await station.reconnect()

    await cp.restoring(scenario, restore, "setting the configured AuthorizationKey again")


@ocpp_case("TC_083_CSMS")
async def test_tc_083_csms(
    station_factory: Any, csms_operator: CsmsOperator, ocpp_config: OcppConfig, ocpp_target: str
) -> None:
    """**Provisional** (a newer OCTT 1.6 revision, title only; steps from the catalogue row):
    the Central System upgrades a Charge Point from security profile 2 to 3 (Whitepaper A05):
    ChangeConfiguration SecurityProfile 3 (A05.FR.05), Reset Hard, the Charge Point reconnects
    with its client certificate and no password (A05.FR.06/07) and boots. pytest-ocpp then
    checks A05.FR.09: a connection with the former profile 2 is refused.

    OCPP has no way back ("it is not allowed to change to a lower Security Profile over
    OCPP", A05 remarks), so the case upgrades a station id kept for it, ``[station]
    upgrade_station_id``, which the Central System knows with the configured password and
    client certificate; the run's own station stays as it was. After the case the Central
    System holds that id at profile 3: set it back to profile 2 in the Central System before
    running the case again. Needs a run at profile 2 with a client certificate
    (``--ocpp-tls-cert-file``/``--ocpp-tls-key-file``, else the one generated for the run);
    from profile 1 the upgraded connection would need another (wss://) URL, which the row
    does not give. With ``--ocpp-reference`` the spare id is the embedded reference CSMS's
    (:func:`pytest_ocpp.embedded.reference_upgrade_station_id`), a CSMS made for the run."""
    from pytest_ocpp.embedded import reference_upgrade_station_id

    security.require_profile(ocpp_config, (2,), "TLS with Basic authentication, upgraded to 3")
    upgrade_id = reference_upgrade_station_id(ocpp_config)
    if not upgrade_id:
        raise not_applicable(
            "the upgrade to profile 3 cannot be undone over OCPP (Whitepaper A05 remarks): name "
            "a station id the Central System may keep at profile 3 in [station] "
            "upgrade_station_id"
        )
    cert_file, key_file = ocpp_config.tls.cert_file, ocpp_config.tls.key_file
    if not cert_file and ocpp_config.tls.client_certificate_out:
        cert_file, key_file = ocpp_config.tls.client_certificate_out
    if not cert_file:
        raise not_applicable(
            "no client certificate for profile 3 is configured (--ocpp-tls-cert-file, "
            "--ocpp-tls-key-file)"
        )
    profile_2 = replace(ocpp_config.tls, cert_file=None, key_file=None)
    profile_3 = replace(ocpp_config.tls, cert_file=cert_file, key_file=key_file)
    station: Station16 = await station_factory(station_id=upgrade_id, connect=False)
    station.tls = profile_2  # Basic credentials only, as profile 2 authenticates
    await station.connect()
    await station.booted()
    step("Manual Action: trigger ChangeConfiguration SecurityProfile on the Central System")
    step("1. The Central System sends a ChangeConfiguration.req (SecurityProfile 3)")
    request = await csms_operator.request(
        station, "ChangeConfiguration", {"key": "SecurityProfile", "value": "3"}
    )
    step("2. The Charge Point responds with a ChangeConfiguration.conf (Accepted)")
    await request.reply({"status": "Accepted"})
    check(
        request.payload.get("key") == "SecurityProfile" and request.payload.get("value") == "3",
        "Step 1: ChangeConfiguration.req key SecurityProfile, value 3, the next higher profile "
        "(Whitepaper A05 step 2)",
        request.payload,
    )
    step("3. The Central System sends a Reset.req (Hard)")
    reset = await csms_operator.request(station, "Reset", {"type": "Hard"})
    step("4. The Charge Point responds with a Reset.conf (Accepted)")
    await reset.reply({"status": "Accepted"})
    check(reset.payload.get("type") == "Hard", "Step 3: Reset.req type Hard", reset.payload)
    step("5. The Charge Point reconnects with security profile 3 (client certificate)")
    station.password, station.tls = None, profile_3  # the client certificate, no password
    try:
        await station.reconnect()
    except ConnectFailed as exc:
        raise TargetFailure(
            f"Step 5: the Central System refused the Charge Point at the security profile it "
            f"had set: {exc} (Whitepaper A05.FR.07)"
        ) from None
    step("6. The Charge Point sends a BootNotification.req")
    conf = await station.boot(expect_accepted=False)
    check(conf["status"] == "Accepted", "Step 7: BootNotification.conf status Accepted", conf)
    step(
        "(pytest-ocpp) A connection with the former profile 2 (Basic credentials, no client "
        "certificate) is refused (Whitepaper A05.FR.09)"
    )
    former = replace(ocpp_config, station_id=upgrade_id)
    allowed = await security.refused_upgrade(
        former,
        ocpp_target,
        "ocpp1.6",
        password=ocpp_config.basic_auth_password,
        tls=profile_2,
    )
    if allowed:
        raise TargetFailure(
            "the Central System still accepts security profile 2 from a Charge Point it "
            f"upgraded to profile 3: got {allowed}; it SHALL NOT allow a lower profile anymore "
            "(1.6 Security Whitepaper A05.FR.09)"
        )


# -- A02: certificate signing ----------------------------------------------------------------
async def _certificate_signed(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> tuple[IncomingCall, str, Any]:
    """Steps 1-5 of TC_074/TC_077: ExtendedTriggerMessage.req SignChargePointCertificate
    (answered Accepted), our new key and CSR in SignCertificate.req (Accepted, A02.FR.11), the
    Central System's CertificateSigned.req (unanswered). Returns it, our CSR and our key."""
    step("1. The Central System sends a ExtendedTriggerMessage.req")
    trigger = await csms_operator.request(
        station, "ExtendedTriggerMessage", {"requestedMessage": "SignChargePointCertificate"}
    )
    step("2. The Charge Point responds with a ExtendedTriggerMessage.conf (Accepted)")
    await trigger.reply({"status": "Accepted"})
    check(
        trigger.payload.get("requestedMessage") == "SignChargePointCertificate",
        "Step 1: ExtendedTriggerMessage.req requestedMessage SignChargePointCertificate "
        "(Whitepaper A02 step 1)",
        trigger.payload,
    )
    check(
        "connectorId" not in trigger.payload,
        "Step 1: ExtendedTriggerMessage.req connectorId <Omitted>",
        trigger.payload,
    )
    step(
        "[The Charge Point generates a new public/private key pair and generates a Certificate "
        "Signing Request.] 3. The Charge Point sends a SignCertificate.req"
    )
    csr, key = cp.new_csr(station, ocpp_config)
    conf = await station.call("SignCertificate", {"csr": csr})
    check(
        conf.get("status") == "Accepted",
        "Step 4: SignCertificate.conf status Accepted (Whitepaper A02.FR.11: the Central "
        "System is able to process the request)",
        conf,
    )
    step("[Certificate Authority Server signs the certificate.] 5. CertificateSigned.req")
    signed = await cp.expect_request(station, "CertificateSigned", "after accepting our CSR")
    return signed, csr, key


def _chain_problems(chain: str, csr: str, ocpp_config: OcppConfig) -> list[str]:
    """What our station's check of the signed certificate finds (A02.FR.06: validity period,
    certificate properties, part of the CPO hierarchy); a warning when no CPO root is
    configured to judge the hierarchy."""
    roots = cp.cpo_roots(ocpp_config)
    if not roots:
        warn(
            "the signed certificate's hierarchy was not judged against a CPO root: set "
            "[station] cpo_root_certificate (A02.FR.06); its own chain was checked"
        )
    return pki.signed_chain_problems(chain, csr, roots)


async def _not_signed_for_another_station(station: Station16, ocpp_config: OcppConfig) -> None:
    """pytest-ocpp's step after TC_074: a CSR naming another Charge Point must not come back
    signed (A02 remarks: "the Certificate Authority SHALL check the information in the CSR";
    A00.FR.511: the CN identifies the Charge Point). Rejected passes, and so does Accepted
    followed by no CertificateSigned.req within the message timeout (A02 error handling: the CA
    may refuse after the CSMS accepted, and the Charge Point never knows)."""
    other = f"{cp.serial_number(station)}-OTHER"
    step(
        f"(pytest-ocpp) A CSR for another Charge Point ({other}) is not signed (Whitepaper A02 "
        "remarks, A00.FR.511)"
    )
    csr, _ = pki.new_csr(other, cp.setting(ocpp_config, "cpo_name", cp.DEFAULT_CPO_NAME))
    conf = await station.call("SignCertificate", {"csr": csr})
    if conf.get("status") != "Accepted":
        return
    try:
        signed = await station.expect_call("CertificateSigned")
    except TargetTimeout:
        return
    await signed.reply({"status": "Rejected"})
    raise TargetFailure(
        f"the Central System had a CSR signed whose commonName {other!r} is not this Charge "
        f"Point's ({cp.serial_number(station)!r}) and sent it in a CertificateSigned.req; a CA "
        "SHALL check the information in the CSR (1.6 Security Whitepaper A02 remarks, "
        "A00.FR.511)"
    )


@ocpp_case("TC_074_CSMS")
async def test_tc_074_csms(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The Central System has the Charge Point renew its certificate: ExtendedTriggerMessage
    SignChargePointCertificate, SignCertificate with our CSR, CertificateSigned with a
    certificate for it (Whitepaper A02, A02.FR.03/06/11). Our station checks the certificate
    as A02.FR.06 asks (our key and subject, valid now, each certificate signed by the next, the
    configured ``[station] cpo_root_certificate``) and under profile 3 reconnects with it
    (step 7); then pytest-ocpp checks that a CSR for another station id is not signed."""
    profile = security.require_profile(ocpp_config, ANY_PROFILE, "the security extension")
    signed, csr, key = await _certificate_signed(station, csms_operator, ocpp_config)
    chain = str(signed.payload.get("certificateChain", ""))
    problems = _chain_problems(chain, csr, ocpp_config)
    step("[The Charge Point verifies the validity of the signed certificate.] 6. Accepted")
    await signed.reply({"status": "Rejected" if problems else "Accepted"})
    check(
        not problems,
        "Step 5: CertificateSigned.req certificateChain our certificate, signed in the Charge "
        "Point Operator hierarchy (Whitepaper A02.FR.06, §5.1)",
        "; ".join(problems),
    )
    step(
        "7. The Charge Point disconnects its current connection and reconnects to the Central "
        "System with the new certificate"
    )
    if profile == 3:
        cp.use_certificate(station, chain, key)
        try:
            await station.reconnect()
        except ConnectFailed as exc:
            raise TargetFailure(
                f"Step 7: the Central System refused the connection with the certificate it had "
                f"signed: {exc} (Whitepaper A02.FR.08, §2.5)"
            ) from None
    else:
        warn(
            f"step 7 not judged: the run uses security profile {profile}, so the Charge Point "
            "does not authenticate with its certificate; run with --ocpp-security-profile=3 "
            "to see the Central System accept the new one"
        )
    await _not_signed_for_another_station(station, ocpp_config)


# -- M05/M03/M04: installed certificates -----------------------------------------------------
async def _install_certificate(
    station: Station16,
    csms_operator: CsmsOperator,
    ocpp_config: OcppConfig,
    certificate_type: str,
    answer: str,
) -> str:
    """Steps 1-2 of TC_075_x/TC_078 and TC_076's memory state: InstallCertificate.req of
    ``certificate_type`` with the configured root certificate, answered ``answer``, then
    judged (Whitepaper M05, §5.11). Returns the configured PEM."""
    configured = cp.root_certificate(ocpp_config, certificate_type)
    step("1. The Central System sends a InstallCertificate.req")
    request = await csms_operator.request(
        station,
        "InstallCertificate",
        {"certificateType": certificate_type, "certificate": configured},
    )
    step(f"2. The Charge Point responds with an InstallCertificate.conf ({answer})")
    await request.reply({"status": answer})
    check(
        request.payload.get("certificateType") == certificate_type,
        f"Step 1: InstallCertificate.req certificateType {certificate_type} (Whitepaper M05)",
        request.payload.get("certificateType"),
    )
    check(
        cp.same_certificate(request.payload.get("certificate"), configured),
        "Step 1: InstallCertificate.req certificate the configured root certificate "
        f"([station] {'manufacturer' if 'Manufacturer' in certificate_type else 'csms'}"
        "_root_certificate)",
        str(request.payload.get("certificate", ""))[:120],
    )
    return configured


async def _installed_ids(
    station: Station16,
    csms_operator: CsmsOperator,
    ocpp_config: OcppConfig,
    certificate_type: str,
    installed: str,
    number: int,
) -> dict[str, str]:
    """GetInstalledCertificateIds.req for ``certificate_type``, answered Accepted with the
    hash data of the certificate installed before (Whitepaper M03.FR.03/04, with the
    configured hash algorithm). Returns that hash data."""
    data = cp.hash_data(installed, cp.hash_algorithm(ocpp_config))
    step(f"{number}. The Central System sends a GetInstalledCertificateIds.req")
    request = await csms_operator.request(
        station, "GetInstalledCertificateIds", {"certificateType": certificate_type}
    )
    step(f"{number + 1}. The Charge Point responds with a GetInstalledCertificateIds.conf")
    await request.reply({"status": "Accepted", "certificateHashData": [data]})
    check(
        request.payload.get("certificateType") == certificate_type,
        f"Step {number}: GetInstalledCertificateIds.req certificateType {certificate_type} "
        "(Whitepaper M03)",
        request.payload,
    )
    return data


async def _install_and_list(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig, kind: str
) -> None:
    security.require_profile(ocpp_config, (2, 3), "a TLS security profile")
    installed = await _install_certificate(station, csms_operator, ocpp_config, kind, "Accepted")
    await _installed_ids(station, csms_operator, ocpp_config, kind, installed, 3)


@ocpp_case("TC_075_1_CSMS")
async def test_tc_075_1_csms(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The Central System installs a Manufacturer root certificate and lists it (Whitepaper
    M05, M03; profiles 2 and 3). <Configured root certificate>: ``[station]
    manufacturer_root_certificate``."""
    await _install_and_list(station, csms_operator, ocpp_config, "ManufacturerRootCertificate")


@ocpp_case("TC_075_2_CSMS")
async def test_tc_075_2_csms(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The Central System installs a Central System root certificate and lists it
    (Whitepaper M05, M03; profiles 2 and 3). <Configured root certificate>: ``[station]
    csms_root_certificate``."""
    await _install_and_list(station, csms_operator, ocpp_config, "CentralSystemRootCertificate")


@ocpp_case("TC_076_CSMS")
async def test_tc_076_csms(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The Central System deletes the Central System root certificate it installed, naming it
    by the hash data the Charge Point listed (Whitepaper M04, M04.FR.07: the hash algorithm
    used to install it; M03). OCTT compares the DeleteCertificate.req's hash data field by
    field with its own calculation: so do we (``[station] hash_algorithm``)."""
    kind = "CentralSystemRootCertificate"
    step("Memory state: Request Central System to install a CentralSystemRootCertificate")
    installed = await _install_certificate(station, csms_operator, ocpp_config, kind, "Accepted")
    step("The OCTT requests the Central System to delete the just installed certificate")
    listed = await _installed_ids(station, csms_operator, ocpp_config, kind, installed, 1)
    step("3. The Central System sends a DeleteCertificate.req")
    request = await csms_operator.request(
        station, "DeleteCertificate", {"certificateHashData": listed}
    )
    step("4. The Charge Point responds with a DeleteCertificate.conf (Accepted)")
    await request.reply({"status": "Accepted"})
    received = request.payload.get("certificateHashData") or {}
    check(
        received.get("hashAlgorithm") == listed["hashAlgorithm"],
        f"Step 3: DeleteCertificate.req hashAlgorithm {listed['hashAlgorithm']}, the one of "
        "step 2 (Whitepaper M04.FR.07)",
        received,
    )
    wrong = [
        field
        for field in ("issuerNameHash", "issuerKeyHash", "serialNumber")
        if _hex(received.get(field)) != _hex(listed[field])
    ]
    check(
        not wrong,
        f"Step 3: DeleteCertificate.req certificateHashData of the installed "
        f"CentralSystemRootCertificate {listed}",
        f"{received} (differs in {', '.join(wrong)})",
    )


def _hex(value: Any) -> str:
    """A hash or serial number as hex digits compare: case and leading zeroes aside (the
    serial number is "hexadecimal ... without leading zeroes", 2.0.1 Part 2 §2.6, but a
    Central System writing them is not wrong about which certificate it means)."""
    return str(value or "").lower().lstrip("0")


# -- 3.21.2 Security event/logging -----------------------------------------------------------
@ocpp_case("TC_077_CSMS")
async def test_tc_077_csms(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The Central System takes the InvalidChargePointCertificate security event of a Charge
    Point that rejects the certificate it signed (Whitepaper A02.FR.07, A04.FR.03). The table
    rejects whatever arrives; step 5 still expects <Signed ChargePointCertificate>, which we
    judge as TC_074 does."""
    security.require_profile(ocpp_config, ANY_PROFILE, "the security extension")
    signed, csr, _ = await _certificate_signed(station, csms_operator, ocpp_config)
    step("[The Charge Point verifies the validity of the signed certificate.] 6. Rejected")
    await signed.reply({"status": "Rejected"})
    problems = _chain_problems(str(signed.payload.get("certificateChain", "")), csr, ocpp_config)
    check(
        not problems,
        "Step 5: CertificateSigned.req certificate a signed ChargePointCertificate for our CSR "
        "(Whitepaper A02.FR.06)",
        "; ".join(problems),
    )
    step(
        "7. The Charge Point sends a SecurityEventNotification.req (InvalidChargePointCertificate)"
    )
    await cp.security_event(station, "InvalidChargePointCertificate")


@ocpp_case("TC_078_CSMS")
async def test_tc_078_csms(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The Central System takes the InvalidCentralSystemCertificate security event of a
    Charge Point that rejects the root certificate it was to install (Whitepaper M05.FR.06,
    A04.FR.03; profiles 2 and 3). <Configured certificate>: ``[station]
    csms_root_certificate``."""
    security.require_profile(ocpp_config, (2, 3), "a TLS security profile")
    kind = "CentralSystemRootCertificate"
    await _install_certificate(station, csms_operator, ocpp_config, kind, "Rejected")
    step(
        "3. The Charge Point sends a SecurityEventNotification.req (InvalidCentralSystemCertificate)"
    )
    await cp.security_event(station, "InvalidCentralSystemCertificate")


@ocpp_case("TC_079_CSMS")
async def test_tc_079_csms(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The Central System has the Charge Point upload its security log and follows the upload
    (Whitepaper N01, N01.FR.03/07-09). <Configured log location>: ``[station] log_location``
    (else ``diagnostics_location``). Every LogStatusNotification carries the requestId of the
    GetLog.req that arrived (N01.FR.07, N01.FR.12)."""
    security.require_profile(ocpp_config, ANY_PROFILE, "the security extension")
    location = cp.setting(
        ocpp_config,
        "log_location",
        cp.setting(ocpp_config, "diagnostics_location", cp.DEFAULT_LOG_LOCATION),
    )
    step("1. The Central System sends a GetLog.req")
    request = await csms_operator.request(
        station,
        "GetLog",
        {
            "logType": "SecurityLog",
            "requestId": next(_REQUEST_IDS),
            "log": {"remoteLocation": location},
        },
    )
    step("2. The Charge Point responds with a GetLog.conf (Accepted)")
    await request.reply({"status": "Accepted", "filename": "pytest-ocpp-security.log"})
    log = request.payload.get("log") or {}
    check(
        log.get("remoteLocation") == location,
        f"Step 1: GetLog.req log.remoteLocation {location} (<Configured log location>, "
        "[station] log_location)",
        request.payload,
    )
    check(
        request.payload.get("logType") == "SecurityLog",
        "Step 1: GetLog.req logType SecurityLog (Whitepaper N01.FR.03)",
        request.payload,
    )
    request_id = int(request.payload.get("requestId", 0))
    step("[The Charge Point starts uploading the security log.] 3. LogStatusNotification.req")
    await station.call("LogStatusNotification", {"status": "Uploading", "requestId": request_id})
    step("[The Charge Point has finished uploading the security log.] 5. LogStatusNotification.req")
    await station.call("LogStatusNotification", {"status": "Uploaded", "requestId": request_id})


# -- 3.21.3 Secure firmware update -----------------------------------------------------------
async def _signed_update_firmware(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig, signature: str
) -> dict[str, Any]:
    """Steps 1-2: SignedUpdateFirmware.req with the configured firmware (location, signing
    certificate, ``signature``) to be retrieved from now on, answered Accepted; the location and
    the signing certificate judged (Whitepaper L01, L01.FR.11). Returns the request."""
    location = cp.setting(ocpp_config, "firmware_location", cp.DEFAULT_FIRMWARE_LOCATION)
    certificate = cp.signing_certificate(ocpp_config)
    step("1. The Central System sends a SignedUpdateFirmware.req")
    request = await csms_operator.request(
        station,
        "SignedUpdateFirmware",
        {
            "requestId": next(_REQUEST_IDS),
            "firmware": {
                "location": location,
                "retrieveDateTime": station.now(),
                "signingCertificate": certificate,
                "signature": signature,
            },
        },
    )
    step("2. The Charge Point sends a SignedUpdateFirmware.conf (Accepted)")
    await request.reply({"status": "Accepted"})
    firmware = request.payload.get("firmware") or {}
    check(
        firmware.get("location") == location,
        f"Step 1: SignedUpdateFirmware.req firmware.location {location} (<Configured Firmware "
        "Download URL>, [station] firmware_location)",
        firmware.get("location"),
    )
    check(
        cp.same_certificate(firmware.get("signingCertificate"), certificate),
        "Step 1: SignedUpdateFirmware.req firmware.signingCertificate the configured "
        "signingCertificate ([station] firmware_signing_certificate; Whitepaper L01.FR.11)",
        str(firmware.get("signingCertificate", ""))[:120],
    )
    return request.payload


async def _firmware_status(station: Station16, number: int, status: str, request_id: int) -> None:
    """A SignedFirmwareStatusNotification.req with the requestId of the update (L01.FR.10),
    which the Central System must answer (L01.FR.01)."""
    step(f"{number}. The Charge Point sends a SignedFirmwareStatusNotification.req ({status})")
    await station.call(
        "SignedFirmwareStatusNotification", {"status": status, "requestId": request_id}
    )


async def _connectors(station: Station16, number: str, status: str) -> None:
    step(f"{number}. The Charge Point sends a StatusNotification.req per connector ({status})")
    for connector in range(1, station.spec.connectors + 1):
        await station.status(connector, status)


@ocpp_case("TC_080_CSMS")
async def test_tc_080_csms(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The Central System updates the firmware in a secure way and takes every step of it:
    Downloading, Downloaded, SignatureVerified, Unavailable connectors, Installing,
    InstallRebooting, a reboot with BootNotification, SecurityEventNotification
    FirmwareUpdated, Available connectors, Installed (Whitepaper L01, L01.FR.01/10/15,
    A04.FR.03). <Configured signature>: ``[station] firmware_signature``."""
    security.require_profile(ocpp_config, ANY_PROFILE, "the security extension")
    signature = cp.setting(ocpp_config, "firmware_signature", cp.DEFAULT_SIGNATURE)
    payload = await _signed_update_firmware(station, csms_operator, ocpp_config, signature)
    firmware = payload.get("firmware") or {}
    check(
        firmware.get("signature") == signature,
        "Step 1: SignedUpdateFirmware.req firmware.signature the configured signature "
        "([station] firmware_signature)",
        firmware.get("signature"),
    )
    request_id = int(payload.get("requestId", 0))
    await _firmware_status(station, 3, "Downloading", request_id)
    await _firmware_status(station, 5, "Downloaded", request_id)
    await _firmware_status(station, 7, "SignatureVerified", request_id)
    await _connectors(station, "After step 2 and before step 9", "Unavailable")
    await _firmware_status(station, 9, "Installing", request_id)
    await _firmware_status(station, 11, "InstallRebooting", request_id)
    step("13. [The Charge Point reboots] The Charge Point sends a BootNotification.req")
    await station.reconnect()
    conf = await station.boot(expect_accepted=False)
    check(
        conf["status"] == "Accepted",
        "Step 14: BootNotification.conf status Accepted after the firmware reboot",
        conf,
    )
    step("15. The Charge Point sends a SecurityEventNotification.req (FirmwareUpdated)")
    await cp.security_event(station, "FirmwareUpdated")
    await _connectors(station, "17", "Available")
    await _firmware_status(station, 19, "Installed", request_id)


@ocpp_case("TC_081_CSMS")
async def test_tc_081_csms(
    station: Station16, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The Central System takes a firmware update whose signature the Charge Point finds
    invalid: Downloading, Downloaded, InvalidSignature (Whitepaper L01 step 5, L01.FR.01).
    <An invalid signature.>: ``[station] invalid_firmware_signature``; only the Charge Point
    can tell a signature is invalid, so the request is held to carry one (the schema requires
    it, L01.FR.09) and the configured location."""
    security.require_profile(ocpp_config, ANY_PROFILE, "the security extension")
    signature = cp.setting(ocpp_config, "invalid_firmware_signature", cp.DEFAULT_INVALID_SIGNATURE)
    payload = await _signed_update_firmware(station, csms_operator, ocpp_config, signature)
    firmware = payload.get("firmware") or {}
    check(
        bool(firmware.get("signature")),
        "Step 1: SignedUpdateFirmware.req firmware.signature a signature (Whitepaper L01.FR.09)",
        firmware.get("signature"),
    )
    request_id = int(payload.get("requestId", 0))
    await _firmware_status(station, 3, "Downloading", request_id)
    await _firmware_status(station, 5, "Downloaded", request_id)
    await _firmware_status(station, 7, "InvalidSignature", request_id)


# -- TC_088 (provisional): websocket subprotocol negotiation ----------------------------------
@ocpp_case("TC_088_CSMS")
async def test_tc_088_csms(station_factory: Any, ocpp_config: OcppConfig) -> None:
    """**Provisional** (a newer OCTT 1.6 revision, title only; steps from the catalogue row):
    the Central System negotiates the websocket subprotocol as OCPP-J 1.6 §3.2 requires. A
    Charge Point offering only ``ocpp0.1`` gets no ``ocpp0.1`` connection: an HTTP error
    passes, and so does what §3.2 literally prescribes (RFC 6455 §4.2.2: an upgrade *without*
    a Sec-WebSocket-Protocol header, then an immediate close). Offered ``ocpp0.1, ocpp1.6``, it
    upgrades and answers ``ocpp1.6``. Runs over the configured profile's connection."""
    station: Station16 = await station_factory(connect=False)
    offered = [UNSUPPORTED_SUBPROTOCOL, station.version.subprotocol]
    step(f"1. The Charge Point connects offering Sec-WebSocket-Protocol: {UNSUPPORTED_SUBPROTOCOL}")
    refused: str | None = None
    wrong: str | None = None
    try:
        await station.connect([UNSUPPORTED_SUBPROTOCOL], require_subprotocol=False)
    except UnexpectedSubprotocol as exc:
        wrong = str(exc)
    except ConnectFailed as exc:
        refused = str(exc)
    step("2. The Central System rejects the upgrade")
    check(wrong is None, f"Step 2: no upgrade offering only {UNSUPPORTED_SUBPROTOCOL}", wrong)
    if refused is not None:
        station.ctx.trace.event(station.station_id, f"upgrade refused, as required: {refused}")
    else:
        headers = cp.selected_subprotocols(station)
        check(
            not headers,
            f"Step 2: no upgrade of a connection offering only {UNSUPPORTED_SUBPROTOCOL} "
            "(OCPP-J 1.6 §3.2)",
            f"HTTP 101 with Sec-WebSocket-Protocol {headers}",
        )
        assert station.link is not None
        await station.link.wait_closed(
            ocpp_config.timeouts.response,
            why=(
                f"after upgrading a connection that offered only {UNSUPPORTED_SUBPROTOCOL} "
                "without selecting a subprotocol: OCPP-J 1.6 §3.2 requires an immediate close"
            ),
        )
    step(f"3. The Charge Point reconnects offering Sec-WebSocket-Protocol: {', '.join(offered)}")
    await station.disconnect()
    await station.connect(subprotocols=offered)
    step("4. The Central System accepts the upgrade and answers Sec-WebSocket-Protocol: ocpp1.6")
    headers = cp.selected_subprotocols(station)
    check(
        headers == [station.version.subprotocol],
        f"Step 4: the upgrade response carries Sec-WebSocket-Protocol: "
        f"{station.version.subprotocol} (OCPP-J 1.6 §3.1.2, §3.2)",
        f"Sec-WebSocket-Protocol headers {headers}",
    )
