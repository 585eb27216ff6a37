"""The fake 2.0.1 station's side of block A (Security) when the CSMS is under test (2.0.1
Part 6 TC_A_xx_CSMS): the password rules, a TLS 1.0/1.1 Client Hello, a client certificate of
an unknown CA, the certificate signing exchange (Memory State RenewChargingStationCertificate,
Table 711, and its V2G / combined / rejected variants), and the security profile upgrade with
the way back.

The CSR is real (:func:`pytest_ocpp.pki.new_csr`: EC P-256, CN = the station id, O =
``SecurityCtrlr.OrganizationName`` of the fake station's device model, A02.FR.02/03); the
private key stays in memory, or in an owner-only temporary file when the station must
reconnect with the certificate it was given (A02.FR.05, A02.FR.08).
"""

from __future__ import annotations

import asyncio
import functools
import secrets
import shutil
import ssl
import string
import tempfile
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from cryptography.hazmat.primitives.asymmetric import ec

from pytest_ocpp import pki, security
from pytest_ocpp.case import current, step, warn
from pytest_ocpp.certificates import configured_pem
from pytest_ocpp.config import OcppConfig, TlsSettings
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.verdicts import ConnectFailed, RigError, TargetTimeout, check, not_applicable

if TYPE_CHECKING:
    from pytest_ocpp.operators import CsmsOperator
    from pytest_ocpp.station.v201 import Station201

SUBPROTOCOL = "ocpp2.0.1"

PASSWORD_ALPHABET = string.ascii_letters + string.digits + "*-_=:+|@."
"""passwordString (2.0.1 Part 2 §2.1.4): a-z, A-Z, 0-9 and * - _ = : + | @ ."""


# -- A00/A01 Basic authentication ------------------------------------------------------------
def random_password(length: int = 24) -> str:
    """A random passwordString of ``length`` (16-40, A00.FR.205) characters; masked from now
    on in every trace and report."""
    value = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))
    security.protect_secrets(value)
    return value


def password_problem(value: str) -> str:
    """'' for a BasicAuthPassword as A00.FR.205 wants it (a passwordString of 16 to 40
    characters), else what is wrong, without quoting the value."""
    if not 16 <= len(value) <= 40:
        return f"it has {len(value)} characters, not 16 to 40"
    odd = sorted({c for c in value if c not in PASSWORD_ALPHABET})
    if odd:
        return f"it has {len(odd)} kind(s) of character a passwordString does not allow"
    return ""


def basic_auth_password_data(value: str) -> dict[str, Any]:
    """The SetVariablesRequest the CSMS is asked for (A01.FR.02): SecurityCtrlr.BasicAuthPassword
    = ``value``."""
    return {
        "setVariableData": [
            {
                "attributeValue": value,
                "component": {"name": "SecurityCtrlr"},
                "variable": {"name": "BasicAuthPassword"},
            }
        ]
    }


async def password_request(
    station: Station201, csms_operator: CsmsOperator, proposed: str, label: str
) -> tuple[IncomingCall, str]:
    """``label``: the CSMS sends a SetVariablesRequest for BasicAuthPassword (the operator is
    asked for ``proposed``; a CSMS choosing its own password is as good). Returns the request
    and the password it carries (masked from now on)."""
    step(label)
    request = await csms_operator.request(
        station, "SetVariables", basic_auth_password_data(proposed)
    )
    items = request.payload.get("setVariableData") or []
    item = items[0] if items else {}
    value = str(item.get("attributeValue", ""))
    security.protect_secrets(value)
    return request, value


def check_password_request(request: IncomingCall, value: str) -> None:
    """Step 1 validations of TC_A_09/A_10_CSMS: variable.name BasicAuthPassword,
    component.name SecurityCtrlr (the tables write "SecurityCtrl"; the device model's name,
    Part 2 §2.2.1, is SecurityCtrlr), and the value a passwordString of 16-40 characters
    (A00.FR.205)."""
    items = request.payload.get("setVariableData") or []
    item = items[0] if items else {}
    component = (item.get("component") or {}).get("name")
    variable = (item.get("variable") or {}).get("name")
    check(
        variable == "BasicAuthPassword",
        "Step 1: SetVariablesRequest variable.name BasicAuthPassword",
        variable,
    )
    if component == "SecurityCtrl":
        warn(
            "Step 1: component.name is 'SecurityCtrl' as the OCTT table writes it; the device "
            "model names the component SecurityCtrlr (2.0.1 Part 2 §2.2.1)"
        )
    else:
        check(
            component == "SecurityCtrlr",
            "Step 1: SetVariablesRequest component.name SecurityCtrlr",
            component,
        )
    problem = password_problem(value)
    check(
        not problem,
        "Step 1: a BasicAuthPassword the station can store: a passwordString of 16 to 40 "
        "characters (2.0.1 Part 2 A00.FR.205)",
        f"attributeValue (masked): {problem}",
    )


async def reply_set_variables(request: IncomingCall, status: str) -> None:
    """A SetVariablesResponse with ``status`` for every item of the request."""
    results = [
        {
            "attributeStatus": status,
            "component": item.get("component") or {},
            "variable": item.get("variable") or {},
        }
        for item in request.payload.get("setVariableData") or []
    ]
    await request.reply({"setVariableResult": results})


async def restore_password(
    station: Station201, csms_operator: CsmsOperator, configured: str | None, current_value: str
) -> None:
    """Put the configured BasicAuthPassword back (post-condition, pytest-ocpp's): the station
    connects with ``current_value`` (what the CSMS now expects), the CSMS is asked to set the
    configured password again, the station Accepts and reconnects with it. A CSMS that cannot
    be asked for a given password leaves a warning: its user must set the station's password
    back to --ocpp-basic-auth-password by hand."""
    if configured is None or current_value == configured:
        return
    try:
        step("(pytest-ocpp) Restore the configured BasicAuthPassword")
        station.password = current_value
        try:
            await station.reconnect()
        except ConnectFailed:
            # The CSMS never switched (a failed case): the configured one still works.
            station.password = configured
            await station.reconnect()
            return
        request, value = await password_request(
            station,
            csms_operator,
            configured,
            "(pytest-ocpp) The CSMS sends SetVariablesRequest BasicAuthPassword = the configured "
            "one",
        )
        await reply_set_variables(request, "Accepted")
        station.password = value
        await station.reconnect()
        if value != configured:
            raise RigError("the CSMS set another password than the configured one")
    except Exception as exc:  # a post-condition: say what the user must do, keep the verdict
        warn(
            "the configured BasicAuthPassword could not be restored "
            f"({type(exc).__name__}: {exc}); set the password the CSMS expects from station "
            f"{station.station_id} back to --ocpp-basic-auth-password by hand"
        )


# -- A00 TLS ------------------------------------------------------------------------------------
@functools.cache
def _legacy_tls_self_test() -> str:
    """'' when this machine's OpenSSL can offer TLS 1.0/1.1 (at security level 0, measured
    with a handshake on loopback), else the reason it cannot."""

    async def run() -> str:
        root = pki.authority("pytest-ocpp legacy TLS self-test")
        leaf, key = pki.tls_leaf(root, "localhost", server=True, hosts=("127.0.0.1",))
        folder = Path(tempfile.mkdtemp(prefix="pytest-ocpp-tls-"))
        (folder / "c.pem").write_text(pki.pem(leaf), "ascii")
        (folder / "k.pem").write_text(pki.key_pem(key), "ascii")
        (folder / "k.pem").chmod(0o600)
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated: that is the point
            warnings.simplefilter("ignore", DeprecationWarning)
            server.minimum_version = ssl.TLSVersion.TLSv1
        server.set_ciphers("DEFAULT:@SECLEVEL=0")
        server.load_cert_chain(str(folder / "c.pem"), str(folder / "k.pem"))

        async def serve(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.close()

        listener = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server)
        port = listener.sockets[0].getsockname()[1]
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port, ssl=legacy_context(None)), 5
            )
            writer.close()
            return ""
        except (OSError, ssl.SSLError, asyncio.TimeoutError, ValueError) as exc:
            return f"a TLS 1.1 handshake on loopback failed here: {exc}"
        finally:
            listener.close()

    try:
        return asyncio.run(run())
    except (ssl.SSLError, ValueError, OSError) as exc:
        return f"this machine's OpenSSL ({ssl.OPENSSL_VERSION}) cannot offer TLS 1.0/1.1: {exc}"


def legacy_context(tls: TlsSettings | None) -> ssl.SSLContext:
    """A client context offering only TLS 1.0 and 1.1 (OpenSSL security level 0, which
    OpenSSL 3 needs for them), with the client certificate of ``tls`` (profile 3). The
    server's certificate is not judged: the handshake must not get that far."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated: that is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    if tls is not None and tls.cert_file:
        context.load_cert_chain(tls.cert_file, tls.key_file)
    return context


async def legacy_tls_accepted(ocpp_config: OcppConfig, url: str) -> str:
    """A TLS handshake to ``url`` offering only TLS 1.0/1.1: '' when the CSMS terminated it
    (A00.FR.315), else the version it negotiated. Not applicable, with the measured reason,
    where this machine cannot offer those versions."""
    reason = await asyncio.to_thread(_legacy_tls_self_test)
    if reason:
        raise not_applicable(reason)
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    trace = current().trace
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=legacy_context(ocpp_config.tls)),
            ocpp_config.timeouts.connect,
        )
    except (ssl.SSLError, ConnectionResetError, asyncio.IncompleteReadError, EOFError) as exc:
        trace.event(ocpp_config.station_id, f"TLS 1.0/1.1 handshake refused, as it must be: {exc}")
        return ""
    except (OSError, asyncio.TimeoutError) as exc:
        raise RigError(
            f"the TLS 1.0/1.1 handshake with {host}:{port} could not be attempted (nothing "
            f"answered within --ocpp-connect-timeout, or nothing listens): {exc!r}; this is our "
            "connection error, not the CSMS's refusal"
        ) from None
    obj = writer.get_extra_info("ssl_object")
    version = str(obj.version()) if obj is not None else "a TLS version below 1.2"
    writer.close()
    return version


def unknown_ca_client_tls(ocpp_config: OcppConfig) -> TlsSettings:
    """The configured TLS settings with a client certificate for this station (CN = its id)
    issued by a CA made here and now, which no CSMS trusts (TC_A_08_CSMS "<Configured invalid
    client certificate>": an unknown certificate)."""
    root = pki.authority("pytest-ocpp Unknown Station CA (no CSMS trusts it)")
    leaf, key = pki.tls_leaf(root, ocpp_config.station_id, server=False)
    return replace(ocpp_config.tls, **_write_pair(pki.pem(leaf), pki.key_pem(key)))


def _write_pair(certificate: str, key: str) -> dict[str, str]:
    """A certificate and its key as files for the TLS context (the key owner-readable only),
    removed when the case ends."""
    folder = Path(tempfile.mkdtemp(prefix="pytest-ocpp-client-"))
    (folder / "cert.pem").write_text(certificate, "ascii")
    (folder / "key.pem").touch(mode=0o600)
    (folder / "key.pem").write_text(key, "ascii")

    async def remove() -> None:
        shutil.rmtree(folder, ignore_errors=True)

    current().closers.append(remove)
    return {"cert_file": str(folder / "cert.pem"), "key_file": str(folder / "key.pem")}


# -- A02/A03 certificate signing ----------------------------------------------------------------
@dataclass
class Signing:
    """One certificate signing exchange: the CSR we sent, its key, the CSMS's request."""

    csr: str
    key: ec.EllipticCurvePrivateKey
    signed: IncomingCall

    @property
    def chain(self) -> str:
        return str(self.signed.payload.get("certificateChain", ""))

    def client_tls(self, base: TlsSettings) -> TlsSettings:
        """``base`` with the signed certificate chain and our key as the client certificate."""
        return replace(base, **_write_pair(self.chain, pki.key_pem(self.key)))


def csr_subject(station: Station201, certificate_type: str | None) -> dict[str, str]:
    """The CSR's subject: CN = the station id (the serial number, A00 Certificate
    Properties) and O = SecurityCtrlr.OrganizationName (A02.FR.02); a V2G certificate's CN is
    ISO15118Ctrlr.SeccId, O ISO15118Ctrlr.OrganizationName, C ISO15118Ctrlr.CountryName when
    the device model ([device_model]) has them, DC "CPO" (ISO 15118-2)."""
    model = station.device_model
    organization = model.value("SecurityCtrlr.OrganizationName") or ""
    if certificate_type != "V2GCertificate":
        return {"common_name": station.station_id, "organization": organization}
    return {
        "common_name": model.value("ISO15118Ctrlr.SeccId") or station.station_id,
        "organization": model.value("ISO15118Ctrlr.OrganizationName") or organization,
        "country": model.value("ISO15118Ctrlr.CountryName") or "",
        "domain_component": "CPO",
    }


async def sign_certificate(
    station: Station201,
    csms_operator: CsmsOperator,
    *,
    trigger: str,
    certificate_type: str | None,
    answer: str,
    label: str = "",
) -> Signing:
    """Steps 1-6 of Table 711 and of TC_A_12/A_13/A_14_CSMS: the CSMS's TriggerMessageRequest
    for ``trigger`` (Accepted), our SignCertificateRequest (certificateType when the table
    lists one, A02.FR.13), its Accepted response (A02.FR.11), the CertificateSignedRequest
    (awaited for --ocpp-message-timeout), answered ``answer``. The chain is judged by the
    caller, after the answer, so the CSMS is never left waiting."""
    prefix = f"{label} " if label else ""
    step(f"{prefix}1. The CSMS sends a TriggerMessageRequest")
    request = await csms_operator.request(station, "TriggerMessage", {"requestedMessage": trigger})
    step(f"{prefix}2. The OCTT responds with a TriggerMessageResponse with status Accepted")
    await request.reply({"status": "Accepted"})
    check(
        request.payload.get("requestedMessage") == trigger,
        f"{prefix}Step 1: TriggerMessageRequest requestedMessage {trigger}",
        request.payload,
    )
    csr, key = pki.new_csr(**csr_subject(station, certificate_type))
    payload: dict[str, Any] = {"csr": csr}
    if certificate_type:
        payload["certificateType"] = certificate_type
    link = station.link
    assert link is not None
    claim = link.claim("CertificateSigned")
    try:
        step(
            f"{prefix}3. The OCTT sends a SignCertificateRequest ({certificate_type or 'no type'})"
        )
        response = await station.call("SignCertificate", payload)
        check(
            response.get("status") == "Accepted",
            f"{prefix}Step 4: SignCertificateResponse status Accepted (A02.FR.11)",
            response,
        )
        step(f"{prefix}5. The CSMS sends a CertificateSignedRequest")
        wait = station.ctx.config.timeouts.message
        try:
            signed = await link.wait_claimed(claim, "CertificateSignedRequest", wait)
        except TargetTimeout:
            raise TargetTimeout(
                f"{prefix}Step 5: the CSMS did not send a CertificateSignedRequest within "
                f"{wait:g} s after Accepting the SignCertificateRequest (--ocpp-message-timeout)"
            ) from None
    finally:
        link.unclaim(claim)
    step(f"{prefix}6. The OCTT responds with a CertificateSignedResponse with status {answer}")
    await signed.reply({"status": answer})
    return Signing(csr, key, signed)


def chain_problems(signing: Signing, ocpp_config: OcppConfig, anchor_key: str) -> list[str]:
    """What is wrong with the certificateChain for our CSR (:func:`pki.signed_chain_problems`),
    judged up to ``[station] anchor_key`` (``csms_root_certificate`` / ``v2g_root_certificate``)
    when the user configured it; without it the chain is judged up to its last certificate and
    a warning says the root was not checked."""
    anchors = []
    if anchor_key in ocpp_config.station.extra:
        anchors = pki.load_certificates(configured_pem(ocpp_config, anchor_key, ""))
    else:
        warn(
            f"the certificateChain was not checked against a root: configure [station] "
            f"{anchor_key} (OCTT's configured root) to have it checked"
        )
    return pki.signed_chain_problems(signing.chain, signing.csr, anchors)


async def renew_charging_station_certificate(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig, label: str = ""
) -> Signing:
    """Memory State RenewChargingStationCertificate, CSMS under test (Part 6 Table 711):
    TriggerMessage SignChargingStationCertificate, SignCertificateRequest answered Accepted,
    CertificateSignedRequest with certificateType ChargingStationCertificate and the
    certificate generated from our CSR, signed by the configured CSMS root (A02.FR.06,
    A02.FR.14), answered Accepted."""
    signing = await sign_certificate(
        station,
        csms_operator,
        trigger="SignChargingStationCertificate",
        certificate_type="ChargingStationCertificate",
        answer="Accepted",
        label=label,
    )
    prefix = f"{label} " if label else ""
    kind = signing.signed.payload.get("certificateType")
    check(
        kind == "ChargingStationCertificate",
        f"{prefix}Step 5: CertificateSignedRequest certificateType ChargingStationCertificate",
        signing.signed.payload,
    )
    problems = chain_problems(signing, ocpp_config, "csms_root_certificate")
    check(
        not problems,
        f"{prefix}Step 5: a certificateChain generated from the CSR of step 3 (its key and "
        "subject) and signed by the configured CSMS root (2.0.1 Part 2 A02.FR.06)",
        "; ".join(problems),
    )
    return signing


# -- A05 security profile upgrade --------------------------------------------------------------
def upgraded_url(url: str, profile: int) -> str:
    """The target URL over wss:// when the new profile needs TLS (2 or 3)."""
    parts = urlsplit(url)
    if profile >= 2 and parts.scheme == "ws":
        return urlunsplit(("wss", *parts[1:]))
    return url


def network_profile_request(station: Station201, profile: int) -> dict[str, Any]:
    """The SetNetworkProfileRequest the CSMS is asked for, from the keys OCTT's configuration
    has (the same ``[station]`` keys as TC_B_42_CSMS): ``network_configuration_slot`` (1),
    ``network_ocpp_csms_url`` (the target URL, wss:// for profile 2 or 3),
    ``network_ocpp_interface`` (Wired0), ``network_message_timeout`` (MessageTimeout[Default]);
    OCPP20 over JSON with securityProfile ``profile``."""
    extra = station.spec.extra
    timeout = station.device_model.value("OCPPCommCtrlr.MessageTimeout[Default]") or 30
    return {
        "configurationSlot": int(extra.get("network_configuration_slot", 1)),
        "connectionData": {
            "ocppVersion": "OCPP20",
            "ocppTransport": "JSON",
            "ocppCsmsUrl": str(
                extra.get("network_ocpp_csms_url", upgraded_url(station.url, profile))
            ),
            "messageTimeout": int(extra.get("network_message_timeout", timeout)),
            "securityProfile": profile,
            "ocppInterface": str(extra.get("network_ocpp_interface", "Wired0")),
        },
    }


def priority_request(value: str) -> dict[str, Any]:
    """SetVariablesRequest OCPPCommCtrlr.NetworkConfigurationPriority = ``value``."""
    return {
        "setVariableData": [
            {
                "attributeValue": value,
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "NetworkConfigurationPriority"},
            }
        ]
    }


@dataclass
class Connection:
    """How the station connects: URL, password, TLS settings (a security profile)."""

    url: str
    password: str | None
    tls: TlsSettings | None

    def apply(self, station: Station201) -> None:
        station.url, station.password, station.tls = self.url, self.password, self.tls


async def _connect_somehow(station: Station201, *ways: Connection) -> None:
    """Connect the first of ``ways`` that works (raise the last failure)."""
    failure: ConnectFailed | None = None
    for way in ways:
        way.apply(station)
        try:
            await station.connect()
            return
        except ConnectFailed as exc:
            failure = exc
    assert failure is not None
    raise failure


async def restore_profile(
    station: Station201,
    csms_operator: CsmsOperator,
    original: Connection,
    upgraded: Connection,
    priority: str,
) -> None:
    """Put the station back on its configured profile (post-condition, pytest-ocpp's): the
    station connects (upgraded, else as configured), the CSMS is asked to set
    NetworkConfigurationPriority back to ``priority`` and to reset the station, which then
    connects as ``original`` and boots. A CSMS may refuse that for good (A05.FR.07): the
    warning then tells its user to allow the configured profile for this station again by
    hand."""
    try:
        step("(pytest-ocpp) Restore the configured security profile")
        if not station.connected:
            await _connect_somehow(station, upgraded, original)
        request = await csms_operator.request(station, "SetVariables", priority_request(priority))
        await reply_set_variables(request, "Accepted")
        reset = await csms_operator.request(station, "Reset", {"type": "OnIdle"})
        await reset.reply({"status": "Accepted"})
        await station.disconnect()
        original.apply(station)
        await station.connect()
        await station.booted()
    except Exception as exc:  # a post-condition: say what the user must do, keep the verdict
        original.apply(station)
        warn(
            "the configured security profile could not be restored "
            f"({type(exc).__name__}: {exc}); let station {station.station_id} connect with its "
            "configured profile again in the CSMS by hand"
        )
