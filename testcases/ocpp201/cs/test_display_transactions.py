"""OCPP 2.0.1, Charging Station under test, O. Display Message: messages bound to a
transaction (O02) or to a state of the station (O01 MessageState), and the driver's language
(2.0.1 Edition 3 Part 6 §2.16 and the errata 2025-02/2025-06).

pytest-ocpp plays the CSMS; see test_display.py for the conventions (notes about what is
displayed are report steps; messages are cleared when the next case starts) and
_display_support.py for the configured values.

Departures from the tables:

* TC_O_27_CS's SetDisplayMessageRequest carries the running transactionId: the case is "for
  a specific transaction" and its step 8 expects the message gone once the transaction ended,
  which only a transaction's message must be (002.FR.02); errata §6.2.113 made the same fix to
  TC_O_28_CS.
* TC_O_32_CS reads the second message (<Configured displayMessage2Id>) at steps 7 and 15
  where the table writes <Generated displayMessageId>: step 6 has just shown the first one
  gone (002.FR.18) and step 9 expects the second one's content.
* TC_O_27/28_CS wait for the start/end offsets (errata §6.2.111, default 2 s each, plus 1 s
  for clocks counting whole seconds) instead of Part 6's 60 s.
* TC_O_38_CS's ChangeAvailabilityRequest Operative names the EVSE and connector the
  Reusable State Unavailable made Inoperative (the table names no target): a request for the
  whole station need not make a connector set Inoperative explicitly Operative again
  (G04.FR.08 reverts to the "original status"), so step 6's Available would not follow.
* TC_O_15_CS (removed from certification, errata 2025-02) follows its last table: the
  authorization is inline (the table's own steps 1/2, answered with idTokenInfo.language1),
  then Reusable State EnergyTransferStarted continues from it.
"""

from __future__ import annotations

import asyncio

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import check

from ._display_support import (
    DisplaySettings,
    get_messages,
    judge_reported,
    message_info,
    needs_state,
    new_message_id,
    new_request_id,
    new_transaction_id,
    note,
    reported,
    session_end,
    set_message,
    settings,
    timestamp,
    wait_until,
)


async def _charging(csms: FakeCsms201, sut: StationConnection, operator: StationOperator) -> str:
    """Charging State: State is EnergyTransferStarted; returns <Received transactionId>."""
    step("(Before) Charging State: Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, operator)
    check(
        csms.transaction_id is not None,
        "EnergyTransferStarted: a transaction is running",
        csms.transaction_id,
    )
    return str(csms.transaction_id)


# -- O02 Set Display Message for a transaction -----------------------------------------------
@ocpp_case("TC_O_06_CS", version="2.0.1")
async def test_tc_o_06_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A message for the running transaction is Accepted and removed once the transaction
    ended (002.FR.02): after StopAuthorized ... ParkingBayUnoccupied, GetDisplayMessages with
    its id answers Unknown."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    tx_id = await _charging(csms, sut, station_operator)
    message_id = new_message_id(s)
    await set_message(csms, sut, message_info(s, message_id, transaction_id=tx_id), label="1")
    note("the display message is displayed as configured")
    await session_end(csms, sut, station_operator, 3)
    note("the display message is not displayed anymore")
    await get_messages(sut, label="7", expected="Unknown", ids=[message_id])


@ocpp_case("TC_O_10_CS", version="2.0.1")
async def test_tc_o_10_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A message for a transactionId the station does not know: UnknownTransaction
    (002.FR.01)."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    info = message_info(s, new_message_id(s), transaction_id=new_transaction_id())
    await set_message(csms, sut, info, expected="UnknownTransaction", label="1")


@ocpp_case("TC_O_27_CS", version="2.0.1")
async def test_tc_o_27_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A transaction's message with a startDateTime is Accepted (002.FR.06) and, once the
    transaction ended, removed (002.FR.02): GetDisplayMessages answers Unknown. The
    transactionId is a departure (module docstring)."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    tx_id = await _charging(csms, sut, station_operator)
    message_id = new_message_id(s)
    started = asyncio.get_running_loop().time()
    info = message_info(s, message_id, transaction_id=tx_id, start=timestamp(s.start_offset))
    await set_message(csms, sut, info, label="1")
    note("the display message is not yet displayed")
    await wait_until(s.start_offset, started, "the startDateTime has passed")
    note("the display message is displayed now")
    await session_end(csms, sut, station_operator, 3)
    note("the display message is not displayed anymore")
    await get_messages(sut, label="7", expected="Unknown", ids=[message_id])


@ocpp_case("TC_O_28_CS", version="2.0.1")
async def test_tc_o_28_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A transaction's message with an endDateTime is removed once it passed, the
    transaction still running (002.FR.07; errata §6.2.113: with the transactionId)."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    tx_id = await _charging(csms, sut, station_operator)
    message_id = new_message_id(s)
    started = asyncio.get_running_loop().time()
    info = message_info(s, message_id, transaction_id=tx_id, end=timestamp(s.end_offset))
    await set_message(csms, sut, info, label="1")
    note("the display message is displayed")
    await wait_until(s.end_offset, started, "the endDateTime has passed")
    note("the display message is not displayed anymore")
    await get_messages(sut, label="3", expected="Unknown", ids=[message_id])


async def _two_messages(
    csms: FakeCsms201,
    sut: StationConnection,
    s: DisplaySettings,
    tx_id: str,
    priority: str,
    second_content: str,
) -> tuple[int, int]:
    """Steps 1-4 of TC_O_30/32_CS: two messages for the transaction with ``priority``."""
    first, second = new_message_id(s), new_message_id(s)
    info = message_info(s, first, priority=priority, transaction_id=tx_id)
    await set_message(csms, sut, info, label="1")
    info = message_info(s, second, priority=priority, transaction_id=tx_id, content=second_content)
    await set_message(csms, sut, info, label="3")
    return first, second


@ocpp_case("TC_O_30_CS", version="2.0.1", requires="UI-1.2")
async def test_tc_o_30_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Two InFront messages for the transaction are both kept (002.FR.15/16) and reported
    with the transactionId, InFront and their content; both are removed once the
    transaction ended (002.FR.02)."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    tx_id = await _charging(csms, sut, station_operator)
    second_content = f"{s.content} 2"
    first, second = await _two_messages(csms, sut, s, tx_id, "InFront", second_content)
    note("the display messages are displayed as configured")
    for label, message_id, content in (("5", first, s.content), ("9", second, second_content)):
        found = await get_messages(
            sut, label=label, expected="Accepted", ids=[message_id], request_id=new_request_id()
        )
        where = f"step {int(label) + 2}"
        info = reported(found, message_id, where)
        judge_reported(info, where, transactionId=tx_id, priority="InFront", content=content)
    await session_end(csms, sut, station_operator, 13)
    note("the display messages are not displayed anymore")
    await get_messages(sut, label="17", expected="Unknown", ids=[first])
    await get_messages(sut, label="19", expected="Unknown", ids=[second])


@ocpp_case("TC_O_32_CS", version="2.0.1", requires="UI-1.1")
async def test_tc_o_32_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A second AlwaysFront message for the transaction replaces the first (002.FR.17/18):
    the first is Unknown, the second reported with the transactionId, AlwaysFront and its
    content; after the transaction it is gone too (002.FR.02). Steps 7/15 read the second
    message (module docstring)."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    tx_id = await _charging(csms, sut, station_operator)
    second_content = f"{s.content}2"
    first, second = await _two_messages(csms, sut, s, tx_id, "AlwaysFront", second_content)
    note(f"message {first} is not displayed anymore; message {second} is shown")
    await get_messages(sut, label="5", expected="Unknown", ids=[first])
    found = await get_messages(
        sut, label="7", expected="Accepted", ids=[second], request_id=new_request_id()
    )
    info = reported(found, second, "step 9")
    judge_reported(
        info, "step 9", transactionId=tx_id, priority="AlwaysFront", content=second_content
    )
    await session_end(csms, sut, station_operator, 11)
    note("the display messages are not displayed anymore")
    await get_messages(sut, label="15", expected="Unknown", ids=[second])


# -- O01 language ----------------------------------------------------------------------------
@ocpp_case("TC_O_15_CS", version="2.0.1")
async def test_tc_o_15_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """The driver's preferred language (001.FR.08): the station asks to authorize the idToken
    (AuthorizeRequest with the configured type), the answer Accepted carries
    idTokenInfo.language1 <Configured language> (``[station] display_message_language``); in
    the transaction that follows, a SetDisplayMessageRequest is Accepted. Removed from
    certification (errata 2025-02); the language shown is a visual check."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    step("(Before) Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    token = csms.id_token()
    claim = asyncio.ensure_future(sut.expect_call("Authorize"))
    await asyncio.sleep(0)
    mark = sut.mark()
    step(f"Manual action: present the valid idToken with preferred language {s.language}")
    try:
        await station_operator.perform(
            "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=csms.evse
        )
        step("1. The Charging Station sends an AuthorizeRequest")
        request = await claim
    finally:
        claim.cancel()
    got = request.payload.get("idToken") or {}
    check(
        got.get("type") == token["type"],
        f"step 1: AuthorizeRequest idToken.type {token['type']}",
        request.payload,
    )
    step(f"2. The OCTT responds with idTokenInfo.status Accepted, language1 {s.language}")
    await request.reply({"idTokenInfo": {"status": "Accepted", "language1": s.language}})
    csms.auth_mark = mark  # the states continue from this authorization (table steps 1/2)
    csms.session_authorized = True
    csms.state = "Authorized"
    step("3. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)
    message_id = new_message_id(s)
    await set_message(csms, sut, message_info(s, message_id), label="4")
    note(f"the display message is displayed in the preferred language {s.language}")


# -- O01 MessageState ------------------------------------------------------------------------
async def _full_session(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator
) -> None:
    """Steps 3-10 of TC_O_36/37_CS: ParkingBayOccupied, Authorized, EVConnectedPreSession,
    EnergyTransferStarted, then StopAuthorized ... ParkingBayUnoccupied."""
    step("3. Execute Reusable State ParkingBayOccupied")
    await csms.parking_bay_occupied(sut, operator)
    step("4. Execute Reusable State Authorized")
    await csms.authorized(sut, operator)
    step("5. Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, operator)
    step("6. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, operator)


async def _state_message(
    csms: FakeCsms201, sut: StationConnection, s: DisplaySettings, state: str, **extra: str
) -> int:
    """Step 1: SetDisplayMessageRequest with message.state ``state``, Accepted."""
    message_id = new_message_id(s)
    await set_message(csms, sut, message_info(s, message_id, state=state, **extra), label="1")
    return message_id


async def _state_reported(sut: StationConnection, message_id: int, state: str, label: str) -> None:
    """Steps ``label``..: GetDisplayMessages with the id and a requestId, Accepted; the
    NotifyDisplayMessagesRequest reports the message with its state."""
    found = await get_messages(
        sut, label=label, expected="Accepted", ids=[message_id], request_id=new_request_id()
    )
    where = f"step {int(label) + 2}"
    judge_reported(reported(found, message_id, where), where, state=state)


@ocpp_case("TC_O_36_CS", version="2.0.1")
async def test_tc_o_36_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A message for state Charging is Accepted, kept through a whole session and reported
    with state Charging (001, MessageStateEnumType)."""
    s = settings(csms)
    needs_state(s, "Charging")
    sut = await csms.ready(station_operator)
    message_id = await _state_message(csms, sut, s, "Charging")
    note("the display message should NOT be displayed")
    await _full_session(csms, sut, station_operator)
    note("the display message should be displayed")
    await session_end(csms, sut, station_operator, 7)
    note("the display message should NOT be displayed")
    await _state_reported(sut, message_id, "Charging", "11")


@ocpp_case("TC_O_37_CS", version="2.0.1")
async def test_tc_o_37_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A message for state Idle is Accepted, kept through a whole session and reported with
    state Idle."""
    s = settings(csms)
    needs_state(s, "Idle")
    sut = await csms.ready(station_operator)
    message_id = await _state_message(csms, sut, s, "Idle")
    note("the display message should be displayed")
    await _full_session(csms, sut, station_operator)
    note("the display message should NOT be displayed")
    await session_end(csms, sut, station_operator, 7)
    note("the display message should be displayed")
    await _state_reported(sut, message_id, "Idle", "11")


@ocpp_case("TC_O_38_CS", version="2.0.1")
async def test_tc_o_38_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A message for state Unavailable is Accepted and kept while the connector is made
    Inoperative and Operative again (ChangeAvailability Operative Accepted, the connector
    reported Available); it is reported with state Unavailable. The Operative request names
    the connector the Unavailable state made Inoperative (module docstring)."""
    s = settings(csms)
    needs_state(s, "Unavailable")
    sut = await csms.ready(station_operator)
    message_id = await _state_message(csms, sut, s, "Unavailable")
    note("the display message should NOT be displayed")
    step("3. Execute Reusable State Unavailable")
    await csms.unavailable(sut)
    note("the display message should be displayed")
    mark = sut.mark()
    target = {"id": csms.evse, "connectorId": csms.connector}
    step(
        f"4. The OCTT sends a ChangeAvailabilityRequest with operationalStatus Operative for "
        f"EVSE {csms.evse} connector {csms.connector}"
    )
    answer = await sut.call(
        "ChangeAvailability", {"operationalStatus": "Operative", "evse": target}
    )
    check(
        answer.get("status") == "Accepted",
        "step 5: ChangeAvailabilityResponse status Accepted",
        answer,
    )
    step("6. The Charging Station notifies the CSMS about the state of its connectors")
    await csms.connector_reported(sut, "Available", since=mark, label=" (step 6)")
    note("the display message should NOT be displayed")
    await _state_reported(sut, message_id, "Unavailable", "8")


@ocpp_case("TC_O_39_CS", version="2.0.1")
async def test_tc_o_39_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A message for state Faulted (errata §6.2.111/115) is Accepted and kept while the
    connector becomes Faulted and Available again (each change reported, errata §6.2.115);
    it is reported with state Faulted. The fault is repaired in any case."""
    s = settings(csms)
    needs_state(s, "Faulted")
    sut = await csms.ready(station_operator)
    message_id = await _state_message(
        csms, sut, s, "Faulted", content=f"{s.content}: the Charging Station is Faulted"
    )
    note("the display message should NOT be displayed")
    where = {"evse_id": csms.evse, "connector_id": csms.connector}
    faulted = False
    try:
        mark = sut.mark()
        step("Manual action: set the Charging Station to state Faulted")
        await station_operator.perform("set_fault", **where)
        faulted = True
        step("3. The Charging Station notifies the CSMS about the status change")
        await csms.connector_reported(sut, "Faulted", since=mark, label=" (step 3)")
        note("the display message should be displayed now")
        mark = sut.mark()
        step("Manual action: set the Charging Station back to state Available")
        await station_operator.perform("clear_fault", **where)
        faulted = False
        step("5. The Charging Station notifies the CSMS about the status change")
        await csms.connector_reported(sut, "Available", since=mark, label=" (step 5)")
    finally:
        if faulted:
            await station_operator.perform("clear_fault", **where)
    note("the display message should NOT be displayed anymore")
    await _state_reported(sut, message_id, "Faulted", "7")
