"""The reference CSMS server: websocket endpoint, ``/_control`` channel and command line.

Version-neutral on purpose: it negotiates the subprotocol, hands the connection to the session
class of that version (:data:`SESSION_CLASSES`) and otherwise only keeps what must outlive a
connection: the transaction-id counter, the replies to requests it sent, and the per-station
settings of ``"kind": "setup"`` commands (a station reconnecting keeps them).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import http
import itertools
import json
import logging
import signal
import ssl
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, InvalidHeader, NegotiationError
from websockets.headers import build_www_authenticate_basic, parse_authorization_basic
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from pytest_ocpp.reference.csms.security16 import cpo_root_pem
from pytest_ocpp.reference.csms.session import (
    DEFAULT_ID_TAGS,
    LOGGER,
    IdTagSpec,
    _ReferenceSession,
)
from pytest_ocpp.reference.csms.v16 import Session16
from pytest_ocpp.reference.csms.v201 import Session201
from pytest_ocpp.reference.csms.v201 import security as security201

__all__ = [
    "CONTROL_PATH",
    "DEFECTS_HANDSHAKE",
    "SESSION_CLASSES",
    "SUBPROTOCOLS",
    "ReferenceCsms",
    "main",
]

CONTROL_PATH = "/_control"

#: OCPP version -> websocket subprotocol (OCPP-J 1.6 §3.1.2, OCPP 2.0.1 Part 4 §3.1.2).
SUBPROTOCOLS: dict[str, str] = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}

#: OCPP version -> the session class serving a station connected with it.
SESSION_CLASSES: dict[str, type[_ReferenceSession]] = {"1.6": Session16, "2.0.1": Session201}

#: Defects of the websocket handshake: it happens before a version is chosen, so these act
#: on both versions. Part of the public :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_HANDSHAKE: dict[str, str] = {
    "accept_unsupported_subprotocol": (
        "A client offering no supported OCPP subprotocol is accepted instead of refused."
    ),
    "accept_wrong_password": "HTTP Basic authentication accepts any password.",
    "echo_unsupported_subprotocol": (
        "The handshake selects the client's first offered subprotocol even when it is no OCPP "
        "version this CSMS speaks (answers ocpp0.1; OCPP-J 1.6 §3.2, TC_088_CSMS)."
    ),
    "accept_missing_client_certificate": (
        "Security profile 3: accepts a station that shows no TLS client certificate "
        "(1.6 Security Whitepaper A00.FR.401/407)."
    ),
}

#: TLS 1.2 suites the reference offers: the four of the 1.6 Security Whitepaper A00.FR.317
#: and the ECDHE_RSA twins; TLS 1.3 suites are OpenSSL's defaults.
TLS_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:"
    "AES128-GCM-SHA256:AES256-GCM-SHA384"
)


def _defect_catalogue() -> Mapping[str, str]:
    """The public :data:`~pytest_ocpp.reference.csms.DEFECTS`.

    Imported on use: the package assembles it from :data:`DEFECTS_HANDSHAKE` and the version
    modules' tables *after* importing this module, so it does not exist while this one loads.
    """
    from pytest_ocpp.reference.csms import DEFECTS

    return DEFECTS


class ReferenceCsms:
    """A conformant CSMS serving ``ws://HOST:PORT/<path>/<station_id>``.

    ``id_tags`` maps id tags (case-insensitive) to :class:`IdTagSpec` or a status string.
    ``basic_auth`` maps station id -> password (security profile 1, OCPP 1.6 Security
    Whitepaper §2.1 / 2.0.1 A00.FR.2xx): the username must be the station id.
    ``defects`` names entries of :data:`DEFECTS`.

    ``tls_certificates`` (pairs of PEM certificate and key files; an EC and an RSA one offer
    all four suites of Security Whitepaper A00.FR.317) makes it serve ``wss://`` (profiles 2
    and 3, TLS 1.2 or above, A00.FR.312); ``tls_client_ca_file`` then requires a client
    certificate chaining to that CA (profile 3, A00.FR.401-407). With TLS the ``/_control``
    channel moves to a plain listener of its own on the same host (:attr:`control_url`), so
    operators need no certificates.

    Per-station settings (:meth:`setup`, or a ``"kind": "setup"`` control command) are held
    here rather than in the sessions, so they survive a station reconnecting.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = "/ocpp",
        versions: Sequence[str] = ("1.6", "2.0.1"),
        id_tags: Mapping[str, IdTagSpec | str | Mapping[str, Any]] | None = None,
        heartbeat_interval: int = 300,
        basic_auth: Mapping[str, str] | None = None,
        defects: Collection[str] = (),
        response_timeout: float = 30.0,
        tls_certificates: Sequence[tuple[str, str | None]] = (),
        tls_client_ca_file: str | None = None,
        tls_client_certificate_optional: bool = False,
    ) -> None:
        unknown_versions = [v for v in versions if v not in SUBPROTOCOLS]
        if unknown_versions or not versions:
            raise ValueError(
                f"Unsupported OCPP version(s) {unknown_versions or list(versions)}; "
                f"the reference CSMS speaks {', '.join(SUBPROTOCOLS)}."
            )
        catalogue = _defect_catalogue()
        unknown_defects = sorted(set(defects) - set(catalogue))
        if unknown_defects:
            raise ValueError(
                f"Unknown defect(s) {', '.join(unknown_defects)}; "
                f"valid defects are: {', '.join(catalogue)}."
            )
        self.host = host
        self.port = port
        self.path = "/" + path.strip("/") if path.strip("/") else ""
        self.versions: tuple[str, ...] = tuple(versions)
        tags = DEFAULT_ID_TAGS if id_tags is None else id_tags
        self.id_tags: dict[str, IdTagSpec] = {
            tag.casefold(): IdTagSpec.from_mapping(spec) for tag, spec in tags.items()
        }
        self.heartbeat_interval = heartbeat_interval
        self.basic_auth = dict(basic_auth) if basic_auth is not None else None
        #: station id -> former passwords still accepted (only the accept_former_password
        #: defect puts any here; see :meth:`change_password`).
        self._former_passwords: dict[str, set[str]] = {}
        self.defects: frozenset[str] = frozenset(defects)
        self.response_timeout = response_timeout
        self.tls_certificates = tuple(tls_certificates)
        self.tls_client_ca_file = tls_client_ca_file
        #: Profiles 2 and 3 on one endpoint: a client certificate is verified when shown, and
        #: a station showing none must give Basic credentials (2.0.1 A05 upgrades 2 -> 3).
        self.tls_client_certificate_optional = tls_client_certificate_optional
        self._control_server: Server | None = None
        self._control_port = 0
        #: (station_id, action, "CallResult" | "CallError", payload or error code), in order.
        self.responses: list[tuple[str, str, str, Any]] = []
        self._tx_ids = itertools.count(1)
        self._first_tx_ids: dict[str, int] = {}
        self._sessions: dict[str, _ReferenceSession] = {}
        self._server: Server | None = None
        self._background: set[asyncio.Task[Any]] = set()
        #: (station id, OCPP version or None for any) -> setting -> value; see :meth:`setup`.
        self._settings: dict[tuple[str, str | None], dict[str, Any]] = {}

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind and start serving; afterwards :attr:`url` carries the real port."""
        self._server = await serve(
            self._handle_connection,
            self.host,
            self.port,
            subprotocols=[Subprotocol(SUBPROTOCOLS[v]) for v in self.versions],
            select_subprotocol=self._select_subprotocol,
            process_request=self._process_request,
            ssl=self._ssl_context(),
            logger=LOGGER,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        if self.tls_certificates:
            self._control_server = await serve(
                self._serve_control,
                self.host,
                0,
                process_request=self._process_control_request,
                logger=LOGGER,
            )
            self._control_port = self._control_server.sockets[0].getsockname()[1]
        LOGGER.info("reference CSMS listening on %s", self.url)

    def _ssl_context(self) -> ssl.SSLContext | None:
        """Security profiles 2 and 3 (Security Whitepaper §2.4, §2.5), or None for ws://."""
        if not self.tls_certificates:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers(TLS_CIPHERS)
        for cert, key in self.tls_certificates:
            context.load_cert_chain(cert, key)
        if self.tls_client_ca_file is not None:
            context.load_verify_locations(self.tls_client_ca_file)
            # The CA of its own CertificateSigned.req (1.6 Security WP A02): a station
            # reconnects with the certificate it was given (security16.py).
            if "distrust_signed_certificates" not in self.defects:
                context.load_verify_locations(cadata=cpo_root_pem())
            missing_ok = "accept_missing_client_certificate" in self.defects
            missing_ok = missing_ok or self.tls_client_certificate_optional
            context.verify_mode = ssl.CERT_OPTIONAL if missing_ok else ssl.CERT_REQUIRED
        security201.tune_tls(context, self)
        return context

    def _process_control_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        if urlsplit(request.path).path == CONTROL_PATH:
            return None
        return connection.respond(http.HTTPStatus.NOT_FOUND, "Only /_control is served here.\n")

    async def stop(self) -> None:
        """Close every station connection and the listening socket."""
        for session in list(self._sessions.values()):
            session.cancel_pending()
        for task in list(self._background):
            task.cancel()
        if self._control_server is not None:
            self._control_server.close()
            await self._control_server.wait_closed()
            self._control_server = None
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> ReferenceCsms:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Base URL stations connect to; append ``/<station_id>``."""
        scheme = "wss" if self.tls_certificates else "ws"
        return f"{scheme}://{self._url_host}:{self.port}{self.path}"

    @property
    def control_url(self) -> str:
        port = self._control_port if self.tls_certificates else self.port
        return f"ws://{self._url_host}:{port}{CONTROL_PATH}"

    @property
    def _url_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def connected_stations(self) -> dict[str, str]:
        """station id -> OCPP version of its current connection."""
        return {sid: s._ocpp_version for sid, s in self._sessions.items()}

    # --- state --------------------------------------------------------------------------------

    def next_tx_id(self) -> int:
        """Unique and increasing over all stations and connections of this CSMS."""
        return next(self._tx_ids)

    def first_tx_id(self, station_id: str) -> int:
        """The first transaction id handed to ``station_id``, the same on every call: what the
        ``fuzz_repeats_transaction_ids`` defect answers every StartTransaction with."""
        if station_id not in self._first_tx_ids:
            self._first_tx_ids[station_id] = self.next_tx_id()
        return self._first_tx_ids[station_id]

    def change_password(self, station_id: str, password: str, *, keep_former: bool = False) -> None:
        """The station accepted a new AuthorizationKey: expect it from now on and refuse the
        former one (1.6 Security WP A01.FR.03); ``keep_former`` (a defect) keeps accepting it.
        Nothing changes without Basic authentication (no profile 1 or 2)."""
        if self.basic_auth is None:
            return
        former = self.basic_auth.get(station_id)
        self.basic_auth[station_id] = password
        if keep_former and former is not None:
            self._former_passwords.setdefault(station_id, set()).add(former)
        LOGGER.info("%s: the Basic authentication password was changed", station_id)

    def lookup_id_tag(self, id_tag: str) -> IdTagSpec | None:
        """IdToken comparison is case-insensitive (OCPP 1.6 §7.28 IdToken)."""
        return self.id_tags.get(id_tag.casefold())

    def setup(
        self, station_id: str, setting: str, value: Any, ocpp_version: str | None = None
    ) -> None:
        """Store ``value`` (any JSON value) under ``setting`` for ``station_id``.

        This is how a test case configures the reference for one station (the control
        command ``{"kind": "setup", ...}``): sessions read it with
        :meth:`_ReferenceSession.setting <pytest_ocpp.reference.csms.session._ReferenceSession.setting>`.
        The station need not be connected, and the setting outlives its connections, so it can
        be set before the station boots and holds across reconnects.

        The server stores any name: which settings exist is up to the block modules that read
        them, so **a setting no session reads is ignored**, silently. With ``ocpp_version``
        it applies only to sessions of that version and wins over a version-less one. A
        ``None`` (JSON null) value removes the setting: sessions fall back to their default,
        which is how a case undoes its setup.

        Raises ValueError for a missing station id or setting or a version this CSMS does not
        serve, TypeError for a value that is not JSON.
        """
        if not isinstance(station_id, str) or not station_id:
            raise ValueError(f"the station id must be a non-empty string, not {station_id!r}")
        if not isinstance(setting, str) or not setting:
            raise ValueError(f"the setting must be a non-empty string, not {setting!r}")
        if ocpp_version is not None and ocpp_version not in self.versions:
            raise ValueError(
                f"OCPP {ocpp_version} is not served here (versions: {', '.join(self.versions)})"
            )
        # A JSON round trip: the same value whether it came over the control channel or from
        # Python, and a copy the caller can no longer change behind the sessions' back.
        stored = json.loads(json.dumps(value))
        scope = (station_id, ocpp_version)
        if stored is None:
            self._settings.get(scope, {}).pop(setting, None)
        else:
            self._settings.setdefault(scope, {})[setting] = stored
        LOGGER.info(
            "%s: setting %s = %s (OCPP %s)",
            station_id,
            setting,
            json.dumps(stored),
            ocpp_version or "any",
        )

    def station_setting(
        self, station_id: str, ocpp_version: str, setting: str, default: Any = None
    ) -> Any:
        """What a session of ``station_id`` speaking ``ocpp_version`` reads for ``setting``:
        the version's value, else the version-less one, else ``default``. A copy, so a
        session changing it does not change what the next connection reads."""
        for scope in ((station_id, ocpp_version), (station_id, None)):
            values = self._settings.get(scope)
            if values is not None and setting in values:
                return copy.deepcopy(values[setting])
        return default

    # --- requests to stations -----------------------------------------------------------------

    async def send_request(
        self,
        station_id: str,
        action: str,
        payload: Mapping[str, Any],
        ocpp_version: str | None = None,
    ) -> None:
        """Send ``action`` with the camelCase ``payload`` to a connected station.

        Returns as soon as the Call is written; the reply is logged and appended to
        :attr:`responses`. Raises LookupError when the station is not connected, ValueError
        when the action or payload is not valid for the station's OCPP version.
        """
        session = self._sessions.get(station_id)
        if session is None:
            connected = ", ".join(sorted(self._sessions)) or "none"
            raise LookupError(
                f"Station {station_id!r} is not connected to the reference CSMS "
                f"(connected: {connected}); connect it before asking the CSMS to send {action}."
            )
        if ocpp_version is not None and ocpp_version != session._ocpp_version:
            raise ValueError(
                f"Station {station_id!r} is connected with OCPP {session._ocpp_version}, "
                f"not {ocpp_version}."
            )
        await session.send_call(action, payload)

    # --- websocket plumbing -------------------------------------------------------------------

    def _station_id(self, request_path: str) -> str | None:
        path = urlsplit(request_path).path
        prefix = self.path + "/"
        if not path.startswith(prefix):
            return None
        station_id = unquote(path[len(prefix) :])
        return station_id if station_id and "/" not in station_id else None

    def _select_subprotocol(
        self, connection: ServerConnection, subprotocols: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        """Pick the first of the *client's* subprotocols we support (OCPP-J 1.6 §3.1.2:
        the client lists them in order of preference); refuse with HTTP 400 otherwise
        (TC_B_58_CSMS)."""
        offered = [SUBPROTOCOLS[v] for v in self.versions]
        for subprotocol in subprotocols:
            if subprotocol in offered:
                return subprotocol
        request = connection.request
        if request is not None and urlsplit(request.path).path == CONTROL_PATH:
            return None
        if "accept_unsupported_subprotocol" in self.defects:
            return None
        if "echo_unsupported_subprotocol" in self.defects and subprotocols:
            return subprotocols[0]
        raise NegotiationError(
            f"no supported subprotocol offered; expected one of {', '.join(offered)}"
        )

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = urlsplit(request.path).path
        if path == CONTROL_PATH:
            return None
        station_id = self._station_id(request.path)
        if station_id is None:
            return connection.respond(
                http.HTTPStatus.NOT_FOUND,
                f"Connect to {self.path}/<station_id>, not {path}.\n",
            )
        refusal = security201.handshake_refusal(self, connection, station_id)  # A05.FR.07
        if refusal is not None:
            return refusal
        if self.basic_auth is not None and security201.password_required(self, connection):
            return self._check_basic_auth(connection, request.headers, station_id)
        return None

    def _check_basic_auth(
        self, connection: ServerConnection, headers: Headers, station_id: str
    ) -> Response | None:
        """Security profile 1: HTTP Basic, username = station id (OCPP 1.6 Security WP §2.1)."""
        try:
            username, password = parse_authorization_basic(headers["Authorization"])
        except (KeyError, InvalidHeader):
            username = password = None
        expected = self.basic_auth.get(station_id) if self.basic_auth is not None else None
        ok = (
            (username == station_id or "accept_other_basic_auth_user" in self.defects)
            and expected is not None
            and (
                password == expected
                or password in self._former_passwords.get(station_id, ())
                or "accept_wrong_password" in self.defects
            )
        )
        if ok:
            return None
        response = connection.respond(http.HTTPStatus.UNAUTHORIZED, "Invalid credentials.\n")
        response.headers["WWW-Authenticate"] = build_www_authenticate_basic("OCPP")
        return response

    async def _handle_connection(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        if urlsplit(connection.request.path).path == CONTROL_PATH:
            await self._serve_control(connection)
            return
        station_id = self._station_id(connection.request.path)
        assert station_id is not None
        version = next(
            (v for v, sp in SUBPROTOCOLS.items() if sp == connection.subprotocol),
            self.versions[0],
        )
        session = SESSION_CLASSES[version](station_id, connection, self)
        previous = self._sessions.get(station_id)
        self._sessions[station_id] = session
        if previous is not None:
            # A new connection for the same station replaces the old one.
            LOGGER.info("%s: new connection replaces the previous one", station_id)
            previous.cancel_pending()
            self._spawn(previous._connection.close(1000, "Replaced by a newer connection."))
        LOGGER.info("%s: connected with OCPP %s", station_id, version)
        try:
            await session.start()  # type: ignore[attr-defined]
        except ConnectionClosed:
            pass
        finally:
            session.cancel_pending()
            if self._sessions.get(station_id) is session:
                del self._sessions[station_id]
            LOGGER.info("%s: disconnected", station_id)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def handle_command(self, command: Any) -> None:
        """Carry out one control command, as received on ``/_control``.

        ``{"station_id", "action", "payload"?, "ocpp_version"?}`` (``"kind": "request"``, the
        default, so commands written before kinds existed still work): :meth:`send_request`.
        ``{"kind": "setup", "station_id", "setting", "value", "ocpp_version"?}``: :meth:`setup`;
        other keys (the CSMS operator also sends ``"action": "setup"``) are ignored. An unknown
        kind is refused rather than guessed at. Raises LookupError, ValueError or TypeError with
        a sentence for the operator when the command cannot be carried out.

        The kinds are those of :class:`pytest_ocpp.operators.CsmsOperator` jobs, so an
        in-process performer can hand a job straight to this method.
        """
        if not isinstance(command, dict):
            raise ValueError("the command must be a JSON object")
        kind = command.get("kind", "request")
        if kind == "setup":
            missing = [k for k in ("station_id", "setting", "value") if k not in command]
            if missing:
                raise ValueError(f"the setup command lacks {', '.join(missing)}")
            self.setup(
                command["station_id"],
                command["setting"],
                command["value"],
                ocpp_version=command.get("ocpp_version"),
            )
        elif kind == "request":
            missing = [k for k in ("station_id", "action") if k not in command]
            if missing:
                raise ValueError(f"the command lacks {', '.join(missing)}")
            await self.send_request(
                str(command["station_id"]),
                str(command["action"]),
                command.get("payload") or {},
                ocpp_version=command.get("ocpp_version"),
            )
        else:
            raise ValueError(f"unknown command kind {kind!r}; expected 'request' or 'setup'")

    async def _serve_control(self, connection: ServerConnection) -> None:
        """``/_control``: one JSON command per text message (see :meth:`handle_command`), one
        JSON verdict back: ``{"ok": true}`` once sent or stored, or
        ``{"ok": false, "error": "..."}``.
        """
        async for message in connection:
            try:
                await self.handle_command(json.loads(message))
                reply: dict[str, Any] = {"ok": True}
            except (LookupError, ValueError, TypeError) as error:
                reply = {"ok": False, "error": str(error)}
            except Exception as error:  # the control channel must answer whatever happens
                LOGGER.exception("control command failed")
                reply = {"ok": False, "error": f"{type(error).__name__}: {error}"}
            await connection.send(json.dumps(reply))


# --- command line ---------------------------------------------------------------------------


def _parse_tags(items: Iterable[str]) -> dict[str, IdTagSpec]:
    tags: dict[str, IdTagSpec] = {}
    for item in items:
        tag, sep, status = item.partition("=")
        if not sep or not tag:
            raise argparse.ArgumentTypeError(f"--tag expects TAG=STATUS, got {item!r}")
        tags[tag] = IdTagSpec(status=status)
    return tags


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pytest_ocpp.reference.csms``: serve until Ctrl-C or SIGTERM."""
    catalogue = _defect_catalogue()
    parser = argparse.ArgumentParser(
        prog="python -m pytest_ocpp.reference.csms",
        description="Conformant reference CSMS (OCPP 1.6J / 2.0.1) built on the ocpp library.",
        epilog="Defects: " + "; ".join(f"{k}: {v}" for k, v in catalogue.items()),
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--path", default="/ocpp")
    parser.add_argument(
        "--version",
        dest="versions",
        action="append",
        choices=list(SUBPROTOCOLS),
        help="OCPP version to offer (repeatable; default: all)",
    )
    parser.add_argument(
        "--tag", action="append", default=[], metavar="TAG=STATUS", help="known id tag"
    )
    parser.add_argument("--heartbeat-interval", type=int, default=300)
    parser.add_argument("--basic-auth", action="append", default=[], metavar="STATION=PASSWORD")
    parser.add_argument(
        "--tls-cert",
        action="append",
        default=[],
        metavar="CERT.pem[:KEY.pem]",
        help="serve wss:// with this certificate (repeatable: an EC and an RSA one)",
    )
    parser.add_argument(
        "--tls-client-ca", default=None, help="require client certificates from this CA"
    )
    parser.add_argument("--defect", action="append", default=[], choices=list(catalogue))
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument(
        "--trigger-api-port",
        type=int,
        default=None,
        metavar="PORT",
        help="also serve tzi-OCTT's trigger API and open-ocpp-tck's csms-server API on PORT "
        "(pytest_ocpp.interop.trigger_server)",
    )
    ocpi = parser.add_argument_group(
        "OCPI 2.2.1 CPO interface",
        "a fake CPO for an eMSP backend, wired to this CSMS's stations: START_SESSION reaches "
        "the station over OCPP, its transaction comes back as Sessions and a CDR",
    )
    ocpi.add_argument(
        "--ocpi-port", type=int, default=None, metavar="PORT", help="serve it on PORT (0: any)"
    )
    ocpi.add_argument("--ocpi-host", default=None, help="listen address (default: --host)")
    ocpi.add_argument(
        "--ocpi-token", default=None, metavar="TOKEN_A", help="CREDENTIALS_TOKEN_A it hands out"
    )
    ocpi.add_argument(
        "--ocpi-station-id",
        default="CP_1",
        help="the station behind Location LOC-1 / EVSE-1 (connector 1); default CP_1",
    )
    ocpi.add_argument(
        "--ocpi-defect",
        action="append",
        default=[],
        metavar="NAME",
        help="break one CPO rule (python -m pytest_ocpp.reference.ocpi --help lists them)",
    )
    args = parser.parse_args(argv)
    try:
        tags = _parse_tags(args.tag) if args.tag else None
    except (argparse.ArgumentTypeError, ValueError) as error:
        parser.error(str(error))
    if (args.ocpi_port is None) != (args.ocpi_token is None):
        parser.error("--ocpi-port and --ocpi-token go together: the CPO needs both")
    if args.ocpi_defect and args.ocpi_port is None:
        parser.error("--ocpi-defect needs --ocpi-port (the CPO interface it breaks)")
    cpo = None
    if args.ocpi_port is not None:
        # Imported only here: a CSMS without its OCPI side does not load aiohttp and httpx.
        from pytest_ocpp.reference.ocpi import ReferenceCpo

        try:
            cpo = ReferenceCpo(
                args.ocpi_token,
                host=args.ocpi_host or args.host,
                port=args.ocpi_port,
                defects=args.ocpi_defect,
            )
        except ValueError as error:
            parser.error(str(error))
    basic_auth = dict(item.partition("=")[::2] for item in args.basic_auth) or None
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    csms = ReferenceCsms(
        host=args.host,
        port=args.port,
        path=args.path,
        versions=args.versions or tuple(SUBPROTOCOLS),
        id_tags=tags,
        heartbeat_interval=args.heartbeat_interval,
        basic_auth=basic_auth,
        defects=args.defect,
        tls_certificates=[
            (cert, key or None) for cert, _, key in (item.partition(":") for item in args.tls_cert)
        ],
        tls_client_ca_file=args.tls_client_ca,
    )

    async def serve_forever() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        async with csms:
            print(
                f"reference CSMS: {csms.url}/<station_id>  control: {csms.control_url}", flush=True
            )
            if args.trigger_api_port is not None:
                from pytest_ocpp.interop import trigger_server

                api = await trigger_server.serve(
                    csms.handle_command, args.host, args.trigger_api_port
                )
                port = api.sockets[0].getsockname()[1]
                print(f"trigger APIs: http://{args.host}:{port}", flush=True)
            if cpo is not None:
                code = await _serve_cpo(cpo, csms, args.ocpi_station_id)
                if code:
                    return code
            try:
                await stop.wait()
            finally:
                if cpo is not None:
                    await cpo.stop()
        return 0

    code = 0
    with contextlib.suppress(KeyboardInterrupt):
        code = asyncio.run(serve_forever())
    return code


async def _serve_cpo(cpo: Any, csms: ReferenceCsms, station_id: str) -> int:
    """Start the reference OCPI CPO beside ``csms`` and wire its Commands receiver and
    real-time authorization to the CSMS's station ``station_id`` (what ``--ocpp-reference``
    does inside a pytest run). A port already taken is one sentence and exit status 1."""
    from pytest_ocpp.reference.ocpi import start_or_say
    from pytest_ocpp.reference.ocpi.commands import attach

    if not await start_or_say(cpo, "reference CSMS: the OCPI CPO", "--ocpi-host / --ocpi-port"):
        return 1
    attach(cpo, csms, station_id)
    location = cpo.locations[0]
    print(
        f"reference CPO (OCPI 2.2.1): versions at {cpo.versions_url}  (Location "
        f"{location['id']} / EVSE {location['evses'][0]['uid']} is station {station_id}, "
        "connector 1)",
        flush=True,
    )
    return 0
