"""Checks several OCPI cases share: crawling a paginated list, echoed message ids, and the
rules every request the CPO sends us must follow (registration callbacks and pushes alike)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pytest_ocpp.ocpi.case import OcpiCase
from pytest_ocpp.ocpi.transport import Exchange, ocpi_response
from pytest_ocpp.verdicts import TargetFailure

if TYPE_CHECKING:
    from pytest_ocpp.ocpi.emsp import Incoming

BASE64_RULE = "transport_and_format §Authorization header, OCPI 2.2.1 encodes the token in Base64"
MESSAGE_ID_RULE = (
    "transport_and_format §Unique message IDs: 'Every request SHALL contain a unique request ID'"
)
SHOWN = 6
"""Problems a verdict on the CPO's requests lists in full; the trace has the rest."""

_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def int_header(exchange: Exchange, name: str) -> int:
    """A pagination header (transport §Paginated Response) as an int, or a failure."""
    value = exchange.header(name)
    if value is None or not value.strip().isdigit():
        raise TargetFailure(
            f"the paginated response to {exchange.label} has "
            + (f"{name}: {value!r}" if value is not None else f"no {name} header")
            + f"; transport_and_format §Paginated Response requires {name} (an int) on every "
            "paginated GET response"
        )
    return int(value)


def next_link(exchange: Exchange) -> str | None:
    link = exchange.header("Link")
    if not link:
        return None
    match = _NEXT.search(link)
    return match.group(1) if match else None


async def crawl(
    ocpi: OcpiCase, url: str, definition: str, *, limit: int = 1, **params: Any
) -> tuple[list[Any], int]:
    """Every object of a Sender's list, page by page through the ``Link`` headers
    (transport §Pagination), each page judged; returns the objects and X-Total-Count."""
    exchange = await ocpi.get(url, params={**params, "offset": 0, "limit": limit})
    objects: list[Any] = []
    total = int_header(exchange, "X-Total-Count")
    pages = 0
    while True:
        page = ocpi_response(exchange, definition=definition, many=True)
        int_header(exchange, "X-Limit")
        seen = {_key(o) for o in objects}
        again = sorted({str(_key(o)) for o in page if _key(o) in seen})
        if again:
            raise TargetFailure(
                f"crawling {url} through its Link headers returned the same object more than "
                f"once ({', '.join(again[:3])} again at {exchange.label}); each page must "
                "start where the last ended (transport_and_format §Paginated Response)"
            )
        objects += page
        pages += 1
        following = next_link(exchange)
        if following is None:
            if len(objects) < total:
                raise TargetFailure(
                    f"the response to {exchange.label} has no Link to a next page, but only "
                    f"{len(objects)} of X-Total-Count {total} objects were returned so far "
                    "(transport_and_format §Paginated Response: Link to the 'next' page when "
                    "this is NOT the last page)"
                )
            break
        if pages > total + 1:
            raise TargetFailure(
                f"following the Link headers from {url} did not end after {pages} pages for "
                f"X-Total-Count {total} (last Link: {following})"
            )
        exchange = await ocpi.get(following)
    if len(objects) != total:
        raise TargetFailure(
            f"crawling {url} returned {len(objects)} objects, X-Total-Count said {total}"
        )
    return objects, total


def _key(item: Any) -> tuple[Any, ...]:
    """An object's identity in a list: country_code, party_id and id (uid for a Token)."""
    if not isinstance(item, dict):
        return (repr(item),)
    return (item.get("country_code"), item.get("party_id"), item.get("id") or item.get("uid"))


def echoed(exchange: Exchange) -> list[str]:
    """What the response failed to echo (transport §Unique message IDs: "the response to this
    request SHALL contain the same ID")."""
    missing = []
    for name in ("X-Request-ID", "X-Correlation-ID"):
        sent = exchange.request_headers.get(name)
        got = exchange.header(name)
        if got != sent:
            missing.append(f"{name} (sent {sent}, received {got!r})")
    return missing


def authorization_problem(request: Incoming) -> str:
    """'' when the request carries one of our tokens B as ``Token <Base64>``; else what it
    carries instead."""
    header = request.header("Authorization")
    if request.token is not None and request.encoded:
        return ""
    if request.token is not None:
        return f"Authorization: {header} (our token B without Base64 encoding; {BASE64_RULE})"
    return f"Authorization: {header} (none of the tokens B we gave it; answered HTTP 401)"


def message_id_problems(request: Incoming) -> list[str]:
    """The unique message id headers the request lacks (one problem naming them)."""
    absent = [n for n in ("X-Request-ID", "X-Correlation-ID") if not request.header(n)]
    return [f"no {' and no '.join(absent)} header ({MESSAGE_ID_RULE})"] if absent else []


def request_problems(request: Incoming) -> list[str]:
    """Everything wrong with one request of the CPO: its Authorization header, its message
    ids, and the object it carried (judged against its module when it arrived)."""
    found = [authorization_problem(request), *message_id_problems(request), *request.problems]
    return [text for text in found if text]


def judge_cpo_requests(requests: Iterable[Incoming], what: str) -> None:
    """A failure naming each of ``requests`` (the CPO's pushes, command results, real-time
    authorizations ...) that breaks the transport rules or carries an invalid object: the
    Base64 token and the message ids hold for every request, not only the registration's."""
    found = [
        f"{request.label}: {'; '.join(problems)}"
        for request in requests
        if (problems := request_problems(request))
    ]
    if found:
        more = f"; ... {len(found) - SHOWN} more in the trace" if len(found) > SHOWN else ""
        raise TargetFailure(
            f"the CPO's requests to our eMSP {what} break OCPI 2.2.1: "
            + " | ".join(found[:SHOWN])
            + more
        )
