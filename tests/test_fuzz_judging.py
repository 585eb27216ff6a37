"""How the fuzz properties judge one answer (pure functions, no network): what passes, what
passes with a warning because the OCPP-J tables allow it, and what fails, per version."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyFailure

from pytest_ocpp.fuzz import frames, rules
from pytest_ocpp.fuzz.probe import FuzzFinding, Reply, judge_invalid, judge_valid, reproducer
from pytest_ocpp.fuzz.run import replayed_differently
from pytest_ocpp.versions import V16, V201


def _error(uid: str, code: str) -> Reply:
    return Reply.of(json.dumps([4, uid, code, "", {}]))


def _result(uid: str, payload: dict) -> Reply:
    return Reply.of(json.dumps([3, uid, payload]))


HEARTBEAT_CONF = {"currentTime": "2026-12-06T10:00:00Z"}


@pytest.mark.parametrize("version", [V16, V201])
def test_valid_payload_valid_result_passes(version) -> None:
    judged = judge_valid(version, "Heartbeat", _result("a", HEARTBEAT_CONF), 1.0)
    assert not judged.failure and not judged.warnings


@pytest.mark.parametrize("version", [V16, V201])
def test_valid_payload_with_broken_result_fails_naming_the_schema(version) -> None:
    judged = judge_valid(version, "Heartbeat", _result("a", {}), 1.0)
    assert "breaks the OCPP" in judged.failure and "currentTime" in judged.failure


@pytest.mark.parametrize(
    ("version", "code"),
    [(V16, "FormationViolation"), (V16, "TypeConstraintViolation"), (V201, "FormatViolation")],
)
def test_valid_payload_refused_as_malformed_is_a_finding(version, code) -> None:
    judged = judge_valid(version, "Authorize", _error("a", code), 1.0)
    assert "refused a schema-valid Authorize request" in judged.failure


@pytest.mark.parametrize("code", ["NotSupported", "PropertyConstraintViolation", "SecurityError"])
def test_valid_payload_legal_refusals_pass(code) -> None:
    assert not judge_valid(V201, "Authorize", _error("a", code), 1.0).failure


def test_valid_payload_internal_error_is_a_warning() -> None:
    judged = judge_valid(V16, "Authorize", _error("a", "InternalError"), 1.0)
    assert not judged.failure and "InternalError" in judged.warnings[0]


def test_valid_payload_unanswered_fails_naming_the_setting() -> None:
    assert "--ocpp-response-timeout" in judge_valid(V16, "Heartbeat", Reply.of(None), 2.0).failure


def test_undefined_error_code_fails() -> None:
    assert "does not define" in judge_valid(V16, "Heartbeat", _error("a", "Oops"), 1).failure


@pytest.mark.parametrize("version", [V16, V201])
@pytest.mark.parametrize("kind", rules.MUTATIONS)
def test_invalid_payload_expected_codes_pass_and_a_call_result_fails(version, kind) -> None:
    rule = rules.invalid_payload_rule(version, kind)
    for code in rule.expected:
        judged = judge_invalid(version, "Authorize", kind, "x", _error("a", code), 1.0)
        assert not judged.failure and not judged.warnings, (code, judged)
    for code in rule.tolerated:
        judged = judge_invalid(version, "Authorize", kind, "x", _error("a", code), 1.0)
        assert not judged.failure and judged.warnings, (code, judged)
    accepted = judge_invalid(version, "Authorize", kind, "x", _result("a", {}), 1.0)
    assert "with a CallResult" in accepted.failure
    generic = judge_invalid(version, "Authorize", kind, "x", _error("a", "GenericError"), 1.0)
    assert "GenericError" in generic.failure


def test_invalid_payload_silence_fails_in_16_and_warns_in_201() -> None:
    silent = Reply.of(None)
    assert (
        "did not answer" in judge_invalid(V16, "Authorize", rules.TOO_LONG, "x", silent, 1).failure
    )
    dropped = judge_invalid(V201, "Authorize", rules.TOO_LONG, "x", silent, 1)
    assert not dropped.failure and "§4.2.3" in dropped.warnings[0]


def test_16_corrected_spellings_are_understood_with_a_warning() -> None:
    """OCPP-J 1.6 errata §5.1/5.2 keep the typos; the corrected spelling is understood."""
    judged = judge_invalid(
        V16, "Authorize", rules.EXTRA_PROPERTY, "x", _error("a", "FormatViolation"), 1
    )
    assert not judged.failure and "FormationViolation" in judged.warnings[0]


def test_mutation_rules_use_each_versions_spelling() -> None:
    assert (
        "OccurenceConstraintViolation"
        in rules.invalid_payload_rule(V16, rules.MISSING_REQUIRED).expected
    )
    assert (
        "OccurrenceConstraintViolation"
        in rules.invalid_payload_rule(V201, rules.MISSING_REQUIRED).expected
    )
    for version in (V16, V201):
        for kind in rules.MUTATIONS:
            rule = rules.invalid_payload_rule(version, kind)
            assert rule.expected <= version.error_codes, (version, kind)
            assert rule.tolerated <= version.error_codes, (version, kind)


def test_unreadable_frames_need_minus_one_rpc_framework_error_in_201() -> None:
    drawn = frames.Drawn("nope", ("-1",), None, "a frame that is not JSON")
    judge = frames.KINDS["not_json"].judge
    assert not judge(V201, drawn, _error("-1", "RpcFrameworkError")).failure
    assert judge(V201, drawn, _error("-1", "GenericError")).failure
    assert judge(V201, drawn, Reply.of(None)).warnings
    assert not judge(V16, drawn, Reply.of(None)).failure


def test_unknown_action_not_supported_fails_not_implemented_passes() -> None:
    drawn = frames.Drawn('[2,"u","Foo",{}]', ("u",), "u", "a Call of 'Foo'")
    judge = frames.KINDS["unknown_action"].judge
    for version in (V16, V201):
        assert "NotImplemented" in judge(version, drawn, _error("u", "NotSupported")).failure
        assert not judge(version, drawn, _error("u", "NotImplemented")).failure
    assert "did not answer" in judge(V16, drawn, Reply.of(None)).failure


def test_unknown_message_type_201_wants_message_type_not_supported() -> None:
    drawn = frames.Drawn('[7,"u","Heartbeat",{}]', ("u", "-1"), "u", "type 7")
    judge = frames.KINDS["message_type"].judge
    assert not judge(V201, drawn, _error("u", "MessageTypeNotSupported")).failure
    assert judge(V201, drawn, _error("u", "RpcFrameworkError")).warnings
    assert not judge(V16, drawn, Reply.of(None)).failure


def test_reproducer_shows_both_frames_and_cuts_huge_ones() -> None:
    text = reproducer("[2]", Reply.of("[3]"), 1.0)
    assert "sent:     [2]" in text and "received: [3]" in text
    assert "(nothing within 2 s)" in reproducer("[2]", Reply.of(None), 2.0)
    assert "characters in all" in reproducer("x" * 5000, Reply.of(None), 1.0)


@settings(max_examples=20, database=None, deadline=None)
@given(data=st.data())
def test_frame_kinds_draw_what_they_say(data: st.DataObject) -> None:
    from pytest_ocpp.schemas import schema_set

    for version in (V16, V201):

        def drawn(kind: str, version=version) -> list:  # type: ignore[no-untyped-def]
            return json.loads(data.draw(frames.KINDS[kind].draw(version, "Heartbeat", {})).text)

        assert len(drawn("long_id")[1]) > version.max_message_id_length
        assert drawn("message_type")[0] not in version.message_types
        assert not schema_set(version).knows(drawn("unknown_action")[2])
        assert len(frames.oversize(version).text) > frames.OVERSIZE_BYTES


def test_frame_kinds_named_for_collection_match_the_probes() -> None:
    """The properties are collected from rules.FRAME_KINDS without importing hypothesis."""
    from testcases.fuzz.test_frames import TITLES

    assert rules.FRAME_KINDS == tuple(frames.KINDS) == tuple(TITLES)


def test_a_failure_hypothesis_could_not_replay_is_the_targets_verdict() -> None:
    """A target whose answers depend on earlier examples (a CSMS handing out transaction id 1
    on every connection) makes hypothesis raise FlakyFailure, its finding nested in a group;
    the verdict is that finding with the reason, never "pytest-ocpp internal error"."""
    found = FuzzFinding("the CSMS assigned transactionId 1 twice")
    flaky = FlakyFailure(
        "Inconsistent results from replaying a test case!",
        [FlakyFailure("nested", [ValueError("ours"), found]), RuntimeError("strategy")],
    )
    verdict = replayed_differently(flaky)
    assert isinstance(verdict, FuzzFinding)
    assert str(verdict).startswith("the CSMS assigned transactionId 1 twice (when hypothesis")
    assert "depend on state the earlier examples changed" in str(verdict)
    ours = FlakyFailure("Inconsistent", [ValueError("no target failure in here")])
    assert replayed_differently(ours) is ours
