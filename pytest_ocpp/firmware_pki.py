"""The test PKI and firmware images of the 2.0.1 firmware cases (L01), made with
``cryptography`` when a run needs them.

OCTT's <Configured signingCertificate>, <Configured signature> and firmware location point at a
real, signed firmware image. Against a real charger they come from its manufacturer (``[station]
firmware_file``, ``firmware_signing_certificate``, ``firmware_signature``, see
``testcases/ocpp201/cs/_firmware_support.py``); by default this module makes them for the run:

* a manufacturer root CA (ECDSA P-256) whose key is derived from a fixed seed, so every process
  of a run (the suite, a reference station in another process) knows the same root: the
  reference station ships with it as its manufacturer root, as a charger ships with its
  manufacturer's;
* a firmware signing certificate (RSA 2048) issued by that root, new for every run;
* a signing certificate that looks alike but is issued by another CA (TC_L_05_CS "Generated
  Invalid Firmware SigningCertificate");
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
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

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

_ROOT_SEED = b"pytest-ocpp test manufacturer root CA, not for production use"
_P256_ORDER = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)
_NOT_BEFORE = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
_NOT_AFTER = datetime.datetime(2099, 12, 31, tzinfo=datetime.timezone.utc)
HEADER = b"PYTEST-OCPP-FIRMWARE "


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pytest-ocpp test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _ca(key: ec.EllipticCurvePrivateKey, common_name: str, serial: int) -> x509.Certificate:
    name = _name(common_name)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(_NOT_BEFORE)
        .not_valid_after(_NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )


def _issued(
    issuer_key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate,
    key: rsa.RSAPrivateKey,
    common_name: str,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(issuer_key, hashes.SHA256())
    )


@lru_cache(maxsize=1)
def _root() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    seed = int.from_bytes(hashlib.sha256(_ROOT_SEED).digest(), "big") % (_P256_ORDER - 1) + 1
    key = ec.derive_private_key(seed, ec.SECP256R1())
    return key, _ca(key, "pytest-ocpp Test Manufacturer Root CA", 0x0C7)


def manufacturer_root_pem() -> str:
    """The test manufacturer root certificate (PEM): the same key in every process."""
    return _pem(_root()[1])


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
    root_key, root = _root()
    signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signing = _issued(root_key, root, signing_key, "pytest-ocpp Test Firmware Signing")
    other_key = ec.generate_private_key(ec.SECP256R1())
    other_root = _ca(other_key, "pytest-ocpp Test Manufacturer Root CA", 0x0C7)
    untrusted = _issued(other_key, other_root, signing_key, "pytest-ocpp Test Firmware Signing")
    return RunPki(_pem(root), _pem(signing), signing_key, _pem(untrusted))


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
