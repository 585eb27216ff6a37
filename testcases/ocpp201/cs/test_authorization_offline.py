"""OCPP 2.0.1, Charging Station under test, C. Authorization: offline authorization through
the Local Authorization List (C13, C14; Part 6 §2.4 TC_C_21-TC_C_25).

pytest-ocpp plays the CSMS (the OCTT column). Each case re-establishes Part 6 §2.1's general
preconditions (``csms.ready``), then its memory state, then its configuration state.
"The OCTT closes the WebSocket connection AND does not accept a reconnect" is
``csms.behaviour.refuse_connections`` plus ``csms.drop_connection()``; every case accepts
connections again in a ``finally``. OCTT's <Configured RetryBackOffWaitMinimum_duration> is
``[station] retry_backoff_wait_minimum`` (default 2 s: the operator is automatic).

Departures: ParkingBayUnoccupied is "drive
out of the parking bay" (``unpark``) where a table asks for it and is otherwise left out, as
in the other C cases. A Local Authorization List entry is sent with the idTokenInfo.status its
token is configured with (valid Accepted, invalid Invalid, blocked Blocked, expired Expired),
which is what the memory state "IdTokenLocalAuthList for <Configured invalid idtoken
fields>" means for these cases' purposes.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.timestamps import parse_timestamp
from pytest_ocpp.verdicts import TargetTimeout, check


def _backoff(csms: FakeCsms201) -> int:
    return csms.retry_backoff_wait_minimum


async def _if_implemented(
    csms: FakeCsms201, sut: StationConnection, values: dict[str, str]
) -> None:
    present = {k: v for k, v in values.items() if await csms.get_variable(sut, k) is not None}
    if present:
        await csms.configure(sut, present)


async def _offline_configuration(
    csms: FakeCsms201, sut: StationConnection, *, unknown_offline: bool = False
) -> None:
    """The configuration state the offline C13 cases share."""
    await _if_implemented(
        csms,
        sut,
        {
            "LocalAuthListCtrlr.Enabled": "true",
            "AuthCtrlr.LocalPreAuthorize": "true",
            "AuthCtrlr.OfflineTxForUnknownIdEnabled": str(unknown_offline).lower(),
        },
    )
    backoff = _backoff(csms)
    await csms.configure(
        sut,
        {
            "AuthCtrlr.LocalAuthorizeOffline": "true",
            "OCPPCommCtrlr.OfflineThreshold": str(backoff + 60),
            "OCPPCommCtrlr.RetryBackOffWaitMinimum": str(backoff),
            "OCPPCommCtrlr.RetryBackOffRandomRange": "0",
        },
    )


async def _local_list(
    csms: FakeCsms201, sut: StationConnection, entries: list[tuple[str, str]]
) -> None:
    """Memory State IdTokenLocalAuthList (Table 444) for (token, status) entries: a Full
    SendLocalListRequest, version ``[station] local_list_version`` (2), answered Accepted."""
    version = int(csms.config.station.extra.get("local_list_version", 2))
    step("(Memory State IdTokenLocalAuthList) 1. The OCTT sends a SendLocalListRequest (Full)")
    answer = await sut.call(
        "SendLocalList",
        {
            "versionNumber": version,
            "updateType": "Full",
            "localAuthorizationList": [
                {"idToken": csms.id_token(value), "idTokenInfo": {"status": status}}
                for value, status in entries
            ],
        },
    )
    check(
        answer.get("status") == "Accepted",
        "Memory State IdTokenLocalAuthList step 2: SendLocalListResponse status Accepted",
        answer,
    )


async def _clear_list(csms: FakeCsms201, sut: StationConnection) -> None:
    """Clean-up: a Full SendLocalListRequest without entries, so the non-Accepted entries of
    this case do not decide later cases (the list before it cannot be read back)."""
    version = int(csms.config.station.extra.get("local_list_version", 2))
    step("(Clean-up) The OCTT sends a SendLocalListRequest updateType Full without entries")
    await sut.call("SendLocalList", {"versionNumber": version, "updateType": "Full"})


async def _go_offline(csms: FakeCsms201) -> None:
    step("The OCTT closes the WebSocket connection AND does not accept a reconnect")
    csms.behaviour.refuse_connections = True
    await csms.drop_connection()


async def _back_online(csms: FakeCsms201, generation: int) -> tuple[StationConnection, datetime]:
    """Accept the reconnection; returns the connection and when it was accepted."""
    step("The OCTT accepts the reconnection attempt from the Charging Station")
    csms.behaviour.refuse_connections = False
    sut = await csms.next_connection(after=generation, timeout=3 * _backoff(csms) + 30)
    return sut, datetime.now(timezone.utc)


async def _nothing_authorized(
    csms: FakeCsms201,
    sut: StationConnection,
    token: dict[str, str],
    expectation: str,
) -> None:
    """No TransactionEventRequest authorizing ``token`` or charging within <Configured
    message timeout> of the reconnection (any other, e.g. EVDetected or CablePluggedIn, is
    legal)."""

    def authorizing(p: dict[str, Any]) -> bool:
        got = (p.get("idToken") or {}).get("idToken")
        return (
            p["triggerReason"] == "Authorized"
            or got == token["idToken"]
            or (p.get("transactionInfo") or {}).get("chargingState") == "Charging"
        )

    try:
        item = await sut.wait_for(
            "TransactionEvent",
            authorizing,
            timeout=csms.config.timeouts.message,
            describe=expectation,
        )
    except TargetTimeout:
        return
    check(False, expectation, item.payload)


async def _refused_offline(
    csms: FakeCsms201, station_operator: StationOperator, tag: str, status: str
) -> None:
    """TC_C_22/23/24: the token is in the list with a status other than Accepted; offline,
    presented after driving in, it starts nothing (C13.FR.02: the list decides, and says
    no). Step 5's TransactionEventRequest (offline, EVDetected) is required only when
    TxStartPoint contains ParkingBayOccupancy, as its note says."""
    sut = await csms.ready(station_operator)
    value = getattr(csms.config.tags, tag)
    token = csms.id_token(value)
    await _offline_configuration(csms, sut)
    await _local_list(csms, sut, [(value, status)])
    points = await csms.tx_start_points(sut)
    generation = csms.generation
    try:
        await _go_offline(csms)
        step("2. Manual action: drive EV into parking bay")
        await station_operator.perform("park", evse_id=csms.evse)
        step(f"3. Manual action: present idToken {value} ({status} in the list)")
        await station_operator.perform(
            "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=csms.evse
        )
        sut, _ = await _back_online(csms, generation)
    finally:
        csms.behaviour.refuse_connections = False
    if "ParkingBayOccupancy" in points:
        step("5. The Charging Station sends a TransactionEventRequest (EVDetected, offline)")
        item = await sut.wait_for(
            "TransactionEvent", describe="TransactionEventRequest queued while offline"
        )
        check(
            item.payload.get("offline") is True and item.payload["triggerReason"] == "EVDetected",
            "step 5: TransactionEventRequest offline true, triggerReason EVDetected",
            item.payload,
        )
    await _nothing_authorized(
        csms,
        sut,
        token,
        f"no TransactionEventRequest authorizing {value}, {status} in the Local Authorization "
        "List, while offline (C13.FR.02)",
    )
    step("Manual action: drive out of the parking bay")
    await station_operator.perform("unpark", evse_id=csms.evse)
    await _clear_list(csms, sut)


@ocpp_case("TC_C_21_CS", version="2.0.1")
async def test_tc_c_21_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Offline authorization through local authorization list - Accepted (C13.FR.02): offline,
    the valid idToken in the list starts a transaction; after the reconnection the queued
    TransactionEventRequests of the offline period carry offline true, and presenting the
    idToken again stops it (StopAuthorized). "Messages before the StopAuthorize" is judged on
    the events timestamped before the reconnection (later ones were sent online)."""
    sut = await csms.ready(station_operator)
    tags = csms.config.tags
    token = csms.id_token()
    await _offline_configuration(csms, sut)
    await _local_list(csms, sut, [(tags.valid, "Accepted")])
    try:
        sut = await csms.start_offline_transaction(sut, station_operator, id_token=token)
        online_at = csms.reconnected_at or datetime.now(timezone.utc)
    finally:
        csms.behaviour.refuse_connections = False
    step("Manual action: present idToken (to stop)")
    await station_operator.perform(
        "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=csms.evse
    )
    step("1. The Charging Station sends TransactionEventRequests, one StopAuthorized")
    stop = await sut.wait_for(
        "TransactionEvent",
        lambda p: p["triggerReason"] == "StopAuthorized",
        describe="TransactionEventRequest triggerReason StopAuthorized",
    )
    queued = [
        i.payload
        for i in sut.link.inbox[: sut.link.inbox.index(stop)]
        if i.action == "TransactionEvent"
        and (parse_timestamp(i.payload.get("timestamp")) or online_at)
        < online_at - timedelta(seconds=0.5)
    ]
    check(bool(queued), "step 1: TransactionEventRequests queued while offline", queued)
    check(
        all(p.get("offline") is True for p in queued),
        "step 1: every TransactionEventRequest of the offline period has offline true",
        queued,
    )
    check(
        any(p["triggerReason"] == "Authorized" or "idToken" in p for p in queued),
        "the valid idToken in the Local Authorization List authorized the transaction while "
        "offline (C13.FR.02)",
        queued,
    )
    step("Manual action: unplug cable; drive out of parking bay")
    await station_operator.perform("plug_out", evse_id=csms.evse, connector_id=csms.connector)
    csms.ev_connected = False
    await station_operator.perform("unpark", evse_id=csms.evse)


@ocpp_case("TC_C_22_CS", version="2.0.1")
async def test_tc_c_22_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Offline authorization through local authorization list - Invalid (C13.FR.02)."""
    await _refused_offline(csms, station_operator, "invalid", "Invalid")


@ocpp_case("TC_C_23_CS", version="2.0.1")
async def test_tc_c_23_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Offline authorization through local authorization list - Blocked (C13.FR.02)."""
    await _refused_offline(csms, station_operator, "blocked", "Blocked")


@ocpp_case("TC_C_24_CS", version="2.0.1")
async def test_tc_c_24_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Offline authorization through local authorization list - Expired (C13.FR.02)."""
    await _refused_offline(csms, station_operator, "expired", "Expired")


@ocpp_case("TC_C_25_CS", version="2.0.1", requires="C-49 and C-02")
async def test_tc_c_25_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Offline authorization - Local Authorization List > Authorization Cache (C13.FR.01,
    C14.FR.01): the valid idToken is cached Accepted but in the list as Invalid; offline,
    with OfflineTxForUnknownIdEnabled true, the list wins and nothing is authorized. The
    cache is filled first (memory state IdTokenCached, through reusable state Authorized),
    then the list, so the cache entry is the token's online answer."""
    sut = await csms.ready(station_operator)
    tags = csms.config.tags
    token = csms.id_token()
    await _if_implemented(csms, sut, {"AuthCacheCtrlr.Enabled": "true"})
    sut = await csms.id_token_cached(sut, station_operator)
    await _if_implemented(csms, sut, {"AuthCacheCtrlr.Enabled": "true"})
    await _offline_configuration(csms, sut, unknown_offline=True)
    await csms.configure(sut, {"TxCtrlr.StopTxOnInvalidId": "false"})
    await _local_list(csms, sut, [(tags.valid, "Invalid")])
    step("Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    generation = csms.generation
    duration = float(csms.config.station.extra.get("transaction_duration", 0))
    try:
        await _go_offline(csms)
        step(f"Manual action: present idToken {token['idToken']} (Invalid in the list)")
        await station_operator.perform(
            "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=csms.evse
        )
        if duration:
            await asyncio.sleep(duration)  # <Configured Transaction Duration>: nothing to await
        sut, _ = await _back_online(csms, generation)
    finally:
        csms.behaviour.refuse_connections = False
    await _nothing_authorized(
        csms,
        sut,
        token,
        f"no TransactionEventRequest authorizing {token['idToken']}: Invalid in the Local "
        "Authorization List, which has priority over the cache (C13.FR.01, C14.FR.01)",
    )
    await _clear_list(csms, sut)


@ocpp_case("TC_C_26_CS", version="2.0.1", requires="C-02")
async def test_tc_c_26_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Offline Authorization - Unknown Id (C15.FR.02/06/08, C13.FR.04): offline, with
    OfflineTxForUnknownIdEnabled true, an unknown idToken (OCTT's invalid one) starts a
    transaction; after the reconnection its queued TransactionEventRequests carry offline true,
    the one with the idToken is answered Invalid, and with StopTxOnInvalidId false the station
    suspends (chargingState SuspendedEVSE, C15.FR.06) instead of ending it. Then the idToken is
    presented again and the EV unplugged: a TransactionEventRequest StopAuthorized.
    Departures: step 1's "one of the messages chargingState SuspendedEVSE" is looked for after
    the Invalid answer too (the station learns it only then); "present valid idToken" is read
    as presenting the idToken of the transaction (a different token is not the one C01.FR.03
    lets stop it); the errata's StatusNotification Occupied needs no check here. The idToken
    must be unknown to the station, which earlier cases may have taught it (every answer is
    cached, C10.FR.04; a list may hold it): the cache is cleared (ClearCache) and the list
    replaced by memory state IdTokenLocalAuthList (the valid idToken only) first."""
    sut = await csms.ready(station_operator)
    tags = csms.config.tags
    token = csms.id_token(tags.invalid)
    csms.behaviour.id_tag_status[tags.invalid] = "Invalid"
    await _offline_configuration(csms, sut, unknown_offline=True)
    if await csms.get_variable(sut, "LocalAuthListCtrlr.Enabled") is not None:
        await _local_list(csms, sut, [(tags.valid, "Accepted")])
    step("(Precondition: the idToken is unknown) The OCTT sends a ClearCacheRequest")
    await sut.call("ClearCache", {})
    await _if_implemented(csms, sut, {"TxCtrlr.MaxEnergyOnInvalidId": "0"})
    await csms.configure(sut, {"TxCtrlr.StopTxOnInvalidId": "false"})
    try:
        sut = await csms.start_offline_transaction(sut, station_operator, id_token=token)
        online_at = csms.reconnected_at or datetime.now(timezone.utc)
    finally:
        csms.behaviour.refuse_connections = False
    step("1. The Charging Station sends its queued TransactionEventRequests")
    first = await sut.wait_for(
        "TransactionEvent",
        lambda p: "idToken" in p,
        describe=f"TransactionEventRequest with idToken {token['idToken']}",
    )
    check(
        first.payload.get("offline") is True,
        "step 1: the TransactionEventRequest of the offline period has offline true "
        "(C15.FR.02: the unknown idToken was accepted offline)",
        first.payload,
    )
    tx_id = first.payload["transactionInfo"]["transactionId"]
    await sut.wait_for(
        "TransactionEvent",
        lambda p: (
            p["transactionInfo"]["transactionId"] == tx_id
            and p["transactionInfo"].get("chargingState") == "SuspendedEVSE"
        ),
        describe="TransactionEventRequest chargingState SuspendedEVSE (C15.FR.06, "
        "StopTxOnInvalidId false)",
    )
    queued = [
        i.payload
        for i in sut.link.inbox
        if i.action == "TransactionEvent"
        and (parse_timestamp(i.payload.get("timestamp")) or online_at)
        < online_at - timedelta(seconds=0.5)
    ]
    check(
        all(p.get("offline") is True for p in queued),
        "step 1: every TransactionEventRequest of the offline period has offline true",
        queued,
    )
    mark = sut.mark()
    step(f"Manual action: present idToken {token['idToken']}; unplug cable")
    await station_operator.perform(
        "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=csms.evse
    )
    await station_operator.perform("plug_out", evse_id=csms.evse, connector_id=csms.connector)
    csms.ev_connected = False
    step("3. The Charging Station sends a TransactionEventRequest triggerReason StopAuthorized")
    await sut.wait_for(
        "TransactionEvent",
        lambda p: (
            p["transactionInfo"]["transactionId"] == tx_id
            and p["triggerReason"] == "StopAuthorized"
        ),
        since=mark,
        describe="TransactionEventRequest triggerReason StopAuthorized",
    )
    await station_operator.perform("unpark", evse_id=csms.evse)
