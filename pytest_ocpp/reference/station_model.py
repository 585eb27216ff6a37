"""Plain state of the reference charge point: connectors, transactions, reservations.

Kept apart from the protocol code so the status rules (OCPP 1.6 §4.9, ChargePointStatus) read
in one place. Nothing here sends messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass
class Transaction:
    """A transaction as the station knows it; ``id`` arrives with StartTransaction.conf."""

    connector_id: int
    id_tag: str
    meter_start: int
    started_at: datetime
    started_mono: float
    parent_id_tag: str | None = None
    reservation_id: int | None = None
    id: int | None = None
    invalid: bool = False
    """StartTransaction.conf said the tag is not Accepted: no more energy (SuspendedEVSE)."""
    sampler: asyncio.Task[None] | None = None


@dataclass
class Reservation:
    """A ReserveNow.req in force (OCPP 1.6 §5.13); connector_id 0 reserves the charge point."""

    id: int
    connector_id: int
    id_tag: str
    parent_id_tag: str | None
    expiry: datetime
    timer: asyncio.Task[None] | None = None


@dataclass
class PendingStart:
    """A session waiting for its cable (or its authorization, for a remote start)."""

    id_tag: str
    remote: bool
    parent_id_tag: str | None = None
    visible: bool = True
    """False while a remote start is still being authorized: the connector does not show
    Preparing before the Authorize.conf (TC_011_1_CS step order)."""
    charging_profile: dict[str, Any] | None = None
    timer: asyncio.Task[None] | None = None


@dataclass
class Connector:
    """One connector (id >= 1) or the charge point as a whole (id 0)."""

    id: int
    plugged: bool = False
    """A cable is in the socket (for a fixed cable: the EV is connected)."""
    ev_side_disconnected: bool = False
    ev_suspended: bool = False
    fault: str | None = None
    inoperative: bool = False
    scheduled_inoperative: bool | None = None
    finishing: bool = False
    """The transaction ended while the cable is still in: status Finishing (§4.9)."""
    transaction: Transaction | None = None
    pending: PendingStart | None = None
    reservation: Reservation | None = None
    unlock_failing: bool = False
    energy_wh: float = 0.0
    metered_at: float = 0.0
    reported: tuple[str, str] | None = None
    """(status, errorCode) last sent in a StatusNotification.req."""
    info: str | None = None


@dataclass
class Outgoing:
    """One request waiting in the station's single ordered outbox.

    ``build`` runs when the request is about to be sent, so a StopTransaction queued while
    offline carries the transactionId its StartTransaction.conf assigned later (OCPP 1.6 §4.8).
    ``build`` may return None to skip; an item with ``action`` only runs that callable in order.
    """

    build: Callable[[], Any | None]
    tx: bool = False
    future: asyncio.Future[Any] | None = None
    on_result: Callable[[Any], None] | None = None
    action: Callable[[], None] | None = None
    attempts: int = 0
