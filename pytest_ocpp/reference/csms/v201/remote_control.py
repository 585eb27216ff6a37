"""F. Remote Control block of the 2.0.1 session (Part 2 F01-F06): the requests the reference
CSMS is asked to send (RequestStartTransaction, UnlockConnector, TriggerMessage) and the
defects that break them.

The conformant reference sends what the operator job carries, so this block has no handlers:
the station's answers to those requests are recorded by the shared session, and the messages a
trigger makes the station send (MeterValues, LogStatusNotification, FirmwareStatusNotification,
StatusNotification ...) are answered by the core block or the empty-response fallback. The
defects live in :meth:`RemoteControlMixin.adjust_outgoing`. (``v201_request_start_wrong_id_token``
is older than this module and stays in :mod:`.core`.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pytest_ocpp.reference.csms.session import _ReferenceSession

__all__ = ["DEFECTS_REMOTE_CONTROL", "RemoteControlMixin"]

#: The defects :class:`RemoteControlMixin` implements; part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_REMOTE_CONTROL: dict[str, str] = {
    "v201_request_start_wrong_evse": (
        "RequestStartTransactionRequest is sent for evseId + 1 instead of the EVSE asked for."
    ),
    "v201_unlock_connector_wrong_connector": (
        "UnlockConnectorRequest is sent for connectorId + 1 instead of the connector asked for."
    ),
    "v201_trigger_wrong_requested_message": (
        "TriggerMessageRequest asks for Heartbeat instead of MeterValues, and for MeterValues "
        "instead of any other message."
    ),
    "v201_trigger_wrong_evse": (
        "TriggerMessageRequest is sent for evse.id + 1 instead of the EVSE asked for."
    ),
    "v201_trigger_status_without_connector": (
        "TriggerMessageRequest for StatusNotification leaves out evse.connectorId, which "
        "F06.FR.13 requires."
    ),
    "v201_trigger_never_sent": (
        "The CSMS cannot trigger messages: a TriggerMessageRequest it is asked for is never sent."
    ),
}

_SWAPPED_TRIGGER = {"MeterValues": "Heartbeat"}
"""What ``v201_trigger_wrong_requested_message`` asks for instead; anything else becomes
MeterValues."""


class RemoteControlMixin(_ReferenceSession):
    """The outgoing-request defects of F01-F06; no handlers of its own."""

    BLOCK_DEFECTS: ClassVar[Mapping[str, str]] = DEFECTS_REMOTE_CONTROL

    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The defects of RequestStartTransaction, UnlockConnector and TriggerMessage."""
        if action == "RequestStartTransaction":
            if self.defect("v201_request_start_wrong_evse") and "evseId" in payload:
                payload["evseId"] = int(payload["evseId"]) + 1
        elif action == "UnlockConnector":
            if self.defect("v201_unlock_connector_wrong_connector"):
                payload["connectorId"] = int(payload["connectorId"]) + 1
        elif action == "TriggerMessage":
            if self.defect("v201_trigger_never_sent"):
                return None
            self._break_trigger(payload)
        # Cooperative hook: the other blocks' defects apply too.
        return super().adjust_outgoing(action, payload)

    def _break_trigger(self, payload: dict[str, Any]) -> None:
        """The TriggerMessageRequest defects that change what is sent, in place."""
        requested = str(payload.get("requestedMessage", ""))
        evse = payload.get("evse")
        if self.defect("v201_trigger_wrong_requested_message"):
            payload["requestedMessage"] = _SWAPPED_TRIGGER.get(requested, "MeterValues")
        if isinstance(evse, dict):
            if self.defect("v201_trigger_wrong_evse") and "id" in evse:
                evse["id"] = int(evse["id"]) + 1
            if requested == "StatusNotification" and self.defect(
                "v201_trigger_status_without_connector"
            ):
                evse.pop("connectorId", None)
