"""The station-side reusable states and manual steps are faithful to their OCTT tables: a
station that skips what a table requires fails, a conformant one passes.

- Charging (OCTT 1.6 Table 105) requires Authorize.req when AuthorizeRemoteTxRequests is true.
  The general precondition "empty authorization cache" (OCTT 1.6 §1.3) is established first,
  so LocalPreAuthorize true no longer excuses a missing Authorize.req: a station that starts a
  remote transaction for an uncached tag without authorizing fails, and a conformant station
  with LocalPreAuthorize true passes.
- "[EV Driver starts offline a transaction]" (TC_037_x, TC_039) is proven from the frames:
  a station that waits for the connection and then authorizes and starts online fails.

Each run is a real pytest process against a reference station (``harness.py``), as a firmware
team would run the suite.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from harness import (
    Defect,
    Report,
    Runs,
    assert_conformant,
    assert_defect_caught,
    reference_station,
    run_suite,
    runs_fixture,
)

from pytest_ocpp.reference.station import DEFECTS

PRE_AUTHORIZE = {"LocalPreAuthorize": "true"}
"""The setting under which the old Charging state waived Authorize.req."""

CHARGING_CASES = ("TC_010_CS", "TC_012_CS", "TC_068_CS")
OFFLINE_CASES = ("TC_037_1_CS", "TC_037_3_CS")
"""TC_039_CS also fails on the defect, but for lack of a cable by then: not a clean probe."""

DEFECT_CASES: tuple[Defect, ...] = (
    Defect("remote_start_without_authorize", CHARGING_CASES, "Authorize.req idTag"),
    Defect("offline_start_authorized_online", OFFLINE_CASES, "offline"),
)

OPTIONS: dict[str, Any] = {"message_timeout": 4, "response_timeout": 3, "connect_timeout": 6}


def _run(
    cases: tuple[str, ...],
    defects: tuple[str, ...],
    overrides: Mapping[str, str],
    workdir: Path,
) -> Report:
    with reference_station(defects, config_overrides=dict(overrides)) as hosted:
        return run_suite(workdir, *hosted.args, ids=cases, **OPTIONS)


def _job(cases: Collection[str], defects: Collection[str] = ()) -> Any:
    return partial(_run, tuple(cases), tuple(defects), PRE_AUTHORIZE)


runs = runs_fixture(
    {
        "conformant": _job(CHARGING_CASES + OFFLINE_CASES + ("TC_039_CS", "TC_038_CS")),
        **{d.name: _job(d.cases, (d.name,)) for d in DEFECT_CASES},
    },
    param="defect",
    keep=["conformant"],
)


def test_defects_exist() -> None:
    """The table names defects the reference station has."""
    assert {d.name for d in DEFECT_CASES} <= set(DEFECTS)


def test_cases_pass_on_conformant_station(runs: Runs) -> None:
    """A conformant station with LocalPreAuthorize true passes every case proven below: the
    empty cache makes it authorize, and its offline transactions carry offline timestamps."""
    assert_conformant(
        runs["conformant"], CHARGING_CASES + OFFLINE_CASES + ("TC_039_CS", "TC_038_CS")
    )


@pytest.mark.parametrize("defect", DEFECT_CASES, ids=str)
def test_case_fails_on_defect(defect: Defect, runs: Runs) -> None:
    """Each named case fails, and says why."""
    assert_defect_caught(runs[defect.name], defect)
