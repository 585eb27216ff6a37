"""OCTT 1.6, Charge Point under test, Core profile (OCTT 1.6 test case document, §2.1-2.16).

pytest-ocpp plays the Central System (the "Tool" column of each scenario table); physical
actions on the charge point go through the ``station_operator``.
"""

from __future__ import annotations

import time

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.verdicts import check


@ocpp_case("TC_001_CS")
async def test_tc_001_cs(csms, station_operator, ocpp_config) -> None:
    """OCPP 1.6 §4.2: a rejected charge point retries the boot after the given interval, then
    reports every connector and sends heartbeats at the accepted interval."""
    await csms.ready(station_operator)
    csms.behaviour.boot_status = "Rejected"
    csms.behaviour.heartbeat_interval = 1
    generation = csms.generation
    step("[Power cycle the Charge Point.]")
    await station_operator.power_cycle()
    sut = await csms.next_connection(after=generation)
    step("1-2. BootNotification.req, answered Rejected with interval 1 s")
    first = await sut.wait_for("BootNotification")
    rejected_at = time.monotonic()
    csms.behaviour.boot_status = "Accepted"
    csms.behaviour.heartbeat_interval = 2
    step("3. The Charge Point sends a BootNotification.req after the interval")
    await sut.wait_for("BootNotification", since=sut.link.inbox.index(first) + 1)
    waited = time.monotonic() - rejected_at
    check(waited >= 0.9, "the next BootNotification no earlier than the interval (1 s)", f"{waited:.2f} s")
    step("5. StatusNotification Available per connector and connectorId 0")
    for connector in range(ocpp_config.station.connectors + 1):
        await sut.wait_for(
            "StatusNotification",
            lambda p, c=connector: p["connectorId"] == c and p["status"] == "Available",
            describe=f"StatusNotification.req connectorId {connector} Available",
        )
    step("7. The Charge Point sends a Heartbeat.req every 2 s")
    mark = sut.mark()
    await sut.wait_for("Heartbeat", since=mark, timeout=5)
