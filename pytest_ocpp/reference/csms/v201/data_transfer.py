"""P. DataTransfer block of the 2.0.1 session (Part 2 P02, and the CustomDataType every 2.0.1
message may carry): the answer to a station's DataTransferRequest and the defects that break
it or the reception of custom data.

The reference implements no vendor-specific extension, so every DataTransferRequest gets
UnknownVendorId (P02.FR.06), and customData is accepted wherever the schema allows it (the
2.0.1 JSON schemas leave CustomDataType open for any vendor property).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from ocpp.messages import Call
from ocpp.routing import on
from ocpp.v201 import call_result as result201

from pytest_ocpp.reference.csms.session import _ReferenceSession

__all__ = ["DEFECTS_DATA_TRANSFER", "DataTransferMixin"]

#: The defects :class:`DataTransferMixin` implements; part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_DATA_TRANSFER: dict[str, str] = {
    "v201_data_transfer_accepted": (
        "DataTransferRequest with a vendorId the CSMS has no implementation for is answered "
        "Accepted (P02.FR.06 requires UnknownVendorId)."
    ),
    "v201_reject_custom_data": (
        "A request carrying customData is answered with CALLERROR FormatViolation, as if the "
        "CustomDataType every 2.0.1 message may carry were an unknown property."
    ),
}


class DataTransferMixin(_ReferenceSession):
    """P02 and the reception of customData."""

    BLOCK_DEFECTS: ClassVar[Mapping[str, str]] = DEFECTS_DATA_TRANSFER

    @on("DataTransfer")
    def on_data_transfer(self, **_: Any) -> result201.DataTransfer:
        """P02.FR.06: no implementation for any vendorId."""
        status = "Accepted" if self.defect("v201_data_transfer_accepted") else "UnknownVendorId"
        return result201.DataTransfer(status=status)

    async def intercept_call(self, msg: Call) -> bool:
        """The customData defect."""
        payload = msg.payload if isinstance(msg.payload, dict) else {}
        if "customData" in payload and self.defect("v201_reject_custom_data"):
            await self.send_raw(
                json.dumps(
                    [
                        4,
                        msg.unique_id,
                        "FormatViolation",
                        "Deliberate defect: property customData is not allowed.",
                        {},
                    ]
                )
            )
            return True
        # Cooperative hook: the other blocks' defects apply too.
        return await super().intercept_call(msg)
