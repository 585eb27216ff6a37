"""Helpers of the 2.0.1 station-side C. Authorization cases, part 1
(:mod:`.test_authorization`, :mod:`.test_authorization_cache_offline`): the memory states
IdTokenCached and IdTokenLocalAuthList, Authorized with an idToken of the case's choosing, and
the waits for what a station must not send. See :mod:`.test_authorization` for the departures
from the tables they carry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import TargetTimeout, check

LOCAL = "(C-30 or C-31 or C-32)"
CACHE = "C-49 and (C-30 or C-31 or C-32 or C-34 or C-36 or C-37)"
"""Part 5's condition of the cache cases, widened by errata 6.2.22 (remote start methods)."""

CACHE_ON = {"AuthCacheCtrlr.Enabled": "true", "AuthCtrlr.LocalPreAuthorize": "true"}
LIST_ON = {"LocalAuthListCtrlr.Enabled": "true", "AuthCtrlr.LocalPreAuthorize": "true"}
REMOTE_ON = {"AuthCtrlr.Enabled": "true", "AuthCtrlr.DisableRemoteAuthorization": "false"}


async def configure_if_implemented(
    csms: FakeCsms201, sut: StationConnection, values: Mapping[str, str]
) -> None:
    """Configuration State entries marked "(If implemented)": skipped when the station lacks
    the variable or already has the value (a ReadOnly variable with that value is fine)."""
    for text, value in values.items():
        current = await csms.get_variable(sut, text)
        if current is None or current.strip().lower() == value.lower():
            continue
        await csms.configure(sut, {text: value})


def token_matches(got: Mapping[str, Any] | None, token: Mapping[str, str]) -> bool:
    return bool(got) and got.get("idToken") == token["idToken"] and got.get("type") == token["type"]  # type: ignore[union-attr]


async def present(
    csms: FakeCsms201, operator: StationOperator, token: Mapping[str, str], label: str
) -> None:
    step(f"Manual action: present {label}")
    await operator.perform(
        "present_id_token", id_token=token["idToken"], type=token["type"], evse_id=csms.evse
    )


async def authorize_request(
    csms: FakeCsms201,
    sut: StationConnection,
    token: Mapping[str, str],
    *,
    since: int,
    rule: str,
    required: bool = True,
) -> IncomingCall | None:
    """The AuthorizeRequest for ``token`` (the fake CSMS answers it by ``csms.behaviour``);
    with ``required`` false, None when none came within the message timeout."""
    try:
        request = await sut.wait_for(
            "Authorize",
            since=since,
            timeout=None if required else csms.config.timeouts.message,
            describe=f"AuthorizeRequest for idToken {token['idToken']} ({rule})",
        )
    except TargetTimeout:
        if required:
            raise
        return None
    check(
        token_matches(request.payload.get("idToken"), token),
        f"{rule}: AuthorizeRequest idToken.idToken {token['idToken']}, idToken.type "
        f"{token['type']}",
        request.payload,
    )
    return request


async def not_sent(
    csms: FakeCsms201,
    sut: StationConnection,
    action: str,
    *,
    since: int,
    forbidden: Callable[[dict[str, Any]], bool],
    rule: str,
) -> None:
    """Wait <Configured message timeout> (the table's own wait) for a forbidden ``action``
    and fail when one arrives; what the station may legally send meanwhile is tolerated."""
    try:
        item = await sut.wait_for(
            action,
            forbidden,
            since=since,
            timeout=csms.config.timeouts.message,
            describe=f"no {action}Request ({rule})",
        )
    except TargetTimeout:
        return
    check(False, f"no such {action}Request ({rule})", item.payload)


def authorizing_event(token: Mapping[str, str]) -> Callable[[dict[str, Any]], bool]:
    """A TransactionEventRequest that acts on the refused ``token``: it carries it, or
    reports the authorization or the energy transfer the refusal must prevent."""

    def forbidden(p: dict[str, Any]) -> bool:
        return (
            token_matches(p.get("idToken"), token)
            or p.get("triggerReason") == "Authorized"
            or (p.get("transactionInfo") or {}).get("chargingState") == "Charging"
        )

    return forbidden


async def refused(
    csms: FakeCsms201, sut: StationConnection, token: Mapping[str, str], *, since: int, rule: str
) -> None:
    """ "The Charging Station SHALL NOT send a TransactionEventRequest after the
    AuthorizationRequest": one acting on the refused idToken fails; another (a periodic
    meter value of a transaction the EV started) is legal traffic, shown as a warning."""
    await not_sent(
        csms, sut, "TransactionEvent", since=since, forbidden=authorizing_event(token), rule=rule
    )
    others = [c for c in sut.link.inbox[since:] if c.action == "TransactionEvent"]
    if others:
        warn(
            f"{len(others)} TransactionEventRequest(s) after the refused idToken, none acting "
            "on it (triggerReasons "
            + ", ".join(str(c.payload.get("triggerReason")) for c in others)
            + ")"
        )


async def id_token_cached(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator, value: str
) -> None:
    """Memory State IdTokenCached (Table 443) for the idToken ``value``, answered as the fake
    CSMS's behaviour says. Main A (Accepted: the configured valid idToken): reusable states
    Authorized and EVConnectedPreSession; then, departing from the table, the EV is
    disconnected again (the transaction ends) so that the case's own states start from an
    idle EVSE. Main B (not Accepted): the idToken is presented and refused; no transaction.
    Other Accepted idTokens (the Master Pass, which never starts a transaction, C12.FR.09) are
    only presented. The AuthorizeRequest is optional: an idToken a previous case cached may be
    used without one."""
    step(f"(Memory State IdTokenCached) for idToken {value}")
    token = csms.id_token(value)
    status = csms.id_token_info(token)["status"]
    if value == csms.config.tags.valid and status == "Accepted":
        await csms.authorized(sut, operator)
        await csms.ev_connected_pre_session(sut, operator)
        tx_id = csms.transaction_id
        mark = sut.mark()
        step("(Memory State IdTokenCached) manual action: disconnect the EV again")
        await operator.perform("plug_out", evse_id=csms.evse, connector_id=csms.connector)
        await csms.connector_reported(sut, "Available", since=mark)
        if tx_id is not None and tx_id in csms.open_transactions:
            await csms.transaction_event(
                sut,
                since=mark,
                label=f"ending transaction {tx_id} after the EV left",
                predicate=lambda p: (
                    p["transactionInfo"]["transactionId"] == tx_id and p["eventType"] == "Ended"
                ),
            )
        csms.state, csms.transaction_id, csms.ev_connected = None, None, False
        return
    mark = sut.mark()
    await present(csms, operator, token, f"idToken {value} (to be cached)")
    await authorize_request(
        csms, sut, token, since=mark, rule="IdTokenCached Authorized step 1", required=False
    )
    if status == "Accepted":
        return
    # Main B steps 3-4 (optional): a station that used an older cache entry starts a
    # transaction, is answered with the refusal (C10.FR.05 updates the cache) and ends it.
    try:
        started = await sut.wait_for(
            "TransactionEvent",
            lambda p: token_matches(p.get("idToken"), token),
            since=mark,
            timeout=csms.config.timeouts.message,
            describe="IdTokenCached step 3 (optional): TransactionEventRequest",
        )
    except TargetTimeout:
        return
    tx_id = started.payload["transactionInfo"]["transactionId"]
    if str(tx_id) in csms.open_transactions:
        await csms.transaction_event(
            sut,
            since=mark,
            label=f"ending transaction {tx_id} of the refused idToken",
            predicate=lambda p: (
                p["transactionInfo"]["transactionId"] == tx_id and p["eventType"] == "Ended"
            ),
        )


async def id_token_local_auth_list(
    csms: FakeCsms201, sut: StationConnection, value: str, status: str
) -> None:
    """Memory State IdTokenLocalAuthList (Table 444) for ``value`` with ``status`` (the table
    lists the idToken only; the entry needs an idTokenInfo to be added, D01.FR.04)."""
    step(f"(Memory State IdTokenLocalAuthList) SendLocalListRequest Full with {value} {status}")
    answer = await sut.call(
        "SendLocalList",
        {
            "versionNumber": 1,
            "updateType": "Full",
            "localAuthorizationList": [
                {"idToken": csms.id_token(value), "idTokenInfo": {"status": status}}
            ],
        },
    )
    check(
        answer.get("status") == "Accepted",
        "IdTokenLocalAuthList step 2: SendLocalListResponse status Accepted",
        answer,
    )


async def clear_local_list(sut: StationConnection) -> None:
    """Leave the station as found: an empty Local Authorization List (not part of a table)."""
    if not sut.closed:
        await sut.link.call(
            "SendLocalList", {"versionNumber": 1, "updateType": "Full"}, allow_error=True
        )


async def authorized_as(
    csms: FakeCsms201,
    sut: StationConnection,
    operator: StationOperator,
    value: str,
    *,
    rule: str,
) -> IncomingCall | None:
    """Reusable State Authorized A (Table 428) with the idToken ``value`` instead of the
    configured valid one (states201's ``authorized`` takes no idToken): presented, asked
    about (required here: the idToken is known locally as not Accepted, C10.FR.03/C14.FR.03),
    and, when TxStartPoint contains Authorized or a transaction runs, a TransactionEventRequest
    triggerReason Authorized with it. Returns that event, or None."""
    token = csms.id_token(value)
    points = await csms.tx_start_points(sut)
    mark = sut.mark()
    await present(csms, operator, token, f"idToken {value}")
    await authorize_request(csms, sut, token, since=mark, rule=rule)
    event: IncomingCall | None = None
    if "Authorized" in points or csms.transaction_id is not None:
        step("Authorized A 3. The Charging Station sends a TransactionEventRequest (Authorized)")
        event = await csms.transaction_event(
            sut,
            since=mark,
            label="triggerReason Authorized",
            predicate=lambda p: p["triggerReason"] == "Authorized" or "idToken" in p,
        )
        check(
            event.payload["triggerReason"] == "Authorized",
            "Authorized A step 3: triggerReason Authorized",
            event.payload,
        )
        check(
            token_matches(event.payload.get("idToken"), token),
            f"Authorized A step 3: idToken {value} of type {token['type']}",
            event.payload,
        )
        csms.transaction_id = str(event.payload["transactionInfo"]["transactionId"])
    csms.state = "Authorized"
    return event


async def energy_transfer_started(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator, *, since: int
) -> None:
    """Reusable State EnergyTransferStarted (Table 430) after the case's own authorization
    (:func:`authorized_as`, from inbox position ``since``): the state's own method, told that
    the session is authorized since then (a Charging event the station sent as soon as it was
    authorized and connected counts)."""
    csms.session_authorized = True
    csms.auth_mark = since
    await csms.energy_transfer_started(sut, operator)


def check_authorized_event(
    event: IncomingCall | None, token: Mapping[str, str], *, started_before: bool, rule: str
) -> None:
    """A TransactionEventRequest of step "triggerReason Authorized, idToken, eventType Updated
    if the transaction was already started, else Started"."""
    if event is None:
        return
    payload = event.payload
    check(payload["triggerReason"] == "Authorized", f"{rule}: triggerReason Authorized", payload)
    check(
        token_matches(payload.get("idToken"), token),
        f"{rule}: idToken.idToken {token['idToken']}, idToken.type {token['type']}",
        payload,
    )
    expected = "Updated" if started_before else "Started"
    check(payload["eventType"] == expected, f"{rule}: eventType {expected}", payload)


async def refused_after_authorize(
    csms: FakeCsms201,
    sut: StationConnection,
    operator: StationOperator,
    value: str,
    answer: str,
    *,
    rule: str,
) -> None:
    """Present ``value``; the station asks (AuthorizeRequest, answered ``answer``) and
    starts nothing for it."""
    csms.behaviour.id_tag_status[value] = answer
    token = csms.id_token(value)
    mark = sut.mark()
    await present(csms, operator, token, f"idToken {value}")
    step(f"1. The Charging Station sends an AuthorizeRequest; 2. answered {answer}")
    await authorize_request(csms, sut, token, since=mark, rule=f"step 1 ({rule})")
    await refused(csms, sut, token, since=mark, rule=f"{rule}: a {answer} idToken is refused")
