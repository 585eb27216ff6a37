"""Issue 19: the MQTT-driven simulator, the ``ocpp_sim`` fixture and the MQTT station operator.

Every proof here talks to a real MQTT broker (Mosquitto, the simulator's own choice, see
``pytest_ocpp/sim/broker.py``) with a real MQTT client (aiomqtt), and checks the charging
session from the reference CSMS's side: the frames it received, as it received them. Without
Mosquitto each proof is skipped with the install command (a skip is never a pass).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import harness
import pytest

from pytest_ocpp.reference.runner import BackgroundLoop
from pytest_ocpp.sim import broker, cli, topics
from pytest_ocpp.sim.broker import MosquittoBroker, MqttAddress, find_mosquitto
from pytest_ocpp.sim.operator import mqtt_performer
from pytest_ocpp.sim.simulator import Simulator, mqtt_client
from pytest_ocpp.sim.station import CommandError, SimStation, StationOffline, vocabulary
from pytest_ocpp.verdicts import NotApplicable, OperatorFailed, OperatorRefused
from tests.sim_support import RecordingCsms, command, hosted_csms, watching

NO_MOSQUITTO = (
    "SKIPPED, NOT PASSED: Mosquitto is not installed (apt-get install mosquitto); the "
    "simulator's MQTT proofs need a real broker"
)
needs_mosquitto = pytest.mark.skipif(find_mosquitto() is None, reason=NO_MOSQUITTO)


# -- 1. the command line, with its own broker, OCPP 1.6 -------------------------------------
@needs_mosquitto
def test_a_whole_charging_session_driven_over_mqtt_with_the_embedded_broker() -> None:
    """``pytest-ocpp-sim`` without --mqtt starts Mosquitto and prints its URL; a real MQTT
    client drives a whole session; the reference CSMS saw it start and stop with the right
    id tag and energy; the state topics showed every change; bad commands get an answer on
    the error topic and the simulator carries on."""
    with hosted_csms() as (csms, _):
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pytest_ocpp.sim.cli",
                "--csms",
                csms.url,
                "--stations",
                "CP_1,CP_2",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            assert "MQTT broker (mosquitto) at mqtt://127.0.0.1:" in first, first
            url = first.strip().rpartition(" at ")[2]
            port = int(url.rpartition(":")[2])
            assert "CP_1, CP_2" in process.stdout.readline()
            session = asyncio.run(_drive_session16(MqttAddress("127.0.0.1", port)))
        finally:
            process.terminate()
            _out, err = process.communicate(timeout=10)
        assert process.returncode == 0, err
        assert "Traceback" not in err, err

    start = csms.calls("CP_1", "StartTransaction")
    stop = csms.calls("CP_1", "StopTransaction")
    assert [s["idTag"] for s in start] == ["VALID_TAG_1"], start
    assert start[0]["connectorId"] == 1
    assert len(stop) == 1, stop
    assert str(stop[0]["transactionId"]) == session["transaction"]
    assert stop[0]["reason"] == "Local"
    assert stop[0]["idTag"] == "VALID_TAG_1"
    energy = stop[0]["meterStop"] - start[0]["meterStart"]
    assert energy > 0
    assert energy == session["energy"], "the energy topic said what the CSMS was told"
    assert not csms.calls("CP_2", "StartTransaction"), "the other station did nothing"


async def _drive_session16(address: MqttAddress) -> dict[str, Any]:
    base = "ocpp/CP_1"
    async with watching(address, f"{base}/#", "ocpp/CP_9/error") as w:
        await w.until(lambda: w.last(f"{base}/online") == "true", "CP_1 online")
        status = f"{base}/connector/1/status"
        # The README's steps by hand (``start`` does both; the 2.0.1 proof uses it).
        answer = await command(w, "CP_1", "plug_in", {"connector_id": 1}, "s0")
        assert answer["outcome"] == "ok", answer
        card = {"connector_id": 1, "id_token": "VALID_TAG_1"}
        answer = await command(w, "CP_1", "present_id_token", card, "s1")
        assert answer["outcome"] == "ok", answer
        await w.until(lambda: w.last(status) == "Charging", "Charging")
        transaction = await w.until(
            lambda: w.last(f"{base}/connector/1/transaction"), "a transaction id"
        )
        await w.until(lambda: int(w.last(f"{base}/connector/1/energy") or 0) > 0, "energy")

        # Bad input: an answer on the error topic, never a crash.
        bad = {
            "json": ("plug_in", "{not json", "not JSON"),
            "array": ("plug_in", "[1, 2]", "must be a JSON object"),
            "action": ("fly_away", {}, "unknown action 'fly_away'; an OCPP 1.6 simulated"),
            "params": ("plug_in", {"connector_id": 9}, "connectors 1..2"),
            "type": ("plug_in", {"connector_id": "one"}, "connector_id='one'"),
        }
        for name, (action, body, phrase) in bad.items():
            count = len(w.values(f"{base}/error"))
            await w.client.publish(
                topics.command("ocpp", "CP_1", action),
                body if isinstance(body, str) else json.dumps({**body, "request_id": name}),
            )
            error = await w.until(
                lambda c=count: w.values(f"{base}/error")[c:], f"error for {name}"
            )
            assert phrase in json.loads(error[0])["error"], (name, error)
        await w.client.publish(topics.command("ocpp", "CP_9", "plug_in"), "{}")
        error = await w.until(lambda: w.values("ocpp/CP_9/error"), "unknown station error")
        assert "no simulated station 'CP_9'" in json.loads(error[0])["error"]

        answer = await command(w, "CP_1", "stop", {"connector_id": 1}, "s2")
        assert answer["outcome"] == "ok", answer
        await w.until(lambda: w.last(status) == "Finishing", "Finishing")
        await w.until(lambda: w.last(f"{base}/connector/1/transaction") == "", "no transaction")
        energy = int(w.last(f"{base}/connector/1/energy") or 0)
        assert (await command(w, "CP_1", "plug_out", {"connector_id": 1}, "s3"))["outcome"] == "ok"
        await w.until(lambda: w.last(status) == "Available", "Available again")
        assert _in_order(w.values(status), ["Preparing", "Charging", "Finishing", "Available"])
        sent = [json.loads(t)[2] for t in w.values(f"{base}/ocpp/sent") if t.startswith("[2")]
        assert _in_order(sent, ["Authorize", "StartTransaction", "StopTransaction"]), sent
        received = w.values(f"{base}/ocpp/received")
        assert any('"transactionId"' in r for r in received), "the last frame each way"
        return {"transaction": transaction, "energy": energy}


def _in_order(seen: list[str], expected: list[str]) -> bool:
    """``expected`` appears in ``seen`` in this order (other values may come between)."""
    it = iter(seen)
    return all(any(value == wanted for value in it) for wanted in expected)


# -- 2. the user's own broker (--mqtt), OCPP 2.0.1 ------------------------------------------
@needs_mosquitto
def test_the_same_session_in_201_through_a_separately_run_mosquitto() -> None:
    """A broker the user runs (``--mqtt``): Mosquitto started apart from the simulator; the
    2.0.1 station's session as the reference CSMS saw it (TransactionEvent Started with the
    idToken, Ended with the energy the state topics showed)."""
    with MosquittoBroker() as broker, hosted_csms() as (csms, _loop):

        async def run() -> dict[str, Any]:
            simulator = Simulator(csms.url, "2.0.1", ["CP_3"], mqtt=broker.address)
            async with simulator:
                base = "ocpp/CP_3"
                async with watching(broker.address, f"{base}/#") as w:
                    await w.until(lambda: w.last(f"{base}/online") == "true", "online")
                    body = {"connector_id": 1, "id_token": "VALID_TAG_1"}
                    assert (await command(w, "CP_3", "start", body, "a"))["outcome"] == "ok"
                    state = f"{base}/connector/1/charging_state"
                    await w.until(lambda: w.last(state) == "Charging", "Charging")
                    tx = await w.until(lambda: w.last(f"{base}/connector/1/transaction"), "tx")
                    energy_topic = f"{base}/connector/1/energy"
                    await w.until(lambda: int(w.last(energy_topic) or 0) > 0, "energy")
                    # 2.0.1 vocabulary also works: a not-possible action says so.
                    answer = await command(w, "CP_3", "masterpass_select", {"target_evse": 0}, "m")
                    assert answer["outcome"] == "not-possible", answer
                    assert (await command(w, "CP_3", "stop", {"connector_id": 1}, "b"))[
                        "outcome"
                    ] == "ok"
                    await w.until(lambda: w.last(f"{base}/connector/1/transaction") == "", "end")
                    assert _in_order(w.values(state), ["EVConnected", "Charging", "EVConnected"])
                    return {"transaction": tx, "energy": int(w.last(energy_topic) or 0)}

        session = asyncio.run(run())
    events = csms.calls("CP_3", "TransactionEvent")
    started = [e for e in events if e["eventType"] == "Started"]
    ended = [e for e in events if e["eventType"] == "Ended"]
    assert len(started) == 1 and len(ended) == 1, events
    tokens = [e["idToken"]["idToken"] for e in events if "idToken" in e]
    assert "VALID_TAG_1" in tokens, events
    assert ended[0]["transactionInfo"]["transactionId"] == session["transaction"]
    assert ended[0]["transactionInfo"].get("stoppedReason", "Local") == "Local"
    registers = [
        float(sample["value"])
        for meter in ended[0].get("meterValue", [])
        for sample in meter["sampledValue"]
        if sample.get("measurand", "Energy.Active.Import.Register")
        == "Energy.Active.Import.Register"
        and sample.get("context") == "Transaction.End"
    ]
    assert registers, ended[0]
    assert int(registers[-1]) == session["energy"] > 0


# -- 3. the ocpp_sim fixture in a user's own test file ----------------------------------------
USER_TEST = """
import json

import aiomqtt
import pytest

pytestmark = pytest.mark.asyncio


async def test_my_flow(ocpp_sim):
    station = ocpp_sim.station("CP_5")
    await station.start(1, "VALID_TAG_1")
    await station.wait_for_status(1, "Charging", timeout=5)
    # The id comes with the CSMS's StartTransaction.conf, a moment after Charging.
    assert await station.wait_for_transaction(1, timeout=5) == station.transaction_id(1)
    # The MQTT interface is there in the same run.
    assert ocpp_sim.mqtt_url.startswith("mqtt://127.0.0.1:")
    async with aiomqtt.Client("127.0.0.1", ocpp_sim.mqtt.port) as client:
        await client.publish("ocpp/CP_5/cmd/stop", json.dumps({"connector_id": 1}))
    await station.wait_for_status(1, "Finishing", timeout=5)
    assert station.energy_wh(1) >= 0
    await station.plug_out(1)
    await station.wait_for_status(1, "Available", timeout=5)


async def test_a_timeout_names_the_state(ocpp_sim):
    station = ocpp_sim.station("CP_6")
    try:
        await station.wait_for_status(1, "Charging", timeout=0.5)
    except TimeoutError as exc:
        assert "status Charging on connector 1 not reached within 0.5 s" in str(exc)
    else:
        raise AssertionError("no timeout")
"""


@needs_mosquitto
def test_the_ocpp_sim_fixture_in_a_users_own_test(tmp_path: Path) -> None:
    with hosted_csms() as (csms, _):
        (tmp_path / "test_user_flow.py").write_text(USER_TEST, "utf-8")
        done = harness.run_pytest(
            tmp_path,
            "test_user_flow.py",
            "--ocpp-target",
            csms.url,
            "-q",
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout
    assert [s["idTag"] for s in csms.calls("CP_5", "StartTransaction")] == ["VALID_TAG_1"]
    assert len(csms.calls("CP_5", "StopTransaction")) == 1


# -- 4. the MQTT station operator ----------------------------------------------------------
@needs_mosquitto
def test_the_mqtt_operator_judges_each_acknowledgement_and_names_the_topic() -> None:
    """ok / refused / not-possible / failed become pass / fail / n/a / error, as a command
    operator's exit codes do; no acknowledgement is the rig's error naming the reply topic;
    an unreachable broker too."""

    async def run(address: MqttAddress) -> None:
        perform = mqtt_performer(f"{address.url}/lab", timeout=2.0)
        async with mqtt_client(address) as rig:
            await rig.subscribe("lab/CP_1/cmd/+", qos=1)

            async def answer() -> None:
                async for message in rig.messages:
                    job = json.loads(message.payload)
                    outcome = job.get("id_tag") or "ok"
                    await rig.publish(
                        "lab/CP_1/ack",
                        json.dumps(
                            {"request_id": job["request_id"], "outcome": outcome, "error": "x"}
                        ),
                    )

            responder = asyncio.ensure_future(answer())
            job = {"station_id": "CP_1", "action": "present_id_tag", "ocpp_version": "1.6"}
            await perform({**job, "id_tag": "ok"})
            for outcome, error in (
                ("refused", OperatorRefused),
                ("not-possible", NotApplicable),
                ("failed", OperatorFailed),
                ("maybe", OperatorFailed),
            ):
                with pytest.raises(error):
                    await perform({**job, "id_tag": outcome})
            responder.cancel()
        silent = mqtt_performer(f"{address.url}/lab", timeout=0.5)
        with pytest.raises(OperatorFailed, match="no acknowledgement of plug_in on MQTT topic "):
            await silent({"station_id": "CP_2", "action": "plug_in", "connector_id": 1})
        try:
            await silent({"station_id": "CP_2", "action": "plug_in", "connector_id": 1})
        except OperatorFailed as exc:
            assert "lab/CP_2/ack within 0.5 s" in str(exc)
            assert "lab/CP_2/cmd/plug_in" in str(exc)
        closed = mqtt_performer(f"mqtt://127.0.0.1:{harness.free_port()}/lab", timeout=2.0)
        with pytest.raises(OperatorFailed, match="cannot reach the MQTT broker at mqtt://127"):
            await closed({"station_id": "CP_1", "action": "power_cycle"})

    with MosquittoBroker() as broker:
        asyncio.run(run(broker.address))


# The whole 1.6 station-side catalogue through the MQTT operator, compared case by case with
# the command operator: tests/test_sim_catalogue.py.


def test_the_simulator_says_why_it_cannot_start(capsys: pytest.CaptureFixture[str]) -> None:
    """An unreachable broker and a bad URL: one sentence each, exit status 2, no traceback."""
    port = harness.free_port()
    argv = ["--csms", "ws://127.0.0.1:1/ocpp", "--mqtt", f"mqtt://127.0.0.1:{port}"]
    assert cli.main(argv) == 2
    assert f"cannot reach the MQTT broker at mqtt://127.0.0.1:{port}" in capsys.readouterr().err
    assert cli.main(["--csms", "ws://127.0.0.1:1/ocpp", "--mqtt", "http://x"]) == 2
    assert "is not an MQTT URL" in capsys.readouterr().err


def test_a_silent_broker_times_out_naming_the_setting(capsys: pytest.CaptureFixture[str]) -> None:
    """A port that accepts TCP but never answers CONNECT (a hung broker): the simulator gives
    up after --mqtt-timeout, not aiomqtt's fixed 10 s, and names the setting."""
    import socket
    import time

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        argv = ["--csms", "ws://127.0.0.1:1/ocpp", "--mqtt", f"mqtt://127.0.0.1:{port}"]
        started = time.monotonic()
        assert cli.main([*argv, "--mqtt-timeout", "0.5"]) == 2
        assert time.monotonic() - started < 5
    err = capsys.readouterr().err
    assert "did not accept the connection in time" in err
    assert "--mqtt-timeout" in err


# -- 5. what goes wrong, said: bad input, an unreachable CSMS, no broker -----------------------
@pytest.mark.parametrize(
    ("argv", "phrase"),
    [
        (["--csms", "http://csms.example/ocpp"], "--csms 'http://csms.example/ocpp' is not a "),
        (["--csms", "ws://csms.example/ocpp?x=1"], "has a query or fragment"),
        (["--stations", "CP_1,CP/1"], "'CP/1' cannot be a station id: it is an MQTT topic level"),
        (["--stations", "CP+1"], "cannot contain +"),
        (["--stations", "#"], "cannot contain #"),
        (["--connect-timeout", "0"], "--connect-timeout must be a positive number of seconds"),
        (["--mqtt-timeout", "-1"], "--mqtt-timeout must be a positive number of seconds"),
        (["--log-level", "LOUD"], "--log-level 'LOUD' is not a logging level"),
    ],
)
def test_bad_input_is_one_sentence_before_anything_starts(
    argv: list[str], phrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2 and one line naming the option; checked before the broker would start (nothing
    on stdout, where its URL is the first line), so nothing is left running."""
    full = ["--csms", "ws://127.0.0.1:1/ocpp", *argv]
    assert cli.main(full) == 2
    out, err = capsys.readouterr()
    assert out == "", "no broker started"
    assert err.count("\n") == 1 and err.startswith("pytest-ocpp-sim: "), err
    assert phrase in err, err
    assert "Traceback" not in err


def test_without_mosquitto_the_simulator_says_how_to_get_a_broker(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No --mqtt and no mosquitto on this machine (the finder says none): the install command
    or --mqtt, exit 2. Runs on every machine, with Mosquitto installed or not."""
    monkeypatch.setattr(broker, "find_mosquitto", lambda: None)
    assert cli.main(["--csms", "ws://127.0.0.1:1/ocpp"]) == 2
    err = capsys.readouterr().err
    assert "pytest-ocpp-sim: No MQTT broker: mosquitto is not installed; install it with " in err
    assert "'apt-get install mosquitto' or give the URL of a broker with --mqtt" in err


SIM = (sys.executable, "-m", "pytest_ocpp.sim.cli")


class Lines:
    """A stream's lines as a thread reads them, with a bounded wait for a condition."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for(self, predicate: Callable[[list[str]], bool], what: str, timeout: float) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self.lines), timeout):
                raise AssertionError(f"{what} not printed within {timeout} s: {self.lines}")


@needs_mosquitto
def test_an_unreachable_csms_is_said_and_the_stations_keep_trying() -> None:
    """``--csms`` pointing at nothing: every station is retained ``online false`` from the
    start; after --connect-timeout one warning per station names its URL and the connection
    error; a command is refused as offline on the error topic (not acked ok); when the CSMS
    comes up the stations connect (they kept retrying) and commands are carried out."""
    port = harness.free_port()
    csms_url = f"ws://127.0.0.1:{port}/ocpp"
    process = subprocess.Popen(
        [*SIM, "--csms", csms_url, "--stations", "CP_1,CP_2", "--connect-timeout", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    errors = Lines(process.stderr)
    try:
        first = process.stdout.readline()
        assert "MQTT broker (mosquitto) at mqtt://127.0.0.1:" in first, (first, errors.lines)
        address = MqttAddress("127.0.0.1", int(first.strip().rpartition(":")[2]))
        assert "CP_1, CP_2" in process.stdout.readline()

        async def offline() -> None:
            async with watching(address, "ocpp/+/online", "ocpp/CP_1/error", "ocpp/CP_1/#") as w:
                for station in ("CP_1", "CP_2"):  # retained: there for a late subscriber
                    await w.until(lambda s=station: w.last(f"ocpp/{s}/online") == "false", station)
                answer = await command(w, "CP_1", "plug_in", {"connector_id": 1}, "p1")
                assert answer["outcome"] == "failed", answer
                error = json.loads(w.values("ocpp/CP_1/error")[-1])["error"]
                assert error == answer["error"]
                assert error.startswith("station CP_1 is offline, so plug_in was not carried out")
                assert f"no connection to {csms_url}/CP_1 (last attempt: " in error, error

        asyncio.run(offline())
        for station in ("CP_1", "CP_2"):
            errors.wait_for(lambda lines, s=station: any(s in x for x in lines), station, 10)
        warnings = [line for line in errors.lines if "warning:" in line]
        assert len(warnings) == 2, errors.lines
        for station, line in zip(("CP_1", "CP_2"), sorted(warnings), strict=True):
            assert line.startswith(
                f"pytest-ocpp-sim: warning: station {station} is not online after 1 s "
                f"(--connect-timeout): no connection to {csms_url}/{station} (last attempt: "
            ), line
            assert "Connect call failed" in line or "refused" in line, line
            assert "it keeps retrying" in line

        csms = RecordingCsms(port=port)
        with BackgroundLoop("late-csms") as loop:
            loop.run(csms.start())
            try:

                async def online() -> None:
                    async with watching(address, "ocpp/CP_1/#") as w:
                        await w.until(lambda: w.last("ocpp/CP_1/online") == "true", "online", 15)
                        answer = await command(w, "CP_1", "plug_in", {"connector_id": 1}, "p2")
                        assert answer["outcome"] == "ok", answer

                asyncio.run(online())
            finally:
                loop.run(csms.stop())
        assert csms.calls("CP_1", "BootNotification"), "CP_1 reached the CSMS in the end"
    finally:
        process.terminate()
        process.wait(10)
    assert process.returncode == 0
    assert len([line for line in errors.lines if "warning:" in line]) == 2, "one per station"
    assert not any("Traceback" in line for line in errors.lines), errors.lines


def test_commands_name_the_whole_vocabulary_and_an_offline_station_refuses() -> None:
    """An unknown action lists every command of the version (the simulator's own start, stop
    and present_id_token included), at once; a station never connected refuses a command
    after the connect timeout, saying it is offline and where it tried to connect."""
    port = harness.free_port()

    async def run() -> None:
        for version in ("1.6", "2.0.1"):
            station = SimStation("CP_1", f"ws://127.0.0.1:{port}/ocpp", version)
            started = time.monotonic()
            with pytest.raises(CommandError) as refused:
                await station.command("fly_away", {})
            assert time.monotonic() - started < 1, "no wait for a boot to refuse a name"
            said = str(refused.value)
            assert said.startswith(f"unknown action 'fly_away'; an OCPP {version} simulated")
            for action in sorted(vocabulary(version)):
                assert action in said, (action, said)
            assert {"present_id_token", "present_id_tag", "start", "stop"} <= vocabulary(version)
        async with Simulator(f"ws://127.0.0.1:{port}/ocpp", connect_timeout=0.5) as simulator:
            station = simulator.station("CP_4")
            with pytest.raises(StationOffline) as offline:
                await station.plug_in(1)
            assert str(offline.value).startswith(
                "station CP_4 is offline, so plug_in was not carried out: no connection to "
                f"ws://127.0.0.1:{port}/ocpp/CP_4 (last attempt: "
            ), str(offline.value)

    asyncio.run(run())


NO_BROKER_CONFTEST = """
import pytest_ocpp.sim.broker

# This machine "has no Mosquitto": the finder the fixture asks says so.
pytest_ocpp.sim.broker.find_mosquitto = lambda: None
"""

NO_BROKER_TEST = """
import pytest

pytestmark = pytest.mark.asyncio


async def test_the_python_api_drives_the_stations_without_a_broker(ocpp_sim):
    assert not ocpp_sim.has_mqtt
    station = ocpp_sim.station("CP_7")
    await station.start(1, "VALID_TAG_1")
    await station.wait_for_status(1, "Charging", timeout=5)


async def test_reading_the_mqtt_url_says_why_there_is_none(ocpp_sim):
    print(ocpp_sim.mqtt_url)
"""


def test_the_ocpp_sim_fixture_without_a_broker_says_so_once(tmp_path: Path) -> None:
    """No Mosquitto and no --ocpp-sim-mqtt: one warning for the run, the Python API works,
    and ``ocpp_sim.mqtt_url`` fails the test with the reason and the remedy (not an
    AttributeError on None). Runs on every machine, with Mosquitto installed or not."""
    (tmp_path / "conftest.py").write_text(NO_BROKER_CONFTEST, "utf-8")
    (tmp_path / "test_no_broker.py").write_text(NO_BROKER_TEST, "utf-8")
    with hosted_csms() as (csms, _):
        done = harness.run_pytest(tmp_path, "test_no_broker.py", "--ocpp-target", csms.url)
    out = done.stdout
    assert done.returncode == 1, out[-3000:] + done.stderr[-2000:]
    assert "1 failed, 1 passed" in out, out[-3000:]
    sentence = (
        "ocpp_sim has no MQTT broker in this run: mosquitto is not installed and "
        "--ocpp-sim-mqtt is not set; its stations are driven from Python only (install "
        "Mosquitto with 'apt-get install mosquitto', or give a broker with "
        "--ocpp-sim-mqtt=mqtt://HOST:PORT)"
    )
    assert out.count(f"OcppSimWarning: {sentence}") == 1, out[-3000:]
    failure = out.partition("_ test_reading_the_mqtt_url_says_why_there_is_none _")[2]
    assert failure.split("\n")[1] == sentence, out[-3000:]
    assert "AttributeError" not in out
    assert [s["idTag"] for s in csms.calls("CP_7", "StartTransaction")] == ["VALID_TAG_1"]


USER_TEST_201 = """
import asyncio

import aiomqtt
import pytest

pytestmark = pytest.mark.asyncio


async def test_my_201_flow(ocpp_sim):
    station = ocpp_sim.station("CP_201")
    await station.start(1, "VALID_TAG_1")
    await station.wait_for_status(1, "Charging", timeout=5)  # a 2.0.1 chargingState
    transaction = await station.wait_for_transaction(1, timeout=5)
    async with aiomqtt.Client("127.0.0.1", ocpp_sim.mqtt.port) as client:
        await client.subscribe("ocpp/CP_201/connector/1/#")
        seen = {}
        async with asyncio.timeout(5):
            async for message in client.messages:  # retained: the state as it is
                seen[str(message.topic).rpartition("/")[2]] = message.payload.decode()
                if {"charging_state", "transaction"} <= set(seen):
                    break
    assert seen["charging_state"] == "Charging"
    assert seen["transaction"] == transaction
    await station.stop(1)
    await station.wait_for(lambda: not station.transaction_id(1), 5, "the transaction's end")
"""


@needs_mosquitto
def test_the_ocpp_sim_fixture_in_201(tmp_path: Path) -> None:
    """The fixture in OCPP 2.0.1: a session through the Python API, its state on the MQTT
    topics in the same run, and the reference CSMS told of its start and end."""
    (tmp_path / "test_user_201.py").write_text(USER_TEST_201, "utf-8")
    with hosted_csms() as (csms, _):
        done = harness.run_pytest(
            tmp_path, "test_user_201.py", "--ocpp-target", csms.url, "--ocpp-version=2.0.1"
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    events = csms.calls("CP_201", "TransactionEvent")
    kinds = [e["eventType"] for e in events]
    assert kinds[0] == "Started" and kinds[-1] == "Ended", kinds
    assert len({e["transactionInfo"]["transactionId"] for e in events}) == 1, events
    assert "VALID_TAG_1" in [e["idToken"]["idToken"] for e in events if "idToken" in e]
