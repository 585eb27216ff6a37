"""The Locust file pytest-ocpp ships: ``locust -f pytest_ocpp/load/locustfile.py --host
ws://csms:9000/ocpp --ocpp-version 1.6 --ocpp-config ocpp.toml`` (or ``pytest-ocpp-load``).

One Locust user is one charging station (:class:`~pytest_ocpp.load.station.Station`); the
station ids, the mix of charging and idle stations, sessions, intervals and storms come from
the ``[load]`` table. Every figure goes through ``environment.events.request.fire``, so
Locust's own statistics, charts, CSV and HTML reports and its master/worker merging show
them; the stations connected over time (not a request) are reported to the master with each
worker report and written to ``<--csv prefix>_ocpp.json`` (and shown at ``/ocpp`` in the web
UI).
"""

from __future__ import annotations

import gc
import itertools
import json
import logging
import time
from typing import Any, ClassVar

import gevent
from locust import User, constant, events, task
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from pytest_ocpp.config import ConfigError
from pytest_ocpp.load.limits import raise_open_files
from pytest_ocpp.load.messages import DIALECTS
from pytest_ocpp.load.settings import LoadSettings, load_settings, role
from pytest_ocpp.load.station import Counters, Station
from pytest_ocpp.versions import get_version

log = logging.getLogger("pytest_ocpp.load")


class _Run:
    """This process's run: the settings, the clock storms are scheduled on, the figures."""

    settings: LoadSettings = LoadSettings()
    version = "1.6"
    started = time.monotonic()
    numbers = itertools.count()
    timeline: ClassVar[list[tuple[float, int]]] = []
    workers: ClassVar[dict[str, dict[str, int]]] = {}


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument(
        "--ocpp-version", default="1.6", help="OCPP version: 1.6 or 2.0.1", include_in_web_ui=True
    )
    parser.add_argument(
        "--ocpp-config",
        default="",
        help="pytest-ocpp TOML config file; its [load] table drives the stations",
        include_in_web_ui=True,
    )
    parser.add_argument(
        "--ocpp-figures",
        default="",
        help="JSON file for stations connected over time (default: <--csv prefix>_ocpp.json)",
    )


def _configure(environment: Environment) -> None:
    options = environment.parsed_options
    try:
        _Run.version = get_version(getattr(options, "ocpp_version", "1.6") or "1.6").name
        _Run.settings = load_settings(getattr(options, "ocpp_config", "") or None)
    except (ConfigError, ValueError) as exc:
        log.error("pytest-ocpp: %s", exc)
        raise SystemExit(2) from None
    if _Run.version not in DIALECTS:
        log.error("pytest-ocpp: load runs speak %s, not %s", ", ".join(DIALECTS), _Run.version)
        raise SystemExit(2)


@events.init.add_listener
def _init(environment: Environment, **_: Any) -> None:
    if environment.parsed_options is not None:
        _configure(environment)
        stations = int(getattr(environment.parsed_options, "num_users", 0) or 0)
        if not isinstance(environment.runner, MasterRunner):
            problem = raise_open_files(stations)
            if problem:
                log.warning("pytest-ocpp: %s", problem)
    if not isinstance(environment.runner, WorkerRunner):
        gevent.spawn(_sample, environment)
    if environment.web_ui is not None:
        environment.web_ui.app.add_url_rule("/ocpp", "ocpp", _page)
        environment.web_ui.app.add_url_rule("/ocpp/figures.json", "ocpp_json", _figures_json)


@events.test_start.add_listener
def _test_start(environment: Environment, **_: Any) -> None:
    if environment.parsed_options is not None:
        _configure(environment)  # a worker receives the master's options with the spawn
    _Run.started = time.monotonic()
    _Run.timeline.clear()  # the clock starts with the run, not with the process


@events.spawning_complete.add_listener
def _spawned(user_count: int, **_: Any) -> None:
    """Every station is up: what they hold now lives as long as the run, so move it out of
    the collector's sight. Without this, each full collection walks every station's objects
    (about 2 million at 10 000 stations), a pause of hundreds of milliseconds that shows as
    the latency of whatever replies arrive meanwhile (bench/bench_load.py: p99)."""
    gc.collect()
    gc.freeze()


@events.report_to_master.add_listener
def _report(client_id: str, data: dict[str, Any]) -> None:
    data["ocpp_stations"] = {"connected": Counters.connected, "peak": Counters.peak}


@events.worker_report.add_listener
def _worker_report(client_id: str, data: dict[str, Any]) -> None:
    if "ocpp_stations" in data:
        _Run.workers[client_id] = data["ocpp_stations"]


def _connected_now() -> int:
    if _Run.workers:
        return sum(w["connected"] for w in _Run.workers.values())
    return Counters.connected


def _sample(environment: Environment) -> None:
    """Stations connected, once a second, on the master (or the only process)."""
    while True:
        gevent.sleep(1.0)
        _Run.timeline.append((round(time.monotonic() - _Run.started, 1), _connected_now()))


def figures() -> dict[str, Any]:
    # Sampled once a second; with workers, also the sum of each worker's own peak (their
    # stations peak together in a steady run, and a run shorter than a sample still counts).
    peaks = [n for _, n in _Run.timeline]
    peaks.append(sum(w["peak"] for w in _Run.workers.values()) if _Run.workers else Counters.peak)
    return {
        "version": _Run.version,
        "stations_connected_peak": max(peaks),
        "stations_connected_over_time": _Run.timeline,
        "workers_reporting": len(_Run.workers),
    }


def _figures_json() -> Any:
    return figures()


def _page() -> str:
    data = figures()
    points = data["stations_connected_over_time"][-600:]
    top = max([n for _, n in points] + [1])
    span = max([t for t, _ in points] + [1.0])
    line = " ".join(f"{600 * t / span:.1f},{200 - 190 * n / top:.1f}" for t, n in points)
    return (
        "<html><head><meta http-equiv='refresh' content='2'><title>pytest-ocpp</title></head>"
        f"<body><h3>OCPP {data['version']}: stations connected (peak "
        f"{data['stations_connected_peak']})</h3><svg width='620' height='210'>"
        f"<polyline fill='none' stroke='#2a7' stroke-width='2' points='{line}'/></svg>"
        "<p>Per-action figures: Locust's Statistics and Charts tabs.</p></body></html>"
    )


@events.quitting.add_listener
def _quitting(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner) or environment.parsed_options is None:
        return
    options = environment.parsed_options
    path = getattr(options, "ocpp_figures", "") or (
        f"{options.csv_prefix}_ocpp.json" if getattr(options, "csv_prefix", None) else ""
    )
    data = figures()
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
    log.info("pytest-ocpp: stations connected at the peak: %s", data["stations_connected_peak"])


class OcppStation(User):
    """One charging station (1.6 or 2.0.1, from ``--ocpp-version``). Its only task is its
    life; the station keeps its own schedule, so Locust's wait time plays no part (a shared
    ``constant_pacing`` would make stations fire in sync, DESIGN.md "More traps")."""

    wait_time = constant(0)

    def on_start(self) -> None:
        settings = _Run.settings
        runner = self.environment.runner
        worker = runner.worker_index if isinstance(runner, WorkerRunner) else 0
        n = next(_Run.numbers)
        part = role(settings, n)
        self.station = Station(
            url=self.host or self.environment.host or "",
            station_id=settings.station_id(worker, n),
            dialect=DIALECTS[_Run.version](),
            settings=settings,
            fire=self.environment.events.request.fire,
            charging=part.charging,
            clock=lambda: time.monotonic() - _Run.started,
            reconnect_in_storm=part.reconnect_storm,
            offline_in_storm=part.offline_storm,
            boot_storm=settings.boot_storm,
        )

    @task
    def live(self) -> None:
        self.station.run()

    def on_stop(self) -> None:
        self.station.close()
