"""Load testing on Locust (issue 18): real headless Locust runs against the reference CSMS.

Every run is a subprocess (Locust's gevent monkey-patching must never reach this pytest
process) against reference CSMSs hosted here on one background loop. They all start at once
from one module fixture and the tests judge their CSV files, so the file costs about the
wall time of its slowest run:

- 1.6 and 2.0.1, conformant: zero failures, a row for every action, the CSMS's own requests
  (sent while the load runs) answered correctly and counted;
- the broken variants: the right action fails with the right reason, and only that action;
- a master with two workers: the merged statistics count both workers' stations;
- the gate, ``pytest --ocpp-target=URL -m ocpp_load``: passes, and fails naming the figures.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from harness import free_port

from pytest_ocpp.config import IdTags, check_document
from pytest_ocpp.embedded import reference_id_tags
from pytest_ocpp.load import results
from pytest_ocpp.load.gate import load_command
from pytest_ocpp.load.messages import DIALECTS, Session, StationView
from pytest_ocpp.load.settings import load_settings, role
from pytest_ocpp.reference.csms import ReferenceCsms
from pytest_ocpp.reference.runner import BackgroundLoop
from pytest_ocpp.schemas import schema_set

if importlib.util.find_spec("locust") is None:
    pytest.skip(
        "Locust is not installed: pip install -e '.[dev]' (or '.[load]')", allow_module_level=True
    )

BUSY = """
[load]
heartbeat_interval = 3
meter_value_interval = 1
session_interval = 2
session_duration = 1.2
think_time = 0.2
mix = { charging = 0.9, idle = 0.1 }
"""
"""Every action within a few seconds: heartbeats, sessions with meter values, stops."""

STORMS = """
[load]
heartbeat_interval = 1
meter_value_interval = 0.5
session_interval = 0.5
session_duration = 2
think_time = 0.1
boot_storm = true
reconnect_fraction = 0.3
reconnect_at = 2.5
offline_fraction = 0.3
offline_at = 2.5
offline_duration = 1
"""
"""All stations at once, then 30 % drop and reconnect, and 30 % go offline for 1 s."""

IDLE = """
[load]
heartbeat_interval = 1
response_timeout = 2.5
mix = { charging = 0, idle = 1 }
"""

ACTIONS = {
    "1.6": [
        "BootNotification",
        "StatusNotification",
        "Heartbeat",
        "Authorize",
        "StartTransaction",
        "MeterValues",
        "StopTransaction",
    ],
    "2.0.1": [
        "BootNotification",
        "StatusNotification",
        "Heartbeat",
        "Authorize",
        "TransactionEvent Started",
        "TransactionEvent Updated",
        "TransactionEvent Ended",
    ],
}

CSMS_REQUESTS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "1.6": [
        ("GetConfiguration", {"key": ["HeartbeatInterval", "NoSuchKey"]}),
        ("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "3"}),
        ("TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": 1}),
        ("RemoteStartTransaction", {"idTag": "VALID_TAG_1"}),
        ("Reset", {"type": "Soft"}),
    ],
    "2.0.1": [
        (
            "GetVariables",
            {
                "getVariableData": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                    }
                ]
            },
        ),
        (
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "attributeValue": "3",
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                    }
                ]
            },
        ),
        ("TriggerMessage", {"requestedMessage": "Heartbeat"}),
        (
            "RequestStartTransaction",
            {"idToken": {"idToken": "VALID_TAG_1", "type": "ISO14443"}, "remoteStartId": 7},
        ),
        ("Reset", {"type": "Immediate"}),
    ],
}
EXPECTED_ANSWERS = {
    "GetConfiguration": {"unknownKey": ["NoSuchKey"]},
    "ChangeConfiguration": {"status": "Accepted"},
    "TriggerMessage": {"status": "Accepted"},
    "RemoteStartTransaction": {"status": "Accepted"},
    "RequestStartTransaction": {"status": "Accepted"},
    "Reset": {"status": "Accepted"},
}


@dataclass
class Scenario:
    name: str
    version: str
    defects: tuple[str, ...] = ()
    stations: int = 50
    duration: int = 4
    config: str = BUSY
    csms_requests: bool = False
    mode: str = "local"  # "local" | "workers" | "processes" | "gate"
    gate_config: str = ""
    host: str = ""
    """Which CSMS: "" its own process (with ``defects``), else the in-process CSMS of that
    scenario (station ids differ by ``station_id_pattern``)."""
    url: str = ""
    until: Callable[[results.Results], bool] | None = None
    """Stop the run (SIGTERM, Locust writes its CSV and exits) once this holds of its
    statistics, so a busy machine takes longer instead of failing; ``duration`` is then the
    upper bound."""
    csms: ReferenceCsms | None = None
    outcome: Any = None
    answers: list[tuple[str, str, str, Any]] = field(default_factory=list)


def _count(found: results.Results, name: str, kind: str = "") -> int:
    row = found.rows.get((kind, name)) if kind else found.row(name)
    return row.count if row is not None else 0


def _failed(found: results.Results, name: str) -> int:
    row = found.row(name)
    return row.failures if row is not None else 0


def _conformant_done(version: str, stations: int) -> Callable[[results.Results], bool]:
    def done(found: results.Results) -> bool:
        return (
            _count(found, "handshake") == stations
            and all(_count(found, action) for action in ACTIONS[version])
            and all(_count(found, a, "CSMS request") for a, _ in CSMS_REQUESTS[version])
            and _count(found, "BootNotification (after Reset)") >= 1
        )

    return done


SCENARIOS = [
    Scenario(
        "conformant-1.6", "1.6", stations=200, duration=40, csms_requests=True,
        until=_conformant_done("1.6", 200),
    ),
    Scenario(
        "conformant-2.0.1", "2.0.1", stations=100, duration=40, csms_requests=True,
        until=_conformant_done("2.0.1", 100),
    ),
    Scenario(
        "heartbeat-late", "1.6", ("heartbeat_late",), stations=20, duration=40, config=IDLE,
        until=lambda found: _failed(found, "Heartbeat") >= 5,
    ),
    Scenario(
        "start-call-error", "1.6", ("start_transaction_call_error",), stations=20, duration=40,
        until=lambda found: _failed(found, "StartTransaction") >= 5,
    ),
    Scenario(
        "heartbeat-late-2.0.1", "2.0.1", ("v201_heartbeat_late",), 20, duration=40, config=IDLE,
        until=lambda found: _failed(found, "Heartbeat") >= 5,
    ),
    Scenario(
        "start-call-error-2.0.1", "2.0.1", ("v201_tx_started_call_error",), 20, duration=40,
        until=lambda found: _failed(found, "TransactionEvent Started") >= 5,
    ),
    Scenario(
        "boot-schema", "1.6", ("boot_missing_current_time",), stations=20, duration=40,
        until=lambda found: _count(found, "BootNotification") >= 20,
    ),
    Scenario(
        "boot-schema-2.0.1", "2.0.1", ("v201_boot_six_digit_fraction",), 20, duration=40,
        until=lambda found: _count(found, "BootNotification") >= 20,
    ),
    Scenario(
        "storms", "1.6", stations=30, duration=40, config=STORMS, host="conformant-1.6",
        until=lambda found: _count(found, "offline queue delivered") >= 9
        and _count(found, "BootNotification (reconnect storm)") >= 9,
    ),
    Scenario(
        "workers", "1.6", stations=20, duration=40, mode="workers", host="conformant-2.0.1",
        until=lambda found: _count(found, "BootNotification") >= 20,
    ),
    Scenario(
        "processes", "1.6", stations=20, duration=40, mode="processes", host="conformant-2.0.1",
        until=lambda found: _count(found, "BootNotification") >= 20,
    ),
    Scenario(
        "gate-pass", "1.6", mode="gate", host="conformant-1.6",
        gate_config="gate_stations = 10\ngate_duration = 8\ngate_spawn_rate = 10\np95_ms = 10000",
    ),
    Scenario(
        "gate-fail", "1.6", mode="gate", host="boot-schema",
        gate_config="gate_stations = 10\ngate_duration = 8\ngate_spawn_rate = 10\n"
        "max_failure_ratio = 0.01\nmin_stations = 15",
    ),
]  # fmt: skip
PROVEN_DEFECTS = frozenset(name for scenario in SCENARIOS for name in scenario.defects)
"""The reference defects this file proves (read by test_csms201_defects.py)."""


def _locust(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest_ocpp.load.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _csms_process(defects: tuple[str, ...]) -> subprocess.Popen[str]:
    """``python -m pytest_ocpp.reference.csms`` with ``defects``; its first line names its URL."""
    tags = [a for tag in ("VALID_TAG_1", "VALID_TAG_2") for a in ("--tag", f"{tag}=Accepted")]
    return subprocess.Popen(
        [sys.executable, "-m", "pytest_ocpp.reference.csms", "--port", "0",
         "--heartbeat-interval", "2", "--log-level", "ERROR", *tags,
         *(a for defect in defects for a in ("--defect", defect))],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def _run_workers(scenario: Scenario, config: Path, prefix: Path) -> Any:
    """Master and two workers, as ``--master`` / ``--worker`` on several machines would."""
    port = free_port()
    master = _locust(
        "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
        "--expect-workers", "2", "--headless", "--target", scenario.url,
        "--version", scenario.version, "--config", str(config), "--stations",
        str(scenario.stations), "--spawn-rate", str(scenario.stations), "--duration",
        f"{scenario.duration}s", "--csv", str(prefix), "--loglevel", "WARNING",
        "--stop-timeout", "2",
    )  # fmt: skip
    worker = ("--worker", "--master-host", "127.0.0.1", "--master-port", str(port))
    workers = [_locust(*worker, "--loglevel", "WARNING") for _ in range(2)]
    out = _finish(master, scenario, prefix)
    for worker in workers:
        worker.wait(timeout=30)
    return out


def _processes() -> tuple[str, ...]:
    """``--processes 2`` on a port of its own: the forked workers find their master on
    Locust's default port 5557 otherwise, where another Locust run on the machine may be."""
    port = str(free_port())
    return ("--processes", "2", "--master-bind-port", port, "--master-port", port)


def _finish(process: subprocess.Popen[str], scenario: Scenario, prefix: Path) -> str:
    """Wait for the run, stopping it early once ``scenario.until`` holds of the statistics
    Locust rewrites every second."""
    deadline = time.monotonic() + scenario.duration + 30
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.3)
        if scenario.until is None or not Path(f"{prefix}_stats.csv").exists():
            continue
        try:
            found = results.read(prefix)
        except (OSError, ValueError, KeyError):
            continue  # caught mid-write
        if scenario.until(found):
            process.send_signal(signal.SIGTERM)
            break
    out, _ = process.communicate(timeout=60)
    return out


def _run(scenario: Scenario, workdir: Path) -> Any:
    config = workdir / f"{scenario.name}.toml"
    prefix = workdir / scenario.name
    if scenario.mode == "gate":
        pattern = f'station_id_pattern = "{scenario.name}-{{n}}"'
        config.write_text(f"[load]\n{pattern}\n{scenario.gate_config}\n", "utf-8")
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-m", "ocpp_load",
             f"--ocpp-target={scenario.url}", f"--ocpp-config={config}",
             f"--ocpp-version={scenario.version}", "--basetemp", str(workdir / f"{scenario.name}-tmp")],
            capture_output=True, text=True, timeout=120, cwd=workdir, check=False,
        )  # fmt: skip
    pattern = "" if scenario.host == "" else 'station_id_pattern = "W{worker}-{n}"\n'
    if scenario.mode == "processes":  # shares its CSMS with "workers": ids of its own
        pattern = 'station_id_pattern = "P{worker}-{n}"\n'
    config.write_text(scenario.config.replace("[load]\n", f"[load]\n{pattern}"), "utf-8")
    if scenario.mode == "workers":
        return _run_workers(scenario, config, prefix)
    command = load_command(
        scenario.url,
        scenario.version,
        prefix,
        config=str(config),
        stations=scenario.stations,
        duration=scenario.duration,
        spawn_rate=scenario.stations,
        extra=_processes() if scenario.mode == "processes" else (),
    )
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return _finish(process, scenario, prefix)


def _send_csms_requests(scenario: Scenario, loop: BackgroundLoop) -> None:
    """While the load runs, the CSMS sends its requests to five stations (one each)."""
    csms = scenario.csms
    assert csms is not None
    deadline = time.monotonic() + 30
    settings = load_settings(None, mix={"charging": 0.9, "idle": 0.1})
    idle = next(n for n in range(1, 100) if not role(settings, n).charging)
    # The remote start goes to an idle station: a charging one may have both connectors busy,
    # and then Rejected is the right answer.
    wanted = [f"LOAD00-{n:05d}" for n in (1, 2, 3, idle, 5)]
    while time.monotonic() < deadline and not all(s in csms._sessions for s in wanted):
        time.sleep(0.05)
    time.sleep(0.3)  # booted
    for station, (action, payload) in zip(wanted, CSMS_REQUESTS[scenario.version], strict=True):
        try:
            loop.run(csms.send_request(station, action, payload))
        except Exception as exc:  # judged by the test, with the reason
            scenario.answers.append((station, action, "not sent", repr(exc)))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len([r for r in csms.responses if r[0] in wanted]) < 5:
        time.sleep(0.1)
    scenario.answers += [r for r in csms.responses if r[0] in wanted]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Scenario]]:
    workdir = tmp_path_factory.mktemp("load")
    loop = BackgroundLoop("load-csms")
    loop.start()
    scenarios = {s.name: s for s in SCENARIOS}
    processes: list[subprocess.Popen[str]] = []
    try:
        # The CSMSs the tests talk to run here; the broken ones each in a process of its own,
        # so 600 stations are not all served by one thread.
        for scenario in scenarios.values():
            if scenario.csms_requests:
                scenario.csms = ReferenceCsms(
                    id_tags=reference_id_tags(IdTags()), heartbeat_interval=2
                )
                loop.run(scenario.csms.start())
                scenario.url = scenario.csms.url
            elif not scenario.host:
                processes.append(_csms_process(scenario.defects))
        for scenario, process in zip(
            [s for s in scenarios.values() if not s.host and not s.csms_requests],
            processes,
            strict=True,
        ):
            assert process.stdout is not None
            scenario.url = process.stdout.readline().split()[2].removesuffix("/<station_id>")
        for scenario in scenarios.values():
            scenario.url = scenario.url or scenarios[scenario.host].url
        with ThreadPoolExecutor(max_workers=len(scenarios) + 2) as pool:
            futures: dict[str, Future[Any]] = {
                name: pool.submit(_run, s, workdir) for name, s in scenarios.items()
            }
            senders = [
                pool.submit(_send_csms_requests, s, loop)
                for s in scenarios.values()
                if s.csms_requests
            ]
            for name, future in futures.items():
                scenarios[name].outcome = future.result()
            for sender in senders:
                sender.result()
        for scenario in scenarios.values():
            scenario.outcome = (scenario.outcome, workdir / scenario.name)
        yield scenarios
    finally:
        for scenario in scenarios.values():
            if scenario.csms is not None:
                loop.run(scenario.csms.stop())
        loop.stop()
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def _results(scenario: Scenario) -> results.Results:
    outcome, prefix = scenario.outcome
    text = outcome if isinstance(outcome, str) else f"{outcome.stdout}\n{outcome.stderr}"
    assert Path(f"{prefix}_stats.csv").exists(), f"{scenario.name}: no statistics\n{text[-3000:]}"
    return results.read(prefix)


def _failing(found: results.Results) -> dict[str, int]:
    return {
        r.name: r.failures for r in found.rows.values() if r.failures and r.name != "Aggregated"
    }


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_conformant_csms_zero_failures_and_every_action(
    runs: dict[str, Scenario], version: str
) -> None:
    scenario = runs[f"conformant-{version}"]
    found = _results(scenario)
    assert found.total.failures == 0, found.failures
    handshake = found.row("handshake")
    assert handshake is not None and handshake.count == scenario.stations
    for action in ACTIONS[version]:
        row = found.row(action)
        assert row is not None and row.count > 0, (
            f"no {action} in {sorted(n for _, n in found.rows)}"
        )
        assert 0 <= row.p50 <= row.p95 <= row.p99  # Locust rounds percentiles: not vs max
    assert found.figures["stations_connected_peak"] == scenario.stations
    # The CSMS's requests: answered as the CSMS expects, and counted in the statistics.
    answered = {action: body for _, action, _, body in scenario.answers}
    for action, _ in CSMS_REQUESTS[version]:
        assert action in answered, f"{action} unanswered: {scenario.answers}"
        for key, value in EXPECTED_ANSWERS.get(action, {}).items():
            assert answered[action][key] == value, (action, answered[action])
        counted = found.rows.get(("CSMS request", action))
        assert counted is not None and counted.count >= 1 and counted.failures == 0, action
    remote = "RemoteStartTransaction" if version == "1.6" else "RequestStartTransaction"
    assert answered[remote]["status"] == "Accepted"
    reset = found.row("BootNotification (after Reset)")
    assert reset is not None and reset.count == 1 and reset.failures == 0


@pytest.mark.parametrize(
    ("scenario", "action", "phrases"),
    [
        ("heartbeat-late", "Heartbeat", ["no answer within 2.5 s"]),
        ("start-call-error", "StartTransaction", ["CallError InternalError"]),
        ("boot-schema", "BootNotification", ["schema", "currentTime"]),
        ("heartbeat-late-2.0.1", "Heartbeat", ["no answer within 2.5 s"]),
        ("start-call-error-2.0.1", "TransactionEvent Started", ["CallError InternalError"]),
        ("boot-schema-2.0.1", "BootNotification", ["schema", "SHALL NOT exceed 3", "<date-time>"]),
    ],
)
def test_broken_csms_fails_the_right_action_for_the_right_reason(
    runs: dict[str, Scenario], scenario: str, action: str, phrases: list[str]
) -> None:
    found = _results(runs[scenario])
    assert set(_failing(found)) == {action}, found.failures
    reasons = found.reasons(action)
    assert len(reasons) == 1, reasons  # one row per fault, however many stations hit it
    (reason,) = reasons
    for phrase in phrases:
        assert phrase in reason, reason


def test_storms_are_figures_of_their_own(runs: dict[str, Scenario]) -> None:
    """Boot storm, reconnect storm and offline queueing each have their own rows, so a CSMS
    that copes with steady load but not with a storm shows it."""
    found = _results(runs["storms"])
    assert found.total.failures == 0, found.failures
    counts = {name: row.count for (_, name), row in found.rows.items()}
    assert counts["handshake (boot storm)"] == counts["BootNotification (boot storm)"] == 30
    assert (
        counts["handshake (reconnect storm)"] == counts["BootNotification (reconnect storm)"] == 9
    )
    assert counts["handshake (after offline)"] == counts["offline queue delivered"] == 9
    queued = {n for n in counts if n.endswith("(queued offline)")}
    assert (
        "StopTransaction (queued offline)" in queued
        or "StartTransaction (queued offline)" in queued
    ), counts


@pytest.mark.parametrize("name", ["workers", "processes"])
def test_two_workers_merge_both_workers_stations(runs: dict[str, Scenario], name: str) -> None:
    """``--master`` with two ``--worker`` processes, and ``--processes 2`` (Locust forks the
    two on this machine): either way, one set of statistics that counts both halves."""
    scenario = runs[name]
    found = _results(scenario)
    assert found.figures["workers_reporting"] == 2, found.figures
    assert found.total.failures == 0, found.failures
    for row_name in ("handshake", "BootNotification"):
        row = found.row(row_name)
        assert row is not None and row.count == scenario.stations, (row_name, row)


def test_gate_passes_on_a_conformant_csms_and_fails_with_the_figures(
    runs: dict[str, Scenario],
) -> None:
    passed, _ = runs["gate-pass"].outcome
    assert passed.returncode == 0, passed.stdout[-3000:]
    assert "1 passed" in passed.stdout
    failed, _ = runs["gate-fail"].outcome
    assert failed.returncode == 1, failed.stdout[-3000:]
    assert "failure ratio" in failed.stdout and "above max_failure_ratio 0.01" in failed.stdout
    assert "BootNotification: response breaks the OCPP 1.6 schema" in failed.stdout
    assert "fewer than min_stations 15" in failed.stdout


# -- pure parts: no Locust needed ------------------------------------------------------------
def _check(version: str, action: str, payload: dict[str, Any], *, response: bool) -> None:
    errors = schema_set(DIALECTS[version].version).errors(action, payload, response=response)
    assert not errors, (action, payload, errors)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_every_frame_the_stations_build_is_valid(version: str) -> None:
    """The load never blames a CSMS for a frame of ours: every request and every answer the
    simulated stations build validates against the official schema."""
    dialect = DIALECTS[version]()
    _check(version, "BootNotification", dialect.boot("LOAD00-00001"), response=False)
    for status in (dialect.AVAILABLE, dialect.OCCUPIED):
        _check(version, "StatusNotification", dialect.status(1, status), response=False)
    _check(version, "Authorize", dialect.authorize("VALID_TAG_1"), response=False)
    session = Session(1, "VALID_TAG_1", meter_start=1000, remote_start_id=3)
    for build in (dialect.start, dialect.meter, dialect.stop):
        for offline in (False, True):
            if version == "1.6":
                session.transaction_id = 5
            action, _, payload = build(session, offline=offline)
            _check(version, action, payload, response=False)
    view = StationView(2, 60, 10, {1: session})
    for action, payload in CSMS_REQUESTS[version] + [
        ("RemoteStopTransaction", {"transactionId": 5})
        if version == "1.6"
        else ("RequestStopTransaction", {"transactionId": str(session.transaction_id)}),
        ("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
        if version == "1.6"
        else ("ChangeAvailability", {"operationalStatus": "Inoperative"}),
        ("TriggerMessage", {"requestedMessage": "DiagnosticsStatusNotification"})
        if version == "1.6"
        else ("TriggerMessage", {"requestedMessage": "LogStatusNotification"}),
    ]:
        _check(version, action, payload, response=False)
        answer = dialect.answer(action, payload, view)
        assert answer.error_code is None and answer.payload is not None, action
        _check(version, action, answer.payload, response=True)
    assert dialect.answer("GetLocalListVersion", {}, view).error_code == "NotSupported"


def test_the_load_table_lives_in_the_suites_config_file(tmp_path: Path) -> None:
    """``[load]`` is a known table of the conformance suite's file, and a typo in it is an
    error naming the known keys."""
    from pytest_ocpp.config import ConfigError

    check_document({"ocpp": {}, "load": {"connectors": 3}})
    path = tmp_path / "ocpp.toml"
    path.write_text('[tags]\nvalid = "MY_TAG"\n[load]\nconnectors = 3\n', "utf-8")
    settings = load_settings(path)
    assert settings.connectors == 3 and settings.id_tokens[0] == "MY_TAG"
    path.write_text("[load]\nconectors = 3\n", "utf-8")
    with pytest.raises(ConfigError, match=r"conectors.*known keys"):
        load_settings(path)
    assert "s3cret" not in repr(load_settings(None, basic_auth_password="s3cret"))


def test_a_reply_is_judged_by_the_cores_rules_with_one_stable_reason() -> None:
    """The same rules as the conformance suite (pytest_ocpp.judging), one reason per fault
    however many messages show it: per-message values are replaced by placeholders."""
    from pytest_ocpp import rpc
    from pytest_ocpp.load import judge
    from pytest_ocpp.versions import V16, V201

    v16, v201 = schema_set(V16), schema_set(V201)
    ok = rpc.CallResult("1", {"currentTime": "2026-12-06T10:00:00Z"})
    assert judge.reply_reason(v16, "Heartbeat", ok) is None
    bad = rpc.CallError("1", "FormatViolation", "nope")  # a 2.0.1 spelling, not a 1.6 code
    assert judge.reply_reason(v16, "Heartbeat", bad) == (
        "CallError FormatViolation (nope); error code 'FormatViolation' is not one OCPP 1.6 defines"
    )
    reasons = {
        judge.reply_reason(
            v201,
            "Heartbeat",
            rpc.CallResult("1", {"currentTime": f"2026-12-06T10:00:0{i}.123456Z"}),
        )
        for i in range(5)
    }
    (reason,) = reasons
    assert "<date-time>" in reason and "SHALL NOT exceed 3" in reason
    assert repr(judge.LoadFailure("a reason")) == "a reason"  # Locust's tables show repr()


def test_our_options_become_locusts_and_the_rest_passes_through(tmp_path: Path) -> None:
    from pytest_ocpp.load.cli import LOCUSTFILE, translate

    args = translate(
        ["--target", "ws://csms:9000/ocpp", "--version=2.0.1", "--stations", "10", "--duration",
         "5s", "--headless", "--csv", "out", "--processes", "2"]
    )  # fmt: skip
    assert args[:2] == ["-f", str(LOCUSTFILE)]
    assert args[2:] == [
        "--host", "ws://csms:9000/ocpp", "--ocpp-version=2.0.1", "--users", "10", "--run-time",
        "5s", "--headless", "--csv", "out", "--processes", "2",
    ]  # fmt: skip
    storm = tmp_path / "storm.toml"
    storm.write_text("[load]\nboot_storm = true\n", "utf-8")
    assert translate(["--config", str(storm), "--stations", "300"])[-2:] == ["--spawn-rate", "300"]
