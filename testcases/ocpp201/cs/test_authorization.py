"""OCPP 2.0.1, Charging Station under test, C. Authorization, part 1 (2.0.1 Edition 3 Part 6
§2.4, TC_C_02 to TC_C_36, and the 2025 errata).

pytest-ocpp plays the CSMS (the OCTT column of each scenario table). Each case first
re-establishes Part 6 §2.1's general preconditions (``csms.ready``); "Execute Reusable State X"
is one call of the fake CSMS's method for X (Part 6 §2.18, :mod:`pytest_ocpp.csms.states201`).

Common departures from the tables, all because the table names an AuthorizationStatusEnumType
value 2.0.1 does not have or contradicts itself:

- "Locked" (TC_C_06) and "Restricted" (TC_C_10, TC_C_29) are answered ``Blocked``: the
  purposes speak of a blocked idToken and neither value exists in AuthorizationStatusEnumType.
- Where a tool validation names the valid idToken for a scenario that presents another one
  (TC_C_11, TC_C_12), the presented idToken is checked: a copy error of the table.
- The invalid idToken (``[tags] invalid``) is answered ``Invalid`` where the table says so (the
  fake CSMS's default answer for an id it does not know is ``Unknown``).
- A ParkingBayOccupied/ParkingBayUnoccupied state ("if applicable") is skipped: it applies
  only to stations whose TxStartPoint contains ParkingBayOccupancy, which the fake CSMS's
  states do not model yet.

- Memory State IdTokenCached (Table 443) for the valid idToken ends, after its Main A
  (Authorized, EVConnectedPreSession), by disconnecting the EV again so the case's own states
  start from an idle EVSE; for a refused idToken (Main B) the optional TransactionEventRequest
  of a station that used an older cache entry is awaited to its end.
- Memory State IdTokenLocalAuthList (Table 444) sends the entry with the idTokenInfo.status of
  the case (an entry without one adds nothing), versionNumber 1; afterwards the list is emptied
  (SendLocalList Full without entries) to leave the station as found.
- EnergyTransferStarted after the case's own Authorized is the state told where the
  authorization began (``authorized_since``): a Charging event the station sent as soon as it
  was authorized counts.

"Configuration State" entries marked "(If implemented)" are set only where the station has the
variable and it differs; the others make the case not applicable when refused. TC_C_15 to
TC_C_18 and TC_C_34 are in :mod:`.test_authorization_cache_offline`.
"""

from __future__ import annotations

from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import check

from ._authorization_support import (
    CACHE,
    CACHE_ON,
    LIST_ON,
    LOCAL,
    REMOTE_ON,
    authorize_request,
    authorized_as,
    check_authorized_event,
    clear_local_list,
    configure_if_implemented,
    not_sent,
    present,
    refused,
    refused_after_authorize,
    token_matches,
)


# -- C01/C04/C06 local start, refused -----------------------------------------------------
@ocpp_case("TC_C_02_CS", version="2.0.1", requires=f"{LOCAL} and not AQ-2")
async def test_tc_c_02_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """An invalid idToken presented with the EV connected: the station asks the CSMS
    (AuthorizeRequest with it), is answered Invalid and sends no TransactionEventRequest acting
    on it (C01.FR.02, C06.FR.02). A TransactionEventRequest that neither carries the idToken,
    nor says Authorized, nor reports Charging is tolerated with a warning (the EV's own
    transaction may report meter values)."""
    sut = await csms.ready(station_operator)
    await configure_if_implemented(csms, sut, REMOTE_ON)
    await csms.ev_connected_pre_session(sut, station_operator)
    await refused_after_authorize(
        csms, sut, station_operator, csms.config.tags.invalid, "Invalid", rule="C01.FR.02"
    )


@ocpp_case("TC_C_05_CS", version="2.0.1", requires=f"{LOCAL} and AQ-2")
async def test_tc_c_05_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A station with a cable lock (the EV connects only after authorization): an invalid
    idToken is asked about, answered Invalid, and starts nothing (C01.FR.02, C06.FR.02)."""
    sut = await csms.ready(station_operator)
    await configure_if_implemented(csms, sut, REMOTE_ON)
    await refused_after_authorize(
        csms, sut, station_operator, csms.config.tags.invalid, "Invalid", rule="C01.FR.02"
    )


@ocpp_case("TC_C_04_CS", version="2.0.1", requires=LOCAL)
async def test_tc_c_04_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A different idToken presented during a transaction does not stop it (C01.FR.03): no
    TransactionEventRequest with that idToken, none Ended. The different idToken is
    ``[tags] valid_2`` (Accepted, no group of the starting one). The AuthorizeRequest of step
    1 is not required (the table has no tool validation for it): a station may refuse a busy
    EVSE without asking; when sent it is answered Accepted."""
    sut = await csms.ready(station_operator)
    await configure_if_implemented(csms, sut, REMOTE_ON)
    await csms.energy_transfer_started(sut, station_operator)
    other = csms.id_token(csms.config.tags.valid_2)
    tx_id = csms.transaction_id
    mark = sut.mark()
    await present(csms, station_operator, other, "a different idToken")
    await authorize_request(csms, sut, other, since=mark, rule="step 1", required=False)

    def forbidden(p: dict[str, Any]) -> bool:
        return token_matches(p.get("idToken"), other) or (
            p["eventType"] == "Ended" and p["transactionInfo"]["transactionId"] == tx_id
        )

    await not_sent(
        csms,
        sut,
        "TransactionEvent",
        since=mark,
        forbidden=forbidden,
        rule="C01.FR.03: a different idToken neither joins nor ends the transaction",
    )


@ocpp_case("TC_C_06_CS", version="2.0.1", requires=f"not AQ-2 and {LOCAL}")
async def test_tc_c_06_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A blocked idToken with the EV connected: asked about, answered Blocked (the table's
    "Locked" is not a 2.0.1 status), and refused (C01.FR.02)."""
    sut = await csms.ready(station_operator)
    await configure_if_implemented(csms, sut, REMOTE_ON)
    await csms.ev_connected_pre_session(sut, station_operator)
    await refused_after_authorize(
        csms, sut, station_operator, csms.config.tags.blocked, "Blocked", rule="C01.FR.02"
    )


@ocpp_case("TC_C_07_CS", version="2.0.1", requires=f"not AQ-2 and {LOCAL}")
async def test_tc_c_07_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """An expired idToken with the EV connected: asked about, answered Expired, and refused
    (C01.FR.02)."""
    sut = await csms.ready(station_operator)
    await configure_if_implemented(csms, sut, REMOTE_ON)
    await csms.ev_connected_pre_session(sut, station_operator)
    await refused_after_authorize(
        csms, sut, station_operator, csms.config.tags.expired, "Expired", rule="C01.FR.02"
    )


# -- C12 authorization through the cache --------------------------------------------------
@ocpp_case("TC_C_08_CS", version="2.0.1", requires=CACHE)
async def test_tc_c_08_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A cached Accepted idToken starts charging (C12.FR.02, C12.FR.04): reusable states
    Authorized (the AuthorizeRequest optional, as the state says for a cached idToken) and
    EnergyTransferStarted, whose TransactionEventRequest carries the idToken."""
    sut = await csms.ready(station_operator)
    await configure_if_implemented(csms, sut, CACHE_ON)
    sut = await csms.id_token_cached(sut, station_operator, csms.config.tags.valid)
    step("State is EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    step("1. Execute Reusable State Authorized")
    since = sut.mark()
    await csms.authorized(sut, station_operator)
    step("2. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator, authorized_since=since)


async def _cached_not_accepted(
    csms: FakeCsms201,
    station_operator: StationOperator,
    value: str,
    answer: str,
    *,
    connected: bool = True,
) -> None:
    """TC_C_09/10/11: an idToken cached with status ``answer`` is asked about again
    (C10.FR.03, C12.FR.05), answered ``answer``, and refused."""
    sut = await csms.ready(station_operator)
    await configure_if_implemented(
        csms, sut, {**CACHE_ON, "AuthCacheCtrlr.DisablePostAuthorize": "false"}
    )
    csms.behaviour.id_tag_status[value] = answer
    sut = await csms.id_token_cached(sut, station_operator, value)
    if connected:
        step("State is EVConnectedPreSession")
        await csms.ev_connected_pre_session(sut, station_operator)
    await refused_after_authorize(
        csms, sut, station_operator, value, answer, rule="C10.FR.03, C12.FR.05"
    )


@ocpp_case("TC_C_09_CS", version="2.0.1", requires=CACHE)
async def test_tc_c_09_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """An idToken cached as Invalid is asked about again (C10.FR.03, C12.FR.05): an
    AuthorizeRequest with it, answered Invalid; nothing starts."""
    await _cached_not_accepted(csms, station_operator, csms.config.tags.invalid, "Invalid")


@ocpp_case("TC_C_10_CS", version="2.0.1", requires=CACHE)
async def test_tc_c_10_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """An idToken cached as Blocked is asked about again (C10.FR.03, C12.FR.05), answered
    Blocked (the table's "Restricted" is not a 2.0.1 status). The table lists no memory or
    reusable state; "already configured in the Authorization Cache" needs IdTokenCached, and
    no EV is connected (no EVConnectedPreSession in this table)."""
    await _cached_not_accepted(
        csms, station_operator, csms.config.tags.blocked, "Blocked", connected=False
    )


@ocpp_case("TC_C_11_CS", version="2.0.1", requires=CACHE)
async def test_tc_c_11_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """An idToken cached as Expired is asked about again (C10.FR.03, C12.FR.05): the
    AuthorizeRequest carries the expired idToken (the table's tool validation names the valid
    one and step 2 a TransactionEventResponse: copy errors), answered Expired."""
    await _cached_not_accepted(csms, station_operator, csms.config.tags.expired, "Expired")


@ocpp_case("TC_C_12_CS", version="2.0.1", requires=CACHE)
async def test_tc_c_12_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """An idToken cached as Invalid but now Accepted by the CSMS (C10.FR.03, C12.FR.05): the
    station asks (AuthorizeRequest with the presented idToken; the table's validation names
    the valid one, a copy error), is answered Accepted and starts charging (the optional
    TransactionEventRequest of step 3 is judged when TxStartPoint contains Authorized)."""
    sut = await csms.ready(station_operator)
    await configure_if_implemented(
        csms, sut, {**CACHE_ON, "AuthCacheCtrlr.DisablePostAuthorize": "false"}
    )
    value = csms.config.tags.invalid
    csms.behaviour.id_tag_status[value] = "Invalid"
    sut = await csms.id_token_cached(sut, station_operator, value)
    step("State is EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    csms.behaviour.id_tag_status[value] = "Accepted"
    step("1. AuthorizeRequest, 2. answered Accepted, 3. TransactionEventRequest (optional)")
    since = sut.mark()
    await authorized_as(csms, sut, station_operator, value, rule="step 1 (C12.FR.05)")
    step("5. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator, authorized_since=since)


@ocpp_case("TC_C_13_CS", version="2.0.1", requires=CACHE)
async def test_tc_c_13_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A cached Accepted idToken before the EV is connected (C12.FR.02, C12.FR.04): when
    TxStartPoint contains Authorized, a TransactionEventRequest Started, triggerReason
    Authorized, with the idToken; then EVConnectedPreSession and EnergyTransferStarted."""
    sut = await csms.ready(station_operator)
    await configure_if_implemented(csms, sut, CACHE_ON)
    sut = await csms.id_token_cached(sut, station_operator, csms.config.tags.valid)
    step("Manual action: present the cached valid idToken (Reusable State Authorized)")
    since = sut.mark()
    event = await csms.authorized(sut, station_operator)
    check_authorized_event(event, csms.id_token(), started_before=False, rule="step 1 (C12.FR.02)")
    step("3. Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    step("4. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator, authorized_since=since)


@ocpp_case("TC_C_14_CS", version="2.0.1", requires="C-49 and (C-07 or C-08)")
async def test_tc_c_14_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A cached Master Pass idToken stops the running transaction (C12.FR.09, C16.FR.02/03): a
    TransactionEventRequest triggerReason StopAuthorized with the Master Pass idToken, and
    stoppedReason MasterPass when Ended; then, while the transaction runs,
    EVConnectedPostSession and EVDisconnected. The Master Pass idToken is ``[tags]
    masterpass`` of group ``masterpass_group``."""
    tags = csms.config.tags
    sut = await csms.ready(station_operator)
    await configure_if_implemented(csms, sut, CACHE_ON)
    await csms.configure(sut, {"AuthCtrlr.MasterPassGroupId": tags.masterpass_group})
    sut = await csms.id_token_cached(sut, station_operator, tags.masterpass)
    await csms.energy_transfer_started(sut, station_operator)
    master = csms.id_token(tags.masterpass)
    tx_id = csms.transaction_id
    mark = sut.mark()
    await present(csms, station_operator, master, "the Master Pass idToken")
    step("1. The Charging Station sends a TransactionEventRequest (StopAuthorized)")
    event = await csms.transaction_event(
        sut,
        since=mark,
        label="triggerReason StopAuthorized",
        predicate=lambda p: (
            (
                p["transactionInfo"]["transactionId"] == tx_id
                and p["triggerReason"] in ("StopAuthorized", "Deauthorized")
            )
            or p["eventType"] == "Ended"
        ),
    )
    payload = event.payload
    check(
        payload["triggerReason"] == "StopAuthorized",
        "step 2: triggerReason StopAuthorized",
        payload,
    )
    check(
        token_matches(payload.get("idToken"), master),
        f"step 2: idToken.idToken {master['idToken']}, idToken.type {master['type']}",
        payload,
    )
    if payload["eventType"] == "Ended":
        check(
            payload["transactionInfo"].get("stoppedReason") == "MasterPass",
            "step 2: transactionInfo.stoppedReason MasterPass (C16.FR.02)",
            payload,
        )
    if tx_id is not None and tx_id in csms.open_transactions:
        csms.state = "StopAuthorized"
        step("3. Execute Reusable State EVConnectedPostSession")
        await csms.ev_connected_post_session(sut, station_operator)
        step("4. Execute Reusable State EVDisconnected")
        await csms.ev_disconnected(sut, station_operator)


@ocpp_case("TC_C_57_CS", version="2.0.1", requires=f"C-59 and {CACHE}")
async def test_tc_c_57_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """With AuthCacheCtrlr.DisablePostAuthorize true, an idToken cached as Invalid is refused
    without asking: no AuthorizeRequest, nothing started (C10.FR.03's exception)."""
    sut = await csms.ready(station_operator)
    await configure_if_implemented(csms, sut, CACHE_ON)
    await csms.configure(sut, {"AuthCacheCtrlr.DisablePostAuthorize": "true"})
    value = csms.config.tags.invalid
    csms.behaviour.id_tag_status[value] = "Invalid"
    sut = await csms.id_token_cached(sut, station_operator, value)
    step("State is EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    token = csms.id_token(value)
    mark = sut.mark()
    await present(csms, station_operator, token, "the cached invalid idToken")
    step("1. The Charging Station does NOT send an AuthorizeRequest")
    await not_sent(
        csms,
        sut,
        "Authorize",
        since=mark,
        forbidden=lambda p: token_matches(p.get("idToken"), token),
        rule="step 1: AuthCacheCtrlr.DisablePostAuthorize true",
    )
    await refused(csms, sut, token, since=mark, rule="step 1: authorization is refused")


# -- C14 online authorization through the Local Authorization List ------------------------
@ocpp_case("TC_C_27_CS", version="2.0.1", requires=LOCAL)
async def test_tc_c_27_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """A valid idToken in the Local Authorization List (C14.FR.02): when TxStartPoint contains
    Authorized, a TransactionEventRequest triggerReason Authorized with it; then
    EVConnectedPreSession and EnergyTransferStarted. The list is emptied afterwards."""
    sut = await csms.ready(station_operator)
    await configure_if_implemented(csms, sut, LIST_ON)
    try:
        await csms.id_token_local_auth_list(sut, csms.config.tags.valid, "Accepted")
        step("Manual action: present the listed valid idToken (Reusable State Authorized)")
        since = sut.mark()
        event = await csms.authorized(sut, station_operator)
        check_authorized_event(
            event, csms.id_token(), started_before=False, rule="step 1 (C14.FR.02)"
        )
        step("3. Execute Reusable State EVConnectedPreSession")
        await csms.ev_connected_pre_session(sut, station_operator)
        step("4. Execute Reusable State EnergyTransferStarted")
        await csms.energy_transfer_started(sut, station_operator, authorized_since=since)
    finally:
        await clear_local_list(csms.connection or sut)


async def _listed_not_accepted(
    csms: FakeCsms201,
    station_operator: StationOperator,
    value: str,
    status: str,
    *,
    connected: bool,
) -> None:
    """TC_C_28/29/30: an idToken listed with ``status`` is asked about (C14.FR.03), answered
    ``status``, and refused."""
    sut = await csms.ready(station_operator)
    await configure_if_implemented(
        csms, sut, {**LIST_ON, "LocalAuthListCtrlr.DisablePostAuthorize": "false"}
    )
    try:
        await csms.id_token_local_auth_list(sut, value, status)
        if connected:
            step("State is EVConnectedPreSession")
            await csms.ev_connected_pre_session(sut, station_operator)
        await refused_after_authorize(csms, sut, station_operator, value, status, rule="C14.FR.03")
    finally:
        await clear_local_list(csms.connection or sut)


@ocpp_case("TC_C_28_CS", version="2.0.1", requires=LOCAL)
async def test_tc_c_28_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """An idToken listed as Invalid is asked about (C14.FR.03), answered Invalid, refused."""
    await _listed_not_accepted(
        csms, station_operator, csms.config.tags.invalid, "Invalid", connected=False
    )


@ocpp_case("TC_C_29_CS", version="2.0.1", requires=LOCAL)
async def test_tc_c_29_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """An idToken listed as Blocked is asked about (C14.FR.03), answered Blocked (the table's
    "Restricted" is not a 2.0.1 status), refused."""
    await _listed_not_accepted(
        csms, station_operator, csms.config.tags.blocked, "Blocked", connected=True
    )


@ocpp_case("TC_C_30_CS", version="2.0.1", requires=LOCAL)
async def test_tc_c_30_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """An idToken listed as Expired is asked about (C14.FR.03), answered Expired, refused."""
    await _listed_not_accepted(
        csms, station_operator, csms.config.tags.expired, "Expired", connected=True
    )


@ocpp_case("TC_C_31_CS", version="2.0.1", requires=LOCAL)
async def test_tc_c_31_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """An idToken listed as Invalid that the CSMS now Accepts (C14.FR.03): Authorized with it
    (the AuthorizeRequest required), then EVConnectedPreSession and EnergyTransferStarted."""
    sut = await csms.ready(station_operator)
    await configure_if_implemented(
        csms, sut, {**LIST_ON, "LocalAuthListCtrlr.DisablePostAuthorize": "false"}
    )
    value = csms.config.tags.invalid
    try:
        await csms.id_token_local_auth_list(sut, value, "Invalid")
        csms.behaviour.id_tag_status[value] = "Accepted"
        step("1. Execute Reusable State Authorized (the listed invalid idToken)")
        since = sut.mark()
        await authorized_as(csms, sut, station_operator, value, rule="C14.FR.03")
        step("2. Execute Reusable State EVConnectedPreSession")
        await csms.ev_connected_pre_session(sut, station_operator)
        step("3. Execute Reusable State EnergyTransferStarted")
        await csms.energy_transfer_started(sut, station_operator, authorized_since=since)
    finally:
        await clear_local_list(csms.connection or sut)


@ocpp_case("TC_C_58_CS", version="2.0.1", requires=f"LA-3 and {LOCAL}")
async def test_tc_c_58_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """With LocalAuthListCtrlr.DisablePostAuthorize true, an idToken listed as Invalid is
    refused without asking: no AuthorizeRequest, nothing started (C14.FR.03's exception). (Part
    6 prints this table's id as TC_C_28_CS, a typo.)"""
    sut = await csms.ready(station_operator)
    await configure_if_implemented(csms, sut, LIST_ON)
    await csms.configure(sut, {"LocalAuthListCtrlr.DisablePostAuthorize": "true"})
    value = csms.config.tags.invalid
    token = csms.id_token(value)
    try:
        await csms.id_token_local_auth_list(sut, value, "Invalid")
        mark = sut.mark()
        await present(csms, station_operator, token, "the listed invalid idToken")
        step("1. The Charging Station does NOT send an AuthorizeRequest")
        await not_sent(
            csms,
            sut,
            "Authorize",
            since=mark,
            forbidden=lambda p: token_matches(p.get("idToken"), token),
            rule="step 1: LocalAuthListCtrlr.DisablePostAuthorize true",
        )
        await refused(csms, sut, token, since=mark, rule="step 1: authorization is refused")
    finally:
        await clear_local_list(csms.connection or sut)


# -- C10 storing in the cache -------------------------------------------------------------
@ocpp_case("TC_C_32_CS", version="2.0.1", requires=CACHE)
async def test_tc_c_32_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """The cache survives a reboot (C10.FR.02, a SHOULD): after Booted, the cached valid
    idToken authorizes (errata 6.2.22: Reusable State Authorized), with a
    TransactionEventRequest triggerReason Authorized carrying it when TxStartPoint contains
    Authorized; then EVConnectedPreSession and EnergyTransferStarted. An AuthorizeRequest
    after the reboot (the cache was lost) is legal and shown as a warning."""
    sut = await csms.ready(station_operator)
    await configure_if_implemented(csms, sut, {"AuthCacheCtrlr.Enabled": "true"})
    await csms.configure(sut, {"AuthCtrlr.LocalPreAuthorize": "true"})
    sut = await csms.id_token_cached(sut, station_operator, csms.config.tags.valid)
    step("1. Execute Reusable State Booted")
    sut = await csms.booted(sut, station_operator)
    mark = sut.mark()
    step("2. Execute Reusable State Authorized (the cached valid idToken)")
    since = sut.mark()
    event = await csms.authorized(sut, station_operator)
    check_authorized_event(event, csms.id_token(), started_before=False, rule="step 2")
    if any(c.action == "Authorize" for c in sut.link.inbox[mark:]):
        warn("the station asked about the cached idToken after the reboot (C10.FR.02)")
    step("4. Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    step("5. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator, authorized_since=since)


@ocpp_case("TC_C_33_CS", version="2.0.1", requires=CACHE)
async def test_tc_c_33_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """An AuthorizeResponse updates the cache (C10.FR.04, C12.FR.06): the valid idToken is
    asked about (AuthorizeRequest, Accepted; when the idToken is already cached from an
    earlier session its absence is a warning, the table has no memory state to prevent it)
    and charges; presented again in a new session it
    is used from the cache, with a TransactionEventRequest triggerReason Authorized carrying
    it, answered Invalid. LocalAuthListCtrlr.Enabled is set only where implemented: a station
    without a list is not excluded from this Core case."""
    sut = await csms.ready(station_operator)
    await configure_if_implemented(
        csms, sut, {"AuthCacheCtrlr.Enabled": "true", "LocalAuthListCtrlr.Enabled": "true"}
    )
    await csms.configure(sut, {"AuthCtrlr.LocalPreAuthorize": "true"})
    token = csms.id_token()
    await csms.ev_connected_pre_session(sut, station_operator)
    started = csms.transaction_id is not None
    mark = sut.mark()
    step("Manual action: present valid idToken (Reusable State Authorized)")
    since = sut.mark()
    event = await csms.authorized(sut, station_operator)
    asked = [c for c in sut.link.inbox[mark:] if c.action == "Authorize"]
    if not asked:
        warn(
            "step 1: no AuthorizeRequest: the valid idToken was already cached (an earlier "
            "session); the table's memory state N/a cannot rule that out"
        )
    check_authorized_event(event, token, started_before=started, rule="step 3")
    step("5-7. EnergyTransferStarted, EVConnectedPostSession, EVDisconnected")
    await csms.energy_transfer_started(sut, station_operator, authorized_since=since)
    await csms.ev_connected_post_session(sut, station_operator)
    await csms.ev_disconnected(sut, station_operator)
    step("10. Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    started = csms.transaction_id is not None
    csms.behaviour.id_tag_status[token["idToken"]] = "Invalid"
    points = await csms.tx_start_points(sut)
    mark = sut.mark()
    await present(csms, station_operator, token, "the same valid idToken")
    if "Authorized" in points or started:
        step("12. The Charging Station sends a TransactionEventRequest; 13. answered Invalid")
        second = await csms.transaction_event(
            sut,
            since=mark,
            label="triggerReason Authorized",
            predicate=lambda p: p["triggerReason"] == "Authorized" or "idToken" in p,
        )
        check_authorized_event(
            second, token, started_before=started, rule="step 12 (C12.FR.02, C10.FR.04)"
        )


@ocpp_case("TC_C_36_CS", version="2.0.1", requires=CACHE)
async def test_tc_c_36_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """With AuthCtrlr.LocalPreAuthorize false a cached Accepted idToken is still asked about
    (C10.FR.11): an AuthorizeRequest with it, answered Invalid; nothing starts for it."""
    sut = await csms.ready(station_operator)
    await csms.configure(
        sut, {"AuthCacheCtrlr.Enabled": "true", "AuthCtrlr.LocalPreAuthorize": "false"}
    )
    sut = await csms.id_token_cached(sut, station_operator, csms.config.tags.valid)
    await refused_after_authorize(
        csms, sut, station_operator, csms.config.tags.valid, "Invalid", rule="C10.FR.11"
    )
