"""A conformant OCPI 2.2.1 CPO interface (the reference CSMS's OCPI side), with defects.

It implements what the OCPI cases exercise: versions and version details
(version_information_endpoint), the credentials module with a one-time token A (credentials
§Registration), Locations, Sessions and CDRs as a Sender with pagination (transport_and_format
§Pagination), the Tokens receiver, and the transport rules (Authorization header in Base64,
HTTP 401 for unknown tokens, X-Request-ID / X-Correlation-ID echoed, HTTP 400 for a body that
is not JSON, UTC timestamps).

Like the reference CSMS, each entry of :data:`DEFECTS` breaks exactly one behaviour, so the
project's tests can prove that the case checking it fails. It never imports pytest-ocpp's core
(its transport, models or checks): a bug there cannot hide by being on both ends.
"""

from __future__ import annotations

import base64
import binascii
import json
import ssl
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import httpx
from aiohttp import web

from pytest_ocpp.reference.ocpi.commands import DEFECTS_COMMANDS
from pytest_ocpp.reference.ocpi.tokens import DEFECTS_TOKENS

DEFECTS_TRANSPORT: dict[str, str] = {
    "token_a_reusable": "CREDENTIALS_TOKEN_A keeps working after the registration",
    "raw_authorization": "its requests to the eMSP carry the token without Base64 encoding",
    "raw_authorization_pushes": "its pushes, command results and real-time authorizations "
    "carry the token without Base64 (the registration's requests encode it)",
    "no_request_id_pushes": "its pushes, command results and real-time authorizations carry "
    "no X-Request-ID / X-Correlation-ID (the registration's requests do)",
    "no_request_id_echo": "responses do not echo X-Request-ID",
    "no_version_fetch": "the registration never fetches the eMSP's versions (no callback)",
    "error_as_200": "a body that is not JSON is answered HTTP 200 with OCPI status 2001",
    "unauthorized_as_200": "an unknown token is answered HTTP 200 with OCPI status 2000",
    "post_twice": "a second POST of credentials while registered is accepted, not 405",
    "put_keeps_token": "PUT credentials returns the same token C instead of a new one",
    "delete_keeps_token": "token C keeps working after DELETE credentials",
    "no_pagination_headers": "paginated responses lack X-Total-Count and X-Limit",
    "link_same_page": "the Link header points at the same page again",
    "local_timestamps": "Location last_updated in local time with an offset (+01:00)",
    "evse_without_status": "EVSE objects lack the required status",
    "versions_not_json": "the versions endpoint answers an HTML page",
}
DEFECTS: dict[str, str] = {**DEFECTS_TRANSPORT, **DEFECTS_COMMANDS, **DEFECTS_TOKENS}
"""Every defect of the reference CPO: transport and credentials here, commands, Sessions
and CDRs in :mod:`.commands`, real-time authorization in :mod:`.tokens`."""

_PARTY = web.RequestKey("party", object)
_TOKEN_A = web.RequestKey("token_a", bool)

PAGE_LIMIT = 2
"""The most objects one page holds (X-Limit): small, so a short list still has pages."""


def utc(moment: datetime | None = None) -> str:
    return (moment or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _response(
    data: Any = None,
    status_code: int = 1000,
    http: int = 200,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    body: dict[str, Any] = {"status_code": status_code, "timestamp": utc()}
    if data is not None:
        body["data"] = data
    if message:
        body["status_message"] = message
    return web.json_response(body, status=http, headers=headers)


@dataclass
class Party:
    """A registered eMSP: its token B, its versions URL and the endpoints fetched there."""

    token_b: str
    versions_url: str
    roles: list[Any]
    endpoints: dict[tuple[str, str], str] = field(default_factory=dict)


def seed_locations(country: str, party: str, evse_uid: str, location_id: str) -> list[Any]:
    """Three Locations (so the default page limit of 2 gives two pages); the first holds the
    EVSE of the station the OCPI command cases drive over OCPP (connector 1)."""
    stamp = utc(datetime(2026, 1, 1, tzinfo=timezone.utc))
    locations = []
    for index, (lid, uid) in enumerate(
        ((location_id, evse_uid), ("LOC-2", "EVSE-2"), ("LOC-3", "EVSE-3"))
    ):
        locations.append(
            {
                "country_code": country,
                "party_id": party,
                "id": lid,
                "publish": True,
                "name": f"pytest-ocpp reference location {index + 1}",
                "address": f"Teststraat {index + 1}",
                "city": "Arnhem",
                "postal_code": "6811AB",
                "country": "NLD",
                "coordinates": {"latitude": "51.985103", "longitude": "5.898730"},
                "evses": [
                    {
                        "uid": uid,
                        "evse_id": f"NL*REF*E{index + 1}",
                        "status": "AVAILABLE",
                        "capabilities": ["REMOTE_START_STOP_CAPABLE"],
                        "connectors": [
                            {
                                "id": "1",
                                "standard": "IEC_62196_T2",
                                "format": "SOCKET",
                                "power_type": "AC_3_PHASE",
                                "max_voltage": 230,
                                "max_amperage": 32,
                                "last_updated": stamp,
                            }
                        ],
                        "last_updated": stamp,
                    }
                ],
                "time_zone": "Europe/Amsterdam",
                "last_updated": stamp,
            }
        )
    return locations


class ReferenceCpo:
    """The CPO interface on ``host:port``; ``token_a`` is the one-time registration token."""

    country_code = "NL"
    party_id = "REF"

    def __init__(
        self,
        token_a: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        defects: Iterable[str] = (),
        location_id: str = "LOC-1",
        evse_uid: str = "EVSE-1",
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        unknown = set(defects) - set(DEFECTS)
        if unknown:
            raise ValueError(f"unknown OCPI defect(s) {sorted(unknown)}; known: {sorted(DEFECTS)}")
        self.token_a = token_a
        self.token_a_active = True
        self.host, self.port = host, port
        self.defects = frozenset(defects)
        self.parties: dict[str, Party] = {}
        """Token C -> the eMSP it identifies."""
        self.locations = seed_locations(self.country_code, self.party_id, evse_uid, location_id)
        self.sessions: list[dict[str, Any]] = []
        self.cdrs: list[dict[str, Any]] = []
        self.tokens: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        """(country_code, party_id, uid, type) -> the Token the eMSP pushed."""
        self.commands: Any = None
        """The OCPP side's command handler (:mod:`.commands`), when hosted beside a CSMS."""
        self.ssl_context = ssl_context
        """Served over https with this context (a CPO behind a private CA), else http."""
        self._runner: web.AppRunner | None = None

    def defect(self, name: str) -> bool:
        return name in self.defects

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(middlewares=[self._transport])
        base = "/ocpi/cpo"
        app.router.add_get(f"{base}/versions", self._versions)
        app.router.add_get(f"{base}/2.2.1", self._details)
        app.router.add_route("*", f"{base}/2.2.1/credentials", self._credentials)
        app.router.add_get(f"{base}/2.2.1/locations", self._location_list)
        app.router.add_get(f"{base}/2.2.1/locations/{{tail:.+}}", self._location_one)
        app.router.add_get(f"{base}/2.2.1/sessions", self._session_list)
        app.router.add_get(f"{base}/2.2.1/cdrs", self._cdr_list)
        app.router.add_route("*", f"{base}/2.2.1/tokens/{{cc}}/{{pid}}/{{uid}}", self._token)
        app.router.add_post(f"{base}/2.2.1/commands/{{command}}", self._command)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=self.ssl_context)
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
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}/ocpi/cpo"

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/versions"

    # -- transport ---------------------------------------------------------------------------
    def _token_of(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Token "):
            return None
        value = header[len("Token ") :].strip()
        try:
            return base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None

    def _unauthorized(self) -> web.Response:
        if self.defect("unauthorized_as_200"):
            return _response(status_code=2000, message="unknown token")
        return _response(status_code=2000, http=401, message="unknown credentials token")

    @web.middleware
    async def _transport(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        """Authorization (transport §Authorization header) and the unique message ids."""
        token = self._token_of(request)
        path = request.path
        configuration = path.endswith(("/versions", "/2.2.1", "/credentials"))
        request[_PARTY] = self.parties.get(token or "")
        request[_TOKEN_A] = token == self.token_a and (
            self.token_a_active or self.defect("token_a_reusable")
        )
        if request[_PARTY] is None and not (request[_TOKEN_A] and configuration):
            response: web.StreamResponse = self._unauthorized()
        else:
            response = await handler(request)
        for name in ("X-Request-ID", "X-Correlation-ID"):
            if name == "X-Request-ID" and self.defect("no_request_id_echo"):
                continue
            if name in request.headers:
                response.headers[name] = request.headers[name]
        return response

    async def _body(self, request: web.Request) -> tuple[Any, web.Response | None]:
        """The JSON body, or the answer status_codes requires for one that is not JSON."""
        try:
            return json.loads(await request.text()), None
        except ValueError:
            if self.defect("error_as_200"):
                return None, _response(status_code=2001, message="body is not JSON")
            return None, _response(status_code=2001, http=400, message="body is not JSON")

    # -- versions ------------------------------------------------------------------------------
    async def _versions(self, request: web.Request) -> web.Response:
        if self.defect("versions_not_json"):
            return web.Response(
                text="<html><body>It works!</body></html>", content_type="text/html"
            )
        return _response([{"version": "2.2.1", "url": f"{self.base_url}/2.2.1"}])

    async def _details(self, request: web.Request) -> web.Response:
        base = f"{self.base_url}/2.2.1"
        endpoints = [
            ("credentials", "SENDER"),
            ("credentials", "RECEIVER"),
            ("locations", "SENDER"),
            ("sessions", "SENDER"),
            ("cdrs", "SENDER"),
            ("tokens", "RECEIVER"),
            ("commands", "RECEIVER"),
        ]
        if self.defect("no_tokens_module"):
            endpoints.remove(("tokens", "RECEIVER"))
        return _response(
            {
                "version": "2.2.1",
                "endpoints": [
                    {"identifier": i, "role": r, "url": f"{base}/{i}"} for i, r in endpoints
                ],
            }
        )

    # -- credentials ---------------------------------------------------------------------------
    def _own_credentials(self, token_c: str) -> dict[str, Any]:
        return {
            "token": token_c,
            "url": self.versions_url,
            "roles": [
                {
                    "role": "CPO",
                    "business_details": {"name": "pytest-ocpp reference CPO"},
                    "party_id": self.party_id,
                    "country_code": self.country_code,
                }
            ],
        }

    async def _credentials(self, request: web.Request) -> web.Response:
        party: Party | None = request[_PARTY]
        method = request.method
        if method == "GET":
            if party is None:
                return _response(status_code=2000, http=405, message="not registered")
            token_c = next(t for t, p in self.parties.items() if p is party)
            return _response(self._own_credentials(token_c))
        if method == "DELETE":
            if party is None:
                return _response(status_code=2000, http=405, message="not registered")
            if not self.defect("delete_keeps_token"):
                for token_c in [t for t, p in self.parties.items() if p is party]:
                    del self.parties[token_c]
            # A fresh registration may follow (the operator would hand out token A again).
            self.token_a_active = True
            return _response()
        if method not in ("POST", "PUT"):
            return _response(status_code=2000, http=405, message="method not allowed")
        if method == "POST" and party is not None and not self.defect("post_twice"):
            return _response(status_code=2000, http=405, message="already registered")
        if method == "PUT" and party is None:
            return _response(status_code=2000, http=405, message="not registered")
        body, error = await self._body(request)
        if error is not None:
            return error
        if not isinstance(body, dict) or not body.get("token") or not body.get("url"):
            return _response(status_code=2001, http=400, message="a Credentials object is required")
        new = Party(str(body["token"]), str(body["url"]), list(body.get("roles") or []))
        if not self.defect("no_version_fetch"):
            problem = await self._fetch_endpoints(new)
            if problem:
                return _response(status_code=3001, message=problem)
        old_tokens = [t for t, p in self.parties.items() if p is party] if party else []
        if method == "PUT" and self.defect("put_keeps_token") and old_tokens:
            token_c = old_tokens[0]
        else:
            token_c = f"cpo-{uuid.uuid4()}"
            for old in old_tokens:
                del self.parties[old]
        self.parties[token_c] = new
        if method == "POST":
            self.token_a_active = False
        return _response(self._own_credentials(token_c))

    def party_of(self, owner: tuple[Any, Any]) -> Party | None:
        """The registered eMSP with the role (country_code, party_id) ``owner``."""
        for party in self.parties.values():
            for role in party.roles:
                if (
                    isinstance(role, dict)
                    and (role.get("country_code"), role.get("party_id")) == owner
                ):
                    return party
        return None

    def outgoing_headers(self, party: Party, *, push: bool = False) -> dict[str, str]:
        """Token B in Base64 and fresh request ids (transport §Authorization header, §Unique
        message IDs); ``push``: a request outside the registration (Session / CDR / Location
        pushes, command results, real-time authorizations)."""
        token = party.token_b
        raw = self.defect("raw_authorization") or (push and self.defect("raw_authorization_pushes"))
        encoded = token if raw else base64.b64encode(token.encode()).decode()
        headers = {"Authorization": f"Token {encoded}"}
        if not (push and self.defect("no_request_id_pushes")):
            headers["X-Request-ID"] = str(uuid.uuid4())
            headers["X-Correlation-ID"] = str(uuid.uuid4())
        return headers

    async def _fetch_endpoints(self, party: Party) -> str:
        """credentials §POST: fetch the client's versions and endpoints with its token B; a
        problem is returned as the 3001 message (credentials §Errors during registration)."""
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                listing = await client.get(party.versions_url, headers=self.outgoing_headers(party))
                versions = listing.json().get("data") or []
                chosen = [v for v in versions if v.get("version") == "2.2.1"]
                if not chosen:
                    return "the eMSP offers no OCPI 2.2.1"
                detail = await client.get(chosen[0]["url"], headers=self.outgoing_headers(party))
                endpoints = (detail.json().get("data") or {}).get("endpoints") or []
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            return f"cannot use the eMSP's versions at {party.versions_url}: {exc}"
        party.endpoints = {(e["identifier"], e["role"]): e["url"] for e in endpoints}
        return ""

    async def push(self, module: str, method: str, path: str, body: Any) -> int:
        """Send ``body`` to every registered eMSP's ``module`` receiver (sessions, cdrs):
        the HTTP status of the last one, 0 when none could be reached."""
        status = 0
        for party in list(self.parties.values()):
            url = party.endpoints.get((module, "RECEIVER"))
            if url is None:
                continue
            try:
                async with httpx.AsyncClient(timeout=5.0) as client:
                    response = await client.request(
                        method,
                        url + path,
                        json=body,
                        headers=self.outgoing_headers(party, push=True),
                    )
                status = response.status_code
            except httpx.HTTPError:
                status = 0
        return status

    async def post_url(self, url: str, body: Any) -> None:
        """POST to a URL the eMSP gave (a command's response_url) with each party's token."""
        for party in list(self.parties.values()):
            try:
                async with httpx.AsyncClient(timeout=5.0) as client:
                    await client.post(
                        url, json=body, headers=self.outgoing_headers(party, push=True)
                    )
                return
            except httpx.HTTPError:
                continue

    # -- Sender modules with pagination ----------------------------------------------------------
    def _page(self, request: web.Request, objects: list[Any]) -> web.Response:
        """transport §Pagination: offset / limit, X-Total-Count, X-Limit, Link to the next
        page with the original filters; date_from inclusive, date_to exclusive."""
        query = request.query
        date_from, date_to = query.get("date_from"), query.get("date_to")
        selected = [
            o
            for o in objects
            if (not date_from or o["last_updated"] >= date_from)
            and (not date_to or o["last_updated"] < date_to)
        ]
        try:
            offset = max(0, int(query.get("offset", 0)))
            limit = min(PAGE_LIMIT, max(1, int(query.get("limit", PAGE_LIMIT))))
        except ValueError:
            return _response(status_code=2001, http=400, message="offset and limit are integers")
        page = selected[offset : offset + limit]
        headers: dict[str, str] = {}
        if not self.defect("no_pagination_headers"):
            headers["X-Total-Count"] = str(len(selected))
            headers["X-Limit"] = str(PAGE_LIMIT)
        if offset + limit < len(selected):
            following = {k: v for k, v in query.items() if k not in ("offset", "limit")}
            following["offset"] = str(offset if self.defect("link_same_page") else offset + limit)
            following["limit"] = str(limit)
            url = f"{request.scheme}://{request.host}{request.path}?{urlencode(following)}"
            headers["Link"] = f'<{url}>; rel="next"'
        return _response(page, headers=headers)

    def _location_view(self, location: dict[str, Any]) -> dict[str, Any]:
        view = json.loads(json.dumps(location))
        if self.defect("local_timestamps"):
            moment = datetime.fromisoformat(view["last_updated"].replace("Z", "+00:00"))
            view["last_updated"] = (moment + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+01:00")
        if self.defect("evse_without_status"):
            for evse in view.get("evses", []):
                evse.pop("status", None)
        return view

    async def _location_list(self, request: web.Request) -> web.Response:
        return self._page(request, [self._location_view(loc) for loc in self.locations])

    async def _location_one(self, request: web.Request) -> web.Response:
        parts = request.match_info["tail"].split("/")
        found: Any = next(
            (self._location_view(loc) for loc in self.locations if loc["id"] == parts[0]), None
        )
        if found is not None and len(parts) > 1:
            found = next((e for e in found.get("evses", []) if e["uid"] == parts[1]), None)
        if found is not None and len(parts) > 2:
            found = next((c for c in found.get("connectors", []) if c["id"] == parts[2]), None)
        if found is None or len(parts) > 3:
            # status_codes: an unknown resource of a GET SHOULD be HTTP 404.
            return _response(status_code=2003, http=404, message="unknown location")
        return _response(found)

    async def _session_list(self, request: web.Request) -> web.Response:
        return self._page(request, self.sessions)

    async def _cdr_list(self, request: web.Request) -> web.Response:
        return self._page(request, self.cdrs)

    # -- Tokens receiver -----------------------------------------------------------------------
    async def _token(self, request: web.Request) -> web.Response:
        # mod_tokens §Receiver Interface: ``type`` is optional, RFID when omitted
        info = request.match_info
        key = (info["cc"], info["pid"], info["uid"], request.query.get("type", "RFID"))
        if request.method == "GET":
            if key not in self.tokens:
                return _response(status_code=2004, http=404, message="unknown token")
            return _response(self.tokens[key])
        if request.method not in ("PUT", "PATCH"):
            return _response(status_code=2000, http=405, message="method not allowed")
        body, error = await self._body(request)
        if error is not None:
            return error
        if not isinstance(body, dict):
            return _response(status_code=2001, http=400, message="a Token object is required")
        if request.method == "PATCH":
            if key not in self.tokens:
                return _response(status_code=2004, http=404, message="unknown token")
            if not self.defect("token_patch_ignored"):
                self.tokens[key].update(body)
            return _response()
        created = key not in self.tokens
        self.tokens[key] = body
        return _response(http=201 if created else 200)

    # -- Commands receiver ---------------------------------------------------------------------
    async def _command(self, request: web.Request) -> web.Response:
        body, error = await self._body(request)
        if error is not None:
            return error
        if self.commands is None:
            if request.match_info["command"] == "STOP_SESSION":
                # no OCPP side, so no session: mod_commands §CommandResponseType
                return _response({"result": "UNKNOWN_SESSION", "timeout": 0})
            return _response(
                {"result": "NOT_SUPPORTED", "timeout": 0},
                message="no charging station side in this reference",
            )
        return await self.commands.handle(request.match_info["command"], body)
