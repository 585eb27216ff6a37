"""pytest glue of the OCPI half: ``--ocpi-*`` options, the ``ocpi_case`` marker, fixtures, and
the hooks that report OCPI cases in the same compliance summary as the OCPP ones.

Loaded by :mod:`pytest_ocpp.plugin` (``pytest_plugins``), after it: the OCPP plugin builds its
config first, whose config file holds our ``[ocpi]`` table.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from pytest_ocpp.config import ConfigError
from pytest_ocpp.ocpi.case import LAST_MARKER, MARKER, OcpiCase
from pytest_ocpp.ocpi.catalog import CASES
from pytest_ocpp.ocpi.config import OCPI_OPTIONS, OcpiConfig, build_ocpi_config
from pytest_ocpp.verdicts import NotApplicable

if TYPE_CHECKING:
    # Imported where the fixtures run, not with the plugin: a run without OCPI cases does not
    # load aiohttp and httpx.
    from pytest_ocpp.ocpi.emsp import EmspServer
    from pytest_ocpp.ocpi.registration import Registration

OCPI_CONFIG_KEY = pytest.StashKey[OcpiConfig]()
REFERENCE_TOKEN_A = "pytest-ocpp-reference-token-a"
"""The one-time token the embedded reference CPO hands out when the run gives none."""
STATION_VERSION = "ocpi_ocpp_version"
"""The parameter of a crossing case (one that drives our fake station): the OCPP version its
station speaks. Parametrized only when the run configures several versions."""
STATION_VERSIONS = ("1.6", "2.0.1")
"""The OCPP versions a crossing case can play its station in (the fake stations we have)."""


def station_title(title: str, version: str) -> str:
    """A crossing case's title naming the OCPP version it crossed, so every report tells the
    runs of one id apart: "... across OCPI and OCPP (OCPP 2.0.1 station)"."""
    return f"{title} (OCPP {version} station)"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ocpi", "OCPI 2.2.1, the eMSP role (pytest-ocpp)")
    for opt in OCPI_OPTIONS:
        group.addoption(opt.flag, default=None, help=f"{opt.help} [env {opt.env}; ini {opt.ini}]")
        parser.addini(opt.ini, opt.help, default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(id, version, side, profile, block, title, ...): an OCPI 2.2.1 test case",
    )
    config.addinivalue_line(
        "markers", f"{LAST_MARKER}: an OCPI case that runs after every other (unregistration)"
    )
    from pytest_ocpp.plugin import CONFIG_KEY, TESTCASES

    ocpp_config = config.stash.get(CONFIG_KEY, None)
    raw = ocpp_config.raw if ocpp_config is not None else {}
    table = raw.get("ocpi", {}) if isinstance(raw, dict) else {}
    try:
        ocpi_config = build_ocpi_config(
            lambda name: config.getoption("--ocpi-" + name.replace("_", "-")),
            lambda name: config.getini("ocpi_" + name),
            table,
            reference=bool(ocpp_config and ocpp_config.reference),
        )
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-ocpp: {exc}") from None
    config.stash[OCPI_CONFIG_KEY] = ocpi_config
    if ocpi_config.active:  # Allure's Environment widget names the OCPI interface under test
        from pytest_ocpp.report.allure import ENVIRONMENT_KEY

        target = ocpi_config.target or "embedded reference CPO"
        config.stash[ENVIRONMENT_KEY] = {"ocpi.target": target, "ocpi.version": "2.2.1"}
    if (
        ocpi_config.active
        and config.args_source != pytest.Config.ArgsSource.ARGS
        and str(TESTCASES) not in config.args
    ):
        # "pytest --ocpi-target=..." from any directory runs the bundled OCPI cases.
        config.args[:] = [str(TESTCASES / "ocpi221")]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A crossing case runs once per configured OCPP version (``--ocpp-version=all``: through
    a 1.6 and a 2.0.1 station), so RemoteStartTransaction and RequestStartTransaction are both
    exercised; with one version it stays a single, unparametrized item."""
    if STATION_VERSION not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker(MARKER) is None:
        return
    versions = _station_versions(metafunc.config)
    if len(versions) > 1:
        metafunc.parametrize(STATION_VERSION, versions, ids=[f"ocpp{v}" for v in versions])


def _station_versions(config: pytest.Config) -> list[str]:
    """The OCPP versions the crossing cases run with: the run's, when it has an OCPP side."""
    from pytest_ocpp.plugin import CONFIG_KEY

    ocpp_config = config.stash.get(CONFIG_KEY, None)
    ocpi_config = config.stash.get(OCPI_CONFIG_KEY, None)
    if ocpp_config is None or ocpi_config is None or not ocpi_config.active:
        return []
    if not (ocpp_config.target or ocpp_config.reference):
        return []  # not applicable anyway: one verdict per case says so
    return [v.name for v in ocpp_config.versions if v.name in STATION_VERSIONS]


def _name_station_version(item: pytest.Item) -> None:
    """Give a crossing case's run its own title (terminal, JSON, Markdown, JUnit read the case
    marker) and Allure display name (allure-pytest formats ``{ocpi_ocpp_version}`` per item;
    the attribute lives on the function both runs share)."""
    callspec = getattr(item, "callspec", None)
    if callspec is None or STATION_VERSION not in callspec.params:
        return
    version = str(callspec.params[STATION_VERSION])
    for index, mark in enumerate(item.own_markers):
        if mark.name != MARKER:
            continue
        kwargs = {**mark.kwargs, "title": station_title(mark.kwargs["title"], version)}
        item.own_markers[index] = getattr(pytest.mark, MARKER)(**kwargs).mark
        function = getattr(item, "obj", None)
        if function is not None:
            title = station_title(mark.kwargs["title"], "{" + STATION_VERSION + "}")
            function.__allure_display_name__ = f"{mark.kwargs['id']} {title}"
        return


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """OCPI cases run only against an OCPI target (or the references); the unregistration
    runs after every other OCPI case, since a CPO's token A works once. Last of the plugins'
    hooks: the OCPP plugin's Allure labels are in place when a crossing case's runs get
    their titles."""
    ocpi_config = config.stash[OCPI_CONFIG_KEY]
    ocpi = [item for item in items if item.get_closest_marker(MARKER) is not None]
    if not ocpi:
        return
    for item in ocpi:
        _name_station_version(item)
    from pytest_ocpp.config import profile_key
    from pytest_ocpp.plugin import CONFIG_KEY

    profiles = config.stash[CONFIG_KEY].profiles  # --ocpp-profile selects OCPI modules too
    keys = {item: profile_key(item.get_closest_marker(MARKER).kwargs["profile"]) for item in ocpi}  # type: ignore[union-attr]
    for item, key in keys.items():
        item.add_marker(f"profile_{key}")
    drop = [
        item
        for item in ocpi
        if not ocpi_config.active or (profiles is not None and keys[item] not in profiles)
    ]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = [item for item in items if item not in drop]
        ocpi = [item for item in ocpi if item not in drop]
    order = {key[1]: index for index, key in enumerate(CASES)}

    def position(item: pytest.Item) -> tuple[bool, int]:
        kwargs = item.get_closest_marker(MARKER).kwargs  # type: ignore[union-attr]
        last = item.get_closest_marker(LAST_MARKER) is not None
        return last, order.get(kwargs["id"], len(order))

    others = [item for item in items if item.get_closest_marker(MARKER) is None]
    items[:] = others + sorted(ocpi, key=position)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """The evidence of a failed OCPI case: its HTTP exchanges and, when it drove a fake
    station, the OCPP trace. The verdict itself is recorded by the OCPP plugin's hook, which
    finds an ``ocpi_case`` marker like an ``ocpp_case`` one (one path for every report)."""
    report = yield
    case: OcpiCase | None = getattr(item, "funcargs", {}).get("ocpi")
    if case is not None and report.failed and item.get_closest_marker(MARKER) is not None:
        report.sections.append(("OCPI trace", case.trace()))
        if case.ocpp_context is not None:
            report.sections.append(("OCPP trace", case.ocpp_context.trace.render()))
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """Allure evidence of an OCPI case, attached like an OCPP case's: the HTTP exchanges
    and, when it drove a fake station, the OCPP trace, its JSON and the sequence diagram."""
    try:
        return (yield)
    finally:
        case: OcpiCase | None = getattr(item, "funcargs", {}).get("ocpi")
        if case is not None:
            from pytest_ocpp.report import allure as allure_report

            allure_report.attach_text(item.config, "OCPI trace", case.trace())
            allure_report.attach_trace(item.config, case.ocpp_context)


# -- fixtures ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def ocpi_config(request: pytest.FixtureRequest) -> OcpiConfig:
    """The run's OCPI settings (command line, environment, ini, ``[ocpi]``)."""
    return request.config.stash[OCPI_CONFIG_KEY]


@pytest.fixture(scope="session")
def ocpi_target(
    request: pytest.FixtureRequest, ocpi_config: OcpiConfig
) -> Iterator[tuple[str, str]]:
    """(versions URL, token A) of the CPO under test: ``--ocpi-target`` / ``--ocpi-token``, or
    the embedded reference CPO, hosted beside the reference CSMS so it sees its OCPP side."""
    if ocpi_config.target:
        yield ocpi_config.target, str(ocpi_config.token_a)
        return
    if not ocpi_config.reference:
        raise NotApplicable("no OCPI interface under test: give --ocpi-target and --ocpi-token")
    from pytest_ocpp.reference.ocpi import EmbeddedCpo

    csms = request.getfixturevalue("ocpp_reference_csms")
    token_a = ocpi_config.token_a or REFERENCE_TOKEN_A
    station_id = request.getfixturevalue("ocpp_config").station_id.split(",")[0].strip()
    embedded = EmbeddedCpo(token_a, csms, station_id=station_id)
    embedded.start()
    try:
        yield embedded.versions_url, token_a
    finally:
        embedded.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def ocpi_emsp(ocpi_config: OcpiConfig) -> AsyncIterator[EmspServer]:
    """Our eMSP endpoints, for the whole run: the CPO keeps the URLs it fetched."""
    from pytest_ocpp.ocpi.emsp import EmspServer

    host, port = ocpi_config.listen
    server = EmspServer(
        host,
        port,
        public_url=ocpi_config.public_url,
        country_code=ocpi_config.country_code,
        party_id=ocpi_config.party_id,
    )
    try:
        await server.start()
    except OSError as exc:
        raise pytest.UsageError(
            f"pytest-ocpp cannot listen on {host}:{port} (--ocpi-listen): {exc}"
        ) from None
    try:
        yield server
    finally:
        await server.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def ocpi_registration(
    ocpi_config: OcpiConfig, ocpi_target: tuple[str, str], ocpi_emsp: EmspServer
) -> AsyncIterator[Registration]:
    """The run's registration with the CPO; unregistered at the end if a case left it
    registered, so the CPO is left as it was found."""
    from pytest_ocpp.ocpi.registration import Registration
    from pytest_ocpp.ocpi.transport import OcpiClient

    url, token_a = ocpi_target
    registration = Registration(url, token_a, ocpi_emsp, ocpi_config.callback_timeout)
    try:
        yield registration
    finally:
        if registration.registered:
            client = OcpiClient(ocpi_config.response_timeout, [], ocpi_config.ssl_context())
            try:
                await registration.unregister(client)
            except AssertionError:
                pass  # the case that owns the unregistration reports it; this is clean-up
            finally:
                await client.aclose()


@pytest_asyncio.fixture(loop_scope="session")
async def ocpi(
    request: pytest.FixtureRequest,
    ocpi_config: OcpiConfig,
    ocpi_emsp: EmspServer,
    ocpi_registration: Registration,
) -> AsyncIterator[OcpiCase]:
    """The running OCPI case (:class:`~pytest_ocpp.ocpi.case.OcpiCase`)."""
    tags = request.getfixturevalue("ocpp_config").tags
    case = OcpiCase(ocpi_config, ocpi_emsp, ocpi_registration, tags.valid)
    try:
        yield case
    finally:
        await case.close()


StationStarter = Callable[[], Awaitable[Any]]


@pytest.fixture
def ocpi_ocpp_version(request: pytest.FixtureRequest) -> str:
    """The OCPP version of a crossing case's station: its parameter when the run configures
    several (:func:`pytest_generate_tests`), else the run's version."""
    return str(request.getfixturevalue("ocpp_config").versions[0].name)


@pytest_asyncio.fixture(loop_scope="session")
async def ocpi_station(
    request: pytest.FixtureRequest, ocpi: OcpiCase, ocpi_ocpp_version: str
) -> AsyncIterator[StationStarter]:
    """``await ocpi_station()``: a booted fake station of ``ocpi_ocpp_version``, connected to
    ``--ocpp-target`` or the reference CSMS, for the cases that cross from OCPI into OCPP.
    Started inside the case, so an unreachable CSMS fails the case; left idle (its
    transactions stopped) and closed afterwards."""
    from pytest_ocpp import case as case_module
    from pytest_ocpp.case import CaseContext
    from pytest_ocpp.plugin import STATION_CLASSES

    ocpp_config = request.getfixturevalue("ocpp_config")
    target = request.getfixturevalue("ocpp_target")  # not applicable without an OCPP side
    ctx = CaseContext(
        ocpp_config, case_id=request.node.name, shared=request.getfixturevalue("ocpp_run_state")
    )
    ocpi.ocpp_context = ctx
    stations: list[Any] = []

    async def start() -> Any:
        case_module.activate(ctx)
        version = next(v for v in ocpp_config.versions if v.name == ocpi_ocpp_version)
        station = STATION_CLASSES[version.name](
            ctx,
            url=target,
            station_id=ocpp_config.station_id.split(",")[0].strip(),
            version=version,
            spec=ocpp_config.station,
            tags=ocpp_config.tags,
            password=ocpp_config.basic_auth_password,
        )
        stations.append(station)
        await station.connect()
        await station.booted()
        return station

    try:
        yield start
    finally:
        for station in stations:
            try:
                await station.leave_idle()
            except AssertionError:
                pass  # clean-up after the verdict: the case reported what went wrong
        await ctx.close()
