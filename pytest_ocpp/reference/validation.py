"""Strict OCPP-J validation for the reference targets: which CallError a frame deserves.

Shared by the reference CSMS and the reference stations, and independent of the suite's own
protocol core on purpose (a bug in our framing must not hide itself by being on both ends of
the wire): it uses only the ``ocpp`` package's official JSON schemas and ``jsonschema``.

Why not the ``ocpp`` library's own ``validate_payload``: it maps an enum violation to
FormatViolation, never checks ``date-time`` formats (see DESIGN.md "Known traps"), validates
draft-06 schemas with a draft-04 validator, and stays silent on frames it cannot parse.

The codes follow the OCPP-J error tables (1.6 §4.2.3 with the errata sheet's spellings §5.1/5.2,
2.0.1 Part 4 §4.3), one code per class of schema violation, each one of the ``expected`` codes
of :func:`pytest_ocpp.fuzz.rules.invalid_payload_rule`:

============================  ===============================  ==============================
class (schema keyword)        OCPP 1.6                         OCPP 2.0.1
============================  ===============================  ==============================
required                      ProtocolError ("incomplete")     OccurrenceConstraintViolation
type                          TypeConstraintViolation          TypeConstraintViolation
enum                          PropertyConstraintViolation      PropertyConstraintViolation
maxLength                     TypeConstraintViolation          TypeConstraintViolation
additionalProperties          FormationViolation               FormatViolation
format date-time              TypeConstraintViolation          TypeConstraintViolation
minItems / maxItems           OccurenceConstraintViolation     OccurrenceConstraintViolation
other value constraints       PropertyConstraintViolation      PropertyConstraintViolation
============================  ===============================  ==============================
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import math
import re
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft6Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError

__all__ = [
    "MAX_MESSAGE_ID_LENGTH",
    "call_error",
    "frame_error",
    "known_action",
    "minimal_response",
    "response_error",
]

MAX_MESSAGE_ID_LENGTH = 36
"""OCPP-J 1.6 §4.1.3 / 2.0.1 Part 4 §4.1.4: the message id is a string of at most 36
characters."""

_SCHEMA_DIRS = {"1.6": "v16", "2.0.1": "v201"}

_DESCRIPTION_LIMIT = 255
"""2.0.1 Part 4 §4.2.3 Table 7: ErrorDescription is a string[255]."""

# -- date-time -------------------------------------------------------------------------------

_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:[Zz]|[+-](\d{2}):(\d{2}))$"
)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _is_date_time(value: str, max_fraction_digits: int | None) -> bool:
    """RFC 3339 ``date-time`` with an offset (the JSON Schema ``format``), and at most
    ``max_fraction_digits`` fractional digits (OCPP 2.0.1 Part 2 "dateTime": milliseconds at
    most; 1.6 leaves the precision open)."""
    match = _DATE_TIME.match(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    fraction, off_hour, off_minute = match.group(7, 8, 9)
    if max_fraction_digits is not None and fraction and len(fraction) > max_fraction_digits:
        return False
    if not 1 <= month <= 12 or not 1 <= day <= _days_in_month(year, month):
        return False
    if hour > 23 or minute > 59 or second > 60:  # 60: a leap second (RFC 3339 §5.6)
        return False
    return off_hour is None or (int(off_hour) <= 23 and int(off_minute) <= 59)


@functools.cache
def _format_checker(version: str) -> FormatChecker:
    """Only ``date-time`` is checked: the one format the fuzz rules judge (``uri`` in two
    2.0.1 schemas is left alone, as the ``ocpp`` library does)."""
    checker = FormatChecker(formats=())
    limit = None if version == "1.6" else 3

    @checker.checks("date-time")
    def _date_time(instance: object) -> bool:
        return not isinstance(instance, str) or _is_date_time(instance, limit)

    return checker


# -- schemas and validators ------------------------------------------------------------------


def _multiple_of(
    validator: Any, divisor: float, instance: object, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """``multipleOf`` tolerant of binary float noise: 234.10000000000002 is 2341 tenths in any
    JSON text a station meant to send (the 1.6 charging schedules' ``multipleOf: 0.1``)."""
    if not validator.is_type(instance, "number"):
        return
    assert isinstance(instance, int | float)
    quotient = instance / divisor
    if not math.isfinite(quotient):
        return
    if abs(quotient - round(quotient)) > 1e-9 * max(1.0, abs(quotient)):
        yield ValidationError(f"{instance!r} is not a multiple of {divisor}")


_Validator = validators.extend(Draft6Validator, {"multipleOf": _multiple_of})


def _schema_name(version: str, action: str, response: bool) -> str:
    if version == "1.6":
        return f"{action}Response.json" if response else f"{action}.json"
    return f"{action}Response.json" if response else f"{action}Request.json"


@functools.cache
def _validator(version: str, action: str, response: bool = False) -> Any | None:
    """The cached validator of ``action``'s request (or response) schema; None when the
    version has no such action."""
    if version not in _SCHEMA_DIRS:
        raise ValueError(f"unknown OCPP version {version!r}; expected one of {list(_SCHEMA_DIRS)}")
    if not action or not re.fullmatch(r"[A-Za-z0-9]+", action) or action.endswith("Response"):
        return None
    path = (
        importlib.resources.files("ocpp")
        / _SCHEMA_DIRS[version]
        / "schemas"
        / _schema_name(version, action, response)
    )
    if not path.is_file():
        return None
    # The 2.0.1 schema files start with a byte order mark; "$id" (and 1.6's draft-04 "id")
    # would make "$ref" resolve against a URN no registry knows.
    schema = json.loads(path.read_text(encoding="utf-8-sig"))
    schema.pop("$id", None)
    schema.pop("id", None)
    return _Validator(schema, format_checker=_format_checker(version))


def known_action(version: str, action: object) -> bool:
    """Whether ``action`` is an action (request) of ``version``: one with a request schema."""
    return isinstance(action, str) and _validator(version, action) is not None


# -- payload errors --------------------------------------------------------------------------

# Keyword -> (code, rank): when one payload breaks several keywords (a number where an enum
# string belongs breaks "type" and "enum"), the lowest rank names the error.
_KEYWORD_CODES: dict[str, tuple[str, int]] = {
    "type": ("TypeConstraintViolation", 0),
    "required": ("OccurrenceConstraintViolation", 1),
    "additionalProperties": ("FormatViolation", 2),
    "additionalItems": ("FormatViolation", 2),
    "maxLength": ("TypeConstraintViolation", 3),
    "format": ("TypeConstraintViolation", 4),
    "minItems": ("OccurrenceConstraintViolation", 5),
    "maxItems": ("OccurrenceConstraintViolation", 5),
    "enum": ("PropertyConstraintViolation", 6),
}
_OTHER = ("PropertyConstraintViolation", 7)


def _spelled(version: str, keyword: str, code: str) -> str:
    """The code in the version's spelling (OCPP-J 1.6 errata §5.1, §5.2)."""
    if version != "1.6":
        return code
    if keyword == "required":
        return "ProtocolError"  # 1.6 §4.2.3: "Payload for Action is incomplete"
    return {
        "FormatViolation": "FormationViolation",
        "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
    }.get(code, code)


def _describe(action: str, error: ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "payload"
    text = f"{action}: {where}: {error.message}"
    return text if len(text) <= _DESCRIPTION_LIMIT else text[: _DESCRIPTION_LIMIT - 3] + "..."


def call_error(version: str, action: str, payload: Any) -> tuple[str, str] | None:
    """(error code, description) a conformant receiver answers a Call of a KNOWN action with
    when its payload breaks the official schema; None if valid. version is "1.6" or "2.0.1".

    Also None for an action the version does not know (see :func:`known_action`): that is
    NotImplemented, decided before the payload is looked at.
    """
    validator = _validator(version, action)
    if validator is None:
        return None
    if not isinstance(payload, dict):
        # A frame-level fault (frame_error answers it first); here for callers that skip it.
        code = "FormationViolation" if version == "1.6" else "FormatViolation"
        return code, f"{action}: the payload is not a JSON object"
    best: tuple[int, str, ValidationError] | None = None
    for error in validator.iter_errors(payload):
        code, rank = _KEYWORD_CODES.get(str(error.validator), _OTHER)
        if best is None or rank < best[0]:
            best = (rank, _spelled(version, str(error.validator), code), error)
    if best is None:
        return None
    return best[1], _describe(action, best[2])


def response_error(version: str, action: str, payload: Any) -> str | None:
    """Why ``payload`` is not a valid CallResult of ``action``, or None (for self-checks and
    tests of the reference targets)."""
    validator = _validator(version, action, response=True)
    if validator is None:
        return f"{action} is no action of OCPP {version}"
    error = next(iter(validator.iter_errors(payload)), None)
    return None if error is None else _describe(action, error)


def _minimal(node: dict[str, Any], root: dict[str, Any]) -> Any:
    """The smallest instance of ``node``: required properties only, first enum values, empty
    strings, zeros, the fewest array items."""
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        return _minimal(root["definitions"][ref.rsplit("/", 1)[1]], root)
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object":
        properties = node.get("properties", {})
        return {name: _minimal(properties.get(name, {}), root) for name in node.get("required", [])}
    if kind == "array":
        return [_minimal(node.get("items", {}), root) for _ in range(node.get("minItems", 0))]
    if kind == "string":
        return "2024-01-01T00:00:00Z" if node.get("format") == "date-time" else ""
    if kind in ("integer", "number"):
        return max(0, node.get("minimum", 0))
    if kind == "boolean":
        return False
    return {}


def minimal_response(version: str, action: str) -> dict[str, Any] | None:
    """A schema-valid CallResult payload of ``action`` with only its required fields (what a
    target that does not look at the request could answer); None for an unknown action."""
    validator = _validator(version, action, response=True)
    if validator is None:
        return None
    payload = _minimal(validator.schema, validator.schema)
    return payload if isinstance(payload, dict) else {}


# -- frame errors ----------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259 §6)")


def _framework_code(version: str) -> str:
    """The code of a Call that is not a well-formed RPC message: 1.6 has no framework code and
    calls it a FormationViolation ("not conform the PDU structure", §4.2.3); 2.0.1 Part 4 §4.3
    has RpcFrameworkError."""
    return "FormationViolation" if version == "1.6" else "RpcFrameworkError"


def frame_error(version: str, raw: str | bytes) -> tuple[str, str, str] | None:
    """For a frame that is not a well-formed Call/CallResult/CallError of the version:
    (message id to answer with, code, description), or None when the version says to stay
    silent (1.6 cannot answer a frame whose id is unreadable) or when the frame is well-formed.

    Covers: binary frame, not JSON, not an array, empty array, unknown message type number, id
    not a string, id over 36 characters, action not a string, payload not an object, wrong
    number of elements. A malformed CallResult or CallError is never answered: a CallError
    answering a CallError could make two peers echo errors forever.

    2.0.1 Part 4 §4.2.3: "-1" is the message id when the frame's own cannot be read; §4.4: an
    unknown message type gets MessageTypeNotSupported. OCPP-J 1.6 defines answers only for a
    message whose unique id could be read (§4.2.3): ProtocolError for an unknown type, else
    FormationViolation.
    """
    if version not in _SCHEMA_DIRS:
        raise ValueError(f"unknown OCPP version {version!r}; expected one of {list(_SCHEMA_DIRS)}")
    v16 = version == "1.6"
    if isinstance(raw, bytes | bytearray):
        return None if v16 else ("-1", "RpcFrameworkError", "Binary frames are not OCPP-J.")
    try:
        frame = json.loads(raw, parse_constant=_reject_constant)
    except ValueError:
        return None if v16 else ("-1", "RpcFrameworkError", "The message is not JSON.")
    if not isinstance(frame, list) or not frame:
        return None if v16 else ("-1", "RpcFrameworkError", "The message is not a JSON array.")
    kind = frame[0]
    message_id = frame[1] if len(frame) > 1 and isinstance(frame[1], str) else None
    if isinstance(kind, bool) or kind not in (2, 3, 4):
        if message_id is None:
            if v16:
                return None
            return "-1", "RpcFrameworkError", "Unknown message type and no readable message id."
        code = "ProtocolError" if v16 else "MessageTypeNotSupported"
        return message_id, code, f"Message type {json.dumps(kind)[:20]} is not supported."
    if kind != 2:
        return None  # never answer a reply with an error
    if message_id is None:
        return None if v16 else ("-1", "RpcFrameworkError", "The message id is not a string.")
    code = _framework_code(version)
    if len(frame) != 4:
        return message_id, code, f"A Call has 4 elements, not {len(frame)}."
    if len(message_id) > MAX_MESSAGE_ID_LENGTH:
        return message_id, code, f"The message id is over {MAX_MESSAGE_ID_LENGTH} characters."
    if not isinstance(frame[2], str):
        return message_id, code, "The action is not a string."
    if not isinstance(frame[3], dict):
        return message_id, code, "The payload is not a JSON object."
    return None
