"""L. Firmware Management of the 2.0.1 reference CSMS (Part 2 use cases L01 Secure Firmware
Update, L03 Publish Firmware, L04 Unpublish Firmware).

The CSMS-initiated requests (UpdateFirmware, PublishFirmware, UnpublishFirmware) are sent as
the operator job carries them, like every request of the reference; what this block adds is
the station-to-CSMS side (FirmwareStatusNotification, PublishFirmwareStatusNotification,
answered with their empty responses) and the defects that break the block's rules, so that
each TC_L_xx_CSMS case can be seen to fail (``tests/test_csms201_defects_firmware_certificates.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from ocpp.exceptions import InternalError
from ocpp.messages import Call
from ocpp.routing import on
from ocpp.v201 import call_result as result201

from pytest_ocpp.reference.csms.session import _ReferenceSession
from pytest_ocpp.reference.csms.v201.core import utc_now_201

__all__ = ["DEFECTS_FIRMWARE", "FirmwareMixin"]

FIRMWARE_FAILURES = frozenset(
    {"DownloadFailed", "InstallVerificationFailed", "InstallationFailed", "InvalidSignature"}
)
"""FirmwareStatusEnumType values that report a failed update (Part 2 §3.38)."""

PUBLISH_FAILURES = frozenset({"DownloadFailed", "InvalidChecksum", "PublishFailed"})
"""PublishFirmwareStatusEnumType values that report a failed publication."""

FIRMWARE_SECURITY_EVENTS = frozenset(
    {"InvalidFirmwareSigningCertificate", "InvalidFirmwareSignature"}
)
"""The security events of L01.FR.02 / L01.FR.03 (Part 2 appendix, security events)."""

#: The defects :class:`FirmwareMixin` implements; part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_FIRMWARE: dict[str, str] = {
    "v201_update_firmware_unsigned": (
        "UpdateFirmwareRequest is sent without firmware.signingCertificate and "
        "firmware.signature (L01.FR.11 requires the Firmware Signing certificate)."
    ),
    "v201_update_firmware_wrong_signature": (
        "UpdateFirmwareRequest firmware.signature is another value than the one asked for."
    ),
    "v201_update_firmware_relative_location": (
        "UpdateFirmwareRequest firmware.location is a bare file name, not a URI."
    ),
    "v201_update_firmware_retrieve_now": (
        "UpdateFirmwareRequest firmware.retrieveDateTime is the current time, not the future "
        "time asked for (no scheduled download)."
    ),
    "v201_update_firmware_install_now": (
        "UpdateFirmwareRequest omits firmware.installDateTime (no scheduled installation)."
    ),
    "v201_firmware_status_failure_call_error": (
        "FirmwareStatusNotificationRequest reporting a failure (DownloadFailed, "
        "InvalidSignature, InstallVerificationFailed, InstallationFailed) is answered with a "
        "CallError InternalError."
    ),
    "v201_firmware_security_event_call_error": (
        "SecurityEventNotificationRequest of type InvalidFirmwareSigningCertificate or "
        "InvalidFirmwareSignature is answered with a CallError InternalError."
    ),
    "v201_boot_rejected_after_firmware_update": (
        "BootNotificationRequest with reason FirmwareUpdate is answered with status Rejected."
    ),
    "v201_publish_firmware_wrong_location": (
        "PublishFirmwareRequest location is another URI than the one asked for."
    ),
    "v201_publish_firmware_status_failure_call_error": (
        "PublishFirmwareStatusNotificationRequest reporting a failure (DownloadFailed, "
        "InvalidChecksum, PublishFailed) is answered with a CallError InternalError."
    ),
    "v201_unpublish_firmware_bad_checksum": (
        "UnpublishFirmwareRequest checksum is not an MD5 checksum as 32 hexadecimal digits."
    ),
}


class FirmwareMixin(_ReferenceSession):
    """Firmware Management (L01, L03, L04): the notifications a station sends about a firmware
    update or publication, answered as Part 2 requires (empty responses), and the defects of
    the block's requests and answers."""

    BLOCK_DEFECTS: ClassVar[Mapping[str, str]] = DEFECTS_FIRMWARE

    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The outgoing-request defects of UpdateFirmware, PublishFirmware and
        UnpublishFirmware."""
        firmware = payload.get("firmware")
        if action == "UpdateFirmware" and isinstance(firmware, dict):
            if self.defect("v201_update_firmware_unsigned"):
                firmware.pop("signingCertificate", None)
                firmware.pop("signature", None)
            if self.defect("v201_update_firmware_wrong_signature") and "signature" in firmware:
                asked = str(firmware["signature"])
                firmware["signature"] = asked[::-1] if asked[::-1] != asked else asked + "AA=="
            if self.defect("v201_update_firmware_relative_location"):
                firmware["location"] = str(firmware.get("location", "")).rsplit("/", 1)[-1]
            if self.defect("v201_update_firmware_retrieve_now"):
                firmware["retrieveDateTime"] = utc_now_201()
            if self.defect("v201_update_firmware_install_now"):
                firmware.pop("installDateTime", None)
        elif action == "PublishFirmware" and self.defect("v201_publish_firmware_wrong_location"):
            payload["location"] = str(payload.get("location", "")) + ".other"
        elif action == "UnpublishFirmware" and self.defect("v201_unpublish_firmware_bad_checksum"):
            payload["checksum"] = "not-an-md5-checksum"
        # Cooperative hook: the other blocks' defects apply too.
        return super().adjust_outgoing(action, payload)

    async def intercept_call(self, msg: Call) -> bool:
        """Defects of messages other blocks answer: the boot after a firmware update (the core
        block's BootNotification) and the firmware security events (answered by the fallback
        until the security block handles SecurityEventNotification)."""
        payload = msg.payload if isinstance(msg.payload, dict) else {}
        if (
            msg.action == "BootNotification"
            and payload.get("reason") == "FirmwareUpdate"
            and self.defect("v201_boot_rejected_after_firmware_update")
        ):
            body = {
                "currentTime": utc_now_201(),
                "interval": self.csms.heartbeat_interval,
                "status": "Rejected",
            }
            await self.send_raw(json.dumps([3, msg.unique_id, body]))
            return True
        if (
            msg.action == "SecurityEventNotification"
            and payload.get("type") in FIRMWARE_SECURITY_EVENTS
            and self.defect("v201_firmware_security_event_call_error")
        ):
            frame = [4, msg.unique_id, "InternalError", "Deliberate defect.", {}]
            await self.send_raw(json.dumps(frame))
            return True
        return await super().intercept_call(msg)

    @on("FirmwareStatusNotification")
    def on_firmware_status_notification(
        self, status: str, **_: Any
    ) -> result201.FirmwareStatusNotification:
        """L01.FR.01: every new status is reported; the CSMS answers each (empty response)."""
        if status in FIRMWARE_FAILURES and self.defect("v201_firmware_status_failure_call_error"):
            raise InternalError(description="Deliberate defect: a failed firmware update fails.")
        return result201.FirmwareStatusNotification()

    @on("PublishFirmwareStatusNotification")
    def on_publish_firmware_status_notification(
        self, status: str, **_: Any
    ) -> result201.PublishFirmwareStatusNotification:
        """L03.FR.01: every new publication status is reported; answered with the empty
        response."""
        if status in PUBLISH_FAILURES and self.defect(
            "v201_publish_firmware_status_failure_call_error"
        ):
            raise InternalError(description="Deliberate defect: a failed publication fails.")
        return result201.PublishFirmwareStatusNotification()
