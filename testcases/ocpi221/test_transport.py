"""OCPI 2.2.1 transport_and_format and status_codes: authorization, message ids, status
codes, pagination."""

from __future__ import annotations

import uuid

from pytest_ocpp.ocpi import models
from pytest_ocpp.ocpi.case import OcpiCase, ocpi_case
from pytest_ocpp.ocpi.checks import crawl, echoed
from pytest_ocpp.ocpi.transport import envelope_problems, ocpi_response
from pytest_ocpp.verdicts import check


@ocpi_case("OCPI_TRANS_01")
async def test_ocpi_trans_01_authorization_header(ocpi: OcpiCase) -> None:
    """transport_and_format §Authorization header: a request without the header, or with a
    token that matches no party, SHALL get HTTP 401 (a 2xx answer with an OCPI error code does
    not do); the CPO's own requests to us carry our token B as ``Token <Base64>`` ("there SHALL
    be one space, followed by the encoded token")."""
    registration = await ocpi.registered()
    url = models.endpoint_url(registration.details or {}, "locations", "SENDER")
    url = url or ocpi.endpoint("credentials")
    for token, what in (
        (None, "no Authorization header"),
        (f"unknown-{uuid.uuid4()}", "an unknown token"),
    ):
        exchange = await ocpi.get(url, token=token)
        code = ""
        if exchange.status != 401:
            try:
                code = f" with OCPI status_code {exchange.json().get('status_code')}"
            except (AssertionError, AttributeError):
                pass
        check(
            exchange.status == 401,
            f"HTTP 401 Unauthorized for GET {url} with {what} (transport_and_format "
            "§Authorization header: SHALL)",
            f"HTTP {exchange.status}{code}",
        )
    ocpi_response(await ocpi.get(url))
    check(
        bool(registration.callbacks),
        "the CPO's requests of the registration to inspect",
        "none recorded",
    )
    # The registration's callbacks and whatever else the CPO sent us so far; the requests of
    # the command and Tokens cases (pushes, results) are judged in those cases.
    for request in ocpi.emsp.requests:
        header = request.header("Authorization")
        check(
            request.token is not None and request.encoded,
            f"the CPO's {request.method} {request.path} to carry 'Authorization: Token "
            "<Base64 of our token B>' (transport_and_format §Authorization header, OCPI 2.2.1 "
            "encodes the token in Base64)",
            f"Authorization: {header}"
            + (
                " (our token B without Base64 encoding)"
                if request.token and not request.encoded
                else ""
            ),
        )


@ocpi_case("OCPI_TRANS_02")
async def test_ocpi_trans_02_message_ids(ocpi: OcpiCase) -> None:
    """transport_and_format §Unique message IDs: "Every request SHALL contain a unique request
    ID, the response to this request SHALL contain the same ID"; the same for
    X-Correlation-ID. Checked on the CPO's responses and on its own requests to us."""
    registration = await ocpi.registered()
    urls = [registration.target, ocpi.endpoint("credentials")]
    for module in ("locations", "sessions", "cdrs"):
        found = models.endpoint_url(registration.details or {}, module, "SENDER")
        if found:
            urls.append(found)
    for url in urls:
        exchange = await ocpi.get(url)
        missing = echoed(exchange)
        check(not missing, f"the response to GET {url} to echo the message ids", missing)
    for request in ocpi.emsp.requests:  # the registration's callbacks, and any other so far
        absent = [n for n in ("X-Request-ID", "X-Correlation-ID") if not request.header(n)]
        check(not absent, f"the CPO's {request.method} {request.path} to carry", absent)


@ocpi_case("OCPI_TRANS_03")
async def test_ocpi_trans_03_status_codes(ocpi: OcpiCase) -> None:
    """status_codes: "When a message does not contain a valid JSON string, the HTTP error 400 -
    Bad request MUST be returned" (not 2xx with an OCPI error code); a GET of an unknown
    Location is no success (HTTP 404 SHOULD, OCPI 2xxx); every answer is an OCPI response
    object (transport_and_format §Response format) with a UTC timestamp (types §DateTime)."""
    registration = await ocpi.registered()
    tokens = models.endpoint_url(registration.details or {}, "tokens", "RECEIVER")
    target = (
        f"{tokens}/{ocpi.config.country_code}/{ocpi.config.party_id}/PYTEST-NOT-JSON"
        if tokens
        else ocpi.endpoint("credentials")
    )
    method = "PUT"
    exchange = await ocpi.send(method, target, content="{this is not JSON")
    code = ""
    if exchange.status != 400:
        try:
            code = f" with OCPI status_code {exchange.json().get('status_code')}"
        except (AssertionError, AttributeError):
            pass
    check(
        exchange.status == 400,
        f"HTTP 400 Bad Request for {method} {target} with a body that is not JSON (status_codes: "
        "MUST)",
        f"HTTP {exchange.status}{code}",
    )
    locations = models.endpoint_url(registration.details or {}, "locations", "SENDER")
    if locations:
        unknown = await ocpi.get(f"{locations}/PYTEST-UNKNOWN-{uuid.uuid4().hex[:8]}")
        document = unknown.json()
        problems = envelope_problems(document)
        check(not problems, f"an OCPI response object for {unknown.label}", problems)
        check(
            document["status_code"] != 1000 and unknown.status in (404, 200),
            f"no success for {unknown.label} (status_codes: HTTP 404 SHOULD, an OCPI 2xxx code)",
            f"HTTP {unknown.status}, status_code {document['status_code']}",
        )
    for item in ocpi.log:
        if item.direction.startswith("eMSP") and item.response_body.startswith("{"):
            check(
                not envelope_problems(item.json()),
                f"an OCPI response object for {item.label}",
                envelope_problems(item.json()),
            )


@ocpi_case("OCPI_TRANS_04")
async def test_ocpi_trans_04_pagination(ocpi: OcpiCase) -> None:
    """transport_and_format §Pagination: every paginated GET response carries X-Total-Count
    and X-Limit, and a Link to the next page when it is not the last; crawling the Links with
    limit=1 returns each object once, as many as X-Total-Count (Locations, Sessions, CDRs)."""
    registration = await ocpi.registered()
    definitions = {
        "locations": models.LOCATION,
        "sessions": models.SESSION,
        "cdrs": models.CDR,
    }
    crawled = 0
    for module, definition in definitions.items():
        url = models.endpoint_url(registration.details or {}, module, "SENDER")
        if url is None:
            continue
        params = {} if module == "locations" else {"date_from": "2000-01-01T00:00:00Z"}
        await crawl(ocpi, url, definition, **params)
        crawled += 1
    check(crawled > 0, "a Locations, Sessions or CDRs Sender endpoint to page through", "none")
