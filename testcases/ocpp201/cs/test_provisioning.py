"""OCPP 2.0.1, Charging Station under test, B. Provisioning (2.0.1 Edition 3 Part 6 §2.3 and
the 2025 errata).

pytest-ocpp plays the CSMS (the OCTT column of each scenario table). Each case first
re-establishes Part 6 §2.1's general preconditions (``csms.ready``); "Execute Reusable State X"
is one call of the fake CSMS's method for X (Part 6 §2.18, :mod:`pytest_ocpp.csms.states201`).
"""

from __future__ import annotations

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201
from pytest_ocpp.operators import StationOperator


@ocpp_case("TC_B_01_CS", version="2.0.1")
async def test_tc_b_01_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A cold boot (B01.FR.01, B01.FR.05, B01.FR.09): the station resets, sends a
    BootNotificationRequest, answered Accepted, and reports every connector's state (the post
    scenario validation: "a message to report the state of a connector has been received for
    all connectors"), through reusable state Booted, which judges each message."""
    sut = await csms.ready(station_operator)
    step("1. Execute Reusable State Booted")
    await csms.booted(sut, station_operator)
