"""Helpers of the 2.0.1 station-side H. Reservation cases (:mod:`.test_reservation`,
:mod:`.test_reservation_unspecified`): the Configuration State and prerequisites every table
shares, the ReserveNowRequest the OCTT sends, and the checks of what the station reports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.verdicts import check, not_applicable

ENABLED = "ReservationCtrlr.Enabled"
AVAILABLE = "ReservationCtrlr.Available"
NON_EVSE_SPECIFIC = "ReservationCtrlr.NonEvseSpecific"

EXPIRY = 3600
"""Seconds to the expiryDateTime of a reservation that must not expire during the case."""

DEFAULT_SHORT_EXPIRY = 3
"""TC_H_07_CS: seconds to the expiryDateTime when ``[station] reservation_expiry`` is not set.
The table's note says 60 s; any future moment is legal, and a short one keeps the case fast."""

DEVIATION = 4.0
"""Part 6 §2.1: the time deviation certification labs allow (s)."""


async def prepare(csms: FakeCsms201, sut: StationConnection, *, enabled: str = "true") -> None:
    """Prerequisite "ReservationCtrlr.ReservationAvailable is implemented with value true" (a
    station saying false does not meet it: not applicable) and Configuration State
    "ReservationCtrlr.ReservationEnabled is ``enabled`` (If implemented)". The tables use the
    2.0 names; the 2.0.1 device model calls them ReservationCtrlr.Available / Enabled."""
    available = await csms.get_variable(sut, AVAILABLE)
    if available is not None and available.strip().lower() == "false":
        raise not_applicable(f"{AVAILABLE} is false: the station does not support reservations")
    current = await csms.get_variable(sut, ENABLED)
    if current is not None and current.strip().lower() != enabled:
        await csms.configure(sut, {ENABLED: enabled})


async def require_non_evse_specific(csms: FakeCsms201, sut: StationConnection) -> None:
    """Prerequisite of the unspecified-EVSE cases: ReservationCtrlr.NonEvseSpecific
    implemented with value true (Part 5 R-2 claims it; a station reporting otherwise does not
    meet the prerequisite)."""
    value = await csms.get_variable(sut, NON_EVSE_SPECIFIC)
    if value is None or value.strip().lower() != "true":
        raise not_applicable(
            f"{NON_EVSE_SPECIFIC} is {value or 'not implemented'} (prerequisite: implemented "
            "with value true)"
        )


def expiry(seconds: float = EXPIRY) -> str:
    moment = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def group_token(csms: FakeCsms201) -> dict[str, str]:
    """OCTT's <Configured groupIdToken>: the ``[tags] parent`` group."""
    parent = csms.config.tags.parent
    return {"idToken": parent, "type": csms.config.tags.type_of(parent)}


async def reserve_now(
    sut: StationConnection,
    label: str,
    expected: str,
    *,
    reservation_id: int,
    id_token: Mapping[str, str],
    evse_id: int | None = None,
    connector_type: str | None = None,
    group: Mapping[str, str] | None = None,
    seconds: float = EXPIRY,
    rule: str = "",
) -> dict[str, Any]:
    """Steps 1/2 of most tables: the OCTT sends a ReserveNowRequest with what the table lists
    (plus the schema's required id and expiryDateTime); the response status must be
    ``expected``."""
    payload: dict[str, Any] = {
        "id": reservation_id,
        "expiryDateTime": expiry(seconds),
        "idToken": dict(id_token),
    }
    where = "evseId omitted"
    if evse_id is not None:
        payload["evseId"] = evse_id
        where = f"evseId {evse_id}"
    if connector_type is not None:
        payload["connectorType"] = connector_type
        where = f"connectorType {connector_type}"
    if group is not None:
        payload["groupIdToken"] = dict(group)
    step(
        f"{label}. The OCTT sends a ReserveNowRequest id {reservation_id}, {where}, idToken "
        f"{id_token['idToken']}" + (f", groupIdToken {group['idToken']}" if group else "")
    )
    answer = await sut.call("ReserveNow", payload)
    check(
        answer.get("status") == expected,
        f"step {_next(label)}: ReserveNowResponse status must be {expected}"
        + (f" ({rule})" if rule else ""),
        answer,
    )
    return answer


def _next(label: str) -> str:
    return str(int(label) + 1) if label.isdigit() else f"{label}+1"


def connectors_of(csms: FakeCsms201, evse: int) -> list[int]:
    """The connectors of an EVSE the station reported (at least the configured one on the
    configured EVSE, else connector 1)."""
    known = sorted({c for (e, c) in csms.connector_statuses if e == evse and c})
    if not known:
        known = [csms.connector if evse == csms.evse else 1]
    return known


async def evse_reported(
    csms: FakeCsms201,
    sut: StationConnection,
    evse: int,
    status: str,
    *,
    since: int,
    label: str,
    timeout: float | None = None,
) -> list[IncomingCall]:
    """ "The Charging Station notifies the CSMS about the status change of the connector(s)":
    a StatusNotificationRequest ``status`` for every connector of ``evse`` (the fake CSMS's
    :meth:`connector_reported` judges a NotifyEvent sent with it)."""
    found = []
    for connector in connectors_of(csms, evse):
        if timeout is None:
            found.append(
                await csms.connector_reported(
                    sut, status, since=since, evse=evse, connector=connector, label=label
                )
            )
            continue
        found.append(
            await sut.wait_for(
                "StatusNotification",
                lambda p, c=connector: (
                    p["evseId"] == evse and p["connectorId"] == c and p["connectorStatus"] == status
                ),
                since=since,
                timeout=timeout,
                describe=f"StatusNotificationRequest connectorStatus {status} for evseId {evse}, "
                f"connectorId {connector}{label}",
            )
        )
    return found


def reported_status(
    sut: StationConnection, status: str, *, since: int, evse: int | None = None
) -> list[IncomingCall]:
    """StatusNotificationRequests ``status`` received since ``since`` (of ``evse``)."""
    return [
        c
        for c in sut.link.inbox[since:]
        if c.action == "StatusNotification"
        and c.payload.get("connectorStatus") == status
        and (evse is None or c.payload.get("evseId") == evse)
    ]


async def optional_reserved(
    csms: FakeCsms201, sut: StationConnection, *, since: int, label: str, why: str
) -> None:
    """A step 3 "the connector is reported Reserved" that the station owes only when it has
    a single EVSE (``why``: the table's note or erratum); with more, a Reserved report is
    judged when sent (evseId and connectorId not 0), never required."""
    if csms.config.station.connectors == 1:
        await evse_reported(csms, sut, csms.evse, "Reserved", since=since, label=label)
        return
    for item in reported_status(sut, "Reserved", since=since):
        check(
            item.payload["evseId"] != 0 and item.payload["connectorId"] != 0,
            f"{label}: StatusNotificationRequest Reserved with evseId and connectorId not 0",
            item.payload,
        )
    step(f"{label}: not required with more than one EVSE ({why})")


def check_reservation_id(
    sut: StationConnection, reservation_id: int, *, since: int, label: str
) -> None:
    """H01.FR.15 (E03.FR.03): the transaction started by the reserved idToken reports the
    reservationId in a TransactionEventRequest (the one with the authorization)."""
    events = [c for c in sut.link.inbox[since:] if c.action == "TransactionEvent"]
    carrying = [c for c in events if "reservationId" in c.payload]
    check(
        bool(carrying),
        f"{label}: a TransactionEventRequest of the transaction must carry reservationId "
        f"{reservation_id} (H01.FR.15: the reservation is used)",
        [c.payload for c in events],
    )
    for item in carrying:
        check(
            item.payload["reservationId"] == reservation_id,
            f"{label}: reservationId must be {reservation_id} (H01.FR.15)",
            item.payload,
        )
    if len(carrying) > 1:
        warn(
            f"{len(carrying)} TransactionEventRequests carry reservationId (E03.FR.03: only "
            "the first after the authorization)"
        )


def reservation_update(item: IncomingCall, reservation_id: int, status: str, *, label: str) -> None:
    check(
        item.payload.get("reservationId") == reservation_id,
        f"{label}: ReservationStatusUpdateRequest reservationId must be {reservation_id}",
        item.payload,
    )
    check(
        item.payload.get("reservationUpdateStatus") == status,
        f"{label}: ReservationStatusUpdateRequest reservationUpdateStatus must be {status}",
        item.payload,
    )
