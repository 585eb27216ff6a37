"""OCPP 2.0.1, CSMS under test, I. Tariff and Cost (2.0.1 Edition 3 Part 6 §3.10, Tables
566-567, and the 2025 errata §6.3.11-6.3.12).

pytest-ocpp plays the Charging Station (the OCTT column of each scenario table). "Execute
Reusable State X" is one call of the station's method for X (Part 6 §3.18, Tables 698-710).

A cost needs a tariff. TC_I_02's memory state says so ("CSMS is configured with a tariff which
is based on energy consumed", errata 2025-02 §6.3.12); TC_I_01's table names none, yet its
running cost needs one just the same, so both cases first configure the CSMS with the
``energy_tariff`` setting (``csms_operator.setup``, :data:`TARIFF_PER_KWH` per kWh) and undo it
at the end. A rig that cannot configure a tariff makes them not applicable.
"""

from __future__ import annotations

import asyncio
import itertools
import time

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check
from pytest_ocpp.verdicts import TargetTimeout, check_octt

from ._transaction_support import sampled_interval

TARIFF_PER_KWH = 0.25
"""The price per kWh the CSMS is configured with (``energy_tariff``); its currency is the
CSMS's own. No case judges the amount: the tables only ask for a cost to be sent."""

PERIODIC_METER_VALUES = 2
"""TC_I_01 step 7: "The OCTT will end the testcase after two MeterValues"."""


def _itself(station: Station201) -> Station201:
    """The station object behind the ``station`` fixture, which is a proxy that forwards
    attribute reads but not writes: state a scenario sets (the meter register, the reusable
    state reached) must be set on the station itself."""
    real: Station201 = station.transaction_event.__self__
    return real


def _answer_cost_updated(call: IncomingCall) -> dict[str, object]:
    """Step 10: the OCTT responds with a CostUpdatedResponse (I02.FR.02), whenever the CSMS
    sends one (the running cost may come at any moment, I02.FR.01)."""
    return {}


# -- §3.10 Show EV Driver running total cost during charging ---------------------------------
@ocpp_case("TC_I_01_CSMS", version="2.0.1")
async def test_tc_i_01_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """While a transaction charges, the CSMS gives the driver the running cost (I02.FR.01:
    "either a CostUpdatedRequest at a relevant interval/moment or the running cost in a
    TransactionEventResponse"); a CostUpdatedRequest names the running transaction.

    Departures from Table 566, with the reason:

    * Steps 1-4 (AuthorizeRequest, TransactionEventRequest Authorized) are reusable state
      Authorized (Table 702), whose validations are the table's (idTokenInfo.status Accepted
      at steps 2 and 4). The table says eventType Updated for that first TransactionEvent of a
      transaction that has not started; E01.FR.03 makes it Started, as Table 702 does.
    * Step 9: OCTT wants a CostUpdatedRequest after every periodic TransactionEventResponse
      without totalCost. I02.FR.01 asks for the running cost "at a relevant interval/moment";
      a CSMS that gives it at least once passes the specification's check, and one that skips
      a meter value fails OCTT's (marked OCTT-specific). A CostUpdatedRequest at any other
      moment is answered and tolerated.
    """
    interval = sampled_interval(station)
    wait = station.ctx.config.timeouts.message
    await csms_operator.setup(
        station,
        "energy_tariff",
        TARIFF_PER_KWH,
        why="the running cost needs a tariff based on energy consumed",
    )
    link = station.link
    assert link is not None, "the station fixture is connected"
    link.handlers["CostUpdated"] = _answer_cost_updated
    try:
        step("1-4. AuthorizeRequest and TransactionEventRequest Authorized (state Authorized)")
        await station.authorized()
        step("5. Execute Reusable State EVConnectedPreSession")
        await station.ev_connected_pre_session()
        step("6. Execute Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        transaction_id = station.transaction_id
        cost_given = False
        skipped: list[int] = []
        last = time.monotonic()
        for number in range(1, PERIODIC_METER_VALUES + 1):
            # "This step will be executed every <Configured sampled Meter Values interval>":
            # the station's clock, nothing to await.
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - last)))
            where = f"({number} of {PERIODIC_METER_VALUES})"
            step(f"7 {where}. The OCTT sends a TransactionEventRequest MeterValuePeriodic")
            mark = link.mark()
            last = time.monotonic()
            conf = await station.transaction_event("Updated", "MeterValuePeriodic", meter=True)
            step(f"8 {where}. The CSMS responds with a TransactionEventResponse")
            if "totalCost" in conf:
                cost_given = True
                continue
            step(f"9 {where}. The CSMS sends a CostUpdatedRequest (no totalCost at step 8)")
            try:
                request = await link.wait_for("CostUpdated", since=mark, timeout=wait)
            except TargetTimeout:
                skipped.append(number)
                continue
            cost_given = True
            check(
                request.payload.get("transactionId") == transaction_id,
                f"Step 9 {where}: CostUpdatedRequest transactionId {transaction_id} (the "
                "running transaction, I02)",
                request.payload,
            )
        check(
            cost_given,
            f"the running cost while charging: a CostUpdatedRequest or a totalCost in a "
            f"TransactionEventResponse within {wait:g} s of a periodic meter value (I02.FR.01)",
            "neither",
        )
        check_octt(
            not skipped,
            "Step 9: a CostUpdatedRequest after every TransactionEventResponse without totalCost",
            f"none after periodic meter value(s) {skipped}",
            octt="TC_I_01_CSMS step 9",
            spec="I02.FR.01 asks for the running cost at a relevant interval/moment",
        )
    finally:
        step("After: end the transaction (idle station for the next case); undo the tariff")
        await station.leave_idle()
        link.handlers.pop("CostUpdated", None)
        await csms_operator.setup(station, "energy_tariff", None)


# -- §3.10 Show EV Driver Final Total Cost After Charging ------------------------------------
@ocpp_case("TC_I_02_CSMS", version="2.0.1")
async def test_tc_i_02_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """When the transaction ends, the CSMS sends its total cost in the
    TransactionEventResponse (I03.FR.02: "SHALL send the total cost ... in the totalCost
    field"; I03.FR.04: 0.00 for a free one).

    Table 567 as the errata 2025-02 §6.3.12 rewrote it: the transaction goes through the
    reusable states EVConnectedPreSession (whose Transaction.Begin register reads 1000 Wh),
    Authorized, EnergyTransferStarted, StopAuthorized and EVConnectedPostSession, then ends
    with a Transaction.End register of 6000 Wh, so the CSMS knows the energy to bill. The
    station's meter counter is set to those readings before the two events that carry them.
    """
    await csms_operator.setup(
        station,
        "energy_tariff",
        TARIFF_PER_KWH,
        why="Memory State: CSMS is configured with a tariff which is based on energy consumed",
    )
    real = _itself(station)
    try:
        real.meter = itertools.count(1000, 250)
        step("1. Execute Reusable State EVConnectedPreSession (meterValue 1000, Begin)")
        await station.ev_connected_pre_session()
        step("2. Execute Reusable State Authorized")
        await station.authorized()
        step("3. Execute Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        step("4. Execute Reusable State StopAuthorized")
        await station.stop_authorized()
        step("5. Execute Reusable State EVConnectedPostSession")
        await station.ev_connected_post_session()
        step("6. The OCTT reports the connector Available")
        await station.connector_status(station.evse_id, station.connector_id, "Available")
        step("8. The OCTT sends a TransactionEventRequest Ended (meterValue 6000, End)")
        real.meter = itertools.count(6000, 250)
        conf = await station.transaction_event(
            "Ended",
            "EVCommunicationLost",
            charging_state="Idle",
            stopped_reason="EVDisconnected",
            meter=True,
        )
        real.ev_connected = False
        real.state = "EVDisconnected"
        step("9. The CSMS responds with a TransactionEventResponse")
        check(
            "totalCost" in conf,
            "Step 9: TransactionEventResponse totalCost not omitted (I03.FR.02: the CSMS "
            "sends the total cost of the ended transaction)",
            conf,
        )
    finally:
        step("After: end any transaction left (idle station for the next case); undo tariff")
        await station.leave_idle()
        await csms_operator.setup(station, "energy_tariff", None)
