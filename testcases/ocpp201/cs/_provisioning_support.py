"""Helpers shared by the 2.0.1 station-side B. Provisioning modules (test_provisioning.py,
test_provisioning_reports.py): the request items the tables list, reading and restoring
variables, collecting NotifyReport pages, and the boot steps.

The tables name components "OCPPCommCtrl", "AuthCtrl", "SmartChargingCtrl" and "ClockCtrl";
Part 2's device model names them OCPPCommCtrlr, AuthCtrlr, SmartChargingCtrlr and ClockCtrlr
(and TC_B_06/B_33 use those): the short names are typos, and the cases send the Part 2 names.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.verdicts import TargetTimeout, check, not_applicable

_REQUEST_IDS = itertools.count(int(time.time()) % 100000)
"""<Generated requestId>: distinct across cases of a run, so a late report of an earlier case
is never taken for this one's."""

LIST_TYPES = ("OptionList", "SequenceList", "MemberList")
"""dataTypes whose variableCharacteristics must carry valuesList (B07/B08 tool validations)."""

COMM = "OCPPCommCtrlr"
AUTH = "AuthCtrlr"
OFFLINE_NAMES = ("LocalAuthorizationOffline", "LocalAuthorizeOffline")
"""AuthCtrlr's offline-authorization variable: Part 2 §B spelling, then the device model's."""


def _cv(component: str, variable: str, *, instance: str | None = None) -> dict[str, Any]:
    """component/variable of a GetVariableData/SetVariableData, exactly as the table lists."""
    var: dict[str, Any] = {"name": variable}
    if instance is not None:
        var["instance"] = instance
    return {"component": {"name": component}, "variable": var}


def _result_for(
    results: Sequence[Mapping[str, Any]], component: str, variable: str
) -> Mapping[str, Any] | None:
    """The result item for component/variable ("in arbitrary order", TC_B_07/B_10)."""
    for item in results:
        if (item.get("component") or {}).get("name") == component and (
            item.get("variable") or {}
        ).get("name") == variable:
            return item
    return None


def _no_error(item: Mapping[str, Any]) -> bool:
    """attributeStatusInfo is absent or its reasonCode is "NoError" (case-insensitive: the
    reasonCode is free text, Part 2 StatusInfoType)."""
    info = item.get("attributeStatusInfo")
    return info is None or str(info.get("reasonCode", "")).lower() == "noerror"


async def _remember(csms: FakeCsms201, sut: StationConnection, *texts: str) -> None:
    """Read the current values of variables a step will set, so that the next case's
    ``csms.ready`` can put them back (Part 6 §2.1, "leave the station as found")."""
    for text in texts:
        if text not in csms.variables:
            csms.variables[text] = await csms.get_variable(sut, text)


async def _offline_name(csms: FakeCsms201, sut: StationConnection) -> str:
    """Which spelling of AuthCtrlr's offline-authorization variable the station has (see the
    module docstring); not applicable when it has neither (B_07/B_10 need it)."""
    step(f"(Configuration State) GetVariablesRequest {AUTH}.{' / '.join(OFFLINE_NAMES)}")
    answers = []
    for name in OFFLINE_NAMES:  # one per request: TC_B_07/B_10 judge multi-item requests
        answer = await sut.call("GetVariables", {"getVariableData": [_cv(AUTH, name)]})
        item = _result_for(answer.get("getVariableResult") or [], AUTH, name)
        if item is not None and item.get("attributeStatus") == "Accepted":
            csms.variables.setdefault(f"{AUTH}.{name}", item.get("attributeValue"))
            return name
        answers.append(answer)
    raise not_applicable(
        f"the station has neither {AUTH}.LocalAuthorizationOffline nor "
        f"{AUTH}.LocalAuthorizeOffline: {answers}"
    )


def _boot_interval(csms: FakeCsms201, default: int) -> int:
    """<Configured heartbeatInterval>, the interval of a Pending/Rejected
    BootNotificationResponse: ``[station] heartbeat_interval``, else ``default``."""
    value = csms.config.station.extra.get("heartbeat_interval")
    return int(value) if value else default


# -- reports (B07, B08) ---------------------------------------------------------------------
async def _collect_report(
    sut: StationConnection, request_id: int, *, since: int, label: str
) -> list[IncomingCall]:
    """Steps "NotifyReportRequest ... while tbc = true": every page of ``request_id``; the
    first has seqNo 0, each next one seqNo + 1 (B07.FR.10, B08.FR.14); requestId is ours."""
    pages: list[IncomingCall] = []
    while True:
        seq = len(pages)
        page = await sut.wait_for(
            "NotifyReport",
            lambda p: p.get("requestId") == request_id and p not in [c.payload for c in pages],
            since=since,
            describe=f"NotifyReportRequest seqNo {seq} of requestId {request_id} ({label})",
        )
        check(
            page.payload.get("seqNo") == seq,
            f"{label}: NotifyReportRequest seqNo {seq} ("
            + ("the first page has seqNo 0" if seq == 0 else "seqNo is incremented by 1")
            + ", B07.FR.10/B08.FR.14)",
            page.payload,
        )
        pages.append(page)
        if not page.payload.get("tbc", False):
            return pages


def _report_data(pages: Sequence[IncomingCall]) -> list[Mapping[str, Any]]:
    return [entry for page in pages for entry in page.payload.get("reportData") or []]


def _name(entry: Mapping[str, Any]) -> str:
    component = entry.get("component") or {}
    variable = entry.get("variable") or {}
    evse = component.get("evse") or {}
    where = f"({evse.get('id')},{evse.get('connectorId', '')})" if evse else ""
    return f"{component.get('name')}{where}.{variable.get('name')}"


def _check_characteristics(entries: Sequence[Mapping[str, Any]], rule: str) -> None:
    """Post scenario: variableCharacteristics present; valuesList for list dataTypes."""
    for entry in entries:
        chars = entry.get("variableCharacteristics")
        check(
            chars is not None,
            f"{rule}: every reported variable has variableCharacteristics",
            entry,
        )
        assert chars is not None
        if chars.get("dataType") in LIST_TYPES:
            check(
                bool(chars.get("valuesList")),
                f"{rule}: valuesList provided for dataType {chars.get('dataType')} "
                f"({_name(entry)})",
                entry,
            )


async def _base_report(
    sut: StationConnection, report_base: str, label: str
) -> list[Mapping[str, Any]]:
    """Steps 1-4 of TC_B_12/13/14: GetBaseReportRequest, Accepted, every NotifyReport page."""
    request_id = next(_REQUEST_IDS)
    mark = sut.mark()
    step(f"1. GetBaseReportRequest requestId {request_id}, reportBase {report_base}")
    answer = await sut.call("GetBaseReport", {"requestId": request_id, "reportBase": report_base})
    check(
        answer.get("status") == "Accepted"
        and str((answer.get("statusInfo") or {}).get("reasonCode", "NoError")).lower() == "noerror",
        f"{label} step 2: GetBaseReportResponse status Accepted, statusInfo absent or NoError "
        "(B07.FR.03)",
        answer,
    )
    step("3. NotifyReportRequest pages, answered (4.), while tbc = true")
    pages = await _collect_report(sut, request_id, since=mark, label=f"{label} step 3")
    return _report_data(pages)


# -- boot helpers ---------------------------------------------------------------------------
async def _connectors_available(
    csms: FakeCsms201, sut: StationConnection, *, since: int, label: str
) -> None:
    """ "The Charging Station notifies the CSMS about the current state of all connectors":
    a StatusNotificationRequest Available for every EVSE (post scenario validation), with a
    NotifyEvent AvailabilityState judged when present (csms.connector_reported)."""
    for evse in range(1, csms.config.station.connectors + 1):
        item = await sut.wait_for(
            "StatusNotification",
            lambda p, e=evse: p["evseId"] == e,
            since=since,
            describe=f"StatusNotificationRequest of EVSE {evse} ({label})",
        )
        check(
            item.payload["connectorStatus"] == "Available" and item.payload["connectorId"] != 0,
            f"{label}: StatusNotificationRequest connectorStatus Available for EVSE {evse}",
            item.payload,
        )


def _calls_between(
    sut: StationConnection, first: IncomingCall, last: IncomingCall | None
) -> list[IncomingCall]:
    inbox = sut.link.inbox
    start = inbox.index(first) + 1
    end = inbox.index(last) if last is not None else len(inbox)
    return inbox[start:end]


async def _boot_after(
    csms: FakeCsms201, sut: StationConnection, since: int, generation: int, wait: float, what: str
) -> tuple[StationConnection, IncomingCall]:
    """The next BootNotificationRequest: on this connection, or on a new one when the station
    closed it meanwhile (B03.FR.04 allows that after Rejected)."""
    try:
        return sut, await sut.wait_for("BootNotification", since=since, timeout=wait, describe=what)
    except TargetTimeout:
        if not sut.closed and csms.generation == generation:
            raise
    sut = await csms.next_connection(after=generation, timeout=wait)
    return sut, await sut.wait_for("BootNotification", timeout=wait, describe=what)
