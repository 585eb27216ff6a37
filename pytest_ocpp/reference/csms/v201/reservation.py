"""H. Reservation of the 2.0.1 session (Part 2 H01-H04): the ReservationStatusUpdateRequest a
station sends when a reservation ends, and the defects of the ReserveNowRequest and
CancelReservationRequest the reference is asked to send.

ReserveNow and CancelReservation are CSMS-initiated: the reference sends the payload its
operator job carries (the CSMS under test would take it from its user), so a conformant
reference sends exactly what a test case asked for; each defect twists one field of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ocpp.exceptions import InternalError
from ocpp.routing import on
from ocpp.v201 import call_result as result201

from pytest_ocpp.reference.csms.session import _other_tag, _ReferenceSession

__all__ = ["DEFECTS_RESERVATION", "ReservationMixin"]

#: The defects :class:`ReservationMixin` implements; part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_RESERVATION: dict[str, str] = {
    "v201_reserve_now_wrong_evse": (
        "ReserveNowRequest for a specific EVSE names the next EVSE instead (evseId + 1)."
    ),
    "v201_reserve_now_adds_evse": (
        "ReserveNowRequest for an unspecified EVSE or a connector type carries evseId 1 anyway."
    ),
    "v201_reserve_now_wrong_id_token": (
        "ReserveNowRequest carries a different idToken than the one to reserve for."
    ),
    "v201_reserve_now_drops_group_id_token": (
        "ReserveNowRequest leaves out the groupIdToken it was asked to reserve for."
    ),
    "v201_reserve_now_adds_connector_type": (
        "ReserveNowRequest that should name no connector type carries connectorType cType2."
    ),
    "v201_reserve_now_wrong_connector_type": (
        "ReserveNowRequest for a connector type names another type than asked for."
    ),
    "v201_reserve_now_expired": (
        "ReserveNowRequest has an expiryDateTime long past (2000-01-01) instead of the one "
        "asked for."
    ),
    "v201_reserve_now_never_sent": "The CSMS never sends a ReserveNowRequest it is asked to.",
    "v201_cancel_reservation_wrong_id": (
        "CancelReservationRequest names another reservationId (+ 1) than the one to cancel."
    ),
    "v201_reservation_status_update_call_error": (
        "ReservationStatusUpdateRequest is answered with a CallError InternalError."
    ),
}

_EXPIRED = "2000-01-01T00:00:00.000Z"
"""What ``v201_reserve_now_expired`` sends: long past, yet a valid 2.0.1 dateTime."""


class ReservationMixin(_ReferenceSession):
    """Reservations as the CSMS sees them: it accepts every ReservationStatusUpdateRequest
    (H01.FR.16/17 Removed, H04.FR.01 Expired: the response has no field to fill), and sends the
    ReserveNow / CancelReservation requests it is asked to (H01, H02)."""

    BLOCK_DEFECTS: ClassVar[Mapping[str, str]] = DEFECTS_RESERVATION

    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The outgoing-request defects of ReserveNow and CancelReservation."""
        if action == "ReserveNow":
            if self.defect("v201_reserve_now_never_sent"):
                return None
            self._twist_reserve_now(payload)
        elif action == "CancelReservation" and self.defect("v201_cancel_reservation_wrong_id"):
            payload["reservationId"] = int(payload.get("reservationId", 0)) + 1
        # Cooperative hook: the other blocks' defects apply too.
        return super().adjust_outgoing(action, payload)

    def _twist_reserve_now(self, payload: dict[str, Any]) -> None:
        """Apply the ReserveNowRequest defects to ``payload`` in place."""
        if "evseId" in payload and self.defect("v201_reserve_now_wrong_evse"):
            payload["evseId"] = int(payload["evseId"]) + 1
        elif "evseId" not in payload and self.defect("v201_reserve_now_adds_evse"):
            payload["evseId"] = 1
        token = payload.get("idToken")
        if isinstance(token, dict) and self.defect("v201_reserve_now_wrong_id_token"):
            payload["idToken"] = {**token, "idToken": _other_tag(str(token.get("idToken", "")))}
        if self.defect("v201_reserve_now_drops_group_id_token"):
            payload.pop("groupIdToken", None)
        if "connectorType" in payload and self.defect("v201_reserve_now_wrong_connector_type"):
            payload["connectorType"] = "cCCS2" if payload["connectorType"] != "cCCS2" else "cType2"
        elif "connectorType" not in payload and self.defect("v201_reserve_now_adds_connector_type"):
            payload["connectorType"] = "cType2"
        if self.defect("v201_reserve_now_expired"):
            payload["expiryDateTime"] = _EXPIRED

    @on("ReservationStatusUpdate")
    def on_reservation_status_update(self, **_: Any) -> result201.ReservationStatusUpdate:
        """H01.FR.16/17, H04.FR.01: the station tells the reservation ended; nothing to answer
        but the empty response."""
        if self.defect("v201_reservation_status_update_call_error"):
            raise InternalError(description="reservation store unavailable")
        return result201.ReservationStatusUpdate()
