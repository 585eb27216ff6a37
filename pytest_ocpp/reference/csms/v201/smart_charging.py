"""K. SmartCharging block of the 2.0.1 reference CSMS (Part 2 K01-K17).

What a conformant CSMS does in this block, as the K cases of Part 6 §3.12 drive it:

* the profile requests (SetChargingProfile, GetChargingProfiles, ClearChargingProfile,
  GetCompositeSchedule, and the chargingProfile of RequestStartTransaction) are sent exactly as
  the CSMS operator asks; the block's defects twist them in :meth:`adjust_outgoing`;
* it answers the station's ReportChargingProfiles, NotifyChargingLimit and
  ClearedChargingLimit (K09, K12, K13);
* ISO 15118 (K15-K17): a NotifyEVChargingNeedsRequest for an EVSE with a running transaction
  is Accepted and answered, on the CSMS's own initiative, with a SetChargingProfileRequest: a
  TxProfile for that transaction (K15.FR.03, K15.FR.07, K16.FR.12, K17.FR.07), replacing the
  transaction's earlier TxProfile if there is one (same id: K01.FR.39). A
  NotifyEVChargingScheduleRequest within the limits of the last TxProfile sent for that EVSE
  is Accepted; one exceeding them is Rejected and followed by a new SetChargingProfileRequest,
  i.e. a renegotiation (K15.FR.11-13, K16.FR.06-08, K17.FR.11-13). Nothing else is sent
  "without cause" (errata 2025-06 §6.3.17 on TC_K_53_CSMS).

To know the transaction of an EVSE the block watches the TransactionEventRequests through the
cooperative :meth:`intercept_call` hook (the handler itself belongs to another block).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ocpp.exceptions import InternalError
from ocpp.messages import Call
from ocpp.routing import after, on
from ocpp.v201 import call_result as result201

from pytest_ocpp.reference.csms.session import LOGGER, _ReferenceSession
from pytest_ocpp.reference.csms.v201.core import utc_now_201

__all__ = ["DEFECTS_SMART_CHARGING", "SmartChargingMixin"]

#: The defects :class:`SmartChargingMixin` implements; part of the public
#: :data:`~pytest_ocpp.reference.csms.DEFECTS`.
DEFECTS_SMART_CHARGING: dict[str, str] = {
    "v201_smart_charging_periods_unordered": (
        "SetChargingProfileRequest schedules get two extra periods appended, startPeriod 120 "
        "then 60: the list is no longer ordered by startPeriod (Part 6 §3.1, K01.FR.35)."
    ),
    "v201_smart_charging_phase_to_use_three_phases": (
        "SetChargingProfileRequest periods carry phaseToUse 1 with numberPhases 3 (Part 6 "
        "§3.1, K01.FR.19)."
    ),
    "v201_smart_charging_tx_profile_without_transaction_id": (
        "TxProfiles of SetChargingProfileRequest are sent without transactionId (K01.FR.03)."
    ),
    "v201_smart_charging_tx_default_with_transaction_id": (
        "TxDefaultProfiles of SetChargingProfileRequest carry a transactionId (Part 2 §2.10: "
        "only a TxProfile may)."
    ),
    "v201_smart_charging_wrong_stack_level": (
        "SetChargingProfileRequest chargingProfile.stackLevel is one more than asked for."
    ),
    "v201_smart_charging_wrong_evse": (
        "SetChargingProfileRequest evseId is off: 0 becomes 1, any other one more."
    ),
    "v201_smart_charging_absolute_without_start_schedule": (
        "Absolute and Recurring profiles of SetChargingProfileRequest lose their "
        "startSchedule (K01.FR.40)."
    ),
    "v201_smart_charging_recurring_without_recurrency_kind": (
        "Recurring profiles of SetChargingProfileRequest lose their recurrencyKind."
    ),
    "v201_smart_charging_new_id_on_replace": (
        "Every SetChargingProfileRequest after the first on a connection gets a new "
        "chargingProfile.id, so a replacement becomes a second profile (TC_K_04_CSMS)."
    ),
    "v201_smart_charging_reuses_profile_id": (
        "Every SetChargingProfileRequest on a connection carries the chargingProfile.id of "
        "the first one, so a second profile replaces the first (TC_K_70_CSMS)."
    ),
    "v201_request_start_profile_with_transaction_id": (
        "The chargingProfile of a RequestStartTransactionRequest carries a transactionId "
        "(F01.FR.11)."
    ),
    "v201_composite_schedule_wrong_duration": (
        "GetCompositeScheduleRequest duration is 60 s longer than asked for."
    ),
    "v201_composite_schedule_wrong_evse": (
        "GetCompositeScheduleRequest evseId 0 becomes 1 and any other becomes 0."
    ),
    "v201_get_charging_profiles_wrong_evse": (
        "GetChargingProfilesRequest evseId is off: 0 becomes 1, any other one more, an "
        "omitted one is set to 1."
    ),
    "v201_get_charging_profiles_extra_criteria": (
        "GetChargingProfilesRequest criteria get chargingLimitSource [CSO] when they have none."
    ),
    "v201_report_charging_profiles_call_error": (
        "ReportChargingProfilesRequest is answered with CallError InternalError."
    ),
    "v201_clear_charging_profile_wrong_stack_level": (
        "ClearChargingProfileRequest chargingProfileCriteria.stackLevel is one more than asked."
    ),
    "v201_clear_charging_profile_by_id_with_criteria": (
        "A ClearChargingProfileRequest by chargingProfileId also carries "
        "chargingProfileCriteria (purpose TxDefaultProfile)."
    ),
    "v201_charging_limit_call_error": (
        "NotifyChargingLimitRequest and ClearedChargingLimitRequest are answered with "
        "CallError InternalError."
    ),
    "v201_ev_charging_needs_rejected": (
        "NotifyEVChargingNeedsRequest is answered Rejected and no charging profile follows "
        "(K15.FR.03)."
    ),
    "v201_ev_charging_needs_no_profile": (
        "NotifyEVChargingNeedsRequest is answered Accepted but no SetChargingProfileRequest "
        "follows (K15.FR.07)."
    ),
    "v201_ev_charging_schedule_always_accepted": (
        "NotifyEVChargingScheduleRequest is answered Accepted even when the EV's schedule "
        "exceeds the CSMS's limits, and no renegotiation follows (K15.FR.12, K15.FR.13)."
    ),
    "v201_ev_charging_renegotiates_without_cause": (
        "After an accepted NotifyEVChargingScheduleRequest the CSMS sends a new "
        "SetChargingProfileRequest anyway (errata 2025-06 §6.3.17, TC_K_53_CSMS)."
    ),
}

AC_SITE_LIMIT_A = 32.0
"""The per-phase current the reference grants an AC EV at most (its "grid connection")."""
DC_SITE_LIMIT_W = 50000.0
"""The power the reference grants a DC EV at most."""
LINE_VOLTAGE = 230.0
"""K01.FR.50: the nominal voltage for converting A and W when comparing schedules."""


@dataclass
class _SmartChargingState:
    """What one connection's smart charging needs to remember."""

    tx_by_evse: dict[int, str] = field(default_factory=dict)
    """The running transaction of each EVSE (from TransactionEventRequests)."""
    tx_profiles: dict[int, dict[str, Any]] = field(default_factory=dict)
    """The last TxProfile sent for each EVSE (camelCase), which EV schedules are held to."""
    first_profile_id: int | None = None
    set_profiles_sent: int = 0
    needs_status: dict[int, str] = field(default_factory=dict)
    """The answer just given to each EVSE's NotifyEVChargingNeedsRequest."""
    schedule_status: dict[int, str] = field(default_factory=dict)
    """The answer just given to each EVSE's NotifyEVChargingScheduleRequest."""
    profile_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(9001))
    schedule_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


def _number(value: Any, default: float) -> float:
    return float(value) if isinstance(value, int | float) else default


def _limit_at(periods: list[Mapping[str, Any]], second: int) -> float | None:
    """The limit of the period in force ``second`` seconds into a schedule (K01.FR.12)."""
    current: float | None = None
    for period in sorted(periods, key=lambda p: int(p.get("startPeriod", 0))):
        if int(period.get("startPeriod", 0)) <= second:
            current = _number(period.get("limit"), 0.0)
    return current


def _in_amperes(limit: float, unit: str, phases: int) -> float:
    return limit if unit == "A" else limit / (LINE_VOLTAGE * phases)


def exceeds(ev_schedule: Mapping[str, Any], limits: Mapping[str, Any]) -> bool:
    """Whether the EV's schedule asks more than the CSMS's schedule allows at any moment
    (K15.FR.12): both compared at every period start of either, in amperes per phase when the
    units differ (K01.FR.50, 3 phases unless given)."""
    ev_periods = [p for p in ev_schedule.get("chargingSchedulePeriod") or [] if p]
    csms_periods = [p for p in limits.get("chargingSchedulePeriod") or [] if p]
    if not ev_periods or not csms_periods:
        return False
    ev_unit = str(ev_schedule.get("chargingRateUnit", "A"))
    csms_unit = str(limits.get("chargingRateUnit", "A"))
    starts = {int(p.get("startPeriod", 0)) for p in ev_periods + csms_periods}
    for second in sorted(starts):
        ev_limit = _limit_at(ev_periods, second)
        csms_limit = _limit_at(csms_periods, second)
        if ev_limit is None or csms_limit is None:
            continue
        if ev_unit != csms_unit:
            ev_limit = _in_amperes(ev_limit, ev_unit, 3)
            csms_limit = _in_amperes(csms_limit, csms_unit, 3)
        if ev_limit > csms_limit + 1e-6:
            return True
    return False


def _snake_to_camel(data: Any) -> Any:
    """The ``ocpp`` library hands handlers snake_case payloads; profiles are kept camelCase."""
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            head, *rest = key.split("_")
            out[head + "".join(part[:1].upper() + part[1:] for part in rest)] = _snake_to_camel(
                value
            )
        return out
    if isinstance(data, list):
        return [_snake_to_camel(item) for item in data]
    return data


class SmartChargingMixin(_ReferenceSession):
    """K SmartCharging: the station's reports and notifications of K09-K17, the CSMS's own
    SetChargingProfileRequests of ISO 15118 load levelling, and the defects of the profile
    requests the operator asks for."""

    BLOCK_DEFECTS: ClassVar[Mapping[str, str]] = DEFECTS_SMART_CHARGING

    def _smart_charging(self) -> _SmartChargingState:
        """This connection's smart charging memory, made on first use (a mixin has no
        ``__init__`` of its own)."""
        state = self.__dict__.get("_smart_charging_state")
        if state is None:
            state = _SmartChargingState()
            self.__dict__["_smart_charging_state"] = state
        return state

    # -- watching transactions -------------------------------------------------------------
    async def intercept_call(self, msg: Call) -> bool:
        """Note which transaction runs on which EVSE (TransactionEventRequest evse.id,
        transactionInfo.transactionId); an Ended transaction is forgotten. Never answers."""
        if msg.action == "TransactionEvent" and isinstance(msg.payload, dict):
            info = msg.payload.get("transactionInfo") or {}
            tx = info.get("transactionId")
            evse = (msg.payload.get("evse") or {}).get("id")
            state = self._smart_charging()
            if msg.payload.get("eventType") == "Ended":
                for evse_id, running in list(state.tx_by_evse.items()):
                    if running == tx:
                        del state.tx_by_evse[evse_id]
                        state.tx_profiles.pop(evse_id, None)
            elif isinstance(tx, str) and isinstance(evse, int):
                state.tx_by_evse[evse] = tx
        return await super().intercept_call(msg)

    # -- outgoing requests -----------------------------------------------------------------
    def adjust_outgoing(self, action: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The block's outgoing-request defects; then remember the SetChargingProfileRequest
        as it leaves (its id, and a TxProfile as the limits EV schedules are held to)."""
        if action == "SetChargingProfile":
            self._twist_set_charging_profile(payload)
        elif action == "RequestStartTransaction":
            profile = payload.get("chargingProfile")
            if isinstance(profile, dict) and self.defect(
                "v201_request_start_profile_with_transaction_id"
            ):
                profile["transactionId"] = "remote-start-transaction"
        elif action == "GetCompositeSchedule":
            if self.defect("v201_composite_schedule_wrong_duration"):
                payload["duration"] = int(payload.get("duration", 0)) + 60
            if self.defect("v201_composite_schedule_wrong_evse"):
                payload["evseId"] = 1 if payload.get("evseId") == 0 else 0
        elif action == "GetChargingProfiles":
            if self.defect("v201_get_charging_profiles_wrong_evse"):
                evse = payload.get("evseId")
                payload["evseId"] = 1 if evse in (None, 0) else int(evse) + 1
            criteria = payload.get("chargingProfile")
            if (
                isinstance(criteria, dict)
                and "chargingLimitSource" not in criteria
                and self.defect("v201_get_charging_profiles_extra_criteria")
            ):
                criteria["chargingLimitSource"] = ["CSO"]
        elif action == "ClearChargingProfile":
            criteria = payload.get("chargingProfileCriteria")
            if (
                isinstance(criteria, dict)
                and "stackLevel" in criteria
                and self.defect("v201_clear_charging_profile_wrong_stack_level")
            ):
                criteria["stackLevel"] = int(criteria["stackLevel"]) + 1
            if "chargingProfileId" in payload and self.defect(
                "v201_clear_charging_profile_by_id_with_criteria"
            ):
                payload["chargingProfileCriteria"] = {"chargingProfilePurpose": "TxDefaultProfile"}
        body = super().adjust_outgoing(action, payload)
        if action == "SetChargingProfile" and body is not None:
            self._remember_sent_profile(body)
        return body

    def _twist_set_charging_profile(self, payload: dict[str, Any]) -> None:
        """The SetChargingProfileRequest defects, in place."""
        profile = payload.get("chargingProfile")
        if not isinstance(profile, dict):
            return
        state = self._smart_charging()
        purpose = profile.get("chargingProfilePurpose")
        schedules = [s for s in profile.get("chargingSchedule") or [] if isinstance(s, dict)]
        if self.defect("v201_smart_charging_wrong_evse"):
            evse = int(payload.get("evseId", 0))
            payload["evseId"] = evse + 1
        if self.defect("v201_smart_charging_wrong_stack_level"):
            profile["stackLevel"] = int(profile.get("stackLevel", 0)) + 1
        if purpose == "TxProfile" and self.defect(
            "v201_smart_charging_tx_profile_without_transaction_id"
        ):
            profile.pop("transactionId", None)
        if purpose == "TxDefaultProfile" and self.defect(
            "v201_smart_charging_tx_default_with_transaction_id"
        ):
            profile["transactionId"] = "default-profile-transaction"
        if profile.get("chargingProfileKind") == "Recurring" and self.defect(
            "v201_smart_charging_recurring_without_recurrency_kind"
        ):
            profile.pop("recurrencyKind", None)
        if self.defect("v201_smart_charging_new_id_on_replace") and state.set_profiles_sent:
            profile["id"] = int(profile.get("id", 0)) + 1000 + state.set_profiles_sent
        if self.defect("v201_smart_charging_reuses_profile_id") and state.first_profile_id:
            profile["id"] = state.first_profile_id
        for schedule in schedules:
            periods = [
                p for p in schedule.get("chargingSchedulePeriod") or [] if isinstance(p, dict)
            ]
            if profile.get("chargingProfileKind") in ("Absolute", "Recurring") and self.defect(
                "v201_smart_charging_absolute_without_start_schedule"
            ):
                schedule.pop("startSchedule", None)
            if periods and self.defect("v201_smart_charging_periods_unordered"):
                last = periods[-1]
                schedule["chargingSchedulePeriod"] = [
                    *periods,
                    {**last, "startPeriod": max(120, int(last.get("startPeriod", 0)) + 120)},
                    {**last, "startPeriod": max(60, int(last.get("startPeriod", 0)) + 60)},
                ]
            if self.defect("v201_smart_charging_phase_to_use_three_phases"):
                for period in schedule.get("chargingSchedulePeriod") or []:
                    period["numberPhases"] = 3
                    period["phaseToUse"] = 1

    def _remember_sent_profile(self, payload: Mapping[str, Any]) -> None:
        state = self._smart_charging()
        profile = payload.get("chargingProfile")
        if not isinstance(profile, Mapping):
            return
        state.set_profiles_sent += 1
        if state.first_profile_id is None and isinstance(profile.get("id"), int):
            state.first_profile_id = int(profile["id"])
        evse = payload.get("evseId")
        if profile.get("chargingProfilePurpose") == "TxProfile" and isinstance(evse, int):
            state.tx_profiles[evse] = dict(profile)

    # -- K09, K12, K13: the station reports ------------------------------------------------
    @on("ReportChargingProfiles")
    def on_report_charging_profiles(self, **_: Any) -> result201.ReportChargingProfiles:
        """K09: the report pages of a GetChargingProfilesRequest are acknowledged."""
        if self.defect("v201_report_charging_profiles_call_error"):
            raise InternalError(description="cannot store the charging profiles report")
        return result201.ReportChargingProfiles()

    @on("NotifyChargingLimit")
    def on_notify_charging_limit(self, **_: Any) -> result201.NotifyChargingLimit:
        """K12: an external charging limit is acknowledged."""
        if self.defect("v201_charging_limit_call_error"):
            raise InternalError(description="cannot process the charging limit")
        return result201.NotifyChargingLimit()

    @on("ClearedChargingLimit")
    def on_cleared_charging_limit(self, **_: Any) -> result201.ClearedChargingLimit:
        """K13: the release of an external charging limit is acknowledged."""
        if self.defect("v201_charging_limit_call_error"):
            raise InternalError(description="cannot process the cleared charging limit")
        return result201.ClearedChargingLimit()

    # -- K15-K17: ISO 15118 load levelling -------------------------------------------------
    @on("NotifyEVChargingNeeds")
    def on_notify_ev_charging_needs(
        self, evse_id: int, **_: Any
    ) -> result201.NotifyEVChargingNeeds:
        """K15.FR.03 / K17.FR.03: Accepted when a transaction runs on the EVSE (its TxProfile
        follows, see :meth:`after_notify_ev_charging_needs`); Rejected otherwise (K15.FR.04:
        no transaction to attach a schedule to)."""
        state = self._smart_charging()
        status = "Accepted" if evse_id in state.tx_by_evse else "Rejected"
        if self.defect("v201_ev_charging_needs_rejected"):
            status = "Rejected"
        state.needs_status[evse_id] = status
        return result201.NotifyEVChargingNeeds(status=status)

    @after("NotifyEVChargingNeeds")
    async def after_notify_ev_charging_needs(
        self,
        evse_id: int,
        charging_needs: Mapping[str, Any],
        max_schedule_tuples: int | None = None,
        **_: Any,
    ) -> None:
        """K15.FR.07 / K16.FR.12 / K17.FR.07: the TxProfile for the EV's needs, sent once the
        response is out."""
        state = self._smart_charging()
        if state.needs_status.pop(evse_id, None) != "Accepted":
            return
        if self.defect("v201_ev_charging_needs_no_profile"):
            LOGGER.info("%s: deliberate defect: no charging profile for the EV", self.id)
            return
        await self._send_tx_profile(evse_id, _snake_to_camel(dict(charging_needs)))

    @on("NotifyEVChargingSchedule")
    def on_notify_ev_charging_schedule(
        self, evse_id: int, charging_schedule: Mapping[str, Any], **_: Any
    ) -> result201.NotifyEVChargingSchedule:
        """K15.FR.11 / K15.FR.12: Accepted when the EV's schedule stays within the last
        TxProfile sent for the EVSE, Rejected when it exceeds it (a renegotiation follows)."""
        state = self._smart_charging()
        sent = state.tx_profiles.get(evse_id)
        ev_schedule = _snake_to_camel(dict(charging_schedule))
        status = "Accepted"
        if sent is not None:
            schedules = [s for s in sent.get("chargingSchedule") or [] if isinstance(s, dict)]
            limits = next(
                (s for s in schedules if s.get("id") == ev_schedule.get("id")),
                schedules[0] if schedules else None,
            )
            if limits is not None and exceeds(ev_schedule, limits):
                status = "Rejected"
        if self.defect("v201_ev_charging_schedule_always_accepted"):
            status = "Accepted"
        state.schedule_status[evse_id] = status
        return result201.NotifyEVChargingSchedule(status=status)

    @after("NotifyEVChargingSchedule")
    async def after_notify_ev_charging_schedule(self, evse_id: int, **_: Any) -> None:
        """K15.FR.13 / K16.FR.08 / K17.FR.13: a rejected EV schedule starts a renegotiation
        (a new TxProfile for the transaction); an accepted one ends the exchange."""
        state = self._smart_charging()
        status = state.schedule_status.pop(evse_id, None)
        if status == "Rejected" or (
            status == "Accepted" and self.defect("v201_ev_charging_renegotiates_without_cause")
        ):
            await self._send_tx_profile(evse_id, {})

    async def _send_tx_profile(self, evse_id: int, needs: Mapping[str, Any]) -> None:
        """A TxProfile for the EVSE's transaction, within the EV's needs (or the last limits
        granted, for a renegotiation): one Absolute schedule starting now, one period."""
        state = self._smart_charging()
        tx = state.tx_by_evse.get(evse_id)
        if tx is None:
            return
        previous = state.tx_profiles.get(evse_id)
        unit, limit = self._granted(needs, previous)
        profile = {
            "id": int(previous["id"]) if previous and "id" in previous else next(state.profile_ids),
            "stackLevel": int(previous.get("stackLevel", 0)) if previous else 0,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Absolute",
            "transactionId": tx,
            "chargingSchedule": [
                {
                    "id": next(state.schedule_ids),
                    "startSchedule": utc_now_201(),
                    "chargingRateUnit": unit,
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
                }
            ],
        }
        try:
            await self.send_call(
                "SetChargingProfile", {"evseId": evse_id, "chargingProfile": profile}
            )
        except Exception:  # a background task: log rather than lose it
            LOGGER.exception("%s: could not send the TxProfile for EVSE %s", self.id, evse_id)

    @staticmethod
    def _granted(needs: Mapping[str, Any], previous: Mapping[str, Any] | None) -> tuple[str, float]:
        """The unit and limit to grant: the EV's maximum capped by the site's, or, without
        needs, what the previous TxProfile granted."""
        ac = needs.get("acChargingParameters")
        dc = needs.get("dcChargingParameters")
        if isinstance(ac, Mapping):
            return "A", round(
                min(_number(ac.get("evMaxCurrent"), AC_SITE_LIMIT_A), AC_SITE_LIMIT_A), 1
            )
        if isinstance(dc, Mapping):
            power = _number(
                dc.get("evMaxPower"),
                _number(dc.get("evMaxCurrent"), 0) * _number(dc.get("evMaxVoltage"), 0)
                or DC_SITE_LIMIT_W,
            )
            return "W", round(min(power, DC_SITE_LIMIT_W), 1)
        if previous is not None:
            schedules = previous.get("chargingSchedule") or [{}]
            first = schedules[0] if isinstance(schedules[0], Mapping) else {}
            periods = first.get("chargingSchedulePeriod") or [{}]
            return (
                str(first.get("chargingRateUnit", "A")),
                _number(periods[0].get("limit"), AC_SITE_LIMIT_A),
            )
        return "A", AC_SITE_LIMIT_A
