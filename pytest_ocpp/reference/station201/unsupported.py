"""CSMS→station requests of functional blocks this station does not implement yet.

A charging station answers every OCPP 2.0.1 request it receives; for a feature it lacks, the
schema offers a status that says so (Rejected, NotSupported, Unknown, NotFound, ...), which is
conformant, where a CALLERROR NotImplemented would not be. Later blocks replace these handlers
(H reservations, I tariffs, K smart charging, L firmware, M certificates, N diagnostics and
monitoring, O display messages, P data transfer, B09/B10 network profiles).
"""

from __future__ import annotations

from typing import Any

from ocpp.routing import on
from ocpp.v201 import call_result
from ocpp.v201.enums import Action

__all__ = ["UnsupportedHandlers"]


class UnsupportedHandlers:
    """Answers for the requests of blocks not implemented; mixed into the ChargePoint."""

    @on(Action.publish_firmware)
    def on_publish_firmware(self, **_: Any) -> Any:
        """L03: this station is no local controller."""
        return call_result.PublishFirmware(status="Rejected")

    @on(Action.unpublish_firmware)
    def on_unpublish_firmware(self, **_: Any) -> Any:
        return call_result.UnpublishFirmware(status="NoFirmware")

    @on(Action.set_network_profile)
    def on_set_network_profile(
        self, configuration_slot: int, connection_data: dict[str, Any], **_: Any
    ) -> Any:
        """B09: see :meth:`ReferenceStation201.set_network_profile` (slots 1 and 2)."""
        data = {
            "ocppCsmsUrl": connection_data.get("ocpp_csms_url"),
            "ocppVersion": connection_data.get("ocpp_version"),
            "ocppTransport": connection_data.get("ocpp_transport"),
            "securityProfile": connection_data.get("security_profile", 0),
        }
        status = self.station.set_network_profile(int(configuration_slot), data)
        return call_result.SetNetworkProfile(status=status)
