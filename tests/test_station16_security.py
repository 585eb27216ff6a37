"""The 1.6 station-side cases of the Security Whitepaper's messages (OCTT 1.6 Tables 88-99:
TC_073 ... TC_084 ``_CS``) against the reference charge point, on loopback, with real TLS and a
PKI generated here or by the run.

- a conformant station passes every case its profile allows and every other one is not
  applicable for the profile it lacks: profile 1 (ws://, basic auth; TC_083 upgrades to 2),
  profile 2 (wss://, the run's generated CA; TC_083 renews the certificate and upgrades to 3),
  profile 3 (client certificate); the certificates the fake CSMS signs come from the
  charging station operator sub-CA of its root, with that sub-CA in the chain;
- each broken variant of :data:`pytest_ocpp.reference.station_security.SECURITY_DEFECTS`
  fails the case it breaks, with a phrase of the broken rule (several defects share a run
  when they break different cases).

Seven pytest processes, four at a time, with short timeouts (about 15 s wall, 8 s CPU).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from harness import (
    Report,
    Runs,
    assert_fails,
    assert_not_applicable,
    assert_passes,
    reference_station,
    run_suite,
    start_runs,
)
from security_support import assert_issued_by_station_operator_sub_ca, signed_chains

from pytest_ocpp import pki

PASSWORD = "0123456789abcdefPWSECRET"
ALL = (
    "TC_073_CS",
    "TC_074_CS",
    "TC_075_1_CS",
    "TC_075_2_CS",
    "TC_076_CS",
    "TC_077_CS",
    "TC_078_CS",
    "TC_079_CS",
    "TC_080_CS",
    "TC_081_CS",
    "TC_083_CS",
    "TC_084_CS",
)
PROFILE_1 = ("TC_073_CS", "TC_079_CS", "TC_080_CS", "TC_081_CS", "TC_083_CS")
PROFILE_2 = ("TC_073_CS", "TC_075_1_CS", "TC_075_2_CS", "TC_076_CS", "TC_078_CS", "TC_083_CS")
PROFILE_2 += ("TC_084_CS",)
PROFILE_3 = ("TC_074_CS", "TC_077_CS", "TC_084_CS")
TIMEOUTS: dict[str, float] = {
    "connect_timeout": 5,
    "response_timeout": 3,
    "message_timeout": 2,
    "reboot_timeout": 4,
    "transfer_timeout": 4,
}


def run(profile: int, cases: tuple[str, ...], defects: tuple[str, ...], workdir: Path) -> Report:
    """``cases`` with the fake CSMS at ``profile`` and a reference station to match: profile 1
    ws:// and a password, profile 2 the run's generated CA (the station loads it from
    --ocpp-tls-ca-out once written), profile 3 a PKI made here with a client certificate."""
    args = ["--ocpp-security-profile", str(profile), "--ocpp-tls-ca-out", str(workdir / "ca.pem")]
    options: dict[str, Any] = {}
    if profile in (1, 2):
        options["basic_auth_password"] = PASSWORD
    if profile == 2:
        options["tls_ca_file"] = str(workdir / "ca.pem")
    if profile == 3:
        files = pki.write_tls_pki(workdir / "pki", ["127.0.0.1", "localhost"], "CP_1")
        args += [
            "--ocpp-tls-server-cert-file",
            files.server_cert_file,
            "--ocpp-tls-server-key-file",
            files.server_key_file,
            "--ocpp-tls-ca-file",
            files.ca_file,
        ]
        options.update(
            tls_ca_file=files.ca_file,
            tls_cert_file=files.client_cert_file,
            tls_key_file=files.client_key_file,
        )
    env = {**os.environ, "OCPP_BASIC_AUTH_PASSWORD": PASSWORD}
    scheme = "ws" if profile == 1 else "wss"
    with reference_station(defects, scheme=scheme, reconnect_max_delay=0.5, **options) as hosted:
        return run_suite(workdir, *hosted.args, *args, ids=cases, env=env, **TIMEOUTS)


JOBS = {
    "profile-1": partial(run, 1, ALL, ()),
    "profile-2": partial(run, 2, PROFILE_2, ()),
    "profile-3": partial(run, 3, PROFILE_3, ()),
    "defects-1": partial(
        run,
        1,
        ("TC_073_CS", "TC_079_CS", "TC_081_CS"),
        ("keeps_old_password", "no_security_log_upload", "installs_invalid_firmware_signature"),
    ),
    "defects-2": partial(
        run,
        2,
        ("TC_076_CS", "TC_078_CS", "TC_084_CS"),
        (
            "delete_certificate_keeps_listing",
            "no_invalid_certificate_event",
            "accepts_profile_downgrade",
        ),
    ),
    "defects-3-csr": partial(run, 3, ("TC_074_CS",), ("csr_ignores_cpo_name",)),
    "defects-3-event": partial(run, 3, ("TC_077_CS",), ("no_invalid_certificate_event",)),
}


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runs]:
    yield from start_runs(request, tmp_path_factory, JOBS, workers=4)


def test_profile_1_conformant(runs: Runs) -> None:
    """Profile 1: the password change, the security log, signed firmware (valid and invalid
    signature) and the upgrade to profile 2 over the same port pass; the certificate cases
    need TLS."""
    report = runs["profile-1"]
    assert_passes(report, PROFILE_1)
    assert_not_applicable(report, [c for c in ALL if c not in PROFILE_1], "security profile")


def test_profile_2_conformant(runs: Runs) -> None:
    """Profile 2: install, list and delete roots, the invalid CSMS root event, the upgrade to
    profile 3 (a renewed certificate first) and the refused downgrade pass."""
    assert_passes(runs["profile-2"], PROFILE_2)


def test_profile_3_conformant(runs: Runs) -> None:
    """Profile 3: the certificate renewal and reconnection with it, the invalid certificate
    event and the refused downgrade pass; there is no higher profile for TC_083."""
    assert_passes(runs["profile-3"], PROFILE_3)


def test_fake_csms_signs_with_a_station_operator_sub_ca(runs: Runs) -> None:
    """The tool's CA is a hierarchy (1.6 Whitepaper §2.6.2): the fake CSMS signs the station's
    CSR with the charging station operator sub-CA of its CSMS root and sends the certificate
    followed by that sub-CA (§5.1 certificateChain "can also contain the necessary sub CA
    certificates"). The reference station verified the path to the root it holds and
    reconnected with the certificate: TC_074_CS at profile 3, TC_083_CS's renewal at profile 2
    before the upgrade to 3 (both passed above)."""
    for run, case in (("profile-3", "TC_074_CS"), ("profile-2", "TC_083_CS")):
        chains = signed_chains(runs[run], case)
        assert chains, f"{case}: no CertificateSigned.req in its trace"
        for chain in chains:
            assert_issued_by_station_operator_sub_ca(chain, "pytest-ocpp Test CSMS Root CA")


def test_password_kept_fails_tc_073(runs: Runs) -> None:
    """... and neither password (the configured one, OCTT's new AuthorizationKey) appears in
    the report or the output of the run, its failure trace included."""
    report = runs["defects-1"]
    assert_fails(report, ["TC_073_CS"], "former basic-auth password")
    written = (report.workdir / "r.json").read_text("utf-8") + report.stdout + report.stderr
    for secret in (PASSWORD, "4F43415F4F4354545F61646D696E5F74657374"):
        assert secret not in written


def test_no_log_upload_fails_tc_079(runs: Runs) -> None:
    assert_fails(runs["defects-1"], ["TC_079_CS"], "LogStatusNotification.req status Uploading")


def test_invalid_signature_installed_fails_tc_081(runs: Runs) -> None:
    assert_fails(runs["defects-1"], ["TC_081_CS"], "status is InvalidSignature")


def test_deleted_certificate_still_listed_fails_tc_076(runs: Runs) -> None:
    assert_fails(runs["defects-2"], ["TC_076_CS"], "does not include the removed certificate")


def test_missing_security_event_fails_tc_078_and_077(runs: Runs) -> None:
    assert_fails(runs["defects-2"], ["TC_078_CS"], "InvalidCentralSystemCertificate")
    assert_fails(runs["defects-3-event"], ["TC_077_CS"], "InvalidChargePointCertificate")


def test_downgrade_accepted_fails_tc_084(runs: Runs) -> None:
    assert_fails(runs["defects-2"], ["TC_084_CS"], "not to a lower security profile")


def test_csr_without_cpo_name_fails_tc_074(runs: Runs) -> None:
    assert_fails(runs["defects-3-csr"], ["TC_074_CS"], "CpoName")
