"""Operator actions of the reference charge point and its websocket control channel.

These are the things a person at a real charger does, outside OCPP: plug a cable, swipe a
card, pull the power (OCTT 1.6 "manual actions" in [brackets]). The vocabulary in
:data:`ACTIONS` is a public interface of the suite: the ``command`` operator and the control
channel speak it. Mixed into :class:`~pytest_ocpp.reference.station.ReferenceStation`.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from contextvars import ContextVar
from typing import Any

from ocpp.v16.enums import ChargePointErrorCode
from websockets.asyncio.server import ServerConnection

ACTIONS: dict[str, str] = {
    "plug_in": "plug_in(connector_id): the EV driver plugs the cable in.",
    "plug_out": "plug_out(connector_id): the EV driver unplugs the cable at both ends.",
    "ev_side_disconnect": "ev_side_disconnect(connector_id): the cable is pulled out of the EV.",
    "present_id_tag": "present_id_tag(id_tag, connector_id=None): a card swipe.",
    "power_cycle": "power_cycle(): the power drops and returns at once, no goodbye.",
    "power_off": "power_off(): the power drops; backup power stops transactions first.",
    "power_on": "power_on(): the power returns and the station boots.",
    "set_fault": "set_fault(connector_id, error_code='OtherError'): a fault (0 = whole station).",
    "clear_fault": "clear_fault(connector_id): the fault is repaired.",
    "ev_suspend": "ev_suspend(connector_id): the EV stops drawing power (SuspendedEV).",
    "ev_resume": "ev_resume(connector_id): the EV draws power again (Charging).",
    "set_unlock_failure": "set_unlock_failure(connector_id, failing=True): UnlockConnector fails.",
    "set_download_failure": "set_download_failure(failing=True): firmware downloads fail.",
    "set_install_failure": "set_install_failure(failing=True): firmware installation fails.",
    "set_upload_failure": "set_upload_failure(failing=True): diagnostics uploads fail.",
    "set_local_list_failure": "set_local_list_failure(failing=True): SendLocalList answers Failed.",
}
"""The operator vocabulary (a public interface of the suite): action → signature and meaning."""

HANDOFF: ContextVar[asyncio.Future[None] | None] = ContextVar("handoff", default=None)
"""Resolved when an operator action's processing finishes or starts waiting for the CSMS."""


def hand_off() -> None:
    """Let the operator action that started this task return (see ``_act_present_id_tag``)."""
    future = HANDOFF.get()
    if future is not None and not future.done():
        future.set_result(None)


class OperatorMixin:
    """``perform()`` and the ``_act_*`` actions; expects the ReferenceStation attributes."""

    async def perform(self, action: str, **params: Any) -> None:
        """Perform an operator action (see :data:`ACTIONS`); returns once the physical change
        is made, without waiting for the Central System's answers to what it triggers."""
        method = getattr(self, f"_act_{action}", None)
        if action not in ACTIONS or method is None:
            raise ValueError(
                f"Unknown operator action {action!r}; known actions are {', '.join(ACTIONS)}."
            )
        try:
            bound = inspect.signature(method).bind(**params)
        except TypeError as error:
            raise ValueError(
                f"Bad parameters {params!r} for operator action {action!r}: {error}; "
                f"expected {ACTIONS[action]}"
            ) from None
        connector_id = bound.arguments.get("connector_id")
        if connector_id is not None or action in ("plug_in", "plug_out", "ev_side_disconnect"):
            self._check_connector(
                action, connector_id, allow_zero=action in ("set_fault", "clear_fault")
            )
        result = method(*bound.args, **bound.kwargs)
        if inspect.isawaitable(result):
            await result

    # ------------------------------------------------------------------ operator actions

    def _check_connector(self, action: str, connector_id: Any, *, allow_zero: bool) -> None:
        low = 0 if allow_zero else 1
        if (
            not isinstance(connector_id, int)
            or isinstance(connector_id, bool)
            or not low <= connector_id <= self.connector_count
        ):
            raise ValueError(
                f"Operator action {action!r} got connector_id={connector_id!r}; this station has "
                f"connectors {low}..{self.connector_count}."
            )

    def _act_plug_in(self, connector_id: int) -> None:
        c = self.connectors[connector_id]
        if c.plugged and not c.ev_side_disconnected:
            return
        c.plugged = True
        c.ev_side_disconnected = False
        c.info = None
        if self.has("no_status_after_plug_in") and c.transaction is None:
            c.reported = self._status_of(c)
        if self.has("faulted_on_plug_in") and c.transaction is None:
            c.fault = "OtherError"
        if c.transaction is None and c.pending is not None and c.pending.visible:
            self._begin_transaction(c, c.pending.id_tag, c.pending.parent_id_tag)
            return
        self._refresh()

    def _act_plug_out(self, connector_id: int) -> None:
        c = self.connectors[connector_id]
        if not c.plugged:
            return
        if c.transaction is not None:
            self._act_ev_side_disconnect(connector_id)
            if c.transaction is not None:
                # The transaction survives the EV leaving (StopTransactionOnEVSideDisconnect
                # false): the cable stays locked in the socket until it is stopped.
                return
        c.plugged = False
        c.ev_side_disconnected = False
        c.finishing = False
        c.info = None
        self._refresh()

    def _act_ev_side_disconnect(self, connector_id: int) -> None:
        """OCPP 1.6 §9.1.23/§9.1.33: stop (EVDisconnected) or suspend, as configured."""
        c = self.connectors[connector_id]
        if not c.plugged or c.ev_side_disconnected:
            return
        c.ev_side_disconnected = True
        if c.transaction is None:
            return
        if self.config.get_bool("StopTransactionOnEVSideDisconnect", True):
            self._stop_transaction(c, "EVDisconnected")
        else:
            c.info = "EV side disconnected"
            self._refresh()

    async def _act_present_id_tag(self, id_tag: str, connector_id: int | None = None) -> None:
        """Process the swipe until it is done or waits for the Central System (Authorize):
        the next action then sees its effect, and no answer is awaited here, so a test that
        answers the Authorize.req itself cannot deadlock."""
        if not isinstance(id_tag, str) or not 0 < len(id_tag) <= 20:
            raise ValueError(f"id_tag must be a string of 1 to 20 characters, got {id_tag!r}.")
        handoff: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def swipe() -> None:
            HANDOFF.set(handoff)
            try:
                await self._on_tag(id_tag, connector_id)
            finally:
                hand_off()

        self.spawn(swipe())
        await handoff

    def _act_power_cycle(self) -> None:
        """Power gone and back at once: nothing is said to the CSMS before the reboot; open
        transactions end with reason PowerLoss after it (TC_032_2_CS)."""
        self._reboot_pending = True
        self.spawn(self._close_ws())

    def _act_power_off(self) -> None:
        if not self._powered.is_set():
            return
        self._powered.clear()
        self.spawn(self._power_down())

    async def _power_down(self) -> None:
        """Backup power: stop transactions with reason PowerLoss before going down
        (TC_032_1_CS), then drop the connection."""
        for c in self.connectors[1:]:
            if c.transaction is not None:
                self._stop_transaction(c, "PowerLoss")
        await self._drain_outbox(5.0)
        self._reboot_pending = True
        await self._close_ws()

    def _act_power_on(self) -> None:
        if self._powered.is_set():
            return
        self._reboot_pending = True
        self._powered.set()
        self._wake.set()

    def _act_set_fault(self, connector_id: int, error_code: str = "OtherError") -> None:
        valid = [e.value for e in ChargePointErrorCode if e.value != "NoError"]
        if error_code not in valid:
            raise ValueError(
                f"error_code {error_code!r} is not an OCPP 1.6 ChargePointErrorCode; "
                f"use one of {', '.join(valid)}."
            )
        c = self.connectors[connector_id]
        c.fault = error_code
        targets = self.connectors[1:] if connector_id == 0 else [c]
        for target in targets:
            self._cancel_pending(target)
        self._refresh()

    def _act_clear_fault(self, connector_id: int) -> None:
        self.connectors[connector_id].fault = None
        self._refresh()

    def _act_ev_suspend(self, connector_id: int) -> None:
        self.connectors[connector_id].ev_suspended = True
        self._refresh()

    def _act_ev_resume(self, connector_id: int) -> None:
        self.connectors[connector_id].ev_suspended = False
        self._refresh()

    def _act_set_unlock_failure(self, connector_id: int, failing: bool = True) -> None:
        self.connectors[connector_id].unlock_failing = bool(failing)

    def _act_set_download_failure(self, failing: bool = True) -> None:
        self.failing["download"] = bool(failing)

    def _act_set_install_failure(self, failing: bool = True) -> None:
        self.failing["install"] = bool(failing)

    def _act_set_upload_failure(self, failing: bool = True) -> None:
        self.failing["upload"] = bool(failing)

    def _act_set_local_list_failure(self, failing: bool = True) -> None:
        self.failing["local_list"] = bool(failing)

    # ------------------------------------------------------------------ control channel

    async def _serve_control(self, ws: ServerConnection) -> None:
        """One JSON object per message: {"station_id", "action", params...} → {"ok": ...}."""
        if ws.request is None or ws.request.path.split("?")[0] != "/_control":
            await ws.close(1008, "the control channel lives at /_control")
            return
        async for raw in ws:
            try:
                message = json.loads(raw)
                if not isinstance(message, dict) or not isinstance(message.get("action"), str):
                    raise ValueError(
                        "A control message must be a JSON object with a string 'action'."
                    )
                station_id = message.pop("station_id", None)
                if station_id is not None and station_id != self.station_id:
                    raise ValueError(
                        f"This control channel drives station {self.station_id!r}, "
                        f"not {station_id!r}."
                    )
                action = message.pop("action")
                # The command operator tells every job's OCPP version; this station speaks 1.6.
                version = message.pop("ocpp_version", None)
                if version not in (None, "1.6"):
                    raise ValueError(f"This station speaks OCPP 1.6, not {version}.")
                await self.perform(action, **message)
                reply: dict[str, Any] = {"ok": True}
            except (ValueError, TypeError) as error:
                reply = {"ok": False, "error": str(error)}
            await ws.send(json.dumps(reply))
