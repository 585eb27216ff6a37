"""The fake OCPP 1.6J charging station and the CSMS-side reusable states of OCTT 1.6 §3.22."""

from __future__ import annotations

import itertools
from typing import Any

from pytest_ocpp.link import Handler, IncomingCall
from pytest_ocpp.station.base import FakeStation
from pytest_ocpp.verdicts import TargetFailure, check


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
        check(info["status"] == "Accepted", "Authorized step 2: idTagInfo.status Accepted", info)
        return info

    async def charging(self, connector_id: int | None = None, id_tag: str | None = None) -> int:
        """Reusable state Charging (OCTT 1.6 §3.22 Table 194): its own precondition is
        Authorized (Table 193), then StatusNotification Preparing, StartTransaction (answered
        Accepted) and StatusNotification Charging on <Configured ConnectorId>. Returns the
        transaction id."""
        connector = self.spec.connector_id if connector_id is None else connector_id
        tag = id_tag or self.tags.valid
        await self.authorized(tag)
        await self.status(connector, "Preparing")
        conf = await self.start_transaction(connector, tag)
        check(
            conf["idTagInfo"]["status"] == "Accepted",
            "Charging step 4: StartTransaction.conf idTagInfo.status Accepted",
            conf["idTagInfo"],
        )
        await self.status(connector, "Charging")
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
