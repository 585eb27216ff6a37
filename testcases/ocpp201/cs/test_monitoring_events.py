"""OCPP 2.0.1, Charging Station under test, N. Diagnostics: monitoring events, NotifyEvent
(2.0.1 Edition 3 Part 6 §2.15, Tables 353-357, 379, 381-386, and the 2025 errata).

pytest-ocpp plays the CSMS (the OCTT column). Each case first re-establishes Part 6 §2.1's
general preconditions (``csms.ready``), which also clears the monitors an earlier case
installed and puts the monitoring level back (``csms.after_case``). "Execute Reusable State X"
is one call of the fake CSMS's method for X. The threshold and Delta monitors use the
configured component variables (2025-02 errata; ``EVSE.Power`` by default, which charging
raises above the trigger values); where a table says "manually trigger the monitor" on
AvailabilityState, the operator plugs a cable in at the configured EVSE. An eventData element
may come alone or with others in one NotifyEventRequest: each is looked for, not taken from
index 0. Shared steps and the ``[station]`` keys: :mod:`._monitoring_support`.
"""

from __future__ import annotations

import asyncio
import random
import string
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import check

from ._monitoring_support import (
    about,
    check_event_basics,
    check_result,
    cv,
    data,
    events,
    evse_availability,
    has_monitor,
    install,
    interval,
    monitoring_report,
    number,
    quiet,
    set_base,
    set_level,
    set_monitoring,
    setting,
    severity,
    wait_event,
)


def _threshold(csms: FakeCsms201) -> dict[str, Any]:
    return cv(csms, setting(csms, "monitor_threshold_variable"))


def _value(csms: FakeCsms201, key: str) -> float:
    return float(setting(csms, key))


def _check_alert(
    element: dict[str, Any],
    label: str,
    *,
    monitor: int,
    transaction: str | None,
    above: float | None = None,
    at_most: float | None = None,
    cleared: bool = False,
) -> None:
    """An Alerting eventData of a threshold monitor (N07.FR.02/06/16/17)."""
    check(element.get("trigger") == "Alerting", f"{label}: trigger Alerting", element)
    check(
        element.get("variableMonitoringId") == monitor,
        f"{label}: variableMonitoringId {monitor} (N07.FR.06)",
        element,
    )
    value = number(element.get("actualValue"))
    if above is not None:
        check(value is not None and value > above, f"{label}: actualValue > {above:g}", element)
    if at_most is not None:
        check(
            value is not None and value <= at_most, f"{label}: actualValue <= {at_most:g}", element
        )
    if cleared:
        check(element.get("cleared") is True, f"{label}: cleared true (N07.FR.02)", element)
    else:
        check(not element.get("cleared"), f"{label}: cleared absent or false", element)
    if transaction is not None:
        check(
            element.get("transactionId") == transaction,
            f"{label}: transactionId {transaction} (power is delivered in a transaction)",
            element,
        )
    check(bool(element.get("timestamp")), f"{label}: timestamp present", element)


# -- N07 threshold and delta -----------------------------------------------------------------
@ocpp_case("TC_N_20_CS", version="2.0.1")
async def test_tc_n_20_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Alert Event, threshold exceeded (N07.FR.02/06/07/16/17), 2025-02 errata: monitoring
    base All, UpperThreshold (severity 5) on the threshold variable, level 8; the energy
    transfer exceeds it (Alerting); a LowerThreshold is added; stopping clears the first
    (cleared true) and trips the second, both CustomMonitor with the transactionId."""
    sut = await csms.ready(station_operator)
    target = _threshold(csms)
    upper, lower = (
        _value(csms, "monitor_upper_trigger_value"),
        _value(csms, "monitor_lower_trigger_value"),
    )
    answer = await set_base(csms, sut, "All", "(Memory State) SetMonitoringBaseRequest All")
    check(answer.get("status") == "Accepted", "Memory State: SetMonitoringBase Accepted", answer)
    first = await install(
        csms, sut, data(target, "UpperThreshold", upper, 5), "(Memory State) UpperThreshold"
    )
    await set_level(csms, sut, 8, "(Memory State) SetMonitoringLevelRequest 8")
    mark = sut.mark()
    step("1. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    tx = csms.transaction_id
    item, element = await wait_event(
        sut, mark, about(target, first), "2. NotifyEventRequest: upper threshold exceeded"
    )
    check_event_basics(item, "step 2")
    _check_alert(element, "step 2", monitor=first, transaction=tx, above=upper)
    item4 = data(target, "LowerThreshold", lower, 5)
    result = (
        await set_monitoring(csms, sut, [item4], "4. SetVariableMonitoringRequest LowerThreshold")
    )[0]
    check(result.get("status") == "Accepted", "step 5: status Accepted", result)
    second = int(result["id"])
    mark = sut.mark()
    step("6. Execute Reusable State StopAuthorized")
    await csms.stop_authorized(sut, station_operator)
    item, element = await wait_event(
        sut,
        mark,
        lambda e: about(target, first)(e) and bool(e.get("cleared")),
        "7. NotifyEventRequest: back below the upper threshold (cleared)",
    )
    check_event_basics(item, "step 7")
    _check_alert(
        element, "step 7 (cleared)", monitor=first, transaction=tx, at_most=upper, cleared=True
    )
    check(element.get("eventNotificationType") == "CustomMonitor", "step 7: CustomMonitor", element)
    item, element = await wait_event(
        sut, mark, about(target, second), "7. NotifyEventRequest: below the lower threshold"
    )
    check_event_basics(item, "step 7")
    _check_alert(element, "step 7 (lower)", monitor=second, transaction=tx, at_most=lower)
    check(element.get("eventNotificationType") == "CustomMonitor", "step 7: CustomMonitor", element)


@ocpp_case("TC_N_45_CS", version="2.0.1")
async def test_tc_n_45_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Alert Event, Delta exceeded (N07.FR.06/07/18), 2025-02 errata: a Delta monitor
    (``monitor_delta_value``, severity 5) on the numeric delta component variable, level 8;
    the energy transfer changes it by more: NotifyEvent trigger Delta with the monitor's id."""
    sut = await csms.ready(station_operator)
    target = cv(csms, setting(csms, "monitor_delta_variable"))
    monitor = await install(
        csms,
        sut,
        data(target, "Delta", _value(csms, "monitor_delta_value"), 5),
        "(Memory State) Delta",
    )
    await set_level(csms, sut, 8, "(Memory State) SetMonitoringLevelRequest 8")
    mark = sut.mark()
    step("1. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    item, element = await wait_event(
        sut, mark, about(target), "2. NotifyEventRequest trigger Delta"
    )
    check_event_basics(item, "step 2")
    check(element.get("trigger") == "Delta", "step 2: trigger Delta", element)
    check(
        element.get("variableMonitoringId") == monitor,
        f"step 2: variableMonitoringId {monitor} (N07.FR.06)",
        element,
    )


@ocpp_case("TC_N_56_CS", version="2.0.1")
async def test_tc_n_56_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Alert Event, non-numeric Delta (N07.FR.06/07/19), 2025-02 errata: a Delta monitor
    (value 1, severity 5) on the non-numeric variable, level 8; the manual action changing it
    is plugging a cable in at the configured EVSE (its AvailabilityState, the default
    variable): NotifyEvent trigger Delta with the monitor's id."""
    sut = await csms.ready(station_operator)
    target = cv(csms, setting(csms, "monitor_non_numeric_variable"))
    monitor = await install(csms, sut, data(target, "Delta", 1, 5), "(Memory State) Delta")
    await set_level(csms, sut, 8, "(Memory State) SetMonitoringLevelRequest 8")
    mark = sut.mark()
    step("Manual action: plug a cable in (the monitored value changes)")
    await station_operator.perform("plug_in", evse_id=csms.evse, connector_id=csms.connector)
    item, element = await wait_event(
        sut, mark, about(target), "1. NotifyEventRequest trigger Delta"
    )
    check_event_basics(item, "step 1")
    check(element.get("trigger") == "Delta", "step 1: trigger Delta", element)
    check(
        element.get("variableMonitoringId") == monitor,
        f"step 1: variableMonitoringId {monitor} (N07.FR.06)",
        element,
    )


@ocpp_case("TC_N_51_CS", version="2.0.1")
async def test_tc_n_51_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Modifying a threshold monitor (N07.FR.11), 2025-02 errata: an UpperThreshold at the
    non-trigger value stays silent through EnergyTransferStarted; replaced (same id) by the
    trigger value, the current value exceeds it at once: Alerting. Departure: the errata's
    "actualValue > non-trigger value" contradicts its own notes (maxLimit - 1); the value must
    exceed the new threshold, which is what N07.FR.11/16 ask."""
    sut = await csms.ready(station_operator)
    target = _threshold(csms)
    calm = _value(csms, "monitor_upper_non_trigger_value")
    trigger = _value(csms, "monitor_upper_trigger_value")
    monitor = await install(
        csms, sut, data(target, "UpperThreshold", calm, 5), "(Memory State) UpperThreshold"
    )
    await set_level(csms, sut, 8, "(Memory State) SetMonitoringLevelRequest 8")
    step("1. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    mark = sut.mark()
    item = data(target, "UpperThreshold", trigger, 5, id=monitor)
    result = (
        await set_monitoring(csms, sut, [item], f"2. SetVariableMonitoringRequest id {monitor}")
    )[0]
    check_result(result, "step 3", status="Accepted", item=item)
    event, element = await wait_event(sut, mark, about(target), "4. NotifyEventRequest Alerting")
    check_event_basics(event, "step 4")
    check(
        element.get("variableMonitoringId") == monitor,
        f"step 4: variableMonitoringId {monitor} (N07.FR.06)",
        element,
    )
    check(element.get("trigger") == "Alerting", "step 4: trigger Alerting", element)
    value = number(element.get("actualValue"))
    check(value is not None and value > trigger, f"step 4: actualValue > {trigger:g}", element)


@ocpp_case("TC_N_52_CS", version="2.0.1")
async def test_tc_n_52_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Removing a tripped threshold monitor (N07.FR.12), 2025-02 errata: an UpperThreshold
    (severity 5, level 8) tripped by EnergyTransferStarted is cleared (Accepted), no longer
    reported (EmptyResultSet); StopAuthorized brings no NotifyEvent for it (watched 1 s after
    the stop's TransactionEvent)."""
    sut = await csms.ready(station_operator)
    target = _threshold(csms)
    trigger = _value(csms, "monitor_upper_trigger_value")
    monitor = await install(
        csms, sut, data(target, "UpperThreshold", trigger, 5), "(Memory State) UpperThreshold"
    )
    await set_level(csms, sut, 8, "(Memory State) SetMonitoringLevelRequest 8")
    mark = sut.mark()
    step("(Charging State) Execute Reusable State EnergyTransferStarted: the monitor trips")
    await csms.energy_transfer_started(sut, station_operator)
    await wait_event(
        sut, mark, about(target, monitor), "NotifyEventRequest Alerting (the monitor tripped)"
    )
    step(f"1. ClearVariableMonitoringRequest id {monitor}")
    answer = await sut.call("ClearVariableMonitoring", {"id": [monitor]})
    result = (answer.get("clearMonitoringResult") or [{}])[0]
    check(
        result.get("status") == "Accepted" and result.get("id") == monitor,
        f"step 2: clearMonitoringResult status Accepted, id {monitor}",
        answer,
    )
    await monitoring_report(
        sut, "step 3", criteria=["ThresholdMonitoring"], variables=[target], expect="EmptyResultSet"
    )
    mark = sut.mark()
    step("5. Execute Reusable State StopAuthorized")
    await csms.stop_authorized(sut, station_operator)
    await quiet()
    found = events(sut, mark, lambda e: e.get("variableMonitoringId") == monitor)
    check(
        not found,
        f"step 6: no NotifyEventRequest for the cleared monitor {monitor} (N07.FR.12)",
        [item.payload for item, _e in found],
    )


@ocpp_case("TC_N_53_CS", version="2.0.1")
async def test_tc_n_53_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Monitors persist over a reboot (N07.FR.13): an UpperThreshold set before Booted is
    reported afterwards (ThresholdMonitoring) with its id."""
    sut = await csms.ready(station_operator)
    target = _threshold(csms)
    trigger = _value(csms, "monitor_upper_trigger_value")
    monitor = await install(
        csms,
        sut,
        data(target, "UpperThreshold", trigger, severity(csms)),
        "(Memory State) UpperThreshold",
    )
    step("Execute Reusable State Booted")
    sut = await csms.booted(sut, station_operator)
    monitors = await monitoring_report(
        sut, "step 1", criteria=["ThresholdMonitoring"], expect=("Accepted", "EmptyResultSet")
    )
    check(
        has_monitor(monitors, id=monitor, type="UpperThreshold"),
        f"step 3: monitor {monitor} (UpperThreshold) still there after the reboot (N07.FR.13)",
        monitors,
    )


# -- N07/N08 other triggers ------------------------------------------------------------------
@ocpp_case("TC_N_21_CS", version="2.0.1", requires="AQ-5")
async def test_tc_n_21_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Alert Event caused by a hard-wired trigger: a NotifyEvent (seqNo 0) with an eventData
    of eventNotificationType HardWiredNotification. The tester's trigger is plugging a cable in
    at the configured EVSE (a connector state change, which the station reports)."""
    sut = await csms.ready(station_operator)
    mark = sut.mark()
    step("Tester triggers a hard-wired notification: plug a cable in")
    await station_operator.perform("plug_in", evse_id=csms.evse, connector_id=csms.connector)
    item, _element = await wait_event(
        sut,
        mark,
        lambda e: e.get("eventNotificationType") == "HardWiredNotification",
        "1. NotifyEventRequest with eventNotificationType HardWiredNotification",
    )
    check_event_basics(item, "step 1")


async def _offline(
    csms: FakeCsms201, sut: StationConnection, action: Any
) -> tuple[StationConnection, int]:
    """Take the station offline (the CSMS closes the connection and refuses reconnects), run
    ``action`` meanwhile, then accept the next reconnect. Returns it and the inbox position
    from which its messages count."""
    generation = csms.generation
    step("Take the Charging Station offline")
    csms.behaviour.refuse_connections = True
    try:
        await csms.drop_connection()
        await action()
        duration = float(csms.config.station.extra.get("transaction_duration", 0))
        if duration:
            await asyncio.sleep(duration)  # <Configured Transaction Duration>
    finally:
        csms.behaviour.refuse_connections = False
    step("Bring the Charging Station back online")
    wait = 8 * max(1, csms.retry_backoff_wait_minimum)
    new = await csms.next_connection(after=generation, timeout=wait + csms.config.timeouts.connect)
    return new, 0


@ocpp_case("TC_N_22_CS", version="2.0.1", requires="DM-3")
async def test_tc_n_22_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Offline notification queued (N07.FR.04): OfflineQueuingSeverity = the configured
    severity and a Delta monitor of that severity on the configured EVSE's AvailabilityState;
    a cable plugged in while offline is reported after the reconnect (trigger Delta,
    Occupied)."""
    sut = await csms.ready(station_operator)
    sev = severity(csms)
    await csms.configure(sut, {"MonitoringCtrlr.OfflineQueuingSeverity": str(sev)})
    target = evse_availability(csms)
    await install(csms, sut, data(target, "Delta", 1, sev), "(Memory State) Delta monitor")

    async def plug() -> None:
        step("1. Plug a cable in at the configured EVSE")
        await station_operator.perform("plug_in", evse_id=csms.evse, connector_id=csms.connector)

    sut, since = await _offline(csms, sut, plug)
    _item, element = await wait_event(
        sut, since, about(target), "3. NotifyEventRequest queued offline"
    )
    check(element.get("trigger") == "Delta", "step 3: trigger Delta", element)
    check(element.get("actualValue") == "Occupied", "step 3: actualValue Occupied", element)


@ocpp_case("TC_N_23_CS", version="2.0.1", requires="DM-3")
async def test_tc_n_23_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Offline notification not queued (N07.FR.04), 2024-06 errata: OfflineQueuingSeverity =
    the configured severity, Delta monitors one severity higher on the configured EVSE's and
    connector's AvailabilityState. Plugged in online: Occupied is reported (NotifyEvent for
    both); unplugged and plugged again offline: after the reconnect the transaction events
    come (when TxStartPoint has EVConnected or ParkingBayOccupancy) but no NotifyEvent of
    these monitors. Other AvailabilityState notifications (hard-wired ones) are warned about."""
    sut = await csms.ready(station_operator)
    sev = severity(csms)
    await csms.configure(sut, {"MonitoringCtrlr.OfflineQueuingSeverity": str(sev)})
    evse, connector = evse_availability(csms), cv(csms, "Connector.AvailabilityState")
    ids = [
        await install(
            csms, sut, data(t, "Delta", 1, sev + 1), f"(Memory State) {t['component']['name']}"
        )
        for t in (evse, connector)
    ]
    points = set(await csms.tx_start_points(sut))
    with_tx = bool(points & {"EVConnected", "ParkingBayOccupancy"})
    mark = sut.mark()
    step("Manual action: connect the EV and EVSE")
    await station_operator.perform("plug_in", evse_id=csms.evse, connector_id=csms.connector)
    for target, what in ((connector, "Connector"), (evse, "EVSE")):
        _item, element = await wait_event(
            sut,
            mark,
            lambda e, t=target: about(t)(e) and e.get("actualValue") == "Occupied",
            f"1. NotifyEventRequest {what} AvailabilityState Occupied",
        )
        check(element.get("trigger") == "Delta", f"step 1: {what} trigger Delta", element)
    if with_tx:
        await csms.transaction_event(
            sut,
            since=mark,
            label="3. triggerReason CablePluggedIn, chargingState EVConnected",
            predicate=lambda p: (
                p["triggerReason"] == "CablePluggedIn"
                and p["transactionInfo"].get("chargingState") == "EVConnected"
            ),
        )

    async def replug() -> None:
        step("Manual action: disconnect the EV and EVSE, connect them again")
        await station_operator.perform("plug_out", evse_id=csms.evse, connector_id=csms.connector)
        await station_operator.perform("plug_in", evse_id=csms.evse, connector_id=csms.connector)

    sut, since = await _offline(csms, sut, replug)
    if with_tx:
        await csms.transaction_event(
            sut,
            since=since,
            label="5. triggerReason EVCommunicationLost, chargingState Idle",
            predicate=lambda p: (
                p["triggerReason"] == "EVCommunicationLost"
                and p["transactionInfo"].get("chargingState") == "Idle"
            ),
        )
        await csms.transaction_event(
            sut,
            since=since,
            label="7. triggerReason CablePluggedIn, chargingState EVConnected",
            predicate=lambda p: (
                p["triggerReason"] == "CablePluggedIn"
                and p["transactionInfo"].get("chargingState") == "EVConnected"
            ),
        )
    else:
        await quiet()
    found = events(sut, since, lambda e: e.get("variableMonitoringId") in ids)
    check(
        not found,
        f"no NotifyEventRequest of the monitors {ids} (severity {sev + 1} > "
        f"OfflineQueuingSeverity {sev}) from the offline period (N07.FR.04)",
        [item.payload for item, _e in found],
    )
    others = events(sut, since, lambda e: about(evse)(e) or about(connector)(e))
    if others:
        warn(f"AvailabilityState notifications after the reconnect: {[e for _i, e in others]}")


@ocpp_case("TC_N_24_CS", version="2.0.1")
async def test_tc_n_24_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Periodic event (N04.FR.01/08, N08.FR.05/06), 2025-02 errata: level 8, a Periodic
    monitor (severity 5, value the clock-aligned interval, 1 s unless configured) on the
    threshold monitor component variable; NotifyEvents with trigger Periodic come about every
    interval (two are timed, within half to twice the interval plus 0.5 s)."""
    sut = await csms.ready(station_operator)
    target = _threshold(csms)
    every = interval(csms)
    await set_level(csms, sut, 8, "(Memory State) SetMonitoringLevelRequest 8")
    item = data(target, "Periodic", every, 5)
    result = (await set_monitoring(csms, sut, [item], "1. SetVariableMonitoringRequest Periodic"))[
        0
    ]
    check_result(result, "step 2", status="Accepted", item=item)
    mark = sut.mark()
    monitor = int(result["id"])
    timeout = 2 * every + csms.config.timeouts.message
    first, element = await wait_event(
        sut, mark, about(target, monitor), "3. NotifyEventRequest trigger Periodic", timeout=timeout
    )
    check(element.get("trigger") == "Periodic", "step 3: trigger Periodic (N08.FR.05)", element)
    since = sut.link.inbox.index(first) + 1
    second, element = await wait_event(
        sut,
        since,
        about(target, monitor),
        "3. the next NotifyEventRequest trigger Periodic",
        timeout=timeout,
    )
    check(element.get("trigger") == "Periodic", "step 3: trigger Periodic (N08.FR.05)", element)
    gap = second.received_at - first.received_at
    check(
        every / 2 <= gap <= 2 * every + 0.5,
        f"step 3: a NotifyEventRequest every {every} s (N08.FR.06)",
        f"{gap:.2f} s between two",
    )


# -- N07.FR.10 write-only and numeric delta via SetVariables ---------------------------------
async def _event_across_reconnect(
    csms: FakeCsms201,
    sut: StationConnection,
    since: int,
    generation: int,
    match: Any,
    describe: str,
) -> tuple[StationConnection, IncomingCall, dict[str, Any]]:
    """The NotifyEvent ``match`` accepts, on this connection or on the one the station opens
    after closing it (a new BasicAuthPassword is used from the next connection, A01)."""
    waiter = asyncio.ensure_future(wait_event(sut, since, match, describe))
    closed = asyncio.ensure_future(sut.link.closed.wait())
    done, _pending = await asyncio.wait({waiter, closed}, return_when=asyncio.FIRST_COMPLETED)
    closed.cancel()
    if waiter in done and waiter.exception() is None:
        item, element = waiter.result()
        return sut, item, element
    if not sut.closed:
        waiter.result()  # it failed for another reason than the reconnect: say so
    waiter.cancel()
    found = events(sut, since, match)
    if found:
        return sut, found[0][0], found[0][1]
    sut = await csms.next_connection(after=generation, timeout=csms.config.timeouts.reboot)
    item, element = await wait_event(sut, 0, match, describe)
    return sut, item, element


@ocpp_case("TC_N_48_CS", version="2.0.1", requires="AQ-10")
async def test_tc_n_48_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Variable monitoring on a WriteOnly variable (N07.FR.10): a Delta monitor on
    SecurityCtrlr.BasicAuthPassword; a new password (Accepted or RebootRequired, then
    Booted) brings a NotifyEvent whose actualValue is empty. The station reconnects with the
    new password; when ``--ocpp-basic-auth-password`` is configured, the fake CSMS expects the
    new one meanwhile and the configured one is set back at the end."""
    sut = await csms.ready(station_operator)
    target = {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}}
    await install(
        csms, sut, data(target, "Delta", 1, severity(csms)), "(Memory State) Delta monitor"
    )
    configured = csms.config.basic_auth_password
    length = len(configured) if configured else 24
    alphabet = string.ascii_letters + string.digits
    password = "".join(random.choice(alphabet) for _ in range(max(16, min(40, length))))
    if configured:
        csms.change_password(password)
    try:
        generation = csms.generation
        mark = sut.mark()
        step("1. SetVariablesRequest SecurityCtrlr.BasicAuthPassword = <generated password>")
        answer = await sut.call(
            "SetVariables",
            {"setVariableData": [{**target, "attributeValue": password}]},
        )
        status = (answer.get("setVariableResult") or [{}])[0].get("attributeStatus")
        check(
            status in ("Accepted", "RebootRequired"), "step 2: Accepted or RebootRequired", answer
        )
        if status == "RebootRequired":
            step("3. Execute Reusable State Booted")
            sut = await csms.booted(sut, station_operator)
            mark = 0
        sut, _item, element = await _event_across_reconnect(
            csms,
            sut,
            mark,
            generation,
            about(target),
            "4. NotifyEventRequest for BasicAuthPassword",
        )
        check(
            element.get("actualValue") == "",
            "step 4: actualValue an empty string (WriteOnly variable, N07.FR.10)",
            element,
        )
    finally:
        if configured:
            csms.change_password(configured)
            if csms.connection is not None and not csms.connection.closed:
                await csms.connection.link.call(
                    "SetVariables",
                    {"setVariableData": [{**target, "attributeValue": configured}]},
                    allow_error=True,
                )


@ocpp_case("TC_N_61_CS", version="2.0.1")
async def test_tc_n_61_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Variable monitoring on a numeric variable (N07.FR.18): a Delta monitor (value 1) on
    OCPPCommCtrlr.OfflineThreshold; threshold + 1 does not exceed it (no NotifyEvent),
    threshold + 2 does: NotifyEvent with actualValue threshold + 2. The table gives no monitor
    value: 1, so that +1 is not "more than" it and +2 is."""
    sut = await csms.ready(station_operator)
    text = "OCPPCommCtrlr.OfflineThreshold"
    target = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}}
    current = await csms.get_variable(sut, text, step_name=f"(Memory State) GetVariables {text}")
    check(current is not None and current.strip().isdigit(), f"{text} readable", current)
    base = int(str(current))
    monitor = await install(
        csms, sut, data(target, "Delta", 1, severity(csms)), "(Memory State) Delta monitor"
    )
    mark = sut.mark()
    for label, value in (("1", base + 1), ("4", base + 2)):
        step(f"{label}. SetVariablesRequest {text} = {value}")
        answer = await sut.call(
            "SetVariables", {"setVariableData": [{**target, "attributeValue": str(value)}]}
        )
        status = (answer.get("setVariableResult") or [{}])[0].get("attributeStatus")
        check(
            status in ("Accepted", "RebootRequired"),
            f"step {int(label) + 1}: Accepted or RebootRequired",
            answer,
        )
        if status == "RebootRequired":
            step(f"{int(label) + 2}. Execute Reusable State Booted")
            sut = await csms.booted(sut, station_operator)
            mark = 0
    _item, element = await wait_event(sut, mark, about(target, monitor), "7. NotifyEventRequest")
    found = events(sut, mark, about(target, monitor))
    check(
        all(e.get("actualValue") != str(base + 1) for _i, e in found),
        f"step 3: no NotifyEventRequest for {base + 1} (a change of 1 does not exceed the Delta)",
        [e for _i, e in found],
    )
    check(element.get("actualValue") == str(base + 2), f"step 7: actualValue {base + 2}", element)
