"""The reference station's block P DataTransfer and customData.

``DataTransferHandlers`` holds the ``@on`` handlers (mixed into the ChargePoint of one connection),
``DataTransferMixin`` the station-side state and behaviour (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).
"""

from __future__ import annotations

__all__ = ["DataTransferHandlers", "DataTransferMixin"]


class DataTransferHandlers:
    """CSMS requests of this block; mixed into the ChargePoint."""


class DataTransferMixin:
    """State and behaviour of this block; mixed into the station."""
