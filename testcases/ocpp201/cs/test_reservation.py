"""OCPP 2.0.1, Charging Station under test, H. Reservation of a specific EVSE, cancellation and
the reservation's end (2.0.1 Edition 3 Part 6 §2.9, Tables 219-224, 233-238, and the 2025
errata). The unspecified-EVSE and connectorType cases are in :mod:`.test_reservation_unspecified`.

pytest-ocpp plays the CSMS (the OCTT column of each scenario table). Each case first
re-establishes Part 6 §2.1's general preconditions (``csms.ready``), which also cancels the
reservations a case left and undoes its ChangeAvailability; "Execute Reusable State X" is one
call of the fake CSMS's method for X (Part 6 §2.18, :mod:`pytest_ocpp.csms.states201`). A
Memory State "<Configured evseId> is Reserved" is reached through the Reusable State Reserved
(Table 424), the only way a CSMS has to reserve.

Common departures from the tables:

* The tables name the 2.0 variables ReservationCtrlr.ReservationAvailable/ReservationEnabled;
  the 2.0.1 device model has ReservationCtrlr.Available/Enabled. A station reporting
  Available false is not applicable (prerequisite).
* Every ReserveNowRequest carries the schema's required ``id`` and ``expiryDateTime`` (one
  hour ahead unless the case needs the reservation to expire) where a table does not list them.
* "Notifies the CSMS about the status change of the connector": the StatusNotificationRequest
  is awaited; a NotifyEvent for the same AvailabilityState is judged when sent, never
  required (H01.FR.20/23 allow either; the fake CSMS's states do the same).
* H01.FR.15 (listed by TC_H_01 and TC_H_19): after the reserved idToken's authorization, a
  TransactionEventRequest of the transaction must carry the reservationId. The tables do not
  validate it; the requirement is a SHALL, so the case does.
"""

from __future__ import annotations

import time

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import TargetTimeout, check

from ._reservation_support import (
    DEFAULT_SHORT_EXPIRY,
    DEVIATION,
    check_reservation_id,
    evse_reported,
    group_token,
    prepare,
    reservation_update,
    reserve_now,
)

RESERVATION_ID = 1
"""The id of the Reusable State Reserved's reservation (the fake CSMS's default)."""


@ocpp_case("TC_H_01_CS", version="2.0.1")
async def test_tc_h_01_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Reserve a specific EVSE, then use it with the reserved idToken (H01.FR.15, H03.FR.01,
    H03.FR.09/10): Reserved, Authorized with the configured valid idToken (the connector
    turns Available: the reservation is consumed), EnergyTransferStarted; the transaction
    reports the reservationId (H01.FR.15, see the module docstring)."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    await csms.reserved(sut)
    mark = sut.mark()
    await csms.authorized(sut, station_operator)
    step("Step 2: after authorization the connector changes from Reserved to Available")
    await evse_reported(
        csms, sut, csms.evse, "Available", since=mark, label=" (H03.FR.10: the reservation is used)"
    )
    await csms.energy_transfer_started(sut, station_operator)
    check_reservation_id(sut, RESERVATION_ID, since=mark, label="TC_H_01_CS step 3")


@ocpp_case("TC_H_02_CS", version="2.0.1")
async def test_tc_h_02_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A reserved EVSE refuses every other idToken (H03.FR.01, F01.FR.22): with the EVSE
    reserved for the configured valid idToken and the EV connected (EVConnectedPreSession, a
    transaction may start with TxStartPoint EVConnected), the operator presents
    <Configured valid_idtoken2>: no TransactionEventRequest with chargingState Charging may
    follow within the message timeout (main A); a RequestStartTransactionRequest for it on
    that EVSE must be Rejected (main B). Departures: both mains run, A first (OCTT runs the
    one configured); main A's "Execute reusable state Authorized" is not run, since the
    table's pass criterion is that the idToken does NOT get to charge: an AuthorizeRequest is
    legal, a TransactionEventRequest reporting the authorization of that idToken is shown as
    a warning. Waits the message timeout (the table's own wait)."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    await csms.reserved(sut)
    await csms.ev_connected_pre_session(sut, station_operator)
    other = csms.id_token(csms.config.tags.valid_2)
    mark = sut.mark()
    step(f"Main A: manual action: authorize with <Configured valid_idtoken2> {other['idToken']}")
    await station_operator.perform(
        "present_id_token", id_token=other["idToken"], type=other["type"], evse_id=csms.evse
    )
    step("Main A: no TransactionEventRequest with chargingState Charging (message timeout)")
    try:
        charging = await sut.wait_for(
            "TransactionEvent",
            lambda p: (p.get("transactionInfo") or {}).get("chargingState") == "Charging",
            since=mark,
            timeout=csms.config.timeouts.message,
            describe="no TransactionEventRequest with chargingState Charging",
        )
    except TargetTimeout:
        charging = None
    check(
        charging is None,
        "TC_H_02_CS main A: no TransactionEventRequest with chargingState Charging for an "
        "idToken that does not match the reservation (H03.FR.01)",
        charging.payload if charging is not None else None,
    )
    for item in sut.link.inbox[mark:]:
        token = item.payload.get("idToken") or {}
        if item.action == "TransactionEvent" and token.get("idToken") == other["idToken"]:
            warn(
                "a TransactionEventRequest reported the authorization of the idToken that "
                f"does not match the reservation (triggerReason {item.payload.get('triggerReason')})"
            )
    step("Main B 1. The OCTT sends a RequestStartTransactionRequest with <valid_idtoken2>")
    answer = await sut.call(
        "RequestStartTransaction",
        {"idToken": other, "remoteStartId": 1, "evseId": csms.evse},
    )
    check(
        answer.get("status") == "Rejected",
        "TC_H_02_CS main B step 2: RequestStartTransactionResponse status must be Rejected "
        "(H03.FR.01: the EVSE is reserved for another idToken)",
        answer,
    )


@ocpp_case("TC_H_03_CS", version="2.0.1")
async def test_tc_h_03_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A ReserveNowRequest for an EVSE already reserved is answered Occupied (H01.FR.11).
    The second reservation has its own id (2): the same id would replace the first
    (H01.FR.02, TC_H_23_CS)."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    step("(Memory State) <Configured evseId> is Reserved")
    await csms.reserved(sut)
    await reserve_now(
        sut,
        "1",
        "Occupied",
        reservation_id=RESERVATION_ID + 1,
        id_token=csms.id_token(csms.config.tags.valid_2),
        evse_id=csms.evse,
        rule="H01.FR.11: the EVSE is reserved",
    )


@ocpp_case("TC_H_04_CS", version="2.0.1")
async def test_tc_h_04_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A ReserveNowRequest for an EVSE with an energy transfer going on is answered Occupied
    (H01.FR.13)."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    step("(Memory State) State is EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    await reserve_now(
        sut,
        "1",
        "Occupied",
        reservation_id=RESERVATION_ID,
        id_token=csms.id_token(csms.config.tags.valid_2),
        evse_id=csms.evse,
        rule="H01.FR.13: the EVSE is occupied",
    )


@ocpp_case("TC_H_06_CS", version="2.0.1")
async def test_tc_h_06_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A ReserveNowRequest for an Unavailable EVSE is answered Unavailable (H01.FR.14); the
    EVSE is made Unavailable through Reusable State Unavailable for the whole EVSE."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    step("(Memory State) <Configured evseId> is Unavailable")
    await csms.unavailable(sut, whole="evse")
    await reserve_now(
        sut,
        "1",
        "Unavailable",
        reservation_id=RESERVATION_ID,
        id_token=csms.id_token(csms.config.tags.valid_2),
        evse_id=csms.evse,
        rule="H01.FR.14",
    )


@ocpp_case("TC_H_07_CS", version="2.0.1")
async def test_tc_h_07_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A reservation that is not used ends at its expiryDateTime (H04.FR.01-03): the EVSE's
    connectors are reported Available (not before the expiry, within the 4 s deviation) and
    a ReservationStatusUpdateRequest Expired names the reservation; then another idToken
    (<Configured valid_idtoken2>) is Authorized and charges. Departure: the expiryDateTime is
    ``[station] reservation_expiry`` seconds ahead (default 3) instead of the note's 60 s, to
    keep the case short; the two reports are accepted in either order."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    seconds = int(csms.config.station.extra.get("reservation_expiry", DEFAULT_SHORT_EXPIRY))
    step(f"(Memory State) <Configured evseId> is Reserved, expiring in {seconds} s")
    started = time.time()
    mark = sut.mark()
    await csms.reserved(sut, expiry_seconds=seconds)
    wait = seconds + csms.config.timeouts.message
    step("1. The Charging Station reports the connector(s) Available at the expiry")
    reports = await evse_reported(
        csms,
        sut,
        csms.evse,
        "Available",
        since=mark,
        label=" (H04.FR.03: the reservation expired)",
        timeout=wait,
    )
    for item in reports:
        check(
            item.received_at >= started + seconds - DEVIATION,
            f"TC_H_07_CS step 1: the connector is Available again only at the expiryDateTime "
            f"({seconds} s after the reservation; deviation {DEVIATION:g} s)",
            {"after_seconds": round(item.received_at - started, 1), **item.payload},
        )
    step("3. The Charging Station sends a ReservationStatusUpdateRequest")
    update = await sut.wait_for(
        "ReservationStatusUpdate",
        since=mark,
        timeout=wait,
        describe="ReservationStatusUpdateRequest Expired (H04.FR.01)",
    )
    reservation_update(update, RESERVATION_ID, "Expired", label="TC_H_07_CS step 3 (H04.FR.01)")
    csms.reservations201.discard(RESERVATION_ID)
    await csms.authorized(sut, station_operator, id_token=csms.id_token(csms.config.tags.valid_2))
    await csms.energy_transfer_started(sut, station_operator)


@ocpp_case("TC_H_17_CS", version="2.0.1")
async def test_tc_h_17_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """CancelReservation of a pending reservation is Accepted and every connector of the EVSE
    is reported Available again (H02.FR.02; errata 6.2.62: each connector of the EVSE)."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    step("(Memory State) <Configured evseId> is Reserved")
    await csms.reserved(sut)
    mark = sut.mark()
    step(f"1. The OCTT sends a CancelReservationRequest with reservationId {RESERVATION_ID}")
    answer = await sut.call("CancelReservation", {"reservationId": RESERVATION_ID})
    check(
        answer.get("status") == "Accepted",
        "TC_H_17_CS step 2: CancelReservationResponse status must be Accepted (H02.FR.02)",
        answer,
    )
    step("3. The Charging Station reports the connector(s) Available")
    await evse_reported(
        csms, sut, csms.evse, "Available", since=mark, label=" (H02.FR.02: reservation cancelled)"
    )


@ocpp_case("TC_H_18_CS", version="2.0.1")
async def test_tc_h_18_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """CancelReservation of a reservationId the station does not have is Rejected
    (H02.FR.01); the general preconditions leave no reservation."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    step("1. The OCTT sends a CancelReservationRequest with reservationId 1")
    answer = await sut.call("CancelReservation", {"reservationId": 1})
    check(
        answer.get("status") == "Rejected",
        "TC_H_18_CS step 2: CancelReservationResponse status must be Rejected (H02.FR.01)",
        answer,
    )


@ocpp_case("TC_H_19_CS", version="2.0.1")
async def test_tc_h_19_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A reservation with a groupIdToken admits another idToken of that group (H01.FR.15,
    H03.FR.04/08): ReserveNow for the configured EVSE with the valid idToken and groupIdToken
    ``[tags] parent`` is Accepted, the connector reported Reserved; then ``[tags]
    valid_2_with_parent`` (OCTT's valid idtoken fields2, whose AuthorizeResponse carries that
    groupIdToken) is Authorized and charges, and the transaction reports the reservationId
    (H01.FR.15, see the module docstring)."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    mark = sut.mark()
    await reserve_now(
        sut,
        "1",
        "Accepted",
        reservation_id=RESERVATION_ID,
        id_token=csms.id_token(),
        evse_id=csms.evse,
        group=group_token(csms),
    )
    step("3. The Charging Station reports the connector(s) Reserved")
    await evse_reported(csms, sut, csms.evse, "Reserved", since=mark, label=" (H01.FR.23)")
    member = csms.id_token(csms.config.tags.valid_2_with_parent)
    auth_mark = sut.mark()
    await csms.authorized(sut, station_operator, id_token=member)
    await csms.energy_transfer_started(sut, station_operator)
    check_reservation_id(sut, RESERVATION_ID, since=auth_mark, label="TC_H_19_CS step 4")


@ocpp_case("TC_H_21_CS", version="2.0.1")
async def test_tc_h_21_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A reserved EVSE set Inoperative loses its reservation (H01.FR.17): ChangeAvailability
    Inoperative for the EVSE is Accepted, its connectors reported Unavailable, a
    ReservationStatusUpdateRequest Removed names the reservation; Operative again, the
    connectors Available, and another idToken (<Configured valid_idtoken2>) is Authorized and
    charges. The Unavailable report and the ReservationStatusUpdate are accepted in either
    order."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    step("(Memory State) <Configured evseId> is Reserved")
    await csms.reserved(sut)
    mark = sut.mark()
    target = {"evse": {"id": csms.evse}}
    step(f"1. The OCTT sends a ChangeAvailabilityRequest Inoperative for EVSE {csms.evse}")
    answer = await sut.call("ChangeAvailability", {"operationalStatus": "Inoperative", **target})
    check(
        answer.get("status") == "Accepted",
        "TC_H_21_CS step 2: ChangeAvailabilityResponse status Accepted",
        answer,
    )
    step("3. The Charging Station reports the connector(s) Unavailable")
    await evse_reported(csms, sut, csms.evse, "Unavailable", since=mark, label=" (Inoperative)")
    step("5. The Charging Station sends a ReservationStatusUpdateRequest")
    update = await sut.wait_for(
        "ReservationStatusUpdate",
        since=mark,
        describe="ReservationStatusUpdateRequest Removed (H01.FR.17)",
    )
    reservation_update(update, RESERVATION_ID, "Removed", label="TC_H_21_CS step 5 (H01.FR.17)")
    csms.reservations201.discard(RESERVATION_ID)
    mark = sut.mark()
    step(f"7. The OCTT sends a ChangeAvailabilityRequest Operative for EVSE {csms.evse}")
    answer = await sut.call("ChangeAvailability", {"operationalStatus": "Operative", **target})
    check(
        answer.get("status") == "Accepted",
        "TC_H_21_CS step 8: ChangeAvailabilityResponse status Accepted",
        answer,
    )
    step("9. The Charging Station reports the connector(s) Available")
    await evse_reported(csms, sut, csms.evse, "Available", since=mark, label=" (Operative)")
    await csms.authorized(sut, station_operator, id_token=csms.id_token(csms.config.tags.valid_2))
    await csms.energy_transfer_started(sut, station_operator)


@ocpp_case("TC_H_22_CS", version="2.0.1", requires="R-3")
async def test_tc_h_22_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """With ReservationCtrlr.Enabled false a ReserveNowRequest is Rejected (H01.FR.01). The
    table's prerequisite "ReservationAvailable ... with value false" contradicts its own
    Configuration State and Part 5 (R-3: ReservationEnabled implemented): the case sets
    Enabled false (restored by the next case) on a station that supports reservations. The
    request names the configured EVSE and valid idToken (the table lists no fields)."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut, enabled="false")
    await reserve_now(
        sut,
        "1",
        "Rejected",
        reservation_id=RESERVATION_ID,
        id_token=csms.id_token(),
        evse_id=csms.evse,
        rule="H01.FR.01: reservations are disabled",
    )


@ocpp_case("TC_H_23_CS", version="2.0.1")
async def test_tc_h_23_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A ReserveNowRequest with the id of a pending reservation replaces it (H01.FR.02): with
    the configured EVSE reserved (id 1) for the valid idToken, ReserveNow id 1 for the same
    EVSE and <Configured valid_idtoken2> is Accepted, and that idToken is then Authorized and
    charges. Departure: the table's step 3 validation (connector Reserved) describes the
    replaced reservation's report; the connector is Reserved already, so a repeated report
    is judged when sent, not required (G01 reports changes). <Configured reservationId> is
    the memory state's id: a replacement needs the same one."""
    sut = await csms.ready(station_operator)
    await prepare(csms, sut)
    step("(Memory State) A reservation is valid on <Configured evseId> with <valid_idtoken>")
    await csms.reserved(sut)
    mark = sut.mark()
    other = csms.id_token(csms.config.tags.valid_2)
    await reserve_now(
        sut,
        "1",
        "Accepted",
        reservation_id=RESERVATION_ID,
        id_token=other,
        evse_id=csms.evse,
        rule="H01.FR.02: the reservation is replaced",
    )
    for item in sut.link.inbox[mark:]:
        if item.action == "StatusNotification" and item.payload.get("evseId") == csms.evse:
            check(
                item.payload.get("connectorStatus") == "Reserved",
                "TC_H_23_CS step 3: StatusNotificationRequest connectorStatus must be Reserved",
                item.payload,
            )
    await csms.authorized(sut, station_operator, id_token=other)
    await csms.energy_transfer_started(sut, station_operator)
