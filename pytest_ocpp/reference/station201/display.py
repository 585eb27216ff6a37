"""The reference station's block O display messages (SetDisplayMessage, GetDisplayMessages, ClearDisplayMessage).

``DisplayHandlers`` holds the ``@on`` handlers (mixed into the ChargePoint of one connection),
``DisplayMixin`` the station-side state and behaviour (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).
"""

from __future__ import annotations

__all__ = ["DisplayHandlers", "DisplayMixin"]


class DisplayHandlers:
    """CSMS requests of this block; mixed into the ChargePoint."""


class DisplayMixin:
    """State and behaviour of this block; mixed into the station."""
