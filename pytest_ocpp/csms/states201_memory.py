"""The station-side memory states of OCPP 2.0.1 Part 6 §2.19 that prepare what a station
remembers: TransactionEventsInQueueEnded (Table 441), IdTokenCached (Table 443, as the 2025-09
errata §6.2.120 rewrote it), IdTokenCached15118 (errata §6.2.120) and IdTokenLocalAuthList
(Table 444, errata §6.2.121). The certificate and charging-profile memory states live with
their concern (:mod:`.states201_certificates`, :mod:`.states201_smart_charging`).

One method per table, used by every case that names the state (a state written twice drifts).
A local list a state fills is emptied again when the next case starts (Part 6 §2.1: the
general conditions are pre- and post-conditions).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from pytest_ocpp.case import step
from pytest_ocpp.verdicts import TargetTimeout, check

if TYPE_CHECKING:
    from pytest_ocpp.csms.base import StationConnection


class MemoryStates201:
    """Mixin of :class:`~pytest_ocpp.csms.v201.FakeCsms201`: its memory states."""

    config: Any

    async def transaction_events_in_queue_ended(
        self, sut: StationConnection, operator: Any
    ) -> StationConnection:
        """TransactionEventsInQueueEnded (Table 441): the OCTT closes the connection and
        refuses reconnects; the EV parks, connects, the idToken is presented twice (start and
        stop), the EV disconnects and leaves; then the reconnection is accepted. The
        configuration and memory preparations ("OfflineTxForUnknownIdEnabled true, the idToken
        cached and in the local list, if implemented") are the case's. Returns the new
        connection; the queued TransactionEventRequests follow on it, which the case judges
        (timestamps before :attr:`reconnected_at`)."""
        self_: Any = self
        generation = self_.generation
        token = self_.id_token()
        parks = "ParkingBayOccupancy" in {
            *await self_.tx_start_points(sut),
            *await self_.tx_stop_points(sut),
        }
        evse, connector = self_.evse, self_.connector
        step(
            "TransactionEventsInQueueEnded 1. The OCTT closes the WebSocket connection AND refuses"
        )
        self_.behaviour.refuse_connections = True
        try:
            await self_.drop_connection()
            if parks:
                step("TransactionEventsInQueueEnded: manual action: drive EV into parking bay")
                await operator.perform("park", evse_id=evse)
            step("TransactionEventsInQueueEnded: manual action: connect the EV and EVSE")
            await operator.perform("plug_in", evse_id=evse, connector_id=connector)
            for which in ("present idToken", "present the same idToken to stop"):
                step(f"TransactionEventsInQueueEnded: manual action: {which}")
                await operator.perform(
                    "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=evse
                )
            step("TransactionEventsInQueueEnded: manual action: disconnect the EV and EVSE")
            await operator.perform("plug_out", evse_id=evse, connector_id=connector)
            if parks:
                step("TransactionEventsInQueueEnded: manual action: drive EV out of parking bay")
                await operator.perform("unpark", evse_id=evse)
        finally:
            self_.behaviour.refuse_connections = False
        step("TransactionEventsInQueueEnded 2. The OCTT accepts the reconnection attempt")
        sut = await self_.next_connection(after=generation, reboot=True)
        self_.reconnected_at = datetime.now(timezone.utc)
        self_.ev_connected = False
        self_.state = "TransactionEventsInQueueEnded"
        return sut

    async def id_token_cached(
        self, sut: StationConnection, operator: Any, value: str | None = None
    ) -> StationConnection:
        """IdTokenCached as the 2025-09 errata (§6.2.120) defines it, for the idToken ``value``
        (default the configured valid one), answered as the fake CSMS's behaviour says:
        ParkingBayOccupied and Authorized with that idToken; when it was Accepted, a whole
        session follows (EVConnectedPreSession, EnergyTransferStarted, StopAuthorized with
        the same idToken, EVDisconnected, ParkingBayUnoccupied). The AuthorizeRequest is
        optional (an idToken a previous case cached goes without one). A refused idToken
        starts nothing (a transaction a station started before asking is stopped), and a
        Master Pass idToken (C12.FR.09: it never starts a transaction) is only presented;
        both end with the EVSE idle again, the case's configuration untouched. Returns the
        connection."""
        self_: Any = self
        token = self_.id_token(value)
        status = self_.id_token_info(token)["status"]
        step(f"(Memory State IdTokenCached) for idToken {token['idToken']} ({status})")
        if status == "Accepted" and token["idToken"] != self_.config.tags.masterpass:
            await self_.parking_bay_occupied(sut, operator)
            await self_.authorized(sut, operator, id_token=token)
            if not self_.ev_connected:
                await self_.ev_connected_pre_session(sut, operator)
            await self_.energy_transfer_started(sut, operator)
            await self_.stop_authorized(sut, operator, id_token=token)
            await self_.ev_disconnected(sut, operator)
            await self_.parking_bay_unoccupied(sut, operator)
            await self_.back_to_idle(sut, operator)  # what TxStopPoint left running
            return sut
        mark = sut.mark()
        step(f"(Memory State IdTokenCached) manual action: present idToken {token['idToken']}")
        await operator.perform(
            "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=self_.evse
        )
        with contextlib.suppress(TargetTimeout):  # cached by an earlier case: none needed
            await sut.wait_for(
                "Authorize",
                lambda p: _same(p.get("idToken"), token),
                since=mark,
                timeout=self_.config.timeouts.message,
                describe=f"AuthorizeRequest for idToken {token['idToken']}",
            )
        await self_.back_to_idle(sut, operator)
        return sut

    async def id_token_cached15118(
        self, sut: StationConnection, operator: Any
    ) -> StationConnection:
        """IdTokenCached15118 (errata 2025-09 §6.2.120): a whole Plug & Charge session puts
        the EV's contract id (the configured eMAID) in the Authorization Cache:
        ParkingBayOccupied, EVConnectedPreSession, Authorized15118, EnergyTransferStarted,
        StopAuthorized (remote: the EV has no card to present), EVDisconnected,
        ParkingBayUnoccupied. Returns the connection."""
        self_: Any = self
        step("(Memory State IdTokenCached15118) a Plug & Charge session")
        await self_.parking_bay_occupied(sut, operator)
        await self_.ev_connected_pre_session(sut, operator)
        await self_.authorized15118(sut, operator)
        await self_.energy_transfer_started(sut, operator)
        await self_.stop_authorized(sut, operator, remote=True)
        await self_.ev_disconnected(sut, operator)
        await self_.parking_bay_unoccupied(sut, operator)
        await self_.back_to_idle(sut, operator)
        return sut

    async def id_token_local_auth_list(
        self,
        sut: StationConnection,
        value: str | None = None,
        status: str = "Accepted",
        *,
        version: int | None = None,
        group: str | None = None,
    ) -> None:
        """IdTokenLocalAuthList (Table 444): SendLocalListRequest updateType Full with the
        idToken ``value`` (default the configured valid one), answered Accepted. The table
        lists the idToken only; the entry carries idTokenInfo.status ``status`` because an
        entry without one is a removal (D01.FR.04). The version is ``version`` or
        <Configured versionNumber> (``[station] local_list_version``, default 2), so cases
        comparing with it start from a known list version; ``group``: the entry's
        groupIdToken, where a case names one. The list is emptied when the next case
        starts."""
        self_: Any = self
        if version is None:
            version = int(self_.config.station.extra.get("local_list_version", 2))
        enabled = await self_.get_variable(sut, "LocalAuthListCtrlr.Enabled")
        if enabled is not None and enabled.lower() != "true":  # errata §6.2.121
            await self_.configure(sut, {"LocalAuthListCtrlr.Enabled": "true"})
        token = self_.id_token(value)
        step(
            f"(Memory State IdTokenLocalAuthList) SendLocalListRequest Full with "
            f"{token['idToken']} {status}"
        )
        info: dict[str, Any] = {"status": status}
        if group is not None:
            info["groupIdToken"] = self_.id_token(group)
        answer = await sut.call(
            "SendLocalList",
            {
                "versionNumber": version,
                "updateType": "Full",
                "localAuthorizationList": [{"idToken": token, "idTokenInfo": info}],
            },
        )
        check(
            answer.get("status") == "Accepted",
            "IdTokenLocalAuthList step 2: SendLocalListResponse status Accepted",
            answer,
        )
        self_.after_case("a local authorization list", _empty_local_list)


async def _empty_local_list(sut: StationConnection) -> None:
    await sut.link.call(
        "SendLocalList", {"versionNumber": 1, "updateType": "Full"}, allow_error=True
    )


def _same(got: Mapping[str, Any] | None, token: Mapping[str, str]) -> bool:
    return bool(got) and got.get("idToken") == token["idToken"] and got.get("type") == token["type"]
