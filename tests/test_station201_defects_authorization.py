"""The 2.0.1 station-side C. Authorization cases, part 1 (testcases/ocpp201/cs/
test_authorization.py: TC_C_02 to TC_C_36) can fail.

Each run breaks one behaviour of the reference 2.0.1 station (a
:data:`~pytest_ocpp.reference.station201.station.DEFECTS` toggle) and proves that the cases
checking it report "fail" with a phrase of the broken rule, while the control case of the same
run, which meets the broken station without judging that behaviour, still passes; conformant
runs prove every case passes. End to end, as a charger team runs the suite: a separate
``pytest`` process against the reference station, driven by the ``command`` operator; the
plumbing is in ``harness.py``.

Most cases of the block are conditional on Part 5 features (C-49 cache, LA-3, C-59, and "NOT
AQ-2": no cable lock). The default claims (everything) make the "NOT AQ-2" cases not
applicable, so the runs claim the features the reference station has (:data:`NO_CABLE_LOCK`);
TC_C_05_CS (a station with a cable lock, AQ-2) runs with the default claims: its scenario needs
nothing the reference station lacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import pytest_ocpp.testcases.ocpp201.cs.test_authorization as authorization
import pytest_ocpp.testcases.ocpp201.cs.test_authorization_cache_offline as cache_offline
from harness import (
    Job,
    Report,
    Runs,
    assert_fails,
    assert_not_applicable,
    assert_passes,
    assert_ran_exactly,
    reference_station201,
    run_suite,
    runs_fixture,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.station201.station import DEFECTS

NO_CABLE_LOCK = ("C-07", "C-08", "C-30", "C-31", "C-32", "C-49", "C-59", "LA-3")
"""[claims] features of the runs: the reference station's, without AQ-2 (no cable lock)."""

TIMEOUTS: Mapping[str, float] = {"response_timeout": 2, "message_timeout": 1, "reboot_timeout": 10}


@dataclass(frozen=True)
class AuthRun:
    """One pytest process against a reference station with ``defects`` (none: conformant):
    each case of ``fails`` must fail with its phrase of the broken rule, each of ``passes``
    (the controls; in a conformant run, every case) must pass. Defects share a run only where
    no case meets more than its own. ``claims`` is the [claims] features list (None: the
    default, everything)."""

    name: str
    defects: tuple[str, ...]
    fails: Mapping[str, str]
    passes: tuple[str, ...] = ()
    claims: tuple[str, ...] | None = NO_CABLE_LOCK
    not_applicable: Mapping[str, str] = field(default_factory=dict)
    """Cases that must be not applicable, with a phrase of the reason."""

    @property
    def cases(self) -> tuple[str, ...]:
        return (*self.fails, *self.passes, *self.not_applicable)


def station201_defect_run(
    cases: tuple[str, ...],
    defects: tuple[str, ...],
    claims: tuple[str, ...] | None,
    workdir: Path,
) -> Report:
    """``cases`` against a reference 2.0.1 station with ``defects`` (none: conformant), the
    run's config file claiming ``claims`` (None: no config file, everything claimed)."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "ocpp.toml"
    text = "[station]\ntransaction_duration = 1\n"  # TC_C_15-18's offline wait
    if claims is not None:
        text += "[claims]\nfeatures = [" + ", ".join(f'"{c}"' for c in claims) + "]\n"
    config.write_text(text, "utf-8")
    extra = ["--ocpp-config", str(config)]
    with reference_station201(defects) as hosted:
        return run_suite(workdir, *hosted.args, *extra, ids=cases, **TIMEOUTS)


REFUSED = "no such TransactionEventRequest"
"""The phrase of a refused idToken that started something anyway (C01.FR.02)."""

RUNS: tuple[AuthRun, ...] = (
    AuthRun(
        "conformant_no_cable_lock",
        (),
        {},
        tuple(
            "TC_C_02_CS TC_C_04_CS TC_C_06_CS TC_C_07_CS TC_C_09_CS TC_C_10_CS TC_C_32_CS "
            "TC_C_33_CS TC_C_36_CS TC_C_27_CS".split()
        ),
    ),
    AuthRun(
        "conformant_all_claimed",
        (),
        {},
        tuple(
            "TC_C_05_CS TC_C_08_CS TC_C_11_CS TC_C_12_CS TC_C_13_CS TC_C_14_CS TC_C_57_CS "
            "TC_C_28_CS TC_C_29_CS TC_C_30_CS TC_C_31_CS TC_C_58_CS".split()
        ),
        claims=None,
    ),
    AuthRun(
        "conformant_offline",
        (),
        {},
        ("TC_C_16_CS", "TC_C_17_CS", "TC_C_34_CS"),
        claims=None,
        not_applicable=dict.fromkeys(("TC_C_15_CS", "TC_C_18_CS"), "MaxEnergyOnInvalidId"),
    ),
    AuthRun(
        "refused_starts_and_preauthorized_without_id_token",
        ("c_refused_token_starts", "c_preauthorized_without_id_token"),
        {
            "TC_C_02_CS": REFUSED,
            "TC_C_06_CS": REFUSED,
            "TC_C_07_CS": REFUSED,
            "TC_C_08_CS": "idToken",
            "TC_C_13_CS": "idToken",
            "TC_C_27_CS": "idToken",
            "TC_C_32_CS": "idToken",
            "TC_C_33_CS": "idToken",
        },
        ("TC_C_04_CS",),
    ),
    AuthRun(
        "refused_starts_cable_lock_and_masterpass_ignored",
        ("c_refused_token_starts", "c_masterpass_ignored"),
        {"TC_C_05_CS": REFUSED, "TC_C_36_CS": REFUSED, "TC_C_14_CS": "StopAuthorized"},
        ("TC_C_04_CS",),
        claims=None,
    ),
    AuthRun(
        "local_refusal_final_and_tx_response_not_cached",
        ("c_local_refusal_final", "c_tx_response_not_cached"),
        dict.fromkeys(
            "TC_C_09_CS TC_C_10_CS TC_C_11_CS TC_C_12_CS TC_C_28_CS TC_C_29_CS TC_C_30_CS "
            "TC_C_31_CS TC_C_34_CS".split(),
            "AuthorizeRequest for idToken",
        ),
        ("TC_C_02_CS",),
    ),
    AuthRun(
        "different_token_stops_post_authorize_ignored_stop_tx_on_invalid_id_ignored",
        ("c_different_token_stops", "c_post_authorize_ignored", "stop_tx_on_invalid_id_ignored"),
        {
            "TC_C_04_CS": "C01.FR.03",
            "TC_C_57_CS": "DisablePostAuthorize true",
            "TC_C_58_CS": "DisablePostAuthorize true",
            "TC_C_16_CS": "triggerReason Deauthorized",
            "TC_C_17_CS": "SuspendedEVSE",
        },
        ("TC_C_09_CS",),
    ),
)

UNFAILABLE: dict[str, str] = {
    "TC_C_15_CS": "needs MaxEnergyOnInvalidId (C-03), which the reference station does not "
    "implement: not applicable against it (proved in conformant_offline)",
    "TC_C_18_CS": "needs MaxEnergyOnInvalidId (C-03), which the reference station does not "
    "implement: not applicable against it (proved in conformant_offline)",
}
"""Cases no defect of this file fails, with the reason."""

BLOCK = (
    "TC_C_02_CS TC_C_05_CS TC_C_04_CS TC_C_06_CS TC_C_07_CS TC_C_08_CS TC_C_09_CS TC_C_10_CS "
    "TC_C_11_CS TC_C_12_CS TC_C_13_CS TC_C_14_CS TC_C_15_CS TC_C_16_CS TC_C_17_CS TC_C_18_CS "
    "TC_C_57_CS TC_C_27_CS TC_C_28_CS TC_C_29_CS TC_C_30_CS TC_C_31_CS TC_C_58_CS TC_C_32_CS "
    "TC_C_33_CS TC_C_34_CS TC_C_36_CS"
).split()
"""The 2.0.1 station-side ids of C. Authorization part 1 (Part 6 §2.4, TC_C_02 to TC_C_36)."""


def _jobs() -> dict[str, Job]:
    return {
        run.name: partial(station201_defect_run, run.cases, run.defects, run.claims) for run in RUNS
    }


runs = runs_fixture(_jobs(), param="name", workers=7)


def _case_ids(module: Any) -> set[str]:
    return {
        mark.kwargs["id"]
        for value in vars(module).values()
        for mark in getattr(value, "pytestmark", ())
        if mark.name == "ocpp_case" and mark.kwargs.get("version") == "2.0.1"
    }


def test_every_defect_exists() -> None:
    for run in RUNS:
        for defect in run.defects:
            assert defect in DEFECTS, defect


def test_every_case_can_fail() -> None:
    failed = {case for run in RUNS for case in run.fails}
    assert failed | set(UNFAILABLE) == set(BLOCK)
    conformant = {case for run in RUNS if not run.defects for case in run.passes}
    assert conformant | set(UNFAILABLE) == set(BLOCK)


def test_catalogue_ids_implemented() -> None:
    """Every id of this part is in the catalogue and has exactly one case."""
    catalogue = {info.id for info in catalog().values() if info.version == "2.0.1"}
    assert set(BLOCK) <= catalogue
    ids = _case_ids(authorization)
    assert not ids & _case_ids(cache_offline)
    assert ids | _case_ids(cache_offline) == set(BLOCK)


@pytest.mark.parametrize("name", [run.name for run in RUNS])
def test_run(runs: Runs, name: str) -> None:
    run = next(r for r in RUNS if r.name == name)
    report = runs[name]
    assert_ran_exactly(report, run.cases)
    for case, cause in run.fails.items():
        assert_fails(report, (case,), because=cause)
    assert_passes(report, run.passes)
    for case, reason in run.not_applicable.items():
        assert_not_applicable(report, (case,), because=reason)
    expected = 1 if run.fails else 0
    assert report.returncode == expected, f"pytest should exit {expected}; {report.output}"
