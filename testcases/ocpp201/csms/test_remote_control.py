"""OCPP 2.0.1, CSMS under test, F. Remote Control (2.0.1 Edition 3 Part 6 §3.7, Tables 532-546,
and the 2025 errata, which change none of these CSMS cases).

pytest-ocpp plays the Charging Station (the OCTT column of each scenario table). "Manual
Action: Trigger the CSMS to ..." goes through ``csms_operator``, asking for what the table
validates (the configured valid idToken, the configured EVSE and connector). Every request from
the CSMS is answered before it is judged, so a failed check never leaves the CSMS waiting.
"Execute Reusable State X" is one call of the station's method for X (Part 6 §3.18).

General preconditions (Part 6 §3.1) hold in the fake station's device model: TxStartPoint
"EVConnected,Authorized", TxStopPoint "EVConnected", AuthorizeRemoteStart false (true for
TC_F_02_CSMS, whose title says so).

Cases that leave a transaction running end with an "After" step that ends it (also when they
fail): every case starts from an idle station.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import IdTags
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check
from pytest_ocpp.station.device_model import parse_key

NOT_IMPLEMENTED_TRIGGER = "SignCombinedCertificate"
"""What TC_F_27_CSMS asks the CSMS to trigger unless ``[station] not_implemented_trigger``
says otherwise: the message Part 5 names for the Charging Station side of TC_F_27 ("can only
be done when SignCombinedCertificate is not implemented"). Any requestedMessage is answered
NotImplemented, so the choice only has to suit the CSMS's operator."""


# -- helpers ---------------------------------------------------------------------------------
@contextlib.asynccontextmanager
async def _ends_idle(station: Station201) -> AsyncIterator[None]:
    """End the transaction the scenario left running (general post-condition). After a
    failure the clean-up is best effort, so the failure's own message stays the verdict."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            await station.leave_idle()
        raise
    step("After: end the transaction and free the connector (idle station for the next case)")
    await station.leave_idle()


def _trigger_meter_value(station: Station201) -> dict[str, Any]:
    """A MeterValueType with one sampledValue of context Trigger (F06.FR.06/07: the most recent
    measurement); measurand omitted, i.e. Energy.Active.Import.Register by default."""
    return {
        "timestamp": station.now(),
        "sampledValue": [{"value": float(next(station.meter)), "context": "Trigger"}],
    }


async def _remote_start(
    station: Station201, csms_operator: CsmsOperator, *, transaction_id: str | None = None
) -> dict[str, Any]:
    """Steps 1-2 of Tables 532-535: the CSMS is made to send RequestStartTransactionRequest
    for the configured valid idToken on the configured EVSE, answered Accepted (with the
    running ``transaction_id``, F01.FR.13, else without). Validations: idToken.idToken and
    idToken.type the configured valid ones (the table); evseId, which the CSMS may leave out
    (F01.FR.06, F02.FR.14), the EVSE the operator asked for when present. Returns the
    request."""
    token = station.id_token()
    wanted = {
        "idToken": token,
        "remoteStartId": secrets.randbelow(2**31 - 1) + 1,
        "evseId": station.evse_id,
    }
    step("1. The CSMS sends a RequestStartTransactionRequest (manual action)")
    request = await csms_operator.request(station, "RequestStartTransaction", wanted)
    answer: dict[str, Any] = {"status": "Accepted"}
    if transaction_id is not None:
        answer["transactionId"] = transaction_id
    step("2. The OCTT responds with a RequestStartTransactionResponse with status Accepted")
    await request.reply(answer)
    payload = request.payload
    got = payload.get("idToken") or {}
    check(
        got.get("idToken") == token["idToken"] and got.get("type") == token["type"],
        f"Step 1: RequestStartTransactionRequest idToken.idToken {token['idToken']} and "
        f"idToken.type {token['type']} (the configured valid idToken; F01.FR.04, F02.FR.12)",
        payload,
    )
    check(
        payload.get("evseId") in (None, station.evse_id),
        f"Step 1: RequestStartTransactionRequest evseId {station.evse_id} or omitted (the "
        "EVSE the CSMS was asked to start on; F01.FR.06, F02.FR.14)",
        payload,
    )
    return payload


def _remotely_authorized(station: Station201, request: dict[str, Any]) -> dict[str, str]:
    """State Authorized for the idToken the CSMS sent (the tables' "State is Authorized"
    before EnergyTransferStarted). Returns that idToken."""
    token = dict(request["idToken"])
    station.remotely_authorized(token)
    return token


async def _trigger(
    station: Station201,
    csms_operator: CsmsOperator,
    requested: str,
    *,
    evse_id: int | None = None,
    connector_id: int | None = None,
    answer: str = "Accepted",
    judged: bool = True,
    number: int = 1,
) -> dict[str, Any]:
    """Steps ``number`` and ``number`` + 1 (1-2 in most of Tables 537-546): the CSMS is made to
    send a TriggerMessageRequest for ``requested`` (for ``evse_id`` / ``connector_id`` when
    given), answered ``answer``. Validations (when ``judged``): requestedMessage is
    ``requested`` (F06.FR.01); evse.id is the configured EVSE where the table names one
    (F06.FR.02). Returns the request."""
    wanted: dict[str, Any] = {"requestedMessage": requested}
    if evse_id is not None:
        wanted["evse"] = {"id": evse_id}
        if connector_id is not None:
            wanted["evse"]["connectorId"] = connector_id
    step(f"{number}. The CSMS sends a TriggerMessageRequest ({requested}; manual action)")
    request = await csms_operator.request(station, "TriggerMessage", wanted)
    step(f"{number + 1}. The OCTT responds with a TriggerMessageResponse with status {answer}")
    await request.reply({"status": answer})
    payload = request.payload
    if not judged:
        return payload
    check(
        payload.get("requestedMessage") == requested,
        f"Step {number}: TriggerMessageRequest requestedMessage {requested} (F06.FR.01)",
        payload,
    )
    if evse_id is not None:
        check(
            (payload.get("evse") or {}).get("id") == evse_id,
            f"Step {number}: TriggerMessageRequest evse.id {evse_id} (the configured evseId; "
            "F06.FR.02)",
            payload,
        )
    return payload


def _check_status_trigger_connector(payload: dict[str, Any], number: int) -> None:
    """F06.FR.13: a TriggerMessageRequest for StatusNotification names the connector."""
    check(
        "connectorId" in (payload.get("evse") or {}),
        f"Step {number}: TriggerMessageRequest for StatusNotification with evse.connectorId set "
        "(F06.FR.13: StatusNotification can only be sent at connector level)",
        payload,
    )


# -- F01/F02 Remote start --------------------------------------------------------------------
@ocpp_case("TC_F_01_CSMS", version="2.0.1")
async def test_tc_f_01_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """A remote start after the cable was plugged in (F01): the transaction already runs
    (TxStartPoint EVConnected), the CSMS sends RequestStartTransactionRequest with the
    configured idToken, the station answers with the running transactionId (F01.FR.13) and
    reports the remote start (triggerReason RemoteStart, the CSMS's remoteStartId: F01.FR.19,
    F01.FR.25), then charges.

    Departure: step 3 also carries the idToken the CSMS sent, which the table leaves out:
    F01.FR.04 makes the station use it in the TransactionEventRequest, and F01.FR.02/03 have
    the CSMS check it there."""
    step("Before: Reusable State EVConnectedPreSession")
    await station.ev_connected_pre_session()
    async with _ends_idle(station):
        request = await _remote_start(station, csms_operator, transaction_id=station.transaction_id)
        token = _remotely_authorized(station, request)
        step("3. The OCTT sends a TransactionEventRequest (Updated, RemoteStart, remoteStartId)")
        await station.transaction_event(
            "Updated",
            "RemoteStart",
            remote_start_id=request["remoteStartId"],
            id_token=token,
        )
        step("5. Execute Reusable State EnergyTransferStarted (Authorized, EVConnected)")
        await station.energy_transfer_started()


@ocpp_case("TC_F_02_CSMS", version="2.0.1")
async def test_tc_f_02_csms(station: Station201, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """A remote start before the cable is plugged in, with AuthorizeRemoteStart true (F02,
    F01.FR.01): the station first authorizes the idToken like a local action (the CSMS must
    accept it), then starts the transaction with triggerReason RemoteStart and the CSMS's
    remoteStartId (F02.FR.01, F02.FR.21); the EV connects and charges.

    The station's AuthCtrlr.AuthorizeRemoteStart is true for this case, as its title says (a
    CSMS reading it sees true). Departure: step 5 also carries the idToken (F02.FR.05, F02.FR.12:
    the station uses the idToken of the request in its TransactionEventRequest)."""
    station.device_model.put(parse_key("AuthCtrlr.AuthorizeRemoteStart"), True, "ReadWrite")
    request = await _remote_start(station, csms_operator)
    async with _ends_idle(station):
        step("3. The OCTT sends an AuthorizeRequest with the configured valid idToken")
        info = await station.authorize(tags.valid)
        check(
            info.get("status") == "Accepted",
            "Step 4: AuthorizeResponse idTokenInfo.status Accepted (F01.FR.01)",
            info,
        )
        token = _remotely_authorized(station, request)
        step("5. The OCTT sends a TransactionEventRequest (Started, RemoteStart, remoteStartId)")
        await station.transaction_event(
            "Started",
            "RemoteStart",
            remote_start_id=request["remoteStartId"],
            id_token=token,
        )
        step("7. Execute Reusable State EnergyTransferStarted (Authorized, EV not connected)")
        await station.energy_transfer_started()


@ocpp_case("TC_F_03_CSMS", version="2.0.1")
async def test_tc_f_03_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """A remote start before the cable is plugged in, with AuthorizeRemoteStart false (F02,
    F01.FR.02): the station starts the transaction at once with triggerReason RemoteStart and
    the CSMS's remoteStartId (F02.FR.01, F02.FR.21) and the CSMS checks the idToken there; the
    EV connects and charges.

    Departure: step 3 also carries the idToken (F01.FR.02, F02.FR.10/12: the station sends
    it, and the CSMS checks it when processing the TransactionEventRequest)."""
    request = await _remote_start(station, csms_operator)
    async with _ends_idle(station):
        token = _remotely_authorized(station, request)
        step("3. The OCTT sends a TransactionEventRequest (Started, RemoteStart, remoteStartId)")
        await station.transaction_event(
            "Started",
            "RemoteStart",
            remote_start_id=request["remoteStartId"],
            id_token=token,
        )
        step("5. Execute Reusable State EnergyTransferStarted (Authorized, EV not connected)")
        await station.energy_transfer_started()


@ocpp_case("TC_F_04_CSMS", version="2.0.1")
async def test_tc_f_04_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """A remote start whose EV never connects (F02, E03.FR.04/05): the transaction started by
    RequestStartTransaction (triggerReason RemoteStart, remoteStartId) is deauthorized after
    the EV connection timeout with triggerReason EVConnectTimeout, and the CSMS takes it.

    Step 5 follows the table: eventType Updated (the deauthorization of F02.FR.08), after
    ``[station] transaction_duration``. Departure: step 3 also carries the idToken (F02.FR.12).
    The "After" step ends the deauthorized transaction."""
    request = await _remote_start(station, csms_operator)
    async with _ends_idle(station):
        token = _remotely_authorized(station, request)
        step("3. The OCTT sends a TransactionEventRequest (Started, RemoteStart, remoteStartId)")
        await station.transaction_event(
            "Started",
            "RemoteStart",
            remote_start_id=request["remoteStartId"],
            id_token=token,
        )
        await station.transaction_duration()
        step("5. The OCTT sends a TransactionEventRequest (Updated, EVConnectTimeout)")
        await station.transaction_event("Updated", "EVConnectTimeout")
        station.authorized_token = None


# -- F05 Remote unlock -----------------------------------------------------------------------
@ocpp_case("TC_F_06_CSMS", version="2.0.1", requires="C-11")
async def test_tc_f_06_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can unlock a connector on request (F05): UnlockConnectorRequest for the
    configured EVSE and connector (both required by the schema), answered Unlocked
    (F05.FR.04). Part 5: for a CSMS supporting UnlockConnector (C-11)."""
    evse, connector = station.evse_id, station.connector_id
    step("1. The CSMS sends an UnlockConnectorRequest (manual action)")
    request = await csms_operator.request(
        station, "UnlockConnector", {"evseId": evse, "connectorId": connector}
    )
    step("2. The OCTT responds with an UnlockConnectorResponse with status Unlocked")
    await request.reply({"status": "Unlocked"})
    payload = request.payload
    check(
        payload.get("evseId") == evse,
        f"Step 1: UnlockConnectorRequest evseId {evse} (the configured evseId)",
        payload,
    )
    check(
        payload.get("connectorId") == connector,
        f"Step 1: UnlockConnectorRequest connectorId {connector} (the configured connectorId)",
        payload,
    )


# -- F06 Trigger message ---------------------------------------------------------------------
@ocpp_case("TC_F_11_CSMS", version="2.0.1", requires="C-29.1")
async def test_tc_f_11_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can trigger MeterValues for one EVSE (F06.FR.01/02) and takes the triggered
    MeterValuesRequest (context Trigger)."""
    evse = station.evse_id
    await _trigger(station, csms_operator, "MeterValues", evse_id=evse)
    step("3. The OCTT sends a MeterValuesRequest for the configured EVSE (context Trigger)")
    await station.call(
        "MeterValues", {"evseId": evse, "meterValue": [_trigger_meter_value(station)]}
    )


@ocpp_case("TC_F_12_CSMS", version="2.0.1", requires="C-29.1")
async def test_tc_f_12_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can trigger MeterValues for all EVSEs (F06.FR.01, F06.FR.11: evse absent means
    all) and takes one triggered MeterValuesRequest per EVSE.

    Departure: the table has step 3 "evseId omitted", but MeterValuesRequest requires evseId
    (schema); "executed for every EVSE", each request names its EVSE."""
    await _trigger(station, csms_operator, "MeterValues")
    for evse in range(1, station.spec.connectors + 1):
        step(f"3. The OCTT sends a MeterValuesRequest for EVSE {evse} (context Trigger)")
        await station.call(
            "MeterValues", {"evseId": evse, "meterValue": [_trigger_meter_value(station)]}
        )


@ocpp_case("TC_F_13_CSMS", version="2.0.1", requires="C-29.2")
async def test_tc_f_13_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can trigger a TransactionEvent for one EVSE during a transaction (F06.FR.01/02)
    and takes the triggered TransactionEventRequest (triggerReason Trigger, chargingState
    Charging, a meterValue of context Trigger: F06.FR.07)."""
    step("Before: Reusable State EnergyTransferStarted")
    await station.energy_transfer_started()
    async with _ends_idle(station):
        evse = station.evse_id
        await _trigger(station, csms_operator, "TransactionEvent", evse_id=evse)
        step("3. The OCTT sends a TransactionEventRequest (Updated, Trigger, Charging)")
        await station.transaction_event(
            "Updated",
            "Trigger",
            charging_state="Charging",
            evse_id=evse,
            with_connector=False,
            meter_values=[_trigger_meter_value(station)],
        )


@ocpp_case("TC_F_14_CSMS", version="2.0.1", requires="C-29.2")
async def test_tc_f_14_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can trigger TransactionEvents for all EVSEs (F06.FR.01, F06.FR.11) and takes
    the triggered TransactionEventRequest (evse omitted, triggerReason Trigger, chargingState
    Charging, meterValue of context Trigger: F06.FR.07). "Executed for every EVSE": only the
    configured EVSE has a transaction, so one request is sent."""
    step("Before: Reusable State EnergyTransferStarted")
    await station.energy_transfer_started()
    async with _ends_idle(station):
        await _trigger(station, csms_operator, "TransactionEvent")
        step("3. The OCTT sends a TransactionEventRequest (Updated, Trigger, Charging)")
        await station.transaction_event(
            "Updated",
            "Trigger",
            charging_state="Charging",
            meter_values=[_trigger_meter_value(station)],
        )


@ocpp_case("TC_F_15_CSMS", version="2.0.1", requires="C-29.3")
async def test_tc_f_15_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can trigger a LogStatusNotification (F06.FR.01) and takes the triggered
    LogStatusNotificationRequest with status Idle (F06.FR.15: no upload running)."""
    await _trigger(station, csms_operator, "LogStatusNotification")
    step("3. The OCTT sends a LogStatusNotificationRequest with status Idle")
    await station.call("LogStatusNotification", {"status": "Idle"})


@ocpp_case("TC_F_18_CSMS", version="2.0.1", requires="C-29.4")
async def test_tc_f_18_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can trigger a FirmwareStatusNotification (F06.FR.01) and takes the triggered
    FirmwareStatusNotificationRequest with status Idle (F06.FR.16: no firmware task running)."""
    await _trigger(station, csms_operator, "FirmwareStatusNotification")
    step("3. The OCTT sends a FirmwareStatusNotificationRequest with status Idle")
    await station.call("FirmwareStatusNotification", {"status": "Idle"})


@ocpp_case("TC_F_20_CSMS", version="2.0.1")
async def test_tc_f_20_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can trigger a Heartbeat (F06.FR.01) and answers the triggered HeartbeatRequest
    (with a valid currentTime: the response is judged against its schema like every other)."""
    await _trigger(station, csms_operator, "Heartbeat")
    step("3. The OCTT sends a HeartbeatRequest")
    await station.heartbeat()


@ocpp_case("TC_F_23_CSMS", version="2.0.1", requires="C-29.5")
async def test_tc_f_23_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can trigger a StatusNotification for one available connector (F06.FR.01/02,
    naming the connector as F06.FR.13 requires) and takes the connector's report, both ways
    (StatusNotification and NotifyEvent AvailabilityState Available)."""
    evse, connector = station.evse_id, station.connector_id
    payload = await _trigger(
        station, csms_operator, "StatusNotification", evse_id=evse, connector_id=connector
    )
    _check_status_trigger_connector(payload, 1)
    step("3. The OCTT reports the connector Available (StatusNotification and NotifyEvent)")
    await station.connector_status(evse, connector, "Available")


@ocpp_case("TC_F_24_CSMS", version="2.0.1", requires="C-29.5")
async def test_tc_f_24_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can trigger a StatusNotification for one occupied connector (F06.FR.01/02,
    F06.FR.13) and takes the connector's report, both ways, before and after the trigger.
    The "After" step reports the connector Available again (idle station for the next case)."""
    evse, connector = station.evse_id, station.connector_id
    step("1. The OCTT reports the connector Occupied (StatusNotification and NotifyEvent)")
    await station.connector_status(evse, connector, "Occupied")
    payload = await _trigger(
        station,
        csms_operator,
        "StatusNotification",
        evse_id=evse,
        connector_id=connector,
        number=3,
    )
    _check_status_trigger_connector(payload, 3)
    step("5. The OCTT reports the connector Occupied (StatusNotification and NotifyEvent)")
    await station.connector_status(evse, connector, "Occupied")
    step("After: the connector is Available again (idle station for the next case)")
    await station.connector_status(evse, connector, "Available")


@ocpp_case("TC_F_27_CSMS", version="2.0.1")
async def test_tc_f_27_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS can send a TriggerMessageRequest and handles the answer NotImplemented
    (F06.FR.08). The table has no tool validation: any requestedMessage is answered
    NotImplemented; the operator is asked for ``[station] not_implemented_trigger``
    (SignCombinedCertificate unless configured)."""
    requested = str(station.spec.extra.get("not_implemented_trigger", NOT_IMPLEMENTED_TRIGGER))
    await _trigger(station, csms_operator, requested, answer="NotImplemented", judged=False)
