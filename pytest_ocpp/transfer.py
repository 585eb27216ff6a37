"""File servers for firmware downloads and diagnostics uploads, on loopback or a given host.

UpdateFirmware hands the station a URL to download from; GetDiagnostics a URL to upload to.
A conformance run needs real servers behind those URLs, so this module runs an HTTP server
(the standard library's, serving GET and accepting PUT/POST) and an FTP server (pyftpdlib)
in background threads, and tells the scenario what was downloaded and uploaded. Both record
events that a scenario awaits (no polling, no fixed sleeps).
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class TransferLog:
    """What the station fetched and delivered, with a way to await the next event."""

    downloads: list[str] = field(default_factory=list)
    uploads: dict[str, bytes] = field(default_factory=dict)
    upload_count: int = 0
    """Every upload received, also one stored under a name an earlier one had."""
    _waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _notify(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)

    def downloaded(self, name: str) -> None:
        with self._lock:
            self.downloads.append(name)
        self._notify()

    def uploaded(self, name: str, data: bytes) -> None:
        with self._lock:
            self.uploads[name] = data
            self.upload_count += 1
        self._notify()

    async def wait(self, condition: Any, timeout: float, what: str) -> None:
        """Wait until ``condition()`` holds; raises TimeoutError naming ``what``."""
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        entry = (loop, event)
        with self._lock:
            self._waiters.append(entry)
        try:
            deadline = loop.time() + timeout
            while not condition():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError(f"{what} did not happen within {timeout:g} s")
                event.clear()
                try:
                    await asyncio.wait_for(event.wait(), remaining)
                except asyncio.TimeoutError:
                    continue
        finally:
            with self._lock:
                self._waiters.remove(entry)


class FileServers:
    """An HTTP and an FTP server over one directory; ``firmware_url`` / ``upload_url`` build
    the locations a scenario sends to the station."""

    def __init__(self, root: Path, host: str = "127.0.0.1", public_host: str | None = None) -> None:
        self.root = root
        self.host = host
        self.public_host = public_host or host
        self.log = TransferLog()
        self._http: ThreadingHTTPServer | None = None
        self._ftp: Any = None
        self._threads: list[threading.Thread] = []
        self.ftp_user, self.ftp_password = "ocpp", "ocpp"

    def start(self) -> None:
        # Imported here: pyftpdlib still imports asyncore/asynchat, whose deprecation
        # warnings every pytest run would otherwise show.
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from pyftpdlib.authorizers import DummyAuthorizer
            from pyftpdlib.handlers import FTPHandler
            from pyftpdlib.servers import ThreadedFTPServer

        logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
        self.root.mkdir(parents=True, exist_ok=True)
        self._http = ThreadingHTTPServer((self.host, 0), _handler(self.root, self.log))
        authorizer = DummyAuthorizer()
        authorizer.add_user(self.ftp_user, self.ftp_password, str(self.root), perm="elradfmw")
        log = self.log

        class Handler(FTPHandler):
            def on_file_sent(self, file: str) -> None:
                log.downloaded(Path(file).name)

            def on_file_received(self, file: str) -> None:
                log.uploaded(Path(file).name, Path(file).read_bytes())

        Handler.authorizer = authorizer
        Handler.passive_ports = None
        self._ftp = ThreadedFTPServer((self.host, 0), Handler)
        for name, target in (("http", self._http.serve_forever), ("ftp", self._ftp.serve_forever)):
            thread = threading.Thread(target=target, name=f"pytest-ocpp-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        if self._ftp is not None:
            self._ftp.close_all()
        for thread in self._threads:
            thread.join(timeout=5)

    @property
    def http_port(self) -> int:
        assert self._http is not None
        return int(self._http.server_address[1])

    @property
    def ftp_port(self) -> int:
        assert self._ftp is not None
        return int(self._ftp.address[1])

    def publish(self, name: str, content: bytes) -> None:
        """Put a file (a firmware image) where both servers serve it."""
        (self.root / name).write_bytes(content)

    def http_url(self, name: str = "") -> str:
        return f"http://{self.public_host}:{self.http_port}/{name}"

    def ftp_url(self, name: str = "") -> str:
        return (
            f"ftp://{self.ftp_user}:{self.ftp_password}@{self.public_host}:{self.ftp_port}/{name}"
        )


def _handler(root: Path, log: TransferLog) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the transfer log is the record that matters."""

        def _path(self) -> Path | None:
            name = self.path.split("?", 1)[0].lstrip("/")
            target = (root / name).resolve()
            return target if target.is_relative_to(root.resolve()) else None

        def do_GET(self) -> None:
            target = self._path()
            if target is None or not target.is_file():
                self.send_error(404)
                return
            data = target.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            log.downloaded(target.name)

        def do_PUT(self) -> None:
            target = self._path()
            length = int(self.headers.get("Content-Length", "0"))
            data = self.rfile.read(length)
            if target is None or target == root.resolve() or target.is_dir():
                # Sent to the location itself (a POST to the URL it was given): keep the
                # multipart file name when there is one.
                found = re.search(rb'filename="([^"/\\]+)"', data[:2048])
                name = found.group(1).decode(errors="replace") if found else "upload.bin"
                target = root / name
            target.write_bytes(data)
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()
            log.uploaded(target.name, data)

        do_POST = do_PUT

    return Handler
