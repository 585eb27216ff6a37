"""Helpers shared by the 2.0.1 station-side E. Transactions modules (test_transactions.py:
start options and local start; test_transactions_stop_options.py: stop options), Part 6 §2.6.

The reusable states are the fake CSMS's (:mod:`pytest_ocpp.csms.states201`), one method per
table; this module holds configuration states and shared tool validations only.

A "Configuration State" saying "TxStartPoint contains X" (if ReadWrite) is met as found when the
station's value already contains X and none of the values the prerequisite excludes; else it
is set to X alone, and a station refusing that makes the case not applicable (the prerequisite:
a ReadOnly value without X). "(If implemented)" variables are set only when the station has
them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pytest_ocpp import step
from pytest_ocpp.case import warn
from pytest_ocpp.csms import FakeCsms201, StationConnection
from pytest_ocpp.link import IncomingCall
from pytest_ocpp.operators import StationOperator
from pytest_ocpp.verdicts import NotApplicable, TargetTimeout, check

_AUTH_DEFAULTS = {"AuthCtrlr.Enabled": "true", "AuthCtrlr.DisableRemoteAuthorization": "false"}
"""AuthCtrl.AuthEnabled true and DisableRemoteAuthorization false (both "if implemented")."""


# -- configuration states ------------------------------------------------------------------
async def _ready(csms: FakeCsms201, sut: StationConnection) -> None:
    """Read TxStartPoint/TxStopPoint afresh: the fake CSMS puts back variables an earlier case
    changed without updating its copy of them, which the reusable states branch on."""
    for name in ("TxCtrlr.TxStartPoint", "TxCtrlr.TxStopPoint"):
        await csms.get_variable(sut, name)


async def _tx_point(
    csms: FakeCsms201,
    sut: StationConnection,
    which: str,
    value: str,
    *,
    also: Collection[str] = (),
    excluded: Collection[str] = (),
) -> list[str]:
    """TxCtrlr.<which> "contains ``value``" (or one of ``also``) and none of ``excluded``: kept
    when it already does, else set to ``value`` (not applicable when refused). Returns the
    points in force."""
    name = f"TxCtrlr.{which}"
    points = await (
        csms.tx_start_points(sut) if which == "TxStartPoint" else csms.tx_stop_points(sut)
    )
    wanted = {value, *also}
    if wanted & set(points) and not set(excluded) & set(points):
        return points
    await csms.configure(sut, {name: value})
    return [value]


async def _configure_if_implemented(
    csms: FakeCsms201, sut: StationConnection, values: Mapping[str, str]
) -> None:
    """Variables a table sets "(If implemented)": skipped when the station lacks them or
    refuses the value (ReadOnly), which the table allows."""
    for name, value in values.items():
        current = await csms.get_variable(sut, name)
        if current is None or current.lower() == value.lower():
            continue
        try:
            await csms.configure(sut, {name: value})
        except NotApplicable:
            warn(f"{name} is {current} and the station refused {value}: kept as found")


def _connection_timeout(csms: FakeCsms201) -> int:
    """<Configured ev_connection_timeout> (``[station] ev_connection_timeout``, s; the key the
    CSMS-side TC_E_39 also reads): 3 s by default, a wait the cases sit through, so short."""
    return int(csms.config.station.extra.get("ev_connection_timeout", 3))


# -- shared tool validations ---------------------------------------------------------------
def _token_is(payload: Mapping[str, Any], token: Mapping[str, str], label: str) -> None:
    got = payload.get("idToken") or {}
    check(
        got.get("idToken") == token["idToken"] and got.get("type") == token["type"],
        f"{label}: idToken.idToken {token['idToken']}, idToken.type {token['type']}",
        payload,
    )


def _evse_given(payload: Mapping[str, Any], label: str) -> None:
    evse = payload.get("evse") or {}
    check(
        "id" in evse and "connectorId" in evse,
        f"{label}: evse and evse.connectorId provided",
        payload,
    )


async def _ended_after(
    csms: FakeCsms201, sut: StationConnection, tx_id: str | None, since: int, label: str
) -> IncomingCall:
    """The TransactionEventRequest that ends ``tx_id`` from ``since``: already received (a
    reusable state may have claimed it) or still to come."""

    def ends(p: Mapping[str, Any]) -> bool:
        return p["eventType"] == "Ended" and (
            tx_id is None or str(p["transactionInfo"]["transactionId"]) == tx_id
        )

    for item in sut.link.inbox[since:]:
        if item.action == "TransactionEvent" and not item.problems and ends(item.payload):
            return item
    return await csms.transaction_event(
        sut, since=since, label=f"eventType Ended ({label})", predicate=ends
    )


def _claim_transaction_events(sut: StationConnection) -> None:
    """Mark every TransactionEventRequest received so far as seen, before StopAuthorized.
    EVConnectedPostSession looks for its chargingState EVConnected event from the start of
    the connection (``since=0``), so the CablePluggedIn event of EnergyTransferStarted part 1
    (also EVConnected) would pass for it; Table 433's step 1 follows the stop."""
    for item in sut.link.inbox:
        if item.action == "TransactionEvent":
            item.consumed = True


def _started_at(sut: StationConnection, since: int) -> list[tuple[int, IncomingCall]]:
    """(inbox position, request) of every TransactionEventRequest Started from ``since``."""
    return [
        (index, item)
        for index, item in enumerate(sut.link.inbox)
        if index >= since
        and item.action == "TransactionEvent"
        and not item.problems
        and item.payload.get("eventType") == "Started"
    ]


async def _no_request(
    sut: StationConnection, action: str, predicate: Any, *, since: int, timeout: float, what: str
) -> None:
    """Absence: no ``action`` request matching ``predicate`` from ``since`` within ``timeout``."""
    try:
        item = await sut.wait_for(action, predicate, since=since, timeout=timeout, describe=what)
    except TargetTimeout:
        return
    check(False, f"no {what}", item.payload)


# -- start options ---------------------------------------------------------------------------


def _ended_checks(
    payload: Mapping[str, Any],
    label: str,
    *,
    trigger: str,
    reasons: Collection[str | None],
    charging_state: str | None = "Idle",
) -> None:
    check(payload["eventType"] == "Ended", f"{label}: eventType Ended", payload)
    check(payload["triggerReason"] == trigger, f"{label}: triggerReason {trigger}", payload)
    if charging_state is not None:
        check(
            payload["transactionInfo"].get("chargingState") == charging_state,
            f"{label}: transactionInfo.chargingState {charging_state}",
            payload,
        )
    shown = " or ".join(r or "omitted" for r in reasons)
    check(
        payload["transactionInfo"].get("stoppedReason") in reasons,
        f"{label}: transactionInfo.stoppedReason {shown}",
        payload,
    )


async def _ev_side_disconnect(
    csms: FakeCsms201, sut: StationConnection, operator: StationOperator
) -> tuple[int, IncomingCall]:
    """Manual action "Disconnect the EV and EVSE on EV side" and the transaction's Ended."""
    tx_id = csms.transaction_id
    mark = sut.mark()
    step("Manual action: disconnect the EV and EVSE on EV side (EVSE loses connection)")
    await operator.perform("ev_side_disconnect", evse_id=csms.evse)
    step("1. The Charging Station sends a TransactionEventRequest")
    ended = await _ended_after(csms, sut, tx_id, mark, "after the EV-side disconnect")
    csms.ev_connected = False
    return mark, ended
