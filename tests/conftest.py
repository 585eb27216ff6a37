"""Scheduling of the project's own tests under ``pytest -n auto --dist loadfile`` (CI).

xdist hands whole files to the workers in collection order, and collection order is
alphabetical: the longest files (whole-suite runs against the references, each a few minutes
of waiting on timers) would start last and leave one worker running alone at the end. Putting
them first lets the short files fill in behind them. Ordered by per-file time measured with
``--durations=0`` (the MQTT catalogue proof 105 s, the whole-suite runs 83 s, the fuzz files
~78 s each, ...); the order inside a file is unchanged.
"""

from __future__ import annotations

import pytest

LONGEST_FIRST = (
    "test_sim_catalogue.py",
    "test_suite_against_reference.py",
    "test_fuzz_strategies.py",
    "test_fuzz_properties.py",
    "test_station_defects_core_b.py",
    "test_station_variations.py",
    "test_station201_defects_local_auth.py",
    "test_station_defects_core_a.py",
    "test_station201_defects_transactions_offline.py",
    "test_csms201_defects_smart_charging.py",
    "test_load.py",
    "test_csms201_defects_reservation_display.py",
    "test_station201_defects_authorization.py",
    "test_csms201_defects_diagnostics.py",
)


def _rank(item: pytest.Item) -> int:
    name = item.path.name
    return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_rank)  # stable: files keep their own order
