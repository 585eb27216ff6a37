"""What a conformant target answers to fuzzed traffic, per OCPP version.

The OCPP-J error tables (1.6 §4.2.3, 2.0.1 Part 4 §4.3) define each code by a sentence, not by
a JSON Schema keyword, and more than one sentence fits most invalid payloads: a string over its
maxLength breaks the data type (TypeConstraintViolation) and is an invalid value
(PropertyConstraintViolation). A fuzzer that demanded one code per class would fail conformant
targets, so each class has the codes its sentences support (``expected``) and codes a
reasonable reading allows but the table does not name for it (``tolerated``, passed with a
warning). Anything else is a finding.

2.0.1 Part 4 §4.2.3 also says a receiver "is allowed to drop" a message that is invalid OCPP or
breaks the schema: silence is conformant there (with a warning), a wrong answer is not. 1.6 has
no such sentence: an invalid Call whose message id can be read gets a CallError.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_ocpp.versions import OcppVersion

MISSING_REQUIRED = "missing_required"
WRONG_TYPE = "wrong_type"
ENUM_VALUE = "enum_value"
TOO_LONG = "too_long"
EXTRA_PROPERTY = "extra_property"
BAD_DATETIME = "bad_datetime"

MUTATIONS: tuple[str, ...] = (
    MISSING_REQUIRED,
    WRONG_TYPE,
    ENUM_VALUE,
    TOO_LONG,
    EXTRA_PROPERTY,
    BAD_DATETIME,
)
"""The classes of invalid payload, one mutation at a time (issue 15 point 3)."""

MUTATION_TITLES = {
    MISSING_REQUIRED: "a required property removed",
    WRONG_TYPE: "a value of the wrong JSON type",
    ENUM_VALUE: "a value outside its enumeration",
    TOO_LONG: "a string one character over its maxLength",
    EXTRA_PROPERTY: "a property the schema forbids (additionalProperties false)",
    BAD_DATETIME: "a date-time that is not one",
}


def _codes(version: OcppVersion, *names: str) -> frozenset[str]:
    """Error code names in the version's spelling: "Format" and "Occurrence" are written the
    2.x way here and mapped to 1.6's FormationViolation / OccurenceConstraintViolation."""
    if version.name != "1.6":
        return frozenset(names)
    spelled = {
        "FormatViolation": "FormationViolation",
        "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
    }
    return frozenset(spelled.get(n, n) for n in names)


ALIASES_16 = {
    "FormatViolation": "FormationViolation",
    "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
}
"""The 1.6 errata sheet (OCPP-J 1.6 errata §5.1, §5.2) admits the table's spellings are typos
and keeps them; a 1.6 target sending the corrected spelling is understood, with a warning."""


def canonical_code(version: OcppVersion, code: str) -> tuple[str, str | None]:
    """The code in the version's own spelling, and a warning when the target used another."""
    if version.name == "1.6" and code in ALIASES_16:
        spelled = ALIASES_16[code]
        return spelled, (
            f"the target spelled the error code {code!r}; OCPP-J 1.6 §4.2.3 spells it "
            f"{spelled!r} (the errata sheet §5 keeps that spelling)"
        )
    return code, None


@dataclass(frozen=True)
class CodeRule:
    expected: frozenset[str]
    """Codes whose definition in the version's table fits this class."""
    tolerated: frozenset[str]
    """Codes a reasonable reading allows: pass, with a warning."""
    clause: str


def invalid_payload_rule(version: OcppVersion, mutation: str) -> CodeRule:
    """The CallError codes a conformant receiver may answer an invalid payload of class
    ``mutation`` with."""
    table = "OCPP-J 1.6 §4.2.3" if version.name == "1.6" else "OCPP 2.0.1 Part 4 §4.3"
    fmt = "FormatViolation"
    if mutation == MISSING_REQUIRED:
        # 1.6: ProtocolError "Payload for Action is incomplete"; both: occurrence constraints.
        expected = _codes(version, "OccurrenceConstraintViolation", "ProtocolError")
        tolerated = _codes(version, fmt)
    elif mutation == WRONG_TYPE:
        expected = _codes(version, "TypeConstraintViolation")
        tolerated = _codes(version, fmt, "PropertyConstraintViolation")
    elif mutation == ENUM_VALUE:
        expected = _codes(version, "PropertyConstraintViolation")
        tolerated = _codes(version, "TypeConstraintViolation", fmt)
    elif mutation == TOO_LONG:
        # A CiString20 of 21 characters breaks its data type and is an invalid value.
        expected = _codes(version, "TypeConstraintViolation", "PropertyConstraintViolation")
        tolerated = _codes(version, fmt)
    elif mutation == EXTRA_PROPERTY:
        # "not conform the PDU structure": FormationViolation in 1.6, ProtocolError in 2.0.1.
        expected = _codes(version, fmt, "ProtocolError")
        tolerated = _codes(version, "OccurrenceConstraintViolation", "PropertyConstraintViolation")
    elif mutation == BAD_DATETIME:
        expected = _codes(version, "TypeConstraintViolation", "PropertyConstraintViolation")
        tolerated = _codes(version, fmt)
    else:
        raise ValueError(f"unknown mutation class {mutation!r}")
    return CodeRule(expected, tolerated, table)


def valid_payload_findings(version: OcppVersion) -> frozenset[str]:
    """CallError codes that say a schema-valid payload is malformed: a finding (issue 15
    point 2). The framing codes say the frame itself was not a valid Call, which it was."""
    return _codes(
        version,
        "FormatViolation",
        "TypeConstraintViolation",
        "RpcFrameworkError",
        "MessageTypeNotSupported",
    )


VALID_PAYLOAD_WARNINGS = frozenset({"InternalError", "GenericError", "NotImplemented"})
"""Legal answers to a valid payload that still deserve a look: the target failed or did not
recognise an action of its own version."""

UNSUPPORTED = frozenset({"NotSupported", "NotImplemented"})
"""A target that does not support an action is not fuzzed with invalid payloads of it."""

# -- which actions each role is fuzzed with ----------------------------------------------------

STATION_TO_CSMS: dict[str, tuple[str, ...]] = {
    "1.6": (
        # OCPP 1.6 §4 (Operations initiated by Charge Point), and the security whitepaper's.
        "Authorize",
        "BootNotification",
        "DataTransfer",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StartTransaction",
        "StatusNotification",
        "StopTransaction",
        "LogStatusNotification",
        "SecurityEventNotification",
        "SignCertificate",
        "SignedFirmwareStatusNotification",
    ),
    "2.0.1": (
        # OCPP 2.0.1 Part 2, the messages a Charging Station sends.
        "Authorize",
        "BootNotification",
        "ClearedChargingLimit",
        "DataTransfer",
        "FirmwareStatusNotification",
        "Get15118EVCertificate",
        "GetCertificateStatus",
        "Heartbeat",
        "LogStatusNotification",
        "MeterValues",
        "NotifyChargingLimit",
        "NotifyCustomerInformation",
        "NotifyDisplayMessages",
        "NotifyEVChargingNeeds",
        "NotifyEVChargingSchedule",
        "NotifyEvent",
        "NotifyMonitoringReport",
        "NotifyReport",
        "PublishFirmwareStatusNotification",
        "ReportChargingProfiles",
        "ReservationStatusUpdate",
        "SecurityEventNotification",
        "SignCertificate",
        "StatusNotification",
        "TransactionEvent",
    ),
}
"""Every request a CSMS must accept from a station: all are fuzzed against a CSMS."""

SAFE_CSMS_TO_STATION: dict[str, tuple[str, ...]] = {
    "1.6": (
        "GetConfiguration",
        "GetLocalListVersion",
        "GetCompositeSchedule",
        "CancelReservation",
        "RemoteStopTransaction",
        "DataTransfer",
    ),
    "2.0.1": (
        "GetVariables",
        "GetLocalListVersion",
        "GetCompositeSchedule",
        "CancelReservation",
        "RequestStopTransaction",
        "GetTransactionStatus",
        "DataTransfer",
        "GetChargingProfiles",
        "GetDisplayMessages",
        "GetInstalledCertificateIds",
    ),
}
"""What a station is fuzzed with by default: requests that read state, or refer to a
reservation or transaction that does not exist (the general conditions say none is running).
Never Reset, firmware, certificate, configuration or availability changes: those change the
station under test for the cases that follow. ``--ocpp-fuzz-station-actions`` widens it."""

LIVENESS = {
    "CSMS": {"1.6": ("Heartbeat", {}), "2.0.1": ("Heartbeat", {})},
    "CS": {
        "1.6": ("GetConfiguration", {"key": ["HeartbeatInterval"]}),
        "2.0.1": (
            "GetVariables",
            {
                "getVariableData": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                    }
                ]
            },
        ),
    },
}
"""The request that shows a connection is still usable after a hostile frame (issue 15 point
3): a Heartbeat to a CSMS; to a station, reading its heartbeat interval (a Core read every
station answers)."""


_station_actions: tuple[str, ...] | None = None


def set_station_actions(actions: tuple[str, ...] | None) -> None:
    """``--ocpp-fuzz-station-actions``: what a station may be sent instead of the safe subset
    (set by the plugin before the properties are collected)."""
    global _station_actions
    _station_actions = actions


def station_actions(version: str) -> tuple[str, ...]:
    """The CSMS-to-station actions a station is fuzzed with, for ``version``."""
    if _station_actions is None:
        return SAFE_CSMS_TO_STATION[version]
    from pytest_ocpp.schemas import schema_set
    from pytest_ocpp.versions import get_version

    known = schema_set(get_version(version))
    return tuple(a for a in _station_actions if known.knows(a))


_profile: str | None = None


def choose_profile(name: str | None) -> None:
    """Record the hypothesis profile the user asked for (``--hypothesis-profile``), if any.
    Kept here, not in :mod:`~pytest_ocpp.fuzz.profiles`, so the plugin can record it without
    importing hypothesis into every pytest run."""
    global _profile
    _profile = name


def chosen_profile() -> str | None:
    return _profile


FRAME_KINDS: tuple[str, ...] = (
    "not_json",
    "not_array",
    "message_type",
    "message_id",
    "long_id",
    "malformed_call",
    "unknown_action",
    "repeated_id",
    "oversize",
)
"""The broken-frame kinds (:data:`pytest_ocpp.fuzz.frames.KINDS`), named here so collecting
the properties imports no hypothesis."""
