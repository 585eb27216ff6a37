"""OCTT 1.6, Central System under test, the transport of the Security Whitepaper extension
(OCTT 1.6 test case document Tables 189-191; OCPP 1.6 Security Whitepaper edition 3, §2).

pytest-ocpp plays the Charge Point and connects the way ``--ocpp-security-profile`` says:
profile 1 (ws:// with HTTP Basic auth), 2 (wss:// with Basic auth) or 3 (wss:// with a
client certificate). A case whose profile the run is not configured for is not applicable,
with the setting that would make it run.

The tables only walk the valid path. A Central System that lets anyone in passes them as
well, so TC_085 and TC_087 end with the invalid twin of their connection (a wrong password, no
client certificate), which the whitepaper requires the Central System to refuse; that step is
pytest-ocpp's, marked as such.
"""

from __future__ import annotations

from dataclasses import replace

from pytest_ocpp import security, step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.verdicts import TargetFailure, check, not_applicable


async def booted(station, ocpp_config: OcppConfig, first: int) -> None:
    """The table's last steps: BootNotification (Accepted), then a StatusNotification per
    connector and connectorId 0."""
    step(f"{first}. The Charge Point sends a BootNotification.req")
    conf = await station.boot(expect_accepted=False)
    check(conf["status"] == "Accepted", f"Step {first + 1}: BootNotification.conf Accepted", conf)
    step(f"{first + 2}. The Charge Point sends a StatusNotification.req per connector and 0")
    for connector in range(ocpp_config.station.connectors + 1):
        await station.status(connector, "Available")


def tls_version(station) -> security.TlsInfo:
    """The TLS facts of the fake station's connection (TLS 1.2 or above, A00.FR.312)."""
    info = security.tls_info(station.link.ws)
    check(info is not None, "a TLS connection (wss://)", "a plain ws:// connection")
    assert info is not None
    check(
        info.version_ok,
        "TLS 1.2 or above (1.6 Security Whitepaper A00.FR.312/416)",
        info.version,
    )
    return info


async def refused(
    ocpp_config: OcppConfig, url: str, *, password: str | None, without_client_cert: bool
) -> str:
    """Try one more connection the Central System must refuse
    (:func:`pytest_ocpp.security.refused_upgrade`, shared with the 2.0.1 cases); '' when it
    did, else the upgrade it allowed."""
    tls = ocpp_config.tls
    if without_client_cert:
        tls = replace(tls, cert_file=None, key_file=None)
    return await security.refused_upgrade(ocpp_config, url, "ocpp1.6", password=password, tls=tls)


@ocpp_case("TC_085_CSMS")
async def test_tc_085_csms(station_factory, ocpp_config, ocpp_target) -> None:
    """The Central System validates Basic authentication credentials at the connection
    request (security profiles 1 and 2; Whitepaper §2.3-2.4, A00.FR.202-205: user = the
    ChargePointId of the URL, password = AuthorizationKey)."""
    profile = security.require_profile(ocpp_config, (1, 2), "HTTP Basic authentication")
    step(
        f"1. The Charge Point sends a HTTP upgrade request with Basic credentials "
        f"(profile {profile}, user {ocpp_config.station_id})"
    )
    station = await station_factory()
    step("2. The Central System upgrades the connection to a WebSocket connection")
    await booted(station, ocpp_config, 3)
    step(
        "(pytest-ocpp) The same upgrade with a wrong password is refused "
        "(A00.FR.202/203: the Central System authenticates the Charge Point)"
    )
    wrong = (ocpp_config.basic_auth_password or "") + "-not-the-AuthorizationKey"
    allowed = await refused(ocpp_config, ocpp_target, password=wrong, without_client_cert=False)
    if allowed:
        raise TargetFailure(
            "the Central System accepted a wrong basic-auth password: an upgrade request with "
            f"user {ocpp_config.station_id!r} and a password that is not its AuthorizationKey "
            f"got {allowed}; it must be refused (1.6 Security Whitepaper A00.FR.202/203, "
            "HTTP 401)"
        )


@ocpp_case("TC_086_CSMS")
async def test_tc_086_csms(station_factory, ocpp_config, ocpp_target) -> None:
    """The Central System identifies itself with a valid server certificate and sets up a
    secured websocket (security profiles 2 and 3; Whitepaper §2.4-2.5: TLS 1.2 or above
    A00.FR.312, the four suites of A00.FR.317, the certificate properties of §2.6.1). Not
    applicable under --ocpp-tls-insecure: the certificate's validity is the case's subject.

    TC_087_CSMS stays applicable then: its verdict is about the Central System verifying the
    Charge Point's certificate, and its connections carry the run's insecure warning."""
    profile = security.require_profile(ocpp_config, (2, 3), "TLS with a server certificate")
    security.require_verification(ocpp_config, "a valid server certificate (TC_086_CSMS)")
    step("1. The Charge Point initiates a TLS handshake and sends a Client Hello")
    step("2. The Central System responds with a Server Hello with its server certificate")
    step(
        f"3-6. TLS handshake (client certificate with profile 3), HTTP upgrade"
        f"{' with Basic credentials' if profile == 2 else ''}"
    )
    station = await station_factory()
    step("Step 2 validations: TLS version, cipher suites, the server certificate")
    await security.judge_csms_tls(station.link.ws, ocpp_config, ocpp_target, security.TLS_RULES_16)
    await booted(station, ocpp_config, 7)


@ocpp_case("TC_087_CSMS")
async def test_tc_087_csms(station_factory, ocpp_config, ocpp_target) -> None:
    """The Central System receives a client certificate and sets up a secured websocket
    (security profile 3; Whitepaper §2.5, A00.FR.401-407)."""
    security.require_profile(ocpp_config, (3,), "TLS with client side certificates")
    if not ocpp_config.tls.cert_file:
        raise not_applicable(
            "no client certificate configured (--ocpp-tls-cert-file, --ocpp-tls-key-file)"
        )
    step("1-4. TLS handshake with the Charge Point's client certificate")
    step("5. The Charge Point sends a HTTP upgrade request; 6. the Central System upgrades it")
    station = await station_factory()
    step("Step 3 validations: TLS version")
    tls_version(station)
    await booted(station, ocpp_config, 7)
    step(
        "(pytest-ocpp) The same connection without a client certificate is refused "
        "(A00.FR.401/407: the Central System terminates it)"
    )
    allowed = await refused(
        ocpp_config,
        ocpp_target,
        password=ocpp_config.basic_auth_password,
        without_client_cert=True,
    )
    if allowed:
        raise TargetFailure(
            "the Central System accepted a TLS connection without a client certificate under "
            f"security profile 3: got {allowed}; it must terminate it (1.6 Security Whitepaper "
            "A00.FR.401/407)"
        )
