"""OCPP 2.0.1, CSMS under test, N. Diagnostics: monitoring events (2.0.1 Edition 3 Part 6
§3.15, Tables 656 and 672-674, and the provisional TC_N_21_CSMS).

pytest-ocpp plays the Charging Station (the OCTT column of each table): it sends the
NotifyEventRequests its monitors raise, and the CSMS must answer each with the empty
NotifyEventResponse (N07.FR.03, N08.FR.02). A CallError fails the step; so does a response
carrying anything but customData.

The monitors are the fake station's of ``test_monitoring.py`` (same ids): each event carries
the component, variable and variableMonitoringId of the monitor that raised it (N07.FR.06),
seqNo 0 (the only part, N07.FR.07, N08.FR.04) and no optional field the tables do not name
(``cleared`` only where TC_N_49_CSMS names it). Monitors on an EVSE are on the configured EVSE.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.station import Station201, check

HARDWIRED_MONITOR_ID = 1
"""The hard-wired UpperThreshold monitor on ChargingStation.Temperature (AQ-5); TC_N_44_CSMS
asks the CSMS to clear it."""

EVSE_POWER_THRESHOLD_ID = 5
"""UpperThreshold on EVSE.Power (22 kW): cleared in TC_N_49_CSMS."""

EVSE_POWER_PERIODIC_ID = 7
"""Periodic monitor on EVSE.Power: the events of TC_N_24/N_50_CSMS."""

PASSWORD_MONITOR_ID = 8
"""Delta monitor on the WriteOnly SecurityCtrlr.BasicAuthPassword (TC_N_48_CSMS, N07.FR.10;
errata 2025-02 AQ-10 names this variable for the station side)."""

MONITORED: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {
    # monitor id -> (component, variable); an EVSE component is put on the configured EVSE.
    HARDWIRED_MONITOR_ID: ({"name": "ChargingStation"}, {"name": "Temperature"}),
    EVSE_POWER_THRESHOLD_ID: ({"name": "EVSE"}, {"name": "Power"}),
    EVSE_POWER_PERIODIC_ID: ({"name": "EVSE"}, {"name": "Power"}),
    PASSWORD_MONITOR_ID: ({"name": "SecurityCtrlr"}, {"name": "BasicAuthPassword"}),
}

PERIODIC_EVENTS = 3
"""Table 656: "Step 1 and 2 will be repeated n times"; n is not given."""


def _event(
    station: Station201,
    monitor: int,
    *,
    trigger: str,
    actual: str,
    kind: str = "CustomMonitor",
    cleared: bool | None = None,
) -> dict[str, Any]:
    """An EventDataType raised by the station's monitor ``monitor`` (N07.FR.06: component,
    variable and variableMonitoringId)."""
    component, variable = MONITORED[monitor]
    if component.get("name") == "EVSE":
        component = {"name": "EVSE", "evse": {"id": station.evse_id}}
    event: dict[str, Any] = {
        "eventId": next(station.event_ids),
        "timestamp": station.now(),
        "trigger": trigger,
        "actualValue": actual,
        "eventNotificationType": kind,
        "component": component,
        "variable": variable,
        "variableMonitoringId": monitor,
    }
    if cleared is not None:
        event["cleared"] = cleared
    return event


async def _notify_events(
    station: Station201, number: int, events: Iterable[dict[str, Any]]
) -> None:
    """Step ``number`` once per event: a NotifyEventRequest with that event (seqNo 0, the only
    part: N07.FR.07, N08.FR.04), whose answer must be the empty NotifyEventResponse
    (N07.FR.03, N08.FR.02; a CallError fails)."""
    for event in events:
        step(f"{number}. The OCTT sends a NotifyEventRequest ({event['trigger']})")
        conf = await station.call(
            "NotifyEvent", {"generatedAt": station.now(), "seqNo": 0, "eventData": [event]}
        )
        check(
            not set(conf) - {"customData"},
            f"Step {number + 1}: NotifyEventResponse with an empty body (N07.FR.03, N08.FR.02)",
            conf,
        )


def _power(station: Station201) -> str:
    return str(station.device_model.value(f"EVSE({station.evse_id}).Power") or "22000.0")


@ocpp_case("TC_N_24_CSMS", version="2.0.1")
async def test_tc_n_24_csms(station: Station201) -> None:
    """Periodic events (N08): the station's Periodic monitor on EVSE.Power reports the value
    ``PERIODIC_EVENTS`` times (trigger Periodic, N08.FR.05); the CSMS answers each with an
    empty NotifyEventResponse (N08.FR.02)."""
    events = [
        _event(station, EVSE_POWER_PERIODIC_ID, trigger="Periodic", actual=_power(station))
        for _ in range(PERIODIC_EVENTS)
    ]
    await _notify_events(station, 1, events)


@ocpp_case("TC_N_48_CSMS", version="2.0.1")
async def test_tc_n_48_csms(station: Station201) -> None:
    """An event of a monitor on a WriteOnly variable carries an empty actualValue
    (N07.FR.10): a Delta monitor on SecurityCtrlr.BasicAuthPassword; the CSMS answers with an
    empty NotifyEventResponse (N07.FR.03)."""
    await _notify_events(
        station, 1, [_event(station, PASSWORD_MONITOR_ID, trigger="Delta", actual="")]
    )


@ocpp_case("TC_N_49_CSMS", version="2.0.1")
async def test_tc_n_49_csms(station: Station201) -> None:
    """A threshold exceeded before a reboot is reported cleared after it (N07.FR.14): the
    UpperThreshold monitor on EVSE.Power, trigger Alerting, cleared true, the actual value
    back within the threshold; the CSMS answers with an empty NotifyEventResponse. The table
    lists no reboot, so none is sent."""
    event = _event(
        station,
        EVSE_POWER_THRESHOLD_ID,
        trigger="Alerting",
        actual=_power(station),
        cleared=True,
    )
    await _notify_events(station, 1, [event])


@ocpp_case("TC_N_50_CSMS", version="2.0.1")
async def test_tc_n_50_csms(station: Station201) -> None:
    """A periodic monitor's event (N08.FR.05/06: trigger Periodic), answered with an empty
    NotifyEventResponse. The purpose says "after a reboot"; the table lists no reboot, so
    none is sent."""
    event = _event(station, EVSE_POWER_PERIODIC_ID, trigger="Periodic", actual=_power(station))
    await _notify_events(station, 1, [event])


@ocpp_case("TC_N_21_CSMS", version="2.0.1")
async def test_tc_n_21_csms(station: Station201) -> None:
    """Provisional (no table in Part 6 Ed3): an alert of a hard-wired monitor (N07), answered
    with an empty NotifyEventResponse (N07.FR.03).

    Built from Table 656, which calls itself "identical to TC_N_21_CSMS, only with a periodic
    event", from the station-side TC_N_21_CS (Table 354: the event is reported as coming from
    hard-wired firmware) and from the catalogue row (eventNotificationType HardWiredMonitor,
    empty response): one NotifyEventRequest from the station's hard-wired UpperThreshold
    monitor on ChargingStation.Temperature, trigger Alerting (N07.FR.16), with its
    variableMonitoringId (N07.FR.06). Part 5 Ed3 lists TC_N_21 as mandatory for a CSMS (AQ-5
    is the station's condition), so nothing is required here."""
    event = _event(
        station,
        HARDWIRED_MONITOR_ID,
        trigger="Alerting",
        actual="85",
        kind="HardWiredMonitor",
    )
    await _notify_events(station, 1, [event])
