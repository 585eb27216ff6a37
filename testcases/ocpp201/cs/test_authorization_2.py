"""OCPP 2.0.1, Charging Station under test, C. Authorization, part 2 (2.0.1 Edition 3 Part 6
§2.4): the Authorization Cache (C10-C12), GroupId (C09), Master Pass (C16) and Unknown tokens
(C01).

pytest-ocpp plays the CSMS (the OCTT column). Each case first re-establishes Part 6 §2.1's
general preconditions (``csms.ready``), then its memory state, then its configuration state
(a memory state may reboot-free re-establish the general preconditions, which would put back
a configuration set before it). "Execute Reusable State X" is the fake CSMS's method for X.

Departures common to these cases:

- Reusable states ParkingBayOccupied/ParkingBayUnoccupied run inside the other states, only
  for a station whose TxStartPoint or TxStopPoint contains ParkingBayOccupancy (Part 6 §2.18:
  they are optional).
- Memory state IdTokenCached (Table 443) is ``csms.id_token_cached``: the token is presented
  (reusable state Authorized for the valid idToken), its AuthorizeRequest answered, and the
  station brought back to the general preconditions (``csms.ready``: transaction stopped, EV
  unplugged), which is what Main A/B end in.
- Where a table presents an idToken and then executes a reusable state whose own first step
  is presenting that idToken (Authorized), the state is executed once; the table's own
  validations of those steps are checked on top.
- GroupId tokens are OCTT's valid_idtoken and valid_idtoken2 (``[tags] valid``, ``valid_2``),
  answered with groupIdToken ``[tags] parent`` (<Configured groupIdToken>).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.catalog import ocpp_case
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import TargetTimeout, check, not_applicable

from ._authorization_support import authorize_request, present

DEFAULT_LIFETIME = 3
"""AuthCacheCtrlr.LifeTime (s) TC_C_46 uses when ``[station] transaction_duration`` is 0."""


# -- helpers --------------------------------------------------------------------------------
def _token(csms: FakeCsms201, value: str) -> dict[str, str]:
    return csms.id_token(value)


def _group(csms: FakeCsms201, *values: str) -> None:
    """Answer ``values`` with groupIdToken <Configured groupIdToken> (``[tags] parent``)."""
    for value in values:
        csms.behaviour.parent_id_tag[value] = csms.config.tags.parent


async def _present(
    csms: FakeCsms201, operator: StationOperator, token: dict[str, str], label: str
) -> None:
    await present(csms, operator, token, f"{label} {token['idToken']}")


async def _authorize_request(
    csms: FakeCsms201,
    sut: StationConnection,
    token: dict[str, str],
    since: int,
    label: str,
    *,
    required: bool = True,
) -> Any:
    """Step ``label``: the AuthorizeRequest for ``token`` from ``since``."""
    step(f"{label} The Charging Station sends an AuthorizeRequest")
    return await authorize_request(csms, sut, token, since=since, rule=label, required=required)


def _authorize_seen(sut: StationConnection, since: int, token: dict[str, str]) -> bool:
    return any(
        item.action == "Authorize"
        and (item.payload.get("idToken") or {}).get("idToken") == token["idToken"]
        for item in sut.link.inbox[since:]
    )


async def _none_within(
    csms: FakeCsms201,
    sut: StationConnection,
    predicate: Callable[[dict[str, Any]], bool],
    expectation: str,
    since: int,
) -> None:
    """Fail when a TransactionEventRequest matching ``predicate`` arrives from ``since`` up to
    <Configured message timeout> from now (the tables' "OCTT waits ... before ending")."""
    try:
        item = await sut.wait_for(
            "TransactionEvent",
            predicate,
            since=since,
            timeout=csms.config.timeouts.message,
            describe=expectation,
        )
    except TargetTimeout:
        return
    check(False, expectation, item.payload)


def _authorizes(payload: dict[str, Any]) -> bool:
    info = payload.get("transactionInfo") or {}
    return (
        payload.get("triggerReason") in ("Authorized", "StopAuthorized")
        or "idToken" in payload
        or info.get("chargingState") == "Charging"
    )


async def _if_implemented(
    csms: FakeCsms201, sut: StationConnection, values: dict[str, str]
) -> None:
    """Configuration State entries marked "(If implemented)"."""
    present = {k: v for k, v in values.items() if await csms.get_variable(sut, k) is not None}
    if present:
        await csms.configure(sut, present)


async def _full_list(
    csms: FakeCsms201, sut: StationConnection, entries: list[dict[str, Any]]
) -> dict[str, Any]:
    """The table's memory state "known idTokens configured in the Local Authorization List":
    a Full SendLocalListRequest, version <Configured versionNumber> (``[station]
    local_list_version``, 2 when unset, as in the D cases)."""
    version = int(csms.config.station.extra.get("local_list_version", 2))
    step(f"(Memory State) The OCTT sends a SendLocalListRequest updateType Full, version {version}")
    payload: dict[str, Any] = {"versionNumber": version, "updateType": "Full"}
    if entries:
        payload["localAuthorizationList"] = entries
    return await sut.call("SendLocalList", payload)


async def _group_stop(
    csms: FakeCsms201,
    sut: StationConnection,
    operator: StationOperator,
    token: dict[str, str],
    label: str,
    *,
    authorize: bool | None,
) -> None:
    """The other idToken of the group stops the transaction (C09.FR.03): with ``authorize``
    True an AuthorizeRequest for it is required, None optional (C09.FR.07 lets a station that
    has it valid in its cache or list stop without asking), False not expected (a warning).
    Then a TransactionEventRequest triggerReason StopAuthorized, eventType Updated or Ended,
    idToken omitted or the presented one (or the starting one, as the table's validation
    names). The fake CSMS's state becomes StopAuthorized, which this reached."""
    tx_id = csms.transaction_id  # before: the fake CSMS forgets it when the Ended arrives
    mark = sut.mark()
    await _present(csms, operator, token, "the other idToken of the group")
    if authorize is not None:
        await _authorize_request(csms, sut, token, mark, label, required=authorize)
    elif not authorize and _authorize_seen(sut, mark, token):
        warn("the station sent an AuthorizeRequest for a token valid in its list/cache")
    step(f"{label} The Charging Station sends a TransactionEventRequest (StopAuthorized)")
    event = await csms.transaction_event(
        sut,
        since=mark,
        label="triggerReason StopAuthorized",
        predicate=lambda p: (
            p["transactionInfo"]["transactionId"] == tx_id
            and p["triggerReason"] == "StopAuthorized"
        ),
    )
    got = event.payload.get("idToken")
    allowed = {token["idToken"], csms.config.tags.valid}
    check(
        got is None or got.get("idToken") in allowed,
        f"{label} TransactionEventRequest triggerReason StopAuthorized, idToken omitted or "
        f"{token['idToken']}",
        event.payload,
    )
    if authorize is False and _authorize_seen(sut, mark, token):
        warn(
            f"the station sent an AuthorizeRequest for {token['idToken']}, valid in its local "
            "list/cache (C09.FR.07 lets it stop without one)"
        )
    csms.state = "StopAuthorized"
    csms.session_authorized = False
    csms.stop_mark = mark


async def _finish(csms: FakeCsms201, sut: StationConnection, operator: StationOperator) -> None:
    step("Execute Reusable State EVConnectedPostSession")
    await csms.ev_connected_post_session(sut, operator)
    step("Execute Reusable State EVDisconnected")
    await csms.ev_disconnected(sut, operator)


async def _started_with_group(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator, label: str
) -> None:
    """Present the valid idToken of the group (reusable state Authorized) and, when it starts
    or updates a transaction, the TransactionEventRequest triggerReason Authorized; then
    EnergyTransferStarted."""
    step(f"{label} Present valid idToken with <Configured GroupId> (Reusable State Authorized)")
    await csms.authorized(sut, operator)
    step("Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, operator)


# -- Authorization Cache: ClearCache (C11) ----------------------------------------------------
@ocpp_case("TC_C_37_CS", version="2.0.1", requires="C-49")
async def test_tc_c_37_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Clear Authorization Data in Authorization Cache - Accepted (C11.FR.01-03): ClearCache
    is Accepted and the cached valid idToken is asked about again (AuthorizeRequest) when
    presented. The presentation and steps 5-8 are reusable state Authorized, with its
    AuthorizeRequest required here (step 5's validation)."""
    sut = await csms.ready(station_operator)
    await _if_implemented(csms, sut, {"AuthCacheCtrlr.Enabled": "true"})
    sut = await csms.id_token_cached(sut, station_operator)
    await _if_implemented(csms, sut, {"AuthCacheCtrlr.Enabled": "true"})
    step("1. The OCTT sends a ClearCacheRequest")
    answer = await sut.call("ClearCache", {})
    check(answer.get("status") == "Accepted", "step 2: ClearCacheResponse status Accepted", answer)
    step("4. Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    mark = sut.mark()
    step("5-8. Present the valid idToken (Reusable State Authorized)")
    await csms.authorized(sut, station_operator)
    token = csms.id_token()
    check(
        _authorize_seen(sut, mark, token),
        f"step 5: AuthorizeRequest idToken.idToken {token['idToken']} after ClearCache "
        "(C11.FR.02: the cache is empty, the token must be authorized again)",
        [i.payload for i in sut.link.inbox[mark:] if i.action == "Authorize"],
    )
    step("9. Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, station_operator)


@ocpp_case("TC_C_38_CS", version="2.0.1", requires="C-49")
async def test_tc_c_38_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Clear Authorization Data in Authorization Cache - Rejected (C11.FR.04): with
    AuthCacheCtrlr.Enabled false, ClearCache is Rejected. A station without a settable
    AuthCacheCtrlr.Enabled cannot be brought to the table's configuration: not applicable."""
    sut = await csms.ready(station_operator)
    sut = await csms.id_token_cached(sut, station_operator)
    if await csms.get_variable(sut, "AuthCacheCtrlr.Enabled") is None:
        raise not_applicable("the station has no AuthCacheCtrlr.Enabled to set false")
    await csms.configure(sut, {"AuthCacheCtrlr.Enabled": "false"})
    step("1. The OCTT sends a ClearCacheRequest")
    answer = await sut.call("ClearCache", {})
    check(
        answer.get("status") == "Rejected",
        "step 2: ClearCacheResponse status Rejected (C11.FR.04: the cache is disabled)",
        answer,
    )


@ocpp_case("TC_C_46_CS", version="2.0.1", requires="C-53")
async def test_tc_c_46_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Store Authorization Data in the Authorization Cache - AuthCacheLifeTime (C10.FR.08): a
    cached idToken unused for AuthCacheCtrlr.LifeTime is dropped, so with LocalPreAuthorize
    true it is asked about again. The table has no validation; the AuthorizeRequest of
    Authorized (optional in that state, as a cached token needs none) is what shows the entry
    expired, so it is required here. LifeTime is <Configured TransactionDuration>
    (``[station] transaction_duration``, 3 s when 0) and the wait is that long."""
    sut = await csms.ready(station_operator)
    sut = await csms.id_token_cached(sut, station_operator)
    lifetime = (
        int(float(csms.config.station.extra.get("transaction_duration", 0))) or DEFAULT_LIFETIME
    )
    await csms.configure(sut, {"AuthCacheCtrlr.LifeTime": str(lifetime)})
    await _if_implemented(csms, sut, {"AuthCtrlr.LocalPreAuthorize": "true"})
    step("Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    step(f"1. Wait for <Configured Transaction Duration> ({lifetime} s)")
    await asyncio.sleep(lifetime + 0.5)  # the lifetime is a time to wait out, not an event
    mark = sut.mark()
    step("2. Execute Reusable State Authorized (local)")
    await csms.authorized(sut, station_operator)
    token = csms.id_token()
    check(
        _authorize_seen(sut, mark, token),
        f"step 2: AuthorizeRequest for {token['idToken']} (C10.FR.08: unused for "
        "AuthCacheLifeTime, the cache entry is removed)",
        [i.payload for i in sut.link.inbox[mark:] if i.action == "Authorize"],
    )


# -- GroupId (C09) ------------------------------------------------------------------------------
@ocpp_case("TC_C_39_CS", version="2.0.1")
async def test_tc_c_39_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Authorization by GroupId - Success (C09.FR.02/03/05): a transaction started with the
    valid idToken is stopped by valid_idtoken2 of the same group. Step 6's AuthorizeRequest is
    optional: a station holding valid_idtoken2 valid in its cache from an earlier case stops
    without asking (C09.FR.07)."""
    sut = await csms.ready(station_operator)
    tags = csms.config.tags
    _group(csms, tags.valid, tags.valid_2)
    step("Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    await _started_with_group(csms, sut, station_operator, "1-5.")
    await _group_stop(
        csms, sut, station_operator, _token(csms, tags.valid_2), "step 6-8:", authorize=None
    )
    await _finish(csms, sut, station_operator)


@ocpp_case("TC_C_40_CS", version="2.0.1")
async def test_tc_c_40_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Authorization by GroupId - Success with Local Authorization List (C09.FR.02/03/07): both
    idTokens of the group are in the list (a Full SendLocalList, version <Configured
    versionNumber>, Accepted with groupIdToken); with LocalPreAuthorize true the second one
    stops the transaction (an AuthorizeRequest is tolerated with a warning)."""
    sut = await csms.ready(station_operator)
    tags = csms.config.tags
    _group(csms, tags.valid, tags.valid_2)
    await _if_implemented(
        csms, sut, {"LocalAuthListCtrlr.Enabled": "true", "AuthCtrlr.LocalPreAuthorize": "true"}
    )
    group = {"idToken": tags.parent, "type": tags.type_of(tags.parent)}
    entries = [
        {"idToken": _token(csms, v), "idTokenInfo": {"status": "Accepted", "groupIdToken": group}}
        for v in (tags.valid, tags.valid_2)
    ]
    answer = await _full_list(csms, sut, entries)
    check(
        answer.get("status") == "Accepted", "Memory State: SendLocalListResponse Accepted", answer
    )
    try:
        step("Execute Reusable State EVConnectedPreSession")
        await csms.ev_connected_pre_session(sut, station_operator)
        await _started_with_group(csms, sut, station_operator, "1-3.")
        await _group_stop(
            csms, sut, station_operator, _token(csms, tags.valid_2), "step 4:", authorize=False
        )
        await _finish(csms, sut, station_operator)
    finally:
        await _full_list(csms, sut, [])  # leave no list entries of this case behind


@ocpp_case("TC_C_41_CS", version="2.0.1", requires="C-49")
async def test_tc_c_41_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Authorization by GroupId - Success with Authorization Cache (C09.FR.02/03/07): both
    idTokens of the group are cached (answered Accepted with the group); with LocalPreAuthorize
    true the second stops the transaction (an AuthorizeRequest is tolerated with a
    warning)."""
    sut = await csms.ready(station_operator)
    tags = csms.config.tags
    _group(csms, tags.valid, tags.valid_2)
    await _if_implemented(csms, sut, {"AuthCacheCtrlr.Enabled": "true"})
    sut = await csms.id_token_cached(sut, station_operator)
    sut = await csms.id_token_cached(sut, station_operator, tags.valid_2)
    await _if_implemented(
        csms, sut, {"AuthCacheCtrlr.Enabled": "true", "AuthCtrlr.LocalPreAuthorize": "true"}
    )
    step("Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    await _started_with_group(csms, sut, station_operator, "1-3.")
    await _group_stop(
        csms, sut, station_operator, _token(csms, tags.valid_2), "step 4:", authorize=False
    )
    await _finish(csms, sut, station_operator)


async def _invalid_of_group_does_not_stop(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator, label: str
) -> None:
    """Present the invalid idToken of the group: an AuthorizeRequest for it (a token not valid
    locally is asked about, C10.FR.03, C14.FR.03), answered Invalid with the group, and no
    TransactionEventRequest ending the authorization within <Configured message timeout>
    (C09.FR.11)."""
    tags = csms.config.tags
    token = _token(csms, tags.invalid)
    tx_id = csms.transaction_id
    mark = sut.mark()
    await _present(csms, operator, token, "invalid idToken with <Configured GroupId>")
    await _authorize_request(csms, sut, token, mark, label)
    await _none_within(
        csms,
        sut,
        lambda p: (
            p["transactionInfo"]["transactionId"] == tx_id
            and (p["triggerReason"] == "StopAuthorized" or p["eventType"] == "Ended")
        ),
        "no TransactionEventRequest StopAuthorized or Ended after an Invalid idToken of the "
        "same group (C09.FR.11)",
        mark,
    )


@ocpp_case("TC_C_42_CS", version="2.0.1")
async def test_tc_c_42_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Authorization by GroupId - Not stopped by GroupId (C09.FR.11): an idToken of the same
    group answered Invalid does not end the transaction."""
    sut = await csms.ready(station_operator)
    tags = csms.config.tags
    _group(csms, tags.valid, tags.invalid)
    csms.behaviour.id_tag_status[tags.invalid] = "Invalid"
    step("Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    await _started_with_group(csms, sut, station_operator, "1-5.")
    await _invalid_of_group_does_not_stop(csms, sut, station_operator, "step 6:")


@ocpp_case("TC_C_43_CS", version="2.0.1")
async def test_tc_c_43_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Authorization by GroupId - Invalid status with Local Authorization List (C09.FR.03,
    C14.FR.03): the list holds the valid idToken (Accepted) and the invalid one (Invalid),
    same group; the invalid one is asked about, answered Invalid, and does not stop the
    transaction. The table's step 6 validation (a StopAuthorized) contradicts its own note
    ("OCTT will wait to see if CS indeed doesn't send a TransactionEventRequest") and C09.FR.11;
    the note is followed."""
    sut = await csms.ready(station_operator)
    tags = csms.config.tags
    _group(csms, tags.valid, tags.invalid)
    csms.behaviour.id_tag_status[tags.invalid] = "Invalid"
    await _if_implemented(
        csms, sut, {"LocalAuthListCtrlr.Enabled": "true", "AuthCtrlr.LocalPreAuthorize": "true"}
    )
    group = {"idToken": tags.parent, "type": tags.type_of(tags.parent)}
    entries = [
        {"idToken": _token(csms, v), "idTokenInfo": {"status": s, "groupIdToken": group}}
        for v, s in ((tags.valid, "Accepted"), (tags.invalid, "Invalid"))
    ]
    answer = await _full_list(csms, sut, entries)
    check(
        answer.get("status") == "Accepted", "Memory State: SendLocalListResponse Accepted", answer
    )
    try:
        step("Execute Reusable State EVConnectedPreSession")
        await csms.ev_connected_pre_session(sut, station_operator)
        await _started_with_group(csms, sut, station_operator, "1-3.")
        await _invalid_of_group_does_not_stop(csms, sut, station_operator, "step 4:")
    finally:
        await _full_list(csms, sut, [])  # leave no list entries of this case behind


@ocpp_case("TC_C_44_CS", version="2.0.1", requires="C-49")
async def test_tc_c_44_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Authorization by GroupId - Invalid status with Authorization Cache (C09.FR.03,
    C10.FR.03): the valid and the invalid idToken of one group are cached; the invalid one is
    asked about again (AuthCacheCtrlr.DisablePostAuthorize false), answered Invalid, and does
    not stop the transaction."""
    sut = await csms.ready(station_operator)
    tags = csms.config.tags
    _group(csms, tags.valid, tags.invalid)
    csms.behaviour.id_tag_status[tags.invalid] = "Invalid"
    await _if_implemented(csms, sut, {"AuthCacheCtrlr.Enabled": "true"})
    sut = await csms.id_token_cached(sut, station_operator)
    sut = await csms.id_token_cached(sut, station_operator, tags.invalid)
    await _if_implemented(
        csms,
        sut,
        {
            "AuthCacheCtrlr.Enabled": "true",
            "AuthCtrlr.LocalPreAuthorize": "true",
            "AuthCacheCtrlr.DisablePostAuthorize": "false",
        },
    )
    step("Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    await _started_with_group(csms, sut, station_operator, "1-3.")
    await _invalid_of_group_does_not_stop(csms, sut, station_operator, "step 4:")


# -- Master Pass (C16) --------------------------------------------------------------------------
@ocpp_case("TC_C_45_CS", version="2.0.1", requires="C-07 or C-08")
async def test_tc_c_45_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Authorization by GroupId - Master pass - Not able to start transaction (C16.FR.03): the
    Master Pass idToken (Accepted, groupIdToken MasterPassGroupId) neither starts a transaction
    nor lets the EV charge. TxStartPoint is set to Authorized (the table: contains Authorized or
    PowerPathClosed, not ParkingBayOccupancy or EVConnected). Step 1's validation names
    valid_idtoken; the presented token is the Master Pass one, so that one is checked."""
    sut = await csms.ready(station_operator)
    tags = csms.config.tags
    await csms.configure(
        sut,
        {
            "TxCtrlr.TxStartPoint": "Authorized",
            "AuthCtrlr.MasterPassGroupId": tags.masterpass_group,
        },
    )
    token = _token(csms, tags.masterpass)
    mark = sut.mark()
    await _present(csms, station_operator, token, "the Master Pass idToken")
    await _authorize_request(csms, sut, token, mark, "step 1:")
    step("3. Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    step("4. The Charging Station does NOT send a TransactionEventRequest (Charging)")
    await _none_within(
        csms,
        sut,
        lambda p: (
            p["triggerReason"] == "Authorized"
            or (p.get("transactionInfo") or {}).get("chargingState") == "Charging"
        ),
        "no TransactionEventRequest triggerReason Authorized or chargingState Charging after "
        "a Master Pass idToken (C16.FR.03)",
        mark,
    )


async def _master_pass_stop(
    csms: FakeCsms201,
    sut: StationConnection,
    operator: StationOperator,
    select: int | None,
) -> None:
    """TC_C_47/48/49 on the configured EVSE: EnergyTransferStarted, the Master Pass idToken
    presented (AuthorizeRequest with it, answered Accepted with groupIdToken
    <Configured masterPassGroupId>), with a UI the user's ``select`` (``masterpass_select``,
    0: all), then the transaction's authorization ends (TransactionEventRequest StopAuthorized,
    idToken omitted or the Master Pass one), EVConnectedPostSession, EVDisconnected, and its
    Ended event has stoppedReason MasterPass (errata 2025-09: validated in the Ended event)."""
    tags = csms.config.tags
    await csms.configure(sut, {"AuthCtrlr.MasterPassGroupId": tags.masterpass_group})
    step("Execute Reusable State EnergyTransferStarted")
    await csms.energy_transfer_started(sut, operator)
    tx_id = csms.transaction_id
    token = _token(csms, tags.masterpass)
    mark = sut.mark()
    await _present(csms, operator, token, "the configured Master Pass idToken")
    if await _authorize_request(csms, sut, token, mark, "step 1:", required=False) is None:
        warn(
            "no AuthorizeRequest for the Master Pass idToken (the table expects one; a station "
            "that has it valid in its cache may decide locally)"
        )
    if select is not None:
        step(
            f"Manual action: select to stop {'all transactions' if not select else f'EVSE {select}'}"
        )
        await operator.perform("masterpass_select", target_evse=select)
    step("3. The Charging Station sends a TransactionEventRequest (authorization ended)")
    event = await csms.transaction_event(
        sut,
        since=mark,
        label=f"ending the authorization of transaction {tx_id}",
        predicate=lambda p: (
            p["transactionInfo"]["transactionId"] == tx_id
            and (p["triggerReason"] == "StopAuthorized" or p["eventType"] == "Ended")
        ),
    )
    got = event.payload.get("idToken")
    check(
        got is None
        or (got.get("idToken") == token["idToken"] and got.get("type") == token["type"]),
        f"step 3: TransactionEventRequest idToken omitted or {token['idToken']} of type "
        f"{token['type']}",
        event.payload,
    )
    csms.state = "StopAuthorized"
    csms.session_authorized = False
    csms.stop_mark = mark
    await _finish(csms, sut, operator)
    ended = [
        i.payload
        for i in sut.link.inbox[mark:]
        if i.action == "TransactionEvent"
        and i.payload["eventType"] == "Ended"
        and i.payload["transactionInfo"]["transactionId"] == tx_id
    ]
    check(
        bool(ended) and ended[0]["transactionInfo"].get("stoppedReason") == "MasterPass",
        "step 3: the Ended TransactionEventRequest has transactionInfo.stoppedReason MasterPass "
        "(C16.FR.01/02)",
        ended,
    )


@ocpp_case("TC_C_47_CS", version="2.0.1", requires="C-07")
async def test_tc_c_47_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Stop Transaction with a Master Pass - With UI - All transactions (C16.FR.01). The table's
    "EnergyTransferStarted for all EVSE" is run on the configured EVSE (the reusable states
    follow one EVSE); the UI choice is the operator action ``masterpass_select`` with 0."""
    sut = await csms.ready(station_operator)
    await _master_pass_stop(csms, sut, station_operator, 0)


@ocpp_case("TC_C_48_CS", version="2.0.1", requires="C-07")
async def test_tc_c_48_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Stop Transaction with a Master Pass - With UI - Specific transactions (C16.FR.01): the
    user selects the transaction of the configured EVSE (``masterpass_select``). The post
    scenario validation "all other EVSE still transfer energy" needs transactions on other
    EVSEs, which the single-EVSE reusable states do not start: not judged."""
    sut = await csms.ready(station_operator)
    await _master_pass_stop(csms, sut, station_operator, csms.evse)


@ocpp_case("TC_C_49_CS", version="2.0.1", requires="C-08")
async def test_tc_c_49_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Stop Transaction with a Master Pass - Without UI (C16.FR.02): the Master Pass idToken
    ends the transaction without any choice. Run on the configured EVSE only (the table adds
    EVSE 2 with valid_idtoken2 when there is one; the reusable states follow one EVSE)."""
    sut = await csms.ready(station_operator)
    await _master_pass_stop(csms, sut, station_operator, None)


# -- Unknown idToken (C01) ----------------------------------------------------------------------
@ocpp_case("TC_C_56_CS", version="2.0.1")
async def test_tc_c_56_cs(csms: FakeCsms201, station_operator: StationOperator) -> None:
    """Local start transaction - Authorization Unknown (C01.FR.02): the invalid idToken,
    answered Unknown, starts nothing. "SHALL NOT send a TransactionEventRequest" is judged on
    events that authorize or charge (triggerReason Authorized, an idToken, chargingState
    Charging); any other TransactionEventRequest is legal traffic, tolerated with a
    warning."""
    sut = await csms.ready(station_operator)
    tags = csms.config.tags
    await _if_implemented(
        csms, sut, {"AuthCtrlr.Enabled": "true", "AuthCtrlr.DisableRemoteAuthorization": "false"}
    )
    csms.behaviour.id_tag_status[tags.invalid] = "Unknown"
    step("Execute Reusable State EVConnectedPreSession")
    await csms.ev_connected_pre_session(sut, station_operator)
    token = _token(csms, tags.invalid)
    mark = sut.mark()
    await _present(csms, station_operator, token, "the invalid idToken")
    await _authorize_request(csms, sut, token, mark, "step 1:")
    await _none_within(
        csms,
        sut,
        _authorizes,
        "no TransactionEventRequest authorizing or charging after an AuthorizeResponse "
        "Unknown (C01.FR.02)",
        mark,
    )
    if any(i.action == "TransactionEvent" for i in sut.link.inbox[mark:]):
        warn("the station sent a TransactionEventRequest after the Unknown AuthorizeResponse")
