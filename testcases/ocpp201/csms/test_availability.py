"""OCPP 2.0.1, CSMS under test, G. Availability (2.0.1 Edition 3 Part 6 §3.8, Tables 547-556,
and the 2025 errata, which change none of these CSMS cases).

pytest-ocpp plays the Charging Station (the OCTT column of each scenario table). "Manual
Action: Request the CSMS to change the availability of X" goes through ``csms_operator``,
asking for what the table validates (the whole station, the configured EVSE, or the configured
EVSE and connector). Every request from the CSMS is answered before it is judged, so a failed
check never leaves the CSMS waiting. "Execute Reusable State X" is one call of the station's
method for X (Part 6 §3.18). Part 5 notes for these cases that a CSMS must support both
StatusNotification and NotifyEvent: where a table lists both, both are sent.

Every case leaves the CSMS as found: a case that made (part of) the station Inoperative ends
with an "After" step in which the CSMS is made to set it Operative again (not part of the
table, not judged: a problem there is a warning), and a case that fails with a transaction
running ends it. A following case would otherwise meet a CSMS that still holds the station,
EVSE or connector Inoperative.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check
from pytest_ocpp.verdicts import ConnectionLost, NotApplicable, TargetFailure, TargetTimeout


# -- helpers ---------------------------------------------------------------------------------
def _scope(evse_id: int | None, connector_id: int | None) -> str:
    """What a ChangeAvailabilityRequest addresses, in words."""
    if evse_id is None:
        return "the Charging Station"
    if connector_id is None:
        return f"EVSE {evse_id}"
    return f"connector {connector_id} of EVSE {evse_id}"


def _wanted(status: str, evse_id: int | None, connector_id: int | None) -> dict[str, Any]:
    """The ChangeAvailabilityRequest the operator is asked for (G03, G04)."""
    payload: dict[str, Any] = {"operationalStatus": status}
    if evse_id is not None:
        payload["evse"] = {"id": evse_id}
        if connector_id is not None:
            payload["evse"]["connectorId"] = connector_id
    return payload


async def _change_availability(
    station: Station201,
    csms_operator: CsmsOperator,
    status: str,
    *,
    evse_id: int | None = None,
    connector_id: int | None = None,
    answer: str = "Accepted",
) -> dict[str, Any]:
    """Steps 1-2: the CSMS is made to send a ChangeAvailabilityRequest ``status`` for the
    station, ``evse_id`` or that EVSE's ``connector_id``, answered ``answer``. Then the tool
    validations: operationalStatus ``status``; evse omitted for the whole station, evse.id
    with connectorId omitted for an EVSE, evse.id and evse.connectorId for a connector.
    Returns the request."""
    target = _scope(evse_id, connector_id)
    step(f"1. The CSMS sends a ChangeAvailabilityRequest ({status}, {target}; manual action)")
    request = await csms_operator.request(
        station, "ChangeAvailability", _wanted(status, evse_id, connector_id)
    )
    step(f"2. The OCTT responds with a ChangeAvailabilityResponse with status {answer}")
    await request.reply({"status": answer})
    payload = request.payload
    check(
        payload.get("operationalStatus") == status,
        f"Step 1: ChangeAvailabilityRequest operationalStatus {status}",
        payload,
    )
    evse = payload.get("evse")
    if evse_id is None:
        check(
            evse is None,
            "Step 1: ChangeAvailabilityRequest evse omitted (the whole Charging Station, G04)",
            payload,
        )
    elif connector_id is None:
        check(
            isinstance(evse, dict) and evse.get("id") == evse_id and "connectorId" not in evse,
            f"Step 1: ChangeAvailabilityRequest evse.id {evse_id} (the configured evseId), "
            "connectorId omitted (G03)",
            payload,
        )
    else:
        check(
            isinstance(evse, dict)
            and evse.get("id") == evse_id
            and evse.get("connectorId") == connector_id,
            f"Step 1: ChangeAvailabilityRequest evse.id {evse_id} and evse.connectorId "
            f"{connector_id} (the configured evseId and connectorId, G03)",
            payload,
        )
    return payload


async def _report(
    station: Station201, status: str, evse_id: int | None, connector_id: int | None
) -> None:
    """The connectors a change covered report ``status`` both ways (StatusNotification and
    NotifyEvent Connector AvailabilityState): all of them for the station, the configured
    connector for an EVSE or a connector."""
    if evse_id is None:
        await station.report_all_connectors(status)
    else:
        connector = station.connector_id if connector_id is None else connector_id
        await station.connector_status(evse_id, connector, status)


async def _made_inoperative(
    station: Station201,
    csms_operator: CsmsOperator,
    *,
    evse_id: int | None = None,
    connector_id: int | None = None,
) -> None:
    """A preparation ("Memory State: Unavailable for <Configured connectorId>", "Reusable
    State: Charging Station set to Unavailable"), for which Part 6 has no reusable state:
    the CSMS is made to set the station or connector Inoperative, answered Accepted, and the
    connectors report Unavailable. Not judged: the case's own steps are."""
    target = _scope(evse_id, connector_id)
    step(f"Before: the CSMS is made to set {target} Inoperative (preparation, not judged)")
    request = await csms_operator.request(
        station, "ChangeAvailability", _wanted("Inoperative", evse_id, connector_id)
    )
    await request.reply({"status": "Accepted"})
    await _report(station, "Unavailable", evse_id, connector_id)


async def _operative_again(
    station: Station201,
    csms_operator: CsmsOperator,
    evse_id: int | None,
    connector_id: int | None,
) -> None:
    """The "After" step: the CSMS is made to set the station, EVSE or connector Operative
    again, answered Accepted, the connectors report Available. Outside the table, so a
    problem here is a warning, never the verdict."""
    target = _scope(evse_id, connector_id)
    step(f"After: the CSMS is made to set {target} Operative again (not judged)")
    try:
        request = await csms_operator.request(
            station, "ChangeAvailability", _wanted("Operative", evse_id, connector_id)
        )
        await request.reply({"status": "Accepted"})
        await _report(station, "Available", evse_id, connector_id)
    except (Exception, NotApplicable) as exc:
        warn(f"could not set {target} Operative again after the scenario: {exc}")


@contextlib.asynccontextmanager
async def _restored(
    station: Station201,
    csms_operator: CsmsOperator,
    *,
    evse_id: int | None = None,
    connector_id: int | None = None,
    on_success: bool = True,
) -> AsyncIterator[None]:
    """Around a scenario that makes ``evse_id`` / ``connector_id`` (None: the station)
    Inoperative: afterwards end a transaction a failure left running, then set it Operative
    again (:func:`_operative_again`), on success when ``on_success`` and after a failure of
    the target that still answers. Not after a timeout or a lost connection (the CSMS did not
    act, or cannot be reached) nor after a rig problem."""
    failure: BaseException | None = None
    try:
        yield
    except BaseException as exc:
        failure = exc
        raise
    finally:
        if failure is not None and station.transaction_id is not None:
            with contextlib.suppress(Exception):
                await station.leave_idle()
        responsive = isinstance(failure, TargetFailure) and not isinstance(
            failure, (TargetTimeout, ConnectionLost)
        )
        if (failure is None and on_success) or responsive:
            await _operative_again(station, csms_operator, evse_id, connector_id)


# -- G03 Change Availability EVSE --------------------------------------------------------------
@ocpp_case("TC_G_03_CSMS", version="2.0.1")
async def test_tc_g_03_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can make one EVSE Inoperative (G03): exactly reusable state Unavailable for the
    configured EVSE (Table 700: ChangeAvailabilityRequest Inoperative, evse.id the configured
    one, connectorId omitted; its connector reports Unavailable both ways)."""
    evse = station.evse_id
    async with _restored(station, csms_operator, evse_id=evse):
        step("1. Execute Reusable State Unavailable for the configured EVSE")
        await station.unavailable(csms_operator, evse)


@ocpp_case("TC_G_04_CSMS", version="2.0.1")
async def test_tc_g_04_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can make an Inoperative EVSE Operative again (G03): ChangeAvailabilityRequest
    Operative for the configured EVSE (connectorId omitted), answered Accepted; its connector
    reports Available both ways.

    The memory state "Unavailable for <Configured evseId>" is reached with reusable state
    Unavailable for that EVSE (Table 700), the way Part 6 makes an EVSE Unavailable."""
    evse = station.evse_id
    async with _restored(station, csms_operator, evse_id=evse, on_success=False):
        step("Before: Reusable State Unavailable for the configured EVSE (memory state)")
        await station.unavailable(csms_operator, evse)
        await _change_availability(station, csms_operator, "Operative", evse_id=evse)
        step("3. The OCTT reports the EVSE's connector Available (StatusNotification, NotifyEvent)")
        await _report(station, "Available", evse, None)


# -- G04 Change Availability Charging Station --------------------------------------------------
@ocpp_case("TC_G_05_CSMS", version="2.0.1")
async def test_tc_g_05_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can make the whole Charging Station Inoperative (G04): ChangeAvailabilityRequest
    Inoperative without evse, answered Accepted; every connector reports Unavailable both
    ways."""
    async with _restored(station, csms_operator):
        await _change_availability(station, csms_operator, "Inoperative")
        step("3. The OCTT reports every connector Unavailable (StatusNotification, NotifyEvent)")
        await _report(station, "Unavailable", None, None)


@ocpp_case("TC_G_06_CSMS", version="2.0.1")
async def test_tc_g_06_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can make an Inoperative Charging Station Operative again (G04):
    ChangeAvailabilityRequest Operative without evse, answered Accepted; every connector
    reports Available both ways.

    The table's manual action reads "to Inoperative"; its validation and title say Operative,
    which is what is asked for. The preparation "Charging Station set to Unavailable" has no
    reusable state: the CSMS is made to set the station Inoperative first (not judged)."""
    async with _restored(station, csms_operator, on_success=False):
        await _made_inoperative(station, csms_operator)
        await _change_availability(station, csms_operator, "Operative")
        step("3. The OCTT reports every connector Available (StatusNotification, NotifyEvent)")
        await _report(station, "Available", None, None)


# -- G03 Change Availability Connector ---------------------------------------------------------
@ocpp_case("TC_G_07_CSMS", version="2.0.1")
async def test_tc_g_07_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can make one connector Inoperative (G03): ChangeAvailabilityRequest Inoperative
    for the configured EVSE and connector, answered Accepted; the connector reports
    Unavailable both ways."""
    evse, connector = station.evse_id, station.connector_id
    async with _restored(station, csms_operator, evse_id=evse, connector_id=connector):
        await _change_availability(
            station, csms_operator, "Inoperative", evse_id=evse, connector_id=connector
        )
        step("3. The OCTT reports the connector Unavailable (StatusNotification, NotifyEvent)")
        await _report(station, "Unavailable", evse, connector)


@ocpp_case("TC_G_08_CSMS", version="2.0.1")
async def test_tc_g_08_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can make an Inoperative connector Operative again (G03):
    ChangeAvailabilityRequest Operative for the configured EVSE and connector, answered
    Accepted; the connector reports Available both ways.

    The memory state "Unavailable for <Configured connectorId>" has no reusable state: the
    CSMS is made to set the connector Inoperative first (not judged)."""
    evse, connector = station.evse_id, station.connector_id
    async with _restored(
        station, csms_operator, evse_id=evse, connector_id=connector, on_success=False
    ):
        await _made_inoperative(station, csms_operator, evse_id=evse, connector_id=connector)
        await _change_availability(
            station, csms_operator, "Operative", evse_id=evse, connector_id=connector
        )
        step("3. The OCTT reports the connector Available (StatusNotification, NotifyEvent)")
        await _report(station, "Available", evse, connector)


# -- with an ongoing transaction: Scheduled ----------------------------------------------------
async def _transaction_ends(station: Station201, first: int) -> None:
    """The table's note "Wait for <Configured Transaction Duration>" and reusable states
    StopAuthorized, EVConnectedPostSession, EVDisconnected (steps ``first`` to ``first`` + 2),
    after which the scheduled change applies."""
    await station.transaction_duration()
    step(f"{first}. Execute Reusable State StopAuthorized")
    await station.stop_authorized()
    step(f"{first + 1}. Execute Reusable State EVConnectedPostSession")
    await station.ev_connected_post_session()
    step(f"{first + 2}. Execute Reusable State EVDisconnected")
    await station.ev_disconnected()


@ocpp_case("TC_G_11_CSMS", version="2.0.1")
async def test_tc_g_11_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can ask an EVSE with a transaction to become Inoperative (G03):
    ChangeAvailabilityRequest Inoperative for the configured EVSE (connectorId omitted),
    answered Scheduled; once the transaction has ended the connector reports Unavailable.

    Step 6 reads "StatusNotificationRequest ... OR NotifyEventRequest": both are sent (Part 5:
    a CSMS must support both)."""
    evse = station.evse_id
    async with _restored(station, csms_operator, evse_id=evse):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        await _change_availability(
            station, csms_operator, "Inoperative", evse_id=evse, answer="Scheduled"
        )
        await _transaction_ends(station, 3)
        step("6. The OCTT reports the connector Unavailable (StatusNotification, NotifyEvent)")
        await _report(station, "Unavailable", evse, None)


@ocpp_case("TC_G_14_CSMS", version="2.0.1")
async def test_tc_g_14_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can ask a Charging Station with a transaction to become Inoperative (G04):
    ChangeAvailabilityRequest Inoperative without evse, answered Scheduled; the unoccupied
    connectors report Unavailable at once, the transaction's connector once the transaction
    has ended (StatusNotification, as the table lists)."""
    evse, connector = station.evse_id, station.connector_id
    async with _restored(station, csms_operator):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        await _change_availability(station, csms_operator, "Inoperative", answer="Scheduled")
        step("3. The OCTT reports every unoccupied connector Unavailable (StatusNotification)")
        for other in range(1, station.spec.connectors + 1):
            if other != evse:
                await station.status(other, 1, "Unavailable")
        await _transaction_ends(station, 5)
        step("8. The OCTT reports the configured connector Unavailable (StatusNotification)")
        await station.status(evse, connector, "Unavailable")


@ocpp_case("TC_G_17_CSMS", version="2.0.1")
async def test_tc_g_17_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can ask a connector with a transaction to become Inoperative (G03):
    ChangeAvailabilityRequest Inoperative for the configured EVSE and connector, answered
    Scheduled; once the transaction has ended the connector reports Unavailable
    (StatusNotification, as the table lists)."""
    evse, connector = station.evse_id, station.connector_id
    async with _restored(station, csms_operator, evse_id=evse, connector_id=connector):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        await _change_availability(
            station,
            csms_operator,
            "Inoperative",
            evse_id=evse,
            connector_id=connector,
            answer="Scheduled",
        )
        await _transaction_ends(station, 3)
        step("6. The OCTT reports the connector Unavailable (StatusNotification)")
        await station.status(evse, connector, "Unavailable")


# -- G05 Lock failure --------------------------------------------------------------------------
@ocpp_case("TC_G_20_CSMS", version="2.0.1")
async def test_tc_g_20_csms(station: Station201) -> None:
    """The CSMS takes a connector lock failure (G05.FR.03: the station reports it with a
    NotifyEventRequest, component ConnectorPlugRetentionLock, variable Problem, actualValue
    "true", trigger Delta) and answers it."""
    step("1. The OCTT sends a NotifyEventRequest (ConnectorPlugRetentionLock Problem true)")
    await station.notify_event(
        "true",
        evse_id=station.evse_id,
        connector_id=station.connector_id,
        component="ConnectorPlugRetentionLock",
        variable="Problem",
    )
