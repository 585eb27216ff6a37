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

import base64
import hashlib
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

__all__ = [
    "BrokerError",
    "BrokerTls",
    "MosquittoBroker",
    "MqttAddress",
    "explain_mqtt_error",
    "find_mosquitto",
    "parse_mqtt_url",
    "with_tls_files",
]

INSTALL_HINT = "install it with 'apt-get install mosquitto' or give the URL of a broker with --mqtt"


class BrokerError(Exception):
    """The broker cannot be started or reached; the message is a sentence for the user."""


@dataclass(frozen=True)
class MqttAddress:
    """Where a broker listens, how to log in, and the topic prefix the URL's path names.

    ``mqtts`` means TLS (verified against ``ca_file``, else the system's roots); ``cert_file``
    and ``key_file`` are the client certificate for brokers that require one. The password is
    kept out of ``repr`` and :attr:`url` (what every message prints)."""

    host: str
    port: int
    prefix: str = ""
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    @property
    def url(self) -> str:
        """The URL to show: the password as ``***`` (never printed, logged or reported)."""
        scheme = "mqtts" if self.tls else "mqtt"
        login = ""
        if self.username is not None:
            login = quote(self.username, safe="") + (":***" if self.password else "") + "@"
        path = f"/{self.prefix}" if self.prefix else ""
        return f"{scheme}://{login}{self.host}:{self.port}{path}"

    def tls_context(self) -> ssl.SSLContext | None:
        """The client TLS context of an ``mqtts`` address (None for plain ``mqtt``): the
        broker's certificate verified against ``ca_file`` and its host name checked, as
        ``mosquitto_sub --cafile`` does. An unreadable file is a :class:`BrokerError`."""
        if not self.tls:
            return None
        try:
            context = ssl.create_default_context(cafile=self.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise BrokerError(f"cannot read the MQTT CA file {self.ca_file}: {exc}") from None
        if self.cert_file:
            try:
                context.load_cert_chain(self.cert_file, self.key_file)
            except (OSError, ssl.SSLError) as exc:
                raise BrokerError(
                    f"cannot read the MQTT client certificate {self.cert_file} / key "
                    f"{self.key_file or '(in the certificate file)'}: {exc}"
                ) from None
        return context


TLS_QUERY = {"ca": "ca_file", "cert": "cert_file", "key": "key_file"}
"""Query parameters of an MQTT URL naming TLS files (``mqtts://host:8883/ocpp?ca=ca.pem``):
what lets one URL carry everything, e.g. in ``OCPP_STATION_OPERATOR``."""


def parse_mqtt_url(
    url: str,
    *,
    ca_file: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
) -> MqttAddress:
    """``mqtt[s]://[user[:password]@]host[:port][/prefix][?ca=..&cert=..&key=..]`` (port 1883,
    or 8883 for ``mqtts``); anything else is a sentence. The file arguments (options such as
    ``--mqtt-ca-file``) win over the URL's query. The password is registered as a secret, so
    it is masked in every trace, report and log line from now on."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise BrokerError(
            f"{_shown(url)!r} is not an MQTT URL; expected mqtt[s]://[USER:PASSWORD@]HOST[:PORT]"
            "[/PREFIX], e.g. mqtt://127.0.0.1:1883/ocpp or mqtts://user:pass@broker:8883/ocpp"
        )
    password = unquote(parts.password) if parts.password is not None else None
    if password:
        from pytest_ocpp.security import protect_secrets

        protect_secrets(password)
    try:
        port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
    except ValueError:
        raise BrokerError(f"{_shown(url)!r} has an invalid port") from None
    files: dict[str, str | None] = {}
    for key, values in parse_qs(parts.query, keep_blank_values=True).items():
        if key not in TLS_QUERY:
            raise BrokerError(
                f"{_shown(url)!r}: unknown parameter {key!r}; the URL may name "
                f"{', '.join(f'{k}=FILE' for k in TLS_QUERY)}"
            )
        files[TLS_QUERY[key]] = values[-1]
    for name, value in (("ca_file", ca_file), ("cert_file", cert_file), ("key_file", key_file)):
        if value:
            files[name] = value
    if parts.scheme == "mqtt" and any(files.values()):
        raise BrokerError(
            f"{_shown(url)!r}: CA and client certificate files need TLS; use mqtts://"
        )
    for name, value in files.items():
        if value and not Path(value).is_file():
            raise BrokerError(f"MQTT {name.replace('_', ' ')} {value} does not exist")
    return MqttAddress(
        parts.hostname,
        port,
        parts.path.strip("/"),
        tls=parts.scheme == "mqtts",
        username=unquote(parts.username) if parts.username is not None else None,
        password=password,
        **files,
    )


def with_tls_files(
    url: str,
    *,
    ca_file: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
) -> str:
    """``url`` checked (a :class:`BrokerError` sentence if wrong) with the TLS files as its
    query, so a setting that is only a string (``--ocpp-station-operator``) carries them."""
    address = parse_mqtt_url(url, ca_file=ca_file, cert_file=cert_file, key_file=key_file)
    query = urlencode({k: getattr(address, v) for k, v in TLS_QUERY.items() if getattr(address, v)})
    return urlsplit(url)._replace(query=query).geturl()


def _shown(url: str) -> str:
    """``url`` with the password of its user info masked."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


_NOT_AUTHORISED = ("not authori", "bad user name or password", "bad username or password")


def explain_mqtt_error(exc: BaseException, address: MqttAddress) -> str:
    """One sentence about a failed MQTT connection, naming the broker (password masked): a
    refused login says "not authorised", a TLS failure says what to check."""
    text = str(exc)
    lowered = text.lower()
    cause = exc.__cause__ or exc.__context__
    if any(phrase in lowered for phrase in _NOT_AUTHORISED) or getattr(exc, "rc", None) in (
        4,
        5,
        134,
        135,
    ):
        who = f"user {address.username!r}" if address.username else "no user name"
        return (
            f"the MQTT broker at {address.url} refused the login: not authorised ({who}; "
            f"check the user name and password in the URL) [{text}]"
        )
    if "certificate required" in lowered or "certificate unknown" in lowered:
        mine = f"ours ({address.cert_file}) was refused" if address.cert_file else "none was given"
        return (
            f"TLS with the MQTT broker at {address.url} failed: {text}; the broker requires a "
            f"client certificate it trusts and {mine} (--mqtt-cert-file and --mqtt-key-file, "
            "--ocpp-mqtt-cert-file, or ?cert=FILE&key=FILE)"
        )
    if isinstance(exc, ssl.SSLError) or isinstance(cause, ssl.SSLError) or "certificate" in lowered:
        trust = f"the CA file {address.ca_file}" if address.ca_file else "the system's CA roots"
        return (
            f"TLS with the MQTT broker at {address.url} failed: {text}; its certificate must be "
            f"signed by {trust} (--mqtt-ca-file or ?ca=FILE) and name {address.host}"
        )
    if address.tls and ("handshake" in lowered or "ssl" in lowered or "tls" in lowered):
        return f"TLS with the MQTT broker at {address.url} failed: {text}"
    if "timed out" in lowered:
        return (
            f"the MQTT broker at {address.url} did not accept the connection in time: {text} "
            "(pytest-ocpp-sim --mqtt-timeout; the ocpp_sim fixture: --ocpp-connect-timeout)"
        )
    return f"cannot reach the MQTT broker at {address.url}: {text}"


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


def password_line(user: str, password: str, salt: bytes | None = None) -> str:
    """One line of a Mosquitto password file, as ``mosquitto_passwd`` 2.x writes it:
    ``user:$7$101$<base64 salt>$<base64 PBKDF2-HMAC-SHA512>`` (Mosquitto's own format, read by
    its ``password_file``; written here so no extra tool is needed)."""
    salt = salt or os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 101)
    return f"{user}:$7$101${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


@dataclass(frozen=True)
class BrokerTls:
    """A TLS listener's files: the broker's certificate and key, and the CA that verifies
    client certificates (``require_certificate``: only clients with one may connect)."""

    cert_file: str
    key_file: str
    ca_file: str
    require_certificate: bool = False


class MosquittoBroker:
    """Mosquitto on 127.0.0.1 for the lifetime of this object, no persistence, its own
    temporary configuration. Anonymous by default; with ``users`` a password file and logins
    only; with ``tls`` a second, TLS listener (:attr:`tls_port`). ``start()`` returns once the
    ports accept connections."""

    def __init__(
        self,
        port: int = 0,
        binary: str | None = None,
        *,
        users: Mapping[str, str] | None = None,
        tls: BrokerTls | None = None,
    ) -> None:
        self.binary = binary or find_mosquitto()
        self.port = port
        self.users = dict(users or {})
        self.tls = tls
        self.tls_port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def address(self) -> MqttAddress:
        return MqttAddress("127.0.0.1", self.port)

    @property
    def url(self) -> str:
        return self.address.url

    def _configuration(self, folder: Path) -> str:
        lines = [f"listener {self.port} 127.0.0.1"]
        if self.tls is not None:
            tls = self.tls
            lines += [
                f"listener {self.tls_port} 127.0.0.1",
                f"certfile {tls.cert_file}",
                f"keyfile {tls.key_file}",
                f"cafile {tls.ca_file}",
                f"require_certificate {str(tls.require_certificate).lower()}",
            ]
        if self.users:
            passwords = folder / "passwords"
            passwords.write_text(
                "".join(password_line(u, p) + "\n" for u, p in self.users.items()), "utf-8"
            )
            passwords.chmod(0o600)
            lines += ["allow_anonymous false", f"password_file {passwords}"]
        else:
            lines.append("allow_anonymous true")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            # Started as root (a container, CI), Mosquitto drops to the 'mosquitto' user, who
            # cannot read our owner-only password file and keys: stay the user that wrote them.
            lines.append("user root")
        lines += ["persistence false", "log_dest stderr", "log_type error"]
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 5.0) -> MosquittoBroker:
        if self.binary is None:
            raise BrokerError(f"No MQTT broker: mosquitto is not installed; {INSTALL_HINT}.")
        if not self.port:
            self.port = _free_port()
        if self.tls is not None and not self.tls_port:
            self.tls_port = _free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="pytest-ocpp-mosquitto-")
        config = Path(self._dir.name) / "mosquitto.conf"
        config.write_text(self._configuration(Path(self._dir.name)), "utf-8")
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
                for port in (self.port, self.tls_port) if self.tls_port else (self.port,):
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        pass
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
