"""Shared steps of the 2.0.1 station-side N monitoring cases (:mod:`.test_monitoring`,
:mod:`.test_monitoring_set`, :mod:`.test_monitoring_events`).

OCTT's configured values are ``[station]`` keys (defaults in :data:`DEFAULTS`): the
"<Configured threshold monitor component variable>" is ``monitor_threshold_variable``
(``EVSE.Power``: a component EVSE or Connector without an evse gets the configured EVSE and
connector), its trigger / non-trigger / out-of-range values, the numeric and non-numeric Delta
variables, the <Configured severity>, the <Configured Clock Aligned MeterValues Interval>
(``clock_aligned_data_interval``, default 1 s: the shortest), the unsupported criterion and
base of TC_N_04/07, and the ids of a hard-wired (AQ-5) and a preconfigured (AQ-6) monitor.

Everything a case installs is undone when the next case starts (``csms.after_case``): every
monitor it created is cleared, a monitoring level or base it set is put back.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Callable, Iterable
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.station.device_model import parse_key
from pytest_ocpp.verdicts import check

DEFAULTS: dict[str, Any] = {
    "monitor_severity": 5,
    "monitor_threshold_variable": "EVSE.Power",
    "monitor_upper_trigger_value": 100.0,
    "monitor_lower_trigger_value": 10.0,
    "monitor_upper_non_trigger_value": 21999.0,
    "monitor_out_of_range_value": 30000.0,
    "monitor_delta_variable": "EVSE.Power",
    "monitor_delta_value": 100.0,
    "monitor_non_numeric_variable": "EVSE.AvailabilityState",
    "monitoring_unsupported_criterion": "UnknownMonitoring",
    "monitoring_unsupported_base": "UnknownBase",
}
"""The ``[station]`` keys of these cases and their defaults (fit for the reference station:
EVSE.Power is 0 W idle and the meter's power while charging, maxLimit 22000 W)."""

ABSENCE_WINDOW = 1.0
"""Seconds a step that must NOT bring a message waits for it (absence cannot be awaited)."""

ORDINARY_ERRORS = (
    "FormatViolation",
    "FormationViolation",
    "PropertyConstraintViolation",
    "TypeConstraintViolation",
    "OccurrenceConstraintViolation",
    "NotSupported",
    "NotImplemented",
)
"""CALLERRORs a station may answer a request with a value outside the schema's enumeration."""

_FIRST_REQUEST_ID = random.randint(1000, 9000)
_request_ids = itertools.count(_FIRST_REQUEST_ID)


def setting(csms: FakeCsms201, key: str) -> Any:
    return csms.config.station.extra.get(key, DEFAULTS.get(key))


def severity(csms: FakeCsms201) -> int:
    return int(setting(csms, "monitor_severity"))


def interval(csms: FakeCsms201) -> int:
    """<Configured Clock Aligned MeterValues Interval>: 1 s unless configured."""
    return max(1, int(csms.config.station.extra.get("clock_aligned_data_interval", 1)))


def request_id() -> int:
    return next(_request_ids)


def earlier_request(number: object, current: int) -> bool:
    """True for the requestId of a report this run asked for before ``current``: its late
    pages (a case that failed before reading them all) are legal traffic, not this request's."""
    return isinstance(number, int) and _FIRST_REQUEST_ID <= number < current


def cv(csms: FakeCsms201, text: str) -> dict[str, Any]:
    """``Component[(evse[,connector])].Variable`` as componentVariable JSON; an EVSE or
    Connector component without an evse is the configured one."""
    key = parse_key(text)
    component = key.component_json()
    if key.component in ("EVSE", "Connector") and key.evse_id is None:
        component["evse"] = {"id": csms.evse}
        if key.component == "Connector":
            component["evse"]["connectorId"] = csms.connector
    return {"component": component, "variable": key.variable_json()}


def evse_availability(csms: FakeCsms201) -> dict[str, Any]:
    return cv(csms, "EVSE.AvailabilityState")


def station_availability() -> dict[str, Any]:
    return {"component": {"name": "ChargingStation"}, "variable": {"name": "AvailabilityState"}}


def same_cv(item: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Same component (name, instance, evse) and variable (name, instance)."""
    a, b = item.get("component") or {}, wanted["component"]
    if a.get("name") != b.get("name") or a.get("instance") != b.get("instance"):
        return False
    ea, eb = a.get("evse") or {}, b.get("evse") or {}
    if ea.get("id") != eb.get("id") or ea.get("connectorId") != eb.get("connectorId"):
        return False
    va, vb = item.get("variable") or {}, wanted["variable"]
    return va.get("name") == vb.get("name") and va.get("instance") == vb.get("instance")


def shown(target: dict[str, Any]) -> str:
    component = target["component"]
    evse = component.get("evse") or {}
    where = ""
    if evse:
        where = f"({evse.get('id')}" + (
            f",{evse['connectorId']})" if "connectorId" in evse else ")"
        )
    return f"{component['name']}{where}.{target['variable']['name']}"


def data(target: dict[str, Any], kind: str, value: float, sev: int, **extra: Any) -> dict:
    """One SetMonitoringDataType."""
    return {"value": value, "type": kind, "severity": sev, **target, **extra}


# -- requests --------------------------------------------------------------------------------
def forget_monitor(csms: FakeCsms201, number: int) -> None:
    """Post-condition: the monitor goes when the next case starts."""

    async def undo(sut: StationConnection) -> None:
        await sut.link.call("ClearVariableMonitoring", {"id": [number]}, allow_error=True)

    csms.after_case(f"monitor {number}", undo)


async def set_monitoring(
    csms: FakeCsms201, sut: StationConnection, items: list[dict[str, Any]], label: str
) -> list[dict[str, Any]]:
    """SetVariableMonitoringRequest with ``items``; one result per item (N04.FR.01). Every
    Accepted monitor is cleared when the next case starts."""
    step(label)
    answer = await sut.call("SetVariableMonitoring", {"setMonitoringData": items})
    results = answer.get("setMonitoringResult") or []
    for result in results:
        if result.get("status") == "Accepted" and result.get("id") is not None:
            forget_monitor(csms, int(result["id"]))
    check(
        len(results) == len(items),
        f"{label}: one setMonitoringResult per setMonitoringData ({len(items)}, N04.FR.01)",
        answer,
    )
    return results


async def install(
    csms: FakeCsms201, sut: StationConnection, item: dict[str, Any], label: str
) -> int:
    """A Memory State monitor: SetVariableMonitoring answered Accepted with an id."""
    result = (await set_monitoring(csms, sut, [item], label))[0]
    check(
        result.get("status") == "Accepted" and result.get("id") is not None,
        f"{label}: setMonitoringResult status Accepted with an id (the monitor this case needs)",
        result,
    )
    return int(result["id"])


async def ensure_delta(
    csms: FakeCsms201, sut: StationConnection, target: dict[str, Any], label: str
) -> None:
    """A Memory State "a Delta monitor on X must be present as hard-wired, preconfigured or
    configured by CSMS": configured (Delta, value 1, N04.FR.17); Duplicate means one exists."""
    result = (await set_monitoring(csms, sut, [data(target, "Delta", 1, severity(csms))], label))[0]
    check(
        result.get("status") in ("Accepted", "Duplicate"),
        f"{label}: a Delta monitor on {shown(target)} Accepted (or Duplicate: it exists)",
        result,
    )


def result_for(
    results: list[dict[str, Any]], match: Callable[[dict[str, Any]], bool], what: str
) -> dict[str, Any]:
    found = [r for r in results if match(r)]
    check(bool(found), f"a setMonitoringResult for {what}", results)
    return found[0]


def check_result(
    result: dict[str, Any],
    label: str,
    *,
    status: str | Iterable[str],
    item: dict[str, Any],
    reasons: Iterable[str] = ("NoError",),
    id_absent: bool = False,
) -> None:
    """A SetMonitoringResult: status, type, severity, component and variable as sent,
    statusInfo absent or one of ``reasons``."""
    wanted = (status,) if isinstance(status, str) else tuple(status)
    check(
        result.get("status") in wanted,
        f"{label}: setMonitoringResult status {' or '.join(wanted)}",
        result,
    )
    check(
        result.get("type") == item["type"] and result.get("severity") == item["severity"],
        f"{label}: setMonitoringResult type {item['type']}, severity {item['severity']}",
        result,
    )
    check(
        same_cv(result, item),
        f"{label}: setMonitoringResult component/variable {shown(item)} (N04.FR.02)",
        result,
    )
    reason = (result.get("statusInfo") or {}).get("reasonCode")
    allowed = tuple(reasons)
    check(
        reason is None or reason in allowed,
        f"{label}: statusInfo absent or reasonCode {' or '.join(allowed)}",
        result,
    )
    if id_absent:
        check(result.get("id") is None, f"{label}: setMonitoringResult id absent", result)
    elif "Accepted" in wanted:
        check(result.get("id") is not None, f"{label}: setMonitoringResult id present", result)


def check_status(answer: dict[str, Any], label: str, status: str, reasons: Iterable[str]) -> None:
    allowed = tuple(reasons)
    check(answer.get("status") == status, f"{label}: status {status}", answer)
    reason = (answer.get("statusInfo") or {}).get("reasonCode")
    check(
        reason is None or reason in allowed,
        f"{label}: statusInfo absent or reasonCode {' or '.join(allowed)}",
        answer,
    )


async def set_level(csms: FakeCsms201, sut: StationConnection, level: int, label: str) -> None:
    """SetMonitoringLevelRequest, Accepted; level 9 (report everything) comes back when the
    next case starts (the station's own initial level when it reports one)."""
    before = await csms.get_variable(sut, "MonitoringCtrlr.ActiveMonitoringLevel")

    async def undo(sut: StationConnection) -> None:
        back = int(before) if before and before.strip().lstrip("-").isdigit() else 9
        await sut.link.call("SetMonitoringLevel", {"severity": back}, allow_error=True)

    step(label)
    answer = await sut.call("SetMonitoringLevel", {"severity": level})
    csms.after_case("monitoring level", undo)
    check_status(answer, f"{label} response", "Accepted", ("NoError",))


async def set_base(
    csms: FakeCsms201, sut: StationConnection, base: str, label: str
) -> dict[str, Any]:
    """SetMonitoringBaseRequest; monitoring base All (preconfigured monitors active, custom
    ones kept, N03.FR.03) when the next case starts."""

    async def undo(sut: StationConnection) -> None:
        await sut.link.call("SetMonitoringBase", {"monitoringBase": "All"}, allow_error=True)

    step(label)
    csms.after_case("monitoring base", undo)
    return await sut.call("SetMonitoringBase", {"monitoringBase": base})


async def call_unchecked(
    sut: StationConnection, action: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """A request whose value lies outside the schema's enumeration (TC_N_04/07 send one on
    purpose): our own schema check is bypassed for this one request; a CALLERROR comes back
    as ``{"errorCode": ...}``."""
    link = sut.link
    schemas = link.schemas

    class _Lenient:
        def __getattr__(self, name: str) -> Any:
            return getattr(schemas, name)

        def errors(self, name: str, body: Any, *, response: bool) -> list[str]:
            if name == action and not response:
                return []
            return schemas.errors(name, body, response=response)

    link.schemas = _Lenient()  # type: ignore[assignment]
    try:
        return await link.call(action, payload, allow_error=True)
    finally:
        link.schemas = schemas


# -- reports ---------------------------------------------------------------------------------
async def monitoring_report(
    sut: StationConnection,
    label: str,
    *,
    criteria: list[str] | None = None,
    variables: list[dict[str, Any]] | None = None,
    expect: str | tuple[str, ...] = "Accepted",
) -> list[dict[str, Any]]:
    """GetMonitoringReportRequest (only the fields given) answered ``expect`` (statusInfo
    absent or NoError / NotFound); when Accepted, its NotifyMonitoringReportRequests: the
    same requestId (N02.FR.04), seqNo 0 then +1 (N02.FR.09), until tbc is false. Returns
    every MonitoringDataType reported."""
    number = request_id()
    payload: dict[str, Any] = {"requestId": number}
    if criteria:
        payload["monitoringCriteria"] = criteria
    if variables:
        payload["componentVariable"] = variables
    step(f"{label}: GetMonitoringReportRequest {payload}")
    mark = sut.mark()
    answer = await sut.call("GetMonitoringReport", payload)
    wanted = (expect,) if isinstance(expect, str) else expect
    status = answer.get("status")
    check(
        status in wanted,
        f"{label} GetMonitoringReportResponse status {' or '.join(wanted)} (N02.FR.01/10)",
        answer,
    )
    reason = "NoError" if status == "Accepted" else "NotFound"
    check_status(answer, f"{label} GetMonitoringReportResponse", str(status), (reason,))
    if status != "Accepted":
        return []
    monitors: list[dict[str, Any]] = []
    seq = 0
    while True:
        page = await sut.wait_for(
            "NotifyMonitoringReport",
            since=mark,
            describe=f"{label}: NotifyMonitoringReportRequest seqNo {seq}",
        )
        mark = sut.link.inbox.index(page) + 1
        body = page.payload
        if earlier_request(body.get("requestId"), number):
            warn(
                f"{label}: a NotifyMonitoringReportRequest of an earlier request "
                f"(requestId {body.get('requestId')}) arrived late; skipped"
            )
            continue
        check(
            body.get("requestId") == number,
            f"{label}: NotifyMonitoringReportRequest requestId {number} (N02.FR.04)",
            body,
        )
        check(
            body.get("seqNo") == seq,
            f"{label}: NotifyMonitoringReportRequest seqNo {seq} (N02.FR.09)",
            body,
        )
        check(bool(body.get("generatedAt")), f"{label}: generatedAt present", body)
        monitors.extend(body.get("monitor") or [])
        if not body.get("tbc"):
            return monitors
        seq += 1


def flatten(monitors: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(MonitoringDataType, VariableMonitoringType) pairs."""
    return [(m, vm) for m in monitors for vm in m.get("variableMonitoring") or []]


def has_monitor(
    monitors: list[dict[str, Any]],
    target: dict[str, Any] | None = None,
    **fields: Any,
) -> bool:
    return any(
        (target is None or same_cv(m, target)) and all(vm.get(k) == v for k, v in fields.items())
        for m, vm in flatten(monitors)
    )


# -- events ----------------------------------------------------------------------------------
def events(
    sut: StationConnection, since: int, match: Callable[[dict[str, Any]], bool]
) -> list[tuple[IncomingCall, dict[str, Any]]]:
    return [
        (item, element)
        for item in sut.link.inbox[since:]
        if item.action == "NotifyEvent"
        for element in item.payload.get("eventData") or []
        if match(element)
    ]


async def wait_event(
    sut: StationConnection,
    since: int,
    match: Callable[[dict[str, Any]], bool],
    describe: str,
    *,
    timeout: float | None = None,
) -> tuple[IncomingCall, dict[str, Any]]:
    """The first NotifyEventRequest from ``since`` with an eventData element ``match``
    accepts (several elements per request or one per request: both legal)."""
    item = await sut.wait_for(
        "NotifyEvent",
        lambda p: any(match(e) for e in p.get("eventData") or []),
        since=since,
        timeout=timeout,
        describe=describe,
    )
    element = next(e for e in item.payload["eventData"] if match(e))
    return item, element


def about(target: dict[str, Any], monitor_id: int | None = None) -> Callable[[dict], bool]:
    """eventData naming ``target`` (and, when given, the monitor)."""

    def match(element: dict[str, Any]) -> bool:
        if not same_cv(element, target):
            return False
        return monitor_id is None or element.get("variableMonitoringId") == monitor_id

    return match


def check_event_basics(item: IncomingCall, label: str) -> None:
    """N07.FR.07: seqNo 0 (first part); generatedAt present."""
    check(item.payload.get("seqNo") == 0, f"{label}: NotifyEventRequest seqNo 0", item.payload)
    check(bool(item.payload.get("generatedAt")), f"{label}: generatedAt present", item.payload)


async def quiet(seconds: float = ABSENCE_WINDOW) -> None:
    """A step that must bring nothing: absence can only be observed for a while."""
    await asyncio.sleep(seconds)


def number(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None
