"""The OCPP 1.6J session of the reference CSMS, and the 1.6 defects.

Everything 1.6-specific lives here and nowhere else: the handlers of every Call a 1.6 Charge
Point sends, and :meth:`Session16.adjust_outgoing`, where the 1.6 defects twist the requests
the CSMS is asked to send. Nothing here is imported by the 2.0.1 session, so a change for one
version cannot alter the other.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from ocpp.exceptions import InternalError
from ocpp.messages import Call
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16

from pytest_ocpp.reference.csms.security16 import Security16Mixin
from pytest_ocpp.reference.csms.session import _altered_value, _other_tag, _ReferenceSession

__all__ = ["DEFECTS_16", "Session16", "utc_now_16"]

#: The 1.6 defects (unprefixed names); part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_16: dict[str, str] = {
    # --- OCPP 1.6, messages from the station -------------------------------------------------
    "boot_rejected": "BootNotification.conf has status Rejected instead of Accepted.",
    "boot_missing_current_time": (
        "BootNotification.conf omits the required currentTime field (schema violation)."
    ),
    "heartbeat_bad_datetime": "Heartbeat.conf currentTime is 'yesterday', not a date-time.",
    "accept_unknown_id_tag": "Unknown and Invalid idTags get idTagInfo.status Accepted.",
    "accept_blocked_id_tag": "Blocked idTags get idTagInfo.status Accepted.",
    "accept_expired_id_tag": "Expired idTags get idTagInfo.status Accepted.",
    "reuse_transaction_id": "Every StartTransaction.conf carries transactionId 1.",
    "reject_valid_start_transaction": (
        "StartTransaction.conf idTagInfo.status is Invalid even for a valid idTag."
    ),
    "status_notification_internal_error": (
        "StatusNotification.req is answered with a CallError InternalError."
    ),
    "data_transfer_bad_error_code": (
        "DataTransfer.req is answered with a CallError whose code is FormatViolation, "
        "a 2.0.1 spelling that OCPP-J 1.6 does not define."
    ),
    "wrong_unique_id_in_reply": (
        "The CallResult to Heartbeat.req carries a different unique id than the Call."
    ),
    "never_answers_authorize": "Authorize.req is never answered.",
    "garbage_frame_on_data_transfer": (
        "DataTransfer.req is answered with a text frame that is not JSON."
    ),
    "stop_transaction_call_error": (
        "StopTransaction.req is answered with a CallError InternalError."
    ),
    # --- OCPP 1.6, for the load proofs (tests/test_load.py) -----------------------------------
    "heartbeat_late": "Heartbeat.req is answered correctly, but 5 s late.",
    "start_transaction_call_error": (
        "StartTransaction.req is answered with a CallError InternalError."
    ),
    # --- OCPP 1.6, requests the CSMS is asked to send ------------------------------------------
    "remote_start_wrong_id_tag": (
        "RemoteStartTransaction.req is sent with a different idTag than the one asked for."
    ),
    "reset_wrong_type": "Reset.req is sent with Soft when Hard was asked for, and vice versa.",
    "unlock_wrong_connector": "UnlockConnector.req is sent for connectorId + 1.",
    "remote_stop_wrong_transaction": (
        "RemoteStopTransaction.req is sent for transactionId + 1, a transaction the station "
        "does not run."
    ),
    "get_configuration_drops_keys": "GetConfiguration.req is sent without the requested keys.",
    "change_configuration_wrong_value": (
        "ChangeConfiguration.req is sent with a different value than the one asked for."
    ),
    # --- OCPP 1.6, Local Auth List Management, Firmware Management, Remote Trigger -----------
    "get_local_list_version_never_sent": (
        "GetLocalListVersion.req is never sent, although the operator's command succeeds."
    ),
    "send_local_list_wrong_update_type": (
        "SendLocalList.req is sent with updateType Differential when Full was asked for, and "
        "vice versa."
    ),
    "send_local_list_without_id_tag_info": (
        "SendLocalList.req localAuthorizationList entries are sent without their idTagInfo."
    ),
    "update_firmware_wrong_location": (
        "UpdateFirmware.req is sent with another location than the one asked for."
    ),
    "firmware_status_failure_call_error": (
        "FirmwareStatusNotification.req reporting DownloadFailed or InstallationFailed is "
        "answered with a CallError InternalError."
    ),
    "get_diagnostics_file_location": (
        "GetDiagnostics.req location is a file: URL, which names no OCPP 1.6 §8 transfer "
        "protocol a Charge Point could upload with."
    ),
    "trigger_message_wrong_message": (
        "TriggerMessage.req asks for Heartbeat instead of the requested message (and for "
        "MeterValues instead of Heartbeat)."
    ),
    "trigger_message_wrong_connector": "TriggerMessage.req is sent for connectorId + 1.",
    # --- OCPP 1.6, Reservation and Smart Charging --------------------------------------------
    "reserve_now_wrong_connector": "ReserveNow.req is sent for connectorId + 1.",
    "reserve_now_wrong_id_tag": (
        "ReserveNow.req is sent with a different idTag than the one asked for."
    ),
    "reserve_now_connector_zero": (
        "ReserveNow.req for a connector is sent for connectorId 0, the whole Charge Point."
    ),
    "reserve_now_expired": "ReserveNow.req expiryDate is one hour in the past.",
    "reserve_now_drops_parent_id_tag": (
        "ReserveNow.req is sent without the parentIdTag asked for."
    ),
    "cancel_reservation_wrong_id": "CancelReservation.req is sent for reservationId + 1.",
    "cancel_reservation_latest": (
        "CancelReservation.req is sent for the last reservation sent to the station, whatever "
        "reservationId was asked for."
    ),
    "change_availability_wrong_type": (
        "ChangeAvailability.req is sent with Operative when Inoperative was asked for, and "
        "vice versa."
    ),
    "set_charging_profile_wrong_purpose": (
        "SetChargingProfile.req is sent with purpose TxProfile when TxDefaultProfile was asked "
        "for, and vice versa."
    ),
    "tx_default_profile_with_transaction_id": (
        "SetChargingProfile.req with a TxDefaultProfile carries transactionId 1, which only a "
        "TxProfile may have."
    ),
    "tx_profile_wrong_transaction": (
        "SetChargingProfile.req with a TxProfile is sent for transactionId + 1."
    ),
    "composite_schedule_wrong_connector": "GetCompositeSchedule.req is sent for connectorId + 1.",
    "clear_charging_profile_wrong_id": "ClearChargingProfile.req is sent for id + 1.",
    "remote_start_drops_charging_profile": (
        "RemoteStartTransaction.req is sent without the chargingProfile asked for."
    ),
}


_LATE_ANSWERS: set[Any] = set()
"""Answers on their way (``heartbeat_late``): the loop keeps only weak references to tasks."""


def _answer_later(session: Any, frame: str, seconds: float) -> None:
    """Send ``frame`` after ``seconds`` without holding up the session's other messages."""
    import asyncio
    import contextlib

    async def later() -> None:
        await asyncio.sleep(seconds)
        with contextlib.suppress(Exception):  # the station may be gone by then
            await session.send_raw(frame)

    task = asyncio.ensure_future(later())
    _LATE_ANSWERS.add(task)
    task.add_done_callback(_LATE_ANSWERS.discard)


def utc_now_16() -> str:
    """A 1.6 date-time: any ISO 8601 UTC form is allowed, we send whole seconds."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Session16(Security16Mixin, _ReferenceSession, ChargePoint16):
    """An OCPP 1.6J station as the CSMS sees it: handlers for every request a Charge Point
    sends, in every profile the suite tests (Core, Firmware Management, Reservation, ...);
    the Security Whitepaper's signing, password change and profile upgrade come from
    :class:`~pytest_ocpp.reference.csms.security16.Security16Mixin`."""

    async def intercept_call(self, msg: Call) -> bool:
        uid, action = msg.unique_id, msg.action
        if action == "BootNotification" and self.defect("boot_missing_current_time"):
            body = {"interval": self.csms.heartbeat_interval, "status": "Accepted"}
            await self.send_raw(json.dumps([3, uid, body]))
            return True
        if action == "Heartbeat" and self.defect("wrong_unique_id_in_reply"):
            await self.send_raw(json.dumps([3, str(uuid.uuid4()), {"currentTime": utc_now_16()}]))
            return True
        if action == "Authorize" and self.defect("never_answers_authorize"):
            return True
        if action == "Heartbeat" and self.defect("heartbeat_late"):
            _answer_later(self, json.dumps([3, uid, {"currentTime": utc_now_16()}]), 5.0)
            return True
        if action == "DataTransfer" and self.defect("garbage_frame_on_data_transfer"):
            await self.send_raw("this is not JSON")
            return True
        if action == "DataTransfer" and self.defect("data_transfer_bad_error_code"):
            frame = [4, uid, "FormatViolation", "Not a 1.6 error code.", {}]
            await self.send_raw(json.dumps(frame))
            return True
        return await super().intercept_call(msg)

    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        if action == "RemoteStartTransaction" and self.defect("remote_start_wrong_id_tag"):
            payload["idTag"] = _other_tag(str(payload.get("idTag", "")))
        elif action == "Reset" and self.defect("reset_wrong_type"):
            payload["type"] = "Soft" if payload.get("type") == "Hard" else "Hard"
        elif action == "UnlockConnector" and self.defect("unlock_wrong_connector"):
            payload["connectorId"] = int(payload.get("connectorId", 0)) + 1
        elif action == "RemoteStopTransaction" and self.defect("remote_stop_wrong_transaction"):
            payload["transactionId"] = int(payload.get("transactionId", 0)) + 1
        elif action == "GetConfiguration" and self.defect("get_configuration_drops_keys"):
            payload.pop("key", None)
        elif action == "ChangeConfiguration" and self.defect("change_configuration_wrong_value"):
            payload["value"] = _altered_value(str(payload.get("value", "")))
        # Local Auth List Management, Firmware Management, Remote Trigger defects:
        if action == "GetLocalListVersion" and self.defect("get_local_list_version_never_sent"):
            return None
        if action == "SendLocalList" and self.defect("send_local_list_wrong_update_type"):
            swapped = "Differential" if payload.get("updateType") == "Full" else "Full"
            payload["updateType"] = swapped
        if action == "SendLocalList" and self.defect("send_local_list_without_id_tag_info"):
            for entry in payload.get("localAuthorizationList") or []:
                entry.pop("idTagInfo", None)
        if action == "UpdateFirmware" and self.defect("update_firmware_wrong_location"):
            payload["location"] = str(payload.get("location", "")) + ".other"
        if action == "GetDiagnostics" and self.defect("get_diagnostics_file_location"):
            payload["location"] = "file://" + (urlsplit(str(payload.get("location"))).path or "/")
        if action == "TriggerMessage" and self.defect("trigger_message_wrong_message"):
            wanted = payload.get("requestedMessage")
            payload["requestedMessage"] = "MeterValues" if wanted == "Heartbeat" else "Heartbeat"
        if action == "TriggerMessage" and self.defect("trigger_message_wrong_connector"):
            if "connectorId" in payload:
                payload["connectorId"] = int(payload["connectorId"]) + 1
        # Reservation and Smart Charging defects:
        if action == "ReserveNow" and self.defect("reserve_now_wrong_connector"):
            payload["connectorId"] = int(payload.get("connectorId", 0)) + 1
        if action == "ReserveNow" and self.defect("reserve_now_wrong_id_tag"):
            payload["idTag"] = _other_tag(str(payload.get("idTag", "")))
        if action == "ReserveNow" and self.defect("reserve_now_connector_zero"):
            payload["connectorId"] = 0
        if action == "ReserveNow" and self.defect("reserve_now_expired"):
            past = datetime.fromtimestamp(
                datetime.now(timezone.utc).timestamp() - 3600, timezone.utc
            )
            payload["expiryDate"] = past.strftime("%Y-%m-%dT%H:%M:%SZ")
        if action == "ReserveNow" and self.defect("reserve_now_drops_parent_id_tag"):
            payload.pop("parentIdTag", None)
        if action == "ReserveNow":
            # What cancel_reservation_latest cancels instead of the reservation asked for.
            self._last_reservation_id = payload.get("reservationId")
        if action == "CancelReservation" and self.defect("cancel_reservation_wrong_id"):
            payload["reservationId"] = int(payload.get("reservationId", 0)) + 1
        if action == "CancelReservation" and self.defect("cancel_reservation_latest"):
            latest = getattr(self, "_last_reservation_id", None)
            if latest is not None:
                payload["reservationId"] = latest
        if action == "ChangeAvailability" and self.defect("change_availability_wrong_type"):
            kind = payload.get("type")
            payload["type"] = "Operative" if kind == "Inoperative" else "Inoperative"
        profile = payload.get("csChargingProfiles")
        if action == "SetChargingProfile" and isinstance(profile, dict):
            purpose = profile.get("chargingProfilePurpose")
            swapped = {"TxProfile": "TxDefaultProfile", "TxDefaultProfile": "TxProfile"}
            if self.defect("set_charging_profile_wrong_purpose") and purpose in swapped:
                profile["chargingProfilePurpose"] = swapped[purpose]
            if self.defect("tx_default_profile_with_transaction_id"):
                if purpose == "TxDefaultProfile":
                    profile["transactionId"] = 1
            if self.defect("tx_profile_wrong_transaction") and "transactionId" in profile:
                profile["transactionId"] = int(profile["transactionId"]) + 1
        if action == "GetCompositeSchedule" and self.defect("composite_schedule_wrong_connector"):
            payload["connectorId"] = int(payload.get("connectorId", 0)) + 1
        if action == "ClearChargingProfile" and self.defect("clear_charging_profile_wrong_id"):
            if "id" in payload:
                payload["id"] = int(payload["id"]) + 1
        if action == "RemoteStartTransaction" and self.defect(
            "remote_start_drops_charging_profile"
        ):
            payload.pop("chargingProfile", None)
        return super().adjust_outgoing(action, payload)

    def id_tag_info(self, id_tag: str) -> dict[str, Any]:
        """1.6 IdTagInfo (OCPP 1.6 §7.24); unknown tags are Invalid."""
        spec = self.tag_spec(id_tag)
        status = "Invalid" if spec is None or spec.status == "Unknown" else spec.status
        if (
            (status == "Invalid" and self.defect("accept_unknown_id_tag"))
            or (status == "Blocked" and self.defect("accept_blocked_id_tag"))
            or (status == "Expired" and self.defect("accept_expired_id_tag"))
        ):
            status = "Accepted"
        info: dict[str, Any] = {"status": status}
        if spec is not None and spec.parent_id_tag:
            info["parent_id_tag"] = spec.parent_id_tag
        if spec is not None and spec.expiry_date:
            info["expiry_date"] = spec.expiry_date
        return info

    @on("BootNotification")
    def on_boot_notification(self, **_: Any) -> result16.BootNotification:
        status = "Rejected" if self.defect("boot_rejected") else "Accepted"
        return result16.BootNotification(
            current_time=utc_now_16(), interval=self.csms.heartbeat_interval, status=status
        )

    @on("Heartbeat")
    def on_heartbeat(self, **_: Any) -> result16.Heartbeat:
        now = "yesterday" if self.defect("heartbeat_bad_datetime") else utc_now_16()
        return result16.Heartbeat(current_time=now)

    @on("StatusNotification")
    def on_status_notification(self, **_: Any) -> result16.StatusNotification:
        if self.defect("status_notification_internal_error"):
            raise InternalError(description="Deliberate defect: StatusNotification fails.")
        return result16.StatusNotification()

    @on("Authorize")
    def on_authorize(self, id_tag: str, **_: Any) -> result16.Authorize:
        return result16.Authorize(id_tag_info=self.id_tag_info(id_tag))

    @on("StartTransaction")
    def on_start_transaction(self, id_tag: str, **_: Any) -> result16.StartTransaction:
        """Always returns a fresh transactionId, even for a refused tag.

        OCPP 1.6 §5.16 / TC_037_3_CSMS: a transaction started offline exists on the station
        whatever the CSMS thinks of the tag; the station then stops it (StopTransactionOnInvalidId).
        """
        info = self.id_tag_info(id_tag)
        if self.defect("start_transaction_call_error"):
            raise InternalError(description="Deliberate defect: StartTransaction fails.")
        if self.defect("reject_valid_start_transaction"):
            info["status"] = "Invalid"
        if self.defect("fuzz_repeats_transaction_ids"):
            transaction_id = self.csms.first_tx_id(self.id)
        elif self.defect("reuse_transaction_id"):
            transaction_id = 1
        else:
            transaction_id = self.csms.next_tx_id()
        return result16.StartTransaction(transaction_id=transaction_id, id_tag_info=info)

    @on("StopTransaction")
    def on_stop_transaction(self, id_tag: str | None = None, **_: Any) -> result16.StopTransaction:
        """Accepts unknown transactionIds: the CSMS may have restarted since the start."""
        if self.defect("stop_transaction_call_error"):
            raise InternalError(description="Deliberate defect: StopTransaction fails.")
        info = self.id_tag_info(id_tag) if id_tag is not None else None
        return result16.StopTransaction(id_tag_info=info)

    @on("MeterValues")
    def on_meter_values(self, **_: Any) -> result16.MeterValues:
        return result16.MeterValues()

    @on("DataTransfer")
    def on_data_transfer(self, **_: Any) -> result16.DataTransfer:
        """TC_064_CSMS: the reference supports no vendor extension at all."""
        return result16.DataTransfer(status="UnknownVendorId")

    @on("DiagnosticsStatusNotification")
    def on_diagnostics_status(self, **_: Any) -> result16.DiagnosticsStatusNotification:
        return result16.DiagnosticsStatusNotification()

    @on("FirmwareStatusNotification")
    def on_firmware_status(self, status: str, **_: Any) -> result16.FirmwareStatusNotification:
        failed = status in ("DownloadFailed", "InstallationFailed")
        if failed and self.defect("firmware_status_failure_call_error"):
            raise InternalError(description="Deliberate defect: a failed firmware update fails.")
        return result16.FirmwareStatusNotification()

    # --- OCPP 1.6 Security Whitepaper (edition 3), messages from the Charge Point -------------

    @on("SecurityEventNotification")
    def on_security_event(self, **_: Any) -> result16.SecurityEventNotification:
        """Security WP §4.1 (use case A04): the CSMS acknowledges every security event."""
        return result16.SecurityEventNotification()

    @on("LogStatusNotification")
    def on_log_status(self, **_: Any) -> result16.LogStatusNotification:
        """Security WP §4.3 (use case N01): progress of a GetLog upload, acknowledged."""
        return result16.LogStatusNotification()

    @on("SignedFirmwareStatusNotification")
    def on_signed_firmware_status(self, **_: Any) -> result16.SignedFirmwareStatusNotification:
        """Security WP §4.4 (use case L01): progress of a SignedUpdateFirmware, acknowledged."""
        return result16.SignedFirmwareStatusNotification()
