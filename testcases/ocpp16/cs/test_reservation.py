"""OCTT 1.6, Charge Point under test, Reservation profile (OCTT 1.6 test case document, §2.20).

pytest-ocpp plays the Central System; physical actions go through the ``station_operator``.
Every case applies only when the station declares the Reservation feature profile, except the
negative variants TC_048_4_CS and TC_050_4_CS, which apply only when it does not.

The OCTT general preconditions (§1.3) include "no active reservations" and "connectors
available", which :meth:`FakeCsms.ready` does not restore by itself: each case undoes what it
changed (reservations, unavailable or faulted connectors, cables, transactions) on the way out.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms16 as FakeCsms
from pytest_ocpp.csms import StationConnection
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import NotApplicable, TargetTimeout, check, check_octt

HELD_FOR = 300
"""Expiry (s from now) of a reservation the scenario uses or cancels before it ends: long
enough for a person at a prompt, and never waited out."""

EXPIRES_IN = 5.0
"""TC_047_CS: the shortest expiry that leaves time to see the connector Reserved first."""

CLOCK_TOLERANCE = 1.0
"""How much earlier than the expiryDate the station may free the connector (clock steps)."""

REFUSAL_WINDOW = 2.0
"""How long a reserved connector must show no sign of starting for another idTag."""

STILL_RESERVED_WINDOW = 1.0
"""TC_052_CS: how long the connector must stay Reserved after a rejected cancellation."""

_reservation_ids = itertools.count(4601)


# -- helpers: OCTT 1.6 reusable states (§2.25) and their undoing ---------------------------------
def _requires_reservation(ocpp_config: Any) -> None:
    if "Reservation" not in ocpp_config.station.features:
        raise NotApplicable(
            "the station does not declare the Reservation feature profile "
            "([station] features in --ocpp-config)"
        )


def _lacks_reservation(ocpp_config: Any) -> None:
    if "Reservation" in ocpp_config.station.features:
        raise NotApplicable(
            "this negative variant is for stations without the Reservation feature profile, "
            "and this station declares it ([station] features in --ocpp-config)"
        )


def _format(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


async def _requires_connector_zero(csms: FakeCsms, sut: StationConnection) -> None:
    value = await csms.get_configuration(sut, "ReserveConnectorZeroSupported")
    if (value or "").strip().lower() != "true":
        raise NotApplicable(
            f"the station reports ReserveConnectorZeroSupported = {value!r}; the case needs "
            "reservations of connector 0 (OCPP 1.6 §5.13, §9.3.1 ReserveConnectorZeroSupported)"
        )


def _status(connector: int, status: str) -> Any:
    return lambda p: p["connectorId"] == connector and p["status"] == status


async def _nothing(
    sut: StationConnection,
    actions: list[str],
    predicate: Any,
    seconds: float,
    expectation: str,
    *,
    since: int,
) -> None:
    """An explicit "no such request arrives within ``seconds``" expectation, from ``since``."""
    try:
        found = await sut.wait_for(actions, predicate, timeout=seconds, since=since)
    except TargetTimeout:
        return
    check(False, expectation, f"{found.action}.req {found.payload}")


class _Undo:
    """What a scenario changed beyond the OCTT general preconditions, undone at its end."""

    def __init__(self, csms: FakeCsms, sut: StationConnection, operator: StationOperator) -> None:
        self.csms = csms
        self.sut = sut
        self.operator = operator
        self.reservations: list[int] = []
        self.inoperative: list[int] = []
        self.faults: list[int] = []
        self.cables: list[int] = []

    async def run(self) -> None:
        sut, csms = self.sut, self.csms
        if sut.closed:
            return
        mark = sut.mark()
        await csms.stop_transactions(sut, mark, "cleanup: the station idle again")
        for reservation_id in self.reservations:
            await sut.call("CancelReservation", {"reservationId": reservation_id}, allow_error=True)
        for connector in self.inoperative:
            await sut.call(
                "ChangeAvailability",
                {"connectorId": connector, "type": "Operative"},
                allow_error=True,
            )
        for connector in self.faults:
            await self.operator.perform("clear_fault", connector_id=connector)
        for connector in self.cables:
            await self.operator.plug_out(connector)
        touched = {*self.inoperative, *self.faults, *self.cables, csms.connector}
        if 0 in touched:
            touched |= set(csms.statuses)
        for connector in sorted(touched):
            if csms.statuses.get(connector, "Available") != "Available":
                await sut.wait_for(
                    "StatusNotification",
                    _status(connector, "Available"),
                    since=mark,
                    describe=f"connector {connector} Available (cleanup: OCTT 1.6 §1.3 "
                    "preconditions for the next case)",
                )


@contextlib.asynccontextmanager
async def _undoing(
    csms: FakeCsms, sut: StationConnection, operator: StationOperator
) -> AsyncIterator[_Undo]:
    """Undo the scenario's changes; after a failure, best effort (the failure is the verdict)."""
    undo = _Undo(csms, sut, operator)
    async with csms.undoing(undo.run):
        yield undo


async def _reserve(
    sut: StationConnection,
    undo: _Undo,
    connector: int,
    id_tag: str,
    *,
    expiry: datetime | None = None,
) -> tuple[int, str]:
    """ReserveNow.req (OCPP 1.6 §5.13); returns (reservationId, the station's status)."""
    reservation_id = next(_reservation_ids)
    expiry = expiry or datetime.now(timezone.utc) + timedelta(seconds=HELD_FOR)
    payload = {
        "connectorId": connector,
        "expiryDate": _format(expiry),
        "idTag": id_tag,
        "reservationId": reservation_id,
    }
    undo.reservations.append(reservation_id)
    step(f"1. ReserveNow.req connectorId {connector} idTag {id_tag}")
    reply = await sut.call("ReserveNow", payload)
    return reservation_id, reply["status"]


async def _reserved(
    csms: FakeCsms,
    sut: StationConnection,
    undo: _Undo,
    id_tag: str,
    *,
    parent_id_tag: str | None = None,
) -> int:
    """Reusable state Reserved (OCTT 1.6 §2.25) of the configured connector, remembered for
    the undo. Returns the reservationId."""
    reservation_id = next(_reservation_ids)
    undo.reservations.append(reservation_id)
    return await csms.reserved(
        sut,
        csms.connector,
        id_tag,
        reservation_id=reservation_id,
        expiry_seconds=HELD_FOR,
        parent_id_tag=parent_id_tag,
    )


async def _unused_unavailable(
    csms: FakeCsms, sut: StationConnection, undo: _Undo, ocpp_config: Any
) -> None:
    """ "SetConnectorUnavailable for all unused connectors": only the configured one is left."""
    for connector in range(1, ocpp_config.station.connectors + 1):
        if connector != csms.connector:
            undo.inoperative.append(connector)
            await csms.set_connector_unavailable(sut, connector)


async def _charging(
    csms: FakeCsms,
    sut: StationConnection,
    operator: StationOperator,
    undo: _Undo,
    id_tag: str,
    connector: int | None = None,
    *,
    authorize_optional: bool = False,
) -> IncomingCall:
    """Reusable state Charging (OCTT 1.6 §2.25); returns its StartTransaction.req."""
    connector = connector or csms.connector
    undo.cables.append(connector)
    mark = sut.mark()
    transaction_id = await csms.charging(
        sut, operator, connector, id_tag, authorize_optional=authorize_optional
    )
    return next(
        c
        for c in sut.link.inbox[mark:]
        if c.action == "StartTransaction"
        and (c.reply_payload or {}).get("transactionId") == transaction_id
    )


def _check_reservation_used(start: IncomingCall, reservation_id: int, id_tag: str) -> None:
    """OCPP 1.6 §5.13, §4.8: a transaction that ends a reservation names it."""
    payload = start.payload
    check("reservationId" in payload, "StartTransaction.req with a reservationId", payload)
    check(
        payload["reservationId"] == reservation_id,
        f"StartTransaction.req reservationId {reservation_id} (from ReserveNow.req)",
        payload,
    )
    check(payload["idTag"] == id_tag, f"StartTransaction.req idTag {id_tag}", payload)


# -- §2.20.1 Reservation of a Connector ----------------------------------------------------------
@ocpp_case("TC_046_1_CS")
async def test_tc_046_1_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.13: a reserved connector refuses other idTags and starts for the reserved
    one, naming the reservation in StartTransaction.req."""
    sut = await csms.ready(station_operator)
    _requires_reservation(ocpp_config)
    async with _undoing(csms, sut, station_operator) as undo:
        step("Before: SetConnectorUnavailable for all unused connectors")
        await _unused_unavailable(csms, sut, undo, ocpp_config)
        step("1-4. ReserveNow.req for the valid idTag; Accepted, then StatusNotification Reserved")
        reservation_id = await _reserved(csms, sut, undo, tags.valid)
        step("[EV driver presents another card (not the idTag from step 1)]")
        mark = sut.mark()
        await station_operator.present_id_tag(tags.valid_2, csms.connector)
        await _nothing(
            sut,
            ["StartTransaction", "StatusNotification"],
            lambda p: p["connectorId"] == csms.connector,
            REFUSAL_WINDOW,
            f"connector {csms.connector} to stay Reserved for another idTag (OCPP 1.6 §5.13)",
            since=mark,
        )
        step("[EV driver presents the card with the idTag from step 1]")
        mark = sut.mark()
        await station_operator.present_id_tag(tags.valid, csms.connector)
        step("7. StatusNotification.req Preparing")
        await sut.next_status(csms.connector, "Preparing", since=mark)
        step("5. The optional Authorize.req carries the idTag from step 1")
        for authorize in [c for c in sut.link.inbox[mark:] if c.action == "Authorize"]:
            check(
                authorize.payload["idTag"] == tags.valid,
                f"Authorize.req idTag {tags.valid}",
                authorize.payload,
            )
        step("[EV driver plugs in the cable at the reserved connector]")
        mark = sut.mark()
        undo.cables.append(csms.connector)
        await station_operator.plug_in(csms.connector)
        step("9. StartTransaction.req with the reservationId and idTag from step 1")
        start = await sut.wait_for("StartTransaction", since=mark)
        _check_reservation_used(start, reservation_id, tags.valid)
        step("11. StatusNotification.req Charging")
        await sut.next_status(csms.connector, "Charging", since=mark)


@ocpp_case("TC_046_2_CS")
async def test_tc_046_2_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.13, §5.11: a remote start for the reserved idTag ends the reservation and
    StartTransaction.req names it."""
    sut = await csms.ready(station_operator)
    _requires_reservation(ocpp_config)
    async with _undoing(csms, sut, station_operator) as undo:
        step("1-4. ReserveNow.req for the valid idTag; Accepted, then StatusNotification Reserved")
        reservation_id = await _reserved(csms, sut, undo, tags.valid)
        step("5. Charging (remote start) with the reserved idTag")
        start = await _charging(csms, sut, station_operator, undo, tags.valid)
        _check_reservation_used(start, reservation_id, tags.valid)


@ocpp_case("TC_047_CS")
async def test_tc_047_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.13: at its expiryDate the reservation ends and the connector is Available
    again, free for another idTag."""
    sut = await csms.ready(station_operator)
    _requires_reservation(ocpp_config)
    async with _undoing(csms, sut, station_operator) as undo:
        step("Before: SetConnectorUnavailable for all unused connectors")
        await _unused_unavailable(csms, sut, undo, ocpp_config)
        mark = sut.mark()
        expiry = datetime.now(timezone.utc) + timedelta(seconds=EXPIRES_IN)
        reservation_id, status = await _reserve(
            sut, undo, csms.connector, tags.valid, expiry=expiry
        )
        step(f"2. ReserveNow.conf Accepted (expiryDate in {EXPIRES_IN:g} s)")
        check(status == "Accepted", "ReserveNow.conf status Accepted", status)
        step("3. StatusNotification.req Reserved")
        await sut.next_status(csms.connector, "Reserved", since=mark)
        step("[The EV driver does not arrive] 5. StatusNotification.req Available after expiry")
        available = await sut.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == csms.connector,
            since=mark,
            timeout=EXPIRES_IN + sut.link.timeouts.message,
            describe=f"the next StatusNotification.req of connector {csms.connector} (expiry)",
        )
        check(
            available.payload["status"] == "Available",
            "StatusNotification.req status Available after the expiryDate",
            available.payload,
        )
        early = expiry.timestamp() - available.received_at
        check(
            early <= CLOCK_TOLERANCE,
            "the connector Available no earlier than the expiryDate",
            f"{early:.1f} s before it",
        )
        step("7. Charging with another valid idTag: the reservation has ended")
        start = await _charging(csms, sut, station_operator, undo, tags.valid_2)
        check(
            "reservationId" not in start.payload,
            f"StartTransaction.req without the expired reservation {reservation_id}",
            start.payload,
        )


@ocpp_case("TC_048_1_CS")
async def test_tc_048_1_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.13: a faulted connector is not reserved; ReserveNow.conf says Faulted."""
    sut = await csms.ready(station_operator)
    _requires_reservation(ocpp_config)
    async with _undoing(csms, sut, station_operator) as undo:
        step("Before: SetConnectorFaulted")
        undo.faults.append(csms.connector)
        await csms.set_connector_faulted(sut, station_operator, csms.connector)
        _, status = await _reserve(sut, undo, csms.connector, tags.valid)
        step("2. ReserveNow.conf Faulted")
        check(status == "Faulted", "ReserveNow.conf status Faulted", status)


@ocpp_case("TC_048_2_CS")
async def test_tc_048_2_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.13: an occupied connector is not reserved; ReserveNow.conf says Occupied."""
    sut = await csms.ready(station_operator)
    _requires_reservation(ocpp_config)
    async with _undoing(csms, sut, station_operator) as undo:
        step("Before: SetConnectorOccupied")
        undo.cables.append(csms.connector)
        await csms.set_connector_occupied(sut, station_operator, csms.connector)
        _, status = await _reserve(sut, undo, csms.connector, tags.valid)
        step("2. ReserveNow.conf Occupied")
        check(status == "Occupied", "ReserveNow.conf status Occupied", status)


@ocpp_case("TC_048_3_CS")
async def test_tc_048_3_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.13: an unavailable connector is not reserved; ReserveNow.conf says
    Unavailable."""
    sut = await csms.ready(station_operator)
    _requires_reservation(ocpp_config)
    async with _undoing(csms, sut, station_operator) as undo:
        step("Before: SetConnectorUnavailable")
        undo.inoperative.append(csms.connector)
        await csms.set_connector_unavailable(sut, csms.connector)
        _, status = await _reserve(sut, undo, csms.connector, tags.valid)
        step("2. ReserveNow.conf Unavailable")
        check(status == "Unavailable", "ReserveNow.conf status Unavailable", status)


@ocpp_case("TC_048_4_CS")
async def test_tc_048_4_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.13, §7.36: a station without the Reservation profile answers a connector
    reservation Rejected ("not configured to accept reservations")."""
    sut = await csms.ready(station_operator)
    _lacks_reservation(ocpp_config)
    async with _undoing(csms, sut, station_operator) as undo:
        _, status = await _reserve(sut, undo, csms.connector, tags.valid)
        step("2. ReserveNow.conf Rejected")
        check(status == "Rejected", "ReserveNow.conf status Rejected", status)


# -- §2.20.2 Reservation of a Charge Point -------------------------------------------------------
@ocpp_case("TC_049_CS")
async def test_tc_049_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.13: a reservation of connector 0 keeps a connector for the idTag, and the
    transaction that uses it names the reservation."""
    sut = await csms.ready(station_operator)
    _requires_reservation(ocpp_config)
    await _requires_connector_zero(csms, sut)
    async with _undoing(csms, sut, station_operator) as undo:
        step("Before: SetConnectorUnavailable for all unused connectors")
        await _unused_unavailable(csms, sut, undo, ocpp_config)
        mark = sut.mark()
        reservation_id, status = await _reserve(sut, undo, 0, tags.valid)
        step("2. ReserveNow.conf Accepted")
        check(status == "Accepted", "ReserveNow.conf status Accepted", status)
        step("3. StatusNotification.req Reserved")
        # Connector 0 reserves no connector in particular: the station may report the one it
        # holds (the only one left available). OCTT requires a Reserved notification; the
        # specification does not, so its absence is an OCTT-specific failure.
        try:
            await sut.wait_for(
                "StatusNotification",
                lambda p: p["status"] == "Reserved",
                since=mark,
                describe="StatusNotification.req status Reserved",
            )
        except TargetTimeout as exc:
            check_octt(
                False,
                "StatusNotification.req status Reserved after ReserveNow.req connectorId 0",
                str(exc),
                octt="TC_049_CS step 3 (status should be Reserved)",
                spec="OCPP 1.6 §5.13 says a reservation of connector 0 SHALL NOT reserve a "
                "specific connector, and connector 0 itself can only report Available, "
                "Unavailable or Faulted (§7.7): the specification requires no Reserved status",
            )
        step("5. Charging with the reserved idTag (sending an Authorize.req is optional)")
        start = await _charging(
            csms, sut, station_operator, undo, tags.valid, authorize_optional=True
        )
        _check_reservation_used(start, reservation_id, tags.valid)


@ocpp_case("TC_050_1_CS")
async def test_tc_050_1_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.13: a faulted charge point is not reserved; ReserveNow.conf says Faulted."""
    sut = await csms.ready(station_operator)
    _requires_reservation(ocpp_config)
    await _requires_connector_zero(csms, sut)
    async with _undoing(csms, sut, station_operator) as undo:
        step("Before: SetChargePointFaulted ([put the Charge Point into a Faulted state])")
        mark = sut.mark()
        undo.faults.append(0)
        await station_operator.perform("set_fault", connector_id=0, error_code="OtherError")
        step("[SetChargePointFaulted] 1. StatusNotification.req Faulted")
        await sut.wait_for(
            "StatusNotification",
            lambda p: p["status"] == "Faulted",
            since=mark,
            describe="StatusNotification.req status Faulted",
        )
        _, status = await _reserve(sut, undo, 0, tags.valid)
        step("2. ReserveNow.conf Faulted")
        check(status == "Faulted", "ReserveNow.conf status Faulted", status)


@ocpp_case("TC_050_2_CS")
async def test_tc_050_2_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.13: with every connector occupied, a charge point reservation is not made;
    ReserveNow.conf says Occupied."""
    sut = await csms.ready(station_operator)
    _requires_reservation(ocpp_config)
    await _requires_connector_zero(csms, sut)
    async with _undoing(csms, sut, station_operator) as undo:
        step("Before: SetConnectorOccupied for all connectors")
        for connector in range(1, ocpp_config.station.connectors + 1):
            undo.cables.append(connector)
            await csms.set_connector_occupied(sut, station_operator, connector)
        _, status = await _reserve(sut, undo, 0, tags.valid)
        step("2. ReserveNow.conf Occupied")
        check(status == "Occupied", "ReserveNow.conf status Occupied", status)


@ocpp_case("TC_050_3_CS")
async def test_tc_050_3_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.13: an unavailable charge point is not reserved; ReserveNow.conf says
    Unavailable."""
    sut = await csms.ready(station_operator)
    _requires_reservation(ocpp_config)
    await _requires_connector_zero(csms, sut)
    async with _undoing(csms, sut, station_operator) as undo:
        step("Before: SetChargePointUnavailable")
        undo.inoperative.append(0)
        await csms.set_charge_point_unavailable(sut)
        _, status = await _reserve(sut, undo, 0, tags.valid)
        step("2. ReserveNow.conf Unavailable")
        check(status == "Unavailable", "ReserveNow.conf status Unavailable", status)


@ocpp_case("TC_050_4_CS")
async def test_tc_050_4_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.13, §7.36: a station without the Reservation profile answers a charge point
    reservation Rejected."""
    sut = await csms.ready(station_operator)
    _lacks_reservation(ocpp_config)
    async with _undoing(csms, sut, station_operator) as undo:
        _, status = await _reserve(sut, undo, 0, tags.valid)
        step("2. ReserveNow.conf Rejected")
        check(status == "Rejected", "ReserveNow.conf status Rejected", status)


# -- §2.20.3 Cancel Reservation ------------------------------------------------------------------
@ocpp_case("TC_051_CS")
async def test_tc_051_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.1: a cancelled reservation frees the connector, and the next transaction
    does not name it."""
    sut = await csms.ready(station_operator)
    _requires_reservation(ocpp_config)
    async with _undoing(csms, sut, station_operator) as undo:
        step("Before: Reserved with the valid idTag")
        reservation_id = await _reserved(csms, sut, undo, tags.valid)
        step("1-2. CancelReservation.req for that reservationId; Accepted")
        mark = sut.mark()
        reply = await sut.call("CancelReservation", {"reservationId": reservation_id})
        check(reply["status"] == "Accepted", "CancelReservation.conf status Accepted", reply)
        step("3. StatusNotification.req Available for the reserved connector")
        await sut.next_status(csms.connector, "Available", since=mark)
        step("5. Charging with valid idTag 2: no reservationId")
        start = await _charging(csms, sut, station_operator, undo, tags.valid_2)
        check(
            "reservationId" not in start.payload,
            "StartTransaction.req without a reservationId",
            start.payload,
        )


@ocpp_case("TC_052_CS")
async def test_tc_052_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.1: CancelReservation of an unknown reservationId is Rejected and cancels
    nothing."""
    sut = await csms.ready(station_operator)
    _requires_reservation(ocpp_config)
    async with _undoing(csms, sut, station_operator) as undo:
        step("Before: Reserved")
        reservation_id = await _reserved(csms, sut, undo, tags.valid)
        step("1-2. CancelReservation.req for another reservationId; Rejected")
        mark = sut.mark()
        reply = await sut.call("CancelReservation", {"reservationId": reservation_id + 100_000})
        check(reply["status"] == "Rejected", "CancelReservation.conf status Rejected", reply)
        await _nothing(
            sut,
            ["StatusNotification"],
            lambda p: p["connectorId"] == csms.connector,
            STILL_RESERVED_WINDOW,
            f"connector {csms.connector} still Reserved: no reservation cancelled",
            since=mark,
        )


# -- §2.20.4 Use a reserved Connector with parentIdTag -------------------------------------------
async def _reserved_for_group(
    csms: FakeCsms, sut: StationConnection, undo: _Undo, ocpp_config: Any, tags: Any
) -> int:
    step("Before: SetConnectorUnavailable for all unused connectors")
    await _unused_unavailable(csms, sut, undo, ocpp_config)
    step("1-4. ReserveNow.req idTag valid, parentIdTag the group; Accepted, then Reserved")
    return await _reserved(csms, sut, undo, tags.valid, parent_id_tag=tags.parent)


async def _local_start_with_group_tag(
    csms: FakeCsms,
    sut: StationConnection,
    operator: StationOperator,
    undo: _Undo,
    tags: Any,
    reservation_id: int,
) -> None:
    step("5. Authorized with an idTag of the same group (parentIdTag from Authorize.conf)")
    await csms.authorized(sut, operator, id_tag=tags.valid_with_parent, connector_id=csms.connector)
    step("6. [EV driver plugs in the cable]")
    mark = sut.mark()
    undo.cables.append(csms.connector)
    await operator.plug_in(csms.connector)
    step("7-10. StartTransaction.req with the reservationId, and Charging (either order)")
    start = await sut.wait_for("StartTransaction", since=mark)
    _check_reservation_used(start, reservation_id, tags.valid_with_parent)
    await sut.next_status(csms.connector, "Charging", since=mark)


@ocpp_case("TC_053_CS")
async def test_tc_053_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.13: an idTag whose parentIdTag matches the reservation's may use the
    reserved connector, and StartTransaction.req names the reservation."""
    sut = await csms.ready(station_operator)
    _requires_reservation(ocpp_config)
    async with _undoing(csms, sut, station_operator) as undo:
        reservation_id = await _reserved_for_group(csms, sut, undo, ocpp_config, tags)
        await _local_start_with_group_tag(csms, sut, station_operator, undo, tags, reservation_id)


@ocpp_case("TC_053_1_CS")
async def test_tc_053_1_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.13: the local-start half of TC_053_CS (split out in a newer OCTT revision;
    steps of TC_053_CS, FINAL 2024-04): a group member's card starts on the reserved
    connector."""
    sut = await csms.ready(station_operator)
    _requires_reservation(ocpp_config)
    async with _undoing(csms, sut, station_operator) as undo:
        reservation_id = await _reserved_for_group(csms, sut, undo, ocpp_config, tags)
        await _local_start_with_group_tag(csms, sut, station_operator, undo, tags, reservation_id)


@ocpp_case("TC_053_2_CS")
async def test_tc_053_2_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.13, §5.11: the remote-start half of TC_053_CS (split out in a newer OCTT
    revision; its reservation, then reusable state Charging): a remote start for a group
    member uses the reservation made with the parentIdTag."""
    sut = await csms.ready(station_operator)
    _requires_reservation(ocpp_config)
    async with _undoing(csms, sut, station_operator) as undo:
        reservation_id = await _reserved_for_group(csms, sut, undo, ocpp_config, tags)
        step("5-14. Charging (remote start) with an idTag of the same group")
        start = await _charging(csms, sut, station_operator, undo, tags.valid_with_parent)
        _check_reservation_used(start, reservation_id, tags.valid_with_parent)
