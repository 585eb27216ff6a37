"""Every station-side Reservation and Smart Charging case of OCTT 1.6 (§2.20, §2.22) must be
able to fail: each run here breaks one behaviour of the reference charge point (a
:data:`~pytest_ocpp.reference.station.DEFECTS` toggle, or a feature profile it lacks or has
against what the configuration declares) and proves that the cases checking that behaviour
report "fail", not "error" and not "not applicable", with the broken behaviour named in the
failure message; cases beside them that the breakage does not concern must still pass.

The runs are real end to end, as a charger firmware team would run the suite: a separate
``pytest`` process per run listening with ``--ocpp-listen``, a reference station connecting
to it, the ``command`` station operator driving the station's control channel through
``python -m pytest_ocpp.reference.control``, verdicts read from the JSON compliance report.
A conformant run proves every case passes (or, for the negative variants TC_048_4_CS and
TC_050_4_CS, is not applicable) on the full station. The processes run concurrently; the
plumbing is in ``harness.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from harness import (
    Runs,
    assert_fails,
    assert_not_applicable,
    assert_passes,
    runs_fixture,
    station_job,
)

from pytest_ocpp.reference.station import DEFECTS
from pytest_ocpp.reference.station_config import PROFILE_NAMES

ALL_PROFILES = PROFILE_NAMES
WITHOUT_RESERVATION_AND_SMART = ("Core", "FirmwareManagement", "LocalAuthListManagement")

RESERVATION = (
    "TC_046_1_CS",
    "TC_046_2_CS",
    "TC_047_CS",
    "TC_048_1_CS",
    "TC_048_2_CS",
    "TC_048_3_CS",
    "TC_049_CS",
    "TC_050_1_CS",
    "TC_050_2_CS",
    "TC_050_3_CS",
    "TC_051_CS",
    "TC_052_CS",
    "TC_053_CS",
    "TC_053_1_CS",
    "TC_053_2_CS",
)
NEGATIVE = ("TC_048_4_CS", "TC_050_4_CS")
SMART = (
    "TC_056_CS",
    "TC_057_CS",
    "TC_058_1_CS",
    "TC_058_2_CS",
    "TC_082_CS",
    "TC_066_CS",
    "TC_067_CS",
    "TC_072_CS",
    "TC_059_CS",
    "TC_060_CS",
)


@dataclass(frozen=True)
class Run:
    """One station, the cases run against it and the verdict each must get.

    ``cause`` must appear in the message of every failing case, so a case failing for an
    unrelated reason does not count. ``declared`` is what ``--ocpp-config`` says the station
    supports ([station] features); None leaves the default (every profile)."""

    name: str
    fail: tuple[str, ...] = ()
    cause: str = ""
    passes: tuple[str, ...] = ()
    not_applicable: tuple[str, ...] = ()
    defects: tuple[str, ...] = ()
    station_features: tuple[str, ...] = ALL_PROFILES
    declared: tuple[str, ...] | None = None

    def __str__(self) -> str:
        return self.name

    @property
    def cases(self) -> tuple[str, ...]:
        return self.fail + self.passes + self.not_applicable


CONFORMANT = Run("conformant", passes=RESERVATION + SMART, not_applicable=NEGATIVE)

BROKEN: tuple[Run, ...] = (
    Run(
        "reservation_ignored",
        defects=("reservation_ignored",),
        fail=(
            "TC_046_1_CS",
            "TC_046_2_CS",
            "TC_047_CS",
            "TC_049_CS",
            "TC_051_CS",
            "TC_053_CS",
            "TC_053_2_CS",
        ),
        cause="Reserved",
        passes=("TC_048_1_CS", "TC_050_3_CS"),
    ),
    Run(
        "cancel_reservation_unknown_accepted",
        defects=("cancel_reservation_unknown_accepted",),
        fail=("TC_052_CS",),
        cause="CancelReservation.conf status Rejected",
        passes=("TC_051_CS",),
    ),
    Run(
        "charging_profile_rejected",
        defects=("charging_profile_rejected",),
        fail=("TC_056_CS", "TC_057_CS", "TC_082_CS", "TC_066_CS", "TC_067_CS", "TC_072_CS"),
        cause="SetChargingProfile.conf status Accepted",
        passes=("TC_058_1_CS", "TC_059_CS"),
    ),
    Run(
        # Issue 22 pt 10: the fake CSMS sends the TxProfile exactly as the table lists it,
        # without transactionId, so a station that wrongly requires one is caught.
        "tx_profile_requires_transaction_id",
        defects=("tx_profile_requires_transaction_id",),
        fail=("TC_066_CS",),
        cause="SetChargingProfile.conf status Accepted",
        passes=("TC_056_CS",),
    ),
    Run(
        "remote_start_rejected",
        defects=("remote_start_rejected",),
        fail=("TC_059_CS", "TC_046_2_CS", "TC_053_2_CS", "TC_057_CS"),
        cause="RemoteStartTransaction.conf status Accepted",
        passes=("TC_060_CS", "TC_056_CS", "TC_046_1_CS"),
    ),
    Run(
        # A station that accepts reservations while declared without the profile: the
        # negative variants must catch that it does not answer Rejected.
        "reservation_declared_absent",
        station_features=ALL_PROFILES,
        declared=WITHOUT_RESERVATION_AND_SMART,
        fail=NEGATIVE,
        cause="ReserveNow.conf status Rejected",
        not_applicable=("TC_046_1_CS", "TC_056_CS"),
    ),
)

WITHOUT_PROFILES = Run(
    "without_reservation_and_smart_charging",
    station_features=WITHOUT_RESERVATION_AND_SMART,
    declared=WITHOUT_RESERVATION_AND_SMART,
    passes=NEGATIVE,
    not_applicable=("TC_046_1_CS", "TC_049_CS", "TC_056_CS", "TC_059_CS"),
)


runs = runs_fixture(
    {
        r.name: station_job(
            r.cases,
            r.defects,
            features=r.station_features,
            declared_features=r.declared,
            message_timeout=3,
            response_timeout=3,
            connect_timeout=5,
        )
        for r in (CONFORMANT, WITHOUT_PROFILES, *BROKEN)
    },
    param="run",
    keep=(CONFORMANT.name, WITHOUT_PROFILES.name),
)
"""Every selected run, concurrently: each process mostly waits on sockets and timers."""


def _expect(run: Run, runs: Runs) -> None:
    """Each case of the run got its verdict; failures name the breakage, and a case not
    applicable says which feature profile it needs."""
    report = runs[run.name]
    assert_fails(report, run.fail, because=run.cause)
    assert_passes(report, run.passes)
    assert_not_applicable(report, run.not_applicable, because="feature profile")


def test_runs_name_real_station_defects() -> None:
    """The broken runs name existing defects of the reference station, each once, and every
    case of the two modules is proven to fail somewhere."""
    names = [d for run in BROKEN for d in run.defects]
    assert len(set(names)) == len(names) >= 4
    assert set(names) <= set(DEFECTS)
    failing = {case for run in BROKEN for case in run.fail}
    assert set(NEGATIVE) <= failing


def test_cases_pass_on_conformant_station(runs: Runs) -> None:
    """On the full reference station every case passes; the negative variants (for stations
    without the Reservation profile) are not applicable."""
    _expect(CONFORMANT, runs)


def test_negative_variants_pass_without_the_profiles(runs: Runs) -> None:
    """On a station without Reservation and SmartCharging, declared as such, the negative
    variants pass and the positive cases are not applicable, with the reason."""
    _expect(WITHOUT_PROFILES, runs)


@pytest.mark.parametrize("run", BROKEN, ids=str)
def test_cases_fail_on_broken_station(run: Run, runs: Runs) -> None:
    """Each named case's verdict is "fail" with the broken behaviour named; the others of
    the run keep their verdict."""
    _expect(run, runs)
