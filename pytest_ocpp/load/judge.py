"""Every reply under load judged by the core's rules, as one short reason per failure.

The rules are :func:`pytest_ocpp.judging.reply_problems` (error codes, schemas and ``date-time``
formats) and :func:`pytest_ocpp.rpc.parse` (framing), the same the conformance suite applies;
this module only turns a verdict into the reason Locust groups its failure table by. Locust
counts one row per distinct reason, so values that differ per message (a date-time, a message
id) are replaced by a placeholder: a CSMS breaking one rule 10 000 times is one row, not 10 000.
Pure module: no gevent.
"""

from __future__ import annotations

import re

from pytest_ocpp import judging, rpc
from pytest_ocpp.schemas import SchemaSet

_DATETIME = re.compile(r"(['\"])\d{4}-\d\d-\d\d[Tt][^'\"]*\1")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class LoadFailure(Exception):
    """A judged failure: its text is the reason in Locust's failure table."""

    def __repr__(self) -> str:
        # Locust shows repr(error) in its tables, CSV and HTML: the reason alone reads best.
        return str(self)


def stable(text: str) -> str:
    """``text`` with per-message values replaced, so equal faults group into one row."""
    text = _DATETIME.sub(r"\1<date-time>\1", text)
    return _UUID.sub("<id>", text)


def reply_reason(
    schemas: SchemaSet, action: str, frame: rpc.CallResult | rpc.CallError
) -> str | None:
    """Why this reply to our valid ``action`` Call counts as a failure, or None when it is a
    conformant CallResult. Under load a CallError is always a failure: every request the
    simulated stations send is valid (``tests/test_load.py`` checks them against the schemas)."""
    problems = judging.reply_problems(schemas, action, frame)
    if isinstance(frame, rpc.CallError):
        reason = f"CallError {frame.error_code}"
        if frame.description:
            reason += f" ({frame.description[:80]})"
        if problems:
            reason += f"; {problems[0]}"
        return stable(reason)
    if not problems:
        return None
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    return stable(f"response breaks the OCPP {schemas.version} schema: {problems[0]}{more}")


def framing_reason(error: rpc.FramingError) -> str:
    return stable(f"frame breaks OCPP-J framing: {error.reason}")


def timeout_reason(seconds: float) -> str:
    return f"no answer within {seconds:g} s (response_timeout)"


def lost_reason(why: str) -> str:
    return stable(f"connection lost before the answer: {why}")


UNCORRELATED = "reply whose message id matches no Call we sent"
DUPLICATE = "second reply to the same Call"
