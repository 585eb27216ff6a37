"""What a simulated station says and answers, per OCPP version: payloads only, no I/O.

Pure module (no gevent): ``tests/test_load.py`` validates every payload built here against the
official schemas, so the load never blames a CSMS for a frame we got wrong. A station keeps
its state in :class:`Session` objects and a dialect builds frames from them; answers to the
CSMS's requests come with an :class:`Effect` the station carries out after replying (a remote
start starts a session, a Reset reboots), as a real station would.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pytest_ocpp.versions import V16, V201, OcppVersion

Payload = dict[str, Any]


def now_utc() -> str:
    """Whole seconds: legal in 1.6 (any ISO 8601) and 2.0.1 (≤ 3 fractional digits)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass
class Session:
    """One charging session on one connector, from authorization to stop."""

    connector: int
    id_token: str
    meter_start: int
    transaction_id: int | str | None = None
    """1.6: given by the CSMS in StartTransaction.conf; 2.0.1: ours, a UUID."""
    remote_start_id: int | None = None
    seq_no: int = 0
    energy_wh: int = 0
    started: float = field(default_factory=time.monotonic)

    def meter_now(self, watts: float = 11000.0) -> int:
        self.energy_wh = int((time.monotonic() - self.started) * watts / 3600)
        return self.meter_start + self.energy_wh


@dataclass(frozen=True)
class Effect:
    """What the station does after answering a CSMS request."""

    kind: str  # "start" | "stop" | "trigger" | "reset" | "heartbeat_interval" | "meter_interval"
    connector: int = 0
    value: Any = None


@dataclass(frozen=True)
class Answer:
    payload: Payload | None = None
    error_code: str | None = None
    """Answer with a CallError instead (``payload`` is then None)."""
    effect: Effect | None = None


TRIGGERABLE = ("BootNotification", "Heartbeat", "StatusNotification", "MeterValues")


class Dialect:
    """The frames of one OCPP version. Stat names are the action, except where one action
    carries several steps: 2.0.1's TransactionEvent is named by its eventType."""

    version: OcppVersion

    def __init__(self, vendor: str = "pytest-ocpp", model: str = "LoadStation") -> None:
        self.vendor, self.model = vendor, model

    # -- station to CSMS -------------------------------------------------------------------
    def boot(self, station_id: str) -> Payload:
        raise NotImplementedError

    def status(self, connector: int, status: str) -> Payload:
        raise NotImplementedError

    def authorize(self, token: str) -> Payload:
        raise NotImplementedError

    def authorized(self, reply: Payload) -> bool:
        raise NotImplementedError

    def start(self, session: Session, *, offline: bool = False) -> tuple[str, str, Payload]:
        """(action, stat name, payload) of the transaction start."""
        raise NotImplementedError

    def started(self, session: Session, reply: Payload) -> None:
        """Take what the CSMS's answer to the start assigns (1.6: the transactionId)."""

    def meter(self, session: Session, *, offline: bool = False) -> tuple[str, str, Payload]:
        raise NotImplementedError

    def stop(self, session: Session, *, offline: bool = False) -> tuple[str, str, Payload]:
        raise NotImplementedError

    AVAILABLE = "Available"
    OCCUPIED = "Occupied"

    # -- CSMS to station -------------------------------------------------------------------
    def answer(self, action: str, payload: Payload, station: StationView) -> Answer:
        raise NotImplementedError


@dataclass
class StationView:
    """What a dialect may read of a station to answer a request."""

    connectors: int
    heartbeat_interval: float
    meter_value_interval: float
    sessions: dict[int, Session]
    """Open sessions by connector."""

    def free_connector(self, wanted: int | None) -> int | None:
        if wanted:
            return (
                wanted if 1 <= wanted <= self.connectors and wanted not in self.sessions else None
            )
        return next((c for c in range(1, self.connectors + 1) if c not in self.sessions), None)

    def session_of(self, transaction_id: Any) -> Session | None:
        return next((s for s in self.sessions.values() if s.transaction_id == transaction_id), None)


class Dialect16(Dialect):
    version = V16
    AVAILABLE = "Available"
    OCCUPIED = "Preparing"

    def boot(self, station_id: str) -> Payload:
        return {
            "chargePointVendor": self.vendor,
            "chargePointModel": self.model,
            "chargePointSerialNumber": station_id[:25],
        }

    def status(self, connector: int, status: str) -> Payload:
        return {
            "connectorId": connector,
            "errorCode": "NoError",
            "status": status,
            "timestamp": now_utc(),
        }

    def authorize(self, token: str) -> Payload:
        return {"idTag": token}

    def authorized(self, reply: Payload) -> bool:
        return reply.get("idTagInfo", {}).get("status") == "Accepted"

    def start(self, session: Session, *, offline: bool = False) -> tuple[str, str, Payload]:
        payload = {
            "connectorId": session.connector,
            "idTag": session.id_token,
            "meterStart": session.meter_start,
            "timestamp": now_utc(),
        }
        return "StartTransaction", "StartTransaction", payload

    def started(self, session: Session, reply: Payload) -> None:
        session.transaction_id = reply.get("transactionId")

    def meter(self, session: Session, *, offline: bool = False) -> tuple[str, str, Payload]:
        payload: Payload = {
            "connectorId": session.connector,
            "meterValue": [
                {
                    "timestamp": now_utc(),
                    "sampledValue": [
                        {
                            "value": str(session.meter_now()),
                            "measurand": "Energy.Active.Import.Register",
                            "unit": "Wh",
                        }
                    ],
                }
            ],
        }
        if isinstance(session.transaction_id, int):
            payload["transactionId"] = session.transaction_id
        return "MeterValues", "MeterValues", payload

    def stop(self, session: Session, *, offline: bool = False) -> tuple[str, str, Payload]:
        payload = {
            "transactionId": session.transaction_id
            if isinstance(session.transaction_id, int)
            else 0,
            "idTag": session.id_token,
            "meterStop": session.meter_now(),
            "timestamp": now_utc(),
            "reason": "Local",
        }
        return "StopTransaction", "StopTransaction", payload

    def answer(self, action: str, payload: Payload, station: StationView) -> Answer:
        if action == "RemoteStartTransaction":
            connector = station.free_connector(payload.get("connectorId"))
            if connector is None:
                return Answer({"status": "Rejected"})
            return Answer(
                {"status": "Accepted"}, effect=Effect("start", connector, payload["idTag"])
            )
        if action == "RemoteStopTransaction":
            session = station.session_of(payload["transactionId"])
            if session is None:
                return Answer({"status": "Rejected"})
            return Answer({"status": "Accepted"}, effect=Effect("stop", session.connector))
        if action == "GetConfiguration":
            known = self._configuration(station)
            wanted = payload.get("key") or list(known)
            return Answer(
                {
                    "configurationKey": [
                        {"key": k, "readonly": False, "value": known[k]}
                        for k in wanted
                        if k in known
                    ],
                    "unknownKey": [k for k in wanted if k not in known],
                }
            )
        if action == "ChangeConfiguration":
            key, value = payload["key"], payload["value"]
            kinds = {"HeartbeatInterval": "heartbeat_interval"}
            kinds["MeterValueSampleInterval"] = "meter_interval"
            if key not in kinds:
                return Answer({"status": "NotSupported"})
            if not value.isdigit():
                return Answer({"status": "Rejected"})
            return Answer({"status": "Accepted"}, effect=Effect(kinds[key], value=float(value)))
        if action == "TriggerMessage":
            wanted = payload["requestedMessage"]
            if wanted not in TRIGGERABLE:
                return Answer({"status": "NotImplemented"})
            effect = Effect("trigger", payload.get("connectorId") or 0, wanted)
            return Answer({"status": "Accepted"}, effect=effect)
        if action == "Reset":
            return Answer({"status": "Accepted"}, effect=Effect("reset"))
        if action in ("ChangeAvailability", "ClearCache"):
            return Answer({"status": "Accepted"})
        if action == "UnlockConnector":
            return Answer({"status": "Unlocked"})
        if action == "DataTransfer":
            return Answer({"status": "UnknownVendorId"})
        # OCPP-J 1.6 §4.2.3: "Requested Action is recognized but not supported by the receiver".
        return Answer(error_code="NotSupported")

    @staticmethod
    def _configuration(station: StationView) -> dict[str, str]:
        return {
            "HeartbeatInterval": str(int(station.heartbeat_interval)),
            "MeterValueSampleInterval": str(int(station.meter_value_interval)),
            "NumberOfConnectors": str(station.connectors),
        }


class Dialect201(Dialect):
    version = V201
    AVAILABLE = "Available"
    OCCUPIED = "Occupied"

    def boot(self, station_id: str) -> Payload:
        return {
            "chargingStation": {
                "model": self.model,
                "vendorName": self.vendor,
                "serialNumber": station_id[:25],
            },
            "reason": "PowerUp",
        }

    def status(self, connector: int, status: str) -> Payload:
        return {
            "timestamp": now_utc(),
            "connectorStatus": status,
            "evseId": connector,
            "connectorId": 1,
        }

    def authorize(self, token: str) -> Payload:
        return {"idToken": {"idToken": token, "type": "ISO14443"}}

    def authorized(self, reply: Payload) -> bool:
        return reply.get("idTokenInfo", {}).get("status") == "Accepted"

    def _event(
        self, session: Session, event: str, trigger: str, offline: bool, **info: Any
    ) -> tuple[str, str, Payload]:
        payload: Payload = {
            "eventType": event,
            "timestamp": now_utc(),
            "triggerReason": trigger,
            "seqNo": session.seq_no,
            "transactionInfo": {"transactionId": str(session.transaction_id), **info},
            "evse": {"id": session.connector, "connectorId": 1},
            "meterValue": [
                {
                    "timestamp": now_utc(),
                    "sampledValue": [
                        {
                            "value": float(session.meter_now()),
                            "measurand": "Energy.Active.Import.Register",
                        }
                    ],
                }
            ],
        }
        if offline:
            payload["offline"] = True
        session.seq_no += 1
        return "TransactionEvent", f"TransactionEvent {event}", payload

    def start(self, session: Session, *, offline: bool = False) -> tuple[str, str, Payload]:
        session.transaction_id = session.transaction_id or str(uuid.uuid4())
        trigger = "RemoteStart" if session.remote_start_id is not None else "Authorized"
        info: dict[str, Any] = {"chargingState": "Charging"}
        if session.remote_start_id is not None:
            info["remoteStartId"] = session.remote_start_id
        action, name, payload = self._event(session, "Started", trigger, offline, **info)
        payload["idToken"] = {"idToken": session.id_token, "type": "ISO14443"}
        return action, name, payload

    def meter(self, session: Session, *, offline: bool = False) -> tuple[str, str, Payload]:
        return self._event(session, "Updated", "MeterValuePeriodic", offline)

    def stop(self, session: Session, *, offline: bool = False) -> tuple[str, str, Payload]:
        return self._event(
            session, "Ended", "StopAuthorized", offline, stoppedReason="Local", chargingState="Idle"
        )

    def answer(self, action: str, payload: Payload, station: StationView) -> Answer:
        if action == "RequestStartTransaction":
            connector = station.free_connector(payload.get("evseId"))
            if connector is None:
                return Answer({"status": "Rejected"})
            effect = Effect(
                "start", connector, (payload["idToken"]["idToken"], payload["remoteStartId"])
            )
            return Answer({"status": "Accepted"}, effect=effect)
        if action == "RequestStopTransaction":
            session = station.session_of(payload["transactionId"])
            if session is None:
                return Answer({"status": "Rejected"})
            return Answer({"status": "Accepted"}, effect=Effect("stop", session.connector))
        if action == "GetVariables":
            return Answer(
                {"getVariableResult": [self._get(i, station) for i in payload["getVariableData"]]}
            )
        if action == "SetVariables":
            results, effects = [], []
            for item in payload["setVariableData"]:
                result, effect = self._set(item)
                results.append(result)
                if effect is not None:
                    effects.append(effect)
            return Answer({"setVariableResult": results}, effect=effects[0] if effects else None)
        if action == "TriggerMessage":
            wanted = payload["requestedMessage"]
            if wanted not in TRIGGERABLE:
                return Answer({"status": "NotImplemented"})
            connector = payload.get("evse", {}).get("id", 0)
            return Answer({"status": "Accepted"}, effect=Effect("trigger", connector, wanted))
        if action == "Reset":
            return Answer({"status": "Accepted"}, effect=Effect("reset"))
        if action in ("ChangeAvailability", "ClearCache"):
            return Answer({"status": "Accepted"})
        if action == "UnlockConnector":
            return Answer({"status": "Unlocked"})
        if action == "DataTransfer":
            return Answer({"status": "UnknownVendorId"})
        if action == "GetBaseReport":
            return Answer({"status": "NotSupported"})
        # 2.0.1 Part 4 §4.3: NotSupported, "the requested Action is recognized but not
        # supported by the receiver".
        return Answer(error_code="NotSupported")

    _VARIABLES: ClassVar[dict[tuple[str, str], str]] = {
        ("OCPPCommCtrlr", "HeartbeatInterval"): "heartbeat_interval",
        ("SampledDataCtrlr", "TxUpdatedInterval"): "meter_interval",
    }

    def _get(self, item: Payload, station: StationView) -> Payload:
        key = (item["component"]["name"], item["variable"]["name"])
        result: Payload = {
            "component": item["component"],
            "variable": item["variable"],
            "attributeStatus": "Accepted",
        }
        if key == ("OCPPCommCtrlr", "HeartbeatInterval"):
            result["attributeValue"] = str(int(station.heartbeat_interval))
        elif key == ("SampledDataCtrlr", "TxUpdatedInterval"):
            result["attributeValue"] = str(int(station.meter_value_interval))
        elif key[0] in {c for c, _ in self._VARIABLES}:
            result["attributeStatus"] = "UnknownVariable"
        else:
            result["attributeStatus"] = "UnknownComponent"
        return result

    def _set(self, item: Payload) -> tuple[Payload, Effect | None]:
        key = (item["component"]["name"], item["variable"]["name"])
        result: Payload = {"component": item["component"], "variable": item["variable"]}
        kind = self._VARIABLES.get(key)
        if kind is None:
            known = {c for c, _ in self._VARIABLES}
            result["attributeStatus"] = "UnknownVariable" if key[0] in known else "UnknownComponent"
            return result, None
        if not item["attributeValue"].isdigit():
            result["attributeStatus"] = "Rejected"
            return result, None
        result["attributeStatus"] = "Accepted"
        return result, Effect(kind, value=float(item["attributeValue"]))


DIALECTS: dict[str, type[Dialect]] = {"1.6": Dialect16, "2.0.1": Dialect201}
