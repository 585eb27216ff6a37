"""Reservations of the reference charge point (OCPP 1.6 §5.13, §5.1; OCTT TC_046..053_CS).

A reservation of connector 0 holds the last free connector for its idTag, so the station
always keeps one connector for the reserved driver. Mixed into
:class:`~pytest_ocpp.reference.station.ReferenceStation`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from pytest_ocpp.reference.station_model import Connector, Reservation


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ReservationMixin:
    """ReserveNow / CancelReservation bookkeeping; expects the ReferenceStation attributes."""

    def _reservation_for(self, c: Connector) -> Reservation | None:
        """The reservation that holds this connector: its own, or a charge-point reservation
        when this is the last free connector (OCPP 1.6 §5.13, connectorId 0)."""
        if c.reservation is not None:
            return c.reservation
        whole = [r for r in self.reservations.values() if r.connector_id == 0]
        if not whole or c.id == 0:
            return None
        free = [
            x
            for x in self.connectors[1:]
            if x.reservation is None
            and x.transaction is None
            and x.pending is None
            and not x.finishing
            and self._usable(x)
        ]
        if c in free and len(free) <= len(whole):
            return whole[0]
        return None

    def reserve(
        self,
        reservation_id: int,
        connector_id: int,
        id_tag: str,
        parent_id_tag: str | None,
        expiry: datetime,
    ) -> str:
        """ReserveNow (OCPP 1.6 §5.13): Accepted, Faulted, Occupied, Rejected or Unavailable."""
        if "Reservation" not in self.features:
            return "Rejected"
        if not 0 <= connector_id <= self.connector_count:
            return "Rejected"
        existing = self.reservations.get(reservation_id)
        if existing is not None:
            self._drop_reservation(existing, refresh=False)
        cp = self.connectors[0]
        if connector_id == 0:
            if not self.config.get_bool("ReserveConnectorZeroSupported", False):
                return "Rejected"
            if cp.fault:
                return "Faulted"
            if cp.inoperative:
                return "Unavailable"
            usable = [c for c in self.connectors[1:] if self._usable(c)]
            if not usable:
                faulted = any(c.fault for c in self.connectors[1:])
                return "Faulted" if faulted else "Unavailable"
            if not any(
                self._free_for_start(c) and not c.plugged and c.reservation is None for c in usable
            ):
                return "Occupied"
        else:
            c = self.connectors[connector_id]
            if c.fault or cp.fault:
                return "Faulted"
            if c.inoperative or cp.inoperative:
                return "Unavailable"
            if (
                c.transaction is not None
                or c.pending is not None
                or c.plugged
                or c.finishing
                or c.reservation is not None
            ):
                return "Occupied"
        if self.has("reservation_ignored"):
            return "Accepted"
        reservation = Reservation(reservation_id, connector_id, id_tag, parent_id_tag, expiry)
        self.reservations[reservation_id] = reservation
        if connector_id > 0:
            self.connectors[connector_id].reservation = reservation

        async def expire() -> None:
            await asyncio.sleep(max(0.0, (expiry - _utcnow()).total_seconds()))
            if self.reservations.get(reservation_id) is reservation:
                reservation.timer = None
                self._drop_reservation(reservation)

        reservation.timer = self.spawn(expire())
        return "Accepted"

    def cancel_reservation(self, reservation_id: int) -> bool:
        reservation = self.reservations.get(reservation_id)
        if reservation is None:
            return False
        self._drop_reservation(reservation, refresh=False)
        return True

    def _drop_reservation(self, reservation: Reservation, *, refresh: bool = True) -> None:
        self.reservations.pop(reservation.id, None)
        if reservation.timer is not None and reservation.timer is not asyncio.current_task():
            reservation.timer.cancel()
        for c in self.connectors:
            if c.reservation is reservation:
                c.reservation = None
        if refresh:
            self._refresh()
