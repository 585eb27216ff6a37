"""A real test PKI for the certificate cases (2.0.1 M, A02/A03, C07): the roots, sub-CAs and
keys OCTT's tester configures, made with ``cryptography`` when they are not configured, and
the CA work the CSMS side does with them: signing a station's CSR (A02/A03, Part 6 Tables
446/447) and answering an OCSP request (M06, RFC 6960).

Reading certificates (hash data, OCSP request data) stays in :mod:`pytest_ocpp.certificates`
so that reading and generating can be checked against each other.

Everything generated is EC P-256 (fast, and the only kind ISO 15118-2 accepts), valid from an
hour ago for ten years, except :attr:`GeneratedPki.expired` (Part 6 TC_M_07 "<Generated Expired
Certificate>"). One PKI per process: the certificates a case installs are the ones the next
case of the same run expects.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from pytest_ocpp.certificates import Certificate

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import (
        CertificateIssuerPrivateKeyTypes,
        CertificatePublicKeyTypes,
    )

OCSP_URL = "http://ocsp.pytest-ocpp.invalid/"
"""The OCSP responder the generated sub-CAs and leaves name (authorityInfoAccess)."""

TEN_YEARS = timedelta(days=3650)


def _name(common_name: str, organization: str = "pytest-ocpp", country: str = "") -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    if country:
        parts.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    return x509.Name(parts)


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def key_pem(key: CertificateIssuerPrivateKeyTypes) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


@dataclass(frozen=True)
class Authority:
    """A CA certificate with its private key, and the chain above it (issuer first, root
    excluded when it is the root itself)."""

    certificate: x509.Certificate
    key: CertificateIssuerPrivateKeyTypes
    parents: tuple[x509.Certificate, ...] = ()

    @property
    def pem(self) -> str:
        return pem(self.certificate)


def issue(
    subject: x509.Name,
    public_key: CertificatePublicKeyTypes,
    issuer: Authority | None,
    *,
    key: CertificateIssuerPrivateKeyTypes | None = None,
    ca: bool,
    path_length: int | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    ocsp_url: str | None = None,
) -> x509.Certificate:
    """An X.509 v3 certificate for ``public_key``, signed by ``issuer`` (self-signed with
    ``key`` when None)."""
    now = datetime.now(timezone.utc)
    signer = issuer.key if issuer is not None else key
    assert signer is not None
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer is not None else subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(hours=1))
        .not_valid_after(not_after or now + TEN_YEARS)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=not ca,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.certificate.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    if ocsp_url:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
                    )
                ]
            ),
            critical=False,
        )
    return builder.sign(signer, hashes.SHA256())  # type: ignore[arg-type]


def authority(
    common_name: str,
    issuer: Authority | None = None,
    *,
    path_length: int | None = None,
    ocsp_url: str | None = None,
    not_after: datetime | None = None,
    not_before: datetime | None = None,
    seed: str | None = None,
) -> Authority:
    """A new CA: a root when ``issuer`` is None, else a sub-CA of ``issuer``; ``seed``: its
    key is derived from that text (the same in every process, see ``mo_root``)."""
    key = ec.generate_private_key(ec.SECP256R1()) if seed is None else seeded_key(seed)
    certificate = issue(
        _name(common_name),
        key.public_key(),
        issuer,
        key=key,
        ca=True,
        path_length=path_length,
        ocsp_url=ocsp_url,
        not_after=not_after,
        not_before=not_before,
    )
    parents: tuple[x509.Certificate, ...] = ()
    if issuer is not None:
        parents = (issuer.certificate, *issuer.parents)
    return Authority(certificate, key, parents)


def cross_signed(new_root: Authority, old_root: Authority) -> str:
    """``new_root``'s subject and key, signed by ``old_root`` (M05.FR.10: with
    AdditionalRootCertificateCheck a new CSMS root "MUST be signed by the old Root
    Certificate it is replacing"). PEM."""
    certificate = issue(
        new_root.certificate.subject,
        new_root.certificate.public_key(),  # type: ignore[arg-type]
        old_root,
        ca=True,
    )
    return pem(certificate)


MANUFACTURER_ROOT_SEED = "pytest-ocpp test manufacturer root CA, not for production use"
"""The manufacturer root's key is derived from this text, for the same reason as the MO
root's: the reference station in another process ships with it as its manufacturer root, as
a charger ships with its manufacturer's, and checks the firmware signing certificates the
suite issues under it (L01, Part 6 TC_L_xx_CS)."""

MO_ROOT_SEED = "pytest-ocpp test MO root"
"""The MO root's key is derived from this text: a reference station's simulated EV in
another process (the suite's proof runs) issues its contract certificate with the same key,
so that the MO root the fake CSMS installs validates it (C07, Part 6 TC_C_50-55). A test
key, public by construction."""


def seeded_key(seed: str) -> ec.EllipticCurvePrivateKey:
    """An EC P-256 key derived from ``seed`` (deterministic; for test PKIs only)."""
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    value = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big") % (order - 1) + 1
    return ec.derive_private_key(value, ec.SECP256R1())


@dataclass(frozen=True)
class GeneratedPki:
    """The generated PKI (see the module docstring)."""

    csms_root: Authority
    csms_root_2: Authority
    """Another CSMS root ("<Configured new CSMS Root certificate 2>")."""
    manufacturer_root: Authority
    v2g_root: Authority
    v2g_sub_ca1: Authority
    v2g_sub_ca2: Authority
    """Signs the V2G Charging Station certificates (Table 447)."""
    mo_root: Authority
    expired: str
    """A CA certificate whose validity ended yesterday (TC_M_07)."""
    unknown: str
    """A certificate no station has: TC_M_22's "<certificateHashData from unknown certificate>"."""


@functools.cache
def generated_pki() -> GeneratedPki:
    """The PKI of this process (generated once, in a few milliseconds)."""
    v2g_root = authority("pytest-ocpp Test V2G Root CA")
    sub1 = authority("pytest-ocpp Test V2G SubCA 1", v2g_root, path_length=1, ocsp_url=OCSP_URL)
    sub2 = authority("pytest-ocpp Test V2G SubCA 2", sub1, path_length=0, ocsp_url=OCSP_URL)
    now = datetime.now(timezone.utc)
    expired = authority(
        "pytest-ocpp Test Expired Root CA",
        not_before=now - timedelta(days=30),
        not_after=now - timedelta(days=1),
    )
    return GeneratedPki(
        csms_root=authority("pytest-ocpp Test CSMS Root CA"),
        csms_root_2=authority("pytest-ocpp Test CSMS Root CA 2"),
        manufacturer_root=authority(
            "pytest-ocpp Test Manufacturer Root CA", seed=MANUFACTURER_ROOT_SEED
        ),
        v2g_root=v2g_root,
        v2g_sub_ca1=sub1,
        v2g_sub_ca2=sub2,
        mo_root=authority("pytest-ocpp Test MO Root CA", seed=MO_ROOT_SEED),
        expired=expired.pem,
        unknown=authority("pytest-ocpp Test Unknown CA").pem,
    )


_STATION_OPERATOR_CAS: dict[bytes, Authority] = {}


def station_operator_ca(root: Authority) -> Authority:
    """The charging station operator (CSO) sub-CA under ``root``, made once per root and
    process: the operator hierarchy the specifications describe, CSMS root -> CSO sub-CA ->
    station certificate (1.6 Security Whitepaper §2.6.2; 2.0.1 Part 2 §1.4.2, A00.FR.602: "use
    the CSO Sub-CA ... to sign the CSMS and Charging Station certificates"). A certificate
    signed for a station then arrives with the sub-CA in its chain (:func:`sign_csr`; 1.6
    §5.1 certificateChain "can also contain the necessary sub CA certificates", 2.0.1 A02/A03),
    as a real CSMS's does, and the station must verify a path to its installed root, not one
    signature (A02.FR.06). ``root`` is the generated CSMS root or the configured one with its
    key; the manufacturer hierarchy (firmware signing, A00.FR.604) is separate and unchanged."""
    fingerprint = root.certificate.fingerprint(hashes.SHA256())
    if fingerprint not in _STATION_OPERATOR_CAS:
        _STATION_OPERATOR_CAS[fingerprint] = authority(
            "pytest-ocpp Test Charging Station Operator Sub-CA", root, path_length=0
        )
    return _STATION_OPERATOR_CAS[fingerprint]


def load_certificates(text: str) -> list[x509.Certificate]:
    """Every certificate of a PEM text, in order."""
    return x509.load_pem_x509_certificates(text.encode("ascii"))


def load_key(text: str) -> CertificateIssuerPrivateKeyTypes:
    key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
    return key  # type: ignore[return-value]


def csr_problems(csr_pem: str, *, v2g: bool) -> list[str]:
    """What is wrong with a SignCertificateRequest.csr against Part 6 Tables 446/447: a PEM
    PKCS#10 request (RFC 2986) with a valid self-signature; RSA/DSA keys of at least 2048 bits
    and EC keys of at least 224 (V2G: EC only, at least 256)."""
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as error:
        return [f"the csr is not a PEM encoded PKCS#10 request ({error})"]
    problems: list[str] = []
    if not csr.is_signature_valid:
        problems.append("the csr's self-signature does not verify")
    key = csr.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        least = 256 if v2g else 224
        if key.curve.key_size < least:
            problems.append(f"its EC key has {key.curve.key_size} bits, fewer than {least}")
    elif isinstance(key, (rsa.RSAPublicKey, dsa.DSAPublicKey)):
        if v2g:
            problems.append("its key is not an elliptic curve key (ISO 15118 cannot use RSA)")
        elif key.key_size < 2048:
            problems.append(
                f"its {type(key).__name__[:3]} key has {key.key_size} bits, fewer than 2048"
            )
    else:
        problems.append(f"its key type {type(key).__name__} is not allowed")
    return problems


def csr_common_name(csr_pem: str) -> str:
    csr = x509.load_pem_x509_csr(csr_pem.encode("ascii"))
    names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def sign_csr(
    csr_pem: str, issuer: Authority, *, ocsp_url: str | None = None, days: int = 365
) -> str:
    """The certificate for a CSR, signed by ``issuer``, followed by the issuer's chain
    (the root left out): a CertificateSignedRequest.certificateChain (PEM)."""
    csr = x509.load_pem_x509_csr(csr_pem.encode("ascii"))
    now = datetime.now(timezone.utc)
    leaf = issue(
        csr.subject,
        csr.public_key(),  # type: ignore[arg-type]
        issuer,
        ca=False,
        not_after=now + timedelta(days=days),
        ocsp_url=ocsp_url,
    )
    chain = [leaf]
    if issuer.parents:  # a sub-CA: it and the sub-CAs above it, not the root
        chain.append(issuer.certificate)
        chain.extend(issuer.parents[:-1])
    return "".join(pem(c) for c in chain)


def ocsp_response(request: dict[str, str], issuer: Authority) -> str | None:
    """A signed, successful OCSP response (RFC 6960, DER, base64) saying "good" for the
    certificate an OCSPRequestDataType names, when ``issuer`` issued it (issuer name and key
    hashes match); None when it does not."""
    algorithm = {"SHA256": hashes.SHA256(), "SHA384": hashes.SHA384(), "SHA512": hashes.SHA512()}[
        request["hashAlgorithm"]
    ]
    name_hash = hashes.Hash(algorithm)
    name_hash.update(issuer.certificate.subject.public_bytes())
    key_bits = Certificate.parse(pem(issuer.certificate)).public_key
    key_hash = hashes.Hash(type(algorithm)())
    key_hash.update(key_bits)
    if (
        name_hash.finalize().hex() != request["issuerNameHash"].lower()
        or key_hash.finalize().hex() != request["issuerKeyHash"].lower()
    ):
        return None
    now = datetime.now(timezone.utc)
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            issuer_name_hash=bytes.fromhex(request["issuerNameHash"]),
            issuer_key_hash=bytes.fromhex(request["issuerKeyHash"]),
            serial_number=int(request["serialNumber"], 16),
            algorithm=algorithm,
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=now,
            next_update=now + timedelta(days=7),
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.certificate)
        .certificates([issuer.certificate])
    )
    response = builder.sign(issuer.key, hashes.SHA256())  # type: ignore[arg-type]
    return base64.b64encode(response.public_bytes(serialization.Encoding.DER)).decode("ascii")


# -- transport security (security profiles 2 and 3) -----------------------------------------
def tls_leaf(
    issuer: Authority,
    common_name: str,
    *,
    server: bool,
    hosts: Sequence[str] = (),
    organization: str = "pytest-ocpp",
    rsa_bits: int | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes]:
    """A TLS end-entity certificate and its new key, signed by ``issuer``.

    The Central System certificate carries the server's FQDN as CN (1.6 Security Whitepaper
    A00.FR.510) and, as the whitepaper allows for a server reached by several names, the same
    names (and IP addresses) as subjectAltName: Python, like every RFC 6125 client, matches
    host names against the SAN only. A Charge Point certificate carries the station's serial
    number as CN and no SAN (A00.FR.511). Both name the owner in O (A00.FR.509), have a serial
    number (A00.FR.508) and restrict their key usage (A00.FR.512). EC P-256 by default; with
    ``rsa_bits`` an RSA key of that size (A00.FR.502: at least 2048), for the TLS_RSA cipher
    suites A00.FR.317 asks a Central System to offer."""
    key: CertificateIssuerPrivateKeyTypes
    if rsa_bits:
        key = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organization))
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(hours=1))
        .not_valid_after(not_after or now + TEN_YEARS)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=bool(rsa_bits),
                data_encipherment=False,
                key_agreement=not rsa_bits,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.certificate.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if hosts:
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer.key, hashes.SHA256()), key  # type: ignore[arg-type]


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of a transport PKI generated for one run (see :func:`write_tls_pki`)."""

    ca_file: str
    """The root everything below chains to: what the station under test (or our fake
    station) must trust, and what client certificates are verified against."""
    server_cert_file: str
    server_key_file: str
    server_rsa_cert_file: str
    server_rsa_key_file: str
    client_cert_file: str
    """The Charge Point certificate followed by the CSO sub-CA that issued it: a TLS client
    sends both, so a server trusting only the root can verify the path."""
    client_key_file: str


def write_tls_pki(
    directory: str | Path, hosts: Sequence[str], station_id: str, *, rsa_bits: int = 2048
) -> TlsFiles:
    """Generate a CSMS root, Central System certificates for ``hosts`` (EC and RSA, so all
    four cipher suites of A00.FR.317 can be negotiated) and a Charge Point certificate for
    ``station_id`` (CN = the station's serial number, here its identity) issued by the root's
    charging station operator sub-CA (:func:`station_operator_ca`), and write them as PEM
    files into ``directory``. Private keys are written owner-readable only."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    root = authority("pytest-ocpp Test CSMS Root CA (generated for this run)")
    common = hosts[0] if hosts else "localhost"
    server, server_key = tls_leaf(root, common, server=True, hosts=hosts)
    server_rsa, server_rsa_key = tls_leaf(root, common, server=True, hosts=hosts, rsa_bits=rsa_bits)
    operator = station_operator_ca(root)
    client, client_key = tls_leaf(operator, station_id, server=False)

    def write(name: str, text: str, secret: bool = False) -> str:
        path = folder / name
        path.write_text(text, "ascii")
        if secret:
            path.chmod(0o600)
        return str(path)

    return TlsFiles(
        ca_file=write("ca.pem", root.pem),
        server_cert_file=write("csms-cert.pem", pem(server)),
        server_key_file=write("csms-key.pem", key_pem(server_key), True),
        server_rsa_cert_file=write("csms-rsa-cert.pem", pem(server_rsa)),
        server_rsa_key_file=write("csms-rsa-key.pem", key_pem(server_rsa_key), True),
        client_cert_file=write("station-cert.pem", pem(client) + operator.pem),
        client_key_file=write("station-key.pem", key_pem(client_key), True),
    )


# -- the station's side of certificate signing (A02/A03, CSMS under test) -------------------
def new_csr(
    common_name: str,
    organization: str = "",
    *,
    country: str = "",
    domain_component: str = "",
) -> tuple[str, ec.EllipticCurvePrivateKey]:
    """A new EC P-256 key and a PEM PKCS#10 request for it (RFC 2986), what a station sends in
    SignCertificateRequest.csr (A02.FR.02/03): subject CN (the station's serial number, or the
    SECC id of a V2G certificate), O (SecurityCtrlr.OrganizationName, A00.FR.404), C and DC
    when given (ISO 15118-2 names a SECC certificate's domainComponent "CPO"). EC only, which
    both certificate types accept (2.0.1 Part 2 A00.FR.5xx: at least 224 bits; ISO 15118)."""
    key = ec.generate_private_key(ec.SECP256R1())
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    if country:
        parts.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    if domain_component:
        parts.append(x509.NameAttribute(NameOID.DOMAIN_COMPONENT, domain_component))
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(parts))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii"), key


def signed_chain_problems(
    chain_pem: str, csr_pem: str, anchors: Sequence[x509.Certificate] = ()
) -> list[str]:
    """What is wrong with a CertificateSignedRequest.certificateChain for the CSR we sent:
    PEM X.509 certificates, the first one for our CSR's public key and subject, valid now,
    each signed by the next; with ``anchors`` (the configured root), the last one must be an
    anchor or be signed by one (A02.FR.06: "part of the Charging Station Operator
    certificate hierarchy"). Empty when the chain is what the station can use."""
    from cryptography.exceptions import InvalidSignature

    try:
        chain = load_certificates(chain_pem)
    except (ValueError, UnicodeEncodeError) as error:
        return [f"the certificateChain is not PEM encoded X.509 ({error})"]
    if not chain:
        return ["the certificateChain holds no PEM certificate"]
    csr = x509.load_pem_x509_csr(csr_pem.encode("ascii"))
    leaf = chain[0]
    problems: list[str] = []
    raw = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if leaf.public_key().public_bytes(der, raw) != csr.public_key().public_bytes(der, raw):
        problems.append("its first certificate is not for the public key of our CSR")
    if leaf.subject != csr.subject:
        problems.append(
            f"its first certificate's subject {leaf.subject.rfc4514_string()!r} is not our "
            f"CSR's {csr.subject.rfc4514_string()!r}"
        )
    now = datetime.now(timezone.utc)
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        problems.append(
            f"its first certificate is not valid now ({leaf.not_valid_before_utc:%Y-%m-%d} to "
            f"{leaf.not_valid_after_utc:%Y-%m-%d})"
        )
    for index in range(len(chain) - 1):
        child, parent = chain[index], chain[index + 1]
        try:
            child.verify_directly_issued_by(parent)
        except (ValueError, TypeError, InvalidSignature):
            problems.append(
                f"{child.subject.rfc4514_string()!r} is not signed by the next certificate "
                f"{parent.subject.rfc4514_string()!r}"
            )
    if anchors:
        top = chain[-1]
        trusted = False
        for anchor in anchors:
            if top == anchor:
                trusted = True
                break
            try:
                top.verify_directly_issued_by(anchor)
            except (ValueError, TypeError, InvalidSignature):
                continue
            trusted = True
            break
        if not trusted:
            problems.append(
                f"the chain ends in {top.subject.rfc4514_string()!r}, which is not signed by the "
                "configured root certificate"
            )
    return problems
