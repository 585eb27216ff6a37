"""OCTT 1.6, Charge Point under test, the transport of the Security Whitepaper extension
(OCTT 1.6 test case document Tables 100-102; OCPP 1.6 Security Whitepaper edition 3, §2).

pytest-ocpp plays the Central System as ``--ocpp-security-profile`` says: profile 1 checks
HTTP Basic credentials over ws://, profile 2 serves wss:// with the server certificate (the
user's, or one generated for the run whose CA the station must trust) and checks Basic
credentials, profile 3 also requires a client certificate chaining to the configured (or
generated) CA. The fake CSMS refuses a handshake that breaks the profile and says why; a case
waiting for the station then fails with that sentence. A case whose profile the run is not
configured for is not applicable.

Each table starts from "The Charge Point is triggered to reset": a Hard Reset.req, then the
reboot's new connection is judged. TC_086_CS ends with pytest-ocpp's own check that the
station refuses a certificate of an unknown CA (A00.FR.309/310), since a station that
trusts everything passes the table's valid path too.
"""

from __future__ import annotations

from pytest_ocpp import security, step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.csms import FakeCsms16 as FakeCsms
from pytest_ocpp.csms import StationConnection
from pytest_ocpp.verdicts import ConnectFailed, TargetFailure, check


async def reset_and_reconnect(
    csms: FakeCsms, station_operator, ocpp_config: OcppConfig, handshake: str
) -> StationConnection:
    """Reusable state "The Charge Point is triggered to reset", then the reboot's handshake
    (which the fake CSMS judges: a refused one fails here with its reason), BootNotification
    and a StatusNotification per connector and connectorId 0."""
    sut = await csms.ready(station_operator)
    generation = csms.generation
    step("Before: the Charge Point is triggered to reset (Reset.req Hard)")
    answer = await sut.call("Reset", {"type": "Hard"})
    check(answer.get("status") == "Accepted", "Reset.conf status Accepted", answer)
    step(handshake)
    sut = await csms.next_connection(after=generation, reboot=True)
    step("BootNotification.req; StatusNotification.req per connector and connectorId 0")
    boot = await sut.wait_for("BootNotification")
    since = sut.link.inbox.index(boot) + 1
    for connector in range(ocpp_config.station.connectors + 1):
        await sut.next_status(connector, ("Available",), since=since)
    return sut


def judge_tls(sut: StationConnection, step_name: str) -> security.TlsInfo:
    """OCTT's TLS validations of the station: TLS 1.2 or above (A00.FR.312) and the
    ECDHE_ECDSA or RSA pair of AES-GCM suites in its Client Hello (A00.FR.318)."""
    info = sut.tls
    check(info is not None, f"{step_name}: a TLS connection", "a plain ws:// connection")
    assert info is not None
    check(
        info.version_ok,
        f"{step_name}: TLS 1.2 or above (1.6 Security Whitepaper A00.FR.312)",
        info.version,
    )
    problem = security.station_suites_problem(info)
    if problem:
        raise TargetFailure(f"{step_name}: {problem}")
    return info


@ocpp_case("TC_085_CS")
async def test_tc_085_cs(csms, station_operator, ocpp_config) -> None:
    """The Charge Point authenticates itself with HTTP Basic authentication (security
    profiles 1 and 2; Whitepaper A00.FR.202-205, RFC 2617)."""
    profile = security.require_profile(ocpp_config, (1, 2), "HTTP Basic authentication")
    sut = await reset_and_reconnect(
        csms,
        station_operator,
        ocpp_config,
        f"1. The Charge Point sends a HTTP upgrade request (profile {profile}); "
        "2. the Central System upgrades it",
    )
    step("Step 1 validations: AUTHORIZATION: Basic <Base64(<ChargePointId>:<AuthorizationKey>)>")
    user, key_length = sut.basic_auth or ("", 0)
    check(
        user == sut.station_id,
        "the Basic username equal to the ChargePointId at the end of the URL (A00.FR.204)",
        user or "no Authorization header",
    )
    check(
        16 <= key_length <= 40,
        "an AuthorizationKey of 16 to 40 characters (A00.FR.205: at least 16 bytes, at most "
        "40 hexadecimal digits)",
        f"{key_length} characters",
    )


@ocpp_case("TC_086_CS")
async def test_tc_086_cs(csms, station_operator, ocpp_config) -> None:
    """The Charge Point accepts the Central System's valid server certificate and sets up a
    secured websocket (security profiles 2 and 3; Whitepaper A00.FR.305-318, 409-416), and
    refuses one that does not chain to its CSMS root (A00.FR.309/310)."""
    profile = security.require_profile(ocpp_config, (2, 3), "TLS with a server certificate")
    sut = await reset_and_reconnect(
        csms,
        station_operator,
        ocpp_config,
        "1-4. TLS handshake with the <Configured server certificate>; 5. HTTP upgrade"
        f"{' with Basic credentials' if profile == 2 else ''}; 6. upgraded",
    )
    judge_tls(sut, "Step 2")
    step(
        "(pytest-ocpp) The station refuses a server certificate of an unknown CA "
        "(A00.FR.309/310: it terminates the connection)"
    )
    generation = csms.generation
    csms.serve_untrusted = True
    try:
        await csms.drop_connection()
        try:
            await csms.next_connection(after=generation, timeout=ocpp_config.timeouts.message)
        except ConnectFailed:
            pass  # nothing connected: the station refused the certificate
        else:
            raise TargetFailure(
                "the Charge Point accepted a server certificate that does not chain to its "
                "CSMS root (an unknown CA) and set up the websocket; it must terminate the "
                "connection (1.6 Security Whitepaper A00.FR.309/310, A00.FR.413/414)"
            )
    finally:
        csms.serve_untrusted = False
    step("After: the station reconnects with the valid certificate")
    await csms.ready(station_operator)


@ocpp_case("TC_087_CS")
async def test_tc_087_cs(csms, station_operator, ocpp_config) -> None:
    """The Charge Point identifies itself with a valid client certificate (security profile
    3; Whitepaper A00.FR.401-405, certificate properties §2.6.1)."""
    security.require_profile(ocpp_config, (3,), "TLS with client side certificates")
    sut = await reset_and_reconnect(
        csms,
        station_operator,
        ocpp_config,
        "1-4. TLS handshake, the Charge Point sends its client certificate; 5. HTTP upgrade; "
        "6. upgraded",
    )
    info = judge_tls(sut, "Step 4")
    check(
        bool(info.peer_certificate),
        "Step 4: a client certificate (A00.FR.401/402)",
        "none",
    )
    problems = security.certificate_problems(info.peer_certificate or b"")
    check(
        not problems,
        "Step 4: a Charge Point certificate as 1.6 Security Whitepaper §2.6.1 requires",
        "; ".join(problems),
    )
