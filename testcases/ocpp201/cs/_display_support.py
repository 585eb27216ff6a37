"""Shared steps of the 2.0.1 station-side O. Display Message cases (test_display*.py).

OCTT's configured values are ``[station]`` keys (README, "The config file"):

* ``display_message_priority`` / ``display_message_priority2``: <Configured Priority> and the
  second, different one of TC_O_35_CS (default: the supported priorities as the claims say,
  UI-1.1 AlwaysFront, UI-1.2 InFront, UI-1.3 NormalCycle; NormalCycle first when claimed);
* ``display_message_format``: <Configured Message Format> (default the first claimed of
  ASCII UI-2.1, UTF8 UI-2.4, URI UI-2.3, HTML UI-2.2); ``display_message_content``;
* ``display_message_state`` / ``display_message_state2``: TC_O_09/34_CS's states (default
  Charging / Idle);
* ``display_message_unsupported_priority`` / ``_format`` (default: the first one the claims
  lack) and ``display_message_unsupported_state`` (no default: nothing in Part 5 says which
  state a station lacks, so TC_O_18_CS needs it);
* ``display_message_display``: <Configured display component variable>, a component name
  (omitted when not set, errata 2025-06 §6.2.111);
* ``display_message_start_offset`` / ``display_message_end_offset``: the "Current dateTime +
  offset" of the start/end dateTimes in seconds (errata §6.2.111; default 2 s each: short,
  yet time enough for the steps before the end passes; Part 6 said 60);
* ``display_message_id``: the first <Generated displayMessageId>;
* ``display_message_language``: TC_O_15_CS's <Configured language> (default ``en``).

Every message a case sets is cleared when the next case starts (``csms.after_case``): Part 6
§2.1's post-conditions leave no configured message behind, so TC_O_03/33_CS find none.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import claims_for, lookup
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import TargetFailure, check, not_applicable

PRIORITY_FEATURES = {"NormalCycle": "UI-1.3", "InFront": "UI-1.2", "AlwaysFront": "UI-1.1"}
FORMAT_FEATURES = {"ASCII": "UI-2.1", "UTF8": "UI-2.4", "URI": "UI-2.3", "HTML": "UI-2.2"}
DEFAULT_CONTENT = "pytest-ocpp display message"
DEFAULT_START_OFFSET = 2.0
DEFAULT_END_OFFSET = 2.0
NOTIFY_PAGES_MAX = 100
"""A station reporting more pages than this for one request is not converging."""

_ids = itertools.count()
_request_ids = itertools.count(1)


@dataclass(frozen=True)
class DisplaySettings:
    """OCTT's configured display message values for this station (see the module docstring)."""

    priority: str
    priority2: str | None
    format: str
    content: str
    state: str
    state2: str
    display: str | None
    unsupported_priority: str | None
    unsupported_format: str | None
    unsupported_state: str | None
    start_offset: float
    end_offset: float
    language: str
    first_id: int


def settings(csms: FakeCsms201) -> DisplaySettings:
    extra = csms.config.station.extra
    claims = claims_for(lookup("TC_O_01_CS", "2.0.1"), csms.config)
    priorities = [p for p, f in PRIORITY_FEATURES.items() if claims.has_feature(f)]
    formats = [m for m, f in FORMAT_FEATURES.items() if claims.has_feature(f)]
    priority = str(extra.get("display_message_priority") or (priorities or ["NormalCycle"])[0])
    others = [p for p in priorities if p != priority]
    lacking_priority = [p for p in PRIORITY_FEATURES if p not in priorities]
    lacking_format = [m for m in FORMAT_FEATURES if m not in formats]
    return DisplaySettings(
        priority=priority,
        priority2=extra.get("display_message_priority2") or (others[0] if others else None),
        format=str(extra.get("display_message_format") or (formats or ["ASCII"])[0]),
        content=str(extra.get("display_message_content") or DEFAULT_CONTENT),
        state=str(extra.get("display_message_state") or "Charging"),
        state2=str(extra.get("display_message_state2") or "Idle"),
        display=extra.get("display_message_display") or None,
        unsupported_priority=extra.get("display_message_unsupported_priority")
        or (lacking_priority[0] if lacking_priority else None),
        unsupported_format=extra.get("display_message_unsupported_format")
        or (lacking_format[0] if lacking_format else None),
        unsupported_state=extra.get("display_message_unsupported_state") or None,
        start_offset=float(extra.get("display_message_start_offset", DEFAULT_START_OFFSET)),
        end_offset=float(extra.get("display_message_end_offset", DEFAULT_END_OFFSET)),
        language=str(extra.get("display_message_language") or "en"),
        first_id=int(extra.get("display_message_id", 1)),
    )


def new_message_id(s: DisplaySettings) -> int:
    """A <Generated displayMessageId>: a fresh one per message within the run."""
    return s.first_id + next(_ids)


def new_request_id() -> int:
    """A <Generated requestId>."""
    return next(_request_ids)


def new_transaction_id() -> str:
    """A <Generated transactionId> no station runs."""
    return f"unknown-{uuid.uuid4()}"[:36]


def timestamp(offset: float) -> str:
    """<Current dateTime + offset> (RFC 3339 UTC, milliseconds)."""
    moment = datetime.now(timezone.utc) + timedelta(seconds=offset)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def message_info(
    s: DisplaySettings,
    message_id: int,
    *,
    priority: str | None = None,
    state: str | None = None,
    transaction_id: str | None = None,
    start: str | None = None,
    end: str | None = None,
    content: str | None = None,
    format: str | None = None,
) -> dict[str, Any]:
    """A MessageInfoType with the table's fields: id, priority (configured unless given),
    message.format/content (configured unless given), the display when configured, and only
    the optional fields the step names."""
    info: dict[str, Any] = {
        "id": message_id,
        "priority": priority or s.priority,
        "message": {"format": format or s.format, "content": content or s.content},
    }
    if state is not None:
        info["state"] = state
    if start is not None:
        info["startDateTime"] = start
    if end is not None:
        info["endDateTime"] = end
    if transaction_id is not None:
        info["transactionId"] = transaction_id
    if s.display:
        info["display"] = {"name": s.display}
    return info


async def set_message(
    csms: FakeCsms201,
    sut: StationConnection,
    info: dict[str, Any],
    *,
    expected: str = "Accepted",
    label: str,
) -> None:
    """``label``: the OCTT sends SetDisplayMessageRequest with ``info``; the response status
    must be ``expected``. The message is cleared when the next case starts, whatever the
    answer (a station may have stored it anyway)."""
    message_id = int(info["id"])

    async def clear(conn: StationConnection) -> None:
        await conn.link.call("ClearDisplayMessage", {"id": message_id}, allow_error=True)

    csms.after_case(f"display message {message_id}", clear)
    fields = ", ".join(f"{k} {v}" for k, v in info.items() if k != "id")
    step(
        f"{label}. The OCTT sends a SetDisplayMessageRequest with message.id {message_id}, {fields}"
    )
    answer = await sut.call("SetDisplayMessage", {"message": info})
    check(
        answer.get("status") == expected,
        f"step {_next(label)}: SetDisplayMessageResponse status {expected}",
        answer,
    )


async def set_display_message_state(
    csms: FakeCsms201,
    sut: StationConnection,
    s: DisplaySettings,
    *,
    message_id: int | None = None,
    priority: str | None = None,
    state: str | None = None,
) -> int:
    """Memory State SetDisplayMessage (errata 2025-06 §6.2.111, Table 7): a message with a
    generated id, the configured priority, state only where the case says, the display,
    the configured format and content; SetDisplayMessageResponse status Accepted. Returns
    its id."""
    message_id = new_message_id(s) if message_id is None else message_id
    info = message_info(s, message_id, priority=priority, state=state)
    await set_message(csms, sut, info, label="(Memory State SetDisplayMessage) 1")
    return message_id


async def get_messages(
    sut: StationConnection,
    *,
    label: str,
    expected: str,
    ids: list[int] | None = None,
    priority: str | None = None,
    state: str | None = None,
    request_id: int | None = None,
    none_configured: bool = False,
) -> list[dict[str, Any]]:
    """``label``: the OCTT sends GetDisplayMessagesRequest with the given criteria (requestId
    is required by the schema: a generated one when the table names none); the response status
    must be ``expected``. When Accepted, the NotifyDisplayMessagesRequest pages that follow
    (tbc true on all but the last, 003.FR.04) are read, each with the requestId sent
    (003.FR.05, 004.FR.06). Returns the reported messageInfo entries.

    ``none_configured``: the case's precondition is that the station has no message (Unknown
    expected, 003.FR.06). A station that answers Accepted and then reports messages no case of
    this run set (configured before the run) does not meet it: not applicable, with their
    ids; Accepted without any reported message fails."""
    request_id = new_request_id() if request_id is None else request_id
    payload: dict[str, Any] = {"requestId": request_id}
    if ids is not None:
        payload["id"] = ids
    if priority is not None:
        payload["priority"] = priority
    if state is not None:
        payload["state"] = state
    criteria = ", ".join(f"{k} {v}" for k, v in payload.items())
    mark = sut.mark()
    step(f"{label}. The OCTT sends a GetDisplayMessagesRequest with {criteria}")
    answer = await sut.call("GetDisplayMessages", payload)
    if none_configured and answer.get("status") == "Accepted" and expected != "Accepted":
        found: list[dict[str, Any]] = []
        with contextlib.suppress(TargetFailure):
            found = await _pages(sut, label, request_id, mark)
        if found:
            raise not_applicable(
                "precondition not met: the station has display messages configured before "
                f"this run (ids {sorted({i.get('id') for i in found})}); clear them first"
            )
    check(
        answer.get("status") == expected,
        f"step {_next(label)}: GetDisplayMessagesResponse status {expected}",
        answer,
    )
    if answer.get("status") != "Accepted":
        return []
    return await _pages(sut, label, request_id, mark)


async def _pages(
    sut: StationConnection, label: str, request_id: int, mark: int
) -> list[dict[str, Any]]:
    """The NotifyDisplayMessagesRequest pages after a GetDisplayMessagesRequest: each with its
    requestId, until tbc is false; their messageInfo entries."""
    found: list[dict[str, Any]] = []
    step(f"{_next(label, 2)}. The Charging Station sends NotifyDisplayMessagesRequest(s)")
    for _page in range(NOTIFY_PAGES_MAX):
        item = await sut.wait_for(
            "NotifyDisplayMessages",
            since=mark,
            describe=f"NotifyDisplayMessagesRequest after GetDisplayMessagesRequest requestId "
            f"{request_id}",
        )
        check(
            item.payload.get("requestId") == request_id,
            f"step {_next(label, 2)}: NotifyDisplayMessagesRequest requestId {request_id} (the "
            "requestId of the GetDisplayMessagesRequest, 003.FR.05/004.FR.06)",
            item.payload,
        )
        found.extend(item.payload.get("messageInfo") or [])
        if not item.payload.get("tbc", False):
            break
    else:
        check(
            False,
            f"step {_next(label, 2)}: the last NotifyDisplayMessagesRequest has tbc false",
            found,
        )
    return found


def reported(found: list[dict[str, Any]], message_id: int, label: str) -> dict[str, Any]:
    """Post scenario validation "all messages have been received": the message with
    ``message_id`` is among those reported; returns it."""
    for info in found:
        if info.get("id") == message_id:
            return info
    check(
        False,
        f"{label}: NotifyDisplayMessagesRequest reports the message with id {message_id}",
        found,
    )
    raise AssertionError  # unreachable: check(False) raises


def judge_reported(info: dict[str, Any], label: str, **expected: Any) -> None:
    """Tool validations of one reported MessageInfo: each ``field=value`` (``format`` and
    ``content`` are in ``message``)."""
    for field, value in expected.items():
        got = (
            (info.get("message") or {}).get(field)
            if field in ("format", "content")
            else info.get(field)
        )
        where = f"message.{field}" if field in ("format", "content") else field
        check(got == value, f"{label}: NotifyDisplayMessagesRequest {where} {value}", info)


async def wait_until(moment_offset: float, started: float, what: str) -> None:
    """Wait until ``moment_offset`` seconds after the monotonic time ``started`` (plus a
    second of margin for clocks counting whole seconds): the table's "wait till the offset
    has passed", a spec-imposed wait at the shortest configured offset."""
    loop = asyncio.get_running_loop()
    remaining = started + moment_offset + 1.0 - loop.time()
    step(f"Wait till {what} ({max(remaining, 0):.1f} s)")
    if remaining > 0:
        await asyncio.sleep(remaining)


def requires_unsupported(value: str | None, what: str, key: str) -> str:
    """The configured unsupported value, or not applicable (the prerequisite)."""
    if not value:
        raise not_applicable(
            f"prerequisite: the station does not support every {what}; which one it lacks is "
            f"[station] {key} (or the claims)"
        )
    return value


def needs_state(s: DisplaySettings, *states: str) -> None:
    """Not applicable when the case's scenario needs a message state the station lacks
    (``[station] display_message_unsupported_state``)."""
    if s.unsupported_state in states:
        raise not_applicable(
            f"the station has no display message state {s.unsupported_state} ([station] "
            "display_message_unsupported_state), which this scenario sets"
        )


async def session_end(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator, first: int
) -> None:
    """Steps ``first``..``first+3``: Execute Reusable States StopAuthorized,
    EVConnectedPostSession, EVDisconnected, ParkingBayUnoccupied."""
    step(f"{first}. Execute Reusable State StopAuthorized")
    await csms.stop_authorized(sut, operator)
    step(f"{first + 1}. Execute Reusable State EVConnectedPostSession")
    await csms.ev_connected_post_session(sut, operator)
    step(f"{first + 2}. Execute Reusable State EVDisconnected")
    await csms.ev_disconnected(sut, operator)
    step(f"{first + 3}. Execute Reusable State ParkingBayUnoccupied")
    await csms.parking_bay_unoccupied(sut, operator)


def note(text: str) -> None:
    """A table's "Note(s): the display message is (not) displayed": what a person at the
    station verifies; OCPP carries no evidence of it, so it is a step in the report."""
    step(f"Note: {text} (visual check at the station, not judged over OCPP)")


def _next(label: str, by: int = 1) -> str:
    """The step number ``by`` after ``label``'s leading number ("3" → "4")."""
    head = label.split(".")[0].split()[-1].strip("()")
    return str(int(head) + by) if head.isdigit() else f"{label} +{by}"


__all__ = [
    "DisplaySettings",
    "get_messages",
    "judge_reported",
    "message_info",
    "needs_state",
    "new_message_id",
    "new_request_id",
    "new_transaction_id",
    "note",
    "reported",
    "requires_unsupported",
    "session_end",
    "set_display_message_state",
    "set_message",
    "settings",
    "timestamp",
    "wait_until",
]
