"""``pytest-ocpp-sim``: simulated charging stations connected to a CSMS, driven over MQTT.

    pytest-ocpp-sim --csms ws://csms:9000/ocpp --version 1.6 --stations CP_1,CP_2 \\
        [--mqtt mqtt[s]://[USER:PASSWORD@]127.0.0.1:1883] [--mqtt-ca-file ca.pem] [--prefix ocpp]

Without ``--mqtt`` a Mosquitto broker starts on loopback (see :mod:`pytest_ocpp.sim.broker`
for why that broker) and its URL is printed, so a user can point ``mosquitto_sub`` at it.
The process runs until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence

from pytest_ocpp.sim.broker import BrokerError, MosquittoBroker, MqttAddress, parse_mqtt_url
from pytest_ocpp.sim.simulator import Simulator

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pytest-ocpp-sim",
        description="Simulated OCPP charging stations (the pytest-ocpp reference stations) "
        "connected to a CSMS and driven over MQTT.",
    )
    parser.add_argument("--csms", required=True, help="CSMS URL without the station id")
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
    parser.add_argument("--log-level", default="WARNING")
    return parser


async def _run(args: argparse.Namespace, address: MqttAddress) -> int:
    stations = [s.strip() for s in args.stations.split(",") if s.strip()]
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
        **options,
    )
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, done.set)
    try:
        await simulator.start()
    except ConnectionError as exc:
        print(f"pytest-ocpp-sim: {exc}", file=sys.stderr)
        return 2
    print(
        f"pytest-ocpp-sim: {len(stations)} OCPP {args.version} station(s) "
        f"({', '.join(stations)}) connecting to {args.csms}; commands on "
        f"{simulator.prefix}/<station>/cmd/<action>, state under {simulator.prefix}/<station>/# "
        f"at {address.url}",
        flush=True,
    )
    try:
        await done.wait()
    finally:
        await simulator.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    if args.connectors < 1:
        print("pytest-ocpp-sim: --connectors must be at least 1", file=sys.stderr)
        return 2
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
            print(f"pytest-ocpp-sim: MQTT broker (mosquitto) at {broker.url}", flush=True)
    except BrokerError as exc:
        print(f"pytest-ocpp-sim: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(args, address))
    finally:
        if broker is not None:
            broker.stop()


if __name__ == "__main__":
    raise SystemExit(main())
