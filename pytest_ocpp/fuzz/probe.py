"""Judging one fuzzed exchange, and writing the finding as a reproducer.

Every function here is pure: it takes what was sent and what came back (raw text, kept
verbatim by :meth:`pytest_ocpp.link.Link.exchange_raw`) and returns a :class:`Judgement`.
A failure's message carries the exact frame sent and the exact frame received, ready to paste
into a bug report, and the clause it breaks (issue 15 point 6).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pytest_ocpp import rpc
from pytest_ocpp.fuzz import rules
from pytest_ocpp.schemas import schema_set
from pytest_ocpp.verdicts import ProtocolViolation
from pytest_ocpp.versions import OcppVersion

SHOWN_FRAME = 2000
"""Characters of a frame a reproducer shows; longer ones (the over-size probe) are cut with a
note of their length."""


class FuzzFinding(ProtocolViolation):
    """A property the target broke, with the reproducer in its message."""


@dataclass(frozen=True)
class Reply:
    """What came back for one fuzzed frame: nothing, or a raw frame and its reading."""

    raw: str | None
    message: list[Any] | None = None

    @classmethod
    def of(cls, raw: str | None) -> Reply:
        if raw is None:
            return cls(None)
        try:
            message = json.loads(raw)
        except ValueError:
            return cls(raw)
        return cls(raw, message if isinstance(message, list) else None)

    @property
    def kind(self) -> str:
        if self.raw is None:
            return "nothing"
        if self.message and self.message[0] == rpc.MessageType.CALL_RESULT:
            return "CallResult"
        if self.message and self.message[0] == rpc.MessageType.CALL_ERROR:
            return "CallError"
        return "something else"

    @property
    def error_code(self) -> str:
        if self.kind == "CallError" and len(self.message or []) > 2:
            return str(self.message[2])  # type: ignore[index]
        return ""


@dataclass
class Judgement:
    failure: str = ""
    warnings: list[str] = field(default_factory=list)

    def fail(self, text: str) -> Judgement:
        self.failure = text
        return self

    def warn(self, text: str) -> Judgement:
        self.warnings.append(text)
        return self


def shown(frame: str | None) -> str:
    if frame is None:
        return "(nothing)"
    if len(frame) <= SHOWN_FRAME:
        return frame
    return f"{frame[:SHOWN_FRAME]}... ({len(frame)} characters in all)"


def reproducer(sent: str, reply: Reply, waited: float) -> str:
    received = shown(reply.raw) if reply.raw is not None else f"(nothing within {waited:g} s)"
    return f"\n  sent:     {shown(sent)}\n  received: {received}"


def well_formed(version: OcppVersion, reply: Reply) -> str:
    """Why the reply itself breaks OCPP-J framing, or ''. The fuzzer's own ids are at most
    36 characters except in the over-long-id probe, whose replies are read by hand."""
    if reply.raw is None:
        return ""
    try:
        rpc.parse(reply.raw, version)
    except rpc.FramingError as exc:
        return exc.reason
    return ""


def judge_valid(version: OcppVersion, action: str, reply: Reply, waited: float) -> Judgement:
    """A schema-valid request (issue 15 point 2): a CallResult valid against the response
    schema, or a CallError whose code is legal for a valid payload."""
    verdict = Judgement()
    if reply.raw is None:
        return verdict.fail(
            f"did not answer a schema-valid {action} request within {waited:g} s "
            "(--ocpp-response-timeout)"
        )
    broken = well_formed(version, reply)
    if broken:
        return verdict.fail(
            f"answered a schema-valid {action} request with a broken frame: {broken}"
        )
    if reply.kind == "CallResult":
        errors = schema_set(version).errors(action, reply.message[2], response=True)  # type: ignore[index]
        if errors:
            return verdict.fail(
                f"answered a schema-valid {action} request with a {action} response that breaks "
                f"the OCPP {version} schema: " + "; ".join(errors)
            )
        return verdict
    code, spelling = rules.canonical_code(version, reply.error_code)
    if spelling:
        verdict.warn(spelling)
    if code not in version.error_codes:
        return verdict.fail(
            f"answered a schema-valid {action} request with error code {reply.error_code!r}, "
            f"which OCPP {version} does not define ({_table(version)})"
        )
    if code in rules.valid_payload_findings(version):
        return verdict.fail(
            f"refused a schema-valid {action} request with {code}: that code says the payload "
            f"or frame is malformed ({_table(version)}), and it is valid against the official "
            "schema"
        )
    if code in rules.VALID_PAYLOAD_WARNINGS:
        verdict.warn(
            f"{action}: a schema-valid request was answered {code} (legal, but the target "
            "failed or did not recognise an action of its own version)"
        )
    return verdict


def judge_invalid(
    version: OcppVersion, action: str, kind: str, where: str, reply: Reply, waited: float
) -> Judgement:
    """A request with exactly one schema violation of class ``kind`` (issue 15 point 3)."""
    rule = rules.invalid_payload_rule(version, kind)
    wanted = " or ".join(sorted(rule.expected))
    what = f"{_a(action)} {action} request with {rules.MUTATION_TITLES[kind]} ({where})"
    verdict = Judgement()
    if reply.raw is None:
        if version.name != "1.6":
            return verdict.warn(
                f"{action}: {rules.MUTATION_TITLES[kind]} was dropped without an answer, which "
                "2.0.1 Part 4 §4.2.3 allows (a CallError would tell the sender why)"
            )
        return verdict.fail(
            f"did not answer {what} within {waited:g} s; OCPP-J 1.6 §4.2.3 answers a Call that "
            f"does not meet the requirements of its message with a CallError ({wanted})"
        )
    broken = well_formed(version, reply)
    if broken:
        return verdict.fail(f"answered {what} with a broken frame: {broken}")
    if reply.kind == "CallResult":
        return verdict.fail(
            f"accepted {what} with a CallResult; {rule.clause} answers it with a CallError "
            f"({wanted})"
        )
    code, spelling = rules.canonical_code(version, reply.error_code)
    if spelling:
        verdict.warn(spelling)
    if code in rule.expected:
        return verdict
    if code in rule.tolerated:
        return verdict.warn(
            f"{action}: {rules.MUTATION_TITLES[kind]} was answered {code}; {rule.clause} "
            f"defines {wanted} for it (accepted: the table's wording allows {code} too)"
        )
    return verdict.fail(
        f"answered {what} with CallError {reply.error_code}; {rule.clause} defines {wanted} for "
        "this class of error"
    )


def _a(word: str) -> str:
    return "an" if word[:1] in "AEIOU" else "a"


def _table(version: OcppVersion) -> str:
    return "OCPP-J 1.6 §4.2.3" if version.name == "1.6" else "OCPP 2.0.1 Part 4 §4.3"


def finding(peer: str, judgement: Judgement, sent: str, reply: Reply, waited: float) -> FuzzFinding:
    return FuzzFinding(f"the {peer} {judgement.failure}{reproducer(sent, reply, waited)}")
