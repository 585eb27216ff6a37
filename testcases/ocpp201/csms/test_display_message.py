"""OCPP 2.0.1, CSMS under test, O. DisplayMessage (2.0.1 Edition 3 Part 6 §3.16, Tables 675-695,
and the 2025 errata §6.3.25-6.3.26).

pytest-ocpp plays the Charging Station (the OCTT column of each scenario table).
SetDisplayMessage, GetDisplayMessages and ClearDisplayMessage (Part 2 O01-O06) come from the
CSMS through ``csms_operator``: the operator is asked for the message or the query the
scenario needs, and the request that arrives is judged only on what the table's tool
validations say (plus O01.FR.04: a message of no transaction carries no transactionId). A
request from the CSMS is answered before its validation is judged, so a failing check never
leaves the CSMS waiting for a reply.

OCTT's configured values are ``[station]`` keys: ``display_message_id`` (<Configured_Id>, the
message the station has configured when a table's memory state says "A display message is
configured"), ``display_message_priority``, ``display_message_state``,
``display_message_format``, ``display_message_content``, and ``display_message_start_offset``
/ ``display_message_end_offset`` (seconds from now: the errata 2025-06 §6.2.111 turned OCTT's
start and end dateTimes into offsets). "<Generated Id>" is the CSMS's to choose: it is asked for
a fresh id and any id passes. A dateTime is judged to the minute (a CSMS's user interface may
not take seconds).

Part 5 lists every case of this block as mandatory for a CSMS except TC_O_11 and TC_O_25 (not
listed). The UI-1 / UI-2 features the catalogue shows beside TC_O_01, O_08, O_17 and O_19 are
Charging Station features (message priorities and formats a station supports; the CSMS table
of Part 5 §3 has no optional feature for Advanced User Interface), so no case here is
conditional.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import ConfigError, OcppConfig
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check
from pytest_ocpp.timestamps import parse_timestamp
from pytest_ocpp.verdicts import check_octt

PRIORITIES = ("AlwaysFront", "InFront", "NormalCycle")
STATES = ("Charging", "Faulted", "Idle", "Unavailable")
FORMATS = ("ASCII", "HTML", "URI", "UTF8")

DATE_TIME_SLACK = timedelta(seconds=60)
"""A CSMS (or its user interface) may keep dateTimes to the minute."""

_generated_ids = itertools.count(int(time.time()) % 100_000 * 1000 + 1)
"""Message and request ids to ask for, different in every run, so a CSMS keeping its messages
between runs is never asked to reuse one."""


# -- configuration -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Configured:
    """OCTT's configured display message values (``[station]`` keys, see the module doc)."""

    id: int
    priority: str
    state: str
    format: str
    content: str
    start_offset: float
    end_offset: float

    def message_info(self) -> dict[str, Any]:
        """The MessageInfoType of the message the station has configured (memory state "A
        display message is configured", "A message with <Configured_Priority> / <Configured_
        State> is configured")."""
        return {
            "id": self.id,
            "priority": self.priority,
            "state": self.state,
            "message": {"format": self.format, "content": self.content},
        }

    def new_message(self, message_id: int | None = None) -> dict[str, Any]:
        """A MessageInfoType to ask the CSMS for: the given id (else a fresh one), the
        configured priority and content; other fields only where a table asks for them."""
        return {
            "id": self.fresh_id() if message_id is None else message_id,
            "priority": self.priority,
            "message": {"format": self.format, "content": self.content},
        }

    def fresh_id(self) -> int:
        """An id that is surely not the configured message's ("<A different generated Id>")."""
        value = next(_generated_ids)
        return value if value != self.id else next(_generated_ids)


def _choice(extra: Any, key: str, allowed: tuple[str, ...], default: str) -> str:
    value = str(extra.get(key, default))
    if value not in allowed:
        raise ConfigError(f"[station] {key} = {value!r} is not one of {', '.join(allowed)}")
    return value


def _configured(ocpp_config: OcppConfig) -> Configured:
    """The configured values, defaults where ``[station]`` has none."""
    extra = ocpp_config.station.extra
    return Configured(
        id=int(extra.get("display_message_id", 1)),
        priority=_choice(extra, "display_message_priority", PRIORITIES, "NormalCycle"),
        state=_choice(extra, "display_message_state", STATES, "Charging"),
        format=_choice(extra, "display_message_format", FORMATS, "UTF8"),
        content=str(extra.get("display_message_content", "pytest-ocpp display message")),
        start_offset=float(extra.get("display_message_start_offset", 60)),
        end_offset=float(extra.get("display_message_end_offset", 3600)),
    )


# -- date-times --------------------------------------------------------------------------------
def _in_seconds(seconds: float) -> tuple[str, datetime]:
    """A 2.0.1 dateTime ``seconds`` from now (3 fraction digits at most) and its instant."""
    stamp = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    text = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    return text, stamp


# -- the exchanges -------------------------------------------------------------------------------
async def _set_display_message(
    station: Station201, csms_operator: CsmsOperator, message: dict[str, Any], answer: str
) -> dict[str, Any]:
    """Steps 1-2: the CSMS sends a SetDisplayMessageRequest, the OCTT answers ``answer``.
    Returns the MessageInfoType the CSMS sent."""
    step("1. The CSMS sends a SetDisplayMessageRequest (manual action)")
    request = await csms_operator.request(station, "SetDisplayMessage", {"message": message})
    step(f"2. The OCTT responds with a SetDisplayMessageResponse with status {answer}")
    await request.reply({"status": answer})
    sent: dict[str, Any] = request.payload.get("message") or {}
    return sent


async def _get_display_messages(
    station: Station201, csms_operator: CsmsOperator, filters: dict[str, Any], answer: str
) -> dict[str, Any]:
    """Steps 1-2: the CSMS sends a GetDisplayMessagesRequest (a fresh requestId and
    ``filters``), the OCTT answers ``answer``. Returns the request payload."""
    step("1. The CSMS sends a GetDisplayMessagesRequest")
    request = await csms_operator.request(
        station, "GetDisplayMessages", {"requestId": next(_generated_ids), **filters}
    )
    step(f"2. The OCTT responds with a GetDisplayMessagesResponse with status {answer}")
    await request.reply({"status": answer})
    return request.payload


async def _notify_display_messages(
    station: Station201, request_id: int, messages: list[dict[str, Any]]
) -> None:
    """Steps 3-4: one NotifyDisplayMessagesRequest with the requestId of step 1 and the
    configured message (O03.FR.02/05, O04.FR.03/06); the CSMS answers it."""
    step("3. The OCTT sends a NotifyDisplayMessagesRequest")
    await station.call("NotifyDisplayMessages", {"requestId": request_id, "messageInfo": messages})
    step("4. The CSMS responds with a NotifyDisplayMessagesResponse")


# -- validations ---------------------------------------------------------------------------------
def _check_id(message: dict[str, Any], expected: int | None) -> None:
    """message.id: <Configured_Id> when ``expected`` is given, else <Generated Id> (any id
    the CSMS chose; the schema already made it an integer)."""
    if expected is None:
        check(
            isinstance(message.get("id"), int),
            "Step 1: SetDisplayMessageRequest message.id (a generated id)",
            message,
        )
    else:
        check(
            message.get("id") == expected,
            f"Step 1: SetDisplayMessageRequest message.id {expected} (<Configured_Id>)",
            message,
        )


def _check_priority(message: dict[str, Any], cfg: Configured) -> None:
    check(
        message.get("priority") == cfg.priority,
        f"Step 1: SetDisplayMessageRequest message.priority {cfg.priority} (<Configured Priority>)",
        message,
    )


def _check_state(message: dict[str, Any], cfg: Configured) -> None:
    check(
        message.get("state") == cfg.state,
        f"Step 1: SetDisplayMessageRequest message.state {cfg.state} (<Configured State>)",
        message,
    )


def _check_format(message: dict[str, Any], cfg: Configured) -> None:
    content = message.get("message") or {}
    check(
        content.get("format") == cfg.format,
        f"Step 1: SetDisplayMessageRequest message.message.format {cfg.format} (<Configured "
        "Format>)",
        message,
    )


def _check_no_transaction(message: dict[str, Any]) -> None:
    """O01.FR.04: "When a CSMS sends a message to a Charging Station that does not belong to a
    transaction, the field: transactionId in the Message field SHALL be omitted"."""
    check(
        "transactionId" not in message,
        "Step 1: SetDisplayMessageRequest message.transactionId omitted for a message of no "
        "transaction (O01.FR.04)",
        message,
    )


def _check_transaction(message: dict[str, Any], transaction_id: str | None) -> None:
    """message.transactionId: the running transaction's (O02: a message for a transaction)."""
    check(
        message.get("transactionId") == transaction_id,
        f"Step 1: SetDisplayMessageRequest message.transactionId {transaction_id} (the "
        "transaction the station started, O02)",
        message,
    )


def _check_time(message: dict[str, Any], key: str, expected: datetime) -> None:
    """message.startDateTime / endDateTime: <Configured ...>, to the minute."""
    sent = parse_timestamp(message.get(key))
    check(
        sent is not None and abs(sent - expected) <= DATE_TIME_SLACK,
        f"Step 1: SetDisplayMessageRequest message.{key} <Configured {key}> "
        f"({expected:%Y-%m-%dT%H:%M:%SZ}, to the minute; O01.FR.05)",
        message,
    )


def _check_omitted_octt(message: dict[str, Any], key: str, case_id: str, why: str) -> None:
    """A field the errata's validations want omitted although the specification allows it."""
    check_octt(
        key not in message,
        f"Step 1: SetDisplayMessageRequest message.{key} omitted",
        message,
        octt=f"{case_id} step 1 (errata 2025-02)",
        spec=why,
    )


def _check_filters(
    payload: dict[str, Any], expected: dict[str, Any], omitted: tuple[str, ...]
) -> None:
    """GetDisplayMessagesRequest: the filters the table names, the others omitted; requestId
    is required by the schema (<Generated Id>, the CSMS's to choose)."""
    for key, value in expected.items():
        check(
            payload.get(key) == value,
            f"Step 1: GetDisplayMessagesRequest {key} {value} (the configured message's)",
            payload,
        )
    for key in omitted:
        check(
            key not in payload,
            f"Step 1: GetDisplayMessagesRequest {key} omitted",
            payload,
        )


# -- §3.16 Set Display Message -------------------------------------------------------------------
@ocpp_case("TC_O_01_CSMS", version="2.0.1")
async def test_tc_o_01_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS sets a display message (O01) with the configured priority, format and state,
    and no transactionId (O01.FR.04)."""
    cfg = _configured(ocpp_config)
    message = {**cfg.new_message(), "state": cfg.state}
    sent = await _set_display_message(station, csms_operator, message, "Accepted")
    _check_id(sent, None)
    _check_priority(sent, cfg)
    _check_format(sent, cfg)
    _check_state(sent, cfg)
    _check_no_transaction(sent)


@ocpp_case("TC_O_13_CSMS", version="2.0.1")
async def test_tc_o_13_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS sets a display message with a start time (O01.FR.05: "The CSMS MAY include a
    startTime"); the station shows it from then on (O01.FR.06)."""
    cfg = _configured(ocpp_config)
    start, instant = _in_seconds(cfg.start_offset)
    message = {**cfg.new_message(), "startDateTime": start}
    sent = await _set_display_message(station, csms_operator, message, "Accepted")
    _check_id(sent, None)
    _check_time(sent, "startDateTime", instant)
    _check_no_transaction(sent)


@ocpp_case("TC_O_14_CSMS", version="2.0.1")
async def test_tc_o_14_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS sets a display message with an end time (O01.FR.05); the station removes it
    then (O01.FR.07)."""
    cfg = _configured(ocpp_config)
    end, instant = _in_seconds(cfg.end_offset)
    message = {**cfg.new_message(), "endDateTime": end}
    sent = await _set_display_message(station, csms_operator, message, "Accepted")
    _check_id(sent, None)
    _check_time(sent, "endDateTime", instant)
    _check_no_transaction(sent)


@ocpp_case("TC_O_17_CSMS", version="2.0.1")
async def test_tc_o_17_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS handles a station that does not support the message's priority (O01.FR.01:
    NotSupportedPriority); the request carried the configured priority."""
    cfg = _configured(ocpp_config)
    sent = await _set_display_message(
        station, csms_operator, cfg.new_message(), "NotSupportedPriority"
    )
    _check_id(sent, None)
    _check_priority(sent, cfg)
    _check_no_transaction(sent)


@ocpp_case("TC_O_18_CSMS", version="2.0.1")
async def test_tc_o_18_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS handles a station that does not support the message's state (O01.FR.02:
    NotSupportedState); the request carried the configured state."""
    cfg = _configured(ocpp_config)
    message = {**cfg.new_message(), "state": cfg.state}
    sent = await _set_display_message(station, csms_operator, message, "NotSupportedState")
    _check_id(sent, None)
    _check_state(sent, cfg)
    _check_no_transaction(sent)


@ocpp_case("TC_O_19_CSMS", version="2.0.1")
async def test_tc_o_19_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS handles a station that does not support the message's format (O01.FR.03:
    NotSupportedMessageFormat). The table validates only the generated message.id."""
    cfg = _configured(ocpp_config)
    sent = await _set_display_message(
        station, csms_operator, cfg.new_message(), "NotSupportedMessageFormat"
    )
    _check_id(sent, None)
    _check_no_transaction(sent)


@ocpp_case("TC_O_25_CSMS", version="2.0.1")
async def test_tc_o_25_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS sets a display message for a specific state of the station (O01,
    MessageInfoType.state), with <Configured_Id> and <Configured State>. Not part of
    certification (Part 5 does not list it)."""
    cfg = _configured(ocpp_config)
    message = {**cfg.new_message(cfg.id), "state": cfg.state}
    sent = await _set_display_message(station, csms_operator, message, "Accepted")
    _check_id(sent, cfg.id)
    _check_state(sent, cfg)
    _check_no_transaction(sent)


@ocpp_case("TC_O_26_CSMS", version="2.0.1")
async def test_tc_o_26_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS handles a station whose message store is full (O01.FR.11: Rejected). The
    manual action asks for "a Normal Cycle priority", the validation for <Configured Priority>
    (NormalCycle by default): the configured one is asked for and judged."""
    cfg = _configured(ocpp_config)
    sent = await _set_display_message(station, csms_operator, cfg.new_message(), "Rejected")
    _check_id(sent, None)
    _check_priority(sent, cfg)
    _check_no_transaction(sent)


@ocpp_case("TC_O_12_CSMS", version="2.0.1")
async def test_tc_o_12_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS replaces the message the station has configured by sending one with the same
    id (O06.FR.01: the station replaces it and answers Accepted). The table places the
    validation at "Step 2"; it is about the request of step 1."""
    cfg = _configured(ocpp_config)
    sent = await _set_display_message(station, csms_operator, cfg.new_message(cfg.id), "Accepted")
    _check_id(sent, cfg.id)
    _check_priority(sent, cfg)
    _check_no_transaction(sent)


# -- §3.16 Set Display Message - Specific transaction ------------------------------------------
@ocpp_case("TC_O_06_CSMS", version="2.0.1")
async def test_tc_o_06_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS sets a display message for the running transaction (O02): message.
    transactionId is the one the station started, priority the configured one; the
    transaction then ends (the station drops the message, O02.FR.02)."""
    cfg = _configured(ocpp_config)
    try:
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        transaction_id = station.transaction_id
        message = {**cfg.new_message(), "transactionId": transaction_id}
        sent = await _set_display_message(station, csms_operator, message, "Accepted")
        _check_transaction(sent, transaction_id)
        _check_priority(sent, cfg)
        step("3. Execute Reusable State EVDisconnected")
        await station.ev_disconnected()
    finally:
        await station.leave_idle()


@ocpp_case("TC_O_10_CSMS", version="2.0.1")
async def test_tc_o_10_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS handles UnknownTransaction (O02.FR.01) for a display message bound to a
    transaction the station does not know: the prerequisite ("If the CSMS supports sending a
    SetDisplayMessageRequest with a transactionId for a transaction that does not exist")
    makes the operator ask for a made-up transactionId, while a transaction runs."""
    cfg = _configured(ocpp_config)
    try:
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        unknown = f"UNKNOWN-{next(_generated_ids)}"
        message = {**cfg.new_message(), "transactionId": unknown}
        sent = await _set_display_message(station, csms_operator, message, "UnknownTransaction")
        check(
            "transactionId" in sent,
            "Step 1: SetDisplayMessageRequest message.transactionId not omitted (O02)",
            sent,
        )
        _check_priority(sent, cfg)
    finally:
        step("After: end the transaction (idle station for the next case)")
        await station.leave_idle()


@ocpp_case("TC_O_27_CSMS", version="2.0.1")
async def test_tc_o_27_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS sets a display message for the running transaction with a start time (O02,
    O02.FR.06). Validations as the errata 2025-02 §6.3.25 made them: message.id,
    startDateTime <Configured>, transactionId the one of the Before state; state and
    endDateTime omitted (OCTT's rule: the specification allows both, so OCTT-specific)."""
    cfg = _configured(ocpp_config)
    try:
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        transaction_id = station.transaction_id
        start, instant = _in_seconds(cfg.start_offset)
        message = {**cfg.new_message(), "startDateTime": start, "transactionId": transaction_id}
        sent = await _set_display_message(station, csms_operator, message, "Accepted")
        _check_id(sent, None)
        _check_time(sent, "startDateTime", instant)
        _check_transaction(sent, transaction_id)
        allowed = "MessageInfoType makes it optional; O02 does not forbid it"
        _check_omitted_octt(sent, "state", "TC_O_27_CSMS", allowed)
        _check_omitted_octt(sent, "endDateTime", "TC_O_27_CSMS", allowed)
    finally:
        step("After: end the transaction (idle station for the next case)")
        await station.leave_idle()


@ocpp_case("TC_O_28_CSMS", version="2.0.1")
async def test_tc_o_28_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS sets a display message for the running transaction with an end time (O02,
    O02.FR.07). Before state and validations as the errata 2025-02 §6.3.26 made them
    (EnergyTransferStarted; message.id, priority <Configured>, endDateTime <Configured>,
    transactionId the one of the Before state; startDateTime omitted). The errata lists both
    "message.state <Configured State>" and "message.state is <omitted>"; the newer, more
    specific line wins (as in TC_O_27): state omitted. Both omissions are OCTT's rule, not the
    specification's (OCTT-specific)."""
    cfg = _configured(ocpp_config)
    try:
        step("Before: Reusable State EnergyTransferStarted")
        await station.energy_transfer_started()
        transaction_id = station.transaction_id
        end, instant = _in_seconds(cfg.end_offset)
        message = {**cfg.new_message(), "endDateTime": end, "transactionId": transaction_id}
        sent = await _set_display_message(station, csms_operator, message, "Accepted")
        _check_id(sent, None)
        _check_priority(sent, cfg)
        _check_time(sent, "endDateTime", instant)
        _check_transaction(sent, transaction_id)
        allowed = "MessageInfoType makes it optional; O02 does not forbid it"
        _check_omitted_octt(sent, "state", "TC_O_28_CSMS", allowed)
        _check_omitted_octt(sent, "startDateTime", "TC_O_28_CSMS", allowed)
    finally:
        step("After: end the transaction (idle station for the next case)")
        await station.leave_idle()


# -- §3.16 Get all Display Messages ------------------------------------------------------------
@ocpp_case("TC_O_02_CSMS", version="2.0.1")
async def test_tc_o_02_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS asks for every display message (O03: all fields but requestId omitted,
    O03.FR.01) and accepts the NotifyDisplayMessagesRequest that lists them (O03.FR.02)."""
    cfg = _configured(ocpp_config)
    payload = await _get_display_messages(station, csms_operator, {}, "Accepted")
    await _notify_display_messages(station, int(payload["requestId"]), [cfg.message_info()])
    _check_filters(payload, {}, ("id", "priority", "state"))


@ocpp_case("TC_O_03_CSMS", version="2.0.1")
async def test_tc_o_03_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS asks for every display message of a station that has none (O03.FR.06:
    Unknown, and no NotifyDisplayMessagesRequest follows). The table validates only the
    requestId, which the schema requires."""
    await _get_display_messages(station, csms_operator, {}, "Unknown")


# -- §3.16 Get a Specific Display Message ------------------------------------------------------
@ocpp_case("TC_O_07_CSMS", version="2.0.1")
async def test_tc_o_07_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS asks for the configured message by id (O04: GetDisplayMessagesRequest id
    [<Configured_Id>], priority and state omitted) and accepts its NotifyDisplayMessages
    (O04.FR.03)."""
    cfg = _configured(ocpp_config)
    payload = await _get_display_messages(station, csms_operator, {"id": [cfg.id]}, "Accepted")
    await _notify_display_messages(station, int(payload["requestId"]), [cfg.message_info()])
    _check_filters(payload, {"id": [cfg.id]}, ("priority", "state"))


@ocpp_case("TC_O_08_CSMS", version="2.0.1")
async def test_tc_o_08_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS asks for the messages of the configured priority (O04: priority
    <Configured_Priority>, id and state omitted) and accepts the NotifyDisplayMessages."""
    cfg = _configured(ocpp_config)
    payload = await _get_display_messages(
        station, csms_operator, {"priority": cfg.priority}, "Accepted"
    )
    await _notify_display_messages(station, int(payload["requestId"]), [cfg.message_info()])
    _check_filters(payload, {"priority": cfg.priority}, ("id", "state"))


@ocpp_case("TC_O_09_CSMS", version="2.0.1")
async def test_tc_o_09_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS asks for the messages of the configured state (O04: state
    <Configured_State>, priority and id omitted) and accepts the NotifyDisplayMessages."""
    cfg = _configured(ocpp_config)
    payload = await _get_display_messages(station, csms_operator, {"state": cfg.state}, "Accepted")
    await _notify_display_messages(station, int(payload["requestId"]), [cfg.message_info()])
    _check_filters(payload, {"state": cfg.state}, ("id", "priority"))


@ocpp_case("TC_O_11_CSMS", version="2.0.1")
async def test_tc_o_11_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS asks for a message id the station does not have (O04.FR.02: Unknown). The
    id asked for is a generated one, never the configured message's. Not part of certification
    for a CSMS (Part 5 does not list it)."""
    cfg = _configured(ocpp_config)
    unknown = cfg.fresh_id()
    payload = await _get_display_messages(station, csms_operator, {"id": [unknown]}, "Unknown")
    ids = payload.get("id")
    check(
        isinstance(ids, list) and bool(ids) and cfg.id not in ids,
        f"Step 1: GetDisplayMessagesRequest id a generated id other than the configured "
        f"message's {cfg.id}",
        payload,
    )


# -- §3.16 Clear Display Message ---------------------------------------------------------------
@ocpp_case("TC_O_04_CSMS", version="2.0.1")
async def test_tc_o_04_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS clears the configured message (O05.FR.01: Accepted) by its id. The table's
    note allows a GetDisplayMessagesRequest first ("for CSMS's that implemented their
    ClearDisplayMessage as a combined feature"): the station answers one Accepted and lists
    the configured message in a NotifyDisplayMessagesRequest."""
    cfg = _configured(ocpp_config)
    link = station.link
    assert link is not None, "the station fixture is connected"

    async def help_method(call: IncomingCall) -> None:
        await call.reply({"status": "Accepted"})
        station.in_background(
            station.call(
                "NotifyDisplayMessages",
                {"requestId": call.payload["requestId"], "messageInfo": [cfg.message_info()]},
            )
        )

    link.handlers["GetDisplayMessages"] = help_method
    try:
        step("1. The CSMS sends a ClearDisplayMessageRequest")
        request = await csms_operator.request(station, "ClearDisplayMessage", {"id": cfg.id})
        step("2. The OCTT responds with a ClearDisplayMessageResponse with status Accepted")
        await request.reply({"status": "Accepted"})
    finally:
        link.handlers.pop("GetDisplayMessages", None)
    check(
        request.payload.get("id") == cfg.id,
        f"Step 1: ClearDisplayMessageRequest id {cfg.id} (the id of the configured message)",
        request.payload,
    )


@ocpp_case("TC_O_05_CSMS", version="2.0.1")
async def test_tc_o_05_csms(
    station: Station201, csms_operator: CsmsOperator, ocpp_config: OcppConfig
) -> None:
    """The CSMS handles a clear of an id the station does not have (O05.FR.02: Unknown). The
    prerequisite ("If the CSMS supports sending a ClearDisplayMessageRequest with an unknown
    id") makes the operator ask for a generated id; the table validates nothing more."""
    cfg = _configured(ocpp_config)
    step("1. The CSMS sends a ClearDisplayMessageRequest")
    request = await csms_operator.request(station, "ClearDisplayMessage", {"id": cfg.fresh_id()})
    step("2. The OCTT responds with a ClearDisplayMessageResponse with status Unknown")
    await request.reply({"status": "Unknown"})
