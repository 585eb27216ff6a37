"""Runs spread over pytest-xdist workers (``pytest -n auto``).

A CSMS serves many stations at once, so CSMS-side cases can run in parallel as long as no two
workers play the same station: each worker gets its own station id. A charging station under
test is one physical device behind one ``--ocpp-listen`` port, so its cases run one at a time;
asking for workers there is a usage error that says so, not a run where every worker fights
for the port. The embedded references (``--ocpp-reference``) are started per worker, on ports
of their own, so both sides run in parallel against them.

Verdicts are decided in the worker that ran the case and travel to the controller inside the
test report (an attribute pytest-xdist serialises with it), where the one terminal summary and
the one JSON report of the run are written.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from pytest_ocpp.config import OcppConfig

REPORT_ATTRIBUTE = "ocpp_result"
"""The TestReport attribute that carries a case's verdict from a worker to the controller."""


def worker(config: pytest.Config) -> tuple[int, int] | None:
    """(index, count) in an xdist worker, None in the controller or a plain run."""
    data = getattr(config, "workerinput", None)
    if data is None:
        return None
    return int(str(data["workerid"]).removeprefix("gw")), int(data["workercount"])


def planned_workers(config: pytest.Config) -> int:
    """How many workers the controller will start (0 without xdist)."""
    if not config.pluginmanager.hasplugin("xdist"):
        return 0
    count = getattr(config.option, "numprocesses", None)
    dist = getattr(config.option, "dist", "no")
    return int(count) if isinstance(count, int) and count > 0 and dist != "no" else 0


def station_ids(setting: str) -> list[str]:
    """``--ocpp-station-id``: one id, or one per worker (comma separated)."""
    return [part.strip() for part in setting.split(",") if part.strip()]


def check(config: pytest.Config, ocpp_config: OcppConfig) -> OcppConfig:
    """Refuse what cannot run in parallel and give this worker its own station id. Returns
    the configuration this process runs with."""
    ids = station_ids(ocpp_config.station_id) or ["CP_1"]
    workers = planned_workers(config)
    position = worker(config)
    if workers > 1 and ocpp_config.listen:
        raise pytest.UsageError(
            f"pytest-ocpp: the charging-station side (--ocpp-listen) runs one case at a time: "
            f"one station under test, one port. Run it without -n (asked for {workers} "
            "workers); the CSMS side and the embedded references can run with -n."
        )
    count = position[1] if position else workers
    if count > 1 and 1 < len(ids) < count:
        raise pytest.UsageError(
            f"pytest-ocpp: {count} workers need {count} station ids, one each; "
            f"--ocpp-station-id lists {len(ids)} ({', '.join(ids)})"
        )
    if position is None:
        return dataclasses.replace(ocpp_config, station_id=ids[0])
    index, count = position
    own = ids[index] if len(ids) >= count else f"{ids[0]}-{index + 1}"
    return dataclasses.replace(ocpp_config, station_id=own)


def worker_ids(config: pytest.Config, ocpp_config: OcppConfig) -> list[str]:
    """The station ids the workers will use (for the controller's header line)."""
    workers = planned_workers(config)
    ids = station_ids(ocpp_config.station_id) or ["CP_1"]
    if len(ids) >= workers:
        return ids[:workers]
    return [f"{ids[0]}-{n + 1}" for n in range(workers)]


def header(config: pytest.Config, ocpp_config: OcppConfig) -> str | None:
    """The line that tells a user testing a real CSMS which station ids to register."""
    workers = planned_workers(config)
    if workers <= 1 or not ocpp_config.target:
        return None
    return (
        f"pytest-ocpp: {workers} workers play the stations "
        f"{', '.join(worker_ids(config, ocpp_config))} (one each: the CSMS under test must "
        "accept them; list your own with --ocpp-station-id=ID1,ID2,...)"
    )


def ship(report: pytest.TestReport, payload: dict[str, Any]) -> None:
    """Attach a case's verdict to its report, for the controller."""
    setattr(report, REPORT_ATTRIBUTE, payload)


def received(report: pytest.TestReport) -> dict[str, Any] | None:
    """The verdict a worker attached to ``report``, in the controller."""
    payload = getattr(report, REPORT_ATTRIBUTE, None)
    return payload if isinstance(payload, dict) else None
