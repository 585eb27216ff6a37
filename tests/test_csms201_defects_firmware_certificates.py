"""The OCPP 2.0.1 CSMS-side cases of L. Firmware Management and M. ISO 15118
CertificateManagement (Part 6 §3.13-3.14) can fail: each run here breaks one behaviour of the
reference CSMS (a ``v201_`` toggle of :data:`~pytest_ocpp.reference.csms.DEFECTS`, implemented
in ``reference/csms/v201/firmware.py`` and ``certificates.py``) and proves that the cases
checking it report "fail", with the broken rule in the message, not "error" and not "not
applicable"; the controls run beside them still pass (each meets the broken behaviour, or the
same kind of request, without judging it).

Same plumbing as the other defect files (``harness.py``): one ``pytest`` process per defect
against a broken reference reached through ``--ocpp-target`` and the command operator,
verdicts read from the JSON compliance report, a few processes at a time. The conformant half
of the proof is ``test_suite_against_reference.py``.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
import pytest_ocpp.testcases.ocpp201.csms
from harness import (
    FAIL,
    Defect,
    Runs,
    assert_defect_caught,
    assert_passes,
    cases_of,
    csms201_defect_run,
    implemented_cases,
    reference_csms,
    run_suite,
    runs_fixture,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.csms import DEFECTS
from pytest_ocpp.reference.csms.v201.certificates import DEFECTS_CERTIFICATES
from pytest_ocpp.reference.csms.v201.firmware import DEFECTS_FIRMWARE

BLOCKS = ("FirmwareManagement", "ISO15118CertificateManagement")
"""The catalogue's names of Part 6 §3.13 (L) and §3.14 (M)."""

BLOCK_CASES = sorted(
    info.id
    for info in catalog().values()
    if info.version == "2.0.1" and info.side == "CSMS" and info.block in BLOCKS
)
"""Every 2.0.1 CSMS-side case of the two blocks, as the catalogue has them."""

L01_UPDATES = ("TC_L_01_CSMS", "TC_L_04_CSMS", "TC_L_05_CSMS", "TC_L_10_CSMS", "TC_L_13_CSMS")
PUBLISH = ("TC_L_17_CSMS", "TC_L_19_CSMS", "TC_L_20_CSMS", "TC_L_24_CSMS")
UNPUBLISH = ("TC_L_21_CSMS", "TC_L_22_CSMS", "TC_L_23_CSMS")
INSTALL_ROOTS = ("TC_M_01_CSMS", "TC_M_02_CSMS", "TC_M_03_CSMS", "TC_M_04_CSMS")
RETRIEVE = (
    "TC_M_12_CSMS",
    "TC_M_13_CSMS",
    "TC_M_14_CSMS",
    "TC_M_15_CSMS",
    "TC_M_16_CSMS",
    "TC_M_17_CSMS",
    "TC_M_18_CSMS",
    "TC_M_19_CSMS",
)
DELETE = ("TC_M_20_CSMS", "TC_M_21_CSMS")
EV_CERTIFICATE = ("TC_M_26_CSMS", "TC_M_28_CSMS")

DEFECT_CASES: tuple[Defect, ...] = (
    # -- L01 Secure Firmware Update --------------------------------------------------------
    Defect("v201_update_firmware_unsigned", L01_UPDATES, "firmware.signingCertificate"),
    Defect(
        "v201_update_firmware_wrong_signature",
        ("TC_L_01_CSMS",),
        "firmware.signature <Configured signature>",
    ),
    Defect(
        "v201_update_firmware_relative_location",
        ("TC_L_04_CSMS", "TC_L_07_CSMS"),
        "firmware.location a URI",
    ),
    Defect(
        "v201_update_firmware_retrieve_now",
        ("TC_L_03_CSMS",),
        "firmware.retrieveDateTime <A dateTime in the future>",
    ),
    Defect(
        "v201_update_firmware_install_now",
        ("TC_L_02_CSMS",),
        "firmware.installDateTime <A dateTime in the future>",
    ),
    Defect(
        "v201_firmware_status_failure_call_error",
        ("TC_L_06_CSMS", "TC_L_07_CSMS", "TC_L_08_CSMS", "TC_L_09_CSMS"),
        "FirmwareStatusNotification request with CallError InternalError",
    ),
    Defect(
        "v201_firmware_security_event_call_error",
        ("TC_L_05_CSMS", "TC_L_06_CSMS"),
        "SecurityEventNotification request with CallError InternalError",
    ),
    Defect(
        "v201_boot_rejected_after_firmware_update",
        ("TC_L_01_CSMS", "TC_L_09_CSMS", "TC_L_10_CSMS", "TC_L_11_CSMS", "TC_L_13_CSMS"),
        "BootNotificationResponse status Accepted",
    ),
    # -- L03 Publish / L04 Unpublish Firmware ----------------------------------------------
    Defect(
        "v201_publish_firmware_wrong_location",
        PUBLISH,
        "PublishFirmwareRequest location <Configured firmware_location>",
    ),
    Defect(
        "v201_publish_firmware_status_failure_call_error",
        ("TC_L_19_CSMS", "TC_L_20_CSMS", "TC_L_24_CSMS"),
        "PublishFirmwareStatusNotification request with CallError InternalError",
    ),
    Defect(
        "v201_unpublish_firmware_bad_checksum",
        UNPUBLISH,
        "UnpublishFirmwareRequest checksum the MD5 checksum",
    ),
    # -- M05 Install CA certificate --------------------------------------------------------
    Defect(
        "v201_install_certificate_not_sent",
        ("TC_M_01_CSMS", "TC_M_05_CSMS"),
        "did not send InstallCertificate",
    ),
    Defect(
        "v201_install_certificate_wrong_type",
        (*INSTALL_ROOTS, *DELETE),
        "CertificateInstalled step 1: certificateType",
    ),
    Defect(
        "v201_install_certificate_wrong_certificate",
        INSTALL_ROOTS,
        "certificate is the configured one",
    ),
    # -- M03 Retrieve certificates, M04 Delete a certificate -------------------------------
    Defect(
        "v201_get_installed_certificates_wrong_type",
        (*RETRIEVE, *DELETE),
        "GetInstalledCertificate",
    ),
    Defect(
        "v201_delete_certificate_wrong_serial",
        DELETE,
        "DeleteCertificateRequest certificateHashData is the certificate returned",
    ),
    Defect(
        "v201_delete_certificate_sha256_only",
        ("TC_M_20_CSMS",),
        "certificateHashData.hashAlgorithm SHA384",
    ),
    # -- M01/M02 EV certificates, M06 certificate status -----------------------------------
    Defect(
        "v201_get_15118_ev_certificate_failed",
        EV_CERTIFICATE,
        "Get15118EVCertificateResponse status Accepted",
    ),
    Defect(
        "v201_get_15118_ev_certificate_not_base64",
        EV_CERTIFICATE,
        "Get15118EVCertificateResponse exiResponse",
    ),
    Defect(
        "v201_get_certificate_status_failed",
        ("TC_M_24_CSMS",),
        "GetCertificateStatusResponse status Accepted",
    ),
    Defect(
        "v201_get_certificate_status_not_der",
        ("TC_M_24_CSMS",),
        "DER encoded",
    ),
)

#: Cases run beside the failing ones, which must still pass: each meets the broken behaviour
#: (or the same request) without judging it, so a defect that breaks everything, or a case
#: that fails on any request of the kind, proves nothing.
CONTROLS: dict[str, tuple[str, ...]] = {
    # PublishFirmware is not UpdateFirmware.
    "v201_update_firmware_unsigned": ("TC_L_17_CSMS",),
    # Only TC_L_01 compares the signature with the configured one.
    "v201_update_firmware_wrong_signature": ("TC_L_04_CSMS",),
    "v201_update_firmware_relative_location": ("TC_L_17_CSMS",),
    # retrieveDateTime "now" is what every unscheduled case asks for.
    "v201_update_firmware_retrieve_now": ("TC_L_01_CSMS",),
    "v201_update_firmware_install_now": ("TC_L_01_CSMS",),
    # A successful update reports no failure.
    "v201_firmware_status_failure_call_error": ("TC_L_01_CSMS",),
    "v201_firmware_security_event_call_error": ("TC_L_07_CSMS",),
    # TC_L_07 ends before any reboot.
    "v201_boot_rejected_after_firmware_update": ("TC_L_07_CSMS",),
    "v201_publish_firmware_wrong_location": ("TC_L_21_CSMS",),
    "v201_publish_firmware_status_failure_call_error": ("TC_L_17_CSMS",),
    "v201_unpublish_firmware_bad_checksum": ("TC_L_17_CSMS",),
    "v201_install_certificate_not_sent": ("TC_M_19_CSMS",),
    # TC_M_05's table validates nothing of its InstallCertificateRequest.
    "v201_install_certificate_wrong_type": ("TC_M_05_CSMS",),
    "v201_install_certificate_wrong_certificate": ("TC_M_05_CSMS",),
    "v201_get_installed_certificates_wrong_type": ("TC_M_01_CSMS",),
    "v201_delete_certificate_wrong_serial": ("TC_M_12_CSMS",),
    # SHA256 hash data stays right: TC_M_21 deletes with SHA256 only.
    "v201_delete_certificate_sha256_only": ("TC_M_21_CSMS",),
    "v201_get_15118_ev_certificate_failed": ("TC_M_24_CSMS",),
    "v201_get_15118_ev_certificate_not_base64": ("TC_M_24_CSMS",),
    "v201_get_certificate_status_failed": ("TC_M_26_CSMS",),
    "v201_get_certificate_status_not_der": ("TC_M_26_CSMS",),
}

OPERATOR_TIMEOUT: dict[str, float] = {"v201_install_certificate_not_sent": 4}
"""``--ocpp-operator-timeout`` where the defect shows as the request never arriving: waiting it
out is the proof, so it is kept short (the control CLI starts in well under a second)."""

UNFAILABLE: dict[str, str] = {}
"""Cases of the two blocks no defect can fail, with the reason: none."""


runs = runs_fixture(
    {
        d.name: partial(
            csms201_defect_run,
            d,
            CONTROLS.get(d.name, ()),
            operator_timeout=OPERATOR_TIMEOUT.get(d.name, 10.0),
        )
        for d in DEFECT_CASES
    },
    param="defect",
)
"""One broken reference CSMS per selected defect, their suites run concurrently."""


def _implemented_201_csms_cases() -> set[str]:
    return implemented_cases(pytest_ocpp.testcases.ocpp201.csms, "2.0.1")


def test_catalogue_lists_37_cases() -> None:
    """The brief's 37 cases: 19 of L (TC_L_01-11, 13, 17, 19-24) and 18 of M (TC_M_01-05,
    12-21, 24, 26, 28), as the catalogue has them."""
    assert len(BLOCK_CASES) == 37, BLOCK_CASES


def test_every_block_case_is_implemented() -> None:
    """Each catalogue case of the two blocks has a test function."""
    missing = sorted(set(BLOCK_CASES) - _implemented_201_csms_cases())
    assert not missing, f"2.0.1 CSMS cases without an implementation: {missing}"


def test_every_block_case_meets_a_defect() -> None:
    """The table names this block's defects, each once and every one of them, and makes every
    case of the two blocks fail at least once (or excuses it in UNFAILABLE)."""
    names = [d.name for d in DEFECT_CASES]
    assert len(set(names)) == len(names)
    assert set(names) == set(DEFECTS_FIRMWARE) | set(DEFECTS_CERTIFICATES)
    assert set(names) <= set(DEFECTS)
    assert set(cases_of(DEFECT_CASES)) | set(UNFAILABLE) == set(BLOCK_CASES)
    assert set(CONTROLS) == set(names)


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_case_fails_on_defect(defect: Defect, runs: Runs) -> None:
    """Each named case's verdict is "fail" with the broken rule in its message; the cases run
    beside them still pass."""
    report = runs[defect.name]
    assert_defect_caught(report, defect)
    assert_passes(report, CONTROLS.get(defect.name, ()))


def test_certificates_come_from_config(tmp_path: Path) -> None:
    """OCTT's "configured certificate of the specified certificateType" is a ``[station]``
    key (here a PEM file path relative to the config file): the operator is asked to install
    that certificate, and TC_M_01_CSMS holds the CSMS to it."""
    bundled = Path(pytest_ocpp.__file__).parent / "data" / "test-mo-root-certificate.pem"
    (tmp_path / "mine.pem").write_text(bundled.read_text("utf-8"), "utf-8")
    config = tmp_path / "ocpp.toml"
    config.write_text('[station]\ncsms_root_certificate = "mine.pem"\n', "utf-8")
    with reference_csms(versions=("2.0.1",)) as csms:
        report = run_suite(
            tmp_path / "run",
            *csms.args,
            "--ocpp-version",
            "2.0.1",
            "--ocpp-config",
            str(config),
            ids=("TC_M_01_CSMS",),
            response_timeout=2,
            message_timeout=2,
        )
    assert_passes(report, ("TC_M_01_CSMS",))
    (case,) = report.cases
    sent = [e["text"] for e in case["trace"] if '"InstallCertificate"' in str(e.get("text", ""))]
    body = "".join(bundled.read_text("utf-8").split("\n")[1:3])
    assert sent and body[:40] in sent[0].replace("\\n", ""), sent


def test_firmware_signature_comes_from_config(tmp_path: Path) -> None:
    """<Configured signature> is ``[station] firmware_signature``: a CSMS sending another one
    fails TC_L_01_CSMS with the configured value in the message."""
    signature = "c2lnbmF0dXJlIGZyb20gdGhlIGNvbmZpZw=="
    config = tmp_path / "ocpp.toml"
    config.write_text(f'[station]\nfirmware_signature = "{signature}"\n', "utf-8")
    defect = Defect("v201_update_firmware_wrong_signature", ("TC_L_01_CSMS",), signature)
    report = csms201_defect_run(
        defect, (), tmp_path / "run", extra_args=("--ocpp-config", str(config))
    )
    verdict, message = report.verdicts["TC_L_01_CSMS"]
    assert verdict == FAIL, report.output
    assert f"firmware.signature <Configured signature> {signature}" in message
