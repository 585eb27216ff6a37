"""Shared plumbing for the end-to-end tests: run the bundled suite as users run it and read its
verdicts.

The defect files (``test_*_defects*.py``), the bad-target files and the conformant proof all do
the same thing: host something on loopback (a reference CSMS or station, broken or not, or a few
lines of plain ``websockets``), run ``python -m pytest`` against it in a separate process, as a
CSMS or charger team would, and judge the verdicts of the JSON compliance report. That
machinery lives here once, so each test file states only what it proves: which target, which
cases, which verdict, and which phrase the failure message must contain (so a case failing for
an unrelated reason does not count).
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import random
import re
import shlex
import socket
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import pytest
import zygote

from pytest_ocpp.config import IdTags
from pytest_ocpp.embedded import reference_id_tags
from pytest_ocpp.reference.csms import ReferenceCsms
from pytest_ocpp.reference.runner import BackgroundLoop
from pytest_ocpp.reference.station import ReferenceStation
from pytest_ocpp.reference.station201 import ReferenceStation201

RUN_TIMEOUT = 90.0
"""Upper bound for one pytest process; the slowest defect run (a conformant station going
through every case of a file) takes ~40 s."""

PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "not applicable"


@dataclass(frozen=True)
class Defect:
    """One broken behaviour of a reference (a ``DEFECTS`` toggle), the cases that must fail on
    it, and a phrase their failure message must contain, so a case failing for an unrelated
    reason does not count."""

    name: str
    cases: tuple[str, ...]
    cause: str

    def __str__(self) -> str:
        return self.name


# -- addresses and command lines -------------------------------------------------------------
_PORTS_BELOW_EPHEMERAL = (10000, 32000)
"""Where :func:`free_port` looks: below Linux's ephemeral range (32768-60999), which every
outgoing connection and every ``bind(0)`` draws from. A port taken from that range can be
handed to some client socket before the pytest process that was told to listen on it is up
(seen with two xdist workers: "Address already in use")."""


def free_port() -> int:
    """A loopback port nobody listens on right now: for ``--ocpp-listen``, whose station must
    know the address before the pytest process is up, and for an unreachable target.

    Chosen at random below the ephemeral range, each xdist worker in its own slice, so neither
    another worker nor an outgoing connection takes it in the meantime."""
    low, high = _PORTS_BELOW_EPHEMERAL
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(worker) if worker.isdigit() else 0
    span = (high - low) // max(workers, 1)
    start = low + index * span
    for _ in range(200):
        port = random.randrange(start, start + span)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port in {start}-{start + span}")


def keyword(ids: Iterable[str]) -> str:
    """``-k`` expression selecting exactly these cases.

    pytest matches ``-k`` names as case-insensitive substrings. No two CSMS-side ids nest
    (``test_tc_023_csms`` is no substring of ``test_tc_023_1_csms``), and neither do the
    station-side ones, but a station id is a prefix of its CSMS twin (``test_tc_044_1_cs`` of
    ``test_tc_044_1_csms``), so station-only selections also exclude the ``csms`` folder."""
    ids = list(ids)
    selection = "(" + " or ".join(f"test_{case.lower()}" for case in ids) + ")"
    if ids and all(case.endswith("_CS") for case in ids):
        selection += " and not csms"
    return selection


def operator_command(control_url: str) -> str:
    """The ``command`` operator line driving a reference through its control channel, as a
    team would wire its own CSMS or charger into ``--ocpp-*-operator``."""
    return f"{shlex.quote(sys.executable)} -m pytest_ocpp.reference.control {control_url}"


# -- running the suite -----------------------------------------------------------------------
@dataclass(frozen=True)
class Report:
    """What one pytest process said: the JSON report's cases, its exit status and output."""

    workdir: Path
    cases: list[dict[str, Any]]
    returncode: int
    stdout: str
    stderr: str

    @property
    def verdicts(self) -> dict[str, tuple[str, str]]:
        """Case id -> (verdict, message); a message the report leaves out is ``""``."""
        return {c["id"]: (c["verdict"], c["message"] or "") for c in self.cases}

    @property
    def output(self) -> str:
        """The tail of the process's output, to explain a failed assertion."""
        return (
            f"run in {self.workdir.name}, pytest exited {self.returncode}; output:\n"
            f"{self.stdout[-5000:]}{self.stderr[-2000:]}"
        )


STRAY = (
    "Future exception was never retrieved",
    "Task exception was never retrieved",
    "Task was destroyed but it is pending",
    "Exception ignored in",
    "Traceback (most recent call last)",
    "Unclosed client session",
    "ResourceWarning",
)
"""What our own tasks leave behind when they end badly (issue 16 pt 7)."""
_LAST_LINE = re.compile(r"^=+ .* in [0-9.]+s(?: \([0-9:]+\))? =+$", re.MULTILINE)


def stray_output(stdout: str, stderr: str) -> str:
    """Whatever a run printed after pytest's final summary line, and anything from
    :data:`STRAY` in its standard error: '' when the run ended cleanly. Every suite run of
    this test suite is checked, clean or failing, so a leak shows in whichever run has it."""
    found = [phrase for phrase in STRAY if phrase in stderr]
    lines = list(_LAST_LINE.finditer(stdout))
    after = stdout[lines[-1].end() :].strip() if lines else ""
    if after:
        found.append(f"after the summary line: {after[:500]!r}")
    return "; ".join(found)


PYCACHE = Path(tempfile.gettempdir()) / f"pytest-ocpp-pycache-{os.getuid()}"
"""Where the suite runs of this test suite cache their bytecode (PYTHONPYCACHEPREFIX)."""


def _run_environment(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` for a suite run. Hundreds of runs would each compile the package and rewrite
    the assertions of every case module (a second of CPU a run) unless bytecode is cached:
    kept out of the working tree, shared by all runs and workers (Python and pytest write pyc
    files atomically)."""
    environment = dict(env)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return environment


def run_pytest(
    workdir: Path,
    *args: str,
    timeout: float = RUN_TIMEOUT,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m pytest *args`` in ``workdir``, without the cache plugin (nothing written
    into the working tree), output captured; ``env`` replaces this process's environment."""
    workdir.mkdir(parents=True, exist_ok=True)
    environment = _run_environment(os.environ if env is None else env)
    # hypothesis's pytest plugin imports hypothesis in every run's terminal summary (0.7 s of
    # CPU, hundreds of runs here); only the fuzz proofs, which pass its options, need it.
    quiet = [] if any(a.startswith("--hypothesis") for a in args) else ["-p", "no:hypothesispytest"]
    options = ["-p", "no:cacheprovider", *quiet, *args]
    if not os.environ.get("PYTEST_OCPP_COLD_RUNS"):
        # Forked from a process that has imported pytest and the plugins once (zygote.py):
        # the same run, half the CPU. PYTEST_OCPP_COLD_RUNS=1 starts each from scratch.
        usual = _run_environment(os.environ)
        return zygote.run(workdir, options, environment, timeout, usual_env=usual)
    return subprocess.run(
        [sys.executable, "-m", "pytest", *options],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=environment,
    )


def run_suite(
    workdir: Path,
    *args: str,
    ids: Iterable[str] | None = None,
    timeout: float = RUN_TIMEOUT,
    connect_timeout: float | None = None,
    response_timeout: float | None = None,
    message_timeout: float | None = None,
    operator_timeout: float | None = None,
    reboot_timeout: float | None = None,
    transfer_timeout: float | None = None,
    declared_features: Collection[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Report:
    """Run the suite (``ids`` only, else everything ``args`` selects) and read its report.

    The ``*_timeout`` values become the ``--ocpp-*-timeout`` options (None: the plugin's
    default); runs against broken targets keep them short, since waiting out a timeout is how
    many defects show. ``declared_features`` goes to ``--ocpp-config`` as ``[station]
    features``: what the configuration claims the station supports, which may differ from what
    it does. A run that writes no report fails here, with its output: every caller needs one.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    report = workdir / "r.json"
    options = [*args, "--ocpp-report", str(report)]
    if ids is not None:
        options += ["-k", keyword(ids)]
    for name, value in (
        ("connect", connect_timeout),
        ("response", response_timeout),
        ("message", message_timeout),
        ("operator", operator_timeout),
        ("reboot", reboot_timeout),
        ("transfer", transfer_timeout),
    ):
        if value is not None:
            options += [f"--ocpp-{name}-timeout", f"{value:g}"]
    if declared_features is not None:
        config = workdir / "ocpp.toml"
        config.write_text(f"[station]\nfeatures = {json.dumps(list(declared_features))}\n", "utf-8")
        options += ["--ocpp-config", str(config)]
    done = run_pytest(workdir, *options, timeout=timeout, env=env)
    assert report.exists(), (
        f"no compliance report written (exit {done.returncode}):\n"
        f"{done.stdout[-5000:]}{done.stderr[-2000:]}"
    )
    stray = stray_output(done.stdout, done.stderr)
    assert not stray, f"stray output in {workdir}: {stray}\n{done.stderr[-3000:]}"
    return Report(
        workdir=workdir,
        cases=json.loads(report.read_text("utf-8"))["cases"],
        returncode=done.returncode,
        stdout=done.stdout,
        stderr=done.stderr,
    )


# -- hosting targets -------------------------------------------------------------------------
@dataclass(frozen=True)
class Hosted:
    """Something served in this process, and the pytest options that point the suite at it."""

    url: str
    args: tuple[str, ...]


class _Server(Protocol):
    """What ``websockets`` and ``asyncio`` servers share: enough to find the port and stop."""

    @property
    def sockets(self) -> Any: ...

    def close(self) -> None: ...

    async def wait_closed(self) -> None: ...


@contextmanager
def hosted_server(start: Callable[[], Awaitable[_Server]], name: str) -> Iterator[Hosted]:
    """Serve whatever ``start`` opens on loopback in a background loop of its own (a server in
    the test's loop would stall while the test waits on its subprocess); yields its
    ``--ocpp-target``."""
    with BackgroundLoop(name) as loop:

        async def opened() -> _Server:
            return await start()

        server = loop.run(opened())
        port = server.sockets[0].getsockname()[1]
        url = f"ws://127.0.0.1:{port}/ocpp"
        try:
            yield Hosted(url, ("--ocpp-target", url))
        finally:

            async def stop() -> None:
                server.close()
                await server.wait_closed()

            loop.run(stop())


@contextmanager
def reference_csms(defects: Collection[str] = (), **options: Any) -> Iterator[Hosted]:
    """A reference CSMS with ``defects`` (none: conformant) in a background loop; yields the
    ``--ocpp-target`` and the ``--ocpp-csms-operator`` driving it through its control CLI.

    It knows the id tags the suite's default configuration uses; ``options`` go to
    :class:`ReferenceCsms` (its 5 s ``response_timeout`` keeps a broken run from waiting 30 s
    on a station that will never answer)."""
    settings: dict[str, Any] = {"id_tags": reference_id_tags(IdTags()), "response_timeout": 5.0}
    csms = ReferenceCsms(defects=list(defects), **{**settings, **options})
    with BackgroundLoop(f"csms-{'-'.join(defects) or 'conformant'}") as loop:
        loop.run(csms.start())
        try:
            yield Hosted(
                csms.url,
                (
                    "--ocpp-target",
                    csms.url,
                    "--ocpp-csms-operator",
                    operator_command(csms.control_url),
                ),
            )
        finally:
            loop.run(csms.stop())


def csms16_defect_run(
    defect: Defect,
    controls: tuple[str, ...],
    workdir: Path,
    *,
    operator_timeout: float = 10.0,
) -> Report:
    """The proof run of one 1.6 CSMS-side defect: ``defect.cases`` and the ``controls`` that
    must still pass, against a reference CSMS with just that defect, with 2 s timeouts (the
    reference answers in milliseconds, so only a broken behaviour ever waits them out)."""
    with reference_csms([defect.name], versions=("1.6",)) as csms:
        return run_suite(
            workdir,
            *csms.args,
            "--ocpp-version",
            "1.6",
            ids=defect.cases + controls,
            response_timeout=2,
            message_timeout=2,
            operator_timeout=operator_timeout,
        )


def csms201_defect_run(
    defect: Defect,
    controls: tuple[str, ...],
    workdir: Path,
    *,
    operator_timeout: float = 10.0,
    extra_args: tuple[str, ...] = (),
) -> Report:
    """The proof run of one 2.0.1 CSMS-side defect: ``defect.cases`` and the ``controls`` that
    must still pass, against a reference CSMS with just that defect, 2.0.1 only, with 2 s
    timeouts (the reference answers in milliseconds, so only a broken behaviour waits them
    out). ``extra_args`` go to pytest (e.g. ``--ocpp-config``)."""
    with reference_csms([defect.name], versions=("2.0.1",)) as csms:
        return run_suite(
            workdir,
            *csms.args,
            "--ocpp-version",
            "2.0.1",
            *extra_args,
            ids=defect.cases + controls,
            response_timeout=2,
            message_timeout=2,
            operator_timeout=operator_timeout,
        )


@contextmanager
def reference_station(
    defects: Collection[str] = (), *, scheme: str = "ws", **options: Any
) -> Iterator[Hosted]:
    """A reference station with ``defects`` (none: conformant) in a background loop, connecting
    to a free port over ``scheme`` (``wss`` for security profiles 2 and 3); yields the
    ``--ocpp-listen`` address and the ``--ocpp-station-operator`` driving it through its
    control channel.

    The station starts before the pytest process listens and retries with backoff until it
    does; the 1 s ``reconnect_max_delay`` keeps that wait short. ``options`` go to
    :class:`ReferenceStation` (``features``, ``response_timeout``, TLS files, password ...)."""
    port = free_port()
    url = f"{scheme}://127.0.0.1:{port}/ocpp"
    settings: dict[str, Any] = {
        "control_port": 0,
        "response_timeout": 5.0,
        "reconnect_max_delay": 1.0,
    }
    station = ReferenceStation(csms_url=url, defects=list(defects), **{**settings, **options})
    with BackgroundLoop(f"station-{'-'.join(defects) or 'conformant'}") as loop:
        loop.run(station.start())
        assert station.control_url is not None
        try:
            yield Hosted(
                url,
                (
                    "--ocpp-listen",
                    f"127.0.0.1:{port}",
                    "--ocpp-station-operator",
                    operator_command(station.control_url),
                ),
            )
        finally:
            loop.run(station.stop())


@contextmanager
def reference_station201(
    defects: Collection[str] = (), *, scheme: str = "ws", **options: Any
) -> Iterator[Hosted]:
    """A reference 2.0.1 station with ``defects`` (none: conformant) in a background loop,
    connecting to a free port over ``scheme``; yields the ``--ocpp-listen`` address,
    ``--ocpp-version 2.0.1`` and the ``--ocpp-station-operator`` driving it through its
    control channel. ``options`` go to :class:`ReferenceStation201` (``evses``,
    ``variables``, ``variants``, TLS files ...)."""
    port = free_port()
    url = f"{scheme}://127.0.0.1:{port}/ocpp"
    settings: dict[str, Any] = {
        "control_port": 0,
        "response_timeout": 5.0,
        "reconnect_delay": 0.5,
    }
    station = ReferenceStation201(url, defects=list(defects), **{**settings, **options})
    with BackgroundLoop(f"station201-{'-'.join(defects) or 'conformant'}") as loop:
        loop.run(station.start())
        assert station.control_url is not None
        try:
            yield Hosted(
                url,
                (
                    "--ocpp-listen",
                    f"127.0.0.1:{port}",
                    "--ocpp-version",
                    "2.0.1",
                    "--ocpp-station-operator",
                    operator_command(station.control_url),
                ),
            )
        finally:
            loop.run(station.stop())


def _station201_run(
    cases: tuple[str, ...],
    defects: tuple[str, ...],
    station: Mapping[str, Any],
    options: Mapping[str, Any],
    workdir: Path,
) -> Report:
    with reference_station201(defects, **station) as hosted:
        return run_suite(workdir, *hosted.args, ids=cases, **options)


def station201_job(
    cases: Iterable[str],
    defects: Iterable[str] = (),
    *,
    station: Mapping[str, Any] | None = None,
    **options: Any,
) -> Job:
    """A job running 2.0.1 ``cases`` against a reference 2.0.1 station with ``defects``
    (none: conformant); ``station`` goes to its constructor, ``options`` to :func:`run_suite`
    (timeouts)."""
    return partial(_station201_run, tuple(cases), tuple(defects), dict(station or {}), options)


def station201_defect_jobs(
    table: Iterable[Defect], controls: Mapping[str, tuple[str, ...]] | None = None, **options: Any
) -> dict[str, Job]:
    """One job per defect: its cases plus its ``controls`` (cases that meet the broken
    behaviour without judging it and must still pass) against a reference 2.0.1 station with
    just that defect; and a ``"conformant"`` job running every case of the table against a
    conformant station. ``options`` go to :func:`run_suite`."""
    table = list(table)
    controls = controls or {}
    jobs = {"conformant": station201_job(cases_of(table), **options)}
    for defect in table:
        cases = defect.cases + tuple(controls.get(defect.name, ()))
        jobs[defect.name] = station201_job(cases, (defect.name,), **options)
    return jobs


# -- running many at once --------------------------------------------------------------------
Job = Callable[[Path], Report]
"""One pytest process to run, given a fresh work directory."""


@dataclass(frozen=True)
class Runs:
    """Reports still being produced in the background, by name; indexing waits for one."""

    futures: dict[str, Future[Report]]
    timeout: float

    def __getitem__(self, name: str) -> Report:
        return self.futures[name].result(timeout=self.timeout)


def _selected(request: pytest.FixtureRequest, param: str) -> set[str]:
    """``str()`` of the ``param`` values of this module's collected tests."""
    return {
        str(item.callspec.params[param])
        for item in request.session.items
        if item.module is request.module
        and hasattr(item, "callspec")
        and param in item.callspec.params
    }


def start_runs(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    jobs: Mapping[str, Job],
    *,
    param: str | None = None,
    keep: Collection[str] = (),
    workers: int = 4,
    timeout: float = RUN_TIMEOUT * 3,
) -> Iterator[Runs]:
    """Body of a module fixture: start the jobs on a thread pool, each in a fresh work
    directory named after it, and yield them as :class:`Runs`.

    With ``param``, only the jobs named by that parameter of a selected test (``-k``, a node
    id) start, plus ``keep``, the controls every test needs. Each run mostly waits on sockets,
    timeouts and the station's timers, so a few at a time cut a file's wall time several-fold;
    more would only fight over the CPUs for pytest's start-up. ``timeout`` bounds the wait for
    one report, queueing included. The fixture's teardown waits for the jobs still running."""
    wanted = set(jobs) if param is None else _selected(request, param) | set(keep)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {
            name: pool.submit(job, tmp_path_factory.mktemp(name))
            for name, job in jobs.items()
            if name in wanted
        }
        yield Runs(futures, timeout)


def runs_fixture(
    jobs: Mapping[str, Job],
    *,
    param: str | None = None,
    keep: Collection[str] = (),
    workers: int = 4,
    timeout: float = RUN_TIMEOUT * 3,
) -> Any:
    """A module-scoped fixture named ``runs`` serving :func:`start_runs` of ``jobs``; assign
    it to a module-level name so pytest finds it: ``runs = runs_fixture(...)``."""

    @pytest.fixture(scope="module", name="runs")
    def fixture(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[Runs]:
        yield from start_runs(
            request,
            tmp_path_factory,
            jobs,
            param=param,
            keep=keep,
            workers=workers,
            timeout=timeout,
        )

    return fixture


def cases_of(table: Iterable[Defect]) -> tuple[str, ...]:
    """Every case some defect of ``table`` must fail, sorted, each once."""
    return tuple(sorted({case for defect in table for case in defect.cases}))


def _station_run(
    cases: tuple[str, ...],
    defects: tuple[str, ...],
    station: Mapping[str, Any],
    options: Mapping[str, Any],
    workdir: Path,
) -> Report:
    with reference_station(defects, **station) as hosted:
        return run_suite(workdir, *hosted.args, ids=cases, **options)


def station_job(
    cases: Iterable[str],
    defects: Iterable[str] = (),
    *,
    features: Collection[str] | None = None,
    **options: Any,
) -> Job:
    """A job running ``cases`` against a reference station with ``defects`` (none:
    conformant) that really supports ``features`` (None: every profile); ``options`` go to
    :func:`run_suite` (timeouts, ``declared_features``)."""
    station = {} if features is None else {"features": tuple(features)}
    return partial(_station_run, tuple(cases), tuple(defects), station, options)


def station_defect_jobs(table: Iterable[Defect], **options: Any) -> dict[str, Job]:
    """One job per defect, its cases against a reference station with just that defect, and a
    ``"conformant"`` job running every case of the table against a conformant station (so a
    harness that fails everything proves nothing). ``options`` go to :func:`run_suite`."""
    table = list(table)
    jobs = {"conformant": station_job(cases_of(table), **options)}
    for defect in table:
        jobs[defect.name] = station_job(defect.cases, (defect.name,), **options)
    return jobs


# -- the catalogue of implemented cases ------------------------------------------------------
def implemented_cases(package: ModuleType, version: str) -> set[str]:
    """The OCA ids of every test function under ``package`` (e.g.
    ``pytest_ocpp.testcases.ocpp201.csms``) for ``version``, read from their ``ocpp_case``
    markers after importing the modules as the plugin's collection does."""
    found: set[str] = set()
    for module_info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            for mark in getattr(value, "pytestmark", ()):
                if mark.name == "ocpp_case" and mark.kwargs.get("version") == version:
                    found.add(mark.kwargs["id"])
    return found


# -- judging verdicts ------------------------------------------------------------------------
def _judged(report: Report, ids: Iterable[str], expected: str) -> Iterator[tuple[str, str]]:
    """(case, message) for each of ``ids``, once it is known to have run with ``expected``."""
    verdicts = report.verdicts
    for case in ids:
        assert case in verdicts, f"{case} did not run; {report.output}"
        verdict, message = verdicts[case]
        assert verdict == expected, (
            f"{case} should be {expected} but was {verdict}: {message!r}; {report.output}"
        )
        yield case, message


def assert_fails(report: Report, ids: Iterable[str], because: str | Iterable[str]) -> None:
    """Each case ran and got "fail" (not "error", not "not applicable") with every phrase of
    ``because`` in its message, so a case failing for an unrelated reason does not count."""
    phrases = (because,) if isinstance(because, str) else tuple(because)
    for case, message in _judged(report, ids, FAIL):
        assert message, f"{case} failed without a message; {report.output}"
        for phrase in phrases:
            assert phrase in message, (
                f"{case} failed, but not because of the breakage: {message!r} "
                f"(expected the message to mention {phrase!r})"
            )


def assert_passes(report: Report, ids: Iterable[str]) -> None:
    """Each case ran and passed: the control beside a breakage, or the conformant half."""
    for _ in _judged(report, ids, PASS):
        pass


def assert_not_applicable(report: Report, ids: Iterable[str], because: str = "") -> None:
    """Each case ran and was "not applicable", with ``because`` in the reason."""
    for case, message in _judged(report, ids, NOT_APPLICABLE):
        assert because in message, f"{case}: expected {because!r} in {message!r}"


def assert_ran_exactly(report: Report, ids: Iterable[str]) -> None:
    """The run reported these cases and no others (a selection gone wrong shows here)."""
    assert sorted(report.verdicts) == sorted(set(ids)), (
        f"cases run: {sorted(report.verdicts)}; {report.output}"
    )


def assert_defect_caught(report: Report, defect: Defect) -> None:
    """The defect's cases all fail because of it, and pytest exits 1 (cases failed)."""
    assert_fails(report, defect.cases, because=defect.cause)
    assert report.returncode == 1, f"pytest should exit 1 (cases failed); {report.output}"


def assert_conformant(report: Report, ids: Collection[str]) -> None:
    """Exactly these cases ran, all passed, and pytest exits 0: the half of a defect proof
    showing the cases do not fail everything."""
    assert_ran_exactly(report, ids)
    assert_passes(report, ids)
    assert report.returncode == 0, f"pytest should exit 0; {report.output}"
