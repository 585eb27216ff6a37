"""No secret in any artefact of a run of the security message cases (issue 17 point 5), the
broad proof: the cases that set new passwords / AuthorizationKeys, sign certificates and
install certificates, both OCPP versions, both roles, against the references on loopback with
real TLS, every artefact a run can leave (JSON and Markdown reports, JUnit, Allure results,
``--ocpp-trace-dir`` files, the output with ``-rA`` and DEBUG logs).

What is searched for, everywhere: the configured password, its Basic token (``CP_1:<password>``
base64) and its hex form; every password the cases made a reference take, read from the
reference itself (an observer records what the CSMS or station was set to, including the fixed
OCTT AuthorizationKey of TC_073_CS), in the same three forms; and one base64 line of each
private key the test can read: the transport PKI made here, the PKI the run generates (written
outside the run's directory) and the key a reference station made for the certificate the run
signed. The keys our fake station makes for its own CSRs stay inside the run's process and are
not readable here; masking catches any PEM private key block whatever its origin
(tests/test_masking.py).

Three pytest processes at once, short timeouts (about 15 s wall).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from harness import (
    Report,
    assert_passes,
    free_port,
    operator_command,
    run_suite,
)

from pytest_ocpp import pki
from pytest_ocpp.config import IdTags
from pytest_ocpp.embedded import reference_id_tags
from pytest_ocpp.reference.csms import ReferenceCsms
from pytest_ocpp.reference.runner import BackgroundLoop
from pytest_ocpp.reference.station import ReferenceStation
from pytest_ocpp.reference.station201 import ReferenceStation201

STATION = "CP_1"
PASSWORD = "0123456789abcdefLEAKCHECK"
"""The configured password of every run here (25 characters)."""

ARTEFACTS = (
    "--alluredir=allure-results",
    "--junitxml=junit.xml",
    "--ocpp-report-md=report.md",
    "--ocpp-trace-dir=traces",
    "--log-level=DEBUG",
    "-rA",
)
"""Every artefact a run can leave, relative to its working directory, and every captured log
(websockets logs the upgrade's headers at DEBUG)."""

CSMS_CASES = (
    "TC_073_CSMS",
    "TC_074_CSMS",
    "TC_075_1_CSMS",
    "TC_075_2_CSMS",
    "TC_085_CSMS",
    "TC_A_03_CSMS",
    "TC_A_09_CSMS",
    "TC_A_10_CSMS",
    "TC_A_19_CSMS",
)
"""CSMS under test, profile 2: new AuthorizationKey / BasicAuthPassword (and the wrong ones
the CSMS must refuse), the CSR the CSMS signs, certificates it installs, the upgrade to
profile 3 with a certificate it signs."""
CS16_CASES = ("TC_073_CS", "TC_075_1_CS", "TC_075_2_CS", "TC_083_CS", "TC_085_CS")
"""1.6 station under test, profile 2: the new AuthorizationKey, certificates installed, a
certificate signed for the station (TC_083_CS renews it before the upgrade to profile 3)."""
CS201_CASES = ("TC_A_01_CS", "TC_A_09_CS", "TC_A_10_CS")
"""2.0.1 station under test, profile 1: new BasicAuthPasswords, accepted and rejected."""

TIMEOUTS: dict[str, float] = {
    "connect_timeout": 5,
    "response_timeout": 3,
    "message_timeout": 3,
    "operator_timeout": 5,
    "reboot_timeout": 6,
    "transfer_timeout": 4,
}


# -- observing what the references were set to -----------------------------------------------
class ObservedCsms(ReferenceCsms):
    """The reference CSMS, noting every Basic password a station's accepted change gave it
    (1.6 AuthorizationKey, 2.0.1 BasicAuthPassword, and the configured one put back)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.passwords: list[tuple[str, str]] = []

    def change_password(self, station_id: str, password: str, *, keep_former: bool = False) -> None:
        self.passwords.append((station_id, password))
        super().change_password(station_id, password, keep_former=keep_former)


def _observe_passwords(cls: type) -> type:
    """``cls`` (a reference station) noting every value its ``basic_auth_password`` takes."""

    class Observed(cls):  # type: ignore[misc,valid-type]
        def __setattr__(self, name: str, value: Any) -> None:
            if name == "basic_auth_password" and value:
                self.__dict__.setdefault("passwords", []).append(value)
            super().__setattr__(name, value)

    Observed.__name__ = f"Observed{cls.__name__}"
    return Observed


ObservedStation = _observe_passwords(ReferenceStation)
ObservedStation201 = _observe_passwords(ReferenceStation201)


# -- the runs ------------------------------------------------------------------------------------
@dataclass
class Run:
    """One run and what the test knows of its secrets."""

    report: Report
    passwords: list[tuple[str, str]] = field(default_factory=list)
    """(station id, password) the references were set to during the run."""
    keys: list[Path] = field(default_factory=list)
    """Private key files of the run's PKI and of the references."""


def _key_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.pem") if "PRIVATE KEY" in p.read_text("ascii"))


def _env() -> dict[str, str]:
    return {**os.environ, "OCPP_BASIC_AUTH_PASSWORD": PASSWORD}


def csms_run(files: pki.TlsFiles, workdir: Path) -> Run:
    """Both versions' CSMS-side cases against a reference CSMS at profile 2 (profile 3 on the
    same endpoint for TC_A_19's upgrade)."""
    csms = ObservedCsms(
        versions=("1.6", "2.0.1"),
        id_tags=reference_id_tags(IdTags()),
        response_timeout=5.0,
        basic_auth={STATION: PASSWORD},
        tls_certificates=[
            (files.server_cert_file, files.server_key_file),
            (files.server_rsa_cert_file, files.server_rsa_key_file),
        ],
        tls_client_ca_file=files.ca_file,
        tls_client_certificate_optional=True,
    )
    with BackgroundLoop("csms-secrets") as loop:
        loop.run(csms.start())
        try:
            report = run_suite(
                workdir,
                "--ocpp-target",
                csms.url,
                "--ocpp-csms-operator",
                operator_command(csms.control_url),
                "--ocpp-version",
                "1.6,2.0.1",
                "--ocpp-security-profile",
                "2",
                "--ocpp-tls-ca-file",
                files.ca_file,
                *ARTEFACTS,
                ids=CSMS_CASES,
                env=_env(),
                **TIMEOUTS,
            )
        finally:
            loop.run(csms.stop())
    return Run(report, list(csms.passwords))


def _hosted_station(
    station: Any, workdir: Path, args: tuple[str, ...], ids: tuple[str, ...], port: int
) -> Report:
    with BackgroundLoop(f"station-secrets-{port}") as loop:
        loop.run(station.start())
        try:
            return run_suite(
                workdir,
                "--ocpp-listen",
                f"127.0.0.1:{port}",
                "--ocpp-station-operator",
                operator_command(station.control_url),
                *args,
                *ARTEFACTS,
                ids=ids,
                env=_env(),
                **TIMEOUTS,
            )
        finally:
            loop.run(station.stop())


def cs16_run(pki_dir: Path, workdir: Path) -> Run:
    """The 1.6 station-side cases at profile 2 with the CA the run generates (written to
    ``pki_dir``, outside the run's directory, which the station loads once it exists)."""
    port = free_port()
    ca_out = pki_dir / "ca.pem"
    station = ObservedStation(
        csms_url=f"wss://127.0.0.1:{port}/ocpp",
        basic_auth_password=PASSWORD,
        tls_ca_file=str(ca_out),
        control_port=0,
        response_timeout=5.0,
        reconnect_max_delay=0.5,
    )
    args = ("--ocpp-version", "1.6", "--ocpp-security-profile", "2")
    args += ("--ocpp-tls-ca-out", str(ca_out))
    report = _hosted_station(station, workdir, args, CS16_CASES, port)
    keys = _key_files(pki_dir)
    if station.tls_key_file:  # the key of the certificate TC_083_CS had signed
        keys.append(Path(station.tls_key_file))
    passwords = [(STATION, p) for p in station.__dict__.get("passwords", [])]
    return Run(report, passwords, keys)


def cs201_run(workdir: Path) -> Run:
    """The 2.0.1 station-side password cases at profile 1."""
    port = free_port()
    station = ObservedStation201(
        f"ws://127.0.0.1:{port}/ocpp",
        STATION,
        basic_auth_password=PASSWORD,
        control_port=0,
        response_timeout=5.0,
        reconnect_delay=0.5,
    )
    args = ("--ocpp-version", "2.0.1", "--ocpp-security-profile", "1")
    report = _hosted_station(station, workdir, args, CS201_CASES, port)
    return Run(report, [(STATION, p) for p in station.__dict__.get("passwords", [])])


@dataclass(frozen=True)
class Runs:
    csms: Run
    cs16: Run
    cs201: Run
    transport_keys: list[Path]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    folder = tmp_path_factory.mktemp("pki")
    files = pki.write_tls_pki(folder / "transport", ["127.0.0.1", "localhost"], STATION)
    jobs: dict[str, Callable[[], Run]] = {
        "csms": lambda: csms_run(files, tmp_path_factory.mktemp("csms")),
        "cs16": lambda: cs16_run(folder / "generated", tmp_path_factory.mktemp("cs16")),
        "cs201": lambda: cs201_run(tmp_path_factory.mktemp("cs201")),
    }
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        done = {name: future.result(timeout=240) for name, future in futures.items()}
    yield Runs(done["csms"], done["cs16"], done["cs201"], _key_files(folder / "transport"))


# -- what is searched for --------------------------------------------------------------------
def password_forms(station_id: str, password: str) -> dict[str, str]:
    """A password as it could leak: as is, hex (a 1.6 AuthorizationKey is often the hex of
    the password, OCTT TC_073_CS), hex decoded when it is hex of text (the OCTT key's
    "OCA_OCTT_admin_test"), base64, and the Basic token of its upgrade request."""
    forms = {
        "plain": password,
        "hex": password.encode().hex(),
        "HEX": password.encode().hex().upper(),
        "base64": base64.b64encode(password.encode()).decode(),
        "Basic token": base64.b64encode(f"{station_id}:{password}".encode()).decode(),
    }
    try:
        decoded = bytes.fromhex(password).decode()
    except ValueError:
        decoded = ""
    if decoded.isprintable() and len(decoded) >= 6:
        forms["hex decoded"] = decoded
    return forms


def key_line(path: Path) -> str:
    """A full base64 line of the PEM private key in ``path`` (its first body line)."""
    lines = path.read_text("ascii").splitlines()
    return next(line for line in lines[1:] if len(line) == 64)


def artefacts(report: Report) -> dict[str, str]:
    """Every file the run wrote and its output, by name."""
    texts = {"output": report.stdout + report.stderr}
    for path in report.workdir.rglob("*"):
        if path.is_file():
            texts[str(path.relative_to(report.workdir))] = path.read_text("utf-8", "replace")
    return texts


def test_every_run_passes_and_writes_every_artefact(runs: Runs) -> None:
    """The proof below is only worth something if the cases ran (and set the passwords) and
    every kind of artefact exists."""
    for run, cases in (
        (runs.csms, CSMS_CASES),
        (runs.cs16, CS16_CASES),
        (runs.cs201, CS201_CASES),
    ):
        assert_passes(run.report, cases)
        written = {str(p.relative_to(run.report.workdir)) for p in run.report.workdir.rglob("*")}
        assert {"junit.xml", "report.md", "r.json"} <= written, written
        assert any(n.endswith("-result.json") for n in written), "no Allure result written"
        assert any(n.startswith("traces/") and n.endswith(".jsonl") for n in written), written
        assert "DEBUG" in run.report.stdout, "no DEBUG log captured in the output"


def test_the_cases_set_new_passwords_and_made_keys(runs: Runs) -> None:
    """Each run changed passwords (the new ones differ from the configured one) and there is
    key material of every origin to search for."""
    for run in (runs.csms, runs.cs16, runs.cs201):
        new = {password for _, password in run.passwords} - {PASSWORD}
        assert new, f"{run.report.workdir.name}: no new password was set: {run.passwords}"
    octt_key = b"OCA_OCTT_admin_test".hex().upper()
    assert octt_key in {p for _, p in runs.cs16.passwords}, "TC_073_CS's AuthorizationKey"
    assert len(runs.transport_keys) == 3, runs.transport_keys  # EC and RSA server, station
    names = {p.name for p in runs.cs16.keys}
    assert {"csms-key.pem", "csms-rsa-key.pem", "station-key.pem"} <= names, names
    assert "charge-point-key.pem" in names, "the reference station's renewed key (TC_083_CS)"


def test_no_secret_in_any_artefact(runs: Runs) -> None:
    """Not one of the passwords (configured or set by a case, in any of its forms) and not one
    line of a private key is in any file the runs wrote or in their output."""
    secrets: dict[str, str] = {}
    everything = [runs.csms, runs.cs16, runs.cs201]
    passwords = {(STATION, PASSWORD)} | {entry for run in everything for entry in run.passwords}
    for station_id, password in sorted(passwords):
        for form, text in password_forms(station_id, password).items():
            secrets[text] = f"{form} of a password set for {station_id}"
    for path in [*runs.transport_keys, *runs.cs16.keys]:
        secrets[key_line(path)] = f"a line of the private key {path.name}"
    for run in everything:
        for where, text in artefacts(run.report).items():
            for secret, what in secrets.items():
                assert secret not in text, f"{run.report.workdir.name}: {what} is in {where}"
