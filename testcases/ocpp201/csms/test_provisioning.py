"""OCPP 2.0.1, CSMS under test, B. Provisioning (2.0.1 Edition 3 Part 6 §3.3, Tables 462-482,
and the 2025 errata: evseId omitted in TC_B_20/21/22, TC_B_58 added, the Part 5 condition of
TC_B_30/31 is "C-44 or NOT AQ-16", TC_B_14 is optional (C-56) in Core).

pytest-ocpp plays the Charging Station (the OCTT column of each scenario table). "Manually
request the CSMS to ..." goes through ``csms_operator`` with what the table validates; "The CSMS
is configured to first respond ... Pending" through ``csms_operator.setup`` (``boot_status``),
undone at the end of the case. Every request from the CSMS is answered before it is judged, so
a failed check never leaves the CSMS waiting. Answers to device-model requests come from the
fake station's device model (``[device_model]``). "Execute Reusable State X" is one call of the
station's method for X (Part 6 §3.18).

Departures from the tables, each for the reason given:

- Component and variable names are those of the device model (Part 2 §2, Part 1 §4):
  ``OCPPCommCtrlr``, ``AuthCtrlr``, ``DeviceDataCtrlr``, ``AuthorizeRemoteStart``; the tables
  also write ``OCPPCommCtrl``, ``AuthCtrl``, ``DeviceDataCtrl``, ``AuthorizationRemoteStart``.
- TC_B_02: while Pending, a TriggerMessageRequest for BootNotification is answered Accepted and
  the next boot has reason Triggered (B02.FR.04 allows it; a warning says so).
- TC_B_31: the TriggerMessageRequest is asked of the operator unless the CSMS sent it on its
  own after the Pending/Rejected answer.
- TC_B_08: the CSMS is made to read ItemsPerMessage[GetVariables] before step 1 (see there).

The Reset (B11/B12) and network-profile (B09) cases are in ``test_provisioning_reset.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Awaitable, Iterator
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import ConfigError, OcppConfig
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check
from pytest_ocpp.station.device_model import parse_key
from pytest_ocpp.verdicts import (
    CallErrorReceived,
    ConnectFailed,
    ConnectionLost,
    TargetTimeout,
    UnexpectedSubprotocol,
    check_octt,
)

UNSUPPORTED_SUBPROTOCOL = "ocpp0.1"
"""The made-up OCPP version TC_B_58_CSMS offers (errata 2025-04, §6.2.21)."""

HELD_BACK = ("Pending", "Rejected")
"""BootNotificationResponse statuses that do not accept the station (B02, B03)."""

REMOTE_START_STOP = ("RequestStartTransaction", "RequestStopTransaction")
"""What a CSMS SHALL NOT send before accepting the station (B02.FR.05)."""

ALLOWED_WHILE_PENDING = frozenset(
    {"GetVariables", "SetVariables", "GetBaseReport", "GetReport", "TriggerMessage"}
)
"""What B02.FR.01/B02.FR.02 let the CSMS send while the station is Pending."""

ITEMS_PER_GET = "DeviceDataCtrlr.ItemsPerMessage[GetVariables]"
TC_B_08_ITEMS_PER_GET = 4
"""TC_B_08_CSMS Configuration State: ItemsPerMessage[GetVariables] at value 4 (unless
``[device_model]`` sets it)."""

TC_B_08_VARIABLES = (
    ("DeviceDataCtrlr", "ItemsPerMessage", "GetReport"),
    ("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"),
    ("DeviceDataCtrlr", "BytesPerMessage", "GetReport"),
    ("DeviceDataCtrlr", "BytesPerMessage", "GetVariables"),
    ("AuthCtrlr", "AuthorizeRemoteStart", None),
)
"""The 5 variables TC_B_08_CSMS asks the CSMS to read (component, variable, instance)."""

_REQUEST_IDS = itertools.count(1 + int(time.time()) % 1_000_000)
"""requestIds asked of the operator for reports: fresh in each run."""


# -- helpers ---------------------------------------------------------------------------------
def _ref(component: str, variable: str, instance: str | None = None) -> dict[str, Any]:
    """A component/variable pair as the device-model requests carry it."""
    var: dict[str, Any] = {"name": variable}
    if instance is not None:
        var["instance"] = instance
    return {"component": {"name": component}, "variable": var}


def _names(item: Any) -> tuple[Any, Any, Any]:
    """(component.name, variable.name, variable.instance) of a request entry."""
    entry = item if isinstance(item, dict) else {}
    component = entry.get("component") or {}
    variable = entry.get("variable") or {}
    return component.get("name"), variable.get("name"), variable.get("instance")


def _answer_get_variables(station: Station201, payload: dict[str, Any]) -> dict[str, Any]:
    """The GetVariablesResponse the device model gives (B06.FR.01-04, B06.FR.10/11)."""
    data = payload.get("getVariableData") or []
    return {"getVariableResult": [station.device_model.get_result(item) for item in data]}


def _heartbeat_interval(station: Station201) -> float:
    """OCTT's <Configured heartbeatInterval>: ``[station] heartbeat_interval``, else the device
    model's OCPPCommCtrlr.HeartbeatInterval."""
    configured = station.spec.extra.get("heartbeat_interval")
    if configured is not None:
        return float(configured)
    return float(station.device_model.value("OCPPCommCtrlr.HeartbeatInterval") or 300)


def _not_accepted_status(station: Station201) -> str:
    """The status TC_B_30/B_31 configure the CSMS to answer first: ``[station]
    not_accepted_boot_status``, Pending unless the CSMS can only reject (Part 5: "C-44 or NOT
    AQ-16")."""
    status = str(station.spec.extra.get("not_accepted_boot_status", "Pending"))
    if status not in HELD_BACK:
        raise ConfigError(
            f"[station] not_accepted_boot_status must be Pending or Rejected: {status}"
        )
    return status


@contextlib.contextmanager
def _held_back(station: Station201, status: str) -> Iterator[int]:
    """While the CSMS holds the station back, answer a RequestStart/StopTransactionRequest as
    the station must (Pending: Rejected, B02.FR.05; Rejected: CALLERROR SecurityError,
    B03.FR.08), so a CSMS sending one is not left waiting; yields the inbox position from which
    :func:`_judge_held_back` looks."""
    link = station.link
    assert link is not None

    async def refuse(call: IncomingCall) -> None:
        if status == "Pending":
            await call.reply({"status": "Rejected"})
        else:
            await call.reply_error("SecurityError", "The Charging Station is not accepted.")

    saved = {action: link.handlers.get(action) for action in REMOTE_START_STOP}
    for action in REMOTE_START_STOP:
        link.handlers[action] = refuse
    try:
        yield link.mark()
    finally:
        for action, handler in saved.items():
            if handler is None:
                link.handlers.pop(action, None)
            else:
                link.handlers[action] = handler


def _judge_held_back(station: Station201, since: int, status: str, where: str) -> None:
    """What the CSMS sent while the station was not accepted: after Rejected nothing but the
    table's TriggerMessageRequest (B03.FR.03); while Pending no RequestStart/Stop-
    TransactionRequest (B02.FR.05), and a warning for what B02.FR.01 does not name."""
    link = station.link
    assert link is not None
    sent = [item.action for item in link.inbox[since:]]
    if status == "Rejected":
        initiated = [action for action in sent if action != "TriggerMessage"]
        check(
            not initiated,
            f"{where}: no request from the CSMS after a Rejected BootNotificationResponse "
            "(B03.FR.03: the CSMS SHALL NOT initiate any messages)",
            initiated,
        )
        return
    forbidden = [action for action in sent if action in REMOTE_START_STOP]
    check(
        not forbidden,
        f"{where}: no RequestStartTransactionRequest or RequestStopTransactionRequest while the "
        "station is Pending (B02.FR.05: the CSMS SHALL first accept the Charging Station)",
        forbidden,
    )
    unnamed = sorted({a for a in sent if a not in ALLOWED_WHILE_PENDING | set(REMOTE_START_STOP)})
    if unnamed:
        warn(
            f"while the station was Pending the CSMS sent {', '.join(unnamed)}; B02.FR.01 names "
            "GetVariables, SetVariables, GetBaseReport and GetReport"
        )


async def _wait_retry_interval(station: Station201, conf: dict[str, Any]) -> str:
    """TC_B_02 note: wait the BootNotificationResponse interval (the configured heartbeat
    interval when it is 0, B02.FR.07/08) while answering what the CSMS asks (the default
    handlers answer B05-B08). Returns the reason of the next boot: PowerUp, or Triggered when
    the CSMS asked for it with a TriggerMessageRequest (B02.FR.04)."""
    link = station.link
    assert link is not None
    interval = float(conf.get("interval") or 0) or _heartbeat_interval(station)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + interval
    reason = "PowerUp"
    while (remaining := deadline - loop.time()) > 0:
        claim = link.claim("TriggerMessage")
        try:
            done, _ = await asyncio.wait({claim}, timeout=remaining)
        finally:
            link.unclaim(claim)
        if not done:
            break
        try:
            request = claim.result()
        except ConnectionLost:
            break  # judged below, as a connection that did not stay open
        if request.payload.get("requestedMessage") == "BootNotification":
            await request.reply({"status": "Accepted"})
            warn("the CSMS triggered the BootNotificationRequest before the interval ended")
            reason = "Triggered"
            break
        await request.reply({"status": "Rejected"})
        warn(f"while Pending the CSMS triggered {request.payload.get('requestedMessage')}")
    check(
        station.connected,
        "Step 2: the connection stays open while Pending (B02.FR.06)",
        link.close_description,
    )
    return reason


async def _refused(send: Awaitable[Any]) -> str | None:
    """The CALLERROR code the CSMS answered with, None for a normal response."""
    try:
        await send
    except CallErrorReceived as exc:
        return exc.error_code
    return None


# -- B01-B03 boot ----------------------------------------------------------------------------
@ocpp_case("TC_B_01_CSMS", version="2.0.1")
async def test_tc_b_01_csms(new_station: Station201) -> None:
    """A registered station that cold boots is accepted (B01.FR.02: the CSMS answers the
    BootNotificationRequest; reusable state Booted wants status Accepted), then reports its
    connectors Available (B01.FR.05) and the CSMS answers both notifications."""
    step("1. Execute Reusable State Booted")
    await new_station.booted()


@ocpp_case("TC_B_02_CSMS", version="2.0.1", requires="C-44")
async def test_tc_b_02_csms(new_station: Station201, csms_operator: CsmsOperator) -> None:
    """A CSMS configured to hold a booting station Pending first answers Pending, keeps the
    connection open (B02.FR.06), may read or set variables meanwhile (B02.FR.01) but sends no
    RequestStart/StopTransaction (B02.FR.05), then accepts the next BootNotificationRequest."""
    station = new_station
    step("Before: the CSMS is configured to first respond to a BootNotificationRequest Pending")
    await csms_operator.setup(station, "boot_status", "Pending")
    try:
        with _held_back(station, "Pending") as since:
            step("1. The OCTT sends a BootNotificationRequest with reason PowerUp")
            conf = await station.boot("PowerUp", expect_accepted=False)
            step("2. The CSMS responds with a BootNotificationResponse")
            check(
                conf["status"] == "Pending", "Step 2: BootNotificationResponse status Pending", conf
            )
            step("Note: the OCTT waits the interval, answering what the CSMS sends meanwhile")
            reason = await _wait_retry_interval(station, conf)
            _judge_held_back(station, since, "Pending", "Step 2 (interval)")
            step(f"3. The OCTT sends a BootNotificationRequest with reason {reason}")
            conf = await station.boot(reason, expect_accepted=False)
            step("4. The CSMS responds with a BootNotificationResponse")
            check(
                conf["status"] == "Accepted",
                "Step 3: BootNotificationResponse status Accepted",
                conf,
            )
        step("5. The OCTT notifies the CSMS about the current state of all connectors")
        await station.report_all_connectors("Available")
    finally:
        await csms_operator.setup(station, "boot_status", None)


@ocpp_case("TC_B_30_CSMS", version="2.0.1", requires="C-44 or not AQ-16")
async def test_tc_b_30_csms(new_station: Station201, csms_operator: CsmsOperator) -> None:
    """A station that is not accepted (Pending or Rejected) and still reports its connectors
    gets CALLERROR SecurityError for each report (B02.FR.09, B03.FR.07, B01.FR.10).

    Both messages of step 3 (StatusNotification and NotifyEvent, per connector) are judged;
    ``[station] not_accepted_boot_status`` chooses Pending (default) or Rejected."""
    station = new_station
    status = _not_accepted_status(station)
    step(f"Before: the CSMS is configured to first respond to a BootNotificationRequest {status}")
    await csms_operator.setup(station, "boot_status", status)
    try:
        with _held_back(station, status) as since:
            step("1. The OCTT sends a BootNotificationRequest with reason PowerUp")
            conf = await station.boot("PowerUp", expect_accepted=False)
            step("2. The CSMS responds with a BootNotificationResponse")
            check(
                conf["status"] in HELD_BACK,
                "Step 2: BootNotificationResponse status Pending OR Rejected",
                conf,
            )
            step("3. The OCTT notifies the CSMS about the current state of all connectors")
            step("4. The CSMS responds with RPC Framework: CALLERROR: SecurityError")
            rule = "(B02.FR.09 / B03.FR.07: sent before being accepted)"
            for evse in range(1, station.spec.connectors + 1):
                code = await _refused(station.status(evse, 1, "Available"))
                check(
                    code == "SecurityError",
                    f"Step 4: CALLERROR SecurityError to the StatusNotificationRequest {rule}",
                    code or "a StatusNotificationResponse",
                )
                code = await _refused(
                    station.notify_event("Available", evse_id=evse, connector_id=1)
                )
                check(
                    code == "SecurityError",
                    f"Step 4: CALLERROR SecurityError to the NotifyEventRequest {rule}",
                    code or "a NotifyEventResponse",
                )
            _judge_held_back(station, since, status, "Steps 2-4")
    finally:
        await csms_operator.setup(station, "boot_status", None)


@ocpp_case("TC_B_31_CSMS", version="2.0.1", requires="C-44 or not AQ-16")
async def test_tc_b_31_csms(new_station: Station201, csms_operator: CsmsOperator) -> None:
    """A CSMS holding a station back (Pending or Rejected) can make it boot again before the
    interval ends with a TriggerMessageRequest for BootNotification (B02.FR.04, F06), and
    accepts that boot."""
    station = new_station
    status = _not_accepted_status(station)
    step(f"Before: the CSMS is configured to first respond to a BootNotificationRequest {status}")
    await csms_operator.setup(station, "boot_status", status)
    try:
        with _held_back(station, status) as since:
            step("1. The OCTT sends a BootNotificationRequest with reason PowerUp")
            conf = await station.boot("PowerUp", expect_accepted=False)
            step("2. The CSMS responds with a BootNotificationResponse")
            check(
                conf["status"] in HELD_BACK,
                "Step 2: BootNotificationResponse status Pending OR Rejected",
                conf,
            )
            step("3. The CSMS sends a TriggerMessageRequest")
            link = station.link
            assert link is not None
            queued = next(
                (
                    item
                    for item in link.inbox[since:]
                    if item.action == "TriggerMessage" and not item.consumed and not item.replied
                ),
                None,
            )
            if queued is not None:  # the CSMS triggered the boot on its own
                queued.consumed = True
                request = queued
            else:
                request = await csms_operator.request(
                    station, "TriggerMessage", {"requestedMessage": "BootNotification"}
                )
            step("4. The OCTT responds with a TriggerMessageResponse with status Accepted")
            await request.reply({"status": "Accepted"})
            check(
                request.payload.get("requestedMessage") == "BootNotification",
                "Step 3: TriggerMessageRequest requestedMessage BootNotification",
                request.payload,
            )
            step("5. The OCTT sends a BootNotificationRequest with reason Triggered")
            conf = await station.boot("Triggered", expect_accepted=False)
            step("6. The CSMS responds with a BootNotificationResponse")
            check(
                conf["status"] == "Accepted",
                "Step 6: BootNotificationResponse status Accepted",
                conf,
            )
            _judge_held_back(station, since, status, "Steps 2-5")
        step("7. The OCTT notifies the CSMS about the current state of all connectors")
        await station.report_all_connectors("Available")
    finally:
        await csms_operator.setup(station, "boot_status", None)


# -- B05/B06 Set/GetVariables ----------------------------------------------------------------
@ocpp_case("TC_B_06_CSMS", version="2.0.1")
async def test_tc_b_06_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS reads one required variable, OCPPCommCtrlr.OfflineThreshold, with a
    GetVariablesRequest (B06.FR.01-04). The table allows any attributeType (absent, Actual,
    Target, MinSet, MaxSet: every value the schema has), so only the names are judged; "the
    CSMS has correctly read the variable" is the operator's to confirm (post scenario)."""
    step("1. The CSMS sends a GetVariablesRequest (manual action: OCPPCommCtrlr.OfflineThreshold)")
    request = await csms_operator.request(
        station, "GetVariables", {"getVariableData": [_ref("OCPPCommCtrlr", "OfflineThreshold")]}
    )
    step("2. The OCTT responds with a GetVariablesResponse")
    await request.reply(_answer_get_variables(station, request.payload))
    asked = [_names(item) for item in request.payload.get("getVariableData") or []]
    check(
        ("OCPPCommCtrlr", "OfflineThreshold", None) in asked,
        "Step 1: GetVariablesRequest getVariableData component.name OCPPCommCtrlr, "
        "variable.name OfflineThreshold",
        request.payload,
    )


@ocpp_case("TC_B_07_CSMS", version="2.0.1", requires="C-45")
async def test_tc_b_07_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS reads two required variables in one GetVariablesRequest (B06.FR.01-03), in any
    order. As TC_B_06, any attributeType is allowed."""
    wanted = [
        ("OCPPCommCtrlr", "OfflineThreshold", None),
        ("AuthCtrlr", "AuthorizeRemoteStart", None),
    ]
    step(
        "1. The CSMS sends a GetVariablesRequest (manual action: OfflineThreshold, AuthorizeRemoteStart)"
    )
    request = await csms_operator.request(
        station, "GetVariables", {"getVariableData": [_ref(c, v) for c, v, _ in wanted]}
    )
    step("2. The OCTT responds with a GetVariablesResponse")
    await request.reply(_answer_get_variables(station, request.payload))
    asked = [_names(item) for item in request.payload.get("getVariableData") or []]
    for component, variable, _ in wanted:
        check(
            (component, variable, None) in asked,
            f"Step 1: GetVariablesRequest getVariableData with component.name {component}, "
            f"variable.name {variable}",
            request.payload,
        )


@ocpp_case("TC_B_08_CSMS", version="2.0.1")
async def test_tc_b_08_csms(
    new_station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS never puts more getVariableData entries in one GetVariablesRequest than the
    station's ItemsPerMessage[GetVariables] (B06.FR.05): asked for 5 variables with a limit of
    4, it sends 4 and 1.

    Configuration State: the station's ItemsPerMessage[GetVariables] is 4 (``[device_model]``
    may set another value) from its boot on, and the CSMS is made to read it with a
    GetVariablesRequest ("Configure (using getVariablesRequest)"), so a CSMS that cached the
    station's device model earlier knows the current limit. The exact 4 + 1 split is OCTT's;
    the specification only bounds each message."""
    station = new_station
    key = parse_key(ITEMS_PER_GET)
    if not any(parse_key(text) == key for text in ocpp_config.device_model):
        station.device_model.put(key, TC_B_08_ITEMS_PER_GET, "ReadOnly")
    limit = int(station.device_model.value(ITEMS_PER_GET) or TC_B_08_ITEMS_PER_GET)
    step("Before: Reusable State Booted")
    await station.booted()
    step(f"Before: the CSMS reads DeviceDataCtrlr.ItemsPerMessage[GetVariables] (= {limit})")
    before = await csms_operator.request(
        station,
        "GetVariables",
        {"getVariableData": [_ref("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables")]},
    )
    await before.reply(_answer_get_variables(station, before.payload))
    link = station.link
    assert link is not None
    since = link.mark()
    step("1. The CSMS sends GetVariablesRequests (manual action: the 5 variables)")
    first = await csms_operator.request(
        station, "GetVariables", {"getVariableData": [_ref(*v) for v in TC_B_08_VARIABLES]}
    )
    step("2. The OCTT responds with a GetVariablesResponse to each")
    await first.reply(_answer_get_variables(station, first.payload))
    requests = [first.payload]
    asked = [_names(item) for item in first.payload.get("getVariableData") or []]
    while not set(TC_B_08_VARIABLES) <= set(asked):
        try:
            more = await link.wait_for(
                "GetVariables", since=since, timeout=station.ctx.config.timeouts.message
            )
        except TargetTimeout:
            break
        requests.append(more.payload)  # answered by the device model's default handler
        asked += [_names(item) for item in more.payload.get("getVariableData") or []]
    sizes = [len(payload.get("getVariableData") or []) for payload in requests]
    check(
        set(TC_B_08_VARIABLES) <= set(asked),
        "Step 1: GetVariablesRequests for DeviceDataCtrlr ItemsPerMessage/BytesPerMessage "
        "[GetReport|GetVariables] and AuthCtrlr.AuthorizeRemoteStart",
        asked,
    )
    check(
        all(size <= limit for size in sizes),
        f"Post scenario: not more than ItemsPerMessage[GetVariables] = {limit} getVariableData "
        "elements in one GetVariablesRequest (B06.FR.05)",
        sizes,
    )
    expected = [limit] * (len(TC_B_08_VARIABLES) // limit)
    expected += [len(TC_B_08_VARIABLES) % limit] if len(TC_B_08_VARIABLES) % limit else []
    check_octt(
        sorted(sizes) == sorted(expected),
        f"Step 1: GetVariablesRequests of {' and '.join(map(str, expected))} variables",
        sizes,
        octt="TC_B_08_CSMS step 1",
        spec="B06.FR.05 only bounds each message by ItemsPerMessage[GetVariables]",
    )


def _set_entry(payload: dict[str, Any], component: str, variable: str) -> dict[str, Any] | None:
    """The setVariableData entry for component.variable (no instance), or None."""
    for item in payload.get("setVariableData") or []:
        if _names(item) == (component, variable, None):
            return dict(item)
    return None


def _check_set(payload: dict[str, Any], component: str, variable: str, value: str) -> None:
    """Step 1 of TC_B_09/B_10: the entry exists with the value, attributeType absent or
    Actual."""
    entry = _set_entry(payload, component, variable)
    check(
        entry is not None
        and entry.get("attributeValue") == value
        and entry.get("attributeType", "Actual") == "Actual",
        f"Step 1: SetVariablesRequest setVariableData component.name {component}, variable.name "
        f'{variable}, attributeValue "{value}", attributeType absent or Actual',
        payload,
    )


@ocpp_case("TC_B_09_CSMS", version="2.0.1")
async def test_tc_b_09_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS sets one required variable, OCPPCommCtrlr.OfflineThreshold = "123", with a
    SetVariablesRequest (B05.FR.01-03, B05.FR.10/12); the station's device model takes it."""
    step('1. The CSMS sends a SetVariablesRequest (manual action: OfflineThreshold = "123")')
    request = await csms_operator.request(
        station,
        "SetVariables",
        {
            "setVariableData": [
                {**_ref("OCPPCommCtrlr", "OfflineThreshold"), "attributeValue": "123"}
            ]
        },
    )
    step("2. The OCTT responds with a SetVariablesResponse")
    data = request.payload.get("setVariableData") or []
    await request.reply({"setVariableResult": [station.device_model.set_result(i) for i in data]})
    _check_set(request.payload, "OCPPCommCtrlr", "OfflineThreshold", "123")


@ocpp_case("TC_B_10_CSMS", version="2.0.1", requires="C-46")
async def test_tc_b_10_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS sets two required variables in one SetVariablesRequest (B05.FR.01-03):
    OfflineThreshold "123" and AuthorizeRemoteStart "false", in any order."""
    wanted = [
        ("OCPPCommCtrlr", "OfflineThreshold", "123"),
        ("AuthCtrlr", "AuthorizeRemoteStart", "false"),
    ]
    step("1. The CSMS sends a SetVariablesRequest (manual action: the two variables)")
    request = await csms_operator.request(
        station,
        "SetVariables",
        {"setVariableData": [{**_ref(c, v), "attributeValue": value} for c, v, value in wanted]},
    )
    step("2. The OCTT responds with a SetVariablesResponse")
    data = request.payload.get("setVariableData") or []
    await request.reply({"setVariableResult": [station.device_model.set_result(i) for i in data]})
    for component, variable, value in wanted:
        _check_set(request.payload, component, variable, value)


# -- B07/B08 reports -------------------------------------------------------------------------
async def _base_report(station: Station201, csms_operator: CsmsOperator, base: str) -> None:
    """TC_B_12/13/14: the CSMS asks for a base report (requestId >= 0, the reportBase), the
    OCTT accepts (B07.FR.01) and sends it in NotifyReportRequests with that requestId
    (B07.FR.03/04/10), which the CSMS must receive (post scenario)."""
    step(f"1. The CSMS sends a GetBaseReportRequest (manual action: a {base} report)")
    request = await csms_operator.request(
        station, "GetBaseReport", {"requestId": next(_REQUEST_IDS), "reportBase": base}
    )
    step("2. The OCTT responds with a GetBaseReportResponse (Accepted)")
    await request.reply({"status": "Accepted"})
    request_id = request.payload.get("requestId")
    check(
        isinstance(request_id, int) and request_id >= 0,
        "Step 1: GetBaseReportRequest requestId has integer value >= 0",
        request.payload,
    )
    check(
        request.payload.get("reportBase") == base,
        f"Step 1: GetBaseReportRequest reportBase = {base}",
        request.payload,
    )
    model = station.device_model
    if base == "ConfigurationInventory":  # B07.FR.07: what the operator can set
        keys = [k for k, v in model.variables.items() if v.mutability != "ReadOnly"]
        report = model.report_data(keys)
    else:  # B07.FR.08 everything; B07.FR.09 the availability (summary)
        report = model.report_data(summary=base == "SummaryInventory")
    step("Post scenario: the OCTT sends the report in NotifyReportRequests; the CSMS responds")
    await station.notify_report(int(request_id), report)


@ocpp_case("TC_B_12_CSMS", version="2.0.1", requires="C-17")
async def test_tc_b_12_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS supports the ConfigurationInventory base report (B07.FR.07)."""
    await _base_report(station, csms_operator, "ConfigurationInventory")


@ocpp_case("TC_B_13_CSMS", version="2.0.1", requires="C-50.2")
async def test_tc_b_13_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS supports the FullInventory base report (B07.FR.08)."""
    await _base_report(station, csms_operator, "FullInventory")


@ocpp_case("TC_B_14_CSMS", version="2.0.1", requires="C-56")
async def test_tc_b_14_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS supports the optional SummaryInventory base report (B07.FR.09)."""
    await _base_report(station, csms_operator, "SummaryInventory")


def _check_get_report(payload: dict[str, Any], number: int, criterion: str) -> None:
    """Steps 1 and 3 of TC_B_18: componentCriteria and componentVariable[0] EVSE #1
    AvailabilityState."""
    check(
        payload.get("componentCriteria") == [criterion],
        f"Step {number}: GetReportRequest componentCriteria = {criterion}",
        payload,
    )
    entries = payload.get("componentVariable") or [{}]
    entry = entries[0] if isinstance(entries[0], dict) else {}
    component = entry.get("component") or {}
    check(
        component.get("name") == "EVSE"
        and (component.get("evse") or {}).get("id") == 1
        and (entry.get("variable") or {}).get("name") == "AvailabilityState",
        f"Step {number}: GetReportRequest componentVariable[0] component.name EVSE, "
        "component.evse.id 1, variable.name AvailabilityState",
        payload,
    )


@ocpp_case("TC_B_18_CSMS", version="2.0.1")
async def test_tc_b_18_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS asks for a custom report by component criteria and component/variable
    (B08.FR.01/03), handles an empty result set (B08.FR.15) and receives the report."""
    cv = [
        {
            "component": {"name": "EVSE", "evse": {"id": 1}},
            "variable": {"name": "AvailabilityState"},
        }
    ]
    step("1. The CSMS sends a GetReportRequest (manual action: EVSE #1 AvailabilityState, Problem)")
    request = await csms_operator.request(
        station,
        "GetReport",
        {
            "requestId": next(_REQUEST_IDS),
            "componentCriteria": ["Problem"],
            "componentVariable": cv,
        },
    )
    step("2. The OCTT responds with a GetReportResponse with status EmptyResultSet")
    await request.reply({"status": "EmptyResultSet"})
    _check_get_report(request.payload, 1, "Problem")
    step(
        "3. The CSMS sends a GetReportRequest (manual action: EVSE #1 AvailabilityState, Available)"
    )
    request = await csms_operator.request(
        station,
        "GetReport",
        {
            "requestId": next(_REQUEST_IDS),
            "componentCriteria": ["Available"],
            "componentVariable": cv,
        },
    )
    step("4. The OCTT responds with a GetReportResponse with status Accepted")
    await request.reply({"status": "Accepted"})
    _check_get_report(request.payload, 3, "Available")
    model = station.device_model
    keys = model.matching(request.payload.get("componentVariable"), ["Available"])
    step("5. The OCTT sends a NotifyReportRequest; 6. the CSMS responds")
    await station.notify_report(int(request.payload["requestId"]), model.report_data(keys))


# -- websocket subprotocol (errata 2025-04) --------------------------------------------------
@ocpp_case("TC_B_58_CSMS", version="2.0.1")
async def test_tc_b_58_csms(new_station: Station201) -> None:
    """The CSMS negotiates the websocket subprotocol as OCPP-J requires (Part 4 §3.1.2, §3.2):
    no upgrade for a station offering only a version it does not speak; an upgrade that echoes
    exactly ``ocpp2.0.1`` when that version is offered after an unsupported one.

    Step 2 also passes a CSMS that does what Part 4 §3.2 literally prescribes: complete the
    upgrade *without* a Sec-WebSocket-Protocol header and close the connection at once. A CSMS
    that selects a subprotocol nobody offered, or keeps an unnegotiated connection open, fails.
    """
    station = new_station
    offered = [UNSUPPORTED_SUBPROTOCOL, station.version.subprotocol]

    step(f"1. Disconnect; reconnect with Sec-WebSocket-Protocol: {UNSUPPORTED_SUBPROTOCOL}")
    await station.disconnect()
    refused: str | None = None
    wrong_subprotocol: str | None = None
    try:
        await station.connect_unchecked([UNSUPPORTED_SUBPROTOCOL])
    except UnexpectedSubprotocol as exc:
        wrong_subprotocol = str(exc)
    except ConnectFailed as exc:
        refused = str(exc)
    step("2. The CSMS rejects the connection attempt and does NOT upgrade it")
    check(
        wrong_subprotocol is None,
        f"Step 2: no upgrade of a connection offering only {UNSUPPORTED_SUBPROTOCOL}",
        wrong_subprotocol,
    )
    if refused is not None:
        station.ctx.trace.event(station.station_id, f"upgrade refused, as required: {refused}")
    else:
        headers = station.selected_subprotocol_headers()
        check(
            not headers,
            f"Step 2: no upgrade of a connection offering only {UNSUPPORTED_SUBPROTOCOL}",
            f"HTTP 101 with Sec-WebSocket-Protocol {headers}",
        )
        # Upgraded without a Sec-WebSocket-Protocol header: conformant only if closed at once.
        await station.link.wait_closed(
            station.ctx.config.timeouts.response,
            why=(
                f"after upgrading a connection that offered only {UNSUPPORTED_SUBPROTOCOL} "
                "without selecting a subprotocol: Part 4 §3.2 requires an immediate close, "
                "TC_B_58_CSMS step 2 no upgrade at all"
            ),
        )

    step(f"3. Disconnect; reconnect with Sec-WebSocket-Protocol: {', '.join(offered)}")
    await station.disconnect()
    await station.connect(subprotocols=offered)
    step("4. The CSMS accepts the connection attempt and upgrades it")
    headers = station.selected_subprotocol_headers()
    check(
        headers == [station.version.subprotocol],
        f"Step 4: the upgrade response carries Sec-WebSocket-Protocol: "
        f"{station.version.subprotocol}",
        f"Sec-WebSocket-Protocol headers {headers}",
    )
