"""The load gate: ``pytest --ocpp-target=URL -m ocpp_load`` runs a short, small load against
the CSMS and fails with the figures that missed the ``[load]`` thresholds (``p95_ms``,
``max_failure_ratio``, ``min_stations``; size from ``gate_stations``, ``gate_duration``,
``gate_spawn_rate``).

Locust monkey-patches the standard library on import, which would break pytest's asyncio
machinery, so Locust runs in a subprocess (``python -m pytest_ocpp.load.cli``) and this module
imports nothing of it. The plugin collects this file next to the bundled catalogue and
deselects its test unless the ``-m`` expression names ``ocpp_load``: a load run is never a side
effect of a conformance run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_ocpp.load import results
from pytest_ocpp.load.settings import LoadSettings, load_settings

MARKER = "ocpp_load"
GATE_FILE = Path(__file__)


def load_command(
    target: str,
    version: str,
    prefix: Path,
    *,
    config: str | None,
    stations: int,
    duration: float,
    spawn_rate: float,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """The ``pytest-ocpp-load`` command line of one headless run, CSV under ``prefix``."""
    return [
        sys.executable,
        "-m",
        "pytest_ocpp.load.cli",
        "--headless",
        "--target",
        target,
        "--version",
        version,
        "--stations",
        str(stations),
        "--spawn-rate",
        f"{spawn_rate:g}",
        "--duration",
        f"{max(int(duration), 1)}s",
        "--csv",
        str(prefix),
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "2",
        *(["--config", config] if config else []),
        *extra,
    ]


def run_load(
    target: str,
    version: str,
    prefix: Path,
    *,
    config: str | None,
    stations: int,
    duration: float,
    spawn_rate: float,
    timeout: float = 300.0,
) -> subprocess.CompletedProcess[str]:
    """One headless run in its own process (Locust's monkey-patching stays there)."""
    command = load_command(
        target,
        version,
        prefix,
        config=config,
        stations=stations,
        duration=duration,
        spawn_rate=spawn_rate,
    )
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout + duration, check=False
    )


def judge_run(prefix: Path, settings: LoadSettings, stations: int) -> list[str]:
    return results.missed(results.read(prefix), settings, stations)


def asked(config: pytest.Config) -> bool:
    return MARKER in (config.getoption("markexpr", "") or "")


def paths(config: pytest.Config) -> list[str]:
    """What the plugin adds to the bundled catalogue: this file, when ``-m`` names the gate
    (otherwise not even collected, so a conformance run's output stays as it was)."""
    return [str(GATE_FILE)] if asked(config) else []


def deselect_unless_asked(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the gate unless ``-m`` names it (it is off by default)."""
    if asked(config):
        return
    gate = [i for i in items if i.get_closest_marker(MARKER) is not None]
    if gate:
        config.hook.pytest_deselected(items=gate)
        items[:] = [i for i in items if i.get_closest_marker(MARKER) is None]


@pytest.mark.ocpp_load
def test_load_gate(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """A short load against ``--ocpp-target`` judged by the ``[load]`` thresholds."""
    from pytest_ocpp.plugin import CONFIG_KEY

    ocpp = request.config.stash[CONFIG_KEY]
    if not ocpp.target:
        pytest.skip("the load gate needs --ocpp-target (the CSMS under load)")
    config_file = str(ocpp.config_file) if ocpp.config_file else None
    settings = load_settings(config_file)
    for version in ocpp.versions:
        prefix = tmp_path / f"load-{version.name}"
        run = run_load(
            ocpp.target,
            version.name,
            prefix,
            config=config_file,
            stations=settings.gate_stations,
            duration=settings.gate_duration,
            spawn_rate=settings.gate_spawn_rate,
        )
        if not Path(f"{prefix}_stats.csv").exists():
            pytest.fail(
                f"the load run did not complete (exit {run.returncode}): {run.stderr[-2000:]}"
            )
        problems = judge_run(prefix, settings, settings.gate_stations)
        if problems:
            pytest.fail(
                f"load gate, OCPP {version.name}, {settings.gate_stations} stations for "
                f"{settings.gate_duration:g} s against {ocpp.target}:\n- " + "\n- ".join(problems),
                pytrace=False,
            )
