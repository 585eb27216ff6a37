"""The 2.0.1 station-side O. Display Message cases (testcases/ocpp201/cs/test_display*.py) can
fail.

Each run breaks one behaviour of the reference 2.0.1 station (a
:data:`~pytest_ocpp.reference.station201.station.DEFECTS` toggle) and proves that the cases
checking it report "fail" with a phrase of the broken rule, while the control cases of the
same run, which meet the broken station without judging that behaviour, still pass; a
conformant run proves every case passes. End to end, as a charger team runs the suite: a
separate ``pytest`` process against the reference station, driven by the ``command``
operator; the plumbing is in ``harness.py``.

CI time: each run is a pytest process, so defects whose cases never meet each other's
breakage share one station and run (:data:`GROUPS`), and the conformant run is split in two
parts that run in parallel. The runs claim what the reference station has (no NormalCycle
priority, no HTML format), so that TC_O_17/19_CS apply.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
import pytest_ocpp.testcases.ocpp201.cs.test_display as display
import pytest_ocpp.testcases.ocpp201.cs.test_display_transactions as display_transactions
from harness import (
    Defect,
    Job,
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
from pytest_ocpp.reference.station201 import REFERENCE_CLAIMS
from pytest_ocpp.reference.station201.station import DEFECTS

TIMEOUTS = {"response_timeout": 2, "message_timeout": 3, "reboot_timeout": 10}

UNKNOWN = "GetDisplayMessagesResponse status Unknown"

DEFECT_TABLE: tuple[Defect, ...] = (
    Defect(
        "o_get_never_unknown", ("TC_O_03_CS", "TC_O_04_CS", "TC_O_11_CS", "TC_O_33_CS"), UNKNOWN
    ),
    Defect("o_filters_ignored", ("TC_O_34_CS", "TC_O_35_CS"), UNKNOWN),
    Defect(
        "o_transaction_messages_kept",
        ("TC_O_06_CS", "TC_O_27_CS"),
        UNKNOWN,
    ),
    Defect("o_end_time_ignored", ("TC_O_14_CS", "TC_O_28_CS"), UNKNOWN),
    Defect(
        "o_unknown_transaction_accepted",
        ("TC_O_10_CS",),
        "SetDisplayMessageResponse status UnknownTransaction",
    ),
    Defect(
        "o_priority_not_checked",
        ("TC_O_17_CS",),
        "SetDisplayMessageResponse status NotSupportedPriority",
    ),
    Defect(
        "o_format_not_checked",
        ("TC_O_19_CS",),
        "SetDisplayMessageResponse status NotSupportedMessageFormat",
    ),
    Defect("o_not_persistent", ("TC_O_20_CS",), "GetDisplayMessagesResponse status Accepted"),
    Defect("o_always_front_kept", ("TC_O_24_CS", "TC_O_32_CS"), UNKNOWN),
    Defect(
        "o_in_front_replaced",
        ("TC_O_22_CS", "TC_O_30_CS"),
        "GetDisplayMessagesResponse status Accepted",
    ),
    Defect(
        "o_notify_wrong_request_id",
        ("TC_O_01_CS", "TC_O_02_CS", "TC_O_07_CS", "TC_O_08_CS", "TC_O_09_CS", "TC_O_13_CS"),
        "NotifyDisplayMessagesRequest requestId",
    ),
    Defect("o_replace_rejected", ("TC_O_12_CS",), "SetDisplayMessageResponse status Accepted"),
    Defect(
        "o_clear_unknown_accepted", ("TC_O_05_CS",), "ClearDisplayMessageResponse status Unknown"
    ),
    Defect(
        "o_report_drops_optional",
        ("TC_O_36_CS", "TC_O_37_CS", "TC_O_38_CS", "TC_O_39_CS"),
        "NotifyDisplayMessagesRequest state",
    ),
    Defect(
        "o_state_not_checked", ("TC_O_18_CS",), "SetDisplayMessageResponse status NotSupportedState"
    ),
    Defect(
        "o_set_rejected_during_transaction",
        ("TC_O_15_CS",),
        "SetDisplayMessageResponse status Accepted",
    ),
)

UNFAILABLE: dict[str, str] = {}
"""Cases no defect of this file fails, with the reason (none)."""

NO_FAULTED = ("filters", "answers")
"""Runs against a station with the conformant variant ``display_no_faulted_state`` and the
config naming Faulted as its unsupported state: TC_O_18_CS passes there (a control of
"filters") and fails with ``o_state_not_checked`` ("answers"); elsewhere it is not
applicable, so no conformant part runs it."""

GROUPS: dict[str, tuple[str, ...]] = {
    "reports": (
        "o_get_never_unknown",
        "o_notify_wrong_request_id",
        "o_set_rejected_during_transaction",
    ),
    "transactions": (
        "o_transaction_messages_kept",
        "o_priority_not_checked",
        "o_format_not_checked",
    ),
    "answers": (
        "o_state_not_checked",
        "o_end_time_ignored",
        "o_unknown_transaction_accepted",
        "o_clear_unknown_accepted",
        "o_replace_rejected",
    ),
    "filters": ("o_always_front_kept", "o_filters_ignored"),
    "priorities": ("o_in_front_replaced", "o_not_persistent", "o_report_drops_optional"),
}
"""Defects sharing one station and run (CI time: a pytest process per run is the cost): in
a group, no defect's cases meet another defect's breakage, so each case fails for its own
defect's reason; every defect is in exactly one group."""

CONTROLS: dict[str, tuple[str, ...]] = {
    "reports": ("TC_O_05_CS", "TC_O_12_CS"),
    "transactions": ("TC_O_01_CS",),
    "answers": ("TC_O_13_CS",),
    "filters": ("TC_O_22_CS", "TC_O_18_CS"),
    "priorities": ("TC_O_01_CS",),
}
"""Per group, cases that meet the broken station and must still pass."""

BLOCK = tuple(
    f"TC_O_{n:02d}_CS"
    for n in (*range(1, 16), 17, 18, 19, 20, 22, 24, 27, 28, 30, 32, *range(33, 40))
)
"""The 2.0.1 station-side cases of block O (Part 6 §2.16)."""

CONFORMANT: dict[str, tuple[str, ...]] = {
    "conformant_sessions": tuple(f"TC_O_{n:02d}_CS" for n in (6, 27, 30, 32, 36, 37)),
}
"""The conformant run in two parts (the whole-session cases drive many operator actions;
two parts in parallel finish sooner): these, and "conformant" with every other case."""


def station201_defect_run(
    cases: tuple[str, ...], defects: tuple[str, ...], no_faulted: bool, workdir: Path
) -> Report:
    """``cases`` against a reference 2.0.1 station with ``defects`` (none: conformant), the
    run's config file claiming what the station has (``[claims] lacking``, its
    REFERENCE_CLAIMS: no NormalCycle priority, no HTML format), as a charger team would: with
    the default claims (everything) TC_O_17/19_CS would not apply and the configured priority
    would be one the station lacks. ``no_faulted``: see :data:`NO_FAULTED`."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "ocpp.toml"
    lacking = ", ".join(f'"{f}"' for f in REFERENCE_CLAIMS.lacking)
    text = f"[claims]\nlacking = [{lacking}]\n"
    if no_faulted:
        text += '[station]\ndisplay_message_unsupported_state = "Faulted"\n'
    config.write_text(text, "utf-8")
    variants = ["display_no_faulted_state"] if no_faulted else []
    with reference_station201(defects, variants=variants) as hosted:
        return run_suite(workdir, *hosted.args, "--ocpp-config", str(config), ids=cases, **TIMEOUTS)


def _conformant_parts() -> dict[str, tuple[str, ...]]:
    every = [c for c in cases_of(DEFECT_TABLE) if c != "TC_O_18_CS"]
    taken = {case for cases in CONFORMANT.values() for case in cases}
    return {**CONFORMANT, "conformant": tuple(c for c in every if c not in taken)}


def _jobs() -> dict[str, Job]:
    jobs: dict[str, Job] = {
        name: partial(station201_defect_run, cases, (), False)
        for name, cases in _conformant_parts().items()
    }
    by_name = {d.name: d for d in DEFECT_TABLE}
    for group, names in GROUPS.items():
        cases = cases_of(by_name[n] for n in names) + CONTROLS[group]
        jobs[group] = partial(station201_defect_run, cases, names, group in NO_FAULTED)
    return jobs


runs = runs_fixture(
    _jobs(),
    param="group",
    keep=tuple(_conformant_parts()),
    workers=4,
)


def test_every_defect_exists() -> None:
    for defect in DEFECT_TABLE:
        assert defect.name in DEFECTS, defect.name


def test_every_case_can_fail() -> None:
    assert set(cases_of(DEFECT_TABLE)) | set(UNFAILABLE) == set(BLOCK)


def test_catalogue_ids_implemented() -> None:
    """Every 2.0.1 station-side O id of the catalogue has a case, and no other."""
    catalogue = {
        info.id
        for info in catalog().values()
        if info.version == "2.0.1" and info.side == "CS" and info.block == "DisplayMessage"
    }
    implemented = {
        mark.kwargs["id"]
        for module in (display, display_transactions)
        for value in vars(module).values()
        for mark in getattr(value, "pytestmark", ())
        if mark.name == "ocpp_case" and mark.kwargs.get("version") == "2.0.1"
    }
    assert implemented == set(BLOCK) == catalogue


def test_every_defect_in_one_group() -> None:
    grouped = [name for names in GROUPS.values() for name in names]
    assert sorted(grouped) == sorted(d.name for d in DEFECT_TABLE)


def test_conformant(runs: Runs) -> None:
    parts = _conformant_parts()
    covered = {c for cases in parts.values() for c in cases} | {"TC_O_18_CS"}
    assert set(cases_of(DEFECT_TABLE)) == covered  # TC_O_18_CS: a control of "filters"
    for name, cases in parts.items():
        assert_conformant(runs[name], cases)


@pytest.mark.parametrize("group", list(GROUPS))
def test_defects_caught(runs: Runs, group: str) -> None:
    report = runs[group]
    for name in GROUPS[group]:
        assert_defect_caught(report, next(d for d in DEFECT_TABLE if d.name == name))
    assert_passes(report, CONTROLS[group])
