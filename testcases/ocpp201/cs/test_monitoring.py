"""OCPP 2.0.1, Charging Station under test, N. Diagnostics: monitoring reports, monitoring base,
monitoring level and clearing monitors (2.0.1 Edition 3 Part 6 §2.15, Tables 337-352, 378,
380, and the 2025 errata).

pytest-ocpp plays the CSMS (the OCTT column). Each case first re-establishes Part 6 §2.1's
general preconditions (``csms.ready``), which also clears the monitors an earlier case
installed and puts the monitoring level and base back (``csms.after_case``). A Memory State
"the following monitors must be present as hard-wired or preconfigured or must have been
configured by CSMS" is met by configuring them (a Duplicate answer means one exists). Shared
steps and the ``[station]`` keys: :mod:`._monitoring_support`.
"""

from __future__ import annotations

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import check, not_applicable

from ._monitoring_support import (
    ORDINARY_ERRORS,
    call_unchecked,
    check_status,
    cv,
    data,
    ensure_delta,
    evse_availability,
    flatten,
    has_monitor,
    install,
    interval,
    monitoring_report,
    quiet,
    same_cv,
    set_base,
    set_level,
    setting,
    severity,
    station_availability,
)


# -- N02 GetMonitoringReport -------------------------------------------------------------------
@ocpp_case("TC_N_01_CS", version="2.0.1")
async def test_tc_n_01_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Get Monitoring Report with monitoringCriteria (N02.FR.01/03-06/09/12-14): Threshold,
    then Threshold+Delta, then Delta+Periodic; every page of each report has only monitors of
    the requested types, and the monitors of those types this case configured are among them
    (N02.FR.12-14). Configuration State as in the 2025-02 errata: LowerThreshold, UpperThreshold
    and Periodic on the threshold monitor component variable, Delta and PeriodicClockAligned on
    the numeric delta component variable (interval: ``clock_aligned_data_interval``, 1 s)."""
    sut = await csms.ready(station_operator)
    sev = severity(csms)
    threshold = cv(csms, setting(csms, "monitor_threshold_variable"))
    delta = cv(csms, setting(csms, "monitor_delta_variable"))
    every = interval(csms)
    wanted = {
        "LowerThreshold": (threshold, float(setting(csms, "monitor_lower_trigger_value"))),
        "UpperThreshold": (threshold, float(setting(csms, "monitor_upper_trigger_value"))),
        "Periodic": (threshold, every),
        "Delta": (delta, float(setting(csms, "monitor_delta_value"))),
        "PeriodicClockAligned": (delta, every),
    }
    ids: dict[str, int] = {}
    for kind, (target, value) in wanted.items():
        ids[kind] = await install(
            csms, sut, data(target, kind, value, sev), f"(Configuration State) {kind} monitor"
        )
    rounds = (
        ("1", ["ThresholdMonitoring"], ("UpperThreshold", "LowerThreshold")),
        (
            "5",
            ["ThresholdMonitoring", "DeltaMonitoring"],
            ("UpperThreshold", "LowerThreshold", "Delta"),
        ),
        (
            "9",
            ["DeltaMonitoring", "PeriodicMonitoring"],
            ("Delta", "Periodic", "PeriodicClockAligned"),
        ),
    )
    for label, criteria, types in rounds:
        monitors = await monitoring_report(sut, f"step {label}", criteria=criteria)
        for _m, vm in flatten(monitors):
            check(
                vm.get("type") in types,
                f"step {label}+2: monitors of type {' or '.join(types)} only (N02.FR.06)",
                vm,
            )
        for kind in types:
            check(
                has_monitor(monitors, id=ids[kind]),
                f"step {label}+2: the {kind} monitor {ids[kind]} reported (N02.FR.12-14)",
                monitors,
            )


@ocpp_case("TC_N_02_CS", version="2.0.1")
async def test_tc_n_02_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Get Monitoring Report with component/variable (N02.FR.01/03-05/08/09): ChargingStation's
    AvailabilityState and every monitor of the configured EVSE; only monitors of these are
    reported (N02.FR.08), a Delta monitor on AvailabilityState of both among them (post
    scenario validation)."""
    sut = await csms.ready(station_operator)
    evse = evse_availability(csms)
    await ensure_delta(csms, sut, station_availability(), "(Memory State) ChargingStation")
    await ensure_delta(csms, sut, evse, "(Memory State) EVSE")
    whole_evse = {"component": evse["component"]}
    monitors = await monitoring_report(
        sut, "step 1", variables=[station_availability(), whole_evse]
    )
    for m, _vm in flatten(monitors):
        check(
            same_cv(m, station_availability()) or (m.get("component") or {}) == evse["component"],
            "step 3: only monitors of ChargingStation.AvailabilityState and of the configured "
            "EVSE (N02.FR.08)",
            m,
        )
    for target in (station_availability(), evse):
        check(
            has_monitor(monitors, target, type="Delta"),
            f"post scenario: a Delta monitor for {target['component']['name']} "
            "AvailabilityState reported",
            monitors,
        )


@ocpp_case("TC_N_03_CS", version="2.0.1")
async def test_tc_n_03_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Get Monitoring Report with criteria and component/variable (N02.FR.05/10/13):
    ThresholdMonitoring on the AvailabilityStates is EmptyResultSet; DeltaMonitoring reports
    only Delta monitors, those of ChargingStation and the configured EVSE among them.
    Departure: the Configuration State's Periodic monitor on ChargingStation.Power is not set
    (no step asks for it; ChargingStation.Power is optional)."""
    sut = await csms.ready(station_operator)
    evse = evse_availability(csms)
    await ensure_delta(csms, sut, station_availability(), "(Configuration State) ChargingStation")
    await ensure_delta(csms, sut, evse, "(Configuration State) EVSE")
    both = [station_availability(), evse]
    await monitoring_report(
        sut, "step 1", criteria=["ThresholdMonitoring"], variables=both, expect="EmptyResultSet"
    )
    monitors = await monitoring_report(sut, "step 3", criteria=["DeltaMonitoring"], variables=both)
    for _m, vm in flatten(monitors):
        check(vm.get("type") == "Delta", "step 5: monitor type Delta", vm)
    for target in both:
        check(
            has_monitor(monitors, target, type="Delta"),
            f"post scenario: a Delta monitor for {target['component']['name']} "
            "AvailabilityState reported",
            monitors,
        )


@ocpp_case("TC_N_04_CS", version="2.0.1")
async def test_tc_n_04_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Get Monitoring Report for an unknown monitoringCriteria (N02.FR.02): NotSupported,
    statusInfo absent or UnsupportedParam / InvalidValue. The value (``[station]
    monitoring_unsupported_criterion``) lies outside the schema's enumeration, as the table's
    note expects: a CALLERROR for the schema violation is conformant too (Part 4 §4.2.3) and
    only warned about."""
    sut = await csms.ready(station_operator)
    unsupported = str(setting(csms, "monitoring_unsupported_criterion"))
    step(f"2. GetMonitoringReportRequest monitoringCriteria DeltaMonitoring, {unsupported}")
    answer = await call_unchecked(
        sut,
        "GetMonitoringReport",
        {"requestId": 1, "monitoringCriteria": ["DeltaMonitoring", unsupported]},
    )
    if answer.get("errorCode") in ORDINARY_ERRORS:
        warn(f"GetMonitoringReport with {unsupported!r} refused with CALLERROR {answer}")
        return
    check_status(
        answer,
        "step 1 GetMonitoringReportResponse",
        "NotSupported",
        ("UnsupportedParam", "InvalidValue"),
    )


@ocpp_case("TC_N_47_CS", version="2.0.1")
async def test_tc_n_47_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Get Monitoring report - report all (N02.FR.01/11): without criteria and
    componentVariable every monitor is reported, the Delta monitors of ChargingStation and the
    configured EVSE's AvailabilityState among them."""
    sut = await csms.ready(station_operator)
    evse = evse_availability(csms)
    await ensure_delta(csms, sut, station_availability(), "(Memory State) ChargingStation")
    await ensure_delta(csms, sut, evse, "(Memory State) EVSE")
    monitors = await monitoring_report(sut, "step 1")
    for target in (station_availability(), evse):
        check(
            has_monitor(monitors, target, type="Delta"),
            f"step 3: a Delta monitor for {target['component']['name']} AvailabilityState "
            "reported (N02.FR.11)",
            monitors,
        )


# -- N03 SetMonitoringBase -------------------------------------------------------------------
@ocpp_case("TC_N_05_CS", version="2.0.1")
async def test_tc_n_05_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Set Monitoring Base All, FactoryDefault and HardWiredOnly: each Accepted (N03.FR.01);
    base All again when the next case starts."""
    sut = await csms.ready(station_operator)
    for label, base in (("1", "All"), ("3", "FactoryDefault"), ("5", "HardWiredOnly")):
        answer = await set_base(csms, sut, base, f"{label}. SetMonitoringBaseRequest {base}")
        check_status(
            answer, f"step {int(label) + 1} SetMonitoringBaseResponse", "Accepted", ("NoError",)
        )


@ocpp_case("TC_N_06_CS", version="2.0.1")
async def test_tc_n_06_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Set Monitoring Base HardWiredOnly removes custom monitors (N03.FR.01/05): the Delta
    monitor on ChargingStation.AvailabilityState is reported in one page, gone after
    HardWiredOnly (EmptyResultSet). It is configured here when absent."""
    sut = await csms.ready(station_operator)
    target = station_availability()
    await ensure_delta(csms, sut, target, "(Configuration State) ChargingStation")
    monitors = await monitoring_report(sut, "step 1", variables=[target])
    check(
        has_monitor(monitors, target, type="Delta"),
        "step 3: a Delta monitor on ChargingStation.AvailabilityState",
        monitors,
    )
    answer = await set_base(csms, sut, "HardWiredOnly", "5. SetMonitoringBaseRequest HardWiredOnly")
    check_status(answer, "step 6 SetMonitoringBaseResponse", "Accepted", ("NoError",))
    await monitoring_report(sut, "step 7", variables=[target], expect="EmptyResultSet")


@ocpp_case("TC_N_07_CS", version="2.0.1")
async def test_tc_n_07_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Set Monitoring Base for an unknown base (N03.FR.02): NotSupported, statusInfo absent or
    UnsupportedParam / InvalidValue. The value (``[station] monitoring_unsupported_base``) lies
    outside the schema's enumeration: a CALLERROR is conformant too and only warned about."""
    sut = await csms.ready(station_operator)
    unsupported = str(setting(csms, "monitoring_unsupported_base"))
    step(f"1. SetMonitoringBaseRequest monitoringBase {unsupported}")
    csms.after_case("monitoring base", _base_all)
    answer = await call_unchecked(sut, "SetMonitoringBase", {"monitoringBase": unsupported})
    if answer.get("errorCode") in ORDINARY_ERRORS:
        warn(f"SetMonitoringBase {unsupported!r} refused with CALLERROR {answer}")
        return
    check_status(
        answer,
        "step 2 SetMonitoringBaseResponse",
        "NotSupported",
        ("UnsupportedParam", "InvalidValue"),
    )


async def _base_all(sut: StationConnection) -> None:
    await sut.link.call("SetMonitoringBase", {"monitoringBase": "All"}, allow_error=True)


# -- N05 SetMonitoringLevel ------------------------------------------------------------------
@ocpp_case("TC_N_16_CS", version="2.0.1")
async def test_tc_n_16_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Set Monitoring Level 7 silences a severity 8 monitor (N05.FR.01/03, N07.FR.15): after
    plugging in at the configured EVSE (its AvailabilityState Occupied, shown by the
    StatusNotification), no NotifyEvent from that monitor nor for the EVSE's AvailabilityState
    arrives within 1 s (absence can only be watched for a while)."""
    sut = await csms.ready(station_operator)
    evse = evse_availability(csms)
    monitor = await install(
        csms, sut, data(evse, "Delta", 1, 8), "(Memory State) Delta monitor, severity 8"
    )
    await set_level(csms, sut, 7, "1. SetMonitoringLevelRequest severity 7")
    mark = sut.mark()
    step("3. Plug in a cable at the configured EVSE")
    await station_operator.perform("plug_in", evse_id=csms.evse, connector_id=csms.connector)
    await csms.connector_reported(sut, "Occupied", since=mark, label=" (step 3)")
    await quiet()
    for item in sut.link.inbox[mark:]:
        if item.action != "NotifyEvent":
            continue
        for element in item.payload.get("eventData") or []:
            check(
                element.get("variableMonitoringId") != monitor and not same_cv(element, evse),
                "step 4: no NotifyEventRequest for the configured EVSE's AvailabilityState "
                "(its monitor has severity 8 > monitoring level 7, N05.FR.03)",
                item.payload,
            )


@ocpp_case("TC_N_17_CS", version="2.0.1")
async def test_tc_n_17_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Set Monitoring Level out of range (N05.FR.02): severity 10 and -1 Rejected."""
    sut = await csms.ready(station_operator)
    csms.after_case("monitoring level", _level_nine)
    for label, level, reason in (("1", 10, "ValueTooHigh"), ("3", -1, "ValueTooLow")):
        step(f"{label}. SetMonitoringLevelRequest severity {level}")
        answer = await sut.call("SetMonitoringLevel", {"severity": level})
        check_status(
            answer,
            f"step {int(label) + 1} SetMonitoringLevelResponse",
            "Rejected",
            ("ValueOutOfRange", reason),
        )


async def _level_nine(sut: StationConnection) -> None:
    await sut.link.call("SetMonitoringLevel", {"severity": 9}, allow_error=True)


# -- N06 ClearVariableMonitoring -------------------------------------------------------------
@ocpp_case("TC_N_18_CS", version="2.0.1")
async def test_tc_n_18_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Clear Monitoring (N06.FR.01/05): the monitors on ChargingStation's and the configured
    EVSE's AvailabilityState, cleared by id, are both Accepted and no longer reported
    (EmptyResultSet)."""
    sut = await csms.ready(station_operator)
    sev = severity(csms)
    targets = [station_availability(), evse_availability(csms)]
    ids = [
        await install(
            csms, sut, data(t, "Delta", 1, sev), f"(Memory State) {t['component']['name']}"
        )
        for t in targets
    ]
    step(f"1. ClearVariableMonitoringRequest id {ids}")
    answer = await sut.call("ClearVariableMonitoring", {"id": ids})
    results = answer.get("clearMonitoringResult") or []
    for number in ids:
        found = [r for r in results if r.get("id") == number]
        check(bool(found), f"step 2: a clearMonitoringResult for id {number} (N06.FR.05)", answer)
        check_status(found[0], f"step 2 clearMonitoringResult {number}", "Accepted", ("NoError",))
    await monitoring_report(sut, "step 3", variables=targets, expect="EmptyResultSet")


@ocpp_case("TC_N_19_CS", version="2.0.1")
async def test_tc_n_19_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Clear Monitoring of an id that does not exist (N06.FR.02): NotFound. The id is the
    highest reported one plus 1 (123456 when none is reported)."""
    sut = await csms.ready(station_operator)
    monitors = await monitoring_report_or_empty(sut)
    known = [int(vm["id"]) for _m, vm in flatten(monitors) if "id" in vm]
    number = max(known) + 1 if known else 123456
    step(f"1. ClearVariableMonitoringRequest id {number}")
    answer = await sut.call("ClearVariableMonitoring", {"id": [number]})
    result = (answer.get("clearMonitoringResult") or [{}])[0]
    check(result.get("id") == number, f"step 2: clearMonitoringResult id {number}", answer)
    check_status(result, "step 2 clearMonitoringResult", "NotFound", ("NotFound",))


async def monitoring_report_or_empty(sut: StationConnection) -> list[dict]:
    """Preparations: every monitor, or none when the answer is EmptyResultSet."""
    return await monitoring_report(sut, "Preparations", expect=("Accepted", "EmptyResultSet"))


@ocpp_case("TC_N_44_CS", version="2.0.1", requires="AQ-5")
async def test_tc_n_44_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Clear Monitoring of a hard-wired monitor (N06.FR.03): Rejected. The monitor is
    ``[station] hardwired_monitor_id`` (AQ-5's answer) or, as OCTT does, the first reported."""
    sut = await csms.ready(station_operator)
    configured = csms.config.station.extra.get("hardwired_monitor_id")
    if configured is None:
        monitors = await monitoring_report_or_empty(sut)
        pairs = flatten(monitors)
        if not pairs:
            raise not_applicable("the station reports no monitor (no hard-wired one to clear)")
        configured = pairs[0][1]["id"]
    number = int(configured)
    step(f"1. ClearVariableMonitoringRequest id {number}")
    answer = await sut.call("ClearVariableMonitoring", {"id": [number]})
    result = (answer.get("clearMonitoringResult") or [{}])[0]
    if result.get("status") == "Accepted":
        csms.after_case("hard-wired monitor", _base_all)
    check(
        result.get("status") == "Rejected",
        f"step 2: clearMonitoringResult status Rejected (monitor {number} is hard-wired, "
        "N06.FR.03)",
        answer,
    )
