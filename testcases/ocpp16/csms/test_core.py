"""OCTT 1.6, Central System under test, Core profile (OCTT 1.6 test case document, §3.1-3.13).

pytest-ocpp plays the Charge Point (the "Tool" column of each scenario table).
"""

from __future__ import annotations

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.station import check


@ocpp_case("TC_001_CSMS")
async def test_tc_001_csms(new_station, ocpp_config) -> None:
    step("1. The Charge Point sends a BootNotification.req")
    conf = await new_station.boot(expect_accepted=False)
    check(conf["status"] == "Accepted", "Step 2: BootNotification.conf status Accepted", conf)
    step("3. The Charge Point sends a StatusNotification.req per connector and connectorId 0")
    for connector in range(ocpp_config.station.connectors + 1):
        await new_station.status(connector, "Available")
    step("5. The Charge Point sends a Heartbeat.req")
    await new_station.heartbeat()
