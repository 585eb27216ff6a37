"""OCPP 2.0.1, Charging Station under test, A. Security (2.0.1 Edition 3 Part 6 §2.1, Tables
1-17, with the errata of 2025-09 §6.2.1-6.2.11; rules in Part 2 A00-A05 and B09).

pytest-ocpp plays the CSMS (the OCTT column) as ``--ocpp-security-profile`` says: profile 1
checks HTTP Basic credentials over ws://, profile 2 serves wss:// and checks Basic
credentials, profile 3 serves wss:// and requires a client certificate (see the README's
"Security profiles"). A case whose profile the run is not configured for is not applicable
with that reason. Each case first establishes Part 6's general preconditions (``csms.ready``);
"Execute Reusable State X" is one call of the fake CSMS's method for X
(:mod:`pytest_ocpp.csms.states201`, :mod:`pytest_ocpp.csms.states201_certificates`), the
second connectionData slot's websocket server and the network-profile steps live in
:mod:`pytest_ocpp.csms.states201_security` (its docstring lists the ``[station]`` settings).

Every case leaves the station as it found it: a changed password is set back, an upgraded
security profile is put back by the station operator (action ``restore_network_profile``:
no OCPP request may lower it, B09.FR.04), variables a configuration state set are restored
when the next case starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import string
import time

from pytest_ocpp import security, step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.csms.states201_security import judge_tls
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import ConnectFailed, TargetFailure, TargetTimeout, check, not_applicable

# -- shared steps -------------------------------------------------------------------------------


async def _connectors_reported(
    csms: FakeCsms201, sut: StationConnection, since: int, label: str
) -> None:
    """ "The Charging Station notifies the CSMS about the current state of all connectors":
    per EVSE a StatusNotificationRequest Available or a NotifyEventRequest AvailabilityState
    Available (trigger Delta), either one (B01.FR.05)."""
    for evse in range(1, csms.config.station.connectors + 1):
        item = await sut.wait_for(
            "StatusNotification",
            lambda p, e=evse: p.get("evseId") == e,
            since=since,
            describe=f"StatusNotificationRequest of EVSE {evse} after the connection",
        )
        check(
            item.payload.get("connectorStatus") == "Available",
            f"{label}: StatusNotificationRequest connectorStatus Available (EVSE {evse})",
            item.payload,
        )


async def _reboot_into_connection(
    csms: FakeCsms201, sut: StationConnection, label: str
) -> StationConnection:
    """Reusable State Booting (ResetRequest Immediate), then steps "The Charging Station
    initiates a TLS handshake ... sends a BootNotificationRequest, answered Accepted; notifies
    the state of all connectors"."""
    generation = csms.generation
    await csms.booting(sut)
    step(f"{label}: the Charging Station initiates a TLS handshake and an HTTP upgrade request")
    sut = await csms.next_connection(after=generation, reboot=True)
    step(f"{label}: the Charging Station sends a BootNotificationRequest")
    boot = await sut.wait_for("BootNotification", describe="BootNotificationRequest")
    await _connectors_reported(csms, sut, sut.link.inbox.index(boot) + 1, label)
    return sut


def _served(sut: StationConnection) -> object:
    """The TLS context whose certificate the connection of ``sut`` was served."""
    transport = getattr(sut.link.ws, "transport", None)
    obj = transport.get_extra_info("ssl_object") if transport is not None else None
    return getattr(obj, "context", None)


def _new_password() -> str:
    """<NewPassword>: 24 random alphanumeric characters (A00.FR.304, A01.FR.07), masked in
    every trace and report."""
    alphabet = string.ascii_letters + string.digits
    value = "".join(secrets.choice(alphabet) for _ in range(24))
    security.protect_secrets(value)
    return value


async def _set_password(sut: StationConnection, value: str) -> dict[str, object]:
    answer = await sut.call(
        "SetVariables",
        {
            "setVariableData": [
                {
                    "component": {"name": "SecurityCtrlr"},
                    "variable": {"name": "BasicAuthPassword"},
                    "attributeValue": value,
                }
            ]
        },
    )
    return (answer.get("setVariableResult") or [{}])[0]


# -- A00 basic authentication and TLS ---------------------------------------------------------


@ocpp_case("TC_A_01_CS", version="2.0.1")
async def test_tc_a_01_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Basic authentication (security profiles 1 and 2; A00.FR.202-205, A00.FR.301-304,
    B01.FR.01/05/09): after Reusable State Booted, the upgrade request's Authorization header
    is Basic base64(<ChargingStationId>:<password>), the user equal to the id at the end of
    the URL. Configuration State: BasicAuthPassword is the configured one
    (--ocpp-basic-auth-password; the fake CSMS refuses any other). The password's length is
    judged by errata 2025-01 (A00.FR.205: 16 up to the variable's maxLimit, at most 64; more
    than 40 is a warning) and its characters by errata 6.2.1 (passwordString: printable
    UTF-8)."""
    security.require_profile(csms.config, (1, 2), "HTTP Basic authentication")
    sut = await csms.ready(station_operator)
    step("1. Execute Reusable State Booted")
    sut = await csms.booted(sut, station_operator)
    step("Step 1 validations: AUTHORIZATION: Basic <Base64(<ChargingStationId>:<password>)>")
    user, length = sut.basic_auth or ("", 0)
    check(
        user == sut.station_id,
        "the Basic username equals the ChargingStationId at the end of the URL (A00.FR.303)",
        user or "no Authorization header",
    )
    check(
        16 <= length <= 64,
        "a BasicAuthPassword of at least 16 characters (A00.FR.205/304)",
        f"{length} characters",
    )
    if length > 40:
        warn(f"a BasicAuthPassword of {length} characters: more than 40 needs maxLimit > 40")
    password = csms.password or ""
    check(
        password.isprintable(),
        "a BasicAuthPassword of printable characters (passwordString, errata 6.2.1)",
        "control characters",
    )


@ocpp_case("TC_A_04_CS", version="2.0.1")
async def test_tc_a_04_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TLS with the CSMS's valid server certificate (security profiles 2 and 3; A00.FR.309,
    312, 313, 319, 321, 412, 422): from Reusable State Booting the station sets up TLS 1.2 or
    above offering the ECDHE_ECDSA or RSA AES-GCM pair, upgrades (Basic credentials with
    profile 2, checked by the fake CSMS), boots and reports its connectors Available."""
    security.require_profile(csms.config, (2, 3), "TLS with a server certificate")
    sut = await csms.ready(station_operator)
    step("Before: Reusable State Booting")
    sut = await _reboot_into_connection(csms, sut, "Steps 1-10")
    judge_tls(sut, "Step 2")


@ocpp_case("TC_A_05_CS", version="2.0.1")
async def test_tc_a_05_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """An invalid server certificate is refused (security profiles 2 and 3; A00.FR.309-311,
    412-414), as errata 6.2.2-6.2.4 have it: Configuration State NetworkProfileConnectionAttempts
    3 and NetworkConfigurationPriority the active slot only; the OCTT aborts the connection
    and the station reconnects; then per invalid certificate the OCTT aborts, serves it, the
    station terminates that handshake, the OCTT serves the valid one again and the station
    reconnects and sends SecurityEventNotificationRequest InvalidCsmsCertificate.

    The invalid certificates: one of a CA the station does not know (generated), then every
    ``[station] invalid_server_certificates`` pair (OCTT's "CSMS Keystore Invalid", e.g. an
    expired one or one for another host). Departure: instead of waiting twice the measured
    reconnection time, the fake CSMS switches back as soon as the station's Client Hello for
    the invalid certificate arrived (an event, not a guess)."""
    security.require_profile(csms.config, (2, 3), "TLS with a server certificate")
    sut = await csms.ready(station_operator)
    active, _ = await csms.slots_in_use(sut)
    settings = {
        "OCPPCommCtrlr.NetworkProfileConnectionAttempts": "3",
        "OCPPCommCtrlr.NetworkConfigurationPriority": str(active),
    }
    if await csms.get_variable(sut, "SecurityCtrlr.AllowCSMSTLSWildcards") is not None:
        settings["SecurityCtrlr.AllowCSMSTLSWildcards"] = "false"  # errata 6.2.4, if implemented
    await csms.configure(sut, settings)
    wait = csms.config.timeouts.reboot
    generation = csms.generation
    step("1. The OCTT aborts the connection with the Charging Station")
    await csms.drop_connection()
    step("2-3. The Charging Station reconnects; the OCTT serves the valid server certificate")
    sut = await csms.next_connection(after=generation, timeout=wait)
    for what, context in csms.invalid_server_contexts():
        generation, hellos = csms.generation, csms.hellos
        step(f"4. The OCTT aborts the connection; it will serve a certificate {what}")
        csms.serve_instead = context
        try:
            await csms.drop_connection()
            step(f"5-7. The Charging Station's TLS handshake meets the certificate {what}")
            await csms.wait_hello(hellos, wait, "after the connection was aborted")
        finally:
            csms.serve_instead = None  # that handshake keeps the invalid certificate
        step("8-9. The Charging Station reconnects; the OCTT serves the valid certificate")
        sut = await csms.next_connection(after=generation, timeout=wait)
        if _served(sut) is context:
            raise TargetFailure(
                f"the Charging Station set up the websocket over a server certificate {what}; "
                "it must deem it invalid and terminate the connection (A00.FR.309-311, "
                "A00.FR.412-414)"
            )
        step("10. The Charging Station sends a SecurityEventNotificationRequest")
        event = await sut.wait_for(
            "SecurityEventNotification",
            lambda p: p.get("type") == "InvalidCsmsCertificate",
            describe="SecurityEventNotificationRequest InvalidCsmsCertificate",
        )
        check(
            event.payload.get("type") == "InvalidCsmsCertificate",
            "Step 11: SecurityEventNotificationRequest type InvalidCsmsCertificate "
            "(A00.FR.310/413)",
            event.payload,
        )


@ocpp_case("TC_A_06_CS", version="2.0.1")
async def test_tc_a_06_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A CSMS offering only a TLS version below 1.2 is refused (security profiles 2 and 3;
    A00.FR.314/316, A00.FR.416/417/419): Configuration State NetworkProfileConnectionAttempts
    1; the station reboots (Reset Immediate, so the handshake of steps 1-3 follows); the OCTT
    serves TLS 1.1 only and the station terminates the handshake; the OCTT serves TLS 1.2+
    again, the station connects, boots, reports its connectors and sends
    SecurityEventNotificationRequest StartupOfTheDevice or ResetOrReboot; an InvalidTLSVersion
    event (steps 16-17) is optional. Not applicable where this machine's OpenSSL cannot serve
    TLS 1.1 (the reason names it)."""
    security.require_profile(csms.config, (2, 3), "TLS with a server certificate")
    sut = await csms.ready(station_operator)
    old = csms.old_tls_context()
    await csms.configure(sut, {"OCPPCommCtrlr.NetworkProfileConnectionAttempts": "1"})
    wait = csms.config.timeouts.reboot
    generation, hellos = csms.generation, csms.hellos
    await csms.relisten(old, keep_connection=True)
    try:
        step("Before: ResetRequest Immediate (the Charging Station reconnects after its reboot)")
        answer = await sut.call("Reset", {"type": "Immediate"})
        check(answer.get("status") == "Accepted", "ResetResponse status Accepted", answer)
        step("1-3. The OCTT answers the Client Hello with TLS 1.1; the station terminates")
        await csms.wait_hello(hellos, wait, "after the reset")
        # The refusal is an absence: the handshake's outcome within the message timeout.
        with contextlib.suppress(ConnectFailed):
            await csms.next_connection(after=generation, timeout=csms.config.timeouts.message)
            raise TargetFailure(
                "the Charging Station set up the websocket over TLS 1.1; it must check the "
                "version and terminate the connection (A00.FR.314/316, A00.FR.417/419)"
            )
    finally:
        await csms.relisten()
    step("4-11. The station reconnects with TLS 1.2 or above and sends a BootNotificationRequest")
    sut = await csms.next_connection(after=generation, reboot=True)
    judge_tls(sut, "Step 5")
    boot = await sut.wait_for("BootNotification", describe="BootNotificationRequest")
    since = sut.link.inbox.index(boot) + 1
    step("12-13. The Charging Station notifies the state of all connectors")
    await _connectors_reported(csms, sut, since, "Step 12")
    step("14-15. The Charging Station sends a SecurityEventNotificationRequest")
    event = await sut.wait_for(
        "SecurityEventNotification",
        lambda p: p.get("type") in ("StartupOfTheDevice", "ResetOrReboot"),
        since=since,
        describe="SecurityEventNotificationRequest StartupOfTheDevice or ResetOrReboot",
    )
    check(
        event.payload.get("type") in ("StartupOfTheDevice", "ResetOrReboot"),
        "Step 14: SecurityEventNotificationRequest type StartupOfTheDevice or ResetOrReboot",
        event.payload,
    )
    types = [
        c.payload.get("type")
        for c in sut.link.inbox[since:]
        if c.action == "SecurityEventNotification"
    ]
    if "InvalidTLSVersion" not in types:
        warn(
            "no SecurityEventNotificationRequest InvalidTLSVersion (steps 16-17 are optional: "
            "a station may not detect why the handshake failed; A00.FR.316/419)"
        )


@ocpp_case("TC_A_07_CS", version="2.0.1")
async def test_tc_a_07_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """TLS with the station's valid client certificate (security profile 3; A00.FR.401/402,
    415/416, 422, 502/503, 507/508, 511): from Reusable State Booting the station sets up
    TLS 1.2+ showing a client certificate that chains to the configured CSMS root (verified by
    the fake CSMS's TLS server) with a key of at least 2048 (RSA/DSA) or 224 (EC) bits, a
    serial number and its serial number as commonName, then boots and reports its
    connectors."""
    security.require_profile(csms.config, (3,), "TLS with client side certificates")
    sut = await csms.ready(station_operator)
    step("Before: Reusable State Booting")
    sut = await _reboot_into_connection(csms, sut, "Steps 1-10")
    info = judge_tls(sut, "Step 4")
    check(bool(info.peer_certificate), "Step 4: a client certificate (A00.FR.401/402)", "none")
    problems = security.certificate_problems(info.peer_certificate or b"")
    check(
        not problems,
        "Step 4: a Charging Station certificate as Part 2 A00 Certificate Properties require "
        "(A00.FR.502/503, 507/508, 511)",
        "; ".join(problems),
    )


# -- A01 password update ----------------------------------------------------------------------


@ocpp_case("TC_A_09_CS", version="2.0.1")
async def test_tc_a_09_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A new BasicAuthPassword is accepted and used (security profiles 1 and 2; A01.FR.01,
    A01.FR.11/12, B01.FR.01): SetVariables BasicAuthPassword <NewPassword> (24 random
    characters, masked everywhere), Accepted or RebootRequired; the station's next upgrade
    request carries the new password (the fake CSMS refuses the old one, saying so); with
    RebootRequired the OCTT resets it and it boots. Afterwards the configured password is set
    back the same way (a post-condition: the next cases expect it)."""
    security.require_profile(csms.config, (1, 2), "HTTP Basic authentication")
    sut = await csms.ready(station_operator)
    configured = csms.password
    new = _new_password()
    generation = csms.generation
    step("1. The OCTT sends a SetVariablesRequest SecurityCtrlr.BasicAuthPassword = <NewPassword>")
    result = await _set_password(sut, new)
    status = result.get("attributeStatus")
    check(
        status in ("Accepted", "RebootRequired"),
        "Step 2: SetVariablesResponse status Accepted or RebootRequired",
        result,
    )
    csms.change_password(new)
    try:
        if status == "RebootRequired":
            step("(Step 2 RebootRequired) The OCTT sends a ResetRequest OnIdle")
            await sut.call("Reset", {"type": "OnIdle"})
        step("3-4. The Charging Station connects with the new BasicAuthPassword")
        sut = await csms.next_connection(after=generation, reboot=True)
        if status == "RebootRequired":
            step("5-8. BootNotificationRequest; the state of all connectors")
            boot = await sut.wait_for("BootNotification", describe="BootNotificationRequest")
            await _connectors_reported(csms, sut, sut.link.inbox.index(boot) + 1, "Step 7")
    finally:
        if configured is not None:
            await _restore_password(csms, configured)


async def _restore_password(csms: FakeCsms201, configured: str) -> None:
    """Post-condition: the configured BasicAuthPassword again, and the station back with it.
    The case does it itself: the next case's generic variable restore would set it on a
    station that then reconnects under that case's first request."""
    csms.changed_variables.pop("SecurityCtrlr.BasicAuthPassword", None)
    with_new = csms.connection
    if with_new is None or with_new.closed:
        csms.change_password(configured)
        return
    generation = csms.generation
    await _set_password(with_new, configured)
    csms.changed_variables.pop("SecurityCtrlr.BasicAuthPassword", None)
    csms.change_password(configured)
    csms.former_passwords.clear()
    try:
        await csms.next_connection(after=generation, timeout=csms.config.timeouts.reboot)
    except ConnectFailed:
        warn("the station did not reconnect with the configured BasicAuthPassword afterwards")


@ocpp_case("TC_A_10_CS", version="2.0.1")
async def test_tc_a_10_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A BasicAuthPassword shorter than 16 characters is Rejected and the old one stays
    (security profiles 1 and 2; A01.FR.01, A00.FR.304): SetVariables with a 15-character
    password, Rejected; then Reusable State Booted, whose upgrade request the fake CSMS
    validates against the configured password (post scenario validation: BasicAuthPassword is
    still the configured one)."""
    security.require_profile(csms.config, (1, 2), "HTTP Basic authentication")
    sut = await csms.ready(station_operator)
    step("1. The OCTT sends a SetVariablesRequest BasicAuthPassword = <15 characters>")
    short = _new_password()[:15]
    generation = csms.generation
    result = await _set_password(sut, short)
    configured = csms.password
    if result.get("attributeStatus") != "Rejected" and configured is not None:
        csms.change_password(short)  # the station took it: put the configured one back
        with contextlib.suppress(ConnectFailed):
            await csms.next_connection(after=generation, timeout=csms.config.timeouts.reboot)
        await _restore_password(csms, configured)
    check(
        result.get("attributeStatus") == "Rejected",
        "Step 2: SetVariablesResponse status Rejected (a BasicAuthPassword has at least 16 "
        "characters, A00.FR.304)",
        result,
    )
    step("3-5. The station connects with the old BasicAuthPassword: Reusable State Booted")
    await csms.booted(sut, station_operator)


# -- A02 certificate renewal ------------------------------------------------------------------


@ocpp_case("TC_A_11_CS", version="2.0.1")
async def test_tc_a_11_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """The Charging Station certificate is renewed on request (security profile 3; A02.FR.02,
    03, 06, 08, 09, F06.FR.04/05/10): Reusable State RenewChargingStationCertificate. The
    fake CSMS trusts client certificates of the configured CSMS root, so the station's next
    TLS connection may use the new certificate (A02.FR.08)."""
    security.require_profile(csms.config, (3,), "TLS with client side certificates")
    sut = await csms.ready(station_operator)
    step("1. Execute Reusable State RenewChargingStationCertificate")
    await csms.renew_charging_station_certificate(sut)


@ocpp_case("TC_A_12_CS", version="2.0.1")
async def test_tc_a_12_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """The V2G Charging Station certificate is renewed on request (ISO 15118 support; A02.FR.02,
    03, 06, 13, 15, F06.FR.04/05/10): Memory State RenewV2GChargingStationCertificate, which
    is not applicable for a station without ISO 15118."""
    sut = await csms.ready(station_operator)
    step("1. Execute Memory State RenewV2GChargingStationCertificate")
    await csms.renew_v2g_charging_station_certificate(sut)


@ocpp_case("TC_A_13_CS", version="2.0.1")
async def test_tc_a_13_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Combined V2G / Charging Station certificate (A00.FR.428): removed from the
    certification programme by errata 2025-02 §5.20; not implemented."""
    raise not_applicable(
        "TC_A_13_CS was removed from the certification programme (errata 2025-02 §5.20: "
        "combined Charging Station certificate)"
    )


async def _sign_certificate(
    csms: FakeCsms201, sut: StationConnection, answer: str
) -> tuple[str, object]:
    """Steps 1-4 of Tables 11-13: TriggerMessageRequest SignChargingStationCertificate,
    Accepted; the SignCertificateRequest (its csr: PEM RFC 2986, RSA/DSA 2048+ or EC 224+
    bits), answered ``answer``. Returns (csr, the request)."""
    from pytest_ocpp.pki import csr_problems

    claim = asyncio.ensure_future(sut.expect_call("SignCertificate"))
    await asyncio.sleep(0)
    try:
        step("1. The OCTT sends a TriggerMessageRequest SignChargingStationCertificate")
        trigger = await sut.call(
            "TriggerMessage", {"requestedMessage": "SignChargingStationCertificate"}
        )
        check(
            trigger.get("status") == "Accepted",
            "Step 2: TriggerMessageResponse status Accepted",
            trigger,
        )
        step("3. The Charging Station sends a SignCertificateRequest")
        request = await claim
    finally:
        claim.cancel()
    csr = str(request.payload.get("csr", ""))
    problems = csr_problems(csr, v2g=False)
    step(f"4. The OCTT responds with a SignCertificateResponse status {answer}")
    await request.reply({"status": answer})
    check(
        not problems,
        "Step 3: SignCertificateRequest csr is a PEM RFC 2986 request with an RSA/DSA key of at "
        "least 2048 bits or an EC key of at least 224 bits"
        + (f": {'; '.join(problems)}" if problems else ""),
        request.payload,
    )
    return csr, request


def _invalid_signing_certificate(csms: FakeCsms201, csr: str) -> str:
    """<Configured invalid_signingCertificate> (``[station] invalid_signing_certificate``, PEM
    text or file), else made here: the certificate for the station's CSR, issued by the
    charging station operator sub-CA of the configured CSMS root as a valid one is (the
    sub-CA follows), but expired yesterday (A02.FR.06: the validity period is the only
    fault)."""
    from datetime import datetime, timedelta, timezone

    from cryptography import x509

    from pytest_ocpp import pki
    from pytest_ocpp.certificates import configured_pem

    if "invalid_signing_certificate" in csms.config.station.extra:
        return configured_pem(csms.config, "invalid_signing_certificate", "")
    authority = csms.station_certificate_authority()
    request = x509.load_pem_x509_csr(csr.encode("ascii"))
    now = datetime.now(timezone.utc)
    leaf = pki.issue(
        request.subject,
        request.public_key(),  # type: ignore[arg-type]
        authority,
        ca=False,
        not_before=now - timedelta(days=30),
        not_after=now - timedelta(days=1),
    )
    return pki.pem(leaf) + authority.pem


@ocpp_case("TC_A_14_CS", version="2.0.1")
async def test_tc_a_14_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """An invalid certificate in CertificateSignedRequest is discarded and reported
    (security profile 3; A02.FR.07, A03.FR.07): the SignCertificateRequest is Accepted, the
    CertificateSignedRequest carries <Configured invalid_signingCertificate> (see
    :func:`_invalid_signing_certificate`), answered Rejected, then a
    SecurityEventNotificationRequest InvalidChargingStationCertificate."""
    security.require_profile(csms.config, (3,), "TLS with client side certificates")
    sut = await csms.ready(station_operator)
    csr, _ = await _sign_certificate(csms, sut, "Accepted")
    since = sut.mark()
    step(
        "5. The OCTT sends a CertificateSignedRequest with <Configured invalid_signingCertificate>"
    )
    answer = await sut.call(
        "CertificateSigned",
        {
            "certificateChain": _invalid_signing_certificate(csms, csr),
            "certificateType": "ChargingStationCertificate",
        },
    )
    check(
        answer.get("status") == "Rejected",
        "Step 6: CertificateSignedResponse status Rejected",
        answer,
    )
    step("7. The Charging Station sends a SecurityEventNotificationRequest")
    event = await sut.wait_for(
        "SecurityEventNotification",
        lambda p: p.get("type") not in ("StartupOfTheDevice", "ResetOrReboot"),
        since=since,
        describe="SecurityEventNotificationRequest InvalidChargingStationCertificate",
    )
    check(
        event.payload.get("type") == "InvalidChargingStationCertificate",
        "Step 7: SecurityEventNotificationRequest type InvalidChargingStationCertificate "
        "(A02.FR.07, A03.FR.07)",
        event.payload,
    )


@ocpp_case("TC_A_15_CS", version="2.0.1")
async def test_tc_a_15_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A Rejected SignCertificateRequest (security profile 3; A02): TriggerMessageRequest
    SignChargingStationCertificate, Accepted; the SignCertificateRequest is answered
    Rejected."""
    security.require_profile(csms.config, (3,), "TLS with client side certificates")
    sut = await csms.ready(station_operator)
    await _sign_certificate(csms, sut, "Rejected")


@ocpp_case("TC_A_23_CS", version="2.0.1")
async def test_tc_a_23_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """The SignCertificateRequest is sent again when no CertificateSignedRequest follows
    (security profile 3 and the timeout feature; A02.FR.17/18, errata 6.2.5): Configuration
    State CertSigningWaitMinimum = <Configured CertSigningWaitMinimum> (``[station]
    cert_signing_wait_minimum``, default 5 s) and CertSigningRepeatTimes 1; the first request
    is Accepted and left unsigned; the station repeats it no earlier than W, then no earlier
    than 2W; each is Accepted; then a CertificateSignedRequest per CSR (signed by the
    charging station operator sub-CA of the configured CSMS root, the sub-CA in the chain),
    each answered Accepted or Rejected, at least one Accepted. A station without
    CertSigningWaitMinimum is not applicable (the table's prerequisite)."""
    from pytest_ocpp.pki import csr_problems, sign_csr

    security.require_profile(csms.config, (3,), "TLS with client side certificates")
    wait = float(csms.config.station.extra.get("cert_signing_wait_minimum", 5))
    sut = await csms.ready(station_operator)
    await csms.configure(
        sut,
        {
            "SecurityCtrlr.CertSigningWaitMinimum": f"{wait:g}",
            "SecurityCtrlr.CertSigningRepeatTimes": "1",
        },
    )
    authority = csms.station_certificate_authority()
    csr, _ = await _sign_certificate(csms, sut, "Accepted")
    csrs = [csr]
    sent = time.monotonic()
    for number, factor, label in ((6, 1, "5"), (9, 2, "8")):
        step(
            f"{label}. The OCTT does NOT send the CertificateSignedRequest; "
            f"{number}. the Charging Station sends a SignCertificateRequest again"
        )
        try:
            again = await sut.expect_call("SignCertificate", timeout=wait * factor * 2 + 5)
        except TargetTimeout:
            raise TargetFailure(
                f"the Charging Station did not send the SignCertificateRequest again within "
                f"{wait * factor * 2 + 5:g} s although no CertificateSignedRequest came "
                f"(CertSigningWaitMinimum {wait:g} s, A02.FR.17/18)"
            ) from None
        waited = time.monotonic() - sent
        await again.reply({"status": "Accepted"})
        check(
            waited >= wait * factor - 0.2,
            f"Step {label}: the SignCertificateRequest is not resent before "
            f"{'<Configured CertSigningWaitMinimum>' if factor == 1 else 'CertSigningWaitMinimum times 2'} "
            f"({wait * factor:g} s) expired",
            f"resent after {waited:.2f} s",
        )
        problems = csr_problems(str(again.payload.get("csr", "")), v2g=False)
        check(
            not problems,
            f"Step {number}: SignCertificateRequest csr as step 3",
            "; ".join(problems),
        )
        csrs.append(str(again.payload.get("csr", "")))
        sent = time.monotonic()
    statuses = []
    for number, text in zip((11, 13, 15), csrs, strict=True):
        step(f"{number}. The OCTT sends a CertificateSignedRequest for the CSR")
        answer = await sut.call(
            "CertificateSigned",
            {
                "certificateChain": sign_csr(text, authority),
                "certificateType": "ChargingStationCertificate",
            },
        )
        statuses.append(answer.get("status"))
        check(
            answer.get("status") in ("Accepted", "Rejected"),
            f"Step {number + 1}: CertificateSignedResponse status Accepted or Rejected",
            answer,
        )
    check(
        "Accepted" in statuses,
        "Post scenario: at least one CertificateSignedResponse has status Accepted",
        statuses,
    )
