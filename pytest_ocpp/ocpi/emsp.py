"""The eMSP's own OCPI 2.2.1 endpoints, which the CPO under test calls: versions and version
details (fetched during the registration, credentials §Registration), the Sessions and CDRs
receivers (mod_sessions §Receiver Interface, mod_cdrs §Receiver Interface), the Locations
receiver, the ``response_url`` of commands (mod_commands §Receiver Interface), and the Tokens
sender's real-time authorization (mod_tokens §Sender Interface, POST ``{uid}/authorize``).

Why aiohttp: a real HTTP server (the CPO must reach us over the network), started and stopped
inside the test run's own asyncio loop with ``AppRunner`` / ``TCPSite``, with no signal
handlers, threads or process of its own; starlette + uvicorn would need uvicorn's ``Server``,
which installs signal handlers and owns a loop. Every request is recorded with its headers
(the cases judge the CPO's Authorization encoding and X-Request-ID), answered per
transport_and_format §Response format, and announced to waiting cases.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from pytest_ocpp.ocpi.transport import Exchange, read_authorization
from pytest_ocpp.verdicts import TargetTimeout

BASE = "/ocpi/emsp"
_INCOMING = web.RequestKey("incoming", object)
VERSION_PATH = f"{BASE}/2.2.1"


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(data: Any = None, status_code: int = 1000, message: str | None = None) -> Any:
    body: dict[str, Any] = {"status_code": status_code, "timestamp": now()}
    if data is not None:
        body["data"] = data
    if message:
        body["status_message"] = message
    return body


@dataclass
class Incoming:
    """One request the CPO sent us."""

    method: str
    path: str
    headers: dict[str, str]
    body: str
    token: str | None
    """Which of our tokens B it carried (None: none of them)."""
    encoded: bool
    """Whether that token was Base64-encoded (transport §Authorization header)."""
    status: int = 200
    answer: str = ""
    at: float = field(default_factory=time.time)

    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def exchange(self, base_url: str) -> Exchange:
        return Exchange(
            self.method,
            base_url + self.path,
            self.headers,
            self.body,
            self.status,
            {},
            self.answer,
            direction="CPO → eMSP",
            started=self.at,
        )


class EmspServer:
    """Our eMSP endpoints on ``host:port``; ``public_url`` is what the CPO is told."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        public_url: str | None,
        country_code: str,
        party_id: str,
    ) -> None:
        self.host, self.port = host, port
        self._public_url = public_url.rstrip("/") if public_url else None
        self.country_code, self.party_id = country_code, party_id
        self.tokens: list[str] = []
        """Our credentials tokens B the CPO may use (the newest last)."""
        self.requests: list[Incoming] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.session_updates: list[tuple[str, str, Any]] = []
        """(method, session id, body) of every Session PUT / PATCH, in order."""
        self.cdrs: list[dict[str, Any]] = []
        self.command_results: dict[str, list[Any]] = {}
        self.locations: dict[str, Any] = {}
        self.authorizations: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        """(uid, type) -> (AllowedType, Token object): how we answer a real-time authorization
        of one of our Tokens; a Token not listed is unknown to us (HTTP 404, 2004)."""
        self.log: list[Exchange] | None = None
        """The running case's trace, where incoming requests are appended."""
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get(f"{BASE}/versions", self._versions)
        app.router.add_get(VERSION_PATH, self._details)
        app.router.add_get(f"{VERSION_PATH}/credentials", self._credentials)
        app.router.add_route("*", f"{VERSION_PATH}/sessions/{{cc}}/{{pid}}/{{sid}}", self._session)
        app.router.add_post(f"{VERSION_PATH}/cdrs", self._cdr_post)
        app.router.add_get(f"{VERSION_PATH}/cdrs/{{cid}}", self._cdr_get)
        app.router.add_route("*", f"{VERSION_PATH}/locations/{{tail:.*}}", self._location)
        app.router.add_post(f"{VERSION_PATH}/commands/{{command}}/{{uid}}", self._result)
        app.router.add_post(f"{VERSION_PATH}/tokens/{{uid}}/authorize", self._authorize)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = site._server.sockets if site._server else ()  # type: ignore[union-attr]
        if sockets:
            self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        if self._public_url:
            return self._public_url
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}{BASE}/versions"

    def new_token(self) -> str:
        """A fresh credentials token B (printable ASCII, credentials §Credentials object)."""
        token = f"emsp-{uuid.uuid4()}"
        self.tokens.append(token)
        return token

    def credentials(self, token: str) -> dict[str, Any]:
        """Our Credentials object (credentials §Credentials object) with ``token``."""
        return {
            "token": token,
            "url": self.versions_url,
            "roles": [
                {
                    "role": "EMSP",
                    "business_details": {"name": "pytest-ocpp eMSP"},
                    "party_id": self.party_id,
                    "country_code": self.country_code,
                }
            ],
        }

    def response_url(self, command: str) -> tuple[str, str]:
        uid = uuid.uuid4().hex
        self.command_results[uid] = []
        return f"{self.base_url}{VERSION_PATH}/commands/{command}/{uid}", uid

    # -- waiting ------------------------------------------------------------------------------
    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float, what: str, setting: str
    ) -> Any:
        """Wait until ``predicate()`` is truthy; a timeout is a verdict naming ``what`` the CPO
        did not send and the ``setting`` that bounds the wait."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            left = deadline - time.monotonic()
            if left <= 0:
                raise TargetTimeout(f"the CPO did not send {what} within {timeout:g} s ({setting})")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                continue

    def requests_since(self, index: int, method: str, path_suffix: str) -> list[Incoming]:
        return [
            r
            for r in self.requests[index:]
            if r.method == method and r.path.split("?")[0].rstrip("/").endswith(path_suffix)
        ]

    # -- handlers -----------------------------------------------------------------------------
    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        body = await request.text()
        token, encoded = read_authorization(request.headers.get("Authorization"), self.tokens)
        incoming = Incoming(
            request.method, request.path_qs, dict(request.headers), body, token, encoded
        )
        self.requests.append(incoming)
        request[_INCOMING] = incoming
        if token is None:
            # transport §Authorization header: an unknown token is answered HTTP 401.
            response: web.StreamResponse = web.json_response(
                envelope(status_code=2000, message="unknown credentials token"), status=401
            )
        else:
            response = await handler(request)
        for name in ("X-Request-ID", "X-Correlation-ID"):
            if name in request.headers:
                response.headers[name] = request.headers[name]
        incoming.status = response.status
        incoming.answer = getattr(response, "text", "") or ""
        if self.log is not None:
            self.log.append(incoming.exchange(self.base_url))
        self._changed.set()
        return response

    async def _versions(self, request: web.Request) -> web.Response:
        return web.json_response(
            envelope([{"version": "2.2.1", "url": f"{self.base_url}{VERSION_PATH}"}])
        )

    async def _details(self, request: web.Request) -> web.Response:
        base = f"{self.base_url}{VERSION_PATH}"
        endpoints = [
            ("credentials", "SENDER", f"{base}/credentials"),
            ("credentials", "RECEIVER", f"{base}/credentials"),
            ("sessions", "RECEIVER", f"{base}/sessions"),
            ("cdrs", "RECEIVER", f"{base}/cdrs"),
            ("locations", "RECEIVER", f"{base}/locations"),
            ("commands", "SENDER", f"{base}/commands"),
            ("tokens", "SENDER", f"{base}/tokens/"),
        ]
        return web.json_response(
            envelope(
                {
                    "version": "2.2.1",
                    "endpoints": [{"identifier": i, "role": r, "url": u} for i, r, u in endpoints],
                }
            )
        )

    async def _credentials(self, request: web.Request) -> web.Response:
        return web.json_response(envelope(self.credentials(self.tokens[-1])))

    def _json(self, body: str) -> Any:
        try:
            return json.loads(body)
        except ValueError:
            return None

    async def _session(self, request: web.Request) -> web.Response:
        sid = request.match_info["sid"]
        if request.method == "GET":
            if sid not in self.sessions:
                return web.json_response(envelope(status_code=2001, message="unknown"), status=404)
            return web.json_response(envelope(self.sessions[sid]))
        data = self._json(request[_INCOMING].body)
        if not isinstance(data, dict):
            return web.json_response(envelope(status_code=2001, message="not JSON"), status=400)
        self.session_updates.append((request.method, sid, data))
        if request.method == "PUT":
            created = sid not in self.sessions
            self.sessions[sid] = data
            return web.json_response(envelope(), status=201 if created else 200)
        if request.method == "PATCH":
            self.sessions.setdefault(sid, {}).update(data)
            return web.json_response(envelope())
        return web.json_response(envelope(status_code=2000), status=405)

    async def _cdr_post(self, request: web.Request) -> web.Response:
        data = self._json(request[_INCOMING].body)
        if not isinstance(data, dict):
            return web.json_response(envelope(status_code=2001, message="not JSON"), status=400)
        self.cdrs.append(data)
        location = f"{self.base_url}{VERSION_PATH}/cdrs/{data.get('id', len(self.cdrs))}"
        return web.json_response(envelope(), status=201, headers={"Location": location})

    async def _cdr_get(self, request: web.Request) -> web.Response:
        for cdr in self.cdrs:
            if str(cdr.get("id")) == request.match_info["cid"]:
                return web.json_response(envelope(cdr))
        return web.json_response(envelope(status_code=2001, message="unknown"), status=404)

    async def _location(self, request: web.Request) -> web.Response:
        if request.method in ("PUT", "PATCH"):
            data = self._json(request[_INCOMING].body)
            if not isinstance(data, dict):
                return web.json_response(envelope(status_code=2001), status=400)
            self.locations[request.match_info["tail"]] = data
        return web.json_response(envelope())

    async def _result(self, request: web.Request) -> web.Response:
        uid = request.match_info["uid"]
        if uid not in self.command_results:
            return web.json_response(envelope(status_code=2001, message="unknown"), status=404)
        self.command_results[uid].append(self._json(request[_INCOMING].body))
        return web.json_response(envelope())

    async def _authorize(self, request: web.Request) -> web.Response:
        """mod_tokens §POST Method: the AuthorizationInfo of a Token we know (``allowed`` as
        the case set it, the optional LocationReferences echoed back), HTTP 404 with 2004 for
        one we do not."""
        key = (request.match_info["uid"], request.query.get("type", "RFID"))
        if key not in self.authorizations:
            return web.json_response(
                envelope(status_code=2004, message="unknown Token"), status=404
            )
        allowed, token = self.authorizations[key]
        info: dict[str, Any] = {"allowed": allowed, "token": token}
        references = self._json(request[_INCOMING].body)
        if isinstance(references, dict) and references.get("location_id"):
            info["location"] = references
        return web.json_response(envelope(info))
