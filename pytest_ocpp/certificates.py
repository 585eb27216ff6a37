"""Reading X.509 certificates for the ISO 15118 and certificate-management cases: the few
fields 2.0.1's CertificateHashDataType and OCSPRequestDataType need (RFC 6960 §4.1.1 CertID:
issuer name and key hashes, serial number; the OCSP responder of RFC 5280 §4.2.2.1).

Parsed with ``cryptography``, and the CertID hashes computed by its OCSP request builder, so
they are RFC 6960's by construction rather than by our reading of the DER. Used by the
authorization (C07/C08), certificate management (M) and security (A) cases alike, so every case
hashes the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID

from pytest_ocpp.verdicts import RigError

if TYPE_CHECKING:
    from pytest_ocpp.config import OcppConfig

PEM = re.compile(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.DOTALL)
_ALGORITHMS: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
}


def key_bits(key: object) -> bytes:
    """The subjectPublicKey BIT STRING's bits of a public key (what RFC 6960's issuerKeyHash
    hashes): the X9.62 point of an EC key (uncompressed, as RFC 5480 has certificates carry
    it), the PKCS#1 RSAPublicKey of an RSA key, the raw key of EdDSA."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    raise ValueError(f"unsupported public key type {type(key).__name__}")


def _ocsp_urls(certificate: x509.Certificate) -> tuple[str, ...]:
    try:
        access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
    except x509.ExtensionNotFound:
        return ()
    return tuple(
        str(description.access_location.value)
        for description in access.value
        if description.access_method == AuthorityInformationAccessOID.OCSP
        and isinstance(description.access_location, x509.UniformResourceIdentifier)
    )


@dataclass(frozen=True)
class Certificate:
    """What hash data and OCSP requests need from one X.509 certificate."""

    pem: str
    serial: int
    issuer: bytes
    """The DER of the issuer Name."""
    subject: bytes
    """The DER of the subject Name."""
    public_key: bytes
    """The subjectPublicKey bits (see :func:`key_bits`)."""
    ocsp_urls: tuple[str, ...]

    @classmethod
    def parse(cls, pem: str) -> Certificate:
        body = PEM.search(pem)
        if body is None:
            raise ValueError("no PEM certificate block")
        certificate = x509.load_pem_x509_certificate(body.group(0).encode("ascii"))
        return cls(
            pem=body.group(0) + "\n",
            serial=certificate.serial_number,
            issuer=certificate.issuer.public_bytes(),
            subject=certificate.subject.public_bytes(),
            public_key=key_bits(certificate.public_key()),
            ocsp_urls=_ocsp_urls(certificate),
        )

    @property
    def x509(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.pem.encode("ascii"))

    @property
    def self_signed(self) -> bool:
        return self.issuer == self.subject

    def hash_data(self, issuer: Certificate, algorithm: str = "SHA256") -> dict[str, str]:
        """CertificateHashDataType (2.0.1 Part 2 §2.6): RFC 6960's CertID of this certificate
        (hashes of the issuer's name and public key, computed by ``cryptography``'s OCSP
        request builder) and the serial number in hex without leading zeroes."""
        request = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(self.x509, issuer.x509, _ALGORITHMS[algorithm]())
            .build()
        )
        return {
            "hashAlgorithm": algorithm,
            "issuerNameHash": request.issuer_name_hash.hex(),
            "issuerKeyHash": request.issuer_key_hash.hex(),
            "serialNumber": format(self.serial, "x"),
        }

    def ocsp_request_data(self, issuer: Certificate, algorithm: str = "SHA256") -> dict[str, str]:
        """OCSPRequestDataType (2.0.1 Part 2 §2.36): the hash data plus this certificate's
        OCSP responder. Raises ValueError when it names none."""
        if not self.ocsp_urls:
            raise ValueError("the certificate names no OCSP responder (authorityInfoAccess)")
        return {**self.hash_data(issuer, algorithm), "responderURL": self.ocsp_urls[0]}


def pem_blocks(text: str) -> list[str]:
    """Every PEM certificate block of ``text``, in order."""
    return [match.group(0) + "\n" for match in PEM.finditer(text)]


def configured_pem(ocpp_config: OcppConfig, key: str, default: str) -> str:
    """``[station] key``: PEM text, or the path of a PEM file (relative to the config file);
    else ``default``: PEM text, or the name of a bundled file in ``pytest_ocpp/data``."""
    value = ocpp_config.station.extra.get(key)
    if value is None:
        if default.lstrip().startswith("-----BEGIN"):
            return default
        return (resources.files("pytest_ocpp") / "data" / default).read_text("utf-8")
    if str(value).lstrip().startswith("-----BEGIN"):
        return str(value)
    path = Path(str(value)).expanduser()
    if not path.is_absolute() and ocpp_config.config_file is not None:
        path = ocpp_config.config_file.parent / path
    try:
        return path.read_text("utf-8")
    except OSError as exc:
        raise RigError(f"[station] {key}: cannot read the PEM file {path}: {exc}") from None
