"""Issue 19: MQTT with a login and TLS wherever pytest-ocpp speaks MQTT: ``pytest-ocpp-sim
--mqtt``, the ``ocpp_sim`` fixture and ``--ocpp-station-operator=mqtt(s)://``.

Real parts only: Mosquitto started with a password file (written in Mosquitto's own PBKDF2
format, :func:`pytest_ocpp.sim.broker.password_line`) and TLS listeners whose certificates come
from a PKI generated for the module (:mod:`pytest_ocpp.pki`); one listener only lets in clients
with a certificate of that PKI. Right credentials work; a wrong password, an untrusted broker
and a missing client certificate each give one sentence naming the broker (password masked),
never a traceback; the password shows in no output or report.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import harness
import pytest

from pytest_ocpp import pki
from pytest_ocpp.config import ConfigError, OcppConfig, build_config
from pytest_ocpp.reference.runner import BackgroundLoop
from pytest_ocpp.sim import cli
from pytest_ocpp.sim.broker import (
    BrokerTls,
    MosquittoBroker,
    MqttAddress,
    find_mosquitto,
    parse_mqtt_url,
)
from pytest_ocpp.sim.operator import mqtt_performer
from pytest_ocpp.sim.simulator import Simulator
from pytest_ocpp.verdicts import OperatorFailed
from tests.sim_support import hosted_csms, watching

pytestmark = pytest.mark.skipif(
    find_mosquitto() is None,
    reason="SKIPPED, NOT PASSED: Mosquitto is not installed (apt-get install mosquitto); the "
    "MQTT login and TLS proofs need a real broker",
)

USER = "sim"
PASSWORD = "Mqtt-s3cret-42"
"""Long enough to be masked everywhere once registered (pytest_ocpp.masking)."""


@dataclass(frozen=True)
class Brokers:
    """A broker with logins, a TLS listener (server certificate only) and a plain one; and a
    second broker whose TLS listener requires a client certificate."""

    open_tls: MosquittoBroker
    mutual: MosquittoBroker
    files: pki.TlsFiles
    stranger_ca: str
    """A CA that signed nothing the brokers serve."""

    def url(self, broker: MosquittoBroker, password: str = PASSWORD, prefix: str = "") -> str:
        path = f"/{prefix}" if prefix else ""
        return f"mqtts://{USER}:{password}@localhost:{broker.tls_port}{path}"


@pytest.fixture(scope="module")
def brokers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Brokers]:
    folder = tmp_path_factory.mktemp("mqtt-pki")
    files = pki.write_tls_pki(folder, ("localhost", "127.0.0.1"), "sim-client")
    stranger = folder / "stranger-ca.pem"
    stranger.write_text(pki.authority("Nobody's root").pem, "ascii")
    users = {USER: PASSWORD}
    open_tls = BrokerTls(files.server_cert_file, files.server_key_file, files.ca_file)
    mutual = BrokerTls(
        files.server_cert_file, files.server_key_file, files.ca_file, require_certificate=True
    )
    with (
        MosquittoBroker(users=users, tls=open_tls) as first,
        MosquittoBroker(users=users, tls=mutual) as second,
    ):
        yield Brokers(first, second, files, str(stranger))


def _assert_masked(*texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text, text[-3000:]


# -- pytest-ocpp-sim ---------------------------------------------------------------------------
def test_the_simulator_logs_in_over_tls_from_the_environment(brokers: Brokers) -> None:
    """``OCPP_SIM_MQTT`` (the password kept off the process list) and ``OCPP_MQTT_CA_FILE``:
    the simulator connects over TLS with its login; a client with the same login drives a
    station; the printed URL masks the password."""
    broker = brokers.open_tls
    environment = {
        **os.environ,
        "OCPP_SIM_MQTT": brokers.url(broker, prefix="lab"),
        "OCPP_MQTT_CA_FILE": brokers.files.ca_file,
    }
    with hosted_csms() as (csms, _):
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest_ocpp.sim.cli", "--csms", csms.url, "--stations", "CP_T"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
        )
        try:
            assert process.stdout is not None
            started = process.stdout.readline()
            assert f"at mqtts://{USER}:***@localhost:{broker.tls_port}/lab" in started, started
            address = parse_mqtt_url(brokers.url(broker), ca_file=brokers.files.ca_file)
            asyncio.run(_plug_in_and_out(address, "lab", "CP_T"))
        finally:
            process.terminate()
            out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    _assert_masked(started, out, err)
    assert [s["status"] for s in csms.calls("CP_T", "StatusNotification")][-2:] == [
        "Preparing",
        "Available",
    ]


async def _plug_in_and_out(address: MqttAddress, prefix: str, station: str) -> None:
    base = f"{prefix}/{station}"
    async with watching(address, f"{base}/#") as w:
        await w.until(lambda: w.last(f"{base}/online") == "true", f"{station} online")
        for step, action in enumerate(("plug_in", "plug_out")):
            body = json.dumps({"connector_id": 1, "request_id": str(step)})
            await w.client.publish(f"{base}/cmd/{action}", body, qos=1)
            answer = await w.until(lambda s=step: w.ack(prefix, station, str(s)), action)
            assert answer["outcome"] == "ok", answer
        await w.until(lambda: w.last(f"{base}/connector/1/status") == "Available", "Available")


def test_the_simulator_says_why_the_broker_refused_it(
    brokers: Brokers, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit status 2 and one sentence naming the broker, the password masked: a wrong
    password ("not authorised"), a broker certificate from an unknown CA, no client
    certificate where one is required; a CA file on plain mqtt://."""
    csms = ["--csms", "ws://127.0.0.1:1/ocpp"]
    plain = f"mqtt://{USER}:wrong-pass-word@127.0.0.1:{brokers.open_tls.port}"
    assert cli.main([*csms, "--mqtt", plain]) == 2
    err = capsys.readouterr().err
    assert f"the MQTT broker at mqtt://{USER}:***@127.0.0.1:{brokers.open_tls.port}" in err, err
    assert "refused the login: not authorised" in err, err
    assert "wrong-pass-word" not in err and "Traceback" not in err

    untrusted = [*csms, "--mqtt", brokers.url(brokers.open_tls), "--mqtt-ca-file"]
    assert cli.main([*untrusted, brokers.stranger_ca]) == 2
    err = capsys.readouterr().err
    tls_port = brokers.open_tls.tls_port
    assert f"TLS with the MQTT broker at mqtts://{USER}:***@localhost:{tls_port} failed" in err
    assert "certificate verify failed" in err and brokers.stranger_ca in err, err

    no_certificate = [*csms, "--mqtt", brokers.url(brokers.mutual), "--mqtt-ca-file"]
    assert cli.main([*no_certificate, brokers.files.ca_file]) == 2
    err = capsys.readouterr().err
    assert (
        f"TLS with the MQTT broker at mqtts://{USER}:***@localhost:{brokers.mutual.tls_port}" in err
    )
    assert "the broker requires a client certificate it trusts and none was given" in err, err

    assert cli.main([*csms, "--mqtt", plain, "--mqtt-ca-file", brokers.files.ca_file]) == 2
    assert "need TLS; use mqtts://" in capsys.readouterr().err
    _assert_masked(err)


# -- the MQTT station operator ------------------------------------------------------------------
def test_the_mqtt_operator_over_tls_with_a_client_certificate(
    brokers: Brokers, tmp_path: Path
) -> None:
    """A station-side case driven by ``--ocpp-station-operator=mqtts://user:password@...``,
    the CA from the config file, the client certificate and key from the environment, against
    the simulated station on the broker that requires certificates: it passes, and no file or
    output of the run holds the password."""
    broker = brokers.mutual
    files = brokers.files
    station_side = parse_mqtt_url(
        brokers.url(broker),
        ca_file=files.ca_file,
        cert_file=files.client_cert_file,
        key_file=files.client_key_file,
    )
    port = harness.free_port()
    config = tmp_path / "ocpp.toml"
    config.write_text(f"[ocpp]\nmqtt_ca_file = {json.dumps(files.ca_file)}\n", "utf-8")
    environment = {
        "OCPP_MQTT_CERT_FILE": files.client_cert_file,
        "OCPP_MQTT_KEY_FILE": files.client_key_file,
    }
    with BackgroundLoop("sim-over-tls") as loop:
        simulator = Simulator(
            f"ws://127.0.0.1:{port}/ocpp",
            "1.6",
            ["CP_1"],
            mqtt=station_side,
            response_timeout=5.0,
            reconnect_max_delay=1.0,
        )
        loop.run(simulator.start())
        try:
            report = harness.run_suite(
                tmp_path / "run",
                "--ocpp-listen",
                f"127.0.0.1:{port}",
                "--ocpp-station-operator",
                brokers.url(broker, prefix="ocpp"),
                "--ocpp-config",
                str(config),
                ids=("TC_003_CS",),
                operator_timeout=10,
                env=environment,
            )
        finally:
            loop.run(simulator.stop())
    harness.assert_passes(report, ["TC_003_CS"])
    _assert_masked(report.stdout, report.stderr)
    for written in (tmp_path / "run").rglob("*"):
        if written.is_file():
            _assert_masked(written.read_text("utf-8", errors="replace"))


def test_the_mqtt_operator_names_the_broker_when_it_cannot_log_in(brokers: Brokers) -> None:
    """The operator's error (the case's verdict: error) is a sentence naming the broker with the
    password masked: not authorised; untrusted broker; no client certificate."""
    ca = f"?ca={brokers.files.ca_file}"
    job = {"station_id": "CP_1", "action": "plug_in", "connector_id": 1}
    wrong = f"mqtts://{USER}:wrong-pass-word@localhost:{brokers.open_tls.tls_port}/lab{ca}"
    stranger = brokers.url(brokers.open_tls, prefix="lab") + f"?ca={brokers.stranger_ca}"
    no_certificate = brokers.url(brokers.mutual, prefix="lab") + ca
    expected = {
        wrong: "refused the login: not authorised",
        stranger: "certificate verify failed",
        no_certificate: "the broker requires a client certificate it trusts and none was given",
    }
    for url, phrase in expected.items():
        perform = mqtt_performer(url, timeout=5.0)
        with pytest.raises(OperatorFailed) as caught:
            asyncio.run(perform(job))
        said = str(caught.value)
        assert phrase in said, said
        assert "could not publish plug_in on lab/CP_1/cmd/plug_in" in said, said
        assert "wrong-pass-word" not in said
        _assert_masked(said)


def test_the_operator_setting_is_checked_once_and_takes_the_tls_files(brokers: Brokers) -> None:
    """The configuration checks an ``mqtt(s)://`` operator when the run starts (a usage
    error, password masked, instead of an error in every case) and hands it the
    ``mqtt_*_file`` settings as the URL's query."""

    def build(settings: dict[str, str]) -> OcppConfig:
        return build_config(settings.get, lambda name: None, environ={})

    listen = {"listen": "127.0.0.1:9"}
    plain = f"mqtt://{USER}:{PASSWORD}@127.0.0.1:1883/ocpp"
    with pytest.raises(ConfigError) as caught:
        build({**listen, "station_operator": plain, "mqtt_ca_file": brokers.files.ca_file})
    said = str(caught.value)
    assert said.startswith("--ocpp-station-operator: ") and "use mqtts://" in said, said
    assert f"mqtt://{USER}:***@127.0.0.1:1883/ocpp" in said, said
    with pytest.raises(ConfigError, match=r"MQTT ca file /nowhere\.pem does not exist"):
        build({**listen, "station_operator": brokers.url(brokers.open_tls) + "?ca=/nowhere.pem"})
    with pytest.raises(ConfigError, match="unknown parameter 'cafile'"):
        build({**listen, "station_operator": brokers.url(brokers.open_tls) + "?cafile=x"})
    config = build(
        {
            **listen,
            "station_operator": brokers.url(brokers.open_tls, prefix="lab"),
            "mqtt_ca_file": brokers.files.ca_file,
        }
    )
    address = parse_mqtt_url(config.station_operator or "")
    assert (address.ca_file, address.prefix, address.password) == (
        brokers.files.ca_file,
        "lab",
        PASSWORD,
    )


# -- the ocpp_sim fixture ----------------------------------------------------------------------
USER_TEST = """
import pytest

from pytest_ocpp.sim.simulator import mqtt_client

pytestmark = pytest.mark.asyncio


async def test_over_tls(ocpp_sim):
    assert ocpp_sim.mqtt_url == "mqtts://sim:***@localhost:{port}"
    station = ocpp_sim.station("CP_8")
    await station.plug_in(1)
    await station.wait_for_status(1, "Preparing", timeout=5)
    async with mqtt_client(ocpp_sim.mqtt) as client:
        await client.publish("ocpp/CP_8/cmd/plug_out", '{{"connector_id": 1}}')
    await station.wait_for_status(1, "Available", timeout=5)
"""


def test_the_ocpp_sim_fixture_over_tls_with_a_login(brokers: Brokers, tmp_path: Path) -> None:
    """``--ocpp-sim-mqtt=mqtts://user:password@...`` with ``--ocpp-mqtt-ca-file``: the fixture's
    stations and a client of the user's test share the broker; with a wrong password the test
    errors with the sentence, not a traceback; the password is in no output."""
    broker = brokers.open_tls
    (tmp_path / "test_user_tls.py").write_text(USER_TEST.format(port=broker.tls_port), "utf-8")
    ca = ("--ocpp-mqtt-ca-file", brokers.files.ca_file)
    with hosted_csms() as (csms, _), ThreadPoolExecutor(2) as pool:

        def run(url: str) -> subprocess.CompletedProcess[str]:
            target = ("--ocpp-target", csms.url, "--ocpp-sim-mqtt", url)
            return harness.run_pytest(tmp_path, "test_user_tls.py", *target, *ca, "-q")

        good, bad = pool.map(
            run, [brokers.url(broker), brokers.url(broker, password="wrong-pass-word")]
        )
    assert good.returncode == 0, good.stdout[-3000:] + good.stderr[-2000:]
    assert "1 passed" in good.stdout
    said = bad.stdout + bad.stderr
    assert bad.returncode == 1, said[-3000:]
    assert (
        f"ocpp_sim: the MQTT broker at mqtts://{USER}:***@localhost:{broker.tls_port} "
        "refused the login: not authorised"
    ) in said, said[-3000:]
    assert "Traceback" not in said and "wrong-pass-word" not in said, said[-3000:]
    _assert_masked(good.stdout, good.stderr)
