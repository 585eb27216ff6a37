"""Conformant reference CSMS for OCPP 1.6J and 2.0.1, built on the ``ocpp`` library.

This is the default target the suite runs against, and the target our own tests use to prove
that every CSMS-side test case passes. It deliberately does not use our protocol core
(``pytest_ocpp.link`` and friends): it is built on ``ocpp.v16.ChargePoint`` /
``ocpp.v201.ChargePoint`` over ``websockets``, so a bug in our own framing cannot hide itself
by being present on both ends of the wire.

A CSMS only sends requests when asked to (:meth:`ReferenceCsms.send_request`, or a JSON
command on the ``/_control`` websocket path, see :mod:`pytest_ocpp.reference.control`).

Each entry of :data:`DEFECTS` is a named toggle that breaks exactly one behaviour; the suite's
own tests use them to prove that a test case fails when the behaviour it checks is broken.
Unprefixed defects affect OCPP 1.6 sessions only, ``v201_`` defects affect OCPP 2.0.1
sessions only; ``accept_unsupported_subprotocol`` and ``accept_wrong_password`` act on the
websocket handshake and therefore on both versions.

Run it standalone::

    python -m pytest_ocpp.reference.csms --port 9000 --tag VALID=Accepted --tag BAD=Blocked
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import http
import itertools
import json
import logging
import signal
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from ocpp.exceptions import (
    FormationViolationError,
    FormatViolationError,
    InternalError,
    NotSupportedError,
    OccurrenceConstraintViolationError,
    OCPPError,
    ValidationError,
)
from ocpp.exceptions import (
    NotImplementedError as OcppNotImplementedError,
)
from ocpp.messages import Call, MessageType, unpack, validate_payload
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, InvalidHeader, NegotiationError
from websockets.headers import build_www_authenticate_basic, parse_authorization_basic
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

__all__ = [
    "DEFAULT_ID_TAGS",
    "DEFECTS",
    "IdTagSpec",
    "ReferenceCsms",
    "main",
]

LOGGER = logging.getLogger("pytest_ocpp.reference.csms")

CONTROL_PATH = "/_control"

#: OCPP version -> websocket subprotocol (OCPP-J 1.6 §3.1.2, OCPP 2.0.1 Part 4 §3.1.2).
SUBPROTOCOLS: dict[str, str] = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}

DEFECTS: dict[str, str] = {
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
    # --- OCPP 2.0.1 -----------------------------------------------------------------------------
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
    # --- both versions: the websocket handshake --------------------------------------------------
    "accept_unsupported_subprotocol": (
        "A client offering no supported OCPP subprotocol is accepted instead of refused."
    ),
    "accept_wrong_password": "HTTP Basic authentication accepts any password.",
}

_ID_TAG_STATUSES = ("Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx", "Unknown")


@dataclasses.dataclass(frozen=True)
class IdTagSpec:
    """What the CSMS knows about one id tag (1.6 ``IdTagInfo``, 2.0.1 ``IdTokenInfoType``).

    ``parent_id_tag`` becomes ``parentIdTag`` in 1.6 and ``groupIdToken`` in 2.0.1;
    ``expiry_date`` becomes ``expiryDate`` in 1.6 and ``cacheExpiryDateTime`` in 2.0.1.
    """

    status: str = "Accepted"
    parent_id_tag: str | None = None
    expiry_date: str | None = None

    def __post_init__(self) -> None:
        if self.status not in _ID_TAG_STATUSES:
            raise ValueError(
                f"Id tag status {self.status!r} is not one of {', '.join(_ID_TAG_STATUSES)}."
            )

    @classmethod
    def from_mapping(cls, data: str | Mapping[str, Any] | IdTagSpec) -> IdTagSpec:
        """Build a spec from a status string or a mapping.

        Accepts ``"Blocked"``, ``{"status": "Accepted", "parent_id_tag": "GROUP"}`` or the
        camelCase keys ``parentIdTag`` / ``expiryDate`` as they appear in a config file.
        """
        if isinstance(data, IdTagSpec):
            return data
        if isinstance(data, str):
            return cls(status=data)
        return cls(
            status=str(data.get("status", "Accepted")),
            parent_id_tag=data.get("parent_id_tag", data.get("parentIdTag")),
            expiry_date=data.get("expiry_date", data.get("expiryDate")),
        )


#: Tags known to the reference when none are given.
DEFAULT_ID_TAGS: dict[str, IdTagSpec] = {
    # The same values as the suite's default [tags] (README, "The config file"), so the
    # README's standalone example works as written; anything else (UNKNOWN_TAG) is Invalid.
    "VALID_TAG_1": IdTagSpec("Accepted"),
    "VALID_TAG_2": IdTagSpec("Accepted"),
    "GROUP_TAG": IdTagSpec("Accepted"),
    "CHILD_TAG": IdTagSpec("Accepted", parent_id_tag="GROUP_TAG"),
    "BLOCKED_TAG": IdTagSpec("Blocked"),
    "EXPIRED_TAG": IdTagSpec("Expired", expiry_date="2020-01-01T00:00:00.000Z"),
}


def utc_now_16() -> str:
    """A 1.6 date-time: any ISO 8601 UTC form is allowed, we send whole seconds."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now_201() -> str:
    """A 2.0.1 date-time with milliseconds: Part 2 "dateTime" allows at most 3 fraction digits."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _utc_now_six_digits() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _other_tag(tag: str) -> str:
    return "WRONG_TAG" if tag.casefold() != "wrong_tag" else "OTHER_TAG"


def _altered_value(value: str) -> str:
    try:
        return str(int(value) + 1)
    except ValueError:
        return value + "X"


class _ReferenceSession:
    """Behaviour shared by the 1.6 and 2.0.1 sessions; mixed in before the library class.

    Overrides the library where it is too forgiving to be a *conformant* peer:
    error codes are remapped to the version's names, and requests the CSMS is asked to send
    do not block the caller until the station replies.
    """

    _ocpp_version: ClassVar[str]
    _call: ClassVar[Any]
    _connection: ServerConnection
    _response_queue: asyncio.Queue[Any]
    _call_lock: asyncio.Lock
    _response_timeout: float
    id: str

    def __init__(self, station_id: str, connection: ServerConnection, csms: ReferenceCsms) -> None:
        super().__init__(  # type: ignore[call-arg]
            station_id, connection, response_timeout=csms.response_timeout, logger=LOGGER
        )
        self.csms = csms
        self._pending: set[asyncio.Task[None]] = set()

    # --- helpers ---------------------------------------------------------------------------

    def defect(self, name: str) -> bool:
        return name in self.csms.defects

    def tag_spec(self, id_tag: str) -> IdTagSpec | None:
        return self.csms.lookup_id_tag(id_tag)

    async def send_raw(self, frame: str) -> None:
        """Write a frame as is: defects need frames the library refuses to build."""
        LOGGER.info("%s: send raw %s", self.id, frame)
        await self._connection.send(frame)

    def _conformant_error(self, error: OCPPError) -> OCPPError:
        """Fix the library's error codes (see DESIGN.md "Known traps").

        OCPP-J 1.6 §4.2.3 and 2.0.1 Part 4 §4.3: NotImplemented means the action is not known,
        NotSupported means it is known but not supported; ``ocpp`` 2.1.0 swaps them. 1.6
        spells the syntax error ``FormationViolation``; the library sends 2.0.1's
        ``FormatViolation``.
        """
        if isinstance(error, OcppNotImplementedError):
            return NotSupportedError(description=error.description, details=error.details)
        if isinstance(error, NotSupportedError):
            return OcppNotImplementedError(description=error.description, details=error.details)
        if self._ocpp_version == "1.6" and isinstance(error, FormatViolationError):
            return FormationViolationError(description=error.description, details=error.details)
        return error

    # --- receiving ------------------------------------------------------------------------------

    async def route_message(self, raw_msg: str | bytes) -> None:
        try:
            msg = unpack(raw_msg)
        except OCPPError as error:
            await self._reject_unparsable(raw_msg, error)
            return
        if msg.message_type_id == MessageType.Call:
            if await self.intercept_call(msg):
                return
            try:
                await self._handle_call(msg)  # type: ignore[attr-defined]
            except OCPPError as error:
                LOGGER.info("%s: %s answered with %s", self.id, msg.action, error.code)
                error = self._conformant_error(error)
                # The library puts the offending message object into details: keep only text.
                cause = error.details.get("cause") if isinstance(error.details, dict) else None
                error.details = {"cause": str(cause)} if cause is not None else {}
                await self._send(msg.create_call_error(error).to_json())  # type: ignore[attr-defined]
        elif msg.message_type_id in (MessageType.CallResult, MessageType.CallError):
            self._response_queue.put_nowait(msg)

    async def _reject_unparsable(self, raw_msg: str | bytes, error: OCPPError) -> None:
        """Answer a malformed Call where the version says how (the library stays silent).

        2.0.1 Part 4 §4.3: a message that is not a valid RPC frame gets an RpcFrameworkError,
        with message id "-1" when the id cannot be read. 1.6 only defines errors for a Call
        whose id could be read, so only those are answered.
        """
        LOGGER.warning("%s: unparsable frame %r: %s", self.id, raw_msg, error)
        unique_id: str | None = None
        is_call = False
        with contextlib.suppress(ValueError, TypeError):
            frame = json.loads(raw_msg)
            if isinstance(frame, list) and len(frame) > 1 and isinstance(frame[1], str):
                unique_id = frame[1]
                is_call = frame[0] == MessageType.Call
        if self._ocpp_version == "1.6":
            if unique_id is not None and is_call:
                await self.send_raw(
                    json.dumps([4, unique_id, "FormationViolation", "Malformed Call.", {}])
                )
            return
        await self.send_raw(
            json.dumps([4, unique_id or "-1", "RpcFrameworkError", "Malformed message.", {}])
        )

    async def intercept_call(self, msg: Call) -> bool:
        """Answer a Call with a raw frame when a defect asks for it; True when handled."""
        return False

    # --- sending --------------------------------------------------------------------------

    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Apply the outgoing-request defects; the conformant reference sends what it is asked.
        None: a defect swallows the request (it is never sent)."""
        return payload

    async def send_call(self, action: str, payload: Mapping[str, Any]) -> None:
        """Send a Call and return once it is written; the reply is awaited in a task.

        OCPP-J 1.6 §4.1.1: at most one outstanding Call per connection, so this waits for the
        library's call lock (held until the previous Call is answered or times out).
        """
        if not hasattr(self._call, action):
            raise ValueError(
                f"{action!r} is not an OCPP {self._ocpp_version} action; "
                "use the CamelCase action name, e.g. 'RemoteStartTransaction'."
            )
        body = self.adjust_outgoing(action, json.loads(json.dumps(dict(payload))))
        if body is None:
            LOGGER.info("%s: deliberate defect: %s is not sent", self.id, action)
            return
        call = Call(unique_id=str(uuid.uuid4()), action=action, payload=body)
        try:
            await validate_payload(call, self._ocpp_version)
        except (OCPPError, ValidationError) as error:
            raise ValueError(
                f"The {action} payload {body} is not valid OCPP {self._ocpp_version}: {error}"
            ) from error
        await self._call_lock.acquire()
        try:
            await self._send(call.to_json())  # type: ignore[attr-defined]
        except BaseException:
            self._call_lock.release()
            raise
        task = asyncio.get_running_loop().create_task(self._await_reply(call))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _await_reply(self, call: Call) -> None:
        try:
            reply = await self._get_specific_response(  # type: ignore[attr-defined]
                call.unique_id, self._response_timeout
            )
        except asyncio.TimeoutError:
            LOGGER.warning("%s: no reply to %s within %ss", self.id, call.action, self._timeout)
            return
        finally:
            self._call_lock.release()
        LOGGER.info("%s: reply to %s: %s", self.id, call.action, reply)
        kind = "CallError" if reply.message_type_id == MessageType.CallError else "CallResult"
        body = reply.payload if kind == "CallResult" else reply.error_code
        self.csms.responses.append((self.id, call.action, kind, body))

    @property
    def _timeout(self) -> float:
        return self._response_timeout

    def cancel_pending(self) -> None:
        for task in list(self._pending):
            task.cancel()


class _Session16(_ReferenceSession, ChargePoint16):
    """An OCPP 1.6J station as the CSMS sees it: handlers for every Core request."""

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
        if action == "DataTransfer" and self.defect("garbage_frame_on_data_transfer"):
            await self.send_raw("this is not JSON")
            return True
        if action == "DataTransfer" and self.defect("data_transfer_bad_error_code"):
            frame = [4, uid, "FormatViolation", "Not a 1.6 error code.", {}]
            await self.send_raw(json.dumps(frame))
            return True
        return False

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
        return payload

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
        if self.defect("reject_valid_start_transaction"):
            info["status"] = "Invalid"
        transaction_id = 1 if self.defect("reuse_transaction_id") else self.csms.next_tx_id()
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


class _Session201(_ReferenceSession, ChargePoint201):
    """An OCPP 2.0.1 station as the CSMS sees it."""

    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        token = payload.get("idToken")
        if (
            action == "RequestStartTransaction"
            and self.defect("v201_request_start_wrong_id_token")
            and isinstance(token, dict)
        ):
            payload["idToken"] = {**token, "idToken": _other_tag(str(token.get("idToken", "")))}
        elif action == "Reset" and self.defect("v201_reset_wrong_type"):
            payload["type"] = "OnIdle" if payload.get("type") == "Immediate" else "Immediate"
        return payload

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


def _empty_handler(action: str) -> Any:
    """An ``@on`` handler that answers ``action`` with its empty response."""

    def handler(self: _Session201, **_: Any) -> Any:
        return getattr(result201, action)()

    # ocpp.routing finds handlers through a global list of *function names*: the name must be
    # the attribute name, unique per action.
    handler.__name__ = f"on_{action}"
    return on(action)(handler)


for _action in (
    "StatusNotification",
    "MeterValues",
    "NotifyReport",
    "NotifyEvent",
    "NotifyMonitoringReport",
    "SecurityEventNotification",
    "FirmwareStatusNotification",
    "LogStatusNotification",
    "NotifyChargingLimit",
    "ClearedChargingLimit",
    "NotifyCustomerInformation",
    "NotifyDisplayMessages",
    "PublishFirmwareStatusNotification",
    "ReportChargingProfiles",
    "ReservationStatusUpdate",
):
    setattr(_Session201, f"on_{_action}", _empty_handler(_action))

_SESSION_CLASSES: dict[str, type[_ReferenceSession]] = {"1.6": _Session16, "2.0.1": _Session201}


class ReferenceCsms:
    """A conformant CSMS serving ``ws://HOST:PORT/<path>/<station_id>``.

    ``id_tags`` maps id tags (case-insensitive) to :class:`IdTagSpec` or a status string.
    ``basic_auth`` maps station id -> password (security profile 1, OCPP 1.6 Security
    Whitepaper §2.1 / 2.0.1 A00.FR.2xx): the username must be the station id.
    ``defects`` names entries of :data:`DEFECTS`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = "/ocpp",
        versions: Sequence[str] = ("1.6", "2.0.1"),
        id_tags: Mapping[str, IdTagSpec | str | Mapping[str, Any]] | None = None,
        heartbeat_interval: int = 300,
        basic_auth: Mapping[str, str] | None = None,
        defects: Collection[str] = (),
        response_timeout: float = 30.0,
    ) -> None:
        unknown_versions = [v for v in versions if v not in SUBPROTOCOLS]
        if unknown_versions or not versions:
            raise ValueError(
                f"Unsupported OCPP version(s) {unknown_versions or list(versions)}; "
                f"the reference CSMS speaks {', '.join(SUBPROTOCOLS)}."
            )
        unknown_defects = sorted(set(defects) - set(DEFECTS))
        if unknown_defects:
            raise ValueError(
                f"Unknown defect(s) {', '.join(unknown_defects)}; "
                f"valid defects are: {', '.join(DEFECTS)}."
            )
        self.host = host
        self.port = port
        self.path = "/" + path.strip("/") if path.strip("/") else ""
        self.versions: tuple[str, ...] = tuple(versions)
        tags = DEFAULT_ID_TAGS if id_tags is None else id_tags
        self.id_tags: dict[str, IdTagSpec] = {
            tag.casefold(): IdTagSpec.from_mapping(spec) for tag, spec in tags.items()
        }
        self.heartbeat_interval = heartbeat_interval
        self.basic_auth = dict(basic_auth) if basic_auth is not None else None
        self.defects: frozenset[str] = frozenset(defects)
        self.response_timeout = response_timeout
        #: (station_id, action, "CallResult" | "CallError", payload or error code), in order.
        self.responses: list[tuple[str, str, str, Any]] = []
        self._tx_ids = itertools.count(1)
        self._sessions: dict[str, _ReferenceSession] = {}
        self._server: Server | None = None
        self._background: set[asyncio.Task[Any]] = set()

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind and start serving; afterwards :attr:`url` carries the real port."""
        self._server = await serve(
            self._handle_connection,
            self.host,
            self.port,
            subprotocols=[Subprotocol(SUBPROTOCOLS[v]) for v in self.versions],
            select_subprotocol=self._select_subprotocol,
            process_request=self._process_request,
            logger=LOGGER,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        LOGGER.info("reference CSMS listening on %s", self.url)

    async def stop(self) -> None:
        """Close every station connection and the listening socket."""
        for session in list(self._sessions.values()):
            session.cancel_pending()
        for task in list(self._background):
            task.cancel()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> ReferenceCsms:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Base URL stations connect to; append ``/<station_id>``."""
        return f"ws://{self._url_host}:{self.port}{self.path}"

    @property
    def control_url(self) -> str:
        return f"ws://{self._url_host}:{self.port}{CONTROL_PATH}"

    @property
    def _url_host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def connected_stations(self) -> dict[str, str]:
        """station id -> OCPP version of its current connection."""
        return {sid: s._ocpp_version for sid, s in self._sessions.items()}

    # --- state --------------------------------------------------------------------------------

    def next_tx_id(self) -> int:
        """Unique and increasing over all stations and connections of this CSMS."""
        return next(self._tx_ids)

    def lookup_id_tag(self, id_tag: str) -> IdTagSpec | None:
        """IdToken comparison is case-insensitive (OCPP 1.6 §7.28 IdToken)."""
        return self.id_tags.get(id_tag.casefold())

    # --- requests to stations -----------------------------------------------------------------

    async def send_request(
        self,
        station_id: str,
        action: str,
        payload: Mapping[str, Any],
        ocpp_version: str | None = None,
    ) -> None:
        """Send ``action`` with the camelCase ``payload`` to a connected station.

        Returns as soon as the Call is written; the reply is logged and appended to
        :attr:`responses`. Raises LookupError when the station is not connected, ValueError
        when the action or payload is not valid for the station's OCPP version.
        """
        session = self._sessions.get(station_id)
        if session is None:
            connected = ", ".join(sorted(self._sessions)) or "none"
            raise LookupError(
                f"Station {station_id!r} is not connected to the reference CSMS "
                f"(connected: {connected}); connect it before asking the CSMS to send {action}."
            )
        if ocpp_version is not None and ocpp_version != session._ocpp_version:
            raise ValueError(
                f"Station {station_id!r} is connected with OCPP {session._ocpp_version}, "
                f"not {ocpp_version}."
            )
        await session.send_call(action, payload)

    # --- websocket plumbing -------------------------------------------------------------------

    def _station_id(self, request_path: str) -> str | None:
        path = urlsplit(request_path).path
        prefix = self.path + "/"
        if not path.startswith(prefix):
            return None
        station_id = unquote(path[len(prefix) :])
        return station_id if station_id and "/" not in station_id else None

    def _select_subprotocol(
        self, connection: ServerConnection, subprotocols: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        """Pick the first of the *client's* subprotocols we support (OCPP-J 1.6 §3.1.2:
        the client lists them in order of preference); refuse with HTTP 400 otherwise
        (TC_B_58_CSMS)."""
        offered = [SUBPROTOCOLS[v] for v in self.versions]
        for subprotocol in subprotocols:
            if subprotocol in offered:
                return subprotocol
        request = connection.request
        if request is not None and urlsplit(request.path).path == CONTROL_PATH:
            return None
        if "accept_unsupported_subprotocol" in self.defects:
            return None
        raise NegotiationError(
            f"no supported subprotocol offered; expected one of {', '.join(offered)}"
        )

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = urlsplit(request.path).path
        if path == CONTROL_PATH:
            return None
        station_id = self._station_id(request.path)
        if station_id is None:
            return connection.respond(
                http.HTTPStatus.NOT_FOUND,
                f"Connect to {self.path}/<station_id>, not {path}.\n",
            )
        if self.basic_auth is not None:
            return self._check_basic_auth(connection, request.headers, station_id)
        return None

    def _check_basic_auth(
        self, connection: ServerConnection, headers: Headers, station_id: str
    ) -> Response | None:
        """Security profile 1: HTTP Basic, username = station id (OCPP 1.6 Security WP §2.1)."""
        try:
            username, password = parse_authorization_basic(headers["Authorization"])
        except (KeyError, InvalidHeader):
            username = password = None
        expected = self.basic_auth.get(station_id) if self.basic_auth is not None else None
        ok = (
            username == station_id
            and expected is not None
            and (password == expected or "accept_wrong_password" in self.defects)
        )
        if ok:
            return None
        response = connection.respond(http.HTTPStatus.UNAUTHORIZED, "Invalid credentials.\n")
        response.headers["WWW-Authenticate"] = build_www_authenticate_basic("OCPP")
        return response

    async def _handle_connection(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        if urlsplit(connection.request.path).path == CONTROL_PATH:
            await self._serve_control(connection)
            return
        station_id = self._station_id(connection.request.path)
        assert station_id is not None
        version = next(
            (v for v, sp in SUBPROTOCOLS.items() if sp == connection.subprotocol),
            self.versions[0],
        )
        session = _SESSION_CLASSES[version](station_id, connection, self)
        previous = self._sessions.get(station_id)
        self._sessions[station_id] = session
        if previous is not None:
            # A new connection for the same station replaces the old one.
            LOGGER.info("%s: new connection replaces the previous one", station_id)
            previous.cancel_pending()
            self._spawn(previous._connection.close(1000, "Replaced by a newer connection."))
        LOGGER.info("%s: connected with OCPP %s", station_id, version)
        try:
            await session.start()  # type: ignore[attr-defined]
        except ConnectionClosed:
            pass
        finally:
            session.cancel_pending()
            if self._sessions.get(station_id) is session:
                del self._sessions[station_id]
            LOGGER.info("%s: disconnected", station_id)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _serve_control(self, connection: ServerConnection) -> None:
        """``/_control``: one JSON command per text message, one JSON verdict back.

        ``{"station_id", "action", "payload", "ocpp_version"?}`` -> ``{"ok": true}`` once sent,
        or ``{"ok": false, "error": "..."}``.
        """
        async for message in connection:
            try:
                command = json.loads(message)
                if not isinstance(command, dict):
                    raise ValueError("the command must be a JSON object")
                missing = [k for k in ("station_id", "action") if k not in command]
                if missing:
                    raise ValueError(f"the command lacks {', '.join(missing)}")
                await self.send_request(
                    str(command["station_id"]),
                    str(command["action"]),
                    command.get("payload") or {},
                    ocpp_version=command.get("ocpp_version"),
                )
                reply: dict[str, Any] = {"ok": True}
            except (LookupError, ValueError, TypeError) as error:
                reply = {"ok": False, "error": str(error)}
            except Exception as error:  # the control channel must answer whatever happens
                LOGGER.exception("control command failed")
                reply = {"ok": False, "error": f"{type(error).__name__}: {error}"}
            await connection.send(json.dumps(reply))


# --- command line ---------------------------------------------------------------------------


def _parse_tags(items: Iterable[str]) -> dict[str, IdTagSpec]:
    tags: dict[str, IdTagSpec] = {}
    for item in items:
        tag, sep, status = item.partition("=")
        if not sep or not tag:
            raise argparse.ArgumentTypeError(f"--tag expects TAG=STATUS, got {item!r}")
        tags[tag] = IdTagSpec(status=status)
    return tags


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pytest_ocpp.reference.csms``: serve until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="python -m pytest_ocpp.reference.csms",
        description="Conformant reference CSMS (OCPP 1.6J / 2.0.1) built on the ocpp library.",
        epilog="Defects: " + "; ".join(f"{k}: {v}" for k, v in DEFECTS.items()),
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--path", default="/ocpp")
    parser.add_argument(
        "--version",
        dest="versions",
        action="append",
        choices=list(SUBPROTOCOLS),
        help="OCPP version to offer (repeatable; default: all)",
    )
    parser.add_argument(
        "--tag", action="append", default=[], metavar="TAG=STATUS", help="known id tag"
    )
    parser.add_argument("--heartbeat-interval", type=int, default=300)
    parser.add_argument("--basic-auth", action="append", default=[], metavar="STATION=PASSWORD")
    parser.add_argument("--defect", action="append", default=[], choices=list(DEFECTS))
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    try:
        tags = _parse_tags(args.tag) if args.tag else None
    except (argparse.ArgumentTypeError, ValueError) as error:
        parser.error(str(error))
    basic_auth = dict(item.partition("=")[::2] for item in args.basic_auth) or None
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    csms = ReferenceCsms(
        host=args.host,
        port=args.port,
        path=args.path,
        versions=args.versions or tuple(SUBPROTOCOLS),
        id_tags=tags,
        heartbeat_interval=args.heartbeat_interval,
        basic_auth=basic_auth,
        defects=args.defect,
    )

    async def serve_forever() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        async with csms:
            print(
                f"reference CSMS: {csms.url}/<station_id>  control: {csms.control_url}", flush=True
            )
            await stop.wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
