"""OCPI 2.2.1 mod_commands across both protocols: the eMSP's command reaches our fake station
over OCPP through the CSMS under test, and the station's transaction comes back as OCPI
Sessions and a CDR (mod_sessions, mod_cdrs). Needs the same CSMS's OCPP endpoint
(``--ocpp-target``), or the references (``--ocpp-reference``).

pytest-ocpp plays both ends: the eMSP (commands out, Sessions / CDRs / CommandResults in) and
the charging station (the remote start and stop in, the transaction out).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

from pytest_ocpp.ocpi import models
from pytest_ocpp.ocpi.case import OcpiCase, ocpi_case
from pytest_ocpp.ocpi.emsp import SessionUpdate
from pytest_ocpp.ocpi.plugin import StationStarter
from pytest_ocpp.ocpi.transport import ocpi_response
from pytest_ocpp.verdicts import TargetFailure, check

METER_START = 1000
METER_STEPS = (3000, 5500)
METER_STOP = 6000
"""Wh register values our station reports: 2.0 then 4.5 kWh while charging, 5.0 at the end."""


def our_token(ocpi: OcpiCase, *, party_id: str | None = None) -> dict[str, Any]:
    """An OCPI Token of ours (mod_tokens §Token Object); its uid is what the station sees as
    idTag / idToken: ``[ocpi] token_uid``, else the run's valid id tag."""
    uid = ocpi.config.token_uid or ocpi.default_token_uid
    party = party_id or ocpi.config.party_id
    return {
        "country_code": ocpi.config.country_code,
        "party_id": party,
        "uid": uid,
        "type": "APP_USER",
        "contract_id": f"{ocpi.config.country_code}{party}C{uid}"[:36],
        "issuer": "pytest-ocpp eMSP",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _where(ocpi: OcpiCase) -> dict[str, str]:
    """location_id / evse_uid / connector_id of our station at the CPO ([ocpi] table)."""
    return {
        "location_id": ocpi.config.location_id or "LOC-1",
        "evse_uid": ocpi.config.evse_uid or "EVSE-1",
        "connector_id": ocpi.config.connector_id,
    }


async def command(ocpi: OcpiCase, name: str, body: dict[str, Any], **expect: Any) -> Any:
    """POST a command to the CPO's Commands receiver (mod_commands §Receiver Interface)."""
    url = f"{ocpi.endpoint('commands', 'RECEIVER').rstrip('/')}/{name}"
    exchange = await ocpi.send("POST", url, body=body)
    if expect:
        return ocpi_response(exchange, **expect)
    return ocpi_response(exchange, definition=models.COMMAND_RESPONSE)


async def command_result(ocpi: OcpiCase, uid: str, response: dict[str, Any], what: str) -> Any:
    """The CommandResult the CPO POSTs to our response_url (mod_commands §Sender Interface),
    awaited for the CommandResponse's ``timeout`` plus ``--ocpi-callback-timeout``."""
    limit = float(response.get("timeout") or 0) + ocpi.config.callback_timeout
    results = ocpi.emsp.command_results[uid]
    await ocpi.emsp.wait_for(
        lambda: results,
        limit,
        f"the CommandResult of {what} to our response_url (mod_commands §Sender Interface)",
        "the CommandResponse timeout plus --ocpi-callback-timeout",
    )
    found = models.problems(results[0], models.COMMAND_RESULT, "CommandResult")
    check(not found, f"a valid CommandResult for {what}", found)
    return results[0]


def _remote(version: str, start: bool) -> str:
    if version == "2.0.1":
        return "RequestStartTransaction" if start else "RequestStopTransaction"
    return "RemoteStartTransaction" if start else "RemoteStopTransaction"


async def _sessions_since(
    ocpi: OcpiCase, mark: int, predicate: Any, what: str
) -> list[SessionUpdate]:
    """Wait for a Session PUT / PATCH matching ``predicate``; every update that arrives is
    judged against mod_sessions first (§Session Object for a PUT, each property a PATCH
    holds, ``last_updated`` in a PATCH), so an invalid one fails at once, named."""
    updates = ocpi.emsp.session_updates

    def arrived() -> bool:
        for update in updates[mark:]:
            if update.problems:
                raise TargetFailure(
                    f"invalid Session {update.method} from the CPO for session "
                    f"{update.session_id}: {'; '.join(update.problems[:5])}"
                )
        return any(predicate(u) for u in updates[mark:])

    await ocpi.emsp.wait_for(arrived, ocpi.config.callback_timeout, what, "--ocpi-callback-timeout")
    return updates[mark:]


def _kwh(update: SessionUpdate) -> float | None:
    """The kwh of a Session update when it is a number (mod_sessions §Session Object: kwh
    number); a string is judged as invalid, not read as a number."""
    value = update.body.get("kwh")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


async def _nothing_reaches_station(station: Any, mark: int, why: str) -> None:
    """The remote start must not reach our station: none may have arrived since ``mark``
    (taken before the command, so one sent together with the refusal counts), and none may
    arrive within ``--ocpp-message-timeout``, the window of every "does NOT send" step."""
    wait = station.ctx.config.timeouts.message
    await station.expect_silence(
        _remote(station.version.name, True),
        wait,
        f"{why} (nothing may reach the station; watched for {wait:g} s, --ocpp-message-timeout)",
        since=mark,
    )


def _register(station: Any, wh: int, context: str) -> list[dict[str, Any]]:
    """A 2.0.1 meterValue with the Energy register in Wh."""
    return [
        {
            "timestamp": station.now(),
            "sampledValue": [
                {
                    "value": float(wh),
                    "measurand": "Energy.Active.Import.Register",
                    "context": context,
                }
            ],
        }
    ]


async def _start_transaction(station: Any, version: str, remote: Any, uid: str) -> Any:
    """The station side after an accepted remote start: 1.6 §5.11 Preparing,
    StartTransaction, Charging; 2.0.1 F01: TransactionEvent Started (RemoteStart, with the
    remoteStartId and the IdToken of the request, F01.FR.25) while charging."""
    connector = station.spec.connector_id
    if version == "2.0.1":
        station.remotely_authorized(remote.payload["idToken"])
        await station.transaction_event(
            "Started",
            "RemoteStart",
            evse_id=station.evse_id,
            id_token=remote.payload["idToken"],
            charging_state="Charging",
            remote_start_id=remote.payload.get("remoteStartId"),
            meter_values=_register(station, METER_START, "Transaction.Begin"),
        )
        return station.transaction_id
    await station.status(connector, "Preparing")
    conf = await station.start_transaction(connector, uid, meter_start=METER_START)
    await station.status(connector, "Charging")
    return conf["transactionId"]


async def _meter(station: Any, version: str, transaction_id: Any, wh: int) -> None:
    if version == "2.0.1":
        await station.transaction_event(
            "Updated", "MeterValuePeriodic", meter_values=_register(station, wh, "Sample.Periodic")
        )
    else:
        await station.meter_values(station.spec.connector_id, transaction_id, value=wh)


async def _stop_transaction(station: Any, version: str, transaction_id: Any) -> None:
    if version == "2.0.1":
        await station.transaction_event(
            "Ended",
            "RemoteStop",
            stopped_reason="Remote",
            meter_values=_register(station, METER_STOP, "Transaction.End"),
        )
        return
    await station.stop_transaction(transaction_id, meter_stop=METER_STOP, reason="Remote")
    station.transactions.pop(station.spec.connector_id, None)
    await station.status(station.spec.connector_id, "Finishing")


@ocpi_case("OCPI_CMD_01")
async def test_ocpi_cmd_01_remote_start_stop(ocpi: OcpiCase, ocpi_station: StationStarter) -> None:
    """mod_commands §Flow (START_SESSION successful): CommandResponse ACCEPTED, the CPO sends
    the command to the Charge Point (OCPP 1.6 RemoteStartTransaction §5.11 / 2.0.1
    RequestStartTransaction F01), the station's answer comes back as CommandResult ACCEPTED;
    mod_sessions §Sender / Receiver: the Session is pushed (PENDING or ACTIVE) and its kwh
    follows the station's meter values; STOP_SESSION (RemoteStopTransaction /
    RequestStopTransaction) ends it; mod_cdrs: a CDR arrives whose total_energy is what the
    station metered (METER_STOP - METER_START), carrying the Token (mod_commands
    §StartSession: "the information of the Token SHALL be put in the Session and CDR")."""
    await ocpi.registered()
    station = await ocpi_station()
    version = station.version.name
    token = our_token(ocpi)
    url, uid = ocpi.emsp.response_url("START_SESSION")
    sessions_mark, cdrs_mark = len(ocpi.emsp.session_updates), len(ocpi.emsp.cdrs)
    remote_start = asyncio.ensure_future(station.expect_call(_remote(version, True)))
    try:
        response = await command(
            ocpi, "START_SESSION", {"response_url": url, "token": token, **_where(ocpi)}
        )
        check(response["result"] == "ACCEPTED", "CommandResponse ACCEPTED", response)
        remote = await remote_start
    finally:
        remote_start.cancel()
    payload = remote.payload
    sent_tag = payload.get("idTag") or (payload.get("idToken") or {}).get("idToken")
    check(
        sent_tag == token["uid"],
        f"the {remote.action} to carry our Token's uid {token['uid']}",
        payload,
    )
    await remote.reply({"status": "Accepted"})
    result = await command_result(ocpi, uid, response, "START_SESSION")
    check(result["result"] == "ACCEPTED", "CommandResult ACCEPTED for START_SESSION", result)

    transaction_id = await _start_transaction(station, version, remote, token["uid"])
    updates = await _sessions_since(
        ocpi,
        sessions_mark,
        lambda u: u.method == "PUT" and u.body.get("status") in ("PENDING", "ACTIVE"),
        "the Session (PUT, status PENDING or ACTIVE) to our Sessions receiver "
        "(mod_sessions §Receiver Interface)",
    )
    session = next(u.body for u in updates if u.method == "PUT")
    found = models.problems(session, models.SESSION, "Session")
    check(not found, "a valid Session object", found)
    session_id = str(session["id"])
    check(
        session.get("cdr_token", {}).get("uid") == token["uid"],
        "the Session's cdr_token to be our Token (mod_commands §StartSession)",
        session.get("cdr_token"),
    )
    check(
        (session.get("location_id"), session.get("evse_uid"))
        == (_where(ocpi)["location_id"], _where(ocpi)["evse_uid"]),
        "the Session at the Location and EVSE of the command",
        (session.get("location_id"), session.get("evse_uid")),
    )
    for wh in METER_STEPS:
        expected = (wh - METER_START) / 1000
        mark = len(ocpi.emsp.session_updates)
        await _meter(station, version, transaction_id, wh)
        await _sessions_since(
            ocpi,
            mark,
            lambda u, kwh=expected: (
                u.session_id == session_id and abs((_kwh(u) or -1) - kwh) < 0.001
            ),
            f"a Session update with kwh {expected:g} after our meter value of {wh} Wh "
            "(mod_sessions §Session Object: kwh, 'How many kWh were charged')",
        )

    url, uid = ocpi.emsp.response_url("STOP_SESSION")
    remote_stop = asyncio.ensure_future(station.expect_call(_remote(version, False)))
    try:
        response = await command(
            ocpi, "STOP_SESSION", {"response_url": url, "session_id": session_id}
        )
        check(
            response["result"] == "ACCEPTED", "CommandResponse ACCEPTED for STOP_SESSION", response
        )
        remote = await remote_stop
    finally:
        remote_stop.cancel()
    check(
        str(remote.payload.get("transactionId")) == str(transaction_id),
        f"the {remote.action} for transaction {transaction_id}",
        remote.payload,
    )
    await remote.reply({"status": "Accepted"})
    result = await command_result(ocpi, uid, response, "STOP_SESSION")
    check(result["result"] == "ACCEPTED", "CommandResult ACCEPTED for STOP_SESSION", result)
    await _stop_transaction(station, version, transaction_id)

    cdrs = ocpi.emsp.cdrs
    await ocpi.emsp.wait_for(
        lambda: cdrs[cdrs_mark:],
        ocpi.config.callback_timeout,
        "a CDR to our CDRs receiver after the session ended (mod_cdrs §Receiver Interface)",
        "--ocpi-callback-timeout",
    )
    cdr = cdrs[cdrs_mark]
    found = models.problems(cdr, models.CDR, "CDR")
    check(not found, "a valid CDR object", found)
    metered = (METER_STOP - METER_START) / 1000
    check(
        abs(float(cdr["total_energy"]) - metered) < 0.001,
        f"CDR total_energy {metered:g} kWh, what the station metered ({METER_START} to "
        f"{METER_STOP} Wh; mod_cdrs §CDR Object total_energy)",
        cdr["total_energy"],
    )
    check(
        cdr.get("cdr_token", {}).get("uid") == token["uid"],
        "the CDR's cdr_token to be our Token",
        cdr.get("cdr_token"),
    )
    if cdr.get("session_id") is not None:
        check(
            cdr["session_id"] == session_id, f"the CDR of session {session_id}", cdr["session_id"]
        )
    ocpi.judge_cpo_requests()


@ocpi_case("OCPI_CMD_02")
async def test_ocpi_cmd_02_unknown_location(ocpi: OcpiCase, ocpi_station: StationStarter) -> None:
    """status_codes §2xxx: 2003 "Unknown Location, for example: Command: START_SESSION with
    unknown location"; the same for an EVSE the Location does not have. Nothing may reach the
    station, then or within --ocpp-message-timeout."""
    await ocpi.registered()
    station = await ocpi_station()
    mark = station.link.mark()
    where = _where(ocpi)
    for body, what in (
        ({**where, "location_id": "PYTEST-NO-SUCH-LOCATION"}, "an unknown Location"),
        ({**where, "evse_uid": "PYTEST-NO-SUCH-EVSE"}, "an unknown EVSE"),
    ):
        url, _ = ocpi.emsp.response_url("START_SESSION")
        exchange = await ocpi.send(
            "POST",
            f"{ocpi.endpoint('commands', 'RECEIVER').rstrip('/')}/START_SESSION",
            body={"response_url": url, "token": our_token(ocpi), **body},
        )
        document = exchange.json()
        code = document.get("status_code") if isinstance(document, dict) else None
        check(
            code == 2003,
            f"OCPI status_code 2003 (Unknown Location) for START_SESSION at {what} "
            "(status_codes §2xxx)",
            f"HTTP {exchange.status}, status_code {code}, data {document.get('data') if isinstance(document, dict) else None}",
        )
    await _nothing_reaches_station(station, mark, "the CPO refused the command (2003)")
    ocpi.judge_cpo_requests()


@ocpi_case("OCPI_CMD_03")
async def test_ocpi_cmd_03_station_rejects(ocpi: OcpiCase, ocpi_station: StationStarter) -> None:
    """mod_commands §CommandResultType REJECTED: "Command request rejected by the Charge
    Point"; the CPO forwards the station's Rejected to our response_url, and no Session starts."""
    await ocpi.registered()
    station = await ocpi_station()
    url, uid = ocpi.emsp.response_url("START_SESSION")
    remote_start = asyncio.ensure_future(station.expect_call(_remote(station.version.name, True)))
    try:
        response = await command(
            ocpi, "START_SESSION", {"response_url": url, "token": our_token(ocpi), **_where(ocpi)}
        )
        check(response["result"] == "ACCEPTED", "CommandResponse ACCEPTED", response)
        remote = await remote_start
    finally:
        remote_start.cancel()
    await remote.reply({"status": "Rejected"})
    result = await command_result(ocpi, uid, response, "START_SESSION")
    check(
        result["result"] == "REJECTED",
        "CommandResult REJECTED after the station rejected the remote start "
        "(mod_commands §CommandResultType)",
        result,
    )
    ocpi.judge_cpo_requests()


@ocpi_case("OCPI_CMD_04")
async def test_ocpi_cmd_04_unknown_session(ocpi: OcpiCase) -> None:
    """mod_commands §CommandResponseType UNKNOWN_SESSION: "The Session in the requested command
    is not known by this CPO"."""
    await ocpi.registered()
    url, _ = ocpi.emsp.response_url("STOP_SESSION")
    response = await command(
        ocpi, "STOP_SESSION", {"response_url": url, "session_id": "PYTEST-NO-SUCH-SESSION"}
    )
    check(
        response["result"] == "UNKNOWN_SESSION",
        "CommandResponse UNKNOWN_SESSION for STOP_SESSION of a session the CPO does not know",
        response,
    )


@ocpi_case("OCPI_CMD_05")
async def test_ocpi_cmd_05_foreign_token(ocpi: OcpiCase, ocpi_station: StationStarter) -> None:
    """mod_commands §StartSession: "An eMSP sending a StartSession SHALL only use Token that are
    owned by this eMSP, using Tokens of other eMSPs is not allowed"; a Token whose party_id is
    none of the roles we registered is REJECTED (§CommandResponseType: "Session might not be
    from a customer of the eMSP that send this request") or refused with an OCPI 2xxx code,
    and never reaches the station (watched for --ocpp-message-timeout)."""
    await ocpi.registered()
    station = await ocpi_station()
    mark = station.link.mark()
    url, _ = ocpi.emsp.response_url("START_SESSION")
    exchange = await ocpi.send(
        "POST",
        f"{ocpi.endpoint('commands', 'RECEIVER').rstrip('/')}/START_SESSION",
        body={"response_url": url, "token": our_token(ocpi, party_id="ZZZ"), **_where(ocpi)},
    )
    document = exchange.json()
    code = document.get("status_code") if isinstance(document, dict) else None
    result = (document.get("data") or {}).get("result") if isinstance(document, dict) else None
    if not (
        (code == 1000 and result == "REJECTED") or (isinstance(code, int) and 2000 <= code < 3000)
    ):
        raise TargetFailure(
            "expected START_SESSION with another eMSP's Token (party_id ZZZ) to be REJECTED "
            "(mod_commands §StartSession: only Tokens owned by this eMSP); received "
            f"HTTP {exchange.status}, status_code {code}, result {result}"
        )
    await _nothing_reaches_station(station, mark, "the CPO refused another eMSP's Token")
    ocpi.judge_cpo_requests()


@ocpi_case("OCPI_CMD_06")
async def test_ocpi_cmd_06_station_silent(ocpi: OcpiCase, ocpi_station: StationStarter) -> None:
    """mod_commands §CommandResultType TIMEOUT: "Command request timeout, no response received
    from the Charge Point in a reasonable time"; §CommandResponse timeout: "When the Result is
    not received within this timeout, the eMSP can assume that the message might never be
    send". Our station takes the remote start and never answers."""
    await ocpi.registered()
    station = await ocpi_station()
    url, uid = ocpi.emsp.response_url("START_SESSION")
    remote_start = asyncio.ensure_future(station.expect_call(_remote(station.version.name, True)))
    try:
        response = await command(
            ocpi, "START_SESSION", {"response_url": url, "token": our_token(ocpi), **_where(ocpi)}
        )
        check(response["result"] == "ACCEPTED", "CommandResponse ACCEPTED", response)
        remote = await remote_start
    finally:
        remote_start.cancel()
    try:
        result = await command_result(ocpi, uid, response, "START_SESSION")
    finally:
        await remote.reply({"status": "Rejected"})  # late, so the CSMS is not left waiting
    check(
        result["result"] == "TIMEOUT",
        "CommandResult TIMEOUT when the station never answered (mod_commands §CommandResultType)",
        result,
    )
    ocpi.judge_cpo_requests()
