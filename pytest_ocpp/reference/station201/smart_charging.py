"""The reference station's block K smart charging (charging profiles, composite schedules, external limits, ISO 15118 charging needs).

``SmartChargingHandlers`` holds the ``@on`` handlers (mixed into the ChargePoint of one connection),
``SmartChargingMixin`` the station-side state and behaviour (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).

Profiles are kept as the ``ocpp`` library hands them over (snake_case dicts) and survive
reboots (K01.FR.27); a TxProfile lives as long as its transaction. Composite schedules are in
:mod:`.smart_charging_schedule`. The ISO 15118 side is simulated: the operator action
``ev_charging_needs`` is the EV's ChargeParameterDiscovery (or a renegotiation, K17): the
station sends NotifyEVChargingNeeds (K15.FR.01) and the EV draws no energy until a schedule is
agreed (a TxProfile arrives, or the CSMS answers Rejected: local limits, K17.FR.04); offline it
uses its local limits at once (K15.FR.15). An agreed schedule goes to the CSMS in
NotifyEVChargingSchedule (K15.FR.09/K17.FR.09). A changed limit during charging is reported
with triggerReason ChargingRateChanged (E02, LimitChangeSignificance).
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ocpp.routing import on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from pytest_ocpp.reference.station201.model import Evse
from pytest_ocpp.reference.station201.smart_charging_schedule import (
    LOCAL_LIMIT,
    Installed,
    composite,
    evse_limit,
    schedule_end,
)

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["SmartChargingHandlers", "SmartChargingMixin"]

EV_CHARGING_NEEDS: dict[str, Any] = {
    "requested_energy_transfer": "AC_three_phase",
    "ac_charging_parameters": {
        "energy_amount": 20000,
        "ev_min_current": 6,
        "ev_max_current": 32,
        "ev_max_voltage": 400,
    },
}
"""The simulated ISO 15118 EV's ChargingNeedsType (K15.FR.06: AC parameters for AC)."""

_CSMS_PURPOSES = ("ChargingStationMaxProfile", "TxDefaultProfile", "TxProfile")


class SmartChargingMixin:
    """State and behaviour of this block; mixed into the station."""

    @property
    def charging_profiles(self: ReferenceStation201) -> list[Installed]:
        return self.__dict__.setdefault("_charging_profiles", [])

    @property
    def hlc(self: ReferenceStation201) -> dict[int, str]:
        """evseId → ISO 15118 schedule state of its EV: "waiting" (charging needs sent, no
        schedule yet) or "agreed"."""
        return self.__dict__.setdefault("_hlc", {})

    # ------------------------------------------------------------------ helpers

    def rate_units(self: ReferenceStation201) -> list[str]:
        return self.model.members("SmartChargingCtrlr.RateUnit")

    def running(self: ReferenceStation201) -> dict[int, tuple[str, datetime] | None]:
        """evseId → (transactionId, start) of its running transaction."""
        found: dict[int, tuple[str, datetime] | None] = {}
        for evse in self.evses.values():
            tx = evse.session.tx if evse.session is not None else None
            found[evse.id] = (tx.id, tx.started_at) if tx is not None and not tx.ended else None
        return found

    def current_limit(self: ReferenceStation201, evse: Evse, unit: str = "A") -> float:
        profiles = self.effective_profiles()
        now = datetime.now(timezone.utc)
        return evse_limit(profiles, evse.id, now, unit, self.running().get(evse.id))

    def effective_profiles(self: ReferenceStation201) -> list[Installed]:
        profiles = list(self.charging_profiles)
        if self.has("k_max_profile_ignored"):
            profiles = [
                p
                for p in profiles
                if p.profile["charging_profile_purpose"] != "ChargingStationMaxProfile"
            ]
        if self.has("k_stack_level_ignored"):
            lowest: dict[tuple[int, str], int] = {}
            for p in profiles:
                key = (p.evse_id, p.profile["charging_profile_purpose"])
                lowest[key] = min(lowest.get(key, 99), int(p.profile.get("stack_level", 0)))
            profiles = [
                p
                for p in profiles
                if int(p.profile.get("stack_level", 0))
                == lowest[(p.evse_id, p.profile["charging_profile_purpose"])]
            ]
        if self.has("k_validity_ignored"):
            stripped = []
            for p in profiles:
                copied = copy.deepcopy(p.profile)
                copied.pop("valid_from", None)
                copied.pop("valid_to", None)
                copied["charging_schedule"][0].pop("start_schedule", None)
                stripped.append(Installed(p.evse_id, copied, p.received, p.source))
            profiles = stripped
        return profiles

    # ------------------------------------------------------------------ K01 / K05

    def check_profile(
        self: ReferenceStation201, evse_id: int, profile: dict[str, Any], *, remote: bool = False
    ) -> str | None:
        """Why the profile cannot be installed (None: it can)."""
        if not self.model.get_bool("SmartChargingCtrlr.Enabled"):
            return "smart charging disabled"
        purpose = profile.get("charging_profile_purpose")
        if evse_id < 0 or (evse_id and evse_id not in self.evses):
            if not self.has("k_unknown_evse_accepted"):
                return "unknown EVSE (K01.FR.28)"
        if purpose not in _CSMS_PURPOSES:
            return "the CSMS cannot set ChargingStationExternalConstraints (K01.FR.22)"
        if purpose == "ChargingStationMaxProfile" and evse_id != 0:
            return "ChargingStationMaxProfile only for evseId 0"
        if purpose == "TxProfile" and not remote and not self.has("k_tx_profile_unchecked"):
            if evse_id == 0:
                return "TxProfile on evseId 0 (K01.FR.16)"
            tx = self.running().get(evse_id)
            if tx is None:
                return "no transaction on the EVSE (K01.FR.09)"
            wanted = profile.get("transaction_id")
            if wanted is not None and wanted != tx[0]:
                return "unknown transactionId (K01.FR.33)"
        if profile.get("charging_profile_kind") == "Recurring":
            if self.has("k_recurring_rejected") or not profile.get("recurrency_kind"):
                return "Recurring needs recurrencyKind"
        if int(profile.get("stack_level", 0)) > self.model.get_int(
            "SmartChargingCtrlr.ProfileStackLevel", 0
        ):
            return "stackLevel above ProfileStackLevel"
        schedules = profile.get("charging_schedule") or []
        for schedule in schedules:
            unit = schedule.get("charging_rate_unit")
            if unit not in self.rate_units() and not self.has("k_rate_unit_unchecked"):
                return f"unsupported chargingRateUnit {unit} (K01.FR.26)"
            periods = schedule.get("charging_schedule_period") or []
            if not periods or periods[0].get("start_period") != 0:
                return "the first period must start at 0"
            if len(periods) > self.model.get_int("SmartChargingCtrlr.PeriodsPerSchedule", 24):
                return "more periods than PeriodsPerSchedule"
            starts = [p.get("start_period", 0) for p in periods]
            if starts != sorted(set(starts)):
                return "periods not in increasing startPeriod"
        for other in self.charging_profiles:  # K01.FR.06: one per stackLevel and purpose
            p = other.profile
            if (
                other.source == "CSO"
                and p["id"] != profile["id"]
                and other.evse_id == evse_id
                and p["charging_profile_purpose"] == purpose
                and p.get("stack_level") == profile.get("stack_level")
                and p.get("transaction_id") == profile.get("transaction_id")
            ):
                return "a profile with this stackLevel and purpose exists (K01.FR.06)"
        return None

    def install_profile(self: ReferenceStation201, evse_id: int, profile: dict[str, Any]) -> None:
        """Replace any profile with the same id (K01.FR.05), then keep it."""
        if self.has("k_replace_keeps_old") and any(
            p.profile["id"] == profile["id"] for p in self.charging_profiles
        ):
            return
        self.charging_profiles[:] = [
            p for p in self.charging_profiles if p.profile["id"] != profile["id"]
        ]
        self.charging_profiles.append(
            Installed(evse_id, copy.deepcopy(profile), datetime.now(timezone.utc))
        )

    def profiles_changed(self: ReferenceStation201, before: dict[int, float]) -> None:
        """After a profile is set or cleared: an EV waiting for its ISO 15118 schedule gets
        it; a charging EV whose limit moved by LimitChangeSignificance or more is reported
        with triggerReason ChargingRateChanged."""
        significance = 0.0
        variable = self.model.find("SmartChargingCtrlr.LimitChangeSignificance")
        if variable is not None:
            try:
                significance = float(variable.actual)
            except ValueError:
                significance = 0.0
        for evse in self.evses.values():
            session = evse.session
            if session is None or session.tx is None:
                continue
            if self.hlc.get(evse.id) == "waiting" and self._has_tx_profile(evse.id):
                self.hlc[evse.id] = "agreed"
                self._notify_ev_schedule(evse)
                self.set_ev_suspended(evse, False)
                continue
            if self.charging_state(evse, session) != "Charging":
                continue
            old, new = before.get(evse.id), self.current_limit(evse)
            if old is None or old == new:
                continue
            if abs(new - old) * 100 < significance * max(old, 1e-9):
                continue
            if self.hlc.get(evse.id) == "agreed":
                self._notify_ev_schedule(evse)
            trigger = "ChargingStateChanged" if self.has("k_rate_wrong_trigger") else None
            self.emit(evse, session, session.tx, "Updated", trigger or "ChargingRateChanged")

    def limits_now(self: ReferenceStation201) -> dict[int, float]:
        return {evse.id: self.current_limit(evse) for evse in self.evses.values()}

    def _has_tx_profile(self: ReferenceStation201, evse_id: int) -> bool:
        return any(
            p.evse_id == evse_id and p.profile["charging_profile_purpose"] == "TxProfile"
            for p in self.charging_profiles
        )

    def remote_start_profile(
        self: ReferenceStation201, evse: Evse, profile: dict[str, Any] | None
    ) -> bool:
        """K05: the chargingProfile of a RequestStartTransaction (a TxProfile, K05.FR.03) is
        kept for the transaction it starts; False when it cannot be (Rejected)."""
        if profile is None or self.has("k_remote_start_profile_ignored"):
            return True
        if not self.model.get_bool("SmartChargingCtrlr.Enabled"):
            return True  # K05.FR.04: without smart charging the profile is ignored
        if profile.get("charging_profile_purpose") != "TxProfile":
            return False
        if self.check_profile(evse.id, profile, remote=True) is not None:
            return False
        self.install_profile(evse.id, profile)
        return True

    def transaction_finished(self: ReferenceStation201, evse: Evse | None) -> None:
        """A TxProfile ends with its transaction (K01 §3.6 TxProfile); then the other hooks."""
        if evse is not None and evse.session is None:
            self.charging_profiles[:] = [
                p
                for p in self.charging_profiles
                if not (
                    p.evse_id == evse.id and p.profile["charging_profile_purpose"] == "TxProfile"
                )
            ]
            self.hlc.pop(evse.id, None)
        super().transaction_finished(evse)  # type: ignore[misc]

    # ------------------------------------------------------------------ K09 / K10

    def select_profiles(
        self: ReferenceStation201, evse_id: int | None, criterion: dict[str, Any]
    ) -> list[Installed]:
        found = []
        ignore = self.has("k_get_filter_ignored")
        for item in self.charging_profiles:
            profile = item.profile
            if evse_id is not None and item.evse_id != evse_id and not ignore:
                continue
            if ignore:
                found.append(item)
                continue
            if criterion.get("charging_profile_purpose") not in (
                None,
                profile["charging_profile_purpose"],
            ):
                continue
            if criterion.get("stack_level") not in (None, profile.get("stack_level")):
                continue
            ids = criterion.get("charging_profile_id")
            if ids and profile["id"] not in ids:
                continue
            sources = criterion.get("charging_limit_source")
            if sources and item.source not in sources:
                continue
            if item.source != "CSO" and self.has("k_external_limit_not_reported"):
                continue
            found.append(item)
        return found

    def report_profiles(self: ReferenceStation201, request_id: int, items: list[Installed]) -> None:
        """ReportChargingProfiles per EVSE and source, tbc on all but the last (K09.FR.02)."""
        groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
        for item in items:
            evse_id = item.evse_id
            groups.setdefault((evse_id, item.source), []).append(self._reported(item))
        keys = list(groups)
        for index, (evse_id, source) in enumerate(keys):
            payload = call.ReportChargingProfiles(
                request_id=request_id,
                charging_limit_source=source,
                charging_profile=groups[(evse_id, source)],
                evse_id=evse_id,
                tbc=index < len(keys) - 1,
            )
            self.enqueue(lambda _i, p=payload: p)

    def _reported(self: ReferenceStation201, item: Installed) -> dict[str, Any]:
        profile = copy.deepcopy(item.profile)
        if self.has("k_report_altered"):
            for schedule in profile.get("charging_schedule") or []:
                for period in schedule.get("charging_schedule_period") or []:
                    period["limit"] = float(period["limit"]) + 1
        return profile

    def clear_profiles(
        self: ReferenceStation201, profile_id: int | None, criteria: dict[str, Any] | None
    ) -> bool:
        """K10.FR.02-05: by id, or by every criterion given; never the external limits."""
        criteria = criteria or {}
        if profile_id is not None and self.has("k_clear_by_id_ignored"):
            return True
        if profile_id is None and criteria and self.has("k_clear_criteria_ignored"):
            return False
        keep, removed = [], []
        for item in self.charging_profiles:
            profile = item.profile
            if profile_id is not None:
                match = profile["id"] == profile_id
            else:
                match = item.source == "CSO"
                if criteria.get("evse_id") is not None and item.evse_id != criteria["evse_id"]:
                    match = False
                purpose = criteria.get("charging_profile_purpose")
                if purpose is not None and profile["charging_profile_purpose"] != purpose:
                    match = False
                level = criteria.get("stack_level")
                if level is not None and profile.get("stack_level") != level:
                    match = False
            (removed if match and item.source == "CSO" else keep).append(item)
        self.charging_profiles[:] = keep
        return bool(removed) or self.has("k_clear_always_accepted")

    # ------------------------------------------------------------------ K08

    def composite_schedule(
        self: ReferenceStation201, evse_id: int, duration: int, unit: str
    ) -> dict[str, Any]:
        now = datetime.now(timezone.utc)
        start = now.replace(microsecond=now.microsecond // 1000 * 1000)
        periods = composite(
            self.effective_profiles(),
            evse_id,
            list(self.evses),
            start,
            duration,
            unit,
            self.running(),
        )
        if self.has("k_composite_start_stale"):
            start = start.replace(year=start.year - 1)
        return {
            "evse_id": evse_id,
            "duration": duration,
            "schedule_start": self.ts(start),
            "charging_rate_unit": unit,
            "charging_schedule_period": periods,
        }

    # ------------------------------------------------------------------ K12 external limits

    def set_external_limit(
        self: ReferenceStation201, evse_id: int, limit: float | None, unit: str = "A"
    ) -> None:
        """An external system (EMS) imposes (``limit``) or releases (None) a limit: a
        ChargingStationExternalConstraints profile, reported by NotifyChargingLimit (K12.FR.02)
        or ClearedChargingLimit (K13.FR.01)."""
        self.charging_profiles[:] = [
            p for p in self.charging_profiles if not (p.source == "EMS" and p.evse_id == evse_id)
        ]
        if limit is None:
            payload: Any = call.ClearedChargingLimit(charging_limit_source="EMS", evse_id=evse_id)
            self.enqueue(lambda _i: payload)
            return
        profile = {
            "id": 900000 + evse_id,
            "stack_level": 0,
            "charging_profile_purpose": "ChargingStationExternalConstraints",
            "charging_profile_kind": "Absolute",
            "charging_schedule": [
                {
                    "id": 900000 + evse_id,
                    "start_schedule": self.ts(),
                    "charging_rate_unit": unit,
                    "charging_schedule_period": [{"start_period": 0, "limit": float(limit)}],
                }
            ],
        }
        self.charging_profiles.append(
            Installed(evse_id, profile, datetime.now(timezone.utc), source="EMS")
        )
        notify = call.NotifyChargingLimit(
            charging_limit={"charging_limit_source": "EMS"}, evse_id=evse_id
        )
        self.enqueue(lambda _i: notify)

    # ------------------------------------------------------------------ K15-K17 ISO 15118

    def ev_charging_needs(self: ReferenceStation201, evse: Evse) -> None:
        """The EV's ChargeParameterDiscovery or renegotiation (see the module docstring)."""
        if evse.ev_connector is None:
            raise ValueError(f"No EV is connected to EVSE {evse.id}.")
        first = self.hlc.get(evse.id) != "agreed"
        if first:
            self.hlc[evse.id] = "waiting"
            self.set_ev_suspended(evse, True)
        needs = copy.deepcopy(EV_CHARGING_NEEDS)
        if self.has("k_needs_without_parameters"):
            needs.pop("ac_charging_parameters")
        payload = call.NotifyEVChargingNeeds(
            charging_needs=needs, evse_id=evse.id, max_schedule_tuples=12
        )
        self.spawn(self._negotiate(evse, payload))

    async def _answer_unless_offline(self: ReferenceStation201, payload: Any) -> Any | None:
        """The CSMS's answer, or None as soon as the station is offline: a connection the CSMS
        closed a moment ago may not be noticed yet when the EV asks, and the request then
        waits in the queue for a reconnection the EV must not wait for (K15.FR.15)."""
        lost = self._lost
        if not self.online.is_set() or lost is None:
            return None
        answer = asyncio.ensure_future(self.request(payload))
        offline = asyncio.ensure_future(lost.wait())
        try:
            await asyncio.wait({answer, offline}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            offline.cancel()
        return answer.result() if answer.done() else None

    async def _negotiate(self: ReferenceStation201, evse: Evse, payload: Any) -> None:
        """Ask the CSMS; offline (or no answer) use the local limits at once (K15.FR.15);
        Rejected: charge within the local limits (K17.FR.04); Accepted/Processing: wait for
        the TxProfile (:meth:`profiles_changed`)."""
        response = await self._answer_unless_offline(payload)
        if self.hlc.get(evse.id) != "waiting" or evse.ev_connector is None:
            return
        if response is None:
            if self.has("k_offline_hlc_waits"):
                return
            self.hlc[evse.id] = "agreed"
            self._notify_ev_schedule(evse, kind="keep")
            self.set_ev_suspended(evse, False)
        elif response.status == "Rejected" and not self.has("k_rejected_needs_stall"):
            self.hlc[evse.id] = "agreed"
            self.set_ev_suspended(evse, False)

    def _notify_ev_schedule(self: ReferenceStation201, evse: Evse, kind: str = "volatile") -> None:
        """NotifyEVChargingSchedule: the EV's schedule, within the limits it was given."""
        unit = "A"
        horizon = 3600  # the EV plans within the TxProfile's schedule (K15.FR.09)
        now = datetime.now(timezone.utc)
        tx = self.running().get(evse.id)
        for item in self.charging_profiles:
            if item.evse_id == evse.id and item.profile["charging_profile_purpose"] == "TxProfile":
                end = schedule_end(item, now, tx[1] if tx else None)
                if end is not None:
                    horizon = max(1, min(horizon, int((end - now).total_seconds())))
        schedule = self.composite_schedule(evse.id, horizon, unit)
        periods = schedule["charging_schedule_period"] or [
            {"start_period": 0, "limit": LOCAL_LIMIT[unit]}
        ]
        payload = call.NotifyEVChargingSchedule(
            time_base=schedule["schedule_start"],
            charging_schedule={
                "id": 1,
                "charging_rate_unit": unit,
                "duration": horizon,
                "charging_schedule_period": periods,
            },
            evse_id=evse.id,
        )
        self.enqueue(lambda _i: payload, kind=kind)


class SmartChargingHandlers:
    """CSMS requests of this block; mixed into the ChargePoint."""

    station: ReferenceStation201
    defer: Callable[[Callable[[], None]], None]

    @on(Action.set_charging_profile)
    def on_set_charging_profile(
        self, evse_id: int, charging_profile: dict[str, Any], **_: Any
    ) -> Any:
        """K01: Accepted and kept, or Rejected with the reason in statusInfo."""
        st = self.station
        why = st.check_profile(evse_id, charging_profile)
        if why is not None:
            return call_result.SetChargingProfile(
                status="Rejected",
                status_info={"reason_code": "InvalidProfile", "additional_info": why[:512]},
            )
        before = st.limits_now()
        st.install_profile(evse_id, charging_profile)
        self.defer(lambda: st.profiles_changed(before))
        return call_result.SetChargingProfile(status="Accepted")

    @on(Action.get_charging_profiles)
    def on_get_charging_profiles(
        self,
        request_id: int,
        charging_profile: dict[str, Any],
        evse_id: int | None = None,
        **_: Any,
    ) -> Any:
        """K09: Accepted and ReportChargingProfiles after the answer, or NoProfiles."""
        st = self.station
        found = st.select_profiles(evse_id, charging_profile)
        if not found:
            return call_result.GetChargingProfiles(status="NoProfiles")
        self.defer(lambda: st.report_profiles(request_id, found))
        return call_result.GetChargingProfiles(status="Accepted")

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self,
        charging_profile_id: int | None = None,
        charging_profile_criteria: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        """K10: Accepted when something was cleared, else Unknown (K10.FR.08)."""
        st = self.station
        before = st.limits_now()
        cleared = st.clear_profiles(charging_profile_id, charging_profile_criteria)
        if cleared:
            self.defer(lambda: st.profiles_changed(before))
        return call_result.ClearChargingProfile(status="Accepted" if cleared else "Unknown")

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(
        self, duration: int, evse_id: int, charging_rate_unit: str | None = None, **_: Any
    ) -> Any:
        """K08: Rejected for an unknown EVSE (K08.FR.05) or unit (K08.FR.07)."""
        st = self.station
        units = st.rate_units()
        unit = charging_rate_unit or (units[0] if units else "A")
        unknown_evse = evse_id != 0 and evse_id not in st.evses
        if unknown_evse and not st.has("k_unknown_evse_accepted"):
            return call_result.GetCompositeSchedule(status="Rejected")
        if unit not in units and not st.has("k_rate_unit_unchecked"):
            return call_result.GetCompositeSchedule(status="Rejected")
        if unknown_evse:
            evse_id = 0
        schedule = st.composite_schedule(evse_id, int(duration), unit)
        return call_result.GetCompositeSchedule(status="Accepted", schedule=schedule)
