"""OCPP 2.0.1, Charging Station under test, N. Diagnostics: SetVariableMonitoring (2.0.1
Edition 3 Part 6 §2.15, Tables 342-348, 372-377, and the 2025 errata).

pytest-ocpp plays the CSMS (the OCTT column). Each case first re-establishes Part 6 §2.1's
general preconditions (``csms.ready``), which also clears every monitor an earlier case
installed (``csms.after_case``). Results of a request with several setMonitoringData may come
in any order: each is matched by its type and severity. Shared steps and the ``[station]``
keys: :mod:`._monitoring_support`.
"""

from __future__ import annotations

from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import check, not_applicable

from ._monitoring_support import (
    check_result,
    cv,
    data,
    evse_availability,
    flatten,
    has_monitor,
    install,
    monitoring_report,
    result_for,
    same_cv,
    set_base,
    set_monitoring,
    setting,
    severity,
    station_availability,
)


def _by(kind: str, sev: int | None = None) -> Any:
    return lambda r: r.get("type") == kind and (sev is None or r.get("severity") == sev)


@ocpp_case("TC_N_08_CS", version="2.0.1")
async def test_tc_n_08_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Set Variable Monitoring, one element (N04.FR.01/02/08/11): a Delta monitor (value 1,
    severity 8) on the configured EVSE's AvailabilityState is Accepted with an id and then
    reported."""
    sut = await csms.ready(station_operator)
    target = evse_availability(csms)
    item = data(target, "Delta", 1, 8)
    result = (await set_monitoring(csms, sut, [item], "1. SetVariableMonitoringRequest"))[0]
    check_result(result, "step 2", status="Accepted", item=item)
    monitors = await monitoring_report(sut, "step 3", variables=[target])
    check(
        has_monitor(monitors, target, type="Delta", id=result["id"]),
        "step 5: the Delta monitor on the configured EVSE's AvailabilityState reported",
        monitors,
    )


@ocpp_case("TC_N_09_CS", version="2.0.1")
async def test_tc_n_09_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Set Variable Monitoring, elements on different variables (N04.FR.01/02/08/11): Delta
    monitors on the configured EVSE's and ChargingStation's AvailabilityState, each Accepted
    with its own id, both reported."""
    sut = await csms.ready(station_operator)
    sev = severity(csms)
    targets = [evse_availability(csms), station_availability()]
    items = [data(t, "Delta", 1, sev) for t in targets]
    results = await set_monitoring(csms, sut, items, "1. SetVariableMonitoringRequest")
    for item in items:
        result = result_for(results, lambda r, i=item: same_cv(r, i), item["component"]["name"])
        check_result(result, "step 2", status="Accepted", item=item)
    check(
        len({r.get("id") for r in results}) == 2,
        "step 2: a new id per monitor (N04.FR.11)",
        results,
    )
    monitors = await monitoring_report(sut, "step 3", variables=targets)
    for target in targets:
        check(
            has_monitor(monitors, target, type="Delta"),
            f"step 5: the Delta monitor on {target['component']['name']} reported",
            monitors,
        )


@ocpp_case("TC_N_10_CS", version="2.0.1")
async def test_tc_n_10_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Set Variable Monitoring, two monitors on one variable (N04.FR.01/02/08/11): Delta
    severity 8 and severity 7 on the configured EVSE's AvailabilityState, both Accepted with
    different ids."""
    sut = await csms.ready(station_operator)
    target = evse_availability(csms)
    items = [data(target, "Delta", 1, 8), data(target, "Delta", 1, 7)]
    results = await set_monitoring(csms, sut, items, "1. SetVariableMonitoringRequest")
    for item in items:
        result = result_for(results, _by("Delta", item["severity"]), f"severity {item['severity']}")
        check_result(result, "step 2", status="Accepted", item=item)
    check(
        len({r.get("id") for r in results}) == 2,
        "step 2: a new id per monitor (N04.FR.11)",
        results,
    )


@ocpp_case("TC_N_11_CS", version="2.0.1")
async def test_tc_n_11_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Set Variable Monitoring on unknown components (N04.FR.03): EVSE 99 is UnknownComponent
    or Rejected, component NonExistent UnknownComponent (UnknownVariable tolerated, as the
    table allows); no id."""
    sut = await csms.ready(station_operator)
    sev = severity(csms)
    items = [
        data(
            {
                "component": {"name": "EVSE", "evse": {"id": 99}},
                "variable": {"name": "AvailabilityState"},
            },
            "Delta",
            1,
            sev,
        ),
        data(
            {"component": {"name": "NonExistent"}, "variable": {"name": "Power"}},
            "UpperThreshold",
            1234.0,
            sev,
        ),
    ]
    results = await set_monitoring(csms, sut, items, "1. SetVariableMonitoringRequest")
    first = result_for(results, lambda r: same_cv(r, items[0]), "EVSE 99")
    check_result(
        first,
        "step 2 (EVSE 99)",
        status=("UnknownComponent", "Rejected"),
        item=items[0],
        reasons=("UnknownEVSE", "NotFound"),
        id_absent=True,
    )
    second = result_for(results, lambda r: same_cv(r, items[1]), "NonExistent")
    check_result(
        second,
        "step 2 (NonExistent)",
        status=("UnknownComponent", "UnknownVariable"),
        item=items[1],
        reasons=("NotFound",),
        id_absent=True,
    )


@ocpp_case("TC_N_12_CS", version="2.0.1")
async def test_tc_n_12_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Set Variable Monitoring, negative Delta (N04.FR.14): value -1 on the numeric delta
    component variable (2025-02 errata) is Rejected, no id."""
    sut = await csms.ready(station_operator)
    item = data(cv(csms, setting(csms, "monitor_delta_variable")), "Delta", -1, severity(csms))
    result = (await set_monitoring(csms, sut, [item], "1. SetVariableMonitoringRequest"))[0]
    check_result(
        result,
        "step 2",
        status="Rejected",
        item=item,
        reasons=("ValueOutOfRange", "ValuePositiveOnly"),
        id_absent=True,
    )


@ocpp_case("TC_N_13_CS", version="2.0.1")
async def test_tc_n_13_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Set Variable Monitoring, threshold beyond the variable's maxLimit (N04.FR.06/13):
    UpperThreshold ``monitor_out_of_range_value`` on the threshold monitor component variable
    is Rejected, no id."""
    sut = await csms.ready(station_operator)
    target = cv(csms, setting(csms, "monitor_threshold_variable"))
    value = float(setting(csms, "monitor_out_of_range_value"))
    item = data(target, "UpperThreshold", value, severity(csms))
    result = (await set_monitoring(csms, sut, [item], "1. SetVariableMonitoringRequest"))[0]
    check_result(
        result, "step 2", status="Rejected", item=item, reasons=("ValueOutOfRange",), id_absent=True
    )


@ocpp_case("TC_N_15_CS", version="2.0.1")
async def test_tc_n_15_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Set Variable Monitoring, same type and severity twice (N04.FR.10): one Accepted, the
    other Duplicate."""
    sut = await csms.ready(station_operator)
    item = data(evse_availability(csms), "Delta", 1, severity(csms))
    results = await set_monitoring(csms, sut, [item, dict(item)], "1. SetVariableMonitoringRequest")
    accepted = result_for(results, lambda r: r.get("status") == "Accepted", "status Accepted")
    check_result(accepted, "step 2 (first)", status="Accepted", item=item)
    duplicate = [r for r in results if r is not accepted]
    check(bool(duplicate), "step 2: two setMonitoringResult", results)
    check_result(
        duplicate[0], "step 2 (second)", status="Duplicate", item=item, reasons=("InvalidValue",)
    )


@ocpp_case("TC_N_37_CS", version="2.0.1")
async def test_tc_n_37_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Set Variable Monitoring on an unknown variable of EVSE (N04.FR.04): UnknownVariable.
    The table gives no value: 1 (N04.FR.17)."""
    sut = await csms.ready(station_operator)
    target = {
        "component": {"name": "EVSE", "evse": {"id": csms.evse}},
        "variable": {"name": "unknownVariable"},
    }
    item = data(target, "Delta", 1, severity(csms))
    result = (await set_monitoring(csms, sut, [item], "1. SetVariableMonitoringRequest"))[0]
    check_result(
        result,
        "step 2",
        status="UnknownVariable",
        item=item,
        reasons=("NotFound", "UnknownVariable"),
    )


@ocpp_case("TC_N_38_CS", version="2.0.1")
async def test_tc_n_38_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Set Variable Monitoring with a monitor type the variable does not support (N04.FR.05):
    UpperThreshold on the EVSE's AvailabilityState (not numeric) is UnsupportedMonitorType or
    Rejected. Value 1 (the table gives none)."""
    sut = await csms.ready(station_operator)
    item = data(evse_availability(csms), "UpperThreshold", 1, severity(csms))
    result = (await set_monitoring(csms, sut, [item], "1. SetVariableMonitoringRequest"))[0]
    allowed = ("UnsupportedMonitorType", "Rejected")
    check(
        result.get("status") in allowed, "step 2: status UnsupportedMonitorType or Rejected", result
    )
    check(
        result.get("type") == "UpperThreshold" and same_cv(result, item),
        "step 2: type UpperThreshold, component EVSE, variable AvailabilityState",
        result,
    )


@ocpp_case("TC_N_39_CS", version="2.0.1")
async def test_tc_n_39_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Set Variable Monitoring with the id of a monitor on another variable (N04.FR.16),
    2025-02 errata: a Delta on the non-numeric variable is Accepted; the same id with the
    numeric delta variable is Rejected; a full report still shows the first monitor (id,
    value 1, Delta) on its own variable."""
    sut = await csms.ready(station_operator)
    sev = severity(csms)
    non_numeric = cv(csms, setting(csms, "monitor_non_numeric_variable"))
    numeric = cv(csms, setting(csms, "monitor_delta_variable"))
    first = data(non_numeric, "Delta", 1, sev)
    result = (await set_monitoring(csms, sut, [first], "1. SetVariableMonitoringRequest"))[0]
    check_result(result, "step 2", status="Accepted", item=first)
    number = result["id"]
    second = data(numeric, "Delta", 1, sev, id=number)
    result = (
        await set_monitoring(csms, sut, [second], f"3. SetVariableMonitoringRequest id {number}")
    )[0]
    check(result.get("status") == "Rejected", "step 4: status Rejected (N04.FR.16)", result)
    check(
        result.get("type") == "Delta" and same_cv(result, second),
        "step 4: type Delta and the numeric delta component variable",
        result,
    )
    monitors = await monitoring_report(sut, "step 5")
    check(
        has_monitor(monitors, non_numeric, id=number, value=1, type="Delta"),
        f"step 7: monitor {number} (Delta, value 1) still on the non-numeric variable",
        monitors,
    )


@ocpp_case("TC_N_40_CS", version="2.0.1")
async def test_tc_n_40_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Set Variable Monitoring replacing a monitor by its id (N04.FR.12): the Delta monitor
    (severity 5) on the configured EVSE's AvailabilityState becomes severity 4; the report
    (DeltaMonitoring) shows it with severity 4."""
    sut = await csms.ready(station_operator)
    target = evse_availability(csms)
    number = await install(
        csms, sut, data(target, "Delta", 1, 5), "(Memory State) Delta, severity 5"
    )
    item = data(target, "Delta", 1, 4, id=number)
    result = (
        await set_monitoring(csms, sut, [item], f"1. SetVariableMonitoringRequest id {number}")
    )[0]
    check_result(result, "step 2", status="Accepted", item=item)
    monitors = await monitoring_report(
        sut, "step 3", criteria=["DeltaMonitoring"], variables=[target]
    )
    check(
        has_monitor(monitors, target, id=number, severity=4),
        f"step 5: monitor {number} on the EVSE's AvailabilityState with severity 4",
        monitors,
    )


async def _report_all(sut: StationConnection, label: str) -> list[tuple[dict, dict]]:
    return flatten(await monitoring_report(sut, label, expect=("Accepted", "EmptyResultSet")))


async def _factory_default(sut: StationConnection) -> None:
    """Post-condition of TC_N_41_CS: the preconfigured monitor as delivered (N03.FR.04)."""
    await sut.link.call("SetMonitoringBase", {"monitoringBase": "FactoryDefault"}, allow_error=True)


@ocpp_case("TC_N_41_CS", version="2.0.1")
async def test_tc_n_41_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Return to FactoryDefault (N03.FR.04, N04.FR.15), 2025-02 errata: with monitoring base
    FactoryDefault, the preconfigured monitor is overruled (severity + 1, 5 from 9) and
    reported so; SetMonitoringBase FactoryDefault brings its own severity back. The monitor is
    ``[station] preconfigured_monitor_id``; when not configured, the one reported under
    FactoryDefault but not under HardWiredOnly (a departure: two extra steps)."""
    sut = await csms.ready(station_operator)
    csms.after_case("preconfigured monitor", _factory_default)  # before "monitoring base": All
    answer = await set_base(
        csms, sut, "FactoryDefault", "(Memory State) SetMonitoringBase FactoryDefault"
    )
    check(answer.get("status") == "Accepted", "Memory State: SetMonitoringBase Accepted", answer)
    pairs = await _report_all(sut, "step 1")
    configured = csms.config.station.extra.get("preconfigured_monitor_id")
    if configured is None:
        await set_base(csms, sut, "HardWiredOnly", "(find the preconfigured monitor) HardWiredOnly")
        hardwired = {vm.get("id") for _m, vm in await _report_all(sut, "(find) report")}
        await set_base(csms, sut, "FactoryDefault", "(find) back to FactoryDefault")
        candidates = [(m, vm) for m, vm in pairs if vm.get("id") not in hardwired]
    else:
        candidates = [(m, vm) for m, vm in pairs if vm.get("id") == configured]
    if not candidates:
        raise not_applicable("no preconfigured monitor reported (AQ-6)")
    monitor, vm = candidates[0]
    original = int(vm["severity"])
    changed = original + 1 if original < 9 else 5
    target = {"component": monitor["component"], "variable": monitor["variable"]}
    item = data(
        target,
        vm["type"],
        vm["value"],
        changed,
        id=vm["id"],
        transaction=vm.get("transaction", False),
    )
    result = (
        await set_monitoring(csms, sut, [item], f"5. SetVariableMonitoringRequest id {vm['id']}")
    )[0]
    check_result(result, "step 6", status="Accepted", item=item)
    monitors = await monitoring_report(sut, "step 7", variables=[target])
    check(
        has_monitor(monitors, target, id=vm["id"], severity=changed),
        f"step 9: monitor {vm['id']} with severity {changed}",
        monitors,
    )
    answer = await set_base(
        csms, sut, "FactoryDefault", "11. SetMonitoringBaseRequest FactoryDefault"
    )
    check(answer.get("status") == "Accepted", "step 12: SetMonitoringBaseResponse Accepted", answer)
    monitors = await monitoring_report(sut, "step 13", variables=[target])
    check(
        has_monitor(monitors, target, id=vm["id"], severity=original),
        f"step 15: monitor {vm['id']} back at its preconfigured severity {original} (N03.FR.04)",
        monitors,
    )


@ocpp_case("TC_N_43_CS", version="2.0.1")
async def test_tc_n_43_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Set Variable Monitoring, the second of three elements out of range (2025 errata): the
    UpperThreshold and LowerThreshold on the threshold monitor component variable Accepted,
    the Delta -1 on the numeric delta component variable Rejected."""
    sut = await csms.ready(station_operator)
    sev = severity(csms)
    threshold = cv(csms, setting(csms, "monitor_threshold_variable"))
    items = [
        data(threshold, "UpperThreshold", float(setting(csms, "monitor_upper_trigger_value")), sev),
        data(cv(csms, setting(csms, "monitor_delta_variable")), "Delta", -1.0, sev),
        data(threshold, "LowerThreshold", float(setting(csms, "monitor_lower_trigger_value")), sev),
    ]
    step("1. SetVariableMonitoringRequest with three setMonitoringData")
    results = await set_monitoring(csms, sut, items, "1. SetVariableMonitoringRequest")
    for item, status in zip(items, ("Accepted", "Rejected", "Accepted"), strict=True):
        result = result_for(results, _by(item["type"]), item["type"])
        check(
            result.get("status") == status,
            f"step 2: {item['type']} setMonitoringResult status {status}",
            result,
        )
        if status == "Accepted":
            reason = (result.get("statusInfo") or {}).get("reasonCode")
            check(
                reason in (None, "NoError"),
                f"step 2: {item['type']} statusInfo absent or NoError",
                result,
            )
