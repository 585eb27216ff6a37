"""The fake charging station (client role): one module per OCPP version.

:class:`Station16` and :class:`Station201` carry each version's messages and the OCTT reusable
states (Booted, Authorized, Charging, EVConnectedPreSession, EnergyTransferStarted ...), so a
scenario says "execute reusable state Charging" in one line.
"""

from pytest_ocpp.station.base import FakeStation, now
from pytest_ocpp.station.v16 import Station16
from pytest_ocpp.station.v201 import Station201
from pytest_ocpp.verdicts import check

__all__ = ["FakeStation", "Station16", "Station201", "check", "now"]
