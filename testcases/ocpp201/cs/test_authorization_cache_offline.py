"""OCPP 2.0.1, Charging Station under test, C. Authorization, part 1 continued: the cache
cases that go offline or deauthorize (Part 6 §2.4 TC_C_15 to TC_C_18, TC_C_34 as of errata
6.2.28), with the helpers of :mod:`.test_authorization` (see its departures).

"The OCTT closes the WebSocket connection AND does not accept a reconnect" is
``csms.behaviour.refuse_connections`` plus ``csms.drop_connection()``; connections are accepted
again in a ``finally``. OCTT's <Configured RetryBackOffWaitMinimum_duration> is ``[station]
retry_backoff_wait_minimum`` (default 2 s). Departures: TxCtrlr.MaxEnergyOnInvalidId "is 0"
(TC_C_16, TC_C_17, TC_C_34) is set only where implemented, since a station without
MaxEnergyOnInvalidId (Part 5 C-03 is optional) behaves as with 0; the cases that need a
positive value (TC_C_15, TC_C_18) require C-03. Their post-scenario validation "only
MaxEnergyOnInvalidId energy is delivered" has no message to judge and is left to the operator.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import check

from ._authorization_support import (
    CACHE,
    authorize_request,
    clear_local_list,
    configure_if_implemented,
    not_sent,
    present,
    token_matches,
)


def _backoff(csms: FakeCsms201) -> int:
    return csms.retry_backoff_wait_minimum


def _offline_wait(csms: FakeCsms201) -> float:
    """How long the OCTT waits offline after the idToken is presented: <Configured Transaction
    Duration> (``[station] transaction_duration``, default 5 s, the fixed wait TC_C_16/17
    print). No message can arrive meanwhile; the wait gives the station time to start
    charging offline."""
    return float(csms.config.station.extra.get("transaction_duration", 5))


async def _offline_case(
    csms: FakeCsms201,
    operator: StationOperator,
    *,
    stop_tx_on_invalid_id: bool,
    max_energy: int,
    backoff_settings: bool,
    wait: float,
) -> tuple[StationConnection, list[IncomingCall]]:
    """The shared part of TC_C_15-18: configuration, memory state (the valid idToken cached
    and, where the station has a list, listed), EVConnectedPreSession; offline, the cached
    valid idToken presented, ``wait`` s, the reconnection accepted; the TransactionEventRequests
    of the emptied queue answered Invalid where they carry the idToken. Returns the new
    connection and the TransactionEventRequests with offline true."""
    sut = await csms.ready(operator)
    tags = csms.config.tags
    await configure_if_implemented(
        csms,
        sut,
        {
            "AuthCacheCtrlr.Enabled": "true",
            "AuthCtrlr.LocalPreAuthorize": "true",
            "AuthCtrlr.OfflineTxForUnknownIdEnabled": "true",
        },
    )
    values = {
        "AuthCtrlr.LocalAuthorizeOffline": "true",
        "TxCtrlr.StopTxOnInvalidId": str(stop_tx_on_invalid_id).lower(),
    }
    if backoff_settings:
        backoff = _backoff(csms)
        values |= {
            "OCPPCommCtrlr.OfflineThreshold": str(backoff + 60),
            "OCPPCommCtrlr.RetryBackOffWaitMinimum": str(backoff),
            "OCPPCommCtrlr.RetryBackOffRandomRange": "0",
        }
    if max_energy:
        values["TxCtrlr.MaxEnergyOnInvalidId"] = str(max_energy)
    else:
        await configure_if_implemented(csms, sut, {"TxCtrlr.MaxEnergyOnInvalidId": "0"})
    await csms.configure(sut, values)
    sut = await csms.id_token_cached(sut, operator, tags.valid)
    listed = await csms.get_variable(sut, "LocalAuthListCtrlr.Enabled") is not None
    if listed:
        await csms.id_token_local_auth_list(sut, tags.valid, "Accepted")
    step("State is EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, operator)
    token = csms.id_token()
    generation = csms.generation
    step("1. The OCTT closes the WebSocket connection AND does not accept a reconnect")
    csms.behaviour.refuse_connections = True
    try:
        await csms.drop_connection()
        await present(csms, operator, token, "the cached valid idToken (offline)")
        step(f"The OCTT waits {wait:g} s")
        await asyncio.sleep(wait)  # the table's wait while offline: no message can arrive
        csms.behaviour.id_tag_status[tags.valid] = "Invalid"
    finally:
        csms.behaviour.refuse_connections = False
    step("2. The OCTT accepts the reconnection attempt from the Charging Station")
    sut = await csms.next_connection(after=generation, timeout=3 * _backoff(csms) + 30)
    step("3. The Charging Station sends TransactionEventRequests; 4. answered Invalid")
    await sut.wait_for(
        "TransactionEvent",
        lambda p: p.get("offline") is True and p["triggerReason"] == "ChargingStateChanged",
        describe="TransactionEventRequest triggerReason ChargingStateChanged, offline true "
        "(charging started offline)",
    )
    offline = [
        c for c in sut.link.inbox if c.action == "TransactionEvent" and c.payload.get("offline")
    ]
    for item in offline:
        if item.payload["triggerReason"] == "Authorized" or "idToken" in item.payload:
            check(
                token_matches(item.payload.get("idToken"), token),
                f"step 3: idToken.idToken {token['idToken']}, idToken.type {token['type']}",
                item.payload,
            )
    if listed:
        await clear_local_list(sut)
    return sut, offline


def _deauthorized(p: dict[str, Any]) -> bool:
    return p["triggerReason"] == "Deauthorized"


def _suspended(p: dict[str, Any]) -> bool:
    return (
        p["triggerReason"] == "ChargingStateChanged"
        and (p.get("transactionInfo") or {}).get("chargingState") == "SuspendedEVSE"
    )


async def _keeps_charging(csms: FakeCsms201, sut: StationConnection, rule: str) -> None:
    """No TransactionEventRequest Deauthorized, none ChargingStateChanged to SuspendedEVSE."""
    await not_sent(
        csms,
        sut,
        "TransactionEvent",
        since=0,
        forbidden=lambda p: _deauthorized(p) or _suspended(p),
        rule=rule,
    )


async def _deauthorizes(sut: StationConnection, *, online: bool) -> None:
    step("5. The Charging Station sends a TransactionEventRequest triggerReason Deauthorized")
    event = await sut.wait_for(
        "TransactionEvent",
        _deauthorized,
        describe="TransactionEventRequest triggerReason Deauthorized (StopTxOnInvalidId true, "
        "E05.FR.09)",
    )
    if online:
        check(
            not event.payload.get("offline"),
            "step 5: the Deauthorized TransactionEventRequest has offline false",
            event.payload,
        )


@ocpp_case("TC_C_15_CS", version="2.0.1", requires="C-49 and C-03 and (C-30 or C-31 or C-32)")
async def test_tc_c_15_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Offline with a cached valid idToken, StopTxOnInvalidId false and MaxEnergyOnInvalidId
    10000 (C12.FR.02/04, C15, E05.FR.02): charging starts offline (ChargingStateChanged,
    offline true) and, once the CSMS answers Invalid, goes on: no Deauthorized, no
    SuspendedEVSE. Waits <Configured Transaction Duration> offline."""
    wait = _offline_wait(csms)
    sut, _ = await _offline_case(
        csms,
        station_operator,
        stop_tx_on_invalid_id=False,
        max_energy=10000,
        backoff_settings=True,
        wait=wait,
    )
    await _keeps_charging(csms, sut, "step 3: MaxEnergyOnInvalidId not yet reached")


@ocpp_case("TC_C_16_CS", version="2.0.1", requires=CACHE)
async def test_tc_c_16_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Offline with a cached valid idToken and StopTxOnInvalidId true (C12.FR.02/04,
    E05.FR.09): charging starts offline; the CSMS's Invalid answer deauthorizes it
    (TransactionEventRequest triggerReason Deauthorized)."""
    sut, _ = await _offline_case(
        csms,
        station_operator,
        stop_tx_on_invalid_id=True,
        max_energy=0,
        backoff_settings=False,
        wait=_offline_wait(csms),
    )
    await _deauthorizes(sut, online=False)


@ocpp_case("TC_C_17_CS", version="2.0.1", requires=CACHE)
async def test_tc_c_17_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Offline with a cached valid idToken and StopTxOnInvalidId false (C12.FR.02/04,
    E05.FR.02): charging starts offline; the CSMS's Invalid answer suspends it (a
    TransactionEventRequest chargingState SuspendedEVSE) without deauthorizing (the table's
    "triggerReason SuspendedEVSE" is no TriggerReasonEnumType value: the chargingState is
    checked, and no Deauthorized)."""
    sut, _ = await _offline_case(
        csms,
        station_operator,
        stop_tx_on_invalid_id=False,
        max_energy=0,
        backoff_settings=False,
        wait=_offline_wait(csms),
    )
    step("5. The Charging Station sends a TransactionEventRequest chargingState SuspendedEVSE")
    await sut.wait_for(
        "TransactionEvent",
        lambda p: (p.get("transactionInfo") or {}).get("chargingState") == "SuspendedEVSE",
        describe="TransactionEventRequest chargingState SuspendedEVSE (StopTxOnInvalidId "
        "false, E05.FR.02)",
    )
    await not_sent(
        csms,
        sut,
        "TransactionEvent",
        since=0,
        forbidden=_deauthorized,
        rule="step 5: StopTxOnInvalidId false does not deauthorize",
    )


@ocpp_case("TC_C_18_CS", version="2.0.1", requires="C-49 and C-03 and (C-30 or C-31 or C-32)")
async def test_tc_c_18_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Offline with a cached valid idToken, StopTxOnInvalidId true and MaxEnergyOnInvalidId
    500 (C12.FR.02/04, E05.FR.09): charging starts offline; the CSMS's Invalid answer
    deauthorizes it, in a TransactionEventRequest sent online (offline false)."""
    wait = _offline_wait(csms)
    sut, _ = await _offline_case(
        csms,
        station_operator,
        stop_tx_on_invalid_id=True,
        max_energy=500,
        backoff_settings=True,
        wait=wait,
    )
    await _deauthorizes(sut, online=True)


@ocpp_case("TC_C_34_CS", version="2.0.1", requires=CACHE)
async def test_tc_c_34_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A TransactionEventResponse updates the cache (C10.FR.05, C12.FR.06), errata 6.2.28:
    the cached valid idToken authorizes (Authorized) and is answered Invalid in the
    TransactionEventResponse; the transaction is deauthorized (Reusable State Deauthorized);
    presented again, the idToken is now cached as Invalid, so the station asks
    (AuthorizeRequest, C10.FR.03), is answered Invalid and starts nothing.

    Departures: the Deauthorized state's chargingState "EVConnected or SuspendedEVSE" also
    accepts Idle, since the errata's scenario connects no EV. EVDisconnected (step 3) applies only with an EV
    connected, which this scenario has not; the ParkingBay states are left out."""
    sut = await csms.ready(station_operator)
    tags = csms.config.tags
    await configure_if_implemented(
        csms,
        sut,
        {
            "AuthCacheCtrlr.Enabled": "true",
            "LocalAuthListCtrlr.Enabled": "true",
            "TxCtrlr.MaxEnergyOnInvalidId": "0",
        },
    )
    await csms.configure(
        sut, {"AuthCtrlr.LocalPreAuthorize": "true", "TxCtrlr.StopTxOnInvalidId": "true"}
    )
    sut = await csms.id_token_cached(sut, station_operator, tags.valid)
    token = csms.id_token()
    csms.behaviour.id_tag_status[tags.valid] = "Invalid"
    mark = sut.mark()
    step("1. Execute Reusable State Authorized (cached idToken, answered Invalid)")
    await csms.authorized(sut, station_operator)
    step("2. Execute Reusable State Deauthorized (errata 6.2.118)")
    await csms.deauthorized(sut, station_operator, since=mark)
    if csms.ev_connected:
        csms.state = "EVConnectedPostSession"
        step("3. Execute Reusable State EVDisconnected")
        await csms.ev_disconnected(sut, station_operator)
    csms.state, csms.transaction_id = None, None
    step("6. Execute Reusable State Authorized (the idToken now cached as Invalid)")
    mark = sut.mark()
    await present(csms, station_operator, token, "the same valid idToken")
    await authorize_request(csms, sut, token, since=mark, rule="step 7 (C10.FR.05, C10.FR.03)")
    await not_sent(
        csms,
        sut,
        "TransactionEvent",
        since=mark,
        forbidden=lambda p: token_matches(p.get("idToken"), token),
        rule="step 8: the Invalid idToken starts nothing",
    )
