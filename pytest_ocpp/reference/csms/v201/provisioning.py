"""B. Provisioning block of the 2.0.1 session (Part 2 B01-B12): the BootNotification answer
(Accepted, or Pending/Rejected first when a case configures it), the CALLERROR SecurityError a
station that is not accepted gets (B01.FR.10, B02.FR.09, B03.FR.07), the device-model requests
the reference is asked to send (GetVariables, SetVariables, GetBaseReport, GetReport), Reset and
SetNetworkProfile, and the defects that break them.

The conformant reference sends what the operator job carries, with one exception B06.FR.05 and
B05.FR.11 require of a CSMS: a GetVariables/SetVariablesRequest with more entries than the
station reported in ``DeviceDataCtrlr.ItemsPerMessage[GetVariables|SetVariables]`` (learnt from
the station's answers to earlier GetVariablesRequests) is sent in pages of at most that many.

Per-session state lives in attributes created on first use (block mixins have no ``__init__``);
helpers carry a ``_prov_`` prefix, since :func:`~.session._check_blocks` refuses two blocks
defining the same name.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar

from ocpp.messages import Call
from ocpp.routing import after, on
from ocpp.v201 import call_result as result201

from pytest_ocpp.reference.csms.session import LOGGER, _ReferenceSession
from pytest_ocpp.reference.csms.v201.core import utc_now_201

__all__ = ["DEFECTS_PROVISIONING", "NOT_ACCEPTED_INTERVAL", "ProvisioningMixin"]

#: The defects :class:`ProvisioningMixin` implements; part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_PROVISIONING: dict[str, str] = {
    "v201_boot_rejected": "BootNotificationResponse has status Rejected instead of Accepted.",
    "v201_boot_six_digit_fraction": (
        "BootNotificationResponse currentTime has 6 fractional digits (2.0.1 allows 3)."
    ),
    "v201_boot_pending_ignored": (
        "The CSMS configured to first answer a BootNotificationRequest with Pending or Rejected "
        "(setup boot_status) answers Accepted at once."
    ),
    "v201_boot_pending_forever": (
        "After a Pending or Rejected BootNotificationResponse, every later BootNotificationRequest "
        "of the connection gets the same status: the station is never accepted."
    ),
    "v201_pending_no_security_error": (
        "While the station is not accepted (Pending or Rejected), its StatusNotification, "
        "NotifyEvent ... requests are answered normally instead of with CALLERROR SecurityError "
        "(B02.FR.09, B03.FR.07)."
    ),
    "v201_pending_sends_request_start": (
        "Right after answering a BootNotificationRequest with Pending, the CSMS sends a "
        "RequestStartTransactionRequest (B02.FR.05: it SHALL first accept the station)."
    ),
    "v201_pending_closes_connection": (
        "Right after answering a BootNotificationRequest with Pending, the CSMS closes the "
        "websocket (B02.FR.06: neither side SHALL close it)."
    ),
    "v201_reset_wrong_type": (
        "ResetRequest is sent with OnIdle when Immediate was asked for, and vice versa."
    ),
    "v201_reset_wrong_evse": (
        "ResetRequest for the whole station carries evseId 1, and one for an EVSE names the "
        "next EVSE (evseId + 1)."
    ),
    "v201_get_variables_short_component_names": (
        "GetVariablesRequest names the controllers without their final 'r' (OCPPCommCtrl, "
        "AuthCtrl, DeviceDataCtrl: the spelling of Part 6's tables, not of the device model)."
    ),
    "v201_get_variables_ignores_items_per_message": (
        "GetVariablesRequest carries every variable asked for in one message, even when the "
        "station reported a lower ItemsPerMessage[GetVariables] (B06.FR.05)."
    ),
    "v201_set_variables_wrong_value": (
        "SetVariablesRequest sends every attributeValue altered (a number + 1, any other "
        "text with an X appended)."
    ),
    "v201_base_report_wrong_base": (
        "GetBaseReportRequest asks for another reportBase (ConfigurationInventory and "
        "FullInventory swapped, SummaryInventory becomes FullInventory)."
    ),
    "v201_base_report_negative_request_id": "GetBaseReportRequest is sent with requestId -1.",
    "v201_notify_report_not_implemented": (
        "NotifyReportRequest is answered with CALLERROR NotImplemented: the CSMS asks for "
        "reports it cannot receive."
    ),
    "v201_get_report_wrong_criteria": (
        "GetReportRequest is sent with componentCriteria [Enabled] instead of the criteria "
        "asked for."
    ),
    "v201_network_profile_wrong_slot": (
        "SetNetworkProfileRequest stores the profile in configurationSlot + 1 instead of the "
        "slot asked for."
    ),
    "v201_network_profile_never_sent": (
        "The CSMS cannot set network profiles: a SetNetworkProfileRequest it is asked for is "
        "never sent."
    ),
}

NOT_ACCEPTED_INTERVAL = 1
"""The retry interval (s) of a Pending or Rejected BootNotificationResponse: the reference
wants nothing from a station it holds back, so the station may ask again at once (B02.FR.08)."""

_HELD_BACK = frozenset({"Pending", "Rejected"})

_TRIGGERED_ACTION = {
    "SignChargingStationCertificate": "SignCertificate",
    "SignV2GCertificate": "SignCertificate",
    "SignCombinedCertificate": "SignCertificate",
}
"""TriggerMessage requestedMessage -> the action the station then sends, where they differ."""

_SWAPPED_BASE = {
    "ConfigurationInventory": "FullInventory",
    "FullInventory": "ConfigurationInventory",
    "SummaryInventory": "FullInventory",
}

_PAGED = {"GetVariables": "getVariableData", "SetVariables": "setVariableData"}
"""The device-model requests B06.FR.05 / B05.FR.11 limit to ItemsPerMessage, and their list."""


def _utc_now_six_digits() -> str:
    """Microseconds: what the ``v201_boot_six_digit_fraction`` defect sends."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _altered(value: Any) -> str:
    """A value that is surely not ``value`` yet keeps its kind (number stays number)."""
    text = str(value)
    try:
        return str(int(text) + 1)
    except ValueError:
        return text + "X"


class ProvisioningMixin(_ReferenceSession):
    """B01-B12: boot (with the Pending/Rejected setup of TC_B_02/B_30/B_31), the SecurityError
    of a station not accepted, the device-model, Reset and SetNetworkProfile requests, and the
    block's defects."""

    BLOCK_DEFECTS: ClassVar[Mapping[str, str]] = DEFECTS_PROVISIONING

    # -- per-session state (created on first use: block mixins have no __init__) -------------
    def _prov_state(self) -> dict[str, Any]:
        state: dict[str, Any] | None = getattr(self, "_provisioning_state", None)
        if state is None:
            state = {
                "registration": None,  # the status of the last BootNotificationResponse
                "held_back": False,  # a Pending/Rejected was answered on this connection
                "triggered": set(),  # actions a TriggerMessageRequest asked the station for
                "chunks": [],  # pages of a split Get/SetVariablesRequest, sent as they are
            }
            self._provisioning_state = state
        return state

    def _prov_spawn(self, work: Any) -> None:
        """Run ``work`` beside the session; cancelled with the session's other pending work."""

        async def guarded() -> None:
            try:
                await work
            except Exception:  # a request of our own initiative must not kill the loop
                LOGGER.exception("%s: provisioning background work failed", self.id)

        task = asyncio.get_running_loop().create_task(guarded())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    # -- B01-B03 boot --------------------------------------------------------------------------
    def _prov_boot_status(self) -> str:
        """Accepted, unless a case configured ``boot_status`` Pending or Rejected: then the
        first BootNotificationRequest of the connection gets that status and the next one is
        accepted ("first respond ... with status Pending", TC_B_02/B_30/B_31_CSMS)."""
        if self.defect("v201_boot_rejected"):
            return "Rejected"
        state = self._prov_state()
        configured = self.setting("boot_status")
        if configured in _HELD_BACK and not self.defect("v201_boot_pending_ignored"):
            if not state["held_back"] or self.defect("v201_boot_pending_forever"):
                state["held_back"] = True
                return str(configured)
        return "Accepted"

    @on("BootNotification")
    def on_boot_notification(self, **_: Any) -> result201.BootNotification:
        status = self._prov_boot_status()
        self._prov_state()["registration"] = status
        now = _utc_now_six_digits() if self.defect("v201_boot_six_digit_fraction") else None
        interval = self.csms.heartbeat_interval if status == "Accepted" else NOT_ACCEPTED_INTERVAL
        return result201.BootNotification(
            current_time=now or utc_now_201(), interval=interval, status=status
        )

    @after("BootNotification")
    async def after_boot_notification_provisioning(self, **_: Any) -> None:
        """The defects that act on their own once a Pending answer is out."""
        if self._prov_state()["registration"] != "Pending":
            return
        if self.defect("v201_pending_closes_connection"):
            await self._connection.close(1000, "Deliberate defect: closed while Pending.")
        elif self.defect("v201_pending_sends_request_start"):
            self._prov_spawn(
                self.send_call(
                    "RequestStartTransaction",
                    {"remoteStartId": 1, "idToken": {"idToken": "PENDING", "type": "Central"}},
                )
            )

    def _prov_refuses(self, action: str) -> bool:
        """B01.FR.10, B02.FR.09, B03.FR.07: a station not accepted may send only
        BootNotificationRequests and what a TriggerMessage, GetBaseReport or GetReport asked
        it for (NotifyReport); anything else gets CALLERROR SecurityError."""
        state = self._prov_state()
        if state["registration"] not in _HELD_BACK or action == "BootNotification":
            return False
        if action == "NotifyReport" or action in state["triggered"]:
            return False
        return not self.defect("v201_pending_no_security_error")

    async def intercept_call(self, msg: Call) -> bool:
        """SecurityError while not accepted, and the NotifyReport defect."""
        if self._prov_refuses(msg.action):
            await self.send_raw(
                json.dumps(
                    [
                        4,
                        msg.unique_id,
                        "SecurityError",
                        "The Charging Station is not accepted yet (BootNotification).",
                        {},
                    ]
                )
            )
            return True
        if msg.action == "NotifyReport" and self.defect("v201_notify_report_not_implemented"):
            await self.send_raw(
                json.dumps(
                    [4, msg.unique_id, "NotImplemented", "NotifyReport is not implemented.", {}]
                )
            )
            return True
        # Cooperative hook: the other blocks' defects apply too.
        return await super().intercept_call(msg)

    # -- requests --------------------------------------------------------------------------
    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The block's outgoing-request defects, the TriggerMessage bookkeeping of
        :meth:`_prov_refuses`, and the ItemsPerMessage paging of B05.FR.11 / B06.FR.05."""
        if action == "TriggerMessage":
            requested = str(payload.get("requestedMessage", ""))
            self._prov_state()["triggered"].add(_TRIGGERED_ACTION.get(requested, requested))
        elif action == "Reset":
            self._prov_break_reset(payload)
        elif action in _PAGED:
            paged = self._prov_page(action, payload)
            if paged is None:
                return None  # sent in pages by a task of its own
            payload = paged
            self._prov_break_variables(action, payload)
        elif action == "GetBaseReport":
            base = str(payload.get("reportBase", ""))
            if self.defect("v201_base_report_wrong_base") and base in _SWAPPED_BASE:
                payload["reportBase"] = _SWAPPED_BASE[base]
            if self.defect("v201_base_report_negative_request_id"):
                payload["requestId"] = -1
        elif action == "GetReport":
            if self.defect("v201_get_report_wrong_criteria"):
                payload["componentCriteria"] = ["Enabled"]
        elif action == "SetNetworkProfile":
            if self.defect("v201_network_profile_never_sent"):
                return None
            if self.defect("v201_network_profile_wrong_slot"):
                payload["configurationSlot"] = int(payload.get("configurationSlot", 0)) + 1
        # Cooperative hook: the other blocks' defects apply too.
        return super().adjust_outgoing(action, payload)

    def _prov_break_reset(self, payload: dict[str, Any]) -> None:
        if self.defect("v201_reset_wrong_type"):
            payload["type"] = "OnIdle" if payload.get("type") == "Immediate" else "Immediate"
        if self.defect("v201_reset_wrong_evse"):
            evse = payload.get("evseId")
            payload["evseId"] = 1 if evse is None else int(evse) + 1

    def _prov_break_variables(self, action: str, payload: dict[str, Any]) -> None:
        """The Get/SetVariablesRequest defects, on one page."""
        for item in payload.get(_PAGED[action]) or []:
            if not isinstance(item, dict):
                continue
            component = item.get("component")
            if (
                action == "GetVariables"
                and isinstance(component, dict)
                and self.defect("v201_get_variables_short_component_names")
            ):
                name = str(component.get("name", ""))
                component["name"] = name[:-1] if name.endswith("Ctrlr") else name
            if action == "SetVariables" and self.defect("v201_set_variables_wrong_value"):
                item["attributeValue"] = _altered(item.get("attributeValue", ""))

    def _prov_page(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The page to send now (the whole request when it fits), or None when the request is
        sent later by a task: in pages after the earlier request's answer told the limit."""
        state = self._prov_state()
        key = _PAGED[action]
        items = list(payload.get(key) or [])
        for chunk in state["chunks"]:
            if chunk == (action, items):
                state["chunks"].remove(chunk)  # a page of ours: send it as it is
                return payload
        if len(items) < 2 or (
            action == "GetVariables" and self.defect("v201_get_variables_ignores_items_per_message")
        ):
            return payload
        limit = self._prov_items_per_message(action)
        if limit is None and not self._call_lock.locked():
            return payload
        if limit is not None and len(items) <= limit:
            return payload
        self._prov_spawn(self._prov_send_pages(action, payload))
        return None

    async def _prov_send_pages(self, action: str, payload: dict[str, Any]) -> None:
        """Send ``payload`` in pages of at most ItemsPerMessage entries, one request at a time.
        The limit is read once the call lock is free, i.e. after the station's answer to an
        earlier GetVariablesRequest (e.g. for that very limit) has been recorded."""
        async with self._call_lock:
            pass
        key = _PAGED[action]
        items = list(payload.get(key) or [])
        limit = self._prov_items_per_message(action) or len(items)
        for start in range(0, len(items), limit):
            page = items[start : start + limit]
            self._prov_state()["chunks"].append((action, page))
            await self.send_call(action, {**payload, key: page})

    def _prov_items_per_message(self, action: str) -> int | None:
        """The station's ItemsPerMessage[action], from its latest GetVariables answer that
        reported it (on any connection: a CSMS remembers its stations' device models)."""
        for station_id, sent, kind, body in reversed(self.csms.responses):
            if station_id != self.id or sent != "GetVariables" or kind != "CallResult":
                continue
            for result in (body or {}).get("getVariableResult") or []:
                component = result.get("component") or {}
                variable = result.get("variable") or {}
                if (
                    component.get("name") == "DeviceDataCtrlr"
                    and variable.get("name") == "ItemsPerMessage"
                    and variable.get("instance") == action
                    and result.get("attributeStatus") == "Accepted"
                ):
                    try:
                        return max(1, int(result.get("attributeValue", "")))
                    except ValueError:
                        return None
        return None
