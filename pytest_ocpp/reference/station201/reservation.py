"""The reference station's block H reservations (ReserveNow, CancelReservation, ReservationStatusUpdate).

``ReservationHandlers`` holds the ``@on`` handlers (mixed into the ChargePoint of one connection),
``ReservationMixin`` the station-side state and behaviour (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).
"""

from __future__ import annotations

__all__ = ["ReservationHandlers", "ReservationMixin"]


class ReservationHandlers:
    """CSMS requests of this block; mixed into the ChargePoint."""


class ReservationMixin:
    """State and behaviour of this block; mixed into the station."""
