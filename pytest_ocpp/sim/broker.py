"""The MQTT broker a simulator talks through: the user's own (``--mqtt URL``), or Mosquitto
started on loopback for the run.

Why Mosquitto and not a Python broker: ``amqtt`` 0.12.1, the maintained pure-Python broker,
pins ``websockets==15.0.1`` and brings 18 packages with it (``pip install --dry-run`` on this
project's environment); installing it beside pytest-ocpp would downgrade the ``websockets``
17 our core and references are measured on (DESIGN.md "Known traps"), and it rejects MQTT 5.
Debian's ``mosquitto`` is the broker users actually run, speaks MQTT 3.1, 3.1.1 and 5 and
starts in 12-20 ms from a three-line configuration. The price is a system package
(``apt-get install mosquitto``); without it, and without ``--mqtt``, the simulator says so in
one sentence instead of starting.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

__all__ = ["BrokerError", "MosquittoBroker", "MqttAddress", "find_mosquitto", "parse_mqtt_url"]

INSTALL_HINT = "install it with 'apt-get install mosquitto' or give the URL of a broker with --mqtt"


class BrokerError(Exception):
    """The broker cannot be started or reached; the message is a sentence for the user."""


@dataclass(frozen=True)
class MqttAddress:
    """Where a broker listens, and the topic prefix the URL's path names (may be empty)."""

    host: str
    port: int
    prefix: str = ""

    @property
    def url(self) -> str:
        path = f"/{self.prefix}" if self.prefix else ""
        return f"mqtt://{self.host}:{self.port}{path}"


def parse_mqtt_url(url: str) -> MqttAddress:
    """``mqtt://host[:port][/prefix]`` (port 1883 by default); anything else is a sentence."""
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise BrokerError(
            f"{url!r} is not an MQTT URL; expected mqtt://HOST[:PORT][/PREFIX], e.g. "
            "mqtt://127.0.0.1:1883/ocpp"
        )
    try:
        port = parts.port or 1883
    except ValueError:
        raise BrokerError(f"{url!r} has an invalid port") from None
    return MqttAddress(parts.hostname, port, parts.path.strip("/"))


def find_mosquitto() -> str | None:
    """The mosquitto binary: on PATH, or where Debian installs it (/usr/sbin is often not on
    an unprivileged user's PATH)."""
    found = shutil.which("mosquitto")
    if found:
        return found
    for candidate in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MosquittoBroker:
    """Mosquitto on 127.0.0.1 for the lifetime of this object: anonymous, no persistence,
    its own temporary configuration. ``start()`` returns once the port accepts connections."""

    def __init__(self, port: int = 0, binary: str | None = None) -> None:
        self.binary = binary or find_mosquitto()
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def address(self) -> MqttAddress:
        return MqttAddress("127.0.0.1", self.port)

    @property
    def url(self) -> str:
        return self.address.url

    def start(self, timeout: float = 5.0) -> MosquittoBroker:
        if self.binary is None:
            raise BrokerError(f"No MQTT broker: mosquitto is not installed; {INSTALL_HINT}.")
        if not self.port:
            self.port = _free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="pytest-ocpp-mosquitto-")
        config = Path(self._dir.name) / "mosquitto.conf"
        config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "log_dest stderr\nlog_type error\n",
            "utf-8",
        )
        self._process = subprocess.Popen(
            [self.binary, "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self._process.poll()
            if status is not None:
                stream = self._process.stderr
                err = stream.read().decode(errors="replace").strip() if stream else ""
                self.stop()
                raise BrokerError(
                    f"mosquitto exited at start (status {status}): {err or 'no message'}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.005)
        self.stop()
        raise BrokerError(f"mosquitto did not listen on 127.0.0.1:{self.port} within {timeout:g} s")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None and process.stderr is not None:
            process.stderr.close()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> MosquittoBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
