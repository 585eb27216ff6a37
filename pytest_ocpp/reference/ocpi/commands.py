"""The reference CPO's Commands receiver and its Sessions / CDRs, wired to the reference CSMS's
OCPP side (OCPI 2.2.1 mod_commands, mod_sessions, mod_cdrs).

START_SESSION becomes RemoteStartTransaction (1.6) or RequestStartTransaction (2.0.1) to the
station of the EVSE; the station's answer becomes the CommandResult POSTed to the eMSP's
``response_url`` (ACCEPTED / REJECTED / FAILED, or TIMEOUT when it does not answer within the
CommandResponse ``timeout``). The transaction the station then starts becomes an OCPI Session
pushed to the eMSP's Sessions receiver (PUT, kWh from the meter values); STOP_SESSION becomes
RemoteStopTransaction / RequestStopTransaction; the end of the transaction becomes a CDR POSTed
to the eMSP's CDRs receiver with the energy the station metered. The EVSE's status (CHARGING,
then AVAILABLE again) is PATCHed to the eMSP's Locations receiver. Pushes go out one at a time,
in the order the transaction produced them.

The CSMS tells us what happens through its ``observers`` (see
:meth:`~pytest_ocpp.reference.csms.session._ReferenceSession._notify`).
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from aiohttp import web
from websockets.exceptions import ConnectionClosed

from pytest_ocpp.reference.ocpi.tokens import attach_tokens

if TYPE_CHECKING:
    from pytest_ocpp.reference.csms import ReferenceCsms
    from pytest_ocpp.reference.ocpi.cpo import ReferenceCpo

COMMAND_TIMEOUT = 2
"""Seconds the reference gives a station to answer a remote start or stop (CommandResponse
``timeout``): the station under the suite's control answers in milliseconds or not at all."""

DEFECTS_COMMANDS: dict[str, str] = {
    "no_command_result": "the CommandResult is never POSTed to the eMSP's response_url",
    "no_session_push": "Sessions are never pushed to the eMSP",
    "cdr_energy_differs": "the CDR's total_energy is 1 kWh more than the station metered",
    "kwh_not_rising": "the pushed Session keeps kwh 0 whatever the station meters",
    "unknown_location_accepted": "START_SESSION at an unknown Location is ACCEPTED",
    "accepts_foreign_token": "START_SESSION with another eMSP's Token is forwarded",
    "result_ignores_station": "the CommandResult is ACCEPTED whatever the station answered",
    "no_timeout_result": "no CommandResult when the station never answers",
    "unknown_session_accepted": "STOP_SESSION of an unknown session is ACCEPTED",
    "kwh_as_string": 'Session updates after the first PUT are PATCHes with kwh as a string ("2.0")',
    "evse_status_invalid": "the EVSE status pushed to the eMSP's Locations receiver is "
    "OCCUPIED, no value of the Status enum",
    "refused_start_still_sent": "START_SESSION answered 2003 (unknown Location) or REJECTED "
    "(another eMSP's Token) still sends the remote start to the station",
}


def utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _response(data: Any = None, status_code: int = 1000, http: int = 200) -> web.Response:
    body: dict[str, Any] = {"status_code": status_code, "timestamp": utc()}
    if data is not None:
        body["data"] = data
    return web.json_response(body, status=http)


@dataclass
class Charge:
    """One OCPI Session and the OCPP transaction behind it."""

    session: dict[str, Any]
    station_id: str
    connector: int
    token: dict[str, Any]
    owner: tuple[str, str]
    """(country_code, party_id) of the eMSP whose Token started it."""
    transaction_id: Any = None
    meter_start: float = 0.0
    last_wh: float = 0.0
    done: bool = False
    pushed: bool = False
    """Whether the eMSP has the Session already (a later update may be a PATCH)."""


class Commands:
    """Commands receiver of ``cpo`` driving ``csms``'s station ``station_id`` (the EVSE of the
    first Location: its uid maps to connector 1)."""

    def __init__(self, cpo: ReferenceCpo, csms: ReferenceCsms, station_id: str) -> None:
        self.cpo, self.csms, self.station_id = cpo, csms, station_id
        self.evses = {
            loc["id"]: {evse["uid"]: (station_id, 1) for evse in loc.get("evses", [])[:1]}
            for loc in cpo.locations[:1]
        }
        for loc in cpo.locations[1:]:
            self.evses[loc["id"]] = {evse["uid"]: ("", 1) for evse in loc.get("evses", [])}
        self.charges: dict[str, Charge] = {}
        self._pending_start: dict[str, Charge] = {}
        """Station id -> the Session-to-be of an accepted remote start."""
        self._replies: dict[tuple[str, str], asyncio.Future[Any]] = {}
        self._tasks: set[asyncio.Future[Any]] = set()
        self._push_order = asyncio.Lock()
        """Pushes go out one after the other, in the order the transaction produced them (a
        Session update never overtakes an older one; the CDR comes after the last update)."""
        self._remote_ids = itertools.count(1)

    def defect(self, name: str) -> bool:
        return name in self.cpo.defects

    def _send(self, module: str, method: str, path: str, body: Any) -> None:
        """Push ``body`` to the eMSP's ``module`` receiver after the pushes before it."""

        async def in_order() -> None:
            async with self._push_order:  # asyncio.Lock wakes its waiters first come, first served
                await self.cpo.push(module, method, path, body)

        self._spawn(in_order())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- OCPI side ------------------------------------------------------------------------------
    async def handle(self, command: str, body: Any) -> web.Response:
        if not isinstance(body, dict) or not body.get("response_url"):
            return _response(status_code=2001, http=400)
        if command == "START_SESSION":
            return await self._start(body)
        if command == "STOP_SESSION":
            return await self._stop(body)
        return _response({"result": "NOT_SUPPORTED", "timeout": 0})

    def _owner_ok(self, owner: tuple[str, str]) -> bool:
        """mod_commands §StartSession: "An eMSP sending a StartSession SHALL only use Token
        that are owned by this eMSP"; the owners are the roles of the credentials."""
        for party in self.cpo.parties.values():
            for role in party.roles:
                if (role.get("country_code"), role.get("party_id")) == owner:
                    return True
        return False

    async def _start(self, body: dict[str, Any]) -> web.Response:
        token = body.get("token") or {}
        location_id, evse_uid = body.get("location_id"), body.get("evse_uid")
        known = self.evses.get(str(location_id))
        target = None
        if known is not None:
            target = known.get(str(evse_uid)) if evse_uid else next(iter(known.values()), None)
        owner = (str(token.get("country_code")), str(token.get("party_id")))
        if target is None and not self.defect("unknown_location_accepted"):
            # status_codes 2003 "Unknown Location, for example: Command: START_SESSION with
            # unknown location"
            self._leak_start(body, token, owner)
            return _response(status_code=2003, http=404)
        if not self._owner_ok(owner) and not self.defect("accepts_foreign_token"):
            self._leak_start(body, token, owner)
            return _response({"result": "REJECTED", "timeout": 0})
        station_id, connector = target or (self.station_id, 1)
        session_id = str(uuid.uuid4())
        session = {
            "country_code": self.cpo.country_code,
            "party_id": self.cpo.party_id,
            "id": session_id,
            "start_date_time": utc(),
            "kwh": 0,
            "cdr_token": {
                "country_code": owner[0],
                "party_id": owner[1],
                "uid": str(token.get("uid")),
                "type": str(token.get("type", "APP_USER")),
                "contract_id": str(token.get("contract_id", token.get("uid"))),
            },
            "auth_method": "COMMAND",
            "location_id": str(location_id),
            "evse_uid": str(evse_uid or "EVSE-1"),
            "connector_id": str(body.get("connector_id") or "1"),
            "currency": "EUR",
            "status": "PENDING",
            "last_updated": utc(),
        }
        if body.get("authorization_reference"):
            session["authorization_reference"] = body["authorization_reference"]
        charge = Charge(session, station_id, connector, token, owner)
        self._spawn(self._remote_start(charge, str(body["response_url"])))
        return _response({"result": "ACCEPTED", "timeout": COMMAND_TIMEOUT})

    def _leak_start(self, body: dict[str, Any], token: dict[str, Any], owner: Any) -> None:
        """The ``refused_start_still_sent`` defect: the refused command reaches the station
        of the first Location all the same."""
        if not self.defect("refused_start_still_sent"):
            return
        location = self.cpo.locations[0]
        session = {"id": str(uuid.uuid4()), "location_id": location["id"], "evse_uid": "EVSE-1"}
        charge = Charge(session, self.station_id, 1, token, owner)
        self._spawn(self._remote_start(charge, str(body["response_url"])))

    async def _stop(self, body: dict[str, Any]) -> web.Response:
        charge = self.charges.get(str(body.get("session_id")))
        if charge is None or charge.done:
            if self.defect("unknown_session_accepted"):
                return _response({"result": "ACCEPTED", "timeout": COMMAND_TIMEOUT})
            return _response({"result": "UNKNOWN_SESSION", "timeout": 0})
        self._spawn(self._remote_stop(charge, str(body["response_url"])))
        return _response({"result": "ACCEPTED", "timeout": COMMAND_TIMEOUT})

    async def _result(self, url: str, result: str) -> None:
        if self.defect("no_command_result"):
            return
        await self.cpo.post_url(url, {"result": result})

    # -- OCPP side ------------------------------------------------------------------------------
    def _version(self, station_id: str) -> str:
        sessions = getattr(self.csms, "_sessions", {})
        session = sessions.get(station_id)
        return str(getattr(session, "_ocpp_version", "1.6"))

    async def _ask(self, station_id: str, action: str, payload: dict[str, Any]) -> str:
        """Send ``action`` and map the station's answer to a CommandResultType."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._replies[(station_id, action)] = future
        try:
            await self.csms.send_request(station_id, action, payload)
        except (LookupError, ConnectionClosed):  # not connected, or it went away just now
            return "FAILED"  # mod_commands §CommandResultType has no "offline"
        except ValueError:
            return "FAILED"
        try:
            kind, body = await asyncio.wait_for(future, COMMAND_TIMEOUT)
        except asyncio.TimeoutError:
            return "" if self.defect("no_timeout_result") else "TIMEOUT"
        finally:
            if self._replies.get((station_id, action)) is future:
                del self._replies[(station_id, action)]
        if self.defect("result_ignores_station"):
            return "ACCEPTED"
        if kind != "CallResult":
            return "FAILED"
        return "ACCEPTED" if body.get("status") == "Accepted" else "REJECTED"

    async def _remote_start(self, charge: Charge, response_url: str) -> None:
        uid = str(charge.token.get("uid"))
        if self._version(charge.station_id) == "2.0.1":
            action = "RequestStartTransaction"
            payload: dict[str, Any] = {
                "idToken": {"idToken": uid, "type": "Central"},
                "remoteStartId": next(self._remote_ids),
                "evseId": charge.connector,
            }
        else:
            action = "RemoteStartTransaction"
            payload = {"connectorId": charge.connector, "idTag": uid}
        self._pending_start[charge.station_id] = charge
        result = await self._ask(charge.station_id, action, payload)
        if result != "ACCEPTED" and self._pending_start.get(charge.station_id) is charge:
            del self._pending_start[charge.station_id]  # a later command's start stays
        if result:
            await self._result(response_url, result)

    async def _remote_stop(self, charge: Charge, response_url: str) -> None:
        if self._version(charge.station_id) == "2.0.1":
            action, payload = (
                "RequestStopTransaction",
                {"transactionId": str(charge.transaction_id)},
            )
        else:
            action, payload = "RemoteStopTransaction", {"transactionId": charge.transaction_id}
        result = await self._ask(charge.station_id, action, payload)
        if result:
            await self._result(response_url, result)

    def observe(
        self, station_id: str, direction: str, action: str, request: Any, response: Any
    ) -> None:
        """The CSMS's observer: station replies resolve our waits; transactions feed
        Sessions and CDRs."""
        if direction == "to_station":
            future = self._replies.get((station_id, action))
            if future is not None and not future.done():
                future.set_result(response)
            return
        if action == "StartTransaction":
            self._started(station_id, response.get("transactionId"), request.get("meterStart", 0))
        elif action == "MeterValues":
            charge = self._by_transaction(station_id, request.get("transactionId"))
            if charge is not None:
                self._metered(charge, request.get("meterValue") or [])
        elif action == "StopTransaction":
            charge = self._by_transaction(station_id, request.get("transactionId"))
            if charge is not None:
                charge.last_wh = float(request.get("meterStop", charge.last_wh))
                self._ended(charge)
        elif action == "TransactionEvent":
            info = request.get("transactionInfo") or {}
            event = request.get("eventType")
            if event == "Started":
                self._started(station_id, info.get("transactionId"), None)
            charge = self._by_transaction(station_id, info.get("transactionId"))
            if charge is None:
                return
            self._metered(charge, request.get("meterValue") or [], push=event != "Ended")
            if event == "Ended":
                self._ended(charge)

    def _by_transaction(self, station_id: str, transaction_id: Any) -> Charge | None:
        for charge in self.charges.values():
            if charge.station_id == station_id and str(charge.transaction_id) == str(
                transaction_id
            ):
                return charge
        return None

    def _started(self, station_id: str, transaction_id: Any, meter_start: float | None) -> None:
        charge = self._pending_start.pop(station_id, None)
        if charge is None:
            return
        charge.transaction_id = transaction_id
        if meter_start is not None:
            charge.meter_start = charge.last_wh = float(meter_start)
        charge.session["status"] = "ACTIVE"
        self.charges[charge.session["id"]] = charge
        self.cpo.sessions.append(charge.session)
        self._evse_status(charge, "CHARGING")
        self._push(charge)

    def _metered(self, charge: Charge, meter_values: list[Any], *, push: bool = True) -> None:
        for meter_value in meter_values:
            for sample in meter_value.get("sampledValue") or []:
                measurand = sample.get("measurand", "Energy.Active.Import.Register")
                if measurand != "Energy.Active.Import.Register":
                    continue
                unit = (sample.get("unit") or sample.get("unitOfMeasure", {}).get("unit")) or "Wh"
                value = float(sample.get("value", 0)) * (1000 if unit == "kWh" else 1)
                if charge.transaction_id is not None and charge.meter_start == 0 == charge.last_wh:
                    charge.meter_start = value  # 2.0.1: the first register value is the start
                charge.last_wh = value
        if push:
            self._push(charge)

    def _kwh(self, charge: Charge) -> float:
        return round(max(0.0, charge.last_wh - charge.meter_start) / 1000, 4)

    def _push(self, charge: Charge) -> None:
        if not self.defect("kwh_not_rising"):
            charge.session["kwh"] = self._kwh(charge)
        charge.session["last_updated"] = utc()
        if self.defect("no_session_push"):
            return
        path = f"/{self.cpo.country_code}/{self.cpo.party_id}/{charge.session['id']}"
        if charge.pushed and self.defect("kwh_as_string"):
            # mod_sessions §PATCH: only what changed, with last_updated; kwh is a number
            update = {
                "kwh": str(charge.session["kwh"]),
                "status": charge.session["status"],
                "last_updated": charge.session["last_updated"],
            }
            self._send("sessions", "PATCH", path, update)
            return
        charge.pushed = True
        self._send("sessions", "PUT", path, dict(charge.session))

    def _evse_status(self, charge: Charge, status: str) -> None:
        """mod_locations §PATCH Method: the EVSE's new status to the eMSP's Locations receiver
        ("Notify the eMSP of partial updates to a Location, EVSE or Connector (such as the
        status)"), and in the CPO's own Location."""
        stamp = utc()
        location = next(
            (loc for loc in self.cpo.locations if loc["id"] == charge.session["location_id"]), None
        )
        evse = next(
            (
                e
                for e in (location or {}).get("evses", [])
                if e["uid"] == charge.session["evse_uid"]
            ),
            None,
        )
        if location is None or evse is None:
            return
        evse.update(status=status, last_updated=stamp)
        location["last_updated"] = stamp
        pushed = "OCCUPIED" if self.defect("evse_status_invalid") else status
        path = f"/{self.cpo.country_code}/{self.cpo.party_id}/{location['id']}/{evse['uid']}"
        self._send("locations", "PATCH", path, {"status": pushed, "last_updated": stamp})

    def _ended(self, charge: Charge) -> None:
        charge.done = True
        end = utc()
        energy = self._kwh(charge)
        charge.session.update(status="COMPLETED", end_date_time=end)
        self._push(charge)
        self._evse_status(charge, "AVAILABLE")
        location = next(
            loc for loc in self.cpo.locations if loc["id"] == charge.session["location_id"]
        )
        evse = location["evses"][0]
        connector = evse["connectors"][0]
        cdr = {
            "country_code": self.cpo.country_code,
            "party_id": self.cpo.party_id,
            "id": f"CDR-{charge.session['id']}"[:39],
            "start_date_time": charge.session["start_date_time"],
            "end_date_time": end,
            "session_id": charge.session["id"],
            "cdr_token": charge.session["cdr_token"],
            "auth_method": "COMMAND",
            "cdr_location": {
                "id": location["id"],
                "address": location["address"],
                "city": location["city"],
                "country": location["country"],
                "coordinates": location["coordinates"],
                "evse_uid": evse["uid"],
                "evse_id": evse["evse_id"],
                "connector_id": connector["id"],
                "connector_standard": connector["standard"],
                "connector_format": connector["format"],
                "connector_power_type": connector["power_type"],
            },
            "currency": "EUR",
            "charging_periods": [
                {
                    "start_date_time": charge.session["start_date_time"],
                    "dimensions": [{"type": "ENERGY", "volume": energy}],
                }
            ],
            "total_cost": {"excl_vat": 0},
            "total_energy": energy + (1.0 if self.defect("cdr_energy_differs") else 0.0),
            "total_time": 0.0,
            "last_updated": end,
        }
        self.cpo.cdrs.append(cdr)
        self._send("cdrs", "POST", "", cdr)


def attach(cpo: ReferenceCpo, csms: ReferenceCsms, station_id: str) -> Commands:
    """Give ``cpo`` a Commands receiver that reaches ``csms``'s station ``station_id`` and
    subscribe it to the CSMS's transactions."""
    commands = Commands(cpo, csms, station_id)
    cpo.commands = commands
    observers = getattr(csms, "observers", None)
    if observers is None:
        observers = []
        csms.observers = observers  # type: ignore[attr-defined]
    observers.append(commands.observe)
    attach_tokens(cpo, csms)  # real-time authorization of the eMSP's Tokens
    return commands
