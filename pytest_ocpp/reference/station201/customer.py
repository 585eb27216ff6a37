"""The reference station's block N customer information (CustomerInformation, NotifyCustomerInformation).

``CustomerHandlers`` holds the ``@on`` handlers (mixed into the ChargePoint of one connection),
``CustomerMixin`` the station-side state and behaviour (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).
"""

from __future__ import annotations

__all__ = ["CustomerHandlers", "CustomerMixin"]


class CustomerHandlers:
    """CSMS requests of this block; mixed into the ChargePoint."""


class CustomerMixin:
    """State and behaviour of this block; mixed into the station."""
