"""The reference station's block L firmware updates (UpdateFirmware, FirmwareStatusNotification, PublishFirmware).

``FirmwareHandlers`` holds the ``@on`` handlers (mixed into the ChargePoint of one connection),
``FirmwareMixin`` the station-side state and behaviour (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).
"""

from __future__ import annotations

__all__ = ["FirmwareHandlers", "FirmwareMixin"]


class FirmwareHandlers:
    """CSMS requests of this block; mixed into the ChargePoint."""


class FirmwareMixin:
    """State and behaviour of this block; mixed into the station."""
