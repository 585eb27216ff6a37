"""OCTT 1.6, Charge Point under test, Remote Trigger (OCTT 1.6 test case document, §2.21:
TC_054_CS, TC_055_CS).

pytest-ocpp plays the Central System and asks the station, with TriggerMessage, for messages it
would otherwise send on its own schedule (OCPP 1.6 §5.17).
"""

from __future__ import annotations

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import StationConnection
from pytest_ocpp.link import IncomingCall, Predicate
from pytest_ocpp.verdicts import TargetTimeout, check

PROFILE = "RemoteTrigger"

SILENCE = 2.0
"""How long a refused trigger must stay without effect (TC_055_CS expected behaviour)."""


async def _trigger(
    sut: StationConnection,
    requested: str,
    connector_id: int | None = None,
    *,
    allowed: tuple[str, ...] = ("Accepted",),
) -> tuple[str, int]:
    """Send TriggerMessage.req; check the status; return it and the inbox mark taken before
    the request went out (the triggered message may overtake our reading of the .conf)."""
    payload: dict[str, object] = {"requestedMessage": requested}
    if connector_id is not None:
        payload["connectorId"] = connector_id
    mark = sut.mark()
    answer = await sut.call("TriggerMessage", payload)
    check(
        answer["status"] in allowed,
        f"TriggerMessage.conf ({requested}) status {' or '.join(allowed)}",
        answer["status"],
    )
    return str(answer["status"]), mark


async def _triggered(
    sut: StationConnection, action: str, since: int, predicate: Predicate | None, what: str
) -> IncomingCall:
    return await sut.wait_for(action, predicate, since=since, describe=what)


@ocpp_case("TC_054_CS")
async def test_tc_054_cs(csms, station_operator, ocpp_config) -> None:
    """OCPP 1.6 §5.17: every message a Central System may trigger arrives after an Accepted
    TriggerMessage; the status notifications of idle transfers say Idle (§7.24, §7.25)."""
    csms.require_profile(PROFILE)
    sut = await csms.ready(station_operator)
    step(f"1-2. TriggerMessage.req MeterValues, connectorId {csms.connector}: Accepted")
    _, mark = await _trigger(sut, "MeterValues", csms.connector)
    step("3-4. MeterValues.req")
    await _triggered(
        sut,
        "MeterValues",
        mark,
        lambda p: p["connectorId"] == csms.connector,
        f"MeterValues.req for connectorId {csms.connector}",
    )
    step("5-6. TriggerMessage.req Heartbeat: Accepted")
    _, mark = await _trigger(sut, "Heartbeat")
    step("7-8. Heartbeat.req")
    await _triggered(sut, "Heartbeat", mark, None, "Heartbeat.req")
    step(f"9-10. TriggerMessage.req StatusNotification, connectorId {csms.connector}: Accepted")
    _, mark = await _trigger(sut, "StatusNotification", csms.connector)
    step("11-12. StatusNotification.req")
    await _triggered(
        sut,
        "StatusNotification",
        mark,
        lambda p: p["connectorId"] == csms.connector,
        f"StatusNotification.req for connectorId {csms.connector}",
    )
    step("13-14. TriggerMessage.req DiagnosticsStatusNotification: Accepted")
    _, mark = await _trigger(sut, "DiagnosticsStatusNotification")
    step("15-16. DiagnosticsStatusNotification.req Idle")
    report = await _triggered(
        sut, "DiagnosticsStatusNotification", mark, None, "DiagnosticsStatusNotification.req"
    )
    check(
        report.payload["status"] == "Idle",
        "DiagnosticsStatusNotification status Idle (no upload running, OCPP 1.6 §7.24)",
        report.payload,
    )
    step("17-18. TriggerMessage.req FirmwareStatusNotification: Accepted or NotImplemented")
    status, mark = await _trigger(
        sut, "FirmwareStatusNotification", allowed=("Accepted", "NotImplemented")
    )
    if status == "Accepted":
        step("19-20. FirmwareStatusNotification.req Idle")
        report = await _triggered(
            sut, "FirmwareStatusNotification", mark, None, "FirmwareStatusNotification.req"
        )
        check(
            report.payload["status"] == "Idle",
            "FirmwareStatusNotification status Idle (no update running, OCPP 1.6 §7.25)",
            report.payload,
        )


@ocpp_case("TC_055_CS")
async def test_tc_055_cs(csms, station_operator, ocpp_config) -> None:
    """OCPP 1.6 §5.17: a trigger the station will not honour (MeterValues for a connector it
    does not have) is Rejected (or refused with a CallError), and nothing is sent for it."""
    csms.require_profile(PROFILE)
    sut = await csms.ready(station_operator)
    missing = ocpp_config.station.connectors + 1
    step(f"1-2. TriggerMessage.req MeterValues, connectorId {missing} (NumberOfConnectors + 1)")
    mark = sut.mark()
    answer = await sut.call(
        "TriggerMessage",
        {"requestedMessage": "MeterValues", "connectorId": missing},
        allow_error=True,
    )
    check(
        "errorCode" in answer or answer.get("status") == "Rejected",
        "TriggerMessage.conf status Rejected, or a CallError",
        answer,
    )
    step(f"[Expected: no MeterValues.req for connectorId {missing}]")
    try:
        sent = await sut.wait_for(
            "MeterValues",
            lambda p: p["connectorId"] == missing,
            since=mark,
            timeout=SILENCE,
            describe=f"MeterValues.req for connectorId {missing}",
        )
    except TargetTimeout:
        return
    check(False, f"no MeterValues.req for connectorId {missing} after the refusal", sent.payload)
