"""The 2.0.1 station-side B Provisioning part 2 cases (resets and reports:
testcases/ocpp201/cs/test_provisioning_reset.py; network profiles, offline status and
reconnection: test_provisioning_network.py) can fail.

Each run breaks one or more unrelated behaviours of the reference 2.0.1 station (entries of
:data:`~pytest_ocpp.reference.station201.DEFECTS`, or the conformant variant ``no_evse_reset``
against claims that say otherwise) and proves the cases checking them report "fail" with the
broken rule in the message, while the control cases of the same run pass; a conformant run
proves every case passes or is not applicable for a true reason. Defects whose behaviours do not
meet share a run, so the file stays well under a minute; timeouts are short.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_ocpp.testcases.ocpp201.cs.test_provisioning_network as network_module
import pytest_ocpp.testcases.ocpp201.cs.test_provisioning_reset as reset_module
from harness import (
    FAIL,
    NOT_APPLICABLE,
    PASS,
    Report,
    Runs,
    assert_fails,
    assert_not_applicable,
    assert_passes,
    reference_station201,
    run_suite,
    runs_fixture,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.station201.station import DEFECTS, VARIANTS

MY_IDS = (
    "TC_B_20_CS",
    "TC_B_21_CS",
    "TC_B_22_CS",
    "TC_B_23_CS",
    "TC_B_24_CS",
    "TC_B_41_CS",
    "TC_B_25_CS",
    "TC_B_26_CS",
    "TC_B_27_CS",
    "TC_B_28_CS",
    "TC_B_29_CS",
    "TC_B_43_CS",
    "TC_B_45_CS",
    "TC_B_46_CS",
    "TC_B_47_CS",
    "TC_B_49_CS",
    "TC_B_50_CS",
    "TC_B_51_CS",
    "TC_B_52_CS",
    "TC_B_53_CS",
    "TC_B_54_CS",
    "TC_B_55_CS",
    "TC_B_56_CS",
    "TC_B_57_CS",
)
"""The block's cases implemented in the two modules."""

LEFT_OUT: dict[str, str] = {}
"""Catalogue cases of the block not implemented, and why (none)."""

UNFAILABLE: dict[str, str] = {
    "TC_B_47_CS": "security profile 2/3 (TLS, a new CSMS root): not applicable over this "
    "file's ws://; passes and fails in tests/test_station201_security.py",
    "TC_B_50_CS": "the same",
}
"""Cases no run of this file fails, with the reason."""

TIMEOUTS = {
    "response_timeout": 2,
    "message_timeout": 5,
    "reboot_timeout": 8,
    "connect_timeout": 8,
}
STATION_KEYS = "[station]\noffline_threshold = 3\nretry_backoff_wait_minimum = 1\n"
"""Short <Configured offlineThreshold> and RetryBackOffWaitMinimum for TC_B_51/52/57."""


CONFORMANT: dict[str, str] = {
    **dict.fromkeys(MY_IDS, PASS),
    "TC_B_28_CS": NOT_APPLICABLE,  # the default claims include C-13
    "TC_B_29_CS": NOT_APPLICABLE,
    "TC_B_47_CS": NOT_APPLICABLE,  # security profile 2/3: tests/test_station201_security.py
    "TC_B_50_CS": NOT_APPLICABLE,
}
"""Every case against a conformant station, with the default claims."""

TIMED = ("TC_B_45_CS", "TC_B_46_CS", "TC_B_49_CS", "TC_B_51_CS", "TC_B_52_CS", "TC_B_57_CS")
"""The cases that wait on reconnections."""


@dataclass(frozen=True)
class Run:
    """One pytest process against one reference station: ``defects`` and ``variants`` break
    or vary it, ``features`` (None: all) are the [claims] features of the config file;
    ``expect`` maps each case to its verdict, ``causes`` each failing case to a phrase its
    message must contain."""

    name: str
    expect: dict[str, str]
    causes: dict[str, str] = field(default_factory=dict)
    defects: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()
    features: tuple[str, ...] | None = None

    def __str__(self) -> str:
        return self.name


def _fail(cause: str, *cases: str) -> tuple[dict[str, str], dict[str, str]]:
    return dict.fromkeys(cases, FAIL), dict.fromkeys(cases, cause)


def _run(
    name: str,
    fails: list[tuple[dict[str, str], dict[str, str]]],
    passes: tuple[str, ...] = (),
    **kwargs: object,
) -> Run:
    expect: dict[str, str] = dict.fromkeys(passes, PASS)
    causes: dict[str, str] = {}
    for verdicts, why in fails:
        expect.update(verdicts)
        causes.update(why)
    return Run(name, expect, causes, **kwargs)  # type: ignore[arg-type]


RUNS: tuple[Run, ...] = (
    # The conformant run in two halves that go in parallel: the waits of B04/B10/§5.3 apart.
    Run("conformant", {c: v for c, v in CONFORMANT.items() if c not in TIMED}),
    Run("conformant_timed", {c: v for c, v in CONFORMANT.items() if c in TIMED}),
    # A failing case that leaves a reboot pending goes last in its run (module order): the
    # next case would meet the station rebooting.
    _run(
        "no_reboot",
        [
            _fail("did not connect", "TC_B_20_CS"),
            _fail("ResetResponse status Scheduled", "TC_B_21_CS"),
        ],
        defects=("reset_without_reboot",),
    ),
    _run(
        "scheduled_station",
        [_fail("ResetResponse status Scheduled", "TC_B_41_CS")],
        passes=("TC_B_20_CS",),
        defects=("b_reset_on_idle_not_scheduled",),
    ),
    # Alone: the EV plugged in while offline goes unreported, so no later case could undo it.
    _run(
        "no_resync",
        [_fail("StatusNotificationRequest", "TC_B_51_CS", "TC_B_52_CS")],
        defects=("b_no_status_after_outage",),
    ),
    _run(
        "scheduled_evse_profile_evses",
        [
            _fail("ResetResponse status Scheduled", "TC_B_26_CS"),
            _fail("SetNetworkProfileResponse status Rejected", "TC_B_43_CS"),
            _fail("ActiveNetworkProfile", "TC_B_45_CS"),
            _fail("number of EVSEs", "TC_B_56_CS"),
        ],
        defects=(
            "b_reset_on_idle_not_scheduled",
            "b_network_profile_any_slot",
            "b_report_first_evse_only",
            "b_network_priority_ignored",
        ),
    ),
    _run(
        "immediate_instance",
        [
            _fail("triggerReason ResetCommand", "TC_B_27_CS"),
            _fail("ActiveNetworkProfile", "TC_B_46_CS"),
            _fail("instance", "TC_B_54_CS", "TC_B_55_CS"),
        ],
        passes=("TC_B_25_CS",),
        defects=(
            "b_immediate_reset_power_loss",
            "b_report_instance_ignored",
            "b_network_no_fallback",
        ),
    ),
    _run(
        "reservation_lost",
        [_fail("Reserved", "TC_B_24_CS")],
        defects=("h_reserved_not_reported",),
    ),
    _run(
        "immediate_station",
        [_fail("triggerReason ResetCommand", "TC_B_22_CS")],
        passes=("TC_B_20_CS",),
        defects=("b_immediate_reset_power_loss",),
    ),
    # With claims leaving C-13 out (C-47 only), the station still resets single EVSEs:
    # TC_B_28/29 fail.
    _run(
        "seq_backoff_availability_unclaimed",
        [
            _fail("seqNo", "TC_B_53_CS"),
            _fail("RetryBackOffWaitMinimum", "TC_B_57_CS", "TC_B_49_CS"),
            _fail("connectorStatus Unavailable", "TC_B_23_CS"),
            _fail("ResetResponse status Rejected", "TC_B_28_CS", "TC_B_29_CS"),
        ],
        defects=(
            "b_report_seq_no_from_one",
            "b_reconnect_without_backoff",
            "availability_not_persisted",
        ),
        features=("C-47",),
    ),
    # Plus a station without EVSE reset, yet claiming C-13 (the default claims).
    _run(
        "boot_reason_evse_reset_missing",
        [
            _fail("BootNotificationRequest reason", "TC_B_21_CS", "TC_B_22_CS", "TC_B_23_CS"),
            _fail("ResetResponse status Accepted", "TC_B_25_CS"),
        ],
        passes=("TC_B_20_CS",),
        defects=("boot_reason_always_power_up",),
        variants=("no_evse_reset",),
    ),
    # The conformant side of the negative cases: no EVSE reset, not claimed.
    Run(
        "evse_reset_unsupported",
        {"TC_B_28_CS": PASS, "TC_B_29_CS": PASS, "TC_B_25_CS": NOT_APPLICABLE},
        variants=("no_evse_reset",),
        features=(),
    ),
)


def _job(run: Run) -> object:
    def job(workdir: Path) -> Report:
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "ocpp.toml"
        text = STATION_KEYS
        if run.features is not None:
            text += f"[claims]\nfeatures = {list(run.features)!r}\n".replace("'", '"')
        config.write_text(text, "utf-8")
        options = {"variants": list(run.variants)} if run.variants else {}
        with reference_station201(run.defects, **options) as hosted:
            return run_suite(
                workdir,
                *hosted.args,
                "--ocpp-config",
                str(config),
                ids=tuple(run.expect),
                **TIMEOUTS,  # type: ignore[arg-type]
            )

    return job


runs = runs_fixture({run.name: _job(run) for run in RUNS}, param="run", workers=4)


@pytest.mark.parametrize("run", RUNS, ids=str)
def test_run(run: Run, runs: Runs) -> None:
    """Every case of the run has its expected verdict; a failing one because of the breakage."""
    report = runs[run.name]
    for case, verdict in run.expect.items():
        if verdict == FAIL:
            assert_fails(report, [case], because=run.causes[case])
        elif verdict == PASS:
            assert_passes(report, [case])
        else:
            assert_not_applicable(report, [case])


def _block_ids() -> set[str]:
    return {
        info.id
        for info in catalog().values()
        if info.version == "2.0.1" and info.side == "CS" and info.id in set(MY_IDS) | set(LEFT_OUT)
    }


def _implemented() -> Iterator[str]:
    for value in [*vars(reset_module).values(), *vars(network_module).values()]:
        for mark in getattr(value, "pytestmark", ()):
            if mark.name == "ocpp_case" and mark.kwargs.get("version") == "2.0.1":
                yield mark.kwargs["id"]


def test_every_block_case_is_implemented_or_left_out_with_reason() -> None:
    """The block (Part 6 Tables 41-64) is the catalogue's; each case is implemented in the
    module, or listed in LEFT_OUT with the reason."""
    assert _block_ids() == set(MY_IDS) | set(LEFT_OUT)
    assert len(MY_IDS) + len(LEFT_OUT) == 24
    assert sorted(_implemented()) == sorted(MY_IDS)


def test_every_case_meets_a_defect() -> None:
    """Every implemented case fails in some run, or is in UNFAILABLE with the reason; the runs
    name real defects and variants."""
    failed = {case for run in RUNS for case, v in run.expect.items() if v == FAIL}
    assert failed | set(UNFAILABLE) == set(MY_IDS)
    assert not failed & set(UNFAILABLE)
    for run in RUNS:
        assert set(run.defects) <= set(DEFECTS), run.defects
        assert set(run.variants) <= set(VARIANTS), run.variants
    mine = {name for name in DEFECTS if name.startswith("b_")} & {
        d for run in RUNS for d in run.defects
    }
    assert len(mine) >= 5
