"""Plain state of the reference 2.0.1 station: EVSEs, connectors, sessions, transactions.

Kept apart from the protocol code so that the rules deriving a connector's AvailabilityState
(Part 2 G01, ConnectorStatusEnumType) and a transaction's chargingState (E01.FR.18,
ChargingStateEnumType) read from one obvious set of fields. Nothing here sends messages.

IdTokenType and IdTokenInfoType values are kept as the ``ocpp`` library speaks them: dicts with
snake_case keys (``{"id_token": "ABC", "type": "ISO14443"}``), so they travel unchanged into
the payloads the library turns into camelCase.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "Authorization",
    "Connector",
    "Evse",
    "Outgoing",
    "Session",
    "Transaction",
    "same_token",
]


def same_token(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """Two IdTokenTypes are the same identifier: case-insensitive value and equal type
    (Part 2 C §1.1: "a combination of a case insensitive string and a type")."""
    if not a or not b:
        return False
    return str(a.get("id_token", "")).lower() == str(b.get("id_token", "")).lower() and a.get(
        "type"
    ) == b.get("type")


@dataclass
class Connector:
    """One connector of an EVSE. ``plugged`` is the cable in this connector's socket."""

    evse_id: int
    id: int
    plugged: bool = False
    fault: bool = False
    inoperative: bool = False
    """Set Inoperative by ChangeAvailability; persists across reboots (G03.FR.08)."""
    unlock_failing: bool = False
    lock_failing: bool = False
    """The cable is not fully plugged in: the plug retention lock fails (G05)."""
    lock_problem: bool = False
    """ConnectorPlugRetentionLock.Problem, true once locking failed (G05.FR.02)."""
    reported: str | None = None
    """The AvailabilityState last delivered to the CSMS (None: report it again)."""


@dataclass
class Authorization:
    """An idToken the station has authorized for a session (C01, F01/F02)."""

    id_token: dict[str, Any]
    info: dict[str, Any]
    """The IdTokenInfoType that decided it (status, groupIdToken, evseId...)."""
    remote_start_id: int | None = None
    offline_unknown: bool = False
    """Accepted offline only because OfflineTxForUnknownIdEnabled (C15): never cached."""

    @property
    def group(self) -> dict[str, Any] | None:
        return self.info.get("group_id_token")


@dataclass
class Transaction:
    """A transaction the station started (E01); ``id`` is generated here (E01.FR.08)."""

    id: str
    started_at: datetime
    evse_id: int | None
    seq_no: int = 0
    """The seqNo the next TransactionEventRequest of this transaction gets (E01.FR.07)."""
    charging_state: str | None = None
    """The chargingState last reported (E01.FR.18: report it whenever it changes)."""
    begin_values: list[dict[str, Any]] = field(default_factory=list)
    """Transaction.Begin samples of TxEndedMeasurands, for the Ended event (E06.FR.11)."""
    ended_samples: list[dict[str, Any]] = field(default_factory=list)
    """Samples taken every SampledDataCtrlr.TxEndedInterval, for the Ended event."""
    begin_sent: bool = False
    """TxStartedMeasurands went out (in Started, or later when the EVSE became known)."""
    ended: bool = False
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)


@dataclass
class Session:
    """Everything between the first event on an EVSE (or an idToken presented before any EVSE
    is known) and the end of its transaction: who is authorized and what the next
    TransactionEventRequest still owes the CSMS."""

    evse_id: int | None
    auth: Authorization | None = None
    tx: Transaction | None = None
    auth_ended_reason: str | None = None
    """Why authorization ended (Local, Remote, DeAuthorized...): the stoppedReason when the
    transaction ends later (E07 alternative flows, Part 6 ParkingBayUnoccupied)."""
    suspended_invalid: bool = False
    """The CSMS said the idToken is not valid and StopTxOnInvalidId is false (E05.FR.02)."""
    pending_id_token: dict[str, Any] | None = None
    """Authorized since the last event: the next event carries idToken (E03.FR.01)."""
    pending_trigger: str | None = None
    """RemoteStart owed by the next event (F01.FR.19, F02.FR.21)."""
    pending_remote_start_id: int | None = None
    pending_evse: bool = False
    """The EV connected since the last event: the next one carries evse (E01.FR.16)."""
    remote_claim: bool = False
    """A RequestStartTransaction claimed this EVSE and is still authorizing."""
    authorizing: bool = False
    """The next event carries the idToken that authorized the session: a non-Accepted
    idTokenInfo in its response deauthorizes (E05, C15)."""
    timer: asyncio.Task[Any] | None = None
    """EVConnectionTimeOut (E03.FR.05, F02.FR.07)."""
    reservation_id: int | None = None
    """The reservation this session's idToken used, owed to the next TransactionEventRequest
    (H01.FR.15, E03.FR.03)."""


@dataclass
class Evse:
    """One EVSE: its connectors and the physical state around it."""

    id: int
    connectors: dict[int, Connector]
    inoperative: bool = False
    parked: bool = False
    """The parking bay detector sees an EV (ParkingBayOccupancy)."""
    ev_connector: int | None = None
    """The connector through which an EV is connected (cable in at both ends)."""
    ev_plugs: int = 0
    """EVs connected so far: an answer the station awaited for one EV (its Plug & Charge
    authorization) is dropped when that EV has gone and another is connected."""
    ev_suspended: bool = False
    relay_closed: bool = False
    """Energy is offered (power path closed)."""
    session: Session | None = None
    energy_wh: float = 0.0
    metered_at: float = 0.0
    reset_scheduled: bool = False
    """Reset OnIdle of this EVSE waits for its transaction (B12.FR.07)."""
    reported: str | None = None
    """EVSE AvailabilityState last delivered in a NotifyEvent."""
    locked_for: dict[str, Any] | None = None
    """The cable stays locked in the socket until this idToken is presented again (E09.FR.03:
    EV side disconnected, UnlockOnEVSideDisconnect false)."""


@dataclass
class Outgoing:
    """One request waiting in the station's single ordered outbox.

    ``kind``: "tx" (TransactionEventRequest: queued while offline, survives reboots, retried
    per E13), "keep" (queued while offline, e.g. security events), "volatile" (dropped when
    the connection goes). ``pre_boot`` items may leave while the boot is Pending (B02.FR.02:
    answers to TriggerMessage, GetBaseReport, GetReport). ``build`` runs when the request is
    about to leave and receives the item (its ``offline`` flag may have changed meanwhile).
    An item with ``action`` only runs that callable in order.
    """

    build: Callable[[Outgoing], Any | None]
    kind: str = "volatile"
    pre_boot: bool = False
    offline: bool = False
    transaction_id: str | None = None
    connector: tuple[int, int] | None = None
    future: asyncio.Future[Any] | None = None
    on_result: Callable[[Any], None] | None = None
    action: Callable[[], None] | None = None
    attempts: int = 0
