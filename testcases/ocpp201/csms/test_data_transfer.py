"""OCPP 2.0.1, CSMS under test, P. DataTransfer (2.0.1 Edition 3 Part 6 §3.17, Tables 696-697;
the 2025 errata change neither).

pytest-ocpp plays the Charging Station (the OCTT column of each scenario table).

TC_P_03_CSMS sends a TransactionEventRequest with customData, which
:meth:`Station201.transaction_event` cannot add: :func:`_started_with_custom_data` sends it with
the station's own transaction bookkeeping (transactionId, seqNo), so the "After" step can end
the transaction as every case that leaves one running does.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.station import Station201, check

VENDOR_ID = "org.pytest-ocpp.unknown-vendor"
"""OCTT's <Configured vendorId> unless ``[station] data_transfer_vendor_id`` says otherwise: a
reversed-DNS name (P02.FR.03) no CSMS has an implementation for."""

MESSAGE_ID = "PytestOcppUnknownMessage"
"""OCTT's <Configured messageId> unless ``[station] data_transfer_message_id`` says otherwise."""


def _custom_data(station: Station201) -> dict[str, Any]:
    """A CustomDataType: the configured vendorId plus a vendor property (the type is open to
    any, which is the point of TC_P_03_CSMS)."""
    vendor = str(station.spec.extra.get("data_transfer_vendor_id", VENDOR_ID))
    return {"vendorId": vendor, "testCase": "TC_P_03_CSMS"}


async def _started_with_custom_data(station: Station201, custom: dict[str, Any]) -> None:
    """TransactionEventRequest Started (the EV plugged in: CablePluggedIn, EVConnected, the
    configured EVSE and connector) carrying ``custom`` at the top and in transactionInfo;
    afterwards the station's bookkeeping knows the transaction (seqNo 0 used)."""
    transaction_id = str(uuid.uuid4())
    await station.call(
        "TransactionEvent",
        {
            "eventType": "Started",
            "timestamp": station.now(),
            "triggerReason": "CablePluggedIn",
            "seqNo": 0,
            "transactionInfo": {
                "transactionId": transaction_id,
                "chargingState": "EVConnected",
                "customData": custom,
            },
            "evse": {"id": station.evse_id, "connectorId": station.connector_id},
            "customData": custom,
        },
    )
    itself = station
    itself.transaction_id = transaction_id
    itself.seq_no = itertools.count(1)
    itself.ev_connected = True
    itself.state = "EVConnectedPreSession"


@ocpp_case("TC_P_02_CSMS", version="2.0.1")
async def test_tc_p_02_csms(station: Station201) -> None:
    """A CSMS without the vendor-specific implementation a DataTransferRequest names answers
    UnknownVendorId (P02.FR.06) or UnknownMessageId (P02.FR.07); the table also allows
    Rejected, for CSMSs that reject every vendor-specific message."""
    extra = station.spec.extra
    vendor = str(extra.get("data_transfer_vendor_id", VENDOR_ID))
    message = str(extra.get("data_transfer_message_id", MESSAGE_ID))
    step(f"1. The OCTT sends a DataTransferRequest with vendorId {vendor}, messageId {message}")
    conf = await station.call("DataTransfer", {"vendorId": vendor, "messageId": message})
    step("2. The CSMS responds with a DataTransferResponse")
    check(
        conf.get("status") in ("UnknownVendorId", "UnknownMessageId", "Rejected"),
        "Step 2: DataTransferResponse status UnknownVendorId OR UnknownMessageId OR Rejected "
        "(P02.FR.06, P02.FR.07)",
        conf,
    )


@ocpp_case("TC_P_03_CSMS", version="2.0.1")
async def test_tc_p_03_csms(station: Station201) -> None:
    """The CSMS accepts customData, which every 2.0.1 message may carry (CustomDataType, open
    to any vendor property), in a StatusNotificationRequest and in a TransactionEventRequest
    and its transactionInfo: both are answered normally, not with a CALLERROR.

    The table leaves the connector status and the transaction event open; they are those of
    an EV plugging in (connector Occupied, TransactionEventRequest Started CablePluggedIn), and
    the "After" step ends that transaction."""
    custom = _custom_data(station)
    try:
        step("1. The OCTT sends a StatusNotificationRequest with customData")
        await station.call(
            "StatusNotification",
            {
                "timestamp": station.now(),
                "connectorStatus": "Occupied",
                "evseId": station.evse_id,
                "connectorId": station.connector_id,
                "customData": custom,
            },
        )
        step("2. The CSMS responds with a StatusNotificationResponse")
        step("3. The OCTT sends a TransactionEventRequest with customData (and transactionInfo's)")
        await _started_with_custom_data(station, custom)
        step("4. The CSMS responds with a TransactionEventResponse")
    finally:
        if station.connected:
            step("After: end the transaction and free the connector (idle station)")
            if station.transaction_id is not None:
                await station.leave_idle()
            else:
                await station.connector_status(station.evse_id, station.connector_id, "Available")
