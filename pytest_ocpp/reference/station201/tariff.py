"""The reference station's block I tariff and cost (CostUpdated, running cost in TransactionEventResponse).

``TariffHandlers`` holds the ``@on`` handlers (mixed into the ChargePoint of one connection),
``TariffMixin`` the station-side state and behaviour (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).
"""

from __future__ import annotations

__all__ = ["TariffHandlers", "TariffMixin"]


class TariffHandlers:
    """CSMS requests of this block; mixed into the ChargePoint."""


class TariffMixin:
    """State and behaviour of this block; mixed into the station."""
