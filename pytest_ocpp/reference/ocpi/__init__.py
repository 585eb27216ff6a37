"""The reference CSMS's OCPI 2.2.1 CPO interface (:mod:`.cpo`), hosted beside it.

With ``--ocpp-reference`` the run starts it on the reference CSMS's own background loop, so it
shares that CSMS's OCPP sessions (the command cases cross from OCPI into OCPP and back); without
a reference CSMS it gets a loop of its own. It imports the reference CSMS, never the core.

Run it standalone, to give an eMSP backend a CPO wired to charging stations (START_SESSION
reaches the station over OCPP; Sessions and CDRs follow its transaction)::

    python -m pytest_ocpp.reference.csms --port 9000 --ocpi-port 9100 --ocpi-token TOKEN_A

or without an OCPP side (registration, Locations, Tokens only)::

    python -m pytest_ocpp.reference.ocpi --port 9100 --token TOKEN_A
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from pytest_ocpp.reference.ocpi.cpo import DEFECTS, ReferenceCpo
from pytest_ocpp.reference.runner import BackgroundLoop

__all__ = ["DEFECTS", "EmbeddedCpo", "ReferenceCpo", "main"]


class EmbeddedCpo:
    """A :class:`ReferenceCpo` on the embedded reference CSMS's loop (``embedded_csms``, an
    :class:`~pytest_ocpp.embedded.EmbeddedCsms`), or on a loop of its own."""

    def __init__(
        self,
        token_a: str,
        embedded_csms: Any = None,
        defects: Iterable[str] = (),
        station_id: str = "CP_1",
    ) -> None:
        self.cpo = ReferenceCpo(token_a, defects=defects)
        self.station_id = station_id
        self._own_loop = embedded_csms is None
        self.loop: BackgroundLoop = (
            BackgroundLoop("pytest-ocpp-reference-cpo") if self._own_loop else embedded_csms.loop
        )
        self.csms = None if embedded_csms is None else embedded_csms.csms

    def start(self) -> None:
        if self._own_loop:
            self.loop.start()
        self.loop.run(self.cpo.start())
        if self.csms is not None:
            from pytest_ocpp.reference.ocpi.commands import attach

            attach(self.cpo, self.csms, self.station_id)

    def stop(self) -> None:
        try:
            self.loop.run(self.cpo.stop())
        finally:
            if self._own_loop:
                self.loop.stop()

    @property
    def versions_url(self) -> str:
        return self.cpo.versions_url


async def start_or_say(cpo: ReferenceCpo, who: str, options: str) -> bool:
    """Start ``cpo``; a port already taken (or any refusal to listen) is one sentence on
    stderr naming ``options``, and False, for the caller to exit 1 (both command lines)."""
    try:
        await cpo.start()
    except OSError as error:
        print(
            f"{who} cannot listen on {cpo.host}:{cpo.port} ({options}): {error.strerror or error}",
            file=sys.stderr,
            flush=True,
        )
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_ocpp.reference.ocpi",
        description="The reference OCPI 2.2.1 CPO interface without an OCPP side: "
        "registration, Locations, Sessions / CDRs lists and Tokens; START_SESSION answers "
        "NOT_SUPPORTED. For a CPO wired to charging stations (START_SESSION reaches the "
        "station, Sessions and CDRs are pushed) run the reference CSMS with its OCPI side: "
        "python -m pytest_ocpp.reference.csms --ocpi-port 9100 --ocpi-token TOKEN_A",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100, help="0: any free port")
    parser.add_argument("--token", required=True, help="CREDENTIALS_TOKEN_A it hands out")
    parser.add_argument(
        "--defect", action="append", default=[], choices=sorted(DEFECTS), help="break one rule"
    )
    args = parser.parse_args(argv)

    async def serve() -> int:
        cpo = ReferenceCpo(args.token, host=args.host, port=args.port, defects=args.defect)
        if not await start_or_say(cpo, "reference CPO:", "--host / --port"):
            return 1
        print(
            f"reference CPO: versions at {cpo.versions_url} (no OCPP side; for one: "
            "python -m pytest_ocpp.reference.csms --ocpi-port ...)",
            flush=True,
        )
        try:
            await asyncio.Event().wait()
        finally:
            await cpo.stop()
        return 0

    try:
        return asyncio.run(serve())
    except KeyboardInterrupt:
        return 0
