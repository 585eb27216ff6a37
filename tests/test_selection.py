"""``-k`` naming case ids collects only the modules that can hold them (pytest_ocpp.selection),
and selects exactly what collecting everything would (issue 16 pt 4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import run_pytest

from pytest_ocpp.plugin import TESTCASES
from pytest_ocpp.selection import modules_for


def _names(found: list[str] | None) -> list[str] | None:
    return None if found is None else [Path(f).relative_to(TESTCASES).as_posix() for f in found]


def test_a_list_of_ids_names_the_modules_that_hold_them() -> None:
    assert _names(modules_for(TESTCASES, "TC_010_CSMS")) == ["ocpp16/csms/test_core.py"]
    # Substring semantics as pytest's: tc_e_30_cs is also a prefix of the CSMS twin.
    assert _names(modules_for(TESTCASES, "(test_tc_e_30_cs) and not csms")) == [
        "ocpp201/cs/test_transactions_stop_offline.py",
        "ocpp201/csms/test_transaction_status.py",
    ]


@pytest.mark.parametrize("keyword", ["", "boot", "not tc_001_csms", "tc_001_csms or boot"])
def test_anything_else_collects_everything(keyword: str) -> None:
    assert modules_for(TESTCASES, keyword) is None


def test_narrowed_and_full_collection_select_the_same(tmp_path: Path) -> None:
    keyword = "(test_tc_001_cs or test_tc_b_01_cs or test_tc_e_30_cs) and not csms"
    listed = []
    for name, extra in (("narrowed", ["-k", keyword]), ("full", ["-k", keyword + " or nothing"])):
        done = run_pytest(
            tmp_path / name,
            "--ocpp-reference",
            "--ocpp-version",
            "all",
            "--collect-only",
            "-q",
            *extra,
        )
        listed.append(sorted(line for line in done.stdout.splitlines() if "::" in line))
    assert listed[0] == listed[1] and len(listed[0]) == 3, listed


def test_profile_selection_runs_exactly_that_profile_and_refuses_a_typo(tmp_path: Path) -> None:
    """``--ocpp-profile`` (any spelling of the name) and ``-m profile_<key>`` select the same
    cases, those of the profile only; an unknown name is a usage error naming the known ones."""
    from pytest_ocpp.catalog import catalog

    expected = sorted(
        f"test_{info.id.lower()}"
        for info in catalog().values()
        if info.version == "1.6" and info.profile_name == "Remote Trigger"
    )
    listed = []
    for name, extra in (
        ("option", ["--ocpp-profile", "remote trigger"]),
        ("marker", ["-m", "profile_remotetrigger"]),
    ):
        done = run_pytest(tmp_path / name, "--ocpp-reference", "--collect-only", "-q", *extra)
        listed.append(
            sorted(line.rsplit("::", 1)[1] for line in done.stdout.splitlines() if "::" in line)
        )
    assert listed[0] == listed[1] == expected, listed
    typo = run_pytest(tmp_path / "typo", "--ocpp-reference", "--ocpp-profile", "RemoteTriger")
    assert typo.returncode == 4
    assert "no such certification profile" in typo.stderr and "Remote Trigger" in typo.stderr
