"""The price of strictness: ``python bench/bench_core.py``.

The per-frame cost of our receive path (parse + schema validation + trace record), and a
request/response round trip through our Link next to a raw ``websockets`` round trip on the
same machine, as a ratio. (Suite wall times: ``bench/bench_suites.py``.)

Numbers go to stdout as one JSON object (plus a readable summary on stderr), so CI can keep
history. Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from typing import Any

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from pytest_ocpp import rpc
from pytest_ocpp.config import Timeouts
from pytest_ocpp.link import Link
from pytest_ocpp.schemas import schema_set
from pytest_ocpp.trace import Trace
from pytest_ocpp.versions import V16

BOOT_RESPONSE = {"status": "Accepted", "currentTime": "2026-11-24T20:00:00Z", "interval": 300}


def receive_path_micro(n: int) -> dict[str, float]:
    """Parse + validate + record one BootNotification.conf, in-process, no I/O."""
    schemas = schema_set(V16)
    trace = Trace()
    raw = rpc.CallResult("0f4c1e2a-5b7d-4c1e-9f0a-2b3c4d5e6f70", BOOT_RESPONSE).to_json()
    schemas.errors("BootNotification", BOOT_RESPONSE, response=True)  # compile first
    started = time.perf_counter()
    for _ in range(n):
        trace.received("CP_1", raw)
        frame = rpc.parse(raw, V16)
        schemas.errors("BootNotification", frame.payload, response=True)  # type: ignore[union-attr]
    per_frame = (time.perf_counter() - started) / n
    return {"receive_path_us": round(per_frame * 1e6, 2)}


async def _answer(ws: ServerConnection) -> None:
    async for message in ws:
        unique_id = json.loads(message)[1]
        await ws.send(json.dumps([3, unique_id, BOOT_RESPONSE]))


async def round_trips(n: int) -> dict[str, float]:
    """Raw websockets request/response vs. Link.call over the same loopback server."""
    request = {"chargePointVendor": "bench", "chargePointModel": "bench"}
    async with serve(_answer, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as server:  # type: ignore[list-item]
        port = server.sockets[0].getsockname()[1]
        url = f"ws://127.0.0.1:{port}/CP_1"
        async with connect(url, subprotocols=["ocpp1.6"]) as ws:  # type: ignore[list-item]
            raw_times = []
            for i in range(n):
                started = time.perf_counter()
                await ws.send(json.dumps([2, str(i), "BootNotification", request]))
                await ws.recv()
                raw_times.append(time.perf_counter() - started)
        async with connect(url, subprotocols=["ocpp1.6"]) as ws:  # type: ignore[list-item]
            link = Link(
                ws, version=V16, name="CP_1", trace=Trace(), timeouts=Timeouts(), peer="CSMS"
            )
            link.start()
            ours = []
            for _ in range(n):
                started = time.perf_counter()
                await link.call("BootNotification", request)
                ours.append(time.perf_counter() - started)
            await link.close()
    raw = statistics.median(raw_times)
    core = statistics.median(ours)
    return {
        "raw_round_trip_us": round(raw * 1e6, 1),
        "core_round_trip_us": round(core * 1e6, 1),
        "ratio": round(core / raw, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20000)
    parser.add_argument("--round-trips", type=int, default=2000)
    args = parser.parse_args()
    result: dict[str, Any] = {}
    result.update(receive_path_micro(args.frames))
    result.update(asyncio.run(round_trips(args.round_trips)))
    result["receive_path_vs_raw_round_trip"] = round(
        result["receive_path_us"] / result["raw_round_trip_us"], 3
    )
    print(json.dumps(result))
    print(
        f"receive path (parse+validate+record): {result['receive_path_us']} µs/frame "
        f"= {result['receive_path_vs_raw_round_trip']:.1%} of a raw websockets round trip; "
        f"round trip raw websockets {result['raw_round_trip_us']} µs vs pytest-ocpp core "
        f"{result['core_round_trip_us']} µs (x{result['ratio']})",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
