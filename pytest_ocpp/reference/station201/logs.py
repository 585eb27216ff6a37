"""The reference station's block N log retrieval (GetLog, LogStatusNotification).

``LogHandlers`` holds the ``@on`` handlers (mixed into the ChargePoint of one connection),
``LogMixin`` the station-side state and behaviour (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).
"""

from __future__ import annotations

__all__ = ["LogHandlers", "LogMixin"]


class LogHandlers:
    """CSMS requests of this block; mixed into the ChargePoint."""


class LogMixin:
    """State and behaviour of this block; mixed into the station."""
