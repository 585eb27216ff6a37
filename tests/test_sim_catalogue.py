"""Issue 19: the whole 1.6 station-side catalogue through the MQTT station operator, with the
same verdicts, case by case, as through the command operator.

Two runs at once, each a real pytest process listening for the station (``--ocpp-listen``):

- ``command``: the 1.6 reference station, its physical actions performed by the command
  operator (one ``python -m pytest_ocpp.reference.control`` per action, through the station's
  control port), as a charger team wires a rig into ``--ocpp-station-operator``;
- ``mqtt``: the same reference station simulated by ``pytest-ocpp-sim``'s :class:`Simulator`,
  its actions published by ``--ocpp-station-operator=mqtt://...`` on a real Mosquitto and
  acknowledged by the simulator on the ack topic.

Both runs meet the chatty variant, so this file also proves that legal repeats and
intermediate statuses pass with warnings (before, a third whole-catalogue run did that).
Cost: ~40 s CPU, ~110 s wall, both runs at once; the command operator's one Python
subprocess per action is most of the CPU, the cases' 2 s absence windows most of the wall.
"""

from __future__ import annotations

from pathlib import Path

import harness
import pytest

from pytest_ocpp.reference.runner import BackgroundLoop
from pytest_ocpp.sim.broker import MosquittoBroker, find_mosquitto
from pytest_ocpp.sim.simulator import Simulator

pytestmark = pytest.mark.skipif(
    find_mosquitto() is None,
    reason="SKIPPED, NOT PASSED: Mosquitto is not installed (apt-get install mosquitto); the "
    "MQTT operator's catalogue proof needs a real broker",
)

TESTCASES = str(Path(__file__).resolve().parent.parent / "testcases" / "ocpp16" / "cs")


def _run(workdir: Path, *args: str) -> harness.Report:
    """The whole 1.6 station side with the 2 s windows of the other whole-station-side run:
    the reference answers in milliseconds, and the cases' absence windows (the message
    timeout) are most of the run's time."""
    return harness.run_suite(
        workdir,
        *args,
        TESTCASES,
        timeout=600,
        message_timeout=2,
        response_timeout=2,
        operator_timeout=10,
    )


VARIANT = ("chatty_status",)
"""Both runs meet the chatty variant (legal repeats and intermediate statuses, OCPP 1.6 §4.9):
one whole-catalogue run per operator proves the operators equal and the tolerance at once."""


def _by_command(workdir: Path) -> harness.Report:
    with harness.reference_station(variants=VARIANT) as hosted:
        return _run(workdir, *hosted.args)


def _by_mqtt(workdir: Path) -> harness.Report:
    port = harness.free_port()
    with MosquittoBroker() as broker, BackgroundLoop("sim-catalogue") as loop:
        simulator = Simulator(
            f"ws://127.0.0.1:{port}/ocpp",
            "1.6",
            ["CP_1"],
            mqtt=broker.address,
            variants=VARIANT,
            response_timeout=5.0,
            reconnect_max_delay=1.0,
        )
        loop.run(simulator.start())
        try:
            return _run(
                workdir,
                "--ocpp-listen",
                f"127.0.0.1:{port}",
                "--ocpp-station-operator",
                f"{broker.url}/ocpp",
            )
        finally:
            loop.run(simulator.stop())


runs = harness.runs_fixture({"command": _by_command, "mqtt": _by_mqtt}, workers=2, timeout=900)


def test_the_whole_16_station_side_has_the_same_verdicts_through_mqtt(runs: harness.Runs) -> None:
    """Every 1.6 station-side case: the same verdict through either operator, and no case
    fails or errors (the reference station is conformant) with either."""
    by_command = {case: verdict for case, (verdict, _) in runs["command"].verdicts.items()}
    by_mqtt = {case: verdict for case, (verdict, _) in runs["mqtt"].verdicts.items()}
    assert len(by_command) >= 100, runs["command"].output
    assert set(by_mqtt) == set(by_command), sorted(set(by_mqtt) ^ set(by_command))
    differ = {c: (v, by_mqtt[c]) for c, v in by_command.items() if by_mqtt[c] != v}
    assert not differ, f"command vs MQTT verdicts differ: {differ}\n{runs['mqtt'].output}"
    bad = {c: v for c, v in by_command.items() if v not in (harness.PASS, harness.NOT_APPLICABLE)}
    assert not bad, runs["command"].output
    assert sum(v == harness.PASS for v in by_mqtt.values()) >= 85, by_mqtt


def test_the_whole_station_side_passes_against_the_chatty_variant(runs: harness.Runs) -> None:
    """Repeats and legal intermediate statuses pass, and every report shows them as warnings:
    Preparing repeated, SuspendedEV on the way to Charging, Uploading/Downloading repeated."""
    for name in ("command", "mqtt"):
        report = runs[name]
        assert report.returncode == 0, report.output
        warnings = {c["id"]: " ".join(c.get("warnings") or []) for c in report.cases}
        assert "repeated Preparing" in warnings["TC_003_CS"], warnings["TC_003_CS"]
        assert "passed through SuspendedEV" in warnings["TC_003_CS"], warnings["TC_003_CS"]
        assert "repeated Uploading" in warnings["TC_045_1_CS"], warnings["TC_045_1_CS"]
        assert "repeated Downloading" in warnings["TC_044_1_CS"], warnings["TC_044_1_CS"]
