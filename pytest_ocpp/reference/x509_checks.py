"""The X.509 checks both reference stations make on what a CSMS sends them (a CertificateSigned
chain, an installed root, a certificate's hash data), written once for the 1.6 Security
Whitepaper station and the 2.0.1 station alike.

Reference code: built on ``cryptography`` only, never on the core (see the reference
package's rule), so a bug in the core's certificate handling cannot hide behind the same bug
here.
"""

from __future__ import annotations

from datetime import datetime, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

__all__ = ["issued_by", "key_bits", "valid_now"]


def key_bits(certificate: x509.Certificate, whole: bool = False) -> bytes:
    """The subjectPublicKey BIT STRING contents (RFC 6960 issuerKeyHash); ``whole``: the whole
    SubjectPublicKeyInfo instead (what a broken variant hashes)."""
    key = certificate.public_key()
    if whole:
        return key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)  # type: ignore[call-arg]


def issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """``issuer`` signed ``certificate`` (its name and signature, not the whole path)."""
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def valid_now(certificate: x509.Certificate) -> bool:
    now = datetime.now(timezone.utc)
    return certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc
