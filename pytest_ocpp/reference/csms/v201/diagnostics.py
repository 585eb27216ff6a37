"""N. Diagnostics block of the 2.0.1 session (Part 2 N01-N10): the log, monitoring and customer
information requests the reference CSMS is asked to send, the reports a station sends back
(LogStatusNotification, NotifyMonitoringReport, NotifyCustomerInformation, monitoring events in
NotifyEvent) and the defects that break them.

The conformant reference sends what the operator job carries, with two behaviours of its own
that Part 2 asks of a CSMS:

* N06.FR.04: a ClearVariableMonitoringRequest never carries more ids than the station's
  ``MonitoringCtrlr.ItemsPerMessage[ClearVariableMonitoring]``, as read with the last
  GetVariablesRequest the station answered; a longer list is sent in several requests, one at
  a time (TC_N_18_CSMS).
* N10.FR.02: when customer information is cleared for an idToken that is in the station's
  Local Authorization List (as this session last sent it with SendLocalList), the CSMS removes
  it from that list with a Differential SendLocalListRequest (version + 1, the idToken without
  idTokenInfo, D01.FR.17) once the station's NotifyCustomerInformationRequest has arrived
  (TC_N_46_CSMS).

NotifyEvent is answered by the shared fallback (other blocks report connector states with it),
so its defects work through :meth:`DiagnosticsMixin.intercept_call`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine, Mapping
from typing import Any, ClassVar

from ocpp.exceptions import InternalError
from ocpp.messages import Call
from ocpp.routing import on
from ocpp.v201 import call_result as result201

from pytest_ocpp.reference.csms.session import _other_tag, _ReferenceSession

__all__ = ["DEFECTS_DIAGNOSTICS", "DiagnosticsMixin"]

#: The defects :class:`DiagnosticsMixin` implements; part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_DIAGNOSTICS: dict[str, str] = {
    # N01 Retrieve Log
    "v201_get_log_not_sent": (
        "GetLogRequest is never sent (a CSMS without N01): the operator's request is dropped."
    ),
    "v201_get_log_wrong_log_type": (
        "GetLogRequest is sent with SecurityLog when DiagnosticsLog was asked for, and vice versa."
    ),
    "v201_get_log_location_without_scheme": (
        "GetLogRequest log.remoteLocation loses its protocol ('host/path' instead of "
        "'https://host/path'), so the station cannot know how to upload."
    ),
    "v201_get_log_reuses_request_id": (
        "A GetLogRequest reuses the requestId of the previous GetLogRequest of the session, so "
        "the LogStatusNotifications of two uploads cannot be told apart (N01.FR.07)."
    ),
    "v201_log_status_uploaded_call_error": (
        "LogStatusNotificationRequest with status Uploaded is answered with a CallError "
        "InternalError."
    ),
    # N02 Get Monitoring Report
    "v201_get_monitoring_report_wrong_criteria": (
        "GetMonitoringReportRequest monitoringCriteria swaps DeltaMonitoring and "
        "ThresholdMonitoring."
    ),
    "v201_get_monitoring_report_drops_evse": (
        "GetMonitoringReportRequest componentVariable loses component.evse, so an EVSE's "
        "variable is asked for at station level."
    ),
    "v201_get_monitoring_report_all_criteria": (
        "GetMonitoringReportRequest without monitoringCriteria is sent with all three criteria "
        "instead (the report is filtered when it should not be)."
    ),
    "v201_notify_monitoring_report_continuation_call_error": (
        "NotifyMonitoringReportRequest with seqNo > 0 (the second page of a report) is answered "
        "with a CallError InternalError."
    ),
    # N03 / N05 monitoring base and level
    "v201_set_monitoring_base_wrong_base": (
        "SetMonitoringBaseRequest swaps FactoryDefault and HardWiredOnly."
    ),
    "v201_set_monitoring_level_inverted": (
        "SetMonitoringLevelRequest severity is sent as 9 - severity (the scale read upside down)."
    ),
    # N04 Set Variable Monitoring
    "v201_set_variable_monitoring_wrong_type": (
        "SetVariableMonitoringRequest sends every Delta monitor as Periodic."
    ),
    "v201_set_variable_monitoring_wrong_severity": (
        "SetVariableMonitoringRequest ignores the asked severity and sends 5 (Alert, the "
        "default severity)."
    ),
    "v201_set_variable_monitoring_drops_evse": (
        "SetVariableMonitoringRequest loses component.evse, so an EVSE's variable is monitored "
        "at station level."
    ),
    "v201_set_variable_monitoring_first_only": (
        "SetVariableMonitoringRequest carries only the first of the monitors asked for."
    ),
    "v201_set_variable_monitoring_value_zero": (
        "SetVariableMonitoringRequest sends Delta monitors with value 0 (N04.FR.17 recommends "
        "1 for a non-numeric variable)."
    ),
    # N06 Clear Variable Monitoring
    "v201_clear_monitoring_ignores_items_per_message": (
        "ClearVariableMonitoringRequest carries all asked ids in one request, whatever the "
        "station's ItemsPerMessage[ClearVariableMonitoring] (N06.FR.04)."
    ),
    "v201_clear_monitoring_wrong_ids": (
        "ClearVariableMonitoringRequest ids are shifted by 1000 (an index/id mix-up): other "
        "monitors than the ones asked for are cleared."
    ),
    # N07 / N08 monitoring events
    "v201_notify_event_periodic_call_error": (
        "NotifyEventRequest with a Periodic trigger is answered with a CallError InternalError."
    ),
    "v201_notify_event_empty_value_call_error": (
        "NotifyEventRequest whose actualValue is empty (a monitor on a WriteOnly variable, "
        "N07.FR.10) is answered with a CallError PropertyConstraintViolation."
    ),
    "v201_notify_event_cleared_call_error": (
        "NotifyEventRequest reporting a cleared threshold (cleared true) is answered with a "
        "CallError InternalError."
    ),
    "v201_notify_event_hardwired_monitor_call_error": (
        "NotifyEventRequest from a HardWiredMonitor is answered with a CallError InternalError."
    ),
    # N09 / N10 customer information
    "v201_customer_information_wrong_customer": (
        "CustomerInformationRequest names another customer than asked for: another idToken, "
        "customerIdentifier or certificate serial number."
    ),
    "v201_customer_information_two_references": (
        "CustomerInformationRequest carries a second customer reference (customerIdentifier "
        "beside idToken, idToken beside customerIdentifier or customerCertificate), against "
        "N09.FR.04/N10.FR.08."
    ),
    "v201_customer_information_clear_ignored": (
        "CustomerInformationRequest is always sent with clear false."
    ),
    "v201_customer_information_always_reports": (
        "CustomerInformationRequest is always sent with report true."
    ),
    "v201_notify_customer_information_call_error": (
        "NotifyCustomerInformationRequest is answered with a CallError InternalError."
    ),
    "v201_customer_clear_local_list_keeps_token": (
        "After clearing an idToken's customer information, the Differential SendLocalListRequest "
        "that should remove it from the Local Authorization List (N10.FR.02) carries it with an "
        "idTokenInfo, which updates the entry instead (D01.FR.16)."
    ),
}

_SWAPPED_LOG = {"DiagnosticsLog": "SecurityLog", "SecurityLog": "DiagnosticsLog"}
_SWAPPED_CRITERIA = {
    "DeltaMonitoring": "ThresholdMonitoring",
    "ThresholdMonitoring": "DeltaMonitoring",
}
_SWAPPED_BASE = {"FactoryDefault": "HardWiredOnly", "HardWiredOnly": "FactoryDefault"}
_ALL_CRITERIA = ["ThresholdMonitoring", "DeltaMonitoring", "PeriodicMonitoring"]
_WRONG_ID_OFFSET = 1000
"""``v201_clear_monitoring_wrong_ids`` moves every id below this by this much (idempotent, so
the chunks of a split request are not moved twice)."""


def _is_clear_limit(item: Any) -> bool:
    """A GetVariableResult of MonitoringCtrlr.ItemsPerMessage[ClearVariableMonitoring]."""
    if not isinstance(item, dict):
        return False
    component = item.get("component") or {}
    variable = item.get("variable") or {}
    return (
        str(component.get("name", "")).casefold() == "monitoringctrlr"
        and str(variable.get("name", "")).casefold() == "itemspermessage"
        and str(variable.get("instance", "")).casefold() == "clearvariablemonitoring"
        and item.get("attributeStatus") == "Accepted"
    )


class DiagnosticsMixin(_ReferenceSession):
    """N01-N10: the diagnostics reports a station sends, answered as Part 2 requires (empty
    responses), the two CSMS behaviours of N06.FR.04 and N10.FR.02, and the block's defects."""

    BLOCK_DEFECTS: ClassVar[Mapping[str, str]] = DEFECTS_DIAGNOSTICS

    # -- per-session state (created on first use: block mixins have no __init__) -------------
    def _diag_state(self) -> dict[str, Any]:
        state: dict[str, Any] | None = getattr(self, "_diagnostics_state", None)
        if state is None:
            state = {
                "last_log_request_id": None,
                "local_list_version": None,
                "local_list": set(),
                "clearing": {},
                "chunks": set(),
            }
            self._diagnostics_state = state
        return state

    def _diag_spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` beside the session (a request this CSMS sends on its own initiative);
        cancelled with the session's other pending work."""
        task = asyncio.get_running_loop().create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    # -- requests ------------------------------------------------------------------------------
    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The outgoing-request defects of the block, and the bookkeeping N06.FR.04 and
        N10.FR.02 need."""
        if action == "GetLog":
            if self.defect("v201_get_log_not_sent"):
                return None
            self._diag_get_log(payload)
        elif action == "GetMonitoringReport":
            self._diag_get_monitoring_report(payload)
        elif action == "SetMonitoringBase":
            base = str(payload.get("monitoringBase", ""))
            if self.defect("v201_set_monitoring_base_wrong_base") and base in _SWAPPED_BASE:
                payload["monitoringBase"] = _SWAPPED_BASE[base]
        elif action == "SetMonitoringLevel":
            if self.defect("v201_set_monitoring_level_inverted"):
                payload["severity"] = 9 - int(payload.get("severity", 0))
        elif action == "SetVariableMonitoring":
            self._diag_set_variable_monitoring(payload)
        elif action == "CustomerInformation":
            self._diag_customer_information(payload)
        elif action == "SendLocalList":
            self._diag_note_local_list(payload)
        elif action == "ClearVariableMonitoring":
            if self._diag_clear_monitoring(payload):
                return None  # sent in chunks by a task of its own
        # Cooperative hook: the other blocks' defects apply too.
        return super().adjust_outgoing(action, payload)

    def _diag_get_log(self, payload: dict[str, Any]) -> None:
        state = self._diag_state()
        kind = str(payload.get("logType", ""))
        if self.defect("v201_get_log_wrong_log_type") and kind in _SWAPPED_LOG:
            payload["logType"] = _SWAPPED_LOG[kind]
        log = payload.get("log")
        if self.defect("v201_get_log_location_without_scheme") and isinstance(log, dict):
            log["remoteLocation"] = str(log.get("remoteLocation", "")).split("://", 1)[-1]
        previous = state["last_log_request_id"]
        if self.defect("v201_get_log_reuses_request_id") and previous is not None:
            payload["requestId"] = previous
        state["last_log_request_id"] = payload.get("requestId")

    def _diag_get_monitoring_report(self, payload: dict[str, Any]) -> None:
        criteria = payload.get("monitoringCriteria")
        if isinstance(criteria, list) and self.defect("v201_get_monitoring_report_wrong_criteria"):
            payload["monitoringCriteria"] = [_SWAPPED_CRITERIA.get(c, c) for c in criteria]
        if criteria is None and self.defect("v201_get_monitoring_report_all_criteria"):
            payload["monitoringCriteria"] = list(_ALL_CRITERIA)
        if self.defect("v201_get_monitoring_report_drops_evse"):
            for item in payload.get("componentVariable") or []:
                if isinstance(item, dict) and isinstance(item.get("component"), dict):
                    item["component"].pop("evse", None)

    def _diag_set_variable_monitoring(self, payload: dict[str, Any]) -> None:
        data = [d for d in payload.get("setMonitoringData") or [] if isinstance(d, dict)]
        if self.defect("v201_set_variable_monitoring_first_only") and len(data) > 1:
            payload["setMonitoringData"] = data = data[:1]
        for item in data:
            delta = item.get("type") == "Delta"
            if self.defect("v201_set_variable_monitoring_wrong_type") and delta:
                item["type"] = "Periodic"
            if self.defect("v201_set_variable_monitoring_value_zero") and delta:
                item["value"] = 0
            if self.defect("v201_set_variable_monitoring_wrong_severity"):
                item["severity"] = 5
            if self.defect("v201_set_variable_monitoring_drops_evse"):
                component = item.get("component")
                if isinstance(component, dict):
                    component.pop("evse", None)

    def _diag_customer_information(self, payload: dict[str, Any]) -> None:
        token = payload.get("idToken")
        if self.defect("v201_customer_information_wrong_customer"):
            if isinstance(token, dict):
                token["idToken"] = _other_tag(str(token.get("idToken", "")))
            if "customerIdentifier" in payload:
                payload["customerIdentifier"] = _other_tag(str(payload["customerIdentifier"]))
            certificate = payload.get("customerCertificate")
            if isinstance(certificate, dict):
                serial = str(certificate.get("serialNumber", ""))
                certificate["serialNumber"] = "1" + serial if serial != "1" else "2"
        if self.defect("v201_customer_information_two_references"):
            if isinstance(token, dict):
                payload["customerIdentifier"] = str(token.get("idToken", ""))
            else:
                reference = str(payload.get("customerIdentifier", "")) or "CUSTOMER"
                payload["idToken"] = {"idToken": reference[:36], "type": "Central"}
        if self.defect("v201_customer_information_clear_ignored"):
            payload["clear"] = False
        if self.defect("v201_customer_information_always_reports"):
            payload["report"] = True
        # N10.FR.02: remember an idToken being cleared, to update the local list afterwards.
        token = payload.get("idToken")
        if payload.get("clear") is True and isinstance(token, dict):
            self._diag_state()["clearing"][payload.get("requestId")] = dict(token)

    def _diag_note_local_list(self, payload: Mapping[str, Any]) -> None:
        """Track the Local Authorization List this session gave the station (D01.FR.15-17)."""
        state = self._diag_state()
        tokens: set[str] = state["local_list"]
        entries = [e for e in payload.get("localAuthorizationList") or [] if isinstance(e, dict)]
        if payload.get("updateType") == "Full":
            tokens.clear()
        for entry in entries:
            value = str((entry.get("idToken") or {}).get("idToken", "")).casefold()
            if entry.get("idTokenInfo") is None and payload.get("updateType") == "Differential":
                tokens.discard(value)
            else:
                tokens.add(value)
        state["local_list_version"] = payload.get("versionNumber")

    def _diag_clear_monitoring(self, payload: dict[str, Any]) -> bool:
        """The ids defect, then N06.FR.04: True when the request is sent in chunks instead."""
        state = self._diag_state()
        ids = [i for i in payload.get("id") or [] if isinstance(i, int)]
        if self.defect("v201_clear_monitoring_wrong_ids"):
            ids = [i + _WRONG_ID_OFFSET if i < _WRONG_ID_OFFSET else i for i in ids]
            payload["id"] = ids
        key = tuple(ids)
        if key in state["chunks"]:
            state["chunks"].discard(key)  # a chunk of ours: send it as it is
            return False
        if len(ids) < 2 or self.defect("v201_clear_monitoring_ignores_items_per_message"):
            return False
        self._diag_spawn(self._diag_send_clear_chunks(dict(payload)))
        return True

    async def _diag_send_clear_chunks(self, payload: dict[str, Any]) -> None:
        """N06.FR.04: at most ItemsPerMessage[ClearVariableMonitoring] ids per request, one
        request at a time (each waits for the previous one's answer, OCPP-J's one outstanding
        call). The limit is read once the call lock is free, i.e. after the station's answer
        to an earlier GetVariablesRequest has been recorded."""
        async with self._call_lock:
            pass
        ids: list[int] = list(payload["id"])
        limit = self._diag_clear_limit() or len(ids)
        for start in range(0, len(ids), limit):
            chunk = ids[start : start + limit]
            self._diag_state()["chunks"].add(tuple(chunk))
            await self.send_call("ClearVariableMonitoring", {**payload, "id": chunk})

    def _diag_clear_limit(self) -> int | None:
        """The station's ItemsPerMessage[ClearVariableMonitoring], from the last GetVariables
        answer of this station that reported it."""
        for station, action, kind, body in reversed(self.csms.responses):
            if station != self.id or action != "GetVariables" or kind != "CallResult":
                continue
            for item in (body or {}).get("getVariableResult") or []:
                if _is_clear_limit(item):
                    try:
                        return max(1, int(str(item.get("attributeValue"))))
                    except ValueError:
                        return None
        return None

    # -- reports -------------------------------------------------------------------------------
    async def intercept_call(self, msg: Call) -> bool:
        """The CallError defects of the monitoring events (NotifyEvent is answered by the
        shared fallback)."""
        payload = msg.payload if isinstance(msg.payload, dict) else {}
        if msg.action == "NotifyEvent":
            events = [e for e in payload.get("eventData") or [] if isinstance(e, dict)]
            error = self._diag_event_error(events)
            if error is not None:
                code, what = error
                frame = [4, msg.unique_id, code, f"Deliberate defect: {what}.", {}]
                await self.send_raw(json.dumps(frame))
                return True
        # Cooperative hook: the other blocks' defects apply too.
        return await super().intercept_call(msg)

    def _diag_event_error(self, events: list[dict[str, Any]]) -> tuple[str, str] | None:
        for event in events:
            if event.get("trigger") == "Periodic" and self.defect(
                "v201_notify_event_periodic_call_error"
            ):
                return "InternalError", "a periodic event fails"
            if event.get("actualValue") == "" and self.defect(
                "v201_notify_event_empty_value_call_error"
            ):
                return "PropertyConstraintViolation", "an empty actualValue is refused"
            if event.get("cleared") is True and self.defect("v201_notify_event_cleared_call_error"):
                return "InternalError", "a cleared event fails"
            if event.get("eventNotificationType") == "HardWiredMonitor" and self.defect(
                "v201_notify_event_hardwired_monitor_call_error"
            ):
                return "InternalError", "a hard-wired monitor's event fails"
        return None

    @on("LogStatusNotification")
    def on_log_status_notification(self, status: str, **_: Any) -> result201.LogStatusNotification:
        """N01: every upload status is reported; the CSMS answers each (empty response)."""
        if status == "Uploaded" and self.defect("v201_log_status_uploaded_call_error"):
            raise InternalError(description="Deliberate defect: a finished upload fails.")
        return result201.LogStatusNotification()

    @on("NotifyMonitoringReport")
    def on_notify_monitoring_report(
        self, seq_no: int, **_: Any
    ) -> result201.NotifyMonitoringReport:
        """N02.FR.03: a report comes in one or more pages; the CSMS answers each (empty
        response)."""
        if seq_no > 0 and self.defect("v201_notify_monitoring_report_continuation_call_error"):
            raise InternalError(description="Deliberate defect: a report's second page fails.")
        return result201.NotifyMonitoringReport()

    @on("NotifyCustomerInformation")
    def on_notify_customer_information(
        self, request_id: int, tbc: bool = False, **_: Any
    ) -> result201.NotifyCustomerInformation:
        """N09/N10: answered with the empty response; after the last page of a clear for an
        idToken in the station's Local Authorization List, that list is updated (N10.FR.02)."""
        if self.defect("v201_notify_customer_information_call_error"):
            raise InternalError(description="Deliberate defect: customer data cannot be taken.")
        state = self._diag_state()
        token = state["clearing"].get(request_id)
        if not tbc and token is not None:
            del state["clearing"][request_id]
            if str(token.get("idToken", "")).casefold() in state["local_list"]:
                self._diag_spawn(self._diag_remove_from_local_list(token))
        return result201.NotifyCustomerInformation()

    async def _diag_remove_from_local_list(self, token: Mapping[str, Any]) -> None:
        """N10.FR.02 via D01.FR.17: a Differential update without idTokenInfo removes it."""
        entry: dict[str, Any] = {"idToken": dict(token)}
        if self.defect("v201_customer_clear_local_list_keeps_token"):
            entry["idTokenInfo"] = {"status": "Accepted"}
        version = int(self._diag_state()["local_list_version"] or 0) + 1
        await self.send_call(
            "SendLocalList",
            {
                "versionNumber": version,
                "updateType": "Differential",
                "localAuthorizationList": [entry],
            },
        )
