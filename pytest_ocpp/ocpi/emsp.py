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
from typing import Any, NamedTuple

from aiohttp import web

from pytest_ocpp.ocpi import models
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


class SessionUpdate(NamedTuple):
    """One Session PUT or PATCH the CPO sent us."""

    method: str
    session_id: str
    body: dict[str, Any]
    problems: list[str]
    """How the body breaks mod_sessions (§Session Object, §PUT / §PATCH Method)."""


LOCATION_LEVELS = (models.LOCATION, models.EVSE, models.CONNECTOR)
"""What a Locations receiver URL addresses after {country_code}/{party_id}: a Location, one of
its EVSEs, one of that EVSE's Connectors (mod_locations §Receiver Interface)."""


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
    problems: list[str] = field(default_factory=list)
    """How the object it carried breaks its module's definition (checked on arrival)."""
    index: int = 0
    """Its position in :attr:`EmspServer.requests`."""

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

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
        self.session_updates: list[SessionUpdate] = []
        """Every Session PUT / PATCH, in order, with what is wrong with it."""
        self.cdrs: list[dict[str, Any]] = []
        self.command_results: dict[str, list[Any]] = {}
        self.locations: dict[str, Any] = {}
        self.authorizations: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        """(uid, type) -> (AllowedType, Token object): how we answer a real-time authorization
        of one of our Tokens; a Token not listed is unknown to us (HTTP 404, 2004)."""
        self.log: list[Exchange] | None = None
        """The running case's trace, where incoming requests are appended."""
        self._origins: dict[str, int] = {}
        """Session id / response_url uid -> index in :attr:`requests` where it began."""
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
        self._origins[uid] = len(self.requests)
        return f"{self.base_url}{VERSION_PATH}/commands/{command}/{uid}", uid

    def origin(self, request: Incoming) -> int:
        """Where in :attr:`requests` the matter of ``request`` began: the first push of its
        Session (a CDR's too), the command whose response_url it answers; else the request
        itself. A case judges the requests that began in it, so a late push of an earlier
        case's Session (its clean-up after a failure) is not held against the next case."""
        parts = request.path.split("?")[0].rstrip("/").split("/")
        key: str | None = None
        if "sessions" in parts:
            key = parts[-1]
        elif "commands" in parts:
            key = parts[-1]
        elif "cdrs" in parts and request.method == "POST":
            body = request.json()
            key = str(body.get("session_id")) if isinstance(body, dict) else None
        return self._origins.get(key, request.index) if key else request.index

    # -- waiting ------------------------------------------------------------------------------
    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float, what: str, setting: str
    ) -> Any:
        """Wait until ``predicate()`` is truthy; a timeout is a verdict naming ``what`` the CPO
        did not send and the ``setting`` that bounds the wait."""
        deadline = time.monotonic() + timeout
        mark = len(self.requests)
        while True:
            value = predicate()
            if value:
                return value
            left = deadline - time.monotonic()
            if left <= 0:
                raise TargetTimeout(
                    f"the CPO did not send {what} within {timeout:g} s ({setting})"
                    + self._refused_since(mark)
                )
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                continue

    def _refused_since(self, mark: int) -> str:
        """What we answered HTTP 401 while waiting: a request whose token we did not know may
        be the one that did not come (its token C or A instead of our token B ...)."""
        refused = [r for r in self.requests[mark:] if r.token is None]
        if not refused:
            return ""
        shown = ", ".join(
            f"{r.label} with Authorization: {r.header('Authorization')}" for r in refused[:3]
        )
        return (
            f"; we answered HTTP 401 to {len(refused)} request(s) whose token is none of the "
            f"tokens B we gave it ({shown}; transport_and_format §Authorization header)"
        )

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
        incoming.index = len(self.requests)
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
        incoming: Incoming = request[_INCOMING]
        data = self._json(incoming.body)
        if not isinstance(data, dict):
            incoming.problems.append("the body is not a JSON Session object")
            return web.json_response(envelope(status_code=2001, message="not JSON"), status=400)
        if request.method == "PUT":
            incoming.problems += models.problems(data, models.SESSION, "Session")
            incoming.problems += _same_ids(
                request, data, ("cc", "country_code"), ("pid", "party_id"), ("sid", "id")
            )
        elif request.method == "PATCH":
            incoming.problems += models.patch_problems(data, models.SESSION, "Session")
        self._origins.setdefault(sid, incoming.index)
        self.session_updates.append(SessionUpdate(request.method, sid, data, incoming.problems))
        if request.method == "PUT":
            created = sid not in self.sessions
            self.sessions[sid] = data
            return web.json_response(envelope(), status=201 if created else 200)
        if request.method == "PATCH":
            self.sessions.setdefault(sid, {}).update(data)
            return web.json_response(envelope())
        return web.json_response(envelope(status_code=2000), status=405)

    async def _cdr_post(self, request: web.Request) -> web.Response:
        incoming: Incoming = request[_INCOMING]
        data = self._json(incoming.body)
        if not isinstance(data, dict):
            incoming.problems.append("the body is not a JSON CDR object")
            return web.json_response(envelope(status_code=2001, message="not JSON"), status=400)
        incoming.problems += models.problems(data, models.CDR, "CDR")
        self.cdrs.append(data)
        location = f"{self.base_url}{VERSION_PATH}/cdrs/{data.get('id', len(self.cdrs))}"
        return web.json_response(envelope(), status=201, headers={"Location": location})

    async def _cdr_get(self, request: web.Request) -> web.Response:
        for cdr in self.cdrs:
            if str(cdr.get("id")) == request.match_info["cid"]:
                return web.json_response(envelope(cdr))
        return web.json_response(envelope(status_code=2001, message="unknown"), status=404)

    async def _location(self, request: web.Request) -> web.Response:
        """mod_locations §Receiver Interface: PUT / PATCH of a Location, an EVSE or a
        Connector, by the depth of ``{country_code}/{party_id}/{location_id}[/{evse_uid}
        [/{connector_id}]]``; each judged against that object's definition."""
        if request.method in ("PUT", "PATCH"):
            incoming: Incoming = request[_INCOMING]
            data = self._json(incoming.body)
            if not isinstance(data, dict):
                incoming.problems.append("the body is not a JSON Location, EVSE or Connector")
                return web.json_response(envelope(status_code=2001), status=400)
            tail = request.match_info["tail"].strip("/")
            parts = tail.split("/")
            if not 3 <= len(parts) <= 5:
                incoming.problems.append(
                    f"{request.path} addresses no Location, EVSE or Connector (mod_locations "
                    "§Receiver Interface: {country_code}/{party_id}/{location_id}[/{evse_uid}"
                    "[/{connector_id}]])"
                )
                return web.json_response(envelope(status_code=2001), status=400)
            definition = LOCATION_LEVELS[len(parts) - 3]
            name = models.SECTIONS[definition].split("§")[-1].split(" ")[0]
            if request.method == "PUT":
                incoming.problems += models.problems(data, definition, name)
            else:
                incoming.problems += models.patch_problems(data, definition, name)
            self.locations[tail] = data
        return web.json_response(envelope())

    async def _result(self, request: web.Request) -> web.Response:
        uid = request.match_info["uid"]
        if uid not in self.command_results:
            return web.json_response(envelope(status_code=2001, message="unknown"), status=404)
        incoming: Incoming = request[_INCOMING]
        result = self._json(incoming.body)
        incoming.problems += models.problems(result, models.COMMAND_RESULT, "CommandResult")
        self.command_results[uid].append(result)
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
        incoming: Incoming = request[_INCOMING]
        references = self._json(incoming.body)
        if incoming.body.strip():  # the LocationReferences are optional (§POST Method)
            incoming.problems += models.problems(
                references, models.LOCATION_REFERENCES, "LocationReferences"
            )
        if isinstance(references, dict) and references.get("location_id"):
            info["location"] = references
        return web.json_response(envelope(info))


def _same_ids(request: web.Request, data: dict[str, Any], *pairs: tuple[str, str]) -> list[str]:
    """mod_sessions §PUT Method: the URL's country_code, party_id and id "SHALL be the same
    value as" the pushed object's."""
    found = []
    for segment, name in pairs:
        in_url = request.match_info[segment]
        if name in data and str(data[name]) != in_url:
            found.append(
                f"the URL says {name} {in_url!r}, the object {data[name]!r} (mod_sessions §PUT "
                "Method: SHALL be the same value)"
            )
    return found
