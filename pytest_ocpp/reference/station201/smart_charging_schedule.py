"""Composite schedules of the reference 2.0.1 station (Part 2 K08, §3.6 "Smart Charging
signals"), as pure functions over the installed charging profiles.

Written for the reference station alone (independent of the suite's own profile checks): a
profile is the ``ocpp`` library's snake_case ChargingProfileType dict. At any moment an EVSE's
limit is the lowest of

* its transaction limit: the TxProfile of the running transaction, else the TxDefaultProfile
  installed on the EVSE, else the one installed for every EVSE (evseId 0), each time the one
  of the highest stackLevel in effect (K01 §3.6.1, "stacking");
* the ChargingStationExternalConstraints and ChargingStationMaxProfile in effect;
* the EVSE's own physical limit.

The station's composite (evseId 0) is the sum of the EVSEs' composites, capped by the
ChargingStationMaxProfile and external constraints installed station-wide. A profile is in
effect between validFrom and validTo, from its schedule's start (Absolute: startSchedule, or
when it was received when absent; Relative: the transaction's start, else at once; Recurring:
the last daily/weekly recurrence of startSchedule) for the schedule's duration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "LOCAL_LIMIT",
    "Installed",
    "composite",
    "convert",
    "limit_at",
    "parse_time",
    "schedule_end",
]

VOLTAGE = 230.0
"""Volts per phase for converting A and W (Part 2 K §3.6: "P = U x I x phases")."""

LOCAL_LIMIT: Mapping[str, float] = {"A": 32.0, "W": 22000.0}
"""An EVSE's own limit without any profile, per unit (EVSE.Power is 22 kW)."""

_PRIORITY = {"TxProfile": 0, "TxDefaultProfile": 1}


@dataclass
class Installed:
    """One profile as the station keeps it."""

    evse_id: int
    profile: dict[str, Any]
    received: datetime
    source: str = "CSO"
    """chargingLimitSource: CSO for profiles the CSMS set, EMS for external limits (K12)."""


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    text = str(value).replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def convert(limit: float, unit: str, wanted: str, phases: int) -> float:
    if unit == wanted:
        return float(limit)
    factor = VOLTAGE * max(1, phases)
    return float(limit) * factor if wanted == "W" else float(limit) / factor


def _start(item: Installed, at: datetime, tx_start: datetime | None) -> datetime:
    profile = item.profile
    schedule = profile["charging_schedule"][0]
    kind = profile.get("charging_profile_kind", "Absolute")
    if kind == "Relative":
        if tx_start is not None:
            return tx_start
        valid_from = parse_time(profile.get("valid_from"))
        return max(at, valid_from) if valid_from else at  # charging would start at once
    start = parse_time(schedule.get("start_schedule")) or item.received
    if kind == "Recurring" and start <= at:
        step = timedelta(days=7 if profile.get("recurrency_kind") == "Weekly" else 1)
        start += step * int((at - start) / step)
    return start


def schedule_end(item: Installed, at: datetime, tx_start: datetime | None) -> datetime | None:
    """When the profile's schedule (as in effect at ``at``) ends; None: it does not."""
    duration = item.profile["charging_schedule"][0].get("duration")
    if duration is None:
        return None
    return _start(item, at, tx_start) + timedelta(seconds=duration)


def limit_at(
    item: Installed, at: datetime, unit: str, tx_start: datetime | None = None
) -> float | None:
    """The profile's limit at ``at`` in ``unit``, or None when it is not in effect."""
    profile = item.profile
    valid_from = parse_time(profile.get("valid_from"))
    valid_to = parse_time(profile.get("valid_to"))
    if (valid_from and at < valid_from) or (valid_to and at >= valid_to):
        return None
    schedule = profile["charging_schedule"][0]
    offset = (at - _start(item, at, tx_start)).total_seconds()
    duration = schedule.get("duration")
    if offset < 0 or (duration is not None and offset >= duration):
        return None
    chosen = None
    for period in schedule["charging_schedule_period"]:
        if period["start_period"] <= offset + 1e-6:
            chosen = period
    if chosen is None:
        return None
    phases = int(chosen.get("number_phases") or 3)
    return convert(chosen["limit"], schedule["charging_rate_unit"], unit, phases)


def _highest(
    items: Iterable[Installed], at: datetime, unit: str, tx_start: datetime | None
) -> float | None:
    """Stacking: the profile of the highest stackLevel in effect."""
    best: tuple[int, float] | None = None
    for item in items:
        value = limit_at(item, at, unit, tx_start)
        level = int(item.profile.get("stack_level", 0))
        if value is not None and (best is None or level > best[0]):
            best = (level, value)
    return None if best is None else best[1]


def _caps(profiles: list[Installed], evse_id: int, at: datetime, unit: str) -> list[float]:
    caps = []
    for purpose in ("ChargingStationMaxProfile", "ChargingStationExternalConstraints"):
        scoped = [
            p
            for p in profiles
            if p.profile["charging_profile_purpose"] == purpose and p.evse_id == evse_id
        ]
        value = _highest(scoped, at, unit, None)
        if value is not None:
            caps.append(value)
    return caps


def evse_limit(
    profiles: list[Installed],
    evse_id: int,
    at: datetime,
    unit: str,
    tx: tuple[str, datetime] | None,
) -> float:
    """The limit of one EVSE at ``at``; ``tx`` is its running transaction (id, start)."""
    tx_start = tx[1] if tx else None
    candidates: list[float | None] = []
    if tx is not None:
        candidates.append(
            _highest(
                (
                    p
                    for p in profiles
                    if p.profile["charging_profile_purpose"] == "TxProfile"
                    and p.evse_id == evse_id
                    and p.profile.get("transaction_id") in (None, tx[0])
                ),
                at,
                unit,
                tx_start,
            )
        )
    for scope in (evse_id, 0):
        candidates.append(
            _highest(
                (
                    p
                    for p in profiles
                    if p.profile["charging_profile_purpose"] == "TxDefaultProfile"
                    and p.evse_id == scope
                ),
                at,
                unit,
                tx_start,
            )
        )
    chosen = next((c for c in candidates if c is not None), LOCAL_LIMIT[unit])
    caps = [chosen, LOCAL_LIMIT[unit]]
    caps += _caps(profiles, evse_id, at, unit) + _caps(profiles, 0, at, unit)
    return min(caps)


def _breakpoints(
    profiles: list[Installed], start: datetime, end: datetime, txs: Mapping[int, Any]
) -> list[datetime]:
    """Every moment in [start, end) a limit may change."""
    moments = {start}
    starts = [t[1] for t in txs.values() if t is not None]
    for item in profiles:
        profile = item.profile
        schedule = profile["charging_schedule"][0]
        for key in ("valid_from", "valid_to"):
            moment = parse_time(profile.get(key))
            if moment:
                moments.add(moment)
        origins = {_start(item, start, s) for s in [None, *starts]}
        if profile.get("charging_profile_kind") == "Recurring":
            step = timedelta(days=7 if profile.get("recurrency_kind") == "Weekly" else 1)
            origins |= {o + step * n for o in list(origins) for n in (1, 2)}
        for origin in origins:
            for period in schedule["charging_schedule_period"]:
                moments.add(origin + timedelta(seconds=period["start_period"]))
            if schedule.get("duration") is not None:
                moments.add(origin + timedelta(seconds=schedule["duration"]))
    return sorted(m for m in moments if start <= m < end)


def composite(
    profiles: list[Installed],
    evse_id: int,
    evse_ids: list[int],
    start: datetime,
    duration: int,
    unit: str,
    txs: Mapping[int, tuple[str, datetime] | None],
) -> list[dict[str, Any]]:
    """chargingSchedulePeriod list (snake_case) of the composite schedule of ``evse_id`` (0:
    the station) over ``duration`` seconds from ``start``, equal neighbours merged."""
    end = start + timedelta(seconds=duration)

    def at(moment: datetime) -> float:
        if evse_id:
            return evse_limit(profiles, evse_id, moment, unit, txs.get(evse_id))
        total = sum(evse_limit(profiles, e, moment, unit, txs.get(e)) for e in evse_ids)
        return min([total, *_caps(profiles, 0, moment, unit)])

    periods: list[dict[str, Any]] = []
    for moment in _breakpoints(profiles, start, end, txs):
        offset = round((moment - start).total_seconds())
        value = round(at(moment), 3)
        if periods and periods[-1]["start_period"] == offset:
            periods[-1]["limit"] = value
        elif not periods or periods[-1]["limit"] != value:
            periods.append({"start_period": offset, "limit": value})
        if len(periods) > 1 and periods[-1]["limit"] == periods[-2]["limit"]:
            periods.pop()
    if not periods:
        # duration 0 leaves no moment in [start, end), but the schema wants at least one
        # period (CompositeScheduleType.chargingSchedulePeriod minItems 1): the limit now.
        periods.append({"start_period": 0, "limit": round(at(start), 3)})
    return periods
