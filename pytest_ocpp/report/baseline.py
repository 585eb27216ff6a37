"""The CI gate and its baseline of known deviations.

A team adopting the suite against an existing CSMS or charger usually starts with some
failures it cannot fix this week. Without a baseline the job stays red and nobody notices the
next regression; with ``--ocpp-baseline=FILE`` the failures it lists are **known
deviations**: still reported everywhere as failures (terminal, JSON, Markdown), but they no
longer make the exit status non-zero. Everything else still does, so the job turns red exactly
when something new breaks.

The file is TOML, one table per deviation::

    [[deviation]]
    id = "TC_010_CSMS"          # required: the OCA test case id (or an OCPI one: OCPI_CMD_01)
    version = "1.6"             # optional: only this version, "OCPI 2.2.1" for an OCPI case
    reason = "ticket CSMS-412"  # required: why it is accepted (shown in every report)
    expires = 2027-03-01        # optional TOML date: from that day on the failure gates again

An expired entry gates again and says so; a listed case that now passes is reported, so the
baseline shrinks as fixes land. ``--ocpp-baseline-write=FILE`` writes the baseline of a run's
failed and errored cases, to start from.

A malformed file is a usage error (exit 4) before any case runs: the option's value is
checked while pytest parses the command line (:func:`option_path`), since a gate that silently
ignores its baseline, or crashes at the end of a long run, is worse than none.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from pytest_ocpp.report.summary import ERROR, FAIL, PASS, CaseResult, Results

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

KNOWN_VERSIONS = ("1.6", "2.0.1", "2.1", "OCPI 2.2.1")
"""The ``version`` of a case as the reports write it: an OCPI case's names its protocol."""
_KEYS = ("id", "version", "reason", "expires")


class BaselineError(Exception):
    """The baseline file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Deviation:
    """One ``[[deviation]]`` entry of the baseline."""

    id: str
    reason: str
    version: str | None = None
    expires: date | None = None

    def matches(self, result: CaseResult) -> bool:
        return result.case["id"] == self.id and self.version in (None, result.case["version"])

    def expired(self, today: date) -> bool:
        """From the ``expires`` day on, the entry no longer covers the failure."""
        return self.expires is not None and today >= self.expires

    def describe(self) -> str:
        """``TC_010_CSMS (1.6)``, as the reports name an entry."""
        return f"{self.id} ({self.version})" if self.version else self.id


@dataclass
class Applied:
    """What a baseline did to one run."""

    path: str
    deviations: list[Deviation]
    fixed: list[tuple[Deviation, list[str]]] = field(default_factory=list)
    """Entries whose cases all passed in this run: the baseline can shrink."""
    expired: list[Deviation] = field(default_factory=list)
    """Entries that matched a failure but have expired: that failure gates again."""
    unused: list[Deviation] = field(default_factory=list)
    """Entries no case of this run matched (not selected, or not applicable)."""


# -- reading ---------------------------------------------------------------------------------
def load(path: Path) -> list[Deviation]:
    """The deviations of the baseline at ``path``; :class:`BaselineError` says what is wrong."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot read the baseline {path}: {exc.strerror or exc}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BaselineError(f"the baseline {path} is not valid TOML: {exc}") from None
    return parse(document, str(path))


def parse(document: dict[str, Any], where: str = "the baseline") -> list[Deviation]:
    """Check a parsed baseline document strictly: a typo (``reson``) must not silently drop
    an entry's reason, and an entry without an id would match nothing."""
    unknown = [key for key in document if key != "deviation"]
    if unknown:
        raise BaselineError(
            f"{where}: unknown top-level key {', '.join(map(repr, unknown))}; "
            'a baseline holds [[deviation]] tables (id = "TC_010_CSMS", reason = "...")'
        )
    entries = document.get("deviation", [])
    if not isinstance(entries, list):
        raise BaselineError(f"{where}: write each deviation as a [[deviation]] table")
    deviations: list[Deviation] = []
    seen: set[tuple[str, str | None]] = set()
    for number, entry in enumerate(entries, start=1):
        deviation = _entry(entry, f"{where}: deviation #{number}")
        key = (deviation.id, deviation.version)
        if key in seen:
            raise BaselineError(
                f"{where}: deviation #{number}: {deviation.describe()} is listed twice"
            )
        seen.add(key)
        deviations.append(deviation)
    return deviations


def _entry(entry: Any, where: str) -> Deviation:
    if not isinstance(entry, dict):
        raise BaselineError(f"{where}: write each deviation as a [[deviation]] table")
    unknown = [key for key in entry if key not in _KEYS]
    if unknown:
        raise BaselineError(
            f"{where}: unknown key {', '.join(map(repr, unknown))}; known: {', '.join(_KEYS)}"
        )
    case_id = entry.get("id")
    if not isinstance(case_id, str) or not case_id.strip():
        raise BaselineError(f'{where}: needs id = "TC_..." (the OCA test case id)')
    where = f"{where} ({case_id})"
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise BaselineError(f'{where}: needs reason = "..." (why the deviation is accepted)')
    version = entry.get("version")
    if version is not None and version not in KNOWN_VERSIONS:
        raise BaselineError(
            f"{where}: version = {version!r}; one of {', '.join(KNOWN_VERSIONS)} "
            "(a string), or leave it out for every version"
        )
    return Deviation(
        id=case_id.strip(),
        reason=reason.strip(),
        version=version,
        expires=_expiry(entry.get("expires"), where),
    )


def _expiry(value: Any, where: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise BaselineError(f"{where}: expires = {value!r}; write a TOML date: expires = 2027-03-01")


def option_path(value: str) -> str:
    """``type`` of ``--ocpp-baseline``: the file must exist and parse, or pytest stops with a
    usage error (exit 4) naming the problem before any case runs. Returns the path unchanged
    (option values travel to pytest-xdist workers, so they stay plain strings)."""
    try:
        load(Path(value))
    except BaselineError as exc:
        raise argparse.ArgumentTypeError(f"pytest-ocpp: {exc}") from None
    return value


# -- applying --------------------------------------------------------------------------------
def apply(results: Results, deviations: list[Deviation], path: str, today: date) -> Applied:
    """Mark the failures ``deviations`` list as known deviations (expired entries say so
    instead), and note the entries whose cases now pass."""
    applied = Applied(path=path, deviations=deviations)
    for deviation in deviations:
        matched = [r for r in results.cases.values() if deviation.matches(r)]
        failing = [r for r in matched if r.verdict in (FAIL, ERROR)]
        for r in failing:
            r.baseline_reason = deviation.reason
            if deviation.expired(today):
                r.baselined = False
                r.baseline_expired = str(deviation.expires)
            else:
                r.baselined = True
        if failing and deviation.expired(today):
            applied.expired.append(deviation)
        if matched and all(r.verdict == PASS for r in matched):
            applied.fixed.append((deviation, sorted({r.case["id"] for r in matched})))
        elif not matched:
            applied.unused.append(deviation)
    results.baseline = applied
    return applied


def gate(session: pytest.Session, results: Results, today: date | None = None) -> None:
    """Apply ``--ocpp-baseline`` and ``--ocpp-baseline-write``, then set the exit status: 1
    exactly when a case failed or errored outside the baseline, or a test that is not an OCPP
    case failed. pytest's other statuses (interrupted, internal or usage error, no tests
    collected) are left alone: they say the run itself went wrong."""
    config = session.config
    if hasattr(config, "workerinput"):
        return  # an xdist worker: the controller holds every verdict and decides
    path = config.getoption("--ocpp-baseline", None)
    if path:
        try:
            deviations = load(Path(path))
        except BaselineError as exc:  # changed since the command line was parsed
            print(f"pytest-ocpp: {exc}", file=sys.stderr)
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
            return
        apply(results, deviations, path, today or date.today())
    written = config.getoption("--ocpp-baseline-write", None)
    if written:
        count = write(Path(written), results.cases.values())
        results.notes.append(
            f"pytest-ocpp: baseline of {count} failed or errored cases written to {written}"
        )
    status = session.exitstatus
    if status not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return
    gating = any(r.gating for r in results.cases.values())
    if gating:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif status == pytest.ExitCode.TESTS_FAILED and path and not _other_failures(config, results):
        session.exitstatus = pytest.ExitCode.OK
        # pytest's own last line still counts the failures: say why the run passes anyway.
        results.notes.append(
            f"pytest-ocpp: exit status 0: every failure is a known deviation listed in {path}"
        )


def _other_failures(config: pytest.Config, results: Results) -> bool:
    """Whether anything besides the (known-deviation) OCPP cases failed: a plain test in the
    same run, a collection error, a fixture's teardown. Read from the terminal reporter's
    tally; without it nothing can be proven, so the failure stands."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return True
    cases = set(results.cases)
    for key in ("failed", "error"):
        for report in reporter.stats.get(key, []):
            if getattr(report, "nodeid", None) not in cases:
                return True
            result = results.cases[report.nodeid]
            if result.gating or result.verdict not in (FAIL, ERROR):
                return True
    return False


# -- writing ---------------------------------------------------------------------------------
def write(path: Path, cases: Iterable[CaseResult]) -> int:
    """Write a baseline listing ``cases``' failures and errors (reason: the first line of
    their message, no expiry) and return how many entries it has."""
    failing = sorted(
        (r for r in cases if r.verdict in (FAIL, ERROR)),
        key=lambda r: (r.case["version"], r.case["id"]),
    )
    lines = [
        "# pytest-ocpp baseline: known deviations (--ocpp-baseline). Each entry's failure is",
        "# reported but does not fail the run; add expires = YYYY-MM-DD to make it gate again.",
        f"# Written {date.today()} from a run with {len(failing)} failed or errored cases.",
    ]
    seen: set[tuple[str, str]] = set()
    for r in failing:
        key = (r.case["id"], r.case["version"])
        if key in seen:
            continue
        seen.add(key)
        reason = r.reason_line or f"{r.verdict} (no message)"
        lines += [
            "",
            "[[deviation]]",
            f"id = {_toml_string(r.case['id'])}",
            f"version = {_toml_string(r.case['version'])}",
            f"reason = {_toml_string(reason[:500])}",
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return len(seen)


def _toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, except that TOML also forbids DEL."""
    return json.dumps(text).replace("\x7f", "\\u007f")
