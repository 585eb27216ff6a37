"""Connector status reporting of the reference 2.0.1 station (Part 2 G01, B01.FR.05, B04).

Every connector change is reported as the pair Part 6 checks at each step: a
StatusNotificationRequest and a NotifyEventRequest for the Connector's AvailabilityState with
trigger Delta (G01.FR.03-07 allow either; sending both satisfies any CSMS). A status is
"reported" once queued while online; one dropped by an outage is reported again afterwards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ocpp.v201 import call

from pytest_ocpp.reference.station201.model import Evse, Outgoing

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["StatusMixin"]


class StatusMixin:
    """Connector, EVSE and station availability; mixed into the station."""

    _event_id: int

    @property
    def statuses(self: ReferenceStation201) -> dict[tuple[int, int], str]:
        """(evseId, connectorId) → ConnectorStatus as the station sees it now."""
        return {
            (evse.id, c): self.connector_status(evse.id, c)
            for evse in self.evses.values()
            for c in evse.connectors
        }

    def any_fault(
        self: ReferenceStation201, evse_id: int | None = None, connector_id: int | None = None
    ) -> bool:
        return any(
            c.fault
            for e in self.evses.values()
            if evse_id is None or e.id == evse_id
            for c in e.connectors.values()
            if connector_id is None or c.id == connector_id
        )

    def connector_status(self: ReferenceStation201, evse_id: int, connector_id: int) -> str:
        """ConnectorStatusEnumType: Faulted, then Occupied by a running transaction (an
        Inoperative change is Scheduled until it ends, G03.FR.05), Unavailable, Occupied by
        a cable (G01.FR.03), Available."""
        evse = self.evses[evse_id]
        connector = evse.connectors[connector_id]
        if connector.fault:
            return "Faulted"
        running = evse.session is not None and evse.session.tx is not None
        if connector.plugged and running:
            return "Occupied"
        if not self.evse_usable(evse) or connector.inoperative:
            return "Unavailable"
        return "Occupied" if connector.plugged else "Available"

    def evse_availability(self: ReferenceStation201, evse_id: int) -> str:
        evse = self.evses[evse_id]
        states = [self.connector_status(evse_id, c) for c in evse.connectors]
        for state in ("Occupied", "Faulted", "Unavailable"):
            if state in states and (state == "Occupied" or all(s == state for s in states)):
                return state
        if evse.session is not None and evse.session.tx is not None:
            return "Occupied"
        return "Unavailable" if not self.evse_usable(evse) else "Available"

    def station_availability(self: ReferenceStation201) -> str:
        return "Unavailable" if self.cs_inoperative else "Available"

    def _status_payload(self: ReferenceStation201, evse_id: int, connector_id: int) -> Any:
        return call.StatusNotification(
            timestamp=self.ts(),
            connector_status=self.connector_status(evse_id, connector_id),
            evse_id=evse_id,
            connector_id=connector_id,
        )

    def _availability_event(
        self: ReferenceStation201,
        component: str,
        evse_id: int | None,
        connector_id: int | None,
        value: str,
    ) -> Any:
        self._event_id += 1
        where: dict[str, Any] = {"name": component}
        if evse_id is not None:
            where["evse"] = {"id": evse_id}
            if connector_id is not None:
                where["evse"]["connector_id"] = connector_id
        return call.NotifyEvent(
            generated_at=self.ts(),
            seq_no=0,
            event_data=[
                {
                    "event_id": self._event_id,
                    "timestamp": self.ts(),
                    "trigger": "Delta",
                    "actual_value": value,
                    "event_notification_type": "HardWiredNotification",
                    "component": where,
                    "variable": {"name": "AvailabilityState"},
                }
            ],
        )

    def notify_availability(
        self: ReferenceStation201,
        component: str,
        evse_id: int | None,
        connector_id: int | None,
        value: str,
    ) -> None:
        """NotifyEvent(AvailabilityState, Delta) for a ChargingStation or EVSE (G01 alt.)."""
        event = self._availability_event(component, evse_id, connector_id, value)
        self.enqueue(lambda _i: event)

    def lock_failed(self: ReferenceStation201, evse: Evse) -> bool:
        """Locking the connector the EV is plugged into fails (G05.FR.01: no charging); the
        first failure is reported as ConnectorPlugRetentionLock.Problem true (G05.FR.02)."""
        if evse.ev_connector is None or self.has("g_lock_failure_charges"):
            return False
        connector = evse.connectors[evse.ev_connector]
        if not connector.lock_failing:
            return False
        if not connector.lock_problem:
            connector.lock_problem = True
            self.notify_lock_problem(evse.id, connector.id, True)
        return True

    def notify_lock_problem(
        self: ReferenceStation201, evse_id: int, connector_id: int, problem: bool
    ) -> None:
        """NotifyEvent ConnectorPlugRetentionLock.Problem (trigger Delta, G05.FR.02)."""
        self._event_id += 1
        event = call.NotifyEvent(
            generated_at=self.ts(),
            seq_no=0,
            event_data=[
                {
                    "event_id": self._event_id,
                    "timestamp": self.ts(),
                    "trigger": "Delta",
                    "actual_value": "true" if problem else "false",
                    "event_notification_type": "HardWiredNotification",
                    "component": {
                        "name": "ConnectorPlugRetentionLock",
                        "evse": {"id": evse_id, "connector_id": connector_id},
                    },
                    "variable": {"name": "Problem"},
                }
            ],
        )
        self.enqueue(lambda _i: event)

    def report_connector(
        self: ReferenceStation201,
        evse_id: int,
        connector_id: int,
        *,
        pre_boot: bool = False,
        into: list[Outgoing] | None = None,
    ) -> None:
        """StatusNotificationRequest plus NotifyEvent(Connector.AvailabilityState) — the pair
        Part 6 checks at every connector change (G01.FR.03-07)."""
        status = self.connector_status(evse_id, connector_id)
        connector = self.evses[evse_id].connectors[connector_id]
        unreported = (status == "Occupied" and self.has("g_plug_in_not_reported")) or (
            status == "Available"
            and connector.reported == "Occupied"
            and self.has("g_unplug_not_reported")
        )
        connector.reported = status
        payload = self._status_payload(evse_id, connector_id)
        event = self._availability_event("Connector", evse_id, connector_id, status)
        where = (evse_id, connector_id)
        if not unreported:
            self.enqueue(lambda _i: payload, pre_boot=pre_boot, connector=where, into=into)
        self.enqueue(lambda _i: event, pre_boot=pre_boot, into=into)

    def refresh(self: ReferenceStation201, into: list[Outgoing] | None = None) -> None:
        """Report every connector whose status changed since it was last delivered."""
        if not self.online.is_set():
            return
        for evse in self.evses.values():
            for connector in evse.connectors.values():
                if self.connector_status(evse.id, connector.id) != connector.reported:
                    self.report_connector(evse.id, connector.id, into=into)
