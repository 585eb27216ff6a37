"""Conformant reference OCPP 2.0.1 charging station (see :mod:`.station`)."""

from pytest_ocpp.config import Claims
from pytest_ocpp.reference.station201.operator import ACTIONS
from pytest_ocpp.reference.station201.station import DEFECTS, VARIANTS, ReferenceStation201

REFERENCE_CLAIMS = Claims(lacking=("AQ-2", "AS-2", "C-03", "UI-1.3", "UI-2.2", "SC-2.2"))
"""What the reference station has, as Part 5 claims: every profile and optional feature
but a connector cable lock before authorization (AQ-2), MaxEnergyOnInvalidId (C-03), the
display message priority NormalCycle (UI-1.3) and format HTML (UI-2.2): lacking one of each
makes the NotSupportedPriority/MessageFormat cases (TC_O_17/19_CS) apply; charging rate unit
W (SC-2.2): smart charging in A only makes TC_K_12/K_42_CS apply; and the additional root
certificate check (AS-2: SecurityCtrlr.AdditionalRootCertificateCheck is false), whose case
the proof runs cover with a station configured for it."""

__all__ = ["ACTIONS", "DEFECTS", "REFERENCE_CLAIMS", "VARIANTS", "ReferenceStation201"]
