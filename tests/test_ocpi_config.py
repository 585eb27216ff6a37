"""The OCPI settings (issue 20): the ``[ocpi]`` table of the config file, where the settings
come from, and a CPO behind a private CA (``--ocpi-tls-ca-file``).

Runs against a reference CPO served over https with a certificate from a CA generated for the
test: the suite verifies it with the CA the ``[ocpi]`` table names, and without it the verdict
says what to give. A location_id the CPO does not have fails OCPI_LOC_01 naming ``[ocpi]``;
a misspelt key stops the run with one usage line.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from harness import Report, assert_fails, assert_passes, run_pytest, run_suite
from test_ocpi import TOKEN_A

from pytest_ocpp.config import ConfigError
from pytest_ocpp.ocpi.config import build_ocpi_config
from pytest_ocpp.pki import TlsFiles, write_tls_pki
from pytest_ocpp.reference.ocpi import ReferenceCpo
from pytest_ocpp.reference.runner import BackgroundLoop


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A CA of our own and a server certificate for 127.0.0.1 (RSA kept small: unused)."""
    return write_tls_pki(tmp_path_factory.mktemp("pki"), ["127.0.0.1"], "CP_1", rsa_bits=1024)


@contextmanager
def https_cpo(pki: TlsFiles) -> Iterator[str]:
    """A reference CPO on https with ``pki``'s server certificate; yields its versions URL."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.server_cert_file, pki.server_key_file)
    cpo = ReferenceCpo(TOKEN_A, ssl_context=context)
    with BackgroundLoop("cpo-https") as loop:
        loop.run(cpo.start())
        try:
            yield cpo.versions_url
        finally:
            loop.run(cpo.stop())


def _run(workdir: Path, pki: TlsFiles, config: str, *args: str) -> Report:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "ocpp.toml").write_text(config, "utf-8")
    with https_cpo(pki) as url:
        assert url.startswith("https://127.0.0.1:"), url
        return run_suite(
            workdir,
            "--ocpi-target",
            url,
            "--ocpp-config",
            "ocpp.toml",
            "--ocpi-callback-timeout",
            "1",
            "-k",
            "ocpi_ver_01 or ocpi_loc_01",
            *args,
        )


def test_the_ocpi_table_configures_the_run(tmp_path: Path, pki: TlsFiles) -> None:
    """token and tls_ca_file from ``[ocpi]``: the registration works over verified TLS; its
    location_id, which the CPO does not have, fails OCPI_LOC_01 naming the table."""
    table = (
        f'[ocpi]\ntoken = "{TOKEN_A}"\ntls_ca_file = "{pki.ca_file}"\nlocation_id = "LOC-NOPE"\n'
    )
    report = _run(tmp_path, pki, table)
    assert_passes(report, ["OCPI_VER_01"])
    assert_fails(report, ["OCPI_LOC_01"], "expected the configured location_id LOC-NOPE ([ocpi])")


def test_a_private_ca_not_given_is_named(tmp_path: Path, pki: TlsFiles) -> None:
    """Without the CA the certificate cannot be verified: one sentence that names the option."""
    report = _run(tmp_path, pki, "", "--ocpi-token", TOKEN_A)
    assert_fails(
        report,
        ["OCPI_VER_01", "OCPI_LOC_01"],
        ["CERTIFICATE_VERIFY_FAILED", "give --ocpi-tls-ca-file"],
    )


def test_an_unknown_ocpi_key_is_one_usage_line(tmp_path: Path) -> None:
    (tmp_path / "ocpp.toml").write_text('[ocpi]\nlocaton_id = "LOC-1"\n', "utf-8")
    done = run_pytest(tmp_path, "--ocpp-reference", "--ocpp-config", "ocpp.toml", "-k", "OCPI")
    assert done.returncode == 4, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert errors == [
        "ERROR: pytest-ocpp: unknown setting(s) ['locaton_id'] in [ocpi] of the config file; "
        "known settings: ['callback_timeout', 'connector_id', 'country_code', 'evse_uid', "
        "'listen', 'location_id', 'party_id', 'public_url', 'response_timeout', 'target', "
        "'tls_ca_file', 'token', 'token_uid']"
    ], done.stderr


def _build(
    cli: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    ini: Mapping[str, Any] | None = None,
    table: Mapping[str, Any] | None = None,
) -> Any:
    return build_ocpi_config(
        lambda name: (cli or {}).get(name),
        lambda name: (ini or {}).get(name),
        table or {},
        reference=True,
        environ=env or {},
    )


def test_each_setting_comes_from_the_strongest_source(pki: TlsFiles, tmp_path: Path) -> None:
    """Command line, then environment, then ini, then ``[ocpi]``; tls_ca_file too."""
    other = tmp_path / "other-ca.pem"
    other.write_text(Path(pki.ca_file).read_text("ascii"), "ascii")
    table = {"location_id": "T", "tls_ca_file": str(other)}
    assert _build(table=table).location_id == "T"
    assert _build(ini={"location_id": "I"}, table=table).location_id == "I"
    assert _build({}, {"OCPI_LOCATION_ID": "E"}, {"location_id": "I"}, table).location_id == "E"
    assert _build({"location_id": "C"}, {"OCPI_LOCATION_ID": "E"}).location_id == "C"
    assert _build(table=table).tls_ca_file == str(other)
    assert _build(env={"OCPI_TLS_CA_FILE": pki.ca_file}, table=table).tls_ca_file == pki.ca_file
    assert isinstance(_build(table=table).ssl_context(), ssl.SSLContext)
    assert _build().ssl_context() is True  # the system's trust store


def test_a_bad_ca_file_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"--ocpi-tls-ca-file '.*nope\.pem': no such file"):
        _build({"tls_ca_file": str(tmp_path / "nope.pem")})
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate", "ascii")
    with pytest.raises(ConfigError, match="holds no usable PEM certificate"):
        _build(table={"tls_ca_file": str(junk)})
