"""OCPP 2.0.1, CSMS under test, E. Transactions (2.0.1 Edition 3 Part 6 §3.6 and the 2025
errata).

pytest-ocpp plays the Charging Station (the OCTT column of each scenario table). "Execute
Reusable State X" is one call of the station's method for X (Part 6 §3.18, Tables 698-710).
Cases that leave a transaction running end with an "After" step that ends it: every case
starts from an idle station.
"""

from __future__ import annotations

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.station import Station201


@ocpp_case("TC_E_03_CSMS", version="2.0.1")
async def test_tc_e_03_csms(station: Station201) -> None:
    """A local start with the cable plugged in first (E02): the transaction starts on
    CablePluggedIn, the idToken arrives in a later TransactionEventRequest and the CSMS answers
    it with an authorization status (E02.FR.02; Accepted, by reusable state Authorized)."""
    step("Before: Reusable State EVConnectedPreSession")
    await station.ev_connected_pre_session()
    step("1. Execute Reusable State Authorized")
    await station.authorized()
    step("2. Execute Reusable State EnergyTransferStarted")
    await station.energy_transfer_started()
    step("After: end the transaction and free the connector (idle station for the next case)")
    await station.leave_idle()


@ocpp_case("TC_E_04_CSMS", version="2.0.1")
async def test_tc_e_04_csms(station: Station201) -> None:
    """A local start with the idToken presented first (E03): the transaction starts on
    Authorized with the idToken, and the CSMS answers it with an authorization status
    (E03.FR.02; Accepted, by reusable state Authorized); the cable follows."""
    step("1. Execute Reusable State Authorized")
    await station.authorized()
    step("2. Execute Reusable State EnergyTransferStarted")
    await station.energy_transfer_started()
    step("After: end the transaction and free the connector (idle station for the next case)")
    await station.leave_idle()
