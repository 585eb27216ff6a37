"""The fake charging station (client role) and its reusable states.

A station is a plain object on the event loop: one websocket, one :class:`~pytest_ocpp.link.Link`,
no thread and no global state, so a load test can hold ten thousand of them.
:class:`Station16` and :class:`Station201` add each version's messages and the OCTT reusable
states (Booted, Authorized, Charging, EVConnectedPreSession, EnergyTransferStarted ...), so a
scenario says "execute reusable state Charging" in one line.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timezone
from typing import Any

from pytest_ocpp.case import CaseContext
from pytest_ocpp.config import IdTags, StationSpec
from pytest_ocpp.link import Handler, IncomingCall, Link, Predicate, connect
from pytest_ocpp.verdicts import CallErrorReceived, ConnectFailed, TargetFailure, check
from pytest_ocpp.versions import OcppVersion


def now(version: OcppVersion) -> str:
    """The current UTC time in the form the version allows: 2.x at most 3 fractional digits
    (2.0.1 Part 2 "dateTime"); Python's isoformat() writes 6, which real CSMSs reject."""
    stamp = datetime.now(timezone.utc)
    if version.max_datetime_fraction_digits is not None:
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeStation:
    """A charging station as the CSMS under test sees it."""

    peer = "CSMS"

    def __init__(
        self,
        ctx: CaseContext,
        *,
        url: str,
        station_id: str,
        version: OcppVersion,
        spec: StationSpec,
        tags: IdTags,
        password: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.url = url
        self.station_id = station_id
        self.version = version
        self.spec = spec
        self.tags = tags
        self.password = password
        self.link: Link | None = None
        self.handlers: dict[str, Handler] = self.default_handlers()
        self.heartbeat_interval: int | None = None

    # -- connection ------------------------------------------------------------------------
    async def connect(self, subprotocols: list[str] | None = None) -> None:
        """Open the websocket, offering this version's subprotocol unless told otherwise."""
        cfg = self.ctx.config
        ws = await connect(
            self.url,
            self.station_id,
            subprotocols or [self.version.subprotocol],
            timeouts=cfg.timeouts,
            tls=cfg.tls,
            password=self.password,
            trace=self.ctx.trace,
        )
        link = Link(
            ws,
            version=self.version,
            name=self.station_id,
            trace=self.ctx.trace,
            timeouts=cfg.timeouts,
            peer=self.peer,
            handlers=self.handlers,
        )
        self.ctx.register(link)
        link.start()
        self.link = link

    async def disconnect(self) -> None:
        """Go offline (an outage from the station's side)."""
        if self.link is not None:
            await self.link.close()

    async def reconnect(self) -> None:
        await self.disconnect()
        await self.connect()

    @property
    def connected(self) -> bool:
        return self.link is not None and not self.link.closed.is_set()

    def _link(self) -> Link:
        if self.link is None:
            raise ConnectFailed(f"station {self.station_id} is not connected")
        return self.link

    # -- messaging -------------------------------------------------------------------------
    async def call(
        self, action: str, payload: dict[str, Any], *, allow_error: bool = False
    ) -> dict[str, Any]:
        return await self._link().call(action, payload, allow_error=allow_error)

    async def expect_call(
        self, action: str, predicate: Predicate | None = None, *, timeout: float | None = None
    ) -> IncomingCall:
        return await self._link().expect_call(action, predicate, timeout=timeout)

    async def expect_silence(self, action: str | None, duration: float, why: str = "") -> None:
        await self._link().expect_silence(action, duration, why)

    def default_handlers(self) -> dict[str, Handler]:
        """Answers to legal requests a scenario did not ask for: none by default, so an
        unclaimed request waits for a later ``expect_call`` instead of a made-up answer."""
        return {}

    def now(self) -> str:
        return now(self.version)


class Station16(FakeStation):
    """OCPP 1.6J messages and the OCTT 1.6 reusable states (OCTT 1.6 §3.22)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.transactions: dict[int, int] = {}
        """connector id → transaction id of the running transaction."""
        self.meter = itertools.count(1000, 250)

    def default_handlers(self) -> dict[str, Handler]:
        def get_configuration(call: IncomingCall) -> dict[str, Any]:
            keys = self.configuration()
            wanted = call.payload.get("key")
            if wanted:
                known = [k for k in keys if k["key"] in wanted]
                unknown = [k for k in wanted if k not in {x["key"] for x in keys}]
                return (
                    {"configurationKey": known, "unknownKey": unknown}
                    if unknown
                    else {"configurationKey": known}
                )
            return {"configurationKey": keys}

        return {
            "GetConfiguration": get_configuration,
            "ChangeConfiguration": lambda call: {"status": "Accepted"},
            "ClearCache": lambda call: {"status": "Accepted"},
            "GetLocalListVersion": lambda call: {"listVersion": 0},
            "DataTransfer": lambda call: {"status": "UnknownVendorId"},
            "TriggerMessage": lambda call: {"status": "Rejected"},
            "GetCompositeSchedule": lambda call: {"status": "Rejected"},
            "ChangeAvailability": lambda call: {"status": "Accepted"},
        }

    def configuration(self) -> list[dict[str, Any]]:
        interval = str(self.heartbeat_interval or 300)
        return [
            {"key": "HeartbeatInterval", "readonly": False, "value": interval},
            {"key": "ConnectionTimeOut", "readonly": False, "value": "60"},
            {"key": "MeterValueSampleInterval", "readonly": False, "value": "60"},
            {"key": "NumberOfConnectors", "readonly": True, "value": str(self.spec.connectors)},
            {
                "key": "SupportedFeatureProfiles",
                "readonly": True,
                "value": ",".join(self.spec.features),
            },
            {"key": "StopTransactionOnEVSideDisconnect", "readonly": False, "value": "true"},
            {"key": "UnlockConnectorOnEVSideDisconnect", "readonly": False, "value": "true"},
            {"key": "StopTransactionOnInvalidId", "readonly": False, "value": "true"},
            {"key": "AuthorizeRemoteTxRequests", "readonly": False, "value": "true"},
            {"key": "LocalAuthorizeOffline", "readonly": False, "value": "true"},
            {"key": "LocalPreAuthorize", "readonly": False, "value": "false"},
        ]

    # -- messages --------------------------------------------------------------------------
    async def boot(self, *, expect_accepted: bool = True) -> dict[str, Any]:
        conf = await self.call(
            "BootNotification",
            {"chargePointVendor": self.spec.vendor, "chargePointModel": self.spec.model},
        )
        if expect_accepted:
            check(conf["status"] == "Accepted", "BootNotification.conf status Accepted", conf)
        self.heartbeat_interval = conf["interval"]
        return conf

    async def status(
        self, connector_id: int, status: str, error_code: str = "NoError", **extra: Any
    ) -> dict[str, Any]:
        payload = {
            "connectorId": connector_id,
            "status": status,
            "errorCode": error_code,
            "timestamp": self.now(),
            **extra,
        }
        return await self.call("StatusNotification", payload)

    async def heartbeat(self) -> dict[str, Any]:
        return await self.call("Heartbeat", {})

    async def authorize(self, id_tag: str) -> dict[str, Any]:
        """Authorize; returns the idTagInfo."""
        conf = await self.call("Authorize", {"idTag": id_tag})
        return conf["idTagInfo"]

    async def start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        *,
        meter_start: int | None = None,
        timestamp: str | None = None,
        reservation_id: int | None = None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "connectorId": connector_id,
            "idTag": id_tag,
            "meterStart": next(self.meter) if meter_start is None else meter_start,
            "timestamp": timestamp or self.now(),
        }
        if reservation_id is not None:
            payload["reservationId"] = reservation_id
        conf = await self.call("StartTransaction", payload)
        transaction_id = conf["transactionId"]
        self.transactions[connector_id] = transaction_id
        self._check_unique_transaction_id(transaction_id)
        return conf

    def _check_unique_transaction_id(self, transaction_id: int) -> None:
        """OCPP 1.6 §4.8: the transactionId identifies the transaction; a CSMS that hands out
        the same id twice makes stop, meter and billing records ambiguous."""
        seen: dict[int, str] = self.ctx.shared.setdefault("transaction_ids", {})
        where = f"{self.ctx.case_id} ({self.station_id})"
        if transaction_id in seen:
            raise TargetFailure(
                f"the CSMS assigned transactionId {transaction_id} again; it was already "
                f"assigned in {seen[transaction_id]}. Transaction ids must be unique."
            )
        seen[transaction_id] = where

    async def stop_transaction(
        self,
        transaction_id: int | None = None,
        *,
        connector_id: int = 1,
        reason: str | None = None,
        id_tag: str | None = None,
        meter_stop: int | None = None,
        timestamp: str | None = None,
    ) -> dict[str, Any]:
        tx = self.transactions.pop(connector_id, None) if transaction_id is None else transaction_id
        if tx is None:
            raise RuntimeError(f"no transaction recorded on connector {connector_id}")
        payload: dict[str, Any] = {
            "transactionId": tx,
            "meterStop": next(self.meter) if meter_stop is None else meter_stop,
            "timestamp": timestamp or self.now(),
        }
        if reason is not None:
            payload["reason"] = reason
        if id_tag is not None:
            payload["idTag"] = id_tag
        return await self.call("StopTransaction", payload)

    async def meter_values(
        self, connector_id: int, transaction_id: int | None = None, value: int | None = None
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "connectorId": connector_id,
            "meterValue": [
                {
                    "timestamp": self.now(),
                    "sampledValue": [
                        {
                            "value": str(next(self.meter) if value is None else value),
                            "measurand": "Energy.Active.Import.Register",
                            "unit": "Wh",
                        }
                    ],
                }
            ],
        }
        if transaction_id is not None:
            payload["transactionId"] = transaction_id
        return await self.call("MeterValues", payload)

    # -- reusable states -------------------------------------------------------------------
    async def booted(self) -> None:
        """Booted: BootNotification accepted, every connector (and connector 0) Available."""
        await self.boot()
        for connector in range(self.spec.connectors + 1):
            await self.status(connector, "Available")

    async def authorized(self, id_tag: str | None = None) -> dict[str, Any]:
        """Reusable state Authorized: the driver presents a valid card and the CSMS accepts."""
        info = await self.authorize(id_tag or self.tags.valid)
        check(info["status"] == "Accepted", "Authorize.conf idTagInfo.status Accepted", info)
        return info

    async def charging(self, connector_id: int = 1, id_tag: str | None = None) -> int:
        """Reusable state Charging: plugged in, authorized, transaction started, Charging.
        Returns the transaction id."""
        tag = id_tag or self.tags.valid
        await self.status(connector_id, "Preparing")
        await self.authorized(tag)
        conf = await self.start_transaction(connector_id, tag)
        check(
            conf["idTagInfo"]["status"] == "Accepted",
            "StartTransaction.conf idTagInfo.status Accepted",
            conf["idTagInfo"],
        )
        await self.status(connector_id, "Charging")
        return int(conf["transactionId"])

    async def leave_idle(self) -> None:
        """Back to the general pre-conditions (OCTT 1.6 §1.3: "Charge Point is Idle, with no
        active transactions"): stop what the scenario left running and report its connector
        Available, so the CSMS holds no open transaction for the run's id tags (a later
        Authorize could otherwise get ConcurrentTx). A CallError here is outside the scenario
        and tolerated; a missing answer still fails, as it would anywhere."""
        if not self.connected:
            return
        for connector_id, transaction_id in sorted(self.transactions.items()):
            payload = {
                "transactionId": transaction_id,
                "meterStop": next(self.meter),
                "timestamp": self.now(),
                "reason": "Local",
            }
            await self.call("StopTransaction", payload, allow_error=True)
            await self.status(connector_id, "Available")
        self.transactions.clear()

    def core_configuration(self) -> list[dict[str, Any]]:
        """Every key OCTT TC_019_1_CSMS expects in a full GetConfiguration.conf (OCPP 1.6 §9.1
        Core, §9.2 Local Auth List Management, §9.4 Smart Charging), with its accessibility;
        the values are this station's own where :meth:`configuration` has one."""
        values = {k["key"]: k["value"] for k in self.configuration()}
        read_write = {
            "AuthorizeRemoteTxRequests": "true",
            "ClockAlignedDataInterval": "0",
            "ConnectionTimeOut": "60",
            "ConnectorPhaseRotation": "NotApplicable",
            "HeartbeatInterval": "300",
            "LocalAuthorizeOffline": "true",
            "LocalPreAuthorize": "false",
            "MeterValuesAlignedData": "Energy.Active.Import.Register",
            "MeterValuesSampledData": "Energy.Active.Import.Register",
            "MeterValueSampleInterval": "60",
            "ResetRetries": "1",
            "StopTransactionOnEVSideDisconnect": "true",
            "StopTransactionOnInvalidId": "true",
            "StopTxnAlignedData": "",
            "StopTxnSampledData": "",
            "TransactionMessageAttempts": "3",
            "TransactionMessageRetryInterval": "60",
            "UnlockConnectorOnEVSideDisconnect": "true",
            "LocalAuthListEnabled": "true",
        }
        read_only = {
            "GetConfigurationMaxKeys": "50",
            "NumberOfConnectors": str(self.spec.connectors),
            "SupportedFeatureProfiles": ",".join(self.spec.features),
            "LocalAuthListMaxLength": "100",
            "SendLocalListMaxLength": "100",
            "ChargeProfileMaxStackLevel": "10",
            "ChargingScheduleAllowedChargingRateUnit": "Current,Power",
            "ChargingScheduleMaxPeriods": "24",
            "MaxChargingProfilesInstalled": "10",
        }
        keys = [
            {"key": key, "readonly": False, "value": values.get(key, default)}
            for key, default in read_write.items()
        ]
        keys += [
            {"key": key, "readonly": True, "value": values.get(key, default)}
            for key, default in read_only.items()
        ]
        return keys


class Station201(FakeStation):
    """OCPP 2.0.1 messages and the CSMS-side reusable states of 2.0.1 Part 6 §3.18 (Booted,
    EVConnectedPreSession, Authorized, EnergyTransferStarted ...).

    The station keeps the little state those tables branch on ("If State is Authorized then
    eventType is Updated else Started", "If EVConnected is true then proceed to part 2"), so a
    scenario can chain the states in the order its table lists them."""

    evse_id = 1
    """OCTT's <Configured evseId>."""
    connector_id = 1
    """OCTT's <Configured connectorId>."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seq_no = itertools.count(0)
        self.meter = itertools.count(1000, 250)
        self.event_ids = itertools.count(1)
        self.transaction_id: str | None = None
        """The running transaction (E01.FR.08: generated by the station, unique forever)."""
        self.ev_connected = False
        """The EV is plugged in (Part 6 Table 703, post condition "EVConnected is true")."""
        self.authorized_token: str | None = None
        """The idToken that authorized the running transaction (reusable state Authorized)."""

    def default_handlers(self) -> dict[str, Handler]:
        return {
            "GetVariables": lambda call: {
                "getVariableResult": [
                    {
                        "attributeStatus": "UnknownVariable",
                        "component": item["component"],
                        "variable": item["variable"],
                    }
                    for item in call.payload["getVariableData"]
                ]
            },
            "GetBaseReport": lambda call: {"status": "NotSupported"},
            "SetVariables": lambda call: {
                "setVariableResult": [
                    {
                        "attributeStatus": "Accepted",
                        "component": item["component"],
                        "variable": item["variable"],
                    }
                    for item in call.payload["setVariableData"]
                ]
            },
        }

    # -- connection ------------------------------------------------------------------------
    async def connect_unchecked(self, subprotocols: list[str]) -> None:
        """Open the websocket offering exactly ``subprotocols`` and keep it even when the CSMS
        upgrades without selecting one (``link.ws.subprotocol`` is then None).

        OCPP-J 2.0.1 Part 4 §3.2 prescribes exactly that upgrade followed by an immediate
        close for a client offering nothing the CSMS speaks; TC_B_58_CSMS must be able to see
        it happen instead of closing the connection itself. Raises
        :class:`~pytest_ocpp.verdicts.ConnectFailed` when the CSMS refuses the upgrade and
        :class:`~pytest_ocpp.verdicts.UnexpectedSubprotocol` when it selects a subprotocol
        that was not offered."""
        cfg = self.ctx.config
        ws = await connect(
            self.url,
            self.station_id,
            subprotocols,
            timeouts=cfg.timeouts,
            tls=cfg.tls,
            password=self.password,
            trace=self.ctx.trace,
            require_subprotocol=False,
        )
        link = Link(
            ws,
            version=self.version,
            name=self.station_id,
            trace=self.ctx.trace,
            timeouts=cfg.timeouts,
            peer=self.peer,
            handlers=self.handlers,
        )
        self.ctx.register(link)
        link.start()
        self.link = link

    def selected_subprotocol_headers(self) -> list[str]:
        """Every Sec-WebSocket-Protocol header of the CSMS's upgrade response, verbatim."""
        response = self._link().ws.response
        return [] if response is None else response.headers.get_all("Sec-WebSocket-Protocol")

    # -- messages --------------------------------------------------------------------------
    def id_token(self, value: str | None = None, type_: str = "ISO14443") -> dict[str, str]:
        return {"idToken": value or self.tags.valid, "type": type_}

    async def boot(
        self, reason: str = "PowerUp", *, expect_accepted: bool = True
    ) -> dict[str, Any]:
        conf = await self.call(
            "BootNotification",
            {
                "chargingStation": {"model": self.spec.model, "vendorName": self.spec.vendor},
                "reason": reason,
            },
        )
        if expect_accepted:
            check(conf["status"] == "Accepted", "BootNotificationResponse status Accepted", conf)
        self.heartbeat_interval = conf["interval"]
        return conf

    async def status(self, evse_id: int, connector_id: int, status: str) -> dict[str, Any]:
        return await self.call(
            "StatusNotification",
            {
                "timestamp": self.now(),
                "connectorStatus": status,
                "evseId": evse_id,
                "connectorId": connector_id,
            },
        )

    async def notify_event(
        self,
        actual_value: str,
        *,
        evse_id: int,
        connector_id: int,
        component: str = "Connector",
        variable: str = "AvailabilityState",
        trigger: str = "Delta",
    ) -> dict[str, Any]:
        """One NotifyEventRequest with one eventData: how a 2.0.1 station reports a change of
        a component's variable, e.g. a connector's AvailabilityState (E02.FR.05, G01)."""
        stamp = self.now()
        payload = {
            "generatedAt": stamp,
            "seqNo": 0,
            "eventData": [
                {
                    "eventId": next(self.event_ids),
                    "timestamp": stamp,
                    "trigger": trigger,
                    "actualValue": actual_value,
                    "eventNotificationType": "HardWiredNotification",
                    "component": {
                        "name": component,
                        "evse": {"id": evse_id, "connectorId": connector_id},
                    },
                    "variable": {"name": variable},
                }
            ],
        }
        return await self.call("NotifyEvent", payload)

    async def connector_status(self, evse_id: int, connector_id: int, status: str) -> None:
        """Report a connector's state both ways OCTT does in Part 6 §3.18: a
        StatusNotificationRequest and a NotifyEventRequest (Delta, Connector,
        AvailabilityState). A CSMS must answer both (G01, N07 are not optional for a CSMS)."""
        await self.status(evse_id, connector_id, status)
        await self.notify_event(status, evse_id=evse_id, connector_id=connector_id)

    async def heartbeat(self) -> dict[str, Any]:
        return await self.call("Heartbeat", {})

    async def authorize(self, id_token: str, type_: str = "ISO14443") -> dict[str, Any]:
        """Authorize; returns the idTokenInfo."""
        conf = await self.call("Authorize", {"idToken": self.id_token(id_token, type_)})
        return conf["idTokenInfo"]

    async def transaction_event(
        self,
        event_type: str,
        trigger_reason: str,
        *,
        evse_id: int | None = None,
        connector_id: int | None = None,
        charging_state: str | None = None,
        id_token: dict[str, str] | None = None,
        meter: bool = False,
        stopped_reason: str | None = None,
    ) -> dict[str, Any]:
        """TransactionEventRequest with the bookkeeping done right: a fresh transactionId
        (a UUID: unique forever, E01.FR.08, and within the schema's 36 characters) and seqNo 0
        at Started, seqNo + 1 after (Part 2 §1.3.2.1). ``evse`` is sent at Started and
        whenever ``evse_id`` is given (E01.FR.16: after the EV connects)."""
        if event_type == "Started" or self.transaction_id is None:
            self.transaction_id = str(uuid.uuid4())
            self.seq_no = itertools.count(0)
        info: dict[str, Any] = {"transactionId": self.transaction_id}
        if charging_state:
            info["chargingState"] = charging_state
        if stopped_reason:
            info["stoppedReason"] = stopped_reason
        payload: dict[str, Any] = {
            "eventType": event_type,
            "timestamp": self.now(),
            "triggerReason": trigger_reason,
            "seqNo": next(self.seq_no),
            "transactionInfo": info,
        }
        if event_type == "Started" or evse_id is not None:
            payload["evse"] = {
                "id": self.evse_id if evse_id is None else evse_id,
                "connectorId": self.connector_id if connector_id is None else connector_id,
            }
        if id_token is not None:
            payload["idToken"] = id_token
        if meter:
            payload["meterValue"] = [
                {
                    "timestamp": self.now(),
                    "sampledValue": [
                        {
                            "value": float(next(self.meter)),
                            "measurand": "Energy.Active.Import.Register",
                            "context": {
                                "Started": "Transaction.Begin",
                                "Ended": "Transaction.End",
                            }.get(event_type, "Sample.Periodic"),
                        }
                    ],
                }
            ]
        conf = await self.call("TransactionEvent", payload)
        if event_type == "Ended":
            self.transaction_id = None
            self.authorized_token = None
        return conf

    # -- reusable states (2.0.1 Part 6 §3.18, CSMS under test) -----------------------------
    async def booted(self) -> None:
        """Booted (Table 698): BootNotificationRequest reason PowerUp, answered Accepted;
        then every connector reported Available (B01.FR.05)."""
        self.transaction_id = None
        self.authorized_token = None
        self.ev_connected = False
        await self.boot("PowerUp")
        for evse in range(1, self.spec.connectors + 1):
            await self.connector_status(evse, 1, "Available")

    async def ev_connected_pre_session(
        self, evse_id: int | None = None, connector_id: int | None = None
    ) -> dict[str, Any]:
        """EVConnectedPreSession (Table 701): the connector turns Occupied, then a
        TransactionEventRequest CablePluggedIn / EVConnected with the evse, eventType Updated
        when the transaction is already Authorized, else Started. Returns its response."""
        evse = self.evse_id if evse_id is None else evse_id
        connector = self.connector_id if connector_id is None else connector_id
        await self.connector_status(evse, connector, "Occupied")
        event = "Updated" if self.authorized_token is not None else "Started"
        conf = await self.transaction_event(
            event,
            "CablePluggedIn",
            evse_id=evse,
            connector_id=connector,
            charging_state="EVConnected",
            meter=event == "Started",
        )
        self.ev_connected = True
        return conf

    async def authorized(
        self, id_token: str | None = None, *, in_transaction: bool | None = None
    ) -> dict[str, Any]:
        """Authorized (Table 702): AuthorizeRequest with the valid idToken, answered Accepted;
        then a TransactionEventRequest triggerReason Authorized with that idToken, eventType
        Updated after EVConnectedPreSession (``in_transaction``; default: whether a
        transaction runs), else Started; its idTokenInfo.status must be Accepted (E02.FR.02,
        E03.FR.02). Returns the AuthorizeResponse idTokenInfo."""
        token = id_token or self.tags.valid
        info = await self.authorize(token)
        check(
            info["status"] == "Accepted",
            "Authorized step 2: AuthorizeResponse idTokenInfo.status Accepted",
            info,
        )
        running = self.transaction_id is not None if in_transaction is None else in_transaction
        conf = await self.transaction_event(
            "Updated" if running else "Started",
            "Authorized",
            id_token=self.id_token(token),
            meter=not running,
        )
        tx_info = conf.get("idTokenInfo")
        check(
            tx_info is not None and tx_info.get("status") == "Accepted",
            "Authorized step 4: TransactionEventResponse idTokenInfo.status Accepted",
            conf,
        )
        self.authorized_token = token
        return info

    async def energy_transfer_started(
        self, evse_id: int | None = None, connector_id: int | None = None
    ) -> None:
        """EnergyTransferStarted (Table 703): Authorized first if it is not the state yet;
        part 1 only when no EV is connected (connector Occupied, TransactionEventRequest
        Updated CablePluggedIn / EVConnected with the evse), then part 2:
        TransactionEventRequest Updated ChargingStateChanged / Charging."""
        evse = self.evse_id if evse_id is None else evse_id
        connector = self.connector_id if connector_id is None else connector_id
        if self.authorized_token is None:
            await self.authorized()
        if not self.ev_connected:
            await self.connector_status(evse, connector, "Occupied")
            await self.transaction_event(
                "Updated",
                "CablePluggedIn",
                evse_id=evse,
                connector_id=connector,
                charging_state="EVConnected",
            )
            self.ev_connected = True
        await self.transaction_event(
            "Updated", "ChargingStateChanged", charging_state="Charging", meter=True
        )

    async def leave_idle(self) -> None:
        """Back to an idle station, as every Part 6 case starts: end the running transaction
        the way reusable state EVDisconnected does (Table 707: connector Available, then
        TransactionEventRequest Ended / EVCommunicationLost / Idle / EVDisconnected), so the
        CSMS holds no open transaction for the run's idToken (a later case could otherwise
        get ConcurrentTx). A CallError here is outside the scenario and tolerated; a missing
        answer still fails, as it would anywhere."""
        if not self.connected or self.transaction_id is None:
            return
        try:
            await self.connector_status(self.evse_id, self.connector_id, "Available")
            await self.transaction_event(
                "Ended",
                "EVCommunicationLost",
                charging_state="Idle",
                stopped_reason="EVDisconnected",
                meter=True,
            )
        except CallErrorReceived:
            self.transaction_id = None
            self.authorized_token = None
        self.ev_connected = False
