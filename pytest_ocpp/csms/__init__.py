"""The fake CSMS (server role) that a charging station under test connects to: the shared
server in :mod:`.base`, one module per OCPP version with its reusable states."""

from pytest_ocpp.csms.base import CsmsBehaviour, FakeCsms, StationConnection
from pytest_ocpp.csms.v16 import FakeCsms16
from pytest_ocpp.csms.v201 import FakeCsms201

__all__ = ["CsmsBehaviour", "FakeCsms", "FakeCsms16", "FakeCsms201", "StationConnection"]
