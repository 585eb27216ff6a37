"""The eMSP's registration with the CPO under test (OCPI 2.2.1 credentials §Registration).

One registration lives for the whole run, like the connection of a real eMSP: a CPO hands out
its one-time ``CREDENTIALS_TOKEN_A`` once, and after the handshake it MAY no longer be used, so
the cases share the handshake instead of each repeating it. The first case that needs it
registers (OCPI_CRED_01 judges the handshake itself); OCPI_CRED_05 unregisters and runs last;
if it did not run, the run unregisters at its end, leaving the CPO as it found it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pytest_ocpp.ocpi import models
from pytest_ocpp.ocpi.emsp import EmspServer, Incoming
from pytest_ocpp.ocpi.transport import Exchange, OcpiClient, ocpi_response
from pytest_ocpp.verdicts import NotApplicable, TargetFailure


@dataclass
class Registration:
    target: str
    token_a: str
    emsp: EmspServer
    callback_timeout: float
    token_b: str | None = None
    token_c: str | None = None
    former_tokens_c: list[str] = field(default_factory=list)
    details: dict[str, Any] | None = None
    """The CPO's VersionDetails for 2.2.1, as fetched before the registration."""
    cpo_credentials: dict[str, Any] | None = None
    post: Exchange | None = None
    callbacks: list[Incoming] = field(default_factory=list)
    """What the CPO sent us while registering (its fetch of our versions and details)."""
    unregistered: bool = False

    @property
    def registered(self) -> bool:
        return self.token_c is not None

    @property
    def token(self) -> str:
        """The token to use now: C once registered, A before."""
        return self.token_c or self.token_a

    async def discover(self, client: OcpiClient, token: str) -> tuple[list[Any], dict[str, Any]]:
        """GET versions, pick 2.2.1, GET its details (version_information_endpoint)."""
        listing = await client.request("GET", self.target, token=token)
        versions = ocpi_response(listing, definition=models.VERSION, many=True)
        chosen = [v for v in versions if v.get("version") == "2.2.1"]
        if not chosen:
            raise TargetFailure(
                f"the CPO's versions at {self.target} list no 2.2.1 "
                f"({[v.get('version') for v in versions]}); pytest-ocpp tests OCPI 2.2.1"
            )
        detail = await client.request("GET", chosen[0]["url"], token=token)
        details = ocpi_response(detail, definition=models.VERSION_DETAILS)
        if details.get("version") != "2.2.1":
            raise TargetFailure(
                f"GET {chosen[0]['url']} describes version {details.get('version')!r}, not 2.2.1"
            )
        return versions, details

    def endpoint(self, module: str, role: str | None = None) -> str:
        """The CPO's endpoint of ``module``; not applicable when it has none."""
        url = models.endpoint_url(self.details or {}, module, role)
        if url is None:
            raise NotApplicable(
                f"the CPO's version details list no {module} endpoint"
                + (f" with role {role}" if role else "")
            )
        return url

    async def register(self, client: OcpiClient) -> dict[str, Any]:
        """The handshake: discover with token A, POST our credentials with a new token B, see
        the CPO fetch our versions and details with B, keep token C."""
        _, self.details = await self.discover(client, self.token_a)
        url = self.endpoint("credentials")
        self.token_b = self.emsp.new_token()
        mark = len(self.emsp.requests)
        self.post = await client.request(
            "POST", url, token=self.token_a, body=self.emsp.credentials(self.token_b)
        )
        data = ocpi_response(self.post, definition=models.CREDENTIALS)
        await self.await_fetch(mark, "the registration")
        self.callbacks = self.emsp.requests[mark:]
        self.token_c = str(data["token"])
        self.cpo_credentials = data
        self.unregistered = False
        return data

    async def await_fetch(self, mark: int, during: str) -> None:
        """credentials §POST / §PUT: "The server must also fetch the client's endpoints";
        we wait ``--ocpi-callback-timeout`` for its GET of our versions and version details."""
        emsp = self.emsp

        def fetched() -> bool:
            return bool(
                emsp.requests_since(mark, "GET", "/versions")
                and emsp.requests_since(mark, "GET", "/2.2.1")
            )

        await emsp.wait_for(
            fetched,
            self.callback_timeout,
            f"GET {emsp.versions_url} and the version details it lists during {during} "
            "(credentials §POST: the server must fetch the client's endpoints)",
            "--ocpi-callback-timeout",
        )

    async def ensure(self, client: OcpiClient) -> None:
        if not self.registered:
            await self.register(client)

    async def unregister(self, client: OcpiClient) -> Exchange:
        exchange = await client.request("DELETE", self.endpoint("credentials"), token=self.token)
        if self.token_c:
            self.former_tokens_c.append(self.token_c)
        self.token_c = None
        self.unregistered = True
        return exchange
