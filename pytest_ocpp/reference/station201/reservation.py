"""The reference station's block H reservations (Part 2 H01-H04): ReserveNow, CancelReservation,
expiry with ReservationStatusUpdate, and who may charge on a reserved EVSE.

``ReservationHandlers`` holds the ``@on`` handlers (mixed into the ChargePoint of one connection),
``ReservationMixin`` the station-side state and behaviour (mixed into
:class:`~pytest_ocpp.reference.station201.station.ReferenceStation201`).

A reservation names one EVSE (H01 S2), a connector type (S3) or nothing (S1, allowed only with
ReservationCtrlr.NonEvseSpecific true, H01.FR.18/19). The station keeps one EVSE free for each
reservation without an EVSE (H01.FR.07/09): once those reservations are as many as the free
EVSEs, every free EVSE shows Reserved (H01.FR.20/24) and refuses other idTokens. A specific EVSE
shows Reserved from acceptance (H01.FR.23) until the reservation is used (H03.FR.09/10),
cancelled (H02), expires (H04) or its EVSE becomes Faulted/Unavailable (H01.FR.16/17).

Hooks into the rest of the station, all by overriding a method of a later mixin and calling
``super()`` (this mixin comes before :class:`.transactions.TransactionsMixin` and
:class:`.status.StatusMixin` in the station's bases), plus one line in
:meth:`.remote.RemoteHandlers.on_request_start_transaction` and the ``reservationId`` of
:meth:`.transactions.TransactionsMixin.emit`:

* :meth:`ReservationMixin.connector_status` / :meth:`ReservationMixin.evse_availability`:
  Available becomes Reserved on a reserved EVSE;
* :meth:`ReservationMixin.authorize_session`: an idToken that may not use the EVSE is refused
  (no transaction event, as for any refused idToken); the matching one consumes its
  reservation and the next TransactionEventRequest carries its id (H01.FR.15);
* :meth:`ReservationMixin.refresh`: a reserved EVSE that became Faulted or Unavailable loses
  its reservation (ReservationStatusUpdate Removed) after its connectors are reported.

Reservations survive a reboot (Part 6 TC_B_24_CS reports the EVSE Reserved after a reset).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ocpp.routing import on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from pytest_ocpp.reference.station201.model import Evse, Outgoing, Session, same_token

if TYPE_CHECKING:
    from pytest_ocpp.reference.station201.station import ReferenceStation201

__all__ = ["Reservation", "ReservationHandlers", "ReservationMixin"]


@dataclass
class Reservation:
    """One accepted ReserveNowRequest (idToken and groupIdToken as the library speaks them)."""

    id: int
    expiry: datetime
    id_token: dict[str, Any]
    group: dict[str, Any] | None
    evse_id: int | None
    connector_type: str | None
    timer: asyncio.Task[Any] | None = None

    @property
    def floating(self) -> bool:
        """No EVSE named: one of the fitting EVSEs must stay free for it (H01.FR.07/09)."""
        return self.evse_id is None


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


class ReservationMixin:
    """State and behaviour of this block; mixed into the station."""

    # ------------------------------------------------------------------ state

    @property
    def reservations(self) -> dict[int, Reservation]:
        """reservationId → the reservation still pending (created on first use)."""
        found = self.__dict__.get("_reservations")
        if found is None:
            found = self.__dict__["_reservations"] = {}
        return found

    def _plain(self: ReferenceStation201, evse: Evse) -> str:
        """The EVSE as it would be without reservations: Occupied (a cable, a session),
        Faulted, Unavailable or Available."""
        base = super().connector_status  # type: ignore[misc]
        states = [base(evse.id, c) for c in evse.connectors]
        session = evse.session
        busy = session is not None and (
            session.tx is not None or session.auth is not None or session.remote_claim
        )
        if "Occupied" in states or busy:
            return "Occupied"
        if not self.evse_usable(evse):
            return "Faulted" if any(c.fault for c in evse.connectors.values()) else "Unavailable"
        return "Available"

    def _fits(self: ReferenceStation201, evse: Evse, connector_type: str | None) -> bool:
        if connector_type is None:
            return True
        return any(
            self.model.value(f"Connector({evse.id},{c}).ConnectorType") == connector_type
            for c in evse.connectors
        )

    def _specific(self, evse_id: int) -> Reservation | None:
        return next((r for r in self.reservations.values() if r.evse_id == evse_id), None)

    def _free(self: ReferenceStation201, connector_type: str | None = None) -> list[Evse]:
        """EVSEs a new session could use: Available and not reserved for an EVSE."""
        return [
            e
            for e in self.evses.values()
            if self._fits(e, connector_type)
            and self._specific(e.id) is None
            and self._plain(e) == "Available"
        ]

    def _pool_full(self: ReferenceStation201) -> bool:
        """The reservations without an EVSE are as many as the free EVSEs (H01.FR.20/24)."""
        floating = [r for r in self.reservations.values() if r.floating]
        return bool(floating) and len(floating) >= len(self._free())

    def reserved_evses(self: ReferenceStation201) -> set[int]:
        """EVSEs shown Reserved: those reserved by id (H01.FR.23), and every free one once the
        reservations without an EVSE take them all (H01.FR.20/24)."""
        if self.has("h_reserved_not_reported"):
            return set()
        shown = {
            r.evse_id
            for r in self.reservations.values()
            if r.evse_id is not None and self._plain(self.evses[r.evse_id]) == "Available"
        }
        if self._pool_full():
            shown |= {e.id for e in self._free()}
        return shown

    # ------------------------------------------------------------------ hooks (super())

    def connector_status(self: ReferenceStation201, evse_id: int, connector_id: int) -> str:
        """StatusMixin's status, with Reserved for an Available connector of a reserved EVSE."""
        status = super().connector_status(evse_id, connector_id)  # type: ignore[misc]
        if status == "Available" and self.reservations and evse_id in self.reserved_evses():
            return "Reserved"
        return status

    def evse_availability(self: ReferenceStation201, evse_id: int) -> str:
        status = super().evse_availability(evse_id)  # type: ignore[misc]
        if status == "Available" and self.reservations and evse_id in self.reserved_evses():
            return "Reserved"
        return status

    def refresh(self: ReferenceStation201, into: list[Outgoing] | None = None) -> None:
        """H01.FR.16/17: a reserved EVSE turned Faulted or Unavailable loses its reservation;
        its connectors are reported first, then ReservationStatusUpdate Removed."""
        gone = [
            r
            for r in self.reservations.values()
            if r.evse_id is not None
            and self._plain(self.evses[r.evse_id]) in ("Faulted", "Unavailable")
            and not self.has("h_kept_when_unavailable")
        ]
        for reservation in gone:
            self._drop_reservation(reservation)
        super().refresh(into=into)  # type: ignore[misc]
        for reservation in gone:
            self._reservation_update(reservation.id, "Removed")

    def authorize_session(
        self: ReferenceStation201,
        evse: Evse | None,
        token: dict[str, Any],
        info: dict[str, Any],
        **options: Any,
    ) -> None:
        """H03: only the reserved idToken (or its group) may use a reserved EVSE; it consumes
        the reservation (H03.FR.09, the EVSE Available again H03.FR.10) and the next
        TransactionEventRequest reports its id (H01.FR.15). A refusal is silent, as for any
        refused idToken (E02.FR.20)."""
        if not self.take_reservation(evse, token, info):
            session = evse.session if evse is not None else None
            if session is not None:
                session.remote_claim = False
                self._drop_if_idle(evse, session)
            return
        super().authorize_session(evse, token, info, **options)  # type: ignore[misc]

    # ------------------------------------------------------------------ who may charge

    def _matches(self, reservation: Reservation, token: dict[str, Any], group: Any) -> bool:
        if same_token(reservation.id_token, token):
            return True
        if self.has("h_group_ignored"):  # type: ignore[attr-defined]
            return False
        return bool(reservation.group and isinstance(group, dict)) and same_token(
            reservation.group, group
        )

    def _claim(
        self: ReferenceStation201, evse: Evse | None, token: dict[str, Any], group: Any
    ) -> Reservation | bool:
        """The reservation ``token`` (or its ``group``) uses at ``evse`` (None: the next EVSE
        an EV connects to); True: allowed without one; False: the EVSE is kept for others."""
        if not self.reservations or self.has("h_other_token_allowed"):
            return True
        mine = [r for r in self.reservations.values() if self._matches(r, token, group)]
        if evse is None:
            return mine[0] if mine else bool(set(self._free_ids()) - self.reserved_evses())
        for reservation in mine:
            if reservation.evse_id == evse.id or (
                reservation.floating and self._fits(evse, reservation.connector_type)
            ):
                return reservation
        return evse.id not in self.reserved_evses() and self._specific(evse.id) is None

    def _free_ids(self: ReferenceStation201) -> list[int]:
        return [e.id for e in self._free()]

    def reservation_refuses(
        self: ReferenceStation201, evse: Evse, token: dict[str, Any], group: Any
    ) -> bool:
        """A RequestStartTransaction for ``token`` on ``evse`` must be Rejected (H03.FR.01,
        Part 6 TC_H_02_CS B)."""
        return self._claim(evse, token, group) is False

    def take_reservation(
        self: ReferenceStation201, evse: Evse | None, token: dict[str, Any], info: dict[str, Any]
    ) -> bool:
        """May ``token`` (IdTokenInfo ``info``) start at ``evse``? Consumes its reservation."""
        claim = self._claim(evse, token, info.get("group_id_token"))
        if claim is False:
            return False
        if isinstance(claim, Reservation):
            self._drop_reservation(claim)
            if evse is not None:
                session = self.session_of(evse)
            else:
                session = self.floating or Session(None)
                self.floating = session
            if not self.has("h_no_reservation_id"):
                session.reservation_id = claim.id
        return True

    # ------------------------------------------------------------------ requests

    def reserve(
        self: ReferenceStation201,
        reservation_id: int,
        expiry_date_time: str,
        id_token: dict[str, Any],
        connector_type: str | None,
        evse_id: int | None,
        group: dict[str, Any] | None,
    ) -> str:
        """ReserveNowResponse status (H01.FR.01-24); an Accepted reservation is stored and
        its expiry armed (H04)."""
        model = self.model
        enabled = model.get_bool("ReservationCtrlr.Available", True) and (
            model.get_bool("ReservationCtrlr.Enabled", True) or self.has("h_enabled_ignored")
        )
        expiry = _moment(expiry_date_time)
        if not enabled or self.boot_status != "Accepted":
            return "Rejected"  # H01.FR.01
        if expiry is None or expiry <= datetime.now(timezone.utc):
            return "Rejected"  # a reservation that has already ended
        if evse_id is not None and evse_id not in self.evses:
            return "Rejected"
        previous = self.reservations.get(reservation_id)
        if previous is not None and not self.has("h_replace_refused"):
            del self.reservations[reservation_id]  # H01.FR.02: judged as if already replaced
        status = self._reserve_status(evse_id, connector_type)
        if status != "Accepted":
            if previous is not None:
                self.reservations[reservation_id] = previous
            return status
        if previous is not None:
            self._drop_reservation(previous)
        reservation = Reservation(reservation_id, expiry, id_token, group, evse_id, connector_type)
        self.reservations[reservation_id] = reservation
        reservation.timer = self.spawn(self._expire(reservation))
        return "Accepted"

    def _reserve_status(
        self: ReferenceStation201, evse_id: int | None, connector_type: str | None
    ) -> str:
        if evse_id is None:
            if not self.model.get_bool("ReservationCtrlr.NonEvseSpecific") and not self.has(
                "h_non_evse_specific_ignored"
            ):
                return "Rejected"  # H01.FR.19
            if self.has("h_unspecified_rejected"):
                return "Rejected"
            targets = [e for e in self.evses.values() if self._fits(e, connector_type)]
            if not targets:
                return "Rejected"  # no connector of that type here
            floating = sum(1 for r in self.reservations.values() if r.floating)
            if len(self._free(connector_type)) > floating:
                return "Accepted"  # H01.FR.04/06
        else:
            targets = [self.evses[evse_id]]
            evse = targets[0]
            reserved = self._specific(evse_id) is not None or evse_id in self.reserved_evses()
            if self._plain(evse) == "Available" and not reserved:
                return "Accepted"  # H01.FR.03/23
        plain = {self._plain(e) for e in targets}
        if self.has("h_occupied_accepted") and plain & {"Available", "Occupied"}:
            return "Accepted"
        if plain == {"Faulted"}:
            return "Faulted"  # H01.FR.12
        if plain <= {"Faulted", "Unavailable"}:
            if self.has("h_unavailable_as_occupied"):
                return "Occupied"
            return "Unavailable"  # H01.FR.14
        return "Occupied"  # H01.FR.11/13: reserved or occupied

    def cancel_reservation(self: ReferenceStation201, reservation_id: int) -> str:
        """H02.FR.01/02."""
        reservation = self.reservations.get(reservation_id)
        if reservation is None:
            return "Accepted" if self.has("h_cancel_unknown_accepted") else "Rejected"
        if not self.has("h_cancel_not_applied"):
            self._drop_reservation(reservation)
        return "Accepted"

    # ------------------------------------------------------------------ ending

    def _drop_reservation(self, reservation: Reservation) -> None:
        self.reservations.pop(reservation.id, None)
        timer = reservation.timer
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
        reservation.timer = None

    async def _expire(self: ReferenceStation201, reservation: Reservation) -> None:
        """H04.FR.01-03: at expiryDateTime the EVSE is Available again (its connectors
        reported), then ReservationStatusUpdate Expired."""
        delay = (reservation.expiry - datetime.now(timezone.utc)).total_seconds()
        await asyncio.sleep(max(0.0, delay))
        if self.reservations.get(reservation.id) is not reservation:
            return
        if self.has("h_never_expires"):
            return
        reservation.timer = None
        self._drop_reservation(reservation)
        self.refresh()
        self._reservation_update(reservation.id, "Expired")

    def _reservation_update(self: ReferenceStation201, reservation_id: int, status: str) -> None:
        message = call.ReservationStatusUpdate(
            reservation_id=reservation_id, reservation_update_status=status
        )
        self.enqueue(lambda _i: message, kind="keep")


class ReservationHandlers:
    """ReserveNow and CancelReservation; mixed into the ChargePoint."""

    station: ReferenceStation201
    defer: Callable[[Callable[[], None]], None]

    @on(Action.reserve_now)
    def on_reserve_now(
        self,
        id: int,
        expiry_date_time: str,
        id_token: dict[str, Any],
        connector_type: str | None = None,
        evse_id: int | None = None,
        group_id_token: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        """H01: the status from the station's state; Reserved is reported after the answer
        (H01.FR.23)."""
        st = self.station
        status = st.reserve(id, expiry_date_time, id_token, connector_type, evse_id, group_id_token)
        if status == "Accepted":
            self.defer(st.refresh)
        return call_result.ReserveNow(status=status)

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id: int, **_: Any) -> Any:
        """H02: Accepted and the EVSE Available again (reported after the answer), Rejected
        for an unknown id."""
        st = self.station
        status = st.cancel_reservation(reservation_id)
        if status == "Accepted":
            self.defer(st.refresh)
        return call_result.CancelReservation(status=status)
