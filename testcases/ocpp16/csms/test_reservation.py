"""OCTT 1.6, Central System under test, Reservation profile (OCTT 1.6 test case document,
§3.17: Reservation of a Connector, Reservation of a Charge Point, Cancel Reservation, Use a
reserved Connector with parentIdTag).

pytest-ocpp plays the Charge Point. ReserveNow.req and CancelReservation.req (OCPP 1.6 §5.13,
§5.1) come from the CSMS through ``csms_operator``: the operator is asked for the reservation
the scenario needs, and the request that arrives is judged only on what the table's tool
validations say. The CSMS may choose its own reservationId (later steps use the one it sent)
and any expiryDate in the future.

A request from the CSMS is answered before its validation is judged, so a failing check never
leaves the CSMS waiting for a reply. OCTT 1.6 §1.3 starts every case from an idle charge point
without reservations: a case that leaves a reservation in place ends by letting it expire the
way OCPP 1.6 §5.13 describes ("the Charge Point SHALL send a status notification to notify the
Central System that the reserved connector is now available"), and a case that leaves a
transaction, a cable or an inoperative connector behind undoes it in an "After" step.
"""

from __future__ import annotations

import itertools
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import IdTags
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station16, check
from pytest_ocpp.timestamps import parse_timestamp
from pytest_ocpp.verdicts import NotApplicable

EXPIRY_OFFSET = timedelta(hours=1)
"""OCTT's <Configured Expiry Date Offset>: the reservations asked for expire this long after
the request. Never waited out: the fake station itself reports when a reservation expired."""

_reservation_ids = itertools.count(int(time.time()) % 100_000 * 1000 + 1)
"""reservationIds to ask for, different in every run, so a CSMS keeping its reservations
between runs is not asked to reuse one."""


# -- helpers ------------------------------------------------------------------------------------
def _reserve_now_payload(
    id_tag: str, connector_id: int, parent_id_tag: str | None = None
) -> dict[str, Any]:
    """The ReserveNow.req the scenario needs (OCPP 1.6 §6.37): connector, idTag, expiry
    <Configured Expiry Date Offset> from now, a fresh reservationId, and a parentIdTag only
    where the table asks for one."""
    expiry = datetime.now(timezone.utc) + EXPIRY_OFFSET
    payload: dict[str, Any] = {
        "connectorId": connector_id,
        "expiryDate": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "idTag": id_tag,
        "reservationId": next(_reservation_ids),
    }
    if parent_id_tag is not None:
        payload["parentIdTag"] = parent_id_tag
    return payload


async def _reserve_now(
    station: Station16,
    csms_operator: CsmsOperator,
    payload: dict[str, Any],
    answer: str,
    *,
    first: int = 1,
) -> IncomingCall:
    """Steps ``first`` and ``first + 1``: the CSMS sends ReserveNow.req, the Charge Point
    answers ``answer`` (OCPP 1.6 §5.13, §7.40 ReservationStatus). Returns the request."""
    step(f"{first}. The Central System sends a ReserveNow.req")
    request = await csms_operator.request(station, "ReserveNow", payload)
    step(f"{first + 1}. The Charge Point responds with a ReserveNow.conf ({answer})")
    await request.reply({"status": answer})
    return request


def _check_reserve_now(
    request: IncomingCall, connector_id: int, id_tag: str, where: str = "Step 1"
) -> None:
    """OCTT: "The connectorId should be <Configured ConnectorId>" and "The idTag should be
    <Configured Valid IdTag>" (OCPP 1.6 §6.37 ReserveNow.req)."""
    payload = request.payload
    check(
        payload["connectorId"] == connector_id,
        f"{where}: ReserveNow.req connectorId {connector_id} (OCPP 1.6 §5.13 ReserveNow)",
        payload,
    )
    check(
        payload["idTag"] == id_tag,
        f"{where}: ReserveNow.req idTag {id_tag} (OCPP 1.6 §5.13 ReserveNow)",
        payload,
    )


def _check_connector_not_zero(request: IncomingCall) -> None:
    """TC_051/TC_053: "The connectorId does not equal 0": a specific connector is reserved,
    not the Charge Point as a whole (OCPP 1.6 §5.13, §3.11)."""
    check(
        request.payload["connectorId"] != 0,
        "Step 1: ReserveNow.req connectorId not 0 (a specific connector, OCPP 1.6 §5.13)",
        request.payload,
    )


# -- §3.17.1 Reservation of a Connector ----------------------------------------------------------
@ocpp_case("TC_046_CSMS")
async def test_tc_046_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """A connector is reserved and the reservation is used by a transaction: the CSMS reserves
    <Configured ConnectorId> for <Configured Valid IdTag> and accepts the StartTransaction.req
    that carries its reservationId (OCPP 1.6 §5.13 ReserveNow: "If a transaction for the
    reserved idTag is started, then Charge Point SHALL send the reservationId in the
    StartTransaction.req"; §4.8 StartTransaction)."""
    connector = station.spec.connector_id
    payload = _reserve_now_payload(tags.valid, connector)
    request = await _reserve_now(station, csms_operator, payload, "Accepted")
    _check_reserve_now(request, connector, tags.valid)
    reservation_id = int(request.payload["reservationId"])
    step("3. The Charge Point sends a StatusNotification.req (Reserved)")
    await station.status(connector, "Reserved")
    step("5. Execute reusable state Charging, its StartTransaction.req with the reservationId")
    await station.authorized(tags.valid)
    await station.status(connector, "Preparing")
    conf = await station.start_transaction(connector, tags.valid, reservation_id=reservation_id)
    check(
        conf["idTagInfo"]["status"] == "Accepted",
        f"Step 5 (Charging step 4): StartTransaction.conf idTagInfo.status Accepted for the "
        f"reserved idTag with reservationId {reservation_id} (OCPP 1.6 §5.13, §4.8)",
        conf,
    )
    await station.status(connector, "Charging")
    step("After: stop the transaction (general post-conditions)")
    await station.leave_idle()


@ocpp_case("TC_047_CSMS")
async def test_tc_047_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """A reservation that is not used in time: the CSMS reserves a connector until an expiry
    date in the future and accepts the connector becoming Available when it expires (OCPP 1.6
    §5.13: "When a reservation expires, the Charge Point SHALL terminate the reservation and
    make the connector available ... send a status notification").

    OCTT wants the expiryDate to be "the current time plus <Configured Expiry Date Offset>";
    a CSMS may round it or add its own margin, so any expiryDate after the moment the request
    arrived is accepted. The fake station does not wait for the expiry: it is the station that
    decides the reservation expired, and the CSMS only has to accept the StatusNotification."""
    connector = station.spec.connector_id
    payload = _reserve_now_payload(tags.valid, connector)
    request = await _reserve_now(station, csms_operator, payload, "Accepted")
    arrived = datetime.now(timezone.utc)
    _check_reserve_now(request, connector, tags.valid)
    expiry = parse_timestamp(request.payload["expiryDate"])
    check(
        expiry is not None and expiry > arrived,
        f"Step 1: ReserveNow.req expiryDate in the future (the current time plus <Configured "
        f"Expiry Date Offset>, asked: {payload['expiryDate']}; OCPP 1.6 §5.13: the reservation "
        "lasts until expiryDate)",
        request.payload,
    )
    step("3. The Charge Point sends a StatusNotification.req (Reserved)")
    await station.status(connector, "Reserved")
    step("5. [The EV driver does not arrive before the expiry date] StatusNotification Available")
    await station.status(connector, "Available")


@ocpp_case("TC_048_1_CSMS")
async def test_tc_048_1_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS handles a reservation refused with Faulted (OCPP 1.6 §5.13: "The Charge Point
    SHALL return 'Faulted' if the Charge Point or the connector are in the Faulted state";
    §7.40 ReservationStatus)."""
    connector = station.spec.connector_id
    payload = _reserve_now_payload(tags.valid, connector)
    request = await _reserve_now(station, csms_operator, payload, "Faulted")
    _check_reserve_now(request, connector, tags.valid)


@ocpp_case("TC_048_2_CSMS")
async def test_tc_048_2_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS handles a reservation refused with Occupied for a connector whose cable is
    plugged in (OCPP 1.6 §5.13: "The Charge Point SHALL return 'Occupied' if the Charge Point
    or the specified connector are occupied"; §7.40)."""
    connector = station.spec.connector_id
    step("1. [EV driver plugs in the cable] The Charge Point sends a StatusNotification.req")
    await station.status(connector, "Preparing")
    payload = _reserve_now_payload(tags.valid, connector)
    request = await _reserve_now(station, csms_operator, payload, "Occupied", first=3)
    _check_reserve_now(request, connector, tags.valid, "Step 3")
    step("After: [EV driver unplugs the cable] StatusNotification Available (post-conditions)")
    await station.status(connector, "Available")


@ocpp_case("TC_048_3_CSMS")
async def test_tc_048_3_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS sets a connector Inoperative, then handles a reservation for it refused with
    Unavailable (OCPP 1.6 §5.2 ChangeAvailability; §5.13: "The Charge Point SHALL return
    'Unavailable' if the Charge Point or connector are in the Unavailable state").

    Inoperative persists (OCPP 1.6 §5.2, §5.14 "Connector set to Unavailable shall persist")
    and only the CSMS can lift it, so the "After" step has the CSMS send ChangeAvailability
    Operative: that restores the general pre-conditions of OCTT 1.6 §1.3 on both sides."""
    connector = station.spec.connector_id
    step("1. The Central System sends a ChangeAvailability.req (Inoperative)")
    change = await csms_operator.request(
        station, "ChangeAvailability", {"connectorId": connector, "type": "Inoperative"}
    )
    step("2. The Charge Point responds with a ChangeAvailability.conf (Accepted)")
    await change.reply({"status": "Accepted"})
    check(
        change.payload["connectorId"] == connector,
        f"Step 1: ChangeAvailability.req connectorId {connector} (OCPP 1.6 §5.2)",
        change.payload,
    )
    check(
        change.payload["type"] == "Inoperative",
        "Step 1: ChangeAvailability.req type Inoperative (OCPP 1.6 §5.2, §7.2 AvailabilityType)",
        change.payload,
    )
    step("3. The Charge Point sends a StatusNotification.req (Unavailable)")
    await station.status(connector, "Unavailable")
    payload = _reserve_now_payload(tags.valid, connector)
    request = await _reserve_now(station, csms_operator, payload, "Unavailable", first=5)
    _check_reserve_now(request, connector, tags.valid, "Step 5")
    step("After: the Central System sends a ChangeAvailability.req (Operative) (post-conditions)")
    restore = await csms_operator.request(
        station, "ChangeAvailability", {"connectorId": connector, "type": "Operative"}
    )
    await restore.reply({"status": "Accepted"})
    await station.status(connector, "Available")


@ocpp_case("TC_048_4_CSMS")
async def test_tc_048_4_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS handles a reservation refused with Rejected by a charge point configured not
    to accept reservations (OCPP 1.6 §5.13: "The Charge Point SHALL return 'Rejected' if it
    is configured not to accept reservations"; §7.40)."""
    connector = station.spec.connector_id
    payload = _reserve_now_payload(tags.valid, connector)
    request = await _reserve_now(station, csms_operator, payload, "Rejected")
    _check_reserve_now(request, connector, tags.valid)


# -- §3.17.2 Reservation of a Charge Point -----------------------------------------------------
@ocpp_case("TC_049_CSMS")
async def test_tc_049_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS reserves the Charge Point as a whole, an unspecified connector: connectorId 0
    (OCPP 1.6 §5.13: "If the connectorId in the reservation request is 0, then the Charge
    Point SHALL NOT reserve a specific connector"; §3.11).

    The table judges only the connectorId. Its Reserved StatusNotification names no connector;
    connector 0 may only report Available, Unavailable or Faulted (OCPP 1.6 §4.9), so the
    station reports <Configured ConnectorId>, the one it keeps available for the reservation.
    The table ends with the reservation in place: the station then lets it expire (§5.13)."""
    connector = station.spec.connector_id
    payload = _reserve_now_payload(tags.valid, 0)
    request = await _reserve_now(station, csms_operator, payload, "Accepted")
    check(
        request.payload["connectorId"] == 0,
        "Step 1: ReserveNow.req connectorId 0 (the Charge Point, OCPP 1.6 §5.13)",
        request.payload,
    )
    step("3. The Charge Point sends a StatusNotification.req (Reserved)")
    await station.status(connector, "Reserved")
    step("After: [the reservation expires] StatusNotification Available (post-conditions)")
    await station.status(connector, "Available")


# -- §3.17.3 Cancel Reservation ----------------------------------------------------------------
@ocpp_case("TC_051_CSMS")
async def test_tc_051_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS cancels the reservation it made, by its reservationId (OCPP 1.6 §5.1 Cancel
    Reservation: "If the Charge Point has a reservation matching the reservationId in the
    request PDU, it SHALL return status 'Accepted'")."""
    connector = station.spec.connector_id
    payload = _reserve_now_payload(tags.valid, connector)
    request = await _reserve_now(station, csms_operator, payload, "Accepted")
    _check_connector_not_zero(request)
    reservation_id = request.payload["reservationId"]
    step("3. The Charge Point sends a StatusNotification.req (Reserved)")
    await station.status(connector, "Reserved")
    step("5. The Central System sends a CancelReservation.req")
    cancel = await csms_operator.request(
        station, "CancelReservation", {"reservationId": reservation_id}
    )
    step("6. The Charge Point responds with a CancelReservation.conf (Accepted)")
    await cancel.reply({"status": "Accepted"})
    check(
        cancel.payload["reservationId"] == reservation_id,
        f"Step 5: CancelReservation.req reservationId {reservation_id}, the one of the "
        "ReserveNow.req of step 1 (OCPP 1.6 §5.1 CancelReservation)",
        cancel.payload,
    )
    step("7. The Charge Point sends a StatusNotification.req (Available)")
    await station.status(connector, "Available")


@ocpp_case("TC_052_CSMS")
async def test_tc_052_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS handles Rejected to a cancellation of a reservation the charge point does not
    have (OCPP 1.6 §5.1: "Otherwise it SHALL return 'Rejected'"; §7.5 CancelReservationStatus).

    The operator is asked to cancel a reservationId other than the one of step 1. The table
    ends with the step-1 reservation in place: the station then lets it expire (§5.13)."""
    connector = station.spec.connector_id
    payload = _reserve_now_payload(tags.valid, connector)
    request = await _reserve_now(station, csms_operator, payload, "Accepted")
    reservation_id = request.payload["reservationId"]
    step("3. The Charge Point sends a StatusNotification.req (Reserved)")
    await station.status(connector, "Reserved")
    unknown = next(_reservation_ids)
    if unknown == reservation_id:
        unknown = next(_reservation_ids)
    step("5. The Central System sends a CancelReservation.req with an unknown reservationId")
    cancel = await csms_operator.request(station, "CancelReservation", {"reservationId": unknown})
    step("6. The Charge Point responds with a CancelReservation.conf (Rejected)")
    await cancel.reply({"status": "Rejected"})
    check(
        cancel.payload["reservationId"] != reservation_id,
        f"Step 5: CancelReservation.req reservationId not {reservation_id}, the one of the "
        "ReserveNow.req of step 1 (an unknown reservation, OCPP 1.6 §5.1 CancelReservation)",
        cancel.payload,
    )
    step("After: [the reservation expires] StatusNotification Available (post-conditions)")
    await station.status(connector, "Available")


# -- §3.17.4 Use a reserved Connector with parentIdTag -----------------------------------------
@ocpp_case("TC_053_CSMS")
async def test_tc_053_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """A connector reserved for an idTag with a parentIdTag: another idTag of the same group
    is authorized with that parentIdTag and ends the transaction (OCPP 1.6 §5.13: "except
    when the incoming idTag or the parent idTag match the idTag or parent idTag of the
    reservation"; "The Authorize.conf response MAY contain the parent-id"; §4.1 Authorize).

    The reservation is for <Configured Valid IdTag> with parentIdTag = the configured parent
    of ``tags.valid_with_parent``, the new idTag of step 6. As the table lists it, reusable
    state Charging starts the transaction without a reservationId, and the StopTransaction.req
    carries no optional field."""
    if tags.valid_with_parent in (tags.valid, tags.parent):
        raise NotApplicable(
            "TC_053_CSMS needs an idTag different from the reserved one and from its parent: "
            "configure [tags] valid_with_parent apart from valid and parent"
        )
    connector = station.spec.connector_id
    payload = _reserve_now_payload(tags.valid, connector, parent_id_tag=tags.parent)
    request = await _reserve_now(station, csms_operator, payload, "Accepted")
    _check_connector_not_zero(request)
    parent = request.payload.get("parentIdTag")
    step("3. The Charge Point sends a StatusNotification.req (Reserved)")
    await station.status(connector, "Reserved")
    step("5. Execute reusable state Charging")
    await station.charging(connector, tags.valid)
    step("6. [EV driver presents a new idTag with the parentIdTag of step 1] Authorize.req")
    info = await station.authorize(tags.valid_with_parent)
    check(
        info["status"] == "Accepted",
        "Step 7: Authorize.conf idTagInfo.status Accepted (OCPP 1.6 §4.1)",
        info,
    )
    check(
        parent is not None and info.get("parentIdTag") == parent,
        "Step 7: Authorize.conf idTagInfo.parentIdTag matching the parentIdTag of the "
        f"ReserveNow.req of step 1 ({parent if parent is not None else 'which sent none'}; "
        "OCPP 1.6 §5.13 ReserveNow, §7.24 IdTagInfo)",
        {"ReserveNow.req": request.payload, "idTagInfo": info},
    )
    step("8. The Charge Point sends a StopTransaction.req")
    await station.stop_transaction(connector_id=connector)
    step("10. The Charge Point sends a StatusNotification.req (Finishing)")
    await station.status(connector, "Finishing")
    step("After: [EV driver unplugs the cable] StatusNotification Available (post-conditions)")
    await station.status(connector, "Available")
