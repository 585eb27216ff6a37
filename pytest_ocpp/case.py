"""The running test case: its trace, its current step, the connections it opened.

One :class:`CaseContext` per test. Scenario code reaches the current one through
:func:`current` (a context variable, so thousands of concurrent stations in a load test each
see their own case), and names its steps with :func:`step` so a failure can say where it
happened.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pytest_ocpp.config import OcppConfig
from pytest_ocpp.link import NOTHING_HEARD, Link
from pytest_ocpp.trace import Trace
from pytest_ocpp.verdicts import _STEP, ConnectionLost, TargetFailure, TargetUnavailable


@dataclass
class CaseContext:
    config: OcppConfig
    case_id: str = ""
    trace: Trace = field(default_factory=Trace)
    links: list[Link] = field(default_factory=list)
    owned: list[Link] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    shared: dict[str, Any] = field(default_factory=dict)
    """Run-wide facts shared between cases (e.g. every transaction id a CSMS handed out)."""
    closers: list[Any] = field(default_factory=list)
    checks: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Judged after the scenario's last step (e.g. an operator command's exit status)."""
    preparations: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Fixture work that must run inside the case (connect, boot), so its failures are
    verdicts on the target rather than setup errors."""
    warnings: list[str] = field(default_factory=list)
    """What the target did that the specification allows but the scenario did not name (a
    repeated status, a legal intermediate one), or a pass OCTT gives with a warning: shown in
    every report, never a failure."""
    secondary: list[str] = field(default_factory=list)
    """What went wrong after the verdict was decided (a clean-up that failed after a failed
    step): shown below the verdict, never instead of it."""

    @property
    def current_step(self) -> str:
        return self.steps[-1] if self.steps else "(before the first step)"

    def step(self, text: str) -> None:
        self.steps.append(text)
        self.trace.event("step", text)
        _STEP.set(text)

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)
            self.trace.event("warning", text)

    def register(self, link: Link, *, owned: bool = True) -> None:
        """Watch ``link`` for violations; close it when the case ends if the case ``owned``
        it (a fake station's link) rather than borrowed it (the station under test's)."""
        self.links.append(link)
        if owned:
            self.owned.append(link)

    async def run_checks(self) -> None:
        while self.checks:
            await self.checks.pop(0)()

    def raise_findings(self) -> None:
        """Fail the case with any violation seen but not yet reported by a step."""
        for link in self.links:
            link.raise_findings()

    def step_when(self, violation: str) -> str:
        """The step that was running when the trace recorded ``violation`` (a link raises a
        violation later, outside the case's steps), or ''."""
        first = violation.splitlines()[0] if violation else ""
        last = ""
        for entry in self.trace.entries:
            if entry.link == "step":
                last = entry.text
            elif first and entry.text.startswith(f"VIOLATION: {first}"):
                return last
        return ""

    async def prepare(self) -> None:
        if self.preparations:
            self.step("Before: connect the station(s) and reach the scenario's starting state")
        async with starting_state():
            for prepare in self.preparations:
                await prepare()

    async def close(self) -> None:
        for closer in reversed(self.closers):
            await closer()
        self.closers.clear()
        for link in self.owned:
            await link.close()


_current: contextvars.ContextVar[CaseContext] = contextvars.ContextVar("pytest_ocpp_case")


def current() -> CaseContext:
    try:
        return _current.get()
    except LookupError:
        raise RuntimeError("no OCPP test case is running in this context") from None


def activate(ctx: CaseContext) -> contextvars.Token[CaseContext]:
    return _current.set(ctx)


def deactivate(token: contextvars.Token[CaseContext]) -> None:
    _current.reset(token)


def step(text: str) -> None:
    """Name the scenario step that follows, as the OCTT table numbers it."""
    current().step(text)


def warn(text: str) -> None:
    """Record a warning on the running case: legal traffic the scenario did not name, or a
    pass that OCTT gives with a warning. The terminal summary, the JSON report and Allure
    show it; the verdict is unchanged."""
    current().warn(text)


STARTING_STATE = "could not reach the starting state: "


@contextlib.asynccontextmanager
async def starting_state() -> AsyncIterator[None]:
    """Everything inside reaches the case's starting state (connect, boot, the OCTT general
    preconditions). A target failure here is a cascade, not a failure at the case's own step:
    its message starts with "could not reach the starting state:" and the summary groups such
    cases under their first root cause."""
    try:
        yield
    except ConnectionLost as exc:
        if _NOT_NOW.search(str(exc)) and NOTHING_HEARD in str(exc):
            raise TargetUnavailable(
                f"{STARTING_STATE}{exc}. The target closed the connection with a code that means "
                "it was not ready; if it needs time before it accepts the same station id "
                "again, set --ocpp-case-pause"
            ) from exc
        _mark_starting_state(exc)
        raise
    except TargetFailure as exc:
        _mark_starting_state(exc)
        raise


_NOT_NOW = re.compile(r"\bcode 101[123]\b")
"""Close codes 1011 (internal error), 1012 (service restart), 1013 (try again later)."""


def _mark_starting_state(exc: TargetFailure) -> None:
    if not exc.starting_state:
        exc.starting_state = True
        if exc.args and isinstance(exc.args[0], str):
            exc.args = (STARTING_STATE + exc.args[0], *exc.args[1:])
