"""The station-side reusable states of OCPP 2.0.1 Part 6 §2.18 (Tables 422-435), one method
per table, each performing the table's own tool validations: a station that cannot reach a
state fails the case at that step, as under OCTT.

The states drive the station under test through the fake CSMS (requests it sends) and the
station operator (physical actions: ``plug_in``, ``present_id_token`` ..., the 2.0.1
vocabulary of :data:`pytest_ocpp.operators.STATION_ACTIONS_201`), and branch on the
station's TxStartPoint/TxStopPoint as the tables do. A station reports a connector's state
with a StatusNotificationRequest; the NotifyEventRequest the tables also list is judged when
sent, never required (G01.FR.01 asks for the first; the second follows from a monitor).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from pytest_ocpp.case import step
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.verdicts import TargetTimeout, check

if TYPE_CHECKING:
    from pytest_ocpp.csms.base import StationConnection


class StationStates201:
    """Mixin of :class:`~pytest_ocpp.csms.v201.FakeCsms201`: its reusable states."""

    # Provided by FakeCsms201 (declared for the type checker).
    state: str | None
    transaction_id: str | None
    ev_connected: bool
    open_transactions: dict[str, int]
    stop_mark: int = 0
    auth_mark: int = 0
    """Inbox position where the last authorization began: a station may start charging
    right after it (EV already connected), before EnergyTransferStarted looks."""
    session_authorized: bool = False
    """The running session is authorized (Table 430: "If State is NOT Authorized"), whatever
    state came after the authorization (e.g. EVConnectedPreSession)."""
    config: Any
    generation: int

    async def booted(
        self, sut: StationConnection, operator: Any = None, *, reset: bool = True
    ) -> StationConnection:
        """Booted (Table 423): the station is reset (ResetRequest Immediate, answered
        Accepted) or, with ``reset`` false, power cycled by the operator; it reconnects
        (within --ocpp-reboot-timeout), sends BootNotificationRequest, answered Accepted,
        reports every connector Available (evseId and connectorId not 0) and sends a
        SecurityEventNotificationRequest StartupOfTheDevice or ResetOrReboot."""
        generation = self.generation
        if reset:
            step("Booted 1. The OCTT sends a ResetRequest with type Immediate")
            answer = await sut.call("Reset", {"type": "Immediate"})
            check(
                answer.get("status") == "Accepted",
                "Booted step 2: ResetResponse status Accepted",
                answer,
            )
        else:
            step("Booted: manual action: power cycle the Charging Station")
            await operator.perform("power_cycle")
        sut = await self.next_connection(after=generation, reboot=True)
        step("Booted 3. The Charging Station sends a BootNotificationRequest")
        await sut.wait_for("BootNotification", describe="BootNotificationRequest after the reboot")
        step("Booted 5. The Charging Station reports every connector Available")
        for evse in range(1, self.config.station.connectors + 1):
            item = await sut.wait_for(
                "StatusNotification",
                lambda p, e=evse: p["evseId"] == e,
                describe=f"StatusNotificationRequest of EVSE {evse} after the boot",
            )
            check(
                item.payload["connectorStatus"] == "Available" and item.payload["connectorId"] != 0,
                f"Booted step 5: StatusNotificationRequest connectorStatus Available, evseId "
                f"{evse}, connectorId not 0",
                item.payload,
            )
        step("Booted 7. The Charging Station sends a SecurityEventNotificationRequest")
        event = await sut.wait_for(
            "SecurityEventNotification", describe="SecurityEventNotificationRequest after the boot"
        )
        check(
            event.payload.get("type") in ("StartupOfTheDevice", "ResetOrReboot"),
            "Booted step 7: SecurityEventNotificationRequest type StartupOfTheDevice or ResetOrReboot",
            event.payload,
        )
        self.state = "Booted"
        self.open_transactions.clear()
        return sut

    async def ev_connected_pre_session(
        self, sut: StationConnection, operator: Any
    ) -> IncomingCall | None:
        """EVConnectedPreSession (Table 427): the operator connects the EV; the connector is
        reported Occupied for the configured EVSE/connector; a TransactionEventRequest follows
        when TxStartPoint contains EVConnected or a transaction already runs (Started when
        it starts one, else Updated; triggerReason CablePluggedIn, ChargingStateChanged or
        RemoteStart; chargingState EVConnected, or SuspendedEVSE/Charging once authorized;
        evse the configured one). Returns that TransactionEventRequest, or None."""
        points = await self.tx_start_points(sut)
        mark = sut.mark()
        step("EVConnectedPreSession: manual action: connect the EV and EVSE")
        await operator.perform("plug_in", evse_id=self.evse, connector_id=self.connector)
        step("EVConnectedPreSession 1. The connector is reported Occupied")
        await self.connector_reported(sut, "Occupied", since=mark)
        event: IncomingCall | None = None
        authorized = self.state == "Authorized"
        if (
            "EVConnected" in points
            or self.transaction_id is not None
            or (authorized and "Authorized" in points)
        ):
            step("EVConnectedPreSession 3. The Charging Station sends a TransactionEventRequest")
            event = await self.transaction_event(sut, since=mark, label="after the EV connected")
            payload = event.payload
            check(
                payload["triggerReason"]
                in ("CablePluggedIn", "ChargingStateChanged", "RemoteStart"),
                "EVConnectedPreSession step 3: triggerReason CablePluggedIn, ChargingStateChanged "
                "or RemoteStart",
                payload,
            )
            states = (
                ("EVConnected", "SuspendedEVSE", "Charging") if authorized else ("EVConnected",)
            )
            check(
                payload["transactionInfo"].get("chargingState") in states,
                f"EVConnectedPreSession step 3: transactionInfo.chargingState {' or '.join(states)}",
                payload,
            )
            evse = payload.get("evse") or {}
            if self.transaction_id is None or payload["eventType"] == "Started":
                check(
                    evse.get("id") == self.evse
                    and evse.get("connectorId", self.connector) == self.connector,
                    f"EVConnectedPreSession step 3: evse.id {self.evse}, evse.connectorId "
                    f"{self.connector} (the first event after connecting names them)",
                    payload,
                )
            self.transaction_id = str(payload["transactionInfo"]["transactionId"])
        self.ev_connected = True
        self.state = "EVConnectedPreSession"
        return event

    async def authorized(
        self, sut: StationConnection, operator: Any, *, remote: bool = False
    ) -> IncomingCall | None:
        """Authorized (Table 428), A (local, default) or B (``remote``): the operator
        presents the configured valid idToken, the station sends AuthorizeRequest with it
        (answered Accepted; optional when the token is cached), then, when TxStartPoint
        contains Authorized or a transaction already runs, a TransactionEventRequest
        triggerReason Authorized with that idToken. B: RequestStartTransactionRequest with the
        idToken and the configured EVSE, answered Accepted, then the TransactionEventRequest
        with triggerReason RemoteStart and the remoteStartId. Returns that event, or None."""
        points = await self.tx_start_points(sut)
        token = self.id_token()
        mark = sut.mark()
        self.auth_mark = mark
        event: IncomingCall | None = None
        if remote:
            remote_start_id = 1
            step("Authorized B 1. The OCTT sends a RequestStartTransactionRequest")
            answer = await sut.call(
                "RequestStartTransaction",
                {"idToken": token, "remoteStartId": remote_start_id, "evseId": self.evse},
            )
            check(
                answer.get("status") == "Accepted",
                "Authorized B step 2: RequestStartTransactionResponse status Accepted",
                answer,
            )
            if answer.get("transactionId"):
                self.transaction_id = str(answer["transactionId"])
            step("Authorized B: the Charging Station sends a TransactionEventRequest (RemoteStart)")
            event = await self.transaction_event(
                sut,
                since=mark,
                label="triggerReason RemoteStart",
                predicate=lambda p: p["triggerReason"] == "RemoteStart",
            )
            check(
                event.payload["transactionInfo"].get("remoteStartId") == remote_start_id,
                f"Authorized B: transactionInfo.remoteStartId {remote_start_id}",
                event.payload,
            )
        else:
            step("Authorized A: manual action: present the configured valid idToken")
            await operator.perform(
                "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=self.evse
            )
            with contextlib.suppress(TargetTimeout):
                request = await sut.wait_for(
                    "Authorize",
                    since=mark,
                    timeout=self.config.timeouts.message,
                    describe="AuthorizeRequest for the presented idToken",
                )
                got = request.payload["idToken"]
                check(
                    got.get("idToken") == token["idToken"] and got.get("type") == token["type"],
                    f"Authorized A step 1: AuthorizeRequest idToken {token['idToken']} of type {token['type']}",
                    request.payload,
                )
            if "Authorized" in points or self.transaction_id is not None:
                step(
                    "Authorized A 3. The Charging Station sends a TransactionEventRequest (Authorized)"
                )
                event = await self.transaction_event(
                    sut,
                    since=mark,
                    label="triggerReason Authorized",
                    predicate=lambda p: p["triggerReason"] == "Authorized" or "idToken" in p,
                )
                payload = event.payload
                check(
                    payload["triggerReason"] == "Authorized",
                    "Authorized A step 3: triggerReason Authorized",
                    payload,
                )
                got = payload.get("idToken") or {}
                check(
                    got.get("idToken") == token["idToken"] and got.get("type") == token["type"],
                    f"Authorized A step 3: idToken {token['idToken']} of type {token['type']}",
                    payload,
                )
        if event is not None:
            self.transaction_id = str(event.payload["transactionInfo"]["transactionId"])
        self.session_authorized = True
        self.state = "Authorized"
        return event

    async def energy_transfer_started(self, sut: StationConnection, operator: Any) -> IncomingCall:
        """EnergyTransferStarted (Table 430): Authorized first unless authorized; part 1 when
        no EV is connected (connector Occupied, TransactionEventRequest CablePluggedIn /
        EVConnected); part 2: the TransactionEventRequest that starts the energy transfer
        (chargingState Charging). Returns it."""
        if not self.session_authorized:
            await self.authorized(sut, operator)
        # With the EV connected, Charging may follow the authorization at once.
        mark = self.auth_mark
        if not self.ev_connected:
            step("EnergyTransferStarted part 1: manual action: connect the EV and EVSE")
            await operator.perform("plug_in", evse_id=self.evse, connector_id=self.connector)
            await self.connector_reported(sut, "Occupied", since=mark)
            self.ev_connected = True
        step("EnergyTransferStarted part 2: a TransactionEventRequest with chargingState Charging")
        event = await self.transaction_event(
            sut,
            since=mark,
            label="chargingState Charging",
            predicate=lambda p: p["transactionInfo"].get("chargingState") == "Charging",
        )
        self.transaction_id = str(event.payload["transactionInfo"]["transactionId"])
        self.state = "EnergyTransferStarted"
        return event

    async def stop_authorized(
        self, sut: StationConnection, operator: Any, *, remote: bool = False
    ) -> IncomingCall:
        """StopAuthorized (Table 432), A (local: the operator presents the same idToken; a
        TransactionEventRequest triggerReason StopAuthorized, idToken omitted or the
        configured one) or B (``remote``: RequestStopTransactionRequest for the running
        transaction, answered Accepted; triggerReason RemoteStop). Returns the event."""
        if self.state != "EnergyTransferStarted":
            await self.energy_transfer_started(sut, operator)
        duration = float(self.config.station.extra.get("transaction_duration", 0))
        if duration:
            await asyncio.sleep(duration)  # <Configured Transaction Duration>: no event to await
        mark = sut.mark()
        self.stop_mark = mark
        token = self.id_token()
        if remote:
            step("StopAuthorized B 1. The OCTT sends a RequestStopTransactionRequest")
            answer = await sut.call(
                "RequestStopTransaction", {"transactionId": self.transaction_id}
            )
            check(
                answer.get("status") == "Accepted",
                "StopAuthorized B step 2: RequestStopTransactionResponse status Accepted",
                answer,
            )
            event = await self.transaction_event(
                sut,
                since=mark,
                label="triggerReason RemoteStop",
                predicate=lambda p: p["triggerReason"] == "RemoteStop",
            )
        else:
            step("StopAuthorized A: manual action: present the same idToken")
            await operator.perform(
                "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=self.evse
            )
            event = await self.transaction_event(
                sut,
                since=mark,
                label="triggerReason StopAuthorized",
                predicate=lambda p: p["triggerReason"] == "StopAuthorized",
            )
            got = event.payload.get("idToken")
            check(
                got is None
                or (got.get("idToken") == token["idToken"] and got.get("type") == token["type"]),
                f"StopAuthorized A step 1: idToken omitted or {token['idToken']} of type {token['type']}",
                event.payload,
            )
        self.session_authorized = False
        self.state = "StopAuthorized"
        return event

    async def ev_connected_post_session(self, sut: StationConnection, operator: Any) -> None:
        """EVConnectedPostSession (Table 433): StopAuthorized first; unless the transaction
        already ended, a TransactionEventRequest triggerReason ChargingStateChanged with
        chargingState EVConnected."""
        if self.state != "StopAuthorized":
            await self.stop_authorized(sut, operator)
        tx_id = self.transaction_id
        if tx_id is not None and tx_id in self.open_transactions:
            step("EVConnectedPostSession 1. A TransactionEventRequest (chargingState EVConnected)")
            event = await self.transaction_event(
                sut,
                since=self.stop_mark,
                label="chargingState EVConnected after the stop",
                predicate=lambda p: (
                    p["transactionInfo"]["transactionId"] == tx_id
                    and p["transactionInfo"].get("chargingState") == "EVConnected"
                ),
            )
            check(
                event.payload["triggerReason"]
                in ("ChargingStateChanged", "StopAuthorized", "RemoteStop"),
                "EVConnectedPostSession step 1: triggerReason ChargingStateChanged",
                event.payload,
            )
        self.state = "EVConnectedPostSession"

    async def reserved(
        self,
        sut: StationConnection,
        *,
        evse_id: int | None = None,
        reservation_id: int = 1,
        expiry_seconds: int = 3600,
    ) -> None:
        """Reserved (Table 424): ReserveNowRequest for the specified EVSE (default the
        configured one) with the configured valid idToken, answered Accepted; the EVSE's
        connector reported Reserved (the EVSE's own AvailabilityState is optional)."""
        evse = self.evse if evse_id is None else evse_id
        expiry = datetime.now(timezone.utc) + timedelta(seconds=expiry_seconds)
        mark = sut.mark()
        step("Reserved 1. The OCTT sends a ReserveNowRequest")
        answer = await sut.call(
            "ReserveNow",
            {
                "id": reservation_id,
                "expiryDateTime": expiry.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "idToken": self.id_token(),
                "evseId": evse,
            },
        )
        check(
            answer.get("status") == "Accepted",
            "Reserved step 2: ReserveNowResponse status Accepted",
            answer,
        )
        step("Reserved 3. The connector is reported Reserved")
        await self.connector_reported(sut, "Reserved", since=mark, evse=evse)
        self.state = "Reserved"

    async def unavailable(
        self, sut: StationConnection, *, evse_id: int | None = None, connector_id: int | None = None
    ) -> None:
        """Unavailable (Table 425): ChangeAvailabilityRequest Inoperative for the specified
        EVSE and connector, answered Accepted; the connector reported Unavailable."""
        evse = self.evse if evse_id is None else evse_id
        connector = self.connector if connector_id is None else connector_id
        mark = sut.mark()
        step("Unavailable 1. The OCTT sends a ChangeAvailabilityRequest Inoperative")
        answer = await sut.call(
            "ChangeAvailability",
            {"operationalStatus": "Inoperative", "evse": {"id": evse, "connectorId": connector}},
        )
        check(
            answer.get("status") == "Accepted",
            "Unavailable step 2: ChangeAvailabilityResponse status Accepted",
            answer,
        )
        step("Unavailable 3. The connector is reported Unavailable")
        await self.connector_reported(
            sut, "Unavailable", since=mark, evse=evse, connector=connector
        )
        self.state = "Unavailable"

    async def ev_disconnected(self, sut: StationConnection, operator: Any) -> None:
        """EVDisconnected (Table 434), after StopAuthorized: the operator disconnects the EV;
        the connector is reported Available for the configured EVSE/connector, and the
        transaction, unless already ended, ends with triggerReason EVCommunicationLost and
        chargingState Idle."""
        if self.state != "EVConnectedPostSession":
            await self.ev_connected_post_session(sut, operator)
        mark = sut.mark()
        tx_id = self.transaction_id
        step("EVDisconnected: manual action: disconnect the EV and EVSE")
        await operator.perform("plug_out", evse_id=self.evse, connector_id=self.connector)
        step("EVDisconnected 1. The connector is reported Available")
        await self.connector_reported(sut, "Available", since=mark)
        if tx_id is not None and tx_id in self.open_transactions:
            step("EVDisconnected 3. The Charging Station sends a TransactionEventRequest")
            event = await self.transaction_event(
                sut,
                since=mark,
                label=f"ending transaction {tx_id}",
                predicate=lambda p: (
                    p["transactionInfo"]["transactionId"] == tx_id and p["eventType"] == "Ended"
                ),
            )
            check(
                event.payload["triggerReason"] == "EVCommunicationLost",
                "EVDisconnected step 3: triggerReason EVCommunicationLost",
                event.payload,
            )
            check(
                event.payload["transactionInfo"].get("chargingState") == "Idle",
                "EVDisconnected step 3: transactionInfo.chargingState Idle",
                event.payload,
            )
        self.ev_connected = False
        self.transaction_id = None
        self.state = "EVDisconnected"
