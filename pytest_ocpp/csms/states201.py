"""The station-side reusable states of OCPP 2.0.1 Part 6 §2.18 that set the station up:
Booting (Table 422), Booted (423), Reserved (424), Unavailable (425); one method per table, each performing the table's own tool validations: a station that cannot reach a
state fails the case at that step, as under OCTT.

The states drive the station under test through the fake CSMS (requests it sends) and the
station operator (physical actions: ``plug_in``, ``present_id_token`` ..., the 2.0.1
vocabulary of :data:`pytest_ocpp.operators.STATION_ACTIONS_201`), and branch on the
station's TxStartPoint/TxStopPoint as the tables do. A station reports a connector's state
with a StatusNotificationRequest; the NotifyEventRequest the tables also list is judged when
sent, never required (G01.FR.01 asks for the first; the second follows from a monitor).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from pytest_ocpp.case import step
from pytest_ocpp.verdicts import check

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
    reconnected_at: datetime | None = None
    """When the fake CSMS last accepted a station back after an outage it simulated."""

    async def booting(self, sut: StationConnection) -> None:
        """Booting (Table 422): ResetRequest Immediate, answered Accepted; the station is
        left rebooting, its connection not set up yet (the case awaits the reconnection)."""
        step("Booting 1. The OCTT sends a ResetRequest with type Immediate")
        answer = await sut.call("Reset", {"type": "Immediate"})
        check(
            answer.get("status") == "Accepted",
            "Booting step 2: ResetResponse status Accepted",
            answer,
        )
        self.state = "Booting"

    async def booted(
        self,
        sut: StationConnection,
        operator: Any = None,
        *,
        reset: bool = True,
        inoperative: tuple[int | None, int | None] | None = None,
    ) -> StationConnection:
        """Booted (Table 423): the station is reset (ResetRequest Immediate, answered
        Accepted) or, with ``reset`` false, power cycled by the operator; it reconnects
        (within --ocpp-reboot-timeout), sends BootNotificationRequest, answered Accepted,
        reports every connector Available (evseId and connectorId not 0) and sends a
        SecurityEventNotificationRequest StartupOfTheDevice or ResetOrReboot.
        ``inoperative``: the (evseId, connectorId) a case made Inoperative ((None, None) the
        station, (evseId, None) an EVSE), whose connectors must come back Unavailable
        instead (G03.FR.08, G04.FR.09)."""
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
        step("Booted 5. The Charging Station reports the state of every connector")
        evse_in, connector_in = inoperative or (-1, None)
        for evse in range(1, self.config.station.connectors + 1):
            inside = inoperative is not None and evse_in in (None, evse)
            only = connector_in if inside else None
            item = await sut.wait_for(
                "StatusNotification",
                lambda p, e=evse, c=only: p["evseId"] == e and c in (None, p["connectorId"]),
                describe=f"StatusNotificationRequest of EVSE {evse} after the boot",
            )
            status = "Unavailable" if inside else "Available"
            why = " (G03.FR.08, G04.FR.09: the availability persists)" if inside else ""
            check(
                item.payload["connectorStatus"] == status and item.payload["connectorId"] != 0,
                f"Booted step 5: StatusNotificationRequest connectorStatus {status}, evseId "
                f"{evse}, connectorId not 0{why}",
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

    async def reserved(
        self,
        sut: StationConnection,
        *,
        evse_id: int | None = None,
        reservation_id: int = 1,
        expiry_seconds: int = 3600,
        id_token: Mapping[str, str] | None = None,
    ) -> None:
        """Reserved (Table 424): ReserveNowRequest for the specified EVSE (default the
        configured one) with the specified idToken (default the configured valid one),
        answered Accepted; the EVSE's
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
                "idToken": dict(id_token) if id_token is not None else self.id_token(),
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
        self,
        sut: StationConnection,
        *,
        evse_id: int | None = None,
        connector_id: int | None = None,
        whole: str = "connector",
    ) -> None:
        """Unavailable (Table 425): ChangeAvailabilityRequest Inoperative for the specified
        component (``whole``: a ``connector``, default the configured EVSE and connector; an
        ``evse``, evse.id only; the ``station``, no evse), answered Accepted; every connector
        of it reported Unavailable (an EVSE whose connectors were never reported: any of its
        connectors)."""
        evse = self.evse if evse_id is None else evse_id
        connector = self.connector if connector_id is None else connector_id
        target: dict[str, Any] = {"operationalStatus": "Inoperative"}
        if whole == "connector":
            target["evse"] = {"id": evse, "connectorId": connector}
            covered: list[tuple[int, int | None]] = [(evse, connector)]
        else:
            if whole == "evse":
                target["evse"] = {"id": evse}
            evses = [evse] if whole == "evse" else range(1, self.config.station.connectors + 1)
            covered = []
            for e in evses:
                known = sorted({c for (k, c) in self.connector_statuses if k == e and c})
                covered.extend((e, c) for c in known) if known else covered.append((e, None))
        mark = sut.mark()
        step(f"Unavailable 1. The OCTT sends a ChangeAvailabilityRequest Inoperative ({whole})")
        answer = await sut.call("ChangeAvailability", target)
        check(
            answer.get("status") == "Accepted",
            "Unavailable step 2: ChangeAvailabilityResponse status Accepted",
            answer,
        )
        step("Unavailable 3. The connectors are reported Unavailable")
        for e, c in covered:
            if c is not None:
                await self.connector_reported(sut, "Unavailable", since=mark, evse=e, connector=c)
                continue
            item = await sut.wait_for(
                "StatusNotification",
                lambda p, e=e: p["evseId"] == e and p["connectorStatus"] == "Unavailable",
                since=mark,
                describe=f"StatusNotificationRequest connectorStatus Unavailable for evseId {e}",
            )
            check(
                item.payload["connectorId"] != 0,
                "Unavailable step 3: StatusNotificationRequest connectorId not 0",
                item.payload,
            )
        self.state = "Unavailable"
