"""The 1.6 Security Whitepaper message cases, Central System under test (issue 17, block H2):
TC_073-TC_081 ``_CSMS`` and the provisional TC_083/TC_088_CSMS against the reference CSMS on
loopback, with a PKI generated here (:mod:`pytest_ocpp.pki`).

- conformant, profile 2 (TLS + Basic auth, client certificates optional on the same endpoint):
  every case passes; TC_074 says in a warning that its reconnection with the new certificate
  needs profile 3; TC_083 upgrades a second station id to profile 3;
- conformant, profile 3 (client certificates): TC_074 reconnects with the certificate the
  reference signed, TC_077 passes, TC_073 is not applicable (no Basic authentication);
- four defect runs, each defect breaking a different case of its run (several defects per
  run, ``-k`` only their cases): each case fails with a phrase of the broken rule;
- the README's ``--ocpp-reference --ocpp-security-profile=2`` run: TC_083 needs no setting.

Seven pytest processes, three at a time, with short timeouts.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from harness import (
    Defect,
    Report,
    assert_defect_caught,
    assert_fails,
    assert_not_applicable,
    assert_passes,
    reference_csms,
    run_suite,
    runs_fixture,
)

from pytest_ocpp import pki
from pytest_ocpp.reference.csms.security16 import cpo_root_pem

PASSWORD = "0123456789abcdefH2SECRET"
"""The configured AuthorizationKey of every run here (A00.FR.205: 16 to 40 characters)."""

CASES = (
    "TC_073_CSMS",
    "TC_074_CSMS",
    "TC_083_CSMS",
    "TC_075_1_CSMS",
    "TC_075_2_CSMS",
    "TC_076_CSMS",
    "TC_077_CSMS",
    "TC_078_CSMS",
    "TC_079_CSMS",
    "TC_080_CSMS",
    "TC_081_CSMS",
    "TC_088_CSMS",
)
UPGRADED = "CP_UP"
"""The station id TC_083_CSMS upgrades to profile 3 ([station] upgrade_station_id)."""

PROFILE_3_CASES = ("TC_073_CSMS", "TC_074_CSMS", "TC_077_CSMS")

#: Each run: (profile, defects), and the defects' cases and phrases.
DEFECT_RUNS: dict[str, tuple[int, tuple[Defect, ...]]] = {
    "defects-a": (
        1,
        (
            Defect("keep_old_password", ("TC_073_CSMS",), "refused the reconnection with the new"),
            Defect("sign_csr_for_other_station", ("TC_074_CSMS",), "is not this Charge Point"),
            Defect("get_log_diagnostics_type", ("TC_079_CSMS",), "logType SecurityLog"),
            Defect(
                "signed_update_firmware_other_signature",
                ("TC_080_CSMS",),
                "firmware.signature the configured signature",
            ),
            Defect(
                "invalid_signature_status_call_error",
                ("TC_081_CSMS",),
                "SignedFirmwareStatusNotification result was expected",
            ),
            Defect("echo_unsupported_subprotocol", ("TC_088_CSMS",), "Step 2: no upgrade"),
            Defect(
                "security_event_call_error",
                ("TC_077_CSMS",),
                "SecurityEventNotification result was expected",
            ),
        ),
    ),
    "defects-b": (
        1,
        (
            Defect("accept_former_password", ("TC_073_CSMS",), "A01.FR.03"),
            Defect("certificate_signed_wrong_key", ("TC_074_CSMS",), "public key of our CSR"),
            Defect("log_status_call_error", ("TC_079_CSMS",), "LogStatusNotification result was"),
            Defect("accept_unsupported_subprotocol", ("TC_088_CSMS",), "immediate close"),
            Defect("delete_certificate_other_serial", ("TC_076_CSMS",), "differs in serialNumber"),
        ),
    ),
    "defects-c": (
        2,
        (
            Defect(
                "install_certificate_wrong_type",
                ("TC_075_1_CSMS", "TC_075_2_CSMS", "TC_078_CSMS"),
                "InstallCertificate.req certificateType",
            ),
            Defect("forget_security_profile_upgrade", ("TC_083_CSMS",), "A05.FR.09"),
        ),
    ),
    "defects-d": (
        3,
        (
            Defect(
                "distrust_signed_certificates",
                ("TC_074_CSMS",),
                "Step 7: the Central System refused the connection with the certificate",
            ),
        ),
    ),
}

TIMEOUTS: dict[str, float] = {
    "connect_timeout": 5,
    "response_timeout": 2,
    "message_timeout": 2,
    "operator_timeout": 8,
    "reboot_timeout": 5,
}


def _run(profile: int, defects: tuple[str, ...], ids: tuple[str, ...], workdir: Path) -> Report:
    """``ids`` against a reference CSMS with ``defects``, set up for ``profile`` with a TLS PKI
    generated here; the config names the reference's CPO root, so TC_074/TC_077 judge the
    signed certificate's hierarchy."""
    workdir.mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = {"versions": ("1.6",)}
    args = ["--ocpp-security-profile", str(profile), "--ocpp-version", "1.6"]
    if profile in (1, 2):
        options["basic_auth"] = {"CP_1": PASSWORD, UPGRADED: PASSWORD}
    if profile in (2, 3):
        # Profile 2 serves profile 3 on the same endpoint (client certificates optional), so
        # TC_083 can upgrade its station; our station shows the client certificate either way.
        files = pki.write_tls_pki(workdir / "pki", ["127.0.0.1"], "CP_1")
        options["tls_certificates"] = [(files.server_cert_file, files.server_key_file)]
        options["tls_client_ca_file"] = files.ca_file
        options["tls_client_certificate_optional"] = profile == 2
        args += [
            "--ocpp-tls-ca-file",
            files.ca_file,
            "--ocpp-tls-cert-file",
            files.client_cert_file,
            "--ocpp-tls-key-file",
            files.client_key_file,
        ]
    root = workdir / "cpo-root.pem"
    root.write_text(cpo_root_pem(), "ascii")
    config = workdir / "ocpp.toml"
    config.write_text(
        f'[station]\ncpo_root_certificate = "{root}"\nupgrade_station_id = "{UPGRADED}"\n',
        "utf-8",
    )
    args += ["--ocpp-config", str(config)]
    env = {**os.environ, "OCPP_BASIC_AUTH_PASSWORD": PASSWORD}
    with reference_csms(list(defects), **options) as csms:
        return run_suite(workdir, *csms.args, *args, ids=ids, env=env, **TIMEOUTS)


def _reference_run(workdir: Path) -> Report:
    """The README's reference command at profile 2 (``--ocpp-reference
    --ocpp-security-profile=2``, no config file): the run generates its PKI (written under
    ``workdir``) and wires the embedded reference CSMS itself."""
    env = {**os.environ, "OCPP_BASIC_AUTH_PASSWORD": PASSWORD}
    return run_suite(
        workdir,
        "--ocpp-reference",
        "--ocpp-version",
        "1.6",
        "--ocpp-security-profile",
        "2",
        "--ocpp-tls-ca-out",
        str(workdir / "pki" / "ca.pem"),
        ids=("TC_083_CSMS", "TC_085_CSMS", "TC_086_CSMS"),
        env=env,
        **TIMEOUTS,
    )


JOBS = {
    "reference-2": _reference_run,
    "conformant-2": partial(_run, 2, (), CASES),
    "conformant-3": partial(_run, 3, (), PROFILE_3_CASES),
    **{
        name: partial(
            _run,
            profile,
            tuple(d.name for d in defects),
            tuple(case for d in defects for case in d.cases),
        )
        for name, (profile, defects) in DEFECT_RUNS.items()
    },
}

runs = runs_fixture(JOBS, workers=3)


def test_every_case_passes_against_the_conformant_reference_at_profile_2(runs: Any) -> None:
    report = runs["conformant-2"]
    assert_passes(report, CASES)
    assert report.returncode == 0, report.output
    tc_074 = next(c for c in report.cases if c["id"] == "TC_074_CSMS")
    assert "step 7 not judged" in str(tc_074), tc_074


def test_tc_083_runs_with_the_reference_wiring_alone(runs: Any) -> None:
    """With --ocpp-reference the run provides what TC_083_CSMS needs, a spare station id the
    reference CSMS knows and the client certificate generated for the run: it passes, and the
    run's own station still authenticates as before (TC_085/086)."""
    report = runs["reference-2"]
    assert_passes(report, ["TC_083_CSMS", "TC_085_CSMS", "TC_086_CSMS"])
    assert report.returncode == 0, report.output


def test_tc_074_reconnects_with_the_signed_certificate_at_profile_3(runs: Any) -> None:
    report = runs["conformant-3"]
    assert_passes(report, ["TC_074_CSMS", "TC_077_CSMS"])
    assert_not_applicable(report, ["TC_073_CSMS"], "security profile 1 or 2")


@pytest.mark.parametrize(
    "run, defect",
    [(name, defect) for name, (_, defects) in DEFECT_RUNS.items() for defect in defects],
    ids=lambda value: str(value),
)
def test_defect_fails_its_cases(runs: Any, run: str, defect: Defect) -> None:
    report = runs[run]
    assert_fails(report, defect.cases, defect.cause)


def test_each_defect_run_fails_only_through_its_defects(runs: Any) -> None:
    for name, (_, defects) in DEFECT_RUNS.items():
        for defect in defects:
            assert_defect_caught(runs[name], defect)
