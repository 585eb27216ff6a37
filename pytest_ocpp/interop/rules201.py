"""The OCPP 2.0.1 rules ``--ocpp-check-trace`` judges across frames, with no live peer:
connector statuses and transaction events.

A recorded trace cannot show connections, clocks or what the driver presented, so each rule
here flags only what a requirement clearly forbids whatever happened off the record (a false
failure on a real charger's trace costs more than a missed one):

- connector status: consecutive reports of one connector (StatusNotificationRequest, or the
  NotifyEventRequest Connector/AvailabilityState alternative G01 allows) judged by
  :data:`pytest_ocpp.csms.status_rules.CONNECTOR_TRANSITIONS_201`; a BootNotification starts
  them afresh, as in 1.6.
- availability: after a ChangeAvailabilityRequest Inoperative answered Accepted or Scheduled,
  a connector it covers that has reported Unavailable (or Faulted) stays so (G03.FR.06,
  G04.FR.07; a fault clears back to Unavailable) until an Operative request for the same
  station, EVSE or connector: the three have separate states (G03/G04 Note 1), and the state
  persists across reboots (G01.FR.02, G03.FR.08, G04.FR.09).
- transaction events, per transactionId, by seqNo rather than by arrival (Part 2 §1.3.2: after a
  retry "TransactionEventRequest messages may arrive in the CSMS in a different order"): one
  Started and one Ended (E01.FR.01–06 start a transaction only when "no transaction has
  started yet", E01.FR.08 never reuses a transactionId), no two events with one seqNo and
  every event's seqNo between the Started's and the Ended's (§1.3.2.1: "After each
  TransactionEventRequest Charging Station SHALL increase the seqNo by 1"; §1.3.2: the stop
  has "a seqNo o greater than" the start's). The same event sent again (same seqNo,
  eventType and timestamp) is a retry (E13), not a second event; a trace that begins in the
  middle of a transaction has no Started, which is not judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from pytest_ocpp import rpc
from pytest_ocpp.csms import status_rules
from pytest_ocpp.interop.opentrace import CP_TO_CSMS, CSMS_TO_CP

OPERATIVE = frozenset({"Available", "Occupied", "Reserved"})
"""Part 2 §3.23: "States considered Operative are: Available, Reserved and Occupied"."""


class Recorded(Protocol):
    """A frame of the trace as the checker holds it."""

    @property
    def number(self) -> int: ...

    raw: str
    station: str
    way: str


@dataclass(frozen=True)
class Finding:
    """A broken rule: its name, the frames that show it (in trace order) and the sentence."""

    rule: str
    frames: tuple[Recorded, ...]
    message: str


def judge(parsed: Iterable[tuple[Recorded, rpc.Frame]]) -> list[Finding]:
    """Every 2.0.1 finding of ``parsed`` (the trace's 2.0.1 frames, in trace order)."""
    statuses = _Statuses()
    transactions: dict[tuple[str, str], _Transaction] = {}
    found: list[Finding] = []
    for frame, message in parsed:
        if isinstance(message, rpc.Call):
            if frame.way == CSMS_TO_CP and message.action == "ChangeAvailability":
                statuses.change_requested(frame, message)
            elif frame.way == CP_TO_CSMS:
                if message.action == "BootNotification":
                    statuses.booted(frame.station)
                for evse, connector, status in _connector_reports(message):
                    found += statuses.report(frame, evse, connector, status)
                if message.action == "TransactionEvent":
                    found += _transaction_event(transactions, frame, message.payload)
        elif isinstance(message, rpc.CallResult) and frame.way == CP_TO_CSMS:
            statuses.change_answered(frame, message)
    return found


def _connector_reports(call: rpc.Call) -> Iterator[tuple[int, int, str]]:
    """(evseId, connectorId, status) of each connector status a Call reports: a
    StatusNotificationRequest, or NotifyEventRequest eventData for component Connector,
    variable AvailabilityState (G01 alternative scenario; errata 2025-09: it "replicates the
    connectorStatus values as would be reported by the StatusNotification messages")."""
    payload = call.payload
    if call.action == "StatusNotification":
        evse, connector = payload.get("evseId"), payload.get("connectorId")
        status = payload.get("connectorStatus")
        if type(evse) is int and type(connector) is int and isinstance(status, str):
            yield evse, connector, status
    elif call.action == "NotifyEvent":
        events = payload.get("eventData")
        for event in events if isinstance(events, list) else ():
            if not isinstance(event, dict):
                continue
            component, variable = event.get("component"), event.get("variable")
            if not isinstance(component, dict) or not isinstance(variable, dict):
                continue
            where = component.get("evse")
            if (
                isinstance(where, dict)
                and component.get("name") == "Connector"
                and variable.get("name") == "AvailabilityState"
                and type(where.get("id")) is int
                and type(where.get("connectorId")) is int
                and event.get("actualValue") in status_rules.CONNECTOR_TRANSITIONS_201
            ):
                yield where["id"], where["connectorId"], event["actualValue"]


Level = tuple[int, ...]
"""What a ChangeAvailabilityRequest addresses: () the station, (evse,) or (evse, connector)."""


@dataclass(frozen=True)
class _Hold:
    """An Inoperative ChangeAvailabilityRequest the station accepted (or scheduled)."""

    request: Recorded


@dataclass
class _Station:
    last: dict[tuple[int, int], tuple[str, Recorded]] = field(default_factory=dict)
    """Per connector: its last reported status since the last boot."""
    ever: dict[tuple[int, int], tuple[str, Recorded]] = field(default_factory=dict)
    """Per connector: its last reported status, across boots (for the availability rule)."""
    holds: dict[Level, _Hold] = field(default_factory=dict)
    confirmed: dict[tuple[int, int], Recorded] = field(default_factory=dict)
    """Connectors held inoperative that have reported it: the report that showed it."""


class _Statuses:
    def __init__(self) -> None:
        self.stations: dict[str, _Station] = {}
        self.asked: dict[tuple[str, str], tuple[Recorded, Level]] = {}
        """Inoperative requests awaiting their answer, by (station, message id)."""

    def _station(self, name: str) -> _Station:
        return self.stations.setdefault(name, _Station())

    def booted(self, name: str) -> None:
        # Connector statuses are reported afresh after a boot; availability holds persist.
        self._station(name).last.clear()

    def change_requested(self, frame: Recorded, call: rpc.Call) -> None:
        level = _level(call.payload)
        operational = call.payload.get("operationalStatus")
        if level is None or operational not in ("Operative", "Inoperative"):
            return
        station = self._station(frame.station)
        if operational == "Operative":
            # Released at the request, not its answer: a station may report the reverted
            # status before it answers (permissive; a Rejected answer is not judged).
            station.holds.pop(level, None)
            for key in [k for k in station.confirmed if not self._held(station, k)]:
                del station.confirmed[key]
            return
        self.asked[(frame.station, call.unique_id)] = (frame, level)

    def change_answered(self, frame: Recorded, result: rpc.CallResult) -> None:
        asked = self.asked.pop((frame.station, result.unique_id), None)
        if asked is None or result.payload.get("status") not in ("Accepted", "Scheduled"):
            return
        request, level = asked
        station = self._station(frame.station)
        station.holds[level] = _Hold(request)
        for key, (status, report) in station.ever.items():
            # A report sent between the request and its answer already shows the change.
            if _covers(level, key) and status not in OPERATIVE and report.number > request.number:
                station.confirmed.setdefault(key, report)

    def _held(self, station: _Station, key: tuple[int, int]) -> _Hold | None:
        for level in ((), key[:1], key):
            if level in station.holds:
                return station.holds[level]
        return None

    def report(self, frame: Recorded, evse: int, connector: int, status: str) -> list[Finding]:
        station = self._station(frame.station)
        key = (evse, connector)
        found: list[Finding] = []
        before = station.last.get(key)
        if before is not None:
            stream = status_rules.connector_stream_201(evse, connector)
            verdict = status_rules.judge(stream, before[0], status, (status,))
            if verdict.failure:
                text = verdict.failure.split(" (the case waited for")[0]
                found.append(Finding("status transition", (before[1], frame), text))
        hold = self._held(station, key)
        shown = station.confirmed.get(key)
        if hold is not None and status in OPERATIVE and shown is not None:
            found.append(
                Finding(
                    "status transition",
                    (hold.request, shown, frame),
                    f"evseId {evse} connectorId {connector} reported {status} while the "
                    "ChangeAvailabilityRequest Inoperative it accepted still holds (no "
                    "Operative request for that station, EVSE or connector since): G03.FR.06 "
                    "/ G04.FR.07: it becomes Unavailable; G03.FR.08 / G04.FR.09: the state "
                    "persists across reboot; G03/G04 Note 1: only an Operative change of the "
                    "same level reverts it",
                )
            )
            del station.confirmed[key]  # said once, until it reports Unavailable again
        elif hold is not None and status not in OPERATIVE:
            station.confirmed.setdefault(key, frame)
        station.last[key] = station.ever[key] = (status, frame)
        return found


def _level(payload: dict[str, Any]) -> Level | None:
    """What a ChangeAvailabilityRequest addresses (G04.FR.01: no evse, the whole station)."""
    evse = payload.get("evse")
    if evse is None:
        return ()
    if not isinstance(evse, dict) or type(evse.get("id")) is not int:
        return None
    if evse["id"] == 0:
        return ()
    connector = evse.get("connectorId")
    return (evse["id"], connector) if type(connector) is int else (evse["id"],)


def _covers(level: Level, key: tuple[int, int]) -> bool:
    return key[: len(level)] == level


@dataclass
class _Event:
    frame: Recorded
    event_type: str
    seq_no: int
    timestamp: Any


@dataclass
class _Transaction:
    events: list[_Event] = field(default_factory=list)


_SEQ = (
    "Part 2 §1.3.2.1: after each TransactionEventRequest the seqNo SHALL increase by 1; "
    "§1.3.2: a transaction's Ended has a seqNo greater than its Started's"
)


def _transaction_event(
    transactions: dict[tuple[str, str], _Transaction], frame: Recorded, payload: dict[str, Any]
) -> list[Finding]:
    info = payload.get("transactionInfo")
    tx_id = info.get("transactionId") if isinstance(info, dict) else None
    event_type, seq_no = payload.get("eventType"), payload.get("seqNo")
    if not isinstance(tx_id, str) or not isinstance(event_type, str) or type(seq_no) is not int:
        return []  # the schema rule reports a malformed request
    event = _Event(frame, event_type, seq_no, payload.get("timestamp"))
    transaction = transactions.setdefault((frame.station, tx_id), _Transaction())
    same_seq = [e for e in transaction.events if e.seq_no == seq_no]
    if any(e.event_type == event_type and e.timestamp == event.timestamp for e in same_seq):
        return []  # the same event again: a retry (E13), judged once
    found: list[Finding] = []
    named = f"transactionId {tx_id!r}"
    if same_seq:
        found.append(
            Finding(
                "transaction event",
                (same_seq[0].frame, frame),
                f"two TransactionEventRequests of {named} carry seqNo {seq_no} "
                f"({same_seq[0].event_type}, then {event_type}) ({_SEQ})",
            )
        )
    for twice, requirement in (
        ("Started", "E01.FR.01–06: a transaction starts when no transaction has started yet; "),
        ("Ended", "E06: a transaction is stopped once; "),
    ):
        earlier = next((e for e in transaction.events if e.event_type == twice), None)
        if event_type == twice and earlier is not None:
            found.append(
                Finding(
                    "transaction event",
                    (earlier.frame, frame),
                    f"{named} has eventType {twice} twice ({requirement}E01.FR.08: a "
                    "transactionId is never used for another transaction)",
                )
            )
    started = next((e for e in transaction.events if e.event_type == "Started"), None)
    ended = next((e for e in transaction.events if e.event_type == "Ended"), None)
    if not same_seq and not found:
        if started is not None and event_type != "Started" and seq_no < started.seq_no:
            found.append(_out_of_order(named, started, event))
        elif ended is not None and event_type != "Ended" and seq_no > ended.seq_no:
            found.append(_out_of_order(named, ended, event))
        elif event_type == "Started" and (
            other := next((e for e in transaction.events if e.seq_no < seq_no), None)
        ):
            found.append(_out_of_order(named, event, other))
        elif event_type == "Ended" and (
            other := next((e for e in transaction.events if e.seq_no > seq_no), None)
        ):
            found.append(_out_of_order(named, event, other))
    transaction.events.append(event)
    return found


def _out_of_order(named: str, bound: _Event, event: _Event) -> Finding:
    """``event`` lies outside the seqNo range its transaction's ``bound`` (Started or Ended)
    sets."""
    side = "before" if bound.event_type == "Started" else "after"
    frames = tuple(sorted((bound.frame, event.frame), key=lambda f: f.number))
    return Finding(
        "transaction event",
        frames,
        f"{named}: the {event.event_type} event has seqNo {event.seq_no}, {side} the "
        f"{bound.event_type} event's seqNo {bound.seq_no}: Started → Updated* → Ended ({_SEQ})",
    )
