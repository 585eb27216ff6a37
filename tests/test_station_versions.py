"""``--ocpp-listen`` with ``--ocpp-version=1.6,2.0.1``: one port serves both fake CSMSs, the
subprotocol the station offers picks the version (OCPP-J: the subprotocol selected is the
version spoken), and the other version's cases are not applicable with the negotiated one
named, never failed or waited out (issue 14 point 1)."""

from __future__ import annotations

from pathlib import Path

from harness import (
    NOT_APPLICABLE,
    PASS,
    reference_station,
    reference_station201,
    run_suite,
)

BOTH = ("--ocpp-version", "1.6,2.0.1")


def test_a_201_station_runs_the_201_cases_and_skips_the_16_ones(tmp_path: Path) -> None:
    with reference_station201() as station:
        report = run_suite(tmp_path, *station.args, *BOTH, ids=("TC_B_01_CS", "TC_001_CS"))
    verdicts = report.verdicts
    assert verdicts["TC_B_01_CS"][0] == PASS, report.output
    verdict, message = verdicts["TC_001_CS"]
    assert verdict == NOT_APPLICABLE, report.output
    assert "subprotocol ocpp2.0.1" in message and "ocpp1.6" in message


def test_a_16_station_runs_the_16_cases_and_skips_the_201_ones(tmp_path: Path) -> None:
    with reference_station() as station:
        report = run_suite(
            tmp_path, *station.args, *BOTH, ids=("TC_B_01_CS", "TC_003_CS"), message_timeout=5
        )
    verdicts = report.verdicts
    assert verdicts["TC_003_CS"][0] == PASS, report.output
    verdict, message = verdicts["TC_B_01_CS"]
    assert verdict == NOT_APPLICABLE, report.output
    assert "subprotocol ocpp1.6" in message and "ocpp2.0.1" in message
