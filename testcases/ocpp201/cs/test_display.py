"""OCPP 2.0.1, Charging Station under test, O. Display Message: setting, reading and clearing
messages (2.0.1 Edition 3 Part 6 §2.16, Tables 387-418, and the errata 2025-02/2025-06).

pytest-ocpp plays the CSMS (the OCTT column of each scenario table). Each case first
re-establishes Part 6 §2.1's general preconditions (``csms.ready``), which also clears every
display message an earlier case set (registered with ``csms.after_case``). The transaction-
and state-bound cases are in test_display_transactions.py; the shared steps, OCTT's configured
values (``[station]`` keys) and the Memory State SetDisplayMessage of errata §6.2.111 in
_display_support.py.

"Note(s): the display message is (not) displayed" is what a person at the station checks;
OCPP carries no evidence of it, so those notes are report steps, not verdicts. What OCPP does
show is judged: the answers, the NotifyDisplayMessagesRequest pages and what GetDisplayMessages
still finds.

Conditions (Part 5 §4.8): TC_O_01/08 are mandatory (UI-1/UI-2 only say which configured
priority/format to use); TC_O_17/19 apply to a station lacking a priority/format, TC_O_22
(UI-1.2), TC_O_24 (UI-1.1) and TC_O_35 (two priorities) to one having them. TC_O_18 has no
Part 5 condition; its prerequisite, a state the station lacks, is ``[station]
display_message_unsupported_state`` (not applicable when unset).

Departures: every GetDisplayMessagesRequest carries a requestId (the schema requires it; some
tables leave it out); TC_O_35_CS sends the second priority as ``priority`` where the table
writes "state <Configured display_message_2priority>" (a typo: a priority is no state);
TC_O_24_CS follows errata §6.2.111 (two AlwaysFront messages, the first gone); TC_O_13_CS ends
with the GetDisplayMessages step: its closing "wait till the offset has passed" only serves
the visual check.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import check, not_applicable

from ._display_support import (
    get_messages,
    judge_reported,
    message_info,
    needs_state,
    new_message_id,
    new_request_id,
    note,
    reported,
    requires_unsupported,
    set_display_message_state,
    set_message,
    settings,
    timestamp,
    wait_until,
)


def _all_match(found: list[dict[str, Any]], label: str, **criteria: Any) -> None:
    """004.FR.01/03: a GetDisplayMessagesRequest with criteria reports only messages that
    match them."""
    for info in found:
        for field, value in criteria.items():
            check(
                info.get(field) == value,
                f"{label}: only messages with {field} {value} reported (004.FR.01)",
                info,
            )


# -- O01 Set Display Message ---------------------------------------------------------------
@ocpp_case("TC_O_01_CS", version="2.0.1")
async def test_tc_o_01_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """SetDisplayMessage is Accepted and the message is reported as configured (001.FR.12,
    003/004): GetDisplayMessages with its id Accepted, NotifyDisplayMessagesRequest with the
    requestId, id, priority, message.format and message.content."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    message_id = new_message_id(s)
    await set_message(csms, sut, message_info(s, message_id), label="1")
    note("the display message is displayed as configured")
    found = await get_messages(
        sut, label="3", expected="Accepted", ids=[message_id], request_id=new_request_id()
    )
    info = reported(found, message_id, "step 5")
    judge_reported(
        info, "step 5", id=message_id, priority=s.priority, format=s.format, content=s.content
    )


@ocpp_case("TC_O_02_CS", version="2.0.1")
async def test_tc_o_02_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetDisplayMessages without criteria (003.FR.01-05): Accepted, then every configured
    message in NotifyDisplayMessagesRequest pages (tbc until the last) with the requestId.
    Memory state: one message (errata §6.2.111 SetDisplayMessage)."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    message_id = await set_display_message_state(csms, sut, s)
    found = await get_messages(sut, label="1", expected="Accepted", request_id=new_request_id())
    reported(found, message_id, "post scenario: all messages have been received")


@ocpp_case("TC_O_03_CS", version="2.0.1")
async def test_tc_o_03_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetDisplayMessages without criteria while no message is configured: Unknown
    (003.FR.06). The general preconditions cleared what earlier cases set; messages
    configured before the run make the case not applicable (see ``get_messages``)."""
    sut = await csms.ready(station_operator)
    await get_messages(sut, label="1", expected="Unknown", none_configured=True)


# -- O05 Clear Display Message ---------------------------------------------------------------
@ocpp_case("TC_O_04_CS", version="2.0.1")
async def test_tc_o_04_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """ClearDisplayMessage of a configured message: Accepted, and GetDisplayMessages with
    its id then answers Unknown (005.FR.01, 004.FR.02)."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    message_id = await set_display_message_state(csms, sut, s)
    step(f"1. The OCTT sends a ClearDisplayMessageRequest with id {message_id}")
    answer = await sut.call("ClearDisplayMessage", {"id": message_id})
    check(
        answer.get("status") == "Accepted",
        "step 2: ClearDisplayMessageResponse status Accepted",
        answer,
    )
    await get_messages(sut, label="3", expected="Unknown", ids=[message_id])


@ocpp_case("TC_O_05_CS", version="2.0.1")
async def test_tc_o_05_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """ClearDisplayMessage of an id not configured: Unknown (005.FR.02)."""
    sut = await csms.ready(station_operator)
    message_id = new_message_id(settings(csms))
    step(f"1. The OCTT sends a ClearDisplayMessageRequest with id {message_id}")
    answer = await sut.call("ClearDisplayMessage", {"id": message_id})
    check(
        answer.get("status") == "Unknown",
        "step 2: ClearDisplayMessageResponse status Unknown",
        answer,
    )


# -- O04 Get specific Display Messages -------------------------------------------------------
@ocpp_case("TC_O_07_CS", version="2.0.1")
async def test_tc_o_07_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetDisplayMessages by id (004.FR.01/03-06): Accepted, NotifyDisplayMessagesRequest
    pages with the requestId reporting that message."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    message_id = await set_display_message_state(csms, sut, s)
    found = await get_messages(
        sut, label="1", expected="Accepted", ids=[message_id], request_id=new_request_id()
    )
    reported(found, message_id, "post scenario: all messages have been received")
    _all_match(found, "step 3", id=message_id)


@ocpp_case("TC_O_08_CS", version="2.0.1")
async def test_tc_o_08_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetDisplayMessages by priority (004.FR.01/03-06): Accepted, the pages report the
    message of the configured priority, and only messages of that priority."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    message_id = await set_display_message_state(csms, sut, s, priority=s.priority)
    found = await get_messages(
        sut, label="1", expected="Accepted", priority=s.priority, request_id=new_request_id()
    )
    reported(found, message_id, "post scenario: all messages have been received")
    _all_match(found, "step 3", priority=s.priority)


@ocpp_case("TC_O_09_CS", version="2.0.1")
async def test_tc_o_09_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetDisplayMessages by state (004.FR.01/03-06): Accepted, the pages report the
    message set with <Configured display_message_state>, and only messages of that state."""
    s = settings(csms)
    needs_state(s, s.state)
    sut = await csms.ready(station_operator)
    message_id = await set_display_message_state(csms, sut, s, state=s.state)
    found = await get_messages(
        sut, label="1", expected="Accepted", state=s.state, request_id=new_request_id()
    )
    reported(found, message_id, "post scenario: all messages have been received")
    _all_match(found, "step 3", state=s.state)


@ocpp_case("TC_O_11_CS", version="2.0.1")
async def test_tc_o_11_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetDisplayMessages with an id other than the configured message's: Unknown
    (004.FR.02)."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    await set_display_message_state(csms, sut, s)
    await get_messages(sut, label="1", expected="Unknown", ids=[new_message_id(s)])


@ocpp_case("TC_O_33_CS", version="2.0.1")
async def test_tc_o_33_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetDisplayMessages by id while no message is configured: Unknown (004.FR.07)."""
    sut = await csms.ready(station_operator)
    await get_messages(sut, label="1", expected="Unknown", ids=[new_message_id(settings(csms))])


@ocpp_case("TC_O_34_CS", version="2.0.1")
async def test_tc_o_34_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetDisplayMessages with the id of a configured message but another state: Unknown
    (004.FR.02: every criterion must match). Prerequisite: the two configured states
    differ."""
    s = settings(csms)
    if s.state == s.state2:
        raise not_applicable("prerequisite: display message states 1 and 2 must differ")
    needs_state(s, s.state)
    sut = await csms.ready(station_operator)
    message_id = await set_display_message_state(csms, sut, s, state=s.state)
    await get_messages(sut, label="1", expected="Unknown", ids=[message_id], state=s.state2)


@ocpp_case(
    "TC_O_35_CS",
    version="2.0.1",
    requires="(UI-1.1 and UI-1.2) or (UI-1.2 and UI-1.3) or (UI-1.3 and UI-1.1)",
)
async def test_tc_o_35_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """GetDisplayMessages with the id of a configured message but another priority: Unknown
    (004.FR.02). The second priority goes in ``priority`` (the table's "state" is a typo)."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    if not s.priority2 or s.priority2 == s.priority:
        raise not_applicable("prerequisite: display message priorities 1 and 2 must differ")
    message_id = await set_display_message_state(csms, sut, s, priority=s.priority)
    await get_messages(sut, label="1", expected="Unknown", ids=[message_id], priority=s.priority2)


# -- O06 Replace, O01 times and limits -------------------------------------------------------
@ocpp_case("TC_O_12_CS", version="2.0.1")
async def test_tc_o_12_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """SetDisplayMessage with the id of a configured message and other content replaces it:
    Accepted (006.FR.01; errata §6.2.111: a different message text)."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    message_id = await set_display_message_state(csms, sut, s)
    info = message_info(s, message_id, content=f"{s.content} (replaced)")
    await set_message(csms, sut, info, label="1")
    note("the display message is replaced by the new one")


@ocpp_case("TC_O_13_CS", version="2.0.1")
async def test_tc_o_13_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A message with a startDateTime in the future is Accepted and reported with that
    startDateTime (001.FR.05/06). Errata §6.2.111: now + <Configured Start Date Time
    Offset>."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    message_id = new_message_id(s)
    info = message_info(s, message_id, start=timestamp(s.start_offset))
    await set_message(csms, sut, info, label="1")
    found = await get_messages(
        sut, label="3", expected="Accepted", ids=[message_id], request_id=new_request_id()
    )
    got = reported(found, message_id, "step 5")
    check(
        bool(got.get("startDateTime")),
        "step 5: NotifyDisplayMessagesRequest startDateTime not omitted",
        got,
    )
    note(f"the display message is displayed after {s.start_offset:g} s")


@ocpp_case("TC_O_14_CS", version="2.0.1")
async def test_tc_o_14_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A message with an endDateTime is reported with it, and removed once it passed
    (001.FR.07): GetDisplayMessages by id answers Unknown after the <Configured End Date Time
    Offset> (errata §6.2.111; default 2 s, plus 1 s for clocks counting whole seconds)."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    message_id = new_message_id(s)
    started = _now()
    info = message_info(s, message_id, end=timestamp(s.end_offset))
    await set_message(csms, sut, info, label="1")
    found = await get_messages(
        sut, label="3", expected="Accepted", ids=[message_id], request_id=new_request_id()
    )
    got = reported(found, message_id, "step 5")
    check(
        bool(got.get("endDateTime")),
        "step 5: NotifyDisplayMessagesRequest endDateTime not omitted",
        got,
    )
    await wait_until(s.end_offset, started, "the endDateTime has passed")
    note("the display message was displayed and is removed after the endDateTime")
    await get_messages(
        sut, label="7", expected="Unknown", ids=[message_id], request_id=new_request_id()
    )


@ocpp_case("TC_O_17_CS", version="2.0.1", requires="not (UI-1.1 and UI-1.2 and UI-1.3)")
async def test_tc_o_17_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A priority the station does not support: NotSupportedPriority (001.FR.01). The
    unsupported priority is ``[station] display_message_unsupported_priority``, by default
    the first the claims lack."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    priority = requires_unsupported(
        s.unsupported_priority, "priority", "display_message_unsupported_priority"
    )
    info = message_info(s, new_message_id(s), priority=priority)
    await set_message(csms, sut, info, expected="NotSupportedPriority", label="1")


@ocpp_case("TC_O_18_CS", version="2.0.1")
async def test_tc_o_18_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A state the station does not support: NotSupportedState (001.FR.02). Which one is
    ``[station] display_message_unsupported_state`` (prerequisite; not applicable when
    unset: Part 5 has no feature saying which state a station lacks). The schema requires a
    priority: the configured one."""
    s = settings(csms)
    state = requires_unsupported(
        s.unsupported_state, "message state", "display_message_unsupported_state"
    )
    sut = await csms.ready(station_operator)
    info = message_info(s, new_message_id(s), state=state)
    await set_message(csms, sut, info, expected="NotSupportedState", label="1")


@ocpp_case("TC_O_19_CS", version="2.0.1", requires="not (UI-2.1 and UI-2.2 and UI-2.3 and UI-2.4)")
async def test_tc_o_19_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A message format the station does not support: NotSupportedMessageFormat (001.FR.03;
    errata §6.2.111: <Configured Unsupported Message Format>, by default the first the claims
    lack)."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    fmt = requires_unsupported(
        s.unsupported_format, "message format", "display_message_unsupported_format"
    )
    info = message_info(s, new_message_id(s), format=fmt)
    await set_message(csms, sut, info, expected="NotSupportedMessageFormat", label="1")


@ocpp_case("TC_O_20_CS", version="2.0.1")
async def test_tc_o_20_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Display messages survive a reboot (001.FR.10): after Booted, GetDisplayMessages by id
    is Accepted and reports the message as configured."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    message_id = new_message_id(s)
    await set_message(csms, sut, message_info(s, message_id), label="1")
    step("3. Execute Reusable State Booted")
    sut = await csms.booted(sut, station_operator)
    found = await get_messages(
        sut, label="4", expected="Accepted", ids=[message_id], request_id=new_request_id()
    )
    info = reported(found, message_id, "step 6")
    judge_reported(
        info, "step 6", id=message_id, priority=s.priority, format=s.format, content=s.content
    )


# -- O01 priorities --------------------------------------------------------------------------
@ocpp_case("TC_O_22_CS", version="2.0.1", requires="UI-1.2")
async def test_tc_o_22_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Two InFront messages are both kept, to be cycled (001.FR.13/14): each is Accepted and
    found by GetDisplayMessages afterwards."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    first, second = new_message_id(s), new_message_id(s)
    await set_message(csms, sut, message_info(s, first, priority="InFront"), label="1")
    await set_message(csms, sut, message_info(s, second, priority="InFront"), label="3")
    for label, message_id in (("5", first), ("9", second)):
        found = await get_messages(
            sut, label=label, expected="Accepted", ids=[message_id], request_id=new_request_id()
        )
        reported(found, message_id, f"step {int(label) + 2}")
    note("the display messages are displayed as configured, according to the priority")


@ocpp_case("TC_O_24_CS", version="2.0.1", requires="UI-1.1")
async def test_tc_o_24_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A second AlwaysFront message replaces the first (001.FR.15/16; errata §6.2.111):
    GetDisplayMessages of the first answers Unknown, of the second Accepted and reports it."""
    sut = await csms.ready(station_operator)
    s = settings(csms)
    first, second = new_message_id(s), new_message_id(s)
    await set_message(csms, sut, message_info(s, first, priority="AlwaysFront"), label="1")
    await set_message(csms, sut, message_info(s, second, priority="AlwaysFront"), label="3")
    await get_messages(sut, label="5", expected="Unknown", ids=[first])
    found = await get_messages(
        sut, label="5", expected="Accepted", ids=[second], request_id=new_request_id()
    )
    reported(found, second, "step 7")
    note("the message of step 1 is no longer displayed: the message of step 3 replaced it")


def _now() -> float:
    return asyncio.get_running_loop().time()
