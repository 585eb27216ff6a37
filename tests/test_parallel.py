"""``pytest -n N`` (pytest-xdist) runs the CSMS side in parallel as one run (issue 16 pt 6).

Each worker plays its own station id, so a real CSMS sees N distinct stations; the verdicts
come back to the controller, which writes the one terminal summary, JSON report and exit
status of the run. The station side, one device behind one port, refuses workers with a
message instead of letting them fight for the port.
"""

from __future__ import annotations

from pathlib import Path

from harness import reference_csms, run_pytest, run_suite

SELECTION = "tc_001_csms or tc_003_csms or tc_004_1_csms or tc_004_2_csms or tc_b_01_csms"
IDS = {"TC_001_CSMS", "TC_003_CSMS", "TC_004_1_CSMS", "TC_004_2_CSMS", "TC_B_01_CSMS"}


def _links(case: dict) -> set[str]:
    return {e["link"] for e in case["trace"] if e["direction"] in ("sent", "received")}


def test_csms_side_in_parallel_is_one_run_with_a_station_per_worker(tmp_path: Path) -> None:
    with reference_csms(["heartbeat_bad_datetime"]) as csms:
        report = run_suite(
            tmp_path, *csms.args, "--ocpp-version", "all", "-n", "2", "-k", SELECTION
        )
    assert {c["id"] for c in report.cases} == IDS, report.output
    assert len(report.cases) == len(IDS)  # each case once, from whichever worker ran it
    verdicts = report.verdicts
    assert verdicts["TC_001_CSMS"][0] == "fail", report.output  # the broken Heartbeat answer
    assert all(verdicts[i][0] == "pass" for i in IDS - {"TC_001_CSMS"}), report.output
    assert report.returncode == 1
    out = report.stdout
    assert "2 workers play the stations CP_1-1, CP_1-2" in out, out
    assert out.count("OCPP compliance summary") == 1
    assert "total: 4 pass, 1 fail, 0 not applicable, 0 error" in out, out
    used = set().union(*(_links(c) for c in report.cases))
    assert used <= {"CP_1-1", "CP_1-2"} and len(used) == 2, used


def test_listed_station_ids_are_shared_out_and_must_suffice(tmp_path: Path) -> None:
    with reference_csms() as csms:
        report = run_suite(
            tmp_path / "ok",
            *csms.args,
            "-n",
            "2",
            "--ocpp-station-id",
            "EVB-A,EVB-B",
            "-k",
            "tc_001_csms or tc_003_csms or tc_004_1_csms",
        )
        assert report.returncode == 0, report.output
        used = set().union(*(_links(c) for c in report.cases))
        assert used <= {"EVB-A", "EVB-B"}, used
        short = run_pytest(
            tmp_path / "short", *csms.args, "-n", "3", "--ocpp-station-id", "EVB-A,EVB-B"
        )
    assert short.returncode == 4, short.stdout + short.stderr
    assert "3 workers need 3 station ids" in short.stdout + short.stderr


def test_station_side_refuses_workers_with_a_reason(tmp_path: Path) -> None:
    done = run_pytest(tmp_path, "--ocpp-listen", "127.0.0.1:0", "-n", "2")
    assert done.returncode == 4, done.stdout + done.stderr
    text = done.stdout + done.stderr
    assert "runs one case at a time" in text and "without -n" in text, text
