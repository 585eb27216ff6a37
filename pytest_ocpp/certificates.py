"""Reading X.509 certificates for the ISO 15118 and certificate-management cases: the few
fields 2.0.1's CertificateHashDataType and OCSPRequestDataType need (RFC 6960 §4.1.1 CertID:
issuer name and key hashes, serial number; the OCSP responder of RFC 5280 §4.2.2.1).

A small DER walk rather than a dependency: these cases need four fields of a certificate, not
verification; the values match ``openssl ocsp -req_text`` for the bundled test PKI. Used by
the authorization (C07/C08) and certificate management (M) cases alike, so both hash the same
way.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_ocpp.verdicts import RigError

if TYPE_CHECKING:
    from pytest_ocpp.config import OcppConfig

PEM = re.compile(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.DOTALL)
_AIA_OID = bytes.fromhex("2b06010505070101")  # 1.3.6.1.5.5.7.1.1 authorityInfoAccess
_OCSP_OID = bytes.fromhex("2b06010505073001")  # 1.3.6.1.5.5.7.48.1 id-ad-ocsp


def der_tlv(data: bytes, at: int) -> tuple[int, int, int]:
    """The DER element at ``at``: (tag, start of its content, end of its content)."""
    tag, length = data[at], data[at + 1]
    at += 2
    if length & 0x80:
        size = length & 0x7F
        length = int.from_bytes(data[at : at + size], "big")
        at += size
    if at + length > len(data):
        raise ValueError("a DER element runs past the end of the certificate")
    return tag, at, at + length


def der_children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """The elements inside a constructed element's content: (tag, element start, content
    start, content end)."""
    found: list[tuple[int, int, int, int]] = []
    while start < end:
        tag, content, stop = der_tlv(data, start)
        found.append((tag, start, content, stop))
        start = stop
    return found


def _ocsp_urls(der: bytes, start: int, end: int) -> list[str]:
    """The OCSP responder URIs of an authorityInfoAccess extension in [3] extensions."""
    urls: list[str] = []
    (_, _, seq_start, seq_end), *_ = der_children(der, start, end)
    for _, _, ext_start, ext_end in der_children(der, seq_start, seq_end):
        parts = der_children(der, ext_start, ext_end)
        if der[parts[0][2] : parts[0][3]] != _AIA_OID:
            continue
        (_, _, aia_start, aia_end), *_ = der_children(der, parts[-1][2], parts[-1][3])
        for _, _, desc_start, desc_end in der_children(der, aia_start, aia_end):
            method, location = der_children(der, desc_start, desc_end)[:2]
            if der[method[2] : method[3]] == _OCSP_OID and location[0] == 0x86:
                urls.append(der[location[2] : location[3]].decode("ascii"))
    return urls


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
    """The subjectPublicKey bits (the BIT STRING without its unused-bits octet)."""
    ocsp_urls: tuple[str, ...]

    @classmethod
    def parse(cls, pem: str) -> Certificate:
        body = PEM.search(pem)
        if body is None:
            raise ValueError("no PEM certificate block")
        der = base64.b64decode("".join(body.group(1).split()))
        _, start, _ = der_tlv(der, 0)
        _, tbs_start, tbs_end = der_tlv(der, start)
        fields = der_children(der, tbs_start, tbs_end)
        if fields[0][0] == 0xA0:  # [0] version
            fields = fields[1:]
        key_info = der_children(der, fields[5][2], fields[5][3])
        urls: list[str] = []
        for tag, _, content, stop in fields[6:]:
            if tag == 0xA3:  # [3] extensions
                urls += _ocsp_urls(der, content, stop)
        return cls(
            pem=body.group(0) + "\n",
            serial=int.from_bytes(der[fields[0][2] : fields[0][3]], "big"),
            issuer=der[fields[2][1] : fields[2][3]],
            subject=der[fields[4][1] : fields[4][3]],
            public_key=der[key_info[1][2] + 1 : key_info[1][3]],
            ocsp_urls=tuple(urls),
        )

    @property
    def self_signed(self) -> bool:
        return self.issuer == self.subject

    def hash_data(self, issuer: Certificate, algorithm: str = "SHA256") -> dict[str, str]:
        """CertificateHashDataType (2.0.1 Part 2 §2.6): hashes of the issuer's name (the DER
        of this certificate's issuer field) and of the issuer's public key, and the serial
        number in hex without leading zeroes."""
        return {
            "hashAlgorithm": algorithm,
            "issuerNameHash": hashlib.new(algorithm.lower(), self.issuer).hexdigest(),
            "issuerKeyHash": hashlib.new(algorithm.lower(), issuer.public_key).hexdigest(),
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
