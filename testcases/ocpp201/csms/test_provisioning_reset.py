"""OCPP 2.0.1, CSMS under test, B. Provisioning: Reset (B11/B12) and network connection
profiles (B09) (2.0.1 Edition 3 Part 6 §3.3, Tables 475-482, and the 2025 errata: evseId must
be omitted in TC_B_20/21/22). The boot, device-model and subprotocol cases of the block are in
``test_provisioning.py``; this module only keeps that one under a readable size.

pytest-ocpp plays the Charging Station (the OCTT column of each scenario table). "Manual Action:
Request the CSMS to reboot ..." goes through ``csms_operator``; every request from the CSMS is
answered before it is judged, so a failed check never leaves the CSMS waiting. "State is
EnergyTransferStarted" is one call of the station's reusable-state method (Part 6 §3.18).

Departures from the tables, each for the reason given:

- After an accepted reset of the whole station the station reboots as B11.FR.04 says: it
  closes the websocket, reconnects and boots with reason RemoteReset (ScheduledReset after a
  Scheduled reset, as TC_B_21 says); TC_B_20/22 name no reason.
- Cases that end with the EV still plugged in or a transaction running end with an "After"
  step that frees the connector (also when they fail): every case starts from an idle station.
"""

from __future__ import annotations

from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check


# -- helpers ---------------------------------------------------------------------------------
async def _reset(
    station: Station201, csms_operator: CsmsOperator, payload: dict[str, Any], answer: str
) -> dict[str, Any]:
    """Steps 1-2 of the reset tables: the CSMS sends the ResetRequest the manual action asks
    for; the OCTT answers ``answer``. Returns the request payload."""
    step(f"1. The CSMS sends a ResetRequest (manual action: {payload})")
    request = await csms_operator.request(station, "Reset", payload)
    step(f"2. The OCTT responds with a ResetResponse with status {answer}")
    await request.reply({"status": answer})
    return request.payload


def _check_reset(sent: dict[str, Any], type_: str | None, evse_id: int | None) -> None:
    """Step 1 validations: the type, and evseId omitted for the whole station (errata
    2024-09 [4390]) or the configured EVSE (B11.FR.08, B12.FR.07/08)."""
    if type_ is not None:
        check(sent.get("type") == type_, f"Step 1: ResetRequest type {type_}", sent)
    if evse_id is None:
        check("evseId" not in sent, "Step 1: ResetRequest evseId omitted (the whole station)", sent)
    else:
        check(
            sent.get("evseId") == evse_id,
            f"Step 1: ResetRequest evseId {evse_id} (the configured evseId)",
            sent,
        )


async def _reboot(station: Station201, reason: str, first: int, *, occupied: bool) -> None:
    """Steps ``first``..``first + 3`` after an accepted station reset: the station closes the
    websocket, reconnects and cold boots (B11.FR.04, B01), then reports every connector: the
    configured one Occupied when the EV is still plugged in, the others Available."""
    step(
        f"{first}. The OCTT reboots (closes the websocket, reconnects) and sends a "
        f"BootNotificationRequest with reason {reason}"
    )
    await station.reconnect()
    conf = await station.boot(reason, expect_accepted=False)
    step(f"{first + 1}. The CSMS responds with a BootNotificationResponse")
    check(
        conf["status"] == "Accepted",
        f"Step {first + 1}: BootNotificationResponse status Accepted (B11.FR.04)",
        conf,
    )
    step(f"{first + 2}. The OCTT notifies the CSMS about the current state of all connectors")
    for evse in range(1, station.spec.connectors + 1):
        if occupied and evse == station.evse_id:
            await station.connector_status(evse, station.connector_id, "Occupied")
        else:
            await station.connector_status(evse, 1, "Available")
    itself = station
    itself.ev_connected = occupied
    itself.state = "Booted"


async def _stop_authorized_then_ended(station: Station201) -> None:
    """Steps 3-6 of an OnIdle reset during a transaction: it ends normally first (B12.FR.03,
    B12.FR.07; E06)."""
    step("3. The OCTT sends a TransactionEventRequest Updated, StopAuthorized, EVConnected")
    await station.transaction_event(
        "Updated",
        "StopAuthorized",
        charging_state="EVConnected",
        id_token=station.id_token(station.tags.valid),
    )
    step("5. The OCTT sends a TransactionEventRequest Ended, EVCommunicationLost, Idle")
    await station.transaction_event(
        "Ended", "EVCommunicationLost", charging_state="Idle", stopped_reason="EVDisconnected"
    )


async def _immediate_ended(station: Station201) -> None:
    """Steps 3-4 of an Immediate reset during a transaction (B12.FR.04/08): Ended with
    triggerReason ResetCommand, stoppedReason ImmediateReset, no idToken."""
    step("3. The OCTT sends a TransactionEventRequest Ended, ResetCommand, ImmediateReset")
    await station.transaction_event(
        "Ended", "ResetCommand", charging_state="EVConnected", stopped_reason="ImmediateReset"
    )


async def _after(station: Station201) -> None:
    """After: end a transaction still running, or report the EV gone, so the next case starts
    from an idle station (Part 6 general post-condition)."""
    if not station.connected:
        return
    step("After: end the transaction and free the connector (idle station for the next case)")
    if station.transaction_id is not None:
        await station.leave_idle()
    elif station.ev_connected:
        await station.connector_status(station.evse_id, station.connector_id, "Available")
        itself = station
        itself.ev_connected = False
        itself.state = "EVDisconnected"


# -- B11/B12 reset ---------------------------------------------------------------------------
@ocpp_case("TC_B_20_CSMS", version="2.0.1")
async def test_tc_b_20_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """An idle station the CSMS resets reboots (B11.FR.03/04) and is accepted again; the
    reset addresses the whole station (evseId omitted, errata 2024-09). The table validates no
    type (a warning notes one other than the OnIdle asked for)."""
    sent = await _reset(station, csms_operator, {"type": "OnIdle"}, "Accepted")
    _check_reset(sent, None, None)
    if sent.get("type") != "OnIdle":
        warn(f"the CSMS sent a ResetRequest of type {sent.get('type')} where OnIdle was asked")
    await _reboot(station, "RemoteReset", 3, occupied=False)


@ocpp_case("TC_B_21_CSMS", version="2.0.1")
async def test_tc_b_21_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """An OnIdle reset during a transaction is Scheduled (B12.FR.01); the transaction ends
    normally (B12.FR.03, E07.FR.03), then the station reboots and is accepted."""
    try:
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        sent = await _reset(station, csms_operator, {"type": "OnIdle"}, "Scheduled")
        _check_reset(sent, "OnIdle", None)
        await _stop_authorized_then_ended(station)
        await _reboot(station, "ScheduledReset", 7, occupied=False)
    finally:
        await _after(station)


@ocpp_case("TC_B_22_CSMS", version="2.0.1")
async def test_tc_b_22_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """An Immediate reset during a transaction is Accepted (B12.FR.02); the transaction ends
    with ResetCommand / ImmediateReset (B12.FR.04), the station reboots, is accepted, and
    reports the configured connector still Occupied."""
    try:
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        sent = await _reset(station, csms_operator, {"type": "Immediate"}, "Accepted")
        _check_reset(sent, "Immediate", None)
        await _immediate_ended(station)
        await _reboot(station, "RemoteReset", 5, occupied=True)
    finally:
        await _after(station)


@ocpp_case("TC_B_25_CSMS", version="2.0.1", requires="C-13")
async def test_tc_b_25_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS resets one idle EVSE (B11.FR.08): type OnIdle, the configured evseId."""
    sent = await _reset(
        station, csms_operator, {"type": "OnIdle", "evseId": station.evse_id}, "Accepted"
    )
    _check_reset(sent, "OnIdle", station.evse_id)


@ocpp_case("TC_B_26_CSMS", version="2.0.1", requires="C-13")
async def test_tc_b_26_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """An OnIdle reset of the charging EVSE is Scheduled (B12.FR.01) and its transaction ends
    normally first (B12.FR.07)."""
    try:
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        payload = {"type": "OnIdle", "evseId": station.evse_id}
        sent = await _reset(station, csms_operator, payload, "Scheduled")
        _check_reset(sent, "OnIdle", station.evse_id)
        await _stop_authorized_then_ended(station)
    finally:
        await _after(station)


@ocpp_case("TC_B_27_CSMS", version="2.0.1", requires="C-13")
async def test_tc_b_27_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """An Immediate reset of the charging EVSE is Accepted (B12.FR.02) and its transaction ends
    with ResetCommand / ImmediateReset (B12.FR.08)."""
    try:
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        payload = {"type": "Immediate", "evseId": station.evse_id}
        sent = await _reset(station, csms_operator, payload, "Accepted")
        _check_reset(sent, "Immediate", station.evse_id)
        await _immediate_ended(station)
    finally:
        await _after(station)


# -- B09 network profiles --------------------------------------------------------------------
def _network_profile(station: Station201) -> dict[str, Any]:
    """The SetNetworkProfileRequest OCTT's configuration describes: ``[station]
    network_configuration_slot`` (1), ``network_ocpp_csms_url`` (the URL the station uses),
    ``network_ocpp_interface`` (Wired0), ``network_message_timeout`` and
    ``network_security_profile`` (the device model's MessageTimeout[Default] and
    SecurityProfile); OCPP20 over JSON."""
    extra = station.spec.extra
    model = station.device_model
    return {
        "configurationSlot": int(extra.get("network_configuration_slot", 1)),
        "connectionData": {
            "ocppVersion": "OCPP20",
            "ocppTransport": "JSON",
            "ocppCsmsUrl": str(extra.get("network_ocpp_csms_url", station.url)),
            "messageTimeout": int(
                extra.get(
                    "network_message_timeout",
                    model.value("OCPPCommCtrlr.MessageTimeout[Default]") or 30,
                )
            ),
            "securityProfile": int(
                extra.get(
                    "network_security_profile", model.value("SecurityCtrlr.SecurityProfile") or 1
                )
            ),
            "ocppInterface": str(extra.get("network_ocpp_interface", "Wired0")),
        },
    }


@ocpp_case("TC_B_42_CSMS", version="2.0.1")
async def test_tc_b_42_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS sets a new network connection profile in the configured slot, with the
    configured connection data (B09.FR.01)."""
    profile = _network_profile(station)
    step("1. The CSMS sends a SetNetworkProfileRequest")
    request = await csms_operator.request(station, "SetNetworkProfile", profile)
    step("2. The OCTT responds with a SetNetworkProfileResponse with status Accepted")
    await request.reply({"status": "Accepted"})
    sent = request.payload
    slot = profile["configurationSlot"]
    check(
        sent.get("configurationSlot") == slot,
        f"Step 1: SetNetworkProfileRequest configurationSlot {slot}",
        sent,
    )
    data = sent.get("connectionData") or {}
    for key, value in profile["connectionData"].items():
        check(
            data.get(key) == value,
            f"Step 1: SetNetworkProfileRequest connectionData.{key} {value}",
            sent,
        )


@ocpp_case("TC_B_44_CSMS", version="2.0.1")
async def test_tc_b_44_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS sends a SetNetworkProfileRequest and copes with the station failing to set it
    (B09.FR.03). The table validates nothing of the request."""
    step("1. The CSMS sends a SetNetworkProfileRequest")
    request = await csms_operator.request(station, "SetNetworkProfile", _network_profile(station))
    step("2. The OCTT responds with a SetNetworkProfileResponse with status Failed")
    await request.reply({"status": "Failed"})
