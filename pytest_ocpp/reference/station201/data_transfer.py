"""The reference station's block P DataTransfer and customData (Part 2 P01/P02, §1.4 of Part 2
"CustomData").

This station implements no vendor-specific extension: a DataTransferRequest is answered
UnknownVendorId, or UnknownMessageId for its own vendorId with a messageId it does not know
(P01.FR.05/06). Every OCPP 2.0.1 message may carry ``customData`` (CustomDataType: a vendorId
plus anything) at any level; a station ignores what it does not understand, so a request with
customData is handled exactly as without it (TC_P_03_CS / TC_P_04_CS).

``DataTransferHandlers`` holds the ``@on`` handler (mixed into the ChargePoint of one
connection), ``DataTransferMixin`` the station-side part (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ocpp.exceptions import FormatViolationError
from ocpp.routing import on
from ocpp.v201 import call_result
from ocpp.v201.enums import Action

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["VENDOR_ID", "DataTransferHandlers", "DataTransferMixin"]

VENDOR_ID = "org.pytest-ocpp.reference"
"""The one vendorId this station knows; it knows no messageId of it."""


def _has_custom_data(value: Any) -> bool:
    """``customData`` anywhere in a payload."""
    if isinstance(value, dict):
        return "customData" in value or any(_has_custom_data(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_custom_data(v) for v in value)
    return False


class DataTransferHandlers:
    """DataTransfer (P01), and customData on any request; mixed into the ChargePoint."""

    station: ReferenceStation201

    async def _handle_call(self, msg: Any) -> Any:
        """customData is ignored wherever it is (a defect refuses it first)."""
        st = self.station
        if st.has("p_custom_data_rejected") and _has_custom_data(msg.payload):
            raise FormatViolationError(
                description=f"customData not accepted in {msg.action}: "
                + json.dumps(msg.payload)[:200]
            )
        return await super()._handle_call(msg)  # type: ignore[misc]

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, message_id: str | None = None, **_: Any) -> Any:
        """P01.FR.05/06: no vendor extension is implemented."""
        if self.station.has("p_unknown_vendor_accepted"):
            return call_result.DataTransfer(status="Accepted")
        if vendor_id != VENDOR_ID:
            return call_result.DataTransfer(status="UnknownVendorId")
        return call_result.DataTransfer(status="UnknownMessageId")


class DataTransferMixin:
    """Nothing to keep: this station has no vendor-specific state."""
