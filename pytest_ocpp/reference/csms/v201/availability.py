"""G. Availability block of the 2.0.1 session (Part 2 G01-G05): the ChangeAvailabilityRequest
the reference CSMS is asked to send, the connector reports it receives (StatusNotification,
NotifyEvent AvailabilityState, a connector lock Problem) and the defects that break them.

The conformant reference sends what the operator job carries and answers the reports with the
empty responses of the shared fallback, so this block has no handlers: its defects work through
the cooperative hooks, :meth:`AvailabilityMixin.adjust_outgoing` for the request and
:meth:`AvailabilityMixin.intercept_call` for the reports. That also leaves StatusNotification
and NotifyEvent free for a block that needs real handlers for them (N. Diagnostics, ...).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from ocpp.messages import Call

from pytest_ocpp.reference.csms.session import _ReferenceSession

__all__ = ["DEFECTS_AVAILABILITY", "AvailabilityMixin"]

#: The defects :class:`AvailabilityMixin` implements; part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_AVAILABILITY: dict[str, str] = {
    "v201_change_availability_wrong_status": (
        "ChangeAvailabilityRequest is sent with Operative when Inoperative was asked for, and "
        "vice versa."
    ),
    "v201_change_availability_wrong_evse": (
        "ChangeAvailabilityRequest is sent for evse.id + 1 instead of the EVSE asked for."
    ),
    "v201_change_availability_station_as_evse": (
        "The CSMS cannot address the whole Charging Station: a ChangeAvailabilityRequest "
        "without evse is sent for EVSE 1 instead."
    ),
    "v201_change_availability_drops_connector": (
        "The CSMS cannot address a single connector: a ChangeAvailabilityRequest for a "
        "connector is sent for its whole EVSE (evse.connectorId left out)."
    ),
    "v201_status_notification_unavailable_call_error": (
        "StatusNotificationRequest reporting a connector Unavailable is answered with a "
        "CallError InternalError."
    ),
    "v201_notify_event_problem_call_error": (
        "NotifyEventRequest reporting a Problem variable (e.g. ConnectorPlugRetentionLock, "
        "G05) is answered with a CallError InternalError."
    ),
}

_OTHER_STATUS = {"Operative": "Inoperative", "Inoperative": "Operative"}


class AvailabilityMixin(_ReferenceSession):
    """The ChangeAvailability and connector-report defects of G01-G05; no handlers of its
    own."""

    BLOCK_DEFECTS: ClassVar[Mapping[str, str]] = DEFECTS_AVAILABILITY

    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The ChangeAvailabilityRequest defects."""
        if action == "ChangeAvailability":
            status = str(payload.get("operationalStatus", ""))
            if self.defect("v201_change_availability_wrong_status") and status in _OTHER_STATUS:
                payload["operationalStatus"] = _OTHER_STATUS[status]
            evse = payload.get("evse")
            if evse is None and self.defect("v201_change_availability_station_as_evse"):
                payload["evse"] = {"id": 1}
            elif isinstance(evse, dict):
                if self.defect("v201_change_availability_wrong_evse") and "id" in evse:
                    evse["id"] = int(evse["id"]) + 1
                if self.defect("v201_change_availability_drops_connector"):
                    evse.pop("connectorId", None)
        # Cooperative hook: the other blocks' defects apply too.
        return super().adjust_outgoing(action, payload)

    async def intercept_call(self, msg: Call) -> bool:
        """The CallError defects of the connector reports."""
        payload = msg.payload if isinstance(msg.payload, dict) else {}
        if (
            msg.action == "StatusNotification"
            and payload.get("connectorStatus") == "Unavailable"
            and self.defect("v201_status_notification_unavailable_call_error")
        ):
            await self._internal_error(msg, "StatusNotification Unavailable fails")
            return True
        if (
            msg.action == "NotifyEvent"
            and _reports_problem(payload)
            and self.defect("v201_notify_event_problem_call_error")
        ):
            await self._internal_error(msg, "NotifyEvent with a Problem fails")
            return True
        # Cooperative hook: the other blocks' defects apply too.
        return await super().intercept_call(msg)

    async def _internal_error(self, msg: Call, what: str) -> None:
        await self.send_raw(
            json.dumps([4, msg.unique_id, "InternalError", f"Deliberate defect: {what}.", {}])
        )


def _reports_problem(payload: Mapping[str, Any]) -> bool:
    """Whether a NotifyEventRequest carries an event on a ``Problem`` variable."""
    events = payload.get("eventData")
    if not isinstance(events, list):
        return False
    return any(
        isinstance(event, dict) and (event.get("variable") or {}).get("name") == "Problem"
        for event in events
    )
