"""``pytest-ocpp-sim``: simulated charging stations connected to a CSMS, driven over MQTT.

    pytest-ocpp-sim --csms ws://csms:9000/ocpp --version 1.6 --stations CP_1,CP_2 \\
        [--mqtt mqtt[s]://[USER:PASSWORD@]127.0.0.1:1883] [--mqtt-ca-file ca.pem] [--prefix ocpp]

Without ``--mqtt`` a Mosquitto broker starts on loopback (see :mod:`pytest_ocpp.sim.broker`
for why that broker) and its URL is printed, so a user can point ``mosquitto_sub`` at it.
The process runs until SIGINT/SIGTERM.

A CSMS that cannot be reached is said, not waited out in silence: every station's retained
``online`` topic says ``false`` from the start, after ``--connect-timeout`` one warning per
station names its URL and the connection error (the stations keep retrying), and commands to
a station never connected are refused as offline on the error topic.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from pytest_ocpp.sim.broker import BrokerError, MosquittoBroker, MqttAddress, parse_mqtt_url
from pytest_ocpp.sim.simulator import Simulator, station_id_problem
from pytest_ocpp.sim.station import SimStation

__all__ = ["main"]

PROG = "pytest-ocpp-sim"


class UsageProblem(Exception):
    """Bad input on the command line: one sentence, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pytest-ocpp-sim",
        description="Simulated OCPP charging stations (the pytest-ocpp reference stations) "
        "connected to a CSMS and driven over MQTT.",
    )
    parser.add_argument(
        "--csms", required=True, help="CSMS URL without the station id: ws[s]://HOST:PORT/PATH"
    )
    parser.add_argument("--version", default="1.6", choices=("1.6", "2.0.1"))
    parser.add_argument("--stations", default="CP_1", help="station ids, comma separated")
    parser.add_argument(
        "--mqtt",
        default=os.environ.get("OCPP_SIM_MQTT"),
        help="broker URL mqtt[s]://[USER:PASSWORD@]HOST[:PORT] (env OCPP_SIM_MQTT, which keeps "
        "the password out of the process list; default: start Mosquitto)",
    )
    for name, what in (
        ("ca", "CA file that verifies an mqtts broker (default: the system's roots)"),
        ("cert", "client certificate for an mqtts broker that requires one"),
        ("key", "private key of --mqtt-cert-file"),
    ):
        env = f"OCPP_MQTT_{name.upper()}_FILE"
        parser.add_argument(
            f"--mqtt-{name}-file", default=os.environ.get(env), help=f"{what} (env {env})"
        )
    parser.add_argument(
        "--prefix", default=None, help="topic prefix (default: the --mqtt URL's path, else ocpp)"
    )
    parser.add_argument(
        "--connectors", type=int, default=2, help="connectors (1.6) or EVSEs (2.0.1) per station"
    )
    parser.add_argument("--password", default=None, help="HTTP Basic password (profile 1)")
    parser.add_argument(
        "--no-frames", action="store_true", help="do not publish every OCPP frame (many stations)"
    )
    parser.add_argument(
        "--mqtt-timeout",
        type=float,
        default=10.0,
        help="seconds the broker may take to accept the connection (default 10)",
    )
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=10.0,
        help="seconds a station may take to be connected and accepted by the CSMS (default "
        "10): then a warning names the URL and the error (the station keeps retrying), and "
        "commands to a station never connected are refused as offline",
    )
    parser.add_argument("--log-level", default="WARNING")
    return parser


def _check(args: argparse.Namespace) -> list[str]:
    """Everything that can be wrong with the command line, said before anything starts (no
    broker is started for a run that cannot go ahead); returns the station ids."""
    if not isinstance(logging.getLevelName(args.log_level.upper()), int):
        raise UsageProblem(
            f"--log-level {args.log_level!r} is not a logging level; use DEBUG, INFO, WARNING "
            "or ERROR"
        )
    try:
        parts = urlsplit(args.csms)
        parts.port  # noqa: B018 (raises ValueError for a port that is no number)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise UsageProblem(
            f"--csms {args.csms!r} is not a websocket URL; expected ws://HOST:PORT/PATH or "
            "wss://HOST:PORT/PATH, without the station id (each station adds its own)"
        )
    if parts.query or parts.fragment:
        raise UsageProblem(
            f"--csms {args.csms!r} has a query or fragment; the station id is appended to the "
            "path, so give ws[s]://HOST:PORT/PATH only"
        )
    for name in ("connect_timeout", "mqtt_timeout"):
        value = getattr(args, name)
        if not (math.isfinite(value) and value > 0):
            option = "--" + name.replace("_", "-")
            raise UsageProblem(f"{option} must be a positive number of seconds, got {value:g}")
    if args.connectors < 1:
        raise UsageProblem("--connectors must be at least 1")
    stations = list(dict.fromkeys(s.strip() for s in args.stations.split(",") if s.strip()))
    if not stations:
        raise UsageProblem("--stations names no station; give ids separated by commas: CP_1,CP_2")
    for station in stations:
        problem = station_id_problem(station)
        if problem is not None:
            raise UsageProblem(f"--stations: {problem}")
    return stations


async def _warn_if_offline(station: SimStation, timeout: float) -> None:
    """One warning per station that is not online after ``timeout``; it keeps retrying."""
    try:
        await station.wait_online(timeout)
    except TimeoutError:
        print(
            f"{PROG}: warning: station {station.station_id} is not online after {timeout:g} s "
            f"(--connect-timeout): {station.offline_reason()}; it keeps retrying, and commands "
            "to it are refused as offline until it is connected",
            file=sys.stderr,
            flush=True,
        )


async def _run(args: argparse.Namespace, address: MqttAddress, stations: list[str]) -> int:
    options: dict[str, object] = {"basic_auth_password": args.password}
    options["connectors" if args.version == "1.6" else "evses"] = args.connectors
    simulator = Simulator(
        args.csms,
        args.version,
        stations,
        mqtt=address,
        prefix=args.prefix or address.prefix or "ocpp",
        publish_frames=not args.no_frames,
        mqtt_timeout=args.mqtt_timeout,
        connect_timeout=args.connect_timeout,
        **options,
    )
    return await _serve(args, simulator, address, stations)


async def _serve(
    args: argparse.Namespace, simulator: Simulator, address: MqttAddress, stations: list[str]
) -> int:
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, done.set)
    try:
        await simulator.start()
    except (ConnectionError, ValueError) as exc:
        # ValueError: a station the simulator refuses (checked above already; kept so that
        # no refusal of ours ever ends in a traceback).
        await simulator.stop()
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    print(
        f"{PROG}: {len(stations)} OCPP {args.version} station(s) "
        f"({', '.join(stations)}) connecting to {args.csms}; commands on "
        f"{simulator.prefix}/<station>/cmd/<action>, state under {simulator.prefix}/<station>/# "
        f"at {address.url}",
        flush=True,
    )
    watchers: list[asyncio.Task[Any]] = [
        asyncio.ensure_future(_warn_if_offline(station, args.connect_timeout))
        for station in simulator.stations.values()
    ]
    try:
        await done.wait()
    finally:
        for watcher in watchers:
            watcher.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
        await simulator.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        stations = _check(args)
    except UsageProblem as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    broker: MosquittoBroker | None = None
    try:
        if args.mqtt:
            address = parse_mqtt_url(
                args.mqtt,
                ca_file=args.mqtt_ca_file,
                cert_file=args.mqtt_cert_file,
                key_file=args.mqtt_key_file,
            )
        else:
            broker = MosquittoBroker().start()
            address = broker.address
            print(f"{PROG}: MQTT broker (mosquitto) at {broker.url}", flush=True)
    except BrokerError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(args, address, stations))
    finally:
        if broker is not None:
            broker.stop()


if __name__ == "__main__":
    raise SystemExit(main())
