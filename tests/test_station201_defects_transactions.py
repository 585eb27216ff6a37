"""The 2.0.1 station-side E. Transactions cases, part 1 (start and stop options, local start:
``testcases/ocpp201/cs/test_transactions.py``, ``test_transactions_stop_options.py``) can
fail.

Each run breaks behaviours of the reference 2.0.1 station (``e_*`` toggles of
:data:`~pytest_ocpp.reference.station201.station.DEFECTS`, implemented in
``reference/station201/transactions.py`` and ``authorization.py``, plus older toggles that
break what these cases also judge) and proves that the cases checking them report "fail" with
the broken rule in the message, not "error" and not "not applicable"; one control per run, a
case that meets the broken behaviours without judging them, still passes; a conformant run
passes every case.

To stay within a minute on two cores, defects that never meet each other's cases share one
station (one ``pytest`` process per group, a few at a time), and the runs use short timeouts
and a 2 s <Configured ev_connection_timeout>. Plumbing: ``harness.py``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import partial
from pathlib import Path

import pytest
from harness import (
    Defect,
    Report,
    Runs,
    assert_conformant,
    assert_defect_caught,
    assert_passes,
    cases_of,
    reference_station201,
    run_suite,
    runs_fixture,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.station201.station import DEFECTS

BLOCK_CASES = (
    "TC_E_01_CS TC_E_02_CS TC_E_09_CS TC_E_10_CS TC_E_13_CS TC_E_11_CS TC_E_12_CS TC_E_16_CS "
    "TC_E_17_CS TC_E_39_CS TC_E_03_CS TC_E_04_CS TC_E_05_CS TC_E_38_CS TC_E_52_CS TC_E_06_CS "
    "TC_E_07_CS TC_E_35_CS TC_E_37_CS TC_E_08_CS TC_E_22_CS TC_E_14_CS TC_E_20_CS TC_E_54_CS"
).split()
"""The cases of this block (E. Transactions part 1; part 2 is another file)."""

UNFAILABLE = {
    "TC_E_11_CS": "not applicable against the reference station, which has no signing meter "
    "and refuses TxStartPoint DataSigned (its configuration state); against a station that "
    "signs, its checks are those of TC_E_02 plus the signedMeterValue fields",
}

GROUPS: dict[str, tuple[tuple[str, ...], tuple[Defect, ...], tuple[str, ...]]] = {
    # name: (defects of the station, the defects' cases and causes, controls)
    "authorized": (
        ("e_authorized_wrong_trigger",),
        (
            Defect(
                "e_authorized_wrong_trigger",
                ("TC_E_03_CS", "TC_E_04_CS", "TC_E_06_CS", "TC_E_09_CS", "TC_E_10_CS"),
                "triggerReason Authorized",
            ),
        ),
        ("TC_E_13_CS",),
    ),
    "timeout-remote-parking": (
        (
            "e_connection_timeout_ignored",
            "e_remote_stop_reason_local",
            "e_parking_wrong_trigger",
            "remote_start_no_remote_start_id",
        ),
        (
            Defect(
                "e_connection_timeout_ignored", ("TC_E_05_CS", "TC_E_39_CS"), "EVConnectTimeout"
            ),
            Defect("e_remote_stop_reason_local", ("TC_E_35_CS",), "stoppedReason Remote"),
            Defect("e_parking_wrong_trigger", ("TC_E_12_CS",), "triggerReason EVDetected"),
            Defect("remote_start_no_remote_start_id", ("TC_E_13_CS",), "RemoteStart"),
        ),
        ("TC_E_04_CS",),
    ),
    "disconnect-stop": (
        (
            "e_ev_side_disconnect_wrong_trigger",
            "e_remote_authorize_when_disabled",
            "stop_tx_on_invalid_id_ignored",
            "tx_wrong_stopped_reason",
        ),
        (
            Defect(
                "e_ev_side_disconnect_wrong_trigger",
                ("TC_E_17_CS", "TC_E_20_CS", "TC_E_37_CS", "TC_E_54_CS"),
                "triggerReason EVCommunicationLost",
            ),
            Defect("e_remote_authorize_when_disabled", ("TC_E_52_CS",), "no AuthorizeRequest"),
            Defect("stop_tx_on_invalid_id_ignored", ("TC_E_16_CS",), "deauthorized"),
            Defect(
                "tx_wrong_stopped_reason",
                ("TC_E_07_CS", "TC_E_08_CS", "TC_E_14_CS"),
                "stoppedReason",
            ),
        ),
        ("TC_E_04_CS",),
    ),
    "suspend-powerpath-evse": (
        ("e_ev_suspend_ignored", "e_power_path_at_authorization", "tx_no_evse_after_plug_in"),
        (
            Defect("e_ev_suspend_ignored", ("TC_E_38_CS", "TC_E_22_CS"), "SuspendedEV"),
            Defect("e_power_path_at_authorization", ("TC_E_01_CS",), "once the EV connected"),
            Defect("tx_no_evse_after_plug_in", ("TC_E_02_CS", "TC_E_09_CS"), "evse.connectorId"),
        ),
        ("TC_E_10_CS",),
    ),
}

DEFECT_CASES: tuple[Defect, ...] = tuple(d for _, table, _ in GROUPS.values() for d in table)

_CONFIG = "[station]\nev_connection_timeout = 2\n"
"""<Configured ev_connection_timeout>: short, so TC_E_05/39 wait seconds, not minutes."""


def station201_defect_run(cases: Iterable[str], defects: Iterable[str], workdir: Path) -> Report:
    """``cases`` against a reference 2.0.1 station with ``defects`` (none: conformant), with
    short timeouts and this block's configuration."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "ocpp.toml"
    config.write_text(_CONFIG, "utf-8")
    with reference_station201(tuple(defects)) as hosted:
        return run_suite(
            workdir,
            *hosted.args,
            "--ocpp-config",
            str(config),
            ids=tuple(cases),
            response_timeout=2,
            message_timeout=2,
        )


_START = {"TC_E_01_CS", "TC_E_02_CS", "TC_E_03_CS", "TC_E_04_CS", "TC_E_05_CS", "TC_E_09_CS"}
_START |= {"TC_E_10_CS", "TC_E_12_CS", "TC_E_13_CS", "TC_E_38_CS", "TC_E_52_CS"}
CONFORMANT = {
    "conformant-start": tuple(c for c in cases_of(DEFECT_CASES) if c in _START),
    "conformant-stop": tuple(c for c in cases_of(DEFECT_CASES) if c not in _START),
}
"""The conformant run, in two halves run side by side (start options, stop options)."""

_JOBS = {
    **{name: partial(station201_defect_run, cases, ()) for name, cases in CONFORMANT.items()},
    **{
        name: partial(station201_defect_run, cases_of(table) + controls, defects)
        for name, (defects, table, controls) in GROUPS.items()
    },
}
runs = runs_fixture(_JOBS, workers=4)
"""The conformant run and one run per group of defects, a few at a time."""


def test_defects_are_the_reference_stations() -> None:
    """Every toggle used here exists (a typo would run a conformant station)."""
    used = {name for defects, _, _ in GROUPS.values() for name in defects}
    assert used <= set(DEFECTS), sorted(used - set(DEFECTS))
    assert len([n for n in used if n.startswith("e_")]) >= 5


def test_every_case_is_failed_or_excused() -> None:
    """Every case of the block is failed by some defect or listed in UNFAILABLE."""
    failed = set(cases_of(DEFECT_CASES))
    assert set(BLOCK_CASES) - failed == set(UNFAILABLE)


def test_every_block_case_is_implemented() -> None:
    """Each case of the block is in the catalogue and has a test function (its
    ``ocpp_case`` marker) in the block's modules."""
    known = {info.id for info in catalog().values() if info.version == "2.0.1"}
    assert set(BLOCK_CASES) <= known, sorted(set(BLOCK_CASES) - known)
    found: set[str] = set()
    for name in ("test_transactions", "test_transactions_stop_options"):
        module = importlib.import_module(f"pytest_ocpp.testcases.ocpp201.cs.{name}")
        for value in vars(module).values():
            for mark in getattr(value, "pytestmark", ()):
                if mark.name == "ocpp_case" and mark.kwargs.get("version") == "2.0.1":
                    found.add(mark.kwargs["id"])
    assert set(BLOCK_CASES) <= found, sorted(set(BLOCK_CASES) - found)


@pytest.mark.parametrize("half", list(CONFORMANT))
def test_conformant_station_passes(half: str, runs: Runs) -> None:
    """Against the conformant reference every failable case passes."""
    assert_conformant(runs[half], CONFORMANT[half])


@pytest.mark.parametrize("group", list(GROUPS))
def test_cases_fail_on_defects(group: str, runs: Runs) -> None:
    """Each defect's cases fail with the broken rule in the message; the control passes."""
    _, table, controls = GROUPS[group]
    report = runs[group]
    for defect in table:
        assert_defect_caught(report, defect)
    assert_passes(report, controls)
