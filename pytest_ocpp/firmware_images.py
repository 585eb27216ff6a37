"""Signed firmware images for the 2.0.1 firmware cases (L01): the image, its signature and
the signing certificates, made with ``cryptography`` on the test PKI of :mod:`pytest_ocpp.pki`.

OCTT's <Configured signingCertificate>, <Configured signature> and firmware location point at a
real, signed firmware image. Against a real charger they come from its manufacturer (``[station]
firmware_file``, ``firmware_signing_certificate``, ``firmware_signature``, see
``testcases/ocpp201/cs/_firmware_support.py``); by default this module makes them for the run:

* a firmware signing certificate (RSA 2048) issued by the test manufacturer root
  (:attr:`pytest_ocpp.pki.GeneratedPki.manufacturer_root`, whose key is the same in every
  process: the reference station ships with it as its manufacturer root);
* a signing certificate that looks alike but is issued by another CA of the same name
  (TC_L_05_CS "Generated Invalid Firmware SigningCertificate");
* a firmware image and a damaged one, both signed: the signature is RSA-PSS with SHA-256 over the
  whole file (L01.FR.04), base64 (FirmwareType.signature).

Image format (the reference station's "installer" checks it, L01.FR.29): a header line
``PYTEST-OCPP-FIRMWARE <version>``, the payload, and a last line ``sha256 <hex of the rest>``.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from dataclasses import dataclass
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from pytest_ocpp.pki import authority, generated_pki, issue, pem

__all__ = [
    "RunPki",
    "build_image",
    "image_verifies",
    "manufacturer_root_pem",
    "run_pki",
    "sign",
    "signature_valid",
    "signing_certificate_problem",
]

HEADER = b"PYTEST-OCPP-FIRMWARE "


def manufacturer_root_pem() -> str:
    """The test manufacturer root certificate (PEM): the same key in every process."""
    return generated_pki().manufacturer_root.pem


@dataclass(frozen=True)
class RunPki:
    """What the firmware cases send, generated for the run."""

    root_pem: str
    signing_pem: str
    signing_key: rsa.RSAPrivateKey
    untrusted_signing_pem: str
    """Issued by a CA that is not the manufacturer's: the station must refuse it (L01.FR.22)."""


@lru_cache(maxsize=1)
def run_pki() -> RunPki:
    root = generated_pki().manufacturer_root
    signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pytest-ocpp"),
            x509.NameAttribute(NameOID.COMMON_NAME, "pytest-ocpp Test Firmware Signing"),
        ]
    )
    signing = issue(subject, signing_key.public_key(), root, ca=False)
    impostor = authority("pytest-ocpp Test Manufacturer Root CA")  # same name, another key
    untrusted = issue(subject, signing_key.public_key(), impostor, ca=False)
    return RunPki(root.pem, pem(signing), signing_key, pem(untrusted))


def build_image(version: str, payload: bytes, *, damaged: bool = False) -> bytes:
    """A firmware image in this module's format; ``damaged``: its checksum does not match
    (a file that downloads and verifies its signature but fails installation checks)."""
    body = HEADER + version.encode() + b"\n" + payload
    digest = hashlib.sha256(body + (b"damaged" if damaged else b"")).hexdigest()
    return body + b"\nsha256 " + digest.encode() + b"\n"


def image_verifies(data: bytes) -> bool:
    """The installer's check of an image (L01.FR.29): header and checksum."""
    if not data.startswith(HEADER):
        return False
    body, sep, trailer = data.rstrip(b"\n").rpartition(b"\nsha256 ")
    return bool(sep) and hashlib.sha256(body).hexdigest().encode() == trailer.strip()


def sign(data: bytes, key: rsa.RSAPrivateKey) -> str:
    """FirmwareType.signature: RSA-PSS (MGF1 SHA-256, salt of digest length) over SHA-256 of
    the whole file, base64 (L01.FR.04)."""
    signature = key.sign(
        data,
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH),
        hashes.SHA256(),
    )
    return base64.b64encode(signature).decode("ascii")


def signing_certificate_problem(pem: str, roots: list[str]) -> str:
    """Why ``pem`` is not a valid firmware signing certificate under ``roots`` (X.509 rules,
    L01.FR.12/21): empty when it is valid."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        return f"not a PEM X.509 certificate ({exc})"
    now = datetime.datetime.now(datetime.timezone.utc)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        return "outside its validity period"
    for root_pem in roots:
        try:
            root = x509.load_pem_x509_certificate(root_pem.encode())
            cert.verify_directly_issued_by(root)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return ""
    return "not issued by a trusted manufacturer root"


def signature_valid(pem: str, data: bytes, signature_b64: str) -> bool:
    """The firmware signature over ``data`` with the signing certificate's key: RSA-PSS or
    RSA PKCS#1 v1.5 / ECDSA, SHA-256 (L01.FR.04)."""
    try:
        key = x509.load_pem_x509_certificate(pem.encode()).public_key()
        signature = base64.b64decode(signature_b64, validate=True)
    except ValueError:
        return False
    try:
        if isinstance(key, rsa.RSAPublicKey):
            try:
                key.verify(
                    signature,
                    data,
                    padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO),
                    hashes.SHA256(),
                )
            except InvalidSignature:
                key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except InvalidSignature:
        return False
    return True
