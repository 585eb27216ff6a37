"""Fuzzing throughput: ``python bench/bench_fuzz.py [--examples N] [--version 1.6|2.0.1|all]``.

For every request a station sends a CSMS, the examples per second of the valid-payload property
against the reference CSMS (started in a subprocess, ``python -m pytest_ocpp.reference.csms``,
so it does not share our interpreter), next to the bare generation rate on the same schemas
(hypothesis drawing the payload and serialising the Call, no network). Issue 15 asks fuzzing to
keep at least half the bare rate: the network, the reference's validation and our judging may
cost no more than generation itself.

Both rates run the same code path as ``pytest -m ocpp_fuzz`` (:class:`pytest_ocpp.fuzz.run.
FuzzRun`, the quick profile with ``max_examples`` raised to ``--examples``, no shrinking since
nothing fails). One JSON object on stdout, a readable table on stderr. Speed is measured here,
never asserted in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from hypothesis import given, settings

from pytest_ocpp import rpc
from pytest_ocpp.case import CaseContext
from pytest_ocpp.config import build_config
from pytest_ocpp.fuzz import profiles, rules
from pytest_ocpp.fuzz.run import FuzzRun, StationRole
from pytest_ocpp.fuzz.strategies import payloads
from pytest_ocpp.station import Station16, Station201
from pytest_ocpp.versions import OcppVersion, get_version


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_reference(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_ocpp.reference.csms", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.05)
    process.kill()
    raise SystemExit(f"the reference CSMS did not listen on port {port} within 20 s")


def bare_rate(version: OcppVersion, action: str, examples: int) -> float:
    """Examples per second of drawing a payload and serialising the Call."""
    count = [0]

    @settings(profiles.current(), max_examples=examples, database=None)
    @given(payloads(version, action))
    def generate(payload: dict[str, Any]) -> None:
        rpc.Call(rpc.new_unique_id(), action, payload).to_json()
        count[0] += 1

    started = time.perf_counter()
    generate()
    return count[0] / (time.perf_counter() - started)


def fuzz_rate(run: FuzzRun, action: str, examples: int) -> float:
    """Examples per second of the valid-payload property against the target."""
    count = [0]

    async def example(payload: dict[str, Any]) -> None:
        await run.valid(action, payload)
        count[0] += 1

    @settings(profiles.current(), max_examples=examples, database=None)
    @given(payloads(run.version, action))
    def prop(payload: dict[str, Any]) -> None:
        run.run(example(payload))

    started = time.perf_counter()
    prop()
    return count[0] / (time.perf_counter() - started)


def bench_version(url: str, version: OcppVersion, examples: int) -> dict[str, Any]:
    config = build_config(lambda _: None, lambda _: None, environ={}, rootdir=Path.cwd())
    ctx = CaseContext(config, case_id="bench")
    loop = asyncio.new_event_loop()
    station_class = Station16 if version.name == "1.6" else Station201

    async def make() -> Any:
        station = station_class(
            ctx,
            url=url,
            station_id=f"BENCH_{version.name.replace('.', '')}",
            version=version,
            spec=config.station,
            tags=config.tags,
        )
        await station.connect()
        await station.booted()
        return station

    run = FuzzRun(ctx, loop, version, StationRole(make), "bench")
    run.run(run.peer.link())
    rows = []
    try:
        for action in rules.STATION_TO_CSMS[version.name]:
            bare = bare_rate(version, action, examples)
            fuzz = fuzz_rate(run, action, examples)
            rows.append({"action": action, "bare_per_s": round(bare), "fuzz_per_s": round(fuzz)})
            ctx.trace.entries.clear()  # a bench run keeps no evidence
    finally:
        run.finish()
        loop.close()
    # Aggregate as a whole fuzz run would: the same number of examples per action.
    bare_total = sum(examples / r["bare_per_s"] for r in rows)
    fuzz_total = sum(examples / r["fuzz_per_s"] for r in rows)
    return {
        "version": version.name,
        "examples_per_action": examples,
        "bare_per_s": round(len(rows) * examples / bare_total),
        "fuzz_per_s": round(len(rows) * examples / fuzz_total),
        "ratio": round(bare_total / fuzz_total, 2),
        "actions": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="examples per action")
    parser.add_argument("--version", default="all", help="1.6, 2.0.1 or all")
    args = parser.parse_args()
    versions = ["1.6", "2.0.1"] if args.version == "all" else [args.version]
    port = _free_port()
    reference = _start_reference(port)
    results = []
    try:
        for name in versions:
            result = bench_version(f"ws://127.0.0.1:{port}/ocpp", get_version(name), args.examples)
            results.append(result)
            print(f"OCPP {name}: {'action':<36} {'bare/s':>8} {'fuzz/s':>8}", file=sys.stderr)
            for row in result["actions"]:
                print(
                    f"            {row['action']:<36} {row['bare_per_s']:>8} {row['fuzz_per_s']:>8}",
                    file=sys.stderr,
                )
            print(
                f"  all actions: bare {result['bare_per_s']}/s, fuzzing {result['fuzz_per_s']}/s "
                f"= {result['ratio']:.0%} of the bare rate (target: at least 50 %)",
                file=sys.stderr,
            )
    finally:
        reference.terminate()
        reference.wait(timeout=10)
    print(json.dumps({"fuzz_throughput": results}))


if __name__ == "__main__":
    main()
