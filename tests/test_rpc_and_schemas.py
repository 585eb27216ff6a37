"""Framing and schema rules, per version: the judgments every verdict rests on."""

from __future__ import annotations

import pytest

from pytest_ocpp import rpc
from pytest_ocpp.schemas import is_rfc3339, schema_set
from pytest_ocpp.versions import V16, V21, V201, get_version


@pytest.mark.parametrize(
    ("raw", "code_16", "code_201"),
    [
        ("not json", "FormationViolation", "FormatViolation"),
        ('{"a": 1}', "FormationViolation", "FormatViolation"),
        ("[]", "FormationViolation", "FormatViolation"),
        ('[7, "id", "Heartbeat", {}]', "ProtocolError", "MessageTypeNotSupported"),
        ('[2, "id", "Heartbeat"]', "FormationViolation", "FormatViolation"),
        ('[2, "id", "Heartbeat", []]', "FormationViolation", "FormatViolation"),
        ('[2, 17, "Heartbeat", {}]', "FormationViolation", "FormatViolation"),
        ('[2, "' + "x" * 37 + '", "Heartbeat", {}]', "FormationViolation", "FormatViolation"),
        ('[4, "id", 12, "", {}]', "FormationViolation", "FormatViolation"),
        ('[3, "id", {}, 1]', "FormationViolation", "FormatViolation"),
    ],
)
def test_bad_frames_carry_the_versions_error_code(raw: str, code_16: str, code_201: str) -> None:
    """OCPP-J 1.6 §4.2.3 spells FormationViolation; 2.0.1 Part 4 §4.3 FormatViolation and
    adds MessageTypeNotSupported."""
    with pytest.raises(rpc.FramingError) as e16:
        rpc.parse(raw, V16)
    with pytest.raises(rpc.FramingError) as e201:
        rpc.parse(raw, V201)
    assert e16.value.error_code == code_16
    assert e201.value.error_code == code_201


def test_binary_frames_are_rejected() -> None:
    with pytest.raises(rpc.FramingError, match="binary"):
        rpc.parse(b'[2,"a","Heartbeat",{}]', V16)


def test_round_trip() -> None:
    call = rpc.Call("abc", "Heartbeat", {})
    assert rpc.parse(call.to_json(), V16) == call
    error = rpc.CallError("abc", "GenericError", "x", {"a": 1})
    assert rpc.parse(error.to_json(), V201) == error
    result = rpc.CallResult("abc", {"currentTime": "2026-01-01T00:00:00Z"})
    assert rpc.parse(result.to_json(), V16) == result


def test_send_and_call_result_error_exist_only_in_21() -> None:
    """2.1 Part 4 §4.1.3 adds CALLRESULTERROR (5) and SEND (6)."""
    send = '[6, "id", "NotifyPeriodicEventStream", {}]'
    with pytest.raises(rpc.FramingError):
        rpc.parse(send, V201)
    assert isinstance(rpc.parse(send, V21), rpc.Call)
    assert isinstance(rpc.parse('[5, "id", "GenericError", "", {}]', V21), rpc.CallError)


@pytest.mark.parametrize(
    ("value", "limit", "ok"),
    [
        ("2026-11-24T20:00:00Z", None, True),
        ("2026-11-24T20:00:00.123456Z", None, True),
        ("2026-11-24T20:00:00.123456Z", 3, False),
        ("2026-11-24T20:00:00.123+01:00", 3, True),
        ("2026-11-24T20:00:00", None, False),
        ("2026-02-30T20:00:00Z", None, False),
        ("2024-02-29T20:00:00Z", None, True),
        ("2023-02-29T20:00:00Z", None, False),
        ("2026-11-24T24:00:00Z", None, False),
        ("yesterday", None, False),
    ],
)
def test_rfc3339(value: str, limit: int | None, ok: bool) -> None:
    assert is_rfc3339(value, limit) is ok


def test_schema_checks_date_time_per_version() -> None:
    """1.6 leaves fractions open; 2.0.1 Part 2 "dateTime" allows at most 3 digits."""
    six = {"currentTime": "2026-11-24T20:00:00.123456Z"}
    assert schema_set(V16).errors("Heartbeat", six, response=True) == []
    errors = schema_set(V201).errors("Heartbeat", six, response=True)
    assert errors and "Part 2 §3.1" in errors[0] and "SHALL NOT exceed 3" in errors[0]
    assert "is not a" not in errors[0], "valid RFC 3339: the message must not say otherwise"


def test_multiple_of_tolerates_binary_floats() -> None:
    """A limit computed as 234.1 in binary floating point is a multiple of 0.1 to anyone
    but a bit-exact validator; a real off-grid value is still caught."""

    def profile(limit: float) -> dict[str, object]:
        return {
            "connectorId": 1,
            "csChargingProfiles": {
                "chargingProfileId": 1,
                "stackLevel": 0,
                "chargingProfilePurpose": "TxDefaultProfile",
                "chargingProfileKind": "Absolute",
                "chargingSchedule": {
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
                },
            },
        }

    schemas = schema_set(V16)
    assert schemas.errors("SetChargingProfile", profile(234.10000000000002), response=False) == []
    assert schemas.errors("SetChargingProfile", profile(234.15), response=False)


def test_schema_sets_know_their_actions() -> None:
    assert "BootNotification" in schema_set(V16).actions()
    assert "TransactionEvent" in schema_set(V201).actions()
    assert "TransactionEvent" not in schema_set(V16).actions()
    assert not schema_set(V16).knows("TransactionEvent")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("1.6", "1.6"),
        ("ocpp1.6", "1.6"),
        ("16J", "1.6"),
        ("2.0.1", "2.0.1"),
        ("v201", "2.0.1"),
        ("2.1", "2.1"),
    ],
)
def test_version_names(text: str, name: str) -> None:
    assert get_version(text).name == name


def test_unknown_version_is_a_sentence() -> None:
    with pytest.raises(ValueError, match="known versions"):
        get_version("3.0")
