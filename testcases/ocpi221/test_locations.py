"""OCPI 2.2.1 mod_locations, the CPO's Sender interface."""

from __future__ import annotations

from pytest_ocpp.ocpi import models
from pytest_ocpp.ocpi.case import OcpiCase, ocpi_case
from pytest_ocpp.ocpi.checks import crawl
from pytest_ocpp.ocpi.transport import ocpi_response
from pytest_ocpp.verdicts import check


@ocpi_case("OCPI_LOC_01")
async def test_ocpi_loc_01_locations(ocpi: OcpiCase) -> None:
    """mod_locations §Sender Interface: every Location (with its EVSEs and Connectors) valid
    against §Location Object, §EVSE Object, §Connector Object; GET of one Location, one EVSE
    and one Connector by id returns that object; the configured location_id / evse_uid exist."""
    await ocpi.registered()
    url = ocpi.endpoint("locations", "SENDER")
    locations, _ = await crawl(ocpi, url, models.LOCATION, limit=10)
    check(bool(locations), "at least one Location", "an empty list")
    wanted = ocpi.config.location_id
    location = (
        next((loc for loc in locations if loc["id"] == wanted), None) if wanted else locations[0]
    )
    check(
        location is not None,
        f"the configured location_id {wanted} ([ocpi])",
        [loc["id"] for loc in locations],
    )
    assert location is not None
    one = ocpi_response(await ocpi.get(f"{url}/{location['id']}"), definition=models.LOCATION)
    check(one.get("id") == location["id"], f"Location {location['id']}", one.get("id"))
    evses = location.get("evses") or []
    if not evses:
        return
    uid = ocpi.config.evse_uid or evses[0]["uid"]
    evse = ocpi_response(await ocpi.get(f"{url}/{location['id']}/{uid}"), definition=models.EVSE)
    check(evse.get("uid") == uid, f"EVSE {uid}", evse.get("uid"))
    connector_id = evse["connectors"][0]["id"]
    connector = ocpi_response(
        await ocpi.get(f"{url}/{location['id']}/{uid}/{connector_id}"), definition=models.CONNECTOR
    )
    check(connector.get("id") == connector_id, f"Connector {connector_id}", connector.get("id"))
