"""Issue 23 end to end: the reference CSMS driven only through tzi-OCTT's trigger API and
through open-ocpp-tck's csms-server API gives the same verdicts as through its own control
channel; the traces such a run writes are open-ocpp-trace v1.1 (validated against the vendored
schema), and ``--ocpp-check-trace`` passes them.

One reference CSMS serves all three runs (each its own station id) with both APIs beside it
(:mod:`pytest_ocpp.interop.trigger_server`), as ``python -m pytest_ocpp.reference.csms
--trigger-api-port`` does; the runs are separate pytest processes, as a CSMS team runs them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import PASS, Report, operator_command, run_pytest, run_suite

from pytest_ocpp.config import IdTags
from pytest_ocpp.embedded import reference_id_tags
from pytest_ocpp.interop import checker, opentrace, trigger_server
from pytest_ocpp.reference.csms import ReferenceCsms
from pytest_ocpp.reference.runner import BackgroundLoop

CASES_16 = (
    "TC_010_CSMS",  # RemoteStartTransaction
    "TC_012_CSMS",  # RemoteStopTransaction: the TCK names the transaction by its handle
    "TC_013_CSMS",  # Reset
    "TC_019_1_CSMS",  # GetConfiguration: the TCK's keys
    "TC_043_1_CSMS",  # SendLocalList: the TCK's flat entries
    "TC_046_CSMS",  # ReserveNow: the TCK's reservation handle
    "TC_056_CSMS",  # SetChargingProfile: the TCK cannot carry the profile object (n/a)
    "TC_067_CSMS",  # ClearChargingProfile
)
CASES_201 = (
    "TC_B_02_CSMS",  # setup boot_status Pending: tzi-OCTT's set-pending-boot
    "TC_C_37_CSMS",  # ClearCache, kebab-case by tzi-OCTT's 2.0.1 convention
)
TCK_NOT_APPLICABLE = {
    # The daemon names a charging profile by the CSMS's handle: it cannot carry the profile
    # object these cases make the CSMS send (TC_067 installs one first).
    "TC_056_CSMS": "set-charging-profile names a profile stored in the CSMS",
    "TC_067_CSMS": "set-charging-profile names a profile stored in the CSMS",
    # OCPP 1.6 operations only (its registration administration serves TC_B_02's setup).
    "TC_C_37_CSMS": "serves OCPP 1.6 operations only",
}


@pytest.fixture(scope="module")
def apis() -> Iterator[dict[str, str]]:
    """The reference CSMS with both trigger APIs: the options pointing runs at it."""
    csms = ReferenceCsms(id_tags=reference_id_tags(IdTags()), response_timeout=5.0)
    with BackgroundLoop("interop-csms") as loop:
        loop.run(csms.start())
        server = loop.run(trigger_server.serve(csms.handle_command))
        base = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        try:
            yield {
                "own": operator_command(csms.control_url),
                "tzi": f"tzi-octt:{base}",
                "tck": f"open-ocpp-tck:{base}",
                "target": csms.url,
            }
        finally:

            async def stop() -> None:
                server.close()
                await server.wait_closed()
                await csms.stop()

            loop.run(stop())


@pytest.fixture(scope="module")
def runs(apis: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    """The same cases through each operator, in parallel (each run waits mostly on the
    reference); the run through our own operator also writes its traces."""

    def run(name: str) -> Report:
        workdir = tmp_path_factory.mktemp(name)
        extra = ["--ocpp-trace-dir", str(workdir / "traces")] if name == "own" else []
        return run_suite(
            workdir,
            "--ocpp-target",
            apis["target"],
            "--ocpp-csms-operator",
            apis[name],
            "--ocpp-station-id",
            f"CP_{name.upper()}",
            "--ocpp-version",
            "all",
            *extra,
            ids=CASES_16 + CASES_201,
            operator_timeout=5,
            message_timeout=3,
        )

    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(run, name) for name in ("own", "tzi", "tck")}
        return {name: future.result() for name, future in futures.items()}


def _verdicts(report: Report) -> dict[str, str]:
    return {case: verdict for case, (verdict, _message) in report.verdicts.items()}


def test_our_own_operator_passes_every_selected_case(runs: dict[str, Report]) -> None:
    """The control: the cases chosen here pass on the reference (else the comparison below
    would compare failures)."""
    assert _verdicts(runs["own"]) == dict.fromkeys(CASES_16 + CASES_201, PASS), runs["own"].output


def test_tzi_octt_api_gives_the_same_verdicts(runs: dict[str, Report]) -> None:
    assert _verdicts(runs["tzi"]) == _verdicts(runs["own"]), runs["tzi"].output


def test_open_ocpp_tck_api_gives_the_same_verdicts_where_it_can_express_the_action(
    runs: dict[str, Report],
) -> None:
    """The daemon speaks OCPP 1.6 only, and names charging profiles by handle: those cases
    are not applicable with the reason, every other one has our own operator's verdict."""
    verdicts = runs["tck"].verdicts
    for case in CASES_16 + CASES_201:
        if case in TCK_NOT_APPLICABLE:
            assert verdicts[case][0] == "not applicable", runs["tck"].output
            assert TCK_NOT_APPLICABLE[case] in verdicts[case][1], verdicts[case]
        else:
            assert verdicts[case][0] == runs["own"].verdicts[case][0], runs["tck"].output


def _traces(runs: dict[str, Report]) -> list[Path]:
    return sorted((runs["own"].workdir / "traces").glob("*.jsonl"))


def test_every_case_writes_an_open_ocpp_trace_that_the_published_schema_accepts(
    runs: dict[str, Report],
) -> None:
    files = _traces(runs)
    assert {f.name for f in files} == {
        opentrace.file_name(case, "1.6" if case in CASES_16 else "2.0.1")
        for case in CASES_16 + CASES_201
    }
    for path in files:
        records = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
        assert records, f"{path.name} holds no frame"
        for number, record in enumerate(records, start=1):
            assert opentrace.schema_errors(record) == [], f"{path.name} line {number}"
            assert opentrace.decompose(record["raw"]) is not None
        calls = [r for r in records if r["messageType"] == "CALL"]
        assert all(r.get("action") for r in calls)
        directions = {r["direction"] for r in records}
        assert directions == {"cp-to-csms", "csms-to-cp"}, path.name


def _first_call(records: list[dict[str, Any]], action: str) -> dict[str, Any]:
    return next(r for r in records if r["messageType"] == "CALL" and r.get("action") == action)


def test_the_trace_says_who_sent_what(runs: dict[str, Report]) -> None:
    """Testing a CSMS we are the charge point: our BootNotification is cp-to-csms, the
    CSMS's RemoteStartTransaction csms-to-cp, and its answer names the action it answers."""
    path = runs["own"].workdir / "traces" / opentrace.file_name("TC_010_CSMS", "1.6")
    records = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    boot = _first_call(records, "BootNotification")
    remote = _first_call(records, "RemoteStartTransaction")
    assert (boot["direction"], remote["direction"]) == ("cp-to-csms", "csms-to-cp")
    answer = next(
        r
        for r in records
        if r["messageType"] == "CALLRESULT" and r["messageId"] == remote["messageId"]
    )
    assert answer["action"] == "RemoteStartTransaction"
    assert answer["direction"] == "cp-to-csms"
    assert boot["chargePointId"] == "CP_OWN"


def test_check_trace_passes_a_clean_recorded_run(runs: dict[str, Report]) -> None:
    """Every trace of the run is clean by the checker; one goes through pytest as a user
    runs it (9 rules, 9 passing items)."""
    files = _traces(runs)
    for path in files:
        found = checker.check(opentrace.read(path))
        assert found == [], [v.render() for v in found]
    path = next(f for f in files if "TC_B_02" in f.name)
    done = run_pytest(path.parent, "--ocpp-check-trace", str(path), "-q")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "9 passed" in done.stdout


def test_the_reference_csms_command_line_serves_both_apis() -> None:
    """``python -m pytest_ocpp.reference.csms --trigger-api-port``: the option a team uses to
    try the adapters without pytest."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest_ocpp.reference.csms",
            "--port",
            "0",
            "--trigger-api-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline(), process.stdout.readline()]
        base = lines[1].split("trigger APIs: ")[1].strip()
        driver = httpx.get(f"{base}/v1/driver", timeout=5).json()
        assert {"operation": "reset", "action": "Reset"} in driver["operations16"]
        refused = httpx.post(f"{base}/api/octt/1.6/NOBODY/reset", json={"type": "Hard"}, timeout=5)
        assert refused.status_code == 500 and "not connected" in refused.json()["error"]
    finally:
        process.terminate()
        process.wait(timeout=10)
