"""The 2.0.1 station-side L. Firmware Management cases (testcases/ocpp201/cs/test_firmware.py)
can fail, and pass against a conformant station.

Each run is one ``pytest`` process against a reference 2.0.1 station in this process (the
plumbing of ``harness.py``): with ``defects`` from its ``DEFECTS`` (each breaking one rule of
L01) the named cases must FAIL with a phrase of the broken rule, the others of the run pass.
The mutually exclusive Part 5 conditions (C-60, C-43, AQ-7) need conformant station
*variants* and ``[claims] lacking`` in the run's config: a station that cannot cancel an update
(TC_L_11), one that neither downloads nor installs during a transaction (TC_L_13), one that
installs only once transactions ended (TC_L_15); the variant that reboots before installing
exercises RebootBeforeFirmwareInstallation (Part 6 Table 439). The signature checks are real
(the run's test PKI), the downloads go over HTTP to the suite's file server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest
import pytest_ocpp.testcases.ocpp201.cs.test_firmware as firmware
from harness import (
    Report,
    Runs,
    assert_fails,
    assert_passes,
    assert_ran_exactly,
    reference_station201,
    run_suite,
    runs_fixture,
)

from pytest_ocpp.catalog import catalog
from pytest_ocpp.reference.station201.station import DEFECTS, VARIANTS

TIMEOUTS: Mapping[str, float] = {
    "response_timeout": 2,
    "message_timeout": 2,
    "reboot_timeout": 10,
    "transfer_timeout": 3,
}

NOT_IMPLEMENTED: dict[str, str] = {}
"""Catalogue ids of the block without a case (none)."""

WAITS = ("firmware_waits_for_idle", "firmware_no_cancel", "firmware_reboot_before_install")
"""Variants of the second conformant station: cannot cancel (NOT C-60), no download or install
during a transaction (NOT C-43, NOT AQ-7), reboots to install (Table 439)."""
WAITS_LACKING = ("C-60", "C-43", "AQ-7")


@dataclass(frozen=True)
class FirmwareRun:
    """One pytest process: ``fails`` (case → phrase) must fail, ``passes`` must pass."""

    name: str
    defects: tuple[str, ...] = ()
    fails: Mapping[str, str] = field(default_factory=dict)
    passes: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()
    lacking: tuple[str, ...] = ()

    @property
    def cases(self) -> tuple[str, ...]:
        return (*self.fails, *self.passes)


RUNS: tuple[FirmwareRun, ...] = (
    FirmwareRun(
        "conformant",
        passes=tuple(
            f"TC_L_{n}_CS" for n in ("01", "02", "03", "05", "06", "07", "08", "10", "16", "18")
        ),
    ),
    FirmwareRun(
        "conformant_waits",
        passes=("TC_L_01_CS", "TC_L_08_CS", "TC_L_11_CS", "TC_L_12_CS", "TC_L_13_CS"),
        variants=WAITS,
        lacking=WAITS_LACKING,
    ),
    FirmwareRun(
        "conformant_installs_when_idle",
        passes=("TC_L_14_CS", "TC_L_15_CS"),
        variants=("firmware_installs_when_idle",),
        lacking=("C-43",),
    ),
    FirmwareRun(
        "checks",
        (
            "l_certificate_not_checked",
            "l_unsigned_accepted",
            "l_install_date_ignored",
            "l_retrieve_date_ignored",
            "l_signature_not_checked",
            "l_damaged_image_installed",
            "l_download_failure_unreported",
            "l_update_not_canceled",
        ),
        {
            "TC_L_02_CS": "InstallScheduled",
            "TC_L_03_CS": "DownloadScheduled",
            "TC_L_05_CS": "InvalidCertificate OR RevokedCertificate",
            "TC_L_06_CS": "status InvalidSignature",
            "TC_L_07_CS": "DownloadFailed",
            "TC_L_08_CS": "InstallVerificationFailed or InstallationFailed",
            "TC_L_10_CS": "AcceptedCanceled",
            "TC_L_18_CS": "Rejected OR InvalidCertificate",
        },
        ("TC_L_01_CS",),
    ),
    FirmwareRun(
        "no_firmware_updated_event",
        ("l_no_firmware_updated_event",),
        {"TC_L_01_CS": "FirmwareUpdated", "TC_L_16_CS": "FirmwareUpdated"},
        ("TC_L_18_CS",),
    ),
    FirmwareRun(
        "boot_reason_activation",
        ("boot_reason_always_power_up",),
        {"TC_L_01_CS": "RebootBeforeFirmwareActivation step 3: BootNotificationRequest reason"},
    ),
    FirmwareRun(
        "boot_reason_installation",
        ("boot_reason_always_power_up",),
        {"TC_L_01_CS": "RebootBeforeFirmwareInstallation step 3: BootNotificationRequest reason"},
        variants=WAITS,
        lacking=WAITS_LACKING,
    ),
    FirmwareRun(
        "waits_wrong_request_id",
        ("l_wrong_request_id",),
        {"TC_L_11_CS": "L01.FR.10", "TC_L_12_CS": "L01.FR.10"},
        variants=WAITS,
        lacking=WAITS_LACKING,
    ),
    # Apart: a case failed on the wrong requestId leaves an update running, whose reboot the
    # next case would meet.
    FirmwareRun(
        "waits_evses_available",
        ("l_evses_stay_available",),
        {"TC_L_13_CS": "Unavailable"},
        variants=WAITS,
        lacking=WAITS_LACKING,
    ),
    FirmwareRun(
        "installs_wrong_request_id",
        ("l_wrong_request_id",),
        {"TC_L_14_CS": "L01.FR.10", "TC_L_15_CS": "L01.FR.10"},
        variants=("firmware_installs_when_idle",),
        lacking=("C-43",),
    ),
)

UNFAILABLE: dict[str, str] = {}
"""Implemented cases no run fails, with the reason (none)."""


def _run(run: FirmwareRun, workdir: Path) -> Report:
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "ocpp.toml"
    text = "[station]\nfirmware_install_offset = 1\nfirmware_download_offset = 1\n"
    text += "transfer_hold = 0.5\n"
    if run.lacking:
        text += "[claims]\nlacking = [" + ", ".join(f'"{c}"' for c in run.lacking) + "]\n"
    config.write_text(text, "utf-8")
    with reference_station201(run.defects, variants=list(run.variants)) as hosted:
        return run_suite(
            workdir, *hosted.args, "--ocpp-config", str(config), ids=run.cases, **TIMEOUTS
        )


runs = runs_fixture(
    {run.name: partial(_run, run) for run in RUNS}, param="name", keep=(), workers=4
)


def _implemented() -> set[str]:
    return {
        mark.kwargs["id"]
        for value in vars(firmware).values()
        for mark in getattr(value, "pytestmark", ())
        if mark.name == "ocpp_case" and mark.kwargs.get("version") == "2.0.1"
    }


def test_defects_and_variants_exist() -> None:
    assert {d for run in RUNS for d in run.defects} <= set(DEFECTS)
    assert {v for run in RUNS for v in run.variants} <= set(VARIANTS)
    assert len({d for run in RUNS for d in run.defects if d.startswith("l_")}) >= 5
    # boot_reason_always_power_up (B01.FR.09) proves the two reboot states (Tables 439/440).


def test_every_case_can_fail() -> None:
    failed = {case for run in RUNS for case in run.fails}
    assert failed | set(UNFAILABLE) == _implemented()


def test_catalogue_ids_implemented() -> None:
    """Every 2.0.1 station-side L id of the catalogue has a case, but those listed."""
    catalogue = {
        info.id
        for info in catalog().values()
        if info.version == "2.0.1" and info.side == "CS" and info.block == "FirmwareManagement"
    }
    assert _implemented() | set(NOT_IMPLEMENTED) == catalogue
    assert not _implemented() & set(NOT_IMPLEMENTED)


@pytest.mark.parametrize("name", [run.name for run in RUNS])
def test_run(runs: Runs, name: str) -> None:
    run = next(r for r in RUNS if r.name == name)
    report = runs[name]
    assert_ran_exactly(report, run.cases)
    for case, phrase in run.fails.items():
        assert_fails(report, (case,), phrase)
    assert_passes(report, run.passes)
