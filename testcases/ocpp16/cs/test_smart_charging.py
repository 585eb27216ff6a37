"""OCTT 1.6, Charge Point under test, Smart Charging profile (OCTT 1.6 test case document,
§2.22).

pytest-ocpp plays the Central System; physical actions go through the ``station_operator``.
Every case applies only when the station declares the SmartCharging feature profile.

Composite schedules are judged against the step function the installed profiles define
(OCPP 1.6 §3.13.2-3.13.4): the expected limit is computed for every second of the returned
schedule from the profiles' own startSchedule, so the "x" of the OCTT tables (time between
installing the profiles and the schedule's start) comes out of the station's scheduleStart
rather than being guessed. Seconds next to a change point are not judged (a station rounds
to whole seconds), and neither is the part after every profile ended, where the station's
own limit applies.

The OCTT general preconditions (§1.3) include "no charging schedules active": each case
clears every charging profile, and stops what it started, on the way out.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms16 as FakeCsms
from pytest_ocpp.csms import StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import NotApplicable, check

STACK_LEVEL = 0
"""OCTT's <Configured StackLevel> for the single-profile cases."""

DURATION = 300
"""OCTT's <Configured duration> (s): of the single profiles and of their composite schedule."""

NUMBER_PHASES = 3
"""OCTT's <Configured numberPhases>."""

MAX_TIME_DEVIATION = 5
"""OCTT's <Configured Max Time Deviation> (s): how far a composite schedule's start may be
from now, and how far in the past the profiles' schedules start."""

EDGE_TOLERANCE = 1.5
"""Seconds around an expected change point that are not judged (whole-second rounding)."""

_profile_ids = itertools.count(5601)


@dataclass(frozen=True)
class _Rate:
    """OCTT's <Configured chargingRateUnit>: A, or W with every limit multiplied by 1000."""

    unit: str
    factor: int

    def limit(self, amps: float) -> float:
        return amps * self.factor


def _requires_smart_charging(ocpp_config: Any) -> None:
    if "SmartCharging" not in ocpp_config.station.features:
        raise NotApplicable(
            "the station does not declare the SmartCharging feature profile "
            "([station] features in --ocpp-config)"
        )


async def _rate(csms: FakeCsms, sut: StationConnection) -> _Rate:
    """Current (A) unless the station only allows Power (W), per its
    ChargingScheduleAllowedChargingRateUnit (OCPP 1.6 §9.4)."""
    allowed = await csms.get_configuration(sut, "ChargingScheduleAllowedChargingRateUnit")
    units = {u.strip() for u in (allowed or "Current").split(",")}
    return _Rate("W", 1000) if "Current" not in units and "Power" in units else _Rate("A", 1)


def _format(moment: datetime) -> str:
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _anchor() -> datetime:
    """OCTT's "current dateTime - <Configured max time deviation> seconds"."""
    return datetime.now(timezone.utc) - timedelta(seconds=MAX_TIME_DEVIATION)


def _profile(
    rate: _Rate,
    purpose: str,
    stack_level: int,
    periods: list[tuple[int, float]],
    duration: int,
    start: datetime,
    *,
    valid_for: int | None = None,
    transaction_id: int | None = None,
) -> dict[str, Any]:
    """An Absolute csChargingProfiles starting at ``start``; ``periods`` in A, converted to
    the rate's unit; ``valid_for``: validFrom ``start``, validTo ``start + valid_for``."""
    profile: dict[str, Any] = {
        "chargingProfileId": next(_profile_ids),
        "stackLevel": stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "duration": duration,
            "startSchedule": _format(start),
            "chargingRateUnit": rate.unit,
            "chargingSchedulePeriod": [
                {"startPeriod": offset, "limit": rate.limit(amps), "numberPhases": NUMBER_PHASES}
                for offset, amps in periods
            ],
        },
    }
    if transaction_id is not None:
        profile["transactionId"] = transaction_id
    if valid_for is not None:
        profile["validFrom"] = _format(start)
        profile["validTo"] = _format(start + timedelta(seconds=valid_for))
    return profile


async def _set_profile(sut: StationConnection, connector: int, profile: dict[str, Any]) -> str:
    """SetChargingProfile.req (OCPP 1.6 §5.16); returns the station's status."""
    reply = await sut.call(
        "SetChargingProfile", {"connectorId": connector, "csChargingProfiles": profile}
    )
    return str(reply["status"])


async def _installed(sut: StationConnection, connector: int, profile: dict[str, Any]) -> None:
    """Memory state SetChargingProfile (OCTT 1.6 §2.26): the station accepts the profile."""
    step(
        f"[SetChargingProfile] {profile['chargingProfilePurpose']} "
        f"stackLevel {profile['stackLevel']} on connector {connector}"
    )
    status = await _set_profile(sut, connector, profile)
    check(status == "Accepted", "SetChargingProfile.conf status Accepted", status)


Steps = list[tuple[datetime, float | None]]
"""An expected limit as a step function: (from this moment on, this limit); None = the
station's own limit (not judged)."""


def _limit_at(steps: Steps, moment: datetime) -> float | None:
    value: float | None = None
    for since, limit in steps:
        if since <= moment:
            value = limit
    return value


async def _composite(
    sut: StationConnection,
    rate: _Rate,
    duration: int,
    expected: Steps,
    *,
    single_limit: bool = False,
) -> None:
    """GetCompositeSchedule.req for the configured connector, and the tool validations of
    OCTT 1.6 TC_056/057/066/067/072_CS on its answer (OCPP 1.6 §5.7, §3.13.4)."""
    connector = sut.csms.config.station.connector_id
    reply = await sut.call(
        "GetCompositeSchedule",
        {"connectorId": connector, "duration": duration, "chargingRateUnit": rate.unit},
    )
    asked_at = datetime.now(timezone.utc)
    check(reply["status"] == "Accepted", "GetCompositeSchedule.conf status Accepted", reply)
    check(
        reply.get("connectorId") == connector,
        f"GetCompositeSchedule.conf connectorId {connector}",
        reply,
    )
    schedule = reply.get("chargingSchedule")
    check(isinstance(schedule, dict), "GetCompositeSchedule.conf with a chargingSchedule", reply)
    check(
        schedule.get("duration") == duration,
        f"chargingSchedule.duration {duration}",
        schedule,
    )
    check(
        schedule["chargingRateUnit"] == rate.unit,
        f"chargingSchedule.chargingRateUnit {rate.unit}",
        schedule,
    )
    start_text = schedule.get("startSchedule") or reply.get("scheduleStart")
    check(start_text is not None, "chargingSchedule.startSchedule (or scheduleStart)", reply)
    start = _parse(start_text)
    deviation = abs((asked_at - start).total_seconds())
    check(
        deviation <= MAX_TIME_DEVIATION,
        f"startSchedule within {MAX_TIME_DEVIATION} s of the current time",
        f"{start_text} ({deviation:.1f} s away)",
    )
    periods = sorted(schedule["chargingSchedulePeriod"], key=lambda p: p["startPeriod"])
    check(
        periods[0]["startPeriod"] == 0,
        "the first chargingSchedulePeriod at startPeriod 0",
        periods,
    )
    if single_limit:
        check(
            len({p["limit"] for p in periods}) == 1,
            "one limit for the whole schedule (the station's own limit, no profile left)",
            periods,
        )
    edges = [(moment - start).total_seconds() for moment, _ in expected]
    wrong: list[str] = []
    for offset in range(duration):
        if any(abs(offset - edge) < EDGE_TOLERANCE for edge in edges):
            continue
        want = _limit_at(expected, start + timedelta(seconds=offset))
        if want is None:
            continue
        got = next((p["limit"] for p in reversed(periods) if p["startPeriod"] <= offset), None)
        if got is None or abs(got - want) > 0.05:
            wrong.append(f"{offset} s: {got} instead of {want:g}")
    shape = ", ".join(
        f"startPeriod {max(0, round(edge))} limit {'(own)' if limit is None else f'{limit:g}'}"
        for edge, (_, limit) in zip(edges, expected, strict=True)
        if edge < duration
    )
    check(
        not wrong,
        f"chargingSchedulePeriod as the profiles define it ({shape}; x = {edges[0] * -1:.1f} s)",
        f"{periods}; wrong at {', '.join(wrong[:3])}{' ...' if len(wrong) > 3 else ''}",
    )


def _single(rate: _Rate, start: datetime, amps: float = 6, duration: int = DURATION) -> Steps:
    """One period of ``amps`` from ``start`` for ``duration`` s, then the station's own."""
    return [(start, rate.limit(amps)), (start + timedelta(seconds=duration), None)]


def _steps(rate: _Rate, start: datetime, periods: list[tuple[int, float | None]]) -> Steps:
    return [
        (start + timedelta(seconds=offset), None if amps is None else rate.limit(amps))
        for offset, amps in periods
    ]


class _Undo:
    """What a scenario changed beyond the OCTT general preconditions, undone at its end:
    transactions stopped, every charging profile cleared, cables unplugged."""

    def __init__(self, csms: FakeCsms, sut: StationConnection, operator: StationOperator) -> None:
        self.csms = csms
        self.sut = sut
        self.operator = operator
        self.cables: list[int] = []

    async def run(self) -> None:
        sut, csms = self.sut, self.csms
        if sut.closed:
            return
        mark = sut.mark()
        await csms.stop_transactions(sut, mark, "cleanup")
        await sut.call("ClearChargingProfile", {}, allow_error=True)
        for connector in self.cables:
            await self.operator.plug_out(connector)
        for connector in self.cables:
            if csms.statuses.get(connector, "Available") != "Available":
                await sut.wait_for(
                    "StatusNotification",
                    lambda p, c=connector: p["connectorId"] == c and p["status"] == "Available",
                    since=mark,
                    describe=f"connector {connector} Available (cleanup)",
                )


@contextlib.asynccontextmanager
async def _undoing(
    csms: FakeCsms, sut: StationConnection, operator: StationOperator
) -> AsyncIterator[_Undo]:
    """Undo the scenario's changes; after a failure, best effort (the failure is the verdict)."""
    undo = _Undo(csms, sut, operator)
    async with csms.undoing(undo.run):
        yield undo


async def _charging(
    csms: FakeCsms, sut: StationConnection, operator: StationOperator, undo: _Undo, id_tag: str
) -> int:
    """Reusable state Charging (OCTT 1.6 §2.25) on the configured connector; its
    transactionId."""
    undo.cables.append(csms.connector)
    return await csms.charging(sut, operator, csms.connector, id_tag)


def _rejected(reply: dict[str, Any]) -> bool:
    """status Rejected, or a CallError PropertyConstraintViolation (OCTT TC_058_1/060_CS)."""
    return reply.get("status") == "Rejected" or (
        reply.get("errorCode") == "PropertyConstraintViolation"
    )


# -- §2.22.1 Central Smart Charging --------------------------------------------------------------
@ocpp_case("TC_056_CS")
async def test_tc_056_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §3.13.1, §5.16.4: a TxDefaultProfile is accepted outside a transaction and
    shows in the connector's composite schedule (§5.7)."""
    sut = await csms.ready(station_operator)
    _requires_smart_charging(ocpp_config)
    rate = await _rate(csms, sut)
    async with _undoing(csms, sut, station_operator):
        start = _anchor()
        profile = _profile(rate, "TxDefaultProfile", STACK_LEVEL, [(0, 6)], DURATION, start)
        step("1-2. SetChargingProfile.req TxDefaultProfile; Accepted")
        status = await _set_profile(sut, csms.connector, profile)
        check(status == "Accepted", "SetChargingProfile.conf status Accepted", status)
        step("3-4. GetCompositeSchedule.req; the TxDefaultProfile's limit")
        await _composite(sut, rate, DURATION, _single(rate, start))


@ocpp_case("TC_057_CS")
async def test_tc_057_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §3.13.1, §5.16.3: a TxProfile for the running transaction is accepted and
    shows in the composite schedule."""
    sut = await csms.ready(station_operator)
    _requires_smart_charging(ocpp_config)
    rate = await _rate(csms, sut)
    async with _undoing(csms, sut, station_operator) as undo:
        step("Before: Charging")
        transaction_id = await _charging(csms, sut, station_operator, undo, tags.valid)
        start = _anchor()
        profile = _profile(
            rate,
            "TxProfile",
            STACK_LEVEL,
            [(0, 6)],
            DURATION,
            start,
            transaction_id=transaction_id,
        )
        step("1-2. SetChargingProfile.req TxProfile for the transaction; Accepted")
        status = await _set_profile(sut, csms.connector, profile)
        check(status == "Accepted", "SetChargingProfile.conf status Accepted", status)
        step("3-4. GetCompositeSchedule.req; the TxProfile's limit")
        await _composite(sut, rate, DURATION, _single(rate, start))


@ocpp_case("TC_058_1_CS")
async def test_tc_058_1_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §3.13.1, §5.16.3: a TxProfile needs a running transaction; without one the
    station rejects it (Rejected or CallError PropertyConstraintViolation)."""
    sut = await csms.ready(station_operator)
    _requires_smart_charging(ocpp_config)
    rate = await _rate(csms, sut)
    async with _undoing(csms, sut, station_operator):
        profile = _profile(
            rate, "TxProfile", STACK_LEVEL, [(0, 6)], DURATION, _anchor(), transaction_id=4242
        )
        step("1. SetChargingProfile.req TxProfile with a transactionId, no transaction running")
        reply = await sut.call(
            "SetChargingProfile",
            {"connectorId": csms.connector, "csChargingProfiles": profile},
            allow_error=True,
        )
        step("2. SetChargingProfile.conf Rejected, or CallError PropertyConstraintViolation")
        check(
            _rejected(reply),
            "SetChargingProfile.conf status Rejected or CallError PropertyConstraintViolation",
            reply,
        )


@ocpp_case("TC_058_2_CS")
async def test_tc_058_2_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.16.3: a TxProfile for another transactionId than the running one is
    Rejected."""
    sut = await csms.ready(station_operator)
    _requires_smart_charging(ocpp_config)
    rate = await _rate(csms, sut)
    async with _undoing(csms, sut, station_operator) as undo:
        step("Before: Charging")
        transaction_id = await _charging(csms, sut, station_operator, undo, tags.valid)
        profile = _profile(
            rate,
            "TxProfile",
            STACK_LEVEL,
            [(0, 6)],
            DURATION,
            _anchor(),
            transaction_id=transaction_id + 1,
        )
        step("1. SetChargingProfile.req TxProfile with a transactionId not the running one")
        status = await _set_profile(sut, csms.connector, profile)
        step("2. SetChargingProfile.conf Rejected")
        check(status == "Rejected", "SetChargingProfile.conf status Rejected", status)


@ocpp_case("TC_082_CS")
async def test_tc_082_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §3.13.1: a TxDefaultProfile set during a transaction applies to it (no
    TxProfile overrides it) and shows in the composite schedule."""
    sut = await csms.ready(station_operator)
    _requires_smart_charging(ocpp_config)
    rate = await _rate(csms, sut)
    async with _undoing(csms, sut, station_operator) as undo:
        step("Before: Charging")
        await _charging(csms, sut, station_operator, undo, tags.valid)
        start = _anchor()
        profile = _profile(rate, "TxDefaultProfile", STACK_LEVEL, [(0, 6)], DURATION, start)
        step("1-2. SetChargingProfile.req TxDefaultProfile; Accepted")
        status = await _set_profile(sut, csms.connector, profile)
        check(status == "Accepted", "SetChargingProfile.conf status Accepted", status)
        step("3-4. GetCompositeSchedule.req; the TxDefaultProfile's limit")
        await _composite(sut, rate, DURATION, _single(rate, start))


# -- §2.22.2 Get Composite Schedule --------------------------------------------------------------
async def _at_least(csms: FakeCsms, sut: StationConnection, key: str, minimum: int) -> None:
    value = await csms.get_configuration(sut, key)
    try:
        number = int(value or "")
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise NotApplicable(f"the station reports {key} = {value!r}; the case needs >= {minimum}")


@ocpp_case("TC_066_CS")
async def test_tc_066_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §3.13.3: the composite schedule is the TxProfile (which replaces the
    TxDefaultProfile during its transaction) capped by the ChargePointMaxProfile."""
    sut = await csms.ready(station_operator)
    # The table's TxProfile carries no transactionId (OCPP 1.6 §7.8: it is optional; without
    # it the profile applies to the running transaction), so none is sent: a station that
    # wrongly requires one must fail here.
    _requires_smart_charging(ocpp_config)
    await _at_least(csms, sut, "MaxChargingProfilesInstalled", 3)
    await _at_least(csms, sut, "ChargingScheduleMaxPeriods", 5)
    rate = await _rate(csms, sut)
    async with _undoing(csms, sut, station_operator) as undo:
        step("Before: Charging")
        await _charging(csms, sut, station_operator, undo, tags.valid)
        start = _anchor()
        await _installed(
            sut, 0, _profile(rate, "ChargePointMaxProfile", 0, [(0, 10)], 86400, start)
        )
        await _installed(
            sut,
            csms.connector,
            _profile(
                rate,
                "TxDefaultProfile",
                0,
                [(0, 6), (60, 10), (120, 8), (180, 15), (260, 8)],
                300,
                start,
                valid_for=401,
            ),
        )
        await _installed(
            sut,
            csms.connector,
            _profile(
                rate,
                "TxProfile",
                0,
                [(0, 8), (50, 11), (140, 16), (200, 6), (240, 12)],
                260,
                start,
                valid_for=401,
            ),
        )
        step("1-2. GetCompositeSchedule.req duration 400")
        expected = _steps(rate, start, [(0, 8), (50, 10), (200, 6), (240, 10)])
        await _composite(sut, rate, 400, expected)


# -- §2.22.3 Clear Charging Profile --------------------------------------------------------------
@ocpp_case("TC_067_CS")
async def test_tc_067_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.5: ClearChargingProfile by id, by purpose and stack level, and all at once
    removes exactly those profiles, as the composite schedule shows after each."""
    sut = await csms.ready(station_operator)
    _requires_smart_charging(ocpp_config)
    rate = await _rate(csms, sut)
    async with _undoing(csms, sut, station_operator):
        start = _anchor()
        first = _profile(rate, "TxDefaultProfile", 1, [(0, 6), (60, 8), (200, 10)], 400, start)
        second = _profile(
            rate, "TxDefaultProfile", 0, [(0, 7), (100, 9)], 400, start, valid_for=401
        )
        third = _profile(
            rate, "ChargePointMaxProfile", 0, [(0, 11), (200, 12)], 86400, start, valid_for=401
        )
        await _installed(sut, csms.connector, first)
        await _installed(sut, csms.connector, second)
        await _installed(sut, 0, third)
        step("1-2. ClearChargingProfile.req id of the first profile; Accepted")
        reply = await sut.call("ClearChargingProfile", {"id": first["chargingProfileId"]})
        check(reply["status"] == "Accepted", "ClearChargingProfile.conf status Accepted", reply)
        step("3-4. GetCompositeSchedule.req: the second profile under the third")
        await _composite(sut, rate, 350, _steps(rate, start, [(0, 7), (100, 9), (400, None)]))
        step("5-6. ClearChargingProfile.req purpose and stackLevel of the second; Accepted")
        reply = await sut.call(
            "ClearChargingProfile",
            {"chargingProfilePurpose": "TxDefaultProfile", "stackLevel": second["stackLevel"]},
        )
        check(reply["status"] == "Accepted", "ClearChargingProfile.conf status Accepted", reply)
        step("7-8. GetCompositeSchedule.req: the ChargePointMaxProfile alone")
        await _composite(sut, rate, 350, _steps(rate, start, [(0, 11), (200, 12), (401, None)]))
        step("9-10. ClearChargingProfile.req without fields; Accepted")
        reply = await sut.call("ClearChargingProfile", {})
        check(reply["status"] == "Accepted", "ClearChargingProfile.conf status Accepted", reply)
        step("11-12. GetCompositeSchedule.req: the station's own limit only")
        await _composite(sut, rate, 350, [(start, None)], single_limit=True)


# -- §2.22.4 Stacking Charging Profiles ----------------------------------------------------------
@ocpp_case("TC_072_CS")
async def test_tc_072_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §3.13.2: of two profiles with the same purpose, the higher stackLevel wins
    while its schedule runs and the lower one shows through after it ends."""
    sut = await csms.ready(station_operator)
    _requires_smart_charging(ocpp_config)
    rate = await _rate(csms, sut)
    async with _undoing(csms, sut, station_operator):
        start = _anchor()
        await _installed(
            sut,
            csms.connector,
            _profile(
                rate,
                "TxDefaultProfile",
                0,
                [(0, 6), (100, 8), (200, 10)],
                400,
                start,
                valid_for=401,
            ),
        )
        await _installed(
            sut,
            csms.connector,
            _profile(rate, "TxDefaultProfile", 1, [(0, 7), (100, 9)], 150, start, valid_for=401),
        )
        step("1-2. GetCompositeSchedule.req duration 350")
        expected = _steps(rate, start, [(0, 7), (100, 9), (150, 8), (200, 10), (400, None)])
        await _composite(sut, rate, 350, expected)


# -- §2.22.5 Remote Start Transaction with Charging Profile --------------------------------------
@ocpp_case("TC_059_CS")
async def test_tc_059_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.16.2: a TxProfile given in RemoteStartTransaction.req governs the
    transaction it starts, as the composite schedule shows."""
    sut = await csms.ready(station_operator)
    _requires_smart_charging(ocpp_config)
    rate = await _rate(csms, sut)
    async with _undoing(csms, sut, station_operator) as undo:
        step("1. Charging, with a TxProfile in RemoteStartTransaction.req")
        authorize_remote = await csms.get_configuration(sut, "AuthorizeRemoteTxRequests")
        mark = sut.mark()
        undo.cables.append(csms.connector)
        step(f"[Charging] plug in the cable on connector {csms.connector}")
        await station_operator.plug_in(csms.connector)
        step("[Charging] 3. StatusNotification.req Preparing")
        await sut.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == csms.connector and p["status"] == "Preparing",
            since=mark,
            describe=f"StatusNotification.req connectorId {csms.connector} Preparing",
        )
        start = _anchor()
        profile = _profile(rate, "TxProfile", STACK_LEVEL, [(0, 6)], DURATION, start)
        mark = sut.mark()
        step("[Charging] 5. RemoteStartTransaction.req with chargingProfile (TxProfile)")
        reply = await sut.call(
            "RemoteStartTransaction",
            {"connectorId": csms.connector, "idTag": tags.valid, "chargingProfile": profile},
        )
        check(reply["status"] == "Accepted", "RemoteStartTransaction.conf status Accepted", reply)
        if (authorize_remote or "").lower() == "true":
            step("[Charging] 9. Authorize.req (AuthorizeRemoteTxRequests is true)")
            authorize = await sut.wait_for("Authorize", since=mark)
            check(
                authorize.payload["idTag"] == tags.valid,
                f"Authorize.req idTag {tags.valid}",
                authorize.payload,
            )
        step("[Charging] 11/13. StartTransaction.req and StatusNotification.req Charging")
        started = await sut.wait_for("StartTransaction", since=mark)
        check(
            started.payload["connectorId"] == csms.connector
            and started.payload["idTag"] == tags.valid,
            f"StartTransaction.req connectorId {csms.connector} idTag {tags.valid}",
            started.payload,
        )
        await sut.wait_for(
            "StatusNotification",
            lambda p: p["connectorId"] == csms.connector and p["status"] == "Charging",
            since=mark,
            describe=f"StatusNotification.req connectorId {csms.connector} Charging",
        )
        step("2-3. GetCompositeSchedule.req; the TxProfile's limit")
        await _composite(sut, rate, DURATION, _single(rate, start))


@ocpp_case("TC_060_CS")
async def test_tc_060_cs(csms, station_operator, ocpp_config, tags) -> None:
    """OCPP 1.6 §5.11, §5.16.2: a RemoteStartTransaction.req whose chargingProfile is not a
    TxProfile is refused (Rejected or CallError PropertyConstraintViolation)."""
    sut = await csms.ready(station_operator)
    _requires_smart_charging(ocpp_config)
    rate = await _rate(csms, sut)
    async with _undoing(csms, sut, station_operator):
        profile = _profile(rate, "TxDefaultProfile", STACK_LEVEL, [(0, 6)], DURATION, _anchor())
        step("1. RemoteStartTransaction.req with a TxDefaultProfile chargingProfile")
        reply = await sut.call(
            "RemoteStartTransaction",
            {"connectorId": csms.connector, "idTag": tags.valid, "chargingProfile": profile},
            allow_error=True,
        )
        step("2. RemoteStartTransaction.conf Rejected, or CallError PropertyConstraintViolation")
        check(
            _rejected(reply),
            "RemoteStartTransaction.conf status Rejected or CallError PropertyConstraintViolation",
            reply,
        )
