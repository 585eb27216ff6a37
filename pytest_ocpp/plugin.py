"""pytest glue only: options and ini keys, markers, fixtures, hooks.

Logic lives in the modules these hooks call; if a hook grows, move the growth out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from pytest_ocpp import masking, operators, parallel, selection
from pytest_ocpp.case import CaseContext
from pytest_ocpp.catalog import case_marker
from pytest_ocpp.config import (
    ALL_VERSIONS,
    OPTIONS,
    ConfigError,
    IdTags,
    OcppConfig,
    build_config,
    profile_key,
)
from pytest_ocpp.csms import FakeCsms, fake_csmss
from pytest_ocpp.fuzz import rules as fuzz_rules
from pytest_ocpp.load import gate as load_gate
from pytest_ocpp.report import allure as allure_report
from pytest_ocpp.report import summary
from pytest_ocpp.sim.fixture import ocpp_sim, ocpp_sim_broker  # noqa: F401 (fixtures)
from pytest_ocpp.station import FakeStation, Station16, Station201
from pytest_ocpp.transfer import FileServers
from pytest_ocpp.transport import listen_problem, unreachable
from pytest_ocpp.verdicts import NotApplicable
from pytest_ocpp.versions import get_version

pytest_plugins = ("pytest_ocpp.ocpi.plugin", "pytest_ocpp.interop.hooks")
"""The OCPI 2.2.1 half (the eMSP role): its options, fixtures and hooks; the coverage
statement and open-ocpp-trace out and in (issue 23, :mod:`pytest_ocpp.interop.hooks`)."""
_CONTROLLER: dict[str, pytest.Config] = {}
"""This process's config, for hooks that pytest calls without one (runtest_logreport)."""
CONFIG_KEY = pytest.StashKey[OcppConfig]()
RESULTS_KEY = pytest.StashKey[summary.Results]()
NARROWED_KEY = pytest.StashKey[set[Path]]()
STATION_CLASSES: dict[str, type[FakeStation]] = {"1.6": Station16, "2.0.1": Station201}


def _testcases_dir() -> Path:
    """The bundled scenarios: ``pytest_ocpp/testcases`` once installed, ``testcases/`` at the
    root of a source checkout (setup.py maps one onto the other)."""
    here = Path(__file__).resolve().parent
    installed = here / "testcases"
    return installed if installed.is_dir() else here.parent / "testcases"


TESTCASES = _testcases_dir()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ocpp", "OCPP conformance (pytest-ocpp)")
    for opt in OPTIONS:
        help_text = f"{opt.help} [env {opt.env}; ini {opt.ini}]"
        if opt.kind == "flag":
            group.addoption(opt.flag, action="store_true", default=None, help=help_text)
            parser.addini(opt.ini, opt.help, type="bool", default=False)
        else:
            group.addoption(opt.flag, default=None, help=help_text)
            parser.addini(opt.ini, opt.help, default=None)
    from pytest_ocpp.report import baseline

    group.addoption(
        "--ocpp-report",
        default=None,
        help="write the machine-readable compliance report (JSON, format pytest-ocpp-report v1)",
    )
    group.addoption(
        "--ocpp-report-md",
        default=None,
        metavar="FILE.md",
        help="write a Markdown compliance summary (e.g. --ocpp-report-md=$GITHUB_STEP_SUMMARY)",
    )
    group.addoption(
        "--ocpp-summary",
        default=None,
        choices=summary.SUMMARY_STYLES,
        help="terminal summary: 'table' (default: per profile, then the failures) or 'cases' "
        "(every case on its own line, also with -v)",
    )
    group.addoption(
        "--ocpp-baseline",
        default=None,
        metavar="FILE.toml",
        type=baseline.option_path,
        help="known deviations ([[deviation]] id, version, reason, expires): their failures "
        "are reported but do not fail the run",
    )
    group.addoption(
        "--ocpp-baseline-write",
        default=None,
        metavar="FILE.toml",
        help="write a baseline listing this run's failed and errored cases",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "ocpp_case(id, version, side, profile, block, title, provisional, uncertified, "
        "requires): an OCA test case",
    )
    config.addinivalue_line(
        "markers",
        "ocpp_fuzz: a property-based fuzz test of pytest-ocpp (select with -m ocpp_fuzz, "
        "exclude with -m 'not ocpp_fuzz')",
    )
    config.addinivalue_line(
        "markers",
        f"{load_gate.MARKER}: the load gate, a short Locust run against --ocpp-target judged by "
        "the [load] thresholds (deselected unless -m names it)",
    )
    for key, name in selection.known_profiles().items():
        config.addinivalue_line(
            "markers",
            f"profile_{key}: cases of the certification profile {name} (-m profile_{key})",
        )
    _default_asyncio_loop_scope(config)
    try:
        ocpp_config = build_config(
            lambda name: config.getoption("--ocpp-" + name.replace("_", "-")),
            lambda name: config.getini("ocpp_" + name),
            rootdir=config.rootpath,
        )
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-ocpp: {exc}") from None
    unbundled = [v.name for v in ocpp_config.versions if v.name not in ALL_VERSIONS]
    if unbundled:
        raise pytest.UsageError(
            f"pytest-ocpp: no OCPP {', '.join(unbundled)} test cases are bundled yet; "
            f"--ocpp-version can be {', '.join(ALL_VERSIONS)} (comma separated) or all"
        )
    ocpp_config = parallel.check(config, ocpp_config)
    config.stash[CONFIG_KEY] = ocpp_config
    profile = config.getoption("hypothesis_profile", None)
    if profile:
        # Registers ocpp-quick/-thorough/-smoke before hypothesis's own plugin loads the
        # chosen one (hypothesis is imported only when a profile is asked for, or a fuzz
        # property runs).
        import pytest_ocpp.fuzz.profiles  # noqa: F401
    fuzz_rules.choose_profile(profile)
    fuzz_rules.set_station_actions(ocpp_config.fuzz_station_actions)
    config.stash[RESULTS_KEY] = summary.Results()
    _CONTROLLER["config"] = config
    if ocpp_config.active and config.args_source != pytest.Config.ArgsSource.ARGS:
        # "pytest --ocpp-target=..." from any directory runs the bundled catalogue; "-k
        # TC_010_CSMS" collects only the modules that can hold it.
        config.args[:] = [str(TESTCASES), *load_gate.paths(config)]
        narrowed = selection.modules_for(TESTCASES, config.getoption("keyword", ""))
        if narrowed is not None:
            config.stash[NARROWED_KEY] = {Path(p) for p in narrowed}


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Skip bundled case modules that cannot hold what ``-k`` names (:mod:`.selection`)."""
    narrowed = config.stash.get(NARROWED_KEY, None)
    if narrowed is None or collection_path.suffix != ".py":
        return None
    if collection_path.name.startswith("test_") and collection_path not in narrowed:
        return True
    return None


def _default_asyncio_loop_scope(config: pytest.Config) -> None:
    """pytest-asyncio warns about an unset default fixture loop scope in every directory
    without an ini file, i.e. wherever a user runs ``pytest --ocpp-target=...``. Our fixtures
    set their own scopes; the function scope is pytest-asyncio's own future default."""
    key = "asyncio_default_fixture_loop_scope"
    if not config.getini(key):
        config._inicache[key] = "function"  # no public way to default an ini key


def pytest_sessionstart(session: pytest.Session) -> None:
    """Problems that would fail every case the same way are one clear message instead, before
    any case runs: an unreachable target, a listen port already taken."""
    ocpp_config = session.config.stash.get(CONFIG_KEY, None)
    if ocpp_config is None or getattr(session.config.option, "collectonly", False):
        return
    if ocpp_config.target:
        why = unreachable(ocpp_config.target, ocpp_config.timeouts.connect)
        if why:
            raise pytest.UsageError(
                f"pytest-ocpp: the CSMS under test at {ocpp_config.target} cannot be reached: "
                f"{why}. No test case ran. Is it running, and is --ocpp-target right?"
            )
    if ocpp_config.listen:
        why = listen_problem(*ocpp_config.listen)
        if why:
            raise pytest.UsageError(
                f"pytest-ocpp: cannot listen on {ocpp_config.listen[0]}:{ocpp_config.listen[1]} "
                f"(--ocpp-listen): {why}. No test case ran."
            )
    from pytest_ocpp import security

    summary.record_run_properties(session.config, ocpp_config)  # JUnit: verification off?
    why = security.server_files_problem(ocpp_config)
    if why:
        raise pytest.UsageError(f"pytest-ocpp: {why}. No test case ran.")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and (reporter.verbosity < 0 or reporter.no_header):
        # the header is not shown: what the user must act on still is (where the generated
        # CA is, that certificate verification is off)
        for line in security.header_lines(ocpp_config, essential=True):
            reporter.write_line(line)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    load_gate.deselect_unless_asked(config, items)
    ocpp_config = config.stash[CONFIG_KEY]
    if allure_report.results_dir(config) is not None:  # labels only Allure reads
        for item in items:
            marker = case_marker(item)  # an OCPI case is labelled like an OCPP one
            if marker is not None:
                allure_report.label(item, marker.kwargs, ocpp_config)
    if not ocpp_config.active:
        return
    versions = {v.name for v in ocpp_config.versions}
    sides = set()
    if ocpp_config.target or ocpp_config.reference:
        sides.add("CSMS")
    if ocpp_config.listen or ocpp_config.reference:
        sides.add("CS")
    for item in items:
        marker = item.get_closest_marker("ocpp_case")
        if marker is not None:
            item.add_marker(f"profile_{profile_key(marker.kwargs['profile'])}")
    profiles = selection.selected_profiles(ocpp_config)
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("ocpp_case")
        if marker is None:
            keep.append(item)
        elif (
            marker.kwargs["version"] in versions
            and marker.kwargs["side"] in sides
            and (profiles is None or profile_key(marker.kwargs["profile"]) in profiles)
        ):
            keep.append(item)
        else:
            drop.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    ctx = getattr(item, "funcargs", {}).get("ocpp_case_context")
    marker = case_marker(item)
    if marker is not None:
        results = item.config.stash[RESULTS_KEY]
        summary.record(results, item, report, call, ctx, marker.kwargs)
        if parallel.worker(item.config) is not None and item.nodeid in results.cases:
            parallel.ship(report, results.cases[item.nodeid].to_dict())
    masking.mask_report(report)  # JUnit, the terminal and other plugins read this report
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """In the controller of an xdist run: take in the verdict a worker decided."""
    payload = parallel.received(report)
    config = _CONTROLLER.get("config")
    if payload is None or config is None or parallel.worker(config) is not None:
        return
    config.stash[RESULTS_KEY].cases[report.nodeid] = summary.CaseResult.from_dict(payload)


def pytest_report_header(config: pytest.Config) -> str | None:
    ocpp_config = config.stash.get(CONFIG_KEY, None)
    if ocpp_config is None:
        return None
    from pytest_ocpp.security import header_lines

    lines = [parallel.header(config, ocpp_config), *header_lines(ocpp_config)]
    return "\n".join(line for line in lines if line) or None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    try:
        return (yield)
    finally:
        ctx = getattr(item, "funcargs", {}).get("ocpp_case_context")
        allure_report.attach_trace(item.config, ctx)


def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> Any:
    return summary.teststatus(report)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    from pytest_ocpp.report import json_report, markdown

    if config.option.collectonly:
        return  # nothing ran: a summary would only say that no case matched
    results = config.stash[RESULTS_KEY]
    ocpp_config = config.stash[CONFIG_KEY]
    per_case = config.option.verbose > 0 or config.getoption("--ocpp-summary") == "cases"
    summary.write_terminal(terminalreporter, results, _active(config), per_case=per_case)
    for note in results.notes:
        terminalreporter.write_line(note)
    path = config.getoption("--ocpp-report")
    if path:
        json_report.write_json(Path(path), results, ocpp_config, config)
        terminalreporter.write_line(f"pytest-ocpp: compliance report written to {path}")
    path = config.getoption("--ocpp-report-md")
    if path:
        markdown.write_markdown(Path(path), results, ocpp_config)
        terminalreporter.write_line(f"pytest-ocpp: Markdown summary written to {path}")


def _active(config: pytest.Config) -> bool:
    """Whether this run tests anything: OCPP (a target, a listener, the references) or an
    OCPI interface alone (``--ocpi-target``), whose cases the same reports and gate judge."""
    from pytest_ocpp.ocpi.plugin import OCPI_CONFIG_KEY

    ocpp_config = config.stash.get(CONFIG_KEY, None)
    ocpi_config = config.stash.get(OCPI_CONFIG_KEY, None)
    return bool(ocpp_config and ocpp_config.active) or bool(ocpi_config and ocpi_config.active)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    ocpp_config = session.config.stash.get(CONFIG_KEY, None)
    if ocpp_config is None or not _active(session.config):
        return
    if parallel.worker(session.config) is not None:
        return  # the controller writes the run's files and decides its exit status
    allure_report.finish(session.config, ocpp_config)
    from pytest_ocpp.report import baseline

    baseline.gate(session, session.config.stash[RESULTS_KEY])


# -- fixtures ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def ocpp_config(request: pytest.FixtureRequest) -> OcppConfig:
    """The run's frozen configuration (command line, environment, ini, config file)."""
    return request.config.stash[CONFIG_KEY]


@pytest.fixture(scope="session")
def ocpp_run_state() -> dict[str, Any]:
    """Facts shared between test cases of one run (e.g. transaction ids already handed out)."""
    return {}


@pytest.fixture(scope="session")
def ocpp_reference_csms(ocpp_config: OcppConfig) -> Iterator[Any]:
    """The embedded reference CSMS, when the run has no target of its own."""
    if not ocpp_config.reference or ocpp_config.target:
        yield None
        return
    from pytest_ocpp.embedded import EmbeddedCsms

    embedded = EmbeddedCsms(ocpp_config)
    embedded.start()
    try:
        yield embedded
    finally:
        embedded.stop()


@pytest.fixture(scope="session")
def ocpp_target(ocpp_config: OcppConfig, ocpp_reference_csms: Any) -> str:
    """Base URL of the CSMS under test (the station id is appended per connection)."""
    if ocpp_config.target:
        return ocpp_config.target
    if ocpp_reference_csms is not None:
        return str(ocpp_reference_csms.url)
    raise NotApplicable("no CSMS under test: give --ocpp-target=ws://host:port/path")


@pytest.fixture
def ocpp_case_context(
    request: pytest.FixtureRequest, ocpp_config: OcppConfig, ocpp_run_state: dict[str, Any]
) -> CaseContext:
    """The running case: trace, steps, connections (closed by the case wrapper)."""
    marker = request.node.get_closest_marker("ocpp_case")
    return CaseContext(
        ocpp_config,
        case_id=marker.kwargs["id"] if marker else request.node.name,
        shared=ocpp_run_state,
    )


@pytest.fixture
def tags(ocpp_config: OcppConfig) -> IdTags:
    """Id tags as the target knows them: valid, invalid, blocked, expired, parent ..."""
    return ocpp_config.tags


def _case_version(request: pytest.FixtureRequest) -> str:
    marker = request.node.get_closest_marker("ocpp_case")
    return marker.kwargs["version"] if marker else "1.6"


StationFactory = Callable[..., Awaitable[Any]]


@pytest.fixture
def station_factory(
    request: pytest.FixtureRequest,
    ocpp_case_context: CaseContext,
    ocpp_target: str,
    ocpp_config: OcppConfig,
) -> StationFactory:
    """Create (and by default connect) fake stations: ``await station_factory(station_id=...)``."""
    version = get_version(_case_version(request))

    async def make(
        station_id: str | None = None, *, connect: bool = True, booted: bool = False
    ) -> Any:
        station = STATION_CLASSES[version.name](
            ocpp_case_context,
            url=ocpp_target,
            station_id=station_id or ocpp_config.station_id,
            version=version,
            spec=ocpp_config.station,
            tags=ocpp_config.tags,
            password=ocpp_config.basic_auth_password,
        )
        if connect or booted:
            await station.connect()
        if booted:
            await station.booted()
        return station

    return make


@pytest.fixture
def new_station(ocpp_case_context: CaseContext, station_factory: StationFactory) -> Any:
    """A fake station that connects when the case starts, before sending anything."""
    holder: dict[str, Any] = {}

    async def prepare() -> None:
        holder["station"] = await station_factory()

    return _Deferred(ocpp_case_context, prepare, holder)


@pytest.fixture
def station(ocpp_case_context: CaseContext, station_factory: StationFactory) -> Any:
    """A fake station in reusable state Booted: connected, boot accepted, connectors Available
    (the OCTT general preconditions)."""
    holder: dict[str, Any] = {}

    async def prepare() -> None:
        holder["station"] = await station_factory(booted=True)

    return _Deferred(ocpp_case_context, prepare, holder)


class _Deferred:
    """A station whose connection happens inside the test call, not in fixture setup, so a
    target that cannot be reached *fails* the case (a verdict on the target) instead of
    erroring its setup (which would read as our bug)."""

    def __init__(
        self, ctx: CaseContext, prepare: Callable[[], Awaitable[None]], holder: dict[str, Any]
    ) -> None:
        ctx.preparations.append(prepare)
        object.__setattr__(self, "_holder", holder)

    def _target(self) -> Any:
        try:
            return self._holder["station"]
        except KeyError:
            raise RuntimeError("the station is not prepared yet") from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        # State a scenario writes (a transaction id the CSMS handed out) must land on the
        # station itself, where its reusable states read it.
        setattr(self._target(), name, value)


@pytest.fixture
def csms_operator(
    request: pytest.FixtureRequest, ocpp_config: OcppConfig, ocpp_reference_csms: Any
) -> operators.CsmsOperator:
    """Makes the CSMS under test send a request. Override this fixture in your conftest.py to
    drive your CSMS's API directly."""
    embedded = ocpp_reference_csms.performer() if ocpp_reference_csms else None
    timeout = ocpp_config.timeouts.operator
    perform, name = operators.choose(
        ocpp_config.csms_operator,
        "csms",
        timeout=timeout,
        embedded=embedded,
    )
    return operators.CsmsOperator(perform, timeout, name)


# -- station side: the fake CSMS ---------------------------------------------------------------
@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def ocpp_fake_csmss(ocpp_config: OcppConfig) -> Any:
    """One fake CSMS per selected version (:func:`pytest_ocpp.csms.fake_csmss`), living for
    the whole run on the cases' loop: the station stays connected between cases."""
    if ocpp_config.listen:
        host, port = ocpp_config.listen
    elif ocpp_config.reference:
        host, port = "127.0.0.1", 0
    else:
        raise NotApplicable("no charging station under test: give --ocpp-listen=HOST:PORT")
    fakes = fake_csmss(ocpp_config, host, port, share_port=bool(ocpp_config.listen))
    started: list[FakeCsms] = []
    try:
        for fake in fakes.values():
            try:
                await fake.start()
            except OSError as exc:
                raise pytest.UsageError(
                    f"pytest-ocpp cannot listen on {host}:{port}: {exc}"
                ) from None
            started.append(fake)
        yield fakes
    finally:
        for fake in reversed(started):
            await fake.stop()


@pytest.fixture(scope="session")
def ocpp_fake_csms(ocpp_fake_csmss: dict[str, FakeCsms]) -> Any:
    """The 1.6 fake CSMS (kept for conftest files written against it)."""
    return ocpp_fake_csmss.get("1.6")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def ocpp_reference_station(ocpp_config: OcppConfig, ocpp_fake_csmss: dict[str, Any]) -> Any:
    """The embedded 1.6 reference station, connected to the 1.6 fake CSMS, in reference mode."""
    if not ocpp_config.reference or ocpp_config.listen or "1.6" not in ocpp_fake_csmss:
        yield None
        return
    from pytest_ocpp.embedded import EmbeddedStation

    embedded = EmbeddedStation(ocpp_config, ocpp_fake_csmss["1.6"].url)
    await embedded.start()
    try:
        yield embedded
    finally:
        await embedded.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def ocpp_reference_station201(
    ocpp_config: OcppConfig, ocpp_fake_csmss: dict[str, Any]
) -> Any:
    """The embedded 2.0.1 reference station, connected to the 2.0.1 fake CSMS."""
    if not ocpp_config.reference or ocpp_config.listen or "2.0.1" not in ocpp_fake_csmss:
        yield None
        return
    from pytest_ocpp.embedded import EmbeddedStation201

    embedded = EmbeddedStation201(ocpp_config, ocpp_fake_csmss["2.0.1"].url)
    await embedded.start()
    try:
        yield embedded
    finally:
        await embedded.stop()


REFERENCE_STATIONS = {"1.6": "ocpp_reference_station", "2.0.1": "ocpp_reference_station201"}


@pytest.fixture
def csms(
    request: pytest.FixtureRequest,
    ocpp_case_context: CaseContext,
    ocpp_fake_csmss: dict[str, FakeCsms],
) -> Iterator[Any]:
    """The fake CSMS of the case's OCPP version, attached to this case: its trace, its
    verdict, default behaviour (FakeCsms16 or FakeCsms201)."""
    version = _case_version(request)
    request.getfixturevalue(REFERENCE_STATIONS[version])
    fake = ocpp_fake_csmss[version]
    fake.attach(ocpp_case_context)
    try:
        yield fake
    finally:
        fake.detach()


@pytest.fixture
def station_operator(request: pytest.FixtureRequest, ocpp_config: OcppConfig) -> Any:
    """Performs physical actions on the station under test, in the case's version's
    vocabulary (:data:`~pytest_ocpp.operators.STATION_ACTIONS_201` for 2.0.1). Override this
    fixture in your conftest.py to drive your test rig directly."""
    version = _case_version(request)
    reference = request.getfixturevalue(REFERENCE_STATIONS[version])
    embedded = reference.performer() if reference else None
    perform, name = operators.choose(
        ocpp_config.station_operator,
        "station",
        timeout=ocpp_config.timeouts.operator,
        embedded=embedded,
    )
    return operators.StationOperator(perform, ocpp_config.station_id, name, ocpp_version=version)


# -- fuzzing ---------------------------------------------------------------------------------
@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def ocpp_session_loop() -> asyncio.AbstractEventLoop:
    """The loop the cases and the fake CSMS run on, for the fuzz properties: hypothesis runs
    its examples from a synchronous test, each one on this loop."""
    return asyncio.get_running_loop()


@pytest.fixture
def ocpp_fuzz(
    request: pytest.FixtureRequest,
    ocpp_case_context: CaseContext,
    ocpp_session_loop: asyncio.AbstractEventLoop,
) -> Iterator[Any]:
    """One fuzz property's connection to the target (:class:`pytest_ocpp.fuzz.run.FuzzRun`):
    a booted fake station against a CSMS, or the station connected to our fake CSMS."""
    from pytest_ocpp.fuzz.run import CsmsRole, FuzzRun, StationRole

    marker = request.node.get_closest_marker("ocpp_case")
    if marker is None:
        raise RuntimeError("ocpp_fuzz is for the bundled fuzz properties (marked ocpp_case)")
    if marker.kwargs["side"] == "CSMS":
        factory = request.getfixturevalue("station_factory")
        operator = request.getfixturevalue("csms_operator")
        unattended = operator.name in ("command", "reference")
        peer: Any = StationRole(lambda: factory(booted=True), operator if unattended else None)
    else:
        peer = CsmsRole(request.getfixturevalue("csms"))
    run = FuzzRun(
        ocpp_case_context,
        ocpp_session_loop,
        get_version(marker.kwargs["version"]),
        peer,
        request.node.nodeid,
    )
    try:
        yield run
    finally:
        run.finish()


@pytest.fixture(scope="session")
def file_servers(
    ocpp_config: OcppConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FileServers]:
    """HTTP and FTP servers for UpdateFirmware downloads and GetDiagnostics uploads."""
    host = ocpp_config.listen[0] if ocpp_config.listen else "127.0.0.1"
    public = ocpp_config.public_host or ("127.0.0.1" if host in ("0.0.0.0", "::") else host)
    servers = FileServers(tmp_path_factory.mktemp("ocpp-files"), host=host, public_host=public)
    servers.start()
    try:
        yield servers
    finally:
        servers.stop()
