"""Schema-valid and schema-invalid requests, against a CSMS and against a charging station.

For every action a role must accept (issue 15 points 2 and 3): hypothesis draws payloads from
the official schemas with OCPP's own rules for loose values
(:mod:`pytest_ocpp.fuzz.strategies`), and for the invalid ones bends each drawn payload once per
class of violation (:mod:`pytest_ocpp.fuzz.mutations`). What counts as a conformant answer is in
:mod:`pytest_ocpp.fuzz.rules`; a failure shows the shrunk frame sent and the frame received.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_ocpp.fuzz import rules
from pytest_ocpp.fuzz.cases import fuzz_cases

if TYPE_CHECKING:
    from pytest_ocpp.fuzz.run import FuzzRun

# hypothesis and the strategies are imported inside the properties: every pytest run collects
# this module, most of them never run a fuzz property.


def _valid(run: FuzzRun, action: str) -> None:
    from pytest_ocpp.fuzz.strategies import payloads

    async def example(payload: dict) -> None:
        await run.valid(action, payload)

    run.check(payloads(run.version, action), example)
    run.ctx.raise_findings()


def _invalid(run: FuzzRun, action: str) -> None:
    """Each example sends one mutant per class the action's schema has room for."""
    from hypothesis import strategies as st

    from pytest_ocpp.fuzz.mutations import has_sites, mutants
    from pytest_ocpp.fuzz.strategies import payloads

    kinds = [kind for kind in rules.MUTATIONS if has_sites(run.version, action, kind)]
    if not kinds:
        from pytest_ocpp.verdicts import not_applicable

        raise not_applicable(f"the {action} schema leaves no room for an invalid payload")
    run.run(run.supported(action, payloads(run.version, action)))

    async def example(drawn: tuple) -> None:
        for mutant in drawn:
            await run.invalid(action, mutant)

    run.check(st.tuples(*(mutants(run.version, action, kind) for kind in kinds)), example)
    run.ctx.raise_findings()


@fuzz_cases(
    "VALID",
    "CSMS",
    "Valid payloads",
    lambda version: rules.STATION_TO_CSMS[version],
    lambda action: f"schema-valid {action} requests get a valid answer",
)
def test_valid_requests_to_csms(ocpp_fuzz: FuzzRun, fuzz_version: str, subject: str) -> None:
    _valid(ocpp_fuzz, subject)


@fuzz_cases(
    "INVALID",
    "CSMS",
    "Invalid payloads",
    lambda version: [a for a in rules.STATION_TO_CSMS[version] if a != "Heartbeat"],
    lambda action: f"invalid {action} requests get the CallError of their class",
)
def test_invalid_requests_to_csms(ocpp_fuzz: FuzzRun, fuzz_version: str, subject: str) -> None:
    _invalid(ocpp_fuzz, subject)


@fuzz_cases(
    "VALID",
    "CS",
    "Valid payloads",
    rules.station_actions,
    lambda action: f"schema-valid {action} requests get a valid answer",
)
def test_valid_requests_to_station(ocpp_fuzz: FuzzRun, fuzz_version: str, subject: str) -> None:
    _valid(ocpp_fuzz, subject)


@fuzz_cases(
    "INVALID",
    "CS",
    "Invalid payloads",
    rules.station_actions,
    lambda action: f"invalid {action} requests get the CallError of their class",
)
def test_invalid_requests_to_station(ocpp_fuzz: FuzzRun, fuzz_version: str, subject: str) -> None:
    _invalid(ocpp_fuzz, subject)
