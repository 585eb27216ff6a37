"""OCTT 1.6, Central System under test, Remote Trigger (OCTT 1.6 test case document, §3.18.1
Trigger Message TC_054_CSMS, §3.18.2 Trigger Message - Rejected TC_055_CSMS).

pytest-ocpp plays the Charge Point: it answers each TriggerMessage.req before judging it (so a
failed check never leaves the CSMS waiting), then sends the message it accepted to send
(OCPP 1.6 §5.17: "The Charge Point SHALL first send the TriggerMessage response, before sending
the requested message").
"""

from __future__ import annotations

from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station16, check


async def _trigger(
    station: Station16,
    csms_operator: CsmsOperator,
    number: int,
    requested: str,
    connector_id: int | None,
    answer: str,
) -> dict[str, Any]:
    """TriggerMessage.req for ``requested`` (and ``connector_id`` when the table names one),
    answered ``answer``, then judged: requestedMessage always, connectorId where the table
    says "connectorId should be ..." (OCPP 1.6 §5.17, §6.51, §7.32 MessageTrigger). Where the
    table names no connector the CSMS may send one or not: "if the specified connectorId is not
    relevant to the message, it should be ignored" (§5.17)."""
    payload: dict[str, Any] = {"requestedMessage": requested}
    if connector_id is not None:
        payload["connectorId"] = connector_id
    step(f"{number}. The Central System sends a TriggerMessage.req ({requested})")
    request = await csms_operator.request(station, "TriggerMessage", payload)
    step(f"{number + 1}. The Charge Point responds with a TriggerMessage.conf ({answer})")
    await request.reply({"status": answer})
    check(
        request.payload["requestedMessage"] == requested,
        f"Step {number}: TriggerMessage.req requestedMessage {requested} (OCPP 1.6 §5.17, §7.32)",
        request.payload,
    )
    if connector_id is not None:
        check(
            request.payload.get("connectorId") == connector_id,
            f"Step {number}: TriggerMessage.req connectorId {connector_id} (OCPP 1.6 §5.17, §6.51)",
            request.payload,
        )
    return request.payload


@ocpp_case("TC_054_CSMS")
async def test_tc_054_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS can trigger each message of OCPP 1.6 §7.32 but BootNotification (whose
    consequences, a re-registration, OCTT tests elsewhere) and takes the triggered message:
    MeterValues and StatusNotification for <Configured ConnectorId>, Heartbeat, and the Idle
    DiagnosticsStatusNotification and FirmwareStatusNotification that §4.4/§4.5 reserve for a
    trigger (OCPP 1.6 §5.17 Trigger Message). Step 18 allows Accepted or NotImplemented: our
    station implements it, answers Accepted and sends step 19."""
    connector = station.spec.connector_id
    await _trigger(station, csms_operator, 1, "MeterValues", connector, "Accepted")
    step("3. The Charge Point sends a MeterValues.req")
    await station.meter_values(connector)
    await _trigger(station, csms_operator, 5, "Heartbeat", None, "Accepted")
    step("7. The Charge Point sends a Heartbeat.req")
    await station.heartbeat()
    await _trigger(station, csms_operator, 9, "StatusNotification", connector, "Accepted")
    step("11. The Charge Point sends a StatusNotification.req (Available)")
    await station.status(connector, "Available")
    await _trigger(station, csms_operator, 13, "DiagnosticsStatusNotification", None, "Accepted")
    step("15. The Charge Point sends a DiagnosticsStatusNotification.req (Idle)")
    await station.call("DiagnosticsStatusNotification", {"status": "Idle"})
    await _trigger(station, csms_operator, 17, "FirmwareStatusNotification", None, "Accepted")
    step("19. The Charge Point sends a FirmwareStatusNotification.req (Idle)")
    await station.call("FirmwareStatusNotification", {"status": "Idle"})


@ocpp_case("TC_055_CSMS")
async def test_tc_055_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS handles a rejected trigger: MeterValues for a connector the charge point does
    not have, NumberOfConnectors + 1 (OCPP 1.6 §5.17: "It is up to the Charge Point if it
    accepts or rejects the request to send"; §7.44 TriggerMessageStatus Rejected)."""
    await _trigger(
        station, csms_operator, 1, "MeterValues", station.spec.connectors + 1, "Rejected"
    )
