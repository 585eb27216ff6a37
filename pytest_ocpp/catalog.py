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
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pytest

from pytest_ocpp import case as case_module
from pytest_ocpp.config import OcppConfig
from pytest_ocpp.config_tables import FEATURE_ID, PROFILES_201, Claims
from pytest_ocpp.verdicts import TargetTimeout, not_applicable


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
    def uncertified(self) -> str:
        """Why the case does not count for certification although its table exists ("not
        listed in Part 5", "removed from cert program by errata 2025-02"), or ''. Reported as
        such, like a provisional case."""
        text = self.profile.lower()
        if "removed from cert program" in text:
            return "removed from the certification program (errata 2025-02)"
        if "not listed" in text or "not in part 5" in text or "not part of certification" in text:
            return "not part of certification (not listed in Part 5)"
        return ""

    @property
    def profiles(self) -> tuple[str, ...]:
        """Every 2.0.1 certification profile the case belongs to (``Smart Charging (M);
        ISO 15118 Support (M)`` belongs to two)."""
        found = []
        for part in self.profile.split(";"):
            name = part.split(" (")[0].split(" [")[0].strip().rstrip("?")
            if name in PROFILES_201:
                found.append(name)
        return tuple(found)

    @property
    def profile_name(self) -> str:
        """The profile without Part 5's condition codes: ``Core (M, C-40)`` → ``Core``."""
        return self.profile.split(" (")[0].split(" [")[0].strip().rstrip("?")


@cache
def catalog() -> dict[tuple[str, str], CaseInfo]:
    text = (resources.files("pytest_ocpp") / "data" / "octt-catalog.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    from pytest_ocpp.ocpi.catalog import CASES as OCPI_CASES  # our own OCPI 2.2.1 ids

    return OCPI_CASES | {
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


CASE_MARKERS = ("ocpp_case", "ocpi_case")
"""The markers of a bundled test case: an OCA case (:func:`ocpp_case`) or an OCPI 2.2.1 case
(:func:`pytest_ocpp.ocpi.case.ocpi_case`). Both carry the same fields (id, version, side,
profile, block, title, ...), so every report, Allure label and the baseline gate treat them
alike through :func:`case_marker`."""


def case_marker(item: pytest.Item) -> pytest.Mark | None:
    """The case marker of ``item`` (OCPP or OCPI), or None for a plain test."""
    for name in CASE_MARKERS:
        marker = item.get_closest_marker(name)
        if marker is not None:
            return marker
    return None


def ocpp_case(
    case_id: str, version: str = "1.6", *, requires: str | None = None
) -> Callable[[Callable[..., Awaitable[None]]], Any]:
    """Mark an async test function as the implementation of one OCA test case.

    The wrapper makes the case a pytest-asyncio test on the session loop (the fake CSMS of the
    station-side suite lives across cases), bounds the whole case by ``--ocpp-case-timeout``,
    and fails it with any protocol violation that no step reported before the end.

    ``requires`` is the Part 5 condition of a conditional (C) case, written as in Part 5:
    feature ids joined by ``and`` / ``or`` / ``not`` with parentheses, e.g.
    ``"C-44 or not AQ-6"``. A 2.0.1 case whose profiles or condition the target does not
    claim (``[claims]`` in the config file) is not applicable, with the reason."""
    info = lookup(case_id, version)
    condition = Condition.parse(requires) if requires else None

    def decorate(fn: Callable[..., Awaitable[None]]) -> Any:
        if not inspect.iscoroutinefunction(fn):
            raise TypeError(f"{fn.__name__}: an OCPP test case must be an async function")

        @functools.wraps(fn)
        async def wrapper(*args: Any, ocpp_case_context: Any, **kwargs: Any) -> None:
            ctx: case_module.CaseContext = ocpp_case_context
            _check_claims(info, condition, claims_for(info, ctx.config))
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
            uncertified=info.uncertified,
            requires=requires or "",
        )(wrapper)
        return pytest.mark.asyncio(loop_scope="session")(marked)

    return decorate


def claims_for(info: CaseInfo, config: OcppConfig) -> Claims:
    """The claims a case is judged by: the config's ``[claims]``; in a run against the
    embedded reference station without ``[claims]``, what that station really has (its
    :data:`~pytest_ocpp.reference.station201.REFERENCE_CLAIMS`), so a hardware question it
    answers "no" (a cable lock) selects the cases written for such a station."""
    if info.side == "CS" and config.reference and not config.listen and "claims" not in config.raw:
        from pytest_ocpp.reference.station201 import REFERENCE_CLAIMS

        return REFERENCE_CLAIMS
    return config.claims


def _check_claims(info: CaseInfo, condition: Condition | None, claims: Claims) -> None:
    """Not applicable unless the target claims one of the case's profiles and meets its
    Part 5 condition (2.0.1 cases only: 1.6 has no certification profiles of this kind)."""
    if info.version == "1.6":
        return
    if info.profiles and not any(claims.has_profile(p) for p in info.profiles):
        raise not_applicable(
            f"the target does not claim the {' or '.join(info.profiles)} profile "
            "([claims] profiles in the config file)"
        )
    if condition is not None and not condition.holds(claims.has_feature):
        raise not_applicable(
            f"{info.id} is conditional on {condition.text} (Part 5), which the target's claims "
            "do not meet ([claims] features in the config file)"
        )


@dataclass(frozen=True)
class Condition:
    """A Part 5 applicability condition over feature ids: ``C-44 or not AQ-6``."""

    text: str
    tokens: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Condition:
        tokens = tuple(re.findall(r"\(|\)|[^\s()]+", text))
        condition = cls(text, tokens)
        condition.holds(lambda _: True)  # a malformed condition is a bug found at import
        return condition

    def holds(self, has: Callable[[str], bool]) -> bool:
        tokens = list(self.tokens)

        def expr() -> bool:
            value = term()
            while tokens and tokens[0] == "or":
                tokens.pop(0)
                value = term() or value
            return value

        def term() -> bool:
            value = factor()
            while tokens and tokens[0] == "and":
                tokens.pop(0)
                value = factor() and value
            return value

        def factor() -> bool:
            if not tokens:
                raise ValueError(f"incomplete condition {self.text!r}")
            token = tokens.pop(0)
            if token == "not":
                return not factor()
            if token == "(":
                value = expr()
                if not tokens or tokens.pop(0) != ")":
                    raise ValueError(f"unbalanced parentheses in {self.text!r}")
                return value
            if not FEATURE_ID.match(token):
                raise ValueError(f"{token!r} in condition {self.text!r} is not a feature id")
            return has(token)

        value = expr()
        if tokens:
            raise ValueError(f"unexpected {tokens[0]!r} in condition {self.text!r}")
        return value
