"""An OCPI test case: the decorator that ties a test to its catalogue id, and the context a case
works with (client, our eMSP endpoints, the run's registration, the trace of every exchange)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest

from pytest_ocpp.ocpi.catalog import CASES, SIDE, VERSION
from pytest_ocpp.ocpi.config import OcpiConfig

if TYPE_CHECKING:
    # The plugin imports this module in every pytest run; aiohttp and httpx (a third of a
    # second of CPU) are imported only when an OCPI case runs.
    from pytest_ocpp.ocpi.emsp import EmspServer
    from pytest_ocpp.ocpi.registration import Registration
    from pytest_ocpp.ocpi.transport import Exchange

MARKER = "ocpi_case"
LAST_MARKER = "ocpi_last"


def ocpi_case(case_id: str, *, last: bool = False) -> Callable[[Callable[..., Any]], Any]:
    """Mark an async test as the OCPI case ``case_id`` of :mod:`.catalog`: reported like an
    OCPP case (the same marker fields), run on the session loop where our eMSP endpoints live.
    ``last``: run after every other OCPI case (the unregistration)."""
    info = CASES[(VERSION, case_id)]

    def decorate(fn: Callable[..., Awaitable[None]]) -> Any:
        if not inspect.iscoroutinefunction(fn):
            raise TypeError(f"{fn.__name__}: an OCPI test case must be an async function")
        marked = pytest.mark.ocpi_case(
            id=info.id,
            version=info.version,
            side=SIDE,
            profile=info.profile,
            block=info.block,
            title=info.title,
            provisional=False,
            uncertified="",
            requires="",
        )(fn)
        if last:  # a marker of its own: the case marker holds only what the reports show
            marked = pytest.mark.ocpi_last(marked)
        return pytest.mark.asyncio(loop_scope="session")(marked)

    return decorate


class OcpiCase:
    """What a running case holds: ``client`` (its requests land in ``log``), the CPO's
    ``registration`` shared by the run, and ``emsp``, our endpoints the CPO calls."""

    def __init__(
        self,
        config: OcpiConfig,
        emsp: EmspServer,
        registration: Registration,
        default_token_uid: str = "VALID_TAG_1",
    ) -> None:
        self.config = config
        self.default_token_uid = default_token_uid
        """The uid of our Token when ``[ocpi] token_uid`` is not set: the run's valid id
        tag, which the CSMS under test knows from the OCPP configuration."""
        self.emsp = emsp
        self.registration = registration
        from pytest_ocpp.ocpi.transport import OcpiClient

        self.log: list[Exchange] = []
        self.client = OcpiClient(config.response_timeout, self.log, config.ssl_context())
        self.ocpp_context: Any = None
        """The OCPP side's :class:`~pytest_ocpp.case.CaseContext` when the case drives a
        fake station (its trace joins the report of a failure)."""
        self.requests_mark = len(emsp.requests)
        """Where this case's share of the CPO's requests to us begins."""
        emsp.log = self.log

    async def close(self) -> None:
        self.emsp.log = None
        await self.client.aclose()

    async def registered(self) -> Registration:
        """The run's registration, made now if no earlier case made it."""
        await self.registration.ensure(self.client)
        return self.registration

    def endpoint(self, module: str, role: str | None = None) -> str:
        return self.registration.endpoint(module, role)

    async def get(self, url: str, **kwargs: Any) -> Exchange:
        kwargs.setdefault("token", self.registration.token)
        return await self.client.request("GET", url, **kwargs)

    async def send(self, method: str, url: str, **kwargs: Any) -> Exchange:
        kwargs.setdefault("token", self.registration.token)
        return await self.client.request(method, url, **kwargs)

    def judge_cpo_requests(self) -> None:
        """Every request the CPO sent us about this case (Session / Location pushes, CDRs,
        CommandResults, real-time authorizations) carries our token B in Base64 and message
        ids, and a valid object: a failure naming each one that does not. A late push of an
        earlier case's Session or command is that case's (:meth:`EmspServer.origin`)."""
        from pytest_ocpp.ocpi.checks import judge_cpo_requests

        mark = self.requests_mark
        ours = [r for r in self.emsp.requests[mark:] if self.emsp.origin(r) >= mark]
        judge_cpo_requests(ours, "during this case")

    def trace(self) -> str:
        """Every exchange of the case, in order (both directions)."""
        ordered = sorted(self.log, key=lambda e: e.started)
        return "\n".join(e.render() for e in ordered) or "(no HTTP exchange)"
