"""Device model of the reference 2.0.1 station (Part 1 §4, Part 2 B05-B08).

The variables are the required ones of ``dm_components_vars.csv`` (Required? = yes) for the
controllers of the functional blocks this station implements, plus the optional ones it
honours (AuthCacheCtrlr, LocalAuthListCtrlr, RetryBackOff*, ...), with the values of the
Part 6 §2.1 general preconditions (AuthCtrlr.LocalPreAuthorize false). Each EVSE has an EVSE
component and one Connector component per connector. Live values (AvailabilityState,
ClockCtrlr.DateTime, LocalAuthListCtrlr.Entries) come from getters.

Values are strings as on the wire; :meth:`DeviceModel.set` validates them by dataType
(B05.FR.07/08: Rejected, reasonCode InvalidValue) and ``on_change`` tells the station, which
applies them (HeartbeatInterval, TxStartPoint, ...).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ocpp.exceptions import OccurrenceConstraintViolationError
from ocpp.routing import on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["MEASURANDS", "DeviceModel", "DeviceModelHandlers", "Variable"]

MEASURANDS = ("Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage")
"""The measurands this station's meter provides (SampledDataCtrlr/AlignedDataCtrlr lists)."""

TX_POINTS = "ParkingBayOccupancy,EVConnected,Authorized,PowerPathClosed,EnergyTransfer"
"""TxStartPoint/TxStopPoint values this station supports (no signing meter: no DataSigned)."""

AVAILABILITY = "Available,Occupied,Reserved,Unavailable,Faulted"
_ID_CHARS = re.compile(r"^[A-Za-z0-9*\-_=:+|@.]+$")


def valid_password(text: str) -> bool:
    """BasicAuthPassword: 16 to 40 identifierString characters (A01, TC_A_10)."""
    return 16 <= len(text) <= 40 and bool(_ID_CHARS.match(text))


@dataclass
class Variable:
    """One component variable with its Actual attribute and characteristics."""

    component: str
    name: str
    value: str = ""
    mutability: str = "ReadWrite"
    data_type: str = "string"
    unit: str | None = None
    values_list: str | None = None
    min_limit: float | None = None
    max_limit: float | None = None
    component_instance: str | None = None
    variable_instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    getter: Callable[[], str] | None = None
    validator: Callable[[str], bool] | None = None
    set_by_csms: bool = False

    @property
    def actual(self) -> str:
        return self.getter() if self.getter is not None else self.value

    def component_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.component}
        if self.component_instance:
            out["instance"] = self.component_instance
        if self.evse_id is not None:
            out["evse"] = {"id": self.evse_id}
            if self.connector_id is not None:
                out["evse"]["connector_id"] = self.connector_id
        return out

    def variable_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.variable_instance:
            out["instance"] = self.variable_instance
        return out

    def check(self, text: str) -> bool:
        """Is ``text`` a valid value for this variable (B05.FR.07/08)?"""
        kind = self.data_type
        if kind == "integer":
            if not re.fullmatch(r"-?\d+", text.strip()):
                return False
            number: float = int(text)
        elif kind == "decimal":
            try:
                number = float(text)
            except ValueError:
                return False
        elif kind == "boolean":
            return text.strip().lower() in ("true", "false")
        elif kind == "dateTime":
            try:
                datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return False
            return True
        elif kind in ("OptionList", "MemberList", "SequenceList"):
            allowed = (self.values_list or "").split(",")
            items = [t.strip() for t in text.split(",")] if text.strip() else []
            if kind == "OptionList":
                return len(items) == 1 and items[0] in allowed
            return all(t in allowed for t in items) and len(set(items)) == len(items)
        else:
            return self.max_limit is None or len(text) <= self.max_limit
        if self.min_limit is not None and number < self.min_limit:
            return False
        return self.max_limit is None or number <= self.max_limit

    def normalize(self, text: str) -> str:
        if self.data_type == "boolean":
            return text.strip().lower()
        if self.data_type in ("MemberList", "SequenceList"):
            return ",".join(t.strip() for t in text.split(",") if t.strip())
        return text.strip() if self.data_type in ("integer", "decimal", "OptionList") else text


_PATH = re.compile(
    r"^(?P<component>[A-Za-z0-9_]+)(?::(?P<cinst>[A-Za-z0-9_-]+))?"
    r"(?:\((?P<evse>\d+)(?:,(?P<connector>\d+))?\))?"
    r"\.(?P<variable>[A-Za-z0-9_]+)(?:\[(?P<vinst>[A-Za-z0-9_-]+)\])?$"
)

_Key = tuple[str, str | None, int | None, int | None, str, str | None]


def parse_path(path: str) -> _Key:
    """``Component[:instance][(evse[,connector])].Variable[[instance]]`` → a lookup key."""
    match = _PATH.match(path)
    if match is None:
        raise ValueError(
            f"{path!r} is not Component.Variable (optionally Component:instance, "
            "Component(evse) or Component(evse,connector), Variable[instance])"
        )
    return (
        match["component"],
        match["cinst"],
        int(match["evse"]) if match["evse"] else None,
        int(match["connector"]) if match["connector"] else None,
        match["variable"],
        match["vinst"],
    )


def _key(v: Variable) -> _Key:
    return (
        v.component,
        v.component_instance,
        v.evse_id,
        v.connector_id,
        v.name,
        v.variable_instance,
    )


class DeviceModel:
    """The station's variables, with the lookups B05-B08 need."""

    def __init__(self) -> None:
        self.variables: dict[_Key, Variable] = {}
        self.on_change: Callable[[Variable], None] | None = None

    def add(self, path: str, value: Any = "", mutability: str = "ReadWrite", **extra: Any) -> None:
        component, cinst, evse, connector, name, vinst = parse_path(path)
        if isinstance(value, bool):
            extra.setdefault("data_type", "boolean")
            text = "true" if value else "false"
        elif isinstance(value, int):
            extra.setdefault("data_type", "integer")
            text = str(value)
        elif isinstance(value, float):
            extra.setdefault("data_type", "decimal")
            text = str(value)
        else:
            text = str(value)
        variable = Variable(
            component=component,
            name=name,
            value=text,
            mutability=mutability,
            component_instance=cinst,
            variable_instance=vinst,
            evse_id=evse,
            connector_id=connector,
            **extra,
        )
        self.variables[_key(variable)] = variable

    def find(self, path: str) -> Variable | None:
        return self.variables.get(parse_path(path))

    def value(self, path: str) -> str:
        variable = self.find(path)
        if variable is None:
            raise KeyError(f"The device model has no {path}")
        return variable.actual

    def get_int(self, path: str, default: int = 0) -> int:
        try:
            return int(self.value(path))
        except (KeyError, ValueError):
            return default

    def get_bool(self, path: str, default: bool = False) -> bool:
        try:
            return self.value(path).strip().lower() == "true"
        except KeyError:
            return default

    def members(self, path: str) -> list[str]:
        try:
            text = self.value(path)
        except KeyError:
            return []
        return [t.strip() for t in text.split(",") if t.strip()]

    def override(self, path: str, value: str) -> None:
        """Set an initial value regardless of mutability (constructor ``variables``)."""
        variable = self.find(path)
        if variable is None:
            raise ValueError(f"The device model has no variable {path}")
        if not variable.check(value):
            raise ValueError(f"{value!r} is not a valid value for {path} ({variable.data_type})")
        variable.value = variable.normalize(value)

    # ------------------------------------------------------------------ lookups by request

    @staticmethod
    def _matches(v: Variable, component: Mapping[str, Any]) -> bool:
        evse = component.get("evse") or {}
        if v.component != component.get("name"):
            return False
        if (component.get("instance") or None) != v.component_instance:
            return False
        return v.evse_id == evse.get("id") and v.connector_id == evse.get("connector_id")

    def lookup(
        self, component: Mapping[str, Any], variable: Mapping[str, Any]
    ) -> tuple[Variable | None, str]:
        """The variable a ComponentType/VariableType pair addresses, or the attributeStatus
        saying why there is none (B05.FR.04/05, B06.FR.06/07/15)."""
        in_component = [v for v in self.variables.values() if self._matches(v, component)]
        if not in_component:
            return None, "UnknownComponent"
        for v in in_component:
            if v.name == variable.get("name") and v.variable_instance == (
                variable.get("instance") or None
            ):
                return v, "Accepted"
        return None, "UnknownVariable"

    def get_result(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """One GetVariableResultType (B06)."""
        attribute = item.get("attribute_type") or "Actual"
        out: dict[str, Any] = {
            "component": item["component"],
            "variable": item["variable"],
            "attribute_type": attribute,
        }
        found, status = self.lookup(item["component"], item["variable"])
        if found is None:
            return {"attribute_status": status, **out}
        if attribute != "Actual":
            return {"attribute_status": "NotSupportedAttributeType", **out}
        if found.mutability == "WriteOnly":
            return {"attribute_status": "Rejected", **out}  # B06.FR.09
        return {"attribute_status": "Accepted", "attribute_value": found.actual[:2500], **out}

    def set_result(
        self,
        item: Mapping[str, Any],
        *,
        accept_read_only: bool = False,
        validate: bool = True,
        apply: bool = True,
    ) -> tuple[dict[str, Any], Variable | None]:
        """One SetVariableResultType (B05); the changed variable when Accepted. ``validate``
        and ``apply`` false are defects (b_set_value_not_validated, b_set_not_applied)."""
        attribute = item.get("attribute_type") or "Actual"
        out: dict[str, Any] = {
            "component": item["component"],
            "variable": item["variable"],
            "attribute_type": attribute,
        }
        found, status = self.lookup(item["component"], item["variable"])
        if found is None:
            return {"attribute_status": status, **out}, None
        if attribute != "Actual":
            return {"attribute_status": "NotSupportedAttributeType", **out}, None
        value = str(item.get("attribute_value", ""))
        if found.mutability == "ReadOnly" and not accept_read_only:
            info = {"reason_code": "ReadOnly"}
            return {"attribute_status": "Rejected", "attribute_status_info": info, **out}, None
        valid = found.check(value) and (found.validator is None or found.validator(value))
        if not valid and validate:
            info = {"reason_code": "InvalidValue"}
            return {"attribute_status": "Rejected", "attribute_status_info": info, **out}, None
        if not apply:
            return {"attribute_status": "Accepted", **out}, None
        found.value = found.normalize(value) if valid else value
        found.set_by_csms = True
        return {"attribute_status": "Accepted", **out}, found

    # ------------------------------------------------------------------ reports (B07, B08)

    def report_entry(self, v: Variable) -> dict[str, Any]:
        """ReportDataType with variableCharacteristics (B07.FR.07/08, B08.FR.12); a WriteOnly
        value is not disclosed (TC_B_53)."""
        attribute: dict[str, Any] = {
            "type": "Actual",
            "mutability": v.mutability,
            "persistent": True,
            "constant": v.mutability == "ReadOnly" and v.getter is None,
        }
        if v.mutability != "WriteOnly":
            attribute["value"] = v.actual[:2500]
        characteristics: dict[str, Any] = {"data_type": v.data_type, "supports_monitoring": True}
        if v.unit:
            characteristics["unit"] = v.unit
        if v.values_list:
            characteristics["values_list"] = v.values_list
        if v.min_limit is not None:
            characteristics["min_limit"] = v.min_limit
        if v.max_limit is not None:
            characteristics["max_limit"] = v.max_limit
        return {
            "component": v.component_json(),
            "variable": v.variable_json(),
            "variable_attribute": [attribute],
            "variable_characteristics": characteristics,
        }

    def base_report(self, report_base: str) -> list[Variable]:
        """The variables of a base report (B07.FR.07/08/09)."""
        every = list(self.variables.values())
        if report_base == "ConfigurationInventory":
            return [v for v in every if v.mutability in ("ReadWrite", "WriteOnly")]
        if report_base == "SummaryInventory":
            return [
                v
                for v in every
                if v.name == "AvailabilityState" or (v.name == "Problem" and v.actual == "true")
            ]
        return every

    def custom_report(
        self,
        criteria: Iterable[str] | None,
        component_variables: Iterable[Mapping[str, Any]] | None,
    ) -> list[Variable]:
        """The variables a GetReportRequest selects (B08.FR.05-25): components meeting any
        criterion (logical OR, B08.FR.13), narrowed to componentVariable when given."""
        chosen = list(self.variables.values())
        wanted = list(criteria or ())
        if wanted:
            chosen = [v for v in chosen if any(self._meets(v, c) for c in wanted)]
        items = list(component_variables or ())
        if items:
            chosen = [v for v in chosen if any(self._selected(v, item) for item in items)]
        return chosen

    def _component_flag(self, v: Variable, flag: str) -> str | None:
        for other in self.variables.values():
            if (
                other.name == flag
                and other.variable_instance is None
                and (other.component, other.component_instance, other.evse_id, other.connector_id)
                == (v.component, v.component_instance, v.evse_id, v.connector_id)
            ):
                return other.actual
        return None

    def _meets(self, v: Variable, criterion: str) -> bool:
        value = self._component_flag(v, criterion)
        if criterion == "Problem":
            return value == "true"
        return value is None or value == "true"  # B08.FR.07/08/09

    @staticmethod
    def _selected(v: Variable, item: Mapping[str, Any]) -> bool:
        component = item.get("component") or {}
        if v.component != component.get("name"):
            return False
        if component.get("instance") is not None and v.component_instance != component.get(
            "instance"
        ):
            return False  # B08.FR.24/25
        evse = component.get("evse")
        if evse is not None:
            if v.evse_id != evse.get("id"):
                return False
            if evse.get("connector_id") is not None and v.connector_id != evse["connector_id"]:
                return False  # B08.FR.22
        variable = item.get("variable")
        if variable is None:
            return True  # B08.FR.20
        if v.name != variable.get("name"):
            return False
        return variable.get("instance") is None or v.variable_instance == variable["instance"]


class DeviceModelHandlers:
    """GetVariables, SetVariables, GetBaseReport, GetReport (B05-B08); mixed into the
    station's ``ocpp`` ChargePoint, which provides ``station`` and ``defer``."""

    station: ReferenceStation201
    defer: Callable[[Callable[[], None]], None]

    @on(Action.get_variables)
    def on_get_variables(self, get_variable_data: list[dict[str, Any]], **_: Any) -> Any:
        """One result per requested item, in order (B06.FR.01-15); more items than
        ItemsPerMessage[GetVariables] is refused (B06.FR.16)."""
        model = self.station.model
        if len(get_variable_data) > model.get_int(
            "DeviceDataCtrlr.ItemsPerMessage[GetVariables]", 50
        ):
            raise OccurrenceConstraintViolationError(
                description="More GetVariableData than ItemsPerMessage[GetVariables]"
            )
        items = _broken_items(self.station, get_variable_data)
        results = [model.get_result(item) for item in items]
        return call_result.GetVariables(get_variable_result=_broken_results(self.station, results))

    @on(Action.set_variables)
    def on_set_variables(self, set_variable_data: list[dict[str, Any]], **_: Any) -> Any:
        """One result per item (B05.FR.01-13); the changes take effect once the answer is on
        the wire (a new HeartbeatInterval, a reconnect with a new BasicAuthPassword)."""
        st = self.station
        if len(set_variable_data) > st.model.get_int(
            "DeviceDataCtrlr.ItemsPerMessage[SetVariables]", 50
        ):
            raise OccurrenceConstraintViolationError(
                description="More SetVariableData than ItemsPerMessage[SetVariables]"
            )
        results = []
        changed: list[Variable] = []
        for item in _broken_items(st, set_variable_data):
            result, variable = st.model.set_result(
                item,
                accept_read_only=st.has("set_variables_accepts_read_only"),
                validate=not st.has("b_set_value_not_validated"),
                apply=not st.has("b_set_not_applied"),
            )
            if st.has("b_set_variables_always_rejected"):
                result, variable = {**result, "attribute_status": "Rejected"}, None
            results.append(result)
            if variable is not None:
                changed.append(variable)
        results = _broken_results(st, results)
        for variable in changed:
            self.defer(lambda v=variable: st.variable_changed(v))
        return call_result.SetVariables(set_variable_result=results)

    @on(Action.get_base_report)
    def on_get_base_report(self, request_id: int, report_base: str, **_: Any) -> Any:
        """Accepted, then NotifyReport pages (B07.FR.01/03/04/10)."""
        chosen = self.station.model.base_report(report_base)
        self.defer(lambda: self.station.send_report(request_id, chosen))
        return call_result.GetBaseReport(status="Accepted")

    @on(Action.get_report)
    def on_get_report(
        self,
        request_id: int,
        component_variable: list[dict[str, Any]] | None = None,
        component_criteria: list[str] | None = None,
        **_: Any,
    ) -> Any:
        """Accepted and NotifyReport pages, or EmptyResultSet (B08.FR.01/15); more
        componentVariable than ItemsPerMessage[GetReport] is refused (B08.FR.17)."""
        model = self.station.model
        if component_variable and len(component_variable) > model.get_int(
            "DeviceDataCtrlr.ItemsPerMessage[GetReport]", 20
        ):
            raise OccurrenceConstraintViolationError(
                description="More componentVariable than ItemsPerMessage[GetReport]"
            )
        if self.station.has("b_component_criteria_ignored"):
            component_criteria = None
        chosen = model.custom_report(component_criteria, component_variable)
        chosen = _report_defects(self.station, chosen, component_variable or [])
        if not chosen:
            return call_result.GetReport(
                status="EmptyResultSet", status_info={"reason_code": "NotFound"}
            )
        self.defer(lambda: self.station.send_report(request_id, chosen))
        return call_result.GetReport(status="Accepted")


def _broken_items(
    station: ReferenceStation201, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The Get/SetVariableData a defective station looks at (b_multiple_items_first_only,
    b_attribute_type_ignored); all of them, unchanged, for a conformant one."""
    if station.has("b_multiple_items_first_only"):
        items = items[:1]
    if station.has("b_attribute_type_ignored"):
        items = [{**item, "attribute_type": "Actual"} for item in items]
    return items


def _broken_results(station: ReferenceStation201, results: list[dict[str, Any]]) -> list[Any]:
    """b_unknown_status_swapped: UnknownComponent and UnknownVariable change places."""
    if not station.has("b_unknown_status_swapped"):
        return results
    swap = {"UnknownComponent": "UnknownVariable", "UnknownVariable": "UnknownComponent"}
    return [
        {**r, "attribute_status": swap.get(r["attribute_status"], r["attribute_status"])}
        for r in results
    ]


def _report_defects(
    station: Any, chosen: list[Variable], items: list[dict[str, Any]]
) -> list[Variable]:
    """The GetReport defects of block B (b_report_instance_ignored, b_report_first_evse_only)."""
    if station.has("b_report_instance_ignored"):
        if any((item.get("variable") or {}).get("instance") for item in items):
            wanted = {
                (
                    (item.get("component") or {}).get("name"),
                    (item.get("variable") or {}).get("name"),
                )
                for item in items
            }
            chosen = [
                v for v in station.model.variables.values() if (v.component, v.name) in wanted
            ]
        else:
            seen: set[tuple[Any, ...]] = set()
            first: list[Variable] = []
            for v in chosen:
                key = (v.component, v.component_instance, v.evse_id, v.connector_id, v.name)
                if key not in seen:
                    seen.add(key)
                    first.append(v)
            chosen = first
    if station.has("b_report_first_evse_only"):
        chosen = [v for v in chosen if v.component != "EVSE" or v.evse_id in (None, 1)]
    return chosen


def notify_report_pages(
    model: DeviceModel,
    request_id: int,
    chosen: list[Variable],
    generated_at: str,
    first_seq_no: int = 0,
) -> list[Any]:
    """NotifyReportRequests of at most ItemsPerMessage[GetReport] entries each, seqNo from 0
    (``first_seq_no`` 1 is the defect b_report_seq_no_from_one), tbc on all but the last
    (B07.FR.10, B08.FR.14)."""
    size = max(1, model.get_int("DeviceDataCtrlr.ItemsPerMessage[GetReport]", 20))
    entries = [model.report_entry(v) for v in chosen]
    pages = [entries[i : i + size] for i in range(0, len(entries), size)] or [[]]
    return [
        call.NotifyReport(
            request_id=request_id,
            generated_at=generated_at,
            seq_no=number + first_seq_no,
            report_data=page or None,
            tbc=number < len(pages) - 1,
        )
        for number, page in enumerate(pages)
    ]
