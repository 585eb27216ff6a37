"""Security profiles 1-3 in both roles (issue 17, the transport block): real TLS on loopback
with a PKI generated here (:mod:`pytest_ocpp.pki`).

- TC_085/086/087 ``_CSMS`` pass against the reference CSMS configured for their profile and
  fail against its broken variants (a wrong password accepted; no client certificate
  accepted under profile 3); ``_CS`` likewise against the reference station (no basic-auth
  header; an untrusted server certificate accepted);
- a wrong CA, an expired certificate, a host name mismatch, a missing client certificate, a
  wrong password and ws:// to a wss:// endpoint each fail :func:`pytest_ocpp.transport.connect`
  with one sentence naming the cause;
- a profile that does not fit the settings is a usage error;
- the security settings act the same from ``[ocpp]`` of the config file as from options;
- with --ocpp-tls-insecure every report says so at run level, and TC_086_CSMS is not
  applicable;
- the basic-auth password appears in no report and no output of a profile 1 or 2 run (the
  broader proof over the message cases is tests/test_security_secrets.py).

Fifteen pytest processes in all (twelve suite runs, four at a time, and three short runs that
end in a usage error or collect nothing), with short timeouts.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from harness import (
    Report,
    Runs,
    assert_fails,
    assert_not_applicable,
    assert_passes,
    free_port,
    reference_csms,
    reference_station,
    run_pytest,
    run_suite,
    start_runs,
)
from websockets.asyncio.server import serve

from pytest_ocpp import pki, security
from pytest_ocpp.config import ConfigError, Timeouts, TlsSettings, build_config
from pytest_ocpp.link import connect
from pytest_ocpp.verdicts import ConnectFailed

PASSWORD = "0123456789abcdefPWSECRET"
"""The AuthorizationKey of every run here: 24 characters (A00.FR.205: 16 to 40)."""

CSMS_CASES = ("TC_085_CSMS", "TC_086_CSMS", "TC_087_CSMS")
CS_CASES = ("TC_085_CS", "TC_086_CS", "TC_087_CS")
TIMEOUTS: dict[str, float] = {
    "connect_timeout": 5,
    "response_timeout": 3,
    "message_timeout": 2,
    "reboot_timeout": 8,
}


# -- the PKI of this file ----------------------------------------------------------------------
@dataclass(frozen=True)
class Pki:
    """Files of the test PKI: the run's CA and certificates, and a second, foreign CA."""

    files: pki.TlsFiles
    foreign: pki.TlsFiles
    folder: Path

    @property
    def servers(self) -> list[tuple[str, str]]:
        return [
            (self.files.server_cert_file, self.files.server_key_file),
            (self.files.server_rsa_cert_file, self.files.server_rsa_key_file),
        ]


@pytest.fixture(scope="module")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    return Pki(
        files=pki.write_tls_pki(folder / "run", ["127.0.0.1", "localhost"], "CP_1"),
        foreign=pki.write_tls_pki(folder / "foreign", ["127.0.0.1"], "CP_1"),
        folder=folder,
    )


# -- hosting the references with TLS -----------------------------------------------------------
def _options(**extra: float) -> dict[str, float]:
    return {**TIMEOUTS, **extra}


def csms_run(
    profile: int,
    defects: tuple[str, ...],
    files: Pki | None,
    workdir: Path,
    extra: tuple[str, ...] = (),
    plain_target: bool = False,
) -> Report:
    """The three ``_CSMS`` cases against a reference CSMS set up for ``profile``;
    ``plain_target``: its wss:// URL given as ws:// (profile 1's settings), a user's slip."""
    options: dict[str, Any] = {"versions": ("1.6",)}
    args = ["--ocpp-security-profile", str(profile), "-v"]
    if profile in (1, 2):
        options["basic_auth"] = {"CP_1": PASSWORD}
    if profile in (2, 3):
        assert files is not None
        options["tls_certificates"] = files.servers
        args += ["--ocpp-tls-ca-file", files.files.ca_file]
    if profile == 3:
        assert files is not None
        options["tls_client_ca_file"] = files.files.ca_file
        args += [
            "--ocpp-tls-cert-file",
            files.files.client_cert_file,
            "--ocpp-tls-key-file",
            files.files.client_key_file,
        ]
    args += extra
    env = {**os.environ, "OCPP_BASIC_AUTH_PASSWORD": PASSWORD}
    with reference_csms(list(defects), **options) as csms:
        target = list(csms.args)
        if plain_target:
            target = [a.replace("wss://", "ws://") for a in target]
            args = ["--ocpp-security-profile", "1", "-v"]
        return run_suite(
            workdir, *target, *args, ids=CSMS_CASES, env=env, **_options(operator_timeout=5)
        )


def cs_run(
    profile: int,
    defects: tuple[str, ...],
    files: Pki | None,
    workdir: Path,
    generated: bool,
    extra: tuple[str, ...] = (),
) -> Report:
    """The three ``_CS`` cases with our fake CSMS set up for ``profile`` and a reference
    station configured to match. ``generated``: the fake CSMS generates its certificate and
    writes its CA to --ocpp-tls-ca-out, which the station loads (it retries until it is
    there); else the test PKI's files are given."""
    args = ["--ocpp-security-profile", str(profile), "-v"]
    station: dict[str, Any] = {}
    if profile in (1, 2):
        station["basic_auth_password"] = PASSWORD
    if profile in (2, 3):
        if generated:
            ca_out = workdir / "generated" / "ca.pem"
            args += ["--ocpp-tls-ca-out", str(ca_out)]
            station["tls_ca_file"] = str(ca_out)
        else:
            assert files is not None
            args += [
                "--ocpp-tls-server-cert-file",
                files.files.server_cert_file,
                "--ocpp-tls-server-key-file",
                files.files.server_key_file,
                "--ocpp-tls-ca-file",
                files.files.ca_file,
            ]
            station["tls_ca_file"] = files.files.ca_file
    if profile == 3:
        assert files is not None
        station["tls_cert_file"] = files.files.client_cert_file
        station["tls_key_file"] = files.files.client_key_file
    args += extra
    scheme = "wss" if profile in (2, 3) else "ws"
    with reference_station(defects, scheme=scheme, **station) as hosted:
        env = {**os.environ, "OCPP_BASIC_AUTH_PASSWORD": PASSWORD}
        return run_suite(workdir, *hosted.args, *args, ids=CS_CASES, env=env, **_options())


def csms_config_file_run(profile: int, files: Pki, workdir: Path) -> Report:
    """The three ``_CSMS`` cases against a conformant reference CSMS set up for ``profile``,
    every security setting in ``[ocpp]`` of a config file instead of options: profile 2 with
    the password and the CA there, profile 3 with the client certificate and
    ``tls_insecure``."""
    options: dict[str, Any] = {
        "versions": ("1.6",),
        "tls_certificates": files.servers,
    }
    settings: dict[str, Any] = {
        "security_profile": profile,
        "tls_ca_file": files.files.ca_file,
    }
    if profile == 2:
        options["basic_auth"] = {"CP_1": PASSWORD}
        settings["basic_auth_password"] = PASSWORD
    else:
        options["tls_client_ca_file"] = files.files.ca_file
        settings["tls_cert_file"] = files.files.client_cert_file
        settings["tls_key_file"] = files.files.client_key_file
        settings["tls_insecure"] = True
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "ocpp.toml"
    lines = [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    config.write_text("[ocpp]\n" + "\n".join(lines) + "\n", "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCPP_")}
    with reference_csms((), **options) as csms:
        return run_suite(
            workdir,
            *csms.args,
            "--ocpp-config",
            str(config),
            "-v",
            ids=CSMS_CASES,
            env=env,
            **_options(operator_timeout=5),
        )


ARTEFACTS = (
    "--alluredir=allure-results",
    "--junitxml=junit.xml",
    "--ocpp-report-md=report.md",
    "--log-level=DEBUG",
    "-rA",
)
"""Every artefact a run can leave, relative to its working directory, and every captured log
(websockets logs the upgrade's headers at DEBUG)."""

JOBS = {
    "csms-1": lambda files: partial(csms_run, 1, (), None),
    "csms-1-wrong-password": lambda files: partial(
        csms_run, 1, ("accept_wrong_password",), None, extra=ARTEFACTS
    ),
    "csms-2": lambda files: partial(csms_run, 2, (), files),
    "csms-3": lambda files: partial(csms_run, 3, (), files),
    "csms-3-no-client-cert": lambda files: partial(
        csms_run,
        3,
        ("accept_missing_client_certificate",),
        files,
        extra=("--ocpp-tls-insecure", "--junitxml=junit.xml", "--ocpp-report-md=report.md"),
    ),
    "csms-2-wrong-ca": lambda files: partial(
        csms_run, 2, (), files, extra=("--ocpp-tls-ca-file", files.foreign.ca_file)
    ),
    "csms-1-wrong-password-given": lambda files: partial(
        csms_run, 1, (), None, extra=("--ocpp-basic-auth-password", "0123456789abcdefWRONGPW")
    ),
    "csms-2-as-ws": lambda files: partial(csms_run, 2, (), files, plain_target=True),
    "cs-1": lambda files: partial(cs_run, 1, (), None, generated=False),
    "cs-1-no-auth-header": lambda files: partial(
        cs_run, 1, ("no_basic_auth_header",), None, generated=False
    ),
    "cs-2": lambda files: partial(cs_run, 2, (), files, generated=True, extra=ARTEFACTS),
    "cs-2-untrusted": lambda files: partial(
        cs_run, 2, ("accept_untrusted_server_certificate",), files, generated=False
    ),
    "cs-3": lambda files: partial(cs_run, 3, (), files, generated=False),
    "config-file-2": lambda files: partial(csms_config_file_run, 2, files),
    "config-file-3": lambda files: partial(csms_config_file_run, 3, files),
}


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, test_pki: Pki
) -> Iterator[Runs]:
    jobs = {name: make(test_pki) for name, make in JOBS.items()}
    yield from start_runs(request, tmp_path_factory, jobs, workers=4)


# -- the six cases, both halves ----------------------------------------------------------------
def test_tc_085_csms_profile_1(runs: Runs) -> None:
    report = runs["csms-1"]
    assert_passes(report, ["TC_085_CSMS"])
    assert_not_applicable(report, ["TC_086_CSMS", "TC_087_CSMS"], "security profile")
    assert report.returncode == 0, report.output


def test_tc_085_csms_fails_on_wrong_password_accepted(runs: Runs) -> None:
    assert_fails(runs["csms-1-wrong-password"], ["TC_085_CSMS"], "accepted a wrong basic-auth")


def test_tc_085_086_csms_profile_2(runs: Runs) -> None:
    report = runs["csms-2"]
    assert_passes(report, ["TC_085_CSMS", "TC_086_CSMS"])
    assert_not_applicable(report, ["TC_087_CSMS"], "security profile 3")


def test_tc_086_087_csms_profile_3(runs: Runs) -> None:
    report = runs["csms-3"]
    assert_passes(report, ["TC_086_CSMS", "TC_087_CSMS"])
    assert_not_applicable(report, ["TC_085_CSMS"], "security profile 1 or 2")


def test_tc_087_csms_fails_on_missing_client_cert_accepted(runs: Runs) -> None:
    """Run with --ocpp-tls-insecure too: TC_087's verdict does not rest on the CSMS's
    certificate, so it still fails the broken CSMS, with the warning on its connections."""
    report = runs["csms-3-no-client-cert"]
    assert_fails(report, ["TC_087_CSMS"], "without a client certificate")
    (tc_087,) = [case for case in report.cases if case["id"] == "TC_087_CSMS"]
    assert any("verification is off" in w for w in tc_087["warnings"]), tc_087


def test_insecure_run_says_so_in_every_report_and_tc_086_is_not_applicable(runs: Runs) -> None:
    """--ocpp-tls-insecure: TC_086_CSMS ("valid certificate") cannot judge what its title
    claims, so it is not applicable naming the option; the terminal header, the Markdown
    summary, the JSON report's run block and a JUnit testsuite property each say that
    verification was off (the case warnings alone were not visible at run level)."""
    report = runs["csms-3-no-client-cert"]
    assert_not_applicable(report, ["TC_086_CSMS"], "--ocpp-tls-insecure")
    assert security.INSECURE_NOTICE in report.stdout
    markdown = (report.workdir / "report.md").read_text("utf-8")
    assert f"⚠️ **{security.INSECURE_NOTICE}.**" in markdown, markdown
    assert "**Security profile 3**: TLS with client side certificates." in markdown
    run = json.loads((report.workdir / "r.json").read_text("utf-8"))["run"]
    assert (run["security_profile"], run["tls_verification"]) == (3, False), run
    suite = ElementTree.parse(report.workdir / "junit.xml").getroot().find("testsuite")
    listed = suite.find("properties") if suite is not None else None
    assert listed is not None, "no testsuite properties in junit.xml"
    properties = {p.get("name"): p.get("value") for p in listed}
    assert properties["ocpp_tls_verification"] == "off", properties
    assert properties["ocpp_security_profile"] == "3", properties


def test_verified_run_says_verification_is_on(runs: Runs) -> None:
    """With verification on (the default), the JSON report says so and TC_086_CSMS passes as
    before."""
    report = runs["csms-3"]
    run = json.loads((report.workdir / "r.json").read_text("utf-8"))["run"]
    assert (run["security_profile"], run["tls_verification"]) == (3, True), run
    assert security.INSECURE_NOTICE not in report.stdout


def test_tc_085_cs_profile_1(runs: Runs) -> None:
    report = runs["cs-1"]
    assert_passes(report, ["TC_085_CS"])
    assert_not_applicable(report, ["TC_086_CS", "TC_087_CS"], "security profile")


def test_tc_085_cs_fails_without_basic_auth_header(runs: Runs) -> None:
    assert_fails(runs["cs-1-no-auth-header"], ["TC_085_CS"], "sent no Authorization header")


def test_tc_085_086_cs_profile_2_with_generated_ca(runs: Runs) -> None:
    """The fake CSMS generates its certificate, writes the CA where --ocpp-tls-ca-out says
    and prints it in the header; the station loads it from there."""
    report = runs["cs-2"]
    assert_passes(report, ["TC_085_CS", "TC_086_CS"])
    assert_not_applicable(report, ["TC_087_CS"], "security profile 3")
    ca_out = report.workdir / "generated" / "ca.pem"
    assert ca_out.read_text("ascii").startswith("-----BEGIN CERTIFICATE-----")
    assert f"load its CA into the station under test: {ca_out}" in report.stdout


def test_tc_086_cs_fails_when_station_trusts_any_certificate(runs: Runs) -> None:
    assert_fails(runs["cs-2-untrusted"], ["TC_086_CS"], "accepted a server certificate")


def test_tc_086_087_cs_profile_3(runs: Runs) -> None:
    report = runs["cs-3"]
    assert_passes(report, ["TC_086_CS", "TC_087_CS"])
    assert_not_applicable(report, ["TC_085_CS"], "security profile 1 or 2")


def test_password_appears_in_no_report_and_no_output(runs: Runs) -> None:
    """Profile 1 and 2 runs, both roles, a failing one among them (captured logs shown, DEBUG
    logging): neither the password nor its Basic token is in any file the run wrote (JSON and
    Markdown reports, JUnit, Allure results) or in its output."""
    token = base64.b64encode(f"CP_1:{PASSWORD}".encode()).decode()
    for name in ("csms-1", "csms-1-wrong-password", "csms-2", "cs-1", "cs-2"):
        report = runs[name]
        assert_no_secret(report, (PASSWORD, token))
    for name in ("csms-1-wrong-password", "cs-2"):
        written = {p.name for p in runs[name].workdir.rglob("*")}
        assert {"junit.xml", "report.md", "r.json"} <= written, written
        assert any(n.endswith("-result.json") for n in written), "no Allure result written"


def assert_no_secret(report: Report, secrets: tuple[str, ...]) -> None:
    """No file under the run's working directory and not its output holds any of
    ``secrets``."""
    texts = {"output": report.stdout + report.stderr}
    for path in report.workdir.rglob("*"):
        if path.is_file():
            texts[str(path.relative_to(report.workdir))] = path.read_text("utf-8", "replace")
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, f"{report.workdir.name}: a secret is in {where}"


# -- clear failures of the connect function ----------------------------------------------------
async def _connect_error(
    server: ssl.SSLContext | None,
    tls: TlsSettings | None,
    *,
    scheme: str = "wss",
    password: str | None = None,
    refuse: bool = False,
) -> str:
    """The sentence :func:`connect` fails with against a loopback server."""

    async def handler(ws: Any) -> None:
        await ws.wait_closed()

    def process_request(connection: Any, request: Any) -> Any:
        return connection.respond(401, "Invalid credentials.\n") if refuse else None

    async with serve(handler, "127.0.0.1", 0, ssl=server, process_request=process_request) as srv:
        port = srv.sockets[0].getsockname()[1]
        with pytest.raises(ConnectFailed) as caught:
            await connect(
                f"{scheme}://127.0.0.1:{port}/ocpp",
                "CP_1",
                ["ocpp1.6"],
                timeouts=Timeouts(connect=3),
                tls=tls,
                password=password,
            )
    text = str(caught.value)
    assert "\n" not in text and "Traceback" not in text, text
    return text


def _server(certs: list[tuple[str, str]], client_ca: str | None = None) -> ssl.SSLContext:
    context = security.server_context(certs, client_ca)
    if client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def _leaf(folder: Path, name: str, **kw: Any) -> tuple[str, str, str]:
    """A server certificate of a fresh root: (cert, key, root CA) files."""
    root = pki.authority(f"pytest-ocpp test root {name}")
    cert, key = pki.tls_leaf(root, kw.pop("cn", "127.0.0.1"), server=True, **kw)
    paths = [folder / f"{name}-cert.pem", folder / f"{name}-key.pem", folder / f"{name}-ca.pem"]
    paths[0].write_text(pki.pem(cert), "ascii")
    paths[1].write_text(pki.key_pem(key), "ascii")
    paths[2].write_text(root.pem, "ascii")
    return str(paths[0]), str(paths[1]), str(paths[2])


def test_clear_failures_of_connect(test_pki: Pki) -> None:
    files, folder = test_pki.files, test_pki.folder
    now = datetime.now(timezone.utc)
    expired = _leaf(
        folder,
        "expired",
        hosts=["127.0.0.1"],
        not_before=now - timedelta(days=10),
        not_after=now - timedelta(days=1),
    )
    mismatch = _leaf(folder, "mismatch", cn="csms.example", hosts=["csms.example"])
    trusted = TlsSettings(ca_file=files.ca_file)

    async def all_of_them() -> dict[str, str]:
        server = _server(test_pki.servers)
        return {
            "wrong CA": await _connect_error(server, TlsSettings(ca_file=test_pki.foreign.ca_file)),
            "expired": await _connect_error(
                _server([expired[:2]]), TlsSettings(ca_file=expired[2])
            ),
            "host name": await _connect_error(
                _server([mismatch[:2]]), TlsSettings(ca_file=mismatch[2])
            ),
            "client cert": await _connect_error(_server(test_pki.servers, files.ca_file), trusted),
            "password": await _connect_error(None, None, scheme="ws", password="x", refuse=True),
            "ws to wss": await _connect_error(server, None, scheme="ws"),
        }

    said = asyncio.run(all_of_them())
    assert "not signed by a CA in --ocpp-tls-ca-file" in said["wrong CA"], said
    assert "has expired" in said["expired"], said
    assert "not issued for this IP address" in said["host name"], said
    assert "requires a client certificate" in said["client cert"], said
    assert "refused the HTTP Basic credentials" in said["password"], said
    assert "is a TLS (wss://) endpoint but the target is plain ws://" in said["ws to wss"], said


@pytest.mark.parametrize(
    ("run", "phrase"),
    [
        ("csms-2-wrong-ca", "not signed by a CA in --ocpp-tls-ca-file"),
        ("csms-1-wrong-password-given", "refused the HTTP Basic credentials"),
        ("csms-2-as-ws", "is a TLS (wss://) endpoint but the target is plain ws://"),
    ],
)
def test_a_transport_mistake_is_one_sentence_in_the_suite_verdict(
    runs: Runs, run: str, phrase: str
) -> None:
    """The connect-level sentences above reach the user as the verdict of the case that
    connected (not a traceback, not a pass): the first applicable case names the cause."""
    report = runs[run]
    judged = {
        case: verdict for case, verdict in report.verdicts.items() if verdict[0] != "not applicable"
    }
    assert judged, report.output
    case, (verdict, message) = next(iter(judged.items()))
    assert verdict in ("fail", "error"), (case, verdict, message)
    assert phrase in message, (case, message)
    assert "Traceback" not in report.stdout + report.stderr, report.output


def test_insecure_connects_to_an_untrusted_server_and_warns(test_pki: Pki) -> None:
    """--ocpp-tls-insecure: the foreign CA's server is reached, and the header says so."""
    foreign = test_pki.foreign

    async def reach() -> str | None:
        async def handler(ws: Any) -> None:
            await ws.wait_closed()

        context = _server([(foreign.server_cert_file, foreign.server_key_file)])
        async with serve(handler, "127.0.0.1", 0, ssl=context, subprotocols=["ocpp1.6"]) as srv:
            port = srv.sockets[0].getsockname()[1]
            ws = await connect(
                f"wss://127.0.0.1:{port}/ocpp",
                "CP_1",
                ["ocpp1.6"],
                timeouts=Timeouts(connect=3),
                tls=TlsSettings(ca_file=test_pki.files.ca_file, insecure=True),
            )
            await ws.close()
            return ws.subprotocol

    assert asyncio.run(reach()) == "ocpp1.6"
    config = _config(
        target="wss://127.0.0.1:1/ocpp",
        security_profile="3",
        tls_insecure=True,
        tls_cert_file=test_pki.files.client_cert_file,
    )
    assert any("verification is OFF" in line for line in security.header_lines(config))


# -- the generated transport PKI ---------------------------------------------------------------
def test_generated_station_certificate_is_issued_by_a_station_operator_sub_ca(
    tmp_path: Path,
) -> None:
    """CSMS root -> charging station operator sub-CA -> station certificate (1.6 Whitepaper
    §2.6.2, 2.0.1 A00.FR.602); the station's file holds the certificate and the sub-CA, so a
    TLS client sends the path. A run's folder from an earlier release (a station certificate
    straight under the root) is generated anew, a current one reused."""
    hosts = ("127.0.0.1", "localhost")
    files = security.generated_files(str(tmp_path / "current" / "ca.pem"), hosts, "CP_1")
    root = x509.load_pem_x509_certificate(Path(files.ca_file).read_bytes())
    leaf, operator = x509.load_pem_x509_certificates(Path(files.client_cert_file).read_bytes())
    leaf.verify_directly_issued_by(operator)
    operator.verify_directly_issued_by(root)
    assert operator.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    server = x509.load_pem_x509_certificate(Path(files.server_cert_file).read_bytes())
    server.verify_directly_issued_by(root)
    again = security.generated_files.__wrapped__(
        str(tmp_path / "current" / "ca.pem"), hosts, "CP_1"
    )
    assert Path(again.ca_file).read_text("ascii") == root.public_bytes(Encoding.PEM).decode()

    old = pki.write_tls_pki(tmp_path / "old" / "pytest-ocpp-run-pki", hosts, "CP_1")
    Path(old.client_cert_file).write_text(leaf.public_bytes(Encoding.PEM).decode(), "ascii")
    before = Path(old.ca_file).read_text("ascii")
    renewed = security.generated_files(str(tmp_path / "old" / "ca.pem"), hosts, "CP_1")
    assert Path(renewed.ca_file).read_text("ascii") != before
    assert len(x509.load_pem_x509_certificates(Path(renewed.client_cert_file).read_bytes())) == 2


# -- usage errors ------------------------------------------------------------------------------
def _config(environ: dict[str, str] | None = None, **cli: Any) -> Any:
    return build_config(lambda name: cli.get(name), lambda name: None, environ=environ or {})


@pytest.mark.parametrize(
    ("settings", "phrase"),
    [
        (
            {"target": "ws://h:1/ocpp", "security_profile": "2", "basic_auth_password": "p"},
            "wss://",
        ),
        (
            {"target": "wss://h:1/ocpp", "security_profile": "1", "basic_auth_password": "p"},
            "ws://",
        ),
        ({"target": "wss://h:1/ocpp", "security_profile": "3"}, "--ocpp-tls-cert-file"),
        ({"target": "ws://h:1/ocpp", "security_profile": "1"}, "--ocpp-basic-auth-password"),
        ({"target": "wss://h:1/ocpp", "security_profile": "2"}, "--ocpp-basic-auth-password"),
        ({"target": "ws://h:1/ocpp", "security_profile": "4"}, "must be 1, 2 or 3"),
        (
            {
                "listen": "127.0.0.1:0",
                "security_profile": "2",
                "basic_auth_password": "p",
                "tls_server_cert_file": "c.pem",
            },
            "go together",
        ),
    ],
    ids=["2-ws", "1-wss", "3-no-cert", "1-no-password", "2-no-password", "4", "cert-no-key"],
)
def test_profile_that_does_not_fit_is_a_usage_error(settings: dict[str, str], phrase: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _config(**settings)
    assert phrase in str(caught.value)
    assert str(caught.value).count(". ") == 0, "one sentence"


def test_profile_from_environment_and_usage_error_on_the_command_line(tmp_path: Path) -> None:
    config = _config(
        {"OCPP_SECURITY_PROFILE": "1", "OCPP_BASIC_AUTH_PASSWORD": "p" * 16}, target="ws://h:1/ocpp"
    )
    assert config.security_profile == 1
    done = run_pytest(
        tmp_path, "--ocpp-target=ws://127.0.0.1:1/ocpp", "--ocpp-security-profile=3", timeout=30
    )
    assert done.returncode == 4, done.stdout + done.stderr
    assert "security profile 3 runs over TLS" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_config_file_security_settings_equal_the_options(tmp_path: Path, test_pki: Pki) -> None:
    """Every security setting of ``[ocpp]`` (profile, TLS files, tls_insecure, the password)
    gives the configuration the options give."""
    files = test_pki.files
    settings: dict[str, Any] = {
        "target": "wss://127.0.0.1:1/ocpp",
        "security_profile": 3,
        "tls_ca_file": files.ca_file,
        "tls_cert_file": files.client_cert_file,
        "tls_key_file": files.client_key_file,
        "tls_insecure": True,
        "basic_auth_password": PASSWORD,
    }
    path = tmp_path / "ocpp.toml"
    lines = [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    path.write_text("[ocpp]\n" + "\n".join(lines) + "\n", "utf-8")
    from_file = _config(config=str(path))
    from_options = _config(**{**settings, "security_profile": "3"})
    assert from_file.security_profile == from_options.security_profile == 3
    assert from_file.tls == from_options.tls and from_file.tls.insecure
    assert from_file.basic_auth_password == from_options.basic_auth_password == PASSWORD


def test_relative_tls_paths_in_the_config_file_are_relative_to_it(
    tmp_path: Path, test_pki: Pki
) -> None:
    """A relative ``tls_*`` path in ``[ocpp]`` is read from the config file's directory, as
    ``[station]`` certificate paths are, whatever the working directory; the same relative
    path given as an option stays relative to the working directory."""
    folder = tmp_path / "settings"
    (folder / "pki").mkdir(parents=True)
    names = {"tls_ca_file": "ca.pem", "tls_cert_file": "cert.pem", "tls_key_file": "key.pem"}
    sources = {
        "tls_ca_file": test_pki.files.ca_file,
        "tls_cert_file": test_pki.files.client_cert_file,
        "tls_key_file": test_pki.files.client_key_file,
    }
    for key, name in names.items():
        (folder / "pki" / name).write_text(Path(sources[key]).read_text("ascii"), "ascii")
    lines = [f'{key} = "pki/{name}"' for key, name in names.items()]
    lines += ['tls_ca_out = "generated/ca.pem"', "security_profile = 3"]
    lines.append('target = "wss://127.0.0.1:1/ocpp"')
    (folder / "ocpp.toml").write_text("[ocpp]\n" + "\n".join(lines) + "\n", "utf-8")
    config = _config(config=str(folder / "ocpp.toml"))
    assert config.tls.ca_file == str(folder / "pki" / "ca.pem")
    assert config.tls.cert_file == str(folder / "pki" / "cert.pem")
    assert config.tls.key_file == str(folder / "pki" / "key.pem")
    assert config.tls.ca_out == str(folder / "generated" / "ca.pem")
    security.client_context(config.tls)  # the files load from there
    given = _config(config=str(folder / "ocpp.toml"), tls_ca_file="pki/ca.pem")
    assert given.tls.ca_file == "pki/ca.pem"


def test_security_settings_from_the_config_file_run_as_the_options_do(runs: Runs) -> None:
    """End to end, settings only in the config file (no OCPP_* variable): profile 2 with the
    password and CA there gives the verdicts of the options run; profile 3 with the client
    certificate and tls_insecure there connects with the certificate, says verification is
    off in the header and the report, and TC_086_CSMS is not applicable for it."""
    by_file, by_options = runs["config-file-2"], runs["csms-2"]
    verdicts = {case: verdict for case, (verdict, _) in by_file.verdicts.items()}
    assert verdicts == {case: verdict for case, (verdict, _) in by_options.verdicts.items()}
    assert_passes(by_file, ["TC_085_CSMS", "TC_086_CSMS"])
    insecure = runs["config-file-3"]
    assert_passes(insecure, ["TC_087_CSMS"])
    assert_not_applicable(insecure, ["TC_086_CSMS"], "--ocpp-tls-insecure")
    assert_not_applicable(insecure, ["TC_085_CSMS"], "security profile 1 or 2")
    assert security.INSECURE_NOTICE in insecure.stdout
    run = json.loads((insecure.workdir / "r.json").read_text("utf-8"))["run"]
    assert (run["security_profile"], run["tls_verification"]) == (3, False), run


def test_fake_csms_tls_files_checked_once_and_generated_ca_shown_with_q(
    tmp_path: Path, test_pki: Pki
) -> None:
    """An unreadable server certificate is one usage error before any case runs (not the same
    failure in every case); with ``-q`` (no header) the generated CA's path is still printed,
    since the user must load it into the station."""
    port = free_port()
    missing = tmp_path / "no-such-cert.pem"
    done = run_pytest(
        tmp_path / "bad",
        f"--ocpp-listen=127.0.0.1:{port}",
        "--ocpp-version=1.6",
        "--ocpp-security-profile=2",
        "--ocpp-basic-auth-password=" + PASSWORD,
        f"--ocpp-tls-server-cert-file={missing}",
        f"--ocpp-tls-server-key-file={test_pki.files.server_key_file}",
        timeout=30,
    )
    assert done.returncode == 4, done.stdout + done.stderr
    assert "the fake CSMS cannot load its TLS files" in done.stderr, done.stderr
    assert "No test case ran" in done.stderr and "Traceback" not in done.stderr
    ca_out = tmp_path / "generated" / "ca.pem"
    done = run_pytest(
        tmp_path / "quiet",
        "-q",
        "-k",
        "no_such_case",
        f"--ocpp-listen=127.0.0.1:{port}",
        "--ocpp-version=1.6",
        "--ocpp-security-profile=2",
        "--ocpp-basic-auth-password=" + PASSWORD,
        f"--ocpp-tls-ca-out={ca_out}",
        timeout=30,
    )
    assert f"load its CA into the station under test: {ca_out}" in done.stdout, done.stdout
