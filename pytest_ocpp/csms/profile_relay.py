"""One port, both transports: the fake CSMS's side of a security profile upgrade in OCPP 1.6.

After ChangeConfiguration SecurityProfile (1.6 Security Whitepaper A05, OCTT TC_083_CS) the
station reconnects to the *same* Central System URL with the higher profile: from profile 1 to
2 the same port must suddenly speak TLS. The upgrade therefore takes over the main port with a
small byte-level relay that peeks at the first byte of each connection (0x16: a TLS
ClientHello record) and forwards it to one of two internal listeners of the fake CSMS, a
``wss://`` and a ``ws://`` one, both judged as the new profile (so a station that comes back
over plain ``ws://`` is refused, A05.FR.09). The station's current connection stays on the
old listener until the station closes it. TLS ends in the internal listener, so what the
connection negotiated (version, suites, client certificate) is read as for any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_ocpp.csms.base import FakeCsms

TLS_HANDSHAKE = 0x16
"""First byte of a TLS record carrying a handshake message (RFC 8446 §5.1)."""


class ProfileRelay:
    """The main port after an upgrade: forwards each connection to the internal listener of
    its transport. Closes like an ``asyncio.Server`` (the fake CSMS's ``stop`` closes it)."""

    def __init__(self, target_host: str, plain_port: int, tls_port: int) -> None:
        self.target_host = target_host
        self.plain_port = plain_port
        self.tls_port = tls_port
        self.server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self, host: str, port: int) -> None:
        self.server = await asyncio.start_server(self._serve, host, port, reuse_address=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        upstream: asyncio.StreamWriter | None = None
        try:
            first = await reader.read(1)
            if not first:
                return
            port = self.tls_port if first[0] == TLS_HANDSHAKE else self.plain_port
            up_reader, upstream = await asyncio.open_connection(self.target_host, port)
            self._writers.add(upstream)
            upstream.write(first)
            await asyncio.gather(_pipe(reader, upstream), _pipe(up_reader, writer))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            for end in (upstream, writer):
                if end is not None:
                    self._writers.discard(end)
                    end.close()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for writer in list(self._writers):
            writer.close()

    async def wait_closed(self) -> None:
        if self.server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 2)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            if writer.can_write_eof():
                writer.write_eof()


async def serve_profile(
    csms: FakeCsms, profile: int, tls_context: ssl.SSLContext, *, plain_profile: int | None = None
) -> None:
    """Make the fake CSMS's main port accept TLS connections of security ``profile`` with
    ``tls_context``, keeping the current connection. Plain ``ws://`` connections are judged
    as ``plain_profile`` (default ``profile``: refused from profile 2 on): until the station
    has connected with the higher profile it may still fall back (A05.FR.08); from then on the
    lower profile is refused (A05.FR.09). A later call points the relay at new listeners."""
    plain_url = await csms.open_listener(profile if plain_profile is None else plain_profile, None)
    tls_url = await csms.open_listener(profile, tls_context)
    ports = [
        int(u.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1]) for u in (plain_url, tls_url)
    ]
    target = csms.host if csms.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
    existing = csms._listeners.get(csms.port)
    if isinstance(existing, ProfileRelay):
        existing.plain_port, existing.tls_port = ports
        return
    relay = ProfileRelay(target, *ports)
    if csms._server is not None:
        csms._server.server.close()  # stop listening; the station's connection stays open
    await relay.start(csms.host, csms.port)
    csms._listeners[csms.port] = relay  # type: ignore[assignment]
    csms.trace.event(
        "csms",
        f"port {csms.port} now serves security profile {profile} (ws:// and wss:// relayed "
        "to internal listeners; plain connections are refused)",
    )
