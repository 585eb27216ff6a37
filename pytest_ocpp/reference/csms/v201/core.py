"""Core of the 2.0.1 session: the handlers the reference CSMS had before it was split by
functional block (boot, heartbeat, authorize, transaction event, data transfer, ...).

This module is one block among those composed by :mod:`pytest_ocpp.reference.csms.v201.session`:
it holds a mixin (:class:`CoreMixin`) and the defects that mixin implements
(:data:`DEFECTS_CORE`, reached through ``CoreMixin.BLOCK_DEFECTS``). A new functional block
gets a module of its own shaped like this one, so blocks grow without touching each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar

from ocpp.exceptions import OccurrenceConstraintViolationError
from ocpp.routing import on
from ocpp.v201 import call_result as result201

from pytest_ocpp.reference.csms.session import _other_tag, _ReferenceSession

__all__ = ["DEFECTS_CORE", "CoreMixin", "utc_now_201"]

#: The defects :class:`CoreMixin` implements (``v201_`` names, like every 2.0.1 defect); part
#: of the public :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_CORE: dict[str, str] = {
    "v201_boot_rejected": "BootNotificationResponse has status Rejected instead of Accepted.",
    "v201_boot_six_digit_fraction": (
        "BootNotificationResponse currentTime has 6 fractional digits (2.0.1 allows 3)."
    ),
    "v201_heartbeat_bad_datetime": "HeartbeatResponse currentTime is 'yesterday'.",
    "v201_accept_unknown_id_token": "Unknown and Invalid idTokens get status Accepted.",
    "v201_accept_blocked_id_token": "Blocked idTokens get status Accepted.",
    "v201_accept_expired_id_token": "Expired idTokens get status Accepted.",
    "v201_transaction_event_missing_id_token_info": (
        "TransactionEventResponse omits idTokenInfo even when the request carries an idToken."
    ),
    "v201_requires_evse_at_started": (
        "A TransactionEventRequest Started without evse is answered with a CallError "
        "OccurrenceConstraintViolation, although E01.FR.16 only requires evse once the EV is "
        "connected (the authorization-first path of E03)."
    ),
    "v201_request_start_wrong_id_token": (
        "RequestStartTransactionRequest is sent with a different idToken than asked for."
    ),
    "v201_reset_wrong_type": (
        "ResetRequest is sent with OnIdle when Immediate was asked for, and vice versa."
    ),
}


def utc_now_201() -> str:
    """A 2.0.1 date-time with milliseconds: Part 2 "dateTime" allows at most 3 fraction digits."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _utc_now_six_digits() -> str:
    """Microseconds: what the ``v201_boot_six_digit_fraction`` defect sends."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class CoreMixin(_ReferenceSession):
    """The 2.0.1 handlers the reference has had from the start, before it was split by
    functional block: boot, heartbeat, authorization, transaction events, data transfer and
    the ISO 15118 notifications, plus the defects of the requests it is asked to send.

    Handlers and defects move out of here into their block's module as that block grows.
    """

    BLOCK_DEFECTS: ClassVar[Mapping[str, str]] = DEFECTS_CORE

    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The outgoing-request defects of RequestStartTransaction and Reset."""
        token = payload.get("idToken")
        if (
            action == "RequestStartTransaction"
            and self.defect("v201_request_start_wrong_id_token")
            and isinstance(token, dict)
        ):
            payload["idToken"] = {**token, "idToken": _other_tag(str(token.get("idToken", "")))}
        elif action == "Reset" and self.defect("v201_reset_wrong_type"):
            payload["type"] = "OnIdle" if payload.get("type") == "Immediate" else "Immediate"
        # Cooperative hook: the other blocks' defects apply too.
        return super().adjust_outgoing(action, payload)

    def id_token_info(self, id_token: Mapping[str, Any]) -> dict[str, Any]:
        """2.0.1 IdTokenInfoType; unknown tokens are Unknown (C01.FR.07 family)."""
        if id_token.get("type") == "NoAuthorization":
            return {"status": "Accepted"}
        spec = self.tag_spec(str(id_token.get("id_token", "")))
        status = "Unknown" if spec is None else spec.status
        if (
            (status in ("Unknown", "Invalid") and self.defect("v201_accept_unknown_id_token"))
            or (status == "Blocked" and self.defect("v201_accept_blocked_id_token"))
            or (status == "Expired" and self.defect("v201_accept_expired_id_token"))
        ):
            status = "Accepted"
        info: dict[str, Any] = {"status": status}
        if spec is not None and spec.parent_id_tag:
            info["group_id_token"] = {"id_token": spec.parent_id_tag, "type": "Central"}
        if spec is not None and spec.expiry_date:
            info["cache_expiry_date_time"] = spec.expiry_date
        return info

    @on("BootNotification")
    def on_boot_notification(self, **_: Any) -> result201.BootNotification:
        now = _utc_now_six_digits() if self.defect("v201_boot_six_digit_fraction") else None
        status = "Rejected" if self.defect("v201_boot_rejected") else "Accepted"
        return result201.BootNotification(
            current_time=now or utc_now_201(),
            interval=self.csms.heartbeat_interval,
            status=status,
        )

    @on("Heartbeat")
    def on_heartbeat(self, **_: Any) -> result201.Heartbeat:
        now = "yesterday" if self.defect("v201_heartbeat_bad_datetime") else utc_now_201()
        return result201.Heartbeat(current_time=now)

    @on("Authorize")
    def on_authorize(self, id_token: Mapping[str, Any], **_: Any) -> result201.Authorize:
        return result201.Authorize(id_token_info=self.id_token_info(id_token))

    @on("TransactionEvent")
    def on_transaction_event(
        self,
        id_token: Mapping[str, Any] | None = None,
        event_type: str = "",
        evse: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> result201.TransactionEvent:
        """E01-E03: idTokenInfo whenever the request carries an idToken (E01.FR.xx, C01)."""
        if (
            event_type == "Started"
            and evse is None
            and self.defect("v201_requires_evse_at_started")
        ):
            raise OccurrenceConstraintViolationError(
                description="evse is required in TransactionEventRequest Started"
            )
        info = None
        if id_token is not None and not self.defect("v201_transaction_event_missing_id_token_info"):
            info = self.id_token_info(id_token)
        return result201.TransactionEvent(id_token_info=info)

    @on("DataTransfer")
    def on_data_transfer(self, **_: Any) -> result201.DataTransfer:
        return result201.DataTransfer(status="UnknownVendorId")

    @on("NotifyEVChargingNeeds")
    def on_notify_ev_charging_needs(self, **_: Any) -> result201.NotifyEVChargingNeeds:
        return result201.NotifyEVChargingNeeds(status="Rejected")

    @on("NotifyEVChargingSchedule")
    def on_notify_ev_charging_schedule(self, **_: Any) -> result201.NotifyEVChargingSchedule:
        return result201.NotifyEVChargingSchedule(status="Accepted")
