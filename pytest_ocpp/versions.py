"""Everything that differs between OCPP 1.6J, 2.0.1 and 2.1, in one place.

The rest of the core asks an :class:`OcppVersion` instead of comparing version strings, so
adding a version (or a vendor dialect) means adding one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class MessageType(IntEnum):
    """OCPP-J message type numbers (OCPP-J 1.6 §4.1.3; 2.1 Part 4 §4.1.3 adds 5 and 6)."""

    CALL = 2
    CALL_RESULT = 3
    CALL_ERROR = 4
    CALL_RESULT_ERROR = 5
    SEND = 6


_ERRORS_16 = frozenset(
    {
        # OCPP-J 1.6 §4.2.3, with the specification's own spellings.
        "NotImplemented",
        "NotSupported",
        "InternalError",
        "ProtocolError",
        "SecurityError",
        "FormationViolation",
        "PropertyConstraintViolation",
        "OccurenceConstraintViolation",
        "TypeConstraintViolation",
        "GenericError",
    }
)

_ERRORS_2X = frozenset(
    {
        # OCPP 2.0.1 Part 4 §4.3 "RPC Framework Error Codes"; 2.1 Part 4 keeps the same table.
        "FormatViolation",
        "GenericError",
        "InternalError",
        "MessageTypeNotSupported",
        "NotImplemented",
        "NotSupported",
        "OccurrenceConstraintViolation",
        "PropertyConstraintViolation",
        "ProtocolError",
        "RpcFrameworkError",
        "SecurityError",
        "TypeConstraintViolation",
    }
)


@dataclass(frozen=True)
class OcppVersion:
    """The wire-level rules of one OCPP version."""

    name: str
    subprotocol: str
    schema_dir: str
    """Folder inside the ``ocpp`` package that holds the official JSON schemas."""
    request_suffix: str
    """1.6 names request schemas ``Authorize.json``; 2.x ``AuthorizeRequest.json``."""
    error_codes: frozenset[str]
    message_types: frozenset[int]
    format_violation: str
    occurrence_violation: str
    unknown_message_type_error: str
    """What to answer a frame with an unknown message type number."""
    max_datetime_fraction_digits: int | None
    """2.0.1 Part 2 "dateTime": at most 3 fractional digits; 1.6 leaves ISO 8601 open."""
    max_message_id_length: int

    def __str__(self) -> str:
        return self.name


V16 = OcppVersion(
    name="1.6",
    subprotocol="ocpp1.6",
    schema_dir="v16",
    request_suffix="",
    error_codes=_ERRORS_16,
    message_types=frozenset({2, 3, 4}),
    format_violation="FormationViolation",
    occurrence_violation="OccurenceConstraintViolation",
    # OCPP-J 1.6 has no dedicated code; §4.2.3 lists ProtocolError for malformed PDUs.
    unknown_message_type_error="ProtocolError",
    max_datetime_fraction_digits=None,
    max_message_id_length=36,
)

V201 = OcppVersion(
    name="2.0.1",
    subprotocol="ocpp2.0.1",
    schema_dir="v201",
    request_suffix="Request",
    error_codes=_ERRORS_2X,
    message_types=frozenset({2, 3, 4}),
    format_violation="FormatViolation",
    occurrence_violation="OccurrenceConstraintViolation",
    unknown_message_type_error="MessageTypeNotSupported",
    max_datetime_fraction_digits=3,
    max_message_id_length=36,
)

V21 = OcppVersion(
    name="2.1",
    subprotocol="ocpp2.1",
    schema_dir="v21",
    request_suffix="Request",
    error_codes=_ERRORS_2X,
    message_types=frozenset({2, 3, 4, 5, 6}),
    format_violation="FormatViolation",
    occurrence_violation="OccurrenceConstraintViolation",
    unknown_message_type_error="MessageTypeNotSupported",
    max_datetime_fraction_digits=3,
    max_message_id_length=36,
)

VERSIONS: dict[str, OcppVersion] = {v.name: v for v in (V16, V201, V21)}


def get_version(name: str) -> OcppVersion:
    """Look a version up by its name, accepting the common spellings users type."""
    key = name.strip().lower().removeprefix("ocpp").removeprefix("v").removesuffix("j")
    key = {"16": "1.6", "201": "2.0.1", "2.0": "2.0.1", "21": "2.1"}.get(key, key)
    try:
        return VERSIONS[key]
    except KeyError:
        known = ", ".join(VERSIONS)
        raise ValueError(f"unknown OCPP version {name!r}; known versions: {known}") from None
