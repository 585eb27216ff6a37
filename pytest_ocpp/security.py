"""Transport security: the three security profiles of the OCPP 1.6 Security Whitepaper
(edition 3, §2), in both roles.

- profile 1, unsecured transport with HTTP Basic authentication (§2.3): ``ws://``, user = the
  station id, password = the AuthorizationKey (A00.FR.202-205);
- profile 2, TLS with Basic authentication (§2.4): ``wss://``, the Central System shows a
  server certificate the Charge Point verifies (A00.FR.305-308), plus Basic auth;
- profile 3, TLS with client side certificates (§2.5): ``wss://`` and the Charge Point shows a
  client certificate the Central System verifies (A00.FR.401-407).

Only TLS 1.2 or above (A00.FR.312/416), with the cipher suites of A00.FR.317/318 and nothing
weaker (A00.FR.319). This module builds the TLS contexts of both roles, explains a failed
handshake in one sentence, reads what a connection negotiated, judges certificates against
§2.6.1, and keeps the Basic-auth password out of every log, trace and report (the whitepaper
asks the same of a Central System, A01.FR.09, and of a Charge Point, A01.FR.12).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import ipaddress
import logging
import os
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import NameOID

from pytest_ocpp import masking
from pytest_ocpp.config import OcppConfig, TlsSettings
from pytest_ocpp.verdicts import not_applicable

PROFILES = {
    1: "unsecured transport with Basic authentication",
    2: "TLS with Basic authentication",
    3: "TLS with client side certificates",
}
"""Security profile number → name (1.6 Security Whitepaper §2.1, Table 3)."""

REQUIRED_SUITES = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
}
"""The four cipher suites a Central System SHALL support (A00.FR.317), IANA name → OpenSSL
name. A Charge Point SHALL support the ECDHE_ECDSA pair or the RSA pair (A00.FR.318)."""

STATION_SUITE_PAIRS = (
    ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    ("TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_GCM_SHA384"),
)

CIPHERS = ":".join(
    [
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "AES128-GCM-SHA256",
        "AES256-GCM-SHA384",
    ]
)
"""TLS 1.2 suites both our roles offer: those of A00.FR.317/318 plus their ECDHE_RSA twins
(forward secrecy with an RSA certificate); all AEAD, none marked unsuitable (A00.FR.319).
TLS 1.3 suites are OpenSSL's defaults, all AEAD."""


# -- contexts ----------------------------------------------------------------------------------
def client_context(tls: TlsSettings) -> ssl.SSLContext:
    """The Charge Point's TLS context (our fake station): verify the Central System's
    certification path (A00.FR.307/411) against ``tls.ca_file`` (else the system's CAs) and
    its name against the URL's host (A00.FR.308/412), TLS 1.2 or above (A00.FR.312), and with
    a client certificate for profile 3 (A00.FR.401/402). ``tls.insecure`` turns verification
    off, which every report then says."""
    context = ssl.create_default_context(cafile=tls.ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(CIPHERS)
    if tls.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if tls.cert_file:
        context.load_cert_chain(tls.cert_file, tls.key_file)
    return context


def server_context(
    certificates: Sequence[tuple[str, str | None]], client_ca: str | None = None
) -> ssl.SSLContext:
    """The Central System's TLS context (our fake CSMS): every (certificate, key) pair given
    (an EC and an RSA one serve all four suites of A00.FR.317), TLS 1.2 or above, no
    compression (A00.FR.320, OpenSSL's default). With ``client_ca`` (profile 3) a client
    certificate is asked for and verified against it (A00.FR.403); a station that sends none
    is refused after the handshake with a sentence (see
    :func:`pytest_ocpp.csms.base.FakeCsms`), not a bare TLS alert."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(CIPHERS)
    context.options |= ssl.OP_NO_COMPRESSION
    for cert, key in certificates:
        context.load_cert_chain(cert, key)
    if client_ca:
        context.verify_mode = ssl.CERT_OPTIONAL
        context.load_verify_locations(client_ca)
    return context


# -- files generated for a run -----------------------------------------------------------------
def default_ca_out() -> Path:
    """Where the CA generated for a run is written without --ocpp-tls-ca-out."""
    return Path(tempfile.gettempdir()) / f"pytest-ocpp-{os.getuid()}" / "tls" / "ca.pem"


@functools.cache
def generated_files(ca_out: str, hosts: tuple[str, ...], station_id: str) -> Any:
    """The transport PKI of this run (:func:`pytest_ocpp.pki.write_tls_pki`) in the folder of
    ``ca_out``, whose ``ca.pem`` is copied to ``ca_out``. The files of an earlier run are
    reused while they still fit (same hosts and station id, not expiring within a day, the
    station certificate under a sub-CA), so a station that was given the CA once keeps
    trusting the next runs."""
    from pytest_ocpp import pki

    target = Path(ca_out)
    folder = target.parent / "pytest-ocpp-run-pki"
    files = _reusable(folder, hosts, station_id) or pki.write_tls_pki(folder, hosts, station_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    if Path(files.ca_file) != target:
        target.write_text(Path(files.ca_file).read_text("ascii"), "ascii")
    return files


def _reusable(folder: Path, hosts: tuple[str, ...], station_id: str) -> Any:
    from pytest_ocpp import pki

    names = {
        "ca_file": "ca.pem",
        "server_cert_file": "csms-cert.pem",
        "server_key_file": "csms-key.pem",
        "server_rsa_cert_file": "csms-rsa-cert.pem",
        "server_rsa_key_file": "csms-rsa-key.pem",
        "client_cert_file": "station-cert.pem",
        "client_key_file": "station-key.pem",
    }
    paths = {field: folder / name for field, name in names.items()}
    if not all(path.exists() for path in paths.values()):
        return None
    try:
        server = x509.load_pem_x509_certificate(paths["server_cert_file"].read_bytes())
        client, *issuers = x509.load_pem_x509_certificates(paths["client_cert_file"].read_bytes())
        san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return None
    if not issuers:
        return None  # an earlier release's files: no charging station operator sub-CA
    named = {str(n) for n in san.get_values_for_type(x509.DNSName)}
    named |= {str(n) for n in san.get_values_for_type(x509.IPAddress)}
    soon = datetime.now(timezone.utc) + timedelta(days=1)
    if (
        set(hosts) - named
        or common_name(client) != station_id
        or server.not_valid_after_utc < soon
        or client.not_valid_after_utc < soon
    ):
        return None
    return pki.TlsFiles(**{field: str(path) for field, path in paths.items()})


@functools.cache
def untrusted_server_context(hosts: tuple[str, ...]) -> ssl.SSLContext:
    """A server context whose certificate names ``hosts`` correctly but chains to a root made
    here and now, which no station trusts: what a station must refuse (A00.FR.309/310)."""
    from pytest_ocpp import pki

    folder = Path(tempfile.mkdtemp(prefix="pytest-ocpp-untrusted-"))
    root = pki.authority("pytest-ocpp Untrusted Test Root (no station trusts it)")
    leaf, key = pki.tls_leaf(root, hosts[0], server=True, hosts=hosts)
    (folder / "cert.pem").write_text(pki.pem(leaf), "ascii")
    (folder / "key.pem").write_text(pki.key_pem(key), "ascii")
    (folder / "key.pem").chmod(0o600)
    return server_context([(str(folder / "cert.pem"), str(folder / "key.pem"))])


def server_hosts(host: str, public_host: str | None = None) -> tuple[str, ...]:
    """The names a generated Central System certificate is issued for: the public host
    (the FQDN the station connects to, A00.FR.510) first, then the listen address and the
    loopback names."""
    names = [n for n in (public_host, host) if n and n not in ("0.0.0.0", "::")]
    for name in ("localhost", "127.0.0.1"):
        if name not in names:
            names.append(name)
    return tuple(names)


# -- what a connection negotiated --------------------------------------------------------------
@dataclass(frozen=True)
class TlsInfo:
    """What one TLS connection negotiated, read from its ``ssl_object``."""

    version: str
    cipher: str
    offered: tuple[str, ...] = ()
    """The peer's cipher suites that we offer too (server side: the Client Hello's list
    intersected with ours), OpenSSL names."""
    peer_certificate: bytes | None = None
    """The peer's certificate, DER, when it sent one."""

    @property
    def version_ok(self) -> bool:
        return self.version in ("TLSv1.2", "TLSv1.3")


def tls_info(connection: Any) -> TlsInfo | None:
    """The TLS facts of a websockets connection, None over plain ``ws://``."""
    transport = getattr(connection, "transport", None)
    obj = transport.get_extra_info("ssl_object") if transport is not None else None
    if obj is None:
        return None
    cipher = obj.cipher()
    shared = obj.shared_ciphers() if hasattr(obj, "shared_ciphers") else None
    return TlsInfo(
        version=str(obj.version()),
        cipher=cipher[0] if cipher else "",
        offered=tuple(c[0] for c in shared or ()),
        peer_certificate=obj.getpeercert(binary_form=True),
    )


def station_suites_problem(info: TlsInfo) -> str:
    """'' when the station's Client Hello offered the ECDHE_ECDSA pair or the RSA pair of
    A00.FR.318 (OCTT TC_086_CS step 2), else what it offered."""
    offered = set(info.offered)
    for pair in STATION_SUITE_PAIRS:
        if all(REQUIRED_SUITES[s] in offered for s in pair):
            return ""
    tls12 = sorted(s for s in offered if not s.startswith("TLS_")) or ["none"]
    return (
        "the station's Client Hello offers neither TLS_ECDHE_ECDSA_WITH_AES_128/256_GCM "
        "nor TLS_RSA_WITH_AES_128/256_GCM (1.6 Security Whitepaper A00.FR.318); of the "
        f"TLS 1.2 suites we accept it offered: {', '.join(tls12)}"
    )


async def probe_suites(
    host: str, port: int, timeout: float, tls: TlsSettings | None = None
) -> dict[str, bool]:
    """Which of the four suites of A00.FR.317 the server at ``host:port`` accepts: one
    TLS 1.2 handshake per suite, offering only that one (OCTT TC_086_CSMS step 2), with the
    client certificate of ``tls`` if any (a profile 3 server ends a TLS 1.2 handshake without
    one). The server's certificate is not judged here (the real connection does that)."""
    found: dict[str, bool] = {}
    for iana, name in REQUIRED_SUITES.items():
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers(name)
        if tls is not None and tls.cert_file:
            context.load_cert_chain(tls.cert_file, tls.key_file)
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, ssl=context), timeout
            )
        except (OSError, asyncio.TimeoutError):
            found[iana] = False
            continue
        found[iana] = True
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), timeout)
        except (OSError, asyncio.TimeoutError):
            pass
    return found


# -- certificates (1.6 Security Whitepaper §2.6.1) ---------------------------------------------
def common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def certificate_problems(der: bytes, *, server_host: str | None = None) -> list[str]:
    """What a TLS certificate breaks of §2.6.1: key size (A00.FR.502/503), serial number
    (A00.FR.508), and the commonName: the server's FQDN for a Central System certificate
    (``server_host`` given, A00.FR.510), the station's serial number for a Charge Point
    certificate, which must not look like a URL or an IP address (A00.FR.511)."""
    certificate = x509.load_der_x509_certificate(der)
    problems: list[str] = []
    key = certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.key_size < 224:
            problems.append(
                f"its EC key has {key.curve.key_size} bits, fewer than 224 (A00.FR.503)"
            )
    elif isinstance(key, (rsa.RSAPublicKey, dsa.DSAPublicKey)):
        if key.key_size < 2048:
            problems.append(f"its key has {key.key_size} bits, fewer than 2048 (A00.FR.502)")
    if not certificate.serial_number:
        problems.append("it has no serial number (A00.FR.508)")
    name = common_name(certificate)
    if server_host is not None:
        if not name:
            problems.append("its subject has no commonName (A00.FR.510: the server's FQDN)")
        elif not _names_host(name, server_host):
            problems.append(
                f"its commonName {name!r} is not the server's name {server_host!r} (A00.FR.510)"
            )
    else:
        if not name:
            problems.append(
                "its subject has no commonName (A00.FR.511: the station's serial number)"
            )
        elif "://" in name or _is_ip(name):
            problems.append(
                f"its commonName {name!r} is a URL or an IP address, not the station's serial "
                "number (A00.FR.511)"
            )
    return problems


def _names_host(name: str, host: str) -> bool:
    """A commonName naming ``host``, itself or by a one-label wildcard (``*.example.com``)."""
    name, host = name.lower().rstrip("."), host.lower().rstrip(".")
    if name.startswith("*."):
        label, _, rest = host.partition(".")
        return bool(label) and rest == name[2:]
    return name == host


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# -- one sentence per failed handshake ---------------------------------------------------------
_VERIFY_CAUSES = {
    10: "the CSMS's certificate has expired (or its validity has not begun); the whitepaper "
    "asks the station to verify the certification path (A00.FR.307/411, RFC 5280 §6)",
    9: "the CSMS's certificate is not valid yet (A00.FR.307/411)",
    18: "the CSMS presents a self-signed certificate that --ocpp-tls-ca-file does not trust "
    "(A00.FR.307/411)",
    19: "the CSMS's certificate chain ends in a root that --ocpp-tls-ca-file does not trust "
    "(A00.FR.307/411)",
    20: "the CSMS's certificate is not signed by a CA in --ocpp-tls-ca-file (wrong CA file, "
    "or the CSMS does not send its intermediate certificates; A00.FR.307/411)",
    21: "the CSMS's certificate is not signed by a CA in --ocpp-tls-ca-file (A00.FR.307/411)",
    62: "the CSMS's certificate is not issued for this host name",
    64: "the CSMS's certificate is not issued for this IP address",
}


def explain_tls_error(exc: BaseException, url: str) -> str:
    """One sentence for a TLS handshake that failed while connecting to ``url``."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = exc.verify_code
        cause = _VERIFY_CAUSES.get(
            code, f"the CSMS's certificate was refused ({exc.verify_message})"
        )
        if code in (62, 64):
            host = url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
            cause += (
                f" {host!r}: its commonName/subjectAltName must name the host in --ocpp-target "
                "(A00.FR.308/412)"
            )
        return f"TLS handshake with {url} failed: {cause} ({exc.verify_message})"
    reason = getattr(exc, "reason", None) or ""
    if reason == "WRONG_VERSION_NUMBER":
        return (
            f"TLS handshake with {url} failed: the server does not speak TLS on that port "
            "(use ws:// for security profile 1, or the port of its wss:// endpoint)"
        )
    if reason in ("TLSV1_ALERT_PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL"):
        return (
            f"TLS handshake with {url} failed: the CSMS offers no TLS version of 1.2 or above "
            "(1.6 Security Whitepaper A00.FR.312)"
        )
    if reason in ("SSLV3_ALERT_HANDSHAKE_FAILURE", "NO_SHARED_CIPHER"):
        return (
            f"TLS handshake with {url} failed: no cipher suite in common; the whitepaper "
            "requires the AES-GCM suites of A00.FR.317/318"
        )
    if reason in ("TLSV13_ALERT_CERTIFICATE_REQUIRED",):
        return missing_client_certificate(url)
    if reason in ("TLSV1_ALERT_UNKNOWN_CA", "SSLV3_ALERT_BAD_CERTIFICATE"):
        return (
            f"TLS handshake with {url} failed: the CSMS refused our client certificate "
            f"({reason.lower()}): is it signed by a CA the CSMS trusts (A00.FR.403)?"
        )
    return f"TLS handshake with {url} failed: {getattr(exc, 'strerror', None) or exc}"


def missing_client_certificate(url: str) -> str:
    return (
        f"the CSMS at {url} closed the TLS connection before answering the upgrade: it "
        "requires a client certificate (security profile 3, A00.FR.401/402) and none was "
        "configured; set --ocpp-tls-cert-file and --ocpp-tls-key-file"
    )


async def speaks_tls(host: str, port: int, timeout: float) -> bool:
    """Whether a TLS handshake succeeds at ``host:port`` (certificate not judged): tells a
    plain ``ws://`` connection to a ``wss://`` endpoint from a server that just hung up."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context), timeout
        )
    except (OSError, asyncio.TimeoutError):
        return False
    writer.close()
    return True


# -- secrets -----------------------------------------------------------------------------------
# One registry of secrets (pytest_ocpp.masking) serves the loggers here, the trace and the
# reports.
MASK = masking.MASK
mask = masking.mask


def basic_auth_header(user: str, password: str) -> str:
    """``Basic base64(<ChargePointId>:<AuthorizationKey>)`` (A00.FR.202-205, RFC 2617)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class _MaskFilter(logging.Filter):
    """Masks the Authorization header websockets logs at DEBUG level (``> Authorization:
    Basic ...``) and every registered secret, so ``--log-level=DEBUG`` or a captured log never
    shows a password."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is not ours to judge
            return True
        masked = masking.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


_FILTER = _MaskFilter()
_MASKED_LOGGERS = (
    "websockets.client",
    "websockets.server",
    "websockets",
    "pytest_ocpp",
    # the embedded references log their handshakes through their own loggers (a filter on a
    # parent logger does not see a child's records)
    "pytest_ocpp.reference.csms",
    "pytest_ocpp.reference.station",
    "pytest_ocpp.reference.station201",
)


def protect_secrets(*secrets: str | None) -> None:
    """Mask ``secrets`` from now on in traces, reports and what the websocket loggers emit."""
    masking.register(*secrets)
    for name in _MASKED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


# -- what the run tells its user -----------------------------------------------------------------
def header_lines(config: Any, *, essential: bool = False) -> list[str]:
    """The terminal header's lines about transport security (an :class:`OcppConfig`): the
    profile, where the generated CA is for the station to trust, and that verification is off
    when --ocpp-tls-insecure says so. ``essential``: only what the user must act on (shown
    even with ``-q``, which hides the header)."""
    lines: list[str] = []
    profile = config.security_profile
    tls: TlsSettings = config.tls
    if profile is not None and not essential:
        lines.append(f"pytest-ocpp: security profile {profile} ({PROFILES[profile]})")
    if tls.generated and tls.ca_out:
        lines.append(
            "pytest-ocpp: the fake CSMS serves wss:// with a certificate generated for this "
            f"run; load its CA into the station under test: {tls.ca_out}"
        )
        if profile == 3 and tls.client_certificate_out:
            cert, key = tls.client_certificate_out
            lines.append(
                f"pytest-ocpp: a client certificate signed by that CA, for the station: {cert} "
                f"(key {key})"
            )
    if tls.insecure:
        lines.append(f"pytest-ocpp: WARNING: {INSECURE_NOTICE}")
    return lines


INSECURE_NOTICE = (
    "TLS certificate verification is OFF (--ocpp-tls-insecure); this run does not show the "
    "CSMS's certificate is valid"
)
"""The run-level sentence of every report (terminal header, Markdown, JSON, JUnit) when the
CSMS's certificate is not verified: a passing run must not read as proof of a valid TLS
set-up."""


def run_facts(config: OcppConfig) -> dict[str, Any]:
    """The run's transport security as every report states it: the security profile (None:
    not set) and whether the CSMS's certificate is verified, which is true unless
    --ocpp-tls-insecure turned it off."""
    return {
        "security_profile": config.security_profile,
        "tls_verification": not config.tls.insecure,
    }


def require_verification(config: OcppConfig, what: str) -> None:
    """A case whose verdict is about the CSMS's certificate (1.6 TC_086_CSMS, 2.0.1
    TC_A_04_CSMS: "valid certificate") cannot judge it when --ocpp-tls-insecure skips its
    verification (A00.FR.307/308): such a pass would claim what nobody checked, so the case
    is not applicable, saying why."""
    if config.tls.insecure:
        raise not_applicable(
            f"{what} cannot be judged with TLS certificate verification off "
            "(--ocpp-tls-insecure): run without it, with --ocpp-tls-ca-file naming the CSMS's "
            "root"
        )


def require_profile(config: OcppConfig, profiles: tuple[int, ...], what: str) -> int:
    """The run's security profile when it is one of ``profiles``, else the case is not
    applicable, saying which profile it needs (the cases of both roles ask the same)."""
    profile = config.security_profile
    if profile not in profiles:
        wanted = " or ".join(map(str, profiles))
        raise not_applicable(
            f"the run is not configured for security profile {wanted} ({what}): "
            f"--ocpp-security-profile is {profile or 'not set'}"
        )
    return profile


# -- connections the CSMS must refuse (both versions' CSMS-side cases) ---------------------------
_OUR_CONNECT_ERRORS = (
    "cannot reach",
    "no websocket handshake with",
    "cannot read the TLS file",
    "cannot load the TLS files",
    "is not a valid websocket URL",
)
"""How :func:`pytest_ocpp.transport.connect` starts the sentences of failures on our side of the
wire (nothing listening, no answer at all, our own files): none of them is a refusal."""


async def refused_upgrade(
    ocpp_config: OcppConfig,
    url: str,
    subprotocol: str,
    *,
    password: str | None,
    tls: TlsSettings | None = None,
    username: str | None = None,
) -> str:
    """Try one connection the Central System / CSMS must refuse (a wrong password or user, no
    or an untrusted client certificate, a station that may no longer use this profile); ''
    when it was refused (the sentence :func:`pytest_ocpp.transport.connect` raised is traced),
    else the upgrade it allowed. A refusal is an HTTP status other than 101, a TLS alert or a
    closed connection; a failure on our side (nothing listening, no answer within the
    connect timeout, unreadable TLS files) is a :class:`~pytest_ocpp.verdicts.RigError`,
    saying so, because it proves nothing about the target."""
    from pytest_ocpp.case import current
    from pytest_ocpp.transport import connect
    from pytest_ocpp.verdicts import ConnectFailed, RigError

    trace = current().trace
    try:
        ws = await connect(
            url,
            ocpp_config.station_id,
            [subprotocol],
            timeouts=ocpp_config.timeouts,
            tls=ocpp_config.tls if tls is None else tls,
            password=password,
            trace=trace,
            username=username,
        )
    except ConnectFailed as exc:
        text = str(exc)
        if any(marker in text for marker in _OUR_CONNECT_ERRORS):
            raise RigError(
                f"the connection the CSMS must refuse could not even be attempted, so this is our "
                f"own connection error, not the CSMS's refusal: {text}"
            ) from None
        trace.event(ocpp_config.station_id, f"refused, as it must be: {text}")
        return ""
    chosen = ws.subprotocol
    await ws.close()
    return f"HTTP 101, websocket upgraded (subprotocol {chosen})"


@dataclass(frozen=True)
class TlsRules:
    """Where a version's specification states the server-side TLS rules, for the messages."""

    version: str
    """e.g. ``1.6 Security Whitepaper`` or ``2.0.1 Part 2``."""
    tls_version: str
    suites: str
    certificate: str


TLS_RULES_16 = TlsRules(
    "1.6 Security Whitepaper", "A00.FR.312/416", "A00.FR.317", "§2.6.1 (A00.FR.502-510)"
)
TLS_RULES_201 = TlsRules("2.0.1 Part 2", "A00.FR.313/314", "A00.FR.318", "A00.FR.502-510")


async def judge_csms_tls(
    connection: Any, ocpp_config: OcppConfig, url: str, rules: TlsRules, *, certificate: bool = True
) -> TlsInfo:
    """The server-side TLS validations both versions' tables list (1.6 TC_086_CSMS step 2,
    2.0.1 TC_A_04/A_07_CSMS step 3): the connection uses TLS 1.2 or above, a TLS 1.2
    handshake succeeds with each of the four required suites, and the server certificate has
    the properties of the certificate rules (key size, serial number, commonName = the
    server's FQDN) unless ``certificate`` is false (TC_A_07_CSMS lists no certificate check)."""
    from urllib.parse import urlsplit

    from pytest_ocpp.verdicts import check

    info = tls_info(connection)
    check(info is not None, "a TLS connection (wss://)", "a plain ws:// connection")
    assert info is not None
    check(info.version_ok, f"TLS 1.2 or above ({rules.version} {rules.tls_version})", info.version)
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    suites = await probe_suites(host, port, ocpp_config.timeouts.connect, ocpp_config.tls)
    missing = [name for name, ok in suites.items() if not ok]
    check(
        not missing,
        "TLS 1.2 handshakes with each of TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_RSA_WITH_AES_128_GCM_SHA256 and "
        f"TLS_RSA_WITH_AES_256_GCM_SHA384 ({rules.version} {rules.suites})",
        f"no handshake with {', '.join(missing)}",
    )
    if not certificate:
        return info
    problems = certificate_problems(info.peer_certificate or b"", server_host=host)
    check(
        not problems,
        f"a server certificate as {rules.version} {rules.certificate} requires",
        "; ".join(problems),
    )
    return info


def server_files_problem(config: OcppConfig) -> str | None:
    """Why the fake CSMS cannot serve TLS with the files the user gave (unreadable, not a
    certificate, a key that does not match), in one sentence; None when it can or does not
    serve TLS. Checked once before any case runs, so a typo in a path is one usage error
    instead of the same failure in every case."""
    tls = config.tls
    if not config.listen or config.security_profile not in (2, 3) or tls.generated:
        return None
    if tls.server_cert_file is None:
        return None
    pairs = [(tls.server_cert_file, tls.server_key_file), *tls.extra_server_certificates]
    client_ca = (tls.ca_file or tls.ca_out) if config.security_profile == 3 else None
    try:
        server_context(pairs, client_ca)
    except (OSError, ssl.SSLError) as exc:
        return (
            "the fake CSMS cannot load its TLS files (--ocpp-tls-server-cert-file, "
            f"--ocpp-tls-server-key-file, --ocpp-tls-ca-file): {exc}"
        )
    return None
