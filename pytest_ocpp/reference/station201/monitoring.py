"""The reference station's block N monitoring (SetVariableMonitoring, SetMonitoringBase/Level, ClearVariableMonitoring, GetMonitoringReport, NotifyEvent alerts).

``MonitoringHandlers`` holds the ``@on`` handlers (mixed into the ChargePoint of one connection),
``MonitoringMixin`` the station-side state and behaviour (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).

Monitors live on the station object, so they survive reboots (N07.FR.13). Three kinds:

- hard-wired: a Delta monitor on every Connector's AvailabilityState (the NotifyEvent
  HardWiredNotification :mod:`.status` sends at each connector change); never cleared or
  replaced (N06.FR.03, N04.FR.18);
- preconfigured: a Delta monitor on ChargingStation.Problem (:data:`PRECONFIGURED_ID`),
  active under monitoring base All and FactoryDefault, disabled by HardWiredOnly (N03);
- custom: what SetVariableMonitoring installs (ids from :data:`FIRST_CUSTOM_ID`).

Values are checked whenever they may change: after every connector report (``refresh``),
every TransactionEventRequest (``emit``: the EVSE's Power follows its chargingState) and every
SetVariables (``monitored_change``, called by the station). Both overrides are cooperative:
:class:`MonitoringMixin` comes before the status and transaction mixins in the station's bases.
Periodic monitors run a task each. A triggered monitor's NotifyEvent is queued while offline
when its severity is at most MonitoringCtrlr.OfflineQueuingSeverity (N07.FR.04), dropped
otherwise; monitors more severe than the monitoring level stay silent (N07.FR.15).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ocpp.exceptions import OccurrenceConstraintViolationError
from ocpp.routing import on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from pytest_ocpp.reference.station201.device_model import DeviceModel, Variable

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.model import Evse, Session, Transaction
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["MonitoringHandlers", "MonitoringMixin"]

PRECONFIGURED_ID = 101
"""The id of the reference station's preconfigured monitor (Part 5 AQ-6)."""
FIRST_CUSTOM_ID = 1001
HARDWIRED_SEVERITY = 7
PRECONFIGURED_SEVERITY = 4
BASES = ("All", "FactoryDefault", "HardWiredOnly")
TYPES = ("UpperThreshold", "LowerThreshold", "Delta", "Periodic", "PeriodicClockAligned")
CRITERIA = {
    "ThresholdMonitoring": ("UpperThreshold", "LowerThreshold"),
    "DeltaMonitoring": ("Delta",),
    "PeriodicMonitoring": ("Periodic", "PeriodicClockAligned"),
}
NUMERIC = ("integer", "decimal")


@dataclass
class Monitor:
    """One VariableMonitoringType on a device model variable."""

    id: int
    var: Variable
    type: str
    value: float
    severity: int
    kind: str = "CustomMonitor"
    """HardWiredMonitor, PreconfiguredMonitor or CustomMonitor (EventNotificationEnumType)."""
    transaction: bool = False
    boot: int = 0
    """The station's boot count when it was set (defect n_monitors_not_persisted)."""
    reference: str | None = None
    """Delta: the value when set or last reported (N07.FR.18/19)."""
    alerting: bool = False
    """Threshold: exceeded and not yet cleared (N07.FR.02)."""
    task: asyncio.Task[Any] | None = field(default=None, repr=False)
    pending: bool = False
    """Set or replaced by the request being answered: checked once the answer is out."""

    def report(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "transaction": self.transaction,
            "value": self.value,
            "type": self.type,
            "severity": self.severity,
        }


@dataclass
class MonitoringState:
    monitors: dict[int, Monitor]
    preconfigured: list[Monitor]
    """The factory settings of the preconfigured monitors (restored by FactoryDefault/All)."""
    base: str = "All"
    level: int = 9
    next_id: int = FIRST_CUSTOM_ID


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _value_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class MonitoringHandlers:
    """CSMS requests of this block; mixed into the ChargePoint."""

    station: ReferenceStation201
    defer: Callable[[Callable[[], None]], None]

    @on(Action.set_variable_monitoring)
    def on_set_variable_monitoring(
        self, set_monitoring_data: list[dict[str, Any]], **_: Any
    ) -> Any:
        """One result per item, in order (N04.FR.01/02); new and changed monitors are checked
        once the answer is on the wire (N07.FR.11)."""
        st = self.station
        limit = st.model.get_int("MonitoringCtrlr.ItemsPerMessage[SetVariableMonitoring]", 20)
        if len(set_monitoring_data) > limit:
            raise OccurrenceConstraintViolationError(
                description="More setMonitoringData than ItemsPerMessage[SetVariableMonitoring]"
            )
        results = [st.set_monitor(item) for item in set_monitoring_data]
        self.defer(st.monitors_settled)
        return call_result.SetVariableMonitoring(set_monitoring_result=results)

    @on(Action.clear_variable_monitoring)
    def on_clear_variable_monitoring(self, id: list[int], **_: Any) -> Any:
        """One result per id (N06.FR.01/02/03/05)."""
        results = [self.station.clear_monitor(int(number)) for number in id]
        return call_result.ClearVariableMonitoring(clear_monitoring_result=results)

    @on(Action.set_monitoring_base, skip_schema_validation=True)
    def on_set_monitoring_base(self, monitoring_base: Any = None, **_: Any) -> Any:
        """All, FactoryDefault, HardWiredOnly (N03.FR.01/03/04/05); anything else NotSupported
        (N03.FR.02; the schema is not applied so that this answer can be given)."""
        st = self.station
        unknown = monitoring_base not in BASES and not st.has("n_unknown_enum_accepted")
        if unknown or (
            monitoring_base == "FactoryDefault" and st.has("n_factory_default_not_supported")
        ):
            return call_result.SetMonitoringBase(
                status="NotSupported", status_info={"reason_code": "UnsupportedParam"}
            )
        if monitoring_base in BASES:
            st.set_monitoring_base(str(monitoring_base))
        return call_result.SetMonitoringBase(status="Accepted")

    @on(Action.set_monitoring_level)
    def on_set_monitoring_level(self, severity: int, **_: Any) -> Any:
        """0-9 Accepted (N05.FR.01), else Rejected (N05.FR.02)."""
        st = self.station
        if not 0 <= severity <= 9 and not st.has("n_level_range_unchecked"):
            reason = "ValueTooHigh" if severity > 9 else "ValueTooLow"
            return call_result.SetMonitoringLevel(
                status="Rejected", status_info={"reason_code": reason}
            )
        st.monitoring.level = max(0, min(9, int(severity)))
        return call_result.SetMonitoringLevel(status="Accepted")

    @on(Action.get_monitoring_report, skip_schema_validation=True)
    def on_get_monitoring_report(
        self,
        request_id: int,
        monitoring_criteria: list[Any] | None = None,
        component_variable: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> Any:
        """Accepted and NotifyMonitoringReport pages, EmptyResultSet (N02.FR.10) or, for a
        criterion it does not know, NotSupported (N02.FR.02)."""
        st = self.station
        criteria = list(monitoring_criteria or [])
        if any(c not in CRITERIA for c in criteria) and not st.has("n_unknown_enum_accepted"):
            return call_result.GetMonitoringReport(
                status="NotSupported", status_info={"reason_code": "UnsupportedParam"}
            )
        if st.has("n_report_ignores_criteria"):
            criteria = []
        chosen = st.select_monitors(criteria, component_variable or [])
        if not chosen:
            return call_result.GetMonitoringReport(
                status="EmptyResultSet", status_info={"reason_code": "NotFound"}
            )
        self.defer(lambda: st.send_monitoring_report(int(request_id), chosen))
        return call_result.GetMonitoringReport(status="Accepted")


class MonitoringMixin:
    """State and behaviour of this block; mixed into the station."""

    # -- state ---------------------------------------------------------------------------------
    @property
    def monitoring(self: ReferenceStation201) -> MonitoringState:
        state = self.__dict__.get("_monitoring")
        if state is None:
            state = self._factory_monitoring()
            self.__dict__["_monitoring"] = state
        return state

    def _factory_monitoring(self: ReferenceStation201) -> MonitoringState:
        monitors: dict[int, Monitor] = {}
        number = 0
        for evse in self.evses.values():
            for connector in evse.connectors:
                var = self.model.find(f"Connector({evse.id},{connector}).AvailabilityState")
                if var is None:
                    continue
                number += 1
                monitors[number] = Monitor(
                    number, var, "Delta", 1.0, HARDWIRED_SEVERITY, kind="HardWiredMonitor"
                )
        preconfigured = []
        problem = self.model.find("ChargingStation.Problem")
        if problem is not None:
            preconfigured.append(
                Monitor(
                    PRECONFIGURED_ID,
                    problem,
                    "Delta",
                    1.0,
                    PRECONFIGURED_SEVERITY,
                    kind="PreconfiguredMonitor",
                )
            )
        state = MonitoringState(monitors, preconfigured)
        for monitor in preconfigured:
            self._install(state, self._copy(monitor))
        return state

    def _copy(self: ReferenceStation201, monitor: Monitor) -> Monitor:
        return Monitor(
            monitor.id,
            monitor.var,
            monitor.type,
            monitor.value,
            monitor.severity,
            kind=monitor.kind,
            transaction=monitor.transaction,
            boot=self.boot_count,
        )

    def _install(self: ReferenceStation201, state: MonitoringState, monitor: Monitor) -> None:
        old = state.monitors.get(monitor.id)
        if old is not None and old.task is not None:
            old.task.cancel()
        monitor.reference = monitor.var.actual
        state.monitors[monitor.id] = monitor

    def active_monitors(self: ReferenceStation201) -> list[Monitor]:
        """The monitors in force, by id (custom ones set before a reboot are forgotten by the
        defect n_monitors_not_persisted)."""
        state = self.monitoring
        if self.has("n_monitors_not_persisted"):
            for number, monitor in list(state.monitors.items()):
                if monitor.kind == "CustomMonitor" and monitor.boot != self.boot_count:
                    self._drop(number)
        return [state.monitors[k] for k in sorted(state.monitors)]

    def _drop(self: ReferenceStation201, number: int) -> None:
        monitor = self.monitoring.monitors.pop(number, None)
        if monitor is not None and monitor.task is not None:
            monitor.task.cancel()

    # -- N04 SetVariableMonitoring -------------------------------------------------------------
    def set_monitor(self: ReferenceStation201, item: dict[str, Any]) -> dict[str, Any]:
        """One SetMonitoringResultType (N04.FR.03-16)."""
        state = self.monitoring
        kind = str(item.get("type"))
        severity = int(item.get("severity", 0))
        value = float(item.get("value", 0))
        out: dict[str, Any] = {
            "type": kind,
            "severity": severity,
            "component": item["component"],
            "variable": item["variable"],
        }

        def refused(status: str, reason: str) -> dict[str, Any]:
            return {"status": status, "status_info": {"reason_code": reason}, **out}

        var, status = self.model.lookup(item["component"], item["variable"])
        if self.has("n_unknown_status_swapped"):
            swap = {"UnknownComponent": "UnknownVariable", "UnknownVariable": "UnknownComponent"}
            status = swap.get(status, status)
        if var is None:
            return refused(status, "NotFound")
        number = item.get("id")
        existing = state.monitors.get(int(number)) if number is not None else None
        if number is not None:
            if existing is None:
                return refused("Rejected", "NotFound")  # N04.FR.13
            if existing.kind == "HardWiredMonitor":
                return refused("Rejected", "ReadOnly")  # N04.FR.18
            if existing.var is not var and not self.has("n_replace_mismatch_accepted"):
                return refused("Rejected", "InvalidValue")  # N04.FR.16
        numeric = var.data_type in NUMERIC
        if kind in ("UpperThreshold", "LowerThreshold") and not numeric:
            if not self.has("n_threshold_on_any_type"):
                return refused("UnsupportedMonitorType", "UnsupportedParam")  # N04.FR.05
        if kind not in TYPES:
            return refused("UnsupportedMonitorType", "UnsupportedParam")
        if not 0 <= severity <= 9:
            return refused("Rejected", "ValueOutOfRange")
        if not self.has("n_range_unchecked"):
            if kind == "Delta" and value < 0:
                return refused("Rejected", "ValuePositiveOnly")  # N04.FR.14
            if kind in ("Periodic", "PeriodicClockAligned") and value <= 0:
                return refused("Rejected", "ValuePositiveOnly")
            if kind in ("UpperThreshold", "LowerThreshold") and (
                (var.max_limit is not None and value > var.max_limit)
                or (var.min_limit is not None and value < var.min_limit)
            ):
                return refused("Rejected", "ValueOutOfRange")  # N04.FR.06
        others = [m for m in state.monitors.values() if m.var is var and m is not existing]
        if any(m.type == kind and m.severity == severity for m in others):
            if not self.has("n_duplicate_accepted"):
                return refused("Duplicate", "InvalidValue")  # N04.FR.10
        if others and existing is None and self.has("n_second_monitor_rejected"):
            return refused("Rejected", "InvalidValue")
        if existing is not None:
            if self.has("n_replace_ignored"):
                return {"id": existing.id, "status": "Accepted", **out}
            monitor = Monitor(existing.id, var, kind, value, severity, boot=self.boot_count)
            monitor.alerting = existing.alerting and existing.type == kind
        else:
            monitor = Monitor(state.next_id, var, kind, value, severity, boot=self.boot_count)
            state.next_id += 1
        monitor.transaction = bool(item.get("transaction", False))
        self._install(state, monitor)  # N04.FR.12, N04.FR.15: a replaced one is custom now
        monitor.pending = True
        return {"id": monitor.id, "status": "Accepted", **out}

    def monitors_settled(self: ReferenceStation201) -> None:
        """After a SetVariableMonitoringResponse: periodic monitors start, thresholds are
        checked against the value now (N07.FR.11)."""
        for monitor in self.active_monitors():
            if monitor.pending:
                monitor.pending = False
                if monitor.type in ("Periodic", "PeriodicClockAligned"):
                    monitor.task = self.spawn(self._periodic_monitor(monitor))
        self.check_monitors()

    # -- N06 ClearVariableMonitoring -----------------------------------------------------------
    def clear_monitor(self: ReferenceStation201, number: int) -> dict[str, Any]:
        monitor = self.monitoring.monitors.get(number)
        if self.has("n_clear_always_accepted"):
            self._drop(number)
            return {"id": number, "status": "Accepted"}
        if monitor is None:
            return {"id": number, "status": "NotFound", "status_info": {"reason_code": "NotFound"}}
        if monitor.kind == "HardWiredMonitor":
            return {"id": number, "status": "Rejected", "status_info": {"reason_code": "ReadOnly"}}
        if not self.has("n_clear_keeps_monitor"):
            self._drop(number)
        return {"id": number, "status": "Accepted"}

    # -- N03 SetMonitoringBase -----------------------------------------------------------------
    def set_monitoring_base(self: ReferenceStation201, base: str) -> None:
        """All: preconfigured monitors back where missing, custom ones kept (N03.FR.03);
        FactoryDefault: custom ones deleted, preconfigured ones as delivered (N03.FR.04);
        HardWiredOnly: only the hard-wired ones (N03.FR.05)."""
        state = self.monitoring
        state.base = base
        factory = {m.id for m in state.preconfigured}
        for number, monitor in list(state.monitors.items()):
            if monitor.kind == "HardWiredMonitor":
                continue
            custom = monitor.kind == "CustomMonitor" and number not in factory
            if base == "All" and (custom or number in factory):
                continue
            if self.has("n_base_keeps_custom") and custom:
                continue
            self._drop(number)
        if base in ("All", "FactoryDefault"):
            for monitor in state.preconfigured:
                if monitor.id not in state.monitors:
                    self._install(state, self._copy(monitor))

    # -- N02 GetMonitoringReport ---------------------------------------------------------------
    def select_monitors(
        self: ReferenceStation201, criteria: list[str], items: list[dict[str, Any]]
    ) -> list[Monitor]:
        """N02.FR.05/06/08/11-14: the monitors of the types ``criteria`` name (any, if none)
        on the variables ``items`` select (all, if none)."""
        chosen = self.active_monitors()
        if criteria:
            types = {t for c in criteria for t in CRITERIA.get(c, ())}
            chosen = [m for m in chosen if m.type in types]
        if items:
            chosen = [m for m in chosen if any(DeviceModel._selected(m.var, i) for i in items)]
        return chosen

    def send_monitoring_report(
        self: ReferenceStation201, request_id: int, chosen: list[Monitor]
    ) -> None:
        """NotifyMonitoringReportRequests, one MonitoringDataType per variable, at most
        ItemsPerMessage[GetReport] per page, seqNo from 0, tbc on all but the last
        (N02.FR.03/04/09)."""
        grouped: dict[int, dict[str, Any]] = {}
        for monitor in chosen:
            entry = grouped.setdefault(
                id(monitor.var),
                {
                    "component": monitor.var.component_json(),
                    "variable": monitor.var.variable_json(),
                    "variable_monitoring": [],
                },
            )
            entry["variable_monitoring"].append(monitor.report())
        entries = list(grouped.values())
        size = max(1, self.model.get_int("DeviceDataCtrlr.ItemsPerMessage[GetReport]", 20))
        pages = [entries[i : i + size] for i in range(0, len(entries), size)] or [[]]
        shown_id = request_id + 1 if self.has("n_report_wrong_request_id") else request_id
        for number, page in enumerate(pages):
            payload = call.NotifyMonitoringReport(
                request_id=shown_id,
                seq_no=number,
                generated_at=self.ts(),
                monitor=page or None,
                tbc=number < len(pages) - 1,
            )
            self.enqueue(lambda _i, p=payload: p)

    # -- N07/N08 events ------------------------------------------------------------------------
    def monitored_change(self: ReferenceStation201) -> None:
        """A SetVariables took effect: check the monitors (their events survive the reconnect
        a new BasicAuthPassword causes)."""
        self.check_monitors(keep=True)

    def refresh(self: ReferenceStation201, into: list[Any] | None = None) -> None:
        """Connector reports (:class:`.StatusMixin`), then the monitors: an availability may
        have changed, also while offline."""
        super().refresh(into)  # type: ignore[misc]
        self.check_monitors()

    def emit(
        self: ReferenceStation201,
        evse: Evse | None,
        session: Session,
        tx: Transaction,
        event_type: str,
        trigger: str,
        **kwargs: Any,
    ) -> None:
        """A TransactionEventRequest (:class:`.TransactionsMixin`), then the monitors: the
        EVSE's Power follows its chargingState."""
        super().emit(evse, session, tx, event_type, trigger, **kwargs)  # type: ignore[misc]
        self.check_monitors()

    def _availability_event(
        self: ReferenceStation201,
        component: str,
        evse_id: int | None,
        connector_id: int | None,
        value: str,
    ) -> Any:
        """The hard-wired AvailabilityState notification of :class:`.StatusMixin`
        (HardWiredNotification), which the defect n_hardwired_as_custom mislabels."""
        event = super()._availability_event(component, evse_id, connector_id, value)  # type: ignore[misc]
        if self.has("n_hardwired_as_custom"):
            for data in event.event_data:
                data["event_notification_type"] = "CustomMonitor"
        return event

    def evse_power(self: ReferenceStation201, evse_id: int) -> str:
        """EVSE.Power (W, Actual): the meter's power while Charging, else 0."""
        evse = self.evses[evse_id]
        charging = self.charging_state(evse, evse.session) == "Charging"
        return _value_text(float(self.power_w) if charging else 0.0)

    def check_monitors(self: ReferenceStation201, *, keep: bool = False) -> None:
        """Threshold (N07.FR.02/16/17) and Delta (N07.FR.18/19) monitors against the values
        now; hard-wired ones report through :class:`.StatusMixin`."""
        if "_monitoring" not in self.__dict__:
            self.monitoring  # noqa: B018 - create the factory monitors with the first check
        for monitor in self.active_monitors():
            if monitor.kind == "HardWiredMonitor" or monitor.type not in (
                "UpperThreshold",
                "LowerThreshold",
                "Delta",
            ):
                continue
            if monitor.transaction and not self._in_transaction(monitor):
                continue  # VariableMonitoringType.transaction: only while one runs
            current = monitor.var.actual
            if monitor.type == "Delta":
                before = monitor.reference
                if monitor.var.data_type in NUMERIC and not self.has("n_numeric_delta_any_change"):
                    now, then = _number(current), _number(before or "")
                    changed = now is not None and (then is None or abs(now - then) > monitor.value)
                else:
                    changed = current != before
                if changed:
                    monitor.reference = current
                    self.monitor_event(monitor, "Delta", current, keep=keep)
                continue
            number = _number(current)
            if number is None:
                continue
            if monitor.type == "UpperThreshold":
                exceeded = number > monitor.value
            else:
                exceeded = number < monitor.value
            if exceeded == monitor.alerting:
                continue
            monitor.alerting = exceeded
            if not exceeded and self.has("n_no_cleared_event"):
                continue
            self.monitor_event(monitor, "Alerting", current, cleared=not exceeded, keep=keep)

    async def _periodic_monitor(self: ReferenceStation201, monitor: Monitor) -> None:
        """Periodic: every ``value`` seconds from when it was set (N08.FR.06);
        PeriodicClockAligned: at the clock multiples of ``value`` (N08.FR.07)."""
        interval = max(0.001, monitor.value)
        while True:
            if monitor.type == "PeriodicClockAligned":
                await asyncio.sleep(interval - (time.time() % interval))
            else:
                await asyncio.sleep(interval)
            if self.has("n_periodic_silent"):
                continue
            if monitor.transaction and not self._in_transaction(monitor):
                continue
            self.monitor_event(monitor, "Periodic", monitor.var.actual)

    def _in_transaction(self: ReferenceStation201, monitor: Monitor) -> bool:
        """A transaction runs on the monitor's EVSE (anywhere, for a station-wide one)."""
        evse_id = monitor.var.evse_id
        return any(
            evse.session is not None
            and evse.session.tx is not None
            and (evse_id is None or evse.id == evse_id)
            for evse in self.evses.values()
        )

    def monitor_event(
        self: ReferenceStation201,
        monitor: Monitor,
        trigger: str,
        value: str,
        *,
        cleared: bool = False,
        keep: bool = False,
    ) -> None:
        """One NotifyEventRequest (seqNo 0, N07.FR.07) naming the component, variable and
        monitor (N07.FR.06); a WriteOnly value is not disclosed (N07.FR.10). Silent above the
        monitoring level (N07.FR.15); queued offline up to OfflineQueuingSeverity (N07.FR.04)."""
        if monitor.severity > self.monitoring.level and not self.has("n_level_ignored"):
            return
        if monitor.var.mutability == "WriteOnly" and not self.has("n_write_only_value_disclosed"):
            value = ""
        self._event_id += 1
        data: dict[str, Any] = {
            "event_id": self._event_id,
            "timestamp": self.ts(),
            "trigger": trigger,
            "actual_value": value[:2500],
            "event_notification_type": monitor.kind,
            "component": monitor.var.component_json(),
            "variable": monitor.var.variable_json(),
        }
        if not self.has("n_event_without_monitor_id"):
            data["variable_monitoring_id"] = monitor.id
        if cleared:
            data["cleared"] = True
        evse_id = monitor.var.evse_id
        if evse_id is not None and evse_id in self.evses:
            session = self.evses[evse_id].session
            if session is not None and session.tx is not None:
                data["transaction_id"] = session.tx.id
        event = call.NotifyEvent(generated_at=self.ts(), seq_no=0, event_data=[data])
        queue_up_to = self.model.get_int("MonitoringCtrlr.OfflineQueuingSeverity", -1)
        if self.has("n_offline_events_dropped"):
            queue_up_to = -1
        if self.has("n_offline_queue_all"):
            queue_up_to = 9
        queued = monitor.severity <= queue_up_to
        self.enqueue(lambda _i: event, kind="keep" if queued or keep else "volatile")

    def monitoring_base_name(self: ReferenceStation201) -> str:
        return self.monitoring.base

    def monitoring_level_text(self: ReferenceStation201) -> str:
        return str(self.monitoring.level)
