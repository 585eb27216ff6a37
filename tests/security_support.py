"""Reading what the security cases sent, shared by the security test files: the certificate
chains the fake CSMS signed, from the frames of a run's JSON report."""

from __future__ import annotations

import json

from cryptography import x509
from cryptography.x509.oid import NameOID
from harness import Report

STATION_OPERATOR_SUB_CA = "pytest-ocpp Test Charging Station Operator Sub-CA"
"""The common name of the generated PKI's charging station operator sub-CA
(:func:`pytest_ocpp.pki.station_operator_ca`)."""


def signed_chains(report: Report, case_id: str) -> list[list[x509.Certificate]]:
    """The certificateChain of every CertificateSigned request the fake CSMS sent in a case,
    read from the frames of its JSON report trace."""
    (case,) = [c for c in report.cases if c["id"] == case_id]
    chains = []
    for entry in case["trace"]:
        if '"CertificateSigned"' not in entry["text"] or not entry["text"].startswith("[2,"):
            continue
        payload = json.loads(entry["text"])[3]
        chains.append(x509.load_pem_x509_certificates(payload["certificateChain"].encode()))
    return chains


def assert_issued_by_station_operator_sub_ca(chain: list[x509.Certificate], root: str) -> None:
    """``chain`` is a station certificate followed by the charging station operator sub-CA
    that issued it, the sub-CA issued by the CSMS root named ``root`` (the root itself left
    out, as the station holds it)."""
    assert len(chain) == 2, [c.subject.rfc4514_string() for c in chain]
    leaf, operator = chain
    leaf.verify_directly_issued_by(operator)
    names = operator.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert names[0].value == STATION_OPERATOR_SUB_CA, operator.subject.rfc4514_string()
    assert operator.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    issuer = operator.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert issuer == root, issuer
