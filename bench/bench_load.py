"""What one load generator process holds: ``python bench/bench_load.py``.

Against a minimal websocket sink (its own process, answering every Call at once), so what is
measured is the generator (``pytest-ocpp-load``, one Locust process, no workers):

- for growing station counts, idle stations heartbeating every ``--heartbeat`` seconds: how many
  are connected, Heartbeat p50 and p99 latency in the steady state (the worst p99 of Locust's
  10 s windows once every station is connected), failures, the generator's CPU and RSS; then a
  bare ``websockets`` client with as many stations against a fresh sink gives the floor that
  the sink, loopback and the machine add (the same statistic: its worst p99 of 10 s windows);
  the difference is "our added p99"; the most stations held with p99 < 50 ms, and with our
  added p99 < 50 ms;
- memory per idle station: the RSS slope between two station counts;
- per-exchange CPU cost (Call sent, reply received, judged and counted) next to a bare
  ``websockets`` asyncio client doing the same exchange at the same rate, as a ratio (the
  median of ``--ratio-rounds`` alternated runs: one run of each varies by ±15 % on a shared
  machine), and exchanges per second per core.

Numbers go to stdout as one JSON object (a readable summary on stderr). Not run in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import psutil

SINK = textwrap.dedent(
    """
    import asyncio, json, resource, sys, time
    from websockets.asyncio.server import serve
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    INTERVAL = int(sys.argv[2])
    state = {"connections": 0, "messages": 0}

    def now():
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    async def handler(ws):
        state["connections"] += 1
        try:
            async for raw in ws:
                message = json.loads(raw)
                state["messages"] += 1
                action = message[2]
                if action == "BootNotification":
                    body = {"currentTime": now(), "interval": INTERVAL, "status": "Accepted"}
                elif action == "Heartbeat":
                    body = {"currentTime": now()}
                else:
                    body = {}
                await ws.send(json.dumps([3, message[1], body]))
        except Exception:
            pass
        finally:
            state["connections"] -= 1

    async def report(path):
        while True:
            await asyncio.sleep(0.5)
            with open(path, "w") as handle:
                json.dump(state, handle)

    async def main():
        async with serve(handler, "127.0.0.1", 0, subprotocols=["ocpp1.6"], ping_interval=None,
                         backlog=4096) as server:
            port = server.sockets[0].getsockname()[1]
            print(f"ws://127.0.0.1:{port}/ocpp", flush=True)
            await report(sys.argv[1])

    asyncio.run(main())
    """
)


class Sink:
    def __init__(self, heartbeat: int) -> None:
        self.status = Path(tempfile.mkstemp(suffix=".json")[1])
        self.process = subprocess.Popen(
            [sys.executable, "-c", SINK, str(self.status), str(heartbeat)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()

    def state(self) -> dict[str, int]:
        for _ in range(50):  # the sink rewrites the file twice a second
            try:
                return json.loads(self.status.read_text())
            except (ValueError, OSError):
                time.sleep(0.02)
        return {"connections": 0, "messages": 0}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.status.unlink(missing_ok=True)


def run_generator(
    sink: Sink, stations: int, heartbeat: float, steady: float, workdir: Path
) -> dict[str, Any]:
    """One headless run; CPU and RSS of the generator measured over the steady state only."""
    config = workdir / "bench.toml"
    config.write_text(
        f"[load]\nheartbeat_interval = {heartbeat}\nmix = {{ charging = 0, idle = 1 }}\n"
        "connectors = 1\nresponse_timeout = 10\nconnect_timeout = 30\n",
        "utf-8",
    )
    prefix = workdir / f"bench-{stations}"
    spawn_rate = min(stations, 500)
    ramp = stations / spawn_rate + 5
    command = [
        sys.executable, "-m", "pytest_ocpp.load.cli", "--headless", "--target", sink.url,
        "--version", "1.6", "--config", str(config), "--stations", str(stations),
        "--spawn-rate", str(spawn_rate), "--duration", f"{int(ramp + steady + 2)}s",
        "--csv", str(prefix), "--csv-full-history", "--reset-stats", "--loglevel", "ERROR",
        "--stop-timeout", "5",
    ]  # fmt: skip
    generator = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    proc = psutil.Process(generator.pid)
    deadline = time.monotonic() + ramp + 60
    while sink.state().get("connections", 0) < stations and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(min(heartbeat, 5))  # first heartbeats out of the ramp
    connected = sink.state().get("connections", 0)
    cpu0, wall0, msgs0 = sum(proc.cpu_times()[:2]), time.monotonic(), sink.state()["messages"]
    epoch0 = time.time()
    time.sleep(steady * 0.7)
    cpu1, wall1, msgs1 = sum(proc.cpu_times()[:2]), time.monotonic(), sink.state()["messages"]
    epoch1 = time.time()
    rss = proc.memory_info().rss
    _, stderr = generator.communicate(timeout=ramp + steady + 120)
    rows = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
        for line in handle:
            values = dict(zip(header, line.strip().split(","), strict=False))
            rows[values["Name"]] = values
    heartbeat_row = rows.get("Heartbeat", {})
    steady_p99 = _steady_p99(Path(f"{prefix}_stats_history.csv"), epoch0, epoch1)
    exchanges = msgs1 - msgs0
    return {
        "stations": stations,
        "connected": connected,
        "heartbeat_p50_ms": float(heartbeat_row.get("50%", "nan")),
        "heartbeat_p99_ms": steady_p99,
        "heartbeat_p99_ms_since_spawned": float(heartbeat_row.get("99%", "nan")),
        "heartbeats": int(heartbeat_row.get("Request Count", 0)),
        "failures": int(rows.get("Aggregated", {}).get("Failure Count", 0)),
        "generator_cores": (cpu1 - cpu0) / (wall1 - wall0),
        "generator_rss_mib": rss / 2**20,
        "exchanges_per_s": exchanges / (wall1 - wall0),
        "cpu_us_per_exchange": 1e6 * (cpu1 - cpu0) / exchanges if exchanges else float("nan"),
        "stderr_tail": stderr.decode(errors="replace")[-300:] if generator.returncode else "",
    }


def _steady_p99(history: Path, start: float, end: float) -> float:
    """The worst Heartbeat p99 of Locust's sliding windows (10 s, ``--csv-full-history``)
    that lie wholly inside the steady state [start, end]: Locust's ``--reset-stats`` fires
    when the last user is spawned, while websocket handshakes of the ramp are still queued,
    so its totals mix the ramp's latency into the steady state's."""
    worst = float("nan")
    with history.open(encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
        for line in handle:
            row = dict(zip(header, line.strip().split(","), strict=False))
            if row.get("Name") != "Heartbeat" or row.get("99%") in (None, "N/A"):
                continue
            if start + 10 <= float(row["Timestamp"]) <= end:
                value = float(row["99%"])
                worst = value if worst != worst else max(worst, value)
    return worst


BARE = textwrap.dedent(
    """
    import asyncio, json, random, resource, sys, time, uuid
    from websockets.asyncio.client import connect
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    URL, N, INTERVAL, SECONDS = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    RATE, MEASURE_FROM = float(sys.argv[5]), float(sys.argv[6])
    latencies = []

    async def station(i, stop, begin):
        await asyncio.sleep(i / RATE)  # the ramp of the generator run: spawn rate
        async with connect(f"{URL}/BARE{i}", subprotocols=["ocpp1.6"], ping_interval=None,
                           open_timeout=60) as ws:
            await asyncio.sleep(random.uniform(0, INTERVAL))
            while time.monotonic() < stop:
                uid = str(uuid.uuid4())
                sent = time.perf_counter()
                await ws.send(json.dumps([2, uid, "Heartbeat", {}]))
                reply = json.loads(await ws.recv())
                assert reply[1] == uid
                if time.monotonic() >= begin:
                    latencies.append((time.monotonic(), time.perf_counter() - sent))
                await asyncio.sleep(INTERVAL)

    async def main():
        start = time.monotonic()
        stop, begin = start + SECONDS, start + MEASURE_FROM
        await asyncio.gather(*(station(i, stop, begin) for i in range(N)))
        def pick(values, q):
            values = sorted(values)
            return 1000 * values[min(len(values) - 1, int(len(values) * q))] if values else None

        # The statistic Locust's history gives ours: the worst p99 of 10 s windows, 1 s apart.
        worst, t = None, begin
        while t + 10 <= stop:
            p99 = pick([v for at, v in latencies if t <= at < t + 10], 0.99)
            worst = p99 if worst is None or (p99 is not None and p99 > worst) else worst
            t += 1
        values = [v for _, v in latencies]
        print(json.dumps({"count": len(values), "p50_ms": pick(values, 0.5), "p99_ms": pick(values, 0.99),
                          "worst_window_p99_ms": worst}), flush=True)

    asyncio.run(main())
    """
)


def run_bare(sink: Sink, stations: int, interval: float, seconds: float) -> dict[str, Any]:
    """The same exchange from a bare ``websockets`` client: the floor a Python tool can reach.
    CPU per exchange over the steady state, and the latency the same sink and loopback give
    a client that adds nothing (the floor under our own p99)."""
    rate = min(stations, 500)
    ramp = stations / rate + 5
    process = subprocess.Popen(
        [sys.executable, "-c", BARE, sink.url, str(stations), str(interval),
         str(ramp + seconds), str(rate), str(ramp + min(interval, 5))],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    proc = psutil.Process(process.pid)
    deadline = time.monotonic() + ramp + 60
    while sink.state().get("connections", 0) < stations and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(min(interval, 5))
    cpu0, wall0, msgs0 = sum(proc.cpu_times()[:2]), time.monotonic(), sink.state()["messages"]
    time.sleep(seconds * 0.7)
    cpu1, wall1, msgs1 = sum(proc.cpu_times()[:2]), time.monotonic(), sink.state()["messages"]
    out, _ = process.communicate(timeout=ramp + seconds + 120)
    latency = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    exchanges = msgs1 - msgs0
    return {
        "stations": stations,
        "exchanges_per_s": exchanges / (wall1 - wall0),
        "cpu_us_per_exchange": 1e6 * (cpu1 - cpu0) / exchanges if exchanges else float("nan"),
        "heartbeat_p50_ms": latency.get("p50_ms", float("nan")),
        "heartbeat_p99_ms": latency.get("worst_window_p99_ms") or float("nan"),
        "heartbeat_p99_ms_overall": latency.get("p99_ms") or float("nan"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="1000,5000,10000,15000", help="station counts")
    parser.add_argument("--heartbeat", type=float, default=10.0, help="seconds between heartbeats")
    parser.add_argument("--steady", type=float, default=20.0, help="seconds measured per step")
    parser.add_argument("--ratio-stations", type=int, default=500)
    parser.add_argument("--ratio-interval", type=float, default=0.5)
    parser.add_argument("--ratio-rounds", type=int, default=3, help="median of N alternated runs")
    args = parser.parse_args()
    out: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load": os.getloadavg()}}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        steps = []
        for stations in (int(s) for s in args.steps.split(",")):
            sink = Sink(int(args.heartbeat))
            try:
                step = run_generator(sink, stations, args.heartbeat, args.steady, workdir)
            finally:
                sink.stop()
            sink = Sink(int(args.heartbeat))
            try:
                floor = run_bare(sink, stations, args.heartbeat, args.steady)
            finally:
                sink.stop()
            step["bare_heartbeat_p99_ms"] = floor["heartbeat_p99_ms"]
            step["added_p99_ms"] = step["heartbeat_p99_ms"] - floor["heartbeat_p99_ms"]
            steps.append(step)
            print(json.dumps(step), file=sys.stderr, flush=True)
        out["steps"] = steps
        held = [
            s["stations"]
            for s in steps
            if s["connected"] >= s["stations"] and s["heartbeat_p99_ms"] < 50 and not s["failures"]
        ]
        out["most_stations_p99_under_50ms"] = max(held, default=0)
        added = [
            s["stations"]
            for s in steps
            if s["connected"] >= s["stations"] and s["added_p99_ms"] < 50 and not s["failures"]
        ]
        out["most_stations_added_p99_under_50ms"] = max(added, default=0)
        if len(steps) >= 2:
            a, b = steps[0], steps[-1]
            out["kib_per_idle_station"] = (
                1024
                * (b["generator_rss_mib"] - a["generator_rss_mib"])
                / (b["stations"] - a["stations"])
            )
        rounds = []
        for _ in range(args.ratio_rounds):  # alternated: a noisy neighbour hits both sides
            sink = Sink(int(args.heartbeat))
            try:
                ours = run_generator(
                    sink, args.ratio_stations, args.ratio_interval, args.steady, workdir
                )
                bare = run_bare(sink, args.ratio_stations, args.ratio_interval, args.steady)
            finally:
                sink.stop()
            rounds.append(
                {
                    "ours_us": ours["cpu_us_per_exchange"],
                    "bare_us": bare["cpu_us_per_exchange"],
                    "ratio": ours["cpu_us_per_exchange"] / bare["cpu_us_per_exchange"],
                }
            )
        middle = sorted(rounds, key=lambda r: r["ratio"])[len(rounds) // 2]
        out["per_exchange"] = {
            "rounds": rounds,
            "ratio": middle["ratio"],
            "our_exchanges_per_s_per_core": 1e6 / middle["ours_us"],
        }
    print(json.dumps(out, indent=2))
    summary = (
        f"most stations with p99 < 50 ms: {out['most_stations_p99_under_50ms']} "
        f"(with our added p99 < 50 ms: {out['most_stations_added_p99_under_50ms']}); "
        f"{out.get('kib_per_idle_station', float('nan')):.1f} KiB per idle station; "
        f"{out['per_exchange']['our_exchanges_per_s_per_core']:.0f} exchanges/s per core; "
        f"{out['per_exchange']['ratio']:.2f}x a bare websockets client per exchange"
    )
    print(summary, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
