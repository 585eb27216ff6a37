"""The reference station's block M ISO 15118 certificate management (install, delete, list, Get15118EVCertificate, GetCertificateStatus) and the station's certificate signing.

``CertificateHandlers`` holds the ``@on`` handlers (mixed into the ChargePoint of one connection),
``CertificateMixin`` the station-side state and behaviour (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).
"""

from __future__ import annotations

__all__ = ["CertificateHandlers", "CertificateMixin"]


class CertificateHandlers:
    """CSMS requests of this block; mixed into the ChargePoint."""


class CertificateMixin:
    """State and behaviour of this block; mixed into the station."""
