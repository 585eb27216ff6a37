"""Random but legal sequences against a CSMS (issue 15 point 5): see
:mod:`pytest_ocpp.fuzz.machine` for the rules and the invariants checked after every step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_ocpp.fuzz.cases import fuzz_cases

if TYPE_CHECKING:
    from pytest_ocpp.fuzz.run import FuzzRun


@fuzz_cases(
    "STATEFUL",
    "CSMS",
    "Stateful sequences",
    lambda version: [""],
    lambda _: "a station walking random legal sequences keeps the CSMS's invariants",
)
def test_station_sequences(ocpp_fuzz: FuzzRun, fuzz_version: str, subject: str) -> None:
    from pytest_ocpp.fuzz.machine import run_machine

    ocpp_fuzz.run(ocpp_fuzz.peer.link())
    run_machine(ocpp_fuzz)
    ocpp_fuzz.ctx.raise_findings()
