"""The outcomes a test case can have, as exceptions.

Four outcomes reach every report: pass, fail (the target broke a rule: any
:class:`TargetFailure`, or a plain ``assert`` in a scenario), not applicable
(:class:`NotApplicable`, reported as a skip with its reason) and error (anything else: our
side broke). Making target failures ``AssertionError`` subclasses keeps that split one
``isinstance`` away.
"""

from __future__ import annotations

import pytest


class TargetFailure(AssertionError):
    """The target under test did something the specification or the scenario forbids."""


class ProtocolViolation(TargetFailure):
    """A frame that breaks OCPP-J framing, the JSON schema, or message correlation."""


class TargetTimeout(TargetFailure):
    """The target did not send what the scenario waits for within the configured timeout."""


class ConnectionLost(TargetFailure):
    """The target closed or dropped the websocket while the scenario still needed it."""


class ConnectFailed(TargetFailure):
    """No OCPP websocket could be opened to or accepted from the target."""


class UnexpectedSubprotocol(ConnectFailed):
    """The target upgraded the connection (HTTP 101) without selecting one of the offered
    subprotocols, or selected one that was not offered (OCPP-J 2.0.1 Part 4 §3.2).

    A :class:`ConnectFailed` for every caller that only needs a working connection; told apart
    from a refused upgrade by TC_B_58_CSMS, where a refusal is the expected outcome."""


class CallErrorReceived(TargetFailure):
    """The target answered a request with a CallError where the scenario needs a result."""

    def __init__(self, message: str, error_code: str) -> None:
        super().__init__(message)
        self.error_code = error_code


class OperatorFailed(TargetFailure):
    """The operator adapter (a person or a command) could not perform the requested action.

    Counted as a failure of the run rather than an internal error: the command or the person
    is part of the system under test's rig, not of pytest-ocpp."""


class NotApplicable(pytest.skip.Exception):
    """The test case does not apply to this target or this run, with the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"not applicable: {reason}")
        self.reason = reason


def not_applicable(reason: str) -> NotApplicable:
    return NotApplicable(reason)


def check(condition: bool, expectation: str, received: object) -> None:
    """A tool validation: fail with what was expected and what arrived."""
    if not condition:
        raise TargetFailure(f"expected {expectation}; received {received!r}")
