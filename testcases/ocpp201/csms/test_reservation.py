"""OCPP 2.0.1, CSMS under test, H. Reservation (2.0.1 Edition 3 Part 6 §3.9, Tables 557-565,
and the 2025 errata).

pytest-ocpp plays the Charging Station (the OCTT column of each scenario table). ReserveNow and
CancelReservation (Part 2 H01, H02) come from the CSMS through ``csms_operator``: the operator
is asked for the reservation the scenario needs, and the request that arrives is judged only
on what the table's tool validations say. The CSMS may choose its own reservation ``id``
(later steps use the one it sent). "Execute Reusable State Reserved" is one call of
:meth:`Station201.reserved` (Table 699), whose own validations live there; H_07, H_17 and H_20
begin with exactly the steps and validations of that table, so they call it too.

A request from the CSMS is answered before its validation is judged, so a failing check never
leaves the CSMS waiting for a reply. Every case starts from an idle station without
reservations, so a case that leaves a reservation in place ends with an "After" step in which
the station gives it up the way Part 2 describes (connector Available, H04.FR.03, and a
ReservationStatusUpdateRequest, H01.FR.16/17 status Removed); that step is outside the table,
runs even after a failed step, and what goes wrong in it is a warning, never the verdict.

Part 5 conditions (CSMS column; TC_H_15 as the errata 2025-06 §5.19 left it): TC_H_08 and
TC_H_14 need R-2 (reservations of an unspecified EVSE), TC_H_15 needs R-1 (reservations of a
connector type). R-3 of TC_H_22 is a Charging Station feature; for a CSMS the case is mandatory.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import current
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import IdTags, OcppConfig
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check
from pytest_ocpp.timestamps import parse_timestamp
from pytest_ocpp.verdicts import TargetFailure

EXPIRY_OFFSET = 3600
"""Seconds from now that the reservations of the cases without an expiry of their own are
asked to last: never waited out (the station gives them up in the "After" step)."""

CONNECTOR_TYPE = "cType2"
"""OCTT's <Configured connectorType> unless ``[station] connector_type`` says otherwise."""

DATE_TIME_SLACK = timedelta(seconds=60)
"""A CSMS (or its user interface) may keep dateTimes to the minute."""

_reservation_ids = itertools.count(int(time.time()) % 100_000 * 1000 + 1)
"""Reservation ids to ask for, different in every run, so a CSMS keeping its reservations
between runs is never asked to reuse one."""


# -- helpers ------------------------------------------------------------------------------------
def _in_seconds(seconds: float) -> str:
    """A 2.0.1 dateTime ``seconds`` from now (at most 3 fraction digits, Part 2 "dateTime")."""
    stamp = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _reserve_now_payload(
    station: Station201,
    *,
    evse_id: int | None = None,
    connector_type: str | None = None,
    group_token: str | None = None,
) -> dict[str, Any]:
    """The ReserveNowRequest the scenario needs (Part 2 §1.40): a fresh id, an expiry
    :data:`EXPIRY_OFFSET` from now, the configured valid idToken, and an evseId, connectorType
    or groupIdToken only where the table asks for one."""
    payload: dict[str, Any] = {
        "id": next(_reservation_ids),
        "expiryDateTime": _in_seconds(EXPIRY_OFFSET),
        "idToken": station.id_token(station.tags.valid),
    }
    if evse_id is not None:
        payload["evseId"] = evse_id
    if connector_type is not None:
        payload["connectorType"] = connector_type
    if group_token is not None:
        payload["groupIdToken"] = station.id_token(group_token)
    return payload


async def _reserve_now(
    station: Station201,
    csms_operator: CsmsOperator,
    payload: dict[str, Any],
    answer: str = "Accepted",
    *,
    first: int = 1,
) -> dict[str, Any]:
    """Steps ``first`` and ``first + 1``: the CSMS sends a ReserveNowRequest, the OCTT answers
    ``answer`` (H01). Returns the request payload."""
    step(f"{first}. The CSMS sends a ReserveNowRequest (manual action)")
    request = await csms_operator.request(station, "ReserveNow", payload)
    step(f"{first + 1}. The OCTT responds with a ReserveNowResponse with status {answer}")
    await request.reply({"status": answer})
    return request.payload


def _check_reserve_now(
    payload: dict[str, Any],
    tags: IdTags,
    *,
    evse_id: int | None,
    connector_type: str | None = None,
    where: str = "Step 1",
) -> None:
    """The tool validations every H table repeats: evseId the configured one (or omitted),
    connectorType the configured one (or omitted), idToken and its type the configured valid
    ones (H01: the reservation is for that IdToken, on that EVSE or connector type)."""
    if evse_id is None:
        check("evseId" not in payload, f"{where}: ReserveNowRequest evseId omitted", payload)
    else:
        check(
            payload.get("evseId") == evse_id,
            f"{where}: ReserveNowRequest evseId {evse_id} (the configured EVSE)",
            payload,
        )
    if connector_type is None:
        check(
            "connectorType" not in payload,
            f"{where}: ReserveNowRequest connectorType omitted",
            payload,
        )
    else:
        check(
            payload.get("connectorType") == connector_type,
            f"{where}: ReserveNowRequest connectorType {connector_type} (the configured one, "
            "H01 S3)",
            payload,
        )
    token = payload.get("idToken") or {}
    kind = tags.type_of(tags.valid)
    check(
        token.get("idToken") == tags.valid and token.get("type") == kind,
        f"{where}: ReserveNowRequest idToken.idToken {tags.valid} and idToken.type {kind} "
        "(the configured valid idToken)",
        payload,
    )


async def _report_connectors(station: Station201, evses: list[int], status: str) -> None:
    """ "The OCTT notifies the CSMS about the current state of the connector(s)": the EVSE's
    connector, both ways (StatusNotificationRequest and NotifyEventRequest)."""
    for evse in evses:
        await station.connector_status(evse, station.connector_id, status)


async def _give_up_reservations(
    station: Station201, reservation_ids: list[int], evses: list[int]
) -> None:
    """After: the station drops the reservations it holds, so the next case starts without
    one (connectors Available, H04.FR.03; ReservationStatusUpdateRequest Removed, H01.FR.16).
    Outside the table, and run even when a step failed: what goes wrong here is a warning,
    never the verdict."""
    if not station.connected or not (reservation_ids or evses):
        return
    step("After: the station frees its connectors and reservations (idle for the next case)")
    try:
        await _report_connectors(station, evses, "Available")
        for reservation_id in reservation_ids:
            await station.call(
                "ReservationStatusUpdate",
                {"reservationId": reservation_id, "reservationUpdateStatus": "Removed"},
            )
    except TargetFailure as exc:
        current().warn(f"Clean-up after the scenario: {exc}")


def _connector_type(ocpp_config: OcppConfig) -> str:
    """OCTT's <Configured connectorType> (``[station] connector_type``)."""
    return str(ocpp_config.station.extra.get("connector_type", CONNECTOR_TYPE))


def _transaction_duration(ocpp_config: OcppConfig) -> float:
    """OCTT's <configured transaction duration> (``[station] transaction_duration``)."""
    return float(ocpp_config.station.extra.get("transaction_duration", 0))


# -- §3.9 Reserve a specific EVSE --------------------------------------------------------------
@ocpp_case("TC_H_01_CSMS", version="2.0.1")
async def test_tc_h_01_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS reserves the configured EVSE for the configured valid idToken (H01 S2,
    H03): reusable state Reserved, whose validations (evseId, no connectorType, idToken and
    type) are the case's."""
    step("1. Execute Reusable State Reserved for <Configured evseId>")
    ids: list[int] = []
    try:
        payload = await station.reserved(
            csms_operator, station.evse_id, reservation_id=next(_reservation_ids)
        )
        ids.append(int(payload["id"]))
    finally:
        await _give_up_reservations(station, ids, [station.evse_id] if ids else [])


@ocpp_case("TC_H_07_CSMS", version="2.0.1")
async def test_tc_h_07_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """A reservation that is not used ends at its expiryDateTime: the station frees the
    connector and reports the reservation Expired (H04.FR.01, H04.FR.03), and the CSMS
    accepts the ReservationStatusUpdateRequest.

    Steps 1-4 are reusable state Reserved (Table 699, same validations), asked for with an
    expiryDateTime of now + <configured transaction duration> (``[station]
    transaction_duration``, at least 1 s). Step 1 names that expiry; it is judged leniently:
    not before the moment the CSMS was asked (to the minute). The station waits for the
    expiry the CSMS sent before step 5, but no longer than the asked expiry plus the message
    timeout: a later expiry is reported as a warning and the station ends the reservation
    then."""
    duration = max(1, math.ceil(_transaction_duration(ocpp_config)))
    asked_at = datetime.now(timezone.utc)
    step("1-4. The CSMS reserves the configured EVSE (reusable state Reserved)")
    payload = await station.reserved(
        csms_operator,
        station.evse_id,
        reservation_id=next(_reservation_ids),
        expiry_seconds=duration,
    )
    reservation_id = int(payload["id"])
    ended = False
    try:
        expiry = parse_timestamp(payload.get("expiryDateTime"))
        check(
            expiry is not None and expiry >= asked_at - DATE_TIME_SLACK,
            f"Step 1: ReserveNowRequest expiryDateTime the current time + <configured "
            f"transaction duration> ({duration} s), not in the past (H01: the reservation "
            "lasts until it)",
            payload,
        )
        assert expiry is not None
        latest = asked_at + timedelta(seconds=duration + station.ctx.config.timeouts.message)
        if expiry > latest:
            current().warn(
                f"The CSMS reserved until {payload['expiryDateTime']}, later than the "
                f"{duration} s asked for; the station ends the reservation at "
                f"{latest:%H:%M:%S}."
            )
        wait = (min(expiry, latest) - datetime.now(timezone.utc)).total_seconds()
        if wait > 0:
            # The table: "The OCTT waits until the provided expiryDateTime from step 1
            # expires"; nothing to await but the clock.
            await asyncio.sleep(wait)
        step("5. [The reservation expired] The OCTT reports the connector Available")
        ended = True
        await _report_connectors(station, [station.evse_id], "Available")
        step("7. The OCTT sends a ReservationStatusUpdateRequest (Expired)")
        await station.call(
            "ReservationStatusUpdate",
            {"reservationId": reservation_id, "reservationUpdateStatus": "Expired"},
        )
    finally:
        if not ended:
            await _give_up_reservations(station, [reservation_id], [station.evse_id])
    step("8. The CSMS responds with a ReservationStatusUpdateResponse")


# -- §3.9 Reserve an unspecified EVSE ----------------------------------------------------------
@ocpp_case("TC_H_08_CSMS", version="2.0.1", requires="R-2")
async def test_tc_h_08_csms(station: Station201, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS reserves an unspecified EVSE (H01 S1, H03): a ReserveNowRequest without evseId
    and without connectorType, for the configured valid idToken. The station reports the
    connector Reserved only when it has a single EVSE (the table's note; with more, one EVSE
    merely stays available for the driver, H01.FR.07)."""
    ids: list[int] = []
    reserved: list[int] = []
    try:
        payload = await _reserve_now(station, csms_operator, _reserve_now_payload(station))
        ids.append(int(payload["id"]))
        _check_reserve_now(payload, tags, evse_id=None)
        if station.spec.connectors == 1:
            step("3. The OCTT reports the connector of its only EVSE Reserved")
            reserved.append(station.evse_id)
            await _report_connectors(station, reserved, "Reserved")
    finally:
        await _give_up_reservations(station, ids, reserved)


@ocpp_case("TC_H_14_CSMS", version="2.0.1", requires="R-2")
async def test_tc_h_14_csms(station: Station201, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """As many reservations of an unspecified EVSE as the station has EVSEs: each a
    ReserveNowRequest without evseId and connectorType (H01 S1); after the last one every
    connector is Reserved (H01.FR.20) and the CSMS accepts the notifications.

    Part 5: "For CSMS: this will be tested with >1 EVSE"; the number is ``[station]
    connectors`` (one connector per EVSE)."""
    count = station.spec.connectors
    ids: list[int] = []
    reserved: list[int] = []
    try:
        for number in range(1, count + 1):
            step(f"1-2 ({number} of {count}). A ReserveNowRequest for an unspecified EVSE")
            payload = await _reserve_now(station, csms_operator, _reserve_now_payload(station))
            ids.append(int(payload["id"]))
            _check_reserve_now(payload, tags, evse_id=None, where=f"Step 1 ({number} of {count})")
        step("3. The OCTT reports every connector Reserved")
        reserved.extend(range(1, count + 1))
        await _report_connectors(station, reserved, "Reserved")
    finally:
        await _give_up_reservations(station, ids, reserved)


# -- §3.9 Reserve a connector with a specific type ---------------------------------------------
@ocpp_case("TC_H_15_CSMS", version="2.0.1", requires="R-1")
async def test_tc_h_15_csms(
    station: Station201, csms_operator: CsmsOperator, tags: IdTags, ocpp_config: OcppConfig
) -> None:
    """The CSMS reserves a connector of the configured type (H01 S3, H03): a
    ReserveNowRequest with that connectorType and without evseId, for the configured valid
    idToken. <Configured connectorType> is ``[station] connector_type`` (default cType2; the
    errata 2025-06 §6.2.61 requires a ConnectorEnumType value)."""
    kind = _connector_type(ocpp_config)
    ids: list[int] = []
    reserved: list[int] = []
    try:
        payload = await _reserve_now(
            station, csms_operator, _reserve_now_payload(station, connector_type=kind)
        )
        ids.append(int(payload["id"]))
        _check_reserve_now(payload, tags, evse_id=None, connector_type=kind)
        step("3. The OCTT reports the connector Reserved")
        reserved.append(station.evse_id)
        await _report_connectors(station, reserved, "Reserved")
    finally:
        await _give_up_reservations(station, ids, reserved)


# -- §3.9 Cancel reservation of an EVSE --------------------------------------------------------
@ocpp_case("TC_H_17_CSMS", version="2.0.1")
async def test_tc_h_17_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS cancels the reservation it made (H02): CancelReservationRequest with the
    reservationId of the ReserveNowRequest (H02.FR.02), then the connector is Available again.
    Steps 1-4 are reusable state Reserved (Table 699, same validations)."""
    step("1-4. The CSMS reserves the configured EVSE (reusable state Reserved)")
    reservation = await station.reserved(
        csms_operator, station.evse_id, reservation_id=next(_reservation_ids)
    )
    reservation_id = int(reservation["id"])
    cancelled = False
    try:
        step("5. The CSMS sends a CancelReservationRequest (manual action)")
        request = await csms_operator.request(
            station, "CancelReservation", {"reservationId": reservation_id}
        )
        step("6. The OCTT responds with a CancelReservationResponse with status Accepted")
        await request.reply({"status": "Accepted"})
        cancelled = True
        step("7. The OCTT reports the connector Available")
        await _report_connectors(station, [station.evse_id], "Available")
    finally:
        if not cancelled:
            await _give_up_reservations(station, [reservation_id], [station.evse_id])
    check(
        request.payload.get("reservationId") == reservation_id,
        f"Step 5: CancelReservationRequest reservationId {reservation_id} (the id of the "
        "ReserveNowRequest of step 1, H02)",
        request.payload,
    )


# -- §3.9 Use a reserved EVSE with GroupId -----------------------------------------------------
@ocpp_case("TC_H_19_CSMS", version="2.0.1")
async def test_tc_h_19_csms(station: Station201, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS reserves the configured EVSE for a group (H01, H03.FR.04): a ReserveNowRequest
    with a groupIdToken besides the configured valid idToken. The group asked for is the
    configured parent token (``[tags] parent``); any groupIdToken satisfies the table."""
    ids: list[int] = []
    reserved: list[int] = []
    try:
        payload = await _reserve_now(
            station,
            csms_operator,
            _reserve_now_payload(station, evse_id=station.evse_id, group_token=tags.parent),
        )
        ids.append(int(payload["id"]))
        _check_reserve_now(payload, tags, evse_id=station.evse_id)
        check(
            isinstance(payload.get("groupIdToken"), dict),
            "Step 1: ReserveNowRequest groupIdToken provided (H03.FR.04: a reservation for a "
            "group)",
            payload,
        )
        step("3. The OCTT reports the connector Reserved")
        reserved.append(station.evse_id)
        await _report_connectors(station, reserved, "Reserved")
    finally:
        await _give_up_reservations(station, ids, reserved)


# -- §3.9 Charging Station cancels reservation ---------------------------------------------
@ocpp_case("TC_H_20_CSMS", version="2.0.1")
async def test_tc_h_20_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The station cancels a reservation because its EVSE became Faulted (H01.FR.16): the
    CSMS accepts the notifications and the ReservationStatusUpdateRequest Removed. Steps 1-4
    are reusable state Reserved (Table 699, same validations)."""
    step("1-4. The CSMS reserves the configured EVSE (reusable state Reserved)")
    payload = await station.reserved(
        csms_operator, station.evse_id, reservation_id=next(_reservation_ids)
    )
    try:
        step("5. The OCTT reports the connector Faulted")
        await _report_connectors(station, [station.evse_id], "Faulted")
        step("7. The OCTT sends a ReservationStatusUpdateRequest (Removed)")
        await station.call(
            "ReservationStatusUpdate",
            {"reservationId": int(payload["id"]), "reservationUpdateStatus": "Removed"},
        )
        step("8. The CSMS responds with a ReservationStatusUpdateResponse")
    finally:
        # The reservation is gone (step 7); only the fault is cleared.
        await _give_up_reservations(station, [], [station.evse_id])


# -- §3.9 Configured to Reject -------------------------------------------------------------
@ocpp_case("TC_H_22_CSMS", version="2.0.1")
async def test_tc_h_22_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS handles a station that does not accept reservations (H01.FR.01: Rejected).
    The table names no manual action nor validation; the reservation asked for is one of the
    configured EVSE, as the title says. Nothing is reserved, so nothing is given up after."""
    await _reserve_now(
        station,
        csms_operator,
        _reserve_now_payload(station, evse_id=station.evse_id),
        "Rejected",
    )
