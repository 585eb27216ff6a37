"""The file server of the 2.0.1 station-side firmware and log cases: a real HTTP/1.1 server on
asyncio streams (standard library only) that the fake CSMS side starts on demand.

UpdateFirmwareRequest hands the station a location to download from (L01), GetLogRequest one
to upload to (N01). Part 6 makes "a file server ... according to the supported file transfer
protocol(s)" a prerequisite of those cases; OCTT runs one, so does pytest-ocpp. The station
under test downloads and uploads over the network for real: nothing is mocked, and a case can
prove that an upload arrived (N01.FR.09 says Uploaded only once it did).

Paths:

* ``GET /firmware/<name>``: a published file (:meth:`FileServer.publish`), else 404.
* ``PUT``/``POST /logs/<anything>``: an upload is stored (raw body for PUT, the file part of a
  ``multipart/form-data`` POST, as chargers send them); 201/200.
* ``PUT``/``POST /refuse/<anything>``: 403, the upload is refused (recorded as an attempt).
* anything else: 404 (OCTT's "log location with non-existing path", TC_N_26_CS).

The server binds ``[station] file_server_host`` (default: the ``--ocpp-listen`` host, else
127.0.0.1) on ``[station] file_server_port`` (default: a free port); the URLs it hands out use
``--ocpp-public-host`` when given, because a charger on the network must reach it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from pytest_ocpp.verdicts import TargetTimeout

if TYPE_CHECKING:
    from pytest_ocpp.config import OcppConfig

__all__ = ["FileServer", "Transfer", "file_server"]

MAX_BODY = 64 * 1024 * 1024
"""Largest request body accepted (a log file or a firmware upload), bytes."""

_REASONS = {
    100: "Continue",
    200: "OK",
    201: "Created",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
}


@dataclass(frozen=True)
class Transfer:
    """One request the server received: a download, an upload, or a refused attempt."""

    method: str
    path: str
    status: int
    """The HTTP status the server answered."""
    name: str = ""
    """The file name: the last path segment, or the multipart part's filename."""
    data: bytes = b""
    at: float = field(default_factory=time.monotonic)

    @property
    def upload(self) -> bool:
        return self.method in ("PUT", "POST")

    @property
    def stored(self) -> bool:
        return self.upload and self.status in (200, 201)


class FileServer:
    """A small HTTP/1.1 server; ``start`` binds, :attr:`transfers` records every request and
    :meth:`wait` awaits one (no polling)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, public_host: str | None = None):
        self.host = host
        self.port = port
        self.public_host = public_host or ("127.0.0.1" if host in ("0.0.0.0", "::", "") else host)
        self.files: dict[str, bytes] = {}
        self.pace: dict[str, float] = {}
        """File name → seconds its download takes (sent in pieces): keeps a download in
        progress long enough for a request during it (TC_L_10/11, TC_F_19)."""
        self.upload_hold = 1.0
        """Seconds an upload to :meth:`upload_url` with ``hold`` waits for its answer: keeps
        an upload in progress (TC_F_16, TC_N_36)."""
        self.transfers: list[Transfer] = []
        self._server: asyncio.Server | None = None
        self._changed = asyncio.Condition()

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    @property
    def running(self) -> bool:
        return self._server is not None

    # -- what the cases hand out -------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"http://{self.public_host}:{self.port}/{path.lstrip('/')}"

    def publish(self, name: str, content: bytes, *, pace: float = 0.0) -> str:
        """Serve ``content`` at ``/firmware/<name>``, the download taking ``pace`` seconds;
        returns its URL."""
        self.files[name] = content
        self.pace[name] = pace
        return self.url(f"firmware/{name}")

    def upload_url(self, tag: str = "", *, hold: bool = False) -> str:
        """A location that stores uploads (a directory URL: the station adds its file name or
        POSTs to it); with ``hold``, each upload is answered :attr:`upload_hold` s late."""
        prefix = "logs/hold/" if hold else "logs/"
        return self.url(f"{prefix}{tag}".rstrip("/") + "/")

    def refusing_url(self) -> str:
        """A location that answers every upload 403 Forbidden."""
        return self.url("refuse/")

    def missing_url(self) -> str:
        """A location with a non-existing path: 404 for everything."""
        return self.url("does/not/exist/")

    # -- waiting ---------------------------------------------------------------------------
    def mark(self) -> int:
        return len(self.transfers)

    async def wait(
        self,
        predicate: Callable[[Transfer], bool],
        *,
        since: int = 0,
        timeout: float,
        describe: str,
        setting: str = "",
    ) -> Transfer:
        """The first transfer from position ``since`` matching ``predicate``, waiting at most
        ``timeout`` s; TargetTimeout naming ``describe`` and the ``setting`` that sets it."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                for item in self.transfers[since:]:
                    if predicate(item):
                        return item
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TargetTimeout(
                        f"the file server at {self.url('')} received no {describe} within "
                        f"{timeout:g} s" + (f" ({setting})" if setting else "")
                    )
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)

    async def _record(self, transfer: Transfer) -> None:
        async with self._changed:
            self.transfers.append(transfer)
            self._changed.notify_all()

    # -- HTTP ------------------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._one_request(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, asyncio.TimeoutError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()
                await writer.wait_closed()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = [*lines[0].split(" ", 2), "", ""][:3]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
        path = unquote(target.split("?", 1)[0])
        method = method.upper()
        if method in ("PUT", "POST"):
            if headers.get("expect", "").lower() == "100-continue":
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                await writer.drain()
            body = await self._body(reader, headers)
            if body is None:
                await self._respond(writer, 413)
                return
            await self._upload(writer, method, path, headers, body)
        elif method in ("GET", "HEAD"):
            name = path.removeprefix("/firmware/")
            content = self.files.get(name) if path.startswith("/firmware/") else None
            status = 200 if content is not None else 404
            await self._record(Transfer(method, path, status, name))
            pace = self.pace.get(name, 0.0) if content is not None else 0.0
            await self._respond(
                writer, status, content or b"", head_only=method == "HEAD", pace=pace
            )
        else:
            await self._respond(writer, 405)

    @staticmethod
    async def _body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes | None:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunks: list[bytes] = []
            size = 0
            while True:
                line = await asyncio.wait_for(reader.readuntil(b"\r\n"), 30)
                length = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if length == 0:
                    with contextlib.suppress(asyncio.IncompleteReadError):
                        await asyncio.wait_for(reader.readuntil(b"\r\n"), 5)  # trailers end
                    return b"".join(chunks)
                size += length
                if size > MAX_BODY:
                    return None
                chunks.append(await asyncio.wait_for(reader.readexactly(length), 30))
                await reader.readexactly(2)
        length = int(headers.get("content-length", "0") or 0)
        if length > MAX_BODY:
            return None
        return await asyncio.wait_for(reader.readexactly(length), 60) if length else b""

    async def _upload(
        self,
        writer: asyncio.StreamWriter,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes,
    ) -> None:
        name, data = path.rstrip("/").rsplit("/", 1)[-1], body
        boundary = re.search(r"boundary=\"?([^\";]+)", headers.get("content-type", ""))
        if boundary is not None:
            name, data = _multipart_file(body, boundary.group(1).encode(), name)
        if path.startswith("/logs/"):
            status = 201 if method == "PUT" else 200
            if path.startswith("/logs/hold/"):
                await asyncio.sleep(self.upload_hold)
        elif path.startswith("/refuse/"):
            status = 403
        else:
            status = 404
        await self._record(Transfer(method, path, status, name, data))
        await self._respond(writer, status)

    @staticmethod
    async def _respond(
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes = b"",
        *,
        head_only: bool = False,
        pace: float = 0.0,
    ) -> None:
        reason = _REASONS.get(status, "Error")
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(body)}\r\n"
            "Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode("latin-1"))
        if head_only:
            await writer.drain()
            return
        pieces = 10 if pace > 0 and len(body) >= 10 else 1
        size = -(-len(body) // pieces) if body else 0
        for index in range(pieces):
            if index:
                await asyncio.sleep(pace / pieces)
            writer.write(body[index * size : (index + 1) * size])
            await writer.drain()


def _multipart_file(body: bytes, boundary: bytes, default: str) -> tuple[str, bytes]:
    """The first part of a multipart/form-data body that carries a file (else the first part):
    its filename and content."""
    found: tuple[str, bytes] | None = None
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.lstrip(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        filename = re.search(rb'filename="([^"]*)"', head)
        if filename is not None:
            return filename.group(1).decode(errors="replace") or default, content
        if found is None:
            found = (default, content)
    return found or (default, body)


def file_server(owner: Any, config: OcppConfig) -> FileServer:
    """The file server of the run, created on first use and kept on ``owner`` (the fake CSMS,
    which lives for the run); started by :func:`started_file_server`."""
    server = getattr(owner, "_pytest_ocpp_file_server", None)
    if server is None:
        extra = config.station.extra
        default_host = config.listen[0] if config.listen else "127.0.0.1"
        server = FileServer(
            str(extra.get("file_server_host") or default_host),
            int(extra.get("file_server_port") or 0),
            config.public_host,
        )
        owner._pytest_ocpp_file_server = server
    return server


async def started_file_server(owner: Any, config: OcppConfig) -> FileServer:
    """:func:`file_server`, started on the running loop; stopped when ``owner`` stops (its
    ``stop`` coroutine is wrapped once)."""
    server = file_server(owner, config)
    if not server.running:
        await server.start()
        original = owner.stop

        async def stop() -> None:
            await server.stop()
            await original()

        owner.stop = stop
    return server
