"""OCPI 2.2.1 mod_tokens: the CPO's Tokens receiver (push, read back, invalidate) and real-time
authorization, where a Token the driver presents at our fake station is authorized by asking
our eMSP's Tokens sender, across both protocols.

A CPO that publishes no Tokens receiver makes both cases not applicable (mod_tokens §Receiver
Interface is "typically implemented by CPOs", not required). With a Tokens receiver the CPO
cannot opt out of real-time authorization: for a Token with whitelist NEVER "CPO shall always
send a realtime authorization for any use of this Token to the eMSP" (§WhitelistType), so a
CPO that answers from its cache fails OCPI_TOK_02.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from pytest_ocpp.ocpi import models
from pytest_ocpp.ocpi.case import OcpiCase, ocpi_case
from pytest_ocpp.ocpi.plugin import StationStarter
from pytest_ocpp.ocpi.transport import ocpi_response
from pytest_ocpp.verdicts import TargetFailure, check

WHITELIST_RULE = (
    "mod_tokens §WhitelistType NEVER: 'CPO shall always send a realtime authorization for any "
    "use of this Token to the eMSP'"
)


def _becomes(allowed: str, status: Any) -> bool:
    """Whether the OCPP idTagInfo / idTokenInfo status honours the real-time answer: ALLOWED
    lets the driver charge (Accepted); BLOCKED must not, and any refusal does that (Blocked is
    the natural one, but 1.6 §7.2 and 2.0.1 AuthorizationStatusEnumType offer others, e.g.
    Invalid, and the mapping is the CPO's)."""
    return status == "Accepted" if allowed == "ALLOWED" else status not in ("Accepted", None)


EXPECTED = {"ALLOWED": "Accepted", "BLOCKED": "a refusal (Blocked, Invalid, ...; not Accepted)"}


def _stamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfid_token(ocpi: OcpiCase, uid: str, whitelist: str) -> dict[str, Any]:
    """A Token of ours (mod_tokens §Token Object), type RFID: the uid is what the station's
    reader sends as idTag / idToken (at most 20 characters, OCPP 1.6 IdToken)."""
    return {
        "country_code": ocpi.config.country_code,
        "party_id": ocpi.config.party_id,
        "uid": uid,
        "type": "RFID",
        "contract_id": f"{ocpi.config.country_code}{ocpi.config.party_id}C{uid}"[:36],
        "visual_number": f"PYTEST-{uid}",
        "issuer": "pytest-ocpp eMSP",
        "valid": True,
        "whitelist": whitelist,
        "language": "en",
        "last_updated": _stamp(datetime.now(timezone.utc) - timedelta(seconds=10)),
    }


def _uid(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10].upper()}"


async def push(ocpi: OcpiCase, url: str, token: dict[str, Any]) -> str:
    """PUT ``token`` to the CPO's Tokens receiver (mod_tokens §PUT Method); returns its URL."""
    where = f"{url.rstrip('/')}/{token['country_code']}/{token['party_id']}/{token['uid']}"
    ocpi_response(await ocpi.send("PUT", where, body=token, params={"type": token["type"]}))
    return where


async def read_back(ocpi: OcpiCase, where: str) -> dict[str, Any]:
    exchange = await ocpi.get(where, params={"type": "RFID"})
    data: dict[str, Any] = ocpi_response(exchange, definition=models.TOKEN)
    return data


def _instant(value: Any) -> datetime | None:
    """An OCPI DateTime as an instant: 2.2.1 §Types DateTime allows fractional seconds and a
    missing designator (UTC), so a CPO may store ours and give it back written differently."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _same(name: str, sent: Any, stored: Any) -> bool:
    if name == "last_updated" and _instant(sent) is not None:
        return _instant(sent) == _instant(stored)
    return bool(sent == stored)


def _differences(sent: dict[str, Any], stored: dict[str, Any]) -> list[str]:
    return [
        f"{name}: sent {value!r}, GET returned {stored.get(name)!r}"
        for name, value in sent.items()
        if not _same(name, value, stored.get(name))
    ]


@ocpi_case("OCPI_TOK_01")
async def test_ocpi_tok_01_token_push(ocpi: OcpiCase) -> None:
    """mod_tokens §Push model and §Receiver Interface: a Token PUT to
    ``{tokens}/{country_code}/{party_id}/{uid}?type=RFID`` is stored as sent (GET returns it,
    valid against §Token Object); the eMSP invalidates it by PATCH with ``valid`` false and
    the required ``last_updated`` (§PATCH Method), which GET then shows, the other fields
    unchanged."""
    await ocpi.registered()
    url = ocpi.endpoint("tokens", "RECEIVER")
    token = rfid_token(ocpi, _uid("T1"), "ALLOWED")
    where = await push(ocpi, url, token)
    stored = await read_back(ocpi, where)
    differences = _differences(token, stored)
    check(not differences, "GET to return the Token as it was PUT (mod_tokens §GET)", differences)

    change = {"valid": False, "last_updated": _stamp()}
    ocpi_response(await ocpi.send("PATCH", where, body=change, params={"type": "RFID"}))
    stored = await read_back(ocpi, where)
    differences = _differences({**token, **change}, stored)
    check(
        not differences,
        "GET after PATCH {valid: false} to show the invalidated Token, other fields unchanged "
        "(mod_tokens §Push model: 'the eMSP invalidates a Token ... by PATCH')",
        differences,
    )


async def _authorize_at_station(
    ocpi: OcpiCase, station: Any, token: dict[str, Any], allowed: str
) -> None:
    """The driver presents ``token`` (whitelist NEVER) at our station: the CPO must ask our
    Tokens sender before it answers the OCPP Authorize, and answer what we said."""
    ocpi.emsp.authorizations[(token["uid"], "RFID")] = (allowed, token)
    mark = len(ocpi.emsp.requests)
    info = await station.authorize(token["uid"])
    asked = ocpi.emsp.requests_since(mark, "POST", f"/tokens/{token['uid']}/authorize")
    if not asked:
        raise TargetFailure(
            f"the CPO answered the station's Authorize for Token {token['uid']} (whitelist "
            f"NEVER) with {info.get('status')!r} without a real-time authorization: no POST "
            f"{{tokens}}/{token['uid']}/authorize reached our Tokens sender ({WHITELIST_RULE})"
        )
    references = asked[0].json()
    if references is not None:
        found = models.problems(
            references, "mod_tokens_locationreferences_class", "LocationReferences"
        )
        check(not found, "a valid LocationReferences body (mod_tokens §POST Request Body)", found)
    status = info.get("status")
    check(
        _becomes(allowed, status),
        f"Authorize answered {EXPECTED[allowed]} after our real-time answer "
        f"{allowed} for Token {token['uid']} (mod_tokens §AuthorizationInfo: the eMSP decides)",
        status,
    )


@ocpi_case("OCPI_TOK_02")
async def test_ocpi_tok_02_realtime_authorization(
    ocpi: OcpiCase, ocpi_station: StationStarter
) -> None:
    """mod_tokens §Real-time authorization and §WhitelistType NEVER: two Tokens pushed with
    whitelist NEVER; the station presents each in an OCPP Authorize (1.6 §4.2 / 2.0.1 C01);
    the CPO sends POST ``{tokens}{uid}/authorize?type=RFID`` to our Tokens sender before it
    answers; our AuthorizationInfo ALLOWED becomes Accepted, BLOCKED becomes Blocked or
    Invalid. Those POSTs carry our token B in Base64 and message ids (transport_and_format)."""
    await ocpi.registered()
    url = ocpi.endpoint("tokens", "RECEIVER")  # not applicable without a Tokens receiver
    station = await ocpi_station()
    allowed = rfid_token(ocpi, _uid("RA"), "NEVER")
    blocked = rfid_token(ocpi, _uid("RB"), "NEVER")
    for token in (allowed, blocked):
        await push(ocpi, url, token)
    await _authorize_at_station(ocpi, station, allowed, "ALLOWED")
    await _authorize_at_station(ocpi, station, blocked, "BLOCKED")
    ocpi.judge_cpo_requests()  # the authorize POSTs: Base64 token, message ids, references
