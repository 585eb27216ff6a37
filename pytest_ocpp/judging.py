"""The core's verdicts on one received frame, as pure functions over :mod:`.rpc`,
:mod:`.schemas` and :mod:`.versions`.

The asyncio :class:`~pytest_ocpp.link.Link` (one scenario's connection) and the gevent load
stations (:mod:`pytest_ocpp.load`) must judge by the same rules, so the rules live here once:
what a received Call is answered with when it is not acceptable, and what is wrong with a
reply to one of our Calls.
"""

from __future__ import annotations

from pytest_ocpp import rpc
from pytest_ocpp.schemas import SchemaSet
from pytest_ocpp.versions import MessageType


def judge_call(schemas: SchemaSet, call: rpc.Call) -> tuple[list[str], rpc.CallError | None]:
    """The problems of a received Call, and the CallError a conformant receiver answers it
    with (None: answer it normally).

    An action the version does not define is NotImplemented (OCPP-J 1.6 §4.2.3: "Requested
    Action is not known by receiver"); a payload breaking its schema is the version's format
    violation; a 2.1 Send is never answered (2.1 Part 4 §4.2.4), only judged."""
    if call.message_type == MessageType.SEND:
        return schemas.errors(call.action, call.payload, response=False), None
    if not schemas.knows(call.action):
        problem = f"{call.action} is not an OCPP {schemas.version} action"
        return [problem], rpc.CallError(call.unique_id, "NotImplemented", problem)
    problems = schemas.errors(call.action, call.payload, response=False)
    if not problems:
        return [], None
    refusal = rpc.CallError(
        call.unique_id, schemas.version.format_violation, "; ".join(problems)[:255]
    )
    return problems, refusal


def reply_problems(
    schemas: SchemaSet, action: str, frame: rpc.CallResult | rpc.CallError
) -> list[str]:
    """What breaks the rules in a reply to our ``action`` Call (correlation is the caller's:
    only it knows its pending ids): a CallError code the version does not define (OCPP-J 1.6
    §4.2.3, 2.0.1 Part 4 §4.3), or a CallResult payload breaking the response schema,
    ``date-time`` formats included."""
    if isinstance(frame, rpc.CallError):
        if frame.error_code not in schemas.version.error_codes:
            return [f"error code {frame.error_code!r} is not one OCPP {schemas.version} defines"]
        return []
    return schemas.errors(action, frame.payload, response=True)


def reused_message_id(earlier: rpc.Call | None, call: rpc.Call) -> str | None:
    """What is wrong with ``call`` when its sender already used its message id for
    ``earlier`` (None: the id is new), or None if nothing is.

    OCPP-J 1.6 §4.1.4 and 2.0.1 Part 4 §4.1.4: a CALL's message id "MUST be different from all
    message IDs previously used by the same sender for CALL messages". The same Call sent
    again is not judged: 2.0.1 errata 2025-09 §4.6 lets a retry keep its id, and a proxy may
    record a frame twice. Which earlier Calls count (one WebSocket connection in 1.6, every
    connection of the station id in 2.0.1) is the caller's: only it knows the connections."""
    if earlier is None or earlier.to_json() == call.to_json():
        return None
    return (
        f"reused message id {call.unique_id!r} of an earlier {earlier.action} for a different "
        f"{call.action} Call (OCPP-J 1.6 §4.1.4, 2.0.1 Part 4 §4.1.4: a message id must not "
        "be reused for another Call)"
    )
