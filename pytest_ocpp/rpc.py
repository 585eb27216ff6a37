"""OCPP-J frames: strict parsing and building of Call, CallResult, CallError (2.1: CallResultError
and Send).

Parsing never guesses: a frame that is not exactly what OCPP-J defines raises
:class:`FramingError` carrying the error code a conformant receiver answers with
(OCPP-J 1.6 §4.2.3, 2.0.1 Part 4 §4.3).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from pytest_ocpp.versions import MessageType, OcppVersion


class FramingError(Exception):
    """A frame that breaks OCPP-J framing. ``unique_id`` is set when it could be read, so the
    receiver can still answer with a CallError (OCPP-J 1.6 §4.2.3; 2.0.1 Part 4 §4.2.3 says to
    use message id "-1" when it cannot)."""

    def __init__(self, reason: str, error_code: str, unique_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error_code = error_code
        self.unique_id = unique_id


@dataclass(frozen=True)
class Call:
    unique_id: str
    action: str
    payload: dict[str, Any]
    message_type: int = MessageType.CALL

    def to_json(self) -> str:
        return _dump([self.message_type, self.unique_id, self.action, self.payload])


@dataclass(frozen=True)
class CallResult:
    unique_id: str
    payload: dict[str, Any]

    def to_json(self) -> str:
        return _dump([MessageType.CALL_RESULT, self.unique_id, self.payload])


@dataclass(frozen=True)
class CallError:
    unique_id: str
    error_code: str
    description: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    message_type: int = MessageType.CALL_ERROR

    def to_json(self) -> str:
        return _dump(
            [self.message_type, self.unique_id, self.error_code, self.description, self.details]
        )


Frame = Call | CallResult | CallError


def new_unique_id() -> str:
    """A message id that is unique across connections for the same station (2.1 Part 4 §4.1.4;
    the 1.6 rule is per connection, a UUID satisfies both and fits string[36])."""
    return str(uuid.uuid4())


def _dump(value: list[Any]) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def parse(raw: str | bytes, version: OcppVersion) -> Frame:
    """Parse one websocket message strictly by the rules of ``version``."""
    fmt = version.format_violation
    if isinstance(raw, bytes):
        # OCPP-J 1.6 §3: messages are sent as websocket text frames in UTF-8.
        raise FramingError("binary websocket frame; OCPP-J requires text frames", fmt)
    try:
        message = json.loads(raw)
    except ValueError as exc:
        raise FramingError(f"not JSON: {exc}", fmt) from None
    if not isinstance(message, list) or not message:
        raise FramingError("not a non-empty JSON array", fmt)

    type_id = message[0]
    unique_id = message[1] if len(message) > 1 and isinstance(message[1], str) else None
    if not isinstance(type_id, int) or isinstance(type_id, bool):
        raise FramingError(f"message type {type_id!r} is not an integer", fmt, unique_id)
    if type_id not in version.message_types:
        raise FramingError(
            f"message type {type_id} is not defined in OCPP {version}",
            version.unknown_message_type_error,
            unique_id,
        )
    if unique_id is None:
        raise FramingError("message id missing or not a string", fmt)
    if len(unique_id) > version.max_message_id_length:
        raise FramingError(
            f"message id longer than {version.max_message_id_length} characters", fmt, unique_id
        )

    if type_id in (MessageType.CALL, MessageType.SEND):
        _arity(message, 4, "Call" if type_id == MessageType.CALL else "Send", fmt, unique_id)
        action, payload = message[2], message[3]
        if not isinstance(action, str) or not action:
            raise FramingError("action is not a non-empty string", fmt, unique_id)
        _object(payload, "payload", fmt, unique_id)
        return Call(unique_id, action, payload, type_id)
    if type_id == MessageType.CALL_RESULT:
        _arity(message, 3, "CallResult", fmt, unique_id)
        _object(message[2], "payload", fmt, unique_id)
        return CallResult(unique_id, message[2])

    _arity(message, 5, "CallError", fmt, unique_id)
    code, description, details = message[2], message[3], message[4]
    if not isinstance(code, str):
        raise FramingError("error code is not a string", fmt, unique_id)
    if not isinstance(description, str):
        raise FramingError("error description is not a string", fmt, unique_id)
    _object(details, "error details", fmt, unique_id)
    return CallError(unique_id, code, description, details, type_id)


def _arity(message: list[Any], n: int, kind: str, code: str, unique_id: str | None) -> None:
    if len(message) != n:
        raise FramingError(
            f"a {kind} has {n} elements, this one has {len(message)}", code, unique_id
        )


def _object(value: Any, what: str, code: str, unique_id: str | None) -> None:
    if not isinstance(value, dict):
        raise FramingError(f"{what} is not a JSON object", code, unique_id)
