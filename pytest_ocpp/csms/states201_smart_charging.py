"""Station-side states of OCPP 2.0.1 Part 6 §2.18/§2.19 for one concern: the Smart Charging (K) and ISO 15118 charging-limit states: Memory State SetChargingProfile (Table 445) and Reusable State RenegotiateChargingLimits (Table 437).

One method per table, performing the table's own tool validations, used by every case that
names the state (a state written twice drifts). Mixed into
:class:`~pytest_ocpp.csms.v201.FakeCsms201` beside :class:`~pytest_ocpp.csms.states201.StationStates201`.

Every profile installed through :meth:`SmartChargingStates201.set_charging_profile` is
cleared when the next case establishes its preconditions (``after_case``): Part 6 §2.1's
post-conditions leave no profile behind.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from pytest_ocpp.case import step, warn
from pytest_ocpp.station.charging_profiles import SmartChargingValues
from pytest_ocpp.timestamps import parse_timestamp
from pytest_ocpp.verdicts import check

if TYPE_CHECKING:
    from pytest_ocpp.csms.base import StationConnection

DEFAULT_MAX_TIME_DEVIATION = 2
"""<Configured max time deviation> (s) unless ``[station] max_time_deviation`` says otherwise:
how far the station's clock and the composite schedule start may be off."""

RENEGOTIATED_PROFILE_ID = 7301
"""chargingProfile.id of the TxProfile RenegotiateChargingLimits sends (K57/K58 replace it)."""


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class SmartChargingStates201:
    """Mixin of :class:`~pytest_ocpp.csms.v201.FakeCsms201`."""

    config: Any
    transaction_id: str | None
    evse: int
    after_case: Callable[..., None]
    transaction_event: Callable[..., Awaitable[Any]]

    # -- configured values --------------------------------------------------------------------
    @property
    def smart_charging(self) -> SmartChargingValues:
        """OCTT's <Configured ...> K values (``[station]`` keys, see SmartChargingValues)."""
        return SmartChargingValues.from_extra(self.config.station.extra)

    @property
    def max_time_deviation(self) -> int:
        return int(self.config.station.extra.get("max_time_deviation", DEFAULT_MAX_TIME_DEVIATION))

    def sc_limit(self, amperes: float, *, per_kw: bool = False) -> float:
        """A table's limit in <Configured chargingRateUnit>: ``amperes`` × <limit multiplier>
        (errata 2025-09 §6.2.69: 1 for A, 230 × numberPhases for W); ``per_kw`` for tables
        the errata left at "×1000 if W"."""
        values = self.smart_charging
        if values.charging_rate_unit == "A":
            return float(amperes)
        return float(amperes) * (1000 if per_kw else 230 * values.number_phases)

    def schedule(
        self,
        limits: Mapping[int, float] | None = None,
        *,
        duration: int | None = None,
        start: datetime | None = None,
        schedule_id: int = 1,
        phases: bool = True,
    ) -> dict[str, Any]:
        """A ChargingScheduleType in the configured unit: ``limits`` is startPeriod → limit in
        A (converted by :meth:`sc_limit`), default {0: 6}; numberPhases the configured one."""
        values = self.smart_charging
        periods = []
        for start_period, amperes in sorted((limits or {0: 6}).items()):
            period: dict[str, Any] = {"startPeriod": start_period, "limit": self.sc_limit(amperes)}
            if phases:
                period["numberPhases"] = values.number_phases
            periods.append(period)
        schedule: dict[str, Any] = {
            "id": schedule_id,
            "chargingRateUnit": values.charging_rate_unit,
            "chargingSchedulePeriod": periods,
        }
        if duration is not None:
            schedule["duration"] = duration
        if start is not None:
            schedule["startSchedule"] = iso(start)
        return schedule

    def clear_after_case(self, profile_id: int) -> None:
        """Post-condition: the profile goes when the next case starts (§2.1)."""

        async def clear(sut: StationConnection) -> None:
            await sut.link.call(
                "ClearChargingProfile", {"chargingProfileId": profile_id}, allow_error=True
            )

        self.after_case(f"charging profile {profile_id}", clear)

    # -- Memory State SetChargingProfile (Table 445) -----------------------------------------
    async def set_charging_profile(
        self,
        sut: StationConnection,
        profile: Mapping[str, Any],
        *,
        evse_id: int | None = None,
        label: str = "",
    ) -> dict[str, Any]:
        """SetChargingProfile (Table 445): SetChargingProfileRequest with the provided
        chargingProfile (for ``evse_id``, default the configured EVSE), answered Accepted.
        The profile is cleared when the next case starts. Returns the response."""
        evse = self.evse if evse_id is None else evse_id
        self.clear_after_case(int(profile["id"]))
        step(
            f"(Memory State) SetChargingProfile{label} 1. The OCTT sends a "
            f"SetChargingProfileRequest (evseId {evse}, chargingProfile.id {profile['id']}, "
            f"{profile['chargingProfilePurpose']})"
        )
        answer = await sut.call(
            "SetChargingProfile", {"evseId": evse, "chargingProfile": dict(profile)}
        )
        check(
            answer.get("status") == "Accepted",
            f"SetChargingProfile{label} step 2: SetChargingProfileResponse status is Accepted",
            answer,
        )
        return answer

    # -- Reusable State RenegotiateChargingLimits (Table 437) ----------------------------------
    async def renegotiate_charging_limits(
        self, sut: StationConnection, operator: Any, *, limit: float = 10
    ) -> dict[str, Any]:
        """RenegotiateChargingLimits (Table 437): manual action "renegotiate EV charging
        limits" (operator ``ev_charging_needs``); NotifyEVChargingNeedsRequest for the
        configured EVSE with AC or DC parameters as requestedEnergyTransfer says, answered
        Accepted; SetChargingProfileRequest TxProfile for the running transaction, duration
        300, the configured unit, startPeriod 0, limit 10 (×1000 for W, as the table says),
        answered Accepted; NotifyEVChargingScheduleRequest for the EVSE (optional, judged when
        sent); TransactionEventRequests until chargingState is Charging (optional: none is
        owed when it already charges), the last with triggerReason ChargingStateChanged.
        Returns the chargingProfile sent."""
        mark = sut.mark()
        step("RenegotiateChargingLimits: manual action: renegotiate EV charging limits")
        await operator.perform("ev_charging_needs", evse_id=self.evse)
        step(
            "RenegotiateChargingLimits 1. The Charging Station sends a NotifyEVChargingNeedsRequest"
        )
        needs = await sut.wait_for(
            "NotifyEVChargingNeeds", since=mark, describe="NotifyEVChargingNeedsRequest"
        )
        check_charging_needs(needs.payload, self.evse, "RenegotiateChargingLimits step 1")
        profile = {
            "id": RENEGOTIATED_PROFILE_ID,
            "stackLevel": self.smart_charging.stack_level,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "transactionId": self.transaction_id,
            "chargingSchedule": [
                {
                    "id": 1,
                    "duration": 300,
                    "chargingRateUnit": self.smart_charging.charging_rate_unit,
                    "chargingSchedulePeriod": [
                        {"startPeriod": 0, "limit": self.sc_limit(limit, per_kw=True)}
                    ],
                }
            ],
        }
        self.clear_after_case(RENEGOTIATED_PROFILE_ID)
        sent_at = sut.mark()  # charging may resume only once the schedule is given
        step("RenegotiateChargingLimits 3. The OCTT sends a SetChargingProfileRequest (TxProfile)")
        answer = await sut.call(
            "SetChargingProfile", {"evseId": self.evse, "chargingProfile": profile}
        )
        check(
            answer.get("status") == "Accepted",
            "RenegotiateChargingLimits step 4: SetChargingProfileResponse status Accepted",
            answer,
        )
        await self.charging_after_schedule(
            sut, since=sent_at, label="RenegotiateChargingLimits step 7", profile=profile
        )
        for item in sut.link.inbox[mark:sent_at]:
            if item.action == "NotifyEVChargingSchedule":
                check_ev_schedule(
                    item.payload,
                    self.evse,
                    profile,
                    "RenegotiateChargingLimits step 5",
                    sut,
                    self.max_time_deviation + 1,
                )
        return profile

    async def charging_after_schedule(
        self,
        sut: StationConnection,
        *,
        since: int,
        label: str,
        profile: Mapping[str, Any] | None,
        required: bool = False,
    ) -> None:
        """The end of a schedule negotiation, from inbox position ``since`` (taken when the
        CSMS's answer went out: the EV resumes after it): TransactionEventRequests until
        chargingState is Charging (``required``, or owed because the station reported another
        state last), the last with triggerReason ChargingStateChanged; a
        NotifyEVChargingScheduleRequest, when sent, for the configured EVSE and within
        ``profile``'s limits (K15.FR.09)."""
        tx_id = self.transaction_id
        charging = last_charging_state(sut, tx_id, until=since) == "Charging"
        if required or not charging:
            event = await sut.wait_for(
                "TransactionEvent",
                lambda p: (
                    p["transactionInfo"].get("chargingState") == "Charging"
                    and (tx_id is None or p["transactionInfo"]["transactionId"] == tx_id)
                ),
                since=since,
                describe=f"TransactionEventRequest with chargingState Charging ({label})",
            )
            check(
                event.payload["triggerReason"] == "ChargingStateChanged",
                f"{label}: TransactionEventRequest triggerReason must be ChargingStateChanged",
                event.payload,
            )
        for item in sut.link.inbox[since:]:
            if item.action == "NotifyEVChargingSchedule":
                check_ev_schedule(
                    item.payload,
                    self.evse,
                    profile,
                    f"{label} (schedule)",
                    sut,
                    self.max_time_deviation + 1,
                )


def last_charging_state(
    sut: StationConnection, tx_id: str | None, until: int | None = None
) -> str | None:
    """The chargingState the station reported last for ``tx_id`` (before ``until``)."""
    state = None
    for item in sut.link.inbox[:until]:
        if item.action != "TransactionEvent":
            continue
        info = item.payload.get("transactionInfo") or {}
        if tx_id is not None and info.get("transactionId") != tx_id:
            continue
        state = info.get("chargingState", state)
    return state


def check_charging_needs(payload: Mapping[str, Any], evse: int, label: str) -> None:
    """NotifyEVChargingNeedsRequest: the EVSE, and DC or AC parameters as the requested
    energy transfer says (K15.FR.06, K17.FR.06)."""
    check(
        payload.get("evseId") == evse,
        f"{label}: NotifyEVChargingNeedsRequest evseId {evse}",
        payload,
    )
    needs = payload.get("chargingNeeds") or {}
    if str(needs.get("requestedEnergyTransfer", "")).startswith("DC"):
        check(
            needs.get("dcChargingParameters") is not None,
            f"{label}: chargingNeeds.dcChargingParameters should not be omitted (DC)",
            payload,
        )
    else:
        check(
            needs.get("acChargingParameters") is not None,
            f"{label}: chargingNeeds.acChargingParameters should not be omitted (AC)",
            payload,
        )


def _started_at(sut: StationConnection, tx_id: str | None) -> datetime | None:
    for item in sut.link.inbox:
        info = (
            item.payload.get("transactionInfo") or {} if item.action == "TransactionEvent" else {}
        )
        if info.get("transactionId") == tx_id and item.payload.get("eventType") == "Started":
            return parse_timestamp(item.payload.get("timestamp"))
    return None


def check_ev_schedule(
    payload: Mapping[str, Any],
    evse: int,
    profile: Mapping[str, Any] | None,
    label: str,
    sut: StationConnection | None = None,
    slack: float = 2,
) -> None:
    """NotifyEVChargingScheduleRequest: the configured EVSE and, when the CSMS's schedule is
    known, every period starting while that schedule lasts at or under its limit (K15.FR.09,
    K17.FR.09). A Relative schedule ends ``duration`` after the transaction started (its
    Started event, when ``sut`` shows it), so earlier than timeBase + duration; ``slack``
    seconds of clock difference are allowed at its end."""
    check(
        payload.get("evseId") == evse,
        f"{label}: NotifyEVChargingScheduleRequest evseId {evse}",
        payload,
    )
    if profile is None:
        return
    given = profile["chargingSchedule"][0]
    ev = payload.get("chargingSchedule") or {}
    if ev.get("chargingRateUnit") != given["chargingRateUnit"]:
        warn(
            f"NotifyEVChargingScheduleRequest in {ev.get('chargingRateUnit')}, the schedule "
            f"given in {given['chargingRateUnit']}: bounds not compared"
        )
        return
    bound = max(p["limit"] for p in given["chargingSchedulePeriod"])
    end = given.get("duration")
    if end is not None and profile.get("chargingProfileKind") == "Relative" and sut is not None:
        started = _started_at(sut, profile.get("transactionId"))
        base = parse_timestamp(payload.get("timeBase"))
        if started is not None and base is not None:
            end -= max(0.0, (base - started).total_seconds())
    for period in ev.get("chargingSchedulePeriod") or []:
        if end is not None and period.get("startPeriod", 0) >= end - slack:
            continue
        check(
            float(period.get("limit", 0)) <= bound + 1e-6,
            f"{label}: the EV's chargingSchedule must be within the bounds of the schedule "
            f"given (limit <= {bound:g})",
            payload,
        )


def after(seconds: float, base: datetime | None = None) -> datetime:
    """``base`` (default now, UTC) plus ``seconds``."""
    return (base or datetime.now(timezone.utc)) + timedelta(seconds=seconds)


__all__ = [
    "SmartChargingStates201",
    "after",
    "check_charging_needs",
    "check_ev_schedule",
    "iso",
    "last_charging_state",
]
