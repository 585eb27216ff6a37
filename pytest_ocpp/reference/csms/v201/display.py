"""O. DisplayMessage of the 2.0.1 session (Part 2 O01-O06): the NotifyDisplayMessagesRequest
pages a station sends after a GetDisplayMessagesRequest, and the defects of the
SetDisplayMessage / GetDisplayMessages / ClearDisplayMessage requests the reference is asked
to send.

Those three requests are CSMS-initiated: the reference sends the payload its operator job
carries (the CSMS under test would take it from its user), so a conformant reference sends
exactly what a test case asked for; each defect twists one field of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

from ocpp.exceptions import InternalError
from ocpp.routing import on
from ocpp.v201 import call_result as result201

from pytest_ocpp.reference.csms.session import _ReferenceSession

__all__ = ["DEFECTS_DISPLAY", "DisplayMixin"]

#: The defects :class:`DisplayMixin` implements; part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_DISPLAY: dict[str, str] = {
    "v201_set_display_message_wrong_priority": (
        "SetDisplayMessageRequest message.priority is the next priority, not the one asked for."
    ),
    "v201_set_display_message_wrong_format": (
        "SetDisplayMessageRequest message.message.format is another format than asked for."
    ),
    "v201_set_display_message_wrong_state": (
        "SetDisplayMessageRequest message.state is another state than asked for."
    ),
    "v201_set_display_message_wrong_id": (
        "SetDisplayMessageRequest message.id is the asked id + 1 (a replacement becomes a new "
        "message)."
    ),
    "v201_set_display_message_drops_transaction": (
        "SetDisplayMessageRequest for a transaction leaves out message.transactionId."
    ),
    "v201_set_display_message_adds_transaction": (
        "SetDisplayMessageRequest for a message of no transaction carries a transactionId "
        "(O01.FR.04: it SHALL be omitted)."
    ),
    "v201_set_display_message_shifts_times": (
        "SetDisplayMessageRequest message.startDateTime and endDateTime are an hour later than "
        "asked for."
    ),
    "v201_get_display_messages_adds_filter": (
        "GetDisplayMessagesRequest asking for all messages (or for no priority) filters on "
        "priority NormalCycle."
    ),
    "v201_get_display_messages_wrong_filter": (
        "GetDisplayMessagesRequest filters on another id, priority or state than asked for."
    ),
    "v201_clear_display_message_wrong_id": (
        "ClearDisplayMessageRequest names another message id (+ 1) than the one to clear."
    ),
    "v201_display_requests_never_sent": (
        "The CSMS never sends the SetDisplayMessage, GetDisplayMessages or ClearDisplayMessage "
        "requests it is asked to."
    ),
    "v201_notify_display_messages_call_error": (
        "NotifyDisplayMessagesRequest is answered with a CallError InternalError."
    ),
}

_DISPLAY_ACTIONS = frozenset({"SetDisplayMessage", "GetDisplayMessages", "ClearDisplayMessage"})

_NEXT_PRIORITY = {"AlwaysFront": "InFront", "InFront": "NormalCycle", "NormalCycle": "AlwaysFront"}
_NEXT_STATE = {
    "Charging": "Faulted",
    "Faulted": "Idle",
    "Idle": "Unavailable",
    "Unavailable": "Charging",
}
_NEXT_FORMAT = {"ASCII": "UTF8", "UTF8": "HTML", "HTML": "URI", "URI": "ASCII"}


def _an_hour_later(value: str) -> str:
    """``value`` (a 2.0.1 dateTime) plus one hour, with milliseconds; unchanged if unreadable."""
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return value
    later = (stamp + timedelta(hours=1)).astimezone(timezone.utc)
    return later.strftime("%Y-%m-%dT%H:%M:%S.") + f"{later.microsecond // 1000:03d}Z"


class DisplayMixin(_ReferenceSession):
    """Display messages as the CSMS sees them: it accepts every NotifyDisplayMessagesRequest
    page (O03.FR.02, O04.FR.03: the response has no field to fill), and sends the display
    message requests it is asked to (O01, O02, O03-O06)."""

    BLOCK_DEFECTS: ClassVar[Mapping[str, str]] = DEFECTS_DISPLAY

    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The outgoing-request defects of the three display message requests."""
        if action in _DISPLAY_ACTIONS and self.defect("v201_display_requests_never_sent"):
            return None
        if action == "SetDisplayMessage" and isinstance(payload.get("message"), dict):
            self._twist_message_info(payload["message"])
        elif action == "GetDisplayMessages":
            self._twist_display_filter(payload)
        elif action == "ClearDisplayMessage" and self.defect("v201_clear_display_message_wrong_id"):
            payload["id"] = int(payload.get("id", 0)) + 1
        # Cooperative hook: the other blocks' defects apply too.
        return super().adjust_outgoing(action, payload)

    def _twist_message_info(self, message: dict[str, Any]) -> None:
        """Apply the SetDisplayMessageRequest defects to its MessageInfoType in place."""
        if self.defect("v201_set_display_message_wrong_priority"):
            message["priority"] = _NEXT_PRIORITY.get(str(message.get("priority")), "InFront")
        content = message.get("message")
        if isinstance(content, dict) and self.defect("v201_set_display_message_wrong_format"):
            content["format"] = _NEXT_FORMAT.get(str(content.get("format")), "ASCII")
        if "state" in message and self.defect("v201_set_display_message_wrong_state"):
            message["state"] = _NEXT_STATE.get(str(message["state"]), "Idle")
        if self.defect("v201_set_display_message_wrong_id"):
            message["id"] = int(message.get("id", 0)) + 1
        if "transactionId" in message:
            if self.defect("v201_set_display_message_drops_transaction"):
                del message["transactionId"]
        elif self.defect("v201_set_display_message_adds_transaction"):
            message["transactionId"] = "UNRELATED-TRANSACTION"
        if self.defect("v201_set_display_message_shifts_times"):
            for key in ("startDateTime", "endDateTime"):
                if key in message:
                    message[key] = _an_hour_later(str(message[key]))

    def _twist_display_filter(self, payload: dict[str, Any]) -> None:
        """Apply the GetDisplayMessagesRequest defects to ``payload`` in place."""
        if self.defect("v201_get_display_messages_wrong_filter"):
            if isinstance(payload.get("id"), list):
                payload["id"] = [int(one) + 1 for one in payload["id"]]
            if "priority" in payload:
                payload["priority"] = _NEXT_PRIORITY.get(str(payload["priority"]), "InFront")
            if "state" in payload:
                payload["state"] = _NEXT_STATE.get(str(payload["state"]), "Idle")
        if "priority" not in payload and self.defect("v201_get_display_messages_adds_filter"):
            payload["priority"] = "NormalCycle"

    @on("NotifyDisplayMessages")
    def on_notify_display_messages(self, **_: Any) -> result201.NotifyDisplayMessages:
        """O03.FR.02, O04.FR.03: a page of the messages a GetDisplayMessagesRequest asked
        for; nothing to answer but the empty response."""
        if self.defect("v201_notify_display_messages_call_error"):
            raise InternalError(description="display message store unavailable")
        return result201.NotifyDisplayMessages()
