"""OCPP 2.0.1, Charging Station under test, B. Provisioning part 1: boot (B01-B03) and
Get/SetVariables (B05, B06) (2.0.1 Edition 3 Part 6 §2.3 and the 2025 errata); the reports
(B07, B08) are in test_provisioning_reports.py, helpers in _provisioning_support.py.

pytest-ocpp plays the CSMS (the OCTT column of each scenario table). Each case first
re-establishes Part 6 §2.1's general preconditions (``csms.ready``); "Execute Reusable State X"
is one call of the fake CSMS's method for X (Part 6 §2.18, :mod:`pytest_ocpp.csms.states201`).

Departures shared by the cases of this module:

* The tables name components "OCPPCommCtrl", "AuthCtrl", "SmartChargingCtrl" and "ClockCtrl";
  the device model of Part 2 (Referenced Components and Variables, ``dm_components_vars.csv``)
  names them OCPPCommCtrlr, AuthCtrlr, SmartChargingCtrlr and ClockCtrlr, and TC_B_06/B_33
  use the right name: the tables' short names are typos, and a station answering
  UnknownComponent to them would be right. We send the Part 2 names (except where the
  unknown component is the point, TC_B_32/B_35).
* TC_B_07/B_10 name AuthCtrl "LocalAuthorizationOffline", as Part 2 §B's referenced variable
  does, while ``dm_components_vars.csv`` and the JSON device model name it
  "LocalAuthorizeOffline". The case first asks the station which of the two it has (one
  GetVariablesRequest in the Configuration State) and uses that name.
* Variables a case sets outside a Configuration State (TC_B_09/B_10/B_11) are read first, so
  that the fake CSMS puts them back when the next case starts (Part 6 §2.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import check

from ._provisioning_support import (
    _REQUEST_IDS,
    AUTH,
    COMM,
    _base_report,
    _boot_after,
    _boot_interval,
    _calls_between,
    _connectors_available,
    _cv,
    _no_error,
    _offline_name,
    _remember,
    _result_for,
)


# -- B01-B03 boot ---------------------------------------------------------------------------
@ocpp_case("TC_B_01_CS", version="2.0.1")
async def test_tc_b_01_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A cold boot (B01.FR.01, B01.FR.05, B01.FR.09): the station resets, sends a
    BootNotificationRequest, answered Accepted, and reports every connector's state (the post
    scenario validation: "a message to report the state of a connector has been received for
    all connectors"), through reusable state Booted, which judges each message."""
    sut = await csms.ready(station_operator)
    step("1. Execute Reusable State Booted")
    await csms.booted(sut, station_operator)


@ocpp_case("TC_B_02_CS", version="2.0.1")
async def test_tc_b_02_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A Pending boot (B02.FR.01/02/04/05/06/08, F06.FR.17): while Pending the station answers
    SetVariables, GetVariables and GetBaseReport (with its NotifyReport pages), rejects a
    RequestStartTransaction, sends nothing unasked but BootNotification (B02.FR.02), keeps the
    connection open, and boots again at once on TriggerMessage(BootNotification) with reason
    Triggered; once Accepted it reports every connector Available.

    Departures: the reboot is the operator's power cycle (the manual action). The
    RequestStartTransactionRequest carries the schema's required idToken (<Configured valid
    idToken>) and remoteStartId, which the table leaves unnamed. The interval of the Pending
    answer is ``[station] heartbeat_interval`` (default 300 s, so no interval-driven boot
    races the triggered one); with TriggerMessage NotImplemented we wait for that retry."""
    sut = await csms.ready(station_operator)
    interval = _boot_interval(csms, 300)
    await _remember(csms, sut, f"{COMM}.OfflineThreshold")
    generation = csms.generation
    csms.behaviour.boot_status = "Pending"
    csms.behaviour.heartbeat_interval = interval
    try:
        step("Manual action: reboot the Charging Station")
        await station_operator.perform("power_cycle")
        sut = await csms.next_connection(after=generation, reboot=True)
        step("1. BootNotificationRequest, answered Pending (2.)")
        pending = await sut.wait_for(
            "BootNotification", describe="BootNotificationRequest after the reboot"
        )
        step(f"3. SetVariablesRequest {COMM}.OfflineThreshold = 300")
        answer = await sut.call(
            "SetVariables",
            {"setVariableData": [{**_cv(COMM, "OfflineThreshold"), "attributeValue": "300"}]},
        )
        result = (answer.get("setVariableResult") or [{}])[0]
        check(
            result.get("attributeStatus") == "Accepted",
            "step 4: SetVariablesResponse setVariableResult[0].attributeStatus Accepted while "
            "Pending (B02.FR.01)",
            answer,
        )
        step(f"5. GetVariablesRequest {COMM}.OfflineThreshold")
        answer = await sut.call(
            "GetVariables", {"getVariableData": [_cv(COMM, "OfflineThreshold")]}
        )
        result = (answer.get("getVariableResult") or [{}])[0]
        check(
            result.get("attributeStatus") == "Accepted",
            "step 6: GetVariablesResponse getVariableResult[0].attributeStatus Accepted while "
            "Pending (B02.FR.01)",
            answer,
        )
        entries = await _base_report(sut, "FullInventory", "TC_B_02_CS (steps 7-10)")
        check(bool(entries), "step 9: NotifyReportRequest with the configuration", entries)
        step("11. RequestStartTransactionRequest")
        answer = await sut.call(
            "RequestStartTransaction",
            {"idToken": csms.id_token(), "remoteStartId": next(_REQUEST_IDS)},
        )
        check(
            answer.get("status") == "Rejected",
            "step 12: RequestStartTransactionResponse status Rejected while Pending (B02.FR.05)",
            answer,
        )
        csms.behaviour.boot_status = "Accepted"
        mark = sut.mark()
        step("13. TriggerMessageRequest requestedMessage BootNotification")
        answer = await sut.call("TriggerMessage", {"requestedMessage": "BootNotification"})
        status = answer.get("status")
        check(
            status in ("Accepted", "NotImplemented"),
            "step 14: TriggerMessageResponse status Accepted or NotImplemented",
            answer,
        )
        step("15. BootNotificationRequest, answered Accepted (16.)")
        wait = None if status == "Accepted" else interval + csms.config.timeouts.message
        accepted = await sut.wait_for(
            "BootNotification",
            since=mark,
            timeout=wait,
            describe="BootNotificationRequest after TriggerMessage(BootNotification)",
        )
        if status == "Accepted":
            check(
                accepted.payload.get("reason") == "Triggered",
                "step 15: BootNotificationRequest reason Triggered (F06.FR.17)",
                accepted.payload,
            )
        check(
            csms.generation == generation + 1 and not sut.closed,
            "the connection stays open while Pending (B02.FR.06)",
            f"{csms.generation - generation} new connection(s)",
        )
        triggered_boot = {"BootNotification", "NotifyReport"}
        unasked = [
            f"{c.action} {c.payload}"
            for c in _calls_between(sut, pending, accepted)
            if c.action not in triggered_boot
        ]
        check(
            not unasked,
            "no request but BootNotification and the asked-for NotifyReport while Pending "
            "(B02.FR.02)",
            unasked,
        )
        step("17. The Charging Station notifies the state of all connectors")
        await _connectors_available(
            csms, sut, since=sut.link.inbox.index(accepted) + 1, label="step 17"
        )
    finally:
        csms.behaviour.boot_status = "Accepted"


@ocpp_case("TC_B_03_CS", version="2.0.1")
async def test_tc_b_03_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A Rejected boot (B03.FR.02/04/06): after BootNotificationResponse Rejected the station
    sends nothing until the interval has passed (B03.FR.02), may close the connection
    meanwhile (B03.FR.04), then sends BootNotificationRequest again (B03.FR.06), Accepted, and
    reports every connector Available.

    Departures: the reboot is the operator's power cycle (the manual action). The interval is
    ``[station] heartbeat_interval`` (default 10 s: the wait is imposed by the spec, so at a
    short value); the retry may come up to 4 s early (Part 6 §2.1's time deviation)."""
    sut = await csms.ready(station_operator)
    interval = _boot_interval(csms, 10)
    generation = csms.generation
    csms.behaviour.boot_status = "Rejected"
    csms.behaviour.heartbeat_interval = interval
    try:
        step("Manual action: reboot the Charging Station")
        await station_operator.perform("power_cycle")
        sut = await csms.next_connection(after=generation, reboot=True)
        generation = csms.generation
        step(f"1. BootNotificationRequest, answered Rejected, interval {interval} (2.)")
        rejected = await sut.wait_for(
            "BootNotification", describe="BootNotificationRequest after the reboot"
        )
        csms.behaviour.boot_status = "Accepted"
        mark = sut.mark()
        step("3. BootNotificationRequest after the interval, answered Accepted (4.)")
        first_sut = sut
        sut, retry = await _boot_after(
            csms,
            sut,
            mark,
            generation,
            interval + csms.config.timeouts.message,
            "BootNotificationRequest after the Rejected interval",
        )
        waited = retry.received_at - rejected.received_at
        check(
            waited >= interval - 4,
            f"step 3: BootNotificationRequest again only after the interval of {interval} s "
            "(B03.FR.02/06)",
            f"after {waited:.1f} s",
        )
        between = _calls_between(first_sut, rejected, retry if sut is first_sut else None)
        check(
            not between,
            "step 3: no OCPP message until the interval has expired (B03.FR.02)",
            [f"{c.action} {c.payload}" for c in between],
        )
        step("5. The Charging Station notifies the state of all connectors")
        await _connectors_available(
            csms, sut, since=sut.link.inbox.index(retry) + 1, label="step 5"
        )
    finally:
        csms.behaviour.boot_status = "Accepted"


@ocpp_case("TC_B_30_CS", version="2.0.1")
async def test_tc_b_30_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """While its boot is Rejected, a CSMS request gets CALLERROR SecurityError (B03.FR.08).

    Departures: the table starts at the BootNotificationRequest; the station sends one after
    the operator's power cycle. The Rejected answer's interval is 5 s (the table names none);
    as clean-up the case waits for the station's retry, answered Accepted, so the next case
    finds it accepted. If the station closes the connection, step 3 is skipped as the table
    says (warning)."""
    sut = await csms.ready(station_operator)
    generation = csms.generation
    csms.behaviour.boot_status = "Rejected"
    csms.behaviour.heartbeat_interval = 5
    try:
        await station_operator.perform("power_cycle")
        sut = await csms.next_connection(after=generation, reboot=True)
        generation = csms.generation
        step("1. BootNotificationRequest, answered Rejected (2.)")
        await sut.wait_for("BootNotification", describe="BootNotificationRequest after the reboot")
        mark = sut.mark()
        csms.behaviour.boot_status = "Accepted"
        if sut.closed:
            warn("the station closed the connection after Rejected: step 3 not sent (table)")
            return
        step("3. GetBaseReportRequest reportBase FullInventory")
        answer = await sut.call(
            "GetBaseReport",
            {"requestId": next(_REQUEST_IDS), "reportBase": "FullInventory"},
            allow_error=True,
        )
        check(
            answer.get("errorCode") == "SecurityError",
            "step 4: CALLERROR SecurityError to a request while Rejected (B03.FR.08)",
            answer,
        )
        step("(clean-up) the station's next BootNotificationRequest, answered Accepted")
        await _boot_after(
            csms,
            sut,
            mark,
            generation,
            5 + csms.config.timeouts.message,
            "BootNotificationRequest after the Rejected interval (clean-up)",
        )
    finally:
        csms.behaviour.boot_status = "Accepted"


# -- B06 GetVariables -----------------------------------------------------------------------
@ocpp_case("TC_B_06_CS", version="2.0.1")
async def test_tc_b_06_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetVariables of one required variable (B06.FR.01-04/10/11): with OfflineThreshold set
    to 300, the station answers Accepted, Actual, "300", naming the component/variable."""
    sut = await csms.ready(station_operator)
    await csms.configure(sut, {f"{COMM}.OfflineThreshold": "300"})
    step(f"1. GetVariablesRequest {COMM}.OfflineThreshold, attributeType Actual")
    answer = await sut.call(
        "GetVariables",
        {"getVariableData": [{**_cv(COMM, "OfflineThreshold"), "attributeType": "Actual"}]},
    )
    results = answer.get("getVariableResult") or []
    item = _result_for(results, COMM, "OfflineThreshold") or {}
    check(
        item.get("attributeStatus") == "Accepted"
        and item.get("attributeType", "Actual") == "Actual"
        and item.get("attributeValue") == "300"
        and _no_error(item),
        f"step 2: GetVariablesResponse attributeStatus Accepted, attributeType Actual, "
        f'attributeValue "300", component {COMM}, variable OfflineThreshold, attributeStatusInfo '
        "absent or NoError (B06.FR.01/02)",
        answer,
    )


@ocpp_case("TC_B_07_CS", version="2.0.1")
async def test_tc_b_07_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetVariables of two variables in one request (B06.FR.01-04/10): one result each, in
    any order, with the configured values (300, "true")."""
    sut = await csms.ready(station_operator)
    offline = await _offline_name(csms, sut)
    await csms.configure(sut, {f"{COMM}.OfflineThreshold": "300", f"{AUTH}.{offline}": "true"})
    step(f"1. GetVariablesRequest {COMM}.OfflineThreshold and {AUTH}.{offline}, Actual")
    answer = await sut.call(
        "GetVariables",
        {
            "getVariableData": [
                {**_cv(COMM, "OfflineThreshold"), "attributeType": "Actual"},
                {**_cv(AUTH, offline), "attributeType": "Actual"},
            ]
        },
    )
    results = answer.get("getVariableResult") or []
    for component, variable, value in ((COMM, "OfflineThreshold", "300"), (AUTH, offline, "true")):
        item = _result_for(results, component, variable) or {}
        check(
            item.get("attributeStatus") == "Accepted"
            and item.get("attributeType", "Actual") == "Actual"
            and str(item.get("attributeValue")).lower() == value
            and _no_error(item),
            f"step 2: GetVariablesResponse has a result for {component}.{variable}: Accepted, "
            f'Actual, attributeValue "{value}" (B06.FR.01/10)',
            answer,
        )


async def _get_one(sut: StationConnection, entry: dict[str, Any]) -> Mapping[str, Any]:
    answer = await sut.call("GetVariables", {"getVariableData": [entry]})
    return (answer.get("getVariableResult") or [{}])[0]


@ocpp_case("TC_B_32_CS", version="2.0.1")
async def test_tc_b_32_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetVariables of an unknown component: UnknownComponent (B06.FR.06)."""
    sut = await csms.ready(station_operator)
    step("1. GetVariablesRequest UnknownComponent.OfflineThreshold")
    item = await _get_one(sut, _cv("UnknownComponent", "OfflineThreshold"))
    check(
        item.get("attributeStatus") == "UnknownComponent"
        and item.get("component", {}).get("name") == "UnknownComponent"
        and item.get("variable", {}).get("name") == "OfflineThreshold",
        "step 2: getVariableResult[0].attributeStatus UnknownComponent for component "
        "UnknownComponent, variable OfflineThreshold (B06.FR.06)",
        item,
    )


@ocpp_case("TC_B_33_CS", version="2.0.1")
async def test_tc_b_33_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetVariables of an unknown variable of a known component: UnknownVariable
    (B06.FR.07)."""
    sut = await csms.ready(station_operator)
    step(f"1. GetVariablesRequest {COMM}.UnknownVariable")
    item = await _get_one(sut, _cv(COMM, "UnknownVariable"))
    check(
        item.get("attributeStatus") == "UnknownVariable"
        and item.get("component", {}).get("name") == COMM
        and item.get("variable", {}).get("name") == "UnknownVariable",
        f"step 2: getVariableResult[0].attributeStatus UnknownVariable for component {COMM}, "
        "variable UnknownVariable (B06.FR.07)",
        item,
    )


@ocpp_case("TC_B_34_CS", version="2.0.1")
async def test_tc_b_34_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetVariables of an attribute type the variable lacks (OfflineThreshold has only Actual):
    NotSupportedAttributeType (B06.FR.08). The table's "NotSupportedcliffeType" is a typo."""
    sut = await csms.ready(station_operator)
    step(f"1. GetVariablesRequest {COMM}.OfflineThreshold, attributeType Target")
    item = await _get_one(sut, {**_cv(COMM, "OfflineThreshold"), "attributeType": "Target"})
    check(
        item.get("attributeStatus") == "NotSupportedAttributeType"
        and item.get("attributeType") == "Target"
        and item.get("variable", {}).get("name") == "OfflineThreshold",
        "step 2: getVariableResult[0].attributeStatus NotSupportedAttributeType, attributeType "
        "Target (B06.FR.08)",
        item,
    )


# -- B05 SetVariables -----------------------------------------------------------------------
async def _set(sut: StationConnection, entries: list[dict[str, Any]]) -> list[Mapping[str, Any]]:
    answer = await sut.call("SetVariables", {"setVariableData": entries})
    return list(answer.get("setVariableResult") or [])


@ocpp_case("TC_B_09_CS", version="2.0.1")
async def test_tc_b_09_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """SetVariables of one required variable (B05.FR.01-03/10/12): Accepted, Actual."""
    sut = await csms.ready(station_operator)
    await _remember(csms, sut, f"{COMM}.OfflineThreshold")
    step(f'1. SetVariablesRequest {COMM}.OfflineThreshold = "300", attributeType Actual')
    results = await _set(
        sut, [{**_cv(COMM, "OfflineThreshold"), "attributeValue": "300", "attributeType": "Actual"}]
    )
    item = _result_for(results, COMM, "OfflineThreshold") or {}
    check(
        item.get("attributeStatus") == "Accepted"
        and item.get("attributeType", "Actual") == "Actual"
        and _no_error(item),
        f"step 2: setVariableResult[0] attributeStatus Accepted, attributeType Actual, component "
        f"{COMM}, variable OfflineThreshold, attributeStatusInfo absent or NoError (B05.FR.01)",
        results,
    )


@ocpp_case("TC_B_10_CS", version="2.0.1")
async def test_tc_b_10_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """SetVariables of two variables in one request (B05.FR.01-03/10/12): one result each, in
    any order, both Accepted.

    Departure: the table's second attributeType line repeats index [0] (a typo); both items
    are sent with attributeType Actual."""
    sut = await csms.ready(station_operator)
    offline = await _offline_name(csms, sut)
    await _remember(csms, sut, f"{COMM}.OfflineThreshold")
    step(f'1. SetVariablesRequest {COMM}.OfflineThreshold = "300", {AUTH}.{offline} = "true"')
    results = await _set(
        sut,
        [
            {**_cv(COMM, "OfflineThreshold"), "attributeValue": "300", "attributeType": "Actual"},
            {**_cv(AUTH, offline), "attributeValue": "true", "attributeType": "Actual"},
        ],
    )
    for component, variable in ((COMM, "OfflineThreshold"), (AUTH, offline)):
        item = _result_for(results, component, variable) or {}
        check(
            item.get("attributeStatus") == "Accepted"
            and item.get("attributeType", "Actual") == "Actual"
            and _no_error(item),
            f"step 2: SetVariablesResponse has a result for {component}.{variable}: Accepted, "
            "Actual, attributeStatusInfo absent or NoError (B05.FR.01/10)",
            results,
        )


@ocpp_case("TC_B_35_CS", version="2.0.1")
async def test_tc_b_35_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """SetVariables of an unknown component: UnknownComponent (B05.FR.04).

    Departure: attributeValue is required by the schema and not in the table; we send "300"."""
    sut = await csms.ready(station_operator)
    step('1. SetVariablesRequest UnknownComponent.OfflineThreshold = "300"')
    results = await _set(
        sut, [{**_cv("UnknownComponent", "OfflineThreshold"), "attributeValue": "300"}]
    )
    item = results[0] if results else {}
    check(
        item.get("attributeStatus") == "UnknownComponent"
        and item.get("component", {}).get("name") == "UnknownComponent"
        and item.get("variable", {}).get("name") == "OfflineThreshold",
        "step 2: setVariableResult[0].attributeStatus UnknownComponent for component "
        "UnknownComponent, variable OfflineThreshold (B05.FR.04)",
        results,
    )


@ocpp_case("TC_B_36_CS", version="2.0.1")
async def test_tc_b_36_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """SetVariables of an unknown variable of a known component: UnknownVariable (B05.FR.05).

    Departure: attributeValue is required by the schema and not in the table; we send "300"."""
    sut = await csms.ready(station_operator)
    step(f'1. SetVariablesRequest {COMM}.UnknownVariable = "300"')
    results = await _set(sut, [{**_cv(COMM, "UnknownVariable"), "attributeValue": "300"}])
    item = results[0] if results else {}
    check(
        item.get("attributeStatus") == "UnknownVariable"
        and item.get("component", {}).get("name") == COMM
        and item.get("variable", {}).get("name") == "UnknownVariable",
        f"step 2: setVariableResult[0].attributeStatus UnknownVariable for component {COMM}, "
        "variable UnknownVariable (B05.FR.05)",
        results,
    )


@ocpp_case("TC_B_37_CS", version="2.0.1")
async def test_tc_b_37_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """SetVariables of an attribute type the variable lacks: NotSupportedAttributeType
    (B05.FR.06); the table's "NotSupportedcliffeType" is a typo.

    Departure: attributeValue is required by the schema and not in the table; we send "300"."""
    sut = await csms.ready(station_operator)
    await _remember(csms, sut, f"{COMM}.OfflineThreshold")
    step(f'1. SetVariablesRequest {COMM}.OfflineThreshold = "300", attributeType Target')
    results = await _set(
        sut, [{**_cv(COMM, "OfflineThreshold"), "attributeValue": "300", "attributeType": "Target"}]
    )
    item = results[0] if results else {}
    check(
        item.get("attributeStatus") == "NotSupportedAttributeType"
        and item.get("attributeType") == "Target"
        and item.get("variable", {}).get("name") == "OfflineThreshold",
        "step 2: setVariableResult[0].attributeStatus NotSupportedAttributeType, attributeType "
        "Target (B05.FR.06)",
        results,
    )


_FORMATS: dict[str, tuple[str, ...]] = {
    "integer": ("offline",),
    "boolean": ("true",),
    "decimal": ("offline", "offline+0.1"),
    "dateTime": ("now",),
}
"""Which of TC_B_11's five values are well formed for a dataType (Part 2 DataEnumType)."""

_B11_TARGETS = (
    (COMM, "OfflineThreshold", "integer", True),
    ("SmartChargingCtrlr", "LimitChangeSignificance", "decimal", False),
    (AUTH, "AuthorizeRemoteStart", "boolean", False),
    ("ClockCtrlr", "NextTimeOffsetTransitionDateTime", "dateTime", False),
)
"""TC_B_11 steps 1/3/5/7: component, variable, dataType, whether the station must have it."""


@ocpp_case("TC_B_11_CS", version="2.0.1")
async def test_tc_b_11_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """SetVariables with values not matching the variable's dataType are Rejected (B05.FR.07):
    the five values (<configured offlineThreshold>, that + 0.1, true, the current time, "abc")
    sent to an integer, a decimal, a boolean and a dateTime variable.

    The table accepts "Rejected/Accepted" for every answer; B05.FR.07 requires Rejected for a
    value not of the variable's dataType, so that is checked, while a well-formed value may
    be Accepted or Rejected (out of range, read-only). reasonCode InvalidValue is "not
    required" (table). Steps 3-8 apply only where the station has the variable: an
    UnknownComponent/UnknownVariable answer there skips that variable.

    Departures: <configured offlineThreshold> is 300. Step 5's variable is sent whatever its
    mutability: a ReadOnly AuthorizeRemoteStart answers Rejected, which is accepted."""
    sut = await csms.ready(station_operator)
    offline = "300"
    values = {
        "offline": offline,
        "offline+0.1": f"{offline}.1",
        "true": "true",
        "now": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "abc": "abc",
    }
    await _remember(csms, sut, *(f"{c}.{v}" for c, v, _, _ in _B11_TARGETS))
    skipped: set[str] = set()
    for label, value in values.items():
        for number, (component, variable, data_type, required) in enumerate(_B11_TARGETS):
            if variable in skipped:
                continue
            request, response = 2 * number + 1, 2 * number + 2
            step(f'{request}. SetVariablesRequest {component}.{variable} = "{value}"')
            results = await _set(sut, [{**_cv(component, variable), "attributeValue": value}])
            item = results[0] if results else {}
            status = item.get("attributeStatus")
            if status in ("UnknownComponent", "UnknownVariable") and not required:
                skipped.add(variable)
                continue
            well_formed = label in _FORMATS[data_type]
            allowed = ("Accepted", "Rejected", "RebootRequired") if well_formed else ("Rejected",)
            check(
                status in allowed,
                f"step {response}: SetVariablesResponse attributeStatus "
                f"{' or '.join(allowed)} for {component}.{variable} ({data_type}) = "
                f'"{value}"' + ("" if well_formed else ": a value not of its dataType (B05.FR.07)"),
                results,
            )
            info = item.get("attributeStatusInfo") or {}
            if not well_formed and info and info.get("reasonCode") != "InvalidValue":
                warn(f"{component}.{variable} = {value!r}: reasonCode {info.get('reasonCode')}")


@ocpp_case("TC_B_39_CS", version="2.0.1")
async def test_tc_b_39_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """SetVariables of a ReadOnly variable (OCPPCommCtrlr.MessageTimeout[Default]) is Rejected
    (B05.FR.09).

    Departure: attributeValue is required by the schema and not in the table; we send the
    station's own value plus one (read first), so that a station wrongly accepting it
    changes little."""
    sut = await csms.ready(station_operator)
    text = f"{COMM}.MessageTimeout[Default]"
    await _remember(csms, sut, text)
    current = csms.variables.get(text) or "30"
    value = str(int(current) + 1) if current.isdigit() else "31"
    step(f'1. SetVariablesRequest {COMM}.MessageTimeout instance "Default" = "{value}"')
    results = await _set(
        sut, [{**_cv(COMM, "MessageTimeout", instance="Default"), "attributeValue": value}]
    )
    item = results[0] if results else {}
    check(
        item.get("attributeStatus") == "Rejected"
        and (item.get("variable") or {}).get("instance") == "Default",
        f"step 2: setVariableResult[0].attributeStatus Rejected for the ReadOnly {COMM}."
        "MessageTimeout[Default] (B05.FR.09)",
        results,
    )
