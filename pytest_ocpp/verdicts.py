"""The outcomes a test case can have, as exceptions.

Four outcomes reach every report: pass, fail (the target broke a rule: any
:class:`TargetFailure`, or a plain ``assert`` in a scenario), not applicable
(:class:`NotApplicable`, reported as a skip with its reason) and error (anything else: our
side broke). Making target failures ``AssertionError`` subclasses keeps that split one
``isinstance`` away.
"""

from __future__ import annotations

import contextvars

import pytest

_STEP: contextvars.ContextVar[str] = contextvars.ContextVar("pytest_ocpp_step", default="")
"""The running case's current scenario step, set by :mod:`pytest_ocpp.case`. A failure
stamps it when it is raised, so the verdict names the step whose check failed even when a
clean-up step ran after it."""


class TargetFailure(AssertionError):
    """The target under test did something the specification or the scenario forbids."""

    starting_state: bool = False
    """Raised while reaching the case's starting state (a cascade), not at its own step."""
    octt_specific: bool = False
    """A rule of the OCTT table that is stricter than the specification."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.step = _STEP.get()


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


class OcttSpecific(TargetFailure):
    """The target broke a rule that the OCTT table applies but the specification only
    recommends or does not state. Certification applies OCTT's rule, so the verdict stays
    "fail"; every report marks it "OCTT-specific" and quotes the specification."""

    octt_specific = True


class RigError(Exception):
    """The test rig (an operator command, a person, a busy port) broke: verdict "error",
    never a failure of the target."""


class TargetUnavailable(Exception):
    """The target closed the connection right after the handshake with a close code that
    means "not now" (1011 internal error, 1012 service restart, 1013 try again later): the
    target's infrastructure was not ready, which is not a verdict on the scenario's step.
    Verdict "error", quoting the close code and reason."""


class OperatorFailed(RigError):
    """The operator (a person or a command) could not perform the requested action: the
    command could not be started, crashed, timed out, or said "I could not do it"."""


class OperatorRefused(TargetFailure):
    """The operator reports that the target refused the action (e.g. the CSMS's API rejected
    the request): a verdict on the target."""


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


def check_octt(
    condition: bool, expectation: str, received: object, *, octt: str, spec: str
) -> None:
    """A tool validation that OCTT applies but the specification does not require.

    ``octt`` names the table and step (``"TC_005_3_CS step 6"``), ``spec`` says correctly what
    the specification does say (``"OCPP 1.6 §4.9 only recommends an info text"``)."""
    if not condition:
        raise OcttSpecific(
            f"expected {expectation}; received {received!r} "
            f"[OCTT-specific: {octt} requires it; {spec}]"
        )
