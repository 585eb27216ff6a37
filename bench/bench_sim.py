"""How many simulated stations one simulator process drives with MQTT control, and the
command-to-wire latency: MQTT publish of a command → the OCPP frame it causes leaves the
station's websocket.

    python bench/bench_sim.py [--stations 100,300,1000] [--rate 50] [--seconds 10]

For each fleet size: Mosquitto and the reference CSMS run as processes of their own (their
CPU is not the simulator's); the simulator (every frame published, as by default) and the
publishing MQTT client run in this process, one loop. Reported per size: time until every
station is booted, then ``--rate`` commands per second for ``--seconds`` (``plug_in`` and
``plug_out`` of connector 1 in turn, round robin over the stations), each timed from just
before ``publish`` to the StatusNotification it causes being written to the websocket (the
wire tap, :class:`pytest_ocpp.sim.station.WireTap`), and the simulator process's CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

from pytest_ocpp.sim import topics
from pytest_ocpp.sim.broker import MosquittoBroker
from pytest_ocpp.sim.simulator import Simulator, mqtt_client
from pytest_ocpp.sim.station import SimStation


class TimedSimulator(Simulator):
    """The simulator, noting when a command's StatusNotification leaves each station."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.waiting: dict[str, float] = {}
        self.latencies: list[float] = []

    def _frame(self, station: SimStation, direction: str, text: str) -> None:
        if direction == "sent" and station.station_id in self.waiting:
            if '"StatusNotification"' in text:
                started = self.waiting.pop(station.station_id)
                self.latencies.append(time.perf_counter() - started)
        super()._frame(station, direction, text)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _fleet(n: int, csms: str, broker: MosquittoBroker, rate: float, seconds: float) -> dict:
    ids = [f"SIM{i:05d}" for i in range(n)]
    simulator = TimedSimulator(csms, "1.6", ids, mqtt=broker.address, response_timeout=30.0)
    cpu0, t0 = _cpu(), time.perf_counter()
    await simulator.start()
    try:
        await simulator.wait_online(timeout=max(60.0, n / 10))
    except TimeoutError as exc:
        await simulator.stop()
        return {"stations": n, "error": str(exc)}
    # Every station has reported its connectors: the fleet is idle before we measure.
    await asyncio.sleep(1.0)
    boot = time.perf_counter() - t0
    boot_cpu = _cpu() - cpu0
    plugged: set[str] = set()
    sent = 0
    async with mqtt_client(broker.address) as client:
        cpu1, t1 = _cpu(), time.perf_counter()
        interval = 1.0 / rate
        next_at = t1
        while time.perf_counter() - t1 < seconds:
            station = ids[sent % n]
            if station in simulator.waiting:  # still in flight: skip this turn
                sent += 1
                continue
            action = "plug_out" if station in plugged else "plug_in"
            plugged.symmetric_difference_update({station})
            body = json.dumps({"connector_id": 1})
            simulator.waiting[station] = time.perf_counter()
            await client.publish(topics.command("ocpp", station, action), body)
            sent += 1
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        await asyncio.sleep(1.0)
        steady_cpu = (_cpu() - cpu1) / (time.perf_counter() - t1)
    lost = len(simulator.waiting)
    await simulator.stop()
    lat = simulator.latencies
    return {
        "stations": n,
        "boot_s": round(boot, 2),
        "boot_cpu_s": round(boot_cpu, 2),
        "commands": len(lat) + lost,
        "unanswered": lost,
        "p50_ms": round(statistics.median(lat) * 1000, 2) if lat else None,
        "p99_ms": round(_pct(lat, 0.99) * 1000, 2) if lat else None,
        "max_ms": round(max(lat) * 1000, 2) if lat else None,
        "cpu_cores": round(steady_cpu, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", default="100,300,1000")
    parser.add_argument("--rate", type=float, default=50.0, help="commands per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    port = _free_port()
    csms = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest_ocpp.reference.csms",
            "--port",
            str(port),
            "--log-level",
            "WARNING",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows = []
    try:
        time.sleep(1.5)
        with MosquittoBroker() as broker:
            for n in (int(x) for x in args.stations.split(",")):
                row = asyncio.run(
                    _fleet(n, f"ws://127.0.0.1:{port}/ocpp", broker, args.rate, args.seconds)
                )
                rows.append(row)
                print(json.dumps(row), flush=True)
    finally:
        csms.terminate()
        csms.wait(10)
    print(
        "\nstations  boot s  boot CPU s  commands  p50 ms  p99 ms  max ms  simulator cores "
        f"(at {args.rate:g} commands/s)"
    )
    for r in rows:
        if "error" in r:
            print(f"{r['stations']:>8}  {r['error']}")
            continue
        print(
            f"{r['stations']:>8}  {r['boot_s']:>6}  {r['boot_cpu_s']:>10}  {r['commands']:>8}  "
            f"{r['p50_ms']:>6}  {r['p99_ms']:>6}  {r['max_ms']:>6}  {r['cpu_cores']:>15}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
