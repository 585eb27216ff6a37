"""Shared helpers of the 2.0.1 station-side K Smart Charging cases (Part 6 §2.12).

The scenario tables give a profile's fields piecemeal; :func:`profile` assembles the
ChargingProfileType a table lists, with the configured values (``[station]`` keys, see
:class:`~pytest_ocpp.station.charging_profiles.SmartChargingValues`) for what it leaves to
configuration and nothing else but what the schema requires (id, stackLevel, chargingProfileKind,
one chargingSchedule with id, unit and periods) and K01.FR.40 (startSchedule for Absolute and
Recurring profiles). Limits are in <Configured chargingRateUnit>, the table's amperes times the
<limit multiplier> of errata 2025-09 §6.2.69.

Composite schedules are compared the way the tables word them: "startPeriod (100 - x)", x the
time between a profile's start and the composite's scheduleStart. The expectation is built
from the absolute moments the profiles sent (:class:`Expected`), so x is the station's own
scheduleStart; start periods are compared within <Configured max time deviation> (+1 s of
rounding), equal neighbouring periods are merged on both sides (a station may split a period).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.csms.states201_smart_charging import after, iso
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.timestamps import timestamp
from pytest_ocpp.verdicts import check, not_applicable

GENERATED_ID = 7001
"""First <Generated chargingProfileId> (the configured one is ``charging_profile_id``)."""

UNKNOWN_TRANSACTION_ID = "UNKNOWN-TRANSACTION-ID"

_REQUEST_ID = [100]


def request_id() -> int:
    """<Generated requestId>: a new one per request of the run."""
    _REQUEST_ID[0] += 1
    return _REQUEST_ID[0]


def profile(
    csms: FakeCsms201,
    profile_id: int,
    purpose: str,
    *,
    kind: str = "Relative",
    limits: Mapping[int, float] | None = None,
    duration: int | None = None,
    stack_level: int | None = None,
    start: datetime | None = None,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    transaction_id: str | None = None,
    recurrency_kind: str | None = None,
    unit: str | None = None,
) -> dict[str, Any]:
    """A ChargingProfileType (see the module docstring). ``start`` is startSchedule (set to
    now for Absolute/Recurring profiles without one, K01.FR.40)."""
    values = csms.smart_charging
    if kind in ("Absolute", "Recurring") and start is None:
        start = datetime.now(timezone.utc).replace(microsecond=0)  # whole seconds: no sliver
    result: dict[str, Any] = {
        "id": profile_id,
        "stackLevel": values.stack_level if stack_level is None else stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": kind,
    }
    if recurrency_kind is not None:
        result["recurrencyKind"] = recurrency_kind
    if valid_from is not None:
        result["validFrom"] = iso(valid_from)
    if valid_to is not None:
        result["validTo"] = iso(valid_to)
    if transaction_id is not None:
        result["transactionId"] = transaction_id
    schedule = csms.schedule(limits, duration=duration, start=start)
    if unit is not None:
        schedule["chargingRateUnit"] = unit
    result["chargingSchedule"] = [schedule]
    return result


def evse_count(csms: FakeCsms201) -> int:
    return int(csms.config.station.connectors)


async def set_profile(
    csms: FakeCsms201,
    sut: StationConnection,
    payload: Mapping[str, Any],
    *,
    evse_id: int | None,
    expected: str,
    label: str = "Step 2",
) -> dict[str, Any]:
    """Step 1/2 of a case (not the memory state): SetChargingProfileRequest as the table
    lists it, the response status ``expected``; an Accepted profile is cleared when the next
    case starts."""
    evse = csms.evse if evse_id is None else evse_id
    csms.clear_after_case(int(payload["id"]))  # also a wrongly Accepted one
    step(
        f"1. The OCTT sends a SetChargingProfileRequest with evseId {evse}, chargingProfile.id "
        f"{payload['id']}, {payload['chargingProfilePurpose']}"
    )
    answer = await sut.call(
        "SetChargingProfile", {"evseId": evse, "chargingProfile": dict(payload)}
    )
    check(
        answer.get("status") == expected,
        f"{label}: SetChargingProfileResponse status {expected}",
        answer,
    )
    return answer


async def get_profiles(
    sut: StationConnection,
    criterion: Mapping[str, Any],
    *,
    evse_id: int | None = None,
    expected: str = "Accepted",
    label: str = "",
) -> tuple[int, list[IncomingCall]]:
    """GetChargingProfilesRequest (requestId generated, ``criterion`` as chargingProfile,
    ``evse_id`` when the table gives one), response status ``expected``; when Accepted, every
    ReportChargingProfilesRequest of that requestId until one has tbc false (K09.FR.01/02).
    Returns the requestId and the reports."""
    number = request_id()
    payload: dict[str, Any] = {"requestId": number, "chargingProfile": dict(criterion)}
    if evse_id is not None:
        payload["evseId"] = evse_id
    mark = sut.mark()
    step(f"{label}The OCTT sends a GetChargingProfilesRequest {payload}")
    answer = await sut.call("GetChargingProfiles", payload)
    check(
        answer.get("status") == expected,
        f"{label}GetChargingProfilesResponse status {expected}",
        answer,
    )
    reports: list[IncomingCall] = []
    if expected != "Accepted":
        return number, reports
    since = mark
    while True:
        step(f"{label}The Charging Station sends a ReportChargingProfilesRequest")
        report = await sut.wait_for(
            "ReportChargingProfiles",
            lambda p: p.get("requestId") == number,
            since=since,
            describe=f"ReportChargingProfilesRequest with requestId {number}"
            + (" (the previous one had tbc true)" if reports else ""),
        )
        reports.append(report)
        since = sut.link.inbox.index(report) + 1
        if not report.payload.get("tbc", False):
            return number, reports


def reported(reports: Iterable[IncomingCall]) -> list[tuple[int, dict[str, Any]]]:
    """(evseId, chargingProfile) of every profile reported."""
    return [
        (int(r.payload.get("evseId", -1)), p)
        for r in reports
        for p in r.payload.get("chargingProfile") or []
    ]


def _same(sent: Any, got: Any) -> bool:
    if isinstance(sent, Mapping):
        return isinstance(got, Mapping) and all(
            k in got and _same(v, got[k]) for k, v in sent.items()
        )
    if isinstance(sent, list):
        return (
            isinstance(got, list)
            and len(sent) == len(got)
            and all(_same(a, b) for a, b in zip(sent, got, strict=True))
        )
    if isinstance(sent, bool) or isinstance(got, bool):
        return sent == got
    if isinstance(sent, int | float) and isinstance(got, int | float):
        return math.isclose(float(sent), float(got), abs_tol=1e-6)
    if isinstance(sent, str) and isinstance(got, str) and sent != got:
        try:
            return timestamp(sent) == timestamp(got)
        except ValueError:
            return False
    return sent == got


def check_reported_profile(
    reports: list[IncomingCall],
    sent: Mapping[str, Any],
    label: str,
    *,
    evse_id: int | None = None,
) -> None:
    """ "chargingProfile <the profile sent>": one reported profile carries every field sent,
    equal (times as instants; a station may add fields, e.g. a TxProfile's transactionId);
    ``evse_id``: reported with that evseId."""
    found = [(e, p) for e, p in reported(reports) if p.get("id") == sent["id"]]
    check(
        bool(found),
        f"{label}: ReportChargingProfilesRequest reports chargingProfile.id {sent['id']}",
        [r.payload for r in reports],
    )
    evse, got = found[0]
    check(
        _same(sent, got),
        f"{label}: the same profile is reported as sent (chargingProfile <the profile set>)",
        {"sent": dict(sent), "reported": got},
    )
    if evse_id is not None:
        check(
            evse == evse_id,
            f"{label}: ReportChargingProfilesRequest evseId {evse_id}",
            [r.payload for r in reports],
        )


async def composite(
    csms: FakeCsms201,
    sut: StationConnection,
    evse_id: int,
    duration: int,
    *,
    unit: str | None = None,
    label: str = "Step 2",
) -> tuple[dict[str, Any], datetime]:
    """GetCompositeScheduleRequest (evseId, duration, <Configured chargingRateUnit> unless
    ``unit``); response status Accepted with the schedule of that EVSE, duration and unit, its
    scheduleStart the time of the request ± <Configured max time deviation> (errata 2025-09
    §6.2.71-73). Returns the schedule and its scheduleStart."""
    unit = unit or csms.smart_charging.charging_rate_unit
    step(
        f"The OCTT sends a GetCompositeScheduleRequest with evseId {evse_id}, duration "
        f"{duration}, chargingRateUnit {unit}"
    )
    sent_at = datetime.now(timezone.utc)
    answer = await sut.call(
        "GetCompositeSchedule",
        {"duration": duration, "evseId": evse_id, "chargingRateUnit": unit},
    )
    check(
        answer.get("status") == "Accepted",
        f"{label}: GetCompositeScheduleResponse status Accepted",
        answer,
    )
    schedule = answer.get("schedule") or {}
    check(
        schedule.get("evseId") == evse_id,
        f"{label}: GetCompositeScheduleResponse schedule.evseId {evse_id}",
        answer,
    )
    check(
        schedule.get("duration") == duration,
        f"{label}: GetCompositeScheduleResponse schedule.duration {duration}",
        answer,
    )
    check(
        schedule.get("chargingRateUnit") == unit,
        f"{label}: GetCompositeScheduleResponse schedule.chargingRateUnit {unit}",
        answer,
    )
    tolerance = csms.max_time_deviation + 1
    try:
        start = timestamp(schedule.get("scheduleStart"))
    except (TypeError, ValueError):
        start = None
    check(
        start is not None and abs((start - sent_at).total_seconds()) <= tolerance,
        f"{label}: scheduleStart is the time the GetCompositeScheduleRequest was transmitted "
        f"+/- {tolerance} s",
        answer,
    )
    assert start is not None
    periods = schedule.get("chargingSchedulePeriod") or []
    check(
        bool(periods) and periods[0].get("startPeriod") == 0,
        f"{label}: the first chargingSchedulePeriod has startPeriod 0",
        answer,
    )
    return schedule, start


ANY = None
"""An expected limit not validated ("<Local limit of Charging Station (not validated)>")."""


def merge(periods: Iterable[tuple[float, float | None]]) -> list[tuple[float, float | None]]:
    merged: list[tuple[float, float | None]] = []
    for start, limit in periods:
        if merged and merged[-1][1] is not None and limit is not None:
            if math.isclose(merged[-1][1], limit, abs_tol=1e-3):
                continue
        merged.append((start, limit))
    return merged


def check_periods(
    csms: FakeCsms201,
    schedule: Mapping[str, Any],
    schedule_start: datetime,
    expected: list[tuple[datetime | float, float | None]],
    label: str,
) -> None:
    """The composite's periods are ``expected``: (moment or startPeriod, limit in A or
    :data:`ANY`), moments before the scheduleStart counting as startPeriod 0; limits are
    converted by the <limit multiplier>."""
    tolerance = csms.max_time_deviation + 1
    wanted: list[tuple[float, float | None]] = []
    for moment, amperes in expected:
        offset = (
            (moment - schedule_start).total_seconds() if isinstance(moment, datetime) else moment
        )
        limit = None if amperes is None else csms.sc_limit(amperes)
        wanted.append((max(0.0, float(offset)), limit))
    wanted = merge(wanted)
    got = merge(
        (float(p.get("startPeriod", 0)), float(p.get("limit", 0)))
        for p in schedule.get("chargingSchedulePeriod") or []
    )
    text = ", ".join(
        f"startPeriod {s:.0f} limit {'(any)' if v is None else f'{v:g}'}" for s, v in wanted
    )
    ok = len(got) == len(wanted) and all(
        abs(g[0] - w[0]) <= tolerance
        and (w[1] is None or math.isclose(g[1] or 0.0, w[1], abs_tol=1e-3))
        for g, w in zip(got, wanted, strict=True)
    )
    check(ok, f"{label}: chargingSchedulePeriod {text} (+/- {tolerance} s)", dict(schedule))


async def require_variable(
    csms: FakeCsms201, sut: StationConnection, text: str, minimum: int, why: str
) -> None:
    """A prerequisite "The configuration variable X must be > n" (not applicable when not)."""
    value = await csms.get_variable(sut, text)
    try:
        number = int(float(value)) if value is not None else None
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise not_applicable(f"{text} is {value} ({why}: at least {minimum} needed)")


async def unsupported_unit(csms: FakeCsms201, sut: StationConnection) -> str:
    """The chargingRateUnit the station does not support (SmartChargingCtrlr.RateUnit, else
    the claims: SC-2.1 A, SC-2.2 W)."""
    text = await csms.get_variable(sut, "SmartChargingCtrlr.RateUnit")
    if text:
        units = {u.strip() for u in text.split(",") if u.strip()}
        missing = [u for u in ("A", "W") if u not in units]
        if missing:
            return missing[0]
        raise not_applicable(f"SmartChargingCtrlr.RateUnit is {text}: both units supported")
    claims = csms.config.claims
    return "W" if not claims.has_feature("SC-2.2") else "A"


def rule_out_smart_charging(csms: FakeCsms201) -> None:
    """The cases for a station WITHOUT Smart Charging (TC_K_15, TC_K_38, Part 5 "NOT Smart
    Charging"): not applicable when the claims give Smart Charging."""
    if csms.config.claims.has_profile("Smart Charging"):
        raise not_applicable(
            "the station claims the Smart Charging profile (the case is for one without)"
        )


def warn_extra(reports: list[IncomingCall], keep: Iterable[int]) -> None:
    extra = [p.get("id") for _, p in reported(reports) if p.get("id") not in set(keep)]
    if extra:
        warn(f"ReportChargingProfilesRequest also reported profile(s) {extra}")


__all__ = [
    "ANY",
    "GENERATED_ID",
    "UNKNOWN_TRANSACTION_ID",
    "after",
    "check_periods",
    "check_reported_profile",
    "composite",
    "evse_count",
    "get_profiles",
    "profile",
    "reported",
    "request_id",
    "require_variable",
    "rule_out_smart_charging",
    "set_profile",
    "unsupported_unit",
    "warn_extra",
]
