"""What the fake 1.6 Charge Point does for the Security Whitepaper (edition 3) cases where the
Central System is under test: its CSR (A02.FR.02/03/13), switching to the certificate the
Central System had signed (A02.FR.08), its security events (A04), the configured test data
those cases compare the Central System's requests with, and three small scenario helpers
(a request the Central System sends on its own, a post-condition restored also after a failure,
the subprotocol the upgrade response selected).

The test data are OCTT's "<Configured ...>" values, ``[station]`` keys of ``--ocpp-config``
(PEM text or a PEM file path, relative to the config file, for certificates); the defaults are
certificates of the run's generated test PKI (:func:`pytest_ocpp.pki.generated_pki`), so a
bare run against the reference works, while a real Central System is configured with the
user's own.
"""

from __future__ import annotations

import base64
import functools
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from pytest_ocpp import pki
from pytest_ocpp.case import current
from pytest_ocpp.certificates import Certificate, configured_pem
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.station.v16 import Station16
from pytest_ocpp.verdicts import RigError, TargetTimeout

DEFAULT_CPO_NAME = "pytest-ocpp"
"""``[station] cpo_name`` when not configured: the CpoName configuration key our station puts
in the O of its CSR (A02.FR.13)."""

DEFAULT_LOG_LOCATION = "ftp://logs.pytest-ocpp.invalid/"
"""``[station] log_location`` (then ``diagnostics_location``) when not configured: a URL of
the reserved ``.invalid`` domain (RFC 2606); our station never uploads."""

DEFAULT_FIRMWARE_LOCATION = "ftp://firmware.pytest-ocpp.invalid/pytest-ocpp-firmware.bin"
"""``[station] firmware_location`` when not configured (the key TC_044_x_CSMS uses too)."""

DEFAULT_SIGNATURE = base64.b64encode(b"pytest-ocpp test firmware signature").decode("ascii")
"""``[station] firmware_signature``: OCTT's <Configured signature> (base64)."""

DEFAULT_INVALID_SIGNATURE = base64.b64encode(b"pytest-ocpp invalid firmware signature").decode(
    "ascii"
)
"""``[station] invalid_firmware_signature``: TC_081's <An invalid signature.> (base64)."""

HASH_ALGORITHMS = ("SHA256", "SHA384", "SHA512")
"""1.6 Security Whitepaper §6 HashAlgorithmEnumType."""


def setting(ocpp_config: OcppConfig, key: str, default: str) -> str:
    """``[station] key`` of the config file, else ``default``."""
    return str(ocpp_config.station.extra.get(key) or default)


def serial_number(station: Station16) -> str:
    """The Charge Point's serial number, the CN of its certificate (A00.FR.511):
    ``[station] serial_number``, else its identity."""
    return str(station.spec.extra.get("serial_number") or station.station_id)


def hash_algorithm(ocpp_config: OcppConfig) -> str:
    """OCTT's <Configured HashAlgorithm>: ``[station] hash_algorithm`` (SHA256 unless set)."""
    value = setting(ocpp_config, "hash_algorithm", "SHA256").upper()
    if value not in HASH_ALGORITHMS:
        raise RigError(
            f"[station] hash_algorithm is {value!r}; the 1.6 Security Whitepaper allows "
            f"{', '.join(HASH_ALGORITHMS)}"
        )
    return value


@functools.cache
def _firmware_signing_certificate() -> str:
    """A firmware signing certificate issued by the generated manufacturer root (A00.FR.5xx,
    L01.FR.11): the default <Configured signingCertificate>."""
    certificate, _ = pki.tls_leaf(
        pki.generated_pki().manufacturer_root, "pytest-ocpp Test Firmware Signing", server=False
    )
    return pki.pem(certificate)


def root_certificate(ocpp_config: OcppConfig, certificate_type: str) -> str:
    """OCTT's <Configured root certificate> of ``certificate_type``: ``[station]
    manufacturer_root_certificate`` or ``csms_root_certificate`` (PEM or file),
    else a root of the generated test PKI."""
    generated = pki.generated_pki()
    if certificate_type == "ManufacturerRootCertificate":
        return configured_pem(
            ocpp_config, "manufacturer_root_certificate", generated.manufacturer_root.pem
        )
    return configured_pem(ocpp_config, "csms_root_certificate", generated.csms_root_2.pem)


def signing_certificate(ocpp_config: OcppConfig) -> str:
    """OCTT's <Configured signingCertificate>: ``[station] firmware_signing_certificate``."""
    return configured_pem(
        ocpp_config, "firmware_signing_certificate", _firmware_signing_certificate()
    )


def cpo_roots(ocpp_config: OcppConfig) -> list[x509.Certificate]:
    """The CPO root(s) a signed Charge Point certificate must chain to (A02.FR.06):
    ``[station] cpo_root_certificate`` (PEM or file); none when not configured."""
    if not ocpp_config.station.extra.get("cpo_root_certificate"):
        return []
    return pki.load_certificates(configured_pem(ocpp_config, "cpo_root_certificate", ""))


def hash_data(pem: str, algorithm: str) -> dict[str, str]:
    """CertificateHashDataType of a root certificate (its own issuer): our calculation, which
    OCTT compares the Central System's with (Whitepaper §6, 2.0.1 Part 2 §2.6)."""
    certificate = Certificate.parse(pem)
    return certificate.hash_data(certificate, algorithm)


def same_certificate(received: Any, configured: str) -> bool:
    """Whether a request's PEM is the configured certificate (whitespace and line breaks of
    the PEM text aside)."""
    try:
        return Certificate.parse(str(received)).pem == Certificate.parse(configured).pem
    except (ValueError, IndexError):
        return False


def new_csr(station: Station16, ocpp_config: OcppConfig) -> tuple[str, ec.EllipticCurvePrivateKey]:
    """A new key pair and its CSR (A02.FR.02/03): CN the serial number (A00.FR.511), O the
    CpoName (``[station] cpo_name``, A02.FR.13). The key never leaves the station
    (A02.FR.05)."""
    return pki.new_csr(serial_number(station), setting(ocpp_config, "cpo_name", DEFAULT_CPO_NAME))


def use_certificate(station: Station16, chain_pem: str, key: Any) -> None:
    """Make the station's next connections show ``chain_pem`` with ``key`` as its TLS client
    certificate (A02.FR.08: "switch to the new certificate"). The key is written to a
    private temporary file that is removed when the case ends."""
    folder = Path(tempfile.mkdtemp(prefix="pytest-ocpp-cp-cert-"))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_text(chain_pem, "ascii")
    key_file.touch(mode=0o600)
    key_file.write_text(pki.key_pem(key), "ascii")
    station.tls = replace(station.ctx.config.tls, cert_file=str(cert_file), key_file=str(key_file))

    async def forget() -> None:
        station.tls = None
        shutil.rmtree(folder, ignore_errors=True)

    station.ctx.closers.append(forget)


async def security_event(station: Station16, kind: str) -> dict[str, Any]:
    """SecurityEventNotification.req with the table's type and the required timestamp (no
    techInfo: the tables list none); the Central System must answer (A04.FR.03)."""
    return await station.call(
        "SecurityEventNotification", {"type": kind, "timestamp": station.now()}
    )


async def expect_request(station: Station16, action: str, why: str) -> IncomingCall:
    """A request the Central System sends on its own; the wait is the message timeout,
    named when it runs out."""
    wait = station.ctx.config.timeouts.message
    try:
        return await station.expect_call(action, timeout=wait)
    except TargetTimeout:
        raise TargetTimeout(
            f"the Central System did not send {action}.req within {wait:g} s {why} "
            "(--ocpp-message-timeout)"
        ) from None


async def restoring(
    body: Callable[[], Awaitable[None]], restore: Callable[[], Awaitable[None]], what: str
) -> None:
    """Run ``body`` then ``restore``, also when ``body`` failed; a failed restore after a
    failed body is reported below the verdict, not instead of it."""
    failed = False
    try:
        await body()
    except BaseException:
        failed = True
        raise
    finally:
        try:
            await restore()
        except Exception as exc:
            if not failed:
                raise
            current().secondary.append(f"{what} failed: {exc}")


def selected_subprotocols(station: Station16) -> list[str]:
    """Every Sec-WebSocket-Protocol header of the upgrade response, verbatim."""
    link = station.link
    response = None if link is None else link.ws.response
    return [] if response is None else response.headers.get_all("Sec-WebSocket-Protocol")
