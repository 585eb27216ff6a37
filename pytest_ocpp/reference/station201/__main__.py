"""Run the reference 2.0.1 charging station standalone::

    python -m pytest_ocpp.reference.station201 --csms ws://127.0.0.1:9000/ocpp --id CP_1 \\
        --evses 2 --control-port 9101 [--defect NAME] [--password X]
    python -m pytest_ocpp.reference.station201 --csms wss://localhost:9443/ocpp --tls-ca ca.pem \\
        --tls-cert station-cert.pem --tls-key station-key.pem

It connects to ``{csms}/{id}`` with subprotocol ocpp2.0.1 and, with ``--control-port``, serves
the operator control channel (one JSON command per message, see ``ACTIONS``) at
``ws://127.0.0.1:PORT/_control``. ``--help`` lists the defects and variants.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

from pytest_ocpp.reference.station201.operator import ACTIONS
from pytest_ocpp.reference.station201.station import DEFECTS, VARIANTS, ReferenceStation201


def _listing(title: str, entries: dict[str, str]) -> str:
    lines = [f"{title}:"]
    lines += [f"  {name}: {text}" for name, text in sorted(entries.items())]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_ocpp.reference.station201",
        description="Conformant reference OCPP 2.0.1 charging station (pytest-ocpp).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(
            (
                _listing("defects (--defect)", DEFECTS),
                _listing("variants (--variant)", VARIANTS),
                _listing("control channel actions", ACTIONS),
            )
        ),
    )
    parser.add_argument("--csms", required=True, help="CSMS websocket URL, without the station id")
    parser.add_argument("--id", default="CP_1", help="charging station identity (default CP_1)")
    parser.add_argument("--evses", type=int, default=2, help="number of EVSEs (default 2)")
    parser.add_argument("--connectors", type=int, default=1, help="connectors per EVSE (default 1)")
    parser.add_argument("--control-port", type=int, default=None, help="serve /_control here")
    parser.add_argument("--password", default=None, help="HTTP Basic Auth password")
    parser.add_argument(
        "--security-profile", type=int, choices=(1, 2, 3), default=None, help="of slot 1"
    )
    parser.add_argument("--tls-ca", default=None, help="CSMS root to trust for a wss:// CSMS")
    parser.add_argument("--tls-cert", default=None, help="client certificate (profile 3)")
    parser.add_argument("--tls-key", default=None, help="key of the client certificate")
    parser.add_argument(
        "--defect",
        action="append",
        default=[],
        choices=sorted(DEFECTS),
        metavar="NAME",
        help="break on purpose (see the list below)",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        choices=sorted(VARIANTS),
        metavar="NAME",
        help="legal variation (see the list below)",
    )
    parser.add_argument(
        "--variable",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="initial device model value, e.g. OCPPCommCtrlr.HeartbeatInterval=60",
    )
    parser.add_argument(
        "--reboot-delay", type=float, default=0.0, help="seconds a reboot takes (default 0)"
    )
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> None:
    variables = dict(item.split("=", 1) for item in args.variable)
    station = ReferenceStation201(
        args.csms,
        args.id,
        evses=args.evses,
        connectors_per_evse=args.connectors,
        basic_auth_password=args.password,
        defects=args.defect,
        variants=args.variant,
        variables=variables,
        control_port=args.control_port,
        reboot_delay=args.reboot_delay,
        security_profile=args.security_profile,
        tls_ca_file=args.tls_ca,
        tls_cert_file=args.tls_cert,
        tls_key_file=args.tls_key,
    )
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, done.set)
    async with station:
        print(f"connecting to {station.csms_url}/{station.station_id} (ocpp2.0.1)", flush=True)
        if station.control_url:
            print(f"control channel at {station.control_url}", flush=True)
        await done.wait()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        asyncio.run(run(args))
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
