"""OCPP 2.0.1, CSMS under test, K. SmartCharging with ISO 15118: load levelling on the EV's
charging needs and renegotiating the schedule (2.0.1 Edition 3 Part 6 §3.12, Tables 603-607,
with errata 2024-09 §6.3.18 and 2025-06 §6.3.17).

pytest-ocpp plays the Charging Station and its mock EV. The EV's charging needs and
maxScheduleTuples are OCTT's "<Configured values from mock EV>": ``[station]
ev_charging_needs`` (a ChargingNeedsType table) and ``ev_max_schedule_tuples`` (see
:class:`~pytest_ocpp.station.charging_profiles.SmartChargingValues`). The CSMS's own
SetChargingProfileRequests (K15.FR.07, K16.FR.12, K17.FR.07) are claimed before the message
that provokes them, so a fast CSMS cannot slip past the scenario; after a
NotifyEVChargingNeedsResponse Processing the station waits 60 s for them (the tables' note),
else the message timeout.

Every SetChargingProfileRequest is judged by
:func:`~pytest_ocpp.station.charging_profiles.check_set_charging_profile` in its ISO 15118 form
(up to three schedules, no more periods than maxScheduleTuples), and a renegotiated TxProfile
that keeps the stackLevel of the transaction's earlier one must keep its id too (K01.FR.39).

Errata 2024-09 §6.3.18 removed the TransactionEventRequests ChargingRateChanged that TC_K_55,
TC_K_57, TC_K_58 and TC_K_59 used to send; they are not sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import AsyncIterator, Mapping
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.link import IncomingCall, Link
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station201, check
from pytest_ocpp.station.charging_profiles import SmartChargingValues, check_set_charging_profile
from pytest_ocpp.station.v201 import PROCESSING_WAIT
from pytest_ocpp.verdicts import check_octt


def _values(station: Station201) -> SmartChargingValues:
    return SmartChargingValues.from_extra(station.spec.extra)


def _link(station: Station201) -> Link:
    """The station's connection, where a request of the CSMS is claimed before it comes."""
    link = station.link
    if link is None:
        raise RuntimeError("the station must be connected")
    return link


@contextlib.asynccontextmanager
async def _ends_idle(station: Station201) -> AsyncIterator[None]:
    """End the transaction the scenario started (general post-condition). After a failure the
    clean-up is best effort, so the failure's own message stays the verdict."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            await station.leave_idle()
        raise
    step("After: end the transaction and free the connector (idle station for the next case)")
    await station.leave_idle()


async def _before(station: Station201) -> SmartChargingValues:
    """Before: Reusable States Authorized, then EVConnectedPreSession (the tables' order)."""
    step("Before: Reusable State Authorized")
    await station.authorized()
    step("Before: Reusable State EVConnectedPreSession")
    await station.ev_connected_pre_session()
    return _values(station)


async def _smart_charging_state(station: Station201) -> tuple[SmartChargingValues, dict[str, Any]]:
    """Before of TC_K_57/58/59: Authorized, EVConnectedPreSession, ISO15118SmartCharging.
    Returns the configured values and the SetChargingProfileRequest of the state."""
    values = await _before(station)
    step("Before: Reusable State ISO15118SmartCharging")
    profile = await station.iso15118_smart_charging(
        dict(values.ev_charging_needs), max_schedule_tuples=values.ev_max_schedule_tuples
    )
    return values, profile


def _needs(station: Station201, values: SmartChargingValues) -> dict[str, Any]:
    """NotifyEVChargingNeedsRequest: the configured EVSE, the mock EV's maxScheduleTuples and
    chargingNeeds."""
    return {
        "maxScheduleTuples": values.ev_max_schedule_tuples,
        "chargingNeeds": copy.deepcopy(dict(values.ev_charging_needs)),
        "evseId": station.evse_id,
    }


async def _needs_then_profile(
    station: Station201, values: SmartChargingValues, first: int, profile_step: int
) -> IncomingCall:
    """Step ``first``: NotifyEVChargingNeedsRequest, answered Accepted or Processing (K15.FR.03,
    K15.FR.05, K17.FR.03, K17.FR.05); step ``profile_step``: the CSMS's own
    SetChargingProfileRequest, within 60 s after Processing, else the message timeout. Returns
    it, unanswered."""
    link = _link(station)
    claim = link.claim("SetChargingProfile")
    try:
        step(f"{first}. The OCTT sends a NotifyEVChargingNeedsRequest")
        conf = await station.call("NotifyEVChargingNeeds", _needs(station, values))
        status = conf.get("status")
        check(
            status in ("Accepted", "Processing"),
            f"Step {first + 1}: NotifyEVChargingNeedsResponse status Accepted or Processing "
            "(K15.FR.03, K15.FR.05)",
            conf,
        )
        wait = PROCESSING_WAIT if status == "Processing" else station.ctx.config.timeouts.message
        step(f"{profile_step}. The CSMS sends a SetChargingProfileRequest")
        done, _ = await asyncio.wait({claim}, timeout=wait)
        check(
            bool(done),
            f"Step {profile_step}: a SetChargingProfileRequest within {wait:g} s of the "
            f"NotifyEVChargingNeedsResponse {status} (K15.FR.07, K16.FR.12, K17.FR.07)",
            "nothing",
        )
        return claim.result()
    finally:
        link.unclaim(claim)


def _check_tx_profile(
    station: Station201,
    request: IncomingCall,
    where: str,
    values: SmartChargingValues,
    *,
    earlier: Mapping[str, Any] | None = None,
    answers_needs: bool = False,
) -> dict[str, Any]:
    """The tables' SetChargingProfileRequest validations: evseId the configured one, purpose
    TxProfile, transactionId the running transaction; plus the general checks in ISO 15118
    form (no more periods than the EV's maxScheduleTuples when the request ``answers_needs``,
    K15.FR.07 / K17.FR.07; K16 renegotiations set no such limit), and K01.FR.39 against the
    transaction's ``earlier`` TxProfile request. Returns the profile."""
    sent = request.payload
    profile = check_set_charging_profile(
        sent,
        where,
        device_model=station.device_model,
        iso15118=True,
        max_schedule_tuples=values.ev_max_schedule_tuples if answers_needs else None,
    )
    head = f"{where}: SetChargingProfileRequest"
    check(
        sent.get("evseId") == station.evse_id,
        f"{head} evseId {station.evse_id} (<Configured evseId>)",
        sent,
    )
    check(
        profile.get("chargingProfilePurpose") == "TxProfile",
        f"{head} chargingProfile.chargingProfilePurpose TxProfile (K15.FR.07)",
        sent,
    )
    check(
        profile.get("transactionId") == station.transaction_id,
        f"{head} chargingProfile.transactionId {station.transaction_id}, the running "
        "transaction (K15.FR.07)",
        sent,
    )
    before = (earlier or {}).get("chargingProfile")
    if isinstance(before, Mapping) and before.get("stackLevel") == profile.get("stackLevel"):
        check(
            profile.get("id") == before.get("id"),
            f"{head} chargingProfile.id {before.get('id')}: a TxProfile with the stackLevel "
            f"({profile.get('stackLevel')}) and transactionId of the transaction's earlier one "
            "must replace it, not add a second (K01.FR.39)",
            sent,
        )
    return profile


def _chosen_schedule(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The schedule the mock EV follows: the first the CSMS offered, as provided."""
    schedules = profile.get("chargingSchedule") or [{}]
    first = schedules[0] if isinstance(schedules, list) and schedules else {}
    return copy.deepcopy(dict(first)) if isinstance(first, Mapping) else {}


async def _ev_schedule(
    station: Station201, schedule: dict[str, Any], where: str, expected: str, why: str
) -> None:
    """NotifyEVChargingScheduleRequest with ``schedule`` for the configured EVSE; its
    response status must be ``expected``."""
    answer = await station.call(
        "NotifyEVChargingSchedule",
        {"timeBase": station.now(), "evseId": station.evse_id, "chargingSchedule": schedule},
    )
    check(
        answer.get("status") == expected,
        f"{where}: NotifyEVChargingScheduleResponse status {expected} ({why})",
        answer,
    )


def _exceeding(schedule: Mapping[str, Any]) -> dict[str, Any]:
    """TC_K_55 step 5: the schedule with every limit doubled plus one: beyond the CSMS's
    limits in every period."""
    out = copy.deepcopy(dict(schedule))
    for period in out.get("chargingSchedulePeriod") or []:
        period["limit"] = round(float(period.get("limit", 0)) * 2 + 1, 1)
    return out


def _renegotiation_payload(
    station: Station201, values: SmartChargingValues, earlier: Mapping[str, Any]
) -> dict[str, Any]:
    """What the operator is asked for when the CSMS renegotiates (TC_K_58/59 step 1): a new
    TxProfile for the running transaction, replacing the state's (its id and stackLevel,
    K01.FR.39), 6 A / 6000 W from now."""
    before = earlier.get("chargingProfile") or {}
    return {
        "evseId": station.evse_id,
        "chargingProfile": {
            "id": before.get("id", values.charging_profile_id),
            "stackLevel": before.get("stackLevel", values.stack_level),
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Absolute",
            "transactionId": station.transaction_id,
            "chargingSchedule": [
                {
                    "id": 1,
                    "startSchedule": station.now(),
                    "chargingRateUnit": values.charging_rate_unit,
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": values.limit(6.0)}],
                }
            ],
        },
    }


@ocpp_case("TC_K_53_CSMS", version="2.0.1")
async def test_tc_k_53_csms(station: Station201) -> None:
    """Load levelling on the EV's needs (K15): the CSMS accepts the NotifyEVChargingNeedsRequest
    (K15.FR.02, K15.FR.03/05), sends a TxProfile for the transaction (K15.FR.07) and accepts
    the EV's schedule within it (K15.FR.11): reusable state ISO15118SmartCharging. Then, by
    errata 2025-06 §6.3.17, the CSMS sends no further SetChargingProfileRequest "without
    cause" for the message timeout."""
    async with _ends_idle(station):
        values = await _before(station)
        link = _link(station)
        mark = link.mark()
        step("1. Execute Reusable State ISO15118SmartCharging")
        await station.iso15118_smart_charging(
            dict(values.ev_charging_needs), max_schedule_tuples=values.ev_max_schedule_tuples
        )
        wait = station.ctx.config.timeouts.message
        why = (
            "the CSMS must not renegotiate without cause after the schedule was agreed (errata "
            "2025-06 §6.3.17)"
        )
        step(f"2. The CSMS does NOT send a SetChargingProfileRequest ({wait:g} s)")
        try:
            await station.expect_silence("SetChargingProfile", wait, why)
        finally:
            # One that came during the state's last step, before the silence began, counts too;
            # each is answered, so the CSMS is not left waiting whatever the verdict.
            extra = [c for c in link.inbox[mark:] if c.action == "SetChargingProfile"][1:]
            for request in extra:
                if not request.replied:
                    await request.reply({"status": "Accepted"})
        check(
            not extra,
            f"Step 2: no SetChargingProfileRequest after the state's ({why})",
            [request.payload for request in extra],
        )


@ocpp_case("TC_K_55_CSMS", version="2.0.1")
async def test_tc_k_55_csms(station: Station201) -> None:
    """The EV answers the CSMS's schedule with one that exceeds it: the CSMS rejects it
    (K15.FR.12, K16.FR.07, K17.FR.12) and renegotiates with a new TxProfile (K15.FR.13,
    K16.FR.08, K17.FR.13), whose schedule the EV then follows and the CSMS accepts.

    Step 2 wants Accepted (OCTT-specific: K15.FR.05 also allows Processing, which is waited
    for as the other tables do). Step 13 (TransactionEventRequest ChargingRateChanged) is gone
    (errata 2024-09 §6.3.18)."""
    async with _ends_idle(station):
        values = await _before(station)
        link = _link(station)
        claim = link.claim("SetChargingProfile")
        try:
            step("1. The OCTT sends a NotifyEVChargingNeedsRequest")
            conf = await station.call("NotifyEVChargingNeeds", _needs(station, values))
            status = conf.get("status")
            check(
                status in ("Accepted", "Processing"),
                "Step 2: NotifyEVChargingNeedsResponse status Accepted or Processing (K15.FR.03, "
                "K15.FR.05)",
                conf,
            )
            check_octt(
                status == "Accepted",
                "Step 2: NotifyEVChargingNeedsResponse status Accepted",
                conf,
                octt="TC_K_55_CSMS step 2",
                spec="K15.FR.05 lets a CSMS that needs time answer Processing",
            )
            wait = station.ctx.config.timeouts.message
            step("3. The CSMS sends a SetChargingProfileRequest")
            done, _ = await asyncio.wait({claim}, timeout=wait)
            check(
                bool(done),
                f"Step 3: a SetChargingProfileRequest within {wait:g} s (K15.FR.07)",
                "nothing",
            )
            first = claim.result()
        finally:
            link.unclaim(claim)
        step("4. The OCTT responds with a SetChargingProfileResponse (Accepted)")
        await first.reply({"status": "Accepted"})
        profile = _check_tx_profile(station, first, "Step 3", values, answers_needs=True)

        renegotiation = link.claim("SetChargingProfile")
        try:
            step("5. The OCTT sends a NotifyEVChargingScheduleRequest exceeding step 3's limits")
            await _ev_schedule(
                station,
                _exceeding(_chosen_schedule(profile)),
                "Step 6",
                "Rejected",
                "the EV's schedule exceeds the CSMS's limits: K15.FR.12",
            )
            step("7. The OCTT sends a TransactionEventRequest (ChargingStateChanged, Charging)")
            await station.transaction_event(
                "Updated", "ChargingStateChanged", charging_state="Charging"
            )
            step("9. The CSMS sends a SetChargingProfileRequest (renegotiation)")
            done, _ = await asyncio.wait({renegotiation}, timeout=wait)
            check(
                bool(done),
                f"Step 9: a new SetChargingProfileRequest within {wait:g} s of rejecting the EV's "
                "schedule (K15.FR.13: the CSMS starts a renegotiation)",
                "nothing",
            )
            second = renegotiation.result()
        finally:
            link.unclaim(renegotiation)
        step("10. The OCTT responds with a SetChargingProfileResponse (Accepted)")
        await second.reply({"status": "Accepted"})
        renewed = _check_tx_profile(station, second, "Step 9", values, earlier=first.payload)
        step("11. The OCTT sends a NotifyEVChargingScheduleRequest (step 9's schedule)")
        await _ev_schedule(
            station,
            _chosen_schedule(renewed),
            "Step 12",
            "Accepted",
            "within the limits: K16.FR.06",
        )


@ocpp_case("TC_K_57_CSMS", version="2.0.1")
async def test_tc_k_57_csms(station: Station201) -> None:
    """The EV renegotiates (K17): new charging needs in a NotifyEVChargingNeedsRequest, which
    the CSMS accepts (K17.FR.02, K17.FR.03/05) and answers with a new TxProfile for the
    transaction (K17.FR.07), whose schedule it accepts back from the EV (K17.FR.11)."""
    async with _ends_idle(station):
        values, earlier = await _smart_charging_state(station)
        request = await _needs_then_profile(station, values, 1, 5)
        step("6. The OCTT responds with a SetChargingProfileResponse (Accepted)")
        await request.reply({"status": "Accepted"})
        profile = _check_tx_profile(
            station, request, "Step 5", values, earlier=earlier, answers_needs=True
        )
        step("7. The OCTT sends a NotifyEVChargingScheduleRequest (step 5's schedule)")
        await _ev_schedule(
            station, _chosen_schedule(profile), "Step 8", "Accepted", "within the limits: K17.FR.11"
        )


@ocpp_case("TC_K_58_CSMS", version="2.0.1")
async def test_tc_k_58_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS renegotiates (K16): it sends a new TxProfile for the running transaction and
    accepts the EV's schedule within it (K16.FR.06).

    The operator is asked for a TxProfile replacing the state's (same id and stackLevel,
    K01.FR.39) at 6 A / 6000 W. Step 3's "<ChargingSchedule provided at step 3>" is step 1's
    schedule (step 3 is the OCTT's own message)."""
    async with _ends_idle(station):
        values, earlier = await _smart_charging_state(station)
        step("1. The CSMS sends a SetChargingProfileRequest (renegotiation)")
        request = await csms_operator.request(
            station, "SetChargingProfile", _renegotiation_payload(station, values, earlier)
        )
        step("2. The OCTT responds with a SetChargingProfileResponse (Accepted)")
        await request.reply({"status": "Accepted"})
        profile = _check_tx_profile(station, request, "Step 1", values, earlier=earlier)
        step("3. The OCTT sends a NotifyEVChargingScheduleRequest (step 1's schedule)")
        await _ev_schedule(
            station, _chosen_schedule(profile), "Step 4", "Accepted", "within the limits: K16.FR.06"
        )


@ocpp_case("TC_K_59_CSMS", version="2.0.1")
async def test_tc_k_59_csms(station: Station201, csms_operator: CsmsOperator) -> None:
    """The CSMS renegotiates and the station, against K16.FR.09, resends the EV's charging
    needs: the CSMS answers them (Accepted or Processing) and sends a SetChargingProfileRequest
    again (K16.FR.12), whose schedule it accepts back from the EV.

    Step 7's "<ChargingSchedule provided at step 3>" is step 5's schedule (step 3 is the
    charging needs)."""
    async with _ends_idle(station):
        values, earlier = await _smart_charging_state(station)
        step("1. The CSMS sends a SetChargingProfileRequest (renegotiation)")
        request = await csms_operator.request(
            station, "SetChargingProfile", _renegotiation_payload(station, values, earlier)
        )
        step("2. The OCTT responds with a SetChargingProfileResponse (Accepted)")
        await request.reply({"status": "Accepted"})
        _check_tx_profile(station, request, "Step 1", values, earlier=earlier)
        again = await _needs_then_profile(station, values, 3, 5)
        step("6. The OCTT responds with a SetChargingProfileResponse (Accepted)")
        await again.reply({"status": "Accepted"})
        profile = _check_tx_profile(
            station, again, "Step 5", values, earlier=request.payload, answers_needs=True
        )
        step("7. The OCTT sends a NotifyEVChargingScheduleRequest (step 5's schedule)")
        await _ev_schedule(
            station, _chosen_schedule(profile), "Step 8", "Accepted", "within the limits: K16.FR.06"
        )
