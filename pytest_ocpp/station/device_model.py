"""The device model the fake 2.0.1 station exposes to a CSMS under test (2.0.1 Part 1 §4,
Part 2 B05-B08).

A CSMS may ask any station for its variables at any time (GetVariables, GetBaseReport,
GetReport) and set them (SetVariables), during a scenario or right after a boot; OCTT answers
from the station it was configured to simulate. This module is that configuration: the
required variables of the controllers Part 5 §5 makes mandatory (from
``dm_components_vars.csv``, with the values of Part 6 §3.1's general preconditions, e.g.
TxStartPoint ``EVConnected,Authorized``), one EVSE and one Connector component per EVSE,
overridden or extended by the user's ``[device_model]`` table:

.. code-block:: toml

    [device_model]
    "OCPPCommCtrlr.HeartbeatInterval" = 60                 # ReadWrite, Actual
    "OCPPCommCtrlr.MessageTimeout[Default]" = 30           # variable instance in brackets
    "EVSE(1).Power" = { value = 22000, mutability = "ReadOnly" }
    "Connector(1,1).ConnectorType" = "cType2"               # EVSE 1, connector 1

A value given as a table may carry ``value``, ``mutability`` (ReadOnly, WriteOnly,
ReadWrite) and ``data_type`` (Part 2 DataEnumType).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pytest_ocpp.config import ConfigError


@dataclass(frozen=True)
class VariableKey:
    component: str
    variable: str
    component_instance: str | None = None
    variable_instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None

    def component_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.component}
        if self.component_instance:
            out["instance"] = self.component_instance
        if self.evse_id is not None:
            out["evse"] = {"id": self.evse_id}
            if self.connector_id is not None:
                out["evse"]["connectorId"] = self.connector_id
        return out

    def variable_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.variable}
        if self.variable_instance:
            out["instance"] = self.variable_instance
        return out

    def __str__(self) -> str:
        where = ""
        if self.evse_id is not None:
            where = f"({self.evse_id}" + (
                f",{self.connector_id})" if self.connector_id is not None else ")"
            )
        inst = f"[{self.variable_instance}]" if self.variable_instance else ""
        return f"{self.component}{where}.{self.variable}{inst}"


@dataclass
class Variable:
    value: str
    mutability: str = "ReadWrite"
    data_type: str = "string"
    unit: str | None = None


_KEY = re.compile(
    r"^(?P<component>[A-Za-z0-9_]+)(?::(?P<cinst>[A-Za-z0-9_-]+))?"
    r"(?:\((?P<evse>\d+)(?:,(?P<connector>\d+))?\))?"
    r"\.(?P<variable>[A-Za-z0-9_]+)(?:\[(?P<vinst>[A-Za-z0-9_-]+)\])?$"
)


def parse_key(text: str) -> VariableKey:
    """``Component[:instance][(evse[,connector])].Variable[[instance]]`` → its key."""
    match = _KEY.match(text)
    if match is None:
        raise ConfigError(
            f"[device_model] key {text!r} is not Component.Variable (optionally "
            "Component:instance, Component(evse) or Component(evse,connector), Variable[instance])"
        )
    return VariableKey(
        component=match["component"],
        variable=match["variable"],
        component_instance=match["cinst"],
        variable_instance=match["vinst"],
        evse_id=int(match["evse"]) if match["evse"] else None,
        connector_id=int(match["connector"]) if match["connector"] else None,
    )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _data_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "decimal"
    return "string"


_STATION_WIDE: tuple[tuple[str, Any, str], ...] = (
    # (key, value, mutability): the required variables (dm_components_vars.csv "yes") of
    # the Core controllers, and the general preconditions of Part 6 §3.1.
    ("ChargingStation.AvailabilityState", "Available", "ReadOnly"),
    ("ChargingStation.Available", True, "ReadOnly"),
    ("ChargingStation.SupplyPhases", 3, "ReadOnly"),
    ("AuthCtrlr.Enabled", True, "ReadWrite"),
    ("AuthCtrlr.AuthorizeRemoteStart", False, "ReadWrite"),
    ("AuthCtrlr.LocalAuthorizeOffline", True, "ReadWrite"),
    ("AuthCtrlr.LocalPreAuthorize", False, "ReadWrite"),
    ("AlignedDataCtrlr.Interval", 0, "ReadWrite"),
    ("AlignedDataCtrlr.Measurands", "Energy.Active.Import.Register", "ReadWrite"),
    ("AlignedDataCtrlr.TxEndedInterval", 0, "ReadWrite"),
    ("AlignedDataCtrlr.TxEndedMeasurands", "Energy.Active.Import.Register", "ReadWrite"),
    ("AlignedDataCtrlr.SendDuringIdle", False, "ReadWrite"),
    ("ClockCtrlr.DateTime", "", "ReadOnly"),
    ("ClockCtrlr.TimeSource", "Heartbeat", "ReadWrite"),
    ("DeviceDataCtrlr.BytesPerMessage[GetReport]", 65000, "ReadOnly"),
    ("DeviceDataCtrlr.BytesPerMessage[GetVariables]", 65000, "ReadOnly"),
    ("DeviceDataCtrlr.BytesPerMessage[SetVariables]", 65000, "ReadOnly"),
    ("DeviceDataCtrlr.ItemsPerMessage[GetReport]", 20, "ReadOnly"),
    ("DeviceDataCtrlr.ItemsPerMessage[GetVariables]", 20, "ReadOnly"),
    ("DeviceDataCtrlr.ItemsPerMessage[SetVariables]", 20, "ReadOnly"),
    ("MonitoringCtrlr.Enabled", True, "ReadWrite"),
    ("MonitoringCtrlr.Available", True, "ReadOnly"),
    ("MonitoringCtrlr.ItemsPerMessage[ClearVariableMonitoring]", 2, "ReadOnly"),
    ("MonitoringCtrlr.ItemsPerMessage[SetVariableMonitoring]", 20, "ReadOnly"),
    ("MonitoringCtrlr.BytesPerMessage[ClearVariableMonitoring]", 65000, "ReadOnly"),
    ("MonitoringCtrlr.BytesPerMessage[SetVariableMonitoring]", 65000, "ReadOnly"),
    ("OCPPCommCtrlr.FileTransferProtocols", "HTTP,HTTPS,FTP", "ReadOnly"),
    ("OCPPCommCtrlr.HeartbeatInterval", 300, "ReadWrite"),
    ("OCPPCommCtrlr.MessageTimeout[Default]", 30, "ReadOnly"),
    ("OCPPCommCtrlr.MessageAttemptInterval[TransactionEvent]", 10, "ReadWrite"),
    ("OCPPCommCtrlr.MessageAttempts[TransactionEvent]", 3, "ReadWrite"),
    ("OCPPCommCtrlr.NetworkConfigurationPriority", "0", "ReadWrite"),
    ("OCPPCommCtrlr.NetworkProfileConnectionAttempts", 3, "ReadWrite"),
    ("OCPPCommCtrlr.OfflineThreshold", 60, "ReadWrite"),
    ("OCPPCommCtrlr.ResetRetries", 2, "ReadWrite"),
    ("OCPPCommCtrlr.UnlockOnEVSideDisconnect", True, "ReadWrite"),
    ("SampledDataCtrlr.TxEndedInterval", 0, "ReadWrite"),
    ("SampledDataCtrlr.TxEndedMeasurands", "Energy.Active.Import.Register", "ReadWrite"),
    ("SampledDataCtrlr.TxStartedMeasurands", "Energy.Active.Import.Register", "ReadWrite"),
    ("SampledDataCtrlr.TxUpdatedInterval", 0, "ReadWrite"),
    ("SampledDataCtrlr.TxUpdatedMeasurands", "Energy.Active.Import.Register", "ReadWrite"),
    ("SecurityCtrlr.CertificateEntries", 0, "ReadOnly"),
    ("SecurityCtrlr.OrganizationName", "pytest-ocpp", "ReadWrite"),
    ("SecurityCtrlr.SecurityProfile", 1, "ReadOnly"),
    ("SmartChargingCtrlr.Enabled", True, "ReadWrite"),
    ("SmartChargingCtrlr.Entries[ChargingProfiles]", 0, "ReadOnly"),
    ("SmartChargingCtrlr.LimitChangeSignificance", 10.0, "ReadWrite"),
    ("SmartChargingCtrlr.PeriodsPerSchedule", 24, "ReadOnly"),
    ("SmartChargingCtrlr.ProfileStackLevel", 10, "ReadOnly"),
    ("SmartChargingCtrlr.RateUnit", "A,W", "ReadOnly"),
    ("TxCtrlr.EVConnectionTimeOut", 60, "ReadWrite"),
    ("TxCtrlr.StopTxOnEVSideDisconnect", True, "ReadWrite"),
    ("TxCtrlr.StopTxOnInvalidId", True, "ReadWrite"),
    ("TxCtrlr.TxStartPoint", "EVConnected,Authorized", "ReadWrite"),
    ("TxCtrlr.TxStopPoint", "EVConnected", "ReadWrite"),
)


@dataclass
class DeviceModel:
    """The fake station's variables, with the lookups GetVariables/SetVariables and the
    report pages of GetBaseReport/GetReport need. Mutable: a SetVariables the station
    accepts changes what a later GetVariables returns (B05.FR.xx, B06)."""

    variables: dict[VariableKey, Variable] = field(default_factory=dict)

    @classmethod
    def build(cls, evses: int, overrides: Mapping[str, Any] | None = None) -> DeviceModel:
        model = cls()
        for text, value, mutability in _STATION_WIDE:
            model.put(parse_key(text), value, mutability)
        for evse in range(1, evses + 1):
            model.put(
                VariableKey("EVSE", "AvailabilityState", evse_id=evse), "Available", "ReadOnly"
            )
            model.put(VariableKey("EVSE", "Available", evse_id=evse), True, "ReadOnly")
            model.put(VariableKey("EVSE", "Power", evse_id=evse), 22000.0, "ReadOnly")
            model.put(VariableKey("EVSE", "SupplyPhases", evse_id=evse), 3, "ReadOnly")
            where = {"evse_id": evse, "connector_id": 1}
            model.put(
                VariableKey("Connector", "AvailabilityState", **where), "Available", "ReadOnly"
            )
            model.put(VariableKey("Connector", "Available", **where), True, "ReadOnly")
            model.put(VariableKey("Connector", "ConnectorType", **where), "cType2", "ReadOnly")
            model.put(VariableKey("Connector", "SupplyPhases", **where), 3, "ReadOnly")
        for text, spec in (overrides or {}).items():
            key = parse_key(text)
            if isinstance(spec, Mapping):
                unknown = set(spec) - {"value", "mutability", "data_type"}
                if unknown or "value" not in spec:
                    raise ConfigError(
                        f"[device_model] {text}: a table needs 'value' and may have "
                        f"'mutability' and 'data_type'; got {sorted(spec)}"
                    )
                mutability = spec.get("mutability", "ReadWrite")
                if mutability not in ("ReadOnly", "WriteOnly", "ReadWrite"):
                    raise ConfigError(f"[device_model] {text}: mutability {mutability!r}")
                model.put(key, spec["value"], mutability, spec.get("data_type"))
            else:
                model.put(key, spec, "ReadWrite")
        return model

    def put(
        self, key: VariableKey, value: Any, mutability: str, data_type: str | None = None
    ) -> None:
        self.variables[key] = Variable(_text(value), mutability, data_type or _data_type(value))

    def find(self, component: Mapping[str, Any], variable: Mapping[str, Any]) -> VariableKey | None:
        """The key a request's ComponentType/VariableType addresses, or None."""
        evse = component.get("evse") or {}
        key = VariableKey(
            component=component["name"],
            variable=variable["name"],
            component_instance=component.get("instance"),
            variable_instance=variable.get("instance"),
            evse_id=evse.get("id"),
            connector_id=evse.get("connectorId"),
        )
        return key if key in self.variables else None

    def knows_component(self, component: Mapping[str, Any]) -> bool:
        evse = component.get("evse") or {}
        return any(
            k.component == component["name"]
            and k.component_instance == component.get("instance")
            and k.evse_id == evse.get("id")
            and k.connector_id == evse.get("connectorId")
            for k in self.variables
        )

    def value(self, text: str) -> str | None:
        """The value of ``Component.Variable`` (see :func:`parse_key`), for scenario code."""
        variable = self.variables.get(parse_key(text))
        return None if variable is None else variable.value

    # -- B06 GetVariables, B05 SetVariables ---------------------------------------------------
    def get_result(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """One GetVariableResultType (B06.FR.xx: UnknownComponent, UnknownVariable,
        NotSupportedAttributeType, Rejected for WriteOnly)."""
        component, variable = item["component"], item["variable"]
        attribute = item.get("attributeType", "Actual")
        out: dict[str, Any] = {"component": component, "variable": variable}
        if attribute != "Actual":
            out["attributeType"] = attribute
        key = self.find(component, variable)
        if key is None:
            status = (
                "UnknownComponent" if not self.knows_component(component) else "UnknownVariable"
            )
            return {"attributeStatus": status, **out}
        if attribute != "Actual":
            return {"attributeStatus": "NotSupportedAttributeType", **out}
        found = self.variables[key]
        if found.mutability == "WriteOnly":
            return {"attributeStatus": "Rejected", **out}
        return {"attributeStatus": "Accepted", "attributeValue": found.value, **out}

    def set_result(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """One SetVariableResultType, applying the value when Accepted (B05)."""
        component, variable = item["component"], item["variable"]
        attribute = item.get("attributeType", "Actual")
        out: dict[str, Any] = {"component": component, "variable": variable}
        if attribute != "Actual":
            out["attributeType"] = attribute
        key = self.find(component, variable)
        if key is None:
            status = (
                "UnknownComponent" if not self.knows_component(component) else "UnknownVariable"
            )
            return {"attributeStatus": status, **out}
        if attribute != "Actual":
            return {"attributeStatus": "NotSupportedAttributeType", **out}
        found = self.variables[key]
        if found.mutability == "ReadOnly":
            return {"attributeStatus": "Rejected", **out}
        self.variables[key] = replace(found, value=str(item["attributeValue"]))
        return {"attributeStatus": "Accepted", **out}

    # -- B07/B08 reports -----------------------------------------------------------------------
    def report_data(
        self, keys: Iterable[VariableKey] | None = None, *, summary: bool = False
    ) -> list[dict[str, Any]]:
        """ReportDataType entries for ``keys`` (default: all). A SummaryInventory reports only
        the AvailabilityState variables (B07.FR.09: components and their availability)."""
        chosen = list(self.variables) if keys is None else list(keys)
        if summary:
            chosen = [k for k in chosen if k.variable == "AvailabilityState"]
        out = []
        for key in chosen:
            var = self.variables[key]
            attribute: dict[str, Any] = {"type": "Actual", "mutability": var.mutability}
            if var.mutability != "WriteOnly":
                attribute["value"] = var.value
            characteristics: dict[str, Any] = {
                "dataType": var.data_type,
                "supportsMonitoring": False,
            }
            if var.unit:
                characteristics["unit"] = var.unit
            out.append(
                {
                    "component": key.component_json(),
                    "variable": key.variable_json(),
                    "variableAttribute": [attribute],
                    "variableCharacteristics": characteristics,
                }
            )
        return out

    def matching(
        self,
        component_variables: Iterable[Mapping[str, Any]] | None,
        criteria: Iterable[str] | None,
    ) -> list[VariableKey]:
        """The variables a GetReportRequest selects (B08): the listed component/variables
        (a component without a variable means all its variables), filtered by the
        component criteria this model can judge (Available, Enabled, Active, Problem: only
        Available holds for the fake station, which has no problems and nothing Active)."""
        keys = list(self.variables)
        if component_variables:
            selected = []
            for item in component_variables:
                comp, var = item["component"], item.get("variable")
                evse = comp.get("evse") or {}
                for k in keys:
                    if k.component != comp["name"]:
                        continue
                    if comp.get("instance") is not None and k.component_instance != comp.get(
                        "instance"
                    ):
                        continue
                    if evse and (
                        k.evse_id != evse.get("id")
                        or (
                            evse.get("connectorId") is not None
                            and k.connector_id != evse.get("connectorId")
                        )
                    ):
                        continue
                    if var is not None and (
                        k.variable != var["name"]
                        or (
                            var.get("instance") is not None
                            and k.variable_instance != var.get("instance")
                        )
                    ):
                        continue
                    if k not in selected:
                        selected.append(k)
            keys = selected
        if criteria:
            wanted = set(criteria)
            if not wanted & {"Available", "Enabled"}:
                return []  # nothing of the fake station is Active or has a Problem
        return keys
