"""Broken frames (issue 15 point 4): what each kind is, how hypothesis draws it, and what a
conformant receiver answers.

OCPP-J 1.6 §4.2.3 answers a Call "whose content does not meet the requirements for a proper
message" (missing fields, an id in use, an id too long, ...) with a CallError; a frame whose
message id cannot be read cannot be answered at all. 2.0.1 Part 4 §4.2.3 answers with message id
"-1" when the id cannot be read, names RpcFrameworkError and MessageTypeNotSupported (§4.3), and
allows a receiver to drop any invalid message: there silence passes with a warning, a wrong
answer fails. Whatever the frame, the target must stay up: the liveness request that follows
each probe must be answered (checked by the runner, not here).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from pytest_ocpp import rpc
from pytest_ocpp.fuzz import rules
from pytest_ocpp.fuzz.probe import Judgement, Reply
from pytest_ocpp.schemas import schema_set
from pytest_ocpp.versions import OcppVersion

OVERSIZE_BYTES = 1024 * 1024 + 1024
"""Just over 1 MiB, the default message limit of common websocket stacks (Python's websockets,
among others): big enough to cross a typical limit, small enough for CI."""


@dataclass(frozen=True)
class Drawn:
    """One broken frame to send, the message ids a reply to it may carry, and how to read it."""

    text: str
    reply_ids: tuple[str, ...]
    unique_id: str | None
    """The Call's own id when it could be read, else None."""
    note: str


@dataclass(frozen=True)
class FrameKind:
    name: str
    title: str
    draw: Callable[[OcppVersion, str, dict[str, Any]], st.SearchStrategy[Drawn]]
    """A strategy of frames, given the version and a valid Call (action and payload) to bend."""
    judge: Callable[[OcppVersion, Drawn, Reply], Judgement]
    answered_in_16: bool = False
    """Whether OCPP-J 1.6 requires an answer (a Call whose id can be read); 2.0.1 may drop
    any invalid message (Part 4 §4.2.3)."""

    def answer_required(self, version: OcppVersion) -> bool:
        return self.answered_in_16 and version.name == "1.6"


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _uid() -> str:
    return rpc.new_unique_id()


# -- how a reply is judged, by what the version says about the frame ----------------------------
def _unreadable(version: OcppVersion, drawn: Drawn, reply: Reply) -> Judgement:
    """No message id to answer to: 1.6 cannot answer; 2.0.1 answers "-1" RpcFrameworkError."""
    verdict = Judgement()
    if version.name == "1.6":
        if reply.kind == "CallResult":
            return verdict.fail(f"answered {drawn.note} with a CallResult")
        return verdict
    if reply.raw is None:
        return verdict.warn(
            f"{drawn.note}: dropped without a CallError (2.0.1 Part 4 §4.2.3 allows it; "
            'a CallError with message id "-1" and RpcFrameworkError tells the sender why)'
        )
    return _error_reply(
        version,
        drawn,
        reply,
        expected={"RpcFrameworkError"},
        tolerated={"FormatViolation", "ProtocolError"},
        clause='2.0.1 Part 4 §4.2.3/§4.3: message id "-1", RpcFrameworkError',
        ids=("-1",),
    )


def _error_reply(
    version: OcppVersion,
    drawn: Drawn,
    reply: Reply,
    *,
    expected: set[str],
    tolerated: set[str] | None = None,
    clause: str,
    ids: tuple[str, ...],
) -> Judgement:
    """A CallError with one of ``ids`` and an ``expected`` code (``tolerated``: with a warning,
    ``None``: any code the version defines)."""
    verdict = Judgement()
    if reply.kind != "CallError":
        return verdict.fail(f"answered {drawn.note} with {reply.kind}; {clause} wants a CallError")
    message = reply.message or []
    if len(message) != 5:
        return verdict.fail(f"answered {drawn.note} with a CallError of {len(message)} elements")
    if message[1] not in ids:
        return verdict.fail(
            f"answered {drawn.note} with a CallError of message id {message[1]!r}; {clause} "
            f"wants {' or '.join(repr(i) for i in ids)}"
        )
    code, spelling = rules.canonical_code(version, reply.error_code)
    if spelling:
        verdict.warn(spelling)
    if code in expected:
        return verdict
    legal = version.error_codes
    if code in legal and (tolerated is None or code in tolerated):
        return verdict.warn(
            f"{drawn.note}: answered {code} ({clause} names {' or '.join(sorted(expected))})"
        )
    return verdict.fail(
        f"answered {drawn.note} with CallError {reply.error_code}; {clause} names "
        f"{' or '.join(sorted(expected))}"
    )


def _call_like(
    version: OcppVersion,
    drawn: Drawn,
    reply: Reply,
    *,
    expected_16: set[str],
    expected_2x: set[str],
    tolerate_any: bool,
) -> Judgement:
    """A Call whose id can be read: 1.6 must answer with a CallError; 2.0.1 may drop it."""
    assert drawn.unique_id is not None
    ids = (drawn.unique_id, "-1")
    if reply.raw is None:
        if version.name == "1.6":
            return Judgement().fail(
                f"did not answer {drawn.note}; OCPP-J 1.6 §4.2.3 answers a Call that does not "
                "meet the requirements of a proper message with a CallError"
            )
        return Judgement().warn(
            f"{drawn.note}: dropped without a CallError (2.0.1 Part 4 §4.2.3 allows it)"
        )
    expected = expected_16 if version.name == "1.6" else expected_2x
    clause = "OCPP-J 1.6 §4.2.3" if version.name == "1.6" else "2.0.1 Part 4 §4.3"
    return _error_reply(
        version,
        drawn,
        reply,
        expected={rules.canonical_code(version, c)[0] for c in expected},
        tolerated=None if tolerate_any else set(),
        clause=clause,
        ids=ids,
    )


def _judge_message_type(version: OcppVersion, drawn: Drawn, reply: Reply) -> Judgement:
    if version.name == "1.6":
        # OCPP-J 1.6 defines no code for an unknown message type: any defined code, or none.
        if reply.raw is None:
            return Judgement()
        assert drawn.unique_id is not None
        return _error_reply(
            version,
            drawn,
            reply,
            expected=set(version.error_codes),
            clause="OCPP-J 1.6 §4.2.3",
            ids=(drawn.unique_id, "-1"),
        )
    return _call_like(
        version,
        drawn,
        reply,
        expected_16=set(),
        expected_2x={"MessageTypeNotSupported"},
        tolerate_any=True,
    )


def _judge_malformed(version: OcppVersion, drawn: Drawn, reply: Reply) -> Judgement:
    return _call_like(
        version,
        drawn,
        reply,
        expected_16={"FormatViolation", "ProtocolError"},
        expected_2x={"RpcFrameworkError", "FormatViolation", "ProtocolError"},
        tolerate_any=True,
    )


def _judge_unknown_action(version: OcppVersion, drawn: Drawn, reply: Reply) -> Judgement:
    if reply.kind == "CallError" and reply.error_code == "NotSupported":
        return Judgement().fail(
            f"answered {drawn.note} with NotSupported; NotSupported means an action that is "
            "recognised but not supported, an action the version does not define is "
            "NotImplemented (OCPP-J 1.6 §4.2.3, 2.0.1 Part 4 §4.3)"
        )
    return _call_like(
        version,
        drawn,
        reply,
        expected_16={"NotImplemented"},
        expected_2x={"NotImplemented"},
        tolerate_any=False,
    )


def _judge_repeated(version: OcppVersion, drawn: Drawn, reply: Reply) -> Judgement:
    """The same message id twice in a row: answering both, or refusing the second, are both
    legal (1.6 §4.2.3 lists "an existing call with the same unique identifier is being handled
    already" as a CallError reason). Not answering the first is not."""
    if reply.raw is None:
        return Judgement().fail(f"answered neither of {drawn.note}")
    if reply.kind not in ("CallResult", "CallError"):
        return Judgement().fail(f"answered {drawn.note} with {reply.kind}")
    return Judgement()


def _judge_oversize(version: OcppVersion, drawn: Drawn, reply: Reply) -> Judgement:
    """Any answer, or none: a receiver may refuse a frame over its limit (websocket close code
    1009, RFC 6455 §7.4.1); the runner checks that it is reachable again afterwards."""
    if reply.raw is None:
        return Judgement().warn(
            f"{drawn.note}: no answer (a receiver may refuse a frame over its limit)"
        )
    if reply.kind not in ("CallResult", "CallError"):
        return Judgement().fail(f"answered {drawn.note} with {reply.kind}")
    return Judgement()


# -- how frames are drawn -----------------------------------------------------------------------
_JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**31), 2**31),
    st.text(max_size=20),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=3),
)


def _not_json(
    version: OcppVersion, action: str, payload: dict[str, Any]
) -> st.SearchStrategy[Drawn]:
    valid = _dump([2, "id", action, payload])
    cut = st.integers(1, max(1, len(valid) - 1)).map(lambda n: valid[:n])
    text = st.text(
        alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40
    )
    return (
        st.one_of(cut, text)
        .filter(_unparsable)
        .map(lambda t: Drawn(t, ("-1",), None, f"a frame that is not JSON ({t[:60]!r})"))
    )


def _unparsable(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return True
    return False


def _not_array(
    version: OcppVersion, action: str, payload: dict[str, Any]
) -> st.SearchStrategy[Drawn]:
    values = st.one_of(_JSON_SCALARS, st.just([]), st.just({"2": action}))
    return values.map(
        lambda v: Drawn(
            _dump(v), ("-1",), None, f"a JSON frame that is not a Call array ({_dump(v)[:60]})"
        )
    )


def _message_type(
    version: OcppVersion, action: str, payload: dict[str, Any]
) -> st.SearchStrategy[Drawn]:
    types = st.integers(-5, 99).filter(lambda t: t not in version.message_types)

    def build(type_id: int) -> Drawn:
        uid = _uid()
        return Drawn(
            _dump([type_id, uid, action, payload]),
            (uid, "-1"),
            uid,
            f"a frame with message type {type_id}, which OCPP {version} does not define",
        )

    return types.map(build)


def _message_id(
    version: OcppVersion, action: str, payload: dict[str, Any]
) -> st.SearchStrategy[Drawn]:
    ids = st.one_of(
        st.none(), st.integers(-5, 10**6), st.booleans(), st.just([]), st.just({"id": 1})
    )

    def build(bad: Any) -> Drawn:
        return Drawn(
            _dump([2, bad, action, payload]),
            ("-1", _dump(bad), str(bad)),
            None,
            f"a {action} Call whose message id is {_dump(bad)}, not a string",
        )

    return ids.map(build)


def _long_id(
    version: OcppVersion, action: str, payload: dict[str, Any]
) -> st.SearchStrategy[Drawn]:
    limit = version.max_message_id_length
    # A few lengths, not a range: each failing example against a silent target costs a wait,
    # and the shrinker tries many values of a range.
    extra = st.sampled_from([1, 14, 64])

    def build(n: int) -> Drawn:
        uid = (rpc.new_unique_id().replace("-", "") * 4)[: limit + n]
        return Drawn(
            _dump([2, uid, action, payload]),
            (uid, "-1"),
            uid,
            f"a {action} Call whose message id has {len(uid)} characters (at most {limit})",
        )

    return extra.map(build)


_MALFORMED: tuple[tuple[str, Callable[[str, str, dict[str, Any]], list[Any]]], ...] = (
    ("no action and no payload", lambda uid, a, p: [2, uid]),
    ("no payload", lambda uid, a, p: [2, uid, a]),
    ("an action that is a number", lambda uid, a, p: [2, uid, 42, p]),
    ("a payload that is a string", lambda uid, a, p: [2, uid, a, "payload"]),
    ("a payload that is an array", lambda uid, a, p: [2, uid, a, [p]]),
    ("a payload that is null", lambda uid, a, p: [2, uid, a, None]),
    ("a fifth element", lambda uid, a, p: [2, uid, a, p, {}]),
)


def _malformed(
    version: OcppVersion, action: str, payload: dict[str, Any]
) -> st.SearchStrategy[Drawn]:
    def build(index: int) -> Drawn:
        what, make = _MALFORMED[index]
        uid = _uid()
        return Drawn(
            _dump(make(uid, action, payload)),
            (uid, "-1"),
            uid,
            f"a {action} Call with {what}",
        )

    return st.integers(0, len(_MALFORMED) - 1).map(build)


def _unknown_action(
    version: OcppVersion, action: str, payload: dict[str, Any]
) -> st.SearchStrategy[Drawn]:
    known = schema_set(version)
    names = st.from_regex(r"\A[A-Z][A-Za-z]{2,30}\Z", fullmatch=True).filter(
        lambda n: not known.knows(n)
    )

    def build(name: str) -> Drawn:
        uid = _uid()
        return Drawn(
            _dump([2, uid, name, {}]),
            (uid,),
            uid,
            f"a Call of {name!r}, which is no OCPP {version} action",
        )

    return names.map(build)


def _repeated(
    version: OcppVersion, action: str, payload: dict[str, Any]
) -> st.SearchStrategy[Drawn]:
    def build(_: Any) -> Drawn:
        uid = _uid()
        frame = _dump([2, uid, action, payload])
        return Drawn(frame, (uid,), uid, f"two {action} Calls with the same message id")

    return st.just(None).map(build)


def oversize(version: OcppVersion) -> Drawn:
    """One DataTransfer over :data:`OVERSIZE_BYTES` (an action both roles receive)."""
    uid = _uid()
    body = {"vendorId": "org.pytest-ocpp.fuzz", "data": "x" * OVERSIZE_BYTES}
    return Drawn(
        _dump([2, uid, "DataTransfer", body]),
        (uid,),
        uid,
        f"a DataTransfer Call of {OVERSIZE_BYTES} bytes",
    )


KINDS: dict[str, FrameKind] = {
    kind.name: kind
    for kind in (
        FrameKind("not_json", "a frame that is not JSON", _not_json, _unreadable),
        FrameKind("not_array", "a JSON frame that is not a Call array", _not_array, _unreadable),
        FrameKind(
            "message_type", "an unknown message type number", _message_type, _judge_message_type
        ),
        FrameKind("message_id", "a message id that is not a string", _message_id, _unreadable),
        FrameKind("long_id", "a message id over 36 characters", _long_id, _judge_malformed, True),
        FrameKind(
            "malformed_call", "a Call of the wrong shape", _malformed, _judge_malformed, True
        ),
        FrameKind(
            "unknown_action",
            "an action the version does not define",
            _unknown_action,
            _judge_unknown_action,
            True,
        ),
        FrameKind("repeated_id", "the same message id twice", _repeated, _judge_repeated, True),
        FrameKind(
            "oversize",
            f"a frame over {OVERSIZE_BYTES // 1024} KiB",
            lambda v, a, p: st.just(None).map(lambda _: oversize(v)),
            _judge_oversize,
        ),
    )
}
