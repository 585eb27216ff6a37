"""OCPP 2.0.1, Charging Station under test, H. Reservation of an unspecified EVSE (H01 S1) and of
a connector type (H01 S3) (2.0.1 Edition 3 Part 6 §2.9, Tables 225-232 and 239, with errata
5.16, 5.19, 6.2.60 and 6.2.61). The specific-EVSE cases are in :mod:`.test_reservation`,
whose module docstring lists the departures common to both.

Conditions (Part 5): R-2 (ReservationCtrlr.NonEvseSpecific) for the unspecified-EVSE cases,
R-1 (a connector type of ConnectorEnumType) for the connectorType ones (errata 5.19/6.2.61).
TC_H_13_CS is for a station WITHOUT R-2 (erratum 5.16): with the default claims (everything)
a ``requires="not R-2"`` would never let it run, so it asks the station instead and is not
applicable when ReservationCtrlr.NonEvseSpecific is true, or when ``[claims] features`` lists
R-2.

Where a table expects the connector Reserved after a reservation without an EVSE, a station
with more than one free EVSE need not show any EVSE Reserved (H01.FR.07/20: only once the
reservations take every free EVSE; erratum 6.2.60 made TC_H_08's report optional, TC_H_15's
note says the same): that report is required only of a one-EVSE station, and judged when
sent. TC_H_24's step 3 is treated the same way (departure: its note has no such condition,
but H01.FR.20 and erratum 6.2.60 apply alike).
"""

from __future__ import annotations

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import check, not_applicable

from ._reservation_support import (
    NON_EVSE_SPECIFIC,
    check_reservation_id,
    group_token,
    optional_reserved,
    prepare,
    require_non_evse_specific,
    reserve_now,
)

RESERVATION_ID = 1


async def _connector_type(csms: FakeCsms201, sut: StationConnection) -> str:
    """OCTT's <Configured connectorType>: ``[station] reservation_connector_type``, else the
    ConnectorType the station reports for the configured connector."""
    configured = csms.config.station.extra.get("reservation_connector_type")
    if configured:
        return str(configured)
    text = f"Connector({csms.evse},{csms.connector}).ConnectorType"
    value = await csms.get_variable(sut, text)
    if not value:
        raise not_applicable(
            f"no <Configured connectorType>: set [station] reservation_connector_type ({text} "
            "is not reported)"
        )
    return value


async def _all_reserved(csms: FakeCsms201, sut: StationConnection) -> int:
    """ "All EVSE are Reserved": Reusable State Reserved for each EVSE (reservation id = EVSE
    id). Returns the next free reservation id."""
    evses = range(1, csms.config.station.connectors + 1)
    for evse in evses:
        step(f"(Reusable State) Reserved for EVSE {evse}")
        await csms.reserved(sut, evse_id=evse, reservation_id=evse)
    return len(evses) + 1


def _tokens(csms: FakeCsms201, count: int) -> list[dict[str, str]]:
    """<A different idToken for every reservation being made> (TC_H_14_CS): the configured
    valid tags first, then generated ones (a reservation's idToken need not be known)."""
    tags = csms.config.tags
    values = [tags.valid, tags.valid_2, tags.valid_with_parent, tags.valid_2_with_parent]
    values += [f"RESERVE_{n}" for n in range(len(values), count)]
    return [csms.id_token(value) for value in values[:count]]


@ocpp_case("TC_H_08_CS", version="2.0.1", requires="R-2")
async def test_tc_h_08_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Reserve an unspecified EVSE and use it (H01.FR.04/07/15, H03.FR.03): ReserveNow without
    evseId for the valid idToken is Accepted (the connector reported Reserved when the
    station has one EVSE; optional otherwise, erratum 6.2.60); the valid idToken (erratum
    6.2.60) is Authorized, charges, and the transaction reports the reservationId
    (H01.FR.15)."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    await require_non_evse_specific(csms, sut)
    mark = sut.mark()
    await reserve_now(
        sut,
        "1",
        "Accepted",
        reservation_id=RESERVATION_ID,
        id_token=csms.id_token(),
        rule="H01.FR.04",
    )
    await optional_reserved(
        csms, sut, since=mark, label="TC_H_08_CS step 3", why="erratum 6.2.60, H01.FR.20"
    )
    auth_mark = sut.mark()
    await csms.authorized(sut, station_operator)
    await csms.energy_transfer_started(sut, station_operator)
    check_reservation_id(sut, RESERVATION_ID, since=auth_mark, label="TC_H_08_CS step 4")


@ocpp_case("TC_H_09_CS", version="2.0.1", requires="R-2")
async def test_tc_h_09_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """With every EVSE reserved, a ReserveNowRequest without evseId is answered Occupied
    (H01.FR.11)."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    await require_non_evse_specific(csms, sut)
    next_id = await _all_reserved(csms, sut)
    await reserve_now(
        sut,
        "1",
        "Occupied",
        reservation_id=next_id,
        id_token=csms.id_token(),
        rule="H01.FR.11: every EVSE is reserved",
    )


@ocpp_case("TC_H_10_CS", version="2.0.1", requires="R-2")
async def test_tc_h_10_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """With an energy transfer on every EVSE, a ReserveNowRequest without evseId is answered
    Occupied (H01.FR.13). EnergyTransferStarted runs "for EVSE.id = n" for each EVSE (the
    fake CSMS's states follow one EVSE at a time, ``csms.on_evse``), with the configured
    valid idToken; <Configured expiryDateTime> is one hour ahead."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    await require_non_evse_specific(csms, sut)
    for evse in range(1, csms.config.station.connectors + 1):
        with csms.on_evse(evse):
            step(f"(Reusable State) EnergyTransferStarted for EVSE.id = {evse}")
            await csms.energy_transfer_started(sut, station_operator)
    await reserve_now(
        sut,
        "1",
        "Occupied",
        reservation_id=RESERVATION_ID,
        id_token=csms.id_token(),
        rule="H01.FR.13: every EVSE is occupied",
    )


@ocpp_case("TC_H_12_CS", version="2.0.1", requires="R-2")
async def test_tc_h_12_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """With the Charging Station Unavailable (Reusable State Unavailable for the whole
    station), a ReserveNowRequest without evseId is answered Unavailable (H01.FR.14)."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    await require_non_evse_specific(csms, sut)
    step("(Memory State) Charging Station is Unavailable")
    await csms.unavailable(sut, whole="station")
    await reserve_now(
        sut,
        "1",
        "Unavailable",
        reservation_id=RESERVATION_ID,
        id_token=csms.id_token(),
        rule="H01.FR.14: every EVSE is Unavailable",
    )


@ocpp_case("TC_H_13_CS", version="2.0.1")
async def test_tc_h_13_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A station that does not support reservations of an unspecified EVSE rejects them
    (H01.FR.19): ReserveNow without evseId is Rejected. Not applicable when the station has
    ReservationCtrlr.NonEvseSpecific true or the claims list R-2 (erratum 5.16: NOT R-2; see
    the module docstring)."""
    features = csms.config.claims.features
    if features is not None and "R-2" in features:
        raise not_applicable("the station claims R-2 (reservation of an unspecified EVSE)")
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    value = await csms.get_variable(sut, NON_EVSE_SPECIFIC)
    if value is not None and value.strip().lower() == "true":
        raise not_applicable(
            f"{NON_EVSE_SPECIFIC} is true: the station supports reservations of an unspecified "
            "EVSE (prerequisite: not implemented or false)"
        )
    await reserve_now(
        sut,
        "1",
        "Rejected",
        reservation_id=RESERVATION_ID,
        id_token=csms.id_token(),
        rule=f"H01.FR.19: {NON_EVSE_SPECIFIC} is {value or 'not implemented'}",
    )


@ocpp_case("TC_H_14_CS", version="2.0.1", requires="R-2")
async def test_tc_h_14_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """As many reservations without evseId as EVSEs, each for its own idToken, are all
    Accepted, and then every EVSE's connectors are reported Reserved (H01.FR.20)."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    await require_non_evse_specific(csms, sut)
    count = csms.config.station.connectors
    mark = sut.mark()
    for n, token in enumerate(_tokens(csms, count), start=1):
        await reserve_now(
            sut, "1", "Accepted", reservation_id=n, id_token=token, rule=f"reservation {n}"
        )
    step("3. The Charging Station reports every connector Reserved")
    for evse in range(1, count + 1):
        item = await sut.wait_for(
            "StatusNotification",
            lambda p, e=evse: p["evseId"] == e and p["connectorStatus"] == "Reserved",
            since=mark,
            describe=f"StatusNotificationRequest connectorStatus Reserved for evseId {evse} "
            "(H01.FR.20: the reservations take every EVSE)",
        )
        check(
            item.payload["connectorId"] != 0,
            "TC_H_14_CS step 3: StatusNotificationRequest connectorId not 0",
            item.payload,
        )


@ocpp_case("TC_H_15_CS", version="2.0.1", requires="R-1")
async def test_tc_h_15_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Reserve a connector type and use it (H01.FR.06/09/15, H03.FR.02): ReserveNow with
    <Configured connectorType> for the valid idToken is Accepted (the connector reported
    Reserved when the station has one EVSE, per the table's note); the valid idToken is
    Authorized on the configured EVSE (of that type), charges, and the transaction reports
    the reservationId (H01.FR.15)."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    connector_type = await _connector_type(csms, sut)
    mark = sut.mark()
    await reserve_now(
        sut,
        "1",
        "Accepted",
        reservation_id=RESERVATION_ID,
        id_token=csms.id_token(),
        connector_type=connector_type,
        rule="H01.FR.06",
    )
    await optional_reserved(
        csms, sut, since=mark, label="TC_H_15_CS step 3", why="the table's note, H01.FR.24"
    )
    auth_mark = sut.mark()
    await csms.authorized(sut, station_operator)
    await csms.energy_transfer_started(sut, station_operator)
    check_reservation_id(sut, RESERVATION_ID, since=auth_mark, label="TC_H_15_CS step 6")


@ocpp_case("TC_H_16_CS", version="2.0.1", requires="R-1")
async def test_tc_h_16_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """With every EVSE reserved (Configuration State "All EVSEs should be reserved"), a
    ReserveNowRequest for <Configured connectorType> is answered Occupied (H01.FR.11)."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    connector_type = await _connector_type(csms, sut)
    next_id = await _all_reserved(csms, sut)
    await reserve_now(
        sut,
        "1",
        "Occupied",
        reservation_id=next_id,
        id_token=csms.id_token(),
        connector_type=connector_type,
        rule="H01.FR.11: every EVSE is reserved",
    )


@ocpp_case("TC_H_24_CS", version="2.0.1", requires="R-2")
async def test_tc_h_24_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A reservation without evseId with a groupIdToken admits another idToken of the group
    (H03.FR.06): ReserveNow with the valid idToken and groupIdToken ``[tags] parent`` is
    Accepted (Reserved reported as in TC_H_08, see the module docstring); ``[tags]
    valid_2_with_parent`` (OCTT's valid_idtoken2, of that group) is Authorized and
    charges."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    await require_non_evse_specific(csms, sut)
    mark = sut.mark()
    await reserve_now(
        sut,
        "1",
        "Accepted",
        reservation_id=RESERVATION_ID,
        id_token=csms.id_token(),
        group=group_token(csms),
        rule="H01.FR.04",
    )
    await optional_reserved(
        csms, sut, since=mark, label="TC_H_24_CS step 3", why="H01.FR.20, erratum 6.2.60"
    )
    await csms.authorized(
        sut, station_operator, id_token=csms.id_token(csms.config.tags.valid_2_with_parent)
    )
    await csms.energy_transfer_started(sut, station_operator)
