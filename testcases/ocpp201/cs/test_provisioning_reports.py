"""OCPP 2.0.1, Charging Station under test, B. Provisioning part 1, reports: GetBaseReport
(B07) and GetReport (B08) (2.0.1 Edition 3 Part 6 §2.3 TC_B_12-B_19 and the 2025 errata).

pytest-ocpp plays the CSMS (the OCTT column of each scenario table). Each case first
re-establishes Part 6 §2.1's general preconditions (``csms.ready``). Each NotifyReport page is
answered by the fake CSMS (step 4 of the tables) and judged here: requestId ours, seqNo 0 on
the first page, incremented by 1 while tbc (B07.FR.10, B08.FR.14).

Departure shared by the cases: the post scenario validation "the required variables of Part 2
... are reported" is left to TC_B_53_CS, which checks the mandatory variables of a
FullInventory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import TargetTimeout, check, not_applicable

from ._provisioning_support import (
    _REQUEST_IDS,
    _base_report,
    _check_characteristics,
    _collect_report,
    _name,
    _report_data,
)


# -- B07 base reports -----------------------------------------------------------------------
@ocpp_case("TC_B_12_CS", version="2.0.1")
async def test_tc_b_12_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetBaseReport ConfigurationInventory (B07.FR.01/03/04/07/10): Accepted, NotifyReport
    pages seqNo 0, 1 ... while tbc, every variable with variableCharacteristics (valuesList for
    list types) and only ReadWrite/WriteOnly attributes.

    Departure: "the required writeable variables ... are reported" is not checked here: it
    needs Part 2's variable list per functional block, which TC_B_53 checks for the
    FullInventory."""
    sut = await csms.ready(station_operator)
    entries = await _base_report(sut, "ConfigurationInventory", "TC_B_12_CS")
    check(bool(entries), "step 3: NotifyReportRequest reportData with the configuration", entries)
    _check_characteristics(entries, "post scenario")
    for entry in entries:
        for attribute in entry.get("variableAttribute") or []:
            check(
                attribute.get("mutability", "ReadWrite") in ("ReadWrite", "WriteOnly"),
                f"post scenario: mutability ReadWrite or WriteOnly in a ConfigurationInventory "
                f"({_name(entry)}, B07.FR.07)",
                entry,
            )


@ocpp_case("TC_B_13_CS", version="2.0.1")
async def test_tc_b_13_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetBaseReport FullInventory (B07.FR.01/03/04/08/10): Accepted, NotifyReport pages
    seqNo 0, 1 ... while tbc, every variable with variableCharacteristics (valuesList for list
    types).

    Departure: the required variables of Part 2 are checked by TC_B_53, not here."""
    sut = await csms.ready(station_operator)
    entries = await _base_report(sut, "FullInventory", "TC_B_13_CS")
    check(bool(entries), "step 3: NotifyReportRequest reportData with the inventory", entries)
    _check_characteristics(entries, "post scenario")


@ocpp_case("TC_B_14_CS", version="2.0.1", requires="C-56")
async def test_tc_b_14_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetBaseReport SummaryInventory (B07.FR.01/03/04/09/10/12), for a station providing it
    (C-56): Accepted, pages seqNo 0, 1 ..., variableCharacteristics present, and the
    AvailabilityState of the ChargingStation and of every EVSE reported.

    Departure: the errata (2025-09) make it optional in Core and it stays mandatory in
    Advanced Device Management; the condition C-56 is used for both. Connector
    AvailabilityState ("if known and different from EVSE") and problem variables are not
    required, since nothing here knows them."""
    sut = await csms.ready(station_operator)
    entries = await _base_report(sut, "SummaryInventory", "TC_B_14_CS")
    _check_characteristics(entries, "post scenario")
    names = {_name(e) for e in entries}
    wanted = ["ChargingStation.AvailabilityState"] + [
        f"EVSE({evse},).AvailabilityState" for evse in range(1, csms.config.station.connectors + 1)
    ]
    missing = [n for n in wanted if n not in names]
    check(
        not missing,
        "post scenario: AvailabilityState of the ChargingStation and of each EVSE reported "
        "(B07.FR.09)",
        f"missing {missing}; reported {sorted(names)}",
    )


@ocpp_case("TC_B_15_CS", version="2.0.1", requires="not C-56")
async def test_tc_b_15_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A station without the SummaryInventory (not C-56) answers GetBaseReport
    SummaryInventory NotSupported (B07.FR.05) and sends no NotifyReportRequest for it.

    Departure: "OCTT waits" is the message timeout."""
    sut = await csms.ready(station_operator)
    request_id = next(_REQUEST_IDS)
    mark = sut.mark()
    step(f"1. GetBaseReportRequest requestId {request_id}, reportBase SummaryInventory")
    answer = await sut.call(
        "GetBaseReport", {"requestId": request_id, "reportBase": "SummaryInventory"}
    )
    reason = str((answer.get("statusInfo") or {}).get("reasonCode", "UnsupportedParam"))
    check(
        answer.get("status") == "NotSupported" and reason.lower() == "unsupportedparam",
        "step 2: GetBaseReportResponse status NotSupported, statusInfo absent or "
        "UnsupportedParam (B07.FR.05)",
        answer,
    )
    step("OCTT waits to make sure the station sends no NotifyReportRequest")
    try:
        report = await sut.wait_for(
            "NotifyReport", lambda p: p.get("requestId") == request_id, since=mark
        )
    except TargetTimeout:
        return
    check(False, "no NotifyReportRequest for a NotSupported base report", report.payload)


# -- B08 custom reports ---------------------------------------------------------------------
async def _get_report(
    sut: StationConnection, payload: dict[str, Any], label: str, status: str = "Accepted"
) -> tuple[int, dict[str, Any]]:
    request_id = next(_REQUEST_IDS)
    answer = await sut.call("GetReport", {"requestId": request_id, **payload})
    info = answer.get("statusInfo")
    ok_info = "NoError" if status == "Accepted" else "NotFound"
    check(
        answer.get("status") == status
        and (info is None or str(info.get("reasonCode")).lower() == ok_info.lower()),
        f"{label}: GetReportResponse status {status}, statusInfo absent or {ok_info} "
        "(B08.FR.01/15)",
        answer,
    )
    return request_id, answer


@ocpp_case("TC_B_16_CS", version="2.0.1")
async def test_tc_b_16_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetReport with componentCriteria Enabled (B08.FR.01/03/04/07/09/12/13/14, B06.FR.09):
    pages seqNo 0, 1 ..., variableCharacteristics present, every reported "Enabled" variable
    "true" and confirmed by GetVariables (Rejected for a WriteOnly one, errata 2025-02).

    Departures: the table's "reportData variable.name is Enabled" would fail the other
    variables of an enabled component, which B08.FR.07 asks to be reported; only the Enabled
    variables are judged (a component reporting none gets a warning). Step 5 is split into
    requests of at most DeviceDataCtrlr.ItemsPerMessage[GetVariables] items (read first), so
    a station with a small limit is not failed for it. The post scenario comparison with a
    FullInventory needs another report and is not made."""
    sut = await csms.ready(station_operator)
    mark = sut.mark()
    step("1. GetReportRequest componentCriteria {Enabled}")
    request_id, _ = await _get_report(sut, {"componentCriteria": ["Enabled"]}, "step 2")
    step("3. NotifyReportRequest pages, answered (4.)")
    pages = await _collect_report(sut, request_id, since=mark, label="step 3")
    entries = _report_data(pages)
    _check_characteristics(entries, "step 3")
    enabled = [e for e in entries if (e.get("variable") or {}).get("name") == "Enabled"]
    if not enabled:
        warn("the custom report for {Enabled} holds no Enabled variable")
    for entry in enabled:
        for attribute in entry.get("variableAttribute") or []:
            if attribute.get("type", "Actual") != "Actual" or "value" not in attribute:
                continue
            check(
                str(attribute["value"]).lower() == "true",
                f'step 3: reportData variableAttribute.value "true" for {_name(entry)} '
                "(componentCriteria Enabled, B08.FR.07)",
                entry,
            )
    if not enabled:
        return
    step("5. GetVariablesRequest for every reported Enabled variable")
    size = await csms.get_variable(sut, "DeviceDataCtrlr.ItemsPerMessage[GetVariables]")
    per_request = int(size) if size and size.isdigit() and int(size) > 0 else len(enabled)
    data = [{"component": e["component"], "variable": e["variable"]} for e in enabled]
    results: dict[str, Mapping[str, Any]] = {}
    for start in range(0, len(data), per_request):
        answer = await sut.call(
            "GetVariables", {"getVariableData": data[start : start + per_request]}
        )
        results.update({_name(r): r for r in answer.get("getVariableResult") or []})
    for entry in enabled:
        result = results.get(_name(entry), {})
        write_only = any(
            a.get("mutability") == "WriteOnly" for a in entry.get("variableAttribute") or []
        )
        if write_only:
            ok = result.get("attributeStatus") == "Rejected" and "attributeValue" not in result
            wanted = "Rejected, attributeValue omitted (WriteOnly, B06.FR.09)"
        else:
            ok = (
                result.get("attributeStatus") == "Accepted"
                and str(result.get("attributeValue")).lower() == "true"
            )
            wanted = 'Accepted, attributeValue "true"'
        check(ok, f"step 6: GetVariablesResponse for {_name(entry)}: {wanted}", result)


def _evse_availability(evse: int = 1) -> dict[str, Any]:
    return {
        "component": {"name": "EVSE", "evse": {"id": evse}},
        "variable": {"name": "AvailabilityState"},
    }


def _check_availability_entry(entries: Sequence[Mapping[str, Any]], label: str) -> None:
    """TC_B_17/B_18 step 3: EVSE 1 AvailabilityState, OptionList with the five states,
    ReadOnly, Actual."""
    entry = next(
        (
            e
            for e in entries
            if (e.get("component") or {}).get("name") == "EVSE"
            and ((e.get("component") or {}).get("evse") or {}).get("id") == 1
            and (e.get("variable") or {}).get("name") == "AvailabilityState"
        ),
        None,
    )
    check(entry is not None, f"{label}: reportData for EVSE 1 AvailabilityState", entries)
    assert entry is not None
    chars = entry.get("variableCharacteristics") or {}
    listed = {v.strip() for v in str(chars.get("valuesList", "")).split(",")}
    attributes = entry.get("variableAttribute") or [{}]
    check(
        chars.get("dataType") == "OptionList"
        and {"Available", "Occupied", "Reserved", "Unavailable", "Faulted"} <= listed
        and all(a.get("mutability", "ReadWrite") == "ReadOnly" for a in attributes)
        and all(a.get("type", "Actual") == "Actual" for a in attributes),
        f"{label}: variableCharacteristics dataType OptionList, valuesList Available, Occupied, "
        "Reserved, Unavailable, Faulted; variableAttribute mutability ReadOnly, type Actual",
        entry,
    )


@ocpp_case("TC_B_17_CS", version="2.0.1")
async def test_tc_b_17_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetReport for one component/variable, EVSE 1 AvailabilityState (B08.FR.01/03/04/
    12/14/19): Accepted, a NotifyReport with seqNo 0 describing it."""
    sut = await csms.ready(station_operator)
    mark = sut.mark()
    step("1. GetReportRequest componentVariable EVSE 1 AvailabilityState")
    request_id, _ = await _get_report(sut, {"componentVariable": [_evse_availability()]}, "step 2")
    step("3. NotifyReportRequest, answered (4.)")
    pages = await _collect_report(sut, request_id, since=mark, label="step 3")
    _check_availability_entry(_report_data(pages), "step 3")


@ocpp_case("TC_B_18_CS", version="2.0.1")
async def test_tc_b_18_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetReport with componentCriteria and componentVariable (B08.FR.01/03/04/05/11/12/14/15):
    EVSE 1 AvailabilityState of the Available components is reported; of the Problem
    components it is EmptyResultSet (EVSE 1 has no problem, general preconditions)."""
    sut = await csms.ready(station_operator)
    mark = sut.mark()
    step("1. GetReportRequest componentCriteria {Available}, EVSE 1 AvailabilityState")
    request_id, _ = await _get_report(
        sut,
        {"componentCriteria": ["Available"], "componentVariable": [_evse_availability()]},
        "step 2",
    )
    step("3. NotifyReportRequest, answered (4.)")
    pages = await _collect_report(sut, request_id, since=mark, label="step 3")
    _check_availability_entry(_report_data(pages), "step 3")
    step("5. GetReportRequest componentCriteria {Problem}, EVSE 1 AvailabilityState")
    await _get_report(
        sut,
        {"componentCriteria": ["Problem"], "componentVariable": [_evse_availability()]},
        "step 6",
        status="EmptyResultSet",
    )


@ocpp_case("TC_B_19_CS", version="2.0.1")
async def test_tc_b_19_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetReport with a componentCriteria value the station does not support: NotSupported
    (B08.FR.02). Prerequisite: the station has one; ``[station]
    unsupported_component_criteria`` names it (OCTT's <Configured Unsupported
    componentCriteria>), else the case is not applicable."""
    unsupported = csms.config.station.extra.get("unsupported_component_criteria")
    if not unsupported:
        raise not_applicable(
            "the station supports every componentCriteria ([station] "
            "unsupported_component_criteria is not set; prerequisite of TC_B_19_CS)"
        )
    sut = await csms.ready(station_operator)
    step(f"1. GetReportRequest componentCriteria {{Available, {unsupported}}}")
    answer = await sut.call(
        "GetReport",
        {"requestId": next(_REQUEST_IDS), "componentCriteria": ["Available", unsupported]},
    )
    reason = str((answer.get("statusInfo") or {}).get("reasonCode", "UnsupportedParam"))
    check(
        answer.get("status") == "NotSupported"
        and reason.lower() in ("unsupportedparam", "invalidvalue"),
        "step 2: GetReportResponse status NotSupported, statusInfo absent, UnsupportedParam or "
        "InvalidValue (B08.FR.02)",
        answer,
    )
