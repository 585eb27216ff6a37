"""Charging profiles and composite schedules of the reference charge point (OCPP 1.6 §3.13).

Enough Smart Charging to be conformant and to reproduce the numbers OCTT checks
(TC_056/057/066/067/072/082_CS): profiles stack by stackLevel within a purpose, a higher
stack level wins while its schedule runs and a lower one shows through after it ends
(§3.13.2), a TxProfile replaces the TxDefaultProfile for its transaction (§3.13.1), and the
ChargePointMaxProfile caps the result. Profiles are kept as the snake_case dicts the `ocpp`
library hands to handlers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

VOLTAGE = 230.0
"""Nominal phase voltage used to convert between A and W (OCPP 1.6 §3.13.3 leaves it open)."""

DEFAULT_PHASES = 3
STATION_MAX_AMPS = 32.0
"""The station's own limit per connector: what a composite schedule shows with no profiles."""


def parse_datetime(value: str) -> datetime:
    """Parse an OCPP 1.6 dateTime (ISO 8601, OCPP-J 1.6 §3.1.1); naive values are UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def format_datetime(value: datetime) -> str:
    """UTC with millisecond precision and a Z, accepted by 1.6 and by stricter readers."""
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _to_unit(limit: float, unit: str, wanted: str, phases: int) -> float:
    if unit == wanted:
        return limit
    if wanted == "W":
        return limit * VOLTAGE * phases
    return limit / (VOLTAGE * phases)


@dataclass
class InstalledProfile:
    """A profile as installed on one connector (0 = the whole charge point)."""

    connector_id: int
    profile: dict[str, Any]
    installed_at: datetime

    @property
    def id(self) -> int:
        return int(self.profile["charging_profile_id"])

    @property
    def purpose(self) -> str:
        return str(self.profile["charging_profile_purpose"])

    @property
    def stack_level(self) -> int:
        return int(self.profile["stack_level"])

    @property
    def transaction_id(self) -> int | None:
        value = self.profile.get("transaction_id")
        return None if value is None else int(value)

    def limit_at(
        self, moment: datetime, tx_start: datetime | None
    ) -> tuple[float, str, int] | None:
        """(limit, unit, phases) of this profile at ``moment``, or None when it does not apply."""
        valid_from = self.profile.get("valid_from")
        valid_to = self.profile.get("valid_to")
        if valid_from and moment < parse_datetime(valid_from):
            return None
        if valid_to and moment >= parse_datetime(valid_to):
            return None
        schedule = self.profile["charging_schedule"]
        kind = self.profile.get("charging_profile_kind", "Absolute")
        if kind == "Relative":
            start = tx_start or self.installed_at
        else:
            raw_start = schedule.get("start_schedule")
            start = parse_datetime(raw_start) if raw_start else self.installed_at
            if kind == "Recurring":
                period = 604800 if self.profile.get("recurrency_kind") == "Weekly" else 86400
                if moment >= start:
                    cycles = math.floor((moment - start).total_seconds() / period)
                    start += timedelta(seconds=cycles * period)
        offset = (moment - start).total_seconds()
        duration = schedule.get("duration")
        if offset < 0 or (duration is not None and offset >= duration):
            return None
        chosen: dict[str, Any] | None = None
        for period_entry in sorted(
            schedule["charging_schedule_period"], key=lambda p: p["start_period"]
        ):
            if period_entry["start_period"] <= offset:
                chosen = period_entry
        if chosen is None:
            return None
        phases = int(chosen.get("number_phases") or DEFAULT_PHASES)
        return float(chosen["limit"]), str(schedule["charging_rate_unit"]), phases

    def breakpoints(self, tx_start: datetime | None) -> list[datetime]:
        """Moments at which this profile's limit may change (period starts, ends, validity)."""
        schedule = self.profile["charging_schedule"]
        kind = self.profile.get("charging_profile_kind", "Absolute")
        if kind == "Relative":
            start = tx_start or self.installed_at
        else:
            raw_start = schedule.get("start_schedule")
            start = parse_datetime(raw_start) if raw_start else self.installed_at
        points = [
            start + timedelta(seconds=p["start_period"])
            for p in schedule["charging_schedule_period"]
        ]
        if schedule.get("duration") is not None:
            points.append(start + timedelta(seconds=schedule["duration"]))
        for key in ("valid_from", "valid_to"):
            if self.profile.get(key):
                points.append(parse_datetime(self.profile[key]))
        if kind == "Recurring":
            period = 604800 if self.profile.get("recurrency_kind") == "Weekly" else 86400
            points += [p + timedelta(seconds=period * k) for p in list(points) for k in (1, 2)]
        return points


class ProfileStore:
    """Installed charging profiles: install, clear and the composite schedule."""

    def __init__(self) -> None:
        self.profiles: list[InstalledProfile] = []

    def install(self, connector_id: int, profile: dict[str, Any], now: datetime) -> None:
        """Install, replacing a profile with the same id, or the same purpose and stack level
        on the same connector (OCPP 1.6 §5.16.2)."""
        new = InstalledProfile(connector_id, profile, now)
        self.profiles = [
            p
            for p in self.profiles
            if p.id != new.id
            and not (
                p.connector_id == connector_id
                and p.purpose == new.purpose
                and p.stack_level == new.stack_level
            )
        ]
        self.profiles.append(new)

    def clear(
        self,
        *,
        profile_id: int | None,
        connector_id: int | None,
        purpose: str | None,
        stack_level: int | None,
    ) -> bool:
        """ClearChargingProfile (OCPP 1.6 §5.5): by id, else by every criterion given."""
        if profile_id is not None:
            keep = [p for p in self.profiles if p.id != profile_id]
        else:
            keep = [
                p
                for p in self.profiles
                if not (
                    (connector_id is None or p.connector_id == connector_id)
                    and (purpose is None or p.purpose == purpose)
                    and (stack_level is None or p.stack_level == stack_level)
                )
            ]
        removed = len(keep) != len(self.profiles)
        self.profiles = keep
        return removed

    def drop_transaction(self, connector_id: int) -> None:
        """A TxProfile ends with its transaction (OCPP 1.6 §3.13.1)."""
        self.profiles = [
            p
            for p in self.profiles
            if not (p.purpose == "TxProfile" and p.connector_id == connector_id)
        ]

    @staticmethod
    def _stacked(
        profiles: list[InstalledProfile], moment: datetime, tx_start: datetime | None
    ) -> tuple[float, str, int] | None:
        for profile in sorted(profiles, key=lambda p: -p.stack_level):
            limit = profile.limit_at(moment, tx_start)
            if limit is not None:
                return limit
        return None

    def _relevant(self, connector_id: int, tx_active: bool) -> tuple[list[InstalledProfile], ...]:
        cp_max = [p for p in self.profiles if p.purpose == "ChargePointMaxProfile"]
        tx_profiles = [
            p for p in self.profiles if p.purpose == "TxProfile" and p.connector_id == connector_id
        ]
        defaults_here = [
            p
            for p in self.profiles
            if p.purpose == "TxDefaultProfile" and p.connector_id == connector_id
        ]
        defaults_all = [
            p for p in self.profiles if p.purpose == "TxDefaultProfile" and p.connector_id == 0
        ]
        if connector_id > 0 and tx_active and tx_profiles:
            return cp_max, tx_profiles, []
        return cp_max, defaults_here, defaults_all

    def limit_at(
        self,
        connector_id: int,
        moment: datetime,
        tx_start: datetime | None,
        unit: str = "A",
    ) -> float:
        """The composite limit for a connector at one moment, in ``unit`` (A or W)."""
        cp_max, primary, fallback = self._relevant(connector_id, tx_start is not None)
        candidates: list[float] = [_to_unit(STATION_MAX_AMPS, "A", unit, DEFAULT_PHASES)]
        for group in (cp_max,):
            found = self._stacked(group, moment, tx_start)
            if found:
                candidates.append(_to_unit(found[0], found[1], unit, found[2]))
        found = self._stacked(primary, moment, tx_start) or self._stacked(
            fallback, moment, tx_start
        )
        if found:
            candidates.append(_to_unit(found[0], found[1], unit, found[2]))
        return min(candidates)

    def composite(
        self,
        connector_id: int,
        duration: int,
        unit: str,
        now: datetime,
        tx_start: datetime | None,
    ) -> tuple[datetime, dict[str, Any]]:
        """GetCompositeSchedule (OCPP 1.6 §3.13.4, §5.7): (scheduleStart, chargingSchedule)."""
        start = now.replace(microsecond=0)
        if now.microsecond:
            start += timedelta(seconds=1)
        cp_max, primary, fallback = self._relevant(connector_id, tx_start is not None)
        offsets = {0}
        for profile in (*cp_max, *primary, *fallback):
            for point in profile.breakpoints(tx_start):
                offset = math.ceil((point - start).total_seconds())
                if 0 < offset < duration:
                    offsets.add(offset)
        periods: list[dict[str, Any]] = []
        for offset in sorted(offsets):
            limit = round(
                self.limit_at(connector_id, start + timedelta(seconds=offset), tx_start, unit), 1
            )
            if periods and periods[-1]["limit"] == limit:
                continue
            periods.append({"start_period": offset, "limit": limit})
        schedule = {
            "duration": duration,
            "start_schedule": format_datetime(start),
            "charging_rate_unit": unit,
            "charging_schedule_period": periods,
        }
        return start, schedule
