"""Conformant reference OCPP 2.0.1 charging station (see :mod:`.station`)."""

from pytest_ocpp.reference.station201.operator import ACTIONS
from pytest_ocpp.reference.station201.station import DEFECTS, VARIANTS, ReferenceStation201

__all__ = ["ACTIONS", "DEFECTS", "VARIANTS", "ReferenceStation201"]
