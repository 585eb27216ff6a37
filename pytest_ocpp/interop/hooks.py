"""pytest glue for issue 23: the coverage statement, traces out, traces in.

Registered by :mod:`pytest_ocpp.plugin` (``pytest_plugins``); every hook only calls
:mod:`.coverage`, :mod:`.opentrace` or :mod:`.checker`.

* ``--ocpp-coverage[=table|json|markdown]`` prints the coverage statement and ends the run
  before collection: no target, no cases, no configuration needed;
* ``--ocpp-trace-dir=DIR`` (``--ocpp-trace-format=open-ocpp-trace``) writes one JSONL file per
  case that exchanged frames, beside the JSON report and the Allure attachments, which stay as
  they are;
* ``--ocpp-check-trace=FILE.jsonl`` collects that file instead of the bundled cases: one item
  per violation (failing, quoting the frames and the rule) and one passing item per rule the
  trace keeps; a trace with no record is one failing item.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_ocpp.interop import checker, coverage, opentrace, trigger

_TRACE_DIR = "--ocpp-trace-dir"
_CHECK = "--ocpp-check-trace"
_CHECK_KEY = pytest.StashKey[Path]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ocpp")
    group.addoption(
        "--ocpp-coverage",
        nargs="?",
        const="table",
        default=None,
        choices=("table", "json", "markdown"),
        help="print which catalogue cases are implemented, provisional, declined (with the "
        "reason) or not yet built, per version, side and profile, and exit (no target needed; "
        "write --ocpp-coverage=json, not '--ocpp-coverage json')",
    )
    group.addoption(
        _TRACE_DIR,
        default=None,
        metavar="DIR",
        help="write every case's frames to DIR, one JSONL file per case [ini ocpp_trace_dir]",
    )
    group.addoption(
        "--ocpp-trace-format",
        default=None,
        choices=opentrace.FORMATS,
        help="format of --ocpp-trace-dir files (default open-ocpp-trace, v1.1) "
        "[ini ocpp_trace_format]",
    )
    group.addoption(
        _CHECK,
        default=None,
        metavar="FILE.jsonl",
        help="judge an open-ocpp-trace file recorded elsewhere instead of running cases: one "
        "failing item per violation (framing, schemas, date-times, correlation, message ids, "
        "error codes, 1.6 status transitions); --ocpp-version names the version of records "
        "without ocppVersion",
    )
    parser.addini("ocpp_trace_dir", "directory for per-case JSONL traces", default=None)
    parser.addini("ocpp_trace_format", "format of the per-case traces", default=None)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    style = config.getoption("--ocpp-coverage", None)
    if style is None:
        return None
    return coverage.write(style, sys.stdout)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    fmt = config.getoption("--ocpp-trace-format") or config.getini("ocpp_trace_format")
    if fmt and fmt not in opentrace.FORMATS:
        raise pytest.UsageError(
            f"pytest-ocpp: --ocpp-trace-format {fmt!r} is not known; known: "
            f"{', '.join(opentrace.FORMATS)}"
        )
    _check_operator(config)
    path = config.getoption(_CHECK)
    if not path:
        return
    trace = Path(path).resolve()
    if not trace.is_file():
        raise pytest.UsageError(f"pytest-ocpp: {_CHECK}: {path} is not a file")
    config.stash[_CHECK_KEY] = trace
    config.args[:] = [str(trace)]


def _check_operator(config: pytest.Config) -> None:
    """A ``tzi-octt:`` / ``open-ocpp-tck:`` operator without a usable URL is a usage error
    before any case runs, not an error in every case."""
    from pytest_ocpp.plugin import CONFIG_KEY

    ocpp_config = config.stash.get(CONFIG_KEY, None)
    setting = ocpp_config.csms_operator if ocpp_config is not None else None
    if not setting:
        return
    try:
        trigger.parse(setting)
    except ValueError as exc:
        raise pytest.UsageError(f"pytest-ocpp: {exc}") from None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    wanted = parent.config.stash.get(_CHECK_KEY, None)
    if wanted is not None and file_path.resolve() == wanted:
        return TraceFile.from_parent(parent, path=file_path)
    return None


class TraceFile(pytest.File):
    """A recorded trace: its items are the checker's verdicts."""

    def collect(self) -> Any:
        from pytest_ocpp.plugin import CONFIG_KEY

        ocpp_config = self.config.stash.get(CONFIG_KEY, None)
        version = ocpp_config.versions[0].name if ocpp_config is not None else "1.6"
        violations = checker.check(opentrace.read(self.path), default_version=version)
        if [v.message for v in violations] == [checker.EMPTY]:
            # One failing item: a passing item per rule would claim rules held on nothing.
            yield TraceRule.from_parent(
                self, name="trace-format[no frames]", violation=violations[0]
            )
            return
        broken = {v.rule for v in violations}
        for rule in checker.RULES:
            if rule not in broken:
                yield TraceRule.from_parent(self, name=rule.replace(" ", "-"), violation=None)
        for violation in violations:
            lines = "+".join(str(n) for n in violation.lines)
            name = f"{violation.rule.replace(' ', '-')}[line {lines}]"
            yield TraceRule.from_parent(self, name=name, violation=violation)


class TraceViolation(AssertionError):
    """A rule the recorded trace breaks (a verdict on the recorded peer, not our error)."""


class TraceRule(pytest.Item):
    def __init__(self, *, violation: checker.Violation | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.violation = violation

    def runtest(self) -> None:
        if self.violation is not None:
            raise TraceViolation(self.violation.render())

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, TraceViolation):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = self.violation.lines[0] - 1 if self.violation and self.violation.lines else None
        return self.path, line, self.name


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if call.when == "call":
        _write_trace(item)
    return report


def _write_trace(item: pytest.Item) -> None:
    """The case's frames as one JSONL file in ``--ocpp-trace-dir``."""
    config = item.config
    directory = config.getoption(_TRACE_DIR) or config.getini("ocpp_trace_dir")
    marker = item.get_closest_marker("ocpp_case")
    ctx = getattr(item, "funcargs", {}).get("ocpp_case_context")
    if not directory or marker is None or ctx is None:
        return
    kwargs = marker.kwargs
    callspec = getattr(item, "callspec", None)
    name = opentrace.file_name(kwargs["id"], kwargs["version"], callspec.id if callspec else "")
    found, _skipped = opentrace.records(
        ctx.trace, version=kwargs["version"], side=kwargs["side"], case_id=kwargs["id"]
    )
    path = Path(directory) / name
    if not found:
        # A case that exchanged no frame (not applicable before it connected) has no trace;
        # an empty file would fail --ocpp-check-trace. An older run's file for it would now
        # describe another run, so it goes too.
        path.unlink(missing_ok=True)
        return
    opentrace.write(path, found)
