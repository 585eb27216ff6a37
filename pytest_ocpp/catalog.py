"""The test-case catalogue and the decorator that ties a test function to an OCA id.

The catalogue is the OCA's list of test case ids (1.6, 2.0.1, 2.1) with title, side,
functional block and certification profile (``data/octt-catalog.csv``). A test written with
:func:`ocpp_case` carries all of that as a ``ocpp_case`` marker, so reports can group by
version, profile and block without reading the test's code.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pytest

from pytest_ocpp import case as case_module
from pytest_ocpp.verdicts import TargetTimeout


@dataclass(frozen=True)
class CaseInfo:
    id: str
    version: str
    side: str
    """``CSMS`` when the CSMS is under test (we act as the station), ``CS`` for a station."""
    block: str
    title: str
    profile: str
    steps_summary: str
    document: str = ""

    @property
    def provisional(self) -> bool:
        """Known only by its title (a newer OCTT revision or an errata): no table to follow,
        so the implementation is ours, built from the older tables and the specification.
        Every report says so and it never counts as certified coverage."""
        return "title only" in self.document

    @property
    def profile_name(self) -> str:
        """The profile without Part 5's condition codes: ``Core (M, C-40)`` → ``Core``."""
        return self.profile.split(" (")[0].split(" [")[0].strip()


@cache
def catalog() -> dict[tuple[str, str], CaseInfo]:
    text = (resources.files("pytest_ocpp") / "data" / "octt-catalog.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return {
        (row["version"], row["id"]): CaseInfo(
            id=row["id"],
            version=row["version"],
            side=row["side"],
            block=row["block"],
            title=row["title"],
            profile=row["profile"],
            steps_summary=row["steps_summary"],
            document=row.get("document", ""),
        )
        for row in rows
    }


def lookup(case_id: str, version: str = "1.6") -> CaseInfo:
    try:
        return catalog()[(version, case_id)]
    except KeyError:
        raise LookupError(f"{case_id} is not an OCTT {version} test case id") from None


def ocpp_case(
    case_id: str, version: str = "1.6"
) -> Callable[[Callable[..., Awaitable[None]]], Any]:
    """Mark an async test function as the implementation of one OCA test case.

    The wrapper makes the case a pytest-asyncio test on the session loop (the fake CSMS of the
    station-side suite lives across cases), bounds the whole case by ``--ocpp-case-timeout``,
    and fails it with any protocol violation that no step reported before the end."""
    info = lookup(case_id, version)

    def decorate(fn: Callable[..., Awaitable[None]]) -> Any:
        if not inspect.iscoroutinefunction(fn):
            raise TypeError(f"{fn.__name__}: an OCPP test case must be an async function")

        @functools.wraps(fn)
        async def wrapper(*args: Any, ocpp_case_context: Any, **kwargs: Any) -> None:
            ctx: case_module.CaseContext = ocpp_case_context
            token = case_module.activate(ctx)
            limit = ctx.config.timeouts.case

            async def run() -> None:
                if ctx.config.timeouts.pause:
                    # --ocpp-case-pause: a user-requested pause for targets that need time
                    # before they accept the same station id again; no event to await.
                    await asyncio.sleep(ctx.config.timeouts.pause)
                try:
                    await ctx.prepare()
                    await fn(*args, **kwargs)
                    await ctx.run_checks()
                finally:
                    await ctx.close()

            try:
                await asyncio.wait_for(run(), limit)
            except asyncio.TimeoutError:
                raise TargetTimeout(
                    f"{case_id} did not finish within {limit:g} s (--ocpp-case-timeout); "
                    f"last step: {ctx.current_step}"
                ) from None
            finally:
                case_module.deactivate(token)
            ctx.raise_findings()

        signature = inspect.signature(fn)
        extra = inspect.Parameter("ocpp_case_context", inspect.Parameter.KEYWORD_ONLY)
        wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*signature.parameters.values(), extra]
        )
        marked = pytest.mark.ocpp_case(
            id=info.id,
            version=info.version,
            side=info.side,
            profile=info.profile_name,
            block=info.block,
            title=info.title,
            provisional=info.provisional,
        )(wrapper)
        return pytest.mark.asyncio(loop_scope="session")(marked)

    return decorate
