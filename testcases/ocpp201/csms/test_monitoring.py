"""OCPP 2.0.1, CSMS under test, N. Diagnostics: monitoring settings and reports (2.0.1 Edition 3
Part 6 §3.15, Tables 646-655, 669 and 671, with the 2025 errata §6.3.20-21 for
TC_N_01/N_02_CSMS). The monitoring events (NotifyEvent) are in ``test_monitoring_events.py``.

pytest-ocpp plays the Charging Station (the OCTT column of each table). "Manually instruct the
CSMS to ..." goes through ``csms_operator``, asking for what the table validates; every request
is answered before it is judged, so a failed check never leaves the CSMS waiting.

The fake station's monitors (:func:`_monitors`) live here, not in its device model: the tables
script what the station answers ("OCTT responds with EmptyResultSet"), and each case reports,
where the table has it report, the monitors of this table that match what the CSMS was asked
to request. They are chosen so that every table's empty-result step asks for monitors the
station does not have: one consistent station per case. Monitor ids are the station's (and
``test_monitoring_events.py`` raises events of the same monitors).

"CS has implemented device model monitoring and MonitoringCtrl.Enabled = true": the fake
station's device model has the MonitoringCtrlr variables of ``dm_components_vars.csv``
(``Enabled`` true, ``ItemsPerMessage[ClearVariableMonitoring]`` 2, ...; ``[device_model]``
changes them), so a CSMS reading them (Tables 646-649 "CSMS requests ClearVariableMonitoring
ItemsPerMessage", Table 655 step 1) gets an answer.

Component and variable names are compared case-insensitively (Part 2 ComponentType/VariableType:
"Case Insensitive").

Departures common to the Get Monitoring Report cases (Tables 646-649): "Post scenario
validations: Check that CSMS shows the ... monitors" is for the person running OCTT; no message
shows it, so it is not judged. Their Before step's memory state ("CSMS requests
ClearVariableMonitoring ItemsPerMessage from CS") is not required: a CSMS that reads the variable
gets it from the device model.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import current
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check
from pytest_ocpp.verdicts import TargetTimeout, check_octt

HARDWIRED_MONITOR_ID = 1
"""The fake station's hard-wired monitor (AQ-5: "which hardWired monitor should be used"): an
UpperThreshold on ChargingStation.Temperature that cannot be cleared (TC_N_44_CSMS, N06.FR.03).
test_monitoring_events.py raises its alert (TC_N_21_CSMS) with the same id."""

CRITERIA_TYPES: dict[str, frozenset[str]] = {
    # N02.FR.12-14: the monitor types each monitoringCriterion selects.
    "ThresholdMonitoring": frozenset({"UpperThreshold", "LowerThreshold"}),
    "DeltaMonitoring": frozenset({"Delta"}),
    "PeriodicMonitoring": frozenset({"Periodic", "PeriodicClockAligned"}),
}

Target = tuple[str, int | None, str]
"""A component/variable a request names: (component name, evse id or None, variable name)."""


# -- the fake station's monitors -------------------------------------------------------------
def _component(name: str, evse: int | None) -> dict[str, Any]:
    return {"name": name} if evse is None else {"name": name, "evse": {"id": evse}}


def _monitor(ident: int, kind: str, value: float, severity: int) -> dict[str, Any]:
    return {"id": ident, "transaction": False, "value": value, "type": kind, "severity": severity}


def _monitors(evse: int) -> list[dict[str, Any]]:
    """Every monitor of the fake station, as NotifyMonitoringReport MonitoringDataType, with
    ``evse`` the EVSE the case names."""
    return [
        {
            "component": _component("ChargingStation", None),
            "variable": {"name": "Temperature"},
            "variableMonitoring": [_monitor(HARDWIRED_MONITOR_ID, "UpperThreshold", 80, 1)],
        },
        {
            "component": _component("ChargingStation", None),
            "variable": {"name": "Power"},
            "variableMonitoring": [
                _monitor(2, "UpperThreshold", 44000, 4),
                _monitor(3, "LowerThreshold", 0, 6),
            ],
        },
        {
            "component": _component("ChargingStation", None),
            "variable": {"name": "AvailabilityState"},
            "variableMonitoring": [_monitor(4, "Delta", 1, 8)],
        },
        {
            "component": _component("EVSE", evse),
            "variable": {"name": "Power"},
            "variableMonitoring": [
                _monitor(5, "UpperThreshold", 22000, 4),
                _monitor(7, "Periodic", 60, 8),
            ],
        },
        {
            "component": _component("EVSE", evse),
            "variable": {"name": "AvailabilityState"},
            "variableMonitoring": [_monitor(6, "Delta", 1, 8)],
        },
        {
            "component": _component("SecurityCtrlr", None),
            "variable": {"name": "BasicAuthPassword"},
            "variableMonitoring": [_monitor(8, "Delta", 1, 7)],
        },
    ]


def _names(item: Mapping[str, Any], target: Target) -> bool:
    """Whether a ComponentVariable/MonitoringData names ``target`` (no instance, N02.FR.17)."""
    name, evse, variable = target
    component = item.get("component") or {}
    var = item.get("variable") or {}
    return (
        str(component.get("name", "")).casefold() == name.casefold()
        and (component.get("evse") or {}).get("id") == evse
        and str(var.get("name", "")).casefold() == variable.casefold()
        and "instance" not in component
        and "instance" not in var
    )


def _selected(
    evse: int, criteria: Sequence[str] | None, targets: Sequence[Target] | None
) -> list[dict[str, Any]]:
    """The station's monitors a GetMonitoringReportRequest with ``criteria`` and ``targets``
    selects (N02.FR.05/06/08/11-14), one MonitoringData per component/variable."""
    kinds = frozenset().union(*(CRITERIA_TYPES[c] for c in criteria)) if criteria else None
    found = []
    for data in _monitors(evse):
        if targets is not None and not any(_names(data, t) for t in targets):
            continue
        chosen = [m for m in data["variableMonitoring"] if kinds is None or m["type"] in kinds]
        if chosen:
            found.append({**data, "variableMonitoring": chosen})
    return found


def _request_id() -> int:
    return secrets.randbelow(2**31 - 1) + 1


# -- N02 Get Monitoring Report ---------------------------------------------------------------
def _cv(target: Target) -> dict[str, Any]:
    name, evse, variable = target
    return {"component": _component(name, evse), "variable": {"name": variable}}


def _check_report_request(
    payload: Mapping[str, Any],
    number: int,
    criteria: Sequence[str] | None,
    targets: Sequence[Target] | None,
) -> None:
    """The tool validations of a GetMonitoringReportRequest step: the monitoringCriteria and
    componentVariable the CSMS was asked for, a filter it was not asked for omitted (errata
    2025-06 §6.3.20-21; N02.FR.05/06/08: every filter narrows the report)."""
    sent = payload.get("monitoringCriteria")
    if criteria is None:
        check(
            sent is None,
            f"Step {number}: GetMonitoringReportRequest monitoringCriteria omitted",
            payload,
        )
    else:
        check(
            isinstance(sent, list) and sorted(sent) == sorted(criteria),
            f"Step {number}: GetMonitoringReportRequest monitoringCriteria = {', '.join(criteria)}",
            payload,
        )
    items = payload.get("componentVariable")
    if targets is None:
        check(
            items is None,
            f"Step {number}: GetMonitoringReportRequest componentVariable omitted",
            payload,
        )
        return
    for target in targets:
        name, evse, variable = target
        where = "" if evse is None else f" evse.id {evse}"
        check(
            isinstance(items, list) and any(_names(item, target) for item in items),
            f"Step {number}: GetMonitoringReportRequest componentVariable with component.name "
            f"{name}{where}, variable.name {variable}, no component or variable instance",
            payload,
        )


async def _report_step(
    station: Station201,
    csms_operator: CsmsOperator,
    *,
    number: int,
    criteria: Sequence[str] | None,
    targets: Sequence[Target] | None,
    evse: int,
    empty: bool,
) -> None:
    """One "instruct the CSMS to get a report of monitors" exchange: the GetMonitoringReport
    Request, answered EmptyResultSet (``empty``, N02.FR.10) or Accepted and followed by the
    NotifyMonitoringReportRequest pages of the selected monitors, one component/variable per
    page (N02.FR.03/04/09: the request's requestId, seqNo from 0, tbc on all but the last),
    each answered by the CSMS; then the request's tool validations."""
    asked: dict[str, Any] = {"requestId": _request_id()}
    if criteria is not None:
        asked["monitoringCriteria"] = list(criteria)
    if targets is not None:
        asked["componentVariable"] = [_cv(t) for t in targets]
    step(f"{number}. The CSMS sends a GetMonitoringReportRequest")
    request: IncomingCall = await csms_operator.request(station, "GetMonitoringReport", asked)
    status = "EmptyResultSet" if empty else "Accepted"
    step(f"{number + 1}. The OCTT responds with a GetMonitoringReportResponse status {status}")
    await request.reply({"status": status})
    _check_report_request(request.payload, number, criteria, targets)
    if empty:
        return
    pages = _selected(evse, criteria, targets)
    for seq_no, data in enumerate(pages):
        step(
            f"{number + 2}. The OCTT sends a NotifyMonitoringReportRequest "
            f"(seqNo {seq_no} of {len(pages)})"
        )
        await station.call(
            "NotifyMonitoringReport",
            {
                "requestId": request.payload["requestId"],
                "seqNo": seq_no,
                "generatedAt": station.now(),
                "tbc": seq_no < len(pages) - 1,
                "monitor": [data],
            },
        )


@ocpp_case("TC_N_01_CSMS", version="2.0.1")
async def test_tc_n_01_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """A monitoring report filtered on monitoringCriteria only (N02.FR.06): all Delta monitors
    (none: EmptyResultSet, N02.FR.10), then all Threshold monitors (three pages). Errata
    2025-06 §6.3.20: componentVariable omitted in both requests."""
    evse = station.evse_id
    await _report_step(
        station,
        csms_operator,
        number=1,
        criteria=["DeltaMonitoring"],
        targets=None,
        evse=evse,
        empty=True,
    )
    await _report_step(
        station,
        csms_operator,
        number=3,
        criteria=["ThresholdMonitoring"],
        targets=None,
        evse=evse,
        empty=False,
    )


@ocpp_case("TC_N_02_CSMS", version="2.0.1")
async def test_tc_n_02_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """A monitoring report filtered on componentVariable only (N02.FR.08): Power of
    ChargingStation (no monitor: EmptyResultSet), then AvailabilityState of EVSE #1 (one
    page). Errata 2025-06 §6.3.20-21: monitoringCriteria and the instances omitted.

    Table 647 and the errata validate step 3 as ``componentVariable[1]``: a CSMS that also
    repeats step 1's entry passes, as does one sending the EVSE entry alone. The table names
    EVSE #1 (not the configured EVSE), and so does this case."""
    await _report_step(
        station,
        csms_operator,
        number=1,
        criteria=None,
        targets=[("ChargingStation", None, "Power")],
        evse=1,
        empty=True,
    )
    await _report_step(
        station,
        csms_operator,
        number=3,
        criteria=None,
        targets=[("EVSE", 1, "AvailabilityState")],
        evse=1,
        empty=False,
    )


@ocpp_case("TC_N_03_CSMS", version="2.0.1")
async def test_tc_n_03_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """A monitoring report filtered on both monitoringCriteria and componentVariable
    (N02.FR.05): Delta monitors of the configured EVSE's AvailabilityState (none:
    EmptyResultSet), then Threshold monitors of ChargingStation Power (one page, an upper and
    a lower threshold). Table 648's main scenario says EVSE #1, its tool validation "<configured
    evseId>", which is used."""
    evse = station.evse_id
    await _report_step(
        station,
        csms_operator,
        number=1,
        criteria=["DeltaMonitoring"],
        targets=[("EVSE", evse, "AvailabilityState")],
        evse=evse,
        empty=True,
    )
    await _report_step(
        station,
        csms_operator,
        number=3,
        criteria=["ThresholdMonitoring"],
        targets=[("ChargingStation", None, "Power")],
        evse=evse,
        empty=False,
    )


@ocpp_case("TC_N_60_CSMS", version="2.0.1")
async def test_tc_n_60_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """A monitoring report filtered on monitoringCriteria and a list of component/variables
    (N02.FR.05): Threshold monitors of Power of ChargingStation and the configured EVSE (none:
    EmptyResultSet), then Delta monitors of AvailabilityState of both (two pages).

    Departure: Table 649's tool validations contradict its main scenario (they validate step 1
    as DeltaMonitoring/AvailabilityState and step 3 as ThresholdMonitoring/AvailabilityState).
    The main scenario is what the CSMS is instructed to do, and its post-scenario validation
    ("the Delta monitors for AvailabilityState for both") agrees with it, so the requests are
    held to the main scenario."""
    evse = station.evse_id
    await _report_step(
        station,
        csms_operator,
        number=1,
        criteria=["ThresholdMonitoring"],
        targets=[("ChargingStation", None, "Power"), ("EVSE", evse, "Power")],
        evse=evse,
        empty=True,
    )
    await _report_step(
        station,
        csms_operator,
        number=3,
        criteria=["DeltaMonitoring"],
        targets=[
            ("ChargingStation", None, "AvailabilityState"),
            ("EVSE", evse, "AvailabilityState"),
        ],
        evse=evse,
        empty=False,
    )


@ocpp_case("TC_N_47_CSMS", version="2.0.1")
async def test_tc_n_47_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """A report of every monitor (N02.FR.11): GetMonitoringReportRequest without
    monitoringCriteria and componentVariable, answered Accepted, then every monitor of the
    station in NotifyMonitoringReportRequest pages (tbc true on all but the last), each
    answered by the CSMS."""
    await _report_step(
        station,
        csms_operator,
        number=1,
        criteria=None,
        targets=None,
        evse=station.evse_id,
        empty=False,
    )


# -- N03 Set Monitoring Base, N05 Set Monitoring Level ---------------------------------------
@ocpp_case("TC_N_05_CSMS", version="2.0.1")
async def test_tc_n_05_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS sets each monitoring base (N03.FR.03-05): All, FactoryDefault, HardWiredOnly,
    each answered Accepted (N03.FR.01; the table leaves the status open). Table 650 numbers
    the third validation "Step 6"; it is step 5's request."""
    for number, base in ((1, "All"), (3, "FactoryDefault"), (5, "HardWiredOnly")):
        step(f"{number}. The CSMS sends a SetMonitoringBaseRequest ({base})")
        request = await csms_operator.request(
            station, "SetMonitoringBase", {"monitoringBase": base}
        )
        step(f"{number + 1}. The OCTT responds with a SetMonitoringBaseResponse")
        await request.reply({"status": "Accepted"})
        check(
            request.payload.get("monitoringBase") == base,
            f"Step {number}: SetMonitoringBaseRequest monitoringBase = {base}",
            request.payload,
        )


async def _monitoring_level(
    station: Station201, csms_operator: CsmsOperator, answer: str, severity: int = 4
) -> None:
    """Steps 1-2 of Tables 653-654: SetMonitoringLevelRequest severity ``severity``, answered
    ``answer``; severity checked (N05)."""
    step(f"1. The CSMS sends a SetMonitoringLevelRequest with severity {severity}")
    request = await csms_operator.request(station, "SetMonitoringLevel", {"severity": severity})
    step(f"2. The OCTT responds with a SetMonitoringLevelResponse status {answer}")
    await request.reply({"status": answer})
    check(
        request.payload.get("severity") == severity,
        f"Step 1: SetMonitoringLevelRequest severity = {severity} (N05.FR.03: the station "
        "reports events of monitors up to this severity)",
        request.payload,
    )


@ocpp_case("TC_N_16_CSMS", version="2.0.1")
async def test_tc_n_16_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS sets monitoring level 4 (N05.FR.01: answered Accepted)."""
    await _monitoring_level(station, csms_operator, "Accepted")


@ocpp_case("TC_N_17_CSMS", version="2.0.1")
async def test_tc_n_17_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS sets monitoring level 4 and the station rejects it (N05.FR.02; "The OCTT
    will always reject the message"). Table 654 has no tool-validation row; the severity the
    CSMS was instructed to send is held to Table 653's validation of the same step."""
    await _monitoring_level(station, csms_operator, "Rejected")


# -- N04 Set Variable Monitoring -------------------------------------------------------------
def _delta(target: Target) -> dict[str, Any]:
    """SetMonitoringData of Tables 651-652: a Delta monitor, value 1, severity 8."""
    return {"value": 1, "type": "Delta", "severity": 8, **_cv(target)}


async def _set_variable_monitoring(
    station: Station201, csms_operator: CsmsOperator, targets: Sequence[Target]
) -> None:
    """Tables 651-652: a SetVariableMonitoringRequest with a Delta monitor (value 1, severity
    8) on each of ``targets``, answered Accepted, then judged monitor by monitor. A monitor
    missing from the request is waited for in a further request (the message timeout; each is
    answered): missing altogether it fails, in a further request it fails OCTT-specifically
    (the table indexes them in the one request)."""
    step("1. The CSMS sends a SetVariableMonitoringRequest")
    request = await csms_operator.request(
        station, "SetVariableMonitoring", {"setMonitoringData": [_delta(t) for t in targets]}
    )
    first = request.payload
    data = await _accept_monitors(request)
    missing = [t for t in targets if not any(_names(d, t) for d in data)]
    while missing:
        # N04.FR.09 lets a CSMS spread the monitors over several requests: take them too.
        try:
            more = await station.expect_call("SetVariableMonitoring")
        except TargetTimeout:
            break  # judged below: the monitor never came
        data += await _accept_monitors(more)
        missing = [t for t in targets if not any(_names(d, t) for d in data)]
    for index, target in enumerate(targets):
        name, evse, variable = target
        what = f"component {name}{'' if evse is None else f', evse.id {evse}'}, variable {variable}"
        found = [d for d in data if _names(d, target)]
        check(
            bool(found), f"Step 1: SetVariableMonitoringRequest setMonitoringData for {what}", first
        )
        check_octt(
            any(_names(d, target) for d in first.get("setMonitoringData") or []),
            f"Step 1: setMonitoringData[{index}] for {what} in the one SetVariableMonitoringRequest",
            first,
            octt=f"{current().case_id} step 1",
            spec="Part 2 N04.FR.09 lets a CSMS spread monitors over several requests up to "
            "ItemsPerMessage[SetVariableMonitoring]",
        )
        item = found[0]
        check(item.get("type") == "Delta", f"Step 1: setMonitoringData type = Delta ({what})", item)
        check(item.get("severity") == 8, f"Step 1: setMonitoringData severity = 8 ({what})", item)
        check_octt(
            item.get("value") == 1,
            f"Step 1: setMonitoringData value = 1 ({what})",
            item,
            octt=f"{current().case_id} step 1",
            spec="Part 2 N04.FR.17 only RECOMMENDS a monitorValue of 1 for a Delta monitor "
            "on a non-numeric variable",
        )


async def _accept_monitors(request: IncomingCall) -> list[dict[str, Any]]:
    """Step 2: one Accepted SetMonitoringResult per SetMonitoringData (N04.FR.01/02/08, with a
    station-given id); returns the request's SetMonitoringData."""
    step("2. The OCTT responds with a SetVariableMonitoringResponse, status Accepted")
    data = [d for d in request.payload.get("setMonitoringData") or [] if isinstance(d, dict)]
    results = [
        {
            "id": 100 + secrets.randbelow(10**6),
            "status": "Accepted",
            **{k: item[k] for k in ("type", "severity", "component", "variable")},
        }
        for item in data
    ]
    await request.reply({"setMonitoringResult": results})
    return data


@ocpp_case("TC_N_08_CSMS", version="2.0.1")
async def test_tc_n_08_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS installs one monitor (N04): Delta, severity 8, on the configured EVSE's
    AvailabilityState, with value 1 as N04.FR.17 recommends for a non-numeric variable (an
    OCTT-specific check). The component is found by name and evse.id: a request naming
    another component fails."""
    await _set_variable_monitoring(
        station, csms_operator, [("EVSE", station.evse_id, "AvailabilityState")]
    )


@ocpp_case("TC_N_09_CSMS", version="2.0.1")
async def test_tc_n_09_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS installs monitors on two variables in one request (N04): Delta, severity 8,
    value 1 on the configured EVSE's and the ChargingStation's AvailabilityState. Table 652
    validates ``setMonitoringData[0]`` and ``[1]``; the order of the two is not judged."""
    await _set_variable_monitoring(
        station,
        csms_operator,
        [
            ("EVSE", station.evse_id, "AvailabilityState"),
            ("ChargingStation", None, "AvailabilityState"),
        ],
    )


# -- N06 Clear / Remove Monitoring -----------------------------------------------------------
def _clear_results(payload: Mapping[str, Any], status: str) -> dict[str, Any]:
    """One ClearMonitoringResult per id (N06.FR.05); at least one, as the schema wants."""
    ids = [i for i in payload.get("id") or [] if isinstance(i, int)] or [0]
    return {"clearMonitoringResult": [{"id": i, "status": status} for i in ids]}


@ocpp_case("TC_N_18_CSMS", version="2.0.1")
async def test_tc_n_18_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """Asked to clear more monitors than the station takes in one request, the CSMS spreads
    them over two or more ClearVariableMonitoringRequests, none above ItemsPerMessage
    [ClearVariableMonitoring] (N06.FR.04), after reading that variable (steps 1-2).

    The station's limit is ``MonitoringCtrlr.ItemsPerMessage[ClearVariableMonitoring]`` of its
    device model (2 unless ``[device_model]`` says otherwise); the CSMS is asked to clear one
    id more. Every request is answered NotFound per id ("these monitor ids do not have to
    exist"; the responses' content "is irrelevant"). Requests are collected until as many ids
    as asked have arrived; together they must be exactly the ids asked for.

    Departure: Table 655 calls the component "MonitoringCtrl"; its Part 2 name,
    MonitoringCtrlr, is what the station answers for."""
    limit_key = "MonitoringCtrlr.ItemsPerMessage[ClearVariableMonitoring]"
    limit = int(station.device_model.value(limit_key) or 2)
    wanted = {
        "component": {"name": "MonitoringCtrlr"},
        "variable": {"name": "ItemsPerMessage", "instance": "ClearVariableMonitoring"},
    }
    step("1. The CSMS sends a GetVariablesRequest for ItemsPerMessage[ClearVariableMonitoring]")
    request = await csms_operator.request(station, "GetVariables", {"getVariableData": [wanted]})
    step(f"2. The OCTT responds with a GetVariablesResponse (ItemsPerMessage {limit})")
    items = [i for i in request.payload.get("getVariableData") or [] if isinstance(i, dict)]
    await request.reply(
        {"getVariableResult": [station.device_model.get_result(item) for item in items]}
    )
    check(
        any(_names_variable(item, wanted) for item in items),
        "Step 1: GetVariablesRequest for component MonitoringCtrlr, variable ItemsPerMessage, "
        "instance ClearVariableMonitoring",
        request.payload,
    )
    asked = list(range(101, 101 + limit + 1))
    step(f"3. The CSMS is asked to clear {len(asked)} monitors: ClearVariableMonitoringRequest")
    request = await csms_operator.request(station, "ClearVariableMonitoring", {"id": asked})
    received: list[int] = []
    requests = 0
    while True:
        requests += 1
        step(f"4. The OCTT responds with a ClearVariableMonitoringResponse (request {requests})")
        await request.reply(_clear_results(request.payload, "NotFound"))
        ids = [i for i in request.payload.get("id") or [] if isinstance(i, int)]
        check(
            len(ids) <= limit,
            f"Step 3: every ClearVariableMonitoringRequest carries at most {limit} ids, the "
            "station's ItemsPerMessage[ClearVariableMonitoring] (N06.FR.04)",
            request.payload,
        )
        received += ids
        if len(received) >= len(asked):
            break
        step(f"3. The CSMS sends ClearVariableMonitoringRequest {requests + 1}")
        request = await station.expect_call("ClearVariableMonitoring")
    check(
        sorted(received) == asked and requests >= 2,
        f"Step 3: two or more ClearVariableMonitoringRequests whose ids are together exactly "
        f"the monitors the CSMS was asked to clear ({asked})",
        f"{requests} request(s) with ids {received}",
    )


def _names_variable(item: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Whether a GetVariableData names ``wanted`` (names case-insensitive)."""
    component = item.get("component") or {}
    variable = item.get("variable") or {}
    return (
        str(component.get("name", "")).casefold() == wanted["component"]["name"].casefold()
        and str(variable.get("name", "")).casefold() == wanted["variable"]["name"].casefold()
        and str(variable.get("instance", "")).casefold()
        == wanted["variable"]["instance"].casefold()
    )


@ocpp_case("TC_N_44_CSMS", version="2.0.1")
async def test_tc_n_44_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS asks to clear a monitor that cannot be cleared, the station's hard-wired one,
    and the station answers Rejected (N06.FR.03).

    Table 669 validates nothing; the request is held to naming the monitor the CSMS was asked
    to clear (other ids beside it are tolerated). Part 5 makes the case mandatory for a CSMS;
    its condition AQ-5 ("Does the Charging Station have at least one hardWired monitor?") is
    the station's, and this station has one."""
    step(f"1. The CSMS sends a ClearVariableMonitoringRequest for monitor {HARDWIRED_MONITOR_ID}")
    request = await csms_operator.request(
        station, "ClearVariableMonitoring", {"id": [HARDWIRED_MONITOR_ID]}
    )
    step("2. The OCTT responds with clearMonitoringResult[0].status Rejected")
    await request.reply(_clear_results(request.payload, "Rejected"))
    check(
        HARDWIRED_MONITOR_ID in (request.payload.get("id") or []),
        f"Step 1: ClearVariableMonitoringRequest id contains {HARDWIRED_MONITOR_ID}, the monitor "
        "the CSMS was asked to clear",
        request.payload,
    )
