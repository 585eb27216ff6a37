"""OCPP 2.0.1, CSMS under test, E. Transactions: start and stop options, local start and stop
(2.0.1 Edition 3 Part 6 §3.6, Tables 505-525 and 531; the 2025 errata change none of these
CSMS-side tables). The E14 transaction-status cases and the offline queue are in
``test_transaction_status.py``.

pytest-ocpp plays the Charging Station (the OCTT column of each scenario table). "Execute
Reusable State X" is one call of the station's method for X (Part 6 §3.18, Tables 698-710).
The start and stop options ("TxStartPoint is PowerPathClosed") describe the simulated
station's own configuration: it sends what such a station sends, and the CSMS must answer
every TransactionEventRequest (J02.FR.19: it cannot reject one), returning idTokenInfo
whenever the request carries an idToken (E01.FR.11/12, E02.FR.02, E03.FR.02).

Every case that starts a transaction ends it: the table's own Ended, else an "After" step
(:func:`ends_idle`, also run when a step fails), so the next case starts idle.
"""

from __future__ import annotations

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import IdTags
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check

from ._transaction_support import (
    amending,
    check_token_accepted,
    ends_idle,
    replayed_event,
    signed_meter_value,
    station_timer,
)


async def _authorize_accepted(station: Station201, tags: IdTags, where: str) -> None:
    """The tables' AuthorizeRequest with the configured valid idToken, and their tool
    validation "idTokenInfo.status must be Accepted" (C01.FR.07)."""
    info = await station.authorize(tags.valid)
    check(
        info["status"] == "Accepted",
        f"{where}: AuthorizeResponse idTokenInfo.status Accepted",
        info,
    )


async def _occupied(station: Station201) -> None:
    """The connector turns Occupied, both ways OCTT reports it (StatusNotificationRequest and
    NotifyEventRequest Delta / Connector / AvailabilityState)."""
    await station.connector_status(station.evse_id, station.connector_id, "Occupied")


# -- start options (E01) ---------------------------------------------------------------------
@ocpp_case("TC_E_01_CSMS", version="2.0.1")
async def test_tc_e_01_csms(station: Station201, tags: IdTags) -> None:
    """A station with TxStartPoint PowerPathClosed starts the transaction only once the
    driver is authorized and the EV connected (E01.FR.05): Started ChargingStateChanged /
    SuspendedEVSE with the idToken and the EVSE. The CSMS accepts the valid idToken in the
    AuthorizeResponse and in the TransactionEventResponse (E01.FR.11/12)."""
    step("1. The OCTT sends an AuthorizeRequest with the configured valid idToken")
    await _authorize_accepted(station, tags, "Step 2")
    async with ends_idle(station):
        step("3. The OCTT reports the connector Occupied (StatusNotification, NotifyEvent)")
        await _occupied(station)
        step(
            "5. The OCTT sends a TransactionEventRequest Started, ChargingStateChanged, SuspendedEVSE"
        )
        conf = await station.transaction_event(
            "Started",
            "ChargingStateChanged",
            evse_id=station.evse_id,
            connector_id=station.connector_id,
            charging_state="SuspendedEVSE",
            id_token=station.id_token(tags.valid),
        )
        step("6. The CSMS responds with a TransactionEventResponse")
        check_token_accepted(conf, "Step 6")
        step("7. The OCTT sends a TransactionEventRequest Updated, ChargingStateChanged, Charging")
        await station.transaction_event(
            "Updated", "ChargingStateChanged", charging_state="Charging"
        )


@ocpp_case("TC_E_02_CSMS", version="2.0.1")
async def test_tc_e_02_csms(station: Station201, tags: IdTags) -> None:
    """A station with TxStartPoint EnergyTransfer starts the transaction when energy flows
    (E01.FR.06): Started ChargingStateChanged / Charging with the idToken and the EVSE; the
    CSMS accepts the valid idToken in both answers (E01.FR.11/12)."""
    step("1. The OCTT sends an AuthorizeRequest with the configured valid idToken")
    await _authorize_accepted(station, tags, "Step 2")
    async with ends_idle(station):
        step("3. The OCTT reports the connector Occupied (StatusNotification, NotifyEvent)")
        await _occupied(station)
        step("5. The OCTT sends a TransactionEventRequest Started, ChargingStateChanged, Charging")
        conf = await station.transaction_event(
            "Started",
            "ChargingStateChanged",
            evse_id=station.evse_id,
            connector_id=station.connector_id,
            charging_state="Charging",
            id_token=station.id_token(tags.valid),
        )
        step("6. The CSMS responds with a TransactionEventResponse")
        check_token_accepted(conf, "Step 6")


@ocpp_case("TC_E_09_CSMS", version="2.0.1")
async def test_tc_e_09_csms(station: Station201) -> None:
    """A station with TxStartPoint EVConnected starts the transaction when the cable is
    plugged in, before any authorization (E01.FR.02): Started CablePluggedIn / EVConnected
    with the EVSE and no idToken. The CSMS answers it (J02.FR.19)."""
    async with ends_idle(station):
        step("1. The OCTT reports the connector Occupied (StatusNotification, NotifyEvent)")
        await _occupied(station)
        step("3. The OCTT sends a TransactionEventRequest Started, CablePluggedIn, EVConnected")
        await station.transaction_event(
            "Started",
            "CablePluggedIn",
            evse_id=station.evse_id,
            connector_id=station.connector_id,
            charging_state="EVConnected",
        )


@ocpp_case("TC_E_10_CSMS", version="2.0.1")
async def test_tc_e_10_csms(station: Station201, tags: IdTags) -> None:
    """A station with TxStartPoint Authorized starts the transaction on the driver's
    authorization, before the EV is connected (E01.FR.03): Started Authorized with the
    idToken and no EVSE (E01.FR.16 asks for it only once the EV is connected). The CSMS
    accepts the valid idToken in both answers (E01.FR.11/12)."""
    step("1. The OCTT sends an AuthorizeRequest with the configured valid idToken")
    await _authorize_accepted(station, tags, "Step 2")
    async with ends_idle(station):
        step("3. The OCTT sends a TransactionEventRequest Started, Authorized, with the idToken")
        conf = await station.transaction_event(
            "Started", "Authorized", id_token=station.id_token(tags.valid)
        )
        step("4. The CSMS responds with a TransactionEventResponse")
        check_token_accepted(conf, "Step 4")


@ocpp_case("TC_E_11_CSMS", version="2.0.1")
async def test_tc_e_11_csms(station: Station201, tags: IdTags) -> None:
    """A station with TxStartPoint DataSigned starts the transaction when its meter has
    signed the start value (E01.FR.04): Started SignedDataReceived with the idToken, the EVSE
    and a meterValue 0.0 / Transaction.Begin carrying a signedMeterValue. The CSMS accepts the
    valid idToken (E01.FR.11/12) and must receive the signed value, not read it (Part 5,
    C-42). The signedMeterValue is generated by pytest-ocpp (see
    :func:`~._transaction_support.signed_meter_value`)."""
    step("1. The OCTT sends an AuthorizeRequest with the configured valid idToken")
    await _authorize_accepted(station, tags, "Step 2")
    async with ends_idle(station):
        step("3. The OCTT reports the connector Occupied (StatusNotification, NotifyEvent)")
        await _occupied(station)
        step("5. The OCTT sends a TransactionEventRequest Started, SignedDataReceived, signed 0.0")
        at = station.now()
        begin = {
            "timestamp": at,
            "sampledValue": [
                {
                    "value": 0.0,
                    "context": "Transaction.Begin",
                    "signedMeterValue": signed_meter_value(
                        "Energy.Active.Import.Register", 0.0, at
                    ),
                }
            ],
        }
        with amending(station, "Started", meterValue=[begin]):
            conf = await station.transaction_event(
                "Started",
                "SignedDataReceived",
                evse_id=station.evse_id,
                connector_id=station.connector_id,
                id_token=station.id_token(tags.valid),
            )
        step("6. The CSMS responds with a TransactionEventResponse")
        check_token_accepted(conf, "Step 6")
        step("7. The OCTT sends a TransactionEventRequest Updated, ChargingStateChanged, Charging")
        await station.transaction_event(
            "Updated", "ChargingStateChanged", charging_state="Charging"
        )


@ocpp_case("TC_E_12_CSMS", version="2.0.1")
async def test_tc_e_12_csms(station: Station201) -> None:
    """A station with TxStartPoint ParkingBayOccupancy starts the transaction when its bay
    detector sees a vehicle (E01.FR.01): Started EVDetected, nothing else (no EVSE, no
    idToken). The CSMS answers it (J02.FR.19)."""
    async with ends_idle(station):
        step("1. The OCTT sends a TransactionEventRequest Started, EVDetected")
        await station.transaction_event("Started", "EVDetected")


# -- local start (E02, E03) ------------------------------------------------------------------
@ocpp_case("TC_E_03_CSMS", version="2.0.1")
async def test_tc_e_03_csms(station: Station201) -> None:
    """A local start with the cable plugged in first (E02): the transaction starts on
    CablePluggedIn, the idToken arrives in a later TransactionEventRequest and the CSMS answers
    it with an authorization status (E02.FR.02; Accepted, by reusable state Authorized)."""
    async with ends_idle(station):
        step("Before: Reusable State EVConnectedPreSession")
        await station.ev_connected_pre_session()
        step("1. Execute Reusable State Authorized")
        await station.authorized()
        step("2. Execute Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()


@ocpp_case("TC_E_04_CSMS", version="2.0.1")
async def test_tc_e_04_csms(station: Station201) -> None:
    """A local start with the idToken presented first (E03): the transaction starts on
    Authorized with the idToken, and the CSMS answers it with an authorization status
    (E03.FR.02; Accepted, by reusable state Authorized); the cable follows."""
    async with ends_idle(station):
        step("1. Execute Reusable State Authorized")
        await station.authorized()
        step("2. Execute Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()


@ocpp_case("TC_E_38_CSMS", version="2.0.1")
async def test_tc_e_38_csms(station: Station201) -> None:
    """An authorized transaction whose EV is connected but not ready to take energy (E03):
    after EVConnectedPreSession the station reports ChargingStateChanged / SuspendedEV, and
    the CSMS answers it (J02.FR.19)."""
    async with ends_idle(station):
        step("Before: Reusable State Authorized")
        await station.authorized()
        step("1. Execute Reusable State EVConnectedPreSession")
        await station.ev_connected_pre_session()
        step(
            "2. The OCTT sends a TransactionEventRequest Updated, ChargingStateChanged, SuspendedEV"
        )
        await station.transaction_event(
            "Updated", "ChargingStateChanged", charging_state="SuspendedEV"
        )


@ocpp_case("TC_E_39_CSMS", version="2.0.1")
async def test_tc_e_39_csms(station: Station201) -> None:
    """An authorized transaction whose EV is never plugged in ends when the station's
    EVConnectionTimeOut expires (E03.FR.05): Ended EVConnectTimeout / Timeout, for a
    transaction that never named an EVSE. The CSMS answers it (J02.FR.19).

    The wait is OCTT's <Configured EV connection timeout>: ``[station]
    ev_connection_timeout`` seconds, 0 by default (the CSMS cannot observe the station's
    timer; set it to your TxCtrlr.EVConnectionTimeOut for a faithful pace)."""
    async with ends_idle(station):
        step("Before: Reusable State Authorized")
        await station.authorized()
        step("1. (after the EV connection timeout) Ended, EVConnectTimeout, stoppedReason Timeout")
        await station_timer(station, "ev_connection_timeout")
        await station.transaction_event("Ended", "EVConnectTimeout", stopped_reason="Timeout")


@ocpp_case("TC_E_53_CSMS", version="2.0.1")
async def test_tc_e_53_csms(station: Station201) -> None:
    """Every transaction numbers its events from seqNo 0 (E01.FR.07, Part 2 §1.3.2.1; 2.0.1
    Edition 2 recommends restarting per transaction). The CSMS answers the Started of a
    second transaction on the same connection although its seqNo 0 is below what the first
    one reached (the table's tool validations: "CSMS accepts the message ... seqNo = 0").
    :meth:`Station201.transaction_event` restarts seqNo at 0 on every Started."""
    async with ends_idle(station):
        step("1. Execute Reusable State EnergyTransferStarted (a new transaction, seqNo 0)")
        await station.energy_transfer_started()
        step("2. Execute Reusable State EVDisconnected")
        await station.ev_disconnected()
        step("3. Execute Reusable State EnergyTransferStarted (a new transaction, seqNo 0)")
        await station.energy_transfer_started()
        step("4. Execute Reusable State EVDisconnected")
        await station.ev_disconnected()


# -- stop options (E06, E10) -----------------------------------------------------------------
@ocpp_case("TC_E_07_CSMS", version="2.0.1")
async def test_tc_e_07_csms(station: Station201) -> None:
    """A station with TxStopPoint PowerPathClosed ends the transaction when the driver stops
    it locally (E06.FR.06): Ended StopAuthorized / Local. The CSMS answers it (J02.FR.19).
    The table lists no idToken in the Ended (E07.FR.04 lets a local stop omit even the
    stoppedReason), so none is sent."""
    async with ends_idle(station):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        step("1. The OCTT sends a TransactionEventRequest Ended, StopAuthorized, Local")
        await station.transaction_event("Ended", "StopAuthorized", stopped_reason="Local")


@ocpp_case("TC_E_15_CSMS", version="2.0.1")
async def test_tc_e_15_csms(station: Station201) -> None:
    """A station with TxStopPoint Authorized ends the transaction when the driver stops it
    locally (E06.FR.03): Ended StopAuthorized / Local, no idToken (the table lists none). The
    CSMS answers it (J02.FR.19)."""
    async with ends_idle(station):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        step("1. The OCTT sends a TransactionEventRequest Ended, StopAuthorized, Local")
        await station.transaction_event("Ended", "StopAuthorized", stopped_reason="Local")


@ocpp_case("TC_E_08_CSMS", version="2.0.1")
async def test_tc_e_08_csms(station: Station201) -> None:
    """A station with TxStopPoint EnergyTransfer ends the transaction when the energy stops
    after the driver's stop authorization (E06.FR.07): StopAuthorized (whose idToken the CSMS
    accepts, Table 705), then Ended ChargingStateChanged / EVConnected / Local. The CSMS
    answers it (J02.FR.19)."""
    async with ends_idle(station):
        step("Before: Reusable State StopAuthorized")
        await station.stop_authorized()
        step("1. The OCTT sends a TransactionEventRequest Ended, ChargingStateChanged, EVConnected")
        await station.transaction_event(
            "Ended", "ChargingStateChanged", charging_state="EVConnected", stopped_reason="Local"
        )


@ocpp_case("TC_E_22_CSMS", version="2.0.1")
async def test_tc_e_22_csms(station: Station201) -> None:
    """A station with TxStopPoint EnergyTransfer ends the transaction when the EV stops
    taking energy (E06.FR.07): Ended ChargingStateChanged / SuspendedEV / StoppedByEV. The
    CSMS answers it (J02.FR.19)."""
    async with ends_idle(station):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        step("1. The OCTT sends a TransactionEventRequest Ended, ChargingStateChanged, SuspendedEV")
        await station.transaction_event(
            "Ended",
            "ChargingStateChanged",
            charging_state="SuspendedEV",
            stopped_reason="StoppedByEV",
        )


@ocpp_case("TC_E_14_CSMS", version="2.0.1")
async def test_tc_e_14_csms(station: Station201) -> None:
    """A station with TxStopPoint EVConnected ends the transaction when the cable is
    unplugged at the station side (E06.FR.02): reusable state EVDisconnected (connector
    Available, Ended EVCommunicationLost / Idle / EVDisconnected). The CSMS answers every
    message, and accepts the stop idToken on the way (Table 705)."""
    async with ends_idle(station):
        step("Before: Reusable State EVConnectedPostSession")
        await station.ev_connected_post_session()
        step("1. Execute Reusable State EVDisconnected")
        await station.ev_disconnected()


@ocpp_case("TC_E_20_CSMS", version="2.0.1")
async def test_tc_e_20_csms(station: Station201) -> None:
    """A station with TxStopPoint EVConnected ends the transaction when the cable is
    unplugged at the EV side while the EV had suspended charging (E06.FR.02, E10): from
    EnergyTransferSuspended, reusable state EVDisconnected. The CSMS answers every message."""
    async with ends_idle(station):
        step("Before: Reusable State EnergyTransferSuspended")
        await station.energy_transfer_suspended()
        step("1. Execute Reusable State EVDisconnected")
        await station.ev_disconnected()


@ocpp_case("TC_E_16_CSMS", version="2.0.1")
async def test_tc_e_16_csms(station: Station201, tags: IdTags) -> None:
    """The CSMS verifies the idToken of a TransactionEventRequest (E01.FR.11) and reports an
    unknown one as not valid in idTokenInfo (E01.FR.12): Invalid or Unknown. The station,
    configured to stop on a non-valid idTokenInfo (TxStopPoint Authorized, E06.FR.04), then
    ends the transaction Deauthorized / DeAuthorized, and the CSMS answers that too."""
    async with ends_idle(station):
        step("1. The OCTT sends a TransactionEventRequest Started, Authorized, invalid idToken")
        conf = await station.transaction_event(
            "Started", "Authorized", id_token=station.id_token(tags.invalid)
        )
        step("2. The CSMS responds with a TransactionEventResponse")
        info = conf.get("idTokenInfo")
        check(
            isinstance(info, dict) and info.get("status") in ("Invalid", "Unknown"),
            "Step 2: TransactionEventResponse idTokenInfo.status Invalid or Unknown "
            "(E01.FR.11, E01.FR.12)",
            conf,
        )
        step("3. The OCTT sends a TransactionEventRequest Ended, Deauthorized, DeAuthorized")
        await station.transaction_event("Ended", "Deauthorized", stopped_reason="DeAuthorized")


@ocpp_case("TC_E_17_CSMS", version="2.0.1")
async def test_tc_e_17_csms(station: Station201) -> None:
    """A station configured to deauthorize when the cable is disconnected at the EV side
    (StopTxOnEVSideDisconnect true, E06.FR.04) ends the suspended transaction: Ended
    EVCommunicationLost / Idle / EVDisconnected. The CSMS answers it (J02.FR.19)."""
    async with ends_idle(station):
        step("Before: Reusable State EnergyTransferSuspended")
        await station.energy_transfer_suspended()
        step("1. The OCTT sends a TransactionEventRequest Ended, EVCommunicationLost, Idle")
        await station.transaction_event(
            "Ended",
            "EVCommunicationLost",
            charging_state="Idle",
            stopped_reason="EVDisconnected",
        )


@ocpp_case("TC_E_19_CSMS", version="2.0.1")
async def test_tc_e_19_csms(station: Station201) -> None:
    """A station with TxStopPoint ParkingBayOccupancy ends the transaction when the vehicle
    leaves the bay (E06.FR.01): Ended EVDeparted / Local. The CSMS answers it (J02.FR.19).

    Departure from the table: its Before state EVDisconnected (Table 707) already sends an
    Ended for the transaction, and the table's step 1 then sends another. OCTT's bay
    detector belongs to that same transaction, so step 1 carries its transactionId with the
    next seqNo; a CSMS must answer an Ended for a transaction it has already closed too."""
    async with ends_idle(station):
        step("Before: Reusable State EVDisconnected")
        await station.energy_transfer_started()
        transaction_id = station.transaction_id
        assert transaction_id is not None
        await station.ev_disconnected()
        step("1. The OCTT sends a TransactionEventRequest Ended, EVDeparted, Local")
        await station.call(
            "TransactionEvent",
            replayed_event(
                station,
                transaction_id,
                "Ended",
                "EVDeparted",
                seq_no=next(station.seq_no),
                timestamp=station.now(),
                stopped_reason="Local",
            ),
        )


@ocpp_case("TC_E_21_CSMS", version="2.0.1")
async def test_tc_e_21_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS stops a running transaction remotely (F03.FR.01): its
    RequestStopTransactionRequest names the station's transactionId; the station, with
    TxStopPoint Authorized (E06.FR.03), accepts and ends it RemoteStop / Remote, and the CSMS
    answers that Ended (J02.FR.19)."""
    async with ends_idle(station):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        transaction_id = station.transaction_id
        step("1. The CSMS sends a RequestStopTransactionRequest (manual action)")
        request = await csms_operator.request(
            station, "RequestStopTransaction", {"transactionId": transaction_id}
        )
        step("2. The OCTT responds with a RequestStopTransactionResponse Accepted")
        await request.reply({"status": "Accepted"})
        check(
            request.payload.get("transactionId") == transaction_id,
            f"Step 1: RequestStopTransactionRequest transactionId {transaction_id} "
            "(the one from Before, F03.FR.01)",
            request.payload,
        )
        step("3. The OCTT sends a TransactionEventRequest Ended, RemoteStop, Remote")
        await station.transaction_event("Ended", "RemoteStop", stopped_reason="Remote")


@ocpp_case("TC_E_26_CSMS", version="2.0.1")
async def test_tc_e_26_csms(station: Station201) -> None:
    """A station that keeps the transaction when the cable is disconnected at the EV side
    (StopTxOnEVSideDisconnect false, E10.FR.01) suspends it (Updated EVCommunicationLost /
    Idle, connector Available) and resumes when the EV is plugged in again (Updated
    CablePluggedIn / EVConnected, then ChargingStateChanged / Charging). The CSMS answers
    every message (J02.FR.19). The table reports no Occupied before the replug; nor does the
    station."""
    async with ends_idle(station):
        step("Before: Reusable State EnergyTransferSuspended")
        await station.energy_transfer_suspended()
        step("1. The OCTT sends a TransactionEventRequest Updated, EVCommunicationLost, Idle")
        await station.transaction_event("Updated", "EVCommunicationLost", charging_state="Idle")
        step("3. The OCTT reports the connector Available (StatusNotification, NotifyEvent)")
        await station.connector_status(station.evse_id, station.connector_id, "Available")
        step("5. The OCTT sends a TransactionEventRequest Updated, CablePluggedIn, EVConnected")
        await station.transaction_event("Updated", "CablePluggedIn", charging_state="EVConnected")
        step("7. The OCTT sends a TransactionEventRequest Updated, ChargingStateChanged, Charging")
        await station.transaction_event(
            "Updated", "ChargingStateChanged", charging_state="Charging"
        )
