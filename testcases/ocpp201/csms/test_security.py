"""OCPP 2.0.1, CSMS under test, A. Security (2.0.1 Edition 3 Part 6 Tables 448-461, with the
errata 2025-09 for TC_A_11, TC_A_14 and TC_A_19; rules in Part 2 A00-A05).

pytest-ocpp plays the Charging Station and connects as ``--ocpp-security-profile`` says
(README "Security profiles"). A case whose profile the run is not configured for is not
applicable, naming the setting. The fake station's helpers are in
:mod:`pytest_ocpp.station.security201`; the TLS validations are shared with the 1.6 cases
(:func:`pytest_ocpp.security.judge_csms_tls`), and so is the connection the CSMS must refuse
(:func:`pytest_ocpp.security.refused_upgrade`: a refusal is an HTTP status other than 101, a
TLS alert or a closed connection; nothing listening or no answer at all is our own
connection error and makes the case an error, not a pass).

What OCTT lets the tester configure:

- the BasicAuthPassword: ``--ocpp-basic-auth-password``; TC_A_09/A_10 ask the CSMS operator
  for a new random one (the CSMS may choose its own: the one it sends is used) and put the
  configured one back at the end, which a CSMS must let its operator do: a CSMS that cannot
  leaves a warning, and its user sets the station's password back by hand;
- the client certificate (profile 3): ``--ocpp-tls-cert-file`` / ``--ocpp-tls-key-file``;
  TC_A_08's invalid one is a certificate for this station id from a CA made for the run;
- the roots a signed certificate must chain to: ``[station] csms_root_certificate``
  (Charging Station certificates) and ``v2g_root_certificate`` (V2G certificates); without
  them the chain is judged up to its last certificate, with a warning;
- the CSR's subject: ``[device_model]`` ``SecurityCtrlr.OrganizationName`` and, for V2G,
  ``ISO15118Ctrlr.SeccId`` / ``OrganizationName`` / ``CountryName`` (OCTT's Organization and
  Country; an OrganizationalUnit is not set);
- the new network profile of TC_A_19: ``[station] network_configuration_slot`` (1),
  ``network_ocpp_csms_url`` (the target, wss:// for profile 2 or 3), ``network_ocpp_interface``
  (Wired0), ``network_message_timeout`` (MessageTimeout[Default]), as for TC_B_42_CSMS.
"""

from __future__ import annotations

from dataclasses import replace

from pytest_ocpp import security, step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201
from pytest_ocpp.station import security201 as sec
from pytest_ocpp.verdicts import ConnectFailed, TargetFailure, check, not_applicable

SP = sec.SUBPROTOCOL


async def _booted(station: Station201, first: int) -> None:
    """The tables' last steps: "The OCTT sends a BootNotificationRequest" (Accepted) and
    "notifies the CSMS about the current state of all connectors": reusable state Booted."""
    step(
        f"{first}-{first + 3}. BootNotificationRequest (Accepted), then every connector "
        "Available (Reusable State Booted)"
    )
    await station.booted()


def _refusal_failure(allowed: str, what: str, rule: str) -> TargetFailure:
    return TargetFailure(f"the CSMS accepted {what}: got {allowed}; it must refuse it ({rule})")


# -- A00 Basic authentication ----------------------------------------------------------------
@ocpp_case("TC_A_01_CSMS", version="2.0.1")
async def test_tc_a_01_csms(new_station: Station201, ocpp_config: OcppConfig) -> None:
    """The CSMS validates valid Basic credentials at the connection request (security
    profiles 1 and 2; A00.FR.204, B01.FR.02)."""
    security.require_profile(ocpp_config, (1, 2), "HTTP Basic authentication")
    step("1. The OCTT sends a HTTP upgrade request with <ChargingStationId>:<BasicAuthPassword>")
    step("2. The CSMS validates the credentials and upgrades the connection")
    await _booted(new_station, 3)


@ocpp_case("TC_A_02_CSMS", version="2.0.1")
async def test_tc_a_02_csms(station_factory, ocpp_config: OcppConfig, ocpp_target: str) -> None:
    """The CSMS refuses Basic credentials whose username is not the station id
    (A00.FR.204/207). After the refusal pytest-ocpp connects once with the configured
    credentials, which must be accepted: the refusal was about the username."""
    security.require_profile(ocpp_config, (1, 2), "HTTP Basic authentication")
    user = f"{ocpp_config.station_id}Invalid"
    step(f"1. The OCTT sends a HTTP upgrade request as user {user!r} with the configured password")
    allowed = await security.refused_upgrade(
        ocpp_config, ocpp_target, SP, password=ocpp_config.basic_auth_password, username=user
    )
    step("2. The CSMS validates the username/password combination AND rejects the upgrade")
    if allowed:
        raise _refusal_failure(
            allowed,
            f"Basic credentials with the username {user!r}, which is not the station id "
            f"{ocpp_config.station_id!r}",
            "2.0.1 Part 2 A00.FR.204/207",
        )
    step("(pytest-ocpp) The same upgrade with the station id as username is accepted")
    await station_factory()


@ocpp_case("TC_A_03_CSMS", version="2.0.1")
async def test_tc_a_03_csms(station_factory, ocpp_config: OcppConfig, ocpp_target: str) -> None:
    """The CSMS refuses a wrong password: a random passwordString of 16-40 characters
    (A00.FR.204/207). Then the configured password must be accepted."""
    security.require_profile(ocpp_config, (1, 2), "HTTP Basic authentication")
    wrong = sec.random_password(32)
    step("1. The OCTT sends a HTTP upgrade request with a random password of 32 characters")
    allowed = await security.refused_upgrade(ocpp_config, ocpp_target, SP, password=wrong)
    step("2. The CSMS validates the username/password combination AND rejects the upgrade")
    if allowed:
        raise _refusal_failure(
            allowed,
            "a random password that is not the station's BasicAuthPassword",
            "2.0.1 Part 2 A00.FR.207, HTTP 401",
        )
    step("(pytest-ocpp) The same upgrade with the configured password is accepted")
    await station_factory()


# -- A00 TLS -------------------------------------------------------------------------------------
@ocpp_case("TC_A_04_CSMS", version="2.0.1")
async def test_tc_a_04_csms(station_factory, ocpp_config: OcppConfig, ocpp_target: str) -> None:
    """The CSMS identifies itself with a valid server certificate over TLS 1.2+ (profiles 2
    and 3; A00.FR.306-321, A00.FR.502-510). Not applicable under --ocpp-tls-insecure: the
    certificate's validity is the case's subject.

    TC_A_06_CSMS (TLS below 1.2 refused) and TC_A_07/A_08_CSMS (the CSMS verifies the
    station's certificate) stay applicable then: their verdicts do not rest on verifying the
    CSMS's certificate, and their connections carry the run's insecure warning."""
    security.require_profile(ocpp_config, (2, 3), "TLS with a server certificate")
    security.require_verification(ocpp_config, "a valid server certificate (TC_A_04_CSMS)")
    step("1-4. TLS handshake (client certificate with profile 3)")
    step("5-6. HTTP upgrade (Basic credentials with profile 2); the CSMS upgrades it")
    station = await station_factory()
    step("Step 3 validations: TLS version, cipher suites, the server certificate")
    await security.judge_csms_tls(station.link.ws, ocpp_config, ocpp_target, security.TLS_RULES_201)
    await _booted(station, 7)


@ocpp_case("TC_A_06_CSMS", version="2.0.1")
async def test_tc_a_06_csms(station_factory, ocpp_config: OcppConfig, ocpp_target: str) -> None:
    """The CSMS terminates a TLS handshake below version 1.2 (A00.FR.313-315), then sets up a
    TLS 1.2+ connection. Not applicable where this machine's OpenSSL cannot offer TLS 1.0/1.1
    (measured with a loopback handshake, the reason given)."""
    security.require_profile(ocpp_config, (2, 3), "TLS with a server certificate")
    step("1. The OCTT initiates a TLS handshake offering only TLS 1.0 and 1.1")
    version = await sec.legacy_tls_accepted(ocpp_config, ocpp_target)
    step("2. The CSMS notices the TLS version is lower than 1.2 and terminates the connection")
    if version:
        raise TargetFailure(
            f"the CSMS completed a TLS handshake with {version}; it must terminate a connection "
            "below TLS 1.2 (2.0.1 Part 2 A00.FR.313/315)"
        )
    step("3-8. TLS 1.2+ handshake and HTTP upgrade; the CSMS upgrades the connection")
    station = await station_factory()
    await _booted(station, 9)


@ocpp_case("TC_A_07_CSMS", version="2.0.1")
async def test_tc_a_07_csms(station_factory, ocpp_config: OcppConfig, ocpp_target: str) -> None:
    """The CSMS receives the station's client certificate and sets up a secured websocket
    (profile 3; A00.FR.409-421)."""
    security.require_profile(ocpp_config, (3,), "TLS with client side certificates")
    if not ocpp_config.tls.cert_file:
        raise not_applicable(
            "no client certificate configured (--ocpp-tls-cert-file, --ocpp-tls-key-file)"
        )
    step("1-4. TLS handshake with the <Configured client certificate>")
    step("5-6. HTTP upgrade; the CSMS upgrades the connection")
    station = await station_factory()
    step("Step 3 validations: TLS version and cipher suites")
    await security.judge_csms_tls(
        station.link.ws, ocpp_config, ocpp_target, security.TLS_RULES_201, certificate=False
    )
    await _booted(station, 7)


@ocpp_case("TC_A_08_CSMS", version="2.0.1")
async def test_tc_a_08_csms(station_factory, ocpp_config: OcppConfig, ocpp_target: str) -> None:
    """The CSMS terminates a connection with an invalid client certificate (profile 3;
    A00.FR.403/405/407): one for this station id from a CA no CSMS trusts (the table's
    "unknown certificate"); then the configured one is accepted."""
    security.require_profile(ocpp_config, (3,), "TLS with client side certificates")
    if not ocpp_config.tls.cert_file:
        raise not_applicable(
            "no client certificate configured (--ocpp-tls-cert-file, --ocpp-tls-key-file)"
        )
    step("1-3. TLS handshake with a client certificate of an unknown CA")
    allowed = await security.refused_upgrade(
        ocpp_config,
        ocpp_target,
        SP,
        password=ocpp_config.basic_auth_password,
        tls=sec.unknown_ca_client_tls(ocpp_config),
    )
    step("4. The CSMS deems the client certificate invalid and terminates the connection")
    if allowed:
        raise _refusal_failure(
            allowed,
            "a TLS client certificate of a CA it does not trust",
            "2.0.1 Part 2 A00.FR.403/407",
        )
    step("5-10. TLS handshake with the <Configured client certificate>, HTTP upgrade")
    station = await station_factory()
    await _booted(station, 11)


# -- A01 BasicAuthPassword ------------------------------------------------------------------------
@ocpp_case("TC_A_09_CSMS", version="2.0.1")
async def test_tc_a_09_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig, ocpp_target: str
) -> None:
    """The CSMS sets a new BasicAuthPassword and, once the station Accepted it, accepts only
    the new credentials (profiles 1 and 2; A01.FR.02/03). The configured password is put back
    at the end (see the module docstring)."""
    security.require_profile(ocpp_config, (1, 2), "HTTP Basic authentication")
    configured = ocpp_config.basic_auth_password
    current = configured or ""
    request, new = await sec.password_request(
        station,
        csms_operator,
        sec.random_password(),
        "1. The CSMS sends a SetVariablesRequest SecurityCtrlr.BasicAuthPassword = <NewPassword>",
    )
    try:
        step("2. The OCTT responds with a SetVariablesResponse with status Accepted")
        await sec.reply_set_variables(request, "Accepted")
        current = new
        sec.check_password_request(request, new)
        step("3. The OCTT sends a HTTP upgrade request with the NEW BasicAuthPassword")
        station.password = new
        try:
            await station.reconnect()
        except ConnectFailed as exc:
            raise TargetFailure(
                "Step 4: the CSMS refused the new BasicAuthPassword the station Accepted; it "
                f"must accept it from then on (2.0.1 Part 2 A01.FR.03): {exc}"
            ) from None
        step("4. The CSMS validates the new credentials and upgrades the connection")
        await _booted(station, 5)
        step("(pytest-ocpp) The old BasicAuthPassword is refused (A01.FR.03)")
        allowed = await security.refused_upgrade(ocpp_config, ocpp_target, SP, password=configured)
        if allowed:
            raise _refusal_failure(
                allowed,
                "the former BasicAuthPassword after the station Accepted a new one",
                "2.0.1 Part 2 A01.FR.03: no longer accept the credentials previously used",
            )
    finally:
        await sec.restore_password(station, csms_operator, configured, current)


@ocpp_case("TC_A_10_CSMS", version="2.0.1")
async def test_tc_a_10_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The station Rejects a new BasicAuthPassword; the CSMS keeps accepting the old
    credentials (profiles 1 and 2; A01.FR.02/04/05)."""
    security.require_profile(ocpp_config, (1, 2), "HTTP Basic authentication")
    configured = ocpp_config.basic_auth_password
    request, new = await sec.password_request(
        station,
        csms_operator,
        sec.random_password(),
        "1. The CSMS sends a SetVariablesRequest SecurityCtrlr.BasicAuthPassword = <NewPassword>",
    )
    current = configured or ""
    try:
        step("2. The OCTT responds with a SetVariablesResponse with status Rejected")
        await sec.reply_set_variables(request, "Rejected")
        sec.check_password_request(request, new)
        step("3. The OCTT sends a HTTP upgrade request with the OLD BasicAuthPassword")
        try:
            await station.reconnect()
        except ConnectFailed as exc:
            current = new  # the CSMS switched anyway: what it now expects
            raise TargetFailure(
                "Step 4: the CSMS refused the old BasicAuthPassword after the station Rejected "
                f"the new one; it must keep accepting it (2.0.1 Part 2 A01.FR.04): {exc}"
            ) from None
        step("4. The CSMS validates the old credentials and upgrades the connection")
        await _booted(station, 5)
    finally:
        await sec.restore_password(station, csms_operator, configured, current)


# -- A02 certificate signing ----------------------------------------------------------------------
@ocpp_case("TC_A_11_CSMS", version="2.0.1")
async def test_tc_a_11_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS has the station renew its Charging Station certificate (A02.FR.11/14,
    F06.FR.01), and accepts a connection with the new certificate (errata 2024-09: steps 2-3;
    2025-04: post-condition connected). Profile 3: the new certificate is the client
    certificate of that connection."""
    security.require_profile(ocpp_config, (3,), "TLS with client side certificates")
    step("1. Execute Memory State RenewChargingStationCertificate")
    signing = await sec.renew_charging_station_certificate(
        station, csms_operator, ocpp_config, "RenewChargingStationCertificate"
    )
    step("2. The OCTT disconnects and reconnects to the CSMS with the new certificate")
    station.tls = signing.client_tls(ocpp_config.tls)
    try:
        await station.reconnect()
    except ConnectFailed as exc:
        raise TargetFailure(
            "Step 3: the CSMS refused a connection with the certificate it has just signed for "
            f"this station (2.0.1 Part 2 A02.FR.08; TC_A_11_CSMS errata 2024-09): {exc}"
        ) from None
    step("3. The CSMS accepts the connection with the new certificate")
    check(station.connected, "Post scenario: the OCTT and the CSMS are connected", "closed")


@ocpp_case("TC_A_12_CSMS", version="2.0.1")
async def test_tc_a_12_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS has the station renew its V2G certificate (A02.FR.11, F06.FR.01). The table
    judges the certificate with warnings only ("the testcase will NOT FAIL"): so does this."""
    signing = await sec.sign_certificate(
        station,
        csms_operator,
        trigger="SignV2GCertificate",
        certificate_type="V2GCertificate",
        answer="Accepted",
    )
    step("Step 5 (warnings only): the certificate generated from the CSR of step 3")
    for problem in sec.chain_problems(signing, ocpp_config, "v2g_root_certificate"):
        warn(f"Step 5: CertificateSignedRequest certificateChain: {problem}")


@ocpp_case("TC_A_13_CSMS", version="2.0.1", requires="ISO-3")
async def test_tc_a_13_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS has the station renew its combined V2G / Charging Station certificate
    (A02.FR.11). Removed from the certification programme by errata 2025-02 (5.20): reported
    as such. The table's SignCertificateRequest carries the CSR only (no certificateType);
    the certificate is judged with warnings only, as the table says."""
    signing = await sec.sign_certificate(
        station,
        csms_operator,
        trigger="SignCombinedCertificate",
        certificate_type=None,
        answer="Accepted",
    )
    step("Step 5 (warnings only): the certificate generated from the CSR of step 3")
    for problem in sec.chain_problems(signing, ocpp_config, "v2g_root_certificate"):
        warn(f"Step 5: CertificateSignedRequest certificateChain: {problem}")


@ocpp_case("TC_A_14_CSMS", version="2.0.1")
async def test_tc_a_14_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The station rejects the certificate the CSMS sends and reports the security event
    InvalidChargingStationCertificate (errata 2024-09), which the CSMS answers (A02.FR.07)."""
    await sec.sign_certificate(
        station,
        csms_operator,
        trigger="SignChargingStationCertificate",
        certificate_type="ChargingStationCertificate",
        answer="Rejected",
    )
    step(
        "7. The OCTT sends a SecurityEventNotificationRequest with type "
        "InvalidChargingStationCertificate"
    )
    await station.call(
        "SecurityEventNotification",
        {"type": "InvalidChargingStationCertificate", "timestamp": station.now()},
    )
    step("8. The CSMS responds with a SecurityEventNotificationResponse")


# -- A05 security profile upgrade -------------------------------------------------------------
@ocpp_case("TC_A_19_CSMS", version="2.0.1")
async def test_tc_a_19_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig, ocpp_target: str
) -> None:
    """The CSMS upgrades the station's security profile by one (A05.FR.04) and then refuses
    the lower profile (A05.FR.07), errata 2025-04 (steps 10-12) and 2024-09 (no ocppCsmsUrl
    check; with profile 2 the Memory State RenewChargingStationCertificate gives the client
    certificate of profile 3). The station is put back on its configured profile at the end
    (NetworkConfigurationPriority back, Reset): a CSMS that refuses that for good leaves a
    warning, and its user lets the station use its configured profile again by hand."""
    configured = security.require_profile(ocpp_config, (1, 2), "a profile to upgrade from")
    higher = configured + 1
    if (
        configured == 1
        and not ocpp_config.tls.ca_file
        and "network_ocpp_csms_url" not in ocpp_config.station.extra
    ):
        raise not_applicable(
            "the prerequisite 'a trusted certificate must be installed' for an upgrade from "
            "security profile 1 to 2: give --ocpp-tls-ca-file (the root of the CSMS's wss:// "
            "endpoint) or [station] network_ocpp_csms_url (a wss:// URL the system's CAs trust)"
        )
    original = sec.Connection(station.url, station.password, None)
    upgraded_tls = ocpp_config.tls
    if configured == 2:
        step("Before: Memory State RenewChargingStationCertificate (the profile 3 certificate)")
        signing = await sec.renew_charging_station_certificate(
            station, csms_operator, ocpp_config, "RenewChargingStationCertificate"
        )
        upgraded_tls = signing.client_tls(ocpp_config.tls)
    priority = station.device_model.value("OCPPCommCtrlr.NetworkConfigurationPriority") or "0"
    wanted = sec.network_profile_request(station, higher)
    step("1. The CSMS sends a SetNetworkProfileRequest (security profile one higher)")
    request = await csms_operator.request(station, "SetNetworkProfile", wanted)
    step("2. The OCTT responds with a SetNetworkProfileResponse with status Accepted")
    await request.reply({"status": "Accepted"})
    data = request.payload.get("connectionData") or {}
    expected = wanted["connectionData"]
    for key in ("messageTimeout", "ocppInterface", "ocppTransport", "ocppVersion"):
        check(
            data.get(key) == expected[key],
            f"Step 1: SetNetworkProfileRequest connectionData.{key} {expected[key]}",
            request.payload,
        )
    check(
        data.get("securityProfile") == higher,
        f"Step 1: SetNetworkProfileRequest connectionData.securityProfile {higher} (the "
        f"configured {configured} + 1)",
        request.payload,
    )
    slot = str(request.payload.get("configurationSlot"))
    upgraded = sec.Connection(
        str(data.get("ocppCsmsUrl") or sec.upgraded_url(ocpp_target, higher)),
        None if higher == 3 else station.password,
        upgraded_tls,
    )
    switched = False
    try:
        step("3. The CSMS sends a SetVariablesRequest NetworkConfigurationPriority")
        variables = await csms_operator.request(
            station, "SetVariables", sec.priority_request(f"{slot},{priority}")
        )
        step("4. The OCTT responds with a SetVariablesResponse with status Accepted")
        await sec.reply_set_variables(variables, "Accepted")
        switched = True
        items = variables.payload.get("setVariableData") or []
        item = items[0] if items else {}
        check(
            (item.get("variable") or {}).get("name") == "NetworkConfigurationPriority"
            and (item.get("component") or {}).get("name") == "OCPPCommCtrlr",
            "Step 3: SetVariablesRequest OCPPCommCtrlr.NetworkConfigurationPriority",
            variables.payload,
        )
        slots = [s.strip() for s in str(item.get("attributeValue", "")).split(",")]
        check(
            slot in slots,
            f"Step 3: attributeValue contains the configurationSlot {slot} of step 1",
            item.get("attributeValue"),
        )
        step("5. The CSMS sends a ResetRequest")
        reset = await csms_operator.request(station, "Reset", {"type": "OnIdle"})
        step("6. The OCTT responds with a ResetResponse with status Accepted")
        await reset.reply({"status": "Accepted"})
        await station.disconnect()
        step(f"7. The OCTT reconnects with security profile {higher} to {upgraded.url}")
        upgraded.apply(station)
        try:
            await station.connect()
        except ConnectFailed as exc:
            raise TargetFailure(
                f"Step 8: the CSMS refused the station on the new network profile (security "
                f"profile {higher}) it had set: {exc}"
            ) from None
        step("8. The CSMS accepts the connection attempt")
        step("9. Execute Reusable State Booted")
        await station.booted()
        step(f"10. The OCTT reconnects with the original security profile {configured}")
        await station.disconnect()
        lower_tls = replace(ocpp_config.tls, cert_file=None, key_file=None)
        allowed = await security.refused_upgrade(
            ocpp_config,
            original.url,
            SP,
            password=original.password,
            tls=lower_tls,
        )
        step("11. The CSMS shall not accept the connection attempt")
        if allowed:
            raise _refusal_failure(
                allowed,
                f"the station with security profile {configured} after it was upgraded to {higher}",
                "2.0.1 Part 2 A05.FR.07",
            )
        step(f"12. The OCTT reconnects with the upgraded security profile {higher}")
        await station.connect()
        check(station.connected, "Post scenario: the OCTT and the CSMS are connected", "closed")
    finally:
        if switched:
            await sec.restore_profile(station, csms_operator, original, upgraded, priority)
