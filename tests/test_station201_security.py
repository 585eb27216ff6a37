"""OCPP 2.0.1 block A (Security), Charging Station side: every case against the reference 2.0.1
station over real transport security on loopback, with a PKI generated here
(:mod:`pytest_ocpp.pki`), and the broken variants of its security table failing their cases.

Six pytest processes, four at once: the conformant station with security profile 1 (ws://, Basic
auth) and with profile 3 (wss://, client certificate), each running every TC_A_*_CS (what its
profile cannot run is not applicable, with that reason); then the defects, grouped so that one
run's defects break different cases (profile 1: ``a_password_kept``, ``a_upgrade_without_root``,
``a_upgrade_without_certificate``, ``a_lower_profiles_kept``, ``a_short_password_accepted``;
profile 3: ``a_untrusted_server_accepted``, ``a_old_tls_accepted``,
``a_invalid_certificate_silent``, ``a_sign_not_repeated``, ``a_downgrade_accepted``). The
profile 3 runs also serve two invalid server certificates of the test PKI to TC_A_05_CS
(expired; issued for another host) as ``[station] invalid_server_certificates``.

The profile 3 station has SecurityCtrlr.AdditionalRootCertificateCheck true (AS-2): the
conformant run also passes the four root-swap cases (TC_B_47/50_CS, TC_M_30/31_CS: a new CSMS
root, generated and signed by the old one, verified in a TLS handshake), and a fifth run breaks
them (``m_fallback_root_kept``: TC_M_30; ``m_no_root_fallback``: TC_M_31, TC_B_47), a sixth
``m_new_root_unused`` (TC_B_50).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from harness import (
    Defect,
    Report,
    Runs,
    assert_fails,
    assert_not_applicable,
    assert_passes,
    reference_station201,
    run_suite,
    start_runs,
)
from security_support import assert_issued_by_station_operator_sub_ca, signed_chains

from pytest_ocpp import pki

PASSWORD = "0123456789abcdefPW201SECRET"
"""The BasicAuthPassword of the profile 1 runs (27 characters)."""

ALL = (
    "TC_A_01_CS",
    "TC_A_04_CS",
    "TC_A_05_CS",
    "TC_A_06_CS",
    "TC_A_07_CS",
    "TC_A_09_CS",
    "TC_A_10_CS",
    "TC_A_11_CS",
    "TC_A_12_CS",
    "TC_A_13_CS",
    "TC_A_14_CS",
    "TC_A_15_CS",
    "TC_A_19_CS",
    "TC_A_20_CS",
    "TC_A_21_CS",
    "TC_A_22_CS",
    "TC_A_23_CS",
)
PROFILE_1 = ("TC_A_01_CS", "TC_A_09_CS", "TC_A_10_CS", "TC_A_19_CS", "TC_A_20_CS", "TC_A_21_CS")
PROFILE_3 = (
    "TC_A_04_CS",
    "TC_A_05_CS",
    "TC_A_06_CS",
    "TC_A_07_CS",
    "TC_A_11_CS",
    "TC_A_14_CS",
    "TC_A_15_CS",
    "TC_A_22_CS",
    "TC_A_23_CS",
)
EITHER = ("TC_A_12_CS",)
ROOT_SWAP = ("TC_B_47_CS", "TC_B_50_CS", "TC_M_30_CS", "TC_M_31_CS")
"""The root-swap cases: security profile 2/3 with AdditionalRootCertificateCheck true."""

DEFECTS_1 = (
    Defect("a_password_kept", ("TC_A_09_CS",), "former basic-auth password"),
    Defect("a_upgrade_without_root", ("TC_A_20_CS",), "A05.FR.02"),
    Defect("a_upgrade_without_certificate", ("TC_A_21_CS",), "A05.FR.03"),
    Defect("a_lower_profiles_kept", ("TC_A_19_CS",), "A05.FR.06"),
    Defect("a_short_password_accepted", ("TC_A_10_CS",), "at least 16"),
)
DEFECTS_3 = (
    Defect("a_untrusted_server_accepted", ("TC_A_05_CS",), "must deem it invalid"),
    Defect("a_old_tls_accepted", ("TC_A_06_CS",), "over TLS 1.1"),
    Defect("a_invalid_certificate_silent", ("TC_A_14_CS",), "InvalidChargingStationCertificate"),
    Defect("a_sign_not_repeated", ("TC_A_23_CS",), "A02.FR.17/18"),
    Defect("a_downgrade_accepted", ("TC_A_22_CS",), "B09.FR.04"),
)
DEFECTS_ROOTS = (
    Defect("m_fallback_root_kept", ("TC_M_30_CS",), "M05.FR.13"),
    Defect("m_no_root_fallback", ("TC_M_31_CS",), "M05.FR.14"),
    Defect("m_no_root_fallback", ("TC_B_47_CS",), "M05.FR.16"),
)
DEFECTS_NEW_ROOT = (Defect("m_new_root_unused", ("TC_B_50_CS",), "M05.FR.13"),)

TIMEOUTS: dict[str, float] = {
    "connect_timeout": 5,
    "response_timeout": 3,
    "message_timeout": 4,  # 2 s was missed once under -n 4 on 2 cores
    "reboot_timeout": 8,
    "operator_timeout": 5,
}


@dataclass(frozen=True)
class Pki:
    """The transport PKI of this file: a CSMS root with its server and station certificates,
    plus two server certificates a station must refuse (expired; issued for another host)."""

    ca: str
    server: tuple[str, str]
    client: tuple[str, str]
    expired: tuple[str, str]
    wrong_host: tuple[str, str]


def _write(folder: Path, name: str, certificate: Any, key: Any) -> tuple[str, str]:
    cert_path, key_path = folder / f"{name}-cert.pem", folder / f"{name}-key.pem"
    cert_path.write_text(pki.pem(certificate), "ascii")
    key_path.write_text(pki.key_pem(key), "ascii")
    key_path.chmod(0o600)
    return str(cert_path), str(key_path)


@pytest.fixture(scope="module")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki201")
    root = pki.authority("pytest-ocpp 2.0.1 security test CSMS Root")
    hosts = ["127.0.0.1", "localhost"]
    now = datetime.now(timezone.utc)
    ca = folder / "ca.pem"
    ca.write_text(root.pem, "ascii")
    return Pki(
        ca=str(ca),
        server=_write(folder, "csms", *pki.tls_leaf(root, hosts[0], server=True, hosts=hosts)),
        client=_write(folder, "station", *pki.tls_leaf(root, "CP_1", server=False)),
        expired=_write(
            folder,
            "expired",
            *pki.tls_leaf(
                root,
                hosts[0],
                server=True,
                hosts=hosts,
                not_before=now - timedelta(days=30),
                not_after=now - timedelta(days=1),
            ),
        ),
        wrong_host=_write(
            folder,
            "wrong-host",
            *pki.tls_leaf(
                root, "csms.elsewhere.example", server=True, hosts=["csms.elsewhere.example"]
            ),
        ),
    )


def station_options(profile: int, files: Pki) -> dict[str, Any]:
    """What a reference 2.0.1 station needs to connect under ``profile``: the password
    (profiles 1 and 2), the CSMS root to trust (2 and 3), its client certificate (3)."""
    options: dict[str, Any] = {"reconnect_delay": 0.3}
    if profile in (1, 2):
        options["basic_auth_password"] = PASSWORD
    if profile >= 2:
        options["tls_ca_file"] = files.ca
    if profile == 3:
        options["tls_cert_file"], options["tls_key_file"] = files.client
        options["variables"] = {"SecurityCtrlr.AdditionalRootCertificateCheck": "true"}
    return options


def security_run(
    profile: int, defects: tuple[str, ...], ids: tuple[str, ...], files: Pki, workdir: Path
) -> Report:
    args = ["--ocpp-security-profile", str(profile), "-v"]
    config = workdir / "ocpp.toml"
    workdir.mkdir(parents=True, exist_ok=True)
    station_keys = ["cert_signing_wait_minimum = 1"]
    if profile >= 2:
        args += [
            "--ocpp-tls-server-cert-file",
            files.server[0],
            "--ocpp-tls-server-key-file",
            files.server[1],
            "--ocpp-tls-ca-file",
            files.ca,
        ]
        pairs = ", ".join(f'["{c}", "{k}"]' for c, k in (files.expired, files.wrong_host))
        station_keys.append(f"invalid_server_certificates = [{pairs}]")
    config.write_text("[station]\n" + "\n".join(station_keys) + "\n", "utf-8")
    args += ["--ocpp-config", str(config)]
    env = {**os.environ, "OCPP_BASIC_AUTH_PASSWORD": PASSWORD}
    if profile == 3:
        env.pop("OCPP_BASIC_AUTH_PASSWORD")
    scheme = "wss" if profile >= 2 else "ws"
    options = station_options(profile, files)
    with reference_station201(defects, scheme=scheme, **options) as hosted:
        return run_suite(workdir, *hosted.args, *args, ids=ids, env=env, **TIMEOUTS)


def _cases(table: tuple[Defect, ...]) -> tuple[str, ...]:
    return tuple(sorted({case for defect in table for case in defect.cases}))


def _names(table: tuple[Defect, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(defect.name for defect in table))


JOBS = {
    "profile-1": lambda f: partial(security_run, 1, (), ALL + ROOT_SWAP, f),
    "profile-3": lambda f: partial(security_run, 3, (), ALL + ROOT_SWAP, f),
    "defects-1": lambda f: partial(security_run, 1, _names(DEFECTS_1), _cases(DEFECTS_1), f),
    "defects-3": lambda f: partial(security_run, 3, _names(DEFECTS_3), _cases(DEFECTS_3), f),
    "defects-roots": lambda f: partial(
        security_run, 3, _names(DEFECTS_ROOTS), _cases(DEFECTS_ROOTS), f
    ),
    "defects-new-root": lambda f: partial(
        security_run, 3, _names(DEFECTS_NEW_ROOT), _cases(DEFECTS_NEW_ROOT), f
    ),
}


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, test_pki: Pki
) -> Iterator[Runs]:
    jobs = {name: make(test_pki) for name, make in JOBS.items()}
    yield from start_runs(request, tmp_path_factory, jobs, workers=4)


def test_profile_1_conformant(runs: Runs) -> None:
    report = runs["profile-1"]
    assert_passes(report, PROFILE_1 + EITHER)
    assert_not_applicable(report, [c for c in PROFILE_3 if c != "TC_A_22_CS"], "security profile")
    assert_not_applicable(report, ["TC_A_13_CS"], "removed from the certification programme")
    assert_not_applicable(report, ["TC_A_22_CS"], "security profile 2 or 3")
    assert_not_applicable(report, ROOT_SWAP, "security profile")


def test_profile_3_conformant(runs: Runs) -> None:
    report = runs["profile-3"]
    assert_passes(report, PROFILE_3 + EITHER + ROOT_SWAP)
    assert_not_applicable(report, PROFILE_1, "security profile")


SIGNED_BY_THE_SUB_CA = ("TC_A_11_CS", "TC_A_14_CS", "TC_A_23_CS")
"""The cases whose CertificateSignedRequests the fake CSMS signs itself with the charging
station operator sub-CA (:meth:`~pytest_ocpp.csms.states201_security.SecurityStates201.
station_certificate_authority`; TC_A_11_CS through Memory State
RenewChargingStationCertificate)."""


def test_fake_csms_signs_with_a_station_operator_sub_ca(runs: Runs) -> None:
    """The certificates the fake CSMS signs come from the charging station operator sub-CA of
    its CSMS root, followed by that sub-CA (2.0.1 Part 2 §1.4.2, A00.FR.602): the reference
    station verified the path to the root it holds (TC_A_11_CS and TC_A_23_CS passed) and
    TC_A_14_CS's expired one fails for its validity period alone."""
    report = runs["profile-3"]
    for case in SIGNED_BY_THE_SUB_CA:
        chains = signed_chains(report, case)
        assert chains, f"{case}: no CertificateSignedRequest in its trace"
        for chain in chains:
            assert_issued_by_station_operator_sub_ca(chain, "pytest-ocpp Test CSMS Root CA")


def test_password_not_in_reports(runs: Runs) -> None:
    """Neither the configured password nor a generated <NewPassword> (TC_A_09) shows in the
    JSON report or the output of a profile 1 run."""
    report = runs["profile-1"]
    text = (report.workdir / "r.json").read_text("utf-8") + report.stdout + report.stderr
    assert PASSWORD not in text


@pytest.mark.parametrize("defect", DEFECTS_1, ids=str)
def test_profile_1_defect_fails_its_case(runs: Runs, defect: Defect) -> None:
    assert_fails(runs["defects-1"], defect.cases, defect.cause)


@pytest.mark.parametrize("defect", DEFECTS_3, ids=str)
def test_profile_3_defect_fails_its_case(runs: Runs, defect: Defect) -> None:
    assert_fails(runs["defects-3"], defect.cases, defect.cause)


@pytest.mark.parametrize(
    ("run", "defect"),
    [("defects-roots", d) for d in DEFECTS_ROOTS]
    + [("defects-new-root", d) for d in DEFECTS_NEW_ROOT],
    ids=lambda v: v if isinstance(v, str) else f"{v.name}-{v.cases[0]}",
)
def test_root_swap_defect_fails_its_case(runs: Runs, run: str, defect: Defect) -> None:
    assert_fails(runs[run], defect.cases, defect.cause)
