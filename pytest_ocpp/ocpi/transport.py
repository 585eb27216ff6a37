"""OCPI 2.2.1 over HTTP as the eMSP speaks it: requests, the record of every exchange, and the
checks every response gets (OCPI 2.2.1 ``transport_and_format``).

Every request we send carries ``Authorization: Token <base64(token)>`` (§Authorization header:
"encoding the credentials token to an octet sequence with UTF-8 and then encoding that octet
sequence with Base64"), a fresh ``X-Request-ID`` and ``X-Correlation-ID`` (§Unique message IDs),
so a response can be judged on echoing them. Failures are sentences naming the request.
"""

from __future__ import annotations

import base64
import binascii
import json
import ssl
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from pytest_ocpp.ocpi import models
from pytest_ocpp.verdicts import TargetFailure, TargetTimeout

SUCCESS = 1000


def encode_token(token: str) -> str:
    """A credentials token as the 2.2.1 Authorization header carries it (RFC 4648 §4)."""
    return base64.b64encode(token.encode("utf-8")).decode("ascii")


def authorization(token: str, *, encode: bool = True) -> str:
    return f"Token {encode_token(token) if encode else token}"


def read_authorization(header: str | None, known: Iterable[str]) -> tuple[str | None, bool]:
    """Which of the ``known`` tokens an incoming ``Authorization`` header carries, and whether
    it was Base64-encoded as 2.2.1 requires: (token, encoded); (None, False) for none of them.
    Comparing with known tokens avoids guessing: a raw token can be valid Base64 too."""
    if not header or not header.startswith("Token "):
        return None, False
    value = header[len("Token ") :].strip()
    for token in known:
        if value == encode_token(token):
            return token, True
    for token in known:
        if value == token:
            return token, False
    return None, False


def decode_header_token(header: str | None) -> tuple[str | None, bool]:
    """The token of an ``Authorization: Token ...`` header for a server that does not know it
    yet: the Base64 decoding when it is valid printable Base64, else the raw value."""
    if not header or not header.startswith("Token "):
        return None, False
    value = header[len("Token ") :].strip()
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return value, False
    if decoded and all("!" <= ch <= "~" for ch in decoded):
        return decoded, True
    return value, False


@dataclass
class Exchange:
    """One HTTP request and its response, as the case's trace shows it."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    direction: str = "eMSP → CPO"
    started: float = field(default_factory=time.time)

    @property
    def label(self) -> str:
        return f"{self.method} {self.url}"

    def header(self, name: str) -> str | None:
        lower = name.lower()
        for key, value in self.response_headers.items():
            if key.lower() == lower:
                return value
        return None

    def json(self) -> Any:
        """The response body as JSON; a failure naming the request when it is not JSON
        (transport §Response format: "an 'application/json' type")."""
        try:
            return json.loads(self.response_body)
        except ValueError:
            kind = self.header("content-type") or "no content type"
            raise TargetFailure(
                f"the CPO answered {self.label} with HTTP {self.status} and a body that is not "
                f"JSON ({kind}: {self.response_body[:80]!r}); OCPI 2.2.1 transport_and_format "
                "§Response format requires a JSON response object"
            ) from None

    def render(self) -> str:
        def heads(headers: Mapping[str, str]) -> str:
            return "".join(f"\n    {k}: {v}" for k, v in headers.items())

        return (
            f"{self.direction} {self.method} {self.url}{heads(self.request_headers)}"
            + (f"\n    {self.request_body[:2000]}" if self.request_body else "")
            + f"\n  ← HTTP {self.status}{heads(self.response_headers)}"
            + (f"\n    {self.response_body[:2000]}" if self.response_body else "")
        )


class OcpiClient:
    """httpx underneath (kept by the project already, HTTP/1.1, async); every exchange lands in
    ``log`` so a failed case shows the whole conversation."""

    def __init__(
        self, timeout: float, log: list[Exchange], verify: ssl.SSLContext | bool = True
    ) -> None:
        self.timeout = timeout
        self.log = log
        # verify: the CA of a CPO behind a private PKI (--ocpi-tls-ca-file), else the system's
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False, verify=verify)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        token: str | None,
        encode: bool = True,
        body: Any = None,
        content: str | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Exchange:
        sent: dict[str, str] = {
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": str(uuid.uuid4()),
        }
        if token is not None:
            sent["Authorization"] = authorization(token, encode=encode)
        text = ""
        if body is not None:
            text = json.dumps(body)
            sent["Content-Type"] = "application/json"
        elif content is not None:
            text = content
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        if params:
            url = str(httpx.URL(url, params={k: str(v) for k, v in params.items()}))
        exchange = Exchange(method, url, sent, text)
        self.log.append(exchange)
        try:
            response = await self._client.request(
                method, url, headers=sent, content=text.encode() if text else None
            )
        except httpx.TimeoutException:
            raise TargetTimeout(
                f"the CPO did not answer {method} {url} within {self.timeout:g} s "
                "(--ocpi-response-timeout)"
            ) from None
        except (httpx.HTTPError, OSError) as exc:
            hint = ""
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                hint = " For a CPO certificate from a private CA, give --ocpi-tls-ca-file."
            raise TargetFailure(
                f"the CPO's OCPI interface at {url} cannot be reached "
                f"({type(exc).__name__}: {exc or 'no detail'}); is it running, and is "
                f"--ocpi-target right?{hint}"
            ) from None
        exchange.status = response.status_code
        exchange.response_headers = dict(response.headers)
        exchange.response_body = response.text
        return exchange


def ocpi_response(
    exchange: Exchange,
    *,
    definition: str | None = None,
    many: bool = False,
    http: tuple[int, ...] = (200, 201),
    status_code: int | None = SUCCESS,
) -> Any:
    """Judge a response by transport §Response format and status_codes, and return its
    ``data``: the HTTP status one of ``http``, a JSON object with an int ``status_code``
    (``status_code`` when given), a UTC ``timestamp``, and ``data`` valid against
    ``definition`` (a list of them with ``many``)."""
    if exchange.status == 401 and 401 not in http:
        raise TargetFailure(
            f"the CPO answered {exchange.label} with HTTP 401 Unauthorized; the credentials "
            "token was refused (for the registration: is --ocpi-token the CPO's token A? "
            "OCPI 2.2.1 sends it Base64-encoded in the Authorization header; a CPO of an "
            "earlier OCPI version expects it raw and refuses that)"
        )
    if exchange.status not in http:
        raise TargetFailure(
            f"expected HTTP {' or '.join(map(str, http))} for {exchange.label}; received HTTP "
            f"{exchange.status} ({exchange.response_body[:120]!r})"
        )
    document = exchange.json()
    problems = envelope_problems(document)
    if problems:
        raise TargetFailure(
            f"the response to {exchange.label} is not an OCPI response object: "
            f"{'; '.join(problems)} (transport_and_format §Response format)"
        )
    if status_code is not None and document["status_code"] != status_code:
        raise TargetFailure(
            f"expected OCPI status_code {status_code} for {exchange.label}; received "
            f"{document['status_code']} ({document.get('status_message') or 'no message'})"
        )
    data = document.get("data")
    if definition is not None:
        found = []
        if many:
            if not isinstance(data, list):
                raise TargetFailure(
                    f"the data of {exchange.label} must be a list of {models.section(definition)}"
                    f" objects; received {data!r:.100}"
                )
            for index, item in enumerate(data):
                found += models.problems(item, definition, f"data[{index}]")
        else:
            found = models.problems(data, definition, "data")
        if found:
            shown = "; ".join(found[:5]) + (
                f"; ... {len(found) - 5} more" if len(found) > 5 else ""
            )
            raise TargetFailure(f"invalid object in the response to {exchange.label}: {shown}")
    return data


def envelope_problems(document: Any) -> list[str]:
    if not isinstance(document, dict):
        return [f"the body is {type(document).__name__}, not a JSON object"]
    found = []
    code = document.get("status_code")
    if isinstance(code, bool) or not isinstance(code, int):
        found.append(f"status_code must be an int, got {code!r}")
    elif not 1000 <= code <= 4999:
        found.append(f"status_code {code} is not a four-digit OCPI status code (status_codes)")
    if "timestamp" not in document:
        found.append("timestamp is required")
    else:
        found += models.problems(document["timestamp"], "datetime", "timestamp")
    message = document.get("status_message")
    if message is not None and not isinstance(message, str):
        found.append(f"status_message must be a string, got {message!r}")
    return found
