"""OCPP 2.0.1, Charging Station under test, K. Smart Charging with ISO 15118 (K15-K17; Part 6
§2.12 Tables 292-296, and the 2025 errata §6.2.76-81).

The EV's ISO 15118 messages are manual actions: ``ev_charging_needs`` (the EV sends its
charging needs: ChargeParameterDiscovery, or a renegotiation) starts Reusable State
RenegotiateChargingLimits (``csms.renegotiate_charging_limits``, Table 437) and is the implied
manual action where a table has the station send NotifyEVChargingNeedsRequest without one
(TC_K_54, TC_K_56, TC_K_57 step 1).

Departures: errata §6.2.76/77/81 authorize TC_K_53/54/58 with Reusable State Authorized15118
(``csms.authorized15118``, Plug & Charge) while their Before lists keep "Authorized (local)":
one EVSE cannot be authorized twice, so Authorized15118 is the authorization and Authorized
(local) is not executed as well; EVConnectedPreSession comes first (the EV speaks ISO 15118
over the cable, as errata §6.2.77-79 order it). TC_K_58's list (errata §6.2.81: Authorized
(local), EVConnectedPreSession, RenegotiateChargingLimits, EVConnectedPreSession,
Authorized15118, EnergyTransferStarted) runs as EVConnectedPreSession, Authorized15118,
EnergyTransferStarted, RenegotiateChargingLimits: the renegotiation needs the authorized
transaction, and a state is not repeated. TC_K_56/57 keep Authorized (local) (errata
§6.2.78/79). TC_K_56's 90 s offline wait is the station's own reconnection with
RetryBackOffWaitMinimum set to ``[station] retry_backoff_wait_minimum`` (default 2 s).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.csms.states201_smart_charging import (
    RENEGOTIATED_PROFILE_ID,
    check_charging_needs,
    check_ev_schedule,
)
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import TargetTimeout, check

from ._smart_charging_support import GENERATED_ID, after, profile


async def _authorized_connected(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator
) -> None:
    """TC_K_56/57 (errata 6.2.78/79): EVConnectedPreSession, then Authorized (local)."""
    step("(Before) State is EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, operator)
    step("(Before) State is Authorized (local)")
    await csms.authorized(sut, operator)


async def _authorized15118(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator
) -> IncomingCall:
    """EVConnectedPreSession, then Reusable State Authorized15118 (PnC); returns the
    TransactionEventRequest of Authorized15118 step 3 (the errata's "TransactionEventRequest
    of Authorized15118 step 3": triggerReason Authorized, TxStartPoint containing
    EVConnected or Authorized) when the station reports the authorization."""
    step("(Before) State is EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, operator)
    step("Execute Reusable State Authorized15118")
    await csms.authorized15118(sut, operator)
    event = await csms.transaction_event(
        sut,
        since=csms.auth_mark,
        label="triggerReason Authorized (Authorized15118 step 3)",
        predicate=lambda p: p["triggerReason"] == "Authorized" or "idToken" in p,
    )
    csms.transaction_id = str(event.payload["transactionInfo"]["transactionId"])
    return event


async def _rate_changed(
    csms: FakeCsms201,
    sut: StationConnection,
    since: int,
    label: str,
    given: dict[str, Any],
    *,
    required: bool,
) -> None:
    """The optional NotifyEVChargingScheduleRequest (judged when sent) and the
    TransactionEventRequest that reports the new limit, triggerReason ChargingRateChanged:
    ``required`` where the table says the station will send it, else judged when sent (an
    absence within the message timeout is a warning)."""
    tx_id = csms.transaction_id
    try:
        event = await sut.wait_for(
            "TransactionEvent",
            lambda p: (
                p["transactionInfo"]["transactionId"] == tx_id
                and p["triggerReason"] not in ("MeterValuePeriodic", "MeterValueClock")
            ),
            since=since,
            describe=f"TransactionEventRequest after the new charging limit ({label})",
        )
    except TargetTimeout:
        if required:
            raise
        warn(f"{label}: no TransactionEventRequest reported the new charging limit (optional)")
        return
    check(
        event.payload["triggerReason"] == "ChargingRateChanged",
        f"{label}: TransactionEventRequest triggerReason must be ChargingRateChanged",
        event.payload,
    )
    for item in sut.link.inbox[since:]:
        if item.action == "NotifyEVChargingSchedule":
            check_ev_schedule(
                item.payload,
                csms.evse,
                given,
                f"{label} (schedule)",
                sut,
                csms.max_time_deviation + 1,
            )


def _tx_profile(csms: FakeCsms201, amperes: float) -> dict[str, Any]:
    """The K57/K58 step: TxProfile for the running transaction, startPeriod 0, the limit; the
    id of the one RenegotiateChargingLimits set (replaced, K01.FR.05)."""
    sent = profile(csms, RENEGOTIATED_PROFILE_ID, "TxProfile", transaction_id=csms.transaction_id)
    sent["chargingSchedule"][0]["chargingSchedulePeriod"][0]["limit"] = csms.sc_limit(amperes)
    return sent


@ocpp_case("TC_K_53_CS", version="2.0.1")
async def test_tc_k_53_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Load leveling over ISO 15118 (K15.FR.01/06/09/10): Authorized (local),
    EVConnectedPreSession, then RenegotiateChargingLimits: NotifyEVChargingNeeds with AC or DC
    parameters, the TxProfile Accepted, the EV's schedule within it, charging (errata 6.2.76:
    a TransactionEventRequest ChargingStateChanged, chargingState Charging). Errata 6.2.76:
    step 1 is Reusable State Authorized15118, its TransactionEventRequest eventType Updated or
    Started with triggerReason Authorized."""
    sut = await csms.ready(station_operator)
    event = await _authorized15118(csms, sut, station_operator)
    check(
        event.payload["eventType"] in ("Updated", "Started")
        and event.payload["triggerReason"] == "Authorized",
        "Step 1: TransactionEventRequest of Authorized15118 step 3 eventType Updated or "
        "Started, triggerReason Authorized",
        event.payload,
    )
    step("Execute Reusable State RenegotiateChargingLimits")
    await csms.renegotiate_charging_limits(sut, station_operator)


@ocpp_case("TC_K_54_CS", version="2.0.1")
async def test_tc_k_54_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """The CSMS cannot provide a schedule (K15.FR.01, K17.FR.04): NotifyEVChargingNeeds for
    the EVSE answered Rejected; the station charges anyway: a TransactionEventRequest
    ChargingStateChanged, chargingState Charging. The NotifyEVChargingSchedule (optional) is
    answered Accepted and judged for its evseId. Errata 6.2.77: authorized with Reusable
    State Authorized15118."""
    sut = await csms.ready(station_operator)
    await _authorized15118(csms, sut, station_operator)
    claim = asyncio.ensure_future(sut.expect_call("NotifyEVChargingNeeds"))
    await asyncio.sleep(0)
    try:
        step("Manual action: the EV sends its charging needs (implied by step 1)")
        await station_operator.perform("ev_charging_needs", evse_id=csms.evse)
        step("1. The Charging Station sends a NotifyEVChargingNeedsRequest")
        needs = await claim
    finally:
        claim.cancel()
    check(
        needs.payload.get("evseId") == csms.evse,
        f"Step 1: NotifyEVChargingNeedsRequest evseId {csms.evse}",
        needs.payload,
    )
    step("2. The OCTT responds with a NotifyEVChargingNeedsResponse with status Rejected")
    mark = sut.mark()  # the EV charges once it has the answer
    await needs.reply({"status": "Rejected"})
    step("5. The Charging Station sends a TransactionEventRequest (Charging)")
    await csms.charging_after_schedule(sut, since=mark, label="Step 5", profile=None, required=True)


@ocpp_case("TC_K_56_CS", version="2.0.1")
async def test_tc_k_56_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Offline, the station schedules the EV within its TxDefaultProfile (K15.FR.15,
    K17.FR.15): with a TxDefaultProfile of limit 6 installed, EVConnectedPreSession and
    Authorized, the OCTT drops the connection and refuses reconnects while the EV sends its
    charging needs; after the reconnection a TransactionEventRequest ChargingStateChanged,
    Charging, offline true, and a NotifyEVChargingSchedule (optional, either order) for the
    EVSE in the configured unit with startPeriod 0 and limit <= 8 (errata 6.2.80, which also
    drops the triggerReason check: a different one is only warned about)."""
    sut = await csms.ready(station_operator)
    backoff = csms.retry_backoff_wait_minimum
    await csms.configure(
        sut,
        {
            "OCPPCommCtrlr.RetryBackOffWaitMinimum": str(backoff),
            "OCPPCommCtrlr.RetryBackOffRandomRange": "0",
        },
    )
    dev = csms.max_time_deviation
    installed = profile(
        csms,
        GENERATED_ID,
        "TxDefaultProfile",
        kind="Absolute",
        stack_level=0,
        duration=400,
        start=after(-dev),
        valid_from=after(-dev),
        valid_to=after(dev + 401),
    )
    await csms.set_charging_profile(sut, installed)
    settled = sut.mark()
    await _authorized_connected(csms, sut, station_operator)
    # A station that starts the energy transfer on authorization reports Charging right
    # after: let that report arrive before the drop, or it is still queued at the drop,
    # delivered after the reconnection flagged offline (E11.FR.07) and mistaken for the
    # Charging step 5 asks for, which must follow the EV's charging needs. A station whose
    # ISO 15118 EV waits for its needs sends nothing: the wait ends at the message timeout.
    with contextlib.suppress(TargetTimeout):
        await sut.wait_for(
            "TransactionEvent",
            lambda p: p["transactionInfo"].get("chargingState") == "Charging",
            since=settled,
            timeout=csms.config.timeouts.message,
            describe="the Charging report that follows authorization, if any",
        )
    # What the station sent before the drop; one it re-sends after the reconnection (its
    # answer was lost with the connection) is not a new event.
    before_drop = {
        (str(c.payload["transactionInfo"].get("transactionId")), c.payload.get("seqNo"))
        for c in sut.link.inbox
        if c.action == "TransactionEvent"
    }
    generation = csms.generation
    step("1. The OCTT closes the WebSocket connection AND does not accept a reconnect")
    csms.behaviour.refuse_connections = True
    try:
        await csms.drop_connection()
        step("Manual action: the EV sends its charging needs (while offline)")
        await station_operator.perform("ev_charging_needs", evse_id=csms.evse)
    finally:
        csms.behaviour.refuse_connections = False
    step("2. The OCTT accepts the reconnection attempt from the Charging Station")
    sut = await csms.next_connection(after=generation, timeout=3 * backoff + 30)
    step("5. The Charging Station sends a TransactionEventRequest (offline, Charging)")
    event = await sut.wait_for(
        "TransactionEvent",
        lambda p: (
            p["transactionInfo"].get("chargingState") == "Charging"
            and (str(p["transactionInfo"].get("transactionId")), p.get("seqNo")) not in before_drop
        ),
        describe="TransactionEventRequest with chargingState Charging after the reconnection "
        "(not one re-sent from before the drop)",
    )
    payload = event.payload
    if payload["triggerReason"] != "ChargingStateChanged":
        warn(f"Step 5: triggerReason {payload['triggerReason']} (errata 6.2.80: not judged)")
    check(payload.get("offline") is True, "Step 5: TransactionEventRequest offline true", payload)
    bound = csms.sc_limit(8)
    for item in sut.link.inbox:
        if item.action != "NotifyEVChargingSchedule":
            continue
        schedule = item.payload.get("chargingSchedule") or {}
        periods = schedule.get("chargingSchedulePeriod") or [{}]
        check(
            item.payload.get("evseId") == csms.evse
            and schedule.get("chargingRateUnit") == csms.smart_charging.charging_rate_unit
            and periods[0].get("startPeriod") == 0
            and float(periods[0].get("limit", bound + 1)) <= bound,
            f"Step 3: NotifyEVChargingScheduleRequest evseId {csms.evse}, chargingRateUnit "
            f"{csms.smart_charging.charging_rate_unit}, startPeriod 0, limit <= {bound:g}",
            item.payload,
        )


@ocpp_case("TC_K_57_CS", version="2.0.1")
async def test_tc_k_57_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """The EV renegotiates (K17.FR.01/06/09/10): after RenegotiateChargingLimits, new
    NotifyEVChargingNeeds for the EVSE (Accepted), a TxProfile of limit 15 for the transaction
    Accepted, the EV's schedule (optional) within it, a TransactionEventRequest
    ChargingRateChanged (optional, "probably" sent: judged when sent within the message
    timeout). Errata 6.2.79: EVConnectedPreSession before Authorized."""
    sut = await csms.ready(station_operator)
    await _authorized_connected(csms, sut, station_operator)
    step("(Before) Execute Reusable State RenegotiateChargingLimits")
    await csms.renegotiate_charging_limits(sut, station_operator)
    mark = sut.mark()
    step("Manual action: the EV renegotiates (implied by step 1)")
    await station_operator.perform("ev_charging_needs", evse_id=csms.evse)
    step("1. The Charging Station sends a NotifyEVChargingNeedsRequest")
    needs = await sut.wait_for(
        "NotifyEVChargingNeeds", since=mark, describe="NotifyEVChargingNeedsRequest (renegotiation)"
    )
    check_charging_needs(needs.payload, csms.evse, "Step 1")
    sent = _tx_profile(csms, 15)
    step("3. The OCTT sends a SetChargingProfileRequest (TxProfile, limit 15)")
    answer = await sut.call("SetChargingProfile", {"evseId": csms.evse, "chargingProfile": sent})
    check(
        answer.get("status") == "Accepted",
        "Step 4: SetChargingProfileResponse status Accepted",
        answer,
    )
    await _rate_changed(csms, sut, mark, "Step 7", sent, required=False)


@ocpp_case("TC_K_58_CS", version="2.0.1")
async def test_tc_k_58_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """The CSMS renegotiates (K17.FR.01/06/09/10 as listed): after RenegotiateChargingLimits
    (limit 10), a TxProfile of limit 8 for the transaction is Accepted; the EV's schedule
    (optional) is within it, and the station, charging above 8, reports ChargingRateChanged.
    Errata 6.2.81's state list: see the module docstring."""
    sut = await csms.ready(station_operator)
    await _authorized15118(csms, sut, station_operator)
    step("(Before) State is EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    step("(Before) Execute Reusable State RenegotiateChargingLimits")
    await csms.renegotiate_charging_limits(sut, station_operator)
    mark = sut.mark()
    sent = _tx_profile(csms, 8)
    step("1. The OCTT sends a SetChargingProfileRequest (TxProfile, limit 8)")
    answer = await sut.call("SetChargingProfile", {"evseId": csms.evse, "chargingProfile": sent})
    check(
        answer.get("status") == "Accepted",
        "Step 2: SetChargingProfileResponse status Accepted",
        answer,
    )
    await _rate_changed(csms, sut, mark, "Step 5", sent, required=True)
