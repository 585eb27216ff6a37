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
    configured valid one, plus the case's own rule: the AuthorizeRequest is required (the
    idToken is known locally as not Accepted, C10.FR.03/C14.FR.03), where the state lets a
    cached idToken go without one. Returns the state's TransactionEventRequest, or None."""
    return await csms.authorized(
        sut, operator, id_token=csms.id_token(value), authorize_required=rule
    )


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
