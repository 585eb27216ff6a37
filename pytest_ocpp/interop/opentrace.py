"""The open-ocpp-trace v1.1 format: one JSON record per frame, one record per line (JSONL).

The format (https://github.com/open-ocpp-trace/specification, schema vendored in
``data/open-ocpp-trace-v1.schema.json`` with its Apache-2.0 licence) is what tzi-OCTT,
open-ocpp-tck and the ocpp-cp-simulator already write. Writing it lets a failing case be opened
in any tool that reads it; reading it lets ``--ocpp-check-trace`` judge a capture made
anywhere (:mod:`.checker`).

Out: :func:`records` turns our recorded :class:`~pytest_ocpp.trace.Trace` into records, as the
format's producer rules ask (conformance/README.md): ``raw`` is the frame text exactly as it
went over the wire (after secret masking, like every report), ``action`` is set on every CALL
and on a response only when it correlates with a CALL. Events (steps, operator notes) are not
frames and are left out; so are frames the format cannot hold (binary frames, text that is not
an OCPP-J array), which only the fuzz properties send.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs

from pytest_ocpp.trace import Trace

SCHEMA_VERSION = "1.1"
FORMAT_NAME = "open-ocpp-trace"
FORMATS = (FORMAT_NAME,)
"""What ``--ocpp-trace-format`` accepts (the only one for now; the option exists so a second
format needs no new option)."""
MESSAGE_TYPES = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR"}
TYPE_NUMBERS = {name: number for number, name in MESSAGE_TYPES.items()}
CP_TO_CSMS, CSMS_TO_CP = "cp-to-csms", "csms-to-cp"


def direction(trace_direction: str, side: str) -> str:
    """Our ``sent``/``received`` as the format's direction: testing a CSMS (side ``CSMS``)
    pytest-ocpp is the charge point, testing a station (``CS``) it is the CSMS."""
    we_are_cp = side == "CSMS"
    sent = trace_direction == "sent"
    return CP_TO_CSMS if sent == we_are_cp else CSMS_TO_CP


def timestamp(seconds: float) -> str:
    """RFC 3339 UTC with milliseconds, as the format's fixtures write it."""
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def decompose(raw: str) -> dict[str, Any] | None:
    """The record fields an OCPP-J frame decomposes into (messageType, messageId, action,
    payload, error), or None when the text is no OCPP-J array the format can hold. This only
    reads the frame's shape; whether it is *legal* is :func:`pytest_ocpp.rpc.parse`'s call."""
    try:
        message = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(message, list) or len(message) < 3:
        return None
    kind = MESSAGE_TYPES.get(message[0]) if type(message[0]) is int else None
    if kind is None or not isinstance(message[1], str):
        return None
    fields: dict[str, Any] = {"messageType": kind, "messageId": message[1]}
    if kind == "CALL":
        if len(message) != 4 or not isinstance(message[2], str):
            return None
        fields["action"], fields["payload"] = message[2], message[3]
    elif kind == "CALLRESULT":
        if len(message) != 3:
            return None
        fields["payload"] = message[2]
    else:
        if len(message) != 5:
            return None
        error: dict[str, Any] = {"code": message[2], "description": message[3]}
        error["details"] = message[4]
        if not isinstance(error["code"], str) or not isinstance(error["description"], str):
            return None
        fields["error"] = error
    return fields


def records(
    trace: Trace, *, version: str, side: str, case_id: str = ""
) -> tuple[list[dict[str, Any]], int]:
    """The trace's frames as records, and how many frames the format could not hold."""
    out: list[dict[str, Any]] = []
    skipped = 0
    open_calls: dict[tuple[str, str, str], str] = {}
    for entry in trace.entries:
        if entry.direction == "event":
            continue
        fields = decompose(entry.text)
        if fields is None:
            skipped += 1
            continue
        way = direction(entry.direction, side)
        record: dict[str, Any] = {
            "schemaVersion": SCHEMA_VERSION,
            "timestamp": timestamp(entry.time),
            "ocppVersion": version,
            "transport": "json",
            "chargePointId": entry.link,
        }
        payload = fields.get("payload")
        if isinstance(payload, dict) and fields["messageType"] == "CALL":
            connector = payload.get("connectorId")
            if type(connector) is int and connector >= 0:
                record["connectorId"] = connector
        record["direction"] = way
        record.update(fields)
        key = (entry.link, fields["messageId"], way)
        if fields["messageType"] == "CALL":
            open_calls[key] = fields["action"]
        else:
            other = CSMS_TO_CP if way == CP_TO_CSMS else CP_TO_CSMS
            action = open_calls.pop((entry.link, fields["messageId"], other), None)
            if action is not None:
                record["action"] = action
        record["raw"] = entry.text
        if case_id:
            record["meta"] = {"producer": "pytest-ocpp", "case": case_id}
        out.append(record)
    return out, skipped


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def write(path: Path, items: Iterable[dict[str, Any]]) -> None:
    """Write ``items`` as JSONL (UTF-8, one record per line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(dumps(r) + "\n" for r in items), "utf-8")


@dataclass(frozen=True)
class Line:
    """One line of a JSONL trace: its number (1-based), its text, and the record it holds
    (None when it is not a JSON object; ``error`` says why)."""

    number: int
    text: str
    record: dict[str, Any] | None
    error: str = ""


def read(path: Path) -> Iterator[Line]:
    """The non-blank lines of a JSONL trace, each parsed on its own: one broken line is a
    finding about that line, not a reason to judge nothing."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, text in enumerate(handle, start=1):
            text = text.rstrip("\r\n")
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except ValueError as exc:
                yield Line(number, text, None, f"not JSON: {exc}")
                continue
            if not isinstance(value, dict):
                yield Line(number, text, None, f"a JSON {type(value).__name__}, not an object")
                continue
            yield Line(number, text, value)


@cache
def _validator() -> Any:
    text = (resources.files("pytest_ocpp") / "data" / "open-ocpp-trace-v1.schema.json").read_text(
        "utf-8"
    )
    return jsonschema_rs.validator_for(json.loads(text), validate_formats=True)


def schema_errors(record: Any) -> list[str]:
    """Every way ``record`` breaks the open-ocpp-trace v1 record schema, as sentences."""
    found = []
    for error in _validator().iter_errors(record):
        where = "/".join(str(p) for p in error.instance_path) or "(record)"
        found.append(f"{where}: {error.message}")
    return found


def file_name(case_id: str, version: str, extra: str = "") -> str:
    """``ocpp1.6-TC_010_CSMS.jsonl``: the version first, since ids repeat across versions."""
    stem = f"ocpp{version}-{case_id}" + (f"-{extra}" if extra else "")
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in stem)
    return safe + ".jsonl"
