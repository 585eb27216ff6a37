"""OCPP 2.0.1, CSMS under test, E. Transactions: Check Transaction status (E14) and the
offline queue (E04, E12) (2.0.1 Edition 3 Part 6 §3.6, Tables 526-530; the 2025 errata change
none of these CSMS-side tables). Conditional on Part 5 feature C-16 ("Support for checking
the TransactionStatus") for the CSMS.

pytest-ocpp plays the Charging Station. Where a table closes the WebSocket, the station goes
offline while its transaction runs on: what happens meanwhile is queued with the time it
happened (E04.FR.01, E12.FR.01) and sent after the reconnection with offline true (E04.FR.03,
E12.FR.02). The reconnection is not a reboot: no BootNotificationRequest. The CSMS is made
to send GetTransactionStatusRequest through the CSMS operator ("The CSMS sends a
GetTransactionStatusRequest"), with a transactionId or without one as the table requires.
"""

from __future__ import annotations

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check

from ._transaction_support import amending, ends_idle, meter_value, replayed_event


def _offline_sample(station: Station201) -> dict[str, object]:
    """The periodic sample the running transaction takes while the station is offline
    (SampledDataCtrlr.TxUpdatedMeasurands, Sample.Periodic): queued with the time it was
    taken, sent later as ``offline`` (E04.FR.06, E12.FR.03)."""
    at = station.now()
    return {
        "timestamp": at,
        "offline": True,
        "meterValue": [
            meter_value(station, "SampledDataCtrlr.TxUpdatedMeasurands", "Sample.Periodic", at)
        ],
    }


async def _go_offline_and_back(station: Station201) -> dict[str, object]:
    """Steps 1-2 of Tables 526 and 529: close the WebSocket, take a sample while offline,
    wait <Configured Transaction Duration>, reconnect. Returns the queued sample's fields."""
    step("1. The OCTT closes the WebSocket connection")
    await station.disconnect()
    queued = _offline_sample(station)
    step("2. The OCTT waits <Configured Transaction Duration>, then reconnects")
    await station.transaction_duration()
    await station.connect()
    return queued


@ocpp_case("TC_E_29_CSMS", version="2.0.1", requires="C-16")
async def test_tc_e_29_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """After an outage the CSMS asks about a transaction by its id (E14): its
    GetTransactionStatusRequest names the transactionId the station generated; the station
    answers it is ongoing with messages queued (E14.FR.02, E14.FR.04) and delivers the queued
    Updated with offline true, which the CSMS answers (E04.FR.02/03, J02.FR.19). The queued
    event's triggerReason is MeterValuePeriodic (the table only says "meterValues is
    present")."""
    async with ends_idle(station):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        transaction_id = station.transaction_id
        queued = await _go_offline_and_back(station)
        step("3. The CSMS sends a GetTransactionStatusRequest (manual action)")
        request = await csms_operator.request(
            station, "GetTransactionStatus", {"transactionId": transaction_id}
        )
        step("4. The OCTT responds with ongoingIndicator true, messagesInQueue true")
        await request.reply({"ongoingIndicator": True, "messagesInQueue": True})
        check(
            request.payload.get("transactionId") == transaction_id,
            f"Step 3: GetTransactionStatusRequest transactionId {transaction_id} "
            "(the one generated in Before)",
            request.payload,
        )
        step("5. The OCTT sends the queued TransactionEventRequest Updated, offline true")
        with amending(station, "Updated", **queued):
            await station.transaction_event("Updated", "MeterValuePeriodic")


@ocpp_case("TC_E_30_CSMS", version="2.0.1", requires="C-16")
async def test_tc_e_30_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS asks about a running transaction by its id (E14): its
    GetTransactionStatusRequest names the transactionId the station generated; the station
    answers ongoing, nothing queued (E14.FR.02, E14.FR.05)."""
    async with ends_idle(station):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        transaction_id = station.transaction_id
        step("1. The CSMS sends a GetTransactionStatusRequest (manual action)")
        request = await csms_operator.request(
            station, "GetTransactionStatus", {"transactionId": transaction_id}
        )
        step("2. The OCTT responds with ongoingIndicator true, messagesInQueue false")
        await request.reply({"ongoingIndicator": True, "messagesInQueue": False})
        check(
            request.payload.get("transactionId") == transaction_id,
            f"Step 1: GetTransactionStatusRequest transactionId {transaction_id} "
            "(the one generated in Before)",
            request.payload,
        )


@ocpp_case("TC_E_31_CSMS", version="2.0.1", requires="C-16")
async def test_tc_e_31_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """A transaction that ended while the station was offline: after the reconnection the
    station reports the connector Available and delivers the Ended first, offline, with a
    seqNo that skips the two events still queued (the driver's StopAuthorized and
    ChargingStateChanged / EVConnected). The CSMS asks about the transaction by its id (E14:
    ended, messages queued, E14.FR.03/04), and answers the two queued Updated that follow,
    offline and older than the Ended (E04, E12.FR.02: the CSMS must live with gaps and order).

    The queued events carry the times they happened during the outage. As the table lists,
    the Ended has no stoppedReason and the queued StopAuthorized no idToken. The table's
    validation is labelled "Step 5"; it judges the GetTransactionStatusRequest of step 7."""
    async with ends_idle(station):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        transaction_id = station.transaction_id
        assert transaction_id is not None
        step("1. The OCTT closes the WebSocket connection")
        await station.disconnect()
        # Offline, the transaction goes on: the driver stops, the energy stops, the cable is
        # unplugged, the transaction ends. Each event is queued with its own seqNo and time.
        stop_authorized = replayed_event(
            station,
            transaction_id,
            "Updated",
            "StopAuthorized",
            seq_no=next(station.seq_no),
            timestamp=station.now(),
            offline=True,
        )
        ev_connected = replayed_event(
            station,
            transaction_id,
            "Updated",
            "ChargingStateChanged",
            seq_no=next(station.seq_no),
            timestamp=station.now(),
            charging_state="EVConnected",
            offline=True,
        )
        ended_at = station.now()
        step("2. The OCTT waits <Configured Transaction Duration>, then reconnects")
        await station.transaction_duration()
        await station.connect()
        step("3. The OCTT sends a StatusNotificationRequest Available")
        await station.status(station.evse_id, station.connector_id, "Available")
        step("5. The OCTT sends the TransactionEventRequest Ended, offline, skipping two seqNo")
        with amending(station, "Ended", offline=True, timestamp=ended_at):
            await station.transaction_event("Ended", "EVCommunicationLost", charging_state="Idle")
        step("7. The CSMS sends a GetTransactionStatusRequest (manual action)")
        request = await csms_operator.request(
            station, "GetTransactionStatus", {"transactionId": transaction_id}
        )
        step("8. The OCTT responds with ongoingIndicator false, messagesInQueue true")
        await request.reply({"ongoingIndicator": False, "messagesInQueue": True})
        check(
            request.payload.get("transactionId") == transaction_id,
            f"Step 7: GetTransactionStatusRequest transactionId {transaction_id} "
            "(the one generated in Before)",
            request.payload,
        )
        step("9. The OCTT sends the queued Updated StopAuthorized (first skipped seqNo)")
        await station.call("TransactionEvent", stop_authorized)
        step("11. The OCTT sends the queued Updated EVConnected (second skipped seqNo)")
        await station.call("TransactionEvent", ev_connected)


@ocpp_case("TC_E_33_CSMS", version="2.0.1", requires="C-16")
async def test_tc_e_33_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """After an outage the CSMS asks whether anything is queued at all (E14): its
    GetTransactionStatusRequest has no transactionId (E14.FR.06); the station answers
    messages queued, no ongoingIndicator (E14.FR.07) and delivers the queued Updated with
    offline true, which the CSMS answers (E04.FR.02/03, J02.FR.19). triggerReason as in
    TC_E_29_CSMS."""
    async with ends_idle(station):
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        queued = await _go_offline_and_back(station)
        step("3. The CSMS sends a GetTransactionStatusRequest without transactionId")
        request = await csms_operator.request(station, "GetTransactionStatus", {})
        step("4. The OCTT responds with messagesInQueue true (ongoingIndicator omitted)")
        await request.reply({"messagesInQueue": True})
        check(
            "transactionId" not in request.payload,
            "Step 3: GetTransactionStatusRequest without transactionId",
            request.payload,
        )
        step("5. The OCTT sends the queued TransactionEventRequest Updated, offline true")
        with amending(station, "Updated", **queued):
            await station.transaction_event("Updated", "MeterValuePeriodic")


@ocpp_case("TC_E_34_CSMS", version="2.0.1", requires="C-16")
async def test_tc_e_34_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS asks an idle station whether anything is queued (E14): its
    GetTransactionStatusRequest has no transactionId (E14.FR.06); the station answers
    nothing queued, no ongoingIndicator (E14.FR.08)."""
    step("1. The CSMS sends a GetTransactionStatusRequest without transactionId")
    request = await csms_operator.request(station, "GetTransactionStatus", {})
    step("2. The OCTT responds with messagesInQueue false (ongoingIndicator omitted)")
    await request.reply({"messagesInQueue": False})
    check(
        "transactionId" not in request.payload,
        "Step 1: GetTransactionStatusRequest without transactionId",
        request.payload,
    )
