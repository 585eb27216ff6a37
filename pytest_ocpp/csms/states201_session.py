"""The station-side reusable states of OCPP 2.0.1 Part 6 §2.18 that walk a charging session:
ParkingBayOccupied (Table 426), EVConnectedPreSession (427), Authorized (428),
EnergyTransferStarted (430), EnergyTransferSuspended (431), StopAuthorized (432),
EVConnectedPostSession (433), EVDisconnected (434), ParkingBayUnoccupied (435),
StartOfflineTransaction (436) and Deauthorized (errata 2025-09 §6.2.118); one method per
table, each performing the table's own tool validations, used by every case that names it.

They follow one session on the configured EVSE and connector (``on_evse`` points them at
another) and branch on the station's TxStartPoint/TxStopPoint as the tables do. The
ParkingBay states are optional in the tables: they run only for a station whose TxStartPoint
or TxStopPoint names the parking bay.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from pytest_ocpp.case import step
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.verdicts import TargetTimeout, check

if TYPE_CHECKING:
    from pytest_ocpp.csms.base import StationConnection


class SessionStates201:
    """Mixin of :class:`~pytest_ocpp.csms.v201.FakeCsms201`: the session states. The
    attributes they track are declared on :class:`~pytest_ocpp.csms.states201.StationStates201`."""

    state: str | None
    transaction_id: str | None
    ev_connected: bool
    open_transactions: dict[str, int]
    stop_mark: int
    auth_mark: int
    session_authorized: bool
    reconnected_at: datetime | None
    config: Any
    generation: int

    async def parking_bay_occupied(
        self, sut: StationConnection, operator: Any
    ) -> IncomingCall | None:
        """ParkingBayOccupied (Table 426): the operator drives the EV into the bay; when
        TxStartPoint contains ParkingBayOccupancy a TransactionEventRequest with triggerReason
        EVDetected follows (it starts the transaction). The table makes the state optional:
        it runs only when TxStartPoint or TxStopPoint contains ParkingBayOccupancy, the
        configurations whose cases need it, so a rig without a bay sensor is not asked to
        "park". Returns the event, or None."""
        points = await self.tx_start_points(sut)
        if "ParkingBayOccupancy" not in {*points, *await self.tx_stop_points(sut)}:
            return None
        mark = sut.mark()
        step("ParkingBayOccupied: manual action: drive EV into parking bay")
        await operator.perform("park", evse_id=self.evse)
        self.state = "ParkingBayOccupied"
        if "ParkingBayOccupancy" not in points:
            return None
        step("ParkingBayOccupied 1. The Charging Station sends a TransactionEventRequest")
        event = await self.transaction_event(sut, since=mark, label="after the EV parked")
        check(
            event.payload["triggerReason"] == "EVDetected",
            "ParkingBayOccupied step 1: triggerReason EVDetected",
            event.payload,
        )
        self.transaction_id = str(event.payload["transactionInfo"]["transactionId"])
        self.state = "ParkingBayOccupied"
        return event

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
        self,
        sut: StationConnection,
        operator: Any,
        *,
        remote: bool = False,
        id_token: Mapping[str, str] | None = None,
        authorize_required: str | None = None,
    ) -> IncomingCall | None:
        """Authorized (Table 428), A (local, default) or B (``remote``): the operator
        presents the idToken (``id_token``, default the configured valid one), the station
        sends AuthorizeRequest with it (answered as the fake CSMS's behaviour says; optional
        when the idToken is cached or in the local list: a TransactionEventRequest that
        comes first stands for it), then, when TxStartPoint contains Authorized or a
        transaction already runs, a TransactionEventRequest triggerReason Authorized with
        that idToken. B: RequestStartTransactionRequest with the idToken and the configured
        EVSE, answered Accepted, then the TransactionEventRequest with triggerReason
        RemoteStart and the remoteStartId. ``authorize_required``: the case's rule that makes
        the AuthorizeRequest mandatory (the idToken is known locally as not Accepted, so the
        station must ask, C10.FR.03/C14.FR.03), named when it does not come. Returns that
        event, or None."""
        points = await self.tx_start_points(sut)
        token = dict(id_token) if id_token is not None else self.id_token()
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
            shown = f"{token['idToken']} of type {token['type']}"
            step(f"Authorized A: manual action: present idToken {token['idToken']}")
            await operator.perform(
                "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=self.evse
            )
            expect_event = "Authorized" in points or self.transaction_id is not None
            first: IncomingCall | None = None
            if authorize_required is not None:
                first = await sut.wait_for(
                    "Authorize",
                    since=mark,
                    describe=f"AuthorizeRequest for idToken {token['idToken']} "
                    f"({authorize_required})",
                )
            with contextlib.suppress(TargetTimeout):
                first = first or await sut.wait_for(
                    {"Authorize", "TransactionEvent"} if expect_event else "Authorize",
                    lambda p: "idToken" in p,
                    since=mark,
                    timeout=self.config.timeouts.message,
                    describe="AuthorizeRequest for the presented idToken",
                )
            if first is not None and first.action == "Authorize":
                step("Authorized A 1. The Charging Station sends an AuthorizeRequest")
                got = first.payload["idToken"]
                check(
                    got.get("idToken") == token["idToken"] and got.get("type") == token["type"],
                    f"Authorized A step 1: AuthorizeRequest idToken {shown}",
                    first.payload,
                )
                first = None
            if expect_event:
                step(
                    "Authorized A 3. The Charging Station sends a TransactionEventRequest (Authorized)"
                )
                event = first or await self.transaction_event(
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
                    f"Authorized A step 3: idToken {shown}",
                    payload,
                )
        if event is not None:
            self.transaction_id = str(event.payload["transactionInfo"]["transactionId"])
        self.session_authorized = True
        self.state = "Authorized"
        return event

    async def energy_transfer_started(
        self, sut: StationConnection, operator: Any, *, authorized_since: int | None = None
    ) -> IncomingCall:
        """EnergyTransferStarted (Table 430): Authorized first unless authorized; part 1 when
        no EV is connected (connector Occupied, TransactionEventRequest CablePluggedIn /
        EVConnected); part 2: the TransactionEventRequest that starts the energy transfer
        (chargingState Charging). Returns it. ``authorized_since``: the case authorized the
        session itself (another idToken, a start button ...) from that inbox position; a
        Charging event the station sent as soon as it was authorized counts."""
        if authorized_since is not None:
            self.session_authorized = True
            self.auth_mark = authorized_since
            if self.state == "EVConnectedPreSession":
                self.state = "Authorized"
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

    async def energy_transfer_suspended(
        self, sut: StationConnection, operator: Any
    ) -> IncomingCall | None:
        """EnergyTransferSuspended (Table 431): EnergyTransferStarted first; the EV suspends;
        a TransactionEventRequest with chargingState EVConnected or SuspendedEV
        (triggerReason ChargingStateChanged when SuspendedEV; stoppedReason StoppedByEV when
        the station ends the transaction)."""
        if self.state != "EnergyTransferStarted":
            await self.energy_transfer_started(sut, operator)
        tx_id = self.transaction_id
        mark = sut.mark()
        step("EnergyTransferSuspended: manual action: the EV suspends the energy transfer")
        await operator.perform("ev_suspend", evse_id=self.evse)
        step("EnergyTransferSuspended 1. The Charging Station sends a TransactionEventRequest")
        event = await self.transaction_event(
            sut,
            since=mark,
            label="after the EV suspended",
            predicate=lambda p: (
                p["transactionInfo"]["transactionId"] == tx_id
                and p["transactionInfo"].get("chargingState") in ("EVConnected", "SuspendedEV")
            ),
        )
        payload = event.payload
        info = payload["transactionInfo"]
        if info.get("chargingState") == "SuspendedEV":
            check(
                payload["triggerReason"] == "ChargingStateChanged",
                "EnergyTransferSuspended step 1: triggerReason ChargingStateChanged",
                payload,
            )
        if payload["eventType"] == "Ended":
            check(
                info.get("stoppedReason") == "StoppedByEV",
                "EnergyTransferSuspended step 1: stoppedReason StoppedByEV (Ended)",
                payload,
            )
            self.transaction_id = None
        self.state = "EnergyTransferSuspended"
        return event

    async def stop_authorized(
        self,
        sut: StationConnection,
        operator: Any,
        *,
        remote: bool = False,
        id_token: Mapping[str, str] | None = None,
    ) -> IncomingCall:
        """StopAuthorized (Table 432), A (local: the operator presents the same idToken; a
        TransactionEventRequest triggerReason StopAuthorized, idToken omitted or the
        configured one) or B (``remote``: RequestStopTransactionRequest for the running
        transaction, answered Accepted; triggerReason RemoteStop). ``id_token``: the idToken
        presented in A when the case names another one. Returns the event."""
        if self.state != "EnergyTransferStarted":
            await self.energy_transfer_started(sut, operator)
        duration = float(self.config.station.extra.get("transaction_duration", 0))
        if duration:
            await asyncio.sleep(duration)  # <Configured Transaction Duration>: no event to await
        mark = sut.mark()
        self.stop_mark = mark
        token = dict(id_token) if id_token is not None else self.id_token()
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

    async def ev_disconnected(
        self,
        sut: StationConnection,
        operator: Any,
        *,
        statuses: tuple[str, ...] = ("Available",),
    ) -> None:
        """EVDisconnected (Table 434), after StopAuthorized: the operator disconnects the EV;
        the connector is reported Available for the configured EVSE/connector, and, unless
        the transaction already ended, a TransactionEventRequest with triggerReason
        EVCommunicationLost and chargingState Idle (Ended, or Updated where TxStopPoint waits
        for something else, e.g. ParkingBayOccupancy). ``statuses``: what a case's situation makes the connector
        instead (Unavailable on an Inoperative EVSE, G03.FR.06; Available or Unavailable
        while a reset is scheduled, B12 step 3a); a connector already reported so needs no
        new report."""
        if self.state != "EVConnectedPostSession":
            await self.ev_connected_post_session(sut, operator)
        mark = sut.mark()
        tx_id = self.transaction_id
        known = self.connector_statuses.get((self.evse, self.connector))
        step("EVDisconnected: manual action: disconnect the EV and EVSE")
        await operator.perform("plug_out", evse_id=self.evse, connector_id=self.connector)
        step(f"EVDisconnected 1. The connector is reported {' or '.join(statuses)}")
        if statuses == ("Available",) or known not in statuses:
            await self.connector_reported(sut, statuses, since=mark)
        if tx_id is not None and tx_id in self.open_transactions:
            step("EVDisconnected 3. The Charging Station sends a TransactionEventRequest")
            event = await self.transaction_event(
                sut,
                since=mark,
                label=f"of transaction {tx_id} after the EV left",
                predicate=lambda p: (
                    p["transactionInfo"]["transactionId"] == tx_id
                    and (
                        p["eventType"] == "Ended"
                        or p["triggerReason"] == "EVCommunicationLost"
                        or p["transactionInfo"].get("chargingState") == "Idle"
                    )
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
        if tx_id not in self.open_transactions:  # TxStopPoint ParkingBayOccupancy: it runs on
            self.transaction_id = None
        self.state = "EVDisconnected"

    async def parking_bay_unoccupied(
        self, sut: StationConnection, operator: Any
    ) -> IncomingCall | None:
        """ParkingBayUnoccupied (Table 435), after EVDisconnected: the EV leaves the bay;
        when TxStopPoint contains ParkingBayOccupancy and the transaction still runs, it ends
        with triggerReason EVDeparted and stoppedReason Local (Remote after a remote stop).
        Optional like ParkingBayOccupied: performed only when TxStartPoint or TxStopPoint
        names the bay. Returns the event that ended the transaction here, or None."""
        if self.state != "EVDisconnected":
            await self.ev_disconnected(sut, operator)
        stop_points = await self.tx_stop_points(sut)
        start_points = await self.tx_start_points(sut)
        event: IncomingCall | None = None
        if "ParkingBayOccupancy" not in {*stop_points, *start_points}:
            self.state = "ParkingBayUnoccupied"
            return event
        running = set(self.open_transactions)
        mark = sut.mark()
        step("ParkingBayUnoccupied: manual action: drive EV out of parking bay")
        await operator.perform("unpark", evse_id=self.evse)
        if "ParkingBayOccupancy" in stop_points and running:
            step("ParkingBayUnoccupied 1. The Charging Station sends a TransactionEventRequest")
            event = await self.transaction_event(
                sut,
                since=mark,
                label="ending the transaction (EVDeparted)",
                predicate=lambda p: p["transactionInfo"]["transactionId"] in running,
            )
            payload = event.payload
            check(
                payload["triggerReason"] == "EVDeparted"
                and payload["eventType"] == "Ended"
                and payload["transactionInfo"].get("stoppedReason") in ("Local", "Remote"),
                "ParkingBayUnoccupied step 1: triggerReason EVDeparted, eventType Ended, "
                "stoppedReason Local",
                payload,
            )
        self.transaction_id = None
        self.state = "ParkingBayUnoccupied"
        return event

    async def start_offline_transaction(
        self,
        sut: StationConnection,
        operator: Any,
        *,
        id_token: Mapping[str, str] | None = None,
    ) -> StationConnection:
        """StartOfflineTransaction (Table 436): the OCTT closes the connection and refuses
        reconnects; the EV parks (when the bay counts, as in ParkingBayOccupied), the idToken
        is presented, the EV connects; then the OCTT accepts the reconnection. Returns the
        new connection; the case judges the queued messages (their timestamps before
        :attr:`reconnected_at` are the evidence that it happened offline). ``id_token``: the
        idToken presented, when the case names another than the configured valid one. The
        reconnection is the station's back-off: awaited within --ocpp-reboot-timeout."""
        generation = self.generation
        token = dict(id_token) if id_token is not None else self.id_token()
        parks = "ParkingBayOccupancy" in {
            *await self.tx_start_points(sut),
            *await self.tx_stop_points(sut),
        }
        step("StartOfflineTransaction 1. The OCTT closes the WebSocket connection AND refuses")
        self.behaviour.refuse_connections = True
        try:
            await self.drop_connection()
            if parks:
                step("StartOfflineTransaction: manual action: drive EV into parking bay")
                await operator.perform("park", evse_id=self.evse)
            step("StartOfflineTransaction: manual action: present idToken")
            await operator.perform(
                "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=self.evse
            )
            step("StartOfflineTransaction: manual action: connect the EV and EVSE")
            await operator.perform("plug_in", evse_id=self.evse, connector_id=self.connector)
            self.ev_connected = True
        finally:
            self.behaviour.refuse_connections = False
        step("StartOfflineTransaction 2. The OCTT accepts the reconnection attempt")
        sut = await self.next_connection(after=generation, reboot=True)
        self.reconnected_at = datetime.now(timezone.utc)
        self.session_authorized = True
        self.state = "StartOfflineTransaction"
        return sut

    async def deauthorized(
        self, sut: StationConnection, operator: Any, *, since: int
    ) -> IncomingCall:
        """Deauthorized (errata 2025-09 §6.2.118), after Authorized (from inbox position
        ``since``): the transaction states continue until the first TransactionEventRequest
        (EVConnectedPreSession when Authorized sent none), which carries the configured
        idToken and is answered idTokenInfo.status Invalid; then a TransactionEventRequest
        triggerReason Deauthorized, chargingState EVConnected or SuspendedEVSE (Idle when no
        EV is connected: the scenario may never connect one), eventType Ended with
        stoppedReason DeAuthorized when TxStopPoint contains Authorized, PowerPathClosed or
        EnergyTransfer, else Updated. Steps 5-6 (UnlockConnector "when the connector is
        locked") are left to the case: the fake CSMS cannot see a lock. Returns the
        Deauthorized event."""
        token = self.id_token()
        self.behaviour.id_tag_status[token["idToken"]] = "Invalid"
        carrying = [
            c
            for c in sut.link.inbox[since:]
            if c.action == "TransactionEvent" and "idToken" in c.payload and not c.problems
        ]  # the states may have consumed it already
        if not carrying and not any(c.action == "TransactionEvent" for c in sut.link.inbox[since:]):
            step("Deauthorized: EVConnectedPreSession until the first TransactionEventRequest")
            await self.ev_connected_pre_session(sut, operator)
            carrying = [
                c
                for c in sut.link.inbox[since:]
                if c.action == "TransactionEvent" and "idToken" in c.payload and not c.problems
            ]
        step(
            "Deauthorized 1. The Charging Station sends a TransactionEventRequest (answered Invalid)"
        )
        first = (
            carrying[0]
            if carrying
            else await sut.wait_for(
                "TransactionEvent",
                lambda p: "idToken" in p,
                since=since,
                describe="Deauthorized step 1: TransactionEventRequest with the idToken",
            )
        )
        got = first.payload.get("idToken") or {}
        check(
            got.get("idToken") == token["idToken"] and got.get("type") == token["type"],
            f"Deauthorized step 1: idToken.idToken {token['idToken']}, idToken.type {token['type']}",
            first.payload,
        )
        step("Deauthorized 3. The Charging Station sends a TransactionEventRequest (Deauthorized)")
        event = await sut.wait_for(
            "TransactionEvent",
            lambda p: p["triggerReason"] == "Deauthorized",
            since=since,
            describe="Deauthorized step 3: TransactionEventRequest triggerReason Deauthorized",
        )
        payload = event.payload
        states = ("EVConnected", "SuspendedEVSE") if self.ev_connected else ("Idle", "EVConnected")
        check(
            payload["transactionInfo"].get("chargingState") in states,
            f"Deauthorized step 3: transactionInfo.chargingState {' or '.join(states)}",
            payload,
        )
        if {"Authorized", "PowerPathClosed", "EnergyTransfer"} & set(
            await self.tx_stop_points(sut)
        ):
            check(payload["eventType"] == "Ended", "Deauthorized step 3: eventType Ended", payload)
            check(
                payload["transactionInfo"].get("stoppedReason") == "DeAuthorized",
                "Deauthorized step 3: transactionInfo.stoppedReason DeAuthorized",
                payload,
            )
        else:
            check(
                payload["eventType"] == "Updated", "Deauthorized step 3: eventType Updated", payload
            )
        self.session_authorized = False
        self.state = "Deauthorized"
        return event
