"""Opening OCPP-J websockets, the one place that does: :func:`connect` (we are the station)
and :func:`serve` (we are the CSMS), plus the start-up checks that turn a wrong URL or a busy
port into one sentence (:func:`unreachable`, :func:`listen_problem`).

TLS contexts, HTTP Basic credentials, subprotocol negotiation and connect timeouts are decided
here and nowhere else; what flows over the connection once open is :class:`~pytest_ocpp.link.Link`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.asyncio.server import Server, ServerConnection
from websockets.asyncio.server import serve as ws_serve
from websockets.exceptions import (
    InvalidHandshake,
    InvalidHeader,
    InvalidMessage,
    InvalidStatus,
    InvalidURI,
    NegotiationError,
)

from pytest_ocpp import security
from pytest_ocpp.config import Timeouts, TlsSettings
from pytest_ocpp.trace import Trace
from pytest_ocpp.verdicts import ConnectFailed, UnexpectedSubprotocol

MAX_FRAME_BYTES = 16 * 1024 * 1024
"""Payloads larger than websockets' 1 MiB default are legal OCPP (a full GetConfiguration, a
big local list); 16 MiB still bounds a misbehaving peer."""


def _basic_auth_header(user: str, password: str) -> str:
    """Security profiles 1 and 2: HTTP Basic with user = station id (1.6 Security Whitepaper
    A00.FR.202-205). Never traced or logged (see :func:`pytest_ocpp.security.protect_secrets`)."""
    return security.basic_auth_header(user, password)


def _client_ssl(tls: TlsSettings) -> ssl.SSLContext:
    """Our station's TLS context (:func:`pytest_ocpp.security.client_context`); a certificate
    or key file that cannot be read is one sentence."""
    try:
        return security.client_context(tls)
    except FileNotFoundError as exc:
        raise ConnectFailed(f"cannot read the TLS file {exc.filename}: it does not exist") from None
    except ssl.SSLError as exc:
        raise ConnectFailed(
            "cannot load the TLS files (--ocpp-tls-ca-file, --ocpp-tls-cert-file, "
            f"--ocpp-tls-key-file): {exc.reason or exc}; they must be PEM, the key matching "
            "the certificate"
        ) from None


async def _closed_before_upgrade(full: str, tls: TlsSettings | None, timeout: float) -> str:
    """Why a server closed the connection without an HTTP response. Over wss:// a CSMS that
    requires a client certificate (profile 3) does that under TLS 1.3 when none or an
    untrusted one is shown; over ws:// a TLS endpoint does it to a plain HTTP request."""
    parts = urlsplit(full)
    if parts.scheme == "wss":
        if tls is None or not tls.cert_file:
            return security.missing_client_certificate(full)
        return (
            f"the CSMS at {full} closed the TLS connection before answering the upgrade: it "
            "did not accept our client certificate (--ocpp-tls-cert-file); is it signed by a CA "
            "the CSMS trusts, and is its commonName the station's serial number (A00.FR.403-405)?"
        )
    host, port = parts.hostname or "", parts.port or 80
    if await security.speaks_tls(host, port, min(timeout, 3.0)):
        return (
            f"{full} is a TLS (wss://) endpoint but the target is plain ws://: use "
            f"wss://{parts.netloc}{parts.path.rsplit('/', 1)[0]} with security profile 2 or 3"
        )
    return (
        f"{full} closed the connection without an HTTP upgrade response: is it a websocket server?"
    )


async def connect(
    url: str,
    station_id: str,
    subprotocols: list[str],
    *,
    timeouts: Timeouts,
    tls: TlsSettings | None = None,
    password: str | None = None,
    trace: Trace | None = None,
    require_subprotocol: bool = True,
    username: str | None = None,
) -> ClientConnection:
    """Open a websocket to a CSMS as ``station_id``: the id is appended to the URL path as
    OCPP-J requires (1.6 §3.1.1; 2.0.1 Part 4 §3.1.1), the subprotocols are offered in
    preference order, and every way this can go wrong becomes one readable sentence.

    An upgrade that selects no subprotocol raises :class:`UnexpectedSubprotocol` unless
    ``require_subprotocol`` is false: then the connection is returned for the caller to judge
    (OCPP-J 2.0.1 Part 4 §3.2: such a CSMS must close it at once; TC_B_58_CSMS checks that).
    ``username`` replaces the station id as the Basic user: a request the CSMS must refuse
    (2.0.1 A00.FR.204, TC_A_02_CSMS)."""
    full = url.rstrip("/") + "/" + station_id
    headers = {}
    if password is not None:
        security.protect_secrets(password)
        headers["Authorization"] = _basic_auth_header(username or station_id, password)
    context = _client_ssl(tls or TlsSettings()) if full.startswith("wss://") else None
    if trace is not None:
        auth = " with HTTP Basic credentials (masked)" if password is not None else ""
        trace.event(station_id, f"connecting to {full} offering {', '.join(subprotocols)}{auth}")
    if context is not None and tls is not None and tls.insecure:
        _insecure_warning(full, trace, station_id)
    try:
        ws = await asyncio.wait_for(
            ws_connect(
                full,
                subprotocols=subprotocols,  # type: ignore[arg-type]
                additional_headers=headers,
                ssl=context,
                open_timeout=None,
                max_size=MAX_FRAME_BYTES,
                ping_interval=None,
                user_agent_header="pytest-ocpp",
            ),
            timeouts.connect,
        )
    except asyncio.TimeoutError:
        raise ConnectFailed(
            f"no websocket handshake with {full} within {timeouts.connect:g} s "
            "(--ocpp-connect-timeout): is the CSMS running and answering HTTP?"
        ) from None
    except InvalidURI as exc:
        raise ConnectFailed(f"{full} is not a valid websocket URL: {exc}") from None
    except InvalidStatus as exc:
        status = exc.response.status_code
        hint = {
            401: (
                "the CSMS refused the HTTP Basic credentials (user = station id "
                f"{station_id!r}): check --ocpp-basic-auth-password (A00.FR.202-205)"
                if password is not None
                else "the CSMS wants HTTP Basic credentials: set --ocpp-basic-auth-password "
                "(OCPP_BASIC_AUTH_PASSWORD) for this station id"
            ),
            403: "the CSMS forbids this connection; common causes are an unknown station id, "
            "missing or wrong credentials, or none of the offered subprotocols "
            f"({', '.join(subprotocols)}) being enabled for this station",
            404: "check the path in --ocpp-target and that the station id is known",
            400: "a CSMS answers 400 when it supports none of the offered subprotocols "
            f"({', '.join(subprotocols)})",
        }.get(status, "")
        body = exc.response.body.decode(errors="replace").strip()[:200] if exc.response.body else ""
        raise ConnectFailed(
            f"the CSMS refused the websocket upgrade for {full} with HTTP {status}"
            + (f" ({body!r})" if body else "")
            + (f": {hint}" if hint else "")
        ) from None
    except InvalidMessage as exc:
        cause = exc.__cause__
        if isinstance(cause, ssl.SSLError):
            raise ConnectFailed(security.explain_tls_error(cause, full)) from None
        if isinstance(cause, EOFError | ConnectionError):
            raise ConnectFailed(await _closed_before_upgrade(full, tls, timeouts.connect)) from None
        raise ConnectFailed(
            f"{full} did not answer with a valid HTTP upgrade response ({exc}): is it a websocket "
            "server?"
        ) from None
    except InvalidHandshake as exc:
        if _is_subprotocol_error(exc):
            raise UnexpectedSubprotocol(
                f"the CSMS upgraded the connection to {full} (HTTP 101) with a "
                f"Sec-WebSocket-Protocol that is not one of the offered subprotocols "
                f"({', '.join(subprotocols)}): {exc}. OCPP-J requires the server to echo one of "
                "them (1.6 §3.1.2; 2.0.1 Part 4 §3.2)"
            ) from None
        raise ConnectFailed(f"the websocket handshake with {full} failed: {exc}") from None
    except ssl.SSLError as exc:
        raise ConnectFailed(security.explain_tls_error(exc, full)) from None
    except ConnectionResetError as exc:
        if full.startswith("wss://"):
            raise ConnectFailed(
                f"TLS handshake with {full} failed: the server reset the connection; it "
                "probably does not speak TLS on that port (use ws:// for security profile 1, "
                "or the port of its wss:// endpoint)"
            ) from None
        raise ConnectFailed(f"cannot reach {full}: {exc.strerror or exc}") from None
    except OSError as exc:
        raise ConnectFailed(
            f"cannot reach {full}: {exc.strerror or exc} — nothing listening there, or the "
            "host name does not resolve"
        ) from None
    if ws.subprotocol not in subprotocols and require_subprotocol:
        chosen = ws.subprotocol
        await ws.close()
        raise UnexpectedSubprotocol(
            f"the CSMS accepted the websocket without selecting one of the offered subprotocols "
            f"({', '.join(subprotocols)}); it answered {chosen!r}. OCPP-J requires the server to "
            "echo the subprotocol it speaks (1.6 §3.1.2; 2.0.1 Part 4 §3.1.2)"
        )
    if trace is not None:
        info = security.tls_info(ws)
        over = f", {info.version} {info.cipher}" if info is not None else ""
        trace.event(
            station_id, f"connected, subprotocol {ws.subprotocol or '(none selected)'}{over}"
        )
    return ws


def _insecure_warning(url: str, trace: Trace | None, station_id: str) -> None:
    """--ocpp-tls-insecure: the run cannot show the CSMS's certificate is valid
    (A00.FR.307/308), so every case that connects says so."""
    text = (
        f"TLS certificate verification is off (--ocpp-tls-insecure): the certificate of {url} "
        "was not checked (1.6 Security Whitepaper A00.FR.307/308 not verified)"
    )
    if trace is not None:
        trace.event(station_id, text)
    from pytest_ocpp import case

    with contextlib.suppress(RuntimeError):
        case.warn(text)


def unreachable(url: str, timeout: float) -> str | None:
    """Why nothing can be reached at ``url``'s host and port (refused, unknown host, no answer),
    or None when a TCP connection opens. Run once before the first case, so an unreachable
    target is one clear sentence instead of one identical failure per case."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except socket.gaierror as exc:
        return f"the host name {host!r} does not resolve ({exc.strerror or exc})"
    except TimeoutError:
        return f"no TCP connection to {host}:{port} within {timeout:g} s (--ocpp-connect-timeout)"
    except OSError as exc:
        return f"cannot connect to {host}:{port}: {exc.strerror or exc}"


def listen_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on (taken, not an address of this machine), or
    None. Checked before the first case, so a busy port is one message, not one error per case."""
    if port == 0:
        return None
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"the host {host!r} does not resolve ({exc.strerror or exc})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            return exc.strerror or str(exc)
    return None


def _is_subprotocol_error(exc: InvalidHandshake) -> bool:
    """The server completed the upgrade but its Sec-WebSocket-Protocol answer is unusable
    (a protocol not offered, or several); websockets raises these from its subprotocol check."""
    if isinstance(exc, InvalidHeader):
        return exc.name.lower() == "sec-websocket-protocol"
    return isinstance(exc, NegotiationError) and "subprotocol" in str(exc)


async def serve(
    handler: Callable[[ServerConnection], Awaitable[None]],
    host: str,
    port: int,
    subprotocols: list[str],
    *,
    tls_context: ssl.SSLContext | None = None,
    process_request: Callable[..., Any] | None = None,
) -> Server:
    """Listen as a CSMS. Subprotocol choice is left to the handler (``select_subprotocol``
    accepts any offer, so a station offering the wrong one reaches the handler and gets a
    readable verdict instead of a bare HTTP 400)."""

    def select(connection: ServerConnection, offered: list[str]) -> str | None:
        for candidate in offered:
            if candidate in subprotocols:
                return candidate
        return None

    return await ws_serve(
        handler,
        host,
        port,
        subprotocols=subprotocols,  # type: ignore[arg-type]
        select_subprotocol=select,  # type: ignore[arg-type]
        ssl=tls_context,
        process_request=process_request,
        max_size=MAX_FRAME_BYTES,
        ping_interval=None,
    )
