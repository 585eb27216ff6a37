"""2.0.1 A. Security, CSMS under test (TC_A_01-A_19_CSMS): every case against the reference
CSMS on loopback with real TLS and a PKI generated here, and each defect of the block making
the cases it breaks fail with a phrase of the broken rule.

Two conformant runs cover the block: profile 2 (wss:// with Basic auth; the server also
verifies client certificates, so TC_A_19 can upgrade the station to profile 3) and profile 3
(client certificates). Defects that break different cases share a run.
"""

from __future__ import annotations

import base64
import json
import os
import re
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
    reference_csms,
    run_suite,
    start_runs,
)

from pytest_ocpp import pki

PASSWORD = "0123456789abcdefPWSECRET"
STATION = "CP_1"

PROFILE_2 = (
    "TC_A_01_CSMS",
    "TC_A_02_CSMS",
    "TC_A_03_CSMS",
    "TC_A_04_CSMS",
    "TC_A_06_CSMS",
    "TC_A_09_CSMS",
    "TC_A_10_CSMS",
    "TC_A_12_CSMS",
    "TC_A_13_CSMS",
    "TC_A_14_CSMS",
    "TC_A_19_CSMS",
)
"""What a profile 2 run passes (TC_A_19 upgrades the station to profile 3 and back)."""
PROFILE_3 = ("TC_A_04_CSMS", "TC_A_06_CSMS", "TC_A_07_CSMS", "TC_A_08_CSMS", "TC_A_11_CSMS")
"""What a profile 3 run passes beyond the cases of any profile (A_12-A_14 run in profile 2)."""
BASIC_AUTH = ("TC_A_01_CSMS", "TC_A_02_CSMS", "TC_A_03_CSMS", "TC_A_09_CSMS", "TC_A_10_CSMS")
CLIENT_CERT = ("TC_A_07_CSMS", "TC_A_08_CSMS", "TC_A_11_CSMS")
TIMEOUTS: dict[str, float] = {
    "connect_timeout": 4,
    "response_timeout": 2,
    "message_timeout": 2,
    "operator_timeout": 4,
}


def _run(
    profile: int, defects: tuple[str, ...], ids: tuple[str, ...], files: pki.TlsFiles, work: Path
) -> Report:
    """``ids`` against a reference CSMS (2.0.1) serving wss:// for ``profile``, with
    ``defects``. Profile 2 serves profile 3 too (client certificates verified when shown)."""
    options: dict[str, Any] = {
        "versions": ("2.0.1",),
        "tls_certificates": [
            (files.server_cert_file, files.server_key_file),
            (files.server_rsa_cert_file, files.server_rsa_key_file),
        ],
        "tls_client_ca_file": files.ca_file,
    }
    args = ["--ocpp-version", "2.0.1", "--ocpp-security-profile", str(profile)]
    args += ["--ocpp-tls-ca-file", files.ca_file]
    if profile == 2:
        options["basic_auth"] = {STATION: PASSWORD}
        options["tls_client_certificate_optional"] = True
    else:
        args += ["--ocpp-tls-cert-file", files.client_cert_file]
        args += ["--ocpp-tls-key-file", files.client_key_file]
    env = {**os.environ, "OCPP_BASIC_AUTH_PASSWORD": PASSWORD}
    with reference_csms(list(defects), **options) as csms:
        return run_suite(work, *csms.args, *args, ids=ids, env=env, **TIMEOUTS)


#: run name -> (profile, defects, cases)
JOBS: dict[str, tuple[int, tuple[str, ...], tuple[str, ...]]] = {
    "profile-2": (2, (), PROFILE_2 + CLIENT_CERT),
    "profile-3": (3, (), PROFILE_3 + BASIC_AUTH + ("TC_A_19_CSMS",)),
    # one run each where the defects break different cases
    "handshake-2": (
        2,
        ("accept_other_basic_auth_user", "accept_wrong_password", "accept_tls_below_1_2"),
        ("TC_A_02_CSMS", "TC_A_03_CSMS", "TC_A_06_CSMS"),
    ),
    "password-a": (
        2,
        ("v201_password_change_ignored", "v201_certificate_signed_not_sent"),
        ("TC_A_09_CSMS", "TC_A_14_CSMS"),
    ),
    "password-b": (
        2,
        ("v201_password_changed_on_rejected", "v201_network_profile_lower"),
        ("TC_A_10_CSMS", "TC_A_19_CSMS"),
    ),
    # alone: the CSMS cuts the password it is asked to restore too, so later cases fail
    "password-c": (2, ("v201_basic_auth_password_short",), ("TC_A_09_CSMS",)),
    "floor-2": (2, ("v201_lower_profile_still_accepted",), ("TC_A_19_CSMS",)),
    "signing-3": (
        3,
        ("v201_sign_certificate_other_station", "accept_unverified_client_certificate"),
        ("TC_A_11_CSMS", "TC_A_08_CSMS"),
    ),
    "signing-key-3": (3, ("v201_certificate_signed_other_key",), ("TC_A_11_CSMS",)),
}


PROVEN_DEFECTS = frozenset(name for _, defects, _ in JOBS.values() for name in defects)
"""What this file proves (read by test_csms201_defects.py's covered-or-excused check)."""


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runs]:
    folder = tmp_path_factory.mktemp("pki201")
    files = pki.write_tls_pki(folder, ["127.0.0.1", "localhost"], STATION)
    jobs = {
        name: partial(_run, profile, defects, ids, files)
        for name, (profile, defects, ids) in JOBS.items()
    }
    yield from start_runs(request, tmp_path_factory, jobs, workers=4)


def test_profile_2_every_case_passes(runs: Runs) -> None:
    """Basic auth, TLS, the password change, the signing cases and the upgrade to profile 3
    (and back: the later cases of the run connect with profile 2 again)."""
    report = runs["profile-2"]
    assert_passes(report, PROFILE_2)
    assert_not_applicable(report, CLIENT_CERT, "security profile 3")
    assert report.returncode == 0, report.output


def test_profile_3_every_case_passes(runs: Runs) -> None:
    report = runs["profile-3"]
    assert_passes(report, PROFILE_3)
    assert_not_applicable(report, BASIC_AUTH, "security profile 1 or 2")
    assert_not_applicable(report, ["TC_A_19_CSMS"], "a profile to upgrade from")


def test_no_password_in_the_report_or_output(runs: Runs) -> None:
    """The configured password and its Basic token are masked everywhere, and so are the new
    BasicAuthPasswords of TC_A_09/A_10 (SetVariablesRequest attributeValue) in every trace."""
    report = runs["profile-2"]
    raw = (report.workdir / "r.json").read_text("utf-8")
    text = raw + report.stdout + report.stderr
    assert PASSWORD not in text
    assert base64.b64encode(f"{STATION}:{PASSWORD}".encode()).decode() not in text
    values = [
        value
        for case in json.loads(raw)["cases"]
        for entry in case["trace"]
        if "BasicAuthPassword" in entry["text"]
        for value in re.findall(r'"attributeValue": ?"([^"]*)"', entry["text"])
    ]
    assert values and set(values) == {"***"}, values


def test_wrong_user_password_and_tls_1_1_accepted_fail(runs: Runs) -> None:
    report = runs["handshake-2"]
    assert_fails(report, ["TC_A_02_CSMS"], "A00.FR.204/207")
    assert_fails(report, ["TC_A_03_CSMS"], "a random password")
    assert_fails(report, ["TC_A_06_CSMS"], "below TLS 1.2")


def test_unverified_client_certificate_fails_tc_a_08(runs: Runs) -> None:
    assert_fails(runs["signing-3"], ["TC_A_08_CSMS"], "CA it does not trust")


def test_password_change_ignored_and_no_certificate_signed_fail(runs: Runs) -> None:
    report = runs["password-a"]
    assert_fails(report, ["TC_A_09_CSMS"], "A01.FR.03")
    assert_fails(report, ["TC_A_14_CSMS"], "CertificateSignedRequest")


def test_password_changed_on_reject_and_lower_profile_fail(runs: Runs) -> None:
    report = runs["password-b"]
    assert_fails(report, ["TC_A_10_CSMS"], "A01.FR.04")
    assert_fails(report, ["TC_A_19_CSMS"], "securityProfile 3")


def test_short_password_fails_tc_a_09(runs: Runs) -> None:
    assert_fails(runs["password-c"], ["TC_A_09_CSMS"], "A00.FR.205")


def test_certificate_for_another_station_fails_tc_a_11(runs: Runs) -> None:
    assert_fails(runs["signing-3"], ["TC_A_11_CSMS"], "subject")


def test_certificate_for_another_key_fails_tc_a_11(runs: Runs) -> None:
    assert_fails(runs["signing-key-3"], ["TC_A_11_CSMS"], "public key of our CSR")


def test_lower_profile_still_accepted_fails_tc_a_19(runs: Runs) -> None:
    assert_fails(runs["floor-2"], ["TC_A_19_CSMS"], "A05.FR.07")
