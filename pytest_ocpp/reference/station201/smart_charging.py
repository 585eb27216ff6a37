"""The reference station's block K smart charging (charging profiles, composite schedules, external limits, ISO 15118 charging needs).

``SmartChargingHandlers`` holds the ``@on`` handlers (mixed into the ChargePoint of one connection),
``SmartChargingMixin`` the station-side state and behaviour (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).
"""

from __future__ import annotations

__all__ = ["SmartChargingHandlers", "SmartChargingMixin"]


class SmartChargingHandlers:
    """CSMS requests of this block; mixed into the ChargePoint."""


class SmartChargingMixin:
    """State and behaviour of this block; mixed into the station."""
