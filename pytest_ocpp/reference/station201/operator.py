"""Physical actions on the reference 2.0.1 station and its websocket control channel.

These are what a person or an EV does at a real charger, outside OCPP (the "Manual Action"
steps of Part 6): drive into the bay, plug in, present a card, pull the power. The vocabulary
in :data:`ACTIONS` is a public interface of the suite: the ``command`` operator and the control
channel speak it. Mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import ServerConnection

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["ACTIONS", "NOT_POSSIBLE", "OperatorMixin", "hand_off"]

ACTIONS: dict[str, str] = {
    "restore_network_profile": "restore_network_profile(slot, url, security_profile, priority): "
    "the installer puts the network connection back locally (slot's URL and security profile, "
    "SecurityProfile, NetworkConfigurationPriority) and the station reconnects; no OCPP request "
    "can lower the security profile (B09.FR.04).",
    "plug_in": "plug_in(evse_id, connector_id=1): the cable goes in at both ends (EV connected).",
    "plug_out": "plug_out(evse_id, connector_id=1): the cable comes out at both ends.",
    "present_id_token": "present_id_token(id_token, type='ISO14443', evse_id=None): a card, "
    "app or key presented at the station (at one EVSE's reader when evse_id is given).",
    "ev_side_disconnect": "ev_side_disconnect(evse_id): the cable is pulled out of the EV; it "
    "stays in the station's socket.",
    "ev_suspend": "ev_suspend(evse_id): the EV stops drawing energy (SuspendedEV).",
    "ev_resume": "ev_resume(evse_id): the EV draws energy again.",
    "park": "park(evse_id): an EV drives into the parking bay (ParkingBayOccupancy).",
    "unpark": "unpark(evse_id): the EV leaves the parking bay.",
    "power_cycle": "power_cycle(): the power drops and returns at once, no goodbye.",
    "power_off": "power_off(): the power drops; backup power ends transactions first.",
    "power_on": "power_on(): the power returns and the station boots (reason PowerUp).",
    "set_fault": "set_fault(evse_id, connector_id=1): the connector becomes Faulted.",
    "clear_fault": "clear_fault(evse_id, connector_id=1): the fault is repaired.",
    "set_unlock_failure": "set_unlock_failure(evse_id, failing=True): UnlockConnector fails "
    "on the EVSE's connectors.",
    "set_lock_failure": "set_lock_failure(evse_id, failing=True): the cable is not fully "
    "plugged in, so the plug retention lock of the EVSE's connectors fails (G05).",
    "ev_charging_needs": "ev_charging_needs(evse_id): the connected ISO 15118 EV sends its "
    "charging needs (ChargeParameterDiscovery, or a renegotiation, K15/K17).",
    "set_external_limit": "set_external_limit(evse_id, limit=None): an external system (EMS) "
    "limits the EVSE to limit A, or releases its limit with None (K12/K13).",
    "start_iso15118": "start_iso15118(evse_id, contract=None): the connected EV starts ISO "
    "15118 Plug & Charge with the contract certificate of eMAID ``contract`` (a default one "
    "when None).",
    "ev_certificate_request": "ev_certificate_request(evse_id, request='Install', contract=None): "
    "the connected EV asks over ISO 15118 to install (Install) or update (Update) its contract "
    "certificate, then authorizes with Plug & Charge with its eMAID ``contract`` if it got one.",
    "masterpass_select": "masterpass_select(target_evse): in the UI, the Master Pass user picks "
    "the transaction to stop, 0 for all (not possible: this station has no UI, C16.FR.02).",
    "store_customer_identifier": "store_customer_identifier(customer_identifier): the tester "
    "stores data about a customer under that identifier at the station (N09/N10).",
    "iso15118_session_stop": "iso15118_session_stop(evse_id): the EV ends its ISO 15118 session "
    "with SessionStopReq(Terminate).",
}
"""The operator vocabulary (a public interface of the suite): action → signature and meaning."""

NOT_POSSIBLE = "not possible on this rig"

HANDOFF: ContextVar[asyncio.Future[None] | None] = ContextVar("handoff201", default=None)
"""Resolved when an operator action's processing finishes or starts waiting for the CSMS."""


def hand_off() -> None:
    """Let the operator action that started this task return (see ``_act_present_id_token``)."""
    future = HANDOFF.get()
    if future is not None and not future.done():
        future.set_result(None)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class OperatorMixin:
    """``perform()`` and the ``_act_*`` actions; mixed into the station."""

    async def perform(self: ReferenceStation201, action: str, **params: Any) -> None:
        """Perform an operator action (see :data:`ACTIONS`); returns once the physical change
        is made, without waiting for the CSMS's answers to what it triggers. Unknown actions
        and bad parameters raise ValueError; an action this rig cannot do raises
        NotImplementedError."""
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
        bound.apply_defaults()
        evse_id = bound.arguments.get("evse_id")
        if "evse_id" in bound.arguments and (evse_id is not None or action != "present_id_token"):
            if not _whole(evse_id) or evse_id not in self.evses:
                raise ValueError(
                    f"Operator action {action!r} got evse_id={evse_id!r}; this station has "
                    f"EVSEs {', '.join(map(str, self.evses))}."
                )
            connector_id = bound.arguments.get("connector_id", 1)
            if not _whole(connector_id) or connector_id not in self.evses[evse_id].connectors:
                raise ValueError(
                    f"Operator action {action!r} got connector_id={connector_id!r}; EVSE "
                    f"{evse_id} has connectors "
                    f"{', '.join(map(str, self.evses[evse_id].connectors))}."
                )
        result = method(*bound.args, **bound.kwargs)
        if inspect.isawaitable(result):
            await result

    # ------------------------------------------------------------------ actions

    def _act_plug_in(self: ReferenceStation201, evse_id: int, connector_id: int = 1) -> None:
        evse = self.evses[evse_id]
        if evse.ev_connector is not None:
            return
        other = [c.id for c in evse.connectors.values() if c.plugged and c.id != connector_id]
        if other:
            raise ValueError(
                f"EVSE {evse_id} already has a cable in connector {other[0]} (E01.FR.14)."
            )
        self.ev_connected(evse, connector_id)

    def _act_plug_out(self: ReferenceStation201, evse_id: int, connector_id: int = 1) -> None:
        evse = self.evses[evse_id]
        if not evse.connectors[connector_id].plugged:
            return
        self.ev_disconnected(evse, unplug=True)

    def _act_ev_side_disconnect(self: ReferenceStation201, evse_id: int) -> None:
        self.ev_disconnected(self.evses[evse_id], unplug=False)

    async def _act_present_id_token(
        self: ReferenceStation201,
        id_token: str,
        type: str = "ISO14443",
        evse_id: int | None = None,
    ) -> None:
        """Process the token until it is done or waits for the CSMS (AuthorizeRequest): the
        next action then sees its effect, and no answer is awaited here, so a test that
        answers the AuthorizeRequest itself cannot deadlock."""
        if not isinstance(id_token, str) or len(id_token) > 36:
            raise ValueError(f"id_token must be a string of at most 36 characters: {id_token!r}")
        if not isinstance(type, str) or not type:
            raise ValueError(f"type must be an IdTokenEnumType name, got {type!r}")
        handoff: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        token = {"id_token": id_token, "type": type}

        async def swipe() -> None:
            HANDOFF.set(handoff)
            try:
                await self.on_token(token, evse_id)
            finally:
                hand_off()

        self.spawn(swipe())
        await handoff

    def _act_ev_suspend(self: ReferenceStation201, evse_id: int) -> None:
        self.set_ev_suspended(self.evses[evse_id], True)

    def _act_ev_resume(self: ReferenceStation201, evse_id: int) -> None:
        self.set_ev_suspended(self.evses[evse_id], False)

    def _act_park(self: ReferenceStation201, evse_id: int) -> None:
        self.set_parked(self.evses[evse_id], True)

    def _act_unpark(self: ReferenceStation201, evse_id: int) -> None:
        self.set_parked(self.evses[evse_id], False)

    def _act_power_cycle(self: ReferenceStation201) -> None:
        """Power gone and back at once: nothing said before; transactions end with
        PowerLoss after the reboot, boot reason PowerUp."""
        self.request_reboot("PowerUp")

    def _act_power_off(self: ReferenceStation201) -> None:
        if self.powered:
            self.spawn(self.power_down())

    def _act_power_on(self: ReferenceStation201) -> None:
        self.power_up()

    def _act_set_fault(self: ReferenceStation201, evse_id: int, connector_id: int = 1) -> None:
        evse = self.evses[evse_id]
        evse.connectors[connector_id].fault = True
        session = evse.session
        if session is not None:  # E06.FR.16: a fault ends the transaction
            self.abort(evse, session, "AbnormalCondition", "Other")
        self.refresh()

    def _act_clear_fault(self: ReferenceStation201, evse_id: int, connector_id: int = 1) -> None:
        self.evses[evse_id].connectors[connector_id].fault = False
        self.refresh()

    def _act_set_unlock_failure(
        self: ReferenceStation201, evse_id: int, failing: bool = True
    ) -> None:
        for connector in self.evses[evse_id].connectors.values():
            connector.unlock_failing = bool(failing)

    def _act_set_lock_failure(
        self: ReferenceStation201, evse_id: int, failing: bool = True
    ) -> None:
        for connector in self.evses[evse_id].connectors.values():
            connector.lock_failing = bool(failing)
            if not failing and connector.lock_problem:
                connector.lock_problem = False
                self.notify_lock_problem(evse_id, connector.id, False)

    def _act_ev_charging_needs(self: ReferenceStation201, evse_id: int) -> None:
        self.ev_charging_needs(self.evses[evse_id])

    def _act_set_external_limit(
        self: ReferenceStation201, evse_id: int, limit: float | None = None
    ) -> None:
        self.set_external_limit(evse_id, limit)

    def _act_masterpass_select(self: ReferenceStation201, target_evse: int) -> None:
        raise NotImplementedError(
            f"a Master Pass selection is {NOT_POSSIBLE}: the reference station has no user "
            "interface (it stops every transaction, C16.FR.02)."
        )

    def _act_store_customer_identifier(self: ReferenceStation201, customer_identifier: str) -> None:
        self.store_customer_identifier(customer_identifier)

    def _act_iso15118_session_stop(self: ReferenceStation201, evse_id: int) -> None:
        self.iso15118_session_stop(evse_id)  # iso15118.py

    async def _act_start_iso15118(
        self: ReferenceStation201, evse_id: int, contract: str | None = None
    ) -> None:
        await self.start_iso15118(evse_id, contract)  # iso15118.py

    def _act_ev_certificate_request(
        self: ReferenceStation201,
        evse_id: int,
        request: str = "Install",
        contract: str | None = None,
    ) -> None:
        self.ev_certificate_request(evse_id, request, contract)  # certificates.py (block M)

    # ------------------------------------------------------------------ control channel

    async def serve_control(self: ReferenceStation201, ws: ServerConnection) -> None:
        """One JSON object per message: {"action", params...} → {"ok": true} or
        {"ok": false, "error": ...}; never a crash."""
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
                version = message.pop("ocpp_version", None)
                if version not in (None, "2.0.1"):
                    raise ValueError(f"This station speaks OCPP 2.0.1, not {version}.")
                await self.perform(action, **message)
                reply: dict[str, Any] = {"ok": True}
            except NotImplementedError as error:
                reply = {"ok": False, "error": str(error) or NOT_POSSIBLE}
            except (ValueError, TypeError) as error:
                reply = {"ok": False, "error": str(error)}
            except Exception as error:  # a bug must not kill the channel
                reply = {"ok": False, "error": f"{type(error).__name__}: {error}"}
            await ws.send(json.dumps(reply))
