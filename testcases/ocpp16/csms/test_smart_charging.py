"""OCTT 1.6, Central System under test, Smart Charging profile (OCTT 1.6 test case document,
§3.19: Central Smart Charging, Get Composite Schedule, Clear Charging Profile, Remote Start
Transaction with Charging Profile).

pytest-ocpp plays the Charge Point. SetChargingProfile.req, GetCompositeSchedule.req,
ClearChargingProfile.req and RemoteStartTransaction.req (OCPP 1.6 §5.16, §5.7, §5.5, §5.11)
come from the CSMS through ``csms_operator``: the operator is asked for the profile or request
the scenario needs, built from OCTT's configured values below, and the request that arrives is
judged only on what the table's tool validations say. The CSMS may pick its own
chargingProfileId (later steps use the one it sent); validity dates and schedule starts are
only required to be present where the table says "<Not omitted>".

A request from the CSMS is answered before its validation is judged, so a failing check never
leaves the CSMS waiting for a reply. Cases that leave a transaction running end with an "After"
step that stops it (OCTT 1.6 §1.3).
"""

from __future__ import annotations

import itertools
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.config import IdTags
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import CsmsOperator
from pytest_ocpp.station import Station16, check

STACK_LEVEL = 0
"""OCTT's <Configured stackLevel> (TC_067_CSMS uses it, +1 and +2)."""

CHARGING_RATE_UNIT = "A"
"""OCTT's <Configured chargingRateUnit> (OCPP 1.6 §7.12 ChargingRateUnitType)."""

LIMIT = 6.0
"""The limit TC_056_CSMS asks for: 6 A ("6.0 or 6000.0": 6000 W when the unit is W)."""

DURATION = 300
"""OCTT's <Configured duration> / <Configured Charging Schedule Duration>, in seconds."""

START_PERIOD = 0
"""OCTT's <Configured startPeriod>."""

NUMBER_PHASES = 3
"""OCTT's <Configured numberPhases>: 3, so the CSMS may also omit it (OCPP 1.6 §7.14: "If
the number of phases is needed, numberPhases=3 will be assumed unless another number is
given")."""

VALID_FOR = timedelta(days=1)
"""How long the TxDefaultProfiles asked for stay valid (validTo - validFrom)."""

_profile_ids = itertools.count(int(time.time()) % 100_000 * 1000 + 1)
"""chargingProfileIds to ask for, different in every run."""


# -- helpers ------------------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(timezone.utc)


def _date_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _schedule(*, absolute: bool) -> dict[str, Any]:
    """A one-period ChargingSchedule of the configured unit, limit, phases and duration
    (OCPP 1.6 §7.13, §7.14); an Absolute profile needs its startSchedule (§7.9)."""
    schedule: dict[str, Any] = {
        "duration": DURATION,
        "chargingRateUnit": CHARGING_RATE_UNIT,
        "chargingSchedulePeriod": [
            {"startPeriod": START_PERIOD, "limit": LIMIT, "numberPhases": NUMBER_PHASES}
        ],
    }
    if absolute:
        schedule["startSchedule"] = _date_time(_now())
    return schedule


def _tx_default_profile(stack_level: int) -> dict[str, Any]:
    """The TxDefaultProfile of TC_056/TC_067: Absolute, with validFrom, validTo and
    startSchedule (OCPP 1.6 §3.13.1, §7.8 ChargingProfile)."""
    now = _now()
    return {
        "chargingProfileId": next(_profile_ids),
        "stackLevel": stack_level,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "validFrom": _date_time(now),
        "validTo": _date_time(now + VALID_FOR),
        "chargingSchedule": _schedule(absolute=True),
    }


async def _set_charging_profile(
    station: Station16, csms_operator: CsmsOperator, payload: dict[str, Any], label: str = ""
) -> IncomingCall:
    """Steps 1-2: the CSMS sends SetChargingProfile.req, the Charge Point accepts it (OCPP 1.6
    §5.16 SetChargingProfile)."""
    step(f"1. The Central System sends a SetChargingProfile.req{label}")
    request = await csms_operator.request(station, "SetChargingProfile", payload)
    step(f"2. The Charge Point responds with a SetChargingProfile.conf (Accepted){label}")
    await request.reply({"status": "Accepted"})
    return request


def _profile(payload: dict[str, Any], key: str = "csChargingProfiles") -> dict[str, Any]:
    """The charging profile of a request, or {} when it has none (so checks fail, not crash)."""
    profile = payload.get(key)
    return profile if isinstance(profile, dict) else {}


def _check_tx_default_profile(
    request: IncomingCall, connector_id: int, stack_level: int, where: str
) -> dict[str, Any]:
    """connectorId, purpose TxDefaultProfile and stackLevel (TC_056/TC_067 step 1), and no
    transactionId: OCPP 1.6 §7.8 ChargingProfile allows one "only if ChargingProfilePurpose is
    set to TxProfile" (the spec's rule, not a line of the tables). Returns the profile."""
    payload = request.payload
    profile = _profile(payload)
    check(
        payload["connectorId"] == connector_id,
        f"{where}: SetChargingProfile.req connectorId {connector_id} (OCPP 1.6 §5.16)",
        payload,
    )
    check(
        profile.get("chargingProfilePurpose") == "TxDefaultProfile",
        f"{where}: SetChargingProfile.req csChargingProfiles.chargingProfilePurpose "
        "TxDefaultProfile (OCPP 1.6 §3.13.1 Charging profile purposes)",
        payload,
    )
    check(
        profile.get("stackLevel") == stack_level,
        f"{where}: SetChargingProfile.req csChargingProfiles.stackLevel {stack_level} "
        "(OCPP 1.6 §3.13.2 Stacking charging profiles)",
        payload,
    )
    check(
        "transactionId" not in profile,
        f"{where}: SetChargingProfile.req csChargingProfiles without transactionId, which OCPP "
        "1.6 §7.8 ChargingProfile allows only for purpose TxProfile",
        payload,
    )
    return profile


# -- §3.19.1 Central Smart Charging --------------------------------------------------------------
@ocpp_case("TC_056_CSMS")
async def test_tc_056_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS sets a default schedule for new transactions: a TxDefaultProfile for
    <Configured ConnectorId> (OCPP 1.6 §3.13.1 TxDefaultProfile, §5.16.4 "Setting a charging
    profile outside of a transaction", §6.43 SetChargingProfile.req).

    Every field the table names is judged; the limit may be 6.0 or 6000.0 as the table says,
    and numberPhases may be omitted because <Configured numberPhases> is 3."""
    connector = station.spec.connector_id
    payload = {"connectorId": connector, "csChargingProfiles": _tx_default_profile(STACK_LEVEL)}
    request = await _set_charging_profile(station, csms_operator, payload)
    sent = request.payload
    profile = _check_tx_default_profile(request, connector, STACK_LEVEL, "Step 1")
    check(
        profile.get("chargingProfileKind") == "Absolute",
        "Step 1: SetChargingProfile.req csChargingProfiles.chargingProfileKind Absolute "
        "(OCPP 1.6 §7.9 ChargingProfileKindType)",
        sent,
    )
    for field in ("validFrom", "validTo"):
        check(
            field in profile,
            f"Step 1: SetChargingProfile.req csChargingProfiles.{field} not omitted "
            "(OCPP 1.6 §7.8 ChargingProfile)",
            sent,
        )
    schedule = profile.get("chargingSchedule") or {}
    check(
        "startSchedule" in schedule,
        "Step 1: SetChargingProfile.req csChargingProfiles.chargingSchedule.startSchedule not "
        "omitted (OCPP 1.6 §7.13 ChargingSchedule)",
        sent,
    )
    check(
        schedule.get("chargingRateUnit") == CHARGING_RATE_UNIT,
        f"Step 1: SetChargingProfile.req chargingSchedule.chargingRateUnit {CHARGING_RATE_UNIT} "
        "(OCPP 1.6 §7.13)",
        sent,
    )
    check(
        schedule.get("duration") == DURATION,
        f"Step 1: SetChargingProfile.req chargingSchedule.duration {DURATION} (OCPP 1.6 §7.13)",
        sent,
    )
    periods = schedule.get("chargingSchedulePeriod") or [{}]
    for period in periods:
        check(
            period.get("startPeriod") == START_PERIOD,
            f"Step 1: SetChargingProfile.req chargingSchedulePeriod.startPeriod {START_PERIOD} "
            "(OCPP 1.6 §7.14 ChargingSchedulePeriod)",
            sent,
        )
        check(
            period.get("limit") in (6.0, 6000.0),
            "Step 1: SetChargingProfile.req chargingSchedulePeriod.limit 6.0 or 6000.0 "
            "(OCPP 1.6 §7.14)",
            sent,
        )
        check(
            period.get("numberPhases", NUMBER_PHASES) == NUMBER_PHASES,
            f"Step 1: SetChargingProfile.req chargingSchedulePeriod.numberPhases "
            f"{NUMBER_PHASES} or omitted (OCPP 1.6 §7.14)",
            sent,
        )


@ocpp_case("TC_057_CSMS")
async def test_tc_057_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS sets a schedule for the running transaction: a TxProfile for its
    transactionId (OCPP 1.6 §3.13.1 TxProfile, §5.16.3 "Setting a charging profile during a
    transaction": "the chargingProfilePurpose of the ChargingProfile MUST be set to
    TxProfile")."""
    connector = station.spec.connector_id
    step("Charging: reusable state Charging")
    transaction_id = await station.charging(connector)
    payload = {
        "connectorId": connector,
        "csChargingProfiles": {
            "chargingProfileId": next(_profile_ids),
            "transactionId": transaction_id,
            "stackLevel": STACK_LEVEL,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": _schedule(absolute=True),
        },
    }
    request = await _set_charging_profile(station, csms_operator, payload)
    sent = request.payload
    profile = _profile(sent)
    check(
        sent["connectorId"] == connector,
        f"Step 1: SetChargingProfile.req connectorId {connector} (the charging one, OCPP 1.6 "
        "§5.16.3)",
        sent,
    )
    check(
        profile.get("chargingProfilePurpose") == "TxProfile",
        "Step 1: SetChargingProfile.req csChargingProfiles.chargingProfilePurpose TxProfile "
        "(OCPP 1.6 §5.16.3)",
        sent,
    )
    check(
        profile.get("transactionId") == transaction_id,
        f"Step 1: SetChargingProfile.req csChargingProfiles.transactionId {transaction_id}, "
        "the running transaction (OCPP 1.6 §7.8 ChargingProfile)",
        sent,
    )
    step("After: stop the transaction (general post-conditions)")
    await station.leave_idle()


# -- §3.19.2 Get Composite Schedule --------------------------------------------------------------
@ocpp_case("TC_066_CSMS")
async def test_tc_066_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS retrieves a composite schedule for <Configured ConnectorId> over <Configured
    Charging Schedule Duration> in <Configured Charging Rate Unit> (OCPP 1.6 §5.7 Get
    Composite Schedule, §6.21 GetCompositeSchedule.req); the station answers with a
    hard-coded schedule (§6.22)."""
    connector = station.spec.connector_id
    step("1. The Central System sends a GetCompositeSchedule.req")
    request = await csms_operator.request(
        station,
        "GetCompositeSchedule",
        {"connectorId": connector, "duration": DURATION, "chargingRateUnit": CHARGING_RATE_UNIT},
    )
    step("2. The Charge Point responds with a GetCompositeSchedule.conf (hard-coded schedule)")
    start = _date_time(_now())
    await request.reply(
        {
            "status": "Accepted",
            "connectorId": connector,
            "scheduleStart": start,
            "chargingSchedule": {
                "duration": DURATION,
                "startSchedule": start,
                "chargingRateUnit": CHARGING_RATE_UNIT,
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": LIMIT}],
            },
        }
    )
    sent = request.payload
    check(
        sent["connectorId"] == connector,
        f"Step 1: GetCompositeSchedule.req connectorId {connector} (OCPP 1.6 §5.7)",
        sent,
    )
    check(
        sent["duration"] == DURATION,
        f"Step 1: GetCompositeSchedule.req duration {DURATION} (OCPP 1.6 §5.7)",
        sent,
    )
    check(
        sent.get("chargingRateUnit") == CHARGING_RATE_UNIT,
        f"Step 1: GetCompositeSchedule.req chargingRateUnit {CHARGING_RATE_UNIT} (OCPP 1.6 §6.21)",
        sent,
    )


# -- §3.19.3 Clear Charging Profile --------------------------------------------------------------
@ocpp_case("TC_067_CSMS")
async def test_tc_067_csms(station: Station16, csms_operator: CsmsOperator) -> None:
    """The CSMS sets three TxDefaultProfiles on stack levels <Configured Stack Level> + 0, 1, 2
    and clears them by id, by criteria and all at once (OCPP 1.6 §5.5 Clear Charging Profile,
    §6.13 ClearChargingProfile.req: the id, or connectorId / chargingProfilePurpose /
    stackLevel as criteria, or nothing to clear every profile)."""
    connector = station.spec.connector_id
    profiles: list[dict[str, Any]] = []
    for number in range(3):
        label = f" (charging profile {number + 1})"
        payload = {
            "connectorId": connector,
            "csChargingProfiles": _tx_default_profile(STACK_LEVEL + number),
        }
        request = await _set_charging_profile(station, csms_operator, payload, label)
        profiles.append(
            _check_tx_default_profile(request, connector, STACK_LEVEL + number, f"Step 1{label}")
        )
    profile_id = profiles[0].get("chargingProfileId")

    step("3. The Central System sends a ClearChargingProfile.req for charging profile 1's id")
    by_id = await csms_operator.request(station, "ClearChargingProfile", {"id": profile_id})
    step("4. The Charge Point responds with a ClearChargingProfile.conf (Accepted)")
    await by_id.reply({"status": "Accepted"})
    check(
        by_id.payload.get("id") == profile_id,
        f"Step 3: ClearChargingProfile.req id {profile_id}, the chargingProfileId of charging "
        "profile 1 (OCPP 1.6 §6.13)",
        by_id.payload,
    )
    extra = sorted({"connectorId", "chargingProfilePurpose", "stackLevel"} & set(by_id.payload))
    check(
        not extra,
        f"Step 3: ClearChargingProfile.req by id without connectorId, chargingProfilePurpose "
        f"and stackLevel (present: {', '.join(extra)}; OCPP 1.6 §6.13)",
        by_id.payload,
    )

    criteria = {
        "connectorId": connector,
        "chargingProfilePurpose": "TxDefaultProfile",
        "stackLevel": STACK_LEVEL + 1,
    }
    step("5. The Central System sends a ClearChargingProfile.req by criteria")
    by_criteria = await csms_operator.request(station, "ClearChargingProfile", criteria)
    step("6. The Charge Point responds with a ClearChargingProfile.conf (Accepted)")
    await by_criteria.reply({"status": "Accepted"})
    check(
        "id" not in by_criteria.payload,
        "Step 5: ClearChargingProfile.req by criteria without id (OCPP 1.6 §6.13)",
        by_criteria.payload,
    )
    for field, value in criteria.items():
        check(
            by_criteria.payload.get(field) == value,
            f"Step 5: ClearChargingProfile.req {field} {value} (OCPP 1.6 §6.13)",
            by_criteria.payload,
        )

    step("7. The Central System sends a ClearChargingProfile.req for all remaining profiles")
    clear_all = await csms_operator.request(station, "ClearChargingProfile", {})
    step("8. The Charge Point responds with a ClearChargingProfile.conf (Accepted)")
    await clear_all.reply({"status": "Accepted"})
    check(
        not clear_all.payload,
        "Step 7: ClearChargingProfile.req with every field omitted (clears all profiles, "
        "OCPP 1.6 §6.13)",
        clear_all.payload,
    )


# -- §3.19.4 Remote Start Transaction with Charging Profile --------------------------------------
@ocpp_case("TC_059_CSMS")
async def test_tc_059_csms(station: Station16, csms_operator: CsmsOperator, tags: IdTags) -> None:
    """The CSMS starts a transaction remotely with a charging profile (OCPP 1.6 §5.16.2: "If
    the Central System includes a ChargingProfile, the ChargingProfilePurpose MUST be set to
    TxProfile and the transactionId SHALL NOT be set"; §5.11 RemoteStartTransaction).

    The table also wants chargingProfileKind Relative and a first period starting at 0, and
    a connectorId (optional in §6.33, required here)."""
    connector = station.spec.connector_id
    payload = {
        "connectorId": connector,
        "idTag": tags.valid,
        "chargingProfile": {
            "chargingProfileId": next(_profile_ids),
            "stackLevel": STACK_LEVEL,
            "chargingProfilePurpose": "TxProfile",
            "chargingProfileKind": "Relative",
            "chargingSchedule": _schedule(absolute=False),
        },
    }
    step("1. The Central System sends a RemoteStartTransaction.req with a chargingProfile")
    request = await csms_operator.request(station, "RemoteStartTransaction", payload)
    step("2. The Charge Point responds with a RemoteStartTransaction.conf (Accepted)")
    await request.reply({"status": "Accepted"})
    sent = request.payload
    profile = _profile(sent, "chargingProfile")
    periods = (profile.get("chargingSchedule") or {}).get("chargingSchedulePeriod") or [{}]
    check(
        sent["idTag"] == tags.valid,
        f"Step 1: RemoteStartTransaction.req idTag {tags.valid} (OCPP 1.6 §5.11)",
        sent,
    )
    check(
        sent.get("connectorId") == connector,
        f"Step 1: RemoteStartTransaction.req connectorId {connector} (OCPP 1.6 §5.11)",
        sent,
    )
    check(
        profile.get("chargingProfilePurpose") == "TxProfile",
        "Step 1: RemoteStartTransaction.req chargingProfile.chargingProfilePurpose TxProfile "
        "(OCPP 1.6 §5.16.2)",
        sent,
    )
    check(
        "transactionId" not in profile,
        "Step 1: RemoteStartTransaction.req chargingProfile.transactionId omitted (OCPP 1.6 "
        "§5.16.2: it SHALL NOT be set)",
        sent,
    )
    check(
        profile.get("chargingProfileKind") == "Relative",
        "Step 1: RemoteStartTransaction.req chargingProfile.chargingProfileKind Relative "
        "(OCPP 1.6 §7.9)",
        sent,
    )
    check(
        periods[0].get("startPeriod") == 0,
        "Step 1: RemoteStartTransaction.req chargingProfile.chargingSchedule."
        "chargingSchedulePeriod.startPeriod 0 (OCPP 1.6 §7.14)",
        sent,
    )
    id_tag = sent["idTag"]
    step("3. The Charge Point sends an Authorize.req")
    info = await station.authorize(id_tag)
    check(info["status"] == "Accepted", "Step 4: Authorize.conf idTagInfo.status Accepted", info)
    step("5. [The charging cable is plugged in] StatusNotification.req (Preparing)")
    await station.status(connector, "Preparing")
    step("7. The Charge Point sends a StartTransaction.req")
    conf = await station.start_transaction(connector, id_tag)
    check(
        conf["idTagInfo"]["status"] == "Accepted",
        "Step 8: StartTransaction.conf idTagInfo.status Accepted",
        conf,
    )
    step("9. The Charge Point sends a StatusNotification.req (Charging)")
    await station.status(connector, "Charging")
    step("After: stop the transaction (general post-conditions)")
    await station.leave_idle()
