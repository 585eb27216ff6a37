"""The reference station's block N monitoring (SetVariableMonitoring, SetMonitoringBase/Level, ClearVariableMonitoring, GetMonitoringReport, NotifyEvent alerts).

``MonitoringHandlers`` holds the ``@on`` handlers (mixed into the ChargePoint of one connection),
``MonitoringMixin`` the station-side state and behaviour (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).
"""

from __future__ import annotations

__all__ = ["MonitoringHandlers", "MonitoringMixin"]


class MonitoringHandlers:
    """CSMS requests of this block; mixed into the ChargePoint."""


class MonitoringMixin:
    """State and behaviour of this block; mixed into the station."""
