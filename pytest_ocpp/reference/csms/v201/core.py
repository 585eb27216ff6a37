"""Core of the 2.0.1 session: the handlers the reference CSMS had before it was split by
functional block (boot, heartbeat, authorize, transaction event, data transfer, ...).

This module is one block among those composed by :mod:`pytest_ocpp.reference.csms.v201.session`:
it holds a mixin (:class:`CoreMixin`) and the defects that mixin implements
(:data:`DEFECTS_CORE`, reached through ``CoreMixin.BLOCK_DEFECTS``). A new functional block
gets a module of its own shaped like this one, so blocks grow without touching each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar

from ocpp.messages import Call
from ocpp.routing import on
from ocpp.v201 import call_result as result201

from pytest_ocpp.reference.csms.session import _other_tag, _ReferenceSession

__all__ = ["DEFECTS_CORE", "CoreMixin", "utc_now_201"]

#: The defects :class:`CoreMixin` implements (``v201_`` names, like every 2.0.1 defect); part
#: of the public :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_CORE: dict[str, str] = {
    "v201_heartbeat_bad_datetime": "HeartbeatResponse currentTime is 'yesterday'.",
    # For the load proofs (tests/test_load.py):
    "v201_heartbeat_late": (
        "HeartbeatRequest is answered correctly, but 5 s late (the station's later messages "
        "wait behind it)."
    ),
    "v201_tx_started_call_error": (
        "TransactionEventRequest Started is answered with a CallError InternalError."
    ),
    "v201_request_start_wrong_id_token": (
        "RequestStartTransactionRequest is sent with a different idToken than asked for."
    ),
}


def utc_now_201() -> str:
    """A 2.0.1 date-time with milliseconds: Part 2 "dateTime" allows at most 3 fraction digits."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class CoreMixin(_ReferenceSession):
    """The 2.0.1 handlers the reference has had from the start, before it was split by
    functional block: boot, heartbeat, authorization, transaction events, data transfer and
    the ISO 15118 notifications, plus the defects of the requests it is asked to send.

    Handlers and defects move out of here into their block's module as that block grows.
    """

    BLOCK_DEFECTS: ClassVar[Mapping[str, str]] = DEFECTS_CORE

    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The outgoing-request defect of RequestStartTransaction (Reset's moved to
        :mod:`.provisioning`)."""
        token = payload.get("idToken")
        if (
            action == "RequestStartTransaction"
            and self.defect("v201_request_start_wrong_id_token")
            and isinstance(token, dict)
        ):
            payload["idToken"] = {**token, "idToken": _other_tag(str(token.get("idToken", "")))}
        # Cooperative hook: the other blocks' defects apply too.
        return super().adjust_outgoing(action, payload)

    async def intercept_call(self, msg: Call) -> bool:
        """``v201_tx_started_call_error``; then the other blocks' hooks (cooperative)."""
        if (
            msg.action == "TransactionEvent"
            and msg.payload.get("eventType") == "Started"
            and self.defect("v201_tx_started_call_error")
        ):
            description = "Deliberate defect: TransactionEvent Started fails."
            await self._send_error(msg, "InternalError", description)
            return True
        return await super().intercept_call(msg)

    @on("Heartbeat")
    async def on_heartbeat(self, **_: Any) -> result201.Heartbeat:
        if self.defect("v201_heartbeat_late"):
            await asyncio.sleep(5.0)
        now = "yesterday" if self.defect("v201_heartbeat_bad_datetime") else utc_now_201()
        return result201.Heartbeat(current_time=now)
