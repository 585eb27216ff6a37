"""M. ISO 15118 CertificateManagement of the 2.0.1 reference CSMS (Part 2 use cases M01-M06).

The CSMS-initiated requests (InstallCertificate, GetInstalledCertificateIds, DeleteCertificate)
are sent as the operator job carries them. The station-initiated ones get answers here:

* Get15118EVCertificateRequest (M01 install, M02 update): Accepted with an ``exiResponse``.
  The reference is connected to no contract certificate pool, so the "raw
  CertificateInstallationRes" is a fixed placeholder (:data:`EXI_RESPONSE`): base64, as the
  field requires, but not an EXI document a real EV could use.
* GetCertificateStatusRequest (M06): Accepted with :data:`OCSP_RESULT`, a real DER-encoded
  OCSPResponse (RFC 6960) made once with ``openssl ocsp`` by the bundled test V2G root for the
  bundled test SubCA1 (status good, next update in 2126). The reference answers every request
  with it: it queries no OCSP responder.

Each defect breaks one rule, so every TC_M_xx_CSMS case can be seen to fail
(``tests/test_csms201_defects_firmware_certificates.py``).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, ClassVar

from ocpp.routing import on
from ocpp.v201 import call_result as result201

from pytest_ocpp.reference.csms.session import _ReferenceSession

__all__ = ["DEFECTS_CERTIFICATES", "EXI_RESPONSE", "OCSP_RESULT", "CertificatesMixin"]

OCSP_RESULT = (
    "MIIBegoBAKCCAXMwggFvBgkrBgEFBQcwAQEEggFgMIIBXDCCAQKhWDBWMSYwJAYDVQQKDB1weXRlc3Qtb2NwcCB0ZXN0"
    "IGNlcnRpZmljYXRlczEsMCoGA1UEAwwjcHl0ZXN0LW9jcHAgVGVzdCBWMkdSb290Q2VydGlmaWNhdGUYDzIwMjYxMjA2"
    "MDM1NjE0WjCBlDCBkTBpMA0GCWCGSAFlAwQCAQUABCAEzI8b/zz3ORTW3XqPI/3iHrR14mFRAYqruYutlrVtDwQgNozw"
    "NjxH1J3DAXjDJUeNkfyHHXFJlXjS2kJj/QIOJZsCFBTrddkF1De8/xGwDUiRulvmU5FXgAAYDzIwMjYxMjA2MDM1NjE0"
    "WqARGA8yMTI2MTExMjAzNTYxNFowCgYIKoZIzj0EAwIDSAAwRQIhAOKkpGZJnRshBfU1Q1AoG6ejtkLvUy1zuiP4djTe"
    "9bXgAiBBhAHAmILcjeaiQcsmYhyZgz0GqsRzivernKrdH6uGrg=="
)
"""Base64 of a DER OCSPResponse (responseStatus successful, a BasicOCSPResponse signed with
ECDSA-SHA256), what GetCertificateStatusResponse.ocspResult carries (M06.FR.03, .08, .09)."""

EXI_RESPONSE = base64.b64encode(
    b"pytest-ocpp reference CSMS: placeholder for a raw ISO 15118-2 CertificateInstallationRes"
).decode("ascii")
"""Get15118EVCertificateResponse.exiResponse of the reference (see the module docstring)."""

#: The root certificate types the wrong-type defect swaps with each other.
_OTHER_TYPE: dict[str, str] = {
    "CSMSRootCertificate": "ManufacturerRootCertificate",
    "ManufacturerRootCertificate": "CSMSRootCertificate",
    "V2GRootCertificate": "MORootCertificate",
    "MORootCertificate": "V2GRootCertificate",
    "V2GCertificateChain": "V2GRootCertificate",
}

#: The defects :class:`CertificatesMixin` implements; part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_CERTIFICATES: dict[str, str] = {
    "v201_install_certificate_not_sent": (
        "InstallCertificateRequest is never sent (the CSMS cannot install CA certificates)."
    ),
    "v201_install_certificate_wrong_type": (
        "InstallCertificateRequest certificateType is another type than asked for "
        "(CSMSRoot <-> ManufacturerRoot, V2GRoot <-> MORoot)."
    ),
    "v201_install_certificate_wrong_certificate": (
        "InstallCertificateRequest certificate is a corrupted copy of the PEM asked for."
    ),
    "v201_get_installed_certificates_wrong_type": (
        "GetInstalledCertificateIdsRequest asks for another certificateType than asked for "
        "(drops the last of several), and for V2GRootCertificate when asked for all types."
    ),
    "v201_delete_certificate_wrong_serial": (
        "DeleteCertificateRequest certificateHashData.serialNumber is not the one asked for."
    ),
    "v201_delete_certificate_sha256_only": (
        "DeleteCertificateRequest certificateHashData.hashAlgorithm is always SHA256, whatever "
        "the station reported (M04.FR.07)."
    ),
    "v201_get_15118_ev_certificate_failed": (
        "Get15118EVCertificateRequest is answered with status Failed."
    ),
    "v201_get_15118_ev_certificate_not_base64": (
        "Get15118EVCertificateResponse exiResponse is not base64."
    ),
    "v201_get_certificate_status_failed": (
        "GetCertificateStatusRequest is answered with status Failed, without ocspResult."
    ),
    "v201_get_certificate_status_not_der": (
        "GetCertificateStatusResponse ocspResult is base64 of text, not of a DER OCSPResponse."
    ),
}


def _corrupted_pem(pem: str) -> str:
    """The PEM with the lines of its base64 body in reverse order: still PEM-looking, no
    longer the certificate asked for."""
    lines = pem.strip().splitlines()
    if len(lines) < 4:
        return pem + "X"
    return "\n".join([lines[0], *reversed(lines[1:-1]), lines[-1]]) + "\n"


class CertificatesMixin(_ReferenceSession):
    """ISO 15118 CertificateManagement (M01-M06): answers to Get15118EVCertificate and
    GetCertificateStatus, and the defects of the block's requests and answers."""

    BLOCK_DEFECTS: ClassVar[Mapping[str, str]] = DEFECTS_CERTIFICATES

    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The outgoing-request defects of InstallCertificate, GetInstalledCertificateIds and
        DeleteCertificate."""
        if action == "InstallCertificate":
            if self.defect("v201_install_certificate_not_sent"):
                return None
            if self.defect("v201_install_certificate_wrong_type"):
                kind = str(payload.get("certificateType", ""))
                payload["certificateType"] = _OTHER_TYPE.get(kind, "CSMSRootCertificate")
            if self.defect("v201_install_certificate_wrong_certificate"):
                payload["certificate"] = _corrupted_pem(str(payload.get("certificate", "")))
        elif action == "GetInstalledCertificateIds" and self.defect(
            "v201_get_installed_certificates_wrong_type"
        ):
            kinds = payload.get("certificateType")
            if kinds and len(kinds) > 1:
                payload["certificateType"] = kinds[:-1]  # one of the types asked for is lost
            else:
                payload["certificateType"] = (
                    [_OTHER_TYPE.get(str(kind), "V2GRootCertificate") for kind in kinds]
                    if kinds
                    else ["V2GRootCertificate"]
                )
        elif action == "DeleteCertificate":
            data = payload.get("certificateHashData")
            if isinstance(data, dict):
                if self.defect("v201_delete_certificate_wrong_serial"):
                    serial = str(data.get("serialNumber", ""))
                    data["serialNumber"] = ("1" + serial)[:40] if serial != "1" else "2"
                if self.defect("v201_delete_certificate_sha256_only"):
                    data["hashAlgorithm"] = "SHA256"
        # Cooperative hook: the other blocks' defects apply too.
        return super().adjust_outgoing(action, payload)

    @on("Get15118EVCertificate")
    def on_get_15118_ev_certificate(self, **_: Any) -> result201.Get15118EVCertificate:
        """M01/M02: the CSMS forwards the EV's request and returns the raw response."""
        if self.defect("v201_get_15118_ev_certificate_failed"):
            return result201.Get15118EVCertificate(status="Failed", exi_response="")
        exi = EXI_RESPONSE
        if self.defect("v201_get_15118_ev_certificate_not_base64"):
            exi = "<CertificateInstallationRes> is not base64 </CertificateInstallationRes>"
        return result201.Get15118EVCertificate(status="Accepted", exi_response=exi)

    @on("GetCertificateStatus")
    def on_get_certificate_status(self, **_: Any) -> result201.GetCertificateStatus:
        """M06: the OCSP status of a certificate, as a DER OCSPResponse in base64."""
        if self.defect("v201_get_certificate_status_failed"):
            return result201.GetCertificateStatus(status="Failed")
        result = OCSP_RESULT
        if self.defect("v201_get_certificate_status_not_der"):
            result = base64.b64encode(b"OCSP status: good").decode("ascii")
        return result201.GetCertificateStatus(status="Accepted", ocsp_result=result)
