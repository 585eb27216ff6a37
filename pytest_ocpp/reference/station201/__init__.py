"""Conformant reference OCPP 2.0.1 charging station (see :mod:`.station`)."""

from pytest_ocpp.config import Claims
from pytest_ocpp.reference.station201.operator import ACTIONS
from pytest_ocpp.reference.station201.station import DEFECTS, VARIANTS, ReferenceStation201

REFERENCE_CLAIMS = Claims(lacking=("AQ-2", "C-03"))
"""What the reference station has, as Part 5 claims: every profile and optional feature
but a connector cable lock before authorization (AQ-2) and MaxEnergyOnInvalidId (C-03)."""

__all__ = ["ACTIONS", "DEFECTS", "REFERENCE_CLAIMS", "VARIANTS", "ReferenceStation201"]
