"""Judge a trace recorded elsewhere (``pytest --ocpp-check-trace=FILE.jsonl``).

A proxy in front of a production CSMS, or a charger's log exported as open-ocpp-trace, holds
the same frames a live run sees; every rule that needs no live peer applies to it. Each rule
here is the core's own, called on the recorded frame, so a trace is judged exactly as the
live link judges (:mod:`pytest_ocpp.link`):

==================  =====================================================================
rule                source
==================  =====================================================================
trace format        the open-ocpp-trace v1.1 record schema (vendored), and its producer
                    rule that ``raw`` decodes to the record's own fields
framing             :func:`pytest_ocpp.rpc.parse` (OCPP-J 1.6 §4, 2.0.1 Part 4 §4)
schema              :func:`pytest_ocpp.judging.judge_call` / :func:`~pytest_ocpp.judging.reply_problems`
                    over :class:`pytest_ocpp.schemas.SchemaSet`
date-time           the same schema set: 2.0.1 Part 2 allows at most 3 fractional digits
error code          :func:`~pytest_ocpp.judging.reply_problems` (OCPP-J 1.6 §4.2.3, 2.0.1
                    Part 4 §4.3: the version's CallError codes), and the answer fitting the
                    CALL it answers, by the fuzzer's rules (:mod:`pytest_ocpp.fuzz.rules`):
                    a code that says the payload is malformed answering a schema-valid CALL,
                    and a CALLRESULT accepting a CALL whose payload is structurally broken
                    (missing, extra or mistyped member, string too long, no date-time; 1.6
                    and 2.0.1)
correlation         the format's correlation rule (conformance/README.md): every CALL answered
                    once, every response answering a CALL
message id          :func:`~pytest_ocpp.judging.reused_message_id`, the live link's rule: a
                    message id reused for a different CALL by the same sender (1.6: on one
                    connection, so a BootNotification starts afresh; 2.0.1: on any)
status transition   :mod:`pytest_ocpp.csms.status_rules` (OCPP 1.6 §4.9 connector table,
                    §4.4/§4.5 diagnostics and firmware order; the 2.0.1 connector table) and,
                    for 2.0.1, ChangeAvailability holds (:mod:`.rules201`)
transaction event   2.0.1 TransactionEvent order per transactionId (:mod:`.rules201`)
==================  =====================================================================

Every violation names the line(s) of the frame(s) and quotes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pytest_ocpp import rpc
from pytest_ocpp.csms import status_rules
from pytest_ocpp.fuzz.rules import (
    BAD_DATETIME,
    EXTRA_PROPERTY,
    MISSING_REQUIRED,
    TOO_LONG,
    WRONG_TYPE,
    invalid_payload_rule,
    valid_payload_findings,
)
from pytest_ocpp.interop import opentrace, rules201
from pytest_ocpp.judging import judge_call, reply_problems, reused_message_id
from pytest_ocpp.schemas import SchemaSet, schema_set
from pytest_ocpp.versions import OcppVersion, get_version

RULES = (
    "trace format",
    "framing",
    "schema",
    "date-time",
    "error code",
    "correlation",
    "message id",
    "status transition",
    "transaction event",
)
QUOTE = 400
"""Characters of a frame quoted in a violation."""
EMPTY = "the trace holds no frames (no record on any line): there is nothing to judge"


@dataclass(frozen=True)
class Violation:
    rule: str
    lines: tuple[int, ...]
    message: str
    frames: tuple[str, ...] = ()

    def render(self) -> str:
        where = ", line " + ", ".join(str(n) for n in self.lines) if self.lines else ""
        quoted = "".join(
            f"\n  line {n}: {_quote(f)}" for n, f in zip(self.lines, self.frames, strict=False)
        )
        return f"{self.rule}{where}: {self.message}{quoted}"


def _quote(text: str) -> str:
    return text if len(text) <= QUOTE else text[:QUOTE] + f"… ({len(text) - QUOTE} more chars)"


@dataclass
class _Frame:
    line: opentrace.Line
    record: dict[str, Any]
    raw: str
    version: OcppVersion | None
    station: str
    way: str

    @property
    def number(self) -> int:
        return self.line.number


def check(lines: Iterable[opentrace.Line], default_version: str = "1.6") -> list[Violation]:
    """Every violation in the trace, in the order of the rules, then of the lines."""
    found: list[Violation] = []
    frames: list[_Frame] = []
    seen = False
    for line in lines:
        seen = True
        frame = _read_line(line, default_version, found)
        if frame is not None:
            frames.append(frame)
    if not seen:
        # Passing every rule on nothing would tell the user a capture that recorded nothing
        # (a wrong file, a proxy that never saw traffic) is clean.
        return [Violation("trace format", (), EMPTY)]
    parsed = _framing(frames, found)
    _correlate(parsed, found)
    _status(parsed, found)
    _rules201(parsed, found)
    order = {rule: i for i, rule in enumerate(RULES)}
    return sorted(found, key=lambda v: (order[v.rule], v.lines))


def _read_line(line: opentrace.Line, default_version: str, found: list[Violation]) -> _Frame | None:
    if line.record is None:
        found.append(Violation("trace format", (line.number,), line.error, (line.text,)))
        return None
    record = line.record
    problems = opentrace.schema_errors(record)
    if problems:
        found.append(
            Violation(
                "trace format",
                (line.number,),
                "the record breaks the open-ocpp-trace v1 schema: " + "; ".join(problems),
                (line.text,),
            )
        )
        return None
    if record.get("transport") != "json":
        return None  # OCPP-S (SOAP) frames: none of these rules are about them
    rebuilt = _rebuild(record)
    raw = record.get("raw")
    if isinstance(raw, str):
        fields = opentrace.decompose(raw)
        mismatch = fields is not None and any(
            k in record and not _same(record[k], v) for k, v in fields.items()
        )
        if mismatch:
            found.append(
                Violation(
                    "trace format",
                    (line.number,),
                    "raw does not decode to the record's own messageType / messageId / "
                    "action / payload / error (open-ocpp-trace conformance: a producer's raw "
                    "is the verbatim frame the record decomposes)",
                    (line.text,),
                )
            )
    else:
        raw = rebuilt
    version_name = record.get("ocppVersion") or default_version
    try:
        version: OcppVersion | None = get_version(str(version_name))
    except ValueError:
        found.append(
            Violation(
                "trace format",
                (line.number,),
                f"ocppVersion {version_name!r} is not one pytest-ocpp can judge (1.6, 2.0.1, 2.1)",
                (raw,),
            )
        )
        version = None
    station = str(record.get("chargePointId", ""))
    return _Frame(line, record, raw, version, station, str(record["direction"]))


def _same(recorded: Any, decoded: Any) -> bool:
    """A record field equals what ``raw`` decodes to (an ``error`` object may leave out
    members, e.g. empty ``details``)."""
    if isinstance(recorded, dict) and isinstance(decoded, dict) and "code" in decoded:
        return all(decoded.get(k) == v for k, v in recorded.items())
    return bool(recorded == decoded)


def _rebuild(record: dict[str, Any]) -> str:
    """The OCPP-J text of a record that carries no ``raw``."""
    kind = record["messageType"]
    message: list[Any] = [opentrace.TYPE_NUMBERS[kind], record.get("messageId")]
    if kind == "CALL":
        message += [record.get("action"), record.get("payload")]
    elif kind == "CALLRESULT":
        message.append(record.get("payload"))
    else:
        error = record.get("error") or {}
        message += [error.get("code"), error.get("description", ""), error.get("details", {})]
    return json.dumps(message, separators=(",", ":"))


def _framing(frames: list[_Frame], found: list[Violation]) -> list[tuple[_Frame, rpc.Frame]]:
    parsed = []
    for frame in frames:
        if frame.version is None:
            continue
        try:
            parsed.append((frame, rpc.parse(frame.raw, frame.version)))
        except rpc.FramingError as exc:
            found.append(
                Violation(
                    "framing",
                    (frame.number,),
                    f"not a valid OCPP-J {frame.version} frame: {exc.reason} (a conformant "
                    f"receiver answers {exc.error_code})",
                    (frame.raw,),
                )
            )
    return parsed


def _schema_problems(
    frame: _Frame, problems: list[str], what: str, found: list[Violation], also: _Frame | None
) -> None:
    dates = [p for p in problems if "decimal places SHALL NOT exceed" in p]
    others = [p for p in problems if p not in dates]
    lines = (frame.number,) + ((also.number,) if also else ())
    quoted = (frame.raw,) + ((also.raw,) if also else ())
    if dates:
        found.append(Violation("date-time", lines, f"{what}: " + "; ".join(dates), quoted))
    if others:
        found.append(
            Violation(
                "schema",
                lines,
                f"{what} breaks the OCPP {frame.version} schema: " + "; ".join(others),
                quoted,
            )
        )


def _correlate(parsed: list[tuple[_Frame, rpc.Frame]], found: list[Violation]) -> None:
    """The format's correlation rule, per charge point: a response answers the latest
    unanswered CALL with its id sent the other way."""
    open_calls: dict[tuple[str, str, str], tuple[_Frame, rpc.Call, list[str]]] = {}
    answered: dict[tuple[str, str, str], tuple[_Frame, rpc.Call, list[str]]] = {}
    seen_calls: dict[tuple[str, str, str], tuple[_Frame, rpc.Call]] = {}
    for frame, message in parsed:
        assert frame.version is not None
        schemas = schema_set(frame.version)
        if isinstance(message, rpc.Call):
            if _new_connection(frame, message):
                # OCPP-J 1.6 §4.1.4 counts ids "on the same WebSocket connection"; a boot
                # means a new one (2.0.1 Part 4 §4.1.4 counts every connection).
                for stale in [k for k in seen_calls if k[0] == frame.station]:
                    del seen_calls[stale]
            key = (frame.station, frame.way, message.unique_id)
            earlier = seen_calls.get(key)
            reused = reused_message_id(earlier[1] if earlier else None, message)
            if earlier is not None and reused is not None:
                found.append(
                    Violation(
                        "message id",
                        (earlier[0].number, frame.number),
                        f"the sender ({frame.way}) {reused}",
                        (earlier[0].raw, frame.raw),
                    )
                )
            seen_calls[key] = (frame, message)
            problems, _refusal = judge_call(schemas, message)
            if problems:
                _schema_problems(frame, problems, f"the {message.action} CALL", found, None)
            open_calls[key] = (frame, message, problems)
            continue
        other = opentrace.CSMS_TO_CP if frame.way == opentrace.CP_TO_CSMS else opentrace.CP_TO_CSMS
        key = (frame.station, other, message.unique_id)
        call = open_calls.pop(key, None)
        kind = "CALLRESULT" if isinstance(message, rpc.CallResult) else "CALLERROR"
        if call is None:
            previous = answered.get(key)
            said = (
                f"the {previous[1].action} CALL with this id (line {previous[0].number}) was "
                "already answered: every CALL is answered once"
                if previous is not None
                else "no earlier CALL with this id was sent the other way"
            )
            lines = (previous[0].number, frame.number) if previous else (frame.number,)
            quoted = (previous[0].raw, frame.raw) if previous else (frame.raw,)
            found.append(
                Violation(
                    "correlation",
                    lines,
                    f"{kind} {message.unique_id!r} answers nothing: {said} (open-ocpp-trace "
                    "correlation rule; a capture that started mid-session also shows this)",
                    quoted,
                )
            )
            continue
        answered[key] = call
        problems = reply_problems(schemas, call[1].action, message)
        if isinstance(message, rpc.CallError) and problems:
            found.append(
                Violation(
                    "error code",
                    (call[0].number, frame.number),
                    f"the CALLERROR answering {call[1].action}: {'; '.join(problems)} (valid: "
                    f"{', '.join(sorted(frame.version.error_codes))})",
                    (call[0].raw, frame.raw),
                )
            )
        elif problems:
            _schema_problems(frame, problems, f"the {call[1].action} CALLRESULT", found, call[0])
        # A code the version does not define is reported above; judging its fit too would
        # report one frame twice.
        undefined = isinstance(message, rpc.CallError) and bool(problems)
        misfit = "" if undefined else _answer_misfit(schemas, call[1], call[2], message)
        if misfit:
            found.append(
                Violation(
                    "error code", (call[0].number, frame.number), misfit, (call[0].raw, frame.raw)
                )
            )
    for frame, message, _problems in open_calls.values():
        found.append(
            Violation(
                "correlation",
                (frame.number,),
                f"the {message.action} CALL {message.unique_id!r} is never answered (every "
                "CALL gets one CALLRESULT or CALLERROR, OCPP-J 1.6 §4 / 2.0.1 Part 4 §4)",
                (frame.raw,),
            )
        )


def _answer_misfit(
    schemas: SchemaSet,
    call: rpc.Call,
    call_problems: list[str],
    reply: rpc.CallResult | rpc.CallError,
) -> str:
    """What is wrong with answering ``call`` (whose schema problems are ``call_problems``)
    with ``reply``, judged only where the error tables leave no doubt ('' otherwise).

    The fuzzer's own rules, so a recorded answer is judged as a live one: a schema-valid CALL
    refused with a code of :func:`~pytest_ocpp.fuzz.rules.valid_payload_findings` (a code
    saying the payload or frame is malformed, which it is not), and a CALL breaking its schema
    accepted with a CALLRESULT where :func:`~pytest_ocpp.fuzz.rules.invalid_payload_rule`
    wants a CALLERROR, for the structural faults of :data:`_STRUCTURAL` only. Left alone on
    purpose: PropertyConstraintViolation, OccurrenceConstraintViolation and ProtocolError
    answering a schema-valid CALL (a value can break a rule no schema holds: an unknown
    connector, a field the text makes conditional); an invalid CALL refused with some other
    code (one CALL may break several rules, and each table row fits some); a CALLRESULT to a
    CALL whose faults are all outside :data:`_STRUCTURAL` (a functional requirement may answer
    those with a status); actions the version does not define; OCPP 2.1, which these tables
    do not cover."""
    version = schemas.version
    if version.name not in ("1.6", "2.0.1") or not schemas.knows(call.action):
        return ""
    table = "OCPP-J 1.6 §4.2.3" if version.name == "1.6" else "OCPP 2.0.1 Part 4 §4.3"
    if isinstance(reply, rpc.CallError):
        code = reply.error_code
        if call_problems or code not in valid_payload_findings(version):
            return ""
        return (
            f"the {call.action} CALL is valid against the OCPP {version} schema, yet the CALLERROR "
            f"answering it says {code}: {table} gives that code to a payload or frame that is "
            "malformed, which this one is not"
        )
    broken = [(p, m) for p in call_problems for marker, m in _STRUCTURAL if marker in p]
    if not broken:
        return ""
    codes: set[str] = set()
    for _problem, mutation in broken:
        codes |= invalid_payload_rule(version, mutation).expected
    return (
        f"the {call.action} CALL breaks the OCPP {version} schema ({broken[0][0]}), yet it was "
        f"accepted with a CALLRESULT: {table} answers a CALL whose payload does not meet its "
        f"message's requirements with a CALLERROR ({', '.join(sorted(codes))})"
    )


_STRUCTURAL = (
    ("is a required property", MISSING_REQUIRED),
    ("Additional properties are not allowed", EXTRA_PROPERTY),
    ("is not of type", WRONG_TYPE),
    ("is longer than", TOO_LONG),
    ('is not a "date-time"', BAD_DATETIME),
)
"""Schema problems (:meth:`~pytest_ocpp.schemas.SchemaSet.errors` sentences) that no
functional requirement answers with a CALLRESULT, each with the fuzzer's class of invalid
payload whose codes :func:`~pytest_ocpp.fuzz.rules.invalid_payload_rule` gives. Not here, so
never judged: a value outside its enumeration (2.0.1 N03.FR.02 answers an unsupported
monitoringBase NotSupported, and OCTT's TC_N_07_CS sends one outside the enumeration), a
number or a list out of its bounds, and the 2.0.1 date-time precision rule."""


_STREAM_ACTIONS = {"StatusNotification", "FirmwareStatusNotification"}
_STREAM_ACTIONS |= {"DiagnosticsStatusNotification"}


def _stream(action: str, payload: dict[str, Any]) -> status_rules.StatusStream | None:
    if action == "StatusNotification" and type(payload.get("connectorId")) is int:
        return status_rules.connector_stream(payload["connectorId"])
    if action == "FirmwareStatusNotification":
        return status_rules.FIRMWARE
    if action == "DiagnosticsStatusNotification":
        return status_rules.DIAGNOSTICS
    return None


def _status(parsed: list[tuple[_Frame, rpc.Frame]], found: list[Violation]) -> None:
    """OCPP 1.6 status reports, each stream judged by the core's transition table (the
    same :func:`~pytest_ocpp.csms.status_rules.judge` a live wait applies)."""
    last: dict[tuple[str, str], tuple[str, _Frame]] = {}
    for frame, message in parsed:
        if frame.version is None or frame.version.name != "1.6":
            continue
        if not isinstance(message, rpc.Call) or frame.way != opentrace.CP_TO_CSMS:
            continue
        if message.action == "BootNotification":
            for key in [k for k in last if k[0] == frame.station]:
                stream_key = key[1]
                if stream_key.startswith("StatusNotification/"):
                    del last[key]  # connector statuses are reported afresh after a boot
            continue
        if message.action not in _STREAM_ACTIONS:
            continue
        stream = _stream(message.action, message.payload)
        status = message.payload.get("status")
        if stream is None or not isinstance(status, str):
            continue
        key = (frame.station, stream.key)
        before = last.get(key)
        if before is not None:
            judgement = status_rules.judge(stream, before[0], status, (status,))
            if judgement.failure:
                text = judgement.failure.split(" (the case waited for")[0]
                found.append(
                    Violation(
                        "status transition",
                        (before[1].number, frame.number),
                        text,
                        (before[1].raw, frame.raw),
                    )
                )
        last[key] = (status, frame)


def _new_connection(frame: _Frame, message: rpc.Call) -> bool:
    """A 1.6 BootNotification: the station (re)connected, so its message ids start afresh."""
    return (
        message.action == "BootNotification"
        and frame.way == opentrace.CP_TO_CSMS
        and frame.version is not None
        and frame.version.name == "1.6"
    )


def _rules201(parsed: list[tuple[_Frame, rpc.Frame]], found: list[Violation]) -> None:
    """OCPP 2.0.1 connector statuses, availability holds and transaction events
    (:mod:`.rules201`)."""
    frames = [(f, m) for f, m in parsed if f.version is not None and f.version.name == "2.0.1"]
    for finding in rules201.judge(frames):
        found.append(
            Violation(
                finding.rule,
                tuple(f.number for f in finding.frames),
                finding.message,
                tuple(f.raw for f in finding.frames),
            )
        )
